package dev.wassette.cli;

import dev.wassette.tools.Failure;
import java.io.PrintWriter;

/** How the commands that run guests present a {@link Failure}: its message on stderr, and an exit code. */
final class Failures {
    private Failures() {}

    /** Reports a failed call of {@code function}; returns the exit code. */
    static int report(PrintWriter err, Exception e, String function) {
        Failure failure = Failure.ofCall(e, function);
        err.println("error: " + failure.message());
        return switch (failure.kind()) {
            case INVALID_ARGUMENTS, POLICY, REFUSED -> WassetteCli.BAD_INPUT;
            case GUEST, FAILED -> WassetteCli.GUEST_FAILED;
        };
    }
}
