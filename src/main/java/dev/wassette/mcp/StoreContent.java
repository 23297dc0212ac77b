package dev.wassette.mcp;

import dev.wassette.host.ComponentMetadata;
import dev.wassette.host.ComponentStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What a component store holds, as its components' metadata records it: each component's id, the
 * SHA-256 of its bytes, and the native library that described it. A server of one build that serves
 * the built-in tools and its store's components lists the same tools for the same content, whichever
 * configuration it runs in, so its answers are kept under a key of the build and the content ({@link
 * EarlyAnswers#writeForStoreContent}), and a configuration no run recorded is answered from them
 * ({@link EarlyResponder}). Read with the streaming parser only: it runs while a JVM starts.
 */
final class StoreContent {
    /**
     * The files of the answers directory that old answers are deleted from: every JSON file there
     * ({@code store-<key>.json}, and the {@code empty-store-<build>.json} of the first builds with
     * such answers).
     */
    static final String ANSWERS_FILES = "*.json";

    private StoreContent() {}

    /**
     * The content of the store in {@code directory}, one {@code "<id> <sha256> <native>"} per
     * component in the order of their ids (empty when there is no store yet); null when it cannot
     * be told from the metadata alone: a component whose metadata is missing or was written for other
     * bytes (the server then hashes or compiles it, and lists its tools only once loaded), a
     * {@code .wasm} whose name is no component id, or a store that cannot be read.
     */
    static List<String> of(Path directory) {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, "*.wasm")) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                ids.add(name.substring(0, name.length() - ".wasm".length()));
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException | RuntimeException e) {
            return null;
        }
        ids.sort(null);
        List<String> content = new ArrayList<>(ids.size());
        for (String id : ids) {
            try {
                ComponentStore.checkId(id);
                ComponentMetadata.Header header = ComponentMetadata.Header.read(directory.resolve(id + ".tools.json"));
                ComponentMetadata.FileStamp stamp = ComponentMetadata.FileStamp.of(directory.resolve(id + ".wasm"));
                if (header == null || stamp == null || !stamp.equals(header.stamp())) {
                    return null;
                }
                content.add(id + " " + header.sha256() + " " + header.nativeVersion());
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
        return content;
    }

    /** Where the answers of this build for {@code content} are kept in {@code answersDirectory}. */
    static Path answersFile(Path answersDirectory, List<String> content) {
        MessageDigest hash;
        try {
            hash = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        hash.update(EarlyResponder.buildIdentity().getBytes(StandardCharsets.UTF_8));
        for (String component : content) {
            hash.update((byte) '\n');
            hash.update(component.getBytes(StandardCharsets.UTF_8));
        }
        return answersDirectory.resolve("store-" + HexFormat.of().formatHex(hash.digest(), 0, 8) + ".json");
    }
}
