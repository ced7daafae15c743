package org.elu4j.internal;

import static org.elu4j.internal.NativeLocator.DNNL_ENV;
import static org.elu4j.internal.NativeLocator.DNNL_PROPERTY;
import static org.elu4j.internal.NativeLocator.HELPER_ENV;
import static org.elu4j.internal.NativeLocator.HELPER_PROPERTY;
import static org.elu4j.internal.NativeLocator.HELPER_RESOURCE;
import static org.elu4j.internal.NativeLocator.setting;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.elu4j.Elu4jException;
import org.elu4j.internal.NativeLocator.Resource;

/**
 * The native libraries, each found, extracted and loaded on first use and independently of the
 * other: the elu4j helper ({@value #HELPER_SONAME}, shipped inside the elu4j jar) and oneDNN
 * ({@value #DNNL_SONAME} plus {@value #GOMP_SONAME}, from the {@code org.bytedeco:dnnl} natives
 * jar). Nothing of oneDNN is extracted or loaded until {@link #dnnl()} is called;
 * {@link #dnnlLocation()} only says where it would come from (a resource look-up, no I/O on the
 * library itself).
 *
 * <p><b>Where the files are</b> ({@link NativeLocator}): an override, else the helper in the
 * elu4j jar and oneDNN in the natives jar, found through the class loader, elu4j's module layer or
 * the module path.
 *
 * <p><b>Extraction</b> ({@link NativeExtractor}): bundled files are copied once into a private
 * directory per user and set, checked cheaply on every later start (the digests they are checked
 * against: {@link BuildDigests}); a user's override is loaded where it is. Libraries are loaded
 * with {@link SymbolLookup#libraryLookup(Path, Arena)} into the global arena (they stay loaded for
 * the life of the JVM); the generated bindings then find them by soname. Native code is never
 * loaded from a directory other users can write to ({@link PrivateDirectories}).
 *
 * <p>Overrides, each a system property or else an environment variable:
 * {@value NativeLocator#DNNL_PROPERTY} / {@value NativeLocator#DNNL_ENV} (another {@code libdnnl.so.3}),
 * {@value NativeLocator#HELPER_PROPERTY} / {@value NativeLocator#HELPER_ENV} (another {@code libelu4j.so.0}),
 * {@value NativeExtractor#DIR_PROPERTY} / {@value NativeExtractor#DIR_ENV} (where to extract),
 * {@value NativeExtractor#VERIFY_PROPERTY} / {@value NativeExtractor#VERIFY_ENV} ({@code full}: re-hash existing copies).
 *
 * <p>Native access: a refusal by the JVM ({@code --illegal-native-access=deny}) is reported with
 * the flag that fixes it, {@code --enable-native-access=org.elu4j} when elu4j runs as a named
 * module and {@code --enable-native-access=ALL-UNNAMED} on the class path ({@link #nativeAccessFlag()}).
 *
 * <p>Why this class: it is the one door the backends and the diagnostics go through, and it holds
 * the lazy holders that make each library's load happen once, on first use, without a lock of
 * ours, so that using the helper never extracts or loads oneDNN. It keeps the loading itself (the
 * ELF check, {@code dlopen}, the JVM's native-access refusal); finding and extracting the files
 * are the classes named above.
 */
public final class NativeLibraries {
    public static final String HELPER_SONAME = "libelu4j.so.0";
    static final String DNNL_SONAME = "libdnnl.so.3";
    public static final String GOMP_SONAME = "libgomp.so.1";
    /** The glibc that the bundled oneDNN's natives (libdnnl, libgomp) need: their highest symbol version. */
    static final String DNNL_GLIBC = "2.34";

    /**
     * A loaded library: where it came from and a lookup of its symbols. {@code fromBuild}: a bundled
     * file whose size and CRC-32 matched the build's record (the file built with these classes).
     */
    public record Library(String name, Path path, String origin, SymbolLookup lookup, boolean fromBuild) {
    }

