package org.elu4j.bench.peers;

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
import static org.bytedeco.dnnl.global.dnnl.dnnl_version;

import java.lang.foreign.MemorySegment;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.dnnl_version_t;
import org.bytedeco.javacpp.Pointer;

/**
 * oneDNN's eltwise ELU forward (f32, {@code forward_inference}) called through its JavaCPP preset
 * (JNI), the way a JavaCPP user would: engine, stream, memory objects on the caller's native
 * segments and the primitive are created once; {@link #run()} is execute + wait, two JNI calls.
 * In place: one memory object as both source and destination.
 */
public final class JavaCppOneDnnElu implements AutoCloseable {
    private final dnnl_engine engine;
    private final dnnl_stream stream;
    private final dnnl_memory srcMemory;
    private final dnnl_memory dstMemory;
    private final dnnl_primitive primitive;
    private final dnnl_exec_arg_t args;

    /**
     * {@code dst = ELU(src)}.
     *
     * @param src   the input, native; must outlive this object
     * @param dst   the output, as large, or {@code src} itself for in place; must outlive this object
     * @param alpha ELU's alpha
     */
    public JavaCppOneDnnElu(MemorySegment src, MemorySegment dst, float alpha) {
        if (src.byteSize() != dst.byteSize() || src.byteSize() % Float.BYTES != 0 || !src.isNative() || !dst.isNative()) {
            throw new IllegalArgumentException("two native segments of the same whole number of floats");
        }
        boolean inPlace = src.address() == dst.address();
        long n = src.byteSize() / Float.BYTES;
        engine = new dnnl_engine();
        check(dnnl_engine_create(engine, dnnl_cpu, 0), "dnnl_engine_create");
        stream = new dnnl_stream();
        check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "dnnl_stream_create");
        dnnl_memory_desc md = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_with_tag(md, 1, new long[] {n}, dnnl_f32, dnnl_a), "dnnl_memory_desc_create_with_tag");
        try {
            // A JavaCPP Pointer over the segment's memory (a direct ByteBuffer view): no copy.
            srcMemory = new dnnl_memory();
            check(dnnl_memory_create(srcMemory, md, engine, new Pointer(src.asByteBuffer())), "dnnl_memory_create");
            if (inPlace) {
                dstMemory = srcMemory;
            } else {
                dstMemory = new dnnl_memory();
                check(dnnl_memory_create(dstMemory, md, engine, new Pointer(dst.asByteBuffer())), "dnnl_memory_create");
            }
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            check(dnnl_eltwise_forward_primitive_desc_create(pd, engine, dnnl_forward_inference, dnnl_eltwise_elu,
                    md, md, alpha, 0f, null), "dnnl_eltwise_forward_primitive_desc_create");
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
    }

    /**
     * oneDNN's version, e.g. {@code 3.13.0}.
     *
     * @return major.minor.patch of the loaded library
     */
    public static String version() {
        dnnl_version_t v = dnnl_version();
        return v.major() + "." + v.minor() + "." + v.patch();
    }

    /**
     * One run: execute, then wait for the stream.
     *
     * @return {@code dnnl_stream_wait}'s status (success)
     */
    public int run() {
        int status = dnnl_primitive_execute(primitive, stream, 2, args);
        if (status != dnnl_success) {
            throw new IllegalStateException("dnnl_primitive_execute returned " + status);
        }
        return dnnl_stream_wait(stream);
    }

    @Override
    public void close() {
        // Memory objects only hold the buffers' addresses: destroying them (before or after the
        // arena that owns the buffers is closed) does not touch the buffers.
        dnnl_primitive_destroy(primitive);
        if (dstMemory != srcMemory) {
            dnnl_memory_destroy(dstMemory);
        }
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
