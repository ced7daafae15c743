package org.elu4j.bench.startup;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.bench.Functions;

/**
 * The child JVM of {@link SteadyStateBenchmark}: times calls of one function, type and pass on one
 * backend from the very first one, in a fresh JVM. Depends on the library only (its class path is the bench
 * jar, the library jar and oneDNN's natives jar).
 *
 * <pre>
 * SteadyStateProbe BACKEND CALLS BATCH [SIZE [warm|- [TYPE [FUNCTION [PASS]]]]]
 * </pre>
 *
 * TYPE: f32 (the default), bf16, f16 or f64; FUNCTION: elu (the default), selu, celu (alpha 0.7),
 * relu or leaky-relu (slope 0.01), the JMH suite's; PASS: fwd (the default), bwd-in (backward
 * from the input) or bwd-out (backward from the output, with the input's values as the output:
 * the same work).
 *
 * {@code warm}: an option measured, not a library feature: right after the first call, a daemon
 * thread calls the same backend back to back on tensors of its own until the main thread is done
 * (warming the JIT in the background while the caller goes on).
 *
 * Prints {@code first NS CPU_NS} (the first call, from the first use of an elu4j class:
 * {@code Elu.elu().on(BACKEND)}, the library's start, linking, the call; wall time, and the time
 * the main thread spent on a CPU meanwhile, from {@code /proc/thread-self/schedstat}, which waiting
 * for a CPU on a busy machine does not inflate), then one line per batch
 * of BATCH calls: {@code batch CALLS_BEFORE MEAN_NS MAX_NS OVER_2US}: the mean time per call of
 * the batch (its wall time / BATCH), the slowest single call in it, and how many of its calls took
 * over 2 µs; then {@code timer NS}, what one timed iteration costs without a call, measured at the
 * end (the floor under every mean); then {@code host OVER_2US NS}: the same loop on an empty call
 * for as long as the measured calls took (NS), and how many of its iterations took over 2 µs: the
 * host's own share of that column (preemption, interrupts; measured after the calls, when the JIT
 * is quieter, so a floor). Calls are back to back on the same 64-byte-aligned native
 * tensors (a confined arena: a request's own memory; {@code -Delu4j.bench.arena=shared|auto|global}
 * another kind, e.g. through {@code ./elu4j bench --steady --jvm-arg}), out of place, inputs
 * uniform in [-4, 4).
 *
 * <p>The timing loop ({@link #batch}) is compiled by C2 before the first elu4j call (it runs
 * 30,000 times on three kinds of empty call first), so what the curve shows is elu4j's warm-up,
 * not the harness's.
 */
public final class SteadyStateProbe {

    /** One call of the thing timed. */
    @FunctionalInterface
    interface Call {
        void run();
    }

    private SteadyStateProbe() {
    }

