package org.elu4j.internal.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * How one thread runs a primitive on its stream: point the memory objects at the caller's
 * segments, execute, wait for the stream, and keep the segments alive meanwhile (oneDNN holds
 * their addresses, which the FFM linker knows nothing about). The backend has one code path,
 * {@link #execute}; there are two implementations because the fast one needs the helper library
 * and oneDNN must keep working without it:
 * <ul>
 * <li>{@link ShimExecutor}: a forward primitive in one downcall, the helper's
 *     {@code elu4j_dnnl_execute_unary} ({@link ExecuteShim}), which takes the segments as real
 *     arguments. Its per-call cost is what a 256-element call is made of, so it is used whenever
 *     the helper is loaded. The shim is unary: a backward primitive (three memories) takes the
 *     plain calls.</li>
 * <li>{@link CallExecutor}: the oneDNN calls made from Java (set the data handles, execute, wait),
 *     used when the helper library is not loaded or is disabled ({@code -Delu4j.disable=helper}):
 *     it is a separate native library that can be missing or refused while {@code libdnnl.so.3}
 *     loads, and the oneDNN backend does not depend on the helper backend.</li>
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
     * The backend's choice of executor, made once: the shim when the helper library can be used,
     * else the plain calls, and why, as text.
     *
     * @param shim        the helper's shim, or null
     * @param description e.g. {@code 1 downcall per call (the helper's elu4j_dnnl_execute_unary)}
     */
    record Path(ExecuteShim shim, String description) {

        /**
         * The shim if {@code useHelperShim} and the helper library provides it (its
         * {@code elu4j_dnnl_api} struct allocated in {@code arena}, which must outlive every
         * call), else the plain calls. Never fails: a shim that cannot be used is a reason.
         */
        static Path choose(boolean useHelperShim, Arena arena) {
            if (!useHelperShim) {
                return new Path(null, "4 downcalls per call (the helper is disabled)");
            }
            try {
                return new Path(ExecuteShim.create(arena),
                        "1 downcall per call (the helper's " + ExecuteShim.FUNCTION + ")");
            } catch (RuntimeException | LinkageError e) { // never fatal: the plain calls still work
                return new Path(null, "4 downcalls per call ("
                        + (e.getMessage() != null ? e.getMessage() : e.toString()) + ")");
            }
        }

        /** Downcalls of a forward call: 1 through the shim, 4 otherwise. */
        int downcalls() {
            return shim != null ? 1 : 4;
        }

        /** A new thread context's executor on its stream; its buffers live in {@code arena}. */
        Executor executor(Stream stream, Arena arena) {
            return shim != null ? new ShimExecutor(shim, stream, arena) : new CallExecutor(stream, arena);
        }
    }
}
