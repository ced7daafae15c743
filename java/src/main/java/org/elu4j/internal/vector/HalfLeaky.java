package org.elu4j.internal.vector;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.elu4j.DataType;
import org.elu4j.internal.vector.Staging.Map1;
import org.elu4j.internal.vector.Staging.Map2;

/**
 * bfloat16 and binary16 LeakyReLU in one pass where its product runs in float lanes (a float slope,
 * or a {@link F32Kernels.SlopePair}): each int vector of halves split in registers into two float
 * vectors, as {@link HalfElu} splits them, multiplied as {@link F32Kernels#leakyFloat} /
 * {@link F32Kernels#leakyPair} (forward) and {@link F32DoubleLaneBackward#leakyBackwardFloat}
 * (backward) multiply, rounded and merged back. The staged path ({@link Staging}) with those float
 * kernels gives the same bits: the widening is exact, the products are the same operations, the
 * rounding is {@link HalfKernels}'s.
 *
 * <p>bf16, forward and backward, any slope: rounded as {@link HalfElu#bf16} rounds, a NaN result
 * keeping its top bits with the quiet bit (the result is NaN where x or dy is, and for an infinite
 * x or dy times a zero slope). binary16 forward, for a positive slope only (other slopes take the
 * staged path): as {@link HalfElu#f16}, only the lanes that are negative, finite and not -0 are
 * widened and rounded (their product is negative, finite or -inf where a huge float slope
 * overflows it, which the rounding's overflow case turns into -inf: no NaN or sign case); the
 * others keep their pattern (-0 and -inf times a positive slope are themselves; NaN gets the
 * round trip's quiet bit). binary16 backward, any such slope: as
 * {@link F16Backward}, an int vector with an infinite or NaN dy goes to the staged path.
 *
 * <p>Flat loops with their constants in locals, for the reasons in {@link VectorBackend}'s class
 * comment. They run over whole int vectors of native segments; the last elements and heap segments
 * take the staged path. dx may be dy: each vector is loaded before it is stored.
 */
final class HalfLeaky {
    private HalfLeaky() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final VectorSpecies<Float> F = HalfElu.F;
    private static final VectorSpecies<Integer> I = HalfElu.I;
    private static final VectorSpecies<Short> S = HalfElu.S;
    private static final boolean PACKED = HalfElu.PACKED;
    private static final long STEP_BYTES = HalfElu.STEP_BYTES;

    /**
     * The slope as the loops take it, made once per binding: {@code hi} the float slope or the
     * {@link F32Kernels.SlopePair}'s high part, {@code lo} its low part (0 for a float slope),
     * {@code pair} which of the two products runs.
     */
    record Slope(float hi, float lo, boolean pair) {
        /** The slope's float form, or null where its product runs in double (no fused loop). */
        static Slope of(double slope) {
            F32Kernels.SlopePair p = F32Kernels.SlopePair.of(slope);
            return p != null ? new Slope(p.hi(), p.lo(), true)
                    : (float) slope == slope ? new Slope((float) slope, 0f, false) : null;
        }
    }

    /**
     * Whether this class runs the forward ({@code backward} false) or backward of LeakyReLU with
     * {@code slope} on {@code type}: a float slope or a pair; the binary16 forward with a positive
     * slope only.
     */
    static boolean runs(DataType type, double slope, boolean backward) {
        return Slope.of(slope) != null && (type == DataType.BF16 || backward || slope > 0);
    }

    /** LeakyReLU of the halves of {@code src} into {@code dst} where {@link #runs}; {@code rest} is the staged path. */
    static void forward(DataType type, Slope slope, Map1 rest, MemorySegment src, MemorySegment dst) {
        Staging.forwardHalfFused(type == DataType.BF16 ? HalfLeaky::bf16 : HalfLeaky::f16, type, slope, rest, src, dst);
    }

    /**
     * bfloat16 or binary16 LeakyReLU backward (from x or y: the same test) where {@link #runs}, as
     * {@link Staging#backwardHalfFused} runs the loops (binary16 stops at an int vector with an
     * infinite or NaN dy).
     */
    static void backward(DataType type, Slope slope, Map2 rest, MemorySegment dy, MemorySegment xy,
            MemorySegment dx) {
        Staging.backwardHalfFused(type == DataType.BF16 ? HalfLeaky::bf16Backward : HalfLeaky::f16Backward, true,
                type, slope, rest, dy, xy, dx);
    }

