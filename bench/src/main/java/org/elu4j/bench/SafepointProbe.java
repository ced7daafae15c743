package org.elu4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import org.elu4j.Backend;
import org.elu4j.Elu;

/**
 * How long the JVM waits to reach a safepoint while another thread runs long calls: a thread runs
 * SELU on {@code N} floats back to back (native memory or a heap array) while the main thread
 * asks for ten garbage collections. Run it with the JVM's safepoint log and read the
 * {@code Reaching safepoint} times of the collections ({@code G1CollectFull}):
 *
 * <pre>
 * java -Xmx2g -Xlog:safepoint:file=sp.txt --enable-native-access=ALL-UNNAMED -cp LIB.jar:BENCH.jar \
 *     org.elu4j.bench.SafepointProbe 67108864 native helper
 * grep G1CollectFull sp.txt | grep -o 'Reaching safepoint: [0-9]*'
 * </pre>
 *
 * A call that is one critical downcall holds the safepoint off for its whole length (every
 * thread's collection waits for it); the helper's calls over 256 KiB per tensor are not one.
 */
public final class SafepointProbe {
    private SafepointProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        int n = Integer.parseInt(args[0]);
        boolean heap = args.length > 1 && args[1].equals("heap");
        Backend backend = Backend.fromCliName(args.length > 2 ? args[2] : "helper");
        Elu selu = Elu.selu().on(backend);
        Arena arena = Arena.ofShared();
        MemorySegment x = heap ? MemorySegment.ofArray(new float[n]) : arena.allocate(4L * n, 64);
        MemorySegment y = heap ? MemorySegment.ofArray(new float[n]) : arena.allocate(4L * n, 64);
        for (int i = 0; i < 3; i++) {
            selu.apply(x, y);
        }
        long t0 = System.nanoTime();
        selu.apply(x, y);
        double callMs = (System.nanoTime() - t0) / 1e6;
        Thread caller = new Thread(() -> {
            for (int i = 0; i < 20; i++) {
                selu.apply(x, y);
            }
        }, "caller");
        caller.start();
        Thread.sleep(30);
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(7);
        }
        caller.join();
        System.out.printf(Locale.ROOT, "SafepointProbe: %s, %d floats (%s): one call %.1f ms; ten collections asked"
                + " for while calls ran (their safepoint times are in the -Xlog:safepoint output)%n",
                backend.cliName(), n, heap ? "heap array" : "native memory", callMs);
        arena.close();
    }
}
