package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.elu4j.internal.onednn.DnnlStatus.check;
import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.elu4j.DataType;

/**
 * An owned oneDNN memory descriptor (as {@code dnnl::memory::desc} owns one in oneDNN's C++ API):
 * a plain 1-D tensor of {@code n} elements of a type. Use it in try-with-resources; closing
 * destroys the handle once, and a failing destroy becomes a NativeCallException naming the call.
 */
record MemoryDesc(MemorySegment handle) implements AutoCloseable {

    /** A 1-D descriptor of n elements of the type (tag {@code a}). */
    static MemoryDesc of(DataType type, long n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(dnnl_memory_desc_t);
            check(dnnl_memory_desc_create_with_tag(p, 1, arena.allocateFrom(JAVA_LONG, n), dnnlType(type), dnnl_a()),
                    "dnnl_memory_desc_create_with_tag");
            return new MemoryDesc(p.get(dnnl_memory_desc_t, 0));
        }
    }

    /** oneDNN's dnnl_data_type_t for an elu4j data type. */
    static int dnnlType(DataType type) {
        return switch (type) {
            case F32 -> dnnl_f32();
            case F64 -> dnnl_f64();
            case BF16 -> dnnl_bf16();
            case F16 -> dnnl_f16();
        };
    }

    @Override
    public void close() {
        check(dnnl_memory_desc_destroy(handle), "dnnl_memory_desc_destroy");
    }
}
