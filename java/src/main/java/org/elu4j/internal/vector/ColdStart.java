package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The f32 ELU kernel's cold start: how a fresh JVM's calls avoid the Vector API's slow phase.
 *
 * <p>Until C2 has compiled {@link VectorBackend#kernel}, every Vector API operation in it runs as
 * Java code that allocates its vectors: a 256-float call takes tens to hundreds of microseconds,
 * for many thousands of calls (C2 waits for the kernel's own invocation and loop counts), against
 * about a hundred nanoseconds once compiled (docs/benchmarks.md, "Time to steady state"). Waiting
 * in the caller does not help: a call made there is itself slow.
 *
 * <p>So the calls run {@link #scalar} until then: the kernel's arithmetic lane by lane, the same
 * operations on the same constants in the same order ({@code Math.fma} is the Vector API's
 * {@code fma}; the clamp is the same integer {@code min} on the bit patterns), hence the same bits
 * for every input. It is plain Java, which the JIT compiles within a few hundred calls (the
 * first call on native memory runs it a thousand times on a few floats: {@code Elu}'s warm-up,
 * {@link VectorBackend#warmsUpOnFirstCall}), and which then takes a few times the compiled
 * kernel's time, never a hundred times. Meanwhile one daemon thread ({@value #THREAD_NAME}) calls
 * the vector kernel on scratch memory of its own and times it against {@link #scalar} on the same
 * data; once the kernel is at least as fast {@value #WINS} rounds in a row (C2 has compiled it),
 * it sets {@link #vectorReady} and ends, and the calls switch to the kernel. Because the bits are
 * the same, when the switch happens changes only the speed. The price: the thread keeps one CPU
 * busy for a second or two once per JVM, so on a machine whose CPUs are all busy the callers are
 * preempted now and then meanwhile (docs/benchmarks.md, "The vector backend's cold start").
 *
 * <p>The thread ends after {@link #MAX_NANOS} at the latest (a JVM whose C2 never compiles the
 * kernel keeps the scalar path, the faster of the two there). Java property
 * {@value #PROPERTY}{@code =off} turns all of this off: no thread, the kernel from the first call
 * (what a benchmark of the kernel alone wants).
 */
final class ColdStart {
    private ColdStart() {
    }

    /** Java property: {@code off} runs the vector kernel from the first call (no thread). */
    static final String PROPERTY = "elu4j.vector.coldStart";
    static final String THREAD_NAME = "elu4j-vector-warm-up";
    /**
     * The longest the thread runs. C2 has compiled the kernel after one to two seconds of the
     * thread's time on a 2-core machine that also runs the caller; a machine far busier than
     * that keeps the scalar path rather than a thread that never ends.
     */
    static final long MAX_NANOS = 60_000_000_000L;
    /** Calls per timed round, of each path. */
    private static final int ROUND = 64;
    /** Rounds in a row in which the kernel must be at least as fast as the scalar path. */
    private static final int WINS = 3;

    /** Whether the property leaves the cold start on (read once). */
    static final boolean ENABLED = !"off".equals(System.getProperty(PROPERTY));

    /** Set once the vector kernel is compiled, from the start where {@link #ENABLED} is false; never reset. */
    static volatile boolean vectorReady = !ENABLED;
    private static boolean started; // guarded by ColdStart.class

    /** Starts the warm-up thread once per JVM (at the first f32 ELU binding), unless turned off. */
    static synchronized void start() {
        if (started || vectorReady) {
            return;
        }
        started = true;
        // The kernel's first calls run the Vector API's fallback code, which wraps byte arrays in
        // heap segments: the first heap segment a JVM makes loads its class, and C2 then throws
        // away compiled code that assumed native segments were the only kind (dependency on the
        // class hierarchy), scalar() among it, which the callers would run interpreted until C2
        // recompiled it behind the kernel's queue of compilations. Loaded here, before scalar()
        // is compiled, nothing is thrown away.
        MemorySegment.ofArray(new byte[0]);
        Thread t = new Thread(ColdStart::warm, THREAD_NAME);
        t.setDaemon(true);
        t.start();
    }

    /**
     * The thread's work: rounds of {@value #ROUND} kernel calls and {@value #ROUND} scalar calls on
     * the same scratch tensor, until the kernel wins {@value #WINS} rounds in a row. The tensor
     * covers the kernel's main loop and both kinds of tail step (whole and partial vectors) at any
     * vector width, so that C2 compiles every part a call will run (a part never run there would be
     * compiled as a trap that sends the first call needing it back to the interpreter). A confined
     * arena, as most callers' tensors (the JIT compiles the shared code for the kinds it has seen).
     */
    private static void warm() {
        int n = 5 * F32Kernels.F.length() + 3; // two pairs of vectors, one whole tail vector, a partial one
        long bytes = (long) n * Float.BYTES;
        String outcome;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(bytes, 64);
            MemorySegment y = arena.allocate(bytes, 64);
            for (int i = 0; i < n; i++) {
                x.setAtIndex(JAVA_FLOAT_UNALIGNED, i, (i * 0.37f) % 8 - 4); // both signs, in [-4, 4)
            }
            long begin = System.nanoTime();
            int wins = 0;
            int rounds = 0;
            while (wins < WINS && System.nanoTime() - begin < MAX_NANOS) {
                long t0 = System.nanoTime();
                for (int i = 0; i < ROUND; i++) {
                    VectorBackend.kernel(x, y, bytes, 1f);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < ROUND; i++) {
                    scalar(x, y, bytes, 1f);
                }
                long t2 = System.nanoTime();
                rounds++;
                wins = t1 - t0 <= t2 - t1 ? wins + 1 : 0;
            }
            String after = " after " + rounds + " rounds (" + (System.nanoTime() - begin) / 1_000_000 + " ms)";
            if (wins < WINS) {
                outcome = "vector f32 ELU kernel still slower than its scalar form" + after + ": the scalar form stays";
            } else {
                vectorReady = true;
                outcome = "vector f32 ELU kernel compiled" + after + ": calls run it from now on";
            }
        }
        System.getLogger("org.elu4j").log(System.Logger.Level.DEBUG, "elu4j: " + outcome);
    }

    /**
     * {@link VectorBackend#kernel}'s arithmetic one float at a time, step for step (see its class
     * comment for the algorithm): the same bits for every input. Native or heap segments alike;
     * {@code bytes} a multiple of 4.
     */
    static void scalar(MemorySegment src, MemorySegment dst, long bytes, float alpha) {
        for (long off = 0; off < bytes; off += Float.BYTES) {
            float x = src.get(JAVA_FLOAT_UNALIGNED, off);
            float c = Float.intBitsToFloat(Math.min(Float.floatToRawIntBits(x), VectorBackend.CLAMP_BITS));
            float t = Math.fma(c, VectorBackend.LOG2E, VectorBackend.SHIFT);
            float r = Math.fma(t - VectorBackend.SHIFT, -VectorBackend.LN2, c);
            float s = Float.intBitsToFloat(Float.floatToRawIntBits(t) << 23);
            float q = Math.fma(Math.fma(Math.fma(Math.fma(VectorBackend.Q4, r, VectorBackend.Q3), r,
                    VectorBackend.Q2), r, VectorBackend.Q1), r, VectorBackend.Q0);
            float p = Math.fma(r * r, q, r);
            float e = Math.fma(s, p, s - 1f);
            dst.set(JAVA_FLOAT_UNALIGNED, off, x < 0 ? e * alpha : x);
        }
    }
}
