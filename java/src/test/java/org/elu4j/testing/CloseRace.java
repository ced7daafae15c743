package org.elu4j.testing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * Another thread closes a shared arena while a worker thread runs ELU on its segments again and
 * again. A native call holds the arena for its whole duration, so either the close fails (and is
 * retried) or the worker's next call fails with {@link IllegalStateException}; freed memory is
 * never touched. Large segments are unmapped as soon as they are freed, so a use after free
 * would crash the JVM rather than pass unnoticed.
 */
public final class CloseRace {
    private CloseRace() {
    }

    /** The worker's pause after each call (calls take milliseconds: the pause changes little else). */
    private static final long GAP_NANOS = 50_000;

    /**
     * Runs {@code trials} races of {@code call} on two shared-arena segments of {@code floats}
     * floats each; throws an AssertionError naming {@code label} if the worker ends in any other
     * way than IllegalStateException, or if no trial raced (every close was refused for 5 s).
     */
    public static void run(String label, long floats, int trials, BiConsumer<MemorySegment, MemorySegment> call)
            throws InterruptedException {
        int raced = 0;
        for (int trial = 0; trial < trials; trial++) {
            Arena arena = Arena.ofShared();
            MemorySegment src = arena.allocate(4L * floats, 64).fill((byte) 0xBF); // about -1.49
            MemorySegment dst = arena.allocate(4L * floats, 64);
            AtomicReference<Throwable> ended = new AtomicReference<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong calls = new AtomicLong();
            Thread worker = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        call.accept(src, dst);
                        calls.incrementAndGet();
                        // A gap between calls the closer can land in: on 2 CPUs a parallel call
                        // keeps both busy, and the closing thread rarely ran in the few
                        // nanoseconds between one call's release and the next call's hold.
                        java.util.concurrent.locks.LockSupport.parkNanos(GAP_NANOS);
                    }
                } catch (Throwable e) {
                    ended.set(e);
                }
            }, "elu4j-close-race-" + label);
            worker.setDaemon(true);
            worker.start();
            while (calls.get() == 0 && worker.isAlive()) {
                Thread.onSpinWait();
            }
            Thread.sleep(1 + trial);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            int refused = 0;
            for (boolean closed = false; !closed; ) {
                try {
                    arena.close();
                    closed = true;
                } catch (IllegalStateException e) { // held by a native call right now: again
                    refused++;
                    if (System.nanoTime() > deadline) {
                        stop.set(true); // the worker is never between calls: let it finish, then close
                        worker.join();
                    }
                }
            }
            worker.join(TimeUnit.SECONDS.toMillis(30));
            Throwable e = ended.get();
            if (!stop.get() && !(e instanceof IllegalStateException)) {
                throw new AssertionError(label + " trial " + trial + ": after the arena was closed (" + refused
                        + " refused closes, " + calls.get() + " calls) the worker ended with " + e, e);
            }
            raced += stop.get() ? 0 : 1;
        }
        // A trial whose close never got between two calls within its 5 s checks nothing: at least
        // one of them must have raced.
        if (trials > 0 && raced == 0) {
            throw new AssertionError(label + ": in none of " + trials + " trials did the close land between calls");
        }
    }
}
