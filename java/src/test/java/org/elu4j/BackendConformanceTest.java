package org.elu4j;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.elu4j.internal.helper.HelperBackend;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.Inputs;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every backend (and every helper ISA level) against the scalar oracle over awkward sizes, byte
 * offsets, in place and out of place, native and heap memory, random and special inputs, with
 * the tolerances stated in {@link Candidate#check} (1 ulp for every alpha on helper, vector and
 * scalar). Plain f32 ELU only; the whole family is {@link FamilyConformanceTest}.
 */
class BackendConformanceTest {
    private static final float[] ALPHAS = {1f, 0.5f, 2f, 1.6732632f};
    private static final byte GUARD = (byte) 0x5A;
    private static final int GUARD_BYTES = 64;

    static Stream<Candidate> candidates() {
        return Candidate.all().stream();
    }

    /**
     * Powers of two (the helper's and vector's float kernels), 0.3 (not a power of two: evaluated
     * in double, still within 1 ulp) and -0.5 (a negative alpha: ELU(±0) has the sign of alpha * ±0).
     */
    static Stream<Arguments> candidatesAndAlphas() {
        return candidates().flatMap(c -> Stream.of(1f, 0.5f, 2f, 0.3f, -0.5f).map(a -> Arguments.of(c, a)));
    }

    @Test
    void everyBackendThisMachineCanRunIsAvailableInTheBuild() {
        // Under Maven every backend the machine allows must run: the helper and oneDNN are on the
        // class path and surefire passes --add-modules jdk.incubator.vector. The Vector API
        // backend needs the JIT's FMA and 128-bit vectors (Machine.vectorObstacle: not there with
        // -XX:UseAVX=0 or on a CPU without AVX); then it must be refused with that reason.
        // Elsewhere this only reports.
        List<String> missing = new ArrayList<>();
        String vectorObstacle = Machine.vectorObstacle();
        for (BackendStatus s : Elu4j.backends()) {
            if (s.backend() == Backend.VECTOR && vectorObstacle != null) {
                assertTrue(!s.available() && s.detail().contains(vectorObstacle), Machine.describe() + ": " + s);
            } else if (!s.available()) {
                missing.add(s.backend().cliName() + ": " + s.detail());
            }
        }
        if (Boolean.getBoolean("elu4j.test.expectAllBackends")) {
            assertEquals(List.of(), missing, Machine.describe());
            assertEquals(Backend.HELPER, Elu4j.autoBackend());
        }
        System.out.println("BackendConformanceTest: machine: " + Machine.describe());
    }

    /** The helper's ISA levels are what the CPU's flags say, and it runs on the pinned level or the best. */
    @Test
    void helperLevelsAgreeWithTheCpuFlags() {
        Assumptions.assumeTrue(Elu4j.isAvailable(Backend.HELPER), "the helper is not available here");
        Assumptions.assumeTrue(Machine.knowsCpuFlags(), "/proc/cpuinfo has no flags line here");
        List<String> levels = java.util.Arrays.stream(HelperBackend.supportedIsas()).mapToObj(HelperBackend::isaName).toList();
        assertEquals(Machine.helperLevels(), levels, Machine.describe());
        assertEquals(Machine.expectedHelperLevel(), HelperBackend.isaName(HelperBackend.activeIsa()), Machine.describe());
        String helper = Elu4j.backends().stream().filter(s -> s.backend() == Backend.HELPER).findFirst().orElseThrow().detail();
        assertTrue(helper.contains("(" + Machine.expectedHelperLevel()), helper);
        assertEquals(Machine.helperPin() != null, helper.contains("pinned by"), helper);
    }

    /** The Vector API backend uses the JIT's widest float vector: 4, 8 or 16 lanes as MaxVectorSize says. */
    @Test
    void vectorLanesAgreeWithTheJvm() {
        Assumptions.assumeTrue(Elu4j.isAvailable(Backend.VECTOR), () -> "the vector backend is not available here: "
                + Elu4j.backends().stream().filter(s -> s.backend() == Backend.VECTOR).findFirst().orElseThrow().detail());
        String vector = Elu4j.backends().stream().filter(s -> s.backend() == Backend.VECTOR).findFirst().orElseThrow().detail();
        int lanes = Machine.jvmFloatLanes();
        assertTrue(lanes == 4 || lanes == 8 || lanes == 16, "MaxVectorSize/4 = " + lanes);
        assertTrue(vector.contains(Math.min(lanes, 16) + " float lanes"), vector + " vs the JVM's " + lanes);
    }

    @ParameterizedTest(name = "{0} alpha={1}")
    @MethodSource("candidatesAndAlphas")
    void awkwardSizesAndOffsetsOutOfPlace(Candidate c, float alpha) {
        for (int n : Inputs.SIZES) {
            for (long srcOff : Inputs.BYTE_OFFSETS) {
                long dstOff = Inputs.BYTE_OFFSETS[(int) ((srcOff + n) % Inputs.BYTE_OFFSETS.length)];
                runNative(c, alpha, Inputs.random(n, 31L * n + srcOff), srcOff, dstOff, false);
            }
        }
    }

