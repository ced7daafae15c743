package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.elu4j.DataType;
import org.elu4j.internal.FloatUlps;
import org.elu4j.internal.HalfFloats;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.scalar.ScalarBackend;
import org.elu4j.testing.DocumentedLimits;
import org.elu4j.testing.Family;
import org.elu4j.reference.Reference;
import org.elu4j.testing.References;
import org.elu4j.testing.Tolerance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The oracle itself is checked against an independent 60-digit BigDecimal reference
 * ({@link Reference}): plain ELU must be the correctly rounded result on every sampled input (it
 * rounds a double once; a double-rounding miss would take an input within 2^-29 ulp of a
 * midpoint); for every function of the family, f32 forward and backward (from the input and from
 * the output) within 1 ulp, f64 forward within 2 double ulps and backward within 4, ReLU exact,
 * and bf16/f16 the f32 result rounded to nearest even.
 */
class ScalarOracleTest {

    @Test
    void scalarIsCorrectlyRoundedOnSampledNegatives() {
        SplittableRandom r = new SplittableRandom(2026);
        for (int i = 0; i < 20_000; i++) {
            // every exponent from subnormal to 2^7, negative
            float x = -Float.intBitsToFloat(r.nextInt(1, 0x43000000));
            for (float alpha : new float[] {1f, 0.5f, 2f}) {
                float want = Reference.elu(x, alpha);
                float got = ScalarBackend.elu(x, alpha);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got),
                        () -> "ELU(" + x + ", " + alpha + "): scalar " + got + " vs reference " + want);
            }
        }
    }

    @Test
    void knownValues() {
        // Values from the definition, independent of any implementation.
        assertEquals(-0.63212055882855767840f, ScalarBackend.elu(-1f, 1f));
        assertEquals(-0.86466471676338730810f, ScalarBackend.elu(-2f, 1f));
        assertEquals(-1f, ScalarBackend.elu(-20f, 1f));
        assertEquals(-Float.MIN_VALUE, ScalarBackend.elu(-Float.MIN_VALUE, 1f));
        assertEquals(3.5f, ScalarBackend.elu(3.5f, 1f));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(ScalarBackend.elu(-0f, 1f)));
        assertEquals(-2f, ScalarBackend.elu(Float.NEGATIVE_INFINITY, 2f));
    }

    static List<Family.Fn> functions() {
        List<Family.Fn> all = new ArrayList<>(Family.functionsAndEdges());
        all.addAll(Family.hugeCoefficients());
        return all;
    }

    /**
     * Dense negative inputs (every 2^18th float from -0 to -inf, ~8k; every 2^16th where nothing
     * is exponential), the edges of {@link Family#specialsF32}, and random positives; zero,
     * infinities and NaN are in {@link #specialValuesFollowTheDefinition}. (HalfTablesTest holds
     * the scalar backend's f32 forward to the reference on every bf16 and f16 pattern too, 131,072
     * inputs a function, through the reference's fast correctly rounded path.)
     */
    static float[] denseF32(Op op) {
        List<Float> xs = new ArrayList<>();
        int stride = op.kind() == Op.Kind.ELU ? 1 << 18 : 1 << 16;
        for (long bits = 0x80000001L; bits < 0xFF800000L; bits += stride) {
            xs.add(Float.intBitsToFloat((int) bits));
        }
        for (float v : Family.specialsF32(op)) {
            if (Float.isFinite(v) && v != 0) {
                xs.add(v);
                xs.add(Math.nextUp(v));
                xs.add(Math.nextDown(v));
            }
        }
        SplittableRandom r = new SplittableRandom(op.toString().hashCode());
        for (int i = 0; i < 1500; i++) {
            xs.add(Float.intBitsToFloat(r.nextInt(1, 0x7f800000)));
            xs.add((float) -r.nextDouble(0, 30 / Math.abs(op.inputScale()))); // the curved part, densely
        }
        float[] a = new float[xs.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = xs.get(i);
        }
        return a;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void f32ForwardWithinOneUlpOfTheReference(Family.Fn fn) {
        Op op = fn.op();
        int exact = 0;
        int n = 0;
        StringBuilder bad = new StringBuilder();
        StringBuilder miss = new StringBuilder();
        for (float x : denseF32(op)) {
            if (x == 0 || !Float.isFinite(x) || !Float.isFinite(ScalarBackend.forward(op, x))) {
                continue; // overflow on the positive side is checked in specialValuesFollowTheDefinition
            }
            java.math.BigDecimal ref = References.of(op).forward(x);
            float want = ref.floatValue();
            float got = ScalarBackend.forward(op, x);
            n++;
            long ulps = FloatUlps.distance(got, want);
            boolean sign = Float.floatToRawIntBits(got) < 0 == (ref.signum() < 0) || ref.signum() == 0;
            if (op.kind() == Op.Kind.RELU ? Float.floatToRawIntBits(got) != Float.floatToRawIntBits(want) : ulps > 1 || !sign) {
                if (bad.length() < 600) {
                    bad.append(String.format("%n  %s(%s [0x%08x]) = %s, reference %s (%d ulp, sign %s)", fn, x,
                            Float.floatToRawIntBits(x), got, want, ulps, sign ? "ok" : "wrong"));
                }
            }
            if (ulps == 0) {
                exact++;
            } else if (miss.length() < 400) {
                miss.append(String.format(" %s(0x%08x)->%s/%s", x, Float.floatToRawIntBits(x), got, want));
            }
        }
        if (bad.length() > 0) {
            fail(fn + ": scalar f32 forward off the 60-digit reference:" + bad);
        }
        System.out.printf("ScalarOracleTest: %s f32 forward: %d of %d correctly rounded, the rest within 1 ulp%s%n", fn, exact, n, miss);
        assertTrue(n > (op.inputScale() < 0 ? 2_000 : 10_000), "dense: " + n); // a negative input scale overflows most negatives
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void f64ForwardWithinTwoDoubleUlpsOfTheReference(Family.Fn fn) {
        Op op = fn.op();
        SplittableRandom r = new SplittableRandom(17 + op.toString().hashCode());
        long worst = 0;
        int limited = 0;
        StringBuilder bad = new StringBuilder();
        List<Double> xs = new ArrayList<>();
        for (long bits = 0x8000000000000001L; bits < 0xFFF0000000000000L && bits < 0; bits += 1L << 50) {
            xs.add(Double.longBitsToDouble(bits)); // every exponent of the negative doubles, ~8k values
        }
        for (double v : Family.specialsF64(op)) {
            if (Double.isFinite(v) && v != 0) {
                xs.add(v);
                xs.add(Math.nextUp(v));
                xs.add(Math.nextDown(v));
            }
        }
        for (int i = 0; i < 2000; i++) {
            xs.add(-r.nextDouble(0, 40 / Math.abs(op.inputScale())));
            xs.add(Double.longBitsToDouble(r.nextLong(1, 0x7ff0000000000000L)));
        }
        for (double x : xs) {
            double got = ScalarBackend.forward(op, x);
            if (!Double.isFinite(x) || x == 0 || !Double.isFinite(got)) {
                continue;
            }
            if (DocumentedLimits.why(op, DataType.F64, Pass.FORWARD, Double.NaN, x) != null) {
                limited++;
                continue;
            }
            double want = References.of(op).forward(x).doubleValue();
            long ulps = Tolerance.doubleUlps(got, want);
            worst = Math.max(worst, ulps);
            if ((op.kind() == Op.Kind.RELU ? ulps != 0 : ulps > 2) && bad.length() < 600) {
                bad.append(String.format("%n  %s(%s) = %s, reference %s (%d double ulps)", fn, x, got, want, ulps));
            }
        }
        if (bad.length() > 0) {
            fail(fn + ": scalar f64 forward off the 60-digit reference:" + bad);
        }
        System.out.printf("ScalarOracleTest: %s f64 forward: worst %d double ulps over %d inputs%s%n", fn, worst, xs.size(),
                limited == 0 ? "" : "; " + limited + " in a limit docs/accuracy.md lists, left out");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void f32BackwardWithinOneUlpOfTheReference(Family.Fn fn) {
        Op op = fn.op();
        SplittableRandom r = new SplittableRandom(99 + op.toString().hashCode());
        float[] xs = denseF32(op);
        StringBuilder bad = new StringBuilder();
        int n = 0;
        int limited = 0;
        for (int i = 0; i < xs.length; i += 2) {
            float x = xs[i];
            float dy = r.nextInt(8) == 0 ? Float.intBitsToFloat(r.nextInt(0x20000000, 0x60000000)) : (float) r.nextDouble(-4, 4);
            if (dy == 0 || x == 0 || !Float.isFinite(x)) {
                continue;
            }
            for (boolean fromOutput : new boolean[] {false, true}) {
                if (fromOutput && op.fromOutputProblem() != null) {
                    continue;
                }
                float xy = fromOutput ? ScalarBackend.forward(op, x) : x;
                if (xy == 0 || !Float.isFinite(xy)) {
                    continue;
                }
                float got = ScalarBackend.backward(op, fromOutput, dy, xy);
                float want;
                try {
                    want = References.of(op).backward(fromOutput, dy, xy).floatValue();
                } catch (IllegalArgumentException beyondEveryType) { // the reference's e^t overflows every type
                    want = Float.isInfinite(got) ? got : Float.NaN;
                }
                if (!Float.isFinite(got)) { // only where the exact value is beyond the float range
                    if (got != want && bad.length() < 600) {
                        bad.append(String.format("%n  %s backward from %s (dy=%s, %s=%s) = %s, reference %s", fn,
                                fromOutput ? "output" : "input", dy, fromOutput ? "y" : "x", xy, got, want));
                    }
                    continue;
                }
                if (DocumentedLimits.why(op, DataType.F32, fromOutput ? Pass.BACKWARD_FROM_OUTPUT : Pass.BACKWARD_FROM_INPUT, dy, xy) != null) {
                    limited++;
                    continue;
                }
                n++;
                long ulps = FloatUlps.distance(got, want);
                if ((op.kind() == Op.Kind.RELU ? ulps != 0 : ulps > 1) && bad.length() < 600) {
                    bad.append(String.format("%n  %s backward from %s (dy=%s, %s=%s) = %s, reference %s (%d ulp)", fn,
                            fromOutput ? "output" : "input", dy, fromOutput ? "y" : "x", xy, got, want, ulps));
                }
            }
        }
        if (bad.length() > 0) {
            fail(fn + ": scalar f32 backward off the 60-digit reference:" + bad);
        }
        if (limited > 0) {
            System.out.printf("ScalarOracleTest: %s f32 backward: %d of %d points in a limit docs/accuracy.md lists, left out%n", fn,
                    limited, limited + n);
        }
        assertTrue(n > (op.inputScale() < 0 ? 2_000 : 5_000), "dense: " + n);
    }

    /**
     * f64 backward within 4 double ulps of the reference (from the input on x in [-800, 0] / inputScale
     * and every exponent; from the output on y = oracle forward of x, plus 2 ulp(|dy * inputScale *
     * alpha * scale|) where y + alpha * scale cancels). exp(x * inputScale) amplifies
     * the rounding error of the product {@code x * inputScale} by |x * inputScale|, so the oracle
     * must account for it where the input scale is not a power of two.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void f64BackwardWithinFourDoubleUlpsOfTheReference(Family.Fn fn) {
        Op op = fn.op();
        SplittableRandom r = new SplittableRandom(23 + op.toString().hashCode());
        long worst = 0;
        int limited = 0;
        StringBuilder bad = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            double x = switch (i % 3) {
                case 0 -> -r.nextDouble(0, 800) / op.inputScale();
                case 1 -> -r.nextDouble(0, 40) / op.inputScale();
                default -> Double.longBitsToDouble(r.nextLong(1, 0x4090000000000000L) | (r.nextBoolean() ? Long.MIN_VALUE : 0));
            };
            double dy = r.nextDouble(-4, 4);
            for (boolean fromOutput : new boolean[] {false, true}) {
                if (fromOutput && op.fromOutputProblem() != null) {
                    continue;
                }
                double xy = fromOutput ? ScalarBackend.forward(op, x) : x;
                double got = ScalarBackend.backward(op, fromOutput, dy, xy);
                if (xy == 0 || dy == 0 || !Double.isFinite(xy)) {
                    continue;
                }
                double want;
                try {
                    want = References.of(op).backward(fromOutput, dy, xy).doubleValue();
                } catch (IllegalArgumentException beyondEveryType) { // the reference's e^t overflows every type
                    want = Double.isInfinite(got) ? got : Double.NaN;
                }
                if (!Double.isFinite(got)) { // only where the exact value is beyond the double range
                    if (got != want && bad.length() < 600) {
                        bad.append(String.format("%n  %s backward from %s (dy=%s, %s=%s) = %s, reference %s", fn,
                                fromOutput ? "output" : "input", dy, fromOutput ? "y" : "x", xy, got, want));
                    }
                    continue;
                }
                if (DocumentedLimits.why(op, DataType.F64, fromOutput ? Pass.BACKWARD_FROM_OUTPUT : Pass.BACKWARD_FROM_INPUT, dy, xy) != null) {
                    limited++;
                    continue;
                }
                long ulps = Tolerance.doubleUlps(got, want);
                // from the output, y + alpha * scale cancels: y carries only c's precision (see Tolerance)
                double slack = fromOutput && op.kind() == Op.Kind.ELU && !(xy > 0)
                        ? 2 * Math.ulp(Math.abs(dy * op.inputScale() * op.negativeCoefficient())) : 0;
                boolean ok = op.kind() == Op.Kind.RELU ? ulps == 0 : ulps <= 4 || Math.abs(got - want) <= 4 * Math.ulp(want) + slack;
                if (slack == 0) {
                    worst = Math.max(worst, ulps);
                }
                if (!ok && bad.length() < 600) {
                    bad.append(String.format("%n  %s backward from %s (dy=%s, %s=%s) = %s, reference %s (%d double ulps)", fn,
                            fromOutput ? "output" : "input", dy, fromOutput ? "y" : "x", xy, got, want, ulps));
                }
            }
        }
        System.out.printf("ScalarOracleTest: %s f64 backward: worst %d double ulps (outside the cancellation of y + alpha*scale)%s%n", fn, worst,
                limited == 0 ? "" : "; " + limited + " points in a limit docs/accuracy.md lists, left out");
        if (bad.length() > 0) {
            fail(fn + ": scalar f64 backward off the 60-digit reference:" + bad);
        }
    }

    /**
     * bf16/f16: every pattern's result is the f32 result rounded to nearest even, with the
     * rounding done here independently (bf16: by comparing the distances to the two neighbours;
     * f16: the JDK's {@link Float#floatToFloat16}); and on sampled patterns the 60-digit reference
     * rounded to f32 and then to the type gives the same pattern.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void halfTypesAreTheF32ResultRoundedToNearestEven(Family.Fn fn) {
        Op op = fn.op();
        SplittableRandom r = new SplittableRandom(5 + op.toString().hashCode());
        for (DataType t : new DataType[] {DataType.BF16, DataType.F16}) {
            for (int bits = 0; bits < 0x10000; bits++) {
                short x = (short) bits;
                float wide = ScalarBackend.widen(t, x);
                float f = ScalarBackend.forward(op, wide);
                short got = ScalarBackend.forward(op, t, x);
                if (Float.isNaN(f)) {
                    assertTrue(Float.isNaN(ScalarBackend.widen(t, got)), fn + " " + t + ": NaN stays NaN");
                    continue;
                }
                short want = t == DataType.BF16 ? bf16Nearest(f) : Float.floatToFloat16(f);
                if (got != want) {
                    fail(String.format("%s %s(0x%04x = %s): 0x%04x, f32 result %s rounds to 0x%04x", fn, t, bits, wide, got, f, want));
                }
            }
            for (int i = 0; i < 600; i++) {
                short x = (short) r.nextInt(0x10000);
                float wide = ScalarBackend.widen(t, x);
                if (!Float.isFinite(wide) || wide == 0 || !Float.isFinite(ScalarBackend.forward(op, wide))) {
                    continue;
                }
                float ref = References.of(op).forward(wide).floatValue();
                short want = t == DataType.BF16 ? bf16Nearest(ref) : Float.floatToFloat16(ref);
                short got = ScalarBackend.forward(op, t, x);
                if (ref == 0) { // an exact zero (alpha 0): its sign comes from IEEE rules, not the reference
                    assertTrue(ScalarBackend.widen(t, got) == 0, () -> fn + " " + t + "(" + wide + ")");
                } else {
                    assertEquals(want, got, () -> fn + " " + t + "(" + wide + ")");
                }
            }
        }
        assertEquals((short) 0x3F80, bf16Nearest(Float.intBitsToFloat(0x3F808000))); // tie, even below
        assertEquals((short) 0x3F82, bf16Nearest(Float.intBitsToFloat(0x3F818000))); // tie, even above
        assertEquals((short) 0x7F80, bf16Nearest(Float.intBitsToFloat(0x7F7FFFFF))); // rounds up to +inf
        assertEquals((short) 0x8001, bf16Nearest(-0x1p-133f * 0.75f)); // subnormal bf16
    }

    /** A finite float to the nearest bfloat16, ties to even, by comparing distances (not by bit tricks). */
    static short bf16Nearest(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = bits & 0x80000000;
        int mag = bits & 0x7FFFFFFF;
        int lowBits = mag & 0xFFFF0000;
        double low = Float.intBitsToFloat(lowBits);
        int highBits = lowBits + 0x10000;
        double high = highBits == 0x7F800000 ? 0x1p128 : Float.intBitsToFloat(highBits); // the step past the largest finite
        double a = Math.abs((double) f);
        double dLow = a - low;
        double dHigh = high - a;
        int chosen = dLow < dHigh ? lowBits : dHigh < dLow ? highBits : ((lowBits >>> 16) & 1) == 0 ? lowBits : highBits;
        return (short) ((sign | chosen) >>> 16);
    }

    /** Zeros, infinities, NaN and overflow, from the definitions in {@link Op}. */
    @Test
    void specialValuesFollowTheDefinition() {
        Op selu = Op.elu(Elu.SELU_ALPHA, Elu.SELU_SCALE, 1);
        Op neg = Op.elu(-0.7);
        Op leaky = Op.leakyRelu(0.01);
        Op relu = Op.relu();
        // -0.0 gives the sign of alpha * scale * inputScale * -0.0
        assertEquals(0x80000000, Float.floatToRawIntBits(ScalarBackend.forward(selu, -0f)));
        assertEquals(0, Float.floatToRawIntBits(ScalarBackend.forward(neg, -0f)));
        assertEquals(0x80000000, Float.floatToRawIntBits(ScalarBackend.forward(neg, 0f))); // -0.7 * expm1(+0)
        assertEquals(0, Float.floatToRawIntBits(ScalarBackend.forward(relu, -0f)));
        assertEquals(0, Float.floatToRawIntBits(ScalarBackend.forward(relu, Float.NEGATIVE_INFINITY)));
        assertEquals(0x80000000, Float.floatToRawIntBits(ScalarBackend.forward(leaky, -0f)));
        assertEquals(0x8000000000000000L, Double.doubleToRawLongBits(ScalarBackend.forward(selu, -0.0)));
        // -inf gives -alpha * scale (exactly rounded), +inf gives +inf
        assertEquals((float) -(Elu.SELU_ALPHA * Elu.SELU_SCALE), ScalarBackend.forward(selu, Float.NEGATIVE_INFINITY));
        assertEquals(References.of(selu).forward(-1000).floatValue(), ScalarBackend.forward(selu, Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, ScalarBackend.forward(selu, Float.POSITIVE_INFINITY));
        assertEquals(Float.NEGATIVE_INFINITY, ScalarBackend.forward(leaky, Float.NEGATIVE_INFINITY));
        // scale * x overflows to infinity (SELU's scale > 1)
        assertEquals(Float.POSITIVE_INFINITY, ScalarBackend.forward(selu, Float.MAX_VALUE));
        assertEquals(Double.POSITIVE_INFINITY, ScalarBackend.forward(selu, Double.MAX_VALUE));
        // NaN keeps its bits in f32 and f64
        float nan = Float.intBitsToFloat(0x7fa00001);
        for (Op op : new Op[] {selu, neg, leaky, relu}) {
            assertEquals(0x7fa00001, Float.floatToRawIntBits(ScalarBackend.forward(op, nan)), op.toString());
            assertEquals(0xfff8000000000123L, Double.doubleToRawLongBits(ScalarBackend.forward(op, Double.longBitsToDouble(0xfff8000000000123L))));
        }
        // backward: ReLU's negative side is +0.0 whatever dy's sign; the positive side dy * scale
        assertEquals(0, Float.floatToRawIntBits(ScalarBackend.backward(relu, false, -3f, -1f)));
        assertEquals(0, Float.floatToRawIntBits(ScalarBackend.backward(relu, true, -3f, 0f)));
        assertEquals(-3f, ScalarBackend.backward(relu, false, -3f, 2f));
        // PyTorch parity at NaN (torch 1.13: relu's threshold_backward tests x <= 0, so a NaN x
        // passes dy; leaky_relu_backward tests x > 0, so a NaN x gives slope * dy)
        for (boolean fromOutput : new boolean[] {false, true}) {
            assertEquals(-3f, ScalarBackend.backward(relu, fromOutput, -3f, Float.NaN));
            assertEquals(-3.0, ScalarBackend.backward(relu, fromOutput, -3.0, Double.NaN));
            assertEquals(-0.03f, ScalarBackend.backward(leaky, fromOutput, -3f, Float.NaN));
        }
        assertEquals((float) (2 * Elu.SELU_SCALE), ScalarBackend.backward(selu, false, 2f, 5f));
        // the derivative at 0 is the negative side's: alpha * scale * inputScale
        assertEquals((float) (Elu.SELU_ALPHA * Elu.SELU_SCALE), ScalarBackend.backward(selu, false, 1f, 0f));
        assertEquals((float) (Elu.SELU_ALPHA * Elu.SELU_SCALE), ScalarBackend.backward(selu, true, 1f, 0f));
        assertEquals(0.01f, ScalarBackend.backward(leaky, false, 1f, -0f));
        Op celu = Op.elu(0.5, 1, 2);
        assertEquals(1f, ScalarBackend.backward(celu, false, 1f, 0f)); // 0.5 * 1 * 2 * e^0
        assertEquals(References.of(celu).backward(false, 1, -1.5).floatValue(), ScalarBackend.backward(celu, false, 1f, -1.5f));
    }
}
