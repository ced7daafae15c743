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
 * The bfloat16 backward from the input in one pass: {@link HalfBackward}'s arrangement (each int
 * vector of dy and x split in registers into two float vectors, rounded as {@link HalfElu#bf16}
 * rounds and merged back) around {@link F32Backward}'s pairs from the input, the staged path's
 * bits. It rounds in int lanes everywhere: the packed rounding ({@link HalfElu#PACKED}) made this
 * loop 0.86-0.99x as fast on a Zen 5 (measured in one JVM against the int lanes, ELU, SELU and
 * CELU; why was not looked into). A class of its own beside the loops from the output, which
 * share their arithmetic with each other and not with this one.
 */
final class HalfBackwardFromInput {
    private HalfBackwardFromInput() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final VectorSpecies<Float> F = HalfElu.F;
    private static final VectorSpecies<Integer> I = HalfElu.I;
    /** {@link HalfElu#STEP_BYTES}: one int vector of halves per loop iteration. */
    private static final long STEP_BYTES = HalfElu.STEP_BYTES;

    /**
     * bfloat16 backward from the input where {@link org.elu4j.internal.Op#isGeneralF32Backward()}:
     * {@link #bf16} as {@link Staging#backwardHalfFused} runs it, where an int vector holds whole
     * 16-element groups (8 or 16 int lanes; the staged f32 pairs decide per group, and the slices
     * it gets start at group boundaries), so the bits are the staged path's everywhere. dx may be
     * dy or x (each int vector is loaded before it is stored).
     */
    static void backwardBf16(F32Kernels.General b, Map2 rest, MemorySegment dy, MemorySegment x,
            MemorySegment dx) {
        Staging.backwardHalfFused(HalfBackwardFromInput::bf16, I.length() >= 8, DataType.BF16, b, rest, dy, x, dx);
    }

    /**
     * {@link F32Backward}'s pairs from the input on the two float vectors of each int vector of
     * bfloat16 dy and x over [from, to), rounded as {@link HalfElu#bf16} rounds; stops at the first int
     * vector with an element outside the pairs' range (t below -87 or NaN, |dy| above 2^64) and
     * returns its offset, unwritten; {@code to} if none.
     */
    static long bf16(MemorySegment dy, MemorySegment xs, MemorySegment dx, long from, long to,
            F32Kernels.General b) {
        final long vb = STEP_BYTES;
        final FloatVector zero = FloatVector.zero(F);
        final FloatVector big = FloatVector.broadcast(F, 0x1p64f);
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
        final IntVector one = IntVector.broadcast(I, 1);
        final IntVector roundBias = IntVector.broadcast(I, 0x7FFF);
        final IntVector highHalf = IntVector.broadcast(I, 0xFFFF0000);
        for (long off = from; off < to; off += vb) {
            IntVector wg = IntVector.fromMemorySegment(I, dy, off, ORDER);
            IntVector wx = IntVector.fromMemorySegment(I, xs, off, ORDER);
            FloatVector ga = wg.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector xa = wx.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector gb = wg.and(highHalf).reinterpretAsFloats();
            FloatVector xb = wx.and(highHalf).reinterpretAsFloats();

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

            // outside the pairs' range, and a NaN dy too (which the pairs' range keeps: the staged
            // pairs compute it with the same bits), so that no result below is NaN
            if (tha.compare(VectorOperators.GE, low).and(thb.compare(VectorOperators.GE, low))
                    .and(ga.abs().compare(VectorOperators.LE, big)).and(gb.abs().compare(VectorOperators.LE, big))
                    .not().anyTrue()) {
                return off;
            }
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
