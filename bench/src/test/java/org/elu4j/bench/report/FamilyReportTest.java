package org.elu4j.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class FamilyReportTest {

    private static String run(String backend, String function, String type, String pass, double ns, String error) {
        return """
                {"benchmark": "org.elu4j.bench.FamilyBenchmark.run", "mode": "avgt",
                 "params": {"backend": "%s", "function": "%s", "type": "%s", "pass": "%s", "size": "65536"},
                 "primaryMetric": {"score": %s, "scoreError": %s, "scoreUnit": "ns/op"}}
                """.formatted(backend, function, type, pass, ns, error);
    }

    // 65536 elements: ns = 65536 / el-per-ns.
    private static final String JSON = "[" + String.join(",",
            run("helper", "elu", "f32", "fwd", 65536 / 8.0, "819.2"),
            run("helper", "selu", "f32", "fwd", 65536 / 2.0, "\"NaN\""),
            run("helper", "elu", "bf16", "fwd", 65536 / 4.0, "1"),
            run("helper", "elu", "f64", "fwd", 65536 / 2.0, "1"),
            run("helper", "elu", "f32", "bwd-out", 65536 / 3.0, "1"),
            run("onednn", "elu", "f32", "bwd-out", 65536 / 6.0, "1"),
            run("javacpp", "elu", "f32", "bwd-out", 65536 / 12.0, "1"),
            // Other benchmarks in the same file are not this section's.
            """
            {"benchmark": "org.elu4j.bench.EluBenchmark.elu", "mode": "avgt",
             "params": {"backend": "helper", "function": "elu", "size": "256", "mode": "out"},
             "primaryMetric": {"score": 40, "scoreError": 1, "scoreUnit": "ns/op"}}
            """) + "]";

    @Test
    void readsOnlyFamilyRuns() {
        List<FamilyReport.Point> points = FamilyReport.readJmh(JSON);
        assertEquals(7, points.size());
        FamilyReport.Point p = points.get(0);
        assertEquals("helper", p.backend());
        assertEquals("elu", p.function());
        assertEquals("f32", p.type());
        assertEquals("fwd", p.pass());
        assertEquals(65536, p.size());
        assertEquals(8.0, p.elPerNs(), 1e-12);
        assertEquals(0.1, p.relError(), 1e-12);
        assertTrue(Double.isNaN(points.get(1).relError()));
    }

    @Test
    void tableAndRatios() {
        String md = FamilyReport.table(FamilyReport.readJmh(JSON));
        assertTrue(md.contains("### 64K elements"), md);
        assertTrue(md.contains("| function | type | pass | elu4j helper | elu4j onednn | oneDNN via JavaCPP |"), md);
        assertTrue(md.contains("| elu | f32 | fwd | 8.00 ±10% | — | — |"), md);
        assertTrue(md.contains("| selu | f32 | fwd | 2.00 | — | — |"), md);
        // SELU / ELU on the helper: 2 / 8.
        assertTrue(md.contains("| helper | selu | fwd | 64K | 0.25× | — | — | — |"), md);
        // Types against f32: bf16 4 / 8, f64 2 / 8.
        assertTrue(md.contains("| elu4j helper | elu | fwd | 64K | 0.50× | — | 0.25× |"), md);
        // Backward from the output against elu4j's oneDNN (3 / 6) and JavaCPP (3 / 12).
        assertTrue(md.contains("| elu4j helper | elu | f32 | bwd-out | 64K | 0.50× | 0.25× |"), md);
        assertFalse(md.contains("| elu4j vector |"), "rows without any measured cell are left out:\n" + md);
    }

    @Test
    void nothingWithoutFamilyRuns() {
        assertEquals("", FamilyReport.table(List.of()));
    }
}
