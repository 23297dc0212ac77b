package dev.wassette.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Where a stored component came from: {@code <id>.origin.json} beside it. (What its artifact
 * declared is the store's {@code <id>.declared-policy.yaml}.)
 *
 * @param source          the source as it was asked for ({@code oci://…:tag}, {@code https://…}, {@code file://…})
 * @param resolved        its immutable form ({@code oci://…@sha256:…}, the URL with {@code #sha256=…}, the file URI)
 * @param digest          the artifact's digest (an OCI manifest's; else the component's)
 * @param componentDigest the SHA-256 digest of the stored component bytes ({@code sha256:…})
 * @param fetched         when it was fetched
 */
public record ComponentOrigin(String source, String resolved, String digest, String componentDigest, Instant fetched) {
    static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The origin of a fetched component, fetched now. */
    public static ComponentOrigin of(dev.wassette.source.FetchedComponent f) {
        return new ComponentOrigin(f.source().toString(), f.resolved(), f.digest().toString(), f.componentDigest().toString(), Instant.now());
    }

    /** Writes the origin file. */
    void write(Path originFile) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("source", source);
        root.put("resolved", resolved);
        root.put("digest", digest);
        root.put("component_digest", componentDigest);
        root.put("fetched", fetched.toString());
        AtomicFiles.write(originFile, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root), null);
    }

    /** The origin recorded in {@code originFile}, or null when there is none (stored by an older version) or it is unreadable. */
    static ComponentOrigin read(Path originFile) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(originFile));
        } catch (NoSuchFileException e) {
            return null;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            return null;
        }
        if (root == null || root.path("format").asInt() != FORMAT) {
            return null;
        }
        Instant fetched;
        try {
            fetched = Instant.parse(root.path("fetched").asText());
        } catch (java.time.format.DateTimeParseException e) {
            fetched = Instant.EPOCH;
        }
        return new ComponentOrigin(text(root, "source"), text(root, "resolved"), text(root, "digest"), text(root, "component_digest"), fetched);
    }

    private static String text(JsonNode root, String field) {
        return root.hasNonNull(field) ? root.get(field).asText() : null;
    }
}
