package org.elu4j.internal.onednn;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.elu4j.Backend;
import org.elu4j.BackendUnavailableException;

/**
 * The oneDNN backend's per-thread contexts and the guard every call goes through. A platform
 * thread gets its {@link ThreadContext} on its first call; the contexts of threads that have died
 * are closed the next time a thread creates one; {@link #close} closes them all once.
 *
 * <p>A virtual thread borrows a context from a pool for each call instead, and sets OpenMP's
 * thread count on its carrier before the call: virtual threads come and go by the thousand (a
 * context per thread would pile up until the next platform thread's first call), and the native
 * thread under one changes between its calls (OpenMP's thread count belongs to the native
 * thread, so each pass sets it: {@link ThreadContext#applyThreadCount}). At most
 * {@link #IDLE_MAX} contexts are lent at once; more virtual threads in a call wait for one
 * (parked, off their carriers). Without that cap the pool grew with the virtual threads blocked
 * inside calls (a thread waiting for another's primitive to be created, under the cache's lock,
 * holds its context): thousands of contexts, each a stream, an arena and memory objects, for
 * thousands of virtual threads calling with distinct sizes.
 *
 * <p>The guard ({@link #enter}/{@link #exit}): a call marks its own context busy (one volatile
 * store, no lock) before it reads {@code closed}; {@link #close} sets {@code closed} and then
 * waits until no context is busy. So either the call sees the backend closed, or close() waits
 * for it.
 */
final class ThreadContexts {
    /** Guards creating, reaping and (in close) closing contexts. */
    private final Object lock = new Object();
    private final Map<ThreadContext, WeakReference<Thread>> contexts = new ConcurrentHashMap<>();
    private final ThreadLocal<ThreadContext> context = new ThreadLocal<>();
    /** Every context made for the pool (for close), and those not lent right now. */
    private final Set<ThreadContext> pooled = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedDeque<ThreadContext> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    /**
     * Pooled contexts lent at once, and kept idle, at most: twice the CPUs, so that the virtual
     * threads unmounted inside a call (a contended lock) do not leave the carriers without one.
     */
    static final int IDLE_MAX = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    /** Permits to borrow a pooled context: {@link #IDLE_MAX}. */
    private final Semaphore lendable = new Semaphore(IDLE_MAX);
    private final Supplier<ThreadContext> factory;
    /** Set once by {@link #close}; read by every call after it marked its context busy. */
    private volatile boolean closed;

    /** @param factory makes a context for the calling thread (called under the lock) */
    ThreadContexts(Supplier<ThreadContext> factory) {
        this.factory = factory;
    }

    /**
     * The guard of every call: this thread's context, marked busy, or BackendUnavailableException once
     * the backend is closed. Busy is set before closed is read, and close() sets closed before
     * it reads busy (both volatile): either the call sees the backend closed, or close() waits
     * until the call is done. Pair with {@link #exit} in a finally block.
     */
    ThreadContext enter() {
        if (Thread.currentThread().isVirtual()) {
            return borrow();
        }
        ThreadContext ctx = context.get();
        if (ctx == null) {
            ctx = newContext();
        }
        ctx.markBusy();
        if (closed) {
            ctx.clearBusy();
            throw closedException();
        }
        return ctx;
    }

    /** Ends a call: the context is idle again (a pooled one back in the pool, or closed if enough are idle). */
    void exit(ThreadContext ctx) {
        ctx.clearBusy();
        if (Thread.currentThread().isVirtual()) {
            if (idleCount.incrementAndGet() <= IDLE_MAX) {
                idle.offerFirst(ctx); // (after close() it is closed, and enter() refuses before using it)
            } else { // (rare with the cap on lending: a borrower that polled just before this offer made a new one)
                idleCount.decrementAndGet();
                retire(ctx);
            }
            lendable.release();
        }
    }

    /**
     * A virtual thread's call: an idle pooled context (or a new one), busy, once fewer than
     * {@link #IDLE_MAX} are lent (the permit goes back in {@link #exit}, or here if this throws).
     */
    private ThreadContext borrow() {
        lendable.acquireUninterruptibly();
        try {
            return lend();
        } catch (RuntimeException | Error e) {
            lendable.release();
            throw e;
        }
    }

