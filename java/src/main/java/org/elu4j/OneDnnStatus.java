package org.elu4j;

import java.util.Objects;

/**
 * What the oneDNN backend runs on (see {@link Elu4j#oneDnn()}).
 *
 * @param version        oneDNN's version, e.g. {@code 3.13.0}
 * @param isa            the CPU instruction set oneDNN reports as effective, e.g.
 *                       {@code avx512_core_bf16} (lowered by {@code ONEDNN_MAX_CPU_ISA})
 * @param implementation the implementation oneDNN picks for an f32 ELU, e.g. {@code jit:avx512_core_bf16}
 * @param executePath    how a call reaches oneDNN, in words: one downcall through the helper
 *                       library, or several (and why)
 */
public record OneDnnStatus(String version, String isa, String implementation, String executePath) {
    /**
     * Checks the components.
     *
     * @param version        oneDNN's version
     * @param isa            the effective CPU ISA
     * @param implementation the f32 ELU implementation
     * @param executePath    how calls reach oneDNN
     * @throws NullPointerException if a component is null
     */
    public OneDnnStatus {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(isa, "isa");
        Objects.requireNonNull(implementation, "implementation");
        Objects.requireNonNull(executePath, "executePath");
    }
}
