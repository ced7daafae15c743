package org.elu4j.internal.onednn;

import org.elu4j.testing.CloseRace;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.NativeCallException;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.Op;
import org.elu4j.internal.onednn.ffi.Dnnl;
import org.elu4j.internal.onednn.ffi.dnnl_exec_arg_t;
import org.elu4j.internal.scalar.ScalarBackend;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.Inputs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The oneDNN backend's two executors behind its one execute path ({@link Executor}): one
 * downcall through the helper library's {@code elu4j_dnnl_execute_unary} for long calls
 * ({@link ShimExecutor}), and the plain oneDNN calls made from Java ({@link CallExecutor}), as
 * critical downcalls for short calls, and for every call when the helper is not there. Both give
 * the same bits (forward, composed plans, backward, short and long calls), both follow tensors that
 * move between calls, both keep a shared arena from being freed under a running call (short and
 * long calls), and the shim's failures become {@link NativeCallException}s that name the oneDNN
 * function.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OneDnnExecutePathTest {
    private static final Candidate ONEDNN = new Candidate("onednn", Backend.ONEDNN, -1);
    private static OneDnnBackend viaShim;
    private static OneDnnBackend fourCalls;

    @BeforeAll
    static void backends() {
        Assumptions.assumeTrue(BackendProvider.get().available(Backend.ONEDNN) instanceof OneDnnBackend,
                "oneDNN is not available here");
        viaShim = OneDnnBackend.create(true);
        fourCalls = OneDnnBackend.create(false);
    }

    @AfterAll
    static void closeBackends() {
        if (viaShim != null) {
            viaShim.close();
        }
        if (fourCalls != null) {
            fourCalls.close();
        }
    }

    @Test
    void theShimIsUsedWheneverTheHelperIsLoaded() {
        assertFalse(fourCalls.usesHelperShim());
        // The tests run oneDNN on one thread: short calls are critical downcalls on both paths.
        String critical = "critical downcalls up to " + (CallExecutor.CRITICAL_MAX_BYTES >> 10) + " KiB per tensor, beyond it ";
        assertTrue(fourCalls.executePath().startsWith(critical + "4 downcalls"), fourCalls.executePath());
        assertTrue(fourCalls.description().endsWith("critical calls to 256 KiB, 4 downcalls)"), fourCalls.description());
        boolean helper = BackendProvider.get().available(Backend.HELPER) != null;
        assertEquals(helper, viaShim.usesHelperShim(), viaShim.executePath());
        OneDnnBackend provided = (OneDnnBackend) BackendProvider.get().available(Backend.ONEDNN);
        assertEquals(helper, provided.usesHelperShim(), provided.executePath());
        if (helper) {
            assertTrue(viaShim.executePath().startsWith(critical + "1 downcall"), viaShim.executePath());
            assertTrue(viaShim.description().endsWith("critical calls to 256 KiB, 1 downcall)"), viaShim.description());
        }
    }

    @Test
    void bothPathsGiveTheSameBits() {
        int[] sizes = {1, 15, 256, 4099, 65537};
        float[] alphas = {1f, 0.5f};
        try (Arena arena = Arena.ofConfined()) {
            for (int n : sizes) {
                for (float alpha : alphas) {
                    float[] x = Inputs.random(n, 31L * n + (long) alpha);
                    // Unaligned by 4 bytes, to make sure oneDNN gets the segment's own address.
                    MemorySegment src = arena.allocate(4L * n + 4, 64).asSlice(4, 4L * n);
                    MemorySegment.copy(MemorySegment.ofArray(x), 0, src, 0, src.byteSize());
                    MemorySegment a = arena.allocate(4L * n, 64);
                    MemorySegment b = arena.allocate(4L * n, 64);
                    viaShim.eluF32(src, a, alpha);
                    fourCalls.eluF32(src, b, alpha);
                    assertEquals(-1, a.mismatch(b), "n=" + n + " alpha=" + alpha + ": the two paths differ");
                    for (int i = 0; i < n; i++) {
                        float got = a.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
                        String problem = ONEDNN.check(x[i], alpha, got, ScalarBackend.elu(x[i], alpha));
                        if (problem != null) {
                            fail("n=" + n + ": ELU(" + x[i] + ", " + alpha + ") = " + got + ": " + problem);
                        }
                    }
                    // In place: the same result again, on both paths.
                    MemorySegment.copy(src, 0, a, 0, src.byteSize());
                    MemorySegment.copy(src, 0, b, 0, src.byteSize());
                    viaShim.eluF32(a, a, alpha);
                    fourCalls.eluF32(b, b, alpha);
                    assertEquals(-1, a.mismatch(b), "n=" + n + " alpha=" + alpha + " in place: the two paths differ");
                    for (int i = 0; i < n; i++) {
                        assertEquals(Float.floatToRawIntBits(b.getAtIndex(JAVA_FLOAT_UNALIGNED, i)),
                                Float.floatToRawIntBits(a.getAtIndex(JAVA_FLOAT_UNALIGNED, i)));
                    }
                }
            }
        }
    }

    @Test
    void bothPathsGiveTheSameBitsForPlansAndBackward() {
        Op selu = Op.elu(1.6732632423543772, 1.0507009873554805, 1);
        int n = 4099;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * n, 64);
            MemorySegment dy = arena.allocate(4L * n, 64);
            MemorySegment.copy(MemorySegment.ofArray(Inputs.random(n, 5)), 0, x, 0, x.byteSize());
            MemorySegment.copy(MemorySegment.ofArray(Inputs.random(n, 6)), 0, dy, 0, dy.byteSize());
            MemorySegment[] out = {arena.allocate(4L * n, 64), arena.allocate(4L * n, 64)};
            OneDnnBackend[] backends = {viaShim, fourCalls};
            for (Op op : new Op[] {Op.elu(0.5), selu, Op.relu()}) {
                for (int b = 0; b < 2; b++) {
                    backends[b].bindForward(op, DataType.F32).run(x, out[b], 1);
                }
                assertEquals(-1, out[0].mismatch(out[1]), op + " forward: the two paths differ");
                for (boolean fromOutput : new boolean[] {false, true}) {
                    for (int b = 0; b < 2; b++) {
                        backends[b].bindBackward(op, DataType.F32, fromOutput).run(dy, x, out[b]);
                    }
                    assertEquals(-1, out[0].mismatch(out[1]), op + " backward (from output " + fromOutput
                            + "): the two paths differ");
                }
            }
        }
    }

    /**
     * oneDNN keeps each memory object's pointer between calls and the executors set it only where
     * a tensor moved: calls that alternate between buffers, in and out of place, must each read
     * and write their own.
     */
    @Test
    void tensorsThatMoveBetweenCallsAreFollowed() {
        for (int n : new int[] {256, 65537}) { // a short (critical) and a long call
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment[] in = new MemorySegment[3];
                MemorySegment[] out = new MemorySegment[3];
                for (int i = 0; i < 3; i++) {
                    in[i] = arena.allocate(4L * n, 64);
                    MemorySegment.copy(MemorySegment.ofArray(Inputs.random(n, 17L * n + i)), 0, in[i], 0, in[i].byteSize());
                    out[i] = arena.allocate(4L * n, 64);
                }
                MemorySegment copy = arena.allocate(4L * n, 64);
                for (OneDnnBackend backend : new OneDnnBackend[] {viaShim, fourCalls}) {
                    int[] order = {0, 1, 1, 2, 0, 2, 2, 1, 0};
                    for (int k = 0; k < order.length; k++) {
                        int i = order[k];
                        out[i].fill((byte) 0x7f);
                        backend.eluF32(in[i], out[i], 1f);
                        assertElu(in[i], out[i], n, backend.executePath() + " n=" + n + " call " + k + " on buffer " + i);
                        if (k % 3 == 2) { // in place on a copy, then out of place again
                            MemorySegment.copy(in[i], 0, copy, 0, copy.byteSize());
                            backend.eluF32(copy, copy, 1f);
                            assertElu(in[i], copy, n, backend.executePath() + " n=" + n + " in place after call " + k);
                        }
                    }
                }
            }
        }
    }

    /** Fails unless {@code out} is oneDNN's ELU (alpha = 1) of {@code in}, element by element. */
    private static void assertElu(MemorySegment in, MemorySegment out, int n, String what) {
        for (int i = 0; i < n; i++) {
            float x = in.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
            float got = out.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
            String problem = ONEDNN.check(x, 1f, got, ScalarBackend.elu(x, 1f));
            if (problem != null) {
                fail(what + ": ELU(" + x + ") = " + got + " at " + i + ": " + problem);
            }
        }
    }

    @Test
    void closingASharedArenaDuringCallsFailsCleanlyOnBothPaths() throws Exception {
        closeRace(viaShim);
        closeRace(fourCalls);
    }

    /** The same race on short calls, which run as critical downcalls: their segments are held too. */
    @Test
    void closingASharedArenaDuringShortCallsFailsCleanly() throws Exception {
        long floats = CallExecutor.CRITICAL_MAX_BYTES / Float.BYTES;
        CloseRace.run(viaShim.executePath() + " (short calls)", floats, 3, (src, dst) -> viaShim.eluF32(src, dst, 1f));
        CloseRace.run(fourCalls.executePath() + " (short calls)", floats, 3,
                (src, dst) -> fourCalls.eluF32(src, dst, 1f));
    }

    @Test
    void shimFailuresNameTheOneDnnFunction() {
        Assumptions.assumeTrue(viaShim.usesHelperShim(), "the helper library is not loaded");
        assertDoesNotThrow(() -> ExecuteShim.check(ExecuteShim.FUNCTION, 0, 0, 0));
        NativeCallException e = assertThrows(NativeCallException.class, () -> ExecuteShim.check(ExecuteShim.FUNCTION, 0, 5, 3));
        assertEquals("oneDNN", e.library());
        assertEquals("dnnl_primitive_execute", e.call());
        assertEquals(5, e.status());
        assertEquals("dnnl_runtime_error", e.statusName());
        e = assertThrows(NativeCallException.class, () -> ExecuteShim.check(ExecuteShim.FUNCTION, 0, 2, 1));
        assertEquals("dnnl_memory_set_data_handle", e.call());
        assertEquals("dnnl_invalid_arguments", e.statusName());
        e = assertThrows(NativeCallException.class, () -> ExecuteShim.check(ExecuteShim.FUNCTION, 0, 1, 4));
        assertEquals("dnnl_stream_wait", e.call());
        e = assertThrows(NativeCallException.class, () -> ExecuteShim.check(ExecuteShim.FUNCTION, 1, 0, 0));
        assertEquals("elu4j helper", e.library());
        assertEquals(ExecuteShim.FUNCTION, e.call());
        assertEquals("ELU4J_ERR_NULL_POINTER", e.statusName());
        // elu4j_dnnl_execute_wait returns ELU4J_DNNL_FAILED (-1) when a oneDNN call failed.
        e = assertThrows(NativeCallException.class, () -> ExecuteShim.check(ExecuteShim.WAIT_FUNCTION, -1, 5, 3));
        assertEquals("oneDNN", e.library());
        assertEquals("dnnl_primitive_execute", e.call());
        assertEquals(5, e.status());
        e = assertThrows(NativeCallException.class, () -> ExecuteShim.check(ExecuteShim.WAIT_FUNCTION, -1, 2, 4));
        assertEquals("dnnl_stream_wait", e.call());
        assertEquals("dnnl_invalid_arguments", e.statusName());
    }

    /**
     * A oneDNN call that fails inside {@code elu4j_dnnl_execute_wait} (which then returns
     * ELU4J_DNNL_FAILED, so that Java reads the out-parameters) becomes an exception naming it:
     * an eltwise forward executed without its {@code DNNL_ARG_DST}, which oneDNN refuses.
     */
    @Test
    void theExecuteWaitShimReportsAFailedOneDnnCall() {
        Assumptions.assumeTrue(viaShim.usesHelperShim(), "the helper library is not loaded");
        long n = 64;
        try (Arena arena = Arena.ofConfined();
             Engine engine = Engine.cpu();
             Stream stream = Stream.create(engine);
             Primitive primitive = Primitive.eltwise(engine, new EltwisePlan.Step(EltwisePlan.Alg.FWD_ELU, 1f),
                     DataType.F32, n);
             Memory src = Memory.create(engine, DataType.F32, n)) {
            ExecuteShim shim = ExecuteShim.create(arena);
            ExecuteShim.Out out = new ExecuteShim.Out(arena);
            MemorySegment data = arena.allocate(n * Float.BYTES, 64);
            src.pointAt(data);
            MemorySegment args = dnnl_exec_arg_t.allocateArray(1, arena);
            dnnl_exec_arg_t.arg(args, Dnnl.DNNL_ARG_SRC());
            dnnl_exec_arg_t.memory(args, src.handle());
            for (boolean critical : new boolean[] {false, true}) {
                out.ints.set(JAVA_INT_UNALIGNED, 0, -1);
                out.ints.set(JAVA_INT_UNALIGNED, 4, -1);
                NativeCallException e = assertThrows(NativeCallException.class, () -> shim.executeWait(critical,
                        primitive.handle(), stream.handle(), 1, args, out, data, data, null));
                assertEquals("oneDNN", e.library());
                assertEquals("dnnl_primitive_execute", e.call());
                assertEquals("dnnl_invalid_arguments", e.statusName());
                assertEquals(e.status(), out.ints.get(JAVA_INT_UNALIGNED, 0));
                assertEquals(3, out.ints.get(JAVA_INT_UNALIGNED, 4)); // ELU4J_DNNL_CALL_EXECUTE
            }
        }
    }

    @Test
    void theShimRefusesNullHandlesWithoutCallingOneDnn() {
        Assumptions.assumeTrue(viaShim.usesHelperShim(), "the helper library is not loaded");
        try (Arena arena = Arena.ofConfined()) {
            ExecuteShim.Out out = new ExecuteShim.Out(arena);
            out.ints.set(JAVA_INT_UNALIGNED, 0, -1);
            out.ints.set(JAVA_INT_UNALIGNED, 4, -1);
            ExecuteShim shim = ExecuteShim.create(arena);
            MemorySegment data = arena.allocate(64);
            NativeCallException e = assertThrows(NativeCallException.class, () -> shim.execute(MemorySegment.NULL,
                    MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, data, data, out));
            assertEquals("ELU4J_ERR_NULL_POINTER", e.statusName());
            assertEquals(0, out.ints.get(JAVA_INT_UNALIGNED, 0));
            assertEquals(0, out.ints.get(JAVA_INT_UNALIGNED, 4));
        }
    }

    @Test
    void theExecuteWaitShimRefusesNullHandlesWithoutCallingOneDnn() {
        Assumptions.assumeTrue(viaShim.usesHelperShim(), "the helper library is not loaded");
        try (Arena arena = Arena.ofConfined()) {
            ExecuteShim.Out out = new ExecuteShim.Out(arena);
            ExecuteShim shim = ExecuteShim.create(arena);
            MemorySegment data = arena.allocate(64);
            for (boolean critical : new boolean[] {false, true}) {
                for (MemorySegment third : new MemorySegment[] {null, data}) {
                    out.ints.set(JAVA_INT_UNALIGNED, 0, -1);
                    out.ints.set(JAVA_INT_UNALIGNED, 4, -1);
                    NativeCallException e = assertThrows(NativeCallException.class, () -> shim.executeWait(critical,
                            MemorySegment.NULL, MemorySegment.NULL, 2, MemorySegment.NULL, out, data, data, third));
                    assertEquals("elu4j helper", e.library());
                    assertEquals(ExecuteShim.WAIT_FUNCTION, e.call());
                    assertEquals("ELU4J_ERR_NULL_POINTER", e.statusName());
                    assertEquals(0, out.ints.get(JAVA_INT_UNALIGNED, 0));
                    assertEquals(0, out.ints.get(JAVA_INT_UNALIGNED, 4));
                }
            }
        }
    }

    /**
     * Another thread closes a shared arena while ELU runs on its segments: the close must fail (a
     * downcall holds the arena) or the call must fail with IllegalStateException; a use after free
     * would crash, because each 36 MiB segment is unmapped as soon as it is freed.
     */
    private static void closeRace(OneDnnBackend backend) throws Exception {
        CloseRace.run(backend.executePath(), 9 << 20, 3, (src, dst) -> backend.eluF32(src, dst, 1f));
    }
}
