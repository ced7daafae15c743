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
            return (float) (alpha * Math.expm1(x));
        }
        return x;
    }
}
