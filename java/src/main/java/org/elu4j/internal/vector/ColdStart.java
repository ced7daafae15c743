package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.elu4j.DataType;
import org.elu4j.internal.HalfFloats;
import org.elu4j.internal.vector.Staging.Map1;
import org.elu4j.internal.vector.Staging.Map2;

/**
 * The vector kernels' cold start: how a fresh JVM's calls avoid the Vector API's slow phase.
 *
 * <p>Until C2 has compiled a Vector API kernel, every vector operation in it runs as Java code
 * that allocates its vectors: a 256-float call takes tens to hundreds of microseconds, for many
 * thousands of calls (C2 waits for the kernel's own invocation and loop counts), against about a
 * hundred nanoseconds once compiled (docs/benchmarks.md, "Time to steady state"). Waiting in the
 * caller does not help: a call made there is itself slow.
 *
 * <p>So the f32, bf16 and f16 forward of every kernel with a scalar form
 * ({@link FamilyKernels#f32Choice}: ELU, {@link FloatElu#kernelUnit} and {@link FloatElu#kernel}; the general form, SELU, CELU
 * and other parameters, {@link GeneralElu#eluGeneral} and {@link GeneralElu#eluGeneralUnitInput};
 * ReLU; LeakyReLU), every f64 forward ({@link F64Kernels}), and their backward kernels, from the
 * input and from the output ({@link FamilyKernels#f32BackwardChoice}), run that form until then:
 * {@link ScalarForms}, the kernel's arithmetic one element at a time with the kernel's bits (bf16
 * and f16 around the f32 form, with the bits of the fused loops). It is plain Java on arrays,
 * cheap before the JIT has compiled it (the first call on native
 * memory runs it a thousand times on a few elements: {@link org.elu4j.internal.WarmUp},
 * {@link VectorBackend#warmUpGroup}, once per type and scalar method), a few microseconds a 256-element
 * call until C2 has compiled it (a few thousand calls) and then a few times the compiled kernel's
 * time, never a hundred times. Meanwhile one daemon thread
 * ({@value #THREAD_NAME}) calls each bound kernel ({@link Pair}) on scratch memory of its own and
 * times it against its scalar form on the same data; once the kernel is at least as fast
 * {@value #WINS} rounds in a row (C2 has compiled it), the pair switches to it, and the thread
 * goes on with the next pair or ends. Because the bits are the same, when the switch happens
 * changes only the speed. The price: the thread keeps one CPU busy for a second or two per kernel
 * method and branch, its family (the other bindings of the family, e.g. the general kernel's with
 * other parameters of the same kind, switch with it, and those made after it run the kernel from
 * the start). It runs {@value LowPriority#STEPS} nice levels
 * lower in priority than the thread that started it ({@link LowPriority}: Linux, native access enabled), so that a
 * caller sharing its CPU loses it to the thread far less often (docs/benchmarks.md, "The vector
 * backend's cold start"), and it compares the two forms in its own CPU time.
 *
 * <p>A pair stays on its scalar form if its kernel is not faster after {@link #MAX_NANOS} of the
 * thread's CPU time (a JVM whose C2 never compiles it: there the scalar form is the faster). Java property
 * {@value #PROPERTY}{@code =off} turns all of this off: no thread, the kernels from the first call
 * (what a benchmark of the kernels alone wants).
 */
final class ColdStart {
    private ColdStart() {
    }

    /** Java property: {@code off} runs the vector kernels from the first call (no thread). */
    static final String PROPERTY = "elu4j.vector.coldStart";
    static final String THREAD_NAME = "elu4j-vector-warm-up";
    /**
     * The most CPU time the thread spends on one pair (its own, where the JVM measures it; else
     * elapsed time). C2 has compiled a kernel after one to two seconds on a 2-core machine that also
     * runs the caller; a JVM whose C2 does not compile it within this keeps the scalar form rather
     * than a thread that never ends. CPU time, not elapsed time: the thread runs at a low priority
     * ({@link LowPriority}), and on a saturated machine it may wait long for its share, which
     * should delay the switch, not cancel it. (The JVMs whose C2 never compiles anything, -Xint,
     * -XX:-UseCompiler, -XX:CompilationMode=quick-only and tiers stopped below level 4, do not get
     * the vector backend: VectorChecks.)
     */
    static final long MAX_NANOS = 30_000_000_000L;
    /**
     * After this much of its CPU time on one pair (elapsed time where the JVM does not measure it)
     * the thread pauses after each round as long as the round took: a kernel that C2 compiles
     * late (a busy machine) still gets compiled, at half a CPU, and one it never compiles costs
     * half a CPU until {@link #MAX_NANOS}.
     */
    private static final long PATIENT_NANOS = 5_000_000_000L;
    /** Calls per timed round, of each form. */
    private static final int ROUND = 64;
    /** Rounds in a row in which the kernel must be at least as fast as the scalar form. */
    private static final int WINS = 3;

