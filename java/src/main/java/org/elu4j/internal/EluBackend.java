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
     * Whether the first call on native memory that binds {@code op} on {@code type} and
     * {@code pass} to this backend should first run the call path on a few elements until the JIT
     * has compiled it ({@link WarmUp}): where what a call runs before then is cheap, so that those
     * calls cost the first call a few milliseconds instead of costing the application's next few
     * hundred or thousand calls microseconds each. -1: no; else the group of calls that share their
     * code (0 to 63), each warmed once per JVM and backend.
     */
    default int warmUpGroup(Op op, DataType type, Pass pass) {
        return -1;
    }

    /**
     * Whether {@link WarmUp} goes on past its first calls until a batch of them runs as fast as
     * compiled code of this backend's path does on a few elements (a fixed bound, which fits a
     * short Java path in front of native code); false: the first calls only (the vector backend,
     * whose scalar forms of some types stay above that bound when compiled).
     */
    default boolean warmUpUntilCompiled() {
        return false;
    }

    /**
     * Null when this backend runs {@code op} on {@code type} for {@code pass}, else why not, as a
     * phrase that completes "the X backend cannot run this: ..." (e.g. "oneDNN has no f64 eltwise
     * on CPU"). Called when a call kind is bound ({@link #bind}), not per call; AUTO skips
     * backends that answer non-null.
     */
    String unsupported(Op op, DataType type, Pass pass);

    /**
     * Binds {@code op} on {@code type} for {@code pass}: a kernel that runs exactly that call, or
     * the refusal ({@link #unsupported}). Called once per {@code Elu} and call kind, never per
     * call; a backend overrides {@link #bindForward}/{@link #bindBackward} to decide there what
     * it would otherwise decide on every call.
     */
    default Binding bind(Op op, DataType type, Pass pass) {
        String why = unsupported(op, type, pass);
        if (why != null) {
            return Binding.refused(kind(), why);
        }
        return pass == Pass.FORWARD ? Binding.forward(this, bindForward(op, type))
                : Binding.backward(this, bindBackward(op, type, pass == Pass.BACKWARD_FROM_OUTPUT));
    }

    /**
     * The forward kernel of a call {@link #unsupported} allows: {@code dst = op(src)} on elements
     * of {@code type}, on up to {@code threads} threads (1: serial in the calling thread; 0: one per
     * CPU the JVM may use), with the same bits whatever the thread count. Backends without a parallel path
     * run serially.
     */
    Binding.Forward bindForward(Op op, DataType type);

    /**
     * The backward kernel of a call {@link #unsupported} allows: {@code dx = dy * op'(x)} where
     * {@code xy} holds x ({@code fromOutput} false) or y = op(x) ({@code fromOutput} true).
     * Serial. {@code dx} may be the same region as {@code dy}.
     */
    Binding.Backward bindBackward(Op op, DataType type, boolean fromOutput);

    /**
     * One forward call, bound for it alone: for tools and tests that call a backend directly.
     * The library binds once per call kind instead ({@link #bind}).
     */
    default void forward(Op op, DataType type, MemorySegment src, MemorySegment dst, int threads) {
        bindForward(op, type).run(src, dst, threads);
    }

    /** One backward call, bound for it alone (see {@link #forward}). */
    default void backward(Op op, DataType type, boolean fromOutput, MemorySegment dy, MemorySegment xy,
            MemorySegment dx) {
        bindBackward(op, type, fromOutput).run(dy, xy, dx);
    }
}
