package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.elu4j.Elu4jException;
import org.elu4j.NativeCallException;
import org.elu4j.internal.NativeLibraries;
import org.elu4j.internal.helper.ffi.Elu4jNative;
import org.elu4j.internal.helper.ffi.elu4j_dnnl_api;
import org.elu4j.internal.onednn.ffi.Dnnl;

/**
 * The helper library's oneDNN execute shim, {@code elu4j_dnnl_execute_unary} (see
 * {@code native/include/elu4j.h}): sets both data handles, executes the primitive and waits for
 * the stream in one downcall instead of four.
 *
 * <p>The source and destination segments are real arguments of that one downcall, so the FFM
 * linker keeps their arenas acquired (a concurrent {@code close()} of a shared arena fails) and
 * the segments reachable for as long as oneDNN works on them; no trick is needed for that. It is
 * an ordinary (not critical) downcall: oneDNN calls can be long, and may block on OpenMP threads.
 *
 * <p>The helper does not link against oneDNN: the {@code elu4j_dnnl_api} struct handed to it holds
 * oneDNN's function addresses (from the loaded {@code libdnnl.so.3}) and argument ids. It is
 * filled once, in the backend's arena. The struct and the per-thread out-parameters are passed as
 * zero-length views of their addresses (global scope), so a call acquires no arena but those of
 * the data segments: the backend keeps both allocations alive until {@link OneDnnBackend#close()},
 * which waits for calls in flight.
 *
 * <p>Creating one touches the generated {@link Elu4jNative} bindings, so only do that once
 * {@link NativeLibraries#helper()} has loaded the library.
 */
final class ExecuteShim {
    static final String FUNCTION = "elu4j_dnnl_execute_unary";

    /** A global-scope view of the {@code elu4j_dnnl_api} struct. */
    private final MemorySegment api;

    private ExecuteShim(MemorySegment api) {
        this.api = api;
    }

    /**
     * The shim of the loaded helper library, with its {@code elu4j_dnnl_api} allocated in
     * {@code arena} (which must outlive every call).
     *
     * @throws Elu4jException why the shim cannot be used: the helper is not loaded, is another
     *                        version, lacks the function, or disagrees on the struct's layout
     */
    static ExecuteShim create(Arena arena) {
        NativeLibraries.Outcome helper = NativeLibraries.helper();
        if (!helper.ok()) {
            throw new Elu4jException("the helper library is not loaded: " + helper.failure().getMessage());
        }
        if (helper.get().lookup().find(FUNCTION).isEmpty()) {
            throw new Elu4jException("the helper library at " + helper.get().path() + " has no " + FUNCTION);
        }
        int runtime = Elu4jNative.elu4j_version();
        if (runtime != Elu4jNative.ELU4J_VERSION_NUMBER()) {
            throw new Elu4jException("the helper library is version " + runtime + ", the bindings "
                    + Elu4jNative.ELU4J_VERSION_NUMBER());
        }
        MemorySegment struct = elu4j_dnnl_api.allocate(arena);
        elu4j_dnnl_api.size(struct, elu4j_dnnl_api.sizeof());
        elu4j_dnnl_api.memory_set_data_handle(struct, Dnnl.dnnl_memory_set_data_handle$address());
        elu4j_dnnl_api.primitive_execute(struct, Dnnl.dnnl_primitive_execute$address());
        elu4j_dnnl_api.stream_wait(struct, Dnnl.dnnl_stream_wait$address());
        elu4j_dnnl_api.arg_src(struct, Dnnl.DNNL_ARG_SRC());
        elu4j_dnnl_api.arg_dst(struct, Dnnl.DNNL_ARG_DST());
        ExecuteShim shim = new ExecuteShim(MemorySegment.ofAddress(struct.address()));

        // A call with real out-parameters and NULL handles answers ELU4J_ERR_NULL_POINTER without
        // calling oneDNN, or ELU4J_ERR_INVALID_ARGUMENT if the helper's struct has another size.
        Out probe = new Out(arena);
        int rc = Elu4jNative.elu4j_dnnl_execute_unary(shim.api, MemorySegment.NULL, MemorySegment.NULL,
                MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL,
                probe.statusArg, probe.failedArg);
        if (rc != Elu4jNative.ELU4J_ERR_NULL_POINTER()) {
            throw new Elu4jException(FUNCTION + " refused the elu4j_dnnl_api of the bindings ("
                    + elu4j_dnnl_api.sizeof() + " bytes): " + statusName(rc));
        }
        return shim;
    }

    /** A thread's two out-parameters, {@code int dnnl_status} and {@code int failed_call}. */
    static final class Out {
        final MemorySegment ints;
        final MemorySegment statusArg;
        final MemorySegment failedArg;

        Out(Arena arena) {
            ints = arena.allocate(JAVA_INT, 2);
            statusArg = MemorySegment.ofAddress(ints.address());
            failedArg = MemorySegment.ofAddress(ints.address() + JAVA_INT.byteSize());
        }
    }

    /**
     * Runs {@code primitive} on {@code src} and {@code dst} (native segments of the primitive's
     * size) through {@code srcMemory}/{@code dstMemory}, and waits for {@code stream}.
     *
     * @throws NativeCallException a oneDNN call, or the shim itself, reported a failure
     */
    void execute(MemorySegment primitive, MemorySegment stream, MemorySegment srcMemory, MemorySegment dstMemory,
                 MemorySegment src, MemorySegment dst, Out out) {
        int rc = Elu4jNative.elu4j_dnnl_execute_unary(api, primitive, stream, srcMemory, dstMemory, src, dst,
                out.statusArg, out.failedArg);
        int failed = out.ints.get(JAVA_INT, JAVA_INT.byteSize());
        if (rc != 0 || failed != 0) {
            check(rc, out.ints.get(JAVA_INT, 0), failed);
        }
    }

    /** Throws the exception that the shim's return value and out-parameters describe, if any. */
    static void check(int rc, int dnnlStatus, int failedCall) {
        if (rc != Elu4jNative.ELU4J_OK()) {
            throw new NativeCallException("elu4j helper", FUNCTION, rc, statusName(rc));
        }
        if (failedCall != Elu4jNative.ELU4J_DNNL_CALL_NONE()) {
            String call = Elu4jNative.elu4j_dnnl_call_name(failedCall).reinterpret(64).getString(0);
            throw new NativeCallException("oneDNN", call, dnnlStatus, DnnlStatus.name(dnnlStatus));
        }
    }

    private static String statusName(int status) {
        return Elu4jNative.elu4j_status_name(status).reinterpret(256).getString(0);
    }
}
