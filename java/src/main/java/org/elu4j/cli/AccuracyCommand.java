package org.elu4j.cli;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.elu4j.Backend;
import org.elu4j.BackendStatus;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.internal.accuracy.AccuracyScan;
import org.elu4j.internal.accuracy.AccuracyScan.Function;
import org.elu4j.internal.accuracy.AccuracyScan.Result;
import org.elu4j.internal.accuracy.AccuracyScan.Target;
import org.elu4j.internal.helper.HelperBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code elu4j accuracy}: the error of every backend on every negative float (or every N-th),
 * against a correctly rounded reference, plus bit-exactness on sampled positives, ±0 and NaNs.
 * See {@link AccuracyScan} for the walk and the reference.
 */
@Command(name = "accuracy", description = {
        "Measure ELU's error on every negative float (2^31 - 2^23 bit patterns, -inf included) against a "
                + "correctly rounded reference, per backend and alpha; sampled positives, +-0 and NaNs must come "
                + "back bit-exact.",
        "'all' is onednn, helper, vector and the helper at each ISA level this CPU supports; scalar is left out "
                + "unless named, because it computes the reference's own formula (and is slow).",
        "A full run costs about 90 CPU-seconds per alpha (about 45 s on 2 quiet cores), half of it in "
                + "helper/portable (which calls fmaf); --sample N walks every N-th pattern for a quick look."})
