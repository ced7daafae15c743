package org.elu4j.examples.consumer;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.elu4j.Backend;
import org.elu4j.BackendStatus;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.junit.jupiter.api.Test;

/**
 * The consumer as CI runs it, once on the module path and once on the class path (the two
 * surefire executions of this module's pom set {@code consumer.path} to {@code module} or
 * {@code class}): the run is where it claims to be, with native access granted, and the server
 * loop gets every result right.
 */
class ConsumerTest {
    private static final String PATH = System.getProperty("consumer.path", "");

    private static String label() {
        return PATH.equals("module") ? "module path" : "class path";
    }

    private static void print(List<String> lines) {
        lines.forEach(l -> System.out.println("consumer [" + label() + "]: " + l));
    }

    @Test
    void runsWhereThePomSaysWithNativeAccess() {
        assertTrue(PATH.equals("module") || PATH.equals("class"),
                "run by the pom's surefire executions, which set -Dconsumer.path=module|class: " + PATH);
        Module elu4j = Elu.class.getModule();
        Module self = ConsumerServer.class.getModule();
        if (PATH.equals("module")) {
            assertEquals("org.elu4j", elu4j.getName(), "elu4j is the named module org.elu4j");
            assertEquals("org.elu4j.examples.consumer", self.getName());
            assertTrue(self.canRead(elu4j));
        } else {
            assertFalse(elu4j.isNamed(), "elu4j on the class path: " + elu4j);
            assertFalse(self.isNamed(), "the consumer on the class path: " + self);
        }
        // Without it every downcall would print the JDK's restricted-method warning (and fail
        // under --illegal-native-access=deny): the flag must name the module that makes them.
        assertTrue(elu4j.isNativeAccessEnabled(), "native access granted to " + elu4j);
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "--add-modules jdk.incubator.vector resolved the Vector API");
        List<String> lines = new ArrayList<>();
        lines.add("elu4j " + Elu4j.VERSION + ", " + (elu4j.isNamed() ? "module " + elu4j.getName() : "unnamed module")
                + ", native access enabled; AUTO = " + Elu4j.autoBackend());
        for (BackendStatus s : Elu4j.backends()) {
            lines.add("  " + s.backend().name().toLowerCase(Locale.ROOT) + ": " + (s.available() ? "available: " : "unavailable: ")
                    + s.detail());
        }
        print(lines);
    }

    @Test
    void theSeluParametersAreThePapersConstants() {
        assertEquals(Activation.SELU.alpha(), Elu.SELU_ALPHA);
        assertEquals(Activation.SELU.scale(), Elu.SELU_SCALE);
    }

    @Test
    void twoThreadServerOnAutoGetsEveryResultRight() throws Exception {
        ConsumerServer.Report r = ConsumerServer.serve(Backend.AUTO, 2, 300);
        print(r.lines());
        assertTrue(r.ok(), () -> String.join("\n", r.lines()));
        assertEquals(2400, r.calls());
        long perDirection = 300L * ConsumerServer.FEATURES; // each thread runs each activation on 150 rounds
        r.checks().values().forEach(c -> assertEquals(perDirection, c.checked(), c.toString()));
        assertNotEquals(Backend.AUTO, r.servedBy().values().iterator().next(), "backendFor names a real backend");
        assertFalse(r.servingBackends().contains("onednn"), "no oneDNN natives on this path: " + r.servingBackends());
    }

    @Test
    void everyAvailableBackendServesTheSameLoop() throws Exception {
        List<String> lines = new ArrayList<>();
        for (BackendStatus s : Elu4j.backends()) {
            if (!s.available() || s.backend() == Backend.AUTO) {
                continue;
            }
            ConsumerServer.Report r = ConsumerServer.serve(s.backend(), 2, 10);
            assertTrue(r.ok(), () -> String.join("\n", r.lines()));
            assertEquals(List.of(s.backend().name().toLowerCase(Locale.ROOT)), List.copyOf(r.servingBackends()));
            lines.add(r.lines().get(0) + "; all within tolerance");
        }
        assertFalse(lines.isEmpty(), "at least scalar runs everywhere");
        print(lines);
    }

    /** The check is not vacuous: ReLU's results, a stale NaN and one wrong ulp too many all fail. */
    @Test
    void theCheckCatchesWrongResults() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * 64, 64);
            MemorySegment y = arena.allocate(4L * 64, 64);
            for (int i = 0; i < 64; i++) {
                x.setAtIndex(JAVA_FLOAT, i, -2f + i / 16f);
            }
            Elu.relu().apply(x, y);
            ResultCheck relu = new ResultCheck("relu as ELU");
            relu.forward(Activation.ELU, x, y);
            assertEquals(32, relu.failed(), "every negative x is wrong under ReLU");

            Elu.elu().apply(x, y);
            ResultCheck right = new ResultCheck("elu");
            right.forward(Activation.ELU, x, y);
            assertEquals(0, right.failed(), right.failures().toString());

            y.setAtIndex(JAVA_FLOAT, 3, Float.NaN);
            float v = y.getAtIndex(JAVA_FLOAT, 5); // within 1 ulp of the exact value: 3 floats down is beyond 2
            y.setAtIndex(JAVA_FLOAT, 5, Math.nextDown(Math.nextDown(Math.nextDown(v))));
            ResultCheck wrong = new ResultCheck("elu, two wrong");
            wrong.forward(Activation.ELU, x, y);
            assertEquals(2, wrong.failed(), wrong.failures().toString());
        }
    }
}
