package org.elu4j.internal.vector;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * Lowers the calling thread's scheduling priority: {@link ColdStart}'s warm-up thread runs
 * {@value #STEPS} nice levels lower in priority than the thread that started it: its nice level
 * is the starter's (a caller's, which it inherits) plus {@value #STEPS}, at most 19, so a caller at
 * -20, possible as root, gets a thread at -10.
 *
 * <p>Why: on a machine with as many busy threads as CPUs (a caller, C2's compiler thread and the
 * warm-up thread on 2 CPUs) the scheduler shares each CPU out in slices of milliseconds, so a
 * caller at the thread's level lost a whole slice now and then in the middle of a
 * microsecond-long call. Ten levels down (a scheduler weight of about a tenth of the caller's) the
 * thread gives way to a caller that wants the CPU, yet on a machine that stays saturated it still
 * gets enough of it for C2 to compile the kernels within seconds; at 19 levels it starved there.
 * docs/benchmarks.md, "The warm-up thread ten nice levels down", has the measurements. Threads the
 * warm-up thread itself starts (a logging framework's worker on its first message) inherit its level.
 *
 * <p>Only on Linux, where a nice level belongs to a thread ({@code setpriority(PRIO_PROCESS, 0, n)}
 * sets the calling thread's; elsewhere it would be the whole process's), and only where the
 * application has enabled native access for this module: the JDK would otherwise print its
 * restricted-method warning on the user's console for a mere optimisation, so the thread keeps its
 * level there. Java's own {@code Thread.setPriority} does not reach the scheduler on Linux (HotSpot
 * ignores it unless run as root with {@code -XX:ThreadPriorityPolicy=1}).
 */
final class LowPriority {
    private LowPriority() {
    }

    /** Nice levels below the starting thread's. */
    static final int STEPS = 10;
    /** The lowest priority (highest nice level) Linux has. */
    private static final int LOWEST = 19;
    private static final int PRIO_PROCESS = 0;
    private static final int SCHED_OTHER = 0;
    /** The flag sched_getscheduler may add to the policy. */
    private static final int SCHED_RESET_ON_FORK = 0x40000000;

    /**
     * Lowers the calling thread by {@link #STEPS} nice levels (to at most 19): what happened, for
     * the log ("nice 0 -> 10", or why it stayed). Never throws. A thread inherits its starter's
     * scheduling policy too, under which a nice level may mean nothing (SCHED_FIFO: the thread
     * would run ahead of every ordinary one, the JIT's compiler threads included) or starve it
     * (SCHED_IDLE: the kernels might never switch): so the thread first takes SCHED_OTHER, which
     * any thread may (from SCHED_IDLE, within its RLIMIT_NICE).
     */
    static String lowerCurrentThread() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return "priority unchanged: nice levels belong to threads only on Linux";
        }
        if (!LowPriority.class.getModule().isNativeAccessEnabled()) {
            return "priority unchanged: native access is not enabled for " + LowPriority.class.getModule();
        }
        try (Arena arena = Arena.ofConfined()) {
            String policy = "";
            int current = (int) Calls.GET_POLICY.invokeExact(0) & ~SCHED_RESET_ON_FORK;
            if (current > SCHED_OTHER) {
                MemorySegment param = arena.allocate(JAVA_INT); // struct sched_param: priority 0
                int rc = (int) Calls.SET_POLICY.invokeExact(0, SCHED_OTHER, param);
                policy = rc == 0 ? "scheduling policy " + current + " -> SCHED_OTHER, "
                        : "scheduling policy " + current + " kept (sched_setscheduler returned " + rc + "), ";
            }
            int before = nice();
            int target = Math.min(LOWEST, before + STEPS);
            MemorySegment state = arena.allocate(Calls.STATE);
            int rc = (int) Calls.SET.invokeExact(state, PRIO_PROCESS, 0, target);
            if (rc != 0) {
                return policy + "priority unchanged: setpriority(PRIO_PROCESS, 0, " + target + ") returned " + rc
                        + " (errno " + (int) Calls.ERRNO.get(state, 0L) + ")";
            }
            return policy + "nice " + before + " -> " + nice();
        } catch (Throwable e) { // a C library without the symbols, a linker that refuses: stay as it is
            Throwable cause = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
            return "priority unchanged: " + cause;
        }
    }

    /** The calling thread's nice level ({@code getpriority(PRIO_PROCESS, 0)}, which cannot fail for these arguments); Linux only. */
    static int nice() throws Throwable {
        return (int) Calls.GET.invokeExact(PRIO_PROCESS, 0);
    }

    /** The downcalls, made on first use (a JVM that never starts the thread binds nothing). */
    private static final class Calls {
        static final StructLayout STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        static final MethodHandle GET = bind("getpriority", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle GET_POLICY = bind("sched_getscheduler", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle SET_POLICY = bind("sched_setscheduler",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        static final MethodHandle SET = bind("setpriority", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
                Linker.Option.captureCallState("errno"));

        private static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... options) {
            Linker linker = Linker.nativeLinker();
            MemorySegment symbol = linker.defaultLookup().find(name)
                    .orElseThrow(() -> new UnsupportedOperationException("no " + name + " in the C library"));
            return linker.downcallHandle(symbol, descriptor, options);
        }
    }
}
