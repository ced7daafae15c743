package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.elu4j.DataType;
import org.elu4j.internal.HalfFloats;

/**
 * A warm-up pair's sample ({@link ColdStart}) in each kind of memory session a call can bring:
 * confined, shared, automatic (the staging buffers) and global ({@code Arena.global()}), each
 * kind an (x, y, z) set with the sample in x and y (a forward overwrites y, a backward reads it).
 * Compiled for one kind alone, a kernel's code was thrown away at the first call on another (a
 * profiled predicate), and calls then ran the Vector API's slow fallback, a hundred times slower,
 * for thousands of calls until C2 had compiled it again (benchmarks.md, "The switch on every kind
 * of arena"). Heap memory stays out: in the profile it made every call slower for good.
 */
final class SampleMemory implements AutoCloseable {
    /**
     * The global session's memory: Arena.global() never frees, so one block, reused by every pair
     * (only the warm-up thread uses it, one pair at a time: a thread starts only once the last one
     * has left {@link ColdStart}'s warm-up) and replaced by a larger one only where a sample needs more.
     */
    private static MemorySegment globalScratch = MemorySegment.NULL;

    private final Arena confined = Arena.ofConfined();
    private final Arena shared = Arena.ofShared();
    private final MemorySegment[][] sets;

    SampleMemory(float[] sample, DataType type) {
        long bytes = (long) sample.length * type.byteSize();
        Arena[] kinds = {confined, shared, Arena.ofAuto()};
        sets = new MemorySegment[kinds.length + 1][];
        try {
            for (int k = 0; k < kinds.length; k++) {
                sets[k] = new MemorySegment[] {kinds[k].allocate(bytes, 64), kinds[k].allocate(bytes, 64),
                    kinds[k].allocate(bytes, 64)};
            }
            sets[kinds.length] = globalSet(bytes);
        } catch (RuntimeException | Error e) { // out of memory: the arenas made so far are freed
            close();
            throw e;
        }
        for (MemorySegment[] set : sets) {
            fill(set[0], sample, type);
            fill(set[1], sample, type);
        }
    }

    /** The (x, y, z) sets, one per kind of session. */
    MemorySegment[][] sets() {
        return sets;
    }

    @Override
    public void close() {
        try (shared) {
            confined.close();
        }
    }

    /** Three 64-byte-aligned segments of {@code bytes} in {@link #globalScratch}. */
    private static MemorySegment[] globalSet(long bytes) {
        long stride = (bytes + 63) & ~63L;
        if (globalScratch.byteSize() < 3 * stride) {
            globalScratch = Arena.global().allocate(3 * stride, 64);
        }
        return new MemorySegment[] {globalScratch.asSlice(0, bytes), globalScratch.asSlice(stride, bytes),
            globalScratch.asSlice(2 * stride, bytes)};
    }

    /** The sample in {@code t}, rounded to the type. */
    private static void fill(MemorySegment t, float[] sample, DataType type) {
        for (int i = 0; i < sample.length; i++) {
            float v = sample[i];
            switch (type) {
                case BF16 -> t.setAtIndex(JAVA_SHORT_UNALIGNED, i, HalfFloats.floatToBf16(v));
                case F16 -> t.setAtIndex(JAVA_SHORT_UNALIGNED, i, HalfFloats.floatToF16(v));
                case F64 -> t.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, v);
                default -> t.setAtIndex(JAVA_FLOAT_UNALIGNED, i, v);
            }
        }
    }
}
