package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.elu4j.internal.onednn.DnnlStatus.check;
import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.elu4j.internal.onednn.ffi.dnnl_exec_arg_t;

/**
 * The executor made of plain oneDNN calls from Java: point the memory objects at the segments
 * (only where they point elsewhere, {@link Memory#pointAt}), execute, wait. Used without the helper
 * library, for backward primitives, and for every short call (see {@link Executor}).
 *
 * <p><b>Critical downcalls for short calls.</b> {@code dnnl_primitive_execute} and
 * {@code dnnl_stream_wait} are bound twice: as ordinary downcalls, and as critical ones
 * ({@link Linker.Option#critical}, heap access not allowed), which skip the thread-state
 * transition to native and back. A critical call holds off safepoints (and so every GC pause and
 * every other thread waiting for one) while it runs, so it is only used where the call is known to
 * be short and not to block: oneDNN on one OpenMP thread (more threads can wait on each other) and
 * segments of at most {@link #CRITICAL_MAX_BYTES}. Heap segments never reach oneDNN: it keeps the
 * pointer in its memory object after the call, and the GC may move an array.
 *
 * <p><b>The segments as extra arguments.</b> Both bindings take the call's segments as extra,
 * unused arguments ({@link KeepAlive}). oneDNN reads and writes those segments during these calls
 * through the data handles set earlier, which the FFM linker knows nothing about: bound plainly,
 * another thread could close a shared arena between {@code dnnl_memory_set_data_handle} and the
 * end of the execution, and oneDNN would then read and write freed memory (a JVM crash when it was
 * unmapped), and an automatic arena could be freed by the GC once the segments are no longer used
 * in Java. A downcall, critical or not, keeps the arena of every segment it is passed acquired
 * until it returns, so with the segments as arguments such a close fails with
 * {@link IllegalStateException} instead, and the segments stay reachable. Extra trailing arguments
 * are harmless in the x86-64 System V calling convention (the only one elu4j builds for): they
 * travel in registers the callee does not read, and the caller owns the stack. The alternative,
 * plain bindings and a documented risk, would turn a caller's race (closing a shared arena while
 * another thread's call runs on it) from an IllegalStateException into a use after free inside
 * oneDNN; {@code Reference.reachabilityFence} would cover automatic arenas but not that.
 *
 * <p>The argument arrays live in the thread context's arena and are passed as global-scope views
 * of their addresses, so a call acquires no arena but those of the data segments (the context
 * outlives every call made through it).
 *
 * <p><b>Execute and wait in one downcall.</b> With the helper library, execute and wait are one
 * downcall, its {@code elu4j_dnnl_execute_wait} ({@link ExecuteShim#executeWait}), critical or
 * ordinary by the same rule: the segments are then held once per call instead of twice.
 */
final class CallExecutor implements Executor {
    /**
     * Largest segment, in bytes, whose calls run as critical downcalls (with oneDNN on one thread):
     * 64K floats, about 15 microseconds of ELU on one core, the longest a GC may have to wait for
     * such a call. Beyond it the thread-state transition (a few ns) is lost in the call's time.
     */
    static final long CRITICAL_MAX_BYTES = 256 << 10;

    private final MemorySegment stream;
    /** Whether oneDNN runs on one thread here, so that short calls may be critical. */
    private final boolean criticalAllowed;
    /** dnnl_exec_arg_t[2]: SRC, DST (written through this view, passed as {@link #forwardArgsArg}). */
    private final MemorySegment forwardArgs;
    private final MemorySegment forwardArgsArg;
    /** The memory objects {@link #forwardArgs} names now: a repeated call does not write it again. */
    private Memory[] forwardNamed;
    /** dnnl_exec_arg_t[3]: DIFF_DST, DIFF_SRC, and SRC or DST (id set per call). */
    private final MemorySegment backwardArgs;
    private final MemorySegment backwardArgsArg;
    /** The helper's execute-and-wait shim, or null: then execute and wait are two downcalls. */
    private final ExecuteShim shim;
    /** The shim's out-parameters (null without the shim), shared with a {@link ShimExecutor}. */
    private final ExecuteShim.Out shimStatus;