    /** The outcome of loading one library: the library, or why it could not be loaded. */
    public record Outcome(Library library, Elu4jException failure) {
        public Library get() {
            if (failure != null) {
                throw failure;
            }
            return library;
        }

        public boolean ok() {
            return failure == null;
        }
    }

    /**
     * Where oneDNN would be loaded from, found without extracting or loading anything:
     * {@code origin} (an override or the resource's jar), or, when there is nothing to load,
     * {@code absence} (why, and what to add).
     *
     * @param origin  where the library would come from, or null when absent
     * @param absence why there is nothing to load, or null when present
     * @param chosen  whether the absence is a choice (no dnnl jar and no override), not a fault
     */
    public record Location(String origin, String absence, boolean chosen) {
        public boolean present() {
            return absence == null;
        }
    }

    private NativeLibraries() {
    }

    /** The elu4j helper library, extracted and loaded on first use (the outcome is remembered). */
    public static Outcome helper() {
        return HelperHolder.OUTCOME;
    }

    /**
     * Whether the helper library is an override ({@value NativeLocator#HELPER_PROPERTY} or
     * {@value NativeLocator#HELPER_ENV}), not the bundled one.
     */
    public static boolean helperOverridden() {
        return setting(HELPER_PROPERTY, HELPER_ENV) != null;
    }

    /** oneDNN, extracted and loaded on first use (the outcome is remembered). */
    public static Outcome dnnl() {
        return DnnlHolder.OUTCOME;
    }

    /** Where oneDNN would come from, or why it is absent; looked up once, nothing is loaded. */
    public static Location dnnlLocation() {
        return NativeLocator.dnnlLocation();
    }

    /**
     * The {@code --enable-native-access} flag that lets elu4j call native code:
     * {@code --enable-native-access=org.elu4j} when it runs as a named module (the module path),
     * {@code --enable-native-access=ALL-UNNAMED} on the class path.
     */
    public static String nativeAccessFlag() {
        Module self = NativeLibraries.class.getModule();
        return "--enable-native-access=" + (self.isNamed() ? self.getName() : "ALL-UNNAMED");
    }

    // ------------------------------------------------------------------ the two libraries

    /** Lazy holder: the helper is extracted and loaded once, on first use, without a lock of ours. */
    private static final class HelperHolder {
        static final Outcome OUTCOME = loadHelper();
    }

    /** Lazy holder for oneDNN, apart from the helper's, so that using the helper never touches oneDNN. */
    private static final class DnnlHolder {
        static final Outcome OUTCOME = loadDnnl();
    }

    private static Outcome loadHelper() {
        String override = setting(HELPER_PROPERTY, HELPER_ENV);
        if (override != null) {
            return load("elu4j helper", Path.of(override), HELPER_PROPERTY + "/" + HELPER_ENV, true);
        }
        Resource helper = NativeLocator.helperResource();
        if (helper == null) {
            return new Outcome(null, new Elu4jException("elu4j helper: resource " + HELPER_RESOURCE
                    + " is not in the elu4j jar (was it built with 'mvn package'?)"));
        }
        return loadBundled("elu4j helper", "helper", List.of(helper));
    }

    private static Outcome loadDnnl() {
        String override = setting(DNNL_PROPERTY, DNNL_ENV);
        if (override != null) {
            return load("oneDNN", Path.of(override), DNNL_PROPERTY + "/" + DNNL_ENV, true);
        }
        Location where = dnnlLocation();
        if (!where.present()) {
            return new Outcome(null, new Elu4jException(where.absence()));
        }
        return loadBundled("oneDNN", "dnnl", NativeLocator.dnnlResources());
    }

