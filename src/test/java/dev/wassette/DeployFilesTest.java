package dev.wassette;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.host.ComponentHost;
import dev.wassette.mcp.HttpMcpServer;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The deployment files under docs/ agree with the server and with each other: the Kubernetes
 * manifests probe and scrape the endpoints the server has, as the image's user, on its port and
 * volume; the Dockerfile and the manifests pass the checks of the tools that consume them; the
 * Grafana dashboard queries only metrics a live server exposes. (No image is built here: the
 * machine has no container daemon and no registry with a base image.)
 */
class DeployFilesTest {
    private static final Path DEPLOY = Path.of("docs/deploy");
    /** Metric names in a PromQL expression: a name this server exports, then its selector (labels are never followed by one). */
    private static final Pattern METRIC = Pattern.compile("\\b((?:mcp|wassette|jvm|process)_[a-z0-9_]+)(?=[{\\[])");

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void theKubernetesManifestsRunTheImageAsItsUserAndProbeAndScrapeTheServersEndpoints() throws Exception {
        String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
        assertTrue(dockerfile.contains("\nUSER 10001\n"), "the image runs as uid 10001");
        assertTrue(dockerfile.contains("COPY target/wassette.jar /opt/wassette/wassette.jar")
                && dockerfile.contains("\"-jar\", \"/opt/wassette/wassette.jar\""), "the entry point runs the jar the image copies");
        assertTrue(dockerfile.contains("VOLUME /var/lib/wassette") && dockerfile.contains("EXPOSE 9001"));

        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(DEPLOY.resolve("kubernetes.yaml")))) {
            docs.add((Map<String, Object>) doc);
        }
        assertEquals(Set.of("PersistentVolumeClaim", "Deployment", "Service"), Set.copyOf(docs.stream().map(d -> (String) d.get("kind")).toList()));
        Map<String, Object> deployment = docs.stream().filter(d -> d.get("kind").equals("Deployment")).findFirst().orElseThrow();
        Map<String, Object> template = map(map(deployment, "spec"), "template");
        Map<String, Object> pod = map(template, "spec");
        Map<String, Object> security = map(pod, "securityContext");
        assertEquals(true, security.get("runAsNonRoot"));
        assertEquals(10001, security.get("runAsUser"), "the image's user");
        Map<String, Object> container = ((List<Map<String, Object>>) pod.get("containers")).getFirst();
        List<String> args = (List<String>) container.get("args");
        assertEquals("serve", args.getFirst());
        assertEquals("0.0.0.0:9001", args.get(args.indexOf("--bind-address") + 1));
        assertTrue(args.contains("$(POD_IP)"), "the probes' and Prometheus' Host header (the pod IP) is allowed");
        assertEquals(9001, ((List<Map<String, Object>>) container.get("ports")).getFirst().get("containerPort"));
        assertEquals("/health", map(map(container, "livenessProbe"), "httpGet").get("path"));
        assertEquals("/ready", map(map(container, "readinessProbe"), "httpGet").get("path"));
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            assertEquals(9001, map(map(container, probe), "httpGet").get("port"), probe);
        }
        assertEquals("/var/lib/wassette", ((List<Map<String, Object>>) container.get("volumeMounts")).getFirst().get("mountPath"),
                "the image's volume");
        Map<String, Object> annotations = map(map(template, "metadata"), "annotations");
        assertEquals("/metrics", annotations.get("prometheus.io/path"));
        assertEquals("9001", annotations.get("prometheus.io/port"));
        Map<String, Object> service = docs.stream().filter(d -> d.get("kind").equals("Service")).findFirst().orElseThrow();
        assertEquals(9001, ((List<Map<String, Object>>) map(service, "spec").get("ports")).getFirst().get("targetPort"));

        Map<String, Object> prometheus = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(DEPLOY.resolve("prometheus.yml")));
        Map<String, Object> job = ((List<Map<String, Object>>) prometheus.get("scrape_configs")).getFirst();
        assertEquals("/metrics", job.get("metrics_path"));
    }

    /**
     * The tools that consume the files check them: BuildKit's Dockerfile frontend converts the
     * Dockerfile's build and applies its lint rules (as {@code docker build --check}), and each
     * manifest decodes strictly into its Kubernetes API type. A broken copy of each fails, so the
     * checks do check.
     */
    @Test
    void theImageBuildAndTheManifestsPassTheCheckOfTheToolsThatConsumeThem() throws Exception {
        Path check = dev.wassette.RegistryTools.get().deployCheck();
        var dockerfile = deployCheck(check, "dockerfile", DEPLOY.resolve("Dockerfile"));
        assertEquals(0, dockerfile.code(), dockerfile.output());
        assertTrue(dockerfile.output().contains("Dockerfile: ok"), dockerfile.output());
        var manifests = deployCheck(check, "kubernetes", DEPLOY.resolve("kubernetes.yaml"));
        assertEquals(0, manifests.code(), manifests.output());
        for (String kind : List.of("PersistentVolumeClaim", "Deployment", "Service")) {
            assertTrue(manifests.output().contains(": " + kind + " ok"), manifests.output());
        }

        Path brokenDockerfile = Files.writeString(dir.resolve("Dockerfile"), Files.readString(DEPLOY.resolve("Dockerfile"))
                .replace("FROM eclipse-temurin:25-jre", "FROM eclipse-temurin:25-jre as Runtime")
                .replace("COPY target/wassette.jar", "COPY --chmod=notamode target/wassette.jar"));
        var refused = deployCheck(check, "dockerfile", brokenDockerfile);
        assertEquals(1, refused.code(), refused.output());
        assertTrue(refused.output().contains("FromAsCasing") || refused.output().contains("StageNameCasing"), refused.output());
        Path brokenManifest = Files.writeString(dir.resolve("kubernetes.yaml"), Files.readString(DEPLOY.resolve("kubernetes.yaml"))
                .replace("containerPort:", "containerport:"));
        var rejected = deployCheck(check, "kubernetes", brokenManifest);
        assertEquals(1, rejected.code(), rejected.output());
        assertTrue(rejected.output().contains("unknown field \"spec.template.spec.containers[0].ports[0].containerport\""), rejected.output());
    }

    private dev.wassette.RegistryTools.Result deployCheck(Path check, String kind, Path file) {
        return dev.wassette.RegistryTools.run(List.of(check.toString(), kind, file.toAbsolutePath().toString()), dir, Map.of(), Duration.ofSeconds(60));
    }

    @Test
    void theGrafanaDashboardQueriesOnlyMetricsALiveServerExposes() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(Path.of("docs/grafana-dashboard.json")));
        Set<String> queried = new TreeSet<>();
        int panels = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            panels++;
            assertFalse(panel.path("targets").isEmpty(), panel.path("title").asText());
            for (JsonNode target : panel.path("targets")) {
                Matcher m = METRIC.matcher(target.path("expr").asText());
                while (m.find()) {
                    queried.add(m.group(1));
                }
            }
        }
        assertTrue(panels >= 10 && queried.size() >= 8, queried.toString());

        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components"))
                .secretsDir(dir.resolve("secrets")).baseDir(dir).processEnv(Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build());
             HttpMcpServer server = HttpMcpServer.start(host, true, "127.0.0.1:0", List.of("127.0.0.1"))) {
            String base = "http://127.0.0.1:" + server.address().getPort();
            try (McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp").build())
                    .requestTimeout(Duration.ofSeconds(60)).build()) {
                client.initialize();
                client.callTool(new McpSchema.CallToolRequest("load-component", Map.of("path", Fixtures.path("types.wasm").toUri().toString())));
                client.callTool(new McpSchema.CallToolRequest("wassette_fixtures_types_0_1_0_add", Map.of("a", 1, "b", 2)));
            }
            String scraped = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Set<String> exposed = new TreeSet<>();
            scraped.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).forEach(l -> exposed.add(l.split("[{ ]", 2)[0]));
            Set<String> missing = new TreeSet<>(queried);
            missing.removeAll(exposed);
            assertEquals(Set.of(), missing, "queried by the dashboard but not in /metrics; exposed: " + exposed);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        assertTrue(value instanceof Map, key + " is a mapping in " + parent);
        return (Map<String, Object>) value;
    }
}
