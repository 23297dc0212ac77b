package dev.wassette.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which signatures the artifacts of which registries and repositories must carry: per reference
 * prefix, the public keys trusted to sign them, whether a valid signature is required, and whether
 * the declaration (the artifact's policy layer) of an artifact whose signature verified becomes its
 * policy. Signatures are cosign's, verified offline with keys (no transparency log, no
 * certificates): keyless signing is refused when a policy asks for it.
 *
 * <p>As TOML — a file given with {@code --trust-policy}, or the {@code [trust]} table of
 * {@code config.toml} (then {@code [trust.keys]}, {@code [[trust.rules]]}):
 *
 * <pre>
 * [keys]
 * acme = "keys/acme.pub"          # a PEM PUBLIC KEY file (relative to this file), or the PEM text itself
 *
 * [[rules]]
 * prefix = "ghcr.io/acme"         # a registry, or registry/repository prefix, matched at "/"; "*" for any
 * keys = ["acme"]                 # a signature by any of these verifies
 * require_signature = true        # the default: unsigned or wrongly signed artifacts are refused
 * apply_declared_permissions = true   # a verified artifact's declared policy becomes its policy (default false)
 * </pre>
 *
 * The rule with the longest matching prefix decides; a reference no rule matches needs no signature.
 *
 * @param keys  the named keys
 * @param rules the rules, longest prefix first
 */
public record TrustPolicy(Map<String, TrustedKey> keys, List<Rule> rules) {
    /** No rules: nothing needs a signature, no declaration is applied by a signature. */
    public static final TrustPolicy NONE = new TrustPolicy(Map.of(), List.of());

    /** The fields of a rule that only keyless verification has: refused, naming why. */
    private static final Set<String> KEYLESS_FIELDS = Set.of("keyless", "identity", "identities", "issuer", "subject",
            "certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer", "certificate_oidc_issuer_regexp",
            "fulcio", "fulcio_url", "rekor", "rekor_url", "transparency_log", "tlog", "certificate", "certificate_chain", "roots");
    private static final Set<String> RULE_FIELDS = Set.of("prefix", "keys", "require_signature", "apply_declared_permissions");
    static final String KEYLESS_UNSUPPORTED = "keyless signatures (Fulcio certificates, the Rekor transparency log) are verified against "
            + "Sigstore's public-good instance on the network, and verification here is offline with keys: not supported. "
            + "Sign with a key (cosign generate-key-pair; cosign sign --key cosign.key) and list its public key under keys";

    /**
     * One rule.
     *
     * @param prefix                   {@code REGISTRY} or {@code REGISTRY/REPOSITORY-PREFIX}, or {@code *}
     * @param keys                     the keys whose signature verifies (may be empty when none is required)
     * @param requireSignature         an artifact without a valid signature by one of them is refused
     * @param applyDeclaredPermissions a verified artifact's declaration becomes its policy
     */
    public record Rule(String prefix, List<TrustedKey> keys, boolean requireSignature, boolean applyDeclaredPermissions) {
        public Rule {
            keys = List.copyOf(keys);
        }

        /** Whether the rule is about {@code ref}: its registry/repository is the prefix or below it. */
        public boolean matches(OciReference ref) {
            if (prefix.equals("*")) {
                return true;
            }
            String name = ref.registry() + "/" + ref.repository();
            return name.equals(prefix) || name.startsWith(prefix + "/");
        }

        /** The key names, for messages: {@code acme, ops}. */
        public String keyNames() {
            return String.join(", ", keys.stream().map(TrustedKey::name).toList());
        }

        /** How the rule reads in messages: {@code ghcr.io/acme (signature required by acme; declarations applied)}. */
        public String describe() {
            String what = requireSignature ? "signature required, by " + keyNames()
                    : keys.isEmpty() ? "no signature required" : "signature by " + keyNames() + " checked, not required";
            return (prefix.equals("*") ? "every registry" : prefix) + " (" + what
                    + (applyDeclaredPermissions ? "; a verified artifact's declared permissions are applied" : "") + ")";
        }
    }

    public TrustPolicy {
        keys = Map.copyOf(keys);
        rules = rules.stream().sorted(Comparator.comparingInt((Rule r) -> r.prefix().equals("*") ? -1 : r.prefix().length()).reversed()).toList();
    }

