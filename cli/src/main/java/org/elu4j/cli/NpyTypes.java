package org.elu4j.cli;

import java.util.Locale;
import org.elu4j.DataType;
import org.elu4j.cli.npy.NpyArray;
import org.elu4j.cli.npy.NpyDtype;
import org.elu4j.cli.npy.NpyException;
import picocli.CommandLine;

/**
 * How the command line maps {@code .npy} dtypes to elu4j's {@link DataType}s: {@code <f4} is F32,
 * {@code <f8} F64, {@code <f2} F16, and {@code <u2} is BF16 bit patterns, only when
 * {@code --dtype bf16} says so (NumPy has no bfloat16). Nothing is ever converted: the output has
 * the input's dtype.
 */
final class NpyTypes {
    private NpyTypes() {
    }

    /** The file dtype that holds {@code type}. */
    static NpyDtype npyDtype(DataType type) {
        return switch (type) {
            case F32 -> NpyDtype.FLOAT32;
            case F64 -> NpyDtype.FLOAT64;
            case F16 -> NpyDtype.FLOAT16;
            case BF16 -> NpyDtype.UINT16;
        };
    }

    /**
     * The element type of an input file, given the {@code --dtype} option (null when not given).
     *
     * @throws NpyException (one line, naming the file) when the two disagree or a {@code <u2} file
     *                      comes without {@code --dtype bf16}
     */
    static DataType typeOf(NpyArray file, DataType requested) {
        NpyDtype d = file.header().dtype();
        DataType implied = switch (d) {
            case FLOAT32 -> DataType.F32;
            case FLOAT64 -> DataType.F64;
            case FLOAT16 -> DataType.F16;
            case UINT16 -> DataType.BF16;
        };
        if (requested == null) {
            if (d == NpyDtype.UINT16) {
                throw new NpyException(file.path(), "dtype '<u2' (uint16) is read only as bfloat16 bit patterns: "
                        + "pass --dtype bf16 if it holds bfloat16");
            }
            return implied;
        }
        if (requested != implied) {
            throw new NpyException(file.path(), "holds " + d.numpyName() + " '" + d.descr() + "', not "
                    + requested.cliName() + " (which elu4j reads from '" + npyDtype(requested).descr()
                    + "' files" + (requested == DataType.BF16 ? " of bfloat16 bit patterns" : "")
                    + "); elu4j does not convert: drop --dtype or convert the file with NumPy");
        }
        return requested;
    }

    /** The type's name for messages, e.g. {@code float32 '<f4'} or {@code bf16 '<u2'}. */
    static String describe(DataType type) {
        NpyDtype d = npyDtype(type);
        return (type == DataType.BF16 ? "bf16" : d.numpyName()) + " '" + d.descr() + "'";
    }

    /** Parses {@code --dtype}. */
    static final class Converter implements CommandLine.ITypeConverter<DataType> {
        @Override
        public DataType convert(String value) {
            try {
                return DataType.fromCliName(value.toLowerCase(Locale.ROOT));
            } catch (IllegalArgumentException e) { // a usage error, in picocli's words
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
