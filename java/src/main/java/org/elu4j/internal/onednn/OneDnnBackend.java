package org.elu4j.internal.onednn;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.elu4j.internal.onednn.DnnlStatus.check;
import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu4jException;
import org.elu4j.internal.Binding;
import org.elu4j.internal.EluBackend;
import org.elu4j.internal.NativeLibraries;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.onednn.EltwisePlan.Alg;
import org.elu4j.internal.onednn.EltwisePlan.Step;
import org.elu4j.internal.onednn.ffi.dnnl_version_t;

/**
 * oneDNN's eltwise primitives through the jextract bindings in {@code org.elu4j.internal.onednn.ffi}.
 *
 * <p>What runs: every function of the family that oneDNN's eltwise algorithms can express, in
 * f32, bf16 and f16 where oneDNN implements them on this CPU (probed once, when the backend is
 * created, for each data type and primitive kind: {@link #unsupported} then only looks the answer
 * up). A function oneDNN has no single algorithm for is composed of several primitives run one
 * after the other, each a full pass over the tensor ({@link EltwisePlan} gives the algebra and
 * why oneDNN's post-ops do not help); {@link #capabilities()} says, as data, what runs natively, what
 * is composed, and what does not run and why. oneDNN 3.13 has no f64 eltwise on CPU.
 *
 * <p>Results as oneDNN computes them, not normalised: its ELU computes {@code exp(x) - 1} (not
 * expm1), so results near 0 have a large relative error, {@code |x| < ~3e-8} gives 0 and -0.0
 * gives +0.0; ReLU runs as {@code eltwise_elu(0)} because oneDNN's {@code eltwise_relu(0)} turns
 * NaN into 0, so negative inputs give -0.0 where {@link Op} says +0.0; a composed plan's
 * {@code eltwise_linear} pass turns -0.0 into +0.0. Backward treats a NaN x (from the input) as
 * the positive side: {@code dx = dy * scale}, where Op's arithmetic gives NaN for ELU and 0 for
 * ReLU. The {@code threads} argument of {@link #forward} is ignored: oneDNN uses the
 * {@value #THREADS_PROPERTY} OpenMP threads (default 1).
 *
 * <p>Native objects and their owners:
 * <ul>
 * <li>one CPU engine for the backend's lifetime;</li>
 * <li>primitives in a bounded LRU cache keyed by (algorithm and propagation, data type, alpha,
 *     element count), counting their users: a thread's context keeps the primitives of its last
 *     call pinned (one user each, one per pass of the plan), so a repeated call takes neither the
 *     cache's lock nor a map lookup; eviction prefers primitives nobody pins, and an evicted
 *     primitive is destroyed by its last user (a pinning thread drops it at its next call), so at
 *     most {@link #PRIMITIVE_CACHE_SIZE} plus {@value EltwisePlan#MAX_STEPS} per thread exist;</li>
 * <li>a stream and memory objects per thread (streams and memory objects are not thread-safe);
 *     the contexts of threads that have died are destroyed the next time a thread creates one;</li>
 * <li>everything is destroyed exactly once by {@link #close()}, which a shutdown hook calls; calls
 *     after that fail with {@link IllegalStateException}. A call marks its own context busy (one
 *     volatile store, no lock) before it checks {@code closed}; close() sets {@code closed} and then
 *     waits until no context is busy, so either the call sees the backend closed or close() waits
 *     for it.</li>
 * </ul>
 *
 * <p>One forward pass is one downcall when the elu4j helper library is loaded: its
 * {@code elu4j_dnnl_execute_unary} ({@link ExecuteShim}) sets both data handles, executes and
 * waits. Without the helper (or with {@code -Delu4j.disable=helper}) the backend makes the four
 * oneDNN calls itself ({@code ThreadContext.KeepAlive} explains how the segments stay alive then). A backward
 * primitive has three memories (diff_dst, src or dst, diff_src), which the unary shim does not
 * take: it is always five plain calls (three data handles, execute, wait), with the same
 * keep-alive binding.
 *
 * <p>oneDNN keeps the data pointers inside its memory objects between calls, so only native
 * segments are accepted ({@link #supportsHeapSegments()} is false).
 */
