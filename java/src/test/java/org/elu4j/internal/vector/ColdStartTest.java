package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.elu4j.DataType;
import org.elu4j.internal.HalfFloats;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The vector backend's cold start ({@link ColdStart}): its scalar forms give the kernels' bits (the
 * f32 ELU kernel for every negative float in the range where its arithmetic depends on the input,
 * special values, every length and offset; the general kernel over strides of all negatives,
 * positives and special values for six parameter sets; ReLU's and LeakyReLU's kernels over strides
 * of all patterns; every bf16/f16 binding with a scalar form on all 65,536 patterns); and bound
 * through the backend, the
 * calls do switch to the kernels once C2 has compiled them. Where the JIT cannot run the vector
 * backend (no FMA, or vectors under 128 bits: {@code -XX:UseAVX=0}) these tests are skipped with
 * that reason: the backend is refused there, so neither form ever runs.
 */
class ColdStartTest {
    /** Alphas of the float ELU kernel: 1 (plain ELU) and others, zero and negative included. */
    private static final float[] ALPHAS = {1f, 0.5f, 2f, 1.3f, 1.6732632f, 0f, -1.5f};

    @BeforeEach
    void vectorRuns() {
        String obstacle = Machine.vectorObstacle();
        assumeTrue(obstacle == null, "the JIT has no " + obstacle + " here, so the vector backend is refused");
    }

