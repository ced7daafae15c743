package org.elu4j.bench.peers;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.elu4j.bench.BenchBase;
import org.elu4j.reference.Reference;
import org.junit.jupiter.api.Test;

/**
 * The peers of the benchmark and of {@link PeerAccuracy} run what they claim: ONNX Runtime's Elu
 * on the one-node model writes ELU into the caller's pinned output without copies, oneDNN through
 * JavaCPP out of place and in place, and the accuracy tool counts ulps as documented.
 */
class PeersTest {
    private static final int N = 4096;

    private static MemorySegment input(Arena arena) {
        MemorySegment x = arena.allocate(4L * N, 64);
        BenchBase.fillUniform(x, 7);
        x.setAtIndex(JAVA_FLOAT, 0, -2.98e-8f);
        x.setAtIndex(JAVA_FLOAT, 1, -1e-6f);
        x.setAtIndex(JAVA_FLOAT, 2, 3.5f);
        return x;
    }

    @Test
    void onnxRuntimeWritesEluIntoThePinnedOutput() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = input(arena);
            MemorySegment y = arena.allocate(4L * N, 64);
            y.fill((byte) 0xFF);
            try (OrtElu ort = new OrtElu(x, y, 1f)) {
                assertTrue(ort.zeroCopy(), "the tensors wrap the segments");
                ort.run();
            }
            BenchBase.checkElu("ONNX Runtime", x, y); // every element written, ELU within the suite's tolerance
            assertEquals(3.5f, y.getAtIndex(JAVA_FLOAT, 2), "the positive side is x itself");
            // What docs/accuracy.md reports of it: exp(x) - 1 in float, 0 at -2.98e-8 (ELU(x) is
            // x there to float precision), and a relative error above 1% at -1e-6.
            assertEquals(0f, Math.abs(y.getAtIndex(JAVA_FLOAT, 0)));
            double rel = Math.abs((y.getAtIndex(JAVA_FLOAT, 1) - Math.expm1(-1e-6f)) / Math.expm1(-1e-6f));
            assertTrue(rel > 0.01, "relative error " + rel);
            assertTrue(OrtElu.version().startsWith("1.20."), OrtElu.version());
        }
    }

    @Test
    void javaCppOneDnnOutOfPlaceAndInPlace() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = input(arena);
            MemorySegment y = arena.allocate(4L * N, 64);
            y.fill((byte) 0xFF);
            try (JavaCppOneDnnElu onednn = new JavaCppOneDnnElu(x, y, 1f)) {
                onednn.run();
            }
            BenchBase.checkElu("oneDNN via JavaCPP", x, y);
            MemorySegment z = arena.allocate(4L * N, 64);
            z.copyFrom(x);
            try (JavaCppOneDnnElu onednn = new JavaCppOneDnnElu(z, z, 1f)) {
                onednn.run();
            }
            assertEquals(-1, y.mismatch(z), "in place gives the out-of-place bits");
            assertTrue(JavaCppOneDnnElu.version().startsWith("3."), JavaCppOneDnnElu.version());
        }
    }

    @Test
    void ulpsCountTheFloatsBetween() {
        assertEquals(0, PeerAccuracy.ulps(-0f, 0f));
        assertEquals(1, PeerAccuracy.ulps(1f, Math.nextUp(1f)));
        assertEquals(2, PeerAccuracy.ulps(-Float.MIN_VALUE, Float.MIN_VALUE));
        assertEquals(Float.floatToRawIntBits(2.98e-8f), PeerAccuracy.ulps(-2.98e-8f, 0f));
        assertEquals(Long.MAX_VALUE, PeerAccuracy.ulps(Float.NaN, 1f));
        assertEquals(0, PeerAccuracy.ulps(Float.NaN, Float.NaN));
    }

    @Test
    void measureFindsTheWorstElement() {
        try (Arena arena = Arena.ofConfined()) {
            float[] xs = {-1f, -1e-6f, -2f};
            Reference ref = Reference.elu(1);
            float[] want = new float[xs.length];
            for (int i = 0; i < xs.length; i++) {
                want[i] = ref.at(xs[i]);
            }
            MemorySegment x = arena.allocateFrom(JAVA_FLOAT, xs);
            MemorySegment y = arena.allocateFrom(JAVA_FLOAT, want[0], Math.nextUp(Math.nextUp(Math.nextUp(want[1]))),
                    Math.nextDown(want[2]));
            PeerAccuracy.Stats s = PeerAccuracy.measure(x, y, want);
            assertEquals(3, s.n());
            assertEquals(3, s.maxUlp());
            assertEquals(-1e-6f, s.maxUlpAt());
            assertEquals(1, s.aboveOne());
            assertEquals(1, s.exact());
            assertEquals(-1e-6f, s.maxRelAt());
        }
    }

    @Test
    void theAccuracyReportHasEveryPath() throws Exception {
        String md = PeerAccuracy.report(10_000_019, 4096);
        for (String path : new String[] {"ONNX Runtime 1.20.", "oneDNN 3.", "elu4j AUTO ("}) {
            assertTrue(md.contains("| " + path), path + "\n" + md);
        }
        assertTrue(md.contains("| -2.98E-8 | -2.980000e-08 |"), md);
        // elu4j's row for the grid: within 1 ulp (its documented bound), so no result above 1 ulp
        String auto = md.lines().filter(l -> l.startsWith("| uniform grid") && l.contains("elu4j AUTO")).findFirst()
                .orElseThrow();
        assertTrue(auto.matches("\\| [^|]+ \\| [^|]+ \\| [01] \\| [^|]+ \\| 0 \\|.*"), auto);
    }
}
