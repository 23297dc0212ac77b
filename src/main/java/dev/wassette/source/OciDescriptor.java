package dev.wassette.source;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A content descriptor of an OCI manifest or index: what a blob or manifest is, its digest and
 * size, and (in an index) the platform it is for.
 */
public record OciDescriptor(String mediaType, Digest digest, long size, String artifactType, String os, String architecture,
                            Map<String, String> annotations) {
    public OciDescriptor {
        annotations = Map.copyOf(annotations);
    }

    /** Reads a descriptor; {@code where} names it in errors ("layer 1 of …"). */
    public static OciDescriptor parse(JsonNode node, String where) throws SourceException {
        if (node == null || !node.isObject()) {
            throw new SourceException(where + ": not a descriptor object");
        }
        String mediaType = node.path("mediaType").asText("");
        if (mediaType.isEmpty()) {
            throw new SourceException(where + ": descriptor without mediaType");
        }
        Digest digest;
        try {
            digest = Digest.parse(node.path("digest").asText(""));
        } catch (IllegalArgumentException e) {
            throw new SourceException(where + ": " + e.getMessage());
        }
        JsonNode size = node.get("size");
        if (size == null || !size.canConvertToLong() || size.asLong() < 0) {
            throw new SourceException(where + ": descriptor without a valid size");
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        node.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
        JsonNode platform = node.path("platform");
        return new OciDescriptor(mediaType, digest, size.asLong(), node.hasNonNull("artifactType") ? node.get("artifactType").asText() : null,
                platform.hasNonNull("os") ? platform.get("os").asText() : null,
                platform.hasNonNull("architecture") ? platform.get("architecture").asText() : null, annotations);
    }
}
