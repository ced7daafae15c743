package org.elu4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.cli.npy.NpyArray;
import org.elu4j.cli.npy.NpyDtype;
import org.elu4j.cli.npy.NpyFile;
import org.elu4j.reference.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code apply} and {@code backward} on every function and dtype, against results NumPy computed
 * in float64 ({@code fam_fwd_*.npy}, {@code fam_bwd_*.npy}, made by {@code make_fixtures.py}), and
 * for backward from the output against a double formula in this test. A backend that cannot run a
 * call must refuse it with one line and no file; one that runs it must be within the bounds.
 */
class FamilyCliTest {
    @TempDir
    Path dir;

    /** The rows of the fam_fwd_* / fam_bwd_* files, in order, with the CLI options that make them. */
    enum Fn {
        ELU(List.of("--function", "elu", "--alpha", "0.5"), Elu.elu(0.5)),
        ELU_GENERAL(List.of("--function", "elu", "--alpha", "1.5", "--scale", "2", "--input-scale", "0.75"),
                Elu.elu(1.5, 2, 0.75)),
        SELU(List.of("--function", "selu"), Elu.selu()),
        CELU(List.of("--function", "celu", "--alpha", "2"), Elu.celu(2)),
        RELU(List.of("--function", "relu"), Elu.relu()),
        LEAKY_RELU(List.of("--function", "leaky-relu", "--slope", "0.01"), Elu.leakyRelu(0.01));

        final List<String> options;
        final Elu elu;

        Fn(List<String> options, Elu elu) {
            this.options = options;
            this.elu = elu;
        }
    }

    /** File suffix, dtype, elu4j type. */
    enum Type {
        F4("f4", DataType.F32), F8("f8", DataType.F64), F2("f2", DataType.F16), BF16("bf16", DataType.BF16);

        final String suffix;
        final DataType type;

        Type(String suffix, DataType type) {
            this.suffix = suffix;
            this.type = type;
        }
    }

    record Run(int code, String out, String err) {
    }

    static Run cli(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    static Stream<Backend> backends() {
        return Stream.of(Backend.AUTO, Backend.SCALAR, Backend.HELPER, Backend.VECTOR).filter(Elu4j::isAvailable);
    }

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        backends().forEach(b -> {
            for (Type t : Type.values()) {
                list.add(Arguments.of(b, t));
            }
        });
        return list.stream();
    }

