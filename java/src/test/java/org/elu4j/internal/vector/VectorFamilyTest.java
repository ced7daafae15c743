package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.elu4j.Backend;
import org.elu4j.BackendStatus;
import org.elu4j.DataType;
import org.elu4j.Elu4j;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.HalfFloats;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.helper.HelperBackend;
import org.elu4j.internal.scalar.ScalarBackend;
import org.elu4j.testing.Inputs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector backend against ScalarBackend's oracle for every function x element type x pass:
 * awkward sizes, byte offsets, native and heap memory, in place, guard bytes around the output,
 * special values. Tolerances: f32 forward 1 ulp (NaN bit for bit), f64 4 ulps, backward 2 ulps
 * (f32) / 4 ulps (f64, plus an absolute slack where exp is subnormal); bfloat16/binary16 must be
 * exactly the rounding of the backend's own f32 result (same bits as the f32 path) and within one
 * half-precision step of the oracle's (NaN from backward arithmetic: any NaN). Accuracy figures over many samples are printed by
 * {@link #accuracyOverManySamples()}.
 */
class VectorFamilyTest {
    private static final VectorBackend V = new VectorBackend();

    /**
     * Where the provider refuses the vector backend (no FMA in the JIT, e.g. -XX:UseAVX=0: the
     * kernels would run lane by lane, hundreds of times slower), its grid is reported as skipped
     * with that reason; BackendConformanceTest checks the refusal itself.
     */
    @BeforeAll
    static void vectorRunsHere() {
        BackendStatus s = Elu4j.backends().stream().filter(b -> b.backend() == Backend.VECTOR).findFirst().orElseThrow();
        Assumptions.assumeTrue(s.available(),
                () -> "the vector backend is not available here: " + s.detail());
    }

    static final Op SELU = Op.elu(1.6732632423543772, 1.0507009873554805, 1);

    static Op celu(double alpha) {
        return Op.elu(alpha, 1, 1 / alpha);
    }

    /** Every function, with parameters that take each kernel path (fast f32 ELU, double ELU, exotic ones). */
    static final List<Op> OPS = List.of(
            Op.elu(1), Op.elu(0.5), Op.elu(1.3), SELU, celu(2), celu(0.7), Op.elu(-0.5), Op.elu(0),
            Op.elu(1.5, 2.0, -0.3), Op.elu(0.8, 1e-3, 40), Op.elu(1e30, 1e-20, 1),
            Op.relu(), Op.leakyRelu(0.01), Op.leakyRelu(0.25), Op.leakyRelu(-0.5), Op.leakyRelu(0));

    static final int[] SIZES = {0, 1, 7, 15, 16, 17, 1023, 1025, 65537};

    /** Where a tensor lives: native at a byte offset, or heap (a byte[] or long[] array) at one. */
    record Place(boolean heap, long offset) {
        @Override
        public String toString() {
            return (heap ? "heap" : "native") + "+" + offset;
        }
    }

    static final Place[] PLACES = {new Place(false, 0), new Place(false, 3), new Place(false, 8),
            new Place(true, 0), new Place(true, 1)};
    private static final byte GUARD = (byte) 0x5A;
    private static final int GUARD_BYTES = 64;

    static Stream<Arguments> typesAndPasses() {
        List<Arguments> a = new ArrayList<>();
        for (DataType t : DataType.values()) {
            for (Pass p : Pass.values()) {
                a.add(Arguments.of(t, p));
            }
        }
        return a.stream();
    }

    /**
     * The float ELU kernel uses the C helper's constants and steps, so the two give the same
     * bits: every 127th negative float pattern (16.8M inputs, subnormals to -inf) and the
     * specials, for alphas at both ends of the float kernel's range.
     */
    @Test
    void theFloatKernelGivesTheHelpersBits() {
        Assumptions.assumeTrue(BackendProvider.get().available(Backend.HELPER) instanceof HelperBackend,
                "the helper is not available here: nothing to compare with");
        HelperBackend helper = (HelperBackend) BackendProvider.get().available(Backend.HELPER);
        int stride = 127;
        int n = (int) ((0xff800000L - 0x80000000L) / stride) + 8;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * n, 64);
            long bits = 0x80000000L;
            for (int i = 0; i < n - 8; i++, bits += stride) {
                x.setAtIndex(JAVA_FLOAT_UNALIGNED, i, Float.intBitsToFloat((int) bits));
            }
            float[] specials = {Float.NEGATIVE_INFINITY, -88f, -87.5f, -0f, 0f, Float.NaN, -Float.MIN_VALUE, 1f};
            for (int i = 0; i < 8; i++) {
                x.setAtIndex(JAVA_FLOAT_UNALIGNED, n - 8 + i, specials[i]);
            }
            MemorySegment yv = arena.allocate(4L * n, 64);
            MemorySegment yh = arena.allocate(4L * n, 64);
            for (float alpha : new float[] {1f, 0.5f, 2f, 0x1p-100f, 0x1p100f}) {
                V.eluF32(x, yv, alpha);
                helper.forward(Op.elu(alpha), DataType.F32, x, yh, 1); // the helper's float kernel
                long at = yv.mismatch(yh);
                assertEquals(-1, at, () -> "alpha " + alpha + ": x=" + x.get(JAVA_FLOAT_UNALIGNED, at & ~3)
                        + " vector " + yv.get(JAVA_FLOAT_UNALIGNED, at & ~3) + " helper " + yh.get(JAVA_FLOAT_UNALIGNED, at & ~3));
            }
        }
    }

    @Test
    void everythingIsSupported() {
        for (Op op : OPS) {
            for (DataType t : DataType.values()) {
                for (Pass p : Pass.values()) {
                    if (p == Pass.BACKWARD_FROM_OUTPUT && op.fromOutputProblem() != null) {
                        continue;
                    }
                    assertNull(V.unsupported(op, t, p), op + " " + t + " " + p);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("typesAndPasses")
    void everyFunctionSizeAndPlace(DataType type, Pass pass) {
        long seed = 0x5EEDL * (type.ordinal() + 1) + pass.ordinal();
        try (Arena arena = Arena.ofConfined()) {
            for (Op op : OPS) {
                if (pass == Pass.BACKWARD_FROM_OUTPUT && op.fromOutputProblem() != null) {
                    continue;
                }
                for (int n : SIZES) {
                    for (Place place : PLACES) {
                        if (n == 65537 && place != PLACES[1] && place != PLACES[4]) {
                            continue; // the long size at two places is enough
                        }
                        runCase(arena, op, type, pass, n, place, false, seed++);
                    }
                    if (n != 65537) {
                        runCase(arena, op, type, pass, n, PLACES[1], true, seed++);
                        runCase(arena, op, type, pass, n, PLACES[4], true, seed++);
                    }
                }
            }
        }
    }

    /** Each special value in every lane position of a few vectors, for every function and type. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("typesAndPasses")
    void specialsInEveryLane(DataType type, Pass pass) {
        try (Arena arena = Arena.ofConfined()) {
            for (Op op : OPS) {
                if (pass == Pass.BACKWARD_FROM_OUTPUT && op.fromOutputProblem() != null) {
                    continue;
                }
                long[] sp = specials(type);
                int n = 67;
                for (int shift = 0; shift < sp.length; shift += 5) {
                    long[] x = new long[n];
                    long[] dy = new long[n];
                    for (int i = 0; i < n; i++) {
                        x[i] = sp[(i + shift) % sp.length];
                        dy[i] = sp[(i * 7 + shift + 3) % sp.length];
                    }
                    check(arena, op, type, pass, x, dy, PLACES[0], false, "specials shift " + shift);
                }
            }
        }
    }

    private static void runCase(Arena arena, Op op, DataType type, Pass pass, int n, Place place, boolean inPlace,
            long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] x = randomValues(type, n, r);
        long[] dy = randomValues(type, n, r);
        if (pass == Pass.BACKWARD_FROM_OUTPUT) {
            for (int i = 0; i < n; i++) {
                if (r.nextInt(8) != 0) {
                    x[i] = oracleForward(op, type, x[i]); // mostly real outputs y = f(x)
                }
            }
        }
        check(arena, op, type, pass, x, dy, place, inPlace, "n=" + n + " " + place + (inPlace ? " in place" : "")
                + " seed=" + seed);
    }

    private static void check(Arena arena, Op op, DataType type, Pass pass, long[] x, long[] dy, Place place,
            boolean inPlace, String what) {
        int n = x.length;
        long bytes = (long) n * type.byteSize();
        MemorySegment xs = allocate(arena, place, bytes);
        MemorySegment ds = allocate(arena, place, bytes);
        MemorySegment out = inPlace ? (pass == Pass.FORWARD ? xs : ds) : allocate(arena, place, bytes);
        for (int i = 0; i < n; i++) {
            put(type, xs, i, x[i]);
            put(type, ds, i, dy[i]);
        }
        if (pass == Pass.FORWARD) {
            V.forward(op, type, xs, out, 1);
        } else {
            V.backward(op, type, pass == Pass.BACKWARD_FROM_OUTPUT, ds, xs, out);
        }
        if (!place.heap()) {
            checkGuards(out, what);
        }
        long[] own = type == DataType.BF16 || type == DataType.F16 ? ownF32(arena, op, type, pass, x, dy) : null;
        for (int i = 0; i < n; i++) {
            long actual = get(type, out, i);
            String problem = compare(op, type, pass, x[i], dy[i], actual, own == null ? 0 : own[i]);
            if (problem != null) {
                fail(op + " " + type + " " + pass.label() + " " + what + " at " + i + ": x=" + show(type, x[i])
                        + (pass == Pass.FORWARD ? "" : " dy=" + show(type, dy[i])) + ": " + problem);
            }
        }
    }

    /** The backend's own f32 result on the widened values, rounded to the half type. */
    private static long[] ownF32(Arena arena, Op op, DataType type, Pass pass, long[] x, long[] dy) {
        int n = x.length;
        MemorySegment xs = arena.allocate(4L * n + 4, 64);
        MemorySegment ds = arena.allocate(4L * n + 4, 64);
        MemorySegment out = arena.allocate(4L * n + 4, 64);
        for (int i = 0; i < n; i++) {
            xs.setAtIndex(JAVA_FLOAT_UNALIGNED, i, ScalarBackend.widen(type, (short) x[i]));
            ds.setAtIndex(JAVA_FLOAT_UNALIGNED, i, ScalarBackend.widen(type, (short) dy[i]));
        }
        xs = xs.asSlice(0, 4L * n);
        ds = ds.asSlice(0, 4L * n);
        out = out.asSlice(0, 4L * n);
        if (pass == Pass.FORWARD) {
            V.forward(op, DataType.F32, xs, out, 1);
        } else {
            V.backward(op, DataType.F32, pass == Pass.BACKWARD_FROM_OUTPUT, ds, xs, out);
        }
        long[] r = new long[n];
        for (int i = 0; i < n; i++) {
            r[i] = ScalarBackend.narrow(type, out.getAtIndex(JAVA_FLOAT_UNALIGNED, i)) & 0xFFFF;
        }
        return r;
    }

    /** Null when {@code actual} is right, else what is wrong. */
    private static String compare(Op op, DataType type, Pass pass, long x, long dy, long actual, long own) {
        boolean fwd = pass == Pass.FORWARD;
        boolean fromOutput = pass == Pass.BACKWARD_FROM_OUTPUT;
        switch (type) {
            case F32 -> {
                float xf = Float.intBitsToFloat((int) x);
                float dyf = Float.intBitsToFloat((int) dy);
                float a = Float.intBitsToFloat((int) actual);
                if (fwd && Float.isNaN(xf)) {
                    return (int) x == (int) actual ? null : "NaN must keep its bits, got " + show(type, actual);
                }
                float e = fwd ? ScalarBackend.forward(op, xf) : ScalarBackend.backward(op, fromOutput, dyf, xf);
                return floatProblem(e, a, fwd ? 1 : 2);
            }
            case F64 -> {
                double xd = Double.longBitsToDouble(x);
                double dyd = Double.longBitsToDouble(dy);
                double a = Double.longBitsToDouble(actual);
                if (fwd && Double.isNaN(xd)) {
                    return x == actual ? null : "NaN must keep its bits, got " + show(type, actual);
                }
                double e = fwd ? ScalarBackend.forward(op, xd) : ScalarBackend.backward(op, fromOutput, dyd, xd);
                double slack = 0;
                if (!fwd && !fromOutput && op.kind() == Op.Kind.ELU) {
                    // exp subnormal (x * inputScale < -708): its relative error is no longer bounded
                    slack = 4 * Math.abs(dyd * op.negativeCoefficient() * op.inputScale()) * Double.MIN_VALUE;
                }
                return doubleProblem(e, a, 4, slack);
            }
            default -> {
                boolean ownNaN = Float.isNaN(ScalarBackend.widen(type, (short) own));
                if (!fwd && ownNaN) {
                    // arithmetic NaN: which operand's payload survives is not specified (C2 may swap operands)
                    return Float.isNaN(ScalarBackend.widen(type, (short) actual)) ? null : "NaN expected, got " + hex16(actual);
                }
                if (own != actual) {
                    return "must be the f32 path's result rounded: " + hex16(own) + ", got " + hex16(actual);
                }
                short e = fwd ? ScalarBackend.forward(op, type, (short) x)
                        : ScalarBackend.backward(op, type, fromOutput, (short) dy, (short) x);
                float ef = ScalarBackend.widen(type, e);
                float af = ScalarBackend.widen(type, (short) actual);
                String got = "expected " + hex16(e) + " (" + ef + "), got " + hex16(actual) + " (" + af + ")";
                if (Float.isNaN(ef) || Float.isNaN(af)) {
                    if (!(Float.isNaN(ef) && Float.isNaN(af)) || (fwd && (e & 0x8000) != (actual & 0x8000))) {
                        return got;
                    }
                    return null;
                }
                if (Math.abs(ordered16(e) - ordered16((short) actual)) > 1
                        || (ef == 0 && af == 0 && (e & 0x8000) != (actual & 0x8000))) {
                    return got;
                }
                return null;
            }
        }
    }

    static String floatProblem(float e, float a, long ulps) {
        if (Float.isNaN(e) || Float.isNaN(a)) {
            return Float.isNaN(e) && Float.isNaN(a) ? null : "expected " + e + " got " + a;
        }
        if (e == 0 && a == 0) {
            return Float.floatToRawIntBits(e) == Float.floatToRawIntBits(a) ? null : "sign of zero: expected " + e + " got " + a;
        }
        long d = Math.abs(ordered(e) - ordered(a));
        return d <= ulps ? null : "expected " + e + " got " + a + " (" + d + " ulps)";
    }

    static String doubleProblem(double e, double a, long ulps, double slack) {
        if (Double.isNaN(e) || Double.isNaN(a)) {
            return Double.isNaN(e) && Double.isNaN(a) ? null : "expected " + e + " got " + a;
        }
        if (e == 0 && a == 0) {
            return Double.doubleToRawLongBits(e) == Double.doubleToRawLongBits(a) ? null
                    : "sign of zero: expected " + e + " got " + a;
        }
        if (Math.abs(e - a) <= slack) {
            return null;
        }
        long d = ulps(e, a);
        return d <= ulps ? null : "expected " + e + " got " + a + " (" + d + " ulps)";
    }

    static long ordered(float f) {
        int b = Float.floatToRawIntBits(f);
        return b >= 0 ? b : -(long) (b & 0x7fffffff);
    }

    static long ordered16(short s) {
        int b = s & 0xFFFF;
        return (b & 0x8000) == 0 ? b : -(long) (b & 0x7fff);
    }

    static long ulps(double e, double a) {
        if (Double.isInfinite(e) || Double.isInfinite(a)) {
            return e == a ? 0 : Long.MAX_VALUE;
        }
        long be = Double.doubleToRawLongBits(e);
        long ba = Double.doubleToRawLongBits(a);
        long oe = be >= 0 ? be : -(be & Long.MAX_VALUE);
        long oa = ba >= 0 ? ba : -(ba & Long.MAX_VALUE);
        return Math.abs(oe - oa);
    }

    static String hex16(long s) {
        return String.format("0x%04x", s & 0xFFFF);
    }

    static String show(DataType type, long bits) {
        return switch (type) {
            case F32 -> Float.intBitsToFloat((int) bits) + String.format("(0x%08x)", bits & 0xFFFFFFFFL);
            case F64 -> Double.longBitsToDouble(bits) + String.format("(0x%016x)", bits);
            case BF16, F16 -> ScalarBackend.widen(type, (short) bits) + "(" + hex16(bits) + ")";
        };
    }

    static long oracleForward(Op op, DataType type, long x) {
        return switch (type) {
            case F32 -> Float.floatToRawIntBits(ScalarBackend.forward(op, Float.intBitsToFloat((int) x)));
            case F64 -> Double.doubleToRawLongBits(ScalarBackend.forward(op, Double.longBitsToDouble(x)));
            case BF16, F16 -> ScalarBackend.forward(op, type, (short) x) & 0xFFFF;
        };
    }

    // ---------------------------------------------------------------------------------------------
    // Inputs and memory.

    static final float[] F32_EXTRA = {-88f, -88.5f, -89f, -90f, -95f, -100f, -102.5f, -103.9f, -104f, -104.5f,
            -Float.MIN_VALUE, -2 * Float.MIN_VALUE, -3 * Float.MIN_VALUE, -1e-39f, -1e-42f, Float.MIN_VALUE,
            Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xff812345), Float.intBitsToFloat(0x7fc00000)};

    static final double[] F64_SPECIALS = {Double.NaN, Double.longBitsToDouble(0x7ff0000000000001L),
            Double.longBitsToDouble(0xfff8000000abcdefL), Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, -Double.MIN_NORMAL, -1e-310, -1e-300,
            -1e-20, -1e-17, -1e-8, -0.3465, -0.3466, -0.34657359027997264, -0.6931471805599453, -1, -2, -10,
            -36.7, -37.5, -40, -64, -65, -88, -104, -500, -700, -708, -708.5, -709, -720, -745, -745.2, -746, -800,
            -1e300, -Double.MAX_VALUE, Double.MAX_VALUE, 1, 0.5, 3.5, 1e300};

    static long[] specials(DataType type) {
        return switch (type) {
            case F32 -> {
                List<Long> l = new ArrayList<>();
                for (float f : Inputs.SPECIALS) {
                    l.add(Float.floatToRawIntBits(f) & 0xFFFFFFFFL);
                }
                for (float f : F32_EXTRA) {
                    l.add(Float.floatToRawIntBits(f) & 0xFFFFFFFFL);
                }
                yield l.stream().mapToLong(Long::longValue).toArray();
            }
            case F64 -> {
                long[] a = new long[F64_SPECIALS.length];
                for (int i = 0; i < a.length; i++) {
                    a[i] = Double.doubleToRawLongBits(F64_SPECIALS[i]);
                }
                yield a;
            }
            case BF16, F16 -> {
                int[] s = {0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x83ff, 0x0400, 0x8400, 0x7c00, 0xfc00, 0x7c01,
                        0xfe00, 0x7e00, 0x7f80, 0xff80, 0x7fc0, 0xffc1, 0x7f81, 0x3c00, 0xbc00, 0xc2b0, 0xc2d0,
                        0xc0a0, 0xcc00, 0xd5a0, 0xbf80, 0xc2b2, 0xc2c8, 0xc2d0, 0xfbff, 0x7bff, 0xff7f, 0x7f7f};
                long[] a = new long[s.length];
                for (int i = 0; i < s.length; i++) {
                    a[i] = s[i];
                }
                yield a;
            }
        };
    }

    static long[] randomValues(DataType type, int n, SplittableRandom r) {
        long[] sp = specials(type);
        long[] a = new long[n];
        switch (type) {
            case F32 -> {
                float[] f = Inputs.random(n, r.nextLong());
                for (int i = 0; i < n; i++) {
                    a[i] = r.nextInt(16) == 0 ? sp[r.nextInt(sp.length)] : Float.floatToRawIntBits(f[i]) & 0xFFFFFFFFL;
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    int k = r.nextInt(16);
                    double d;
                    if (k < 9) {
                        d = r.nextDouble(-40, 5);
                    } else if (k < 14) {
                        long bits = r.nextLong(0, 0x4090000000000000L); // up to 1024, down to subnormals
                        d = Double.longBitsToDouble(r.nextBoolean() ? bits : bits | Long.MIN_VALUE);
                    } else {
                        d = Double.longBitsToDouble(sp[r.nextInt(sp.length)]);
                    }
                    a[i] = Double.doubleToRawLongBits(d);
                }
            }
            case BF16, F16 -> {
                for (int i = 0; i < n; i++) {
                    int k = r.nextInt(4);
                    if (k == 0) {
                        a[i] = r.nextInt(0x10000);
                    } else if (k == 1) {
                        a[i] = sp[r.nextInt(sp.length)];
                    } else {
                        a[i] = ScalarBackend.narrow(type, (float) r.nextDouble(-20, 5)) & 0xFFFF;
                    }
                }
            }
        }
        return a;
    }

    static MemorySegment allocate(Arena arena, Place place, long bytes) {
        if (place.heap()) {
            if (place.offset() % 8 == 0) {
                return MemorySegment.ofArray(new long[(int) ((bytes + place.offset()) / 8 + 1)])
                        .asSlice(place.offset(), bytes);
            }
            return MemorySegment.ofArray(new byte[(int) (bytes + place.offset())]).asSlice(place.offset(), bytes);
        }
        MemorySegment all = arena.allocate(bytes + 2 * GUARD_BYTES, 64);
        all.fill(GUARD);
        return all.asSlice(GUARD_BYTES + place.offset(), bytes);
    }

    /** The bytes just before and after a native segment made by {@link #allocate} are untouched. */
    static void checkGuards(MemorySegment s, String what) {
        MemorySegment before = MemorySegment.ofAddress(s.address() - GUARD_BYTES + 8).reinterpret(GUARD_BYTES - 8);
        MemorySegment after = MemorySegment.ofAddress(s.address() + s.byteSize()).reinterpret(GUARD_BYTES - 8);
        for (long i = 0; i < GUARD_BYTES - 8; i++) {
            if (before.get(JAVA_BYTE, i) != GUARD || after.get(JAVA_BYTE, i) != GUARD) {
                fail(what + ": bytes outside the output were written");
            }
        }
    }

    static void put(DataType type, MemorySegment s, long i, long bits) {
        switch (type) {
            case F32 -> s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, Float.intBitsToFloat((int) bits));
            case F64 -> s.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, Double.longBitsToDouble(bits));
            case BF16, F16 -> s.setAtIndex(JAVA_SHORT_UNALIGNED, i, (short) bits);
        }
    }

    static long get(DataType type, MemorySegment s, long i) {
        return switch (type) {
            case F32 -> Float.floatToRawIntBits(s.getAtIndex(JAVA_FLOAT_UNALIGNED, i)) & 0xFFFFFFFFL;
            case F64 -> Double.doubleToRawLongBits(s.getAtIndex(JAVA_DOUBLE_UNALIGNED, i));
            case BF16, F16 -> s.getAtIndex(JAVA_SHORT_UNALIGNED, i) & 0xFFFF;
        };
    }

    // ---------------------------------------------------------------------------------------------
    // Conversions and accuracy.

    /** The vector conversions against HalfFloats: every half pattern, and floats over the whole range. */
    @Test
    void halfConversionsAreHalfFloatsBitForBit() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 1 << 16;
            MemorySegment h = arena.allocate(2L * n, 64);
            MemorySegment f = arena.allocate(4L * n, 64);
            for (int i = 0; i < n; i++) {
                h.setAtIndex(JAVA_SHORT_UNALIGNED, i, (short) i);
            }
            for (int rep = 0; rep < 3; rep++) { // again once the loops are compiled
                HalfKernels.widenBf16(h, 0, f, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(HalfFloats.bf16ToFloat((short) i)),
                            Float.floatToRawIntBits(f.getAtIndex(JAVA_FLOAT_UNALIGNED, i)), "bf16 " + hex16(i));
                }
                HalfKernels.widenF16(h, 0, f, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(HalfFloats.f16ToFloat((short) i)),
                            Float.floatToRawIntBits(f.getAtIndex(JAVA_FLOAT_UNALIGNED, i)), "f16 " + hex16(i));
                }
            }
            // Floats: a stride over all 2^32 patterns, plus every neighbourhood of a half rounding edge.
            SplittableRandom r = new SplittableRandom(7);
            for (int rep = 0; rep < 40; rep++) {
                for (int i = 0; i < n; i++) {
                    int bits;
                    int k = i & 3;
                    if (k == 0) {
                        bits = (rep * n + i) * 65521; // a stride over all patterns
                    } else if (k == 1) {
                        bits = r.nextInt();
                    } else { // near a bf16 or f16 halfway point or edge
                        int base = (k == 2 ? (r.nextInt(0x10000) << 16) : Float.floatToRawIntBits(
                                HalfFloats.f16ToFloat((short) r.nextInt(0x10000))));
                        int half = k == 2 ? 0x8000 : 1 << r.nextInt(14, 24);
                        bits = base + half + r.nextInt(-2, 3);
                    }
                    f.setAtIndex(JAVA_FLOAT_UNALIGNED, i, Float.intBitsToFloat(bits));
                }
                HalfKernels.narrowBf16(f, h, 0, n);
                for (int i = 0; i < n; i++) {
                    float v = f.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                    assertEquals(hex16(HalfFloats.floatToBf16(v)), hex16(h.getAtIndex(JAVA_SHORT_UNALIGNED, i)),
                            "bf16 of " + Integer.toHexString(Float.floatToRawIntBits(v)));
                }
                HalfKernels.narrowF16(f, h, 0, n);
                for (int i = 0; i < n; i++) {
                    float v = f.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                    assertEquals(hex16(HalfFloats.floatToF16(v)), hex16(h.getAtIndex(JAVA_SHORT_UNALIGNED, i)),
                            "f16 of " + Integer.toHexString(Float.floatToRawIntBits(v)));
                }
            }
        }
    }

    /**
     * Maximum ulps against the oracle over many random samples of each function and type (printed:
     * the figures in the backend's documentation come from here), and f64 expm1/exp against a
     * 50-digit BigDecimal reference.
     */
    @Test
    void accuracyOverManySamples() {
        int n = Integer.getInteger("elu4j.test.vectorSamples", 1 << 16);
        StringBuilder report = new StringBuilder("vector backend, max ulps vs the scalar oracle over " + n
                + " samples each:\n");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocate(8L * n, 64);
            MemorySegment ds = arena.allocate(8L * n, 64);
            MemorySegment out = arena.allocate(8L * n, 64);
            SplittableRandom r = new SplittableRandom(42);
            for (Op op : List.of(Op.elu(1), Op.elu(1.3), SELU, celu(2), celu(0.7), Op.leakyRelu(0.01))) {
                for (DataType type : List.of(DataType.F32, DataType.F64)) {
                    for (Pass pass : Pass.values()) {
                        if (pass == Pass.BACKWARD_FROM_OUTPUT && op.fromOutputProblem() != null) {
                            continue;
                        }
                        long max = 0;
                        long over1 = 0;
                        for (int i = 0; i < n; i++) {
                            if (type == DataType.F32) {
                                float x = (float) -Math.exp(r.nextDouble(-25, 4.7)); // negatives, |x| from 1e-11 to 110
                                float y = pass == Pass.BACKWARD_FROM_OUTPUT ? ScalarBackend.forward(op, x) : x;
                                xs.setAtIndex(JAVA_FLOAT_UNALIGNED, i, y);
                                ds.setAtIndex(JAVA_FLOAT_UNALIGNED, i, (float) r.nextDouble(-4, 4));
                            } else {
                                double x = -Math.exp(r.nextDouble(-25, 6.6)); // down to -735
                                double y = pass == Pass.BACKWARD_FROM_OUTPUT ? ScalarBackend.forward(op, x) : x;
                                xs.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, y);
                                ds.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, r.nextDouble(-4, 4));
                            }
                        }
                        long bytes = (long) n * type.byteSize();
                        MemorySegment x = xs.asSlice(0, bytes);
                        MemorySegment d = ds.asSlice(0, bytes);
                        MemorySegment o = out.asSlice(0, bytes);
                        if (pass == Pass.FORWARD) {
                            V.forward(op, type, x, o, 1);
                        } else {
                            V.backward(op, type, pass == Pass.BACKWARD_FROM_OUTPUT, d, x, o);
                        }
                        boolean fromOutput = pass == Pass.BACKWARD_FROM_OUTPUT;
                        for (int i = 0; i < n; i++) {
                            long u;
                            if (type == DataType.F32) {
                                float xv = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                                float e = pass == Pass.FORWARD ? ScalarBackend.forward(op, xv)
                                        : ScalarBackend.backward(op, fromOutput, d.getAtIndex(JAVA_FLOAT_UNALIGNED, i), xv);
                                u = Math.abs(ordered(e) - ordered(o.getAtIndex(JAVA_FLOAT_UNALIGNED, i)));
                            } else {
                                double xv = x.getAtIndex(JAVA_DOUBLE_UNALIGNED, i);
                                double e = pass == Pass.FORWARD ? ScalarBackend.forward(op, xv)
                                        : ScalarBackend.backward(op, fromOutput, d.getAtIndex(JAVA_DOUBLE_UNALIGNED, i), xv);
                                double a = o.getAtIndex(JAVA_DOUBLE_UNALIGNED, i);
                                u = Math.abs(e) < Double.MIN_NORMAL * 0x1p60 ? 0 : ulps(e, a); // subnormal exp: see check
                            }
                            max = Math.max(max, u);
                            over1 += u > 1 ? 1 : 0;
                        }
                        report.append(String.format("  %-70s %-3s %-20s max %d ulp, %d samples > 1 ulp%n", op, type.cliName(),
                                pass.label(), max, over1));
                        long bound = type == DataType.F32 ? (pass == Pass.FORWARD ? 1 : 2) : 4;
                        assertTrue(max <= bound, op + " " + type + " " + pass + ": " + max + " ulps");
                    }
                }
            }
            // f64 expm1 and exp themselves against a 50-digit reference (the oracle's Math.expm1 is
            // within 1 ulp, so this separates the kernel's own error).
            int m = Integer.getInteger("elu4j.test.vectorBigSamples", 3000);
            for (int i = 0; i < m; i++) {
                xs.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, -Math.exp(r.nextDouble(-30, 6.55)));
                ds.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, 1.0);
            }
            MemorySegment x = xs.asSlice(0, 8L * m);
            MemorySegment o = out.asSlice(0, 8L * m);
            V.forward(Op.elu(1), DataType.F64, x, o, 1);
            long maxExpm1 = 0;
            for (int i = 0; i < m; i++) {
                double xv = x.getAtIndex(JAVA_DOUBLE_UNALIGNED, i);
                maxExpm1 = Math.max(maxExpm1, ulps(bigExpm1(xv), o.getAtIndex(JAVA_DOUBLE_UNALIGNED, i)));
            }
            V.backward(Op.elu(1), DataType.F64, false, ds.asSlice(0, 8L * m), x, o);
            long maxExp = 0;
            for (int i = 0; i < m; i++) {
                double xv = x.getAtIndex(JAVA_DOUBLE_UNALIGNED, i);
                if (xv > -30) {
                    maxExp = Math.max(maxExp, ulps(bigExp(xv), o.getAtIndex(JAVA_DOUBLE_UNALIGNED, i)));
                }
            }
            report.append(String.format("  f64 expm1 vs 50-digit reference: max %d ulp; exp: max %d ulp (%d samples)%n",
                    maxExpm1, maxExp, m));
            System.out.print(report);
            assertTrue(maxExpm1 <= 3 && maxExp <= 3, report.toString());
        }
    }

    private static final MathContext MC = new MathContext(50);

    static double bigExpm1(double x) {
        return bigExpm1Decimal(new BigDecimal(x)).doubleValue();
    }

    static double bigExp(double x) {
        return bigExpm1Decimal(new BigDecimal(x)).add(BigDecimal.ONE, MC).doubleValue();
    }

    /** e^x - 1 for x <= 0, 50 digits: halving until |x| < 1/2, a series, squaring back. */
    static BigDecimal bigExpm1Decimal(BigDecimal x) {
        int k = 0;
        BigDecimal r = x;
        while (r.abs().compareTo(new BigDecimal("0.5")) > 0) {
            r = r.divide(BigDecimal.valueOf(2), MC);
            k++;
        }
        BigDecimal sum = BigDecimal.ZERO;
        BigDecimal term = r;
        for (int i = 2; i < 60 && term.signum() != 0; i++) {
            sum = sum.add(term, MC);
            term = term.multiply(r, MC).divide(BigDecimal.valueOf(i), MC);
        }
        // expm1(2t) = expm1(t) * (expm1(t) + 2)
        for (int i = 0; i < k; i++) {
            sum = sum.multiply(sum.add(BigDecimal.valueOf(2), MC), MC);
        }
        return sum;
    }
}
