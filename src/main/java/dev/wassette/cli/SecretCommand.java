package dev.wassette.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Per-component secrets: offered to the component's environment, still filtered by its policy. */
@Command(name = "secret", description = "Lists, sets and deletes a component's secrets.",
        subcommands = {SecretCommand.ListSecrets.class, SecretCommand.Set.class, SecretCommand.Delete.class})
final class SecretCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    abstract static class Base implements Callable<Integer> {
        @Mixin
        StoreOptions store;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ID")
        String id;

        abstract int run(PrintWriter out) throws IOException;

        @Override
        public Integer call() {
            try {
                int code = run(spec.commandLine().getOut());
                spec.commandLine().getOut().flush();
                return code;
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("error: " + e.getMessage());
                return WassetteCli.BAD_INPUT;
            } catch (IOException e) {
                spec.commandLine().getErr().println("error: " + e.getMessage());
                return WassetteCli.USAGE;
            }
        }
    }

    @Command(name = "list", description = "Lists secret names (values hidden unless --show-values).")
    static final class ListSecrets extends Base {
        @Option(names = "--show-values")
        boolean showValues;

        @Override
        int run(PrintWriter out) throws IOException {
            for (Map.Entry<String, String> e : store.secrets().get(id).entrySet()) {
                out.println(showValues ? e.getKey() + "=" + e.getValue() : e.getKey());
            }
            return WassetteCli.OK;
        }
    }

    @Command(name = "set", description = "Sets secrets: KEY=VALUE …")
    static final class Set extends Base {
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY=VALUE")
        List<String> pairs;

        @Override
        int run(PrintWriter out) throws IOException {
            for (String pair : pairs) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("expected KEY=VALUE, got \"" + pair + "\"");
                }
                store.secrets().set(id, pair.substring(0, eq), pair.substring(eq + 1));
                out.println("set " + pair.substring(0, eq));
            }
            return WassetteCli.OK;
        }
    }

    @Command(name = "delete", description = "Deletes secrets by name.")
    static final class Delete extends Base {
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY")
        List<String> keys;

        @Override
        int run(PrintWriter out) throws IOException {
            int missing = 0;
            for (String key : keys) {
                if (store.secrets().delete(id, key)) {
                    out.println("deleted " + key);
                } else {
                    spec.commandLine().getErr().println("error: no secret " + key + " for " + id);
                    missing++;
                }
            }
            return missing == 0 ? WassetteCli.OK : WassetteCli.BAD_INPUT;
        }
    }
}
