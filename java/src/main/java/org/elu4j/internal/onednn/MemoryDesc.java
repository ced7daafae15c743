package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.elu4j.DataType;

/**
 * An owned oneDNN memory descriptor ({@code dnnl::memory::desc}): a plain 1-D tensor of
 * {@code n} elements of a type. Lives for one scope: the primitive descriptors and memory
 * objects made from it keep their own copies.
 */
final class MemoryDesc extends DnnlHandle {
    private MemoryDesc(MemorySegment handle) {
        super(handle, "dnnl_memory_desc_destroy");
    }

    /** A 1-D descriptor of n elements of the type (tag {@code a}). */
    static MemoryDesc of(DataType type, long n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dims = arena.allocateFrom(JAVA_LONG, n);
            return new MemoryDesc(create("dnnl_memory_desc_create_with_tag",
                    p -> dnnl_memory_desc_create_with_tag(p, 1, dims, dnnlType(type), dnnl_a())));
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
    int destroy(MemorySegment handle) {
        return dnnl_memory_desc_destroy(handle);
    }
}
