package org.elu4j;

/**
 * Element types elu4j computes on. {@link #BF16} and {@link #F16} are storage types: each value is
 * widened to float, the function is computed as for {@link #F32}, and the float result is rounded
 * to the storage type to nearest, ties to even (NaN stays NaN). {@link #F64} is computed in double.
 */
public enum DataType {
    /** IEEE 754 binary32, {@code float}. */
    F32(4, "f32"),
    /** IEEE 754 binary64, {@code double}. */
    F64(8, "f64"),
    /** bfloat16: the upper 16 bits of a float (8-bit exponent, 7-bit fraction), held in a {@code short}. */
    BF16(2, "bf16"),
    /** IEEE 754 binary16 (half precision, 5-bit exponent, 10-bit fraction), held in a {@code short}. */
    F16(2, "f16");

    private final int bytes;
    private final String cliName;

    DataType(int bytes, String cliName) {
        this.bytes = bytes;
        this.cliName = cliName;
    }

    /** {@return bytes per element: 4, 8, 2 or 2} */
    public int byteSize() {
        return bytes;
    }

    /** {@return the lower-case name used by the CLI ({@code f32}, {@code f64}, {@code bf16}, {@code f16})} */
    public String cliName() {
        return cliName;
    }

    /**
     * Parses a {@link #cliName()} (case-insensitive, surrounding blanks ignored).
     *
     * @param name a command-line name such as {@code bf16}
     * @return the type of that name
     * @throws IllegalArgumentException if no type has that name
     * @throws NullPointerException     if name is null
     */
    public static DataType fromCliName(String name) {
        for (DataType t : values()) {
            if (t.cliName.equalsIgnoreCase(name.trim())) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown data type '" + name + "': expected f32, f64, bf16 or f16");
    }
}
