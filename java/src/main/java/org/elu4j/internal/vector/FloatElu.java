package org.elu4j.internal.vector;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * f32 ELU with {@code alpha = 2^k} ({@link org.elu4j.internal.Op#isFastF32Elu()}) on the Vector
 * API: {@code y = x > 0 ? x : alpha * expm1(x)}, with a hand-written {@code expm1} within 1 ulp of
 * the correctly rounded result for every negative float (alpha = 1). {@link VectorBackend}'s class
 * comment says how the loops of this package are written, and why; {@link HalfElu} runs the same
 * arithmetic on bfloat16/binary16, {@link ScalarForms#elu} one float at a time.
 *
 * <h2>Algorithm, per lane</h2>
 * <ol>
 * <li><b>Clamp</b> {@code x} to {@code [-88, 0)}. Below about -17.33 the float answer is
 *     {@code -1} anyway; the clamp keeps {@code n >= -127}, where the bits of {@code 2^n} are
 *     those of +0.0 and the reconstruction gives exactly -1. It is
 *     an integer {@code min} on the bit patterns: for negative floats a larger magnitude is a
 *     larger signed int, so {@code min(bits(x), bits(-88f))} is {@code max(x, -88f)} in one
 *     instruction, without the NaN/-0.0 rules that make {@code FloatVector.max} slow. Lanes
 *     that are not negative (positive, zero, -0.0, NaN) come out as garbage here and are
 *     replaced by {@code x} at the end.</li>
 * <li><b>Range reduction</b> {@code x = n*ln2 + r}: {@code t = fma(x, log2e, SHIFT)} rounds
 *     {@code x*log2e} to the integer {@code n} in the low mantissa bits of {@code t} (SHIFT is
 *     {@code 1.5*2^23 + 127}, so those bits hold the biased exponent {@code n + 127});
 *     {@code n = t - SHIFT} exactly, and {@code r = fma(n, -ln2, x)} with {@code |r| <= 0.3466}.
 *     One f32 {@code ln2} is enough: {@code r} itself is exact (its bits fit in 24), and
 *     the dropped {@code |n| * 1.9e-9} reaches the result scaled by {@code 2^n * e^r}: at
 *     most {@code 1.4e-9} (n = -1, -2), against results of magnitude 0.29 or more there,
 *     so below 0.1 ulp.</li>
 * <li><b>Polynomial</b> {@code expm1(r) ~ p = r + r^2*q(r)}, {@code q} of degree 4 in Horner
 *     form: a minimax fit of the <em>relative</em> error of {@code p} on
 *     {@code |r| <= 0.3468} (weighted Remez), coefficients rounded to f32 one at a time with the
 *     rest refitted (the C helper's set); the fit error is {@code 0.28 * 2^-24}. {@code r + r^2*q} (one
 *     FMA) keeps the leading term exact, so tiny and subnormal inputs return {@code x}.</li>
 * <li><b>Reconstruction</b> {@code expm1(x) = 2^n*p + (2^n - 1)} as one FMA, {@code 2^n}
 *     being {@code bits(t) << 23} (the biased exponent moved into place; the constant bits of
 *     SHIFT are shifted out).</li>
 * <li>{@code y = x < 0 ? alpha * expm1(x) : x}: the blend keeps positive values, +-0.0, +inf
 *     and NaN (payload included) bit for bit; {@code -inf} and {@code x <= -88} give
 *     {@code -alpha}. alpha is applied last, so alpha = 1 is exactly {@code expm1} (and
 *     {@link #kernelUnit} leaves the multiply out).</li>
 * </ol>
 */
final class FloatElu {
    private FloatElu() {
    }

    /** The widest float species this CPU runs natively (16 lanes with AVX-512, 8 with AVX2). */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** The int species of the same shape, for the bit-pattern operations. */
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final long VECTOR_BYTES = F.vectorByteSize();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /*
     * The constants are the C helper's (native/src/elu4j_internal.h: ELU4J_X_MIN, ELU4J_LOG2E,
     * ELU4J_SHIFT, ELU4J_LN2, ELU4J_P0..P4) and the steps are its steps in the same order, so the
     * two kernels give the same bits for every input (HelperConformanceTest checks it against the
     * helper). Change them together.
     */
    /** -88.0f: lower clamp; n >= -127 (2^-127 is built as +0.0, and e = -1 exactly there). */
    static final int CLAMP_BITS = Float.floatToRawIntBits(-88.0f);
    /** log2(e) rounded to f32. */
    static final float LOG2E = 0x1.715476p0f;
    /** 1.5 * 2^23 + 127: adding it rounds to an integer and leaves n + 127 in the low bits. */
    static final float SHIFT = 0x1.8000fep23f;
    /** ln(2) rounded to f32 (1.9e-9 too large; the class comment says why that is fine). */
    static final float LN2 = 0x1.62e430p-1f;
    /** {@code q(r) = Q0 + Q1 r + ... + Q4 r^4 ~ (expm1(r) - r) / r^2} on {@code |r| <= 0.3468}. */
    static final float Q0 = 0x1.fffffep-2f;   // 4.999999702e-01
    static final float Q1 = 0x1.555494p-3f;   // 1.666652262e-01
    static final float Q2 = 0x1.55574ep-5f;   // 4.166760668e-02
    static final float Q3 = 0x1.123e44p-7f;   // 8.369239047e-03
    static final float Q4 = 0x1.6b398cp-10f;  // 1.385592623e-03

    /**
     * ELU of the first {@code bytes} bytes (a multiple of 4) of {@code src} into {@code dst}: bound
     * for {@code alpha = 2^k} other than 1 ({@link #kernelUnit} is alpha = 1's; another alpha
     * gives the kernel's {@code expm1} times alpha, one more rounding, exact for {@code 2^k}
     * outside the subnormal range). Only ever called with native segments (see
     * {@code SCRATCH}).
     */
    static void kernel(MemorySegment src, MemorySegment dst, long bytes, float alpha) {
        // Constants as local vectors (never static final vectors: see the class comment).
        final FloatVector zero = FloatVector.zero(F);
        final IntVector clampBits = IntVector.broadcast(I, CLAMP_BITS);
        final FloatVector log2e = FloatVector.broadcast(F, LOG2E);
        final FloatVector shift = FloatVector.broadcast(F, SHIFT);
        final FloatVector minusLn2 = FloatVector.broadcast(F, -LN2);
        final FloatVector one = FloatVector.broadcast(F, 1.0f);
        final FloatVector q0 = FloatVector.broadcast(F, Q0);
        final FloatVector q1 = FloatVector.broadcast(F, Q1);
        final FloatVector q2 = FloatVector.broadcast(F, Q2);
        final FloatVector q3 = FloatVector.broadcast(F, Q3);
        final FloatVector q4 = FloatVector.broadcast(F, Q4);
        final FloatVector va = FloatVector.broadcast(F, alpha);

        final long pairBytes = 2 * VECTOR_BYTES;
        final long pairEnd = bytes - bytes % pairBytes;
        long off = 0;
        // Main loop: two independent vectors (a, b) per iteration, the same steps for each.
        for (; off < pairEnd; off += pairBytes) {
            FloatVector xa = FloatVector.fromMemorySegment(F, src, off, ORDER);
            FloatVector xb = FloatVector.fromMemorySegment(F, src, off + VECTOR_BYTES, ORDER);

            VectorMask<Float> nega = xa.compare(VectorOperators.LT, zero);
            FloatVector ca = xa.reinterpretAsInts().min(clampBits).reinterpretAsFloats();
            FloatVector ta = ca.fma(log2e, shift);
            FloatVector ra = ta.sub(shift).fma(minusLn2, ca);
            FloatVector sa = ta.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector qa = q4.fma(ra, q3).fma(ra, q2).fma(ra, q1).fma(ra, q0);
            FloatVector pa = ra.mul(ra).fma(qa, ra);
            FloatVector ea = sa.fma(pa, sa.sub(one));
            FloatVector ya = xa.blend(ea.mul(va), nega);

            VectorMask<Float> negb = xb.compare(VectorOperators.LT, zero);
            FloatVector cb = xb.reinterpretAsInts().min(clampBits).reinterpretAsFloats();
            FloatVector tb = cb.fma(log2e, shift);
            FloatVector rb = tb.sub(shift).fma(minusLn2, cb);
            FloatVector sb = tb.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector qb = q4.fma(rb, q3).fma(rb, q2).fma(rb, q1).fma(rb, q0);
            FloatVector pb = rb.mul(rb).fma(qb, rb);
            FloatVector eb = sb.fma(pb, sb.sub(one));
            FloatVector yb = xb.blend(eb.mul(va), negb);

            ya.reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            yb.reinterpretAsBytes().intoMemorySegment(dst, off + VECTOR_BYTES, ORDER);
        }
        tail(src, dst, off, bytes, alpha);
    }

    /**
     * {@link #kernel} for alpha = 1 (ELU itself, the common case): the same steps without the
     * final multiply by alpha, as the C helper's kernels (one of the 16 operations a vector, which
     * was measurable; the same bits: {@code e * 1 = e}). A method of its own, not a test on alpha
     * inside one loop: C2 compiles only the branches the calls so far have taken, so binding the
     * other alpha later would send the compiled loop back to the interpreter, under calls that
     * had long switched to it (measured: hundreds of calls 100x slower than steady). The nine
     * lines of the loop body are {@link #kernel}'s for that reason (the flat-loop rule of
     * {@link VectorBackend}'s class comment).
     */
    static void kernelUnit(MemorySegment src, MemorySegment dst, long bytes) {
        // Constants as local vectors (never static final vectors: see the class comment).
        final FloatVector zero = FloatVector.zero(F);
        final IntVector clampBits = IntVector.broadcast(I, CLAMP_BITS);
        final FloatVector log2e = FloatVector.broadcast(F, LOG2E);
        final FloatVector shift = FloatVector.broadcast(F, SHIFT);
        final FloatVector minusLn2 = FloatVector.broadcast(F, -LN2);
        final FloatVector one = FloatVector.broadcast(F, 1.0f);
        final FloatVector q0 = FloatVector.broadcast(F, Q0);
        final FloatVector q1 = FloatVector.broadcast(F, Q1);
        final FloatVector q2 = FloatVector.broadcast(F, Q2);
        final FloatVector q3 = FloatVector.broadcast(F, Q3);
        final FloatVector q4 = FloatVector.broadcast(F, Q4);

        final long pairBytes = 2 * VECTOR_BYTES;
        final long pairEnd = bytes - bytes % pairBytes;
        long off = 0;
        // Main loop: two independent vectors (a, b) per iteration, the same steps for each.
        for (; off < pairEnd; off += pairBytes) {
            FloatVector xa = FloatVector.fromMemorySegment(F, src, off, ORDER);
            FloatVector xb = FloatVector.fromMemorySegment(F, src, off + VECTOR_BYTES, ORDER);

            VectorMask<Float> nega = xa.compare(VectorOperators.LT, zero);
            FloatVector ca = xa.reinterpretAsInts().min(clampBits).reinterpretAsFloats();
            FloatVector ta = ca.fma(log2e, shift);
            FloatVector ra = ta.sub(shift).fma(minusLn2, ca);
            FloatVector sa = ta.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector qa = q4.fma(ra, q3).fma(ra, q2).fma(ra, q1).fma(ra, q0);
            FloatVector pa = ra.mul(ra).fma(qa, ra);
            FloatVector ea = sa.fma(pa, sa.sub(one));
            FloatVector ya = xa.blend(ea, nega);

            VectorMask<Float> negb = xb.compare(VectorOperators.LT, zero);
            FloatVector cb = xb.reinterpretAsInts().min(clampBits).reinterpretAsFloats();
            FloatVector tb = cb.fma(log2e, shift);
            FloatVector rb = tb.sub(shift).fma(minusLn2, cb);
            FloatVector sb = tb.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector qb = q4.fma(rb, q3).fma(rb, q2).fma(rb, q1).fma(rb, q0);
            FloatVector pb = rb.mul(rb).fma(qb, rb);
            FloatVector eb = sb.fma(pb, sb.sub(one));
            FloatVector yb = xb.blend(eb, negb);

            ya.reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            yb.reinterpretAsBytes().intoMemorySegment(dst, off + VECTOR_BYTES, ORDER);
        }
        tail(src, dst, off, bytes, 1.0f);
    }

    /**
     * The last 1..2 vectors of a call from {@code from} (nothing where {@code from == bytes}),
     * masked, with exactly the arithmetic of the main loops (the multiply by alpha = 1 included:
     * the same bits). C2 may compile it apart from both callers, one code and profile for both:
     * safe while nothing in it branches on alpha (keep it that way, for the reason in
     * {@link #kernelUnit}). Only scalars cross the call, so the
     * vectors stay in registers whether or not C2 inlines it.
     */
    private static void tail(MemorySegment src, MemorySegment dst, long from, long bytes, float alpha) {
        final long count = bytes / Float.BYTES;
        // Constants as local vectors (never static final vectors: see the class comment).
        final FloatVector zero = FloatVector.zero(F);
        final IntVector clampBits = IntVector.broadcast(I, CLAMP_BITS);
        final FloatVector log2e = FloatVector.broadcast(F, LOG2E);
        final FloatVector shift = FloatVector.broadcast(F, SHIFT);
        final FloatVector minusLn2 = FloatVector.broadcast(F, -LN2);
        final FloatVector one = FloatVector.broadcast(F, 1.0f);
        final FloatVector q0 = FloatVector.broadcast(F, Q0);
        final FloatVector q1 = FloatVector.broadcast(F, Q1);
        final FloatVector q2 = FloatVector.broadcast(F, Q2);
        final FloatVector q3 = FloatVector.broadcast(F, Q3);
        final FloatVector q4 = FloatVector.broadcast(F, Q4);
        final FloatVector va = FloatVector.broadcast(F, alpha);
        for (long off = from; off < bytes; off += VECTOR_BYTES) {
            VectorMask<Float> m = F.indexInRange(off / Float.BYTES, count);
            FloatVector x = FloatVector.fromMemorySegment(F, src, off, ORDER, m);

            VectorMask<Float> neg = x.compare(VectorOperators.LT, zero);
            FloatVector c = x.reinterpretAsInts().min(clampBits).reinterpretAsFloats();
            FloatVector t = c.fma(log2e, shift);
            FloatVector r = t.sub(shift).fma(minusLn2, c);
            FloatVector s = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector q = q4.fma(r, q3).fma(r, q2).fma(r, q1).fma(r, q0);
            FloatVector p = r.mul(r).fma(q, r);
            FloatVector e = s.fma(p, s.sub(one));
            FloatVector y = x.blend(e.mul(va), neg);

            y.intoMemorySegment(dst, off, ORDER, m);
        }
    }
}
