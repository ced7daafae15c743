package org.elu4j.bench.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The section of the report for {@code FamilyBenchmark} (every function × type × pass, per
 * backend and oneDNN via JavaCPP): a table of elements per ns per (function, type, pass) ×
 * backend for each size, and the ratios of issue 11: SELU and CELU against ELU on the same
 * backend, bf16/f16/f64 against f32, and elu4j's backward passes against oneDNN's backward (elu4j's
 * onednn backend and JavaCPP).
 */
public final class FamilyReport {

    /** One measured combination; {@code relError}: half-width of JMH's 99.9% interval / score, or NaN. */
    public record Point(String backend, String function, String type, String pass, long size, double nsPerCall,
            double relError) {
        public double elPerNs() {
            return size / nsPerCall;
        }
    }

    static final List<String> BACKENDS = List.of("helper", "vector", "onednn", "auto", "javacpp");
    /** FamilyBenchmark's functions (its {@code function} parameter). */
    public static final List<String> FUNCTIONS = List.of("elu", "selu", "celu");
    static final List<String> TYPES = List.of("f32", "bf16", "f16", "f64");
    static final List<String> PASSES = List.of("fwd", "bwd-in", "bwd-out");

    private FamilyReport() {
    }

    /** Column header of a backend: elu4j's name, or the peer's. */
    static String backendName(String backend) {
        return backend.equals("javacpp") ? "oneDNN via JavaCPP" : "elu4j " + backend;
    }

