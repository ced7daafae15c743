package org.elu4j.internal.scalar;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.internal.Binding;
import org.elu4j.internal.EluBackend;
import org.elu4j.internal.HalfFloats;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;

/**
 * Plain Java, one element at a time. Always available, runs every function on every type, and is
 * the executable form of {@link Op}'s definitions: the tests' oracle. Everything is computed in
 * double ({@link Math#expm1}, {@link Math#exp}, within 1 double ulp) with the parameters as given
 * and rounded once to the element type, so f32 results are within 1 ulp of the correctly rounded
 * value (in practice almost always equal to it); bf16 and f16 round the f32 result (see
 * {@link HalfFloats}); f64 results are within a few double ulps.
 */
public final class ScalarBackend implements EluBackend {

    @Override
    public Backend kind() {
        return Backend.SCALAR;
    }

    @Override
    public String description() {
        return "scalar (Math.expm1 in double)";
    }

    @Override
    public boolean supportsHeapSegments() {
        return true;
    }

    @Override
    public String unsupported(Op op, DataType type, Pass pass) {
        return null;
    }

    @Override
    public Binding.Forward bindForward(Op op, DataType type) {
        return (src, dst, threads) -> forwardLoop(op, type, src, dst);
    }

    @Override
    public Binding.Backward bindBackward(Op op, DataType type, boolean fromOutput) {
        return (dy, xy, dx) -> backwardLoop(op, type, fromOutput, dy, xy, dx);
    }

