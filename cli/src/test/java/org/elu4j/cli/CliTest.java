package org.elu4j.cli;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.elu4j.Backend;
import org.elu4j.Elu4j;
import org.elu4j.cli.npy.NpyArray;
import org.elu4j.cli.npy.NpyDtype;
import org.elu4j.cli.npy.NpyFile;
import org.elu4j.reference.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The command line end to end, in process: info, compare, apply, and refused files. */
class CliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    static Stream<Backend> backends() {
        return Stream.of(Backend.values()).filter(Elu4j::isAvailable);
    }

    @Test
    void infoListsEveryBackend() {
        Run r = cli("info");
        assertEquals(0, r.code(), r.err());
        for (Backend b : List.of(Backend.ONEDNN, Backend.HELPER, Backend.VECTOR, Backend.SCALAR)) {
            assertTrue(r.out().contains("  " + b.cliName()), r.out());
        }
        assertTrue(r.out().contains("AUTO uses: " + Elu4j.autoBackend().cliName()), r.out());
        assertTrue(r.out().contains("AUTO plan:"), r.out());
        // the capability matrix: a row per available backend and function; scalar runs everything
        assertTrue(r.out().contains("capabilities (forward/backward from input/backward from output per type"), r.out());
        for (String fn : List.of("elu", "selu", "celu\\(2\\.0\\)", "celu\\(0\\.5\\)", "relu", "leaky-relu")) {
            assertTrue(r.out().lines().anyMatch(l -> l.matches("  scalar +" + fn + "( +yes/yes/yes){4}")),
                    fn + "\n" + r.out());
        }
        for (String line : r.out().lines().filter(l -> l.matches("  (onednn|helper|vector) .*")).toList()) {
            for (java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[(\\d+)]").matcher(line); m.find(); ) {
                assertTrue(r.out().contains("  [" + m.group(1) + "] "), "reason " + m.group(1) + " is listed\n" + r.out());
            }
        }
        if (Elu4j.isAvailable(Backend.ONEDNN)) {
            assertTrue(r.out().contains("oneDNN: version 3."), r.out());
            assertTrue(r.out().contains("libdnnl.so.3"), r.out());
        }
        // AUTO's parallel mode names the helper's threshold, from the public diagnostics
        Elu4j.helper().ifPresentOrElse(
                h -> assertTrue(r.out().contains("helper on native segments of >= " + h.parallelMinElements() + " floats"), r.out()),
                () -> assertTrue(r.out().contains("parallel (Elu.parallel()): serial, the helper is unavailable"), r.out()));
        if (Elu4j.isAvailable(Backend.HELPER)) {
            assertTrue(r.out().contains("helper SIMD: "), r.out());
            assertTrue(r.out().contains("libelu4j.so.0"), r.out());
        }
    }

    @Test
    void compareRefusesASizeBeyondTheMachinesMemory() {
        long memory = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getTotalMemorySize();
        assumeTrue(memory < 3L * Integer.MAX_VALUE * Float.BYTES, "this machine has " + (memory >> 30)
                + " GiB: the largest --size (2^31 - 1 floats, three tensors: 24 GiB) fits in it");
        Run r = cli("compare", "--size", Integer.toString(Integer.MAX_VALUE));
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("needs 24.0 GiB for its three tensors, more than this machine's"), r.err());
        assertFalse(r.out().contains("backend"), "nothing measured: " + r.out());
    }

    @Test
    void compareReportsEveryAvailableBackend() {
        Run r = cli("compare", "--size", "5000", "--millis", "20");
        assertEquals(0, r.code(), r.err());
        for (Backend b : backends().filter(b -> b != Backend.AUTO).toList()) {
            String row = r.out().lines().filter(l -> l.startsWith(b.cliName() + " ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no row for " + b + " in\n" + r.out()));
            if (b != Backend.ONEDNN) {
                // columns: name, description..., max ulp, at x, max abs err, el/ns
                String[] cols = row.trim().split("\\s+");
                long ulps = Long.parseLong(cols[cols.length - 4]);
                // compare measures against the scalar backend (the oracle): its own row reads 0
                assertTrue(b == Backend.SCALAR ? ulps == 0 : ulps <= 1, row);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void applyMatchesAHighPrecisionReference(Backend backend) throws IOException {
        float[] x = RandomFloats.of(3001, 5);
        Path in = dir.resolve("in.npy");
        Path out = dir.resolve("out-" + backend.cliName() + ".npy");
        writeFloats(in, x, new long[] {3001});
        Run r = cli("apply", "--backend", backend.cliName(), "--alpha", "0.5", in.toString(), out.toString());
        assertEquals(0, r.code(), r.err());
        float[] y = readFloats(out, new long[] {3001});
        for (int i = 0; i < x.length; i++) {
            float want = Reference.elu(x[i], 0.5f);
            if (Float.isNaN(want)) {
                assertTrue(Float.isNaN(y[i]));
                continue;
            }
            if (backend == Backend.ONEDNN && x[i] < 0) {
                assertTrue(Math.abs((double) y[i] - want) <= 4 * Math.ulp(0.5f), "x=" + x[i] + " y=" + y[i]);
            } else if (!(backend == Backend.ONEDNN && x[i] == 0f)) {
                assertTrue(Ulps.distance(y[i], want) <= 1, backend + ": x=" + x[i] + " y=" + y[i] + " want " + want);
            }
        }
    }

    @Test
    void applyKeepsTheShape() throws IOException {
        Path in = dir.resolve("m.npy");
        Path out = dir.resolve("m-out.npy");
        float[] x = new float[24];
        for (int i = 0; i < x.length; i++) {
            x[i] = i - 12;
        }
        writeFloats(in, x, new long[] {2, 3, 4});
        assertEquals(0, cli("apply", in.toString(), out.toString()).code());
        float[] y = readFloats(out, new long[] {2, 3, 4});
        assertEquals(-1f + (float) Math.exp(-12), y[0], 1e-7f);
        assertEquals(11f, y[23]);
    }

    @Test
    void badFilesGiveOneLineErrorsAndNoOutput() throws IOException {
        Path out = dir.resolve("never.npy");
        Path garbage = Files.writeString(dir.resolve("garbage.npy"), "this is not numpy");
        Path missing = dir.resolve("missing.npy");
        Path truncated = dir.resolve("trunc.npy");
        writeFloats(truncated, new float[100], new long[] {100});
        byte[] bytes = Files.readAllBytes(truncated);
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        for (Path bad : List.of(garbage, missing, truncated)) {
            Run r = cli("apply", bad.toString(), out.toString());
            assertEquals(1, r.code(), r.out() + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("elu4j: error: "), r.err());
            assertFalse(Files.exists(out), "no output file for " + bad);
            try (Stream<Path> files = Files.list(dir)) {
                assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("never")), "no temp file left");
            }
        }
        Run usage = cli("apply", "--backend", "gpu", garbage.toString(), out.toString());
        assertEquals(2, usage.code());
        assertTrue(usage.err().contains("unknown backend 'gpu'"), usage.err());
    }

    /** Usage errors exit 2 and write nothing; what each subcommand's help promises works; the line names the backend that ran. */
    @Test
    void usageErrorsVersionsAndTheBackendThatRan() throws IOException {
        Path in = dir.resolve("u.npy");
        writeFloats(in, new float[] {-1, 2}, new long[] {2});
        for (String sub : List.of("apply", "backward", "compare", "info", "accuracy")) {
            Run v = cli(sub, "--version");
            assertEquals(0, v.code(), v.err());
            assertEquals("elu4j " + Elu4j.VERSION, v.out().strip(), sub);
        }
        for (String outName : List.of(dir.resolve("zzz") + "/", "")) {
            Run r = cli("apply", in.toString(), outName);
            assertEquals(2, r.code(), r.out() + r.err());
            assertTrue(r.err().contains("names no file"), r.err());
        }
        assertFalse(Files.exists(dir.resolve("zzz")), "no file named after a directory");
        assertEquals(2, cli("compare", "--millis", "0").code());
        Run nan = cli("compare", "--alpha", "NaN", "--size", "10");
        assertEquals(2, nan.code(), nan.err()); // a value elu4j refuses: a usage error, as "nan" (not a double) is
        assertTrue(nan.err().contains("alpha must be finite"), nan.err());
        assertTrue(cli("apply", "--dtype", "f8", in.toString(), dir.resolve("d.npy").toString()).err()
                .startsWith("Invalid value for option '--dtype': unknown data type 'f8'"));
        // AUTO's line says where the call ran
        Path out = dir.resolve("u-out.npy");
        Run auto = cli("apply", in.toString(), out.toString());
        assertEquals(0, auto.code(), auto.err());
        String ran = org.elu4j.Elu.elu().backendFor(org.elu4j.DataType.F32, org.elu4j.Elu.Direction.FORWARD, true).cliName();
        assertTrue(auto.out().strip().endsWith("array on " + ran + " -> " + out), auto.out());
        // a name of 240 bytes in 120 characters: its temporary file's name stays within 255 bytes
        Path wide = dir.resolve("\u00e9".repeat(118) + ".npy");
        assertEquals(0, cli("apply", in.toString(), wide.toString()).code());
        assertTrue(Files.exists(wide));
        if (Elu4j.isAvailable(Backend.ONEDNN)) { // oneDNN takes alpha as a float: 1e39 is refused by name
            Run refused = cli("apply", "--backend", "onednn", "--alpha", "1e39", in.toString(), dir.resolve("r.npy").toString());
            assertEquals(1, refused.code(), refused.out());
            assertTrue(refused.err().startsWith("elu4j: error: backend onednn is unavailable"), refused.err());
            assertFalse(Files.exists(dir.resolve("r.npy")));
            Run compare = cli("compare", "--alpha", "1e39", "--size", "1000", "--millis", "1");
            assertEquals(0, compare.code(), compare.err());
            assertTrue(compare.out().contains("onednn   cannot run it: "), compare.out());
        }
        // results of -inf (alpha 1e39 overflows the float range) equal to the oracle's: error 0, not inf - inf
        Run huge = cli("compare", "--alpha", "1e39", "--size", "1000", "--millis", "1");
        assertEquals(0, huge.code(), huge.err());
        assertTrue(huge.out().lines().filter(l -> l.startsWith("scalar ")).allMatch(l -> !l.contains("NaN")), huge.out());
    }

    private static void writeFloats(Path file, float[] x, long[] shape) {
        NpyFile.writeAtomically(file, NpyDtype.FLOAT32, shape,
                seg -> MemorySegment.copy(x, 0, seg, JAVA_FLOAT_UNALIGNED, 0, x.length));
    }

    private static float[] readFloats(Path file, long[] shape) {
        try (Arena arena = Arena.ofConfined()) {
            NpyArray a = NpyFile.mapForRead(file, arena);
            if (!java.util.Arrays.equals(shape, a.shape())) {
                fail("shape " + java.util.Arrays.toString(a.shape()));
            }
            float[] y = new float[(int) a.elementCount()];
            MemorySegment.copy(a.data(), JAVA_FLOAT_UNALIGNED, 0, y, 0, y.length);
            return y;
        }
    }
}
