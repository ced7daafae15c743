package org.elu4j.examples.onnxruntime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;
import org.elu4j.Elu;
import org.elu4j.reference.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime and elu4j on one memory: no copy on the way in or out (same addresses, as the
 * tensors and ONNX Runtime's own native tensor data report them), ONNX Runtime's output read back
 * by ONNX Runtime after elu4j changed it in place, elu4j's SELU and ELU against the correctly
 * rounded reference and against ONNX Runtime's own Selu and Elu, and two threads serving 1x4096
 * requests from one session.
 */
class ZeroCopyTest {
    private static final int N = ZeroCopyExample.FEATURES;
    private static final Reference SELU = Reference.elu(Elu.SELU_ALPHA, Elu.SELU_SCALE, 1);
    private static final Reference ELU = Reference.elu(1);

    private static OrtEnvironment env;
    private static OrtSession.SessionOptions options;
    private static OrtSession layerSession;    // y = 2x - 1
    private static OrtSession identitySession; // y = x * 1 + 0 = x: chosen inputs reach the activations

    @BeforeAll
    static void open() throws Exception {
        env = OrtEnvironment.getEnvironment();
        options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1);
        layerSession = env.createSession(TinyOnnx.layerModel(ZeroCopyExample.SCALE, ZeroCopyExample.BIAS), options);
        identitySession = env.createSession(TinyOnnx.layerModel(1f, 0f), options);
    }

    @AfterAll
    static void close() throws Exception {
        identitySession.close();
        layerSession.close();
        options.close();
    }

    @Test
    void theModelIsTinyAndHasTheDocumentedInterface() throws Exception {
        assertTrue(TinyOnnx.layerModel(2f, -1f).length < 512, "a few hundred bytes");
        assertEquals(List.of(TinyOnnx.X), List.copyOf(layerSession.getInputNames()));
        assertEquals(List.of(TinyOnnx.Y, TinyOnnx.ORT_ELU, TinyOnnx.ORT_SELU), List.copyOf(layerSession.getOutputNames()));
        TensorInfo x = (TensorInfo) layerSession.getInputInfo().get(TinyOnnx.X).getInfo();
        assertArrayEquals(new long[] {-1, -1}, x.getShape(), "[batch, features], both symbolic");
    }

    @Test
    void tensorsWrapTheCallersMemoryAndOrtWritesIntoIt() throws Exception {
        try (Arena arena = Arena.ofConfined();
                PinnedLayer layer = new PinnedLayer(env, layerSession, arena, 1, N, Elu.selu())) {
            MemorySegment x = layer.input();
            MemorySegment y = layer.output();
            // The tensors own no copy, and the memory ONNX Runtime itself reads and writes for
            // them (its native tensor data) is the caller's segments.
            assertFalse(layer.inputTensor().ownsBuffer());
            assertFalse(layer.outputTensor().ownsBuffer());
            assertEquals(x.address(), ZeroCopyExample.tensorAddress(layer.inputTensor()));
            assertEquals(y.address(), ZeroCopyExample.tensorAddress(layer.outputTensor()));
            assertEquals(x.address(), ortDataAddress(layer.inputTensor()));
            assertEquals(y.address(), ortDataAddress(layer.outputTensor()));

            ZeroCopyExample.fill(x, new SplittableRandom(1));
            y.fill((byte) 0xFF);
            layer.layer();
            for (int i = 0; i < N; i++) {
                float xi = x.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                assertEquals(xi * ZeroCopyExample.SCALE + ZeroCopyExample.BIAS, y.getAtIndex(ValueLayout.JAVA_FLOAT, i),
                        "ONNX Runtime wrote y into the pinned segment");
            }
            // Input shared too: change x in place, run again, y follows without a new tensor.
            x.setAtIndex(ValueLayout.JAVA_FLOAT, 7, 3f);
            layer.layer();
            assertEquals(3f * ZeroCopyExample.SCALE + ZeroCopyExample.BIAS, y.getAtIndex(ValueLayout.JAVA_FLOAT, 7));

            long address = y.address();
            float[] pre = y.toArray(ValueLayout.JAVA_FLOAT);
            Elu.selu().applyInPlace(y);
            assertEquals(address, y.address());
            assertEquals(address, ortDataAddress(layer.outputTensor()));
            // ONNX Runtime reads its output tensor back: elu4j's in-place result.
            FloatBuffer seen = layer.outputTensor().getFloatBuffer();
            for (int i = 0; i < N; i++) {
                assertEquals(y.getAtIndex(ValueLayout.JAVA_FLOAT, i), seen.get(i));
                assertWithinUlps(SELU.at(pre[i]), seen.get(i), 1, pre[i]);
            }
        }
    }

    @Test
    void elu4jIsCorrectlyRoundedWithinAnUlpAndOrtAgreesWithinItsOwnError() throws Exception {
        try (Arena arena = Arena.ofConfined();
                PinnedLayer layer = new PinnedLayer(env, identitySession, arena, 1, N, Elu.selu())) {
            float[] x = inputs();
            MemorySegment.copy(x, 0, layer.input(), ValueLayout.JAVA_FLOAT, 0, N);
            float[][] ort = layer.layerAndOrtActivations();
            float[] y = layer.output().toArray(ValueLayout.JAVA_FLOAT);
            for (int i = 0; i < N; i++) {
                assertEquals(x[i] * 1f + 0f, y[i], "the identity layer (-0 + 0 is +0)");
            }
            float[] elu = new float[N];
            Elu.elu().apply(y, elu);
            Elu.selu().applyInPlace(layer.output());
            float[] selu = layer.output().toArray(ValueLayout.JAVA_FLOAT);
            for (int i = 0; i < N; i++) {
                assertWithinUlps(ELU.at(y[i]), elu[i], 1, y[i]);
                assertWithinUlps(SELU.at(y[i]), selu[i], 1, y[i]);
                assertEquals(elu[i], ort[0][i], ZeroCopyExample.ORT_TOLERANCE, "ONNX Runtime's Elu at " + y[i]);
                assertEquals(selu[i], ort[1][i], ZeroCopyExample.ORT_TOLERANCE, "ONNX Runtime's Selu at " + y[i]);
            }
            // Near 0 ONNX Runtime computes exp(x) - 1 in float: 0 at x = -2.98e-8 where ELU(x) is
            // x itself to float precision, and percent errors at -1e-6; elu4j stays within an ulp.
            int tiny = index(x, -2.98e-8f);
            assertEquals(0f, ort[0][tiny], "ONNX Runtime's Elu cancels to 0 here");
            assertWithinUlps(ELU.at(x[tiny]), elu[tiny], 1, x[tiny]);
            int small = index(x, -1e-6f);
            double ortRelative = Math.abs(ort[0][small] - ELU.at(x[small])) / Math.abs(ELU.at(x[small]));
            assertTrue(ortRelative > 1e-3, "ONNX Runtime's relative error at -1e-6: " + ortRelative);
        }
    }

    @Test
    void theExampleRunsAndTwoThreadsServeOneSession() throws Exception {
        assertTrue(ZeroCopyExample.oneRequest(env, layerSession));
        assertTrue(ZeroCopyExample.serve(env, layerSession, 2, 300));
    }

    /** Random inputs over ELU's range, with the small negatives where exp(x) - 1 cancels. */
    private static float[] inputs() {
        float[] x = new float[N];
        SplittableRandom random = new SplittableRandom(7);
        float[] special = {-2.98e-8f, -1e-6f, -1e-30f, -0f, 0f, Float.MIN_VALUE, -Float.MIN_VALUE, -88f, -100f,
            -17.5f, 1e-6f, 3f, -0.5f};
        System.arraycopy(special, 0, x, 0, special.length);
        for (int i = special.length; i < N; i++) {
            double u = random.nextDouble();
            x[i] = i % 2 == 0 ? (float) random.nextDouble(-10, 10) : (float) -Math.pow(10, -12 + 13 * u);
        }
        return x;
    }

    private static int index(float[] x, float v) {
        for (int i = 0; i < x.length; i++) {
            if (x[i] == v) {
                return i;
            }
        }
        throw new AssertionError(v + " not among the inputs");
    }

    private static void assertWithinUlps(float want, float got, int ulps, float x) {
        assertTrue(ZeroCopyExample.ulps(want, got) <= ulps || (want == 0 && got == 0),
                "at x = " + x + ": " + got + ", correctly rounded " + want);
    }

    /**
     * The address of the native tensor data ONNX Runtime reads and writes for a tensor
     * (OrtGetTensorMutableData, through ONNX Runtime's private OnnxTensor.getBuffer(), which wraps
     * it in a direct buffer without copying; 1.20's API has no public accessor).
     */
    private static long ortDataAddress(OnnxTensor tensor) throws ReflectiveOperationException {
        Method getBuffer = OnnxTensor.class.getDeclaredMethod("getBuffer");
        getBuffer.setAccessible(true);
        return MemorySegment.ofBuffer((ByteBuffer) getBuffer.invoke(tensor)).address();
    }
}
