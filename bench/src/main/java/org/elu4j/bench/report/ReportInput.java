package org.elu4j.bench.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link Report}'s input: the points of JMH's JSON results (average time, any unit; the median of
 * the measured iterations from their raw data beside JMH's mean) and of the C timing program's
 * TSV ({@code elu4j_cbench}), under the series names the report uses.
 */
final class ReportInput {
    private ReportInput() {
    }

    /** Points of a JMH JSON result file (average-time mode, any time unit). */
    public static List<Report.Point> readJmh(String json) {
        List<Report.Point> points = new ArrayList<>();
        JsonArray runs = JsonParser.parseString(json).getAsJsonArray();
        for (JsonElement e : runs) {
            JsonObject run = e.getAsJsonObject();
            String benchmark = run.get("benchmark").getAsString();
            Map<String, String> params = new LinkedHashMap<>();
            if (run.has("params")) {
                run.getAsJsonObject("params").entrySet().forEach(p -> params.put(p.getKey(), p.getValue().getAsString()));
            }
            JsonObject metric = run.getAsJsonObject("primaryMetric");
            double score = metric.get("score").getAsDouble();
            double error = parseDouble(metric.get("scoreError"));
            double unit = nsPerUnit(metric.get("scoreUnit").getAsString());
            double ns = score * unit;
            String series = seriesName(benchmark, params);
            if (series == null || !params.containsKey("size")) {
                continue;
            }
            double bytes = Double.NaN;
            if (run.has("secondaryMetrics") && run.getAsJsonObject("secondaryMetrics").has("gc.alloc.rate.norm")) {
                bytes = parseDouble(run.getAsJsonObject("secondaryMetrics").getAsJsonObject("gc.alloc.rate.norm").get("score"));
            }
            points.add(new Report.Point(series, params.getOrDefault("mode", "out"), Long.parseLong(params.get("size")), ns,
                    error / score, bytes, medianIteration(metric) * unit));
        }
        return points;
    }

    /** The median of a JMH metric's measured iterations over all its forks ({@code rawData}), or NaN. */
    static double medianIteration(JsonObject metric) {
        if (!metric.has("rawData")) {
            return Double.NaN;
        }
        List<Double> all = new ArrayList<>();
        for (JsonElement fork : metric.getAsJsonArray("rawData")) {
            fork.getAsJsonArray().forEach(v -> all.add(v.getAsDouble()));
        }
        return Stats.median(all);
    }

    /** Points of elu4j_cbench's output (comment lines start with '#', then a header line). */
    public static List<Report.Point> readCBench(String tsv) {
        List<Report.Point> points = new ArrayList<>();
        for (String line : tsv.split("\n")) {
            String[] f = line.strip().split("\t");
            if (line.startsWith("#") || f.length < 4 || f[0].equals("path")) {
                continue;
            }
            String series = switch (f[0]) {
                case "onednn" -> Report.ONEDNN_C;
                case "helper" -> Report.HELPER_C;
                default -> null;
            };
            if (series != null) {
                double ns = Double.parseDouble(f[3]);
                points.add(new Report.Point(series, f[1], Long.parseLong(f[2]), ns, Double.NaN, Double.NaN, ns));
            }
        }
        return points;
    }

    /** The display name of a JMH benchmark (with its parameters), or null for an unknown one. */
    static String seriesName(String benchmark, Map<String, String> params) {
        String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
        String cls = benchmark.substring(0, benchmark.lastIndexOf('.'));
        cls = cls.substring(cls.lastIndexOf('.') + 1);
        return switch (cls) {
            case "EluBenchmark" -> "elu4j " + params.get("backend")
                    + (params.getOrDefault("function", "elu").equals("elu") ? "" : " " + params.get("function"));
            case "ScalarEluBenchmark" -> Report.SCALAR;
            case "ConfinedArenaEluBenchmark" -> "elu4j " + params.get("backend") + Report.CONFINED;
            case "ParallelEluBenchmark" -> switch (params.getOrDefault("threads", "1")) {
                case "1" -> "elu4j helper serial (parallel run)";
                case "0" -> "elu4j helper parallel()";
                default -> "elu4j helper parallel(" + params.get("threads") + ")";
            };
            case "JavaCppOneDnnBenchmark" -> Report.JAVACPP;
            case "Nd4jBenchmark" -> Report.ND4J;
            case "OnnxRuntimeBenchmark" -> Report.ORT;
            case "JavaPeersBenchmark" -> switch (method) {
                case "segmentCopy" -> Report.SEGMENT_COPY;
                case "copyLoop" -> Report.COPY_LOOP;
                case "reluLoop" -> Report.RELU_LOOP;
                case "expm1Loop" -> Report.EXPM1_LOOP;
                default -> null;
            };
            default -> null;
        };
    }

    /** Nanoseconds in one of JMH's time-per-operation units (its average-time and sample-time modes). */
    static double nsPerUnit(String unit) {
        return switch (unit) {
            case "ns/op" -> 1;
            case "us/op" -> 1e3;
            case "ms/op" -> 1e6;
            case "s/op" -> 1e9;
            default -> throw new IllegalArgumentException("not a time per operation: " + unit
                    + " (run JMH with -bm avgt, or sample for the latency report)");
        };
    }

    private static double parseDouble(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(e.getAsString());
        } catch (NumberFormatException ex) {
            return Double.NaN;
        }
    }
}
