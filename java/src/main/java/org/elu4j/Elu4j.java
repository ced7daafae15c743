package org.elu4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.NativeLibraries;

/**
 * What elu4j found on this machine, as data: the backends and why any is unavailable, AUTO's
 * choice, the helper's instruction set levels, what oneDNN runs on and the native libraries in
 * use. {@code elu4j info} prints all of it; {@link Elu#unsupportedReason} and
 * {@link Elu#backendFor} answer for one function and kind of call.
 *
 * <p><b>What costs what.</b> Asking costs little, running pays for what it runs. The first call of
 * this class or of {@link Elu} checks the backends without calling native code: the helper's
 * library is found, checked and loaded, and its symbols looked up; the vector and scalar backends
 * are created. Two costs wait until they are needed: linking the helper's downcalls (the JVM's
 * first downcall costs tens of milliseconds; the helper's ISA level is read then) and oneDNN
 * (its natives jar holds a 93 MB library, extracted, loaded and probed on first use; AUTO never
 * needs it where the helper or the vector backend runs, as they run every call). The helper is
 * linked by the first call that runs on it, {@link #helper()}, {@link #isAvailable
 * isAvailable(HELPER)} or an {@link Elu#on(Backend) Elu on it} asking
 * {@link Elu#unsupportedReason}/{@link Elu#backendFor}; oneDNN likewise by a call on
 * {@link Backend#ONEDNN}, {@link #isAvailable isAvailable(ONEDNN)}, {@link #oneDnn()},
 * {@link #nativeLibraries()}, {@link #dnnlLibrary()}, or by AUTO when neither the helper nor the
 * vector backend is available. {@link #backends()} and {@link #autoBackend()} link and load
 * nothing (see there).
 *
 * <p>elu4j logs one line (logger {@code org.elu4j}, through {@link System.Logger}) when it binds
 * its first call: INFO with AUTO's choice, or WARNING when a backend is unavailable for a reason
 * to fix; a backend left out on purpose ({@code -Delu4j.disable=...}, no dnnl jar) only at DEBUG.
 * These diagnostics themselves log nothing.
 */
public final class Elu4j {
    /**
     * This library's version, as Maven builds it ({@code 0.2.0-SNAPSHOT}, {@code 0.2.0}): read
     * from the jar at run time ({@code org/elu4j/version.properties}), so it is always the
     * version of the library on the class or module path, never one compiled into a caller;
     * {@code "unknown"} if that resource is missing.
     */
    public static final String VERSION = readVersion();

    private Elu4j() {
    }

    private static String readVersion() {
        try (InputStream in = Elu4j.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "").trim();
                if (!v.isEmpty() && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // fall through: a broken jar must not stop the library from loading
        }
        return "unknown";
    }

    /**
     * Every backend (except AUTO), in enum order, with whether it runs here and why or why not.
     * It links and loads nothing not linked or loaded yet, so it stays cheap (see the class
     * comment; docs/benchmarks.md measures it): until the helper has been linked it is reported
     * available with the detail {@code "helper <version>, not linked yet: ..."} (its ISA level is
     * read when it is linked); until oneDNN has been loaded it is reported from where its natives
     * are: unavailable when they are absent (no {@code org.bytedeco:dnnl} natives jar on the class
     * path or module path, and no {@code elu4j.dnnl.library}) or when it is disabled, otherwise
     * available with the detail {@code "onednn, not loaded yet (natives: ...)"}. Loading oneDNN
     * can still fail then (a CPU oneDNN does not support, a damaged library), which
     * {@link #isAvailable isAvailable(Backend.ONEDNN)} finds out for sure. Once linked or loaded,
     * a backend's status is its own (version, ISA level, implementation) or why it failed.
     *
     * @return the status of every backend but AUTO
     */
    public static List<BackendStatus> backends() {
        return BackendProvider.get().statuses();
    }

    /**
     * Whether calls on this backend can run here ({@code AUTO} always can): the definite answer,
     * for which it links the helper or loads oneDNN if nothing has yet.
     *
     * @param backend a backend
     * @return whether it is available
     */
    public static boolean isAvailable(Backend backend) {
        return BackendProvider.get().isAvailable(backend);
    }

    /**
     * {@return the backend {@link Backend#AUTO} uses for native f32 segments} For every other kind
     * of call, see {@link Elu#backendFor}. Like {@link #backends()}, it links nothing: it answers
     * from the helper's checks (oneDNN is loaded only if AUTO gets that far, when neither the
     * helper nor the vector backend is available).
     */
    public static Backend autoBackend() {
        return BackendProvider.get().autoChoice();
    }

    /**
     * {@return the C helper library's instruction set levels (active, supported, pinned by what)
     * and its parallel threshold, or empty when the helper backend is unavailable} Links the
     * helper if nothing has yet.
     */
    public static Optional<HelperStatus> helper() {
        return BackendProvider.get().helperStatus();
    }

    /**
     * {@return oneDNN's version, effective ISA and f32 ELU implementation, or empty when the oneDNN
     * backend is unavailable} Loads oneDNN if nothing has yet.
     */
    public static Optional<OneDnnStatus> oneDnn() {
        return BackendProvider.get().oneDnnStatus();
    }

    /**
     * {@return the native libraries, oneDNN's then the helper's: the file loaded and where it came
     * from, or why it could not be loaded} Loads them (oneDNN included) if nothing has yet.
     */
    public static List<NativeLibraryStatus> nativeLibraries() {
        return List.of(libraryStatus(Backend.ONEDNN, NativeLibraries.dnnl()),
                libraryStatus(Backend.HELPER, NativeLibraries.helper()));
    }

    private static NativeLibraryStatus libraryStatus(Backend backend, NativeLibraries.Outcome o) {
        return o.ok() ? new NativeLibraryStatus(backend, Optional.of(o.library().path()), o.library().origin())
                : new NativeLibraryStatus(backend, Optional.empty(), o.failure().getMessage());
    }

    /** {@return the loaded oneDNN library file, if oneDNN could be loaded} Loads oneDNN if nothing has yet. */
    public static Optional<Path> dnnlLibrary() {
        NativeLibraries.Outcome o = NativeLibraries.dnnl();
        return o.ok() ? Optional.of(o.library().path()) : Optional.empty();
    }

    /** {@return the loaded helper library file, if it could be loaded} */
    public static Optional<Path> helperLibrary() {
        NativeLibraries.Outcome o = NativeLibraries.helper();
        return o.ok() ? Optional.of(o.library().path()) : Optional.empty();
    }
}
