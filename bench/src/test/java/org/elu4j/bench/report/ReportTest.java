package org.elu4j.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportTest {

    private static String jmhRun(String benchmark, String params, double score, String error) {
        return """
                {"benchmark": "%s", "mode": "avgt", "params": {%s},
                 "primaryMetric": {"score": %s, "scoreError": %s, "scoreUnit": "ns/op"}}
                """.formatted(benchmark, params, score, error);
    }

    /** A run with JMH's per-iteration scores (two forks): their median is 62, their mean 68.6. */
    private static final String HELPER_256 = """
            {"benchmark": "org.elu4j.bench.EluBenchmark.elu", "mode": "avgt",
             "params": {"backend": "helper", "size": "256", "mode": "out"},
             "primaryMetric": {"score": 64, "scoreError": 6.4, "scoreUnit": "ns/op", "rawData": [[60, 70, 62], [61, 90]]}}
            """;

    private static final String JMH = "[" + String.join(",",
            HELPER_256,
            jmhRun("org.elu4j.bench.EluBenchmark.elu", "\"backend\": \"onednn\", \"size\": \"256\", \"mode\": \"out\"", 1024, "\"NaN\""),
            jmhRun("org.elu4j.bench.EluBenchmark.elu", "\"backend\": \"helper\", \"size\": \"256\", \"mode\": \"in\"", 128, "1"),
            jmhRun("org.elu4j.bench.JavaCppOneDnnBenchmark.elu", "\"size\": \"256\", \"mode\": \"out\"", 512, "1"),
            jmhRun("org.elu4j.bench.JavaPeersBenchmark.segmentCopy", "\"size\": \"16777216\"", 4194304, "1"),
            jmhRun("org.elu4j.bench.EluBenchmark.elu", "\"backend\": \"vector\", \"size\": \"16777216\", \"mode\": \"out\"", 8388608, "1"),
            // AUTO, faster in this reading than the backend it runs: not the best path where backends have rows
            jmhRun("org.elu4j.bench.EluBenchmark.elu", "\"backend\": \"auto\", \"size\": \"16777216\", \"mode\": \"out\"", 2097152, "1"))
            + "]";

    private static final String C = """
            # elu4j_cbench: comment
            path\tmode\tsize\tns_per_call\tel_per_ns
            onednn\tout\t256\t400.0\t0.64
            helper\tout\t256\t50.0\t5.12
            """;

    @Test
    void readsJmhAndCOutput() {
        List<Report.Point> jmh = ReportInput.readJmh(JMH);
        assertEquals(7, jmh.size());
        Report.Point helper = jmh.get(0);
        assertEquals("elu4j helper", helper.series());
        assertEquals("out", helper.mode());
        assertEquals(4.0, helper.elPerNs(), 1e-12);
        assertEquals(0.1, helper.relError(), 1e-12);
        assertEquals(62, helper.medianNsPerCall(), 1e-12);
        assertTrue(Double.isNaN(jmh.get(1).medianNsPerCall()), "no rawData: no median");
        assertTrue(Double.isNaN(jmh.get(1).relError()));
        assertEquals("out", jmh.get(4).mode(), "benchmarks without a mode parameter are out of place");
        assertEquals("MemorySegment.copy", jmh.get(4).series());

        List<Report.Point> c = ReportInput.readCBench(C);
        assertEquals(2, c.size());
        assertEquals("oneDNN from C", c.get(0).series());
        assertEquals(0.64, c.get(0).elPerNs(), 1e-12);
    }

    @Test
    void tableHasModesRatiosAndCallCosts() {
        List<Report.Point> all = new ArrayList<>(ReportInput.readJmh(JMH));
        all.addAll(ReportInput.readCBench(C));
        String md = Report.table(all, List.of("machine: test"));
        assertTrue(md.contains("- machine: test"), md);
        assertTrue(md.contains("### In place"), md);
        assertTrue(md.contains("| elu4j helper | 4.00 ±10% | — |"), md);
        // best at 256 is helper (4 el/ns) vs JavaCPP (0.5 el/ns)
        assertTrue(md.contains("| best elu4j path (elu4j helper) / oneDNN via JavaCPP | 256 | 8.00× |"), md);
        // best at 16M is vector (2 el/ns) vs MemorySegment.copy (4 el/ns)
        assertTrue(md.contains("| best elu4j path (elu4j vector) / MemorySegment.copy | 16M | 0.50× |"), md);
        assertTrue(md.contains("| elu4j onednn / oneDNN via JavaCPP | 256 | 0.50× |"), md);
        // the call's cost: medians on both sides (JMH's iterations, C's batches), not JMH's mean
        assertTrue(md.contains("| elu4j helper | 62.0 | +12 ns |"), md);
        assertTrue(md.contains("| elu4j onednn | 1024 (mean: no raw data) | +624 ns |"), md);
        assertTrue(md.contains("Not measured in this run:"), md);
        assertTrue(md.contains("ND4J"), md);
    }

    @Test
    void chartHasOneLinePerOutOfPlaceSeries() {
        List<Report.Point> all = new ArrayList<>(ReportInput.readJmh(JMH));
        all.addAll(ReportInput.readCBench(C));
        var chart = Report.chart(all);
        assertNotNull(chart);
        // auto, helper, onednn, vector, JavaCPP, MemorySegment.copy, helper and oneDNN from C
        assertEquals(8, chart.getSeriesMap().size());
    }

    @Test
    void functionCostAndAllocationTables() {
        String json = "[" + String.join(",",
                jmhRun("org.elu4j.bench.EluBenchmark.elu",
                        "\"backend\": \"helper\", \"function\": \"elu\", \"size\": \"65536\", \"mode\": \"out\"", 16384, "1"),
                jmhRun("org.elu4j.bench.EluBenchmark.elu",
                        "\"backend\": \"helper\", \"function\": \"relu\", \"size\": \"65536\", \"mode\": \"out\"", 4096, "1"),
                """
                {"benchmark": "org.elu4j.bench.EluBenchmark.elu", "mode": "avgt",
                 "params": {"backend": "helper", "function": "selu", "size": "65536", "mode": "out"},
                 "primaryMetric": {"score": 32768, "scoreError": 1, "scoreUnit": "ns/op"},
                 "secondaryMetrics": {"gc.alloc.rate.norm": {"score": 0.002, "scoreUnit": "B/op"}}}
                """) + "]";
        List<Report.Point> points = ReportInput.readJmh(json);
        assertEquals("elu4j helper relu", points.get(1).series());
        assertEquals(0.002, points.get(2).bytesPerCall(), 1e-12);
        assertTrue(Double.isNaN(points.get(0).bytesPerCall()));
        String md = Report.table(points, List.of());
        // ELU 4 el/ns, ReLU 16 el/ns: ELU costs 4x a ReLU; SELU 2 el/ns costs 2x an ELU
        assertTrue(md.contains("| elu4j helper | 64K | 4.00 | 16.0 | 4.00× | 2.00 | 2.00× |"), md);
        assertTrue(md.contains("| elu4j helper selu | 0.002 |"), md);
        assertTrue(md.contains("### Allocation per call, bytes"), md);
        // the ELU table keeps other functions out
        assertTrue(!md.contains("| elu4j helper relu | 16.0"), md);
        assertEquals(1, Report.chart(points).getSeriesMap().size());
    }

    @Test
    void onnxRuntimeIsAnOutOfPlacePeer() {
        String json = "[" + String.join(",",
                jmhRun("org.elu4j.bench.EluBenchmark.elu", "\"backend\": \"helper\", \"size\": \"256\", \"mode\": \"out\"", 64, "1"),
                jmhRun("org.elu4j.bench.OnnxRuntimeBenchmark.elu", "\"size\": \"256\"", 1024, "8")) + "]";
        List<Report.Point> points = ReportInput.readJmh(json);
        assertEquals("ONNX Runtime Elu", points.get(1).series());
        assertEquals("out", points.get(1).mode(), "no mode parameter: out of place");
        String md = Report.table(points, List.of());
        assertTrue(md.contains("| ONNX Runtime Elu | 0.250 ±1% |"), md);
        // helper 4 el/ns against ONNX Runtime's 0.25
        assertTrue(md.contains("| best elu4j path (elu4j helper) / ONNX Runtime Elu | 256 | 16.00× |"), md);
        assertEquals(2, Report.chart(points).getSeriesMap().size());
    }

    @Test
    void sizeNames() {
        assertEquals("256", Report.sizeName(256));
        assertEquals("64K", Report.sizeName(65536));
        assertEquals("16M", Report.sizeName(16777216));
        assertEquals("0.0700", Report.fmt(0.07));
        assertEquals("23.8", Report.fmt(23.8));
    }
}
