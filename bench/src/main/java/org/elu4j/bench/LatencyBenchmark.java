package org.elu4j.bench;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.bench.peers.JavaCppOneDnnElu;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency per call (issue #11, item 5): the distribution of single calls' times, f32 ELU
 * (alpha = 1) forward out of place, per path and size, with one calling thread or with every CPU
 * calling at once (a server at full load). JMH's {@link Mode#SampleTime} times individual calls
 * and reports percentiles; the report ({@link org.elu4j.bench.report.LatencyReport}) prints p50,
 * p99 and p99.9 and draws them.
 *
 * <p>The thread count is JMH's ({@code -t 1}, {@code -t 2}; {@code ./elu4j bench --latency} runs
 * both). The state is per thread ({@link BenchBase}'s {@code Scope.Thread}): each calling thread
 * has its own tensors (and, for JavaCPP, its own engine and stream), as requests of a server do.
 *
 * <p>Paths: elu4j's backends and AUTO through the public API; {@code javacpp} oneDNN through its
 * JavaCPP preset ({@link JavaCppOneDnnElu}, the JNI peer); {@code none} returns at once, so its
 * percentiles are the timer's own cost and jitter (two {@code System.nanoTime()} calls per
 * sample), the floor under every other row.
 *
 * <p>One fork: a percentile needs many samples from one JVM more than several JVMs (the average
 * time benchmarks of the suite cover JIT variance between forks). Warm-up 4 × 1 s: the vector
 * backend runs ~1000× slower until C2 has compiled its kernel (see {@link BenchBase}); warm-up
 * samples are discarded.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchBase.NATIVE_ACCESS, "--add-modules", "jdk.incubator.vector"})
public class LatencyBenchmark extends BenchBase {

    /** {@code none}, an elu4j backend ({@code auto}, {@code helper}, ...), or {@code javacpp}. */
    @Param({"none", "auto", "helper", "vector", "onednn", "scalar", "javacpp"})
    public String path;

    @Param({"256", "4096", "65536"})
    public int size;

    private Supplier<Object> call;
    private JavaCppOneDnnElu javacpp;

    @Setup(Level.Trial)
    public void setUp() {
        switch (path) {
            case "none" -> {
                MemorySegment y = allocateFloats(size);
                call = () -> y;
            }
            case "javacpp" -> {
                MemorySegment x = randomInput(size);
                MemorySegment y = allocateFloats(size);
                javacpp = new JavaCppOneDnnElu(x, y, 1f);
                javacpp.run();
                checkElu("oneDNN via JavaCPP n=" + size, x, y);
                call = javacpp::run;
            }
            default -> {
                Backend b = Backend.fromCliName(path);
                if (!Elu4j.isAvailable(b)) {
                    throw new IllegalStateException("backend " + path + " is not available here: " + Elu4j.backends());
                }
                EluCall c = new EluCall(this, Elu.elu().on(b), size, "out", "elu4j " + path + " n=" + size);
                call = c::run;
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (javacpp != null) {
            javacpp.close();
            javacpp = null;
        }
    }

    @Benchmark
    public Object call() {
        return call.get();
    }
}
