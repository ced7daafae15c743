package org.elu4j.internal.helper;

import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu4jException;
import org.elu4j.NativeCallException;
import org.elu4j.internal.Binding;
import org.elu4j.internal.EluBackend;
import org.elu4j.internal.NativeLibraries;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.helper.ffi.Elu4jNative;

/**
 * The elu4j C helper library: one downcall per call (256 KiB pieces on large heap arrays) into an AVX-512, AVX2 or portable kernel
 * chosen by the library for the running CPU.
 *
 * <p>The kernel entry points ({@code elu4j_forward}, {@code elu4j_backward}) are bound by hand
 * ({@link HelperDowncalls}) rather than through the jextract bindings, because they need
 * {@link Linker.Option#critical(boolean) critical(true)}: no thread-state transition for a call of
 * a few hundred nanoseconds, and heap segments passed straight through (the helper never keeps a
 * pointer beyond the call). Everything else (version, ISA names) goes through the generated
 * {@link Elu4jNative}, but for the functions added to the header after the bindings were last
 * generated ({@code elu4j_pin_isa}, {@code elu4j_active_isa}, {@code elu4j_uses_float_kernel}),
 * also bound by hand until the next regeneration (bindings/README.md).
 *
 * <p>Every op and data type goes to {@code elu4j_forward} / {@code elu4j_backward} with the
 * function's codes and parameters; the library itself runs f32 ELU with a positive power-of-two
 * alpha, scale 1 and input scale 1 on its float kernel ({@link #usesFloatKernel}). Parallel
 * forwards of native segments from {@link #parallelMinElements()} elements on go to
 * {@code elu4j_forward_mt}, which splits the work between the calling thread and the library's
 * worker pool. That downcall is an ordinary one, not critical: it can wait (for the pool, or for
 * another Java thread's parallel call), and a critical downcall must not block. It takes native
 * segments only, which stay acquired for the whole call (closing their arena meanwhile fails).
 * Heap segments, smaller calls and a helper fixed to one ISA level ({@link #forIsa}) run the
 * serial critical downcall instead: for heap arrays an ordinary downcall cannot pass the array,
 * and copying would cost more than the second thread gains.
 *
 * <p>Serial calls over {@link HelperCalls#CRITICAL_MAX_BYTES} per segment are not one critical
 * downcall: a critical downcall holds off safepoints, and so every thread's garbage collection,
 * while it runs ({@link HelperCalls} says how they go instead).
 *
 * <p>ISA pinning: the system property {@value #ISA_PROPERTY} (or the environment variable
 * {@value #ISA_ENV}) set to {@code portable}, {@code avx2} or {@code avx512} pins the library's
 * kernels to that level for the whole process ({@code elu4j_pin_isa}), e.g. to run what an AVX2
 * server runs on an AVX-512 machine; {@code best} or empty means no pin. A level the CPU lacks, or
 * an unknown name, makes {@link #best()} fail with a message that says which levels exist here, so
 * the provider reports the helper as unavailable with that reason. {@link #forIsa} (tests and
 * tools) uses the same switch around each of its calls.
 *
 * <p>Two steps, so that asking what runs costs no native call. Loading this class looks up every
 * symbol the helper calls in the loaded library ({@link HelperDowncalls}) (the provider loads it only after
 * {@link NativeLibraries#helper()} succeeded), and {@link #probe()} describes it from the
 * bindings' version: no downcall. {@link #best()} links it: it checks the library's version
 * (unless it is the build's own file), applies the ISA pin, and leaves the active level to be read
 * when its description is first asked for; each downcall handle is made on its first use (the
 * JVM's first downcall handle costs tens of milliseconds). The provider calls it on the helper's
 * first use, or at once when {@link #linkAtStart()}.
 */
