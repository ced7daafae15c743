package org.elu4j.cli;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.cli.npy.NpyArray;
import org.elu4j.cli.npy.NpyFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code elu4j apply IN.npy OUT.npy}: ELU of a float32 {@code .npy} file. The input is
 * memory-mapped; the output is written through a memory-mapped temporary file beside OUT and
 * renamed into place, so a failure never leaves a partial OUT.
 */
@Command(name = "apply", mixinStandardHelpOptions = true, description = {
        "Apply ELU to a NumPy .npy file (dtype <f4, C order, any shape) and write the result as .npy.",
        "The input is memory-mapped, the output is written to a temporary file and renamed into place."})
final class ApplyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", defaultValue = "auto", converter = BackendConverter.class,
            description = "auto, onednn, helper, vector or scalar (default: ${DEFAULT-VALUE}).")
    Backend backend;

    @Option(names = "--alpha", defaultValue = "1.0", description = "ELU alpha (default: ${DEFAULT-VALUE}).")
    float alpha;

    @Parameters(index = "0", paramLabel = "IN.npy", description = "Input array.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT.npy", description = "Output file (replaced atomically).")
    Path out;

    @Override
    public void run() {
        Elu elu = Elu.elu(alpha).on(backend);
        try (Arena arena = Arena.ofShared()) {
            NpyArray input = NpyFile.mapForRead(in, arena);
            NpyFile.writeAtomically(out, input.header().dtype(), input.shape(), data -> elu.apply(input.data(), data));
            spec.commandLine().getOut().printf("%s: ELU(alpha=%s) of %s %s array on %s -> %s%n", in, alpha,
                    input.header().shapeString(), input.header().dtype().numpyName(), backend.cliName(), out);
        }
    }

    /** Parses the backend names used everywhere on the command line. */
    static final class BackendConverter implements picocli.CommandLine.ITypeConverter<Backend> {
        @Override
        public Backend convert(String value) {
            return Backend.fromCliName(value);
        }
    }
}
