package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.util.function.DoubleUnaryOperator;
import org.elu4j.DataType;
import org.elu4j.internal.HalfFloats;

/**
 * The vector kernels' scalar forms, which {@link ColdStart} runs until C2 has compiled the kernels
 * (the forward's here, the backward's in {@link BackwardScalarForms}; the drivers for both here):
 * each kernel's arithmetic one element at a time, the same operations on the same constants in
 * the same order ({@code Math.fma} is the Vector API's {@code fma}; clamps are the same integer
 * {@code min} on the bit patterns), hence the same bits for every input (a NaN result of the
 * backward excepted: any NaN, as the library documents, since Java's arithmetic does not say which
 * of two NaN operands it returns). {@link FamilyKernels} pairs each kernel with its form.
 *
 * <p>The forms compute on per-thread arrays, which the drivers ({@link #f32}, {@link #f64},
 * {@link #half}) copy from and to the segments a chunk at a time: an element access on a segment is
 * a chain of calls and checks that is slow until C2 has compiled it, and C2 compiles it with
 * speculations that the calls' other sizes and segments break (bf16 ELU's first 3,000 calls at
 * 60-250 µs, most of them in the interpreter after C2's code had been thrown away, measured); an
 * array access is one bytecode, fast in the interpreter and in C1 alike (docs/benchmarks.md,
 * "Every kernel with a scalar form").
 */
final class ScalarForms {
    private ScalarForms() {
    }

    /**
     * A scalar form on arrays: {@code y[i]} from {@code x[i]} for {@code i < n}, the kernel's
     * arithmetic one float at a time.
     */
    @FunctionalInterface
    interface Floats {
        void run(float[] x, float[] y, int n);
    }

    /** The f64 counterpart of {@link Floats}. */
    @FunctionalInterface
    interface Doubles {
        void run(double[] x, double[] y, int n);
    }

    /** A backward's scalar form on arrays: {@code dx[i]} from {@code dy[i]} and {@code xy[i]} (x or y) for {@code i < n}. */
    @FunctionalInterface
    interface Floats2 {
        void run(float[] dy, float[] xy, float[] dx, int n);
    }

    /** The f64 counterpart of {@link Floats2}. */
    @FunctionalInterface
    interface Doubles2 {
        void run(double[] dy, double[] xy, double[] dx, int n);
    }

    /** Elements per chunk of the per-thread arrays. */
    private static final int CHUNK = 4096;

    /** One thread's arrays: floats in (x, and y for a backward) and out (y, or z for a backward), halves. */
    private record Scratch(float[] x, float[] y, float[] z, short[] h) {
    }

    /** Each thread's arrays (see the class comment for why arrays). */
    private static final ThreadLocal<Scratch> SCRATCH =
            ThreadLocal.withInitial(() -> new Scratch(new float[CHUNK], new float[CHUNK], new float[CHUNK], new short[CHUNK]));
    /** The f64 forms' arrays (x, y, z), made only where a thread runs one: half a chunk each, the same bytes. */
    private static final ThreadLocal<double[][]> SCRATCH64 = ThreadLocal.withInitial(
            () -> new double[][] {new double[CHUNK / 2], new double[CHUNK / 2], new double[CHUNK / 2]});

    /**
     * The f32 form of {@code f} over the first {@code bytes} bytes (a multiple of 4) of native or
     * heap segments; dst may be src.
     */
    static void f32(Floats f, MemorySegment src, MemorySegment dst, long bytes) {
        final Scratch s = SCRATCH.get();
        for (long off = 0; off < bytes; off += (long) Float.BYTES * CHUNK) {
            int n = (int) Math.min(CHUNK, (bytes - off) / Float.BYTES);
            MemorySegment.copy(src, JAVA_FLOAT_UNALIGNED, off, s.x, 0, n);
            f.run(s.x, s.y, n);
            MemorySegment.copy(s.y, 0, dst, JAVA_FLOAT_UNALIGNED, off, n);
        }
    }

    /** The f64 form of {@code f} over the first {@code bytes} bytes (a multiple of 8), as {@link #f32}. */
    static void f64(Doubles f, MemorySegment src, MemorySegment dst, long bytes) {
        final double[][] s = SCRATCH64.get();
        final int chunk = s[0].length;
        for (long off = 0; off < bytes; off += (long) Double.BYTES * chunk) {
            int n = (int) Math.min(chunk, (bytes - off) / Double.BYTES);
            MemorySegment.copy(src, JAVA_DOUBLE_UNALIGNED, off, s[0], 0, n);
            f.run(s[0], s[1], n);
            MemorySegment.copy(s[1], 0, dst, JAVA_DOUBLE_UNALIGNED, off, n);
        }
    }

