package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.Stream;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.Inputs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** float[] and FloatBuffer entry points on every backend: results, routing and refusals. */
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
        assertTrue(e.getMessage().contains("platform's order"), e.getMessage());
        FloatBuffer dst = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder()).asFloatBuffer();
        dst.put(0, 7f);
        e = assertThrows(IllegalArgumentException.class, () -> elu.apply(src, dst.asReadOnlyBuffer()));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        assertEquals(7f, dst.get(0));
        assertThrows(NullPointerException.class, () -> elu.apply(src, (FloatBuffer) null));
        assertThrows(NullPointerException.class, () -> elu.apply((float[]) null, new float[1]));
    }
}
