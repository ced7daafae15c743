package org.elu4j.internal;

/**
 * bfloat16 and IEEE binary16 conversions, the reference for every backend: widening is exact,
 * narrowing rounds to nearest, ties to even; NaN stays a NaN of the same sign (bfloat16 keeps the
 * top 7 payload bits and sets the quiet bit; binary16 as {@link Float#floatToFloat16}).
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** The float a bfloat16 pattern holds (exact). */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** A float rounded to bfloat16, to nearest even; NaN gives a quiet NaN of the same sign. */
    public static short floatToBf16(float f) {
        int b = Float.floatToRawIntBits(f);
        if ((b & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((b >>> 16) | 0x0040);
        }
        return (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
    }

    /** The float an IEEE binary16 pattern holds (exact). */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** A float rounded to IEEE binary16, to nearest even ({@link Float#floatToFloat16}). */
    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }
}
