package org.elu4j.bench.startup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.elu4j.Backend;
import org.elu4j.Elu;

/**
 * What a second binding of the vector backend's f32 ELU does to calls that run the first one: ELU
 * (alpha 1) on the vector backend is called back to back until it runs compiled (8 s), then ELU
 * with alpha 2 is bound and called every 2,000 calls while ELU (alpha 1) goes on for 10 s; the
 * probe counts the alpha-1 calls slower than 10x and 100x the best alpha-1 call before. A kernel
 * method whose compiled code assumed only alpha 1 would be sent back to the interpreter here
 * (a deoptimisation: run with {@code -Xlog:deoptimization=debug} to see it), its calls some
 * thousand times slower until C2 recompiles it.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
 *     -cp "bench/target/elu4j-bench-0.2.0-SNAPSHOT.jar:bench/target/lib/*" org.elu4j.bench.startup.RebindProbe [SIZE]
 * </pre>
 *
 * SIZE: floats per call (4096). Prints two lines: the first and the best alpha-1 call, then the
 * calls after the second binding. The 8 s assume the cold start has switched ELU(1) to its kernel
 * by then (a second or two on 2 busy vCPUs): a best call not far below the first (the scalar form's
 * speed, some microseconds for 4096 floats) says it has not, and the counts then mean nothing.
 */
public final class RebindProbe {
    private RebindProbe() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * n, 64);
            MemorySegment y = arena.allocate(4L * n, 64);
            for (int i = 0; i < n; i++) {
                x.setAtIndex(ValueLayout.JAVA_FLOAT, i, -4f + 8f * i / n);
            }
            Elu one = Elu.elu().on(Backend.VECTOR);
            long t1 = System.nanoTime();
            one.apply(x, y);
            long first = System.nanoTime() - t1;
            long end = System.nanoTime() + 8_000_000_000L;
            long best = Long.MAX_VALUE;
            while (System.nanoTime() < end) {
                long t = System.nanoTime();
                one.apply(x, y);
                best = Math.min(best, System.nanoTime() - t);
            }
            System.out.println("alpha 1, " + n + " floats: first call " + first / 1000 + " us, best call " + best + " ns");
            Elu two = Elu.elu(2).on(Backend.VECTOR);
            two.apply(x, y);
            long t0 = System.nanoTime();
            long calls = 0;
            long over10 = 0;
            long over100 = 0;
            long worst = 0;
            long sum = 0;
            while (System.nanoTime() - t0 < 10_000_000_000L) {
                long t = System.nanoTime();
                one.apply(x, y);
                long d = System.nanoTime() - t;
                calls++;
                sum += d;
                worst = Math.max(worst, d);
                over10 += d > 10 * best ? 1 : 0;
                over100 += d > 100 * best ? 1 : 0;
                if (calls % 2000 == 0) {
                    two.apply(x, y);
                }
            }
            System.out.println("after binding alpha 2: " + calls + " alpha-1 calls in 10 s, " + over10 + " > 10x best, "
                    + over100 + " > 100x best, slowest " + worst / 1000 + " us, mean " + sum / calls + " ns");
        }
    }
}
