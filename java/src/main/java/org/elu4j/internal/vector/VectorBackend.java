package org.elu4j.internal.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.internal.Binding;
import org.elu4j.internal.EluBackend;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.vector.Staging.Fix1;
import org.elu4j.internal.vector.Staging.Fix2;
import org.elu4j.internal.vector.Staging.Map1;
import org.elu4j.internal.vector.Staging.Map2;

/**
 * The ELU family on the incubating Vector API: how each function, type and pass is bound to a
 * kernel. The first of them, f32 ELU with {@code alpha = 2^k}, is {@link FloatElu}: a hand-written
 * {@code expm1} within 1 ulp of the correctly rounded result for every negative float (alpha = 1),
 * deterministic (the same bits in the interpreter, C1 and C2, at every position, for every length
 * and every vector width), allocating nothing once compiled; the algorithm is described there.
 *
 * <h2>How the loop is written, and why</h2>
 * C2 compiles Vector API code well only when every vector stays in a register. Hence:
 * <ul>
 * <li>The constants are broadcast into <em>local</em> vectors before the loop, not kept in
 *     {@code static final FloatVector} fields: C2 does not treat such a field as a constant
 *     vector, so the loop re-reads and boxes it (measured: 4 KB allocated per 4096-float call
 *     and 25-35% less throughput).</li>
 * <li>The loop body is written out flat, with no helper methods and no scalar-argument
 *     lanewise ops (except the constant shift count): a helper is fast only while C2 inlines
 *     it, and when it does not (inlining budgets, a bigger caller) every vector crossing the
 *     call is boxed, which the project measured at 74 KB per 4096-float call and 20x slower.
 *     This is why the same nine lines appear twice in {@link FloatElu#kernel}'s main loop, twice
 *     in {@link FloatElu#kernelUnit}'s (alpha = 1, without the multiply) and again in their tail.</li>
 * <li>Two vectors per iteration: two independent dependency chains hide the FMA latency
 *     better. One vector per iteration was about 10% slower, four (register spills) no faster
 *     than two.</li>
 * <li>Every unmasked store goes through a byte view,
 *     {@code y.reinterpretAsBytes().intoMemorySegment(dst, off, ORDER)} (free once compiled),
 *     here and in every kernel of this package. Until C2 has compiled a kernel, the JDK runs
 *     {@code reinterpretAsInts()}/{@code reinterpretAsFloats()} through its fallback
 *     ({@code AbstractVector.defaultReinterpret}), which writes the vector into a heap
 *     {@code byte[]} segment with the source class's {@code intoMemorySegment} and reads it
 *     back with the target class's masked {@code fromMemorySegment}. Those calls put a heap
 *     segment class into the very profiles C2 later compiles {@code FloatVector} and
 *     {@code IntVector} stores with; having seen two segment classes, C2 keeps a class, bounds
 *     and liveness check around every access inside the loop (152 instructions per 32 floats
 *     instead of 56; see docs/benchmarks.md, "Why the vector backend's ELU stayed at ~0.6× the
 *     helper"). Nothing reinterprets <em>from</em> a byte vector, so {@code ByteVector}'s store
 *     has only seen native segments; unmasked loads are not touched by the fallback (it loads
 *     masked), so they stay as they are. Keep it that way: no {@code ByteVector} as a source of
 *     a reinterpretation anywhere in this package.</li>
 * <li>The last 1..2 vectors use masked loads and stores ({@code indexInRange}) running the
 *     very same arithmetic, so a result never depends on the length or on its position.</li>
 * </ul>
 * Native segments may have any byte alignment (the Vector API accepts unaligned access).
 * Heap segments are staged through a per-thread native buffer (see {@code SCRATCH}), so the
 * vector accesses only ever see native memory. Source and destination may be identical: each
 * vector is loaded before it is stored.
 *
 * <h2>The rest of the family</h2>
 * Every function, element type and pass runs here ({@link #unsupported} is always null); the
 * kernels are in {@link F32Kernels} (the f32 forward: ReLU, LeakyReLU, ELU with general
 * parameters), {@link F32Backward} (the f32 backward in float pairs), {@link F32DoubleLaneBackward}
 * (the rest of the f32 backward, in double lanes), {@link F64Kernels} (f64, double-accurate
 * expm1/exp) and {@link HalfKernels} (bfloat16/binary16 conversions);
 * {@link FamilyKernels} chooses one per binding, {@link Staging} runs it over a call's segments
 * (whole blocks, heap staging, half widening). f32 forward of ELU with {@link Op#isFastF32Elu()}
 * parameters is {@link #eluF32}, unchanged; bf16/f16 forward with those parameters
 * ({@link HalfElu}) and with general ones ({@link HalfGeneral}), and the bf16/f16 backward in f32
 * pairs from the output and from the input ({@link HalfBackward}, {@link F16Backward}) are the
 * same arithmetic with the conversions in registers, as is LeakyReLU where its product runs in
 * float ({@link HalfLeaky}); bf16/f16 ReLU ({@link HalfRelu}) needs no conversion at all.
 * The {@code threads} argument is ignored: the vector backend runs serially.
 *
 * <h2>Cold start</h2>
 * Until C2 has compiled a kernel, its Vector API operations run as allocating Java code, hundreds
 * of times slower than compiled; the f32, bf16 and f16 forward of ELU, the general form, ReLU and
 * LeakyReLU and every f64 forward, and their backward from the input and from the output, run the
 * kernel's arithmetic in scalar Java meanwhile (the same bits) while a thread of the library gets
 * the kernel compiled: {@link ColdStart}; so does ELU with parameters beyond the general
 * kernel's range (in double lanes), a negative input scale's fix-up included ({@link #halfForm}).
 */