    private static long bf16(MemorySegment src, MemorySegment dst, long from, long to, Slope slope) {
        final long vb = STEP_BYTES;
        final FloatVector zero = FloatVector.zero(F);
        final boolean isPair = slope.pair();
        final FloatVector hi = FloatVector.broadcast(F, slope.hi());
        final FloatVector lo = FloatVector.broadcast(F, slope.lo());
        final IntVector roundBias = IntVector.broadcast(I, 0x7FFF);
        final IntVector lsb = IntVector.broadcast(I, 1);
        final IntVector quiet = IntVector.broadcast(I, 0x0040);
        final IntVector quietHigh = IntVector.broadcast(I, 0x00400000);
        final IntVector highHalf = IntVector.broadcast(I, 0xFFFF0000);
        final ShortVector pickHigh = ShortVector.fromArray(S, HalfElu.PICK_HIGH, 0);
        final ShortVector pickLow = ShortVector.fromArray(S, HalfElu.PICK_LOW, 0);
        final ShortVector oneS = ShortVector.broadcast(S, (short) 1);
        final ShortVector halfS = ShortVector.broadcast(S, (short) 0x8000);
        for (long off = from; off < to; off += vb) {
            // halves 2k in the low 16 bits of int lane k, 2k + 1 in the high bits (HalfElu.bf16)
            IntVector w = IntVector.fromMemorySegment(I, src, off, ORDER);
            FloatVector xa = w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector xb = w.and(highHalf).reinterpretAsFloats();
            FloatVector na = isPair ? hi.fma(xa, lo.mul(xa)) : xa.mul(hi);
            FloatVector nb = isPair ? hi.fma(xb, lo.mul(xb)) : xb.mul(hi);
            // the product unless x > 0: a NaN x then comes out of the product quiet, with its sign
            // and payload, as the staged path's rounding makes it
            FloatVector ya = na.blend(xa, xa.compare(VectorOperators.GT, zero));
            FloatVector yb = nb.blend(xb, xb.compare(VectorOperators.GT, zero));

            // as HalfElu.bf16 rounds where PACKED; every NaN here is quiet (from the product) with its
            // low 16 bits zero (x's, or the default NaN of -inf times a pair of opposite signs)
            if (PACKED) {
                ShortVector ha = ya.reinterpretAsShorts();
                ShortVector hb = yb.reinterpretAsShorts();
                ShortVector high = pickHigh.selectFrom(ha, hb);
                high.add(oneS, pickLow.selectFrom(ha, hb).or(high.and(oneS)).compare(VectorOperators.UGT, halfS))
                        .intoMemorySegment(dst, off, ORDER);
            } else {
                IntVector ba = ya.reinterpretAsInts();
                IntVector bb = yb.reinterpretAsInts();
                IntVector hia = ba.lanewise(VectorOperators.LSHR, 16);
                IntVector hib = bb.and(highHalf);
                IntVector oa = ba.add(roundBias).add(hia.and(lsb)).lanewise(VectorOperators.LSHR, 16)
                        .blend(hia.or(quiet), ya.compare(VectorOperators.NE, ya).cast(I));
                IntVector ob = bb.add(roundBias).add(bb.lanewise(VectorOperators.LSHR, 16).and(lsb)).and(highHalf)
                        .blend(hib.or(quietHigh), yb.compare(VectorOperators.NE, yb).cast(I));
                oa.or(ob).reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            }
        }
        return to;
    }


