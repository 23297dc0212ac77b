package dev.wassette.source;

/**
 * A component source that could not be fetched or is not what it claims: the message says which
 * source and why (unreachable, refused, over a size cap, digest mismatch, unsupported media type).
 * Nothing was stored or loaded when this is thrown.
 */
public class SourceException extends Exception {
    public SourceException(String message) {
        super(message);
    }

    public SourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
