package dev.wassette.tools;

/**
 * Two functions would be served under one tool name (tool names are global): another component
 * already provides it, or one component exports two functions whose names flatten to it. The
 * message names both sides.
 */
public final class ToolNameConflictException extends RuntimeException {
    private final String toolName;

    public ToolNameConflictException(String toolName, String message) {
        super(message);
        this.toolName = toolName;
    }

    /** The tool name both would have. */
    public String toolName() {
        return toolName;
    }
}
