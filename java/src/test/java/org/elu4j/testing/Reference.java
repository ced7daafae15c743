package org.elu4j.testing;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * An independent high-precision reference for ELU: expm1 evaluated in {@link BigDecimal} with
 * 60 significant digits, then rounded once to float (BigDecimal#floatValue rounds correctly).
 * It shares no code with any backend, the scalar oracle included.
 */
public final class Reference {
    private static final MathContext MC = new MathContext(60);
    private static final BigDecimal ONE = BigDecimal.ONE;

    private Reference() {
    }

    /** The correctly rounded float nearest to alpha * (e^x - 1), for finite x. */
    public static float elu(float x, float alpha) {
        if (!(x < 0)) {
            return x;
        }
        if (x == Float.NEGATIVE_INFINITY) {
            return -alpha;
        }
        return expm1(new BigDecimal(x)).multiply(new BigDecimal(alpha), MC).floatValue();
    }

    /** e^x - 1 to 60 digits for x <= 0. */
    static BigDecimal expm1(BigDecimal x) {
        if (x.compareTo(BigDecimal.valueOf(-200)) < 0) {
            return ONE.negate(); // e^x < 1e-86: far below half an ulp of 1 in float
        }
        if (x.abs().compareTo(ONE) < 0) {
            return series(x); // no cancellation: the sum starts at x
        }
        // e^x = (e^(x / 2^k))^(2^k) with |x / 2^k| < 1; the result is far from 1, so e^x - 1 is safe.
        int k = 0;
        BigDecimal r = x;
        while (r.abs().compareTo(ONE) >= 0) {
            r = r.divide(BigDecimal.valueOf(2), MC);
            k++;
        }
        BigDecimal e = series(r).add(ONE, MC);
        for (int i = 0; i < k; i++) {
            e = e.multiply(e, MC);
        }
        return e.subtract(ONE, MC);
    }

    /** e^r - 1 = r + r^2/2! + ... for |r| < 1. */
    private static BigDecimal series(BigDecimal r) {
        BigDecimal sum = BigDecimal.ZERO;
        BigDecimal term = r;
        BigDecimal eps = sum.add(r.abs()).multiply(new BigDecimal("1e-70"));
        for (int n = 2; term.abs().compareTo(eps) > 0 || n < 4; n++) {
            sum = sum.add(term, MC);
            term = term.multiply(r, MC).divide(BigDecimal.valueOf(n), MC);
        }
        return sum;
    }
}
