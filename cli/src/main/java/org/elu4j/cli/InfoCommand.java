package org.elu4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.elu4j.Backend;
import org.elu4j.BackendStatus;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.HelperStatus;
import org.elu4j.NativeLibraryStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code elu4j info}: what runs on this machine, rendered from the library's diagnostics ({@link Elu4j}). */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = "Show the backends available here, AUTO's choice, what each backend runs (function, type, forward/backward) and the native libraries in use.")
final class InfoCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("elu4j %s on %s %s, Java %s (%s)%n", Elu4j.VERSION, System.getProperty("os.name"),
                System.getProperty("os.arch"), Runtime.version(), System.getProperty("java.vm.vendor"));
        out.println("backends:");
        // info reports every backend as it runs (the helper's ISA level, oneDNN's version): link
        // and load them now, which Elu4j.backends() alone does not.
        for (Backend b : Backend.values()) {
            Elu4j.isAvailable(b);
        }
        List<BackendStatus> statuses = Elu4j.backends();
        for (BackendStatus s : statuses) {
            out.printf("  %-7s %-12s %s%n", s.backend().cliName(), s.available() ? "available" : "unavailable", s.detail());
        }
        out.printf("AUTO uses: %s%n", Elu4j.autoBackend().cliName());
        Optional<HelperStatus> helper = Elu4j.helper();
        out.println("AUTO plan:");
        autoPlan(helper).forEach(line -> out.println("  " + line));
        Elu4j.oneDnn().ifPresent(dnnl -> out.printf("oneDNN: version %s, effective CPU ISA %s, f32 ELU implementation %s, %s%n",
                dnnl.version(), dnnl.isa(), dnnl.implementation(), dnnl.executePath()));
        helper.ifPresent(h -> out.printf("helper SIMD: %s%s (this CPU supports: %s; pin with -D%s=portable|avx2|avx512 or %s)%n",
                h.active(), h.pinnedBy().map(p -> ", pinned by " + p).orElse(""), String.join(", ", h.supported()),
                HELPER_ISA_PROPERTY, HELPER_ISA_ENV));
        statuses.stream().filter(s -> s.backend() == Backend.VECTOR && s.available())
                .forEach(s -> out.printf("Vector API: %s%n", s.detail()));
        printCapabilities(out);
        out.println("native libraries:");
        for (NativeLibraryStatus lib : Elu4j.nativeLibraries()) {
            String name = lib.backend() == Backend.ONEDNN ? "oneDNN" : lib.backend().cliName();
            if (lib.loaded()) {
                out.printf("  %-7s %s (from %s)%n", name, lib.path().orElseThrow(), lib.detail());
            } else {
                out.printf("  %-7s not loaded: %s%n", name, lib.detail());
            }
        }
    }

    /** The setting that pins the helper's ISA level, as the README documents it (and its environment twin). */
    static final String HELPER_ISA_PROPERTY = "elu4j.helper.isa";
    static final String HELPER_ISA_ENV = "ELU4J_HELPER_ISA";

    /** The functions AUTO's plan walks: ELU, SELU, CELU(0.5) (input scale 2), ReLU, LeakyReLU(0.01). */
    private static final List<Elu> PLAN_FUNCTIONS = List.of(Elu.elu(1), Elu.selu(), Elu.celu(0.5), Elu.relu(),
            Elu.leakyRelu(0.01));

    /**
     * AUTO's plan, one line per kind of call, from {@link Elu#backendFor}: the backend of f32 ELU on
     * native and heap memory, then every function x type x direction cell grouped by the backend
     * that runs it (one line when one backend runs them all), then the serial and parallel modes.
     */
    static List<String> autoPlan(Optional<HelperStatus> helper) {
        Elu elu = Elu.elu();
        Backend onNative = elu.backendFor(DataType.F32, Elu.Direction.FORWARD, true);
        Backend onHeap = elu.backendFor(DataType.F32, Elu.Direction.FORWARD, false);
        List<String> lines = new ArrayList<>();
        lines.add("f32 ELU, native segments, any size: " + onNative.cliName());
        lines.add("f32 ELU, heap segments, any size: " + onHeap.cliName() + " (never onednn)");
        Map<String, List<String>> byBackend = new LinkedHashMap<>();
        for (boolean heap : new boolean[] {false, true}) {
            for (DataType type : DataType.values()) {
                for (Elu.Direction direction : Elu.Direction.values()) {
                    for (Elu e : PLAN_FUNCTIONS) {
                        if (direction == Elu.Direction.BACKWARD_FROM_OUTPUT && !e.hasBackwardFromOutput()) {
                            continue;
                        }
                        String b = e.backendFor(type, direction, !heap).cliName();
                        byBackend.computeIfAbsent(b + (heap ? " (heap memory)" : " (native memory)"),
                                k -> new ArrayList<>()).add(type.cliName() + " " + label(e) + " " + label(direction));
                    }
                }
            }
        }
        if (byBackend.size() == 2 && onNative == onHeap) {
            lines.add("every function (ELU, SELU, CELU, ReLU, LeakyReLU), type (f32, f64, bf16, f16) and direction "
                    + "(forward, backward from input or output), native or heap memory, any size: " + onNative.cliName());
        } else {
            byBackend.forEach((b, cells) -> lines.add(cells.size() + " function x type x direction cells (e.g. "
                    + cells.get(0) + "): " + b));
        }
        lines.add("serial (the default): one thread per call on every backend (oneDNN: elu4j.onednn.threads, default 1)");
        lines.add(helper.map(h -> "parallel (Elu.parallel()): helper on native segments of >= " + h.parallelMinElements()
                + " floats (the calling thread + the helper's worker pool); smaller calls and heap segments serial")
                .orElse("parallel (Elu.parallel()): serial, the helper is unavailable"));
        return List.copyOf(lines);
    }

    /** A function with its parameters, e.g. {@code elu(alpha=1.0)}, {@code leaky-relu(slope=0.01)}. */
    static String label(Elu e) {
        return switch (e.function()) {
            case RELU -> "relu";
            case LEAKY_RELU -> "leaky-relu(slope=" + e.alpha() + ")";
            case SELU -> "selu";
            case CELU -> "celu(alpha=" + e.alpha() + ")";
            case ELU -> e.scale() == 1 && e.inputScale() == 1 ? "elu(alpha=" + e.alpha() + ")"
                    : "elu(alpha=" + e.alpha() + ", scale=" + e.scale() + ", inputScale=" + e.inputScale() + ")";
        };
    }

    /** {@code forward}, {@code backward from input}, {@code backward from output}. */
    static String label(Elu.Direction d) {
        return switch (d) {
            case FORWARD -> "forward";
            case BACKWARD_FROM_INPUT -> "backward from input";
            case BACKWARD_FROM_OUTPUT -> "backward from output";
        };
    }

    /**
     * The functions the capability matrix shows: ELU and SELU at their usual parameters, CELU on
     * both sides of alpha = 1 (CELU(1) is ELU; oneDNN composes alpha > 1 and refuses alpha < 1),
     * ReLU and LeakyReLU at the CLI's default slope.
     */
    static final List<Elu> FUNCTIONS = List.of(Elu.elu(), Elu.selu(), Elu.celu(2), Elu.celu(0.5), Elu.relu(),
            Elu.leakyRelu(FunctionOptions.DEFAULT_SLOPE));

    /**
     * For every backend, function and type: whether it runs forward and backward here ("yes"), or
     * a numbered reason, listed below the matrix (reasons repeat a lot, so each is printed once).
     */
    private static void printCapabilities(PrintWriter out) {
        out.println("capabilities (forward/backward from input/backward from output per type; yes, or [n]: the "
                + "reason n below):");
        StringBuilder header = new StringBuilder(String.format("  %-7s %-16s", "backend", "function"));
        for (DataType t : DataType.values()) {
            header.append(String.format(" %-15s", t.cliName()));
        }
        out.println(header.toString().stripTrailing());
        Map<String, Integer> reasons = new LinkedHashMap<>();
        for (Backend b : Backend.values()) {
            if (b == Backend.AUTO) {
                continue;
            }
            if (!Elu4j.isAvailable(b)) {
                String why = Elu.elu().on(b).unsupportedReason(DataType.F32, Elu.Direction.FORWARD).orElseThrow();
                out.printf("  %-7s %-16s %s%n", b.cliName(), "(all)", why);
                continue;
            }
            for (Elu f : FUNCTIONS) {
                Elu e = f.on(b);
                String name = e.function().cliName() + (e.function() == Elu.Function.CELU ? "(" + e.alpha() + ")" : "");
                StringBuilder line = new StringBuilder(String.format("  %-7s %-16s", b.cliName(), name));
                for (DataType t : DataType.values()) {
                    StringBuilder cells = new StringBuilder();
                    for (Elu.Direction d : Elu.Direction.values()) {
                        cells.append(d == Elu.Direction.FORWARD ? "" : "/")
                                .append(e.unsupportedReason(t, d).map(why -> "[" + reasons.computeIfAbsent(why,
                                        k -> reasons.size() + 1) + "]").orElse("yes"));
                    }
                    line.append(String.format(" %-15s", cells));
                }
                out.println(line.toString().stripTrailing());
            }
        }
        reasons.forEach((why, n) -> out.printf("  [%d] %s%n", n, why));
        out.println("  (AUTO runs every call: it takes the first backend in its order that can, scalar at the end.)");
    }
}
