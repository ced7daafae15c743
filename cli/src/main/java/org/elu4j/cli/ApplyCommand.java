package org.elu4j.cli;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.cli.npy.NpyArray;
import org.elu4j.cli.npy.NpyFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code elu4j apply IN.npy OUT.npy}: a function of the family on a {@code .npy} file of float32,
 * float64, float16 or (as {@code <u2} with {@code --dtype bf16}) bfloat16, written in the same
 * dtype. The input is memory-mapped; the output is written through a memory-mapped temporary file
 * beside OUT and renamed into place, so a failure never leaves a partial OUT.
 */
@Command(name = "apply", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = {
        "Apply ELU, SELU, CELU, ReLU or LeakyReLU to a NumPy .npy file and write the result as .npy of the same dtype.",
        "Dtypes: <f4, <f8, <f2, and bfloat16 bit patterns as <u2 (with --dtype bf16); C order, any shape.",
        "The input is memory-mapped, the output is written to a temporary file and renamed into place."})
final class ApplyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", defaultValue = "auto", converter = BackendConverter.class,
            description = "auto, onednn, helper, vector or scalar (default: ${DEFAULT-VALUE}).")
    Backend backend;

    @Mixin
    FunctionOptions function;

    @Option(names = "--dtype", converter = NpyTypes.Converter.class, paramLabel = "T",
            description = "f32, f64, f16 or bf16 (default: the file's; bf16, for a <u2 file, must be given).")
    DataType dtype;

    @Parameters(index = "0", paramLabel = "IN.npy", description = "Input array.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT.npy", description = "Output file (replaced atomically).",
            converter = OutConverter.class)
    Path out;

    @Override
    public void run() {
        Elu elu = function.toElu(spec.commandLine()).on(backend);
        try (Arena arena = Arena.ofShared()) {
            NpyArray input = NpyFile.mapForRead(in, arena);
            DataType type = NpyTypes.typeOf(input, dtype);
            // before OUT's temporary file: a call the backend refuses fails here, not after writing it
            Backend runs = elu.backendFor(type, Elu.Direction.FORWARD, true);
            NpyFile.writeAtomically(out, NpyTypes.npyDtype(type), input.shape(),
                    data -> elu.apply(input.data(), data, type));
            spec.commandLine().getOut().printf("%s: %s of %s %s array on %s -> %s%n", in, FunctionOptions.describe(elu),
                    input.header().shapeString(), NpyTypes.describe(type), runs.cliName(), out);
        }
    }

    /**
     * An output file's name: refused when empty or ending in a '/' (a directory's name: as a Path
     * it would lose the slash, and a file of that name be created).
     */
    static final class OutConverter implements picocli.CommandLine.ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            if (value.isEmpty() || value.endsWith("/")) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' names no file");
            }
            return Path.of(value);
        }
    }

    /** Parses the backend names used everywhere on the command line. */
    static final class BackendConverter implements picocli.CommandLine.ITypeConverter<Backend> {
        @Override
        public Backend convert(String value) {
            try {
                return Backend.fromCliName(value);
            } catch (IllegalArgumentException e) { // a usage error, in picocli's words
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
