package org.elu4j.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * f32 ELU forward, out of place, one thread, per backend and size. Reported as average time per
 * call; elements/ns = size / time. The Vector API path needs seconds of warm-up before C2 has
 * compiled it (see shared perf notes), hence the long warm-up.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class EluBenchmark {

    @Param({"onednn", "helper", "vector", "scalar", "auto"})
    public String backend;

    @Param({"256", "4096", "65536", "1048576"})
    public int size;

    private Arena arena;
    private MemorySegment x;
    private MemorySegment y;
    private Elu elu;

    @Setup(Level.Trial)
    public void setUp() {
        Backend b = Backend.fromCliName(backend);
        if (!Elu4j.isAvailable(b)) {
            throw new IllegalStateException("backend " + backend + " is not available here");
        }
        arena = Arena.ofShared();
        x = arena.allocate((long) size * Float.BYTES, 64);
        y = arena.allocate((long) size * Float.BYTES, 64);
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < size; i++) {
            x.setAtIndex(JAVA_FLOAT, i, (float) random.nextDouble(-4, 4));
        }
        elu = Elu.elu().on(b);
        // Check the output once: a fast wrong answer is a failure, not a result.
        elu.apply(x, y);
        Elu oracle = Elu.elu().on(Backend.SCALAR);
        for (int i = 0; i < size; i++) {
            float want = oracle.apply(x.getAtIndex(JAVA_FLOAT, i));
            float got = y.getAtIndex(JAVA_FLOAT, i);
            if (Math.abs(got - want) > 1e-6f + 1e-6f * Math.abs(want)) {
                throw new IllegalStateException(backend + ": wrong result at " + i + ": " + got + " vs " + want);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment elu() {
        elu.apply(x, y);
        return y;
    }
}
