package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.elu4j.reference.Reference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * accuracy.md's bf16/f16 table, held in the build: for the table's functions (ELU alpha 0.5, 1,
 * 1.3, 2; SELU; CELU alpha 0.5, 0.7, 2), the forward of every bf16 and f16 pattern on the helper
 * (each level this CPU has) and the vector backend is the correctly rounded f32 result rounded to
 * the type, bit for bit: org.elu4j.reference's atBf16/atF16, not the scalar oracle (whose f32 may
 * be an ulp off, and whose rounding the conformance suite allows a unit for). A NaN input gives a
 * NaN.
 */
class HalfTablesTest {
    private static final double SELU_ALPHA = 1.6732632423543772848;
    private static final double SELU_SCALE = 1.0507009873554804934;
    /** (alpha, scale, inputScale) of the table's functions. */
    private static final double[][] TABLE = {{0.5, 1, 1}, {1, 1, 1}, {1.3, 1, 1}, {2, 1, 1}, {SELU_ALPHA, SELU_SCALE, 1},
            {0.5, 1, 1 / 0.5}, {0.7, 1, 1 / 0.7}, {2, 1, 1 / 2.0}};
    /** The reference's patterns, per function and type, computed once for every subject. */
    private static final Map<String, short[]> EXPECTED = new ConcurrentHashMap<>();

    static Stream<String> subjects() {
        List<String> all = new ArrayList<>(List.of("vector", "helper"));
        if (Elu4j.isAvailable(Backend.HELPER)) {
            Elu4j.helper().ifPresent(h -> h.supported().forEach(level -> all.add("helper/" + level)));
        }
        return all.stream();
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void everyPatternIsTheCorrectlyRoundedResult(String subject) {
        Backend backend = subject.startsWith("vector") ? Backend.VECTOR : Backend.HELPER;
        assumeTrue(Elu4j.isAvailable(backend), () -> backend + " is unavailable here");
        String level = subject.contains("/") ? subject.substring(subject.indexOf('/') + 1) : null;
        short[] x = new short[0x10000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (short) i;
        }
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (double[] p : TABLE) {
            Elu elu = Elu.elu(p[0], p[1], p[2]).on(backend);
            if (level != null) {
                elu = elu.onHelperIsa(level);
            }
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
}
