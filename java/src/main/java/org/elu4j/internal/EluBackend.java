package org.elu4j.internal;

import java.lang.foreign.MemorySegment;
import org.elu4j.Backend;
import org.elu4j.DataType;

/**
 * One implementation of the ELU family (see {@link Op} for the definition of every function).
 * Implementations are stateless or thread-safe, and are only ever called with arguments already
 * checked by {@link Checks}: segments alive and accessible by the calling thread, the same byte
 * size (a multiple of the element size), the destination writable, aliasing as allowed by the
 * pass (forward: source and destination identical or disjoint; backward: dx identical to or
 * disjoint from dy, and disjoint from x/y), parameters valid for the pass, and
 * {@link #unsupported} null for the call. Segments may have any alignment and offset; the element
 * count is {@code byteSize() / type.byteSize()}.
 */
public interface EluBackend {

    /** Which backend this is. */
    Backend kind();

    /** One line for logs and {@code elu4j info}, e.g. {@code "helper (avx512)"}. */
    String description();

    /** Whether this backend accepts heap segments ({@code MemorySegment.ofArray}). */
    boolean supportsHeapSegments();

    /**
     * Null when this backend runs {@code op} on {@code type} for {@code pass}, else why not, as a
     * phrase that completes "the X backend cannot run this: ..." (e.g. "oneDNN has no f64 eltwise
     * on CPU"). Called by the provider before every dispatch (keep it cheap and allocation-free on
     * repeat calls); AUTO skips backends that answer non-null.
     */
    String unsupported(Op op, DataType type, Pass pass);

    /**
     * f32 ELU forward: {@code dst[i] = src[i] > 0 ? src[i] : alpha * expm1(src[i])}.
     * Segments need not be aligned; {@code src.byteSize() / 4} elements are processed.
     */
    void eluF32(MemorySegment src, MemorySegment dst, float alpha);

    /**
     * Forward: {@code dst = op(src)} on elements of {@code type}, on up to {@code threads} threads
     * (1: serial in the calling thread; 0: one per online CPU), with the same bits whatever the
     * thread count. Backends without a parallel path run serially.
     */
    void forward(Op op, DataType type, MemorySegment src, MemorySegment dst, int threads);

    /**
     * Backward: {@code dx = dy * op'(x)} where {@code xy} holds x ({@code fromOutput} false) or
     * y = op(x) ({@code fromOutput} true). Serial. {@code dx} may be the same region as {@code dy}.
     */
    void backward(Op op, DataType type, boolean fromOutput, MemorySegment dy, MemorySegment xy, MemorySegment dx);
}
