package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.util.function.DoubleUnaryOperator;
import org.elu4j.DataType;
import org.elu4j.internal.Op;
import org.elu4j.internal.scalar.ScalarBackend;
import org.elu4j.internal.vector.Staging.Fix1;
import org.elu4j.internal.vector.Staging.Fix2;
import org.elu4j.internal.vector.Staging.Map1;
import org.elu4j.internal.vector.Staging.Map2;

/**
 * Which kernel runs a function of the family, chosen once per binding with the function's
 * parameters captured: the fast float ELU, the general f32 kernels, the double-lane kernels,
 * the f64 kernels, and the scalar fix-ups where inputs can leave the kernels' range (ELU with a
 * negative input scale). {@link VectorBackend} binds them; {@link Staging} runs them over a call.
 */
final class FamilyKernels {
    /** Arguments above this (negative input scales only) are recomputed in scalar code. */
    private static final double FIX_ABOVE = 600;

    private FamilyKernels() {
    }

    /**
     * Whether the double-lane kernels that have a scalar form (every f64 kernel; f32 LeakyReLU's
     * double product, forward and backward, for every type) bind that form instead, for good: on
     * x86 with a 128-bit preferred shape (two double lanes, e.g. {@code -XX:MaxVectorSize=16}),
     * where C2 does not compile their 2-lane double (and 64-bit float) vector operations, and the
     * kernels run many times slower than the forms (docs/benchmarks.md, "Two double lanes");
     * the cold start would never switch, after its thread had spent its limit per kernel finding
     * that out. The same bits either way. So does ELU beyond the general f32 kernel's range (double
     * lanes both ways; not where the float ELU kernel runs its forward). Not measured on other
     * architectures: left to the cold start there.
     */
    static final boolean DOUBLE_LANES_UNCOMPILED = F64Kernels.D.length() < 4
            && System.getProperty("os.arch", "").matches("amd64|x86_64");

    /** Whether {@code op}'s f32, bf16 and f16 forward bindings run its scalar form ({@link #DOUBLE_LANES_UNCOMPILED}). */
    static boolean formInstead(Op op) {
        return formInsteadBackward(op) && !op.isFastF32Elu();
    }

    /**
     * Whether {@code op}'s f32, bf16 and f16 backward bindings run their scalar form: as
     * {@link #formInstead}, and also for ELU whose forward runs the float kernel but whose
     * backward is in double lanes (alpha = 2^k beyond the pairs' range).
     */
    static boolean formInsteadBackward(Op op) {
        if (!DOUBLE_LANES_UNCOMPILED) {
            return false;
        }
        return op.kind() == Op.Kind.LEAKY_RELU ? (float) op.alpha() != op.alpha() && F32Kernels.SlopePair.of(op.alpha()) == null
                : op.kind() == Op.Kind.ELU && !op.isGeneralF32Backward();
    }

    /**
     * The f32 forward kernel ({@link #f32Choice}), through its {@link ColdStart} where
     * {@code coldStart} (the f32 binding; bf16/f16 run theirs around the whole call, in
     * {@link VectorBackend}).
     */
    static Map1 f32Forward(Op op, boolean coldStart) {
        F32Choice c = f32Choice(op);
        Cold cold = c.cold();
        if (formInstead(op)) {
            ScalarForms.Floats form = cold.floats();
            return (s, d, b) -> ScalarForms.f32(form, s, d, b);
        }
        if (!coldStart) {
            return c.kernel();
        }
        ScalarForms.Floats f = cold.floats();
        return ColdStart.of(cold.family(), "f32 " + op, c.kernel(), (s, d, b) -> ScalarForms.f32(f, s, d, b),
                ColdStart.sample(cold.length(), cold.edges()), DataType.F32);
    }

    /**
     * A kernel's scalar form ({@link ColdStart}): the same bits one float at a time, on arrays
     * ({@link ScalarForms#f32}, {@link ScalarForms#half} run it over a call).
     *
     * @param family the kernel method with the branches its parameters take: the bindings that
     *               share compiled code, warmed once
     * @param group  the calls that share their cold path, for {@code Elu}'s first-call warm-up
     *               (0 to 6, one per scalar method: a method warmed for one binding is warmed for
     *               all; {@link VectorBackend#warmUpGroup})
     * @param length the f32 sample's length for the warm-up thread (what the kernel takes)
     * @param edges  values the sample starts with, which take the kernel's other steps
     */
    record Cold(String family, int group, ScalarForms.Floats floats, int length, float... edges) {
    }

    /** The f32 forward kernel chosen for a function, and its scalar form (every kernel has one). */
    record F32Choice(Map1 kernel, Cold cold) {
    }

