package org.elu4j.testing;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.internal.FloatUlps;
import org.elu4j.internal.helper.HelperBackend;

/**
 * One implementation under test with its stated accuracy: every available backend through the
 * public API, plus the helper pinned to each ISA level this CPU supports.
 */
public record Candidate(String name, Backend backend, int helperIsa) {

    /** Every candidate runnable here. */
    public static List<Candidate> all() {
        List<Candidate> list = new ArrayList<>();
        for (Backend b : Backend.values()) {
            if (b != Backend.AUTO && Elu4j.isAvailable(b)) {
                list.add(new Candidate(b.cliName(), b, -1));
            }
        }
        if (Elu4j.isAvailable(Backend.HELPER)) {
            for (int isa : HelperBackend.supportedIsas()) {
                list.add(new Candidate("helper/" + HelperBackend.isaName(isa), Backend.HELPER, isa));
            }
        }
        return list;
    }

    public boolean takesHeapSegments() {
        return backend != Backend.ONEDNN;
    }

    /** Runs ELU on the candidate, through the same argument checks as the public API. */
    public void apply(float alpha, MemorySegment src, MemorySegment dst) {
        if (helperIsa < 0) {
            Elu.elu(alpha).on(backend).apply(src, dst);
        } else {
            org.elu4j.internal.Checks.elementwise(src, dst, Float.BYTES);
            HelperBackend.forIsa(helperIsa).eluF32(src, dst, alpha);
        }
    }

    /**
     * Null if {@code got} is acceptable for ELU(x), else a description of the failure.
     * helper, vector, scalar: within 1 ulp of the correctly rounded result, zeros with their sign,
     * when alpha scales exactly: |alpha| a power of two (1 included) or 0. For any other alpha and
     * x < 0, helper and vector round expm1(x) to float (within 1 ulp of the correctly rounded
     * value, so within 1.5 * 2^-23 relative of the exact one) and then multiply by alpha, a second
     * rounding (2^-24 relative, or half of 2^-149 for a subnormal result): the result is within
     * 4 * 2^-24 relative of the exact alpha * expm1(x), the oracle within 2^-24, so
     * |got - want| <= 5 * 2^-24 * |want| + 2^-149 is allowed (2 ulp was the largest seen).
     * oneDNN computes exp(x) - 1 in float: an absolute error bound of 4 ulp(alpha) on the negative
     * side (it returns 0 for |x| < ~3e-8 and +0.0 for -0.0), exact elsewhere; the sign of alpha
     * does not matter to either bound.
     */
    public String check(float x, float alpha, float got, float want) {
        if (Float.isNaN(want) || Float.isNaN(got)) {
            return Float.isNaN(want) && Float.isNaN(got) ? null : "NaN mismatch";
        }
        if (backend == Backend.ONEDNN) {
            if (x == 0f) {
                return got == 0f ? null : "zero expected";
            }
            if (!(x < 0)) {
                return Float.floatToRawIntBits(got) == Float.floatToRawIntBits(want) ? null : "positive side not exact";
            }
            double bound = 4 * Math.ulp(Math.abs(alpha));
            return Math.abs((double) got - want) <= bound ? null : "abs error " + Math.abs((double) got - want) + " > " + bound;
        }
        if (want == 0f) {
            return Float.floatToRawIntBits(got) == Float.floatToRawIntBits(want) ? null : "sign of zero differs";
        }
        long ulps = FloatUlps.distance(got, want);
        if (ulps <= 1) {
            return null;
        }
        if (x < 0 && !scalesExactly(alpha)) {
            double bound = 5 * 0x1p-24 * Math.abs((double) want) + Float.MIN_VALUE;
            double err = Math.abs((double) got - want);
            return err <= bound ? null : ulps + " ulp: abs error " + err + " > " + bound + " (alpha " + alpha + ")";
        }
        return ulps + " ulp";
    }

    /** Whether multiplying by alpha is exact for normal results: |alpha| is 0 or a power of two. */
    static boolean scalesExactly(float alpha) {
        float a = Math.abs(alpha);
        return a == 0f || (Float.floatToRawIntBits(a) & 0x007fffff) == 0 || Integer.bitCount(Float.floatToRawIntBits(a)) == 1;
    }

    @Override
    public String toString() {
        return name;
    }
}
