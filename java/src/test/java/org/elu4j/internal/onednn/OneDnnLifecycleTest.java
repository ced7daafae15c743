package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.elu4j.Backend;
import org.elu4j.BackendUnavailableException;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.NativeCallException;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.scalar.ScalarBackend;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.Inputs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The native objects oneDNN calls leave behind stay bounded: the stream contexts of threads that
 * have died are closed, the owners of oneDNN's handles close once, and the primitive cache keeps at most
 * {@link OneDnnBackend#PRIMITIVE_CACHE_SIZE} primitives however many sizes are used, from one
 * thread or from several racing over evictions. Part of the reliability suite
 * ({@code org.elu4j.reliability}); it lives here for the package-private
 * {@link OneDnnBackend#contextCount()}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OneDnnLifecycleTest {
    private static final Candidate ONEDNN = new Candidate("onednn", Backend.ONEDNN, -1);
    private OneDnnBackend dnnl;

    @BeforeEach
    void needOneDnn() {
        Assumptions.assumeTrue(BackendProvider.get().available(Backend.ONEDNN) instanceof OneDnnBackend,
                "oneDNN is not available here");
        dnnl = (OneDnnBackend) BackendProvider.get().available(Backend.ONEDNN);
    }

    @Test
    void contextsOfDeadThreadsAreDestroyed() throws Exception {
        // A call from a new thread reaps every context of a dead thread; what is left belongs to
        // live threads, plus the one just created (its thread has ended, but nobody reaped it yet).
        runInNewThread(() -> callAndCheck(Elu.elu().on(Backend.ONEDNN), 100, 1));
        int baseline = dnnl.contextCount();

        int threads = 50;
        CountDownLatch called = new CountDownLatch(threads);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            Thread thread = new Thread(() -> {
                try {
                    callAndCheck(Elu.elu(0.5f).on(Backend.ONEDNN), 1 + id, id);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    called.countDown();
                }
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "elu4j-short-lived-" + t);
            thread.setDaemon(true);
            started.add(thread);
            thread.start();
        }
        assertTrue(called.await(30, TimeUnit.SECONDS), "the short-lived threads did not finish their calls");
        int whileAlive = dnnl.contextCount();
        release.countDown();
        for (Thread thread : started) {
            thread.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("a short-lived thread failed", failure.get());
        }
        assertTrue(whileAlive >= threads, "each live thread has its own context: " + whileAlive + " contexts");

        runInNewThread(() -> callAndCheck(Elu.elu().on(Backend.ONEDNN), 33, 2));
        int after = dnnl.contextCount();
        assertTrue(after <= baseline, "the contexts of the " + threads + " dead threads were not all destroyed: "
                + after + " contexts left (" + baseline + " before they started, " + whileAlive + " while they ran)");
    }

    /**
     * Virtual threads borrow pooled contexts (not one per thread: 300 of them leave at most
     * {@link ThreadContexts#IDLE_MAX} open), and each call runs oneDNN on the configured OpenMP
     * thread count whatever the carrier under it had: set to 3 before each call, as a carrier that
     * never ran elu4j has OpenMP's default (every CPU), and read back after it. The count is read
     * from one virtual thread at a time (nothing else runs that could unmount it between the set,
     * the call and the read, so the three run on one carrier).
     */
    @Test
    void virtualThreadsBorrowPooledContextsAndSetOpenMpsCountOnTheirCarrier() throws Exception {
        var lookup = org.elu4j.internal.NativeLibraries.dnnl().get().lookup();
        var set = lookup.find("omp_set_num_threads");
        var get = lookup.find("omp_get_max_threads");
        Assumptions.assumeTrue(set.isPresent() && get.isPresent(), "oneDNN does not run on OpenMP here");
        var linker = java.lang.foreign.Linker.nativeLinker();
        java.lang.invoke.MethodHandle setThreads = linker.downcallHandle(set.get(),
                java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_INT));
        java.lang.invoke.MethodHandle maxThreads = linker.downcallHandle(get.get(),
                java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT));
        int want = Integer.getInteger(OneDnnBackend.THREADS_PROPERTY, 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < 60 && failure.get() == null; t++) {
            final int id = t;
            Thread.ofVirtual().start(() -> {
                try {
                    setThreads.invokeExact(want + 2);
                    callAndCheck(Elu.elu(0.5f).on(Backend.ONEDNN), 17 + id % 5, id);
                    int got = (int) maxThreads.invokeExact();
                    assertEquals(want, got, "OpenMP's thread count on the carrier after a call");
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }).join();
        }
        if (failure.get() != null) {
            throw new AssertionError("a virtual thread's call", failure.get());
        }
        // Many at once: the pool, not a context per thread.
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        try (var executor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 300; t++) {
                final int id = t;
                done.add(executor.submit(() -> {
                    for (int i = 0; i < 3; i++) {
                        callAndCheck(Elu.elu(0.5f).on(Backend.ONEDNN), 17 + i, id);
                        Thread.yield();
                    }
                    return null;
                }));
            }
            for (var f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        int kept = dnnl.contexts().pooledCount();
        assertTrue(kept <= ThreadContexts.IDLE_MAX, "300 virtual threads left " + kept
                + " pooled contexts open (at most " + ThreadContexts.IDLE_MAX + " stay idle)");
    }

    /**
     * More virtual threads inside calls at once than the pool may lend (each holds its context
     * while it waits, as one unmounted by a contended lock would): {@link ThreadContexts#IDLE_MAX}
     * of them get one, the others wait for it, and all finish once the first are done; the pool
     * never holds more.
     */
    @Test
    void callsInFlightShareAtMostIdleMaxContexts() throws Exception {
        ThreadContexts contexts = dnnl.contexts();
        int holders = 3 * ThreadContexts.IDLE_MAX;
        CountDownLatch inside = new CountDownLatch(holders);
        CountDownLatch release = new CountDownLatch(1);
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        try (var executor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < holders; t++) {
                done.add(executor.submit(() -> {
                    ThreadContext ctx = contexts.enter();
                    try {
                        inside.countDown();
                        release.await();
                    } finally {
                        contexts.exit(ctx);
                    }
                    return null;
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (inside.getCount() > holders - ThreadContexts.IDLE_MAX && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Thread.sleep(200); // time for any more to get in, if the cap did not hold
            long in = holders - inside.getCount();
            int grown = contexts.pooledCount();
            release.countDown();
            for (var f : done) {
                f.get(30, TimeUnit.SECONDS); // the waiting ones too
            }
            assertEquals(ThreadContexts.IDLE_MAX, in, holders + " calls at once: " + ThreadContexts.IDLE_MAX + " inside");
            assertTrue(grown <= ThreadContexts.IDLE_MAX, grown + " pooled contexts for " + in + " calls inside");
        }
        int kept = contexts.pooledCount();
        assertTrue(kept <= ThreadContexts.IDLE_MAX, "after the calls, " + kept + " contexts are open (at most "
                + ThreadContexts.IDLE_MAX + " stay idle)");
        callAndCheck(Elu.elu().on(Backend.ONEDNN), 100, 9); // the backend still works
    }

    @Test
    void primitiveCacheStaysBoundedOverManySizes() {
        int limit = OneDnnBackend.PRIMITIVE_CACHE_SIZE;
        Elu[] elus = {Elu.elu().on(Backend.ONEDNN), Elu.elu(0.25f).on(Backend.ONEDNN)};
        for (int round = 0; round < 2; round++) {
            for (int n = 1; n <= 3 * limit; n++) {
                callAndCheck(elus[n % 2], n, 1000L * round + n); // the second round re-creates evicted ones
                int cached = cachedPrimitives();
                assertTrue(cached <= limit, cached + " primitives cached after " + n + " sizes; limit " + limit);
            }
        }
    }

    @Test
    void theLastPrimitiveOfALiveThreadSurvivesEvictions() throws Exception {
        // A thread keeps its last primitive pinned: churn from other sizes evicts unpinned ones first.
        CountDownLatch called = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread pinner = new Thread(() -> {
            try {
                callAndCheck(Elu.elu(3f).on(Backend.ONEDNN), 5, 9);
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                called.countDown();
            }
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "elu4j-pinner");
        pinner.setDaemon(true);
        pinner.start();
        try {
            assertTrue(called.await(30, TimeUnit.SECONDS));
            int limit = OneDnnBackend.PRIMITIVE_CACHE_SIZE;
            for (int n = 100; n < 100 + 2 * limit; n++) {
                callAndCheck(Elu.elu().on(Backend.ONEDNN), n, n);
            }
            String pinnedKey = "step=eltwise_elu(3.0), type=F32, count=5]"; // PrimitiveCache.Key's toString
            assertTrue(cachedKeys().stream().anyMatch(k -> k.endsWith(pinnedKey)), "the pinned primitive was evicted");
            assertTrue(cachedPrimitives() <= limit, cachedPrimitives() + " primitives cached; limit " + limit);
        } finally {
            release.countDown();
            pinner.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("the pinning thread failed", failure.get());
        }
    }

    @Test
    void evictionWhileOtherThreadsExecuteIsSafe() throws Exception {
        int limit = OneDnnBackend.PRIMITIVE_CACHE_SIZE;
        int threads = 4;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final long seed = 77 + t;
            Thread thread = new Thread(() -> {
                SplittableRandom r = new SplittableRandom(seed);
                try {
                    for (int i = 0; i < 400 && failure.get() == null; i++) {
                        int n = 1 + r.nextInt(2 * limit); // twice the cache: constant evictions
                        callAndCheck(Elu.elu(r.nextBoolean() ? 1f : 2f).on(Backend.ONEDNN), n, r.nextLong());
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "elu4j-eviction-" + t);
            thread.setDaemon(true);
            started.add(thread);
            thread.start();
        }
        for (Thread thread : started) {
            thread.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("a thread failed while primitives were evicted", failure.get());
        }
        assertTrue(cachedPrimitives() <= limit, cachedPrimitives() + " primitives cached; limit " + limit);
    }

    @Test
    void aClosedBackendRefusesCallsAndWaitsForThoseInFlight() throws Exception {
        // A backend of its own (the provider's one must stay open for the other tests).
        OneDnnBackend own = OneDnnBackend.create();
        int threads = 4;
        CountDownLatch running = new CountDownLatch(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            Thread thread = new Thread(() -> {
                float[] x = Inputs.random(4096, id);
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment src = arena.allocate(4L * x.length, 64);
                    MemorySegment dst = arena.allocate(4L * x.length, 64);
                    MemorySegment.copy(MemorySegment.ofArray(x), 0, src, 0, src.byteSize());
                    for (int call = 0; ; call++) {
                        if (call == 1) {
                            running.countDown();
                        }
                        try {
                            own.eluF32(src, dst, 1f);
                        } catch (BackendUnavailableException e) {
                            if (!e.getMessage().contains(OneDnnBackend.CLOSED)) {
                                throw e;
                            }
                            return; // the backend was closed: the expected end
                        }
                        for (int i = 0; i < x.length; i++) { // a call that ran, ran completely
                            float got = dst.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                            String problem = ONEDNN.check(x[i], 1f, got, ScalarBackend.elu(x[i], 1f));
                            if (problem != null) {
                                throw new AssertionError("call " + call + ": ELU(" + x[i] + ") = " + got + ": " + problem);
                            }
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    running.countDown();
                }
            }, "elu4j-closing-" + t);
            thread.setDaemon(true);
            started.add(thread);
            thread.start();
        }
        assertTrue(running.await(30, TimeUnit.SECONDS));
        own.close();
        own.close(); // idempotent
        for (Thread thread : started) {
            thread.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("a thread failed while the backend was closed", failure.get());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(64);
            var e = assertThrows(BackendUnavailableException.class, () -> own.eluF32(s, s, 1f));
            assertEquals("backend onednn is unavailable: " + OneDnnBackend.CLOSED, e.getMessage());
        }
        assertTrue(own.isClosed());
        assertEquals(OneDnnBackend.CLOSED, own.unsupported(org.elu4j.internal.Op.elu(1), DataType.F32,
                org.elu4j.internal.Pass.FORWARD), "a closed backend refuses every call kind, so AUTO binds elsewhere");
    }

    @Test
    void ownersCloseOnceAndNameTheFailedCall() {
        // oneDNN has no f64 eltwise on any CPU: the create call's status becomes the exception.
        try (Engine engine = Engine.cpu()) {
            NativeCallException e = assertThrows(NativeCallException.class, () -> PrimitiveDesc.eltwise(engine,
                    new EltwisePlan.Step(EltwisePlan.Alg.FWD_ELU, 1f), DataType.F64, 16));
            assertEquals("oneDNN", e.library());
            assertEquals("dnnl_eltwise_forward_primitive_desc_create", e.call());
            assertEquals("dnnl_unimplemented", e.statusName());
            // A backward descriptor owns its forward hint; closing twice destroys each once.
            PrimitiveDesc pd = PrimitiveDesc.eltwise(engine, new EltwisePlan.Step(EltwisePlan.Alg.BWD_ELU, 1f),
                    DataType.F32, 16);
            assertFalse(pd.implementation().isEmpty());
            Primitive primitive = Primitive.create(pd);
            pd.close();
            pd.close();
            primitive.close();
            primitive.close();
            Stream stream = Stream.create(engine);
            Memory memory = Memory.create(engine, DataType.F32, 16);
            DnnlHandle.closeAll(memory, stream, null);
            memory.close();
            stream.close();
        }
    }

    /** One oneDNN call on n random floats in a confined arena of the calling thread, checked against the oracle. */
    private static void callAndCheck(Elu elu, int n, long seed) {
        float[] x = Inputs.random(n, seed);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate((long) n * Float.BYTES, 64);
            MemorySegment dst = arena.allocate((long) n * Float.BYTES, 64);
            MemorySegment.copy(MemorySegment.ofArray(x), 0, src, 0, src.byteSize());
            elu.apply(src, dst);
            for (int i = 0; i < n; i++) {
                float got = dst.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                String problem = ONEDNN.check(x[i], (float) elu.alpha(), got, ScalarBackend.elu(x[i], (float) elu.alpha()));
                if (problem != null) {
                    fail("onednn n=" + n + " seed=" + seed + " on " + Thread.currentThread().getName()
                            + ": ELU(" + x[i] + ", alpha=" + elu.alpha() + ") = " + got + ": " + problem);
                }
            }
        }
    }

    private static void runInNewThread(Runnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "elu4j-reaper-call");
        t.setDaemon(true);
        t.start();
        t.join();
        if (failure.get() != null) {
            throw new AssertionError("the call from a new thread failed", failure.get());
        }
    }

    /** The keys of the backend's primitive cache as strings, read under its lock. */
    private List<String> cachedKeys() {
        return dnnl.cachedPrimitiveKeys();
    }

    /** The size of the backend's primitive cache, read under its lock. */
    private int cachedPrimitives() {
        return dnnl.cachedPrimitiveCount();
    }
}
