package org.elu4j;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * One native library elu4j loads, and where it came from or why it could not be loaded.
 *
 * @param backend the backend that needs it: {@link Backend#ONEDNN} ({@code libdnnl.so.3}) or
 *                {@link Backend#HELPER} ({@code libelu4j.so.0})
 * @param path    the file that was loaded, or empty when it could not be loaded
 * @param detail  where the loaded file came from (e.g. {@code class path resource ...}, or the
 *                system property or environment variable that named it), or why it could not be
 *                loaded
 */
public record NativeLibraryStatus(Backend backend, Optional<Path> path, String detail) {
    /**
     * Checks the components.
     *
     * @param backend the backend that needs the library
     * @param path    the loaded file, or empty
     * @param detail  its origin, or why it is not loaded
     * @throws NullPointerException if a component is null
     */
    public NativeLibraryStatus {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(detail, "detail");
    }

    /** {@return whether the library is loaded ({@link #path()} is present)} */
    public boolean loaded() {
        return path.isPresent();
    }
}
