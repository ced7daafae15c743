package org.elu4j.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.elu4j.Backend;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad native set-ups, each in a child JVM running {@link Probe} (libraries are found and loaded
 * once per JVM): oneDNN or the helper missing, unreadable, not a library, the wrong library; the
 * extraction directory unusable or writable by others; several JVMs extracting at once; a
 * tampered extracted copy.
 *
 * <p>In every case the process must not crash, AUTO must fall back to the first backend that
 * works (order helper, vector, oneDNN, scalar) and compute correct results, the process must log
 * exactly one line from logger {@code org.elu4j} (a WARNING naming what is unavailable), and an
 * explicit call on the broken backend must throw {@code BackendUnavailableException} whose
 * message names the file or directory that was tried and the setting it came from.
 */
class NativeFaultTest {
    private static final String DNNL = "elu4j.dnnl.library";
    private static final String HELPER = "elu4j.helper.library";
    private static final String DIR = "elu4j.extract.dir";
    private static final List<Backend> AUTO_ORDER = List.of(Backend.HELPER, Backend.VECTOR, Backend.ONEDNN, Backend.SCALAR);
    private static final String UNAVAILABLE = "org.elu4j.BackendUnavailableException: backend ";

    /** Copies of real libraries to misuse: the helper and oneDNN's libgomp. */
    @TempDir
    static Path libs;
    static Path helperCopy;
    static Path gompCopy;

    @TempDir
    Path tmp;

    @BeforeAll
    static void copyLibraries() throws IOException {
        helperCopy = copyResource("native/linux-x86_64/libelu4j.so.0", libs.resolve("helper"));
        gompCopy = copyResource("org/bytedeco/dnnl/linux-x86_64/libgomp.so.1", libs.resolve("gomp"));
    }

