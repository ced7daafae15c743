package org.elu4j.internal.onednn;

import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;

/**
 * How the oneDNN backend computes one function of the family ({@link Op}) for one {@link Pass}:
 * one to three oneDNN eltwise primitives run one after the other over the whole tensor, or why it
 * cannot. The plan depends on the function and the pass only; whether oneDNN implements each
 * primitive for a data type is probed by {@link OneDnnBackend}.
 *
 * <p>oneDNN 3.13 on CPU accepts no eltwise post-op on an eltwise primitive (forward or backward:
 * {@code dnnl_unimplemented}), no source or destination scales, and a binary post-op only in its
 * reference implementation ({@code ref:any}, measured ~13x slower than one jit pass over 1M floats).
 * So a function that oneDNN has no algorithm for is composed of jit passes, each reading and
 * writing the whole tensor. Every pass but the first runs in place on the destination (forward) or
 * on {@code dx} (backward), which oneDNN allows; no scratch tensor is ever needed.
 *
 * <h2>Forward, ReLU and LeakyReLU</h2>
 * LeakyReLU with a slope {@code != 0} is {@code eltwise_relu(slope)}. ReLU (and a slope of 0) is
 * {@code eltwise_elu(0)}, not {@code eltwise_relu(0)}: oneDNN's jit ReLU with alpha 0 (and its
 * {@code clip}, {@code clip_v2}) is {@code max(x, 0)}, which turns NaN into 0, where {@link Op}
 * keeps NaN; {@code elu(0)} gives x for {@code x > 0}, NaN for NaN and {@code 0 * (exp(x) - 1)},
 * i.e. -0.0, for negatives and -inf (Op says +0.0; the sign of zero is oneDNN's). It costs an
 * exponential per element, as ELU does.
 *
 * <h2>Forward, ELU's general form {@code y = s*x (x > 0), a*s*expm1(i*x) (x <= 0)}</h2>
 * With {@code u = i*x} ({@code i > 0} keeps the sign, so the side is the same):
 * {@code linear(i)} src to dst (only if {@code i != 1}), {@code elu(a*i)} in place, then
 * {@code linear(s/i)} in place (only if {@code s != i}). Positive side: {@code (s/i)*(i*x) = s*x};
 * negative side: {@code (s/i)*(a*i)*expm1(i*x) = a*s*expm1(i*x)}. So plain ELU is one pass, SELU
 * ({@code i = 1}) two ({@code elu(a)}, {@code linear(s)}), CELU and the general form three (two if
 * {@code s = i}). {@code i <= 0} cannot be composed: the sign of {@code i*x} no longer tells the
 * side of x.
 *
 * <h2>Backward from the input</h2>
 * oneDNN's ELU backward is {@code dx = dy} for {@code x > 0}, {@code dy*a*exp(x)} otherwise. With
 * {@code i = 1}: {@code linear(s)} dy to dx (only if {@code s != 1}), then ELU backward with
 * {@code a} in place on dx (diff_src over diff_dst): {@code s*dy} and {@code s*dy*a*exp(x)}.
 * {@code i != 1} needs {@code exp(i*x)}: oneDNN reads x itself, and {@code i*x} would need a
 * scratch tensor (x must not be written), so it is not offered.
 *
 * <h2>Backward from the output</h2>
 * oneDNN's {@code elu_use_dst_for_bwd} is {@code dx = dy} for {@code y > 0}, {@code dy*(y + a)}
 * otherwise, and {@code relu_use_dst_for_bwd} {@code dy} for {@code y > 0}, {@code a*dy}
 * otherwise. {@code linear(s)} dy to dx (only if {@code s != 1}), {@code elu_use_dst_for_bwd(a*s)}
 * in place, then {@code relu_use_dst_for_bwd(i/s)} in place (only if {@code i != s}): positive side
 * {@code s*dy}, negative side {@code (i/s)*s*dy*(y + a*s) = i*dy*(y + a*s)}, as {@link Op} defines
 * it. Its conditions ({@code a >= 0, s > 0, i > 0}) make {@code a*s} and {@code i/s} valid
 * non-negative alphas for the {@code _use_dst_for_bwd} algorithms.
 *
 * <h2>Extra rounding of composed plans</h2>
 * Parameters are rounded to float ({@code a*i}, {@code s/i}, {@code i/s} computed in double first),
 * and each intermediate tensor is rounded to the data type: about half an ulp per pass in f32, and
 * half a unit of the type per pass in bf16/f16 (where {@code i*x} or {@code s*dy} can also overflow
 * f16's range although the final result would not). {@code linear} computes {@code a*x + 0}, so a
 * -0.0 becomes +0.0 after a linear pass.
 */
final class EltwisePlan {
    /** Maximum number of passes of any plan. */
    static final int MAX_STEPS = 3;

