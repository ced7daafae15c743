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
 * {@link Elu#backendFor} answer for one function and kind of call. The first call probes the
 * backends (once per JVM).
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

    /** {@return every backend (except AUTO), in enum order, with whether it runs here and why or why not} */
    public static List<BackendStatus> backends() {
        return BackendProvider.get().statuses();
    }

    /**
     * Whether calls on this backend can run here ({@code AUTO} always can).
     *
     * @param backend a backend
     * @return whether it is available
     */
    public static boolean isAvailable(Backend backend) {
        return BackendProvider.get().available(backend) != null;
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

    /** {@return oneDNN's version, effective ISA and f32 ELU implementation, or empty when the oneDNN backend is unavailable} */
    public static Optional<OneDnnStatus> oneDnn() {
        return BackendProvider.get().oneDnnStatus();
    }

    /**
     * {@return the native libraries, oneDNN's then the helper's: the file loaded and where it came
     * from, or why it could not be loaded} Loads them if no call has yet.
     */
    public static List<NativeLibraryStatus> nativeLibraries() {
        return List.of(libraryStatus(Backend.ONEDNN, NativeLibraries.dnnl()),
                libraryStatus(Backend.HELPER, NativeLibraries.helper()));
    }

    private static NativeLibraryStatus libraryStatus(Backend backend, NativeLibraries.Outcome o) {
        return o.ok() ? new NativeLibraryStatus(backend, Optional.of(o.library().path()), o.library().origin())
                : new NativeLibraryStatus(backend, Optional.empty(), o.failure().getMessage());
    }

    /** {@return the loaded oneDNN library file, if oneDNN could be loaded} */
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
