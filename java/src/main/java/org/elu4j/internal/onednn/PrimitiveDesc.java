package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static org.elu4j.internal.onednn.DnnlStatus.check;
import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.elu4j.DataType;
import org.elu4j.internal.onednn.EltwisePlan.Alg;
import org.elu4j.internal.onednn.EltwisePlan.Step;

/**
 * An owned oneDNN primitive descriptor ({@code dnnl::eltwise_forward::primitive_desc} or
 * {@code eltwise_backward::primitive_desc}): what oneDNN would run for one step of an
 * {@link EltwisePlan} on n elements of a type, and with which implementation. A backward
 * descriptor owns the forward descriptor it was made with (oneDNN's hint), and closing it closes
 * both.
 */
final class PrimitiveDesc extends DnnlHandle {
    /** The forward (training) descriptor a backward one was created from; null for a forward one. */
    private final PrimitiveDesc hint;

    private PrimitiveDesc(MemorySegment handle, PrimitiveDesc hint) {
        super(handle, "dnnl_primitive_desc_destroy");
        this.hint = hint;
    }

    /**
     * The descriptor of an eltwise step on a 1-D tensor of n elements of the type (source,
     * destination and diffs all alike).
     *
     * @throws org.elu4j.NativeCallException naming the create call that failed and its status
     *         ({@code dnnl_unimplemented} where oneDNN has no implementation here)
     */
    static PrimitiveDesc eltwise(Engine engine, Step step, DataType type, long n) {
        Alg alg = step.alg();
        try (MemoryDesc desc = MemoryDesc.of(type, n)) {
            MemorySegment md = desc.handle();
            // A backward primitive needs the forward primitive descriptor of training as a hint.
            PrimitiveDesc fwd = new PrimitiveDesc(create("dnnl_eltwise_forward_primitive_desc_create",
                    p -> dnnl_eltwise_forward_primitive_desc_create(p, engine.handle(),
                            alg.backward ? dnnl_forward_training() : dnnl_forward_inference(), alg.dnnl(), md, md,
                            step.alpha(), 0f, MemorySegment.NULL)), null);
            if (!alg.backward) {
                return fwd;
            }
            try {
                return new PrimitiveDesc(create("dnnl_eltwise_backward_primitive_desc_create",
                        p -> dnnl_eltwise_backward_primitive_desc_create(p, engine.handle(), alg.dnnl(), md, md, md,
                                step.alpha(), 0f, fwd.handle(), MemorySegment.NULL)), fwd);
            } catch (RuntimeException e) {
                try {
                    fwd.close();
                } catch (RuntimeException destroyFailed) {
                    e.addSuppressed(destroyFailed);
                }
                throw e;
            }
        }
    }

    /** The implementation oneDNN picked, e.g. {@code jit:avx512_core} ({@code dnnl_query_impl_info_str}). */
    String implementation() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment str = arena.allocate(ADDRESS);
            check(dnnl_primitive_desc_query(handle(), dnnl_query_impl_info_str(), 0, str), "dnnl_primitive_desc_query");
            return str.get(ADDRESS, 0).reinterpret(256).getString(0);
        }
    }

    @Override
    int destroy(MemorySegment handle) {
        return dnnl_primitive_desc_destroy(handle);
    }

    /**
     * Destroys this descriptor and then its hint, even if the first destroy fails; the first
     * failure is thrown, the second suppressed in it (a finally block would have thrown the
     * hint's instead, losing the descriptor's status and call).
     */
    @Override
    public void close() {
        RuntimeException failure = DnnlHandle.attempt(super::close, null);
        if (hint != null) {
            failure = DnnlHandle.attempt(hint::close, failure);
        }
        if (failure != null) {
            throw failure;
        }
    }
}