    public static void main(String[] args) {
        String backend = args[0];
        int calls = Integer.parseInt(args[1]);
        int batch = Integer.parseInt(args[2]);
        int size = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        boolean warm = args.length > 4 && args[4].equals("warm");
        DataType type = args.length > 5 ? DataType.fromCliName(args[5]) : DataType.F32;
        String function = args.length > 6 ? args[6] : "elu";
        String pass = args.length > 7 ? args[7] : "fwd";
        if (!List.of("fwd", "bwd-in", "bwd-out").contains(pass)) {
            throw new IllegalArgumentException("PASS must be fwd, bwd-in or bwd-out: " + pass);
        }

        long[] stats = new long[2];
        int[] sink = new int[1];
        // The timing loop C2-compiled before the first elu4j call: enough calls of batch for C2's
        // invocation threshold, with three kinds of call, so that C2 compiles an interface call at
        // call.run() (a call site that had seen one kind is inlined with a guard, and the first
        // elu4j call deoptimised it back to the interpreter), then a pause for the compiler
        // threads to install it (-XX:+PrintCompilation shows batch at tier 4 before the first call).
        Call empty = () -> sink[0]++;
        Call[] kinds = {empty, () -> sink[0]--, () -> sink[0] ^= 1};
        for (int i = 0; i < 30_000; i++) {
            batch(kinds[i % kinds.length], 10, stats);
        }
        sleep(50);

        String arenaKind = System.getProperty("elu4j.bench.arena", "confined");
        Arena tensors = switch (arenaKind) {
            case "confined" -> Arena.ofConfined();
            case "shared" -> Arena.ofShared();
            case "auto" -> Arena.ofAuto();
            case "global" -> Arena.global();
            default -> throw new IllegalArgumentException("elu4j.bench.arena: confined, shared, auto or global, not " + arenaKind);
        };
        try {
            MemorySegment x = tensors.allocate(type.byteSize() * (long) size, 64);
            MemorySegment y = tensors.allocate(type.byteSize() * (long) size, 64);
            MemorySegment g = tensors.allocate(type.byteSize() * (long) size, 64);
            fill(x, size, type);
            fill(g, size, type);
            onCpu(); // its own classes loaded before the clock starts
            Functions.class.getName();
            long c0 = onCpu();
            long t0 = System.nanoTime();
            Elu elu = Functions.of(function).on(Backend.fromCliName(backend));
            switch (pass) { // no lambda made in the timed window
                case "bwd-in" -> elu.backwardFromInput(g, x, y, type);
                case "bwd-out" -> elu.backwardFromOutput(g, x, y, type);
                default -> elu.apply(x, y, type);
            }
            long first = System.nanoTime() - t0;
            long firstCpu = onCpu() - c0;
            Thread warmer = null;
            if (warm) {
                final int n = size;
                warmer = new Thread(() -> {
                    try (Arena own = Arena.ofConfined()) {
                        MemorySegment wx = own.allocate(type.byteSize() * (long) n, 64);
                        MemorySegment wy = own.allocate(type.byteSize() * (long) n, 64);
                        MemorySegment wg = own.allocate(type.byteSize() * (long) n, 64);
                        fill(wx, n, type);
                        fill(wg, n, type);
                        while (!Thread.currentThread().isInterrupted()) {
                            switch (pass) {
                                case "bwd-in" -> elu.backwardFromInput(wg, wx, wy, type);
                                case "bwd-out" -> elu.backwardFromOutput(wg, wx, wy, type);
                                default -> elu.apply(wx, wy, type);
                            }
                        }
                    }
                }, "warm-up");
                warmer.setDaemon(true);
                warmer.start();
            }
            Call call = switch (pass) {
                case "bwd-in" -> () -> elu.backwardFromInput(g, x, y, type);
                case "bwd-out" -> () -> elu.backwardFromOutput(g, x, y, type);
                default -> () -> elu.apply(x, y, type);
            };
            StringBuilder out = new StringBuilder(64 * (calls / batch + 4));
            out.append("first ").append(first).append(' ').append(firstCpu).append('\n');
            long measured = 0;
            for (int done = 0; done < calls; done += batch) {
                long total = batch(call, batch, stats);
                measured += total;
                out.append("batch ").append(done).append(' ').append(total / (double) batch).append(' ')
                        .append(stats[0]).append(' ').append(stats[1]).append('\n');
            }
            if (warmer != null) {
                warmer.interrupt();
            }
            double want = pass.equals("fwd") ? elu.apply(first(x, type)) : first(y, type);
            if (!(Math.abs(first(y, type) - want) <= 1e-2 * Math.max(1, Math.abs(want)))) {
                throw new IllegalStateException("wrong result: " + first(y, type) + " for " + want);
            }
            long timer = Long.MAX_VALUE;
            for (int i = 0; i < 20; i++) {
                timer = Math.min(timer, batch(empty, 10_000, stats));
            }
            out.append(String.format(Locale.ROOT, "timer %.1f%n", timer / 10_000.0));
            // The host's own share of the calls over 2 us: the empty call timed the same way for as
            // long as the calls took (preemption, interrupts, the hypervisor; the JIT is quieter by now).
            long hostOver = 0;
            long hostStart = System.nanoTime();
            while (System.nanoTime() - hostStart < measured) {
                batch(empty, 1_000, stats);
                hostOver += stats[1];
            }
            out.append("host ").append(hostOver).append(' ').append(measured).append('\n');
            System.out.print(out);
        } finally {
            if (arenaKind.equals("confined") || arenaKind.equals("shared")) { // (auto and global cannot be closed)
                tensors.close();
            }
        }
    }

    /** A fixed spread over [-4, 4): half the values take the exponential path. */
    static void fill(MemorySegment x, int size) {
        fill(x, size, DataType.F32);
    }

    /** {@link #fill(MemorySegment, int)} in {@code type} (rounded to nearest). */
    static void fill(MemorySegment x, int size, DataType type) {
        for (int i = 0; i < size; i++) {
            float v = -4f + 8f * ((i * 37) % size) / size;
            int b = Float.floatToRawIntBits(v);
            switch (type) {
                case F32 -> x.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
                case F64 -> x.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
                case BF16 -> x.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16));
                case F16 -> x.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(v));
            }
        }
    }

    /** The first element of a tensor of {@code type}, as a double. */
    private static double first(MemorySegment t, DataType type) {
        return switch (type) {
            case F32 -> t.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
            case F64 -> t.getAtIndex(ValueLayout.JAVA_DOUBLE, 0);
            case BF16 -> Float.intBitsToFloat(t.getAtIndex(ValueLayout.JAVA_SHORT, 0) << 16);
            case F16 -> Float.float16ToFloat(t.getAtIndex(ValueLayout.JAVA_SHORT, 0));
        };
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** This thread's time on a CPU so far, ns (Linux), or 0 where that cannot be read. */
    static long onCpu() {
        try {
            return Long.parseLong(Files.readString(Path.of("/proc/thread-self/schedstat")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * Runs {@code n} calls back to back, one clock read per call; returns the wall time of all of
     * them and leaves the slowest call's time in {@code stats[0]}, the calls over 2 µs in
     * {@code stats[1]}.
     */
    static long batch(Call call, int n, long[] stats) {
        long max = 0;
        long over = 0;
        long start = System.nanoTime();
        long prev = start;
        for (int i = 0; i < n; i++) {
            call.run();
            long now = System.nanoTime();
            long d = now - prev;
            max = Math.max(max, d);
            // without a branch: one that the warm-up never took (no call over 2 us in it) would
            // be compiled as a trap, and the first elu4j calls, over 2 us, would deoptimise the loop
            over += (2_000 - d) >>> 63;
            prev = now;
        }
        stats[0] = max;
        stats[1] = over;
        return prev - start;
    }
}
