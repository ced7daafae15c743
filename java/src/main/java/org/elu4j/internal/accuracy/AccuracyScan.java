package org.elu4j.internal.accuracy;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The engine of {@code elu4j accuracy}: walks every negative float bit pattern (or every N-th),
 * computes a correctly rounded reference once per chunk and compares every target on it.
 *
 * <p>Inputs: the finite negative floats {@code 0x80000001..0xFF7FFFFF} (subnormals included)
 * and {@code -inf} ({@code 0xFF800000}), {@code 2^31 - 2^23} patterns in all, cut into chunks of
 * 2^20 floats in native memory that a fixed pool of threads takes in turn. For each chunk the
 * alpha-independent part of the reference ({@code Math.expm1(x)} in double) is computed once,
 * then, per alpha, the reference floats and then every target's output on the same input.
 * Positive floats (sampled), ±0 and NaN patterns are checked separately for bit-exactness.
 *
 * <p>The function measured is a {@link Function}; today only ELU exists, and a member of the
 * family (SELU, CELU, ...) is a new constant with its own reference.
 */
public final class AccuracyScan {
    /** The first negative pattern walked (the smallest subnormal, negated). */
    static final long FIRST_NEGATIVE = 0x80000001L;
    /** The finite negative patterns: 0x80000001..0xFF7FFFFF. */
    static final long FINITE_NEGATIVES = 0xFF7FFFFFL - FIRST_NEGATIVE + 1;
    static final int NEGATIVE_INFINITY_BITS = 0xFF800000;
    /** Floats per chunk (4 MiB of input). */
    static final int CHUNK = 1 << 20;
    /** Positive patterns are sampled with at least this stride. */
    static final int POSITIVE_STRIDE = 1021;
    /**
     * A double result this many double ulps or fewer from a float halfway point is re-evaluated
     * in decimal: Math.expm1 is specified within 1 ulp and the product with alpha adds half an
     * ulp, so the double is within 2.5 of its own ulps of the exact value (5 across a binade
     * boundary); 8 leaves a margin.
     */
    static final double HALFWAY_SLACK_ULPS = 8;

    /** A member of the ELU family with its reference. */
    public enum Function {
        ELU("elu");

        private final String cliName;

        Function(String cliName) {
            this.cliName = cliName;
        }

        public String cliName() {
            return cliName;
        }

        /** How the reference is computed, for the report. */
        public List<String> referenceDescription() {
            return List.of(
                    "reference: alpha * Math.expm1(x) in double (x converted exactly; Math.expm1 is specified within",
                    "  1 double ulp), rounded once to float. For -2^-60 < x < 0 it is alpha * x, exact in double, with a",
                    "  halfway case going the way of the dropped alpha * x^2 / 2 (the sign of alpha). A double within "
                            + (int) HALFWAY_SLACK_ULPS + " of its ulps",
                    "  of a halfway point between two floats (it could round the wrong way) is decided by a 60-digit",
                    "  BigDecimal expm1. So the reference is the correctly rounded float (error <= 0.5 ulp), given",
                    "  Math.expm1's documented bound; 'ulp' below counts floats between a result and the reference, so",
                    "  1 ulp there means less than 1.5 ulp from the exact value.");
        }

        /** The reference at one input (x itself unless x < 0), for tests. */
        public float reference(float x, float alpha) {
            return x < 0 ? reference(x, prepare(x), alpha, new AtomicLong()) : x;
        }

        /** The alpha-independent part of the reference for negative x: NaN marks the tiny range. */
        double prepare(float x) {
            return x > -0x1p-60f ? Double.NaN : Math.expm1(x);
        }

