package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.internal.Binding;
import org.elu4j.internal.EluBackend;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.scalar.ScalarBackend;

/**
 * ELU on the incubating Vector API: {@code y = x > 0 ? x : alpha * expm1(x)}, f32, with a
 * hand-written {@code expm1} that is within 1 ulp of the correctly rounded result for every
 * negative float (alpha = 1), is deterministic (the same bits in the interpreter, C1 and C2, at
 * every position, for every length and every vector width) and allocates nothing once compiled.
 *
 * <h2>Algorithm, per lane</h2>
 * <ol>
 * <li><b>Clamp</b> {@code x} to {@code [-88, 0)}. Below about -17.33 the float answer is
 *     {@code -1} anyway; the clamp keeps {@code n >= -127}, where the bits of {@code 2^n} are
 *     those of +0.0 and the reconstruction gives exactly -1. It is
 *     an integer {@code min} on the bit patterns: for negative floats a larger magnitude is a
 *     larger signed int, so {@code min(bits(x), bits(-88f))} is {@code max(x, -88f)} in one
 *     instruction, without the NaN/-0.0 rules that make {@code FloatVector.max} slow. Lanes
 *     that are not negative (positive, zero, -0.0, NaN) come out as garbage here and are
 *     replaced by {@code x} at the end.</li>
 * <li><b>Range reduction</b> {@code x = n*ln2 + r}: {@code t = fma(x, log2e, SHIFT)} rounds
 *     {@code x*log2e} to the integer {@code n} in the low mantissa bits of {@code t} (SHIFT is
 *     {@code 1.5*2^23 + 127}, so those bits hold the biased exponent {@code n + 127});
 *     {@code n = t - SHIFT} exactly, and {@code r = fma(n, -ln2, x)} with {@code |r| <= 0.3466}.
 *     One f32 {@code ln2} is enough: {@code r} itself is exact (its bits fit in 24), and
 *     the dropped {@code |n| * 1.9e-9} reaches the result scaled by {@code 2^n * e^r}: at
 *     most {@code 1.4e-9} (n = -1, -2), against results of magnitude 0.29 or more there,
 *     so below 0.1 ulp.</li>
 * <li><b>Polynomial</b> {@code expm1(r) ~ p = r + r^2*q(r)}, {@code q} of degree 4 in Horner
 *     form: a minimax fit of the <em>relative</em> error of {@code p} on
 *     {@code |r| <= 0.3468} (weighted Remez), coefficients rounded to f32 one at a time with the
 *     rest refitted (the C helper's set); the fit error is {@code 0.28 * 2^-24}. {@code r + r^2*q} (one
 *     FMA) keeps the leading term exact, so tiny and subnormal inputs return {@code x}.</li>
 * <li><b>Reconstruction</b> {@code expm1(x) = 2^n*p + (2^n - 1)} as one FMA, {@code 2^n}
 *     being {@code bits(t) << 23} (the biased exponent moved into place; the constant bits of
 *     SHIFT are shifted out).</li>
 * <li>{@code y = x < 0 ? alpha * expm1(x) : x}: the blend keeps positive values, +-0.0, +inf
 *     and NaN (payload included) bit for bit; {@code -inf} and {@code x <= -88} give
 *     {@code -alpha}. alpha is applied last, so alpha = 1 is exactly {@code expm1}.</li>
 * </ol>
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
 *     This is why the same nine lines appear twice in the main loop and again in the tail.</li>
 * <li>Two vectors per iteration: each {@code MemorySegment} access re-checks bounds, the
 *     session and read-only state (the vector stores may alias those fields, so C2 reloads
 *     them), and two independent dependency chains hide the FMA latency better. One
 *     vector per iteration was about 10% slower, four (register spills) no faster than two.</li>
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
 * kernels are in {@link F32Kernels} (ReLU, LeakyReLU, ELU with general parameters in double,
 * every f32 backward in double), {@link F64Kernels} (f64, double-accurate expm1/exp) and
 * {@link HalfKernels} (bfloat16/binary16 conversions). f32 forward of ELU with
 * {@link Op#isFastF32Elu()} parameters is {@link #eluF32}, unchanged. The drivers below:
 * <ul>
 * <li>f32/f64 on native segments: the kernel runs directly over whole blocks of
 *     {@link #BLOCK_BYTES}; the last partial block is copied into a per-thread native scratch
 *     block, computed there with the same kernel and copied back (no masked tail, and a
 *     result never depends on its position or on the length).</li>
 * <li>heap segments (any of them): chunks of 16 KiB are copied into the per-thread native
 *     stage, computed there and copied back, for the reason given at {@code SCRATCH}.</li>
 * <li>bfloat16/binary16: chunks of 4096 elements are widened into a native float stage (read
 *     directly from native segments, from a raw copy for heap ones), computed by exactly the
 *     f32 kernel (the same bits as f32) and rounded back to nearest even.</li>
 * <li>ELU with a negative input scale (then {@code x * inputScale} can be large and positive
 *     on the negative side): always staged, and the few elements whose argument exceeds 600,
 *     beyond the kernels' exponent range, are recomputed with {@code Math.expm1}/{@code Math.exp}.</li>
 * </ul>
 * The {@code threads} argument is ignored: the vector backend runs serially.
 */
