package org.elu4j.bench;

import java.lang.foreign.MemorySegment;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * elu4j's scalar backend (the accuracy oracle: {@code Math.expm1} in double, rounded once), as
 * {@link EluBenchmark} does the others. It stops at 1M elements: at ~0.07 el/ns a 16M call takes
 * ~0.25 s and says nothing the 1M point does not. {@code ./elu4j bench} runs this class in a JMH
 * run of its own so that its sizes can differ from the others'.
 */
public class ScalarEluBenchmark extends BenchBase {

    /** The largest size this benchmark runs; {@link Suite} drops larger ones. */
    public static final int MAX_SIZE = 1 << 20;

    @Param({"256", "4096", "65536", "1048576"})
    public int size;

    /** {@code out}: y = ELU(x); {@code in}: y = ELU(y) (see {@link EluBenchmark}). */
    @Param({"out", "in"})
    public String mode;

    private EluCall call;

    @Setup(Level.Trial)
    public void setUp() {
        call = new EluCall(this, Elu.elu().on(Backend.SCALAR), size, mode, "elu4j scalar " + mode + " n=" + size);
    }

    @Benchmark
    public MemorySegment elu() {
        return call.run();
    }
}