    private static Outcome loadBundled(String what, String kind, List<Resource> resources) {
        String platform = LibraryFiles.platformProblem();
        if (platform != null) { // before extracting anything: oneDNN's copy alone is 93 MB
            return new Outcome(null, new Elu4jException(what + ": " + platform));
        }
        NativeExtractor.Extracted set;
        try {
            set = NativeExtractor.extract(kind, resources);
        } catch (IOException | UncheckedIOException | Elu4jException e) {
            return new Outcome(null, new Elu4jException(what + ": cannot extract native libraries: " + e.getMessage(), e));
        } catch (RuntimeException e) { // a malformed digest record, say: reported as the backend's reason, not a failed class initialiser
            return new Outcome(null, new Elu4jException(what + ": cannot extract native libraries: " + e, e));
        }
        return load(what, set.dir().resolve(resources.get(0).fileName()), resources.get(0).origin(), false, set.fromBuild());
    }

    static Outcome load(String what, Path path, String origin, boolean userGiven) {
        return load(what, path, origin, userGiven, false);
    }

    private static Outcome load(String what, Path path, String origin, boolean userGiven, boolean fromBuild) {
        try {
            if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                throw new Elu4jException(what + ": " + path + " (from " + origin + ") is not a readable file");
            }
            if (userGiven) {
                // The file and its directory as they really are (a link in a private directory may
                // point into a shared one): neither may be writable by other users.
                Path real = path.toRealPath();
                Path given = path.toAbsolutePath().getParent();
                String from = what + " (from " + origin + ")";
                if (!given.equals(real.getParent())) {
                    PrivateDirectories.refuseWritableByOthers(given, from);
                }
                PrivateDirectories.refuseWritableByOthers(real.getParent(), from);
                PrivateDirectories.refuseFileWritableByOthers(real, from);
            }
            String notLoadable = LibraryFiles.elfProblem(path);
            if (notLoadable != null) {
                // dlopen would fail too, but with a vaguer message (and after HotSpot's stack-guard dance).
                throw new Elu4jException(what + ": " + path + " (from " + origin + ") " + notLoadable);
            }
            SymbolLookup lookup;
            try {
                lookup = SymbolLookup.libraryLookup(path, Arena.global());
            } catch (IllegalArgumentException e) { // dlopen failed; its reason does not reach Java: ask dlerror
                String why = LibraryFiles.dlopenError(path);
                throw new Elu4jException(what + ": cannot load " + path + " (from " + origin + "): " + e.getMessage()
                        + (why == null ? "" : " (dlopen: " + why + ")")
                        + LibraryFiles.loadFailureHint(path, userGiven ? "place the library elsewhere"
                                : "set " + NativeExtractor.DIR_PROPERTY + " or " + NativeExtractor.DIR_ENV + " to a directory on another",
                                userGiven || !path.getFileName().toString().equals(DNNL_SONAME) ? null : DNNL_GLIBC), e);
            }
            return new Outcome(new Library(what, path.toAbsolutePath(), origin, lookup, fromBuild), null);
        } catch (Elu4jException e) {
            return new Outcome(null, e);
        } catch (IllegalCallerException e) {
            return new Outcome(null, nativeAccessDenied(what, e));
        } catch (RuntimeException | IOException e) {
            return new Outcome(null, new Elu4jException(what + ": cannot load " + path + " (from " + origin
                    + "): " + e.getMessage(), e));
        }
    }

    /** Set when the JVM refused elu4j native access: the same refusal awaits every other library. */
    private static volatile String nativeAccessDenied;

    /** The JVM refused native access (--illegal-native-access=deny): say which flag fixes it. */
    static Elu4jException nativeAccessDenied(String what, IllegalCallerException e) {
        Module self = NativeLibraries.class.getModule();
        String who = self.isNamed() ? "module " + self.getName() : "code on the class path";
        String why = "this JVM denies native access to " + who + ": run java with " + nativeAccessFlag()
                + " (the JVM said: " + e.getMessage() + ")";
        nativeAccessDenied = why;
        return new Elu4jException(what + ": " + why, e);
    }

    /**
     * Why native code cannot be loaded at all (the JVM denied native access to elu4j when a
     * library was loaded), or null when no library has been refused that way.
     */
    public static String nativeAccessDenied() {
        return nativeAccessDenied;
    }
}
