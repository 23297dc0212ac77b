package dev.wassette.tools;

import java.util.List;

/** A guest backtrace for results and logs: bounded, so a deep recursion cannot flood either. */
public final class GuestBacktrace {
    public static final int MAX_FRAMES = 16;
    private static final int MAX_FRAME_CHARS = 160;

    private GuestBacktrace() {}

    /** "\nguest backtrace:\n  frame…" (innermost first), or "" when there is none. */
    public static String text(List<String> frames) {
        if (frames.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder("\nguest backtrace:");
        for (String frame : bounded(frames)) {
            out.append("\n  ").append(frame);
        }
        return out.toString();
    }

    /** At most {@value #MAX_FRAMES} frames, each cut to a sane length, plus a count of the rest. */
    public static List<String> bounded(List<String> frames) {
        List<String> out = new java.util.ArrayList<>(Math.min(frames.size(), MAX_FRAMES + 1));
        for (int i = 0; i < frames.size() && i < MAX_FRAMES; i++) {
            String f = frames.get(i);
            out.add(f.length() > MAX_FRAME_CHARS ? f.substring(0, MAX_FRAME_CHARS) + "…" : f);
        }
        if (frames.size() > MAX_FRAMES) {
            out.add("… " + (frames.size() - MAX_FRAMES) + " more frames");
        }
        return out;
    }
}
