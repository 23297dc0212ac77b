package dev.wassette.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

/**
 * Per-component secrets in {@code <dir>/<id>.yaml} (a flat map of names to values): directory 0700,
 * files 0600, written atomically. Secrets join the component's environment and stay subject to its
 * policy's environment allow list.
 */
public final class SecretStore {
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private final Path directory;

    public SecretStore(Path directory) {
        this.directory = directory.toAbsolutePath();
    }

    public Path directory() {
        return directory;
    }

    /** A secrets file as last read, valid while the file keeps its identity, size and time. */
    private record Cached(Object fileKey, long size, java.nio.file.attribute.FileTime modified, Map<String, String> values) {}

    private final Map<String, Cached> cache = new java.util.HashMap<>();

    /** The component's secrets; the file is read again only when it changed (written by another process too). */
    public synchronized Map<String, String> get(String id) throws IOException {
        ComponentStore.checkId(id);
        Path file = directory.resolve(id + ".yaml");
        java.nio.file.attribute.BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            cache.remove(id);
            return Map.of();
        }
        Cached c = cache.get(id);
        if (c != null && java.util.Objects.equals(c.fileKey(), attrs.fileKey()) && c.size() == attrs.size()
                && c.modified().equals(attrs.lastModifiedTime())) {
            return c.values();
        }
        Map<String, String> values = read(id, file);
        cache.put(id, new Cached(attrs.fileKey(), attrs.size(), attrs.lastModifiedTime(), values));
        return values;
    }

    private static Map<String, String> read(String id, Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            return Map.of();
        }
        Object loaded = new Load(LoadSettings.builder().setLabel(id + ".yaml").build()).loadFromString(text);
        Map<String, String> out = new TreeMap<>();
        if (loaded instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                if (k != null && v != null) {
                    out.put(k.toString(), v.toString());
                }
            });
        } else if (loaded != null) {
            throw new IOException("secrets file of " + id + " is not a map of names to values");
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    public synchronized void set(String id, String key, String value) throws IOException {
        Map<String, String> all = new TreeMap<>(get(id));
        all.put(key, value);
        write(id, all);
    }

    /** Returns false when there was no such secret. */
    public synchronized boolean delete(String id, String key) throws IOException {
        Map<String, String> all = new TreeMap<>(get(id));
        if (all.remove(key) == null) {
            return false;
        }
        write(id, all);
        return true;
    }

    private void write(String id, Map<String, String> all) throws IOException {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, DIR);
        String yaml = new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build())
                .dumpToString(new LinkedHashMap<>(all));
        AtomicFiles.write(directory.resolve(id + ".yaml"), yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8), FILE);
    }
}
