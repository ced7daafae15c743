package org.elu4j.testing;

import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.internal.FloatUlps;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.scalar.ScalarBackend;

/**
 * How far a backend's result may be from the scalar oracle's, per element type and pass. Every
 * method returns null when {@code got} is acceptable, else what is wrong. {@code xy} is the
 * forward's input x (forward, backward from input) or output y (backward from output); {@code dy}
 * is the upstream gradient (NaN for forward, unused). {@code c} below is {@code alpha * scale}
 * ({@link Op#negativeCoefficient()}) and {@code s} the input scale.
 *
 * <h2>helper, vector, scalar</h2>
 * <ul>
 * <li>Everywhere: NaN exactly where the oracle has NaN; on f32/f64 forward a NaN input comes back
 *     with its bits. Infinities exactly. When both results are zero, the same sign.</li>
 * <li>f32 forward: at most 1 ulp from the oracle, whatever the parameters (these backends
 *     evaluate non-power-of-two parameters in double), and the same sign bit.</li>
 * <li>f64 forward: at most 4 double ulps, the same sign bit.</li>
 * <li>Backward (f32; f64 in double ulps): at most 2 ulps, or
 *     {@code |got - want| <= 2 ulp(want) + slack}; f64 from the input 4 instead of 2, as the
 *     oracle's {@code (dy * (c * s)) * exp(t)} is itself up to about 2.6 double ulps from the
 *     exact value where {@code c * s} is rounded twice (the helper's f64 kernel is within 0.6 of
 *     it, so up to 3 from the oracle). The slack is, on the negative side of ELU:
 *     from the output {@code |dy * s * c| * 2^-45} for the float types, whose kernels take c to
 *     about 2^-46 (the formula {@code y + c} cancels, so that shows), none for f64, which keeps
 *     c's low part as the oracle does; from the input {@code |dy * s * c| * 2^-148}
 *     (f64: {@code 2^-1073}), the absolute error of an exp that underflows to a subnormal.
 *     A NaN is also accepted where the oracle has an infinity and dy is infinite, only where the
 *     derivative may be 0 in the backend's precision but not in double (inf times it:
 *     {@link #derivativeMayVanish}).</li>
 * <li>bf16/f16 (forward and backward): at most 1 unit of the type from the oracle's pattern (the
 *     oracle's f32 result rounded to nearest even), plus the backward slack above; the caller also
 *     bounds how many elements differ at all ({@link #halfMismatchLimit}).</li>
 * </ul>
 *
 * <h2>oneDNN</h2>
 * Computes {@code exp(x) - 1} in float with float parameters: the sign of zero is free; the
 * positive side is exact for scale 1 and input scale 1 (one pass), else within 2 ulp (a composed
 * plan rounds {@code s * x} and then {@code (scale / s) * (s * x)}); the negative side (forward) is within
 * {@code 4 ulp(|c|) + 4 ulp(want)} absolute, backward within {@code 4 ulp(|dy * s * c|) + 4 ulp(want)}
 * plus the slack above. bf16/f16: 2 units of the type (its intermediate results are rounded to
 * the type) plus the same absolute terms; f64 uses double ulps. No bound on the count of
 * differing bf16/f16 elements. Five deviations of oneDNN are accepted and named here so that a
 * change shows: at the type's overflow threshold its float parameters may round the result
 * across it (the largest finite value against an infinity of the same sign: SELU's scale as a
 * float); subnormal inputs and results lose precision or flush to zero (an absolute error
 * below {@code 2^-125 * max(1, scale, scale / s, |c * s|)} is accepted: {@code scale / s} where a
 * composed plan's intermediate {@code s * x} is flushed); with a zero negative coefficient
 * (LeakyReLU(0), ELU(0)) it gives 0 at -inf where the definition's {@code 0 * -inf} is NaN; its
 * backward multiplies dy by the parameters first, so where {@code |dy|} times the largest of 1,
 * {@code |alpha|}, {@code |scale|}, {@code |s|}, {@code |c|} and {@code |c * s|} is beyond the type's range it may give NaN or an infinity; and its backward selects the side
 * with {@code x <= 0} and multiplies by dy: where x/y is NaN or dy is NaN or infinite, NaN or the
 * positive side's {@code dy * scale} (within a few units) is accepted as well as the oracle's value.
 */
public final class Tolerance {
    private Tolerance() {
    }

    private static boolean accurate(Backend b) {
        return b != Backend.ONEDNN;
    }

    /** At most this many elements of n may differ at all from the oracle on bf16/f16 (accurate backends). */
    public static int halfMismatchLimit(int n) {
        return n / 128 + 2;
    }

    private static boolean positiveSide(double xy) {
        return xy > 0;
    }

    // ---------------------------------------------------------------------------------------------