    /** The eltwise primitives plans are made of: propagation and algorithm. */
    enum Alg {
        FWD_ELU(false, false, "eltwise_elu"),
        FWD_RELU(false, false, "eltwise_relu"),
        FWD_LINEAR(false, false, "eltwise_linear"),
        BWD_ELU(true, false, "eltwise_elu backward"),
        BWD_ELU_DST(true, true, "eltwise_elu_use_dst_for_bwd backward"),
        BWD_RELU(true, false, "eltwise_relu backward"),
        BWD_RELU_DST(true, true, "eltwise_relu_use_dst_for_bwd backward");

        /** A backward primitive (diff_dst, src or dst, diff_src), else a forward one (src, dst). */
        final boolean backward;
        /** A backward primitive that reads the forward's output (DNNL_ARG_DST), not its input. */
        final boolean usesDst;
        final String label;

        Alg(boolean backward, boolean usesDst, String label) {
            this.backward = backward;
            this.usesDst = usesDst;
            this.label = label;
        }

        /** oneDNN's dnnl_alg_kind_t. */
        int dnnl() {
            return switch (this) {
                case FWD_ELU, BWD_ELU -> dnnl_eltwise_elu();
                case FWD_RELU, BWD_RELU -> dnnl_eltwise_relu();
                case FWD_LINEAR -> dnnl_eltwise_linear();
                case BWD_ELU_DST -> dnnl_eltwise_elu_use_dst_for_bwd();
                case BWD_RELU_DST -> dnnl_eltwise_relu_use_dst_for_bwd();
            };
        }
    }

    /** One primitive of a plan: the algorithm and its alpha (beta is always 0). */
    record Step(Alg alg, float alpha) {
        @Override
        public String toString() {
            return alg == Alg.FWD_LINEAR ? "eltwise_linear(" + alpha + ")"
                    : alg.label.replace(" backward", "") + "(" + alpha + ")" + (alg.backward ? " backward" : "");
        }
    }

    private final Step[] steps;
    private final String reason;

    private EltwisePlan(Step[] steps, String reason) {
        this.steps = steps;
        this.reason = reason;
    }

    /** The primitives to run in order; empty when {@link #reason()} is not null. */
    Step[] steps() {
        return steps;
    }

    /** Null when the plan runs, else why oneDNN cannot compute the function this way. */
    String reason() {
        return reason;
    }

    /** Number of passes over the tensor (primitives). */
    int passes() {
        return steps.length;
    }

    /** E.g. {@code "eltwise_elu(1.0) -> eltwise_linear(1.0507)"}. */
    String describe() {
        return List.of(steps).stream().map(Step::toString).collect(Collectors.joining(" -> "));
    }

    private static EltwisePlan no(String reason) {
        return new EltwisePlan(new Step[0], reason);
    }

    /**
     * Null when the plan's intermediate tensors stay within the range of {@code type}, else why
     * not. Every pass writes its result in the storage type, so an intermediate can overflow to
     * infinity where the function's value would not: {@code x * inputScale} for an input scale
     * above 1 (near the type's largest value: inf instead of x), and any intermediate of a
     * multi-pass plan in f16, whose largest value is 65504 (seen in the tests: CELU(2) backward
     * from the output gave -inf for dy = -58208). At the other end, {@code x * inputScale} for an
     * input scale below 1 keeps fewer bits below the type's smallest normal (none at all below its
     * smallest subnormal), and the last pass multiplies that loss by {@code |scale| / inputScale}:
     * positive results up to that factor times the smallest normal lose up to half the factor in
     * units of the type (CELU(1e30) gave 0 for x = 1e-20). Up to a factor of 2 that is one unit, as
     * one more pass costs (CELU(2)). Those calls are refused, and the forward beyond that factor;
     * the other backends compute them in one pass. In f32 and bf16 a multi-pass plan can still overflow an
     * intermediate within a factor of scale of the type's largest value (SELU backward stores
     * scale * dy first): that fringe is accepted and documented in the README.
     */
    String rangeProblem(Op op, Pass pass, org.elu4j.DataType type) {
        if (reason != null) {
            return null;
        }
        if (pass == Pass.FORWARD && op.kind() == Op.Kind.ELU && op.inputScale() > 1) {
            return "inputScale " + op.inputScale() + " > 1: the first pass, x*inputScale, is stored in "
                    + type.cliName() + " and overflows to infinity for |x| > max/inputScale";
        }
        double amplification = Math.abs(op.scale()) / op.inputScale();
        if (pass == Pass.FORWARD && op.kind() == Op.Kind.ELU && op.inputScale() < 1 && amplification > 2) {
            return "inputScale " + op.inputScale() + " < 1 with |scale|/inputScale " + (float) amplification
                    + " > 2: the first pass, x*inputScale, is stored in " + type.cliName() + " and keeps fewer bits"
                    + " below its smallest normal, which the last pass multiplies by |scale|/inputScale (positive"
                    + " results up to " + (float) amplification + " times the smallest normal would lose up to "
                    + (float) (amplification / 2) + " units)";
        }
        if (steps.length > 1 && type == org.elu4j.DataType.F16) {
            return "it takes " + steps.length + " oneDNN passes whose intermediate results are stored in f16, "
                    + "and they can overflow its range (65504) where the result would not";
        }
        return null;
    }

