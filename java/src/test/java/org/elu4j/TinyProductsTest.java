package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigDecimal;
import java.util.List;
import org.elu4j.reference.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * ELU where x * inputScale falls to the bottom of the double range while alpha * scale brings
 * the result back up (CELU with a large alpha, on tiny inputs): there expm1(t) is t to far below
 * an ulp, so ELU is the product alpha * scale * x * inputScale, whose exact value (BigDecimal,
 * here) rounded once is the expected result. A subnormal double x * inputScale has lost its low
 * bits, which a coefficient above 1 then shows (hundreds of ulps, or 0 for a normal result).
 */
class TinyProductsTest {
    /** (alpha of CELU, x): f64 inputs whose x / alpha is subnormal or near it. */
    private static final List<double[]> F64_CASES = List.of(
            new double[] {1000, -Double.MIN_NORMAL},
            new double[] {1e6, -3.3e-306},
            new double[] {0x1p59, -3.3e-306},
            new double[] {0x1p59, -Double.MIN_NORMAL},
            new double[] {3, -0x1p-1060},
            new double[] {2.5, -Double.MIN_VALUE * 3});

    private static double exact(double alpha, double x) {
        // CELU(alpha) = elu(alpha, 1, 1 / alpha): the input scale is the double 1 / alpha
        return new BigDecimal(alpha).multiply(new BigDecimal(x)).multiply(new BigDecimal(1 / alpha)).doubleValue();
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"SCALAR", "VECTOR", "HELPER", "AUTO"})
    void f64OnTheBackendsThatAreExactThere(Backend b) {
        assumeTrue(Elu4j.isAvailable(b), () -> b + " is unavailable here");
        for (double[] c : F64_CASES) {
            double want = exact(c[0], c[1]);
            try (Arena arena = Arena.ofConfined()) {
                // 4099 elements (a staged tail, more than one vector): the case at both ends
                MemorySegment x = arena.allocate(ValueLayout.JAVA_DOUBLE, 4099);
                MemorySegment y = arena.allocate(ValueLayout.JAVA_DOUBLE, 4099);
                for (long i = 0; i < 4099; i++) {
                    x.setAtIndex(ValueLayout.JAVA_DOUBLE, i, i == 0 || i == 4098 ? c[1] : -1.0);
                }
                Elu.celu(c[0]).on(b).apply(x, y, DataType.F64);
                for (long i : new long[] {0, 4098}) {
                    double got = y.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
                    assertEquals(0, ulps(want, got), 1, () -> b + ": celu(" + c[0] + ") of " + c[1] + " = " + got + ", want " + want);
                }
                // one element on its own (the backend's tail path; apply(double) is always the scalar backend's)
                MemorySegment one = arena.allocate(ValueLayout.JAVA_DOUBLE, 1);
                one.set(ValueLayout.JAVA_DOUBLE, 0, c[1]);
                Elu.celu(c[0]).on(b).applyInPlace(one, DataType.F64);
                double single = one.get(ValueLayout.JAVA_DOUBLE, 0);
                assertEquals(0, ulps(want, single), 1, () -> b + ": celu(" + c[0] + ") of one element " + c[1] + " = " + single);
            }
        }
    }

    /** f32 reaches this only with alpha * scale above about 2^873: the scalar backend and the reference are exact there. */
    @Test
    void f32OnTheScalarBackendAndTheReference() {
        for (float x : new float[] {-1e-30f, -1e-20f, -Float.MIN_VALUE, -3e-38f}) {
            float want = new BigDecimal(1e300).multiply(new BigDecimal(x)).multiply(new BigDecimal(1 / 1e300)).floatValue();
            float scalar = Elu.celu(1e300).on(Backend.SCALAR).apply(x);
            assertEquals(want, scalar, () -> "scalar celu(1e300) of " + x);
            float reference = Reference.elu(1e300, 1, 1 / 1e300).at(x);
            assertEquals(want, reference, () -> "Reference.at for celu(1e300) of " + x);
        }
    }

    /** A zero factor keeps IEEE's signed zero (c * expm1(x * 0) = -0.0 for x < 0), in the reference as in the scalar backend. */
    @Test
    void aZeroInputScaleGivesMinusZero() {
        for (float x : new float[] {-1f, -1e-30f, -Float.MIN_VALUE, -100f}) {
            assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(Reference.elu(1, 1, 0).at(x)), () -> "reference at " + x);
            assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(Elu.elu(1, 1, 0).on(Backend.SCALAR).apply(x)),
                    () -> "scalar at " + x);
        }
    }

    /**
     * The backward from the output where the product falls below half the smallest subnormal:
     * CELU(0.7) at y = -0.69921875 has the factor (y + 0.7) / 0.7 (0.7 and 1 / 0.7 the doubles)
     * just below 1/896, whose float is just above it, so with dy = 448 * 2^-149 the exact dx is
     * below 2^-150 and rounds to a zero of dy's sign, while dy times the factor's float would round
     * to 2^-149. Every backend gives the zero (bwd_y_one's rule: a zero product is a zero of the
     * exact product's sign), in a vector's common path and in its tail.
     */
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"SCALAR", "VECTOR", "HELPER", "AUTO"})
    void aBackwardProductBelowHalfTheSmallestSubnormalIsAZeroOfItsSign(Backend b) {
        assumeTrue(Elu4j.isAvailable(b), () -> b + " is unavailable here");
        float y = -0.69921875f;
        BigDecimal factor = new BigDecimal(y).add(new BigDecimal(0.7)).multiply(new BigDecimal(1 / 0.7));
        BigDecimal n896 = new BigDecimal(896);
        assertEquals(-1, factor.multiply(n896).compareTo(BigDecimal.ONE), "the factor is below 1/896");
        assertEquals(1, new BigDecimal((float) factor.doubleValue()).multiply(n896).compareTo(BigDecimal.ONE),
                "its float is above 1/896");
        for (float dy : new float[] {448 * Float.MIN_VALUE, -448 * Float.MIN_VALUE}) {
            try (Arena arena = Arena.ofConfined()) {
                int n = 4099;
                MemorySegment g = arena.allocate(ValueLayout.JAVA_FLOAT, n);
                MemorySegment ys = arena.allocate(ValueLayout.JAVA_FLOAT, n);
                MemorySegment dx = arena.allocate(ValueLayout.JAVA_FLOAT, n);
                for (int i = 0; i < n; i++) {
                    g.setAtIndex(ValueLayout.JAVA_FLOAT, i, i % 3 == 0 ? dy : 0.5f);
                    ys.setAtIndex(ValueLayout.JAVA_FLOAT, i, i % 3 == 0 ? y : -0.25f);
                }
                Elu.celu(0.7).on(b).backwardFromOutput(g, ys, dx);
                for (int i = 0; i < n; i += 3) {
                    float got = dx.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    int at = i;
                    assertEquals(Float.floatToRawIntBits(Math.copySign(0f, dy)), Float.floatToRawIntBits(got),
                            () -> b + ": dx[" + at + "] for dy " + dy + " = " + got);
                }
            }
        }
    }

    private static double ulps(double want, double got) {
        if (want == got) {
            return 0;
        }
        return Math.abs(want - got) / Math.ulp(want);
    }
}
