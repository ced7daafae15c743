package org.elu4j.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The reference's two forms check each other (the fast correctly rounded floats against the
 * 60-digit values, which share only the series), and both are checked against values known
 * independently: the JDK's own expm1/exp (within 1 double ulp) and hand-made ties.
 */
class ReferenceTest {
    private static final Reference[] FUNCTIONS = {
        Reference.elu(1), Reference.elu(0.5), Reference.elu(2), Reference.elu(1.3),
        Reference.elu(1.6732632423543772, 1.0507009873554805, 1), // SELU
        Reference.elu(0.7, 1, 1 / 0.7), // CELU(0.7)
        Reference.elu(1.5, 0.9, -0.5), // a negative input scale: exp grows on the negative side
        Reference.relu(), Reference.leakyRelu(0.01),
    };

    /**
     * At the float range's top the rounding is decided against 2^128 - 2^103, the halfway point
     * between MAX_VALUE and infinity (values from a review's mpmath at 400 bits): the exact
     * products lie 2.86e20 and 1.85e22 below it and 2.1e21 above it.
     */
    @Test
    void decidesAtTheOverflowThreshold() {
        assertEquals(Float.MAX_VALUE, Reference.elu(1, 1.000000923872875, 1).at(Float.intBitsToFloat(0x7F7FFFF0)));
        assertEquals(-Float.MAX_VALUE, Reference.elu(8.64713655699538E38, 1, 1).at(-0.500084f));
        assertEquals(Float.NEGATIVE_INFINITY, Reference.elu(8.607766112818043E38, 1, 1).at(-0.50305617f));
    }

    /** e^t beyond the doubles (a negative input scale) with a coefficient that brings it back: a float, not infinity. */
    @Test
    void aFiniteResultOfAnOverflowingExponential() {
        assertEquals(5.2584944E35f, Reference.elu(1e-290, 1, -1).at(-750f));
    }

    /** Far past the float range (e^t beyond e^1000; the decimal exponential stops at 2000), an infinity of the coefficient's sign. */
    @Test
    void anExponentialBeyondTheDecimalRangeOverflows() {
        assertEquals(Float.POSITIVE_INFINITY, Reference.elu(0.25, 2, -0.5).at(-4016f));
        assertEquals(Float.NEGATIVE_INFINITY, Reference.elu(-0.25, 2, -0.5).at(-4016f));
        assertEquals(Float.POSITIVE_INFINITY, Reference.elu(0x1p-969, 1, -1).at(-2001f));
        assertEquals(Float.POSITIVE_INFINITY, Reference.elu(0x1p-969, 1, -1).at(-1999f)); // e^1999 * 2^-969, still past MAX
    }

