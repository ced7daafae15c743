package org.elu4j.soak;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.Elu4j;

/**
 * Soak test: many calls with mixed sizes (1..65536, log-uniform; see {@link #onednnSize} for
 * oneDNN; the slow scalar oracle gets at most 4096), backends, alphas, native and
 * heap memory, in place and out of place, long-lived and per-call arenas, plus now and then a
 * call from a short-lived thread (oneDNN keeps a stream per thread and must reap the dead ones).
 * Every call's result is spot-checked. Prints the process RSS ({@code VmRSS}) and the JVM's
 * native memory (NMT, when the JVM runs with {@code -XX:NativeMemoryTracking=summary}) after the
 * warm-up and every report interval, and exits 1 if the RSS grew by more than the bound after the
 * warm-up (or a result was wrong).
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
 *      -XX:NativeMemoryTracking=summary -Xms128m -Xmx128m -XX:+AlwaysPreTouch \
 *      -cp ... org.elu4j.soak.Soak [--calls N] [--warmup N] [--report N] [--max-rss-growth-mib M] [--seed S]
 *      [--backends auto,onednn,helper,vector,scalar] [--thread-every 997] [--onednn-random-size-every 500]
 * </pre>
 *
 * {@code 0} turns the short-lived threads or the random oneDNN sizes off (to tell which part of
 * a run makes the RSS grow). A fixed, pre-touched heap keeps heap growth out of the RSS figures. Run with {@code mvn -Psoak}
 * (java/pom.xml) or {@code .ci/native-checks}.
 */
public final class Soak {
    private static final int MAX_N = 65536;
    private static final float[] ALPHAS = {1f, 0.5f, 2f, 1.6732632f};

    private final long calls;
    private final long threadEvery;
    private final int randomEvery;
    private final long warmup;
    private final long report;
    private final long maxGrowthKib;
    private final SplittableRandom rnd;
    private final List<Elu> elus = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment src;
    private final MemorySegment dst;
    private final float[] heapSrc = new float[MAX_N];
    private final float[] heapDst = new float[MAX_N];
    private long checked;
    private final long[] perBackend = new long[Backend.values().length];
    private final long[] nanosPerBackend = new long[Backend.values().length];

    private Soak(long calls, long warmup, long report, long maxGrowthMib, long seed, long threadEvery, int randomEvery) {
        this.threadEvery = threadEvery;
        this.randomEvery = randomEvery;
        this.calls = calls;
        this.warmup = warmup;
        this.report = report;
        this.maxGrowthKib = maxGrowthMib * 1024;
        this.rnd = new SplittableRandom(seed);
        // +1 float so that calls can start at an odd (non-vector-aligned) element
        this.src = arena.allocate((MAX_N + 1L) * Float.BYTES, 64);
        this.dst = arena.allocate((MAX_N + 1L) * Float.BYTES, 64);
        for (int i = 0; i <= MAX_N; i++) {
            float x = (float) (rnd.nextDouble() * 24 - 18);
            src.setAtIndex(JAVA_FLOAT, i, x);
            if (i < MAX_N) {
                heapSrc[i] = x;
            }
        }
    }

