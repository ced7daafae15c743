package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The vector backend's cold start ({@link ColdStart}): its scalar form of the f32 ELU kernel gives
 * the kernel's bits for every negative float, for special values, at every length and offset; and
 * the calls do switch to the kernel once C2 has compiled it. Where the JIT cannot run the vector
 * backend (no FMA, or vectors under 128 bits: {@code -XX:UseAVX=0}) these tests are skipped with
 * that reason: the backend is refused there, so neither form ever runs.
 */
class ColdStartTest {
    /** Alphas of the float ELU kernel: 1 (plain ELU) and others, zero and negative included. */
    private static final float[] ALPHAS = {1f, 0.5f, 2f, 1.3f, 1.6732632f, 0f, -1.5f};

    @BeforeEach
    void vectorRuns() {
        String obstacle = Machine.vectorObstacle();
        assumeTrue(obstacle == null, "the JIT has no " + obstacle + " here, so the vector backend is refused");
    }

    /**
     * Kernel against scalar form, alpha 1: every float in [-88, -2^-30] (305 million, where the
     * arithmetic depends on the input: below -88 the clamp makes every input -88, above -2^-30 the
     * result is x), and every 101st pattern of the other negatives, NaNs included.
     */
    @Test
    void scalarFormIsTheKernelForEveryNegativeFloatWhoseArithmeticDiffers() {
        int chunk = 1 << 22;
        long low = Float.floatToRawIntBits(-0x1p-30f) & 0xFFFF_FFFFL;
        long high = Float.floatToRawIntBits(-88f) & 0xFFFF_FFFFL;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * chunk, 64);
            MemorySegment kernel = arena.allocate(4L * chunk, 64);
            MemorySegment scalar = arena.allocate(4L * chunk, 64);
            long next = 0x8000_0000L;
            while (next <= 0xFFFF_FFFFL) {
                int n = 0;
                for (; n < chunk && next <= 0xFFFF_FFFFL; n++) {
                    x.setAtIndex(JAVA_FLOAT_UNALIGNED, n, Float.intBitsToFloat((int) next));
                    next += next >= low && next <= high ? 1 : 101;
                }
                VectorBackend.kernel(x, kernel, 4L * n, 1f);
                ColdStart.scalar(x, scalar, 4L * n, 1f);
                long diff = kernel.asSlice(0, 4L * n).mismatch(scalar.asSlice(0, 4L * n));
                if (diff >= 0) {
                    int i = (int) (diff / 4);
                    float in = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                    assertEquals(hex(kernel.getAtIndex(JAVA_FLOAT_UNALIGNED, i)), hex(scalar.getAtIndex(JAVA_FLOAT_UNALIGNED, i)),
                            "elu(" + in + " = " + hex(in) + ")");
                }
            }
        }
    }

    /**
     * Special values and random patterns of every kind (NaN payloads, infinities, zeros,
     * subnormals, the clamp's edge), with alphas other than 1, at every length up to five
     * vectors and every float offset within a vector: the kernel's masked tail and unaligned
     * accesses against the scalar loop.
     */
    @Test
    void scalarFormIsTheKernelForSpecialValuesLengthsOffsetsAndAlphas() {
        float[] specials = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL,
                -0x1p-126f * 0.75f, -1e-8f, -0x1p-25f, -0x1p-24f, -0.3466f, -0.5f, -1f, -17.33f, -87.33655f,
                Math.nextUp(-88f), -88f, Math.nextDown(-88f), -103.97f, -1e30f, -Float.MAX_VALUE, Float.MAX_VALUE,
                Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7fa0_0001),
                Float.intBitsToFloat(0xffc0_1234), Float.intBitsToFloat(0xff80_0001), 1f, 3.5f};
        int lanes = F32Kernels.F.length();
        int max = 5 * lanes + 3;
        SplittableRandom random = new SplittableRandom(20261206);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * (max + lanes), 64);
            MemorySegment kernel = arena.allocate(4L * (max + lanes), 64);
            MemorySegment scalar = arena.allocate(4L * (max + lanes), 64);
            for (int rep = 0; rep < 200; rep++) {
                for (int i = 0; i < max + lanes; i++) {
                    float v = switch (random.nextInt(3)) {
                        case 0 -> specials[random.nextInt(specials.length)];
                        case 1 -> Float.intBitsToFloat(random.nextInt());
                        default -> (float) random.nextDouble(-20, 1);
                    };
                    x.setAtIndex(JAVA_FLOAT_UNALIGNED, i, v);
                }
                float alpha = ALPHAS[rep % ALPHAS.length];
                for (int offset = 0; offset < lanes; offset += rep % 2 == 0 ? 1 : 3) {
                    for (int n = 0; n <= max; n += 1 + rep % 3) {
                        MemorySegment src = x.asSlice(4L * offset, 4L * n);
                        kernel.fill((byte) 0x55);
                        scalar.fill((byte) 0x55);
                        VectorBackend.kernel(src, kernel.asSlice(4L * offset, 4L * n), 4L * n, alpha);
                        ColdStart.scalar(src, scalar.asSlice(4L * offset, 4L * n), 4L * n, alpha);
                        long diff = kernel.mismatch(scalar);
                        if (diff >= 0) {
                            int i = (int) (diff / 4);
                            float in = x.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                            assertEquals(hex(kernel.getAtIndex(JAVA_FLOAT_UNALIGNED, i)),
                                    hex(scalar.getAtIndex(JAVA_FLOAT_UNALIGNED, i)), "alpha " + alpha + ", " + n
                                    + " floats at offset " + offset + ", element " + (i - offset) + ": elu(" + hex(in) + ")");
                        }
                    }
                }
            }
        }
    }

    /**
     * The warm-up thread ends, having found the kernel compiled, and from then on calls run the
     * kernel. Its limit is a minute; C2 compiles the kernel within seconds even on a busy CI
     * machine (this JVM's other tests may have started the thread already: the same outcome).
     */
    @Test
    void callsSwitchToTheKernelOnceC2HasCompiledIt() throws InterruptedException {
        assumeTrue(ColdStart.ENABLED, "-D" + ColdStart.PROPERTY + "=off");
        ColdStart.start();
        long deadline = System.nanoTime() + ColdStart.MAX_NANOS + 10_000_000_000L;
        while (!ColdStart.vectorReady && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(ColdStart.vectorReady, "the vector kernel was never found compiled");
        for (int i = 0; i < 100 && threadAlive(); i++) {
            Thread.sleep(20); // the thread logs its outcome after setting the flag
        }
        assertTrue(!threadAlive(), ColdStart.THREAD_NAME + " still runs after the switch");
    }

    private static boolean threadAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(ColdStart.THREAD_NAME));
    }

    private static String hex(float f) {
        return String.format("%08x (%s)", Float.floatToRawIntBits(f), f);
    }
}