    /** Points of {@code FamilyBenchmark} in a JMH JSON result file (other benchmarks are ignored). */
    public static List<Point> readJmh(String json) {
        List<Point> points = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(json).getAsJsonArray()) {
            JsonObject run = e.getAsJsonObject();
            if (!run.get("benchmark").getAsString().endsWith(".FamilyBenchmark.run") || !run.has("params")) {
                continue;
            }
            JsonObject p = run.getAsJsonObject("params");
            JsonObject metric = run.getAsJsonObject("primaryMetric");
            double score = metric.get("score").getAsDouble();
            double error;
            try {
                error = metric.get("scoreError").getAsDouble();
            } catch (RuntimeException notANumber) {
                error = Double.NaN;
            }
            double ns = score * switch (metric.get("scoreUnit").getAsString()) {
                case "ns/op" -> 1;
                case "us/op" -> 1e3;
                case "ms/op" -> 1e6;
                case "s/op" -> 1e9;
                default -> throw new IllegalArgumentException("not an average-time unit: " + metric.get("scoreUnit"));
            };
            points.add(new Point(p.get("backend").getAsString(), p.get("function").getAsString(),
                    p.get("type").getAsString(), p.get("pass").getAsString(), Long.parseLong(p.get("size").getAsString()),
                    ns, error / score));
        }
        return points;
    }

    static Optional<Point> find(List<Point> points, String backend, String function, String type, String pass, long size) {
        return points.stream().filter(p -> p.backend().equals(backend) && p.function().equals(function)
                && p.type().equals(type) && p.pass().equals(pass) && p.size() == size).findFirst();
    }

    /** {@code num}'s el/ns over {@code den}'s, formatted, or a dash when either is missing. */
    static String ratio(Optional<Point> num, Optional<Point> den) {
        if (num.isEmpty() || den.isEmpty()) {
            return "—";
        }
        return String.format(Locale.ROOT, "%.2f×", num.get().elPerNs() / den.get().elPerNs());
    }

    /** The Markdown section; empty when there are no points. */
    public static String table(List<Point> points) {
        if (points.isEmpty()) {
            return "";
        }
        StringBuilder md = new StringBuilder();
        md.append("## Every function × type × pass (FamilyBenchmark), out of place, one thread\n\n");
        md.append("ELU (alpha 1), SELU, CELU (alpha 0.7); fwd = forward, bwd-in = backward from the input, "
                + "bwd-out = backward from the output. One JVM per backend (JMH -f 0); — = not measured: the "
                + "backend does not run it here (its set-up printed `SKIP:` and the library's reason in the JMH log) "
                + "or it was not in this run. An interval wider than the score (± over 100%) means a busy machine (the "
                + "vector backend's cells are called in set-up until they run compiled and stop getting faster; the JMH "
                + "log's `# warmed up` line of a cell says if it did not): rerun before reading a ratio from it.\n\n");
        List<String> backends = BACKENDS.stream().filter(b -> points.stream().anyMatch(p -> p.backend().equals(b)))
                .toList();
        TreeSet<Long> sizes = new TreeSet<>();
        points.forEach(p -> sizes.add(p.size()));
        for (long size : sizes) {
            md.append("### ").append(Report.sizeName(size))
                    .append(" elements, elements per ns (higher is better; ±: JMH's 99.9% interval over the iterations: within the forks run, so with one fork, as in --quick, it leaves out the JIT's fork-to-fork variation of several percent)\n\n");
            md.append("| function | type | pass |");
            backends.forEach(b -> md.append(' ').append(backendName(b)).append(" |"));
            md.append("\n|---|---|---|");
            backends.forEach(b -> md.append("---:|"));
            md.append('\n');
            for (String f : FUNCTIONS) {
                for (String t : TYPES) {
                    for (String pass : PASSES) {
                        if (backends.stream().noneMatch(b -> find(points, b, f, t, pass, size).isPresent())) {
                            continue;
                        }
                        md.append("| ").append(f).append(" | ").append(t).append(" | ").append(pass).append(" |");
                        for (String b : backends) {
                            md.append(' ').append(find(points, b, f, t, pass, size).map(FamilyReport::cell).orElse("—"))
                                    .append(" |");
                        }
                        md.append('\n');
                    }
                }
            }
            md.append('\n');
        }
        functionRatios(md, points, sizes);
        typeRatios(md, points, sizes);
        backwardRatios(md, points, sizes);
        return md.toString();
    }

    /** SELU and CELU against ELU (alpha 1), same backend, type, pass and size: el/ns ratio. */
    private static void functionRatios(StringBuilder md, List<Point> points, TreeSet<Long> sizes) {
        md.append("### SELU and CELU / ELU, same backend, type and pass (el/ns ratio; target ≥ 0.5 on helper and vector)\n\n");
        md.append("| backend | function | pass | size |");
        TYPES.forEach(t -> md.append(' ').append(t).append(" |"));
        md.append("\n|---|---|---|---:|");
        TYPES.forEach(t -> md.append("---:|"));
        md.append('\n');
        for (String b : List.of("helper", "vector")) {
            for (String f : List.of("selu", "celu")) {
                for (String pass : PASSES) {
                    for (long size : sizes) {
                        row(md, points, List.of(b, f, pass, Report.sizeName(size)),
                                t -> ratio(find(points, b, f, t, pass, size), find(points, b, "elu", t, pass, size)));
                    }
                }
            }
        }
        md.append('\n');
    }

    /** bf16, f16 and f64 against f32, same backend, function, pass and size: el/ns ratio. */
    private static void typeRatios(StringBuilder md, List<Point> points, TreeSet<Long> sizes) {
        md.append("### Types against f32, same backend, function and pass (el/ns ratio; targets: bf16/f16 ≥ 1 at 16M, "
                + "f64 ≥ 0.5)\n\n");
        md.append("| backend | function | pass | size | bf16 / f32 | f16 / f32 | f64 / f32 |\n");
        md.append("|---|---|---|---:|---:|---:|---:|\n");
        for (String b : BACKENDS) {
            for (String f : FUNCTIONS) {
                for (String pass : PASSES) {
                    for (long size : sizes) {
                        Optional<Point> f32 = find(points, b, f, "f32", pass, size);
                        row(md, points, List.of(backendName(b), f, pass, Report.sizeName(size)),
                                List.of("bf16", "f16", "f64"), t -> ratio(find(points, b, f, t, pass, size), f32));
                    }
                }
            }
        }
        md.append('\n');
    }

    /** elu4j's backward passes against oneDNN's, through elu4j's onednn backend and via JavaCPP. */
    private static void backwardRatios(StringBuilder md, List<Point> points, TreeSet<Long> sizes) {
        md.append("### Backward against oneDNN's backward, same function, type, pass and size (el/ns ratio; target ≥ 1 "
                + "at 64K)\n\n");
        md.append("| backend | function | type | pass | size | / elu4j onednn | / oneDNN via JavaCPP |\n");
        md.append("|---|---|---|---|---:|---:|---:|\n");
        for (String b : List.of("helper", "vector", "auto")) {
            for (String f : FUNCTIONS) {
                for (String t : TYPES) {
                    for (String pass : List.of("bwd-in", "bwd-out")) {
                        for (long size : sizes) {
                            Optional<Point> p = find(points, b, f, t, pass, size);
                            row(md, points, List.of(backendName(b), f, t, pass, Report.sizeName(size)),
                                    List.of("onednn", "javacpp"), ref -> ratio(p, find(points, ref, f, t, pass, size)));
                        }
                    }
                }
            }
        }
        md.append('\n');
    }

    private static void row(StringBuilder md, List<Point> points, List<String> keys,
            java.util.function.Function<String, String> cell) {
        row(md, points, keys, TYPES, cell);
    }

    /** One table row unless every cell is a dash. */
    private static void row(StringBuilder md, List<Point> points, List<String> keys, List<String> columns,
            java.util.function.Function<String, String> cell) {
        List<String> cells = columns.stream().map(cell).toList();
        if (cells.stream().allMatch(c -> c.equals("—"))) {
            return;
        }
        md.append("| ").append(String.join(" | ", keys)).append(" | ").append(String.join(" | ", cells)).append(" |\n");
    }

    private static String cell(Point p) {
        String v = Report.fmt(p.elPerNs());
        if (Double.isFinite(p.relError())) {
            v += String.format(Locale.ROOT, " ±%.0f%%", 100 * p.relError());
        }
        return v;
    }
}
