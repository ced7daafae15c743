package org.elu4j.reliability;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.CloseRace;
import org.elu4j.testing.Inputs;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One shared {@link Elu} per backend (every available backend and AUTO), called by
 * {@value #THREADS} threads at once with random sizes, byte offsets, in place and out of place,
 * native and (where the backend takes them) heap destinations. Every result must be bit for bit
 * the one the same backend computed single-threaded, before the threads started, for the same
 * input.
 *
 * <p>The call count is scaled per backend to keep the class bounded on two cores (it took
 * 12-26 s with the machine's two cores shared by seven to ten busy processes): 10^5 calls per thread
 * (1.6 M in all) at sizes 0..512 for helper, vector and AUTO (a few hundred ns each, checks
 * included); 10^4 per thread at sizes 0..128 for scalar ({@code Math.expm1} per element, ~20 ns
 * each); 2,000 per thread at sizes 0..512 for oneDNN (microseconds per call, and with 256
 * distinct sizes against a 64-entry primitive cache most calls create a primitive under the
 * cache lock and evict one that other threads may be executing).
 *
 * <p>A second test closes a shared arena while another thread runs ELU on its segments: the
 * close or the call must fail with {@link IllegalStateException}, and nothing may touch freed
 * memory (oneDNN did, and crashed the JVM, before it kept the segments acquired during execution).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a deadlock fails the test instead of hanging the build
class ConcurrencyTest {
    static final int THREADS = 16;
    /** Distinct inputs per backend; each thread draws from them at random. */
    static final int POOL = 256;
    static final long SEED = 0xC0FFEE_2026L;
    static final float ALPHA = 1.6732632f;

    /** How hard to drive one backend. */
    record Plan(Backend backend, int callsPerThread, int maxSize) {
        @Override
        public String toString() {
            return backend.cliName() + " " + THREADS + "x" + callsPerThread + " calls, sizes 0.." + maxSize;
        }
    }

    static Stream<Plan> plans() {
        List<Plan> plans = new ArrayList<>();
        for (Backend b : Backend.values()) {
            if (!Elu4j.isAvailable(b)) {
                continue;
            }
            plans.add(switch (b) {
                case AUTO, HELPER, VECTOR -> new Plan(b, 100_000, 512);
                case SCALAR -> new Plan(b, 10_000, 128);
                case ONEDNN -> new Plan(b, 2_000, 512);
            });
        }
        return plans.stream();
    }

    /** The inputs of one backend's run and what that backend returned for them single-threaded. */
    static final class Pool {
        final int[] sizes = new int[POOL];
        final MemorySegment[] inputs = new MemorySegment[POOL];
        final MemorySegment[] expected = new MemorySegment[POOL];

        Pool(Arena shared, Elu elu, Candidate checker, int maxSize, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            long stride = (long) maxSize * Float.BYTES + 64;
            MemorySegment in = shared.allocate(stride * POOL, 64);
            MemorySegment out = shared.allocate(stride * POOL, 64);
            for (int k = 0; k < POOL; k++) {
                int n = k < 4 ? new int[] {0, 1, maxSize, maxSize - 1}[k] : r.nextInt(maxSize + 1);
                long srcOff = r.nextInt(64);
                float[] x = Inputs.random(n, r.nextLong());
                sizes[k] = n;
                inputs[k] = in.asSlice(k * stride + srcOff, (long) n * Float.BYTES);
                MemorySegment.copy(MemorySegment.ofArray(x), 0, inputs[k], 0, inputs[k].byteSize());
                expected[k] = out.asSlice(k * stride, (long) n * Float.BYTES);
                elu.apply(inputs[k], expected[k]);
                // Sanity check of the reference itself against the scalar oracle.
                for (int i = 0; i < n; i++) {
                    float got = expected[k].getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                    String problem = checker.check(x[i], ALPHA, got, Candidate.oracle(x[i], ALPHA));
                    if (problem != null) {
                        fail(checker + ": single-threaded ELU(" + x[i] + ") = " + got + ": " + problem);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void sharedEluGivesBitIdenticalResultsUnderContention(Plan plan) throws Exception {
        Elu elu = Elu.elu(ALPHA).on(plan.backend());
        Backend actual = plan.backend() == Backend.AUTO ? Elu4j.autoBackend() : plan.backend();
        Candidate checker = new Candidate(actual.cliName(), actual, -1);
        boolean heapOk = plan.backend() != Backend.ONEDNN;
        try (Arena shared = Arena.ofShared()) {
            Pool pool = new Pool(shared, elu, checker, plan.maxSize(), SEED ^ plan.backend().ordinal());
            CyclicBarrier start = new CyclicBarrier(THREADS);
            AtomicReference<String> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final int id = t;
                Thread thread = new Thread(() -> {
                    try {
                        start.await();
                        hammer(elu, pool, plan, heapOk, new SplittableRandom(SEED + 1000 * id), id, failure);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, "thread " + id + " threw " + stackTrace(e));
                    }
                }, "elu4j-concurrency-" + plan.backend().cliName() + "-" + t);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
            long t0 = System.nanoTime();
            for (Thread thread : threads) {
                thread.join();
            }
            if (failure.get() != null) {
                fail(plan + ": " + failure.get());
            }
            System.out.printf("ConcurrencyTest: %s took %d ms%n", plan, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /**
     * Closing a shared arena while another thread runs ELU on its segments must never touch freed
     * memory: either close fails (the segments are in use by a downcall) or the call fails with
     * {@link IllegalStateException}. Each oneDNN segment is larger than glibc's largest mmap
     * threshold (32 MiB), so freed memory is unmapped at once and a use after free is a crash,
     * not silent corruption.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void closingASharedArenaDuringCallsFailsCleanly(Backend backend) throws Exception {
        int n = switch (backend) {
            case ONEDNN -> 9 << 20;           // 36 MiB per segment
            case AUTO, HELPER -> 1 << 20;
            case VECTOR, SCALAR -> 1 << 16;   // Java: the first calls may run interpreted
        };
        Elu elu = Elu.elu().on(backend);
        CloseRace.run(backend.cliName(), n, 3, elu::apply);
    }

    static Stream<Backend> backends() {
        return Stream.of(Backend.values()).filter(Elu4j::isAvailable);
    }

    /** One thread's calls; stops at the first wrong result (or once another thread failed). */
    private static void hammer(Elu elu, Pool pool, Plan plan, boolean heapOk, SplittableRandom r, int id,
            AtomicReference<String> failure) {
        long bufBytes = (long) plan.maxSize() * Float.BYTES + 64;
        float[] heap = new float[plan.maxSize() + 16];
        try (Arena mine = Arena.ofConfined()) {
            MemorySegment buf = mine.allocate(bufBytes, 64);
            for (int call = 0; call < plan.callsPerThread(); call++) {
                if ((call & 1023) == 0 && failure.get() != null) {
                    return;
                }
                int k = r.nextInt(POOL);
                MemorySegment src = pool.inputs[k];
                long bytes = src.byteSize();
                int off = r.nextInt(64);
                int mode = r.nextInt(8);
                MemorySegment dst;
                String how;
                if (mode == 0) {
                    dst = buf.asSlice(off, bytes);
                    MemorySegment.copy(src, 0, dst, 0, bytes);
                    elu.applyInPlace(dst);
                    how = "in place, native";
                } else if (mode == 1 && heapOk) {
                    dst = MemorySegment.ofArray(heap).asSlice(off, bytes);
                    elu.apply(src, dst);
                    how = "heap destination";
                } else {
                    dst = buf.asSlice(off, bytes);
                    elu.apply(src, dst);
                    how = "native out of place";
                }
                long at = MemorySegment.mismatch(dst, 0, bytes, pool.expected[k], 0, bytes);
                if (at >= 0) {
                    int i = (int) (at / Float.BYTES);
                    failure.compareAndSet(null, String.format(
                            "thread %d call %d (%s, pool entry %d, n=%d, src address %% 64 = %d, dst byte offset %d): "
                                    + "element %d: ELU(%s) = %s [0x%08x] but single-threaded it was %s [0x%08x]",
                            id, call, how, k, pool.sizes[k], src.address() % 64, off, i,
                            src.getAtIndex(JAVA_FLOAT_UNALIGNED, i),
                            dst.getAtIndex(JAVA_FLOAT_UNALIGNED, i),
                            Float.floatToRawIntBits(dst.getAtIndex(JAVA_FLOAT_UNALIGNED, i)),
                            pool.expected[k].getAtIndex(JAVA_FLOAT_UNALIGNED, i),
                            Float.floatToRawIntBits(pool.expected[k].getAtIndex(JAVA_FLOAT_UNALIGNED, i))));
                    return;
                }
            }
        }
    }

    static String stackTrace(Throwable e) {
        var w = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }
}
