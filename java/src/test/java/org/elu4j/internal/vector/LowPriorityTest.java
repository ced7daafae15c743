package org.elu4j.internal.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.elu4j.DataType;
import org.junit.jupiter.api.BeforeEach;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.Test;

/**
 * {@link LowPriority}: the warm-up thread's nice level, read back from the kernel's own account of
 * each thread ({@code /proc/thread-self/stat}, {@code /proc/self/task/<tid>/stat}), not from the
 * code under test.
 */
class LowPriorityTest {
    private static final Path SELF = Path.of("/proc/thread-self/stat");

    @BeforeEach
    void linuxWithNativeAccess() {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"),
                "nice levels are per thread only on Linux");
        assumeTrue(LowPriority.class.getModule().isNativeAccessEnabled(), "native access not enabled");
    }

    @Test
    void lowersTheCallingThreadOnly() throws Exception {
        int mine = niceOf(SELF);
        assumeTrue(mine < 19, "this thread already runs at nice 19, the lowest priority: no level left to lower");
        AtomicReference<String> outcome = new AtomicReference<>();
        AtomicReference<int[]> levels = new AtomicReference<>();
        Thread t = new Thread(() -> {
            int before = niceOf(SELF);
            outcome.set(LowPriority.lowerCurrentThread());
            levels.set(new int[] {before, niceOf(SELF)});
        });
        t.start();
        t.join();
        int expected = Math.min(19, mine + LowPriority.STEPS);
        assertEquals(mine, levels.get()[0], "a new thread starts at its starter's level");
        assertEquals(expected, levels.get()[1], outcome.get());
        assertEquals("nice " + mine + " -> " + expected, outcome.get());
        assertEquals(mine, niceOf(SELF), "the starting thread keeps its level");
    }

    /**
     * A thread started from one under SCHED_BATCH (a background thread's policy, which any thread
     * may take and leave) runs under SCHED_OTHER once lowered, where its nice level means what it
     * says; SCHED_FIFO or SCHED_IDLE would have made it run ahead of everything or not at all.
     */
    @Test
    void leavesTheStartersSchedulingPolicy() throws Exception {
        AtomicReference<String> outcome = new AtomicReference<>();
        AtomicReference<int[]> policies = new AtomicReference<>();
        Thread t = new Thread(() -> {
            int batch = setPolicy(3); // SCHED_BATCH
            int before = field(SELF, 41);
            outcome.set(LowPriority.lowerCurrentThread());
            policies.set(new int[] {batch, before, field(SELF, 41)});
        });
        t.start();
        t.join();
        assumeTrue(policies.get()[0] == 0, "sched_setscheduler(SCHED_BATCH) refused here");
        assertEquals(3, policies.get()[1], "the thread runs under SCHED_BATCH before");
        assertEquals(0, policies.get()[2], outcome.get());
        assertTrue(outcome.get().startsWith("scheduling policy 3 -> SCHED_OTHER, nice "), outcome.get());
    }

    private static int setPolicy(int policy) {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
            return (int) linker.downcallHandle(linker.defaultLookup().find("sched_setscheduler").orElseThrow(),
                    java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT,
                            java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_INT,
                            java.lang.foreign.ValueLayout.ADDRESS))
                    .invokeExact(0, policy, arena.allocate(java.lang.foreign.ValueLayout.JAVA_INT));
        } catch (Throwable e) {
            return -1;
        }
    }

    /**
     * The warm-up thread, found among this process's threads by the name the kernel keeps for it
     * ({@code /proc/self/task/<tid>/comm}: the thread's name cut to 15 bytes), runs
     * {@value LowPriority#STEPS} levels below the test's thread, which started it (or below the
     * thread of an earlier test that did: the same level here). A queued pair whose kernel waits for
     * the test keeps the thread alive meanwhile: it ends only once the queue is empty. (Reading the
     * level from inside the pair would wait for every family queued before it: a minute on a
     * 2-core CI machine.)
     */
    @Test
    void theWarmUpThreadRunsBelowItsStarter() throws Exception {
        assumeTrue(ColdStart.ENABLED, "-D" + ColdStart.PROPERTY + "=off");
        int mine = niceOf(SELF);
        assumeTrue(mine < 19, "this thread already runs at nice 19, the lowest priority: no level left to lower");
        int expected = Math.min(19, mine + LowPriority.STEPS);
        CountDownLatch release = new CountDownLatch(1);
        Staging.Map1 kernel = (s, d, b) -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        Staging.Map1 scalar = (s, d, b) -> { // slower than the released kernel: the pair switches at once
            long end = System.nanoTime() + 20_000;
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        };
        String family = "LowPriorityTest " + System.nanoTime();
        ColdStart.of(family, family, kernel, scalar, new float[16], DataType.F32);
        try {
            // The thread lowers itself first thing after it starts: poll until it has.
            long deadline = System.nanoTime() + 10_000_000_000L;
            List<Integer> levels;
            do {
                levels = new ArrayList<>();
                for (Path task : Machine.threadsNamed(ColdStart.THREAD_NAME)) {
                    try {
                        levels.add(niceOf(task.resolve("stat")));
                    } catch (UncheckedIOException e) {
                        // a thread that ended while listed
                    }
                }
                if (levels.equals(List.of(expected))) {
                    break;
                }
                Thread.sleep(5);
            } while (System.nanoTime() < deadline);
            assertEquals(List.of(expected), levels, "the nice levels of the threads named " + ColdStart.THREAD_NAME
                    + " (the test's thread: " + mine + ")");
        } finally {
            release.countDown();
        }
    }

    /** Field 19 of a task's stat line: its nice level (the fields after the command's closing parenthesis start at field 3). */
    private static int niceOf(Path stat) {
        return field(stat, 19);
    }

    /** Field {@code n} (1-based, as proc(5) numbers them: 19 nice, 41 policy) of a stat file. */
    private static int field(Path stat, int n) {
        try {
            String line = Files.readString(stat);
            String[] after = line.substring(line.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(after[n - 3]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
