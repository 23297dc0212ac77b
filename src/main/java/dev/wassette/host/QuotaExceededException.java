package dev.wassette.host;

/** A call refused because its component is at a quota of its policy ({@code resources.quotas}); nothing ran. */
public final class QuotaExceededException extends RuntimeException {
    public QuotaExceededException(String message) {
        super(message);
    }
}
