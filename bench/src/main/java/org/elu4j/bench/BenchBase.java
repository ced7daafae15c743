package org.elu4j.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.elu4j.Elu;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every benchmark of the suite shares: how it is measured, the JVM it runs in, its data and
 * the check of its output.
 *
 * <ul>
 * <li>Average time per call in ns, one thread; the report turns it into elements per ns
 *     ({@code size / score}), the unit the targets use.</li>
 * <li>Warm-up 5 × 1 s: Vector API code runs interpreted (or C1-compiled, with boxed vectors) at
 *     ~1000× its final speed until C2 has compiled the kernel, and C2 compiling a vector loop
 *     takes a while; shorter warm-ups measured garbage on this machine kind (perf notes,
 *     pitfall 4). The native paths are warm after a few calls, so the cost is only time.</li>
 * <li>Two forks: the JIT's decisions (inlining, code layout, which loop gets vectorised) differ
 *     between JVMs, and on a 2-core VM neighbours move results by several percent; two JVMs
 *     show that spread in the error bars. {@code ./elu4j bench --quick} overrides this to one
 *     fork and shorter iterations.</li>
 * <li>JVM flags: FFM downcalls and JNI need native access; the Vector API is an incubator module
 *     (without it the vector backend is unavailable and AUTO would silently measure another
 *     one). A fresh JVM per benchmark keeps the JIT profile of one backend (or of a peer's JNI
 *     library) from influencing another.</li>
 * <li>Data: native segments aligned to 64 bytes (one cache line, one AVX-512 vector), floats
 *     uniform in [-4, 4) from a fixed seed, so every run sees the same numbers and half of them
 *     take the exp path.</li>
 * </ul>
 *
 * <p>Thread count of OpenMP-based peers (oneDNN, ND4J): {@code ./elu4j bench} sets
 * {@code OMP_NUM_THREADS=1} (forked JVMs inherit the environment), so every path runs on one
 * thread like the Java backends.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {BenchBase.NATIVE_ACCESS, "--add-modules", "jdk.incubator.vector"})
public abstract class BenchBase {
    /** Lets FFM downcalls (elu4j) and JNI (JavaCPP, ND4J) run without warnings. */
    public static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    /** The library's property that turns the vector backend's cold start off. */
    public static final String COLD_START = "elu4j.vector.coldStart";

    static {
        // The vector backend's f32 forward measured as the kernels they are in steady state: with
        // the cold start on, their calls run a scalar form until a thread of the library has found
        // the kernel compiled (ColdStart in the library), a second or two into a fork, which a short
        // warm-up may not cover. Set here, in every benchmark's fork before its first elu4j call,
        // whatever JVM arguments the command line gives (-jvmArgsAppend replaces the @Fork's);
        // -Delu4j.vector.coldStart=on measures the cold start's path instead. The cold start itself
        // is measured by startup.SteadyStateBenchmark.
        if (System.getProperty(COLD_START) == null) {
            System.setProperty(COLD_START, "off");
        }
    }

    /** {@link #warmUntilCompiled}: a vector kernel faster than this per element is compiled. */
    static final int COMPILED_NS_PER_ELEMENT = 100;

    /**
     * Calls {@code call} until its calls run compiled and have not got 10% faster for a second (at
     * most 20 s); the benchmarks call it in set-up for a call the vector backend runs. Its kernels
     * run uncompiled until C2 has compiled them (the benchmarks turn the cold start off, above):
     * on an AMD EPYC Zen 3 a 64K-element f16 call took 15-100 ms for over a second, so that the
     * quick run's fixed warm-up measured an uncompiled kernel. Uncompiled, the Vector API took
     * 220-420 ns per element there, and it can go a second without gain while C2 compiles;
     * compiled, the kernels take a few ns (f64 and the halves' backward included) and the scalar
     * forms that two double lanes bind for good some tens: under {@value #COMPILED_NS_PER_ELEMENT}
     * ns is compiled. A cell still slower after 20 s says so in the line printed.
     */
    static void warmUntilCompiled(Runnable call, long size, String what) {
        long start = System.nanoTime(), lastGain = start, calls = 0;
        double best = Double.MAX_VALUE;
        while ((System.nanoTime() - lastGain < 1_000_000_000L || best / size > COMPILED_NS_PER_ELEMENT)
                && System.nanoTime() - start < 20_000_000_000L) {
            long t0 = System.nanoTime(), n = 0;
            do {
                call.run();
                n++;
            } while (System.nanoTime() - t0 < 50_000_000L);
            double perCall = (double) (System.nanoTime() - t0) / n;
            calls += n;
            if (perCall < 0.9 * best) {
                lastGain = System.nanoTime();
            }
            best = Math.min(best, perCall);
        }
        System.out.printf("# warmed up %s: %d calls in %.1f s, best %.1f us per call%s%n", what, calls,
                (System.nanoTime() - start) / 1e9, best / 1e3,
                best / size > COMPILED_NS_PER_ELEMENT ? " (NOT COMPILED: slower than " + COMPILED_NS_PER_ELEMENT
                        + " ns an element after 20 s)" : "");
    }

