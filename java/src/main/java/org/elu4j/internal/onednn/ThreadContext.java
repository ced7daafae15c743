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
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.LinkedHashMap;
import org.elu4j.DataType;
import org.elu4j.Elu4jException;
import org.elu4j.internal.onednn.EltwisePlan.Alg;
import org.elu4j.internal.onednn.EltwisePlan.Step;
import org.elu4j.internal.onednn.ffi.dnnl_exec_arg_t;

/**
 * One calling thread's state in the oneDNN backend: its stream, its memory objects (one set per
 * data type and element count), the primitives it pins from the {@link PrimitiveCache}, either the
 * shim's out-parameters or the exec-arg array of the four-call path, the exec-arg array of
 * backward primitives, and the busy flag of the backend's guard. Used only by its own thread
 * (the backend destroys it once that thread has ended, or at close when no call is running).
 */
final class ThreadContext {
    final Arena arena = Arena.ofShared();
    final MemorySegment stream;
    final MemorySegment args;
    /** diff_dst, src or dst (id set per call), diff_src: memories 0, 2, 1. */
    final MemorySegment backwardArgs;
    final ExecuteShim.Out out;
    /** Keyed by {@link #memoryKey}; values: src/diff_dst, dst/diff_src, and (created on first backward use) src or dst. */
    final LinkedHashMap<Long, MemorySegment[]> memories = new LinkedHashMap<>(16, 0.75f, true);
    /** The memories of the last call's type and element count (-1: none): repeated sizes skip the map. */
    private long lastKey = -1;
    private MemorySegment[] lastMemories;
    /** The primitive of the last call's first pass, pinned (one user) until another one replaces it. */
    private PrimitiveCache.Primitive pinned;
    /** The primitives of the last composed call's later passes (index 1.. of a plan), pinned likewise. */
    private final PrimitiveCache.Primitive[] pinnedLater = new PrimitiveCache.Primitive[EltwisePlan.MAX_STEPS];
    /** True while the owning thread is inside a call ({@link #markBusy}). */
    @SuppressWarnings("unused")
    private volatile boolean busy;

    private final MemorySegment engine;
    private final PrimitiveCache cache;
    /** The helper's one-downcall execute, or null: the four oneDNN calls. */
    private final ExecuteShim shim;

