package org.elu4j.internal;

import static org.elu4j.internal.NativeLocator.setting;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.elu4j.internal.BuildDigests.Expected;
import org.elu4j.internal.NativeLocator.Resource;

/**
 * Extracts the bundled native libraries into one private directory per user
 * ({@code java.io.tmpdir/elu4j-<user>}, {@code elu4j-uid<N>} for an account without a name, or
 * {@value #DIR_PROPERTY}), one sub-directory per set of
 * files: {@code helper-<hash>/} and {@code dnnl-<hash>/}, where the hash is the first 24 hex digits
 * of the SHA-256 over the files' names and SHA-256 digests. The digests are those the build
 * recorded, not computed at run time ({@link BuildDigests}).
 *
 * <p>A new copy is staged in a fresh {@code .staging-*} directory (mode 0700): every file is
 * written, its size and CRC-32 compared with the expected ones, made {@code r-x------} and forced
 * to disk; then the directory is renamed to its final name atomically. So a directory under its
 * final name is always complete, and two JVMs extracting at once both end up on one intact copy
 * (the loser of the rename checks and uses the winner's). Every start marks the copy it uses
 * (mtime); a fresh copy prunes old ones ({@link #pruneStale}), never one another JVM is choosing
 * ({@link ExtractLock}).
 *
 * <p>An existing copy is used after cheap checks, with no hashing: the extraction directory is
 * owned by this process's user and writable by nobody else (so no other user can have created or
 * changed anything in it); the copy is a directory, not a link; each file is a regular file, not a
 * link, of the expected size, with no write permission for group or others; and {@link NativeLibraries#load}
 * checks its ELF header. That catches a missing, truncated or partly written file (a crash during
 * a copy not made by elu4j, a temp cleaner), and anything another user could plant. It cannot
 * catch a change of a file's content that keeps its size, made by this same user or by root —
 * who could equally change the jar, the JDK or the environment; {@value #VERIFY_PROPERTY}{@code =full}
 * (or {@value #VERIFY_ENV}) re-hashes every file of an existing copy against its SHA-256 (the
 * cost the default start avoids; measured for oneDNN's 93 MB in docs/benchmarks.md, Startup). A
 * copy that fails a check is moved aside, deleted and extracted afresh.
 *
 * <p>Why a class of its own: a JVM cannot load a library from inside a jar, so the files must be
 * copied to disk, and that copy is where the risks are (another user's planted file, a half-written
 * copy, two JVMs extracting at once, old copies piling up). Keeping every file operation here keeps
 * those rules in one place, apart from finding the files ({@link NativeLocator}) and loading them
 * ({@link NativeLibraries}).
 */
final class NativeExtractor {
    static final String DIR_PROPERTY = "elu4j.extract.dir";
    static final String DIR_ENV = "ELU4J_EXTRACT_DIR";
    static final String VERIFY_PROPERTY = "elu4j.extract.verify";
    static final String VERIFY_ENV = "ELU4J_EXTRACT_VERIFY";

    private static final Set<PosixFilePermission> OTHERS_WRITE =
            Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    /** An extracted set: its directory, and whether every file was the one the build recorded. */
    record Extracted(Path dir, boolean fromBuild) {
    }

    private NativeExtractor() {
    }

