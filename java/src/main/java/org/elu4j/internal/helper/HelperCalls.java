package org.elu4j.internal.helper;

import java.lang.foreign.MemorySegment;
import org.elu4j.DataType;
import org.elu4j.NativeCallException;
import org.elu4j.internal.Binding;
import org.elu4j.internal.Op;
import org.elu4j.internal.helper.ffi.Elu4jNative;

/**
 * The helper's calls: a bound forward or backward of one function and type, each call one
 * downcall into the library but on large heap arrays (below), and for a helper fixed to one ISA
 * level between a pin of the thread's level and its removal.
 *
 * <p>A critical downcall keeps its thread in Java state, so a safepoint, and with it every
 * thread's garbage collection, waits until the call returns: serial calls over
 * {@link #CRITICAL_MAX_BYTES} per segment go through an ordinary downcall on native memory, and
 * as critical calls of that size each on heap arrays (which only a critical downcall can pass).
 * The bits are the same, the pieces starting at whole vectors from the call's start; only outputs
 * of 16 MiB and more on heap arrays lose the streaming stores, which the library chooses per call.
 *
 * <p>Why a class of its own: the call path (what runs on every call, kept flat for the calls a
 * fresh JVM runs before the JIT compiles it) apart from linking, pinning and describing the
 * library ({@link HelperBackend}).
 */
final class HelperCalls {
    /**
     * The most bytes per segment one critical downcall takes (the oneDNN backend's bound too): at
     * this size a kernel runs for tens of microseconds, and the thread-state transition an ordinary
     * downcall adds beyond it is a small fraction of the call.
     */
    static final long CRITICAL_MAX_BYTES = 256 << 10;

    private HelperCalls() {
    }

    /**
     * A bound forward: a class of its own rather than a lambda (a lambda spins a class when it
     * is first made, on a fresh JVM's first call), its common case (serial, no pinned level)
     * first and flat, so that the calls made before the JIT compiles it run few bytecodes.
     */
    static final class ForwardKernel implements Binding.Forward {
        private final int isa;
        private final int fn, dt;
        private final long size;
        private final double alpha, scale, inputScale;
        /** Whether every call is the plain critical downcall: no pinned level, and no parallel path. */
        private final boolean plain;

        ForwardKernel(int isa, int fn, int dt, long size, double alpha, double scale, double inputScale) {
            this.isa = isa;
            this.fn = fn;
            this.dt = dt;
            this.size = size;
            this.alpha = alpha;
            this.scale = scale;
            this.inputScale = inputScale;
            this.plain = isa < 0;
        }

        @Override
        public void run(MemorySegment src, MemorySegment dst, int threads) {
            if (plain && threads == 1 && src.byteSize() <= CRITICAL_MAX_BYTES) {
                int status;
                try {
                    status = (int) HelperDowncalls.Forward.FORWARD.invokeExact(fn, dt, src, dst, src.byteSize() / size, alpha, scale,
                            inputScale);
                } catch (Throwable t) {
                    throw HelperBackend.rethrow(t);
                }
                if (status != 0) {
                    throw failed("elu4j_forward", status);
                }
                return;
            }
            forward(isa, fn, dt, size, alpha, scale, inputScale, src, dst, threads);
        }
    }

    /** A native call's failure status as an exception. */
    static NativeCallException failed(String function, int status) {
        return new NativeCallException("elu4j helper", function, status, HelperBackend.cString(Elu4jNative.elu4j_status_name(status)));
    }

    private static void forward(int isa, int fn, int dt, long size, double alpha, double scale, double inputScale,
            MemorySegment src, MemorySegment dst, int threads) {
        long n = src.byteSize() / size;
        int status;
        String function = "elu4j_forward";
        try {
            if (isa >= 0) {
                status = HelperBackend.pin(HelperDowncalls.Control.PIN_THREAD_ISA, isa);
                if (status == 0) {
                    try {
                        status = serialForward(fn, dt, size, src, dst, n, alpha, scale, inputScale);
                    } finally {
                        HelperBackend.unpinThread();
                    }
                } else {
                    function = "elu4j_pin_thread_isa";
                }
            } else if (threads != 1 && n >= HelperDowncalls.Parallel.MT_MIN_ELEMENTS && src.isNative() && dst.isNative()) {
                function = "elu4j_forward_mt";
                status = (int) HelperDowncalls.Parallel.FORWARD_MT.invokeExact(fn, dt, src, dst, n, alpha, scale, inputScale,
                        threads == 0 ? HelperDowncalls.Parallel.DEFAULT_THREADS : threads);
            } else {
                status = serialForward(fn, dt, size, src, dst, n, alpha, scale, inputScale);
            }
        } catch (Throwable t) {
            throw HelperBackend.rethrow(t);
        }
        if (status != 0) {
            throw new NativeCallException("elu4j helper", function, status,
                    HelperBackend.cString(Elu4jNative.elu4j_status_name(status)));
        }
    }

