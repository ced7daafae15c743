package org.elu4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the JMH suite and writes its JSON results into a directory ({@code ./elu4j bench} calls
 * this, then {@link org.elu4j.bench.report.Report}).
 *
 * <pre>
 * Suite --out DIR [--quick] [--include REGEX] [--sizes 256,65536] [--modes out,in] [--functions elu,relu]
 *       [--no-gc] [--no-family]
 * </pre>
 *
 * Without {@code --quick} the annotations of {@link BenchBase} and the benchmark classes apply
 * (two forks, 5 × 1 s warm-up and measurement, all sizes, in place for ELU only: about 2 hours on
 * 2 cores with the family run, estimated from its ~330 forks of ~12 s, not timed end to end).
 * {@code --quick} is one fork, 4 × 0.5 s warm-up, 4 × 0.5 s measurement, sizes 256, 64K and 16M,
 * out of place only (8-10 minutes on 2 cores; each fork takes 7-9 s, and a benchmark
 * without a mode parameter, such as {@link OnnxRuntimeBenchmark} (three forks), runs once per size).
 * JMH's GC profiler ({@code -prof gc}) runs with every benchmark unless {@code --no-gc}: the
 * report prints the bytes allocated per call of every elu4j path, which must be 0 in steady state. The scalar backend runs in a JMH run of its own ({@code jmh-scalar.json})
 * because its sizes stop at {@link ScalarEluBenchmark#MAX_SIZE}. Run 1 includes
 * {@link ParallelEluBenchmark} (the helper serial against parallel mode, side by side; about 1 min
 * of the quick run); {@code --include ParallelEluBenchmark} runs it alone. For any other JMH option run
 * {@code org.openjdk.jmh.Main} on the same class path.
 */
public final class Suite {
    static final List<String> QUICK_SIZES = List.of("256", "65536", "16777216");
    static final List<String> QUICK_MODES = List.of("out");
    static final List<String> QUICK_FUNCTIONS = List.of("elu", "relu", "selu");
    private static final String ALL = "^org\\.elu4j\\.bench\\.";
    private static final String SCALAR = Pattern.quote(ScalarEluBenchmark.class.getName() + ".");
    private static final String FAMILY = Pattern.quote(FamilyBenchmark.class.getName() + ".");
    private static final String ELU = Pattern.quote(EluBenchmark.class.getName() + ".");

    private Suite() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        Path out = null;
        boolean quick = false;
        String include = null;
        List<String> sizes = null;
        List<String> modes = null;
        List<String> functions = null;
        boolean gc = true;
        boolean family = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(value(args, ++i));
                case "--include" -> include = value(args, ++i);
                case "--sizes" -> sizes = Arrays.asList(value(args, ++i).split(","));
                case "--modes" -> modes = Arrays.asList(value(args, ++i).split(","));
                case "--functions" -> functions = Arrays.asList(value(args, ++i).split(","));
                case "--no-gc" -> gc = false;
                case "--no-family" -> family = false;
                default -> usage("unknown argument " + args[i]);
            }
        }
        if (out == null) {
            usage("--out DIR is required");
        }
        // The family run takes sizes and functions only where they are given (its own defaults
        // otherwise), e.g. --include FamilyBenchmark --sizes 16777216 --functions elu.
        List<String> familySizes = sizes;
        List<String> familyFunctions = functions;
        if (quick) {
            sizes = sizes != null ? sizes : QUICK_SIZES;
            modes = modes != null ? modes : QUICK_MODES;
            functions = functions != null ? functions : QUICK_FUNCTIONS;
        }
        Files.createDirectories(out);

        // EluBenchmark in place runs ELU only: applied again and again to its own output, SELU's
        // positives grow to +Inf within ~1,800 calls and ReLU repeats itself, and the report shows
        // only ELU in place. So where in place is asked for, EluBenchmark runs on its own: every
        // function out of place, then ELU in place (its cells would otherwise be ~20% of a full run).
        boolean inPlace = modes == null ? !quick : modes.contains("in");
        boolean splitElu = inPlace && (functions == null || functions.stream().anyMatch(f -> !f.equals("elu")))
                && (include == null || Pattern.compile(include).matcher(EluBenchmark.class.getName() + ".elu").find());

        // Run 1: everything but the scalar backend (and the latency benchmarks: LatencySuite).
        ChainedOptionsBuilder main = options(quick, modes, gc, out.resolve("jmh-main.json"))
                .include(include != null ? include : ALL)
                .exclude(splitElu ? ELU : "^$")
                // the helper's call path layer by layer: only when asked for (--include HelperCallPath)
                .exclude(include != null ? "^$" : Pattern.quote(HelperCallPathBenchmark.class.getName() + "."))
                .exclude(SCALAR)
                .exclude(FAMILY)
                .exclude(LatencySuite.BENCHMARKS)
                .exclude(Pattern.quote(OneDnnCallPathBenchmark.class.getName() + ".")); // ./elu4j bench --dnnl-path
        if (sizes != null) {
            main.param("size", sizes.toArray(String[]::new));
        }
        if (functions != null) {
            main.param("function", functions.toArray(String[]::new));
        }
        try {
            new Runner(main.build()).run();
        } catch (NoBenchmarksException e) {
            System.out.println("# no benchmark of run 1 matches " + include); // e.g. --include FamilyBenchmark
            Files.deleteIfExists(out.resolve("jmh-main.json")); // empty: the report would not parse it
        }
        if (splitElu) {
            List<String> outModes = modes == null ? List.of("out") : modes.stream().filter(m -> !m.equals("in")).toList();
            if (!outModes.isEmpty()) {
                ChainedOptionsBuilder elu = options(quick, outModes, gc, out.resolve("jmh-main-elu-out.json")).include(ELU);
                if (sizes != null) {
                    elu.param("size", sizes.toArray(String[]::new));
                }
                if (functions != null) {
                    elu.param("function", functions.toArray(String[]::new));
                }
                new Runner(elu.build()).run();
            }
            if (functions == null || functions.contains("elu")) {
                ChainedOptionsBuilder elu = options(quick, List.of("in"), gc, out.resolve("jmh-main-elu-in.json"))
                        .include(ELU).param("function", "elu");
                if (sizes != null) {
                    elu.param("size", sizes.toArray(String[]::new));
                }
                new Runner(elu.build()).run();
            }
        }

        // Run 3: every function x type x pass (FamilyBenchmark), one JVM per backend.
        if (family && (include == null || Pattern.compile(include).matcher(FamilyBenchmark.class.getName() + ".run").find())) {
            FamilyRun.run(quick, out, familySizes, familyFunctions);
        }

        // Run 2: the scalar backend, at most MAX_SIZE elements.
        String scalarName = ScalarEluBenchmark.class.getName() + ".elu";
        if (include == null || Pattern.compile(include).matcher(scalarName).find()) {
            ChainedOptionsBuilder scalar = options(quick, modes, gc, out.resolve("jmh-scalar.json")).include(SCALAR);
            if (sizes != null) {
                List<String> small = new ArrayList<>();
                for (String s : sizes) {
                    if (Long.parseLong(s.trim()) <= ScalarEluBenchmark.MAX_SIZE) {
                        small.add(s.trim());
                    }
                }
                if (small.isEmpty()) {
                    return;
                }
                scalar.param("size", small.toArray(String[]::new));
            }
            new Runner(scalar.build()).run();
        }
    }

    private static ChainedOptionsBuilder options(boolean quick, List<String> modes, boolean gc, Path json) {
        ChainedOptionsBuilder b = new OptionsBuilder()
                .shouldFailOnError(false) // a peer that cannot run here is reported missing, the rest goes on
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString());
        if (quick) {
            // 2 s of warm-up: the native paths are warm after a few calls, and a call the vector
            // backend runs has been warmed in set-up until compiled (BenchBase.warmUntilCompiled;
            // a fixed 3 s was not always enough for it: ~1000x slower before C2 has compiled it).
            b.forks(1)
                    .warmupIterations(4).warmupTime(TimeValue.milliseconds(500))
                    .measurementIterations(4).measurementTime(TimeValue.milliseconds(500));
        }
        if (modes != null) {
            b.param("mode", modes.toArray(String[]::new));
        }
        if (gc) {
            b.addProfiler(GCProfiler.class);
        }
        return b;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static void usage(String problem) {
        System.err.println("Suite: " + problem);
        System.err.println("usage: Suite --out DIR [--quick] [--include REGEX] [--sizes 256,65536] [--modes out,in] "
                + "[--functions elu,relu,selu] [--no-gc] [--no-family]");
        System.exit(2);
    }
}