    /** Extracts {@code resources} into {@code <base>/<kind>-<hash>/} (or checks the copy there) and returns that directory. */
    static Extracted extract(String kind, List<Resource> resources) throws IOException {
        List<Expected> files = new ArrayList<>();
        boolean allRecorded = true;
        for (Resource r : resources) {
            Expected e = BuildDigests.expected(r);
            files.add(e);
            allRecorded &= e.recorded();
        }
        // The directory's name: the build computed it for the recorded files (no SHA-256 here at all).
        String name = allRecorded ? BuildDigests.recordedGroup(kind) : null;
        boolean fromBuild = name != null;
        if (name == null) {
            MessageDigest combined = BuildDigests.sha256();
            for (Expected e : files) {
                combined.update((e.fileName() + '=' + e.sha256() + '\n').getBytes(StandardCharsets.UTF_8));
            }
            name = HexFormat.of().formatHex(combined.digest()).substring(0, 24);
        }
        Path base = baseDirectory();
        Path dir = base.resolve(kind + "-" + name);
        boolean full = "full".equalsIgnoreCase(String.valueOf(setting(VERIFY_PROPERTY, VERIFY_ENV)));
        long start = System.nanoTime();
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            String problem = useExisting(dir, files, full);
            if (problem == null) { // (no log line here: a healthy start logs nothing, see Log)
                return new Extracted(dir, fromBuild);
            }
            Log.get().log(System.Logger.Level.DEBUG, () -> "elu4j: " + dir + " is not trusted (" + problem + "): extracting afresh");
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
            for (Expected e : files) {
                Path target = staging.resolve(e.fileName());
                copy(e, target);
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r-x------"));
            }
            try {
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
                // A new copy is the only event that adds one: the time to delete stale ones.
                pruneStale(dir, Instant.now());
                Log.get().log(System.Logger.Level.DEBUG, () -> String.format(Locale.ROOT, "elu4j: extracted %s into %s in %.1f ms",
                        files.stream().map(Expected::fileName).toList(), dir, (System.nanoTime() - start) / 1e6));
                return new Extracted(dir, fromBuild);
            } catch (FileSystemException raced) {
                // Another JVM finished first; use its copy if it is intact. (Linux's rename(2) fails
                // with ENOTEMPTY there, which Java reports as a plain FileSystemException.)
                if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && useExisting(dir, files, full) == null) {
                    return new Extracted(dir, fromBuild);
                }
                throw raced;
            }
        } finally {
            deleteTree(staging);
        }
    }

    /** Writes the resource to {@code target}, checks its size and CRC-32 (and SHA-256 when known to differ), forces it to disk. */
    private static void copy(Expected e, Path target) throws IOException {
        CRC32 crc = new CRC32();
        long size = 0;
        try (InputStream in = e.resource().url().openStream();
             FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; size += n) {
                crc.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
            out.flush();
            ch.force(true);
        }
        if (size != e.size() || crc.getValue() != e.crc()) {
            throw new IOException(e.resource().name() + " changed while it was being extracted (size " + size
                    + ", expected " + e.size() + ")");
        }
    }

    /**
     * Checks the copy in {@code dir} and, when it can be used, marks it used now, both under the
     * shared {@link ExtractLock}: once marked, no pruner deletes it ({@link #pruneStale} spares
     * copies used within the hour), and no pruner can be deleting it while it is checked. Returns
     * why it cannot be used, or null.
     */
    static String useExisting(Path dir, List<Expected> files, boolean full) throws IOException {
        try (ExtractLock _ = ExtractLock.shared(dir.getParent())) {
            String problem = check(dir, files, full);
            if (problem == null) {
                markUsed(dir, Instant.now());
            }
            return problem;
        }
    }

    /** Why the copy in {@code dir} cannot be used, or null when it can (the class comment says what is checked). */
    static String check(Path dir, List<Expected> files, boolean full) throws IOException {
        PosixFileAttributes d;
        try {
            d = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) { // pruned by another JVM before this one had the lock
            return "it is gone";
        }
        if (!d.isDirectory()) {
            return "not a directory";
        }
        for (Expected e : files) {
            Path file = dir.resolve(e.fileName());
            PosixFileAttributes a;
            try {
                a = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException missing) {
                return e.fileName() + " is missing";
            }
            if (!a.isRegularFile()) {
                return e.fileName() + " is not a regular file";
            }
            if (a.size() != e.size()) {
                return e.fileName() + " has " + a.size() + " bytes, not " + e.size();
            }
            if (a.permissions().stream().anyMatch(OTHERS_WRITE::contains)) {
                return e.fileName() + " is writable by other users";
            }
            if (full) {
                try (InputStream in = Files.newInputStream(file)) {
                    if (!BuildDigests.hash(in).equals(e.sha256())) {
                        return e.fileName() + " does not match its SHA-256";
                    }
                }
            }
        }
        return null;
    }

    /** Other extracted copies of the same kind kept, whatever their age (the most recently used ones). */
    static final int KEEP_RECENT = 2;
    /** Older copies unused for this long are deleted. */
    static final Duration STALE_AFTER = Duration.ofHours(1);
    /** {@code helper-<hash>}, {@code dnnl-<hash>}, or a bare {@code <hash>} (the layout of earlier builds); compiled when first pruning. */
    private static final class HashDir {
        static final Pattern PATTERN = Pattern.compile("(?:([a-z]+)-)?[0-9a-f]{24}");
    }

    /**
     * Marks {@code inUse} as used now (its mtime) and deletes sibling copies of the same kind
     * ({@code helper-}, {@code dnnl-}, or the bare hashes of earlier versions) that are neither
     * among the {@value #KEEP_RECENT} most recently used nor used within {@link #STALE_AFTER}, and
     * copies of the earlier layout unused for that long: each oneDNN copy holds its own ~93 MB
     * libdnnl, and every new helper build makes a new helper copy. Deleting the files of a copy
     * that another JVM still has loaded is safe on Linux (the mapping stays valid); a JVM starting
     * on a copy refreshes its mtime first, under the shared {@link ExtractLock}, and pruning
     * decides and deletes only under the exclusive one, so a copy being chosen is never deleted
     * (without that lock, pruning is skipped). Runs after a fresh copy is extracted: only that
     * adds a copy. Best effort: a failure here never stops loading.
     */
    static void pruneStale(Path inUse, Instant now) {
        markUsed(inUse, now);
        try (ExtractLock lock = ExtractLock.tryExclusive(inUse.getParent())) {
            if (lock != null) {
                pruneLocked(inUse, now);
            }
        } catch (RuntimeException e) {
            Log.get().log(System.Logger.Level.DEBUG, "elu4j: pruning old native library copies failed", e);
        }
    }

    private static void pruneLocked(Path inUse, Instant now) {
        try {
            Matcher self = HashDir.PATTERN.matcher(inUse.getFileName().toString());
            String kind = self.matches() ? String.valueOf(self.group(1)) : "?";
            List<Path> sameKind = new ArrayList<>();
            List<Path> legacy = new ArrayList<>();
            try (Stream<Path> list = Files.list(inUse.getParent())) {
                for (Path p : list.filter(p -> !p.equals(inUse) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                    Matcher m = HashDir.PATTERN.matcher(p.getFileName().toString());
                    if (m.matches() && String.valueOf(m.group(1)).equals(kind)) {
                        sameKind.add(p);
                    } else if (m.matches() && m.group(1) == null) {
                        legacy.add(p);
                    }
                }
            }
            sameKind.sort(Comparator.comparing(NativeExtractor::lastUsed).reversed());
            Instant staleBefore = now.minus(STALE_AFTER);
            for (int i = KEEP_RECENT; i < sameKind.size(); i++) {
                if (lastUsed(sameKind.get(i)).isBefore(staleBefore)) {
                    deleteTree(sameKind.get(i));
                }
            }
            for (Path old : legacy) {
                if (lastUsed(old).isBefore(staleBefore)) {
                    deleteTree(old);
                }
            }
        } catch (IOException | RuntimeException e) {
            Log.get().log(System.Logger.Level.DEBUG, "elu4j: pruning old native library copies failed", e);
        }
    }

    /** A copy's mtime says when a JVM last started on it: what {@link #pruneStale} goes by. Best effort. */
    private static void markUsed(Path dir, Instant now) {
        try {
            Files.setLastModifiedTime(dir, FileTime.from(now));
        } catch (IOException | RuntimeException e) {
            Log.get().log(System.Logger.Level.DEBUG, "elu4j: cannot mark " + dir + " as used", e);
        }
    }

    private static Instant lastUsed(Path dir) {
        try {
            return Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    /**
     * The per-user extraction directory, by its real path: created private (0700); refused if it
     * is not a writable directory, if group or others can write to it, or if another user owns it.
     */
    private static Path baseDirectory() throws IOException {
        String configured = setting(DIR_PROPERTY, DIR_ENV);
        Path base = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("java.io.tmpdir"), "elu4j-" + userDirectoryName());
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
        if (configured == null && Files.isSymbolicLink(base)) {
            // The default lies in a directory every user can write to: a link there (planted before
            // the check or while the directory was being created) may come from another user, to
            // send the copies and the pruning of old ones elsewhere. A real directory of this user's
            // cannot be swapped for a link by others afterwards (the sticky bit of /tmp).
            throw new IOException("extract directory " + base + " is a symbolic link, which elu4j does not follow in "
                    + "java.io.tmpdir (remove it, or set " + DIR_PROPERTY + " or " + DIR_ENV + ")");
        }
        if (!Files.isDirectory(base)) {
            throw new IOException("extract directory " + base + " is not a directory (set " + DIR_PROPERTY + " or " + DIR_ENV + ")");
        }
        // From here on, the real path: a link swapped after this check cannot redirect us.
        base = base.toRealPath();
        if (!Files.isWritable(base)) {
            throw new IOException("extract directory " + base + " is not writable (set " + DIR_PROPERTY + " or " + DIR_ENV + ")");
        }
        String what = "extract directory (" + DIR_PROPERTY + ", " + DIR_ENV + " or java.io.tmpdir)";
        PrivateDirectories.refuseWritableByOthers(base, what);
        PrivateDirectories.refuseOwnedByOthers(base, what);
        return base;
    }

    /**
     * The user's name, or {@code uid<N>} where the account has none: a container's numeric user
     * has no passwd entry, so Java's {@code user.name} is "?", and two such users would otherwise
     * share one directory (the second refused it as another user's); also for a name that is no
     * file name ("", ".", "..", one with a '/').
     */
    static String userDirectoryName() {
        String name = System.getProperty("user.name", "");
        if (!name.isEmpty() && !name.equals("?") && !name.contains("/") && !name.equals(".") && !name.equals("..")) {
            return name; // (any other name as before: a change would strand the copies made under it)
        }
        int uid = PrivateDirectories.currentUid();
        return uid >= 0 ? "uid" + uid : "user";
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    p.toFile().setWritable(true, true);
                }
                Files.deleteIfExists(p);
            }
        }
    }
}