        /** The correctly rounded float of the function at negative x (never NaN here). */
        float reference(float x, double prepared, float alpha, AtomicLong decided) {
            if (Double.isNaN(prepared)) {
                return tinyTimesAlpha(x, alpha);
            }
            double d = alpha * prepared;
            float f = (float) d;
            if (Math.abs(d) >= 0x1p-126) {
                // A normal float result: the 29 bits of d below float precision say how far d is
                // from a halfway point (0x10000000), in ulps of d. The common, fast case.
                long below = Double.doubleToRawLongBits(d) & 0x1FFFFFFFL;
                if (Math.abs(below - 0x10000000L) > HALFWAY_SLACK_ULPS) {
                    return f;
                }
            }
            double fd = f;
            if (d == fd) {
                return f;
            }
            float g = d > fd ? Math.nextUp(f) : Math.nextDown(f);
            double halfway = 0.5 * (fd + g);
            if (Math.abs(d - halfway) > HALFWAY_SLACK_ULPS * Math.ulp(d)) {
                return f;
            }
            decided.incrementAndGet();
            return decideInDecimal(x, alpha, f, g, halfway);
        }
    }

    /**
     * alpha * expm1(x) for -2^-60 < x < 0: expm1(x) = x + x^2/2 + ..., the x^2/2 term being far
     * below the precision of alpha * x, which is exact in double (24 x 24 bits). That product is
     * rounded to float; if it lies exactly halfway between two floats, the exact value is on the
     * side of alpha * x^2 / 2, whose sign is the sign of alpha.
     */
    static float tinyTimesAlpha(float x, float alpha) {
        double p = (double) alpha * x;
        float f = (float) p;
        double rest = p - f;
        if (rest == 0) {
            return f;
        }
        float g = rest > 0 ? Math.nextUp(f) : Math.nextDown(f);
        if ((double) g - p != p - (double) f) {
            return f;
        }
        return alpha > 0 ? Math.max(f, g) : Math.min(f, g);
    }

    private static final MathContext DECIMAL = new MathContext(60);
    private static final BigDecimal TWO = BigDecimal.valueOf(2);

    /** Picks f or g by the side of the halfway point the 60-digit alpha * expm1(x) lies on. */
    static float decideInDecimal(float x, float alpha, float f, float g, double halfway) {
        BigDecimal exact = expm1(new BigDecimal(x)).multiply(new BigDecimal(alpha), DECIMAL);
        BigDecimal h = new BigDecimal(halfway);
        BigDecimal diff = exact.subtract(h, DECIMAL);
        if (diff.abs().compareTo(h.abs().movePointLeft(50)) <= 0) {
            throw new ArithmeticException("reference undecidable at 60 digits for x = " + x + ", alpha = " + alpha);
        }
        return diff.signum() > 0 ? Math.max(f, g) : Math.min(f, g);
    }

    /**
     * e^x - 1 for x < 0 to about 55 digits: halve x until |r| <= 1/16, sum the Taylor series of
     * expm1(r), then double back with expm1(2r) = expm1(r) * (expm1(r) + 2), which never
     * subtracts nearly equal numbers for r < 0.
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
        BigDecimal eps = r.abs().movePointLeft(62);
        for (int n = 2; term.abs().compareTo(eps) > 0; n++) {
            term = term.multiply(r, DECIMAL).divide(BigDecimal.valueOf(n), DECIMAL);
            sum = sum.add(term, DECIMAL);
        }
        for (int i = 0; i < halvings; i++) {
            sum = sum.multiply(sum.add(TWO), DECIMAL);
        }
        return sum;
    }

    /** Runs the function on one implementation. Must be thread-safe. */
    @FunctionalInterface
    public interface Kernel {
        void apply(float alpha, MemorySegment src, MemorySegment dst);
    }

    /** One implementation to measure. */
    public record Target(String name, Kernel kernel) {
    }

    /** What one target did at one alpha. */
    public record Result(float alpha, String target, long inputs, long correctlyRounded, long overOneUlp,
            long maxUlp, int maxUlpBits, double maxAbsError, int maxAbsBits, String specials) {
        /** max ulp as text: "NaN" when a NaN came back for a number. */
        public String maxUlpText() {
            return maxUlp == Long.MAX_VALUE ? "NaN" : Long.toString(maxUlp);
        }
    }

    /** The whole run. */
    public record Report(Function function, long stride, long negativeInputs, long positiveInputs, int nanInputs,
            long[] decidedInDecimal, List<Result> results, long nanos) {
    }

