package org.elu4j.cli.npy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads the fixtures NumPy wrote (see src/test/resources/npy/README.md) and checks the values they
 * are documented to hold, then writes files and compares them byte for byte with NumPy's.
 */
class NpyFileTest {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** np.arange(6, dtype='<f4').reshape(2, 3) - 2.5 */
    private static final float[] BASE = {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f};

    @TempDir
    Path dir;

    /** Copies a fixture out of the class path into the temporary directory, under its own name. */
    private Path fixture(String name) throws IOException {
        try (InputStream in = NpyFileTest.class.getResourceAsStream("/npy/" + name)) {
            if (in == null) {
                throw new NoSuchFileException("test resource /npy/" + name);
            }
            Path p = dir.resolve(name);
            Files.write(p, in.readAllBytes());
            return p;
        }
    }

    private static float[] floats(MemorySegment data) {
        float[] out = new float[Math.toIntExact(data.byteSize() / 4)];
        for (int i = 0; i < out.length; i++) {
            out[i] = data.getAtIndex(F32, i);
        }
        return out;
    }

    private NpyException readFails(Path p) {
        try (Arena arena = Arena.ofConfined()) {
            return assertThrows(NpyException.class, () -> NpyFile.mapForRead(p, arena));
        }
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    // ------------------------------------------------------------------ reading NumPy's files

    @Test
    void reads2x3() throws IOException {
        Path p = fixture("f4_2x3.npy");
        try (Arena arena = Arena.ofConfined()) {
            NpyArray a = NpyFile.mapForRead(p, arena);
            assertEquals(p, a.path());
            assertEquals(NpyDtype.FLOAT32, a.header().dtype());
            assertArrayEquals(new long[] {2, 3}, a.shape());
            assertEquals(6, a.elementCount());
            assertEquals(1, a.header().version());
            assertEquals(128, a.header().dataOffset());
            assertEquals(24, a.data().byteSize());
            assertArrayEquals(BASE, floats(a.data()));
            assertTrue(a.data().isReadOnly());
            assertTrue(a.data().isMapped());
            assertThrows(IllegalArgumentException.class, () -> a.data().set(F32, 0, 1f));
            assertEquals(a.header(), NpyFile.readHeader(p));
        }
    }

    @Test
    void dataIsUnmappedWhenTheArenaCloses() throws IOException {
        Path p = fixture("f4_2x3.npy");
        MemorySegment data;
        try (Arena arena = Arena.ofConfined()) {
            data = NpyFile.mapForRead(p, arena).data();
            assertEquals(-2.5f, data.getAtIndex(F32, 0));
        }
        assertThrows(IllegalStateException.class, () -> data.getAtIndex(F32, 0));
    }

    @Test
    void readsVersions2And3() throws IOException {
        for (String name : new String[] {"f4_v2.npy", "f4_v3.npy"}) {
            try (Arena arena = Arena.ofConfined()) {
                NpyArray a = NpyFile.mapForRead(fixture(name), arena);
                assertEquals(name.equals("f4_v2.npy") ? 2 : 3, a.header().version(), name);
                assertArrayEquals(new long[] {2, 3}, a.shape());
                assertEquals(128, a.header().dataOffset());
                assertArrayEquals(BASE, floats(a.data()), name);
            }
        }
    }

    @Test
    void readsAScalar() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            NpyArray a = NpyFile.mapForRead(fixture("f4_scalar.npy"), arena);
            assertArrayEquals(new long[] {}, a.shape());
            assertEquals(1, a.elementCount());
            assertArrayEquals(new float[] {3.25f}, floats(a.data()));
        }
    }

    @Test
    void readsEmptyArrays() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            NpyArray a = NpyFile.mapForRead(fixture("f4_empty.npy"), arena);
            assertArrayEquals(new long[] {0}, a.shape());
            assertEquals(0, a.elementCount());
            assertEquals(0, a.data().byteSize());
            NpyArray b = NpyFile.mapForRead(fixture("f4_2x0x3.npy"), arena);
            assertArrayEquals(new long[] {2, 0, 3}, b.shape());
            assertEquals(0, b.data().byteSize());
        }
    }

    @Test
    void reads1000Elements() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            NpyArray a = NpyFile.mapForRead(fixture("f4_1000.npy"), arena);
            assertArrayEquals(new long[] {1000}, a.shape());
            float[] expected = new float[1000];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = i / 8f; // np.arange(1000, dtype='<f4') / 8
            }
            assertArrayEquals(expected, floats(a.data()));
        }
    }

    @Test
    void readsSpecialValuesBitForBit() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            NpyArray a = NpyFile.mapForRead(fixture("f4_special.npy"), arena);
            // [0.0, -0.0, inf, -inf, nan, 1e-45, 3.4028235e38, -1.0]: NumPy's nan is 0x7fc00000
            int[] expectedBits = {0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x00000001, 0x7f7fffff, 0xbf800000};
            int[] bits = IntStream.range(0, 8).map(i -> a.data().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i)).toArray();
            assertArrayEquals(expectedBits, bits);
        }
    }

    // ------------------------------------------------------------------ refusing files, with one-line messages

    @Test
    void refusesBigEndian() throws IOException {
        assertEquals("f4_big_endian.npy: unsupported dtype '>f4' (big-endian float32); elu4j reads little-endian '<f4'; "
                + "convert with a.astype('<f4')", readFails(fixture("f4_big_endian.npy")).getMessage().replace(dir + "/", ""));
    }

    @Test
    void refusesOtherTypes() throws IOException {
        assertEquals("unsupported dtype '<i4' (int32); elu4j reads float32 '<f4', float64 '<f8', float16 '<f2' or bfloat16 bits as uint16 '<u2'; convert with a.astype('<f4')",
                readFails(fixture("i4_2x3.npy")).detail());
        assertEquals("unsupported dtype '|i1' (int8); elu4j reads float32 '<f4', float64 '<f8', float16 '<f2' or bfloat16 bits as uint16 '<u2'; convert with a.astype('<f4')",
                readFails(fixture("i1_2x3.npy")).detail());
        assertEquals("unsupported dtype '>f8' (big-endian float64); elu4j reads little-endian '<f8'; convert with a.astype('<f8')",
                readFails(fixture("f8_big_endian.npy")).detail());
    }

    /** NumPy's float64, float16 and uint16 (bfloat16 bits) files read with their values. */
    @Test
    void readsF8F2AndU2() throws IOException {
        double[] base = {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5};
        try (Arena arena = Arena.ofConfined()) {
            NpyArray f8 = NpyFile.mapForRead(fixture("f8_2x3.npy"), arena);
            assertEquals(NpyDtype.FLOAT64, f8.header().dtype());
            NpyArray f2 = NpyFile.mapForRead(fixture("f2_2x3.npy"), arena);
            assertEquals(NpyDtype.FLOAT16, f2.header().dtype());
            NpyArray u2 = NpyFile.mapForRead(fixture("bf16_2x3.npy"), arena);
            assertEquals(NpyDtype.UINT16, u2.header().dtype());
            for (int i = 0; i < 6; i++) {
                assertEquals(base[i], f8.data().getAtIndex((ValueLayout.OfDouble) NpyDtype.FLOAT64.elementLayout(), i));
                assertEquals((float) base[i], Float.float16ToFloat(
                        f2.data().getAtIndex((ValueLayout.OfShort) NpyDtype.FLOAT16.elementLayout(), i)));
                short bf = u2.data().getAtIndex((ValueLayout.OfShort) NpyDtype.UINT16.elementLayout(), i);
                assertEquals((float) base[i], Float.intBitsToFloat((bf & 0xFFFF) << 16));
            }
            assertArrayEquals(new long[] {2, 3}, u2.shape());
        }
    }

    /** elu4j writes float64, float16 and uint16 files with the exact bytes NumPy wrote. */
    @Test
    void writesF8F2AndU2LikeNumPy() throws IOException {
        for (String name : java.util.List.of("f8_2x3.npy", "f2_2x3.npy", "bf16_2x3.npy")) {
            Path out = dir.resolve("copy-" + name);
            try (Arena arena = Arena.ofConfined()) {
                NpyArray in = NpyFile.mapForRead(fixture(name), arena);
                NpyFile.writeAtomically(out, in.header().dtype(), in.shape(), seg -> seg.copyFrom(in.data()));
            }
            assertArrayEquals(Files.readAllBytes(fixture(name)), Files.readAllBytes(out), name);
        }
    }

    @Test
    void refusesFortranOrder() throws IOException {
        Path p = fixture("f4_fortran.npy");
        NpyException e = readFails(p);
        assertEquals(p + ": Fortran-order arrays are not supported; save with np.ascontiguousarray", e.getMessage());
        assertEquals(p, e.path());
        // the header alone reads
        assertTrue(NpyFile.readHeader(p).fortranOrder());
    }

    @Test
    void acceptsFortranOrderWhereTheLayoutIsTheSame() throws IOException {
        Path p = dir.resolve("f.npy");
        NpyHeader h = NpyHeader.of(NpyDtype.FLOAT32, true, new long[] {1, 3, 1});
        NpyFile.writeAtomically(p, h, seg -> {
            for (int i = 0; i < 3; i++) {
                seg.setAtIndex(F32, i, i);
            }
        });
        try (Arena arena = Arena.ofConfined()) {
            NpyArray a = NpyFile.mapForRead(p, arena);
            assertTrue(a.header().fortranOrder());
            assertArrayEquals(new float[] {0, 1, 2}, floats(a.data()));
        }
    }

    @Test
    void refusesTruncatedData() throws IOException {
        Path p = fixture("f4_truncated.npy");
        assertEquals(p + ": truncated: header says 6 elements (24 bytes of data) but the file has 20 bytes after its 128-byte header",
                readFails(p).getMessage());
    }

    @Test
    void refusesTrailingData() throws IOException {
        Path p = fixture("f4_trailing.npy");
        assertEquals(p + ": unexpected trailing data: header says 6 elements (24 bytes of data) but the file has 28 bytes "
                + "after its 128-byte header", readFails(p).getMessage());
    }

    @Test
    void refusesAFileCutInsideTheHeader() throws IOException {
        byte[] whole = Files.readAllBytes(fixture("f4_2x3.npy"));
        Path p = dir.resolve("cut.npy");
        Files.write(p, java.util.Arrays.copyOf(whole, 100));
        assertEquals(p + ": truncated: the header length field says 118 bytes of header but only 90 bytes follow it",
                readFails(p).getMessage());
        Files.write(p, java.util.Arrays.copyOf(whole, 9));
        assertEquals(p + ": truncated: the file has only 9 bytes, too few for a .npy header", readFails(p).getMessage());
    }

    @Test
    void refusesFilesThatAreNotNpy() throws IOException {
        Path text = dir.resolve("notes.npy");
        Files.writeString(text, "this is not an array\n");
        assertEquals(text + ": not a .npy file (bad magic)", readFails(text).getMessage());
        Path empty = dir.resolve("empty.npy");
        Files.write(empty, new byte[0]);
        assertEquals(empty + ": not a .npy file (the file is empty)", readFails(empty).getMessage());
        Path v4 = dir.resolve("v4.npy");
        byte[] bytes = Files.readAllBytes(fixture("f4_2x3.npy"));
        bytes[6] = 4;
        Files.write(v4, bytes);
        assertEquals(v4 + ": unsupported .npy version 4.0; elu4j reads versions 1.0, 2.0 and 3.0", readFails(v4).getMessage());
    }

    @Test
    void refusesACorruptDict() throws IOException {
        Path p = dir.resolve("corrupt.npy");
        byte[] bytes = Files.readAllBytes(fixture("f4_2x3.npy"));
        bytes[10 + 1] = '"'; // {"descr': ... : the string never ends on this line
        Files.write(p, bytes);
        String m = readFails(p).getMessage();
        assertTrue(m.startsWith(p + ": corrupt header: "), m);
        assertFalse(m.contains("\n"), m);
    }

    @Test
    void reportsMissingFilesAsNpyException() {
        Path p = dir.resolve("absent.npy");
        NpyException e = readFails(p);
        assertEquals(p + ": cannot read: no such file or directory", e.getMessage());
        assertInstanceOf(NoSuchFileException.class, e.getCause());
        assertThrows(NpyException.class, () -> NpyFile.readHeader(p));
    }

    /** A pipe (a shell's {@code <(...)}) is refused by name at once: opening it would wait for a writer. */
    @Test
    void refusesAPipeWithoutWaitingForAWriter() throws Exception {
        Path fifo = dir.resolve("pipe.npy");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor(), "mkfifo");
        NpyException e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> readFails(fifo));
        assertEquals(fifo + ": cannot read: not a regular file (a pipe or a device?): .npy input is mapped into memory, "
                + "so it must be a file", e.getMessage());
        assertThrows(NpyException.class, () -> assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                () -> NpyFile.readHeader(fifo)));
    }

    @Test
    void reportsADirectoryAsNpyException() {
        NpyException e = readFails(dir);
        assertTrue(e.getMessage().startsWith(dir + ": cannot read: "), e.getMessage());
    }

    // ------------------------------------------------------------------ writing

    private static Path writeFloats(Path out, long[] shape, float... values) {
        NpyFile.writeAtomically(out, NpyDtype.FLOAT32, shape, seg -> {
            assertEquals(values.length * 4L, seg.byteSize());
            assertFalse(seg.isReadOnly());
            for (int i = 0; i < values.length; i++) {
                seg.setAtIndex(F32, i, values[i]);
            }
        });
        return out;
    }

    /** A link as OUT: the file it names is replaced, the link stays (a rename would have replaced the link). */
    @Test
    void writingThroughALinkReplacesItsTarget() throws IOException {
        Path real = writeFloats(dir.resolve("real.npy"), new long[] {1}, 1f);
        Path link = Files.createSymbolicLink(dir.resolve("link.npy"), real);
        writeFloats(link, new long[] {2}, 5f, 6f);
        assertTrue(Files.isSymbolicLink(link));
        try (Arena arena = Arena.ofConfined()) {
            assertArrayEquals(new float[] {5f, 6f}, floats(NpyFile.mapForRead(real, arena).data()));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file left");
        }
    }

    /** A dangling link as OUT: the file it names is created (as a shell's '>' does), the link stays. */
    @Test
    void writingThroughADanglingLinkCreatesItsTarget() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("dangling.npy"), Path.of("made.npy"));
        writeFloats(link, new long[] {1}, 7f);
        assertTrue(Files.isSymbolicLink(link));
        try (Arena arena = Arena.ofConfined()) {
            assertArrayEquals(new float[] {7f}, floats(NpyFile.mapForRead(dir.resolve("made.npy"), arena).data()));
        }
    }

    /** Dangling links in a chain are followed to the file the last one names; a loop is refused. */
    @Test
    void chainsOfDanglingLinksAndLoops() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Files.createSymbolicLink(sub.resolve("second.npy"), Path.of("../made2.npy"));
        Path first = Files.createSymbolicLink(dir.resolve("first.npy"), Path.of("sub/second.npy"));
        writeFloats(first, new long[] {1}, 3f);
        assertTrue(Files.isSymbolicLink(first) && Files.isSymbolicLink(sub.resolve("second.npy")), "both links stay");
        try (Arena arena = Arena.ofConfined()) {
            assertArrayEquals(new float[] {3f}, floats(NpyFile.mapForRead(dir.resolve("made2.npy"), arena).data()));
        }
        Path a = Files.createSymbolicLink(dir.resolve("a.npy"), Path.of("b.npy"));
        Files.createSymbolicLink(dir.resolve("b.npy"), Path.of("a.npy"));
        NpyException e = assertThrows(NpyException.class, () -> writeFloats(a, new long[] {1}, 1f));
        assertTrue(e.getMessage().contains("too many levels of links"), e.getMessage());
        assertTrue(Files.isSymbolicLink(a) && Files.isSymbolicLink(dir.resolve("b.npy")), "the loop's links stay");
    }

    /** /dev/stdout as OUT (a link to a pipe, a terminal or a file): refused, never replaced. */
    @Test
    void standardOutputIsRefused() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isSymbolicLink(Path.of("/dev/stdout")), "no /dev/stdout link here");
        NpyException e = assertThrows(NpyException.class, () -> writeFloats(Path.of("/dev/stdout"), new long[] {1}, 1f));
        assertTrue(e.getMessage().contains("cannot write"), e.getMessage());
    }

    /** OUT that exists but is no regular file (here a directory; a device would be replaced by a rename) is refused. */
    @Test
    void anOutputThatIsNoRegularFileIsRefused() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub.npy"));
        NpyException e = assertThrows(NpyException.class, () -> writeFloats(sub, new long[] {1}, 1f));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        assertTrue(Files.isDirectory(sub));
    }

    @Test
    void writesTheSameBytesAsNumpy() throws IOException {
        assertArrayEquals(Files.readAllBytes(fixture("f4_2x3.npy")),
                Files.readAllBytes(writeFloats(dir.resolve("w_2x3.npy"), new long[] {2, 3}, BASE)));
        assertArrayEquals(Files.readAllBytes(fixture("f4_scalar.npy")),
                Files.readAllBytes(writeFloats(dir.resolve("w_scalar.npy"), new long[] {}, 3.25f)));
        assertArrayEquals(Files.readAllBytes(fixture("f4_empty.npy")),
                Files.readAllBytes(writeFloats(dir.resolve("w_empty.npy"), new long[] {0})));
        assertArrayEquals(Files.readAllBytes(fixture("f4_2x0x3.npy")),
                Files.readAllBytes(writeFloats(dir.resolve("w_2x0x3.npy"), new long[] {2, 0, 3})));
        float[] thousand = new float[1000];
        for (int i = 0; i < thousand.length; i++) {
            thousand[i] = i / 8f;
        }
        assertArrayEquals(Files.readAllBytes(fixture("f4_1000.npy")),
                Files.readAllBytes(writeFloats(dir.resolve("w_1000.npy"), new long[] {1000}, thousand)));
        float[] special = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fc00000),
            Float.MIN_VALUE, Float.MAX_VALUE, -1f};
        assertArrayEquals(Files.readAllBytes(fixture("f4_special.npy")),
                Files.readAllBytes(writeFloats(dir.resolve("w_special.npy"), new long[] {8}, special)));
        NpyHeader v2 = NpyHeader.of(NpyDtype.FLOAT32, false, new long[] {2, 3}, 2);
        Path w2 = dir.resolve("w_v2.npy");
        NpyFile.writeAtomically(w2, v2, seg -> MemorySegment.copy(BASE, 0, seg, F32, 0, 6));
        assertArrayEquals(Files.readAllBytes(fixture("f4_v2.npy")), Files.readAllBytes(w2));
        NpyHeader v3 = NpyHeader.of(NpyDtype.FLOAT32, false, new long[] {2, 3}, 3);
        Path w3 = dir.resolve("w_v3.npy");
        NpyFile.writeAtomically(w3, v3, seg -> MemorySegment.copy(BASE, 0, seg, F32, 0, 6));
        assertArrayEquals(Files.readAllBytes(fixture("f4_v3.npy")), Files.readAllBytes(w3));
    }

    @Test
    void writtenFilesReadBack() {
        Path out = writeFloats(dir.resolve("rt.npy"), new long[] {3, 1, 2}, 1, 2, 3, 4, 5, 6);
        try (Arena arena = Arena.ofConfined()) {
            NpyArray a = NpyFile.mapForRead(out, arena);
            assertArrayEquals(new long[] {3, 1, 2}, a.shape());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, floats(a.data()));
        }
    }

    @Test
    void whenFillThrowsNothingIsLeft() throws IOException {
        Path out = dir.resolve("out.npy");
        IllegalStateException boom = new IllegalStateException("backend failed");
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> NpyFile.writeAtomically(out, NpyDtype.FLOAT32, new long[] {1000}, seg -> {
                    seg.setAtIndex(F32, 0, 1f);
                    throw boom;
                }));
        assertSame(boom, thrown);
        assertFalse(Files.exists(out));
        assertEquals(List.of(), listDir(), "no temporary file may be left");
    }

    @Test
    void whenFillThrowsTheOldFileStays() throws IOException {
        Path out = fixture("f4_2x3.npy");
        byte[] before = Files.readAllBytes(out);
        assertThrows(UncheckedIOException.class,
                () -> NpyFile.writeAtomically(out, NpyDtype.FLOAT32, new long[] {4}, seg -> {
                    throw new UncheckedIOException(new IOException("disk on fire"));
                }));
        assertArrayEquals(before, Files.readAllBytes(out));
        assertEquals(List.of(out), listDir());
    }

    @Test
    void whenFillThrowsAnErrorNothingIsLeft() throws IOException {
        Path out = dir.resolve("out.npy");
        assertThrows(OutOfMemoryError.class, () -> NpyFile.writeAtomically(out, NpyDtype.FLOAT32, new long[] {0}, seg -> {
            throw new OutOfMemoryError("pretend");
        }));
        assertEquals(List.of(), listDir());
    }

    @Test
    void replacesAnExistingFileAtomically() throws IOException {
        Path out = fixture("f4_1000.npy");
        byte[] before = Files.readAllBytes(out);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-r-----"));
        AtomicBoolean sawOld = new AtomicBoolean();
        NpyFile.writeAtomically(out, NpyDtype.FLOAT32, new long[] {2}, seg -> {
            // while the new data is being made, readers still see the whole old file
            try {
                sawOld.set(java.util.Arrays.equals(before, Files.readAllBytes(out)));
                try (Stream<Path> s = Files.list(dir)) {
                    List<String> names = s.map(x -> x.getFileName().toString()).sorted().toList();
                    assertEquals(2, names.size(), names.toString());
                    assertTrue(names.get(0).startsWith(".f4_1000.npy.tmp"), names.toString());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            seg.setAtIndex(F32, 0, 7f);
            seg.setAtIndex(F32, 1, 8f);
        });
        assertTrue(sawOld.get());
        assertEquals(List.of(out), listDir());
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        try (Arena arena = Arena.ofConfined()) {
            NpyArray a = NpyFile.mapForRead(out, arena);
            assertArrayEquals(new float[] {7, 8}, floats(a.data()));
        }
    }

    @Test
    void canWriteOverTheFileItReads() throws IOException {
        Path p = fixture("f4_2x3.npy");
        try (Arena arena = Arena.ofConfined()) {
            NpyArray in = NpyFile.mapForRead(p, arena);
            NpyFile.writeAtomically(p, NpyHeader.of(NpyDtype.FLOAT32, in.shape()), seg -> {
                for (long i = 0; i < in.elementCount(); i++) {
                    seg.setAtIndex(F32, i, in.data().getAtIndex(F32, i) * 2);
                }
            });
            assertArrayEquals(BASE, floats(in.data()), "the old mapping keeps the old data");
        }
        try (Arena arena = Arena.ofConfined()) {
            assertArrayEquals(new float[] {-5, -3, -1, 1, 3, 5}, floats(NpyFile.mapForRead(p, arena).data()));
        }
    }

    @Test
    void fillMayUseOtherThreads() throws IOException {
        Path out = dir.resolve("par.npy");
        NpyFile.writeAtomically(out, NpyDtype.FLOAT32, new long[] {4096}, seg ->
                IntStream.range(0, 4096).parallel().forEach(i -> seg.setAtIndex(F32, i, i)));
        try (Arena arena = Arena.ofConfined()) {
            float[] f = floats(NpyFile.mapForRead(out, arena).data());
            assertEquals(4095f, f[4095]);
        }
        assertEquals(List.of(out), listDir());
    }

    @Test
    void reportsAMissingDirectory() {
        Path out = dir.resolve("no/such/dir/out.npy");
        NpyException e = assertThrows(NpyException.class,
                () -> NpyFile.writeAtomically(out, NpyDtype.FLOAT32, new long[] {1}, seg -> {}));
        assertEquals(out + ": cannot write: no such directory " + dir.resolve("no/such/dir"), e.getMessage());
    }

    @Test
    void reportsAnOutputThatIsADirectory() throws IOException {
        Path out = dir.resolve("sub.npy");
        Files.createDirectory(out);
        Files.writeString(out.resolve("keep"), "x");
        NpyException e = assertThrows(NpyException.class,
                () -> NpyFile.writeAtomically(out, NpyDtype.FLOAT32, new long[] {1}, seg -> {}));
        assertTrue(e.getMessage().startsWith(out + ": cannot write: "), e.getMessage());
        assertEquals(List.of(out), listDir());
    }

    @Test
    void refusesAHeaderNumpyWouldNotWrite() {
        NpyHeader odd = new NpyHeader(NpyDtype.FLOAT32, false, new long[] {2}, 1, 70);
        Path out = dir.resolve("odd.npy");
        assertThrows(IllegalStateException.class, () -> NpyFile.writeAtomically(out, odd, seg -> {}));
        assertFalse(Files.exists(out));
    }
}