public final class HelperBackend implements EluBackend {
    /** System property that pins the helper's ISA level: portable, avx2, avx512 (or best). */
    public static final String ISA_PROPERTY = "elu4j.helper.isa";
    /** Environment variable read when {@value #ISA_PROPERTY} is not set. */
    public static final String ISA_ENV = "ELU4J_HELPER_ISA";
    /** Where the pin came from ("-Delu4j.helper.isa=avx2"), or null when the helper is not pinned. */
    private static volatile String pinSource;

    static {
        // Loading this class loads the downcall table, which looks up every symbol the helper
        // calls: a wrong library is refused here, with the missing name (see probe()).
        HelperDowncalls.lookUp();
    }

    /**
     * The helper as far as it can be checked without calling it: loading this class has found
     * every symbol it calls in the loaded library. Returns its description until {@link #best()}
     * links it: {@code helper <version>}, the version this jar's bindings were made for.
     */
    public static String probe() {
        int v = BINDINGS_VERSION;
        return "helper " + v / 10000 + "." + v / 100 % 100 + "." + v % 100;
    }

    /**
     * {@code Elu4jNative.ELU4J_VERSION_NUMBER()}, the version the bindings were generated for
     * (HelperNamesTest checks they agree), read here without initialising the generated class:
     * that initialises the JVM's native linker, tens of milliseconds {@link #probe()} saves.
     */
    static final int BINDINGS_VERSION = 200;

    /*
     * elu4j.h's codes that the first call needs, known here so that it never initialises the
     * generated Elu4jNative (its class initialiser reads the linker's canonical layouts and opens
     * its own library lookup; HelperNamesTest checks that these agree with it).
     */
    static final int ISA_PORTABLE = 0, ISA_AVX2 = 1, ISA_AVX512 = 2;
    static final int DT_F32 = 0, DT_F64 = 1, DT_BF16 = 2, DT_F16 = 3;

    /**
     * Whether {@link #best()} should run at once rather than on first use: when the ISA level is
     * pinned ({@value #ISA_PROPERTY}, {@value #ISA_ENV}) or the library is an override
     * ({@code elu4j.helper.library}), whose level or version may be refused.
     */
    public static boolean linkAtStart() {
        String pin = System.getProperty(ISA_PROPERTY);
        if (pin == null) {
            pin = System.getenv(ISA_ENV);
        }
        return pin != null && !pin.isBlank() && !pin.trim().equalsIgnoreCase("best") || NativeLibraries.helperOverridden();
    }

    /** -1: whatever the library runs on (its best ISA, or the process's pin); otherwise a fixed {@code elu4j_isa}. */
    private final int isa;
    /** The description, or for {@link #best()} null until first asked: then it reads the active level. */
    private volatile String description;
    /** {@link #best()}'s description before its level: {@code helper 0.2.0}. */
    private final String named;
    /** {@link #best()}'s pin source ("-Delu4j.helper.isa=avx2"), or null. */
    private final String pinned;

    private HelperBackend(int isa, String description) {
        this.isa = isa;
        this.description = description;
        this.named = null;
        this.pinned = null;
    }

    private HelperBackend(String named, String pinned) {
        this.isa = -1;
        this.named = named;
        this.pinned = pinned;
    }