    public static String f32(Backend b, Op op, Pass pass, float dy, float xy, float got, float want) {
        boolean forward = pass == Pass.FORWARD;
        if (!accurate(b) && oneDnnAccepts(op, pass, dy, xy, got, want, ScalarBackend.backward(op, false, dy, 1f), 0x1p-21, Float.MAX_VALUE)) {
            return null;
        }
        String special = nonFinite(b, pass, Float.isNaN(want), Float.isNaN(got), Float.isInfinite(want),
                Float.isInfinite(got), got == want, Double.isInfinite(dy) && derivativeMayVanish(op, pass, xy, false));
        if (special != null) {
            return special.isEmpty() ? null : special;
        }
        if (Float.isNaN(want)) {
            if (forward && accurate(b) && Float.isNaN(xy) && Float.floatToRawIntBits(got) != Float.floatToRawIntBits(xy)) {
                return String.format("NaN bits changed: 0x%08x in, 0x%08x out", Float.floatToRawIntBits(xy),
                        Float.floatToRawIntBits(got));
            }
            return null;
        }
        boolean signDiffers = (Float.floatToRawIntBits(got) ^ Float.floatToRawIntBits(want)) < 0;
        if (got == 0 && want == 0) {
            return !accurate(b) || !signDiffers ? null : "sign of zero differs";
        }
        long ulps = FloatUlps.distance(got, want);
        double err = Math.abs((double) got - want);
        double c = Math.abs(op.negativeCoefficient());
        if (accurate(b)) {
            if (forward) {
                if (signDiffers) {
                    return "sign differs";
                }
                return ulps <= 1 ? null : ulps + " ulp > 1";
            }
            if (ulps <= 2) {
                return null;
            }
            double bound = 2 * Math.ulp(want) + slack(op, pass, dy, xy, DataType.F32);
            return err <= bound ? null : ulps + " ulp: |error| " + err + " > " + bound;
        }
        // oneDNN
        if (positiveSide(xy)) {
            // one pass passes positives through; a composed plan (EltwisePlan) rounds each pass's
            // product, (scale / s) * (s * x) where the input scale s is not 1
            if (forward && op.scale() == 1 && op.inputScale() == 1) {
                return Float.floatToRawIntBits(got) == Float.floatToRawIntBits(want) ? null : "positive side not exact";
            }
            return ulps <= 2 ? null : ulps + " ulp > 2 (positive side)";
        }
        double bound = forward ? 4 * Math.ulp((float) c) + 4 * Math.ulp(want)
                : 4 * Math.ulp((float) Math.abs(dy * op.inputScale() * c)) + 4 * Math.ulp(want) + slack(op, pass, dy, xy, DataType.F32);
        return err <= bound ? null : "|error| " + err + " > " + bound;
    }

    public static String f64(Backend b, Op op, Pass pass, double dy, double xy, double got, double want) {
        boolean forward = pass == Pass.FORWARD;
        if (!accurate(b) && oneDnnAccepts(op, pass, dy, xy, got, want, ScalarBackend.backward(op, false, dy, 1.0), 0x1p-50, Double.MAX_VALUE)) {
            return null;
        }
        String special = nonFinite(b, pass, Double.isNaN(want), Double.isNaN(got), Double.isInfinite(want),
                Double.isInfinite(got), got == want, Double.isInfinite(dy) && derivativeMayVanish(op, pass, xy, true));
        if (special != null) {
            return special.isEmpty() ? null : special;
        }
        if (Double.isNaN(want)) {
            if (forward && accurate(b) && Double.isNaN(xy) && Double.doubleToRawLongBits(got) != Double.doubleToRawLongBits(xy)) {
                return String.format("NaN bits changed: 0x%016x in, 0x%016x out", Double.doubleToRawLongBits(xy),
                        Double.doubleToRawLongBits(got));
            }
            return null;
        }
        boolean signDiffers = (Double.doubleToRawLongBits(got) ^ Double.doubleToRawLongBits(want)) < 0;
        if (got == 0 && want == 0) {
            return !accurate(b) || !signDiffers ? null : "sign of zero differs";
        }
        long ulps = doubleUlps(got, want);
        double err = Math.abs(got - want);
        double c = Math.abs(op.negativeCoefficient());
        if (accurate(b)) {
            if (forward) {
                if (signDiffers) {
                    return "sign differs";
                }
                return ulps <= 4 ? null : ulps + " double ulp > 4";
            }
            // from the input, 4: the oracle's (dy * (c * s)) * exp(t) is itself up to ~2.6 ulp from
            // the exact value (c * s rounded twice, then three more roundings and exp's error)
            int max = pass == Pass.BACKWARD_FROM_INPUT ? 4 : 2;
            if (ulps <= max) {
                return null;
            }
            double bound = max * Math.ulp(want) + slack(op, pass, dy, xy, DataType.F64);
            return err <= bound ? null : ulps + " double ulp: |error| " + err + " > " + bound;
        }
        if (positiveSide(xy)) {
            return ulps <= 2 ? null : ulps + " double ulp > 2 (positive side)";
        }
        double bound = forward ? 4 * Math.ulp(c) + 4 * Math.ulp(want)
                : 4 * Math.ulp(Math.abs(dy * op.inputScale() * c)) + 4 * Math.ulp(want) + slack(op, pass, dy, xy, DataType.F64);
        return err <= bound ? null : "|error| " + err + " > " + bound;
    }

