package dev.wassette.source;

/**
 * A component fetched and verified: its bytes, where they came from, and the policy its artifact
 * declares (Wassette's policy layer), which is data to show, never a policy in force.
 *
 * @param source          what was asked for
 * @param resolved        the immutable form of the source: {@code oci://REG/REPO@sha256:…} (the
 *                        manifest's digest), the HTTPS URL with {@code #sha256=…}, the file URI
 * @param digest          the artifact's digest: the OCI manifest's (what a signature names), else
 *                        the component bytes'
 * @param componentDigest the digest of {@link #bytes}
 * @param declaredPolicy  the YAML of the artifact's policy layer, or null
 * @param declaredPolicyMediaType its media type, or null
 * @param offline         true when everything came from the blob cache
 */
public record FetchedComponent(ComponentSource source, String resolved, Digest digest, Digest componentDigest, byte[] bytes,
                               String declaredPolicy, String declaredPolicyMediaType, boolean offline) {
}
