package org.elu4j.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock file held by someone else in this same JVM, as another copy of elu4j in another class
 * loader holds it (its in-JVM lock is a different object, so only the JVM's own refusal,
 * OverlappingFileLockException, stands between them): a start goes on without the file lock and
 * pruning is skipped, never an exception. (Other processes' locks: NativeExtractorPruneTest.)
 */
class ExtractLockTest {
    @Test
    void aLockHeldElsewhereInThisJvmIsGoneOnWithout(@TempDir Path base) throws Exception {
        try (FileChannel other = FileChannel.open(base.resolve(ExtractLock.NAME), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock held = other.lock(0, Long.MAX_VALUE, true)) {
            assertTrue(held.isValid());
            try (ExtractLock shared = ExtractLock.shared(base)) {
                assertFalse(shared.onFile(), "this JVM already holds the file's lock: no second one");
            }
            assertNull(ExtractLock.tryExclusive(base), "no pruning while another copy holds the lock");
        }
        try (ExtractLock shared = ExtractLock.shared(base)) { // released: the file lock again
            assertTrue(shared.onFile());
        }
        ExtractLock exclusive = ExtractLock.tryExclusive(base);
        assertTrue(exclusive != null && exclusive.onFile());
        exclusive.close();
        assertTrue(Files.exists(base.resolve(ExtractLock.NAME)));
    }
}
