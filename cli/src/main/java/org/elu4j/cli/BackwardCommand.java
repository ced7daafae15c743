package org.elu4j.cli;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.cli.npy.NpyArray;
import org.elu4j.cli.npy.NpyException;
import org.elu4j.cli.npy.NpyFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code elu4j backward --from src|dst DY.npy X_OR_Y.npy OUT.npy}: the gradient
 * {@code dx = dy * f'(x)} from the forward's input x ({@code --from src}) or output y = f(x)
 * ({@code --from dst}). Both inputs must have the same shape and dtype; OUT gets them too, and is
 * written like {@code apply}'s (atomically, never partially).
 */
@Command(name = "backward", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = {
        "Compute the gradient dx = dy * f'(x) of a function of the family from two .npy files of the same shape and "
                + "dtype: the upstream gradient DY and either the forward's input X (--from src) or its output Y "
                + "(--from dst). Writes DX in the same dtype, atomically."})
final class BackwardCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "src|dst",
            description = "src: the second file is the forward's input x; dst: it is the forward's output y.")
    String from;

    @Option(names = "--backend", defaultValue = "auto", converter = ApplyCommand.BackendConverter.class,
            description = "auto, onednn, helper, vector or scalar (default: ${DEFAULT-VALUE}).")
    Backend backend;

    @Mixin
    FunctionOptions function;

    @Option(names = "--dtype", converter = NpyTypes.Converter.class, paramLabel = "T",
            description = "f32, f64, f16 or bf16 (default: the files'; bf16, for <u2 files, must be given).")
    DataType dtype;

    @Parameters(index = "0", paramLabel = "DY.npy", description = "Upstream gradient.")
    Path dyPath;

    @Parameters(index = "1", paramLabel = "X_OR_Y.npy", description = "The forward's input (--from src) or output (--from dst).")
    Path xyPath;

    @Parameters(index = "2", paramLabel = "OUT.npy", description = "Output gradient dx (replaced atomically).",
            converter = ApplyCommand.OutConverter.class)
    Path out;

    @Override
    public void run() {
        boolean fromOutput = switch (from.toLowerCase(Locale.ROOT)) {
            case "src" -> false;
            case "dst" -> true;
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "--from must be src (the forward's input) or dst (its output), not '" + from + "'");
        };
        Elu elu = function.toElu(spec.commandLine()).on(backend);
        if (fromOutput && !elu.hasBackwardFromOutput()) {
            // the library's own message says why, with the parameters
            elu.backwardFromOutput(0f, 0f);
        }
        try (Arena arena = Arena.ofShared()) {
            NpyArray dy = NpyFile.mapForRead(dyPath, arena);
            NpyArray xy = NpyFile.mapForRead(xyPath, arena);
            DataType type = NpyTypes.typeOf(dy, dtype);
            if (dy.header().dtype() != xy.header().dtype()) {
                throw new NpyException(xyPath, "dtype " + xy.header().dtype().numpyName() + " '" + xy.header().descr()
                        + "' differs from " + dyPath + "'s " + dy.header().dtype().numpyName() + " '"
                        + dy.header().descr() + "': backward needs both in the same dtype");
            }
            NpyTypes.typeOf(xy, type);
            if (!Arrays.equals(dy.shape(), xy.shape())) {
                throw new NpyException(xyPath, "shape " + xy.header().shapeString() + " differs from " + dyPath
                        + "'s " + dy.header().shapeString() + ": backward needs both of the same shape");
            }
            // before OUT's temporary file: a call the backend refuses fails here, not after writing it
            Backend runs = elu.backendFor(type, fromOutput ? Elu.Direction.BACKWARD_FROM_OUTPUT : Elu.Direction.BACKWARD_FROM_INPUT,
                    true);
            NpyFile.writeAtomically(out, NpyTypes.npyDtype(type), dy.shape(), dx -> {
                if (fromOutput) {
                    elu.backwardFromOutput(dy.data(), xy.data(), dx, type);
                } else {
                    elu.backwardFromInput(dy.data(), xy.data(), dx, type);
                }
            });
            spec.commandLine().getOut().printf("%s, %s: backward of %s from the %s, %s %s arrays on %s -> %s%n", dyPath,
                    xyPath, FunctionOptions.describe(elu), fromOutput ? "output" : "input", dy.header().shapeString(),
                    NpyTypes.describe(type), runs.cliName(), out);
        }
    }
}
