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
 * The executor made of plain oneDNN calls from Java: set each data handle, execute, wait (four
 * downcalls for a forward primitive, five for a backward one). Used without the helper library,
 * and for backward primitives always (see {@link Executor}).
 *
 * <p>{@code dnnl_primitive_execute} and {@code dnnl_stream_wait} are bound with the call's
 * segments as extra, unused arguments ({@link KeepAlive}). oneDNN reads and writes those segments
 * during these calls through the data handles set earlier, which the FFM linker knows nothing
 * about: bound plainly, another thread could close a shared arena between
 * {@code dnnl_memory_set_data_handle} and the end of the execution, and oneDNN would then read
 * and write freed memory (a JVM crash when it was unmapped), and an automatic arena could be
 * freed by the GC once the segments are no longer used in Java. A downcall keeps the arena of
 * every segment it is passed acquired until it returns, so with the segments as arguments such a
 * close fails with {@link IllegalStateException} instead, and the segments stay reachable. Extra
 * trailing arguments are harmless in the x86-64 System V calling convention (the only one elu4j
 * builds for): they travel in registers the callee does not read, and the caller owns the stack.
 * The alternative, plain bindings and a documented risk, would turn a caller's race (closing a
 * shared arena while another thread's call runs on it) from an IllegalStateException into a use
 * after free inside oneDNN; {@code Reference.reachabilityFence} would cover automatic arenas but
 * not that. (The helper's shim needs none of this: the segments are its real arguments.)
 */
final class CallExecutor implements Executor {
    private final MemorySegment stream;
    /** dnnl_exec_arg_t[2]: SRC, DST. */
    private final MemorySegment forwardArgs;
    /** dnnl_exec_arg_t[3]: DIFF_DST, DIFF_SRC, and SRC or DST (id set per call). */
    private final MemorySegment backwardArgs;

    CallExecutor(Stream stream, Arena arena) {
        this.stream = stream.handle();
        forwardArgs = dnnl_exec_arg_t.allocateArray(2, arena);
        dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(forwardArgs, 0), DNNL_ARG_SRC());
        dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(forwardArgs, 1), DNNL_ARG_DST());
        backwardArgs = dnnl_exec_arg_t.allocateArray(3, arena);
        dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(backwardArgs, 0), DNNL_ARG_DIFF_DST());
        dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(backwardArgs, 1), DNNL_ARG_DIFF_SRC());
    }

    @Override
    public void execute(Primitive primitive, Memory[] memories, MemorySegment in, MemorySegment out, int dataArg,
                        MemorySegment data) {
        memories[0].setDataHandle(in);
        memories[1].setDataHandle(out);
        // Wait even when execute failed: whatever it started must end before the segments may go.
        int executed;
        int waited;
        if (data == null) {
            dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(forwardArgs, 0), memories[0].handle());
            dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(forwardArgs, 1), memories[1].handle());
            executed = KeepAlive.execute(primitive.handle(), stream, forwardArgs, in, out);
            waited = KeepAlive.streamWait(stream, in, out);
        } else {
            memories[2].setDataHandle(data);
            MemorySegment third = dnnl_exec_arg_t.asSlice(backwardArgs, 2);
            dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(backwardArgs, 0), memories[0].handle());
            dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(backwardArgs, 1), memories[1].handle());
            dnnl_exec_arg_t.arg(third, dataArg);
            dnnl_exec_arg_t.memory(third, memories[2].handle());
            executed = KeepAlive.execute(primitive.handle(), stream, backwardArgs, in, data, out);
            waited = KeepAlive.streamWait(stream, in, data, out);
        }
        check(executed, "dnnl_primitive_execute");
        check(waited, "dnnl_stream_wait");
    }

    /**
     * {@code dnnl_primitive_execute} and {@code dnnl_stream_wait} with two or three segments as
     * extra arguments that only keep them alive (see the class comment).
     */
    private static final class KeepAlive {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final MethodHandle EXECUTE2 = LINKER.downcallHandle(dnnl_primitive_execute$address(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        private static final MethodHandle WAIT2 = LINKER.downcallHandle(dnnl_stream_wait$address(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        private static final MethodHandle EXECUTE3 = LINKER.downcallHandle(dnnl_primitive_execute$address(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        private static final MethodHandle WAIT3 = LINKER.downcallHandle(dnnl_stream_wait$address(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));

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

        private static RuntimeException rethrow(Throwable t) {
            if (t instanceof RuntimeException r) {
                return r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            return new IllegalStateException(t);
        }
    }
}
