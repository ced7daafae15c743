package org.elu4j.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.elu4j.faults.ChildJvm.Child;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * elu4j as a named module ({@code org.elu4j} on the module path), each set-up in a child JVM
 * running {@link Probe} from the class path: oneDNN's natives jar on the module path (an explicit
 * module that stays unresolved: it requires JavaCPP's {@code org.bytedeco.dnnl}, which elu4j does
 * not use) or on the class path, and native access denied ({@code --illegal-native-access=deny}),
 * where the refusal must name the flag that fixes it: {@code --enable-native-access=org.elu4j} on
 * the module path, {@code ALL-UNNAMED} on the class path.
 */
class ModulePathTest {
    @TempDir
    Path tmp;

    private static List<String> onModulePath(String modulePath, String classPath, String... extra) {
        List<String> launch = new java.util.ArrayList<>(List.of(extra));
        launch.addAll(List.of("--module-path", modulePath, "--add-modules", "org.elu4j,jdk.incubator.vector",
                "-cp", classPath));
        return launch;
    }

    /** The probe's classes (this module's test classes) and JUnit-free: just the test-classes directory. */
    private static String probeClassPath() {
        try { // by URI: the URL's path keeps %20 for a space, a checkout under "My Projects" would fail
            return Path.of(Probe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, String> props() throws Exception {
        Path extract = Files.createDirectory(tmp.resolve("x-" + System.nanoTime()),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return ChildJvm.props("elu4j.extract.dir", extract);
    }

    @Test
    void libraryAndDnnlJarOnTheModulePath() throws Exception {
        Child c = ChildJvm.start(tmp, "mp", onModulePath(ChildJvm.libraryClasses() + File.pathSeparator + ChildJvm.dnnlJar(),
                probeClassPath(), "--enable-native-access=org.elu4j"), props(), "onednn", "helper").await();
        c.assertSane();
        assertEquals("org.elu4j", c.get("module"), c.toString());
        assertEquals(List.of(), c.machineWarningsOnly(), c.toString());
        assertEquals(0, c.count("restricted method"), () -> "no JDK native-access warning\n" + c);
        assertTrue(c.get("initial.onednn").startsWith("available: onednn, not loaded yet (natives: resource "
                + "org/bytedeco/dnnl/linux-x86_64/libdnnl.so.3 of dnnl-"), c.toString());
        assertTrue(c.get("initial.onednn").contains("(module path, module org.bytedeco.dnnl.linux.x86_64, not resolved)"),
                c.toString());
        assertEquals("false", c.get("dnnlMapped"), c.toString());
        assertEquals("ok", c.get("explicit.onednn"), c.toString());
        assertEquals("ok", c.get("explicit.helper"), c.toString());
        assertTrue(c.get("status.onednn").startsWith("available: onednn 3."), c.toString());
        assertTrue(c.get("dnnlLibrary").endsWith("/libdnnl.so.3"), c.toString());
    }

    @Test
    void libraryOnTheModulePathDnnlJarOnTheClassPath() throws Exception {
        Child c = ChildJvm.start(tmp, "mpcp", onModulePath(ChildJvm.libraryClasses(),
                probeClassPath() + File.pathSeparator + ChildJvm.dnnlJar(), "--enable-native-access=org.elu4j"),
                props(), "onednn").await();
        c.assertSane();
        assertEquals("org.elu4j", c.get("module"), c.toString());
        assertEquals(List.of(), c.machineWarningsOnly(), c.toString());
        assertTrue(c.get("initial.onednn").contains("(class path)"), c.toString());
        assertEquals("ok", c.get("explicit.onednn"), c.toString());
        assertTrue(c.get("status.onednn").startsWith("available: onednn 3."), c.toString());
    }

    @Test
    void libraryOnTheModulePathWithoutDnnl() throws Exception {
        Child c = ChildJvm.start(tmp, "mpnodnnl", onModulePath(ChildJvm.libraryClasses(), probeClassPath(),
                "--enable-native-access=org.elu4j"), props(), "onednn").await();
        c.assertSane();
        assertEquals(List.of(), c.machineWarningsOnly(), c.toString());
        assertTrue(c.get("status.onednn").startsWith("unavailable: oneDNN's natives are not on the class path or module path"),
                c.toString());
    }

    @Test
    void deniedNativeAccessOnTheModulePathNamesTheModule() throws Exception {
        deniedNativeAccess(onModulePath(ChildJvm.libraryClasses() + File.pathSeparator + ChildJvm.dnnlJar(),
                probeClassPath(), "--illegal-native-access=deny"), "org.elu4j");
    }

    @Test
    void deniedNativeAccessOnTheClassPathNamesAllUnnamed() throws Exception {
        deniedNativeAccess(List.of("--illegal-native-access=deny", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path")), "unnamed");
    }

    /**
     * With native access denied, the helper and oneDNN are refused with the flag that fixes it,
     * in the statuses, the exceptions and the one WARNING; AUTO runs on the vector backend.
     */
    private void deniedNativeAccess(List<String> launch, String module) throws Exception {
        Child c = ChildJvm.start(tmp, "deny", launch, props(), "helper", "onednn").await();
        c.assertSane();
        assertEquals(module, c.get("module"), c.toString());
        String flag = "--enable-native-access=" + (module.equals("unnamed") ? "ALL-UNNAMED" : module);
        for (String key : List.of("initial.helper", "initial.onednn", "status.helper", "status.onednn",
                "explicit.helper", "explicit.onednn")) {
            assertTrue(c.get(key).contains("denies native access") && c.get(key).contains("run java with " + flag),
                    () -> key + " does not name " + flag + "\n" + c);
        }
        assumeTrue(c.get("status.vector").startsWith("available"), "no vector backend here");
        assertEquals("vector", c.get("auto"), c.toString());
        List<String> warnings = c.logLines("WARNING");
        assertEquals(1, warnings.size(), c.toString());
        assertTrue(warnings.get(0).contains("helper unavailable: ") && warnings.get(0).contains(flag), c.toString());
    }
}
