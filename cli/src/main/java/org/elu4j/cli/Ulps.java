package org.elu4j.cli;

/** Distances between floats in units in the last place, for the reports of {@code compare} and the tests. */
final class Ulps {
    private Ulps() {
    }

    /**
     * The number of representable floats between a and b: 0 when both are the same value
     * (+0.0 and -0.0 count as the same) or both are NaN; {@link Long#MAX_VALUE} when exactly one is NaN.
     */
    static long distance(float a, float b) {
        boolean nanA = Float.isNaN(a);
        boolean nanB = Float.isNaN(b);
        if (nanA || nanB) {
            return nanA && nanB ? 0 : Long.MAX_VALUE;
        }
        return Math.abs(ordered(a) - ordered(b));
    }

    /** A float's bits as a long that is monotonic in the float's value (±0 both map to 0). */
    private static long ordered(float f) {
        int bits = Float.floatToRawIntBits(f);
        return bits >= 0 ? bits : -(long) (bits & 0x7fffffff);
    }
}
