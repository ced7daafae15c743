package org.elu4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the latency benchmarks and writes their JSON results into a directory
 * ({@code ./elu4j bench --latency}, and the full {@code ./elu4j bench} after {@link Suite}; then
 * {@link org.elu4j.bench.report.LatencyReport}):
 *
 * <pre>
 * LatencySuite --out DIR
 * </pre>
 *
 * Each thread count is a JMH run of its own (JMH's thread count is per run): {@link LatencyBenchmark}
 * on every path at {@link #SIZES} (the scalar backend at {@link #SCALAR_SIZES}: ~0.1 el/ns),
 * then {@link ParallelLatencyBenchmark} (serial against parallel mode, one and two callers),
 * then its group with a serial neighbour. The benchmarks' annotations set warm-up, measurement and
 * forks: about 10 minutes on 2 cores. Files: {@code latency-t1.json}, {@code latency-t2.json},
 * {@code latency-scalar-t*.json}, {@code latency-parallel-t*.json},
 * {@code latency-parallel-neighbour.json}. {@link Suite} leaves these benchmarks out of its runs.
 */
public final class LatencySuite {
    /** The benchmarks of this suite, as a JMH regular expression (Suite excludes it). */
    static final String BENCHMARKS = Pattern.quote(LatencyBenchmark.class.getName() + ".") + "|"
            + Pattern.quote(ParallelLatencyBenchmark.class.getName() + ".");
    private static final String PATHS = Pattern.quote(LatencyBenchmark.class.getName() + ".");
    private static final String PARALLEL = Pattern.quote(ParallelLatencyBenchmark.class.getName() + ".");
    static final List<String> SIZES = List.of("256", "4096", "65536");
    static final List<String> SCALAR_SIZES = List.of("256", "4096");
    static final List<String> PATH_NAMES = List.of("none", "auto", "helper", "vector", "onednn", "javacpp");
    static final List<Integer> THREADS = List.of(1, 2);

    private LatencySuite() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        if (args.length != 2 || !args[0].equals("--out")) {
            System.err.println("usage: LatencySuite --out DIR");
            System.exit(2);
        }
        Path out = Files.createDirectories(Path.of(args[1]));
        for (int threads : THREADS) {
            run(options(out, "latency-t" + threads, threads).include(PATHS)
                    .param("path", PATH_NAMES.toArray(String[]::new)).param("size", SIZES.toArray(String[]::new)));
            run(options(out, "latency-scalar-t" + threads, threads).include(PATHS)
                    .param("path", "scalar").param("size", SCALAR_SIZES.toArray(String[]::new)));
            run(options(out, "latency-parallel-t" + threads, threads).include(PARALLEL + "call$"));
        }
        // The group's own two threads (@GroupThreads): no thread count.
        run(options(out, "latency-parallel-neighbour", 0).include(PARALLEL + "neighbour$"));
    }

    /** JMH options writing DIR/name.json; {@code threads} calling threads, or 0 for the benchmark's own. */
    private static ChainedOptionsBuilder options(Path out, String name, int threads) {
        ChainedOptionsBuilder b = new OptionsBuilder()
                .shouldFailOnError(false) // a peer that cannot run here is reported missing, the rest goes on
                .resultFormat(ResultFormatType.JSON)
                .result(out.resolve(name + ".json").toString());
        return threads > 0 ? b.threads(threads) : b;
    }

    private static void run(ChainedOptionsBuilder options) throws RunnerException {
        new Runner(options.build()).run();
    }
}