    /**
     * The f32 forward kernel of a function with its parameters captured, and its scalar form:
     * ReLU, LeakyReLU (float, pair or double product), the float ELU kernel, the general kernel's
     * two loops, ELU beyond the general kernel's range (double lanes).
     */
    static F32Choice f32Choice(Op op) {
        final int block = (int) (Staging.BLOCK_BYTES / Float.BYTES);
        return switch (op.kind()) {
            case RELU -> new F32Choice(F32Kernels::relu, new Cold("relu", 2, ScalarForms::relu, 3 * block));
            case LEAKY_RELU -> {
                double slope = op.alpha();
                float slopeF = (float) slope;
                F32Kernels.SlopePair pair = F32Kernels.SlopePair.of(slope);
                if (slopeF == slope) {
                    yield new F32Choice((s, d, b) -> F32Kernels.leakyFloat(s, d, b, slopeF), new Cold(
                            "leaky, float slope", 3, (x, y, n) -> ScalarForms.leakyFloat(x, y, n, slopeF), 3 * block));
                }
                yield pair != null
                        ? new F32Choice((s, d, b) -> F32Kernels.leakyPair(s, d, b, pair), new Cold(
                                "leaky, slope pair", 4, (x, y, n) -> ScalarForms.leakyPair(x, y, n, pair), 3 * block))
                        : new F32Choice((s, d, b) -> F32Kernels.leakyDouble(s, d, b, slope), new Cold(
                                "leaky, double slope", 5, (x, y, n) -> ScalarForms.leakyDouble(x, y, n, slope), 3 * block));
            }
            case ELU -> {
                if (op.isFastF32Elu()) {
                    float alpha = op.alphaF();
                    // Two pairs of vectors, a whole and a partial tail vector: the kernel's masked tail too.
                    // Two kernel methods, two families: alpha = 1's (no multiply) and the other powers of two's.
                    Cold cold = new Cold(alpha == 1.0f ? "elu" : "elu, alpha 2^k", 0,
                            (x, y, n) -> ScalarForms.elu(x, y, n, alpha), 5 * F32Kernels.F.length() + 3);
                    yield alpha == 1.0f
                            ? new F32Choice(FloatElu::kernelUnit, cold)
                            : new F32Choice((s, d, b) -> FloatElu.kernel(s, d, b, alpha), cold);
                }
                if (op.isGeneralF32Elu()) {
                    F32Kernels.General g = F32Kernels.General.of(op);
                    Map1 kernel = g.unitInput()
                            ? (s, d, b) -> GeneralElu.eluGeneralUnitInput(s, d, b, g)
                            : (s, d, b) -> GeneralElu.eluGeneral(s, d, b, g);
                    // The family: the kernel method and the branch its scale takes (a float or a pair).
                    // The sample: the clamp (a blend), not the rare branches (the tiny positives' scalar
                    // fix, the linear range's second store, where the fused halves leave the int vector):
                    // a profile where the tiny positives were common made C2 lay the loop out for them
                    // (SELU on 256 floats 132 ns a call instead of 94, measured).
                    yield new F32Choice(kernel, new Cold((g.unitInput() ? "general, unit input" : "general")
                            + (g.floatScale() ? ", float scale" : ", scale pair"), 1,
                            (x, y, n) -> ScalarForms.general(x, y, n, g), 3 * block, -100f));
                }
                double c = op.negativeCoefficient();
                double scale = op.scale();
                double inputScale = op.inputScale();
                yield new F32Choice((s, d, b) -> F32Kernels.elu(s, d, b, c, scale, inputScale), new Cold(
                        "elu, double lanes", 6, (x, y, n) -> ScalarForms.eluDoubleLanes(x, y, n, c, scale, inputScale),
                        3 * block, -100f));
            }
        };
    }

    /**
     * The f64 forward kernel with the function's parameters captured, through its
     * {@link ColdStart} (every f64 forward kernel has a scalar form) where {@code coldStart}; the
     * scalar form itself where {@link #DOUBLE_LANES_UNCOMPILED}.
     */
    static Map1 f64Forward(Op op, boolean coldStart) {
        F64Choice c = f64Choice(op);
        if (DOUBLE_LANES_UNCOMPILED) {
            return c.form();
        }
        if (!coldStart) {
            return c.kernel();
        }
        return ColdStart.of(c.family(), "f64 " + op, c.kernel(), c.form(),
                ColdStart.sample((int) (3 * Staging.BLOCK_BYTES / Double.BYTES), -100f), DataType.F64);
    }