    private static void forwardLoop(Op op, DataType type, MemorySegment src, MemorySegment dst) {
        long n = src.byteSize() / type.byteSize();
        switch (type) {
            case F32 -> {
                for (long i = 0; i < n; i++) {
                    dst.setAtIndex(JAVA_FLOAT_UNALIGNED, i, forward(op, src.getAtIndex(JAVA_FLOAT_UNALIGNED, i)));
                }
            }
            case F64 -> {
                for (long i = 0; i < n; i++) {
                    dst.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, forward(op, src.getAtIndex(JAVA_DOUBLE_UNALIGNED, i)));
                }
            }
            case BF16, F16 -> {
                for (long i = 0; i < n; i++) {
                    dst.setAtIndex(JAVA_SHORT_UNALIGNED, i, forward(op, type, src.getAtIndex(JAVA_SHORT_UNALIGNED, i)));
                }
            }
        }
    }

    private static void backwardLoop(Op op, DataType type, boolean fromOutput, MemorySegment dy, MemorySegment xy,
            MemorySegment dx) {
        long n = dy.byteSize() / type.byteSize();
        switch (type) {
            case F32 -> {
                for (long i = 0; i < n; i++) {
                    dx.setAtIndex(JAVA_FLOAT_UNALIGNED, i, backward(op, fromOutput,
                            dy.getAtIndex(JAVA_FLOAT_UNALIGNED, i), xy.getAtIndex(JAVA_FLOAT_UNALIGNED, i)));
                }
            }
            case F64 -> {
                for (long i = 0; i < n; i++) {
                    dx.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, backward(op, fromOutput,
                            dy.getAtIndex(JAVA_DOUBLE_UNALIGNED, i), xy.getAtIndex(JAVA_DOUBLE_UNALIGNED, i)));
                }
            }
            case BF16, F16 -> {
                for (long i = 0; i < n; i++) {
                    dx.setAtIndex(JAVA_SHORT_UNALIGNED, i, backward(op, type, fromOutput,
                            dy.getAtIndex(JAVA_SHORT_UNALIGNED, i), xy.getAtIndex(JAVA_SHORT_UNALIGNED, i)));
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The oracle, one value at a time.

    /** Plain ELU of one float: {@code forward(Op.elu(alpha), x)}. */
    public static float elu(float x, float alpha) {
        return forward(Op.elu(alpha), x);
    }

    /** {@code op} forward on one float (see {@link Op}). */
    public static float forward(Op op, float x) {
        if (Float.isNaN(x)) {
            return x;
        }
        return switch (op.kind()) {
            case RELU -> x > 0 ? x : 0f;
            case LEAKY_RELU -> x > 0 ? x : product(op.alpha(), x);
            case ELU -> {
                if (x > 0) {
                    yield product(op.scale(), x);
                }
                double t = x * op.inputScale();
                if (Math.abs(t) < 0x1p-53) {
                    yield tiny(x, op);
                }
                yield (float) (op.negativeCoefficient() * Math.expm1(t));
            }
        };
    }

    /** {@code op} forward on one double (see {@link Op}). */
    public static double forward(Op op, double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        return switch (op.kind()) {
            case RELU -> x > 0 ? x : 0.0;
            case LEAKY_RELU -> x > 0 ? x : op.alpha() * x;
            case ELU -> {
                if (x > 0) {
                    yield op.scale() * x;
                }
                double t = x * op.inputScale();
                if (takesExactProduct(op, x, t)) {
                    yield exactProduct(op, x).doubleValue();
                }
                yield op.negativeCoefficient() * carried(Math.expm1(t), x, op.inputScale(), t);
            }
        };
    }

    /**
     * expm1(t) with t = x * inputScale's rounding error put back where the input scale is negative:
     * there t grows with |x| and e^t multiplies that error by t (185 double ulps at
     * elu(1, 1, -1.1) of x = -640); expm1(t + tErr) = expm1(t) + e^t * tErr, with tErr the exact
     * error (fma). Where t is 0 (a zero's sign kept), the product exact or e not finite, e as it
     * is. The vector backend's f64 kernel and the helper do the same.
     */
    public static double carried(double e, double x, double inputScale, double t) {
        if (!(inputScale < 0) || t == 0 || !Double.isFinite(e)) {
            return e;
        }
        double tErr = Math.fma(x, inputScale, -t);
        return tErr != 0 ? Math.fma(e + 1, tErr, e) : e;
    }

    /**
     * Whether ELU at x < 0, t = x * inputScale, is {@link #exactProduct} rounded once: t subnormal
     * (or 0 from a non-zero x) and |alpha * scale| above 2.
     */
    public static boolean takesExactProduct(Op op, double x, double t) {
        return Math.abs(t) < Double.MIN_NORMAL && x != 0 && op.inputScale() != 0 && Math.abs(op.negativeCoefficient()) > 2;
    }

    /**
     * alpha * scale * x * inputScale exactly (each double is exact in decimal), for its caller to
     * round once: where x * inputScale is subnormal it was rounded to a multiple of 2^-1074, not
     * relative to its size, an error that a coefficient |alpha * scale| above 2 (CELU with a large
     * alpha) lifts above an ulp of the result (at most 2: within about 1.5 ulps). There expm1(t) = t
     * to far below an ulp, so ELU is that product. Rare, and only for such coefficients: ELU(1),
     * SELU and CELU up to alpha 2 never come here, whatever their inputs.
     */
    private static java.math.BigDecimal exactProduct(Op op, double x) {
        return new java.math.BigDecimal(op.alpha()).multiply(new java.math.BigDecimal(op.scale()))
                .multiply(new java.math.BigDecimal(x)).multiply(new java.math.BigDecimal(op.inputScale()));
    }

    /** {@code op} forward on one bf16 or f16 pattern: the f32 result rounded to the type. */
    public static short forward(Op op, DataType type, short x) {
        return narrow(type, forward(op, widen(type, x)));
    }

    /**
     * {@code op} backward on one float: {@code dy * op'(x)} where {@code xy} is x, or y = op(x)
     * when {@code fromOutput} (see {@link Op}; parameters must allow it).
     */
    public static float backward(Op op, boolean fromOutput, float dy, float xy) {
        return (float) backward(op, fromOutput, dy, xy, false);
    }

    /**
     * {@code op} backward on one double (see {@link #backward(Op, boolean, float, float)}); from
     * the output, {@code y + alpha * scale} keeps the product's exact low part
     * ({@link Op#negativeCoefficientLow()}), as the helper's f64 kernels do (the float types take
     * {@code alpha * scale} rounded to double, as their kernels do).
     */
    public static double backward(Op op, boolean fromOutput, double dy, double xy) {
        return backward(op, fromOutput, dy, xy, true);
    }

    private static double backward(Op op, boolean fromOutput, double dy, double xy, boolean low) {
        return switch (op.kind()) {
            case RELU -> xy <= 0 ? 0.0 : dy; // PyTorch's threshold_backward: a NaN x or y passes dy
            case LEAKY_RELU -> xy > 0 ? dy : op.alpha() * dy;
            case ELU -> {
                if (xy > 0) {
                    yield dy * op.scale();
                }
                if (fromOutput) {
                    double sum = xy + op.negativeCoefficient();
                    yield dy * op.inputScale() * (low ? sum + op.negativeCoefficientLow() : sum);
                }
                // exp magnifies the rounding of x * inputScale (|t| * 2^-53 relative: 300 double
                // ulps at t = -672); exp(t + tErr) = exp(t) * (1 + tErr) puts the error back.
                double t = xy * op.inputScale();
                double e = Math.exp(t);
                double tErr = Double.isFinite(t) ? Math.fma(xy, op.inputScale(), -t) : 0;
                yield dy * (op.negativeCoefficient() * op.inputScale()) * (tErr != 0 && e != Double.POSITIVE_INFINITY ? e + e * tErr : e);
            }
        };
    }

    /** {@code op} backward on bf16 or f16 patterns: computed as f32, rounded to the type. */
    public static short backward(Op op, DataType type, boolean fromOutput, short dy, short xy) {
        return narrow(type, backward(op, fromOutput, widen(type, dy), widen(type, xy)));
    }

    /** A bf16 or f16 pattern as a float (exact). */
    public static float widen(DataType type, short bits) {
        return type == DataType.BF16 ? HalfFloats.bf16ToFloat(bits) : HalfFloats.f16ToFloat(bits);
    }

    /** A float rounded to bf16 or f16, to nearest even. */
    public static short narrow(DataType type, float f) {
        return type == DataType.BF16 ? HalfFloats.floatToBf16(f) : HalfFloats.floatToF16(f);
    }

    /**
     * a * x correctly rounded to float. The double product is within half a double ulp of the
     * exact one, so rounding it to float is right unless it lands exactly halfway between two
     * floats (which happens for subnormal results); then the exact product's rounding error,
     * which fma gives exactly, says on which side the exact value lies.
     */
    static float product(double a, float x) {
        double p = a * x;
        float f = (float) p;
        double err = p - f;
        if (err != 0) {
            float g = err > 0 ? Math.nextUp(f) : Math.nextDown(f);
            if ((double) g - p == p - (double) f) {
                double dropped = Math.fma(a, x, -p);
                if (dropped != 0) {
                    return dropped > 0 ? Math.max(f, g) : Math.min(f, g);
                }
            }
        }
        return f;
    }

    /**
     * c * expm1(x * s) for |x * s| < 2^-53, where expm1(t) = t + t²/2 + ...: the double product
     * c * x * s is below half a double ulp from the exact value, but rounding it to float a second
     * time goes wrong when it lies exactly halfway between two floats (common for subnormal
     * results). Such a halfway case is decided by the sign of what the double product dropped: its
     * rounding errors (exact through fma) plus c * t²/2.
     */
    private static float tiny(float x, Op op) {
        double s = op.inputScale();
        double c = op.negativeCoefficient();
        double t = x * s;
        if (takesExactProduct(op, x, t)) {
            return exactProduct(op, x).floatValue();
        }
        double tErr = Math.fma(x, s, -t);
        double p = c * t;
        float f = (float) p;
        double err = p - f;
        if (err != 0) {
            float g = err > 0 ? Math.nextUp(f) : Math.nextDown(f);
            if ((double) g - p == p - (double) f) {
                double dropped = Math.fma(c, t, -p) + c * (tErr + t * t * 0.5);
                if (dropped != 0) {
                    boolean up = dropped > 0;
                    return up ? Math.max(f, g) : Math.min(f, g);
                }
            }
        }
        return f;
    }
}
