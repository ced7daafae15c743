package org.elu4j;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.elu4j.internal.scalar.ScalarBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad arguments to backward and to the typed overloads (arrays, buffers, types) are refused with a
 * specific exception and a message that says what is wrong, on every backend and AUTO, before
 * anything is written: the destination is compared bit for bit before and after. The allowed
 * aliasing (dx written over dy) gives the oracle's result.
 */
class BackwardArgumentsTest {
    private static final float DX_MARK = 7.25f;

    static Stream<Backend> backends() {
        return Stream.of(Backend.values()).filter(Elu4j::isAvailable);
    }

    /** Runs the call, expects {@code type}, checks that {@code watched} did not change, returns the exception. */
    private static <T extends Throwable> T refused(Class<T> type, Supplier<byte[]> watched, Runnable call) {
        byte[] before = watched.get();
        T thrown = assertThrows(type, call::run);
        assertArrayEquals(before, watched.get(), "the destination was modified by a refused call");
        assertTrue(thrown.getMessage() != null && !thrown.getMessage().isBlank(), "a refusal says why");
        return thrown;
    }

    private static Supplier<byte[]> bytesOf(MemorySegment s) {
        return () -> s.toArray(JAVA_BYTE);
    }

    private static MemorySegment floats(Arena arena, int n, float value) {
        MemorySegment s = arena.allocate(4L * n, 64);
        for (int i = 0; i < n; i++) {
            s.setAtIndex(JAVA_FLOAT, i, value);
        }
        return s;
    }

