package org.elu4j.cli.npy;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * The element types elu4j reads from and writes to {@code .npy} files, each with the exact NumPy
 * {@code descr} string it has in a header.
 *
 * <p>Only {@link #FLOAT32} exists today. Adding a type is adding a constant here: {@code <f8}
 * (float64) and {@code <f2} (float16) map one to one. bfloat16 has no NumPy dtype; files carry it
 * as {@code <u2}, so a future {@code BFLOAT16} constant would not be found by {@link #fromDescr}
 * but chosen by an explicit command-line option that reinterprets a {@code <u2} header.
 */
public enum NpyDtype {
    /** IEEE 754 binary32, little-endian: NumPy's {@code '<f4'} ({@code np.float32}). */
    FLOAT32("<f4", 4, "float32", ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));

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

    private static String supportedList() {
        StringBuilder sb = new StringBuilder();
        NpyDtype[] all = values();
        for (int i = 0; i < all.length; i++) {
            if (i > 0) {
                sb.append(i == all.length - 1 ? " or " : ", ");
            }
            sb.append(all[i].numpyName).append(" '").append(all[i].descr).append('\'');
        }
        return sb.toString();
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
