package org.elu4j.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.elu4j.Backend;
import org.elu4j.BackendStatus;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.NativeLibraries;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.helper.HelperBackend;
import org.elu4j.internal.onednn.OneDnnBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code elu4j info}: what runs on this machine. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the backends available here, AUTO's choice, what each backend runs (function, type, forward/backward) and the native libraries in use.")
final class InfoCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("elu4j %s on %s %s, Java %s (%s)%n", Elu4j.VERSION, System.getProperty("os.name"),
                System.getProperty("os.arch"), Runtime.version(), System.getProperty("java.vm.vendor"));
        out.println("backends:");
        for (BackendStatus s : Elu4j.backends()) {
            out.printf("  %-7s %-12s %s%n", s.backend().cliName(), s.available() ? "available" : "unavailable", s.detail());
        }
        out.printf("AUTO uses: %s%n", Elu4j.autoBackend().cliName());
        BackendProvider provider = BackendProvider.get();
        out.println("AUTO plan:");
        provider.autoPlan().forEach(line -> out.println("  " + line));
        if (provider.available(Backend.ONEDNN) instanceof OneDnnBackend dnnl) {
            out.printf("oneDNN: version %s, effective CPU ISA %s, f32 ELU implementation %s, %s%n",
                    dnnl.version(), dnnl.isa(), dnnl.implementation(), dnnl.executePath());
        }
        if (provider.available(Backend.HELPER) != null) {
            String pin = HelperBackend.pinSource();
            out.printf("helper SIMD: %s%s (this CPU supports: %s; pin with -D%s=portable|avx2|avx512 or %s)%n",
                    HelperBackend.isaName(HelperBackend.activeIsa()), pin != null ? ", pinned by " + pin : "",
                    Arrays.stream(HelperBackend.supportedIsas()).mapToObj(HelperBackend::isaName)
                            .collect(Collectors.joining(", ")), HelperBackend.ISA_PROPERTY, HelperBackend.ISA_ENV);
        }
        if (provider.available(Backend.VECTOR) != null) {
            out.printf("Vector API: %s%n", provider.available(Backend.VECTOR).description());
        }
        printCapabilities(out, provider);
        out.println("native libraries:");
        printLibrary(out, "oneDNN", NativeLibraries.dnnl());
        printLibrary(out, "helper", NativeLibraries.helper());
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
    private static void printCapabilities(PrintWriter out, BackendProvider provider) {
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
            if (provider.available(b) == null) {
                String why = provider.whyNot(b, Op.elu(1), DataType.F32, Pass.FORWARD);
                out.printf("  %-7s %-16s %s%n", b.cliName(), "(all)", why);
                continue;
            }
            for (Elu e : FUNCTIONS) {
                Op op = opOf(e);
                String name = e.function().cliName() + (e.function() == Elu.Function.CELU ? "(" + e.alpha() + ")" : "");
                StringBuilder line = new StringBuilder(String.format("  %-7s %-16s", b.cliName(), name));
                for (DataType t : DataType.values()) {
                    String fwd = cell(provider.whyNot(b, op, t, Pass.FORWARD), reasons);
                    String bwdIn = cell(provider.whyNot(b, op, t, Pass.BACKWARD_FROM_INPUT), reasons);
                    String bwdOut = cell(provider.whyNot(b, op, t, Pass.BACKWARD_FROM_OUTPUT), reasons);
                    line.append(String.format(" %-15s", fwd + "/" + bwdIn + "/" + bwdOut));
                }
                out.println(line.toString().stripTrailing());
            }
        }
        reasons.forEach((why, n) -> out.printf("  [%d] %s%n", n, why));
        out.println("  (AUTO runs every call: it takes the first backend in its order that can, scalar at the end.)");
    }

    private static String cell(String whyNot, Map<String, Integer> reasons) {
        return whyNot == null ? "yes" : "[" + reasons.computeIfAbsent(whyNot, k -> reasons.size() + 1) + "]";
    }

    /** The backends' view of a function object. */
    static Op opOf(Elu e) {
        return switch (e.function()) {
            case RELU -> Op.relu();
            case LEAKY_RELU -> Op.leakyRelu(e.alpha());
            default -> Op.elu(e.alpha(), e.scale(), e.inputScale());
        };
    }

    private static void printLibrary(PrintWriter out, String name, NativeLibraries.Outcome outcome) {
        if (outcome.ok()) {
            out.printf("  %-7s %s (from %s)%n", name, outcome.library().path(), outcome.library().origin());
        } else {
            out.printf("  %-7s not loaded: %s%n", name, outcome.failure().getMessage());
        }
    }
}