    /** bfloat16 over [from, to); returns {@code to} (no exit). */
    private static long bf16Backward(MemorySegment dy, MemorySegment xy, MemorySegment dx, long from, long to,
            Slope slope) {
        final long vb = STEP_BYTES;
        final FloatVector zero = FloatVector.zero(F);
        final boolean isPair = slope.pair();
        final FloatVector hi = FloatVector.broadcast(F, slope.hi());
        final FloatVector lo = FloatVector.broadcast(F, slope.lo());
        final IntVector roundBias = IntVector.broadcast(I, 0x7FFF);
        final IntVector lsb = IntVector.broadcast(I, 1);
        final IntVector quiet = IntVector.broadcast(I, 0x0040);
        final IntVector quietHigh = IntVector.broadcast(I, 0x00400000);
        final IntVector highHalf = IntVector.broadcast(I, 0xFFFF0000);
        final ShortVector pickHigh = ShortVector.fromArray(S, HalfElu.PICK_HIGH, 0);
        final ShortVector pickLow = ShortVector.fromArray(S, HalfElu.PICK_LOW, 0);
        final ShortVector oneS = ShortVector.broadcast(S, (short) 1);
        final ShortVector halfS = ShortVector.broadcast(S, (short) 0x8000);
        final ShortVector quietS = ShortVector.broadcast(S, (short) 0x0040);
        final ShortVector magnitudeS = ShortVector.broadcast(S, (short) 0x7FFF);
        final ShortVector infS = ShortVector.broadcast(S, (short) 0x7F80);
        for (long off = from; off < to; off += vb) {
            IntVector wg = IntVector.fromMemorySegment(I, dy, off, ORDER);
            IntVector wx = IntVector.fromMemorySegment(I, xy, off, ORDER);
            FloatVector ga = wg.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector gb = wg.and(highHalf).reinterpretAsFloats();
            FloatVector xa = wx.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector xb = wx.and(highHalf).reinterpretAsFloats();
            FloatVector na = isPair ? hi.fma(ga, lo.mul(ga)) : ga.mul(hi);
            FloatVector nb = isPair ? hi.fma(gb, lo.mul(gb)) : gb.mul(hi);
            FloatVector da = na.blend(ga, xa.compare(VectorOperators.GT, zero));
            FloatVector db = nb.blend(gb, xb.compare(VectorOperators.GT, zero));

            // as HalfElu.bf16 rounds where PACKED: a NaN result (from x or dy, or inf * 0: its low 16
            // bits are zero) gets the quiet bit
            if (PACKED) {
                ShortVector ha = da.reinterpretAsShorts();
                ShortVector hb = db.reinterpretAsShorts();
                ShortVector high = pickHigh.selectFrom(ha, hb);
                high.add(oneS, pickLow.selectFrom(ha, hb).or(high.and(oneS)).compare(VectorOperators.UGT, halfS))
                        .lanewise(VectorOperators.OR, quietS, high.and(magnitudeS).compare(VectorOperators.UGT, infS))
                        .intoMemorySegment(dx, off, ORDER);
            } else {
                IntVector ba = da.reinterpretAsInts();
                IntVector bb = db.reinterpretAsInts();
                IntVector hia = ba.lanewise(VectorOperators.LSHR, 16);
                IntVector hib = bb.and(highHalf);
                IntVector oa = ba.add(roundBias).add(hia.and(lsb)).lanewise(VectorOperators.LSHR, 16)
                        .blend(hia.or(quiet), da.compare(VectorOperators.NE, da).cast(I));
                IntVector ob = bb.add(roundBias).add(bb.lanewise(VectorOperators.LSHR, 16).and(lsb)).and(highHalf)
                        .blend(hib.or(quietHigh), db.compare(VectorOperators.NE, db).cast(I));
                oa.or(ob).reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
            }
        }
        return to;
    }


