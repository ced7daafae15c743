package org.elu4j.testing;

import org.elu4j.internal.Op;
import org.elu4j.reference.Reference;

/** The high-precision {@link Reference} (module org.elu4j.reference) of an {@link Op}. */
public final class References {
    private References() {
    }

    /** The reference of {@code op}, with the same exact parameters. */
    public static Reference of(Op op) {
        return switch (op.kind()) {
            case ELU -> Reference.elu(op.alpha(), op.scale(), op.inputScale());
            case RELU -> Reference.relu();
            case LEAKY_RELU -> Reference.leakyRelu(op.alpha());
        };
    }
}
