package dev.wassette.host;

import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyException;
import dev.wassette.source.Progress;
import dev.wassette.source.RegistryCredentials;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the components of a {@link ProvisioningManifest} at start-up, in two steps so that a
 * manifest that fails changes nothing: first every entry is fetched through
 * {@link ComponentSources#fetch} (its digest enforced), compiled, linked and checked against the
 * others; only when all passed (or {@code continueOnFailure}) are they stored, each with the
 * manifest's permissions as its policy — replacing what it had, so the manifest states the whole
 * grant. A component's own declaration is stored and shown as for any load, never applied by this.
 */
public final class Provisioner {
    private static final System.Logger LOG = System.getLogger("dev.wassette.host");

    private Provisioner() {}

    /** Admits a prepared component next to those admitted before it; throws {@link IllegalStateException} saying why not (a tool name clash). */
    @FunctionalInterface
    public interface Admission {
        void admit(ComponentHost.Loaded candidate);
    }

    /** What was provisioned, and the entries that failed (with {@code continueOnFailure}) or left warnings. */
    public record Result(List<String> provisioned, List<String> warnings) {
        public Result {
            provisioned = List.copyOf(provisioned);
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Entries that failed, each naming the entry. When they failed to fetch, match their digest,
     * compile, link or be admitted, nothing was stored; only a store that fails to write (a full
     * disk) can leave the entries before it stored.
     */
    public static final class ProvisioningException extends Exception {
        private final List<String> problems;

        public ProvisioningException(List<String> problems) {
            super(String.join("\n", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    private record Ready(ProvisioningManifest.Entry entry, ComponentSources.Fetched fetched, ComponentHost.Loaded prepared) {}

    /**
     * @param continueOnFailure load the entries that can be loaded and report the others as warnings
     * @param admission         checks each component against those before it (see {@link Admission})
     * @throws ProvisioningException when an entry fails and not {@code continueOnFailure}, naming every failed entry
     */
    public static Result provision(ComponentHost host, ProvisioningManifest manifest, boolean continueOnFailure, Admission admission)
            throws ProvisioningException {
        List<Ready> ready = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (ProvisioningManifest.Entry entry : manifest.entries()) {
            ComponentHost.Loaded prepared = null;
            try {
                ComponentSources.Fetched fetched = host.sources().fetch(entry.uri(), manifest.directory(), entry.digest(),
                        RegistryCredentials.fromEnvironment(System.getenv()), Progress.NONE);
                List<String> unenforceable = PolicyMapping.unenforceable(entry.permissions(), host.settings().baseDir());
                if (!unenforceable.isEmpty()) {
                    throw new IllegalArgumentException("permissions that cannot be enforced as written: " + String.join("; ", unenforceable));
                }
                prepared = host.prepare(entry.id(), fetched.bytes());
                admission.admit(prepared);
                ready.add(new Ready(entry, fetched, prepared));
                PolicyMapping.absentDirectories(entry.permissions(), host.settings().baseDir())
                        .forEach(w -> warnings.add(entry.describe() + ": " + w));
            } catch (ComponentSources.SourceException | IOException | RuntimeException e) {
                if (prepared != null) {
                    host.discard(prepared);
                }
                failures.add(entry.describe() + ": " + (e instanceof IOException ? "cannot read it: " : "") + e.getMessage());
            }
        }
        if (!failures.isEmpty() && !continueOnFailure) {
            ready.forEach(r -> host.discard(r.prepared()));
            throw new ProvisioningException(failures);
        }
        failures.forEach(f -> warnings.add(f + "; not loaded (--continue-on-provisioning-failure)"));
        List<String> provisioned = new ArrayList<>();
        for (int i = 0; i < ready.size(); i++) {
            Ready r = ready.get(i);
            try {
                host.install(r.prepared(), r.fetched());
                Policy granted = r.entry().permissions();
                host.store().update(r.entry().id(), old -> granted);
                provisioned.add(r.entry().id());
                LOG.log(System.Logger.Level.INFO, "provisioned component {0} from {1} ({2})", r.entry().id(), r.fetched().source(), r.fetched().digest());
            } catch (IOException | PolicyException e) {
                String failure = r.entry().describe() + ": cannot store it: " + e.getMessage();
                if (!continueOnFailure) {
                    ready.subList(i + 1, ready.size()).forEach(rest -> host.discard(rest.prepared()));
                    throw new ProvisioningException(List.of(failure));
                }
                warnings.add(failure + "; not loaded (--continue-on-provisioning-failure)");
            }
        }
        return new Result(provisioned, warnings);
    }
}
