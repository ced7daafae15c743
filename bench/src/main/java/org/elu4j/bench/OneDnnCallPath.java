package org.elu4j.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The oneDNN call path from C and from Java in one command ({@code ./elu4j bench --dnnl-path}):
 * runs {@code dnnl_callpath} (the C steps), then {@link OneDnnCallPathBenchmark} (every Java path
 * at 256 floats; elu4j, JavaCPP and the bare FFM execute + wait at the larger sizes), then
 * {@code dnnl_callpath} again, then the 256-float paths interleaved in this JVM ({@link #interleaved}),
 * and prints one Markdown report: the steps side by side, elu4j against oneDNN from C and through
 * JavaCPP per size, and the interleaved ratios.
 *
 * <pre>
 * OneDnnCallPath --cbench PATH/dnnl_callpath [--out FILE] [--sizes 256,65536,16777216] [--forks 2]
 * OneDnnCallPath --interleaved-only [--sizes ...]   (only the interleaved comparisons, ~1 min)
 * </pre>
 *
 * <p>The machine this runs on is usually shared, so every figure comes in two forms: for JMH the
 * lower of its forks' median iterations and its best (lowest) iteration of 25 ms (its mean with
 * the 99.9% interval is shown beside them); for C the lower median batch of its two runs and its
 * best batch of ~10 ms. With the default 2 forks the medians are the same estimator on both sides
 * (a minimum over two medians; other fork counts tilt it); the best figures still differ in count
 * and window (80 iterations of 25 ms against 2 runs' batches of ~10 ms). Ratios are given from
 * both; the best figures are the least disturbed by other processes.
 */
public final class OneDnnCallPath {
    private static final String BENCH = OneDnnCallPathBenchmark.class.getName();

    private OneDnnCallPath() {
    }

    /**
     * A JMH figure, ns per call: the lower of the forks' median iterations (the C program's
     * estimator: the lower of its runs' median batches), the lowest iteration, and JMH's mean with
     * its 99.9% error.
     */
    private record Figure(double median, double best, double mean, double error) {
    }

    public static void main(String[] args) throws IOException, InterruptedException, RunnerException {
        Path cbench = null;
        Path out = null;
        List<String> sizes = List.of("256", "65536", "16777216");
        int forks = 2;
        boolean interleavedOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--cbench" -> cbench = Path.of(value(args, ++i));
                case "--out" -> out = Path.of(value(args, ++i));
                case "--sizes" -> sizes = Arrays.asList(value(args, ++i).split(","));
                case "--forks" -> forks = Integer.parseInt(value(args, ++i));
                case "--interleaved-only" -> interleavedOnly = true;
                default -> usage("unknown argument " + args[i]);
            }
        }
        if (interleavedOnly) {
            for (String size : sizes) {
                int n = Integer.parseInt(size);
                System.out.println(n == 256 ? interleaved(n, 300)
                        : interleaved(n, n > 1 << 20 ? 100 : 300, new int[] {0, 3, (long) n * Float.BYTES <= 256 << 10 ? 1 : 6}));
            }
            return;
        }
        if (cbench == null || !Files.isExecutable(cbench)) {
            usage("--cbench must name the built dnnl_callpath program (java/target/native-build/dnnl_callpath)");
        }
        if (!sizes.contains("256")) {
            usage("--sizes must include 256 (the per-step breakdown runs there)");
        }
        Map<String, double[]> c1 = runC(cbench, sizes);
        Map<String, Figure> java = new LinkedHashMap<>();
        java.putAll(runJmh(".*", List.of("256"), forks));
        List<String> larger = sizes.stream().filter(s -> !s.equals("256")).toList();
        if (!larger.isEmpty()) {
            java.putAll(runJmh("(elu4j|javacpp|ffmExecWait|ffmExecWaitCritical)", larger, forks));
        }
        Map<String, double[]> c2 = runC(cbench, sizes);
        StringBuilder report = new StringBuilder(report(c1, c2, java, sizes, forks));
        for (String size : sizes) {
            int n = Integer.parseInt(size);
            // elu4j, JavaCPP, and the bare execute + wait bound as elu4j binds it at that size
            report.append(n == 256 ? interleaved(n, 300)
                    : interleaved(n, n > 1 << 20 ? 100 : 300, new int[] {0, 3, (long) n * Float.BYTES <= 256 << 10 ? 1 : 6}));
        }
        System.out.println(report);
        if (out != null) {
            Files.writeString(out, report.toString());
            System.out.println("# written to " + out);
        }
    }

    /** dnnl_callpath's rows as "step size" to ns per call: {median batch, best batch}. */
    private static Map<String, double[]> runC(Path cbench, List<String> sizes) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(cbench.toString()));
        command.addAll(sizes);
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Map<String, double[]> rows = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                System.out.println("# C: " + line);
                String[] f = line.split("\t");
                if (!line.startsWith("#") && f.length == 4 && !f[0].equals("step")) {
                    rows.put(f[0] + " " + f[1], new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3])});
                }
            }
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException(cbench + " failed with exit status " + p.exitValue());
        }
        return rows;
    }

    /** Runs the benchmark's methods matching {@code methods} at the sizes: "method size" to its figure. */
    private static Map<String, Figure> runJmh(String methods, List<String> sizes, int forks) throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(Pattern.quote(BENCH + ".") + methods + "$")
                .param("size", sizes.toArray(String[]::new))
                .forks(forks)
                .warmupIterations(5)
                .warmupTime(TimeValue.milliseconds(500))
                // many short iterations: on a shared machine some of them run undisturbed
                .measurementIterations(40)
                .measurementTime(TimeValue.milliseconds(25));
        Collection<RunResult> results = new Runner(options.build()).run();
        Map<String, Figure> figures = new LinkedHashMap<>();
        for (RunResult run : results) {
            String method = run.getParams().getBenchmark();
            method = method.substring(method.lastIndexOf('.') + 1);
            double best = Double.MAX_VALUE;
            double median = Double.MAX_VALUE;
            for (BenchmarkResult fork : run.getBenchmarkResults()) {
                double[] scores = fork.getIterationResults().stream()
                        .mapToDouble(it -> it.getPrimaryResult().getScore()).toArray();
                for (double v : scores) {
                    best = Math.min(best, v);
                }
                if (scores.length > 0) {
                    median = Math.min(median, median(scores));
                }
            }
            figures.put(method + " " + run.getParams().getParam("size"), new Figure(median, best,
                    run.getPrimaryResult().getScore(), run.getPrimaryResult().getScoreError()));
        }
        return figures;
    }

    private static String report(Map<String, double[]> c1, Map<String, double[]> c2, Map<String, Figure> java,
                                 List<String> sizes, int forks) {
        StringBuilder s = new StringBuilder();
        s.append("## oneDNN call path: C and Java side by side (f32 ELU, out of place, one thread)\n\n");
        s.append("ns per call. JMH: ").append(forks).append(" fork(s) x 40 iterations of 25 ms after 2.5 s of "
                + "warm-up, the lower of the forks' median iterations [best iteration] (mean ±99.9% interval); "
                + "C (dnnl_callpath, run before and after JMH): the lower of the two runs' median batches "
                + "[best batch of ~10 ms] (with 2 forks, the same estimator as Java's median). On a shared "
                + "machine the best figures are the least disturbed by other processes.\n\n");
        s.append("### Steps at 256 floats\n\n");
        s.append("| step | C | Java, ordinary downcalls | Java, critical downcalls |\n|---|---:|---:|---:|\n");
        row(s, "set_data_handle, pointer unchanged", c("set_handle_same 256", c1, c2), null, null);
        row(s, "set_data_handle, another pointer", c("set_handle_new 256", c1, c2), null, null);
        row(s, "stream_wait alone (one downcall's cost)", c("wait 256", c1, c2), java.get("ffmWait 256"),
                java.get("ffmWaitCritical 256"));
        row(s, "execute alone", c("execute 256", c1, c2), null, null);
        row(s, "execute + wait (2 calls)", c("exec_wait 256", c1, c2), java.get("ffmExecWait 256"),
                java.get("ffmExecWaitCritical 256"));
        row(s, "execute + wait from a second thread (as every Java thread)", c("exec_wait_thread 256", c1, c2), null, null);
        row(s, "execute + wait, the segments held (as elu4j without the helper)", null, null, java.get("ffmExecWaitCriticalHeld 256"));
        row(s, "set x2 + execute + wait (4 calls)", c("set2_exec_wait 256", c1, c2), java.get("ffmSet2ExecWait 256"),
                java.get("ffmSet2ExecWaitCritical 256"));
        row(s, "the helper's shim (the 4 calls in 1)", c("shim 256", c1, c2), java.get("ffmShim 256"),
                java.get("ffmShimCritical 256"));
        row(s, "the helper's execute-and-wait shim, the segments held (elu4j's short calls)", null, null,
                java.get("ffmExecWaitShimCriticalHeld 256"));
        s.append("| elu4j's oneDNN backend, public API | | ").append(fmt(java.get("elu4j 256")))
                .append(" | |\n| oneDNN via JavaCPP (JNI), execute + wait | | ").append(fmt(java.get("javacpp 256")))
                .append(" | |\n\n");
        s.append("### elu4j's oneDNN backend against oneDNN from C and through JavaCPP\n\n");
        s.append("| size | oneDNN from C (execute + wait) | the same, second thread | elu4j onednn | oneDNN via JavaCPP "
                + "| bare FFM execute + wait | elu4j / C (medians; best) | elu4j / C second thread (medians; best) "
                + "| elu4j / JavaCPP (medians; best) |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String size : sizes) {
            double[] c = c("exec_wait " + size, c1, c2);
            double[] ct = c("exec_wait_thread " + size, c1, c2);
            Figure elu4j = java.get("elu4j " + size);
            Figure javacpp = java.get("javacpp " + size);
            // the binding elu4j uses at that size: critical up to 256 KiB per tensor
            Figure bare = java.get((Long.parseLong(size) * Float.BYTES <= 256 << 10 ? "ffmExecWaitCritical " : "ffmExecWait ")
                    + size);
            s.append("| ").append(size).append(" | ").append(fmtC(c)).append(" | ").append(fmtC(ct)).append(" | ")
                    .append(fmt(elu4j)).append(" | ")
                    .append(fmt(javacpp)).append(" | ").append(fmt(bare)).append(" | ");
            if (c != null && elu4j != null) {
                s.append(String.format(Locale.ROOT, "%.2f; %.2f", elu4j.median / c[0], elu4j.best / c[1]));
            }
            s.append(" | ");
            if (ct != null && elu4j != null) {
                s.append(String.format(Locale.ROOT, "%.2f; %.2f", elu4j.median / ct[0], elu4j.best / ct[1]));
            }
            s.append(" | ");
            if (javacpp != null && elu4j != null) {
                s.append(String.format(Locale.ROOT, "%.2f; %.2f", elu4j.median / javacpp.median, elu4j.best / javacpp.best));
            }
            s.append(" |\n");
        }
        return s.toString();
    }

    /**
     * The same paths at one size, in one JVM, interleaved: round after round, a batch of calls of
     * ~1 ms on each path in turn (in an order shuffled per round), so that neighbouring batches see
     * the same machine. The median of the per-round ratios is what a busy shared machine changes
     * least. The paths share one JIT: elu4j's public API runs here on a shared and a confined arena,
     * so its compiled code has seen both kinds of segment (an application that uses one kind would
     * compile for it alone). The bare critical FFM
     * execute + wait is oneDNN as C calls it (a critical downcall costs what a C call does, see the
     * table above), on a Java thread.
     */
    private static String interleaved(int size, int rounds) {
        return interleaved(size, rounds, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    }

    /**
     * {@link #interleaved(int, int)} on a subset of its paths (indexes into its table; the first
     * must be 0, elu4j on a shared arena, the numerator of every ratio).
     */
    private static String interleaved(int size, int rounds, int[] paths) {
        OneDnnCallPathBenchmark b = new OneDnnCallPathBenchmark();
        b.size = size;
        // the same on a confined arena, whose hold by a downcall is a plain counter, not an atomic one
        OneDnnCallPathBenchmark confined = new OneDnnCallPathBenchmark() {
            @Override
            protected Arena newArena() {
                return Arena.ofConfined();
            }
        };
        confined.size = size;
        String[] names = {"elu4j onednn", "bare FFM execute + wait (critical)", "the same, segments held",
            "oneDNN via JavaCPP", "the helper's shim, ordinary downcall", "the helper's shim, critical downcall",
            "bare FFM execute + wait (ordinary)", "elu4j onednn, confined arena",
            "bare FFM execute + wait (critical), segments held, confined arena",
            "the helper's execute-and-wait shim, critical, segments held",
            "elu4j's backend below the API, with the helper's shims", "the same without them (2 downcalls)"};
        double[][] ns = new double[paths.length][rounds];
        try {
            b.setUp();
            confined.setUp();
            // ~1 ms per batch (one call from 4M floats on)
            int batch = (int) Math.max(1, 1_000_000 / (400 + 0.25 * size));
            // Each round in its own order (a fixed seed: reruns see the same orders), so that no
            // path always follows the same neighbour; the first pass is the JIT's warm-up.
            SplittableRandom random = new SplittableRandom(11);
            int[] order = new int[paths.length];
            for (int warm = 0; warm < 2; warm++) {
                for (int r = 0; r < rounds; r++) {
                    for (int i = 0; i < order.length; i++) {
                        order[i] = i;
                    }
                    for (int i = order.length - 1; i > 0; i--) {
                        int j = random.nextInt(i + 1);
                        int t = order[i];
                        order[i] = order[j];
                        order[j] = t;
                    }
                    for (int i : order) {
                        int p = paths[i];
                        ns[i][r] = p == 7 || p == 8 ? batch(confined, p == 7 ? 0 : 2, batch) : batch(b, p, batch);
                    }
                }
            }
        } catch (Throwable t) {
            return "\n(interleaved run failed: " + t + ")\n";
        } finally {
            b.tearDown();
            b.closeArena();
            confined.tearDown();
            confined.closeArena();
        }
        StringBuilder s = new StringBuilder();
        s.append("\n### Interleaved, ").append(size).append(" floats: ").append(rounds)
                .append(" rounds of ~1 ms batches (one call at 16M), each path in turn, in an order shuffled per round (one JVM)\n\n");
        s.append("| path | median ns per call | best batch | median of the per-round ratio elu4j / path |\n"
                + "|---|---:|---:|---:|\n");
        for (int i = 0; i < paths.length; i++) {
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratio[r] = ns[0][r] / ns[i][r];
            }
            s.append(String.format(Locale.ROOT, "| %s | %s | %s | %.3f |%n", names[paths[i]], num(median(ns[i])),
                    num(Arrays.stream(ns[i]).min().orElse(0)), median(ratio)));
        }
        return s.toString();
    }

    /** ns per call of {@code calls} calls on path {@code p} (each loop calls one path only). */
    private static double batch(OneDnnCallPathBenchmark b, int p, int calls) {
        long t0 = System.nanoTime();
        int sink = 0;
        switch (p) {
            case 0 -> {
                for (int i = 0; i < calls; i++) {
                    sink += (int) b.elu4j().byteSize();
                }
            }
            case 1 -> {
                for (int i = 0; i < calls; i++) {
                    sink |= b.ffmExecWaitCritical();
                }
            }
            case 2 -> {
                for (int i = 0; i < calls; i++) {
                    sink |= b.ffmExecWaitCriticalHeld();
                }
            }
            case 3 -> {
                for (int i = 0; i < calls; i++) {
                    sink |= b.javacpp();
                }
            }
            case 4 -> {
                for (int i = 0; i < calls; i++) {
                    sink |= b.ffmShim();
                }
            }
            case 5 -> {
                for (int i = 0; i < calls; i++) {
                    sink |= b.ffmShimCritical();
                }
            }
            case 9 -> {
                for (int i = 0; i < calls; i++) {
                    sink |= b.ffmExecWaitShimCriticalHeld();
                }
            }
            case 10 -> {
                for (int i = 0; i < calls; i++) {
                    sink += (int) b.backendWithShims().byteSize();
                }
            }
            case 11 -> {
                for (int i = 0; i < calls; i++) {
                    sink += (int) b.backendWithoutShims().byteSize();
                }
            }
            default -> {
                for (int i = 0; i < calls; i++) {
                    sink |= b.ffmExecWait();
                }
            }
        }
        long t = System.nanoTime() - t0;
        if (sink == Integer.MIN_VALUE) { // never: keeps the calls' results alive
            System.out.print("");
        }
        return (double) t / calls;
    }

    private static double median(double[] v) {
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static void row(StringBuilder s, String step, double[] c, Figure ordinary, Figure critical) {
        s.append("| ").append(step).append(" | ").append(fmtC(c)).append(" | ").append(fmt(ordinary)).append(" | ")
                .append(fmt(critical)).append(" |\n");
    }

    /** The C figure of a row: the lower median of the two runs and the best batch of both; null if missing. */
    private static double[] c(String key, Map<String, double[]> c1, Map<String, double[]> c2) {
        double[] a = c1.get(key);
        double[] b = c2.get(key);
        if (a == null || b == null) {
            return null;
        }
        return new double[] {Math.min(a[0], b[0]), Math.min(a[1], b[1])};
    }

    private static String fmtC(double[] c) {
        return c == null ? "—" : String.format(Locale.ROOT, "%s [%s]", num(c[0]), num(c[1]));
    }

    private static String fmt(Figure f) {
        if (f == null) {
            return "—";
        }
        return String.format(Locale.ROOT, "%s [%s] (%s ±%s)", num(f.median), num(f.best), num(f.mean), num(f.error));
    }

    private static String num(double v) {
        return v >= 1000 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static void usage(String problem) {
        System.err.println("OneDnnCallPath: " + problem);
        System.err.println("usage: OneDnnCallPath --cbench PATH/dnnl_callpath [--out FILE] [--sizes 256,65536,16777216]"
                + " [--forks 2] | --interleaved-only");
        System.exit(2);
    }
}
