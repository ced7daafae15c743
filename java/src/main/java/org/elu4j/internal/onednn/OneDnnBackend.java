package org.elu4j.internal.onednn;

import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu4jException;
import org.elu4j.internal.Binding;
import org.elu4j.internal.EluBackend;
import org.elu4j.internal.NativeLibraries;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.onednn.EltwisePlan.Alg;
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
 * <p>Native objects and their owners, each oneDNN object held by an AutoCloseable owner modelled
 * on oneDNN's C++ API ({@link Engine}, {@link Stream}, {@link Memory}, {@link MemoryDesc},
 * {@link PrimitiveDesc}, {@link Primitive}; {@link DnnlHandle} says how they close):
 * <ul>
 * <li>one CPU engine for the backend's lifetime;</li>
 * <li>primitives in a bounded LRU cache keyed by (algorithm and propagation, data type, alpha,
 *     element count), counting their users ({@link PrimitiveCache}): a thread's context keeps the
 *     primitives of its last call pinned (one user each, one per pass of the plan), so a repeated
 *     call takes neither the cache's lock nor a map lookup; eviction prefers primitives nobody
 *     pins, and an evicted primitive is closed by its last user (a pinning thread drops it at its
 *     next call), so at most {@link #PRIMITIVE_CACHE_SIZE} plus {@value EltwisePlan#MAX_STEPS} per
 *     thread exist;</li>
 * <li>a stream, memory objects and an executor per thread ({@link ThreadContext}: streams and
 *     memory objects are not thread-safe); the contexts of threads that have died are closed the
 *     next time a thread creates one ({@link ThreadContexts});</li>
 * <li>everything is closed exactly once by {@link #close()}, which a shutdown hook calls (so that
 *     no oneDNN call runs while the process exits and its libraries' destructors run); calls after
 *     that fail with {@link org.elu4j.BackendUnavailableException} naming the closure ({@link
 *     #CLOSED}), the backend counts as unavailable and AUTO binds elsewhere. Every call goes
 *     through one guard ({@link ThreadContexts#enter}), so either it sees the backend closed or
 *     close() waits for it.</li>
 * </ul>
 *
 * <p>A call runs each pass through its thread's {@link Executor}, one code path: on one oneDNN
 * thread a short pass is two critical downcalls (execute, wait; the data handles are set only
 * where a tensor moved), a long forward pass one ordinary downcall when the elu4j helper library
 * is loaded (its {@code elu4j_dnnl_execute_unary}), the plain oneDNN calls otherwise
 * ({@link Executor} says why both exist). {@link #executePath()} says which.
 *
 * <p>oneDNN keeps the data pointers inside its memory objects between calls, so only native
 * segments are accepted ({@link #supportsHeapSegments()} is false).
 */
public final class OneDnnBackend implements EluBackend, AutoCloseable {
    /** Primitives kept at most; each holds JIT-compiled code (a few KB). */
    static final int PRIMITIVE_CACHE_SIZE = PrimitiveCache.CAPACITY;
    /**
     * System property: OpenMP threads oneDNN may use for one call (default 1). elu4j's backends
     * are serial by default; with 2 OpenMP threads on a 2-core machine oneDNN was measured up to
     * 20x slower per call whenever the other core was busy (see README).
     */
    public static final String THREADS_PROPERTY = "elu4j.onednn.threads";
    /** Why calls are refused once the backend is closed. */
    public static final String CLOSED = "closed: it closes when the JVM shuts down, so that no oneDNN call runs while"
            + " the process exits (a call from another shutdown hook may come after that)";
    /** oneDNN's DNNL_RUNTIME_OMP (dnnl_config.h): the CPU runtime whose threads we can limit. */
    private static final int DNNL_RUNTIME_OMP = 2;
    /** oneDNN's DNNL_RUNTIME_SEQ: no threads of its own. */
    private static final int DNNL_RUNTIME_SEQ = 1;

    private final Engine engine;
    private final String description;
    private final String version;
    private final String isa;
    private final String implementation;
    /** Memory that lives as long as the backend: the shim's {@code elu4j_dnnl_api} struct. */
    private final Arena arena = Arena.ofShared();
    private final Executor.Path executePath;
    private final PrimitiveCache cache;
    private final ThreadContexts contexts;
    /** What this CPU's oneDNN implements, probed once at creation. */
    private final EltwiseProbe probe;
    /** Closes the backend at the JVM's exit (registered by {@link #create}, removed by {@link #close}). */
    private final Thread shutdownHook = new Thread(this::close, "elu4j-onednn-shutdown");

    private OneDnnBackend(Engine engine, boolean useHelperShim) {
        this.engine = engine;
        MemorySegment v = dnnl_version();
        this.version = dnnl_version_t.major(v) + "." + dnnl_version_t.minor(v) + "." + dnnl_version_t.patch(v);
        this.isa = DnnlStatus.isaName(dnnl_get_effective_cpu_isa());
        this.probe = EltwiseProbe.run(engine, version, isa);
        // The backend exists only where f32 ELU runs (oneDNN implements f32 on every CPU it supports).
        this.implementation = probe.implementations().get(DataType.F32).get(Alg.FWD_ELU);
        if (implementation == null) {
            throw new Elu4jException(probe.failures().get(DataType.F32).get(Alg.FWD_ELU));
        }
        int threads = threads();
        int runtime = dnnl_version_t.cpu_runtime(v);
        MethodHandle ompSetNumThreads = runtime == DNNL_RUNTIME_OMP ? ThreadContext.ompSetNumThreads() : null;
        this.cache = new PrimitiveCache(engine);
        // A critical downcall must not wait on other threads: only with oneDNN on one thread, which
        // elu4j can ask only of OpenMP (a sequential build has no threads; TBB or a thread pool
        // would use theirs).
        boolean oneThread = runtime == DNNL_RUNTIME_SEQ || (runtime == DNNL_RUNTIME_OMP && threads == 1);
        Executor.Path path = Executor.Path.choose(useHelperShim, oneThread, arena);
        this.executePath = path;
        this.contexts = new ThreadContexts(() -> new ThreadContext(engine, cache, path, threads, ompSetNumThreads));
        this.description = "onednn " + version + " (" + implementation + ", " + threads
                + (threads == 1 ? " thread, " : " threads, ") + path.summary() + ")";
    }

    /** {@value #THREADS_PROPERTY}, at least 1 (1 when unset); a value that is no such number is refused, naming it. */
    private static int threads() {
        String value = System.getProperty(THREADS_PROPERTY);
        if (value == null || value.isBlank()) {
            return 1;
        }
        try {
            int threads = Integer.parseInt(value.trim());
            if (threads >= 1) {
                return threads;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new Elu4jException(THREADS_PROPERTY + " must be a whole number of at least 1, got \"" + value + "\"");
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
     * ({@code false}: always the plain oneDNN calls, as with {@code -Delu4j.disable=helper}).
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
        Engine engine = Engine.cpu();
        OneDnnBackend backend;
        try {
            backend = new OneDnnBackend(engine, useHelperShim);
        } catch (RuntimeException | Error e) {
            try {
                engine.close();
            } catch (RuntimeException destroyFailed) {
                e.addSuppressed(destroyFailed);
            }
            throw e;
        }
        try {
            Runtime.getRuntime().addShutdownHook(backend.shutdownHook);
        } catch (IllegalStateException | SecurityException e) { // the JVM is shutting down already
            try {
                backend.close();
            } catch (RuntimeException closeFailed) {
                e.addSuppressed(closeFailed);
            }
            throw new Elu4jException("oneDNN: cannot register the backend's shutdown hook: " + e.getMessage(), e);
        }
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

    /** How a call reaches oneDNN: critical downcalls for short calls, the helper's shim or four downcalls (and why). */
    public String executePath() {
        return executePath.description();
    }

    /** Whether calls go through the helper library's one-downcall shim. */
    public boolean usesHelperShim() {
        return executePath.shim() != null;
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
        ThreadContext ctx = contexts.enter();
        try {
            ctx.eluF32(alpha, n, src, dst);
        } finally {
            contexts.exit(ctx);
        }
    }

    @Override
    public String unsupported(Op op, DataType type, Pass pass) {
        if (contexts.isClosed()) {
            return CLOSED;
        }
        if (type == DataType.F32 && pass == Pass.FORWARD && op.isPlainElu()) {
            // probed at creation (the backend exists only if this works); oneDNN takes alpha as a float
            // the plan's own rule for a float parameter: NaN where it overflows or rounds to 0
            return Float.isFinite(EltwisePlan.param(op.alpha())) ? null
                    : "oneDNN takes alpha as a float, and " + op.alpha() + " is out of float range";
        }
        return probe.whyNot(EltwisePlan.of(op, pass), op, pass, type);
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

    /** {@code dst = op(src)} through the plan ({@link ThreadContext#forward}); {@code threads} is ignored (see the class comment). */
    private void forward(EltwisePlan plan, DataType type, MemorySegment src, MemorySegment dst) {
        ThreadContext ctx = contexts.enter();
        try {
            ctx.forward(plan.steps(), type, src.byteSize() / type.byteSize(), src, dst);
        } finally {
            contexts.exit(ctx);
        }
    }

    /** {@code dx = dy * op'(x)} through the plan of the pass ({@link ThreadContext#backward}). */
    private void backward(EltwisePlan plan, DataType type, MemorySegment dy, MemorySegment xy, MemorySegment dx) {
        ThreadContext ctx = contexts.enter();
        try {
            ctx.backward(plan.steps(), type, dy.byteSize() / type.byteSize(), dy, xy, dx);
        } finally {
            contexts.exit(ctx);
        }
    }

    /** The plan, or UnsupportedOperationException with the reason (callers check first). */
    private EltwisePlan plan(Op op, DataType type, Pass pass) {
        EltwisePlan plan = EltwisePlan.of(op, pass);
        String why = probe.whyNot(plan, op, pass, type);
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
        return probe.capabilities();
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
        return contexts.count();
    }

    /** The contexts and their guard (for tests of the virtual threads' pool). */
    ThreadContexts contexts() {
        return contexts;
    }

    /** Whether {@link #close} has run: every call kind is then refused ({@link #CLOSED}). */
    public boolean isClosed() {
        return contexts.isClosed();
    }

    /**
     * Closes every stream, memory object, primitive and the engine, once. Waits for calls in
     * progress; later calls throw {@link org.elu4j.BackendUnavailableException} ({@link #CLOSED}).
     */
    @Override
    public void close() {
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook); // a closed backend needs none
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran) anyway: a second close does nothing
            }
        }
        contexts.close(() -> {
            RuntimeException failure = DnnlHandle.attempt(cache::closeAll, null);
            failure = DnnlHandle.attempt(engine::close, failure);
            failure = DnnlHandle.attempt(arena::close, failure);
            if (failure != null) {
                throw failure;
            }
        });
    }
}
