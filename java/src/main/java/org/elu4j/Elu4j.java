package org.elu4j;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.NativeLibraries;

/** What elu4j found on this machine: backends, their details and the native libraries in use. */
public final class Elu4j {
    /** This library's version. */
    public static final String VERSION = "0.2.0";

    private Elu4j() {
    }

    /** Every backend (except AUTO) with whether it runs here and why or why not. */
    public static List<BackendStatus> backends() {
        return BackendProvider.get().statuses();
    }

    /** Whether calls on this backend can run here ({@code AUTO} always can). */
    public static boolean isAvailable(Backend backend) {
        return BackendProvider.get().available(backend) != null;
    }

    /** The backend {@link Backend#AUTO} uses for native f32 segments. */
    public static Backend autoBackend() {
        return BackendProvider.get().autoChoice();
    }

    /** The loaded oneDNN library file, if oneDNN could be loaded. */
    public static Optional<Path> dnnlLibrary() {
        NativeLibraries.Outcome o = NativeLibraries.dnnl();
        return o.ok() ? Optional.of(o.library().path()) : Optional.empty();
    }

    /** The loaded helper library file, if it could be loaded. */
    public static Optional<Path> helperLibrary() {
        NativeLibraries.Outcome o = NativeLibraries.helper();
        return o.ok() ? Optional.of(o.library().path()) : Optional.empty();
    }
}
