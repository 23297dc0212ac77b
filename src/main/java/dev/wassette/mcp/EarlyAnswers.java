package dev.wassette.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.wassette.host.AtomicFiles;
import dev.wassette.host.ComponentMetadata;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * What {@code wassette-shim} may answer on the daemon's behalf while a new daemon starts: the
 * daemon's {@code initialize} result (one per protocol version it speaks) and its {@code tools/list}
 * result, kept in a file beside the daemon's socket ({@code <key>.early.json}) and rewritten whenever
 * the tools or the component store change. A client that starts a session when no daemon runs thus
 * gets its first answers in milliseconds instead of after the JVM's start; its first tool call waits
 * for the daemon. {@code run} without the daemon keeps such a file too ({@code run-<key>.early.json}),
 * which the next run of its configuration answers from while its own server starts ({@link EarlyResponder}).
 *
 * <p>The file also records the store directory's stamp (its modification time) and each file's in
 * it (size, modification time): the shim answers from it only while those are unchanged, that is,
 * while no process changed the store since a daemon last saw it; and the stamps of the files the
 * configuration comes from (config file, env file, manifest), so that a changed configuration, which
 * may name another store or other components, is not answered from it. Whatever the shim listed, the daemon
 * that takes the session over compares with its own tools ({@link #toolsDigest}) and sends
 * {@code notifications/tools/list_changed} if they differ ({@link StreamTransport}), so the client
 * never keeps a stale list.
 */
public final class EarlyAnswers {
    private static final System.Logger LOG = System.getLogger("dev.wassette.mcp");
    /** The file's format; the shim ignores a file of another. */
    static final int FORMAT = 3;
    /** How long the answers of a configuration no process wrote are kept. */
    public static final java.time.Duration KEPT = java.time.Duration.ofDays(7);
    /** The files of the daemons' answers ({@code <hex key>.early.json}), not those of {@code run} ({@code run-<key>.early.json}). */
    public static final String DAEMON_FILES = "[0-9a-f]*.early.json";
    /** The {@code "for"} of the answers for a store content, which depend on the build and the content alone. */
    static final String FOR_STORE_CONTENT = "store-content";
    /** How long a write waits after the change that asked for it. */
    static final java.time.Duration REFRESH_DELAY = java.time.Duration.ofMillis(500);

    private final Path file;
    private final WassetteMcpServer server;
    private final List<String> protocolVersions;
    private final Path storeDirectory;
    private final List<Path> configurationFiles;
    private final Path workingDirectory;
    /** Where the answers for store contents are kept (null: not written, see the constructor). */
    private final Path answersDirectory;
    private final ObjectMapper json;
    private final Object writing = new Object();
    /** {@link #writeLast} was called: the daemon is stopping. */
    private volatile boolean stopped;
    /** A write has been started and has not yet begun reading the state. */
    private final java.util.concurrent.atomic.AtomicBoolean refreshing = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Answers for {@code server}'s sessions, which speak {@code protocolVersions} (the last is the
     * latest), over the store in {@code storeDirectory}, configured by {@code configurationFiles} (the
     * config file, an env file, a manifest: each recorded with its stamp, or as absent), resolved in
     * {@code workingDirectory} if a path of the configuration is relative (null if none is: then the
     * answers hold in every working directory, else only in that one).
     */
    public EarlyAnswers(Path file, WassetteMcpServer server, List<String> protocolVersions, Path storeDirectory, List<Path> configurationFiles,
                        Path workingDirectory) {
        this(file, server, protocolVersions, storeDirectory, configurationFiles, workingDirectory, null);
    }

    /**
     * The same, and each write also records the answers for the store's content in {@code
     * answersDirectory} ({@link #writeForStoreContent}), unless answers for that content are there;
     * null: not, as for a server that serves more or less than the built-in tools and its store's
     * components (a manifest's, none built in), whose tools the content does not tell.
     */
    public EarlyAnswers(Path file, WassetteMcpServer server, List<String> protocolVersions, Path storeDirectory, List<Path> configurationFiles,
                        Path workingDirectory, Path answersDirectory) {
        this.file = file;
        this.answersDirectory = answersDirectory;
        this.server = server;
        this.protocolVersions = List.copyOf(protocolVersions);
        this.storeDirectory = storeDirectory;
        this.configurationFiles = List.copyOf(configurationFiles);
        this.workingDirectory = workingDirectory == null ? null : workingDirectory.toAbsolutePath();
        this.json = server.objectMapper();
    }

    /** The file beside a daemon's socket {@code <dir>/<key>.sock}: {@code <dir>/<key>.early.json}. */
    public static Path besideSocket(Path socket) {
        String name = socket.getFileName().toString();
        String key = name.endsWith(".sock") ? name.substring(0, name.length() - ".sock".length()) : name;
        return socket.resolveSibling(key + ".early.json");
    }

    /**
     * Writes the file again from the server's current state, on a thread of its own (the caller is
     * a session's or the store watcher's), {@link #REFRESH_DELAY} after the change: the file is for
     * the next session that starts without a server, and the changes come when the CPU is busiest,
     * at the end of a start's loading, while a session's first answers are due. Changes that come while a
     * write waits to start share it; writes never overlap, and each reads the state when it runs, so
     * the last one written is the latest.
     */
    public void refresh() {
        if (!stopped && refreshing.compareAndSet(false, true)) {
            Thread.ofPlatform().name("wassette-early-answers").daemon().start(() -> {
                try {
                    Thread.sleep(REFRESH_DELAY);
                } catch (InterruptedException e) {
                    refreshing.set(false); // unwritten; the next change writes
                    return;
                }
                synchronized (writing) {
                    if (refreshing.getAndSet(false) && !stopped) { // a change from here on starts another write, after this one
                        write();
                    }
                }
            });
        }
    }

    /** Writes at once what a {@link #refresh} is waiting to write, if any (as a process ends). */
    public void flush() {
        synchronized (writing) {
            if (refreshing.getAndSet(false)) {
                write();
            }
        }
    }

    /**
     * Writes the file as the daemon stops, and no more after: if the server follows the store, after
     * taking in what changed there since its watcher last looked, so that the next session's shim
     * finds the store as the file records it.
     */
    public void writeLast(boolean followsStore) {
        stopped = true;
        if (followsStore) {
            server.syncStore();
        }
        write();
    }

    /**
     * Writes the file now (nothing before the server is built); a failure is logged (the shim then
     * finds no file, or an old one whose stamps it checks).
     */
    public void write() {
        synchronized (writing) {
            if (server.initializeResult(protocolVersions.getLast()) == null) {
                return;
            }
            ObjectNode answers = null; // made once: the store content's answers are the same, without the stamps
            try {
                // The store's stamp first: a change after it is seen as a change, even if the tools below already have it.
                ObjectNode store = storeStamp();
                ObjectNode configuration = json.createObjectNode();
                for (Path f : configurationFiles) {
                    configuration.set(f.toAbsolutePath().toString(), stampOf(ComponentMetadata.FileStamp.of(f.toAbsolutePath())));
                }
                answers = answers(server, protocolVersions, server.listTools());
                ObjectNode root = answers.deepCopy();
                root.set("store", store);
                root.set("configuration", configuration);
                root.put("workingDirectory", workingDirectory == null ? null : workingDirectory.toString());
                AtomicFiles.write(file, json.writeValueAsBytes(root), PosixFilePermissions.fromString("rw-------"));
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot write the early answers {0}: {1}", file, e.getMessage());
            }
            if (answers != null && answersDirectory != null) {
                List<String> content = StoreContent.of(storeDirectory);
                if (content != null) {
                    writeForStoreContent(StoreContent.answersFile(answersDirectory, content), answers, json);
                }
            }
        }
    }

    /**
     * Writes what a server of this build answers with an empty store, in {@code answersDirectory}:
     * its {@code initialize} results and the built-in tools, whatever this server's own store and
     * options. A failure is logged.
     */
    public static void writeForEmptyStore(Path answersDirectory, WassetteMcpServer server, List<String> protocolVersions) {
        if (server.initializeResult(protocolVersions.getLast()) == null) {
            return;
        }
        Path file = StoreContent.answersFile(answersDirectory, List.of());
        try {
            writeForStoreContent(file, answers(server, protocolVersions, server.builtinTools()), server.objectMapper());
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot write the early answers {0}: {1}", file, e.getMessage());
        }
    }

    /**
     * Writes to {@code file}, unless answers listing the same tools are there, a server's {@code
     * answers} ({@link #answers}) for a store content (see {@link StoreContent}): {@link
     * EarlyResponder} answers a configuration no run recorded from them. They record no stamps: the
     * file's name is the content's key. Rewritten when the tools differ (a component of the content
     * that failed to load, then loaded). A failure is logged.
     */
    private static void writeForStoreContent(Path file, ObjectNode answers, ObjectMapper json) {
        try {
            EarlyResponder.Recorded there = EarlyResponder.Recorded.loadForStoreContent(file);
            if (there != null && there.digest.equals(answers.path("toolsDigest").asText())) {
                return;
            }
            ObjectNode root = answers.deepCopy();
            root.put("for", FOR_STORE_CONTENT);
            AtomicFiles.write(file, json.writeValueAsBytes(root), PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot write the early answers {0}: {1}", file, e.getMessage());
        }
    }

    /** {"format", "initialize": {"latest", "results": {version: result}}, "tools": the list result of {@code tools}, "toolsDigest"}. */
    private static ObjectNode answers(WassetteMcpServer server, List<String> protocolVersions, List<McpSchema.Tool> tools) throws IOException {
        ObjectMapper json = server.objectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("format", FORMAT);
        ObjectNode initialize = root.putObject("initialize");
        initialize.put("latest", protocolVersions.getLast());
        ObjectNode results = initialize.putObject("results");
        for (String version : protocolVersions) {
            results.set(version, json.valueToTree(server.initializeResult(version)));
        }
        root.set("tools", json.valueToTree(new McpSchema.ListToolsResult(tools, null)));
        root.put("toolsDigest", toolsDigest(tools, json));
        return root;
    }

    private static String digest(byte[] json) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * SHA-256 (hex) of the tools a session would list now, in the order of their names: a server
     * that registered the same tools in another order (one started since) has the same digest.
     */
    static String toolsDigest(WassetteMcpServer server) {
        try {
            return toolsDigest(server.listTools(), server.objectMapper());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String toolsDigest(List<McpSchema.Tool> tools, ObjectMapper json) throws IOException {
        return digest(json.writeValueAsBytes(tools.stream().sorted(java.util.Comparator.comparing(McpSchema.Tool::name)).toList()));
    }

    /**
     * {"directory": path, "modified": ns, "files": {name: [size, ns]}} (modification times in
     * nanoseconds since the epoch): what the shim compares with what it finds. A store not created
     * yet has "modified": null and no files.
     */
    private ObjectNode storeStamp() throws IOException {
        ObjectNode store = json.createObjectNode();
        Path dir = storeDirectory.toAbsolutePath();
        store.put("directory", dir.toString());
        ObjectNode files = store.putObject("files");
        BasicFileAttributes directory;
        try {
            directory = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            store.putNull("modified");
            return store;
        }
        store.put("modified", ComponentMetadata.FileStamp.of(directory).modifiedNanos());
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (attributes.isRegularFile()) {
                    files.set(entry.getFileName().toString(), stampOf(ComponentMetadata.FileStamp.of(attributes)));
                }
            }
        }
        return store;
    }

    /** [size, ns] of a file's stamp, or null when there is no file (a config file not written yet must still not be there). */
    private JsonNode stampOf(ComponentMetadata.FileStamp stamp) {
        return stamp == null ? json.nullNode() : json.createArrayNode().add(stamp.size()).add(stamp.modifiedNanos());
    }

    /**
     * Deletes the files in {@code dir} that match {@code glob} and that no process wrote for {@link
     * #KEPT} (a store or config given once, another build), except {@code own}: each configuration
     * leaves a file of its own. A failure is logged.
     */
    public static void forgetStale(Path dir, String glob, Set<Path> own) {
        java.nio.file.attribute.FileTime oldest = java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(KEPT));
        try (DirectoryStream<Path> stored = Files.newDirectoryStream(dir, glob)) {
            for (Path f : stored) {
                if (!own.contains(f) && Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS).compareTo(oldest) < 0) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot clear old early answers in {0}: {1}", dir, e.getMessage());
        }
    }

    /** The ids of requests the shim answered, as {@link StreamTransport} keys them, and the digest of the tools it listed (null: none). */
    public record Answered(Set<String> requestIds, String toolsDigest) {
        public Answered {
            requestIds = Set.copyOf(requestIds);
        }
    }
}
