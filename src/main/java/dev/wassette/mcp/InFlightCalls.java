package dev.wassette.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.host.CallContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tool calls in flight, by a key made of the transport session and the JSON-RPC request id, so that
 * {@code notifications/cancelled} (and a closed session) can stop the guest running them. The SDK
 * hands tool handlers neither the request id nor cancellations, so the transports stamp each
 * {@code tools/call} with its key in {@code params._meta} (overwriting anything the client put
 * there) before the SDK sees it, and the handler looks its call up by that key.
 */
final class InFlightCalls {
    private static final System.Logger LOG = System.getLogger("dev.wassette.mcp");
    static final String META_KEY = "dev.wassette/call";

    private final Map<String, CallContext> calls = new ConcurrentHashMap<>();
    /** Keys of cancelled calls whose response must not be sent. */
    private final Set<String> suppressed = ConcurrentHashMap.newKeySet();

    static String key(String session, JsonNode id) {
        return session + "/" + id;
    }

    /**
     * Stamps every {@code tools/call} request in {@code message} (an object or a batch) with its key
     * and registers the call, so a cancellation that arrives before the handler runs is not lost.
     * Any other message loses a key a client put there itself: only the transport names calls.
     *
     * @return the keys of the calls stamped
     */
    List<String> accept(String session, JsonNode message) {
        if (message.isArray()) {
            List<String> keys = new ArrayList<>();
            for (JsonNode m : message) {
                keys.addAll(accept(session, m));
            }
            return keys;
        }
        if (!message.isObject()) {
            return List.of();
        }
        if (!"tools/call".equals(message.path("method").asText()) || !message.hasNonNull("id")) {
            if (message.path("params").path("_meta") instanceof ObjectNode meta) {
                meta.remove(META_KEY);
            }
            return List.of();
        }
        String key = key(session, message.get("id"));
        ObjectNode params = message.get("params") instanceof ObjectNode p ? p : ((ObjectNode) message).putObject("params");
        ObjectNode meta = params.get("_meta") instanceof ObjectNode m ? m : params.putObject("_meta");
        meta.put(META_KEY, key);
        calls.put(key, new CallContext());
        return List.of(key);
    }

    /** Cancels the calls under {@code keys} that still run (their client went away). */
    void cancel(List<String> keys, String reason) {
        for (String key : keys) {
            CallContext call = calls.get(key);
            if (call != null) {
                call.cancel(reason);
                LOG.log(System.Logger.Level.INFO, "call {0} cancelled: {1}", key, reason);
            }
        }
    }

    /** The call a tool handler runs: the one accepted under the key in {@code meta}, or a fresh one. */
    CallContext begin(Map<String, Object> meta) {
        String key = meta == null ? null : meta.get(META_KEY) instanceof String k ? k : null;
        return key == null ? new CallContext() : calls.computeIfAbsent(key, k -> new CallContext());
    }

    /** The handler of the call under {@code meta}'s key has returned. */
    void end(Map<String, Object> meta) {
        if (meta != null && meta.get(META_KEY) instanceof String key) {
            calls.remove(key);
        }
    }

    /**
     * Handles {@code notifications/cancelled}: stops the call if it still runs; with {@code dropResponse}
     * the transport will drop its response ({@link #takeSuppressed}).
     */
    boolean cancel(String session, JsonNode params, boolean dropResponse) {
        JsonNode id = params == null ? null : params.get("requestId");
        if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
            return false;
        }
        String key = key(session, id);
        CallContext call = calls.get(key);
        if (call == null) {
            return false; // already answered (or never a tool call): nothing to stop
        }
        String reason = params.path("reason").isTextual() ? params.get("reason").asText() : "cancelled by the client";
        if (dropResponse) {
            suppressed.add(key);
        }
        call.cancel(reason);
        LOG.log(System.Logger.Level.INFO, "request {0} cancelled: {1}", id, reason);
        return true;
    }

    /** Cancels every call of a session that ended (stream or session closed); nobody is left to answer. */
    void cancelSession(String session, String reason) {
        String prefix = session + "/";
        calls.forEach((key, call) -> {
            if (key.startsWith(prefix)) {
                call.cancel(reason);
            }
        });
    }

    /**
     * The transport is writing the response to {@code id}: the call is over (also when the SDK
     * answered it without running the handler). Returns whether the response must be dropped,
     * because the request was cancelled.
     */
    boolean answered(String session, JsonNode id) {
        String key = key(session, id);
        calls.remove(key);
        return !suppressed.isEmpty() && suppressed.remove(key);
    }

    /** The requests under {@code keys} have been answered (their HTTP exchange is over). */
    void forget(List<String> keys) {
        keys.forEach(calls::remove);
    }

    int size() {
        return calls.size();
    }

    /** Whether some call has entered its guest (for tests that must cancel a running guest). */
    boolean anyRunning() {
        return calls.values().stream().anyMatch(CallContext::isRunning);
    }
}
