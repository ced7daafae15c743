package org.elu4j.cli;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.SplittableRandom;
import org.elu4j.Backend;
import org.elu4j.BackendStatus;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code elu4j compare}: the main job. Runs every available backend on the same random input,
 * reports each one's error against the scalar oracle and a quick throughput estimate.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = {
        "Run every available backend on the same input; print its max ulp error against the scalar oracle and a quick throughput estimate.",
        "The input: 1M floats uniform in [-4, 4] by default, fixed seed.",
        "The throughput is a rough single-thread figure; the JMH suite in bench/ gives the real numbers."})
final class CompareCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--size", defaultValue = "1048576", description = "Number of floats (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--alpha", defaultValue = "1.0", description = "ELU alpha (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--seed", defaultValue = "20261130", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--min", defaultValue = "-4", description = "Smallest input value (default: ${DEFAULT-VALUE}).")
    float min;

    @Option(names = "--max", defaultValue = "4", description = "Largest input value (default: ${DEFAULT-VALUE}).")
    float max;

    @Option(names = "--millis", defaultValue = "300",
            description = "Time spent measuring each backend, after as long a warm-up (default: ${DEFAULT-VALUE}).")
    int millis;

    @Override
    public void run() {
        // Option errors are usage errors (exit code 2), as picocli's own
        if (size < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--size must be at least 1, got " + size);
        }
        if (!(min < max) || !Float.isFinite(min) || !Float.isFinite(max)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--min must be below --max, both finite");
        }
        if (millis < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--millis must be at least 1, got " + millis);
        }
        // Its three tensors (input, oracle's output, each backend's output) are native memory: a
        // size beyond the machine's memory would have the system swap or kill the JVM half-way,
        // so it is refused here, as a usage error, before anything is allocated.
        long needed = 3L * size * Float.BYTES;
        long memory = physicalMemory();
        if (memory > 0 && needed > memory) {
            throw new CommandLine.ParameterException(spec.commandLine(), String.format(
                    "--size %d needs %.1f GiB for its three tensors, more than this machine's %.1f GiB of memory",
                    size, needed / (double) (1L << 30), memory / (double) (1L << 30)));
        }
        // The throughput estimate is of each backend's steady state: the vector backend's kernel
        // itself, not the scalar form its f32 ELU runs while a library thread gets the kernel
        // compiled (its cold start, docs/using.md), which may outlast the short warm-up here.
        if (System.getProperty("elu4j.vector.coldStart") == null) {
            System.setProperty("elu4j.vector.coldStart", "off");
        }
        Elu oracle;
        try {
            oracle = Elu.elu(alpha).on(Backend.SCALAR);
        } catch (IllegalArgumentException e) { // NaN, infinite: a usage error, as picocli's own "'nan' is not a double"
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("ELU alpha=%s on %d floats uniform in [%s, %s], seed %d%n", alpha, size, min, max, seed);
        out.printf("%-7s  %-56s %9s  %-15s %12s  %s%n", "backend", "implementation", "max ulp", "at x",
                "max abs err", "el/ns (quick estimate)");
        try (Arena arena = Arena.ofConfined()) {
            long bytes = (long) size * Float.BYTES;
            MemorySegment x = arena.allocate(bytes, 64);
            MemorySegment expected = arena.allocate(bytes, 64);
            MemorySegment y = arena.allocate(bytes, 64);
            SplittableRandom random = new SplittableRandom(seed);
            for (long i = 0; i < size; i++) {
                x.setAtIndex(JAVA_FLOAT, i, (float) random.nextDouble(min, max));
            }
            oracle.apply(x, expected);
            for (Backend b : Backend.values()) {
                Elu4j.isAvailable(b); // compare runs every backend: link and load them, so backends() reports them as they run
            }
            for (BackendStatus status : Elu4j.backends()) {
                if (!status.available()) {
                    out.printf("%-7s  unavailable: %s%n", status.backend().cliName(), status.detail());
                    continue;
                }
                Elu elu = oracle.on(status.backend());
                Optional<String> refused = elu.unsupportedReason(DataType.F32, Elu.Direction.FORWARD);
                if (refused.isPresent()) { // e.g. oneDNN with an alpha beyond the float range
                    out.printf("%-7s  cannot run it: %s%n", status.backend().cliName(), refused.get());
                    continue;
                }
                warmUpJit(elu, x, y);
                y.fill((byte) 0);
                elu.apply(x, y);
                long worst = 0;
                float worstAt = Float.NaN;
                double maxAbs = 0;
                for (long i = 0; i < size; i++) {
                    float got = y.getAtIndex(JAVA_FLOAT, i);
                    float want = expected.getAtIndex(JAVA_FLOAT, i);
                    long d = Ulps.distance(got, want);
                    if (d > worst) {
                        worst = d;
                        worstAt = x.getAtIndex(JAVA_FLOAT, i);
                    }
                    if (got != want) { // equal infinities would give inf - inf = NaN
                        maxAbs = Math.max(maxAbs, Math.abs((double) got - want));
                    }
                }
                double elPerNs = throughput(elu, x, y);
                out.printf("%-7s  %-56s %9s  %-15s %12.3g  %.3f%n", status.backend().cliName(), status.detail(),
                        worst == Long.MAX_VALUE ? "NaN" : Long.toString(worst),
                        worst == 0 ? "-" : Float.toString(worstAt), maxAbs, elPerNs);
            }
        }
        out.println("ulp errors are measured against the scalar backend (Math.expm1 in double, rounded once).");
        out.println("Throughput: one thread, out of place, after a short warm-up: an estimate, not a benchmark.");
    }

    /**
     * The JIT compiles a kernel only after thousands of calls, and until then the Vector API path
     * runs thousands of times slower; compiled in the middle of one huge call (on-stack
     * replacement) it was measured to stay slow. So each backend first gets many calls on a short
     * slice: up to 20,000 calls or 10 s (a loaded machine compiles slowly).
     */
    private static void warmUpJit(Elu elu, MemorySegment x, MemorySegment y) {
        long small = Math.min(x.byteSize(), 64 * Float.BYTES);
        MemorySegment xs = x.asSlice(0, small);
        MemorySegment ys = y.asSlice(0, small);
        long jitEnd = System.nanoTime() + 10_000_000_000L;
        for (int i = 0; i < 20_000 && System.nanoTime() < jitEnd; i++) {
            elu.apply(xs, ys);
        }
    }

    /** The machine's memory in bytes as the JVM sees it (a container's limit where it has one), 0 if unknown. */
    private static long physicalMemory() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 0;
    }

    /** Elements per nanosecond over about {@code millis} ms, after a full-size warm-up as long. */
    private double throughput(Elu elu, MemorySegment x, MemorySegment y) {
        long warmEnd = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < warmEnd) {
            elu.apply(x, y);
        }
        long calls = 0;
        long start = System.nanoTime();
        long end = start + millis * 1_000_000L;
        long now;
        do {
            elu.apply(x, y);
            calls++;
            now = System.nanoTime();
        } while (now < end);
        return (double) calls * size / (now - start);
    }
}
