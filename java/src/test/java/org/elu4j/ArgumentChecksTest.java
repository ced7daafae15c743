package org.elu4j;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad arguments are refused with a specific exception before a single byte is written. */
class ArgumentChecksTest {

    static Stream<Backend> backends() {
        return Stream.of(Backend.values()).filter(Elu4j::isAvailable);
    }

    /** Runs the call on a destination full of a marker value and checks it is still untouched. */
    private static <T extends Throwable> T refused(Class<T> type, MemorySegment dst, Runnable call) {
        byte[] before = dst.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        T thrown = assertThrows(type, call::run);
        assertArrayEquals(before, dst.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), "destination was modified");
        return thrown;
    }

    private static MemorySegment filled(Arena arena, long n, float value) {
        MemorySegment s = arena.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(JAVA_FLOAT, i, value);
        }
        return s;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void sizesMustMatch(Backend backend) {
        try (Arena arena = Arena.ofConfined()) {
            Elu elu = Elu.elu().on(backend);
            MemorySegment src = filled(arena, 100, -1f);
            MemorySegment dst = filled(arena, 99, 7f);
            var e = refused(IllegalArgumentException.class, dst, () -> elu.apply(src, dst));
            assertTrue(e.getMessage().contains("sizes differ"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void sizeMustBeWholeFloats(Backend backend) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = filled(arena, 10, -1f).asSlice(0, 39);
            MemorySegment dst = filled(arena, 10, 7f).asSlice(0, 39);
            var e = refused(IllegalArgumentException.class, dst, () -> Elu.elu().on(backend).apply(src, dst));
            assertTrue(e.getMessage().contains("multiple of the 4-byte"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void readOnlyDestination(Backend backend) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = filled(arena, 64, -1f);
            MemorySegment dst = filled(arena, 64, 7f);
            var e = refused(IllegalArgumentException.class, dst, () -> Elu.elu().on(backend).apply(src, dst.asReadOnly()));
            assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void partialOverlapIsRefusedButExactAliasingRuns(Backend backend) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = filled(arena, 200, -1f);
            MemorySegment src = buf.asSlice(0, 400);
            MemorySegment dst = buf.asSlice(4, 400);
            var e = refused(IllegalArgumentException.class, buf, () -> Elu.elu().on(backend).apply(src, dst));
            assertTrue(e.getMessage().contains("overlap"), e.getMessage());
            Elu.elu().on(backend).apply(src, buf.asSlice(0, 400)); // same region: in place
            assertEquals((float) Math.expm1(-1), src.getAtIndex(JAVA_FLOAT, 0), 1e-6f);
            assertEquals(-1f, buf.getAtIndex(JAVA_FLOAT, 150), "beyond the slice: untouched");
        }
    }

    /** The address-based overlap test of native segments, at its edges and in both directions. */
    @Test
    void overlapIsDecidedOnAddressesAtEveryEdge() {
        Elu elu = Elu.elu();
        try (Arena arena = Arena.ofConfined(); Arena other = Arena.ofConfined()) {
            MemorySegment buf = filled(arena, 300, -1f);
            for (long shift : new long[] {4, 396, -4, -396}) { // dst after or before src, by 1 or 99 floats
                MemorySegment src = buf.asSlice(400, 400);
                MemorySegment dst = buf.asSlice(400 + shift, 400);
                var e = refused(IllegalArgumentException.class, buf, () -> elu.apply(src, dst));
                assertTrue(e.getMessage().contains("overlap"), "shift " + shift + ": " + e.getMessage());
            }
            elu.apply(buf.asSlice(0, 400), buf.asSlice(400, 400)); // adjacent, disjoint: runs
            assertEquals((float) Math.expm1(-1), buf.getAtIndex(JAVA_FLOAT, 100), 1e-6f);
            // The same memory seen through another arena's segment: another scope, still refused.
            MemorySegment alias = buf.asSlice(404, 400).reinterpret(other, null);
            refused(IllegalArgumentException.class, buf, () -> elu.apply(buf.asSlice(400, 400), alias));
            // Native and heap never overlap; zero-length segments never overlap.
            elu.apply(filled(other, 4, -1f), MemorySegment.ofArray(new float[4]));
            elu.apply(buf.asSlice(8, 0), buf.asSlice(8, 0));
        }
    }

    /** Source and destination from different arenas: the destination's arena is checked too. */
    @Test
    void closedDestinationArenaOfAnotherScope() {
        try (Arena live = Arena.ofConfined()) {
            MemorySegment src = filled(live, 16, -1f);
            Arena closed = Arena.ofConfined();
            MemorySegment dst = filled(closed, 16, 7f);
            closed.close();
            var e = assertThrows(IllegalStateException.class, () -> Elu.elu().apply(src, dst));
            assertTrue(e.getMessage().contains("destination"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void closedArena(Backend backend) {
        MemorySegment dstHolder;
        try (Arena live = Arena.ofConfined()) {
            dstHolder = filled(live, 16, 7f);
            Arena closed = Arena.ofConfined();
            MemorySegment src = filled(closed, 16, -1f);
            closed.close();
            var e = refused(IllegalStateException.class, dstHolder, () -> Elu.elu().on(backend).apply(src, dstHolder));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void segmentConfinedToAnotherThread(Backend backend) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = filled(arena, 16, -1f);
            MemorySegment dst = filled(arena, 16, 7f);
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    Elu.elu().on(backend).apply(src, dst);
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            t.start();
            t.join();
            assertTrue(thrown.get() instanceof WrongThreadException, String.valueOf(thrown.get()));
            assertEquals(7f, dst.getAtIndex(JAVA_FLOAT, 0));
        }
    }

    @Test
    void nullSegments() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = filled(arena, 4, 1f);
            assertThrows(NullPointerException.class, () -> Elu.elu().apply(null, s));
            refused(NullPointerException.class, s, () -> Elu.elu().apply(s, null));
            // a null before the function's own refusal (backward from the output with alpha < 0),
            // as the array overloads do
            Elu negative = Elu.elu(-1);
            assertEquals("dy", assertThrows(NullPointerException.class,
                    () -> negative.backwardFromOutput(null, s, s)).getMessage());
            assertEquals("dy", assertThrows(NullPointerException.class,
                    () -> negative.backwardFromOutput((float[]) null, new float[1], new float[1])).getMessage());
            MemorySegment y = filled(arena, 4, -0.5f);
            MemorySegment dx = filled(arena, 4, 7f);
            refused(NullPointerException.class, dx, () -> negative.backwardFromOutput(s, null, dx));
            var e = refused(IllegalArgumentException.class, dx, () -> negative.backwardFromOutput(s, y, dx));
            assertTrue(e.getMessage().contains("alpha"), e.getMessage());
        }
    }

    /**
     * ELU's products in double, alpha * scale and alpha * scale * inputScale, must be finite and,
     * from factors that are not 0, at least 2^-969: an infinite one makes NaN of +-0 inputs, a
     * smaller one loses its low bits; a zero factor is fine.
     */
    @Test
    void eluProductsMustBeInRange() {
        double[][] bad = {{1e200, 1e200, 1e-300}, {1, 1e300, 1e10}, {1e-160, 1e-160, 1}, {1, 1e-200, 1e-200}, {0x1p-1074, 1, 1},
            {0x1p-970, 1, 1}, {1, 1, 0x1p-970}};
        for (double[] p : bad) {
            var e = assertThrows(IllegalArgumentException.class, () -> Elu.elu(p[0], p[1], p[2]));
            assertTrue(e.getMessage().contains("out of the range elu4j computes it in"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Elu.elu(0x1p-1074));
        var celu = assertThrows(IllegalArgumentException.class, () -> Elu.celu(0x1p-1000)); // 1/alpha = 2^1000 is finite
        assertTrue(celu.getMessage().contains("alpha * scale"), celu.getMessage());
        for (double[] p : new double[][] {{0, 1e300, 1e300}, {1e300, 0, 1}, {1, 1, 0}, {0x1p-969, 1, 1}, {1e154, 1e154, 1e-300}}) {
            Elu ok = Elu.elu(p[0], p[1], p[2]);
            assertEquals(0.0, ok.apply(0.0));
        }
    }

    @Test
    void alphaMustBeFinite() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Elu.elu(bad));
            assertTrue(e.getMessage().contains("alpha must be finite"), e.getMessage());
        }
        assertThrows(NullPointerException.class, () -> Elu.elu().on(null));
    }

    @Test
    void oneDnnRefusesHeapSegments() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Elu4j.isAvailable(Backend.ONEDNN),
                () -> "oneDNN unavailable: " + Elu4j.backends());
        float[] x = {-1f, 2f};
        float[] y = {7f, 7f};
        var e = assertThrows(BackendUnavailableException.class,
                () -> Elu.elu().on(Backend.ONEDNN).apply(MemorySegment.ofArray(x), MemorySegment.ofArray(y)));
        assertTrue(e.getMessage().contains("native segments"), e.getMessage());
        assertEquals(Backend.ONEDNN, e.backend());
        assertArrayEquals(new float[] {7f, 7f}, y);
        // AUTO routes heap memory to a backend that takes it.
        Elu.elu().apply(MemorySegment.ofArray(x), MemorySegment.ofArray(y));
        assertEquals((float) Math.expm1(-1), y[0], 1e-7f);
        assertEquals(2f, y[1]);
    }

    @Test
    void emptySegmentsAreANoOp() {
        backends().forEach(b -> Elu.elu().on(b).apply(MemorySegment.NULL, MemorySegment.NULL));
        Consumer<Backend> withArena = b -> {
            try (Arena arena = Arena.ofConfined()) {
                Elu.elu().on(b).apply(arena.allocate(0), arena.allocate(0));
            }
        };
        backends().forEach(withArena);
    }

    @Test
    void valueSemantics() {
        Elu a = Elu.elu(0.5f).on(Backend.SCALAR);
        assertEquals(a, Elu.elu(0.5f).on(Backend.SCALAR));
        assertEquals(a.hashCode(), Elu.elu(0.5f).on(Backend.SCALAR).hashCode());
        assertEquals("Elu[alpha=0.5, backend=scalar]", a.toString());
        assertEquals(0.5f, a.alpha());
        assertEquals(Backend.AUTO, Elu.elu().backend());
        assertEquals(Backend.HELPER, Backend.fromCliName("Helper"));
        assertThrows(IllegalArgumentException.class, () -> Backend.fromCliName("gpu"));
    }
}
