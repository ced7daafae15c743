package org.elu4j.internal.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        try {
            String line = Files.readString(stat);
            String[] after = line.substring(line.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(after[19 - 3]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
