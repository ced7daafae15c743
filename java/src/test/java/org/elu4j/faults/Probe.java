package org.elu4j.faults;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.elu4j.Backend;
import org.elu4j.BackendStatus;
import org.elu4j.Elu;
import org.elu4j.Elu4j;

/**
 * The child process of {@link NativeFaultTest} and {@link ModulePathTest}: starts elu4j once under
 * whatever configuration the test gave it (system properties, class path or module path) and
 * reports, one {@code key=value} line each, on stdout, in this order:
 *
 * <pre>
 * module=&lt;elu4j's module name&gt;|unnamed
 * initial.&lt;backend&gt;=available|unavailable: &lt;detail&gt;   (the first Elu4j.backends(), one per backend)
 *   (with the argument --backends-only: then dnnlMapped, and exit 0)
 * autocall=ok|&lt;what went wrong&gt;                       (an AUTO call)
 * dnnlMapped=true|false                                 (libdnnl.so.3 in /proc/self/maps after those)
 * extracted=&lt;the extraction directory's entries&gt;       (names but the lock file's, sorted, after those)
 * explicit.&lt;backend&gt;=ok|&lt;exception class&gt;: &lt;message&gt;  (for each backend named in args)
 * status.&lt;backend&gt;=available|unavailable: &lt;detail&gt;    (Elu4j.backends() again)
 * auto=&lt;backend&gt;
 * helperLibrary=&lt;path&gt;|none, dnnlLibrary=&lt;path&gt;|none  (this loads oneDNN)
 * </pre>
 *
 * Exits 0 when the AUTO call gave correct results, 1 otherwise. Library loading happens once per
 * JVM, which is why every configuration needs a process of its own.
 */
public final class Probe {
    private static final int N = 4099; // not a multiple of any vector width: tails run too

    private Probe() {
    }

    public static void main(String[] args) throws java.io.IOException {
        Module m = Elu4j.class.getModule();
        System.out.println("module=" + (m.isNamed() ? m.getName() : "unnamed"));
        print("initial.", Elu4j.backends());
        if (args.length > 0 && args[0].equals("--backends-only")) { // what Elu4j.backends() alone costs and logs
            System.out.println("dnnlMapped=" + java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/maps"))
                    .contains("libdnnl.so.3"));
            System.out.flush();
            System.exit(0);
        }
        String auto;
        try {
            auto = call(Elu.elu());
        } catch (Throwable t) {
            auto = t.getClass().getName() + ": " + oneLine(t.getMessage());
        }
        System.out.println("autocall=" + auto);
        System.out.println("dnnlMapped=" + java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/maps"))
                .contains("libdnnl.so.3"));
        String dir = System.getProperty("elu4j.extract.dir");
        if (dir != null && java.nio.file.Files.isDirectory(java.nio.file.Path.of(dir))) {
            try (var list = java.nio.file.Files.list(java.nio.file.Path.of(dir))) {
                System.out.println("extracted=" + list.map(p -> p.getFileName().toString())
                        .filter(n -> !n.equals(".lock")).sorted().toList()); // (the lock file stays; NativeFaultTest.list checks it)
            }
        }
        for (String name : args) {
            Backend b = Backend.fromCliName(name);
            String outcome;
            try {
                outcome = call(Elu.elu().on(b));
            } catch (Throwable t) {
                outcome = t.getClass().getName() + ": " + oneLine(t.getMessage());
            }
            System.out.println("explicit." + name + "=" + outcome);
        }
        print("status.", Elu4j.backends());
        System.out.println("auto=" + Elu4j.autoBackend().cliName());
        System.out.println("helperLibrary=" + Elu4j.helperLibrary().map(Object::toString).orElse("none"));
        System.out.println("dnnlLibrary=" + Elu4j.dnnlLibrary().map(Object::toString).orElse("none"));
        System.out.flush();
        System.exit("ok".equals(auto) ? 0 : 1);
    }

    private static void print(String prefix, java.util.List<BackendStatus> statuses) {
        for (BackendStatus s : statuses) {
            System.out.println(prefix + s.backend().cliName() + "="
                    + (s.available() ? "available: " : "unavailable: ") + oneLine(s.detail()));
        }
    }

    /** One call on native memory, checked against Math.expm1: "ok" or what was wrong. */
    private static String call(Elu elu) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate((long) N * Float.BYTES, 64);
            MemorySegment y = arena.allocate((long) N * Float.BYTES, 64);
            for (int i = 0; i < N; i++) {
                x.setAtIndex(JAVA_FLOAT, i, -12f + 16f * i / N);
            }
            elu.apply(x, y);
            for (int i = 0; i < N; i++) {
                float xi = x.getAtIndex(JAVA_FLOAT, i);
                float yi = y.getAtIndex(JAVA_FLOAT, i);
                double want = xi > 0 ? xi : Math.expm1(xi);
                // 4 ulp(1): loose enough for oneDNN's exp(x) - 1, far tighter than any real bug.
                if (!(Math.abs(yi - want) <= 4 * Math.ulp(1f))) {
                    return "wrong result at " + i + ": elu(" + xi + ") = " + yi + ", want " + want;
                }
            }
        }
        return "ok";
    }

    private static String oneLine(String s) {
        return s == null ? "null" : s.replace('\n', ' ').replace('\r', ' ');
    }
}
