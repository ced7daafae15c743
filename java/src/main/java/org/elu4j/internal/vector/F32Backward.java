package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ELU backward in f32 pairs ({@link org.elu4j.internal.Op#isGeneralF32Backward()}), from the input
 * ({@link #eluFromInput}) and from the output ({@link #eluBackwardFromOutputF32},
 * {@link #eluBackwardFromOutputFma}). From the input:
 * the helper's {@code bwd_x_one} (native/src/kernels_bwd.h has the algorithm and why it is within
 * 1 ulp), operation for operation, so the same bits as the helper wherever the pairs run.
 *
 * <p>The helper decides per group of 16 elements, counted from the start of the call: a group
 * with an element whose {@code t = shi * x} is below -87 or NaN, or whose {@code |dy|} exceeds
 * 2<sup>64</sup>, runs in double instead. This kernel decides on the same groups (64 bytes; the
 * driver hands it byte counts that start at a group boundary and, with 8 or more float lanes,
 * whole groups), and computes such a group lane by lane in double with {@link Math#exp} (within
 * 1 ulp too, not necessarily the helper's bits). With 4 float lanes the driver's blocks are 32
 * bytes and a group may be split between two calls: still within 1 ulp. Where a vector holds whole
 * groups (16 lanes) the test runs in the pairs' loop, before each store; a separate pass over dy
 * and x first, which narrower vectors need (dx may be dy, so a group is tested before any of it
 * is stored), reads both twice (docs/benchmarks.md has the figures). Two 8-lane vectors per
 * iteration, tested together, were slower than that pass on AVX2 (sixteen registers).
 *
 * <p>The positive side is dy itself where the scale is 1 (ELU, CELU: the helper's pos_kind 0),
 * {@code dy * phi} where it is another float ({@code plo = 0}; {@code plo * dy} would make an
 * infinite dy NaN), else {@code phi * dy + plo * dy} in one
 * fma ({@code plo > 0}: the scale is positive in the pairs' range and phi is rounded toward zero,
 * so an infinite dy gives two infinities of one sign), as the helper's pos_kind; the test is
 * loop-invariant, so C2 compiles the loop once per outcome (loop unswitching).
 *
 * <p>From the input, with input scale 1 the input is {@code th} and {@code tl} a zero (what the
 * general formula gives there, as the helper's unit branch), and where {@code dy * cis} is one
 * float's product (cis a power of two) its error term {@code gl} is left out (a zero there):
 * loop-invariant tests again.
 */
final class F32Backward {
    private F32Backward() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final VectorSpecies<Float> F = F32Kernels.F;
    private static final VectorSpecies<Integer> FI = F32Kernels.FI;
    /** The helper's group: 16 floats. */
    static final long GROUP_BYTES = 64;
    static final float LOW = -87.0f;
    static final float LOG2E = 0x1.715476p0f;
    static final float LN2 = 0x1.62e430p-1f;
    static final float SHIFT = 0x1.8000fep23f;
    /** ln 2 - LN2 (the helper's FAM_LN2_LO_F): exp, unlike expm1 near -1, feels f32 ln 2's error. */
    static final float LN2_LO = -0x1.05c610p-29f;
    /** The helper's ELU4J_GQ0..4, as {@link F32Kernels}'s general kernel. */
    static final float G0 = 0x1.fffffep-2f, G1 = 0x1.5554b4p-3f, G2 = 0x1.5556f2p-5f, G3 = 0x1.122552p-7f,
            G4 = 0x1.6b9c86p-10f;

    /**
     * dx for dy and x ({@code bytes} from offset 0, a multiple of the vector size; dx may be dy);
     * {@code cis}, {@code scale}, {@code inputScale} for the groups in double.
     */
    static void eluFromInput(MemorySegment dy, MemorySegment xs, MemorySegment dx, long bytes,
            F32Kernels.General b, double cis, double scale, double inputScale) {
        if (F.vectorByteSize() < GROUP_BYTES) { // a group spans vectors: test them all first
            if (anyOutside(dy, xs, 0, bytes, b)) {
                byGroups(dy, xs, dx, 0, bytes, b, cis, scale, inputScale);
            } else {
                pairs(dy, xs, dx, 0, bytes, b, false);
            }
            return;
        }
        long off = 0;
        while (off < bytes) {
            off = pairs(dy, xs, dx, off, bytes, b, true);
            if (off < bytes) { // a vector with an element outside the pairs' range
                byGroups(dy, xs, dx, off, off + F.vectorByteSize(), b, cis, scale, inputScale);
                off += F.vectorByteSize();
            }
        }
    }

    /** [from, to), each group in the pairs or, with an element outside their range, in double. */
    private static void byGroups(MemorySegment dy, MemorySegment xs, MemorySegment dx, long from, long to,
            F32Kernels.General b, double cis, double scale, double inputScale) {
        final long group = Math.max(GROUP_BYTES, F.vectorByteSize());
        for (long start = from; start < to; start += group) {
            long end = Math.min(start + group, to);
            if (anyOutside(dy, xs, start, end, b)) {
                inDouble(dy, xs, dx, start, end, cis, scale, inputScale);
            } else {
                pairs(dy, xs, dx, start, end, b, false);
            }
        }
    }

    /** Whether an element in [from, to) is outside the pairs' range ({@code t < -87} or NaN, {@code |dy| > 2^64}). */
    private static boolean anyOutside(MemorySegment dy, MemorySegment xs, long from, long to, F32Kernels.General b) {
        final long vb = F.vectorByteSize();
        final FloatVector big = FloatVector.broadcast(F, 0x1p64f);
        final FloatVector low = FloatVector.broadcast(F, LOW);
        final FloatVector shi = FloatVector.broadcast(F, b.shi());
        // A test per vector, not a mask carried through the loop: C2 gave up on that one
        // ("out of stack space") and left the method to C1, which boxes every vector.
        for (long off = from; off < to; off += vb) {
            FloatVector g = FloatVector.fromMemorySegment(F, dy, off, ORDER);
            FloatVector x = FloatVector.fromMemorySegment(F, xs, off, ORDER);
            VectorMask<Float> out = x.mul(shi).compare(VectorOperators.GE, low).not()
                    .or(g.abs().compare(VectorOperators.GT, big));
            if (out.anyTrue()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The pairs over [from, to): one flat loop, every vector's loads before its store. With
     * {@code check} (vectors of whole groups only) it stops at the first vector with an element
     * outside the pairs' range ({@link #anyOutside}'s test) and returns its offset, unwritten;
     * else, or if there is none, it returns {@code to}. {@code check} is loop-invariant: C2
     * compiles the loop once per value (unswitching), so the loop without it tests nothing.
     */
    private static long pairs(MemorySegment dy, MemorySegment xs, MemorySegment dx, long from, long to,
            F32Kernels.General b, boolean check) {
        final long vb = F.vectorByteSize();
        final FloatVector zero = FloatVector.zero(F);
        final FloatVector big = FloatVector.broadcast(F, 0x1p64f);
        final FloatVector low = FloatVector.broadcast(F, LOW);
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
        final FloatVector log2e = FloatVector.broadcast(F, LOG2E);
        final FloatVector shift = FloatVector.broadcast(F, SHIFT);
        final FloatVector minusLn2 = FloatVector.broadcast(F, -LN2);
        final FloatVector minusLn2Lo = FloatVector.broadcast(F, -LN2_LO);
        final FloatVector q0 = FloatVector.broadcast(F, G0);
        final FloatVector q1 = FloatVector.broadcast(F, G1);
        final FloatVector q2 = FloatVector.broadcast(F, G2);
        final FloatVector q3 = FloatVector.broadcast(F, G3);
        final FloatVector q4 = FloatVector.broadcast(F, G4);
        for (long off = from; off < to; off += vb) {
            FloatVector g = FloatVector.fromMemorySegment(F, dy, off, ORDER);
            FloatVector x = FloatVector.fromMemorySegment(F, xs, off, ORDER);
            FloatVector pos = unitScale ? g : exactScale ? g.mul(phi) : g.fma(phi, plo.mul(g));
            FloatVector th = unit ? x : x.mul(shi);
            FloatVector tl = unit ? zero : slo.fma(x, shi.fma(x, th.neg()));
            FloatVector k = th.fma(log2e, shift);
            FloatVector nf = k.sub(shift);
            FloatVector rh = nf.fma(minusLn2, th);
            FloatVector q = q4.fma(rh, q3).fma(rh, q2).fma(rh, q1).fma(rh, q0);
            FloatVector lo = nf.fma(minusLn2Lo, tl);
            FloatVector r2q = rh.mul(rh).mul(q);
            FloatVector w = r2q.add(lo.fma(rh.add(r2q), lo));
            FloatVector s = k.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector eh = s.fma(rh, s);
            FloatVector el = s.fma(w, s.fma(rh, s.sub(eh)));
            FloatVector gh = g.mul(cshi);
            FloatVector fine = exactGh ? gh.fma(eh, gh.mul(el))
                    : gh.fma(eh, gh.fma(el, g.fma(cslo, g.fma(cshi, gh.neg())).mul(eh)));
            FloatVector neg = fine.blend(gh.mul(eh), fine.compare(VectorOperators.EQ, zero));
            if (check && th.compare(VectorOperators.GE, low).not().or(g.abs().compare(VectorOperators.GT, big)).anyTrue()) {
                return off;
            }
            neg.blend(pos, x.compare(VectorOperators.GT, zero)).reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
        return to;
    }

    /** A group outside the pairs' range: in double, rounded once. */
    private static void inDouble(MemorySegment dy, MemorySegment xs, MemorySegment dx, long start, long end,
            double cis, double scale, double inputScale) {
        for (long off = start; off < end; off += Float.BYTES) {
            double g = dy.get(JAVA_FLOAT_UNALIGNED, off);
            float x = xs.get(JAVA_FLOAT_UNALIGNED, off);
            float r = x > 0 ? (float) (g * scale) : (float) ((g * cis) * Math.exp(x * inputScale));
            dx.set(JAVA_FLOAT_UNALIGNED, off, Float.isNaN(x) ? x + x : r);
        }
    }

    /**
     * ELU backward from the output in f32 pairs ({@link org.elu4j.internal.Op#isGeneralF32Backward()}): the helper's
     * {@code bwd_y_one} (kernels_bwd.h has the algorithm: within 1 ulp), operation for operation,
     * so the same bits for every non-NaN result (the positive side as in the class comment).
     *
     * <p>{@link #fromOutputFine} runs the common case, every lane {@code y > 0} or in
     * {@code [ylow, 0]} with {@code |dy| <= 2^64}, and stops at a vector with any other lane, which
     * {@link #fromOutputFull} computes with every branch of bwd_y_one.
     */
    static void eluBackwardFromOutputF32(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes,
            F32Kernels.General b) {
        final long vb = F.vectorByteSize();
        long off = 0;
        while (off < bytes) {
            off = fromOutputFine(dy, xy, dx, off, bytes, b);
            if (off < bytes) {
                fromOutputFull(dy, xy, dx, off, off + vb, b);
                off += vb;
            }
        }
    }

    /**
     * The backward from the output over [from, to) while every lane is ordinary: returns the
     * offset of the first vector, unwritten, with a lane {@code y <= 0} outside
     * {@code [ylow, 0]} (NaN among them) or with {@code |dy| > 2^64} (NaN and infinities among
     * them); {@code to} if none. In those lanes {@code y + coef > 0} and the operands are below
     * 2<sup>64</sup>, so the product is finite (coef times the input scale is at most
     * 2<sup>60</sup>), bwd_y_one's fine result, and a zero one takes dy's sign (bwd_y_one's rule:
     * the exact product's): one bit select, where a compare, a product and a blend found the zero
     * lanes before. A lane {@code y > 0} keeps the positive side whatever its product.
     *
     * <p>With an input scale, {@code sh} is computed negated ({@code -chi - y}, the same
     * rounding), so that the product's error {@code sh * shi - ah}, negated, comes from one fma
     * with {@code ah} itself as the addend, and {@code -shi}'s products give {@code ah} and
     * {@code sh * slo}: no negation in the loop, the same values. With input scale 1 the pair
     * {@code sh + sl} is multiplied without the input scale's pair: the same value for every
     * nonzero product (the pair times 1 + 0), and a zero product's sign is dy's there too.
     */
    private static long fromOutputFine(MemorySegment dy, MemorySegment xy, MemorySegment dx, long from, long to,
            F32Kernels.General b) {
        final long vb = F.vectorByteSize();
        final FloatVector zero = FloatVector.zero(F);
        final IntVector sign = IntVector.broadcast(FI, 0x80000000);
        final IntVector magnitude = IntVector.broadcast(FI, 0x7FFFFFFF);
        // |dy| <= 2^64 as one unsigned compare: dy with the sign bit set against -2^64's bits
        final IntVector limit = IntVector.broadcast(FI, Float.floatToRawIntBits(-0x1p64f));
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
        for (long off = from; off < to; off += vb) {
            FloatVector g = FloatVector.fromMemorySegment(F, dy, off, ORDER);
            FloatVector y = FloatVector.fromMemorySegment(F, xy, off, ORDER);
            IntVector gBits = g.reinterpretAsInts();
            VectorMask<Float> positive = y.compare(VectorOperators.GT, zero);
            // y >= ylow is false for NaN; the positive lanes pass it
            if (!y.compare(VectorOperators.GE, ylow)
                    .and(gBits.or(sign).compare(VectorOperators.ULE, limit).cast(F)).allTrue()) {
                return off;
            }
            FloatVector fine;
            if (unit) {
                FloatVector sh = chi.add(y);
                fine = g.fma(sh, g.mul(y.sub(sh.sub(chi)).add(clo)));
            } else {
                FloatVector negSh = negChi.sub(y);
                FloatVector sl = y.add(negSh.add(chi)).add(clo);
                FloatVector ah = negSh.mul(negShi);
                FloatVector negErr = negSh.fma(shi, ah);
                FloatVector al = sl.fma(shi, negSh.mul(negSlo)).sub(negErr);
                fine = g.fma(ah, g.mul(al));
            }
            FloatVector pos = unitScale ? g : exactScale ? g.mul(phi) : g.fma(phi, plo.mul(g));
            fine.reinterpretAsInts().and(magnitude).or(gBits.and(sign)).reinterpretAsFloats()
                    .blend(pos, positive)
                    .reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
        return to;
    }

    /** Every branch of bwd_y_one over [from, to), one vector per iteration (the rare vectors). */
    private static void fromOutputFull(MemorySegment dy, MemorySegment xy, MemorySegment dx, long from, long to,
            F32Kernels.General b) {
        final long vb = F.vectorByteSize();
        final FloatVector zero = FloatVector.zero(F);
        final FloatVector big = FloatVector.broadcast(F, 0x1p64f);
        // the huge-operand tests only with an input scale (bwd_y_one): +inf never passes them
        final FloatVector bigOperand = b.unitInput() ? FloatVector.broadcast(F, Float.POSITIVE_INFINITY) : big;
        final FloatVector up = big;
        final FloatVector down = FloatVector.broadcast(F, 0x1p-64f);
        final IntVector magnitude = IntVector.broadcast(FI, 0x7FFFFFFF);
        final IntVector sign = IntVector.broadcast(FI, 0x80000000);
        final IntVector maxBits = IntVector.broadcast(FI, F32Kernels.FLOAT_MAX_BITS);
        final IntVector one = IntVector.broadcast(FI, 1);
        final FloatVector chi = FloatVector.broadcast(F, b.chi());
        final FloatVector clo = FloatVector.broadcast(F, b.clo());
        final FloatVector shi = FloatVector.broadcast(F, b.shi());
        final FloatVector slo = FloatVector.broadcast(F, b.slo());
        final FloatVector phi = FloatVector.broadcast(F, b.phi());
        final FloatVector plo = FloatVector.broadcast(F, b.plo());
        final boolean exactScale = b.floatScale();
        final boolean unitScale = b.unitScale();
        for (long off = from; off < to; off += vb) {
            FloatVector g = FloatVector.fromMemorySegment(F, dy, off, ORDER);
            FloatVector y = FloatVector.fromMemorySegment(F, xy, off, ORDER);
            FloatVector pos = unitScale ? g : exactScale ? g.mul(phi) : g.fma(phi, plo.mul(g));
            FloatVector sh = chi.add(y);
            FloatVector sl = y.sub(sh.sub(chi)).add(clo);
            FloatVector ah = sh.mul(shi);
            FloatVector al = sh.fma(shi, ah.neg()).add(sl.fma(shi, sh.mul(slo)));
            FloatVector fine = g.fma(ah, g.mul(al));
            VectorMask<Float> hugeY = y.abs().compare(VectorOperators.GT, big);
            VectorMask<Float> ordinary = y.abs().compare(VectorOperators.LE, bigOperand)
                    .and(g.abs().compare(VectorOperators.LE, bigOperand));
            VectorMask<Float> ok = fine.reinterpretAsInts().and(magnitude).sub(one)
                    .compare(VectorOperators.ULT, maxBits).cast(F).and(ordinary);
            FloatVector rough = g.mul(ah.add(al)).blend(g.mul(up).mul(sh.mul(down).mul(shi)), hugeY);
            // a zero fine result takes the exact product's sign, rough's (bwd_y_one)
            VectorMask<Float> zeroFine = fine.compare(VectorOperators.EQ, zero).and(ordinary);
            rough.blend(rough.reinterpretAsInts().and(sign).reinterpretAsFloats(), zeroFine)
                    .blend(fine, ok).blend(pos, y.compare(VectorOperators.GT, zero))
                    .reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
    }

    /**
     * The backward from the output where {@code b.fmaY()} (input scale 1, {@code alpha * scale} a
     * power of two, e.g. ELU with alpha 1): the helper's {@code fma_y} form,
     * {@code fma(dy, y, dy * chi)} with {@code dy * chi} exact, so {@code dy * (y + coef)} rounded
     * once; {@code dy * (chi + y)} where that is zero (its sign), infinite or NaN ({@code dy * chi}
     * overflowed, infinite operands). The helper's bits for every non-NaN result. Two vectors per
     * iteration, flat. "Finite and not zero" is one unsigned compare on the magnitude's bits
     * ({@code |bits| - 1 < bits(MAX_VALUE)}): a float {@code IS_FINITE} test, its negation and a
     * second compare cost C2 mask-register operations enough to spill one (measured 1.19x slower).
     */
    static void eluBackwardFromOutputFma(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes,
            F32Kernels.General b) {
        final long vb = F.vectorByteSize();
        final FloatVector zero = FloatVector.zero(F);
        final IntVector magnitude = IntVector.broadcast(FI, 0x7FFFFFFF);
        final IntVector maxBits = IntVector.broadcast(FI, F32Kernels.FLOAT_MAX_BITS);
        final IntVector one = IntVector.broadcast(FI, 1);
        final FloatVector chi = FloatVector.broadcast(F, b.chi());
        final FloatVector phi = FloatVector.broadcast(F, b.phi());
        final FloatVector plo = FloatVector.broadcast(F, b.plo());
        final boolean exactScale = b.floatScale();
        final boolean unitScale = b.unitScale();
        for (long off = 0; off < bytes; off += 2 * vb) {
            FloatVector ga = FloatVector.fromMemorySegment(F, dy, off, ORDER);
            FloatVector ya = FloatVector.fromMemorySegment(F, xy, off, ORDER);
            FloatVector gb = FloatVector.fromMemorySegment(F, dy, off + vb, ORDER);
            FloatVector yb = FloatVector.fromMemorySegment(F, xy, off + vb, ORDER);

            FloatVector posa = unitScale ? ga : exactScale ? ga.mul(phi) : ga.fma(phi, plo.mul(ga));
            FloatVector finea = ga.fma(ya, ga.mul(chi));
            VectorMask<Integer> oka = finea.reinterpretAsInts().and(magnitude).sub(one)
                    .compare(VectorOperators.ULT, maxBits);
            FloatVector da = ga.mul(chi.add(ya)).blend(finea, oka.cast(F))
                    .blend(posa, ya.compare(VectorOperators.GT, zero));

            FloatVector posb = unitScale ? gb : exactScale ? gb.mul(phi) : gb.fma(phi, plo.mul(gb));
            FloatVector fineb = gb.fma(yb, gb.mul(chi));
            VectorMask<Integer> okb = fineb.reinterpretAsInts().and(magnitude).sub(one)
                    .compare(VectorOperators.ULT, maxBits);
            FloatVector db = gb.mul(chi.add(yb)).blend(fineb, okb.cast(F))
                    .blend(posb, yb.compare(VectorOperators.GT, zero));

            da.reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
            db.reinterpretAsBytes().intoMemorySegment(dx, off + vb, ORDER);
        }
    }
}
