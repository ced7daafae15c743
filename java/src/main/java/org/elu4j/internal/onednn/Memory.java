package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.elu4j.internal.onednn.DnnlStatus.check;
import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.elu4j.DataType;

/**
 * An owned oneDNN memory object ({@code dnnl::memory}) for a 1-D tensor of n elements of a type,
 * created without a buffer: each call points it at the caller's segment
 * ({@link #pointAt}) before a primitive runs on it. Not thread-safe (a thread's own,
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

    /** {@link #dataAddress} when the memory object may point anywhere (new, or after a failed call). */
    private static final long UNKNOWN = -1;

    /**
     * {@code dnnl_memory_set_data_handle} as a critical downcall (no thread-state transition), with
     * the address as a plain number: oneDNN only records the pointer (a plain 1-D tensor has no
     * padding to zero), so the call is short and never blocks, and it needs no arena held: the
     * execute that reads the pointer holds the segment ({@link CallExecutor}).
     */
    private static final MethodHandle SET_DATA_HANDLE = Linker.nativeLinker().downcallHandle(
            dnnl_memory_set_data_handle$address(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG),
            Linker.Option.critical(false));

    /** The address oneDNN holds for this memory object, as set through it; {@link #UNKNOWN} if not known. */
    private long dataAddress = UNKNOWN;

    /**
     * Points the memory object at {@code data} (a native segment of the tensor's size), unless it
     * points there already: oneDNN keeps the pointer between calls, so a caller that reuses its
     * buffers (the common case: a layer's tensors) pays nothing here. oneDNN keeps the pointer,
     * not the segment: whoever executes must keep the segment alive until the primitive is done
     * ({@link Executor}).
     */
    void pointAt(MemorySegment data) {
        long address = data.address();
        if (address != dataAddress) {
            dataAddress = UNKNOWN;
            int status;
            try {
                status = (int) SET_DATA_HANDLE.invokeExact(handle(), address);
            } catch (Throwable t) {
                throw CallExecutor.rethrow(t);
            }
            check(status, "dnnl_memory_set_data_handle");
            dataAddress = address;
        }
    }

    /** Records that a call outside this class (the helper's shim) pointed the memory object at {@code data}. */
    void pointedAt(MemorySegment data) {
        dataAddress = data.address();
    }

    /** Forgets where the memory object points (before a call that may or may not change it). */
    void forgetDataAddress() {
        dataAddress = UNKNOWN;
    }

    @Override
    int destroy(MemorySegment handle) {
        return dnnl_memory_destroy(handle);
    }
}
