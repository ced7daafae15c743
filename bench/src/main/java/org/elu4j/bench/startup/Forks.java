package org.elu4j.bench.startup;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the fresh-JVM harnesses ({@link StartupBenchmark}, {@link SteadyStateBenchmark}) share: a
 * child JVM run to completion with its output captured, the idle gate of {@code --idle}, the CPU's
 * name and the clean-up of their work directories.
 */
final class Forks {

    private Forks() {
    }

    /** A finished child: exit status, standard output and error. */
    record Result(int exit, String out, String err) {
    }

    /**
     * Runs {@code cmd} to completion. The child does not inherit elu4j's or the JVM's option
     * variables ({@code ELU4J_*}, {@code JAVA_TOOL_OPTIONS}, ...), which would change what it
     * measures; {@code env} is added to its environment.
     */
    static Result exec(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("ELU4J_") || k.equals("JAVA_TOOL_OPTIONS")
                || k.equals("JDK_JAVA_OPTIONS") || k.equals("_JAVA_OPTIONS"));
        pb.environment().putAll(env);
        Path out = Files.createTempFile("fork", ".out");
        Path err = Files.createTempFile("fork", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            int exit = p.waitFor();
            return new Result(exit, Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** A class path of the entries. */
    static String classPath(Path... entries) {
        return String.join(File.pathSeparator, Stream.of(entries).map(Path::toString).toList());
    }

    /** The CPU's model name from /proc/cpuinfo. */
    static String cpuName() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    /** Deletes root and everything under it (made writable first: a test may have locked a file); nothing if absent. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                p.toFile().setWritable(true, true);
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * {@code --idle PCT[,SECONDS]}: each fork waits until the machine was at most PCT% busy over
     * half a second (/proc/stat), for at most SECONDS (default 120); on a shared machine that keeps
     * the others' bursts out of the first calls. {@link #OFF} does not wait.
     */
    static final class IdleGate {
        static final IdleGate OFF = new IdleGate(-1, 0);

        private final double busyPercent;
        private final int maxWaitSeconds;
        private int gated;
        private int ungated;

        private IdleGate(double busyPercent, int maxWaitSeconds) {
            this.busyPercent = busyPercent;
            this.maxWaitSeconds = maxWaitSeconds;
        }

        /** The gate of an {@code --idle} value, {@code PCT[,SECONDS]}. */
        static IdleGate parse(String value) {
            String[] v = value.split(",");
            return new IdleGate(Double.parseDouble(v[0]), v.length > 1 ? Integer.parseInt(v[1]) : 120);
        }

        /** Waits (up to the limit) until the CPUs were idle enough over 0.5 s. */
        void await() throws IOException, InterruptedException {
            if (busyPercent < 0) {
                return;
            }
            long deadline = System.nanoTime() + maxWaitSeconds * 1_000_000_000L;
            while (System.nanoTime() < deadline) {
                long[] a = cpuTicks();
                Thread.sleep(500);
                long[] b = cpuTicks();
                if (100.0 * ((b[0] - a[0]) - (b[1] - a[1])) / Math.max(1, b[0] - a[0]) <= busyPercent) {
                    gated++;
                    return;
                }
            }
            ungated++;
        }

        /** The report's line on how the forks started, or "" without a gate. */
        String summary() {
            if (busyPercent < 0) {
                return "";
            }
            return String.format(Locale.ROOT, "Forks started on an idle machine (busy <= %.0f%% over 0.5 s): %d; after "
                    + "waiting %d s in vain: %d.%n", busyPercent, gated, maxWaitSeconds, ungated);
        }

        /** Total and idle (idle + iowait) jiffies of all CPUs. */
        private static long[] cpuTicks() throws IOException {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
        }
    }
}
