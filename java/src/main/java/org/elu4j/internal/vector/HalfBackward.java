package org.elu4j.internal.vector;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.elu4j.DataType;
import org.elu4j.internal.HalfFloats;
import org.elu4j.internal.vector.Staging.Map2;

/**
 * The bfloat16 backward in one pass, as {@link HalfElu} runs the half types' forward: each int
 * vector of dy and of x or y is split in registers into two float vectors (the halves in the low
 * and in the high 16 bits of each int lane), run through {@link F32Backward}'s arithmetic, rounded
 * as {@link HalfElu#bf16} rounds and merged back before it is stored: from the output in
 * {@link F32Backward#eluBackwardFromOutputFma}'s case (e.g. ELU with alpha 1) and in its pairs
 * (SELU, CELU, ...); from the input, {@link HalfBackwardFromInput}. {@link F16Backward} is the
 * same for binary16 and shares {@link Staging#backwardHalfFused}.
 *
 * <p>The bits are the staged path's ({@link Staging#backwardHalf} with the f32 kernel): the
 * widening is exact and the float arithmetic is the f32 kernel's operation for operation; an int
 * vector the fused loop leaves (from the input an element outside the pairs' range or a NaN dy;
 * from the output an infinite or NaN product, or in the pairs a huge operand) goes to the staged
 * path, and so do the last elements and heap segments. Those are the lanes that would need the
 * rounding's NaN case, which the fused loops therefore leave out. The loops are flat, with their
 * constants in locals, for the reasons in {@link VectorBackend}'s class comment, which is why the
 * f32 kernels' lines appear here twice per loop.
 */