    /**
     * binary16 over [from, to); returns the offset of the first int vector with an infinite or NaN
     * dy (unwritten), else {@code to}. dy is widened as {@link F16Backward} widens it (sign and
     * magnitude, exact for finite halves); x > 0 is tested on the patterns (0x0001..0x7C00:
     * positive, not zero, not NaN); the product of a finite dy and the slope is not NaN (it may
     * overflow to an infinity with a huge float slope: the overflow case), so the rounding is
     * {@link F16Backward}'s, magnitude then sign, without a NaN case.
     */
    private static long f16Backward(MemorySegment dy, MemorySegment xy, MemorySegment dx, long from, long to,
            Slope slope) {
        final long vb = STEP_BYTES;
        final boolean isPair = slope.pair();
        final FloatVector hi = FloatVector.broadcast(F, slope.hi());
        final FloatVector lo = FloatVector.broadcast(F, slope.lo());
        final IntVector magBits = IntVector.broadcast(I, HalfKernels.F16_WIDE_MAGNITUDE);
        final IntVector infBits = IntVector.broadcast(I, HalfKernels.F16_WIDE_INFINITY);
        final IntVector signBit = IntVector.broadcast(I, 0x80000000);
        final FloatVector widen = FloatVector.broadcast(F, HalfKernels.F16_WIDEN);
        final IntVector low16 = IntVector.broadcast(I, 0xFFFF);
        final IntVector one = IntVector.broadcast(I, 1);
        final IntVector absMask = IntVector.broadcast(I, 0x7FFFFFFF);
        final IntVector rebias = IntVector.broadcast(I, HalfKernels.F16_ROUND_REBIAS);
        final IntVector minNormal = IntVector.broadcast(I, HalfKernels.F16_MIN_NORMAL_BITS);
        final IntVector overflow = IntVector.broadcast(I, HalfKernels.F16_OVERFLOW_BITS);
        final IntVector half = IntVector.broadcast(I, HalfKernels.F16_SUBNORMAL_BIAS);
        final FloatVector halfF = FloatVector.broadcast(F, 0.5f);
        final IntVector infHalf = IntVector.broadcast(I, 0x7C00);
        final IntVector signA = IntVector.broadcast(I, 0x8000);
        for (long off = from; off < to; off += vb) {
            IntVector wg = IntVector.fromMemorySegment(I, dy, off, ORDER);
            IntVector wx = IntVector.fromMemorySegment(I, xy, off, ORDER);
            IntVector mga = wg.lanewise(VectorOperators.LSHL, 13).and(magBits);
            IntVector mgb = wg.lanewise(VectorOperators.LSHR, 3).and(magBits);
            if (mga.max(mgb).compare(VectorOperators.GE, infBits).anyTrue()) {
                return off;
            }
            FloatVector ga = mga.or(wg.lanewise(VectorOperators.LSHL, 16).and(signBit))
                    .reinterpretAsFloats().mul(widen);
            FloatVector gb = mgb.or(wg.and(signBit)).reinterpretAsFloats().mul(widen);
            VectorMask<Integer> posa = wx.and(low16).sub(one).compare(VectorOperators.ULT, infHalf);
            VectorMask<Integer> posb = wx.lanewise(VectorOperators.LSHR, 16).sub(one)
                    .compare(VectorOperators.ULT, infHalf);
            FloatVector na = isPair ? hi.fma(ga, lo.mul(ga)) : ga.mul(hi);
            FloatVector nb = isPair ? hi.fma(gb, lo.mul(gb)) : gb.mul(hi);
            FloatVector da = na.blend(ga, posa.cast(F));
            FloatVector db = nb.blend(gb, posb.cast(F));

            IntVector ba = da.reinterpretAsInts();
            IntVector bb = db.reinterpretAsInts();
            IntVector aa = ba.and(absMask);
            IntVector ab = bb.and(absMask);
            IntVector oa = aa.sub(rebias).add(aa.lanewise(VectorOperators.LSHR, 13).and(one))
                    .lanewise(VectorOperators.LSHR, 13)
                    .blend(aa.reinterpretAsFloats().add(halfF).reinterpretAsInts().sub(half),
                            aa.compare(VectorOperators.LT, minNormal))
                    .blend(infHalf, aa.compare(VectorOperators.GT, overflow));
            IntVector ob = ab.sub(rebias).add(ab.lanewise(VectorOperators.LSHR, 13).and(one))
                    .lanewise(VectorOperators.LSHR, 13)
                    .blend(ab.reinterpretAsFloats().add(halfF).reinterpretAsInts().sub(half),
                            ab.compare(VectorOperators.LT, minNormal))
                    .blend(infHalf, ab.compare(VectorOperators.GT, overflow));
            IntVector signs = ba.lanewise(VectorOperators.LSHR, 16).and(signA).or(bb.and(signBit));
            oa.or(ob.lanewise(VectorOperators.LSHL, 16)).or(signs).reinterpretAsBytes()
                    .intoMemorySegment(dx, off, ORDER);
        }
        return to;
    }

