package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.stream.Stream;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.Inputs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** float[] and NIO buffer entry points (apply and applyInPlace) on every backend: results, routing and refusals. */
class ArraysAndBuffersTest {

    static Stream<Backend> backends() {
        return Stream.of(Backend.values()).filter(Elu4j::isAvailable);
    }

    private static Candidate candidate(Backend b) {
        return new Candidate(b.cliName(), b == Backend.AUTO ? Elu4j.autoBackend() : b, -1);
    }

    private static void verify(Backend b, float[] x, float[] y, int from) {
        for (int i = 0; i < y.length; i++) {
            float want = Candidate.oracle(x[from + i], 0.5f);
            String problem = candidate(b).check(x[from + i], 0.5f, y[i], want);
            assertEquals(null, problem, b + ": ELU(" + x[from + i] + ") = " + y[i]);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void floatArrays(Backend backend) {
        Elu elu = Elu.elu(0.5f).on(backend);
        float[] x = Inputs.random(1025, 3);
        float[] y = new float[x.length];
        if (backend == Backend.ONEDNN) {
            assertThrows(BackendUnavailableException.class, () -> elu.apply(x, y));
            assertArrayEquals(new float[x.length], y, "nothing written");
            return;
        }
        elu.apply(x, y);
        verify(backend, x, y, 0);
        float[] z = x.clone();
        elu.applyInPlace(z);
        assertArrayEquals(y, z, "in place gives the same bits");
        assertThrows(IllegalArgumentException.class, () -> elu.apply(x, new float[x.length - 1]));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void directAndHeapFloatBuffersBetweenPositionAndLimit(Backend backend) {
        Elu elu = Elu.elu(0.5f).on(backend);
        float[] x = Inputs.random(777, 4);
        FloatBuffer direct = ByteBuffer.allocateDirect(4 * x.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
        direct.put(x).position(5).limit(700);
        FloatBuffer out = ByteBuffer.allocateDirect(4 * 695).order(ByteOrder.nativeOrder()).asFloatBuffer();
        elu.apply(direct, out);
        assertEquals(5, direct.position(), "positions are left alone");
        float[] y = new float[695];
        out.get(0, y);
        verify(backend, x, y, 5);

        FloatBuffer heap = FloatBuffer.wrap(x.clone());
        if (backend == Backend.ONEDNN) {
            assertThrows(BackendUnavailableException.class, () -> elu.apply(heap, FloatBuffer.allocate(x.length)));
        } else {
            elu.apply(heap, heap);
            float[] h = new float[x.length];
            heap.get(0, h);
            verify(backend, x, h, 0);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void wrongByteOrderAndReadOnlyBuffersAreRefused(Backend backend) {
        Elu elu = Elu.elu().on(backend);
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        FloatBuffer src = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder()).asFloatBuffer();
        FloatBuffer swapped = ByteBuffer.allocateDirect(64).order(other).asFloatBuffer();
        var e = assertThrows(IllegalArgumentException.class, () -> elu.apply(src, swapped));
        assertTrue(e.getMessage().contains("platform's order") && e.getMessage().contains("asFloatBuffer()"), e.getMessage());
        // Without a type, the buffers must be of one kind: a ByteBuffer beside a FloatBuffer is refused, untouched.
        ByteBuffer bytes = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
        bytes.putFloat(0, 7f);
        e = assertThrows(IllegalArgumentException.class, () -> elu.apply(src, bytes));
        assertTrue(e.getMessage().contains("one kind"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> elu.backwardFromInput(src, bytes, src.duplicate()));
        assertTrue(e.getMessage().contains("one kind"), e.getMessage());
        assertEquals(7f, bytes.getFloat(0));
        FloatBuffer dst = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder()).asFloatBuffer();
        dst.put(0, 7f);
        e = assertThrows(IllegalArgumentException.class, () -> elu.apply(src, dst.asReadOnlyBuffer()));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        assertEquals(7f, dst.get(0));
        assertThrows(NullPointerException.class, () -> elu.apply(src, (FloatBuffer) null));
        assertEquals("src", assertThrows(NullPointerException.class, () -> elu.apply((float[]) null, new float[1])).getMessage());
        assertEquals("dst", assertThrows(NullPointerException.class, () -> elu.apply(new double[1], (double[]) null)).getMessage());
        assertEquals("x", assertThrows(NullPointerException.class,
                () -> elu.backwardFromInput(new short[1], null, new short[1], DataType.BF16)).getMessage());
    }

    private static FloatBuffer directFloats(float[] values) {
        FloatBuffer b = ByteBuffer.allocateDirect(4 * values.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
        return b.put(values).clear();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void applyInPlaceOnFloatBuffersBetweenPositionAndLimit(Backend backend) {
        Elu elu = Elu.elu(0.5f).on(backend);
        float[] x = Inputs.random(777, 5);
        FloatBuffer direct = directFloats(x);
        direct.position(5).limit(700);
        elu.applyInPlace(direct);
        assertEquals(5, direct.position(), "the position is left alone");
        assertEquals(700, direct.limit(), "the limit is left alone");
        float[] all = new float[x.length];
        direct.duplicate().clear().get(all);
        for (int i = 0; i < x.length; i++) {
            if (i < 5 || i >= 700) {
                assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(all[i]), "outside [position, limit): untouched at " + i);
            }
        }
        float[] y = new float[695];
        direct.get(5, y);
        verify(backend, x, y, 5);

        // The same bits as out of place.
        FloatBuffer out = ByteBuffer.allocateDirect(4 * 695).order(ByteOrder.nativeOrder()).asFloatBuffer();
        elu.apply(directFloats(x).position(5).limit(700), out);
        float[] outOfPlace = new float[695];
        out.get(0, outOfPlace);
        assertArrayEquals(outOfPlace, y, "in place gives the same bits as out of place");

        FloatBuffer heap = FloatBuffer.wrap(x.clone());
        if (backend == Backend.ONEDNN) {
            assertThrows(BackendUnavailableException.class, () -> elu.applyInPlace(heap));
            float[] h = new float[x.length];
            heap.get(0, h);
            assertArrayEquals(x, h, "nothing written");
        } else {
            elu.applyInPlace(heap);
            float[] h = new float[x.length];
            heap.get(0, h);
            verify(backend, x, h, 0);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void applyInPlaceWithATypeOnByteShortAndDoubleBuffers(Backend backend) {
        Elu elu = Elu.elu(0.5f).on(backend);
        float[] x = Inputs.random(300, 6);
        float[] want = new float[x.length];
        Elu.elu(0.5f).on(backend == Backend.ONEDNN ? Backend.AUTO : backend).apply(x, want);

        // A ByteBuffer holds any type; F32 here, compared with the FloatBuffer result of the backend.
        ByteBuffer bytes = ByteBuffer.allocateDirect(4 * x.length).order(ByteOrder.nativeOrder());
        bytes.asFloatBuffer().put(x);
        if (elu.isSupported(DataType.F32, Elu.Direction.FORWARD)) {
            elu.applyInPlace(bytes, DataType.F32);
            float[] got = new float[x.length];
            bytes.asFloatBuffer().get(got);
            verify(backend, x, got, 0);
            assertEquals(0, bytes.position(), "the position is left alone");
        }

        // A ShortBuffer of bf16 patterns: the same as the short[] entry point.
        short[] h = new short[x.length];
        for (int i = 0; i < h.length; i++) {
            h[i] = (short) (Float.floatToRawIntBits(x[i]) >>> 16);
        }
        ShortBuffer shorts = ByteBuffer.allocateDirect(2 * h.length).order(ByteOrder.nativeOrder()).asShortBuffer();
        shorts.put(h).clear();
        if (elu.isSupported(DataType.BF16, Elu.Direction.FORWARD)) {
            elu.applyInPlace(shorts, DataType.BF16);
            short[] got = new short[h.length];
            shorts.get(0, got);
            short[] expected = h.clone();
            Elu.elu(0.5f).on(backend == Backend.ONEDNN ? Backend.SCALAR : backend).applyInPlace(expected, DataType.BF16);
            if (backend != Backend.ONEDNN) { // oneDNN's exp(x) - 1 may differ from the others by a rounding
                assertArrayEquals(expected, got, "a ShortBuffer of bf16 gives what a short[] gives");
            }
        } else {
            assertThrows(BackendUnavailableException.class, () -> elu.applyInPlace(shorts, DataType.BF16));
            short[] got = new short[h.length];
            shorts.get(0, got);
            assertArrayEquals(h, got, "nothing written");
        }

        // A DoubleBuffer is f64 without a type.
        double[] d = new double[x.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = x[i];
        }
        DoubleBuffer doubles = ByteBuffer.allocateDirect(8 * d.length).order(ByteOrder.nativeOrder()).asDoubleBuffer();
        doubles.put(d).clear();
        if (elu.isSupported(DataType.F64, Elu.Direction.FORWARD)) {
            elu.applyInPlace(doubles);
            double[] got = new double[d.length];
            doubles.get(0, got);
            double[] expected = d.clone();
            elu.applyInPlace(expected);
            assertArrayEquals(expected, got, "a DoubleBuffer gives what a double[] gives");
        } else {
            assertThrows(BackendUnavailableException.class, () -> elu.applyInPlace(doubles));
            double[] got = new double[d.length];
            doubles.get(0, got);
            assertArrayEquals(d, got, "nothing written");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void applyInPlaceRefusesWhatApplyRefuses(Backend backend) {
        Elu elu = Elu.elu().on(backend);
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        ByteBuffer bytes = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
        bytes.putFloat(0, -1f);

        var e = assertThrows(IllegalArgumentException.class, () -> elu.applyInPlace(bytes));
        assertTrue(e.getMessage().startsWith("data is a ByteBuffer"), e.getMessage());
        assertTrue(e.getMessage().contains("give its element type"), e.getMessage());
        ShortBuffer shorts = bytes.asShortBuffer();
        e = assertThrows(IllegalArgumentException.class, () -> elu.applyInPlace(shorts));
        assertTrue(e.getMessage().contains("give its element type"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> elu.applyInPlace(shorts, DataType.F32));
        assertTrue(e.getMessage().contains("cannot hold"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> elu.applyInPlace(bytes.asFloatBuffer(), DataType.F64));
        assertTrue(e.getMessage().contains("cannot hold"), e.getMessage());
        IntBuffer ints = IntBuffer.allocate(4);
        e = assertThrows(IllegalArgumentException.class, () -> elu.applyInPlace(ints));
        assertTrue(e.getMessage().contains("IntBuffer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> elu.applyInPlace(ints, DataType.F32));
        assertTrue(e.getMessage().contains("IntBuffer"), e.getMessage());

        FloatBuffer swapped = ByteBuffer.allocateDirect(64).order(other).asFloatBuffer();
        e = assertThrows(IllegalArgumentException.class, () -> elu.applyInPlace(swapped));
        assertTrue(e.getMessage().contains("platform's order"), e.getMessage());
        ByteBuffer swappedBytes = ByteBuffer.allocateDirect(64).order(other);
        e = assertThrows(IllegalArgumentException.class, () -> elu.applyInPlace(swappedBytes, DataType.F32));
        assertTrue(e.getMessage().contains("order(ByteOrder.nativeOrder())"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> elu.applyInPlace(bytes.asFloatBuffer().asReadOnlyBuffer()));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        ByteBuffer readOnly = bytes.asReadOnlyBuffer().order(ByteOrder.nativeOrder()); // views start big-endian
        e = assertThrows(IllegalArgumentException.class, () -> elu.applyInPlace(readOnly, DataType.F32));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        // 6 bytes are not a whole number of floats.
        ByteBuffer six = ByteBuffer.allocateDirect(6).order(ByteOrder.nativeOrder());
        assertThrows(IllegalArgumentException.class, () -> elu.applyInPlace(six, DataType.F32));

        assertThrows(NullPointerException.class, () -> elu.applyInPlace((Buffer) null));
        assertThrows(NullPointerException.class, () -> elu.applyInPlace((Buffer) null, DataType.F32));
        assertThrows(NullPointerException.class, () -> elu.applyInPlace(bytes, null));
        assertEquals(-1f, bytes.getFloat(0), "nothing written by a refused call");
    }
}
