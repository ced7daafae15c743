package org.elu4j.internal;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
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
 * logs the outcome in one line (logger {@code org.elu4j}) when the first call is bound. Modelled on Lucene's
 * {@code VectorizationProvider}: every check that could make a backend unsafe or slow is made up
 * front, and each refusal carries a reason that tells the user what to do.
 *
 * <p>AUTO's order is helper, vector, oneDNN, scalar: the helper's kernel is the fastest at every
 * size on x86-64 (see {@code bench/} and the README), the Vector API needs no native code, and
 * oneDNN pays a fixed cost per call. Heap segments never go to oneDNN. Every call kind goes to the
 * first backend in that order that runs it, at every size. The JMH suite found one crossover:
 * oneDNN's backward from the output of ELU with alpha = 1 (f32, bf16) beats the helper's, which
 * rounds once where oneDNN rounds twice (docs/benchmarks.md, "Backward kernels"). AUTO does not
 * take it, nor any crossover, by function, type, memory kind or mode: that would make AUTO's
 * accuracy and bits depend on them, and the helper is the one backend with a parallel path and
 * with heap memory at no copy.
 *
 * <p>The system property {@value #DISABLE_PROPERTY} (a comma-separated list of backend names)
 * turns backends off, e.g. to test the fallbacks. {@code helper} also stops the oneDNN backend
 * from executing through the helper library's one-downcall shim.
 *
 * <p><b>What runs at start, and what on first need.</b> Creating the provider runs no native
 * code: it checks the helper as far as that is possible without calling it (its library found,
 * intact, loaded, every symbol present), makes the vector backend's cheap checks (its module,
 * {@code -Xint}) and creates the scalar backend. Three costs wait for the first need: linking the
 * helper's downcalls (the JVM's first downcall costs tens of milliseconds; a library other than
 * the build's own is asked its version then, and the ISA level is read when first reported), the
 * vector backend (its JMX checks of the JIT and the Vector API's
 * classes: tens of milliseconds that AUTO on the helper never needs; made by a call on it,
 * {@link #statuses()}, {@link #isAvailable isAvailable(VECTOR)}, {@link #whyNot}, or AUTO where the
 * helper is unavailable) and oneDNN (extraction, {@code dlopen} of its 93 MB library, engine,
 * probes). The helper is linked by its first binding
 * (AUTO's first call), {@link #helperStatus()}, {@link #isAvailable isAvailable(HELPER)} or
 * {@link #whyNot}; at once when its ISA level is pinned or its library is an override, so that
 * those are checked at start. oneDNN is loaded by an explicit {@link Backend#ONEDNN} (a binding,
 * {@link #whyNot}), {@link #oneDnnStatus()}, {@link #isAvailable isAvailable(ONEDNN)}, or AUTO when
 * neither the helper nor the vector backend is available (then AUTO's first choice may be oneDNN,
 * so it is loaded when the provider is created). Until then {@link #statuses()} reports them
 * from those checks: the helper available, oneDNN available when its natives are there
 * ({@link NativeLibraries#dnnlLocation()}), each with a detail that says it is not linked or
 * loaded yet.
 *
 * <p><b>Logging</b> ({@link System.Logger} {@code org.elu4j}, through {@link Log}): one line when
 * the first call is bound ({@link #announce}), INFO, or WARNING when a backend is unavailable for a
 * reason that needs fixing; a backend absent by choice ({@value #DISABLE_PROPERTY}, no dnnl jar) is
 * mentioned at DEBUG only; the Vector API module not being enabled is a note in the INFO line (AUTO
 * prefers the helper anyway). Diagnostics alone ({@link #statuses()}) log nothing, so a JVM that
 * only asks what runs never initialises its logging backend (with java.util.logging, the INFO
 * line's first record costs tens of milliseconds; the first binding starts it on a thread of its
 * own: {@link Log#startInBackground}). Linking the helper or loading oneDNN logs its time at
 * DEBUG, or a WARNING when it fails after the start line (for oneDNN: when its natives are there).
 * This class decides when those lines are logged, and logs them; {@link BackendReport} composes
 * the start line and the statuses from what this class has found.
 */
public final class BackendProvider {
    private static final String DISABLE_PROPERTY = "elu4j.disable";
    private static final List<Backend> AUTO_ORDER = List.of(Backend.HELPER, Backend.VECTOR, Backend.ONEDNN, Backend.SCALAR);

    private static final String HEAP_REFUSED = "it takes only native segments (oneDNN keeps "
            + "pointers to its memory objects, so Java heap arrays must never reach it); "
            + "allocate the tensors from an Arena or use Backend.AUTO";

    /** The scalar backend (made at creation), the vector backend once made, the helper once linked, oneDNN once loaded. */
    private final EluBackend[] byKind = new EluBackend[Backend.values().length];
    /** Why a backend is unavailable, found at creation; later failures are in helperLinkReason and oneDnnReason. */
    private final Map<Backend, String> reasons = new EnumMap<>(Backend.class);
    private final Set<String> disabled;
    /** The helper's description until it is linked ("helper 0.2.0"), or null when it is unavailable at start. */
    private final String helperPending;
    /** Whether the helper's link has run (or there is nothing to link): byKind[HELPER] and helperLinkReason are then final. */
    private volatile boolean helperLinked;
    private String helperLinkReason;
    /** Whether the vector backend's checks have run: byKind[VECTOR] and vectorReason are written before it turns true. */
    private volatile boolean vectorMade;
    private String vectorReason;
    /** Whether oneDNN's probe has run: byKind[ONEDNN] and oneDnnReason are written before it turns true. */
    private volatile boolean oneDnnProbed;
    private String oneDnnReason;
    /** Whether the start line was logged ({@link #announce}); failures before it are reported in it. */
    private volatile boolean announced;
    /** What the constructor's checks took, ns: the helper's (its library loaded), all. */
    private final long helperProbeNanos, startNanos;
    /** Whether the start line already warned that oneDNN is unavailable (a bad elu4j.dnnl.library, say). */
    private boolean oneDnnWarned;
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
        long t0 = System.nanoTime();
        disabled = new java.util.HashSet<>();
        for (String name : System.getProperty(DISABLE_PROPERTY, "").split(",")) {
            if (!name.isBlank()) {
                disabled.add(name.trim().toLowerCase(Locale.ROOT));
            }
        }
        String pending = null;
        if (disabled.contains(Backend.HELPER.cliName())) {
            reasons.put(Backend.HELPER, DISABLED);
        } else {
            try {
                NativeLibraries.helper().get();
                pending = HelperBackend.probe(); // loads the class: every symbol is looked up
            } catch (RuntimeException | LinkageError e) {
                reasons.put(Backend.HELPER, reason(e));
            }
        }
        helperPending = pending;
        helperLinked = pending == null;
        if (pending != null && HelperBackend.linkAtStart()) {
            linkHelper(); // a pinned ISA level or an override library: check it now
        }
        long t1 = System.nanoTime();
        // The vector backend's cheap checks only (no JMX, no Vector API class): it is made when
        // something needs it (makeVector), which AUTO does only where the helper is unavailable.
        String why = disabled.contains(Backend.VECTOR.cliName()) ? DISABLED : VectorChecks.precheck();
        if (why != null) {
            reasons.put(Backend.VECTOR, why);
            vectorMade = true;
        }
        byKind[Backend.SCALAR.ordinal()] = new ScalarBackend();
        autoChoice(); // vector and oneDNN only matter (and are made now) when the helper is out
        helperProbeNanos = t1 - t0;
        startNanos = System.nanoTime() - t0;
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

    static final String DISABLED = "disabled by -D" + DISABLE_PROPERTY;

    /** The backend of that kind, or null when it is unavailable; links the helper, makes the vector backend or loads oneDNN on first need. */
    private EluBackend backend(Backend kind) {
        if (kind == Backend.HELPER && !helperLinked) {
            linkHelper();
        } else if (kind == Backend.VECTOR && !vectorMade) {
            makeVector();
        } else if (kind == Backend.ONEDNN && !oneDnnProbed) {
            loadOneDnn();
        }
        return made(kind);
    }

    /** Why a backend is unavailable (null when it is available), as far as known without linking or loading. */
    String whyUnavailable(Backend kind) {
        return switch (kind) {
            case ONEDNN -> oneDnnClosed() ? OneDnnBackend.CLOSED : oneDnnReason;
            case HELPER -> reasons.containsKey(kind) ? reasons.get(kind) : helperLinkReason;
            case VECTOR -> reasons.containsKey(kind) ? reasons.get(kind) : vectorReason;
            default -> reasons.get(kind);
        };
    }

    /** Links the helper once: its downcalls, version check, ISA pin and level ({@link HelperBackend#best}). */
    private synchronized void linkHelper() {
        if (helperLinked) {
            return;
        }
        long start = System.nanoTime();
        // Straight code, not probe()'s Supplier: this is the first call's path, where every
        // lambda and String.format costs a fresh JVM classes and interpreted time.
        String why = null;
        try {
            byKind[Backend.HELPER.ordinal()] = HelperBackend.best();
        } catch (RuntimeException | LinkageError e) {
            why = reason(e);
        }
        helperLinkReason = why;
        helperLinked = true;
        helperLinkNanos = System.nanoTime() - start;
        if (announced) { // before the start line, a failure is reported in it and the time in its DEBUG line
            if (why != null) {
                Log.get().log(System.Logger.Level.WARNING, "elu4j: helper unavailable: " + why);
            } else if (Log.get().isLoggable(System.Logger.Level.DEBUG)) { // the description reads the level: a downcall
                Log.get().log(System.Logger.Level.DEBUG, "elu4j: helper linked in " + BackendReport.millis(helperLinkNanos)
                        + " ms: " + byKind[Backend.HELPER.ordinal()].description());
            }
        }
    }

    /** How long linking the helper took (for the DEBUG line that follows the start line), ns. */
    private long helperLinkNanos;

    /** Makes the vector backend once: its JMX checks and the Vector API's classes ({@link VectorChecks#create}). */
    private synchronized void makeVector() {
        if (vectorMade) {
            return;
        }
        long start = System.nanoTime();
        String why = probe(Backend.VECTOR, VectorChecks::create);
        vectorReason = why;
        EluBackend b = byKind[Backend.VECTOR.ordinal()];
        vectorMade = true;
        if (announced || why == null) { // a failure before the start line is reported in it
            boolean note = why != null && why.startsWith(VectorChecks.MODULE_MISSING);
            Log.get().log(why != null && !note ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                    () -> b != null ? String.format(Locale.ROOT, "elu4j: vector backend made in %.0f ms: %s",
                            (System.nanoTime() - start) / 1e6, b.description())
                            : "elu4j: vector unavailable: " + why);
        }
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
        if (announced || why == null || oneDnnAbsentByChoice()) { // a failure before the start line is reported in it
            Log.get().log(why != null && !oneDnnAbsentByChoice() && !oneDnnWarned ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                    () -> b != null ? String.format(Locale.ROOT, "elu4j: onednn loaded in %.0f ms: %s",
                            (System.nanoTime() - start) / 1e6, b.description())
                            : "elu4j: onednn unavailable: " + why);
        }
    }

    /** Disabled on purpose, or no dnnl jar and no override: nothing to report above DEBUG. */
    boolean oneDnnAbsentByChoice() {
        return disabled.contains(Backend.ONEDNN.cliName()) || NativeLibraries.dnnlLocation().chosen();
    }

    private static String reason(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExceptionInInitializerError || t.getMessage() == null) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    /**
     * Logs the one start line, once, when the first call is bound: INFO, or WARNING when a
     * backend is unavailable for a reason that needs fixing. A backend absent by choice gets a
     * DEBUG line instead, and so do the times the start took.
     */
    private void announce() {
        if (announced) {
            return;
        }
        synchronized (this) {
            if (!announced) {
                logStart(autoChoice());
                announced = true;
            }
        }
    }

    /**
     * Logs the start line ({@link BackendReport#startLine}) and its DEBUG lines. The calls to the
     * logger stay here, in the provider, so that a logger that names the calling method (as
     * java.util.logging's SimpleFormatter does) names where the line is logged, not where it is
     * written.
     */
    private void logStart(Backend auto) {
        System.Logger log = Log.get();
        if (log.isLoggable(System.Logger.Level.DEBUG)) {
            log.log(System.Logger.Level.DEBUG, BackendReport.startTimes(this));
        }
        if (!log.isLoggable(System.Logger.Level.WARNING)) {
            return; // nothing of the line would be written: spare the first call composing it (the helper's level is a downcall)
        }
        BackendReport.StartLine line = BackendReport.startLine(this, auto);
        oneDnnWarned |= line.warnsOneDnn();
        log.log(line.problem() ? System.Logger.Level.WARNING : System.Logger.Level.INFO, line.text());
        List<String> byChoice = line.byChoice();
        if (!byChoice.isEmpty()) {
            log.log(System.Logger.Level.DEBUG, () -> "elu4j: by choice: " + String.join("; ", byChoice));
        }
    }

    /**
     * The backend of that kind if it can run here, else null; for AUTO, the one it uses for f32
     * on native memory. Links the helper or loads oneDNN if it is that kind and nothing has yet.
     */
    public EluBackend available(Backend kind) {
        return backend(kind == Backend.AUTO ? autoChoice() : kind);
    }

    /**
     * Whether calls on that kind can run here (AUTO: always). For the helper and oneDNN this is
     * the definite answer: it links the helper, or loads oneDNN, if nothing has yet; oneDNN is
     * unavailable again once closed at the JVM's shutdown.
     */
    public boolean isAvailable(Backend kind) {
        return kind == Backend.AUTO || backend(kind) != null;
    }

    /**
     * Binds a call kind: {@code op} on {@code type} for {@code pass}, on heap memory or not. AUTO
     * takes the first backend in its order that is available, takes heap memory if {@code heap},
     * and binds the call; the scalar backend runs everything, so AUTO always finds one. An explicit
     * backend's binding is a refusal when it is unavailable here, cannot take heap memory, or
     * cannot run the call; the refusal's exception names the reason.
     */
    public Binding bind(Backend requested, Op op, DataType type, Pass pass, boolean heap) {
        Log.startInBackground(); // once: before the helper's linking or oneDNN's loading, for announce()'s line
        Binding binding = bindNow(requested, op, type, pass, heap);
        announce();
        return binding;
    }

    private Binding bindNow(Backend requested, Op op, DataType type, Pass pass, boolean heap) {
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
        Log.startInBackground();
        EluBackend helper = helperLevel(helperIsa);
        Binding binding = helper == null ? Binding.refused(Backend.HELPER, helperLevelProblem(helperIsa))
                : bindOn(Backend.HELPER, helper, op, type, pass, heap);
        announce();
        return binding;
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
        if (backend(Backend.HELPER) == null) {
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
        if (backend(Backend.HELPER) == null) {
            return whyUnavailable(Backend.HELPER);
        }
        boolean known = List.of("portable", "avx2", "avx512").contains(level);
        return (known ? "this CPU does not run the helper's " + level + " level" : level + " is not a helper ISA level")
                + "; it supports " + String.join(", ", helperLevelNames());
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
     * Status of every backend but AUTO, in enum order, without linking or loading anything: a
     * helper not linked yet is reported available, a oneDNN not loaded yet from where its natives
     * are ({@link BackendReport#statuses}). The vector backend
     * is made here if nothing has made it yet (Java only: its checks and the Vector API's classes).
     */
    public List<BackendStatus> statuses() {
        if (!vectorMade) {
            makeVector();
        }
        return BackendReport.statuses(this);
    }

    /** The helper's ISA levels, or empty when the helper is unavailable; links the helper. */
    public Optional<HelperStatus> helperStatus() {
        if (backend(Backend.HELPER) == null) {
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

    /**
     * What AUTO runs for native segments: the first backend in its order that is available, as
     * far as known without linking the helper (oneDNN is loaded if AUTO gets that far).
     */
    public Backend autoChoice() {
        for (Backend kind : AUTO_ORDER) {
            boolean ok = switch (kind) {
                case HELPER -> helperLinked ? byKind[kind.ordinal()] != null : helperPending != null;
                case VECTOR, ONEDNN -> backend(kind) != null; // made only when the helper is out
                default -> byKind[kind.ordinal()] != null;
            };
            if (ok) {
                return kind;
            }
        }
        throw new IllegalStateException("the scalar backend is always available"); // unreachable
    }

    // ------------------------------------------------------------------ read by BackendReport (nothing is made here)

    /**
     * The backend of that kind if it has been made, linked or loaded and is available, else null
     * (oneDNN also once closed at the JVM's shutdown: {@link #whyUnavailable} then says so).
     */
    EluBackend made(Backend kind) {
        return kind == Backend.ONEDNN && oneDnnClosed() ? null : byKind[kind.ordinal()];
    }

    private boolean oneDnnClosed() {
        return byKind[Backend.ONEDNN.ordinal()] instanceof OneDnnBackend o && o.isClosed();
    }

    boolean helperLinked() {
        return helperLinked;
    }

    boolean vectorMade() {
        return vectorMade;
    }

    boolean oneDnnProbed() {
        return oneDnnProbed;
    }

    /** Whether {@value #DISABLE_PROPERTY} turns that backend off. */
    boolean disabled(Backend kind) {
        return disabled.contains(kind.cliName());
    }

    /** The helper's description until it is linked, or null when it is unavailable at start. */
    String helperPending() {
        return helperPending;
    }

    /** What the provider's creation took, ns. */
    long startNanos() {
        return startNanos;
    }

    /** What the creation's checks of the helper took (its library found, checked and loaded), ns. */
    long helperProbeNanos() {
        return helperProbeNanos;
    }

    /** What linking the helper took, ns (0 until it is linked). */
    long helperLinkNanos() {
        return helperLinkNanos;
    }
}