    /**
     * binary16 LeakyReLU with a positive slope: the lanes with {@code h - 0x8001} unsigned below
     * {@code 0x7BFF} (0x8001..0xFBFF: negative, finite, not -0) widened and rounded as in
     * {@link HalfElu#f16}, the others their pattern (NaN with the round trip's quiet bit).
     */
    private static long f16(MemorySegment src, MemorySegment dst, long from, long to, Slope slope) {
        final long vb = STEP_BYTES;
        final boolean isPair = slope.pair();
        final FloatVector hi = FloatVector.broadcast(F, slope.hi());
        final FloatVector lo = FloatVector.broadcast(F, slope.lo());
        final IntVector magMask = IntVector.broadcast(I, 0x7FFF);
        final IntVector low16 = IntVector.broadcast(I, 0xFFFF);
        final IntVector negFirst = IntVector.broadcast(I, 0x8001);
        final IntVector negCount = IntVector.broadcast(I, 0x7BFF);
        final IntVector infHalf = IntVector.broadcast(I, 0x7C00);
        final IntVector quiet = IntVector.broadcast(I, HalfKernels.F16_NAN_QUIET_BIT >>> 13);
        final FloatVector widen = FloatVector.broadcast(F, -HalfKernels.F16_WIDEN);
        final IntVector absMask = IntVector.broadcast(I, 0x7FFFFFFF);
        final IntVector rebias = IntVector.broadcast(I, HalfKernels.F16_ROUND_REBIAS);
        final IntVector lsb = IntVector.broadcast(I, 1);
        final IntVector minNormal = IntVector.broadcast(I, HalfKernels.F16_MIN_NORMAL_BITS);
        final IntVector overflow = IntVector.broadcast(I, HalfKernels.F16_OVERFLOW_BITS);
        final IntVector half = IntVector.broadcast(I, HalfKernels.F16_SUBNORMAL_BIAS);
        final FloatVector halfF = FloatVector.broadcast(F, 0.5f);
        final IntVector signBit = IntVector.broadcast(I, 0x8000);
        for (long off = from; off < to; off += vb) {
            IntVector w = IntVector.fromMemorySegment(I, src, off, ORDER);
            IntVector ha = w.and(low16);
            IntVector hb = w.lanewise(VectorOperators.LSHR, 16);
            IntVector ma = ha.and(magMask);
            IntVector mb = hb.and(magMask);
            VectorMask<Integer> nega = ha.sub(negFirst).compare(VectorOperators.ULT, negCount);
            VectorMask<Integer> negb = hb.sub(negFirst).compare(VectorOperators.ULT, negCount);
            FloatVector xa = ma.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(widen);
            FloatVector xb = mb.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(widen);
            FloatVector ya = isPair ? hi.fma(xa, lo.mul(xa)) : xa.mul(hi);
            FloatVector yb = isPair ? hi.fma(xb, lo.mul(xb)) : xb.mul(hi);

            IntVector aa = ya.reinterpretAsInts().and(absMask);
            IntVector ab = yb.reinterpretAsInts().and(absMask);
            IntVector oa = aa.sub(rebias).add(aa.lanewise(VectorOperators.LSHR, 13).and(lsb))
                    .lanewise(VectorOperators.LSHR, 13)
                    .blend(aa.reinterpretAsFloats().add(halfF).reinterpretAsInts().sub(half),
                            aa.compare(VectorOperators.LT, minNormal))
                    .blend(infHalf, aa.compare(VectorOperators.GT, overflow))
                    .or(signBit);
            IntVector ob = ab.sub(rebias).add(ab.lanewise(VectorOperators.LSHR, 13).and(lsb))
                    .lanewise(VectorOperators.LSHR, 13)
                    .blend(ab.reinterpretAsFloats().add(halfF).reinterpretAsInts().sub(half),
                            ab.compare(VectorOperators.LT, minNormal))
                    .blend(infHalf, ab.compare(VectorOperators.GT, overflow))
                    .or(signBit);
            oa = ha.blend(ha.or(quiet), ma.compare(VectorOperators.GT, infHalf)).blend(oa, nega);
            ob = hb.blend(hb.or(quiet), mb.compare(VectorOperators.GT, infHalf)).blend(ob, negb);
            oa.or(ob.lanewise(VectorOperators.LSHL, 16)).reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
        }
        return to;
    }
}
