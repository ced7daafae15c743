package org.elu4j.bench.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * ONNX Runtime's {@code Elu} operator on memory the caller owns, as a user who already runs ONNX
 * Runtime would call it: a session of {@link OnnxEluModel} with one intra-op thread (and one
 * inter-op thread), the input tensor over the caller's source segment and the output
 * <em>pinned</em> over the destination segment ({@code session.run(inputs, pinnedOutputs)}), so a
 * run reads and writes the caller's memory and nothing is copied in Java. Tensors and session are
 * made once; {@link #run()} is one {@code OrtSession.run}. Out of place only: ONNX Runtime does
 * not document an input and a pinned output over one memory.
 */
public final class OrtElu implements AutoCloseable {
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final OnnxTensor x;
    private final OnnxTensor y;
    private final Map<String, OnnxTensor> inputs;
    private final Map<String, OnnxTensor> outputs;

    /**
     * Wraps {@code src} and {@code dst} (native segments of the same size, whole floats, at most
     * {@code Integer.MAX_VALUE} bytes each: NIO's limit) in tensors of shape {@code [1, n]}.
     *
     * @param src   the input, read by every run; must outlive this object
     * @param dst   the output, written by every run; must outlive this object
     * @param alpha Elu's alpha
     * @throws OrtException if ONNX Runtime refuses the model, the options or a tensor
     */
    public OrtElu(MemorySegment src, MemorySegment dst, float alpha) throws OrtException {
        if (src.byteSize() != dst.byteSize() || src.byteSize() % Float.BYTES != 0 || !src.isNative() || !dst.isNative()) {
            throw new IllegalArgumentException("two native segments of the same whole number of floats");
        }
        long n = src.byteSize() / Float.BYTES;
        OrtEnvironment env = environment();
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        OrtSession s = null;
        OnnxTensor in = null;
        try {
            o.setIntraOpNumThreads(1);
            o.setInterOpNumThreads(1);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            s = env.createSession(OnnxEluModel.elu(alpha), o);
            // Direct, native-order views of the segments: ONNX Runtime keeps their addresses (no copy).
            in = OnnxTensor.createTensor(env, src.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer(),
                    new long[] {1, n});
            OnnxTensor out = OnnxTensor.createTensor(env, dst.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer(),
                    new long[] {1, n});
            this.options = o;
            this.session = s;
            this.x = in;
            this.y = out;
        } catch (OrtException | RuntimeException e) {
            if (in != null) {
                in.close();
            }
            if (s != null) {
                s.close();
            }
            o.close();
            throw e;
        }
        this.inputs = Map.of(OnnxEluModel.X, x);
        this.outputs = Map.of(OnnxEluModel.Y, y);
    }

    /** ONNX Runtime's environment, logging errors only (its default also logs warnings). */
    private static OrtEnvironment environment() {
        return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "elu4j-bench");
    }

    /**
     * ONNX Runtime's version, e.g. {@code 1.20.0}.
     *
     * @return the native library's version
     */
    public static String version() {
        return environment().getVersion();
    }

    /**
     * One run: {@code dst = Elu(src)}.
     *
     * @throws OrtException if the run fails
     */
    public void run() throws OrtException {
        // The result holds the pinned output only; closing it does not close that tensor, which
        // serves every run.
        session.run(inputs, outputs).close();
    }

    /**
     * Whether the tensors kept the caller's memory: neither owns a copy.
     *
     * @return true if ONNX Runtime reads and writes the caller's segments
     */
    public boolean zeroCopy() {
        return !x.ownsBuffer() && !y.ownsBuffer();
    }

    @Override
    public void close() {
        y.close();
        x.close();
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing ONNX Runtime's session", e);
        } finally {
            options.close();
        }
    }
}