    public static void main(String[] args) throws Exception {
        long calls = 1_000_000;
        long warmup = -1;
        long report = -1;
        long maxGrowthMib = 32;
        long seed = 42;
        String backends = "auto,onednn,helper,vector,scalar";
        long threadEvery = 997;
        int randomEvery = 500;
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--calls" -> { calls = parseCount(v); i++; }
                case "--warmup" -> { warmup = parseCount(v); i++; }
                case "--report" -> { report = parseCount(v); i++; }
                case "--max-rss-growth-mib" -> { maxGrowthMib = Long.parseLong(v); i++; }
                case "--seed" -> { seed = Long.parseLong(v); i++; }
                case "--backends" -> { backends = v; i++; }
                case "--thread-every" -> { threadEvery = parseCount(v); i++; }
                case "--onednn-random-size-every" -> { randomEvery = (int) parseCount(v); i++; }
                default -> {
                    System.err.println("usage: Soak [--calls N] [--warmup N] [--report N] [--max-rss-growth-mib M] [--seed S] [--backends a,b,...] [--thread-every N] [--onednn-random-size-every N]");
                    System.exit(2);
                }
            }
        }
        if (report <= 0) {
            report = Math.max(1, calls / 10);
        }
        if (warmup < 0) {
            warmup = report;
        }
        System.exit(new Soak(calls, warmup, report, maxGrowthMib, seed, threadEvery, randomEvery).run(backends));
    }

    private static long parseCount(String s) {
        return (long) Double.parseDouble(s); // accepts 1e6
    }

    private int run(String backends) throws Exception {
        for (String name : backends.split(",")) {
            Backend b = Backend.fromCliName(name.trim());
            if (Elu4j.isAvailable(b)) {
                for (float a : ALPHAS) {
                    elus.add(Elu.elu(a).on(b));
                }
            }
        }
        System.out.printf(Locale.ROOT, "soak: %,d calls (warm-up %,d, report every %,d), sizes 1..%d log-uniform, "
                        + "backends %s, RSS growth bound %d MiB%n", calls, warmup, report, MAX_N,
                elus.stream().map(e -> e.backend().cliName()).distinct().toList(),
                maxGrowthKib / 1024);
        long t0 = System.nanoTime();
        if (elus.stream().anyMatch(e -> e.backend() == Backend.ONEDNN)) {
            fillOneDnnCache();
        }
        long baseRss = -1;
        long baseNmt = -1;
        long maxRss = 0;
        for (long i = 1; i <= calls; i++) {
            long c0 = System.nanoTime();
            Backend used = threadEvery > 0 && i % threadEvery == 0 ? onShortLivedThread() : oneCall();
            perBackend[used.ordinal()]++;
            nanosPerBackend[used.ordinal()] += System.nanoTime() - c0;
            if (i == warmup || i % report == 0 || i == calls) {
                long rss = rssKib();
                long nmt = nmtCommittedKib();
                if (i >= warmup && baseRss < 0) {
                    baseRss = rss;
                    baseNmt = nmt;
                }
                maxRss = Math.max(maxRss, rss);
                System.out.printf(Locale.ROOT, "soak: %,10d calls %7.1f s  RSS %,8d KiB%s  NMT committed %s%s%n", i,
                        (System.nanoTime() - t0) / 1e9, rss,
                        baseRss >= 0 && i > warmup ? String.format(Locale.ROOT, " (%+,d)", rss - baseRss) : "",
                        nmt < 0 ? "n/a (run with -XX:NativeMemoryTracking=summary)" : String.format(Locale.ROOT, "%,d KiB", nmt),
                        nmt >= 0 && baseNmt >= 0 && i > warmup ? String.format(Locale.ROOT, " (%+,d)", nmt - baseNmt) : "");
            }
        }
        long finalRss = rssKib();
        long growth = baseRss < 0 ? 0 : Math.max(maxRss, finalRss) - baseRss;
        StringBuilder mix = new StringBuilder();
        for (Backend b : Backend.values()) {
            long k = perBackend[b.ordinal()];
            mix.append(String.format(Locale.ROOT, " %s=%,d (%.1f us/call)", b.cliName(), k,
                    k == 0 ? 0.0 : nanosPerBackend[b.ordinal()] / 1e3 / k));
        }
        System.out.printf(Locale.ROOT, "soak: done in %.1f s; calls per backend:%s; %,d results checked%n",
                (System.nanoTime() - t0) / 1e9, mix, checked);
        String nmt = nmtSummary();
        if (nmt != null) {
            System.out.println("soak: NMT summary at the end (committed KiB by category):");
            nmt.lines().filter(l -> l.startsWith("Total") || l.matches("^-\\s+\\S.*\\(reserved=.*"))
                    .forEach(l -> System.out.println("  " + l.trim()));
        }
        if (growth > maxGrowthKib) {
            System.out.printf(Locale.ROOT, "soak: FAIL: RSS grew by %,d KiB after the warm-up (bound %,d KiB)%n", growth, maxGrowthKib);
            return 1;
        }
        System.out.printf(Locale.ROOT, "soak: PASS: RSS grew by %,d KiB after the warm-up (bound %,d KiB)%n", growth, maxGrowthKib);
        return 0;
    }

    /** One random call, checked. */
    private Backend oneCall() {
        Elu elu = elus.get(rnd.nextInt(elus.size()));
        int n = switch (elu.backend()) {
            case ONEDNN -> onednnSize();
            case SCALAR -> size(12); // the slow oracle: up to 4096
            default -> size(16);
        };
        boolean heap = elu.backend() != Backend.ONEDNN && rnd.nextInt(8) == 0;
        boolean inPlace = rnd.nextInt(4) == 0;
        if (heap) {
            MemorySegment s = MemorySegment.ofArray(heapSrc).asSlice(0, 4L * n);
            MemorySegment d = MemorySegment.ofArray(heapDst).asSlice(0, 4L * n);
            if (inPlace) {
                MemorySegment.copy(s, 0, d, 0, 4L * n);
                elu.applyInPlace(d);
            } else {
                elu.apply(s, d);
            }
            check(elu, s, d, n);
        } else if (rnd.nextInt(10) == 0) {
            // a fresh arena per call: native memory allocated and freed every time
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = a.allocate(4L * n, 4);
                MemorySegment.copy(src, 0, s, 0, 4L * n);
                MemorySegment d = inPlace ? s : a.allocate(4L * n, 4);
                elu.apply(s, d);
                check(elu, src, d, n); // the pool still holds the inputs
            }
        } else {
            long off = 4L * rnd.nextInt(2);
            MemorySegment s = src.asSlice(off, 4L * n);
            MemorySegment d = dst.asSlice(off, 4L * n);
            if (inPlace) {
                MemorySegment.copy(s, 0, d, 0, 4L * n);
                elu.applyInPlace(d);
            } else {
                elu.apply(s, d);
            }
            check(elu, s, d, n);
        }
        return elu.backend();
    }

    /**
     * oneDNN keeps its own cache of primitives (1024 by default, ONEDNN_PRIMITIVE_CACHE_CAPACITY)
     * behind elu4j's: {@value #ONEDNN_CACHE_FILL} calls of distinct sizes fill it before the
     * warm-up ends, so that the RSS after the warm-up does not count it filling up (measured: about
     * 15 MiB, then flat over 4 million calls and 40,000 primitives).
     */
    private void fillOneDnnCache() {
        Elu elu = Elu.elu().on(Backend.ONEDNN);
        for (int k = 0; k < ONEDNN_CACHE_FILL; k++) {
            int n = MAX_N - 41 * k;
            elu.apply(src.asSlice(0, 4L * n), dst.asSlice(0, 4L * n));
            check(elu, src, dst, n);
        }
    }

    private static final int ONEDNN_CACHE_FILL = 1100;

    /** A oneDNN (or AUTO) call on a thread that then ends: per-thread native state must be reaped. */
    private Backend onShortLivedThread() throws InterruptedException {
        Elu elu = elus.stream().anyMatch(e -> e.backend() == Backend.ONEDNN) ? Elu.elu().on(Backend.ONEDNN) : Elu.elu();
        int n = onednnSize();
        Throwable[] failure = new Throwable[1];
        Thread t = Thread.ofPlatform().start(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = a.allocate(4L * n, 64);
                MemorySegment.copy(src, 0, s, 0, 4L * n);
                MemorySegment d = a.allocate(4L * n, 64);
                elu.apply(s, d);
                check(elu, s, d, n);
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        t.join();
        if (failure[0] != null) {
            throw new AssertionError("call on a short-lived thread failed", failure[0]);
        }
        return elu.backend();
    }

    /**
     * oneDNN compiles a primitive per (alpha, element count), some milliseconds each, and caches
     * 64 of them: its calls take one of 16 sizes (64 keys with the 4 alphas, more than the 8
     * memory objects it keeps per thread), and one in 500 a random size, which creates a
     * primitive and evicts one.
     */
    private int onednnSize() {
        return randomEvery > 0 && rnd.nextInt(randomEvery) == 0 ? size(16) : ONEDNN_SIZES[rnd.nextInt(ONEDNN_SIZES.length)];
    }

    private static final int[] ONEDNN_SIZES = {1, 3, 16, 17, 100, 255, 1000, 1023, 4096, 4099, 10_000, 16_384,
        30_001, 40_000, 65_535, 65_536};

    /** Log-uniform in 1..2^log2Max: as many calls of 1-2 elements as of 2^(log2Max-1)..2^log2Max. */
    private int size(int log2Max) {
        return Math.min(1 << log2Max, (int) Math.pow(2, rnd.nextDouble() * log2Max) + rnd.nextInt(2));
    }

    /** Checks the first, last and a random element (4 ulp(alpha) absolute covers oneDNN). */
    private void check(Elu elu, MemorySegment x, MemorySegment y, int n) {
        for (int i : new int[] {0, n - 1, rnd.nextInt(n)}) {
            float xi = x.getAtIndex(JAVA_FLOAT, i);
            float yi = y.getAtIndex(JAVA_FLOAT, i);
            double want = xi > 0 ? xi : elu.alpha() * Math.expm1(xi);
            // 4 float ulps of alpha (alpha() is a double now: its own ulp would be a double ulp)
            if (!(Math.abs(yi - want) <= 4 * Math.ulp((float) elu.alpha()))) {
                throw new AssertionError(elu + ": elu(" + xi + ") = " + yi + ", want " + want + " (n = " + n + ", i = " + i + ")");
            }
        }
        checked++;
    }

    /** Resident set size of this process, in KiB, from /proc/self/status. */
    static long rssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static final Pattern TOTAL = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB");

    /** The JVM's committed native memory in KiB from NMT, or -1 if NMT is off. */
    static long nmtCommittedKib() {
        String s = nmtSummary();
        if (s == null) {
            return -1;
        }
        Matcher m = TOTAL.matcher(s);
        return m.find() ? Long.parseLong(m.group(2)) : -1;
    }

    /** {@code jcmd <pid> VM.native_memory summary}, through the DiagnosticCommand MBean. */
    static String nmtSummary() {
        try {
            Object out = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
            String s = String.valueOf(out);
            return s.contains("Total:") ? s : null;
        } catch (Exception e) {
            return null;
        }
    }
}