final class HalfBackward {
    private HalfBackward() {
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
     * bfloat16 ELU backward from the output where {@link org.elu4j.internal.Op#isGeneralF32Backward()}:
     * {@link #bf16FromOutputFma} where {@code b.fmaY()}, else {@link #bf16FromOutputInRange} where
     * {@link #bf16OutputsInRange}, else {@link #bf16FromOutputPairs}, as
     * {@link Staging#backwardHalfFused} runs them. dx may be dy or y (each int vector is loaded before it
     * is stored).
     */
    static void backwardFromOutputBf16(F32Kernels.General b, Map2 rest, MemorySegment dy, MemorySegment y,
            MemorySegment dx) {
        Staging.backwardHalfFused(b.fmaY() ? (b.chi() == 1f && b.unitScale() && PACKED ? HalfBackward::bf16FromOutputUnit
                : HalfBackward::bf16FromOutputFma)
                : bf16OutputsInRange(b) ? HalfBackward::bf16FromOutputInRange : HalfBackward::bf16FromOutputPairs,
                true, DataType.BF16, b, rest, dy, y, dx);
    }

    /**
     * Whether every bfloat16 output of the function is at least {@code ylow}: its lowest, -coef
     * rounded to bfloat16 (from the double or from its float {@code -chi}; where {@code -chi} lies
     * halfway between two bfloat16 values, the lower of them), is. Then {@link #bf16FromOutputInRange}
     * leaves no output lane to the staged path; for an alpha whose rounding falls below
     * {@code ylow} every saturated lane would leave it.
     */
    static boolean bf16OutputsInRange(F32Kernels.General b) {
        int bits = Float.floatToRawIntBits(-b.chi());
        float lowest = (bits & 0xFFFF) == 0x8000 ? Float.intBitsToFloat((bits & 0xFFFF0000) + 0x10000)
                : HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(-b.chi()));
        return lowest >= b.ylow();
    }

    /**
     * {@link F32Backward}'s common loop from the output (lanes {@code y > 0} or in
     * {@code [ylow, 0]} with {@code |dy| <= 2^64}: no zero test, dy's sign by a bit select, {@code sh}
     * negated with an input scale) on the two float vectors of each int vector of bfloat16 dy and
     * y over [from, to), rounded as {@link HalfElu#bf16} rounds; stops at the first int vector with
     * another lane and returns its offset, unwritten; {@code to} if none. A NaN dy or y is such a
     * lane, and a lane {@code y > 0} takes the positive side, so no result here is NaN and the
     * rounding needs no NaN case. Where {@link #bf16OutputsInRange}: every output's lanes pass.
     */
    static long bf16FromOutputInRange(MemorySegment dy, MemorySegment xy, MemorySegment dx, long from, long to,
            F32Kernels.General b) {
        final long vb = STEP_BYTES;
        final FloatVector zero = FloatVector.zero(F);
        final IntVector sign = IntVector.broadcast(I, 0x80000000);
        final IntVector magnitude = IntVector.broadcast(I, 0x7FFFFFFF);
        final IntVector limit = IntVector.broadcast(I, Float.floatToRawIntBits(-0x1p64f)); // as F32Backward's
        final FloatVector ylow = FloatVector.broadcast(F, b.ylow());
        final FloatVector chi = FloatVector.broadcast(F, b.chi());
        final FloatVector negChi = FloatVector.broadcast(F, -b.chi());
        final FloatVector clo = FloatVector.broadcast(F, b.clo());
        final FloatVector shi = FloatVector.broadcast(F, b.shi());
        final FloatVector negShi = FloatVector.broadcast(F, -b.shi());
        final FloatVector negSlo = FloatVector.broadcast(F, -b.slo());
        final FloatVector phi = FloatVector.broadcast(F, b.phi());
        final FloatVector plo = FloatVector.broadcast(F, b.plo());
        final boolean exactScale = b.floatScale();
        final boolean unitScale = b.unitScale();
        final boolean unit = b.unitInput();
        final IntVector highHalf = IntVector.broadcast(I, 0xFFFF0000);
        final IntVector one = IntVector.broadcast(I, 1);
        final IntVector roundBias = IntVector.broadcast(I, 0x7FFF);
        final ShortVector pickHigh = ShortVector.fromArray(S, PICK_HIGH, 0);
        final ShortVector pickLow = ShortVector.fromArray(S, PICK_LOW, 0);
        final ShortVector oneS = ShortVector.broadcast(S, (short) 1);
        final ShortVector halfS = ShortVector.broadcast(S, (short) 0x8000);
        for (long off = from; off < to; off += vb) {
            IntVector wg = IntVector.fromMemorySegment(I, dy, off, ORDER);
            IntVector wy = IntVector.fromMemorySegment(I, xy, off, ORDER);
            IntVector gia = wg.lanewise(VectorOperators.LSHL, 16);
            IntVector gib = wg.and(highHalf);
            FloatVector ga = gia.reinterpretAsFloats();
            FloatVector gb = gib.reinterpretAsFloats();
            FloatVector ya = wy.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector yb = wy.and(highHalf).reinterpretAsFloats();
            // y >= ylow is false for NaN; |dy| <= 2^64 for both halves in one unsigned compare
            if (!ya.compare(VectorOperators.GE, ylow).and(yb.compare(VectorOperators.GE, ylow))
                    .and(gia.or(sign).lanewise(VectorOperators.UMAX, gib.or(sign))
                            .compare(VectorOperators.ULE, limit).cast(F)).allTrue()) {
                return off;
            }
            FloatVector finea;
            FloatVector fineb;
            if (unit) {
                FloatVector sha = chi.add(ya);
                finea = ga.fma(sha, ga.mul(ya.sub(sha.sub(chi)).add(clo)));
                FloatVector shb = chi.add(yb);
                fineb = gb.fma(shb, gb.mul(yb.sub(shb.sub(chi)).add(clo)));
            } else {
                FloatVector nsa = negChi.sub(ya);
                FloatVector sla = ya.add(nsa.add(chi)).add(clo);
                FloatVector aha = nsa.mul(negShi);
                FloatVector ala = sla.fma(shi, nsa.mul(negSlo)).sub(nsa.fma(shi, aha));
                finea = ga.fma(aha, ga.mul(ala));
                FloatVector nsb = negChi.sub(yb);
                FloatVector slb = yb.add(nsb.add(chi)).add(clo);
                FloatVector ahb = nsb.mul(negShi);
                FloatVector alb = slb.fma(shi, nsb.mul(negSlo)).sub(nsb.fma(shi, ahb));
                fineb = gb.fma(ahb, gb.mul(alb));
            }
            FloatVector posa = unitScale ? ga : exactScale ? ga.mul(phi) : ga.fma(phi, plo.mul(ga));
            FloatVector da = finea.reinterpretAsInts().and(magnitude).or(gia.and(sign)).reinterpretAsFloats()
                    .blend(posa, ya.compare(VectorOperators.GT, zero));
            FloatVector posb = unitScale ? gb : exactScale ? gb.mul(phi) : gb.fma(phi, plo.mul(gb));
            FloatVector db = fineb.reinterpretAsInts().and(magnitude).or(gib.and(sign)).reinterpretAsFloats()
                    .blend(posb, yb.compare(VectorOperators.GT, zero));

            // To nearest even, as in HalfElu.bf16 (see above: no NaN here).
            if (PACKED) { // see bf16FromOutputUnit
                ShortVector sa = da.reinterpretAsShorts();
                ShortVector sb = db.reinterpretAsShorts();
                ShortVector high = pickHigh.selectFrom(sa, sb);
                high.add(oneS, pickLow.selectFrom(sa, sb).or(high.and(oneS)).compare(VectorOperators.UGT, halfS))
                        .intoMemorySegment(dx, off, ORDER);
            } else {
                IntVector ba = da.reinterpretAsInts();
                IntVector bb = db.reinterpretAsInts();
                IntVector oa = ba.add(roundBias).add(ba.lanewise(VectorOperators.LSHR, 16).and(one))
                        .lanewise(VectorOperators.LSHR, 16);
                IntVector ob = bb.add(roundBias).add(bb.lanewise(VectorOperators.LSHR, 16).and(one)).and(highHalf);
                oa.or(ob).reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
            }
        }
        return to;
    }

    /**
     * {@link F32Backward}'s ordinary loop from the output (the pairs {@code sh + sl} and
     * {@code ah + al}, its exit test) on the two float vectors of each int vector of bfloat16 dy
     * and y over [from, to), rounded as {@link HalfElu#bf16} rounds; stops at the first int vector
     * with a lane that loop would leave to its full loop and returns its offset, unwritten;
     * {@code to} if none.
     */
    static long bf16FromOutputPairs(MemorySegment dy, MemorySegment xy, MemorySegment dx, long from, long to,
            F32Kernels.General b) {
        final long vb = STEP_BYTES;
        final FloatVector zero = FloatVector.zero(F);
        final IntVector sign = IntVector.broadcast(I, 0x80000000);
        final IntVector magnitude = IntVector.broadcast(I, 0x7FFFFFFF);
        final IntVector limit = IntVector.broadcast(I, Float.floatToRawIntBits(0x1p64f));
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
        final IntVector one = IntVector.broadcast(I, 1);
        final IntVector roundBias = IntVector.broadcast(I, 0x7FFF);
        final ShortVector pickHigh = ShortVector.fromArray(S, PICK_HIGH, 0);
        final ShortVector pickLow = ShortVector.fromArray(S, PICK_LOW, 0);
        final ShortVector oneS = ShortVector.broadcast(S, (short) 1);
        final ShortVector halfS = ShortVector.broadcast(S, (short) 0x8000);
        final IntVector highHalf = IntVector.broadcast(I, 0xFFFF0000);
        for (long off = from; off < to; off += vb) {
            IntVector wg = IntVector.fromMemorySegment(I, dy, off, ORDER);
            IntVector wy = IntVector.fromMemorySegment(I, xy, off, ORDER);
            FloatVector ga = wg.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector ya = wy.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector gb = wg.and(highHalf).reinterpretAsFloats();
            FloatVector yb = wy.and(highHalf).reinterpretAsFloats();

            FloatVector sha = chi.add(ya);
            FloatVector sla = ya.sub(sha.sub(chi)).add(clo);
            FloatVector aha = unit ? sha : sha.mul(shi);
            FloatVector ala = unit ? sla : sha.fma(shi, aha.neg()).add(sla.fma(shi, sha.mul(slo)));
            FloatVector finea = ga.fma(aha, ga.mul(ala));
            IntVector fma = finea.reinterpretAsInts().and(magnitude);
            IntVector ma = unit ? fma : fma.max(ga.reinterpretAsInts().and(magnitude))
                    .max(ya.reinterpretAsInts().lanewise(VectorOperators.XOR, sign));

            FloatVector shb = chi.add(yb);
            FloatVector slb = yb.sub(shb.sub(chi)).add(clo);
            FloatVector ahb = unit ? shb : shb.mul(shi);
            FloatVector alb = unit ? slb : shb.fma(shi, ahb.neg()).add(slb.fma(shi, shb.mul(slo)));
            FloatVector fineb = gb.fma(ahb, gb.mul(alb));
            IntVector fmb = fineb.reinterpretAsInts().and(magnitude);
            IntVector mb = unit ? fmb : fmb.max(gb.reinterpretAsInts().and(magnitude))
                    .max(yb.reinterpretAsInts().lanewise(VectorOperators.XOR, sign));

            if (ma.max(mb).compare(VectorOperators.GT, limit).anyTrue()) {
                return off;
            }
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

            // To nearest even, as in HalfElu.bf16, without its NaN case: a NaN dy or y makes the
            // product NaN, and such an int vector left above, so no result here is NaN.
            if (PACKED) { // see bf16FromOutputUnit
                ShortVector sa = da.reinterpretAsShorts();
                ShortVector sb = db.reinterpretAsShorts();
                ShortVector high = pickHigh.selectFrom(sa, sb);
                high.add(oneS, pickLow.selectFrom(sa, sb).or(high.and(oneS)).compare(VectorOperators.UGT, halfS))
                        .intoMemorySegment(dx, off, ORDER);
            } else {
                IntVector ba = da.reinterpretAsInts();
                IntVector bb = db.reinterpretAsInts();
                IntVector oa = ba.add(roundBias).add(ba.lanewise(VectorOperators.LSHR, 16).and(one))
                        .lanewise(VectorOperators.LSHR, 16);
                IntVector ob = bb.add(roundBias).add(bb.lanewise(VectorOperators.LSHR, 16).and(one)).and(highHalf);
                oa.or(ob).reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
            }
        }
        return to;
    }

    /**
     * ELU(1)'s backward from the output ({@code b.fmaY()} with {@code chi} and the scale 1):
     * {@code fma(dy, min(y, 0), dy)} on the two float vectors of each int vector of bfloat16 dy and
     * y over [from, to), which is {@link #bf16FromOutputFma}'s {@code fma(dy, y, dy)} where
     * {@code y <= 0} and dy itself where {@code y > 0} (the minimum taken on the bit patterns: y
     * where its sign bit is set, else +0), with dy's sign: for an output ({@code y >= -1}) the
     * exact product {@code dy * (y + 1)} has it or is a zero that takes it, as
     * {@link #bf16FromOutputInRange} argues. Stops at the first int vector with a lane
     * {@code y < -1} or NaN, or a dy that makes the fma infinite or NaN, and returns its offset,
     * unwritten; {@code to} if none (so no result here is NaN). Rounded to nearest even in the
     * packed halves: {@link HalfElu#PICK_HIGH} gathers each float's high 16 bits (the result
     * truncated) and {@link HalfElu#PICK_LOW} its low 16, which round the half up where they
     * exceed 0x8000, or equal it and the half is odd: where {@code low | (high & 1)} exceeds
     * 0x8000 (unsigned). Five operations for two float vectors where the int lanes take eleven.
     * Only where {@link HalfElu#PACKED}: under AVX2 this loop was 0.90x {@link #bf16FromOutputFma}
     * (its short compares and minimum cost more there), which runs instead.
     */
    static long bf16FromOutputUnit(MemorySegment dy, MemorySegment xy, MemorySegment dx, long from, long to,
            F32Kernels.General b) {
        final long vb = STEP_BYTES;
        final IntVector zero = IntVector.zero(I);
        final IntVector sign = IntVector.broadcast(I, 0x80000000);
        final IntVector highHalf = IntVector.broadcast(I, 0xFFFF0000);
        final ShortVector minusOne = ShortVector.broadcast(S, (short) 0xBF80);
        final ShortVector plusInf = ShortVector.broadcast(S, (short) 0x7F80);
        final ShortVector magnitude = ShortVector.broadcast(S, (short) 0x7FFF);
        final ShortVector finite = ShortVector.broadcast(S, (short) 0x7F7F); // bf16's largest finite magnitude
        final ShortVector pickHigh = ShortVector.fromArray(S, PICK_HIGH, 0);
        final ShortVector pickLow = ShortVector.fromArray(S, PICK_LOW, 0);
        final ShortVector one = ShortVector.broadcast(S, (short) 1);
        final ShortVector half = ShortVector.broadcast(S, (short) 0x8000);
        for (long off = from; off < to; off += vb) {
            IntVector wg = IntVector.fromMemorySegment(I, dy, off, ORDER);
            IntVector wy = IntVector.fromMemorySegment(I, xy, off, ORDER);
            IntVector gia = wg.lanewise(VectorOperators.LSHL, 16);
            IntVector gib = wg.and(highHalf);
            IntVector yia = wy.lanewise(VectorOperators.LSHL, 16);
            IntVector yib = wy.and(highHalf);
            // On the halves' bits: y in [-1, +inf] (at most bits(-1) unsigned: the positives and
            // [-0, -1]; at most bits(+inf) signed: no positive NaN), dy finite (an infinite dy
            // would make inf * (y + 1) NaN where y = -0).
            ShortVector hy = wy.reinterpretAsShorts();
            if (!hy.compare(VectorOperators.ULE, minusOne).and(hy.compare(VectorOperators.LE, plusInf))
                    .and(wg.reinterpretAsShorts().and(magnitude).compare(VectorOperators.ULE, finite)).allTrue()) {
                return off;
            }
            FloatVector ga = gia.reinterpretAsFloats();
            FloatVector gb = gib.reinterpretAsFloats();
            IntVector fa = ga.fma(yia.min(zero).reinterpretAsFloats(), ga).reinterpretAsInts();
            IntVector fb = gb.fma(yib.min(zero).reinterpretAsFloats(), gb).reinterpretAsInts();
            // dy's sign in the product's bits: fa ^ ((fa ^ dy) & sign), one bit select
            ShortVector sa = fa.lanewise(VectorOperators.XOR, fa.lanewise(VectorOperators.XOR, gia).and(sign))
                    .reinterpretAsShorts();
            ShortVector sb = fb.lanewise(VectorOperators.XOR, fb.lanewise(VectorOperators.XOR, gib).and(sign))
                    .reinterpretAsShorts();
            ShortVector high = pickHigh.selectFrom(sa, sb);
            high.add(one, pickLow.selectFrom(sa, sb).or(high.and(one)).compare(VectorOperators.UGT, half))
                    .intoMemorySegment(dx, off, ORDER);
        }
        return to;
    }

    /**
     * {@link F32Backward#eluBackwardFromOutputFma}'s operations on the two float vectors of each
     * int vector of bfloat16 dy and y over [from, to), rounded as {@link HalfElu#bf16} rounds;
     * stops at the first int vector with an infinite or NaN fma result (an infinite or NaN
     * operand, or an overflow: rare) and returns its offset, unwritten; {@code to} if none. A zero
     * result takes {@code dy * (chi + y)} here (sparse gradients are common), which is finite
     * where the fma is, so no result below is NaN and the rounding needs no NaN case.
     */
    static long bf16FromOutputFma(MemorySegment dy, MemorySegment xy, MemorySegment dx, long from, long to,
            F32Kernels.General b) {
        final long vb = STEP_BYTES;
        final FloatVector zero = FloatVector.zero(F);
        final IntVector magnitude = IntVector.broadcast(I, 0x7FFFFFFF);
        final IntVector maxBits = IntVector.broadcast(I, F32Kernels.FLOAT_MAX_BITS);
        final IntVector one = IntVector.broadcast(I, 1);
        final FloatVector chi = FloatVector.broadcast(F, b.chi());
        final FloatVector phi = FloatVector.broadcast(F, b.phi());
        final FloatVector plo = FloatVector.broadcast(F, b.plo());
        final boolean exactScale = b.floatScale();
        final boolean unitScale = b.unitScale();
        final IntVector roundBias = IntVector.broadcast(I, 0x7FFF);
        final IntVector highHalf = IntVector.broadcast(I, 0xFFFF0000);
        for (long off = from; off < to; off += vb) {
            IntVector wg = IntVector.fromMemorySegment(I, dy, off, ORDER);
            IntVector wy = IntVector.fromMemorySegment(I, xy, off, ORDER);
            FloatVector ga = wg.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector ya = wy.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector gb = wg.and(highHalf).reinterpretAsFloats();
            FloatVector yb = wy.and(highHalf).reinterpretAsFloats();

            FloatVector finea = ga.fma(ya, ga.mul(chi));
            FloatVector fineb = gb.fma(yb, gb.mul(chi));
            if (finea.reinterpretAsInts().and(magnitude).max(fineb.reinterpretAsInts().and(magnitude))
                    .compare(VectorOperators.GT, maxBits).anyTrue()) {
                return off;
            }
            FloatVector posa = unitScale ? ga : exactScale ? ga.mul(phi) : ga.fma(phi, plo.mul(ga));
            FloatVector da = finea.blend(ga.mul(chi.add(ya)), finea.compare(VectorOperators.EQ, zero))
                    .blend(posa, ya.compare(VectorOperators.GT, zero));
            FloatVector posb = unitScale ? gb : exactScale ? gb.mul(phi) : gb.fma(phi, plo.mul(gb));
            FloatVector db = fineb.blend(gb.mul(chi.add(yb)), fineb.compare(VectorOperators.EQ, zero))
                    .blend(posb, yb.compare(VectorOperators.GT, zero));

            // To nearest even, as in HalfElu.bf16, without its NaN case (see above).
            IntVector ba = da.reinterpretAsInts();
            IntVector bb = db.reinterpretAsInts();
            IntVector oa = ba.add(roundBias).add(ba.lanewise(VectorOperators.LSHR, 16).and(one))
                    .lanewise(VectorOperators.LSHR, 16);
            IntVector ob = bb.add(roundBias).add(bb.lanewise(VectorOperators.LSHR, 16).and(one)).and(highHalf);
            oa.or(ob).reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
        return to;
    }
}
