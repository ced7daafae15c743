package org.elu4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.elu4j.Backend;
import org.elu4j.Elu4j;
import org.elu4j.internal.accuracy.AccuracyScan;
import org.elu4j.internal.helper.HelperBackend;
import org.elu4j.testing.Reference;
import org.junit.jupiter.api.Test;

/**
 * {@code elu4j accuracy} end to end, in process, on a sparse sample of the negative floats
 * (every 100,003rd pattern: about 21,000 inputs per alpha, a few seconds).
 */
class AccuracyCommandTest {
    private static final String STRIDE = "100003";

    record Run(int code, String out, String err) {
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** The text row for (alpha, backend): columns function, alpha, backend, max ulp, ... */
    static Optional<String[]> row(String out, String alpha, String backend) {
        return out.lines().map(l -> l.trim().split("\\s+"))
                .filter(c -> c.length > 3 && c[0].equals("elu") && c[1].equals(alpha) && c[2].equals(backend))
                .findFirst();
    }

    static List<String> expectedRows() {
        List<String> names = new ArrayList<>(List.of("onednn", "helper", "vector"));
        if (Elu4j.isAvailable(Backend.HELPER)) {
            for (int isa : HelperBackend.supportedIsas()) {
                names.add("helper/" + HelperBackend.isaName(isa));
            }
        }
        return names;
    }

    @Test
    void sampledRunHasARowPerBackendAndAlpha() {
        Run r = cli("accuracy", "--sample", STRIDE);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("reference: alpha * Math.expm1(x) in double"), r.out());
        for (String alpha : List.of("0.5", "1.0", "2.0")) {
            for (String name : expectedRows()) {
                assertTrue(row(r.out(), alpha, name).isPresent(), "no row for " + name + " at alpha " + alpha + " in\n" + r.out());
            }
            assertTrue(row(r.out(), alpha, "scalar").isEmpty(), "scalar is not part of 'all'\n" + r.out());
        }
        for (String name : List.of("helper", "vector")) {
            Backend b = Backend.fromCliName(name);
            if (!Elu4j.isAvailable(b)) {
                continue;
            }
            String[] cols = row(r.out(), "1.0", name).orElseThrow();
            long ulps = Long.parseLong(cols[3]);
            assertTrue(ulps <= 1, String.join(" ", cols));
            assertTrue(String.join(" ", cols).endsWith("bit-exact"), String.join(" ", cols));
        }
        if (Elu4j.isAvailable(Backend.HELPER)) {
            for (String name : expectedRows().subList(3, expectedRows().size())) {
                String[] cols = row(r.out(), "1.0", name).orElseThrow();
                assertTrue(Long.parseLong(cols[3]) <= 1, String.join(" ", cols));
            }
        }
    }

    @Test
    void scalarOnRequestAgreesWithTheReference() {
        Run r = cli("accuracy", "--sample", STRIDE, "--backend", "scalar", "--alpha", "1", "--alpha", "-0.75");
        assertEquals(0, r.code(), r.err());
        for (String alpha : List.of("1.0", "-0.75")) {
            String[] cols = row(r.out(), alpha, "scalar").orElseThrow(() -> new AssertionError(r.out()));
            assertTrue(Long.parseLong(cols[3]) <= 1, String.join(" ", cols));
        }
    }

    @Test
    void markdownHasAHeaderAndOneLinePerRow() {
        Run r = cli("accuracy", "--sample", STRIDE, "--backend", "helper,vector", "--alpha", "1", "--markdown");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().filter(l -> l.startsWith("|")).toList();
        assertTrue(lines.get(0).startsWith("| function | α | backend | max ulp"), r.out());
        assertTrue(lines.get(1).startsWith("|---|"), r.out());
        assertEquals(4, lines.size(), r.out());
        assertTrue(lines.get(2).startsWith("| elu | 1.0 | `helper` |"), r.out());
        assertTrue(lines.get(3).startsWith("| elu | 1.0 | `vector` |"), r.out());
    }

    /**
     * The command's reference (double expm1, decided in decimal near halfway points) against the
     * tests' independent 60-digit BigDecimal one: random negatives of every magnitude, and the
     * powers of two and their neighbours, where expm1(x) = x + x^2/2 + ... lands near halfway points.
     */
    @Test
    void referenceIsCorrectlyRounded() {
        List<Float> xs = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(20261201);
        for (int i = 0; i < 1500; i++) {
            xs.add(Float.intBitsToFloat(0x80000001 + random.nextInt(0x7F7FFFFF)));
        }
        for (int e = -80; e <= 6; e++) {
            float p = -Math.scalb(1f, e);
            xs.add(p);
            xs.add(Math.nextUp(p));
            xs.add(Math.nextDown(p));
        }
        xs.add(Float.NEGATIVE_INFINITY);
        xs.add(-Float.MIN_VALUE);
        for (float alpha : new float[] {0.5f, 1f, 2f, 1.6732632f, -0.75f, 3e-30f}) {
            for (float x : xs) {
                float want = Reference.elu(x, alpha);
                float got = AccuracyScan.Function.ELU.reference(x, alpha);
                assertTrue(want == got, // the same value; the sign of a zero is not the question here
                        () -> "x = " + x + " (" + Integer.toHexString(Float.floatToRawIntBits(x)) + "), alpha = " + alpha
                                + ": reference " + got + ", BigDecimal " + want);
            }
        }
    }

    @Test
    void refusesBadArguments() {
        assertEquals(1, cli("accuracy", "--sample", "0").code());
        assertEquals(1, cli("accuracy", "--sample", STRIDE, "--backend", "nosuch").code());
        assertEquals(1, cli("accuracy", "--sample", STRIDE, "--alpha", "Infinity").code());
        assertEquals(2, cli("accuracy", "--sample", "many").code());
    }
}
