package org.elu4j.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.testing.ChildJava;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.Test;

/**
 * {@code Elu.parallel()} uses the CPUs the JVM may use, not the host's: in a JVM limited to one
 * CPU ({@code -XX:ActiveProcessorCount=1}, as a container's CPU quota limits
 * {@code Runtime.availableProcessors()}), parallel calls start none of the helper's worker
 * threads, while {@code parallel(2)} still may. Worker threads are found as the process's
 * threads with no name of their own ({@code /proc/self/task/<tid>/comm} "java", as the launcher's
 * threads: every thread the JVM starts names itself), counted before and after the calls.
 */
class ParallelCpuCountTest {
    @Test
    void parallelStartsNoWorkerInAJvmLimitedToOneCpu() throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "this JVM has one CPU: nothing to limit");
        List<String> out = child("-XX:ActiveProcessorCount=1", "0");
        assertEquals("started 0", out.get(out.size() - 1), String.join("\n", out));
        // The probe's count can see a worker: parallel(2) starts one in the same limited JVM.
        out = child("-XX:ActiveProcessorCount=1", "2");
        assertEquals("started 1", out.get(out.size() - 1), String.join("\n", out));
    }

    private static List<String> child(String option, String threads) throws IOException, InterruptedException {
        return ChildJava.run(List.of(option, "-Delu4j.disable=onednn"), Probe.class, threads);
    }

    /** Runs parallel helper calls of 4M floats; prints "started N", the unnamed threads they added. */
    public static final class Probe {
        private Probe() {
        }

        public static void main(String[] args) throws IOException {
            int threads = Integer.parseInt(args[0]);
            Elu elu = Elu.elu().on(Backend.HELPER);
            elu = threads == 0 ? elu.parallel() : elu.parallel(threads);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment x = arena.allocate(ValueLayout.JAVA_FLOAT, 4 << 20);
                MemorySegment y = arena.allocate(ValueLayout.JAVA_FLOAT, 4 << 20);
                Elu.elu().on(Backend.HELPER).apply(x, y); // the helper linked, serially
                long before = unnamedThreads();
                for (int i = 0; i < 20; i++) {
                    elu.apply(x, y);
                }
                System.out.println("started " + (unnamedThreads() - before));
            }
        }

        private static long unnamedThreads() throws IOException {
            return Machine.threadsNamed("java").size();
        }
    }
}
