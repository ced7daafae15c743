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

    /** elu, selu, celu (alpha 0.7), relu or leaky-relu (slope 0.01), on AUTO. */
    public static Elu of(String name) {
        return switch (name) {
            case "elu" -> Elu.elu();
            case "selu" -> Elu.selu();
            case "celu" -> Elu.celu(0.7);
            case "relu" -> Elu.relu();
            case "leaky-relu" -> Elu.leakyRelu(0.01);
            default -> throw new IllegalArgumentException("function must be elu, selu, celu, relu or leaky-relu: " + name);
        };
    }
}
