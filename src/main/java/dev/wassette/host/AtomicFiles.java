package dev.wassette.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Crash-safe file replacement: write a temporary file beside the target, fsync it, rename it over
 * the target, fsync the directory. A crash at any point leaves the old file or the new one, never an
 * empty or torn file.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * @param permissions set on the file before any byte is written (null: the umask default)
     * @return the attributes of the file written, read before it was renamed into place: a reader
     *     comparing them with the target's knows whether the target still holds these bytes
     */
    public static BasicFileAttributes write(Path target, byte[] content, Set<PosixFilePermission> permissions) throws IOException {
        return write(target, ByteBuffer.wrap(content), permissions);
    }

    /** As {@link #write(Path, byte[], Set)}, from a buffer (which may be over native memory). */
    public static BasicFileAttributes write(Path target, ByteBuffer content, Set<PosixFilePermission> permissions) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            if (permissions != null) {
                Files.setPosixFilePermissions(tmp, permissions);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = content.duplicate();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            BasicFileAttributes written = Files.readAttributes(tmp, BasicFileAttributes.class);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + dir + " cannot rename atomically", e);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true); // make the rename itself durable
            } catch (IOException ignored) {
                // some file systems cannot sync a directory; the rename is still atomic
            }
            return written;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
