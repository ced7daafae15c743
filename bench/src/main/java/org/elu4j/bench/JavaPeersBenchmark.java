package org.elu4j.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Plain-Java reference points over the same data, out of place:
 * <ul>
 * <li>{@link #segmentCopy}: {@code MemorySegment.copy}, the memory ceiling (read n floats, write
 *     n floats; the JDK's copy uses streaming stores for large blocks);</li>
 * <li>{@link #copyLoop}: the same copy as a plain indexed loop (what C2's auto-vectoriser makes
 *     of a segment loop, with ordinary stores);</li>
 * <li>{@link #reluLoop}: ReLU, {@code x > 0 ? x : 0}, as a plain loop: the cheapest activation, a
 *     baseline until elu4j has one of its own. C2 does not auto-vectorise it over segments here
 *     (nor the {@code Math.max(x, 0f)} form, which measured half as fast), so it shows what plain
 *     Java gets, not what the hardware allows;</li>
 * <li>{@link #expm1Loop}: ELU written the obvious way, {@code x > 0 ? x : (float) Math.expm1(x)}.</li>
 * </ul>
 * Each one's output is checked once in set-up.
 */
public class JavaPeersBenchmark extends BenchBase {

    @Param({"256", "4096", "65536", "1048576", "16777216"})
    public int size;

    private MemorySegment x;
    private MemorySegment y;

    @Setup(Level.Trial)
    public void setUp() {
        x = randomInput(size);
        y = allocateFloats(size);
        String n = " n=" + size;
        segmentCopy();
        checkSame("MemorySegment.copy" + n, x, y);
        y.fill((byte) 0);
        copyLoop();
        checkSame("copy loop" + n, x, y);
        reluLoop();
        for (long i = 0; i < size; i++) {
            float v = x.getAtIndex(JAVA_FLOAT, i);
            if (y.getAtIndex(JAVA_FLOAT, i) != (v > 0 ? v : 0f)) {
                throw new IllegalStateException("ReLU loop" + n + ": wrong result at index " + i);
            }
        }
        expm1Loop();
        checkElu("Math.expm1 loop" + n, x, y);
    }

    @Benchmark
    public MemorySegment segmentCopy() {
        MemorySegment.copy(x, 0, y, 0, x.byteSize());
        return y;
    }

    @Benchmark
    public MemorySegment copyLoop() {
        MemorySegment src = x;
        MemorySegment dst = y;
        int n = size;
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(JAVA_FLOAT, i, src.getAtIndex(JAVA_FLOAT, i));
        }
        return dst;
    }

    @Benchmark
    public MemorySegment reluLoop() {
        MemorySegment src = x;
        MemorySegment dst = y;
        int n = size;
        for (int i = 0; i < n; i++) {
            float v = src.getAtIndex(JAVA_FLOAT, i);
            dst.setAtIndex(JAVA_FLOAT, i, v > 0 ? v : 0f);
        }
        return dst;
    }

    @Benchmark
    public MemorySegment expm1Loop() {
        MemorySegment src = x;
        MemorySegment dst = y;
        int n = size;
        for (int i = 0; i < n; i++) {
            float v = src.getAtIndex(JAVA_FLOAT, i);
            dst.setAtIndex(JAVA_FLOAT, i, v > 0 ? v : (float) Math.expm1(v));
        }
        return dst;
    }
}
