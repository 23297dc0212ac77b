package dev.wassette.mcp;

/**
 * Where the log lines that belong to one session also go, besides the server's log: the stderr of
 * that session's client. A daemon session's client is its shim, whose stderr is what an MCP client
 * shows as the server's log; lines of other sessions never reach it.
 */
@FunctionalInterface
public interface SessionLog {
    void log(System.Logger.Level level, String logger, String message);
}