    @ParameterizedTest(name = "{0} alpha={1}")
    @MethodSource("candidatesAndAlphas")
    void awkwardSizesAndOffsetsInPlace(Candidate c, float alpha) {
        for (int n : Inputs.SIZES) {
            for (long off : Inputs.BYTE_OFFSETS) {
                runNative(c, alpha, Inputs.random(n, 17L * n + off), off, off, true);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("candidates")
    void specialValuesHaveExactResults(Candidate c) {
        float[] x = Inputs.SPECIALS;
        for (float alpha : ALPHAS) {
            float[] y = runNative(c, alpha, x, 0, 0, false);
            for (int i = 0; i < x.length; i++) {
                float xi = x[i];
                float yi = y[i];
                if (Float.isNaN(xi)) {
                    assertTrue(Float.isNaN(yi), c + ": NaN must stay NaN");
                } else if (xi == Float.POSITIVE_INFINITY || xi > 0) {
                    assertEquals(Float.floatToRawIntBits(xi), Float.floatToRawIntBits(yi), c + ": positive x is returned exactly: " + xi);
                } else if (xi == Float.NEGATIVE_INFINITY || xi <= -88f) {
                    assertEquals(-alpha, yi, c + ": ELU(" + xi + ") is -alpha");
                } else if (xi == 0f && Float.floatToRawIntBits(xi) == 0) {
                    assertEquals(0, Float.floatToRawIntBits(yi), c + ": +0.0 stays +0.0");
                } else if (xi == 0f) {
                    // -0.0 stays -0.0 everywhere except oneDNN, which returns +0.0 (documented)
                    int expected = c.backend() == Backend.ONEDNN ? 0 : 0x80000000;
                    assertEquals(expected, Float.floatToRawIntBits(yi), c + ": ELU(-0.0)");
                } else if (c.backend() != Backend.ONEDNN) {
                    // tiny negatives stay negative (-0.0 where alpha·x rounds to zero)
                    assertTrue(Float.floatToRawIntBits(yi) < 0, c + ": negative x gives a negative result: ELU(" + xi + ") = " + yi);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("candidates")
    void heapSegments(Candidate c) {
        float[] x = Inputs.random(1025, 99);
        float[] y = new float[x.length];
        MemorySegment src = MemorySegment.ofArray(x);
        MemorySegment dst = MemorySegment.ofArray(y);
        if (!c.takesHeapSegments()) {
            assertThrows(BackendUnavailableException.class, () -> c.apply(1f, src, dst));
            assertTrue(allZero(y), "nothing written");
            return;
        }
        c.apply(1f, src, dst);
        verify(c, 1f, x, y);
        float[] copy = x.clone();
        c.apply(1f, MemorySegment.ofArray(copy), MemorySegment.ofArray(copy)); // in place
        verify(c, 1f, x, copy);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("candidates")
    void manyRandomValues(Candidate c) {
        float[] x = Inputs.random(1 << 20, 7);
        for (float alpha : new float[] {1f, 0.5f, 2f}) {
            verify(c, alpha, x, runNative(c, alpha, x, 0, 0, false));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("candidates")
    void denseSweepNearZeroAndWhereTheResultSaturates(Candidate c) {
        // Every 61st float in [-2, 0) (about 17M values, sampled) and every float in [-17.4, -17.2]
        float[] near = new float[(0x40000000 / 61) + 1];
        int k = 0;
        for (int bits = 0x80000001; bits != 0xC0000001 && k < near.length; bits += 61) {
            near[k++] = Float.intBitsToFloat(bits);
        }
        verify(c, 1f, java.util.Arrays.copyOf(near, k), runNative(c, 1f, java.util.Arrays.copyOf(near, k), 0, 0, false));
        List<Float> sat = new ArrayList<>();
        for (float v = -17.4f; v <= -17.2f; v = Math.nextUp(v)) {
            sat.add(v);
        }
        float[] s = new float[sat.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = sat.get(i);
        }
        verify(c, 1f, s, runNative(c, 1f, s, 0, 0, false));
    }

    /** Runs c on x placed at the given byte offsets in guarded native buffers; returns the result. */
    static float[] runNative(Candidate c, float alpha, float[] x, long srcOff, long dstOff, boolean inPlace) {
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
                if ((i < start || i >= start + bytes) && dstBuf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != GUARD) {
                    fail(c + ": wrote outside the destination at buffer byte " + i + " (n=" + x.length + ")");
                }
            }
            if (!inPlace) {
                for (int i = 0; i < x.length; i++) {
                    if (Float.floatToRawIntBits(src.getAtIndex(JAVA_FLOAT_UNALIGNED, i)) != Float.floatToRawIntBits(x[i])) {
                        fail(c + ": modified its source at " + i);
                    }
                }
            }
            float[] y = new float[x.length];
            MemorySegment.copy(dst, 0, MemorySegment.ofArray(y), 0, bytes);
            verify(c, alpha, x, y);
            return y;
        }
    }

    static void verify(Candidate c, float alpha, float[] x, float[] y) {
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
    }

    private static boolean allZero(float[] a) {
        for (float v : a) {
            if (Float.floatToRawIntBits(v) != 0) {
                return false;
            }
        }
        return true;
    }
}