    private AccuracyScan() {
    }

    /** The number of negative inputs walked with this stride (-inf included). */
    static long negativeCount(long stride) {
        return (FINITE_NEGATIVES - 1) / stride + 1 + 1;
    }

    /** The bit pattern of the i-th negative input. */
    static int negativeBits(long i, long stride, long finiteCount) {
        return i < finiteCount ? (int) (FIRST_NEGATIVE + i * stride) : NEGATIVE_INFINITY_BITS;
    }

    /**
     * Runs the scan.
     *
     * @param stride   1 for every pattern, N for every N-th
     * @param threads  worker threads
     * @param progress receives a line now and then (from worker threads)
     */
    public static Report run(Function function, float[] alphas, List<Target> targets, long stride, int threads,
            Consumer<String> progress) throws InterruptedException {
        if (stride < 1 || threads < 1 || alphas.length == 0) {
            throw new IllegalArgumentException("stride and threads must be >= 1, and one alpha at least");
        }
        long start = System.nanoTime();
        int[] specials = specialInputs(Math.max(POSITIVE_STRIDE, stride));
        String[][] specialResults = new String[alphas.length][targets.size()];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate((long) specials.length * Float.BYTES, 64);
            MemorySegment y = arena.allocate((long) specials.length * Float.BYTES, 64);
            MemorySegment.copy(specials, 0, x, JAVA_INT, 0, specials.length);
            int[] got = new int[specials.length];
            for (int a = 0; a < alphas.length; a++) {
                for (int t = 0; t < targets.size(); t++) {
                    targets.get(t).kernel().apply(alphas[a], x, y);
                    MemorySegment.copy(y, JAVA_INT, 0, got, 0, got.length);
                    specialResults[a][t] = describeSpecials(specials, got);
                }
            }
        }

