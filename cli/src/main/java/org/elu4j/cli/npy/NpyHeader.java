package org.elu4j.cli.npy;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The header of a {@code .npy} file (NumPy format versions 1.0, 2.0 and 3.0).
 *
 * <p>A file is the 6-byte magic {@code \x93NUMPY}, a major and a minor version byte, the header
 * length as a little-endian unsigned integer (2 bytes in version 1.0, 4 in 2.0 and 3.0), then that
 * many bytes of header text: a Python dict literal such as
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}, padded with spaces and ending
 * in {@code '\n'}; the text is latin-1 in versions 1.0 and 2.0 and UTF-8 in 3.0. The array's bytes
 * follow at {@link #dataOffset()}.
 *
 * @param dtype the element type (the header's {@code descr})
 * @param fortranOrder whether the data is in column-major order
 * @param shape the dimensions; empty for a scalar (one element); a 0 anywhere means no elements
 * @param version the format's major version, 1, 2 or 3 (the minor version is always 0)
 * @param headerLength the value of the header length field: the bytes of header text, padding
 *     and final newline included
 */
public record NpyHeader(NpyDtype dtype, boolean fortranOrder, long[] shape, int version, int headerLength) {

    /** The 6 bytes every {@code .npy} file starts with. */
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** NumPy aligns the start of the data to this many bytes (16 in files from before NumPy 1.14). */
    public static final int ARRAY_ALIGN = 64;

    /** Headers longer than this are refused when reading (NumPy refuses more than 10,000 by default). */
    public static final int MAX_HEADER_LENGTH = 1 << 20;

    /** NumPy leaves room for this many digits in the growth axis when it writes a header. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;

    private static final int V1_MAX_HEADER_LENGTH = 0xFFFF;

    public NpyHeader {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension " + d + " in shape " + shapeString(shape));
            }
        }
        if (version < 1 || version > 3) {
            throw new IllegalArgumentException(".npy version must be 1, 2 or 3, not " + version);
        }
        if (headerLength < 0 || (version == 1 && headerLength > V1_MAX_HEADER_LENGTH)) {
            throw new IllegalArgumentException("header length " + headerLength + " does not fit version " + version + ".0");
        }
        String tooLarge = sizeProblem(dtype, shape);
        if (tooLarge != null) {
            throw new IllegalArgumentException(tooLarge);
        }
    }

    /**
     * The header NumPy would write for a C-order array of this type and shape: version 1.0 unless
     * the header text does not fit in it, then 2.0.
     */
    public static NpyHeader of(NpyDtype dtype, long... shape) {
        return of(dtype, false, shape);
    }

    /** Like {@link #of(NpyDtype, long...)}, with the order given. */
    public static NpyHeader of(NpyDtype dtype, boolean fortranOrder, long[] shape) {
        byte[] text = dictText(dtype, fortranOrder, shape).getBytes(StandardCharsets.ISO_8859_1);
        int v = canonicalLength(text.length, 1) <= V1_MAX_HEADER_LENGTH ? 1 : 2;
        return new NpyHeader(dtype, fortranOrder, shape, v, Math.toIntExact(canonicalLength(text.length, v)));
    }

    /**
     * The header NumPy writes with {@code np.lib.format.write_array(f, a, version=(version, 0))}.
     *
     * @throws IllegalArgumentException if the header does not fit in that version
     */
    public static NpyHeader of(NpyDtype dtype, boolean fortranOrder, long[] shape, int version) {
        if (version < 1 || version > 3) {
            throw new IllegalArgumentException(".npy version must be 1, 2 or 3, not " + version);
        }
        byte[] text = dictText(dtype, fortranOrder, shape).getBytes(
                version == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        long length = canonicalLength(text.length, version);
        if (version == 1 && length > V1_MAX_HEADER_LENGTH) {
            throw new IllegalArgumentException("header of " + length + " bytes is too long for .npy version 1.0");
        }
        return new NpyHeader(dtype, fortranOrder, shape, version, Math.toIntExact(length));
    }

    /** The dimensions (a copy). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The header's {@code descr} string, for example {@code <f4}. */
    public String descr() {
        return dtype.descr();
    }

    /** The number of dimensions; 0 for a scalar. */
    public int ndim() {
        return shape.length;
    }

    /** The length of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    /** The number of elements: the product of the dimensions, 1 for a scalar, 0 if any is 0. */
    public long elementCount() {
        return elementCount(shape);
    }

    /** The bytes of array data: {@code elementCount() * dtype().byteSize()}. */
    public long dataBytes() {
        return elementCount() * dtype.byteSize();
    }

    /** Bytes from the start of the file to the data: magic, version, length field and header text. */
    public long dataOffset() {
        return prefixLength(version) + (long) headerLength;
    }

    /** The shape as Python writes a tuple: {@code ()}, {@code (5,)}, {@code (2, 3)}. */
    public String shapeString() {
        return shapeString(shape);
    }

    /**
     * The whole header, magic to final newline, as NumPy writes it for this type, order, shape and
     * version: {@link #dataOffset()} bytes, a multiple of {@link #ARRAY_ALIGN}.
     *
     * @throws IllegalStateException if this header's length is not the one NumPy would write (a
     *     header read from a file of another writer); use {@link #of(NpyDtype, boolean, long[])}
     */
    public byte[] toBytes() {
        byte[] text = dictText(dtype, fortranOrder, shape).getBytes(
                version == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        long length = canonicalLength(text.length, version);
        if (length != headerLength) {
            throw new IllegalStateException("header length " + headerLength + " is not the " + length
                    + " NumPy writes for " + this + "; build the header with NpyHeader.of");
        }
        int prefix = prefixLength(version);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(prefix + length)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) version).put((byte) 0);
        if (version == 1) {
            b.putShort((short) length);
        } else {
            b.putInt((int) length);
        }
        b.put(text);
        while (b.remaining() > 1) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        return b.array();
    }

    /**
     * Reads a header from the start of a file's bytes ({@code bytes} may hold more than the header).
     * The {@link NpyException} it throws names no file.
     */
    public static NpyHeader parse(byte[] bytes) {
        int prefix = checkPrefix(bytes, bytes.length, bytes.length);
        int version = bytes[6];
        long length = headerLengthField(bytes, version);
        checkHeaderLength(length, bytes.length - prefix);
        return parseText(bytes, prefix, (int) length, version);
    }

    // ---------------------------------------------------------------- reading, used by NpyFile too

    /** Bytes before the header text: magic, 2 version bytes, and the 2- or 4-byte length field. */
    static int prefixLength(int version) {
        return MAGIC.length + 2 + (version == 1 ? 2 : 4);
    }

    /**
     * Checks magic and version in the first {@code available} bytes of {@code start} (at least the
     * first 8 bytes of a file of {@code fileSize} bytes, when it has them) and returns the prefix
     * length for that version.
     */
    static int checkPrefix(byte[] start, int available, long fileSize) {
        if (fileSize == 0) {
            throw new NpyException(null, "not a .npy file (the file is empty)");
        }
        int n = Math.min(available, MAGIC.length);
        for (int i = 0; i < n; i++) {
            if (start[i] != MAGIC[i]) {
                if (available >= 4 && start[0] == 'P' && start[1] == 'K' && start[2] == 3 && start[3] == 4) {
                    throw new NpyException(null, "not a .npy file (bad magic; it is a zip archive, perhaps an .npz: "
                            + "save one array with np.save)");
                }
                throw new NpyException(null, "not a .npy file (bad magic)");
            }
        }
        if (available < MAGIC.length + 2) {
            throw new NpyException(null, "truncated: the file has only " + fileSize + " bytes, too few for a .npy header");
        }
        int major = Byte.toUnsignedInt(start[6]);
        int minor = Byte.toUnsignedInt(start[7]);
        if (major < 1 || major > 3 || minor != 0) {
            throw new NpyException(null, "unsupported .npy version " + major + "." + minor
                    + "; elu4j reads versions 1.0, 2.0 and 3.0");
        }
        int prefix = prefixLength(major);
        if (available < prefix) {
            throw new NpyException(null, "truncated: the file has only " + fileSize + " bytes, too few for a .npy header");
        }
        return prefix;
    }

    static long headerLengthField(byte[] start, int version) {
        ByteBuffer b = ByteBuffer.wrap(start, 8, version == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        return version == 1 ? Short.toUnsignedInt(b.getShort()) : Integer.toUnsignedLong(b.getInt());
    }

    static void checkHeaderLength(long length, long bytesAfterPrefix) {
        if (length > MAX_HEADER_LENGTH) {
            throw new NpyException(null, "corrupt header: header length " + length + " is over elu4j's limit of "
                    + MAX_HEADER_LENGTH + " bytes");
        }
        if (length > bytesAfterPrefix) {
            throw new NpyException(null, "truncated: the header length field says " + length
                    + " bytes of header but only " + bytesAfterPrefix + " bytes follow it");
        }
    }

    /** Decodes and parses {@code length} bytes of header text at {@code offset}. */
    static NpyHeader parseText(byte[] bytes, int offset, int length, int version) {
        String text;
        if (version == 3) {
            try {
                text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes, offset, length))
                        .toString();
            } catch (CharacterCodingException e) {
                throw new NpyException(null, "corrupt header: a version 3.0 header must be UTF-8 text", e);
            }
        } else {
            text = new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
        }
        return fromDict(text, version, length);
    }

    private static NpyHeader fromDict(String text, int version, int headerLength) {
        PyLiteral.Value top;
        try {
            top = PyLiteral.parse(text);
        } catch (PyLiteral.SyntaxError e) {
            throw corrupt(e.getMessage() + " at character " + e.offset + " of " + excerpt(text));
        }
        if (!(top instanceof PyLiteral.Dict dict)) {
            throw corrupt("the header is not a dictionary: " + excerpt(text));
        }
        PyLiteral.Value descr = null;
        PyLiteral.Value fortran = null;
        PyLiteral.Value shapeValue = null;
        for (PyLiteral.Entry e : dict.entries()) {
            if (!(e.key() instanceof PyLiteral.Str(String key))) {
                throw corrupt("key " + PyLiteral.abbreviate(e.key().toString(), 40) + " is not a string in " + excerpt(text));
            }
            PyLiteral.Value previous = switch (key) {
                case "descr" -> descr;
                case "fortran_order" -> fortran;
                case "shape" -> shapeValue;
                default -> throw corrupt("unexpected key " + PyLiteral.abbreviate(PyLiteral.quote(key), 40)
                        + " (a .npy header has exactly 'descr', 'fortran_order' and 'shape')");
            };
            if (previous != null) {
                throw corrupt("duplicate key '" + key + "'");
            }
            switch (key) {
                case "descr" -> descr = e.value();
                case "fortran_order" -> fortran = e.value();
                default -> shapeValue = e.value();
            }
        }
        if (descr == null || fortran == null || shapeValue == null) {
            String missing = descr == null ? "descr" : fortran == null ? "fortran_order" : "shape";
            throw corrupt("missing key '" + missing + "' in " + excerpt(text));
        }
        if (!(fortran instanceof PyLiteral.Bool(boolean fortranOrder))) {
            throw corrupt("'fortran_order' must be True or False, not " + PyLiteral.abbreviate(fortran.toString(), 40));
        }
        long[] shape = shapeOf(shapeValue);
        NpyDtype dtype = dtypeOf(descr);
        String tooLarge = sizeProblem(dtype, shape);
        if (tooLarge != null) {
            throw new NpyException(null, tooLarge);
        }
        return new NpyHeader(dtype, fortranOrder, shape, version, headerLength);
    }

    private static long[] shapeOf(PyLiteral.Value v) {
        if (!(v instanceof PyLiteral.Tuple(var items))) {
            throw corrupt("'shape' must be a tuple of integers, not " + PyLiteral.abbreviate(v.toString(), 60));
        }
        long[] shape = new long[items.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(items.get(i) instanceof PyLiteral.Int(BigInteger d))) {
                throw corrupt("'shape' must be a tuple of integers, not " + PyLiteral.abbreviate(v.toString(), 60));
            }
            if (d.signum() < 0) {
                throw corrupt("negative dimension " + PyLiteral.abbreviate(d.toString(), 25) + " in shape "
                        + PyLiteral.abbreviate(v.toString(), 60));
            }
            if (d.bitLength() > 63) {
                throw corrupt("dimension " + PyLiteral.abbreviate(d.toString(), 25) + " in shape "
                        + PyLiteral.abbreviate(v.toString(), 60) + " is too large");
            }
            shape[i] = d.longValue();
        }
        return shape;
    }

    private static NpyDtype dtypeOf(PyLiteral.Value v) {
        if (v instanceof PyLiteral.Str(String descr)) {
            return NpyDtype.fromDescr(descr).orElseThrow(() -> new NpyException(null,
                    NpyDtype.unsupportedMessage(PyLiteral.abbreviate(descr, 40))));
        }
        if (v instanceof PyLiteral.PyList) {
            throw new NpyException(null, "unsupported dtype: structured arrays (" + PyLiteral.abbreviate(v.toString(), 60)
                    + ") are not supported; elu4j reads plain arrays of " + NpyDtype.supportedList());
        }
        throw corrupt("'descr' must be a string, not " + PyLiteral.abbreviate(v.toString(), 40));
    }

    private static NpyException corrupt(String what) {
        return new NpyException(null, "corrupt header: " + what);
    }

    /** The header text shortened and escaped for a one-line message. */
    private static String excerpt(String text) {
        String t = text.stripTrailing();
        return PyLiteral.quote(PyLiteral.abbreviate(t, 100));
    }

    // ---------------------------------------------------------------- sizes and text

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d == 0) {
                return 0;
            }
        }
        for (long d : shape) {
            n *= d; // checked by sizeProblem when the header was made
        }
        return n;
    }

    /** Why an array of this shape cannot be a file of this type, or null if it can. */
    private static String sizeProblem(NpyDtype dtype, long[] shape) {
        // The product of the dimensions that are not 0, as NumPy checks it: a zero-size array
        // with impossible other dimensions is refused too (NumPy could not load it back).
        long bytes = dtype.byteSize();
        for (long d : shape) {
            if (d == 0) {
                continue;
            }
            try {
                bytes = Math.multiplyExact(bytes, d);
            } catch (ArithmeticException e) {
                return "array too large: shape " + PyLiteral.abbreviate(shapeString(shape), 80) + " of "
                        + dtype.numpyName() + " needs more than " + Long.MAX_VALUE + " bytes";
            }
        }
        return null;
    }

    /** The header dict exactly as NumPy writes it, with its spare room for growth, without padding. */
    private static String dictText(NpyDtype dtype, boolean fortranOrder, long[] shape) {
        StringBuilder sb = new StringBuilder(96);
        sb.append("{'descr': ").append(PyLiteral.quote(dtype.descr()))
                .append(", 'fortran_order': ").append(fortranOrder ? "True" : "False")
                .append(", 'shape': ").append(shapeString(shape))
                .append(", }");
        if (shape.length > 0) {
            long growthAxis = shape[fortranOrder ? shape.length - 1 : 0];
            int spare = GROWTH_AXIS_MAX_DIGITS - Long.toString(growthAxis).length();
            sb.repeat(' ', Math.max(0, spare));
        }
        return sb.toString();
    }

    /** NumPy's header length for {@code textBytes} of dict text: padded, with the newline. */
    private static long canonicalLength(long textBytes, int version) {
        long withNewline = textBytes + 1;
        long pad = ARRAY_ALIGN - ((prefixLength(version) + withNewline) % ARRAY_ALIGN);
        return withNewline + pad;
    }

    private static String shapeString(long[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(shape[i]);
        }
        return sb.append(')').toString();
    }

    // ---------------------------------------------------------------- record plumbing for the array

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyHeader h
                && dtype == h.dtype
                && fortranOrder == h.fortranOrder
                && Arrays.equals(shape, h.shape)
                && version == h.version
                && headerLength == h.headerLength;
    }

    @Override
    public int hashCode() {
        return Objects.hash(dtype, fortranOrder, Arrays.hashCode(shape), version, headerLength);
    }

    @Override
    public String toString() {
        return "NpyHeader[descr=" + dtype.descr() + ", fortranOrder=" + fortranOrder + ", shape="
                + PyLiteral.abbreviate(shapeString(shape), 200) + ", version=" + version + ".0, headerLength="
                + headerLength + "]";
    }
}
