package org.elu4j.examples.onnxruntime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Set;
import org.elu4j.Elu;

/**
 * One caller's tensors for a {@link TinyOnnx} session: the input {@code x} and the output
 * {@code y} live in memory the caller owns (segments of the caller's arena), and both ONNX Runtime
 * and elu4j work on that memory, without a copy:
 *
 * <ul>
 * <li>{@code OnnxTensor.createTensor(env, FloatBuffer, shape)} on a direct, native-order buffer
 *     wraps the buffer's memory (the tensor does not own a copy: {@link OnnxTensor#ownsBuffer()}
 *     is false);</li>
 * <li>{@code session.run(inputs, pinnedOutputs)} writes {@code y} into the pinned output tensor,
 *     that is into the caller's segment;</li>
 * <li>elu4j applies the activation in place on that segment ({@link Elu#applyInPlace}).</li>
 * </ul>
 *
 * One instance per thread; the {@link OrtSession} may be shared (its {@code run} is thread-safe).
 * Close it before the arena: ONNX Runtime keeps the buffers' addresses while the tensors are open.
 */
public final class PinnedLayer implements AutoCloseable {
    private final OrtSession session;
    private final Elu activation;
    private final MemorySegment x;
    private final MemorySegment y;
    private final FloatBuffer xBuffer;
    private final FloatBuffer yBuffer;
    private final OnnxTensor xTensor;
    private final OnnxTensor yTensor;
    private final Map<String, OnnxTensor> inputs;
    private final Map<String, OnnxTensor> pinnedOutputs;

    /**
     * Allocates {@code x} and {@code y} ({@code batch * features} floats each, 64-byte aligned) in
     * the arena and wraps them in ONNX Runtime tensors.
     *
     * @param env        ONNX Runtime's environment
     * @param session    a session of a {@link TinyOnnx} model
     * @param arena      the arena that owns the memory; must outlive this object
     * @param batch      rows
     * @param features   columns
     * @param activation the activation {@link #forward()} applies to {@code y}
     * @throws OrtException if ONNX Runtime refuses a tensor
     */
    public PinnedLayer(OrtEnvironment env, OrtSession session, Arena arena, int batch, int features, Elu activation)
            throws OrtException {
        this.session = session;
        this.activation = activation;
        long bytes = 4L * batch * features;
        this.x = arena.allocate(bytes, 64);
        this.y = arena.allocate(bytes, 64);
        // Views of the segments, not copies: direct buffers at the same addresses.
        this.xBuffer = x.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
        this.yBuffer = y.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
        long[] shape = {batch, features};
        this.xTensor = OnnxTensor.createTensor(env, xBuffer, shape);
        OnnxTensor out;
        try {
            out = OnnxTensor.createTensor(env, yBuffer, shape);
        } catch (OrtException | RuntimeException e) {
            xTensor.close();
            throw e;
        }
        this.yTensor = out;
        this.inputs = Map.of(TinyOnnx.X, xTensor);
        this.pinnedOutputs = Map.of(TinyOnnx.Y, yTensor);
    }

    /** The input, {@code batch * features} floats: write it, then call {@link #forward()}. */
    public MemorySegment input() {
        return x;
    }

    /** The output: {@code y} after {@link #layer()}, {@code activation(y)} after {@link #forward()}. */
    public MemorySegment output() {
        return y;
    }

    /** The input tensor (wraps {@link #input()}). */
    public OnnxTensor inputTensor() {
        return xTensor;
    }

    /** The pinned output tensor (wraps {@link #output()}). */
    public OnnxTensor outputTensor() {
        return yTensor;
    }

    /** The buffer the input tensor was created from (a view of {@link #input()}). */
    public FloatBuffer inputBuffer() {
        return xBuffer;
    }

    /** The buffer the output tensor was created from (a view of {@link #output()}). */
    public FloatBuffer outputBuffer() {
        return yBuffer;
    }

    /**
     * The layer and its activation: ONNX Runtime computes {@code y} from {@link #input()} into
     * {@link #output()}, then elu4j applies the activation there in place.
     *
     * @throws OrtException if the run fails
     */
    public void forward() throws OrtException {
        layer();
        activation.applyInPlace(y);
    }

    /**
     * ONNX Runtime alone: {@code y} into {@link #output()} (only the nodes {@code y} needs run).
     *
     * @throws OrtException if the run fails
     */
    public void layer() throws OrtException {
        // The Result holds the pinned output but does not own it: closing it leaves yTensor open
        // and y untouched.
        try (OrtSession.Result ignored = session.run(inputs, pinnedOutputs)) {
            // y is in the caller's memory now
        }
    }

    /**
     * {@link #layer()}, and ONNX Runtime's own activations of {@code y} ({@code ort_elu},
     * {@code ort_selu}) into tensors it allocates, copied out to arrays.
     *
     * @return {ort_elu, ort_selu}
     * @throws OrtException if the run fails
     */
    public float[][] layerAndOrtActivations() throws OrtException {
        try (OrtSession.Result r = session.run(inputs, Set.of(TinyOnnx.ORT_ELU, TinyOnnx.ORT_SELU), pinnedOutputs)) {
            float[][] result = new float[2][];
            int i = 0;
            for (String name : new String[] {TinyOnnx.ORT_ELU, TinyOnnx.ORT_SELU}) {
                FloatBuffer b = ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
                result[i] = new float[b.remaining()];
                b.get(result[i++]);
            }
            return result;
        }
    }

    @Override
    public void close() {
        yTensor.close();
        xTensor.close();
    }
}
