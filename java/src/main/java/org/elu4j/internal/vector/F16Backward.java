package org.elu4j.internal.vector;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.elu4j.DataType;
import org.elu4j.internal.vector.Staging.Map2;

/**
 * The binary16 backward in one pass: {@link HalfBackward}'s three loops with binary16's widening
 * and rounding in place of bfloat16's. Each half {@code h} of dy and of x or y is widened as
 * {@code bits(sign << 31 | (h & 0x7FFF) << 13) * 2^112} (exact for finite halves, as
 * {@link HalfKernels#widenF16}; {@link HalfGeneral#f16} does the same), and each result's
 * magnitude is rounded as {@link HalfElu#f16} rounds it (normal, subnormal and overflow cases)
 * with the result's sign put back.
 *
 * <p>The bits are the staged path's ({@link Staging#backwardHalf} with the f32 kernel), as in
 * {@link HalfBackward}. An int vector with an infinite or NaN half in either tensor goes to the
 * staged path, so the widening needs no such case. Finite halves are at most 65504 (below 2^16)
 * and the parameters at most 2^60, so every result a lane keeps is finite in f32 (about 2^92 at
 * most), and the rounding needs no NaN case; from the output the fma form needs no exit test and
 * the pairs none of their own (see {@link #fromOutputPairs}); from the input the pairs' range (t
 * below -87) still sends an int vector to the staged path. The loops are flat, with their
 * constants in locals, for the reasons in {@link VectorBackend}'s class comment.
 */
final class F16Backward {
    private F16Backward() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final VectorSpecies<Float> F = HalfElu.F;
    private static final VectorSpecies<Integer> I = HalfElu.I;
    /** {@link HalfElu#STEP_BYTES}: one int vector of halves per loop iteration. */
    private static final long STEP_BYTES = HalfElu.STEP_BYTES;

    /** {@link HalfBackward#backwardFromOutputBf16} for binary16. */
    static void backwardFromOutput(F32Kernels.General b, Map2 rest, MemorySegment dy, MemorySegment y,
            MemorySegment dx) {
        Staging.backwardHalfFused(b.fmaY() ? F16Backward::fromOutputFma : F16Backward::fromOutputPairs,
                true, DataType.F16, b, rest, dy, y, dx);
    }

    /** {@link HalfBackwardFromInput#backwardBf16} for binary16 (whole 16-element groups per int vector). */
    static void backwardFromInput(F32Kernels.General b, Map2 rest, MemorySegment dy, MemorySegment x,
            MemorySegment dx) {
        Staging.backwardHalfFused(F16Backward::fromInput, I.length() >= 8, DataType.F16, b, rest, dy, x, dx);
    }

