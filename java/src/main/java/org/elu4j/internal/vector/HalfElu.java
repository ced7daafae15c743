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
 * bfloat16 and binary16 ELU forward with {@link org.elu4j.internal.Op#isFastF32Elu()} parameters
 * in one pass ({@link HalfGeneral} is the same for the general forward, {@link HalfBackward} and
 * {@link F16Backward} for the backward in f32 pairs): each int vector of halves is split in
 * registers into two float vectors (the halves in the low and in the high 16 bits of each int
 * lane), run through the float kernel's arithmetic ({@link FloatElu#kernel}'s),
 * rounded and merged back before it is stored. The staged path
 * ({@link Staging#forwardHalf}) widens a chunk into a buffer, runs the float kernel over it and
 * narrows it in a third loop: six vector accesses per float vector against one load and one store
 * per two float vectors here, and no cross-lane conversion (AVX2 has no single instruction for
 * the staged path's int-to-short narrowing).
 *
 * <p>The bits are the staged path's: the widening is exact, the float arithmetic is the float
 * kernel's operation for operation, and the rounding is {@link HalfKernels}'s (the conformance
 * suite checks every bf16/f16 result against the backend's own f32 result rounded). The binary16
 * kernel uses what ELU leaves alone to skip most of the conversion: a lane that is not negative
 * (+-0, positive, +inf) or is NaN comes out as its input pattern (NaN with the quiet bit the
 * staged round trip gives it), so only negative, non-NaN lanes are widened (always as negative
 * values) and rounded (always to a negative result). -inf is widened to -65536 there, which the
 * float kernel clamps to -88 as it clamps -inf: the result, -alpha, is the same.
 *
 * <p>The loops are flat, with their constants in locals, for the reasons in {@link VectorBackend}'s
 * class comment, which is why the float kernel's nine lines appear here twice per loop. They run
 * over whole int vectors of native segments; the last elements and heap segments take the staged
 * path, whose results are the same bits.
 */
final class HalfElu {
    private HalfElu() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** Bytes of halves per loop iteration: one int vector, two float vectors' worth of halves. */
    static final long STEP_BYTES = I.vectorByteSize();

    /** The int vector's halves as short lanes (the packed rounding's). */
    static final VectorSpecies<Short> S = I.withLanes(short.class);
    /**
     * Whether the bfloat16 loops round in the packed halves (the forward loops here and in
     * {@link HalfGeneral}, {@link HalfLeaky}'s, {@link HalfBackward}'s from the output; see
     * {@link HalfBackward#bf16FromOutputUnit}): where the JIT uses AVX-512 (HotSpot's UseAVX 3),
     * whose two-table word permute (vpermi2w) gathers the halves in one instruction. Under AVX2 C2
     * builds that permute from several, and the packed rounding made the loops 1.3-1.8x slower
     * than the int lanes' (measured on a Zen 5 with -XX:UseAVX=2), so they round as before there.
     * A constant: C2 folds the branch. The five lines are written out in each loop: as one static
     * method C2 did not inline them into the larger loops (HalfElu's, HalfGeneral's, the backward's
     * InRange), which then ran about 7x slower with their vectors boxed (VectorBackend's class
     * comment).
     */
    static final boolean PACKED = "3".equals(org.elu4j.internal.VectorChecks.vmOption("UseAVX"));
    /**
     * {@link ShortVector#selectFrom(jdk.incubator.vector.Vector, jdk.incubator.vector.Vector)}'s
     * indices that gather the high 16 bits of each int lane of two vectors (a, then b: lanes
     * {@code S.length()} on) in the order of the halves they came from, a's being the low 16 bits
     * of the int lane: in memory the first of the two halves on a little-endian CPU, the second on
     * a big-endian one.
     */
    static final short[] PICK_HIGH = new short[S.length()];
    /** {@link #PICK_HIGH} for the low 16 bits. */
    static final short[] PICK_LOW = new short[S.length()];

    static {
        boolean little = ORDER == ByteOrder.LITTLE_ENDIAN;
        int high = little ? 1 : 0; // the short lane of an int lane's high 16 bits
        for (int i = 0; i < S.length() / 2; i++) {
            int a = little ? 2 * i : 2 * i + 1;
            int b = a ^ 1;
            PICK_HIGH[a] = (short) (2 * i + high);
            PICK_HIGH[b] = (short) (S.length() + 2 * i + high);
            PICK_LOW[a] = (short) (2 * i + (high ^ 1));
            PICK_LOW[b] = (short) (S.length() + 2 * i + (high ^ 1));
        }
    }

    /**
     * ELU of the halves of {@code src} into {@code dst}: the fused loop over the native part that
     * fills whole iterations, {@code rest} (the staged path with the same parameters) for the
     * remainder or for heap segments.
     */
    static void forward(DataType type, Float alpha, Map1 rest, MemorySegment src, MemorySegment dst) {
        Staging.forwardHalfFused(type == DataType.BF16 ? HalfElu::bf16 : HalfElu::f16, type, alpha, rest, src, dst);
    }

    /** bfloat16 ELU over [from, to) (multiples of {@link #STEP_BYTES}) of native segments; returns {@code to}. */
    static long bf16(MemorySegment src, MemorySegment dst, long from, long to, float alpha) {
        final long vb = STEP_BYTES;
        final FloatVector zero = FloatVector.zero(F);
        final IntVector clampBits = IntVector.broadcast(I, FloatElu.CLAMP_BITS);
        final FloatVector log2e = FloatVector.broadcast(F, FloatElu.LOG2E);
        final FloatVector shift = FloatVector.broadcast(F, FloatElu.SHIFT);
        final FloatVector minusLn2 = FloatVector.broadcast(F, -FloatElu.LN2);
        final FloatVector one = FloatVector.broadcast(F, 1.0f);
        final FloatVector q0 = FloatVector.broadcast(F, FloatElu.Q0);
        final FloatVector q1 = FloatVector.broadcast(F, FloatElu.Q1);
        final FloatVector q2 = FloatVector.broadcast(F, FloatElu.Q2);
        final FloatVector q3 = FloatVector.broadcast(F, FloatElu.Q3);
        final FloatVector q4 = FloatVector.broadcast(F, FloatElu.Q4);
        final FloatVector va = FloatVector.broadcast(F, alpha);
        final IntVector roundBias = IntVector.broadcast(I, 0x7FFF);
        final IntVector lsb = IntVector.broadcast(I, 1);
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
            // Halves 2k in the low 16 bits of int lane k, halves 2k + 1 in the high bits (little
            // endian; the other way round on a big-endian CPU, which changes nothing: each result
            // goes back where its input came from).
            IntVector w = IntVector.fromMemorySegment(I, src, off, ORDER);
            FloatVector xa = w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector xb = w.and(highHalf).reinterpretAsFloats();

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

            // To nearest even, the 16 result bits left in the low (a) or high (b) half; NaN (only
            // where x is NaN: then y is x) keeps its top bits and gets the quiet bit.
            if (PACKED) { // as HalfBackward.bf16FromOutputUnit rounds; NaN x: x's half, quiet
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
                IntVector hib = bb.and(highHalf);
                IntVector oa = ba.add(roundBias).add(hia.and(lsb)).lanewise(VectorOperators.LSHR, 16)
                        .blend(hia.or(quiet), xa.compare(VectorOperators.NE, xa).cast(I));
                IntVector ob = bb.add(roundBias).add(bb.lanewise(VectorOperators.LSHR, 16).and(lsb)).and(highHalf)
                        .blend(hib.or(quietHigh), xb.compare(VectorOperators.NE, xb).cast(I));
                oa.or(ob).reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            }
        }
        return to;
    }

    /**
     * binary16 ELU over [from, to) (multiples of {@link #STEP_BYTES}) of native
     * segments. On each 16-bit pattern {@code h}: the lanes computed are those with
     * {@code h - 0x8001} unsigned below {@code 0x7C00} (0x8001..0xFC00: negative, not -0, not
     * NaN); they are widened as {@code -(bits(m << 13) * 2^112)} with {@code m = h & 0x7FFF}
     * (exact, as {@link HalfKernels#widenF16}) and rounded as {@link HalfKernels#narrowF16} rounds
     * a negative float (normal, subnormal and overflow cases; no NaN, sign known). The other lanes
     * keep {@code h}, NaN with {@link HalfKernels#F16_NAN_QUIET_BIT} moved down to binary16's
     * quiet bit (what the staged widen-then-narrow gives).
     */
    static long f16(MemorySegment src, MemorySegment dst, long from, long to, float alpha) {
        final long vb = STEP_BYTES;
        final IntVector clampBits = IntVector.broadcast(I, FloatElu.CLAMP_BITS);
        final FloatVector log2e = FloatVector.broadcast(F, FloatElu.LOG2E);
        final FloatVector shift = FloatVector.broadcast(F, FloatElu.SHIFT);
        final FloatVector minusLn2 = FloatVector.broadcast(F, -FloatElu.LN2);
        final FloatVector one = FloatVector.broadcast(F, 1.0f);
        final FloatVector q0 = FloatVector.broadcast(F, FloatElu.Q0);
        final FloatVector q1 = FloatVector.broadcast(F, FloatElu.Q1);
        final FloatVector q2 = FloatVector.broadcast(F, FloatElu.Q2);
        final FloatVector q3 = FloatVector.broadcast(F, FloatElu.Q3);
        final FloatVector q4 = FloatVector.broadcast(F, FloatElu.Q4);
        final FloatVector va = FloatVector.broadcast(F, alpha);
        final IntVector magMask = IntVector.broadcast(I, 0x7FFF);
        final IntVector low16 = IntVector.broadcast(I, 0xFFFF);
        final IntVector negFirst = IntVector.broadcast(I, 0x8001);
        final IntVector negCount = IntVector.broadcast(I, 0x7C00);
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
            // Halves 2k (a) and 2k + 1 (b) of int lane k, as in bf16 above, zero-extended.
            IntVector w = IntVector.fromMemorySegment(I, src, off, ORDER);
            IntVector ha = w.and(low16);
            IntVector hb = w.lanewise(VectorOperators.LSHR, 16);
            IntVector ma = ha.and(magMask);
            IntVector mb = hb.and(magMask);
            VectorMask<Integer> nega = ha.sub(negFirst).compare(VectorOperators.ULT, negCount);
            VectorMask<Integer> negb = hb.sub(negFirst).compare(VectorOperators.ULT, negCount);
            FloatVector xa = ma.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(widen);
            FloatVector xb = mb.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(widen);

            FloatVector ca = xa.reinterpretAsInts().min(clampBits).reinterpretAsFloats();
            FloatVector ta = ca.fma(log2e, shift);
            FloatVector ra = ta.sub(shift).fma(minusLn2, ca);
            FloatVector sa = ta.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector qa = q4.fma(ra, q3).fma(ra, q2).fma(ra, q1).fma(ra, q0);
            FloatVector pa = ra.mul(ra).fma(qa, ra);
            FloatVector ea = sa.fma(pa, sa.sub(one));
            FloatVector ya = ea.mul(va);

            FloatVector cb = xb.reinterpretAsInts().min(clampBits).reinterpretAsFloats();
            FloatVector tb = cb.fma(log2e, shift);
            FloatVector rb = tb.sub(shift).fma(minusLn2, cb);
            FloatVector sb = tb.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector qb = q4.fma(rb, q3).fma(rb, q2).fma(rb, q1).fma(rb, q0);
            FloatVector pb = rb.mul(rb).fma(qb, rb);
            FloatVector eb = sb.fma(pb, sb.sub(one));
            FloatVector yb = eb.mul(va);

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
