package dev.wassette.runtime;

import java.util.List;

/**
 * A function implemented in Java that a component imports. Called on the thread running the
 * guest. Return the result value, or null for a function without result. A thrown exception
 * becomes a trap in the guest call with the exception's message.
 */
@FunctionalInterface
public interface HostFunction {
    /**
     * Runs the function for the guest.
     *
     * @param args the arguments, as the import's type declares them
     * @return the result, or null for a function without result
     * @throws Exception any failure; it becomes a trap ({@link TrapException.Kind#HOST_ERROR}) in the guest call
     */
    Val call(List<Val> args) throws Exception;
}
