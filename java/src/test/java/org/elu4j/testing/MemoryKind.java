package org.elu4j.testing;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import org.elu4j.DataType;
import org.elu4j.Elu;

/**
 * The kinds of memory the public API takes, each reached through its own overload: a tensor of
 * one kind is made from native-order bytes, padded with guard bytes where the kind has room
 * around it, and read back after the call.
 */
public enum MemoryKind {
    /** A native segment at a 64-byte aligned address ({@code apply(MemorySegment, MemorySegment[, type])}). */
    NATIVE_ALIGNED,
    /**
     * A native segment off every vector boundary: at an odd address (no alignment at all) or one or
     * three elements past a 64-byte boundary, varying between the operands of a call.
     */
    NATIVE_ODD,
    /**
     * A heap segment ({@code MemorySegment.ofArray(long[])}) one to three elements into its array:
     * aligned to the element, not to a vector ({@code apply(MemorySegment, MemorySegment[, type])}).
     */
    HEAP_SEGMENT,
    /** {@code float[]}, {@code double[]} or {@code short[]} + type, whole arrays. */
    HEAP_ARRAY,
    /** A direct {@code FloatBuffer}/{@code DoubleBuffer}/{@code ShortBuffer} in native order, between position and limit. */
    DIRECT_BUFFER,
    /** A heap (wrapped array) typed buffer, between position and limit. */
    HEAP_BUFFER,
    /** A direct {@code ByteBuffer} in native order with the type given, at an odd position. */
    BYTE_BUFFER,
    /** A heap {@code ByteBuffer} in native order with the type given, at an odd position. */
    HEAP_BYTE_BUFFER;

    private static final byte GUARD = (byte) 0x5A;
    /** Elements of padding on each side of a typed buffer's window. */
    private static final int PAD = 3;

    /** Whether the memory is on the Java heap (oneDNN refuses it). */
    public boolean heap() {
        return this == HEAP_SEGMENT || this == HEAP_ARRAY || this == HEAP_BUFFER || this == HEAP_BYTE_BUFFER;
    }

