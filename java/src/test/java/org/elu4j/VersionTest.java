package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.elu4j.internal.helper.ffi.Elu4jNative;
import org.junit.jupiter.api.Test;

/**
 * Versions agree everywhere: Maven's ({@code elu4j.test.mavenVersion}, set by the build),
 * {@link Elu4j#VERSION}, and the C helper's — its CMake project version, its header's macros, the
 * bindings generated from that header and the loaded library. The helper's version is Maven's
 * without a qualifier ({@code 0.2.0} for {@code 0.2.0-SNAPSHOT}): when the Maven version changes,
 * {@code native/CMakeLists.txt} ({@code project(... VERSION)}) and {@code native/include/elu4j.h}
 * ({@code ELU4J_VERSION_MAJOR/MINOR/PATCH}) change with it and the bindings are regenerated.
 */
class VersionTest {

    private static String mavenVersion() {
        String v = System.getProperty("elu4j.test.mavenVersion");
        assumeTrue(v != null && !v.startsWith("${"), "elu4j.test.mavenVersion is set by the Maven build");
        return v;
    }

    /** {@code 0.2.0} for {@code 0.2.0-SNAPSHOT} or {@code 0.2.0}. */
    private static String numeric(String version) {
        Matcher m = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)(?:-.*)?").matcher(version);
        assertTrue(m.matches(), "a major.minor.patch[-qualifier] version: " + version);
        return m.group(1) + "." + m.group(2) + "." + m.group(3);
    }

    private static String fromNumber(int n) {
        return n / 10000 + "." + n / 100 % 100 + "." + n % 100;
    }

    @Test
    void versionIsMavens() {
        assertEquals(mavenVersion(), Elu4j.VERSION, "Elu4j.VERSION comes from the build (version.properties)");
    }

    @Test
    void helperSourcesAndBindingsAgreeWithMaven() throws IOException {
        String want = numeric(mavenVersion());
        assertEquals(want, fromNumber(Elu4jNative.ELU4J_VERSION_NUMBER()),
                "bindings' ELU4J_VERSION_NUMBER (regenerate with bindings/jextract.sh after changing elu4j.h)");

        String dir = System.getProperty("elu4j.test.nativeDir");
        assumeTrue(dir != null && !dir.startsWith("${"), "elu4j.test.nativeDir is set by the Maven build");
        Path nativeDir = Path.of(dir);
        String cmake = Files.readString(nativeDir.resolve("CMakeLists.txt"));
        Matcher project = Pattern.compile("project\\(\\s*elu4j_native\\s+VERSION\\s+([0-9.]+)").matcher(cmake);
        assertTrue(project.find(), "native/CMakeLists.txt declares project(elu4j_native VERSION x.y.z)");
        assertEquals(want, project.group(1), "native/CMakeLists.txt's project version");

        String header = Files.readString(nativeDir.resolve("include/elu4j.h"));
        assertEquals(want, macro(header, "MAJOR") + "." + macro(header, "MINOR") + "." + macro(header, "PATCH"),
                "native/include/elu4j.h's ELU4J_VERSION_* macros");
    }

    private static String macro(String header, String part) {
        Matcher m = Pattern.compile("#define\\s+ELU4J_VERSION_" + part + "\\s+(\\d+)").matcher(header);
        assertTrue(m.find(), "elu4j.h defines ELU4J_VERSION_" + part);
        return m.group(1);
    }

    @Test
    void loadedHelperAgrees() {
        assumeTrue(Elu4j.isAvailable(Backend.HELPER), "the helper backend is available");
        String want = numeric(mavenVersion());
        assertEquals(want, fromNumber(Elu4jNative.elu4j_version()), "elu4j_version() of the loaded helper");
        MemorySegment s = Elu4jNative.elu4j_version_string();
        assertNotNull(s);
        assertEquals(want, s.reinterpret(64).getString(0), "elu4j_version_string() of the loaded helper");
    }
}