    /**
     * {@link HalfBackward#bf16FromOutputFma} for binary16: stops at the first int vector with an
     * infinite or NaN half in dy or y.
     */
    static long fromOutputFma(MemorySegment dy, MemorySegment xy, MemorySegment dx, long from, long to,
            F32Kernels.General b) {
        final long vb = STEP_BYTES;
        final FloatVector zero = FloatVector.zero(F);
        final FloatVector chi = FloatVector.broadcast(F, b.chi());
        final FloatVector phi = FloatVector.broadcast(F, b.phi());
        final FloatVector plo = FloatVector.broadcast(F, b.plo());
        final boolean exactScale = b.floatScale();
        final boolean unitScale = b.unitScale();
        final IntVector magBits = IntVector.broadcast(I, HalfKernels.F16_WIDE_MAGNITUDE);
        final IntVector infBits = IntVector.broadcast(I, HalfKernels.F16_WIDE_INFINITY);
        final IntVector signBit = IntVector.broadcast(I, 0x80000000);
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
            IntVector wg = IntVector.fromMemorySegment(I, dy, off, ORDER);
            IntVector wy = IntVector.fromMemorySegment(I, xy, off, ORDER);
            IntVector mga = wg.lanewise(VectorOperators.LSHL, 13).and(magBits);
            IntVector mgb = wg.lanewise(VectorOperators.LSHR, 3).and(magBits);
            IntVector mya = wy.lanewise(VectorOperators.LSHL, 13).and(magBits);
            IntVector myb = wy.lanewise(VectorOperators.LSHR, 3).and(magBits);
            if (mga.max(mgb).max(mya.max(myb)).compare(VectorOperators.GE, infBits).anyTrue()) {
                return off;
            }
            FloatVector ga = mga.or(wg.lanewise(VectorOperators.LSHL, 16).and(signBit))
                    .reinterpretAsFloats().mul(widen);
            FloatVector gb = mgb.or(wg.and(signBit)).reinterpretAsFloats().mul(widen);
            FloatVector ya = mya.or(wy.lanewise(VectorOperators.LSHL, 16).and(signBit))
                    .reinterpretAsFloats().mul(widen);
            FloatVector yb = myb.or(wy.and(signBit)).reinterpretAsFloats().mul(widen);

            FloatVector finea = ga.fma(ya, ga.mul(chi));
            FloatVector fineb = gb.fma(yb, gb.mul(chi));
            FloatVector posa = unitScale ? ga : exactScale ? ga.mul(phi) : ga.fma(phi, plo.mul(ga));
            FloatVector da = finea.blend(ga.mul(chi.add(ya)), finea.compare(VectorOperators.EQ, zero))
                    .blend(posa, ya.compare(VectorOperators.GT, zero));
            FloatVector posb = unitScale ? gb : exactScale ? gb.mul(phi) : gb.fma(phi, plo.mul(gb));
            FloatVector db = fineb.blend(gb.mul(chi.add(yb)), fineb.compare(VectorOperators.EQ, zero))
                    .blend(posb, yb.compare(VectorOperators.GT, zero));

            // As HalfGeneral.f16 rounds: the magnitude, then the sign (no NaN here, see above).
            IntVector ba = da.reinterpretAsInts();
            IntVector bb = db.reinterpretAsInts();
            IntVector aa = ba.and(absMask);
            IntVector ab = bb.and(absMask);
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
            IntVector signs = ba.lanewise(VectorOperators.LSHR, 16).and(signA).or(bb.and(signBit));
            oa.or(ob.lanewise(VectorOperators.LSHL, 16)).or(signs).reinterpretAsBytes()
                    .intoMemorySegment(dx, off, ORDER);
        }
        return to;
    }

    /**
     * {@link HalfBackward#bf16FromOutputPairs} for binary16: stops at the first int vector with an
     * infinite or NaN half in dy or y. Without the f32 loop's exit test: finite halves have
     * {@code |dy|, |y| <= 65504}, and {@code |ah| <= cis + 65504 * shi}, so the product is at most
     * about 2^92, finite; the test's other cases (operands above 2^64, infinite or NaN products)
     * cannot occur, and a finite product above 2^64, which it would send to the full loop, takes
     * the same {@code fine} there (its ok branch; with input scale 1 the full loop's {@code ah},
     * {@code al} differ from {@code sh}, {@code sl} at most in the sign of a zero {@code al}, which
     * leaves a product that large unchanged).
     */
    static long fromOutputPairs(MemorySegment dy, MemorySegment xy, MemorySegment dx, long from, long to,
            F32Kernels.General b) {
        final long vb = STEP_BYTES;
        final FloatVector zero = FloatVector.zero(F);
        final IntVector sign = IntVector.broadcast(I, 0x80000000);
        final IntVector magnitude = IntVector.broadcast(I, 0x7FFFFFFF);
        final FloatVector ylow = FloatVector.broadcast(F, b.ylow());
        final FloatVector chi = FloatVector.broadcast(F, b.chi());
        final FloatVector clo = FloatVector.broadcast(F, b.clo());
        final FloatVector shi = FloatVector.broadcast(F, b.shi());
        final FloatVector slo = FloatVector.broadcast(F, b.slo());
        final FloatVector phi = FloatVector.broadcast(F, b.phi());
        final FloatVector plo = FloatVector.broadcast(F, b.plo());
        final boolean exactScale = b.floatScale();
        final boolean unitScale = b.unitScale();
        final boolean unit = b.unitInput();
        final IntVector magBits = IntVector.broadcast(I, HalfKernels.F16_WIDE_MAGNITUDE);
        final IntVector infBits = IntVector.broadcast(I, HalfKernels.F16_WIDE_INFINITY);
        final FloatVector widen = FloatVector.broadcast(F, HalfKernels.F16_WIDEN);
        final IntVector rebias = IntVector.broadcast(I, HalfKernels.F16_ROUND_REBIAS);
        final IntVector lsb = IntVector.broadcast(I, 1);
        final IntVector minNormal = IntVector.broadcast(I, HalfKernels.F16_MIN_NORMAL_BITS);
        final IntVector overflow = IntVector.broadcast(I, HalfKernels.F16_OVERFLOW_BITS);
        final IntVector half = IntVector.broadcast(I, HalfKernels.F16_SUBNORMAL_BIAS);
        final FloatVector halfF = FloatVector.broadcast(F, 0.5f);
        final IntVector infHalf = IntVector.broadcast(I, 0x7C00);
        final IntVector signA = IntVector.broadcast(I, 0x8000);
        for (long off = from; off < to; off += vb) {
            IntVector wg = IntVector.fromMemorySegment(I, dy, off, ORDER);
            IntVector wy = IntVector.fromMemorySegment(I, xy, off, ORDER);
            IntVector mga = wg.lanewise(VectorOperators.LSHL, 13).and(magBits);
            IntVector mgb = wg.lanewise(VectorOperators.LSHR, 3).and(magBits);
            IntVector mya = wy.lanewise(VectorOperators.LSHL, 13).and(magBits);
            IntVector myb = wy.lanewise(VectorOperators.LSHR, 3).and(magBits);
            if (mga.max(mgb).max(mya.max(myb)).compare(VectorOperators.GE, infBits).anyTrue()) {
                return off;
            }
            FloatVector ga = mga.or(wg.lanewise(VectorOperators.LSHL, 16).and(sign)).reinterpretAsFloats().mul(widen);
            FloatVector gb = mgb.or(wg.and(sign)).reinterpretAsFloats().mul(widen);
            FloatVector ya = mya.or(wy.lanewise(VectorOperators.LSHL, 16).and(sign)).reinterpretAsFloats().mul(widen);
            FloatVector yb = myb.or(wy.and(sign)).reinterpretAsFloats().mul(widen);

            FloatVector sha = chi.add(ya);
            FloatVector sla = ya.sub(sha.sub(chi)).add(clo);
            FloatVector aha = unit ? sha : sha.mul(shi);
            FloatVector ala = unit ? sla : sha.fma(shi, aha.neg()).add(sla.fma(shi, sha.mul(slo)));
            FloatVector finea = ga.fma(aha, ga.mul(ala));

            FloatVector shb = chi.add(yb);
            FloatVector slb = yb.sub(shb.sub(chi)).add(clo);
            FloatVector ahb = unit ? shb : shb.mul(shi);
            FloatVector alb = unit ? slb : shb.fma(shi, ahb.neg()).add(slb.fma(shi, shb.mul(slo)));
            FloatVector fineb = gb.fma(ahb, gb.mul(alb));

            FloatVector posa = unitScale ? ga : exactScale ? ga.mul(phi) : ga.fma(phi, plo.mul(ga));
            // The exact product's sign: dy's times that of y + coef, which is y - ylow's (below
            // ylow exactly where y + coef < 0; zero only at ylow). A nonzero product has it, a zero
            // one takes it (bwd_y_one's rule): one bit select, no zero test.
            IntVector productA = ga.reinterpretAsInts().lanewise(VectorOperators.XOR, ya.sub(ylow).reinterpretAsInts());
            FloatVector da = finea.reinterpretAsInts().and(magnitude).or(productA.and(sign)).reinterpretAsFloats()
                    .blend(posa, ya.compare(VectorOperators.GT, zero));
            FloatVector posb = unitScale ? gb : exactScale ? gb.mul(phi) : gb.fma(phi, plo.mul(gb));
            IntVector productB = gb.reinterpretAsInts().lanewise(VectorOperators.XOR, yb.sub(ylow).reinterpretAsInts());
            FloatVector db = fineb.reinterpretAsInts().and(magnitude).or(productB.and(sign)).reinterpretAsFloats()
                    .blend(posb, yb.compare(VectorOperators.GT, zero));

            // As in fromOutputFma.
            IntVector ba = da.reinterpretAsInts();
            IntVector bb = db.reinterpretAsInts();
            IntVector aa = ba.and(magnitude);
            IntVector ab = bb.and(magnitude);
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
            IntVector signs = ba.lanewise(VectorOperators.LSHR, 16).and(signA).or(bb.and(sign));
            oa.or(ob.lanewise(VectorOperators.LSHL, 16)).or(signs).reinterpretAsBytes()
                    .intoMemorySegment(dx, off, ORDER);
        }
        return to;
    }

    /**
     * {@link HalfBackwardFromInput#bf16} for binary16: stops at the first int vector with an
     * infinite or NaN half in dy or x, or with t below -87 (|dy| is below 2^64 here).
     */
    static long fromInput(MemorySegment dy, MemorySegment xs, MemorySegment dx, long from, long to,
            F32Kernels.General b) {
        final long vb = STEP_BYTES;
        final FloatVector zero = FloatVector.zero(F);
        final FloatVector low = FloatVector.broadcast(F, F32Backward.LOW);
        final FloatVector shi = FloatVector.broadcast(F, b.shi());
        final FloatVector slo = FloatVector.broadcast(F, b.slo());
        final FloatVector phi = FloatVector.broadcast(F, b.phi());
        final FloatVector plo = FloatVector.broadcast(F, b.plo());
        final boolean exactScale = b.floatScale();
        final boolean unitScale = b.unitScale();
        final boolean unit = b.unitInput();
        final boolean exactGh = b.exactCis(); // gl is a zero
        final FloatVector cshi = FloatVector.broadcast(F, b.cshi());
        final FloatVector cslo = FloatVector.broadcast(F, b.cslo());
        final FloatVector log2e = FloatVector.broadcast(F, F32Backward.LOG2E);
        final FloatVector shift = FloatVector.broadcast(F, F32Backward.SHIFT);
        final FloatVector minusLn2 = FloatVector.broadcast(F, -F32Backward.LN2);
        final FloatVector minusLn2Lo = FloatVector.broadcast(F, -F32Backward.LN2_LO);
        final FloatVector q0 = FloatVector.broadcast(F, F32Backward.G0);
        final FloatVector q1 = FloatVector.broadcast(F, F32Backward.G1);
        final FloatVector q2 = FloatVector.broadcast(F, F32Backward.G2);
        final FloatVector q3 = FloatVector.broadcast(F, F32Backward.G3);
        final FloatVector q4 = FloatVector.broadcast(F, F32Backward.G4);
        final IntVector magBits = IntVector.broadcast(I, HalfKernels.F16_WIDE_MAGNITUDE);
        final IntVector infBits = IntVector.broadcast(I, HalfKernels.F16_WIDE_INFINITY);
        final IntVector signBit = IntVector.broadcast(I, 0x80000000);
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
            IntVector wg = IntVector.fromMemorySegment(I, dy, off, ORDER);
            IntVector wx = IntVector.fromMemorySegment(I, xs, off, ORDER);
            IntVector mga = wg.lanewise(VectorOperators.LSHL, 13).and(magBits);
            IntVector mgb = wg.lanewise(VectorOperators.LSHR, 3).and(magBits);
            IntVector mxa = wx.lanewise(VectorOperators.LSHL, 13).and(magBits);
            IntVector mxb = wx.lanewise(VectorOperators.LSHR, 3).and(magBits);
            FloatVector ga = mga.or(wg.lanewise(VectorOperators.LSHL, 16).and(signBit))
                    .reinterpretAsFloats().mul(widen);
            FloatVector gb = mgb.or(wg.and(signBit)).reinterpretAsFloats().mul(widen);
            FloatVector xa = mxa.or(wx.lanewise(VectorOperators.LSHL, 16).and(signBit))
                    .reinterpretAsFloats().mul(widen);
            FloatVector xb = mxb.or(wx.and(signBit)).reinterpretAsFloats().mul(widen);

            FloatVector posa = unitScale ? ga : exactScale ? ga.mul(phi) : ga.fma(phi, plo.mul(ga));
            FloatVector tha = unit ? xa : xa.mul(shi);
            FloatVector tla = unit ? zero : slo.fma(xa, shi.fma(xa, tha.neg()));
            FloatVector ka = tha.fma(log2e, shift);
            FloatVector nfa = ka.sub(shift);
            FloatVector rha = nfa.fma(minusLn2, tha);
            FloatVector qa = q4.fma(rha, q3).fma(rha, q2).fma(rha, q1).fma(rha, q0);
            FloatVector loa = nfa.fma(minusLn2Lo, tla);
            FloatVector r2qa = rha.mul(rha).mul(qa);
            FloatVector wa = r2qa.add(loa.fma(rha.add(r2qa), loa));
            FloatVector sa = ka.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector eha = sa.fma(rha, sa);
            FloatVector ela = sa.fma(wa, sa.fma(rha, sa.sub(eha)));
            FloatVector gha = ga.mul(cshi);
            FloatVector finea = exactGh ? gha.fma(eha, gha.mul(ela))
                    : gha.fma(eha, gha.fma(ela, ga.fma(cslo, ga.fma(cshi, gha.neg())).mul(eha)));
            FloatVector da = finea.blend(gha.mul(eha), finea.compare(VectorOperators.EQ, zero))
                    .blend(posa, xa.compare(VectorOperators.GT, zero));

            FloatVector posb = unitScale ? gb : exactScale ? gb.mul(phi) : gb.fma(phi, plo.mul(gb));
            FloatVector thb = unit ? xb : xb.mul(shi);
            FloatVector tlb = unit ? zero : slo.fma(xb, shi.fma(xb, thb.neg()));
            FloatVector kb = thb.fma(log2e, shift);
            FloatVector nfb = kb.sub(shift);
            FloatVector rhb = nfb.fma(minusLn2, thb);
            FloatVector qb = q4.fma(rhb, q3).fma(rhb, q2).fma(rhb, q1).fma(rhb, q0);
            FloatVector lob = nfb.fma(minusLn2Lo, tlb);
            FloatVector r2qb = rhb.mul(rhb).mul(qb);
            FloatVector wb = r2qb.add(lob.fma(rhb.add(r2qb), lob));
            FloatVector sb = kb.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector ehb = sb.fma(rhb, sb);
            FloatVector elb = sb.fma(wb, sb.fma(rhb, sb.sub(ehb)));
            FloatVector ghb = gb.mul(cshi);
            FloatVector fineb = exactGh ? ghb.fma(ehb, ghb.mul(elb))
                    : ghb.fma(ehb, ghb.fma(elb, gb.fma(cslo, gb.fma(cshi, ghb.neg())).mul(ehb)));
            FloatVector db = fineb.blend(ghb.mul(ehb), fineb.compare(VectorOperators.EQ, zero))
                    .blend(posb, xb.compare(VectorOperators.GT, zero));

            // an infinite or NaN half, or t outside the pairs' range (the staged pairs decide per group)
            if (mga.max(mgb).max(mxa.max(mxb)).compare(VectorOperators.GE, infBits).anyTrue()
                    || tha.compare(VectorOperators.GE, low).and(thb.compare(VectorOperators.GE, low)).not().anyTrue()) {
                return off;
            }
            // As in fromOutputFma.
            IntVector ba = da.reinterpretAsInts();
            IntVector bb = db.reinterpretAsInts();
            IntVector aa = ba.and(absMask);
            IntVector ab = bb.and(absMask);
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
            IntVector signs = ba.lanewise(VectorOperators.LSHR, 16).and(signA).or(bb.and(signBit));
            oa.or(ob.lanewise(VectorOperators.LSHL, 16)).or(signs).reinterpretAsBytes()
                    .intoMemorySegment(dx, off, ORDER);
        }
        return to;
    }
}
