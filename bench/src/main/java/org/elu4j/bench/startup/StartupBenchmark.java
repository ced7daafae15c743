package org.elu4j.bench.startup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.tools.ToolProvider;

/**
 * What elu4j costs a fresh JVM: the first {@code Elu4j.backends()}, the first AUTO call, the first
 * oneDNN call, and the whole process, each measured in new JVMs (many forks, not a unit test, not
 * JMH: a JVM's first use of a library is the thing measured, so every sample is a new process).
 *
 * <p>Self-contained, so that it measures any two builds of the library side by side (before and
 * after a change) without Maven: it compiles its probe with the JDK's compiler against the first
 * jar, then runs the probe in child JVMs. The forks of all jars and scenarios are interleaved
 * round-robin, so load on the machine hits them alike.
 *
 * <pre>
 * java bench/src/main/java/org/elu4j/bench/startup/StartupBenchmark.java \
 *     --jar after=java/target/elu4j-0.2.0-SNAPSHOT.jar [--jar before=/path/to/old/elu4j.jar] \
 *     --dnnl ~/.m2/repository/org/bytedeco/dnnl/3.13-1.5.14/dnnl-3.13-1.5.14-linux-x86_64.jar \
 *     [--forks 20] [--scenarios default,no-dnnl-jar,disabled,module-path,cold,quiet] [--breakdown]
 *     [--idle 10[,120]]
 * </pre>
 *
 * {@code --idle PCT[,SECONDS]}: on a shared machine, each fork first waits (at most SECONDS) until
 * all CPUs together were at most PCT% busy over half a second; the report says how many forks
 * started that way.
 *
 * Scenarios (each JVM runs {@code --add-modules jdk.incubator.vector} and the matching
 * {@code --enable-native-access}):
 * <ul>
 * <li>{@code default}: library and dnnl jar on the class path, natives already extracted;</li>
 * <li>{@code no-dnnl-jar}: the library alone on the class path;</li>
 * <li>{@code disabled}: as default, with {@code -Delu4j.disable=onednn};</li>
 * <li>{@code module-path}: both jars on the module path, the library as module {@code org.elu4j};</li>
 * <li>{@code cold}: as default, into an empty extraction directory (the first start after an install);</li>
 * <li>{@code quiet}: as default, with java.util.logging at WARNING (no INFO line: what logging costs).</li>
 * </ul>
 * Reported per jar and scenario, in ms: median, minimum and maximum over the forks of the first
 * {@code Elu4j.backends()} (its wall time, and the time the main thread spent on a CPU meanwhile,
 * from {@code /proc/thread-self/schedstat}: on a busy machine the wall time includes waiting for a
 * CPU, the CPU time does not, so it stands for the wall time on an idle one), of the first AUTO
 * call after it (f32 ELU, 4096 floats, native
 * memory), of the first call on {@code Backend.ONEDNN} after that, and the wall time of the whole
 * process; {@code dnnl mapped}: in how many forks libdnnl.so.3 was mapped into the process after
 * {@code backends()} and the AUTO call (before the oneDNN call). {@code --breakdown} then runs
 * one JVM per jar with logger {@code org.elu4j} at DEBUG and prints its lines (the library logs
 * how long extraction checks and loading took).
 */
public final class StartupBenchmark {
    private static final String PROBE_CLASS = "StartupProbe";
    private static final String PROBE_SOURCE = """
            import java.lang.foreign.Arena;
            import java.lang.foreign.MemorySegment;
            import java.lang.foreign.ValueLayout;
            import java.nio.file.Files;
            import java.nio.file.Path;
            import org.elu4j.Backend;
            import org.elu4j.Elu;
            import org.elu4j.Elu4j;

            public final class StartupProbe {
                /** This thread's time on a CPU, ns (Linux schedstat: robust to other load, unlike the wall clock). */
                static long onCpu() throws Exception {
                    return Long.parseLong(Files.readString(Path.of("/proc/thread-self/schedstat")).split(" ")[0]);
                }

                public static void main(String[] args) throws Exception {
                    // The tensors first, as a server has them before its first call: their
                    // allocation and the fill's first memory accesses are the JDK's, not elu4j's.
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment x = arena.allocate(4096L * 4, 64);
                        MemorySegment y = arena.allocate(4096L * 4, 64);
                        for (int i = 0; i < 4096; i++) {
                            x.setAtIndex(ValueLayout.JAVA_FLOAT, i, -4f + 8f * i / 4096);
                        }
                        long c0 = onCpu();
                        long t0 = System.nanoTime();
                        int n = Elu4j.backends().size();
                        long t1 = System.nanoTime();
                        long c1 = onCpu();
                        Elu.elu().apply(x, y);
                        long t2 = System.nanoTime();
                        boolean mapped = Files.readString(Path.of("/proc/self/maps")).contains("libdnnl.so.3");
                        long t3 = System.nanoTime();
                        String dnnl = "-";
                        if (Elu4j.isAvailable(Backend.ONEDNN)) {
                            Elu.elu().on(Backend.ONEDNN).apply(x, y);
                            dnnl = String.format(java.util.Locale.ROOT, "%.3f", (System.nanoTime() - t3) / 1e6);
                        }
                        System.out.printf(java.util.Locale.ROOT, "backends=%.3f%nbackendsCpu=%.3f%nautocall=%.3f%nonednn=%s%nmapped=%s%nn=%d%n",
                                (t1 - t0) / 1e6, (c1 - c0) / 1e6, (t2 - t1) / 1e6, dnnl, mapped, n);
                    }
                }
            }
            """;

