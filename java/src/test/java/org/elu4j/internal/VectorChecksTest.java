package org.elu4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link VectorChecks#c2Problem}: whether C2 runs, decided from HotSpot's flag values as a JVM
 * reports them (here given, for each way of turning C2 off or keeping it), and this JVM's own.
 */
class VectorChecksTest {
    /** The defaults of a server JVM, with the given flags changed. */
    private static String problem(String... changed) {
        Map<String, String> flags = new HashMap<>(Map.of("UseCompiler", "true", "CompilationMode", "default",
                "TieredCompilation", "true", "TieredStopAtLevel", "4"));
        for (int i = 0; i < changed.length; i += 2) {
            flags.put(changed[i], changed[i + 1]);
        }
        return VectorChecks.c2Problem(flags::get);
    }

    @Test
    void c2IsOffOnlyWhereTheFlagsTurnItOff() {
        assertNull(problem());
        assertEquals("the JIT is off (UseCompiler is false)", problem("UseCompiler", "false")); // -XX:-UseCompiler, -Xint
        assertEquals("C2 is disabled (-XX:CompilationMode=quick-only)", problem("CompilationMode", "quick-only"));
        assertEquals("C2 is disabled (-XX:TieredStopAtLevel=1)", problem("TieredStopAtLevel", "1"));
        assertEquals("C2 is disabled (-XX:TieredStopAtLevel=3)", problem("TieredStopAtLevel", "3"));
        // without tiers the JIT is C2 alone, whatever the level says
        assertNull(problem("TieredCompilation", "false", "TieredStopAtLevel", "1"));
        assertNull(problem("CompilationMode", "high-only"));
        // flags that cannot be read (another VM): no refusal on their account
        assertNull(VectorChecks.c2Problem(name -> null));
        // this JVM runs the tests with C2
        assertNull(VectorChecks.c2Problem(VectorChecks::vmOption));
    }
}
