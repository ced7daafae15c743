package org.elu4j.internal.accuracy;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.concurrent.atomic.AtomicLong;
import org.elu4j.internal.HalfFloats;
import org.elu4j.internal.Op;

/**
 * The correctly rounded float of a function of the family ({@link Op}) at any float x, the
 * parameters taken as the exact doubles they are.
 *
 * <ul>
 * <li>ELU, x &lt; 0: {@code c * expm1(x * s)} with {@code c = alpha * scale}, {@code s = inputScale}:
 *     computed in double ({@code Math.expm1}, within 1 double ulp; with the roundings of x * s and
 *     alpha * scale the double is within about 5 of its ulps of the exact value) and rounded once
 *     to float. A double within {@value #HALFWAY_SLACK_ULPS} of its ulps of a halfway point between
 *     two floats is decided by an 80-digit {@link BigDecimal} evaluation with exact c and x * s.
 *     For {@code |x * s| < 2^-60} the value is {@code c*t + c*t^2/2} (t = x * s), whose distance
 *     to a halfway point is computed exactly from fma error terms; only a near tie goes to decimal.</li>
 * <li>ELU, x &gt; 0: {@code scale * x}; ReLU: x or +0; LeakyReLU: x or {@code slope * x}: a
 *     product of two doubles, rounded correctly through an fma check (a double product can round
 *     wrongly to float only when it lands exactly on a halfway point; the fma's error term then says
 *     which side the exact product is on).</li>
 * <li>NaN gives the input (same bits); ±0 gives the sign of the product as IEEE arithmetic does
 *     ({@code c * s * x} for ELU, {@code slope * x}), ReLU +0.</li>
 * </ul>
 * bfloat16 and float16 references are this float rounded by {@link HalfFloats}, the definition
 * of those types.
 */
public final class Reference {
    /**
     * A double result this many of its ulps or fewer from a float halfway point is re-evaluated
     * in decimal (x * s and alpha * scale are rounded, Math.expm1 is within 1 ulp and the product
     * adds half an ulp: about 5 ulps, twice that across a binade boundary; 16 leaves a margin).
     */
    static final double HALFWAY_SLACK_ULPS = 16;
    private static final MathContext DECIMAL = new MathContext(80);
    private static final BigDecimal TWO = BigDecimal.valueOf(2);

    private final Op op;
    private final double c;
    private final double s;

    public Reference(Op op) {
        this.op = op;
        this.c = op.negativeCoefficient();
        this.s = op.inputScale();
    }

    public Op op() {
        return op;
    }

    /** The reference at any float. */
    public float at(float x) {
        return at(x, new AtomicLong());
    }

    /** The reference at any float, counting decisions taken in decimal. */
    public float at(float x, AtomicLong decided) {
        if (Float.isNaN(x)) {
            return x;
        }
        return switch (op.kind()) {
            case RELU -> x > 0 ? x : 0f;
            case LEAKY_RELU -> x > 0 ? x : product(op.alpha(), x);
            case ELU -> x > 0 ? product(op.scale(), x) : x == 0 ? (float) (c * s * x) : negative(x, prepare(x), decided);
        };
    }

    /** The part of an ELU reference at negative x that depends on x and s only: NaN marks the tiny range. */
    double prepare(float x) {
        double t = x * s;
        return Math.abs(t) < 0x1p-60 ? Double.NaN : Math.expm1(t);
    }

    /** The correctly rounded ELU at negative x (-inf included), given {@link #prepare}(x). */
    float negative(float x, double prepared, AtomicLong decided) {
        if (x == Float.NEGATIVE_INFINITY) {
            double e = Math.expm1(x * s); // -1 for s > 0; +inf (s < 0) or NaN (s = 0) as in IEEE arithmetic
            return e == -1 ? -product(op.alpha(), op.scale()) : (float) (c * e);
        }
        if (Double.isNaN(prepared)) {
            return tiny(x, decided);
        }
        double d = c * prepared;
        float f = (float) d;
        if (!Double.isFinite(d)) {
            return f;
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
        double t = x * s;
        double tErr = Math.fma(x, s, -t);
        double cErr = Math.fma(op.alpha(), op.scale(), -c);
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
    float decideInDecimal(float x, float f, float g, double halfway) {
        BigDecimal cExact = new BigDecimal(op.alpha()).multiply(new BigDecimal(op.scale()));
        BigDecimal t = new BigDecimal(x).multiply(new BigDecimal(s));
        BigDecimal exact = expm1(t).multiply(cExact, DECIMAL);
        BigDecimal h = new BigDecimal(halfway);
        BigDecimal diff = exact.subtract(h, DECIMAL);
        if (diff.abs().compareTo(h.abs().movePointLeft(70)) <= 0) {
            // expm1(t) rounded to -1 (t < -184): then h is -c exactly, and c * e^t moves v towards 0
            if (t.compareTo(BigDecimal.valueOf(-150)) < 0 && h.compareTo(cExact.negate()) == 0) {
                return cExact.signum() > 0 ? Math.max(f, g) : Math.min(f, g);
            }
            throw new ArithmeticException("reference undecidable at 80 digits for x = " + x + ", " + op);
        }
        return diff.signum() > 0 ? Math.max(f, g) : Math.min(f, g);
    }

    /**
     * e^x - 1 for x &lt; 0 to about 75 digits: halve x until |r| &lt;= 1/16, sum the Taylor series of
     * expm1(r), then double back with expm1(2r) = expm1(r) * (expm1(r) + 2), which never
     * subtracts nearly equal numbers for r &lt; 0.
     */
    static BigDecimal expm1(BigDecimal x) {
        if (x.compareTo(BigDecimal.valueOf(-400)) < 0) {
            return BigDecimal.ONE.negate(); // e^x < 1e-173
        }
        BigDecimal limit = new BigDecimal("0.0625");
        BigDecimal r = x;
        int halvings = 0;
        while (r.abs().compareTo(limit) > 0) {
            r = r.divide(TWO, DECIMAL);
            halvings++;
        }
        BigDecimal sum = r;
        BigDecimal term = r;
        BigDecimal eps = r.abs().movePointLeft(82);
        for (int n = 2; term.abs().compareTo(eps) > 0; n++) {
            term = term.multiply(r, DECIMAL).divide(BigDecimal.valueOf(n), DECIMAL);
            sum = sum.add(term, DECIMAL);
        }
        for (int i = 0; i < halvings; i++) {
            sum = sum.multiply(sum.add(TWO), DECIMAL);
        }
        return sum;
    }

    /**
     * The correctly rounded float of the exact product a * b of two doubles. The double product p
     * can round to a different float than the exact one only when p is exactly a halfway point
     * between two floats (rounding is monotonic and halfway points are doubles); then the fma's
     * exact error term says on which side the exact product lies.
     */
    public static float product(double a, double b) {
        double p = a * b;
        float f = (float) p;
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

    /** The bfloat16 or float16 reference: the float reference rounded to the type. */
    public short half(org.elu4j.DataType type, short x, AtomicLong decided) {
        float wide = type == org.elu4j.DataType.BF16 ? HalfFloats.bf16ToFloat(x) : HalfFloats.f16ToFloat(x);
        float y = at(wide, decided);
        return type == org.elu4j.DataType.BF16 ? HalfFloats.floatToBf16(y) : HalfFloats.floatToF16(y);
    }
}
