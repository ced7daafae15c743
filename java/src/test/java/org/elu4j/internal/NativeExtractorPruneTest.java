package org.elu4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Old extracted copies of the native libraries are pruned; recent ones and foreign files stay. */
class NativeExtractorPruneTest {
    @TempDir
    Path base;

    private Path copy(String name, Instant lastUsed) throws IOException {
        Path dir = Files.createDirectory(base.resolve(name));
        Files.writeString(dir.resolve("libdnnl.so.3"), "not really a library");
        Files.setLastModifiedTime(dir, FileTime.from(lastUsed));
        return dir;
    }

    @Test
    void keepsTheCopyInUseAndTheTwoMostRecentlyUsedOthers() throws IOException {
        Instant now = Instant.parse("2026-11-30T12:00:00Z");
        Path inUse = copy("aaaaaaaaaaaaaaaaaaaaaaaa", now.minus(Duration.ofDays(30)));
        Path recent1 = copy("bbbbbbbbbbbbbbbbbbbbbbbb", now.minus(Duration.ofDays(2)));
        Path recent2 = copy("cccccccccccccccccccccccc", now.minus(Duration.ofDays(3)));
        Path stale1 = copy("eeeeeeeeeeeeeeeeeeeeeeee", now.minus(Duration.ofDays(4)));
        Path stale2 = copy("ffffffffffffffffffffffff", now.minus(Duration.ofDays(5)));
        Path foreign = copy("not-a-hash-directory", now.minus(Duration.ofDays(9)));
        Path staging = copy(".staging-123", now.minus(Duration.ofDays(9)));

        NativeExtractor.pruneStale(inUse, now);

        assertEquals(now, Files.getLastModifiedTime(inUse).toInstant(), "the copy in use is marked as used now");
        assertEquals(List.of(staging, inUse, recent1, recent2, foreign).stream().sorted().toList(), remaining());
        assertTrue(Files.notExists(stale1) && Files.notExists(stale2));
    }

    @Test
    void keepsEveryCopyUsedWithinTheHour() throws IOException {
        Instant now = Instant.parse("2026-11-30T12:00:00Z");
        Path inUse = copy("aaaaaaaaaaaaaaaaaaaaaaaa", now);
        Path fresh1 = copy("bbbbbbbbbbbbbbbbbbbbbbbb", now.minus(Duration.ofMinutes(10)));
        Path fresh2 = copy("cccccccccccccccccccccccc", now.minus(Duration.ofMinutes(30)));
        Path fresh3 = copy("dddddddddddddddddddddddd", now.minus(Duration.ofMinutes(50)));
        Path old = copy("eeeeeeeeeeeeeeeeeeeeeeee", now.minus(Duration.ofHours(2)));

        NativeExtractor.pruneStale(inUse, now);

        assertEquals(List.of(inUse, fresh1, fresh2, fresh3), remaining());
        assertTrue(Files.notExists(old));
    }

    /**
     * Copies of one kind ({@code dnnl-}, {@code helper-}) are pruned among themselves: a new
     * helper build never pushes the oneDNN copy in use out; copies of the earlier layout (bare
     * hashes) go once unused for an hour.
     */
    @Test
    void kindsArePrunedApartAndTheEarlierLayoutGoesWhenStale() throws IOException {
        Instant now = Instant.parse("2026-12-05T12:00:00Z");
        Path inUse = copy("dnnl-aaaaaaaaaaaaaaaaaaaaaaaa", now);
        Path dnnlRecent1 = copy("dnnl-bbbbbbbbbbbbbbbbbbbbbbbb", now.minus(Duration.ofDays(2)));
        Path dnnlRecent2 = copy("dnnl-cccccccccccccccccccccccc", now.minus(Duration.ofDays(3)));
        Path dnnlStale = copy("dnnl-dddddddddddddddddddddddd", now.minus(Duration.ofDays(4)));
        Path helper1 = copy("helper-111111111111111111111111", now.minus(Duration.ofDays(5)));
        Path helper2 = copy("helper-222222222222222222222222", now.minus(Duration.ofDays(6)));
        Path helper3 = copy("helper-333333333333333333333333", now.minus(Duration.ofDays(7)));
        Path legacyFresh = copy("eeeeeeeeeeeeeeeeeeeeeeee", now.minus(Duration.ofMinutes(20)));
        Path legacyStale = copy("ffffffffffffffffffffffff", now.minus(Duration.ofHours(2)));

        NativeExtractor.pruneStale(inUse, now);

        assertEquals(List.of(inUse, dnnlRecent1, dnnlRecent2, legacyFresh, helper1, helper2, helper3).stream().sorted().toList(),
                remaining());
        assertTrue(Files.notExists(dnnlStale) && Files.notExists(legacyStale));
    }