    /**
     * Kernel against scalar form, alpha 1: every float in [-88, -2^-30] (305 million, where the
     * arithmetic depends on the input: below -88 the clamp makes every input -88, above -2^-30 the
     * result is x), and every 101st pattern of the other negatives, NaNs included.
     */
    @Test
    void scalarFormIsTheKernelForEveryNegativeFloatWhoseArithmeticDiffers() {
        int chunk = 1 << 22;
        long low = Float.floatToRawIntBits(-0x1p-30f) & 0xFFFF_FFFFL;
        long high = Float.floatToRawIntBits(-88f) & 0xFFFF_FFFFL;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * chunk, 64);
            MemorySegment kernel = arena.allocate(4L * chunk, 64);
            MemorySegment scalar = arena.allocate(4L * chunk, 64);
            long next = 0x8000_0000L;
            while (next <= 0xFFFF_FFFFL) {
                int n = 0;
                for (; n < chunk && next <= 0xFFFF_FFFFL; n++) {
                    x.setAtIndex(JAVA_FLOAT_UNALIGNED, n, Float.intBitsToFloat((int) next));
                    if (next >= low && next <= high) {
                        next++;
                    } else {
                        next = next < low && next + 101 > low ? low : next + 101; // land on low: every float from there
                    }
                }
                FloatElu.kernelUnit(x, kernel, 4L * n);
                ScalarForms.f32((a, b, m) -> ScalarForms.elu(a, b, m, 1f), x, scalar, 4L * n);
                long diff = kernel.asSlice(0, 4L * n).mismatch(scalar.asSlice(0, 4L * n));
                if (diff >= 0) {
                    int i = (int) (diff / 4);
                    float in = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                    assertEquals(hex(kernel.getAtIndex(JAVA_FLOAT_UNALIGNED, i)), hex(scalar.getAtIndex(JAVA_FLOAT_UNALIGNED, i)),
                            "elu(" + in + " = " + hex(in) + ")");
                }
            }
        }
    }

    /**
     * Special values and random patterns of every kind (NaN payloads, infinities, zeros,
     * subnormals, the clamp's edge), with alphas other than 1, at every length up to five
     * vectors and every float offset within a vector: the kernel's masked tail and unaligned
     * accesses against the scalar loop.
     */
    @Test
    void scalarFormIsTheKernelForSpecialValuesLengthsOffsetsAndAlphas() {
        float[] specials = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL,
                -0x1p-126f * 0.75f, -1e-8f, -0x1p-25f, -0x1p-24f, -0.3466f, -0.5f, -1f, -17.33f, -87.33655f,
                Math.nextUp(-88f), -88f, Math.nextDown(-88f), -103.97f, -1e30f, -Float.MAX_VALUE, Float.MAX_VALUE,
                Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7fa0_0001),
                Float.intBitsToFloat(0xffc0_1234), Float.intBitsToFloat(0xff80_0001), 1f, 3.5f};
        int lanes = F32Kernels.F.length();
        int max = 5 * lanes + 3;
        SplittableRandom random = new SplittableRandom(20261206);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * (max + lanes), 64);
            MemorySegment kernel = arena.allocate(4L * (max + lanes), 64);
            MemorySegment scalar = arena.allocate(4L * (max + lanes), 64);
            for (int rep = 0; rep < 200; rep++) {
                for (int i = 0; i < max + lanes; i++) {
                    float v = switch (random.nextInt(3)) {
                        case 0 -> specials[random.nextInt(specials.length)];
                        case 1 -> Float.intBitsToFloat(random.nextInt());
                        default -> (float) random.nextDouble(-20, 1);
                    };
                    x.setAtIndex(JAVA_FLOAT_UNALIGNED, i, v);
                }
                float alpha = ALPHAS[rep % ALPHAS.length];
                for (int offset = 0; offset < lanes; offset += rep % 2 == 0 ? 1 : 3) {
                    for (int n = 0; n <= max; n += 1 + rep % 3) {
                        MemorySegment src = x.asSlice(4L * offset, 4L * n);
                        kernel.fill((byte) 0x55);
                        scalar.fill((byte) 0x55);
                        if (alpha == 1f) {
                            FloatElu.kernelUnit(src, kernel.asSlice(4L * offset, 4L * n), 4L * n);
                        } else {
                            FloatElu.kernel(src, kernel.asSlice(4L * offset, 4L * n), 4L * n, alpha);
                        }
                        ScalarForms.f32((a, b, m) -> ScalarForms.elu(a, b, m, alpha), src, scalar.asSlice(4L * offset, 4L * n), 4L * n);
                        long diff = kernel.mismatch(scalar);
                        if (diff >= 0) {
                            int i = (int) (diff / 4);
                            float in = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                            assertEquals(hex(kernel.getAtIndex(JAVA_FLOAT_UNALIGNED, i)),
                                    hex(scalar.getAtIndex(JAVA_FLOAT_UNALIGNED, i)), "alpha " + alpha + ", " + n
                                    + " floats at offset " + offset + ", element " + (i - offset) + ": elu(" + hex(in) + ")");
                        }
                    }
                }
            }
        }
    }

    /**
     * Functions of the general kernel: both input-scale loops, float and pair scales, the linear
     * range taken as x itself (CELU; and with an input scale below 2^-16, where binary16 has inputs
     * in it) and computed (scale 1 with {@code alpha * inputScale != 1}).
     */
    private static final Op[] GENERAL = {Op.elu(1.6732632423543772, 1.0507009873554805, 1), Op.elu(0.7, 1, 1 / 0.7),
            Op.elu(1.5), Op.elu(0.5, 2, 1), Op.elu(1.3, 1.2, 0.3), Op.elu(2, 0.25, 3), Op.elu(0.5, 1, 3),
            Op.elu(1e6, 1, 1e-6)};

    /**
     * The general kernel ({@link GeneralElu#eluGeneral}, {@link GeneralElu#eluGeneralUnitInput})
     * against its scalar form: every 997th negative pattern (NaNs included), every pattern near the
     * linear range's edge and the clamp, positives with the tiny ones' double product, special
     * values, for SELU, CELU and other parameters.
     */
    @Test
    void generalScalarFormIsTheKernel() {
        int block = (int) (Staging.BLOCK_BYTES / Float.BYTES);
        int chunk = block << 16;
        float[] specials = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 0x1p-101f, 0x1p-100f, Math.nextDown(0x1p-100f),
                -0x1p-41f, -0x1p-40f, -1e-12f, -87f, -100f, -Float.MAX_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0xffc0_1234), Float.intBitsToFloat(0x7f80_0001)};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * chunk, 64);
            MemorySegment kernel = arena.allocate(4L * chunk, 64);
            MemorySegment scalar = arena.allocate(4L * chunk, 64);
            for (Op op : GENERAL) {
                assertTrue(op.isGeneralF32Elu(), op.toString());
                F32Kernels.General g = F32Kernels.General.of(op);
                SplittableRandom random = new SplittableRandom(op.hashCode());
                // Dense windows of 4,096 patterns at the linear range's edge and at the clamp.
                int[] windows = {Float.floatToRawIntBits(-g.lin()) - 2048, Float.floatToRawIntBits(g.xmin()) - 2048};
                long next = 0x8000_0000L;
                for (int round = 0; next <= 0xFFFF_FFFFL || round < 2; round++) {
                    for (int i = 0; i < chunk; i++) {
                        float v;
                        if (i < specials.length) {
                            v = specials[i];
                        } else if (round == 0 && i < specials.length + 8192) {
                            int w = i - specials.length;
                            v = Float.intBitsToFloat(windows[w / 4096] + w % 4096);
                        } else if (next <= 0xFFFF_FFFFL && i % 4 != 0) {
                            v = Float.intBitsToFloat((int) next);
                            next += 997;
                        } else {
                            v = Float.intBitsToFloat(random.nextInt() & 0x7FFF_FFFF); // positives, tiny ones included
                        }
                        x.setAtIndex(JAVA_FLOAT_UNALIGNED, i, v);
                    }
                    if (g.unitInput()) {
                        GeneralElu.eluGeneralUnitInput(x, kernel, 4L * chunk, g);
                    } else {
                        GeneralElu.eluGeneral(x, kernel, 4L * chunk, g);
                    }
                    ScalarForms.f32((a, b, m) -> ScalarForms.general(a, b, m, g), x, scalar, 4L * chunk);
                    long diff = kernel.mismatch(scalar);
                    if (diff >= 0) {
                        int i = (int) (diff / 4);
                        float in = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                        assertEquals(hex(kernel.getAtIndex(JAVA_FLOAT_UNALIGNED, i)), hex(scalar.getAtIndex(JAVA_FLOAT_UNALIGNED, i)),
                                op + " at " + hex(in));
                    }
                }
            }
        }
    }

    /**
     * The fused bf16/f16 loops of the general kernel ({@link HalfGeneral}) stop at an int vector
     * with an input in the linear range ({@code -lin < x < 0}, where the input scale is not 1),
     * which they leave to the staged path, except where that range's result is x itself
     * ({@link F32Kernels.General#linearIsX()}: CELU), which they keep; either way the call as a
     * whole gives the staged path's bits (where they keep it, both sides run the loops' lin_x
     * arithmetic: {@link #halfScalarFormsAreTheBindingsOnEveryPattern} checks those bits against
     * the scalar form, for both such ops of {@link #GENERAL}). binary16 reaches that range only
     * with an input scale below 2^-16 ({@code lin > 2^-24}).
     */
    @Test
    void fusedHalfLoopsLeaveOrKeepTheLinearRange() {
        int perStep = (int) (HalfElu.STEP_BYTES / 2);
        int n = 4 * perStep;
        Op[] ops = {Op.elu(0.7, 1, 1 / 0.7), Op.elu(1.25, 1, 0.3), Op.elu(1e6, 1, 1e-6), Op.elu(2e6, 1, 1e-6)};
        boolean[] linearIsX = {true, false, true, false};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(2L * n, 64);
            MemorySegment fused = arena.allocate(2L * n, 64);
            MemorySegment staged = arena.allocate(2L * n, 64);
            for (int o = 0; o < ops.length; o++) {
                Op op = ops[o];
                F32Kernels.General g = F32Kernels.General.of(op);
                assertTrue(op.isGeneralF32Elu() && !g.unitInput(), op.toString());
                assertEquals(linearIsX[o], g.linearIsX(), op.toString());
                Staging.Map1 rest = (s, d, b) -> GeneralElu.eluGeneral(s, d, b, g);
                for (DataType type : new DataType[] {DataType.BF16, DataType.F16}) {
                    boolean bf16 = type == DataType.BF16;
                    short tiny = bf16 ? HalfFloats.floatToBf16(-g.lin() / 2) : HalfFloats.floatToF16(-g.lin() / 2);
                    float t = bf16 ? HalfFloats.bf16ToFloat(tiny) : HalfFloats.f16ToFloat(tiny);
                    if (!(t < 0 && t > -g.lin())) {
                        assertTrue(!bf16 && g.lin() < 0x1p-24f, op + ": binary16 has no input in the linear range");
                        continue;
                    }
                    for (int i = 0; i < n; i++) {
                        float x = -3f + 6f * i / n;
                        src.setAtIndex(JAVA_SHORT_UNALIGNED, i, bf16 ? HalfFloats.floatToBf16(x) : HalfFloats.floatToF16(x));
                    }
                    src.setAtIndex(JAVA_SHORT_UNALIGNED, 2L * perStep + 5, tiny); // in the third int vector
                    long stop = bf16 ? HalfGeneral.bf16(src, fused, 0, 2L * n, g) : HalfGeneral.f16(src, fused, 0, 2L * n, g);
                    assertEquals(linearIsX[o] ? 2L * n : 2 * HalfElu.STEP_BYTES, stop, op + " " + type);
                    HalfGeneral.forward(type, g, rest, src, fused);
                    Staging.forwardHalf(rest, null, type, src, staged);
                    assertEquals(-1, fused.mismatch(staged), op + " " + type);
                }
            }
        }
    }

    /** LeakyReLU slopes: float ones (zero and negative included), pairs, and double ones (outside the pair's range). */
    private static final double[] SLOPES = {0.25, 0, -0.5, 2, 0.01, 0.1, -0.3, 1.0 / 3, 0x1p-70, 1e30};

    /** ELU beyond the general kernel's range (double lanes): alpha 0 and negative, a negative scale, a negative input scale, a huge alpha. */
    private static final Op[] DOUBLE_LANE_ELU = {Op.elu(0), Op.elu(-1.5), Op.elu(1.2, -0.5, 1), Op.elu(0.25, 2, -0.5),
            Op.elu(1e30, 1e-20, 1)};

    /**
     * ReLU's and LeakyReLU's f32 kernels ({@link F32Kernels#relu}, {@link F32Kernels#leakyFloat},
     * {@link F32Kernels#leakyPair}, {@link F32Kernels#leakyDouble}: the one {@link FamilyKernels#f32Choice}
     * picks for each slope) against their scalar forms on every 509th pattern (8.4M a kernel: each
     * exponent of both signs ~16K times, NaN payloads among them; the kernels do a product or two
     * an element, with no path chosen by the input but its sign, zero or NaN, so the every-61st
     * sweep before added 10-18 s and no kind of case), and ELU's in double lanes
     * ({@link F32Kernels#elu}, before the driver's fix-up of a negative input scale) on every 997th
     * (with two double lanes its kernel runs uncompiled, tens of ns an element): both signs, NaNs,
     * infinities, zeros and subnormals included.
     */
    @Test
    void reluLeakyAndDoubleLaneEluScalarFormsAreTheKernels() {
        int chunk = (int) (Staging.BLOCK_BYTES / Float.BYTES) << 16;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * chunk, 64);
            MemorySegment kernel = arena.allocate(4L * chunk, 64);
            MemorySegment scalar = arena.allocate(4L * chunk, 64);
            List<Op> ops = new java.util.ArrayList<>(List.of(Op.relu()));
            for (double slope : SLOPES) {
                ops.add(Op.leakyRelu(slope));
            }
            for (Op op : DOUBLE_LANE_ELU) {
                assertTrue(!op.isFastF32Elu() && !op.isGeneralF32Elu(), op + " runs in double lanes");
                ops.add(op);
            }
            for (Op op : ops) {
                FamilyKernels.F32Choice c = FamilyKernels.f32Choice(op);
                assertTrue(c.cold() != null, op + " has no scalar form");
                int stride = op.kind() == Op.Kind.ELU ? 997 : 509;
                long next = 0;
                while (next <= 0xFFFF_FFFFL) {
                    int n = 0;
                    for (; n < chunk; n++, next = next <= 0xFFFF_FFFFL ? next + stride : next) {
                        x.setAtIndex(JAVA_FLOAT_UNALIGNED, n, Float.intBitsToFloat((int) Math.min(next, 0xFFFF_FFFFL)));
                    }
                    c.kernel().run(x, kernel, 4L * chunk);
                    ScalarForms.f32(c.cold().floats(), x, scalar, 4L * chunk);
                    long diff = kernel.mismatch(scalar);
                    if (diff >= 0) {
                        int i = (int) (diff / 4);
                        float in = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                        assertEquals(hex(kernel.getAtIndex(JAVA_FLOAT_UNALIGNED, i)),
                                hex(scalar.getAtIndex(JAVA_FLOAT_UNALIGNED, i)), op + " at " + hex(in));
                    }
                }
            }
        }
    }

    /**
     * The f64 kernels ({@link F64Kernels#relu}, {@link F64Kernels#leaky}, {@link F64Kernels#elu})
     * against their scalar forms: special values, random patterns of every kind, and for ELU dense
     * random arguments across the range where the arithmetic depends on the input (to the clamp
     * at -64 and past it), for ELU with several parameter sets (a negative input scale included:
     * the kernel's bits before the fix-up; CELU(1000), whose subnormal products take the exact
     * value) and LeakyReLU with several slopes.
     */
    @Test
    void f64ScalarFormsAreTheKernels() {
        double[] specials = {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, -Double.MIN_NORMAL,
                -1e-300, -1e-17, -0.3466, -1, -37.5, -63.999, -64, -64.001, -745, -1e300, -Double.MAX_VALUE,
                Double.MAX_VALUE, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, Double.NaN,
                Double.longBitsToDouble(0x7ff0_0000_0000_0001L), Double.longBitsToDouble(0xfff8_1234_0000_0000L), 2.5,
                -0x1p-1013, -0x1.8p-1020}; // the last two: a subnormal x * inputScale for CELU(1000)
        List<Op> ops = List.of(Op.elu(1), Op.elu(1.6732632423543772, 1.0507009873554805, 1), Op.elu(0.7, 1, 1 / 0.7),
                Op.elu(1000, 1, 1 / 1000.0), // the kernel's tiny-product lanes
                Op.elu(0.5, 2, -1.5), Op.elu(2, 0.25, 3), Op.relu(), Op.leakyRelu(0.01), Op.leakyRelu(-2), Op.leakyRelu(0));
        int n = (int) (Staging.BLOCK_BYTES / Double.BYTES) << 12;
        SplittableRandom random = new SplittableRandom(20261206);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(8L * n, 64);
            MemorySegment kernel = arena.allocate(8L * n, 64);
            MemorySegment scalar = arena.allocate(8L * n, 64);
            for (Op op : ops) {
                Staging.Map1 k = FamilyKernels.f64Forward(op, false);
                Staging.Map1 form = FamilyKernels.f64Choice(op).form();
                for (int round = 0; round < 8; round++) {
                    for (int i = 0; i < n; i++) {
                        double v = switch (random.nextInt(4)) {
                            case 0 -> specials[random.nextInt(specials.length)];
                            case 1 -> Double.longBitsToDouble(random.nextLong());
                            default -> random.nextDouble(-80, 1) / Math.abs(op.inputScale());
                        };
                        x.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, v);
                    }
                    k.run(x, kernel, 8L * n);
                    form.run(x, scalar, 8L * n);
                    long diff = kernel.mismatch(scalar);
                    if (diff >= 0) {
                        int i = (int) (diff / 8);
                        double in = x.getAtIndex(JAVA_DOUBLE_UNALIGNED, i);
                        assertEquals(Long.toHexString(Double.doubleToRawLongBits(kernel.getAtIndex(JAVA_DOUBLE_UNALIGNED, i))),
                                Long.toHexString(Double.doubleToRawLongBits(scalar.getAtIndex(JAVA_DOUBLE_UNALIGNED, i))),
                                op + " at " + in + " = " + Long.toHexString(Double.doubleToRawLongBits(in)));
                    }
                }
            }
        }
    }

    /**
     * Functions for the backward: both f32 kernels from the output (fma and pairs), the pairs from
     * the input, ReLU, LeakyReLU, ELU in double lanes (before the fix-up of a negative input scale).
     */
    private static final Op[] BACKWARD = {Op.elu(1), Op.elu(0.5), GENERAL[0], GENERAL[1], Op.elu(1.3), GENERAL[3],
            GENERAL[4], GENERAL[5], Op.relu(), Op.leakyRelu(0.25), Op.leakyRelu(0.01), Op.leakyRelu(0x1p-70),
            Op.leakyRelu(-0.5), Op.leakyRelu(1e30), DOUBLE_LANE_ELU[0], DOUBLE_LANE_ELU[1], DOUBLE_LANE_ELU[2],
            DOUBLE_LANE_ELU[3], DOUBLE_LANE_ELU[4]};

    /** A gradient or input for the backward tests: special values, random patterns, ordinary values, now and then one outside the f32 pairs' range. */
    private static float backwardValue(SplittableRandom random, float[] specials) {
        int kind = random.nextInt(64);
        return kind == 0 ? specials[random.nextInt(specials.length)]
                : kind == 1 ? Float.intBitsToFloat(random.nextInt())
                : (float) random.nextDouble(-30, 5);
    }

    /**
     * The f32 backward kernels ({@link F32Backward}'s three, {@link F32DoubleLaneBackward}'s ReLU
     * and LeakyReLU) against their scalar forms, from the input and from the output, on random
     * gradients and inputs with special values and values outside the pairs' range here and there
     * (so that some 16-element groups run in double and their neighbours in the pairs).
     */
    @Test
    void f32BackwardScalarFormsAreTheKernels() {
        float[] specials = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, -1e-30f, -87.5f, -100f, -1e30f, 1e30f, 0x1p65f,
                -0x1p65f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN,
                Float.intBitsToFloat(0xffc0_1234), -1.6732632f, -1f};
        int n = (int) (Staging.BLOCK_BYTES / Float.BYTES) << 10;
        SplittableRandom random = new SplittableRandom(20261207);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dy = arena.allocate(4L * n, 64);
            MemorySegment xy = arena.allocate(4L * n, 64);
            MemorySegment kernel = arena.allocate(4L * n, 64);
            MemorySegment scalar = arena.allocate(4L * n, 64);
            int checked = 0;
            for (Op op : BACKWARD) {
                for (boolean fromOutput : new boolean[] {false, true}) {
                    if (fromOutput && op.fromOutputProblem() != null) {
                        continue;
                    }
                    FamilyKernels.B32Choice c = FamilyKernels.f32BackwardChoice(op, fromOutput);
                    assertTrue(c.form() != null, op + " backward has no scalar form");
                    for (int round = 0; round < 8; round++) {
                        for (int i = 0; i < n; i++) {
                            dy.setAtIndex(JAVA_FLOAT_UNALIGNED, i, backwardValue(random, specials));
                            xy.setAtIndex(JAVA_FLOAT_UNALIGNED, i, backwardValue(random, specials));
                        }
                        c.kernel().run(dy, xy, kernel, 4L * n);
                        ScalarForms.f32(c.form(), dy, xy, scalar, 4L * n);
                        long diff = mismatchButNaNs(kernel, scalar, DataType.F32);
                        if (diff >= 0) {
                            int i = (int) (diff / 4);
                            assertEquals(hex(kernel.getAtIndex(JAVA_FLOAT_UNALIGNED, i)), hex(scalar.getAtIndex(JAVA_FLOAT_UNALIGNED, i)),
                                    op + (fromOutput ? " from the output" : " from the input") + " at element " + i + ": dy "
                                            + hex(dy.getAtIndex(JAVA_FLOAT_UNALIGNED, i)) + ", x/y " + hex(xy.getAtIndex(JAVA_FLOAT_UNALIGNED, i)));
                        }
                        checked++;
                    }
                }
            }
            assertTrue(checked >= 8 * 20, "only " + checked + " rounds checked");
        }
    }

    /** The f64 backward kernels against their scalar forms, from the input and from the output (a negative input scale included). */
    @Test
    void f64BackwardScalarFormsAreTheKernels() {
        double[] specials = {0.0, -0.0, Double.MIN_VALUE, -1e-300, -745.5, -746, -800, -1e300, Double.MAX_VALUE,
                Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, Double.NaN, Double.longBitsToDouble(0xfff8_1234_0000_0000L)};
        List<Op> ops = List.of(Op.elu(1), GENERAL[0], GENERAL[1], Op.elu(0.5, 2, -1.5), Op.relu(), Op.leakyRelu(0.01),
                Op.leakyRelu(-2));
        int n = (int) (Staging.BLOCK_BYTES / Double.BYTES) << 10;
        SplittableRandom random = new SplittableRandom(20261208);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dy = arena.allocate(8L * n, 64);
            MemorySegment xy = arena.allocate(8L * n, 64);
            MemorySegment kernel = arena.allocate(8L * n, 64);
            MemorySegment scalar = arena.allocate(8L * n, 64);
            for (Op op : ops) {
                for (boolean fromOutput : new boolean[] {false, true}) {
                    if (fromOutput && op.fromOutputProblem() != null) {
                        continue;
                    }
                    Staging.Map2 k = FamilyKernels.f64Backward(op, fromOutput, false);
                    Staging.Map2 form = FamilyKernels.f64BackwardChoice(op, fromOutput).form();
                    for (int round = 0; round < 8; round++) {
                        for (int i = 0; i < n; i++) {
                            int kind = random.nextInt(16);
                            dy.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, kind == 0 ? specials[random.nextInt(specials.length)]
                                    : random.nextDouble(-10, 10));
                            xy.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, kind == 1 ? specials[random.nextInt(specials.length)]
                                    : kind == 2 ? Double.longBitsToDouble(random.nextLong()) : random.nextDouble(-800, 5));
                        }
                        k.run(dy, xy, kernel, 8L * n);
                        form.run(dy, xy, scalar, 8L * n);
                        long diff = mismatchButNaNs(kernel, scalar, DataType.F64);
                        if (diff >= 0) {
                            int i = (int) (diff / 8);
                            assertEquals(Long.toHexString(Double.doubleToRawLongBits(kernel.getAtIndex(JAVA_DOUBLE_UNALIGNED, i))),
                                    Long.toHexString(Double.doubleToRawLongBits(scalar.getAtIndex(JAVA_DOUBLE_UNALIGNED, i))),
                                    op + (fromOutput ? " from the output" : " from the input") + ": dy "
                                            + dy.getAtIndex(JAVA_DOUBLE_UNALIGNED, i) + ", x/y " + xy.getAtIndex(JAVA_DOUBLE_UNALIGNED, i));
                        }
                    }
                }
            }
        }
    }

    /**
     * The bf16 and f16 backward bindings with a scalar form, kernel against scalar form
     * ({@link ScalarForms#half(ScalarForms.Floats2, DataType, MemorySegment, MemorySegment, MemorySegment)}),
     * with every one of the 65,536 patterns as x (or y), in order against a permutation of them
     * and against ordinary gradients as dy, and interleaved with their negations against
     * ordinary gradients: in one call and at an odd offset and length. (Where
     * {@link FamilyKernels#formInsteadBackward} binds LeakyReLU's double product or ELU in double
     * lanes to its scalar form, 2 double lanes on x86, the binding is the form itself: that case is
     * checked by its f32 kernel against the form above, not here.)
     */
    @Test
    void halfBackwardScalarFormsAreTheBindingsOnEveryPattern() {
        int n = 1 << 16;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dy = arena.allocate(2L * n + 64, 64);
            MemorySegment xy = arena.allocate(2L * n + 64, 64);
            MemorySegment kernel = arena.allocate(2L * n + 64, 64);
            MemorySegment scalar = arena.allocate(2L * n + 64, 64);
            short[] heapDx = new short[n];
            for (DataType type : List.of(DataType.BF16, DataType.F16)) {
              // dy: every pattern permuted (many beyond 2^64 in bf16: their groups in double), and
              // ordinary gradients (so that groups run in the pairs); x or y: every pattern in
              // order, and interleaved with their negations (so that neighbours, which share an
              // int lane in the fused loops, differ in sign: where a test of one half lets a lane
              // through that it should not, its neighbour's test does not stop the vector)
              for (int set = 0; set < 3; set++) {
                for (int i = 0; i < n; i++) {
                    float ordinary = ((i * 37) % 200 - 100) / 16f;
                    dy.setAtIndex(JAVA_SHORT_UNALIGNED, i, set == 0 ? (short) (i * 40503 + 12345)
                            : type == DataType.BF16 ? HalfFloats.floatToBf16(ordinary) : HalfFloats.floatToF16(ordinary));
                    xy.setAtIndex(JAVA_SHORT_UNALIGNED, i, set < 2 ? (short) i : (short) ((i >> 1) + (i & 1) * 0x8000));
                }
                MemorySegment heapDy = MemorySegment.ofArray(dy.asSlice(0, 2L * n).toArray(JAVA_SHORT_UNALIGNED));
                MemorySegment heapXy = MemorySegment.ofArray(xy.asSlice(0, 2L * n).toArray(JAVA_SHORT_UNALIGNED));
                for (Op op : BACKWARD) {
                    for (boolean fromOutput : new boolean[] {false, true}) {
                        if (fromOutput && op.fromOutputProblem() != null) {
                            continue;
                        }
                        boolean fix = !fromOutput && op.kind() == Op.Kind.ELU && op.inputScale() < 0;
                        ScalarForms.Floats2 floats = FamilyKernels.f32BackwardChoice(op, fromOutput).form();
                        assertTrue(floats != null, op + " backward has no scalar form");
                        org.elu4j.internal.Binding.Backward f = VectorBackend.halfBackward(op, type, fromOutput, fix, false);
                        org.elu4j.internal.Binding.Backward form = VectorBackend.halfForm(floats,
                                fix ? FamilyKernels.backwardFixF32(op) : null, type);
                        for (int[] window : new int[][] {{0, n}, {3, n - 3 - 5}}) {
                            long off = 2L * window[0];
                            long len = 2L * window[1];
                            kernel.fill((byte) 0x55);
                            scalar.fill((byte) 0x55);
                            f.run(dy.asSlice(off, len), xy.asSlice(off, len), kernel.asSlice(off, len));
                            form.run(dy.asSlice(off, len), xy.asSlice(off, len), scalar.asSlice(off, len));
                            assertSameHalvesButNaNs(type, type + " " + op + (fromOutput ? " from the output" : " from the input")
                                    + " at offset " + window[0] + ", set " + set, xy, kernel, scalar);
                        }
                        kernel.fill((byte) 0x55);
                        scalar.fill((byte) 0x55);
                        f.run(dy.asSlice(0, 2L * n), xy.asSlice(0, 2L * n), kernel.asSlice(0, 2L * n));
                        form.run(heapDy, heapXy, MemorySegment.ofArray(heapDx));
                        MemorySegment.copy(heapDx, 0, scalar, JAVA_SHORT_UNALIGNED, 0, n);
                        assertSameHalvesButNaNs(type, type + " " + op + (fromOutput ? " from the output" : " from the input")
                                + " from heap arrays, set " + set, xy, kernel, scalar);
                    }
                }
              }
            }
        }
    }

    /**
     * The f32 and f64 drivers ({@link Staging#forwardWide}, {@link Staging#backwardWide}) with a
     * scalar form in the kernel's place give the kernel's bits at every length (whole blocks, a
     * staged partial block, several of the scalar forms' chunks), at an odd offset, from heap
     * arrays, and with the fix-up of a negative input scale (f64 ELU): what a binding runs before
     * and after its switch.
     */
    @Test
    void driversGiveTheKernelsBitsWithTheScalarFormsAtEveryLength() {
        int block = (int) (Staging.BLOCK_BYTES / Float.BYTES);
        int[] lengths = {1, 2, 3, 7, 15, 16, 17, 31, 33, block - 1, block, block + 1, 3 * block + 5, 4095, 4096, 4096 + 17,
                2 * 4096 + 3};
        SplittableRandom random = new SplittableRandom(20261209);
        float[] specials = {0f, -0f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -100f, 0x1p65f, -1e-40f};
        int max = 2 * 4096 + 3 + 1;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(8L * max, 64);
            MemorySegment b = arena.allocate(8L * max, 64);
            MemorySegment kernel = arena.allocate(8L * max, 64);
            MemorySegment scalar = arena.allocate(8L * max, 64);
            for (int i = 0; i < 2 * max; i++) {
                a.setAtIndex(JAVA_FLOAT_UNALIGNED, i, backwardValue(random, specials));
                b.setAtIndex(JAVA_FLOAT_UNALIGNED, i, backwardValue(random, specials));
            }
            for (Op op : List.of(Op.elu(1), GENERAL[0], GENERAL[1], Op.relu(), Op.leakyRelu(0.01), Op.leakyRelu(0x1p-70),
                    Op.elu(0.5, 2, -1.5), DOUBLE_LANE_ELU[0], DOUBLE_LANE_ELU[2])) {
                boolean fix = op.kind() == Op.Kind.ELU && op.inputScale() < 0;
                FamilyKernels.F32Choice f = FamilyKernels.f32Choice(op);
                FamilyKernels.B32Choice bin = FamilyKernels.f32BackwardChoice(op, false);
                Staging.Map1 f32Scalar = (x, y, n) -> ScalarForms.f32(f.cold().floats(), x, y, n);
                Staging.Map2 b32Scalar = (g, x, d, n) -> ScalarForms.f32(bin.form(), g, x, d, n);
                Staging.Map1 f64Kernel = FamilyKernels.f64Forward(op, false);
                Staging.Map1 f64Scalar = FamilyKernels.f64Choice(op).form();
                Staging.Map2 b64Kernel = FamilyKernels.f64Backward(op, false, false);
                Staging.Map2 b64Scalar = FamilyKernels.f64BackwardChoice(op, false).form();
                Staging.Fix1 fix64 = fix ? FamilyKernels.forwardFixF64(op) : null;
                Staging.Fix2 bfix64 = fix ? FamilyKernels.backwardFixF64(op) : null;
                for (int n : lengths) {
                    for (int offset : new int[] {0, 1}) {
                        String what = op + ", " + n + " elements at offset " + offset;
                        long off = 4L * offset;
                        long len = 4L * n;
                        Staging.forwardWide(f.kernel(), null, 4, a.asSlice(off, len), kernel.asSlice(off, len));
                        Staging.forwardWide(f32Scalar, null, 4, a.asSlice(off, len), scalar.asSlice(off, len));
                        assertSameButNaNs(DataType.F32, "f32 forward " + what, kernel.asSlice(off, len), scalar.asSlice(off, len));
                        float[] heap = a.asSlice(off, len).toArray(JAVA_FLOAT_UNALIGNED);
                        Staging.forwardWide(f32Scalar, null, 4, MemorySegment.ofArray(heap), MemorySegment.ofArray(heap));
                        assertSameButNaNs(DataType.F32, "f32 forward in place on a heap array " + what,
                                kernel.asSlice(off, len), MemorySegment.ofArray(heap));
                        Staging.backwardWide(bin.kernel(), null, 4, a.asSlice(off, len), b.asSlice(off, len), kernel.asSlice(off, len));
                        Staging.backwardWide(b32Scalar, null, 4, a.asSlice(off, len), b.asSlice(off, len), scalar.asSlice(off, len));
                        assertSameButNaNs(DataType.F32, "f32 backward " + what, kernel.asSlice(off, len), scalar.asSlice(off, len));
                        float[] heapDy = a.asSlice(off, len).toArray(JAVA_FLOAT_UNALIGNED);
                        float[] heapX = b.asSlice(off, len).toArray(JAVA_FLOAT_UNALIGNED);
                        Staging.backwardWide(b32Scalar, null, 4, MemorySegment.ofArray(heapDy), MemorySegment.ofArray(heapX),
                                MemorySegment.ofArray(heapDy)); // dx in dy's place
                        assertSameButNaNs(DataType.F32, "f32 backward in place on heap arrays " + what,
                                kernel.asSlice(off, len), MemorySegment.ofArray(heapDy));
                        off = 8L * offset; // the f64 kernels on the same bytes
                        len = 8L * n;
                        Staging.forwardWide(f64Kernel, fix64, 8, a.asSlice(off, len), kernel.asSlice(off, len));
                        Staging.forwardWide(f64Scalar, fix64, 8, a.asSlice(off, len), scalar.asSlice(off, len));
                        assertSameButNaNs(DataType.F64, "f64 forward " + what, kernel.asSlice(off, len), scalar.asSlice(off, len));
                        double[] heap64 = a.asSlice(off, len).toArray(JAVA_DOUBLE_UNALIGNED);
                        Staging.forwardWide(f64Scalar, fix64, 8, MemorySegment.ofArray(heap64), MemorySegment.ofArray(heap64));
                        assertSameButNaNs(DataType.F64, "f64 forward in place on a heap array " + what,
                                kernel.asSlice(off, len), MemorySegment.ofArray(heap64));
                        Staging.backwardWide(b64Kernel, bfix64, 8, a.asSlice(off, len), b.asSlice(off, len), kernel.asSlice(off, len));
                        Staging.backwardWide(b64Scalar, bfix64, 8, a.asSlice(off, len), b.asSlice(off, len), scalar.asSlice(off, len));
                        assertSameButNaNs(DataType.F64, "f64 backward " + what, kernel.asSlice(off, len), scalar.asSlice(off, len));
                        double[] heapDy64 = a.asSlice(off, len).toArray(JAVA_DOUBLE_UNALIGNED);
                        double[] heapX64 = b.asSlice(off, len).toArray(JAVA_DOUBLE_UNALIGNED);
                        Staging.backwardWide(b64Scalar, bfix64, 8, MemorySegment.ofArray(heapDy64), MemorySegment.ofArray(heapX64),
                                MemorySegment.ofArray(heapDy64));
                        assertSameButNaNs(DataType.F64, "f64 backward in place on heap arrays " + what,
                                kernel.asSlice(off, len), MemorySegment.ofArray(heapDy64));
                    }
                }
            }
        }
    }

    private static void assertSameButNaNs(DataType type, String what, MemorySegment kernel, MemorySegment scalar) {
        long diff = mismatchButNaNs(kernel, scalar, type);
        assertTrue(diff < 0, () -> what + ": element " + diff / type.byteSize() + " differs");
    }

    /**
     * Elu's first-call warm-up groups ({@link VectorBackend#warmUpGroup}): one per type and scalar
     * method, so distinct wherever the methods differ (LeakyReLU's float, pair and double products;
     * ELU from the output with an fma or with pairs) and shared where a method is the same (SELU
     * and ELU in f64; ReLU from x and from y), below 24 for the forward and from 24 to 63 for the
     * backward (Elu keys them as 64 * backend + group); ELU in double lanes (α 0 here) has its own
     * in f32, bf16 and f16, and shares ELU's one method in f64.
     */
    @Test
    void warmUpGroupsAreOnePerTypeAndScalarMethod() {
        assumeTrue(ColdStart.ENABLED, "-D" + ColdStart.PROPERTY + "=off");
        VectorBackend backend = new VectorBackend();
        List<Op> leaky = List.of(Op.leakyRelu(0.25), Op.leakyRelu(0.01), Op.leakyRelu(1e-30)); // float, pair, double
        Op fma = null;
        Op pairs = null;
        for (Op op : GENERAL) { // the two ways of ELU from the output, as the parameters choose them
            int method = FamilyKernels.f32BackwardChoice(op, true).group();
            fma = method == 5 && fma == null ? op : fma;
            pairs = method == 6 && pairs == null ? op : pairs;
        }
        assertTrue(fma != null && pairs != null, "GENERAL has both ways of ELU from the output");
        java.util.Map<Integer, String> seen = new java.util.HashMap<>();
        for (DataType type : DataType.values()) {
            boolean f64 = type == DataType.F64;
            List<Op> forward = new ArrayList<>(List.of(Op.elu(1), GENERAL[0], Op.relu(), Op.elu(0)));
            forward.addAll(leaky);
            for (Op op : forward) {
                int group = backend.warmUpGroup(op, type, Pass.FORWARD);
                if (f64 && (op == GENERAL[0] || op.equals(Op.elu(0)) || op == leaky.get(1) || op == leaky.get(2))) { // one f64 method each
                    Op first = op.kind() == Op.Kind.ELU ? Op.elu(1) : leaky.get(0);
                    assertEquals(backend.warmUpGroup(first, type, Pass.FORWARD), group, "f64 " + op + " shares " + first + "'s method");
                    continue;
                }
                assertTrue(group >= 0 && group < 24, type + " " + op + ": group " + group);
                String before = seen.put(group, type + " " + op);
                assertTrue(before == null, type + " " + op + " shares group " + group + " with " + before);
            }
            List<Op> fromInput = new ArrayList<>(List.of(Op.elu(1), Op.relu()));
            fromInput.addAll(f64 ? leaky.subList(0, 1) : leaky);
            if (!f64) {
                fromInput.add(Op.elu(0)); // double lanes
            }
            for (Pass pass : List.of(Pass.BACKWARD_FROM_INPUT, Pass.BACKWARD_FROM_OUTPUT)) {
                for (Op op : pass == Pass.BACKWARD_FROM_INPUT ? fromInput : f64 ? List.of(fma) : List.of(fma, pairs, Op.elu(0))) {
                    int group = backend.warmUpGroup(op, type, pass);
                    assertTrue(group >= 24 && group < 64, type + " " + op + " " + pass + ": group " + group);
                    String before = seen.put(group, type + " " + op + " " + pass);
                    assertTrue(before == null, type + " " + op + " " + pass + " shares group " + group + " with " + before);
                }
                if (f64) {
                    assertEquals(backend.warmUpGroup(pass == Pass.BACKWARD_FROM_INPUT ? Op.elu(1) : fma, type, pass),
                            backend.warmUpGroup(Op.elu(0), type, pass), type + " ELU backward with α 0: one f64 method");
                }
            }
            assertEquals(backend.warmUpGroup(Op.relu(), type, Pass.BACKWARD_FROM_INPUT),
                    backend.warmUpGroup(Op.relu(), type, Pass.BACKWARD_FROM_OUTPUT), type + " ReLU: one method from x and y");
            if (f64) {
                for (Op op : leaky.subList(1, 3)) {
                    assertEquals(backend.warmUpGroup(leaky.get(0), type, Pass.BACKWARD_FROM_INPUT),
                            backend.warmUpGroup(op, type, Pass.BACKWARD_FROM_INPUT), "f64 " + op + " backward: one method");
                }
            }
        }
        assertEquals(3 * (7 + 6 + 3) + 3 + 4, seen.size());
    }

    /**
     * The bf16 and f16 bindings of every function with a scalar form, kernel against scalar form
     * ({@link ScalarForms#half} around the f32 scalar form, what the binding runs until
     * C2 has compiled its loop), on every one of the 65,536 patterns: in one call (the fused loop
     * and, for binary16 infinities and NaNs, bfloat16 tiny positives and the general forward's
     * linear range, the int vectors it leaves to the staged path) and at an odd offset and length (the staged tail), both
     * in order and interleaved with their negations (the two halves of each int lane of different signs, each sign in
     * either half across the two offsets), and from a heap array
     * (which cold calls copy chunk by chunk into arrays, warm ones through the stage). (Where
     * {@link FamilyKernels#formInstead} binds LeakyReLU's double product or ELU in double lanes to its scalar form, the
     * binding is the form itself: checked through its f32 kernel against the form, not here.)
     */
    @Test
    void halfScalarFormsAreTheBindingsOnEveryPattern() {
        List<Op> ops = new java.util.ArrayList<>(List.of(Op.elu(1), Op.elu(0.5), Op.elu(2), Op.elu(0x1p-100),
                Op.elu(1.3), Op.relu()));
        ops.addAll(List.of(GENERAL));
        ops.addAll(List.of(DOUBLE_LANE_ELU)); // a negative input scale: the form through the staged path and its fix-up
        for (double slope : SLOPES) {
            ops.add(Op.leakyRelu(slope));
        }
        int n = 1 << 16;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(2L * n + 64, 64);
            MemorySegment mixed = arena.allocate(2L * n + 64, 64);
            MemorySegment kernel = arena.allocate(2L * n + 64, 64);
            MemorySegment scalar = arena.allocate(2L * n + 64, 64);
            for (int i = 0; i < n; i++) {
                x.setAtIndex(JAVA_SHORT_UNALIGNED, i, (short) i);
                // every pattern, interleaved with its negation: neighbours, which share an int lane
                // in the fused loops, differ in sign (as in the backward check below)
                mixed.setAtIndex(JAVA_SHORT_UNALIGNED, i, (short) ((i >> 1) + (i & 1) * 0x8000));
            }
            short[] heapOut = new short[n];
            MemorySegment heapIn = MemorySegment.ofArray(x.asSlice(0, 2L * n).toArray(JAVA_SHORT_UNALIGNED));
            for (DataType type : List.of(DataType.BF16, DataType.F16)) {
                for (Op op : ops) {
                    FamilyKernels.Cold cold = FamilyKernels.f32Choice(op).cold();
                    assertTrue(cold != null, op + " has no scalar form");
                    boolean fix = op.kind() == Op.Kind.ELU && op.inputScale() < 0;
                    org.elu4j.internal.Binding.Forward f = VectorBackend.halfForward(op, type, fix, false);
                    org.elu4j.internal.Binding.Forward form = VectorBackend.halfForm(cold.floats(),
                            fix ? FamilyKernels.forwardFixF32(op) : null, type);
                    for (MemorySegment xs : List.of(x, mixed)) {
                        for (int[] window : new int[][] {{0, n}, {3, n - 3 - 5}}) {
                            MemorySegment in = xs.asSlice(2L * window[0], 2L * window[1]);
                            kernel.fill((byte) 0x55);
                            scalar.fill((byte) 0x55);
                            f.run(in, kernel.asSlice(2L * window[0], 2L * window[1]), 1);
                            form.run(in, scalar.asSlice(2L * window[0], 2L * window[1]), 1);
                            assertSameHalves(type + " " + op + " at offset " + window[0]
                                    + (xs == mixed ? ", patterns interleaved with their negations" : ""), xs, kernel, scalar);
                        }
                    }
                    form.run(heapIn, MemorySegment.ofArray(heapOut), 1);
                    scalar.fill((byte) 0x55);
                    MemorySegment.copy(heapOut, 0, scalar, JAVA_SHORT_UNALIGNED, 0, n);
                    kernel.fill((byte) 0x55);
                    f.run(x.asSlice(0, 2L * n), kernel.asSlice(0, 2L * n), 1);
                    assertSameHalves(type + " " + op + " from a heap array", x, kernel, scalar);
                }
            }
        }
    }

    /**
     * The first byte offset where two tensors of {@code type} differ other than in two NaNs, or -1:
     * the backward's NaN results may be any NaN (which of x, y and dy a NaN comes from is the
     * backend's, and Java's arithmetic does not say which of two NaN operands it returns), every
     * other result is the same bits.
     */
    private static long mismatchButNaNs(MemorySegment a, MemorySegment b, DataType type) {
        long size = type.byteSize();
        long from = 0;
        while (true) {
            long diff = a.asSlice(from).mismatch(b.asSlice(from));
            if (diff < 0) {
                return -1;
            }
            long at = (from + diff) / size * size;
            boolean nans = switch (type) {
                case F32 -> Float.isNaN(a.get(JAVA_FLOAT_UNALIGNED, at)) && Float.isNaN(b.get(JAVA_FLOAT_UNALIGNED, at));
                case F64 -> Double.isNaN(a.get(JAVA_DOUBLE_UNALIGNED, at)) && Double.isNaN(b.get(JAVA_DOUBLE_UNALIGNED, at));
                default -> halfNaN(type, a.get(JAVA_SHORT_UNALIGNED, at)) && halfNaN(type, b.get(JAVA_SHORT_UNALIGNED, at));
            };
            if (!nans) {
                return at;
            }
            from = at + size;
        }
    }

    private static boolean halfNaN(DataType type, short h) {
        int exponent = type == DataType.BF16 ? 0x7F80 : 0x7C00;
        return (h & exponent) == exponent && (h & ~exponent & 0x7FFF) != 0;
    }

    private static void assertSameHalvesButNaNs(DataType type, String what, MemorySegment x, MemorySegment kernel,
            MemorySegment scalar) {
        long diff = mismatchButNaNs(kernel, scalar, type);
        if (diff >= 0) {
            long i = diff / 2;
            assertEquals(String.format("%04x", kernel.getAtIndex(JAVA_SHORT_UNALIGNED, i)),
                    String.format("%04x", scalar.getAtIndex(JAVA_SHORT_UNALIGNED, i)),
                    what + ": input pattern " + String.format("%04x", x.getAtIndex(JAVA_SHORT_UNALIGNED, i)));
        }
    }

    private static void assertSameHalves(String what, MemorySegment x, MemorySegment kernel, MemorySegment scalar) {
        long diff = kernel.mismatch(scalar);
        if (diff >= 0) {
            long i = diff / 2;
            assertEquals(String.format("%04x", kernel.getAtIndex(JAVA_SHORT_UNALIGNED, i)),
                    String.format("%04x", scalar.getAtIndex(JAVA_SHORT_UNALIGNED, i)),
                    what + ": input pattern " + String.format("%04x", x.getAtIndex(JAVA_SHORT_UNALIGNED, i)));
        }
    }

    /**
     * Bound through the backend, f32 ELU (alpha 1 and 2: two kernel methods), the general kernel's two loops, ReLU and bf16/f16
     * bindings (fused loops) switch to their kernels, and the warm-up thread ends: the calls then run the kernel (its pair is ready).
     * Each pair's limit is 30 s; C2 compiles a kernel within seconds even on a busy CI machine
     * (this JVM's other tests may have bound and switched them already: the same outcome).
     */
    @Test
    void callsSwitchToTheKernelsOnceC2HasCompiledThem() throws InterruptedException {
        assumeTrue(ColdStart.ENABLED, "-D" + ColdStart.PROPERTY + "=off");
        VectorBackend backend = new VectorBackend();
        backend.bindForward(Op.elu(1), DataType.F32); // FloatElu.kernelUnit
        backend.bindForward(Op.elu(2), DataType.F32); // FloatElu.kernel
        backend.bindForward(GENERAL[0], DataType.F32); // SELU: unit input, a scale pair
        backend.bindForward(GENERAL[1], DataType.F32); // CELU: another input scale, scale 1
        backend.bindForward(Op.relu(), DataType.F32);
        backend.bindForward(Op.elu(1), DataType.BF16);
        backend.bindForward(GENERAL[0], DataType.F16);
        backend.bindForward(Op.leakyRelu(0.01), DataType.BF16);
        backend.bindForward(Op.elu(1), DataType.F64);
        backend.bindBackward(Op.elu(1), DataType.F32, false);
        backend.bindBackward(GENERAL[0], DataType.BF16, true);
        backend.bindBackward(Op.elu(1), DataType.F64, false);
        String f32Backward = FamilyKernels.f32BackwardChoice(Op.elu(1), false).family();
        List<String> families = new ArrayList<>(List.of("elu", "elu, alpha 2^k", "general, unit input, scale pair", "general, float scale",
                "relu", "bf16 elu, fused", "f16 general, unit input, scale pair, fused", "bf16 leaky, slope pair, fused",
                f32Backward,
                "bf16 " + FamilyKernels.f32BackwardChoice(GENERAL[0], true).family() + ", fused"));
        if (FamilyKernels.DOUBLE_LANES_UNCOMPILED) { // two double lanes on x86: the scalar forms bound for good, no pair
            Op leakyDouble = Op.leakyRelu(1e-30);
            assertTrue(FamilyKernels.formInstead(leakyDouble));
            for (Op op : DOUBLE_LANE_ELU) {
                assertTrue(FamilyKernels.formInstead(op), op + " in double lanes");
                assertFalse(FamilyKernels.f32Forward(op, true) instanceof ColdStart.Pair, "f32 " + op + " binding");
                assertFalse(FamilyKernels.f32Backward(op, false, true) instanceof ColdStart.Pair, "f32 " + op + " backward");
            }
            assertFalse(FamilyKernels.formInstead(Op.elu(1)) || FamilyKernels.formInstead(GENERAL[0]), "the float kernels");
            Op tiny = Op.elu(0x1p-80); // the float kernel's forward, the backward in double lanes
            assertTrue(!FamilyKernels.formInstead(tiny) && FamilyKernels.formInsteadBackward(tiny), "elu(2^-80)");
            assertFalse(FamilyKernels.f32Backward(tiny, true, true) instanceof ColdStart.Pair, "f32 elu(2^-80) backward");
            assertFalse(FamilyKernels.f64Forward(Op.elu(1), true) instanceof ColdStart.Pair, "f64 forward binding");
            assertFalse(FamilyKernels.f64Backward(Op.elu(1), false, true) instanceof ColdStart.Pair, "f64 backward binding");
            assertFalse(FamilyKernels.f32Forward(leakyDouble, true) instanceof ColdStart.Pair, "f32 leaky binding");
            assertFalse(FamilyKernels.f32Backward(leakyDouble, false, true) instanceof ColdStart.Pair, "f32 leaky backward");
        } else {
            families.addAll(List.of("f64 elu", "f64 elu backward from the input"));
        }
        long deadline = System.nanoTime() + families.size() * ColdStart.MAX_NANOS + 10_000_000_000L;
        for (String family : families) {
            while (!ColdStart.compiled(family) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(ColdStart.compiled(family), "the vector kernel of " + family + " was never found compiled");
        }
        // The thread ends once no pair is left: ours are switched, but other tests in this JVM may
        // have queued more families, each switched, or given up after MAX_NANOS of the thread's
        // CPU (about twice that elapsed: half a CPU after the first seconds).
        while (threadAlive() && System.nanoTime() < deadline + 4 * ColdStart.MAX_NANOS) {
            Thread.sleep(20);
        }
        assertTrue(!threadAlive(), ColdStart.THREAD_NAME + " still runs with every pair switched");
        // A new binding of a compiled family runs the kernel itself.
        Staging.Map1 kernel = (s, d, b) -> { };
        assertTrue(ColdStart.of("elu", "test", kernel, (s, d, b) -> { }, new float[1], DataType.F32) == kernel);
        Staging.Map2 kernel2 = (g, x, d, b) -> { };
        assertTrue(ColdStart.ofBackward(f32Backward, "test", kernel2, (g, x, d, b) -> { },
                new float[1], DataType.F32) == kernel2);
    }

    private static boolean threadAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(ColdStart.THREAD_NAME));
    }

    private static String hex(float f) {
        return String.format("%08x (%s)", Float.floatToRawIntBits(f), f);
    }
}
