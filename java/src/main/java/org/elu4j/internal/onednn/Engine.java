package org.elu4j.internal.onednn;

import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.MemorySegment;

/** An owned oneDNN engine ({@code dnnl::engine}): the CPU engine a backend lives on. */
final class Engine extends DnnlHandle {
    private Engine(MemorySegment handle) {
        super(handle, "dnnl_engine_destroy");
    }

    /** The CPU engine (index 0). */
    static Engine cpu() {
        return new Engine(create("dnnl_engine_create", p -> dnnl_engine_create(p, dnnl_cpu(), 0)));
    }

    @Override
    int destroy(MemorySegment handle) {
        return dnnl_engine_destroy(handle);
    }
}
