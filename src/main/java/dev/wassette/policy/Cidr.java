package dev.wassette.policy;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network such as {@code 10.0.0.0/8}; matches addresses of the same family.
 *
 * @param network the network address, host bits cleared (4 or 16 bytes)
 * @param prefix the prefix length in bits
 */
public record Cidr(byte[] network, int prefix) {

    /**
     * Parses {@code address/prefix}; host bits of the address are cleared.
     *
     * @param text e.g. {@code 10.0.0.0/8} or {@code fd00::/8}
     * @return the network
     * @throws IllegalArgumentException if the text is not an IP literal with an in-range prefix
     */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("expected address/prefix, e.g. 10.0.0.0/8");
        }
        InetAddress address;
        try {
            address = InetAddress.ofLiteral(text.substring(0, slash));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + text.substring(0, slash) + "\" is not an IP address");
        }
        int prefix;
        try {
            prefix = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("prefix \"" + text.substring(slash + 1) + "\" is not a number");
        }
        byte[] bytes = address.getAddress();
        if (prefix < 0 || prefix > bytes.length * 8) {
            throw new IllegalArgumentException("prefix /" + prefix + " is out of range for " + (bytes.length == 4 ? "IPv4" : "IPv6"));
        }
        return new Cidr(mask(bytes, prefix), prefix);
    }

    /**
     * Whether {@code address} is in this network.
     *
     * @param address an address
     * @return true if it has the same family and matches the first {@code prefix} bits
     */
    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length != network.length) {
            return false;
        }
        return Arrays.equals(mask(bytes, prefix), network);
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (bits == 0 ? 0 : 0xFF << (8 - bits));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefix;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
