package org.elu4j.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Turns one results directory of {@code ./elu4j bench} into a chart and a table:
 *
 * <pre>
 * Report DIR      reads  DIR/jmh-*.json (JMH, mode avgt, ns/op), DIR/c-bench.tsv (elu4j_cbench),
 *                        DIR/meta.txt (free-form lines about the run; optional)
 *                 writes DIR/chart.svg, DIR/chart.png, DIR/table.md (also printed)
 * </pre>
 *
 * Every number is elements per ns ({@code size / ns per call}); the chart shows out-of-place
 * runs only, one line per elu4j backend and per peer, both axes logarithmic. The table ends with
 * {@link FamilyReport}'s section when the directory holds {@code FamilyBenchmark} results.
 */
public final class Report {

    /**
     * One measured point. {@code nsPerCall}: JMH's score (the mean of its measured iterations) or
     * the C program's median batch; {@code relError}: half-width of JMH's 99.9% interval / score,
     * or NaN; {@code bytesPerCall}: JMH's {@code gc.alloc.rate.norm} (with {@code -prof gc}), or
     * NaN; {@code medianNsPerCall}: the median of JMH's measured iterations over its forks (the C
     * program's own estimator: the median of batches each timed as a whole), or NaN where the
     * JSON has no raw data.
     */
    public record Point(String series, String mode, long size, double nsPerCall, double relError, double bytesPerCall,
            double medianNsPerCall) {
        public Point(String series, String mode, long size, double nsPerCall, double relError) {
            this(series, mode, size, nsPerCall, relError, Double.NaN, Double.NaN);
        }

        public double elPerNs() {
            return size / nsPerCall;
        }

        /** The median per call where known, else {@link #nsPerCall}. */
        double medianOrMean() {
            return Double.isNaN(medianNsPerCall) ? nsPerCall : medianNsPerCall;
        }
    }

    /** Suffix of the series of {@code ConfinedArenaEluBenchmark}. */
    static final String CONFINED = " (confined arena)";

    /**
     * Functions other than ELU that {@code EluBenchmark} measures (any name its {@code function}
     * takes but elu: relu and selu in the suite, celu and the others on request); their series end
     * in " " + name, and none of them belongs in the ELU table or chart.
     */
    static final List<String> OTHER_FUNCTIONS = org.elu4j.bench.Functions.NAMES.stream().filter(f -> !f.equals("elu")).toList();

    /** Whether a series is an elu4j run of another function than ELU (kept out of the ELU table and chart). */
    static boolean isOtherFunction(String series) {
        return series.startsWith("elu4j ") && OTHER_FUNCTIONS.stream().anyMatch(f -> series.endsWith(" " + f));
    }

    /** Display names and their order: elu4j backends, native paths from C, peers. */
    static final String AUTO = "elu4j auto";
    static final String HELPER = "elu4j helper";
    static final String VECTOR = "elu4j vector";
    static final String ONEDNN = "elu4j onednn";
    static final String SCALAR = "elu4j scalar";
    static final String HELPER_C = "helper from C";
    static final String ONEDNN_C = "oneDNN from C";
    static final String JAVACPP = "oneDNN via JavaCPP";
    static final String ND4J = "ND4J";
    static final String ORT = "ONNX Runtime Elu";
    static final String SEGMENT_COPY = "MemorySegment.copy";
    static final String COPY_LOOP = "copy loop (Java)";
    static final String RELU_LOOP = "ReLU loop (Java)";
    static final String EXPM1_LOOP = "Math.expm1 loop (Java)";
    static final List<String> ORDER = List.of(AUTO, HELPER, VECTOR, ONEDNN, SCALAR, HELPER_C, ONEDNN_C, JAVACPP,
            ND4J, ORT, SEGMENT_COPY, COPY_LOOP, RELU_LOOP, EXPM1_LOOP);
    static final List<String> ELU4J = List.of(AUTO, HELPER, VECTOR, ONEDNN, SCALAR);
    /** One distinguishable colour per known series (the chart's default palette repeats). */
    private static final Map<String, Color> COLORS = Map.ofEntries(
            Map.entry(AUTO, new Color(0x000000)), Map.entry(HELPER, new Color(0xD62728)),
            Map.entry(VECTOR, new Color(0x1F77B4)), Map.entry(ONEDNN, new Color(0x2CA02C)),
            Map.entry(SCALAR, new Color(0x8C564B)), Map.entry(HELPER_C, new Color(0xFF9896)),
            Map.entry(ONEDNN_C, new Color(0x98DF8A)), Map.entry(JAVACPP, new Color(0x17BECF)),
            Map.entry(ND4J, new Color(0xBCBD22)), Map.entry(ORT, new Color(0xFF7F0E)),
            Map.entry(SEGMENT_COPY, new Color(0x7F7F7F)),
            Map.entry(COPY_LOOP, new Color(0xC7C7C7)), Map.entry(RELU_LOOP, new Color(0x9467BD)),
            Map.entry(EXPM1_LOOP, new Color(0xE377C2)));

