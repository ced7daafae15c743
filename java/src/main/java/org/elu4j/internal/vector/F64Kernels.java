package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.function.DoubleUnaryOperator;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The f64 kernels: every function forward and backward, on native segments, a byte count that
 * is a multiple of {@link Staging#BLOCK_BYTES}, flat loops with local constants (as
 * {@link F32Kernels}).
 *
 * <h2>expm1 and exp to double accuracy</h2>
 * {@code n = round(z*log2e)} by the shift constant {@code 1.5*2^52 + bias} (whose low mantissa
 * bits then hold {@code n + bias}, so {@code 2^n} is those bits moved up 52 places);
 * {@code r = z - n*ln2hi - n*ln2lo} (two FMAs; {@code ln2hi} has 32 significant bits, so
 * {@code n*ln2hi} is exact for every n used here), {@code |r| <= 0.3466};
 * {@code expm1(r) ~ p = r + r^2*(1/2! + r/3! + ... + r^11/13!)} (Taylor, degree 13: the first
 * dropped term is below 1.2e-17 relative, 0.1 ulp); then {@code expm1(z) = 2^n*p + (2^n - 1)}
 * (one FMA; {@code 2^n - 1} is exact for {@code n >= -53}) and {@code exp(z) = 2^n*p + 2^n}.
 * Forward clamps {@code z >= -64} (expm1 is -1 there); backward clamps {@code z >= -746} (exp is 0
 * below) and builds {@code 2^(n+64)} with a final exact {@code * 2^-64}, which also rounds
 * subnormal results once. Measured against {@code Math.expm1}/{@code Math.exp} (themselves within
 * 1 ulp): ConformanceSuite.agreesWithTheReference checks it against org.elu4j.reference.
 */
final class F64Kernels {
    private F64Kernels() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    static final double LOG2E = 1.4426950408889634;
    /** ln 2 = LN2_HI + LN2_LO; LN2_HI has 32 significant bits. */
    static final double LN2_HI = 0x1.62e42fee00000p-1;
    static final double LN2_LO = 0x1.a39ef35793c76p-33;
    static final double SHIFT = 0x1.8p52 + 1023;
    static final double SHIFT_EXP = 0x1.8p52 + 1023 + 64;
    static final double TWO_M64 = 0x1p-64;
    static final double FWD_LOW = -64;
    static final double BWD_LOW = -746;
    /** 1/k! for k = 2..13. */
    static final double C2 = 1.0 / 2, C3 = 1.0 / 6, C4 = 1.0 / 24, C5 = 1.0 / 120, C6 = 1.0 / 720,
            C7 = 1.0 / 5040, C8 = 1.0 / 40320, C9 = 1.0 / 362880, C10 = 1.0 / 3628800,
            C11 = 1.0 / 39916800, C12 = 1.0 / 479001600, C13 = 1.0 / 6227020800.0;

    /** ReLU: {@code x > 0 ? x : +0.0}; NaN kept. */
    static void relu(MemorySegment src, MemorySegment dst, long bytes) {
        final long vb = D.vectorByteSize();
        final DoubleVector zero = DoubleVector.zero(D);
        for (long off = 0; off < bytes; off += 2 * vb) {
            DoubleVector a = DoubleVector.fromMemorySegment(D, src, off, ORDER);
            DoubleVector b = DoubleVector.fromMemorySegment(D, src, off + vb, ORDER);
            DoubleVector ya = a.blend(zero, a.compare(VectorOperators.LE, zero));
            DoubleVector yb = b.blend(zero, b.compare(VectorOperators.LE, zero));
            ya.reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            yb.reinterpretAsBytes().intoMemorySegment(dst, off + vb, ORDER);
        }
    }

