package org.elu4j.bench.startup;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the JDK alone costs a fresh JVM for the helper's first call and the calls after it: no
 * elu4j class, only the FFM API on the helper library (issue #11, item 7; the floor under the
 * first call of {@link SteadyStateProbe}'s helper and AUTO curves; not under their count of calls
 * over 2 µs, as nothing here warms the path before the calls counted, where elu4j's first call
 * does). A fresh JVM per run:
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED bench/src/main/java/org/elu4j/bench/startup/FfmFloor.java \
 *     $TMPDIR/elu4j-$USER/helper-HASH/libelu4j.so.0
 * </pre>
 *
 * Prints the main thread's CPU time (from {@code /proc/thread-self/schedstat}) of: the library's
 * {@code SymbolLookup.libraryLookup}; the first downcall handle ({@code int elu4j_version()}) and
 * its call; a second function type (the critical {@code elu4j_forward}) with the tensors' allocation;
 * the first 256-float call.
 * Then the calls over 2 µs among the next 20,000 256-float calls, per 1,000, made as
 * {@link SteadyStateProbe} makes elu4j's: from a method of their own, through an interface, the
 * timing loop compiled first.
 */
public final class FfmFloor {
    /** One call of the thing timed. */
    interface Call {
        void run();
    }

    /** The handle and tensors as made (and timed) in main, before {@link Bound} reads them. */
    private static MethodHandle made;
    private static MemorySegment madeX;
    private static MemorySegment madeY;

    /**
     * The same as constants ({@code static final}, as elu4j's own handles are): an
     * {@code invokeExact} on a handle the JIT cannot see as a constant is not compiled to the
     * direct downcall, and would make this floor slower than the code it is the floor of.
     */
    private static final class Bound {
        static final MethodHandle FORWARD = made;
        static final MemorySegment X = madeX;
        static final MemorySegment Y = madeY;
    }

    private FfmFloor() {
    }

    public static void main(String[] args) throws Throwable {
        int[] sink = new int[1];
        // The timing loop C2-compiled with an interface call, as SteadyStateProbe's (see there).
        Call[] kinds = {() -> sink[0]++, () -> sink[0]--, () -> sink[0] ^= 1};
        for (int i = 0; i < 30_000; i++) {
            over2us(kinds[i % kinds.length], 10);
        }
        Thread.sleep(50);
        onCpu();
        long c0 = onCpu();
        SymbolLookup lookup = SymbolLookup.libraryLookup(Path.of(args[0]), Arena.global());
        long c1 = onCpu();
        MethodHandle version = Linker.nativeLinker().downcallHandle(lookup.find("elu4j_version").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT));
        int v = (int) version.invokeExact();
        long c2 = onCpu();
        made = Linker.nativeLinker().downcallHandle(lookup.find("elu4j_forward").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_DOUBLE,
                        JAVA_DOUBLE, JAVA_DOUBLE), Linker.Option.critical(true));
        Arena arena = Arena.ofConfined();
        madeX = arena.allocate(4 * 256, 64);
        madeY = arena.allocate(4 * 256, 64);
        MethodHandles.lookup().ensureInitialized(Bound.class); // not the first call's cost
        long c3 = onCpu();
        call();
        long c4 = onCpu();
        StringBuilder out = new StringBuilder();
        out.append("library lookup ").append(ms(c1 - c0)).append(" ms, first downcall handle and call ").append(ms(c2 - c1))
                .append(" ms, second function type (and the tensors) ").append(ms(c3 - c2)).append(" ms, first 256-float call ")
                .append(ms(c4 - c3)).append(" ms; together ").append(ms(c4 - c0)).append(" ms of CPU (helper version ")
                .append(v).append(")\ncalls over 2 us per 1,000:");
        Call call = FfmFloor::call;
        long total = 0;
        for (int k = 0; k < 20; k++) {
            long over = over2us(call, 1000);
            total += over;
            out.append(' ').append(over);
        }
        System.out.println(out.append("; together ").append(total));
    }

    private static void call() {
        try {
            int status = (int) Bound.FORWARD.invokeExact(0, 0, Bound.X, Bound.Y, Bound.X.byteSize() / 4, 1.0, 1.0, 1.0);
            if (status != 0) {
                throw new IllegalStateException("elu4j_forward: " + status);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static long over2us(Call call, int n) {
        long over = 0;
        long prev = System.nanoTime();
        for (int i = 0; i < n; i++) {
            call.run();
            long now = System.nanoTime();
            over += (2_000 - (now - prev)) >>> 63; // without a branch, as SteadyStateProbe's
            prev = now;
        }
        return over;
    }

    private static String ms(long nanos) {
        return String.valueOf(Math.round(nanos / 1e5) / 10.0);
    }

    private static long onCpu() throws IOException {
        return Long.parseLong(Files.readString(Path.of("/proc/thread-self/schedstat")).split(" ")[0]);
    }
}