    /**
     * The bf16/f16 form of {@code f} over whole segments, native or heap: the halves widened and
     * rounded back with {@link HalfFloats}, which {@link HalfKernels} matches bit for bit, so the
     * staged path's bits ({@link Staging#forwardHalf}) where {@code f} has the f32 kernel's, and
     * the fused loops' (they have the staged path's); dst may be src.
     */
    static void half(Floats f, DataType type, MemorySegment src, MemorySegment dst) {
        final Scratch s = SCRATCH.get();
        final long count = src.byteSize() / 2;
        final boolean bf16 = type == DataType.BF16;
        for (long first = 0; first < count; first += CHUNK) {
            int n = (int) Math.min(CHUNK, count - first);
            MemorySegment.copy(src, JAVA_SHORT_UNALIGNED, 2 * first, s.h, 0, n);
            for (int i = 0; i < n; i++) {
                s.x[i] = bf16 ? HalfFloats.bf16ToFloat(s.h[i]) : HalfFloats.f16ToFloat(s.h[i]);
            }
            f.run(s.x, s.y, n);
            for (int i = 0; i < n; i++) {
                s.h[i] = bf16 ? HalfFloats.floatToBf16(s.y[i]) : HalfFloats.floatToF16(s.y[i]);
            }
            MemorySegment.copy(s.h, 0, dst, JAVA_SHORT_UNALIGNED, 2 * first, n);
        }
    }

    /**
     * The f32 backward form {@code f} over the first {@code bytes} bytes of dy, x or y, dx (native
     * or heap; dx may be dy): chunks of {@value #CHUNK} elements, a multiple of the 16-element
     * groups {@link #eluFromInput} decides on, counted from the start as the kernel counts them.
     */
    static void f32(Floats2 f, MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes) {
        final Scratch s = SCRATCH.get();
        for (long off = 0; off < bytes; off += (long) Float.BYTES * CHUNK) {
            int n = (int) Math.min(CHUNK, (bytes - off) / Float.BYTES);
            MemorySegment.copy(dy, JAVA_FLOAT_UNALIGNED, off, s.x, 0, n);
            MemorySegment.copy(xy, JAVA_FLOAT_UNALIGNED, off, s.y, 0, n);
            f.run(s.x, s.y, s.z, n);
            MemorySegment.copy(s.z, 0, dx, JAVA_FLOAT_UNALIGNED, off, n);
        }
    }

    /** The f64 backward form {@code f}, as {@link #f32(Floats2, MemorySegment, MemorySegment, MemorySegment, long)}. */
    static void f64(Doubles2 f, MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes) {
        final double[][] s = SCRATCH64.get();
        final int chunk = s[0].length;
        for (long off = 0; off < bytes; off += (long) Double.BYTES * chunk) {
            int n = (int) Math.min(chunk, (bytes - off) / Double.BYTES);
            MemorySegment.copy(dy, JAVA_DOUBLE_UNALIGNED, off, s[0], 0, n);
            MemorySegment.copy(xy, JAVA_DOUBLE_UNALIGNED, off, s[1], 0, n);
            f.run(s[0], s[1], s[2], n);
            MemorySegment.copy(s[2], 0, dx, JAVA_DOUBLE_UNALIGNED, off, n);
        }
    }

    /**
     * The bf16/f16 backward around the f32 form {@code f}, over whole segments, as {@link #half}
     * runs a forward: dy and x or y widened, f, dx rounded back; the staged path's bits
     * ({@link Staging#backwardHalf}: its chunks start at the same elements, and the zeros it pads
     * the last block with change no group's decision) and so the fused loops'.
     */
    static void half(Floats2 f, DataType type, MemorySegment dy, MemorySegment xy, MemorySegment dx) {
        final Scratch s = SCRATCH.get();
        final long count = dy.byteSize() / 2;
        final boolean bf16 = type == DataType.BF16;
        for (long first = 0; first < count; first += CHUNK) {
            int n = (int) Math.min(CHUNK, count - first);
            MemorySegment.copy(dy, JAVA_SHORT_UNALIGNED, 2 * first, s.h, 0, n);
            for (int i = 0; i < n; i++) {
                s.x[i] = bf16 ? HalfFloats.bf16ToFloat(s.h[i]) : HalfFloats.f16ToFloat(s.h[i]);
            }
            MemorySegment.copy(xy, JAVA_SHORT_UNALIGNED, 2 * first, s.h, 0, n);
            for (int i = 0; i < n; i++) {
                s.y[i] = bf16 ? HalfFloats.bf16ToFloat(s.h[i]) : HalfFloats.f16ToFloat(s.h[i]);
            }
            f.run(s.x, s.y, s.z, n);
            for (int i = 0; i < n; i++) {
                s.h[i] = bf16 ? HalfFloats.floatToBf16(s.z[i]) : HalfFloats.floatToF16(s.z[i]);
            }
            MemorySegment.copy(s.h, 0, dx, JAVA_SHORT_UNALIGNED, 2 * first, n);
        }
    }

