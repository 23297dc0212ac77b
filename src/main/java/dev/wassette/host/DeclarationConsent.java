package dev.wassette.host;

/**
 * Why a component's declared policy may become its policy ({@link ComponentStore#applyDeclaredPolicy}).
 * A declaration is never applied without one of these; each names the declaration it consents to
 * by its digest, so a declaration replaced in the meantime (the component loaded again, by another
 * process too) is not applied in its place.
 */
public sealed interface DeclarationConsent {
    /** The declaration's digest ({@code sha256:…}) this consent is for; null: the current one. */
    String declarationDigest();

    /**
     * The user granted the declaration ({@code wassette permission apply-declared}, the
     * {@code apply-declared-permissions} tool). {@code declarationDigest}: the one they were shown, if known.
     */
    record UserGrant(String declarationDigest) implements DeclarationConsent {}

    /**
     * The artifact's signature verified and the trust policy applies declarations for its reference:
     * {@code decision} must say both ({@link TrustDecision#allowsApplyingDeclaration}), and
     * {@code declarationDigest} is that of the declaration that came in the verified artifact.
     */
    record TrustedSignature(TrustDecision decision, String declarationDigest) implements DeclarationConsent {
        public TrustedSignature {
            if (declarationDigest == null) {
                throw new IllegalArgumentException("a trusted signature consents to the declaration of the verified artifact: its digest is needed");
            }
        }
    }
}
