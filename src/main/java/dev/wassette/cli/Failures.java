package dev.wassette.cli;

import dev.wassette.host.UnenforceablePolicyException;
import dev.wassette.policy.PolicyException;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.WasmtimeException;
import dev.wassette.tools.InvalidArgumentException;
import java.io.PrintWriter;

/** How the commands that run guests report a failure on stderr, and the exit code for it. */
final class Failures {
    private Failures() {}

    static int report(PrintWriter err, Exception e) {
        switch (e) {
            case InvalidArgumentException bad -> {
                err.println("error: bad argument: " + bad.getMessage());
                return WassetteCli.BAD_INPUT;
            }
            case TrapException trap -> {
                err.println("error: " + trap.getMessage());
                if (!trap.backtrace().isEmpty()) {
                    err.println("guest backtrace:");
                    trap.backtrace().forEach(f -> err.println("  " + f));
                }
                return WassetteCli.GUEST_FAILED;
            }
            case UnenforceablePolicyException policy -> {
                err.println("error: policy: " + policy.getMessage());
                return WassetteCli.BAD_INPUT;
            }
            case PolicyException policy -> {
                policy.problems().forEach(p -> err.println("error: " + p));
                return WassetteCli.BAD_INPUT;
            }
            case WasmtimeException wasmtime -> {
                err.println("error: " + wasmtime.getMessage());
                return WassetteCli.GUEST_FAILED;
            }
            default -> {
                err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                return WassetteCli.USAGE;
            }
        }
    }
}