    /**
     * An f64 kernel with the function's parameters captured, its scalar form over segments
     * ({@link ColdStart}), the kernel method it runs ({@code family}) and {@code Elu}'s warm-up
     * group of that form within the type ({@link VectorBackend#warmUpGroup}): one per method.
     */
    record F64Choice(Map1 kernel, String family, Map1 form, int group) {
    }

    /** The f64 forward kernel of a function and its scalar form. */
    static F64Choice f64Choice(Op op) {
        return switch (op.kind()) {
            case RELU -> f64(F64Kernels::relu, "f64 relu", ScalarForms::reluF64, 0);
            case LEAKY_RELU -> {
                double slope = op.alpha();
                yield f64((s, d, b) -> F64Kernels.leaky(s, d, b, slope), "f64 leaky",
                        (x, y, n) -> ScalarForms.leakyF64(x, y, n, slope), 1);
            }
            case ELU -> {
                double c = op.negativeCoefficient();
                double scale = op.scale();
                double inputScale = op.inputScale();
                // the exact product where x * inputScale is subnormal: the scalar backend's value there
                DoubleUnaryOperator tiny = f64ForwardMeetsTinyProducts(op) ? x -> ScalarBackend.forward(op, x) : null;
                boolean carry = inputScale < 0; // t = x * inputScale's error, which e^t multiplies by t
                yield f64((s, d, b) -> F64Kernels.elu(s, d, b, c, scale, inputScale, tiny, carry),
                        "f64 elu" + (tiny == null ? "" : ", tiny products") + (carry ? ", carried" : ""),
                        (x, y, n) -> ScalarForms.eluF64(x, y, n, c, scale, inputScale, tiny, carry), 2);
            }
        };
    }

    private static F64Choice f64(Map1 kernel, String family, ScalarForms.Doubles form, int group) {
        return new F64Choice(kernel, family, (s, d, b) -> ScalarForms.f64(form, s, d, b), group);
    }

    /**
     * The f32 backward (also what bf16/f16 run on their widened blocks): in f32 pairs where
     * {@link Op#isGeneralF32Backward()} ({@link F32Backward}; from the input it decides per group
     * of 16 floats from the start of the call, as the helper does, and the drivers keep groups
     * whole: the half types' 4096-element chunks start at group boundaries, the f32 blocks too with
     * 8 or more float lanes (with 4 a block is half a group: see {@link F32Backward}), and a staged
     * tail's stale end is zeroed), so every type has the helper's bits there; the double kernels
     * ({@link F32DoubleLaneBackward}) otherwise. Through its {@link ColdStart} where
     * {@code coldStart} ({@link #f32BackwardChoice} has its scalar form).
     */
    static Map2 f32Backward(Op op, boolean fromOutput, boolean coldStart) {
        B32Choice c = f32BackwardChoice(op, fromOutput);
        if (formInsteadBackward(op)) {
            ScalarForms.Floats2 form = c.form();
            return (dy, xy, dx, b) -> ScalarForms.f32(form, dy, xy, dx, b);
        }
        if (!coldStart) {
            return c.kernel();
        }
        ScalarForms.Floats2 f = c.form();
        return ColdStart.ofBackward(c.family(), "f32 " + op + (fromOutput ? " backward from the output" : " backward"),
                c.kernel(), (dy, xy, dx, b) -> ScalarForms.f32(f, dy, xy, dx, b),
                fromOutput ? ColdStart.outputSample((int) (3 * Staging.BLOCK_BYTES / Float.BYTES), op.negativeCoefficient())
                        : ColdStart.sample((int) (3 * Staging.BLOCK_BYTES / Float.BYTES)), DataType.F32);
    }

    /**
     * The f32 backward kernel chosen for a function and its scalar form ({@link ColdStart});
     * {@code family} names the kernel method with the branches its parameters take; {@code group}
     * the scalar method's warm-up group within its type (0 to 8; {@link VectorBackend#warmUpGroup}).
     */
    record B32Choice(Map2 kernel, String family, ScalarForms.Floats2 form, int group) {
    }

    /** The loop-invariant branches of the f32 pairs' loops, for a family name. */
    private static String branches(F32Kernels.General g) {
        return (g.unitInput() ? ", unit input" : "") + (g.floatScale() ? ", float scale" : ", scale pair");
    }

