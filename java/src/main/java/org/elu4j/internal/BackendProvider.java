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
 *
 * <p><b>oneDNN is loaded lazily.</b> The helper, vector and scalar backends are probed when the
 * provider is created; oneDNN (extraction, {@code dlopen} of its 93 MB library, engine, probes) only
 * when something needs it: an explicit {@link Backend#ONEDNN} (a binding, {@link #whyNot}),
 * {@link #oneDnnStatus()}, {@link #available available(ONEDNN)}, or AUTO when neither the helper
 * nor the vector backend is available (then AUTO's first choice may be oneDNN, so it is loaded
 * when the provider is created). Until then {@link #statuses()} reports it from
 * {@link NativeLibraries#dnnlLocation()}: available when its natives are there, not yet loaded.
 *
 * <p><b>Logging</b> ({@link System.Logger} {@code org.elu4j}): one line when the provider is
 * created, INFO, or WARNING when a backend is unavailable for a reason that needs fixing; a
 * backend absent by choice ({@value #DISABLE_PROPERTY}, no dnnl jar) is mentioned at DEBUG only;
 * the Vector API module not being enabled is a note in the INFO line (AUTO prefers the helper
 * anyway). Loading oneDNN later logs at DEBUG, or WARNING when its natives are there but fail.
 */
public final class BackendProvider {
    private static final String DISABLE_PROPERTY = "elu4j.disable";
    private static final System.Logger LOG = System.getLogger("org.elu4j");
    private static final List<Backend> AUTO_ORDER = List.of(Backend.HELPER, Backend.VECTOR, Backend.ONEDNN, Backend.SCALAR);

    private static final String HEAP_REFUSED = "it takes only native segments (oneDNN keeps "
            + "pointers to its memory objects, so Java heap arrays must never reach it); "
            + "allocate the tensors from an Arena or use Backend.AUTO";

    /** The backends probed at creation (helper, vector, scalar), and oneDNN's once {@link #loadOneDnn} ran. */
    private final EluBackend[] byKind = new EluBackend[Backend.values().length];
    /** Why a backend probed at creation is unavailable; oneDNN's reason is {@link #oneDnnReason}. */
    private final Map<Backend, String> reasons = new EnumMap<>(Backend.class);
    private final Set<String> disabled;
    /** Whether oneDNN's probe has run: byKind[ONEDNN] and oneDnnReason are written before it turns true. */
    private volatile boolean oneDnnProbed;
    private String oneDnnReason;
    /** False while the constructor runs: a oneDNN load then is reported in the start line, not on its own. */
    private boolean started;
    /** Whether the start line already warned that oneDNN is unavailable (a bad elu4j.dnnl.library, say). */
    private boolean oneDnnWarned;
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
        disabled = Stream.of(System.getProperty(DISABLE_PROPERTY, "").split(","))
                .map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
        reasons.put(Backend.HELPER, probe(Backend.HELPER, () -> {
            NativeLibraries.helper().get();
            return HelperBackend.best();
        }));
        reasons.put(Backend.VECTOR, probe(Backend.VECTOR, BackendProvider::vectorBackend));
        reasons.put(Backend.SCALAR, probe(Backend.SCALAR, ScalarBackend::new));
        reasons.values().removeIf(r -> r == null);
        // AUTO's first choice: oneDNN only matters (and is loaded now) when helper and vector are both out.
        autoNative = AUTO_ORDER.stream().map(this::available).filter(b -> b != null).findFirst().orElseThrow();
        logStart();
        started = true;
    }

    /** Creates the backend into its slot; returns null, or why it is unavailable. */
    private String probe(Backend kind, Supplier<EluBackend> factory) {
        if (kind != Backend.SCALAR && disabled.contains(kind.cliName())) {
            return DISABLED;
        }
        try {
            byKind[kind.ordinal()] = factory.get();
            return null;
        } catch (RuntimeException | LinkageError e) {
            return reason(e);
        }
    }

    private static final String DISABLED = "disabled by -D" + DISABLE_PROPERTY;

    /** The backend of that kind, or null when it is unavailable; loads oneDNN on first need. */
    private EluBackend backend(Backend kind) {
        if (kind == Backend.ONEDNN && !oneDnnProbed) {
            loadOneDnn();
        }
        return byKind[kind.ordinal()];
    }

    /** Why a backend is unavailable (null when it is available); for oneDNN, after {@link #backend} loaded it. */
    private String whyUnavailable(Backend kind) {
        return kind == Backend.ONEDNN ? oneDnnReason : reasons.get(kind);
    }

    /** Probes oneDNN once: extraction, loading, engine and probes ({@link OneDnnBackend#create}). */
    private synchronized void loadOneDnn() {
        if (oneDnnProbed) {
            return;
        }
        long start = System.nanoTime();
        String why = probe(Backend.ONEDNN, () -> {
            NativeLibraries.dnnl().get();
            // Disabling the helper also keeps oneDNN calls out of it (its one-downcall execute).
            return OneDnnBackend.create(!disabled.contains(Backend.HELPER.cliName()));
        });
        oneDnnReason = why;
        EluBackend b = byKind[Backend.ONEDNN.ordinal()];
        oneDnnProbed = true;
        if (started) {
            LOG.log(why != null && !oneDnnAbsentByChoice() && !oneDnnWarned ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                    () -> b != null ? String.format(Locale.ROOT, "elu4j: onednn loaded in %.0f ms: %s",
                            (System.nanoTime() - start) / 1e6, b.description())
                            : "elu4j: onednn unavailable: " + why);
        }
    }

    /** Disabled on purpose, or no dnnl jar and no override: nothing to report above DEBUG. */
    private boolean oneDnnAbsentByChoice() {
        return disabled.contains(Backend.ONEDNN.cliName()) || NativeLibraries.dnnlLocation().chosen();
    }

    /**
     * oneDNN's status without loading it: disabled, absent (no natives), or present and not yet
     * loaded (reported available, since a load is expected to succeed).
     */
    private BackendStatus oneDnnStatusUnloaded() {
        if (disabled.contains(Backend.ONEDNN.cliName())) {
            return new BackendStatus(Backend.ONEDNN, false, DISABLED);
        }
        NativeLibraries.Location where = NativeLibraries.dnnlLocation();
        if (!where.present()) {
            return new BackendStatus(Backend.ONEDNN, false, where.absence());
        }
        String denied = NativeLibraries.nativeAccessDenied();
        if (denied != null) { // the helper was refused native access: so would oneDNN be
            return new BackendStatus(Backend.ONEDNN, false, "oneDNN: " + denied);
        }
        return new BackendStatus(Backend.ONEDNN, true, NOT_LOADED + " (natives: " + where.origin()
                + "); it loads on first use, Elu4j.isAvailable(Backend.ONEDNN) loads it now");
    }

    /** How {@link #statuses()} begins the detail of a oneDNN that is there but not loaded yet. */
    public static final String NOT_LOADED = "onednn, not loaded yet";

    private static String reason(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExceptionInInitializerError || t.getMessage() == null) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    private static final String VECTOR_MODULE_MISSING = "the incubating module jdk.incubator.vector is not enabled";

    private static EluBackend vectorBackend() {
        Module vector = ModuleLayer.boot().findModule("jdk.incubator.vector").orElse(null);
        if (vector == null) {
            throw new IllegalStateException(VECTOR_MODULE_MISSING + ": pass --add-modules jdk.incubator.vector to java");
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

    /**
     * The one line at start: INFO, or WARNING when a backend is unavailable for a reason that
     * needs fixing. A backend absent by choice gets a DEBUG line instead.
     */
    private void logStart() {
        StringBuilder line = new StringBuilder("elu4j: AUTO uses ").append(autoNative.description());
        line.append("; available: ").append(Stream.of(Backend.values()).filter(k -> k != Backend.AUTO)
                .map(k -> byKind[k.ordinal()]).filter(b -> b != null).map(EluBackend::description)
                .collect(Collectors.joining(", ")));
        boolean problem = false;
        List<String> byChoice = new ArrayList<>();
        for (Backend kind : List.of(Backend.ONEDNN, Backend.HELPER, Backend.VECTOR)) {
            String why;
            if (kind == Backend.ONEDNN && !oneDnnProbed) {
                BackendStatus dnnl = oneDnnStatusUnloaded();
                if (dnnl.available()) {
                    line.append("; onednn loads on first use");
                    continue;
                }
                why = dnnl.detail();
            } else {
                why = whyUnavailable(kind);
            }
            if (why == null) {
                continue;
            }
            String text = kind.cliName() + " unavailable: " + why;
            if (DISABLED.equals(why) || kind == Backend.ONEDNN && oneDnnAbsentByChoice()) {
                byChoice.add(text);
            } else {
                line.append("; ").append(text);
                oneDnnWarned |= kind == Backend.ONEDNN;
                // Without --add-modules jdk.incubator.vector, AUTO still has the faster helper: a note, not a warning.
                problem |= !(kind == Backend.VECTOR && why.startsWith(VECTOR_MODULE_MISSING));
            }
        }
        LOG.log(problem ? System.Logger.Level.WARNING : System.Logger.Level.INFO, line.toString());
        if (!byChoice.isEmpty()) {
            LOG.log(System.Logger.Level.DEBUG, () -> "elu4j: by choice: " + String.join("; ", byChoice));
        }
    }

    /**
     * The backend of that kind if it can run here, else null. For {@link Backend#ONEDNN} this
     * loads oneDNN if nothing has yet.
     */
    public EluBackend available(Backend kind) {
        return kind == Backend.AUTO ? autoNative : backend(kind);
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
                EluBackend b = backend(kind); // oneDNN only when helper and vector are out (they run every call kind)
                if (b != null && (!heap || b.supportsHeapSegments())) {
                    Binding binding = b.bind(op, type, pass);
                    if (binding.refusal() == null) {
                        return binding;
                    }
                }
            }
            throw new IllegalStateException("no backend runs " + op + " " + pass.label() + " on " + type); // unreachable
        }
        EluBackend backend = backend(requested);
        if (backend == null) {
            return Binding.refused(requested, whyUnavailable(requested));
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
        EluBackend b = backend(kind);
        if (b == null) {
            return "unavailable: " + whyUnavailable(kind);
        }
        return b.unsupported(op, type, pass);
    }

    /**
     * Status of every backend but AUTO, in enum order, without loading anything: an oneDNN not
     * loaded yet is reported from where its natives are ({@link #oneDnnStatusUnloaded}).
     */
    public List<BackendStatus> statuses() {
        List<BackendStatus> list = new ArrayList<>();
        for (Backend kind : Backend.values()) {
            if (kind == Backend.AUTO) {
                continue;
            }
            if (kind == Backend.ONEDNN && !oneDnnProbed) {
                list.add(oneDnnStatusUnloaded());
                continue;
            }
            EluBackend b = byKind[kind.ordinal()];
            list.add(b != null ? new BackendStatus(kind, true, b.description())
                    : new BackendStatus(kind, false, whyUnavailable(kind)));
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

    /** What oneDNN runs on, or empty when the oneDNN backend is unavailable; loads oneDNN. */
    public Optional<OneDnnStatus> oneDnnStatus() {
        if (backend(Backend.ONEDNN) instanceof OneDnnBackend dnnl) {
            return Optional.of(new OneDnnStatus(dnnl.version(), dnnl.isa(), dnnl.implementation(), dnnl.executePath()));
        }
        return Optional.empty();
    }

    /** What AUTO runs for native segments. */
    public Backend autoChoice() {
        return autoNative.kind();
    }
}
