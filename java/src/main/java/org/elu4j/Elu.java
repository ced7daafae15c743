package org.elu4j;

import java.lang.foreign.MemorySegment;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Objects;
import java.util.Optional;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.Binding;
import org.elu4j.internal.Buffers;
import org.elu4j.internal.Checks;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.WarmUp;
import org.elu4j.internal.scalar.ScalarBackend;

/**
 * An activation of the ELU family (ELU, SELU, CELU, PyTorch's general
 * {@code elu(x; alpha, scale, input_scale)}) or one of its ReLU baselines, as an immutable,
 * thread-safe function object over tensors in {@link MemorySegment}s, Java arrays and NIO buffers.
 *
 * <pre>{@code
 * Elu elu = Elu.elu();                          // alpha = 1, backend AUTO
 * try (Arena arena = Arena.ofConfined()) {
 *     MemorySegment x = arena.allocate(4L * n, 64);
 *     MemorySegment y = arena.allocate(4L * n, 64);
 *     ... fill x ...
 *     elu.apply(x, y);                          // y = ELU(x), float32
 *     elu.apply(x, x);                          // in place
 *     elu.backwardFromOutput(dy, y, dy);        // dx = dy * ELU'(x), written over dy
 *     Elu.celu(2).on(Backend.ONEDNN).apply(x, y);   // an explicit backend
 *     Elu.elu().parallel().apply(x, y);         // large tensors on every CPU (opt-in)
 * }
 * Elu.selu().apply(h, h, DataType.BF16);        // bfloat16 tensors
 * }</pre>
 *
 * <h2>Functions</h2>
 * <ul>
 * <li>{@code elu(x; alpha, scale, inputScale)} = {@code scale * x} for {@code x > 0}, else
 *     {@code alpha * scale * (exp(x * inputScale) - 1)}; {@link #elu(double)} has scale and input
 *     scale 1, {@link #selu()} is alpha = 1.6732632423543772848, scale = 1.0507009873554804934,
 *     {@link #celu(double)} is scale 1, inputScale 1/alpha.</li>
 * <li>{@link #relu()}: {@code x} for {@code x > 0}, else {@code +0.0}; {@link #leakyRelu(double)}:
 *     {@code x} for {@code x > 0}, else {@code slope * x}.</li>
 * </ul>
 * Parameters are doubles and mean their exact values: float, bfloat16 and float16 results are the
 * exact value rounded (f32 within 1 ulp on the helper, vector and scalar backends while
 * |alpha * scale| stays below about 2^873, docs/accuracy.md lists the limits; bf16 and f16 are the
 * f32 result rounded to nearest even), f64 results are computed in double.
 *
 * <h2>Backward</h2>
 * {@link #backwardFromInput} computes {@code dx = dy * f'(x)} from the forward's input x;
 * {@link #backwardFromOutput} computes the same from the forward's output {@code y = f(x)}, so it
 * also works after an in-place forward (which overwrote x) — the usual choice. From the output is
 * defined only when the sign of y tells the side of x: alpha (or slope) {@code >= 0}, scale and
 * input scale {@code > 0}; otherwise it is refused. Either may write dx over dy (pass the same
 * region), never over x or y. The derivative at 0 is the negative side's; so with scale
 * {@code < 1}, a positive x whose {@code scale * x} rounds to +0.0 (y = +0.0, as x = 0 gives) gets
 * the negative side's derivative from the output.
 *
 * <h2>Memory and types</h2>
 * Element counts come from the memory: {@code byteSize() / type.byteSize()}. Segments may have any
 * alignment and offset, native or heap ({@code MemorySegment.ofArray}). Heap memory reaches the
 * helper library without a copy (a critical downcall that lasts only for the call), the vector
 * backend stages it through a small native buffer, and oneDNN (which keeps pointers) never sees
 * it: AUTO routes it elsewhere and an explicit {@link Backend#ONEDNN} is refused. NIO buffers must
 * be in the platform's byte order; their positions and limits do not change. Every argument is
 * checked before anything is written, so a call that throws leaves the destination untouched.
 * A {@code null} argument throws {@link NullPointerException}.
 *
 * <p>Results: {@code x > 0} gives {@code scale * x} rounded (x itself for scale 1); NaN stays NaN
 * (the same bits on f32/f64 forward); −0.0 gives −0.0 for positive parameters. oneDNN keeps its
 * own rules at special values, as elu4j reports them: +0.0 for −0.0, −0.0 from ReLU for negative
 * inputs (and from its backward where x ≤ 0), {@code dy * scale} (LeakyReLU: {@code dy}) from
 * backward at a NaN x, signalling NaNs quieted by composed functions (SELU, CELU, the scaled
 * forms); and it computes {@code exp(x) - 1}, so it returns 0 for {@code |x| < ~3e-8} and has a
 * larger error near 0 (see the README's tables, which also say which functions and types each
 * backend runs). AUTO runs oneDNN only where the helper and the vector backend are both
 * unavailable.
 *
 * <p><b>Parallel mode</b> ({@link #parallel()}, {@link #parallel(int)}; off by default): large
 * forward calls on native memory are split between the calling thread and a small worker pool in
 * the helper library, with results bit-identical to the serial call. Only the helper backend (and
 * AUTO when it uses the helper) has a parallel path; other backends, backward calls, heap memory
 * and calls below the helper's threshold ({@code ./elu4j info} prints it) run serially in the
 * calling thread, so parallel mode is never slower than serial where it does not pay. Under load
 * it does not queue or crowd the CPUs either: a parallel call that starts while another one is in
 * flight runs serially at once, workers only use CPUs that the calls in flight leave free, and
 * after a parallel call that took longer than a serial one would have (a worker lost its CPU to
 * other work) the following calls run serially for a while (docs/architecture.md, "Parallel
 * mode").
 */
public final class Elu {
    /** SELU's alpha (Klambauer et al. 2017), as PyTorch writes it. */
    public static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    /** SELU's scale lambda (Klambauer et al. 2017), as PyTorch writes it. */
    public static final double SELU_SCALE = 1.0507009873554804934193349852946;

    /** Which member of the family a function object is (how it was made). */
    public enum Function {
        /** {@code elu(alpha)} or the general {@code elu(alpha, scale, inputScale)}. */
        ELU("elu"),
        /** {@code selu()}. */
        SELU("selu"),
        /** {@code celu(alpha)}. */
        CELU("celu"),
        /** {@code relu()}. */
        RELU("relu"),
        /** {@code leakyRelu(slope)}. */
        LEAKY_RELU("leaky-relu");

        private final String cliName;

        Function(String cliName) {
            this.cliName = cliName;
        }

