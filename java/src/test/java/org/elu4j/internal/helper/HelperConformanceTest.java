package org.elu4j.internal.helper;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu4j;
import org.elu4j.NativeCallException;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.EluBackend;
import org.elu4j.internal.HalfFloats;
import org.elu4j.internal.Op;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.ConformanceSuite;
import org.elu4j.testing.Family;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The C helper on the conformance suite: through the public API at its active level (the pin of
 * {@code elu4j.helper.isa} / {@code ELU4J_HELPER_ISA}, else the best), and pinned to each ISA level
 * ({@link Portable}, {@link Avx2}, {@link Avx512}: {@link HelperBackend#forIsa}, below the public
 * API); a level this CPU lacks ({@link Machine#helperLevels()}) is skipped with that reason. It
 * computes bf16/f16 in f32. Specific here: its levels agree with the CPU's flags, C and Java pick
 * the float kernel by the same rule and that kernel gives the Vector API backend's bits, and the
 * library's own refusals below the API.
 */
class HelperConformanceTest extends ConformanceSuite {
    @Override
    protected Candidate subject() {
        return Candidate.of(Backend.HELPER);
    }

    @Override
    protected int lanes() {
        return lanesOf(Machine.expectedHelperLevel());
    }

    @Override
    protected boolean halfIsItsF32ResultRounded() {
        return true;
    }

    @Override
    protected boolean hasParallelPath() {
        return true;
    }

    static int lanesOf(String level) {
        return switch (level) {
            case "avx512" -> 16;
            case "avx2" -> 8;
            default -> 4;
        };
    }

    /** The helper pinned to one ISA level, below the public API. */
    abstract static class Level extends ConformanceSuite {
        abstract String level();

        @Override
        protected Candidate subject() {
            return Candidate.helperAt(level());
        }

        @Override
        protected int lanes() {
            return lanesOf(level());
        }

        @Override
        protected boolean halfIsItsF32ResultRounded() {
            return true;
        }
    }

    @Nested
    class Portable extends Level {
        @Override
        String level() {
            return "portable";
        }
    }

    @Nested
    class Avx2 extends Level {
        @Override
        String level() {
            return "avx2";
        }
    }

    @Nested
    class Avx512 extends Level {
        @Override
        String level() {
            return "avx512";
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** The helper's ISA levels are what the CPU's flags say, and it runs on the pinned level or the best. */
    @Test
    void levelsAgreeWithTheCpuFlags() {
        Assumptions.assumeTrue(Machine.knowsCpuFlags(), "/proc/cpuinfo has no flags line here");
        List<String> levels = Arrays.stream(HelperBackend.supportedIsas()).mapToObj(HelperBackend::isaName).toList();
        assertEquals(Machine.helperLevels(), levels, Machine.describe());
        assertEquals(Machine.expectedHelperLevel(), HelperBackend.isaName(HelperBackend.activeIsa()), Machine.describe());
        String helper = Elu4j.backends().stream().filter(s -> s.backend() == Backend.HELPER).findFirst().orElseThrow().detail();
        assertTrue(helper.contains("(" + Machine.expectedHelperLevel()), helper);
        assertEquals(Machine.helperPin() != null, helper.contains("pinned by"), helper);
    }

    /**
     * A helper fixed to one level pins it for the calling thread only: while another thread runs
     * such calls without pause, this thread's calls stay on the process's level (with a process-wide
     * pin they would see the other level now and then).
     */
    @Test
    void aFixedLevelDoesNotLeakIntoOtherThreads() throws Exception {
        int[] levels = HelperBackend.supportedIsas();
        int process = HelperBackend.activeIsa();
        int other = Arrays.stream(levels).filter(l -> l != process).findFirst().orElse(-1);
        Assumptions.assumeTrue(other >= 0, "the helper runs only one level here (" + HelperBackend.isaName(process)
                + "): no other level to pin");
        EluBackend fixed = HelperBackend.forIsa(other);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
        Thread pinner = Thread.ofPlatform().start(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment x = arena.allocate(4L * 64);
                while (!stop.get()) {
                    fixed.forward(Op.elu(1), DataType.F32, x, x, 1);
                    calls.incrementAndGet();
                }
            }
        });
        try {
            long deadline = System.nanoTime() + 300_000_000L;
            while (System.nanoTime() < deadline || calls.get() < 1000) {
                int seen = HelperBackend.activeIsa();
                if (seen != process) {
                    fail("this thread ran on " + HelperBackend.isaName(seen) + " while another thread used a helper fixed"
                            + " to " + HelperBackend.isaName(other) + "; the process's level is " + HelperBackend.isaName(process));
                }
            }
        } finally {
            stop.set(true);
            pinner.join();
        }
        assertEquals(process, HelperBackend.activeIsa());
    }

    /**
     * The float ELU kernel of every helper level gives the Vector API backend's bits (the two use the
     * same constants and steps): every 127th negative float pattern on the active level (16.8M
     * inputs, subnormals to -inf; every 2039th on the others) and the specials, for alphas at both
     * ends of the float kernel's range.
     */
    @Test
    void theFloatKernelGivesTheVectorBackendsBits() {
        EluBackend vector = BackendProvider.get().available(Backend.VECTOR);
        Assumptions.assumeTrue(vector != null, () -> "the vector backend is not available here, nothing to compare with: "
                + Elu4j.backends().stream().filter(s -> s.backend() == Backend.VECTOR).findFirst().orElseThrow().detail());
        for (int isa : HelperBackend.supportedIsas()) {
            // the active level densely, the others every 2039th pattern (the grid checks them against the oracle)
            sameBitsAsVector(vector, isa, isa == HelperBackend.activeIsa() ? 127 : 2039);
        }
    }

    /**
     * The general f32 kernel of every helper level gives the Vector API backend's bits (the same
     * operations, kernels_impl.h and GeneralElu.eluGeneral), which also shows that both sides
     * chose it ({@link Op#isGeneralF32Elu()} and elu4j.c's fill_general: the double path they
     * fall back to is correctly rounded, so a disagreement shows as differing bits): every 127th
     * negative pattern on the active level and every 2039th on the others, positive subnormals and
     * the smallest normals (the tiny positives' double path), for SELU, CELU and scaled forms, unit
     * and non-unit input scales, and every kind of positive side.
     */
    @Test
    void theGeneralKernelGivesTheVectorBackendsBits() {
        EluBackend vector = BackendProvider.get().available(Backend.VECTOR);
        Assumptions.assumeTrue(vector != null, () -> "the vector backend is not available here, nothing to compare with: "
                + Elu4j.backends().stream().filter(s -> s.backend() == Backend.VECTOR).findFirst().orElseThrow().detail());
        List<Op> ops = List.of(Op.elu(1.6732632423543772, 1.0507009873554805, 1), Op.elu(0.7, 1, 1 / 0.7),
                Op.elu(1.3), Op.elu(2, 1, 0.5), Op.elu(3, 0.7, 1 / 3.0), Op.elu(1.5, 2.5, 0.3), Op.elu(0.1, 3, 7));
        for (Op op : ops) {
            assertTrue(op.isGeneralF32Elu(), op.toString());
        }
        for (int isa : HelperBackend.supportedIsas()) {
            sameBitsAsVector(vector, isa, isa == HelperBackend.activeIsa() ? 127 : 2039, ops);
        }
        assertFalse(Op.elu(-1, 1, 1).isGeneralF32Elu() || Op.elu(1).isGeneralF32Elu() || Op.elu(1, 1, 0x1p-61).isGeneralF32Elu()
                || Op.elu(0x1p40, 0x1p30, 1).isGeneralF32Elu() || Op.relu().isGeneralF32Elu());
    }

    /**
     * LeakyReLU's product gives the Vector API backend's bits on every helper level, forward and
     * backward, for slopes of each kind: float (0.25), a float pair (0.01, -0.2, 1.1, and 1.1 *
     * 2^-60 just inside the pair's range) and double (1e-30, 3e20): which also shows that elu4j.c's
     * fill_leaky and {@code F32Kernels.SlopePair} choose the same kind (a pair and the double
     * product round differently for some inputs of the sample). Forward over the inputs of the
     * ELU comparisons; backward with every 2039th float pattern as dy against x of both signs,
     * zero and NaN.
     */
    @Test
    void leakyReluGivesTheVectorBackendsBits() {
        EluBackend vector = BackendProvider.get().available(Backend.VECTOR);
        Assumptions.assumeTrue(vector != null, () -> "the vector backend is not available here, nothing to compare with: "
                + Elu4j.backends().stream().filter(s -> s.backend() == Backend.VECTOR).findFirst().orElseThrow().detail());
        List<Op> ops = List.of(Op.leakyRelu(0.25), Op.leakyRelu(0.01), Op.leakyRelu(-0.2), Op.leakyRelu(1.1),
                Op.leakyRelu(1.1 * 0x1p-60), Op.leakyRelu(1e-30), Op.leakyRelu(3e20));
        int n = (int) (0x100000000L / 2039);
        float[] xs = {-1f, 1f, 0f, -0f, Float.NaN, -3e-40f, 2f};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dy = arena.allocate(4L * n, 64);
            MemorySegment x = arena.allocate(4L * n, 64);
            for (int i = 0; i < n; i++) {
                dy.setAtIndex(JAVA_FLOAT_UNALIGNED, i, Float.intBitsToFloat((int) (i * 2039L)));
                x.setAtIndex(JAVA_FLOAT_UNALIGNED, i, xs[i % xs.length]);
            }
            MemorySegment dv = arena.allocate(4L * n, 64);
            MemorySegment dh = arena.allocate(4L * n, 64);
            for (int isa : HelperBackend.supportedIsas()) {
                sameBitsAsVector(vector, isa, isa == HelperBackend.activeIsa() ? 127 : 2039, ops);
                for (Op op : ops) {
                    vector.backward(op, DataType.F32, false, dy, x, dv);
                    HelperBackend.forIsa(isa).backward(op, DataType.F32, false, dy, x, dh);
                    long at = dv.mismatch(dh);
                    assertEquals(-1, at, () -> HelperBackend.isaName(isa) + " " + op + " backward: dy="
                            + dy.get(JAVA_FLOAT_UNALIGNED, at & ~3) + " x=" + x.get(JAVA_FLOAT_UNALIGNED, at & ~3)
                            + " vector " + dv.get(JAVA_FLOAT_UNALIGNED, at & ~3) + " helper "
                            + dh.get(JAVA_FLOAT_UNALIGNED, at & ~3));
                }
            }
        }
    }

    /**
     * The backward from the output of every helper level gives the Vector API backend's bits (both
     * run bwd_y_one's operations), for f32 and, widened and rounded back, bf16 and f16: y over every
     * 2039th negative float pattern (rounded to the type) and the specials, dy varying, for the
     * parameter sets above and the float kernel's.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DataType.class, names = {"F32", "BF16", "F16"})
    void theBackwardFromTheOutputGivesTheVectorBackendsBits(DataType type) {
        EluBackend vector = BackendProvider.get().available(Backend.VECTOR);
        Assumptions.assumeTrue(vector != null, () -> "the vector backend is not available here, nothing to compare with: "
                + Elu4j.backends().stream().filter(s -> s.backend() == Backend.VECTOR).findFirst().orElseThrow().detail());
        // elu(1), elu(0.5), elu(2): the one-fma form (alpha * scale a power of two, input scale 1);
        // elu(10, 0.1, 1) too, with a scale that is no float (the positive side's second product)
        List<Op> ops = List.of(Op.elu(1), Op.elu(0.5), Op.elu(2), Op.elu(10, 0.1, 1),
                Op.elu(1.6732632423543772, 1.0507009873554805, 1),
                Op.elu(0.7, 1, 1 / 0.7), Op.elu(3, 0.7, 1 / 3.0), Op.elu(1.5, 2.5, 0.3));
        int stride = 2039;
        int n = (int) ((0xff800000L - 0x80000000L) / stride) + 8;
        int es = type.byteSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment y = arena.allocate((long) es * n, 64);
            MemorySegment dy = arena.allocate((long) es * n, 64);
            long bits = 0x80000000L;
            for (int i = 0; i < n - 8; i++, bits += stride) {
                put(type, y, i, Float.intBitsToFloat((int) bits));
                put(type, dy, i, (i % 7 - 3) * 0.37f + 1e-3f * (i % 101));
            }
            float[] specials = {Float.NEGATIVE_INFINITY, -1.7580993f, -1f, -0f, 0f, 3f, Float.MAX_VALUE, Float.POSITIVE_INFINITY};
            // 0x1.35p70f: above 2^64, where bwd_y_one takes dy * (ah + al) with an input scale
            // (not a power of two: that product and the fma form differ in some lanes)
            float[] grads = {1.5f, 0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0x1.35p70f, -3f, 2f};
            for (int i = 0; i < 8; i++) {
                put(type, y, n - 8 + i, specials[i]);
                put(type, dy, n - 8 + i, grads[(i + 3) % 8]);
            }
            for (int i = 0; i < n - 8; i += 97) { // zero and infinite gradients on ordinary outputs
                put(type, dy, i, grads[(i / 97) % 8]);
            }
            // |dy| just above 2^64 where the derivative is below ~0.6 (y near -alpha * scale): the
            // product stays below 2^64, so only the test of dy itself sends these to dy * (ah + al)
            for (int i = 48; i < n - 8; i += 97) {
                put(type, dy, i, -0x1.9p64f);
            }
            MemorySegment dv = arena.allocate((long) es * n, 64);
            MemorySegment dh = arena.allocate((long) es * n, 64);
            for (Op op : ops) {
                assertTrue(op.isGeneralF32Backward(), op.toString());
                vector.backward(op, type, true, dy, y, dv);
                for (int isa : HelperBackend.supportedIsas()) {
                    HelperBackend.forIsa(isa).backward(op, type, true, dy, y, dh);
                    long byteAt = dv.mismatch(dh);
                    long at = byteAt < 0 ? -1 : byteAt / es;
                    assertEquals(-1, at, () -> HelperBackend.isaName(isa) + " " + type + " " + op + ": y="
                            + (float) Family.value(type, y, (int) at) + " dy=" + (float) Family.value(type, dy, (int) at)
                            + " vector " + (float) Family.value(type, dv, (int) at)
                            + " helper " + (float) Family.value(type, dh, (int) at));
                }
            }
        }
        assertFalse(Op.elu(-1, 1, 1).isGeneralF32Backward() || Op.relu().isGeneralF32Backward());
    }

    /**
     * The backward from the input of every helper level gives the Vector API backend's bits in
     * every group of 16 elements (from the start of the call) that the f32 pairs run, for f32 and,
     * widened and rounded back, bf16 and f16: x over the negative patterns down to t = -87 at a
     * stride, dy varying; a few groups hold an element outside the pairs' range (t below -87,
     * NaN, |dy| above 2^64), which both backends then compute in double: within 2 units of the
     * type of each other there (each within 1 ulp of the exact value before any rounding to a half).
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DataType.class, names = {"F32", "BF16", "F16"})
    void theBackwardFromTheInputGivesTheVectorBackendsBitsWhereThePairsRun(DataType type) {
        EluBackend vector = BackendProvider.get().available(Backend.VECTOR);
        Assumptions.assumeTrue(vector != null, () -> "the vector backend is not available here, nothing to compare with: "
                + Elu4j.backends().stream().filter(s -> s.backend() == Backend.VECTOR).findFirst().orElseThrow().detail());
        List<Op> ops = List.of(Op.elu(1), Op.elu(0.5), Op.elu(1.6732632423543772, 1.0507009873554805, 1),
                Op.elu(0.3, 1, 1 / 0.3), Op.elu(3, 0.7, 1 / 3.0), Op.elu(1.5, 2.5, 0.3));
        int n = 400_003;
        int es = type.byteSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate((long) es * n, 64);
            MemorySegment dy = arena.allocate((long) es * n, 64);
            MemorySegment dv = arena.allocate((long) es * n, 64);
            MemorySegment dh = arena.allocate((long) es * n, 64);
            for (Op op : ops) {
                assertTrue(op.isGeneralF32Backward(), op.toString());
                float shi = (float) op.inputScale();
                long last = Float.floatToRawIntBits(-86.99f / shi) & 0xffffffffL;
                long stride = (last - 0x80000000L) / (n - n / 10) + 1;
                for (int i = 0; i < n; i++) {
                    float xi = i % 10 == 9 ? 0.01f * (i % 1000) // some positives
                            : Float.intBitsToFloat((int) (0x80000000L + (stride * i) % (last - 0x80000000L)));
                    float gi = (i % 7 - 3) * 0.37f + 1e-3f * (i % 101);
                    if (i % 4099 == 17) {
                        xi = i % 3 == 0 ? -200f / shi : Float.NaN;
                    } else if (i % 4099 == 33) {
                        gi = i % 2 == 0 ? 0x1p70f : Float.POSITIVE_INFINITY;
                    } else if (i % 4099 == 49) { // NaN, every payload bit set: a NaN result (any payload)
                        gi = Float.intBitsToFloat(i % 2 == 0 ? 0x7FFFFFFF : 0xFFBFFFFF);
                    } else if (i % 211 == 5) {
                        gi = i % 2 == 0 ? 0f : -0f;
                    } else if (i % 211 == 6) { // subnormal: dy * alpha inexact where alpha < 1
                        gi = (i % 4 == 0 ? 1 : -1) * Float.MIN_VALUE * (1 + 2 * (i % 3000));
                    }
                    put(type, x, i, xi);
                    put(type, dy, i, gi);
                }
                vector.backward(op, type, false, dy, x, dv);
                for (int isa : HelperBackend.supportedIsas()) {
                    HelperBackend.forIsa(isa).backward(op, type, false, dy, x, dh);
                    for (int start = 0; start < n; start += 16) {
                        boolean inRange = true;
                        for (int i = start; i < Math.min(n, start + 16); i++) {
                            inRange &= shi * (float) Family.value(type, x, i) >= -87f
                                    && Math.abs(Family.value(type, dy, i)) <= 0x1p64;
                        }
                        final boolean pairs = inRange;
                        for (int i = start; i < Math.min(n, start + 16); i++) {
                            long a = Family.bits(type, dv, i);
                            long h = Family.bits(type, dh, i);
                            float af = (float) Family.value(type, dv, i);
                            int at = i;
                            boolean ok = pairs ? a == h
                                    : Float.isNaN(af) ? Double.isNaN(Family.value(type, dh, i)) : Math.abs(a - h) <= 2;
                            assertTrue(ok, () -> HelperBackend.isaName(isa) + " " + type + " " + op + (pairs ? " (pairs)" : " (double)")
                                    + ": x=" + (float) Family.value(type, x, at) + " dy=" + (float) Family.value(type, dy, at)
                                    + " vector " + af + " helper " + (float) Family.value(type, dh, at));
                        }
                    }
                }
            }
        }
    }

    /** v rounded to the type (to nearest even) into element i. */
    private static void put(DataType type, MemorySegment s, int i, float v) {
        switch (type) {
            case BF16 -> s.setAtIndex(JAVA_SHORT_UNALIGNED, i, HalfFloats.floatToBf16(v));
            case F16 -> s.setAtIndex(JAVA_SHORT_UNALIGNED, i, HalfFloats.floatToF16(v));
            default -> s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, v);
        }
    }

    private static void sameBitsAsVector(EluBackend vector, int isa, int stride) {
        List<Op> ops = new ArrayList<>();
        for (float alpha : new float[] {1f, 0.5f, 2f, 0x1p-100f, 0x1p100f}) {
            Op op = Op.elu(alpha);
            assertTrue(op.isFastF32Elu(), op.toString());
            ops.add(op);
        }
        sameBitsAsVector(vector, isa, stride, ops);
    }

    private static void sameBitsAsVector(EluBackend vector, int isa, int stride, List<Op> ops) {
        int negatives = (int) ((0xff800000L - 0x80000000L) / stride);
        int positives = 8192; // subnormals (where a two-part scale underflows) and the smallest normals
        int n = negatives + positives + 8;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * n, 64);
            long bits = 0x80000000L;
            for (int i = 0; i < negatives; i++, bits += stride) {
                x.setAtIndex(JAVA_FLOAT_UNALIGNED, i, Float.intBitsToFloat((int) bits));
            }
            for (int i = 0; i < positives; i++) {
                int b = i < positives / 2 ? 1 + i * 2039 : 0x00800000 + (i - positives / 2) * 3001;
                x.setAtIndex(JAVA_FLOAT_UNALIGNED, negatives + i, Float.intBitsToFloat(b));
            }
            float[] specials = {Float.NEGATIVE_INFINITY, -88f, -87.5f, -0f, 0f, Float.NaN, -Float.MIN_VALUE, Float.POSITIVE_INFINITY};
            for (int i = 0; i < 8; i++) {
                x.setAtIndex(JAVA_FLOAT_UNALIGNED, n - 8 + i, specials[i]);
            }
            MemorySegment yv = arena.allocate(4L * n, 64);
            MemorySegment yh = arena.allocate(4L * n, 64);
            for (Op op : ops) {
                vector.forward(op, DataType.F32, x, yv, 1);
                HelperBackend.forIsa(isa).forward(op, DataType.F32, x, yh, 1);
                long at = yv.mismatch(yh);
                assertEquals(-1, at, () -> HelperBackend.isaName(isa) + " " + op + ": x="
                        + x.get(JAVA_FLOAT_UNALIGNED, at & ~3) + " vector " + yv.get(JAVA_FLOAT_UNALIGNED, at & ~3)
                        + " helper " + yh.get(JAVA_FLOAT_UNALIGNED, at & ~3));
            }
        }
    }

    /**
     * One rule decides the float-kernel path: the helper's {@code elu4j_uses_float_kernel} (what
     * elu4j_forward does) and {@link Op#isFastF32Elu()} (what the Vector API backend does) agree,
     * at both ends of the power-of-two range, for every sign and for the other parameters.
     */
    @Test
    void theFloatKernelRuleIsTheSameInCAndJava() {
        List<Double> alphas = new ArrayList<>(List.of(0.0, -0.0, 0.3, 1.5, 3.0, Double.MIN_VALUE, Double.MAX_VALUE,
                0x1p-1022, Math.nextUp(1.0), Math.nextDown(1.0), Math.nextUp(0x1p100), Math.nextDown(0x1p-100)));
        for (int k = -104; k <= 104; k++) {
            alphas.add(Math.scalb(1.0, k));
            alphas.add(-Math.scalb(1.0, k));
        }
        int fast = 0;
        for (double a : alphas) {
            for (Op op : List.of(Op.elu(a), Op.elu(a, 2, 1), Op.elu(a, 1, 0.5), Op.elu(a, -1, 1), Op.leakyRelu(a))) {
                assertEquals(op.isFastF32Elu(), HelperBackend.usesFloatKernel(op), op.toString());
                fast += op.isFastF32Elu() ? 1 : 0;
            }
        }
        assertEquals(201, fast); // 2^-100 .. 2^100, plain ELU only
        assertTrue(HelperBackend.usesFloatKernel(Op.elu(1)) && !HelperBackend.usesFloatKernel(Op.relu()));
    }

    @Test
    void refusedCallsThrowAndLeaveTheDestination() {
        HelperBackend helper = HelperBackend.best();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dy = arena.allocate(64);
            MemorySegment y = arena.allocate(64);
            MemorySegment dx = arena.allocate(64);
            dx.fill((byte) 0x5a);
            // from the output with alpha < 0 is undefined: the library refuses it
            NativeCallException e = assertThrows(NativeCallException.class,
                    () -> helper.backward(Op.elu(-1), DataType.F32, true, dy, y, dx));
            assertTrue(e.getMessage().contains("ELU4J_ERR_INVALID_ARGUMENT"), e.getMessage());
            // dx overlapping the data
            assertThrows(NativeCallException.class,
                    () -> helper.backward(Op.elu(1), DataType.F32, false, dy, dx.asSlice(0, 32), dx.asSlice(4, 32)));
            for (int i = 0; i < 64; i++) {
                if (dx.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != 0x5a) {
                    fail("destination changed on error");
                }
            }
        }
    }
}