public final class VectorBackend implements EluBackend {

    /** The widest float species this CPU runs natively (16 lanes with AVX-512, 8 with AVX2). */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** The int species of the same shape, for the bit-pattern operations. */
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final long VECTOR_BYTES = F.vectorByteSize();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /*
     * The constants are the C helper's (native/src/elu4j_internal.h: ELU4J_X_MIN, ELU4J_LOG2E,
     * ELU4J_SHIFT, ELU4J_LN2, ELU4J_P0..P4) and the steps are its steps in the same order, so the
     * two kernels give the same bits for every input (HelperConformanceTest checks it against the
     * helper). Change them together.
     */
    /** -88.0f: lower clamp; n >= -127 (2^-127 is built as +0.0, and e = -1 exactly there). */
    private static final int CLAMP_BITS = Float.floatToRawIntBits(-88.0f);
    /** log2(e) rounded to f32. */
    private static final float LOG2E = 0x1.715476p0f;
    /** 1.5 * 2^23 + 127: adding it rounds to an integer and leaves n + 127 in the low bits. */
    private static final float SHIFT = 0x1.8000fep23f;
    /** ln(2) rounded to f32 (1.9e-9 too large; see the class comment for why that is fine). */
    private static final float LN2 = 0x1.62e430p-1f;
    /** {@code q(r) = Q0 + Q1 r + ... + Q4 r^4 ~ (expm1(r) - r) / r^2} on {@code |r| <= 0.3468}. */
    private static final float Q0 = 0x1.fffffep-2f;   // 4.999999702e-01
    private static final float Q1 = 0x1.555494p-3f;   // 1.666652262e-01
    private static final float Q2 = 0x1.55574ep-5f;   // 4.166760668e-02
    private static final float Q3 = 0x1.123e44p-7f;   // 8.369239047e-03
    private static final float Q4 = 0x1.6b398cp-10f;  // 1.385592623e-03

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

    /**
     * The kernels of F32Kernels and F64Kernels take byte counts that are multiples of this (two
     * preferred vectors: 128 bytes with AVX-512); it divides {@link #STAGE_BYTES}.
     */
    static final long BLOCK_BYTES = 2 * VECTOR_BYTES;
    /** Bytes of one stage buffer: 4096 floats, 2048 doubles, or the floats of 4096 halves. */
    private static final int STAGE_BYTES = 16 * 1024;
    /** Elements of bfloat16/binary16 per chunk. */
    private static final int HALF_CHUNK = STAGE_BYTES / Float.BYTES;
    /** Arguments above this (negative input scales only) are recomputed in scalar code. */
    private static final double FIX_ABOVE = 600;

    /** Per-thread native buffers: a, b, c of STAGE_BYTES, r (raw halves) of STAGE_BYTES / 2. */
    private record Stage(MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment r) {
        static Stage create() {
            MemorySegment all = Arena.ofAuto().allocate(3L * STAGE_BYTES + STAGE_BYTES / 2, 64);
            return new Stage(all.asSlice(0, STAGE_BYTES), all.asSlice(STAGE_BYTES, STAGE_BYTES),
                    all.asSlice(2L * STAGE_BYTES, STAGE_BYTES), all.asSlice(3L * STAGE_BYTES, STAGE_BYTES / 2));
        }
    }

