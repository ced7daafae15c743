package org.elu4j.cli;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.elu4j.Backend;
import org.elu4j.BackendStatus;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.HelperStatus;
import org.elu4j.cli.accuracy.AccuracyScan;
import org.elu4j.cli.accuracy.AccuracyScan.HalfResult;
import org.elu4j.cli.accuracy.AccuracyScan.Result;
import org.elu4j.cli.accuracy.AccuracyScan.Spec;
import org.elu4j.cli.accuracy.AccuracyScan.Target;
import org.elu4j.reference.Reference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code elu4j accuracy}: the error of every backend on every negative float (or every N-th), for
 * every function of the family, against a correctly rounded reference, plus bit-exactness on
 * sampled positives, ±0 and NaNs, and every bf16 and f16 pattern against the float reference
 * rounded to the type. See {@link AccuracyScan} and {@link Reference}. Every backend runs through the
 * library's public API; the helper at each ISA level through {@link Elu#onHelperIsa}.
 */
@Command(name = "accuracy", versionProvider = Main.Version.class, description = {
        "Measure the error of ELU, SELU, CELU, ReLU and LeakyReLU on every negative float (2^31 - 2^23 bit patterns, "
                + "-inf included) against a correctly rounded reference, per backend and function; sampled positives, "
                + "+-0 and NaNs must equal the reference bit for bit. Then every one of the 65,536 bf16 and f16 "
                + "patterns through each backend's bf16/f16 path, against the float reference rounded to the type.",
        "'all' is onednn, helper, vector and the helper at each ISA level this CPU supports; scalar is left out "
                + "unless named, because it computes the reference's own formula (and is slow). A backend that "
                + "cannot run a function or type gets a row with the reason.",
        "A full run costs about 90 CPU-seconds per function and parameter set (about 45 s on 2 quiet cores); "
                + "--sample N walks every N-th negative pattern for a quick look."})
final class AccuracyCommand implements Runnable {
    @CommandLine.Spec
    CommandSpec spec;

    @Option(names = "--backend", split = ",", arity = "1..*", defaultValue = "all", paramLabel = "B",
            description = "onednn, helper, vector, scalar, auto, helper/<isa> (e.g. helper/avx2) or all "
                    + "(default: ${DEFAULT-VALUE}); repeatable or comma-separated.")
    List<String> backends;

    @Option(names = "--function", split = ",", arity = "1..*", defaultValue = "all", paramLabel = "F",
            description = "elu, selu, celu, relu, leaky-relu or all (default: ${DEFAULT-VALUE}); repeatable or comma-separated.")
    List<String> functions;

    @Option(names = "--alpha", split = ",", arity = "1..*", paramLabel = "A",
            description = "alphas of elu and celu (default: 0.5,1,1.3,2 for elu, 0.5,0.7,1,2 for celu).")
    List<Double> alphas;

    @Option(names = "--scale", paramLabel = "S", description = "elu only: the scale of the general form (default 1).")
    Double scale;

    @Option(names = "--input-scale", paramLabel = "S", description = "elu only: the input scale of the general form (default 1).")
    Double inputScale;

    @Option(names = "--slope", split = ",", arity = "1..*", paramLabel = "S",
            description = "slopes of leaky-relu (default: 0.01).")
    List<Double> slopes;

    @Option(names = "--sample", defaultValue = "1", paramLabel = "N",
            description = "Walk every N-th negative f32 bit pattern (-inf always included; default: ${DEFAULT-VALUE}, all).")
    long sample;

    @Option(names = "--threads", defaultValue = "2", paramLabel = "T",
            description = "Worker threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--no-half", description = "Skip the bf16 and f16 checks.")
    boolean noHalf;

    @Option(names = {"-V", "--version"}, versionHelp = true, description = "Print version information and exit.")
    boolean version;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--markdown", description = "Print Markdown tables (for the README) instead of plain text.")
    boolean markdown;

