package org.elu4j.bench.startup;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.elu4j.Elu;
import org.elu4j.bench.report.Charts;
import org.knowm.xchart.XYChart;

/**
 * Time to steady state (issue #11, item 7): ns per call against calls made, from the very first
 * call in a fresh JVM, per backend and AUTO; f32 ELU (or {@code --type}, {@code --function}), 256
 * elements, back-to-back calls, averaged per batch. Every sample is a new JVM ({@link SteadyStateProbe}), started with the natives already
 * extracted (an untimed JVM extracts them first); the forks of all backends (and variants) are
 * interleaved round-robin, so load on a shared machine hits them alike.
 *
 * <pre>
 * java -cp "bench/target/elu4j-bench-VERSION.jar:bench/target/lib/*" org.elu4j.bench.startup.SteadyStateBenchmark \
 *     [--out DIR] [--forks 5] [--calls 200000] [--batch 100] [--backends auto,helper,vector,onednn,scalar]
 *     [--aot] [--warm-thread] [--cold-start-off] [--no-vector-module] [--idle PCT[,SECONDS]] [--jvm-arg ARG]...
 *     [--type f32|bf16|f16|f64] [--function elu|elu-1.3|elu-neg|selu|celu|relu|leaky-relu] [--pass fwd|bwd-in|bwd-out]
 * </pre>
 *
 * {@code --aot} also measures every backend with a JDK AOT cache (JEP 483/514/515): per backend,
 * one training JVM runs the same probe with {@code -XX:AOTCacheOutput=FILE}, then its forks run
 * with {@code -XX:AOTCache=FILE}, interleaved with the forks without it. {@code --warm-thread} also
 * measures every backend with a thread that calls it in the background from the first call on
 * (an option evaluated, see {@link SteadyStateProbe}). {@code --cold-start-off} also measures every
 * backend with {@code -Delu4j.vector.coldStart=off} (the vector backend's kernels without their scalar
 * forms while C2 compiles them: the library before that cold start). {@code --no-vector-module} starts the JVMs
 * without {@code --add-modules jdk.incubator.vector}, which AUTO on the helper does not need and
 * which costs the AOT cache its archived heap and full module graph (the vector backend is then
 * unavailable: leave it out of {@code --backends}). {@code --idle}: each fork
 * first waits (at most SECONDS, default 120) until all CPUs together were at most PCT% busy over
 * half a second. Writes {@code DIR/steady.tsv} (every batch of every fork), {@code steady.md} (the
 * table, also printed), {@code steady.png} and {@code steady.svg} (median curves over the forks);
 * DIR defaults to {@code bench/results/steady-DATE}.
 */
public final class SteadyStateBenchmark {
    static final List<String> BACKENDS = List.of("auto", "helper", "vector", "onednn", "scalar");
    static final String PLAIN = "";
    static final String AOT = "AOT cache";
    static final String WARM = "warm-up thread";
    static final String COLD_OFF = "cold start off";

    /** One fork's run: the first call (ns), per batch: calls before it, mean, slowest call, calls over 2 µs. */
    record Run(String backend, String variant, int fork, double firstNs, double firstCpuNs, long[] before, double[] mean,
               long[] max, long[] over2us, double timerNs, long hostOver2us) {
    }

    /** --type and --function: what the calls compute (the probe's arguments). */
    private static String type = "f32";
    private static String function = "elu";
    private static String pass = "fwd";

    /** --idle: see {@link Forks.IdleGate}. */
    private static Forks.IdleGate idle = Forks.IdleGate.OFF;

