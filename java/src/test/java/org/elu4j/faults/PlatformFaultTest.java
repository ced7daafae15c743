package org.elu4j.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.elu4j.Backend;
import org.elu4j.faults.ChildJvm.Child;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native libraries that cannot load on this platform or account, each in a child JVM running {@link Probe}:
 * the reason a user reads must name the platform, the machine or the mount, not only
 * "Cannot open library" (what {@code dlopen}'s failure says in Java), and nothing may be extracted
 * for a platform the bundled libraries are not built for.
 */
class PlatformFaultTest {
    private static final String HELPER = "elu4j.helper.library";
    private static final String DIR = "elu4j.extract.dir";

    @TempDir
    Path tmp;

    /**
     * A JVM on another platform, simulated by its {@code os.name} (FreeBSD on x86-64: an
     * {@code os.arch} of aarch64 would switch the JVM's own native linker to that ABI and crash
     * it): the helper and oneDNN are refused with the platform named, before anything is
     * extracted (oneDNN's copy alone is 93 MB); AUTO runs on a Java backend.
     */
    @Test
    void anotherPlatformExtractsNothingAndSaysWhy() throws Exception {
        Path extract = tmp.resolve("extract");
        Child c = run(ChildJvm.props(DIR, extract, "os.name", "FreeBSD"), "helper", "onednn");
        c.assertFallback(Backend.HELPER, "built for linux-x86_64 only", "this JVM runs on FreeBSD/amd64");
        assertTrue(c.get("explicit.onednn").contains("built for linux-x86_64 only"), c.toString());
        assertTrue(List.of("vector", "scalar").contains(c.get("auto")), c.toString());
        assertFalse(Files.exists(extract) && !list(extract).isEmpty(), () -> "nothing extracted\n" + c);
    }

    /** A library built for another machine (its ELF header says aarch64): refused by that header, by name. */
    @Test
    void aLibraryForAnotherMachineIsRefusedByItsHeader() throws Exception {
        Path lib = privateDir("h").resolve("libelu4j.so.0");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("native/linux-x86_64/libelu4j.so.0")) {
            byte[] bytes = in.readAllBytes();
            assertEquals(62, bytes[18] | bytes[19] << 8, "the helper is an x86-64 ELF file");
            bytes[18] = (byte) 183; // EM_AARCH64
            Files.write(lib, bytes);
        }
        Child c = run(ChildJvm.props(DIR, privateDir("x"), HELPER, lib, "elu4j.dnnl.library", "/nonexistent"), "helper");
        c.assertFallback(Backend.HELPER, lib.toString(), HELPER, "is built for aarch64, and this JVM runs on amd64");
    }

    /**
     * An extraction directory on a file system mounted {@code noexec}: the copy is made but cannot
     * be loaded, and the reason says so and names the setting that moves it. Runs where this
     * machine has such a file system that this user can write to (skipped visibly otherwise; the
     * mount table's reading is tested on its own in LibraryFilesTest).
     */
    @Test
    void aNoexecFileSystemIsNamed() throws Exception {
        // A file system that can hold files (tmpfs, ext4, ...: not devpts or mqueue, which are
        // rw,noexec too) mounted noexec, where this user can make a directory.
        Path extract = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f.length < 6 || dash < 0 || dash + 1 >= f.length
                    || !List.of("tmpfs", "ext2", "ext3", "ext4", "xfs", "btrfs").contains(f[dash + 1])) {
                continue;
            }
            Path p = Path.of(f[4].replace("\\040", " "));
            if (!List.of(f[5].split(",")).contains("noexec") || !List.of(f[5].split(",")).contains("rw")) {
                continue;
            }
            try {
                extract = Files.createTempDirectory(p, "elu4j-noexec-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                break;
            } catch (IOException | UnsupportedOperationException notHere) {
                // not writable by this user: try the next
            }
        }
        assumeTrue(extract != null, "no file system mounted noexec that this user can write to here");
        try {
            Child c = run(ChildJvm.props(DIR, extract, "elu4j.dnnl.library", "/nonexistent"), "helper");
            c.assertFallback(Backend.HELPER, "is mounted noexec", "set elu4j.extract.dir or ELU4J_EXTRACT_DIR");
        } finally {
            try (Stream<Path> walk = Files.walk(extract)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    p.toFile().setWritable(true);
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * An account without a name (a container's numeric user: Java's {@code user.name} is "?"):
     * the default extraction directory is named by the user id, so two such users do not share
     * one (the second would be refused it as another user's), and the helper loads from it.
     */
    @Test
    void anAccountWithoutANameExtractsIntoADirectoryNamedByItsUid() throws Exception {
        Child c = run(ChildJvm.props("user.name", "?", "elu4j.dnnl.library", "/nonexistent"), "helper");
        c.assertSane();
        assertEquals("ok", c.get("explicit.helper"), c.toString());
        String uid = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                .findFirst().orElseThrow().split("\\s+")[2];
        assertTrue(c.get("helperLibrary").startsWith(c.dir().resolve("elu4j-uid" + uid).resolve("helper-").toString()),
                c.toString());
    }

    private Child run(Map<String, String> props, String... explicit) throws Exception {
        return ChildJvm.start(tmp, "jvm", ChildJvm.onClassPath(), props, explicit).await();
    }

    private Path privateDir(String name) throws IOException {
        return Files.createDirectory(tmp.resolve(name),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }
}
