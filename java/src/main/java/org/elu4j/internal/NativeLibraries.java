package org.elu4j.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.net.URL;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.elu4j.Elu4jException;

/**
 * Finds, extracts and loads the native libraries: the elu4j helper ({@value #HELPER_SONAME},
 * shipped inside the elu4j jar) and oneDNN ({@value #DNNL_SONAME} plus {@value #GOMP_SONAME},
 * taken from the {@code org.bytedeco:dnnl} natives jar on the class path).
 *
 * <p>Bundled libraries are extracted into one private directory per user,
 * {@code <extract dir>/<sha-256 of their contents>/}: the directory is staged under a random name
 * and renamed into place atomically, so two JVMs starting at once never see a half-written
 * library, and an existing directory is used only after its files' hashes match the resources.
 * Libraries are loaded with {@link SymbolLookup#libraryLookup(Path, Arena)} into the global arena
 * (they stay loaded for the life of the JVM); the generated bindings then find them by soname.
 *
 * <p>Overrides, each a system property or else an environment variable:
 * {@value #DNNL_PROPERTY} / {@value #DNNL_ENV} (another {@code libdnnl.so.3}),
 * {@value #HELPER_PROPERTY} / {@value #HELPER_ENV} (another {@code libelu4j.so.0}),
 * {@value #DIR_PROPERTY} / {@value #DIR_ENV} (where to extract; default
 * {@code java.io.tmpdir/elu4j-<user>}).
 */
public final class NativeLibraries {
    public static final String HELPER_SONAME = "libelu4j.so.0";
    static final String DNNL_SONAME = "libdnnl.so.3";
    public static final String GOMP_SONAME = "libgomp.so.1";
    static final String HELPER_RESOURCE = "native/linux-x86_64/" + HELPER_SONAME;
    static final String DNNL_RESOURCE_DIR = "org/bytedeco/dnnl/linux-x86_64/";

    static final String HELPER_PROPERTY = "elu4j.helper.library";
    static final String HELPER_ENV = "ELU4J_HELPER_LIBRARY";
    static final String DNNL_PROPERTY = "elu4j.dnnl.library";
    static final String DNNL_ENV = "ELU4J_DNNL_LIBRARY";
    static final String DIR_PROPERTY = "elu4j.extract.dir";
    static final String DIR_ENV = "ELU4J_EXTRACT_DIR";

    /** A loaded library: where it came from and a lookup of its symbols. */
    public record Library(String name, Path path, String origin, SymbolLookup lookup) {
    }

    /** The outcome of loading one library: the library, or why it could not be loaded. */
    public record Outcome(Library library, Elu4jException failure) {
        public Library get() {
            if (failure != null) {
                throw failure;
            }
            return library;
        }

        public boolean ok() {
            return failure == null;
        }
    }

    private NativeLibraries() {
    }

    /** The elu4j helper library, loaded on first use (the outcome is remembered). */
    public static Outcome helper() {
        return Loaded.INSTANCE.helper;
    }

    /** oneDNN, loaded on first use (the outcome is remembered). */
    public static Outcome dnnl() {
        return Loaded.INSTANCE.dnnl;
    }

    /** Where bundled libraries were extracted, or null if nothing was extracted. */
    static Path extractDirectory() {
        return Loaded.INSTANCE.directory;
    }

    /** Lazy holder: extraction and loading run once, on first use, without a lock of ours. */
    private static final class Loaded {
        static final Loaded INSTANCE = new Loaded();
        final Outcome helper;
        final Outcome dnnl;
        final Path directory;

        private Loaded() {
            String helperOverride = setting(HELPER_PROPERTY, HELPER_ENV);
            String dnnlOverride = setting(DNNL_PROPERTY, DNNL_ENV);
            ClassLoader loader = NativeLibraries.class.getClassLoader();
            Map<String, URL> bundled = new LinkedHashMap<>();
            List<String> missing = new ArrayList<>();
            if (helperOverride == null) {
                addResource(loader, HELPER_RESOURCE, bundled, missing);
            }
            if (dnnlOverride == null) {
                addResource(loader, DNNL_RESOURCE_DIR + DNNL_SONAME, bundled, missing);
                addResource(loader, DNNL_RESOURCE_DIR + GOMP_SONAME, bundled, missing);
            }
            Path dir = null;
            Elu4jException extractFailure = null;
            if (!bundled.isEmpty()) {
                try {
                    dir = extract(bundled);
                    pruneStale(dir, Instant.now());
                } catch (IOException | UncheckedIOException | Elu4jException e) {
                    extractFailure = new Elu4jException("cannot extract native libraries: " + e.getMessage(), e);
                }
            }
            directory = dir;
            helper = helperOverride != null
                    ? load("elu4j helper", Path.of(helperOverride), HELPER_PROPERTY + "/" + HELPER_ENV, true)
                    : loadBundled("elu4j helper", HELPER_RESOURCE, HELPER_SONAME, dir, extractFailure, missing,
                            "the elu4j jar should contain it; was it built with 'mvn package'?");
            dnnl = dnnlOverride != null
                    ? load("oneDNN", Path.of(dnnlOverride), DNNL_PROPERTY + "/" + DNNL_ENV, true)
                    : loadBundled("oneDNN", DNNL_RESOURCE_DIR + DNNL_SONAME, DNNL_SONAME, dir, extractFailure,
                            missing, "add org.bytedeco:dnnl:3.13-1.5.14:linux-x86_64 to the class path, or point "
                                    + DNNL_PROPERTY + " at a libdnnl.so.3");
        }
    }