    /**
     * @param criticalAllowed oneDNN runs on one OpenMP thread, so a short call may be a critical
     *                        downcall
     * @param shim            the helper's shims (execute and wait in one downcall), or null
     * @param shimStatus      the thread's out-parameters for the shims (non-null with a shim, null
     *                        without): a {@link ShimExecutor} passes its own, so that a thread
     *                        context allocates one
     */
    CallExecutor(Stream stream, Arena arena, boolean criticalAllowed, ExecuteShim shim, ExecuteShim.Out shimStatus) {
        if ((shim == null) != (shimStatus == null)) {
            throw new IllegalArgumentException("a shim needs its out-parameters, and only a shim");
        }
        this.stream = stream.handle();
        this.criticalAllowed = criticalAllowed;
        this.shim = shim;
        this.shimStatus = shimStatus;
        forwardArgs = dnnl_exec_arg_t.allocateArray(2, arena);
        dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(forwardArgs, 0), DNNL_ARG_SRC());
        dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(forwardArgs, 1), DNNL_ARG_DST());
        forwardArgsArg = MemorySegment.ofAddress(forwardArgs.address());
        backwardArgs = dnnl_exec_arg_t.allocateArray(3, arena);
        dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(backwardArgs, 0), DNNL_ARG_DIFF_DST());
        dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(backwardArgs, 1), DNNL_ARG_DIFF_SRC());
        backwardArgsArg = MemorySegment.ofAddress(backwardArgs.address());
    }

    /** Whether a call on segments of this many bytes runs as critical downcalls here. */
    boolean critical(long bytes) {
        return criticalAllowed && bytes <= CRITICAL_MAX_BYTES;
    }

    @Override
    public void execute(Primitive primitive, Memory[] memories, MemorySegment in, MemorySegment out, int dataArg,
                        MemorySegment data) {
        boolean critical = critical(in.byteSize());
        memories[0].pointAt(in);
        memories[1].pointAt(out);
        // Wait even when execute failed: whatever it started must end before the segments may go.
        int executed;
        int waited;
        if (data == null) {
            if (forwardNamed != memories) {
                dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(forwardArgs, 0), memories[0].handle());
                dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(forwardArgs, 1), memories[1].handle());
                forwardNamed = memories;
            }
            if (shim != null) {
                shim.executeWait(critical, primitive.handle(), stream, 2, forwardArgsArg, shimStatus, in, out, null);
                return;
            }
            if (critical) {
                executed = KeepAlive.executeCritical(primitive.handle(), stream, forwardArgsArg, in, out);
                waited = KeepAlive.streamWaitCritical(stream, in, out);
            } else {
                executed = KeepAlive.execute(primitive.handle(), stream, forwardArgsArg, in, out);
                waited = KeepAlive.streamWait(stream, in, out);
            }
        } else {
            memories[2].pointAt(data);
            MemorySegment third = dnnl_exec_arg_t.asSlice(backwardArgs, 2);
            dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(backwardArgs, 0), memories[0].handle());
            dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(backwardArgs, 1), memories[1].handle());
            dnnl_exec_arg_t.arg(third, dataArg);
            dnnl_exec_arg_t.memory(third, memories[2].handle());
            if (shim != null) {
                shim.executeWait(critical, primitive.handle(), stream, 3, backwardArgsArg, shimStatus, in, data, out);
                return;
            }
            if (critical) {
                executed = KeepAlive.executeCritical(primitive.handle(), stream, backwardArgsArg, in, data, out);
                waited = KeepAlive.streamWaitCritical(stream, in, data, out);
            } else {
                executed = KeepAlive.execute(primitive.handle(), stream, backwardArgsArg, in, data, out);
                waited = KeepAlive.streamWait(stream, in, data, out);
            }
        }
        check(executed, "dnnl_primitive_execute");
        check(waited, "dnnl_stream_wait");
    }

    /**
     * {@code dnnl_primitive_execute} and {@code dnnl_stream_wait} with two or three segments as
     * extra arguments that only keep them alive (see the class comment), ordinary and critical.
     */
    private static final class KeepAlive {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final Linker.Option CRITICAL = Linker.Option.critical(false);
        private static final FunctionDescriptor EXECUTE2_DESC =
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        private static final FunctionDescriptor WAIT2_DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        private static final FunctionDescriptor EXECUTE3_DESC =
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        private static final FunctionDescriptor WAIT3_DESC =
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        private static final MethodHandle EXECUTE2 = LINKER.downcallHandle(dnnl_primitive_execute$address(), EXECUTE2_DESC);
        private static final MethodHandle WAIT2 = LINKER.downcallHandle(dnnl_stream_wait$address(), WAIT2_DESC);
        private static final MethodHandle EXECUTE3 = LINKER.downcallHandle(dnnl_primitive_execute$address(), EXECUTE3_DESC);
        private static final MethodHandle WAIT3 = LINKER.downcallHandle(dnnl_stream_wait$address(), WAIT3_DESC);
        private static final MethodHandle EXECUTE2_CRITICAL =
                LINKER.downcallHandle(dnnl_primitive_execute$address(), EXECUTE2_DESC, CRITICAL);
        private static final MethodHandle WAIT2_CRITICAL =
                LINKER.downcallHandle(dnnl_stream_wait$address(), WAIT2_DESC, CRITICAL);
        private static final MethodHandle EXECUTE3_CRITICAL =
                LINKER.downcallHandle(dnnl_primitive_execute$address(), EXECUTE3_DESC, CRITICAL);
        private static final MethodHandle WAIT3_CRITICAL =
                LINKER.downcallHandle(dnnl_stream_wait$address(), WAIT3_DESC, CRITICAL);

        static int execute(MemorySegment primitive, MemorySegment stream, MemorySegment args, MemorySegment a,
                           MemorySegment b) {
            try {
                return (int) EXECUTE2.invokeExact(primitive, stream, 2, args, a, b);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static int streamWait(MemorySegment stream, MemorySegment a, MemorySegment b) {
            try {
                return (int) WAIT2.invokeExact(stream, a, b);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static int execute(MemorySegment primitive, MemorySegment stream, MemorySegment args, MemorySegment a,
                           MemorySegment b, MemorySegment c) {
            try {
                return (int) EXECUTE3.invokeExact(primitive, stream, 3, args, a, b, c);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static int streamWait(MemorySegment stream, MemorySegment a, MemorySegment b, MemorySegment c) {
            try {
                return (int) WAIT3.invokeExact(stream, a, b, c);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static int executeCritical(MemorySegment primitive, MemorySegment stream, MemorySegment args,
                                   MemorySegment a, MemorySegment b) {
            try {
                return (int) EXECUTE2_CRITICAL.invokeExact(primitive, stream, 2, args, a, b);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static int streamWaitCritical(MemorySegment stream, MemorySegment a, MemorySegment b) {
            try {
                return (int) WAIT2_CRITICAL.invokeExact(stream, a, b);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static int executeCritical(MemorySegment primitive, MemorySegment stream, MemorySegment args,
                                   MemorySegment a, MemorySegment b, MemorySegment c) {
            try {
                return (int) EXECUTE3_CRITICAL.invokeExact(primitive, stream, 3, args, a, b, c);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static int streamWaitCritical(MemorySegment stream, MemorySegment a, MemorySegment b, MemorySegment c) {
            try {
                return (int) WAIT3_CRITICAL.invokeExact(stream, a, b, c);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    /** A downcall's Throwable as an unchecked exception (downcalls throw only unchecked ones). */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
