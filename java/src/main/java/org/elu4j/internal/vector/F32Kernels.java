package org.elu4j.internal.vector;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import org.elu4j.internal.Op;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The f32 forward kernels of the family other than the plain float ELU ({@link FloatElu#kernel})
 * and the general kernel's loops ({@link GeneralElu}): ReLU, LeakyReLU, ELU in double lanes, and
 * the general kernel's parameters ({@link General}) and constants. Also used for
 * bfloat16 and binary16, widened to float first. The backward is {@link F32Backward} (float pairs)
 * and {@link F32DoubleLaneBackward} (double lanes, sharing this class's constants).
 *
 * <p>Every kernel takes native segments and a byte count that is a multiple of
 * {@link Staging#BLOCK_BYTES} (the driver runs a short tail through a scratch block), so
 * there are no masked tails and no second copy of any loop body. Every loop is flat, with its
 * constants broadcast into locals before the loop (see {@link VectorBackend}'s class comment for
 * why both matter to C2).
 *
 * <h2>Where double precision is used, and how</h2>
 * Whatever needs a parameter that is not exact in float is computed in double and rounded once
 * to float: a float vector of half the preferred width (8 lanes with AVX-512) is widened to a
 * double vector of the preferred width ({@code vcvtps2pd}), computed, and narrowed back. The
 * result is blended with the float input in the float domain, so NaN inputs come out with their
 * bits (a round trip through double would quiet a signalling NaN).
 *
 * <p>{@code expm1} (forward, here) and {@code exp} (backward, {@link F32DoubleLaneBackward}) in
 * double, to float accuracy:
 * {@code z = n*ln2 + r} with {@code n = round(z*log2e)} (the shift constant
 * {@code 1.5*2^52 + bias} leaves {@code n + bias} in the low mantissa bits, so {@code 2^n} is
 * those bits moved up 52 places), {@code r = fma(n, -ln2, z)}, {@code |r| <= 0.3466},
 * {@code expm1(r) ~ p = r + r^2*(1/2! + r/3! + ... + r^6/8!)} (Taylor, degree 8: truncation
 * below {@code 6e-10} relative, a hundredth of a float ulp), then {@code expm1(z) = 2^n*p + (2^n - 1)}
 * or {@code exp(z) = 2^n*p + 2^n}. The dropped low part of {@code ln2} (2.3e-17 per unit of n)
 * costs at most 2.5e-14 relative at {@code n = -1076}. Forward clamps {@code z >= -64} (expm1 is -1
 * long before); the backward's clamp and bias are in {@link F32DoubleLaneBackward}'s class comment.
 * Arguments above 600 (only possible with a negative input scale) are recomputed afterwards by the
 * driver.
 */
final class F32Kernels {
    private F32Kernels() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** The preferred float species (16 lanes with AVX-512). */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /**
     * The int species of {@link #F}'s shape, for the bit-pattern clamps: a constant, so that C2
     * intrinsifies the broadcasts (a species computed in the kernel left them as boxed objects,
     * 192 bytes per call).
     */
    static final VectorSpecies<Integer> FI = F.withLanes(int.class);
    /** Floats of half that width: as many lanes as {@link #D}. */
    static final VectorSpecies<Float> FH =
            VectorSpecies.of(float.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** Doubles of the preferred width (8 lanes with AVX-512). */
    static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());

    static final double LOG2E = 1.4426950408889634;
    /** ln 2 rounded to double. */
    static final double LN2 = 0.6931471805599453;
    /** 1.5 * 2^52 + 1023: rounds to an integer and leaves n + 1023 in the low mantissa bits. */
    static final double SHIFT = 0x1.8p52 + 1023;
    /** Lower clamp of the forward argument: expm1(-64) is -1 in double. */
    static final double FWD_LOW = -64;
    /** 1/k! for k = 2..8. */
    static final double C2 = 1.0 / 2, C3 = 1.0 / 6, C4 = 1.0 / 24, C5 = 1.0 / 120, C6 = 1.0 / 720,
            C7 = 1.0 / 5040, C8 = 1.0 / 40320;

    /** ReLU: {@code x > 0 ? x : +0.0}; NaN kept (its bits). */
    static void relu(MemorySegment src, MemorySegment dst, long bytes) {
        final long vb = F.vectorByteSize();
        final FloatVector zero = FloatVector.zero(F);
        for (long off = 0; off < bytes; off += 2 * vb) {
            FloatVector a = FloatVector.fromMemorySegment(F, src, off, ORDER);
            FloatVector b = FloatVector.fromMemorySegment(F, src, off + vb, ORDER);
            FloatVector ya = a.blend(zero, a.compare(VectorOperators.LE, zero));
            FloatVector yb = b.blend(zero, b.compare(VectorOperators.LE, zero));
            ya.reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            yb.reinterpretAsBytes().intoMemorySegment(dst, off + vb, ORDER);
        }
    }

    /**
     * LeakyReLU with a slope exact in float: {@code slope * x} in float is the exact product
     * (24 x 24 bits, exact in double) rounded once, the same bits as the double computation.
     */
    static void leakyFloat(MemorySegment src, MemorySegment dst, long bytes, float slope) {
        final long vb = F.vectorByteSize();
        final FloatVector zero = FloatVector.zero(F);
        final FloatVector s = FloatVector.broadcast(F, slope);
        for (long off = 0; off < bytes; off += 2 * vb) {
            FloatVector a = FloatVector.fromMemorySegment(F, src, off, ORDER);
            FloatVector b = FloatVector.fromMemorySegment(F, src, off + vb, ORDER);
            FloatVector ya = a.blend(a.mul(s), a.compare(VectorOperators.LE, zero));
            FloatVector yb = b.blend(b.mul(s), b.compare(VectorOperators.LE, zero));
            ya.reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            yb.reinterpretAsBytes().intoMemorySegment(dst, off + vb, ORDER);
        }
    }

    /**
     * A LeakyReLU slope as the float pair {@code hi + lo} (the helper's {@code fill_leaky} in
     * elu4j.c, value for value): for a slope that is no float, of magnitude in [2^-60, 2^60], hi
     * rounded toward zero, so that lo is a normal float of the slope's sign and {@code lo * x}
     * never turns an infinite or zero x's sum into NaN or the wrong zero.
     */
    record SlopePair(float hi, float lo) {
        /** The pair, or null where the slope is a float or outside the range (then: float or double). */
        static SlopePair of(double slope) {
            double a = Math.abs(slope);
            if ((float) slope == slope || !(a >= 0x1p-60 && a <= 0x1p60)) {
                return null;
            }
            float hi = (float) slope;
            if (Math.abs((double) hi) > a) {
                hi = Math.nextAfter(hi, 0.0);
            }
            return new SlopePair(hi, (float) (slope - hi));
        }
    }

    /**
     * LeakyReLU with a {@link SlopePair}: {@code fma(hi, x, lo * x)}, whose error before its one
     * rounding is below 2^-46 of the product (what the pair misses of the slope, 2^-48, and the rounding
     * of {@code lo * x}): within 1 ulp and almost always the correctly rounded product, at float
     * speed (where {@code lo * x} underflows, products below about 2^-100, its rounding costs up to
     * half an ulp: still within 1); the helper's ELU4J_LEAKY_PAIR, the same bits.
     */
    static void leakyPair(MemorySegment src, MemorySegment dst, long bytes, SlopePair slope) {
        final long vb = F.vectorByteSize();
        final FloatVector zero = FloatVector.zero(F);
        final FloatVector hi = FloatVector.broadcast(F, slope.hi());
        final FloatVector lo = FloatVector.broadcast(F, slope.lo());
        for (long off = 0; off < bytes; off += 2 * vb) {
            FloatVector a = FloatVector.fromMemorySegment(F, src, off, ORDER);
            FloatVector b = FloatVector.fromMemorySegment(F, src, off + vb, ORDER);
            FloatVector ya = a.blend(hi.fma(a, lo.mul(a)), a.compare(VectorOperators.LE, zero));
            FloatVector yb = b.blend(hi.fma(b, lo.mul(b)), b.compare(VectorOperators.LE, zero));
            ya.reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            yb.reinterpretAsBytes().intoMemorySegment(dst, off + vb, ORDER);
        }
    }

    /** LeakyReLU with any other slope: {@code slope * x} in double, rounded once. */
    static void leakyDouble(MemorySegment src, MemorySegment dst, long bytes, double slope) {
        final long vb = FH.vectorByteSize();
        final FloatVector zero = FloatVector.zero(FH);
        final DoubleVector s = DoubleVector.broadcast(D, slope);
        for (long off = 0; off < bytes; off += 2 * vb) {
            FloatVector a = FloatVector.fromMemorySegment(FH, src, off, ORDER);
            FloatVector b = FloatVector.fromMemorySegment(FH, src, off + vb, ORDER);
            FloatVector na = (FloatVector) ((DoubleVector) a.convertShape(VectorOperators.F2D, D, 0)).mul(s)
                    .convertShape(VectorOperators.D2F, FH, 0);
            FloatVector nb = (FloatVector) ((DoubleVector) b.convertShape(VectorOperators.F2D, D, 0)).mul(s)
                    .convertShape(VectorOperators.D2F, FH, 0);
            a.blend(na, a.compare(VectorOperators.LE, zero)).reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            b.blend(nb, b.compare(VectorOperators.LE, zero)).reinterpretAsBytes()
                    .intoMemorySegment(dst, off + vb, ORDER);
        }
    }

    /**
     * The general f32 ELU kernel's constants ({@link Op#isGeneralF32Elu()}): the helper's
     * {@code fill_general} in elu4j.c, value for value, so that {@link GeneralElu#eluGeneral} gives the
     * helper's bits. Parameters as float pairs {@code hi + lo}; {@code phi} rounded toward zero so
     * that {@code plo >= 0}. With {@code inputScale == 1}: {@code shi = 1, slo = 0, lin = 0},
     * which makes {@code th = xc}, {@code tl = +0} and the linear range empty, exactly the
     * helper's unit-input loop. {@code ylow}: the backward from the output's common lanes, y in
     * [ylow, 0], where {@code y + coef > 0} ({@code -chi}, or the float above it where chi
     * exceeds coef).
     */
    record General(float chi, float clo, float shi, float slo, float phi, float plo, float cshi, float cslo,
            float lin, float xmin, float ylow, boolean unitInput, double scale, boolean fmaY) {
        static General of(Op op) {
            double coef = op.negativeCoefficient();
            double is = op.inputScale();
            double cis = coef * is;
            float chi = (float) coef;
            float shi = (float) is;
            float phi = (float) op.scale();
            if (phi > op.scale()) {
                phi = Math.nextDown(phi); // positive: toward zero
            }
            float cshi = (float) cis;
            boolean unit = is == 1.0;
            float clo = (float) (coef - chi);
            return new General(chi, clo, shi, (float) (is - shi), phi, (float) (op.scale() - phi),
                    cshi, (float) (cis - cshi), unit ? 0f : (float) (0x1p-40 / is), (float) (-87.0 / is),
                    clo < 0 ? Math.nextUp(-chi) : -chi, unit, op.scale(),
                    unit && coef == Math.scalb(1.0, Math.getExponent(coef)));
        }

        /**
         * Whether the scale is a float ({@code plo = 0}): the positive side is then {@code phi * x}
         * (or {@code phi * dy}) alone, correctly rounded, where the pair's {@code plo * x} would
         * make an infinite x NaN; otherwise {@code plo > 0} and the pair is one fma.
         */
        boolean floatScale() {
            return plo == 0f;
        }

        /**
         * Whether the scale is 1 (ELU, CELU: the helper's pos_kind 0): the positive side is then x
         * (or dy) itself, with no product and, in the forward, no blend.
         */
        boolean unitScale() {
            return plo == 0f && phi == 1f;
        }

        /**
         * Whether the linear range's result {@code cshi * x + cslo * x} is x itself for every float
         * x (the helper's lin_x): an input scale other than 1, the scale 1 and {@code cis} within
         * 2^-30 of 1 (CELU: {@code alpha * (1 / alpha)}), so that {@code cslo * x} is below a
         * 32nd of x's ulp and the fma rounds to x. The forward then sends {@code x <= -lin} to the
         * main path and keeps x everywhere else: no linear-range test.
         */
        boolean linearIsX() {
            return !unitInput && unitScale() && cshi == 1f && Math.abs(cslo) <= 0x1p-30f;
        }

        /**
         * Whether {@code cis} is a power of two (e.g. ELU(1), CELU), so that the backward from the
         * input may leave out gh's error term: {@code gh = dy * cis} is exact but where it is
         * subnormal, and there its error is at most half the least subnormal, so that term, the
         * error rounded to float, is a zero in both cases.
         */
        boolean exactCis() {
            return cslo == 0f && cshi == Math.scalb(1f, Math.getExponent(cshi));
        }
    }

    /** Positive inputs below this get {@code scale * x} in double (see {@link GeneralElu#eluGeneral}). */
    static final float TINY = 0x1p-100f;

    /** log2(e), ln 2 and the shift constant of the float kernels (see {@link VectorBackend}). */
    static final float F_LOG2E = 0x1.715476p0f;
    static final float F_LN2 = 0x1.62e430p-1f;
    static final float F_SHIFT = 0x1.8000fep23f;
    /** The general kernel's q(r) (the helper's ELU4J_GQ0..4: a degree-4 minimax fit, 2^-26.1). */
    static final float G0 = 0x1.fffffep-2f, G1 = 0x1.5554b4p-3f, G2 = 0x1.5556f2p-5f, G3 = 0x1.122552p-7f,
            G4 = 0x1.6b9c86p-10f;
    /** Float.MAX_VALUE's bits: the finiteness tests on bit patterns of F32Backward and HalfBackward. */
    static final int FLOAT_MAX_BITS = Float.floatToRawIntBits(Float.MAX_VALUE);

    /**
     * ELU with any parameters: {@code scale * x} for {@code x > 0}, else
     * {@code c * expm1(x * inputScale)} ({@code c = alpha * scale}), both in double, rounded once.
     * A zero argument keeps its sign through expm1 (the polynomial would give +0.0 for -0.0).
     */
    static void elu(MemorySegment src, MemorySegment dst, long bytes, double c, double scale, double inputScale) {
        final long vb = FH.vectorByteSize();
        final FloatVector fzero = FloatVector.zero(FH);
        final DoubleVector zero = DoubleVector.zero(D);
        final DoubleVector vc = DoubleVector.broadcast(D, c);
        final DoubleVector vscale = DoubleVector.broadcast(D, scale);
        final DoubleVector vis = DoubleVector.broadcast(D, inputScale);
        final DoubleVector low = DoubleVector.broadcast(D, FWD_LOW);
        final DoubleVector log2e = DoubleVector.broadcast(D, LOG2E);
        final DoubleVector shift = DoubleVector.broadcast(D, SHIFT);
        final DoubleVector minusLn2 = DoubleVector.broadcast(D, -LN2);
        final DoubleVector one = DoubleVector.broadcast(D, 1.0);
        final DoubleVector c2 = DoubleVector.broadcast(D, C2);
        final DoubleVector c3 = DoubleVector.broadcast(D, C3);
        final DoubleVector c4 = DoubleVector.broadcast(D, C4);
        final DoubleVector c5 = DoubleVector.broadcast(D, C5);
        final DoubleVector c6 = DoubleVector.broadcast(D, C6);
        final DoubleVector c7 = DoubleVector.broadcast(D, C7);
        final DoubleVector c8 = DoubleVector.broadcast(D, C8);
        for (long off = 0; off < bytes; off += vb) {
            FloatVector x = FloatVector.fromMemorySegment(FH, src, off, ORDER);
            DoubleVector xd = (DoubleVector) x.convertShape(VectorOperators.F2D, D, 0);
            DoubleVector z = xd.mul(vis);
            DoubleVector zc = z.blend(low, z.compare(VectorOperators.LT, low));
            DoubleVector t = zc.fma(log2e, shift);
            DoubleVector r = t.sub(shift).fma(minusLn2, zc);
            DoubleVector s = t.reinterpretAsLongs().lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            DoubleVector q = c8.fma(r, c7).fma(r, c6).fma(r, c5).fma(r, c4).fma(r, c3).fma(r, c2);
            DoubleVector p = r.mul(r).fma(q, r);
            DoubleVector e = s.fma(p, s.sub(one)).blend(z, z.compare(VectorOperators.EQ, zero));
            FloatVector yn = (FloatVector) e.mul(vc).convertShape(VectorOperators.D2F, FH, 0);
            FloatVector yp = (FloatVector) xd.mul(vscale).convertShape(VectorOperators.D2F, FH, 0);
            FloatVector y = x.blend(yp, x.compare(VectorOperators.GT, fzero))
                    .blend(yn, x.compare(VectorOperators.LE, fzero));
            y.reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
        }
    }
}
