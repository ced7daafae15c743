package org.elu4j.bench.startup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SteadyStateBenchmarkTest {

    /** A probe's output: 10 batches of 100 calls, slow at first, 40 ns from the 5th batch on. */
    private static String probeOutput(double firstMs, double slow) {
        StringBuilder out = new StringBuilder("first " + (long) (firstMs * 1e6) + " " + (long) (firstMs * 0.5e6) + "\n");
        double[] means = {slow, slow / 10, 500, 100, 40, 40, 40, 40, 40, 40};
        for (int i = 0; i < means.length; i++) {
            out.append("batch ").append(i * 100).append(' ').append(means[i]).append(' ')
                    .append((long) (means[i] * 3)).append(' ').append(means[i] * 3 > 2000 ? 7 : 0).append('\n');
        }
        return out.append("timer 20.4\n").append("host ").append((long) firstMs / 10).append(" 60000000\n").toString();
    }

    @Test
    void parsesTheProbeAndFindsTheSteadyState() {
        SteadyStateBenchmark.Run run = SteadyStateBenchmark.parse("vector", "", 1, probeOutput(30, 100_000));
        assertEquals(30e6, run.firstNs(), 1);
        assertEquals(15e6, run.firstCpuNs(), 1);
        assertEquals(10, run.mean().length);
        assertEquals(900, run.before()[9]);
        assertEquals(20.4, run.timerNs());
        assertEquals(3, run.hostOver2us());
        double steady = SteadyStateReport.steady(run.mean());
        assertEquals(40, steady);
        // the 4th batch (100 ns) is above 1.5x of 40 ns: steady from 400 calls on
        assertEquals(400, SteadyStateReport.steadyFrom(run.mean(), run.before(), 100, steady));
    }

    @Test
    void tableUsesTheMedianOfTheForks() {
        List<SteadyStateBenchmark.Run> runs = List.of(
                SteadyStateBenchmark.parse("vector", "", 1, probeOutput(30, 100_000)),
                SteadyStateBenchmark.parse("vector", "", 2, probeOutput(50, 200_000)),
                SteadyStateBenchmark.parse("vector", "", 3, probeOutput(40, 300_000)));
        String md = SteadyStateReport.table("f32 ELU", runs, List.of("vector"), List.of(""), 3, 1000, 100);
        // first call 40 (30–50) ms; calls 1-100: median 200,000 ns, 901-1,000: 40 ns; steady 40 ns from
        // 400 calls; batches >= 100x steady (4,000 ns): the first two, 200 calls; calls over 2 us: 2
        // batches x 7; slowest call 3x the first batch's mean
        assertTrue(md.contains("| vector | fresh | 40 (30–50) | 20 (15–25) | 200,000 | 40.0 | — | — | 40.0 | 400 | 200 | 14 | "
                + "600 (300–900) |"), md);
        assertTrue(md.contains("measured at the end of each fork: 20 ns"), md);
        assertTrue(md.contains("after them: 4 (3–5) iterations over 2 µs"), md);
        assertEquals(1, SteadyStateReport.chart("f32 ELU", runs, List.of("vector"), "", "test").getSeriesMap().size() - 1);
    }

    /**
     * With the cold-start-off variant, the second table counts each row's slow batches against the
     * kernel's steady time: here a fresh row whose steady (400 ns, a scalar form) is 10x the
     * kernel's (40 ns), with one batch paused (one call of 1 ms) and one slow throughout.
     */
    @Test
    void kernelBarCountsAgainstTheColdStartOffSteadyAndSeparatesPauses() {
        StringBuilder fresh = new StringBuilder("first 30000000 15000000\n");
        double[] means = {10_000, 5_000, 400, 400, 400, 400, 400, 400, 400, 400};
        long[] max = {1_000_000, 6_000, 500, 500, 500, 500, 500, 500, 500, 500};
        for (int i = 0; i < means.length; i++) {
            fresh.append("batch ").append(i * 100).append(' ').append(means[i]).append(' ').append(max[i]).append(" 1\n");
        }
        fresh.append("timer 20\n");
        List<SteadyStateBenchmark.Run> runs = List.of(
                SteadyStateBenchmark.parse("vector", "", 1, fresh.toString()),
                SteadyStateBenchmark.parse("vector", SteadyStateBenchmark.COLD_OFF, 1, probeOutput(30, 100_000)));
        String md = SteadyStateReport.table("f32 ELU", runs, List.of("vector"), List.of("", SteadyStateBenchmark.COLD_OFF), 1,
                1000, 100);
        // kernel steady 40 ns (the cold-start-off median curve's): >= 4,000 ns are the fresh row's first
        // two batches, the first of them paused
        assertTrue(md.contains("| vector | fresh | 40.0 | 200 | 100 |"), md);
        // the cold-start-off row: its first two batches (100,000 and 10,000 ns), no pause (slowest 3x the mean)
        assertTrue(md.contains("| vector | cold start off | 40.0 | 200 | 0 |"), md);
    }
}
