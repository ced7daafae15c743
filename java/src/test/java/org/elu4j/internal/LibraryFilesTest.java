package org.elu4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks that name why a native library cannot load here (LibraryFiles). */
class LibraryFilesTest {
    @TempDir
    Path tmp;

    /** Lines in /proc/self/mountinfo's format (proc(5)): the fifth field the mount point, the sixth its options. */
    private static final List<String> MOUNTS = List.of(
            "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
            "23 22 0:22 / /tmp rw,nosuid,nodev,noexec,relatime shared:2 - tmpfs tmpfs rw",
            "24 23 0:23 / /tmp/exec\\040ok rw,relatime shared:3 - tmpfs tmpfs rw",
            "25 22 0:24 / /data rw,noexec shared:4 - ext4 /dev/sdb1 rw",
            "26 22 0:25 / /data rw shared:5 - ext4 /dev/sdc1 rw");

    @Test
    void theMountHoldingAFileDecides() {
        assertEquals("/tmp", LibraryFiles.noexecMount(Path.of("/tmp/elu4j-me/helper-x/libelu4j.so.0"), MOUNTS));
        assertNull(LibraryFiles.noexecMount(Path.of("/home/me/lib.so"), MOUNTS), "the root file system allows exec");
        assertNull(LibraryFiles.noexecMount(Path.of("/tmp/exec ok/lib.so"), MOUNTS), "a mount point with a space (\\040), below /tmp");
        assertNull(LibraryFiles.noexecMount(Path.of("/tmpfoo/lib.so"), MOUNTS), "/tmp is no prefix of /tmpfoo");
        assertNull(LibraryFiles.noexecMount(Path.of("/data/lib.so"), MOUNTS), "the later of two stacked mounts is the one seen");
        assertNull(LibraryFiles.noexecMount(Path.of("/tmp/x"), List.of("garbage", "")), "unreadable lines are skipped");
    }

    @Test
    void theElfHeaderNamesTheMachine() throws IOException {
        byte[] helper;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("native/linux-x86_64/libelu4j.so.0")) {
            helper = in.readAllBytes();
        }
        Path file = tmp.resolve("lib.so");
        Files.write(file, helper);
        assertNull(LibraryFiles.elfProblem(file), "the helper itself is an x86-64 ELF library");
        helper[18] = (byte) 183;
        Files.write(file, helper);
        assertEquals("is built for aarch64, and this JVM runs on amd64", LibraryFiles.elfProblem(file));
        helper[18] = 40;
        Files.write(file, helper);
        assertEquals("is built for ELF machine 40, and this JVM runs on amd64", LibraryFiles.elfProblem(file));
        helper[4] = 1;
        Files.write(file, helper);
        assertEquals("is not a 64-bit little-endian ELF file", LibraryFiles.elfProblem(file));
        Files.write(file, new byte[] {0x7f, 'E', 'L'});
        assertEquals("is not a shared library (no ELF header)", LibraryFiles.elfProblem(file));
        Files.write(file, "#!/bin/sh\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("is not a shared library (no ELF header)", LibraryFiles.elfProblem(file));
    }

    /** dlerror's reason, which the JDK's "Cannot open library" leaves out; null for a library that loads. */
    @Test
    void theDynamicLinkersReasonIsAsked(@TempDir Path dir) throws IOException {
        String missing = LibraryFiles.dlopenError(dir.resolve("libnothere.so"));
        assertTrue(missing != null && missing.contains("libnothere.so") && missing.contains("No such file"), missing);
        Path text = Files.writeString(dir.resolve("libtext.so"), "not a library");
        String notElf = LibraryFiles.dlopenError(text);
        assertTrue(notElf != null && notElf.contains("libtext.so"), notElf);
        assertNull(LibraryFiles.dlopenError(Path.of("libc.so.6")));
    }

    @Test
    void glibcVersionsCompareByTheirNumbers() throws IOException {
        assertEquals(true, LibraryFiles.olderVersion("2.31", "2.34"));
        assertEquals(true, LibraryFiles.olderVersion("2.9", "2.34"), "by number, not text");
        assertEquals(false, LibraryFiles.olderVersion("2.34", "2.34"));
        assertEquals(false, LibraryFiles.olderVersion("2.36", "2.34"));
        assertEquals(false, LibraryFiles.olderVersion("3.0", "2.34"));
        assertEquals(true, LibraryFiles.olderVersion("2.28", "2.34.1"));
        String glibc = LibraryFiles.glibcVersion();
        assertTrue(glibc == null || glibc.matches("\\d+\\.\\d+.*"), glibc);
        // (where java.io.tmpdir is itself mounted noexec, that hint comes first: nothing to check here then)
        boolean tmpNoexec = LibraryFiles.noexecMount(tmp.toRealPath(), Files.readAllLines(Path.of("/proc/self/mountinfo"))) != null;
        if (glibc != null && !tmpNoexec) {
            assertEquals("", LibraryFiles.loadFailureHint(tmp, "x", "0.1"));
            assertEquals("; it needs glibc 999.1 or newer, and this system has glibc " + glibc,
                    LibraryFiles.loadFailureHint(tmp, "x", "999.1"));
        }
    }

    @Test
    void onlyLinuxOnX86_64IsThePlatformOfTheBundledLibraries() {
        String arch = System.getProperty("os.arch");
        String os = System.getProperty("os.name");
        try {
            System.setProperty("os.name", "Linux");
            System.setProperty("os.arch", "amd64");
            assertNull(LibraryFiles.platformProblem());
            System.setProperty("os.arch", "aarch64");
            assertEquals("the bundled native libraries are built for linux-x86_64 only, and this JVM runs on Linux/aarch64 "
                    + "(the vector and scalar backends run everywhere)", LibraryFiles.platformProblem());
            System.setProperty("os.name", "Mac OS X");
            System.setProperty("os.arch", "x86_64");
            assertEquals("the bundled native libraries are built for linux-x86_64 only, and this JVM runs on Mac OS X/x86_64 "
                    + "(the vector and scalar backends run everywhere)", LibraryFiles.platformProblem());
        } finally {
            System.setProperty("os.arch", arch);
            System.setProperty("os.name", os);
        }
    }
}