    /** What is left in the directory besides the lock file (private to this user, like everything here). */
    private List<Path> remaining() throws IOException {
        Path lock = base.resolve(ExtractLock.NAME);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lock)), "the lock file's mode");
        try (Stream<Path> left = Files.list(base)) {
            return left.filter(p -> !p.equals(lock)).sorted().toList();
        }
    }

    /**
     * A JVM checking a copy holds the lock file shared; a pruner then deletes nothing (it only
     * tries for the exclusive lock), so the copy it may be choosing stays. Once the lock is
     * released, the next pruning deletes the stale copies.
     */
    @Test
    void nothingIsPrunedWhileAnotherProcessIsCheckingACopy() throws Exception {
        Instant now = Instant.now();
        Path inUse = copy("dnnl-aaaaaaaaaaaaaaaaaaaaaaaa", now);
        List<Path> stale = new ArrayList<>();
        for (char c : "bcde".toCharArray()) {
            stale.add(copy("dnnl-" + String.valueOf(c).repeat(24), now.minus(Duration.ofDays(3))));
        }
        Process holder = LockHolder.start(base.resolve(ExtractLock.NAME), true);
        try {
            NativeExtractor.pruneStale(inUse, now);
            for (Path p : stale) {
                assertTrue(Files.isDirectory(p), p + " was deleted while another process held the lock");
            }
        } finally {
            holder.getOutputStream().close();
            assertEquals(0, holder.waitFor(), "lock holder's exit");
        }
        NativeExtractor.pruneStale(inUse, now);
        assertEquals(2, stale.stream().filter(Files::exists).count(), "the two most recently used others stay, the rest go");
    }

    /**
     * A JVM about to use a copy waits while another prunes (exclusive lock), then checks and
     * marks it: it never chooses a copy whose files are being deleted.
     */
    @Test
    void usingACopyWaitsForAPruningProcess() throws Exception {
        Path dir = copy("helper-aaaaaaaaaaaaaaaaaaaaaaaa", Instant.parse("2026-01-01T00:00:00Z"));
        CompletableFuture<String> use = useWhileAnotherProcessPrunes(dir, 500, pending ->
                assertFalse(pending.isDone(), "the copy was checked and marked while another process held the exclusive lock"));
        assertEquals("null", use.get(60, TimeUnit.SECONDS), "the copy is usable once the lock is free (no problem)");
        assertTrue(Files.getLastModifiedTime(dir).toInstant().isAfter(Instant.now().minus(Duration.ofHours(1))), "and marked used");
    }

    /**
     * A JVM that waited for a pruner which then deleted the very copy it was about to check
     * reports the copy as unusable (and extracts afresh), instead of failing the backend with
     * NoSuchFileException.
     */
    @Test
    void aCopyPrunedWhileWaitingIsReportedGone() throws Exception {
        Path dir = copy("helper-aaaaaaaaaaaaaaaaaaaaaaaa", Instant.parse("2026-01-01T00:00:00Z"));
        CompletableFuture<String> use = useWhileAnotherProcessPrunes(dir, 300, pending -> {
            Files.delete(dir.resolve("libdnnl.so.3"));
            Files.delete(dir); // as the pruner would, holding the lock
        });
        assertEquals("it is gone", use.get(60, TimeUnit.SECONDS));
    }

    /** What the test does while the other process holds the lock. */
    private interface WhileLocked {
        void run(CompletableFuture<String> pending) throws Exception;
    }

    /**
     * Starts {@link #useInBackground} of {@code dir} while another process holds the exclusive
     * lock, waits {@code millis}, runs {@code during}, then releases the lock; returns the use.
     */
    private CompletableFuture<String> useWhileAnotherProcessPrunes(Path dir, long millis, WhileLocked during) throws Exception {
        Process holder = LockHolder.start(base.resolve(ExtractLock.NAME), false);
        try {
            CompletableFuture<String> use = useInBackground(dir);
            Thread.sleep(millis);
            during.run(use);
            return use;
        } finally {
            holder.getOutputStream().close();
            assertEquals(0, holder.waitFor(), "lock holder's exit");
        }
    }

    /** {@link NativeExtractor#useExisting} of {@code dir} on another thread: its problem, "null" for none. */
    private static CompletableFuture<String> useInBackground(Path dir) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return String.valueOf(NativeExtractor.useExisting(dir, List.of(), false));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Test
    void neverThrows() {
        NativeExtractor.pruneStale(base.resolve("missing/aaaaaaaaaaaaaaaaaaaaaaaa"), Instant.now());
    }
}