    /**
     * The helper on the best ISA of this CPU (or the pinned one), linked: the loaded library
     * checked to be the version the bindings were generated for (known without a call for the
     * bundled file the build recorded), the pin applied.
     */
    public static HelperBackend best() {
        int runtime = BINDINGS_VERSION;
        // The bundled library whose size and CRC-32 are the build's record is the one built with
        // these classes: its version is known. Any other (an override, a resource the build did
        // not record) is asked, with the one downcall type that elu4j_active_isa shares.
        if (!NativeLibraries.helper().get().fromBuild()) {
            try {
                runtime = (int) HelperDowncalls.Info.VERSION.invokeExact();
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (runtime != BINDINGS_VERSION) {
                throw new Elu4jException("the loaded elu4j helper is version " + runtime + " but this jar needs "
                        + BINDINGS_VERSION + " (" + NativeLibraries.helper().get().path() + ")");
            }
        }
        String pinned = applyPin();
        // The version string from the number (elu4j.h's encoding), not elu4j_version_string(): one
        // downcall type fewer to link (a few ms each in a fresh JVM). The level is read when the
        // description is first asked for (the start line, the diagnostics), not here: a first call
        // that logs nothing then links one downcall type only, its kernel's.
        return new HelperBackend("helper " + runtime / 10000 + "." + runtime / 100 % 100 + "." + runtime % 100, pinned);
    }

    /**
     * Reads {@value #ISA_PROPERTY} (else {@value #ISA_ENV}) and pins the library to that level;
     * returns where the pin came from, or null when neither is set (or says {@code best}).
     *
     * @throws Elu4jException for an unknown level, or one this CPU lacks
     */
    private static String applyPin() {
        String value = System.getProperty(ISA_PROPERTY);
        String source = "-D" + ISA_PROPERTY + "=" + value;
        if (value == null) {
            value = System.getenv(ISA_ENV);
            source = ISA_ENV + "=" + value;
        }
        if (value == null || value.isBlank() || value.trim().equalsIgnoreCase("best")) {
            return null;
        }
        String name = value.trim().toLowerCase(java.util.Locale.ROOT);
        int isa = -1;
        for (int i = ISA_PORTABLE; i <= ISA_AVX512; i++) {
            if (isaName(i).equals(name)) {
                isa = i;
            }
        }
        String levels = java.util.Arrays.stream(supportedIsas()).mapToObj(HelperBackend::isaName)
                .collect(java.util.stream.Collectors.joining(", "));
        if (isa < 0) {
            throw new Elu4jException(source + " is not a helper ISA level: use portable, avx2, avx512 or best"
                    + " (this CPU supports " + levels + ")");
        }
        int status = pin(HelperDowncalls.Control.PIN_ISA, isa);
        if (status != 0) {
            throw new Elu4jException(source + ": this CPU cannot run the helper's " + name + " kernels ("
                    + cString(Elu4jNative.elu4j_status_name(status)) + " from elu4j_pin_isa); it supports " + levels);
        }
        pinSource = source;
        return source;
    }

    /** {@code elu4j_pin_isa} or {@code elu4j_pin_thread_isa}: its status. */
    static int pin(MethodHandle handle, int isa) {
        try {
            return (int) handle.invokeExact(isa);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Removes the calling thread's pin ({@code elu4j_pin_thread_isa(ELU4J_ISA_BEST)}: cannot fail). */
    static void unpinThread() {
        int status = pin(HelperDowncalls.Control.PIN_THREAD_ISA, -1);
        if (status != 0) {
            throw new org.elu4j.NativeCallException("elu4j helper", "elu4j_pin_thread_isa(ELU4J_ISA_BEST)", status,
                    cString(Elu4jNative.elu4j_status_name(status)));
        }
    }

    /** The ISA level the library's calls run on: the pinned one, else {@link #bestIsa()}. */
    public static int activeIsa() {
        try {
            return (int) HelperDowncalls.Info.ACTIVE_ISA.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Where the ISA pin came from (e.g. {@code -Delu4j.helper.isa=avx2}), or null if not pinned. */
    public static String pinSource() {
        return pinSource;
    }

    /**
     * The helper fixed to one ISA level (for tests, benchmarks and tools); the CPU must support it.
     * Each call pins its level for the calling thread only ({@code elu4j_pin_thread_isa}, over
     * the process's pin), runs serially, and unpins the thread: calls of helpers fixed to different
     * levels run concurrently, and no other thread's calls change level.
     */
    public static HelperBackend forIsa(int isa) {
        if (Elu4jNative.elu4j_isa_supported(isa) == 0) {
            throw new IllegalArgumentException("this CPU does not support helper ISA " + isaName(isa));
        }
        return new HelperBackend(isa, "helper (" + isaName(isa) + ")");
    }

    /** The best {@code elu4j_isa} of this CPU. */
    public static int bestIsa() {
        return Elu4jNative.elu4j_best_isa();
    }

    /** Every {@code elu4j_isa} the running CPU supports, most portable first. */
    public static int[] supportedIsas() {
        return java.util.stream.IntStream.rangeClosed(ISA_PORTABLE, ISA_AVX512)
                .filter(i -> Elu4jNative.elu4j_isa_supported(i) != 0).toArray();
    }

    /**
     * The helper's name for an ISA level, e.g. {@code avx512}: {@code elu4j_isa_name}'s, known here
     * for the levels of elu4j.h (the names {@value #ISA_PROPERTY} takes), so that starting needs no
     * downcall for it.
     */
    public static String isaName(int isa) {
        if (isa == ISA_PORTABLE) {
            return "portable";
        } else if (isa == ISA_AVX2) {
            return "avx2";
        } else if (isa == ISA_AVX512) {
            return "avx512";
        }
        return cString(Elu4jNative.elu4j_isa_name(isa));
    }

    @Override
    public Backend kind() {
        return Backend.HELPER;
    }

    @Override
    public String description() {
        String d = description;
        if (d == null) { // best(): racing threads compute the same text
            d = named + " (" + isaName(activeIsa()) + (pinned != null ? ", pinned by " + pinned : "") + ")";
            description = d;
        }
        return d;
    }

    /** Every forward, one group: every call is the same short Java code in front of native code, cheap to run interpreted. */
    @Override
    public int warmUpGroup(Op op, DataType type, Pass pass) {
        return pass == Pass.FORWARD ? 0 : -1;
    }

    /** Its path compiled costs well under {@link org.elu4j.internal.WarmUp}'s bound on a few elements: it may warm until then. */
    @Override
    public boolean warmUpUntilCompiled() {
        return true;
    }

    @Override
    public boolean supportsHeapSegments() {
        return true;
    }

    /** The helper runs every function, pass and data type. */
    @Override
    public String unsupported(Op op, DataType type, Pass pass) {
        return null;
    }

    /**
     * Whether the library runs f32 forward of {@code op} on its float ELU kernel
     * ({@code elu4j_uses_float_kernel}: the one place the helper decides it; {@link Op#isFastF32Elu()}
     * states the same rule for the Vector API backend).
     */
    public static boolean usesFloatKernel(Op op) {
        try {
            return (int) HelperDowncalls.FloatKernel.USES_FLOAT_KERNEL.invokeExact(op.kind().nativeCode, op.alpha(),
                    op.scale(), op.inputScale()) != 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Every forward goes to {@code elu4j_forward} with the function's codes and parameters (the
     * library picks its float ELU kernel where {@link #usesFloatKernel} says so), or to
     * {@code elu4j_forward_mt} for a parallel call of native segments large enough to split.
     */
    @Override
    public Binding.Forward bindForward(Op op, DataType type) {
        HelperDowncalls.Forward.load();
        return new HelperCalls.ForwardKernel(isa, op.kind().nativeCode, dtypeCode(type), type.byteSize(), op.alpha(),
                op.scale(), op.inputScale());
    }


    @Override
    public Binding.Backward bindBackward(Op op, DataType type, boolean fromOutput) {
        HelperDowncalls.Backward.load();
        return HelperCalls.backward(isa, op, type, fromOutput);
    }

    /** The helper's {@code elu4j_dtype} number of a data type. */
    static int dtypeCode(DataType type) {
        return switch (type) {
            case F32 -> DT_F32;
            case F64 -> DT_F64;
            case BF16 -> DT_BF16;
            case F16 -> DT_F16;
        };
    }

    /**
     * The element count from which the helper runs a parallel call on several threads
     * ({@code elu4j_mt_min_elements()}); smaller calls run serially, as fast as a serial call.
     */
    public static long parallelMinElements() {
        return HelperDowncalls.Parallel.MT_MIN_ELEMENTS;
    }

    /** Reads a static NUL-terminated string the helper returned (at most 256 bytes). */
    static String cString(MemorySegment pointer) {
        return pointer.reinterpret(256).getString(0);
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
