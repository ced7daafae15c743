package org.elu4j.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatencyReportTest {

    private static String percentiles(double p50, double p99, double p999) {
        return """
                {"0.0": %1$s, "50.0": %1$s, "90.0": %2$s, "95.0": %2$s, "99.0": %2$s, "99.9": %3$s,
                 "99.99": %3$s, "100.0": %3$s}""".formatted(p50, p99, p999);
    }

    private static String run(String benchmark, int threads, String params, double p50, double p99, double p999) {
        return run(benchmark, threads, params, p50, p99, p999, 60_000);
    }

    /** A run of {@code samples} samples, three quarters at p50 and a quarter at p99. */
    private static String run(String benchmark, int threads, String params, double p50, double p99, double p999, int samples) {
        return """
                {"benchmark": "%s", "mode": "sample", "threads": %d, "params": {%s},
                 "primaryMetric": {"score": %s, "scoreUnit": "ns/op", "scorePercentiles": %s,
                   "rawDataHistogram": [[[[%s, %d], [%s, %d]]]]}}
                """.formatted(benchmark, threads, params, p50, percentiles(p50, p99, p999), p50, samples / 4 * 3, p99, samples / 4);
    }

    private static final String PATHS = "[" + String.join(",",
            run("org.elu4j.bench.LatencyBenchmark.call", 1, "\"path\": \"helper\", \"size\": \"256\"", 40, 60, 900),
            run("org.elu4j.bench.LatencyBenchmark.call", 2, "\"path\": \"helper\", \"size\": \"256\"", 45, 80, 1500),
            run("org.elu4j.bench.LatencyBenchmark.call", 1, "\"path\": \"none\", \"size\": \"256\"", 20, 30, 40),
            run("org.elu4j.bench.LatencyBenchmark.call", 1, "\"path\": \"javacpp\", \"size\": \"65536\"", 14000, 20000, 2.5e6),
            // 200 samples: p99 rests on 2 of them, p99.9 on none
            run("org.elu4j.bench.LatencyBenchmark.call", 1, "\"path\": \"helper\", \"size\": \"4194304\"", 2e6, 3e6, 4e6, 200))
            + "]";

    private static final String PARALLEL = "[" + String.join(",",
            run("org.elu4j.bench.ParallelLatencyBenchmark.call", 2, "\"mode\": \"serial\", \"size\": \"1048576\"",
                    110000, 200000, 400000),
            run("org.elu4j.bench.ParallelLatencyBenchmark.call", 2, "\"mode\": \"parallel\", \"size\": \"1048576\"",
                    100000, 180000, 450000),
            """
            {"benchmark": "org.elu4j.bench.ParallelLatencyBenchmark.neighbour", "mode": "sample", "threads": 2,
             "params": {"mode": "parallel", "size": "1048576"},
             "primaryMetric": {"score": 1, "scoreUnit": "us/op", "scorePercentiles": {"50.0": 1}},
             "secondaryMetrics": {
               "request": {"score": 1, "scoreUnit": "us/op", "scorePercentiles": %s},
               "neighbour": {"score": 1, "scoreUnit": "us/op", "scorePercentiles": %s}}}
            """.formatted(percentiles(90, 300, 5000), percentiles(120, 250, 6000)))
            + "]";

    @Test
    void readsPathsParallelModeAndTheNeighbourGroup() {
        List<LatencyReport.Dist> paths = LatencyReport.read(PATHS);
        assertEquals(5, paths.size());
        assertEquals("elu4j helper", paths.get(0).series());
        assertEquals("1 caller", paths.get(0).load());
        assertEquals("2 callers", paths.get(1).load());
        assertEquals(60, paths.get(0).at("99.0"));
        assertEquals(60_000, paths.get(0).samples());
        assertEquals(LatencyReport.TIMER, paths.get(2).series());
        assertEquals(LatencyReport.JAVACPP, paths.get(3).series());

        List<LatencyReport.Dist> parallel = LatencyReport.read(PARALLEL);
        assertEquals(4, parallel.size());
        LatencyReport.Dist request = parallel.get(2);
        assertEquals(LatencyReport.PARALLEL, request.series());
        assertEquals(LatencyReport.WITH_NEIGHBOUR, request.load());
        assertEquals(300_000, request.at("99.0"), 1e-6, "us/op scaled to ns");
        assertEquals(LatencyReport.PARALLEL + ", " + LatencyReport.NEIGHBOUR, parallel.get(3).series());
    }

    @Test
    void tableAndChart(@TempDir Path dir) throws Exception {
        List<LatencyReport.Dist> all = new ArrayList<>(LatencyReport.read(PATHS));
        all.addAll(LatencyReport.read(PARALLEL));
        String md = LatencyReport.table(all, List.of("machine: test"));
        assertTrue(md.contains("- machine: test"), md);
        assertTrue(md.contains("| oneDNN via JavaCPP | 1 caller | — | 14.0 µs / 20.0 µs / 2.50 ms (n = 60,000) | — |"), md);
        // too few samples beyond p99 and p99.9 to show them
        assertTrue(md.contains("| elu4j helper | 1 caller | 40 ns / 60 ns / 900 ns (n = 60,000) | — | 2.00 ms / — / — (n = 200) |"), md);
        // parallel p99 180 us against serial 200 us
        assertTrue(md.contains("| 1M | 2 callers | 110 µs / 200 µs / 400 µs (n = 60,000) | 100 µs / 180 µs / 450 µs (n = 60,000) | 0.90× | — |"), md);
        assertTrue(md.contains("| 1M | 1 caller + 1 serial neighbour | — | 90.0 µs / 300 µs / 5.00 ms | — | — / 250 µs |"), md);

        var charts = LatencyReport.charts(all);
        // paths: 256, 64K and 4M with 1 caller, 256 with 2; parallel: 1M with 2 callers, 1M with a neighbour
        assertEquals(6, charts.size());
        // the 200-sample cell's thin percentiles are no points, as in the table
        var thin = charts.stream().filter(c -> c.getTitle().startsWith("4M")).findFirst().orElseThrow()
                .getSeriesMap().get("elu4j helper").getYData();
        assertEquals(2e6, thin.iterator().next().doubleValue(), 1e-6);
        List<Number> ys = java.util.stream.StreamSupport.stream(thin.spliterator(), false).map(y -> (Number) y).toList();
        // p50 and p90 (20 samples beyond it) drawn; p99, p99.9, p99.99 not
        assertTrue(ys.get(1) != null && ys.subList(2, 5).stream().allMatch(java.util.Objects::isNull), ys.toString());
        Charts.saveGrid(charts, 3, 300, 200, dir.resolve("l.png"), dir.resolve("l.svg"));
        assertTrue(Files.size(dir.resolve("l.png")) > 0);
        assertTrue(Files.readString(dir.resolve("l.svg")).contains("<svg"));
    }
}
