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
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"SCALAR", "VECTOR", "HELPER", "AUTO"})
    void f64ForwardWithinTwoUlpsOfTheExactValue(Backend b) {
        assumeTrue(Elu4j.isAvailable(b), () -> b + " is unavailable here");
        double[][] params = {{1, 1, -1.1}, {1.5, 2, -0.3}, {0.7, 1.3, -2.9}};
        int n = 4099; // more than a vector, a staged tail
        SplittableRandom r = new SplittableRandom(20261207);
        StringBuilder bad = new StringBuilder();
        for (double[] p : params) {
            Op op = Op.elu(p[0], p[1], p[2]);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment x = arena.allocate(ValueLayout.JAVA_DOUBLE, n);
                MemorySegment y = arena.allocate(ValueLayout.JAVA_DOUBLE, n);
                for (int i = 0; i < n; i++) { // t from 0 to 709 (e^t within the double range)
                    x.setAtIndex(ValueLayout.JAVA_DOUBLE, i, i == 0 ? -640.12 : -r.nextDouble(0, 709 / -p[2]));
                }
                Elu.elu(p[0], p[1], p[2]).on(b).apply(x, y, DataType.F64);
                long worst = 0;
                for (int i = 0; i < n; i++) {
                    double xi = x.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
                    double want = References.of(op).forward(xi).doubleValue();
                    double got = y.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
                    long ulps = Tolerance.doubleUlps(got, want);
                    worst = Math.max(worst, ulps);
                    if (ulps > 2 && bad.length() < 800) {
                        bad.append(String.format("%n  elu(%s, %s, %s) of %s = %s, exact %s (%d ulps)", p[0], p[1], p[2], xi, got, want, ulps));
                    }
                }
                System.out.printf("NegativeInputScalesTest: %s elu(%s, %s, %s) f64 forward: worst %d ulps%n", b, p[0], p[1], p[2], worst);
            }
        }
        assertTrue(bad.length() == 0, () -> b + " f64 forward off the exact value:" + bad);
    }
}
