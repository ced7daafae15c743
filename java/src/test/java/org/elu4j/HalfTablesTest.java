package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.elu4j.reference.Reference;
import org.elu4j.testing.Family;
import org.elu4j.testing.References;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * accuracy.md's bf16/f16 table, held in the build: for the table's functions (ELU alpha 0.5, 1,
 * 1.3, 2; SELU; CELU alpha 0.5, 0.7, 2), the forward of every bf16 and f16 pattern on the helper
 * (each level this CPU has) and the vector backend is the correctly rounded f32 result rounded to
 * the type, bit for bit: org.elu4j.reference's atBf16/atF16, not the scalar oracle (whose f32 may
 * be an ulp off, and whose rounding the conformance suite allows a unit for). A NaN input gives a
 * NaN. For every function the conformance suite runs, the README's rule for the storage types on
 * every pattern: a float within an ulp of the exact value, rounded to the type; and in the
 * backward, the backend's own f32 backward rounded to the type.
 */
class HalfTablesTest {
    private static final double SELU_ALPHA = 1.6732632423543772848;
    private static final double SELU_SCALE = 1.0507009873554804934;
    /** (alpha, scale, inputScale) of the table's functions. */
    private static final double[][] TABLE = {{0.5, 1, 1}, {1, 1, 1}, {1.3, 1, 1}, {2, 1, 1}, {SELU_ALPHA, SELU_SCALE, 1},
            {0.5, 1, 1 / 0.5}, {0.7, 1, 1 / 0.7}, {2, 1, 1 / 2.0}};
    /** The reference's patterns, per function and type, computed once for every subject. */
    private static final Map<String, short[]> EXPECTED = new ConcurrentHashMap<>();
    /** The correctly rounded float at every bf16 or f16 pattern, per function and type, computed once for every subject. */
    private static final Map<String, float[]> CORRECTLY_ROUNDED = new ConcurrentHashMap<>();

    static Stream<String> subjects() {
        List<String> all = new ArrayList<>(List.of("vector", "helper"));
        if (Elu4j.isAvailable(Backend.HELPER)) {
            Elu4j.helper().ifPresent(h -> h.supported().forEach(level -> all.add("helper/" + level)));
        }
        return all.stream();
    }

    /** {@link #subjects()} and the scalar backend (its f32 is within an ulp, not always correctly rounded). */
    static Stream<String> everySubject() {
        return Stream.concat(Stream.of("scalar"), subjects());
    }

    private static short[] expected(double[] p, DataType type) {
        return EXPECTED.computeIfAbsent(p[0] + "," + p[1] + "," + p[2] + "," + type, k -> {
            Reference ref = Reference.elu(p[0], p[1], p[2]);
            short[] want = new short[0x10000];
            for (int i = 0; i < want.length; i++) {
                want[i] = type == DataType.BF16 ? ref.atBf16((short) i) : ref.atF16((short) i);
            }
            return want;
        });
    }

