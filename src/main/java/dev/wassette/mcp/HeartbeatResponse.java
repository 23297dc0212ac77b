package dev.wassette.mcp;

import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;

/**
 * The response of a streamed tool call, with SSE heartbeats. A server learns that a client closed
 * its connection only when it writes to it, and a call's stream is silent until the answer: a
 * comment line ({@code :}, ignored by SSE clients) written now and then makes a closed connection
 * show up as a write error. The SDK's events are buffered until it flushes and then written whole,
 * so a heartbeat never lands inside an event.
 */
final class HeartbeatResponse extends HttpServletResponseWrapper {
    private final Object lock = new Object();
    private PrintWriter target;
    private PrintWriter writer;
    private boolean finished;

    HeartbeatResponse(HttpServletResponse response) {
        super(response);
    }

    @Override
    public PrintWriter getWriter() throws IOException {
        synchronized (lock) {
            if (writer == null) {
                target = super.getWriter();
                writer = new PrintWriter(new EventWriter(), false);
            }
            return writer;
        }
    }

    /**
     * Writes a heartbeat if the SDK is streaming events; returns false when the connection is gone.
     */
    boolean beat() {
        synchronized (lock) {
            if (finished || target == null || !String.valueOf(getContentType()).startsWith("text/event-stream")) {
                return true;
            }
            target.write(":\n\n");
            target.flush();
            return !target.checkError();
        }
    }

    /** No heartbeat after this: the stream belongs to the container again. */
    void finish() {
        synchronized (lock) {
            finished = true;
        }
    }

    /** Collects what the SDK writes and passes it on whole at each flush. */
    private final class EventWriter extends Writer {
        private final StringBuilder pending = new StringBuilder();

        @Override
        public void write(char[] chars, int off, int len) {
            synchronized (lock) {
                pending.append(chars, off, len);
            }
        }

        @Override
        public void flush() {
            synchronized (lock) {
                if (!pending.isEmpty()) {
                    target.write(pending.toString());
                    pending.setLength(0);
                }
                target.flush();
            }
        }

        @Override
        public void close() {
            synchronized (lock) {
                flush();
                target.close();
            }
        }
    }
}
