package org.elu4j.cli.accuracy;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.reference.Reference;

/**
 * The engine of {@code elu4j accuracy}: walks every negative float bit pattern (or every N-th),
 * computes the correctly rounded reference ({@link Reference}, the one high-precision reference of
 * the project) once per chunk and function, and
 * compares every target on it; then every one of the 65,536 bfloat16 and float16 patterns.
 * This class is the f32 scan and the coordinator of the run: which targets run which function,
 * the order of the parts, and the {@link Report} with its records, which the command renders.
 *
 * <p>f32 inputs: the finite negative floats {@code 0x80000001..0xFF7FFFFF} (subnormals included)
 * and {@code -inf} ({@code 0xFF800000}), {@code 2^31 - 2^23} patterns in all, cut into chunks of
 * 2^20 floats in native memory that a fixed pool of threads takes in turn. For each chunk the
 * parameter-independent part of the ELU reference ({@code Math.expm1(x * s)} in double) is computed
 * once per distinct input scale, then, per function, the reference floats and every target's output
 * on the same input. Positive floats (sampled), ±0 and NaN patterns are checked separately
 * ({@link SpecialInputs}): they must equal the reference bit for bit.
 *
 * <p>bf16 and f16 ({@link HalfScan}): every pattern (NaNs and infinities included) through each
 * target's path of that type, compared with the float reference rounded to the type
 * ({@link Reference#atBf16}, {@link Reference#atF16}).
 */
public final class AccuracyScan {
    /** The first negative pattern walked (the smallest subnormal, negated). */
    static final long FIRST_NEGATIVE = 0x80000001L;
    /** The finite negative patterns: 0x80000001..0xFF7FFFFF. */
    static final long FINITE_NEGATIVES = 0xFF7FFFFFL - FIRST_NEGATIVE + 1;
    static final int NEGATIVE_INFINITY_BITS = 0xFF800000;
    /** Floats per chunk (4 MiB of input). */
    static final int CHUNK = 1 << 20;

    /** One function of the family with its parameters, as measured, and its reference. */
    public record Spec(Elu elu, Reference reference) {
        public Spec {
            Objects.requireNonNull(elu, "elu");
            Objects.requireNonNull(reference, "reference");
        }

        /** The spec of a function object (its backend is ignored). */
        public static Spec of(Elu elu) {
            Reference reference = switch (elu.function()) {
                case RELU -> Reference.relu();
                case LEAKY_RELU -> Reference.leakyRelu(elu.alpha());
                case ELU, SELU, CELU -> Reference.elu(elu.alpha(), elu.scale(), elu.inputScale());
            };
            return new Spec(elu, reference);
        }

        /** Scale and input scale 1: ELU's parameters are alpha alone. */
        private boolean plain() {
            return elu.scale() == 1 && elu.inputScale() == 1;
        }

        public Elu.Function function() {
            return elu.function();
        }

        /** The parameters for plain text, without spaces: {@code alpha=0.5}, {@code slope=0.01}, {@code -}. */
        public String label() {
            return switch (elu.function()) {
                case ELU -> plain() ? "alpha=" + elu.alpha()
                        : "alpha=" + elu.alpha() + ",scale=" + elu.scale() + ",input-scale=" + elu.inputScale();
                case CELU -> "alpha=" + elu.alpha();
                case LEAKY_RELU -> "slope=" + elu.alpha();
                case SELU -> "standard";
                case RELU -> "-";
            };
        }

        /** The parameters for Markdown: {@code α = 0.5}, {@code α ≈ 1.67326, λ ≈ 1.05070}, ... */
        public String markdownLabel() {
            return switch (elu.function()) {
                case ELU -> plain() ? "α = " + elu.alpha()
                        : "α = " + elu.alpha() + ", λ = " + elu.scale() + ", s = " + elu.inputScale();
                case SELU -> "α ≈ 1.67326, λ ≈ 1.05070";
                case CELU -> "α = " + elu.alpha();
                case LEAKY_RELU -> "slope = " + elu.alpha();
                case RELU -> "—";
            };
        }

        /** |the coefficient of the negative side| (alpha * scale, or the slope); 0 for ReLU. */
        public double coefficient() {
            return switch (reference.kind()) {
                case RELU -> 0;
                case LEAKY_RELU -> Math.abs(elu.alpha());
                case ELU -> Math.abs(elu.alpha() * elu.scale());
            };
        }

        @Override
        public String toString() {
            return elu.function().cliName() + " " + label();
        }
    }

    /** Runs a function on one implementation, forward. Must be thread-safe. */
    @FunctionalInterface
    public interface Kernel {
        void apply(Spec spec, DataType type, MemorySegment src, MemorySegment dst);
    }

