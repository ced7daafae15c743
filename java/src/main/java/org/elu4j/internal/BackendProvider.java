package org.elu4j.internal;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.elu4j.Backend;
import org.elu4j.BackendStatus;
import org.elu4j.BackendUnavailableException;
import org.elu4j.DataType;
import org.elu4j.HelperStatus;
import org.elu4j.OneDnnStatus;
import org.elu4j.internal.helper.HelperBackend;
import org.elu4j.internal.onednn.OneDnnBackend;
import org.elu4j.internal.scalar.ScalarBackend;

/**
 * Finds, once per JVM, which backends can run here and which one {@link Backend#AUTO} uses, and
 * logs the outcome in one line (logger {@code org.elu4j}). Modelled on Lucene's
 * {@code VectorizationProvider}: every check that could make a backend unsafe or slow is made up
 * front, and each refusal carries a reason that tells the user what to do.
 *
 * <p>AUTO's order is helper, vector, oneDNN, scalar: the helper's kernel is the fastest at every
 * size on x86-64 (see {@code bench/} and the README), the Vector API needs no native code, and
 * oneDNN pays a fixed cost per call. Heap segments never go to oneDNN. Every call kind goes to the
 * first backend in that order that runs it, at every size: the JMH suite found no size crossover
 * between backends. One crossover by function is deliberately not taken: for f32 SELU (and any
 * ELU the float kernels cannot run within 1 ulp) the vector backend's double lanes were measured
 * faster than the helper's (docs/benchmarks.md); both are within 1 ulp but not bit-identical, and
 * the helper is the one backend with a parallel path and with heap memory at no copy, so switching
 * by function, memory kind or mode would make AUTO's bits depend on them.
 *
 * <p>The system property {@value #DISABLE_PROPERTY} (a comma-separated list of backend names)
 * turns backends off, e.g. to test the fallbacks. {@code helper} also stops the oneDNN backend
 * from executing through the helper library's one-downcall shim.
 */
public final class BackendProvider {
    private static final String DISABLE_PROPERTY = "elu4j.disable";
    private static final System.Logger LOG = System.getLogger("org.elu4j");
    private static final List<Backend> AUTO_ORDER = List.of(Backend.HELPER, Backend.VECTOR, Backend.ONEDNN, Backend.SCALAR);

    private static final String HEAP_REFUSED = "it takes only native segments (oneDNN keeps "
            + "pointers to its memory objects, so Java heap arrays must never reach it); "
            + "allocate the tensors from an Arena or use Backend.AUTO";

    private final EluBackend[] byKind = new EluBackend[Backend.values().length];
    private final Map<Backend, String> reasons = new EnumMap<>(Backend.class);
    private final EluBackend autoNative;
    /** The helper pinned to one ISA level, by level name ({@code Elu.onHelperIsa}), made on first use. */
    private final Map<String, EluBackend> helperLevels = new ConcurrentHashMap<>();

    /** Lazy holder: the probes run on first use, and class initialisation cannot deadlock. */
    private static final class Holder {
        static final BackendProvider INSTANCE = new BackendProvider();
    }

    public static BackendProvider get() {
        return Holder.INSTANCE;
    }

    private BackendProvider() {
        Set<String> disabled = Stream.of(System.getProperty(DISABLE_PROPERTY, "").split(","))
                .map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
        probe(Backend.ONEDNN, disabled, () -> {
            NativeLibraries.dnnl().get();
            // Disabling the helper also keeps oneDNN calls out of it (its one-downcall execute).
            return OneDnnBackend.create(!disabled.contains(Backend.HELPER.cliName()));
        });
        probe(Backend.HELPER, disabled, () -> {
            NativeLibraries.helper().get();
            return HelperBackend.best();
        });
        probe(Backend.VECTOR, disabled, BackendProvider::vectorBackend);
        probe(Backend.SCALAR, Set.of(), ScalarBackend::new);
        autoNative = AUTO_ORDER.stream().map(this::available).filter(b -> b != null).findFirst().orElseThrow();
        log();
    }

    private void probe(Backend kind, Set<String> disabled, Supplier<EluBackend> factory) {
        if (disabled.contains(kind.cliName())) {
            reasons.put(kind, "disabled by -D" + DISABLE_PROPERTY);
            return;
        }
        try {
            byKind[kind.ordinal()] = factory.get();
        } catch (RuntimeException | LinkageError e) {
            reasons.put(kind, reason(e));
        }
    }

