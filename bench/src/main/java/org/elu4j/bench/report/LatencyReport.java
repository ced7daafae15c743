package org.elu4j.bench.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Turns the latency runs of {@code ./elu4j bench --latency} ({@code LatencyBenchmark},
 * {@code ParallelLatencyBenchmark}; JMH sample mode) into a table and a chart:
 *
 * <pre>
 * LatencyReport DIR   reads  DIR/latency-*.json, DIR/meta.txt (optional)
 *                     writes DIR/latency.md (also printed), DIR/latency.png, DIR/latency.svg
 * </pre>
 *
 * The table gives p50, p99 and p99.9 of single calls in ns, per path, size and number of calling
 * threads, and for parallel mode against serial under load the ratio of their p99s; the chart has
 * one panel per size and thread count, latency against percentile, both axes logarithmic.
 */
public final class LatencyReport {

    /** The percentiles printed and drawn (JMH's keys), with their labels. */
    static final Map<String, String> PERCENTILES = new LinkedHashMap<>();

    static {
        PERCENTILES.put("50.0", "p50");
        PERCENTILES.put("90.0", "p90");
        PERCENTILES.put("99.0", "p99");
        PERCENTILES.put("99.9", "p99.9");
        PERCENTILES.put("99.99", "p99.99");
    }

    /** The percentiles of the table. */
    static final List<String> TABLE = List.of("50.0", "99.0", "99.9");

    /**
     * One latency distribution: {@code series} (a path, or for parallel mode "helper serial" /
     * "helper parallel()" / their neighbours), {@code load} (how many threads called, and how),
     * percentiles in ns keyed as JMH does ("99.0"), and the number of samples.
     */
    public record Dist(String series, String load, long size, Map<String, Double> ns, long samples) {
        double at(String percentile) {
            return ns.getOrDefault(percentile, Double.NaN);
        }
    }

    static final String TIMER = "timer alone (no call)";
    static final String JAVACPP = "oneDNN via JavaCPP";
    static final String SERIAL = "helper serial";
    static final String PARALLEL = "helper parallel()";
    static final String NEIGHBOUR = "its serial neighbour";
    static final String ONE = "1 caller";
    static final String ALL = "2 callers";
    static final String WITH_NEIGHBOUR = "1 caller + 1 serial neighbour";

    /** Display order of the paths of {@code LatencyBenchmark}. */
    static final List<String> ORDER = List.of(TIMER, "elu4j auto", "elu4j helper", "elu4j vector", "elu4j onednn",
            "elu4j scalar", JAVACPP);
    private static final Map<String, Color> COLORS = Map.of(
            TIMER, new Color(0x7F7F7F), "elu4j auto", new Color(0x000000), "elu4j helper", new Color(0xD62728),
            "elu4j vector", new Color(0x1F77B4), "elu4j onednn", new Color(0x2CA02C), "elu4j scalar", new Color(0x8C564B),
            JAVACPP, new Color(0x17BECF), SERIAL, new Color(0x1F77B4), PARALLEL, new Color(0xD62728));