        /** {@return the CLI's name: {@code elu}, {@code selu}, {@code celu}, {@code relu}, {@code leaky-relu}} */
        public String cliName() {
            return cliName;
        }

        /**
         * Parses a {@link #cliName()} (case-insensitive, surrounding blanks ignored).
         *
         * @param name a command-line name such as {@code leaky-relu}
         * @return the function of that name
         * @throws IllegalArgumentException if no function has that name
         * @throws NullPointerException     if name is null
         */
        public static Function fromCliName(String name) {
            for (Function f : values()) {
                if (f.cliName.equalsIgnoreCase(name.trim())) {
                    return f;
                }
            }
            throw new IllegalArgumentException("unknown function '" + name + "': expected elu, selu, celu, relu or leaky-relu");
        }
    }

    private final Function function;
    private final Op op;
    private final Backend backend;
    /** The helper ISA level this function is pinned to ({@link #onHelperIsa}), or null. */
    private final String helperIsa;
    /** 1: serial; 0: one thread per CPU the JVM may use; n > 1: up to n threads. */
    private final int threads;
    /**
     * The binding of each call kind (type x direction x heap or native memory), made on its first
     * call ({@link BackendProvider#bind}); a call is then argument checks, this lookup and the
     * kernel. Racing threads at worst bind a kind twice: a {@link Binding} has only final fields,
     * so it is safely published through the plain array.
     */
    private final Binding[] bindings = new Binding[DataType.values().length * PASSES * 2];
    /**
     * Bindings {@link #backendFor} made before their kind's first call, which takes them over and
     * then warms up as every first call does: a query must not take the warm-up from it.
     */
    private final Binding[] queried = new Binding[bindings.length];
    private static final int PASSES = Pass.values().length;

    private Elu(Function function, Op op, Backend backend, int threads) {
        this(function, op, backend, null, threads);
    }

    private Elu(Function function, Op op, Backend backend, String helperIsa, int threads) {
        this.function = function;
        this.op = op;
        this.backend = Objects.requireNonNull(backend, "backend");
        this.helperIsa = helperIsa;
        this.threads = threads;
    }

    // ---------------------------------------------------------------------------------------------
    // Factories

    /**
     * ELU with alpha = 1 on {@link Backend#AUTO}: {@code x > 0 ? x : exp(x) - 1}.
     *
     * @return the function
     */
    public static Elu elu() {
        return elu(1);
    }

    /**
     * ELU with the given alpha: {@code x > 0 ? x : alpha * (exp(x) - 1)}.
     *
     * @param alpha the negative side's saturation value is {@code -alpha}; any finite value
     * @return the function, on {@link Backend#AUTO}
     * @throws IllegalArgumentException if alpha is NaN, infinite, or not 0 but below 2^-969 in magnitude
     */
    public static Elu elu(double alpha) {
        Checks.eluProducts(Checks.finite(alpha, "alpha"), 1, 1);
        return new Elu(Function.ELU, Op.elu(alpha), Backend.AUTO, 1);
    }

    /**
     * PyTorch's general form: {@code x > 0 ? scale * x : alpha * scale * (exp(x * inputScale) - 1)}.
     *
     * @param alpha      the negative side's factor; any finite value
     * @param scale      the factor of both sides; any finite value
     * @param inputScale the factor of x inside the exponential; any finite value
     * @return the function, on {@link Backend#AUTO}
     * @throws IllegalArgumentException if a parameter is NaN or infinite, or {@code alpha * scale} or
     *                                  {@code alpha * scale * inputScale} overflows a double or, from
     *                                  factors that are not 0, falls below 2^-969 in magnitude
     */
    public static Elu elu(double alpha, double scale, double inputScale) {
        Checks.eluProducts(Checks.finite(alpha, "alpha"), Checks.finite(scale, "scale"), Checks.finite(inputScale, "inputScale"));
        return new Elu(Function.ELU, Op.elu(alpha, scale, inputScale), Backend.AUTO, 1);
    }

    /**
     * SELU: {@code elu(SELU_ALPHA, SELU_SCALE, 1)}.
     *
     * @return the function, on {@link Backend#AUTO}
     */
    public static Elu selu() {
        return new Elu(Function.SELU, Op.elu(SELU_ALPHA, SELU_SCALE, 1), Backend.AUTO, 1);
    }

    /**
     * CELU: {@code alpha * ELU(x / alpha, 1)} = {@code x > 0 ? x : alpha * (exp(x / alpha) - 1)},
     * that is {@code elu(alpha, 1, 1 / alpha)}.
     *
     * @param alpha any finite value but 0
     * @return the function, on {@link Backend#AUTO}
     * @throws IllegalArgumentException if alpha is 0, NaN or infinite, 1/alpha overflows, or alpha is
     *                                  below 2^-969 in magnitude
     */
    public static Elu celu(double alpha) {
        Checks.finite(alpha, "alpha");
        if (alpha == 0) {
            throw new IllegalArgumentException("CELU's alpha must not be 0 (it divides x)");
        }
        double inputScale = Checks.finite(1 / alpha, "1/alpha");
        Checks.eluProducts(alpha, 1, inputScale);
        return new Elu(Function.CELU, Op.elu(alpha, 1, inputScale), Backend.AUTO, 1);
    }

    /**
     * ReLU: {@code x > 0 ? x : +0.0} (NaN stays NaN).
     *
     * @return the function, on {@link Backend#AUTO}
     */
    public static Elu relu() {
        return new Elu(Function.RELU, Op.relu(), Backend.AUTO, 1);
    }

    /**
     * LeakyReLU: {@code x > 0 ? x : slope * x}.
     *
     * @param slope the negative side's slope; any finite value
     * @return the function, on {@link Backend#AUTO}
     * @throws IllegalArgumentException if slope is NaN or infinite
     */
    public static Elu leakyRelu(double slope) {
        return new Elu(Function.LEAKY_RELU, Op.leakyRelu(Checks.finite(slope, "slope")), Backend.AUTO, 1);
    }

    // ---------------------------------------------------------------------------------------------
    // Variants and properties

    /**
     * The same function on another backend. Unavailable backends fail at the first call.
     *
     * @param backend the backend to run on ({@link Backend#AUTO}: the library picks per call kind)
     * @return the same function and mode on {@code backend}, without a helper level set by
     *         {@link #onHelperIsa} ({@code on(Backend.HELPER)} runs the helper's own level)
     */
    public Elu on(Backend backend) {
        return new Elu(function, op, backend, threads);
    }