    static B32Choice f32BackwardChoice(Op op, boolean fromOutput) {
        return switch (op.kind()) {
            case RELU -> new B32Choice(F32DoubleLaneBackward::reluBackward, "relu backward", BackwardScalarForms::reluBackward, 0);
            case LEAKY_RELU -> {
                double slope = op.alpha();
                float slopeF = (float) slope;
                F32Kernels.SlopePair pair = F32Kernels.SlopePair.of(slope);
                if (slopeF == slope || pair != null) {
                    boolean isPair = pair != null;
                    float hi = isPair ? pair.hi() : slopeF;
                    float lo = isPair ? pair.lo() : 0f;
                    yield new B32Choice((g, x, d, b) -> F32DoubleLaneBackward.leakyBackwardFloat(g, x, d, b, slopeF, pair),
                            isPair ? "leaky backward, slope pair" : "leaky backward, float slope",
                            (g, x, d, n) -> BackwardScalarForms.leakyBackwardFloat(g, x, d, n, hi, lo, isPair), isPair ? 2 : 1);
                }
                yield new B32Choice((g, x, d, b) -> F32DoubleLaneBackward.leakyBackward(g, x, d, b, slope),
                        "leaky backward, double slope", (g, x, d, n) -> BackwardScalarForms.leakyBackwardDouble(g, x, d, n, slope), 3);
            }
            case ELU -> {
                if (fromOutput && op.isGeneralF32Backward()) {
                    F32Kernels.General g = F32Kernels.General.of(op);
                    yield g.fmaY()
                            ? new B32Choice((dy, y, dx, b) -> F32Backward.eluBackwardFromOutputFma(dy, y, dx, b, g),
                                    "backward from the output, fma" + branches(g),
                                    (dy, y, dx, n) -> BackwardScalarForms.eluFromOutputFma(dy, y, dx, n, g), 5)
                            : new B32Choice((dy, y, dx, b) -> F32Backward.eluBackwardFromOutputF32(dy, y, dx, b, g),
                                    "backward from the output, pairs" + branches(g),
                                    (dy, y, dx, n) -> BackwardScalarForms.eluFromOutputF32(dy, y, dx, n, g), 6);
                }
                double c = op.negativeCoefficient();
                double k = c * op.inputScale();
                double scale = op.scale();
                double inputScale = op.inputScale();
                if (!fromOutput && op.isGeneralF32Backward()) {
                    F32Kernels.General g = F32Kernels.General.of(op);
                    yield new B32Choice((dy, x, dx, b) -> F32Backward.eluFromInput(dy, x, dx, b, g, k, scale, inputScale),
                            "backward from the input, pairs" + branches(g) + (g.exactCis() ? ", exact cis" : ""),
                            (dy, x, dx, n) -> BackwardScalarForms.eluFromInput(dy, x, dx, n, g, k, scale, inputScale), 4);
                }
                yield fromOutput
                        ? new B32Choice((g, y, d, b) -> F32DoubleLaneBackward.eluBackwardFromOutput(g, y, d, b, c, scale, inputScale),
                                "backward from the output, double lanes",
                                (g, y, d, n) -> BackwardScalarForms.eluDoubleLanesFromOutput(g, y, d, n, c, scale, inputScale), 8)
                        : new B32Choice((g, x, d, b) -> F32DoubleLaneBackward.eluBackwardFromInput(g, x, d, b, k, scale, inputScale),
                                "backward from the input, double lanes",
                                (g, x, d, n) -> BackwardScalarForms.eluDoubleLanesFromInput(g, x, d, n, k, scale, inputScale), 7);
            }
        };
    }

    /**
     * The f64 backward kernel, through its {@link ColdStart} (every one has a scalar form) where
     * {@code coldStart}; the scalar form itself where {@link #DOUBLE_LANES_UNCOMPILED}.
     */
    static Map2 f64Backward(Op op, boolean fromOutput, boolean coldStart) {
        B64Choice c = f64BackwardChoice(op, fromOutput);
        if (DOUBLE_LANES_UNCOMPILED) {
            return c.form();
        }
        if (!coldStart) {
            return c.kernel();
        }
        return ColdStart.ofBackward(c.family(), "f64 " + op + (fromOutput ? " backward from the output" : " backward"),
                c.kernel(), c.form(), ColdStart.sample((int) (3 * Staging.BLOCK_BYTES / Double.BYTES)), DataType.F64);
    }

    /** {@link F64Choice} for the backward: the kernel, its scalar form over segments, its method and warm-up group (0 to 5). */
    record B64Choice(Map2 kernel, String family, Map2 form, int group) {
    }

