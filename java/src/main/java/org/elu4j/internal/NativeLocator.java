package org.elu4j.internal;

import static org.elu4j.internal.NativeLibraries.DNNL_SONAME;
import static org.elu4j.internal.NativeLibraries.GOMP_SONAME;
import static org.elu4j.internal.NativeLibraries.HELPER_SONAME;

import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.lang.module.ResolvedModule;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the native files, without extracting or loading anything: a user's override (a system
 * property, else an environment variable), or the bundled resources. The helper is the resource
 * {@value #HELPER_RESOURCE} of the elu4j jar; oneDNN's files are in the directory
 * {@value #DNNL_RESOURCE_DIR} of the natives jar, looked up, in this order: through elu4j's class
 * loader (the class path, or a shaded jar); in elu4j's module layer, if the jar's module
 * ({@value #DNNL_MODULE}) was resolved there; on the module path ({@code jdk.module.path}), where
 * it normally stays unresolved. The jar is an explicit module that
 * {@code requires transitive org.bytedeco.dnnl} (JavaCPP's JNI classes, which elu4j never uses),
 * so elu4j does not require it: it reads the jar as a plain jar.
 *
 * <p>Why a class of its own: where the files come from changes with how elu4j is deployed (class
 * path, module path, shaded jar, a user's own build of the library), independently of how they are
 * extracted ({@link NativeExtractor}) or loaded ({@link NativeLibraries}). Answering "where would
 * oneDNN come from" must stay cheap (resource look-ups, a stat), since the diagnostics ask it
 * without loading oneDNN.
 */
final class NativeLocator {
    static final String HELPER_RESOURCE = "native/linux-x86_64/" + HELPER_SONAME;
    static final String DNNL_RESOURCE_DIR = "org/bytedeco/dnnl/linux-x86_64/";
    /** The module name of the {@code org.bytedeco:dnnl:...:linux-x86_64} jar (its module-info). */
    static final String DNNL_MODULE = "org.bytedeco.dnnl.linux.x86_64";
    static final String DNNL_ARTIFACT = "org.bytedeco:dnnl:3.13-1.5.14:linux-x86_64";

    static final String HELPER_PROPERTY = "elu4j.helper.library";
    static final String HELPER_ENV = "ELU4J_HELPER_LIBRARY";
    static final String DNNL_PROPERTY = "elu4j.dnnl.library";
    static final String DNNL_ENV = "ELU4J_DNNL_LIBRARY";

    private NativeLocator() {
    }

    /** One bundled file: its resource name, URL and where it was found (for messages). */
    record Resource(String name, URL url, String origin) {
        String fileName() {
            return name.substring(name.lastIndexOf('/') + 1);
        }
    }

    /** Where oneDNN would come from, or why it is absent; looked up once, nothing is loaded. */
    static NativeLibraries.Location dnnlLocation() {
        return DnnlSource.LOCATION;
    }

    /** oneDNN's bundled files (the library first), found once; empty when absent or overridden. */
    static List<Resource> dnnlResources() {
        return DnnlSource.RESOURCES;
    }

    /** The helper bundled in the elu4j jar, or null when the jar lacks it. */
    static Resource helperResource() {
        URL url = NativeLocator.class.getResource("/" + HELPER_RESOURCE);
        return url == null ? null
                : new Resource(HELPER_RESOURCE, url, "resource " + HELPER_RESOURCE + " of " + jarName(url));
    }

    /** Lazy holder: where oneDNN's files are (resource look-ups only). */
    private static final class DnnlSource {
        static final List<Resource> RESOURCES;
        static final NativeLibraries.Location LOCATION;

        static {
            String override = setting(DNNL_PROPERTY, DNNL_ENV);
            if (override != null) {
                RESOURCES = List.of();
                String origin = DNNL_PROPERTY + "/" + DNNL_ENV + " (" + override + ")";
                // A stat, no more: whether the file is there at all (load() checks the rest).
                LOCATION = readableFile(override)
                        ? new NativeLibraries.Location(origin, null, false)
                        : new NativeLibraries.Location(null, "oneDNN: " + override + " (from " + DNNL_PROPERTY + "/" + DNNL_ENV
                        + ") is not a readable file", false);
            } else {
                RESOURCES = findDnnl();
                LOCATION = RESOURCES.isEmpty()
                        ? new NativeLibraries.Location(null, "oneDNN's natives are not on the class path or module path (add "
                        + DNNL_ARTIFACT + " to use the oneDNN backend, or point " + DNNL_PROPERTY
                        + " at a libdnnl.so.3)", true)
                        : new NativeLibraries.Location(RESOURCES.get(0).origin(), null, false);
            }
        }
    }

    /** oneDNN's files through the class loader, elu4j's module layer, or the module path; empty when absent. */
    private static List<Resource> findDnnl() {
        ClassLoader loader = NativeLocator.class.getClassLoader();
        URL dnnl = loader == null ? ClassLoader.getSystemResource(DNNL_RESOURCE_DIR + DNNL_SONAME)
                : loader.getResource(DNNL_RESOURCE_DIR + DNNL_SONAME);
        URL gomp = loader == null ? ClassLoader.getSystemResource(DNNL_RESOURCE_DIR + GOMP_SONAME)
                : loader.getResource(DNNL_RESOURCE_DIR + GOMP_SONAME);
        if (dnnl != null && gomp != null) {
            String origin = "resource " + DNNL_RESOURCE_DIR + DNNL_SONAME + " of " + jarName(dnnl) + " (class path)";
            return List.of(new Resource(DNNL_RESOURCE_DIR + DNNL_SONAME, dnnl, origin),
                    new Resource(DNNL_RESOURCE_DIR + GOMP_SONAME, gomp, origin));
        }
        ModuleLayer layer = Optional.ofNullable(NativeLocator.class.getModule().getLayer()).orElse(ModuleLayer.boot());
        Optional<ModuleReference> ref = layer.configuration().findModule(DNNL_MODULE).map(ResolvedModule::reference);
        String how = "module " + DNNL_MODULE;
        if (ref.isEmpty()) {
            String modulePath = System.getProperty("jdk.module.path");
            if (modulePath != null && !modulePath.isBlank()) {
                try {
                    Path[] entries = Stream.of(modulePath.split(java.io.File.pathSeparator))
                            .filter(s -> !s.isBlank()).map(Path::of).toArray(Path[]::new);
                    ref = ModuleFinder.of(entries).find(DNNL_MODULE);
                    how = "module path, module " + DNNL_MODULE + ", not resolved";
                } catch (RuntimeException e) { // FindException: a broken module path entry
                    Log.get().log(System.Logger.Level.DEBUG, "elu4j: looking for " + DNNL_MODULE + " on the module path failed", e);
                }
            }
        }
        if (ref.isEmpty()) {
            return List.of();
        }
        try (ModuleReader reader = ref.get().open()) {
            Optional<URI> d = reader.find(DNNL_RESOURCE_DIR + DNNL_SONAME);
            Optional<URI> g = reader.find(DNNL_RESOURCE_DIR + GOMP_SONAME);
            if (d.isEmpty() || g.isEmpty()) {
                return List.of();
            }
            String origin = "resource " + DNNL_RESOURCE_DIR + DNNL_SONAME + " of "
                    + ref.get().location().map(NativeLocator::fileName).orElse(DNNL_MODULE) + " (" + how + ")";
            return List.of(new Resource(DNNL_RESOURCE_DIR + DNNL_SONAME, d.get().toURL(), origin),
                    new Resource(DNNL_RESOURCE_DIR + GOMP_SONAME, g.get().toURL(), origin));
        } catch (IOException | RuntimeException e) {
            Log.get().log(System.Logger.Level.DEBUG, "elu4j: reading " + DNNL_MODULE + " failed", e);
            return List.of();
        }
    }

    private static boolean readableFile(String path) {
        try {
            return Files.isRegularFile(Path.of(path)) && Files.isReadable(Path.of(path));
        } catch (RuntimeException e) { // InvalidPathException
            return false;
        }
    }

    /** A system property, else the environment variable; null when neither is set (or both are blank). */
    static String setting(String property, String env) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(env);
        }
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** The jar (or directory) a resource URL points into, by file name, for messages. */
    private static String jarName(URL url) {
        String s = url.toString();
        int bang = s.indexOf("!/");
        if (s.startsWith("jar:") && bang > 0) {
            s = s.substring(4, bang);
        }
        return s.substring(s.lastIndexOf('/', s.endsWith("/") ? s.length() - 2 : s.length() - 1) + 1);
    }

    private static String fileName(URI uri) {
        String s = uri.toString();
        return s.substring(s.lastIndexOf('/', s.endsWith("/") ? s.length() - 2 : s.length() - 1) + 1);
    }
}