    private Report() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: Report RESULTS_DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        List<Point> points = new ArrayList<>();
        List<FamilyReport.Point> family = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.startsWith("jmh") && name.endsWith(".json")) {
                    points.addAll(ReportInput.readJmh(Files.readString(f)));
                    family.addAll(FamilyReport.readJmh(Files.readString(f)));
                }
            }
        }
        Path c = dir.resolve("c-bench.tsv");
        if (Files.exists(c)) {
            points.addAll(ReportInput.readCBench(Files.readString(c)));
        }
        Path metaFile = dir.resolve("meta.txt");
        List<String> meta = Files.exists(metaFile) ? Files.readAllLines(metaFile) : List.of();

        String table = table(points, meta) + FamilyReport.table(family);
        Files.writeString(dir.resolve("table.md"), table, StandardCharsets.UTF_8);
        XYChart chart = chart(points);
        if (chart != null) {
            BitmapEncoder.saveBitmap(chart, dir.resolve("chart.png").toString(), BitmapEncoder.BitmapFormat.PNG);
            VectorGraphicsEncoder.saveVectorGraphic(chart, dir.resolve("chart.svg").toString(),
                    VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        }
        System.out.print(table);
        System.out.println();
        System.out.println("written: " + dir.resolve("table.md") + (chart != null
                ? ", " + dir.resolve("chart.png") + ", " + dir.resolve("chart.svg") : " (no out-of-place points: no chart)"));
    }

    // ------------------------------------------------------------------------------ table

    /** The Markdown report: one table per mode, the ratios the issue's targets use, notes. */
    public static String table(List<Point> allPoints, List<String> meta) {
        List<Point> points = allPoints.stream().filter(p -> !isOtherFunction(p.series())).toList();
        StringBuilder md = new StringBuilder();
        md.append("## elu4j benchmark: f32 ELU forward (alpha = 1), one thread\n\n");
        for (String line : meta) {
            if (!line.isBlank()) {
                md.append("- ").append(line.strip()).append('\n');
            }
        }
        if (!meta.isEmpty()) {
            md.append('\n');
        }
        for (String mode : List.of("out", "in")) {
            List<Point> ofMode = points.stream().filter(p -> p.mode().equals(mode)).toList();
            if (ofMode.isEmpty()) {
                continue;
            }
            md.append(mode.equals("out") ? "### Out of place (y = ELU(x))" : "### In place (x = ELU(x))")
                    .append(", elements per ns (higher is better; ±: JMH's 99.9% interval over the iterations: within the forks run, so with one fork, as in --quick, it leaves out the JIT's fork-to-fork variation of several percent)\n\n");
            TreeSet<Long> sizes = new TreeSet<>();
            ofMode.forEach(p -> sizes.add(p.size()));
            md.append("| path |");
            sizes.forEach(s -> md.append(' ').append(sizeName(s)).append(" |"));
            md.append("\n|---|");
            sizes.forEach(s -> md.append("---:|"));
            md.append('\n');
            for (String series : seriesIn(ofMode)) {
                md.append("| ").append(series).append(" |");
                for (long size : sizes) {
                    Optional<Point> p = find(ofMode, series, size);
                    md.append(' ').append(p.map(Report::cell).orElse("—")).append(" |");
                }
                md.append('\n');
            }
            md.append('\n');
        }
        ratios(md, points.stream().filter(p -> p.mode().equals("out")).toList());
        functionCost(md, allPoints.stream().filter(p -> p.mode().equals("out")).toList());
        allocation(md, allPoints);
        List<String> missing = ORDER.stream().filter(s -> points.stream().noneMatch(p -> p.series().equals(s))).toList();
        if (!missing.isEmpty()) {
            md.append("Not measured in this run: ").append(String.join(", ", missing))
                    .append(" (see the JMH log for a peer that failed in set-up).\n");
        }
        return md.toString();
    }

    private static void ratios(StringBuilder md, List<Point> out) {
        if (out.isEmpty()) {
            return;
        }
        md.append("### Ratios (out of place)\n\n");
        md.append("| comparison | size | ratio | from |\n|---|---:|---:|---|\n");
        // 1. Small calls: the best elu4j path against the JNI peer.
        best(out, 256).ifPresent(b -> ratio(md, "best elu4j path (" + b.series() + ") / " + JAVACPP, b,
                find(out, JAVACPP, 256)));
        out.stream().filter(p -> p.size() == 256 && p.series().endsWith(CONFINED))
                .max(Comparator.comparingDouble(Point::elPerNs))
                .ifPresent(b -> ratio(md, "best elu4j path on a confined arena (" + b.series() + ") / " + JAVACPP, b,
                        find(out, JAVACPP, 256)));
        // 2. Mid size: elu4j's own kernels against oneDNN, through elu4j and from C.
        for (String k : List.of(HELPER, VECTOR)) {
            for (String ref : List.of(ONEDNN, ONEDNN_C)) {
                find(out, k, 65536).ifPresent(p -> ratio(md, k + " / " + ref, p, find(out, ref, 65536)));
            }
        }
        // 3. Large: the best elu4j path against the memory ceiling.
        best(out, 1 << 24).ifPresent(b -> ratio(md, "best elu4j path (" + b.series() + ") / " + SEGMENT_COPY, b,
                find(out, SEGMENT_COPY, 1 << 24)));
        // 4. elu4j's oneDNN backend (FFM) against the same library through JNI, at every size.
        for (long size : sizesOf(out, ONEDNN)) {
            find(out, ONEDNN, size).ifPresent(p -> ratio(md, ONEDNN + " / " + JAVACPP, p, find(out, JAVACPP, size)));
        }
        // 5. What a user who already runs ONNX Runtime would call instead: its Elu operator.
        for (long size : sizesOf(out, ORT)) {
            best(out, size).ifPresent(b -> ratio(md, "best elu4j path (" + b.series() + ") / " + ORT, b,
                    find(out, ORT, size)));
        }
        md.append('\n');

        // The cost of crossing from Java: time per call at the smallest size, Java path vs C.
        long small = out.stream().mapToLong(Point::size).min().orElse(256);
        md.append("### Cost of a call from Java, ").append(sizeName(small)).append(" elements\n\n");
        md.append("Medians on both sides: of JMH's measured iterations (each the mean of its calls) and of the C "
                + "program's batches (each timed as a whole); the tables above give JMH's means. The windows differ "
                + "(an iteration lasts 0.5 s in the quick run, a batch ~10 ms), and a longer one catches more "
                + "preemptions: on a busy host the Java side is still a little disfavoured.\n\n");
        md.append("| path | ns per call (median) | over the same work from C |\n|---|---:|---:|\n");
        for (String[] pair : new String[][] {{HELPER_C, null}, {HELPER, HELPER_C}, {AUTO, HELPER_C}, {ONEDNN_C, null},
                {JAVACPP, ONEDNN_C}, {ONEDNN, ONEDNN_C}}) {
            Optional<Point> p = find(out, pair[0], small);
            if (p.isEmpty()) {
                continue;
            }
            Optional<Point> c = pair[1] == null ? Optional.empty() : find(out, pair[1], small);
            md.append("| ").append(pair[0]).append(" | ").append(fmt(p.get().medianOrMean()))
                    .append(Double.isNaN(p.get().medianNsPerCall()) ? " (mean: no raw data)" : "").append(" | ")
                    .append(c.map(cp -> String.format(Locale.ROOT, "%+.0f ns", p.get().medianOrMean() - cp.medianOrMean()))
                            .orElse(pair[1] == null ? "(reference)" : "—"))
                    .append(" |\n");
        }
        md.append('\n');
    }

    /**
     * What the other functions cost against ELU on each elu4j backend: the ELU literature says an
     * ELU costs 2–3× a ReLU; this shows it per backend and size (time of ELU / time of ReLU).
     */
    private static void functionCost(StringBuilder md, List<Point> out) {
        List<String> backends = ELU4J.stream().filter(b -> out.stream().anyMatch(p -> p.series().equals(b + " relu")
                || p.series().equals(b + " selu"))).toList();
        if (backends.isEmpty()) {
            return;
        }
        md.append("### ELU against ReLU and SELU (f32, out of place), elements per ns\n\n");
        md.append("| backend | size | ELU | ReLU | ELU time / ReLU time | SELU | SELU time / ELU time |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (String b : backends) {
            for (long size : sizesOf(out, b)) {
                Optional<Point> elu = find(out, b, size);
                Optional<Point> relu = find(out, b + " relu", size);
                Optional<Point> selu = find(out, b + " selu", size);
                md.append("| ").append(b).append(" | ").append(sizeName(size)).append(" | ")
                        .append(elu.map(p -> fmt(p.elPerNs())).orElse("—")).append(" | ")
                        .append(relu.map(p -> fmt(p.elPerNs())).orElse("—")).append(" | ")
                        .append(elu.isPresent() && relu.isPresent() ? String.format(Locale.ROOT, "%.2f×",
                                elu.get().nsPerCall() / relu.get().nsPerCall()) : "—").append(" | ")
                        .append(selu.map(p -> fmt(p.elPerNs())).orElse("—")).append(" | ")
                        .append(elu.isPresent() && selu.isPresent() ? String.format(Locale.ROOT, "%.2f×",
                                selu.get().nsPerCall() / elu.get().nsPerCall()) : "—").append(" |\n");
            }
        }
        md.append('\n');
    }

    /**
     * Bytes allocated per call ({@code -prof gc}) by each elu4j path, per size (out of place). JMH
     * divides every allocation of the forked JVM during the measurement by the calls made, so at
     * 16M (a few hundred calls) background allocations of the JVM itself show up as tens of bytes
     * per call; the small sizes (millions of calls) show what a call allocates.
     */
    private static void allocation(StringBuilder md, List<Point> points) {
        List<Point> out = points.stream().filter(p -> p.mode().equals("out") && Double.isFinite(p.bytesPerCall())).toList();
        List<String> series = seriesIn(out).stream().filter(s -> s.startsWith("elu4j")).toList();
        if (series.isEmpty()) {
            return;
        }
        TreeSet<Long> sizes = new TreeSet<>();
        out.forEach(p -> sizes.add(p.size()));
        md.append("### Allocation per call, bytes (JMH -prof gc, gc.alloc.rate.norm; out of place)\n\n| path |");
        sizes.forEach(sz -> md.append(' ').append(sizeName(sz)).append(" |"));
        md.append("\n|---|");
        sizes.forEach(sz -> md.append("---:|"));
        md.append('\n');
        for (String s : series) {
            md.append("| ").append(s).append(" |");
            for (long size : sizes) {
                Optional<Point> p = find(out, s, size);
                md.append(' ').append(p.map(x -> String.format(Locale.ROOT, "%.3f", x.bytesPerCall())).orElse("—"))
                        .append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
    }

    private static void ratio(StringBuilder md, String label, Point num, Optional<Point> den) {
        md.append("| ").append(label).append(" | ").append(sizeName(num.size())).append(" | ");
        if (den.isPresent()) {
            md.append(String.format(Locale.ROOT, "%.2f×", num.elPerNs() / den.get().elPerNs())).append(" | ")
                    .append(fmt(num.elPerNs())).append(" vs ").append(fmt(den.get().elPerNs())).append(" el/ns");
        } else {
            md.append("— | ").append(fmt(num.elPerNs())).append(" vs not measured");
        }
        md.append(" |\n");
    }

    /**
     * The fastest elu4j backend at a size. AUTO counts only where no backend was measured on its
     * own: it runs one of them, so with both rows the maximum would pick the luckier of two noisy
     * readings of one kernel (a 16M reading of 5.67 for AUTO against the helper's own 3.62 ±108%).
     */
    static Optional<Point> best(List<Point> points, long size) {
        List<Point> backends = points.stream().filter(p -> p.size() == size && ELU4J.contains(p.series())).toList();
        // (scalar is no backend AUTO runs for these calls: its row alone does not stand for AUTO's)
        boolean ownRows = backends.stream().anyMatch(p -> !p.series().equals(AUTO) && !p.series().equals(SCALAR));
        return backends.stream().filter(p -> !ownRows || !p.series().equals(AUTO)).max(Comparator.comparingDouble(Point::elPerNs));
    }

    static Optional<Point> find(List<Point> points, String series, long size) {
        return points.stream().filter(p -> p.series().equals(series) && p.size() == size).findFirst();
    }

    private static List<Long> sizesOf(List<Point> points, String series) {
        return points.stream().filter(p -> p.series().equals(series)).map(Point::size).sorted().distinct().toList();
    }

    /** Series present in the points, known ones in {@link #ORDER}, unknown ones after them. */
    private static List<String> seriesIn(List<Point> points) {
        List<String> present = new ArrayList<>();
        ORDER.stream().filter(s -> points.stream().anyMatch(p -> p.series().equals(s))).forEach(present::add);
        points.stream().map(Point::series).distinct().filter(s -> !present.contains(s)).sorted().forEach(present::add);
        return present;
    }

    private static String cell(Point p) {
        String v = fmt(p.elPerNs());
        if (Double.isFinite(p.relError())) {
            v += String.format(Locale.ROOT, " ±%.0f%%", 100 * p.relError());
        }
        return v;
    }

    /** Three significant digits, without scientific notation for the range that occurs here. */
    static String fmt(double v) {
        if (!Double.isFinite(v)) {
            return "—";
        }
        double a = Math.abs(v);
        String pattern = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : a >= 0.1 ? "%.3f" : "%.4f";
        return String.format(Locale.ROOT, pattern, v);
    }

    static String sizeName(long n) {
        if (n >= 1 << 20 && n % (1 << 20) == 0) {
            return (n >> 20) + "M";
        }
        if (n >= 1 << 10 && n % (1 << 10) == 0) {
            return (n >> 10) + "K";
        }
        return Long.toString(n);
    }

    // ------------------------------------------------------------------------------ chart

    /** Elements per ns against size, out of place, log-log; null when there is nothing to draw. */
    static XYChart chart(List<Point> points) {
        List<Point> out = points.stream().filter(p -> p.mode().equals("out") && !isOtherFunction(p.series())).toList();
        if (out.isEmpty()) {
            return null;
        }
        XYChart chart = new XYChartBuilder().width(1100).height(700)
                .title("f32 ELU forward, out of place, one thread")
                .xAxisTitle("elements per call").yAxisTitle("elements per ns").build();
        XYStyler style = chart.getStyler();
        style.setXAxisLogarithmic(true);
        style.setYAxisLogarithmic(true);
        style.setLegendPosition(Styler.LegendPosition.OutsideE);
        style.setMarkerSize(7);
        style.setChartBackgroundColor(Color.WHITE);
        style.setPlotGridLinesColor(new Color(0xDDDDDD));
        // (XChart ignores the log scale of an axis that has a custom tick formatter: patterns only.)
        style.setXAxisDecimalPattern("#,###");
        style.setYAxisDecimalPattern("0.###");
        for (String series : seriesIn(out)) {
            List<Point> line = out.stream().filter(p -> p.series().equals(series))
                    .sorted(Comparator.comparingLong(Point::size)).toList();
            double[] xs = line.stream().mapToDouble(Point::size).toArray();
            double[] ys = line.stream().mapToDouble(Point::elPerNs).toArray();
            XYSeries s = chart.addSeries(series, xs, ys);
            Color color = COLORS.get(series);
            if (color != null) {
                s.setLineColor(color);
                s.setMarkerColor(color);
            }
            if (ELU4J.contains(series)) {
                s.setLineStyle(new BasicStroke(2.5f));
                s.setMarker(SeriesMarkers.CIRCLE);
            } else if (series.endsWith("from C")) {
                s.setLineStyle(SeriesLines.DOT_DOT);
                s.setMarker(SeriesMarkers.DIAMOND);
            } else {
                s.setLineStyle(SeriesLines.DASH_DASH);
                s.setMarker(SeriesMarkers.SQUARE);
            }
        }
        return chart;
    }
}