    /** Seed of the input data; every benchmark sees the same floats for a given size. */
    public static final long SEED = 42;

    /** Outputs are checked against the scalar oracle within |err| ≤ ABS_TOL + REL_TOL·|want|. */
    static final double ABS_TOL = 1e-6;
    static final double REL_TOL = 1e-6;

    /** Owns every segment of one trial; closed after it. */
    protected Arena arena;

    /** The arena of a trial's segments: shared (tensors any thread may use), unless overridden. */
    protected Arena newArena() {
        return Arena.ofShared();
    }

    /** A zero-filled native segment of {@code n} floats aligned to 64 bytes (pages touched). */
    protected final MemorySegment allocateFloats(long n) {
        if (arena == null) {
            arena = newArena();
        }
        return arena.allocate(n * Float.BYTES, 64);
    }

    /** {@code n} floats uniform in [-4, 4) from {@link #SEED}, in a new aligned segment. */
    protected final MemorySegment randomInput(long n) {
        MemorySegment s = allocateFloats(n);
        fillUniform(s, SEED);
        return s;
    }

    /** Fills a segment with floats uniform in [-4, 4) from the given seed. */
    public static void fillUniform(MemorySegment s, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long n = s.byteSize() / Float.BYTES;
        for (long i = 0; i < n; i++) {
            s.setAtIndex(JAVA_FLOAT, i, (float) random.nextDouble(-4, 4));
        }
    }

    @TearDown(Level.Trial)
    public void closeArena() {
        if (arena != null) {
            arena.close();
            arena = null;
        }
    }

    /**
     * Throws unless {@code out[i]} is ELU(in[i]) (alpha = 1) within the suite's tolerance for
     * every i. The tolerance (a few ulp near 1) accepts every backend's documented accuracy,
     * oneDNN's included, and catches what matters here: a fast wrong answer (a no-op, a copy,
     * ReLU, a stale or partially written buffer).
     */
    public static void checkElu(String what, MemorySegment in, MemorySegment out) {
        check(what, Elu.elu(), in, out);
    }

    /**
     * Throws unless {@code out[i]} is {@code function(in[i])}, as the scalar oracle computes it,
     * within the suite's tolerance for every i.
     */
    public static void check(String what, Elu function, MemorySegment in, MemorySegment out) {
        Elu oracle = function;
        long n = in.byteSize() / Float.BYTES;
        if (out.byteSize() != in.byteSize()) {
            throw new IllegalStateException(what + ": output has " + out.byteSize() + " bytes, input " + in.byteSize());
        }
        for (long i = 0; i < n; i++) {
            float x = in.getAtIndex(JAVA_FLOAT, i);
            checkOne(what, i, x, oracle.apply(x), out.getAtIndex(JAVA_FLOAT, i));
        }
    }

    /** As {@link #checkElu(String, MemorySegment, MemorySegment)} for a heap array of results. */
    public static void checkElu(String what, MemorySegment in, float[] out) {
        checkElu(what, in, MemorySegment.ofArray(out));
    }

    private static void checkOne(String what, long i, float x, float want, float got) {
        if (!(Math.abs((double) got - want) <= ABS_TOL + REL_TOL * Math.abs(want))) {
            throw new IllegalStateException(what + ": wrong result at index " + i + ": f(" + x + ") = "
                    + want + ", got " + got);
        }
    }

    /** Throws unless the two segments hold the same bytes. */
    public static void checkSame(String what, MemorySegment want, MemorySegment got) {
        long at = want.mismatch(got);
        if (at >= 0) {
            throw new IllegalStateException(what + ": output differs from the input at byte " + at);
        }
    }
}
