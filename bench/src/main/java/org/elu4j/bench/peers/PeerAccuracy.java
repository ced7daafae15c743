package org.elu4j.bench.peers;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.reference.Reference;

/**
 * How accurate the peers' ELU (α = 1, float32) is, beside elu4j's, against the correctly rounded
 * reference ({@link Reference}, the one {@code ./elu4j accuracy} uses): ONNX Runtime's {@code Elu}
 * ({@link OrtElu}), oneDNN's eltwise ELU through JavaCPP ({@link JavaCppOneDnnElu}) and elu4j on
 * AUTO and on the vector backend. Each runs once over each input set, out of place, on native
 * memory; the output is a Markdown table (printed, and written to {@code --out FILE}).
 *
 * <pre>
 * PeerAccuracy [--stride N] [--grid N] [--out FILE]
 * </pre>
 *
 * Input sets: every {@code N}th float (by bit pattern, default 101) of {@code [-1e-3, 0)}, where
 * floats are dense near 0 and {@code e^x - 1} computed in float loses its digits; a uniform grid
 * of {@code --grid} points (default 2^20) over {@code [-10, 0)}, the range activations live in; and
 * single points near −0 with each path's value and relative error. "ulp" counts the floats between
 * a result and the correctly rounded value; the relative error is against {@link Math#expm1} in
 * double. {@code --stride 1} runs all ~981 million floats of the first set (minutes), in chunks
 * of {@value #CHUNK} floats.
 */
public final class PeerAccuracy {
    /** Inputs per run of a path: 16 MB segments, whatever the set's size. */
    private static final int CHUNK = 1 << 22;
    private static final float[] NEAR_ZERO = {-1e-40f, -1e-20f, -1e-10f, -2.98e-8f, -1e-7f, -1e-6f, -1e-5f, -1e-4f,
        -1e-3f, -1f};

    /** One way to compute ELU into a native segment. */
    private interface Kernel {
        void apply(MemorySegment x, MemorySegment y) throws Exception;
    }

    private record Peer(String name, Kernel kernel) {
    }

    /** The measurement of one peer over one input set (or a chunk of it). */
    record Stats(long n, long maxUlp, float maxUlpAt, long aboveOne, long exact, double maxRel, float maxRelAt) {
        Stats plus(Stats o) {
            return new Stats(n + o.n, Math.max(maxUlp, o.maxUlp), o.maxUlp > maxUlp ? o.maxUlpAt : maxUlpAt,
                    aboveOne + o.aboveOne, exact + o.exact, Math.max(maxRel, o.maxRel),
                    o.maxRel > maxRel ? o.maxRelAt : maxRelAt);
        }
    }

    private PeerAccuracy() {
    }