public final class OneDnnBackend implements EluBackend, AutoCloseable {
    /** Primitives kept at most; each holds JIT-compiled code (a few KB). */
    static final int PRIMITIVE_CACHE_SIZE = PrimitiveCache.CAPACITY;
    /** Memory-object pairs kept per thread (one per element count). */
    static final int MEMORIES_PER_THREAD = 8;
    /**
     * System property: OpenMP threads oneDNN may use for one call (default 1). elu4j's backends
     * are serial by default; with 2 OpenMP threads on a 2-core machine oneDNN was measured up to
     * 20x slower per call whenever the other core was busy (see README).
     */
    public static final String THREADS_PROPERTY = "elu4j.onednn.threads";
    /** oneDNN's DNNL_RUNTIME_OMP (dnnl_config.h): the CPU runtime whose threads we can limit. */
    private static final int DNNL_RUNTIME_OMP = 2;

    private final MemorySegment engine;
    private final String description;
    private final String version;
    private final String isa;
    private final String implementation;
    /** Set once by {@link #close()}; read by every call after it marked its context busy. */
    private volatile boolean closed;
    /** Guards creating, reaping and (in close) destroying thread contexts. */
    private final Object contextsLock = new Object();
    /** Memory that lives as long as the backend: the shim's {@code elu4j_dnnl_api} struct. */
    private final Arena arena = Arena.ofShared();
    /** The helper's one-downcall execute, or null when it cannot be used (see {@link #executePath()}). */
    private final ExecuteShim shim;
    private final String executePath;

    private final PrimitiveCache cache;
    private final Map<ThreadContext, WeakReference<Thread>> contexts = new ConcurrentHashMap<>();
    private final ThreadLocal<ThreadContext> context = new ThreadLocal<>();
    /** libgomp's omp_set_num_threads, or null when oneDNN does not run on OpenMP. */
    private final MethodHandle ompSetNumThreads;
    private final int threads;

    /**
     * Why oneDNN cannot create each kind of primitive for each data type (null: it can), probed
     * once at creation; and the implementation it picks where it can.
     */
    private final Map<DataType, Map<Alg, String>> probeFailures;
    private final Map<DataType, Map<Alg, String>> probeImplementations;

    private OneDnnBackend(MemorySegment engine, boolean useHelperShim) {
        this.engine = engine;
        MemorySegment v = dnnl_version();
        this.version = dnnl_version_t.major(v) + "." + dnnl_version_t.minor(v) + "." + dnnl_version_t.patch(v);
        this.isa = DnnlStatus.isaName(dnnl_get_effective_cpu_isa());
        this.cache = new PrimitiveCache(engine);
        EltwiseProbe probe = EltwiseProbe.run(cache, version, isa);
        this.probeFailures = probe.failures();
        this.probeImplementations = probe.implementations();
        // The backend exists only where f32 ELU runs (oneDNN implements f32 on every CPU it supports).
        this.implementation = probeImplementations.get(DataType.F32).get(Alg.FWD_ELU);
        if (implementation == null) {
            throw new Elu4jException(probeFailures.get(DataType.F32).get(Alg.FWD_ELU));
        }
        this.threads = Integer.getInteger(THREADS_PROPERTY, 1);
        if (threads < 1) {
            throw new Elu4jException(THREADS_PROPERTY + " must be at least 1, got " + threads);
        }
        this.ompSetNumThreads = dnnl_version_t.cpu_runtime(v) == DNNL_RUNTIME_OMP ? findOmpSetNumThreads() : null;
        ExecuteShim s = null;
        String why;
        if (!useHelperShim) {
            why = "the helper is disabled";
        } else {
            try {
                s = ExecuteShim.create(arena);
                why = null;
            } catch (RuntimeException | LinkageError e) { // never fatal: the four calls still work
                why = e.getMessage() != null ? e.getMessage() : e.toString();
            }
        }
        this.shim = s;
        this.executePath = s != null ? "1 downcall per call (the helper's " + ExecuteShim.FUNCTION + ")"
                : "4 downcalls per call (" + why + ")";
        this.description = "onednn " + version + " (" + implementation + ", " + threads
                + (threads == 1 ? " thread, " : " threads, ") + (s != null ? "1 downcall)" : "4 downcalls)");
    }