    /**
     * The default alphas: the ones issue #11 promises ≤ 1 ulp for (ELU 1.3 and CELU 0.7 are not
     * powers of two, so their products round where 0.5, 1 and 2 are exact), plus 1.
     */
    static final List<Double> DEFAULT_ELU_ALPHAS = List.of(0.5, 1.0, 1.3, 2.0);
    static final List<Double> DEFAULT_CELU_ALPHAS = List.of(0.5, 0.7, 1.0, 2.0);

    /** A row to print: a target that runs here, or a backend that does not and why. */
    private record Row(String name, String description, Target target) {
    }

    @Override
    public void run() {
        // Option errors are usage errors (exit code 2), as picocli's own
        if (sample < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sample must be at least 1, got " + sample);
        }
        if (threads < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        }
        List<Spec> specs = specs();
        List<Row> rows;
        try {
            rows = rows(backends);
        } catch (IllegalArgumentException e) { // an unknown --backend name
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        List<Target> targets = rows.stream().filter(r -> r.target() != null).map(Row::target).toList();
        PrintWriter err = spec.commandLine().getErr();
        for (Target t : targets) {
            boolean first = true;
            for (Spec s : specs) {
                if (t.support().whyNot(s, DataType.F32) == null) {
                    warmUpJit(t, s, first);
                    first = false;
                }
            }
        }
        AccuracyScan.Report report;
        try {
            report = AccuracyScan.run(specs, targets, sample, threads, !noHalf, line -> {
                err.println("elu4j: accuracy: " + line);
                err.flush();
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (markdown) {
            printMarkdown(out, report, rows);
        } else {
            printText(out, report, rows);
        }
        out.flush();
    }

    /** The functions and parameter sets to measure, refusing parameters no chosen function takes. */
    List<Spec> specs() {
        CommandLine cl = spec.commandLine();
        Set<Elu.Function> chosen = new LinkedHashSet<>();
        for (String raw : functions) {
            String name = raw.trim().toLowerCase(Locale.ROOT);
            if (name.equals("all")) {
                chosen.addAll(List.of(Elu.Function.values()));
            } else {
                try {
                    chosen.add(Elu.Function.fromCliName(name));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(cl, e.getMessage());
                }
            }
        }
        String names = String.join(", ", chosen.stream().map(Elu.Function::cliName).toList());
        if (alphas != null && !chosen.contains(Elu.Function.ELU) && !chosen.contains(Elu.Function.CELU)) {
            throw new CommandLine.ParameterException(cl, "--alpha applies to elu and celu, not to " + names);
        }
        if ((scale != null || inputScale != null) && !chosen.contains(Elu.Function.ELU)) {
            throw new CommandLine.ParameterException(cl, (scale != null ? "--scale" : "--input-scale")
                    + " applies to elu only, not to " + names);
        }
        if (slopes != null && !chosen.contains(Elu.Function.LEAKY_RELU)) {
            throw new CommandLine.ParameterException(cl, "--slope applies to leaky-relu only, not to " + names);
        }
        List<Spec> specs = new ArrayList<>();
        try {
            addSpecs(chosen, specs);
        } catch (IllegalArgumentException e) { // a value the library refuses (NaN, infinite, CELU's 0): a usage error
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        return specs;
    }

    /** The specs of the chosen functions; a value given twice (--alpha 1,1.0) is one row, scanned once. */
    private void addSpecs(Set<Elu.Function> chosen, List<Spec> specs) {
        List<Double> elu = alphas == null ? DEFAULT_ELU_ALPHAS : alphas.stream().distinct().toList();
        List<Double> celu = alphas == null ? DEFAULT_CELU_ALPHAS : elu;
        for (Elu.Function f : chosen) {
            switch (f) {
                case ELU -> elu.forEach(alpha -> specs.add(Spec.of(scale == null && inputScale == null ? Elu.elu(alpha)
                        : Elu.elu(alpha, scale == null ? 1 : scale, inputScale == null ? 1 : inputScale))));
                case SELU -> specs.add(Spec.of(Elu.selu()));
                case CELU -> celu.forEach(alpha -> specs.add(Spec.of(Elu.celu(alpha))));
                case RELU -> specs.add(Spec.of(Elu.relu()));
                case LEAKY_RELU -> (slopes == null ? List.of(FunctionOptions.DEFAULT_SLOPE) : slopes.stream().distinct().toList())
                        .forEach(s -> specs.add(Spec.of(Elu.leakyRelu(s))));
            }
        }
    }

    /** The rows for the --backend values, in the order given, without duplicates. */
    private static List<Row> rows(List<String> names) {
        Map<String, Row> rows = new LinkedHashMap<>();
        Map<Backend, BackendStatus> statuses = new LinkedHashMap<>();
        for (String n : names) {
            String name = n.trim().toLowerCase(Locale.ROOT);
            for (Backend b : Backend.values()) {
                if (name.equals("all") || name.equals(b.cliName()) || name.startsWith("helper/") && b == Backend.HELPER) {
                    Elu4j.isAvailable(b); // link or load it, so backends() reports it as it runs (or why it failed)
                }
            }
        }
        for (BackendStatus s : Elu4j.backends()) {
            statuses.put(s.backend(), s);
        }
        for (String raw : names) {
            String name = raw.trim().toLowerCase(Locale.ROOT);
            if (name.equals("all")) {
                for (Backend b : List.of(Backend.ONEDNN, Backend.HELPER, Backend.VECTOR)) {
                    rows.putIfAbsent(b.cliName(), backendRow(b, statuses));
                }
                for (String level : Elu4j.helper().map(HelperStatus::supported).orElse(List.of())) {
                    Row r = isaRow(level);
                    rows.putIfAbsent(r.name(), r);
                }
            } else if (name.startsWith("helper/")) {
                rows.putIfAbsent(name, isaRow(name.substring("helper/".length()), statuses));
            } else {
                Backend b = Backend.fromCliName(name);
                rows.putIfAbsent(b.cliName(), backendRow(b, statuses));
            }
        }
        return List.copyOf(rows.values());
    }

    private static Row backendRow(Backend b, Map<Backend, BackendStatus> statuses) {
        if (b == Backend.AUTO) {
            Backend chosen = Elu4j.autoBackend();
            return new Row("auto", "AUTO (f32 ELU on " + chosen.cliName() + ")", new Target("auto", (s, type) -> null,
                    (s, type, src, dst) -> s.elu().apply(src, dst, type)));
        }
        BackendStatus s = statuses.get(b);
        if (!s.available()) {
            return new Row(b.cliName(), "unavailable: " + s.detail(), null);
        }
        return new Row(b.cliName(), s.detail(), new Target(b.cliName(),
                (sp, type) -> sp.elu().on(b).unsupportedReason(type, Elu.Direction.FORWARD).orElse(null),
                (sp, type, src, dst) -> sp.elu().on(b).apply(src, dst, type)));
    }

    private static Row isaRow(String isaName, Map<Backend, BackendStatus> statuses) {
        String name = "helper/" + isaName;
        if (!Elu4j.isAvailable(Backend.HELPER)) {
            return new Row(name, "unavailable: " + statuses.get(Backend.HELPER).detail(), null);
        }
        List<String> supported = new ArrayList<>();
        for (String level : Elu4j.helper().map(HelperStatus::supported).orElse(List.of())) {
            if (level.equalsIgnoreCase(isaName)) {
                return isaRow(level);
            }
            supported.add("helper/" + level);
        }
        throw new IllegalArgumentException("'" + name + "' does not run on this CPU; it supports " + String.join(", ", supported));
    }

    /** The helper pinned to one ISA level this CPU supports. */
    private static Row isaRow(String level) {
        String name = "helper/" + level;
        return new Row(name, "helper (" + level + ")", new Target(name,
                (sp, type) -> sp.elu().onHelperIsa(level).unsupportedReason(type, Elu.Direction.FORWARD).orElse(null),
                (sp, type, src, dst) -> sp.elu().onHelperIsa(level).apply(src, dst, type)));
    }

    /**
     * The Vector API kernel runs thousands of times slower until C2 has compiled it, and a kernel
     * compiled in the middle of one huge call was measured to stay slow (see CompareCommand): so
     * each target first gets many calls on 64 floats, up to 20,000 calls or 3 s for its first
     * function and 5,000 calls or 1 s for each other one.
     */
    private static void warmUpJit(Target target, Spec s, boolean first) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(64 * Float.BYTES, 64);
            MemorySegment y = arena.allocate(64 * Float.BYTES, 64);
            for (int i = 0; i < 64; i++) {
                x.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, -i * 0.25f);
            }
            long end = System.nanoTime() + (first ? 3_000_000_000L : 1_000_000_000L);
            int calls = first ? 20_000 : 5_000;
            for (int i = 0; i < calls && System.nanoTime() < end; i++) {
                target.kernel().apply(s, DataType.F32, x, y);
            }
        }
    }

    /** How the reference is computed; the bf16/f16 lines only where those types were checked. */
    static List<String> referenceDescription(boolean half) {
        List<String> f32 = List.of(
                "reference: for x < 0, c * expm1(x * s) with c = alpha * scale and s = input scale taken as exact doubles,",
                "  computed in double (Math.expm1 is specified within 1 double ulp) and rounded once to float; a double",
                "  within 16 of its ulps of a halfway point between two floats (it could round the wrong way) is decided",
                "  by an 80-digit BigDecimal expm1 with exact c and x * s. For |x * s| < 2^-60 it is c*t + c*t^2/2",
                "  (t = x * s), its side of a halfway point computed exactly from fma error terms. scale * x (x > 0),",
                "  slope * x and alpha * scale (at -inf) are products of two doubles rounded correctly (an fma decides",
                "  a double product that lands exactly on a halfway point). So the reference is the correctly rounded",
                "  float (error <= 0.5 ulp), given Math.expm1's documented bound; 'ulp' below counts floats between a",
                "  result and the reference, so 1 ulp there means less than 1.5 ulp from the exact value.");
        if (!half) {
            return f32;
        }
        List<String> lines = new ArrayList<>(f32);
        lines.add("bf16/f16: every one of the 65,536 patterns, widened exactly; the reference is the float reference");
        lines.add("  rounded to the type to nearest even (elu4j's definition of those types); a NaN for a NaN matches.");
        return lines;
    }

    private String inputsLine(AccuracyScan.Report r) {
        return sample == 1
                ? String.format("%,d f32 inputs: every negative float, 0x80000001..0xff7fffff (subnormals included), and -inf",
                        r.negativeInputs())
                : String.format("%,d f32 inputs: every %,d-th negative float pattern from 0x80000001, and -inf",
                        r.negativeInputs(), sample);
    }

    private String specialsLine(AccuracyScan.Report r) {
        return String.format("specials: +0, -0, %,d NaN patterns and %,d positive floats (every %,d-th pattern, 1, MAX, "
                + "+inf) must equal the reference bit for bit", r.nanInputs(), r.positiveInputs(), Math.max(1021, sample));
    }

    private static String decidedLine(AccuracyScan.Report r) {
        StringBuilder b = new StringBuilder("references decided in decimal (near a halfway point):");
        for (int k = 0; k < r.specs().size(); k++) {
            b.append(k == 0 ? " " : ", ").append(r.decidedInDecimal()[k]).append(" for ").append(r.specs().get(k));
        }
        return b.toString();
    }

    /** Why scalar is missing, when it is. */
    private static String scalarNote(List<Row> rows) {
        return rows.stream().anyMatch(r -> r.name().equals("scalar")) ? ""
                : "scalar is not measured unless named (--backend scalar): it computes the reference's own formula"
                        + " (in double, rounded once) and is the slowest backend";
    }

    private static String unit(Spec s, Result r) {
        return s.coefficient() == 0 ? "-" : String.format("%.2f", r.maxAbsError() / Math.ulp((float) s.coefficient()));
    }

    private static String half(HalfResult h) {
        return h.mismatches() == 0 ? "—"
                : h.maxUnitsText() + " at " + at(h.type(), h.worstBits());
    }

    private static String at(DataType type, int bits) {
        float x = type == DataType.BF16 ? Reference.bf16ToFloat((short) bits) : Float.float16ToFloat((short) bits);
        return x + " (" + String.format("0x%04x", bits) + ")";
    }

    private void printText(PrintWriter out, AccuracyScan.Report report, List<Row> rows) {
        out.printf("Accuracy of %s; %s%n", String.join(", ", report.specs().stream().map(Spec::toString).toList()),
                inputsLine(report));
        referenceDescription(!noHalf).forEach(out::println);
        out.println(specialsLine(report));
        out.println(decidedLine(report));
        if (!scalarNote(rows).isEmpty()) {
            out.println(scalarNote(rows) + ".");
        }
        out.println("backends:");
        for (Row r : rows) {
            out.printf("  %-15s %s%n", r.name(), r.description());
        }
        out.println("f32:");
        out.printf("%-10s %-14s %-15s %8s  %-16s %-10s %14s  %-28s %-10s %9s  %s%n", "function", "parameters", "backend",
                "max ulp", "at x", "(bits)", "> 1 ulp", "correctly rounded", "max abs err", "ulp(c)", "positives, +-0, NaN");
        for (Spec s : report.specs()) {
            for (Row row : rows) {
                String fn = s.function().cliName();
                if (row.target() == null) {
                    out.printf("%-10s %-14s %-15s %s%n", fn, s.label(), row.name(), row.description());
                    continue;
                }
                var skip = report.skip(s, DataType.F32, row.name());
                if (skip.isPresent()) {
                    out.printf("%-10s %-14s %-15s cannot run: %s%n", fn, s.label(), row.name(), skip.get().reason());
                    continue;
                }
                Result r = report.result(s, row.name()).orElseThrow();
                out.printf("%-10s %-14s %-15s %8s  %-16s %-10s %,14d  %-28s %-10.3g %9s  %s%n", fn, s.label(),
                        r.target(), r.maxUlpText(), r.maxUlp() == 0 ? "-" : Float.toString(Float.intBitsToFloat(r.maxUlpBits())),
                        r.maxUlp() == 0 ? "-" : hex(r.maxUlpBits()), r.overOneUlp(), correct(r), r.maxAbsError(),
                        unit(s, r), r.specials());
            }
        }
        if (!noHalf) {
            out.println("bf16 and f16 (all 65,536 patterns; mismatches with the reference, max units off at x):");
            out.printf("%-10s %-14s %-5s %-15s %10s  %s%n", "function", "parameters", "type", "backend", "mismatches",
                    "max units off at x (bits)");
            for (Spec s : report.specs()) {
                for (DataType type : List.of(DataType.BF16, DataType.F16)) {
                    for (Row row : rows) {
                        String fn = s.function().cliName();
                        if (row.target() == null) {
                            out.printf("%-10s %-14s %-5s %-15s %s%n", fn, s.label(), type.cliName(), row.name(), row.description());
                            continue;
                        }
                        var skip = report.skip(s, type, row.name());
                        if (skip.isPresent()) {
                            out.printf("%-10s %-14s %-5s %-15s cannot run: %s%n", fn, s.label(), type.cliName(), row.name(),
                                    skip.get().reason());
                            continue;
                        }
                        HalfResult h = report.half(s, type, row.name()).orElseThrow();
                        out.printf("%-10s %-14s %-5s %-15s %,10d  %s%n", fn, s.label(), type.cliName(), row.name(),
                                h.mismatches(), half(h));
                    }
                }
            }
        }
        out.printf("%s in %.0f s on %d threads. 'ulp(c)' is the max abs err in units of ulp(c), c = |alpha * scale| "
                + "or |slope|.%n", sample == 1 ? "Exhaustive" : "Sampled", report.nanos() / 1e9, threads);
    }

    private void printMarkdown(PrintWriter out, AccuracyScan.Report report, List<Row> rows) {
        out.println("| function | parameters | backend | max ulp | at x (bits) | > 1 ulp | correctly rounded | max abs error "
                + "| positives, ±0, NaN |");
        out.println("|---|---|---|---:|---|---:|---:|---:|---|");
        for (Spec s : report.specs()) {
            String fn = s.function().cliName();
            for (Row row : rows) {
                if (row.target() == null) {
                    out.printf("| %s | %s | `%s` | %s ||||||%n", fn, s.markdownLabel(), row.name(), row.description());
                    continue;
                }
                var skip = report.skip(s, DataType.F32, row.name());
                if (skip.isPresent()) {
                    out.printf("| %s | %s | `%s` | cannot run: %s ||||||%n", fn, s.markdownLabel(), row.name(),
                            skip.get().reason());
                    continue;
                }
                Result r = report.result(s, row.name()).orElseThrow();
                String at = r.maxUlp() == 0 ? "—"
                        : Float.intBitsToFloat(r.maxUlpBits()) + " (`" + hex(r.maxUlpBits()) + "`)";
                String abs = s.coefficient() == 0 ? String.format("%.3g", r.maxAbsError())
                        : String.format("%.3g (%s ulp(c))", r.maxAbsError(), unit(s, r));
                out.printf("| %s | %s | `%s` | %s | %s | %,d | %s | %s | %s |%n", fn, s.markdownLabel(), r.target(),
                        r.maxUlpText(), at, r.overOneUlp(), correct(r), abs, r.specials());
            }
        }
        out.println();
        out.println(inputsLine(report) + ". " + specialsLine(report) + ".");
        if (!noHalf) {
            out.println();
            out.println("| function | parameters | type | backend | ≠ reference (of 65,536) | max units off at x (bits) |");
            out.println("|---|---|---|---|---:|---|");
            for (Spec s : report.specs()) {
                String fn = s.function().cliName();
                for (DataType type : List.of(DataType.BF16, DataType.F16)) {
                    for (Row row : rows) {
                        if (row.target() == null) {
                            continue; // said in the f32 table
                        }
                        var skip = report.skip(s, type, row.name());
                        if (skip.isPresent()) {
                            out.printf("| %s | %s | %s | `%s` | cannot run: %s ||%n", fn, s.markdownLabel(), type.cliName(),
                                    row.name(), skip.get().reason());
                            continue;
                        }
                        HalfResult h = report.half(s, type, row.name()).orElseThrow();
                        out.printf("| %s | %s | %s | `%s` | %,d | %s |%n", fn, s.markdownLabel(), type.cliName(), row.name(),
                                h.mismatches(), half(h).replace("(0x", "(`0x").replaceAll("\\)$", "`)"));
                    }
                }
            }
        }
        out.println();
        for (String line : referenceDescription(!noHalf)) {
            out.println(line.strip());
        }
        out.println(decidedLine(report) + ".");
        if (!scalarNote(rows).isEmpty()) {
            out.println(Character.toUpperCase(scalarNote(rows).charAt(0)) + scalarNote(rows).substring(1) + ".");
        }
        out.println();
        out.println("Backends: " + String.join("; ", rows.stream().map(r -> "`" + r.name() + "` " + r.description()).toList())
                + ".");
        out.printf("%s in %.0f s on %d threads (`./elu4j accuracy --markdown%s`).%n", sample == 1 ? "Exhaustive" : "Sampled",
                report.nanos() / 1e9, threads, sample == 1 ? "" : " --sample " + sample);
    }

    private static String correct(Result r) {
        return String.format("%,d (%.4f%%)", r.correctlyRounded(), 100.0 * r.correctlyRounded() / r.inputs());
    }

    private static String hex(int bits) {
        return String.format("0x%08x", bits);
    }
}
