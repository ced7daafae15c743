package org.elu4j;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.Checks;
import org.elu4j.internal.scalar.ScalarBackend;

/**
 * The ELU activation, {@code ELU(x) = x} for {@code x > 0} and {@code alpha * (exp(x) - 1)}
 * otherwise, as an immutable, thread-safe function object over float32 tensors in
 * {@link MemorySegment}s.
 *
 * <pre>{@code
 * Elu elu = Elu.elu();                          // alpha = 1, backend AUTO
 * try (Arena arena = Arena.ofConfined()) {
 *     MemorySegment x = arena.allocate(4L * n, 64);
 *     MemorySegment y = arena.allocate(4L * n, 64);
 *     ... fill x ...
 *     elu.apply(x, y);                          // y = ELU(x)
 *     elu.apply(x, x);                          // in place
 * }
 * Elu.elu(0.5f).on(Backend.ONEDNN).apply(x, y); // an explicit backend
 * Elu.elu().parallel().apply(x, y);             // large tensors on every CPU (opt-in)
 * }</pre>
 *
 * <p>Element counts come from the segments ({@code byteSize() / 4}); segments may have any
 * alignment and offset. Every argument is checked before anything is written, so a call that
 * throws leaves the destination untouched.
 *
 * <p>Results: {@code x > 0} is returned bit-exactly; NaN stays NaN, +∞ stays +∞, −∞ gives
 * −alpha; −0.0 stays −0.0 on every backend but oneDNN, which returns +0.0. The helper, vector and
 * scalar backends are within 1 ulp of the correctly rounded result for alpha = 1 (tiny negatives
 * included); oneDNN computes {@code exp(x) - 1} and so returns 0 for {@code |x| < ~3e-8} and has a
 * larger error near 0 (see the README's backend table).
 *
 * <p><b>Parallel mode</b> ({@link #parallel()}, {@link #parallel(int)}; off by default): large
 * calls are split between the calling thread and a small worker pool inside the helper library,
 * with results bit-identical to the serial call. Only the helper backend (and AUTO when it uses
 * the helper) has a parallel path; every other backend, heap segments and calls below the
 * helper's threshold ({@code ./elu4j info} prints it; 512K floats, 2 MiB) run
 * serially in the calling thread, so parallel mode is never slower than serial where it does
 * not pay. Parallel calls from several Java threads run one after another in the pool.
 */
public final class Elu {
    private final float alpha;
    private final Backend backend;
    /** 1: serial; 0: one thread per online CPU; n > 1: up to n threads. */
    private final int threads;

    private Elu(float alpha, Backend backend, int threads) {
        this.alpha = Checks.finite(alpha, "alpha");
        this.backend = java.util.Objects.requireNonNull(backend, "backend");
        this.threads = threads;
    }

    /** ELU with alpha = 1 on {@link Backend#AUTO}. */
    public static Elu elu() {
        return new Elu(1f, Backend.AUTO, 1);
    }

    /**
     * ELU with the given alpha on {@link Backend#AUTO}.
     *
     * @throws IllegalArgumentException if alpha is NaN or infinite
     */
    public static Elu elu(float alpha) {
        return new Elu(alpha, Backend.AUTO, 1);
    }

    /** The same function on another backend. Unavailable backends fail at the first call. */
    public Elu on(Backend backend) {
        return new Elu(alpha, backend, threads);
    }

    /**
     * The same function in parallel mode on every online CPU: large calls on the helper backend
     * run on the calling thread plus the helper's worker threads (see the class comment). The
     * results are the same bits as serially.
     */
    public Elu parallel() {
        return new Elu(alpha, backend, 0);
    }

