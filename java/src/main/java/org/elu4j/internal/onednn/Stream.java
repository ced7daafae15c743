package org.elu4j.internal.onednn;

import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.MemorySegment;

/**
 * An owned oneDNN stream ({@code dnnl::stream}) with the default flags (in order). Not
 * thread-safe: each calling thread has its own ({@link ThreadContext}). Primitives run on it
 * through an {@link Executor}, which also waits for it.
 */
final class Stream extends DnnlHandle {
    private Stream(MemorySegment handle) {
        super(handle, "dnnl_stream_destroy");
    }

    static Stream create(Engine engine) {
        return new Stream(create("dnnl_stream_create",
                p -> dnnl_stream_create(p, engine.handle(), dnnl_stream_default_flags())));
    }

    @Override
    int destroy(MemorySegment handle) {
        return dnnl_stream_destroy(handle);
    }
}