    private static void assertMessage(Throwable e, String... fragments) {
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message lacks '" + f + "': " + e.getMessage());
        }
    }

    /** Backward from the output is defined (and offered) exactly for alpha >= 0, scale > 0 and inputScale > 0. */
    @Test
    void fromOutputIsDefinedExactlyForNonNegativeParameters() {
        for (org.elu4j.testing.Family.Fn fn : org.elu4j.testing.Family.functionsAndEdges()) {
            org.elu4j.internal.Op op = fn.op();
            boolean defined = op.alpha() >= 0 && op.scale() > 0 && op.inputScale() > 0;
            assertEquals(defined, fn.elu().hasBackwardFromOutput(), fn.name());
            assertEquals(defined, op.fromOutputProblem() == null, fn.name());
        }
        assertTrue(!Elu.elu(-0.7).hasBackwardFromOutput() && !Elu.leakyRelu(-0.2).hasBackwardFromOutput());
        // The domain's edges, stated here rather than computed: zero scales are outside it (y no
        // longer tells the sides apart), a zero alpha or slope of either sign is inside.
        Map<String, Elu> outside = Map.of("elu(1.5,0,1)", Elu.elu(1.5, 0, 1), "elu(1.5,2,0)", Elu.elu(1.5, 2, 0),
                "elu(1.5,2,-0.0)", Elu.elu(1.5, 2, -0.0), "elu(1.5,-0.0,1)", Elu.elu(1.5, -0.0, 1),
                "elu(-1e-200)", Elu.elu(-1e-200), "leakyRelu(-1e-300)", Elu.leakyRelu(-1e-300));
        Map<String, Elu> inside = Map.of("elu(0)", Elu.elu(0), "elu(-0.0)", Elu.elu(-0.0),
                "elu(1.5,2^-900,2^-20)", Elu.elu(1.5, 0x1p-900, 0x1p-20),
                "leakyRelu(0)", Elu.leakyRelu(0), "leakyRelu(-0.0)", Elu.leakyRelu(-0.0));
        outside.forEach((name, elu) -> {
            assertFalse(elu.hasBackwardFromOutput(), name);
            assertFalse(elu.isSupported(DataType.F32, Elu.Direction.BACKWARD_FROM_OUTPUT), name);
        });
        inside.forEach((name, elu) -> assertTrue(elu.hasBackwardFromOutput(), name));
    }

    // ---------------------------------------------------------------------------------------------
    // Aliasing

    @ParameterizedTest
    @MethodSource("backends")
    void dxOverDyIsAllowedAndCorrect(Backend backend) {
        Elu elu = Elu.selu().on(backend);
        // (the conformance suite, testing/ConformanceSuite, checks the refusal and AUTO)
        org.junit.jupiter.api.Assumptions.assumeTrue(elu.isSupported(DataType.F32, Elu.Direction.BACKWARD_FROM_INPUT),
                () -> backend + " cannot run it: " + elu.unsupportedReason(DataType.F32, Elu.Direction.BACKWARD_FROM_INPUT).orElse(""));
        try (Arena arena = Arena.ofConfined()) {
            int n = 37;
            MemorySegment x = arena.allocate(4L * n, 64);
            MemorySegment g = arena.allocate(4L * n, 64);
            float[] xs = new float[n];
            float[] gs = new float[n];
            for (int i = 0; i < n; i++) {
                xs[i] = -3f + i * 0.17f;
                gs[i] = 0.5f - i * 0.03f;
                x.setAtIndex(JAVA_FLOAT, i, xs[i]);
                g.setAtIndex(JAVA_FLOAT, i, gs[i]);
            }
            elu.backwardFromInput(g, x, g); // dx written over dy
            MemorySegment y = arena.allocate(4L * n, 64);
            MemorySegment g2 = arena.allocate(4L * n, 64);
            for (int i = 0; i < n; i++) {
                float want = ScalarBackend.backward(fnOp(elu), false, gs[i], xs[i]);
                float got = g.getAtIndex(JAVA_FLOAT, i);
                assertTrue(Math.abs(got - want) <= 2 * Math.ulp(want), "dx over dy (from input) [" + i + "]: " + got + " vs " + want);
                y.setAtIndex(JAVA_FLOAT, i, ScalarBackend.forward(fnOp(elu), xs[i]));
                g2.setAtIndex(JAVA_FLOAT, i, gs[i]);
            }
            elu.backwardFromOutput(g2, y, g2.asSlice(0)); // the same region through another segment object
            for (int i = 0; i < n; i++) {
                float want = ScalarBackend.backward(fnOp(elu), true, gs[i], y.getAtIndex(JAVA_FLOAT, i));
                float got = g2.getAtIndex(JAVA_FLOAT, i);
                double slack = 2 * Math.ulp((float) Math.abs(gs[i] * Elu.SELU_ALPHA * Elu.SELU_SCALE));
                assertTrue(Math.abs(got - want) <= 2 * Math.ulp(want) + slack,
                        "dx over dy (from output) [" + i + "]: " + got + " vs " + want);
            }
        }
    }

    private static org.elu4j.internal.Op fnOp(Elu elu) {
        return org.elu4j.internal.Op.elu(elu.alpha(), elu.scale(), elu.inputScale());
    }

    @ParameterizedTest
    @MethodSource("backends")
    void dxOverlappingXOrYIsRefused(Backend backend) {
        Elu elu = Elu.elu().on(backend);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = floats(arena, 200, -1f);
            MemorySegment dy = floats(arena, 100, 1f);
            MemorySegment x = buf.asSlice(0, 400);
            for (MemorySegment dx : new MemorySegment[] {x, buf.asSlice(0, 400), buf.asSlice(4, 400), buf.asSlice(396, 400)}) {
                var e = refused(IllegalArgumentException.class, bytesOf(buf), () -> elu.backwardFromInput(dy, x, dx));
                assertMessage(e, "dx overlaps the forward's input/output");
                e = refused(IllegalArgumentException.class, bytesOf(buf), () -> elu.backwardFromOutput(dy, x, dx));
                assertMessage(e, "dx overlaps the forward's input/output");
            }
            // adjacent is disjoint: runs where supported
            if (elu.isSupported(DataType.F32, Elu.Direction.BACKWARD_FROM_INPUT)) {
                elu.backwardFromInput(dy, x, buf.asSlice(400, 400));
                assertEquals(ScalarBackend.backward(fnOp(elu), false, 1f, -1f), buf.getAtIndex(JAVA_FLOAT, 100), 2e-7f);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void partialDxDyOverlapIsRefused(Backend backend) {
        Elu elu = Elu.elu(0.5).on(backend);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = floats(arena, 200, 1f);
            MemorySegment x = floats(arena, 100, -1f);
            MemorySegment dy = buf.asSlice(0, 400);
            for (long shift : new long[] {4, 396}) {
                MemorySegment dx = buf.asSlice(shift, 400);
                var e = refused(IllegalArgumentException.class, bytesOf(buf), () -> elu.backwardFromInput(dy, x, dx));
                assertMessage(e, "dx and dy overlap partially");
                e = refused(IllegalArgumentException.class, bytesOf(buf), () -> elu.backwardFromOutput(dy, x, dx));
                assertMessage(e, "dx and dy overlap partially");
            }
            // dx one float after dy inside one buffer: refused too
            MemorySegment big = floats(arena, 100, 1f);
            MemorySegment x99 = floats(arena, 99, -1f);
            var e = assertThrows(IllegalArgumentException.class, () -> elu.backwardFromInput(big.asSlice(0, 396), x99, big.asSlice(4, 396)));
            assertMessage(e, "overlap partially");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Sizes, access, lifetime, threads

    @ParameterizedTest
    @MethodSource("backends")
    void sizesDiffer(Backend backend) {
        Elu elu = Elu.elu().on(backend);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dx = floats(arena, 16, DX_MARK);
            MemorySegment ok = floats(arena, 16, -1f);
            MemorySegment shorter = floats(arena, 15, -1f);
            for (Runnable call : new Runnable[] {
                    () -> elu.backwardFromInput(shorter, ok, dx),
                    () -> elu.backwardFromInput(ok, shorter, dx),
                    () -> elu.backwardFromOutput(ok, shorter, dx),
                    () -> elu.backwardFromOutput(shorter, ok, dx)}) {
                var e = refused(IllegalArgumentException.class, bytesOf(dx), call);
                assertMessage(e, "sizes differ", "60", "64");
            }
            MemorySegment d15 = floats(arena, 15, DX_MARK);
            var e = refused(IllegalArgumentException.class, bytesOf(d15), () -> elu.backwardFromInput(ok, ok, d15));
            assertMessage(e, "sizes differ");
            // not a whole number of elements of the type
            MemorySegment d12 = floats(arena, 3, DX_MARK);
            MemorySegment a12 = floats(arena, 3, 1f);
            MemorySegment b12 = floats(arena, 3, -1f);
            e = refused(IllegalArgumentException.class, bytesOf(d12), () -> elu.backwardFromInput(a12, b12, d12, DataType.F64));
            assertMessage(e, "12", "8-byte");
            MemorySegment d3 = d12.asSlice(0, 3);
            e = refused(IllegalArgumentException.class, bytesOf(d12),
                    () -> elu.backwardFromInput(a12.asSlice(0, 3), b12.asSlice(0, 3), d3, DataType.BF16));
            assertMessage(e, "2-byte");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void readOnlyDx(Backend backend) {
        Elu elu = Elu.relu().on(backend);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dy = floats(arena, 16, 1f);
            MemorySegment x = floats(arena, 16, -1f);
            MemorySegment dx = floats(arena, 16, DX_MARK);
            var e = refused(IllegalArgumentException.class, bytesOf(dx), () -> elu.backwardFromInput(dy, x, dx.asReadOnly()));
            assertMessage(e, "dx", "read-only");
            e = refused(IllegalArgumentException.class, bytesOf(dx), () -> elu.backwardFromOutput(dy, x, dx.asReadOnly()));
            assertMessage(e, "read-only");
            // dx over a read-only dy: the same region, read-only: refused
            e = refused(IllegalArgumentException.class, bytesOf(dy), () -> elu.backwardFromInput(dy.asReadOnly(), x, dy.asReadOnly()));
            assertMessage(e, "read-only");
            // a read-only heap buffer as dx
            FloatBuffer dxb = FloatBuffer.wrap(new float[] {DX_MARK, DX_MARK});
            e = refused(IllegalArgumentException.class, () -> floatBytes(dxb), () -> elu.backwardFromInput(
                    FloatBuffer.wrap(new float[] {1, 1}), FloatBuffer.wrap(new float[] {-1, 2}), dxb.asReadOnlyBuffer(), DataType.F32));
            assertMessage(e, "read-only");
            // dy and x read-only are fine
            if (elu.isSupported(DataType.F32, Elu.Direction.BACKWARD_FROM_INPUT)) {
                elu.backwardFromInput(dy.asReadOnly(), x.asReadOnly(), dx);
                assertEquals(0f, dx.getAtIndex(JAVA_FLOAT, 0));
            }
        }
    }

    private static byte[] floatBytes(FloatBuffer b) {
        float[] a = new float[b.capacity()];
        b.get(0, a);
        return MemorySegment.ofArray(a).toArray(JAVA_BYTE);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void closedArenaOfAnyOperand(Backend backend) {
        Elu elu = Elu.elu().on(backend);
        try (Arena live = Arena.ofConfined()) {
            MemorySegment dy = floats(live, 16, 1f);
            MemorySegment x = floats(live, 16, -1f);
            MemorySegment dx = floats(live, 16, DX_MARK);
            Arena closed = Arena.ofConfined();
            MemorySegment dead = floats(closed, 16, 1f);
            closed.close();
            var e = refused(IllegalStateException.class, bytesOf(dx), () -> elu.backwardFromInput(dead, x, dx));
            assertMessage(e, "dy", "closed");
            e = refused(IllegalStateException.class, bytesOf(dx), () -> elu.backwardFromInput(dy, dead, dx));
            assertMessage(e, "x/y", "closed");
            e = refused(IllegalStateException.class, bytesOf(dx), () -> elu.backwardFromOutput(dy, dead, dx));
            assertMessage(e, "closed");
            e = assertThrows(IllegalStateException.class, () -> elu.backwardFromInput(dy, x, dead));
            assertMessage(e, "dx", "closed");
            assertArrayEquals(floats(live, 16, 1f).toArray(JAVA_BYTE), dy.toArray(JAVA_BYTE), "dy untouched");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void operandConfinedToAnotherThread(Backend backend) throws Exception {
        Elu elu = Elu.elu().on(backend);
        try (Arena mine = Arena.ofConfined(); Arena shared = Arena.ofShared()) {
            MemorySegment confined = floats(mine, 16, 1f);
            MemorySegment x = floats(shared, 16, -1f);
            MemorySegment dx = floats(shared, 16, DX_MARK);
            MemorySegment confinedDx = floats(mine, 16, DX_MARK);
            byte[] before = dx.toArray(JAVA_BYTE);
            for (int which = 0; which < 3; which++) {
                int w = which;
                AtomicReference<Throwable> thrown = new AtomicReference<>();
                Thread t = new Thread(() -> {
                    try {
                        switch (w) {
                            case 0 -> elu.backwardFromInput(confined, x, dx);
                            case 1 -> elu.backwardFromInput(x, confined, dx);
                            default -> elu.backwardFromInput(x, x, confinedDx);
                        }
                    } catch (Throwable e) {
                        thrown.set(e);
                    }
                });
                t.start();
                t.join();
                assertTrue(thrown.get() instanceof WrongThreadException, "operand " + w + ": " + thrown.get());
                assertMessage(thrown.get(), "confined to another thread");
            }
            assertArrayEquals(before, dx.toArray(JAVA_BYTE), "dx untouched");
            assertArrayEquals(before, confinedDx.toArray(JAVA_BYTE), "confined dx untouched");
        }
    }

    @Test
    void nullOperandsAndType() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = floats(arena, 4, 1f);
            MemorySegment dx = floats(arena, 4, DX_MARK);
            Elu elu = Elu.elu();
            refused(NullPointerException.class, bytesOf(dx), () -> elu.backwardFromInput(null, s, dx));
            refused(NullPointerException.class, bytesOf(dx), () -> elu.backwardFromInput(s, null, dx));
            assertThrows(NullPointerException.class, () -> elu.backwardFromInput(s, s, (MemorySegment) null));
            refused(NullPointerException.class, bytesOf(dx), () -> elu.backwardFromInput(s, s, dx, null));
            refused(NullPointerException.class, bytesOf(dx), () -> elu.apply(s, dx, null));
        }
    }

    @Test
    void backwardFromOutputRefusedForNegativeParameters() {
        float[] dy = {1f, 2f};
        float[] y = {-0.5f, 3f};
        for (Elu elu : new Elu[] {Elu.elu(-0.7), Elu.leakyRelu(-0.2), Elu.elu(1, -1, 1), Elu.elu(1, 1, -1)}) {
            float[] dx = {DX_MARK, DX_MARK};
            var e = refused(IllegalArgumentException.class, () -> MemorySegment.ofArray(dx).toArray(JAVA_BYTE),
                    () -> elu.backwardFromOutput(dy, y, dx));
            assertMessage(e, "backward from the output needs", "use backward from the input");
            e = assertThrows(IllegalArgumentException.class, () -> elu.backwardFromOutput(1f, -0.5f));
            assertMessage(e, "backward from the output needs");
            // from the input is fine
            elu.backwardFromInput(dy, new float[] {-0.5f, 3f}, dx);
            float want = ScalarBackend.backward(opOf(elu), false, 1f, -0.5f);
            assertEquals(want, dx[0], 2 * Math.ulp(want), elu.toString());
        }
    }

    private static org.elu4j.internal.Op opOf(Elu elu) {
        return switch (elu.function()) {
            case RELU -> org.elu4j.internal.Op.relu();
            case LEAKY_RELU -> org.elu4j.internal.Op.leakyRelu(elu.alpha());
            default -> org.elu4j.internal.Op.elu(elu.alpha(), elu.scale(), elu.inputScale());
        };
    }

    // ---------------------------------------------------------------------------------------------
    // Types of arrays and buffers

    @ParameterizedTest
    @MethodSource("backends")
    void shortArrayWithF32OrF64IsRefused(Backend backend) {
        Elu elu = Elu.elu().on(backend);
        short[] a = {1, 2, 3};
        for (DataType wrong : new DataType[] {DataType.F32, DataType.F64}) {
            short[] dst = {9, 9, 9};
            var e = refused(IllegalArgumentException.class, () -> shortBytes(dst), () -> elu.apply(a, dst, wrong));
            assertMessage(e, "short[] holds BF16 or F16", wrong.toString());
            e = refused(IllegalArgumentException.class, () -> shortBytes(dst), () -> elu.applyInPlace(dst, wrong));
            assertMessage(e, "short[]");
            e = refused(IllegalArgumentException.class, () -> shortBytes(dst), () -> elu.backwardFromInput(a, a, dst, wrong));
            assertMessage(e, "short[] holds BF16 or F16");
            e = refused(IllegalArgumentException.class, () -> shortBytes(dst), () -> elu.backwardFromOutput(a, a, dst, wrong));
            assertMessage(e, "short[] holds BF16 or F16");
        }
    }

    private static byte[] shortBytes(short[] a) {
        return MemorySegment.ofArray(a).toArray(JAVA_BYTE);
    }

    private static byte[] bufferBytes(Buffer b) {
        return MemorySegment.ofBuffer(b.duplicate().clear()).toArray(JAVA_BYTE);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void typedBufferOfTheWrongTypeIsRefused(Backend backend) {
        Elu elu = Elu.elu().on(backend);
        ByteOrder nat = ByteOrder.nativeOrder();
        FloatBuffer f = ByteBuffer.allocateDirect(32).order(nat).asFloatBuffer();
        FloatBuffer fdx = ByteBuffer.allocateDirect(32).order(nat).asFloatBuffer().put(0, DX_MARK);
        var e = refused(IllegalArgumentException.class, () -> bufferBytes(fdx), () -> elu.backwardFromInput(f, f, fdx, DataType.F64));
        assertMessage(e, "FloatBuffer, which cannot hold F64");
        e = refused(IllegalArgumentException.class, () -> bufferBytes(fdx), () -> elu.apply(f, fdx, DataType.F64));
        assertMessage(e, "FloatBuffer, which cannot hold F64");
        e = refused(IllegalArgumentException.class, () -> bufferBytes(fdx), () -> elu.apply(f, fdx, DataType.BF16));
        assertMessage(e, "cannot hold BF16");
        DoubleBuffer d = DoubleBuffer.allocate(4);
        DoubleBuffer ddx = DoubleBuffer.wrap(new double[] {1, 2, 3, 4});
        e = refused(IllegalArgumentException.class, () -> bufferBytes(ddx), () -> elu.backwardFromOutput(d, d, ddx, DataType.F32));
        assertMessage(e, "DoubleBuffer, which cannot hold F32");
        ShortBuffer s = ShortBuffer.allocate(4);
        ShortBuffer sdx = ShortBuffer.wrap(new short[] {5, 6, 7, 8});
        e = refused(IllegalArgumentException.class, () -> bufferBytes(sdx), () -> elu.apply(s, sdx));
        assertMessage(e, "ShortBuffer", "give its element type");
        e = refused(IllegalArgumentException.class, () -> bufferBytes(sdx), () -> elu.backwardFromInput(s, s, sdx, DataType.F32));
        assertMessage(e, "ShortBuffer, which cannot hold F32");
        // mixed kinds: a FloatBuffer dx for DoubleBuffer operands
        e = refused(IllegalArgumentException.class, () -> bufferBytes(fdx), () -> elu.backwardFromInput(d, d, fdx, DataType.F64));
        assertMessage(e, "dx is a FloatBuffer");
        // a ByteBuffer needs a type for apply(Buffer, Buffer)
        ByteBuffer b = ByteBuffer.allocateDirect(16).order(nat);
        ByteBuffer bdx = ByteBuffer.allocateDirect(16).order(nat).putFloat(0, DX_MARK);
        e = refused(IllegalArgumentException.class, () -> bufferBytes(bdx), () -> elu.apply(b, bdx));
        assertMessage(e, "ByteBuffer", "give its element type");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void byteBufferInTheOtherOrderIsRefused(Backend backend) {
        Elu elu = Elu.elu().on(backend);
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        ByteBuffer ok = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        for (DataType t : DataType.values()) {
            ByteBuffer dx = ByteBuffer.allocateDirect(16).order(other).putFloat(0, DX_MARK);
            var e = refused(IllegalArgumentException.class, () -> bufferBytes(dx), () -> elu.backwardFromInput(ok, ok, dx, t));
            assertMessage(e, "dx is a " + other, "platform's order", "order(ByteOrder.nativeOrder())");
            ByteBuffer y = ByteBuffer.allocateDirect(16).order(other);
            ByteBuffer dx2 = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder()).putFloat(0, DX_MARK);
            e = refused(IllegalArgumentException.class, () -> bufferBytes(dx2), () -> elu.backwardFromOutput(ok, y, dx2, t));
            assertMessage(e, "y is a " + other);
            e = refused(IllegalArgumentException.class, () -> bufferBytes(dx2), () -> elu.apply(y, dx2, t));
            assertMessage(e, "src is a " + other);
        }
        // a heap ByteBuffer is big-endian until told otherwise
        ByteBuffer heap = ByteBuffer.allocate(16);
        if (ByteOrder.nativeOrder() != ByteOrder.BIG_ENDIAN) {
            ByteBuffer dx = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putFloat(0, DX_MARK);
            var e = refused(IllegalArgumentException.class, () -> bufferBytes(dx), () -> elu.backwardFromInput(heap, dx, dx, DataType.F32));
            assertMessage(e, "BIG_ENDIAN");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void intBufferIsRefused(Backend backend) {
        Elu elu = Elu.elu().on(backend);
        IntBuffer i = IntBuffer.allocate(4);
        FloatBuffer f = FloatBuffer.allocate(4);
        FloatBuffer dx = FloatBuffer.wrap(new float[] {DX_MARK, DX_MARK, DX_MARK, DX_MARK});
        var e = refused(IllegalArgumentException.class, () -> bufferBytes(dx), () -> elu.backwardFromInput(i, f, dx, DataType.F32));
        assertMessage(e, "dy is a", "ByteBuffer, ShortBuffer, FloatBuffer and DoubleBuffer");
        e = refused(IllegalArgumentException.class, () -> bufferBytes(dx), () -> elu.backwardFromOutput(f, i, dx, DataType.F32));
        assertMessage(e, "y is a");
        IntBuffer idx = IntBuffer.wrap(new int[] {1, 2, 3, 4});
        e = refused(IllegalArgumentException.class, () -> bufferBytes(idx), () -> elu.backwardFromInput(f, f, idx, DataType.F32));
        assertMessage(e, "dx is a");
        e = refused(IllegalArgumentException.class, () -> bufferBytes(idx), () -> elu.apply(f, idx));
        assertMessage(e, "dst is a");
        e = refused(IllegalArgumentException.class, () -> bufferBytes(dx), () -> elu.apply(i, dx));
        assertMessage(e, "src is a");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void arraysOfDifferentLengthsAreRefused(Backend backend) {
        Elu elu = Elu.elu().on(backend);
        double[] dx = {DX_MARK, DX_MARK};
        var e = refused(IllegalArgumentException.class, () -> MemorySegment.ofArray(dx).toArray(JAVA_BYTE),
                () -> elu.backwardFromInput(new double[] {1, 2, 3}, new double[] {-1, -2}, dx));
        assertMessage(e, "sizes differ");
        short[] sdx = {1, 1};
        e = refused(IllegalArgumentException.class, () -> shortBytes(sdx),
                () -> elu.backwardFromOutput(new short[2], new short[3], sdx, DataType.F16));
        assertMessage(e, "sizes differ");
        float[] fdx = {DX_MARK};
        e = refused(IllegalArgumentException.class, () -> MemorySegment.ofArray(fdx).toArray(JAVA_BYTE),
                () -> elu.backwardFromInput(new float[1], fdx, fdx));
        assertMessage(e, "dx overlaps the forward's input/output");
    }

    // ---------------------------------------------------------------------------------------------
    // The new factories' parameters

    @Test
    void parametersMustBeFiniteAndCeluAlphaNonZero() {
        double[] bad = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (double v : bad) {
            assertMessage(assertThrows(IllegalArgumentException.class, () -> Elu.elu(v, 1, 1)), "alpha must be finite");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> Elu.elu(1, v, 1)), "scale must be finite");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> Elu.elu(1, 1, v)), "inputScale must be finite");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> Elu.celu(v)), "alpha must be finite");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> Elu.leakyRelu(v)), "slope must be finite");
        }
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Elu.celu(0)), "must not be 0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Elu.celu(-0.0)), "must not be 0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Elu.celu(Double.MIN_VALUE)), "1/alpha");
        assertThrows(NullPointerException.class, () -> Elu.selu().on(null));
        assertThrows(IllegalArgumentException.class, () -> Elu.relu().parallel(0));
    }

    @Test
    void factoriesKeepTheirParameters() {
        Elu selu = Elu.selu();
        assertEquals(Elu.Function.SELU, selu.function());
        assertEquals(1.6732632423543772848170429916717, selu.alpha());
        assertEquals(1.0507009873554804934193349852946, selu.scale());
        assertEquals(1.0, selu.inputScale());
        Elu celu = Elu.celu(0.3);
        assertEquals(0.3, celu.alpha());
        assertEquals(1.0, celu.scale());
        assertEquals(1 / 0.3, celu.inputScale());
        Elu general = Elu.elu(1.3, 0.9, 0.7);
        assertEquals(1.3, general.alpha());
        assertEquals(0.9, general.scale());
        assertEquals(0.7, general.inputScale());
        assertEquals(0.0, Elu.relu().alpha());
        assertEquals(-0.2, Elu.leakyRelu(-0.2).alpha());
        assertEquals(Elu.Function.LEAKY_RELU, Elu.leakyRelu(-0.2).function());
    }

    /** Float and double buffers give their type to backward as to apply; other buffers need one. */
    @Test
    void floatAndDoubleBuffersImplyTheirTypeInBackward() {
        Elu selu = Elu.selu();
        float[] x = {-3f, -0.5f, -0f, 0.25f, 2f};
        float[] dy = {1f, -2f, 0.5f, 3f, -1f};
        FloatBuffer dx = FloatBuffer.allocate(x.length);
        selu.backwardFromInput(FloatBuffer.wrap(dy), FloatBuffer.wrap(x), dx);
        for (int i = 0; i < x.length; i++) {
            float want = ScalarBackend.backward(org.elu4j.internal.Op.elu(Elu.SELU_ALPHA, Elu.SELU_SCALE, 1), false, dy[i], x[i]);
            assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(dx.get(i)), "dx[" + i + "]");
        }
        double[] y = new double[x.length];
        double[] dyd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = selu.apply((double) x[i]);
            dyd[i] = dy[i];
        }
        DoubleBuffer dxd = ByteBuffer.allocateDirect(8 * x.length).order(ByteOrder.nativeOrder()).asDoubleBuffer();
        selu.backwardFromOutput(DoubleBuffer.wrap(dyd), DoubleBuffer.wrap(y), dxd);
        for (int i = 0; i < x.length; i++) {
            double want = ScalarBackend.backward(org.elu4j.internal.Op.elu(Elu.SELU_ALPHA, Elu.SELU_SCALE, 1), true, dyd[i], y[i]);
            assertEquals(want, dxd.get(i), Math.ulp(want) * 4, "dx[" + i + "]");
        }
        ShortBuffer s = ShortBuffer.allocate(2);
        var e = assertThrows(IllegalArgumentException.class, () -> selu.backwardFromInput(s, s.duplicate(), ShortBuffer.allocate(2)));
        assertTrue(e.getMessage().contains("give its element type"), e.getMessage());
    }
}