    /** The plan for {@code op} and {@code pass} (never null; see {@link #reason()}). */
    static EltwisePlan of(Op op, Pass pass) {
        List<Step> steps = new ArrayList<>(MAX_STEPS);
        String why = switch (pass) {
            case FORWARD -> forward(op, steps);
            case BACKWARD_FROM_INPUT -> backwardFromInput(op, steps);
            case BACKWARD_FROM_OUTPUT -> backwardFromOutput(op, steps);
        };
        if (why != null) {
            return no(why);
        }
        for (Step s : steps) {
            if (!Float.isFinite(s.alpha())) {
                return no("oneDNN takes float parameters, and " + s.alg().label + " would need alpha "
                        + "out of float range (beyond it, or so small it rounds to 0) for " + op);
            }
        }
        return new EltwisePlan(steps.toArray(Step[]::new), null);
    }

    /**
     * A parameter as the float oneDNN takes, or NaN (refused by {@link #of}) where a value that is
     * not 0 rounds to 0 (an infinity, beyond float's range, is refused there too).
     */
    static float param(double v) {
        float f = (float) v;
        return (f == 0) != (v == 0) ? Float.NaN : f;
    }

    private static String forward(Op op, List<Step> steps) {
        switch (op.kind()) {
            // eltwise_relu with alpha 0 is max(x, 0) in oneDNN's jit code: NaN gives 0. ELU with
            // alpha 0 keeps NaN (and gives -0.0 for negatives, x for positives).
            case RELU -> steps.add(new Step(Alg.FWD_ELU, 0f));
            case LEAKY_RELU -> steps.add(new Step(op.alpha() == 0 ? Alg.FWD_ELU : Alg.FWD_RELU,
                    op.alpha() == 0 ? 0f : param(op.alpha())));
            case ELU -> {
                double a = op.alpha();
                double s = op.scale();
                double i = op.inputScale();
                if (!(i > 0)) {
                    return "inputScale " + i + " <= 0 cannot be composed from oneDNN's ELU (it tells the "
                            + "side from the sign of its input, and x*inputScale has the other sign or is 0)";
                }
                if (i != 1) {
                    steps.add(new Step(Alg.FWD_LINEAR, param(i)));
                }
                steps.add(new Step(Alg.FWD_ELU, param(a * i)));
                if (s != i) {
                    steps.add(new Step(Alg.FWD_LINEAR, param(s / i)));
                }
            }
        }
        return null;
    }

    private static String backwardFromInput(Op op, List<Step> steps) {
        switch (op.kind()) {
            case RELU -> steps.add(new Step(Alg.BWD_RELU, 0f));
            case LEAKY_RELU -> steps.add(new Step(Alg.BWD_RELU, param(op.alpha())));
            case ELU -> {
                if (op.inputScale() != 1) {
                    return "backward from the input with inputScale != 1 needs exp(x*inputScale): oneDNN's ELU "
                            + "backward reads x itself, and x*inputScale would need a scratch tensor (use backward "
                            + "from the output)";
                }
                if (op.scale() != 1) {
                    steps.add(new Step(Alg.FWD_LINEAR, param(op.scale())));
                }
                steps.add(new Step(Alg.BWD_ELU, param(op.alpha())));
            }
        }
        return null;
    }

    private static String backwardFromOutput(Op op, List<Step> steps) {
        String problem = op.fromOutputProblem();
        if (problem != null) {
            return problem;
        }
        switch (op.kind()) {
            case RELU -> steps.add(new Step(Alg.BWD_RELU_DST, 0f));
            case LEAKY_RELU -> steps.add(new Step(Alg.BWD_RELU_DST, param(op.alpha())));
            case ELU -> {
                double a = op.alpha();
                double s = op.scale();
                double i = op.inputScale();
                if (s != 1) {
                    steps.add(new Step(Alg.FWD_LINEAR, param(s)));
                }
                steps.add(new Step(Alg.BWD_ELU_DST, param(a * s)));
                if (i != s) {
                    steps.add(new Step(Alg.BWD_RELU_DST, param(i / s)));
                }
            }
        }
        return null;
    }
}
