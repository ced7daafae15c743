package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.elu4j.Backend;
import org.elu4j.Elu4j;
import org.elu4j.internal.HalfFloats;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.ConformanceSuite;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.Test;

/**
 * The Vector API backend on the conformance suite, at the JIT's widest float vector
 * ({@link Machine#jvmFloatLanes()}: the awkward sizes are its lanes ± 1); it computes bf16/f16 in
 * f32. Where the JIT has no FMA or 128-bit vectors ({@code -XX:UseAVX=0}) the backend is refused
 * and the suite is skipped with that reason ({@code AutoConformanceTest} checks the refusal).
 * Specific here: the lanes it reports, and its half-precision conversions. Its float kernel's
 * bits against the helper's: {@code HelperConformanceTest}.
 */
class VectorConformanceTest extends ConformanceSuite {
    @Override
    protected Candidate subject() {
        return Candidate.of(Backend.VECTOR);
    }

    @Override
    protected int lanes() {
        int lanes = Machine.jvmFloatLanes();
        return lanes >= 4 ? Math.min(lanes, 16) : 16;
    }

    @Override
    protected boolean halfIsItsF32ResultRounded() {
        return true;
    }

    /** The Vector API backend uses the JIT's widest float vector: 4, 8 or 16 lanes as MaxVectorSize says. */
    @Test
    void lanesAgreeWithTheJvm() {
        String vector = Elu4j.backends().stream().filter(s -> s.backend() == Backend.VECTOR).findFirst().orElseThrow().detail();
        int lanes = Machine.jvmFloatLanes();
        assertTrue(lanes == 4 || lanes == 8 || lanes == 16, "MaxVectorSize/4 = " + lanes);
        assertTrue(vector.contains(Math.min(lanes, 16) + " float lanes"), vector + " vs the JVM's " + lanes);
    }

    /** The vector conversions against HalfFloats: every half pattern, and floats over the whole range. */
    @Test
    void halfConversionsAreHalfFloatsBitForBit() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 1 << 16;
            MemorySegment h = arena.allocate(2L * n, 64);
            MemorySegment f = arena.allocate(4L * n, 64);
            for (int i = 0; i < n; i++) {
                h.setAtIndex(JAVA_SHORT_UNALIGNED, i, (short) i);
            }
            for (int rep = 0; rep < 3; rep++) { // again once the loops are compiled
                HalfKernels.widenBf16(h, 0, f, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(HalfFloats.bf16ToFloat((short) i)),
                            Float.floatToRawIntBits(f.getAtIndex(JAVA_FLOAT_UNALIGNED, i)), "bf16 " + hex16(i));
                }
                HalfKernels.widenF16(h, 0, f, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(HalfFloats.f16ToFloat((short) i)),
                            Float.floatToRawIntBits(f.getAtIndex(JAVA_FLOAT_UNALIGNED, i)), "f16 " + hex16(i));
                }
            }
            // Floats: a stride over all 2^32 patterns, plus every neighbourhood of a half rounding edge.
            SplittableRandom r = new SplittableRandom(7);
            for (int rep = 0; rep < 40; rep++) {
                for (int i = 0; i < n; i++) {
                    int bits;
                    int k = i & 3;
                    if (k == 0) {
                        bits = (rep * n + i) * 65521; // a stride over all patterns
                    } else if (k == 1) {
                        bits = r.nextInt();
                    } else { // near a bf16 or f16 halfway point or edge
                        int base = (k == 2 ? (r.nextInt(0x10000) << 16) : Float.floatToRawIntBits(
                                HalfFloats.f16ToFloat((short) r.nextInt(0x10000))));
                        int half = k == 2 ? 0x8000 : 1 << r.nextInt(14, 24);
                        bits = base + half + r.nextInt(-2, 3);
                    }
                    f.setAtIndex(JAVA_FLOAT_UNALIGNED, i, Float.intBitsToFloat(bits));
                }
                HalfKernels.narrowBf16(f, h, 0, n);
                for (int i = 0; i < n; i++) {
                    float v = f.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                    assertEquals(hex16(HalfFloats.floatToBf16(v)), hex16(h.getAtIndex(JAVA_SHORT_UNALIGNED, i)),
                            "bf16 of " + Integer.toHexString(Float.floatToRawIntBits(v)));
                }
                HalfKernels.narrowF16(f, h, 0, n);
                for (int i = 0; i < n; i++) {
                    float v = f.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                    assertEquals(hex16(HalfFloats.floatToF16(v)), hex16(h.getAtIndex(JAVA_SHORT_UNALIGNED, i)),
                            "f16 of " + Integer.toHexString(Float.floatToRawIntBits(v)));
                }
            }
        }
    }

    private static String hex16(long s) {
        return String.format("0x%04x", s & 0xFFFF);
    }
}