    /** Why an implementation cannot run a function on a type forward, or null if it can. */
    @FunctionalInterface
    public interface Support {
        String whyNot(Spec spec, DataType type);
    }

    /** One implementation to measure. */
    public record Target(String name, Support support, Kernel kernel) {
    }

    /** What one target did with one function on f32. */
    public record Result(Spec spec, String target, long inputs, long correctlyRounded, long overOneUlp,
            long maxUlp, int maxUlpBits, double maxAbsError, int maxAbsBits, String specials) {
        /** max ulp as text: "NaN" when a NaN came back for a number. */
        public String maxUlpText() {
            return maxUlp == Long.MAX_VALUE ? "NaN" : Long.toString(maxUlp);
        }
    }

    /**
     * What one target did with one function on every bf16 or f16 pattern: how many results differ
     * from the reference (NaN for NaN counts as equal), by how many units at most (patterns between
     * the two; {@link Long#MAX_VALUE} when a number came back NaN or the other way), and where.
     */
    public record HalfResult(Spec spec, DataType type, String target, int inputs, int mismatches, long maxUnits,
            int worstBits) {
        public String maxUnitsText() {
            return maxUnits == Long.MAX_VALUE ? "NaN" : Long.toString(maxUnits);
        }
    }

    /** A target that cannot run a function on a type, and why. */
    public record Skip(Spec spec, DataType type, String target, String reason) {
    }

