package org.elu4j.cli.npy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class NpyHeaderTest {

    private static final NpyDtype F4 = NpyDtype.FLOAT32;

    // ------------------------------------------------------------------ helpers

    /** A whole header (magic to text) around {@code dict}, as a writer other than NumPy might make it. */
    static byte[] rawHeader(int major, int minor, String dict) {
        byte[] text = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int lenField = major == 1 ? 2 : 4;
        ByteBuffer b = ByteBuffer.allocate(8 + lenField + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, (byte) minor});
        if (lenField == 2) {
            b.putShort((short) text.length);
        } else {
            b.putInt(text.length);
        }
        return b.put(text).array();
    }

    static byte[] v1(String dict) {
        return rawHeader(1, 0, dict);
    }

    private static NpyException parseFails(byte[] bytes) {
        return assertThrows(NpyException.class, () -> NpyHeader.parse(bytes));
    }

    private static String dict(String shape) {
        return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n";
    }

    // ------------------------------------------------------------------ writing: what NumPy writes

    @Test
    void writesExactlyWhatNumpyWritesFor2x3() {
        // np.save of a (2, 3) float32 array: 'NUMPY' v1.0, header length 118, 20 spare spaces after
        // the dict for growing the first axis, padding to 128 bytes in all.
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        String expected = "\u0093NUMPY\u0001\u0000\u0076\u0000" + dict + " ".repeat(128 - 10 - dict.length() - 1) + "\n";
        byte[] bytes = NpyHeader.of(F4, 2, 3).toBytes();
        assertEquals(expected, new String(bytes, StandardCharsets.ISO_8859_1));
        assertEquals(128, bytes.length);
    }

    record HeaderCase(boolean fortran, long[] shape, String version, int length, String sha256, String hex) {
        @Override
        public String toString() {
            String dims = shape.length > 8 ? "1 x " + shape.length : Arrays.toString(shape);
            return (fortran ? "F" : "C") + " shape=" + dims + " version=" + version;
        }
    }

    /** The cases of headers.tsv, written by NumPy 1.24 (see the README.md beside it). */
    static List<HeaderCase> numpyHeaders() throws IOException {
        List<HeaderCase> cases = new ArrayList<>();
        try (InputStream in = NpyHeaderTest.class.getResourceAsStream("/npy/headers.tsv")) {
            if (in == null) {
                throw new IOException("test resource /npy/headers.tsv is missing");
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                long[] shape;
                if (f[1].isEmpty()) {
                    shape = new long[0];
                } else if (f[1].startsWith("1*")) {
                    shape = new long[Integer.parseInt(f[1].substring(2))];
                    Arrays.fill(shape, 1);
                } else {
                    shape = Arrays.stream(f[1].split(",")).mapToLong(Long::parseLong).toArray();
                }
                cases.add(new HeaderCase(Boolean.parseBoolean(f[0].toLowerCase()), shape, f[2], Integer.parseInt(f[3]), f[4], f[5]));
            }
        }
        assertTrue(cases.size() >= 20, "headers.tsv has " + cases.size() + " cases");
        return cases;
    }

    @ParameterizedTest
    @MethodSource("numpyHeaders")
    void headerBytesMatchNumpy(HeaderCase c) throws NoSuchAlgorithmException {
        NpyHeader h = c.version().equals("auto")
                ? NpyHeader.of(F4, c.fortran(), c.shape())
                : NpyHeader.of(F4, c.fortran(), c.shape(), c.version().charAt(0) - '0');
        byte[] bytes = h.toBytes();
        assertEquals(c.length(), bytes.length, "length");
        assertEquals(h.dataOffset(), bytes.length);
        assertEquals(0, bytes.length % 64);
        if (!c.hex().isEmpty()) {
            assertEquals(c.hex(), HexFormat.of().formatHex(bytes));
        }
        assertEquals(c.sha256(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));

        // and NumPy's bytes parse back to the same header
        NpyHeader parsed = NpyHeader.parse(bytes);
        assertEquals(h, parsed);
        assertArrayEquals(c.shape(), parsed.shape());
        assertEquals(c.fortran(), parsed.fortranOrder());
    }

    @Test
    void versionTwoOnlyWhenVersionOneCannotHoldTheHeader() {
        long[] ones = new long[22000];
        Arrays.fill(ones, 1);
        NpyHeader big = NpyHeader.of(F4, ones);
        assertEquals(2, big.version());
        assertEquals(1, big.elementCount());
        assertEquals(1, NpyHeader.of(F4, new long[64]).version());
        assertThrows(IllegalArgumentException.class, () -> NpyHeader.of(F4, false, ones, 1));
    }

    // ------------------------------------------------------------------ round trips

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of((Object) new long[] {}),
                Arguments.of((Object) new long[] {0}),
                Arguments.of((Object) new long[] {1}),
                Arguments.of((Object) new long[] {5}),
                Arguments.of((Object) new long[] {2, 3}),
                Arguments.of((Object) new long[] {2, 0, 3}),
                Arguments.of((Object) new long[] {7, 1, 1, 9}),
                Arguments.of((Object) new long[] {1L << 40, 1000}),
                Arguments.of((Object) new long[] {Long.MAX_VALUE / 4}),
                Arguments.of((Object) new long[] {0, 1L << 30, 1L << 30}),
                Arguments.of((Object) new long[] {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void roundTripsInEveryVersion(long[] shape) {
        for (int version = 1; version <= 3; version++) {
            for (boolean fortran : new boolean[] {false, true}) {
                NpyHeader h = NpyHeader.of(F4, fortran, shape, version);
                byte[] bytes = h.toBytes();
                assertEquals(h.dataOffset(), bytes.length);
                assertEquals(0, bytes.length % 64);
                assertEquals('\n', bytes[bytes.length - 1]);
                NpyHeader back = NpyHeader.parse(bytes);
                assertEquals(h, back);
                assertArrayEquals(shape, back.shape());
                assertEquals(version, back.version());
                assertEquals(fortran, back.fortranOrder());
                assertArrayEquals(bytes, back.toBytes());
            }
        }
    }

    @Test
    void countsElementsAndBytes() {
        assertEquals(1, NpyHeader.of(F4).elementCount());
        assertEquals(4, NpyHeader.of(F4).dataBytes());
        assertEquals(0, NpyHeader.of(F4, 0).elementCount());
        assertEquals(0, NpyHeader.of(F4, 2, 0, 3).dataBytes());
        assertEquals(0, NpyHeader.of(F4, 0, 1L << 30, 1L << 30).elementCount());
        assertEquals(6, NpyHeader.of(F4, 2, 3).elementCount());
        assertEquals(24, NpyHeader.of(F4, 2, 3).dataBytes());
        assertEquals(Long.MAX_VALUE / 4, NpyHeader.of(F4, Long.MAX_VALUE / 4).elementCount());
        assertEquals("()", NpyHeader.of(F4).shapeString());
        assertEquals("(5,)", NpyHeader.of(F4, 5).shapeString());
        assertEquals("(2, 3)", NpyHeader.of(F4, 2, 3).shapeString());
        assertEquals("<f4", NpyHeader.of(F4, 2, 3).descr());
        assertEquals(2, NpyHeader.of(F4, 2, 3).ndim());
    }

    @Test
    void shapeIsCopied() {
        long[] shape = {2, 3};
        NpyHeader h = NpyHeader.of(F4, shape);
        shape[0] = 99;
        assertEquals(2, h.dim(0));
        h.shape()[1] = 99;
        assertEquals(3, h.dim(1));
    }

    @Test
    void refusesImpossibleHeadersWhenBuilt() {
        assertThrows(IllegalArgumentException.class, () -> NpyHeader.of(F4, -1));
        assertThrows(IllegalArgumentException.class, () -> NpyHeader.of(F4, Long.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> NpyHeader.of(F4, 1L << 32, 1L << 32));
        assertThrows(IllegalArgumentException.class, () -> new NpyHeader(F4, false, new long[] {1}, 4, 118));
        assertThrows(IllegalArgumentException.class, () -> new NpyHeader(F4, false, new long[] {1}, 1, 70000));
    }

    @Test
    void toBytesRefusesALayoutNumpyWouldNotWrite() {
        // an old NumPy (before 1.14) header: 16-byte alignment, no spare room
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        byte[] old = v1(dict + " ".repeat(80 - 10 - dict.length() - 1) + "\n");
        assertEquals(80, old.length);
        NpyHeader h = NpyHeader.parse(old);
        assertEquals(70, h.headerLength());
        assertEquals(80, h.dataOffset());
        assertThrows(IllegalStateException.class, h::toBytes);
        assertArrayEquals(NpyHeader.of(F4, 2, 3).toBytes(), NpyHeader.of(F4, h.fortranOrder(), h.shape()).toBytes());
    }

    // ------------------------------------------------------------------ parsing what others write

    @ParameterizedTest
    @ValueSource(strings = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}",
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}",
        "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
        "{'fortran_order':False,'shape':(2,3,),'descr':'<f4',}",
        "  {\n  'descr' : '<f4' ,\n\t'fortran_order' : False ,\r\n  'shape' : ( 2 , 3 ) ,\n}\n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2l, 3L,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (+2, 3), }",
        "{'descr': '\\x3cf4', 'fortran_order': False, 'shape': (2, 3), }",
        "{'descr': \"<f4\", 'fortran_order': False, 'shape': (2, 3), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }                                          \n",
    })
    void parsesHeadersFromOtherWriters(String dict) {
        NpyHeader h = NpyHeader.parse(v1(dict));
        assertEquals(F4, h.dtype());
        assertFalse(h.fortranOrder());
        assertArrayEquals(new long[] {2, 3}, h.shape());
        assertEquals(dict.getBytes(StandardCharsets.ISO_8859_1).length, h.headerLength());
    }

    @Test
    void parsesScalarsEmptiesAndTrueFortranOrder() {
        assertArrayEquals(new long[] {}, NpyHeader.parse(v1(dict("()"))).shape());
        assertArrayEquals(new long[] {}, NpyHeader.parse(v1(dict("(  )"))).shape());
        assertArrayEquals(new long[] {5}, NpyHeader.parse(v1(dict("(5,)"))).shape());
        assertArrayEquals(new long[] {0}, NpyHeader.parse(v1(dict("(0,)"))).shape());
        assertArrayEquals(new long[] {1_000_000}, NpyHeader.parse(v1(dict("(1_000_000,)"))).shape());
        assertArrayEquals(new long[] {Long.MAX_VALUE / 4}, NpyHeader.parse(v1(dict("(" + Long.MAX_VALUE / 4 + ",)"))).shape());
        assertTrue(NpyHeader.parse(v1("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3)}")).fortranOrder());
    }

    @Test
    void parsesAllThreeVersions() {
        String d = dict("(4,)");
        assertEquals(1, NpyHeader.parse(rawHeader(1, 0, d)).version());
        assertEquals(2, NpyHeader.parse(rawHeader(2, 0, d)).version());
        NpyHeader v3 = NpyHeader.parse(rawHeader(3, 0, d));
        assertEquals(3, v3.version());
        assertEquals(12 + d.length(), v3.dataOffset());
        // version 3.0 is UTF-8: a non-ASCII character in the header is decoded, then refused as a key
        NpyException e = parseFails(rawHeader(3, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'ä': 1}"));
        assertEquals("corrupt header: unexpected key 'ä' (a .npy header has exactly 'descr', 'fortran_order' and 'shape')",
                e.getMessage());
    }

    @Test
    void parseWithoutAFileNamesNoFile() {
        NpyException e = parseFails(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        assertNull(e.path());
        assertEquals("not a .npy file (bad magic)", e.getMessage());
        assertEquals(e.getMessage(), e.detail());
    }

    // ------------------------------------------------------------------ corrupt and unsupported headers

    @Test
    void badMagic() {
        assertEquals("not a .npy file (bad magic)", parseFails("hello, world".getBytes(StandardCharsets.US_ASCII)).getMessage());
        assertEquals("not a .npy file (bad magic)", parseFails(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'X', 1, 0, 0, 0}).getMessage());
        assertTrue(parseFails(new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0}).getMessage()
                .startsWith("not a .npy file (bad magic; it is a zip archive"));
        assertEquals("not a .npy file (the file is empty)", parseFails(new byte[0]).getMessage());
        assertTrue(parseFails(new byte[] {(byte) 0x93, 'N', 'U'}).getMessage().startsWith("truncated: the file has only 3 bytes"));
        assertTrue(parseFails(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 5}).getMessage()
                .startsWith("truncated: the file has only 9 bytes"));
    }

    @Test
    void unsupportedVersions() {
        String d = dict("(4,)");
        assertEquals("unsupported .npy version 4.0; elu4j reads versions 1.0, 2.0 and 3.0",
                parseFails(rawHeader(4, 0, d)).getMessage());
        assertEquals("unsupported .npy version 1.1; elu4j reads versions 1.0, 2.0 and 3.0",
                parseFails(rawHeader(1, 1, d)).getMessage());
        assertEquals("unsupported .npy version 0.0; elu4j reads versions 1.0, 2.0 and 3.0",
                parseFails(rawHeader(0, 0, d)).getMessage());
    }

    @Test
    void headerLengthBeyondTheBytes() {
        byte[] whole = v1(dict("(4,)"));
        byte[] cut = Arrays.copyOf(whole, whole.length - 10);
        assertEquals("truncated: the header length field says " + (whole.length - 10) + " bytes of header but only "
                + (whole.length - 20) + " bytes follow it", parseFails(cut).getMessage());
        byte[] v2 = rawHeader(2, 0, dict("(4,)"));
        ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putInt(8, -1); // 4 GiB - 1
        assertEquals("corrupt header: header length 4294967295 is over elu4j's limit of 1048576 bytes",
                parseFails(v2).getMessage());
    }

    @Test
    void unsupportedDtypes() {
        assertEquals("unsupported dtype '>f4' (big-endian float32); elu4j reads little-endian '<f4'; convert with a.astype('<f4')",
                parseFails(v1("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }")).getMessage());
        assertEquals("unsupported dtype '>f2' (big-endian float16); elu4j reads little-endian '<f2'; convert with a.astype('<f2')",
                parseFails(v1("{'descr': '>f2', 'fortran_order': False, 'shape': (2, 3), }")).getMessage());
        assertEquals("unsupported dtype '<i2' (int16); elu4j reads float32 '<f4', float64 '<f8', float16 '<f2' or bfloat16 bits as uint16 '<u2'; convert with a.astype('<f4')",
                parseFails(v1("{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }")).getMessage());
        assertEquals("unsupported dtype '=f4' (native byte order float32); elu4j reads explicitly little-endian '<f4'",
                parseFails(v1("{'descr': '=f4', 'fortran_order': False, 'shape': (2, 3), }")).getMessage());
        assertEquals("unsupported dtype '|u1' (uint8); elu4j reads float32 '<f4', float64 '<f8', float16 '<f2' or bfloat16 bits as uint16 '<u2'; convert with a.astype('<f4')",
                parseFails(v1("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }")).getMessage());
        assertEquals("unsupported dtype '|O' (Python object); elu4j reads float32 '<f4', float64 '<f8', float16 '<f2' or bfloat16 bits as uint16 '<u2'; convert with a.astype('<f4')",
                parseFails(v1("{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }")).getMessage());
        assertEquals("unsupported dtype 'float32'; elu4j reads float32 '<f4', float64 '<f8', float16 '<f2' or bfloat16 bits as uint16 '<u2'",
                parseFails(v1("{'descr': 'float32', 'fortran_order': False, 'shape': (2, 3), }")).getMessage());
        assertEquals("unsupported dtype: structured arrays ([('x', '<f4'), ('y', '<f4')]) are not supported; "
                + "elu4j reads plain arrays of float32 '<f4', float64 '<f8', float16 '<f2' or bfloat16 bits as uint16 '<u2'",
                parseFails(v1("{'descr': [('x', '<f4'), ('y', '<f4')], 'fortran_order': False, 'shape': (2,), }")).getMessage());
    }

    static Stream<Arguments> corruptDicts() {
        return Stream.of(
                Arguments.of("", "empty header"),
                Arguments.of("   \n", "empty header"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, }", "missing key 'shape'"),
                Arguments.of("{'descr': '<f4', 'shape': (3,), }", "missing key 'fortran_order'"),
                Arguments.of("{'fortran_order': False, 'shape': (3,), }", "missing key 'descr'"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'extra': 1}", "unexpected key 'extra'"),
                Arguments.of("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", "duplicate key 'descr'"),
                Arguments.of("{1: '<f4', 'fortran_order': False, 'shape': (3,)}", "key 1 is not a string"),
                Arguments.of("['descr', '<f4']", "the header is not a dictionary"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), } x", "unexpected 'x' after the dictionary"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }}", "unexpected '}' after the dictionary"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)", "expected ',' or '}' but found the end of the header"),
                Arguments.of("{'descr': '<f4, 'fortran_order': False, 'shape': (3,)}", "expected ',' or '}' but found 'f' at character 17"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 'abc}", "unterminated string"),
                Arguments.of("{'descr' '<f4', 'fortran_order': False, 'shape': (3,)}", "expected ':' after the key 'descr'"),
                Arguments.of("{'descr': '<f4' 'fortran_order': False, 'shape': (3,)}", "expected ',' or '}' but found '''"),
                Arguments.of("{'descr': '<f4', 'fortran_order': false, 'shape': (3,)}", "unexpected name 'false'"),
                Arguments.of("{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}", "'fortran_order' must be True or False, not 0"),
                Arguments.of("{'descr': '<f4', 'fortran_order': 'False', 'shape': (3,)}", "'fortran_order' must be True or False, not 'False'"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': 3}", "'shape' must be a tuple of integers, not 3"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3)}", "'shape' must be a tuple of integers, not 3"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", "'shape' must be a tuple of integers, not [2, 3]"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (2, None)}", "'shape' must be a tuple of integers, not (2, None)"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (True,)}", "'shape' must be a tuple of integers, not (True,)"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': ('2',)}", "'shape' must be a tuple of integers"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': ((2,),)}", "'shape' must be a tuple of integers"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (2.0, 3)}", "malformed number"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (0x10,)}", "malformed number"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (010,)}", "number with a leading zero"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (1__0,)}", "malformed number"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (,)}", "unexpected ','"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (2,, 3)}", "unexpected ','"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", "expected ',' or ')' but found '3'"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3)}", "negative dimension -1 in shape (-1, 3)"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3, -0)}", null),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
                        "dimension 99999999999999999999 in shape (99999999999999999999,) is too large"),
                Arguments.of("{'descr': 4, 'fortran_order': False, 'shape': (3,)}", "'descr' must be a string, not 4"),
                Arguments.of("{'descr': '<f4\\q', 'fortran_order': False, 'shape': (3,)}", "unsupported escape '\\q' in string"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), # comment\n}", "unexpected '#'"),
                Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}\0", "unexpected '\\x00' after the dictionary"),
                Arguments.of("{'a': " + "(".repeat(100) + ")".repeat(100) + "}", "nested more than 32 levels deep"));
    }

    @ParameterizedTest
    @MethodSource("corruptDicts")
    void corruptHeaders(String dict, String expected) {
        if (expected == null) { // the odd but valid "-0"
            assertArrayEquals(new long[] {3, 0}, NpyHeader.parse(v1(dict)).shape());
            return;
        }
        String message = parseFails(v1(dict)).getMessage();
        assertTrue(message.startsWith("corrupt header: "), message);
        assertTrue(message.contains(expected), "'" + message + "' should contain '" + expected + "'");
        assertFalse(message.contains("\n"), message);
    }

    @Test
    void hugeDimensionsOverflow() {
        assertEquals("array too large: shape (4611686018427387904, 4) of float32 needs more than 9223372036854775807 bytes",
                parseFails(v1(dict("(4611686018427387904, 4)"))).getMessage());
        // fits in elements, not in bytes
        assertEquals("array too large: shape (4611686018427387904,) of float32 needs more than 9223372036854775807 bytes",
                parseFails(v1(dict("(4611686018427387904,)"))).getMessage());
        assertEquals("array too large: shape (4294967296, 4294967296) of float32 needs more than 9223372036854775807 bytes",
                parseFails(v1(dict("(4294967296, 4294967296)"))).getMessage());
        // a 0 makes the array empty, but the other dimensions must still fit, as NumPy checks them
        // (np.load refuses this header: "array is too big")
        assertEquals("array too large: shape (9223372036854775807, 9223372036854775807, 0) of float32 needs more than "
                + "9223372036854775807 bytes", parseFails(v1(dict("(9223372036854775807, 9223372036854775807, 0)"))).getMessage());
        assertEquals(0, NpyHeader.parse(v1(dict("(1073741824, 1073741824, 0)"))).elementCount());
    }

    @Test
    void version3HeaderMustBeUtf8() {
        byte[] bytes = rawHeader(3, 0, dict("(4,)"));
        bytes[14] = (byte) 0xff;
        assertEquals("corrupt header: a version 3.0 header must be UTF-8 text", parseFails(bytes).getMessage());
        // latin-1 in version 1.0: every byte is a character; this one is just an unknown character
        byte[] v1 = v1(dict("(4,)"));
        v1[12] = (byte) 0xff;
        assertTrue(parseFails(v1).getMessage().startsWith("corrupt header: "));
    }
}