    @Test
    void theDecimalExponentialsAgreeWithTheJdkWithinOneDoubleUlp() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 2000; i++) {
            double x = -random.nextDouble(0, 80) * (random.nextBoolean() ? 1 : 1e-6);
            double want = Math.expm1(x);
            double got = Reference.expm1(new BigDecimal(x)).doubleValue();
            assertTrue(Math.abs(got - want) <= Math.ulp(want), "expm1(" + x + "): " + got + " vs " + want);
            double y = random.nextDouble(-700, 700);
            double e = Reference.exp(new BigDecimal(y)).doubleValue();
            assertTrue(Math.abs(e - Math.exp(y)) <= Math.ulp(Math.exp(y)), "exp(" + y + ")");
        }
        assertEquals(-1, Reference.expm1(new BigDecimal(-500)).doubleValue());
        assertEquals(0, Reference.exp(new BigDecimal(-3000)).signum());
    }

    @Test
    void theFastFloatsAreTheDecimalValuesRounded() {
        SplittableRandom random = new SplittableRandom(11);
        for (Reference f : FUNCTIONS) {
            for (int i = 0; i < 20_000; i++) {
                float x = Float.intBitsToFloat(random.nextInt());
                if (!Float.isFinite(x) || x == 0 || x * f.inputScale() > 700) {
                    continue; // zeros and non-finite inputs have exact results; e^700 overflows every type
                }
                float want = f.forward(x).floatValue();
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(f.at(x)), f + " at " + x);
            }
        }
    }

    @Test
    void nearHalfwayPointsAreDecidedInDecimal() {
        // Inputs whose double result lies within the slack of a halfway point between two floats
        // (found by a sweep of the negative floats; about one in 10^7 is one): each must take the
        // decimal decision and give the 60-digit value rounded.
        Reference elu = Reference.elu(1);
        for (int bits : new int[] {0xb3800000, 0xb675cbfc, 0xbb01fe32, 0xbb7b3b6c, 0xbcd475d0}) {
            float x = Float.intBitsToFloat(bits);
            AtomicLong decided = new AtomicLong();
            float got = elu.at(x, decided);
            assertEquals(1, decided.get(), "x = " + x + " was decided without decimal");
            assertEquals(elu.forward(x).floatValue(), got, "x = " + x);
        }
    }

    @Test
    void tinyInputsBreakProductTiesByTheQuadraticTerm() {
        // Below |x| = 2^-60, ELU(1.5) is 1.5x + 0.75x^2 + ...: 1.5x is a float halfway point when x's
        // last significand bit is set, and the positive square moves the value towards zero.
        Reference elu = Reference.elu(1.5);
        for (int i = 1; i < 2000; i += 2) {
            float x = -Float.intBitsToFloat(Float.floatToRawIntBits(0x1p-70f) + i);
            AtomicLong decided = new AtomicLong();
            float got = elu.at(x, decided);
            assertEquals(elu.forward(x).floatValue(), got, "x = " + x);
            assertEquals(0, decided.get());
        }
    }

    @Test
    void specialInputs() {
        Reference elu = Reference.elu(1);
        assertEquals(-1f, elu.at(Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, elu.at(Float.POSITIVE_INFINITY));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(elu.at(-0f)));
        float nan = Float.intBitsToFloat(0x7FC01234);
        assertEquals(0x7FC01234, Float.floatToRawIntBits(elu.at(nan)));
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(Reference.relu().at(-0f)));
        assertEquals(0f, Reference.relu().at(Float.NEGATIVE_INFINITY));
        assertEquals(-0.6321205588285577, Reference.elu(1).forward(-1).doubleValue(), 0);
        assertThrows(IllegalArgumentException.class, () -> elu.forward(0));
        assertThrows(IllegalArgumentException.class, () -> Reference.elu(Double.NaN));
    }

    @Test
    void productsRoundTiesByTheExactProduct() {
        // 1 + 2^-24 is a halfway point between the floats 1 and 1 + 2^-23; (1 + 2^-24)(1 + 2^-40)
        // is just above it, so the correct float is 1 + 2^-23 although the double product (which
        // rounds the 2^-64 term away... or not) could land on the tie.
        double a = 1 + 0x1p-24;
        double b = 1 + 0x1p-29;
        float want = new BigDecimal(a).multiply(new BigDecimal(b)).floatValue();
        assertEquals(want, Reference.product(a, b));
        double tie = 1 + 0x1p-24;
        assertEquals(1f, Reference.product(tie, 1)); // an exact tie rounds to even
        assertEquals(1 + 0x1p-22f, Reference.product(1 + 3 * 0x1p-24, 1)); // to even, upwards
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            double x = random.nextDouble(-4, 4);
            double y = Float.intBitsToFloat(random.nextInt(0x3F000000, 0x40000000));
            assertEquals(new BigDecimal(x).multiply(new BigDecimal(y)).floatValue(), Reference.product(x, y));
        }
    }

    @Test
    void halfTypesRoundTheFloatReference() {
        assertEquals((short) 0x3F80, Reference.floatToBf16(Float.intBitsToFloat(0x3F808000))); // tie to even, down
        assertEquals((short) 0x3F82, Reference.floatToBf16(Float.intBitsToFloat(0x3F818000))); // tie to even, up
        assertEquals((short) 0xFFC1, Reference.floatToBf16(Float.intBitsToFloat(0xFF812345))); // NaN stays NaN
        Reference elu = Reference.elu(1);
        for (int bits = 0; bits < 0x10000; bits += 3) {
            short x = (short) bits;
            float wide = Reference.bf16ToFloat(x);
            if (Float.isNaN(wide)) {
                continue;
            }
            assertEquals(nearestBf16(elu.at(wide)), elu.atBf16(x), "bf16 pattern " + Integer.toHexString(x));
            assertEquals(Float.floatToFloat16(elu.at(Float.float16ToFloat(x))), elu.atF16(x)); // the JDK's rounding
        }
    }

    /**
     * A float rounded to the nearest bf16 by distance (not by the bit trick Reference uses): the
     * two patterns around it compared in double, a tie to the even one; beyond the largest finite
     * bf16, 2^128 stands for infinity's distance. Not for NaN.
     */
    private static short nearestBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = bits & 0x8000_0000;
        int low = (bits & 0x7fff_ffff) >>> 16; // the pattern below |f| (or |f| itself)
        double a = Math.abs((double) f);
        double below = Float.intBitsToFloat(low << 16);
        double above = low + 1 == 0x7f80 ? 0x1p128 : Float.intBitsToFloat((low + 1) << 16);
        if (Double.isInfinite(a)) {
            return (short) ((sign >>> 16) | 0x7f80);
        }
        int pick = a - below < above - a ? low : a - below > above - a ? low + 1 : (low & 1) == 0 ? low : low + 1;
        return (short) ((sign >>> 16) | pick);
    }
    /**
     * The backward values against ones worked out by hand (e = 2.718281828459045235360287..., the
     * parameters' decimal values, hence a relative tolerance of 1e-14 for the doubles nearest
     * them): each side of each function, from the input and from the output, and the input
     * scale's factor on both sides.
     */
    @Test
    void backwardMatchesValuesWorkedOutByHand() {
        String eInv = "0.36787944117144232159552377016146"; // e^-1
        // ELU(1): dx = dy * e^x for x <= 0, dy for x > 0; from y: dy * (y + 1)
        near(eInv, Reference.elu(1).backward(false, 1, -1));
        near("-6", Reference.elu(1).backward(false, -6, 2));
        near("0.75", Reference.elu(1).backward(true, 3, -0.75)); // 3 * (-0.75 + 1)
        // ELU(2) from x = -1, dy = 3: 3 * 2 * e^-1
        near("2.2072766470286539295731426209688", Reference.elu(2).backward(false, 3, -1));
        // the general form elu(1.5, 0.9, -0.5): x <= 0: dy * 1.5 * 0.9 * (-0.5) * e^(x * -0.5); x > 0: dy * 0.9
        near("-1.8348402342098555338681940431631", Reference.elu(1.5, 0.9, -0.5).backward(false, 1, -2)); // -0.675 e
        near("2.7", Reference.elu(1.5, 0.9, -0.5).backward(false, 3, 2));
        // elu(1.5, 0.9, 2) from y: y <= 0: dy * 2 * (y + 1.35); y > 0: dy * 0.9
        near("1.7", Reference.elu(1.5, 0.9, 2).backward(true, 1, -0.5));
        near("-0.45", Reference.elu(1.5, 0.9, 2).backward(true, -0.5, 4));
        // CELU(0.7) = elu(0.7, 1, 1/0.7) from x = -0.7: dy * 0.7 * (1/0.7) * e^-1
        near(eInv, Reference.elu(0.7, 1, 1 / 0.7).backward(false, 1, -0.7));
        // SELU from y = -1, dy = 2: 2 * (-1 + alpha * lambda), alpha * lambda = 1.7580993408473766...
        near("1.5161986816947532", Reference.elu(1.6732632423543772, 1.0507009873554805, 1).backward(true, 2, -1));
        // SELU from x = 1: dy * lambda
        near("2.101401974710961", Reference.elu(1.6732632423543772, 1.0507009873554805, 1).backward(false, 2, 1));
        // LeakyReLU(0.01) and ReLU, either side, from x and from y
        near("0.05", Reference.leakyRelu(0.01).backward(false, 5, -3));
        near("0.05", Reference.leakyRelu(0.01).backward(true, 5, -0.03));
        near("5", Reference.leakyRelu(0.01).backward(false, 5, 3));
        assertEquals(0, Reference.relu().backward(false, 5, -3).signum());
        near("5", Reference.relu().backward(true, 5, 3));
    }

    private static void near(String want, BigDecimal got) {
        BigDecimal w = new BigDecimal(want);
        double rel = w.subtract(got).abs().doubleValue() / Math.max(Math.abs(w.doubleValue()), 1e-300);
        assertTrue(rel <= 1e-14, "got " + got + ", want " + want + " (relative " + rel + ")");
    }
}
