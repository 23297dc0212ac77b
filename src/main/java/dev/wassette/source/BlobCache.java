package dev.wassette.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * Pulled blobs (components, manifests, policy layers) by digest: {@code <dir>/sha256/<hex>}. A blob
 * enters only after its size and digest were checked while it streamed in, by an atomic rename, so
 * a reader never sees a partial or unverified file; a reader checks the digest again (an entry
 * changed on disk is dropped and fetched anew). The directory is private to the user.
 */
public final class BlobCache {
    private static final System.Logger LOG = System.getLogger("dev.wassette.source");
    /** Partial downloads older than this were left by a process that died. */
    private static final Duration ORPHAN_AGE = Duration.ofHours(1);

    private final Path directory;

    public BlobCache(Path directory) {
        this.directory = directory.toAbsolutePath();
    }

    public Path directory() {
        return directory;
    }

    /** Where the blob with {@code digest} is kept (it may be absent). */
    public Path path(Digest digest) {
        return directory.resolve(digest.algorithm()).resolve(digest.hex());
    }

    public boolean contains(Digest digest) {
        return Files.isRegularFile(path(digest));
    }

    /**
     * The cached blob's bytes after checking them against {@code digest}, or null when it is not
     * cached, is larger than {@code maxBytes}, or no longer matches (then it is removed).
     */
    public byte[] read(Digest digest, long maxBytes) throws IOException {
        Path file = path(digest);
        byte[] bytes;
        try {
            if (Files.size(file) > maxBytes) {
                return null;
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        MessageDigest hasher = digest.newHasher();
        hasher.update(bytes);
        if (!digest.matches(hasher)) {
            LOG.log(System.Logger.Level.WARNING, "cached blob {0} does not match its digest; removed, fetching it again", file);
            Files.deleteIfExists(file);
            return null;
        }
        return bytes;
    }

    /** Caches bytes already checked against {@code digest}. */
    public Path put(Digest digest, byte[] bytes) throws IOException, SourceException {
        try (Write w = begin(digest, bytes.length, "blob " + digest, Progress.NONE)) {
            w.accept(ByteBuffer.wrap(bytes));
            return w.commit();
        }
    }

    /**
     * Starts streaming a blob in. {@code expected} (or null: whatever arrives is keyed by its own
     * digest) and {@code expectedSize} (or -1) are checked as bytes arrive and at {@link Write#commit}.
     */
    Write begin(Digest expected, long expectedSize, String what, Progress progress) throws IOException {
        String algorithm = expected != null ? expected.algorithm() : "sha256";
        Path dir = directory.resolve(algorithm);
        createPrivate(dir);
        removeOrphans(dir);
        Path tmp = Files.createTempFile(dir, ".partial-", "");
        return new Write(tmp, expected, algorithm, expectedSize, what, progress);
    }

    private void createPrivate(Path dir) throws IOException {
        if (!Files.isDirectory(directory)) {
            Files.createDirectories(directory.getParent());
            try {
                Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // another process made it
            }
        }
        Files.createDirectories(dir);
    }

    private static void removeOrphans(Path dir) {
        Instant before = Instant.now().minus(ORPHAN_AGE);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith(".partial-")).toList()) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(before)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot tidy {0}: {1}", dir, e.getMessage());
        }
    }

    /** One blob streaming in: hashed and counted as written; enters the cache only by {@link #commit}. */
    final class Write implements AutoCloseable {
        private static final long PROGRESS_NANOS = 250_000_000L;

        private final Path tmp;
        private final Digest expected;
        private final long expectedSize;
        private final String what;
        private final Progress progress;
        private final FileChannel channel;
        private final MessageDigest hasher;
        private long written;
        private long lastReport = System.nanoTime();
        private boolean committed;

        private Write(Path tmp, Digest expected, String algorithm, long expectedSize, String what, Progress progress) throws IOException {
            this.tmp = tmp;
            this.expected = expected;
            this.expectedSize = expectedSize;
            this.what = what;
            this.progress = progress;
            this.channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
            this.hasher = Digest.hasher(algorithm);
        }

        void accept(ByteBuffer buffer) throws SourceException {
            written += buffer.remaining();
            if (expectedSize >= 0 && written > expectedSize) {
                throw new SourceException(what + ": more bytes arrived than the " + expectedSize + " its descriptor declares");
            }
            hasher.update(buffer.duplicate());
            try {
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (IOException e) {
                throw new SourceException("cannot write to the blob cache " + directory + ": " + e.getMessage(), e);
            }
            long now = System.nanoTime();
            if (now - lastReport >= PROGRESS_NANOS) {
                lastReport = now;
                progress.update(what, written, expectedSize);
            }
        }

        long written() {
            return written;
        }

        /** Checks size and digest, then moves the blob into the cache; returns its path. */
        Path commit() throws SourceException {
            if (expectedSize >= 0 && written != expectedSize) {
                throw new SourceException(what + ": received " + written + " bytes, its descriptor declares " + expectedSize
                        + " (truncated transfer)");
            }
            Digest actual = new Digest(hasher.getAlgorithm().equals("SHA-256") ? "sha256" : "sha512", HexFormat.of().formatHex(hasher.digest()));
            if (expected != null && !expected.equals(actual)) {
                throw new SourceException(what + ": digest mismatch: expected " + expected + ", got " + actual
                        + "; the bytes were refused and nothing was stored");
            }
            try {
                channel.force(true);
                channel.close();
                Path target = path(actual);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("the file system of " + directory + " cannot rename atomically", e);
                }
                committed = true;
                progress.update(what, written, written);
                return target;
            } catch (IOException e) {
                throw new SourceException("cannot store " + what + " in the blob cache " + directory + ": " + e.getMessage(), e);
            }
        }

        /** The digest of what was committed. */
        Digest digest(Path committedPath) {
            return new Digest(committedPath.getParent().getFileName().toString(), committedPath.getFileName().toString());
        }

        @Override
        public void close() {
            try {
                channel.close();
                if (!committed) {
                    Files.deleteIfExists(tmp);
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "cannot remove {0}: {1}", tmp, e.getMessage());
            }
        }
    }
}
