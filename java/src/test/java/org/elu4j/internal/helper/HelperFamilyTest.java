package org.elu4j.internal.helper;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.elu4j.DataType;
import org.elu4j.NativeCallException;
import org.elu4j.internal.HalfFloats;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.scalar.ScalarBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The helper's whole family (elu4j_forward / elu4j_backward through {@link HelperBackend}, on the
 * best ISA and on each ISA pinned) against the scalar oracle: f32 forward within 1 ulp (NaN bits
 * kept), f64 within 4 double ulps, backward within 2 ulps (f32) / 4 double ulps (f64), bf16 and
 * f16 exactly the helper's own f32 result rounded by {@link HalfFloats} (NaN: a NaN of the same
 * sign). Native segments at odd offsets and heap segments; parallel forward equal to serial.
 */
class HelperFamilyTest {
    private static final int N = 3001;

    static List<Op> ops() {
        return List.of(Op.elu(1), Op.elu(0.5), Op.elu(1.5), Op.elu(-2),
                Op.elu(1.6732632423543772, 1.0507009873554805, 1), // SELU
                Op.elu(2, 1, 0.5), Op.elu(0.3, 1, 1 / 0.3), // CELU
                Op.elu(0.7, 1.3, 2.5), Op.elu(1, -1, 1), Op.elu(0.25, 2, -0.5),
                Op.relu(), Op.leakyRelu(0.01), Op.leakyRelu(-0.3));
    }

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        List<HelperBackend> helpers = new ArrayList<>();
        helpers.add(HelperBackend.best());
        for (int isa : HelperBackend.supportedIsas()) {
            helpers.add(HelperBackend.forIsa(isa));
        }
        for (HelperBackend h : helpers) {
            for (Op op : ops()) {
                list.add(Arguments.of(h, op));
            }
        }
        return list.stream();
    }

    /** Inputs: specials first, then values over the interesting range. */
    static double[] inputs(long seed) {
        double[] special = {0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN,
                Float.intBitsToFloat(0x7fa00001), Float.intBitsToFloat(0xffc00123), Float.MIN_VALUE, -Float.MIN_VALUE,
                -Float.MIN_NORMAL, -88, -89.5, -104, -103.97, -17.33, -1e-30, -3e-8, 1, 2.5, 65504, -65520, -1e-5,
                -6.1e-5, -60, -745, -800};
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[N];
        for (int i = 0; i < N; i++) {
            if (i < special.length) {
                x[i] = special[i];
            } else if (i % 7 == 0) {
                x[i] = -Math.scalb(r.nextDouble(0.5, 1), r.nextInt(-140, 7));
            } else {
                x[i] = r.nextDouble(-20, 5);
            }
        }
        return x;
    }

    private static MemorySegment segment(Arena arena, DataType type, double[] values, int offset) {
        MemorySegment block = arena.allocate((long) values.length * type.byteSize() + offset + 8, 8);
        MemorySegment s = block.asSlice(offset, (long) values.length * type.byteSize());
        for (int i = 0; i < values.length; i++) {
            set(type, s, i, values[i]);
        }
        return s;
    }

    private static MemorySegment empty(Arena arena, DataType type, int n, int offset) {
        return arena.allocate((long) n * type.byteSize() + offset + 8, 8).asSlice(offset, (long) n * type.byteSize());
    }

    private static void set(DataType type, MemorySegment s, int i, double v) {
        switch (type) {
            case F32 -> s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, (float) v);
            case F64 -> s.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, v);
            case BF16 -> s.setAtIndex(JAVA_SHORT_UNALIGNED, i, HalfFloats.floatToBf16((float) v));
            case F16 -> s.setAtIndex(JAVA_SHORT_UNALIGNED, i, HalfFloats.floatToF16((float) v));
        }
    }

    /** Ordered distance between two floats in ulps (NaN handled by the callers). */
    static long ulps(float a, float b) {
        return Math.abs(ordered(Float.floatToRawIntBits(a)) - ordered(Float.floatToRawIntBits(b)));
    }

    private static long ordered(int bits) {
        return bits < 0 ? -(long) (bits & 0x7fffffff) - 1 : bits;
    }

    static double ulps(double a, double b) {
        if (a == b) {
            return 0;
        }
        return Math.abs(a - b) / Math.ulp(b);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void forwardMatchesOracle(HelperBackend helper, Op op) {
        assertNull(helper.unsupported(op, DataType.BF16, Pass.BACKWARD_FROM_INPUT));
        double[] x = inputs(op.hashCode());
        try (Arena arena = Arena.ofConfined()) {
            // f32, native at offset 1
            MemorySegment src = segment(arena, DataType.F32, x, 1);
            MemorySegment y32 = empty(arena, DataType.F32, N, 3);
            helper.forward(op, DataType.F32, src, y32, 1);
            for (int i = 0; i < N; i++) {
                float xi = src.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                float got = y32.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                float want = ScalarBackend.forward(op, xi);
                if (Float.isNaN(xi)) {
                    assertEquals(Float.floatToRawIntBits(xi), Float.floatToRawIntBits(got), op + " NaN bits");
                } else if (Float.isNaN(want) || Float.isNaN(got)) {
                    assertEquals(Float.isNaN(want), Float.isNaN(got), op + " f32 x=" + xi);
                } else {
                    assertTrue(ulps(got, want) <= 1, op + " f32 x=" + xi + ": got " + got + " want " + want);
                }
            }
            // heap f32 gives the same bits
            float[] heapIn = new float[N];
            MemorySegment.copy(src, JAVA_FLOAT_UNALIGNED, 0, heapIn, 0, N);
            float[] heapOut = new float[N];
            helper.forward(op, DataType.F32, MemorySegment.ofArray(heapIn), MemorySegment.ofArray(heapOut), 1);
            float[] nativeOut = new float[N];
            MemorySegment.copy(y32, JAVA_FLOAT_UNALIGNED, 0, nativeOut, 0, N);
            assertArrayEquals(nativeOut, heapOut, op + " heap");

            // f64
            MemorySegment src64 = segment(arena, DataType.F64, x, 5);
            MemorySegment y64 = empty(arena, DataType.F64, N, 0);
            helper.forward(op, DataType.F64, src64, y64, 1);
            for (int i = 0; i < N; i++) {
                double got = y64.getAtIndex(JAVA_DOUBLE_UNALIGNED, i);
                double want = ScalarBackend.forward(op, x[i]);
                if (Double.isNaN(x[i])) {
                    assertEquals(Double.doubleToRawLongBits(x[i]), Double.doubleToRawLongBits(got), op + " f64 NaN");
                } else if (Double.isNaN(want) || Double.isNaN(got)) {
                    assertEquals(Double.isNaN(want), Double.isNaN(got), op + " f64 x=" + x[i]);
                } else if (want == 0 || Double.isInfinite(want)) {
                    assertEquals(want, got, op + " f64 x=" + x[i]);
                } else {
                    assertTrue(ulps(got, want) <= 4, op + " f64 x=" + x[i] + ": got " + got + " want " + want);
                }
            }

            // bf16, f16: the helper's f32 result rounded by HalfFloats
            for (DataType t : new DataType[] {DataType.BF16, DataType.F16}) {
                MemorySegment s16 = segment(arena, t, x, 1);
                MemorySegment out16 = empty(arena, t, N, 1);
                helper.forward(op, t, s16, out16, 1);
                MemorySegment wide = empty(arena, DataType.F32, N, 0);
                for (int i = 0; i < N; i++) {
                    wide.setAtIndex(JAVA_FLOAT_UNALIGNED, i, ScalarBackend.widen(t, s16.getAtIndex(JAVA_SHORT_UNALIGNED, i)));
                }
                MemorySegment wideOut = empty(arena, DataType.F32, N, 0);
                helper.forward(op, DataType.F32, wide, wideOut, 1);
                for (int i = 0; i < N; i++) {
                    checkHalf(t, out16.getAtIndex(JAVA_SHORT_UNALIGNED, i), wideOut.getAtIndex(JAVA_FLOAT_UNALIGNED, i),
                            op + " " + t + " forward x=" + wide.getAtIndex(JAVA_FLOAT_UNALIGNED, i));
                }
            }
        }
    }

    private static void checkHalf(DataType t, short got, float f32, String what) {
        if (Float.isNaN(f32)) {
            float g = ScalarBackend.widen(t, got);
            assertTrue(Float.isNaN(g), what + ": not NaN");
            assertEquals(Float.floatToRawIntBits(f32) < 0, (got & 0x8000) != 0, what + ": NaN sign");
        } else {
            assertEquals(ScalarBackend.narrow(t, f32), got, what + ": f32 " + f32);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void backwardMatchesOracle(HelperBackend helper, Op op) {
        double[] x = inputs(op.hashCode() + 1);
        SplittableRandom r = new SplittableRandom(7);
        double[] dy = new double[N];
        for (int i = 0; i < N; i++) {
            dy[i] = i == 0 ? 1 : r.nextDouble(-3, 3);
        }
        try (Arena arena = Arena.ofConfined()) {
            for (boolean fromOutput : new boolean[] {false, true}) {
                if (fromOutput && op.fromOutputProblem() != null) {
                    continue;
                }
                double[] data = new double[N];
                for (int i = 0; i < N; i++) {
                    data[i] = fromOutput ? ScalarBackend.forward(op, x[i]) : x[i];
                }
                // f32
                MemorySegment g32 = segment(arena, DataType.F32, dy, 2);
                MemorySegment d32 = segment(arena, DataType.F32, data, 1);
                MemorySegment dx32 = empty(arena, DataType.F32, N, 3);
                helper.backward(op, DataType.F32, fromOutput, g32, d32, dx32);
                for (int i = 0; i < N; i++) {
                    float g = g32.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                    float d = d32.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                    float got = dx32.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                    float want = ScalarBackend.backward(op, fromOutput, g, d);
                    String what = op + " f32 backward(" + fromOutput + ") dy=" + g + " xy=" + d + ": got " + got
                            + " want " + want;
                    if (Float.isNaN(want) || Float.isNaN(got)) {
                        assertEquals(Float.isNaN(want), Float.isNaN(got), what);
                    } else {
                        assertTrue(ulps(got, want) <= 2, what);
                    }
                }
                // f64
                MemorySegment g64 = segment(arena, DataType.F64, dy, 0);
                MemorySegment d64 = segment(arena, DataType.F64, data, 4);
                MemorySegment dx64 = empty(arena, DataType.F64, N, 1);
                helper.backward(op, DataType.F64, fromOutput, g64, d64, dx64);
                for (int i = 0; i < N; i++) {
                    double got = dx64.getAtIndex(JAVA_DOUBLE_UNALIGNED, i);
                    double want = ScalarBackend.backward(op, fromOutput, dy[i], data[i]);
                    String what = op + " f64 backward(" + fromOutput + ") dy=" + dy[i] + " xy=" + data[i] + ": got "
                            + got + " want " + want;
                    if (Double.isNaN(want) || Double.isNaN(got)) {
                        assertEquals(Double.isNaN(want), Double.isNaN(got), what);
                    } else if (want == 0 || Double.isInfinite(want)) {
                        assertTrue(got == want || Math.abs(got) <= Double.MIN_NORMAL * 4, what);
                    } else {
                        // subnormal results: a few units of the smallest subnormal
                        double slack = Math.abs(want) < Double.MIN_NORMAL ? 8 * Double.MIN_VALUE : 0;
                        assertTrue(ulps(got, want) <= 4 || Math.abs(got - want) <= slack, what);
                    }
                }
                // bf16, f16 (in place over the gradient): the helper's f32 result rounded
                for (DataType t : new DataType[] {DataType.BF16, DataType.F16}) {
                    MemorySegment g16 = segment(arena, t, dy, 1);
                    MemorySegment d16 = segment(arena, t, data, 0);
                    MemorySegment gw = empty(arena, DataType.F32, N, 0);
                    MemorySegment dw = empty(arena, DataType.F32, N, 0);
                    for (int i = 0; i < N; i++) {
                        gw.setAtIndex(JAVA_FLOAT_UNALIGNED, i, ScalarBackend.widen(t, g16.getAtIndex(JAVA_SHORT_UNALIGNED, i)));
                        dw.setAtIndex(JAVA_FLOAT_UNALIGNED, i, ScalarBackend.widen(t, d16.getAtIndex(JAVA_SHORT_UNALIGNED, i)));
                    }
                    MemorySegment outw = empty(arena, DataType.F32, N, 0);
                    helper.backward(op, DataType.F32, fromOutput, gw, dw, outw);
                    helper.backward(op, t, fromOutput, g16, d16, g16);
                    for (int i = 0; i < N; i++) {
                        checkHalf(t, g16.getAtIndex(JAVA_SHORT_UNALIGNED, i), outw.getAtIndex(JAVA_FLOAT_UNALIGNED, i),
                                op + " " + t + " backward(" + fromOutput + ")");
                    }
                }
            }
        }
    }

    /**
     * One rule decides the float-kernel path: the helper's {@code elu4j_uses_float_kernel} (what
     * elu4j_forward does) and {@link Op#isFastF32Elu()} (what the Vector API backend does) agree,
     * at both ends of the power-of-two range, for every sign and for the other parameters.
     */
    @Test
    void theFloatKernelRuleIsTheSameInCAndJava() {
        List<Double> alphas = new ArrayList<>(List.of(0.0, -0.0, 0.3, 1.5, 3.0, Double.MIN_VALUE, Double.MAX_VALUE,
                0x1p-1022, Math.nextUp(1.0), Math.nextDown(1.0), Math.nextUp(0x1p100), Math.nextDown(0x1p-100)));
        for (int k = -104; k <= 104; k++) {
            alphas.add(Math.scalb(1.0, k));
            alphas.add(-Math.scalb(1.0, k));
        }
        int fast = 0;
        for (double a : alphas) {
            for (Op op : List.of(Op.elu(a), Op.elu(a, 2, 1), Op.elu(a, 1, 0.5), Op.elu(a, -1, 1), Op.leakyRelu(a))) {
                assertEquals(op.isFastF32Elu(), HelperBackend.usesFloatKernel(op), op.toString());
                fast += op.isFastF32Elu() ? 1 : 0;
            }
        }
        assertEquals(201, fast); // 2^-100 .. 2^100, plain ELU only
        assertTrue(HelperBackend.usesFloatKernel(Op.elu(1)) && !HelperBackend.usesFloatKernel(Op.relu()));
    }

    @Test
    void parallelForwardIsSerial() {
        HelperBackend helper = HelperBackend.best();
        int n = (int) HelperBackend.parallelMinElements() + 1001;
        SplittableRandom r = new SplittableRandom(3);
        try (Arena arena = Arena.ofConfined()) {
            for (DataType t : DataType.values()) {
                for (Op op : List.of(Op.elu(1.6732632423543772, 1.0507009873554805, 1), Op.leakyRelu(0.1), Op.elu(1))) {
                    MemorySegment src = empty(arena, t, n, 2);
                    for (int i = 0; i < n; i++) {
                        set(t, src, i, r.nextDouble(-10, 3));
                    }
                    MemorySegment serial = empty(arena, t, n, 0);
                    MemorySegment parallel = empty(arena, t, n, 2);
                    helper.forward(op, t, src, serial, 1);
                    helper.forward(op, t, src, parallel, 2);
                    assertEquals(-1, serial.mismatch(parallel), op + " " + t + ": parallel differs from serial");
                }
            }
        }
    }

    @Test
    void refusedCallsThrowAndLeaveTheDestination() {
        HelperBackend helper = HelperBackend.best();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dy = arena.allocate(64);
            MemorySegment y = arena.allocate(64);
            MemorySegment dx = arena.allocate(64);
            dx.fill((byte) 0x5a);
            // from the output with alpha < 0 is undefined: the library refuses it
            NativeCallException e = assertThrows(NativeCallException.class,
                    () -> helper.backward(Op.elu(-1), DataType.F32, true, dy, y, dx));
            assertTrue(e.getMessage().contains("ELU4J_ERR_INVALID_ARGUMENT"), e.getMessage());
            // dx overlapping the data
            assertThrows(NativeCallException.class,
                    () -> helper.backward(Op.elu(1), DataType.F32, false, dy, dx.asSlice(0, 32), dx.asSlice(4, 32)));
            for (int i = 0; i < 64; i++) {
                if (dx.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != 0x5a) {
                    fail("destination changed on error");
                }
            }
        }
    }
}