    private static final ThreadLocal<Stage> STAGE = ThreadLocal.withInitial(Stage::create);

    /** A forward kernel on native segments: {@code bytes} is a multiple of {@link #BLOCK_BYTES}. */
    @FunctionalInterface
    private interface Map1 {
        void run(MemorySegment src, MemorySegment dst, long bytes);
    }

    /** A backward kernel on native segments: {@code bytes} is a multiple of {@link #BLOCK_BYTES}. */
    @FunctionalInterface
    private interface Map2 {
        void run(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes);
    }

    /** Recomputes the out-of-range elements of a staged forward chunk ({@code n} elements). */
    @FunctionalInterface
    private interface Fix1 {
        void run(MemorySegment x, MemorySegment y, int n);
    }

    /** Recomputes the out-of-range elements of a staged backward chunk ({@code n} elements). */
    @FunctionalInterface
    private interface Fix2 {
        void run(MemorySegment dy, MemorySegment x, MemorySegment dx, int n);
    }

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
        return "vector (" + F.vectorBitSize() + "-bit, " + F.length() + " float lanes)";
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
     * The kernel of one function and type, chosen once (serial whatever {@code threads} says): the float ELU kernel for
     * {@link Op#isFastF32Elu()}, else the f32 or f64 kernel with the function's parameters captured (bf16
     * and f16 through the f32 one), and the scalar fix-up where inputs can leave the kernels'
     * range (negative input scales only).
     */
    @Override
    public Binding.Forward bindForward(Op op, DataType type) {
        if (type == DataType.F32 && op.isFastF32Elu()) {
            float alpha = op.alphaF();
            return (src, dst, threads) -> eluF32(src, dst, alpha);
        }
        boolean fixNeeded = op.kind() == Op.Kind.ELU && op.inputScale() < 0;
        return switch (type) {
            case F32 -> {
                Map1 k = f32Forward(op);
                Fix1 fix = fixNeeded ? forwardFixF32(op) : null;
                yield (src, dst, threads) -> forwardWide(k, fix, 4, src, dst);
            }
            case F64 -> {
                Map1 k = f64Forward(op);
                Fix1 fix = fixNeeded ? forwardFixF64(op) : null;
                yield (src, dst, threads) -> forwardWide(k, fix, 8, src, dst);
            }
            case BF16, F16 -> {
                Map1 k = f32Forward(op);
                Fix1 fix = fixNeeded ? forwardFixF32(op) : null;
                yield (src, dst, threads) -> forwardHalf(k, fix, type, src, dst);
            }
        };
    }

    @Override
    public Binding.Backward bindBackward(Op op, DataType type, boolean fromOutput) {
        boolean fixNeeded = op.kind() == Op.Kind.ELU && !fromOutput && op.inputScale() < 0;
        return switch (type) {
            case F32 -> {
                Map2 k = f32Backward(op, fromOutput, true);
                Fix2 fix = fixNeeded ? backwardFixF32(op) : null;
                yield (dy, xy, dx) -> backwardWide(k, fix, 4, dy, xy, dx);
            }
            case F64 -> {
                Map2 k = f64Backward(op, fromOutput);
                Fix2 fix = fixNeeded ? backwardFixF64(op) : null;
                yield (dy, xy, dx) -> backwardWide(k, fix, 8, dy, xy, dx);
            }
            case BF16, F16 -> {
                Map2 k = f32Backward(op, fromOutput, false);
                Fix2 fix = fixNeeded ? backwardFixF32(op) : null;
                yield (dy, xy, dx) -> backwardHalf(k, fix, type, dy, xy, dx);
            }
        };
    }


    private static Map1 f32Forward(Op op) {
        return switch (op.kind()) {
            case RELU -> F32Kernels::relu;
            case LEAKY_RELU -> {
                double slope = op.alpha();
                float slopeF = (float) slope;
                yield slopeF == slope
                        ? (s, d, b) -> F32Kernels.leakyFloat(s, d, b, slopeF)
                        : (s, d, b) -> F32Kernels.leakyDouble(s, d, b, slope);
            }
            case ELU -> {
                if (op.isFastF32Elu()) {
                    float alpha = op.alphaF();
                    yield (s, d, b) -> kernel(s, d, b, alpha);
                }
                if (op.isGeneralF32Elu()) {
                    F32Kernels.General g = F32Kernels.General.of(op);
                    yield g.unitInput()
                            ? (s, d, b) -> F32Kernels.eluGeneralUnitInput(s, d, b, g)
                            : (s, d, b) -> F32Kernels.eluGeneral(s, d, b, g);
                }
                double c = op.negativeCoefficient();
                double scale = op.scale();
                double inputScale = op.inputScale();
                yield (s, d, b) -> F32Kernels.elu(s, d, b, c, scale, inputScale);
            }
        };
    }

