package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import org.elu4j.DataType;
import org.elu4j.Elu4jException;
import org.elu4j.internal.NativeLibraries;
import org.elu4j.internal.onednn.EltwisePlan.Alg;
import org.elu4j.internal.onednn.EltwisePlan.Step;

/**
 * One calling thread's state in the oneDNN backend, and how it runs a plan: its {@link Stream},
 * its {@link Memory} objects (one set per data type and element count), the primitives it pins
 * from the {@link PrimitiveCache}, its {@link Executor} (every pass of every call goes through its
 * one {@code execute}), and the busy flag of the backend's guard ({@link ThreadContexts}). Used
 * only by its own platform thread (it is closed once that thread has ended, or at the backend's
 * close when no call is running), or by one virtual thread's call at a time (the pool of
 * {@link ThreadContexts}).
 */
final class ThreadContext {
    /** Memory-object sets kept per thread (one per type and element count), least recently used out first. */
    static final int MEMORIES_PER_THREAD = 8;

    /** The executor's native buffers. */
    private final Arena arena = Arena.ofShared();
    private final Engine engine;
    private final PrimitiveCache cache;
    private final Stream stream;
    private final Executor executor;
    /** OpenMP's {@code omp_set_num_threads} (null unless oneDNN runs on OpenMP) and the count to set. */
    private final MethodHandle ompSetNumThreads;
    private final int threads;
    /** Keyed by {@link #memoryKey}; values: src/diff_dst, dst/diff_src, and (created on first backward use) src or dst. */
    private final LinkedHashMap<Long, Memory[]> memories = new LinkedHashMap<>(16, 0.75f, true);
    /** The memories of the last call's type and element count (-1: none): repeated sizes skip the map. */
    private long lastKey = -1;
    private Memory[] lastMemories;
    /** The primitive of the last call's first pass, pinned (one user) until another one replaces it. */
    private PrimitiveCache.Entry pinned;
    /** The primitives of the last composed call's later passes (index 1.. of a plan), pinned likewise. */
    private final PrimitiveCache.Entry[] pinnedLater = new PrimitiveCache.Entry[EltwisePlan.MAX_STEPS];
    /** True while the owning thread is inside a call ({@link #markBusy}). */
    @SuppressWarnings("unused")
    private volatile boolean busy;

    /**
     * Sets OpenMP's thread count for the calling thread (when oneDNN runs on OpenMP:
     * {@code ompSetNumThreads} not null) and creates its stream and executor.
     */
    ThreadContext(Engine engine, PrimitiveCache cache, Executor.Path path, int threads, MethodHandle ompSetNumThreads) {
        this.engine = engine;
        this.cache = cache;
        this.ompSetNumThreads = ompSetNumThreads;
        this.threads = threads;
        applyThreadCount(); // OpenMP's thread count is per native thread: a platform thread's is set once
        Stream s = Stream.create(engine);
        try {
            this.executor = path.executor(s, arena);
        } catch (RuntimeException | Error e) {
            DnnlHandle.closeAll(s);
            arena.close();
            throw e;
        }
        this.stream = s;
    }