    /** The whole run. */
    public record Report(long stride, long negativeInputs, long positiveInputs, int nanInputs, List<Spec> specs,
            long[] decidedInDecimal, List<Result> results, List<HalfResult> halves, List<Skip> skipped, long nanos) {
        public Optional<Result> result(Spec spec, String target) {
            return results.stream().filter(r -> r.spec() == spec && r.target().equals(target)).findFirst();
        }

        public Optional<HalfResult> half(Spec spec, DataType type, String target) {
            return halves.stream().filter(r -> r.spec() == spec && r.type() == type && r.target().equals(target))
                    .findFirst();
        }

        public Optional<Skip> skip(Spec spec, DataType type, String target) {
            return skipped.stream().filter(s -> s.spec() == spec && s.type() == type && s.target().equals(target))
                    .findFirst();
        }
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
     * @param specs    the functions
     * @param stride   1 for every negative f32 pattern, N for every N-th
     * @param threads  worker threads
     * @param halves   whether to check every bf16 and f16 pattern too
     * @param progress receives a line now and then (from worker threads)
     */
    public static Report run(List<Spec> specs, List<Target> targets, long stride, int threads, boolean halves,
            Consumer<String> progress) throws InterruptedException {
        if (stride < 1 || threads < 1 || specs.isEmpty()) {
            throw new IllegalArgumentException("stride and threads must be >= 1, and one function at least");
        }
        long start = System.nanoTime();
        int nSpecs = specs.size();
        int nTargets = targets.size();
        List<Skip> skipped = new ArrayList<>();
        boolean[][] runs = new boolean[nSpecs][nTargets];
        for (int k = 0; k < nSpecs; k++) {
            for (int t = 0; t < nTargets; t++) {
                String why = targets.get(t).support().whyNot(specs.get(k), DataType.F32);
                runs[k][t] = why == null;
                if (why != null) {
                    skipped.add(new Skip(specs.get(k), DataType.F32, targets.get(t).name(), why));
                }
            }
        }

        int[] specials = SpecialInputs.inputs(stride);
        String[][] specialResults = SpecialInputs.check(specials, specs, targets, runs);

        // ELU references share Math.expm1(x * s) between functions of the same input scale.
        int[] group = new int[nSpecs];
        List<Reference> groupReference = new ArrayList<>();
        List<Double> groupScale = new ArrayList<>();
        for (int k = 0; k < nSpecs; k++) {
            Reference ref = specs.get(k).reference();
            group[k] = -1;
            if (ref.kind() == Reference.Kind.ELU) {
                int g = groupScale.indexOf(ref.inputScale());
                if (g < 0) {
                    g = groupScale.size();
                    groupScale.add(ref.inputScale());
                    groupReference.add(specs.get(k).reference());
                }
                group[k] = g;
            }
        }
        int groups = groupScale.size();

        long total = negativeCount(stride);
        long finite = total - 1;
        long chunks = (total + CHUNK - 1) / CHUNK;
        AtomicLong nextChunk = new AtomicLong();
        AtomicLong done = new AtomicLong();
        AtomicInteger reportedTenths = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        AtomicLong[] decided = new AtomicLong[nSpecs];
        for (int k = 0; k < nSpecs; k++) {
            decided[k] = new AtomicLong();
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
                    Tally[][] tallies = new Tally[nSpecs][nTargets];
                    for (Tally[] row : tallies) {
                        for (int t = 0; t < row.length; t++) {
                            row[t] = new Tally();
                        }
                    }
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment xs = arena.allocate((long) CHUNK * Float.BYTES, 64);
                        MemorySegment ys = arena.allocate((long) CHUNK * Float.BYTES, 64);
                        int[] bits = new int[CHUNK];
                        double[][] prepared = new double[groups][CHUNK];
                        int[] ref = new int[CHUNK];
                        int[] got = new int[CHUNK];
                        long c;
                        while (!failed.get() && (c = nextChunk.getAndIncrement()) < chunks) {
                            long first = c * CHUNK;
                            int n = (int) Math.min(CHUNK, total - first);
                            for (int i = 0; i < n; i++) {
                                bits[i] = negativeBits(first + i, stride, finite);
                            }
                            for (int g = 0; g < groups; g++) {
                                Reference r = groupReference.get(g);
                                double[] p = prepared[g];
                                for (int i = 0; i < n; i++) {
                                    p[i] = r.prepare(Float.intBitsToFloat(bits[i]));
                                }
                            }
                            MemorySegment xn = xs.asSlice(0, (long) n * Float.BYTES);
                            MemorySegment yn = ys.asSlice(0, (long) n * Float.BYTES);
                            MemorySegment.copy(bits, 0, xn, JAVA_INT, 0, n);
                            for (int k = 0; k < nSpecs; k++) {
                                Reference r = specs.get(k).reference();
                                if (group[k] >= 0) {
                                    double[] p = prepared[group[k]];
                                    for (int i = 0; i < n; i++) {
                                        ref[i] = Float.floatToRawIntBits(
                                                r.negative(Float.intBitsToFloat(bits[i]), p[i], decided[k]));
                                    }
                                } else {
                                    for (int i = 0; i < n; i++) {
                                        ref[i] = Float.floatToRawIntBits(r.at(Float.intBitsToFloat(bits[i]), decided[k]));
                                    }
                                }
                                for (int t = 0; t < nTargets; t++) {
                                    if (!runs[k][t]) {
                                        continue;
                                    }
                                    targets.get(t).kernel().apply(specs.get(k), DataType.F32, xn, yn);
                                    MemorySegment.copy(yn, JAVA_INT, 0, got, 0, n);
                                    tallies[k][t].add(bits, ref, got, n);
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
        for (int k = 0; k < nSpecs; k++) {
            for (int t = 0; t < nTargets; t++) {
                if (!runs[k][t]) {
                    continue;
                }
                Tally sum = new Tally();
                for (Tally[][] p : partials) {
                    sum.merge(p[k][t]);
                }
                results.add(new Result(specs.get(k), targets.get(t).name(), sum.count, sum.exact, sum.overOne, sum.maxUlp,
                        sum.maxUlpBits, sum.maxAbs, sum.maxAbsBits, specialResults[k][t]));
            }
        }

        // Before decidedCounts: the half scan adds its own decimal decisions to decided[k].
        List<HalfResult> halfResults = halves ? HalfScan.run(specs, targets, skipped, decided) : List.of();

        long[] decidedCounts = new long[nSpecs];
        for (int k = 0; k < nSpecs; k++) {
            decidedCounts[k] = decided[k].get();
        }
        int nans = SpecialInputs.nans(specials);
        return new Report(stride, total, specials.length - nans - 2L, nans, List.copyOf(specs), decidedCounts,
                List.copyOf(results), List.copyOf(halfResults), List.copyOf(skipped), System.nanoTime() - start);
    }

    /** Running statistics of one target and function on one thread. */
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
         * {@link Arrays#mismatch}; only a block with a difference is walked element by element. A
         * NaN where the reference is NaN counts as exact.
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
                    float gf = Float.intBitsToFloat(g);
                    float rf = Float.intBitsToFloat(r);
                    if (g == r || (Float.isNaN(gf) && Float.isNaN(rf))) {
                        exactHere++;
                        continue;
                    }
                    long d = Float.isNaN(gf) || Float.isNaN(rf) ? Long.MAX_VALUE : Math.abs(ordered(g) - ordered(r));
                    if (d == 0) {
                        d = 1; // -0.0 for +0.0 (or back): a wrong sign counts as one step, so that the row names its input
                    }
                    if (d > 1) {
                        overOneHere++;
                    }
                    if (d > worst || (d == worst && d > 0 && Integer.compareUnsigned(x[i], worstBits) < 0)) {
                        worst = d;
                        worstBits = x[i];
                    }
                    double abs = Float.isNaN(gf) || Float.isNaN(rf) ? Double.POSITIVE_INFINITY
                            : Math.abs((double) gf - rf);
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
