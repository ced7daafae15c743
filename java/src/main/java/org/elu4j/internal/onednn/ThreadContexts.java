package org.elu4j.internal.onednn;

import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The oneDNN backend's per-thread contexts and the guard every call goes through. A thread gets
 * its {@link ThreadContext} on its first call; the contexts of threads that have died are closed
 * the next time a thread creates one; {@link #close} closes them all once.
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
    private final Supplier<ThreadContext> factory;
    /** Set once by {@link #close}; read by every call after it marked its context busy. */
    private volatile boolean closed;

    /** @param factory makes a context for the calling thread (called under the lock) */
    ThreadContexts(Supplier<ThreadContext> factory) {
        this.factory = factory;
    }

    /**
     * The guard of every call: this thread's context, marked busy, or IllegalStateException once
     * the backend is closed. Busy is set before closed is read, and close() sets closed before
     * it reads busy (both volatile): either the call sees the backend closed, or close() waits
     * until the call is done. Pair with {@link #exit} in a finally block.
     */
    ThreadContext enter() {
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

    static void exit(ThreadContext ctx) {
        ctx.clearBusy();
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

    private static IllegalStateException closedException() {
        return new IllegalStateException("the oneDNN backend has been closed (JVM shutdown)");
    }

    /** Closes the contexts of threads that have ended: nobody can be using them. Under the lock. */
    private void reapDeadThreads() {
        for (Map.Entry<ThreadContext, WeakReference<Thread>> e : contexts.entrySet()) {
            Thread t = e.getValue().get();
            // remove() decides which of two reaping threads closes the context: exactly one.
            if ((t == null || !t.isAlive()) && contexts.remove(e.getKey()) != null) {
                e.getKey().close();
            }
        }
    }

    /** Number of live contexts (for tests of the clean-up). */
    int count() {
        return contexts.size();
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
            for (ThreadContext ctx : contexts.keySet()) {
                for (int spins = 0; ctx.isBusy(); spins++) {
                    if (spins < 100) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.parkNanos(50_000);
                    }
                }
            }
            contexts.keySet().forEach(ThreadContext::close);
            contexts.clear();
            andThen.run();
        }
    }
}
