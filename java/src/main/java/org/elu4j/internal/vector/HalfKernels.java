package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.elu4j.internal.HalfFloats;

/**
 * bfloat16 and binary16 to float and back on native segments, with integer vector operations
 * (JDK 25's Vector API has a scalar {@code Float16} type but no half-precision vector and no
 * half-float conversion operator). The results are bit for bit those of {@link HalfFloats}: the
 * vector loops cover whole vectors and the last few elements go through {@link HalfFloats} itself
 * (the tests compare both over every binary16 pattern and millions of floats).
 *
 * <p>Each loop is flat (no helper calls, constants broadcast into locals) for the reasons given in
 * {@link VectorBackend}'s class comment. A float is handled as its bit pattern in an int lane: the
 * widened halves are stored as ints and read back by the float kernels as floats.
 */
final class HalfKernels {
    private HalfKernels() {
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Ints of the preferred shape (16 lanes with AVX-512). */
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Floats of the same shape, for the two float operations of the binary16 conversions. */
    private static final VectorSpecies<Float> F = I.withLanes(float.class);
    /** Shorts with as many lanes as {@link #I}: half its bit size. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(I.vectorBitSize() / 2));

    /**
     * The quiet bit a widened binary16 NaN gets: {@link HalfFloats#f16ToFloat} is
     * {@link Float#float16ToFloat}, whose HotSpot intrinsic on x86 ({@code vcvtph2ps}, used by the
     * interpreter and both compilers alike) quiets a signalling NaN, while the Java code it replaces
     * keeps the payload as it is. Asked once, so the vector widening matches whichever runs here.
     */
    static final int F16_NAN_QUIET_BIT =
            Float.floatToRawIntBits(HalfFloats.f16ToFloat((short) 0x7C01)) & 0x00400000;

    /**
     * How a float NaN narrows to binary16 here, as {@link HalfFloats#floatToF16} does it
     * ({@link Float#floatToFloat16}): its Java code keeps the top 10 payload bits and or-s in the
     * lower ones, the HotSpot intrinsic ({@code vcvtps2ph}) keeps the top 10 and sets the quiet
     * bit. Asked once: the result is {@code 0x7C00 | NAN_QUIET | (b & 0x7FE000) >> 13
     * | (b & NAN_MID) >> 4 | (b & NAN_LOW)}, plus the sign.
     */
    static final int NAN_QUIET;
    static final int NAN_MID;
    static final int NAN_LOW;

    static {
        // 0x7F800001: a signalling NaN with only a low payload bit: 0x7C01 from the Java code, 0x7E00 from vcvtps2ph.
        boolean hardware = HalfFloats.floatToF16(Float.intBitsToFloat(0x7F800001)) == (short) 0x7E00;
        NAN_QUIET = hardware ? 0x0200 : 0;
        NAN_MID = hardware ? 0 : 0x00001FF0;
        NAN_LOW = hardware ? 0 : 0x0000000F;
    }

    /**
     * {@code n} bfloat16 values at byte offset {@code srcOff} of {@code src} to floats
     * {@code dst[0..n)}: the pattern shifted up 16 bits (exact).
     */
    static void widenBf16(MemorySegment src, long srcOff, MemorySegment dst, int n) {
        final int lanes = I.length();
        final int end = n - n % lanes;
        int i = 0;
        for (; i < end; i += lanes) {
            ShortVector h = ShortVector.fromMemorySegment(S, src, srcOff + 2L * i, ORDER);
            IntVector w = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
            w.lanewise(VectorOperators.LSHL, 16).reinterpretAsBytes().intoMemorySegment(dst, 4L * i, ORDER);
        }
        for (; i < n; i++) {
            dst.setAtIndex(JAVA_FLOAT_UNALIGNED, i, HalfFloats.bf16ToFloat(src.get(JAVA_SHORT_UNALIGNED, srcOff + 2L * i)));
        }
    }

    /**
     * Floats {@code src[0..n)} to bfloat16 at byte offset {@code dstOff} of {@code dst}, to nearest even:
     * {@code (b + 0x7FFF + ((b >>> 16) & 1)) >>> 16}; NaN keeps its top bits and gets the quiet bit.
     */
    static void narrowBf16(MemorySegment src, MemorySegment dst, long dstOff, int n) {
        final IntVector roundBias = IntVector.broadcast(I, 0x7FFF);
        final IntVector one = IntVector.broadcast(I, 1);
        final IntVector absMask = IntVector.broadcast(I, 0x7FFFFFFF);
        final IntVector infBits = IntVector.broadcast(I, 0x7F800000);
        final IntVector quiet = IntVector.broadcast(I, 0x0040);
        final int lanes = I.length();
        final int end = n - n % lanes;
        int i = 0;
        for (; i < end; i += lanes) {
            IntVector b = IntVector.fromMemorySegment(I, src, 4L * i, ORDER);
            IntVector hi = b.lanewise(VectorOperators.LSHR, 16);
            IntVector rounded = b.add(roundBias).add(hi.and(one)).lanewise(VectorOperators.LSHR, 16);
            VectorMask<Integer> nan = b.and(absMask).compare(VectorOperators.GT, infBits);
            IntVector r = rounded.blend(hi.or(quiet), nan);
            ShortVector h = (ShortVector) r.convertShape(VectorOperators.I2S, S, 0);
            h.reinterpretAsBytes().intoMemorySegment(dst, dstOff + 2L * i, ORDER);
        }
        for (; i < n; i++) {
            dst.set(JAVA_SHORT_UNALIGNED, dstOff + 2L * i, HalfFloats.floatToBf16(src.getAtIndex(JAVA_FLOAT_UNALIGNED, i)));
        }
    }

    /**
     * {@code n} binary16 values at byte offset {@code srcOff} of {@code src} to floats (exact, as {@link Float#float16ToFloat}): the magnitude
     * bits moved up 13 places read as a float and multiplied by {@code 2^112} rebias the exponent
     * of normal values and normalise subnormal ones exactly; infinities and NaN (exponent 31) get
     * the float exponent 255 with the significand (payload) moved up 13 places, NaN also
     * {@link #F16_NAN_QUIET_BIT}; the sign goes last.
     */
    static void widenF16(MemorySegment src, long srcOff, MemorySegment dst, int n) {
        final IntVector low16 = IntVector.broadcast(I, 0xFFFF);
        final IntVector signBit = IntVector.broadcast(I, 0x8000);
        final IntVector magMask = IntVector.broadcast(I, 0x7FFF);
        final IntVector expMask = IntVector.broadcast(I, 0x7C00);
        final IntVector infBits = IntVector.broadcast(I, 0x7F800000);
        final FloatVector rebias = FloatVector.broadcast(F, F16_WIDEN);
        final IntVector significand = IntVector.broadcast(I, 0x03FF);
        final IntVector zero = IntVector.zero(I);
        final IntVector quiet = IntVector.broadcast(I, F16_NAN_QUIET_BIT);
        final int lanes = I.length();
        final int end = n - n % lanes;
        int i = 0;
        for (; i < end; i += lanes) {
            ShortVector hs = ShortVector.fromMemorySegment(S, src, srcOff + 2L * i, ORDER);
            IntVector h = ((IntVector) hs.convertShape(VectorOperators.S2I, I, 0)).and(low16);
            IntVector sign = h.and(signBit).lanewise(VectorOperators.LSHL, 16);
            IntVector mag = h.and(magMask).lanewise(VectorOperators.LSHL, 13);
            IntVector finite = mag.reinterpretAsFloats().mul(rebias).reinterpretAsInts();
            VectorMask<Integer> special = h.and(expMask).compare(VectorOperators.EQ, expMask);
            IntVector infNan = mag.or(infBits);
            infNan = infNan.blend(infNan.or(quiet), h.and(significand).compare(VectorOperators.NE, zero));
            IntVector r = finite.blend(infNan, special).or(sign);
            r.reinterpretAsBytes().intoMemorySegment(dst, 4L * i, ORDER);
        }
        for (; i < n; i++) {
            dst.setAtIndex(JAVA_FLOAT_UNALIGNED, i, HalfFloats.f16ToFloat(src.get(JAVA_SHORT_UNALIGNED, srcOff + 2L * i)));
        }
    }

    /**
     * binary16's exact widening and its rounding on bit patterns, shared by {@link #widenF16},
     * {@link #narrowF16} and the fused loops ({@link HalfElu#f16}, {@link HalfGeneral#f16},
     * {@link F16Backward}): the magnitude bits moved up 13 places ({@code F16_WIDE_MAGNITUDE};
     * infinity there is {@code F16_WIDE_INFINITY}) read as a float times {@code F16_WIDEN} is
     * the value; a float magnitude {@code a} rounds to {@code (a - F16_ROUND_REBIAS + lsb) >>> 13}
     * where normal, to {@code bits(a + 0.5f) - F16_SUBNORMAL_BIAS} below
     * {@code F16_MIN_NORMAL_BITS} (2^-14), and to infinity above {@code F16_OVERFLOW_BITS} (just
     * below 65520, the halfway point above the largest binary16); see {@link #narrowF16}.
     */
    static final int F16_WIDE_MAGNITUDE = 0x7FFF << 13;
    static final int F16_WIDE_INFINITY = 0x7C00 << 13;
    static final float F16_WIDEN = 0x1p112f;
    static final int F16_ROUND_REBIAS = 0x38000000 - 0xFFF;
    static final int F16_MIN_NORMAL_BITS = 0x38800000;
    static final int F16_OVERFLOW_BITS = 0x477FF000 - 1;
    static final int F16_SUBNORMAL_BIAS = 0x3F000000;

    /**
     * Floats {@code src[0..n)} to binary16 at byte offset {@code dstOff} of {@code dst}, to nearest even, bit for bit as
     * {@link Float#floatToFloat16}. On the magnitude {@code a}: normal results rebias the exponent
     * and round on the integer pattern ({@code (a - (112 << 23) + 0xFFF + lsb) >>> 13});
     * subnormal results ({@code a < 2^-14}) come from the float addition {@code |x| + 0.5f},
     * whose ulp (2^-24) is binary16's subnormal step, so the hardware rounds them to nearest even;
     * {@code a >= 65520} (the halfway point above the largest binary16) gives infinity; NaN keeps
     * the payload bits as {@code Float.floatToFloat16} does here (see {@link #NAN_QUIET}); the sign
     * is or-ed in last.
     */
    static void narrowF16(MemorySegment src, MemorySegment dst, long dstOff, int n) {
        final IntVector absMask = IntVector.broadcast(I, 0x7FFFFFFF);
        final IntVector signBit = IntVector.broadcast(I, 0x8000);
        final IntVector rebias = IntVector.broadcast(I, F16_ROUND_REBIAS);
        final IntVector one = IntVector.broadcast(I, 1);
        final IntVector minNormal = IntVector.broadcast(I, F16_MIN_NORMAL_BITS);
        final IntVector overflow = IntVector.broadcast(I, F16_OVERFLOW_BITS);
        final IntVector infBits = IntVector.broadcast(I, 0x7F800000);
        final IntVector infHalf = IntVector.broadcast(I, 0x7C00);
        final IntVector half = IntVector.broadcast(I, F16_SUBNORMAL_BIAS);
        final FloatVector halfF = FloatVector.broadcast(F, 0.5f);
        final IntVector nan1 = IntVector.broadcast(I, 0x007FE000);
        final IntVector nanHigh = IntVector.broadcast(I, 0x7C00 | NAN_QUIET);
        final IntVector nan2 = IntVector.broadcast(I, NAN_MID);
        final IntVector nan3 = IntVector.broadcast(I, NAN_LOW);
        final int lanes = I.length();
        final int end = n - n % lanes;
        int i = 0;
        for (; i < end; i += lanes) {
            IntVector b = IntVector.fromMemorySegment(I, src, 4L * i, ORDER);
            IntVector sign = b.lanewise(VectorOperators.LSHR, 16).and(signBit);
            IntVector a = b.and(absMask);
            IntVector normal = a.sub(rebias).add(a.lanewise(VectorOperators.LSHR, 13).and(one))
                    .lanewise(VectorOperators.LSHR, 13);
            IntVector subnormal = a.reinterpretAsFloats().add(halfF).reinterpretAsInts().sub(half);
            IntVector nan = nanHigh.or(b.and(nan1).lanewise(VectorOperators.LSHR, 13))
                    .or(b.and(nan2).lanewise(VectorOperators.LSHR, 4)).or(b.and(nan3));
            IntVector r = normal.blend(subnormal, a.compare(VectorOperators.LT, minNormal))
                    .blend(infHalf, a.compare(VectorOperators.GT, overflow))
                    .blend(nan, a.compare(VectorOperators.GT, infBits))
                    .or(sign);
            ShortVector h = (ShortVector) r.convertShape(VectorOperators.I2S, S, 0);
            h.reinterpretAsBytes().intoMemorySegment(dst, dstOff + 2L * i, ORDER);
        }
        for (; i < n; i++) {
            dst.set(JAVA_SHORT_UNALIGNED, dstOff + 2L * i, HalfFloats.floatToF16(src.getAtIndex(JAVA_FLOAT_UNALIGNED, i)));
        }
    }
}
