package org.elu4j.internal.vector;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.elu4j.DataType;
import org.elu4j.internal.vector.Staging.Map1;
import org.elu4j.internal.vector.Staging.Map2;

/**
 * bfloat16 and binary16 ReLU, forward and backward, on the 16-bit patterns themselves: ReLU only
 * chooses between its input (or dy) and +0, so no lane needs widening or rounding. The staged
 * path ({@link Staging#forwardHalf}, {@link Staging#backwardHalf} with the float kernels) widens
 * into a buffer, runs {@link F32Kernels#relu} or {@link F32DoubleLaneBackward#reluBackward} and
 * narrows back; these loops give its bits with one load and one store per vector of halves.
 *
 * <p>On a pattern {@code h} the staged round trip changes nothing but NaN: a NaN (magnitude above
 * the type's infinity, 0x7F80 for bf16, 0x7C00 for binary16) comes back with the quiet bit that
 * widening and narrowing give it (bf16: 0x0040, as {@link HalfKernels#narrowBf16} sets it;
 * binary16: {@link HalfKernels#F16_NAN_QUIET_BIT} moved down, as in {@link HalfElu#f16}). The
 * float kernel's test {@code x <= 0} is, on the pattern of a non-NaN half, the signed 16-bit
 * test {@code h <= 0} (the sign bit set, or +0); a NaN is never {@code <= 0}. So:
 * <ul>
 * <li>forward: {@code h <= 0} (signed, not NaN) gives +0, NaN gives {@code h | quiet}, the rest {@code h};</li>
 * <li>backward (from x or y alike): {@code x <= 0} (signed, not NaN) gives +0, else dy, a NaN dy
 *     with its quiet bit; a NaN x passes dy, as PyTorch's {@code threshold_backward}.</li>
 * </ul>
 * The loops run over whole vectors of native segments; the last elements and heap segments take
 * the staged path, whose results are the same bits (the conformance suite checks every pattern
 * forward). dx may be dy: each vector is loaded before it is stored.
 */
final class HalfRelu {
    private HalfRelu() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Shorts of the preferred shape: {@link HalfElu#STEP_BYTES} bytes, the fused loops' step. */
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    private static final long STEP_BYTES = HalfElu.STEP_BYTES; // S.vectorByteSize(): both the preferred shape

    /** ReLU of the halves of {@code src} into {@code dst}; {@code rest} is the staged path. */
    static void forward(DataType type, Map1 rest, MemorySegment src, MemorySegment dst) {
        Staging.forwardHalfFused(HalfRelu::forwardLoop, type, type, rest, src, dst);
    }

    /** ReLU backward (from x or from y: the same test) of halves; {@code rest} is the staged path. */
    static void backward(DataType type, Map2 rest, MemorySegment dy, MemorySegment xy, MemorySegment dx) {
        Staging.backwardHalfFused(HalfRelu::backwardLoop, true, type, type, rest, dy, xy, dx);
    }

    /** The largest non-NaN magnitude pattern (infinity) of the type. */
    private static short nanAbove(DataType type) {
        return (short) (type == DataType.BF16 ? 0x7F80 : 0x7C00);
    }

    /** The bit a NaN gets from the staged round trip. */
    private static short quiet(DataType type) {
        return (short) (type == DataType.BF16 ? 0x0040 : HalfKernels.F16_NAN_QUIET_BIT >>> 13);
    }

    private static long forwardLoop(MemorySegment src, MemorySegment dst, long from, long to, DataType type) {
        final long vb = STEP_BYTES;
        final short nanAbove = nanAbove(type);
        final short quiet = quiet(type);
        final ShortVector zero = ShortVector.zero(S);
        final ShortVector magMask = ShortVector.broadcast(S, (short) 0x7FFF);
        final ShortVector inf = ShortVector.broadcast(S, nanAbove);
        final ShortVector q = ShortVector.broadcast(S, quiet);
        for (long off = from; off < to; off += vb) {
            ShortVector h = ShortVector.fromMemorySegment(S, src, off, ORDER);
            VectorMask<Short> nan = h.and(magMask).compare(VectorOperators.GT, inf);
            h.blend(zero, h.compare(VectorOperators.LE, zero)).blend(h.or(q), nan)
                    .reinterpretAsBytes().intoMemorySegment(dst, off, ORDER);
        }
        return to;
    }

    private static long backwardLoop(MemorySegment dy, MemorySegment xy, MemorySegment dx, long from, long to,
            DataType type) {
        final short nanAbove = nanAbove(type);
        final short quiet = quiet(type);
        final long vb = STEP_BYTES;
        final ShortVector zero = ShortVector.zero(S);
        final ShortVector magMask = ShortVector.broadcast(S, (short) 0x7FFF);
        final ShortVector inf = ShortVector.broadcast(S, nanAbove);
        final ShortVector q = ShortVector.broadcast(S, quiet);
        for (long off = from; off < to; off += vb) {
            ShortVector g = ShortVector.fromMemorySegment(S, dy, off, ORDER);
            ShortVector x = ShortVector.fromMemorySegment(S, xy, off, ORDER);
            VectorMask<Short> zeroed = x.compare(VectorOperators.LE, zero)
                    .andNot(x.and(magMask).compare(VectorOperators.GT, inf));
            g.blend(g.or(q), g.and(magMask).compare(VectorOperators.GT, inf)).blend(zero, zeroed)
                    .reinterpretAsBytes().intoMemorySegment(dx, off, ORDER);
        }
        return to;
    }
}