    private ThreadContext lend() {
        ThreadContext ctx = idle.pollFirst();
        if (ctx != null) {
            idleCount.decrementAndGet();
        } else {
            synchronized (lock) {
                if (closed) {
                    throw closedException();
                }
                ctx = factory.get();
                pooled.add(ctx);
            }
        }
        ctx.markBusy();
        if (closed) {
            ctx.clearBusy();
            throw closedException();
        }
        return ctx;
    }

    /**
     * A pooled context no longer needed (more are idle than {@link #IDLE_MAX}): closed now, under
     * the lock, so that a close() of the backend finds it either still pooled or closed already.
     */
    private void retire(ThreadContext ctx) {
        synchronized (lock) {
            if (closed || !pooled.remove(ctx)) {
                return; // close() closes it
            }
            try {
                ctx.close();
            } catch (RuntimeException failed) {
                System.getLogger("org.elu4j").log(System.Logger.Level.WARNING,
                        "elu4j: closing an idle pooled oneDNN context failed", failed);
            }
        }
    }

    private ThreadContext newContext() {
        synchronized (lock) {
            if (closed) {
                throw closedException();
            }
            reapDeadThreads();
            ThreadContext ctx = factory.get();
            contexts.put(ctx, new WeakReference<>(Thread.currentThread()));
            context.set(ctx);
            return ctx;
        }
    }

    /** Whether {@link #close} has run (or runs now): calls are refused. */
    boolean isClosed() {
        return closed;
    }

    private static BackendUnavailableException closedException() {
        return new BackendUnavailableException(Backend.ONEDNN, OneDnnBackend.CLOSED);
    }

    /** Closes the contexts of threads that have ended: nobody can be using them. Under the lock. */
    private void reapDeadThreads() {
        for (Map.Entry<ThreadContext, WeakReference<Thread>> e : contexts.entrySet()) {
            Thread t = e.getValue().get();
            // remove() decides which of two reaping threads closes the context: exactly one.
            if ((t == null || !t.isAlive()) && contexts.remove(e.getKey()) != null) {
                try {
                    e.getKey().close();
                } catch (RuntimeException failed) {
                    // Not this caller's failure (another thread's objects): reported, and its call goes on.
                    System.getLogger("org.elu4j").log(System.Logger.Level.WARNING,
                            "elu4j: closing the oneDNN objects of an ended thread failed", failed);
                }
            }
        }
    }

    /** Number of pooled contexts, lent or idle (for tests of the pool). */
    int pooledCount() {
        return pooled.size();
    }

    /** Number of live contexts: platform threads' and pooled ones (for tests of the clean-up). */
    int count() {
        return contexts.size() + pooled.size();
    }

    /**
     * Once: refuses new calls, waits for the calls in progress, closes every context and then
     * runs {@code andThen} (what the contexts used: primitives, engine), all under the lock, so a
     * second close() waits until the first is done and then does nothing.
     */
    void close(Runnable andThen) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            // A call marks its context busy before it reads closed: once a context is seen idle
            // after closed was set, its thread cannot start using native objects again.
            List<ThreadContext> all = new ArrayList<>(contexts.keySet());
            all.addAll(pooled);
            for (ThreadContext ctx : all) {
                for (int spins = 0; ctx.isBusy(); spins++) {
                    if (spins < 100) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.parkNanos(50_000);
                    }
                }
            }
            contexts.clear();
            pooled.clear();
            idle.clear();
            // Every context and then andThen, whatever fails on the way: the first failure is thrown
            // with the others suppressed (there is no second attempt: closed is set).
            RuntimeException failure = null;
            for (ThreadContext ctx : all) {
                failure = DnnlHandle.attempt(ctx::close, failure);
            }
            failure = DnnlHandle.attempt(andThen, failure);
            if (failure != null) {
                throw failure;
            }
        }
    }
}
