package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.elu4j.internal.vector.F32Kernels.F_LN2;
import static org.elu4j.internal.vector.F32Kernels.F_LOG2E;
import static org.elu4j.internal.vector.F32Kernels.F_SHIFT;
import static org.elu4j.internal.vector.F32Kernels.G0;
import static org.elu4j.internal.vector.F32Kernels.G1;
import static org.elu4j.internal.vector.F32Kernels.G2;
import static org.elu4j.internal.vector.F32Kernels.G3;
import static org.elu4j.internal.vector.F32Kernels.G4;
import static org.elu4j.internal.vector.F32Kernels.TINY;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.elu4j.internal.vector.F32Kernels.General;

/**
 * The general f32 ELU kernel's two loops (any input scale, and input scale 1), with their
 * parameters ({@link General}) and constants in {@link F32Kernels}, as {@link FloatElu} holds the
 * fast float kernel: the helper's general kernel (kernels_impl.h) operation for operation. Flat
 * loops with their constants in locals, for the reasons in {@link VectorBackend}'s class comment.
 */
final class GeneralElu {
    private GeneralElu() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final VectorSpecies<Float> F = F32Kernels.F;
    private static final VectorSpecies<Integer> FI = F32Kernels.FI;

    /**
     * ELU with general parameters in f32 (the helper's general kernel, kernels_impl.h, whose
     * comment has the algorithm and its error budget: within 1 ulp): {@code expm1(x * inputScale)}
     * as a float pair {@code eh + el}, then {@code coef * (eh + el)} rounded once; the positive
     * side {@code phi * x + plo * x} (one fma); +-0 and NaN pass through with their bits.
     * Operation for operation the helper's, so the same bits, with one difference that only
     * touches lanes the final blends discard: the clamp is an integer minimum on the bit patterns
     * (for x < 0 the same as the helper's {@code x > xmin ? x : xmin}). The positive side is x
     * itself where the scale is 1 (CELU: no product and no blend), {@code phi * x} where the scale
     * is another float ({@code plo = 0}), else the pair ({@code plo > 0}: +inf gives +inf), and
     * only the pair needs {@link #tinyPositives}; these tests are loop-invariant (C2 unswitches
     * the loop). The linear range ({@code -lin < x < 0}, where {@code |t| < 2^-40}) is as rare as
     * the tiny positives, so it is not blended into every vector: a vector with such a lane is
     * stored a second time with them (the helper's branch: a mask and and a test instead of a
     * product, an fma and a blend in every vector). Where that range's result is x itself
     * ({@link General#linearIsX()}: CELU), the negative side is blended in for {@code x <= -lin}
     * only and there is no test at all (the helper's lin_x). Two vectors per iteration, flat,
     * constants in locals (see {@link VectorBackend}'s class comment for why).
     */
    static void eluGeneral(MemorySegment src, MemorySegment dst, long bytes, General g) {
        final long vb = F.vectorByteSize();
        final FloatVector zero = FloatVector.zero(F);
        final boolean exactScale = g.floatScale();
        final boolean unitScale = g.unitScale();
        final boolean linX = g.linearIsX();
        final IntVector xminBits = IntVector.broadcast(FI, Float.floatToRawIntBits(g.xmin()));
        final FloatVector chi = FloatVector.broadcast(F, g.chi());
        final FloatVector clo = FloatVector.broadcast(F, g.clo());
        final FloatVector shi = FloatVector.broadcast(F, g.shi());
        final FloatVector slo = FloatVector.broadcast(F, g.slo());
        final FloatVector phi = FloatVector.broadcast(F, g.phi());
        final FloatVector plo = FloatVector.broadcast(F, g.plo());
        final FloatVector cshi = FloatVector.broadcast(F, g.cshi());
        final FloatVector cslo = FloatVector.broadcast(F, g.cslo());
        final FloatVector negLin = FloatVector.broadcast(F, -g.lin());
        final FloatVector log2e = FloatVector.broadcast(F, F_LOG2E);
        final FloatVector shift = FloatVector.broadcast(F, F_SHIFT);
        final FloatVector minusLn2 = FloatVector.broadcast(F, -F_LN2);
        final FloatVector one = FloatVector.broadcast(F, 1.0f);
        final FloatVector q0 = FloatVector.broadcast(F, G0);
        final FloatVector q1 = FloatVector.broadcast(F, G1);
        final FloatVector q2 = FloatVector.broadcast(F, G2);
        final FloatVector q3 = FloatVector.broadcast(F, G3);
        final FloatVector q4 = FloatVector.broadcast(F, G4);
        final FloatVector tiny = FloatVector.broadcast(F, TINY);
        for (long off = 0; off < bytes; off += 2 * vb) {
            FloatVector xa = FloatVector.fromMemorySegment(F, src, off, ORDER);
            FloatVector xb = FloatVector.fromMemorySegment(F, src, off + vb, ORDER);

            IntVector ia = xa.reinterpretAsInts();
            FloatVector posa = unitScale ? xa : exactScale ? xa.mul(phi) : xa.fma(phi, plo.mul(xa));
            FloatVector xca = ia.min(xminBits).reinterpretAsFloats();
            FloatVector tha = xca.mul(shi);
            FloatVector tla = slo.fma(xca, shi.fma(xca, tha.neg()));
            FloatVector ka = tha.fma(log2e, shift);
            FloatVector rha = ka.sub(shift).fma(minusLn2, tha);
            FloatVector qa = q4.fma(rha, q3).fma(rha, q2).fma(rha, q1).fma(rha, q0);
            FloatVector wa = rha.mul(rha).fma(qa, tla.fma(rha, tla));
            FloatVector sa = ka.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector sm1a = sa.sub(one);
            FloatVector eha = sa.fma(rha, sm1a);
            FloatVector ela = sa.fma(wa, sa.fma(rha, sm1a.sub(eha)));
            FloatVector nega = chi.fma(eha, chi.fma(ela, clo.mul(eha)));
            VectorMask<Float> lta = linX ? xa.compare(VectorOperators.LE, negLin) : xa.compare(VectorOperators.LT, zero);
            FloatVector ya = (unitScale ? xa : xa.blend(posa, xa.compare(VectorOperators.GT, zero))).blend(nega, lta);

            IntVector ib = xb.reinterpretAsInts();
            FloatVector posb = unitScale ? xb : exactScale ? xb.mul(phi) : xb.fma(phi, plo.mul(xb));
            FloatVector xcb = ib.min(xminBits).reinterpretAsFloats();
            FloatVector thb = xcb.mul(shi);
            FloatVector tlb = slo.fma(xcb, shi.fma(xcb, thb.neg()));
            FloatVector kb = thb.fma(log2e, shift);
            FloatVector rhb = kb.sub(shift).fma(minusLn2, thb);
            FloatVector qb = q4.fma(rhb, q3).fma(rhb, q2).fma(rhb, q1).fma(rhb, q0);
            FloatVector wb = rhb.mul(rhb).fma(qb, tlb.fma(rhb, tlb));
            FloatVector sb = kb.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector sm1b = sb.sub(one);
            FloatVector ehb = sb.fma(rhb, sm1b);
            FloatVector elb = sb.fma(wb, sb.fma(rhb, sm1b.sub(ehb)));
            FloatVector negb = chi.fma(ehb, chi.fma(elb, clo.mul(ehb)));
            VectorMask<Float> ltb = linX ? xb.compare(VectorOperators.LE, negLin) : xb.compare(VectorOperators.LT, zero);
            FloatVector yb = (unitScale ? xb : xb.blend(posb, xb.compare(VectorOperators.GT, zero))).blend(negb, ltb);

            ya.reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            yb.reinterpretAsBytes().intoMemorySegment(dst, off + vb, ORDER);
            if (!linX) {
                VectorMask<Float> lina = xa.compare(VectorOperators.GT, negLin).and(lta);
                if (lina.anyTrue()) {
                    ya.blend(cshi.fma(xa, cslo.mul(xa)), lina).reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
                }
                VectorMask<Float> linb = xb.compare(VectorOperators.GT, negLin).and(ltb);
                if (linb.anyTrue()) {
                    yb.blend(cshi.fma(xb, cslo.mul(xb)), linb).reinterpretAsBytes().intoMemorySegment(dst, off + vb, ORDER);
                }
            }
            if (!exactScale && xa.compare(VectorOperators.GT, zero).and(xa.compare(VectorOperators.LT, tiny)).anyTrue()) {
                tinyPositives(xa.toArray(), dst, off, g.scale());
            }
            if (!exactScale && xb.compare(VectorOperators.GT, zero).and(xb.compare(VectorOperators.LT, tiny)).anyTrue()) {
                tinyPositives(xb.toArray(), dst, off + vb, g.scale());
            }
        }
    }

