package org.elu4j.testing;

import org.elu4j.DataType;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;

/**
 * The regions that docs/accuracy.md ("Where the double evaluation has limits") lists as outside
 * the backends' ulp bounds, each with its reason, so that the checks against the exact value
 * ({@code ScalarOracleTest}, {@link ConformanceSuite#agreesWithTheReference}) leave them out by
 * name and count them in their output, rather than widen a bound for everyone or leave the
 * functions that reach them unchecked.
 */
public final class DocumentedLimits {
    private DocumentedLimits() {
    }

    /**
     * Why ELU at this point lies in a documented limit, or null.
     *
     * @param xy the forward's input (forward, backward from the input) or output (from the output)
     */
    public static String why(Op op, DataType type, Pass pass, double dy, double xy) {
        if (op.kind() != Op.Kind.ELU || !(xy <= 0)) {
            return null;
        }
        double s = op.inputScale();
        double c = op.negativeCoefficient();
        if (pass == Pass.BACKWARD_FROM_OUTPUT) {
            // the float types take alpha * scale rounded to double: where y + alpha * scale is below
            // 2^24 of its double ulps, that rounding shows in a float result (elu(10, 0.1, 1) at
            // y = -1, where it is the whole sum)
            return type != DataType.F64 && op.negativeCoefficientLow() != 0 && Math.abs(xy + c) < 0x1p24 * Math.ulp(c)
                    ? "f32 from the output where y + alpha*scale cancels to alpha*scale's double rounding" : null;
        }
        if (type != DataType.F64) {
            return null;
        }
        double t = xy * s;
        if (pass == Pass.FORWARD) {
            return null;
        }
        // (the limit starts at a factor of 2; below 64, the checks' bounds still hold)
        return t < -708 && Math.abs(dy * c * s) > 64 ? "f64 backward from the input where e^t is subnormal and |dy*alpha*scale*inputScale| > 64"
                : null;
    }
}
