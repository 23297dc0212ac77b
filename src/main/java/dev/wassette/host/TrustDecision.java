package dev.wassette.host;

/**
 * What the trust policy concluded about a fetched artifact, as far as its declared policy is
 * concerned: whether its signature verified, and whether the trust policy says to apply the
 * declarations of artifacts under that reference. Only both together let a declaration become the
 * component's policy without the user granting it ({@link DeclarationConsent.TrustedSignature}).
 * {@code reason} says why, for the log and for the user.
 */
public record TrustDecision(boolean signatureVerified, boolean applyDeclaredPolicy, String reason) {
    /** Sources without signatures (files today): a declaration waits for the user. */
    public static final TrustDecision UNVERIFIED = new TrustDecision(false, false, "no signature was verified");

    public boolean allowsApplyingDeclaration() {
        return signatureVerified && applyDeclaredPolicy;
    }
}