    /** LeakyReLU: {@code x > 0 ? x : slope * x}; NaN kept. */
    static void leaky(MemorySegment src, MemorySegment dst, long bytes, double slope) {
        final long vb = D.vectorByteSize();
        final DoubleVector zero = DoubleVector.zero(D);
        final DoubleVector s = DoubleVector.broadcast(D, slope);
        for (long off = 0; off < bytes; off += 2 * vb) {
            DoubleVector a = DoubleVector.fromMemorySegment(D, src, off, ORDER);
            DoubleVector b = DoubleVector.fromMemorySegment(D, src, off + vb, ORDER);
            DoubleVector ya = a.blend(a.mul(s), a.compare(VectorOperators.LE, zero));
            DoubleVector yb = b.blend(b.mul(s), b.compare(VectorOperators.LE, zero));
            ya.reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
            yb.reinterpretAsBytes().intoMemorySegment(dst, off + vb, ORDER);
        }
    }

    /**
     * ELU: {@code scale * x} for {@code x > 0}, else {@code c * expm1(x * inputScale)}; NaN kept.
     * Where {@code tiny} is given (a positive input scale with |c| above 2: {@link
     * FamilyKernels#f64ForwardMeetsTinyProducts}), a vector with a lane whose product x * inputScale
     * is subnormal ({@link #tinyProduct}) takes {@code tiny}'s value there: that product lost low
     * bits which c lifts above an ulp of the result. A test per vector on values the loop has
     * already computed; the lanes' values only for such a vector (rare). Where {@code carry} (a
     * negative input scale), expm1(t) takes back t = x * inputScale's rounding error, which e^t
     * multiplies by t ({@code ScalarBackend.carried}: the same rule, on this kernel's expm1).
     */
    static void elu(MemorySegment src, MemorySegment dst, long bytes, double c, double scale, double inputScale,
            DoubleUnaryOperator tiny, boolean carry) {
        final long vb = D.vectorByteSize();
        final DoubleVector zero = DoubleVector.zero(D);
        final DoubleVector minusMinNormal = DoubleVector.broadcast(D, -Double.MIN_NORMAL);
        final DoubleVector vc = DoubleVector.broadcast(D, c);
        final DoubleVector vscale = DoubleVector.broadcast(D, scale);
        final DoubleVector vis = DoubleVector.broadcast(D, inputScale);
        final DoubleVector low = DoubleVector.broadcast(D, FWD_LOW);
        final DoubleVector log2e = DoubleVector.broadcast(D, LOG2E);
        final DoubleVector shift = DoubleVector.broadcast(D, SHIFT);
        final DoubleVector minusLn2Hi = DoubleVector.broadcast(D, -LN2_HI);
        final DoubleVector minusLn2Lo = DoubleVector.broadcast(D, -LN2_LO);
        final DoubleVector one = DoubleVector.broadcast(D, 1.0);
        final DoubleVector c2 = DoubleVector.broadcast(D, C2);
        final DoubleVector c3 = DoubleVector.broadcast(D, C3);
        final DoubleVector c4 = DoubleVector.broadcast(D, C4);
        final DoubleVector c5 = DoubleVector.broadcast(D, C5);
        final DoubleVector c6 = DoubleVector.broadcast(D, C6);
        final DoubleVector c7 = DoubleVector.broadcast(D, C7);
        final DoubleVector c8 = DoubleVector.broadcast(D, C8);
        final DoubleVector c9 = DoubleVector.broadcast(D, C9);
        final DoubleVector c10 = DoubleVector.broadcast(D, C10);
        final DoubleVector c11 = DoubleVector.broadcast(D, C11);
        final DoubleVector c12 = DoubleVector.broadcast(D, C12);
        final DoubleVector c13 = DoubleVector.broadcast(D, C13);
        for (long off = 0; off < bytes; off += vb) {
            DoubleVector x = DoubleVector.fromMemorySegment(D, src, off, ORDER);
            DoubleVector z = x.mul(vis);
            DoubleVector zc = z.blend(low, z.compare(VectorOperators.LT, low));
            DoubleVector t = zc.fma(log2e, shift);
            DoubleVector n = t.sub(shift);
            DoubleVector r = n.fma(minusLn2Lo, n.fma(minusLn2Hi, zc));
            DoubleVector s = t.reinterpretAsLongs().lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            DoubleVector q = c13.fma(r, c12).fma(r, c11).fma(r, c10).fma(r, c9).fma(r, c8).fma(r, c7)
                    .fma(r, c6).fma(r, c5).fma(r, c4).fma(r, c3).fma(r, c2);
            DoubleVector p = r.mul(r).fma(q, r);
            DoubleVector e = s.fma(p, s.sub(one)).blend(z, z.compare(VectorOperators.EQ, zero));
            if (carry) {
                DoubleVector zErr = x.fma(vis, z.neg());
                e = e.blend(e.add(one).fma(zErr, e), zErr.compare(VectorOperators.NE, zero)
                        .and(z.compare(VectorOperators.NE, zero)).and(e.test(VectorOperators.IS_FINITE)));
            }
            DoubleVector y = x.blend(x.mul(vscale), x.compare(VectorOperators.GT, zero))
                    .blend(e.mul(vc), x.compare(VectorOperators.LE, zero));
            if (tiny != null && z.compare(VectorOperators.GT, minusMinNormal).and(x.compare(VectorOperators.LT, zero)).anyTrue()) {
                y = tinyLanes(src, off, y, inputScale, tiny);
            }
            y.reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
        }
    }

