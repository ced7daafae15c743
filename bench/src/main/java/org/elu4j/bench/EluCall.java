package org.elu4j.bench;

import java.lang.foreign.MemorySegment;
import org.elu4j.Elu;

/**
 * One elu4j call as a benchmark runs it: input and output prepared once per trial (the output
 * checked against the oracle), then {@link #run()} per invocation. Shared by
 * {@link EluBenchmark} and {@link ScalarEluBenchmark}.
 */
final class EluCall {
    private final Elu elu;
    private final MemorySegment x;
    private final MemorySegment y;
    private final boolean inPlace;

    /**
     * @param mode {@code out}: y = ELU(x); {@code in}: y = ELU(y), again and again
     */
    EluCall(BenchBase bench, Elu elu, int size, String mode, String what) {
        this.elu = elu;
        this.x = bench.randomInput(size);
        this.y = bench.allocateFloats(size);
        this.inPlace = switch (mode) {
            case "in" -> true;
            case "out" -> false;
            default -> throw new IllegalArgumentException("mode must be out or in: " + mode);
        };
        if (inPlace) {
            y.copyFrom(x);
            elu.applyInPlace(y);
            BenchBase.check(what, elu, x, y);
            y.copyFrom(x);
        } else {
            elu.apply(x, y);
            BenchBase.check(what, elu, x, y);
        }
    }

    MemorySegment run() {
        if (inPlace) {
            elu.applyInPlace(y);
        } else {
            elu.apply(x, y);
        }
        return y;
    }
}