    private LatencyReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: LatencyReport RESULTS_DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        List<Dist> dists = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.startsWith("latency") && name.endsWith(".json")) {
                    dists.addAll(read(Files.readString(f)));
                }
            }
        }
        Path metaFile = dir.resolve("meta.txt");
        List<String> meta = Files.exists(metaFile) ? Files.readAllLines(metaFile) : List.of();
        String table = table(dists, meta);
        Files.writeString(dir.resolve("latency.md"), table, StandardCharsets.UTF_8);
        List<CategoryChart> charts = charts(dists);
        if (!charts.isEmpty()) {
            Charts.saveGrid(charts, 3, 560, 420, dir.resolve("latency.png"), dir.resolve("latency.svg"));
        }
        System.out.print(table);
        System.out.println();
        System.out.println("written: " + dir.resolve("latency.md")
                + (charts.isEmpty() ? " (nothing to draw)" : ", " + dir.resolve("latency.png") + ", " + dir.resolve("latency.svg")));
    }

    // ------------------------------------------------------------------------------ input

    /** The distributions of a JMH JSON result file of sample mode. */
    public static List<Dist> read(String json) {
        List<Dist> dists = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(json).getAsJsonArray()) {
            JsonObject run = e.getAsJsonObject();
            if (!"sample".equals(run.get("mode").getAsString())) {
                continue;
            }
            String benchmark = run.get("benchmark").getAsString();
            String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            String cls = benchmark.substring(0, benchmark.lastIndexOf('.'));
            cls = cls.substring(cls.lastIndexOf('.') + 1);
            Map<String, String> params = new LinkedHashMap<>();
            if (run.has("params")) {
                run.getAsJsonObject("params").entrySet().forEach(p -> params.put(p.getKey(), p.getValue().getAsString()));
            }
            int threads = run.get("threads").getAsInt();
            long size = Long.parseLong(params.getOrDefault("size", "0"));
            JsonObject primary = run.getAsJsonObject("primaryMetric");
            double scale = ReportInput.nsPerUnit(primary.get("scoreUnit").getAsString());
            switch (cls) {
                case "LatencyBenchmark" -> dists.add(dist(pathName(params.get("path")), threads == 1 ? ONE
                        : threads + " callers", size, primary, scale));
                case "ParallelLatencyBenchmark" -> {
                    String mode = "parallel".equals(params.get("mode")) ? PARALLEL : SERIAL;
                    if (method.equals("call")) {
                        dists.add(dist(mode, threads == 1 ? ONE : threads + " callers", size, primary, scale));
                    } else {
                        JsonObject secondary = run.getAsJsonObject("secondaryMetrics");
                        if (secondary.has("request")) {
                            dists.add(dist(mode, WITH_NEIGHBOUR, size, secondary.getAsJsonObject("request"), scale));
                        }
                        if (secondary.has("neighbour")) {
                            dists.add(dist(mode + ", " + NEIGHBOUR, WITH_NEIGHBOUR, size,
                                    secondary.getAsJsonObject("neighbour"), scale));
                        }
                    }
                }
                default -> {
                }
            }
        }
        return dists;
    }

    private static Dist dist(String series, String load, long size, JsonObject metric, double scale) {
        Map<String, Double> ns = new TreeMap<>();
        metric.getAsJsonObject("scorePercentiles").entrySet()
                .forEach(p -> ns.put(p.getKey(), p.getValue().getAsDouble() * scale));
        long samples = 0;
        if (metric.has("rawDataHistogram")) {
            // [fork][iteration][[value, count], ...]
            for (JsonElement fork : metric.getAsJsonArray("rawDataHistogram")) {
                for (JsonElement iteration : fork.getAsJsonArray()) {
                    for (JsonElement bucket : iteration.getAsJsonArray()) {
                        samples += bucket.getAsJsonArray().get(1).getAsLong();
                    }
                }
            }
        }
        return new Dist(series, load, size, ns, samples);
    }

    static String pathName(String path) {
        return switch (path) {
            case "none" -> TIMER;
            case "javacpp" -> JAVACPP;
            default -> "elu4j " + path;
        };
    }

    // ------------------------------------------------------------------------------ table

    /** The Markdown report. */
    public static String table(List<Dist> dists, List<String> meta) {
        StringBuilder md = new StringBuilder("## elu4j latency per call: f32 ELU forward, out of place\n\n");
        for (String line : meta) {
            if (!line.isBlank()) {
                md.append("- ").append(line.strip()).append('\n');
            }
        }
        if (!meta.isEmpty()) {
            md.append('\n');
        }
        List<Dist> paths = dists.stream().filter(d -> ORDER.contains(d.series())).toList();
        if (!paths.isEmpty()) {
            TreeSet<Long> sizes = new TreeSet<>();
            paths.forEach(d -> sizes.add(d.size()));
            md.append("### Per path: p50 / p99 / p99.9 of one call (JMH sample mode; each calling thread has its "
                    + "own tensors; n: samples, and a percentile with fewer than " + MIN_TAIL
                    + " of them beyond it is —)\n\n| path | calling threads |");
            sizes.forEach(s -> md.append(' ').append(Report.sizeName(s)).append(" |"));
            md.append("\n|---|---|");
            sizes.forEach(s -> md.append("---:|"));
            md.append('\n');
            for (String series : ORDER) {
                for (String load : loads(paths, series)) {
                    md.append("| ").append(series).append(" | ").append(load).append(" |");
                    for (long size : sizes) {
                        md.append(' ').append(find(paths, series, load, size).map(LatencyReport::cell).orElse("—"))
                                .append(" |");
                    }
                    md.append('\n');
                }
            }
            md.append('\n');
        }
        parallel(md, dists);
        return md.toString();
    }

    private static void parallel(StringBuilder md, List<Dist> dists) {
        List<Dist> modes = dists.stream().filter(d -> d.series().startsWith("helper ")).toList();
        if (modes.isEmpty()) {
            return;
        }
        md.append("### Parallel mode against serial under load: p50 / p99 / p99.9 of one call\n\n");
        md.append("| size | load | serial | parallel() | p99 parallel / serial | the neighbour's p99 beside serial "
                + "/ beside parallel |\n|---:|---|---:|---:|---:|---:|\n");
        TreeSet<Long> sizes = new TreeSet<>();
        modes.forEach(d -> sizes.add(d.size()));
        for (long size : sizes) {
            for (String load : List.of(ONE, ALL, WITH_NEIGHBOUR)) {
                Optional<Dist> s = find(modes, SERIAL, load, size);
                Optional<Dist> p = find(modes, PARALLEL, load, size);
                if (s.isEmpty() && p.isEmpty()) {
                    continue;
                }
                md.append("| ").append(Report.sizeName(size)).append(" | ").append(load).append(" | ")
                        .append(s.map(LatencyReport::cell).orElse("—")).append(" | ")
                        .append(p.map(LatencyReport::cell).orElse("—")).append(" | ")
                        .append(s.isPresent() && p.isPresent() && !few(s.get(), "99.0") && !few(p.get(), "99.0")
                                ? String.format(Locale.ROOT, "%.2f×", p.get().at("99.0") / s.get().at("99.0")) : "—")
                        .append(" | ");
                Optional<Dist> ns = find(modes, SERIAL + ", " + NEIGHBOUR, load, size);
                Optional<Dist> np = find(modes, PARALLEL + ", " + NEIGHBOUR, load, size);
                md.append(ns.isPresent() || np.isPresent()
                        ? ns.map(d -> time(d.at("99.0"))).orElse("—") + " / " + np.map(d -> time(d.at("99.0"))).orElse("—")
                        : "—").append(" |\n");
            }
        }
        md.append('\n');
    }

    private static List<String> loads(List<Dist> dists, String series) {
        return dists.stream().filter(d -> d.series().equals(series)).map(Dist::load).distinct().sorted().toList();
    }

    static Optional<Dist> find(List<Dist> dists, String series, String load, long size) {
        return dists.stream().filter(d -> d.series().equals(series) && d.load().equals(load) && d.size() == size)
                .findFirst();
    }

    /** Fewer samples than this beyond a percentile, and the cell leaves it out (p99.9 of 2,000 samples is their 2 slowest). */
    static final int MIN_TAIL = 10;

    /** Whether fewer than {@link #MIN_TAIL} of {@code d}'s samples lie beyond {@code percentile} (counted in thousandths: exact). */
    static boolean few(Dist d, String percentile) {
        long beyondPerMille = 100_000 - Math.round(Double.parseDouble(percentile) * 1000);
        return d.samples() > 0 && d.samples() * beyondPerMille < MIN_TAIL * 100_000L;
    }

    /**
     * p50 / p99 / p99.9 and the number of samples where JMH recorded it; a percentile with fewer
     * than {@link #MIN_TAIL} samples beyond it is "—".
     */
    private static String cell(Dist d) {
        StringBuilder c = new StringBuilder();
        for (String p : TABLE) {
            c.append(c.isEmpty() ? "" : " / ").append(few(d, p) ? "—" : time(d.at(p)));
        }
        if (d.samples() > 0) {
            c.append(String.format(Locale.ROOT, " (n = %,d)", d.samples()));
        }
        return c.toString();
    }

    /** A time in ns as ns, µs or ms, three significant digits at most. */
    static String time(double ns) {
        if (!Double.isFinite(ns)) {
            return "—";
        }
        return ns < 1e3 ? String.format(Locale.ROOT, "%.0f ns", ns)
                : ns < 1e6 ? Report.fmt(ns / 1e3) + " µs" : Report.fmt(ns / 1e6) + " ms";
    }

    // ------------------------------------------------------------------------------ chart

    /**
     * One panel per (size, load) of the paths, then one per (size, load) of parallel mode: ns
     * per call (log) against the percentile.
     */
    static List<CategoryChart> charts(List<Dist> dists) {
        List<CategoryChart> charts = new ArrayList<>();
        List<Dist> paths = dists.stream().filter(d -> ORDER.contains(d.series())).toList();
        List<Dist> modes = dists.stream().filter(d -> d.series().startsWith("helper ")).toList();
        for (List<Dist> group : List.of(paths, modes)) {
            TreeSet<String> loads = new TreeSet<>(Comparator.comparing((String l) -> l.equals(WITH_NEIGHBOUR))
                    .thenComparing(Comparator.naturalOrder()));
            group.forEach(d -> loads.add(d.load()));
            TreeSet<Long> sizes = new TreeSet<>();
            group.forEach(d -> sizes.add(d.size()));
            for (String load : loads) {
                for (long size : sizes) {
                    List<Dist> panel = group.stream().filter(d -> d.load().equals(load) && d.size() == size)
                            .sorted(Comparator.comparingInt(d -> order(d.series()))).toList();
                    if (!panel.isEmpty()) {
                        charts.add(panel(Report.sizeName(size) + " floats, " + load, panel));
                    }
                }
            }
        }
        return charts;
    }

    private static int order(String series) {
        int i = ORDER.indexOf(series);
        return i >= 0 ? i : ORDER.size() + series.length();
    }

    private static CategoryChart panel(String title, List<Dist> dists) {
        CategoryChart chart = new CategoryChartBuilder().width(560).height(420).title(title)
                .xAxisTitle("percentile").yAxisTitle("ns per call").build();
        var style = chart.getStyler();
        style.setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        style.setYAxisLogarithmic(true);
        style.setLegendPosition(Styler.LegendPosition.InsideNW);
        style.setLegendFont(style.getLegendFont().deriveFont(10f));
        style.setChartTitleFont(style.getChartTitleFont().deriveFont(13f));
        style.setChartBackgroundColor(Color.WHITE);
        style.setPlotGridLinesColor(new Color(0xDDDDDD));
        style.setYAxisDecimalPattern("#,###");
        style.setMarkerSize(6);
        style.setOverlapped(true); // each series' points on their percentile, not side by side
        List<String> labels = new ArrayList<>(PERCENTILES.values());
        for (Dist d : dists) {
            // (null: a percentile with too few samples beyond it, as the table blanks it; no point)
            List<Double> ys = new ArrayList<>();
            PERCENTILES.keySet().forEach(p -> ys.add(few(d, p) ? null : d.at(p)));
            CategorySeries s = chart.addSeries(d.series(), labels, ys);
            Color color = COLORS.get(d.series().endsWith(NEIGHBOUR) ? d.series().substring(0, d.series().indexOf(','))
                    : d.series());
            if (color != null) {
                s.setLineColor(color);
                s.setMarkerColor(color);
            }
            boolean neighbour = d.series().endsWith(NEIGHBOUR);
            s.setLineStyle(neighbour ? SeriesLines.DOT_DOT : d.series().equals(TIMER) ? SeriesLines.DASH_DASH
                    : new BasicStroke(2f));
            s.setMarker(neighbour ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
        }
        return chart;
    }
}
