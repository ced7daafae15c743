package org.elu4j.internal.onednn;

import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.MemorySegment;
import org.elu4j.DataType;
import org.elu4j.internal.onednn.EltwisePlan.Step;

/**
 * An owned oneDNN primitive ({@code dnnl::primitive}): JIT-compiled code for one step of an
 * {@link EltwisePlan} on n elements of a type. Thread-safe to execute (each thread on its own
 * stream and memories, through an {@link Executor}); shared through the {@link PrimitiveCache},
 * which closes it once nobody uses it.
 */
final class Primitive extends DnnlHandle {
    private Primitive(MemorySegment handle) {
        super(handle, "dnnl_primitive_destroy");
    }

    static Primitive create(PrimitiveDesc pd) {
        return new Primitive(create("dnnl_primitive_create", p -> dnnl_primitive_create(p, pd.handle())));
    }

    /** The primitive of an eltwise step on n elements of the type (its descriptor lives only meanwhile). */
    static Primitive eltwise(Engine engine, Step step, DataType type, long n) {
        try (PrimitiveDesc pd = PrimitiveDesc.eltwise(engine, step, type, n)) {
            return create(pd);
        }
    }

    @Override
    int destroy(MemorySegment handle) {
        return dnnl_primitive_destroy(handle);
    }
}
