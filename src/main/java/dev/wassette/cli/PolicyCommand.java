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
        subcommands = {PolicyCommand.Validate.class})
final class PolicyCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
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