    /** A tensor of this kind holding {@code content}; {@code role} varies the odd offsets between operands. */
    public Tensor make(Arena arena, DataType type, byte[] content, int role) {
        int bytes = content.length;
        int n = bytes / type.byteSize();
        int size = type.byteSize();
        return switch (this) {
            case NATIVE_ALIGNED, NATIVE_ODD -> {
                // misaligned: an odd address, or one or three elements past a 64-byte boundary
                long off = this == NATIVE_ALIGNED ? 64 : 64 + new long[] {1, size, 3, 3L * size, 5, 7}[role % 6];
                MemorySegment whole = arena.allocate(bytes + 128, 64).fill(GUARD);
                MemorySegment window = whole.asSlice(off, bytes);
                MemorySegment.copy(content, 0, window, JAVA_BYTE, 0, bytes);
                yield new Tensor(this, type, window, window, whole, off, null, -1, -1);
            }
            case HEAP_SEGMENT -> {
                long off = (long) size * (1 + role % 3);
                MemorySegment whole = MemorySegment.ofArray(new long[(int) ((bytes + off + 16 + 7) / 8)]).fill(GUARD);
                MemorySegment window = whole.asSlice(off, bytes);
                MemorySegment.copy(content, 0, window, JAVA_BYTE, 0, bytes);
                yield new Tensor(this, type, window, window, whole, off, null, -1, -1);
            }
            case HEAP_ARRAY -> {
                Object array = switch (type) {
                    case F32 -> new float[n];
                    case F64 -> new double[n];
                    case BF16, F16 -> new short[n];
                };
                MemorySegment window = heapSegment(array);
                MemorySegment.copy(content, 0, window, JAVA_BYTE, 0, bytes);
                yield new Tensor(this, type, array, window, window, 0, null, -1, -1);
            }
            case DIRECT_BUFFER, HEAP_BUFFER -> {
                int total = n + 2 * PAD;
                Buffer buffer;
                MemorySegment whole;
                if (this == DIRECT_BUFFER) {
                    ByteBuffer bb = ByteBuffer.allocateDirect(total * size).order(ByteOrder.nativeOrder());
                    buffer = switch (type) {
                        case F32 -> bb.asFloatBuffer();
                        case F64 -> bb.asDoubleBuffer();
                        case BF16, F16 -> bb.asShortBuffer();
                    };
                    whole = MemorySegment.ofBuffer(bb);
                } else {
                    Object array = switch (type) {
                        case F32 -> new float[total];
                        case F64 -> new double[total];
                        case BF16, F16 -> new short[total];
                    };
                    whole = heapSegment(array);
                    buffer = switch (type) {
                        case F32 -> FloatBuffer.wrap((float[]) array);
                        case F64 -> DoubleBuffer.wrap((double[]) array);
                        case BF16, F16 -> ShortBuffer.wrap((short[]) array);
                    };
                }
                whole.fill(GUARD);
                buffer.position(PAD).limit(PAD + n);
                MemorySegment window = whole.asSlice((long) PAD * size, bytes);
                MemorySegment.copy(content, 0, window, JAVA_BYTE, 0, bytes);
                yield new Tensor(this, type, buffer, window, whole, (long) PAD * size, buffer, PAD, PAD + n);
            }
            case BYTE_BUFFER, HEAP_BYTE_BUFFER -> {
                int off = 1 + 2 * (role % 4);
                int total = bytes + 16;
                ByteBuffer bb = (this == BYTE_BUFFER ? ByteBuffer.allocateDirect(total) : ByteBuffer.wrap(new byte[total]))
                        .order(ByteOrder.nativeOrder());
                MemorySegment whole = MemorySegment.ofBuffer(bb);
                whole.fill(GUARD);
                bb.position(off).limit(off + bytes);
                MemorySegment window = whole.asSlice(off, bytes);
                MemorySegment.copy(content, 0, window, JAVA_BYTE, 0, bytes);
                yield new Tensor(this, type, bb, window, whole, off, bb, off, off + bytes);
            }
        };
    }

    private static MemorySegment heapSegment(Object array) {
        return switch (array) {
            case float[] a -> MemorySegment.ofArray(a);
            case double[] a -> MemorySegment.ofArray(a);
            case short[] a -> MemorySegment.ofArray(a);
            default -> throw new IllegalArgumentException(array.getClass().toString());
        };
    }

