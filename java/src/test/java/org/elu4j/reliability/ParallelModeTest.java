package org.elu4j.reliability;

import org.elu4j.testing.CloseRace;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.internal.helper.HelperBackend;
import org.elu4j.testing.Inputs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parallel mode ({@link Elu#parallel()}): every result bit-identical to the serial call of the
 * same backend, at every size of {@link Inputs#SIZES}, sizes around the helper's parallel
 * threshold, and 1M; at byte offsets; in place and out of place; with heap segments (which run
 * serially); from several Java threads at once; and with a shared arena closed while a parallel
 * call runs on it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ParallelModeTest {
    static final long SEED = 0x9A2A_11E1L;
    static final float ALPHA = 1.6732632f;

    /** Inputs.SIZES, then sizes around the helper's threshold, then 1M (+ an odd tail). */
    static int[] sizes() {
        IntStream extra = IntStream.of(16 << 10, 100_003, 1 << 20, (1 << 20) + 13);
        if (Elu4j.isAvailable(Backend.HELPER)) {
            int t = (int) HelperBackend.parallelMinElements();
            extra = IntStream.concat(IntStream.of(t - 1, t, t + 1, t + 17), extra);
        }
        return IntStream.concat(IntStream.of(Inputs.SIZES), extra).filter(n -> n >= 0).distinct().toArray();
    }

    static Stream<Backend> backends() {
        return Stream.of(Backend.values()).filter(Elu4j::isAvailable).filter(b -> b != Backend.SCALAR);
    }

    /** n random floats at a byte offset inside a fresh native segment of the arena. */
    static MemorySegment input(Arena arena, int n, long offset, long seed) {
        MemorySegment s = arena.allocate(4L * n + offset + 64, 64).asSlice(offset, 4L * n);
        float[] values = Inputs.random(n, seed);
        MemorySegment.copy(values, 0, s, JAVA_FLOAT_UNALIGNED, 0, n);
        return s;
    }

    static MemorySegment zeros(Arena arena, int n, long offset) {
        return arena.allocate(4L * n + offset + 64, 64).asSlice(offset, 4L * n);
    }

    static void assertSameBits(MemorySegment want, MemorySegment got, String what) {
        long at = want.mismatch(got);
        if (at >= 0) {
            long i = at / 4;
            fail(what + ": differs at element " + i + ": serial " + want.get(JAVA_FLOAT_UNALIGNED, 4 * i)
                    + ", parallel " + got.get(JAVA_FLOAT_UNALIGNED, 4 * i));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void parallelIsBitIdenticalToSerial(Backend backend) {
        Elu serial = Elu.elu(ALPHA).on(backend);
        List<Elu> parallels = List.of(serial.parallel(), serial.parallel(2), serial.parallel(3), serial.parallel(64));
        long calls = 0;
        for (int n : sizes()) {
            for (long srcOff : Inputs.BYTE_OFFSETS) {
                long dstOff = Inputs.BYTE_OFFSETS[(int) ((srcOff + n) % Inputs.BYTE_OFFSETS.length)];
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment x = input(arena, n, srcOff, SEED + n);
                    MemorySegment want = zeros(arena, n, dstOff);
                    serial.apply(x, want);
                    MemorySegment y = zeros(arena, n, dstOff);
                    MemorySegment inPlace = zeros(arena, n, srcOff);
                    for (Elu p : parallels) {
                        String what = p + " n=" + n + " offsets " + srcOff + "/" + dstOff;
                        y.fill((byte) 0x55);
                        p.apply(x, y);
                        assertSameBits(want, y, what + " out of place");
                        inPlace.copyFrom(x);
                        p.applyInPlace(inPlace);
                        assertSameBits(want, inPlace, what + " in place");
                        calls += 2;
                    }
                    if (n > 70_000 && srcOff > 0) {
                        break; // large sizes: two offset pairs are enough (time)
                    }
                }
            }
        }
        assertTrue(calls > 0);
    }

    @Test
    void heapSegmentsRunSeriallyWithTheSameBits() {
        for (Backend backend : List.of(Backend.AUTO, Backend.HELPER)) {
            assumeTrue(Elu4j.isAvailable(backend), () -> backend + " unavailable: " + Elu4j.backends());
            Elu serial = Elu.elu(ALPHA).on(backend);
            for (int n : new int[] {0, 17, 1 << 20}) {
                float[] x = Inputs.random(n, SEED ^ n);
                float[] want = new float[n];
                float[] got = new float[n];
                serial.apply(MemorySegment.ofArray(x), MemorySegment.ofArray(want));
                serial.parallel().apply(MemorySegment.ofArray(x), MemorySegment.ofArray(got));
                assertSameBits(MemorySegment.ofArray(want), MemorySegment.ofArray(got), backend + " heap n=" + n);
                // heap source, native destination
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment y = zeros(arena, n, 4);
                    serial.parallel(2).apply(MemorySegment.ofArray(x), y);
                    assertSameBits(MemorySegment.ofArray(want), y, backend + " heap->native n=" + n);
                }
            }
        }
    }

    /** Several Java threads in parallel mode at once: each result is the serial bits. */
    @Test
    void concurrentParallelCallers() throws Exception {
        assumeTrue(Elu4j.isAvailable(Backend.HELPER), () -> "helper unavailable: " + Elu4j.backends());
        int threads = 4;
        int callsPerThread = 25;
        Elu serial = Elu.elu(ALPHA).on(Backend.HELPER);
        Elu parallel = serial.parallel();
        int[] sizes = {1000, 65_537, 200_003, 1 << 20, 777_777};
        try (Arena shared = Arena.ofShared()) {
            List<MemorySegment> inputs = new ArrayList<>();
            List<MemorySegment> wants = new ArrayList<>();
            for (int i = 0; i < sizes.length; i++) {
                MemorySegment x = input(shared, sizes[i], 4 * i, SEED + i);
                MemorySegment w = zeros(shared, sizes[i], 0);
                serial.apply(x, w);
                inputs.add(x);
                wants.add(w);
            }
            CyclicBarrier start = new CyclicBarrier(threads);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    SplittableRandom r = new SplittableRandom(SEED * 31 + id);
                    try (Arena mine = Arena.ofConfined()) {
                        start.await();
                        for (int c = 0; c < callsPerThread && failure.get() == null; c++) {
                            int k = r.nextInt(sizes.length);
                            MemorySegment y = zeros(mine, sizes[k], r.nextInt(4) * 4L + r.nextInt(2));
                            (r.nextBoolean() ? parallel : serial.parallel(2)).apply(inputs.get(k), y);
                            assertSameBits(wants.get(k), y, "thread " + id + " call " + c + " n=" + sizes[k]);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "elu4j-parallel-caller-" + t);
                workers.add(th);
                th.start();
            }
            for (Thread th : workers) {
                th.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
        }
    }

    /**
     * Closing a shared arena while a parallel call runs on its segments: the segments stay
     * acquired for the whole downcall, so either close fails or the next call fails with
     * IllegalStateException; freed memory is never touched (36 MiB segments are unmapped when
     * freed, so a use after free would crash).
     */
    @Test
    void closingASharedArenaDuringParallelCallsFailsCleanly() throws Exception {
        assumeTrue(Elu4j.isAvailable(Backend.HELPER), () -> "helper unavailable: " + Elu4j.backends());
        int n = 9 << 20;
        Elu elu = Elu.elu().on(Backend.HELPER).parallel();
        CloseRace.run("helper parallel", n, 3, elu::apply);
    }

    @Test
    void apiIsImmutableAndDefaultIsSerial() {
        Elu e = Elu.elu(0.5f);
        assertFalse(e.isParallel());
        assertEquals(1, e.threads());
        Elu p = e.parallel();
        assertTrue(p.isParallel());
        assertEquals(0, p.threads());
        assertFalse(e.isParallel(), "parallel() returns a copy");
        assertEquals(3, e.parallel(3).threads());
        assertFalse(e.parallel(1).isParallel());
        assertEquals(e, p.serial());
        assertNotEquals(e, p);
        assertEquals(p, Elu.elu(0.5f).parallel());
        assertEquals(p.hashCode(), Elu.elu(0.5f).parallel().hashCode());
        assertEquals(Backend.HELPER, p.on(Backend.HELPER).backend());
        assertTrue(p.on(Backend.HELPER).isParallel(), "on() keeps the mode");
        assertEquals("Elu[alpha=0.5, backend=auto, parallel]", p.toString());
        assertEquals("Elu[alpha=0.5, backend=auto, parallel=2]", e.parallel(2).toString());
        assertEquals("Elu[alpha=0.5, backend=auto]", e.toString());
        assertThrows(IllegalArgumentException.class, () -> e.parallel(0));
        assertThrows(IllegalArgumentException.class, () -> e.parallel(-1));
    }

    /** The public diagnostics report the helper's parallel threshold ({@code elu4j info} prints it). */
    @Test
    void helperStatusReportsTheParallelThreshold() {
        assertEquals(Elu4j.isAvailable(Backend.HELPER), Elu4j.helper().isPresent());
        Elu4j.helper().ifPresent(h -> assertEquals(HelperBackend.parallelMinElements(), h.parallelMinElements()));
    }
}