    /** Sets OpenMP's thread count for the calling thread (when oneDNN runs on OpenMP) and creates its stream. */
    ThreadContext(MemorySegment engine, PrimitiveCache cache, ExecuteShim shim, int threads, MethodHandle ompSetNumThreads) {
        this.engine = engine;
        this.cache = cache;
        this.shim = shim;
        if (ompSetNumThreads != null) {
            // OpenMP's thread count is per calling thread: set it once for this one.
            try {
                ompSetNumThreads.invokeExact(threads);
            } catch (Throwable t) {
                throw new Elu4jException("omp_set_num_threads failed", t);
            }
        }
        MemorySegment p = arena.allocate(dnnl_stream_t);
        check(dnnl_stream_create(p, engine, dnnl_stream_default_flags()), "dnnl_stream_create");
        stream = p.get(dnnl_stream_t, 0);
        if (shim != null) {
            out = new ExecuteShim.Out(arena);
            args = null;
        } else {
            out = null;
            args = dnnl_exec_arg_t.allocateArray(2, arena);
            dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(args, 0), DNNL_ARG_SRC());
            dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(args, 1), DNNL_ARG_DST());
        }
        backwardArgs = dnnl_exec_arg_t.allocateArray(3, arena);
        dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(backwardArgs, 0), DNNL_ARG_DIFF_DST());
        dnnl_exec_arg_t.arg(dnnl_exec_arg_t.asSlice(backwardArgs, 1), DNNL_ARG_DIFF_SRC());
    }

    /**
     * The f32 forward eltwise_elu primitive for (alpha, n): the pinned one if it fits and is
     * still cached, else acquired and pinned.
     */
    MemorySegment primitive(float alpha, long n) {
        PrimitiveCache.Primitive p = pinned;
        if (p != null && p.count == n && p.alphaBits == Float.floatToIntBits(alpha) && p.f32Elu && !p.evicted) {
            return p.handle;
        }
        return repin(0, new PrimitiveCache.Key(new Step(Alg.FWD_ELU, alpha), DataType.F32, n));
    }

    /** The primitive of pass {@code index} of a plan: the pinned one if it fits, else acquired and pinned. */
    MemorySegment primitive(int index, Step step, DataType type, long n) {
        PrimitiveCache.Primitive p = index == 0 ? pinned : pinnedLater[index];
        if (p != null && p.count == n && p.key.type() == type && p.key.step().equals(step) && !p.evicted) {
            return p.handle;
        }
        return repin(index, new PrimitiveCache.Key(step, type, n));
    }

    private MemorySegment repin(int index, PrimitiveCache.Key key) {
        PrimitiveCache.Primitive old = index == 0 ? pinned : pinnedLater[index];
        PrimitiveCache.Primitive next = cache.acquire(key);
        if (index == 0) {
            pinned = next;
        } else {
            pinnedLater[index] = next;
        }
        if (old != null) {
            cache.release(old);
        }
        return next.handle;
    }

    /** The memory objects for n elements of the type (the first two always exist). */
    private MemorySegment[] memories(DataType type, long n) {
        long key = memoryKey(type, n);
        if (key == lastKey) {
            return lastMemories;
        }
        MemorySegment[] mem = memories.get(key);
        if (mem == null) {
            mem = createMemories(type, n);
        }
        lastKey = key;
        lastMemories = mem;
        return mem;
    }

    /** Runs a forward primitive (one pass, src to dst) on n elements of the type. */
    void execute(MemorySegment primitive, DataType type, long n, MemorySegment src, MemorySegment dst) {
        MemorySegment[] mem = memories(type, n);
        if (shim != null) {
            shim.execute(primitive, stream, mem[0], mem[1], src, dst, out);
            return;
        }
        check(dnnl_memory_set_data_handle(mem[0], src), "dnnl_memory_set_data_handle");
        check(dnnl_memory_set_data_handle(mem[1], dst), "dnnl_memory_set_data_handle");
        dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(args, 0), mem[0]);
        dnnl_exec_arg_t.memory(dnnl_exec_arg_t.asSlice(args, 1), mem[1]);
        check(KeepAlive.execute(primitive, stream, args, src, dst), "dnnl_primitive_execute");
        check(KeepAlive.streamWait(stream, src, dst), "dnnl_stream_wait");
    }

    /**
     * Runs a backward primitive on n elements of the type: diff_dst, the forward's input
     * ({@code usesDst} false) or output, diff_src (which may be the same region as diff_dst).
     * Five plain calls: the helper's shim takes two memories only.
     */
    void executeBackward(MemorySegment primitive, boolean usesDst, DataType type, long n, MemorySegment diffDst,
                         MemorySegment data, MemorySegment diffSrc) {
        MemorySegment[] mem = memories(type, n);
        if (mem[2] == null) {
            mem[2] = createMemory(type, n);
        }
        check(dnnl_memory_set_data_handle(mem[0], diffDst), "dnnl_memory_set_data_handle");
        check(dnnl_memory_set_data_handle(mem[1], diffSrc), "dnnl_memory_set_data_handle");
        check(dnnl_memory_set_data_handle(mem[2], data), "dnnl_memory_set_data_handle");
        MemorySegment a0 = dnnl_exec_arg_t.asSlice(backwardArgs, 0);
        MemorySegment a1 = dnnl_exec_arg_t.asSlice(backwardArgs, 1);
        MemorySegment a2 = dnnl_exec_arg_t.asSlice(backwardArgs, 2);
        dnnl_exec_arg_t.memory(a0, mem[0]);
        dnnl_exec_arg_t.memory(a1, mem[1]);
        dnnl_exec_arg_t.arg(a2, usesDst ? DNNL_ARG_DST() : DNNL_ARG_SRC());
        dnnl_exec_arg_t.memory(a2, mem[2]);
        check(KeepAlive.execute(primitive, stream, backwardArgs, diffDst, data, diffSrc), "dnnl_primitive_execute");
        check(KeepAlive.streamWait(stream, diffDst, data, diffSrc), "dnnl_stream_wait");
    }

    private MemorySegment[] createMemories(DataType type, long n) {
        if (memories.size() >= OneDnnBackend.MEMORIES_PER_THREAD) {
            Iterator<MemorySegment[]> eldest = memories.values().iterator();
            MemorySegment[] old = eldest.next();
            eldest.remove();
            if (old == lastMemories) {
                lastKey = -1;
                lastMemories = null;
            }
            destroyMemories(old);
        }
        MemorySegment[] mem = new MemorySegment[3];
        try {
            mem[0] = createMemory(type, n);
            mem[1] = createMemory(type, n);
        } catch (RuntimeException e) {
            destroyMemories(mem);
            throw e;
        }
        memories.put(memoryKey(type, n), mem);
        return mem;
    }

    private MemorySegment createMemory(DataType type, long n) {
        try (Arena tmp = Arena.ofConfined(); MemoryDesc md = MemoryDesc.of(type, n)) {
            MemorySegment p = tmp.allocate(dnnl_memory_t);
            check(dnnl_memory_create(p, md.handle(), engine, DNNL_MEMORY_NONE()), "dnnl_memory_create");
            return p.get(dnnl_memory_t, 0);
        }
    }

    private void destroyMemories(MemorySegment[] mem) {
        for (MemorySegment m : mem) {
            if (m != null) {
                check(dnnl_memory_destroy(m), "dnnl_memory_destroy");
            }
        }
    }

    void destroy() {
        if (pinned != null) {
            cache.release(pinned);
            pinned = null;
        }
        for (int i = 0; i < pinnedLater.length; i++) {
            if (pinnedLater[i] != null) {
                cache.release(pinnedLater[i]);
                pinnedLater[i] = null;
            }
        }
        lastKey = -1;
        lastMemories = null;
        memories.values().forEach(this::destroyMemories);
        memories.clear();
        check(dnnl_stream_destroy(stream), "dnnl_stream_destroy");
        arena.close();
    }

    private static final VarHandle BUSY;

    static {
        try {
            BUSY = MethodHandles.lookup().findVarHandle(ThreadContext.class, "busy", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Marks a call in progress (volatile write: ordered before the caller reads the backend's closed flag). */
    void markBusy() {
        BUSY.setVolatile(this, true);
    }

    void clearBusy() {
        BUSY.setRelease(this, false);
    }

    boolean isBusy() {
        return (boolean) BUSY.getVolatile(this);
    }

    /** The per-thread memory key: element count and data type in one long (f32: {@code n << 2}). */
    private static long memoryKey(DataType type, long n) {
        return n << 2 | type.ordinal();
    }

    /**
     * Only for the four-call path, without the helper library (with it, {@link ExecuteShim} takes
     * the segments as real arguments and needs none of this):
     * {@code dnnl_primitive_execute} and {@code dnnl_stream_wait} bound with the call's source and
     * destination segments as two extra, unused arguments. oneDNN reads and writes those segments
     * during these calls through the data handles set earlier, which the FFM linker knows nothing
     * about: bound plainly, another thread could close a shared arena between
     * {@code dnnl_memory_set_data_handle} and the end of the execution, and oneDNN would then read
     * and write freed memory (a JVM crash when it was unmapped), and an automatic arena could be
     * freed by the GC once the segments are no longer used in Java. A downcall keeps the arena of
     * every segment it is passed acquired until it returns, so with the segments as arguments such
     * a close fails with {@link IllegalStateException} instead, and the segments stay reachable.
     * Extra trailing arguments are harmless in the x86-64 System V calling convention (the only
     * one elu4j builds for): they travel in registers the callee does not read, and the caller
     * owns the stack.
     *
     * <p>It stays for this fallback because the alternative, plain bindings and a documented risk,
     * would turn a caller's race (closing a shared arena while another thread's ELU call runs on
     * it) from an {@link IllegalStateException} into a use after free inside oneDNN, i.e. a JVM
     * crash; {@code Reference.reachabilityFence} would cover automatic arenas but not that.
     */
    private static final class KeepAlive {
        private static final MethodHandle EXECUTE = Linker.nativeLinker().downcallHandle(dnnl_primitive_execute$address(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        private static final MethodHandle WAIT = Linker.nativeLinker().downcallHandle(dnnl_stream_wait$address(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));

        static int execute(MemorySegment primitive, MemorySegment stream, MemorySegment args, MemorySegment src,
                MemorySegment dst) {
            try {
                return (int) EXECUTE.invokeExact(primitive, stream, 2, args, src, dst);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static int streamWait(MemorySegment stream, MemorySegment src, MemorySegment dst) {
            try {
                return (int) WAIT.invokeExact(stream, src, dst);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** Backward primitives: three memories, and the three segments kept alive. */
        private static final MethodHandle EXECUTE3 = Linker.nativeLinker().downcallHandle(dnnl_primitive_execute$address(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        private static final MethodHandle WAIT3 = Linker.nativeLinker().downcallHandle(dnnl_stream_wait$address(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));

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
