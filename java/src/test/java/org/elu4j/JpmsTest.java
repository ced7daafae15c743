package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.elu4j.internal.NativeLibraries;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.Test;

/**
 * Runs in both test runs of the build: on the class path (the default surefire execution) and with
 * the library as the named module {@code org.elu4j} (the {@code module-path} execution, which sets
 * {@code elu4j.test.modulePath}). It checks the run is what it claims, and that what elu4j tells
 * users about native access matches where it runs.
 */
class JpmsTest {
    private static final boolean MODULE_PATH = Boolean.getBoolean("elu4j.test.modulePath");

    @Test
    void theLibraryIsTheNamedModuleExactlyOnTheModulePath() {
        Module m = Elu4j.class.getModule();
        assertEquals(MODULE_PATH, m.isNamed(), m.toString());
        if (MODULE_PATH) {
            assertEquals("org.elu4j", m.getName());
            assertTrue(m.getDescriptor().exports().stream().allMatch(e -> e.source().equals("org.elu4j")),
                    "only org.elu4j is exported: " + m.getDescriptor().exports());
            // Logging goes through System.Logger: java.logging is at most a static dependence (the
            // logging backend's head start where it is java.util.logging, internal/JulStart).
            assertTrue(m.getDescriptor().requires().stream().noneMatch(r -> r.name().equals("java.logging")
                            && !r.modifiers().contains(java.lang.module.ModuleDescriptor.Requires.Modifier.STATIC)),
                    "logging goes through System.Logger: java.logging only static: " + m.getDescriptor().requires());
        }
    }

    @Test
    void nativeAccessIsEnabledAndTheAdviceNamesThisModule() {
        assertTrue(Elu4j.class.getModule().isNativeAccessEnabled(), "the build passes --enable-native-access");
        assertEquals(MODULE_PATH ? "--enable-native-access=org.elu4j" : "--enable-native-access=ALL-UNNAMED",
                NativeLibraries.nativeAccessFlag());
    }

    @Test
    void everyBackendRunsHere() {
        if (Boolean.getBoolean("elu4j.test.expectAllBackends")) {
            // The vector backend needs the JIT's FMA and float vectors, which this JVM may lack
            // (-XX:UseAVX=0, a CPU without AVX2): then its refusal must name what is missing.
            String vectorObstacle = Machine.vectorObstacle();
            String oneDnnObstacle = Machine.oneDnnObstacle(); // (glibc < 2.34)
            for (Backend b : new Backend[] {Backend.ONEDNN, Backend.HELPER, Backend.VECTOR, Backend.SCALAR}) {
                if (b == Backend.ONEDNN && oneDnnObstacle != null) {
                    assertFalse(Elu4j.isAvailable(b), () -> "oneDNN available although " + oneDnnObstacle);
                    assertTrue(Elu4j.backends().stream().filter(s -> s.backend() == Backend.ONEDNN)
                            .allMatch(s -> s.detail().contains(oneDnnObstacle)), () -> Elu4j.backends().toString());
                    continue;
                }
                if (b == Backend.VECTOR && vectorObstacle != null) {
                    assertFalse(Elu4j.isAvailable(b), () -> "vector available without " + vectorObstacle);
                    assertTrue(Elu4j.backends().stream().filter(s -> s.backend() == Backend.VECTOR)
                            .allMatch(s -> s.detail().contains(vectorObstacle)), () -> Elu4j.backends().toString());
                    continue;
                }
                assertTrue(Elu4j.isAvailable(b), () -> b + ": " + Elu4j.backends());
            }
        }
        // oneDNN's jar is on the class path in both runs (surefire puts what org.elu4j does not require there).
        assertTrue(Elu4j.nativeLibraries().get(0).detail().contains("(class path)"), Elu4j.nativeLibraries().toString());
    }
}
