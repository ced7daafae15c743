package org.elu4j.internal.vector;

import static org.elu4j.internal.vector.F32Kernels.C2;
import static org.elu4j.internal.vector.F32Kernels.C3;
import static org.elu4j.internal.vector.F32Kernels.C4;
import static org.elu4j.internal.vector.F32Kernels.C5;
import static org.elu4j.internal.vector.F32Kernels.C6;
import static org.elu4j.internal.vector.F32Kernels.C7;
import static org.elu4j.internal.vector.F32Kernels.C8;
import static org.elu4j.internal.vector.F32Kernels.D;
import static org.elu4j.internal.vector.F32Kernels.F;
import static org.elu4j.internal.vector.F32Kernels.FH;
import static org.elu4j.internal.vector.F32Kernels.LN2;
import static org.elu4j.internal.vector.F32Kernels.LOG2E;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The f32 backward kernels other than the float pairs: ReLU (a blend, in float lanes), LeakyReLU
 * (in float lanes where its slope is a float or a {@link F32Kernels.SlopePair}, else in double
 * lanes), and ELU computed in double lanes and rounded once, ELU wherever {@link F32Backward}'s
 * pairs do not run ({@link FamilyKernels} decides: parameters outside
 * {@link org.elu4j.internal.Op#isGeneralF32Backward()}, for every type).
 *
 * <p>Kept apart from {@link F32Backward} because the two compute differently: the pairs follow the
 * helper operation for operation in float, these widen half-width float vectors to doubles and
 * round once, as {@link F32Kernels}' double-lane forward does, whose species, {@code log2e},
 * {@code ln2} and Taylor coefficients they share (imported from there, so that both directions
 * keep one copy). Same conventions as {@link F32Kernels}: native segments, a byte count that is a
 * multiple of {@link Staging#BLOCK_BYTES}, flat loops with the constants broadcast into locals
 * (see {@link VectorBackend}'s class comment for why both matter to C2).
 *
 * <h2>exp in double</h2>
 * The argument reduction and polynomial of {@link F32Kernels}' class comment, ending in
 * {@code exp(z) = 2^n*p + 2^n}. The backward clamps {@code z >= -746} (exp is 0 in double below)
 * and uses the bias {@code 1023 + 64} and a final {@code * 2^-64} so that {@code 2^n} stays a
 * normal double down to {@code n = -1086}. Arguments above 600 (only possible with a negative
 * input scale) are recomputed afterwards by the driver.
 */
final class F32DoubleLaneBackward {
    private F32DoubleLaneBackward() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** 1.5 * 2^52 + 1023 + 64: as {@link F32Kernels#SHIFT}, for exp down to n = -1086 (see the class comment). */
    static final double SHIFT_EXP = 0x1.8p52 + 1023 + 64;
    static final double TWO_M64 = 0x1p-64;
    /** Lower clamp of the backward argument: exp(-746) is 0 in double. */
    static final double BWD_LOW = -746;

    /** ReLU backward (from x or y): {@code dx = x <= 0 ? +0.0 : dy} (a NaN x passes dy, as PyTorch). */
    static void reluBackward(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes) {
        final long vb = F.vectorByteSize();
        final FloatVector zero = FloatVector.zero(F);
        for (long off = 0; off < bytes; off += vb) {
            FloatVector g = FloatVector.fromMemorySegment(F, dy, off, ORDER);
            FloatVector x = FloatVector.fromMemorySegment(F, xy, off, ORDER);
            g.blend(zero, x.compare(VectorOperators.LE, zero)).reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
    }

    /**
     * LeakyReLU backward (from x or y) in float lanes: {@code dx = x > 0 ? dy : slope * dy} with
     * the product as {@link F32Kernels#leakyFloat} (a float slope, {@code pair} null) or
     * {@link F32Kernels#leakyPair} forms it (the helper's leaky_neg, the same bits).
     */
    static void leakyBackwardFloat(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes, float slope,
            F32Kernels.SlopePair pair) {
        final long vb = F.vectorByteSize();
        final FloatVector zero = FloatVector.zero(F);
        final boolean isPair = pair != null;
        final FloatVector hi = FloatVector.broadcast(F, isPair ? pair.hi() : slope);
        final FloatVector lo = FloatVector.broadcast(F, isPair ? pair.lo() : 0f);
        for (long off = 0; off < bytes; off += vb) {
            FloatVector g = FloatVector.fromMemorySegment(F, dy, off, ORDER);
            FloatVector x = FloatVector.fromMemorySegment(F, xy, off, ORDER);
            FloatVector n = isPair ? hi.fma(g, lo.mul(g)) : g.mul(hi);
            n.blend(g, x.compare(VectorOperators.GT, zero)).reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
    }

    /** LeakyReLU backward (from x or y) with any other slope: {@code dx = x > 0 ? dy : slope * dy}, in double. */
    static void leakyBackward(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes, double slope) {
        final long vb = FH.vectorByteSize();
        final FloatVector zero = FloatVector.zero(FH);
        final DoubleVector s = DoubleVector.broadcast(D, slope);
        for (long off = 0; off < bytes; off += vb) {
            FloatVector g = FloatVector.fromMemorySegment(FH, dy, off, ORDER);
            FloatVector x = FloatVector.fromMemorySegment(FH, xy, off, ORDER);
            FloatVector n = (FloatVector) ((DoubleVector) g.convertShape(VectorOperators.F2D, D, 0)).mul(s)
                    .convertShape(VectorOperators.D2F, FH, 0);
            n.blend(g, x.compare(VectorOperators.GT, zero)).reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
    }

    /**
     * ELU backward from the input: {@code dx = dy * scale} for {@code x > 0}, else
     * {@code dy * (k * exp(x * inputScale))} with {@code k = alpha * scale * inputScale}; in double.
     */
    static void eluBackwardFromInput(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes,
            double k, double scale, double inputScale) {
        final long vb = FH.vectorByteSize();
        final DoubleVector zero = DoubleVector.zero(D);
        final DoubleVector vk = DoubleVector.broadcast(D, k);
        final DoubleVector vscale = DoubleVector.broadcast(D, scale);
        final DoubleVector vis = DoubleVector.broadcast(D, inputScale);
        final DoubleVector low = DoubleVector.broadcast(D, BWD_LOW);
        final DoubleVector log2e = DoubleVector.broadcast(D, LOG2E);
        final DoubleVector shift = DoubleVector.broadcast(D, SHIFT_EXP);
        final DoubleVector minusLn2 = DoubleVector.broadcast(D, -LN2);
        final DoubleVector down = DoubleVector.broadcast(D, TWO_M64);
        final DoubleVector c2 = DoubleVector.broadcast(D, C2);
        final DoubleVector c3 = DoubleVector.broadcast(D, C3);
        final DoubleVector c4 = DoubleVector.broadcast(D, C4);
        final DoubleVector c5 = DoubleVector.broadcast(D, C5);
        final DoubleVector c6 = DoubleVector.broadcast(D, C6);
        final DoubleVector c7 = DoubleVector.broadcast(D, C7);
        final DoubleVector c8 = DoubleVector.broadcast(D, C8);
        for (long off = 0; off < bytes; off += vb) {
            DoubleVector g = (DoubleVector) FloatVector.fromMemorySegment(FH, dy, off, ORDER)
                    .convertShape(VectorOperators.F2D, D, 0);
            DoubleVector x = (DoubleVector) FloatVector.fromMemorySegment(FH, xy, off, ORDER)
                    .convertShape(VectorOperators.F2D, D, 0);
            DoubleVector z = x.mul(vis);
            DoubleVector zc = z.blend(low, z.compare(VectorOperators.LT, low));
            DoubleVector t = zc.fma(log2e, shift);
            DoubleVector r = t.sub(shift).fma(minusLn2, zc);
            DoubleVector s = t.reinterpretAsLongs().lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            DoubleVector q = c8.fma(r, c7).fma(r, c6).fma(r, c5).fma(r, c4).fma(r, c3).fma(r, c2);
            DoubleVector p = r.mul(r).fma(q, r);
            DoubleVector ex = s.fma(p, s).mul(down);
            DoubleVector n = g.mul(vk).mul(ex);
            DoubleVector d = n.blend(g.mul(vscale), x.compare(VectorOperators.GT, zero));
            d.convertShape(VectorOperators.D2F, FH, 0).reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
    }

    /**
     * ELU backward from the output: {@code dx = dy * scale} for {@code y > 0}, else
     * {@code (dy * inputScale) * (y + c)} with {@code c = alpha * scale}; in double.
     */
    static void eluBackwardFromOutput(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes,
            double c, double scale, double inputScale) {
        final long vb = FH.vectorByteSize();
        final DoubleVector zero = DoubleVector.zero(D);
        final DoubleVector vc = DoubleVector.broadcast(D, c);
        final DoubleVector vscale = DoubleVector.broadcast(D, scale);
        final DoubleVector vis = DoubleVector.broadcast(D, inputScale);
        for (long off = 0; off < bytes; off += vb) {
            DoubleVector g = (DoubleVector) FloatVector.fromMemorySegment(FH, dy, off, ORDER)
                    .convertShape(VectorOperators.F2D, D, 0);
            DoubleVector y = (DoubleVector) FloatVector.fromMemorySegment(FH, xy, off, ORDER)
                    .convertShape(VectorOperators.F2D, D, 0);
            DoubleVector n = g.mul(vis).mul(y.add(vc));
            DoubleVector d = n.blend(g.mul(vscale), y.compare(VectorOperators.GT, zero));
            d.convertShape(VectorOperators.D2F, FH, 0).reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
    }
}