    private static Map1 f64Forward(Op op) {
        return switch (op.kind()) {
            case RELU -> F64Kernels::relu;
            case LEAKY_RELU -> {
                double slope = op.alpha();
                yield (s, d, b) -> F64Kernels.leaky(s, d, b, slope);
            }
            case ELU -> {
                double c = op.negativeCoefficient();
                double scale = op.scale();
                double inputScale = op.inputScale();
                yield (s, d, b) -> F64Kernels.elu(s, d, b, c, scale, inputScale);
            }
        };
    }

    /**
     * pairsFromInput: the f32 pairs for the backward from the input ({@link F32Backward}, which
     * decides per group of 16 floats from the start of the call, as the helper does; the f32 driver
     * keeps groups whole); bf16/f16 keep the double kernel.
     */
    private static Map2 f32Backward(Op op, boolean fromOutput, boolean pairsFromInput) {
        return switch (op.kind()) {
            case RELU -> F32Kernels::reluBackward;
            case LEAKY_RELU -> {
                double slope = op.alpha();
                yield (g, x, d, b) -> F32Kernels.leakyBackward(g, x, d, b, slope);
            }
            case ELU -> {
                if (fromOutput && op.isGeneralF32Backward()) {
                    F32Kernels.General g = F32Kernels.General.of(op);
                    yield g.fmaY()
                            ? (dy, y, dx, b) -> F32Backward.eluBackwardFromOutputFma(dy, y, dx, b, g)
                            : (dy, y, dx, b) -> F32Backward.eluBackwardFromOutputF32(dy, y, dx, b, g);
                }
                double c = op.negativeCoefficient();
                double k = c * op.inputScale();
                double scale = op.scale();
                double inputScale = op.inputScale();
                if (!fromOutput && pairsFromInput && op.isGeneralF32Backward()) {
                    F32Kernels.General g = F32Kernels.General.of(op);
                    yield (dy, x, dx, b) -> F32Backward.eluFromInput(dy, x, dx, b, g, k, scale, inputScale);
                }
                yield fromOutput
                        ? (g, y, d, b) -> F32Kernels.eluBackwardFromOutput(g, y, d, b, c, scale, inputScale)
                        : (g, x, d, b) -> F32Kernels.eluBackwardFromInput(g, x, d, b, k, scale, inputScale);
            }
        };
    }

    private static Map2 f64Backward(Op op, boolean fromOutput) {
        return switch (op.kind()) {
            case RELU -> F64Kernels::reluBackward;
            case LEAKY_RELU -> {
                double slope = op.alpha();
                yield (g, x, d, b) -> F64Kernels.leakyBackward(g, x, d, b, slope);
            }
            case ELU -> {
                double c = op.negativeCoefficient();
                double k = c * op.inputScale();
                double scale = op.scale();
                double inputScale = op.inputScale();
                yield fromOutput
                        ? (g, y, d, b) -> F64Kernels.eluBackwardFromOutput(g, y, d, b, c, scale, inputScale)
                        : (g, x, d, b) -> F64Kernels.eluBackwardFromInput(g, x, d, b, k, scale, inputScale);
            }
        };
    }

    /*
     * The fixes recompute, with the scalar oracle's own formula, the elements whose x * inputScale
     * is above FIX_ABOVE (only a negative input scale gets there), which the kernels clamp.
     */
    private static Fix1 forwardFixF32(Op op) {
        double inputScale = op.inputScale();
        return (x, y, n) -> {
            for (int i = 0; i < n; i++) {
                float v = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                if (!(v > 0) && v * inputScale > FIX_ABOVE) {
                    y.setAtIndex(JAVA_FLOAT_UNALIGNED, i, ScalarBackend.forward(op, v));
                }
            }
        };
    }

