package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.elu4j.internal.scalar.ScalarBackend;
import org.elu4j.testing.Reference;
import org.junit.jupiter.api.Test;

/**
 * The oracle itself is checked against an independent 60-digit BigDecimal expm1: it must be the
 * correctly rounded result on every sampled input (it rounds a double once; a double-rounding
 * miss would take an input within 2^-29 ulp of a midpoint).
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
}
