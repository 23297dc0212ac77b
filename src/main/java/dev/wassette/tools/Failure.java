package dev.wassette.tools;

import dev.wassette.host.UnenforceablePolicyException;
import dev.wassette.policy.PolicyException;
import dev.wassette.runtime.TrapException;
import java.util.List;
import java.util.Locale;

/**
 * What went wrong, as every front end reports it: the one mapping from exceptions to a kind, a
 * message and the outcome the invocation log records. The MCP server, the built-in tools and the
 * CLI only present it (a tool error, an exit code).
 *
 * @param kind      what sort of failure, which decides how it is presented
 * @param message   what a person or an agent reads; a trap's includes its bounded guest backtrace
 * @param outcome   the invocation log's label ({@code invalid-arguments}, {@code timeout}, {@code refused}, …)
 * @param backtrace a trap's guest frames (innermost first), else empty
 */
public record Failure(Kind kind, String message, String outcome, List<String> backtrace) {
    /** Sorts of failure. */
    public enum Kind {
        /** The caller's arguments do not fit the function's parameters. */
        INVALID_ARGUMENTS,
        /** A policy is invalid, or a change to it could not be enforced as written. */
        POLICY,
        /** The request was refused: bad input, an unknown component, a tool name that is taken. */
        REFUSED,
        /** The guest trapped, hit a limit, exited, was cancelled or a host function it called failed. */
        GUEST,
        /** Anything else (the store could not be read, the component could not be instantiated, …). */
        FAILED
    }

    /** A failed call of {@code function} (a component's tool, {@code wassette call}). */
    public static Failure ofCall(Throwable e, String function) {
        return switch (e) {
            case InvalidArgumentException bad -> new Failure(Kind.INVALID_ARGUMENTS, "invalid arguments: " + bad.getMessage(),
                    "invalid-arguments", List.of());
            case dev.wassette.host.QuotaExceededException quota -> new Failure(Kind.REFUSED, quota.getMessage(), "quota", List.of());
            case TrapException trap -> new Failure(Kind.GUEST, trap.getMessage() + GuestBacktrace.text(trap.backtrace()),
                    trap.kind().name().toLowerCase(Locale.ROOT), trap.backtrace());
            case PolicyException policy -> new Failure(Kind.POLICY,
                    "the component's policy is invalid: " + String.join("; ", policy.problems()), "policy-invalid", List.of());
            case UnenforceablePolicyException policy -> new Failure(Kind.POLICY, "policy: " + policy.getMessage(), "policy-invalid", List.of());
            default -> new Failure(Kind.FAILED, function + " failed: " + describe(e), "failed", List.of());
        };
    }

    /** A failed management operation named {@code operation} (a built-in tool, a store command). */
    public static Failure ofOperation(Throwable e, String operation) {
        return switch (e) {
            case InvalidArgumentException bad -> new Failure(Kind.INVALID_ARGUMENTS, "invalid arguments: " + bad.getMessage(),
                    "invalid-arguments", List.of());
            case UnenforceablePolicyException policy -> new Failure(Kind.REFUSED, "not granted: " + policy.getMessage(), "refused", List.of());
            case PolicyException policy -> new Failure(Kind.REFUSED, String.join("; ", policy.problems()), "refused", List.of());
            case ToolNameConflictException conflict -> new Failure(Kind.REFUSED, conflict.getMessage(), "refused", List.of());
            case IllegalArgumentException refused -> new Failure(Kind.REFUSED, describe(refused), "refused", List.of());
            default -> new Failure(Kind.FAILED, operation + " failed: " + describe(e), "failed", List.of());
        };
    }

    private static String describe(Throwable e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
