package org.elu4j.internal.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * How one thread runs a primitive on its stream: point the memory objects at the caller's
 * segments, execute, wait for the stream, and keep the segments alive meanwhile (oneDNN holds
 * their addresses, which the FFM linker knows nothing about). The backend has one code path,
 * {@link #execute}; there are two implementations because the helper library can be missing and
 * oneDNN must keep working without it:
 * <ul>
 * <li>{@link CallExecutor}: the oneDNN calls made from Java (set the data handles where the
 *     tensors moved, execute, wait). A short call on one oneDNN thread runs as critical downcalls
 *     (no thread-state transitions), which makes it the cheapest way in; without the helper
 *     library (missing, or {@code -Delu4j.disable=helper}) it also runs every long call, as
 *     ordinary downcalls.</li>
 * <li>{@link ShimExecutor}: with the helper library loaded, a long forward call in one ordinary
 *     downcall, the helper's {@code elu4j_dnnl_execute_unary} ({@link ExecuteShim}), which takes
 *     the segments as real arguments; short and backward calls go to its {@link CallExecutor}, which
 *     then executes and waits in one downcall, the helper's {@code elu4j_dnnl_execute_wait}.</li>
 * </ul>
 * Both give the same bits and turn a failing call into a NativeCallException naming it; one
 * executor per thread context, used only by its thread.
 */
sealed interface Executor permits ShimExecutor, CallExecutor {

    /**
     * Runs {@code primitive} on the thread's stream and waits for it. A forward primitive
     * ({@code data} null) reads {@code in} as {@code DNNL_ARG_SRC} through {@code memories[0]}
     * and writes {@code out} as {@code DNNL_ARG_DST} through {@code memories[1]}; a backward one
     * reads {@code in} as {@code DNNL_ARG_DIFF_DST} through {@code memories[0]} and {@code data}
     * (the forward's input or output) as {@code dataArg} ({@code DNNL_ARG_SRC} or
     * {@code DNNL_ARG_DST}) through {@code memories[2]}, and writes {@code out} as
     * {@code DNNL_ARG_DIFF_SRC} through {@code memories[1]}. The segments are native, of the
     * primitive's size; {@code out} may be {@code in}.
     *
     * @throws org.elu4j.NativeCallException a oneDNN call, or the shim, failed
     * @throws IllegalStateException          a segment's arena was closed, or is being closed
     */
    void execute(Primitive primitive, Memory[] memories, MemorySegment in, MemorySegment out, int dataArg,
                 MemorySegment data);

    /**
     * The backend's choice of executor, made once: the shim for long forward calls when the
     * helper library can be used, else the plain calls, critical downcalls for short calls when
     * oneDNN runs on one thread, and all that as text.
     *
     * @param shim        the helper's shim, or null
     * @param critical    short calls run as critical downcalls ({@link CallExecutor})
     * @param description e.g. {@code critical downcalls up to 256 KiB per tensor, beyond it 1
     *                    downcall per call (the helper's elu4j_dnnl_execute_unary)}
     */
    record Path(ExecuteShim shim, boolean critical, String description) {

        /**
         * The shim if {@code useHelperShim} and the helper library provides it (its
         * {@code elu4j_dnnl_api} struct allocated in {@code arena}, which must outlive every
         * call), else the plain calls; critical downcalls for short calls if {@code critical}
         * (oneDNN on one thread). Never fails: a shim that cannot be used is a reason.
         */
        static Path choose(boolean useHelperShim, boolean critical, Arena arena) {
            String prefix = critical
                    ? "critical downcalls up to " + (CallExecutor.CRITICAL_MAX_BYTES >> 10) + " KiB per tensor, beyond it "
                    : "";
            if (!useHelperShim) {
                return new Path(null, critical, prefix + "4 downcalls per call (the helper is disabled)");
            }
            try {
                return new Path(ExecuteShim.create(arena), critical,
                        prefix + "1 downcall per call (the helper's " + ExecuteShim.FUNCTION + ", "
                                + ExecuteShim.WAIT_FUNCTION + ")");
            } catch (RuntimeException | LinkageError e) { // never fatal: the plain calls still work
                return new Path(null, critical, prefix + "4 downcalls per call ("
                        + (e.getMessage() != null ? e.getMessage() : e.toString()) + ")");
            }
        }

        /** The path in a few words, for the backend's description: e.g. {@code critical calls, 1 downcall}. */
        String summary() {
            return (critical ? "critical calls to " + (CallExecutor.CRITICAL_MAX_BYTES >> 10) + " KiB, " : "")
                    + (shim != null ? "1 downcall" : "4 downcalls");
        }

        /** A new thread context's executor on its stream; its buffers live in {@code arena}. */
        Executor executor(Stream stream, Arena arena) {
            return shim != null ? new ShimExecutor(shim, stream, arena, critical)
                    : new CallExecutor(stream, arena, critical, null, null);
        }
    }
}
