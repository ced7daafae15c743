package org.elu4j.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.elu4j.Backend;

/**
 * The first call's warm-up: runs a call path on scratch memory until the JIT has compiled it, once
 * per JVM, backend and warm-up group ({@link EluBackend#warmUpGroup}), at the first call on native
 * memory that binds to such a backend. A fresh JVM runs that path interpreted, several times
 * slower than compiled; made here, those calls cost the first call a few milliseconds instead of
 * costing the application's next few hundred or thousand calls microseconds each. The helper's
 * path is short Java code in front of native code, cheap to run interpreted, and so is the vector
 * backend's forward while it runs scalar code (its cold start); the Java backends' other kernels
 * are not.
 *
 * <p>How long: {@value #MIN_CALLS} calls; then, where the backend says its compiled path beats a
 * fixed bound ({@link EluBackend#warmUpUntilCompiled}: the helper), batches of {@value #BATCH}
 * until one averages at most {@value #COMPILED_NS} ns a call, at most {@value #MAX_CALLS} calls
 * and about {@link #BUDGET_NS} ns in all. Where C1 keeps up, the path is compiled after the first
 * {@value #MIN_CALLS}; where its queue is long (a slower CPU, a JVM still compiling its start-up)
 * the path ran interpreted for thousands of calls, which the warm-up takes over from the
 * application (docs/benchmarks.md, "The warm-up until the path is compiled").
 */
public final class WarmUp {

    /** One call of the path warmed, on the scratch segments. */
    public interface Path {
        /**
         * Calls the path once.
         *
         * @param a the first segment (a forward's source, a backward's gradient)
         * @param b the second (a forward's destination, a backward's input or output)
         * @param c the third (a backward's result), or null for a forward
         */
        void call(MemorySegment a, MemorySegment b, MemorySegment c);
    }

    /**
     * The fewest calls: enough for the JIT's first tier to queue every method of the path (a method
     * is queued for C1 after 200 invocations).
     */
    private static final int MIN_CALLS = 1000;

    /** The most calls, for a JVM whose C1 never catches up. */
    private static final int MAX_CALLS = 10_000;

    /**
     * The time the warm-up may spend in all, for a JVM that compiles late; checked after each batch
     * (so one batch may overrun it), and only past the first {@link #MIN_CALLS} calls, which it
     * makes whatever they take.
     */
    private static final long BUDGET_NS = 25_000_000L;

    /** Calls per timed batch. */
    private static final int BATCH = 100;

    /**
     * A batch whose calls average at most this has been compiled: an interpreted call of the
     * helper's path costs a few microseconds, a compiled one a fraction of one, and the
     * application's calls should not take over 2 µs.
     */
    private static final long COMPILED_NS = 1_000L;

    /** A JVM that never compiles (-Xint): going on past {@link #MIN_CALLS} would gain nothing. */
    private static final boolean INTERPRETED = System.getProperty("java.vm.info", "").contains("interpreted");

    /** The warm-up groups warmed so far (64 * backend ordinal + group). */
    private static final Set<Integer> warmed = ConcurrentHashMap.newKeySet();

    private WarmUp() {
    }

    /** True for the first caller per backend kind and warm-up group (-1: none), which then warms it up. */
    public static boolean first(Backend kind, int group) {
        return group >= 0 && warmed.add(64 * kind.ordinal() + group);
    }

    /**
     * Calls {@code path} on scratch segments of {@code bytes} each (zeros, 64-byte aligned, out of
     * place as most calls), as the class comment says.
     *
     * @param third         whether the path takes a third segment (a backward)
     * @param untilCompiled whether to go on past the first calls until a batch runs compiled
     */
    public static void run(long bytes, boolean third, boolean untilCompiled, Path path) {
        int most = untilCompiled && !INTERPRETED ? MAX_CALLS : MIN_CALLS;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(bytes, 64);
            MemorySegment b = arena.allocate(bytes, 64);
            MemorySegment c = third ? arena.allocate(bytes, 64) : null;
            long start = System.nanoTime();
            for (int calls = 0; calls < most; calls += BATCH) {
                long batchStart = System.nanoTime();
                for (int i = 0; i < BATCH; i++) {
                    path.call(a, b, c);
                }
                long now = System.nanoTime();
                if (calls + BATCH >= MIN_CALLS && (now - batchStart <= BATCH * COMPILED_NS || now - start > BUDGET_NS)) {
                    return;
                }
            }
        }
    }
}
