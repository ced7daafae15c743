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

/**
 * oneDNN's f32 ELU (alpha = 1) forward, out of place, through its JavaCPP preset, on two native
 * segments: engine, stream, memory objects and primitive made once; {@link #run()} is execute +
 * wait, as {@link JavaCppOneDnnBenchmark} calls it. One instance per calling thread (a stream is
 * not meant to be shared); {@link #close()} destroys the handles, not the segments.
 */
final class JavaCppEluCall implements AutoCloseable {
    private final dnnl_engine engine = new dnnl_engine();
    private final dnnl_stream stream = new dnnl_stream();
    private final dnnl_memory srcMemory = new dnnl_memory();
    private final dnnl_memory dstMemory = new dnnl_memory();
    private final dnnl_primitive primitive = new dnnl_primitive();
    private final dnnl_exec_arg_t args = new dnnl_exec_arg_t(2);

    JavaCppEluCall(MemorySegment x, MemorySegment y) {
        long n = x.byteSize() / Float.BYTES;
        check(dnnl_engine_create(engine, dnnl_cpu, 0), "dnnl_engine_create");
        check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "dnnl_stream_create");
        dnnl_memory_desc md = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_with_tag(md, 1, new long[] {n}, dnnl_f32, dnnl_a), "dnnl_memory_desc_create_with_tag");
        try {
            // A JavaCPP Pointer over the segment's memory (a direct ByteBuffer view): no copy.
            check(dnnl_memory_create(srcMemory, md, engine, new Pointer(x.asByteBuffer())), "dnnl_memory_create");
            check(dnnl_memory_create(dstMemory, md, engine, new Pointer(y.asByteBuffer())), "dnnl_memory_create");
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            check(dnnl_eltwise_forward_primitive_desc_create(pd, engine, dnnl_forward_inference, dnnl_eltwise_elu,
                    md, md, 1f, 0f, null), "dnnl_eltwise_forward_primitive_desc_create");
            try {
                check(dnnl_primitive_create(primitive, pd), "dnnl_primitive_create");
            } finally {
                dnnl_primitive_desc_destroy(pd);
            }
        } finally {
            dnnl_memory_desc_destroy(md);
        }
        args.position(0).arg(DNNL_ARG_SRC).memory(srcMemory);
        args.position(1).arg(DNNL_ARG_DST).memory(dstMemory);
        args.position(0);
    }

    int run() {
        int status = dnnl_primitive_execute(primitive, stream, 2, args);
        if (status != dnnl_success) {
            throw new IllegalStateException("dnnl_primitive_execute returned " + status);
        }
        return dnnl_stream_wait(stream);
    }

    @Override
    public void close() {
        dnnl_primitive_destroy(primitive);
        dnnl_memory_destroy(dstMemory);
        dnnl_memory_destroy(srcMemory);
        dnnl_stream_destroy(stream);
        dnnl_engine_destroy(engine);
        args.close();
    }

    private static void check(int status, String call) {
        if (status != dnnl_success) {
            throw new IllegalStateException(call + " returned dnnl_status " + status);
        }
    }
}
