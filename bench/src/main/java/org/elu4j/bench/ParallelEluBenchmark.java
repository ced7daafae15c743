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
 * elu4j's parallel mode ({@link Elu#parallel(int)}) on the helper backend against its serial
 * call, per size and thread count: {@code threads = 1} is the serial call (the default mode),
 * {@code 2} is {@code parallel(2)}, {@code 0} is {@code parallel()} (one thread per CPU the JVM may use).
 * The same JMH run measures both side by side, so their ratio is the speedup. Below the helper's
 * threshold ({@code ./elu4j info}) parallel mode runs serially, and the two should tie.
 *
 * <p>{@code ./elu4j bench} runs it with the rest of the suite; alone:
 * {@code Suite --out DIR --include ParallelEluBenchmark [--quick] [--sizes ...]}.
 */
public class ParallelEluBenchmark extends BenchBase {

    @Param({"1", "2"})
    public int threads;

    @Param({"256", "4096", "65536", "1048576", "16777216"})
    public int size;

    /** {@code out}: y = ELU(x); {@code in}: y = ELU(y). */
    @Param({"out", "in"})
    public String mode;

    private EluCall call;

    @Setup(Level.Trial)
    public void setUp() {
        if (!Elu4j.isAvailable(Backend.HELPER)) {
            throw new IllegalStateException("the helper backend is not available here: " + Elu4j.backends());
        }
        Elu serial = Elu.elu().on(Backend.HELPER);
        Elu elu = threads == 1 ? serial : threads == 0 ? serial.parallel() : serial.parallel(threads);
        call = new EluCall(this, elu, size, mode, "elu4j helper threads=" + threads + " " + mode + " n=" + size);
    }

    @Benchmark
    public MemorySegment elu() {
        return call.run();
    }
}
