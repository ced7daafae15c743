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

/**
 * bfloat16 and binary16 forward with general parameters ({@link org.elu4j.internal.Op#isGeneralF32Elu()}:
 * SELU, CELU, ELU with a scale or an alpha that is not a power of two) in one pass, as
 * {@link HalfElu} runs ELU: each int vector of halves is split in registers into two float
 * vectors, run through {@link GeneralElu#eluGeneral}'s arithmetic (or
 * {@link GeneralElu#eluGeneralUnitInput}'s where the input scale is 1), rounded and merged back
 * before it is stored.
 *
 * <p>The bits are the staged path's ({@link Staging#forwardHalf} with that f32 kernel): the
 * widening is exact, the float arithmetic is the f32 kernel's operation for operation, and the
 * rounding is {@link HalfKernels}'s. An int vector that a fused loop leaves goes to the staged
 * path: for bfloat16 one with a positive input below the f32 kernel's {@code TINY} where the
 * scale is not a float (the f32 kernel fixes those lanes in scalar code; such inputs do not
 * exist in binary16), for both types one with an input in the linear range where the input scale
 * is not 1 ({@code -lin < x < 0}: rare, so it is tested rather than blended into every vector, as
 * the f32 kernel does; not where that range's result is x itself, {@link F32Kernels.General#linearIsX()},
 * which the loops keep as the f32 kernel does), for binary16 one with an infinite or NaN input, so that its widening and
 * rounding need neither case (a finite input gives a finite float result: at most
 * {@code 65504 * 2^60}; the rounding's overflow case turns what exceeds binary16 into
 * infinity). So do the last elements and heap segments.
 *
 * <p>The loops are flat, with their constants in locals, for the reasons in {@link VectorBackend}'s
 * class comment, which is why the f32 kernel's lines appear here twice per loop; the input
 * scale's terms are loop-invariant ternaries on {@code unit}, which C2 unswitches.
 */
final class HalfGeneral {
    private HalfGeneral() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final VectorSpecies<Float> F = HalfElu.F;
    private static final VectorSpecies<Integer> I = HalfElu.I;
    private static final VectorSpecies<Short> S = HalfElu.S;
    private static final boolean PACKED = HalfElu.PACKED;
    private static final short[] PICK_HIGH = HalfElu.PICK_HIGH;
    private static final short[] PICK_LOW = HalfElu.PICK_LOW;
    /** {@link HalfElu#STEP_BYTES}: one int vector of halves per loop iteration. */
    private static final long STEP_BYTES = HalfElu.STEP_BYTES;

    /**
     * The general ELU of the halves of {@code src} into {@code dst}: the fused loop over the
     * native part that fills whole int vectors, each int vector it stops at and the remainder or
     * heap segments through {@code rest} (the staged path with the same parameters). dst may be
     * src (each int vector is loaded before it is stored).
     */
    static void forward(DataType type, F32Kernels.General g, Map1 rest, MemorySegment src, MemorySegment dst) {
        Staging.forwardHalfFused(type == DataType.BF16 ? HalfGeneral::bf16 : HalfGeneral::f16, type, g, rest, src, dst);
    }

