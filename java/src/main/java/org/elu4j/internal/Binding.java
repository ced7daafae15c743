package org.elu4j.internal;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.elu4j.Backend;
import org.elu4j.BackendUnavailableException;

/**
 * A backend's answer to "run this function on this type in this direction": a kernel that does
 * exactly that, or the reason it cannot. Made once per {@code Elu} and call kind (type, direction,
 * memory kind), so that a call is argument checks, a table lookup and the kernel: everything a
 * backend can decide from the function and the type (which kernel, which oneDNN plan, which
 * native entry point, the derived parameters) is decided here, not per call.
 *
 * <p>Immutable (final fields only), so an instance may be published through a data race.
 */
public final class Binding {
    /** A bound forward kernel: {@code dst = f(src)}; {@code threads} as {@link EluBackend#forward}. */
    @FunctionalInterface
    public interface Forward {
        void run(MemorySegment src, MemorySegment dst, int threads);
    }

    /** A bound backward kernel: {@code dx = dy * f'(x or y)}. */
    @FunctionalInterface
    public interface Backward {
        void run(MemorySegment dy, MemorySegment xy, MemorySegment dx);
    }

    private final EluBackend backend;
    private final Forward forward;
    private final Backward backward;
    /** Null when bound; else the reason, and who refused (for the exception). */
    private final String refusal;
    private final Backend refusedBy;

    private Binding(EluBackend backend, Forward forward, Backward backward, String refusal, Backend refusedBy) {
        this.backend = backend;
        this.forward = forward;
        this.backward = backward;
        this.refusal = refusal;
        this.refusedBy = refusedBy;
    }

    public static Binding forward(EluBackend backend, Forward kernel) {
        return new Binding(Objects.requireNonNull(backend), Objects.requireNonNull(kernel), null, null, null);
    }

    public static Binding backward(EluBackend backend, Backward kernel) {
        return new Binding(Objects.requireNonNull(backend), null, Objects.requireNonNull(kernel), null, null);
    }

    /** {@code backend} cannot run the call: {@code why} completes "the backend cannot run this: ...". */
    public static Binding refused(Backend backend, String why) {
        return new Binding(null, null, null, Objects.requireNonNull(why), backend);
    }

    /** Null when bound, else why not. */
    public String refusal() {
        return refusal;
    }

    /** The backend that runs the kernel; throws like {@link #forward()} when refused. */
    public EluBackend backend() {
        requireBound();
        return backend;
    }

    /** The forward kernel, or {@link BackendUnavailableException} with the reason. */
    public Forward forward() {
        if (forward != null) { // bound: the one test per call
            return forward;
        }
        requireBound();
        return forward;
    }

    /** The backward kernel, or {@link BackendUnavailableException} with the reason. */
    public Backward backward() {
        requireBound();
        return backward;
    }

    private void requireBound() {
        if (refusal != null) {
            throw new BackendUnavailableException(refusedBy, refusal);
        }
    }
}