    /** The rule for {@code ref} (the longest matching prefix), or null when none matches. */
    public Rule ruleFor(OciReference ref) {
        for (Rule r : rules) {
            if (r.matches(ref)) {
                return r;
            }
        }
        return null;
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /** A trust policy that is not valid: the message names the file and the rule or key. */
    public static final class InvalidTrustPolicyException extends IllegalArgumentException {
        public InvalidTrustPolicyException(String message) {
            super(message);
        }
    }

    /**
     * Reads a trust policy file ({@code [keys]}, {@code [[rules]]} at its top level); key files
     * are relative to its directory.
     *
     * @throws InvalidTrustPolicyException naming the file and what is wrong
     */
    public static TrustPolicy read(Path file) {
        JsonNode root;
        try {
            root = new TomlMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new InvalidTrustPolicyException("no such trust policy: " + file);
        } catch (IOException e) {
            throw new InvalidTrustPolicyException("trust policy " + file + " is not valid TOML: " + e.getMessage());
        }
        return parse(root, file.toAbsolutePath().getParent(), file.toString());
    }

    /**
     * Reads a trust policy from a TOML table ({@code keys}, {@code rules}).
     *
     * @param baseDir where relative key files are
     * @param where   names the table in messages ({@code config.toml [trust]})
     * @throws InvalidTrustPolicyException naming what is wrong
     */
    public static TrustPolicy parse(JsonNode table, Path baseDir, String where) {
        if (table == null || table.isNull()) {
            return NONE;
        }
        if (!table.isObject()) {
            throw new InvalidTrustPolicyException(where + ": a trust policy is a table of keys and rules");
        }
        for (String field : names(table)) {
            if (KEYLESS_FIELDS.contains(field)) {
                throw new InvalidTrustPolicyException(where + ": \"" + field + "\": " + KEYLESS_UNSUPPORTED);
            }
            if (!field.equals("keys") && !field.equals("rules")) {
                throw new InvalidTrustPolicyException(where + ": unknown key \"" + field + "\" (a trust policy has keys and rules)");
            }
        }
        Map<String, TrustedKey> keys = new LinkedHashMap<>();
        JsonNode keyTable = table.path("keys");
        if (!keyTable.isMissingNode() && !keyTable.isObject()) {
            throw new InvalidTrustPolicyException(where + ": keys is a table of name = \"PEM file or text\"");
        }
        for (var e : keyTable.properties()) {
            String name = e.getKey();
            String at = where + ": key \"" + name + "\"";
            if (!e.getValue().isTextual()) {
                throw new InvalidTrustPolicyException(at + ": give a PEM file name or the PEM text");
            }
            keys.put(name, key(name, e.getValue().asText(), baseDir, at));
        }
        JsonNode ruleList = table.path("rules");
        if (!ruleList.isMissingNode() && !ruleList.isArray()) {
            throw new InvalidTrustPolicyException(where + ": rules is an array of tables ([[rules]])");
        }
        List<Rule> rules = new ArrayList<>();
        int i = 0;
        for (JsonNode r : ruleList) {
            i++;
            rules.add(rule(r, keys, where + ": rule " + i));
        }
        for (int a = 0; a < rules.size(); a++) {
            for (int b = a + 1; b < rules.size(); b++) {
                if (rules.get(a).prefix().equals(rules.get(b).prefix())) {
                    throw new InvalidTrustPolicyException(where + ": rules " + (a + 1) + " and " + (b + 1) + " both have the prefix \""
                            + rules.get(a).prefix() + "\"");
                }
            }
        }
        return new TrustPolicy(keys, rules);
    }

    private static TrustedKey key(String name, String value, Path baseDir, String where) {
        if (value.strip().startsWith("-----BEGIN")) {
            try {
                return TrustedKey.parse(name, value, where);
            } catch (IllegalArgumentException e) {
                throw new InvalidTrustPolicyException(e.getMessage());
            }
        }
        Path file = baseDir.resolve(value);
        try {
            return TrustedKey.parse(name, Files.readString(file, StandardCharsets.US_ASCII), where + " (" + file + ")");
        } catch (NoSuchFileException e) {
            throw new InvalidTrustPolicyException(where + ": no such key file: " + file);
        } catch (IOException e) {
            throw new InvalidTrustPolicyException(where + ": cannot read " + file + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new InvalidTrustPolicyException(e.getMessage());
        }
    }

    private static Rule rule(JsonNode r, Map<String, TrustedKey> keys, String where) {
        if (!r.isObject()) {
            throw new InvalidTrustPolicyException(where + ": a rule is a table (prefix, keys, require_signature, apply_declared_permissions)");
        }
        String prefix = r.path("prefix").isTextual() ? normalizePrefix(r.path("prefix").asText(), where) : null;
        String at = prefix == null ? where : where + " (" + prefix + ")";
        for (String field : names(r)) {
            if (KEYLESS_FIELDS.contains(field)) {
                throw new InvalidTrustPolicyException(at + ": \"" + field + "\": " + KEYLESS_UNSUPPORTED);
            }
            if (!RULE_FIELDS.contains(field)) {
                throw new InvalidTrustPolicyException(at + ": unknown key \"" + field + "\" (a rule has " + String.join(", ", List.of(
                        "prefix", "keys", "require_signature", "apply_declared_permissions")) + ")");
            }
        }
        if (prefix == null) {
            throw new InvalidTrustPolicyException(where + ": no prefix (\"REGISTRY\", \"REGISTRY/REPOSITORY\" or \"*\")");
        }
        List<TrustedKey> trusted = new ArrayList<>();
        JsonNode names = r.path("keys");
        if (!names.isMissingNode()) {
            if (!names.isArray()) {
                throw new InvalidTrustPolicyException(at + ": keys is a list of key names ([\"acme\"])");
            }
            for (JsonNode n : names) {
                TrustedKey k = keys.get(n.asText());
                if (!n.isTextual() || k == null) {
                    throw new InvalidTrustPolicyException(at + ": no key named \"" + n.asText() + "\" in keys"
                            + (keys.isEmpty() ? " (there are none)" : " (there are: " + String.join(", ", keys.keySet()) + ")"));
                }
                if (!trusted.contains(k)) {
                    trusted.add(k);
                }
            }
        }
        boolean require = bool(r, "require_signature", true, at);
        boolean apply = bool(r, "apply_declared_permissions", false, at);
        if (require && trusted.isEmpty()) {
            throw new InvalidTrustPolicyException(at + ": require_signature needs at least one key (or set require_signature = false)");
        }
        if (apply && trusted.isEmpty()) {
            throw new InvalidTrustPolicyException(at + ": apply_declared_permissions applies the declarations of artifacts signed by "
                    + "the rule's keys, and it has none");
        }
        return new Rule(prefix, trusted, require, apply);
    }

    private static boolean bool(JsonNode r, String field, boolean otherwise, String where) {
        JsonNode v = r.get(field);
        if (v == null) {
            return otherwise;
        }
        if (!v.isBoolean()) {
            throw new InvalidTrustPolicyException(where + ": " + field + " is true or false, not " + v);
        }
        return v.asBoolean();
    }

    /** {@code oci://ghcr.io/Acme/} → {@code ghcr.io/acme}: no scheme, no trailing slash, the registry lower-case. */
    private static String normalizePrefix(String text, String where) {
        String p = text.strip();
        if (p.equals("*")) {
            return p;
        }
        if (p.startsWith("oci://")) {
            p = p.substring("oci://".length());
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.contains("://") || p.contains("@") || p.isEmpty() || p.contains("*")) {
            throw new InvalidTrustPolicyException(where + ": prefix \"" + text + "\" is not REGISTRY[/REPOSITORY] (no scheme other than oci://, "
                    + "no tag or digest, no wildcard but \"*\" alone)");
        }
        int slash = p.indexOf('/');
        String registry = (slash < 0 ? p : p.substring(0, slash)).toLowerCase(Locale.ROOT);
        String rest = slash < 0 ? "" : p.substring(slash);
        int colon = rest.lastIndexOf(':');
        if (colon >= 0) {
            throw new InvalidTrustPolicyException(where + ": prefix \"" + text + "\" names a tag; a prefix is a registry or repository");
        }
        try {
            OciReference.parse(registry + (rest.isEmpty() ? "/x" : rest) + ":t"); // the grammar of registries and repositories
        } catch (IllegalArgumentException e) {
            throw new InvalidTrustPolicyException(where + ": prefix \"" + text + "\": " + e.getMessage());
        }
        return registry + rest;
    }

    private static List<String> names(JsonNode table) {
        List<String> out = new ArrayList<>();
        table.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