    /**
     * One operand: {@code arg} is what the public API is given (segment, array or buffer),
     * {@code segment} the same memory as a segment (for calls below the public API), {@code whole}
     * the memory around it with guard bytes outside the window.
     */
    public record Tensor(MemoryKind kind, DataType type, Object arg, MemorySegment segment, MemorySegment whole,
            long offset, Buffer buffer, int position, int limit) {

        /** The window's current bytes. */
        public byte[] read() {
            return segment.toArray(JAVA_BYTE);
        }

        /** The whole memory's bytes (window and guards). */
        public byte[] snapshot() {
            return whole.toArray(JAVA_BYTE);
        }

        /** Null if nothing outside the window changed and the buffer's position and limit did not move. */
        public String outsideProblem() {
            if (buffer != null && (buffer.position() != position || buffer.limit() != limit)) {
                return "buffer position/limit moved: " + buffer.position() + "/" + buffer.limit() + ", was " + position
                        + "/" + limit;
            }
            long end = offset + segment.byteSize();
            for (long i = 0; i < whole.byteSize(); i++) {
                if ((i < offset || i >= end) && whole.get(JAVA_BYTE, i) != GUARD) {
                    return "wrote outside the tensor at byte " + (i - offset) + " relative to its start";
                }
            }
            return null;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The public API, through the overload of each kind

    /** Forward through the overload of this kind ({@code dst} may be {@code src}: in place). */
    public static void forward(Elu elu, Tensor src, Tensor dst) {
        DataType t = src.type();
        boolean inPlace = src == dst;
        switch (src.kind()) {
            case NATIVE_ALIGNED, NATIVE_ODD, HEAP_SEGMENT -> {
                MemorySegment s = (MemorySegment) src.arg();
                if (inPlace) {
                    if (t == DataType.F32) {
                        elu.applyInPlace(s);
                    } else {
                        elu.applyInPlace(s, t);
                    }
                } else if (t == DataType.F32) {
                    elu.apply(s, (MemorySegment) dst.arg());
                } else {
                    elu.apply(s, (MemorySegment) dst.arg(), t);
                }
            }
            case HEAP_ARRAY -> {
                switch (src.arg()) {
                    case float[] a -> {
                        if (inPlace) {
                            elu.applyInPlace(a);
                        } else {
                            elu.apply(a, (float[]) dst.arg());
                        }
                    }
                    case double[] a -> {
                        if (inPlace) {
                            elu.applyInPlace(a);
                        } else {
                            elu.apply(a, (double[]) dst.arg());
                        }
                    }
                    case short[] a -> {
                        if (inPlace) {
                            elu.applyInPlace(a, t);
                        } else {
                            elu.apply(a, (short[]) dst.arg(), t);
                        }
                    }
                    default -> throw new AssertionError();
                }
            }
            case DIRECT_BUFFER, HEAP_BUFFER -> {
                if (t == DataType.F32 || t == DataType.F64) {
                    elu.apply((Buffer) src.arg(), (Buffer) dst.arg()); // the type implied by the buffer
                } else {
                    elu.apply((Buffer) src.arg(), (Buffer) dst.arg(), t);
                }
            }
            case BYTE_BUFFER, HEAP_BYTE_BUFFER -> elu.apply((Buffer) src.arg(), (Buffer) dst.arg(), t);
        }
    }

    /** Backward through the overload of this kind ({@code dx} may be {@code dy}). */
    public static void backward(Elu elu, boolean fromOutput, Tensor dy, Tensor xy, Tensor dx) {
        DataType t = dy.type();
        switch (dy.kind()) {
            case NATIVE_ALIGNED, NATIVE_ODD, HEAP_SEGMENT -> {
                MemorySegment g = (MemorySegment) dy.arg();
                MemorySegment v = (MemorySegment) xy.arg();
                MemorySegment d = (MemorySegment) dx.arg();
                if (t == DataType.F32) {
                    if (fromOutput) {
                        elu.backwardFromOutput(g, v, d);
                    } else {
                        elu.backwardFromInput(g, v, d);
                    }
                } else if (fromOutput) {
                    elu.backwardFromOutput(g, v, d, t);
                } else {
                    elu.backwardFromInput(g, v, d, t);
                }
            }
            case HEAP_ARRAY -> {
                switch (dy.arg()) {
                    case float[] g -> {
                        if (fromOutput) {
                            elu.backwardFromOutput(g, (float[]) xy.arg(), (float[]) dx.arg());
                        } else {
                            elu.backwardFromInput(g, (float[]) xy.arg(), (float[]) dx.arg());
                        }
                    }
                    case double[] g -> {
                        if (fromOutput) {
                            elu.backwardFromOutput(g, (double[]) xy.arg(), (double[]) dx.arg());
                        } else {
                            elu.backwardFromInput(g, (double[]) xy.arg(), (double[]) dx.arg());
                        }
                    }
                    case short[] g -> {
                        if (fromOutput) {
                            elu.backwardFromOutput(g, (short[]) xy.arg(), (short[]) dx.arg(), t);
                        } else {
                            elu.backwardFromInput(g, (short[]) xy.arg(), (short[]) dx.arg(), t);
                        }
                    }
                    default -> throw new AssertionError();
                }
            }
            case DIRECT_BUFFER, HEAP_BUFFER, BYTE_BUFFER, HEAP_BYTE_BUFFER -> {
                if (fromOutput) {
                    elu.backwardFromOutput((Buffer) dy.arg(), (Buffer) xy.arg(), (Buffer) dx.arg(), t);
                } else {
                    elu.backwardFromInput((Buffer) dy.arg(), (Buffer) xy.arg(), (Buffer) dx.arg(), t);
                }
            }
        }
    }
}
