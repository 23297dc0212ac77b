package dev.wassette.source;

/**
 * Receives the progress of a download, at most every few hundred milliseconds per transfer and once
 * at its end. Called on the downloading thread.
 */
@FunctionalInterface
public interface Progress {
    Progress NONE = (what, done, total) -> {};

    /**
     * @param what  what is being fetched (a short description: "component layer sha256:ab12… of oci://…")
     * @param done  bytes received so far
     * @param total bytes expected, or -1 when unknown
     */
    void update(String what, long done, long total);
}
