package org.elu4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * {@link EluBenchmark}'s f32 ELU on tensors from a confined arena instead of a shared one. Every
 * downcall that takes a segment acquires its arena for the duration of the call; for a shared
 * arena that is an atomic update of a counter (about 8 ns per segment on this VM, two segments per
 * call), for a confined one a check of the owner thread. At 256 elements that difference is a
 * quarter of the helper's time, so the report shows both. A confined arena is what a thread that
 * owns its activations (one request, one thread) would use; tensors shared between threads need a
 * shared arena.
 */
public class ConfinedArenaEluBenchmark extends BenchBase {

    @Param({"helper", "auto"})
    public String backend;

    @Param({"256", "4096", "65536", "1048576", "16777216"})
    public int size;

    /** {@code out}: y = ELU(x); {@code in}: y = ELU(y). */
    @Param({"out", "in"})
    public String mode;

    private EluCall call;

    @Override
    protected Arena newArena() {
        return Arena.ofConfined(); // JMH runs a Scope.Thread state's set-up on its benchmark thread
    }

    @Setup(Level.Trial)
    public void setUp() {
        Backend b = Backend.fromCliName(backend);
        if (!Elu4j.isAvailable(b)) {
            throw new IllegalStateException("backend " + backend + " is not available here: " + Elu4j.backends());
        }
        call = new EluCall(this, Elu.elu().on(b), size, mode, "elu4j " + backend + " confined " + mode + " n=" + size);
    }

    @Benchmark
    public MemorySegment elu() {
        return call.run();
    }
}
