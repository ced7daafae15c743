package org.elu4j.testing;

import java.math.BigDecimal;
import java.math.MathContext;
import org.elu4j.internal.Op;

/**
 * An independent high-precision reference for the family: e^t and e^t - 1 evaluated in
 * {@link BigDecimal} with 60 significant digits, the parameters taken as the exact values of
 * their doubles (as {@link Op} defines them: {@code alpha * scale} is the exact product, not the
 * double one), and the result rounded once to float or double ({@link BigDecimal#floatValue} and
 * {@link BigDecimal#doubleValue} round correctly). It shares no code with any backend, the scalar
 * oracle included.
 *
 * <p>The methods take finite, non-zero inputs (zeros, infinities and NaN have exact results the
 * tests state directly); {@link #elu(float, float)} keeps its old contract.
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

    /** {@code op}'s forward of a finite, non-zero x, to 60 digits (see {@link Op}). */
    public static BigDecimal forward(Op op, double x) {
        BigDecimal v = new BigDecimal(x);
        return switch (op.kind()) {
            case RELU -> x > 0 ? v : BigDecimal.ZERO;
            case LEAKY_RELU -> x > 0 ? v : v.multiply(new BigDecimal(op.alpha()), MC);
            case ELU -> x > 0 ? v.multiply(new BigDecimal(op.scale()), MC)
                    : coefficient(op).multiply(expm1(v.multiply(new BigDecimal(op.inputScale()), MC)), MC);
        };
    }

    /**
     * {@code op}'s backward {@code dy * f'(x)} to 60 digits for finite, non-zero {@code xy}: from
     * the input ({@code xy} = x) or from the output ({@code xy} = y = f(x), the formula
     * {@code dy * inputScale * (y + alpha * scale)} of {@link Op} on the exact values given).
     */
    public static BigDecimal backward(Op op, boolean fromOutput, double dy, double xy) {
        BigDecimal g = new BigDecimal(dy);
        BigDecimal v = new BigDecimal(xy);
        return switch (op.kind()) {
            case RELU -> xy > 0 ? g : BigDecimal.ZERO;
            case LEAKY_RELU -> xy > 0 ? g : g.multiply(new BigDecimal(op.alpha()), MC);
            case ELU -> {
                BigDecimal s = new BigDecimal(op.inputScale());
                if (xy > 0) {
                    yield g.multiply(new BigDecimal(op.scale()), MC);
                }
                if (fromOutput) {
                    yield g.multiply(s, MC).multiply(v.add(coefficient(op), MC), MC);
                }
                yield g.multiply(coefficient(op), MC).multiply(s, MC).multiply(exp(v.multiply(s, MC)), MC);
            }
        };
    }

    /** The exact alpha * scale. */
    private static BigDecimal coefficient(Op op) {
        return new BigDecimal(op.alpha()).multiply(new BigDecimal(op.scale()), MC);
    }

    /** e^x - 1 to 60 digits for any finite x up to about 700 (beyond, the float/double results overflow anyway). */
    static BigDecimal expm1(BigDecimal x) {
        if (x.compareTo(BigDecimal.valueOf(-200)) < 0) {
            return ONE.negate(); // e^x < 1e-86: far below half an ulp of 1 in double
        }
        if (x.abs().compareTo(ONE) < 0) {
            return series(x); // no cancellation: the sum starts at x
        }
        // e^x far from 1 (|x| >= 1), so e^x - 1 does not cancel.
        return exp(x).subtract(ONE, MC);
    }

    /** e^x to 60 significant digits for finite x (0 below -2000, where no float or double product can tell it from 0). */
    static BigDecimal exp(BigDecimal x) {
        if (x.compareTo(BigDecimal.valueOf(-2000)) < 0) {
            return BigDecimal.ZERO; // e^x < 1e-868: times any float or double, far below half the least subnormal
        }
        if (x.abs().compareTo(ONE) < 0) {
            return series(x).add(ONE, MC);
        }
        // e^x = (e^(x / 2^k))^(2^k) with |x / 2^k| < 1; each squaring loses under one digit of 60.
        int k = 0;
        BigDecimal r = x;
        while (r.abs().compareTo(ONE) >= 0) {
            r = r.divide(BigDecimal.valueOf(2), MC);
            k++;
        }
        MathContext wide = new MathContext(60 + 2 * k);
        BigDecimal e = series(r).add(ONE, wide);
        for (int i = 0; i < k; i++) {
            e = e.multiply(e, wide);
        }
        return e.round(MC);
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
