package org.elu4j.bench;

import java.lang.foreign.MemorySegment;
import org.elu4j.bench.peers.JavaCppOneDnnElu;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Peer: oneDNN 3.13's eltwise ELU forward called through its JavaCPP preset (JNI), the way a
 * JavaCPP user would ({@link JavaCppOneDnnElu}): engine, stream, memory objects on the (same
 * native, 64-byte-aligned) buffers and the primitive are created once in set-up; a call is execute
 * + wait, two JNI calls. The C program {@code native/bench/elu4j_cbench.c} times exactly the same
 * two calls from C, so the difference is the cost of JNI; elu4j's {@code onednn} backend does more
 * per call (it takes any segment: two {@code set_data_handle} calls, a primitive-cache look-up, the
 * argument checks).
 */
public class JavaCppOneDnnBenchmark extends BenchBase {

    @Param({"256", "4096", "65536", "1048576", "16777216"})
    public int size;

    /** {@code out}: y = ELU(x); {@code in}: one memory object as both source and destination. */
    @Param({"out", "in"})
    public String mode;

    private JavaCppOneDnnElu onednn;

    @Setup(Level.Trial)
    public void setUp() {
        MemorySegment x = randomInput(size);
        MemorySegment y = allocateFloats(size);
        boolean inPlace = mode.equals("in");
        if (inPlace) {
            y.copyFrom(x);
        } else if (!mode.equals("out")) {
            throw new IllegalArgumentException("mode must be out or in: " + mode);
        }
        onednn = new JavaCppOneDnnElu(inPlace ? y : x, y, 1f);
        elu();
        checkElu("oneDNN via JavaCPP " + mode + " n=" + size, x, y);
        if (inPlace) {
            y.copyFrom(x);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (onednn != null) {
            onednn.close();
            onednn = null;
        }
    }

    @Benchmark
    public int elu() {
        return onednn.run();
    }
}
