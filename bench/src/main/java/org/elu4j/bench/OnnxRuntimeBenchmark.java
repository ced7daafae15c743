package org.elu4j.bench;

import ai.onnxruntime.OrtException;
import java.lang.foreign.MemorySegment;
import org.elu4j.bench.peers.OrtElu;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Peer: ONNX Runtime's {@code Elu} operator (com.microsoft.onnxruntime:onnxruntime, CPU execution
 * provider) from Java, as a user who already runs ONNX Runtime would apply ELU
 * ({@link OrtElu}): a one-node model ({@code y = Elu(x, alpha = 1)}), a session with one intra-op
 * and one inter-op thread, the input tensor over the suite's input segment and the output pinned
 * over the output segment ({@code session.run(inputs, pinnedOutputs)}): no copy on either side. A
 * call is one {@code OrtSession.run}: its Java side (maps, the result object), the JNI crossing and
 * ONNX Runtime's own per-run work (input checks, the execution plan, the kernel).
 *
 * <p>Out of place only (no {@code mode} parameter, so the report files it with the out-of-place
 * runs): ONNX Runtime does not document an input and a pinned output over one memory.
 */
public class OnnxRuntimeBenchmark extends BenchBase {

    @Param({"256", "4096", "65536", "1048576", "16777216"})
    public int size;

    private OrtElu ort;

    @Setup(Level.Trial)
    public void setUp() throws OrtException {
        MemorySegment x = randomInput(size);
        MemorySegment y = allocateFloats(size);
        y.fill((byte) 0xFF); // NaN: the check below fails unless the run wrote the pinned output
        ort = new OrtElu(x, y, 1f);
        if (!ort.zeroCopy()) {
            throw new IllegalStateException("ONNX Runtime copied a tensor: the benchmark would measure the copy");
        }
        elu();
        checkElu("ONNX Runtime Elu n=" + size, x, y);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (ort != null) {
            ort.close();
            ort = null;
        }
    }

    @Benchmark
    public void elu() throws OrtException {
        ort.run();
    }
}