    /**
     * The same function on the C helper library pinned to one instruction set level, whatever the
     * best level of this CPU or the level the process-wide pin ({@code -Delu4j.helper.isa}) chose
     * (a process-wide pin this CPU cannot run makes the helper unavailable, every level with it): a hook for
     * tools and tests that compare the levels ({@code elu4j accuracy}, the conformance tests); the
     * level holds for this function object's calls only, whatever thread makes them, and no other call.
     * Calls run serially, in parallel mode too. {@link #backend()} is {@link Backend#HELPER}. Like {@link #on(Backend)},
     * a level this CPU lacks, a name that is no level, or an unavailable helper, fails at the first call with
     * {@link BackendUnavailableException}; {@link #unsupportedReason} says why beforehand.
     *
     * @param level a level name as {@link HelperStatus#supported()} lists them: {@code portable},
     *              {@code avx2} or {@code avx512} (case-insensitive)
     * @return the same function on the helper at that level
     * @throws IllegalArgumentException if level is blank
     */
    public Elu onHelperIsa(String level) {
        Objects.requireNonNull(level, "level");
        if (level.isBlank()) {
            throw new IllegalArgumentException("a helper ISA level name is required (portable, avx2, avx512)");
        }
        return new Elu(function, op, Backend.HELPER, level.trim().toLowerCase(java.util.Locale.ROOT), threads);
    }

    /**
     * {@return the helper ISA level this function is pinned to by {@link #onHelperIsa}, or empty}
     */
    public Optional<String> helperIsa() {
        return Optional.ofNullable(helperIsa);
    }

    /**
     * The same function in parallel mode on every CPU this JVM may use
     * ({@link Runtime#availableProcessors()}, read once: a container's CPU limit and the affinity
     * mask count): large forward calls on the helper backend run on the calling thread plus the
     * helper's worker threads (see the class comment). The results are the same bits as serially.
     *
     * @return the same function and backend in parallel mode
     */
    public Elu parallel() {
        return new Elu(function, op, backend, helperIsa, 0);
    }

