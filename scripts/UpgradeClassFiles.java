import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Build step (run by Maven after the jar is shaded; JDK 24+ source launcher, java.lang.classfile):
 * rewrites the class files under the given package prefixes of a jar that are older than Java 6
 * (major version &lt; 50) as Java 8 class files (52), with the StackMapTable frames the type-checking
 * verifier needs, and checks every rewritten class with that verifier.
 *
 * <p>Why: JDK 25's AOT cache (JEP 483, {@code -XX:AOTCacheOutput}) excludes every class that had to
 * be verified by the old inference verifier ("Skipping …: Old class has been linked"), and every class
 * implementing or extending one. picocli 4.7.x (the newest) is compiled for Java 5, so its ~175 classes
 * were read from the jar, parsed and verified again at every start. The bytecode is unchanged; only
 * the version and the frames are added. (JDK-8317269, after JDK 25, stores such classes itself.)
 *
 * <p>Usage: {@code java UpgradeClassFiles.java JAR PREFIX...} (prefixes like {@code picocli/}).
 */
public final class UpgradeClassFiles {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: java UpgradeClassFiles.java JAR PREFIX...");
            System.exit(2);
        }
        Path jar = Path.of(args[0]).toAbsolutePath();
        List<String> prefixes = List.of(args).subList(1, args.length);
        int upgraded = 0;
        List<String> failures = new ArrayList<>();
        try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of())) {
            Path root = zip.getPath("/");
            // Frames need the common super class of two types: resolve the jar's own classes from the jar.
            ClassHierarchyResolver fromJar = ClassHierarchyResolver.ofResourceParsing(desc -> {
                String d = desc.descriptorString(); // Lpkg/Name;
                Path p = zip.getPath("/" + d.substring(1, d.length() - 1) + ".class");
                try {
                    return Files.isRegularFile(p) ? Files.newInputStream(p) : null;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            ClassFile cf = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                    fromJar.orElse(ClassHierarchyResolver.defaultResolver())),
                    ClassFile.StackMapsOption.GENERATE_STACK_MAPS);
            List<Path> classes;
            try (Stream<Path> files = Files.walk(root)) {
                classes = files.filter(p -> p.toString().endsWith(".class"))
                        .filter(p -> prefixes.stream().anyMatch(prefix -> p.toString().startsWith("/" + prefix)))
                        .toList();
            }
            for (Path p : classes) {
                byte[] bytes = Files.readAllBytes(p);
                ClassModel model = cf.parse(bytes);
                if (model.majorVersion() >= ClassFile.JAVA_6_VERSION) {
                    continue;
                }
                // Code is rebuilt (CodeTransform), so the frames are generated for the new version.
                ClassTransform upgrade = (builder, element) -> {
                    if (element instanceof ClassFileVersion) {
                        builder.withVersion(ClassFile.JAVA_8_VERSION, 0);
                    } else {
                        builder.with(element);
                    }
                };
                byte[] out = cf.transformClass(model, upgrade.andThen(ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)));
                ClassModel rewritten = cf.parse(out);
                var errors = cf.verify(rewritten);
                if (rewritten.majorVersion() != ClassFile.JAVA_8_VERSION || !errors.isEmpty()) {
                    failures.add(p + ": " + (errors.isEmpty() ? "version " + rewritten.majorVersion() : errors.getFirst().getMessage()));
                    continue;
                }
                Files.write(p, out);
                upgraded++;
            }
        }
        if (!failures.isEmpty()) {
            failures.forEach(System.err::println);
            System.err.println("UpgradeClassFiles: " + failures.size() + " class(es) could not be upgraded");
            System.exit(1);
        }
        System.out.println("UpgradeClassFiles: " + upgraded + " class file(s) of " + prefixes + " in " + jar.getFileName()
                + " upgraded to version 52 with stack map frames");
    }
}