    /**
     * {@link FloatElu#kernel}'s arithmetic one float at a time, step for step (see its class
     * comment for the algorithm): the same bits for every input.
     */
    static void elu(float[] xs, float[] ys, int n, float alpha) {
        for (int i = 0; i < n; i++) {
            float x = xs[i];
            float c = Float.intBitsToFloat(Math.min(Float.floatToRawIntBits(x), FloatElu.CLAMP_BITS));
            float t = Math.fma(c, FloatElu.LOG2E, FloatElu.SHIFT);
            float r = Math.fma(t - FloatElu.SHIFT, -FloatElu.LN2, c);
            float s = Float.intBitsToFloat(Float.floatToRawIntBits(t) << 23);
            float q = Math.fma(Math.fma(Math.fma(Math.fma(FloatElu.Q4, r, FloatElu.Q3), r,
                    FloatElu.Q2), r, FloatElu.Q1), r, FloatElu.Q0);
            float p = Math.fma(r * r, q, r);
            float e = Math.fma(s, p, s - 1f);
            ys[i] = x < 0 ? e * alpha : x;
        }
    }

    /**
     * {@link GeneralElu#eluGeneral}'s arithmetic (and {@link GeneralElu#eluGeneralUnitInput}'s where
     * the input scale is 1) one float at a time, step for step, the tiny positives' double product
     * included: the same bits for every input.
     */
    static void general(float[] xs, float[] ys, int n, F32Kernels.General g) {
        final boolean exactScale = g.floatScale();
        final boolean unit = g.unitInput();
        final int xminBits = Float.floatToRawIntBits(g.xmin());
        for (int i = 0; i < n; i++) {
            float x = xs[i];
            float pos = exactScale ? x * g.phi() : Math.fma(x, g.phi(), g.plo() * x);
            if (!exactScale && x > 0 && x < F32Kernels.TINY) {
                pos = (float) (g.scale() * x);
            }
            float xc = Float.intBitsToFloat(Math.min(Float.floatToRawIntBits(x), xminBits));
            float th = unit ? xc : xc * g.shi();
            float k = Math.fma(th, F32Kernels.F_LOG2E, F32Kernels.F_SHIFT);
            float rh = Math.fma(k - F32Kernels.F_SHIFT, -F32Kernels.F_LN2, th);
            float q = Math.fma(Math.fma(Math.fma(Math.fma(F32Kernels.G4, rh, F32Kernels.G3), rh, F32Kernels.G2), rh,
                    F32Kernels.G1), rh, F32Kernels.G0);
            float w;
            if (unit) {
                w = rh * rh * q;
            } else {
                float tl = Math.fma(g.slo(), xc, Math.fma(g.shi(), xc, -th));
                w = Math.fma(rh * rh, q, Math.fma(tl, rh, tl));
            }
            float s = Float.intBitsToFloat(Float.floatToRawIntBits(k) << 23);
            float sm1 = s - 1f;
            float eh = Math.fma(s, rh, sm1);
            float el = Math.fma(s, w, Math.fma(s, rh, sm1 - eh));
            float neg = Math.fma(g.chi(), eh, Math.fma(g.chi(), el, g.clo() * eh));
            if (!unit && x > -g.lin()) {
                neg = Math.fma(g.cshi(), x, g.cslo() * x);
            }
            ys[i] = x > 0 ? pos : x < 0 ? neg : x;
        }
    }

    /** {@link F32Kernels#relu} one float at a time: {@code x <= 0 ? +0.0 : x} (NaN stays). */
    static void relu(float[] xs, float[] ys, int n) {
        for (int i = 0; i < n; i++) {
            float x = xs[i];
            ys[i] = x <= 0 ? 0f : x;
        }
    }

    /** {@link F32Kernels#leakyFloat} one float at a time. */
    static void leakyFloat(float[] xs, float[] ys, int n, float slope) {
        for (int i = 0; i < n; i++) {
            float x = xs[i];
            ys[i] = x <= 0 ? x * slope : x;
        }
    }

    /** {@link F32Kernels#leakyPair} one float at a time: the pair's product fused as there. */
    static void leakyPair(float[] xs, float[] ys, int n, F32Kernels.SlopePair slope) {
        final float hi = slope.hi();
        final float lo = slope.lo();
        for (int i = 0; i < n; i++) {
            float x = xs[i];
            ys[i] = x <= 0 ? Math.fma(hi, x, lo * x) : x;
        }
    }

