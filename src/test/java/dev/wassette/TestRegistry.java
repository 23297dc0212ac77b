package dev.wassette;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * A real OCI registry started for a test on a free loopback port, plain HTTP (allowed for
 * loopback): the CNCF distribution registry (optionally with htpasswd basic auth) or
 * go-containerregistry's in-memory one. Artifacts are pushed with the real {@code oras} and
 * {@code wkg}, each with a private home so no user credentials are involved.
 */
public final class TestRegistry implements AutoCloseable {
    private static final Pattern PUSHED_DIGEST = Pattern.compile("Digest:\\s*(sha256:[0-9a-f]{64})");
    private static final Pattern GGCR_PORT = Pattern.compile("serving on port (\\d+)");

    private final Process process;
    private final Path log;
    private final String address;
    private final Path work;
    private final String user;
    private final String password;

    private TestRegistry(Process process, Path log, String address, Path work, String user, String password) {
        this.process = process;
        this.log = log;
        this.address = address;
        this.work = work;
        this.user = user;
        this.password = password;
    }

    /** The CNCF distribution registry, anonymous pulls and pushes. */
    public static TestRegistry distribution(Path work) {
        return distribution(work, null, null);
    }

    /** The CNCF distribution registry requiring {@code user}/{@code password} (htpasswd, bcrypt) for everything. */
    public static TestRegistry distribution(Path work, String user, String password) {
        RegistryTools.Tools tools = RegistryTools.get();
        try {
            Files.createDirectories(work);
            int port = freePort();
            String auth = "";
            if (user != null) {
                byte[] salt = new byte[16];
                new SecureRandom().nextBytes(salt);
                Path htpasswd = work.resolve("htpasswd");
                Files.writeString(htpasswd, user + ":" + OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, 5) + "\n");
                auth = "auth:\n  htpasswd:\n    realm: wassette-test\n    path: " + htpasswd + "\n";
            }
            Path config = Files.writeString(work.resolve("config.yml"), """
                    version: 0.1
                    log:
                      level: info
                      accesslog:
                        disabled: true
                    storage:
                      filesystem:
                        rootdirectory: %s
                      delete:
                        enabled: true
                    http:
                      addr: 127.0.0.1:%d
                      secret: %s
                    %s""".formatted(work.resolve("storage"), port, Long.toHexString(new SecureRandom().nextLong()), auth));
            Path log = work.resolve("registry.log");
            Process p = new ProcessBuilder(tools.distribution().toString(), "serve", config.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            TestRegistry r = new TestRegistry(p, log, "127.0.0.1:" + port, work, user, password);
            r.awaitReady();
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** go-containerregistry's in-memory registry (cmd/registry), on a port it picks. */
    public static TestRegistry ggcr(Path work) {
        RegistryTools.Tools tools = RegistryTools.get();
        try {
            Files.createDirectories(work);
            Path log = work.resolve("ggcr.log");
            Process p = new ProcessBuilder(tools.ggcr().toString(), "-port", "0").redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                Matcher m = GGCR_PORT.matcher(Files.readString(log));
                if (m.find()) {
                    TestRegistry r = new TestRegistry(p, log, "127.0.0.1:" + m.group(1), work, null, null);
                    r.awaitReady();
                    return r;
                }
                if (!p.isAlive()) {
                    fail("go-containerregistry's registry exited " + p.exitValue() + ":\n" + Files.readString(log));
                }
                Thread.sleep(50);
            }
            p.destroyForcibly();
            fail("go-containerregistry's registry named no port within 30 s:\n" + Files.readString(log));
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Waits (at most 30 s) until {@code /v2/} answers. */
    private void awaitReady() throws IOException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("the registry exited " + process.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                int status = client.send(HttpRequest.newBuilder(URI.create("http://" + address + "/v2/")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200 || status == 401) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        close();
        fail("the registry did not answer on " + address + " within 30 s:\n" + Files.readString(log));
    }

    /** {@code 127.0.0.1:PORT}. */
    public String address() {
        return address;
    }

    /** {@code oci://127.0.0.1:PORT/<repository:tag>}. */
    public String ref(String repositoryAndTag) {
        return "oci://" + address + "/" + repositoryAndTag;
    }

    /** The registry's log so far. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** A private home for the push tools: no user config, credentials only where given. */
    private Map<String, String> toolEnvironment() throws IOException {
        Path home = Files.createDirectories(work.resolve("tool-home"));
        Map<String, String> env = new HashMap<>();
        env.put("HOME", home.toString());
        env.put("DOCKER_CONFIG", home.resolve(".docker").toString());
        env.put("XDG_CONFIG_HOME", home.resolve(".config").toString());
        env.put("XDG_CACHE_HOME", home.resolve(".cache").toString());
        env.put("XDG_RUNTIME_DIR", home.toString());
        return env;
    }

    /**
     * {@code oras push} of files in {@code dir} ({@code name:mediaType} each) as {@code repositoryAndTag},
     * with {@code configFile:configMediaType} as config when not null. Returns the manifest digest oras printed.
     */
    public String orasPush(Path dir, String repositoryAndTag, String config, String... files) {
        try {
            List<String> cmd = new ArrayList<>(List.of(RegistryTools.get().oras().toString(), "push", "--plain-http", "--disable-path-validation"));
            if (user != null) {
                cmd.addAll(List.of("-u", user, "-p", password));
            }
            if (config != null) {
                cmd.addAll(List.of("--config", config));
            }
            cmd.add(address + "/" + repositoryAndTag);
            cmd.addAll(List.of(files));
            return pushedDigest(RegistryTools.check(cmd, dir, toolEnvironment()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code oras manifest push} of a manifest or index written by the test. Returns its digest. */
    public String orasPushManifest(Path manifest, String repositoryAndTag, String mediaType) {
        try {
            List<String> cmd = new ArrayList<>(List.of(RegistryTools.get().oras().toString(), "manifest", "push", "--plain-http",
                    "--media-type", mediaType));
            if (user != null) {
                cmd.addAll(List.of("-u", user, "-p", password));
            }
            cmd.addAll(List.of(address + "/" + repositoryAndTag, manifest.toString()));
            return pushedDigest(RegistryTools.check(cmd, work, toolEnvironment()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code wkg oci push} of a component as {@code repositoryAndTag}. Returns the manifest digest (resolved with oras). */
    public String wkgPush(Path component, String repositoryAndTag) {
        try {
            Map<String, String> env = toolEnvironment();
            List<String> cmd = new ArrayList<>(List.of(RegistryTools.get().wkg().toString(), "oci", "push", "--color", "never", "--insecure", address));
            if (user != null) {
                cmd.addAll(List.of("-u", user, "-p", password));
            }
            cmd.addAll(List.of(address + "/" + repositoryAndTag, component.toString()));
            RegistryTools.check(cmd, work, env);
            return resolve(repositoryAndTag);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The manifest digest a tag points to, as oras resolves it. */
    public String resolve(String repositoryAndTag) {
        try {
            List<String> cmd = new ArrayList<>(List.of(RegistryTools.get().oras().toString(), "resolve", "--plain-http"));
            if (user != null) {
                cmd.addAll(List.of("-u", user, "-p", password));
            }
            cmd.add(address + "/" + repositoryAndTag);
            return RegistryTools.check(cmd, work, toolEnvironment()).strip().lines().reduce((a, b) -> b).orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String pushedDigest(String output) {
        Matcher m = PUSHED_DIGEST.matcher(output);
        if (!m.find()) {
            fail("no digest in the push output:\n" + output);
        }
        return m.group(1);
    }

    /** Stops the registry. */
    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
