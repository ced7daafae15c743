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
import org.elu4j.HelperStatus;
import org.elu4j.cli.accuracy.AccuracyScan;
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

    /** The f32 text row for (alpha, backend) of elu: columns function, parameters, backend, max ulp, ... */
    static Optional<String[]> row(String out, String alpha, String backend) {
        return row(out, "elu", "alpha=" + alpha, backend);
    }

    /** The f32 text row for (function, parameters, backend). */
    static Optional<String[]> row(String out, String function, String params, String backend) {
        return out.lines().takeWhile(l -> !l.startsWith("bf16 and f16")).map(l -> l.trim().split("\\s+"))
                .filter(c -> c.length > 3 && c[0].equals(function) && c[1].equals(params) && c[2].equals(backend))
                .findFirst();
    }

    /** The bf16/f16 text rows: function, parameters, type, backend, mismatches, max units off, ... */
    static List<String[]> halfRows(String out) {
        return out.lines().dropWhile(l -> !l.startsWith("bf16 and f16")).skip(2)
                .takeWhile(l -> !l.startsWith("Sampled") && !l.startsWith("Exhaustive"))
                .map(l -> l.trim().split("\\s+")).toList();
    }

    static List<String> expectedRows() {
        List<String> names = new ArrayList<>(List.of("onednn", "helper", "vector"));
        for (String level : Elu4j.helper().map(HelperStatus::supported).orElse(List.of())) {
            names.add("helper/" + level);
        }
        return names;
    }

    @Test
    void sampledRunHasARowPerBackendAndAlpha() {
        Run r = cli("accuracy", "--sample", STRIDE, "--function", "elu", "--no-half");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("reference: for x < 0, c * expm1(x * s)"), r.out());
        for (String alpha : List.of("0.5", "1.0", "1.3", "2.0")) { // the default alphas of elu
            for (String name : expectedRows()) {
                assertTrue(row(r.out(), alpha, name).isPresent(), "no row for " + name + " at alpha " + alpha + " in\n" + r.out());
            }
            assertTrue(row(r.out(), alpha, "scalar").isEmpty(), "scalar is not part of 'all'\n" + r.out());
        }
        for (String name : List.of("helper", "vector")) {
            Backend b = Backend.fromCliName(name);
            if (!Elu4j.isAvailable(b)) {
                System.out.println("AccuracyCommandTest: " + name + "'s row not checked for 1 ulp: unavailable here");
                continue;
            }
            String[] cols = row(r.out(), "1.0", name).orElseThrow();
            long ulps = Long.parseLong(cols[3]);
            assertTrue(ulps <= 1, String.join(" ", cols));
            assertTrue(String.join(" ", cols).endsWith("bit-exact"), String.join(" ", cols));
        }
        if (!Elu4j.isAvailable(Backend.HELPER)) {
            System.out.println("AccuracyCommandTest: the helper's level rows not checked for 1 ulp: the helper is unavailable here");
        } else {
            for (String name : expectedRows().subList(3, expectedRows().size())) {
                String[] cols = row(r.out(), "1.0", name).orElseThrow();
                assertTrue(Long.parseLong(cols[3]) <= 1, String.join(" ", cols));
            }
        }
    }

    @Test
    void scalarOnRequestAgreesWithTheReference() {
        Run r = cli("accuracy", "--sample", STRIDE, "--backend", "scalar", "--function", "elu", "--alpha", "1", "--alpha", "-0.75");
        assertEquals(0, r.code(), r.err());
        for (String alpha : List.of("1.0", "-0.75")) {
            String[] cols = row(r.out(), alpha, "scalar").orElseThrow(() -> new AssertionError(r.out()));
            assertTrue(Long.parseLong(cols[3]) <= 1, String.join(" ", cols));
        }
    }

    @Test
    void aValueGivenTwiceIsOneRow() {
        Run r = cli("accuracy", "--sample", STRIDE, "--backend", "scalar", "--function", "elu,leaky-relu", "--alpha", "1,1.0",
                "--slope", "0.5", "--slope", "0.50");
        assertEquals(0, r.code(), r.err());
        for (String function : List.of("elu", "leaky-relu")) {
            long rows = r.out().lines().takeWhile(l -> !l.startsWith("bf16 and f16")).map(l -> l.trim().split("\\s+"))
                    .filter(c -> c.length > 3 && c[0].equals(function) && c[2].equals("scalar")).count();
            assertEquals(1, rows, function + " rows in:\n" + r.out());
        }
    }

    @Test
    void markdownHasAHeaderAndOneLinePerRow() {
        Run r = cli("accuracy", "--sample", STRIDE, "--backend", "helper,vector", "--function", "elu,relu", "--alpha", "1",
                "--markdown");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().takeWhile(l -> !l.isEmpty()).filter(l -> l.startsWith("|")).toList();
        assertTrue(lines.get(0).startsWith("| function | parameters | backend | max ulp"), r.out());
        assertTrue(lines.get(1).startsWith("|---|"), r.out());
        assertEquals(6, lines.size(), r.out());
        assertTrue(lines.get(2).startsWith("| elu | α = 1.0 | `helper` |"), r.out());
        assertTrue(lines.get(3).startsWith("| elu | α = 1.0 | `vector` |"), r.out());
        assertTrue(lines.get(4).startsWith("| relu | — | `helper` |"), r.out());
        List<String> half = r.out().lines().filter(l -> l.startsWith("| function | parameters | type |")).toList();
        assertEquals(1, half.size(), r.out());
        // bf16/f16 rows: 2 functions x 2 types per backend that runs here (the vector backend is
        // refused where the JIT has no FMA; its f32 rows above then say why)
        long running = java.util.stream.Stream.of(Backend.HELPER, Backend.VECTOR).filter(Elu4j::isAvailable).count();
        assertEquals(2 + 2 * 2 * running, r.out().lines().dropWhile(l -> !l.startsWith("| function | parameters | type |"))
                .takeWhile(l -> l.startsWith("|")).count(), r.out());
    }

    @Test
    void refusesBadArguments() {
        assertEquals(2, cli("accuracy", "--sample", "0").code()); // option errors are usage errors
        assertEquals(2, cli("accuracy", "--sample", STRIDE, "--backend", "nosuch").code());
        assertEquals(2, cli("accuracy", "--sample", STRIDE, "--alpha", "Infinity").code()); // a value elu4j refuses
        assertEquals(2, cli("accuracy", "--sample", STRIDE, "--function", "selu", "--alpha", "1").code());
        assertEquals(2, cli("accuracy", "--sample", STRIDE, "--function", "elu", "--slope", "1").code());
        assertEquals(2, cli("accuracy", "--sample", STRIDE, "--function", "celu", "--scale", "1").code());
        assertEquals(2, cli("accuracy", "--sample", STRIDE, "--function", "swish").code());
        assertEquals(2, cli("accuracy", "--sample", "many").code());
    }

    /**
     * Every function, sampled (every 100,003rd negative pattern and every bf16/f16 pattern), on
     * helper, vector and scalar: each row that runs is within 1 ulp (f32) or 1 unit (bf16/f16) of
     * the correctly rounded reference with bit-exact positives, ±0 and NaNs; a backend that cannot
     * run a function or type says why.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"elu", "selu", "celu", "relu", "leaky-relu"})
    void everyFunctionWithinOneUlp(String function) {
        Run r = cli("accuracy", "--sample", STRIDE, "--backend", "helper,vector,scalar", "--function", function);
        assertEquals(0, r.code(), r.err());
        int rows = 0;
        for (String line : r.out().lines().takeWhile(l -> !l.startsWith("bf16 and f16")).toList()) {
            String[] c = line.trim().split("\\s+");
            if (c.length < 4 || !c[0].equals(function) || !List.of("helper", "vector", "scalar").contains(c[2])) {
                continue;
            }
            rows++;
            if (c[3].equals("cannot") || c[3].equals("unavailable:")) {
                assertTrue(line.contains("cannot run: ") || line.contains("unavailable: "), line);
                assertTrue(!c[2].equals("scalar"), "scalar runs everything: " + line);
                continue;
            }
            assertTrue(Long.parseLong(c[3]) <= 1, line);
            assertTrue(line.endsWith("bit-exact"), line);
        }
        assertEquals(3 * (function.equals("elu") || function.equals("celu") ? 4 : 1), rows, r.out()); // 4 default alphas
        List<String[]> half = halfRows(r.out());
        assertEquals(rows * 2, half.size(), r.out());
        for (String[] c : half) {
            if (c[4].equals("cannot") || c[4].equals("unavailable:")) {
                assertTrue(!c[3].equals("scalar"), String.join(" ", c));
                continue;
            }
            if (!c[4].equals("0")) {
                assertTrue(Long.parseLong(c[5]) <= 1, String.join(" ", c));
            }
        }
    }

    /**
     * The references the command builds for its functions ({@link AccuracyScan.Spec#of}: ELU, SELU,
     * CELU, the general form, LeakyReLU) against an independent 70-digit BigDecimal evaluation of
     * c * (e^(x*s) - 1), rounded once by BigDecimal#floatValue: random negatives of every magnitude
     * and the powers of two around 0. (The reference module's own tests check its fast floats
     * against its exact values.)
     */
    @Test
    void generalReferenceIsCorrectlyRounded() {
        List<Float> xs = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 600; i++) {
            xs.add(Float.intBitsToFloat(0x80000001 + random.nextInt(0x7F7FFFFF)));
        }
        for (int e = -149; e <= 6; e += 3) {
            float p = -Math.scalb(1f, e);
            xs.add(p);
            xs.add(Math.nextDown(p));
            xs.add(-3 * Math.scalb(1f, e)); // odd multiples: halfway cases once multiplied by 0.5
        }
        java.math.MathContext mc = new java.math.MathContext(70);
        for (org.elu4j.Elu e : List.of(org.elu4j.Elu.selu(), org.elu4j.Elu.celu(0.5), org.elu4j.Elu.celu(3),
                org.elu4j.Elu.elu(0.5, 1.25, 0.3), org.elu4j.Elu.elu(0.5), org.elu4j.Elu.leakyRelu(0.01),
                org.elu4j.Elu.leakyRelu(0.3))) {
            AccuracyScan.Spec spec = AccuracyScan.Spec.of(e);
            for (float x : xs) {
                java.math.BigDecimal bx = new java.math.BigDecimal(x);
                float want;
                if (e.function() == org.elu4j.Elu.Function.LEAKY_RELU) {
                    want = bx.multiply(new java.math.BigDecimal(e.alpha())).floatValue();
                } else {
                    java.math.BigDecimal t = bx.multiply(new java.math.BigDecimal(e.inputScale()));
                    want = expm1(t, mc).multiply(new java.math.BigDecimal(e.alpha()).multiply(new java.math.BigDecimal(e.scale())), mc)
                            .floatValue();
                }
                float got = spec.reference().at(x);
                assertTrue(want == got, () -> e + " at x = " + x + " (" + Integer.toHexString(Float.floatToRawIntBits(x))
                        + "): reference " + got + ", BigDecimal " + want);
            }
            // positives: scale * x rounded once
            for (int i = 0; i < 300; i++) {
                float x = Float.intBitsToFloat(1 + random.nextInt(0x7F000000));
                float want = e.function() == org.elu4j.Elu.Function.LEAKY_RELU ? x
                        : new java.math.BigDecimal(x).multiply(new java.math.BigDecimal(e.scale())).floatValue();
                assertEquals(want, spec.reference().at(x), e + " at " + x);
            }
        }
    }

    /** e^t - 1 by its series after halving t below 1/16, then expm1(2r) = expm1(r) (expm1(r) + 2). */
    private static java.math.BigDecimal expm1(java.math.BigDecimal t, java.math.MathContext mc) {
        if (t.compareTo(java.math.BigDecimal.valueOf(-300)) < 0) {
            return java.math.BigDecimal.ONE.negate();
        }
        int k = 0;
        java.math.BigDecimal r = t;
        while (r.abs().compareTo(new java.math.BigDecimal("0.0625")) > 0) {
            r = r.divide(java.math.BigDecimal.valueOf(2), mc);
            k++;
        }
        java.math.BigDecimal sum = java.math.BigDecimal.ZERO;
        java.math.BigDecimal term = r;
        for (int n = 2; term.signum() != 0 && term.abs().compareTo(r.abs().movePointLeft(75)) > 0; n++) {
            sum = sum.add(term, mc);
            term = term.multiply(r, mc).divide(java.math.BigDecimal.valueOf(n), mc);
        }
        for (int i = 0; i < k; i++) {
            sum = sum.multiply(sum.add(java.math.BigDecimal.valueOf(2)), mc);
        }
        return sum;
    }
}
