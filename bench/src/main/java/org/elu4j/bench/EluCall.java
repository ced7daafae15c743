package org.elu4j.bench;

import java.lang.foreign.MemorySegment;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu;

/**
 * One elu4j call as a benchmark runs it: input and output prepared once per trial (the output
 * checked against the oracle; a call the vector backend runs warmed until compiled,
 * {@link BenchBase#warmUntilCompiled}, which JMH's fixed warm-up does not ensure), then
 * {@link #run()} per invocation. Shared by the benchmarks of f32 ELU, ReLU and SELU.
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
        if (elu.backendFor(DataType.F32, Elu.Direction.FORWARD, true) == Backend.VECTOR) { // AUTO too, where it picks vector
            BenchBase.warmUntilCompiled(this::run, size, what);
            if (inPlace) {
                y.copyFrom(x); // the measured calls start from the same data as without the warm-up
            }
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
