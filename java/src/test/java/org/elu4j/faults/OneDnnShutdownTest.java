package org.elu4j.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.elu4j.Backend;
import org.elu4j.BackendUnavailableException;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.testing.ChildJava;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.Test;

/**
 * oneDNN closes at the JVM's shutdown (so that no oneDNN call runs while the process exits). An
 * application's own shutdown hook that calls it after that, as a server draining its last requests
 * may, gets {@link BackendUnavailableException} naming the closure, not the
 * {@code IllegalStateException} the API keeps for a closed arena; the backend then reports itself
 * unavailable, with the same reason, and AUTO still runs (a closed oneDNN refuses every call kind,
 * so AUTO never binds to it). Run in a child JVM whose hook waits for the closure.
 */
class OneDnnShutdownTest {
    @Test
    void aCallFromAnotherShutdownHookIsRefusedByName() throws Exception {
        String obstacle = Machine.oneDnnObstacle();
        assumeTrue(obstacle == null, () -> "oneDNN cannot load here: " + obstacle);
        List<String> out = ChildJava.run(List.of(), Probe.class);
        String text = String.join("\n", out);
        List<String> lines = out.stream().filter(l -> l.startsWith("probe ")).toList();
        String reason = "closed: it closes when the JVM shuts down";
        assertEquals(5, lines.size(), text);
        assertEquals("probe first call ran", lines.get(0), text);
        assertTrue(lines.get(1).startsWith("probe call: BackendUnavailableException backend onednn is unavailable: " + reason), text);
        assertTrue(lines.get(2).startsWith("probe available: false, reason: ") && lines.get(2).contains(reason), text);
        assertTrue(lines.get(3).startsWith("probe status: false " + reason), text);
        assertTrue(lines.get(3).contains("; oneDnn() empty; auto ") && !lines.get(3).endsWith("auto ONEDNN"), text);
        assertEquals("probe auto ran", lines.get(4), text);
    }

    /** One oneDNN call, then a shutdown hook that waits for oneDNN's closure and calls it again. */
    public static final class Probe {
        private Probe() {
        }

        public static void main(String[] args) {
            Elu onednn = Elu.elu().on(Backend.ONEDNN);
            Arena arena = Arena.ofShared(); // kept open into the hook
            MemorySegment x = arena.allocate(ValueLayout.JAVA_FLOAT, 256);
            onednn.apply(x, x);
            System.out.println("probe first call ran");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (Elu4j.isAvailable(Backend.ONEDNN) && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                try {
                    onednn.apply(x, x);
                    System.out.println("probe call: ran");
                } catch (RuntimeException e) {
                    System.out.println("probe call: " + e.getClass().getSimpleName() + " " + e.getMessage());
                }
                System.out.println("probe available: " + Elu4j.isAvailable(Backend.ONEDNN) + ", reason: "
                        + onednn.unsupportedReason(DataType.F32, Elu.Direction.FORWARD).orElse("none"));
                org.elu4j.BackendStatus status = Elu4j.backends().stream().filter(b -> b.backend() == Backend.ONEDNN)
                        .findFirst().orElseThrow();
                System.out.println("probe status: " + status.available() + " " + status.detail() + "; oneDnn() "
                        + (Elu4j.oneDnn().isPresent() ? "present" : "empty") + "; auto " + Elu4j.autoBackend());
                Elu.selu().apply(x, x); // a new binding through AUTO
                System.out.println("probe auto ran");
            }));
        }
    }
}
