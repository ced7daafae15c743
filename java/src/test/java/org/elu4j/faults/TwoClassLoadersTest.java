package org.elu4j.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.stream.Stream;
import org.elu4j.Elu4j;
import org.elu4j.testing.ChildJava;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.Test;

/**
 * Two copies of elu4j in one JVM, each in its own class loader (two web applications in one
 * servlet container, each with the library in its WEB-INF/lib), started at the same moment on an
 * empty extraction directory: every backend of each copy computes ELU (their static state is
 * their own; the native libraries are loaded once, shared), and the directory ends with one copy
 * of each set of files, no staging left. Whether the two extractions overlap is the scheduler's
 * choice; where they do, the copies' in-JVM locks are distinct and the JVM refuses the second lock
 * on the lock file, which ExtractLockTest holds to "go on without it". Run in a child JVM with its
 * own extraction directory, so that the two copies are the first to extract there.
 */
class TwoClassLoadersTest {
    private static final int COPIES = 2;
    private static final String[] BACKENDS = {"HELPER", "ONEDNN", "VECTOR", "SCALAR", "AUTO"};

    @Test
    void twoCopiesExtractAtOnceAndEachRunsEveryBackend() throws Exception {
        String obstacle = Machine.oneDnnObstacle();
        assumeTrue(obstacle == null, () -> "oneDNN cannot load here: " + obstacle);
        Path dir = Files.createTempDirectory("elu4j-two-loaders");
        try {
            List<String> out = ChildJava.run(List.of("--add-modules", "jdk.incubator.vector", "-Delu4j.extract.dir=" + dir),
                    Probe.class);
            String text = String.join("\n", out);
            for (int copy = 0; copy < COPIES; copy++) {
                for (String backend : BACKENDS) {
                    assertTrue(out.contains("probe copy " + copy + " " + backend + " ok"), backend + " of copy " + copy + ":\n" + text);
                }
            }
            assertTrue(out.contains("probe distinct classes"), text);
            // one copy of each set of files, under its final name: no staging directory left
            try (Stream<Path> files = Files.list(dir)) {
                List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> !n.equals(".lock")).sorted().toList();
                assertEquals(2, names.size(), names.toString());
                assertTrue(names.get(0).startsWith("dnnl-") && names.get(1).startsWith("helper-"), names.toString());
            }
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Loads elu4j twice, in two class loaders beside this one's, and runs ELU on every backend of each from two threads at once. */
    public static final class Probe {
        private Probe() {
        }

        public static void main(String[] args) throws Exception {
            // elu4j's classes and oneDNN's natives jar, as this JVM's class path has them
            URL classes = Elu4j.class.getProtectionDomain().getCodeSource().getLocation();
            List<URL> urls = new ArrayList<>(List.of(classes));
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                if (entry.contains("dnnl") && entry.endsWith(".jar")) {
                    urls.add(Path.of(entry).toUri().toURL());
                }
            }
            URLClassLoader[] loaders = new URLClassLoader[COPIES];
            for (int i = 0; i < COPIES; i++) {
                loaders[i] = new URLClassLoader("elu4j-copy-" + i, urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
            }
            CyclicBarrier start = new CyclicBarrier(COPIES);
            Thread[] threads = new Thread[COPIES];
            Throwable[] failures = new Throwable[COPIES];
            Class<?>[] eluClasses = new Class<?>[COPIES];
            for (int i = 0; i < COPIES; i++) {
                int copy = i;
                threads[i] = new Thread(() -> {
                    try {
                        Thread.currentThread().setContextClassLoader(loaders[copy]);
                        Class<?> elu = Class.forName("org.elu4j.Elu", false, loaders[copy]);
                        eluClasses[copy] = elu;
                        start.await();
                        run(copy, elu, loaders[copy]);
                    } catch (Throwable t) {
                        failures[copy] = t;
                    }
                }, "copy-" + i);
                threads[i].start();
            }
            for (Thread t : threads) {
                t.join();
            }
            for (Throwable t : failures) {
                if (t != null) {
                    throw new AssertionError("a copy failed", t);
                }
            }
            if (eluClasses[0] != eluClasses[1] && eluClasses[0] != org.elu4j.Elu.class) {
                System.out.println("probe distinct classes");
            }
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private static void run(int copy, Class<?> elu, ClassLoader loader) throws Exception {
            Class<? extends Enum> backendClass = (Class<? extends Enum>) Class.forName("org.elu4j.Backend", true, loader);
            Method factory = elu.getMethod("elu");
            Method on = elu.getMethod("on", backendClass);
            Method apply = elu.getMethod("apply", float[].class, float[].class);
            float[] x = {-1f, 0.5f, -20f, 3f, -0.25f, 0f};
            float[] want = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                want[i] = x[i] > 0 ? x[i] : (float) Math.expm1(x[i]);
            }
            for (String name : BACKENDS) {
                float[] y = new float[x.length];
                Object e = on.invoke(factory.invoke(null), Enum.valueOf(backendClass, name));
                if (name.equals("ONEDNN")) { // oneDNN takes native memory only
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment seg = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
                        elu.getMethod("apply", MemorySegment.class, MemorySegment.class).invoke(e, seg, seg);
                        y = seg.toArray(ValueLayout.JAVA_FLOAT);
                    }
                } else {
                    apply.invoke(e, x, y);
                }
                // oneDNN computes exp(x) - 1: within its documented absolute bound, the others within an ulp
                boolean ok = true;
                for (int i = 0; i < x.length; i++) {
                    float tol = name.equals("ONEDNN") ? 2 * Math.ulp(1f) : Math.ulp(want[i]);
                    ok &= Math.abs(y[i] - want[i]) <= tol;
                }
                System.out.println("probe copy " + copy + " " + name + (ok ? " ok" : " wrong " + Arrays.toString(y)));
            }
        }
    }
}