    /**
     * The OpenMP runtime's {@code omp_set_num_threads}, found from the loaded oneDNN (a lookup by
     * its handle searches its dependencies too): libgomp for the bundled oneDNN, whichever OpenMP
     * runtime (libiomp5, libomp) a oneDNN given with {@code elu4j.dnnl.library} was linked with.
     */
    static MethodHandle ompSetNumThreads() {
        NativeLibraries.Library dnnl = NativeLibraries.dnnl().get();
        MemorySegment symbol = dnnl.lookup().find("omp_set_num_threads")
                .orElseThrow(() -> new Elu4jException("oneDNN at " + dnnl.path() + " runs on OpenMP, but neither it nor its"
                        + " dependencies define omp_set_num_threads"));
        return Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.ofVoid(JAVA_INT), Linker.Option.critical(false));
    }

    /**
     * Sets OpenMP's thread count on the calling native thread: once for a platform thread's own
     * context, before every pass for a virtual thread (whose native thread, its carrier, may be
     * another one each time: OpenMP would otherwise run that carrier's default, every CPU).
     */
    void applyThreadCount() {
        if (ompSetNumThreads != null) {
            try {
                ompSetNumThreads.invokeExact(threads);
            } catch (Throwable t) {
                throw new Elu4jException("omp_set_num_threads failed", t);
            }
        }
    }

    /**
     * The f32 forward eltwise_elu primitive for (alpha, n): the pinned one if it fits and is
     * still cached, else acquired and pinned.
     */
    private Primitive primitive(float alpha, long n) {
        PrimitiveCache.Entry p = pinned;
        if (p != null && p.count == n && p.alphaBits == Float.floatToIntBits(alpha) && p.f32Elu && !p.evicted) {
            return p.primitive;
        }
        return repin(0, new PrimitiveCache.Key(new Step(Alg.FWD_ELU, alpha), DataType.F32, n));
    }

    /** The primitive of pass {@code index} of a plan: the pinned one if it fits, else acquired and pinned. */
    private Primitive primitive(int index, Step step, DataType type, long n) {
        PrimitiveCache.Entry p = index == 0 ? pinned : pinnedLater[index];
        if (p != null && p.count == n && p.key.type() == type && p.key.step().equals(step) && !p.evicted) {
            return p.primitive;
        }
        return repin(index, new PrimitiveCache.Key(step, type, n));
    }

    private Primitive repin(int index, PrimitiveCache.Key key) {
        PrimitiveCache.Entry old = index == 0 ? pinned : pinnedLater[index];
        PrimitiveCache.Entry next = cache.acquire(key);
        if (index == 0) {
            pinned = next;
        } else {
            pinnedLater[index] = next;
        }
        if (old != null) {
            cache.release(old);
        }
        return next.primitive;
    }

    /**
     * One pass through the executor. On a virtual thread, OpenMP's thread count is set on the
     * carrier first: the one under it can change during a call (a contended lock unmounts it), and
     * nothing between this and the native call can unmount it.
     */
    private void execute(Primitive primitive, Memory[] mem, MemorySegment src, MemorySegment dst, int extraArg,
            MemorySegment extra) {
        if (Thread.currentThread().isVirtual()) {
            applyThreadCount();
        }
        executor.execute(primitive, mem, src, dst, extraArg, extra);
    }

    /** Runs the f32 ELU primitive for alpha on n elements, src to dst. */
    void eluF32(float alpha, long n, MemorySegment src, MemorySegment dst) {
        execute(primitive(alpha, n), memories(DataType.F32, n), src, dst, 0, null);
    }

    /**
     * {@code dst = op(src)} through the steps of a forward plan on n elements of the type: the
     * first pass from src to dst, the others in place on dst.
     */
    void forward(Step[] steps, DataType type, long n, MemorySegment src, MemorySegment dst) {
        pinAll(steps, type, n);
        for (int i = 0; i < steps.length; i++) {
            execute(primitive(i, steps[i], type, n), memories(type, n), i == 0 ? src : dst, dst, 0, null);
        }
    }

    /**
     * {@code dx = dy * op'(x)} through the steps of a backward plan: a linear pass from dy to dx
     * where the plan starts with one, then the backward primitives with diff_dst and diff_src
     * both on dx (in place, which oneDNN allows) and x or y ({@code xy}) read as src or dst.
     */
    void backward(Step[] steps, DataType type, long n, MemorySegment dy, MemorySegment xy, MemorySegment dx) {
        pinAll(steps, type, n);
        for (int i = 0; i < steps.length; i++) {
            Primitive primitive = primitive(i, steps[i], type, n);
            Memory[] mem = memories(type, n);
            MemorySegment diffDst = i == 0 ? dy : dx;
            Alg alg = steps[i].alg();
            if (!alg.backward) {
                execute(primitive, mem, diffDst, dx, 0, null);
                continue;
            }
            if (mem[2] == null) {
                mem[2] = Memory.create(engine, type, n);
            }
            execute(primitive, mem, diffDst, dx, alg.usesDst ? DNNL_ARG_DST() : DNNL_ARG_SRC(), xy);
        }
    }

    /**
     * Creates (or finds) every primitive of a plan before the first one runs, so that a failure to
     * create a later pass's primitive throws before anything is written: a multi-pass call either
     * runs every pass or leaves the destination untouched. The execute loop then finds them pinned.
     */
    private void pinAll(Step[] steps, DataType type, long n) {
        if (steps.length > 1) {
            for (int i = 0; i < steps.length; i++) {
                primitive(i, steps[i], type, n);
            }
        }
    }

    /** The memory objects for n elements of the type (the first two always exist). */
    private Memory[] memories(DataType type, long n) {
        long key = memoryKey(type, n);
        if (key == lastKey) {
            return lastMemories;
        }
        Memory[] mem = memories.get(key);
        if (mem == null) {
            mem = createMemories(type, n);
        }
        lastKey = key;
        lastMemories = mem;
        return mem;
    }

    private Memory[] createMemories(DataType type, long n) {
        if (memories.size() >= MEMORIES_PER_THREAD) {
            Iterator<Memory[]> eldest = memories.values().iterator();
            Memory[] old = eldest.next();
            eldest.remove();
            if (old == lastMemories) {
                lastKey = -1;
                lastMemories = null;
            }
            DnnlHandle.closeAll(old);
        }
        Memory[] mem = new Memory[3];
        try {
            mem[0] = Memory.create(engine, type, n);
            mem[1] = Memory.create(engine, type, n);
        } catch (RuntimeException e) {
            DnnlHandle.closeAll(mem);
            throw e;
        }
        memories.put(memoryKey(type, n), mem);
        return mem;
    }

    /** Unpins its primitives and closes its memory objects and stream (its thread is done). */
    void close() {
        // Every release and close is attempted whatever fails before it; the first failure is thrown.
        RuntimeException failure = null;
        if (pinned != null) {
            PrimitiveCache.Entry p = pinned;
            pinned = null;
            failure = DnnlHandle.attempt(() -> cache.release(p), failure);
        }
        for (int i = 0; i < pinnedLater.length; i++) {
            if (pinnedLater[i] != null) {
                PrimitiveCache.Entry p = pinnedLater[i];
                pinnedLater[i] = null;
                failure = DnnlHandle.attempt(() -> cache.release(p), failure);
            }
        }
        lastKey = -1;
        lastMemories = null;
        List<DnnlHandle> owned = new ArrayList<>();
        memories.values().forEach(mem -> owned.addAll(Arrays.asList(mem))); // closeAll skips a null mem[2]
        memories.clear();
        owned.add(stream);
        failure = DnnlHandle.attempt(() -> DnnlHandle.closeAll(owned.toArray(DnnlHandle[]::new)), failure);
        failure = DnnlHandle.attempt(arena::close, failure);
        if (failure != null) {
            throw failure;
        }
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
}