final class AccuracyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", split = ",", arity = "1..*", defaultValue = "all", paramLabel = "B",
            description = "onednn, helper, vector, scalar, auto, helper/<isa> (e.g. helper/avx2) or all "
                    + "(default: ${DEFAULT-VALUE}); repeatable or comma-separated.")
    List<String> backends;

    @Option(names = "--alpha", split = ",", arity = "1..*", defaultValue = "0.5,1,2", paramLabel = "A",
            description = "ELU alphas (default: ${DEFAULT-VALUE}).")
    List<Float> alphas;

    @Option(names = "--sample", defaultValue = "1", paramLabel = "N",
            description = "Walk every N-th negative bit pattern (-inf always included; default: ${DEFAULT-VALUE}, all).")
    long sample;

    @Option(names = "--threads", defaultValue = "2", paramLabel = "T",
            description = "Worker threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--markdown", description = "Print a Markdown table (for the README) instead of plain text.")
    boolean markdown;

    /** Only ELU today; a --function option chooses among AccuracyScan.Function's constants later. */
    private final Function function = Function.ELU;

    /** A row to print: a target that runs here, or a backend that does not and why. */
    private record Row(String name, String description, Target target) {
    }

    @Override
    public void run() {
        if (sample < 1) {
            throw new IllegalArgumentException("--sample must be at least 1, got " + sample);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }
        float[] alphaArray = new float[alphas.size()];
        for (int i = 0; i < alphaArray.length; i++) {
            alphaArray[i] = alphas.get(i);
            if (!Float.isFinite(alphaArray[i])) {
                throw new IllegalArgumentException("--alpha must be finite, got " + alphaArray[i]);
            }
        }
        List<Row> rows = rows(backends);
        List<Target> targets = rows.stream().filter(r -> r.target() != null).map(Row::target).toList();
        PrintWriter err = spec.commandLine().getErr();
        for (Target t : targets) {
            warmUpJit(t, alphaArray[0]);
        }
        AccuracyScan.Report report;
        try {
            report = AccuracyScan.run(function, alphaArray, targets, sample, threads, line -> {
                err.println("elu4j: accuracy: " + line);
                err.flush();
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (markdown) {
            printMarkdown(out, report, rows, alphaArray);
        } else {
            printText(out, report, rows, alphaArray);
        }
        out.flush();
    }

    /** The rows for the --backend values, in the order given, without duplicates. */
    private static List<Row> rows(List<String> names) {
        Map<String, Row> rows = new LinkedHashMap<>();
        Map<Backend, BackendStatus> statuses = new LinkedHashMap<>();
        for (BackendStatus s : Elu4j.backends()) {
            statuses.put(s.backend(), s);
        }
        for (String raw : names) {
            String name = raw.trim().toLowerCase(Locale.ROOT);
            if (name.equals("all")) {
                for (Backend b : List.of(Backend.ONEDNN, Backend.HELPER, Backend.VECTOR)) {
                    rows.putIfAbsent(b.cliName(), backendRow(b, statuses));
                }
                if (Elu4j.isAvailable(Backend.HELPER)) {
                    for (int isa : HelperBackend.supportedIsas()) {
                        Row r = isaRow(isa);
                        rows.putIfAbsent(r.name(), r);
                    }
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
            return new Row("auto", "AUTO, which runs " + chosen.cliName(),
                    new Target("auto", (alpha, src, dst) -> Elu.elu(alpha).apply(src, dst)));
        }
        BackendStatus s = statuses.get(b);
        if (!s.available()) {
            return new Row(b.cliName(), "unavailable: " + s.detail(), null);
        }
        return new Row(b.cliName(), s.detail(),
                new Target(b.cliName(), (alpha, src, dst) -> Elu.elu(alpha).on(b).apply(src, dst)));
    }

    private static Row isaRow(String isaName, Map<Backend, BackendStatus> statuses) {
        String name = "helper/" + isaName;
        if (!Elu4j.isAvailable(Backend.HELPER)) {
            return new Row(name, "unavailable: " + statuses.get(Backend.HELPER).detail(), null);
        }
        List<String> supported = new ArrayList<>();
        for (int isa : HelperBackend.supportedIsas()) {
            if (HelperBackend.isaName(isa).equalsIgnoreCase(isaName)) {
                return isaRow(isa);
            }
            supported.add("helper/" + HelperBackend.isaName(isa));
        }
        throw new IllegalArgumentException("'" + name + "' does not run on this CPU; it supports " + String.join(", ", supported));
    }

    private static Row isaRow(int isa) {
        HelperBackend helper = HelperBackend.forIsa(isa);
        String name = "helper/" + HelperBackend.isaName(isa);
        return new Row(name, helper.description(), new Target(name, (alpha, src, dst) -> helper.eluF32(src, dst, alpha)));
    }

    /**
     * The Vector API kernel runs thousands of times slower until C2 has compiled it, and a kernel
     * compiled in the middle of one huge call was measured to stay slow (see CompareCommand): so
     * each target first gets many calls on 64 floats, up to 20,000 calls or 3 s.
     */
    private static void warmUpJit(Target target, float alpha) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(64 * Float.BYTES, 64);
            MemorySegment y = arena.allocate(64 * Float.BYTES, 64);
            for (int i = 0; i < 64; i++) {
                x.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, -i * 0.25f);
            }
            long end = System.nanoTime() + 3_000_000_000L;
            for (int i = 0; i < 20_000 && System.nanoTime() < end; i++) {
                target.kernel().apply(alpha, x, y);
            }
        }
    }

    private String inputsLine(AccuracyScan.Report r) {
        return sample == 1
                ? String.format("%,d inputs: every negative float, 0x80000001..0xff7fffff (subnormals included), and -inf",
                        r.negativeInputs())
                : String.format("%,d inputs: every %,d-th negative float pattern from 0x80000001, and -inf",
                        r.negativeInputs(), sample);
    }

    private String specialsLine(AccuracyScan.Report r) {
        return String.format("specials: +0, -0, %,d NaN patterns and %,d positive floats (every %,d-th pattern, 1, MAX, "
                + "+inf) must come back bit for bit", r.nanInputs(), r.positiveInputs(), Math.max(1021, sample));
    }

    private String decidedLine(AccuracyScan.Report r, float[] alphas) {
        StringBuilder b = new StringBuilder("references decided in decimal (near a halfway point):");
        for (int a = 0; a < alphas.length; a++) {
            b.append(a == 0 ? " " : ", ").append(r.decidedInDecimal()[a]).append(" at alpha ").append(alphas[a]);
        }
        return b.toString();
    }

    /** Why scalar is missing, when it is. */
    private static String scalarNote(List<Row> rows) {
        return rows.stream().anyMatch(r -> r.name().equals("scalar")) ? ""
                : "scalar is not measured unless named (--backend scalar): it computes the reference's own formula"
                        + " (alpha * Math.expm1(x) in double, rounded once) and is the slowest backend";
    }

    private void printText(PrintWriter out, AccuracyScan.Report report, List<Row> rows, float[] alphas) {
        out.printf("%s accuracy, %s%n", function.cliName().toUpperCase(Locale.ROOT), inputsLine(report));
        function.referenceDescription().forEach(out::println);
        out.println(specialsLine(report));
        out.println(decidedLine(report, alphas));
        if (!scalarNote(rows).isEmpty()) {
            out.println(scalarNote(rows) + ".");
        }
        out.println("backends:");
        for (Row r : rows) {
            out.printf("  %-15s %s%n", r.name(), r.description());
        }
        out.printf("%-8s %-9s %-15s %8s  %-16s %-10s %14s  %-28s %-10s %9s  %s%n", "function", "alpha", "backend",
                "max ulp", "at x", "(bits)", "> 1 ulp", "correctly rounded", "max abs err", "ulp(a)", "positives, +-0, NaN");
        for (float alpha : alphas) {
            for (Row row : rows) {
                if (row.target() == null) {
                    out.printf("%-8s %-9s %-15s %s%n", function.cliName(), alpha, row.name(), row.description());
                    continue;
                }
                Result r = find(report, alpha, row.name());
                out.printf("%-8s %-9s %-15s %8s  %-16s %-10s %,14d  %-28s %-10.3g %9.2f  %s%n", function.cliName(), alpha,
                        r.target(), r.maxUlpText(), r.maxUlp() == 0 ? "-" : Float.toString(Float.intBitsToFloat(r.maxUlpBits())),
                        r.maxUlp() == 0 ? "-" : hex(r.maxUlpBits()), r.overOneUlp(), correct(r), r.maxAbsError(),
                        r.maxAbsError() / Math.ulp(alpha), r.specials());
            }
        }
        out.printf("%s in %.0f s on %d threads. 'ulp(a)' is the max abs err in units of ulp(alpha).%n",
                sample == 1 ? "Exhaustive" : "Sampled", report.nanos() / 1e9, threads);
    }

    private void printMarkdown(PrintWriter out, AccuracyScan.Report report, List<Row> rows, float[] alphas) {
        out.println("| function | α | backend | max ulp | at x (bits) | > 1 ulp | correctly rounded | max abs error "
                + "| positives, ±0, NaN |");
        out.println("|---|---:|---|---:|---|---:|---:|---:|---|");
        for (float alpha : alphas) {
            for (Row row : rows) {
                if (row.target() == null) {
                    out.printf("| %s | %s | `%s` | %s ||||||%n", function.cliName(), alpha, row.name(), row.description());
                    continue;
                }
                Result r = find(report, alpha, row.name());
                String at = r.maxUlp() == 0 ? "—"
                        : Float.intBitsToFloat(r.maxUlpBits()) + " (`" + hex(r.maxUlpBits()) + "`)";
                out.printf("| %s | %s | `%s` | %s | %s | %,d | %s | %.3g (%.2f ulp(α)) | %s |%n", function.cliName(), alpha,
                        r.target(), r.maxUlpText(), at, r.overOneUlp(), correct(r), r.maxAbsError(),
                        r.maxAbsError() / Math.ulp(alpha), r.specials());
            }
        }
        out.println();
        out.println(inputsLine(report) + ". " + specialsLine(report) + ".");
        out.println();
        for (String line : function.referenceDescription()) {
            out.println(line.strip());
        }
        out.println(decidedLine(report, alphas) + ".");
        if (!scalarNote(rows).isEmpty()) {
            out.println(Character.toUpperCase(scalarNote(rows).charAt(0)) + scalarNote(rows).substring(1) + ".");
        }
        out.println();
        out.println("Backends: " + String.join("; ", rows.stream().map(r -> "`" + r.name() + "` " + r.description()).toList())
                + ".");
        out.printf("%s in %.0f s on %d threads (`./elu4j accuracy --markdown%s`).%n", sample == 1 ? "Exhaustive" : "Sampled",
                report.nanos() / 1e9, threads, sample == 1 ? "" : " --sample " + sample);
    }

    private static Result find(AccuracyScan.Report report, float alpha, String target) {
        return report.results().stream()
                .filter(r -> Float.floatToIntBits(r.alpha()) == Float.floatToIntBits(alpha) && r.target().equals(target))
                .findFirst().orElseThrow();
    }

    private static String correct(Result r) {
        return String.format("%,d (%.4f%%)", r.correctlyRounded(), 100.0 * r.correctlyRounded() / r.inputs());
    }

    private static String hex(int bits) {
        return String.format("0x%08x", bits);
    }
}
