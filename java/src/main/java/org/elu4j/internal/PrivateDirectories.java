package org.elu4j.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.elu4j.Elu4jException;

/**
 * Refuses a directory that is not private to this process's user: writable by group or others,
 * or owned by another user. Native code loaded from such a directory could have been planted or
 * swapped by someone else, so neither the extraction directory ({@link NativeExtractor}) nor the
 * directory of a user's override library ({@link NativeLibraries}) may be one.
 *
 * <p>Why a class of its own: it is the one security rule both the extractor and the loader
 * apply, and it reads the process's user id from {@code /proc}, a detail neither needs to know.
 */
final class PrivateDirectories {
    private PrivateDirectories() {
    }

    /** Native code is never loaded from, nor extracted into, a directory other users can write to. */
    static void refuseWritableByOthers(Path dir, String what) throws IOException {
        if (dir == null) {
            return;
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
        if (perms.contains(PosixFilePermission.OTHERS_WRITE) || perms.contains(PosixFilePermission.GROUP_WRITE)) {
            throw new Elu4jException(what + ": directory " + dir + " is writable by other users; "
                    + "refusing to load native code from it (use a private directory)");
        }
    }

    /** Refuses a file (a library to load) that group or others may write to. */
    static void refuseFileWritableByOthers(Path file, String what) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (perms.contains(PosixFilePermission.OTHERS_WRITE) || perms.contains(PosixFilePermission.GROUP_WRITE)) {
            throw new Elu4jException(what + ": " + file + " is writable by other users; refusing to load it");
        }
    }

    /**
     * Nor into one another user owns (it could change its mode, or have planted copies there; as
     * root, every directory is writable, so the mode alone proves nothing).
     */
    static void refuseOwnedByOthers(Path dir, String what) throws IOException {
        int uid = currentUid();
        Object owner;
        try {
            owner = Files.getAttribute(dir, "unix:uid");
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return; // no unix attribute view: the mode check above is all there is
        }
        if (uid >= 0 && owner instanceof Integer o && o != uid) {
            throw new Elu4jException(what + ": directory " + dir + " belongs to another user (uid " + o
                    + ", this process runs as uid " + uid + "); refusing to load native code from it (use a private directory)");
        }
    }

    /** This process's effective user id (Linux: /proc/self/status), or -1 if unknown. */
    static int currentUid() {
        try {
            // "Uid:\t<real>\t<effective>\t<saved>\t<fs>": ASCII, parsed by hand (no charset decoder to load at start).
            byte[] status = Files.readAllBytes(Path.of("/proc/self/status"));
            String text = new String(status, StandardCharsets.ISO_8859_1);
            int at = text.indexOf("\nUid:");
            if (at >= 0) {
                int i = at + 5;
                for (int field = 0; field < 2; field++) { // skip to the second number: the effective uid
                    while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                        i++;
                    }
                    int start = i;
                    while (i < text.length() && Character.isDigit(text.charAt(i))) {
                        i++;
                    }
                    if (field == 1) {
                        return Integer.parseInt(text, start, i, 10);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc is not mounted
        }
        return -1;
    }
}
