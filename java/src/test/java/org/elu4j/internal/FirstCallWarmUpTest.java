package org.elu4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.Elu.Direction;
import org.elu4j.testing.ChildJava;
import org.junit.jupiter.api.Test;

/**
 * The first call of a kind warms its path up ({@link WarmUp}) whether or not
 * {@code Elu.backendFor} was asked about that kind before, as an application that logs its
 * backends at start-up does. Each case runs in a fresh JVM, where no warm-up group has been warmed
 * yet: the probe counts the groups its one call warmed.
 */
class FirstCallWarmUpTest {
    @Test
    void askingForTheBackendLeavesTheWarmUpToTheFirstCall() throws Exception {
        List<String> plain = child("plain");
        String[] p = plain.get(plain.size() - 1).split(" ");
        assumeTrue(!p[1].equals("0"), () -> "AUTO's backend here (" + p[0] + ") has no first-call warm-up: " + plain);
        assertEquals("1", p[1], () -> "one call, one warm-up group: " + plain);
        List<String> asked = child("asked");
        assertEquals(plain.get(plain.size() - 1), asked.get(asked.size() - 1),
                () -> "backendFor first, then the call: " + asked + "; the call alone: " + plain);
    }

    private static List<String> child(String mode) throws IOException, InterruptedException {
        return ChildJava.run(List.of("--add-modules", "jdk.incubator.vector", "-Delu4j.disable=onednn"), Probe.class, mode);
    }

    /** One f32 ELU(1.3) call on native memory through AUTO; prints its backend and the warm-up groups warmed. */
    public static final class Probe {
        private Probe() {
        }

        public static void main(String[] args) {
            Elu elu = Elu.elu(1.3);
            Backend kind = Elu.elu(1.3).backendFor(DataType.F32, Direction.FORWARD, true); // another instance
            if (args[0].equals("asked")) {
                elu.backendFor(DataType.F32, Direction.FORWARD, true);
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment x = arena.allocate(ValueLayout.JAVA_FLOAT, 256);
                elu.apply(x, arena.allocate(ValueLayout.JAVA_FLOAT, 256));
            }
            int warmed = 0;
            for (int group = 0; group < 64; group++) {
                warmed += WarmUp.first(kind, group) ? 0 : 1;
            }
            System.out.println(kind + " " + warmed);
        }
    }
}