    /**
     * Whether x * inputScale is subnormal or a zero from a negative x (for a positive input scale:
     * {@link #elu}'s lane test, which {@link ScalarForms#eluF64} repeats).
     */
    static boolean tinyProduct(double x, double inputScale) {
        return x < 0 && x * inputScale > -Double.MIN_NORMAL;
    }

    /** {@code y} with {@code tiny}'s values in the lanes {@link #tinyProduct} picks; x read from src, not yet overwritten. */
    private static DoubleVector tinyLanes(MemorySegment src, long off, DoubleVector y, double inputScale,
            DoubleUnaryOperator tiny) {
        double[] ys = y.toArray();
        for (int i = 0; i < ys.length; i++) {
            double x = src.get(JAVA_DOUBLE_UNALIGNED, off + (long) Double.BYTES * i);
            if (tinyProduct(x, inputScale)) {
                ys[i] = tiny.applyAsDouble(x);
            }
        }
        return DoubleVector.fromArray(D, ys, 0);
    }

    /** ReLU backward: {@code dx = x <= 0 ? +0.0 : dy} (a NaN x passes dy, as PyTorch). */
    static void reluBackward(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes) {
        final long vb = D.vectorByteSize();
        final DoubleVector zero = DoubleVector.zero(D);
        for (long off = 0; off < bytes; off += vb) {
            DoubleVector g = DoubleVector.fromMemorySegment(D, dy, off, ORDER);
            DoubleVector x = DoubleVector.fromMemorySegment(D, xy, off, ORDER);
            g.blend(zero, x.compare(VectorOperators.LE, zero)).reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
    }

    /** LeakyReLU backward: {@code dx = x > 0 ? dy : slope * dy}. */
    static void leakyBackward(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes, double slope) {
        final long vb = D.vectorByteSize();
        final DoubleVector zero = DoubleVector.zero(D);
        final DoubleVector s = DoubleVector.broadcast(D, slope);
        for (long off = 0; off < bytes; off += vb) {
            DoubleVector g = DoubleVector.fromMemorySegment(D, dy, off, ORDER);
            DoubleVector x = DoubleVector.fromMemorySegment(D, xy, off, ORDER);
            g.mul(s).blend(g, x.compare(VectorOperators.GT, zero)).reinterpretAsBytes()
                    .intoMemorySegment(dx, off, ORDER);
        }
    }

    /** ELU backward from x: {@code dy * scale} for {@code x > 0}, else {@code dy * (k * exp(x * inputScale))}. */
    static void eluBackwardFromInput(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes,
            double k, double scale, double inputScale) {
        final long vb = D.vectorByteSize();
        final DoubleVector zero = DoubleVector.zero(D);
        final DoubleVector vk = DoubleVector.broadcast(D, k);
        final DoubleVector vscale = DoubleVector.broadcast(D, scale);
        final DoubleVector vis = DoubleVector.broadcast(D, inputScale);
        final DoubleVector low = DoubleVector.broadcast(D, BWD_LOW);
        final DoubleVector log2e = DoubleVector.broadcast(D, LOG2E);
        final DoubleVector shift = DoubleVector.broadcast(D, SHIFT_EXP);
        final DoubleVector minusLn2Hi = DoubleVector.broadcast(D, -LN2_HI);
        final DoubleVector minusLn2Lo = DoubleVector.broadcast(D, -LN2_LO);
        final DoubleVector down = DoubleVector.broadcast(D, TWO_M64);
        final DoubleVector c2 = DoubleVector.broadcast(D, C2);
        final DoubleVector c3 = DoubleVector.broadcast(D, C3);
        final DoubleVector c4 = DoubleVector.broadcast(D, C4);
        final DoubleVector c5 = DoubleVector.broadcast(D, C5);
        final DoubleVector c6 = DoubleVector.broadcast(D, C6);
        final DoubleVector c7 = DoubleVector.broadcast(D, C7);
        final DoubleVector c8 = DoubleVector.broadcast(D, C8);
        final DoubleVector c9 = DoubleVector.broadcast(D, C9);
        final DoubleVector c10 = DoubleVector.broadcast(D, C10);
        final DoubleVector c11 = DoubleVector.broadcast(D, C11);
        final DoubleVector c12 = DoubleVector.broadcast(D, C12);
        final DoubleVector c13 = DoubleVector.broadcast(D, C13);
        for (long off = 0; off < bytes; off += vb) {
            DoubleVector g = DoubleVector.fromMemorySegment(D, dy, off, ORDER);
            DoubleVector x = DoubleVector.fromMemorySegment(D, xy, off, ORDER);
            DoubleVector z = x.mul(vis);
            DoubleVector zc = z.blend(low, z.compare(VectorOperators.LT, low));
            DoubleVector t = zc.fma(log2e, shift);
            DoubleVector n = t.sub(shift);
            DoubleVector r = n.fma(minusLn2Lo, n.fma(minusLn2Hi, zc));
            DoubleVector s = t.reinterpretAsLongs().lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            DoubleVector q = c13.fma(r, c12).fma(r, c11).fma(r, c10).fma(r, c9).fma(r, c8).fma(r, c7)
                    .fma(r, c6).fma(r, c5).fma(r, c4).fma(r, c3).fma(r, c2);
            DoubleVector p = r.mul(r).fma(q, r);
            // exp magnifies the rounding of x*inputScale (300 ulps at z = -672): exp(z + zErr) =
            // exp(z)*(1 + zErr) with zErr the product's exact error (fma); 0 where z is not finite.
            DoubleVector zErr = x.fma(vis, z.neg());
            zErr = zErr.blend(zero, zErr.test(VectorOperators.IS_NAN).or(z.test(VectorOperators.IS_INFINITE)));
            DoubleVector ex = s.fma(p, s).mul(down);
            ex = ex.fma(zErr, ex);
            DoubleVector d = g.mul(vk).mul(ex).blend(g.mul(vscale), x.compare(VectorOperators.GT, zero));
            d.reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
    }

    /** ELU backward from y: {@code dy * scale} for {@code y > 0}, else {@code (dy * inputScale) * (y + c)}. */
    static void eluBackwardFromOutput(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes,
            double c, double cLow, double scale, double inputScale) {
        final long vb = D.vectorByteSize();
        final DoubleVector zero = DoubleVector.zero(D);
        final DoubleVector vc = DoubleVector.broadcast(D, c);
        final DoubleVector vcLow = DoubleVector.broadcast(D, cLow);
        final DoubleVector vscale = DoubleVector.broadcast(D, scale);
        final DoubleVector vis = DoubleVector.broadcast(D, inputScale);
        for (long off = 0; off < bytes; off += vb) {
            DoubleVector g = DoubleVector.fromMemorySegment(D, dy, off, ORDER);
            DoubleVector y = DoubleVector.fromMemorySegment(D, xy, off, ORDER);
            DoubleVector d = g.mul(vis).mul(y.add(vc).add(vcLow)).blend(g.mul(vscale), y.compare(VectorOperators.GT, zero));
            d.reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
    }
}
