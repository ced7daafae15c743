package org.elu4j.internal.onednn;

import java.util.List;
import org.elu4j.DataType;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;

/**
 * What the oneDNN backend does for one function, type and pass, as data: the primitives it runs
 * in order (one: oneDNN's own primitive; more: a composition), the implementation oneDNN picked
 * for them here, or the reason it cannot. A tool renders it; the backend never formats text.
 *
 * @param name            a short name of the function (e.g. {@code selu})
 * @param steps           the primitives in order, e.g. {@code eltwise_elu(1.6732632) -> eltwise_linear(1.050701)}; empty when refused
 * @param implementations oneDNN's implementation of each distinct primitive here, e.g. {@code jit:avx512_core}
 * @param refusal         null when it runs, else why not
 */
public record Capability(String name, Op op, DataType type, Pass pass, List<String> steps,
        List<String> implementations, String refusal) {
    public Capability {
        steps = List.copyOf(steps);
        implementations = List.copyOf(implementations);
    }

    /** Whether the backend runs this cell. */
    public boolean runs() {
        return refusal == null;
    }

    /** How many oneDNN primitives run (0 when refused). */
    public int passes() {
        return steps.size();
    }
}
