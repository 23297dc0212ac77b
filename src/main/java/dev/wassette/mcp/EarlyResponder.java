package dev.wassette.mcp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.wassette.host.ComponentMetadata;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Answers the opening of a stdio session from the answers the last server of the same build and
 * configuration recorded ({@link EarlyAnswers}), while this process's server is still being built:
 * what {@code wassette-shim} does for the daemon (native/shim/src/early.rs), for {@code run} in a
 * process of its own. A client gets {@code initialize} and its first {@code tools/list} when the JVM
 * has started, instead of after the engine, the MCP SDK and the store are ready.
 *
 * <p>The same rules as the shim's (both run the cases of {@code native/shim/src/early-cases.json} in
 * their tests): the recorded answers are used only while the stamps of the store
 * and of the configuration's files they record still hold; {@code initialize} first, then, after
 * {@code notifications/initialized}, {@code tools/list} (first page) and {@code ping}; the first
 * other message ends the answering. The server then reads everything from the start ({@link
 * #handOver}): it skips its answers to the requests answered here, and sends
 * {@code notifications/tools/list_changed} if its tools are not the ones listed.
 *
 * <p>A configuration no run recorded yet (a new store, other options, a new environment, a new
 * login session) is answered from what a server of this build answered for the same store content
 * ({@link StoreContent}, {@link EarlyAnswers#writeForStoreContent}), kept in the user's cache: when the
 * server, as configured, serves the built-in tools and the store's components and nothing else, and
 * every component's metadata is of its current bytes. That takes the configuration, which the command
 * line gives ({@link #configured}); until then the answering waits, reading nothing.
 *
 * <p>One thread reads stdin until the server takes over; the read in progress then (if any) is the
 * server's first input, and the server reads stdin itself after it. No thread stays in between.
 */
public final class EarlyResponder {
    private static final System.Logger LOG = System.getLogger("dev.wassette.mcp");
    /** Turns early answers off (the shim's and these) when {@code 0} or {@code off}. */
    public static final String DISABLE = "WASSETTE_DAEMON_EARLY";
    /** Past this much input the answering stops: a session's opening is a few hundred bytes. */
    static final int MAX_INPUT = 1 << 20;
    /** Environment variables that can change what a server serves (as the shim's key has them). */
    private static final List<String> CONFIG_VARIABLES = List.of("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME");

    private static final JsonFactory JSON = new JsonFactory();
    private static volatile EarlyResponder started;

    private enum Stage { OPENING, INITIALIZING, READY, DONE }

    /** Where the answers are: found on the answering thread, off the start's main thread (null: no private runtime directory). */
    private final java.util.function.Supplier<AnswerFiles> locate;
    private final java.util.concurrent.CompletableFuture<AnswerFiles> files = new java.util.concurrent.CompletableFuture<>();
    /** This process's working directory: a recording of a configuration with a relative path holds only in its own. */
    private final Path workingDirectory;
    /** The file the answers given came from (null: none loaded). */
    private volatile Path answeredFrom;
    /** What {@link #configured} said; null until then. */
    private Configuration configuration;
    private final InputStream in;
    private final OutputStream out;
    private final Object lock = new Object();
    /** Every byte read before the hand-over, answered or not. */
    private final ByteArrayOutputStream replay = new ByteArrayOutputStream();
    /** Ids of the requests answered, as {@link StreamTransport} keys them. */
    private final Set<String> answered = new HashSet<>();
    private String toolsDigest;
    private Stage stage = Stage.OPENING;
    /** Where the unparsed rest of {@link #replay} starts. */
    private int parsed;
    private boolean handedOver;
    /** The reading thread has stopped: at the end of the input, a failure, or after the hand-over. */
    private boolean readerDone;
    private IOException readFailure;
    /** Bytes the last read brought after the hand-over, for the server. */
    private byte[] afterHandOver = new byte[0];
    private boolean endAfterHandOver;

    private EarlyResponder(java.util.function.Supplier<AnswerFiles> locate, Path workingDirectory, InputStream in, OutputStream out) {
        this.locate = locate;
        this.workingDirectory = workingDirectory.toAbsolutePath().normalize();
        this.in = in;
        this.out = out;
    }

    /**
     * Starts answering from {@code file} (if it exists and still holds) on a thread of its own,
     * reading {@code in} and writing to {@code out}; {@link #handOver} ends it.
     */
    public static EarlyResponder start(Path file, InputStream in, OutputStream out) {
        return start(() -> new AnswerFiles(file, file, null), Path.of(""), in, out);
    }

    /**
     * Starts answering from {@code file}, or, if it does not hold, from the answers for the store's
     * content in {@code answersDirectory} once {@link #configured} says which store.
     */
    static EarlyResponder start(Path file, Path answersDirectory, InputStream in, OutputStream out) {
        return start(() -> new AnswerFiles(file, file, answersDirectory), Path.of(""), in, out);
    }

    private static EarlyResponder start(java.util.function.Supplier<AnswerFiles> locate, Path workingDirectory, InputStream in, OutputStream out) {
        EarlyResponder responder = new EarlyResponder(locate, workingDirectory, in, out);
        Thread.ofPlatform().name("wassette-early-answers").daemon().start(responder::run);
        return responder;
    }

    /** Starts one for this process's stdio session (see {@link #started()}), unless early answers are off. */
    public static void startForStdio(List<String> runArguments, Map<String, String> environment, Path workingDirectory,
                                     InputStream stdin, OutputStream stdout) {
        if (!wanted(environment)) {
            return;
        }
        started = start(() -> {
            Path dir = runtimeDirectory(environment);
            return dir == null ? null : new AnswerFiles(dir.resolve("run-" + key(runArguments, environment, workingDirectory) + ".early.json"),
                    dir.resolve("run-" + key(runArguments, environment, null) + ".early.json"), cachedAnswersDirectory());
        }, workingDirectory, stdin, stdout);
    }

    /** The responder {@link #startForStdio} started for this process, or null. */
    public static EarlyResponder started() {
        return started;
    }

    static boolean wanted(Map<String, String> environment) {
        String v = environment.get(DISABLE);
        return v == null || !(v.equals("0") || v.equalsIgnoreCase("off"));
    }

    /**
     * Where a configuration's answers are kept. A configuration with a relative path (of a store,
     * config file, manifest …) resolves it against the working directory, so its answers are kept
     * per working directory; one without is the same configuration in every directory, so one file
     * serves them all: an MCP client that starts a server per workspace finds it answered from the
     * first workspace's run. Only the server knows which it is (a config file may name a relative
     * store), so the answering tries both, the working directory's first; the stamps a file records
     * decide whether it still holds.
     */
    record AnswerFiles(Path inWorkingDirectory, Path inAnyWorkingDirectory, Path answersDirectory) {
        Path forServer(boolean resolvesAgainstWorkingDirectory) {
            return resolvesAgainstWorkingDirectory ? inWorkingDirectory : inAnyWorkingDirectory;
        }
    }

    /**
     * Where the server records its answers for the next process: per working directory if
     * {@code resolvesAgainstWorkingDirectory} (its configuration has a relative path), else in the
     * file every working directory shares; null when there is no private runtime directory for it.
     */
    public Path file(boolean resolvesAgainstWorkingDirectory) {
        AnswerFiles found = files.join();
        return found == null ? null : found.forServer(resolvesAgainstWorkingDirectory);
    }

    /** Where the answers for store contents are kept, or null if nowhere (no private cache directory). */
    public Path answersDirectory() {
        AnswerFiles found = files.join();
        return found == null ? null : found.answersDirectory();
    }

    /**
     * What the command line configured, once parsed: the server's store, and whether it serves the
     * built-in tools and the store's components and nothing else (no manifest provisions others, the
     * built-in tools are not disabled). The answering waits for this before it answers from the
     * answers for the store's content.
     */
    public void configured(Path storeDirectory, boolean servesBuiltinAndStoredToolsOnly) {
        synchronized (lock) {
            configuration = new Configuration(storeDirectory.toAbsolutePath(), servesBuiltinAndStoredToolsOnly);
            lock.notifyAll();
        }
    }

    private record Configuration(Path storeDirectory, boolean servesBuiltinAndStoredToolsOnly) {}

    /**
     * {@code $XDG_CACHE_HOME/wassette/answers}: the answers for store contents depend on the build
     * and the content alone and outlive a login session, so they are kept with the build's other
     * caches. Null unless the directory is this user's and nobody else can open it.
     */
    public static Path cachedAnswersDirectory() {
        return privateDirectory(dev.wassette.host.Paths.cacheDirectory().resolve("answers"), true);
    }

    /**
     * The answers a server of this build recorded for the content of the configured store, if any:
     * waits until the command line is parsed ({@link #configured}) or the server takes over; none
     * unless the configuration serves the built-in tools and the store's components only and the
     * store's content can be told from its metadata.
     */
    private Recorded answersForStoreContent(Path answersDirectory) {
        // The likeliest answers, an empty store's, are read while the command line is being parsed.
        Path forEmptyStore = StoreContent.answersFile(answersDirectory, List.of());
        Recorded emptyStoreAnswers = Recorded.loadForStoreContent(forEmptyStore);
        Configuration c;
        synchronized (lock) {
            while (configuration == null && !handedOver) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    return null;
                }
            }
            c = configuration;
        }
        if (c == null || !c.servesBuiltinAndStoredToolsOnly()) {
            return null;
        }
        List<String> content = StoreContent.of(c.storeDirectory());
        if (content == null) {
            return null;
        }
        Path f = content.isEmpty() ? forEmptyStore : StoreContent.answersFile(answersDirectory, content);
        Recorded answers = content.isEmpty() ? emptyStoreAnswers : Recorded.loadForStoreContent(f);
        if (answers != null) {
            answeredFrom = f;
        }
        return answers;
    }

    private void run() {
        AnswerFiles found;
        try {
            found = locate.get();
        } catch (RuntimeException e) {
            found = null; // no answers, as without a private runtime directory
        }
        files.complete(found);
        Recorded recorded = null;
        if (found != null) {
            for (Path f : new java.util.LinkedHashSet<>(List.of(found.inWorkingDirectory(), found.inAnyWorkingDirectory()))) {
                recorded = Recorded.load(f, workingDirectory);
                if (recorded != null) {
                    answeredFrom = f;
                    break;
                }
            }
            if (recorded == null && found.answersDirectory() != null) {
                recorded = answersForStoreContent(found.answersDirectory());
            }
        }
        if (recorded == null) {
            synchronized (lock) { // nothing to answer: stdin is the server's from the start
                readerDone = true;
                lock.notifyAll();
            }
            return;
        }
        byte[] buffer = new byte[8192];
        try {
            while (true) {
                synchronized (lock) {
                    if (handedOver) {
                        return; // before reading: stdin is the server's
                    }
                }
                int n = in.read(buffer);
                synchronized (lock) {
                    if (handedOver) {
                        if (n < 0) {
                            endAfterHandOver = true;
                        } else {
                            afterHandOver = java.util.Arrays.copyOf(buffer, n);
                        }
                        return;
                    }
                    if (n < 0) {
                        return;
                    }
                    replay.write(buffer, 0, n);
                    if (!answerLines(recorded) || replay.size() > MAX_INPUT) {
                        stage = Stage.DONE;
                        return; // the rest is the server's to read
                    }
                }
            }
        } catch (IOException e) {
            synchronized (lock) {
                if (handedOver) {
                    endAfterHandOver = true;
                }
                readFailure = e;
            }
        } finally {
            synchronized (lock) {
                readerDone = true;
                lock.notifyAll();
            }
        }
    }

    /** Answers the complete lines read so far; false at the first that is not answered here. */
    private boolean answerLines(Recorded recorded) throws IOException {
        byte[] bytes = replay.toByteArray();
        for (int end = indexOf(bytes, parsed); end >= 0; end = indexOf(bytes, parsed)) {
            byte[] reply = answer(recorded, bytes, parsed, end - parsed);
            if (reply == null) {
                return false;
            }
            if (reply.length > 0) {
                out.write(reply);
                out.flush();
            }
            parsed = end + 1;
        }
        return true;
    }

    private static int indexOf(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** The parts of a JSON-RPC message the answering looks at. */
    private record Message(String jsonrpc, String method, boolean hasId, String requestId, boolean hasParams,
                           boolean paramsIsObject, String protocolVersion, boolean hasCursor) {}

    /**
     * The reply to one line (empty: nothing to write), or null if the line is the server's to answer.
     * Read with Jackson's streaming parser: the JVM is new, and its data binding takes tens of
     * milliseconds to warm up, which the server pays on its own threads meanwhile.
     */
    private byte[] answer(Recorded recorded, byte[] bytes, int offset, int length) throws IOException {
        boolean blank = true;
        for (int i = offset; i < offset + length && blank; i++) {
            blank = bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r';
        }
        if (blank) {
            return new byte[0]; // the server skips blank lines too
        }
        Message m = parse(bytes, offset, length);
        if (m == null || !"2.0".equals(m.jsonrpc()) || m.method() == null) {
            return null;
        }
        boolean request = m.requestId() != null;
        switch (stage) {
            case OPENING -> {
                if (!request || !m.method().equals("initialize") || m.protocolVersion() == null) {
                    return null;
                }
                stage = Stage.INITIALIZING;
                return reply(m.requestId(), recorded.initializeResult(m.protocolVersion()));
            }
            case INITIALIZING -> {
                if (m.hasId() || !m.method().equals("notifications/initialized")) {
                    return null;
                }
                stage = Stage.READY;
                return new byte[0];
            }
            case READY -> {
                if (request && m.method().equals("tools/list") && (!m.hasParams() || (m.paramsIsObject() && !m.hasCursor()))) {
                    toolsDigest = recorded.digest;
                    return reply(m.requestId(), recorded.tools);
                }
                if (request && m.method().equals("ping")) {
                    return reply(m.requestId(), EMPTY_RESULT);
                }
                return null;
            }
            default -> {
                return null;
            }
        }
    }

    private static final byte[] EMPTY_RESULT = "{}".getBytes(StandardCharsets.UTF_8);
    private static final java.math.BigInteger SMALLEST_ID = java.math.BigInteger.valueOf(Long.MIN_VALUE);
    private static final java.math.BigInteger LARGEST_ID = java.math.BigInteger.ONE.shiftLeft(64).subtract(java.math.BigInteger.ONE);

    /** The message's fields, or null if the line is not one JSON object. */
    private static Message parse(byte[] bytes, int offset, int length) {
        String jsonrpc = null, method = null, requestId = null, protocolVersion = null;
        boolean hasId = false, hasParams = false, paramsIsObject = false, hasCursor = false;
        try (JsonParser p = JSON.createParser(bytes, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "jsonrpc" -> jsonrpc = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "method" -> method = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "id" -> {
                        hasId = value != JsonToken.VALUE_NULL;
                        // As StreamTransport keys requests (a JsonNode's text): a string or an integer
                        // of 64 bits, signed or not (as the shim reads them; a larger one is the server's).
                        if (value == JsonToken.VALUE_STRING) {
                            requestId = quoted(p.getText());
                        } else if (value == JsonToken.VALUE_NUMBER_INT) {
                            java.math.BigInteger id = p.getBigIntegerValue();
                            if (id.compareTo(SMALLEST_ID) >= 0 && id.compareTo(LARGEST_ID) <= 0) {
                                requestId = id.toString();
                            }
                        }
                        p.skipChildren();
                    }
                    case "params" -> {
                        hasParams = value != JsonToken.VALUE_NULL;
                        paramsIsObject = value == JsonToken.START_OBJECT;
                        if (paramsIsObject) {
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String name = p.currentName();
                                JsonToken v = p.nextToken();
                                if (name.equals("protocolVersion") && v == JsonToken.VALUE_STRING) {
                                    protocolVersion = p.getText();
                                } else if (name.equals("cursor") && v != JsonToken.VALUE_NULL) {
                                    hasCursor = true;
                                }
                                p.skipChildren();
                            }
                        } else {
                            p.skipChildren();
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null;
            }
        } catch (IOException e) {
            return null;
        }
        return new Message(jsonrpc, method, hasId, requestId, hasParams, paramsIsObject, protocolVersion, hasCursor);
    }

    private static String quoted(String text) throws IOException {
        java.io.StringWriter w = new java.io.StringWriter(text.length() + 2);
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeString(text);
        }
        return w.toString();
    }

    /** {"jsonrpc":"2.0","id":ID,"result":RESULT} and a newline, RESULT as recorded. */
    private byte[] reply(String id, byte[] result) {
        answered.add(id);
        ByteArrayOutputStream line = new ByteArrayOutputStream(result.length + id.length() + 40);
        line.writeBytes(("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":").getBytes(StandardCharsets.UTF_8));
        line.writeBytes(result);
        line.writeBytes("}\n".getBytes(StandardCharsets.UTF_8));
        return line.toByteArray();
    }

    /**
     * Deletes the answers other configurations of {@code run} recorded, and the answers for store
     * contents, that no run wrote for {@link EarlyAnswers#KEPT}, except those this run answered from
     * (the daemons' files are the daemons' to clear). A store content's answers deleted so are
     * written again by the next run that serves it.
     */
    public void forgetStale() {
        AnswerFiles own = files.join();
        if (own != null) {
            EarlyAnswers.forgetStale(own.inWorkingDirectory().getParent(), "run-*.early.json",
                    Set.copyOf(List.of(own.inWorkingDirectory(), own.inAnyWorkingDirectory())));
            if (own.answersDirectory() != null) {
                Path used = answeredFrom;
                EarlyAnswers.forgetStale(own.answersDirectory(), StoreContent.ANSWERS_FILES, used == null ? Set.of() : Set.of(used));
            }
        }
    }

    /** Whether the answering stopped at a message it left to the server (for tests). */
    boolean leftAMessageToTheServer() {
        synchronized (lock) {
            return stage == Stage.DONE;
        }
    }

    /** Whether the answering thread has stopped reading: it answers nothing more (for tests). */
    boolean readingStopped() {
        synchronized (lock) {
            return readerDone;
        }
    }

    /** Bytes read from stdin so far (for tests that wait for the answering to stop). */
    int bytesRead() {
        synchronized (lock) {
            return replay.size();
        }
    }

    /** What the server takes over: its input (everything read here first, then stdin) and what was answered. */
    public record HandOver(InputStream input, EarlyAnswers.Answered answered) {}

    /**
     * Stops answering; from now on the server reads. Never waits for input: a read in progress on
     * the answering thread delivers its bytes to the returned input, which reads stdin itself after.
     */
    public HandOver handOver() {
        synchronized (lock) {
            handedOver = true;
            lock.notifyAll(); // an answering that waits for the configuration stops
            byte[] read = replay.toByteArray();
            int count = answered.size();
            if (count > 0) {
                LOG.log(System.Logger.Level.INFO, "stdio: answered {0} of the session''s first requests from {1}",
                        String.valueOf(count), answeredFrom);
            }
            return new HandOver(new Input(read), new EarlyAnswers.Answered(answered, toolsDigest));
        }
    }

    /** The server's input: what was read before the hand-over, the read in progress then, then stdin. */
    private final class Input extends InputStream {
        /** What to read before stdin: first the bytes read before the hand-over, then those of the read in progress then. */
        private byte[] head;
        private int position;
        private boolean tookReadInProgress;
        /** Stdin ended in the read in progress. */
        private boolean ended;

        Input(byte[] head) {
            this.head = head;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (position == head.length && !tookReadInProgress) {
                takeReadInProgress();
            }
            if (position < head.length) {
                int n = Math.min(len, head.length - position);
                System.arraycopy(head, position, b, off, n);
                position += n;
                return n;
            }
            return ended ? -1 : in.read(b, off, len);
        }

        /** Waits until the answering thread has stopped; what its last read brought after the hand-over is read next. */
        private void takeReadInProgress() throws IOException {
            synchronized (lock) {
                while (!readerDone) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while waiting for the first input");
                    }
                }
                if (readFailure != null) {
                    throw readFailure;
                }
                head = afterHandOver;
                position = 0;
                ended = endAfterHandOver;
                tookReadInProgress = true;
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /**
     * Whether the early answers of a {@code run} with these arguments, this configuration and this
     * build share a file: a SHA-256 prefix of the jar's identity, the working directory (relative
     * paths resolve against it; null: the key of every working directory, see {@link AnswerFiles}),
     * the arguments but {@code --log-format}, and the variables the configuration may come from.
     */
    static String key(List<String> runArguments, Map<String, String> environment, Path workingDirectory) {
        MessageDigest hash;
        try {
            hash = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<String> fields = new ArrayList<>();
        fields.add(buildIdentity());
        fields.add(workingDirectory == null ? "any" : workingDirectory.toAbsolutePath().toString()); // a path is never "any"
        for (Iterator<String> it = runArguments.iterator(); it.hasNext(); ) {
            String a = it.next();
            if (a.equals("--log-format")) {
                if (it.hasNext()) {
                    it.next();
                }
            } else if (!a.startsWith("--log-format=")) {
                fields.add(a);
            }
        }
        fields.add("");
        Map<String, String> config = new TreeMap<>();
        environment.forEach((k, v) -> {
            if (CONFIG_VARIABLES.contains(k) || (k.startsWith("WASSETTE_") && !k.startsWith("WASSETTE_DAEMON") && !k.equals("WASSETTE_LOG_FORMAT"))) {
                config.put(k, v);
            }
        });
        config.forEach((k, v) -> {
            fields.add(k);
            fields.add(v);
        });
        for (String f : fields) {
            byte[] b = f.getBytes(StandardCharsets.UTF_8);
            hash.update(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(b.length).array());
            hash.update(b);
        }
        return HexFormat.of().formatHex(hash.digest(), 0, 8);
    }

    /** The jar (or classes directory) this code runs from, with its size and time: another build answers otherwise. */
    static String buildIdentity() {
        try {
            Path code = Path.of(EarlyResponder.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            BasicFileAttributes a = Files.readAttributes(code, BasicFileAttributes.class);
            return code + " " + a.size() + " " + a.lastModifiedTime().toMillis();
        } catch (Exception e) {
            return "unknown";
        }
    }

    /**
     * {@code $XDG_RUNTIME_DIR/wassette}, else {@code /tmp/wassette-UID} (the shim's directory): created
     * 0700, and null unless it is a directory of this user that nobody else can open.
     */
    static Path runtimeDirectory(Map<String, String> environment) {
        try {
            String base = environment.get("XDG_RUNTIME_DIR");
            return privateDirectory(base != null && Path.of(base).isAbsolute() ? Path.of(base, "wassette") : Path.of("/tmp", "wassette-" + uid()), false);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static int uid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /**
     * {@code dir}, created 0700 if absent (with its parents, as the umask has them, if {@code
     * withParents}); null unless it is a directory of this user that nobody else can open: answers
     * written there by another user would be served as ours.
     */
    private static Path privateDirectory(Path dir, boolean withParents) {
        try {
            int uid = uid();
            if (withParents) {
                Files.createDirectories(dir.getParent());
            }
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // checked below
            }
            Map<String, Object> a = Files.readAttributes(dir, "unix:uid,mode,isDirectory", LinkOption.NOFOLLOW_LINKS);
            boolean isPrivate = Boolean.TRUE.equals(a.get("isDirectory")) && ((Integer) a.get("uid")) == uid
                    && (((Integer) a.get("mode")) & 077) == 0;
            return isPrivate ? dir : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A file's recorded answers (their JSON as written), loaded only while the stamps it records hold. */
    static final class Recorded {
        final String latest;
        final Map<String, byte[]> results;
        final byte[] tools;
        final String digest;

        private Recorded(String latest, Map<String, byte[]> results, byte[] tools, String digest) {
            this.latest = latest;
            this.results = results;
            this.tools = tools;
            this.digest = digest;
        }

        /** The answers in {@code file}, if they hold for a process in {@code workingDirectory} (absolute, normalized). */
        static Recorded load(Path file, Path workingDirectory) {
            return load(file, workingDirectory, false);
        }

        /**
         * The answers for a store content in {@code file} ({@link EarlyAnswers#writeForStoreContent}):
         * they record no stamps; the file's name is the content's key.
         */
        static Recorded loadForStoreContent(Path file) {
            return load(file, null, true);
        }

        private static Recorded load(Path file, Path workingDirectory, boolean forStoreContent) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (IOException e) {
                return null; // none yet: the first run of this configuration
            }
            try (JsonParser p = JSON.createParser(bytes)) {
                Long format = null;
                String latest = null, digest = null, answersFor = null;
                Map<String, byte[]> results = new HashMap<>();
                byte[] tools = null;
                boolean storeUnchanged = false, configurationUnchanged = false, sameWorkingDirectory = false;
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    return null;
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    switch (field) {
                        case "format" -> format = value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : null;
                        case "toolsDigest" -> digest = value == JsonToken.VALUE_STRING ? p.getText() : null;
                        case "for" -> answersFor = value == JsonToken.VALUE_STRING ? p.getText() : null;
                        case "tools" -> tools = value == JsonToken.START_OBJECT ? raw(p, bytes) : null;
                        case "initialize" -> {
                            expect(value, JsonToken.START_OBJECT);
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String name = p.currentName();
                                JsonToken v = p.nextToken();
                                if (name.equals("latest") && v == JsonToken.VALUE_STRING) {
                                    latest = p.getText();
                                } else if (name.equals("results") && v == JsonToken.START_OBJECT) {
                                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                                        String version = p.currentName();
                                        expect(p.nextToken(), JsonToken.START_OBJECT);
                                        results.put(version, raw(p, bytes));
                                    }
                                } else {
                                    p.skipChildren();
                                }
                            }
                        }
                        case "store" -> storeUnchanged = value == JsonToken.START_OBJECT && storeUnchanged(p);
                        case "configuration" -> configurationUnchanged = value == JsonToken.START_OBJECT && configurationUnchanged(p);
                        // null: no relative path, every directory; else only the one it was resolved in
                        case "workingDirectory" -> sameWorkingDirectory = value == JsonToken.VALUE_NULL
                                || (value == JsonToken.VALUE_STRING && Path.of(p.getText()).equals(workingDirectory));
                        default -> p.skipChildren();
                    }
                }
                boolean holds = forStoreContent ? EarlyAnswers.FOR_STORE_CONTENT.equals(answersFor)
                        : answersFor == null && storeUnchanged && configurationUnchanged && sameWorkingDirectory;
                if (format == null || format != EarlyAnswers.FORMAT || !holds
                        || latest == null || !results.containsKey(latest) || tools == null || digest == null) {
                    return null;
                }
                return new Recorded(latest, results, tools, digest);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        /** The result for a client asking for {@code version}: that version's if the server speaks it, else the latest's. */
        byte[] initializeResult(String version) {
            return results.getOrDefault(version, results.get(latest));
        }

        private static void expect(JsonToken actual, JsonToken expected) throws IOException {
            if (actual != expected) {
                throw new IOException("expected " + expected + ", found " + actual);
            }
        }

        /** The bytes of the object the parser is at the start of, through its end. */
        private static byte[] raw(JsonParser p, byte[] bytes) throws IOException {
            int start = (int) p.currentTokenLocation().getByteOffset();
            p.skipChildren();
            int end = (int) p.currentLocation().getByteOffset();
            return java.util.Arrays.copyOfRange(bytes, start, end);
        }

        /** {"directory": path, "modified": ns or null, "files": {name: [size, ns]}}: as EarlyAnswers records the store. */
        private static boolean storeUnchanged(JsonParser p) throws IOException {
            String directory = null;
            Long modified = null;
            boolean modifiedNull = false;
            Map<String, long[]> files = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "directory" -> directory = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "modified" -> {
                        modified = value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : null;
                        modifiedNull = value == JsonToken.VALUE_NULL;
                    }
                    case "files" -> {
                        expect(value, JsonToken.START_OBJECT);
                        files = new HashMap<>();
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String name = p.currentName();
                            p.nextToken();
                            files.put(name, stamp(p));
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (directory == null || files == null) {
                return false;
            }
            Path dir = Path.of(directory);
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return modifiedNull && files.isEmpty(); // not created yet when the server looked, and still not
            }
            if (modified == null || ComponentMetadata.FileStamp.of(attributes).modifiedNanos() != modified) {
                return false;
            }
            for (Map.Entry<String, long[]> f : files.entrySet()) {
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(dir.resolve(f.getKey()), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    return false;
                }
                if (!a.isRegularFile() || !sameStamp(ComponentMetadata.FileStamp.of(a), f.getValue())) {
                    return false;
                }
            }
            return true;
        }

        /** {path: [size, ns] or null (absent)}: the files the configuration came from. */
        private static boolean configurationUnchanged(JsonParser p) throws IOException {
            boolean unchanged = true;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                Path path = Path.of(p.currentName());
                p.nextToken();
                long[] recorded = stamp(p);
                ComponentMetadata.FileStamp stamp = ComponentMetadata.FileStamp.of(path);
                unchanged &= stamp == null ? recorded == null : sameStamp(stamp, recorded);
            }
            return unchanged;
        }

        /** [size, ns] at the parser, or null for JSON null. */
        private static long[] stamp(JsonParser p) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NULL) {
                return null;
            }
            expect(p.currentToken(), JsonToken.START_ARRAY);
            expect(p.nextToken(), JsonToken.VALUE_NUMBER_INT);
            long size = p.getLongValue();
            expect(p.nextToken(), JsonToken.VALUE_NUMBER_INT);
            long nanos = p.getLongValue();
            expect(p.nextToken(), JsonToken.END_ARRAY);
            return new long[] {size, nanos};
        }

        private static boolean sameStamp(ComponentMetadata.FileStamp stamp, long[] recorded) {
            return recorded != null && recorded[0] == stamp.size() && recorded[1] == stamp.modifiedNanos();
        }
    }
}
