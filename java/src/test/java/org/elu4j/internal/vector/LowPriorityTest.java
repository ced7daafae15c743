package org.elu4j.internal.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.elu4j.DataType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LowPriority}: the warm-up thread's nice level, read back from the kernel's own account of
 * the thread ({@code /proc/thread-self/stat}), not from the code under test.
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
     * A pair whose kernel reads its own thread's nice level and then waits for the test holds the
     * warm-up thread inside a call: that thread runs {@value LowPriority#STEPS} levels below the
     * test's thread, which started it (or below the thread of an earlier test that did: the same
     * level here). Then the kernel returns at once, wins its rounds and the family switches.
     */
    @Test
    void theWarmUpThreadRunsBelowItsStarter() throws Exception {
        assumeTrue(ColdStart.ENABLED, "-D" + ColdStart.PROPERTY + "=off");
        int mine = niceOf(SELF);
        AtomicInteger seen = new AtomicInteger(Integer.MIN_VALUE);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Staging.Map1 kernel = (s, d, b) -> {
            if (entered.getCount() > 0) {
                seen.set(niceOf(SELF));
                entered.countDown();
            }
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        Staging.Map1 scalar = (s, d, b) -> {
            long end = System.nanoTime() + 20_000; // slower than the released kernel
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        };
        String family = "LowPriorityTest " + System.nanoTime();
        ColdStart.of(family, family, kernel, scalar, new float[16], DataType.F32);
        try {
            // Other tests' families queued before ours run first: C2 switches each within seconds.
            assertTrue(entered.await(10 * ColdStart.MAX_NANOS, TimeUnit.NANOSECONDS), "the thread never reached the pair");
            assertEquals(Math.min(19, mine + LowPriority.STEPS), seen.get(), "the warm-up thread's nice level");
        } finally {
            release.countDown();
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!ColdStart.compiled(family) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(ColdStart.compiled(family), "the released kernel never switched");
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