    /**
     * bfloat16 over [from, to): the halves widened as {@link HalfElu#bf16} widens them, rounded
     * as it rounds (NaN, where y is x, keeps its top bits and gets the quiet bit); stops at the
     * first int vector with a positive input below {@code TINY} where the scale is not a float,
     * or with an input in the linear range where the input scale is not 1 (unless that range's
     * result is x itself, {@link F32Kernels.General#linearIsX()}: then the loop keeps it).
     */
    static long bf16(MemorySegment src, MemorySegment dst, long from, long to, F32Kernels.General g) {
        final long vb = STEP_BYTES;
        final FloatVector zero = FloatVector.zero(F);
        final boolean exactScale = g.floatScale();
        final boolean unit = g.unitInput();
        final boolean unitScale = g.unitScale();
        final boolean linX = g.linearIsX();
        final IntVector xminBits = IntVector.broadcast(I, Float.floatToRawIntBits(g.xmin()));
        final FloatVector chi = FloatVector.broadcast(F, g.chi());
        final FloatVector clo = FloatVector.broadcast(F, g.clo());
        final FloatVector shi = FloatVector.broadcast(F, g.shi());
        final FloatVector slo = FloatVector.broadcast(F, g.slo());
        final FloatVector phi = FloatVector.broadcast(F, g.phi());
        final FloatVector plo = FloatVector.broadcast(F, g.plo());
        final FloatVector cshi = FloatVector.broadcast(F, g.cshi());
        final FloatVector cslo = FloatVector.broadcast(F, g.cslo());
        final FloatVector negLin = FloatVector.broadcast(F, -g.lin());
        final FloatVector log2e = FloatVector.broadcast(F, F32Kernels.F_LOG2E);
        final FloatVector shift = FloatVector.broadcast(F, F32Kernels.F_SHIFT);
        final FloatVector minusLn2 = FloatVector.broadcast(F, -F32Kernels.F_LN2);
        final FloatVector one = FloatVector.broadcast(F, 1.0f);
        final FloatVector q0 = FloatVector.broadcast(F, F32Kernels.G0);
        final FloatVector q1 = FloatVector.broadcast(F, F32Kernels.G1);
        final FloatVector q2 = FloatVector.broadcast(F, F32Kernels.G2);
        final FloatVector q3 = FloatVector.broadcast(F, F32Kernels.G3);
        final FloatVector q4 = FloatVector.broadcast(F, F32Kernels.G4);
        // a positive float below TINY: its bits minus one, unsigned, below TINY's bits minus one
        final IntVector intOne = IntVector.broadcast(I, 1);
        final IntVector tinyBits = IntVector.broadcast(I, Float.floatToRawIntBits(F32Kernels.TINY) - 1);
        final IntVector roundBias = IntVector.broadcast(I, 0x7FFF);
        final IntVector quiet = IntVector.broadcast(I, 0x0040);
        final IntVector quietHigh = IntVector.broadcast(I, 0x00400000);
        final IntVector highHalf = IntVector.broadcast(I, 0xFFFF0000);
        final ShortVector pickHigh = ShortVector.fromArray(S, PICK_HIGH, 0);
        final ShortVector pickLow = ShortVector.fromArray(S, PICK_LOW, 0);
        final ShortVector oneS = ShortVector.broadcast(S, (short) 1);
        final ShortVector halfS = ShortVector.broadcast(S, (short) 0x8000);
        final ShortVector quietS = ShortVector.broadcast(S, (short) 0x0040);
        final ShortVector magnitudeS = ShortVector.broadcast(S, (short) 0x7FFF);
        final ShortVector infS = ShortVector.broadcast(S, (short) 0x7F80);
        for (long off = from; off < to; off += vb) {
            IntVector w = IntVector.fromMemorySegment(I, src, off, ORDER);
            IntVector ia = w.lanewise(VectorOperators.LSHL, 16);
            IntVector ib = w.and(highHalf);
            if (!exactScale && ia.sub(intOne).lanewise(VectorOperators.UMIN, ib.sub(intOne))
                    .compare(VectorOperators.ULT, tinyBits).anyTrue()) {
                return off;
            }
            FloatVector xa = ia.reinterpretAsFloats();
            FloatVector xb = ib.reinterpretAsFloats();

            FloatVector posa = unitScale ? xa : exactScale ? xa.mul(phi) : xa.fma(phi, plo.mul(xa));
            FloatVector xca = ia.min(xminBits).reinterpretAsFloats();
            FloatVector tha = unit ? xca : xca.mul(shi);
            FloatVector tla = unit ? zero : slo.fma(xca, shi.fma(xca, tha.neg()));
            FloatVector ka = tha.fma(log2e, shift);
            FloatVector rha = ka.sub(shift).fma(minusLn2, tha);
            FloatVector qa = q4.fma(rha, q3).fma(rha, q2).fma(rha, q1).fma(rha, q0);
            FloatVector wa = unit ? rha.mul(rha).mul(qa) : rha.mul(rha).fma(qa, tla.fma(rha, tla));
            FloatVector sa = ka.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector sm1a = sa.sub(one);
            FloatVector eha = sa.fma(rha, sm1a);
            FloatVector ela = sa.fma(wa, sa.fma(rha, sm1a.sub(eha)));
            FloatVector nega = chi.fma(eha, chi.fma(ela, clo.mul(eha)));
            VectorMask<Float> lta = linX ? xa.compare(VectorOperators.LE, negLin) : xa.compare(VectorOperators.LT, zero);
            FloatVector ya = (unitScale ? xa : xa.blend(posa, xa.compare(VectorOperators.GT, zero))).blend(nega, lta);

            FloatVector posb = unitScale ? xb : exactScale ? xb.mul(phi) : xb.fma(phi, plo.mul(xb));
            FloatVector xcb = ib.min(xminBits).reinterpretAsFloats();
            FloatVector thb = unit ? xcb : xcb.mul(shi);
            FloatVector tlb = unit ? zero : slo.fma(xcb, shi.fma(xcb, thb.neg()));
            FloatVector kb = thb.fma(log2e, shift);
            FloatVector rhb = kb.sub(shift).fma(minusLn2, thb);
            FloatVector qb = q4.fma(rhb, q3).fma(rhb, q2).fma(rhb, q1).fma(rhb, q0);
            FloatVector wb = unit ? rhb.mul(rhb).mul(qb) : rhb.mul(rhb).fma(qb, tlb.fma(rhb, tlb));
            FloatVector sb = kb.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector sm1b = sb.sub(one);
            FloatVector ehb = sb.fma(rhb, sm1b);
            FloatVector elb = sb.fma(wb, sb.fma(rhb, sm1b.sub(ehb)));
            FloatVector negb = chi.fma(ehb, chi.fma(elb, clo.mul(ehb)));
            VectorMask<Float> ltb = linX ? xb.compare(VectorOperators.LE, negLin) : xb.compare(VectorOperators.LT, zero);
            FloatVector yb = (unitScale ? xb : xb.blend(posb, xb.compare(VectorOperators.GT, zero))).blend(negb, ltb);

            if (!unit && !linX && xa.compare(VectorOperators.GT, negLin).and(lta)
                    .or(xb.compare(VectorOperators.GT, negLin).and(ltb)).anyTrue()) {
                return off; // the linear range (rare: |t| < 2^-40): the staged path's f32 kernel
            }
            // To nearest even, as in HalfElu.bf16 (NaN only where x is NaN: then y is x).
            if (PACKED) { // as HalfElu.bf16
                ShortVector ha = ya.reinterpretAsShorts();
                ShortVector hb = yb.reinterpretAsShorts();
                ShortVector high = pickHigh.selectFrom(ha, hb);
                ShortVector hx = w.reinterpretAsShorts();
                high.add(oneS, pickLow.selectFrom(ha, hb).or(high.and(oneS)).compare(VectorOperators.UGT, halfS))
                        .lanewise(VectorOperators.OR, quietS, hx.and(magnitudeS).compare(VectorOperators.UGT, infS))
                        .intoMemorySegment(dst, off, ORDER);
            } else {
                IntVector ba = ya.reinterpretAsInts();
                IntVector bb = yb.reinterpretAsInts();
                IntVector hia = ba.lanewise(VectorOperators.LSHR, 16);
                IntVector oa = ba.add(roundBias).add(hia.and(intOne)).lanewise(VectorOperators.LSHR, 16)
                        .blend(hia.or(quiet), xa.compare(VectorOperators.NE, xa).cast(I));
                IntVector ob = bb.add(roundBias).add(bb.lanewise(VectorOperators.LSHR, 16).and(intOne)).and(highHalf)
                        .blend(bb.and(highHalf).or(quietHigh), xb.compare(VectorOperators.NE, xb).cast(I));
                oa.or(ob).reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            }
        }
        return to;
    }

