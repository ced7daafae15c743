package org.elu4j.internal.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import org.elu4j.DataType;

/**
 * How a kernel of the family ({@link F32Kernels}, {@link F64Kernels}, {@link F32Backward},
 * {@link F32DoubleLaneBackward}) runs over a call's segments; which kernel runs is
 * {@link FamilyKernels}' choice. Kept apart from the kernels because it is the one place that
 * knows about heap memory, partial blocks and half types, so the kernels only ever see native
 * memory in whole blocks:
 * <ul>
 * <li>f32/f64 on native segments: the kernel runs directly over whole blocks of
 *     {@link #BLOCK_BYTES}; the last partial block is copied into a per-thread native stage,
 *     computed there with the same kernel and copied back (no masked tail, and a result never
 *     depends on its position or on the length).</li>
 * <li>heap segments (any of them): chunks of 16 KiB are copied into the per-thread native
 *     stage, computed there and copied back (see {@link VectorBackend}'s {@code SCRATCH} for why
 *     heap memory never reaches a vector access).</li>
 * <li>bfloat16/binary16: chunks of 4096 elements are widened into a native float stage (read
 *     directly from native segments, from a raw copy for heap ones), computed by exactly the
 *     f32 kernel (the same bits as f32) and rounded back to nearest even.</li>
 * <li>a fix-up (ELU with a negative input scale, {@link FamilyKernels}): always staged, so that
 *     it can recompute the few elements beyond the kernels' exponent range in the stage.</li>
 * </ul>
 */
final class Staging {
    /**
     * The kernels of F32Kernels, F32DoubleLaneBackward and F64Kernels take byte counts that are
     * multiples of this (two preferred vectors: 128 bytes with AVX-512); it divides
     * {@link #STAGE_BYTES}.
     */
    static final long BLOCK_BYTES = 2L * FloatVector.SPECIES_PREFERRED.vectorByteSize();
    /** Bytes of one stage buffer: 4096 floats, 2048 doubles, or the floats of 4096 halves. */
    private static final int STAGE_BYTES = 16 * 1024;
    /** Elements of bfloat16/binary16 per chunk. */
    private static final int HALF_CHUNK = STAGE_BYTES / Float.BYTES;

    /** Per-thread native buffers: a, b, c of STAGE_BYTES, r (raw halves) of STAGE_BYTES / 2. */
    record Stage(MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment r) {
        static Stage create() {
            MemorySegment all = Arena.ofAuto().allocate(3L * STAGE_BYTES + STAGE_BYTES / 2, 64);
            return new Stage(all.asSlice(0, STAGE_BYTES), all.asSlice(STAGE_BYTES, STAGE_BYTES),
                    all.asSlice(2L * STAGE_BYTES, STAGE_BYTES), all.asSlice(3L * STAGE_BYTES, STAGE_BYTES / 2));
        }
    }

    private static final ThreadLocal<Stage> STAGE = ThreadLocal.withInitial(Stage::create);

    /** A forward kernel on native segments: {@code bytes} is a multiple of {@link #BLOCK_BYTES}. */
    @FunctionalInterface
    interface Map1 {
        void run(MemorySegment src, MemorySegment dst, long bytes);
    }

    /** A backward kernel on native segments: {@code bytes} is a multiple of {@link #BLOCK_BYTES}. */
    @FunctionalInterface
    interface Map2 {
        void run(MemorySegment dy, MemorySegment xy, MemorySegment dx, long bytes);
    }

    /**
     * A fused bf16/f16 forward loop (the conversions in registers) over [from, to) of native
     * segments, whole int vectors of halves ({@link HalfElu#STEP_BYTES}), with its parameters
     * {@code p}: returns the offset of the int vector it stopped at, unwritten, or {@code to}.
     */
    @FunctionalInterface
    interface Fused1<P> {
        long run(MemorySegment src, MemorySegment dst, long from, long to, P p);
    }

    /** The backward counterpart of {@link Fused1}. */
    @FunctionalInterface
    interface Fused2<P> {
        long run(MemorySegment dy, MemorySegment xy, MemorySegment dx, long from, long to, P p);
    }

