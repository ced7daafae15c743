package org.elu4j.internal;

import java.lang.foreign.MemorySegment;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Objects;
import org.elu4j.DataType;

/**
 * {@code Elu}'s adapters for NIO buffers and {@code short[]} halves: which element type a buffer
 * implies, and the segment over it once its kind and byte order fit; each refusal an
 * {@link IllegalArgumentException} naming the argument, before anything is written.
 */
public final class Buffers {
    private Buffers() {
    }

    /** {@code type}, which a {@code short[]} must be: BF16 or F16. */
    public static DataType halfType(DataType type) {
        Objects.requireNonNull(type, "type");
        if (type != DataType.BF16 && type != DataType.F16) {
            throw new IllegalArgumentException("a short[] holds BF16 or F16 patterns, not " + type);
        }
        return type;
    }

    /** The element type a buffer implies (F32 for a FloatBuffer, F64 for a DoubleBuffer); the others need one given. */
    public static DataType impliedType(Buffer buffer, String name) {
        Objects.requireNonNull(buffer, name);
        if (buffer instanceof FloatBuffer) {
            return DataType.F32;
        }
        if (buffer instanceof DoubleBuffer) {
            return DataType.F64;
        }
        if (buffer instanceof ByteBuffer || buffer instanceof ShortBuffer) {
            throw new IllegalArgumentException(name + " is a " + kindOf(buffer)
                    + ": give its element type (the overload that takes a DataType)");
        }
        throw new IllegalArgumentException(name + " is a " + kindOf(buffer)
                + ": elu4j takes ByteBuffer, ShortBuffer, FloatBuffer and DoubleBuffer");
    }

    /**
     * The element type two buffers of one kind imply ({@link #impliedType(Buffer, String)}); a
     * second buffer of another kind than the first is refused (the overloads without a type take
     * FloatBuffers or DoubleBuffers, all of one kind).
     */
    public static DataType impliedType(String firstName, Buffer first, String otherName, Buffer other) {
        DataType type = impliedType(first, firstName);
        Objects.requireNonNull(other, otherName);
        if (!kindOf(other).equals(kindOf(first))) {
            throw new IllegalArgumentException(otherName + " is a " + kindOf(other) + ", " + firstName + " a "
                    + kindOf(first) + ": without a type, the buffers must be of one kind (FloatBuffer or DoubleBuffer)");
        }
        return type;
    }

    /** {@link #impliedType(String, Buffer, String, Buffer)} for three buffers. */
    public static DataType impliedType(String firstName, Buffer first, String secondName, Buffer second,
            String thirdName, Buffer third) {
        impliedType(firstName, first, secondName, second);
        return impliedType(firstName, first, thirdName, third);
    }

    /**
     * The segment over a buffer's remaining elements, once its kind can hold {@code type} and its
     * order is the platform's (elu4j reads elements in native order); {@code name} for the message.
     */
    public static MemorySegment segmentOf(Buffer buffer, DataType type, String name) {
        Objects.requireNonNull(buffer, name);
        Objects.requireNonNull(type, "type");
        ByteOrder order;
        boolean fits;
        switch (buffer) {
            case ByteBuffer b -> {
                order = b.order();
                fits = true;
            }
            case ShortBuffer b -> {
                order = b.order();
                fits = type == DataType.BF16 || type == DataType.F16;
            }
            case FloatBuffer b -> {
                order = b.order();
                fits = type == DataType.F32;
            }
            case DoubleBuffer b -> {
                order = b.order();
                fits = type == DataType.F64;
            }
            default -> throw new IllegalArgumentException(name + " is a " + kindOf(buffer)
                    + ": elu4j takes ByteBuffer, ShortBuffer, FloatBuffer and DoubleBuffer");
        }
        if (!fits) {
            throw new IllegalArgumentException(name + " is a " + kindOf(buffer) + ", which cannot hold " + type);
        }
        if (order != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException(name + " is a " + order + " " + kindOf(buffer) + "; elu4j reads "
                    + "elements in the platform's order (" + ByteOrder.nativeOrder() + ")"
                    + (buffer instanceof ByteBuffer ? ": call order(ByteOrder.nativeOrder()) on it"
                    : ": make the view from a ByteBuffer set to that order first (order(ByteOrder.nativeOrder()),"
                    + " then as" + kindOf(buffer) + "())"));
        }
        return MemorySegment.ofBuffer(buffer);
    }

    private static String kindOf(Buffer buffer) {
        for (Class<?> c : new Class<?>[] {ByteBuffer.class, ShortBuffer.class, FloatBuffer.class, DoubleBuffer.class,
                java.nio.IntBuffer.class, java.nio.LongBuffer.class, java.nio.CharBuffer.class}) {
            if (c.isInstance(buffer)) {
                return c.getSimpleName();
            }
        }
        return buffer.getClass().getSimpleName();
    }

}
