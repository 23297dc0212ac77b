package dev.wassette.policy;

import java.net.InetAddress;
import java.util.Locale;

/**
 * A network host rule: {@code api.example.com}, {@code *.example.org} (any subdomain),
 * {@code *} (any host), optionally with a scheme ({@code https://h.example}) and a port; a path
 * after the host is ignored. Host names match case-insensitively.
 *
 * @param scheme {@code http} or {@code https}, or null for any
 * @param host the host name, {@code *.suffix}, {@code *} or an IP literal, in lower case
 * @param port the port, or -1 for any
 */
public record HostPattern(String scheme, String host, int port) {

    /**
     * Parses a host rule.
     *
     * @param rule e.g. {@code api.example.com}, {@code *.example.org}, {@code https://h.example:8443}
     * @return the pattern
     * @throws IllegalArgumentException if the scheme is not http(s), the port is invalid or the host empty
     */
    public static HostPattern parse(String rule) {
        String rest = rule.trim();
        String scheme = null;
        int sep = rest.indexOf("://");
        if (sep >= 0) {
            scheme = rest.substring(0, sep).toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("scheme \"" + scheme + "\" is not http or https");
            }
            rest = rest.substring(sep + 3);
        }
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            rest = rest.substring(0, slash);
        }
        int port = -1;
        String host = rest;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unterminated IPv6 literal");
            }
            host = rest.substring(1, close);
            String after = rest.substring(close + 1);
            if (after.startsWith(":")) {
                port = port(after.substring(1));
            }
            InetAddress.ofLiteral(host);
        } else if (rest.indexOf(':') >= 0 && rest.indexOf(':') == rest.lastIndexOf(':')) {
            host = rest.substring(0, rest.indexOf(':'));
            port = port(rest.substring(rest.indexOf(':') + 1));
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        return new HostPattern(scheme, host.toLowerCase(Locale.ROOT), port);
    }

    private static int port(String s) {
        try {
            int p = Integer.parseInt(s);
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("port " + p + " is out of range");
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port \"" + s + "\" is not a number");
        }
    }

    /**
     * Whether a request to {@code scheme://host:port} matches this rule.
     *
     * @param requestScheme the request's scheme; null or empty matches any rule scheme
     * @param requestHost the request's host
     * @param requestPort the request's port
     * @return true if scheme, port and host match
     */
    public boolean matches(String requestScheme, String requestHost, int requestPort) {
        if (scheme != null && requestScheme != null && !requestScheme.isEmpty() && !scheme.equals(requestScheme)) {
            return false;
        }
        if (port > 0 && port != requestPort) {
            return false;
        }
        return matchesHost(requestHost);
    }

    /**
     * Whether {@code requestHost} matches this rule's host, ignoring scheme and port.
     *
     * @param requestHost a host name or IP literal; case and a trailing dot are ignored
     * @return true if it matches
     */
    public boolean matchesHost(String requestHost) {
        String h = requestHost.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (host.equals("*")) {
            return true;
        }
        if (host.startsWith("*.")) {
            String suffix = host.substring(1); // ".example.org"
            return h.endsWith(suffix) && h.length() > suffix.length();
        }
        String exact = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        return h.equals(exact);
    }
}