    /** bf16 or f16 patterns; dy and xy widened to float. */
    public static String half(Backend b, DataType type, Op op, Pass pass, float dy, float xy, short got, short want) {
        float g = ScalarBackend.widen(type, got);
        float w = ScalarBackend.widen(type, want);
        if (!accurate(b) && oneDnnAccepts(op, pass, dy, xy, g, w,
                ScalarBackend.widen(type, ScalarBackend.narrow(type, ScalarBackend.backward(op, false, dy, 1f))),
                type == DataType.BF16 ? 0x1p-6 : 0x1p-9, type == DataType.BF16 ? Float.MAX_VALUE : 65504)) {
            return null;
        }
        String special = nonFinite(b, pass, Float.isNaN(w), Float.isNaN(g), false, false, g == w,
                Float.isInfinite(dy) && derivativeMayVanish(op, pass, xy, false));
        if (special != null) {
            return special.isEmpty() ? null : special;
        }
        if (Float.isNaN(w)) {
            return null;
        }
        boolean signDiffers = ((got ^ want) & 0x8000) != 0;
        if (g == 0 && w == 0) {
            return !accurate(b) || !signDiffers ? null : "sign of zero differs";
        }
        long units = halfDistance(got, want);
        if (units <= (accurate(b) ? 1 : 2)) {
            return null; // also max finite vs infinity: the rounding boundary of the type's range
        }
        if (Float.isInfinite(w) || Float.isInfinite(g)) {
            return "infinity mismatch";
        }
        double err = Math.abs((double) g - w);
        double c = Math.abs(op.negativeCoefficient());
        double bound = (accurate(b) ? 1 : 2) * unit(type, want) + (pass == Pass.FORWARD ? 0 : slack(op, pass, dy, xy, DataType.F32));
        if (!accurate(b) && !positiveSide(xy)) {
            bound += pass == Pass.FORWARD ? 4 * Math.ulp((float) c) : 4 * Math.ulp((float) Math.abs(dy * op.inputScale() * c));
        }
        return err <= bound ? null : units + " " + type.cliName() + " units: |error| " + err + " > " + bound;
    }

    /**
     * oneDNN's accepted deviations (see the class comment): a flushed subnormal, a zero for a zero
     * coefficient at -inf, NaN or an infinity where dy times a coefficient overflows, and the
     * side it picks for NaN x/y or non-finite dy in backward ({@code positive}: the oracle's
     * positive-side value for this dy).
     */
    private static boolean oneDnnAccepts(Op op, Pass pass, double dy, double xy, double got, double want, double positive,
            double relative, double maxFinite) {
        // what a flushed subnormal can cost: in the result, or in a composed forward plan's
        // intermediate s * x (input scale s > 0, not 1), which its last pass scales by scale / s
        double composed = pass == Pass.FORWARD && op.inputScale() > 0 && op.inputScale() != 1
                ? Math.abs(op.scale() / op.inputScale()) : 1;
        double tiny = 0x1p-125 * Math.max(Math.max(1, composed),
                Math.max(Math.abs(op.scale()), Math.abs(op.negativeCoefficient() * op.inputScale())));
        if (Math.abs(got - want) < tiny) {
            return true;
        }
        if ((Double.isInfinite(got) && Math.abs(want) == maxFinite || Double.isInfinite(want) && Math.abs(got) == maxFinite)
                && Math.signum(got) == Math.signum(want)) {
            return true; // at the type's overflow threshold: its float parameters (scale) round x * scale across it
        }
        if (pass == Pass.FORWARD && Double.isNaN(want) && xy == Double.NEGATIVE_INFINITY && op.negativeCoefficient() == 0
                && got == 0) {
            return true; // a zero coefficient at -inf: the definition's 0 * -inf is NaN, oneDNN's eltwise gives 0
        }
        if (pass == Pass.FORWARD) {
            return false;
        }
        double coefficient = Math.max(Math.max(1, Math.abs(op.alpha())), Math.max(Math.abs(op.scale()), Math.abs(op.inputScale())));
        coefficient = Math.max(coefficient, Math.abs(op.negativeCoefficient()) * Math.max(1, Math.abs(op.inputScale())));
        if (Math.abs(dy) * coefficient >= maxFinite && (Double.isNaN(got) || Double.isInfinite(got))) {
            return true; // dy times a coefficient overflows in the type: oneDNN multiplies in that order
        }
        if (!(Double.isNaN(xy) || !Double.isFinite(dy))) {
            return false;
        }
        return Double.isNaN(got) || Double.compare(got, want) == 0 || got == positive
                || Math.abs(got - positive) <= Math.max(Math.abs(positive) * relative, tiny);
    }

