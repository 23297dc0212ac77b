package dev.wassette.host;

/** A policy rule this runtime cannot enforce exactly; refused rather than granting more than it says. */
public final class UnenforceablePolicyException extends RuntimeException {
    public UnenforceablePolicyException(String message) {
        super(message);
    }
}
