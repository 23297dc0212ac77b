package dev.wassette.cli;

import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyException;
import dev.wassette.policy.PolicyParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "policy", description = "Works with capability policy files.",
        subcommands = {PolicyCommand.Validate.class, PolicyCommand.Get.class})
final class PolicyCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "get", description = "Prints the policy of a stored component.")
    static final class Get implements Callable<Integer> {
        @CommandLine.Mixin
        StoreOptions store;

        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try {
                if (!store.components().contains(id)) {
                    spec.commandLine().getErr().println("error: no component \"" + id + "\" in " + store.componentDirectory());
                    return WassetteCli.BAD_INPUT;
                }
                Policy granted = store.components().policy(id);
                spec.commandLine().getOut().print(dev.wassette.policy.PolicyWriter.toYaml(granted));
                spec.commandLine().getOut().flush();
                var declared = store.components().declaredPolicy(id);
                if (declared.isPresent() && !declared.get().policy().grantsSameAs(granted)) {
                    spec.commandLine().getErr().println("note: " + id + " declares permissions that are not granted ("
                            + declared.get().digest() + "); `wassette inspect " + id + "` shows them");
                }
                return WassetteCli.OK;
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("error: " + e.getMessage());
                return WassetteCli.BAD_INPUT;
            } catch (PolicyException e) {
                e.problems().forEach(spec.commandLine().getErr()::println);
                return WassetteCli.BAD_INPUT;
            } catch (IOException e) {
                spec.commandLine().getErr().println("error: " + e.getMessage());
                return WassetteCli.USAGE;
            }
        }
    }

    @Command(name = "validate", description = {
        "Checks policy files without running anything.",
        "Exit 0 when all are valid (warnings on stderr); otherwise FILE:LINE: message for each error."})
    static final class Validate implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE")
        List<Path> files;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            int invalid = 0;
            for (Path file : files) {
                try {
                    Policy p = PolicyParser.parse(file);
                    p.warnings().forEach(w -> err.println("warning: " + w));
                    out.println(file + ": valid");
                } catch (PolicyException e) {
                    e.problems().forEach(err::println);
                    invalid++;
                } catch (IOException e) {
                    err.println(file + ": cannot read: " + e.getMessage());
                    invalid++;
                }
            }
            out.flush();
            return invalid == 0 ? WassetteCli.OK : WassetteCli.BAD_INPUT;
        }
    }
}
