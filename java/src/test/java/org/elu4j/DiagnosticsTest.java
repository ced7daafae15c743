package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.elu4j.Elu.Direction;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The exported diagnostics: {@link Elu#backendFor}, {@link Elu#unsupportedReason},
 * {@link Elu#onHelperIsa} and {@link Elu4j}'s helper, oneDNN and native library records agree with
 * the backends' statuses and with what calls do.
 */
class DiagnosticsTest {
    private static final List<Elu> FUNCTIONS = List.of(Elu.elu(), Elu.selu(), Elu.celu(2), Elu.celu(0.5), Elu.relu(),
            Elu.leakyRelu(0.01), Elu.elu(-0.5));

    @Test
    void autoNamesAnAvailableBackendForEveryCall() {
        for (Elu e : FUNCTIONS) {
            for (DataType t : DataType.values()) {
                for (Direction d : Direction.values()) {
                    for (boolean nativeMemory : new boolean[] {true, false}) {
                        if (d == Direction.BACKWARD_FROM_OUTPUT && !e.hasBackwardFromOutput()) {
                            assertThrows(IllegalArgumentException.class, () -> e.backendFor(t, d, nativeMemory));
                            assertTrue(e.unsupportedReason(t, d).isPresent());
                            continue;
                        }
                        Backend b = e.backendFor(t, d, nativeMemory);
                        assertNotEquals(Backend.AUTO, b);
                        assertTrue(Elu4j.isAvailable(b), b.toString());
                        assertTrue(nativeMemory || b != Backend.ONEDNN, "heap memory never goes to oneDNN");
                        assertEquals(java.util.Optional.empty(), e.on(b).unsupportedReason(t, d), e + " " + t + " " + d);
                        assertTrue(e.unsupportedReason(t, d).isEmpty());
                    }
                }
            }
        }
        assertEquals(Elu4j.autoBackend(), Elu.elu().backendFor(DataType.F32, Direction.FORWARD, true));
    }

    @Test
    void anExplicitBackendAnswersItselfOrTheReasonItRefuses() {
        for (Backend b : List.of(Backend.ONEDNN, Backend.HELPER, Backend.VECTOR, Backend.SCALAR)) {
            for (Elu f : FUNCTIONS) {
                Elu e = f.on(b);
                for (DataType t : DataType.values()) {
                    for (Direction d : Direction.values()) {
                        var why = e.unsupportedReason(t, d);
                        assertEquals(why.isEmpty(), e.isSupported(t, d));
                        if (!Elu4j.isAvailable(b)) {
                            assertTrue(why.orElseThrow().startsWith("unavailable: "), why.toString());
                        }
                        if (why.isEmpty()) {
                            assertEquals(b, e.backendFor(t, d, true));
                        } else if (d != Direction.BACKWARD_FROM_OUTPUT || e.hasBackwardFromOutput()) {
                            assertThrows(BackendUnavailableException.class, () -> e.backendFor(t, d, true));
                        }
                    }
                }
            }
        }
        if (Elu4j.isAvailable(Backend.ONEDNN)) {
            assertThrows(BackendUnavailableException.class,
                    () -> Elu.elu().on(Backend.ONEDNN).backendFor(DataType.F32, Direction.FORWARD, false));
        }
    }

    @Test
    void helperStatusAgreesWithTheBackendStatus() {
        BackendStatus helper = Elu4j.backends().stream().filter(s -> s.backend() == Backend.HELPER).findFirst().orElseThrow();
        assertEquals(helper.available(), Elu4j.helper().isPresent());
        Elu4j.helper().ifPresent(h -> {
            assertTrue(h.supported().contains(h.active()), h.toString());
            assertEquals("portable", h.supported().get(0));
            assertTrue(helper.detail().contains("(" + h.active()), helper.detail());
            assertEquals(h.pinnedBy().isPresent(), helper.detail().contains("pinned by"), helper.detail());
            assertTrue(h.parallelMinElements() > 0);
        });
    }

    @Test
    void oneDnnStatusAndLibraries() {
        assertEquals(Elu4j.isAvailable(Backend.ONEDNN), Elu4j.oneDnn().isPresent());
        Elu4j.oneDnn().ifPresent(d -> {
            assertTrue(d.version().startsWith("3."), d.toString());
            assertFalse(d.isa().isBlank());
            assertFalse(d.implementation().isBlank());
        });
        List<NativeLibraryStatus> libs = Elu4j.nativeLibraries();
        assertEquals(List.of(Backend.ONEDNN, Backend.HELPER), libs.stream().map(NativeLibraryStatus::backend).toList());
        assertEquals(Elu4j.dnnlLibrary(), libs.get(0).path());
        assertEquals(Elu4j.helperLibrary(), libs.get(1).path());
        for (NativeLibraryStatus lib : libs) {
            assertFalse(lib.detail().isBlank(), lib.toString());
        }
        assertTrue(!Elu4j.isAvailable(Backend.HELPER) || libs.get(1).loaded());
    }

    @Test
    void everyHelperLevelRunsThroughThePublicApi() {
        Assumptions.assumeTrue(Elu4j.helper().isPresent(), "the helper is not available here");
        float[] x = {-3f, -1f, -1e-6f, 0f, 2f, Float.NaN};
        for (String level : Elu4j.helper().orElseThrow().supported()) {
            Elu e = Elu.selu().onHelperIsa(level.toUpperCase(java.util.Locale.ROOT));
            assertEquals(Backend.HELPER, e.backend());
            assertEquals(java.util.Optional.of(level), e.helperIsa());
            assertTrue(e.toString().contains("backend=helper/" + level), e.toString());
            assertEquals(e, Elu.selu().onHelperIsa(level));
            assertEquals(Backend.HELPER, e.backendFor(DataType.F32, Direction.FORWARD, false));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
                MemorySegment d = arena.allocate(s.byteSize());
                e.apply(s, d);
                for (int i = 0; i < x.length; i++) {
                    float want = Elu.selu().apply(x[i]);
                    float got = d.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    assertTrue(Float.isNaN(want) ? Float.isNaN(got) : Math.abs(got - want) <= Math.ulp(want)
                            && (want != 0 || Float.floatToRawIntBits(got) == Float.floatToRawIntBits(want)), // a zero's sign too
                            level + ": " + x[i] + " -> " + got + ", want " + want);
                }
            }
            assertFalse(e.on(Backend.HELPER).helperIsa().isPresent(), "on() leaves the pinned level");
        }
        Elu bad = Elu.elu().onHelperIsa("avx9");
        assertTrue(bad.unsupportedReason(DataType.F32, Direction.FORWARD).orElseThrow().contains("avx9 is not a helper ISA level"),
                bad.unsupportedReason(DataType.F32, Direction.FORWARD).orElseThrow());
        assertThrows(BackendUnavailableException.class, () -> bad.apply(new float[1], new float[1]));
        assertThrows(IllegalArgumentException.class, () -> Elu.elu().onHelperIsa(" "));
    }
}
