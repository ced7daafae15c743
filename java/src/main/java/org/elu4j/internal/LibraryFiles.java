package org.elu4j.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Why a native library cannot load here, said before {@code dlopen} or after it failed:
 * {@code dlopen}'s own reason does not reach Java ({@code SymbolLookup.libraryLookup} says only
 * "Cannot open library"), so a user on an aarch64 JVM, or with java.io.tmpdir on a file system
 * mounted {@code noexec} (common on hardened hosts and in containers), would get no hint.
 *
 * <p>Why a class of its own: these are facts about files and the platform (the ELF header, the
 * mount table, {@code os.name}/{@code os.arch}), apart from how libraries are found, extracted and
 * loaded ({@link NativeLibraries}).
 */
final class LibraryFiles {
    /** ELF's e_machine values for the JVM architectures whose machine elu4j can name. */
    private static final int EM_X86_64 = 62, EM_AARCH64 = 183;

    private LibraryFiles() {
    }

    /**
     * Null on the one platform the bundled libraries are built for (Linux on x86-64), else why
     * they cannot load here: said before anything is extracted.
     */
    static String platformProblem() {
        String os = System.getProperty("os.name", "?");
        String arch = System.getProperty("os.arch", "?");
        if (os.equals("Linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
            return null;
        }
        return "the bundled native libraries are built for linux-x86_64 only, and this JVM runs on " + os + "/" + arch
                + " (the vector and scalar backends run everywhere)";
    }

    /**
     * Null when {@code path} starts as a 64-bit little-endian ELF file for this JVM's machine (where
     * elu4j knows its number), else what it is instead.
     */
    static String elfProblem(Path path) throws IOException {
        byte[] h = new byte[20];
        int n;
        try (InputStream in = Files.newInputStream(path)) {
            n = in.readNBytes(h, 0, h.length);
        }
        if (n < 4 || h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F') {
            return "is not a shared library (no ELF header)";
        }
        if (n < h.length || h[4] != 2 || h[5] != 1) {
            return "is not a 64-bit little-endian ELF file";
        }
        int machine = (h[18] & 0xff) | (h[19] & 0xff) << 8;
        int expected = switch (System.getProperty("os.arch", "?")) {
            case "amd64", "x86_64" -> EM_X86_64;
            case "aarch64" -> EM_AARCH64;
            default -> -1;
        };
        if (expected >= 0 && machine != expected) {
            return "is built for " + machineName(machine) + ", and this JVM runs on " + System.getProperty("os.arch");
        }
        return null;
    }

    private static String machineName(int machine) {
        return switch (machine) {
            case EM_X86_64 -> "x86-64";
            case EM_AARCH64 -> "aarch64";
            default -> "ELF machine " + machine;
        };
    }

    /**
     * Where {@code dlopen} failed on a file that passed the ELF check: the likely reason, as a
     * clause to append, or "" when none is found. A file system mounted {@code noexec} is the
     * usual one (the mapping of the library's code is refused); then a glibc older than the
     * library's {@code needsGlibc} (null: not known), as on RHEL 8 or Debian 11 for oneDNN.
     */
    static String loadFailureHint(Path path, String settingToChange, String needsGlibc) {
        try {
            String mount = noexecMount(path.toRealPath(), Files.readAllLines(Path.of("/proc/self/mountinfo")));
            if (mount != null) {
                return "; the file system mounted at " + mount + " is mounted noexec, so no library can be loaded from it: "
                        + settingToChange;
            }
        } catch (IOException | RuntimeException e) {
            // no mount table (not Linux, a restricted /proc): no hint
        }
        String glibc = needsGlibc == null ? null : glibcVersion();
        if (glibc != null && olderVersion(glibc, needsGlibc)) {
            return "; it needs glibc " + needsGlibc + " or newer, and this system has glibc " + glibc;
        }
        return "";
    }

    /**
     * Why the dynamic linker cannot load the library: {@code dlerror()} after a {@code dlopen} of
     * it, e.g. a dependency that is missing or broken ("libgomp.so.1: file too short"), which
     * {@code SymbolLookup.libraryLookup} does not pass on ("Cannot open library"). Null where it
     * loads after all, or the C library has no {@code dlopen}/{@code dlerror} to ask.
     */
    static String dlopenError(Path path) {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> open = linker.defaultLookup().find("dlopen");
            Optional<MemorySegment> error = linker.defaultLookup().find("dlerror");
            Optional<MemorySegment> close = linker.defaultLookup().find("dlclose");
            if (open.isEmpty() || error.isEmpty() || close.isEmpty()) {
                return null;
            }
            final int rtldLazy = 1; // RTLD_LAZY on Linux: resolve nothing more than loading needs
            MemorySegment handle = (MemorySegment) linker.downcallHandle(open.get(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT))
                    .invokeExact(arena.allocateFrom(path.toString()), rtldLazy);
            if (!handle.equals(MemorySegment.NULL)) {
                int ignored = (int) linker.downcallHandle(close.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS)).invokeExact(handle);
                return null;
            }
            MemorySegment message = (MemorySegment) linker.downcallHandle(error.get(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact();
            return message.equals(MemorySegment.NULL) ? null : message.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return null;
        }
    }

    /** This process's glibc version ({@code gnu_get_libc_version}), or null (another C library, no native access). */
    static String glibcVersion() {
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> f = linker.defaultLookup().find("gnu_get_libc_version");
            if (f.isEmpty()) {
                return null;
            }
            MemorySegment s = (MemorySegment) linker.downcallHandle(f.get(), FunctionDescriptor.of(ValueLayout.ADDRESS))
                    .invokeExact();
            return s.reinterpret(32).getString(0);
        } catch (Throwable t) {
            return null;
        }
    }

    /** Whether version {@code a} ("2.31") comes before {@code b} ("2.34"), by their numbers. */
    static boolean olderVersion(String a, String b) {
        String[] x = a.split("\\."), y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int p = i < x.length ? leadingNumber(x[i]) : 0, q = i < y.length ? leadingNumber(y[i]) : 0;
            if (p != q) {
                return p < q;
            }
        }
        return false;
    }

    private static int leadingNumber(String s) {
        int n = 0;
        for (int i = 0; i < s.length() && Character.isDigit(s.charAt(i)) && n < 100_000; i++) {
            n = n * 10 + (s.charAt(i) - '0');
        }
        return n;
    }

    /**
     * The mount point holding {@code file} (an absolute real path) if it is mounted
     * {@code noexec}, else null; {@code mountinfo} is {@code /proc/self/mountinfo}'s lines (the
     * fifth field is the mount point, with spaces and the like escaped as octal; the sixth the
     * mount's options). The longest mount point that contains the file is its mount (the
     * last such line where mounts are stacked).
     */
    static String noexecMount(Path file, List<String> mountinfo) {
        String best = null;
        boolean bestNoexec = false;
        for (String line : mountinfo) {
            String[] f = line.split(" ");
            if (f.length < 6) {
                continue;
            }
            String point = unescape(f[4]);
            if (file.startsWith(Path.of(point)) && (best == null || point.length() >= best.length())) {
                best = point;
                bestNoexec = List.of(f[5].split(",")).contains("noexec");
            }
        }
        return bestNoexec ? best : null;
    }

    /** mountinfo's octal escapes ({@code \040} for a space) undone. */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
