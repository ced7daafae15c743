package org.elu4j.bench.startup;

import static org.elu4j.bench.startup.SteadyStateBenchmark.AOT;
import static org.elu4j.bench.startup.SteadyStateBenchmark.COLD_OFF;
import static org.elu4j.bench.startup.SteadyStateBenchmark.WARM;

import java.awt.BasicStroke;
import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.elu4j.bench.report.Stats;
import org.elu4j.bench.startup.SteadyStateBenchmark.Run;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report of {@link SteadyStateBenchmark}'s forks: the median curves, the steady state, the
 * table (and, with the cold-start-off variant, the counts against the kernel's steady time) and
 * the chart.
 */
final class SteadyStateReport {
    private SteadyStateReport() {
    }

    // ------------------------------------------------------------------------------ analysis

    /** Within this factor of the final speed counts as steady. */
    static final double STEADY_FACTOR = 1.5;

    /** Per batch index, the median over the forks of the batch means. */
    /** The runs of one backend and JVM variant, in fork order. */
    private static List<Run> runsOf(List<Run> runs, String backend, String variant) {
        return runs.stream().filter(r -> r.backend().equals(backend) && r.variant().equals(variant)).toList();
    }

    static double[] medianCurve(List<Run> runs) {
        int n = runs.stream().mapToInt(r -> r.mean().length).min().orElse(0);
        double[] curve = new double[n];
        for (int i = 0; i < n; i++) {
            final int k = i;
            curve[i] = Stats.median(runs.stream().map(r -> r.mean()[k]).toList());
        }
        return curve;
    }

    /** The final speed: the median of the last tenth of the curve. */
    static double steady(double[] curve) {
        List<Double> tail = new ArrayList<>();
        for (int i = curve.length - Math.max(1, curve.length / 10); i < curve.length; i++) {
            tail.add(curve[i]);
        }
        return Stats.median(tail);
    }

    /** Calls made before the curve stays within STEADY_FACTOR of {@code steady} (0: from the first batch). */
    static long steadyFrom(double[] curve, long[] before, long batch, double steady) {
        for (int i = curve.length - 1; i >= 0; i--) {
            if (curve[i] > STEADY_FACTOR * steady) {
                return i + 1 < curve.length ? before[i + 1] : before[i] + batch;
            }
        }
        return 0;
    }

    static String table(String what, List<Run> runs, List<String> backends, List<String> variants, int forks, int calls, int batch) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "### Time to steady state: %s, 256 elements, back-to-back calls from the "
                + "first in a fresh JVM (%d forks each; medians over the forks, min–max where shown)%n%n", what, forks));
        md.append("| backend | JVM | first call, ms | its main-thread CPU, ms | mean ns/call, calls 1–100 | 901–1,000 | 9,901–10,000 | "
                + "99,901–100,000 | steady (last tenth) | within 1.5× of steady after | calls in batches ≥ 100× steady | "
                + "calls > 2 µs after the first | slowest call after the first (µs) |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String b : backends) {
            for (String v : variants) {
                List<Run> rs = runsOf(runs, b, v);
                if (rs.isEmpty()) {
                    continue;
                }
                double[] curve = medianCurve(rs);
                long[] before = rs.get(0).before();
                double steady = steady(curve);
                md.append("| ").append(b).append(" | ").append(v.isEmpty() ? "fresh" : v).append(" | ")
                        .append(stats(rs.stream().map(r -> r.firstNs() / 1e6).toList(), "%.0f")).append(" | ")
                        .append(stats(rs.stream().map(r -> r.firstCpuNs() / 1e6).toList(), "%.0f")).append(" | ");
                for (long at : new long[] {0, 900, 9_900, 99_900}) {
                    int i = (int) (at / batch);
                    md.append(at < calls && batch == 100 && i < curve.length ? fmt(curve[i]) : "—").append(" | ");
                }
                md.append(fmt(steady)).append(" | ")
                        .append(String.format(Locale.ROOT, "%,d", steadyFrom(curve, before, batch, steady))).append(" | ");
                // Per fork: calls in batches at >= 100x its steady speed; calls over 2 us and the slowest call after the first.
                List<Double> slowCalls = new ArrayList<>();
                List<Double> over = new ArrayList<>();
                List<Double> slowest = new ArrayList<>();
                for (Run r : rs) {
                    double s = steady(r.mean());
                    long slow = 0;
                    long o = 0;
                    long mx = 0;
                    for (int i = 0; i < r.mean().length; i++) {
                        slow += r.mean()[i] >= 100 * s ? batch : 0;
                        o += r.over2us()[i];
                        mx = Math.max(mx, r.max()[i]);
                    }
                    slowCalls.add((double) slow);
                    over.add((double) o);
                    slowest.add(mx / 1e3);
                }
                md.append(stats(slowCalls, "%,.0f")).append(" | ").append(stats(over, "%,.0f")).append(" | ")
                        .append(stats(slowest, "%.0f")).append(" |\n");
            }
        }
        md.append(String.format(Locale.ROOT, "%nThe timing loop's own cost per call (no call), measured at the end of each "
                + "fork: %s ns; every mean above includes it once.%n", stats(runs.stream().map(Run::timerNs).toList(), "%.0f")));
        List<Double> host = runs.stream().filter(r -> r.hostOver2us() >= 0).map(r -> (double) r.hostOver2us()).toList();
        if (!host.isEmpty()) {
            md.append(String.format(Locale.ROOT, "The host's own share of the calls over 2 µs: the same loop on an empty "
                    + "call for as long as each fork's calls took, after them: %s iterations over 2 µs (a floor: the JIT "
                    + "is quieter by then).%n", stats(host, "%,.0f")));
        }
        if (variants.contains(COLD_OFF)) {
            md.append(kernelBar(runs, backends, variants, batch));
        }
        return md.toString();
    }

    /**
     * With {@code --cold-start-off}: each row's calls in batches at ≥ 100× the kernel's steady time
     * (the backend's cold-start-off rows' median steady), where the table's own column measures
     * against the row's steady (with the cold start on, the scalar form's until the switch), and
     * how many of them are in batches where one call took at least half the batch's time (a pause
     * of the caller, not a slow phase). Both steady times as the table's: the median curve's.
     */
    static String kernelBar(List<Run> runs, List<String> backends, List<String> variants, int batch) {
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "%nAgainst the kernel's steady time (the "
                + "cold-start-off rows'): calls in batches ≥ 100× it per fork, and of them those in batches where one "
                + "call took at least half the batch's time (a pause, not a slow phase):%n%n"
                + "| backend | JVM | kernel steady, ns | calls in batches ≥ 100× it | of them in batches with one call of half or more |%n"
                + "|---|---|---:|---:|---:|%n"));
        for (String b : backends) {
            List<Run> off = runsOf(runs, b, COLD_OFF);
            if (off.isEmpty()) {
                continue;
            }
            double kernel = steady(medianCurve(off));
            for (String v : variants) {
                List<Run> rs = runsOf(runs, b, v);
                if (rs.isEmpty() || v.equals(AOT) || v.equals(WARM)) {
                    continue;
                }
                List<Double> slow = new ArrayList<>();
                List<Double> paused = new ArrayList<>();
                for (Run r : rs) {
                    long s = 0;
                    long p = 0;
                    for (int i = 0; i < r.mean().length; i++) {
                        if (r.mean()[i] >= 100 * kernel) {
                            s += batch;
                            p += r.max()[i] >= 0.5 * r.mean()[i] * batch ? batch : 0;
                        }
                    }
                    slow.add((double) s);
                    paused.add((double) p);
                }
                md.append("| ").append(b).append(" | ").append(v.isEmpty() ? "fresh" : v).append(" | ").append(fmt(kernel))
                        .append(" | ").append(stats(slow, "%,.0f")).append(" | ").append(stats(paused, "%,.0f")).append(" |\n");
            }
        }
        return md.toString();
    }

    private static String fmt(double ns) {
        return ns >= 1e4 ? String.format(Locale.ROOT, "%,.0f", ns) : ns >= 100 ? String.format(Locale.ROOT, "%.0f", ns)
                : String.format(Locale.ROOT, "%.1f", ns);
    }

    private static String stats(List<Double> values, String pattern) {
        List<Double> v = values.stream().filter(Double::isFinite).sorted().toList();
        if (v.isEmpty()) {
            return "—";
        }
        String m = String.format(Locale.ROOT, pattern, Stats.median(v));
        String lo = String.format(Locale.ROOT, pattern, v.get(0));
        String hi = String.format(Locale.ROOT, pattern, v.get(v.size() - 1));
        return lo.equals(hi) ? m : m + " (" + lo + "–" + hi + ")";
    }

    // ------------------------------------------------------------------------------ chart

    private static final Map<String, Color> COLORS = Map.of("auto", new Color(0x000000), "helper", new Color(0xD62728),
            "vector", new Color(0x1F77B4), "onednn", new Color(0x2CA02C), "scalar", new Color(0x8C564B));

    static XYChart chart(String what, List<Run> runs, List<String> backends, String variant, String variantLabel) {
        XYChart chart = new XYChartBuilder().width(780).height(520)
                .title(what + ", 256 elements: ns per call against calls made (" + variantLabel + ", median of the forks)")
                .xAxisTitle("calls made").yAxisTitle("ns per call (batch mean)").build();
        var style = chart.getStyler();
        style.setXAxisLogarithmic(true);
        style.setYAxisLogarithmic(true);
        style.setLegendPosition(Styler.LegendPosition.InsideNE);
        style.setChartBackgroundColor(Color.WHITE);
        style.setPlotGridLinesColor(new Color(0xDDDDDD));
        style.setXAxisDecimalPattern("#,###");
        style.setYAxisDecimalPattern("#,###");
        style.setChartTitleFont(style.getChartTitleFont().deriveFont(13f));
        style.setMarkerSize(0);
        for (String b : backends) {
            List<Run> rs = runsOf(runs, b, variant);
            if (rs.isEmpty()) {
                continue;
            }
            double[] curve = medianCurve(rs);
            long[] before = rs.get(0).before();
            long batch = before.length > 1 ? before[1] - before[0] : 1;
            double[] xs = new double[curve.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = before[i] + batch;
            }
            XYSeries s = chart.addSeries(b, xs, curve);
            s.setLineColor(COLORS.getOrDefault(b, Color.GRAY));
            s.setLineStyle(new BasicStroke(b.equals("auto") ? 2.5f : 1.5f));
            s.setMarker(SeriesMarkers.NONE);
        }
        // The target: 2 µs per call (the helper's bound after the first call), over the whole run.
        double lastCall = chart.getSeriesMap().values().stream()
                .flatMapToDouble(s -> java.util.Arrays.stream(s.getXData())).max().orElse(0);
        if (lastCall > 0) {
            XYSeries limit = chart.addSeries("2 µs", new double[] {100, lastCall}, new double[] {2_000, 2_000});
            limit.setLineColor(Color.GRAY);
            limit.setLineStyle(SeriesLines.DASH_DASH);
            limit.setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }
}