    /**
     * The same function in parallel mode on at most {@code threads} threads, the calling one
     * included (the helper caps it at 64); {@code parallel(1)} is serial.
     *
     * @param threads the most threads a call may use, at least 1
     * @return the same function and backend in that mode
     * @throws IllegalArgumentException if threads is less than 1
     */
    public Elu parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1: " + threads);
        }
        return new Elu(function, op, backend, helperIsa, threads);
    }

    /**
     * The same function in serial mode (the default): one thread per call.
     *
     * @return the same function and backend in serial mode
     */
    public Elu serial() {
        return new Elu(function, op, backend, helperIsa, 1);
    }

    /** {@return whether this function runs in parallel mode ({@link #parallel()} or {@code parallel(n > 1)})} */
    public boolean isParallel() {
        return threads != 1;
    }

    /**
     * {@return the threads a parallel call may use: 1 in serial mode, 0 for "one per CPU this JVM may use"
     * ({@link #parallel()}), else the count given to {@link #parallel(int)}}
     */
    public int threads() {
        return threads;
    }

    /** {@return which member of the family this is} */
    public Function function() {
        return function;
    }

    /** {@return ELU's alpha (SELU's and CELU's too), LeakyReLU's slope, 0 for ReLU} */
    public double alpha() {
        return op.alpha();
    }

    /** {@return the scale of the general form (SELU's lambda; 1 for ELU, CELU and the ReLUs)} */
    public double scale() {
        return op.scale();
    }

    /** {@return the input scale of the general form (CELU's 1/alpha; 1 for ELU, SELU and the ReLUs)} */
    public double inputScale() {
        return op.inputScale();
    }

    /** {@return the backend this function object runs on: {@link Backend#AUTO} unless chosen with {@link #on}} */
    public Backend backend() {
        return backend;
    }

    /**
     * {@return whether {@link #backwardFromOutput} is defined for these parameters (alpha or slope
     * {@code >= 0}, scale and input scale {@code > 0})}
     */
    public boolean hasBackwardFromOutput() {
        return op.fromOutputProblem() == null;
    }

    /** What a call computes: the forward or one of the two backward directions. */
    public enum Direction {
        /** {@code apply}: {@code y = f(x)}. */
        FORWARD(Pass.FORWARD),
        /** {@code backwardFromInput}: {@code dx = dy * f'(x)} from x. */
        BACKWARD_FROM_INPUT(Pass.BACKWARD_FROM_INPUT),
        /** {@code backwardFromOutput}: {@code dx = dy * f'(x)} from y = f(x). */
        BACKWARD_FROM_OUTPUT(Pass.BACKWARD_FROM_OUTPUT);

        private final Pass pass;

        Direction(Pass pass) {
            this.pass = pass;
        }
    }

    /**
     * Whether this function's backend can run calls of this type and direction on native memory
     * here (heap memory never runs on {@link Backend#ONEDNN}); always true for {@link Backend#AUTO},
     * and for helper, vector and scalar when they are available. Backward from the output also
     * needs {@link #hasBackwardFromOutput()}.
     *
     * @param type      the element type
     * @param direction forward or one of the backward directions
     * @return whether such calls can run: {@link #unsupportedReason} is then empty
     */
    public boolean isSupported(DataType type, Direction direction) {
        return unsupportedReason(type, direction).isEmpty();
    }

    /**
     * Why this function's backend cannot run calls of this type and direction on native memory
     * here, or empty when it can ({@link #isSupported} is then true): the backend is unavailable
     * (the reason starts with {@code "unavailable: "}), it lacks the function, type or direction
     * (e.g. oneDNN has no f64 eltwise), or backward from the output is not defined for these
     * parameters. Always empty for {@link Backend#AUTO} apart from that last case.
     *
     * @param type      the element type
     * @param direction forward or one of the backward directions
     * @return the reason, one line of text for people, or empty
     */
    public Optional<String> unsupportedReason(DataType type, Direction direction) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(direction, "direction");
        if (direction == Direction.BACKWARD_FROM_OUTPUT && !hasBackwardFromOutput()) {
            return Optional.of(op.fromOutputProblem());
        }
        return Optional.ofNullable(BackendProvider.get().whyNot(backend, helperIsa, op, type, direction.pass));
    }

    /**
     * The backend that a call of this type and direction on native memory (every segment or
     * buffer native) or on heap memory (any of them on the Java heap) runs on: this function's
     * backend when it was chosen, else the one {@link Backend#AUTO} picks for that kind of call
     * (never {@link Backend#ONEDNN} for heap memory). The answer holds for the life of the JVM.
     * Asking binds the call kind but leaves its warm-up to its first call, as without asking.
     *
     * @param type         the element type
     * @param direction    forward or one of the backward directions
     * @param nativeMemory whether the call's memory is native (an {@code Arena}, a direct buffer)
     * @return the backend the call runs on (never {@link Backend#AUTO})
     * @throws BackendUnavailableException if the call would be refused: the chosen backend is
     *                                     unavailable or cannot run it (see {@link #unsupportedReason})
     * @throws IllegalArgumentException    for backward from the output when
     *                                     {@link #hasBackwardFromOutput()} is false
     */
    public Backend backendFor(DataType type, Direction direction, boolean nativeMemory) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(direction, "direction");
        if (direction == Direction.BACKWARD_FROM_OUTPUT) {
            fromOutputAllowed();
        }
        int i = slot(type, direction.pass, !nativeMemory);
        Binding b = bindings[i] != null ? bindings[i] : queried[i];
        if (b == null) {
            b = BackendProvider.get().bind(backend, helperIsa, op, type, direction.pass, !nativeMemory);
            queried[i] = b;
        }
        return b.backend().kind();
    }

    // ---------------------------------------------------------------------------------------------
    // Forward

    /**
     * Writes the function of every float in {@code src} to {@code dst}: {@code apply(src, dst, F32)}.
     * A segment's bytes are read as float32 whatever backs it: for a segment over a
     * {@code double[]} or {@code short[]} give the type ({@link #apply(MemorySegment, MemorySegment, DataType)}),
     * or pass the array itself ({@link #apply(double[], double[])}).
     *
     * @param src the input, native or heap, any alignment; {@code byteSize()} a multiple of 4
     * @param dst the output, as large as {@code src}: {@code src} itself (in place) or a region that
     *            does not overlap it
     * @throws IllegalArgumentException     sizes differ or are not a whole number of elements, the
     *                                      destination is read-only, or the segments overlap partially
     * @throws IllegalStateException        a segment's arena is closed
     * @throws WrongThreadException         a segment is confined to another thread
     * @throws BackendUnavailableException  the chosen backend cannot run here or cannot take this call
     *                                      (memory kind, function, type)
     * @throws NativeCallException          a native library reported a failure
     */
    public void apply(MemorySegment src, MemorySegment dst) {
        forward(src, dst, DataType.F32);
    }

    /**
     * Writes the function of every element of {@code type} in {@code src} to {@code dst}.
     * {@code src} and {@code dst} may be the same region (in place) but must not overlap otherwise.
     *
     * @param src  the input, native or heap, any alignment; {@code byteSize()} a multiple of the
     *             type's size
     * @param dst  the output, as large as {@code src}: {@code src} itself or a region that does not
     *             overlap it
     * @param type the element type
     * @throws IllegalArgumentException     sizes differ or are not a whole number of elements, the
     *                                      destination is read-only, or the segments overlap partially
     * @throws IllegalStateException        a segment's arena is closed
     * @throws WrongThreadException         a segment is confined to another thread
     * @throws BackendUnavailableException  the chosen backend cannot run here or cannot take this call
     *                                      (memory kind, function, type)
     * @throws NativeCallException          a native library reported a failure
     */
    public void apply(MemorySegment src, MemorySegment dst, DataType type) {
        if (type == null) {
            throw new NullPointerException("type");
        }
        forward(src, dst, type);
    }

    /**
     * Every forward call on segments: the checks, the binding, the kernel. Kept short and flat
     * (few calls, the binding looked up inline) because a fresh JVM runs it interpreted for its
     * first few hundred calls, where every bytecode and call counts.
     */
    private void forward(MemorySegment src, MemorySegment dst, DataType type) {
        long n = Checks.elementwise(src, dst, type.byteSize());
        // binding(type, FORWARD, heap), inline: FORWARD is pass 0
        Binding b = bindings[type.ordinal() * PASSES * 2 + (src.isNative() && dst.isNative() ? 0 : 1)];
        if (b == null) {
            boolean heap = !src.isNative() || !dst.isNative();
            b = binding(type, Pass.FORWARD, heap);
            if (!heap && b.refusal() == null
                    && WarmUp.first(b.backend().kind(), b.backend().warmUpGroup(op, type, Pass.FORWARD))) {
                WarmUp.run(16L * type.byteSize(), false, b.backend().warmUpUntilCompiled(), new WarmCalls(this, type, Pass.FORWARD));
            }
        }
        Binding.Forward kernel = b.forward(); // throws if refused
        if (n != 0) {
            kernel.run(src, dst, threads);
        }
    }

    /**
     * {@code apply(data, data)}: in place on float32.
     *
     * @param data the tensor, read and overwritten
     * @throws IllegalArgumentException     the size is not a whole number of floats or the segment
     *                                      is read-only
     * @throws IllegalStateException        the segment's arena is closed
     * @throws WrongThreadException         the segment is confined to another thread
     * @throws BackendUnavailableException  the chosen backend cannot run here or cannot take this call
     * @throws NativeCallException          a native library reported a failure
     */
    public void applyInPlace(MemorySegment data) {
        apply(data, data, DataType.F32);
    }

    /**
     * {@code apply(data, data, type)}: in place.
     *
     * @param data the tensor, read and overwritten
     * @param type the element type
     * @throws IllegalArgumentException     the size is not a whole number of elements or the segment
     *                                      is read-only
     * @throws IllegalStateException        the segment's arena is closed
     * @throws WrongThreadException         the segment is confined to another thread
     * @throws BackendUnavailableException  the chosen backend cannot run here or cannot take this call
     * @throws NativeCallException          a native library reported a failure
     */
    public void applyInPlace(MemorySegment data, DataType type) {
        apply(data, data, type);
    }

    /**
     * The function of a {@code float[]} into another (or the same) {@code float[]} of the same
     * length, without copying on the helper (see the class comment on heap memory).
     *
     * @param src the input
     * @param dst the output: {@code src} itself or another array of the same length
     * @throws IllegalArgumentException    the lengths differ
     * @throws BackendUnavailableException the chosen backend cannot take heap memory
     *                                     ({@link Backend#ONEDNN}) or cannot run here
     * @throws NativeCallException         a native library reported a failure
     */
    public void apply(float[] src, float[] dst) {
        apply(heap(src, "src"), heap(dst, "dst"), DataType.F32);
    }

    /**
     * In place on a {@code float[]}: {@code apply(data, data)}.
     *
     * @param data the tensor, read and overwritten
     * @throws BackendUnavailableException the chosen backend cannot take heap memory or cannot run here
     * @throws NativeCallException         a native library reported a failure
     */
    public void applyInPlace(float[] data) {
        apply(data, data);
    }

    /**
     * The function of a {@code double[]} (computed in double) into another or the same.
     *
     * @param src the input
     * @param dst the output: {@code src} itself or another array of the same length
     * @throws IllegalArgumentException    the lengths differ
     * @throws BackendUnavailableException the chosen backend cannot take heap memory or f64, or
     *                                     cannot run here
     * @throws NativeCallException         a native library reported a failure
     */
    public void apply(double[] src, double[] dst) {
        apply(heap(src, "src"), heap(dst, "dst"), DataType.F64);
    }

    /**
     * In place on a {@code double[]}: {@code apply(data, data)}.
     *
     * @param data the tensor, read and overwritten
     * @throws BackendUnavailableException the chosen backend cannot take heap memory or f64, or
     *                                     cannot run here
     * @throws NativeCallException         a native library reported a failure
     */
    public void applyInPlace(double[] data) {
        apply(data, data);
    }

    /**
     * The function of a {@code short[]} of {@link DataType#BF16} or {@link DataType#F16} patterns.
     *
     * @param src  the input patterns
     * @param dst  the output: {@code src} itself or another array of the same length
     * @param type {@link DataType#BF16} or {@link DataType#F16}
     * @throws IllegalArgumentException    type is not BF16 or F16, or the lengths differ
     * @throws BackendUnavailableException the chosen backend cannot take heap memory or this type,
     *                                     or cannot run here
     * @throws NativeCallException         a native library reported a failure
     */
    public void apply(short[] src, short[] dst, DataType type) {
        apply(heap(src, "src"), heap(dst, "dst"), Buffers.halfType(type));
    }

    /**
     * In place on a {@code short[]} of BF16 or F16 patterns: {@code apply(data, data, type)}.
     *
     * @param data the patterns, read and overwritten
     * @param type {@link DataType#BF16} or {@link DataType#F16}
     * @throws IllegalArgumentException    type is not BF16 or F16
     * @throws BackendUnavailableException the chosen backend cannot take heap memory or this type,
     *                                     or cannot run here
     * @throws NativeCallException         a native library reported a failure
     */
    public void applyInPlace(short[] data, DataType type) {
        apply(data, data, type);
    }

    /**
     * The function of the elements between {@code src}'s position and limit into {@code dst}'s,
     * which must hold as many; the type is the buffer's ({@code FloatBuffer}: F32,
     * {@code DoubleBuffer}: F64). Direct buffers are native memory; heap buffers are treated like
     * arrays. Neither buffer's position or limit changes.
     *
     * @param src a {@code FloatBuffer} or {@code DoubleBuffer} in native byte order
     * @param dst a buffer of the same kind with as many elements remaining: {@code src} itself or
     *            one that does not overlap it
     * @throws IllegalArgumentException    the buffers are of different kinds, a {@code ShortBuffer} or
     *                                     {@code ByteBuffer} (they need a type), not in native byte
     *                                     order, or see {@link #apply(MemorySegment, MemorySegment)}
     * @throws BackendUnavailableException the chosen backend cannot run here or cannot take this
     *                                     call (e.g. a heap buffer on {@link Backend#ONEDNN})
     * @throws NativeCallException         a native library reported a failure
     */
    public void apply(Buffer src, Buffer dst) {
        apply(src, dst, Buffers.impliedType("src", src, "dst", dst));
    }

    /**
     * {@link #apply(Buffer, Buffer)} with an explicit type: any for a {@code ByteBuffer}, BF16 or
     * F16 for a {@code ShortBuffer}, F32 for a {@code FloatBuffer}, F64 for a {@code DoubleBuffer}.
     *
     * @param src  the input, in native byte order
     * @param dst  the output, as many elements remaining as {@code src}: {@code src} itself or one
     *             that does not overlap it
     * @param type the element type
     * @throws IllegalArgumentException    a buffer cannot hold {@code type}, is not in native byte
     *                                     order, or see {@link #apply(MemorySegment, MemorySegment)}
     * @throws BackendUnavailableException the chosen backend cannot run here or cannot take this call
     * @throws NativeCallException         a native library reported a failure
     */
    public void apply(Buffer src, Buffer dst, DataType type) {
        apply(Buffers.segmentOf(src, type, "src"), Buffers.segmentOf(dst, type, "dst"), type);
    }

    /**
     * In place on the elements between {@code data}'s position and limit: {@code apply(data, data)},
     * the type taken from the buffer ({@code FloatBuffer}: F32, {@code DoubleBuffer}: F64), with
     * the same checks. The position and limit do not change.
     *
     * @param data a {@code FloatBuffer} or {@code DoubleBuffer} in native byte order, not read-only
     * @throws IllegalArgumentException  {@code data} is a {@code ShortBuffer} or {@code ByteBuffer}
     *                                   (use {@link #applyInPlace(Buffer, DataType)}), another kind
     *                                   of buffer, not in native byte order, or read-only
     * @throws BackendUnavailableException the chosen backend cannot run here or cannot take this
     *                                   call (e.g. a heap buffer on {@link Backend#ONEDNN})
     * @throws NativeCallException       a native library reported a failure
     */
    public void applyInPlace(Buffer data) {
        applyInPlace(data, Buffers.impliedType(data, "data"));
    }

    /**
     * In place on the elements of {@code type} between {@code data}'s position and limit:
     * {@code apply(data, data, type)}, with the same checks. The position and limit do not change.
     *
     * @param data a buffer in native byte order, not read-only, that can hold {@code type}: any
     *             {@code ByteBuffer}, a {@code ShortBuffer} for BF16 or F16, a {@code FloatBuffer}
     *             for F32, a {@code DoubleBuffer} for F64
     * @param type the element type
     * @throws IllegalArgumentException  the buffer cannot hold {@code type}, is not in native byte
     *                                   order, is read-only, or a {@code ByteBuffer}'s remaining
     *                                   bytes are not a whole number of elements
     * @throws BackendUnavailableException the chosen backend cannot run here or cannot take this call
     * @throws NativeCallException       a native library reported a failure
     */
    public void applyInPlace(Buffer data, DataType type) {
        MemorySegment segment = Buffers.segmentOf(data, type, "data");
        apply(segment, segment, type);
    }

    /**
     * The function of one float, computed by the scalar reference (the tests' oracle). An
     * {@code int} or {@code long} argument binds here, as a float (16777217 becomes 16777216):
     * pass a double for {@link #apply(double)}.
     *
     * @param x the input
     * @return the function of x, computed in double and rounded once to float (within 1 ulp of the
     *         exact value, almost always the correctly rounded one)
     */
    public float apply(float x) {
        return ScalarBackend.forward(op, x);
    }

    /**
     * The function of one double, computed by the scalar reference.
     *
     * @param x the input
     * @return the function of x, computed in double with {@link Math#expm1} (within 3 ulps of the
     *         exact value, as the vector backend's f64, but for a negative input scale and
     *         intermediate values beyond the double range: docs/accuracy.md lists them; the
     *         helper's f64 kernel is within 1)
     */
    public double apply(double x) {
        return ScalarBackend.forward(op, x);
    }

    // ---------------------------------------------------------------------------------------------
    // Backward

    /**
     * {@code dx = dy * f'(x)} on float32, from the forward's input {@code x} (which an in-place
     * forward overwrote: then use {@link #backwardFromOutput}). {@code dx} may be {@code dy}
     * itself (the gradient is overwritten) but must not overlap {@code x}.
     *
     * @param dy the gradient of the forward's output
     * @param x  the forward's input
     * @param dx the gradient of the input, written: {@code dy} itself or a region that overlaps
     *           neither {@code dy} nor {@code x}
     * @throws IllegalArgumentException     sizes differ or are not a whole number of floats,
     *                                      {@code dx} is read-only or overlaps {@code x} or partially
     *                                      {@code dy}
     * @throws IllegalStateException        a segment's arena is closed
     * @throws WrongThreadException         a segment is confined to another thread
     * @throws BackendUnavailableException  the chosen backend cannot run here or cannot take this call
     *                                      (memory kind, function, type, direction)
     * @throws NativeCallException          a native library reported a failure
     */
    public void backwardFromInput(MemorySegment dy, MemorySegment x, MemorySegment dx) {
        backward(dy, x, dx, DataType.F32, Pass.BACKWARD_FROM_INPUT);
    }

    /**
     * {@link #backwardFromInput(MemorySegment, MemorySegment, MemorySegment)} on elements of {@code type}.
     *
     * @param dy   the gradient of the forward's output
     * @param x    the forward's input
     * @param dx   the gradient of the input, written: {@code dy} itself or a region that overlaps
     *             neither {@code dy} nor {@code x}
     * @param type the element type of all three
     * @throws IllegalArgumentException     sizes differ or are not a whole number of elements,
     *                                      {@code dx} is read-only or overlaps {@code x} or partially
     *                                      {@code dy}
     * @throws IllegalStateException        a segment's arena is closed
     * @throws WrongThreadException         a segment is confined to another thread
     * @throws BackendUnavailableException  the chosen backend cannot run here or cannot take this call
     *                                      (memory kind, function, type, direction)
     * @throws NativeCallException          a native library reported a failure
     */
    public void backwardFromInput(MemorySegment dy, MemorySegment x, MemorySegment dx, DataType type) {
        backward(dy, x, dx, type, Pass.BACKWARD_FROM_INPUT);
    }

    /**
     * Backward from the input on {@code float[]}s.
     *
     * @param dy the gradient of the forward's output
     * @param x  the forward's input
     * @param dx the gradient of the input, written: {@code dy} itself or another array
     * @throws IllegalArgumentException    the lengths differ or {@code dx} is {@code x}
     * @throws BackendUnavailableException the chosen backend cannot take heap memory or this call,
     *                                     or cannot run here
     * @throws NativeCallException         a native library reported a failure
     */
    public void backwardFromInput(float[] dy, float[] x, float[] dx) {
        backward(heap(dy, "dy"), heap(x, "x"), heap(dx, "dx"), DataType.F32,
                Pass.BACKWARD_FROM_INPUT);
    }

    /**
     * Backward from the input on {@code double[]}s.
     *
     * @param dy the gradient of the forward's output
     * @param x  the forward's input
     * @param dx the gradient of the input, written: {@code dy} itself or another array
     * @throws IllegalArgumentException    the lengths differ or {@code dx} is {@code x}
     * @throws BackendUnavailableException the chosen backend cannot take heap memory or this call,
     *                                     or cannot run here
     * @throws NativeCallException         a native library reported a failure
     */
    public void backwardFromInput(double[] dy, double[] x, double[] dx) {
        backward(heap(dy, "dy"), heap(x, "x"), heap(dx, "dx"), DataType.F64,
                Pass.BACKWARD_FROM_INPUT);
    }

    /**
     * Backward from the input on {@code short[]}s of BF16 or F16 patterns.
     *
     * @param dy   the gradient of the forward's output
     * @param x    the forward's input
     * @param dx   the gradient of the input, written: {@code dy} itself or another array
     * @param type {@link DataType#BF16} or {@link DataType#F16}
     * @throws IllegalArgumentException    type is not BF16 or F16, the lengths differ or {@code dx}
     *                                     is {@code x}
     * @throws BackendUnavailableException the chosen backend cannot take heap memory or this call,
     *                                     or cannot run here
     * @throws NativeCallException         a native library reported a failure
     */
    public void backwardFromInput(short[] dy, short[] x, short[] dx, DataType type) {
        backward(heap(dy, "dy"), heap(x, "x"), heap(dx, "dx"), Buffers.halfType(type),
                Pass.BACKWARD_FROM_INPUT);
    }

    /**
     * Backward from the input on {@code FloatBuffer}s (f32) or {@code DoubleBuffer}s (f64), the type
     * taken from the buffers as in {@link #apply(Buffer, Buffer)}.
     *
     * @param dy the gradient of the forward's output
     * @param x  the forward's input
     * @param dx the gradient of the input, written: {@code dy} itself or a buffer that overlaps
     *           neither {@code dy} nor {@code x}
     * @throws IllegalArgumentException    the buffers are of different kinds or cannot imply a type,
     *                                     are not in native byte order, or as
     *                                     {@link #backwardFromInput(MemorySegment, MemorySegment, MemorySegment)}
     * @throws BackendUnavailableException the chosen backend cannot run here or cannot take this call
     *                                     (e.g. heap buffers on {@link Backend#ONEDNN})
     * @throws NativeCallException         a native library reported a failure
     */
    public void backwardFromInput(Buffer dy, Buffer x, Buffer dx) {
        backwardFromInput(dy, x, dx, Buffers.impliedType("dy", dy, "x", x, "dx", dx));
    }

    /**
     * Backward from the input on NIO buffers (types as in {@link #apply(Buffer, Buffer, DataType)}).
     *
     * @param dy   the gradient of the forward's output
     * @param x    the forward's input
     * @param dx   the gradient of the input, written: {@code dy} itself or a buffer that overlaps
     *             neither {@code dy} nor {@code x}
     * @param type the element type of all three
     * @throws IllegalArgumentException    a buffer cannot hold {@code type} or is not in native byte
     *                                     order, or as
     *                                     {@link #backwardFromInput(MemorySegment, MemorySegment, MemorySegment)}
     * @throws BackendUnavailableException the chosen backend cannot run here or cannot take this call
     *                                     (e.g. heap buffers on {@link Backend#ONEDNN})
     * @throws NativeCallException         a native library reported a failure
     */
    public void backwardFromInput(Buffer dy, Buffer x, Buffer dx, DataType type) {
        backward(Buffers.segmentOf(dy, type, "dy"), Buffers.segmentOf(x, type, "x"), Buffers.segmentOf(dx, type, "dx"), type,
                Pass.BACKWARD_FROM_INPUT);
    }

    /**
     * {@code dx = dy * f'(x)} on float32, from the forward's output {@code y = f(x)}: works after
     * an in-place forward. {@code dx} may be {@code dy} itself but must not overlap {@code y}.
     *
     * <p>Where {@code y} is close to its lower bound {@code -alpha * scale} (x far below 0), the
     * derivative {@code inputScale * (y + alpha * scale)} is a difference of nearly equal numbers
     * and loses relative precision by cancellation: the absolute error stays about half an ulp of
     * {@code alpha * scale}, but the relative error grows like {@code exp(-x * inputScale)} (in f32
     * about 0.04% at x = -10 and 100% from x = -17 for ELU with alpha 1, where y has rounded to the
     * bound; bf16 and f16 much sooner). This is inherent in computing from the output, as in
     * PyTorch's {@code elu_backward(is_result=True)}; {@link #backwardFromInput} has no such loss.
     *
     * @param dy the gradient of the forward's output
     * @param y  the forward's output {@code f(x)}
     * @param dx the gradient of the input, written: {@code dy} itself or a region that overlaps
     *           neither {@code dy} nor {@code y}
     * @throws IllegalArgumentException     the parameters do not allow it ({@link #hasBackwardFromOutput()}),
     *                                      sizes differ or are not a whole number of floats,
     *                                      {@code dx} is read-only or overlaps {@code y} or partially
     *                                      {@code dy}
     * @throws IllegalStateException        a segment's arena is closed
     * @throws WrongThreadException         a segment is confined to another thread
     * @throws BackendUnavailableException  the chosen backend cannot run here or cannot take this call
     *                                      (memory kind, function, type, direction)
     * @throws NativeCallException          a native library reported a failure
     */
    public void backwardFromOutput(MemorySegment dy, MemorySegment y, MemorySegment dx) {
        backward(dy, y, dx, DataType.F32, Pass.BACKWARD_FROM_OUTPUT);
    }

    /**
     * {@link #backwardFromOutput(MemorySegment, MemorySegment, MemorySegment)} on elements of {@code type}.
     *
     * @param dy   the gradient of the forward's output
     * @param y    the forward's output {@code f(x)}
     * @param dx   the gradient of the input, written: {@code dy} itself or a region that overlaps
     *             neither {@code dy} nor {@code y}
     * @param type the element type of all three
     * @throws IllegalArgumentException     the parameters do not allow it ({@link #hasBackwardFromOutput()}),
     *                                      sizes differ or are not a whole number of elements,
     *                                      {@code dx} is read-only or overlaps {@code y} or partially
     *                                      {@code dy}
     * @throws IllegalStateException        a segment's arena is closed
     * @throws WrongThreadException         a segment is confined to another thread
     * @throws BackendUnavailableException  the chosen backend cannot run here or cannot take this call
     *                                      (memory kind, function, type, direction)
     * @throws NativeCallException          a native library reported a failure
     */
    public void backwardFromOutput(MemorySegment dy, MemorySegment y, MemorySegment dx, DataType type) {
        backward(dy, y, dx, type, Pass.BACKWARD_FROM_OUTPUT);
    }

    /**
     * Backward from the output on {@code float[]}s.
     *
     * @param dy the gradient of the forward's output
     * @param y  the forward's output {@code f(x)}
     * @param dx the gradient of the input, written: {@code dy} itself or another array
     * @throws IllegalArgumentException    the lengths differ, {@code dx} is {@code y},
                                     or {@link #hasBackwardFromOutput()} is false
     * @throws BackendUnavailableException the chosen backend cannot take heap memory or this call,
     *                                     or cannot run here
     * @throws NativeCallException         a native library reported a failure
     */
    public void backwardFromOutput(float[] dy, float[] y, float[] dx) {
        backward(heap(dy, "dy"), heap(y, "y"), heap(dx, "dx"), DataType.F32,
                Pass.BACKWARD_FROM_OUTPUT);
    }

    /**
     * Backward from the output on {@code double[]}s.
     *
     * @param dy the gradient of the forward's output
     * @param y  the forward's output {@code f(x)}
     * @param dx the gradient of the input, written: {@code dy} itself or another array
     * @throws IllegalArgumentException    the lengths differ, {@code dx} is {@code y},
                                     or {@link #hasBackwardFromOutput()} is false
     * @throws BackendUnavailableException the chosen backend cannot take heap memory or this call,
     *                                     or cannot run here
     * @throws NativeCallException         a native library reported a failure
     */
    public void backwardFromOutput(double[] dy, double[] y, double[] dx) {
        backward(heap(dy, "dy"), heap(y, "y"), heap(dx, "dx"), DataType.F64,
                Pass.BACKWARD_FROM_OUTPUT);
    }

    /**
     * Backward from the output on {@code short[]}s of BF16 or F16 patterns.
     *
     * @param dy   the gradient of the forward's output
     * @param y    the forward's output {@code f(x)}
     * @param dx   the gradient of the input, written: {@code dy} itself or another array
     * @param type {@link DataType#BF16} or {@link DataType#F16}
     * @throws IllegalArgumentException    type is not BF16 or F16, the lengths differ, {@code dx} is
     *                                     {@code y}, or {@link #hasBackwardFromOutput()} is false
     * @throws BackendUnavailableException the chosen backend cannot take heap memory or this call,
     *                                     or cannot run here
     * @throws NativeCallException         a native library reported a failure
     */
    public void backwardFromOutput(short[] dy, short[] y, short[] dx, DataType type) {
        backward(heap(dy, "dy"), heap(y, "y"), heap(dx, "dx"), Buffers.halfType(type),
                Pass.BACKWARD_FROM_OUTPUT);
    }

    /**
     * Backward from the output on {@code FloatBuffer}s (f32) or {@code DoubleBuffer}s (f64), the type
     * taken from the buffers as in {@link #apply(Buffer, Buffer)}.
     *
     * @param dy the gradient of the forward's output
     * @param y  the forward's output {@code f(x)}
     * @param dx the gradient of the input, written: {@code dy} itself or a buffer that overlaps
     *           neither {@code dy} nor {@code y}
     * @throws IllegalArgumentException    the buffers are of different kinds or cannot imply a type,
     *                                     are not in native byte order, or as
     *                                     {@link #backwardFromOutput(MemorySegment, MemorySegment, MemorySegment)}
     * @throws BackendUnavailableException the chosen backend cannot run here or cannot take this call
     *                                     (e.g. heap buffers on {@link Backend#ONEDNN})
     * @throws NativeCallException         a native library reported a failure
     */
    public void backwardFromOutput(Buffer dy, Buffer y, Buffer dx) {
        backwardFromOutput(dy, y, dx, Buffers.impliedType("dy", dy, "y", y, "dx", dx));
    }

    /**
     * Backward from the output on NIO buffers (types as in {@link #apply(Buffer, Buffer, DataType)}).
     *
     * @param dy   the gradient of the forward's output
     * @param y    the forward's output {@code f(x)}
     * @param dx   the gradient of the input, written: {@code dy} itself or a buffer that overlaps
     *             neither {@code dy} nor {@code y}
     * @param type the element type of all three
     * @throws IllegalArgumentException    a buffer cannot hold {@code type} or is not in native byte
     *                                     order, or as
     *                                     {@link #backwardFromOutput(MemorySegment, MemorySegment, MemorySegment)}
     * @throws BackendUnavailableException the chosen backend cannot run here or cannot take this call
     *                                     (e.g. heap buffers on {@link Backend#ONEDNN})
     * @throws NativeCallException         a native library reported a failure
     */
    public void backwardFromOutput(Buffer dy, Buffer y, Buffer dx, DataType type) {
        backward(Buffers.segmentOf(dy, type, "dy"), Buffers.segmentOf(y, type, "y"), Buffers.segmentOf(dx, type, "dx"), type,
                Pass.BACKWARD_FROM_OUTPUT);
    }

    /**
     * {@code dy * f'(x)} of one float, computed by the scalar reference.
     *
     * @param dy the gradient of the forward's output
     * @param x  the forward's input
     * @return the gradient of the input, computed in double and rounded once to float
     */
    public float backwardFromInput(float dy, float x) {
        return ScalarBackend.backward(op, false, dy, x);
    }

    /**
     * {@code dy * f'(x)} of one float from {@code y = f(x)}, computed by the scalar reference.
     *
     * @param dy the gradient of the forward's output
     * @param y  the forward's output
     * @return the gradient of the input, computed in double and rounded once to float
     * @throws IllegalArgumentException if {@link #hasBackwardFromOutput()} is false
     */
    public float backwardFromOutput(float dy, float y) {
        fromOutputAllowed();
        return ScalarBackend.backward(op, true, dy, y);
    }

    private void backward(MemorySegment dy, MemorySegment xy, MemorySegment dx, DataType type, Pass pass) {
        Objects.requireNonNull(type, "type");
        long n = Checks.backward(dy, xy, dx, type.byteSize()); // first: a null is a NullPointerException, as on arrays
        if (pass == Pass.BACKWARD_FROM_OUTPUT) {
            fromOutputAllowed();
        }
        boolean heap = !dy.isNative() || !xy.isNative() || !dx.isNative();
        // binding(type, pass, heap), inline as in forward(), with the first call's warm-up
        Binding b = bindings[(type.ordinal() * PASSES + pass.ordinal()) * 2 + (heap ? 1 : 0)];
        if (b == null) {
            b = binding(type, pass, heap);
            if (!heap && b.refusal() == null
                    && WarmUp.first(b.backend().kind(), b.backend().warmUpGroup(op, type, pass))) {
                WarmUp.run(16L * type.byteSize(), true, b.backend().warmUpUntilCompiled(), new WarmCalls(this, type, pass));
            }
        }
        Binding.Backward kernel = b.backward(); // throws if refused
        if (n != 0) {
            kernel.run(dy, xy, dx);
        }
    }

    /**
     * {@link WarmUp}'s calls: this function's forward or backward through the very path a call
     * takes (the checks, the binding, the kernel), on the warm-up's scratch memory (a backward's
     * on zeros). A class, not a lambda: it runs on the first call's path.
     */
    private static final class WarmCalls implements WarmUp.Path {
        private final Elu elu;
        private final DataType type;
        private final Pass pass;

        WarmCalls(Elu elu, DataType type, Pass pass) {
            this.elu = elu;
            this.type = type;
            this.pass = pass;
        }

        @Override
        public void call(MemorySegment a, MemorySegment b, MemorySegment c) {
            if (pass == Pass.FORWARD) {
                elu.forward(a, b, type);
            } else {
                elu.backward(a, b, c, type, pass);
            }
        }
    }

    /** An array's segment; a null array named (the segment overloads name theirs). */
    private static MemorySegment heap(float[] a, String name) {
        return MemorySegment.ofArray(Objects.requireNonNull(a, name));
    }

    private static MemorySegment heap(double[] a, String name) {
        return MemorySegment.ofArray(Objects.requireNonNull(a, name));
    }

    private static MemorySegment heap(short[] a, String name) {
        return MemorySegment.ofArray(Objects.requireNonNull(a, name));
    }

    /** A call kind's index in {@link #bindings} and {@link #queried} (forward() and backward() have it inline too). */
    private static int slot(DataType type, Pass pass, boolean heap) {
        return (type.ordinal() * PASSES + pass.ordinal()) * 2 + (heap ? 1 : 0);
    }

    /** The binding of a call kind, made on its first call. */
    private Binding binding(DataType type, Pass pass, boolean heap) {
        int i = slot(type, pass, heap);
        Binding b = bindings[i];
        if (b == null) {
            b = queried[i] != null ? queried[i] : BackendProvider.get().bind(backend, helperIsa, op, type, pass, heap);
            bindings[i] = b;
        }
        return b;
    }

    private void fromOutputAllowed() {
        String problem = op.fromOutputProblem();
        if (problem != null) {
            throw new IllegalArgumentException(function.cliName() + ": " + problem);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Elu e && e.function == function && e.op.equals(op) && e.backend == backend
                && Objects.equals(e.helperIsa, helperIsa) && e.threads == threads;
    }

    @Override
    public int hashCode() {
        return (((function.hashCode() * 31 + op.hashCode()) * 31 + backend.hashCode()) * 31
                + Objects.hashCode(helperIsa)) * 31 + threads;
    }

    @Override
    public String toString() {
        String mode = threads == 1 ? "" : threads == 0 ? ", parallel" : ", parallel=" + threads;
        String params = switch (function) {
            case ELU -> op.isPlainElu() ? "alpha=" + op.alpha()
                    : "alpha=" + op.alpha() + ", scale=" + op.scale() + ", inputScale=" + op.inputScale();
            case SELU -> "";
            case CELU -> "alpha=" + op.alpha();
            case RELU -> "";
            case LEAKY_RELU -> "slope=" + op.alpha();
        };
        String name = switch (function) {
            case ELU -> "Elu";
            case SELU -> "Selu";
            case CELU -> "Celu";
            case RELU -> "Relu";
            case LEAKY_RELU -> "LeakyRelu";
        };
        return name + "[" + params + (params.isEmpty() ? "" : ", ") + "backend=" + backend.cliName()
                + (helperIsa == null ? "" : "/" + helperIsa) + mode + "]";
    }
}