    /** Whether the property leaves the cold start on (read once). */
    static final boolean ENABLED = !"off".equals(System.getProperty(PROPERTY));

    /** One call of a form on the thread's scratch tensors: a forward reads a and writes b; a backward reads a (dy) and b (x or y) and writes c. */
    @FunctionalInterface
    private interface Call {
        void run(MemorySegment a, MemorySegment b, MemorySegment c, long bytes);
    }

    /**
     * A bound kernel in its two forms, which give the same bits, and the one calls run: the scalar
     * form until the thread has found the kernel compiled ({@link #ready}, never reset).
     */
    abstract static class Pair {
        final String family;
        final String name;
        /** The thread's scratch tensor: every kind of step the kernel takes, both signs, edge values (not rare branches). */
        final float[] sample;
        /** The element type the sample is rounded to before the thread runs the forms on it. */
        final DataType type;
        volatile boolean ready;

        private Pair(String family, String name, float[] sample, DataType type) {
            this.family = family;
            this.name = name;
            this.sample = sample;
            this.type = type;
        }

        abstract Call kernelCall();

        abstract Call scalarCall();
    }

    /** A forward kernel's pair. */
    static final class Pair1 extends Pair implements Map1 {
        final Map1 kernel;
        final Map1 scalar;

        private Pair1(String family, String name, Map1 kernel, Map1 scalar, float[] sample, DataType type) {
            super(family, name, sample, type);
            this.kernel = kernel;
            this.scalar = scalar;
        }

        @Override
        public void run(MemorySegment src, MemorySegment dst, long bytes) {
            if (ready) {
                kernel.run(src, dst, bytes);
            } else {
                scalar.run(src, dst, bytes);
            }
        }

        @Override
        Call kernelCall() {
            return (a, b, c, n) -> kernel.run(a, b, n);
        }

        @Override
        Call scalarCall() {
            return (a, b, c, n) -> scalar.run(a, b, n);
        }
    }

    /** A backward kernel's pair. */
    static final class Pair2 extends Pair implements Map2 {
        final Map2 kernel;
        final Map2 scalar;

        private Pair2(String family, String name, Map2 kernel, Map2 scalar, float[] sample, DataType type) {
            super(family, name, sample, type);
            this.kernel = kernel;
            this.scalar = scalar;
        }

        @Override
        public void run(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes) {
            if (ready) {
                kernel.run(dy, xy, dx, bytes);
            } else {
                scalar.run(dy, xy, dx, bytes);
            }
        }

        @Override
        Call kernelCall() {
            return kernel::run;
        }

        @Override
        Call scalarCall() {
            return scalar::run;
        }
    }

    // All guarded by ColdStart.class. A family is a kernel method (with the branches its parameters
    // take): its pairs share its compiled code, so one pair per family is warmed, the others wait.
    /** One pair per family waiting for the thread, in the order they were bound. */
    private static final ArrayDeque<Pair> PENDING = new ArrayDeque<>();
    /** The pairs of each family in PENDING or being warmed: they switch together. */
    private static final Map<String, List<Pair>> WAITING = new HashMap<>();
    /** The families found compiled: their later bindings run the kernel itself. */
    private static final Set<String> COMPILED = new HashSet<>();
    /** The families whose kernel was not faster within MAX_NANOS, or whose warm-up failed: scalar from then on. */
    private static final Set<String> GAVE_UP = new HashSet<>();
    private static boolean running;

    /**
     * What a binding of {@code kernel} runs: the kernel itself where {@link #ENABLED} is false or
     * its {@code family} (the kernel method, with the branches its parameters take) has been found
     * compiled, its scalar form where the family was given up; else a {@link Pair} on its scalar
     * form, queued for the thread (started if none
     * runs) unless a pair of its family already is: it switches with that one. {@code sample}: the
     * values the thread runs both on, rounded to {@code type} (its length what the kernel takes: for
     * a {@link Staging} kernel a multiple of its block); {@code name} the binding, for the log. The
     * forms of a bf16/f16 binding run over whole calls: they take the segments' sizes, not
     * {@code bytes}.
     */
    static Map1 of(String family, String name, Map1 kernel, Map1 scalar, float[] sample, DataType type) {
        Pair1 p = new Pair1(family, name, kernel, scalar, sample, type);
        return switch (register(p)) {
            case KERNEL -> kernel;
            case SCALAR -> scalar;
            case PAIR -> p;
        };
    }

    /** {@link #of} for a backward kernel (dy, x or y, dx). */
    static Map2 ofBackward(String family, String name, Map2 kernel, Map2 scalar, float[] sample, DataType type) {
        Pair2 p = new Pair2(family, name, kernel, scalar, sample, type);
        return switch (register(p)) {
            case KERNEL -> kernel;
            case SCALAR -> scalar;
            case PAIR -> p;
        };
    }

