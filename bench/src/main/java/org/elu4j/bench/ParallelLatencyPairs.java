package org.elu4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import org.elu4j.Backend;
import org.elu4j.Elu;

/**
 * Parallel mode against serial under load, measured in pairs: {@link ParallelLatencyBenchmark}
 * measures the two modes one after the other, which on a machine shared with other work compares
 * two different loads; here every calling thread switches between the modes on a shared clock
 * (windows of {@code --window-ms}: even windows serial, odd windows parallel), so both modes see
 * the same load, and the ratio of their percentiles holds even when the absolute figures do not.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp "bench/target/elu4j-bench-VERSION.jar:bench/target/lib/*" \
 *     org.elu4j.bench.ParallelLatencyPairs [--size 1048576] [--seconds 20] [--window-ms 20] [--warmup-seconds 3]
 * </pre>
 *
 * Scenarios, one after the other: {@code 1 caller}; {@code 2 callers} (both switch modes together:
 * a server whose requests all use the mode); {@code 1 caller + 1 serial neighbour} (the other
 * thread always calls serially, on tensors of its own). Prints p50, p90, p99, p99.9 of single calls
 * per scenario and mode (calls that straddle a window change count for the mode they started in),
 * and the neighbour's, split by the mode the other thread was in. f32 ELU forward on the helper, out of place, each thread its own tensors.
 */
public final class ParallelLatencyPairs {
    private ParallelLatencyPairs() {
    }

    /** Per-call times of one thread, split by mode: [0] serial, [1] parallel. */
    private static final class Samples {
        final long[][] ns = {new long[1 << 16], new long[1 << 16]};
        final int[] count = new int[2];

        void add(int mode, long t) {
            if (count[mode] == ns[mode].length) {
                ns[mode] = Arrays.copyOf(ns[mode], ns[mode].length * 2);
            }
            ns[mode][count[mode]++] = t;
        }
    }

    public static void main(String[] args) throws Exception {
        int size = 1 << 20;
        double seconds = 20;
        double warmup = 3;
        long windowNs = 20_000_000L;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--warmup-seconds" -> warmup = Double.parseDouble(args[++i]);
                case "--window-ms" -> windowNs = (long) (Double.parseDouble(args[++i]) * 1e6);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (--size N --seconds S --warmup-seconds S --window-ms MS)");
            }
        }
        Elu serial = Elu.elu().on(Backend.HELPER);
        Elu parallel = serial.parallel();
        System.out.printf(Locale.ROOT, "parallel() against serial, helper f32 ELU, %d floats, windows of %.0f ms, %.0f s "
                + "per scenario, %d CPUs%n", size, windowNs / 1e6, seconds, Runtime.getRuntime().availableProcessors());
        System.out.println("| load | mode | calls | p50 | p90 | p99 | p99.9 |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|");
        for (String scenario : new String[] {"1 caller", "2 callers", "1 caller + 1 serial neighbour"}) {
            int threads = scenario.equals("1 caller") ? 1 : 2;
            boolean neighbour = scenario.endsWith("neighbour");
            Samples[] samples = new Samples[threads];
            Thread[] ts = new Thread[threads];
            CyclicBarrier start = new CyclicBarrier(threads);
            final int n = size;
            final long window = windowNs;
            final long warmNs = (long) (warmup * 1e9);
            final long runNs = (long) (seconds * 1e9);
            for (int t = 0; t < threads; t++) {
                final boolean alwaysSerial = neighbour && t == 1;
                final Samples s = samples[t] = new Samples();
                ts[t] = new Thread(() -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment x = arena.allocate(4L * n, 64);
                        MemorySegment y = arena.allocate(4L * n, 64);
                        BenchBase.fillUniform(x, BenchBase.SEED);
                        start.await();
                        long t0 = System.nanoTime();
                        long measureFrom = t0 + warmNs;
                        long end = measureFrom + runNs;
                        for (long now = t0; now < end; ) {
                            // The neighbour always calls serially; its calls are filed under the
                            // mode the other thread is in (the window), to show what that mode costs it.
                            int mode = (int) ((now - t0) / window & 1);
                            (mode == 0 || alwaysSerial ? serial : parallel).apply(x, y);
                            long after = System.nanoTime();
                            if (now >= measureFrom) {
                                s.add(mode, after - now);
                            }
                            now = after;
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, "caller-" + t);
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            Samples request = samples[0];
            for (int mode = 0; mode < 2; mode++) {
                print(scenario, mode == 0 ? "serial" : "parallel()", merge(neighbour ? new Samples[] {request} : samples, mode));
            }
            if (neighbour) {
                print(scenario, "its serial neighbour, beside serial", merge(new Samples[] {samples[1]}, 0));
                print(scenario, "its serial neighbour, beside parallel()", merge(new Samples[] {samples[1]}, 1));
            }
        }
    }

    private static long[] merge(Samples[] samples, int mode) {
        long[] all = new long[Arrays.stream(samples).mapToInt(s -> s.count[mode]).sum()];
        int at = 0;
        for (Samples s : samples) {
            System.arraycopy(s.ns[mode], 0, all, at, s.count[mode]);
            at += s.count[mode];
        }
        Arrays.sort(all);
        return all;
    }

    private static void print(String scenario, String mode, long[] sorted) {
        System.out.printf(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s |%n", scenario, mode, sorted.length,
                us(sorted, 0.5), us(sorted, 0.9), us(sorted, 0.99), us(sorted, 0.999));
    }

    private static String us(long[] sorted, double q) {
        if (sorted.length == 0) {
            return "—";
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return String.format(Locale.ROOT, "%.0f µs", sorted[Math.max(0, i)] / 1e3);
    }
}
