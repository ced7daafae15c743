package org.elu4j.internal.helper;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import org.elu4j.internal.NativeLibraries;
import org.elu4j.internal.helper.ffi.Elu4jNative;

/**
 * The helper library's hand-bound functions: every symbol looked up when this class loads (so a
 * wrong library is refused at once, with the missing name), and each downcall handle linked on
 * its first use, in a holder of its own per function type and options.
 *
 * <p>Why a class of its own: which handle is linked when is a start-up cost of its own (the JVM's
 * first downcall handle costs tens of milliseconds, and every further shape a few), so the table
 * of signatures and the holders that keep linking lazy are kept together, apart from the calls
 * {@link HelperBackend} makes with them. {@link HelperBackend} loads this class when it loads.
 */
final class HelperDowncalls {
    /** The addresses of the hand-bound functions, looked up (and so checked) when the class loads. */
    private static final MemorySegment FORWARD_ADDR, FORWARD_MT_ADDR, BACKWARD_ADDR, PIN_ISA_ADDR, PIN_THREAD_ISA_ADDR,
            USES_FLOAT_KERNEL_ADDR, ACTIVE_ISA_ADDR, VERSION_ADDR;

    static {
        SymbolLookup lookup = NativeLibraries.helper().get().lookup();
        // Every symbol is looked up now, so a wrong library is refused with the missing name; no
        // downcall is linked yet (the holders below): the JVM's first downcall handle costs tens of
        // milliseconds, which Elu4j.backends() need not pay (HelperBackend.probe()).
        FORWARD_ADDR = find(lookup, "elu4j_forward");
        FORWARD_MT_ADDR = find(lookup, "elu4j_forward_mt");
        BACKWARD_ADDR = find(lookup, "elu4j_backward");
        // Added to elu4j.h after the bindings were last generated: bound here until the next
        // regeneration (bindings/README.md).
        PIN_ISA_ADDR = find(lookup, "elu4j_pin_isa");
        PIN_THREAD_ISA_ADDR = find(lookup, "elu4j_pin_thread_isa");
        USES_FLOAT_KERNEL_ADDR = find(lookup, "elu4j_uses_float_kernel");
        ACTIVE_ISA_ADDR = find(lookup, "elu4j_active_isa");
        VERSION_ADDR = find(lookup, "elu4j_version"); // also bound here: see Info
        for (String generated : new String[] {"elu4j_version_string", "elu4j_isa_name",
                "elu4j_isa_supported", "elu4j_best_isa", "elu4j_status_name", "elu4j_mt_min_elements"}) {
            find(lookup, generated); // called through the generated bindings
        }
    }

    private HelperDowncalls() {
    }

    /** Loads this class, whose initialiser looks up every symbol (nothing is linked). */
    static void lookUp() {
    }

    /*
     * The downcall handles, each made on first use, in holders of their own (static finals:
     * constants to the JIT): a fresh JVM pays a few ms for each shape it links, so a first
     * forward call links only what it runs.
     */

    /**
     * {@code elu4j_version} and {@code elu4j_active_isa}, what linking the helper ({@link HelperBackend#best()})
     * calls: one function type with the same options, so the JVM links that shape once and binds
     * it to both addresses (its downcall cache is keyed by type and options).
     */
    static final class Info {
        static final FunctionDescriptor INT_VOID = FunctionDescriptor.of(JAVA_INT);
        static final MethodHandle VERSION = Linker.nativeLinker().downcallHandle(VERSION_ADDR, INT_VOID);
        static final MethodHandle ACTIVE_ISA = Linker.nativeLinker().downcallHandle(ACTIVE_ISA_ADDR, INT_VOID);

        private Info() {
        }
    }

    /** {@code elu4j_pin_isa}, {@code elu4j_pin_thread_isa}: only where a level is pinned. */
    static final class Control {
        static final MethodHandle PIN_ISA = Linker.nativeLinker().downcallHandle(PIN_ISA_ADDR,
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        /** {@code elu4j_pin_thread_isa}: a helper fixed to one level ({@link HelperBackend#forIsa}), around each call. */
        static final MethodHandle PIN_THREAD_ISA = Linker.nativeLinker().downcallHandle(PIN_THREAD_ISA_ADDR,
                FunctionDescriptor.of(JAVA_INT, JAVA_INT), Linker.Option.critical(true));

        private Control() {
        }
    }

    /** {@code elu4j_forward}, critical. */
    static final class Forward {
        static final MethodHandle FORWARD = Linker.nativeLinker().downcallHandle(FORWARD_ADDR,
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG,
                        JAVA_DOUBLE, JAVA_DOUBLE, JAVA_DOUBLE), Linker.Option.critical(true));

        private Forward() {
        }

        /** Makes the handle now (binding a call does, so its first run does not). */
        static void load() {
        }
    }

    /**
     * {@code elu4j_forward} and {@code elu4j_backward} as ordinary downcalls, for native segments
     * beyond {@link HelperCalls#CRITICAL_MAX_BYTES} (a critical downcall holds off safepoints for
     * as long as it runs).
     */
    static final class Ordinary {
        static final MethodHandle FORWARD = Linker.nativeLinker().downcallHandle(FORWARD_ADDR,
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG,
                        JAVA_DOUBLE, JAVA_DOUBLE, JAVA_DOUBLE));
        static final MethodHandle BACKWARD = Linker.nativeLinker().downcallHandle(BACKWARD_ADDR,
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
                        JAVA_LONG, JAVA_DOUBLE, JAVA_DOUBLE, JAVA_DOUBLE));

        private Ordinary() {
        }
    }

    /** {@code elu4j_forward_mt} (an ordinary downcall, not critical: it waits for the pool) and its threshold. */
    static final class Parallel {
        static final MethodHandle FORWARD_MT = Linker.nativeLinker().downcallHandle(FORWARD_MT_ADDR,
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG,
                        JAVA_DOUBLE, JAVA_DOUBLE, JAVA_DOUBLE, JAVA_INT));
        /** {@code elu4j_mt_min_elements()}: below it the parallel call would run serially anyway. */
        static final long MT_MIN_ELEMENTS = Elu4jNative.elu4j_mt_min_elements();
        /**
         * The threads of {@code parallel()} (threads 0): the JVM's CPU count, which honours a
         * container's CPU quota as well as the affinity mask (the helper's own default sees only
         * the mask), read once.
         */
        static final int DEFAULT_THREADS = Runtime.getRuntime().availableProcessors();

        private Parallel() {
        }
    }

    /** {@code elu4j_backward}, critical. */
    static final class Backward {
        static final MethodHandle BACKWARD = Linker.nativeLinker().downcallHandle(BACKWARD_ADDR,
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
                        JAVA_LONG, JAVA_DOUBLE, JAVA_DOUBLE, JAVA_DOUBLE), Linker.Option.critical(true));

        private Backward() {
        }

        /** Makes the handle now (binding a call does, so its first run does not). */
        static void load() {
        }
    }

    /** {@code elu4j_uses_float_kernel}. */
    static final class FloatKernel {
        static final MethodHandle USES_FLOAT_KERNEL = Linker.nativeLinker().downcallHandle(USES_FLOAT_KERNEL_ADDR,
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_DOUBLE, JAVA_DOUBLE, JAVA_DOUBLE));

        private FloatKernel() {
        }
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> {
            NativeLibraries.Library lib = NativeLibraries.helper().get();
            return new UnsatisfiedLinkError("elu4j helper: symbol " + name + " not found in " + lib.path()
                    + " (from " + lib.origin() + "): not the elu4j helper library " + NativeLibraries.HELPER_SONAME);
        });
    }
}
