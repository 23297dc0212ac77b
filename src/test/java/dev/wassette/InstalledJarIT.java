package dev.wassette;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library as a Maven dependency (run after {@code package}, by the {@code installed-jar}
 * surefire execution): the jar is installed into a local repository of its own with Maven's install
 * plugin, carries the native library, and {@code examples/pom.xml} — depending on it by its
 * coordinates — builds and runs against it. The user's repository serves every other artifact, read
 * only, as a {@code file:} repository, so nothing of the user's changes.
 */
class InstalledJarIT {
    @TempDir
    Path tmp;

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException("system property " + name + " is not set (run through Maven's verify)");
        }
        return value;
    }

    /** Runs Maven (the one building this project) with its own local repository; returns its output. */
    private String mvn(Path settings, Path repo, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(property("wassette.mvn"), "-B", "-ntp", "-s", settings.toString(),
                "-Dmaven.repo.local=" + repo));
        command.addAll(List.of(args));
        Path log = Files.createTempFile(tmp, "mvn", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("mvn " + String.join(" ", args) + " did not finish in 10 minutes:\n" + Files.readString(log));
        }
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), () -> "mvn " + String.join(" ", args) + " failed:\n" + out);
        return out;
    }

    @Test
    void theInstalledJarCarriesTheNativeLibraryAndAProjectDependingOnItRuns() throws Exception {
        Path userRepo = Path.of(property("wassette.m2"));
        Path settings = Files.writeString(tmp.resolve("settings.xml"), """
                <settings>
                  <profiles><profile><id>user-repository</id>
                    <repositories><repository><id>user-repository</id><url>%1$s</url>
                      <snapshots><enabled>false</enabled></snapshots></repository></repositories>
                    <pluginRepositories><pluginRepository><id>user-repository</id><url>%1$s</url>
                      <snapshots><enabled>false</enabled></snapshots></pluginRepository></pluginRepositories>
                  </profile></profiles>
                  <activeProfiles><activeProfile>user-repository</activeProfile></activeProfiles>
                </settings>
                """.formatted(userRepo.toUri()));
        Path repo = tmp.resolve("repository");
        String version = property("wassette.version");
        mvn(settings, repo, "install:install-file", "-Dfile=" + property("wassette.jar"), "-DpomFile=" + property("wassette.pom"));

        Path installed = repo.resolve("dev/wassette/wassette-java/" + version + "/wassette-java-" + version + ".jar");
        try (JarFile jar = new JarFile(installed.toFile())) {
            var library = jar.getJarEntry("dev/wassette/native/linux-x86_64/libwassette_wasmtime.so");
            assertTrue(library != null && library.getSize() > 1 << 20, "the native library is in the jar: " + library);
            assertTrue(jar.getJarEntry("module-info.class") != null, "the jar is a module");
        }

        Path project = tmp.resolve("examples");
        Path examples = Path.of(property("wassette.examples"));
        try (Stream<Path> files = Files.walk(examples)) {
            for (Path f : files.filter(f -> !f.toString().contains("/target/")).toList()) {
                Path copy = project.resolve(examples.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(f, copy);
                }
            }
        }
        String out = mvn(settings, repo, "-q", "-f", project.resolve("pom.xml").toString(), "compile", "exec:exec",
                "-Dexample=HelloExample", "-Dexample.args=" + Fixtures.path("types.wasm"));
        assertTrue(out.contains("Hello, World!\n2 + 3 = 5\n"), out);
    }
}
