package org.elu4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.elu4j.Elu;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options that choose a function of the family and its parameters, shared by {@code apply}
 * and {@code backward}: {@code --function elu|selu|celu|relu|leaky-relu} with {@code --alpha}
 * (elu, celu), {@code --scale} and {@code --input-scale} (elu) and {@code --slope} (leaky-relu).
 * An option that the function does not take is a usage error, never silently ignored.
 */
final class FunctionOptions {
    @Option(names = "--function", defaultValue = "elu", paramLabel = "F",
            description = "elu, selu, celu, relu or leaky-relu (default: ${DEFAULT-VALUE}).")
    String function;

    @Option(names = "--alpha", paramLabel = "A", description = "alpha of elu (default 1) and celu (default 1).")
    Double alpha;

    @Option(names = "--scale", paramLabel = "S",
            description = "elu only: scale of the general form scale * (x > 0 ? x : alpha * (exp(x * input-scale) - 1)) (default 1).")
    Double scale;

    @Option(names = "--input-scale", paramLabel = "S", description = "elu only: input scale of the general form (default 1).")
    Double inputScale;

    @Option(names = "--slope", paramLabel = "S", description = "leaky-relu only: the negative slope (default 0.01).")
    Double slope;

    /** The default slope of leaky-relu (PyTorch's). */
    static final double DEFAULT_SLOPE = 0.01;

    /** The parsed function. */
    Elu.Function parsedFunction(CommandLine cl) {
        try {
            return Elu.Function.fromCliName(function.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
    }

    /**
     * The function object these options describe, on {@code Backend.AUTO}.
     *
     * @throws CommandLine.ParameterException for an option the function does not take, or a value it
     *                                        refuses (NaN, infinite, CELU's 0): a usage error, as
     *                                        picocli's own "'nan' is not a double"
     */
    Elu toElu(CommandLine cl) {
        Elu.Function f = parsedFunction(cl);
        List<String> allowed = switch (f) {
            case ELU -> List.of("--alpha", "--scale", "--input-scale");
            case CELU -> List.of("--alpha");
            case LEAKY_RELU -> List.of("--slope");
            case SELU, RELU -> List.of();
        };
        List<String> given = new ArrayList<>();
        if (alpha != null) {
            given.add("--alpha");
        }
        if (scale != null) {
            given.add("--scale");
        }
        if (inputScale != null) {
            given.add("--input-scale");
        }
        if (slope != null) {
            given.add("--slope");
        }
        for (String option : given) {
            if (!allowed.contains(option)) {
                throw new CommandLine.ParameterException(cl, option + " does not apply to " + f.cliName() + " ("
                        + (allowed.isEmpty() ? f.cliName() + " takes no parameters"
                                : "it takes " + String.join(", ", allowed)) + ")");
            }
        }
        try {
            return switch (f) {
                case ELU -> scale == null && inputScale == null ? Elu.elu(alpha == null ? 1 : alpha)
                        : Elu.elu(alpha == null ? 1 : alpha, scale == null ? 1 : scale, inputScale == null ? 1 : inputScale);
                case SELU -> Elu.selu();
                case CELU -> Elu.celu(alpha == null ? 1 : alpha);
                case RELU -> Elu.relu();
                case LEAKY_RELU -> Elu.leakyRelu(slope == null ? DEFAULT_SLOPE : slope);
            };
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
    }

    /** The function and its parameters for messages, e.g. {@code elu(alpha=0.5)} or {@code selu}. */
    static String describe(Elu elu) {
        return switch (elu.function()) {
            case ELU -> elu.scale() == 1 && elu.inputScale() == 1 ? "elu(alpha=" + elu.alpha() + ")"
                    : "elu(alpha=" + elu.alpha() + ", scale=" + elu.scale() + ", input-scale=" + elu.inputScale() + ")";
            case SELU -> "selu";
            case CELU -> "celu(alpha=" + elu.alpha() + ")";
            case RELU -> "relu";
            case LEAKY_RELU -> "leaky-relu(slope=" + elu.alpha() + ")";
        };
    }
}
