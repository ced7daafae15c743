package org.elu4j.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The lock file {@value #NAME} of the extraction directory, which keeps a JVM that prunes old
 * copies from deleting one that another JVM is about to use.
 *
 * <p>A JVM that starts on an existing copy checks it and marks it used (its mtime) under a
 * <em>shared</em> lock; from then on the copy counts as used within the hour, which pruning never
 * deletes. Pruning decides and deletes under an <em>exclusive</em> lock that it only tries for:
 * when any JVM is checking a copy, this start prunes nothing and a later one will. Without the
 * lock, a pruner could read a copy's old mtime, another JVM check and choose that copy, and the
 * pruner then delete its files before they were loaded ("no such file" at load time).
 *
 * <p>Where the file system refuses locks, a start goes on without one (checking is still safe)
 * and pruning is skipped: old copies stay rather than a copy in use going.
 *
 * <p>The lock is the operating system's record lock on the file ({@link FileChannel#lock}), which
 * a JVM may hold only once per file; a lock inside the JVM orders its own threads (the helper and
 * oneDNN may be extracted at once).
 */
final class ExtractLock implements AutoCloseable {
    static final String NAME = ".lock";

    /**
     * Orders this class's users within one class loader. Two copies of elu4j in one JVM (two class
     * loaders) extracting into one directory at once would meet the JVM's own refusal of a second
     * lock on the file (OverlappingFileLockException): the second then goes on without the file
     * lock, as where locks are refused.
     */
    private static final ReentrantLock IN_THIS_JVM = new ReentrantLock();

    /** How long a start waits for the shared lock (a pruner holds the exclusive one for milliseconds). */
    static final long SHARED_WAIT_NANOS = 10_000_000_000L;

    private final FileChannel channel;
    private final FileLock lock;

    private ExtractLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Waits for the shared lock of {@code base} (a pruner holds the exclusive one only while it
     * deletes). Never fails: without a lock file or locks, the returned lock holds only this JVM's
     * own lock, which is enough to check and mark a copy.
     */
    static ExtractLock shared(Path base) {
        IN_THIS_JVM.lock();
        FileChannel ch = null;
        try {
            ch = open(base);
            // Polled, not waited for without end: a pruner holds its lock for a few deletions, but
            // one that is stopped (SIGSTOP, a debugger), or a hung lock manager, must not hang
            // every start. Past the bound, check without the lock (safe; the race is back).
            long deadline = System.nanoTime() + SHARED_WAIT_NANOS;
            for (long pause = 1; ; pause = Math.min(pause * 2, 50)) {
                FileLock l = ch.tryLock(0, Long.MAX_VALUE, true);
                if (l != null) {
                    return new ExtractLock(ch, l);
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("another process held " + base.resolve(NAME) + " for "
                            + SHARED_WAIT_NANOS / 1_000_000_000 + " s");
                }
                Thread.sleep(pause);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(ch);
            return new ExtractLock(null, null);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            Log.get().log(System.Logger.Level.DEBUG, "elu4j: no shared lock on " + base.resolve(NAME) + ", going on without", e);
            return new ExtractLock(null, null);
        }
    }

    /**
     * The exclusive lock of {@code base} if no other process holds a lock on it now, else null
     * (also where the file system refuses locks): whoever prunes only does so holding it.
     */
    static ExtractLock tryExclusive(Path base) {
        IN_THIS_JVM.lock();
        FileChannel ch = null;
        try {
            ch = open(base);
            FileLock l = ch.tryLock(0, Long.MAX_VALUE, false);
            if (l != null) {
                return new ExtractLock(ch, l);
            }
        } catch (IOException | OverlappingFileLockException | UnsupportedOperationException e) {
            Log.get().log(System.Logger.Level.DEBUG, "elu4j: no exclusive lock on " + base.resolve(NAME), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            IN_THIS_JVM.unlock();
            throw e;
        }
        closeQuietly(ch);
        IN_THIS_JVM.unlock();
        return null;
    }

    private static FileChannel open(Path base) throws IOException {
        // The base directory is private to this user (NativeExtractor.baseDirectory), so nobody
        // else can plant a link here; NOFOLLOW_LINKS all the same.
        return FileChannel.open(base.resolve(NAME),
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing releases the lock; nothing else to do
            }
        }
    }

    /** Whether this holds a lock of the file (not only this JVM's own). */
    boolean onFile() {
        return lock != null;
    }

    @Override
    public void close() {
        try {
            closeQuietly(channel); // releases the file lock with it
        } finally {
            IN_THIS_JVM.unlock();
        }
    }
}