    private static String reason(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExceptionInInitializerError || t.getMessage() == null) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    private static EluBackend vectorBackend() {
        Module vector = ModuleLayer.boot().findModule("jdk.incubator.vector").orElse(null);
        if (vector == null) {
            throw new IllegalStateException("the incubating module jdk.incubator.vector is not enabled: "
                    + "pass --add-modules jdk.incubator.vector to java");
        }
        Module self = BackendProvider.class.getModule();
        if (self.isNamed() && !self.canRead(vector)) {
            throw new IllegalStateException("module " + self.getName() + " cannot read jdk.incubator.vector");
        }
        if (System.getProperty("java.vm.info", "").contains("interpreted")) {
            throw new IllegalStateException("the JVM runs interpreted (-Xint): the Vector API would be slower than scalar code");
        }
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.matches("-XX:TieredStopAtLevel=[0-3]")) {
                throw new IllegalStateException("C2 is disabled (" + arg + "): the Vector API needs C2 to be fast");
            }
        }
        // Every kernel is built on fused multiply-adds. Without the JIT's FMA (a CPU without
        // FMA/AVX, or -XX:UseAVX=0) the Vector API runs them lane by lane in Java: correct, but
        // slower than the scalar backend by orders of magnitude.
        if ("false".equals(vmOption("UseFMA"))) {
            throw new IllegalStateException("the JIT has no FMA instructions here (UseFMA is off: a CPU without "
                    + "FMA/AVX, or -XX:UseAVX=0), so the Vector API kernels would run lane by lane, slower than scalar code");
        }
        try {
            return (EluBackend) Class.forName("org.elu4j.internal.vector.VectorBackend")
                    .getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create the Vector API backend: " + e, e);
        }
    }

    /** A HotSpot flag's value, or null where it cannot be read (another VM, jdk.management absent). */
    static String vmOption(String name) {
        try {
            com.sun.management.HotSpotDiagnosticMXBean bean =
                    ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return bean == null ? null : bean.getVMOption(name).getValue();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    private void log() {
        StringBuilder line = new StringBuilder("elu4j: AUTO uses ").append(autoNative.description());
        line.append("; available: ").append(Stream.of(Backend.values()).filter(k -> k != Backend.AUTO).map(this::available)
                .filter(b -> b != null).map(EluBackend::description).collect(Collectors.joining(", ")));
        reasons.forEach((kind, why) -> line.append("; ").append(kind.cliName()).append(" unavailable: ").append(why));
        LOG.log(reasons.isEmpty() ? System.Logger.Level.INFO : System.Logger.Level.WARNING, line.toString());
    }

    /** The backend of that kind if it can run here, else null. */
    public EluBackend available(Backend kind) {
        return kind == Backend.AUTO ? autoNative : byKind[kind.ordinal()];
    }

    /**
     * Binds a call kind: {@code op} on {@code type} for {@code pass}, on heap memory or not. AUTO
     * takes the first backend in its order that is available, takes heap memory if {@code heap},
     * and binds the call; the scalar backend runs everything, so AUTO always finds one. An explicit
     * backend's binding is a refusal when it is unavailable here, cannot take heap memory, or
     * cannot run the call; the refusal's exception names the reason.
     */
    public Binding bind(Backend requested, Op op, DataType type, Pass pass, boolean heap) {
        if (requested == Backend.AUTO) {
            for (Backend kind : AUTO_ORDER) {
                EluBackend b = byKind[kind.ordinal()];
                if (b != null && (!heap || b.supportsHeapSegments())) {
                    Binding binding = b.bind(op, type, pass);
                    if (binding.refusal() == null) {
                        return binding;
                    }
                }
            }
            throw new IllegalStateException("no backend runs " + op + " " + pass.label() + " on " + type); // unreachable
        }
        EluBackend backend = byKind[requested.ordinal()];
        if (backend == null) {
            return Binding.refused(requested, reasons.get(requested));
        }
        return bindOn(requested, backend, op, type, pass, heap);
    }

    /**
     * {@link #bind} on the helper pinned to one ISA level ({@code Elu.onHelperIsa}), or on
     * {@code requested} when {@code helperIsa} is null. Refused when the helper is unavailable or
     * this CPU lacks the level.
     */
    public Binding bind(Backend requested, String helperIsa, Op op, DataType type, Pass pass, boolean heap) {
        if (helperIsa == null) {
            return bind(requested, op, type, pass, heap);
        }
        EluBackend helper = helperLevel(helperIsa);
        if (helper == null) {
            return Binding.refused(Backend.HELPER, helperLevelProblem(helperIsa));
        }
        return bindOn(Backend.HELPER, helper, op, type, pass, heap);
    }

    private static Binding bindOn(Backend requested, EluBackend backend, Op op, DataType type, Pass pass, boolean heap) {
        if (heap && !backend.supportsHeapSegments()) {
            return Binding.refused(requested, HEAP_REFUSED);
        }
        Binding binding = backend.bind(op, type, pass);
        String why = binding.refusal();
        return why == null ? binding : Binding.refused(requested, "it cannot run " + op + " " + pass.label() + " on "
                + type.cliName() + ": " + why + " (Backend.AUTO picks a backend that can)");
    }

    /** The helper pinned to {@code level} (made once per level), or null when the helper or the level is not available. */
    private EluBackend helperLevel(String level) {
        if (byKind[Backend.HELPER.ordinal()] == null) {
            return null;
        }
        return helperLevels.computeIfAbsent(level, l -> {
            for (int isa : HelperBackend.supportedIsas()) {
                if (HelperBackend.isaName(isa).equals(l)) {
                    return HelperBackend.forIsa(isa);
                }
            }
            return null;
        });
    }

    /** Why {@link #helperLevel} is null. */
    private String helperLevelProblem(String level) {
        if (byKind[Backend.HELPER.ordinal()] == null) {
            return reasons.get(Backend.HELPER);
        }
        return "this CPU does not run the helper's " + level + " level; it supports "
                + String.join(", ", helperLevelNames());
    }

    private static List<String> helperLevelNames() {
        return java.util.Arrays.stream(HelperBackend.supportedIsas()).mapToObj(HelperBackend::isaName).toList();
    }

    /**
     * The backend that runs {@code op} on {@code type} for {@code pass} ({@link #bind}'s).
     *
     * @throws BackendUnavailableException if an explicitly requested backend cannot run here,
     *                                     cannot take heap segments, or cannot run this call
     */
    public EluBackend select(Backend requested, Op op, DataType type, Pass pass, boolean heap) {
        return bind(requested, op, type, pass, heap).backend();
    }

    /**
     * {@link #whyNot(Backend, Op, DataType, Pass)} for the helper pinned to one ISA level, or for
     * {@code kind} when {@code helperIsa} is null.
     */
    public String whyNot(Backend kind, String helperIsa, Op op, DataType type, Pass pass) {
        if (helperIsa == null) {
            return whyNot(kind, op, type, pass);
        }
        EluBackend helper = helperLevel(helperIsa);
        return helper == null ? "unavailable: " + helperLevelProblem(helperIsa) : helper.unsupported(op, type, pass);
    }

    /** Why a backend cannot run a call, or null if it can (also null for AUTO, which always finds one). */
    public String whyNot(Backend kind, Op op, DataType type, Pass pass) {
        if (kind == Backend.AUTO) {
            return null;
        }
        EluBackend b = byKind[kind.ordinal()];
        if (b == null) {
            return "unavailable: " + reasons.get(kind);
        }
        return b.unsupported(op, type, pass);
    }

    /** Status of every backend but AUTO, in enum order. */
    public List<BackendStatus> statuses() {
        List<BackendStatus> list = new ArrayList<>();
        for (Backend kind : Backend.values()) {
            if (kind == Backend.AUTO) {
                continue;
            }
            EluBackend b = byKind[kind.ordinal()];
            list.add(b != null ? new BackendStatus(kind, true, b.description())
                    : new BackendStatus(kind, false, reasons.get(kind)));
        }
        return List.copyOf(list);
    }

    /** The helper's ISA levels, or empty when the helper is unavailable. */
    public Optional<HelperStatus> helperStatus() {
        if (byKind[Backend.HELPER.ordinal()] == null) {
            return Optional.empty();
        }
        return Optional.of(new HelperStatus(HelperBackend.isaName(HelperBackend.activeIsa()), helperLevelNames(),
                Optional.ofNullable(HelperBackend.pinSource()), HelperBackend.parallelMinElements()));
    }

    /** What oneDNN runs on, or empty when the oneDNN backend is unavailable. */
    public Optional<OneDnnStatus> oneDnnStatus() {
        if (byKind[Backend.ONEDNN.ordinal()] instanceof OneDnnBackend dnnl) {
            return Optional.of(new OneDnnStatus(dnnl.version(), dnnl.isa(), dnnl.implementation(), dnnl.executePath()));
        }
        return Optional.empty();
    }

    /** What AUTO runs for native segments. */
    public Backend autoChoice() {
        return autoNative.kind();
    }
}