    /**
     * binary16 over [from, to): each half {@code h} widened as
     * {@code bits(sign << 31 | (h & 0x7FFF) << 13) * 2^112} (exact for finite halves, as
     * {@link HalfKernels#widenF16}), the result's magnitude rounded as {@link HalfElu#f16} rounds
     * it (normal, subnormal and overflow cases) and its sign put back; stops at the first int vector with an
     * infinite or NaN half, or with an input in the linear range where the input scale is not 1
     * (only inputs scales below 2^-16 make that range reach binary16's least subnormal, 2^-24;
     * kept where {@link F32Kernels.General#linearIsX()}, as in {@link #bf16}).
     */
    static long f16(MemorySegment src, MemorySegment dst, long from, long to, F32Kernels.General g) {
        final long vb = STEP_BYTES;
        final FloatVector zero = FloatVector.zero(F);
        final boolean exactScale = g.floatScale();
        final boolean unit = g.unitInput();
        final boolean unitScale = g.unitScale();
        final boolean linX = g.linearIsX();
        final IntVector xminBits = IntVector.broadcast(I, Float.floatToRawIntBits(g.xmin()));
        final FloatVector chi = FloatVector.broadcast(F, g.chi());
        final FloatVector clo = FloatVector.broadcast(F, g.clo());
        final FloatVector shi = FloatVector.broadcast(F, g.shi());
        final FloatVector slo = FloatVector.broadcast(F, g.slo());
        final FloatVector phi = FloatVector.broadcast(F, g.phi());
        final FloatVector plo = FloatVector.broadcast(F, g.plo());
        final FloatVector cshi = FloatVector.broadcast(F, g.cshi());
        final FloatVector cslo = FloatVector.broadcast(F, g.cslo());
        final FloatVector negLin = FloatVector.broadcast(F, -g.lin());
        final FloatVector log2e = FloatVector.broadcast(F, F32Kernels.F_LOG2E);
        final FloatVector shift = FloatVector.broadcast(F, F32Kernels.F_SHIFT);
        final FloatVector minusLn2 = FloatVector.broadcast(F, -F32Kernels.F_LN2);
        final FloatVector one = FloatVector.broadcast(F, 1.0f);
        final FloatVector q0 = FloatVector.broadcast(F, F32Kernels.G0);
        final FloatVector q1 = FloatVector.broadcast(F, F32Kernels.G1);
        final FloatVector q2 = FloatVector.broadcast(F, F32Kernels.G2);
        final FloatVector q3 = FloatVector.broadcast(F, F32Kernels.G3);
        final FloatVector q4 = FloatVector.broadcast(F, F32Kernels.G4);
        final IntVector magBits = IntVector.broadcast(I, HalfKernels.F16_WIDE_MAGNITUDE);
        final IntVector signBit = IntVector.broadcast(I, 0x80000000);
        final IntVector infBits = IntVector.broadcast(I, HalfKernels.F16_WIDE_INFINITY);
        final FloatVector widen = FloatVector.broadcast(F, HalfKernels.F16_WIDEN);
        final IntVector absMask = IntVector.broadcast(I, 0x7FFFFFFF);
        final IntVector rebias = IntVector.broadcast(I, HalfKernels.F16_ROUND_REBIAS);
        final IntVector lsb = IntVector.broadcast(I, 1);
        final IntVector minNormal = IntVector.broadcast(I, HalfKernels.F16_MIN_NORMAL_BITS);
        final IntVector overflow = IntVector.broadcast(I, HalfKernels.F16_OVERFLOW_BITS);
        final IntVector half = IntVector.broadcast(I, HalfKernels.F16_SUBNORMAL_BIAS);
        final FloatVector halfF = FloatVector.broadcast(F, 0.5f);
        final IntVector infHalf = IntVector.broadcast(I, 0x7C00);
        final IntVector signA = IntVector.broadcast(I, 0x8000);
        for (long off = from; off < to; off += vb) {
            // Halves 2k (a, low 16 bits of int lane k) and 2k + 1 (b, high bits), as in HalfElu.
            IntVector w = IntVector.fromMemorySegment(I, src, off, ORDER);
            IntVector ma = w.lanewise(VectorOperators.LSHL, 13).and(magBits);
            IntVector mb = w.lanewise(VectorOperators.LSHR, 3).and(magBits);
            if (ma.max(mb).compare(VectorOperators.GE, infBits).anyTrue()) {
                return off;
            }
            IntVector sgna = w.lanewise(VectorOperators.LSHL, 16).and(signBit);
            IntVector sgnb = w.and(signBit);
            FloatVector xa = ma.or(sgna).reinterpretAsFloats().mul(widen);
            FloatVector xb = mb.or(sgnb).reinterpretAsFloats().mul(widen);
            IntVector ia = xa.reinterpretAsInts();
            IntVector ib = xb.reinterpretAsInts();

            FloatVector posa = unitScale ? xa : exactScale ? xa.mul(phi) : xa.fma(phi, plo.mul(xa));
            FloatVector xca = ia.min(xminBits).reinterpretAsFloats();
            FloatVector tha = unit ? xca : xca.mul(shi);
            FloatVector tla = unit ? zero : slo.fma(xca, shi.fma(xca, tha.neg()));
            FloatVector ka = tha.fma(log2e, shift);
            FloatVector rha = ka.sub(shift).fma(minusLn2, tha);
            FloatVector qa = q4.fma(rha, q3).fma(rha, q2).fma(rha, q1).fma(rha, q0);
            FloatVector wa = unit ? rha.mul(rha).mul(qa) : rha.mul(rha).fma(qa, tla.fma(rha, tla));
            FloatVector sa = ka.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector sm1a = sa.sub(one);
            FloatVector eha = sa.fma(rha, sm1a);
            FloatVector ela = sa.fma(wa, sa.fma(rha, sm1a.sub(eha)));
            FloatVector nega = chi.fma(eha, chi.fma(ela, clo.mul(eha)));
            VectorMask<Float> lta = linX ? xa.compare(VectorOperators.LE, negLin) : xa.compare(VectorOperators.LT, zero);
            FloatVector ya = (unitScale ? xa : xa.blend(posa, xa.compare(VectorOperators.GT, zero))).blend(nega, lta);

            FloatVector posb = unitScale ? xb : exactScale ? xb.mul(phi) : xb.fma(phi, plo.mul(xb));
            FloatVector xcb = ib.min(xminBits).reinterpretAsFloats();
            FloatVector thb = unit ? xcb : xcb.mul(shi);
            FloatVector tlb = unit ? zero : slo.fma(xcb, shi.fma(xcb, thb.neg()));
            FloatVector kb = thb.fma(log2e, shift);
            FloatVector rhb = kb.sub(shift).fma(minusLn2, thb);
            FloatVector qb = q4.fma(rhb, q3).fma(rhb, q2).fma(rhb, q1).fma(rhb, q0);
            FloatVector wb = unit ? rhb.mul(rhb).mul(qb) : rhb.mul(rhb).fma(qb, tlb.fma(rhb, tlb));
            FloatVector sb = kb.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector sm1b = sb.sub(one);
            FloatVector ehb = sb.fma(rhb, sm1b);
            FloatVector elb = sb.fma(wb, sb.fma(rhb, sm1b.sub(ehb)));
            FloatVector negb = chi.fma(ehb, chi.fma(elb, clo.mul(ehb)));
            VectorMask<Float> ltb = linX ? xb.compare(VectorOperators.LE, negLin) : xb.compare(VectorOperators.LT, zero);
            FloatVector yb = (unitScale ? xb : xb.blend(posb, xb.compare(VectorOperators.GT, zero))).blend(negb, ltb);

            if (!unit && !linX && xa.compare(VectorOperators.GT, negLin).and(lta)
                    .or(xb.compare(VectorOperators.GT, negLin).and(ltb)).anyTrue()) {
                return off; // the linear range (rare: |t| < 2^-40): the staged path's f32 kernel
            }
            IntVector aa = ya.reinterpretAsInts().and(absMask);
            IntVector ab = yb.reinterpretAsInts().and(absMask);
            IntVector oa = aa.sub(rebias).add(aa.lanewise(VectorOperators.LSHR, 13).and(lsb))
                    .lanewise(VectorOperators.LSHR, 13)
                    .blend(aa.reinterpretAsFloats().add(halfF).reinterpretAsInts().sub(half),
                            aa.compare(VectorOperators.LT, minNormal))
                    .blend(infHalf, aa.compare(VectorOperators.GT, overflow));
            IntVector ob = ab.sub(rebias).add(ab.lanewise(VectorOperators.LSHR, 13).and(lsb))
                    .lanewise(VectorOperators.LSHR, 13)
                    .blend(ab.reinterpretAsFloats().add(halfF).reinterpretAsInts().sub(half),
                            ab.compare(VectorOperators.LT, minNormal))
                    .blend(infHalf, ab.compare(VectorOperators.GT, overflow));
            // the results' signs, a's at bit 15 and b's at bit 31
            IntVector signs = ya.reinterpretAsInts().lanewise(VectorOperators.LSHR, 16).and(signA)
                    .or(yb.reinterpretAsInts().and(signBit));
            oa.or(ob.lanewise(VectorOperators.LSHL, 16)).or(signs).reinterpretAsBytes()
                    .intoMemorySegment(dst, off, ORDER);
        }
        return to;
    }
}
