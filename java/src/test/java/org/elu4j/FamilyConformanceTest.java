package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.Checks;
import org.elu4j.internal.EluBackend;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.scalar.ScalarBackend;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.Family;
import org.elu4j.testing.Family.Fn;
import org.elu4j.testing.MemoryKind;
import org.elu4j.testing.MemoryKind.Tensor;
import org.elu4j.testing.Tolerance;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue #3: every function × direction × element type × memory kind on every backend that can run
 * it, each cell compared element by element with the scalar oracle ({@link Family#forward},
 * {@link Family#backward}).
 *
 * <ul>
 * <li>Candidates: every available backend and AUTO through the public API, and the helper pinned
 *     to each ISA level of this CPU, called through {@link EluBackend#forward}/{@link EluBackend#backward}
 *     after {@link Checks} (what the public API does).</li>
 * <li>Functions ({@link Family#functions()}): ELU with alpha 1, 0.5, 2, 0.3, −0.7 and 0; SELU;
 *     CELU(0.5) and CELU(2); the general {@code elu(1.3, 0.9, 0.7)}; ReLU; LeakyReLU(0.01) and
 *     LeakyReLU(−0.2).</li>
 * <li>Passes: forward, backward from the input, backward from the output with
 *     {@code y = oracle forward(x)}. Where {@link Op#fromOutputProblem()} is not null (ELU(−0.7),
 *     LeakyReLU(−0.2)) the public API must refuse backward from the output with an
 *     IllegalArgumentException that says why, dx untouched.</li>
 * <li>Types F32, F64, BF16, F16; memory kinds {@link MemoryKind}: native aligned, native at an odd
 *     address, heap arrays, direct and heap typed buffers, direct and heap ByteBuffers with a type.</li>
 * <li>Each cell runs out of place (1023 or 1025 elements, the specials of {@link Family} first;
 *     on aligned native memory every bf16/f16 pattern forward, and for a few functions ({@code BIG})
 *     65537 elements f32 forward and backward from input and f64 forward) and in place (0, 1, 7,
 *     15, 16 or 17 elements, rotating). Sources
 *     must be unchanged, nothing outside the destination written, buffer positions unmoved.</li>
 * <li>Tolerances: {@link Tolerance} (f32 forward 1 ulp on helper/vector/scalar with the sign of zero
 *     exact; oneDNN 4 ulp(|alpha*scale|) absolute plus 4 ulp; f64 4 double ulps; backward 2 ulp
 *     plus 2 ulp(|dy*inputScale*alpha*scale|) where y + alpha*scale cancels; bf16/f16 1 unit of the
 *     type, at most n/128 + 2 elements different from the oracle at all).</li>
 * <li>A cell a backend answers {@code unsupported} for (only oneDNN may, and only on heap memory
 *     or where it has no kernel): the public API throws {@link BackendUnavailableException} whose
 *     message has the reason, the destination untouched, and AUTO runs the cell correctly. With
 *     {@code -Delu4j.test.expectAllBackends=true} (set by the Maven build) helper, vector and every
 *     pinned helper ISA must run every cell; scalar always must.</li>
 * </ul>
 */
class FamilyConformanceTest {
    private static final int[] SMALL = {0, 1, 7, 15, 16, 17};
    private static final byte MARK = (byte) 0xA5;
    /** The functions that also run 65537 elements (f32 forward and backward from input, f64 forward). */
    private static final Set<String> BIG = Set.of("elu(1)", "elu(0.3)", "selu", "elu(1.3,0.9,0.7)", "leakyRelu(0.01)");

    static Stream<Arguments> cells() {
        List<Arguments> list = new ArrayList<>();
        for (Candidate c : Candidate.allWithAuto()) {
            for (Fn fn : Family.functions()) {
                for (DataType t : DataType.values()) {
                    list.add(Arguments.of(c, fn, t));
                }
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cells")
    void everyCellAgreesWithTheOracle(Candidate c, Fn fn, DataType type) {
        Grid grid = new Grid(c, fn, type);
        for (Pass pass : Pass.values()) {
            for (MemoryKind kind : MemoryKind.values()) {
                grid.cell(pass, kind);
            }
        }
        grid.assertClean();
    }

    /**
     * The support matrix the provider reports agrees with {@link Elu#isSupported}, and helper,
     * vector and scalar report every function, type and pass as supported (when all backends are
     * expected); prints, per backend, how many cells it cannot run and why.
     */
    @Test
    void supportMatrix() {
        List<String> problems = new ArrayList<>();
        Map<Backend, Map<String, Integer>> reasons = new EnumMap<>(Backend.class);
        for (Backend b : Backend.values()) {
            if (!Elu4j.isAvailable(b)) {
                continue;
            }
            Candidate c = new Candidate(b.cliName(), b, -1);
            for (Fn fn : Family.functions()) {
                for (DataType t : DataType.values()) {
                    for (Pass p : Pass.values()) {
                        String why = BackendProvider.get().whyNot(b, fn.op(), t, p);
                        if ((p != Pass.BACKWARD_FROM_OUTPUT || fn.op().fromOutputProblem() == null)
                                && fn.elu().on(b).isSupported(t, Elu.Direction.valueOf(p.name())) != (why == null)) {
                            problems.add(b.cliName() + " " + fn + " " + t + " " + p.label() + ": isSupported disagrees with " + why);
                        }
                        if (why != null) {
                            reasons.computeIfAbsent(b, k -> new TreeMap<>()).merge(why, 1, Integer::sum);
                            if (c.mustSupportEverything()) {
                                problems.add(b.cliName() + " " + fn + " " + t.cliName() + " " + p.label() + ": " + why);
                            }
                        }
                    }
                }
            }
        }
        reasons.forEach((b, why) -> System.out.println("FamilyConformanceTest: " + b.cliName() + " cannot run "
                + why.values().stream().mapToInt(Integer::intValue).sum() + " of the function x type x pass cells: " + why));
        assertEquals(List.of(), problems, problems.size() + " cells");
    }

    /**
     * Zeros and the smallest inputs on every candidate, for alphas whose sign decides the sign of
     * the result (Op: ELU(±0) is {@code alpha * scale * expm1(±0 * inputScale)}, so -0.0 for +0.0
     * when alpha is negative, and +0.0 for -0.0), including powers of two, which the helper and
     * vector run on their float kernels, and alpha = -0.0.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("candidatesWithAuto")
    void zeroSignsFollowTheDefinitionForEverySignOfAlpha(Candidate c) {
        float[] xs = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, -1e-40f, -3e-8f, Float.NaN, Float.NEGATIVE_INFINITY, -1f, 1f};
        List<String> problems = new ArrayList<>();
        for (double alpha : new double[] {-1, -0.5, -2, -0.7, -0.0, 0.0, 1, 0.3}) {
            Op op = Op.elu(alpha);
            if (c.whyNot(op, DataType.F32, Pass.FORWARD, false) != null) {
                continue; // FamilyConformanceTest's grid reports unsupported cells
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, xs);
                MemorySegment dst = arena.allocate(4L * xs.length, 64);
                if (c.pinned()) {
                    c.pinnedBackend().forward(op, DataType.F32, src, dst, 1);
                } else {
                    Elu.elu(alpha).on(c.backend()).apply(src, dst);
                }
                Backend judge = c.judgedAs(op, DataType.F32, Pass.FORWARD, false);
                for (int i = 0; i < xs.length; i++) {
                    float got = dst.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    float want = ScalarBackend.forward(op, xs[i]);
                    String p = Tolerance.f32(judge, op, Pass.FORWARD, Float.NaN, xs[i], got, want);
                    if (p != null) {
                        problems.add(String.format("alpha=%s: ELU(%s) = %s, oracle %s: %s", alpha, xs[i], got, want, p));
                    }
                }
            }
        }
        assertEquals(List.of(), problems, c.toString());
    }

    static Stream<Candidate> candidatesWithAuto() {
        return Candidate.allWithAuto().stream();
    }

    @Test
    void fromOutputIsDefinedExactlyForNonNegativeParameters() {
        for (Fn fn : Family.functions()) {
            Op op = fn.op();
            boolean defined = op.alpha() >= 0 && op.scale() > 0 && op.inputScale() > 0;
            assertEquals(defined, fn.elu().hasBackwardFromOutput(), fn.name());
            assertEquals(defined, op.fromOutputProblem() == null, fn.name());
        }
        assertFalse(Elu.elu(-0.7).hasBackwardFromOutput());
        assertFalse(Elu.leakyRelu(-0.2).hasBackwardFromOutput());
    }

    // ---------------------------------------------------------------------------------------------

    /** The cells of one candidate, function and type; collects every failure before failing. */
    static final class Grid {
        private final Candidate c;
        private final Fn fn;
        private final Op op;
        private final DataType type;
        private final List<String> failures = new ArrayList<>();
        private int cellIndex;
        /** Cells that ran, and the refusals that name this CPU (a type the backend lacks here). */
        private int ran;
        private final Set<String> cpuRefusals = new java.util.TreeSet<>();

        Grid(Candidate c, Fn fn, DataType type) {
            this.c = c;
            this.fn = fn;
            this.op = fn.op();
            this.type = type;
        }

        void cell(Pass pass, MemoryKind kind) {
            int index = cellIndex++;
            boolean exhaustiveHalf = pass == Pass.FORWARD && kind == MemoryKind.NATIVE_ALIGNED
                    && (type == DataType.BF16 || type == DataType.F16);
            boolean big = kind == MemoryKind.NATIVE_ALIGNED && BIG.contains(fn.name())
                    && (type == DataType.F32 ? pass != Pass.BACKWARD_FROM_OUTPUT : type == DataType.F64 && pass == Pass.FORWARD);
            int outN = big ? 65537 : index % 2 == 0 ? 1023 : 1025;
            int inN = SMALL[index % SMALL.length];
            String name = c + " " + fn + " " + type.cliName() + " " + Family.label(pass) + " " + kind;
            long seed = (((long) fn.name().hashCode() * 31 + type.ordinal()) * 31 + pass.ordinal()) * 31 + kind.ordinal();

            if (pass == Pass.BACKWARD_FROM_OUTPUT && op.fromOutputProblem() != null) {
                if (!c.pinned()) {
                    fromOutputRefused(name, kind, 17, seed);
                }
                return;
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
                return;
            }
            ran++;
            byte[] x = exhaustiveHalf ? Family.allHalfPatterns(1) : Family.inputs(type, op, outN, seed);
            run(name + " out-of-place n=" + x.length / type.byteSize(), c, pass, kind, x, seed, false);
            run(name + " in-place n=" + inN, c, pass, kind, Family.inputs(type, op, inN, seed + 1), seed + 1, true);
        }

        /** One call on fresh tensors of {@code kind}, checked against the oracle; returns false if it threw. */
        private void run(String name, Candidate who, Pass pass, MemoryKind kind, byte[] x, long seed, boolean inPlace) {
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
                    in = kind.make(arena, type, x, 0);
                    out = inPlace ? in : kind.make(arena, type, marked(x.length), 1);
                } else {
                    boolean fromOutput = pass == Pass.BACKWARD_FROM_OUTPUT;
                    dy = Family.gradients(type, x.length / type.byteSize(), seed);
                    xy = fromOutput ? Family.forward(op, type, x) : x;
                    want = Family.backward(op, type, fromOutput, dy, xy);
                    g = kind.make(arena, type, dy, 0);
                    in = kind.make(arena, type, xy, 1);
                    out = inPlace ? g : kind.make(arena, type, marked(x.length), 2);
                }
                try {
                    call(who, pass, g, in, out);
                } catch (RuntimeException e) {
                    failures.add(name + ": threw " + e);
                    return;
                }
                if (!inPlace && !Arrays.equals(in.read(), pass == Pass.FORWARD ? x : xy)) {
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
            if (half && differ > 0) {
                System.out.println("FamilyConformanceTest: " + name + ": " + differ + " of " + n + " differ by one unit");
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
            Candidate auto = new Candidate("auto", Backend.AUTO, -1);
            run(name + " via AUTO", auto, pass, kind, x, seed, false);
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
            for (String f : failures) {
                System.out.println("FAMILY-FAIL " + f.lines().findFirst().orElse(f));
            }
            StringBuilder report = new StringBuilder();
            failures.stream().limit(25).forEach(f -> report.append("\n  ").append(f));
            if (failures.size() > 25) {
                report.append("\n  ... and ").append(failures.size() - 25).append(" more");
            }
            fail(c + " " + fn + " " + type.cliName() + ": " + failures.size() + " failures" + report);
        }
    }
}
