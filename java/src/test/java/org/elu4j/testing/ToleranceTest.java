package org.elu4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.junit.jupiter.api.Test;

/** The tolerances' own rules where a loose rule would let a wrong result through unseen. */
class ToleranceTest {
    private static final float INF = Float.POSITIVE_INFINITY;

    /** An infinite dy may come back NaN only where the derivative is 0 in the backend's precision. */
    @Test
    void nanForAnInfiniteGradientOnlyWhereTheDerivativeVanishes() {
        Op elu = Op.elu(1);
        assertEquals("NaN instead of a number", Tolerance.f32(Backend.HELPER, elu, Pass.BACKWARD_FROM_INPUT, INF, -1f, Float.NaN, INF));
        assertEquals("NaN instead of a number", Tolerance.f32(Backend.HELPER, elu, Pass.BACKWARD_FROM_OUTPUT, INF, -0.5f, Float.NaN, INF));
        assertEquals("NaN instead of a number", Tolerance.f64(Backend.VECTOR, elu, Pass.BACKWARD_FROM_INPUT, INF, -200, Double.NaN, INF));
        assertEquals("NaN instead of a number", Tolerance.half(Backend.VECTOR, DataType.BF16, elu, Pass.BACKWARD_FROM_INPUT, INF, -1f,
                (short) 0x7fc0, (short) 0x7f80));
        // e^-200 is 0 in float but not in double; y = -1 is -alpha's float: y + alpha is 0 in float
        assertNull(Tolerance.f32(Backend.HELPER, elu, Pass.BACKWARD_FROM_INPUT, INF, -200f, Float.NaN, INF));
        assertNull(Tolerance.f32(Backend.HELPER, Op.elu(1.3), Pass.BACKWARD_FROM_OUTPUT, INF, -1.3f, Float.NaN, INF));
        assertNull(Tolerance.f64(Backend.VECTOR, elu, Pass.BACKWARD_FROM_INPUT, INF, -800, Double.NaN, INF));
    }

    /** f64 backward from the output keeps alpha * scale's low part: a backend that drops it fails. */
    @Test
    void f64FromTheOutputWithoutTheCoefficientsLowPartFails() {
        Op selu = Op.elu(1.6732632423543772, 1.0507009873554805, 1);
        double c = selu.negativeCoefficient();
        double y = -c + 0x1p-40; // near saturation, where y + c cancels
        double dy = 1.5;
        double want = dy * (y + c + selu.negativeCoefficientLow());
        double dropped = dy * (y + c);
        assertNotEquals(0.0, selu.negativeCoefficientLow(), "SELU's alpha * scale is no double");
        assertNull(Tolerance.f64(Backend.HELPER, selu, Pass.BACKWARD_FROM_OUTPUT, dy, y, want, want));
        assertNotNull(Tolerance.f64(Backend.HELPER, selu, Pass.BACKWARD_FROM_OUTPUT, dy, y, dropped, want),
                "the low part dropped: " + dropped + " vs " + want);
    }
}
