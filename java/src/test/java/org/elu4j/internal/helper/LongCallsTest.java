package org.elu4j.internal.helper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.testing.Family;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Calls longer than {@link HelperCalls#CRITICAL_MAX_BYTES} (an ordinary downcall on native
 * memory, critical calls of that size each on heap arrays) give the bits of calls below it: the
 * same tensor run whole on native memory, whole on a heap array (in place too), and in pieces of
 * 1,024 elements, each a short critical call; forward and backward from the input and from the output, at an odd
 * length and misaligned starts (the pieces keep the kernels' groups of 16 elements from the
 * call's start, on which backward's path depends; backward's NaNs may differ in payload:
 * {@link #sameGradients}).
 */
class LongCallsTest {
    @ParameterizedTest
    @EnumSource(DataType.class)
    void longCallsGiveTheBitsOfShortOnes(DataType type) {
        assumeTrue(Elu4j.isAvailable(Backend.HELPER), () -> "helper unavailable: " + Elu4j.backends());
        Elu elu = Elu.selu().on(Backend.HELPER);
        long size = type.byteSize();
        int n = (int) (3 * HelperCalls.CRITICAL_MAX_BYTES / size + 17);
        long bytes = n * size;
        SplittableRandom random = new SplittableRandom(type.ordinal());
        byte[] x = Family.inputs(type, org.elu4j.internal.Op.elu(1), n, n);
        byte[] dy = new byte[(int) bytes];
        for (int i = 0; i < n; i++) {
            MemorySegment.ofArray(dy).asSlice(i * size, size).copyFrom(
                    MemorySegment.ofArray(x).asSlice(((long) random.nextInt(n)) * size, size));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocate(bytes + 3, 64).asSlice(3, bytes).copyFrom(MemorySegment.ofArray(x));
            MemorySegment dys = arena.allocate(bytes + 3, 64).asSlice(3, bytes).copyFrom(MemorySegment.ofArray(dy));
            MemorySegment pieces = arena.allocate(bytes, 64);
            MemorySegment piecesDx = arena.allocate(bytes, 64);
            MemorySegment piecesFromY = arena.allocate(bytes, 64);
            for (long at = 0; at < bytes; at += 1024 * size) {
                long b = Math.min(1024 * size, bytes - at);
                elu.apply(xs.asSlice(at, b), pieces.asSlice(at, b), type);
                elu.backwardFromInput(dys.asSlice(at, b), xs.asSlice(at, b), piecesDx.asSlice(at, b), type);
                elu.backwardFromOutput(dys.asSlice(at, b), pieces.asSlice(at, b), piecesFromY.asSlice(at, b), type);
            }
            // whole, native: the ordinary downcall
            MemorySegment whole = arena.allocate(bytes + 5, 64).asSlice(5, bytes);
            MemorySegment wholeDx = arena.allocate(bytes, 64);
            elu.apply(xs, whole, type);
            elu.backwardFromInput(dys, xs, wholeDx, type);
            assertEquals(-1, whole.mismatch(pieces), type + " forward, native");
            sameGradients(type, wholeDx, piecesDx, "backward, native");
            MemorySegment wholeFromY = arena.allocate(bytes, 64);
            elu.backwardFromOutput(dys, whole, wholeFromY, type);
            sameGradients(type, wholeFromY, piecesFromY, "backward from y, native");
            // whole, heap arrays: critical calls of CRITICAL_MAX_BYTES each, at a misaligned offset
            MemorySegment heapX = MemorySegment.ofArray(new byte[(int) bytes + 2]).asSlice(2, bytes).copyFrom(xs);
            MemorySegment heapDy = MemorySegment.ofArray(new byte[(int) bytes + 2]).asSlice(2, bytes).copyFrom(dys);
            MemorySegment heapY = MemorySegment.ofArray(new byte[(int) bytes]);
            MemorySegment heapDx = MemorySegment.ofArray(new byte[(int) bytes]);
            elu.apply(heapX, heapY, type);
            elu.backwardFromInput(heapDy, heapX, heapDx, type);
            assertEquals(-1, heapY.mismatch(pieces), type + " forward, heap");
            sameGradients(type, heapDx, piecesDx, "backward, heap");
            MemorySegment heapFromY = MemorySegment.ofArray(new byte[(int) bytes]);
            elu.backwardFromOutput(heapDy, heapY, heapFromY, type);
            sameGradients(type, heapFromY, piecesFromY, "backward from y, heap");
            // in place on the heap (dx over dy, y over x)
            elu.backwardFromInput(heapDy, heapX, heapDy, type);
            elu.apply(heapX, heapX, type);
            assertEquals(-1, heapX.mismatch(pieces), type + " forward in place, heap");
            sameGradients(type, heapDy, piecesDx, "backward in place, heap");
        }
    }

    /**
     * The same bits but for NaNs, which backward may give with any payload (which of x and dy it
     * comes from is the kernel's, and differs between its vector loop and its tail).
     */
    private static void sameGradients(DataType type, MemorySegment got, MemorySegment want, String what) {
        int size = type.byteSize();
        for (long i = 0; i < got.byteSize() / size; i++) {
            double g = value(type, got, i);
            double w = value(type, want, i);
            if (!(Double.isNaN(g) && Double.isNaN(w))) {
                assertEquals(-1, got.asSlice(i * size, size).mismatch(want.asSlice(i * size, size)),
                        () -> type + " " + what + ": element differs: " + g + " vs " + w);
            }
        }
    }

    private static double value(DataType type, MemorySegment s, long i) {
        return switch (type) {
            case F32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            case F64 -> s.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
            case BF16 -> Float.intBitsToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) << 16);
            case F16 -> Float.float16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
        };
    }
}
