package dev.wassette.runtime;

/**
 * Decides whether a guest may reach a network destination. Called from native code for every
 * outgoing {@code wasi:http} request and every {@code wasi:sockets} address, possibly on a thread
 * other than the caller's. It must be fast and must not throw (a throw counts as a denial).
 */
@FunctionalInterface
public interface EgressCheck {
    /** What the guest is doing; the numbers match {@code wassette_egress_kind_t}. */
    enum Kind {
        HTTP, TCP_CONNECT, TCP_BIND, TCP_LISTEN, TCP_ACCEPT, UDP_BIND, UDP_SEND, UDP_RECEIVE;

        static Kind of(int code) {
            Kind[] all = values();
            return code >= 0 && code < all.length ? all[code] : null;
        }
    }

    /**
     * @param scheme {@code http}/{@code https} for {@link Kind#HTTP}, empty for sockets
     * @param host   host name or IP literal for HTTP; the IP address for sockets
     */
    boolean allows(Kind kind, String scheme, String host, int port);

    /** Nothing reaches the network. */
    EgressCheck DENY_ALL = (kind, scheme, host, port) -> false;
}
