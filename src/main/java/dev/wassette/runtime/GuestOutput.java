package dev.wassette.runtime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Collects a guest's stdout or stderr and hands it on line by line (never to the process stdout,
 * which in stdio mode carries only JSON-RPC). Lines longer than {@code maxLine} bytes are split.
 */
final class GuestOutput {
    private final Consumer<String> lines;
    private final int maxLine;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    GuestOutput(Consumer<String> lines, int maxLine) {
        this.lines = lines;
        this.maxLine = maxLine;
    }

    synchronized void write(byte[] bytes) {
        for (byte b : bytes) {
            if (b == '\n') {
                emit();
            } else {
                pending.write(b);
                if (pending.size() >= maxLine) {
                    emit();
                }
            }
        }
    }

    synchronized void flush() {
        if (pending.size() > 0) {
            emit();
        }
    }

    private void emit() {
        String line = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        lines.accept(line);
    }
}
