package dev.wassette.tools;

/** A JSON value that does not fit its WIT type; the message starts with the path of the bad value. */
public final class InvalidArgumentException extends IllegalArgumentException {
    private final String path;

    /**
     * A bad value.
     *
     * @param path where the bad value is, e.g. {@code args.items[2]}
     * @param problem what is wrong with it
     */
    public InvalidArgumentException(String path, String problem) {
        super(path + ": " + problem);
        this.path = path;
    }

    /**
     * Where the bad value is, e.g. {@code args.config.retries} or {@code args.items[2]}.
     *
     * @return the path
     */
    public String path() {
        return path;
    }
}
