package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Lowers the calling thread's scheduling priority: {@link ColdStart}'s warm-up thread runs
 * {@value #STEPS} nice levels below the thread that started it (a caller, whose level it inherits).
 *
 * <p>Why: on a machine with as many busy threads as CPUs (a caller, C2's compiler thread, the
 * warm-up thread on 2 CPUs) the scheduler shares each CPU out in slices of a few milliseconds, so a
 * caller at the same level as the thread lost one now and then: a 256-float call that takes a
 * microsecond took 4 ms. Ten levels down (a CFS weight about a tenth of the caller's) the thread
 * yields the CPU to a caller that wants it, yet on a machine that stays saturated it still gets a
 * tenth of a CPU, enough for C2 to compile the kernels within seconds; 19 levels (a weight of 1.5%)
 * starved it there for 30 s. docs/benchmarks.md, "The warm-up thread ten nice levels down", has
 * the measurements.
 *
 * <p>Only on Linux, where a nice level belongs to a thread ({@code setpriority(PRIO_PROCESS, 0, n)}
 * sets the calling thread's; elsewhere it would be the whole process's), and only where the JVM lets
 * this module call native code (the thread stays at its level otherwise, as before). Java's own
 * {@code Thread.setPriority} does not reach the scheduler on Linux (HotSpot ignores it unless run
 * as root with {@code -XX:ThreadPriorityPolicy=1}).
 */
final class LowPriority {
    private LowPriority() {
    }

    /** Nice levels below the starting thread's. */
    static final int STEPS = 10;
    /** The lowest priority (highest nice level) Linux has. */
    private static final int LOWEST = 19;
    private static final int PRIO_PROCESS = 0;

    /**
     * Lowers the calling thread by {@link #STEPS} nice levels (to at most 19): what happened, for
     * the log ("nice 0 -> 10", or why it stayed). Never throws.
     */
    static String lowerCurrentThread() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return "priority unchanged: nice levels belong to threads only on Linux";
        }
        if (!LowPriority.class.getModule().isNativeAccessEnabled()) {
            return "priority unchanged: native access is not enabled for " + LowPriority.class.getModule();
        }
        try {
            int before = nice();
            int target = Math.min(LOWEST, before + STEPS);
            int rc = (int) Calls.SET.invokeExact(PRIO_PROCESS, 0, target);
            if (rc != 0) {
                return "priority unchanged: setpriority(PRIO_PROCESS, 0, " + target + ") returned " + rc;
            }
            return "nice " + before + " -> " + nice();
        } catch (Throwable e) { // a libc without the symbols, a linker that refuses: stay as it is
            return "priority unchanged: " + e;
        }
    }

    /** The calling thread's nice level ({@code getpriority(PRIO_PROCESS, 0)}, which cannot fail for these arguments); Linux only. */
    static int nice() throws Throwable {
        return (int) Calls.GET.invokeExact(PRIO_PROCESS, 0);
    }

    /** The downcalls, made on first use (a JVM that never starts the thread binds nothing). */
    private static final class Calls {
        static final MethodHandle GET = bind("getpriority", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle SET = bind("setpriority", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));

        private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
            Linker linker = Linker.nativeLinker();
            MemorySegment symbol = linker.defaultLookup().find(name)
                    .orElseThrow(() -> new UnsupportedOperationException("no " + name + " in the C library"));
            return linker.downcallHandle(symbol, descriptor);
        }
    }
}
