package dev.wassette.cli;

import dev.wassette.host.ComponentStore;
import dev.wassette.host.DeclarationConsent;
import dev.wassette.host.PolicyMapping;
import dev.wassette.host.UnenforceablePolicyException;
import java.nio.file.Path;
import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyEditor;
import dev.wassette.policy.PolicyException;
import dev.wassette.policy.PolicyWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Edits a stored component's policy offline; a running server applies it to the next call. */
@Command(name = "permission", description = "Grants, revokes and resets permissions of a stored component; grants the permissions it declares.",
        subcommands = {PermissionCommand.Grant.class, PermissionCommand.Revoke.class, PermissionCommand.Reset.class,
            PermissionCommand.ApplyDeclared.class})
final class PermissionCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    enum Kind { storage, network, environment_variable, memory, concurrent_calls, calls_per_minute, outbound_requests, outbound_bytes }

    static final class KindConverter implements CommandLine.ITypeConverter<Kind> {
        @Override
        public Kind convert(String value) {
            try {
                return Kind.valueOf(value.replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(
                        "expected storage, network, environment-variable, memory, concurrent-calls, calls-per-minute, outbound-requests or outbound-bytes");
            }
        }
    }

    abstract static class Edit implements Callable<Integer> {
        @Mixin
        StoreOptions store;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        Integer apply(String id, UnaryOperator<Policy> change) {
            PrintWriter err = spec.commandLine().getErr();
            ComponentStore components = store.components();
            try {
                ComponentStore.checkId(id);
                if (!components.contains(id)) {
                    err.println("error: no component \"" + id + "\" in " + components.directory());
                    return WassetteCli.BAD_INPUT;
                }
                Path baseDir = Path.of("").toAbsolutePath();
                Policy updated = components.update(id, p -> {
                    Policy next = change.apply(p);
                    PolicyMapping.requireEnforceable(p, next, baseDir);
                    return next;
                });
                PolicyMapping.absentDirectories(updated, baseDir).forEach(w -> err.println("warning: " + w));
                spec.commandLine().getOut().print(PolicyWriter.toYaml(updated));
                spec.commandLine().getOut().flush();
                return WassetteCli.OK;
            } catch (IllegalArgumentException | UnenforceablePolicyException | PolicyException | IOException e) {
                return policyChangeFailed(e, err);
            }
        }

        static Set<Policy.Access> access(List<String> names) {
            Set<Policy.Access> out = EnumSet.noneOf(Policy.Access.class);
            for (String n : names) {
                out.add(Policy.Access.valueOf(n.trim().toUpperCase(Locale.ROOT)));
            }
            return out;
        }
    }

    @Command(name = "grant", description = {"Grants a permission or sets a quota:",
        "  storage ID URI --access read[,write]   network ID HOST|CIDR",
        "  environment-variable ID KEY            memory ID LIMIT (e.g. 512Mi)",
        "  concurrent-calls ID N                  calls-per-minute ID N",
        "  outbound-requests ID N (per call)      outbound-bytes ID SIZE (per call, e.g. 10Mi)"})
    static final class Grant extends Edit {
        @Parameters(index = "0", paramLabel = "KIND", converter = KindConverter.class)
        Kind kind;

        @Parameters(index = "1", paramLabel = "ID")
        String id;

        @Parameters(index = "2", paramLabel = "VALUE")
        String value;

        @Option(names = "--access", split = ",", defaultValue = "read", description = "read and/or write (storage).")
        List<String> access;

        @Override
        public Integer call() {
            return apply(id, p -> switch (kind) {
                case storage -> PolicyEditor.grantStorage(p, value, access(access));
                case network -> value.contains("/") && !value.contains("://")
                        ? PolicyEditor.grantNetworkCidr(p, value) : PolicyEditor.grantNetworkHost(p, value);
                case environment_variable -> PolicyEditor.grantEnvironment(p, value);
                case memory -> PolicyEditor.grantMemory(p, parseMemory(value));
                case concurrent_calls, calls_per_minute, outbound_requests, outbound_bytes -> PolicyEditor.grantQuota(p, kind.name(), parseQuota(kind.name(), value));
            });
        }
    }

    @Command(name = "revoke", description = "Revokes a permission or a quota (same arguments as grant; memory and quotas take no value).")
    static final class Revoke extends Edit {
        @Parameters(index = "0", paramLabel = "KIND", converter = KindConverter.class)
        Kind kind;

        @Parameters(index = "1", paramLabel = "ID")
        String id;

        @Parameters(index = "2", paramLabel = "VALUE", arity = "0..1")
        String value;

        @Option(names = "--access", split = ",", description = "Access to remove (storage; default: all).")
        List<String> access = List.of();

        @Override
        public Integer call() {
            if (value == null && (kind == Kind.storage || kind == Kind.network || kind == Kind.environment_variable)) {
                spec.commandLine().getErr().println("error: revoke " + kind.name().replace('_', '-') + " needs a value");
                return WassetteCli.BAD_INPUT;
            }
            return apply(id, p -> switch (kind) {
                case storage -> PolicyEditor.revokeStorage(p, value, access(access));
                case network -> PolicyEditor.revokeNetwork(p, value);
                case environment_variable -> PolicyEditor.revokeEnvironment(p, value);
                case memory -> PolicyEditor.revokeMemory(p);
                case concurrent_calls, calls_per_minute, outbound_requests, outbound_bytes -> PolicyEditor.revokeQuota(p, kind.name());
            });
        }
    }

    @Command(name = "reset", description = "Removes every permission of a component.")
    static final class Reset extends Edit {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            return apply(id, PolicyEditor::reset);
        }
    }

    @Command(name = "apply-declared", description = {"Grants a component the permissions it declares (the policy that came with it,",
        "shown by `component load`, `inspect` and `policy get`), replacing its policy. --digest pins the declaration you reviewed."})
    static final class ApplyDeclared implements Callable<Integer> {
        @Mixin
        StoreOptions store;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Option(names = "--digest", paramLabel = "sha256:HEX", description = "The declaration's digest as shown: refused if it changed since.")
        String digest;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            ComponentStore components = store.components();
            try {
                ComponentStore.checkId(id);
                if (!components.contains(id)) {
                    err.println("error: no component \"" + id + "\" in " + components.directory());
                    return WassetteCli.BAD_INPUT;
                }
                Policy applied = components.applyDeclaredPolicy(id, new DeclarationConsent.UserGrant(digest));
                Path baseDir = Path.of("").toAbsolutePath();
                PolicyMapping.unenforceable(applied, baseDir).forEach(w -> err.println("warning: not in force: " + w));
                PolicyMapping.absentDirectories(applied, baseDir).forEach(w -> err.println("warning: " + w));
                spec.commandLine().getOut().print(PolicyWriter.toYaml(applied));
                spec.commandLine().getOut().flush();
                return WassetteCli.OK;
            } catch (IllegalArgumentException | PolicyException | IOException e) {
                return policyChangeFailed(e, err);
            }
        }
    }

    /** A memory size as in policies; a bare number means MiB here. */
    static long parseMemory(String text) {
        return dev.wassette.policy.PolicyParser.parseMemory(text, true);
    }

    /** A quota's value: a size for a byte quota ({@code 10Mi}, bare numbers are bytes), else a whole number. */
    static long parseQuota(String quota, String text) {
        if (dev.wassette.policy.Policy.Quotas.isByteQuota(quota)) {
            try {
                return dev.wassette.policy.PolicyParser.parseSize(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("quota " + quota + " is a size such as 64Ki or 10Mi, got \"" + text + "\"");
            }
        }
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a quota is a whole number from 1 to 1000000, got \"" + text + "\"");
        }
    }

    /** Says why a policy change failed; the exit status of the command that tried it. */
    private static int policyChangeFailed(Exception e, PrintWriter err) {
        switch (e) {
            case UnenforceablePolicyException u -> err.println("error: not granted: " + u.getMessage());
            case PolicyException p -> p.problems().forEach(problem -> err.println("error: " + problem));
            default -> err.println("error: " + e.getMessage());
        }
        return e instanceof IOException ? WassetteCli.USAGE : WassetteCli.BAD_INPUT;
    }
}
