package org.elu4j.reliability;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.elu4j.Backend;
import org.elu4j.BackendUnavailableException;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.Inputs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad (and unusual but valid) arguments that {@code ArgumentChecksTest} does not cover, on AUTO
 * and every available backend: memory-mapped files (read-only as destination, read-only as
 * source, read-write in place), segments of closed shared arenas, heap segments over
 * {@code byte[]} of every length, confined segments used by their owner thread (not the test's
 * main thread) and mixed with another thread's, a read-only view of the destination as source,
 * NaN alphas and NaN inputs of the scalar entry point. A refused call leaves the destination
 * untouched.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MoreBadInputTest {
    private static final int N = 1000;

    @TempDir
    Path dir;

    static Stream<Backend> backends() {
        return Stream.of(Backend.values()).filter(Elu4j::isAvailable);
    }

    /** The tolerance a backend's results are held to (AUTO: the backend it picks for these segments). */
    static Candidate checker(Backend b, boolean heap) {
        Backend actual = b;
        if (b == Backend.AUTO) {
            actual = Elu4j.autoBackend();
            if (heap && actual == Backend.ONEDNN) {
                actual = Backend.SCALAR;
            }
        }
        return new Candidate(b.cliName(), actual, -1);
    }

    static void verify(Backend b, boolean heap, float alpha, float[] x, MemorySegment y) {
        Candidate c = checker(b, heap);
        for (int i = 0; i < x.length; i++) {
            float got = y.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
            String problem = c.check(x[i], alpha, got, Candidate.oracle(x[i], alpha));
            if (problem != null) {
                fail(b.cliName() + ": ELU(" + x[i] + ") = " + got + " at " + i + ": " + problem);
            }
        }
    }

    static <T extends Throwable> T refusedUntouched(Class<T> type, MemorySegment watched, Runnable call) {
        byte[] before = watched.toArray(JAVA_BYTE);
        T thrown = assertThrows(type, call::run);
        assertArrayEquals(before, watched.toArray(JAVA_BYTE), "a refused call modified the destination");
        return thrown;
    }

    private Path floatFile(String name, float[] values) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(values);
        return Files.write(dir.resolve(name), b.array());
    }

    private static MemorySegment native1(Arena arena, float[] x) {
        MemorySegment s = arena.allocate((long) x.length * Float.BYTES, 64);
        MemorySegment.copy(MemorySegment.ofArray(x), 0, s, 0, s.byteSize());
        return s;
    }

    // ------------------------------------------------------------------ memory-mapped files

    @ParameterizedTest
    @MethodSource("backends")
    void readOnlyMappedFileAsDestinationIsRefused(Backend backend) throws IOException {
        float[] seven = new float[N];
        java.util.Arrays.fill(seven, 7f);
        Path file = floatFile("dst.f32", seven);
        byte[] fileBefore = Files.readAllBytes(file);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment ro = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            assertTrue(ro.isReadOnly() && ro.isMapped());
            MemorySegment src = native1(arena, Inputs.random(N, 1));
            Elu elu = Elu.elu().on(backend);
            var e = refusedUntouched(IllegalArgumentException.class, ro, () -> elu.apply(src, ro));
            assertTrue(e.getMessage().contains("read-only"), e.getMessage());
            e = refusedUntouched(IllegalArgumentException.class, ro, () -> elu.applyInPlace(ro));
            assertTrue(e.getMessage().contains("read-only"), e.getMessage());
            e = refusedUntouched(IllegalArgumentException.class, ro, () -> elu.apply(src, ro.asSlice(4, 400)));
            assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        }
        assertArrayEquals(fileBefore, Files.readAllBytes(file), "the file changed");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void readOnlyMappedFileAsSourceWorks(Backend backend) throws IOException {
        float[] x = Inputs.random(N, 2);
        Path file = floatFile("src.f32", x);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment ro = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            MemorySegment dst = arena.allocate(ro.byteSize(), 64);
            Elu.elu(0.5f).on(backend).apply(ro, dst);
            verify(backend, false, 0.5f, x, dst);
            // An unaligned slice of the mapping as well.
            MemorySegment odd = ro.asSlice(4, 400);
            MemorySegment dst2 = arena.allocate(401, 64).asSlice(1, 400);
            Elu.elu(0.5f).on(backend).apply(odd, dst2);
            verify(backend, false, 0.5f, java.util.Arrays.copyOfRange(x, 1, 101), dst2);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void readWriteMappedFileInPlace(Backend backend) throws IOException {
        float[] x = Inputs.random(N, 3);
        Path file = floatFile("rw.f32", x);
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment rw = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), arena);
            Elu.elu().on(backend).applyInPlace(rw);
            rw.force();
        }
        verify(backend, false, 1f, x, MemorySegment.ofArray(Files.readAllBytes(file)));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void mappedFileOfAClosedArena(Backend backend) throws IOException {
        Path file = floatFile("closed.f32", Inputs.random(N, 4));
        MemorySegment mapped;
        try (Arena mapping = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            mapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), mapping);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment live = native1(arena, new float[N]);
            var e = refusedUntouched(IllegalStateException.class, live, () -> Elu.elu().on(backend).apply(mapped, live));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> Elu.elu().on(backend).apply(live, mapped));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ closed shared arenas

    @ParameterizedTest
    @MethodSource("backends")
    void segmentsOfAClosedSharedArena(Backend backend) {
        Elu elu = Elu.elu().on(backend);
        Arena shared = Arena.ofShared();
        MemorySegment deadSrc = native1(shared, Inputs.random(N, 5));
        MemorySegment deadDst = shared.allocate(4L * N, 64);
        shared.close();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment liveSrc = native1(arena, Inputs.random(N, 6));
            MemorySegment liveDst = native1(arena, new float[N]);
            var e = refusedUntouched(IllegalStateException.class, liveDst, () -> elu.apply(deadSrc, liveDst));
            assertTrue(e.getMessage().contains("source segment's arena is already closed"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> elu.apply(liveSrc, deadDst));
            assertTrue(e.getMessage().contains("destination segment's arena is already closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> elu.apply(deadSrc, deadDst));
            assertThrows(IllegalStateException.class, () -> elu.applyInPlace(deadDst));
            assertThrows(IllegalStateException.class, () -> elu.apply(deadSrc.asSlice(0, 0), deadDst.asSlice(0, 0)),
                    "even an empty slice of a closed arena is refused");
            // A heap source with a closed native destination: refused as closed, not routed.
            float[] heap = Inputs.random(N, 7);
            assertThrows(IllegalStateException.class, () -> elu.apply(MemorySegment.ofArray(heap), deadDst));
        }
    }

    // ------------------------------------------------------------------ heap segments over byte[]

    @ParameterizedTest
    @MethodSource("backends")
    void byteArraysOfLengthsThatAreNotWholeFloats(Backend backend) {
        Elu elu = Elu.elu().on(backend);
        for (int extra = 1; extra <= 3; extra++) {
            byte[] src = new byte[4 * 64 + extra];
            byte[] dst = new byte[4 * 64 + extra];
            java.util.Arrays.fill(dst, (byte) 0x11);
            MemorySegment d = MemorySegment.ofArray(dst);
            var e = refusedUntouched(IllegalArgumentException.class, d, () -> elu.apply(MemorySegment.ofArray(src), d));
            assertTrue(e.getMessage().contains("multiple of the 4-byte"), e.getMessage());
            refusedUntouched(IllegalArgumentException.class, d, () -> elu.applyInPlace(d));
            // A native source of the same odd size.
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = arena.allocate(src.length);
                refusedUntouched(IllegalArgumentException.class, d, () -> elu.apply(s, d));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void byteArraysAtEveryOffset(Backend backend) {
        Elu elu = Elu.elu(2f).on(backend);
        float[] x = Inputs.random(N, 8);
        for (int off = 0; off < 4; off++) {
            byte[] srcBytes = new byte[4 * N + 8];
            byte[] dstBytes = new byte[4 * N + 8];
            java.util.Arrays.fill(dstBytes, (byte) 0x22);
            MemorySegment src = MemorySegment.ofArray(srcBytes).asSlice(off, 4L * N);
            MemorySegment dst = MemorySegment.ofArray(dstBytes).asSlice(3 - off, 4L * N);
            MemorySegment.copy(MemorySegment.ofArray(x), 0, src, 0, 4L * N);
            if (backend == Backend.ONEDNN) {
                var e = refusedUntouched(BackendUnavailableException.class, MemorySegment.ofArray(dstBytes),
                        () -> elu.apply(src, dst));
                assertTrue(e.getMessage().contains("native segments"), e.getMessage());
                continue;
            }
            elu.apply(src, dst);
            verify(backend, true, 2f, x, dst);
            for (int i = 0; i < dstBytes.length; i++) {
                if (i < 3 - off || i >= 3 - off + 4 * N) {
                    assertEquals((byte) 0x22, dstBytes[i], "byte " + i + " outside the destination slice");
                }
            }
            elu.applyInPlace(src); // in place on an odd byte[] offset
            verify(backend, true, 2f, x, src);
            // byte[] source, native destination and the other way round
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment nativeDst = arena.allocate(4L * N + 1).asSlice(1);
                MemorySegment.copy(MemorySegment.ofArray(x), 0, src, 0, 4L * N);
                elu.apply(src, nativeDst);
                verify(backend, true, 2f, x, nativeDst);
                elu.apply(native1(arena, x), dst);
                verify(backend, true, 2f, x, dst);
            }
        }
    }

    // ------------------------------------------------------------------ thread confinement

    @ParameterizedTest
    @MethodSource("backends")
    void confinedSegmentsWorkOnTheirOwnerThread(Backend backend) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread owner = new Thread(() -> {
            try (Arena arena = Arena.ofConfined()) {
                float[] x = Inputs.random(N, 9);
                MemorySegment src = native1(arena, x);
                MemorySegment dst = arena.allocate(4L * N + 3, 1).asSlice(3);
                Elu.elu().on(backend).apply(src, dst);
                verify(backend, false, 1f, x, dst);
                Elu.elu().on(backend).applyInPlace(src);
                verify(backend, false, 1f, x, src);
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "elu4j-owner");
        owner.start();
        owner.join();
        if (failure.get() != null) {
            throw new AssertionError(backend.cliName() + " on the owner thread", failure.get());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void segmentsConfinedToDifferentThreadsAreRefused(Backend backend) throws Exception {
        // dst belongs to another (live) thread; src to this one, or is a heap array.
        try (Arena mine = Arena.ofConfined()) {
            MemorySegment src = native1(mine, Inputs.random(N, 10));
            MemorySegment heapSrc = MemorySegment.ofArray(Inputs.random(N, 11));
            runOnOwnerOf(otherDst -> {
                Consumer<MemorySegment> tryWith = s -> {
                    var e = assertThrows(WrongThreadException.class, () -> Elu.elu().on(backend).apply(s, otherDst));
                    assertTrue(e.getMessage().contains("destination segment is confined"), e.getMessage());
                };
                tryWith.accept(src);
                tryWith.accept(heapSrc);
            }, dstOwnerCheck -> { // back on the owner: nothing was written
                for (int i = 0; i < N; i++) {
                    assertEquals(7f, dstOwnerCheck.getAtIndex(JAVA_FLOAT_UNALIGNED, i));
                }
            });
        }
    }

    /**
     * Runs {@code onOther} on this thread with a segment confined to a helper thread, then
     * {@code onOwner} on the helper thread with the same segment.
     */
    private static void runOnOwnerOf(Consumer<MemorySegment> onOther, Consumer<MemorySegment> onOwner) throws Exception {
        java.util.concurrent.SynchronousQueue<MemorySegment> handOver = new java.util.concurrent.SynchronousQueue<>();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread owner = new Thread(() -> {
            try (Arena arena = Arena.ofConfined()) {
                float[] sevens = new float[N];
                java.util.Arrays.fill(sevens, 7f);
                MemorySegment seg = native1(arena, sevens);
                handOver.put(seg);
                done.await();
                onOwner.accept(seg);
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "elu4j-other-owner");
        owner.start();
        try {
            onOther.accept(handOver.take());
        } finally {
            done.countDown();
            owner.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("on the owner thread", failure.get());
        }
    }

    // ------------------------------------------------------------------ aliasing through other segment objects

    @SuppressWarnings("restricted") // MemorySegment.reinterpret: a second segment over the same memory
    @ParameterizedTest
    @MethodSource("backends")
    void readOnlyViewOfTheDestinationAsSourceIsInPlace(Backend backend) {
        float[] x = Inputs.random(N, 12);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = native1(arena, x);
            Elu.elu().on(backend).apply(data.asReadOnly(), data);
            verify(backend, false, 1f, x, data);
            // The same memory through a segment of the global scope (another object, another scope).
            MemorySegment.copy(MemorySegment.ofArray(x), 0, data, 0, data.byteSize());
            MemorySegment alias = MemorySegment.ofAddress(data.address()).reinterpret(data.byteSize());
            Elu.elu().on(backend).apply(alias, data);
            verify(backend, false, 1f, x, data);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void globalAndAutomaticArenas(Backend backend) {
        float[] x = Inputs.random(N, 13);
        MemorySegment src = Arena.ofAuto().allocate(4L * N, 64);
        MemorySegment.copy(MemorySegment.ofArray(x), 0, src, 0, src.byteSize());
        MemorySegment dst = Arena.global().allocate(4L * N, 64);
        Elu.elu().on(backend).apply(src, dst);
        verify(backend, false, 1f, x, dst);
        Elu.elu().on(backend).apply(dst, src); // ELU(ELU(x)): only checks that nothing fails
    }

    // ------------------------------------------------------------------ the scalar entry point and alpha

    @Test
    void nanAlphaIsRefusedAndNanInputGivesNan() {
        for (int bits : new int[] {0x7fc00000, 0xffc00000, 0x7f800001, 0x7fbfffff}) { // quiet and signalling NaNs
            float nan = Float.intBitsToFloat(bits);
            var e = assertThrows(IllegalArgumentException.class, () -> Elu.elu(nan));
            assertTrue(e.getMessage().contains("alpha must be finite"), e.getMessage());
        }
        for (float alpha : new float[] {1f, 0.5f, -2f, 0f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE}) {
            Elu elu = Elu.elu(alpha);
            assertTrue(Float.isNaN(elu.apply(Float.NaN)), "ELU(NaN) with alpha " + alpha);
            assertTrue(Float.isNaN(elu.apply(Float.intBitsToFloat(0xffc00001))), "ELU(-NaN) with alpha " + alpha);
            assertEquals(-alpha, elu.apply(Float.NEGATIVE_INFINITY), "ELU(-inf) with alpha " + alpha);
            assertEquals(Float.POSITIVE_INFINITY, elu.apply(Float.POSITIVE_INFINITY));
            // Op: ELU(-0.0) has the sign of alpha * -0.0 (-0.0 for alpha >= +0, +0.0 for alpha <= -0)
            assertEquals(Float.floatToRawIntBits(alpha * -0f), Float.floatToRawIntBits(elu.apply(-0f)), "ELU(-0) with alpha " + alpha);
            assertEquals(Float.MIN_VALUE, elu.apply(Float.MIN_VALUE));
        }
        // NaN in a tensor, on every backend: NaN out, neighbours unaffected.
        backends().forEach(b -> {
            float[] x = {Float.NaN, -1f, Float.intBitsToFloat(0xffc00001), 2f};
            float[] y = new float[4];
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment dst = arena.allocate(16);
                Elu.elu().on(b).apply(native1(arena, x), dst);
                MemorySegment.copy(dst, JAVA_FLOAT_UNALIGNED, 0, y, 0, 4);
            }
            assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[2]), b + ": " + java.util.Arrays.toString(y));
            assertEquals((float) Math.expm1(-1), y[1], 1e-6f, b.cliName());
            assertEquals(2f, y[3], b.cliName());
        });
    }
}