    private static Fix1 forwardFixF64(Op op) {
        double inputScale = op.inputScale();
        return (x, y, n) -> {
            for (int i = 0; i < n; i++) {
                double v = x.getAtIndex(JAVA_DOUBLE_UNALIGNED, i);
                if (!(v > 0) && v * inputScale > FIX_ABOVE) {
                    y.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, ScalarBackend.forward(op, v));
                }
            }
        };
    }

    private static Fix2 backwardFixF32(Op op) {
        double inputScale = op.inputScale();
        return (g, x, d, n) -> {
            for (int i = 0; i < n; i++) {
                float v = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                if (!(v > 0) && v * inputScale > FIX_ABOVE) {
                    d.setAtIndex(JAVA_FLOAT_UNALIGNED, i,
                            ScalarBackend.backward(op, false, g.getAtIndex(JAVA_FLOAT_UNALIGNED, i), v));
                }
            }
        };
    }

    private static Fix2 backwardFixF64(Op op) {
        double inputScale = op.inputScale();
        return (g, x, d, n) -> {
            for (int i = 0; i < n; i++) {
                double v = x.getAtIndex(JAVA_DOUBLE_UNALIGNED, i);
                if (!(v > 0) && v * inputScale > FIX_ABOVE) {
                    d.setAtIndex(JAVA_DOUBLE_UNALIGNED, i,
                            ScalarBackend.backward(op, false, g.getAtIndex(JAVA_DOUBLE_UNALIGNED, i), v));
                }
            }
        };
    }

    private static long roundUpToBlock(long bytes) {
        return (bytes + BLOCK_BYTES - 1) / BLOCK_BYTES * BLOCK_BYTES;
    }

    /** f32/f64 forward: whole blocks directly on native memory, the rest (or everything) staged. */
    private static void forwardWide(Map1 k, Fix1 fix, int elementBytes, MemorySegment src, MemorySegment dst) {
        final long bytes = src.byteSize();
        final Stage st = STAGE.get();
        if (fix == null && src.isNative() && dst.isNative()) {
            final long main = bytes - bytes % BLOCK_BYTES;
            if (main > 0) {
                k.run(src, dst, main);
            }
            if (main < bytes) {
                MemorySegment.copy(src, main, st.a, 0, bytes - main);
                k.run(st.a, st.a, BLOCK_BYTES);
                MemorySegment.copy(st.a, 0, dst, main, bytes - main);
            }
            return;
        }
        for (long off = 0; off < bytes; off += STAGE_BYTES) {
            long len = Math.min(STAGE_BYTES, bytes - off);
            MemorySegment.copy(src, off, st.a, 0, len);
            k.run(st.a, st.b, roundUpToBlock(len));
            if (fix != null) {
                fix.run(st.a, st.b, (int) (len / elementBytes));
            }
            MemorySegment.copy(st.b, 0, dst, off, len);
        }
    }

    /** f32/f64 backward, as {@link #forwardWide}; dx may be dy itself (each chunk is read first). */
    private static void backwardWide(Map2 k, Fix2 fix, int elementBytes, MemorySegment dy, MemorySegment xy,
            MemorySegment dx) {
        final long bytes = dy.byteSize();
        final Stage st = STAGE.get();
        if (fix == null && dy.isNative() && xy.isNative() && dx.isNative()) {
            final long main = bytes - bytes % BLOCK_BYTES;
            if (main > 0) {
                k.run(dy, xy, dx, main);
            }
            if (main < bytes) {
                MemorySegment.copy(dy, main, st.a, 0, bytes - main);
                MemorySegment.copy(xy, main, st.b, 0, bytes - main);
                clearTail(st, bytes - main, BLOCK_BYTES);
                k.run(st.a, st.b, st.c, BLOCK_BYTES);
                MemorySegment.copy(st.c, 0, dx, main, bytes - main);
            }
            return;
        }
        for (long off = 0; off < bytes; off += STAGE_BYTES) {
            long len = Math.min(STAGE_BYTES, bytes - off);
            MemorySegment.copy(dy, off, st.a, 0, len);
            MemorySegment.copy(xy, off, st.b, 0, len);
            clearTail(st, len, roundUpToBlock(len));
            k.run(st.a, st.b, st.c, roundUpToBlock(len));
            if (fix != null) {
                fix.run(st.a, st.b, st.c, (int) (len / elementBytes));
            }
            MemorySegment.copy(st.c, 0, dx, off, len);
        }
    }

    /**
     * Zeros in the stage's inputs from {@code len} to {@code end}: the block's last elements are
     * left from an earlier call otherwise, and a kernel that decides per group (the f32 backward
     * from the input) must see values that change no decision (0 is inside every range).
     */
    private static void clearTail(Stage st, long len, long end) {
        if (len < end) {
            st.a.asSlice(len, end - len).fill((byte) 0);
            st.b.asSlice(len, end - len).fill((byte) 0);
        }
    }

    /** Halves from {@code src} at element {@code first} into the float buffer {@code f} ({@code n} of them). */
    private static void widen(DataType type, MemorySegment src, long first, int n, MemorySegment f, Stage st) {
        MemorySegment in = src;
        long off = 2 * first;
        if (!src.isNative()) {
            MemorySegment.copy(src, off, st.r, 0, 2L * n);
            in = st.r;
            off = 0;
        }
        if (type == DataType.BF16) {
            HalfKernels.widenBf16(in, off, f, n);
        } else {
            HalfKernels.widenF16(in, off, f, n);
        }
    }

    /** The float buffer {@code f} rounded into {@code dst} at element {@code first} ({@code n} of them). */
    private static void narrow(DataType type, MemorySegment f, MemorySegment dst, long first, int n, Stage st) {
        MemorySegment out = dst.isNative() ? dst : st.r;
        long off = dst.isNative() ? 2 * first : 0;
        if (type == DataType.BF16) {
            HalfKernels.narrowBf16(f, out, off, n);
        } else {
            HalfKernels.narrowF16(f, out, off, n);
        }
        if (!dst.isNative()) {
            MemorySegment.copy(st.r, 0, dst, 2 * first, 2L * n);
        }
    }

    /** bfloat16/binary16 forward: widen a chunk, the f32 kernel, round back. */
    private static void forwardHalf(Map1 k, Fix1 fix, DataType type, MemorySegment src, MemorySegment dst) {
        final long count = src.byteSize() / 2;
        final Stage st = STAGE.get();
        for (long first = 0; first < count; first += HALF_CHUNK) {
            int n = (int) Math.min(HALF_CHUNK, count - first);
            widen(type, src, first, n, st.a, st);
            k.run(st.a, st.b, roundUpToBlock(4L * n));
            if (fix != null) {
                fix.run(st.a, st.b, n);
            }
            narrow(type, st.b, dst, first, n, st);
        }
    }

    /** bfloat16/binary16 backward: widen dy and x/y, the f32 kernel, round back. */
    private static void backwardHalf(Map2 k, Fix2 fix, DataType type, MemorySegment dy, MemorySegment xy,
            MemorySegment dx) {
        final long count = dy.byteSize() / 2;
        final Stage st = STAGE.get();
        for (long first = 0; first < count; first += HALF_CHUNK) {
            int n = (int) Math.min(HALF_CHUNK, count - first);
            widen(type, dy, first, n, st.a, st);
            widen(type, xy, first, n, st.b, st);
            k.run(st.a, st.b, st.c, roundUpToBlock(4L * n));
            if (fix != null) {
                fix.run(st.a, st.b, st.c, n);
            }
            narrow(type, st.c, dx, first, n, st);
        }
    }

    /**
     * f32 ELU, {@code dst[i] = src[i] > 0 ? src[i] : alpha * expm1(src[i])}: the kernel that f32
     * ELU binds to where this backend has a float path. Segments need not be aligned.
     */
    public void eluF32(MemorySegment src, MemorySegment dst, float alpha) {
        final long bytes = src.byteSize() / Float.BYTES * Float.BYTES;
        if (src.isNative() && dst.isNative()) {
            kernel(src, dst, bytes, alpha);
            return;
        }
        // Heap segments: stage them through this thread's native buffer (see SCRATCH).
        final MemorySegment buf = SCRATCH.get();
        for (long off = 0; off < bytes; off += SCRATCH_BYTES) {
            long len = Math.min(SCRATCH_BYTES, bytes - off);
            MemorySegment.copy(src, off, buf, 0, len);
            kernel(buf, buf, len, alpha);
            MemorySegment.copy(buf, 0, dst, off, len);
        }
    }

    /**
     * ELU of the first {@code bytes} bytes (a multiple of 4) of {@code src} into {@code dst}.
     * Only ever called with native segments (see {@code SCRATCH}).
     */
    private static void kernel(MemorySegment src, MemorySegment dst, long bytes, float alpha) {
        final long count = bytes / Float.BYTES;
        final long pairBytes = 2 * VECTOR_BYTES;
        final long pairEnd = bytes - bytes % pairBytes;

        // Constants as local vectors (never static final vectors: see the class comment).
        final FloatVector zero = FloatVector.zero(F);
        final IntVector clampBits = IntVector.broadcast(I, CLAMP_BITS);
        final FloatVector log2e = FloatVector.broadcast(F, LOG2E);
        final FloatVector shift = FloatVector.broadcast(F, SHIFT);
        final FloatVector minusLn2 = FloatVector.broadcast(F, -LN2);
        final FloatVector one = FloatVector.broadcast(F, 1.0f);
        final FloatVector q0 = FloatVector.broadcast(F, Q0);
        final FloatVector q1 = FloatVector.broadcast(F, Q1);
        final FloatVector q2 = FloatVector.broadcast(F, Q2);
        final FloatVector q3 = FloatVector.broadcast(F, Q3);
        final FloatVector q4 = FloatVector.broadcast(F, Q4);
        final FloatVector va = FloatVector.broadcast(F, alpha);

        long off = 0;
        // Main loop: two independent vectors (a, b) per iteration, the same steps for each.
        for (; off < pairEnd; off += pairBytes) {
            FloatVector xa = FloatVector.fromMemorySegment(F, src, off, ORDER);
            FloatVector xb = FloatVector.fromMemorySegment(F, src, off + VECTOR_BYTES, ORDER);

            VectorMask<Float> nega = xa.compare(VectorOperators.LT, zero);
            FloatVector ca = xa.reinterpretAsInts().min(clampBits).reinterpretAsFloats();
            FloatVector ta = ca.fma(log2e, shift);
            FloatVector ra = ta.sub(shift).fma(minusLn2, ca);
            FloatVector sa = ta.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector qa = q4.fma(ra, q3).fma(ra, q2).fma(ra, q1).fma(ra, q0);
            FloatVector pa = ra.mul(ra).fma(qa, ra);
            FloatVector ea = sa.fma(pa, sa.sub(one));
            FloatVector ya = xa.blend(ea.mul(va), nega);

            VectorMask<Float> negb = xb.compare(VectorOperators.LT, zero);
            FloatVector cb = xb.reinterpretAsInts().min(clampBits).reinterpretAsFloats();
            FloatVector tb = cb.fma(log2e, shift);
            FloatVector rb = tb.sub(shift).fma(minusLn2, cb);
            FloatVector sb = tb.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector qb = q4.fma(rb, q3).fma(rb, q2).fma(rb, q1).fma(rb, q0);
            FloatVector pb = rb.mul(rb).fma(qb, rb);
            FloatVector eb = sb.fma(pb, sb.sub(one));
            FloatVector yb = xb.blend(eb.mul(va), negb);

            ya.intoMemorySegment(dst, off, ORDER);
            yb.intoMemorySegment(dst, off + VECTOR_BYTES, ORDER);
        }
        // Tail: at most two vectors, masked, with exactly the arithmetic above.
        for (; off < bytes; off += VECTOR_BYTES) {
            VectorMask<Float> m = F.indexInRange(off / Float.BYTES, count);
            FloatVector x = FloatVector.fromMemorySegment(F, src, off, ORDER, m);

            VectorMask<Float> neg = x.compare(VectorOperators.LT, zero);
            FloatVector c = x.reinterpretAsInts().min(clampBits).reinterpretAsFloats();
            FloatVector t = c.fma(log2e, shift);
            FloatVector r = t.sub(shift).fma(minusLn2, c);
            FloatVector s = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector q = q4.fma(r, q3).fma(r, q2).fma(r, q1).fma(r, q0);
            FloatVector p = r.mul(r).fma(q, r);
            FloatVector e = s.fma(p, s.sub(one));
            FloatVector y = x.blend(e.mul(va), neg);

            y.intoMemorySegment(dst, off, ORDER, m);
        }
    }
}
