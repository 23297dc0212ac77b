package dev.wassette.host;

/**
 * What the trust policy concluded about a fetched artifact, as far as its declared policy is
 * concerned: whether its signature verified, and whether the trust policy says to apply the
 * declarations of artifacts under that reference. Only both together let a declaration become the
 * component's policy without the user granting it ({@link DeclarationConsent.TrustedSignature}).
 * {@code reason} says why, for the log and for the user.
 *
 * @param signedBy who signed, when the signature verified: the trusted key's name and fingerprint
 *                 and the signature's form ({@code acme (sha256:…), Sigstore bundle (OCI referrers API)}); else null
 */
public record TrustDecision(boolean signatureVerified, boolean applyDeclaredPolicy, String reason, String signedBy) {
    /** Sources without signatures (files): a declaration waits for the user. */
    public static final TrustDecision UNVERIFIED = new TrustDecision(false, false, "no signature was verified");

    public TrustDecision(boolean signatureVerified, boolean applyDeclaredPolicy, String reason) {
        this(signatureVerified, applyDeclaredPolicy, reason, null);
    }

    public boolean allowsApplyingDeclaration() {
        return signatureVerified && applyDeclaredPolicy;
    }
}