    private static boolean isNaN(DataType type, short h) {
        return type == DataType.BF16 ? (h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0 : (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
    }

    /** The subject's {@code elu}: on its backend, and its helper level if it names one (skipped where the backend is unavailable). */
    private static Elu on(String subject, Elu elu) {
        Backend backend = subject.startsWith("vector") ? Backend.VECTOR : subject.equals("scalar") ? Backend.SCALAR : Backend.HELPER;
        assumeTrue(Elu4j.isAvailable(backend), () -> backend + " is unavailable here");
        return subject.contains("/") ? elu.on(backend).onHelperIsa(subject.substring(subject.indexOf('/') + 1)) : elu.on(backend);
    }

    private static short[] allPatterns() {
        short[] x = new short[0x10000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (short) i;
        }
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void everyPatternIsTheCorrectlyRoundedResult(String subject) {
        short[] x = allPatterns();
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (double[] p : TABLE) {
            Elu elu = on(subject, Elu.elu(p[0], p[1], p[2]));
            for (DataType type : new DataType[] {DataType.BF16, DataType.F16}) {
                short[] want = expected(p, type);
                short[] got = new short[x.length];
                elu.apply(x, got, type);
                for (int i = 0; i < x.length; i++) {
                    checked++;
                    boolean ok = isNaN(type, want[i]) ? isNaN(type, got[i]) : got[i] == want[i];
                    if (!ok && wrong.size() < 10) {
                        wrong.add(String.format("elu(%s, %s, %s) %s of 0x%04x: 0x%04x, correctly rounded 0x%04x", p[0], p[1], p[2],
                                type.cliName(), i, got[i] & 0xffff, want[i] & 0xffff));
                    }
                }
            }
        }
        assertEquals(List.of(), wrong, subject + ": " + checked + " patterns checked");
    }

    /**
     * Every function the conformance suite runs (the table's, edges, ReLU, LeakyReLU, negative and
     * huge parameters; its own check holds each backend's bf16/f16 to its f32 result rounded): every
     * bf16 and f16 pattern's forward is a float within an ulp of the exact value (the correctly
     * rounded float or a neighbour; a zero's neighbour has its sign), rounded to the type; and the
     * f32 path on the same inputs, widened, is such a float itself. So the f32 bound holds on all
     * 131,072 inputs the storage types can hold, for every function, and a bf16/f16 result is
     * never more than the type rounding of that bound away.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("everySubject")
    void everyPatternOfEveryFunctionIsAFloatWithinAnUlpRounded(String subject) {
        short[] x = allPatterns();
        everyFunctionAndHalfType(subject, (fn, elu, type, bf16, wrong) -> {
            float[] widened = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                widened[i] = widen(bf16, x[i]);
            }
            float[] exact = CORRECTLY_ROUNDED.computeIfAbsent(fn.name() + " " + type, k -> {
                Reference ref = References.of(fn.op());
                float[] c = new float[x.length];
                for (int i = 0; i < c.length; i++) {
                    c[i] = ref.at(widened[i]);
                }
                return c;
            });
            short[] got = new short[x.length];
            elu.apply(x, got, type);
            // the f32 path itself on the same inputs (the storage types round its result, so
            // an f32 error that crosses no rounding boundary of the type would not show above)
            float[] f32 = new float[x.length];
            elu.apply(widened, f32);
            for (int i = 0; i < x.length; i++) {
                float in = widened[i];
                float c = exact[i];
                if (!Float.isNaN(c) && !withinAnUlp(f32[i], c) && wrong.size() < 10) {
                    wrong.add(String.format("%s f32 at %s (a %s pattern): %s, correctly rounded %s", fn.name(), in,
                            type.cliName(), f32[i], c));
                }
                boolean ok = Float.isNaN(c) ? isNaN(type, got[i])
                        : got[i] == narrow(bf16, c) || got[i] == narrow(bf16, next(c)) || got[i] == narrow(bf16, prev(c));
                if (!ok && wrong.size() < 10) {
                    wrong.add(String.format("%s %s of 0x%04x (%s): 0x%04x, correctly rounded float %s (0x%04x rounded)",
                            fn.name(), type.cliName(), i, in, got[i] & 0xffff, c, narrow(bf16, c) & 0xffff));
                }
            }
            return x.length;
        });
    }

    /**
     * The README's rule for the storage types in the backward, on every pattern: for every function
     * the conformance suite runs, from the input and (where the function has it) from the output,
     * every bf16 and f16 pattern as x or y, with gradients cycling through a few values of the
     * type, the result is the backend's own f32 backward on the widened inputs, rounded to the
     * type, bit for bit (a NaN as a NaN). Its f32 backward is held to the oracle by the
     * conformance suite; this holds the fused half kernels to it on all 65,536 patterns, where the
     * suite samples them.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("everySubject")
    void everyPatternsBackwardIsTheF32BackwardRounded(String subject) {
        short[] xy = allPatterns();
        float[] gradients = {1f, -0.75f, 3.5f, -200f, 0.015625f, 1000f, -1.0e-3f};
        everyFunctionAndHalfType(subject, (fn, elu, type, bf16, wrong) -> {
            int checked = 0;
            short[] dy = new short[xy.length];
            float[] dyF = new float[xy.length];
            float[] xyF = new float[xy.length];
            for (int i = 0; i < xy.length; i++) {
                dy[i] = narrow(bf16, gradients[i % gradients.length]);
                dyF[i] = widen(bf16, dy[i]);
                xyF[i] = widen(bf16, xy[i]);
            }
            for (boolean fromOutput : new boolean[] {false, true}) {
                if (fromOutput && !elu.hasBackwardFromOutput()) {
                    continue;
                }
                short[] got = new short[xy.length];
                float[] f32 = new float[xy.length];
                if (fromOutput) {
                    elu.backwardFromOutput(dy, xy, got, type);
                    elu.backwardFromOutput(dyF, xyF, f32);
                } else {
                    elu.backwardFromInput(dy, xy, got, type);
                    elu.backwardFromInput(dyF, xyF, f32);
                }
                for (int i = 0; i < xy.length; i++) {
                    checked++;
                    short want = narrow(bf16, f32[i]);
                    boolean ok = Float.isNaN(f32[i]) ? isNaN(type, got[i]) : got[i] == want;
                    if (!ok && wrong.size() < 10) {
                        wrong.add(String.format("%s %s backward from %s, dy %s, %s 0x%04x (%s): 0x%04x, its f32 %s "
                                + "rounded 0x%04x", fn.name(), type.cliName(), fromOutput ? "y" : "x", dyF[i],
                                fromOutput ? "y" : "x", i, xyF[i], got[i] & 0xffff, f32[i], want & 0xffff));
                    }
                }
            }
            return checked;
        });
    }

    /** One function and storage type's check: adds what it finds wrong, returns how many patterns it checked. */
    private interface HalfCell {
        int check(Family.Fn fn, Elu elu, DataType type, boolean bf16, List<String> wrong);
    }

    /**
     * Runs {@code cell} on the subject for every function the conformance suite runs (the family
     * with its edges, and huge coefficients) and both storage types; fails with what it found.
     */
    private static void everyFunctionAndHalfType(String subject, HalfCell cell) {
        List<Family.Fn> functions = new ArrayList<>(Family.functionsAndEdges());
        functions.addAll(Family.hugeCoefficients());
        List<String> wrong = new ArrayList<>();
        long checked = 0;
        for (Family.Fn fn : functions) {
            Elu elu = on(subject, fn.elu());
            for (DataType type : new DataType[] {DataType.BF16, DataType.F16}) {
                checked += cell.check(fn, elu, type, type == DataType.BF16, wrong);
            }
        }
        assertEquals(List.of(), wrong, subject + ": " + checked + " patterns checked");
    }

    private static float widen(boolean bf16, short h) {
        return bf16 ? Reference.bf16ToFloat(h) : Float.float16ToFloat(h);
    }

    /** Whether {@code f} is {@code c} or a neighbour of it (a zero's neighbour has its sign). */
    private static boolean withinAnUlp(float f, float c) {
        return Float.floatToRawIntBits(f) == Float.floatToRawIntBits(c) || f == next(c) || f == prev(c);
    }

    /** The float above {@code c}, or for a zero the least subnormal of its sign. */
    private static float next(float c) {
        return c == 0 ? Math.copySign(Float.MIN_VALUE, c) : Math.nextUp(c);
    }

    /** The float below {@code c}, or for a zero the least subnormal of its sign. */
    private static float prev(float c) {
        return c == 0 ? Math.copySign(Float.MIN_VALUE, c) : Math.nextDown(c);
    }

    private static short narrow(boolean bf16, float f) {
        return bf16 ? Reference.floatToBf16(f) : Float.floatToFloat16(f);
    }
}
