package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.scalar.ScalarBackend;
import org.elu4j.testing.Tolerance;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.Family;
import org.elu4j.testing.Family.Fn;
import org.elu4j.testing.ConformanceSuite;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * oneDNN on the conformance suite (through the public API: native memory only, heap memory is
 * refused), and what is specific to it: which cells it runs is derived from its own answers
 * (its effective ISA, {@link Machine#oneDnnPromises}) and the algebra of {@link EltwisePlan}, its
 * capability records agree with {@link OneDnnBackend#unsupported}, each plan is within a bound
 * derived from its number of passes, its special values and NaN handling as documented, and the
 * primitive cache keeps functions, types and passes apart.
 *
 * <p>Tolerances of the per-plan check. oneDNN computes {@code exp(x) - 1}, not expm1: near 0 the absolute error is about
 * one float ulp of the negative side's coefficient, so every comparison allows
 * {@code 2^-22 * |alpha * scale|} (times {@code |dy * inputScale|} backward) absolutely. Beyond that,
 * f32 results are within {@code (2 * passes + 2)} float ulps of the exact value (a few for exp,
 * one rounding per pass, float parameters), and bf16/f16 results within 1 unit of the type for a
 * native primitive, one more per extra pass of a composed plan (each intermediate tensor is
 * rounded to the type).
 * The sign of a zero result is not checked: oneDNN's ELU gives +0.0 for -0.0, its linear pass
 * turns -0.0 into +0.0, and ReLU (run as {@code elu(0)}) gives -0.0 for negatives.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OneDnnConformanceTest extends ConformanceSuite {
    private static OneDnnBackend onednn;

    @Override
    protected Candidate subject() {
        return Candidate.of(Backend.ONEDNN);
    }

    /**
     * Its composed plans compute {@code y * inputScale} and {@code y + alpha * scale} in the type:
     * for a y no input gives (huge, below the function's range) those overflow, so backward from
     * the output is checked on outputs.
     */
    @Override
    protected boolean takesAnyOutput() {
        return false;
    }

    /**
     * Without the edge parameters whose factors are far from 1 ({@code elu(0.8, 1e-3, 40)},
     * {@code elu(1e30, 1e-20, 1)}: a scale below 0.1 or a factor of 10 or more): its float
     * parameters and intermediates (dy * 1e-20, x * 40) underflow or overflow where the
     * definition's product does not.
     */
    @Override
    protected List<Fn> sweepFunctions() {
        return Family.functionsAndEdges().stream()
                .filter(fn -> Math.max(Math.abs(fn.op().scale()), Math.abs(fn.op().inputScale())) < 10
                        && Math.abs(fn.op().scale()) >= 0.1)
                .toList();
    }

    /** The functions exercised: every plan shape of {@link EltwisePlan}, and the ones it refuses. */
    private static final List<Op> OPS = List.of(
            Op.elu(1), Op.elu(0.5), Op.elu(0.3), Op.elu(-0.7),
            Op.elu(1.6732632423543772, 1.0507009873554805, 1), // SELU
            Op.elu(2, 1, 0.5), // CELU(2)
            Op.elu(1024, 1, 0x1p-10), // CELU(1024): forward refused (x * inputScale underflows, then times 1024)
            Op.elu(1, 2, 2), // scale = inputScale
            Op.elu(1.5, 0.7, 1.3), // the general form, 3 passes
            Op.elu(1.2, -0.5, 1), // negative scale: forward and backward from input only
            Op.elu(1, 1, -1), // negative input scale: refused
            Op.elu(1, 1, 0), // zero input scale: refused
            Op.relu(), Op.leakyRelu(0.01), Op.leakyRelu(0), Op.leakyRelu(0.25), Op.leakyRelu(-0.2));

    private static final int[] SIZES = {1, 17, 1000, 4099};

    @BeforeAll
    void backend() {
        Assumptions.assumeTrue(BackendProvider.get().available(Backend.ONEDNN) instanceof OneDnnBackend,
                "oneDNN is not available here");
        onednn = OneDnnBackend.create();
    }

    @AfterAll
    void close() {
        if (onednn != null) {
            onednn.close();
        }
    }

    // ------------------------------------------------------------------ what runs, what does not

    /**
     * Per type, what must run comes from oneDNN's own answer (its effective ISA, see
     * {@link Machine#oneDnnPromises}), and what holds on every CPU is asserted: f32 runs
     * everything the algebra allows, f64 nothing; the algebraic limits (input scale, overflowing
     * intermediates, multi-pass f16) are refused with their reason; a type this CPU's oneDNN does
     * not implement is refused in every remaining cell with a reason that names the type and the
     * ISA, and the test is then reported as skipped with that reason.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DataType.class)
    void eachTypeRunsWhatOneDnnImplementsHereAndTheRestIsRefusedWithTheReason(DataType type) {
        boolean promised = Machine.oneDnnPromises(type);
        if (type == DataType.F32) {
            assertTrue(promised, "oneDNN implements f32 eltwise on every ISA it supports: " + Machine.oneDnnIsa());
        }
        List<String> cpuRefusals = new ArrayList<>();
        for (Op op : OPS) {
            for (Pass pass : Pass.values()) {
                EltwisePlan plan = EltwisePlan.of(op, pass);
                String why = onednn.unsupported(op, type, pass);
                String cell = op + " " + pass.label() + " " + type.cliName() + " (oneDNN ISA " + Machine.oneDnnIsa() + ")";
                if (plan.reason() != null) {
                    assertEquals(plan.reason(), why, cell); // the algebra: the same on every CPU
                } else if (plan.rangeProblem(op, pass, type) != null) {
                    // x*inputScale > 1, or a multi-pass plan in f16: intermediates can overflow
                    // (the reason starts the same on every CPU; a CPU without the type says so after it)
                    String range = plan.rangeProblem(op, pass, type);
                    assertTrue(why != null && why.startsWith(range), cell + ": " + why);
                    assertTrue((pass == Pass.FORWARD && op.inputScale() > 1)
                            || (pass == Pass.FORWARD && op.inputScale() < 1 && Math.abs(op.scale()) / op.inputScale() > 2)
                            || (type == DataType.F16 && plan.steps().length > 1), cell + ": " + why);
                    // then what oneDNN lacks here: always for f64, never for a type its ISA promises,
                    // and either for the others (oneDNN may run more than promised: Machine)
                    String rest = why.substring(range.length());
                    boolean besides = rest.startsWith("; besides, oneDNN ") && rest.contains(type.cliName())
                            && rest.contains("on this CPU (" + Machine.oneDnnIsa() + ")") && rest.contains("dnnl_unimplemented");
                    if (type == DataType.F64) {
                        assertTrue(besides, cell + ": " + why);
                    } else if (promised) {
                        assertEquals("", rest, cell);
                    } else {
                        assertTrue(rest.isEmpty() || besides, cell + ": " + why);
                        if (besides) {
                            cpuRefusals.add(rest.substring("; besides, ".length()));
                        }
                    }
                } else if (type == DataType.F64) {
                    assertNotNull(why, cell);
                    assertTrue(why.contains("f64") && why.contains("dnnl_unimplemented"), cell + ": " + why);
                } else if (promised) {
                    assertNull(why, cell + ": oneDNN's ISA implements " + type.cliName() + " eltwise");
                } else if (why != null) {
                    assertTrue(why.contains(type.cliName()) && why.contains("on this CPU (" + Machine.oneDnnIsa() + ")")
                            && why.contains("dnnl_unimplemented"), cell + ": " + why);
                    cpuRefusals.add(why);
                }
            }
        }
        Assumptions.assumeTrue(cpuRefusals.isEmpty(), () -> "oneDNN on this CPU (ISA " + Machine.oneDnnIsa()
                + ") has no " + type.cliName() + " eltwise: " + cpuRefusals.size()
                + " cells refused with that reason (checked), e.g. " + cpuRefusals.get(0));
    }

    @Test
    void theExpectedCellsAreRefusedWithAReason() {
        // Intermediates that overflow the storage type: x*inputScale for inputScale > 1, and any
        // multi-pass plan in f16 (CELU(2) backward from the output gave -inf for dy = -58208).
        assertTrue(onednn.unsupported(Op.elu(0.5, 1, 2), DataType.F32, Pass.FORWARD).contains("overflows"));
        // ... and x*inputScale below the smallest normal, for inputScale < 1, when the last pass
        // multiplies its lost bits by more than 2 (CELU(2): by 2, at most one unit, runs).
        assertTrue(onednn.unsupported(Op.elu(2.5, 1, 0.4), DataType.F32, Pass.FORWARD).contains("smallest normal"));
        assertTrue(onednn.unsupported(Op.elu(1, 3, 0.5), DataType.F32, Pass.FORWARD).contains("smallest normal"));
        assertNull(onednn.unsupported(Op.elu(2, 1, 0.5), DataType.F32, Pass.FORWARD));
        assertNull(onednn.unsupported(Op.elu(1, 0.5, 0.25), DataType.F32, Pass.FORWARD));
        assertNull(onednn.unsupported(Op.elu(2.5, 1, 0.4), DataType.F32, Pass.BACKWARD_FROM_OUTPUT));
        assertTrue(onednn.unsupported(Op.elu(2, 1, 0.5), DataType.F16, Pass.BACKWARD_FROM_OUTPUT).contains("f16"));
        assertNull(onednn.unsupported(Op.elu(2, 1, 0.5), DataType.F32, Pass.BACKWARD_FROM_OUTPUT));
        // Backward from the input with inputScale != 1 needs x * inputScale in scratch memory.
        assertTrue(onednn.unsupported(Op.elu(2, 1, 0.5), DataType.F32, Pass.BACKWARD_FROM_INPUT)
                .contains("scratch"));
        // inputScale <= 0: the side cannot be composed.
        assertTrue(onednn.unsupported(Op.elu(1, 1, -1), DataType.F32, Pass.FORWARD).contains("inputScale"));
        assertTrue(onednn.unsupported(Op.elu(1, 1, 0), DataType.BF16, Pass.FORWARD).contains("inputScale"));
        // Op's own condition for backward from the output.
        assertTrue(onednn.unsupported(Op.leakyRelu(-0.2), DataType.F32, Pass.BACKWARD_FROM_OUTPUT).contains("slope"));
        // Parameters beyond float range.
        assertNotNull(onednn.unsupported(Op.elu(1e39), DataType.F32, Pass.BACKWARD_FROM_INPUT));
        // An unsupported call that reaches the backend anyway is refused with the reason.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(64);
            MemorySegment b = arena.allocate(64);
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> onednn.forward(Op.elu(1), DataType.F64, a, b, 1));
            assertTrue(e.getMessage().contains("f64"), e.getMessage());
            assertThrows(UnsupportedOperationException.class,
                    () -> onednn.backward(Op.elu(2, 1, 0.5), DataType.F32, false, a, b, arena.allocate(64)));
        }
    }

    @Test
    void capabilitiesCoverEveryCellAndAgreeWithUnsupported() {
        List<Capability> caps = onednn.capabilities();
        assertEquals(7 * DataType.values().length * Pass.values().length, caps.size());
        for (Capability c : caps) {
            String cell = c.name() + " " + c.type().cliName() + " " + c.pass().label();
            assertEquals(onednn.unsupported(c.op(), c.type(), c.pass()), c.refusal(), cell);
            assertEquals(c.runs() ? EltwisePlan.of(c.op(), c.pass()).passes() : 0, c.passes(), cell);
            assertEquals(c.runs(), !c.implementations().isEmpty(), cell);
            if (c.type() == DataType.F64) {
                assertFalse(c.runs(), cell);
            }
        }
        Capability selu = caps.stream().filter(c -> c.name().equals("selu") && c.type() == DataType.F32
                && c.pass() == Pass.FORWARD).findFirst().orElseThrow();
        assertEquals(2, selu.passes(), selu.toString());
        assertTrue(selu.steps().get(0).contains("elu") && selu.steps().get(1).contains("linear"), selu.toString());
        Capability eluBwd = caps.stream().filter(c -> c.name().equals("elu") && c.type() == DataType.F32
                && c.pass() == Pass.BACKWARD_FROM_INPUT).findFirst().orElseThrow();
        assertEquals(1, eluBwd.passes(), eluBwd.toString());
        // Rendered here, as a tool would: one line per cell.
        System.out.println("oneDNN capabilities:\n  " + String.join("\n  ", caps.stream().map(c -> String.format(
                "%-11s %-4s %-21s %s", c.name(), c.type().cliName(), c.pass().label(), c.runs()
                        ? (c.passes() == 1 ? "native, 1 pass" : "composed, " + c.passes() + " passes") + " ("
                        + String.join(" -> ", c.steps()) + "; " + String.join(", ", c.implementations()) + ")"
                        : "no: " + c.refusal())).toList()));
    }

    // ------------------------------------------------------------------ accuracy against the oracle

    /** Every cell it runs, within the bound of its plan's passes (see the class comment). */
    @Test
    void everyPlanIsWithinTheBoundOfItsPasses() {
        Map<String, String> report = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (Op op : OPS) {
                for (DataType type : DataType.values()) {
                    for (Pass pass : Pass.values()) {
                        if (onednn.unsupported(op, type, pass) != null) {
                            continue;
                        }
                        Stats stats = new Stats();
                        for (int n : SIZES) {
                            check(arena, op, type, pass, n, 1234L + n, stats, failures);
                        }
                        report.put(op + " | " + type.cliName() + " | " + pass.label(), stats.toString());
                    }
                }
            }
        }
        StringBuilder sb = new StringBuilder("oneDNN errors vs the oracle (max over inputs):\n");
        report.forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
        System.out.println(sb);
        if (!failures.isEmpty()) {
            fail(failures.size() + " mismatches, first ones:\n" + String.join("\n",
                    failures.subList(0, Math.min(20, failures.size()))));
        }
    }

    /**
     * A positive result of 0 where the exact one is below this (twice the smallest normal float)
     * and the first pass's {@code x * inputScale}, rounded to the type, is not 0 is a flushed
     * subnormal, one of oneDNN's accepted deviations ({@code Tolerance}): where the
     * CPU converts f32 to bf16 in hardware (AVX512_BF16's {@code vcvtneps2bf16} flushes subnormal
     * inputs), a subnormal intermediate {@code x * inputScale} becomes 0. What the last pass makes
     * of a flushed intermediate is bounded by the factor {@link EltwisePlan#rangeProblem} allows,
     * {@code |scale| / inputScale <= 2}: a plan beyond it (CELU(1024), had it not been refused)
     * flushes results up to 1024 times the smallest normal and still fails here.
     */
    private static final double FLUSHED_LIMIT = 2.0 * Float.MIN_NORMAL;

    /**
     * The positive side of a forward plan that starts with {@code linear(inputScale)} for an input
     * scale below 1, where {@code x * inputScale} falls below the type's smallest normal (or
     * subnormal): its lost bits are multiplied by {@code |scale| / inputScale} in the last pass,
     * which {@link EltwisePlan#rangeProblem} allows up to 2. The result must be {@code scale * x}
     * within the plan's bound in units of the type, without the negative side's absolute
     * allowance (which, at {@code 2^-22 * |alpha * scale|}, would hide any error of a tiny result).
     */
    @Test
    void positiveResultsThroughASubnormalIntermediateAreWithinTheBound() {
        List<String> failures = new ArrayList<>();
        StringBuilder report = new StringBuilder("oneDNN forward, x > 0 around smallest normal / inputScale:\n");
        int ran = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (Op op : OPS) {
                for (DataType type : List.of(DataType.F32, DataType.BF16)) {
                    if (op.kind() != Op.Kind.ELU || !(op.inputScale() < 1)
                            || onednn.unsupported(op, type, Pass.FORWARD) != null) {
                        continue;
                    }
                    double smallestNormal = Float.MIN_NORMAL; // bf16 has f32's exponent range
                    float[] x = new float[4000];
                    SplittableRandom rnd = new SplittableRandom(42);
                    for (int i = 0; i < x.length; i++) { // log-uniform over 2^-30 .. 2^6 times smallest normal / inputScale
                        x[i] = representable(type, (float) (smallestNormal / op.inputScale() * Math.pow(2, rnd.nextDouble(-30, 6))));
                    }
                    MemorySegment src = store(arena, type, x);
                    MemorySegment dst = arena.allocate(src.byteSize());
                    onednn.forward(op, type, src, dst, 1);
                    float[] got = load(type, dst, x.length);
                    int passes = EltwisePlan.of(op, Pass.FORWARD).passes();
                    double units = type == DataType.F32 ? 2 * passes + 2 : passes;
                    double worst = 0;
                    int flushed = 0;
                    for (int i = 0; i < x.length; i++) {
                        double ref = ScalarBackend.forward(op, (double) x[i]);
                        double err = Math.abs(got[i] - ref) / ulp(type, representable(type, (float) ref));
                        if (!(err <= units) && got[i] == 0 && ref < FLUSHED_LIMIT
                                && representable(type, (float) (x[i] * op.inputScale())) != 0) {
                            flushed++; // a flushed intermediate: the CPU's conversion, not the plan (see FLUSHED_LIMIT)
                            continue;
                        }
                        worst = Math.max(worst, err);
                        if (!(err <= units)) {
                            failures.add(op + " " + type.cliName() + ": x=" + x[i] + " got " + got[i] + ", oracle " + ref
                                    + " (" + err + " units, bound " + units + ")");
                        }
                    }
                    report.append(String.format("  %s %s: worst %.2f units (bound %.0f)%s%n", op, type.cliName(), worst, units,
                            flushed > 0 ? ", " + flushed + " of " + x.length + " flushed to 0" : ""));
                    ran++;
                }
            }
        }
        System.out.print(report);
        assertTrue(ran > 0, "no forward plan with inputScale < 1 ran on oneDNN (CELU(2) f32 runs on every CPU)");
        if (!failures.isEmpty()) {
            fail(failures.size() + " results off, first ones:\n" + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
        }
    }

    /**
     * Maximum errors seen in one cell, in units of the type: for x > 0, for x in [-3, -0.5] (the
     * negative side away from exp(x) - 1's cancellation near 0 and, backward from the output, from
     * y + alpha * scale's cancellation for very negative x); and the absolute error for
     * -0.01 < x <= 0 in units of |alpha * scale * dy * inputScale| (ELU only).
     */
    private static final class Stats {
        double positive;
        double negative;
        double nearZero;

        @Override
        public String toString() {
            return String.format("x>0 %.2f units, x in [-3,-0.5] %.2f units, |x|<0.01 abs %.1e x coefficient",
                    positive, negative, nearZero);
        }
    }

    private static void check(Arena arena, Op op, DataType type, Pass pass, int n, long seed, Stats stats,
                              List<String> failures) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        float[] dy = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = representable(type, input(rnd));
            dy[i] = representable(type, (float) rnd.nextDouble(-3, 3));
        }
        boolean fromOutput = pass == Pass.BACKWARD_FROM_OUTPUT;
        float[] xy = x.clone();
        if (fromOutput) { // y from the oracle, in the type: the backward is checked on its own
            for (int i = 0; i < n; i++) {
                xy[i] = representable(type, ScalarBackend.forward(op, x[i]));
            }
        }
        int passes = EltwisePlan.of(op, pass).passes();
        for (boolean inPlace : new boolean[] {false, true}) {
            float[] got;
            if (pass == Pass.FORWARD) {
                MemorySegment src = store(arena, type, x);
                MemorySegment dst = inPlace ? src : arena.allocate(src.byteSize());
                onednn.forward(op, type, src, dst, 1);
                got = load(type, dst, n);
            } else {
                MemorySegment dyS = store(arena, type, dy);
                MemorySegment xyS = store(arena, type, xy);
                MemorySegment dx = inPlace ? dyS : arena.allocate(dyS.byteSize());
                onednn.backward(op, type, fromOutput, dyS, xyS, dx);
                got = load(type, dx, n);
                assertEquals(-1, xyS.mismatch(store(arena, type, xy)), "x or y was written");
            }
            for (int i = 0; i < n; i++) {
                double ref = pass == Pass.FORWARD ? ScalarBackend.forward(op, (double) x[i])
                        : ScalarBackend.backward(op, fromOutput, (double) dy[i], (double) xy[i]);
                double coefficient = Math.abs(op.negativeCoefficient())
                        * (pass == Pass.FORWARD ? 1 : Math.abs(dy[i] * op.inputScale()));
                double absTol = 0x1p-22 * coefficient;
                double units = type == DataType.F32 ? 2 * passes + 2 : passes;
                double ulp = ulp(type, ref);
                double err = Math.abs(got[i] - ref);
                if (!(err <= units * ulp + absTol) && !(got[i] == 0 && ref == 0)) {
                    failures.add(op + " " + pass.label() + " " + type.cliName() + " n=" + n + (inPlace ? " in place" : "")
                            + ": x=" + x[i] + " dy=" + dy[i] + " xy=" + xy[i] + " got " + got[i] + ", oracle " + ref
                            + " (error " + err / ulp + " units, tolerance " + units + " units + " + absTol + ")");
                }
                if (x[i] > 0) {
                    stats.positive = Math.max(stats.positive, err / ulp);
                } else if (x[i] >= -3 && x[i] <= -0.5) {
                    stats.negative = Math.max(stats.negative, err / ulp);
                } else if (x[i] > -0.01 && op.kind() == Op.Kind.ELU && coefficient > 0) {
                    stats.nearZero = Math.max(stats.nearZero, err / coefficient);
                }
            }
        }
    }

    /** Inputs: half uniform in [-12, 12], half of magnitude 1e-7 .. 1 (log-uniform), either sign. */
    private static float input(SplittableRandom rnd) {
        if (rnd.nextBoolean()) {
            return (float) rnd.nextDouble(-12, 12);
        }
        float m = (float) Math.pow(10, rnd.nextDouble(-7, 0));
        return rnd.nextBoolean() ? m : -m;
    }

    /** The value rounded to the type (f32: itself). */
    private static float representable(DataType type, float f) {
        return type == DataType.F32 ? f : ScalarBackend.widen(type, ScalarBackend.narrow(type, f));
    }

    /** One unit in the last place of the type at the value (at least the type's smallest subnormal). */
    private static double ulp(DataType type, double v) {
        float f = (float) Math.abs(v);
        return switch (type) {
            case F32, F64 -> Math.ulp(f);
            case BF16 -> Math.max(Math.scalb(1.0, Math.getExponent(f) - 7), 0x1p-133);
            case F16 -> Math.scalb(1.0, Math.max(Math.getExponent(f), -14) - 10);
        };
    }

    private static MemorySegment store(Arena arena, DataType type, float[] values) {
        MemorySegment s = arena.allocate((long) values.length * type.byteSize(), 64);
        for (int i = 0; i < values.length; i++) {
            if (type == DataType.F32) {
                s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, values[i]);
            } else {
                s.setAtIndex(JAVA_SHORT_UNALIGNED, i, ScalarBackend.narrow(type, values[i]));
            }
        }
        return s;
    }

    private static float[] load(DataType type, MemorySegment s, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = type == DataType.F32 ? s.getAtIndex(JAVA_FLOAT_UNALIGNED, i)
                    : ScalarBackend.widen(type, s.getAtIndex(JAVA_SHORT_UNALIGNED, i));
        }
        return out;
    }

    /**
     * A parameter that is not 0 but rounds to 0 as oneDNN's float (or beyond float's range) is
     * refused in every pass, not run as 0 (a backward would give 0 where the function does not).
     * The algebra alone decides: the same on every CPU.
     */
    @Test
    void parametersThatRoundToZeroOrInfinityAsFloatsAreRefused() {
        for (Op op : List.of(Op.elu(1e-46), Op.leakyRelu(1e-50), Op.elu(1, 1e-46, 1), Op.elu(1, 1, 1e-46), Op.elu(1e39),
                Op.leakyRelu(1e39))) {
            for (Pass pass : Pass.values()) {
                if (pass == Pass.BACKWARD_FROM_OUTPUT && op.fromOutputProblem() != null) {
                    continue;
                }
                String why = EltwisePlan.of(op, pass).reason();
                if (why == null && pass == Pass.FORWARD && op.isPlainElu()) {
                    why = onednn.unsupported(op, DataType.F32, pass); // the one-primitive fast path's own check
                }
                assertTrue(why != null, op + " " + pass.label() + " runs");
            }
        }
        String tiny = EltwisePlan.of(Op.elu(1e-46), Pass.BACKWARD_FROM_INPUT).reason();
        assertTrue(tiny != null && tiny.contains("float range"), String.valueOf(tiny));
    }

    // ------------------------------------------------------------------ special values, as oneDNN gives them

    private static final float[] SPECIALS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1f, -1f,
            Float.MIN_VALUE, -Float.MIN_VALUE, -1e-30f, 1e30f, -100f};

    @Test
    void forwardSpecialValues() {
        try (Arena arena = Arena.ofConfined()) {
            for (Op op : OPS) {
                for (DataType type : new DataType[] {DataType.F32, DataType.BF16, DataType.F16}) {
                    if (onednn.unsupported(op, type, Pass.FORWARD) != null) {
                        continue;
                    }
                    float[] x = new float[SPECIALS.length];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = representable(type, SPECIALS[i]);
                    }
                    MemorySegment dst = arena.allocate((long) x.length * type.byteSize());
                    onednn.forward(op, type, store(arena, type, x), dst, 1);
                    float[] got = load(type, dst, x.length);
                    int passes = EltwisePlan.of(op, Pass.FORWARD).passes();
                    for (int i = 0; i < x.length; i++) {
                        String what = op + " " + type.cliName() + " x=" + x[i] + " got " + got[i];
                        float ref = representable(type, ScalarBackend.forward(op, x[i]));
                        if (Float.isNaN(x[i])) {
                            assertTrue(Float.isNaN(got[i]), what); // NaN stays NaN (ReLU too: elu(0), not relu(0))
                        } else if (Float.isNaN(ref)) {
                            // LeakyReLU with slope 0 at -inf: Op's 0 * -inf is NaN; oneDNN's elu(0) gives -0.0
                            assertTrue(Float.isNaN(got[i]) || got[i] == 0, what);
                        } else if (ref == 0) {
                            assertEquals(0f, got[i], 0f, what); // either sign
                        } else if (Float.isInfinite(ref)) {
                            assertEquals(ref, got[i], what);
                        } else if (x[i] > 0 && passes == 1) {
                            assertEquals(Float.floatToIntBits(ref), Float.floatToIntBits(got[i]), what); // exact
                        } else if (Math.abs(x[i]) < 1e-6 && ref < 0) {
                            // exp(x) - 1: tiny negatives give 0 or a value off by up to an ulp of 1
                            assertTrue(got[i] <= 0 && got[i] >= -0x1p-22 * Math.abs(op.negativeCoefficient()), what);
                        } else if (type == DataType.F32) {
                            String problem = Tolerance.f32(Backend.ONEDNN, op, Pass.FORWARD, 0f, x[i], got[i], ref);
                            assertTrue(problem == null, what + ": " + problem);
                        } else { // two units of bf16 (8 significant bits; f16 has 11)
                            assertEquals(ref, got[i], Math.abs(ref) * 0x1p-6 + 1e-6, what);
                        }
                    }
                }
            }
        }
    }

    /**
     * NaN in backward: oneDNN's ELU and LeakyReLU backward (from x or y) count a NaN x or y as the
     * positive side ({@code dx = dy * scale}, where Op's arithmetic gives NaN for ELU and
     * {@code slope * dy} for LeakyReLU); ReLU's gives {@code dy} from x and 0 from y. A NaN dy gives
     * NaN wherever Op gives NaN.
     */
    @Test
    void backwardNaN() {
        try (Arena arena = Arena.ofConfined()) {
            for (Op op : OPS) {
                for (Pass pass : new Pass[] {Pass.BACKWARD_FROM_INPUT, Pass.BACKWARD_FROM_OUTPUT}) {
                    if (onednn.unsupported(op, DataType.F32, pass) != null) {
                        continue;
                    }
                    boolean fromOutput = pass == Pass.BACKWARD_FROM_OUTPUT;
                    float[] dy = {2f, Float.NaN, Float.NaN};
                    float[] xy = {Float.NaN, 1f, fromOutput ? (float) ScalarBackend.forward(op, -1.0) : -1f};
                    MemorySegment dx = arena.allocate(4L * dy.length);
                    onednn.backward(op, DataType.F32, fromOutput, store(arena, DataType.F32, dy),
                            store(arena, DataType.F32, xy), dx);
                    float[] got = load(DataType.F32, dx, dy.length);
                    String what = op + " " + pass.label() + ": " + java.util.Arrays.toString(got);
                    float ref = ScalarBackend.backward(op, fromOutput, 2f, Float.NaN);
                    float positive = 2f * (float) op.scale();
                    assertTrue(Float.isNaN(got[0]) || got[0] == ref || Math.abs(got[0] - positive) <= 2 * Math.ulp(positive),
                            what);
                    assertTrue(Float.isNaN(got[1]), what);
                    double negRef = ScalarBackend.backward(op, fromOutput, Double.NaN, xy[2]);
                    if (Double.isNaN(negRef)) {
                        assertTrue(Float.isNaN(got[2]), what);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ the primitive cache key

    @Test
    void theCacheKeepsFunctionsTypesAndPassesApart() {
        int n = 513;
        Op[] ops = {Op.elu(1), Op.relu(), Op.leakyRelu(0.01), Op.elu(1.6732632423543772, 1.0507009873554805, 1)};
        DataType[] types = {DataType.F32, DataType.BF16, DataType.F16};
        List<String> failures = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            // Interleaved calls of the same size: a repeated call reuses the pinned primitives, a
            // different function, type or pass must not.
            for (int round = 0; round < 3; round++) {
                for (Op op : ops) {
                    for (DataType type : types) {
                        for (Pass pass : Pass.values()) {
                            if (onednn.unsupported(op, type, pass) == null) {
                                check(arena, op, type, pass, n, round, new Stats(), failures);
                            }
                        }
                    }
                }
                // The f32 ELU fast path between them, with the same alpha as a SELU's first pass.
                float[] x = {-1f, 2f};
                MemorySegment dst = arena.allocate(8);
                onednn.eluF32(store(arena, DataType.F32, x), dst, 1.6732632f);
                assertEquals(2f, dst.getAtIndex(JAVA_FLOAT_UNALIGNED, 1));
                assertEquals(1.6732632f * Math.expm1(-1), dst.getAtIndex(JAVA_FLOAT_UNALIGNED, 0), 1e-6);
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
        assertFalse(onednn.description().isEmpty());
    }
}
