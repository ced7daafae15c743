package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static org.elu4j.internal.onednn.DnnlStatus.check;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.ToIntFunction;

/**
 * A oneDNN object owned by one Java object, as oneDNN's C++ API wraps each C handle in a class
 * ({@code dnnl::engine}, {@code stream}, {@code memory}, {@code memory::desc},
 * {@code primitive_desc}, {@code primitive}) whose destructor destroys it. Java has no
 * destructors, so an owner is {@link AutoCloseable}: used in try-with-resources where it lives
 * for one scope, closed by the object that holds it otherwise. Creating checks the create call's
 * status; closing destroys the handle once (closing again does nothing) and checks the destroy
 * call's status; a failure of either is a {@link org.elu4j.NativeCallException} naming the call
 * and the status ({@link DnnlStatus#check}). An owner is not thread-safe: oneDNN's streams and
 * memory objects are not either, and the shared ones (engine, primitives) are only closed when no
 * call runs.
 */
abstract sealed class DnnlHandle implements AutoCloseable
        permits Engine, Stream, Memory, MemoryDesc, PrimitiveDesc, Primitive {
    private final MemorySegment handle;
    private final String destroyCall;
    private boolean closed;

    DnnlHandle(MemorySegment handle, String destroyCall) {
        this.handle = handle;
        this.destroyCall = destroyCall;
    }

    /** The C handle, for the oneDNN calls that take it. */
    final MemorySegment handle() {
        return handle;
    }

    /** The oneDNN call that destroys the handle, e.g. {@code dnnl_stream_destroy}; returns its status. */
    abstract int destroy(MemorySegment handle);

    /** Destroys the handle, once. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            check(destroy(handle), destroyCall);
        }
    }

    /**
     * Runs a oneDNN create call that writes the new handle to its out-parameter, checks its
     * status and returns the handle.
     */
    static MemorySegment create(String call, ToIntFunction<MemorySegment> create) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check(create.applyAsInt(out), call);
            return out.get(ADDRESS, 0);
        }
    }

    /** Closes every owner given, in order, even when one fails; the first failure is thrown. */
    static void closeAll(DnnlHandle... owners) {
        RuntimeException failure = null;
        for (DnnlHandle owner : owners) {
            if (owner != null) {
                failure = attempt(owner::close, failure);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Runs one step of a close that must attempt every step: returns {@code failure}, or the step's
     * failure (added to {@code failure} as suppressed where there was one already).
     */
    static RuntimeException attempt(Runnable step, RuntimeException failure) {
        try {
            step.run();
        } catch (RuntimeException e) {
            if (failure == null) {
                return e;
            }
            failure.addSuppressed(e);
        }
        return failure;
    }
}