    /** What a binding runs: see {@link #of}. */
    private enum Use { KERNEL, SCALAR, PAIR }

    /** {@link #of}'s decision for {@code p}, queueing it (and starting the thread) where it is a pair's to make. */
    private static synchronized Use register(Pair p) {
        if (!ENABLED || COMPILED.contains(p.family)) {
            return Use.KERNEL;
        }
        if (GAVE_UP.contains(p.family)) {
            return Use.SCALAR; // for good: the same bits
        }
        List<Pair> waiting = WAITING.get(p.family);
        if (waiting != null) {
            waiting.add(p); // switches with the family's first pair, queued already
        } else {
            WAITING.put(p.family, new ArrayList<>(List.of(p)));
            PENDING.add(p);
        }
        if (!running) { // the thread ended, or could not be started before: (re)start it
            // The kernels' first calls run the Vector API's fallback code, which wraps byte arrays
            // in heap segments: the first heap segment a JVM makes loads its class, and C2 then
            // throws away compiled code that assumed native segments were the only kind
            // (dependency on the class hierarchy), the scalar forms among it, which the callers
            // would run interpreted until C2 recompiled them behind the kernels' queue of
            // compilations. Loaded here, before the scalar forms are compiled, nothing is thrown away.
            // (Nothing else here makes a heap segment: MemorySegment.copy between a segment and an
            // array, as the scalar forms make, uses the array itself; -Xlog:class+load shows no
            // other HeapMemorySegmentImpl class loaded.)
            MemorySegment.ofArray(new byte[0]);
            try {
                // Not the binding thread's inheritable thread-locals nor its context class loader (an
                // application server's web application would be kept alive by this thread's minutes).
                Thread t = Thread.ofPlatform().name(THREAD_NAME).daemon(true).inheritInheritableThreadLocals(false)
                        .unstarted(ColdStart::work);
                t.setContextClassLoader(null);
                t.start();
                running = true;
            } catch (RuntimeException | Error e) { // no thread to be had (a process limit): the next binding tries again
                System.getLogger("org.elu4j").log(System.Logger.Level.WARNING, "elu4j: cannot start the vector "
                        + "backend's warm-up thread; its kernels run their scalar forms (the same results, slower) "
                        + "until a later binding starts it", e);
            }
        }
        return Use.PAIR;
    }

    /** Whether a pair of {@code family} has found its kernel compiled (its later bindings run the kernel). */
    static synchronized boolean compiled(String family) {
        return COMPILED.contains(family);
    }

    /**
     * The thread: one pair per family in the order they were bound, then it ends (a later binding
     * starts another). A family whose warm-up fails (out of memory) keeps its scalar forms, and the
     * thread ends, leaving the families behind it to the next binding's thread.
     */
    private static void work() {
        Pair p = null;
        try {
            String priority = LowPriority.lowerCurrentThread();
            System.getLogger("org.elu4j").log(System.Logger.Level.DEBUG, () -> "elu4j: " + THREAD_NAME + ": " + priority);
            while (true) {
                synchronized (ColdStart.class) {
                    p = PENDING.poll();
                    if (p == null) {
                        running = false;
                        return;
                    }
                }
                boolean compiled = warm(p);
                synchronized (ColdStart.class) {
                    (compiled ? COMPILED : GAVE_UP).add(p.family);
                    for (Pair q : WAITING.remove(p.family)) {
                        q.ready = compiled;
                    }
                    if (Thread.currentThread().isInterrupted()) { // asked to stop (warm gave this family up):
                        running = false; // the families queued behind it wait for the next binding's thread,
                        return;          // rather than each give up at its first pause
                    }
                }
                p = null;
            }
        } catch (RuntimeException | Error e) {
            synchronized (ColdStart.class) {
                running = false;
                if (p != null) {
                    GAVE_UP.add(p.family);
                    WAITING.remove(p.family);
                }
            }
            System.getLogger("org.elu4j").log(System.Logger.Level.WARNING,
                    "elu4j: the vector backend's warm-up thread failed; the kernels it had not switched keep their "
                            + "scalar forms (the same results, slower)", e);
        }
    }