    /** The f64 backward kernel of a function and its scalar form (the groups numbered as {@link B32Choice}'s). */
    static B64Choice f64BackwardChoice(Op op, boolean fromOutput) {
        return switch (op.kind()) {
            case RELU -> b64(F64Kernels::reluBackward, "f64 relu backward", BackwardScalarForms::reluBackwardF64, 0);
            case LEAKY_RELU -> {
                double slope = op.alpha();
                yield b64((g, x, d, b) -> F64Kernels.leakyBackward(g, x, d, b, slope), "f64 leaky backward",
                        (g, x, d, n) -> BackwardScalarForms.leakyBackwardF64(g, x, d, n, slope), 1);
            }
            case ELU -> {
                double c = op.negativeCoefficient();
                double cLow = op.negativeCoefficientLow();
                double k = c * op.inputScale();
                double scale = op.scale();
                double inputScale = op.inputScale();
                yield fromOutput
                        ? b64((g, y, d, b) -> F64Kernels.eluBackwardFromOutput(g, y, d, b, c, cLow, scale, inputScale),
                                "f64 elu backward from the output",
                                (g, y, d, n) -> BackwardScalarForms.eluFromOutputF64(g, y, d, n, c, cLow, scale, inputScale), 5)
                        : b64((g, x, d, b) -> F64Kernels.eluBackwardFromInput(g, x, d, b, k, scale, inputScale),
                                "f64 elu backward from the input",
                                (g, x, d, n) -> BackwardScalarForms.eluFromInputF64(g, x, d, n, k, scale, inputScale), 4);
            }
        };
    }

    private static B64Choice b64(Map2 kernel, String family, ScalarForms.Doubles2 form, int group) {
        return new B64Choice(kernel, family, (dy, xy, dx, b) -> ScalarForms.f64(form, dy, xy, dx, b), group);
    }

    /*
     * The fixes recompute, with the scalar oracle's own formula, the elements whose x * inputScale
     * is above FIX_ABOVE (only a negative input scale gets there), which the kernels clamp.
     */
    static Fix1 forwardFixF32(Op op) {
        double inputScale = op.inputScale();
        return (x, y, n) -> {
            for (int i = 0; i < n; i++) {
                float v = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                if (!(v > 0) && v * inputScale > FIX_ABOVE) {
                    y.setAtIndex(JAVA_FLOAT_UNALIGNED, i, ScalarBackend.forward(op, v));
                }
            }
        };
    }

    /**
     * Whether the f64 forward can meet a subnormal x * inputScale that matters: a coefficient
     * |alpha * scale| above 2 (CELU with alpha above 2, say) lifts the low bits such a product lost
     * above an ulp of a normal result (500 ulps at CELU(1000) of -2^-1022); at most 2, they stay
     * within an ulp. The kernel then tests each vector for such a lane ({@link F64Kernels#elu}); a
     * negative input scale has its own fix-up, which covers this too.
     */
    static boolean f64ForwardMeetsTinyProducts(Op op) {
        return op.kind() == Op.Kind.ELU && op.inputScale() > 0 && Math.abs(op.negativeCoefficient()) > 2;
    }

    /**
     * The f64 forward's fix-up: the elements whose x * inputScale is above {@code FIX_ABOVE} (a
     * negative input scale), and those whose product is subnormal where the coefficient is above 2,
     * recomputed as the scalar oracle does (there, the exact product alpha * scale * x * inputScale,
     * rounded once).
     */
    static Fix1 forwardFixF64(Op op) {
        double inputScale = op.inputScale();
        return (x, y, n) -> {
            for (int i = 0; i < n; i++) {
                double v = x.getAtIndex(JAVA_DOUBLE_UNALIGNED, i);
                double t = v * inputScale;
                if (!(v > 0) && (t > FIX_ABOVE || ScalarBackend.takesExactProduct(op, v, t))) {
                    y.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, ScalarBackend.forward(op, v));
                }
            }
        };
    }

    static Fix2 backwardFixF32(Op op) {
        double inputScale = op.inputScale();
        return (g, x, d, n) -> {
            for (int i = 0; i < n; i++) {
                float v = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                if (!(v > 0) && v * inputScale > FIX_ABOVE) {
                    d.setAtIndex(JAVA_FLOAT_UNALIGNED, i,
                            ScalarBackend.backward(op, false, g.getAtIndex(JAVA_FLOAT_UNALIGNED, i), v));
                }
            }
        };
    }

    static Fix2 backwardFixF64(Op op) {
        double inputScale = op.inputScale();
        return (g, x, d, n) -> {
            for (int i = 0; i < n; i++) {
                double v = x.getAtIndex(JAVA_DOUBLE_UNALIGNED, i);
                if (!(v > 0) && v * inputScale > FIX_ABOVE) {
                    d.setAtIndex(JAVA_DOUBLE_UNALIGNED, i,
                            ScalarBackend.backward(op, false, g.getAtIndex(JAVA_DOUBLE_UNALIGNED, i), v));
                }
            }
        };
    }
}
