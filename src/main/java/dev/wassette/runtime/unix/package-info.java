/**
 * Unix sockets and file descriptors over the C library, for the per-user daemon: its listening
 * socket, the peer's user ({@code SO_PEERCRED}), and the stdio descriptors a shim passes
 * ({@code SCM_RIGHTS}), read and written with blocking calls. Part of the runtime layer (the only
 * code touching {@code java.lang.foreign}), but not exported by the module: it is the command's
 * plumbing, not the embedding API. Linux only.
 */
package dev.wassette.runtime.unix;
