package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.elu4j.internal.Op;
import org.elu4j.testing.References;
import org.elu4j.testing.Tolerance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * f64 ELU with a negative, inexact input scale: t = x * inputScale grows with |x|, and e^t
 * multiplies the rounding of that product by t (185 double ulps at elu(1, 1, -1.1) of x = -640
 * before the backends put its exact error back). Held to the 60-digit reference, not to the
 * scalar backend, over t up to the edge of the double range.
 */
class NegativeInputScalesTest {
    private static final double[][] PARAMS = {{1, 1, -1.1}, {1.5, 2, -0.3}, {0.7, 1.3, -2.9}};
    private static final int N = 4099; // more than a vector, a staged tail
    /** Per parameter set: the inputs (t from 0 to 709, e^t within the double range) and their exact values, once for every backend. */
    private static final double[][] XS = new double[PARAMS.length][];
    private static final double[][] EXACT = new double[PARAMS.length][];

    static {
        SplittableRandom r = new SplittableRandom(20261207);
        for (int k = 0; k < PARAMS.length; k++) {
            double[] p = PARAMS[k];
            Op op = Op.elu(p[0], p[1], p[2]);
            XS[k] = new double[N];
            EXACT[k] = new double[N];
            for (int i = 0; i < N; i++) {
                XS[k][i] = i == 0 ? -640.12 : -r.nextDouble(0, 709 / -p[2]);
                EXACT[k][i] = References.of(op).forward(XS[k][i]).doubleValue();
            }
        }
    }

    /**
     * Within 3 ulp: mostly 2; the third where alpha * scale is no double (its rounding adds half
     * an ulp) or the product drops a binade (an ulp of expm1 becomes two of the result).
     */
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"SCALAR", "VECTOR", "HELPER", "AUTO"})
    void f64ForwardWithinThreeUlpsOfTheExactValue(Backend b) {
        assumeTrue(Elu4j.isAvailable(b), () -> b + " is unavailable here");
        StringBuilder bad = new StringBuilder();
        for (int k = 0; k < PARAMS.length; k++) {
            double[] p = PARAMS[k];
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment x = arena.allocate(ValueLayout.JAVA_DOUBLE, N);
                MemorySegment y = arena.allocate(ValueLayout.JAVA_DOUBLE, N);
                MemorySegment.copy(XS[k], 0, x, ValueLayout.JAVA_DOUBLE, 0, N);
                Elu.elu(p[0], p[1], p[2]).on(b).apply(x, y, DataType.F64);
                long worst = 0;
                for (int i = 0; i < N; i++) {
                    double xi = XS[k][i];
                    double want = EXACT[k][i];
                    double got = y.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
                    long ulps = Tolerance.doubleUlps(got, want);
                    worst = Math.max(worst, ulps);
                    if (ulps > 3 && bad.length() < 800) {
                        bad.append(String.format("%n  elu(%s, %s, %s) of %s = %s, exact %s (%d ulps)", p[0], p[1], p[2], xi, got, want, ulps));
                    }
                }
                System.out.printf("NegativeInputScalesTest: %s elu(%s, %s, %s) f64 forward: worst %d ulps%n", b, p[0], p[1], p[2], worst);
            }
        }
        assertTrue(bad.length() == 0, () -> b + " f64 forward off the exact value:" + bad);
    }
}