    /**
     * The same function in parallel mode on at most {@code threads} threads, the calling one
     * included (the helper caps it at 64); {@code parallel(1)} is serial.
     *
     * @throws IllegalArgumentException if threads is less than 1
     */
    public Elu parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1: " + threads);
        }
        return new Elu(alpha, backend, threads);
    }

    /** The same function in serial mode (the default): one thread per call. */
    public Elu serial() {
        return new Elu(alpha, backend, 1);
    }

    /** Whether this function runs in parallel mode ({@link #parallel()} or {@code parallel(n > 1)}). */
    public boolean isParallel() {
        return threads != 1;
    }

    /**
     * Threads a parallel call may use: 1 in serial mode, 0 for "one per online CPU"
     * ({@link #parallel()}), else the count given to {@link #parallel(int)}.
     */
    public int threads() {
        return threads;
    }

    public float alpha() {
        return alpha;
    }

    public Backend backend() {
        return backend;
    }

    /**
     * Writes ELU of every float in {@code src} to {@code dst}. {@code src} and {@code dst} may be
     * the same region (in place) but must not overlap otherwise.
     *
     * @throws IllegalArgumentException     sizes differ or are not a multiple of 4 bytes, the
     *                                      destination is read-only, or the segments overlap partially
     * @throws IllegalStateException        a segment's arena is closed
     * @throws WrongThreadException         a segment is confined to another thread
     * @throws BackendUnavailableException  the chosen backend cannot run here or cannot take these segments
     * @throws NativeCallException          a native library reported a failure
     */
    public void apply(MemorySegment src, MemorySegment dst) {
        long n = Checks.elementwise(src, dst, Float.BYTES);
        var impl = BackendProvider.get().select(backend, src, dst);
        if (n == 0) {
            return;
        }
        if (threads == 1) {
            impl.eluF32(src, dst, alpha);
        } else {
            impl.eluF32Parallel(src, dst, alpha, threads);
        }
    }

    /** {@code apply(data, data)}: ELU in place. */
    public void applyInPlace(MemorySegment data) {
        apply(data, data);
    }

    /**
     * ELU of a {@code float[]} into another (or the same) {@code float[]} of the same length,
     * without copying: the helper reads and writes the arrays in place through a critical
     * downcall, the vector backend stages them through a small native buffer, and oneDNN (which
     * keeps pointers) never sees them: AUTO routes them elsewhere and an explicit
     * {@link Backend#ONEDNN} is refused. Same checks as {@link #apply(MemorySegment, MemorySegment)}.
     */
    public void apply(float[] src, float[] dst) {
        apply(MemorySegment.ofArray(src), MemorySegment.ofArray(dst));
    }

    /** {@code apply(data, data)}: ELU of a {@code float[]} in place. */
    public void applyInPlace(float[] data) {
        apply(data, data);
    }

    /**
     * ELU of the floats between {@code src}'s position and limit into {@code dst}'s, which must
     * hold as many; neither buffer's position or limit changes. Direct buffers are native memory
     * (every backend takes them); heap buffers are treated like {@code float[]}. Both buffers
     * must be in the platform's byte order (a view of a big-endian {@code ByteBuffer} is refused,
     * since the kernels read native floats).
     *
     * @throws IllegalArgumentException a buffer is not in native byte order, or see
     *                                  {@link #apply(MemorySegment, MemorySegment)}
     */
    public void apply(FloatBuffer src, FloatBuffer dst) {
        apply(segmentOf(src, "src"), segmentOf(dst, "dst"));
    }

    private static MemorySegment segmentOf(FloatBuffer buffer, String name) {
        java.util.Objects.requireNonNull(buffer, name);
        if (buffer.order() != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException(name + " is a " + buffer.order() + " FloatBuffer; elu4j reads floats in "
                    + "the platform's order (" + ByteOrder.nativeOrder() + ")");
        }
        return MemorySegment.ofBuffer(buffer);
    }

    /** ELU of one value, computed by the scalar reference (the tests' oracle). */
    public float apply(float x) {
        return ScalarBackend.elu(x, alpha);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Elu e && Float.floatToIntBits(e.alpha) == Float.floatToIntBits(alpha) && e.backend == backend
                && e.threads == threads;
    }

    @Override
    public int hashCode() {
        return (Float.hashCode(alpha) * 31 + backend.hashCode()) * 31 + threads;
    }

    @Override
    public String toString() {
        String mode = threads == 1 ? "" : threads == 0 ? ", parallel" : ", parallel=" + threads;
        return "Elu[alpha=" + alpha + ", backend=" + backend.cliName() + mode + "]";
    }
}