    private SteadyStateBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path out = null;
        int forks = 5;
        int calls = 200_000;
        int batch = 100;
        List<String> backends = BACKENDS;
        boolean aot = false;
        boolean warm = false;
        boolean coldOff = false;
        boolean vectorModule = true;
        List<String> jvmArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[++i]);
                case "--forks" -> forks = Integer.parseInt(args[++i]);
                case "--calls" -> calls = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--backends" -> backends = List.of(args[++i].split(","));
                case "--aot" -> aot = true;
                case "--warm-thread" -> warm = true;
                case "--cold-start-off" -> coldOff = true;
                case "--jvm-arg" -> jvmArgs.add(args[++i]);
                case "--no-vector-module" -> vectorModule = false;
                case "--idle" -> idle = Forks.IdleGate.parse(args[++i]);
                case "--type" -> type = args[++i];
                case "--function" -> function = args[++i];
                case "--pass" -> pass = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--out DIR --forks N "
                        + "--calls N --batch N --backends a,b --aot --warm-thread --cold-start-off --no-vector-module --idle PCT[,S] --jvm-arg ARG --type T --function F --pass P)");
            }
        }
        if (calls % batch != 0) {
            throw new IllegalArgumentException("--calls must be a multiple of --batch");
        }
        if (out == null) {
            out = Path.of("bench", "results", "steady-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmmss")));
        }
        Files.createDirectories(out);
        Path work = Files.createTempDirectory("elu4j-steady-");
        String classPath = childClassPath(aot);
        List<String> base = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Delu4j.extract.dir=" + work.resolve("extract")));
        if (vectorModule) {
            base.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        base.addAll(jvmArgs);
        base.addAll(List.of("-cp", classPath, SteadyStateProbe.class.getName()));

        System.out.printf("elu4j time to steady state: %d forks per cell, %d calls in batches of %d, %s, %d CPUs, Java %s%n",
                forks, calls, batch, Forks.cpuName(), Runtime.getRuntime().availableProcessors(), Runtime.version());
        // Natives extracted once, untimed (oneDNN's too: its probe loads them).
        for (String b : List.of("auto", "onednn")) {
            Forks.exec(probe(base, null, b, 1000, 100), Map.of("OMP_NUM_THREADS", "1"));
        }
        List<String> variants = new ArrayList<>(List.of(PLAIN));
        if (aot) {
            variants.add(AOT);
        }
        if (warm) {
            variants.add(WARM);
        }
        if (coldOff) {
            variants.add(COLD_OFF);
        }
        Map<String, Path> caches = new LinkedHashMap<>();
        if (aot) {
            for (String b : backends) {
                Path cache = work.resolve("aot-" + b + ".aot");
                List<String> cmd = probe(base, "-XX:AOTCacheOutput=" + cache, b, calls, batch);
                cmd.addAll(List.of("256", "-", type, function, pass)); // trained on the calls measured
                Forks.Result r = Forks.exec(cmd, Map.of("OMP_NUM_THREADS", "1"));
                if (r.exit() != 0 || !Files.exists(cache)) {
                    throw new IllegalStateException("AOT training run for " + b + " failed:\n" + r.err());
                }
                caches.put(b, cache);
                System.out.printf("AOT cache for %s: %.1f MB%n", b, Files.size(cache) / 1e6);
            }
        }
        List<Run> runs = new ArrayList<>();
        StringBuilder tsv = new StringBuilder("backend\tvariant\tfork\tcalls_before\tmean_ns\tmax_ns\tover_2us\n");
        for (int f = 1; f <= forks; f++) {
            for (String b : backends) {
                for (String v : variants) {
                    idle.await();
                    List<String> cmd = probe(base, v.equals(AOT) ? "-XX:AOTCache=" + caches.get(b)
                            : v.equals(COLD_OFF) ? "-Delu4j.vector.coldStart=off" : null, b, calls, batch);
                    cmd.addAll(List.of("256", v.equals(WARM) ? "warm" : "-", type, function, pass));
                    Forks.Result r = Forks.exec(cmd, Map.of("OMP_NUM_THREADS", "1"));
                    if (r.exit() != 0) {
                        throw new IllegalStateException(b + " " + v + " failed (exit " + r.exit() + "):\n" + r.out() + r.err());
                    }
                    if (v.equals(AOT)) { // the JVM says so when it cannot use the cache
                        r.err().lines().filter(l -> l.contains("AOT") || l.contains("CDS"))
                                .forEach(l -> System.out.println("  (" + b + ", AOT: " + l + ")"));
                    }
                    Run run = parse(b, v, f, r.out());
                    runs.add(run);
                    for (int i = 0; i < run.before().length; i++) {
                        tsv.append(b).append('\t').append(v.isEmpty() ? "-" : v.equals(AOT) ? "aot" : v.equals(COLD_OFF) ? "coldoff" : "warm").append('\t').append(f).append('\t')
                                .append(run.before()[i]).append('\t').append(String.format(Locale.ROOT, "%.1f", run.mean()[i]))
                                .append('\t').append(run.max()[i]).append('\t').append(run.over2us()[i]).append('\n');
                    }
                    System.out.printf(Locale.ROOT, "fork %d %-7s %-9s first %.1f ms (CPU %.1f ms), last batch %.1f ns/call%n",
                            f, b, v.isEmpty() ? "" : v, run.firstNs() / 1e6, run.firstCpuNs() / 1e6,
                            run.mean()[run.mean().length - 1]);
                }
            }
        }
        Files.writeString(out.resolve("steady.tsv"), tsv, StandardCharsets.UTF_8);
        String table = SteadyStateReport.table(what(), runs, backends, variants, forks, calls, batch);
        if (!idle.summary().isEmpty()) {
            table += "\n" + idle.summary();
        }
        Files.writeString(out.resolve("steady.md"), table, StandardCharsets.UTF_8);
        List<XYChart> charts = new ArrayList<>();
        for (String v : variants) {
            charts.add(SteadyStateReport.chart(what(), runs, backends, v, v.equals(AOT) ? "with the AOT cache" : v.equals(WARM)
                    ? "with a warm-up thread" : v.equals(COLD_OFF) ? "vector cold start off" : "fresh JVM"));
        }
        Charts.saveGrid(charts, charts.size(), 780, 520, out.resolve("steady.png"), out.resolve("steady.svg"));
        System.out.println();
        System.out.print(table);
        System.out.println("written: " + out.resolve("steady.md") + ", steady.tsv, steady.png, steady.svg");
        Forks.deleteTree(work);
    }

    /**
     * The child's class path: this jar (the probe), the library's jar and oneDNN's natives jar,
     * found on this JVM's class path. An AOT cache needs jars (no directories).
     */
    private static String childClassPath(boolean aot) {
        List<String> entries = new ArrayList<>();
        entries.add(codeSource(SteadyStateProbe.class));
        entries.add(codeSource(Elu.class));
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.matches(".*dnnl-[^/]*-linux-x86_64\\.jar")) {
                entries.add(e);
            }
        }
        if (aot && entries.stream().anyMatch(e -> !e.endsWith(".jar"))) {
            throw new IllegalStateException("--aot needs jars on the class path (an AOT cache takes no directories): " + entries);
        }
        return String.join(File.pathSeparator, entries);
    }

    private static String codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> probe(List<String> base, String jvmFlag, String backend, int calls, int batch) {
        List<String> cmd = new ArrayList<>(base);
        if (jvmFlag != null) {
            cmd.add(1, jvmFlag);
        }
        cmd.addAll(List.of(backend, Integer.toString(calls), Integer.toString(batch)));
        return cmd;
    }

    static Run parse(String backend, String variant, int fork, String out) {
        double first = Double.NaN;
        double firstCpu = Double.NaN;
        double timer = Double.NaN;
        long host = -1;
        List<String[]> batches = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.strip().split(" ");
            switch (f[0]) {
                case "first" -> {
                    first = Double.parseDouble(f[1]);
                    firstCpu = f.length > 2 && !f[2].equals("0") ? Double.parseDouble(f[2]) : Double.NaN;
                }
                case "timer" -> timer = Double.parseDouble(f[1]);
                case "host" -> host = Long.parseLong(f[1]);
                case "batch" -> batches.add(f);
                default -> {
                }
            }
        }
        int n = batches.size();
        long[] before = new long[n];
        double[] mean = new double[n];
        long[] max = new long[n];
        long[] over = new long[n];
        for (int i = 0; i < n; i++) {
            String[] f = batches.get(i);
            before[i] = Long.parseLong(f[1]);
            mean[i] = Double.parseDouble(f[2]);
            max[i] = Long.parseLong(f[3]);
            over[i] = Long.parseLong(f[4]);
        }
        return new Run(backend, variant, fork, first, firstCpu, before, mean, max, over, timer, host);
    }

    /** What the calls compute, for titles: "f32 ELU", "bf16 SELU". */
    static String what() {
        return type + " " + (function.equals("leaky-relu") ? "LeakyReLU" : function.equals("relu") ? "ReLU"
                : function.toUpperCase(Locale.ROOT)) + (pass.equals("bwd-in") ? " backward from the input"
                : pass.equals("bwd-out") ? " backward from the output" : "");
    }
}