    /** A bound backward, each call one {@link #serialBackward} (around a pin of the thread's level where {@code isa >= 0}). */
    static Binding.Backward backward(int isa, Op op, DataType type, boolean fromOutput) {
        int fn = op.kind().nativeCode;
        int dt = HelperBackend.dtypeCode(type);
        int fromDst = fromOutput ? 1 : 0;
        long size = type.byteSize();
        double alpha = op.alpha();
        double scale = op.scale();
        double inputScale = op.inputScale();
        return (dy, xy, dx) -> {
            long n = dy.byteSize() / size;
            int status;
            String function = "elu4j_backward";
            try {
                if (isa >= 0) {
                    status = HelperBackend.pin(HelperDowncalls.Control.PIN_THREAD_ISA, isa);
                    if (status == 0) {
                        try {
                            status = serialBackward(fn, dt, fromDst, size, dy, xy, dx, n, alpha, scale, inputScale);
                        } finally {
                            HelperBackend.unpinThread();
                        }
                    } else {
                        function = "elu4j_pin_thread_isa";
                    }
                } else {
                    status = serialBackward(fn, dt, fromDst, size, dy, xy, dx, n, alpha, scale, inputScale);
                }
            } catch (Throwable t) {
                throw HelperBackend.rethrow(t);
            }
            if (status != 0) {
                throw new NativeCallException("elu4j helper", function, status,
                        HelperBackend.cString(Elu4jNative.elu4j_status_name(status)));
            }
        };
    }

    /**
     * One serial {@code elu4j_forward}: a critical downcall up to {@link #CRITICAL_MAX_BYTES}, an
     * ordinary one beyond it on native memory, critical calls of that size each on heap arrays.
     */
    private static int serialForward(int fn, int dt, long size, MemorySegment src, MemorySegment dst, long n,
            double alpha, double scale, double inputScale) throws Throwable {
        if (n * size <= CRITICAL_MAX_BYTES) {
            return (int) HelperDowncalls.Forward.FORWARD.invokeExact(fn, dt, src, dst, n, alpha, scale, inputScale);
        }
        if (src.isNative() && dst.isNative()) {
            return (int) HelperDowncalls.Ordinary.FORWARD.invokeExact(fn, dt, src, dst, n, alpha, scale, inputScale);
        }
        long chunk = CRITICAL_MAX_BYTES / size;
        for (long i = 0; i < n; i += chunk) {
            long m = Math.min(chunk, n - i);
            int status = (int) HelperDowncalls.Forward.FORWARD.invokeExact(fn, dt, src.asSlice(i * size, m * size),
                    dst.asSlice(i * size, m * size), m, alpha, scale, inputScale);
            if (status != 0) {
                return status;
            }
        }
        return 0;
    }

    /** One serial {@code elu4j_backward}, split as {@link #serialForward}. */
    private static int serialBackward(int fn, int dt, int fromDst, long size, MemorySegment dy, MemorySegment xy,
            MemorySegment dx, long n, double alpha, double scale, double inputScale) throws Throwable {
        if (n * size <= CRITICAL_MAX_BYTES) {
            return (int) HelperDowncalls.Backward.BACKWARD.invokeExact(fn, dt, fromDst, dy, xy, dx, n, alpha, scale, inputScale);
        }
        if (dy.isNative() && xy.isNative() && dx.isNative()) {
            return (int) HelperDowncalls.Ordinary.BACKWARD.invokeExact(fn, dt, fromDst, dy, xy, dx, n, alpha, scale, inputScale);
        }
        long chunk = CRITICAL_MAX_BYTES / size;
        for (long i = 0; i < n; i += chunk) {
            long m = Math.min(chunk, n - i);
            long at = i * size;
            long bytes = m * size;
            int status = (int) HelperDowncalls.Backward.BACKWARD.invokeExact(fn, dt, fromDst, dy.asSlice(at, bytes),
                    xy.asSlice(at, bytes), dx.asSlice(at, bytes), m, alpha, scale, inputScale);
            if (status != 0) {
                return status;
            }
        }
        return 0;
    }
}
