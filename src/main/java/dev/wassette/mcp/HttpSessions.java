package dev.wassette.mcp;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The streamable-HTTP sessions as the request filter sees them: how many are open (for
 * {@link HttpLimits#maxSessions}), each one's requests in flight (for
 * {@link HttpLimits#maxRequestsPerSession}) and when each last made a request. A session ends when
 * its client deletes it, or when it has made no request for twice the idle timeout (by then the
 * transport has swept it, unless it holds an event stream open, which the connection idle timeout bounds).
 */
final class HttpSessions {
    private static final class Session {
        final AtomicInteger inFlight = new AtomicInteger();
        volatile long lastRequest = System.nanoTime();
    }

    private final HttpLimits limits;
    private final SessionDurations durations;
    private final Map<String, Session> open = new ConcurrentHashMap<>();

    HttpSessions(HttpLimits limits, SessionDurations durations) {
        this.limits = limits;
        this.durations = durations;
    }

    /** Whether another session may start now. */
    boolean mayStart() {
        sweep();
        return open.size() < limits.maxSessions();
    }

    /** The SDK created session {@code id}. */
    void started(String id) {
        open.putIfAbsent(id, new Session());
        durations.started(key(id), "tcp");
    }

    /** The client deleted session {@code id}. */
    void ended(String id) {
        if (open.remove(id) != null) {
            durations.ended(key(id));
        }
    }

    /**
     * A request of session {@code id} begins: false (and nothing counted) when the session already
     * has {@link HttpLimits#maxRequestsPerSession} in flight. A session this registry does not know
     * (unknown to the transport too, or swept) is not limited here: the transport answers it.
     */
    boolean begin(String id) {
        Session s = open.get(id);
        if (s == null) {
            return true;
        }
        s.lastRequest = System.nanoTime();
        if (s.inFlight.incrementAndGet() > limits.maxRequestsPerSession()) {
            s.inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    /** A request that {@link #begin} admitted has been answered. */
    void end(String id) {
        Session s = open.get(id);
        if (s != null) {
            s.inFlight.decrementAndGet();
            s.lastRequest = System.nanoTime();
        }
    }

    /** Any request (or event-stream GET) of session {@code id}: it is in use. */
    void touch(String id) {
        Session s = open.get(id);
        if (s != null) {
            s.lastRequest = System.nanoTime();
        }
    }

    int size() {
        return open.size();
    }

    /** Ends the sessions idle for twice the idle timeout (none with a request in flight). */
    void sweep() {
        long idle = limits.sessionIdleTimeout().multipliedBy(2).toNanos();
        long now = System.nanoTime();
        open.forEach((id, s) -> {
            if (s.inFlight.get() == 0 && now - s.lastRequest > idle && open.remove(id, s)) {
                durations.ended(key(id));
            }
        });
    }

    static String key(String id) {
        return "http/" + id;
    }

    Duration idleTimeout() {
        return limits.sessionIdleTimeout();
    }
}