    /** Recomputes the out-of-range elements of a staged forward chunk ({@code n} elements). */
    @FunctionalInterface
    interface Fix1 {
        void run(MemorySegment x, MemorySegment y, int n);
    }

    /** Recomputes the out-of-range elements of a staged backward chunk ({@code n} elements). */
    @FunctionalInterface
    interface Fix2 {
        void run(MemorySegment dy, MemorySegment x, MemorySegment dx, int n);
    }

    private Staging() {
    }

    /**
     * A bf16/f16 forward through a fused loop where it can run: {@code loop} over the native part
     * that fills whole int vectors, each int vector it stops at through {@code rest} (the staged
     * path with the same parameters, the same bits), and the remainder or heap segments through
     * {@code rest} as well. dst may be src where the loop loads each int vector before storing it.
     */
    static <P> void forwardHalfFused(Fused1<P> loop, DataType type, P p, Map1 rest, MemorySegment src,
            MemorySegment dst) {
        final long step = HalfElu.STEP_BYTES;
        final long bytes = src.byteSize() & ~1L;
        long main = 0;
        if (src.isNative() && dst.isNative()) {
            main = bytes - bytes % step;
            long off = 0;
            while (off < main) {
                off = loop.run(src, dst, off, main, p);
                if (off < main) {
                    forwardHalf(rest, null, type, src.asSlice(off, step), dst.asSlice(off, step));
                    off += step;
                }
            }
        }
        if (main < bytes) {
            forwardHalf(rest, null, type, src.asSlice(main, bytes - main), dst.asSlice(main, bytes - main));
        }
    }

    /**
     * The backward counterpart of {@link #forwardHalfFused}; {@code fuse} false runs everything
     * through {@code rest} (a loop that needs wider vectors than the JIT has).
     */
    static <P> void backwardHalfFused(Fused2<P> loop, boolean fuse, DataType type, P p, Map2 rest,
            MemorySegment dy, MemorySegment xy, MemorySegment dx) {
        final long step = HalfElu.STEP_BYTES;
        final long bytes = dy.byteSize() & ~1L;
        long main = 0;
        if (fuse && dy.isNative() && xy.isNative() && dx.isNative()) {
            main = bytes - bytes % step;
            long off = 0;
            while (off < main) {
                off = loop.run(dy, xy, dx, off, main, p);
                if (off < main) {
                    backwardHalf(rest, null, type, dy.asSlice(off, step), xy.asSlice(off, step), dx.asSlice(off, step));
                    off += step;
                }
            }
        }
        if (main < bytes) {
            backwardHalf(rest, null, type, dy.asSlice(main, bytes - main), xy.asSlice(main, bytes - main),
                    dx.asSlice(main, bytes - main));
        }
    }

    private static long roundUpToBlock(long bytes) {
        return (bytes + BLOCK_BYTES - 1) / BLOCK_BYTES * BLOCK_BYTES;
    }

    /** f32/f64 forward: whole blocks directly on native memory, the rest (or everything) staged. */
    static void forwardWide(Map1 k, Fix1 fix, int elementBytes, MemorySegment src, MemorySegment dst) {
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
    static void backwardWide(Map2 k, Fix2 fix, int elementBytes, MemorySegment dy, MemorySegment xy,
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
    static void forwardHalf(Map1 k, Fix1 fix, DataType type, MemorySegment src, MemorySegment dst) {
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
    static void backwardHalf(Map2 k, Fix2 fix, DataType type, MemorySegment dy, MemorySegment xy,
            MemorySegment dx) {
        final long count = dy.byteSize() / 2;
        final Stage st = STAGE.get();
        for (long first = 0; first < count; first += HALF_CHUNK) {
            int n = (int) Math.min(HALF_CHUNK, count - first);
            widen(type, dy, first, n, st.a, st);
            widen(type, xy, first, n, st.b, st);
            clearTail(st, 4L * n, roundUpToBlock(4L * n)); // the f32 pairs from x decide per group
            k.run(st.a, st.b, st.c, roundUpToBlock(4L * n));
            if (fix != null) {
                fix.run(st.a, st.b, st.c, n);
            }
            narrow(type, st.c, dx, first, n, st);
        }
    }
}
