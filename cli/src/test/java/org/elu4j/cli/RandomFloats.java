package org.elu4j.cli;

import java.util.SplittableRandom;

/** Random test floats: mostly uniform in [-20, 5], some over every exponent down to subnormals, some special values. */
final class RandomFloats {
    private static final float[] SPECIALS = {
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE,
            Float.MIN_NORMAL, -Float.MIN_NORMAL, -3e-8f, -1e-6f, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f,
            -17.5f, -88.7f, -104f, -1000f, Float.intBitsToFloat(0xffc00001), Float.intBitsToFloat(0x7fa00000),
    };

    private RandomFloats() {
    }

    /** {@return n floats from the seed} */
    static float[] of(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(10);
            if (kind < 6) {
                a[i] = (float) r.nextDouble(-20, 5);
            } else if (kind < 9) {
                int bits = r.nextInt(0, 0x43000000); // any sign, exponent from subnormal to 2^7
                a[i] = Float.intBitsToFloat(r.nextBoolean() ? bits : bits | 0x80000000);
            } else {
                a[i] = SPECIALS[r.nextInt(SPECIALS.length)];
            }
        }
        return a;
    }
}