    private static Path copyResource(String name, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(name.substring(name.lastIndexOf('/') + 1));
        try (InputStream in = NativeFaultTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                fail("resource " + name + " is not on the test class path");
            }
            Files.copy(in, target);
        }
        return target;
    }

    // ------------------------------------------------------------------ the healthy baseline

    @Test
    void healthySetUpLogsOneInfoLineAndEveryBackendRuns() throws Exception {
        Path extract = tmp.resolve("fresh").resolve("extract"); // created by elu4j itself
        Child c = run(props(DIR, extract), "onednn", "helper", "vector", "scalar");
        c.assertSane();
        assertEquals(1, c.count("elu4j: AUTO uses"), c.err);
        // The child runs with this JVM's CPU emulation flags: where the JIT lacks what the Vector
        // API backend needs (-XX:UseAVX=0, a CPU without AVX), that backend is refused with the
        // reason, in the one log line (then a WARNING).
        String vectorObstacle = Machine.vectorObstacle();
        assertEquals(vectorObstacle == null ? 0 : 1, c.count("WARNING: elu4j:"), c.err);
        if (Boolean.getBoolean("elu4j.test.expectAllBackends")) {
            for (Backend b : List.of(Backend.ONEDNN, Backend.HELPER, Backend.VECTOR, Backend.SCALAR)) {
                if (b == Backend.VECTOR && vectorObstacle != null) {
                    assertTrue(c.get("status.vector").startsWith("unavailable: ")
                            && c.get("status.vector").contains(vectorObstacle), c.toString());
                    continue;
                }
                assertTrue(c.get("status." + b.cliName()).startsWith("available: "), c.toString());
                assertEquals("ok", c.get("explicit." + b.cliName()), c.toString());
            }
            assertEquals("helper", c.get("auto"), c.toString());
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(extract)));
        List<Path> hashDirs = list(extract);
        assertEquals(1, hashDirs.size(), hashDirs.toString());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(hashDirs.get(0))));
    }

    // ------------------------------------------------------------------ oneDNN

    @Test
    void dnnlMissing() throws Exception {
        Child c = run(props(DIR, privateDir("x"), DNNL, "/nonexistent/libdnnl.so.3"), "onednn");
        c.assertFallback(Backend.ONEDNN, "/nonexistent/libdnnl.so.3", DNNL, "not a readable file");
    }

    @Test
    void dnnlIsADirectory() throws Exception {
        Path dir = privateDir("libdnnl.so.3");
        Child c = run(props(DIR, privateDir("x"), DNNL, dir), "onednn");
        c.assertFallback(Backend.ONEDNN, dir.toString(), DNNL, "not a readable file");
    }

    @Test
    void dnnlUnreadable() throws Exception {
        Path lib = Files.copy(gompCopy, privateDir("d").resolve("libdnnl.so.3"));
        Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("---------"));
        // root reads any file whatever its mode (CI runs as root): nothing to test then.
        assumeFalse(Files.isReadable(lib), "running as root: a mode-000 file is still readable");
        Child c = run(props(DIR, privateDir("x"), DNNL, lib), "onednn");
        c.assertFallback(Backend.ONEDNN, lib.toString(), DNNL, "not a readable file");
    }

    @Test
    void dnnlNotALibrary() throws Exception {
        Path lib = randomFile(privateDir("d").resolve("libdnnl.so.3"));
        Child c = run(props(DIR, privateDir("x"), DNNL, lib), "onednn");
        c.assertFallback(Backend.ONEDNN, lib.toString(), DNNL, "not a shared library");
    }

    @Test
    void dnnlIsAnotherLibrary() throws Exception {
        // A real ELF library under oneDNN's name: loads fine, but has no dnnl_version.
        Path lib = Files.copy(helperCopy, privateDir("d").resolve("libdnnl.so.3"));
        Child c = run(props(DIR, privateDir("x"), DNNL, lib), "onednn");
        c.assertFallback(Backend.ONEDNN, lib.toString(), DNNL, "dnnl_version");
    }

    // ------------------------------------------------------------------ the helper

    @Test
    void helperMissing() throws Exception {
        // oneDNN stays bundled here: it must still work, explicitly, while AUTO moves on.
        Child c = run(props(DIR, privateDir("x"), HELPER, "/nonexistent/libelu4j.so.0"), "helper", "onednn");
        c.assertFallback(Backend.HELPER, "/nonexistent/libelu4j.so.0", HELPER, "not a readable file");
        assertEquals("ok", c.get("explicit.onednn"), c.toString());
    }

    // ------------------------------------------------------------------ the helper's ISA pin

    @Test
    void helperPinnedToAnUnknownLevelIsRefusedWithTheLevelsThatExist() throws Exception {
        Child c = run(props(DIR, privateDir("x"), "elu4j.helper.isa", "avx3000"), "helper");
        c.assertFallback(Backend.HELPER, "-Delu4j.helper.isa=avx3000", "not a helper ISA level",
                "portable, avx2, avx512", "this CPU supports " + String.join(", ", Machine.helperLevels()));
    }

    @Test
    void helperPinnedToALevelThisCpuLacksIsRefused() throws Exception {
        List<String> lacking = new ArrayList<>(List.of("avx2", "avx512"));
        lacking.removeAll(Machine.helperLevels());
        org.junit.jupiter.api.Assumptions.assumeFalse(lacking.isEmpty(),
                "this CPU has every helper level (" + Machine.helperLevels() + "): no level to refuse");
        Child c = run(props(DIR, privateDir("x"), "elu4j.helper.isa", lacking.get(0)), "helper");
        c.assertFallback(Backend.HELPER, "-Delu4j.helper.isa=" + lacking.get(0), "cannot run the helper's",
                "ELU4J_ERR_UNSUPPORTED_ISA");
    }

    @Test
    void helperPinnedToEachLevelThisCpuHasRunsThere() throws Exception {
        for (String level : Machine.helperLevels()) {
            Child c = run(props(DIR, privateDir("x-" + level), "elu4j.helper.isa", level.toUpperCase(java.util.Locale.ROOT)),
                    "helper");
            c.assertSane();
            assertEquals("ok", c.get("explicit.helper"), c.toString());
            assertTrue(c.get("status.helper").contains("(" + level + ", pinned by -Delu4j.helper.isa="
                    + level.toUpperCase(java.util.Locale.ROOT) + ")"), c.toString());
            assertEquals("helper", c.get("auto"), c.toString());
        }
    }

    @Test
    void helperNotALibrary() throws Exception {
        Path lib = randomFile(privateDir("h").resolve("libelu4j.so.0"));
        Child c = run(props(DIR, privateDir("x"), HELPER, lib, DNNL, "/nonexistent"), "helper");
        c.assertFallback(Backend.HELPER, lib.toString(), HELPER, "not a shared library");
    }

    @Test
    void helperIsAnotherLibrary() throws Exception {
        // libgomp under the helper's name: loads, but has none of the helper's symbols.
        Path lib = Files.copy(gompCopy, privateDir("h").resolve("libelu4j.so.0"));
        Child c = run(props(DIR, privateDir("x"), HELPER, lib, DNNL, "/nonexistent"), "helper");
        c.assertFallback(Backend.HELPER, lib.toString(), HELPER, "elu4j_forward");
    }

    @Test
    void helperInAWorldWritableDirectory() throws Exception {
        Path dir = privateDir("open");
        Path lib = Files.copy(helperCopy, dir.resolve("libelu4j.so.0"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Child c = run(props(DIR, privateDir("x"), HELPER, lib, DNNL, "/nonexistent"), "helper");
        c.assertFallback(Backend.HELPER, dir.toString(), HELPER, "writable by other users");
    }

    // ------------------------------------------------------------------ the extraction directory

    @Test
    void extractDirIsAFile() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "not a directory");
        Child c = run(props(DIR, file), "helper", "onednn");
        c.assertFallback(Backend.HELPER, file.toString(), DIR, "not a directory");
        assertTrue(c.get("explicit.onednn").startsWith(UNAVAILABLE + "onednn"), c.toString());
        assertTrue(c.get("explicit.onednn").contains(file.toString()), c.toString());
        assertEquals("not a directory", Files.readString(file));
    }

    @Test
    void extractDirUnderAFile() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "not a directory");
        Path dir = file.resolve("sub");
        Child c = run(props(DIR, dir, DNNL, "/nonexistent"), "helper");
        c.assertFallback(Backend.HELPER, dir.toString(), DIR, "cannot create extract directory");
    }

    @Test
    void extractDirWritableByOthersIsRefused() throws Exception {
        Path dir = privateDir("shared");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Child c = run(props(DIR, dir), "helper", "onednn");
        c.assertFallback(Backend.HELPER, dir.toString(), DIR, "writable by other users");
        assertTrue(c.get("explicit.onednn").contains("writable by other users"), c.toString());
        assertEquals(List.of(), list(dir), "nothing may be extracted into it");
    }

    @Test
    void tamperedCopyIsReplaced() throws Exception {
        Path extract = privateDir("x");
        Map<String, String> props = props(DIR, extract, DNNL, "/nonexistent");
        run(props, "helper").assertSane();
        List<Path> hashDirs = list(extract);
        assertEquals(1, hashDirs.size(), hashDirs.toString());
        Path lib = hashDirs.get(0).resolve("libelu4j.so.0");
        byte[] good = Files.readAllBytes(lib);
        Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rw-------"));
        randomFile(lib);

        Child c = run(props, "helper");
        c.assertSane();
        assertEquals("ok", c.get("explicit.helper"), c.toString());
        assertEquals(hashDirs, list(extract), "the damaged copy is replaced in place, nothing is left over");
        assertTrue(java.util.Arrays.equals(good, Files.readAllBytes(lib)), "the helper was extracted afresh");
    }

    @Test
    void concurrentExtractionIntoOneFreshDirectory() throws Exception {
        Path extract = tmp.resolve("race"); // does not exist yet: all three create it
        Map<String, String> props = props(DIR, extract);
        List<Started> started = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            started.add(start(props, "jvm" + i, "helper", "onednn"));
        }
        List<Child> children = new ArrayList<>();
        for (Started s : started) {
            children.add(s.await());
        }
        List<Path> hashDirs = list(extract);
        assertEquals(1, hashDirs.size(), "exactly one hash directory, no .staging-* or .damaged-* left: " + hashDirs);
        for (Child c : children) {
            c.assertSane();
            assertEquals("ok", c.get("explicit.helper"), c.toString());
            assertEquals(hashDirs.get(0).resolve("libelu4j.so.0").toString(), c.get("helperLibrary"), c.toString());
            if (!c.get("dnnlLibrary").equals("none")) {
                assertEquals("ok", c.get("explicit.onednn"), c.toString());
                assertEquals(hashDirs.get(0).resolve("libdnnl.so.3").toString(), c.get("dnnlLibrary"), c.toString());
            }
        }
    }

    // ------------------------------------------------------------------ machinery

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

        /** Exited normally with a correct AUTO call, no JVM crash, one log line from elu4j. */
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
         * message holding every one of {@code mustName}; AUTO falls back; one WARNING line.
         */
        void assertFallback(Backend broken, String... mustName) throws IOException {
            assertSane();
            String name = broken.cliName();
            assertEquals(1, count("WARNING: elu4j: AUTO uses"), this::toString);
            assertEquals(0, count("INFO: elu4j:"), this::toString);
            String status = get("status." + name);
            String explicit = get("explicit." + name);
            assertTrue(status.startsWith("unavailable: "), this::toString);
            assertTrue(explicit.startsWith(UNAVAILABLE + name + " is unavailable: "), this::toString);
            assertFalse(get("auto").equals(name), this::toString);
            for (String s : mustName) {
                assertTrue(status.contains(s), () -> "status lacks '" + s + "'\n" + this);
                assertTrue(explicit.contains(s), () -> "exception lacks '" + s + "'\n" + this);
            }
            String logLine = err.lines().filter(l -> l.startsWith("WARNING: elu4j: AUTO uses")).findFirst().orElseThrow();
            assertTrue(logLine.contains(name + " unavailable: "), this::toString);
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

    private Child run(Map<String, String> props, String... explicit) throws Exception {
        return start(props, "jvm", explicit).await();
    }

    private Started start(Map<String, String> props, String name, String... explicit) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("run-" + name + "-" + System.nanoTime()));
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                "-XX:+UseSerialGC", "-Xmx256m", "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"),
                "-Djava.io.tmpdir=" + dir));
        // The CPU emulation of this JVM (.ci/cpu-matrix: -XX:UseAVX=N) holds for the child too.
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-XX:UseAVX=") || a.startsWith("-XX:MaxVectorSize=") || a.endsWith("UseFMA"))
                .forEach(cmd::add);
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        cmd.addAll(List.of(explicit));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(dir.resolve("stdout").toFile()).redirectError(dir.resolve("stderr").toFile());
        // Only what the test sets counts: no overrides, no extra JVM options from the environment.
        pb.environment().keySet().removeIf(k -> k.startsWith("ELU4J_") || k.equals("JAVA_TOOL_OPTIONS")
                || k.equals("JDK_JAVA_OPTIONS") || k.equals("_JAVA_OPTIONS"));
        return new Started(pb.start(), dir.resolve("stdout"), dir.resolve("stderr"), dir);
    }

    private static Map<String, String> props(Object... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1].toString());
        }
        return m;
    }

    /** A new directory of mode 0700 under the test's temporary directory. */
    private Path privateDir(String name) throws IOException {
        return Files.createDirectory(tmp.resolve(name),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /** 8 KiB of seeded random bytes (so no ELF header), written to file. */
    private static Path randomFile(Path file) throws IOException {
        byte[] bytes = new byte[8192];
        new Random(file.getFileName().toString().hashCode()).nextBytes(bytes);
        bytes[0] = 'x';
        return Files.write(file, bytes);
    }

    /** A directory's entries, hidden ones included, sorted. */
    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
