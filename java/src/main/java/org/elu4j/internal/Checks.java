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
        // Plain null tests and the common case's checks inline: a fresh JVM runs this interpreted
        // for its first few hundred calls, where each method call costs.
        if (src == null) {
            throw new NullPointerException("src");
        }
        if (dst == null) {
            throw new NullPointerException("dst");
        }
        MemorySegment.Scope scope = src.scope();
        if (!scope.isAlive() || !src.isAccessibleBy(Thread.currentThread())) {
            accessible(src, "source"); // throws
        }
        if (dst.scope() != scope) { // one arena: the same answers, checked once
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

    /**
     * Checks the three segments of a backward call and returns the element count: all alive and
     * accessible, {@code dx} writable, the same byte size (whole elements), {@code dx} either the
     * same region as {@code dy} or disjoint from it, and disjoint from {@code xy} (the forward's
     * input or output, which must still be intact). {@code dy} and {@code xy} are only read and
     * may overlap in any way.
     */
    public static long backward(MemorySegment dy, MemorySegment xy, MemorySegment dx, int elementBytes) {
        Objects.requireNonNull(dy, "dy");
        Objects.requireNonNull(xy, "xy");
        Objects.requireNonNull(dx, "dx");
        accessible(dy, "dy");
        accessible(xy, "x/y");
        accessible(dx, "dx");
        if (dx.isReadOnly()) {
            throw new IllegalArgumentException("the dx segment is read-only");
        }
        long bytes = dx.byteSize();
        if (dy.byteSize() != bytes || xy.byteSize() != bytes) {
            throw new IllegalArgumentException("dy, x/y and dx sizes differ: " + dy.byteSize() + ", " + xy.byteSize()
                    + " and " + bytes + " bytes");
        }
        if (bytes % elementBytes != 0) {
            throw new IllegalArgumentException("segment size " + bytes + " is not a multiple of the "
                    + elementBytes + "-byte element size");
        }
        if (!sameRegion(dx, dy) && overlaps(dx, dy)) {
            throw new IllegalArgumentException("dx and dy overlap partially (dx may be dy itself, or disjoint from it)");
        }
        if (overlaps(dx, xy)) {
            throw new IllegalArgumentException("dx overlaps the forward's input/output: backward may write dx over dy, "
                    + "never over x or y (it reads them while writing)");
        }
        return bytes / elementBytes;
    }

    private static boolean sameRegion(MemorySegment a, MemorySegment b) {
        if (a.isNative() && b.isNative()) {
            return a.address() == b.address() && a.byteSize() == b.byteSize();
        }
        return a.equals(b);
    }

    private static boolean overlaps(MemorySegment a, MemorySegment b) {
        if (a.byteSize() == 0) {
            return false;
        }
        if (a.isNative() && b.isNative()) {
            long x = a.address();
            long y = b.address();
            return x < y + b.byteSize() && y < x + a.byteSize();
        }
        return a.asOverlappingSlice(b).isPresent();
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

    /** The smallest magnitude of ELU's products but 0 ({@link #eluProducts}): 2^-1022 * 2^53. */
    public static final double PRODUCT_MIN = 0x1p-969;

    /**
     * ELU's products, {@code alpha * scale} and {@code alpha * scale * inputScale} in double (every
     * backend computes with them): finite, and 0 only where a factor is 0, else at least
     * {@link #PRODUCT_MIN} = 2^-969 in magnitude (near the subnormal range they lose their low bits,
     * and {@code alpha * scale}'s exact rest, which the f64 backward from the output adds, is no
     * longer a double; infinite, they make NaN of a zero input).
     *
     * @throws IllegalArgumentException naming the product and the parameters otherwise
     */
    public static void eluProducts(double alpha, double scale, double inputScale) {
        double coef = alpha * scale;
        double cis = coef * inputScale;
        String problem = null;
        if (!Double.isFinite(coef) || (coef == 0 ? alpha != 0 && scale != 0 : Math.abs(coef) < PRODUCT_MIN)) {
            problem = "alpha * scale = " + coef;
        } else if (!Double.isFinite(cis) || (cis == 0 ? inputScale != 0 && coef != 0 : Math.abs(cis) < PRODUCT_MIN)) {
            problem = "alpha * scale * inputScale = " + cis;
        }
        if (problem != null) {
            throw new IllegalArgumentException(problem + " (alpha " + alpha + ", scale " + scale + ", inputScale "
                    + inputScale + ") is out of the range elu4j computes it in: finite, and 0 or at least 2^-969 in magnitude");
        }
    }

    /** Checks a function parameter such as alpha: it must be finite. */
    public static double finite(double value, String name) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite, got " + value);
        }
        return value;
    }
}