    private static void addResource(ClassLoader loader, String name, Map<String, URL> found, List<String> missing) {
        URL url = loader == null ? ClassLoader.getSystemResource(name) : loader.getResource(name);
        if (url != null) {
            found.put(name, url);
        } else {
            missing.add(name);
        }
    }

    private static Outcome loadBundled(String what, String resource, String fileName, Path dir,
                                       Elu4jException extractFailure, List<String> missing, String hint) {
        if (missing.contains(resource)) {
            return new Outcome(null, new Elu4jException(what + ": resource " + resource
                    + " is not on the class path (" + hint + ")"));
        }
        if (dir == null) {
            return new Outcome(null, extractFailure != null ? extractFailure
                    : new Elu4jException(what + ": nothing was extracted"));
        }
        return load(what, dir.resolve(fileName), "class path resource " + resource, false);
    }

    private static Outcome load(String what, Path path, String origin, boolean userGiven) {
        try {
            if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                throw new Elu4jException(what + ": " + path + " (from " + origin + ") is not a readable file");
            }
            if (userGiven) {
                refuseWorldWritable(path.toAbsolutePath().getParent(), what + " (from " + origin + ")");
            }
            if (!isElf(path)) {
                // dlopen would fail too, but with a vaguer message (and after HotSpot's stack-guard dance).
                throw new Elu4jException(what + ": " + path + " (from " + origin + ") is not a shared library (no ELF header)");
            }
            SymbolLookup lookup = SymbolLookup.libraryLookup(path, Arena.global());
            return new Outcome(new Library(what, path.toAbsolutePath(), origin, lookup), null);
        } catch (Elu4jException e) {
            return new Outcome(null, e);
        } catch (RuntimeException | IOException e) {
            return new Outcome(null, new Elu4jException(what + ": cannot load " + path + " (from " + origin
                    + "): " + e.getMessage(), e));
        }
    }

    private static boolean isElf(Path path) throws IOException {
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(path)) {
            return in.readNBytes(magic, 0, 4) == 4
                    && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
        }
    }

    private static String setting(String property, String env) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(env);
        }
        return value == null || value.isBlank() ? null : value.trim();
    }

    // ------------------------------------------------------------------ extraction

    private static Path extract(Map<String, URL> resources) throws IOException {
        Map<String, String> hashes = new LinkedHashMap<>();
        MessageDigest combined = sha256();
        for (Map.Entry<String, URL> e : resources.entrySet()) {
            String hash;
            try (InputStream in = e.getValue().openStream()) {
                hash = hash(in, null);
            }
            hashes.put(fileName(e.getKey()), hash);
            combined.update((fileName(e.getKey()) + '=' + hash + '\n').getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        Path base = baseDirectory();
        Path dir = base.resolve(HexFormat.of().formatHex(combined.digest()).substring(0, 24));
        if (Files.isDirectory(dir)) {
            if (verify(dir, hashes)) {
                return dir;
            }
            // A damaged or tampered copy: move it out of the way, then extract afresh.
            Path bad = Files.createTempDirectory(base, ".damaged-");
            try {
                Files.move(dir, bad.resolve("old"), StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException raced) {
                // another JVM moved it away first
            } finally {
                deleteTree(bad);
            }
        }
        Path staging = Files.createTempDirectory(base, ".staging-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            for (Map.Entry<String, URL> e : resources.entrySet()) {
                Path target = staging.resolve(fileName(e.getKey()));
                String hash;
                try (InputStream in = e.getValue().openStream(); OutputStream out = Files.newOutputStream(target)) {
                    hash = hash(in, out);
                }
                if (!hash.equals(hashes.get(target.getFileName().toString()))) {
                    throw new IOException(e.getKey() + " changed while it was being extracted");
                }
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r-x------"));
            }
            try {
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
                return dir;
            } catch (FileSystemException raced) {
                // Another JVM finished first; use its copy if it is intact. (Linux's rename(2) fails
                // with ENOTEMPTY there, which Java reports as a plain FileSystemException.)
                if (Files.isDirectory(dir) && verify(dir, hashes)) {
                    return dir;
                }
                throw raced;
            }
        } finally {
            deleteTree(staging);
        }
    }

    /** Other extracted copies kept, whatever their age (the most recently used ones). */
    static final int KEEP_RECENT = 2;
    /** Older copies unused for this long are deleted. */
    static final Duration STALE_AFTER = Duration.ofHours(1);
    private static final java.util.regex.Pattern HASH_DIR = java.util.regex.Pattern.compile("[0-9a-f]{24}");

    /**
     * Marks {@code inUse} as used now (its mtime) and deletes sibling copies from other builds that
     * are neither among the {@value #KEEP_RECENT} most recently used nor used within
     * {@link #STALE_AFTER}: each holds its own ~93 MB libdnnl, and every new helper build makes a
     * new one. Deleting the files of a copy that another JVM still has loaded is safe on Linux
     * (the mapping stays valid); a JVM starting on a copy refreshes its mtime first. Best effort:
     * a failure here never stops loading.
     */
    static void pruneStale(Path inUse, Instant now) {
        try {
            Files.setLastModifiedTime(inUse, FileTime.from(now));
            List<Path> others;
            try (Stream<Path> list = Files.list(inUse.getParent())) {
                others = list.filter(p -> !p.equals(inUse) && HASH_DIR.matcher(p.getFileName().toString()).matches()
                                && Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                        .sorted(Comparator.comparing(NativeLibraries::lastUsed).reversed())
                        .toList();
            }
            Instant staleBefore = now.minus(STALE_AFTER);
            for (int i = KEEP_RECENT; i < others.size(); i++) {
                if (lastUsed(others.get(i)).isBefore(staleBefore)) {
                    deleteTree(others.get(i));
                }
            }
        } catch (IOException | RuntimeException e) {
            System.getLogger("org.elu4j").log(System.Logger.Level.DEBUG, "pruning old native library copies failed", e);
        }
    }

    private static Instant lastUsed(Path dir) {
        try {
            return Files.getLastModifiedTime(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    private static boolean verify(Path dir, Map<String, String> hashes) throws IOException {
        for (Map.Entry<String, String> e : hashes.entrySet()) {
            Path file = dir.resolve(e.getKey());
            if (!Files.isRegularFile(file)) {
                return false;
            }
            try (InputStream in = Files.newInputStream(file)) {
                if (!hash(in, null).equals(e.getValue())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The per-user extraction directory: created private (0700), refused if others can write to it. */
    private static Path baseDirectory() throws IOException {
        String configured = setting(DIR_PROPERTY, DIR_ENV);
        Path base = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("java.io.tmpdir"), "elu4j-" + System.getProperty("user.name", "user"));
        base = base.toAbsolutePath();
        if (!Files.isDirectory(base)) {
            try {
                Files.createDirectories(base,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException raced) {
                // created by another JVM just now, or a file is in the way (checked below)
            } catch (IOException e) {
                String why = e instanceof FileSystemException f && f.getReason() != null
                        ? f.getReason() : e.toString();
                throw new IOException("cannot create extract directory " + base + ": " + why
                        + " (set " + DIR_PROPERTY + " or " + DIR_ENV + ")", e);
            }
        }
        if (!Files.isDirectory(base)) {
            throw new IOException("extract directory " + base + " is not a directory (set " + DIR_PROPERTY + " or " + DIR_ENV + ")");
        }
        if (!Files.isWritable(base)) {
            throw new IOException("extract directory " + base + " is not writable (set " + DIR_PROPERTY + " or " + DIR_ENV + ")");
        }
        refuseWorldWritable(base, "extract directory (" + DIR_PROPERTY + ", " + DIR_ENV + " or java.io.tmpdir)");
        return base;
    }

    /** Native code is never loaded from, nor extracted into, a directory other users can write to. */
    private static void refuseWorldWritable(Path dir, String what) throws IOException {
        if (dir == null) {
            return;
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
        if (perms.contains(PosixFilePermission.OTHERS_WRITE) || perms.contains(PosixFilePermission.GROUP_WRITE)) {
            throw new Elu4jException(what + ": directory " + dir + " is writable by other users; "
                    + "refusing to load native code from it (use a private directory)");
        }
    }

    private static String fileName(String resource) {
        return resource.substring(resource.lastIndexOf('/') + 1);
    }

    private static String hash(InputStream in, OutputStream copyTo) throws IOException {
        MessageDigest md = sha256();
        byte[] buffer = new byte[1 << 16];
        for (int r; (r = in.read(buffer)) > 0; ) {
            md.update(buffer, 0, r);
            if (copyTo != null) {
                copyTo.write(buffer, 0, r);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                if (Files.isDirectory(p)) {
                    p.toFile().setWritable(true, true);
                }
                Files.deleteIfExists(p);
            }
        }
    }
}
