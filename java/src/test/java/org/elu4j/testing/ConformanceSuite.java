package org.elu4j.testing;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.elu4j.Backend;
import org.elu4j.BackendUnavailableException;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.Checks;
import org.elu4j.internal.EluBackend;
import org.elu4j.internal.FloatUlps;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.scalar.ScalarBackend;
import org.elu4j.reference.Reference;
import org.elu4j.testing.Family.Fn;
import org.elu4j.testing.MemoryKind.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one conformance suite: every implementation (each backend through the public API, AUTO, the
 * helper pinned to each ISA level) runs the same grid through a small subclass that names it
 * ({@link #subject()}) and states only what is specific to it. Every result is compared with the
 * scalar oracle ({@link Family#forward}, {@link Family#backward}) within {@link Tolerance}, and
 * with the high-precision {@link Reference} ({@link #agreesWithTheReference}).
 *
 * <ul>
 * <li>Functions ({@link Family#functions()}, {@link Family#functionsAndEdges()}): ELU with alpha
 *     1, 0.5, 2, 1.3, −0.7 and 0; SELU; CELU(0.5) and CELU(2); the general form, also with a
 *     negative input scale and a negative scale; ReLU; LeakyReLU(0.01) and (−0.2); and, in the
 *     cheaper sweeps, parameters at the edges.</li>
 * <li>Types f32, f64, bf16, f16; forward, backward from the input, backward from the output
 *     (where {@link Op#fromOutputProblem()} is not null the public API must refuse it with an
 *     IllegalArgumentException that says why, dx untouched).</li>
 * <li>Memory ({@link MemoryKind}): native segments aligned and at odd addresses, heap segments,
 *     heap arrays, direct and heap typed buffers, direct and heap ByteBuffers; out of place and in
 *     place. Sources unchanged, nothing written outside the destination, buffer positions unmoved.</li>
 * <li>Sizes: 0, 1, the subject's lanes ± 1 (and half of them, for f64), a few vectors and a tail,
 *     1023/1025, 65537, every bf16/f16 pattern, and above the helper's parallel threshold.</li>
 * <li>Values: the specials of {@link Family} (±0, ±inf, NaN payloads, subnormals, huge and tiny,
 *     where exp underflows in each type) first, in every lane position, then random values; dense
 *     sweeps of f32 ELU near 0 and where it saturates.</li>
 * <li>Refusals: a cell the subject answers {@code unsupported} for throws
 *     {@link BackendUnavailableException} with the reason before anything is written, and AUTO runs
 *     it correctly. With {@code -Delu4j.test.expectAllBackends=true} (the Maven build) helper,
 *     vector and every pinned helper level must run every cell; scalar always must.</li>
 * </ul>
 * A subject this machine cannot run (a backend unavailable here, a helper level this CPU lacks)
 * is skipped with the reason; so is a grid whose every cell this CPU's backend refuses (after the
 * refusals and AUTO's fallback were checked). What must run is derived from {@link Machine} and
 * the subject's own answers, never from the CPU the tests were written on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ConformanceSuite {
    private static final int[] SMALL = {0, 1, 7, 15, 16, 17};
    private static final byte MARK = (byte) 0xA5;
    /** The functions that also run 65537 elements (f32 forward and backward from input, f64 forward). */
    private static final Set<String> BIG = Set.of("elu(1)", "elu(1.3)", "selu", "elu(1.3,0.9,0.7)", "leakyRelu(0.01)");

    /** The implementation under test. */
    protected abstract Candidate subject();

    /** Float lanes of the subject's widest kernel: the awkward sizes are lanes ± 1 (16 unless said). */
    protected int lanes() {
        return 16;
    }

    /**
     * Whether the subject's bf16/f16 results are exactly its own f32 results (on the widened
     * inputs) rounded to nearest even: true for helper, vector and scalar, which compute in f32.
     */
    protected boolean halfIsItsF32ResultRounded() {
        return false;
    }

    @BeforeAll
    void runsHere() {
        String why = subject().unavailableHere();
        Assumptions.assumeTrue(why == null, why);
    }

    protected Stream<Fn> functions() {
        return Family.functions().stream();
    }

    protected Stream<Arguments> functionsAndTypes() {
        return Family.functions().stream().flatMap(fn -> Stream.of(DataType.values()).map(t -> Arguments.of(fn, t)));
    }

    protected Stream<Arguments> typesAndPasses() {
        return Stream.of(DataType.values()).flatMap(t -> Stream.of(Pass.values()).map(p -> Arguments.of(t, p)));
    }

    // ---------------------------------------------------------------------------------------------
    // The grid

    /**
     * Every pass × memory kind of one function and type: 1023 or 1025 elements out of place with
     * the specials first (65537 for {@link #BIG} functions on aligned memory; every bf16/f16
     * pattern forward), 0 to 17 in place.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("functionsAndTypes")
    void everyCellAgreesWithTheOracle(Fn fn, DataType type) {
        Grid grid = new Grid(subject(), fn, type);
        int index = 0;
        for (Pass pass : Pass.values()) {
            for (MemoryKind kind : MemoryKind.values()) {
                boolean exhaustiveHalf = pass == Pass.FORWARD && kind == MemoryKind.NATIVE_ALIGNED
                        && (type == DataType.BF16 || type == DataType.F16);
                boolean big = kind == MemoryKind.NATIVE_ALIGNED && BIG.contains(fn.name())
                        && (type == DataType.F32 ? pass != Pass.BACKWARD_FROM_OUTPUT : type == DataType.F64 && pass == Pass.FORWARD);
                int outN = big ? 65537 : index % 2 == 0 ? 1023 : 1025;
                int inN = SMALL[index % SMALL.length];
                long seed = (((long) fn.name().hashCode() * 31 + type.ordinal()) * 31 + pass.ordinal()) * 31 + kind.ordinal();
                index++;
                if (!grid.runs(pass, kind, seed)) {
                    continue;
                }
                Op op = fn.op();
                byte[] x = exhaustiveHalf ? Family.allHalfPatterns(1) : Family.inputs(type, op, outN, seed);
                grid.check(pass, kind, x, null, false, 1, seed);
                grid.check(pass, kind, Family.inputs(type, op, inN, seed + 1), null, true, 1, seed + 1);
            }
        }
        grid.assertClean();
    }

    /** Sizes around the subject's vectors (and half of them: f64 lanes), a few vectors plus a tail, and 1000 + odd. */
    protected int[] awkwardSizes() {
        int l = lanes();
        return new TreeSet<>(List.of(0, 1, 2, 3, l / 2 - 1, l / 2, l / 2 + 1, l - 1, l, l + 1, 2 * l - 1, 2 * l + 1,
                4 * l + 3, 63, 64, 65, 1001)).stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Every function (edges included) at every awkward size, out of place on native memory aligned,
     * at odd addresses and on heap segments one to three elements in (rotating, offsets varying
     * between operands), and in place.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("typesAndPasses")
    void awkwardSizesAndOffsets(DataType type, Pass pass) {
        MemoryKind[] kinds = {MemoryKind.NATIVE_ODD, MemoryKind.HEAP_SEGMENT, MemoryKind.NATIVE_ALIGNED};
        List<String> failures = new ArrayList<>();
        Set<String> cpuRefusals = new TreeSet<>();
        int ran = 0;
        int k = 0;
        for (Fn fn : sweepFunctions()) {
            Grid grid = new Grid(subject(), fn, type);
            for (int n : awkwardSizes()) {
                for (boolean inPlace : new boolean[] {false, true}) {
                    MemoryKind kind = kinds[k % kinds.length];
                    long seed = 977L * k + n;
                    int role = k++;
                    if (grid.runs(pass, kind, seed)) {
                        grid.check(pass, kind, Family.inputs(type, fn.op(), n, seed), null, inPlace, role, seed);
                    }
                }
            }
            failures.addAll(grid.failures);
            ran += grid.ran;
            cpuRefusals.addAll(grid.cpuRefusals);
        }
        report(failures, subject() + " " + type.cliName() + " " + pass.label());
        skipIfTheCpuRefusesAll(ran, cpuRefusals, type);
    }

    /**
     * Whether backward from the output must follow the definition for any y, also one no input
     * gives (below {@code -alpha * scale}, huge, NaN): then {@link #specialsInEveryLane} passes the
     * specials as y; else it passes y = f(special x).
     */
    protected boolean takesAnyOutput() {
        return true;
    }

    /** The functions held to the exact value ({@link #agreesWithTheReference}): every one the suite runs, {@link #halfFunctions()}. */
    protected Stream<Fn> referenceFunctions() {
        return halfFunctions().stream();
    }

    /** {@link #sweepFunctions()} and {@link Family#hugeCoefficients()}: the bf16/f16 bit-for-bit check's functions. */
    protected List<Fn> halfFunctions() {
        List<Fn> all = new ArrayList<>(sweepFunctions());
        all.addAll(Family.hugeCoefficients());
        return all;
    }

    /** The functions of the cheaper sweeps (awkward sizes, specials in every lane): {@link Family#functionsAndEdges()}. */
    protected List<Fn> sweepFunctions() {
        return Family.functionsAndEdges();
    }

    private void skipIfTheCpuRefusesAll(int ran, Set<String> cpuRefusals, DataType type) {
        Assumptions.assumeTrue(ran > 0 || cpuRefusals.isEmpty(), () -> subject() + " cannot run " + type.cliName()
                + " on this CPU (refusals and AUTO's fallback checked): " + String.join("; ", cpuRefusals));
    }

    /** Each special value (and special gradient) in every lane position of a few vectors, for every function. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("typesAndPasses")
    void specialsInEveryLane(DataType type, Pass pass) {
        List<String> failures = new ArrayList<>();
        Set<String> cpuRefusals = new TreeSet<>();
        int ran = 0;
        for (Fn fn : sweepFunctions()) {
            Grid grid = new Grid(subject(), fn, type);
            byte[] specials = Family.specials(type, fn.op());
            int count = specials.length / type.byteSize();
            long seed = fn.name().hashCode();
            if (!grid.runs(pass, MemoryKind.NATIVE_ALIGNED, seed)) {
                failures.addAll(grid.failures);
                cpuRefusals.addAll(grid.cpuRefusals);
                continue;
            }
            for (int shift = 0; shift < count; shift += 5) {
                byte[] x = Family.rotated(type, specials, 67, shift, 1);
                byte[] dy = Family.rotated(type, specials, 67, shift + 3, 7);
                if (pass == Pass.BACKWARD_FROM_OUTPUT && !takesAnyOutput()) {
                    x = Family.forward(fn.op(), type, x); // y = f(special x)
                }
                grid.check(pass, MemoryKind.NATIVE_ALIGNED, x, dy, false, 0, seed);
            }
            failures.addAll(grid.failures);
            ran += grid.ran;
            cpuRefusals.addAll(grid.cpuRefusals);
        }
        report(failures, subject() + " " + type.cliName() + " " + pass.label());
        skipIfTheCpuRefusesAll(ran, cpuRefusals, type);
    }

    /**
     * Where the subject computes bf16/f16 in f32 ({@link #halfIsItsF32ResultRounded()}): every
     * result is its own f32 result on the widened inputs, rounded to nearest even; forward on every
     * bf16/f16 pattern (and one more: a tail), bit for bit, a NaN's sign and payload included
     * (not its quiet bit: whether the JVM's binary16 widening quiets a signalling NaN depends on
     * its intrinsics); backward on random inputs with the specials, where a
     * NaN may be any NaN (which of x, y and dy it comes from is the backend's), and on ordinary ones
     * (x or y in [-12, 4], dy any finite pattern: products overflow the type, and exceed 2^64 with
     * {@link Family#hugeCoefficients()}) where the fused kernels run whole vectors, since a special
     * in a vector sends it to the staged path.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("halfFunctions")
    void halfPrecisionIsItsOwnF32ResultRounded(Fn fn) {
        Assumptions.assumeTrue(halfIsItsF32ResultRounded(), () -> "bf16/f16 as the f32 result rounded: not promised by "
                + subject() + " (oneDNN rounds every intermediate; AUTO's picks are held to it in their own suites)");
        Candidate c = subject();
        Op op = fn.op();
        List<String> failures = new ArrayList<>();
        for (DataType type : new DataType[] {DataType.BF16, DataType.F16}) {
            for (Pass pass : Pass.values()) {
                if (pass == Pass.BACKWARD_FROM_OUTPUT && op.fromOutputProblem() != null) {
                    continue;
                }
                boolean forward = pass == Pass.FORWARD;
                for (boolean ordinary : forward ? new boolean[] {false} : new boolean[] {false, true}) {
                    int n = forward ? 0x10001 : ordinary ? 4096 : 1001;
                    long seed = fn.name().hashCode() * 7L + type.ordinal() * 3L + pass.ordinal();
                    byte[] x = forward ? Family.allHalfPatterns(1)
                            : ordinary ? Family.ordinaryHalves(type, n, seed) : Family.inputs(type, op, n, seed);
                    byte[] xy = pass == Pass.BACKWARD_FROM_OUTPUT && !ordinary ? Family.forward(op, type, x) : x;
                    byte[] dy = ordinary ? Family.finiteHalfPatterns(type, n, seed) : Family.gradients(type, n, seed);
                    byte[] got = runOn(c, op, type, pass, dy, xy);
                    byte[] own = runOn(c, op, DataType.F32, pass, widen(type, dy), widen(type, xy));
                    for (int i = 0; i < n; i++) {
                        float f = MemorySegment.ofArray(own).getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                        short g = MemorySegment.ofArray(got).getAtIndex(JAVA_SHORT_UNALIGNED, i);
                        // a NaN forward: its pattern but for the quiet bit, which the JVM's own
                        // binary16 widening (the f32 input here) sets or not (vcvtph2ps quiets a
                        // signalling NaN, Float.float16ToFloat's Java code keeps it)
                        int quiet = type == DataType.BF16 ? 0x0040 : 0x0200;
                        boolean ok = !Float.isNaN(f) ? ScalarBackend.narrow(type, f) == g
                                : forward ? Float.isNaN(ScalarBackend.widen(type, g))
                                        && ((ScalarBackend.narrow(type, f) | quiet) == (g | quiet))
                                : Float.isNaN(ScalarBackend.widen(type, g));
                        if (!ok && failures.size() < 10) {
                            failures.add(String.format("%s %s [%d] xy=%s dy=%s: 0x%04x, its f32 result %s rounds to 0x%04x",
                                    type.cliName(), pass.label(), i, Family.value(type, xy, i), Family.value(type, dy, i),
                                    g & 0xFFFF, f, ScalarBackend.narrow(type, f) & 0xFFFF));
                        }
                    }
                }
            }
        }
        report(failures, c + " " + fn);
    }

    /** Runs a whole call on aligned native memory below the public API's overloads (for comparisons between types). */
    private static byte[] runOn(Candidate c, Op op, DataType type, Pass pass, byte[] dy, byte[] xy) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment g = arena.allocate(Math.max(1, dy.length), 64).asSlice(0, dy.length).copyFrom(MemorySegment.ofArray(dy));
            MemorySegment v = arena.allocate(Math.max(1, xy.length), 64).asSlice(0, xy.length).copyFrom(MemorySegment.ofArray(xy));
            MemorySegment out = arena.allocate(Math.max(1, xy.length), 64).asSlice(0, xy.length);
            EluBackend b = c.pinned() ? c.pinnedBackend() : BackendProvider.get().select(c.backend(), op, type, pass, false);
            if (pass == Pass.FORWARD) {
                b.forward(op, type, v, out, 1);
            } else {
                b.backward(op, type, pass == Pass.BACKWARD_FROM_OUTPUT, g, v, out);
            }
            return out.toArray(JAVA_BYTE);
        }
    }

    private static byte[] widen(DataType type, byte[] half) {
        int n = half.length / 2;
        MemorySegment out = MemorySegment.ofArray(new byte[n * 4]);
        for (int i = 0; i < n; i++) {
            out.setAtIndex(JAVA_FLOAT_UNALIGNED, i, ScalarBackend.widen(type, MemorySegment.ofArray(half).getAtIndex(JAVA_SHORT_UNALIGNED, i)));
        }
        return (byte[]) out.heapBase().orElseThrow();
    }

    /** Whether the subject has a parallel path (the helper through the public API, AUTO): then parallel mode runs above its threshold. */
    protected boolean hasParallelPath() {
        return false;
    }

    /**
     * Parallel mode gives the serial bits: above the helper's parallel threshold where the subject
     * has a parallel path, else (parallel mode runs serially) at 4099 elements.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("parallelCases")
    void parallelForwardGivesTheSerialBits(DataType type) {
        Candidate c = subject();
        int n = hasParallelPath() ? (int) org.elu4j.internal.helper.HelperBackend.parallelMinElements() + 1001 : 4099;
        List<String> refused = new ArrayList<>();
        for (Fn fn : List.of(Family.functions().get(0), Family.functions().get(6), Family.functions().get(13))) {
            Op op = fn.op();
            String why = c.whyNot(op, type, Pass.FORWARD, false);
            if (why != null) {
                refused.add(fn + ": " + why); // the grid checks the refusal
                continue;
            }
            byte[] x = Family.inputs(type, op, n, n);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment src = arena.allocate(x.length + 2L, 64).asSlice(2, x.length).copyFrom(MemorySegment.ofArray(x));
                MemorySegment serial = arena.allocate(x.length, 64);
                MemorySegment parallel = arena.allocate(x.length + 2L, 64).asSlice(2, x.length);
                if (c.pinned()) {
                    c.pinnedBackend().forward(op, type, src, serial, 1);
                    c.pinnedBackend().forward(op, type, src, parallel, 2);
                } else {
                    fn.elu().on(c.backend()).apply(src, serial, type);
                    fn.elu().on(c.backend()).parallel(2).apply(src, parallel, type);
                }
                assertEquals(-1, serial.mismatch(parallel), c + " " + fn + " " + type.cliName() + " n=" + n
                        + ": parallel differs from serial");
            }
        }
        Assumptions.assumeTrue(refused.size() < 3, () -> c + " runs none of its functions in " + type.cliName()
                + " (" + String.join("; ", refused) + ")");
    }

    protected Stream<DataType> parallelCases() {
        return Stream.of(DataType.values());
    }

    // ---------------------------------------------------------------------------------------------
    // What the subject says it runs, and the definition's edges

    /**
     * The subject's answers agree with {@link Elu#isSupported}; helper, vector, scalar and every
     * pinned helper level run every function, type and pass (when all backends are expected);
     * prints how many cells the subject cannot run and why.
     */
    @Test
    void supportMatrix() {
        Candidate c = subject();
        List<String> problems = new ArrayList<>();
        Map<String, Integer> reasons = new TreeMap<>();
        for (Fn fn : Family.functionsAndEdges()) {
            for (DataType t : DataType.values()) {
                for (Pass p : Pass.values()) {
                    if (p == Pass.BACKWARD_FROM_OUTPUT && fn.op().fromOutputProblem() != null) {
                        assertTrue(!fn.elu().hasBackwardFromOutput()
                                && !fn.elu().on(c.backend()).isSupported(t, Elu.Direction.BACKWARD_FROM_OUTPUT), fn.name());
                        continue;
                    }
                    String why = c.whyNot(fn.op(), t, p, false);
                    if (!c.pinned() && fn.elu().on(c.backend()).isSupported(t, Elu.Direction.valueOf(p.name())) != (why == null)) {
                        problems.add(fn + " " + t.cliName() + " " + p.label() + ": isSupported disagrees with " + why);
                    }
                    if (why != null) {
                        reasons.merge(why, 1, Integer::sum);
                        if (c.mustSupportEverything() || (c.pinned() && Boolean.getBoolean("elu4j.test.expectAllBackends"))) {
                            problems.add(fn + " " + t.cliName() + " " + p.label() + ": " + why);
                        }
                    }
                }
            }
        }
        if (!reasons.isEmpty()) {
            System.out.println(getClass().getSimpleName() + ": " + c + " cannot run "
                    + reasons.values().stream().mapToInt(Integer::intValue).sum() + " of the function x type x pass cells: " + reasons);
        }
        assertEquals(List.of(), problems, c + ": " + problems.size() + " cells");
    }

    /**
     * Zeros and the smallest inputs for alphas whose sign decides the sign of the result (Op:
     * ELU(±0) is {@code alpha * scale * expm1(±0 * inputScale)}, so -0.0 for +0.0 when alpha is
     * negative), including powers of two (the float kernels) and alpha = -0.0.
     */
    @Test
    void zeroSignsFollowTheDefinitionForEverySignOfAlpha() {
        Candidate c = subject();
        float[] xs = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, -1e-40f, -3e-8f, Float.NaN, Float.NEGATIVE_INFINITY, -1f, 1f};
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (double alpha : new double[] {-1, -0.5, -2, -0.7, -0.0, 0.0, 1, 0.3}) {
            Op op = Op.elu(alpha);
            if (c.whyNot(op, DataType.F32, Pass.FORWARD, false) != null) {
                continue; // the grid reports refused cells
            }
            checked++;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment src = arena.allocateFrom(JAVA_FLOAT, xs);
                MemorySegment dst = arena.allocate(4L * xs.length, 64);
                if (c.pinned()) {
                    c.pinnedBackend().forward(op, DataType.F32, src, dst, 1);
                } else {
                    Elu.elu(alpha).on(c.backend()).apply(src, dst);
                }
                Backend judge = c.judgedAs(op, DataType.F32, Pass.FORWARD, false);
                for (int i = 0; i < xs.length; i++) {
                    float got = dst.getAtIndex(JAVA_FLOAT, i);
                    float want = ScalarBackend.forward(op, xs[i]);
                    String p = Tolerance.f32(judge, op, Pass.FORWARD, Float.NaN, xs[i], got, want);
                    if (p != null) {
                        problems.add(String.format("alpha=%s: ELU(%s) = %s, oracle %s: %s", alpha, xs[i], got, want, p));
                    }
                }
            }
        }
        Assumptions.assumeTrue(checked > 0, () -> c + " refuses f32 ELU for every alpha here");
        assertEquals(List.of(), problems, c.toString());
    }

    /**
     * The specials of {@link Inputs#SPECIALS} have exact results for f32 ELU: positive x itself,
     * ELU(x <= -88) = -alpha, +0.0 for +0.0, -0.0 for -0.0 (oneDNN: +0.0, documented), NaN for NaN,
     * and tiny negatives stay negative (oneDNN: may give 0).
     */
    @Test
    void f32EluSpecialValuesHaveExactResults() {
        Candidate c = subject();
        float[] x = Inputs.SPECIALS;
        for (float alpha : new float[] {1f, 0.5f, 2f, 1.6732632f}) {
            float[] y = runNative(c, alpha, x, 0, 0, false);
            boolean onednn = c.judgedAs(Op.elu(alpha), DataType.F32, Pass.FORWARD, false) == Backend.ONEDNN;
            for (int i = 0; i < x.length; i++) {
                float xi = x[i];
                float yi = y[i];
                String what = c + ": ELU(" + xi + ", " + alpha + ") = " + yi;
                if (Float.isNaN(xi)) {
                    assertTrue(Float.isNaN(yi), what);
                } else if (xi > 0) {
                    assertEquals(Float.floatToRawIntBits(xi), Float.floatToRawIntBits(yi), what);
                } else if (xi <= -88f) {
                    assertEquals(-alpha, yi, what);
                } else if (xi == 0f && Float.floatToRawIntBits(xi) == 0) {
                    assertEquals(0, Float.floatToRawIntBits(yi), what);
                } else if (xi == 0f) {
                    assertEquals(onednn ? 0 : 0x80000000, Float.floatToRawIntBits(yi), what);
                } else if (!onednn) {
                    assertTrue(Float.floatToRawIntBits(yi) < 0, what);
                }
            }
        }
    }

    /**
     * LeakyReLU's f32 product is correctly rounded, not merely within 1 ulp, forward and backward,
     * on 2^16 random negative inputs whose products are normal floats: for slopes that are no
     * float (the helper's and the vector backend's float pair), a float slope, and slopes outside
     * the pair's range (in double); against the exact product ({@link BigDecimal}) rounded by the
     * JDK. The pair's error before its rounding is below 2^-46 of the product, so a random input
     * is rounded otherwise about once in 2^22; the float slope's own product instead (the pair
     * without its low part) is off in a large share. oneDNN multiplies by the slope rounded to
     * float (within 1 ulp: {@link Tolerance}) and is not held to this.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(doubles = {0.01, -0.2, 0.1, 1.0 / 3, 0.25, 1e-30, 3e20})
    void leakyReluProductsAreCorrectlyRounded(double slope) {
        Candidate c = subject();
        Op op = Op.leakyRelu(slope);
        int n = 1 << 16;
        int ran = 0;
        for (Pass pass : new Pass[] {Pass.FORWARD, Pass.BACKWARD_FROM_INPUT}) {
            if (c.judgedAs(op, DataType.F32, pass, false) == Backend.ONEDNN) {
                continue;
            }
            ran++;
            SplittableRandom random = new SplittableRandom(Double.hashCode(slope) * 31L + pass.ordinal());
            MemorySegment v = MemorySegment.ofArray(new byte[4 * n]);
            MemorySegment minusOne = MemorySegment.ofArray(new byte[4 * n]);
            for (int i = 0; i < n; i++) {
                v.setAtIndex(JAVA_FLOAT_UNALIGNED, i, -Math.scalb((float) (1 + random.nextDouble()), random.nextInt(-20, 20)));
                minusOne.setAtIndex(JAVA_FLOAT_UNALIGNED, i, -1f);
            }
            byte[] vb = v.toArray(JAVA_BYTE);
            byte[] got = pass == Pass.FORWARD ? runOn(c, op, DataType.F32, pass, new byte[0], vb)
                    : runOn(c, op, DataType.F32, pass, vb, minusOne.toArray(JAVA_BYTE));
            BigDecimal exactSlope = new BigDecimal(slope);
            int off = 0;
            String first = null;
            for (int i = 0; i < n; i++) {
                float x = v.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                float want = exactSlope.multiply(new BigDecimal(x)).floatValue();
                float g = MemorySegment.ofArray(got).getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                if (Float.floatToRawIntBits(g) != Float.floatToRawIntBits(want) && off++ == 0) {
                    first = pass.label() + " " + slope + " * " + x + ": " + g + ", correctly rounded " + want;
                }
            }
            assertTrue(off <= 2, c + ": " + off + " of " + n + " products not correctly rounded, first " + first);
        }
        Assumptions.assumeTrue(ran > 0, () -> c + " runs LeakyReLU on oneDNN, which multiplies by the slope rounded"
                + " to float (held to 1 ulp by the other tests)");
    }

    /** Whether {@link #f32EluOverManyValuesAndDenseSweeps} runs (AUTO: no, it runs f32 ELU on a backend swept on its own). */
    protected boolean sweepsF32Elu() {
        return true;
    }

    /**
     * f32 ELU (alpha 1, 0.5, 2) on 2^20 random values, every 61st float in [-2, 0) (17.6M, where
     * expm1 cancels) and every float in [-17.4, -17.2] (where the result saturates).
     */
    @Test
    void f32EluOverManyValuesAndDenseSweeps() {
        Assumptions.assumeTrue(sweepsF32Elu(), () -> subject() + " runs f32 ELU on a backend whose own suite sweeps it");
        Candidate c = subject();
        float[] x = Inputs.random(1 << 20, 7);
        for (float alpha : new float[] {1f, 0.5f, 2f}) {
            runNative(c, alpha, x, 0, 0, false);
        }
        float[] near = new float[(0x40000000 / 61) + 1];
        int k = 0;
        for (int bits = 0x80000001; bits != 0xC0000001 && k < near.length; bits += 61) {
            near[k++] = Float.intBitsToFloat(bits);
        }
        runNative(c, 1f, Arrays.copyOf(near, k), 0, 0, false);
        List<Float> sat = new ArrayList<>();
        for (float v = -17.4f; v <= -17.2f; v = Math.nextUp(v)) {
            sat.add(v);
        }
        float[] s = new float[sat.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = sat.get(i);
        }
        runNative(c, 1f, s, 0, 0, false);
    }

    /**
     * f32 and f64 results against the 60-digit reference ({@link References#of}) at a few hundred
     * points per function and pass (the exact values are computed once per JVM and shared between
     * subjects): within {@link #referenceBound} units of the type of the exact value plus the
     * backward slack of {@link Tolerance} (where {@code y + alpha * scale} cancels or exp is
     * subnormal); oneDNN within {@link Tolerance}'s absolute bounds around the exact value
     * rounded. The largest error in units is printed.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("referenceFunctions")
    void agreesWithTheReference(Fn fn) {
        Candidate c = subject();
        Op op = fn.op();
        StringBuilder out = new StringBuilder();
        List<String> failures = new ArrayList<>();
        int ran = 0;
        int limited = 0;
        for (DataType type : new DataType[] {DataType.F32, DataType.F64}) {
            for (Pass pass : Pass.values()) {
                if ((pass == Pass.BACKWARD_FROM_OUTPUT && op.fromOutputProblem() != null)
                        || c.whyNot(op, type, pass, false) != null) {
                    continue;
                }
                ran++;
                Backend judge = c.judgedAs(op, type, pass, false);
                Exact exact = Exact.of(fn, type, pass);
                double[] g = Family.values(type, runOn(c, op, type, pass, bytes(type, exact.dy), bytes(type, exact.xy)));
                double worst = 0;
                double units = referenceBound(judge, type, pass);
                for (int i = 0; i < g.length; i++) {
                    BigDecimal e = exact.value[i];
                    if (e == null) {
                        continue;
                    }
                    if (judge != Backend.ONEDNN && DocumentedLimits.why(op, type, pass, exact.dy[i], exact.xy[i]) != null) {
                        limited++;
                        continue;
                    }
                    double ed = e.doubleValue();
                    double max = type == DataType.F32 ? Float.MAX_VALUE : Double.MAX_VALUE;
                    String problem;
                    if (Math.abs(ed) > max || !Double.isFinite(g[i])) { // overflow (a negative input scale)
                        problem = Math.abs(ed) >= max && (Double.isInfinite(g[i]) || Math.abs(g[i]) == max)
                                && Math.signum(g[i]) == e.signum() ? null : "overflow mismatch";
                    } else {
                        double unit = type == DataType.F32 ? Math.ulp((float) ed) : Math.ulp(ed);
                        double err = e.subtract(new BigDecimal(g[i])).abs().doubleValue();
                        double slack = Tolerance.slack(op, pass, exact.dy[i], exact.xy[i], type);
                        if (judge != Backend.ONEDNN && slack == 0 && Math.abs(ed) >= (type == DataType.F32 ? 0x1p-120 : 0x1p-1000)) {
                            worst = Math.max(worst, err / unit);
                        }
                        if (judge == Backend.ONEDNN) {
                            problem = Tolerance.f32(judge, op, pass, (float) exact.dy[i], (float) exact.xy[i], (float) g[i], e.floatValue());
                        } else {
                            double allowed = units * unit + slack;
                            problem = err <= allowed ? null : String.format("%.2f units > %s", err / unit, units);
                        }
                    }
                    if (problem != null && failures.size() < 10) {
                        failures.add(String.format("%s %s x/y=%s dy=%s: %s, exact %s: %s", type.cliName(), pass.label(),
                                exact.xy[i], exact.dy[i], g[i], e.round(new java.math.MathContext(20)), problem));
                    }
                }
                out.append(judge == Backend.ONEDNN ? String.format(" %s %s: absolute bounds;", type.cliName(), pass.label())
                        : String.format(" %s %s %.2f;", type.cliName(), pass.label(), worst));
            }
        }
        Assumptions.assumeTrue(ran > 0, () -> c + " runs " + fn + " in neither f32 nor f64: "
                + c.whyNot(op, DataType.F32, Pass.FORWARD, false));
        System.out.println(getClass().getSimpleName() + ": " + c + " " + fn + " max units from the exact value:" + out
                + (limited == 0 ? "" : " (" + limited + " points in a limit docs/accuracy.md lists, left out)"));
        report(failures, c + " " + fn);
    }

    /**
     * The bound from the exact value, in ulps of the type at the exact value (plus the backward
     * slack): f32 1 ulp forward and 2 backward, f64 3 forward (the vector backend's documented
     * bound for its f64 expm1) and 4 backward. Measured on helper, vector and scalar: at most 0.8
     * ulp in f32 and 2.2 in f64. oneDNN: not used ({@link Tolerance}'s absolute bounds apply).
     */
    protected double referenceBound(Backend judge, DataType type, Pass pass) {
        if (type == DataType.F32) {
            return pass == Pass.FORWARD ? 1 : 2;
        }
        return pass == Pass.FORWARD ? 3 : 4;
    }

    /** The points of {@link #agreesWithTheReference} and their exact results, once per JVM. */
    private record Exact(double[] xy, double[] dy, BigDecimal[] value) {
        private static final Map<String, Exact> CACHE = new java.util.concurrent.ConcurrentHashMap<>();
        private static final int N = Integer.getInteger("elu4j.test.referenceSamples", 400);

        static Exact of(Fn fn, DataType type, Pass pass) {
            return CACHE.computeIfAbsent(fn.name() + " " + type + " " + pass, k -> make(fn, type, pass));
        }

        private static Exact make(Fn fn, DataType type, Pass pass) {
            Op op = fn.op();
            Reference ref = References.of(op);
            SplittableRandom r = new SplittableRandom(fn.name().hashCode() + 31L * type.ordinal() + pass.ordinal());
            double[] xy = new double[N];
            double[] dy = new double[N];
            BigDecimal[] value = new BigDecimal[N];
            for (int i = 0; i < N; i++) {
                // |x * inputScale| from 1e-11 to 110 (f64: to 735) on the negative side, some positives
                double t = -Math.exp(r.nextDouble(-25, type == DataType.F32 ? 4.7 : 6.6));
                double x = i % 8 == 0 ? r.nextDouble(0, 50) : t / Math.abs(op.inputScale());
                x = type == DataType.F32 ? (float) x : x;
                double y = type == DataType.F32 ? ScalarBackend.forward(op, (float) x) : ScalarBackend.forward(op, x);
                xy[i] = pass == Pass.BACKWARD_FROM_OUTPUT ? y : x;
                dy[i] = type == DataType.F32 ? (float) r.nextDouble(-4, 4) : r.nextDouble(-4, 4);
                if (xy[i] != 0 && Double.isFinite(xy[i]) && dy[i] != 0) { // the reference states ±0 and ±inf directly
                    value[i] = pass == Pass.FORWARD ? ref.forward(xy[i]) : ref.backward(pass == Pass.BACKWARD_FROM_OUTPUT, dy[i], xy[i]);
                }
            }
            return new Exact(xy, dy, value);
        }
    }

    private static byte[] bytes(DataType type, double[] v) {
        MemorySegment s = MemorySegment.ofArray(new byte[v.length * type.byteSize()]);
        for (int i = 0; i < v.length; i++) {
            if (type == DataType.F32) {
                s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, (float) v[i]);
            } else {
                s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED, i, v[i]);
            }
        }
        return (byte[]) s.heapBase().orElseThrow();
    }

    // ---------------------------------------------------------------------------------------------
    // Running f32 ELU on guarded native memory

    private static final byte GUARD = (byte) 0x5A;
    private static final int GUARD_BYTES = 64;

    /** Runs f32 ELU on c with x at the given byte offsets in guarded native buffers, checks it, returns the result. */
    protected static float[] runNative(Candidate c, float alpha, float[] x, long srcOff, long dstOff, boolean inPlace) {
        long bytes = (long) x.length * Float.BYTES;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment srcBuf = arena.allocate(bytes + 2 * GUARD_BYTES, 64).fill(GUARD);
            MemorySegment src = srcBuf.asSlice(GUARD_BYTES + srcOff, bytes);
            MemorySegment.copy(MemorySegment.ofArray(x), 0, src, 0, bytes);
            MemorySegment dstBuf = inPlace ? srcBuf : arena.allocate(bytes + 2 * GUARD_BYTES, 64).fill(GUARD);
            MemorySegment dst = inPlace ? src : dstBuf.asSlice(GUARD_BYTES + dstOff, bytes);
            c.apply(alpha, src, dst);
            long start = GUARD_BYTES + (inPlace ? srcOff : dstOff);
            for (long i = 0; i < dstBuf.byteSize(); i++) {
                if ((i < start || i >= start + bytes) && dstBuf.get(JAVA_BYTE, i) != GUARD) {
                    fail(c + ": wrote outside the destination at buffer byte " + i + " (n=" + x.length + ")");
                }
            }
            if (!inPlace && src.mismatch(MemorySegment.ofArray(x)) != -1) {
                fail(c + ": modified its source");
            }
            float[] y = new float[x.length];
            MemorySegment.copy(dst, 0, MemorySegment.ofArray(y), 0, bytes);
            int failures = 0;
            StringBuilder report = new StringBuilder();
            for (int i = 0; i < x.length; i++) {
                float want = Candidate.oracle(x[i], alpha);
                String problem = c.check(x[i], alpha, y[i], want);
                if (problem != null && failures++ < 5) {
                    report.append(String.format("%n  ELU(%s [0x%08x], alpha=%s) = %s, oracle %s: %s", x[i],
                            Float.floatToRawIntBits(x[i]), alpha, y[i], want, problem));
                }
            }
            if (failures > 0) {
                fail(c + ": " + failures + " of " + x.length + " results out of tolerance" + report);
            }
            return y;
        }
    }

    private static void report(List<String> failures, String what) {
        if (failures.isEmpty()) {
            return;
        }
        for (String f : failures) {
            System.out.println("CONFORMANCE-FAIL " + what + ": " + f.lines().findFirst().orElse(f));
        }
        StringBuilder sb = new StringBuilder();
        failures.stream().limit(25).forEach(f -> sb.append("\n  ").append(f));
        if (failures.size() > 25) {
            sb.append("\n  ... and ").append(failures.size() - 25).append(" more");
        }
        fail(what + ": " + failures.size() + " failures" + sb);
    }

    // ---------------------------------------------------------------------------------------------

    /** The cells of one subject, function and type; collects every failure before failing. */
    static final class Grid {
        private final Candidate c;
        private final Fn fn;
        private final Op op;
        private final DataType type;
        final List<String> failures = new ArrayList<>();
        /** Cells that ran, and the refusals that name this CPU (a type the backend lacks here). */
        int ran;
        final Set<String> cpuRefusals = new TreeSet<>();

        Grid(Candidate c, Fn fn, DataType type) {
            this.c = c;
            this.fn = fn;
            this.op = fn.op();
            this.type = type;
        }

        private String name(Pass pass, MemoryKind kind) {
            return c + " " + fn + " " + type.cliName() + " " + Family.label(pass) + " " + kind;
        }

        /**
         * Whether the subject runs this cell; if not, checks the refusal (backward from the output
         * where undefined: IllegalArgumentException; a cell the subject cannot run:
         * BackendUnavailableException with the reason, nothing written, AUTO runs it).
         */
        boolean runs(Pass pass, MemoryKind kind, long seed) {
            String name = name(pass, kind);
            if (pass == Pass.BACKWARD_FROM_OUTPUT && op.fromOutputProblem() != null) {
                if (!c.pinned()) {
                    fromOutputRefused(name, kind, 17, seed);
                }
                return false;
            }
            String why = c.whyNot(op, type, pass, kind.heap());
            if (why != null) {
                if (why.contains("on this CPU") && type != DataType.F64) { // oneDNN never runs f64: not this CPU's lack
                    cpuRefusals.add(why);
                }
                if (c.mustSupportEverything()) {
                    failures.add(name + ": unsupported, but " + c.backend().cliName() + " must run every cell: " + why);
                }
                if (!c.pinned()) {
                    refusedThenAuto(name, pass, kind, why, seed);
                }
                return false;
            }
            ran++;
            return true;
        }

        /**
         * One call on fresh tensors of {@code kind} checked against the oracle: {@code x} the
         * input (backward from the output: y = oracle(x), unless {@code dy} is given, then {@code x}
         * stands for y), {@code dy} the gradients (null: {@link Family#gradients}).
         */
        void check(Pass pass, MemoryKind kind, byte[] x, byte[] dyGiven, boolean inPlace, int role, long seed) {
            String name = name(pass, kind) + (inPlace ? " in-place" : " out-of-place") + " n=" + x.length / type.byteSize();
            run(name, c, pass, kind, x, dyGiven, seed, inPlace, role);
        }

        private void run(String name, Candidate who, Pass pass, MemoryKind kind, byte[] x, byte[] dyGiven, long seed,
                boolean inPlace, int role) {
            try (Arena arena = Arena.ofConfined()) {
                boolean heap = kind.heap();
                Backend judge = who.judgedAs(op, type, pass, heap);
                byte[] want;
                byte[] dy = null;
                byte[] xy;
                Tensor in;
                Tensor out;
                Tensor g = null;
                if (pass == Pass.FORWARD) {
                    xy = x;
                    want = Family.forward(op, type, x);
                    in = kind.make(arena, type, x, role);
                    out = inPlace ? in : kind.make(arena, type, marked(x.length), role + 1);
                } else {
                    boolean fromOutput = pass == Pass.BACKWARD_FROM_OUTPUT;
                    dy = dyGiven != null ? dyGiven : Family.gradients(type, x.length / type.byteSize(), seed);
                    xy = fromOutput && dyGiven == null ? Family.forward(op, type, x) : x;
                    want = Family.backward(op, type, fromOutput, dy, xy);
                    g = kind.make(arena, type, dy, role);
                    in = kind.make(arena, type, xy, role + 1);
                    out = inPlace ? g : kind.make(arena, type, marked(x.length), role + 2);
                }
                try {
                    call(who, pass, g, in, out);
                } catch (RuntimeException e) {
                    failures.add(name + ": threw " + e);
                    return;
                }
                if (!inPlace && !Arrays.equals(in.read(), xy)) {
                    failures.add(name + ": modified its " + (pass == Pass.FORWARD ? "source" : "x/y"));
                }
                if (g != null && !inPlace && !Arrays.equals(g.read(), dy)) {
                    failures.add(name + ": modified dy");
                }
                if (pass != Pass.FORWARD && !Arrays.equals(in.read(), xy)) {
                    failures.add(name + ": modified x/y");
                }
                for (Tensor t : g == null ? new Tensor[] {in, out} : new Tensor[] {g, in, out}) {
                    String p = t.outsideProblem();
                    if (p != null) {
                        failures.add(name + ": " + p);
                    }
                }
                compare(name + (who.backend() == Backend.AUTO ? " (auto -> " + judge.cliName() + ")" : ""),
                        judge, pass, dy, xy, out.read(), want);
            }
        }

        private void call(Candidate who, Pass pass, Tensor g, Tensor in, Tensor out) {
            boolean fromOutput = pass == Pass.BACKWARD_FROM_OUTPUT;
            if (who.pinned()) {
                EluBackend b = who.pinnedBackend();
                if (pass == Pass.FORWARD) {
                    long n = Checks.elementwise(in.segment(), out.segment(), type.byteSize());
                    if (n != 0) {
                        b.forward(op, type, in.segment(), out.segment(), 1);
                    }
                } else {
                    long n = Checks.backward(g.segment(), in.segment(), out.segment(), type.byteSize());
                    if (n != 0) {
                        b.backward(op, type, fromOutput, g.segment(), in.segment(), out.segment());
                    }
                }
                return;
            }
            Elu elu = fn.elu().on(who.backend());
            if (pass == Pass.FORWARD) {
                MemoryKind.forward(elu, in, out);
            } else {
                MemoryKind.backward(elu, fromOutput, g, in, out);
            }
        }

        private void compare(String name, Backend judge, Pass pass, byte[] dy, byte[] xy, byte[] gotBytes, byte[] wantBytes) {
            int n = wantBytes.length / type.byteSize();
            double[] d = dy == null ? null : Family.values(type, dy);
            double[] v = Family.values(type, xy);
            double[] got = Family.values(type, gotBytes);
            double[] want = Family.values(type, wantBytes);
            long[] gotBits = Family.bits(type, gotBytes);
            long[] wantBits = Family.bits(type, wantBytes);
            int bad = 0;
            int differ = 0;
            StringBuilder examples = new StringBuilder();
            for (int i = 0; i < n; i++) {
                double di = d == null ? Double.NaN : d[i];
                String problem = switch (type) {
                    case F32 -> Tolerance.f32(judge, op, pass, (float) di, (float) v[i], (float) got[i], (float) want[i]);
                    case F64 -> Tolerance.f64(judge, op, pass, di, v[i], got[i], want[i]);
                    case BF16, F16 -> Tolerance.half(judge, type, op, pass, (float) di, (float) v[i],
                            (short) gotBits[i], (short) wantBits[i]);
                };
                if (gotBits[i] != wantBits[i] && !(Double.isNaN(got[i]) && Double.isNaN(want[i]))) {
                    differ++;
                }
                if (problem != null && bad++ < 3) {
                    examples.append(String.format("%n      [%d] %s%s = %s (0x%x), oracle %s (0x%x): %s", i,
                            pass == Pass.FORWARD ? "" : "dy=" + di + ", ",
                            (pass == Pass.BACKWARD_FROM_OUTPUT ? "y=" : "x=") + v[i],
                            got[i], gotBits[i], want[i], wantBits[i], problem));
                }
            }
            if (bad > 0) {
                failures.add(name + ": " + bad + " of " + n + " out of tolerance" + examples);
            }
            boolean half = type == DataType.BF16 || type == DataType.F16;
            if (half && judge != Backend.ONEDNN && differ > Tolerance.halfMismatchLimit(n)) {
                failures.add(name + ": " + differ + " of " + n + " differ from the oracle (limit "
                        + Tolerance.halfMismatchLimit(n) + ")");
            }
        }

        /** The public API refuses: BackendUnavailableException with the reason, nothing written; AUTO runs the cell. */
        private void refusedThenAuto(String name, Pass pass, MemoryKind kind, String why, long seed) {
            byte[] x = Family.inputs(type, op, 33, seed);
            try (Arena arena = Arena.ofConfined()) {
                Tensor g = kind.make(arena, type, Family.gradients(type, 33, seed), 0);
                Tensor in = kind.make(arena, type, x, 1);
                Tensor out = kind.make(arena, type, marked(x.length), 2);
                byte[] before = out.snapshot();
                Elu elu = fn.elu().on(c.backend());
                try {
                    if (pass == Pass.FORWARD) {
                        MemoryKind.forward(elu, in, out);
                    } else {
                        MemoryKind.backward(elu, pass == Pass.BACKWARD_FROM_OUTPUT, g, in, out);
                    }
                    failures.add(name + ": ran, but the backend says it cannot: " + why);
                } catch (BackendUnavailableException e) {
                    if (e.backend() != c.backend() || e.getMessage() == null || !e.getMessage().contains(why)) {
                        failures.add(name + ": refusal does not carry the reason '" + why + "': " + e.getMessage());
                    }
                } catch (RuntimeException e) {
                    failures.add(name + ": refused with " + e + " instead of BackendUnavailableException");
                }
                if (!Arrays.equals(before, out.snapshot())) {
                    failures.add(name + ": refused, but the destination was modified");
                }
            }
            run(name + " via AUTO", Candidate.of(Backend.AUTO), pass, kind, x, null, seed, false, 1);
        }

        /** Backward from the output where it is not defined: IllegalArgumentException with the reason, dx untouched. */
        private void fromOutputRefused(String name, MemoryKind kind, int n, long seed) {
            byte[] x = Family.inputs(type, op, n, seed);
            try (Arena arena = Arena.ofConfined()) {
                Tensor g = kind.make(arena, type, Family.gradients(type, n, seed), 0);
                Tensor y = kind.make(arena, type, Family.forward(op, type, x), 1);
                for (boolean inPlace : new boolean[] {false, true}) {
                    Tensor dx = inPlace ? g : kind.make(arena, type, marked(x.length), 2);
                    byte[] before = dx.snapshot();
                    try {
                        MemoryKind.backward(fn.elu().on(c.backend()), true, g, y, dx);
                        failures.add(name + ": backward from the output ran for " + op);
                    } catch (IllegalArgumentException e) {
                        if (!e.getMessage().contains(op.fromOutputProblem())) {
                            failures.add(name + ": refusal without the reason: " + e.getMessage());
                        }
                    } catch (RuntimeException e) {
                        failures.add(name + ": refused with " + e + " instead of IllegalArgumentException");
                    }
                    if (!Arrays.equals(before, dx.snapshot())) {
                        failures.add(name + ": refused, but dx was modified");
                    }
                }
            }
        }

        private static byte[] marked(int bytes) {
            byte[] b = new byte[bytes];
            Arrays.fill(b, MARK);
            return b;
        }

        void assertClean() {
            if (failures.isEmpty()) {
                // Nothing ran because this CPU lacks the type on this backend: the refusals and
                // AUTO's fallback were checked above; report the cell as skipped, with the reason.
                Assumptions.assumeTrue(ran > 0 || cpuRefusals.isEmpty(), () -> c + " cannot run " + type.cliName()
                        + " on this CPU (refusals and AUTO's fallback checked): " + String.join("; ", cpuRefusals));
                return;
            }
            report(failures, c + " " + fn + " " + type.cliName());
        }
    }
}
