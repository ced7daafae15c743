package org.elu4j.internal;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Argument checks shared by every entry point. They run before any backend is called, so a
 * rejected call never writes a single byte of the destination.
 */
public final class Checks {
    private Checks() {
    }

    /**
     * Checks a source/destination pair for an element-wise function and returns the element count.
     *
     * @throws NullPointerException     if a segment is null
     * @throws IllegalStateException    if a segment's arena is closed
     * @throws WrongThreadException     if a segment is confined to another thread
     * @throws IllegalArgumentException for a read-only destination, different sizes, a size that
     *                                  is not a whole number of elements, or a partial overlap
     */
    public static long elementwise(MemorySegment src, MemorySegment dst, int elementBytes) {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        accessible(src, "source");
        if (dst.scope() != src.scope()) { // one arena: the same answers, checked once
            accessible(dst, "destination");
        }
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("the destination segment is read-only");
        }
        long bytes = src.byteSize();
        if (bytes != dst.byteSize()) {
            throw new IllegalArgumentException("source and destination sizes differ: "
                    + bytes + " bytes vs " + dst.byteSize() + " bytes");
        }
        if (bytes % elementBytes != 0) {
            throw new IllegalArgumentException("segment size " + bytes + " is not a multiple of the "
                    + elementBytes + "-byte element size");
        }
        if (src.isNative() && dst.isNative()) {
            // What equals() and asOverlappingSlice() decide for native segments, on their
            // addresses and without an Optional: the same start (and size) is in place.
            long a = src.address();
            long b = dst.address();
            if (a != b && a < b + bytes && b < a + bytes) {
                throw partialOverlap();
            }
        } else if (!src.equals(dst) && src.asOverlappingSlice(dst).isPresent()) {
            throw partialOverlap();
        }
        return bytes / elementBytes;
    }

    private static IllegalArgumentException partialOverlap() {
        return new IllegalArgumentException("source and destination overlap partially "
                + "(in place is allowed only when both are the same region)");
    }

    private static void accessible(MemorySegment segment, String what) {
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("the " + what + " segment's arena is already closed");
        }
        if (!segment.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException("the " + what + " segment is confined to another thread");
        }
    }

    /** Checks a function parameter such as alpha: it must be finite. */
    public static float finite(float value, String name) {
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite, got " + value);
        }
        return value;
    }
}