    /**
     * The NaN and infinity rules shared by every type: null if they do not decide, "" if the
     * result is acceptable, else the problem.
     */
    private static String nonFinite(Backend b, Pass pass, boolean wantNaN, boolean gotNaN, boolean wantInf,
            boolean gotInf, boolean equal, boolean infTimesVanishing) {
        if (wantNaN != gotNaN) {
            if (gotNaN && wantInf && infTimesVanishing && pass != Pass.FORWARD) {
                return ""; // inf * a derivative that underflowed in the backend's precision
            }
            return wantNaN ? "NaN expected" : "NaN instead of a number";
        }
        if (wantNaN) {
            return null; // the caller checks bits where they matter
        }
        if (wantInf || gotInf) {
            return equal ? "" : "infinity mismatch";
        }
        return null;
    }

    /**
     * Whether ELU's negative-side derivative at {@code xy} is 0 in a backend's precision (double
     * for f64, float otherwise) though not in the oracle's double, so that an infinite dy may give
     * NaN: from the input where e^t or |c * s| * e^t is below the precision's normal range; from the
     * output where y + c is within two of its ulps of c (y holds only c's rounding) or |s * (y + c)|
     * is below the normal range. Nowhere else may an infinite gradient come back NaN.
     */
    static boolean derivativeMayVanish(Op op, Pass pass, double xy, boolean f64) {
        if (op.kind() != Op.Kind.ELU || pass == Pass.FORWARD || positiveSide(xy) || Double.isNaN(xy)) {
            return false;
        }
        double c = op.negativeCoefficient();
        double s = op.inputScale();
        double normal = f64 ? Double.MIN_NORMAL : Float.MIN_NORMAL;
        if (pass == Pass.BACKWARD_FROM_OUTPUT) {
            double sum = Math.abs(xy + c);
            return sum <= 2 * (f64 ? Math.ulp(c) : Math.ulp((float) c)) || Math.abs(s) * sum < normal;
        }
        double e = Math.exp(xy * s);
        return e < normal || Math.abs(c * s) * e < normal;
    }

    /** The backward slack (see the class comment), in the units of {@code type} (F32 for bf16/f16). */
    static double slack(Op op, Pass pass, double dy, double xy, DataType type) {
        if (op.kind() != Op.Kind.ELU || pass == Pass.FORWARD || positiveSide(xy)) {
            return 0;
        }
        double g = Math.abs(dy * op.inputScale() * op.negativeCoefficient());
        if (!Double.isFinite(g)) {
            return 0;
        }
        boolean f64 = type == DataType.F64;
        if (pass == Pass.BACKWARD_FROM_OUTPUT) {
            // f64 keeps alpha * scale's low part, as the oracle: no slack; the float kernels take
            // alpha * scale to about 2^-46 relative (a float pair, or double)
            return f64 ? 0 : g * 0x1p-45;
        }
        return g * (f64 ? 0x1p-1073 : 0x1p-148);
    }

    /** Doubles between a and b (±0 the same). */
    public static long doubleUlps(double a, double b) {
        return Math.abs(ordered(a) - ordered(b));
    }

    private static long ordered(double d) {
        long bits = Double.doubleToRawLongBits(d);
        return bits >= 0 ? bits : -(bits & 0x7fffffffffffffffL);
    }

    /** bf16 or f16 patterns between a and b (±0 the same; both types are sign-magnitude). */
    public static long halfDistance(short a, short b) {
        return Math.abs(orderedHalf(a) - orderedHalf(b));
    }

    private static int orderedHalf(short s) {
        int bits = s & 0xFFFF;
        return (bits & 0x8000) == 0 ? bits : -(bits & 0x7FFF);
    }

    /** The gap between |want| and the next pattern away from zero (towards zero for the largest finite). */
    static double unit(DataType type, short want) {
        int mag = want & 0x7FFF;
        float here = ScalarBackend.widen(type, (short) mag);
        float next = ScalarBackend.widen(type, (short) (mag + 1));
        if (Float.isInfinite(next)) {
            next = ScalarBackend.widen(type, (short) (mag - 1));
        }
        return Math.abs((double) next - here);
    }
}