    public static void main(String[] args) throws Exception {
        int stride = 101;
        int grid = 1 << 20;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--stride" -> stride = Integer.parseInt(value(args, ++i));
                case "--grid" -> grid = Integer.parseInt(value(args, ++i));
                case "--out" -> out = Path.of(value(args, ++i));
                default -> usage("unknown argument " + args[i]);
            }
        }
        if (stride < 1 || grid < 1) {
            usage("--stride and --grid must be positive");
        }
        long t0 = System.nanoTime();
        String md = report(stride, grid);
        md += String.format(Locale.ROOT, "%nMeasured in %.0f s.%n", (System.nanoTime() - t0) / 1e9);
        System.out.print(md);
        if (out != null) {
            Files.writeString(out, md);
            System.out.println("written: " + out);
        }
    }

    static String report(int stride, int grid) throws Exception {
        Backend auto = Elu.elu().backendFor(DataType.F32, Elu.Direction.FORWARD, true);
        List<Peer> peers = new ArrayList<>();
        peers.add(new Peer("ONNX Runtime " + OrtElu.version() + " `Elu`", (x, y) -> {
            try (OrtElu ort = new OrtElu(x, y, 1f)) {
                ort.run();
            }
        }));
        peers.add(new Peer("oneDNN " + JavaCppOneDnnElu.version() + " via JavaCPP", (x, y) -> {
            try (JavaCppOneDnnElu onednn = new JavaCppOneDnnElu(x, y, 1f)) {
                onednn.run();
            }
        }));
        peers.add(new Peer("elu4j AUTO (" + name(auto) + ")", (x, y) -> Elu.elu().apply(x, y)));
        if (auto != Backend.VECTOR && Elu4j.isAvailable(Backend.VECTOR)) {
            peers.add(new Peer("elu4j vector", (x, y) -> Elu.elu().on(Backend.VECTOR).apply(x, y)));
        }

        StringBuilder md = new StringBuilder();
        md.append("| inputs | path | max ulp | at x | > 1 ulp | correctly rounded | max relative error | at x |\n");
        md.append("|---|---|---:|---|---:|---:|---:|---|\n");
        Reference ref = Reference.elu(1);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = arena.allocate(4L * CHUNK, 64);
            MemorySegment y = arena.allocate(4L * CHUNK, 64);
            float[] want = new float[CHUNK];
            for (InputSet set : List.of(sampled(stride), grid(grid))) {
                Stats[] total = new Stats[peers.size()];
                for (long start = 0; start < set.count(); start += CHUNK) {
                    int n = (int) Math.min(CHUNK, set.count() - start);
                    MemorySegment xs = x.asSlice(0, 4L * n);
                    MemorySegment ys = y.asSlice(0, 4L * n);
                    set.fill(xs, start);
                    for (int i = 0; i < n; i++) {
                        want[i] = ref.at(xs.getAtIndex(JAVA_FLOAT, i));
                    }
                    for (int p = 0; p < peers.size(); p++) {
                        ys.fill((byte) 0xFF); // NaN: a path that wrote nothing shows
                        peers.get(p).kernel().apply(xs, ys);
                        Stats s = measure(xs, ys, want);
                        total[p] = total[p] == null ? s : total[p].plus(s);
                    }
                }
                for (int p = 0; p < peers.size(); p++) {
                    Stats s = total[p];
                    md.append(String.format(Locale.ROOT, "| %s | %s | %,d | %s | %,d | %,d (%.4f%%) | %s | %s |%n",
                            set.name(), peers.get(p).name(), s.maxUlp(), s.maxUlp() == 0 ? "—" : num(s.maxUlpAt()),
                            s.aboveOne(), s.exact(), 100.0 * s.exact() / s.n(), rel(s.maxRel()),
                            s.maxRel() == 0 ? "—" : num(s.maxRelAt())));
                }
            }

            md.append("\nNear −0: ELU(x) and each path's result (relative error against `Math.expm1` in double)\n\n");
            md.append("| x | ELU(x) |");
            peers.forEach(p -> md.append(' ').append(p.name()).append(" |"));
            md.append("\n|---:|---:|");
            peers.forEach(p -> md.append("---:|"));
            md.append('\n');
            MemorySegment xs = x.asSlice(0, 4L * NEAR_ZERO.length);
            MemorySegment ys = y.asSlice(0, 4L * NEAR_ZERO.length);
            MemorySegment.copy(NEAR_ZERO, 0, xs, JAVA_FLOAT, 0, NEAR_ZERO.length);
            List<float[]> results = new ArrayList<>();
            for (Peer p : peers) {
                ys.fill((byte) 0xFF);
                p.kernel().apply(xs, ys);
                results.add(ys.toArray(JAVA_FLOAT));
            }
            for (int i = 0; i < NEAR_ZERO.length; i++) {
                double exact = Math.expm1(NEAR_ZERO[i]);
                md.append("| ").append(num(NEAR_ZERO[i])).append(" | ").append(String.format(Locale.ROOT, "%.7g", exact))
                        .append(" |");
                for (float[] r : results) {
                    md.append(' ').append(num(r[i])).append(" (").append(rel(Math.abs((r[i] - exact) / exact))).append(") |");
                }
                md.append('\n');
            }
        }
        return header(stride, grid, auto) + md;
    }

    /** Writes inputs {@code start ..} of a set into {@code x} (as many as it holds). */
    private interface Filler {
        void fill(MemorySegment x, long start);
    }

    /** A set of inputs, generated a chunk at a time (the whole of [-1e-3, 0) is 3.9 GB of floats). */
    private record InputSet(String name, long count, Filler filler) {
        void fill(MemorySegment x, long start) {
            filler.fill(x, start);
        }
    }

    /** Every {@code stride}th float of [-1e-3, 0) by bit pattern, from the smallest magnitude. */
    private static InputSet sampled(int stride) {
        int first = Float.floatToRawIntBits(-Float.MIN_VALUE);
        int last = Float.floatToRawIntBits(-1e-3f);
        long n = ((long) last - first) / stride + 1;
        String what = stride == 1 ? "every float" : "every " + ordinal(stride) + " float";
        return new InputSet(String.format(Locale.ROOT, "%s in [−1e−3, 0) (%,d)", what, n), n, (x, start) -> {
            for (long i = 0; i < x.byteSize() / Float.BYTES; i++) {
                x.setAtIndex(JAVA_FLOAT, i, Float.intBitsToFloat((int) (first + (start + i) * stride)));
            }
        });
    }

    /** {@code n} points uniform over [-10, 0): -10 + 10 i / n, rounded to float. */
    private static InputSet grid(int n) {
        return new InputSet(String.format(Locale.ROOT, "uniform grid over [−10, 0) (%,d)", n), n, (x, start) -> {
            for (long i = 0; i < x.byteSize() / Float.BYTES; i++) {
                x.setAtIndex(JAVA_FLOAT, i, (float) (-10 + 10.0 * (start + i) / n));
            }
        });
    }

    /** Compares {@code y} with the correctly rounded {@code want}, element by element. */
    static Stats measure(MemorySegment x, MemorySegment y, float[] want) {
        int n = (int) (x.byteSize() / Float.BYTES);
        long maxUlp = 0;
        float maxUlpAt = Float.NaN;
        long above = 0;
        long exact = 0;
        double maxRel = 0;
        float maxRelAt = Float.NaN;
        for (int i = 0; i < n; i++) {
            float xi = x.getAtIndex(JAVA_FLOAT, i);
            float got = y.getAtIndex(JAVA_FLOAT, i);
            long u = ulps(got, want[i]);
            if (u > maxUlp) {
                maxUlp = u;
                maxUlpAt = xi;
            }
            if (u > 1) {
                above++;
            } else if (u == 0) {
                exact++;
            }
            double e = Math.expm1(xi);
            double r = e == 0 ? 0 : Math.abs((got - e) / e);
            if (!(r <= maxRel)) { // a NaN result counts as the worst
                maxRel = Double.isNaN(r) ? Double.POSITIVE_INFINITY : r;
                maxRelAt = xi;
            }
        }
        return new Stats(n, maxUlp, maxUlpAt, above, exact, maxRel, maxRelAt);
    }

    /**
     * The number of floats between {@code a} and {@code b} (0 if equal, ±0 equal; a NaN is
     * {@link Long#MAX_VALUE} from anything but a NaN).
     */
    static long ulps(float a, float b) {
        if (Float.isNaN(a) || Float.isNaN(b)) {
            return Float.isNaN(a) && Float.isNaN(b) ? 0 : Long.MAX_VALUE;
        }
        return Math.abs(ordered(a) - ordered(b));
    }

    /** Floats mapped to integers in their numeric order, -0 and +0 to the same one. */
    private static long ordered(float f) {
        int bits = Float.floatToRawIntBits(f);
        return bits >= 0 ? bits : -(long) (bits & 0x7FFFFFFF);
    }

    private static String header(int stride, int grid, Backend auto) {
        String cpu = "?";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("?");
        } catch (IOException e) {
            // not Linux's /proc: the CPU stays unnamed
        }
        return String.format(Locale.ROOT, """
                ELU (α = 1), float32, against the correctly rounded reference (`org.elu4j.reference.Reference`): \
                `PeerAccuracy --stride %d --grid %d`; %s, %d CPUs, Java %s; elu4j %s (AUTO = %s). \
                "ulp": floats between a result and the correctly rounded value.

                """, stride, grid, cpu, Runtime.getRuntime().availableProcessors(), Runtime.version(), Elu4j.VERSION,
                name(auto));
    }

    private static String name(Backend b) {
        return b.name().toLowerCase(Locale.ROOT);
    }

    private static String num(float f) {
        return Float.toString(f);
    }

    private static String rel(double r) {
        if (r == 0) {
            return "0";
        }
        return r >= 1e-3 ? String.format(Locale.ROOT, "%.3g%%", 100 * r) : String.format(Locale.ROOT, "%.2e", r);
    }

    private static String ordinal(int n) {
        int mod100 = n % 100;
        String suffix = mod100 >= 11 && mod100 <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static void usage(String problem) {
        System.err.println("PeerAccuracy: " + problem);
        System.err.println("usage: PeerAccuracy [--stride N] [--grid N] [--out FILE]");
        System.exit(2);
    }
}
