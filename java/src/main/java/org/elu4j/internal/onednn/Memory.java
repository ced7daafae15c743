package org.elu4j.internal.onednn;

import static org.elu4j.internal.onednn.DnnlStatus.check;
import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.MemorySegment;
import org.elu4j.DataType;

/**
 * An owned oneDNN memory object ({@code dnnl::memory}) for a 1-D tensor of n elements of a type,
 * created without a buffer: each call points it at the caller's segment
 * ({@link #setDataHandle}) before a primitive runs on it. Not thread-safe (a thread's own,
 * in its {@link ThreadContext}).
 */
final class Memory extends DnnlHandle {
    private Memory(MemorySegment handle) {
        super(handle, "dnnl_memory_destroy");
    }

    static Memory create(Engine engine, DataType type, long n) {
        try (MemoryDesc md = MemoryDesc.of(type, n)) {
            return new Memory(create("dnnl_memory_create",
                    p -> dnnl_memory_create(p, md.handle(), engine.handle(), DNNL_MEMORY_NONE())));
        }
    }

    /**
     * Points the memory object at {@code data} (a native segment of the tensor's size). oneDNN
     * keeps the pointer, not the segment: whoever executes must keep the segment alive until the
     * primitive is done ({@link Executor}).
     */
    void setDataHandle(MemorySegment data) {
        check(dnnl_memory_set_data_handle(handle(), data), "dnnl_memory_set_data_handle");
    }

    @Override
    int destroy(MemorySegment handle) {
        return dnnl_memory_destroy(handle);
    }
}
