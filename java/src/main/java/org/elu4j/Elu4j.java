package org.elu4j;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.NativeLibraries;

/**
 * What elu4j found on this machine, as data: the backends and why any is unavailable, AUTO's
 * choice, the helper's instruction set levels, what oneDNN runs on and the native libraries in
 * use. {@code elu4j info} prints all of it; {@link Elu#unsupportedReason} and
 * {@link Elu#backendFor} answer for one function and kind of call. The first call probes the
 * helper, vector and scalar backends (once per JVM).
 *
 * <p><b>oneDNN is loaded only when it is used.</b> Its natives jar holds a 93 MB library, and AUTO
 * never needs it where the helper or the vector backend runs (they run every call), so nothing of
 * oneDNN is extracted, loaded or probed until a call on {@link Backend#ONEDNN}, an
 * {@link Elu#on(Backend) Elu on it} asking {@link Elu#unsupportedReason} or
 * {@link Elu#backendFor}, {@link #isAvailable isAvailable(ONEDNN)}, {@link #oneDnn()},
 * {@link #nativeLibraries()} or {@link #dnnlLibrary()} needs it, or AUTO does (only when neither
 * the helper nor the vector backend is available). {@link #backends()} does not load it: until
 * then it reports oneDNN from where its natives are (see there).
 */
public final class Elu4j {
    /** This library's version. */
    public static final String VERSION = "0.2.0";

    private Elu4j() {
    }

    /**
     * Every backend (except AUTO), in enum order, with whether it runs here and why or why not.
     * It loads nothing that is not loaded yet, so it stays cheap: until something has loaded
     * oneDNN (see the class comment), oneDNN is reported from where its natives are, without
     * loading them: unavailable when they are absent (no {@code org.bytedeco:dnnl} natives jar on
     * the class path or module path, and no {@code elu4j.dnnl.library}) or when it is disabled,
     * and otherwise available with the detail {@code "onednn, not loaded yet: ..."} and where the
     * natives are; loading it can still fail then (a CPU oneDNN does not support, a damaged
     * library), which {@link #isAvailable isAvailable(Backend.ONEDNN)} finds out for sure. Once
     * oneDNN is loaded, its status is the loaded backend's (version, ISA, implementation) or why
     * it failed.
     *
     * @return the status of every backend but AUTO
     */
    public static List<BackendStatus> backends() {
        return BackendProvider.get().statuses();
    }

    /**
     * Whether calls on this backend can run here ({@code AUTO} always can). For
     * {@link Backend#ONEDNN} this loads oneDNN if nothing has yet.
     *
     * @param backend a backend
     * @return whether it is available
     */
    public static boolean isAvailable(Backend backend) {
        return BackendProvider.get().isAvailable(backend);
    }

    /**
     * {@return the backend {@link Backend#AUTO} uses for native f32 segments} For every other kind
     * of call, see {@link Elu#backendFor}.
     */
    public static Backend autoBackend() {
        return BackendProvider.get().autoChoice();
    }

    /**
     * {@return the C helper library's instruction set levels (active, supported, pinned by what)
     * and its parallel threshold, or empty when the helper backend is unavailable}
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
