package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.elu4j.Elu4jException;
import org.elu4j.NativeCallException;
import org.elu4j.internal.NativeLibraries;
import org.elu4j.internal.helper.ffi.Elu4jNative;
import org.elu4j.internal.helper.ffi.elu4j_dnnl_api;
import org.elu4j.internal.onednn.ffi.Dnnl;

/**
 * The helper library's oneDNN execute shims (see {@code native/include/elu4j.h}):
 * {@code elu4j_dnnl_execute_unary} sets both data handles, executes the primitive and waits for
 * the stream in one downcall instead of four; {@code elu4j_dnnl_execute_wait} executes and waits
 * on memory objects whose handles the caller set, in one downcall instead of two.
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
 * <p>{@code elu4j_dnnl_execute_wait} is bound by hand ({@link Wait}), as a critical downcall for short
 * calls and an ordinary one for long calls, with the call's segments as extra trailing arguments
 * that only keep their arenas held (as {@link CallExecutor} does for oneDNN's own functions): one
 * hold per call instead of one per downcall, which for a shared arena is two atomic updates, the
 * larger part of what a short call costs in Java beyond oneDNN itself (docs/benchmarks.md, "oneDNN
 * call path").
 *
 * <p>Creating one touches the generated {@link Elu4jNative} bindings, so only do that once
 * {@link NativeLibraries#helper()} has loaded the library.
 */
final class ExecuteShim {
    static final String FUNCTION = "elu4j_dnnl_execute_unary";
    static final String WAIT_FUNCTION = "elu4j_dnnl_execute_wait";

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
        for (String function : new String[] {FUNCTION, WAIT_FUNCTION}) {
            if (helper.get().lookup().find(function).isEmpty()) {
                throw new Elu4jException("the helper library at " + helper.get().path() + " has no " + function);
            }
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
        rc = Wait.call(false, shim.api, MemorySegment.NULL, MemorySegment.NULL, 2, MemorySegment.NULL,
                probe, MemorySegment.NULL, MemorySegment.NULL, null);
        if (rc != Elu4jNative.ELU4J_ERR_NULL_POINTER()) {
            throw new Elu4jException(WAIT_FUNCTION + " refused the elu4j_dnnl_api of the bindings ("
                    + elu4j_dnnl_api.sizeof() + " bytes): " + statusName(rc));
        }
        return shim;
    }