    /**
     * {@link #eluGeneral} for {@code inputScale == 1} (SELU, ELU with any alpha): the helper's
     * unit-input loop, without the input product, its rest and the linear range, which are
     * {@code th = xc}, {@code +0} and empty there anyway (the same bits, four vector operations fewer:
     * the input product and its rest, and no linear-range test); x itself on the positive side
     * where the scale is 1 (ELU with an alpha that is not a power of two), as in eluGeneral.
     */
    static void eluGeneralUnitInput(MemorySegment src, MemorySegment dst, long bytes, General g) {
        final long vb = F.vectorByteSize();
        final FloatVector zero = FloatVector.zero(F);
        final boolean exactScale = g.floatScale();
        final boolean unitScale = g.unitScale();
        final IntVector xminBits = IntVector.broadcast(FI, Float.floatToRawIntBits(g.xmin()));
        final FloatVector chi = FloatVector.broadcast(F, g.chi());
        final FloatVector clo = FloatVector.broadcast(F, g.clo());
        final FloatVector phi = FloatVector.broadcast(F, g.phi());
        final FloatVector plo = FloatVector.broadcast(F, g.plo());
        final FloatVector log2e = FloatVector.broadcast(F, F_LOG2E);
        final FloatVector shift = FloatVector.broadcast(F, F_SHIFT);
        final FloatVector minusLn2 = FloatVector.broadcast(F, -F_LN2);
        final FloatVector one = FloatVector.broadcast(F, 1.0f);
        final FloatVector q0 = FloatVector.broadcast(F, G0);
        final FloatVector q1 = FloatVector.broadcast(F, G1);
        final FloatVector q2 = FloatVector.broadcast(F, G2);
        final FloatVector q3 = FloatVector.broadcast(F, G3);
        final FloatVector q4 = FloatVector.broadcast(F, G4);
        final FloatVector tiny = FloatVector.broadcast(F, TINY);
        for (long off = 0; off < bytes; off += 2 * vb) {
            FloatVector xa = FloatVector.fromMemorySegment(F, src, off, ORDER);
            FloatVector xb = FloatVector.fromMemorySegment(F, src, off + vb, ORDER);

            IntVector ia = xa.reinterpretAsInts();
            FloatVector posa = unitScale ? xa : exactScale ? xa.mul(phi) : xa.fma(phi, plo.mul(xa));
            FloatVector xca = ia.min(xminBits).reinterpretAsFloats();
            FloatVector tha = xca;
            FloatVector ka = tha.fma(log2e, shift);
            FloatVector rha = ka.sub(shift).fma(minusLn2, tha);
            FloatVector qa = q4.fma(rha, q3).fma(rha, q2).fma(rha, q1).fma(rha, q0);
            FloatVector wa = rha.mul(rha).mul(qa);
            FloatVector sa = ka.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector sm1a = sa.sub(one);
            FloatVector eha = sa.fma(rha, sm1a);
            FloatVector ela = sa.fma(wa, sa.fma(rha, sm1a.sub(eha)));
            FloatVector nega = chi.fma(eha, chi.fma(ela, clo.mul(eha)));
            FloatVector ya = (unitScale ? xa : xa.blend(posa, xa.compare(VectorOperators.GT, zero)))
                    .blend(nega, xa.compare(VectorOperators.LT, zero));

            IntVector ib = xb.reinterpretAsInts();
            FloatVector posb = unitScale ? xb : exactScale ? xb.mul(phi) : xb.fma(phi, plo.mul(xb));
            FloatVector xcb = ib.min(xminBits).reinterpretAsFloats();
            FloatVector thb = xcb;
            FloatVector kb = thb.fma(log2e, shift);
            FloatVector rhb = kb.sub(shift).fma(minusLn2, thb);
            FloatVector qb = q4.fma(rhb, q3).fma(rhb, q2).fma(rhb, q1).fma(rhb, q0);
            FloatVector wb = rhb.mul(rhb).mul(qb);
            FloatVector sb = kb.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector sm1b = sb.sub(one);
            FloatVector ehb = sb.fma(rhb, sm1b);
            FloatVector elb = sb.fma(wb, sb.fma(rhb, sm1b.sub(ehb)));
            FloatVector negb = chi.fma(ehb, chi.fma(elb, clo.mul(ehb)));
            FloatVector yb = (unitScale ? xb : xb.blend(posb, xb.compare(VectorOperators.GT, zero)))
                    .blend(negb, xb.compare(VectorOperators.LT, zero));

            ya.reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            yb.reinterpretAsBytes().intoMemorySegment(dst, off + vb, ORDER);
            if (!exactScale && xa.compare(VectorOperators.GT, zero).and(xa.compare(VectorOperators.LT, tiny)).anyTrue()) {
                tinyPositives(xa.toArray(), dst, off, g.scale());
            }
            if (!exactScale && xb.compare(VectorOperators.GT, zero).and(xb.compare(VectorOperators.LT, tiny)).anyTrue()) {
                tinyPositives(xb.toArray(), dst, off + vb, g.scale());
            }
        }
    }

    /**
     * The positive side for {@code 0 < x < 2^-100}, as the helper computes it: {@code scale * x} in
     * double, rounded once. The pair {@code phi * x + plo * x} loses {@code plo * x} to underflow
     * there and would round a subnormal result wrongly now and then. Rare (a subnormal or nearly
     * subnormal positive input), so a scalar fix after the vector store.
     */
    private static void tinyPositives(float[] x, MemorySegment dst, long off, double scale) {
        for (int i = 0; i < x.length; i++) {
            if (x[i] > 0 && x[i] < TINY) {
                dst.set(JAVA_FLOAT_UNALIGNED, off + 4L * i, (float) (scale * x[i]));
            }
        }
    }
}
