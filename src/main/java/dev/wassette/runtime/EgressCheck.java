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
        /** An outgoing {@code wasi:http} request. */ HTTP,
        /** A TCP connection to a remote address. */ TCP_CONNECT,
        /** Binding a TCP socket to a local address. */ TCP_BIND,
        /** Listening on a bound TCP socket. */ TCP_LISTEN,
        /** Accepting a TCP connection from a remote address. */ TCP_ACCEPT,
        /** Binding a UDP socket to a local address. */ UDP_BIND,
        /** Sending a UDP datagram to a remote address. */ UDP_SEND,
        /** Receiving UDP datagrams from a remote address. */ UDP_RECEIVE;

        static Kind of(int code) {
            Kind[] all = values();
            return code >= 0 && code < all.length ? all[code] : null;
        }
    }

    /**
     * Decides one destination.
     *
     * @param kind    what the guest is doing
     * @param scheme  {@code http}/{@code https} for {@link Kind#HTTP}, empty for sockets
     * @param host    the host as the guest named it (name or IP literal); for sockets the IP address
     * @param address the IP address the connection would go to: for HTTP the host resolves once, in
     *                the host process, and each resulting address is checked; the request connects
     *                only to an allowed one (no DNS rebinding between check and connect)
     * @param port    the port
     * @return true to allow, false to deny
     */
    boolean allows(Kind kind, String scheme, String host, String address, int port);

    /** Nothing reaches the network. */
    EgressCheck DENY_ALL = (kind, scheme, host, address, port) -> false;
}