    /**
     * Rounds of {@value #ROUND} kernel calls and {@value #ROUND} scalar calls on the pair's sample,
     * until the kernel wins {@value #WINS} rounds in a row (then true). The sample covers every kind
     * of step the kernel takes, so that C2 compiles every part a call will run (a part never run
     * there would be compiled as a trap that sends the first call needing it back to the
     * interpreter), but not a rare branch: C2 lays the code out for the profile it sees. A confined
     * arena, as most callers' tensors (the JIT compiles the shared code for the kinds it has seen).
     */
    private static boolean warm(Pair p) {
        long bytes = (long) p.sample.length * p.type.byteSize();
        String outcome;
        boolean compiled;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(bytes, 64);
            MemorySegment y = arena.allocate(bytes, 64);
            MemorySegment z = arena.allocate(bytes, 64);
            for (int i = 0; i < p.sample.length; i++) { // rounded to the type on the way
                float v = p.sample[i];
                for (MemorySegment t : new MemorySegment[] {x, y}) { // a forward overwrites y, a backward reads it
                    switch (p.type) {
                        case BF16 -> t.setAtIndex(JAVA_SHORT_UNALIGNED, i, HalfFloats.floatToBf16(v));
                        case F16 -> t.setAtIndex(JAVA_SHORT_UNALIGNED, i, HalfFloats.floatToF16(v));
                        case F64 -> t.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, v);
                        default -> t.setAtIndex(JAVA_FLOAT_UNALIGNED, i, v);
                    }
                }
            }
            final Call kernel = p.kernelCall();
            final Call scalar = p.scalarCall();
            final long begin = System.nanoTime();
            final long cpuBegin = cpuTime();
            int wins = 0;
            int rounds = 0;
            long spent = 0;
            while (wins < WINS && spent < MAX_NANOS) {
                long w0 = System.nanoTime();
                long c0 = cpuTime();
                for (int i = 0; i < ROUND; i++) {
                    kernel.run(x, y, z, bytes);
                }
                long c1 = cpuTime();
                long w1 = System.nanoTime();
                for (int i = 0; i < ROUND; i++) {
                    scalar.run(x, y, z, bytes);
                }
                long c2 = cpuTime();
                long w2 = System.nanoTime();
                rounds++;
                // In the thread's CPU time where the JVM measures it: at its low priority a half
                // that lost the CPU meanwhile would look slow in elapsed time, and a kernel not yet
                // compiled could seem to win. Where a half reads no CPU time at all (a clock that
                // ticks in milliseconds, as on some platforms), elapsed time decides the round.
                boolean cpu = cpuBegin >= 0 && c0 >= 0 && c1 >= 0 && c2 >= 0;
                boolean byCpu = cpu && c1 > c0 && c2 > c1;
                wins = (byCpu ? c1 - c0 <= c2 - c1 : w1 - w0 <= w2 - w1) ? wins + 1 : 0;
                spent = cpu ? c2 - cpuBegin : w2 - begin;
                if (wins < WINS && spent > PATIENT_NANOS) {
                    long round = cpu ? c2 - c0 : w2 - w0; // as long again as the round's CPU: half of what it gets
                    try {
                        Thread.sleep(round / 1_000_000, (int) (round % 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt(); // nothing in elu4j interrupts it: give up
                        break;
                    }
                }
            }
            long cpuEnd = cpuTime();
            String after = " after " + rounds + " rounds (" + (System.nanoTime() - begin) / 1_000_000 + " ms"
                    + (cpuBegin >= 0 && cpuEnd >= 0 ? ", " + (cpuEnd - cpuBegin) / 1_000_000 + " ms of the thread's CPU)" : ")");
            compiled = wins >= WINS;
            if (!compiled) {
                outcome = "vector kernel " + p.name + " still slower than its scalar form" + after + ": the scalar form stays";
            } else {
                outcome = "vector kernel " + p.name + " compiled" + after + ": calls run it from now on";
            }
        }
        System.getLogger("org.elu4j").log(System.Logger.Level.DEBUG, "elu4j: " + outcome);
        return compiled;
    }

    /** The calling thread's CPU time in nanoseconds, -1 where the JVM does not measure it. */
    private static long cpuTime() {
        try {
            return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        } catch (UnsupportedOperationException e) {
            return -1;
        }
    }

    /**
     * A sample of {@code n} floats: both signs over [-4, 4), with {@code edges} at the start (values
     * that take a kernel's other steps).
     */
    static float[] sample(int n, float... edges) {
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = i < edges.length ? edges[i] : (i * 0.37f) % 8 - 4;
        }
        return s;
    }

    /**
     * {@link #sample} for a backward from the output of a function whose negative side ends at
     * {@code -coef} (where {@code coef > 0}): the negative values scaled into
     * {@code (-0.9 coef, 0)}, as outputs are. The f32 and bfloat16 loops from the output leave a
     * vector with a lane below {@code -coef} to their rare path (F32Backward), so with the plain
     * sample the warm-up would run that path for every vector and never the common one.
     */
    static float[] outputSample(int n, double coef) {
        float[] s = sample(n);
        if (coef > 0) {
            for (int i = 0; i < n; i++) {
                s[i] = s[i] < 0 ? (float) (s[i] * (0.9 * coef / 4)) : s[i];
            }
        }
        return s;
    }
}
