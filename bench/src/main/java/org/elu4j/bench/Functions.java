package org.elu4j.bench;

import org.elu4j.Elu;

/**
 * The functions the benchmarks' {@code function} parameters name, in one place (the JMH suites and
 * the steady-state probe, which runs without JMH on its class path: this class needs the library
 * only).
 */
public final class Functions {
    private Functions() {
    }

    /** Every name {@link #of} takes. */
    public static final java.util.List<String> NAMES = java.util.List.of("elu", "elu-1.3", "elu-neg", "selu", "celu", "relu", "leaky-relu");

    /**
     * elu, selu, celu (alpha 0.7), relu or leaky-relu (slope 0.01), on AUTO; also elu-1.3 (ELU
     * with alpha 1.3, issue #11's alpha that is not a power of two: the general kernel with input
     * scale 1) and elu-neg (alpha -0.7: beyond the general kernel's range, the vector backend's
     * double lanes), on request.
     */
    public static Elu of(String name) {
        return switch (name) {
            case "elu" -> Elu.elu();
            case "elu-1.3" -> Elu.elu(1.3);
            case "elu-neg" -> Elu.elu(-0.7);
            case "selu" -> Elu.selu();
            case "celu" -> Elu.celu(0.7);
            case "relu" -> Elu.relu();
            case "leaky-relu" -> Elu.leakyRelu(0.01);
            default -> throw new IllegalArgumentException("function must be elu, elu-1.3, elu-neg, selu, celu, relu or leaky-relu: " + name);
        };
    }
}