    Path fixture(String name) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            try (InputStream in = FamilyCliTest.class.getResourceAsStream("/npy/" + name)) {
                Files.write(p, in.readAllBytes());
            }
        }
        return p;
    }

    /** Every element of a file as a double (bf16 and f16 widened exactly). */
    static double[] read(Path file, DataType type) {
        try (Arena arena = Arena.ofConfined()) {
            NpyArray a = NpyFile.mapForRead(file, arena);
            int n = (int) a.elementCount();
            double[] v = new double[n];
            MemorySegment d = a.data();
            for (int i = 0; i < n; i++) {
                v[i] = switch (type) {
                    case F32 -> d.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
                    case F64 -> d.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
                    case F16 -> Float.float16ToFloat(d.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
                    case BF16 -> Reference.bf16ToFloat(d.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
                };
            }
            return v;
        }
    }

    static NpyDtype dtypeOf(Path file) {
        return NpyFile.readHeader(file).dtype();
    }

    /** Row k of a (functions, N) float64 file written by NumPy. */
    static double[] row(Path file, int k) {
        try (Arena arena = Arena.ofConfined()) {
            NpyArray a = NpyFile.mapForRead(file, arena);
            int n = (int) a.shape()[1];
            double[] v = new double[n];
            MemorySegment.copy(a.data(), ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                    (long) k * n * 8, v, 0, n);
            return v;
        }
    }

    /** Writes doubles rounded to the type (round to nearest even; bf16 and f16 through float, their definition). */
    static void write(Path file, double[] v, DataType type) {
        NpyFile.writeAtomically(file, NpyTypes.npyDtype(type), new long[] {v.length}, seg -> {
            for (int i = 0; i < v.length; i++) {
                switch (type) {
                    case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) v[i]);
                    case F64 -> seg.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i, v[i]);
                    case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((float) v[i]));
                    case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Reference.floatToBf16((float) v[i]));
                }
            }
        });
    }

    static long ordered16(short bits) {
        int b = bits & 0xFFFF;
        return (b & 0x8000) == 0 ? b : -(long) (b & 0x7FFF);
    }

    /**
     * got (already widened) against the exact-ish double want, rounded to the type: f32 within
     * {@code ulps} floats, bf16/f16 within {@code ulps} units of the want rounded through float,
     * f64 within 16 ulps (both computed in double, by different formulas).
     */
    static void assertClose(String what, DataType type, double got, double want, int ulps) {
        if (Double.isNaN(want)) {
            assertTrue(Double.isNaN(got), what + ": got " + got + ", want NaN");
            return;
        }
        switch (type) {
            case F32 -> assertTrue(Ulps.distance((float) got, (float) want) <= ulps,
                    what + ": got " + (float) got + ", want " + (float) want);
            case F64 -> assertTrue(got == want || Math.abs(got - want) <= 16 * Math.ulp(want),
                    what + ": got " + got + ", want " + want);
            case F16, BF16 -> {
                short g = type == DataType.F16 ? Float.floatToFloat16((float) got) : Reference.floatToBf16((float) got);
                short w = type == DataType.F16 ? Float.floatToFloat16((float) want) : Reference.floatToBf16((float) want);
                assertTrue(Math.abs(ordered16(g) - ordered16(w)) <= ulps, what + ": got " + got + ", want " + want
                        + " (" + (float) want + " rounded)");
            }
        }
    }

    static List<String> args(String command, Backend b, Type t, Fn fn, String... rest) {
        List<String> a = new ArrayList<>(List.of(command, "--backend", b.cliName()));
        a.addAll(fn.options);
        if (t == Type.BF16) {
            a.addAll(List.of("--dtype", "bf16"));
        }
        a.addAll(List.of(rest));
        return a;
    }

    /** A refused call: exit 1, one line, no output file and no temporary file left. */
    void assertRefused(Run r, Path out) throws IOException {
        assertEquals(1, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("elu4j: error: "), r.err());
        assertFalse(Files.exists(out), "no output file");
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith("." + out.getFileName())),
                    "no temporary file left");
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void applyEveryFunction(Backend backend, Type t) throws IOException {
        Path in = fixture("fam_x_" + t.suffix + ".npy");
        Path expected = fixture("fam_fwd_" + t.suffix + ".npy");
        double[] x = read(in, t.type);
        for (Fn fn : Fn.values()) {
            Path out = dir.resolve("y-" + fn + "-" + t.suffix + ".npy");
            Run r = cli(args("apply", backend, t, fn, in.toString(), out.toString()));
            if (!fn.elu.on(backend).isSupported(t.type, Elu.Direction.FORWARD)) {
                assertRefused(r, out);
                assertTrue(r.err().contains("cannot run"), r.err());
                continue;
            }
            assertEquals(0, r.code(), fn + " " + t + ": " + r.err());
            assertEquals(dtypeOf(in), dtypeOf(out), "the output has the input's dtype");
            assertArrayEquals(NpyFile.readHeader(in).shape(), NpyFile.readHeader(out).shape());
            double[] y = read(out, t.type);
            double[] want = row(expected, fn.ordinal());
            for (int i = 0; i < x.length; i++) {
                assertClose(backend + " " + fn + " " + t + " x=" + x[i], t.type, y[i], want[i], 1);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void backwardFromInputEveryFunction(Backend backend, Type t) throws IOException {
        Path dy = fixture("fam_dy_" + t.suffix + ".npy");
        Path x = fixture("fam_x_" + t.suffix + ".npy");
        Path expected = fixture("fam_bwd_" + t.suffix + ".npy");
        double[] xs = read(x, t.type);
        for (Fn fn : Fn.values()) {
            Path out = dir.resolve("dx-" + fn + "-" + t.suffix + ".npy");
            Run r = cli(args("backward", backend, t, fn, "--from", "src", dy.toString(), x.toString(), out.toString()));
            if (!fn.elu.on(backend).isSupported(t.type, Elu.Direction.BACKWARD_FROM_INPUT)) {
                assertRefused(r, out);
                continue;
            }
            assertEquals(0, r.code(), fn + " " + t + ": " + r.err());
            assertEquals(dtypeOf(dy), dtypeOf(out));
            double[] dx = read(out, t.type);
            double[] want = row(expected, fn.ordinal());
            for (int i = 0; i < xs.length; i++) {
                assertClose(backend + " " + fn + " " + t + " x=" + xs[i], t.type, dx[i], want[i], 2);
            }
        }
    }

    /**
     * From the output: y is NumPy's forward rounded to the type, and the expected gradient is the
     * definition evaluated here in double: dy * scale for y > 0, else dy * inputScale * (y + alpha * scale)
     * (ReLU: dy or 0; LeakyReLU: dy or slope * dy).
     */
    @ParameterizedTest
    @MethodSource("cases")
    void backwardFromOutputEveryFunction(Backend backend, Type t) throws IOException {
        Path dy = fixture("fam_dy_" + t.suffix + ".npy");
        double[] dys = read(dy, t.type);
        for (Fn fn : Fn.values()) {
            Path y = dir.resolve("y-in-" + fn + "-" + t.suffix + ".npy");
            write(y, row(fixture("fam_fwd_" + t.suffix + ".npy"), fn.ordinal()), t.type);
            double[] ys = read(y, t.type);
            Path out = dir.resolve("dx-dst-" + fn + "-" + t.suffix + ".npy");
            Run r = cli(args("backward", backend, t, fn, "--from", "dst", dy.toString(), y.toString(), out.toString()));
            if (!fn.elu.on(backend).isSupported(t.type, Elu.Direction.BACKWARD_FROM_OUTPUT)) {
                assertRefused(r, out);
                continue;
            }
            assertEquals(0, r.code(), fn + " " + t + ": " + r.err());
            double[] dx = read(out, t.type);
            Elu e = fn.elu;
            for (int i = 0; i < ys.length; i++) {
                double want = switch (e.function()) {
                    case RELU -> ys[i] > 0 ? dys[i] : 0;
                    case LEAKY_RELU -> ys[i] > 0 ? dys[i] : e.alpha() * dys[i];
                    // y + alpha * scale with the product's exact low part (an fma): the exact
                    // parameters' value, which differs from NumPy's rounded product where the sum cancels
                    default -> ys[i] > 0 ? dys[i] * e.scale() : dys[i] * e.inputScale()
                            * ((ys[i] + e.alpha() * e.scale()) + Math.fma(e.alpha(), e.scale(), -(e.alpha() * e.scale())));
                };
                assertClose(backend + " " + fn + " " + t + " y=" + ys[i], t.type, dx[i], want, 2);
            }
        }
    }

    @Test
    void bf16NeedsItsOption() throws IOException {
        Path out = dir.resolve("never.npy");
        Run r = cli(List.of("apply", fixture("fam_x_bf16.npy").toString(), out.toString()));
        assertRefused(r, out);
        assertTrue(r.err().contains("'<u2' (uint16)") && r.err().contains("--dtype bf16"), r.err());
        r = cli(List.of("apply", "--dtype", "bf16", fixture("fam_x_f4.npy").toString(), out.toString()));
        assertRefused(r, out);
        assertTrue(r.err().contains("holds float32 '<f4', not bf16"), r.err());
        r = cli(List.of("apply", "--dtype", "f16", fixture("u2_2x3.npy").toString(), out.toString()));
        assertRefused(r, out);
        // the right option works, on a plain uint16 file too (its bits are read as bfloat16)
        assertEquals(0, cli(List.of("apply", "--dtype", "BF16", fixture("u2_2x3.npy").toString(), out.toString())).code());
        assertEquals(NpyDtype.UINT16, dtypeOf(out));
    }

    @Test
    void otherDtypesAreRefusedInOneLine() throws IOException {
        Path out = dir.resolve("never.npy");
        for (String[] c : new String[][] {{"i1_2x3.npy", "'|i1' (int8)"}, {"f4_big_endian.npy", "'>f4' (big-endian float32)"},
                {"f8_big_endian.npy", "'>f8' (big-endian float64)"}, {"i4_2x3.npy", "'<i4' (int32)"}}) {
            Run r = cli(List.of("apply", fixture(c[0]).toString(), out.toString()));
            assertRefused(r, out);
            assertTrue(r.err().contains(c[1]), r.err());
            r = cli(List.of("backward", "--from", "src", fixture(c[0]).toString(), fixture(c[0]).toString(), out.toString()));
            assertRefused(r, out);
        }
    }

    @Test
    void optionsThatDoNotBelongAreUsageErrors() throws IOException {
        Path in = fixture("fam_x_f4.npy");
        Path out = dir.resolve("never.npy");
        for (String[] c : new String[][] {
                {"--function", "elu", "--slope", "0.1", "--slope does not apply to elu (it takes --alpha, --scale, --input-scale)"},
                {"--function", "selu", "--scale", "2", "--scale does not apply to selu (selu takes no parameters)"},
                {"--function", "selu", "--alpha", "2", "--alpha does not apply to selu"},
                {"--function", "celu", "--input-scale", "2", "--input-scale does not apply to celu (it takes --alpha)"},
                {"--function", "relu", "--alpha", "0", "--alpha does not apply to relu"},
                {"--function", "leaky-relu", "--alpha", "0.1", "--alpha does not apply to leaky-relu (it takes --slope)"},
                {"--function", "gelu", "unknown function 'gelu'"},
                // values the library refuses are usage errors too, however they are spelt
                {"--function", "celu", "--alpha", "0", "alpha must not be 0"},
                {"--function", "elu", "--alpha", "NaN", "alpha must be finite"},
                {"--function", "elu", "--scale", "Infinity", "scale must be finite"},
                {"--function", "leaky-relu", "--slope", "NaN", "slope must be finite"}}) {
            List<String> a = new ArrayList<>(List.of("apply"));
            a.addAll(List.of(c).subList(0, c.length - 1));
            a.addAll(List.of(in.toString(), out.toString()));
            Run r = cli(a);
            assertEquals(2, r.code(), String.join(" ", a) + ": " + r.err());
            assertTrue(r.err().contains(c[c.length - 1]), r.err());
            assertFalse(Files.exists(out));
            a.set(0, "backward");
            a.addAll(1, List.of("--from", "src", in.toString()));
            assertEquals(2, cli(a).code(), String.join(" ", a));
        }
    }

    @Test
    void backwardRefusesMismatchedFiles() throws IOException {
        Path out = dir.resolve("never.npy");
        Path dy = fixture("fam_dy_f4.npy");
        Run shape = cli(List.of("backward", "--from", "src", dy.toString(), fixture("f4_2x3.npy").toString(), out.toString()));
        assertRefused(shape, out);
        assertTrue(shape.err().contains("shape (2, 3) differs"), shape.err());
        Run type = cli(List.of("backward", "--from", "src", dy.toString(), fixture("fam_x_f8.npy").toString(), out.toString()));
        assertRefused(type, out);
        assertTrue(type.err().contains("float64 '<f8' differs"), type.err());
        Run fromOutput = cli(List.of("backward", "--from", "dst", "--alpha", "-1", dy.toString(),
                fixture("fam_x_f4.npy").toString(), out.toString()));
        assertRefused(fromOutput, out);
        assertTrue(fromOutput.err().contains("alpha >= 0"), fromOutput.err());
        assertEquals(2, cli(List.of("backward", "--from", "both", dy.toString(), dy.toString(), out.toString())).code());
        assertEquals(2, cli(List.of("backward", dy.toString(), dy.toString(), out.toString())).code());
        assertFalse(Files.exists(out));
        // an explicit backend that cannot run the call: one line, nothing written
        for (Backend b : Backend.values()) {
            if (b != Backend.AUTO && Elu4j.isAvailable(b) && !Elu.selu().on(b).isSupported(DataType.F64, Elu.Direction.BACKWARD_FROM_INPUT)) {
                Run r = cli(List.of("backward", "--from", "src", "--function", "selu", "--backend", b.cliName(),
                        fixture("fam_dy_f8.npy").toString(), fixture("fam_x_f8.npy").toString(), out.toString()));
                assertRefused(r, out);
            }
        }
    }

    @Test
    void outputMayReplaceAnInput() throws IOException {
        Path dy = dir.resolve("dy.npy");
        Files.copy(fixture("fam_dy_f2.npy"), dy);
        double[] want = row(fixture("fam_bwd_f2.npy"), Fn.RELU.ordinal());
        Run r = cli(List.of("backward", "--from", "src", "--function", "relu", dy.toString(),
                fixture("fam_x_f2.npy").toString(), dy.toString()));
        assertEquals(0, r.code(), r.err());
        double[] got = read(dy, DataType.F16);
        for (int i = 0; i < got.length; i++) {
            assertClose("relu backward in place", DataType.F16, got[i], want[i], 0);
        }
    }
}