        long total = negativeCount(stride);
        long finite = total - 1;
        long chunks = (total + CHUNK - 1) / CHUNK;
        AtomicLong nextChunk = new AtomicLong();
        AtomicLong done = new AtomicLong();
        AtomicInteger reportedTenths = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        AtomicLong[] decided = new AtomicLong[alphas.length];
        for (int a = 0; a < alphas.length; a++) {
            decided[a] = new AtomicLong();
        }
        List<Tally[][]> partials = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "elu4j-accuracy");
            t.setDaemon(true);
            return t;
        })) {
            List<Future<Tally[][]>> futures = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                futures.add(pool.submit(() -> {
                    Tally[][] tallies = new Tally[alphas.length][targets.size()];
                    for (Tally[] row : tallies) {
                        for (int t = 0; t < row.length; t++) {
                            row[t] = new Tally();
                        }
                    }
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment xs = arena.allocate((long) CHUNK * Float.BYTES, 64);
                        MemorySegment ys = arena.allocate((long) CHUNK * Float.BYTES, 64);
                        int[] bits = new int[CHUNK];
                        double[] prepared = new double[CHUNK];
                        int[] ref = new int[CHUNK];
                        int[] got = new int[CHUNK];
                        long c;
                        while (!failed.get() && (c = nextChunk.getAndIncrement()) < chunks) {
                            long first = c * CHUNK;
                            int n = (int) Math.min(CHUNK, total - first);
                            for (int i = 0; i < n; i++) {
                                bits[i] = negativeBits(first + i, stride, finite);
                                prepared[i] = function.prepare(Float.intBitsToFloat(bits[i]));
                            }
                            MemorySegment xn = xs.asSlice(0, (long) n * Float.BYTES);
                            MemorySegment yn = ys.asSlice(0, (long) n * Float.BYTES);
                            MemorySegment.copy(bits, 0, xn, JAVA_INT, 0, n);
                            for (int a = 0; a < alphas.length; a++) {
                                float alpha = alphas[a];
                                for (int i = 0; i < n; i++) {
                                    ref[i] = Float.floatToRawIntBits(function.reference(
                                            Float.intBitsToFloat(bits[i]), prepared[i], alpha, decided[a]));
                                }
                                for (int t = 0; t < targets.size(); t++) {
                                    targets.get(t).kernel().apply(alpha, xn, yn);
                                    MemorySegment.copy(yn, JAVA_INT, 0, got, 0, n);
                                    tallies[a][t].add(bits, ref, got, n);
                                }
                            }
                            long now = done.addAndGet(n);
                            int tenths = (int) (now * 10 / total);
                            int seen = reportedTenths.get();
                            if (tenths > seen && tenths < 10 && reportedTenths.compareAndSet(seen, tenths)) {
                                progress.accept(String.format("%d%% of %,d inputs after %.0f s", tenths * 10, total,
                                        (System.nanoTime() - start) / 1e9));
                            }
                        }
                    } catch (RuntimeException | Error e) {
                        failed.set(true);
                        throw e;
                    }
                    return tallies;
                }));
            }
            for (Future<Tally[][]> f : futures) {
                try {
                    partials.add(f.get());
                } catch (ExecutionException e) {
                    failed.set(true);
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(e.getCause());
                }
            }
        }

        List<Result> results = new ArrayList<>();
        long[] decidedCounts = new long[alphas.length];
        for (int a = 0; a < alphas.length; a++) {
            decidedCounts[a] = decided[a].get();
            for (int t = 0; t < targets.size(); t++) {
                Tally sum = new Tally();
                for (Tally[][] p : partials) {
                    sum.merge(p[a][t]);
                }
                results.add(new Result(alphas[a], targets.get(t).name(), sum.count, sum.exact, sum.overOne, sum.maxUlp,
                        sum.maxUlpBits, sum.maxAbs, sum.maxAbsBits, specialResults[a][t]));
            }
        }
        int nans = 0;
        for (int s : specials) {
            nans += Float.isNaN(Float.intBitsToFloat(s)) ? 1 : 0;
        }
        return new Report(function, stride, total, specials.length - nans - 2L, nans, decidedCounts, results,
                System.nanoTime() - start);
    }

    /** The inputs checked for bit-exactness: +0, -0, NaNs of both signs, then sampled positives. */
    static int[] specialInputs(long positiveStride) {
        List<Integer> list = new ArrayList<>();
        list.add(0);
        list.add(0x80000000);
        for (int sign : new int[] {0, 0x80000000}) {
            for (int fixed : new int[] {0x7F800001, 0x7FBFFFFF, 0x7FC00000, 0x7FC00001, 0x7FFFFFFF}) {
                list.add(sign | fixed);
            }
            for (int j = 1; j < 1000; j++) {
                list.add(sign | (0x7F800001 + j * (0x7FFFFF / 1000)));
            }
        }
        for (long b = 1; b < 0x7F800000L; b += positiveStride) {
            list.add((int) b);
        }
        for (int fixed : new int[] {0x3F800000, 0x7F7FFFFF, 0x7F800000}) {
            list.add(fixed);
        }
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    /** "bit-exact", or what differed among the special inputs. */
    static String describeSpecials(int[] in, int[] out) {
        long positives = 0;
        long positivesChanged = 0;
        int firstChanged = 0;
        long nans = 0;
        long nanLost = 0;
        long payloadChanged = 0;
        long quietedOnly = 0;
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < in.length; i++) {
            int x = in[i];
            int y = out[i];
            float xf = Float.intBitsToFloat(x);
            if (Float.isNaN(xf)) {
                nans++;
                if (!Float.isNaN(Float.intBitsToFloat(y))) {
                    nanLost++;
                } else if (x != y) {
                    payloadChanged++;
                    quietedOnly += (x | 0x00400000) == y ? 1 : 0;
                }
            } else if (xf == 0f) {
                if (x != y) {
                    notes.add(hexFloat(x) + " -> " + hexFloat(y));
                }
            } else {
                positives++;
                if (x != y && positivesChanged++ == 0) {
                    firstChanged = i;
                }
            }
        }
        if (positivesChanged > 0) {
            notes.add(positivesChanged + " of " + positives + " positives changed (first " + hexFloat(in[firstChanged])
                    + " -> " + hexFloat(out[firstChanged]) + ")");
        }
        if (nanLost > 0) {
            notes.add(nanLost + " of " + nans + " NaNs not NaN");
        }
        if (payloadChanged > 0) {
            notes.add(payloadChanged + " of " + nans + " NaN payloads changed"
                    + (quietedOnly == payloadChanged ? " (signalling NaNs quieted)" : ""));
        }
        return notes.isEmpty() ? "bit-exact" : String.join("; ", notes);
    }

    private static String hexFloat(int bits) {
        return Float.toString(Float.intBitsToFloat(bits));
    }

    /** Running statistics of one target at one alpha on one thread. */
    static final class Tally {
        static final int BLOCK = 256;
        long count;
        long exact;
        long overOne;
        long maxUlp;
        int maxUlpBits;
        double maxAbs;
        int maxAbsBits;

        /**
         * Adds n results. Blocks of {@link #BLOCK} are first compared whole with the vectorized
         * {@link Arrays#mismatch}; only a block with a difference is walked element by element.
         */
        void add(int[] x, int[] ref, int[] got, int n) {
            long exactHere = 0;
            long overOneHere = 0;
            long worst = maxUlp;
            int worstBits = maxUlpBits;
            double worstAbs = maxAbs;
            int worstAbsBits = maxAbsBits;
            for (int from = 0; from < n; from += BLOCK) {
                int to = Math.min(n, from + BLOCK);
                int m = Arrays.mismatch(got, from, to, ref, from, to);
                if (m < 0) {
                    exactHere += to - from;
                    continue;
                }
                exactHere += m;
                for (int i = from + m; i < to; i++) {
                    int g = got[i];
                    int r = ref[i];
                    if (g == r) {
                        exactHere++;
                        continue;
                    }
                    float gf = Float.intBitsToFloat(g);
                    float rf = Float.intBitsToFloat(r);
                    long d = Float.isNaN(gf) ? Long.MAX_VALUE : Math.abs(ordered(g) - ordered(r));
                    if (d > 1) {
                        overOneHere++;
                    }
                    if (d > worst || (d == worst && d > 0 && Integer.compareUnsigned(x[i], worstBits) < 0)) {
                        worst = d;
                        worstBits = x[i];
                    }
                    double abs = Float.isNaN(gf) ? Double.POSITIVE_INFINITY : Math.abs((double) gf - rf);
                    if (abs > worstAbs || (abs == worstAbs && abs > 0 && Integer.compareUnsigned(x[i], worstAbsBits) < 0)) {
                        worstAbs = abs;
                        worstAbsBits = x[i];
                    }
                }
            }
            count += n;
            exact += exactHere;
            overOne += overOneHere;
            maxUlp = worst;
            maxUlpBits = worstBits;
            maxAbs = worstAbs;
            maxAbsBits = worstAbsBits;
        }

        /** Adds another thread's tally; ties go to the smaller bit pattern, so the result is deterministic. */
        void merge(Tally o) {
            count += o.count;
            exact += o.exact;
            overOne += o.overOne;
            if (o.maxUlp > maxUlp || (o.maxUlp == maxUlp && o.maxUlp > 0
                    && Integer.compareUnsigned(o.maxUlpBits, maxUlpBits) < 0)) {
                maxUlp = o.maxUlp;
                maxUlpBits = o.maxUlpBits;
            }
            if (o.maxAbs > maxAbs || (o.maxAbs == maxAbs && o.maxAbs > 0
                    && Integer.compareUnsigned(o.maxAbsBits, maxAbsBits) < 0)) {
                maxAbs = o.maxAbs;
                maxAbsBits = o.maxAbsBits;
            }
        }

        /** Float bits to a long monotonic in the value (+0 and -0 both 0). */
        private static long ordered(int bits) {
            return bits >= 0 ? bits : -(long) (bits & 0x7fffffff);
        }
    }
}