    private record Jar(String label, Path path) {
    }

    private record Sample(double backends, double backendsCpu, double autoCall, double oneDnn, double wall, boolean mapped) {
    }

    private StartupBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Jar> jars = new ArrayList<>();
        Path dnnl = null;
        int forks = 20;
        List<String> scenarios = List.of("default", "no-dnnl-jar", "disabled", "module-path", "cold", "quiet");
        boolean breakdown = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jar" -> {
                    String v = args[++i];
                    int eq = v.indexOf('=');
                    jars.add(new Jar(eq > 0 ? v.substring(0, eq) : "jar" + jars.size(), Path.of(v.substring(eq + 1)).toAbsolutePath()));
                }
                case "--dnnl" -> dnnl = Path.of(args[++i]).toAbsolutePath();
                case "--forks" -> forks = Integer.parseInt(args[++i]);
                case "--scenarios" -> scenarios = List.of(args[++i].split(","));
                case "--breakdown" -> breakdown = true;
                case "--idle" -> idle = Forks.IdleGate.parse(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (--jar LABEL=PATH... --dnnl PATH [--forks N] [--scenarios a,b] [--breakdown] [--idle PCT[,SECONDS]])");
            }
        }
        if (jars.isEmpty() || dnnl == null) {
            throw new IllegalArgumentException("need at least one --jar LABEL=PATH and --dnnl PATH");
        }
        Path work = Files.createTempDirectory("elu4j-startup-");
        Path probe = compileProbe(work, jars.get(0).path());
        Path quietLogging = Files.writeString(work.resolve("quiet.properties"),
                "handlers=java.util.logging.ConsoleHandler\n.level=WARNING\n");
        Path debugLogging = Files.writeString(work.resolve("debug.properties"),
                "handlers=java.util.logging.ConsoleHandler\njava.util.logging.ConsoleHandler.level=ALL\n"
                        + "org.elu4j.level=ALL\njava.util.logging.SimpleFormatter.format=%4$s %5$s%6$s%n\n");

        System.out.printf("elu4j startup: %d forks per cell, %s, %d CPUs, Java %s%n", forks, Forks.cpuName(),
                Runtime.getRuntime().availableProcessors(), Runtime.version());
        // Extract once per jar (warm scenarios start with the natives in place), not measured.
        for (Jar jar : jars) {
            run(jar, "default", dnnl, probe, work, quietLogging, 0);
        }
        Map<String, List<Sample>> samples = new LinkedHashMap<>();
        for (int f = 0; f < forks; f++) {
            for (String scenario : scenarios) {
                for (Jar jar : jars) {
                    samples.computeIfAbsent(jar.label() + "\t" + scenario, k -> new ArrayList<>())
                            .add(run(jar, scenario, dnnl, probe, work, quietLogging, f + 1));
                }
            }
        }
        System.out.printf("%n| jar | scenario | first backends() ms, wall (median, min–max) | its main-thread CPU ms | "
                + "first AUTO call ms | first oneDNN call ms | whole JVM ms | libdnnl mapped before the oneDNN call |"
                + "%n|---|---|---|---|---|---|---|---|%n");
        for (var e : samples.entrySet()) {
            String[] key = e.getKey().split("\t");
            List<Sample> s = e.getValue();
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %d of %d |%n", key[0], key[1],
                    stats(s.stream().map(Sample::backends).toList()), stats(s.stream().map(Sample::backendsCpu).toList()),
                    stats(s.stream().map(Sample::autoCall).toList()),
                    stats(s.stream().map(Sample::oneDnn).filter(d -> d >= 0).toList()),
                    stats(s.stream().map(Sample::wall).toList()), s.stream().filter(Sample::mapped).count(), s.size());
        }
        if (!idle.summary().isEmpty()) {
            System.out.printf("%n%s", idle.summary());
        }
        if (breakdown) {
            for (Jar jar : jars) {
                System.out.printf("%n%s, default scenario, logger org.elu4j at DEBUG:%n", jar.label());
                List<String> cmd = command(jar, "default", dnnl, probe, work, 0);
                cmd.add(1, "-Djava.util.logging.config.file=" + debugLogging);
                Forks.Result r = Forks.exec(cmd, Map.of());
                r.err().lines().filter(l -> l.contains("elu4j")).forEach(l -> System.out.println("  " + l));
                r.out().lines().forEach(l -> System.out.println("  " + l));
            }
        }
        Forks.deleteTree(work);
    }

    /** --idle: see {@link Forks.IdleGate}. */
    private static Forks.IdleGate idle = Forks.IdleGate.OFF;

    private static Sample run(Jar jar, String scenario, Path dnnl, Path probe, Path work, Path quietLogging, int fork)
            throws IOException, InterruptedException {
        idle.await();
        List<String> cmd = command(jar, scenario, dnnl, probe, work, fork);
        if (scenario.equals("quiet")) {
            cmd.add(1, "-Djava.util.logging.config.file=" + quietLogging);
        }
        long start = System.nanoTime();
        Forks.Result r = Forks.exec(cmd, Map.of());
        double wall = (System.nanoTime() - start) / 1e6;
        if (r.exit() != 0) {
            throw new IllegalStateException(jar.label() + " " + scenario + " failed (exit " + r.exit() + "):\n" + r.out() + r.err());
        }
        Map<String, String> v = new TreeMap<>();
        r.out().lines().filter(l -> l.contains("=")).forEach(l -> v.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
        return new Sample(Double.parseDouble(v.get("backends")), Double.parseDouble(v.get("backendsCpu")),
                Double.parseDouble(v.get("autocall")),
                v.get("onednn").equals("-") ? -1 : Double.parseDouble(v.get("onednn")), wall, Boolean.parseBoolean(v.get("mapped")));
    }

    private static List<String> command(Jar jar, String scenario, Path dnnl, Path probe, Path work, int fork) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path extract = work.resolve("extract-" + jar.label());
        if (scenario.equals("cold")) {
            extract = work.resolve("cold-" + jar.label() + "-" + fork);
            Forks.deleteTree(work.resolve("cold-" + jar.label() + "-" + (fork - 1)));
        }
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Delu4j.extract.dir=" + extract,
                "--add-modules", "jdk.incubator.vector"));
        switch (scenario) {
            case "default", "cold", "quiet" -> cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-cp",
                    Forks.classPath(probe, jar.path(), dnnl)));
            case "no-dnnl-jar" -> cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-cp", Forks.classPath(probe, jar.path())));
            case "disabled" -> cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Delu4j.disable=onednn", "-cp",
                    Forks.classPath(probe, jar.path(), dnnl)));
            case "module-path" -> cmd.addAll(List.of("--enable-native-access=org.elu4j", "--module-path",
                    Forks.classPath(jar.path(), dnnl), "--add-modules", "org.elu4j", "-cp", probe.toString()));
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        }
        cmd.add(PROBE_CLASS);
        return cmd;
    }

    private static Path compileProbe(Path work, Path libraryJar) throws IOException {
        Path src = Files.createDirectories(work.resolve("probe-src")).resolve(PROBE_CLASS + ".java");
        Files.writeString(src, PROBE_SOURCE);
        Path classes = Files.createDirectories(work.resolve("probe"));
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
                "-cp", libraryJar.toString(), src.toString());
        if (rc != 0) {
            throw new IllegalStateException("cannot compile the probe against " + libraryJar);
        }
        return classes;
    }

    private static String stats(List<Double> values) {
        if (values.isEmpty()) {
            return "–";
        }
        List<Double> v = values.stream().sorted().toList();
        double median = v.size() % 2 == 1 ? v.get(v.size() / 2) : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
        return String.format(Locale.ROOT, "%.0f (%.0f–%.0f)", median, v.get(0), v.get(v.size() - 1));
    }
}
