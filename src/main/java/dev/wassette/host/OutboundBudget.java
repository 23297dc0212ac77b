package dev.wassette.host;

import dev.wassette.runtime.EgressCheck;
import java.util.function.Consumer;

/**
 * One call's {@code outbound_requests} quota over its network rules: the outgoing HTTP requests and
 * TCP connections the rules allow are counted, and one beyond the quota is denied (reported as a
 * quota denial, not a network one). An HTTP request is counted once, at its first check: the
 * host's name before it is resolved, or the address when the guest named an IP address; the checks
 * of the addresses a name resolves to belong to the same request.
 */
final class OutboundBudget implements EgressCheck {
    private final EgressCheck rules;
    private final int limit;
    private final Consumer<String> quotaDenials;
    private int used; // guarded by this

    OutboundBudget(EgressCheck rules, int limit, Consumer<String> quotaDenials) {
        this.rules = rules;
        this.limit = limit;
        this.quotaDenials = quotaDenials;
    }

    @Override
    public boolean allows(Kind kind, String scheme, String host, String address, int port) {
        if (!rules.allows(kind, scheme, host, address, port)) {
            return false;
        }
        boolean newRequest = kind == Kind.TCP_CONNECT || kind == Kind.HTTP && (address.isEmpty() || address.equals(host));
        if (!newRequest) {
            return true;
        }
        synchronized (this) {
            if (used < limit) {
                used++;
                return true;
            }
        }
        quotaDenials.accept(kind + " " + (scheme.isEmpty() ? "" : scheme + "://") + host + ":" + port
                + " denied: quota outbound_requests (" + limit + ") reached for this call");
        return false;
    }
}
