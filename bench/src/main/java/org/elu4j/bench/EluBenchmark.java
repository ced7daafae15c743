package org.elu4j.bench;

import java.lang.foreign.MemorySegment;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * elu4j's f32 forward through the public API, per backend, function, size and mode: ELU
 * (alpha = 1), the ReLU baseline the ELU literature compares against, and SELU (the general form
 * with a scale, which the helper and vector backends evaluate in double). The scalar
 * backend has its own class, {@link ScalarEluBenchmark}, because at ~0.07 el/ns one 16M call
 * takes a quarter of a second.
 *
 * <p>{@code in} applies ELU in place again and again: negative values drift towards 0 (ELU of a
 * value in (-1, 0) is closer to 0, never subnormal within a run), so in-place runs the same
 * code over a different mix of values; the branch-free kernels (helper, vector, oneDNN) do not
 * care, the scalar {@code Math.expm1} path gets slightly faster. In place is for ELU only:
 * repeated SELU grows its positives to +Inf and repeated ReLU is the identity, so
 * {@link Suite} runs the other functions out of place only.
 */
public class EluBenchmark extends BenchBase {

    @Param({"onednn", "helper", "vector", "auto"})
    public String backend;

    /** {@code elu} (alpha = 1), {@code relu} or {@code selu}. */
    @Param({"elu", "relu", "selu"})
    public String function;

    @Param({"256", "4096", "65536", "1048576", "16777216"})
    public int size;

    /** {@code out}: y = ELU(x); {@code in}: y = ELU(y). */
    @Param({"out", "in"})
    public String mode;

    private EluCall call;

    @Setup(Level.Trial)
    public void setUp() {
        Backend b = Backend.fromCliName(backend);
        if (!Elu4j.isAvailable(b)) {
            throw new IllegalStateException("backend " + backend + " is not available here: "
                    + Elu4j.backends());
        }
        call = new EluCall(this, Functions.of(function).on(b), size, mode,
                "elu4j " + backend + " " + function + " " + mode + " n=" + size);
    }

    @Benchmark
    public MemorySegment elu() {
        return call.run();
    }
}
