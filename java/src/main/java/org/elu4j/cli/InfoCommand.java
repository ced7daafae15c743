package org.elu4j.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.elu4j.Backend;
import org.elu4j.BackendStatus;
import org.elu4j.Elu4j;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.NativeLibraries;
import org.elu4j.internal.helper.HelperBackend;
import org.elu4j.internal.onednn.OneDnnBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code elu4j info}: what runs on this machine. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the backends available here, AUTO's choice and the native libraries in use.")
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
            out.printf("helper SIMD: %s (this CPU supports: %s)%n", HelperBackend.isaName(HelperBackend.bestIsa()),
                    Arrays.stream(HelperBackend.supportedIsas()).mapToObj(HelperBackend::isaName)
                            .collect(Collectors.joining(", ")));
        }
        if (provider.available(Backend.VECTOR) != null) {
            out.printf("Vector API: %s%n", provider.available(Backend.VECTOR).description());
        }
        out.println("native libraries:");
        printLibrary(out, "oneDNN", NativeLibraries.dnnl());
        printLibrary(out, "helper", NativeLibraries.helper());
    }

    private static void printLibrary(PrintWriter out, String name, NativeLibraries.Outcome outcome) {
        if (outcome.ok()) {
            out.printf("  %-7s %s (from %s)%n", name, outcome.library().path(), outcome.library().origin());
        } else {
            out.printf("  %-7s not loaded: %s%n", name, outcome.failure().getMessage());
        }
    }
}
