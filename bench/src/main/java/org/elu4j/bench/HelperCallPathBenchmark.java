package org.elu4j.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.internal.NativeLibraries;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Where the Java side of a short helper call goes (issue #11: the helper's f32 ELU on 256 floats
 * costs ~10 ns more from Java than the same call from C). Each benchmark adds one layer to the one
 * before it, so the differences are the layers' costs. JMH runs each benchmark in forks of its own
 * (the same flags on the same machine), so a difference also carries the spread between JVMs,
 * which the published settings' two forks per row average and their ± (iterations pooled over
 * the forks, as if independent) understates:
 *
 * <ol>
 * <li>{@link #emptyDowncall}: a critical downcall of {@code elu4j_active_isa}, an {@code int(void)}
 *     function that reads one variable: the JDK's fixed cost of any downcall.</li>
 * <li>{@link #addresses}: {@code elu4j_forward} bound with the pointers as {@code long}s (no
 *     segment, so no arena to hold): the C function, its kernel and the downcall — what C pays
 *     plus the first row.</li>
 * <li>{@link #segments}: the same function bound as elu4j binds it ({@code ADDRESS} parameters,
 *     critical), given the trial's segments: adds what the JDK does per segment argument, above
 *     all holding the segments' arena for the call (a shared arena: an atomic increment and
 *     decrement of its acquire count; a confined one: an owner-thread check), which keeps another
 *     thread from freeing the memory under the kernel.</li>
 * <li>{@link #api}: {@code Elu.elu().on(HELPER).apply(x, y)}: adds elu4j's own Java (argument
 *     checks, the bound call's look-up).</li>
 * </ol>
 *
 * The {@code long} form is a measuring device only: it is the call without the liveness guarantee
 * that elu4j must keep. Run: {@code java -cp ... org.openjdk.jmh.Main HelperCallPathBenchmark}
 * (the settings of docs/benchmarks.md's published run: {@code -f 2 -wi 4 -w 500ms -i 6 -r 500ms},
 * about 100 s).
 */
public class HelperCallPathBenchmark extends BenchBase {
    /** The arena of the two tensors: shared (any thread may use them) or confined. */
    @Param({"shared", "confined"})
    public String arenaKind;

    @Param({"256"})
    public int size;

    private static final int ELU = 0; // ELU4J_FN_ELU
    private static final int F32 = 0; // ELU4J_DT_F32

    private MemorySegment x;
    private MemorySegment y;
    private long xAddress;
    private long yAddress;
    private Elu elu;

    /**
     * The handles as static finals (constants to the JIT, as elu4j keeps its own), made when set-up
     * first touches this class, after it has loaded the helper.
     */
    private static final class Handles {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final SymbolLookup HELPER = NativeLibraries.helper().get().lookup();
        private static final MemorySegment FORWARD = HELPER.find("elu4j_forward").orElseThrow();
        static final MethodHandle EMPTY = LINKER.downcallHandle(HELPER.find("elu4j_active_isa").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT), Linker.Option.critical(true));
        static final MethodHandle FORWARD_LONGS = LINKER.downcallHandle(FORWARD, FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_DOUBLE, JAVA_DOUBLE, JAVA_DOUBLE),
                Linker.Option.critical(true));
        static final MethodHandle FORWARD_SEGMENTS = LINKER.downcallHandle(FORWARD, FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_DOUBLE, JAVA_DOUBLE, JAVA_DOUBLE),
                Linker.Option.critical(true));

        private Handles() {
        }
    }

    @Override
    protected Arena newArena() {
        return arenaKind.equals("confined") ? Arena.ofConfined() : Arena.ofShared();
    }

    @Setup(Level.Trial)
    public void setUp() {
        if (!Elu4j.isAvailable(Backend.HELPER)) {
            throw new IllegalStateException("the helper is not available here: " + Elu4j.backends());
        }
        x = randomInput(size);
        y = allocateFloats(size);
        xAddress = x.address();
        yAddress = y.address();
        elu = Elu.elu().on(Backend.HELPER);
        String what = "helper call path " + arenaKind + " n=" + size;
        checkStatus(what + ", pointers as longs", addresses());
        checkStatus(what + ", segments", segments());
        api();
        checkElu(what + ", public API", x, y);
    }

    /** Throws unless the call returned ELU4J_OK and wrote ELU(x) into y (zeros before it); clears y. */
    private void checkStatus(String what, int status) {
        if (status != 0) {
            throw new IllegalStateException(what + ": elu4j_forward returned " + status);
        }
        checkElu(what, x, y);
        y.fill((byte) 0);
    }

    @Benchmark
    public int emptyDowncall() {
        try {
            return (int) Handles.EMPTY.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Benchmark
    public int addresses() {
        try {
            return (int) Handles.FORWARD_LONGS.invokeExact(ELU, F32, xAddress, yAddress, (long) size, 1.0, 1.0, 1.0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Benchmark
    public int segments() {
        try {
            return (int) Handles.FORWARD_SEGMENTS.invokeExact(ELU, F32, x, y, (long) size, 1.0, 1.0, 1.0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Benchmark
    public MemorySegment api() {
        elu.apply(x, y);
        return y;
    }
}
