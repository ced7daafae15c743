package org.elu4j.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.bench.peers.JavaCppOneDnnElu;
import org.elu4j.internal.NativeLibraries;
import org.elu4j.internal.helper.ffi.Elu4jNative;
import org.elu4j.internal.helper.ffi.elu4j_dnnl_api;
import org.elu4j.internal.onednn.OneDnnBackend;
import org.elu4j.internal.onednn.ffi.Dnnl;
import org.elu4j.internal.onednn.ffi.dnnl_exec_arg_t;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Where the nanoseconds of a oneDNN call go in Java (issue #11, item 3), beside the same steps
 * from C ({@code native/bench/dnnl_callpath.c}; {@link OneDnnCallPath} runs both). f32 ELU forward
 * (alpha = 1), out of place, one thread. Every method runs the same primitive on the same
 * buffers:
 * <ul>
 * <li>{@link #elu4j}: elu4j's oneDNN backend through the public API (what a user pays);</li>
 * <li>{@link #javacpp}: oneDNN through its JavaCPP preset (JNI), execute + wait, the peer;</li>
 * <li>{@link #backendWithShims}, {@link #backendWithoutShims}: elu4j's oneDNN backend below the
 *     public API, with the helper's shims and without them (a short call then executes and waits
 *     in two downcalls instead of one): the A/B of the execute-and-wait shim;</li>
 * <li>{@code ffm*}: the oneDNN calls from Java through FFM downcalls bound here, on a primitive,
 *     stream and memory objects made here, each as an ordinary and as a critical
 *     ({@link Linker.Option#critical}) downcall: execute + wait (what C and JavaCPP time; critical
 *     also with the data segments as extra arguments, which holds their arena, as elu4j does),
 *     set_data_handle x2 + execute + wait (what a call on any buffers needs), the helper's one-call
 *     shim, the helper's execute-and-wait shim (critical, segments held: elu4j's short calls), and
 *     {@code dnnl_stream_wait} alone (an idle stream: the price of one downcall).</li>
 * </ul>
 * Not part of the suite ({@link Suite} leaves it out): {@code ./elu4j bench --dnnl-path}.
 */
public class OneDnnCallPathBenchmark extends BenchBase {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);
    private static final FunctionDescriptor EXECUTE_DESC =
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
    private static final FunctionDescriptor WAIT_DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    private static final FunctionDescriptor SET_DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
    private static final FunctionDescriptor SHIM_DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
            ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);

    @Param({"256"})
    public int size;

    private Elu elu;
    private JavaCppOneDnnElu javacpp;
    private OneDnnBackend withShims;
    private OneDnnBackend withoutShims;
    private MemorySegment x;
    private MemorySegment y;
    private Arena own;
    private MemorySegment engine;
    private MemorySegment stream;
    private MemorySegment primitive;
    private MemorySegment srcMemory;
    private MemorySegment dstMemory;
    private MemorySegment args;
    private MemorySegment api;
    private MemorySegment outInts;
    private MemorySegment outFailed;

    /**
     * The downcall handles, constants as in a library (a handle in a field the JIT cannot fold
     * costs an indirect call); initialised after set-up has loaded oneDNN and the helper.
     */
    private static final class H {
        static final MethodHandle execute = LINKER.downcallHandle(Dnnl.dnnl_primitive_execute$address(), EXECUTE_DESC);
        static final MethodHandle executeCritical =
                LINKER.downcallHandle(Dnnl.dnnl_primitive_execute$address(), EXECUTE_DESC, CRITICAL);
        static final MethodHandle streamWait = LINKER.downcallHandle(Dnnl.dnnl_stream_wait$address(), WAIT_DESC);
        static final MethodHandle streamWaitCritical =
                LINKER.downcallHandle(Dnnl.dnnl_stream_wait$address(), WAIT_DESC, CRITICAL);
        static final MethodHandle setHandle =
                LINKER.downcallHandle(Dnnl.dnnl_memory_set_data_handle$address(), SET_DESC);
        static final MethodHandle setHandleCritical =
                LINKER.downcallHandle(Dnnl.dnnl_memory_set_data_handle$address(), SET_DESC, CRITICAL);
        /** With the data segments as extra arguments, as elu4j binds them (holds their arena during the call). */
        static final MethodHandle executeHeldCritical = LINKER.downcallHandle(Dnnl.dnnl_primitive_execute$address(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS), CRITICAL);
        static final MethodHandle streamWaitHeldCritical = LINKER.downcallHandle(Dnnl.dnnl_stream_wait$address(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), CRITICAL);
        static final MethodHandle shim = LINKER.downcallHandle(Elu4jNative.elu4j_dnnl_execute_unary$address(), SHIM_DESC);
        static final MethodHandle shimCritical =
                LINKER.downcallHandle(Elu4jNative.elu4j_dnnl_execute_unary$address(), SHIM_DESC, CRITICAL);
        /**
         * The helper's elu4j_dnnl_execute_wait (not in the generated bindings: looked up in the loaded
         * helper) with the data segments as extra arguments, as elu4j binds it for short calls.
         */
        static final MethodHandle execWaitShimHeldCritical = LINKER.downcallHandle(
                NativeLibraries.helper().get().lookup().find("elu4j_dnnl_execute_wait").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
                        ADDRESS, ADDRESS), CRITICAL);
    }

    @Setup(Level.Trial)
    public void setUp() throws Throwable {
        if (!Elu4j.isAvailable(Backend.ONEDNN) || !Elu4j.isAvailable(Backend.HELPER)) {
            throw new IllegalStateException("oneDNN and the helper must both be available: " + Elu4j.backends());
        }
        x = randomInput(size);
        y = allocateFloats(size);
        elu = Elu.elu().on(Backend.ONEDNN);
        elu.apply(x, y);
        checkElu("elu4j onednn n=" + size, x, y);
        javacpp = new JavaCppOneDnnElu(x, y, 1f);
        withShims = OneDnnBackend.create(true);
        withoutShims = OneDnnBackend.create(false);
        if (!withShims.usesHelperShim()) {
            throw new IllegalStateException("the helper's shims are not used: " + withShims.executePath());
        }

        own = Arena.ofShared();
        MemorySegment p = own.allocate(ADDRESS);
        check(Dnnl.dnnl_engine_create(p, Dnnl.dnnl_cpu(), 0), "dnnl_engine_create");
        engine = p.get(ADDRESS, 0);
        check(Dnnl.dnnl_stream_create(p, engine, Dnnl.dnnl_stream_default_flags()), "dnnl_stream_create");
        stream = p.get(ADDRESS, 0);
        check(Dnnl.dnnl_memory_desc_create_with_tag(p, 1, own.allocateFrom(JAVA_LONG, size), Dnnl.dnnl_f32(),
                Dnnl.dnnl_a()), "dnnl_memory_desc_create_with_tag");
        MemorySegment md = p.get(ADDRESS, 0);
        check(Dnnl.dnnl_eltwise_forward_primitive_desc_create(p, engine, Dnnl.dnnl_forward_inference(),
                Dnnl.dnnl_eltwise_elu(), md, md, 1f, 0f, MemorySegment.NULL), "dnnl_eltwise_forward_primitive_desc_create");
        MemorySegment pd = p.get(ADDRESS, 0);
        check(Dnnl.dnnl_primitive_create(p, pd), "dnnl_primitive_create");
        primitive = p.get(ADDRESS, 0);
        check(Dnnl.dnnl_primitive_desc_destroy(pd), "dnnl_primitive_desc_destroy");
        check(Dnnl.dnnl_memory_create(p, md, engine, Dnnl.DNNL_MEMORY_NONE()), "dnnl_memory_create");
        srcMemory = p.get(ADDRESS, 0);
        check(Dnnl.dnnl_memory_create(p, md, engine, Dnnl.DNNL_MEMORY_NONE()), "dnnl_memory_create");
        dstMemory = p.get(ADDRESS, 0);
        check(Dnnl.dnnl_memory_desc_destroy(md), "dnnl_memory_desc_destroy");
        check(Dnnl.dnnl_memory_set_data_handle(srcMemory, x), "dnnl_memory_set_data_handle");
        check(Dnnl.dnnl_memory_set_data_handle(dstMemory, y), "dnnl_memory_set_data_handle");
        args = dnnl_exec_arg_t.allocateArray(2, own);
        dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(args, 0), Dnnl.DNNL_ARG_SRC());
        dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(args, 0), srcMemory);
        dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(args, 1), Dnnl.DNNL_ARG_DST());
        dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(args, 1), dstMemory);

        api = elu4j_dnnl_api.allocate(own);
        elu4j_dnnl_api.size(api, elu4j_dnnl_api.sizeof());
        elu4j_dnnl_api.memory_set_data_handle(api, Dnnl.dnnl_memory_set_data_handle$address());
        elu4j_dnnl_api.primitive_execute(api, Dnnl.dnnl_primitive_execute$address());
        elu4j_dnnl_api.stream_wait(api, Dnnl.dnnl_stream_wait$address());
        elu4j_dnnl_api.arg_src(api, Dnnl.DNNL_ARG_SRC());
        elu4j_dnnl_api.arg_dst(api, Dnnl.DNNL_ARG_DST());
        // As elu4j passes them: global-scope views, so that the downcall acquires no arena for them.
        api = MemorySegment.ofAddress(api.address());
        outInts = MemorySegment.ofAddress(own.allocate(JAVA_INT, 2).address());
        outFailed = MemorySegment.ofAddress(outInts.address() + JAVA_INT.byteSize());

        // Every path must compute ELU into y: check each once.
        Runnable[] paths = {this::javacppChecked, this::uncheckedExecWait, this::uncheckedExecWaitCritical,
            () -> check(ffmExecWaitCriticalHeld(), "execute + wait"),
            this::uncheckedSet2, this::uncheckedSet2Critical, this::uncheckedShim, this::uncheckedShimCritical,
            () -> check(ffmExecWaitShimCriticalHeld(), "execute-and-wait shim"), this::backendWithShims,
            this::backendWithoutShims};
        for (Runnable r : paths) {
            y.fill((byte) 0);
            r.run();
            checkElu("oneDNN call path n=" + size, x, y);
        }
    }

    private void javacppChecked() {
        check(javacpp.run(), "dnnl_stream_wait");
    }

    private void uncheckedExecWait() {
        check(ffmExecWait(), "execute + wait");
    }

    private void uncheckedExecWaitCritical() {
        check(ffmExecWaitCritical(), "execute + wait");
    }

    private void uncheckedSet2() {
        check(ffmSet2ExecWait(), "set x2 + execute + wait");
    }

    private void uncheckedSet2Critical() {
        check(ffmSet2ExecWaitCritical(), "set x2 + execute + wait");
    }

    private void uncheckedShim() {
        check(ffmShim(), "shim");
    }

    private void uncheckedShimCritical() {
        check(ffmShimCritical(), "shim");
    }

    private static void check(int status, String what) {
        if (status != 0) {
            throw new IllegalStateException(what + " returned " + status);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (javacpp != null) {
            javacpp.close();
        }
        if (withShims != null) {
            withShims.close();
            withoutShims.close();
        }
        if (own != null) {
            Dnnl.dnnl_memory_destroy(srcMemory);
            Dnnl.dnnl_memory_destroy(dstMemory);
            Dnnl.dnnl_primitive_destroy(primitive);
            Dnnl.dnnl_stream_destroy(stream);
            Dnnl.dnnl_engine_destroy(engine);
            own.close();
        }
    }

    @Benchmark
    public MemorySegment elu4j() {
        elu.apply(x, y);
        return y;
    }

    @Benchmark
    public MemorySegment backendWithShims() {
        withShims.eluF32(x, y, 1f);
        return y;
    }

    @Benchmark
    public MemorySegment backendWithoutShims() {
        withoutShims.eluF32(x, y, 1f);
        return y;
    }

    @Benchmark
    public int javacpp() {
        return javacpp.run();
    }

    @Benchmark
    public int ffmExecWait() {
        try {
            int rc = (int) H.execute.invokeExact(primitive, stream, 2, args);
            return rc | (int) H.streamWait.invokeExact(stream);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Benchmark
    public int ffmExecWaitCritical() {
        try {
            int rc = (int) H.executeCritical.invokeExact(primitive, stream, 2, args);
            return rc | (int) H.streamWaitCritical.invokeExact(stream);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** As {@link #ffmExecWaitCritical}, holding the data segments' arena during both calls, as elu4j does. */
    @Benchmark
    public int ffmExecWaitCriticalHeld() {
        try {
            int rc = (int) H.executeHeldCritical.invokeExact(primitive, stream, 2, args, x, y);
            return rc | (int) H.streamWaitHeldCritical.invokeExact(stream, x, y);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Benchmark
    public int ffmSet2ExecWait() {
        try {
            int rc = (int) H.setHandle.invokeExact(srcMemory, x);
            rc |= (int) H.setHandle.invokeExact(dstMemory, y);
            rc |= (int) H.execute.invokeExact(primitive, stream, 2, args);
            return rc | (int) H.streamWait.invokeExact(stream);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Benchmark
    public int ffmSet2ExecWaitCritical() {
        try {
            int rc = (int) H.setHandleCritical.invokeExact(srcMemory, x);
            rc |= (int) H.setHandleCritical.invokeExact(dstMemory, y);
            rc |= (int) H.executeCritical.invokeExact(primitive, stream, 2, args);
            return rc | (int) H.streamWaitCritical.invokeExact(stream);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Benchmark
    public int ffmShim() {
        try {
            return (int) H.shim.invokeExact(api, primitive, stream, srcMemory, dstMemory, x, y, outInts,
                    outFailed);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Benchmark
    public int ffmShimCritical() {
        try {
            return (int) H.shimCritical.invokeExact(api, primitive, stream, srcMemory, dstMemory, x, y, outInts,
                    outFailed);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The helper's execute-and-wait shim, critical, the data segments held: one downcall, one hold. */
    @Benchmark
    public int ffmExecWaitShimCriticalHeld() {
        try {
            // Non-zero if the shim refused the call or a oneDNN call failed (ELU4J_DNNL_FAILED).
            return (int) H.execWaitShimHeldCritical.invokeExact(api, primitive, stream, 2, args, outInts, outFailed,
                    x, y);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Benchmark
    public int ffmWait() {
        try {
            return (int) H.streamWait.invokeExact(stream);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Benchmark
    public int ffmWaitCritical() {
        try {
            return (int) H.streamWaitCritical.invokeExact(stream);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
