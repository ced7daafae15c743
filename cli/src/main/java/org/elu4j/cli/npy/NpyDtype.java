package org.elu4j.cli.npy;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * The element types elu4j reads from and writes to {@code .npy} files, each with the exact NumPy
 * {@code descr} string it has in a header.
 *
 * <p>{@code <f4}, {@code <f8} and {@code <f2} map one to one to elu4j's F32, F64 and F16.
 * bfloat16 has no NumPy dtype: files carry its bit patterns as {@code <u2} ({@link #UINT16}), which
 * this layer reads and writes like any other type; the command line accepts such a file only when
 * told that it holds bfloat16 ({@code --dtype bf16}).
 */
public enum NpyDtype {
    /** IEEE 754 binary32, little-endian: NumPy's {@code '<f4'} ({@code np.float32}). */
    FLOAT32("<f4", 4, "float32", ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)),
    /** IEEE 754 binary64, little-endian: NumPy's {@code '<f8'} ({@code np.float64}). */
    FLOAT64("<f8", 8, "float64", ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)),
    /** IEEE 754 binary16, little-endian: NumPy's {@code '<f2'} ({@code np.float16}). */
    FLOAT16("<f2", 2, "float16", ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)),
    /**
     * Unsigned 16-bit integers, little-endian: NumPy's {@code '<u2'} ({@code np.uint16}), the
     * usual carrier of bfloat16 bit patterns (NumPy has no bfloat16).
     */
    UINT16("<u2", 2, "uint16", ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));

    private final String descr;
    private final int byteSize;
    private final String numpyName;
    private final ValueLayout elementLayout;

    NpyDtype(String descr, int byteSize, String numpyName, ValueLayout elementLayout) {
        this.descr = descr;
        this.byteSize = byteSize;
        this.numpyName = numpyName;
        this.elementLayout = elementLayout;
    }

    /** The header's {@code descr} value, for example {@code <f4}. */
    public String descr() {
        return descr;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** NumPy's name of the type, for example {@code float32}. */
    public String numpyName() {
        return numpyName;
    }

    /**
     * The layout of one element in a mapped data segment: the file's byte order, and unaligned,
     * because a file whose header length is not a multiple of the element size still maps (NumPy's
     * own files start the data at a multiple of 64, or of 16 for old ones).
     */
    public ValueLayout elementLayout() {
        return elementLayout;
    }

    /** The type whose {@code descr} is exactly {@code descr}, if elu4j supports it. */
    public static Optional<NpyDtype> fromDescr(String descr) {
        for (NpyDtype t : values()) {
            if (t.descr.equals(descr)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /**
     * The one-line reason a {@code descr} string that {@link #fromDescr} does not know is refused,
     * for example {@code unsupported dtype '>f4' (big-endian float32); elu4j reads little-endian '<f4'}.
     */
    static String unsupportedMessage(String descr) {
        String expected = supportedList();
        if (descr.length() >= 2) {
            char order = descr.charAt(0);
            String kind = kindName(descr.substring(1));
            if (kind != null && "<>=|".indexOf(order) >= 0) {
                String sameTypeLittle = "<" + descr.substring(1);
                boolean supportedLittle = fromDescr(sameTypeLittle).isPresent();
                if (order == '>') {
                    return "unsupported dtype '" + descr + "' (big-endian " + kind + "); elu4j reads little-endian "
                            + (supportedLittle ? "'" + sameTypeLittle + "'" : expected)
                            + "; convert with a.astype('" + (supportedLittle ? sameTypeLittle : FLOAT32.descr) + "')";
                }
                if (order == '=' && supportedLittle) {
                    return "unsupported dtype '" + descr + "' (native byte order " + kind + "); elu4j reads "
                            + "explicitly little-endian '" + sameTypeLittle + "'";
                }
                return "unsupported dtype '" + descr + "' (" + kind + "); elu4j reads " + expected
                        + "; convert with a.astype('" + FLOAT32.descr + "')";
            }
        }
        return "unsupported dtype '" + descr + "'; elu4j reads " + expected;
    }

    static String supportedList() {
        return "float32 '<f4', float64 '<f8', float16 '<f2' or bfloat16 bits as uint16 '<u2'";
    }

    /** A readable name for a NumPy type code such as {@code f8} or {@code u2}, or null if unknown. */
    private static String kindName(String code) {
        if (code.isEmpty()) {
            return null;
        }
        char k = code.charAt(0);
        String digits = code.substring(1);
        if (digits.length() > 4 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        String bits = digits.isEmpty() ? "" : String.valueOf(Integer.parseInt(digits) * 8);
        return switch (k) {
            case 'f' -> "float" + bits;
            case 'i' -> "int" + bits;
            case 'u' -> "uint" + bits;
            case 'c' -> "complex" + bits;
            case 'b' -> "bool";
            case 'S', 'a' -> "byte string";
            case 'U' -> "unicode string";
            case 'V' -> "raw void bytes";
            case 'O' -> "Python object";
            case 'M' -> "datetime64";
            case 'm' -> "timedelta64";
            default -> null;
        };
    }
}
