package org.elu4j.reference;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The high-precision reference of one function of the ELU family, with its parameters taken as the
 * exact doubles they are. It shares no code with the library: the tests and the accuracy command
 * measure every backend, the scalar oracle included, against it.
 *
 * <h2>The family</h2>
 * <ul>
 * <li>{@link Kind#ELU} (ELU, SELU, CELU and PyTorch's general form):
 *     {@code f(x) = scale * x} for {@code x > 0}, else {@code alpha * scale * expm1(x * inputScale)};
 *     backward from the input {@code dy * scale} or {@code dy * alpha * scale * inputScale *
 *     exp(x * inputScale)}, from the output y {@code dy * scale} or {@code dy * inputScale *
 *     (y + alpha * scale)}.</li>
 * <li>{@link Kind#RELU}: x for {@code x > 0}, else +0; backward dy or +0.</li>
 * <li>{@link Kind#LEAKY_RELU}: x for {@code x > 0}, else {@code slope * x}; backward dy or
 *     {@code slope * dy}.</li>
 * </ul>
 * {@code alpha * scale} and {@code x * inputScale} are the exact products of the doubles, not their
 * double roundings.
 *
 * <h2>Two forms</h2>
 * <ul>
 * <li><b>Exact values</b> ({@link #forward(double)}, {@link #backward(boolean, double, double)}):
 *     {@link BigDecimal} to 60 significant digits, for finite non-zero arguments; rounding one with
 *     {@link BigDecimal#floatValue()} or {@link BigDecimal#doubleValue()} gives the correctly rounded
 *     float or double. Simple and slow: tests of a few thousand points.</li>
 * <li><b>Correctly rounded floats at any float</b> ({@link #at(float)}), fast enough to scan all
 *     2<sup>32</sup> patterns: for ELU at negative x, {@code c * Math.expm1(x * s)} in double
 *     ({@code c = alpha * scale}, {@code s = inputScale}; within about 5 double ulps of the exact
 *     value) rounded once to float; a double within {@value #HALFWAY_SLACK_ULPS} of its ulps of a
 *     halfway point between two floats is decided by an 80-digit evaluation with exact c and x * s.
 *     For {@code |x * s| < 2^-60} the value is {@code c*t + c*t^2/2} (t = x * s), whose distance to
 *     a halfway point is computed exactly from fma error terms; only a near tie goes to decimal.
 *     Products ({@code scale * x}, {@code slope * x}) round correctly through an fma check. NaN gives
 *     the input (same bits); ±0 gives the sign of the product as IEEE arithmetic does
 *     ({@code c * s * x} for ELU, {@code slope * x}), ReLU +0.</li>
 * </ul>
 * bfloat16 and float16 references ({@link #atBf16(short)}, {@link #atF16(short)}) are the correctly
 * rounded float rounded to the type, to nearest even: the library's stated rule for those types.
 */
public final class Reference {
    /** Which function of the family. */
    public enum Kind {
        /** ELU, SELU, CELU and the general {@code elu(alpha, scale, inputScale)}. */
        ELU,
        /** max(x, 0). */
        RELU,
        /** x or {@code slope * x}. */
        LEAKY_RELU
    }

    /**
     * A double result this many of its ulps or fewer from a float halfway point is re-evaluated
     * in decimal (x * s and alpha * scale are rounded, Math.expm1 is within 1 ulp and the product
     * adds half an ulp: about 5 ulps, twice that across a binade boundary; 16 leaves a margin).
     */
    public static final double HALFWAY_SLACK_ULPS = 16;

    /** 2^128 - 2^103: halfway between Float.MAX_VALUE and 2^128; from it on, a float rounds to infinity. */
    static final double FLOAT_OVERFLOW = 0x1.ffffffp127;
    private static final MathContext MC = new MathContext(60);
    private static final MathContext DECIMAL = new MathContext(80);
    private static final BigDecimal TWO = BigDecimal.valueOf(2);

    private final Kind kind;
    private final double alpha;
    private final double scale;
    private final double inputScale;
    private final double c;

    private Reference(Kind kind, double alpha, double scale, double inputScale) {
        if (!Double.isFinite(alpha) || !Double.isFinite(scale) || !Double.isFinite(inputScale)) {
            throw new IllegalArgumentException("parameters must be finite: alpha=" + alpha + ", scale=" + scale
                    + ", inputScale=" + inputScale);
        }
        this.kind = kind;
        this.alpha = alpha;
        this.scale = scale;
        this.inputScale = inputScale;
        this.c = alpha * scale;
    }

    /**
     * The general ELU {@code scale * (x > 0 ? x : alpha * expm1(x * inputScale))}.
     *
     * @param alpha      the negative side's amplitude
     * @param scale      the factor of both sides
     * @param inputScale the factor of x inside the exponential
     * @return the reference
     */
    public static Reference elu(double alpha, double scale, double inputScale) {
        return new Reference(Kind.ELU, alpha, scale, inputScale);
    }

    /**
     * ELU with amplitude {@code alpha}.
     *
     * @param alpha the negative side's amplitude
     * @return the reference
     */
    public static Reference elu(double alpha) {
        return elu(alpha, 1, 1);
    }

    /**
     * ReLU.
     *
     * @return the reference
     */
    public static Reference relu() {
        return new Reference(Kind.RELU, 0, 1, 1);
    }

    /**
     * LeakyReLU with the given slope.
     *
     * @param slope the factor of x for x &lt;= 0
     * @return the reference
     */
    public static Reference leakyRelu(double slope) {
        return new Reference(Kind.LEAKY_RELU, slope, 1, 1);
    }

    /**
     * The correctly rounded float nearest to {@code alpha * (e^x - 1)} for x &lt; 0, x otherwise.
     *
     * @param x     the input
     * @param alpha ELU's alpha
     * @return ELU(x) correctly rounded to float
     */
    public static float elu(float x, float alpha) {
        return elu(alpha).at(x);
    }

    /** {@return the function} */
    public Kind kind() {
        return kind;
    }

    /** {@return ELU's alpha, LeakyReLU's slope, 0 for ReLU} */
    public double alpha() {
        return alpha;
    }

    /** {@return ELU's scale, 1 otherwise} */
    public double scale() {
        return scale;
    }

    /** {@return ELU's input scale, 1 otherwise} */
    public double inputScale() {
        return inputScale;
    }

    @Override
    public String toString() {
        return "Reference[" + kind + ", alpha=" + alpha + ", scale=" + scale + ", inputScale=" + inputScale + "]";
    }

    // ---------------------------------------------------------------------------------------------
    // Exact values

    /**
     * The forward value at a finite, non-zero x, to 60 significant digits.
     *
     * @param x a finite, non-zero input
     * @return f(x)
     */
    public BigDecimal forward(double x) {
        requireFiniteNonZero(x, "x");
        BigDecimal v = new BigDecimal(x);
        return switch (kind) {
            case RELU -> x > 0 ? v : BigDecimal.ZERO;
            case LEAKY_RELU -> x > 0 ? v : v.multiply(new BigDecimal(alpha), MC);
            case ELU -> x > 0 ? v.multiply(new BigDecimal(scale), MC)
                    : coefficient().multiply(expm1(v.multiply(new BigDecimal(inputScale), MC)), MC);
        };
    }

    /**
     * The backward value {@code dy * f'(x)} to 60 significant digits: from the input ({@code xy} = x)
     * or from the output ({@code xy} = y = f(x), the formula {@code dy * inputScale * (y + alpha *
     * scale)} on the exact values given).
     *
     * @param fromOutput whether {@code xy} is the output y rather than the input x
     * @param dy         the incoming gradient (finite)
     * @param xy         the input or the output (finite, non-zero)
     * @return dx
     */
    public BigDecimal backward(boolean fromOutput, double dy, double xy) {
        if (!Double.isFinite(dy)) {
            throw new IllegalArgumentException("dy must be finite: " + dy);
        }
        requireFiniteNonZero(xy, fromOutput ? "y" : "x");
        BigDecimal g = new BigDecimal(dy);
        BigDecimal v = new BigDecimal(xy);
        return switch (kind) {
            case RELU -> xy > 0 ? g : BigDecimal.ZERO;
            case LEAKY_RELU -> xy > 0 ? g : g.multiply(new BigDecimal(alpha), MC);
            case ELU -> {
                BigDecimal s = new BigDecimal(inputScale);
                if (xy > 0) {
                    yield g.multiply(new BigDecimal(scale), MC);
                }
                if (fromOutput) {
                    yield g.multiply(s, MC).multiply(v.add(coefficient(), MC), MC);
                }
                yield g.multiply(coefficient(), MC).multiply(s, MC).multiply(exp(v.multiply(s, MC)), MC);
            }
        };
    }

    private static void requireFiniteNonZero(double v, String name) {
        if (!Double.isFinite(v) || v == 0) {
            throw new IllegalArgumentException(name + " must be finite and non-zero (zeros, infinities and NaN"
                    + " have exact results to state directly): " + v);
        }
    }

    /** The exact alpha * scale. */
    private BigDecimal coefficient() {
        return new BigDecimal(alpha).multiply(new BigDecimal(scale));
    }

    /**
     * e^x to 60 significant digits for x up to 2000 (beyond, every float and double result
     * overflows); 0 below -2000, where no float or double product can tell it from 0.
     */
    static BigDecimal exp(BigDecimal x) {
        if (x.compareTo(BigDecimal.valueOf(2000)) > 0) {
            throw new IllegalArgumentException("e^" + x + " overflows every float and double result");
        }
        if (x.compareTo(BigDecimal.valueOf(-2000)) < 0) {
            return BigDecimal.ZERO; // e^x < 1e-868: times any float or double, far below half the least subnormal
        }
        if (x.abs().compareTo(BigDecimal.ONE) < 0) {
            return series(x, MC).add(BigDecimal.ONE, MC);
        }
        // e^x = (e^(x / 2^k))^(2^k) with |x / 2^k| < 1; each squaring loses under one digit of 60.
        int k = 0;
        BigDecimal r = x;
        while (r.abs().compareTo(BigDecimal.ONE) >= 0) {
            r = r.divide(TWO, MC);
            k++;
        }
        MathContext wide = new MathContext(60 + 2 * k);
        BigDecimal e = series(r, wide).add(BigDecimal.ONE, wide);
        for (int i = 0; i < k; i++) {
            e = e.multiply(e, wide);
        }
        return e.round(MC);
    }

    /**
     * e^x - 1 for x &lt;= 0 to about 75 digits (1 below -400, where e^x &lt; 1e-173 is far below
     * every float and double ulp of the results): halve x until |r| &lt;= 1/16, sum the Taylor series
     * of expm1(r), then double back with expm1(2r) = expm1(r) * (expm1(r) + 2), which never
     * subtracts nearly equal numbers for r &lt; 0. Positive x (a negative input scale) go through
     * {@link #exp}, where e^x is far from 1 unless x is small, which the series handles.
     */
    static BigDecimal expm1(BigDecimal x) {
        if (x.signum() > 0) {
            return x.compareTo(BigDecimal.ONE) < 0 ? series(x, DECIMAL) : exp(x).subtract(BigDecimal.ONE, DECIMAL);
        }
        if (x.compareTo(BigDecimal.valueOf(-400)) < 0) {
            return BigDecimal.ONE.negate();
        }
        BigDecimal limit = new BigDecimal("0.0625");
        BigDecimal r = x;
        int halvings = 0;
        while (r.abs().compareTo(limit) > 0) {
            r = r.divide(TWO, DECIMAL);
            halvings++;
        }
        BigDecimal sum = series(r, DECIMAL);
        for (int i = 0; i < halvings; i++) {
            sum = sum.multiply(sum.add(TWO), DECIMAL);
        }
        return sum;
    }

    /** e^r - 1 = r + r^2/2! + ... for |r| &lt; 1, to the precision of {@code mc}. */
    private static BigDecimal series(BigDecimal r, MathContext mc) {
        if (r.signum() == 0) {
            return BigDecimal.ZERO;
        }
        BigDecimal sum = r;
        BigDecimal term = r;
        BigDecimal eps = r.abs().movePointLeft(mc.getPrecision() + 2);
        for (int n = 2; term.abs().compareTo(eps) > 0; n++) {
            term = term.multiply(r, mc).divide(BigDecimal.valueOf(n), mc);
            sum = sum.add(term, mc);
        }
        return sum;
    }

    // ---------------------------------------------------------------------------------------------
    // Correctly rounded floats

    /**
     * The correctly rounded float of f at any float x.
     *
     * @param x any float, NaN and infinities included
     * @return f(x) rounded to nearest even
     */
    public float at(float x) {
        return at(x, new AtomicLong());
    }

    /**
     * {@link #at(float)}, counting the decisions taken in decimal (a measure of how often the fast
     * path could not decide).
     *
     * @param x       any float
     * @param decided incremented once per decimal evaluation
     * @return f(x) rounded to nearest even
     */
    public float at(float x, AtomicLong decided) {
        if (Float.isNaN(x)) {
            return x;
        }
        return switch (kind) {
            case RELU -> x > 0 ? x : 0f;
            case LEAKY_RELU -> x > 0 ? x : product(alpha, x);
            case ELU -> x > 0 ? product(scale, x)
                    : x == 0 ? (float) (c * inputScale * x) : negative(x, prepare(x), decided);
        };
    }

    /**
     * The part of ELU's value at a negative x that depends on x and the input scale only, so that a
     * scan over many functions of one input scale computes it once: {@code Math.expm1(x *
     * inputScale)}, or NaN in the tiny range that {@link #negative} handles apart.
     *
     * @param x a negative float
     * @return the value {@link #negative} takes
     */
    public double prepare(float x) {
        double t = x * inputScale;
        return Math.abs(t) < 0x1p-60 ? Double.NaN : Math.expm1(t);
    }

    /**
     * The correctly rounded ELU at a negative x (-inf included), given {@link #prepare}(x) of a
     * reference with the same input scale.
     *
     * @param x        a negative float
     * @param prepared {@link #prepare}(x)
     * @param decided  incremented once per decimal evaluation
     * @return f(x) rounded to nearest even
     */
    public float negative(float x, double prepared, AtomicLong decided) {
        if (x == Float.NEGATIVE_INFINITY) {
            double e = Math.expm1(x * inputScale); // -1 for s > 0; +inf (s < 0) or NaN (s = 0) as in IEEE arithmetic
            return e == -1 ? -product(alpha, scale) : (float) (c * e);
        }
        if (Double.isNaN(prepared)) {
            return tiny(x, decided);
        }
        double d = c * prepared;
        float f = (float) d;
        if (!Double.isFinite(d)) {
            // e^t beyond the doubles (a negative input scale): c * (e^t - 1) may still be a float
            // (c below 2^-300, say), so take the 60-digit value, rounded once; past e^1000 every
            // coefficient a double can hold (down to 2^-1074) puts it beyond every float, and the
            // 60-digit exp stops at 2000 (a margin, so that no rounding of x * inputScale near
            // the bound matters).
            if (Double.isInfinite(prepared) && Double.isFinite(c) && c != 0) {
                return x * inputScale <= 1000 ? forward(x).floatValue() : c > 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            }
            return f;
        }
        if (Math.abs(d - Math.copySign(FLOAT_OVERFLOW, d)) <= HALFWAY_SLACK_ULPS * Math.ulp(FLOAT_OVERFLOW)) {
            // At the float range's top the halfway point is 2^128 - 2^103, between MAX_VALUE and
            // infinity, which the tests below (the next float of MAX_VALUE is infinite) cannot see.
            decided.incrementAndGet();
            return decideInDecimal(x, Math.copySign(Float.MAX_VALUE, f), Math.copySign(Float.POSITIVE_INFINITY, f),
                    Math.copySign(FLOAT_OVERFLOW, d));
        }
        if (Math.abs(d) >= 0x1p-126 && Math.abs(d) < 0x1p127) {
            // A normal float result: the 29 bits of d below float precision say how far d is from a
            // halfway point (0x10000000), in ulps of d. The common, fast case.
            long below = Double.doubleToRawLongBits(d) & 0x1FFFFFFFL;
            if (Math.abs(below - 0x10000000L) > HALFWAY_SLACK_ULPS) {
                return f;
            }
        }
        double fd = f;
        if (d == fd || Float.isInfinite(f)) {
            return f;
        }
        float g = d > fd ? Math.nextUp(f) : Math.nextDown(f);
        double halfway = 0.5 * (fd + g);
        if (Math.abs(d - halfway) > HALFWAY_SLACK_ULPS * Math.ulp(d)) {
            return f;
        }
        decided.incrementAndGet();
        return decideInDecimal(x, f, g, halfway);
    }

    /**
     * ELU for |x * s| &lt; 2^-60: v = c t (1 + t/2 + ...) with t = x * s. The double p = c * t is
     * within 2 of its ulps of v; if it is farther from a float halfway point h, its rounding is
     * v's. Otherwise {@code v - h = (p - h) + pErr + c*tErr + cErr*t + cErr*tErr + c*t^2/2} (plus
     * terms below 2^-110 of p), where the errors of x * s, alpha * scale and c * t come exactly
     * from fmas: its sign decides, and decimal only when it is too close to 0 to trust.
     */
    private float tiny(float x, AtomicLong decided) {
        double t = x * inputScale;
        if (Math.abs(t) < 0x1p-960 && x != 0 && inputScale != 0 && alpha != 0 && scale != 0) {
            // x * s near or below the double range's bottom (alpha * scale above 2^873 or so, CELU
            // with alpha 1e300): its rounding is no longer relative, and below about 2^-997 the
            // fma no longer gives its error exactly (x * s has bits down to 2^-1097), so take the
            // exact product, rounded once; c t^2/2 is ~2^-960 of it, far below half a float ulp.
            // (A zero factor keeps the IEEE path below: its signed zero, as c * expm1(t) gives.)
            decided.incrementAndGet();
            return coefficient().multiply(new BigDecimal(x)).multiply(new BigDecimal(inputScale)).floatValue();
        }
        double tErr = Math.fma(x, inputScale, -t);
        double cErr = Math.fma(alpha, scale, -c);
        double p = c * t;
        if (p == 0) {
            return (float) p;
        }
        double pErr = Math.fma(c, t, -p);
        float f = (float) p;
        if ((double) f == p) {
            return f; // v is far closer to f than half a float ulp
        }
        float g = p > f ? Math.nextUp(f) : Math.nextDown(f);
        double h = 0.5 * ((double) f + (double) g);
        double r = p - h; // exact when small (Sterbenz)
        if (Math.abs(r) > 8 * Math.ulp(p)) {
            return f;
        }
        double a1 = c * tErr;
        double a2 = cErr * t;
        double a3 = p * t * 0.5;
        double head = r + pErr;
        double total = head + (a1 + a2 + cErr * tErr + a3);
        double bound = 0x1p-50 * (Math.abs(a1) + Math.abs(a2) + Math.abs(a3)) + 0x1p-52 * Math.abs(head);
        if (Math.abs(total) > bound) {
            return total > 0 ? Math.max(f, g) : Math.min(f, g);
        }
        decided.incrementAndGet();
        return decideInDecimal(x, f, g, h);
    }

    /** Picks f or g by the side of the halfway point the 80-digit c * expm1(x * s) lies on. */
    private float decideInDecimal(float x, float f, float g, double halfway) {
        BigDecimal cExact = coefficient();
        BigDecimal t = new BigDecimal(x).multiply(new BigDecimal(inputScale));
        BigDecimal exact = expm1(t).multiply(cExact, DECIMAL);
        BigDecimal h = new BigDecimal(halfway);
        BigDecimal diff = exact.subtract(h, DECIMAL);
        if (diff.abs().compareTo(h.abs().movePointLeft(70)) <= 0) {
            // expm1(t) rounded to -1 (t < -184): then h is -c exactly, and c * e^t moves v towards 0
            if (t.compareTo(BigDecimal.valueOf(-150)) < 0 && h.compareTo(cExact.negate()) == 0) {
                return cExact.signum() > 0 ? Math.max(f, g) : Math.min(f, g);
            }
            throw new ArithmeticException("reference undecidable at 80 digits for x = " + x + ", " + this);
        }
        return diff.signum() > 0 ? Math.max(f, g) : Math.min(f, g);
    }

    /**
     * The correctly rounded float of the exact product a * b of two doubles. The double product p
     * can round to a different float than the exact one only when p is exactly a halfway point
     * between two floats (rounding is monotonic and halfway points are doubles); then the fma's
     * exact error term says on which side the exact product lies.
     *
     * @param a a double
     * @param b a double
     * @return a * b correctly rounded to float
     */
    public static float product(double a, double b) {
        double p = a * b;
        float f = (float) p;
        if (Math.abs(p) == FLOAT_OVERFLOW) { // the halfway point between MAX_VALUE and infinity
            double err = Math.fma(a, b, -p);
            return err != 0 && (err < 0) == (p > 0) ? Math.copySign(Float.MAX_VALUE, f) : f; // below it: MAX_VALUE
        }
        if (!Double.isFinite(p) || p == 0 || (double) f == p || Float.isInfinite(f)) {
            return f;
        }
        float g = p > f ? Math.nextUp(f) : Math.nextDown(f);
        if ((double) g - p != p - (double) f) {
            return f;
        }
        double err = Math.fma(a, b, -p);
        if (err == 0) {
            return f; // an exact tie: the cast rounded it to even
        }
        return err > 0 ? Math.max(f, g) : Math.min(f, g);
    }

    // ---------------------------------------------------------------------------------------------
    // bfloat16 and float16

    /**
     * The bfloat16 reference: the correctly rounded float of f at the bfloat16 x, rounded to
     * bfloat16.
     *
     * @param x       a bfloat16 bit pattern
     * @param decided incremented once per decimal evaluation
     * @return the bfloat16 bit pattern of f(x)
     */
    public short atBf16(short x, AtomicLong decided) {
        return floatToBf16(at(bf16ToFloat(x), decided));
    }

    /**
     * {@link #atBf16(short, AtomicLong)} without the count.
     *
     * @param x a bfloat16 bit pattern
     * @return the bfloat16 bit pattern of f(x)
     */
    public short atBf16(short x) {
        return atBf16(x, new AtomicLong());
    }

    /**
     * The float16 reference: the correctly rounded float of f at the float16 x, rounded to float16.
     *
     * @param x       an IEEE binary16 bit pattern
     * @param decided incremented once per decimal evaluation
     * @return the binary16 bit pattern of f(x)
     */
    public short atF16(short x, AtomicLong decided) {
        return Float.floatToFloat16(at(Float.float16ToFloat(x), decided));
    }

    /**
     * {@link #atF16(short, AtomicLong)} without the count.
     *
     * @param x an IEEE binary16 bit pattern
     * @return the binary16 bit pattern of f(x)
     */
    public short atF16(short x) {
        return atF16(x, new AtomicLong());
    }

    /**
     * The float a bfloat16 pattern holds (exact).
     *
     * @param bits a bfloat16 bit pattern
     * @return its value
     */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * A float rounded to bfloat16, to nearest even; NaN gives a quiet NaN of the same sign with the
     * top 7 payload bits kept.
     *
     * @param f a float
     * @return the bfloat16 bit pattern
     */
    public static short floatToBf16(float f) {
        int b = Float.floatToRawIntBits(f);
        if ((b & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((b >>> 16) | 0x0040);
        }
        int lsb = (b >>> 16) & 1;
        return (short) ((b + 0x7FFF + lsb) >>> 16);
    }
}
