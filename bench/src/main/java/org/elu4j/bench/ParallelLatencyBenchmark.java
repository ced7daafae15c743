package org.elu4j.bench;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency per call of the helper's parallel mode against its serial call while other threads
 * call too (issue #11, item 5: parallel mode must never make p99 worse than serial under load).
 * f32 ELU forward, out of place, sizes at and above the parallel threshold (512K elements; below
 * it parallel mode runs serially by design).
 *
 * <ul>
 * <li>{@link #call()}: every JMH thread calls in the same mode ({@code -t 1}: one caller, the
 *     other CPU free for the pool's worker; {@code -t 2}: as many callers as this machine has
 *     CPUs, a server at full load whose requests all ask for parallel mode).</li>
 * <li>group {@code neighbour}: one thread calls in the mode measured ({@link #request}), one
 *     other thread calls the serial helper on tensors of its own at the same size, back to back
 *     ({@link #neighbour}): a server where another request is running.</li>
 * </ul>
 * {@code mode = serial} against {@code mode = parallel} in the same run gives the ratio; each
 * thread has its own tensors.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchBase.NATIVE_ACCESS, "--add-modules", "jdk.incubator.vector"})
public class ParallelLatencyBenchmark extends BenchBase {

    /** {@code serial}: the default mode; {@code parallel}: {@code Elu.parallel()} (every CPU the JVM may use). */
    @Param({"serial", "parallel"})
    public String mode;

    @Param({"1048576", "4194304"})
    public int size;

    private EluCall call;

    @Setup(Level.Trial)
    public void setUp() {
        requireHelper();
        Elu serial = Elu.elu().on(Backend.HELPER);
        Elu elu = switch (mode) {
            case "serial" -> serial;
            case "parallel" -> serial.parallel();
            default -> throw new IllegalArgumentException("mode must be serial or parallel: " + mode);
        };
        call = new EluCall(this, elu, size, "out", "elu4j helper " + mode + " n=" + size);
    }

    static void requireHelper() {
        if (!Elu4j.isAvailable(Backend.HELPER)) {
            throw new IllegalStateException("the helper backend is not available here: " + Elu4j.backends());
        }
    }

    @Benchmark
    public MemorySegment call() {
        return call.run();
    }

    @Benchmark
    @Group("neighbour")
    @GroupThreads(1)
    public MemorySegment request() {
        return call.run();
    }

    @Benchmark
    @Group("neighbour")
    @GroupThreads(1)
    public MemorySegment neighbour(Neighbour n) {
        return n.call.run();
    }

    /** The other request of the {@code neighbour} group: the serial helper on its own tensors. */
    @State(Scope.Thread)
    public static class Neighbour extends BenchBase {
        private EluCall call;

        @Setup(Level.Trial)
        public void setUp(ParallelLatencyBenchmark bench) {
            requireHelper();
            call = new EluCall(this, Elu.elu().on(Backend.HELPER), bench.size, "out", "neighbour n=" + bench.size);
        }
    }
}
