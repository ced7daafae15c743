package org.elu4j.internal;

import java.lang.foreign.MemorySegment;
import org.elu4j.Backend;

/**
 * One implementation of the ELU family. Implementations are stateless or thread-safe, and are
 * only ever called with arguments already checked by {@link Checks}: both segments alive and
 * accessible by the calling thread, the same byte size (a multiple of the element size), the
 * destination writable, and source and destination either identical (in place) or disjoint.
 */
public interface EluBackend {

    /** Which backend this is. */
    Backend kind();

    /** One line for logs and {@code elu4j info}, e.g. {@code "helper (avx512)"}. */
    String description();

    /** Whether this backend accepts heap segments ({@code MemorySegment.ofArray}). */
    boolean supportsHeapSegments();

    /**
     * f32 ELU forward: {@code dst[i] = src[i] > 0 ? src[i] : alpha * expm1(src[i])}.
     * Segments need not be aligned; {@code src.byteSize() / 4} elements are processed.
     */
    void eluF32(MemorySegment src, MemorySegment dst, float alpha);

    /**
     * {@link #eluF32} on up to {@code threads} threads ({@code 0}: one per online CPU), with the
     * same result bit for bit. Backends without a parallel path run serially: this default.
     * Implementations decide themselves when to stay serial (small sizes, heap segments).
     */
    default void eluF32Parallel(MemorySegment src, MemorySegment dst, float alpha, int threads) {
        eluF32(src, dst, alpha);
    }
}
