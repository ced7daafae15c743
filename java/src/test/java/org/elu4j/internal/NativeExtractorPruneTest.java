package org.elu4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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

    private List<Path> remaining() throws IOException {
        try (Stream<Path> left = Files.list(base)) {
            return left.sorted().toList();
        }
    }

    @Test
    void neverThrows() {
        NativeExtractor.pruneStale(base.resolve("missing/aaaaaaaaaaaaaaaaaaaaaaaa"), Instant.now());
    }
}