public final class VectorBackend implements EluBackend {

    /** The widest float species this CPU runs natively (16 lanes with AVX-512, 8 with AVX2). */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * Heap segments never reach the vector loads and stores: they are copied through this
     * per-thread native buffer. C2 intrinsifies a {@code MemorySegment} vector store only when
     * it can tell what backs the segment; once one heap segment has passed through the kernel,
     * the accesses see "native or some array", the store intrinsic fails and the vectors are
     * boxed, for native segments too (measured: 4 el/ns down to 0.5 for both). Staged, heap
     * calls run at about 2.8 el/ns and native ones keep full speed. 16 KiB is a multiple of two
     * vectors of any shape and stays in L1. Each thread allocates its buffer once.
     */
    private static final long SCRATCH_BYTES = 16 * 1024;
    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(SCRATCH_BYTES, 64));

    /** Created by the provider once it has checked that jdk.incubator.vector is present. */
    public VectorBackend() {
        if (F.length() < 4) { // -XX:MaxVectorSize below 16, or a CPU the JIT cannot vectorise for
            throw new IllegalStateException("the JIT offers only " + F.vectorBitSize() + "-bit float vectors here: "
                    + "the Vector API kernels need at least 128 bits to beat scalar code");
        }
    }

    @Override
    public Backend kind() {
        return Backend.VECTOR;
    }

    @Override
    public String description() {
        return "vector (" + F.vectorBitSize() + "-bit, " + F.length() + " float lanes"
                + (FamilyKernels.DOUBLE_LANES_UNCOMPILED ? "; 2-lane double vectors are not compiled here: f64 and "
                        + "LeakyReLU's double product and ELU beyond the general kernel's range run scalar Java" : "")
                + ")";
    }

    /**
     * The f32, bf16 and f16 forward of the kernels with a scalar form ({@link FamilyKernels#f32Choice})
     * and the f64 forward, and their backward: until C2 has compiled their kernels they run
     * {@link ColdStart}'s scalar forms, cheap to warm; every other kernel would run the Vector
     * API's slow phase a thousand times. One group per type and scalar method, so that a binding
     * whose method another binding has warmed is not warmed again, and one whose method differs
     * is: the forward 7 per type for f32, bf16 and f16 (0 to 20: ELU's float kernel, the general
     * kernel, ReLU, LeakyReLU's float, pair and double products, ELU in double lanes), then 3 for
     * f64 (21 to 23: ReLU, LeakyReLU, ELU); the backward 24 + 9 per type + its method (ReLU,
     * LeakyReLU's three products, ELU from the input, from the output with an fma or with pairs,
     * ELU in double lanes from the input and from the output; f64: ReLU, LeakyReLU, from the input,
     * from the output), below 64.
     */
    @Override
    public int warmUpGroup(Op op, DataType type, Pass pass) {
        if (!ColdStart.ENABLED) {
            return -1;
        }
        if (pass != Pass.FORWARD) {
            boolean fromOutput = pass == Pass.BACKWARD_FROM_OUTPUT;
            int method = type == DataType.F64 ? FamilyKernels.f64BackwardChoice(op, fromOutput).group()
                    : FamilyKernels.f32BackwardChoice(op, fromOutput).group();
            return 24 + 9 * type.ordinal() + method;
        }
        if (type == DataType.F64) {
            return 21 + FamilyKernels.f64Choice(op).group();
        }
        return 7 * (type == DataType.F32 ? 0 : type == DataType.BF16 ? 1 : 2) + FamilyKernels.f32Choice(op).cold().group();
    }

    @Override
    public boolean supportsHeapSegments() {
        return true;
    }

    /** Every function, type and pass runs on this backend. */
    @Override
    public String unsupported(Op op, DataType type, Pass pass) {
        return null;
    }

    /**
     * The kernel of one function and type, chosen once (serial whatever {@code threads} says):
     * the float ELU kernel for {@link Op#isFastF32Elu()} (for bf16/f16 its fused form,
     * {@link HalfElu}; bf16/f16 ReLU on the patterns, {@link HalfRelu}; LeakyReLU,
     * {@link HalfLeaky}), else the f32 or f64 kernel with the function's parameters captured
     * (bf16 and f16 through the f32 one: fused, {@link HalfGeneral}, for
     * {@link Op#isGeneralF32Elu()}, else staged), and the scalar fix-up where inputs can leave the
     * kernels' range (negative input scales only); every type through its {@link ColdStart}.
     */
    @Override
    public Binding.Forward bindForward(Op op, DataType type) {
        if (type == DataType.F32 && op.isFastF32Elu()) {
            Map1 k = FamilyKernels.f32Forward(op, true);
            return (src, dst, threads) -> eluF32(src, dst, k);
        }
        boolean fixNeeded = op.kind() == Op.Kind.ELU && op.inputScale() < 0;
        return switch (type) {
            case F32 -> {
                Map1 k = FamilyKernels.f32Forward(op, true);
                Fix1 fix = fixNeeded ? FamilyKernels.forwardFixF32(op) : null;
                yield (src, dst, threads) -> Staging.forwardWide(k, fix, 4, src, dst);
            }
            case F64 -> {
                Map1 k = FamilyKernels.f64Forward(op, true);
                Fix1 fix = fixNeeded ? FamilyKernels.forwardFixF64(op) : null;
                yield (src, dst, threads) -> Staging.forwardWide(k, fix, 8, src, dst);
            }
            case BF16, F16 -> halfForward(op, type, fixNeeded, ColdStart.ENABLED);
        };
    }

    /**
     * bf16/f16 forward: a fused loop where one runs the f32 kernel's arithmetic, else staged; and
     * the whole call through {@link ColdStart}: the halves widened, the f32 kernel's scalar form,
     * rounded back ({@link #halfForm}: the same bits) until C2 has compiled the loop
     * ({@code coldStart}).
     */
    static Binding.Forward halfForward(Op op, DataType type, boolean fixNeeded, boolean coldStart) {
        FamilyKernels.F32Choice choice = FamilyKernels.f32Choice(op);
        Map1 k = choice.kernel();
        Fix1 fix = fixNeeded ? FamilyKernels.forwardFixF32(op) : null;
        Binding.Forward f;
        String path = "fused";
        if (op.kind() == Op.Kind.RELU) {
            f = (src, dst, threads) -> HalfRelu.forward(type, k, src, dst);
        } else if (op.kind() == Op.Kind.LEAKY_RELU && HalfLeaky.runs(type, op.alpha(), false)) {
            HalfLeaky.Slope slope = HalfLeaky.Slope.of(op.alpha());
            f = (src, dst, threads) -> HalfLeaky.forward(type, slope, k, src, dst);
        } else if (op.isFastF32Elu()) {
            Float alpha = op.alphaF(); // boxed once, here: the fused loops' parameter
            f = (src, dst, threads) -> HalfElu.forward(type, alpha, k, src, dst);
        } else if (op.isGeneralF32Elu()) {
            F32Kernels.General g = F32Kernels.General.of(op);
            f = (src, dst, threads) -> HalfGeneral.forward(type, g, k, src, dst);
        } else {
            f = (src, dst, threads) -> Staging.forwardHalf(k, fix, type, src, dst);
            path = fixNeeded ? "staged, fix-up" : "staged";
        }
        FamilyKernels.Cold cold = choice.cold();
        Binding.Forward form = halfForm(cold.floats(), fix, type);
        if (FamilyKernels.formInstead(op)) {
            return form;
        }
        if (!coldStart) {
            return f;
        }
        // The sample: five int vectors of halves and a few more (the fused loop and the staged tail).
        Map1 m = ColdStart.of(type.cliName() + " " + cold.family() + ", " + path, type.cliName() + " " + op,
                (s, d, b) -> f.run(s, d, 1), (s, d, b) -> form.run(s, d, 1),
                ColdStart.sample((int) (5 * HalfElu.STEP_BYTES / 2 + 3), cold.edges()), type);
        return (src, dst, threads) -> m.run(src, dst, src.byteSize());
    }

    /**
     * A bf16/f16 forward's scalar form over a whole call: {@link ScalarForms#half} around the f32
     * form {@code floats}, or where a fix-up is needed (ELU in double lanes with a negative input
     * scale) the staged path with the form's f32 driver in the kernel's place, which then runs the
     * fix-up as it does after the kernel: the kernel's bits either way.
     */
    static Binding.Forward halfForm(ScalarForms.Floats floats, Fix1 fix, DataType type) {
        if (fix == null) {
            return (src, dst, threads) -> ScalarForms.half(floats, type, src, dst);
        }
        Map1 driver = (s, d, b) -> ScalarForms.f32(floats, s, d, b);
        return (src, dst, threads) -> Staging.forwardHalf(driver, fix, type, src, dst);
    }

    @Override
    public Binding.Backward bindBackward(Op op, DataType type, boolean fromOutput) {
        boolean fixNeeded = op.kind() == Op.Kind.ELU && !fromOutput && op.inputScale() < 0;
        return switch (type) {
            case F32 -> {
                Map2 k = FamilyKernels.f32Backward(op, fromOutput, true);
                Fix2 fix = fixNeeded ? FamilyKernels.backwardFixF32(op) : null;
                yield (dy, xy, dx) -> Staging.backwardWide(k, fix, 4, dy, xy, dx);
            }
            case F64 -> {
                Map2 k = FamilyKernels.f64Backward(op, fromOutput, true);
                Fix2 fix = fixNeeded ? FamilyKernels.backwardFixF64(op) : null;
                yield (dy, xy, dx) -> Staging.backwardWide(k, fix, 8, dy, xy, dx);
            }
            case BF16, F16 -> halfBackward(op, type, fromOutput, fixNeeded, ColdStart.ENABLED);
        };
    }

    /**
     * bf16/f16 backward: a fused loop where one runs the f32 kernel's arithmetic, else staged; and
     * the whole call through {@link ColdStart} (dy and x or y widened, the f32 kernel's scalar form,
     * dx rounded back: {@link #halfForm(ScalarForms.Floats2, Fix2, DataType)}) until C2 has
     * compiled the loop ({@code coldStart}).
     */
    static Binding.Backward halfBackward(Op op, DataType type, boolean fromOutput, boolean fixNeeded,
            boolean coldStart) {
        FamilyKernels.B32Choice choice = FamilyKernels.f32BackwardChoice(op, fromOutput);
        Map2 k = choice.kernel();
        Fix2 fix = fixNeeded ? FamilyKernels.backwardFixF32(op) : null;
        Binding.Backward f;
        String path = "fused";
        F32Kernels.General g = op.isGeneralF32Backward() ? F32Kernels.General.of(op) : null;
        if (op.kind() == Op.Kind.RELU) {
            f = (dy, xy, dx) -> HalfRelu.backward(type, k, dy, xy, dx);
        } else if (op.kind() == Op.Kind.LEAKY_RELU && HalfLeaky.runs(type, op.alpha(), true)) {
            HalfLeaky.Slope slope = HalfLeaky.Slope.of(op.alpha());
            f = (dy, xy, dx) -> HalfLeaky.backward(type, slope, k, dy, xy, dx);
        } else if (g != null && type == DataType.BF16) {
            f = fromOutput ? (dy, xy, dx) -> HalfBackward.backwardFromOutputBf16(g, k, dy, xy, dx)
                    : (dy, xy, dx) -> HalfBackwardFromInput.backwardBf16(g, k, dy, xy, dx);
        } else if (g != null) {
            f = fromOutput ? (dy, xy, dx) -> F16Backward.backwardFromOutput(g, k, dy, xy, dx)
                    : (dy, xy, dx) -> F16Backward.backwardFromInput(g, k, dy, xy, dx);
        } else {
            f = (dy, xy, dx) -> Staging.backwardHalf(k, fix, type, dy, xy, dx);
            path = fixNeeded ? "staged, fix-up" : "staged";
        }
        Binding.Backward form = halfForm(choice.form(), fix, type);
        if (FamilyKernels.formInsteadBackward(op)) {
            return form;
        }
        if (!coldStart) {
            return f;
        }
        // The sample: five int vectors of halves and a few more (the fused loop and the staged tail).
        Map2 m = ColdStart.ofBackward(type.cliName() + " " + choice.family() + ", " + path,
                type.cliName() + " " + op + (fromOutput ? " backward from the output" : " backward"),
                (dy, xy, dx, b) -> f.run(dy, xy, dx), (dy, xy, dx, b) -> form.run(dy, xy, dx),
                fromOutput ? ColdStart.outputSample((int) (5 * HalfElu.STEP_BYTES / 2 + 3), op.negativeCoefficient())
                        : ColdStart.sample((int) (5 * HalfElu.STEP_BYTES / 2 + 3)), type);
        return (dy, xy, dx) -> m.run(dy, xy, dx, dy.byteSize());
    }

    /** {@link #halfForm(ScalarForms.Floats, Fix1, DataType)} for the backward: a fix-up of the backward from the input. */
    static Binding.Backward halfForm(ScalarForms.Floats2 floats, Fix2 fix, DataType type) {
        if (fix == null) {
            return (dy, xy, dx) -> ScalarForms.half(floats, type, dy, xy, dx);
        }
        Map2 driver = (g, x, d, b) -> ScalarForms.f32(floats, g, x, d, b);
        return (dy, xy, dx) -> Staging.backwardHalf(driver, fix, type, dy, xy, dx);
    }

    /**
     * f32 ELU, {@code dst[i] = src[i] > 0 ? src[i] : alpha * expm1(src[i])}: the kernel that f32
     * ELU binds to where this backend has a float path ({@link FloatElu#kernelUnit} for alpha = 1,
     * {@link FloatElu#kernel} for the other powers of two, or, until C2 has compiled it, its scalar
     * form: {@link ColdStart}). Segments need not be aligned.
     */
    static void eluF32(MemorySegment src, MemorySegment dst, Map1 k) {
        final long bytes = src.byteSize() / Float.BYTES * Float.BYTES;
        if (src.isNative() && dst.isNative()) {
            k.run(src, dst, bytes);
            return;
        }
        // Heap segments: stage them through this thread's native buffer (see SCRATCH).
        final MemorySegment buf = SCRATCH.get();
        for (long off = 0; off < bytes; off += SCRATCH_BYTES) {
            long len = Math.min(SCRATCH_BYTES, bytes - off);
            MemorySegment.copy(src, off, buf, 0, len);
            k.run(buf, buf, len);
            MemorySegment.copy(buf, 0, dst, off, len);
        }
    }
}
