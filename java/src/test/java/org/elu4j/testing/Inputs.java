package org.elu4j.testing;

import java.util.SplittableRandom;

/** Test inputs: awkward sizes, special values and random floats over every exponent range. */
public final class Inputs {
    private Inputs() {
    }

    public static final int[] SIZES = {0, 1, 7, 15, 16, 17, 31, 63, 64, 65, 1023, 1025, 65537};

    /** Byte offsets of a tensor inside its buffer: aligned, float-aligned and odd addresses. */
    public static final long[] BYTE_OFFSETS = {0, 4, 12, 1, 3};

    /** Values whose result is known exactly, or sits at an edge of the algorithms. */
    public static final float[] SPECIALS = {
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL,
            -Float.MIN_NORMAL / 3, -1e-40f, -3e-8f, -2.9e-8f, -1e-7f, -5.96e-8f, -1e-6f, -1e-4f,
            Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f, 0.5f, -0.5f, -0.34657359f, -0.3466f,
            -0.6931472f, -17.32868f, -17.5f, -20f, -86f, -87.33f, -88f, -88.7f, -89f, -90f, -100f,
            -103.97f, -104f, -105f, -1000f, 1e-45f, 3.4e38f, -2f, -4f, -10f,
            Float.intBitsToFloat(0xffc00001), Float.intBitsToFloat(0x7fa00000), // quiet/signalling NaN payloads
    };

    /** n floats: mostly uniform in [-20, 5], some with random exponents down to subnormals, some specials. */
    public static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(10);
            if (kind < 6) {
                a[i] = (float) r.nextDouble(-20, 5);
            } else if (kind < 9) {
                // any sign, exponent from subnormal to 2^7
                int bits = r.nextInt(0, 0x43000000);
                a[i] = Float.intBitsToFloat(r.nextBoolean() ? bits : bits | 0x80000000);
            } else {
                a[i] = SPECIALS[r.nextInt(SPECIALS.length)];
            }
        }
        return a;
    }
}
