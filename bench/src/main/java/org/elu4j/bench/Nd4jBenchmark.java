package org.elu4j.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.ELU;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Peer: ND4J 1.0.0-M2.1 (nd4j-native, libnd4j's CPU kernels through JavaCPP) on INDArrays
 * created once in set-up from the suite's input (ND4J owns its buffers; it cannot work on a
 * {@code MemorySegment}).
 * <ul>
 * <li>{@code in}: {@code Transforms.elu(x, false)}, ND4J's public in-place ELU;</li>
 * <li>{@code out}: {@code Nd4j.exec(new ELU(x, z))} into a preallocated z. This is the op that
 *     {@code Transforms.elu(x, true)} runs, without the new result array that call allocates
 *     each time (which would add an allocation to the comparison).</li>
 * </ul>
 */
public class Nd4jBenchmark extends BenchBase {

    @Param({"256", "4096", "65536", "1048576", "16777216"})
    public int size;

    @Param({"out", "in"})
    public String mode;

    private INDArray x;
    private INDArray z;
    private boolean inPlace;

    @Setup(Level.Trial)
    public void setUp() {
        MemorySegment input = randomInput(size);
        float[] data = input.toArray(JAVA_FLOAT);
        x = Nd4j.createFromArray(data);
        z = Nd4j.createUninitialized(DataType.FLOAT, size);
        inPlace = mode.equals("in");
        if (!inPlace && !mode.equals("out")) {
            throw new IllegalArgumentException("mode must be out or in: " + mode);
        }
        INDArray result = (INDArray) elu();
        checkElu("ND4J " + mode + " n=" + size, input, result.toFloatVector());
        if (inPlace) {
            x.assign(Nd4j.createFromArray(data));
        }
    }

    @Benchmark
    public Object elu() {
        if (inPlace) {
            return Transforms.elu(x, false);
        }
        Nd4j.exec(new ELU(x, z));
        return z;
    }
}
