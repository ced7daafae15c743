package org.elu4j.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
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
import org.elu4j.faults.ChildJvm.Child;
import org.elu4j.faults.ChildJvm.Started;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad native set-ups, each in a child JVM running {@link Probe} ({@link ChildJvm}): oneDNN or the
 * helper missing, unreadable, not a library, the wrong library; the extraction directory unusable
 * or writable by others; several JVMs extracting at once; a damaged or tampered extracted copy;
 * and what a healthy start costs: oneDNN untouched until used, one log line.
 *
 * <p>In every case the process must not crash, AUTO must fall back to the first backend that
 * works (order helper, vector, oneDNN, scalar) and compute correct results, logger
 * {@code org.elu4j} must log one start line and exactly one WARNING naming what is unavailable
 * (absent on purpose: nothing above DEBUG), and an explicit call on the broken backend must throw
 * {@code BackendUnavailableException} whose message names the file or directory that was tried
 * and the setting it came from.
 */
class NativeFaultTest {
    private static final String DNNL = "elu4j.dnnl.library";
    private static final String HELPER = "elu4j.helper.library";
    private static final String DIR = "elu4j.extract.dir";
    private static final String UNAVAILABLE = ChildJvm.UNAVAILABLE;

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
        assertEquals(1, c.count("elu4j: AUTO uses"), c.err());
        // The child runs with this JVM's CPU emulation flags: where the JIT lacks what the Vector
        // API backend needs (-XX:UseAVX=0, a CPU without AVX), that backend is refused with the
        // reason, in the one log line (then a WARNING).
        // Where glibc is older than 2.34, oneDNN (loaded by the explicit call) is refused with the
        // reason (Machine.oneDnnObstacle), in a WARNING line of its own.
        String vectorObstacle = Machine.vectorObstacle();
        String oneDnnObstacle = Machine.oneDnnObstacle();
        assertEquals((vectorObstacle == null ? 0 : 1) + (oneDnnObstacle == null ? 0 : 1), c.logLines("WARNING").size(), c.err());
        assertEquals(vectorObstacle == null ? 1 : 0, c.logLines("INFO").size(), c.err());
        if (Boolean.getBoolean("elu4j.test.expectAllBackends")) {
            for (Backend b : List.of(Backend.ONEDNN, Backend.HELPER, Backend.VECTOR, Backend.SCALAR)) {
                if (b == Backend.ONEDNN && oneDnnObstacle != null) {
                    assertTrue(c.get("explicit.onednn").contains(oneDnnObstacle), c.toString());
                    continue;
                }
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
        assertEquals(2, hashDirs.size(), hashDirs.toString());
        assertTrue(hashDirs.get(0).getFileName().toString().matches("dnnl-[0-9a-f]{24}"), hashDirs.toString());
        assertTrue(hashDirs.get(1).getFileName().toString().matches("helper-[0-9a-f]{24}"), hashDirs.toString());
        for (Path d : hashDirs) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)));
        }
        assertEquals(oneDnnObstacle == null ? hashDirs.get(0).resolve("libdnnl.so.3").toString() : "none", c.get("dnnlLibrary"),
                c.toString());
        assertEquals(hashDirs.get(1).resolve("libelu4j.so.0").toString(), c.get("helperLibrary"), c.toString());
    }

    /**
     * Nothing of oneDNN is extracted or loaded until it is used: not by Elu4j.backends(), nor by
     * AUTO calls (the helper runs them), though its natives jar is on the class path.
     */
    @Test
    void oneDnnCostsNothingUntilItIsUsed() throws Exception {
        Path extract = privateDir("x");
        Child c = run(props(DIR, extract));
        c.assertSane();
        assumeTrue(c.get("initial.helper").startsWith("available: "), "the helper is unavailable here: AUTO may need oneDNN");
        assertTrue(c.get("initial.onednn").startsWith("available: onednn, not loaded yet (natives: resource "
                + "org/bytedeco/dnnl/linux-x86_64/libdnnl.so.3 of dnnl-"), c.toString());
        assertEquals("false", c.get("dnnlMapped"), c.toString());
        assertTrue(c.get("extracted").matches("\\[helper-[0-9a-f]{24}\\]"), c.toString());
        assertEquals(0, c.count("onednn unavailable"), c.toString());
        // The start line: INFO, or WARNING where a backend is missing for a reason of the machine's
        // (no FMA in the JIT: the vector backend), never because of oneDNN.
        List<String> start = new java.util.ArrayList<>(c.logLines("INFO"));
        start.addAll(c.logLines("WARNING"));
        assertEquals(1, start.size(), c.toString());
        assertTrue(start.get(0).contains("; onednn loads on first use"), c.toString());
    }

    /**
     * {@code Elu4j.backends()} alone runs no native call, logs nothing and makes none of the
     * logging backend's handlers (its head start belongs to the first binding): the helper is reported available but not linked, oneDNN not loaded; the
     * first call links the helper (its ISA level shows) and logs the one start line.
     */
    @Test
    void backendsAloneLinksNothingAndLogsNothing() throws Exception {
        Path extract = privateDir("x");
        Child c = run(props(DIR, extract), "--backends-only");
        assertEquals(0, c.exit(), c.toString());
        assertEquals(0, c.count("elu4j"), () -> "nothing logged\n" + c);
        assumeTrue(c.get("initial.helper").startsWith("available: "), "the helper is unavailable here");
        assertTrue(c.get("initial.helper").matches("available: helper \\d+\\.\\d+\\.\\d+, not linked yet: .*"), c.toString());
        assertEquals("false", c.get("dnnlMapped"), c.toString());

        Child called = run(props(DIR, extract));
        called.assertSane();
        assertTrue(called.get("status.helper").matches("available: helper \\d+\\.\\d+\\.\\d+ \\((portable|avx2|avx512)\\)"),
                called.toString());
        assertEquals(1, called.logLines("INFO").size() + called.logLines("WARNING").size(), called.toString());

        // No handler or formatter is made (the logging backend's head start belongs to the first
        // binding; asking may still obtain the logger for DEBUG lines that are not written).
        List<String> launch = new ArrayList<>(List.of("-Xlog:class+load:file=classes.txt")); // in the child's directory
        launch.addAll(ChildJvm.onClassPath());
        Child again = ChildJvm.start(tmp, "backends-again", launch, props(DIR, extract), "--backends-only").await();
        assertEquals(0, again.exit(), again.toString());
        String classes = Files.readString(again.dir().resolve("classes.txt"));
        assertTrue(classes.contains("org.elu4j.internal.BackendProvider "), "the class log works: " + again.dir());
        assertFalse(classes.contains("java.util.logging.ConsoleHandler "), "no handler made: " + again.dir());
        assertFalse(classes.contains("java.util.logging.SimpleFormatter "), "no formatter made: " + again.dir());
        assertFalse(classes.contains("org.elu4j.internal.Log$Starter "), "no head start: " + again.dir());
    }

    /** Without the dnnl jar (an optional dependency): no WARNING, oneDNN reported unavailable with what to add. */
    @Test
    void dnnlJarAbsentOnPurposeLogsNothingAboveDebug() throws Exception {
        Child c = ChildJvm.start(tmp, "nodnnl", ChildJvm.onClassPath(ChildJvm.classPathWithoutDnnl()),
                props(DIR, privateDir("x")), "onednn").await();
        c.assertSane();
        assertEquals(List.of(), c.machineWarningsOnly(), c.toString());
        assertEquals(0, c.count("onednn"), () -> "nothing about oneDNN at INFO\n" + c);
        for (String key : List.of("initial.onednn", "status.onednn")) {
            assertTrue(c.get(key).startsWith("unavailable: oneDNN's natives are not on the class path or module path (add "
                    + "org.bytedeco:dnnl:3.13-1.5.14:linux-x86_64"), c.toString());
        }
        assertTrue(c.get("explicit.onednn").startsWith(UNAVAILABLE + "onednn is unavailable: oneDNN's natives are not"),
                c.toString());
    }

    /** -Delu4j.disable=onednn: no WARNING, nothing at INFO about oneDNN; its DEBUG line says so when asked for. */
    @Test
    void disabledOnPurposeLogsOnlyAtDebug() throws Exception {
        Path logging = Files.writeString(tmp.resolve("debug.properties"), """
                handlers=java.util.logging.ConsoleHandler
                java.util.logging.ConsoleHandler.level=ALL
                org.elu4j.level=ALL
                """);
        Child quiet = run(props(DIR, privateDir("x"), "elu4j.disable", "onednn,helper"), "onednn");
        quiet.assertSane();
        assertEquals(List.of(), quiet.machineWarningsOnly(), quiet.toString());
        assertEquals(0, quiet.count("onednn"), quiet.toString());
        assertEquals(0, quiet.count("helper unavailable"), quiet.toString());
        assertEquals("unavailable: disabled by -Delu4j.disable", quiet.get("status.onednn"), quiet.toString());
        assertEquals(quiet.get("status.vector").startsWith("available") ? "vector" : "scalar", quiet.get("auto"),
                quiet.toString());

        Child debug = run(props(DIR, privateDir("y"), "elu4j.disable", "onednn,helper",
                "java.util.logging.config.file", logging));
        debug.assertSane();
        assertEquals(List.of(), debug.machineWarningsOnly(), debug.toString());
        assertEquals(1, debug.logLines("FINE").stream().filter(l -> l.contains("by choice: onednn unavailable: "
                + "disabled by -Delu4j.disable; helper unavailable: disabled by -Delu4j.disable")).count(), debug.toString());
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

    @Test
    void helperWritableByOthersIsRefused() throws Exception {
        Path lib = Files.copy(helperCopy, privateDir("h").resolve("libelu4j.so.0"));
        Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rw-rw-rw-"));
        Child c = run(props(DIR, privateDir("x"), HELPER, lib, DNNL, "/nonexistent"), "helper");
        c.assertFallback(Backend.HELPER, lib.toString(), HELPER, "writable by other users");
    }

    /** A link in a private directory to a library in a world-writable one: the real directory counts. */
    @Test
    void helperLinkedFromAPrivateIntoAWorldWritableDirectoryIsRefused() throws Exception {
        Path open = privateDir("open");
        Path real = Files.copy(helperCopy, open.resolve("libelu4j.so.0"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path link = Files.createSymbolicLink(privateDir("h").resolve("libelu4j.so.0"), real);
        Child c = run(props(DIR, privateDir("x"), HELPER, link, DNNL, "/nonexistent"), "helper");
        c.assertFallback(Backend.HELPER, open.toString(), HELPER, "writable by other users");
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

    /** The helper's copy, extracted by one run, and what a run after {@code damage} makes of it. */
    private void damagedCopyIsReplaced(java.util.function.Consumer<Path> damage, Map<String, String> extra) throws Exception {
        Path extract = privateDir("x");
        Map<String, String> props = props(DIR, extract, DNNL, "/nonexistent");
        run(props, "helper").assertSane();
        List<Path> hashDirs = list(extract);
        assertEquals(1, hashDirs.size(), hashDirs.toString());
        Path lib = hashDirs.get(0).resolve("libelu4j.so.0");
        byte[] good = Files.readAllBytes(lib);
        damage.accept(lib);

        props.putAll(extra);
        Child c = run(props, "helper");
        c.assertSane();
        assertEquals("ok", c.get("explicit.helper"), c.toString());
        assertEquals(hashDirs, list(extract), "the damaged copy is replaced in place, nothing is left over");
        assertTrue(java.util.Arrays.equals(good, Files.readAllBytes(lib)), "the helper was extracted afresh");
    }

    private static void writable(Path lib) {
        try {
            Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void tamperedCopyIsReplaced() throws Exception {
        damagedCopyIsReplaced(lib -> {
            writable(lib);
            try {
                randomFile(lib);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, Map.of());
    }

    @Test
    void truncatedCopyIsReplaced() throws Exception {
        damagedCopyIsReplaced(lib -> {
            writable(lib);
            try (var ch = java.nio.channels.FileChannel.open(lib, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(ch.size() / 2); // a copy interrupted half-way, by anything but elu4j's staging
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, Map.of());
    }

    @Test
    void copyReplacedByALinkIsReplaced() throws Exception {
        damagedCopyIsReplaced(lib -> {
            try {
                Path elsewhere = Files.move(lib, lib.resolveSibling("moved"));
                Files.createSymbolicLink(lib, elsewhere);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, Map.of());
    }

    /**
     * A change that keeps the size is not caught by the cheap check (sizes, links, modes): only by
     * {@code elu4j.extract.verify=full}, which re-hashes existing copies.
     */
    @Test
    void sameSizeTamperingIsCaughtByFullVerification() throws Exception {
        damagedCopyIsReplaced(lib -> {
            writable(lib);
            try (var ch = java.nio.channels.FileChannel.open(lib, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), ch.size() - 64);
                Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("r-x------"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, Map.of("elu4j.extract.verify", "full"));
    }

    /**
     * The default extraction directory (in java.io.tmpdir, which every user may write to) is not
     * followed where it is a link: another user could have planted it to send the copies, and the
     * pruning of old ones, into a directory of this user's choosing.
     */
    @Test
    void defaultExtractDirThatIsALinkIsRefused() throws Exception {
        Path tmpdir = privateDir("tmpdir");
        Path target = privateDir("elsewhere");
        Path link = Files.createSymbolicLink(tmpdir.resolve("elu4j-" + System.getProperty("user.name", "user")), target);
        Child c = run(props("java.io.tmpdir", tmpdir, DNNL, "/nonexistent"), "helper");
        c.assertFallback(Backend.HELPER, link.toString(), "symbolic link");
        assertEquals(List.of(), list(target), "nothing may be extracted through the link");
    }

    /** An extraction directory owned by another user is refused, even where its mode would let this one in (root). */
    @Test
    void extractDirOwnedByAnotherUserIsRefused() throws Exception {
        Path dir = privateDir("theirs");
        assumeTrue(Files.getOwner(dir).getName().equals("root"), "changing a file's owner needs root");
        Files.setAttribute(dir, "unix:uid", 65534); // nobody
        Child c = run(props(DIR, dir, DNNL, "/nonexistent"), "helper");
        c.assertFallback(Backend.HELPER, dir.toString(), "belongs to another user");
        assertEquals(List.of(), list(dir), "nothing may be extracted into it");
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
        assertEquals(2, hashDirs.size(), "exactly two hash directories (dnnl-, helper-), no .staging-* or .damaged-* left: " + hashDirs);
        Path dnnlDir = hashDirs.get(0);
        Path helperDir = hashDirs.get(1);
        for (Child c : children) {
            c.assertSane();
            assertEquals("ok", c.get("explicit.helper"), c.toString());
            assertEquals(helperDir.resolve("libelu4j.so.0").toString(), c.get("helperLibrary"), c.toString());
            if (!c.get("dnnlLibrary").equals("none")) {
                assertEquals("ok", c.get("explicit.onednn"), c.toString());
                assertEquals(dnnlDir.resolve("libdnnl.so.3").toString(), c.get("dnnlLibrary"), c.toString());
            }
        }
    }

    // ------------------------------------------------------------------ machinery

    private Child run(Map<String, String> props, String... explicit) throws Exception {
        return start(props, "jvm", explicit).await();
    }

    private Started start(Map<String, String> props, String name, String... explicit) throws IOException {
        return ChildJvm.start(tmp, name, ChildJvm.onClassPath(), props, explicit);
    }

    private static Map<String, String> props(Object... keyValues) {
        return ChildJvm.props(keyValues);
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

    /**
     * A directory's entries, hidden ones included, sorted; but for the extraction directory's lock
     * file ({@code .lock}, which stays: other JVMs may hold it), which must be a private regular file.
     */
    private static List<Path> list(Path dir) throws IOException {
        Path lock = dir.resolve(".lock");
        if (Files.exists(lock, LinkOption.NOFOLLOW_LINKS)) {
            assertTrue(Files.isRegularFile(lock, LinkOption.NOFOLLOW_LINKS), lock + " is a regular file");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lock)), lock + "'s mode");
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.equals(lock)).sorted().toList();
        }
    }
}