    /** libgomp is already loaded as oneDNN's dependency: dlopen by soname finds that copy. */
    private static MethodHandle findOmpSetNumThreads() {
        MemorySegment symbol = SymbolLookup.libraryLookup(NativeLibraries.GOMP_SONAME, Arena.global())
                .find("omp_set_num_threads")
                .orElseThrow(() -> new Elu4jException("omp_set_num_threads not found in " + NativeLibraries.GOMP_SONAME));
        return Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.ofVoid(JAVA_INT));
    }

    /**
     * Creates the backend: checks the loaded library is oneDNN 3.x and creates the CPU engine; it
     * executes through the helper library's shim when that is loaded. Call only after
     * {@link NativeLibraries#dnnl()} succeeded.
     */
    public static OneDnnBackend create() {
        return create(true);
    }

    /**
     * {@link #create()}, choosing whether the helper library's one-downcall execute may be used
     * ({@code false}: always the four oneDNN calls, as with {@code -Delu4j.disable=helper}).
     */
    public static OneDnnBackend create(boolean useHelperShim) {
        NativeLibraries.Library lib = NativeLibraries.dnnl().get();
        // Before the bindings are touched: they look oneDNN up by soname, so a wrong file would
        // otherwise fail with a message that names neither the file nor where it came from.
        if (lib.lookup().find("dnnl_version").isEmpty() || lib.lookup().find("dnnl_engine_create").isEmpty()) {
            throw new Elu4jException("oneDNN: " + lib.path() + " (from " + lib.origin()
                    + ") is not oneDNN: it has no dnnl_version or dnnl_engine_create symbol");
        }
        MemorySegment v = dnnl_version();
        if (dnnl_version_t.major(v) != 3) {
            throw new Elu4jException("oneDNN " + dnnl_version_t.major(v) + "." + dnnl_version_t.minor(v)
                    + " at " + lib.path() + ": elu4j needs oneDNN 3.x");
        }
        MemorySegment engine;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(dnnl_engine_t);
            check(dnnl_engine_create(p, dnnl_cpu(), 0), "dnnl_engine_create");
            engine = p.get(dnnl_engine_t, 0);
        }
        OneDnnBackend backend;
        try {
            backend = new OneDnnBackend(engine, useHelperShim);
        } catch (RuntimeException | Error e) {
            dnnl_engine_destroy(engine);
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(backend::close, "elu4j-onednn-shutdown"));
        return backend;
    }

    @Override
    public Backend kind() {
        return Backend.ONEDNN;
    }

    @Override
    public String description() {
        return description;
    }

    /** oneDNN's version, e.g. {@code 3.13.0}. */
    public String version() {
        return version;
    }

    /** The CPU ISA oneDNN reports as effective ({@code dnnl_get_effective_cpu_isa}). */
    public String isa() {
        return isa;
    }

    /** The implementation oneDNN picks for an f32 ELU, e.g. {@code jit:avx512_core}. */
    public String implementation() {
        return implementation;
    }

    /** How a call reaches oneDNN: one downcall through the helper's shim, or four (and why). */
    public String executePath() {
        return executePath;
    }

    /** Whether calls go through the helper library's one-downcall shim. */
    public boolean usesHelperShim() {
        return shim != null;
    }

    @Override
    public boolean supportsHeapSegments() {
        return false;
    }

    /**
     * f32 ELU, {@code dst[i] = src[i] > 0 ? src[i] : alpha * expm1(src[i])}: the kernel that f32
     * ELU binds to where this backend has a float path. Segments need not be aligned.
     */
    public void eluF32(MemorySegment src, MemorySegment dst, float alpha) {
        long n = src.byteSize() / Float.BYTES;
        ThreadContext ctx = enter();
        try {
            ctx.execute(ctx.primitive(alpha, n), DataType.F32, n, src, dst);
        } finally {
            exit(ctx);
        }
    }

    @Override
    public String unsupported(Op op, DataType type, Pass pass) {
        if (type == DataType.F32 && pass == Pass.FORWARD && op.isPlainElu()) {
            // probed at creation (the backend exists only if this works); oneDNN takes alpha as a float
            float a = op.alphaF();
            return Float.isFinite(a) && (a != 0) == (op.alpha() != 0) ? null
                    : "oneDNN takes alpha as a float, and " + op.alpha() + " is out of float range";
        }
        return whyNot(EltwisePlan.of(op, pass), op, pass, type);
    }

    /**
     * Null when the plan runs on {@code type}, else why not. The algebraic limits come first, so
     * that a cell no CPU can run gives the same reason on every CPU; then what oneDNN lacks here.
     */
    private String whyNot(EltwisePlan plan, Op op, Pass pass, DataType type) {
        if (plan.reason() != null) {
            return plan.reason();
        }
        String range = plan.rangeProblem(op, pass, type);
        return range != null ? range : probeFailure(plan, type);
    }

    /** Null when oneDNN implements every primitive of the plan for {@code type}, else why not. */
    private String probeFailure(EltwisePlan plan, DataType type) {
        Map<Alg, String> failures = probeFailures.get(type);
        for (Step step : plan.steps()) {
            String why = failures.get(step.alg());
            if (why != null) {
                return why;
            }
        }
        return null;
    }

    /**
     * f32 ELU runs the one-primitive fast path ({@link #eluF32}); everything else its
     * {@link EltwisePlan}, made here once. Throws UnsupportedOperationException with the reason
     * for a call {@link #unsupported} refuses (the provider never binds one).
     */
    @Override
    public Binding.Forward bindForward(Op op, DataType type) {
        if (type == DataType.F32 && op.isPlainElu()) {
            float alpha = op.alphaF();
            return (src, dst, threads) -> eluF32(src, dst, alpha);
        }
        EltwisePlan plan = plan(op, type, Pass.FORWARD);
        return (src, dst, threads) -> forward(plan, type, src, dst);
    }

    @Override
    public Binding.Backward bindBackward(Op op, DataType type, boolean fromOutput) {
        EltwisePlan plan = plan(op, type, fromOutput ? Pass.BACKWARD_FROM_OUTPUT : Pass.BACKWARD_FROM_INPUT);
        return (dy, xy, dx) -> backward(plan, type, dy, xy, dx);
    }

    /**
     * {@code dst = op(src)} through the plan: the first pass from src to dst, the others in place
     * on dst. {@code threads} is ignored (see the class comment).
     */
    private void forward(EltwisePlan plan, DataType type, MemorySegment src, MemorySegment dst) {
        long n = src.byteSize() / type.byteSize();
        ThreadContext ctx = enter();
        try {
            Step[] steps = plan.steps();
            pinAll(ctx, steps, type, n);
            for (int i = 0; i < steps.length; i++) {
                ctx.execute(ctx.primitive(i, steps[i], type, n), type, n, i == 0 ? src : dst, dst);
            }
        } finally {
            exit(ctx);
        }
    }

    /**
     * {@code dx = dy * op'(x)} through the {@link EltwisePlan} of the pass: a linear pass from dy
     * to dx where the plan starts with one, then the backward primitives with diff_dst and
     * diff_src both on dx (in place, which oneDNN allows) and x or y read as src or dst.
     */
    private void backward(EltwisePlan plan, DataType type, MemorySegment dy, MemorySegment xy, MemorySegment dx) {
        long n = dy.byteSize() / type.byteSize();
        ThreadContext ctx = enter();
        try {
            Step[] steps = plan.steps();
            pinAll(ctx, steps, type, n);
            for (int i = 0; i < steps.length; i++) {
                MemorySegment primitive = ctx.primitive(i, steps[i], type, n);
                MemorySegment diffDst = i == 0 ? dy : dx;
                if (steps[i].alg().backward) {
                    ctx.executeBackward(primitive, steps[i].alg().usesDst, type, n, diffDst, xy, dx);
                } else {
                    ctx.execute(primitive, type, n, diffDst, dx);
                }
            }
        } finally {
            exit(ctx);
        }
    }

    /**
     * Creates (or finds) every primitive of a plan before the first one runs, so that a failure to
     * create a later pass's primitive throws before anything is written: a multi-pass call either
     * runs every pass or leaves the destination untouched. The execute loop then finds them pinned.
     */
    private static void pinAll(ThreadContext ctx, Step[] steps, DataType type, long n) {
        if (steps.length > 1) {
            for (int i = 0; i < steps.length; i++) {
                ctx.primitive(i, steps[i], type, n);
            }
        }
    }

    /** The plan, or UnsupportedOperationException with the reason (callers check first). */
    private EltwisePlan plan(Op op, DataType type, Pass pass) {
        EltwisePlan plan = EltwisePlan.of(op, pass);
        String why = whyNot(plan, op, pass, type);
        if (why != null) {
            throw new UnsupportedOperationException("onednn: " + op + " " + pass.label() + " on " + type.cliName()
                    + ": " + why);
        }
        return plan;
    }

    /**
     * What runs on this backend for representative functions (ELU with any alpha, SELU with
     * scale != 1, CELU with inputScale != 1, the general form with scale = inputScale, a negative
     * inputScale, ReLU, LeakyReLU), every data type and every pass, as data.
     */
    public List<Capability> capabilities() {
        List<Capability> list = new ArrayList<>();
        String[] names = {"elu", "selu", "celu(a=2)", "elu(s=i=2)", "elu(i<0)", "relu", "leaky-relu"};
        Op[] ops = {Op.elu(1), Op.elu(1.6732632423543772, 1.0507009873554805, 1), Op.elu(2, 1, 0.5),
                Op.elu(1, 2, 2), Op.elu(1, 1, -1), Op.relu(), Op.leakyRelu(0.01)};
        for (int i = 0; i < ops.length; i++) {
            for (DataType type : DataType.values()) {
                for (Pass pass : Pass.values()) {
                    list.add(capability(names[i], ops[i], type, pass));
                }
            }
        }
        return List.copyOf(list);
    }

    /** One cell of {@link #capabilities()}. */
    Capability capability(String name, Op op, DataType type, Pass pass) {
        EltwisePlan plan = EltwisePlan.of(op, pass);
        String why = whyNot(plan, op, pass, type);
        if (why != null) {
            return new Capability(name, op, type, pass, List.of(), List.of(), why);
        }
        Map<Alg, String> impls = probeImplementations.get(type);
        List<Step> steps = List.of(plan.steps());
        return new Capability(name, op, type, pass, steps.stream().map(Step::toString).toList(),
                steps.stream().map(st -> impls.get(st.alg())).distinct().toList(), null);
    }


    // ------------------------------------------------------------------ per-thread streams

    private ThreadContext context() {
        ThreadContext ctx = context.get();
        return ctx != null ? ctx : newContext();
    }

    /**
     * The guard of every call: this thread's context, marked busy, or IllegalStateException once
     * the backend is closed. Busy is set before closed is read, and close() sets closed before
     * it reads busy (both volatile): either the call sees the backend closed, or close() waits
     * until the call is done. Pair with {@link #exit} in a finally block.
     */
    private ThreadContext enter() {
        ThreadContext ctx = context();
        ctx.markBusy();
        if (closed) {
            ctx.clearBusy();
            throw new IllegalStateException("the oneDNN backend has been closed (JVM shutdown)");
        }
        return ctx;
    }

    private static void exit(ThreadContext ctx) {
        ctx.clearBusy();
    }

    private ThreadContext newContext() {
        synchronized (contextsLock) {
            if (closed) {
                throw new IllegalStateException("the oneDNN backend has been closed (JVM shutdown)");
            }
            reapDeadThreads();
            ThreadContext ctx = new ThreadContext(engine, cache, shim, threads, ompSetNumThreads);
            contexts.put(ctx, new WeakReference<>(Thread.currentThread()));
            context.set(ctx);
            return ctx;
        }
    }

    /** Destroys the contexts of threads that have ended: nobody can be using them. Under contextsLock. */
    private void reapDeadThreads() {
        for (Map.Entry<ThreadContext, WeakReference<Thread>> e : contexts.entrySet()) {
            Thread t = e.getValue().get();
            // remove() decides which of two reaping threads destroys the context: exactly one.
            if ((t == null || !t.isAlive()) && contexts.remove(e.getKey()) != null) {
                e.getKey().destroy();
            }
        }
    }


    /** How many primitives the cache holds now (for tests). */
    int cachedPrimitiveCount() {
        return cache.size();
    }

    /** The cache's keys as text (for tests). */
    List<String> cachedPrimitiveKeys() {
        return cache.keys();
    }

    /** Number of live per-thread contexts (for tests of the clean-up). */
    int contextCount() {
        return contexts.size();
    }

    /**
     * Destroys every stream, memory object, primitive and the engine, once. Waits for calls in
     * progress; later calls throw {@link IllegalStateException}.
     */
    @Override
    public void close() {
        synchronized (contextsLock) { // a second close() waits here until the first is done
            if (closed) {
                return;
            }
            closed = true;
            // A call marks its context busy before it reads closed: once a context is seen idle
            // after closed was set, its thread cannot start using native objects again.
            for (ThreadContext ctx : contexts.keySet()) {
                for (int spins = 0; ctx.isBusy(); spins++) {
                    if (spins < 100) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.parkNanos(50_000);
                    }
                }
            }
            contexts.keySet().forEach(ThreadContext::destroy);
            contexts.clear();
            cache.destroyAll();
            check(dnnl_engine_destroy(engine), "dnnl_engine_destroy");
            arena.close();
        }
    }
}