    /** {@link F32Kernels#leakyDouble} one float at a time: the product in double, rounded once. */
    static void leakyDouble(float[] xs, float[] ys, int n, double slope) {
        for (int i = 0; i < n; i++) {
            float x = xs[i];
            ys[i] = x <= 0 ? (float) (x * slope) : x;
        }
    }

    /** {@link F64Kernels#relu} one double at a time: {@code x <= 0 ? +0.0 : x} (NaN stays). */
    static void reluF64(double[] xs, double[] ys, int n) {
        for (int i = 0; i < n; i++) {
            double x = xs[i];
            ys[i] = x <= 0 ? 0.0 : x;
        }
    }

    /** {@link F64Kernels#leaky} one double at a time. */
    static void leakyF64(double[] xs, double[] ys, int n, double slope) {
        for (int i = 0; i < n; i++) {
            double x = xs[i];
            ys[i] = x <= 0 ? x * slope : x;
        }
    }

    /**
     * {@link F32Kernels#elu} (ELU beyond the general kernel's range, in double lanes) one float at
     * a time: {@code expm1(x * inputScale)} in double as there (the degree-8 Taylor polynomial,
     * Horner from C8 to C2), {@code c * e} and {@code scale * x} rounded once to float, x itself
     * where neither applies (NaN keeps its bits). Arguments above 600 (a negative input scale) come
     * out as the kernel's do, for the driver's fix-up.
     */
    static void eluDoubleLanes(float[] xs, float[] ys, int n, double c, double scale, double inputScale) {
        for (int i = 0; i < n; i++) {
            float x = xs[i];
            double xd = x;
            double z = xd * inputScale;
            double zc = z < F32Kernels.FWD_LOW ? F32Kernels.FWD_LOW : z;
            double t = Math.fma(zc, F32Kernels.LOG2E, F32Kernels.SHIFT);
            double r = Math.fma(t - F32Kernels.SHIFT, -F32Kernels.LN2, zc);
            double s = Double.longBitsToDouble(Double.doubleToRawLongBits(t) << 52);
            double e = z == 0 ? z : Math.fma(s, expm1Poly8(r), s - 1.0);
            ys[i] = x > 0 ? (float) (xd * scale) : x <= 0 ? (float) (e * c) : x;
        }
    }

    /** {@link F32Kernels}' double-lane {@code expm1(r) ~ r + r^2 q(r)}, Horner from C8 to C2 as there. */
    static double expm1Poly8(double r) {
        double q = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(F32Kernels.C8, r, F32Kernels.C7), r,
                F32Kernels.C6), r, F32Kernels.C5), r, F32Kernels.C4), r, F32Kernels.C3), r, F32Kernels.C2);
        return Math.fma(r * r, q, r);
    }

    /** {@link F64Kernels}' {@code expm1(r) ~ r + r^2 q(r)}, Horner from C13 to C2 as there. */
    static double expm1Poly(double r) {
        double q = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(
                Math.fma(F64Kernels.C13, r, F64Kernels.C12), r, F64Kernels.C11), r, F64Kernels.C10), r,
                F64Kernels.C9), r, F64Kernels.C8), r, F64Kernels.C7), r, F64Kernels.C6), r, F64Kernels.C5), r,
                F64Kernels.C4), r, F64Kernels.C3), r, F64Kernels.C2);
        return Math.fma(r * r, q, r);
    }

    /**
     * {@link F64Kernels#elu}'s arithmetic one double at a time, step for step (see its class
     * comment), {@code tiny} included: the same bits for every input.
     */
    static void eluF64(double[] xs, double[] ys, int n, double c, double scale, double inputScale,
            DoubleUnaryOperator tiny, boolean carry) {
        for (int i = 0; i < n; i++) {
            double x = xs[i];
            double z = x * inputScale;
            double zc = z < F64Kernels.FWD_LOW ? F64Kernels.FWD_LOW : z;
            double t = Math.fma(zc, F64Kernels.LOG2E, F64Kernels.SHIFT);
            double m = t - F64Kernels.SHIFT;
            double r = Math.fma(m, -F64Kernels.LN2_LO, Math.fma(m, -F64Kernels.LN2_HI, zc));
            double s = Double.longBitsToDouble(Double.doubleToRawLongBits(t) << 52);
            double p = expm1Poly(r);
            double e = z == 0 ? z : Math.fma(s, p, s - 1.0);
            if (carry) {
                double zErr = Math.fma(x, inputScale, -z);
                if (zErr != 0 && z != 0 && Double.isFinite(e)) {
                    e = Math.fma(e + 1, zErr, e);
                }
            }
            ys[i] = tiny != null && F64Kernels.tinyProduct(x, inputScale) ? tiny.applyAsDouble(x)
                    : x > 0 ? x * scale : x <= 0 ? e * c : x;
        }
    }
}