    /**
     * A thread's two out-parameters, {@code int dnnl_status} and {@code int failed_call}: read
     * after every {@code elu4j_dnnl_execute_unary}, and after {@code elu4j_dnnl_execute_wait} only
     * when it did not return {@code ELU4J_OK}.
     */
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
            check(FUNCTION, rc, out.ints.get(JAVA_INT, 0), failed);
        }
    }

    /**
     * Executes {@code primitive} with {@code nargs} arguments at {@code args} (a global-scope view
     * of a {@code dnnl_exec_arg_t} array whose memory objects already point at the segments) and
     * waits for {@code stream}, in one downcall, critical if {@code critical}; {@code a}, {@code b}
     * and {@code c} (null for two) are the segments oneDNN works on, passed only to be held.
     *
     * @throws NativeCallException a oneDNN call, or the shim itself, reported a failure
     */
    void executeWait(boolean critical, MemorySegment primitive, MemorySegment stream, int nargs, MemorySegment args,
                     Out out, MemorySegment a, MemorySegment b, MemorySegment c) {
        int rc = Wait.call(critical, api, primitive, stream, nargs, args, out, a, b, c);
        if (rc != 0) { // ELU4J_DNNL_FAILED (the out-parameters say which call failed) or a refusal
            check(WAIT_FUNCTION, rc, out.ints.get(JAVA_INT, 0), out.ints.get(JAVA_INT, JAVA_INT.byteSize()));
        }
    }

    /**
     * {@code elu4j_dnnl_execute_wait(api, primitive, stream, nargs, args, dnnl_status, failed_call)}
     * with two or three segments as extra trailing arguments, ordinary and critical (heap access
     * not allowed: oneDNN keeps the pointers). Extra trailing arguments are harmless in the x86-64
     * System V calling convention: beyond the sixth they go on the stack, which the caller owns.
     * The handles are static finals, which the JIT folds into the call site (a handle in an
     * instance field costs an indirect call); the class is initialised by {@link #create}, once it
     * has found the function in the loaded helper.
     */
    private static final class Wait {
        private static final FunctionDescriptor TWO = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        private static final FunctionDescriptor THREE = TWO.appendArgumentLayouts(ADDRESS);
        private static final MemorySegment FUNCTION_ADDRESS =
                NativeLibraries.helper().get().lookup().find(WAIT_FUNCTION).orElseThrow();
        private static final Linker.Option CRITICAL = Linker.Option.critical(false);
        private static final MethodHandle HANDLE_TWO = Linker.nativeLinker().downcallHandle(FUNCTION_ADDRESS, TWO);
        private static final MethodHandle HANDLE_THREE = Linker.nativeLinker().downcallHandle(FUNCTION_ADDRESS, THREE);
        private static final MethodHandle HANDLE_TWO_CRITICAL =
                Linker.nativeLinker().downcallHandle(FUNCTION_ADDRESS, TWO, CRITICAL);
        private static final MethodHandle HANDLE_THREE_CRITICAL =
                Linker.nativeLinker().downcallHandle(FUNCTION_ADDRESS, THREE, CRITICAL);

        private Wait() {
        }

        static int call(boolean critical, MemorySegment api, MemorySegment primitive, MemorySegment stream, int nargs,
                        MemorySegment args, Out out, MemorySegment a, MemorySegment b, MemorySegment c) {
            try {
                if (c == null) {
                    return critical
                            ? (int) HANDLE_TWO_CRITICAL.invokeExact(api, primitive, stream, nargs, args, out.statusArg,
                                    out.failedArg, a, b)
                            : (int) HANDLE_TWO.invokeExact(api, primitive, stream, nargs, args, out.statusArg,
                                    out.failedArg, a, b);
                }
                return critical
                        ? (int) HANDLE_THREE_CRITICAL.invokeExact(api, primitive, stream, nargs, args, out.statusArg,
                                out.failedArg, a, b, c)
                        : (int) HANDLE_THREE.invokeExact(api, primitive, stream, nargs, args, out.statusArg,
                                out.failedArg, a, b, c);
            } catch (Throwable t) {
                throw CallExecutor.rethrow(t);
            }
        }
    }

    /**
     * Throws the exception that a shim's return value and out-parameters describe, if any;
     * {@code function} is the shim's name. A oneDNN call that failed ({@code failedCall} not
     * {@code ELU4J_DNNL_CALL_NONE}; {@code elu4j_dnnl_execute_unary} then returns {@code ELU4J_OK},
     * {@code elu4j_dnnl_execute_wait} {@code ELU4J_DNNL_FAILED}) is reported as oneDNN's failure;
     * any other return value but {@code ELU4J_OK} as the shim's refusal (which calls nothing).
     */
    static void check(String function, int rc, int dnnlStatus, int failedCall) {
        if (failedCall != Elu4jNative.ELU4J_DNNL_CALL_NONE()) {
            String call = Elu4jNative.elu4j_dnnl_call_name(failedCall).reinterpret(64).getString(0);
            throw new NativeCallException("oneDNN", call, dnnlStatus, DnnlStatus.name(dnnlStatus));
        }
        if (rc != Elu4jNative.ELU4J_OK()) {
            throw new NativeCallException("elu4j helper", function, rc, statusName(rc));
        }
    }

    private static String statusName(int status) {
        return Elu4jNative.elu4j_status_name(status).reinterpret(256).getString(0);
    }
}
