package org.elu4j.internal.scalar;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import org.elu4j.Backend;
import org.elu4j.internal.EluBackend;

/**
 * Plain Java, one element at a time. Always available, and the accuracy oracle of the tests:
 * the negative side is computed as {@code alpha * Math.expm1(x)} in double precision and rounded
 * once to float, which is within 1 ulp of the correctly rounded result (in practice it almost
 * always is the correctly rounded result).
 */
public final class ScalarBackend implements EluBackend {

    @Override
    public Backend kind() {
        return Backend.SCALAR;
    }

    @Override
    public String description() {
        return "scalar (Math.expm1 in double)";
    }

    @Override
    public boolean supportsHeapSegments() {
        return true;
    }

    @Override
    public void eluF32(MemorySegment src, MemorySegment dst, float alpha) {
        long n = src.byteSize() / Float.BYTES;
        for (long i = 0; i < n; i++) {
            dst.setAtIndex(JAVA_FLOAT_UNALIGNED, i, elu(src.getAtIndex(JAVA_FLOAT_UNALIGNED, i), alpha));
        }
    }

    /**
     * ELU of one value: x for x > 0, alpha * expm1(x) for x < 0, and x itself for ±0 and NaN
     * (so -0.0 stays -0.0 and NaN stays NaN).
     */
    public static float elu(float x, float alpha) {
        if (x < 0f) {
            if (x > -0x1p-60f) {
                return tiny(x, alpha);
            }
            return (float) (alpha * Math.expm1(x));
        }
        return x;
    }

    /**
     * For -2^-60 < x < 0, expm1(x) = x + x²/2 + ..., and x²/2 is below half a double ulp of x: the
     * double result would be alpha·x exactly, and rounding it to float a second time goes wrong
     * when alpha·x is exactly halfway between two floats (common for subnormal results). alpha·x
     * is exact in double (24 × 24 bits); a halfway case is resolved by the sign of the dropped
     * alpha·x²/2, which is the sign of alpha.
     */
    private static float tiny(float x, float alpha) {
        double p = (double) alpha * x;
        float f = (float) p;
        double err = p - f;
        if (err != 0) {
            float g = err > 0 ? Math.nextUp(f) : Math.nextDown(f);
            if ((double) g - p == p - (double) f) {
                return alpha > 0 ? Math.max(f, g) : Math.min(f, g);
            }
        }
        return f;
    }
}
