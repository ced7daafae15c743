package org.elu4j.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.elu4j.Backend;

/**
 * Child JVMs running {@link Probe} (libraries are found and loaded once per JVM, so every set-up
 * needs a process of its own): how to launch one on the class path or the module path, and what
 * it reported.
 */
final class ChildJvm {
    static final List<Backend> AUTO_ORDER = List.of(Backend.HELPER, Backend.VECTOR, Backend.ONEDNN, Backend.SCALAR);
    static final String UNAVAILABLE = "org.elu4j.BackendUnavailableException: backend ";

    private ChildJvm() {
    }

    /** This JVM's class path entries. */
    static List<String> classPath() {
        return List.of(System.getProperty("java.class.path").split(File.pathSeparator));
    }

    /** The test class path without oneDNN's natives jar. */
    static String classPathWithoutDnnl() {
        return String.join(File.pathSeparator, classPath().stream().filter(e -> !isDnnlJar(e)).toList());
    }

    /** The oneDNN natives jar of the test class path. */
    static String dnnlJar() {
        return classPath().stream().filter(ChildJvm::isDnnlJar).findFirst()
                .orElseThrow(() -> new AssertionError("no org.bytedeco:dnnl natives jar on the test class path"));
    }

    static boolean isDnnlJar(String entry) {
        String name = Path.of(entry).getFileName().toString();
        return name.startsWith("dnnl-") && name.endsWith("-linux-x86_64.jar");
    }

    /** The library's classes (an exploded module: target/classes with module-info.class). */
    static String libraryClasses() {
        return classPath().stream().filter(e -> Files.isRegularFile(Path.of(e, "module-info.class"))
                        && Files.isRegularFile(Path.of(e, "org/elu4j/Elu4j.class"))).findFirst()
                .orElseThrow(() -> new AssertionError("no org.elu4j classes directory on the test class path"));
    }

    /** The outcome of one child JVM: exit code, Probe's key=value lines, and stderr. */
    record Child(int exit, Map<String, String> values, String out, String err, Path dir) {
        String get(String key) {
            String v = values.get(key);
            if (v == null) {
                fail("no " + key + " in the probe's output\n" + this);
            }
            return v;
        }

        long count(String needle) {
            return err.lines().filter(l -> l.contains(needle)).count();
        }

        /** The log lines of logger org.elu4j at one level (JUL's default two-line format: the level starts the second). */
        List<String> logLines(String level) {
            return err.lines().filter(l -> l.startsWith(level + ": elu4j:")).toList();
        }

        /**
         * The WARNING lines of logger org.elu4j, less the one start line that a machine without
         * FMA in the JIT (the vector backend refused for a reason of the machine's: the no-AVX
         * profile of .ci/cpu-matrix, an old CPU) warns with: what is left must be empty when a
         * backend is absent on purpose.
         */
        List<String> machineWarningsOnly() {
            return logLines("WARNING").stream()
                    .filter(l -> !(l.contains("vector unavailable: the JIT has no FMA")
                            && !l.contains("onednn unavailable") && !l.contains("helper unavailable")))
                    .toList();
        }

        /** Exited normally with a correct AUTO call, no JVM crash, one start line from elu4j. */
        void assertSane() throws IOException {
            assertFalse(err.contains("A fatal error has been detected"), this::toString);
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith("hs_err")).toList(),
                        "JVM crash logs");
            }
            assertEquals(0, exit, this::toString);
            assertEquals("ok", get("autocall"), this::toString);
            assertEquals(1, count("elu4j: AUTO uses"), this::toString);
            assertEquals(0, count("SEVERE:"), this::toString);
            // AUTO takes the first backend that is available, in its fixed order.
            String firstAvailable = AUTO_ORDER.stream().map(Backend::cliName)
                    .filter(n -> get("status." + n).startsWith("available: ")).findFirst().orElseThrow();
            assertEquals(firstAvailable, get("auto"), this::toString);
        }

        /**
         * {@code broken} is reported unavailable, and an explicit call on it is refused, with a
         * message holding every one of {@code mustName}; AUTO falls back; exactly one WARNING line
         * names it (the start line, or for oneDNN, loaded on first use, a line of its own).
         */
        void assertFallback(Backend broken, String... mustName) throws IOException {
            assertSane();
            String name = broken.cliName();
            String status = get("status." + name);
            String explicit = get("explicit." + name);
            assertTrue(status.startsWith("unavailable: "), this::toString);
            assertTrue(explicit.startsWith(UNAVAILABLE + name + " is unavailable: "), this::toString);
            assertFalse(get("auto").equals(name), this::toString);
            for (String s : mustName) {
                assertTrue(status.contains(s), () -> "status lacks '" + s + "'\n" + this);
                assertTrue(explicit.contains(s), () -> "exception lacks '" + s + "'\n" + this);
            }
            List<String> warnings = logLines("WARNING").stream().filter(l -> l.contains(name + " unavailable: ")).toList();
            assertEquals(1, warnings.size(), this::toString);
            for (String s : mustName) {
                assertTrue(warnings.get(0).contains(s), () -> "the WARNING lacks '" + s + "'\n" + this);
            }
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    record Started(Process process, Path out, Path err, Path dir) {
        Child await() throws Exception {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                fail("the probe JVM did not finish within 60 s\n" + Files.readString(err));
            }
            String o = Files.readString(out, StandardCharsets.UTF_8);
            Map<String, String> values = new LinkedHashMap<>();
            for (String line : o.lines().toList()) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    values.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            return new Child(process.exitValue(), values, o, Files.readString(err, StandardCharsets.UTF_8), dir);
        }
    }

    /** The launch options of a class-path child: native access for the unnamed module, the Vector API, this class path. */
    static List<String> onClassPath(String classPath) {
        return List.of("--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-cp", classPath);
    }

    static List<String> onClassPath() {
        return onClassPath(System.getProperty("java.class.path"));
    }

    /**
     * Starts {@link Probe} in a child JVM under {@code tmp}: {@code launch} are the options that
     * say where the library is (class path, module path) and native access; {@code props} become
     * {@code -D} options; {@code explicit} names the backends the probe calls explicitly.
     */
    static Started start(Path tmp, String name, List<String> launch, Map<String, String> props, String... explicit)
            throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("run-" + name + "-" + System.nanoTime()));
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xmx256m", "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"),
                "-Djava.io.tmpdir=" + dir));
        // The CPU emulation of this JVM (.ci/cpu-matrix: -XX:UseAVX=N) holds for the child too.
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-XX:UseAVX=") || a.startsWith("-XX:MaxVectorSize=") || a.endsWith("UseFMA"))
                .forEach(cmd::add);
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(launch);
        cmd.add(Probe.class.getName());
        cmd.addAll(List.of(explicit));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(dir.resolve("stdout").toFile()).redirectError(dir.resolve("stderr").toFile());
        // Only what the test sets counts: no overrides, no extra JVM options from the environment.
        pb.environment().keySet().removeIf(k -> k.startsWith("ELU4J_") || k.equals("JAVA_TOOL_OPTIONS")
                || k.equals("JDK_JAVA_OPTIONS") || k.equals("_JAVA_OPTIONS"));
        return new Started(pb.start(), dir.resolve("stdout"), dir.resolve("stderr"), dir);
    }

    static Map<String, String> props(Object... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1].toString());
        }
        return m;
    }
}
