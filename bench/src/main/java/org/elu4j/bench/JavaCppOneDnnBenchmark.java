package org.elu4j.bench;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.dnnl_a;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_elu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_engine_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_engine_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_create_with_tag;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_execute;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_default_flags;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_wait;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import java.lang.foreign.MemorySegment;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.Pointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Peer: oneDNN 3.13's eltwise ELU forward called through its JavaCPP preset (JNI), the way a
 * JavaCPP user would: engine, stream, memory objects on the (same native, 64-byte-aligned)
 * buffers and the primitive are created once in set-up; a call is execute + wait, two JNI calls.
 * The C program {@code native/bench/elu4j_cbench.c} times exactly the same two calls from C, so the
 * difference is the cost of JNI; elu4j's {@code onednn} backend does more per call (it takes any
 * segment: two {@code set_data_handle} calls, a primitive-cache look-up, the argument checks).
 */
public class JavaCppOneDnnBenchmark extends BenchBase {

    @Param({"256", "4096", "65536", "1048576", "16777216"})
    public int size;

    /** {@code out}: y = ELU(x); {@code in}: one memory object as both source and destination. */
    @Param({"out", "in"})
    public String mode;

    private dnnl_engine engine;
    private dnnl_stream stream;
    private dnnl_memory srcMemory;
    private dnnl_memory dstMemory;
    private dnnl_primitive primitive;
    private dnnl_exec_arg_t args;

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
        engine = new dnnl_engine();
        check(dnnl_engine_create(engine, dnnl_cpu, 0), "dnnl_engine_create");
        stream = new dnnl_stream();
        check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "dnnl_stream_create");
        dnnl_memory_desc md = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_with_tag(md, 1, new long[] {size}, dnnl_f32, dnnl_a), "dnnl_memory_desc_create_with_tag");
        try {
            // A JavaCPP Pointer over the segment's memory (a direct ByteBuffer view): no copy.
            srcMemory = new dnnl_memory();
            check(dnnl_memory_create(srcMemory, md, engine, new Pointer(inPlace ? y.asByteBuffer() : x.asByteBuffer())),
                    "dnnl_memory_create");
            if (inPlace) {
                dstMemory = srcMemory;
            } else {
                dstMemory = new dnnl_memory();
                check(dnnl_memory_create(dstMemory, md, engine, new Pointer(y.asByteBuffer())), "dnnl_memory_create");
            }
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            check(dnnl_eltwise_forward_primitive_desc_create(pd, engine, dnnl_forward_inference, dnnl_eltwise_elu,
                    md, md, 1f, 0f, null), "dnnl_eltwise_forward_primitive_desc_create");
            try {
                primitive = new dnnl_primitive();
                check(dnnl_primitive_create(primitive, pd), "dnnl_primitive_create");
            } finally {
                dnnl_primitive_desc_destroy(pd);
            }
        } finally {
            dnnl_memory_desc_destroy(md);
        }
        args = new dnnl_exec_arg_t(2);
        args.position(0).arg(DNNL_ARG_SRC).memory(srcMemory);
        args.position(1).arg(DNNL_ARG_DST).memory(dstMemory);
        args.position(0);

        elu();
        checkElu("oneDNN via JavaCPP " + mode + " n=" + size, x, y);
        if (inPlace) {
            y.copyFrom(x);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        // Memory objects only hold the buffers' addresses: destroying them (before or after
        // BenchBase closes the arena) does not touch the buffers.
        if (primitive != null) {
            dnnl_primitive_destroy(primitive);
        }
        if (dstMemory != null && dstMemory != srcMemory) {
            dnnl_memory_destroy(dstMemory);
        }
        if (srcMemory != null) {
            dnnl_memory_destroy(srcMemory);
        }
        if (stream != null) {
            dnnl_stream_destroy(stream);
        }
        if (engine != null) {
            dnnl_engine_destroy(engine);
        }
        if (args != null) {
            args.close();
        }
    }

    @Benchmark
    public int elu() {
        int status = dnnl_primitive_execute(primitive, stream, 2, args);
        if (status != dnnl_success) {
            throw new IllegalStateException("dnnl_primitive_execute returned " + status);
        }
        return dnnl_stream_wait(stream);
    }

    private static void check(int status, String call) {
        if (status != dnnl_success) {
            throw new IllegalStateException(call + " returned dnnl_status " + status);
        }
    }
}
