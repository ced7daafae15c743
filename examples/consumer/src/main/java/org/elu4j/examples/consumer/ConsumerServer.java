package org.elu4j.examples.consumer;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.HelperStatus;

/**
 * A small inference "server" that uses elu4j the way an application does: through the public API
 * only, from the installed artifact. Worker threads share one {@link Arena#ofShared() shared
 * arena}: the request batch (16 requests of 1 x 4096 floats) and the incoming gradients are
 * written once by the main thread, each worker's output tensors are allocated by the main thread
 * too and written by the worker. Each round a worker takes the next request and, for ELU or SELU
 * (alternately), runs
 *
 * <ol>
 * <li>{@code y = f(x)}, out of place;</li>
 * <li>{@code f} in place on a copy of {@code x}, which must give {@code y}'s bits;</li>
 * <li>{@code dx = dy * f'(x)} (backward from the input);</li>
 * <li>{@code dx = dy * f'(x)} from {@code y} (backward from the output),</li>
 * </ol>
 *
 * each output filled with NaN before the call (a call that wrote nothing fails), and checks every
 * element against {@link Activation}'s reference in double ({@link ResultCheck} states the
 * tolerances). {@code main} runs it and prints what it checked and which backend served the calls.
 */
public final class ConsumerServer {
    /** Floats per request: a 1 x 4096 tensor. */
    public static final int FEATURES = 4096;
    /** Requests in the shared batch; the workers take them round-robin. */
    public static final int REQUESTS = 16;
    private static final long SEED = 20241205;
    private static final List<String> DIRECTIONS = List.of("forward", "backward from input", "backward from output");

    private ConsumerServer() {
    }

    /**
     * What one run checked.
     *
     * @param backend   the backend the functions were bound to ({@link Backend#AUTO} in a server)
     * @param servedBy  for each activation and direction, the backend the call ran on
     * @param threads   worker threads
     * @param rounds    rounds per thread
     * @param calls     elu4j calls made
     * @param checks    per activation and direction, the comparison with the reference
     * @param problems  anything else that went wrong (an exception, in place differing from out of place)
     * @param nanos     wall time of the workers
     */
    public record Report(Backend backend, Map<String, Backend> servedBy, int threads, int rounds, long calls,
            Map<String, ResultCheck> checks, List<String> problems, long nanos) {

        /**
         * Whether every result was within its tolerance and nothing else failed.
         *
         * @return true if all is well
         */
        public boolean ok() {
            return problems.isEmpty() && checks.values().stream().allMatch(c -> c.failed() == 0 && c.checked() > 0);
        }

        /**
         * The backends that served the calls, without duplicates, e.g. {@code [helper]}.
         *
         * @return their names
         */
        public Set<String> servingBackends() {
            Set<String> names = new LinkedHashSet<>();
            servedBy.values().forEach(b -> names.add(b.name().toLowerCase(Locale.ROOT)));
            return names;
        }

        /**
         * The report, a few lines of text.
         *
         * @return the lines
         */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            long checked = checks.values().stream().mapToLong(ResultCheck::checked).sum();
            out.add(String.format(Locale.ROOT, "%s: ELU and SELU f32 forward, backward from input and from output"
                    + " served by %s%s", backend, String.join(", ", servingBackends()), helperNote()));
            out.add(String.format(Locale.ROOT, "%d threads x %d rounds on shared 1x%d f32 tensors: %d calls, %,d results"
                    + " checked against Math.expm1/Math.exp in double, %s (%.0f ms)", threads, rounds, FEATURES, calls,
                    checked, ok() ? "all within tolerance" : "FAILED", nanos / 1e6));
            for (Activation a : Activation.values()) {
                StringBuilder line = new StringBuilder("  " + a + " max ulp:");
                for (String d : DIRECTIONS) {
                    ResultCheck c = checks.get(a + " " + d);
                    line.append(String.format(Locale.ROOT, " %s %.2f (<= %s%s);", d, c.maxUlps(),
                            d.equals("forward") ? ResultCheck.FORWARD_ULPS : ResultCheck.BACKWARD_ULPS,
                            c.withinAllowanceOnly() == 0 ? "" : ", " + c.withinAllowanceOnly() + " within the allowance"));
                }
                out.add(line.toString());
            }
            checks.values().forEach(c -> c.failures().forEach(f -> out.add("  FAILED " + f)));
            problems.forEach(p -> out.add("  FAILED " + p));
            return out;
        }

        private String helperNote() {
            return servingBackends().contains("helper")
                    ? Elu4j.helper().map(HelperStatus::active).map(isa -> " (helper ISA " + isa + ")").orElse("") : "";
        }
    }

    /**
     * Runs the server loop.
     *
     * @param backend the backend to bind the functions to ({@link Backend#AUTO} for a server)
     * @param threads worker threads
     * @param rounds  rounds per thread (each round: four elu4j calls)
     * @return what was checked
     * @throws InterruptedException if interrupted while waiting for the workers
     */
    public static Report serve(Backend backend, int threads, int rounds) throws InterruptedException {
        Map<String, Backend> servedBy = new LinkedHashMap<>();
        for (Activation a : Activation.values()) {
            Elu f = a.elu().on(backend);
            servedBy.put(a + " forward", f.backendFor(DataType.F32, Elu.Direction.FORWARD, true));
            servedBy.put(a + " backward from input", f.backendFor(DataType.F32, Elu.Direction.BACKWARD_FROM_INPUT, true));
            servedBy.put(a + " backward from output", f.backendFor(DataType.F32, Elu.Direction.BACKWARD_FROM_OUTPUT, true));
        }
        Map<String, ResultCheck> total = newChecks();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        long nanos;
        try (Arena arena = Arena.ofShared()) {
            long bytes = (long) Float.BYTES * FEATURES;
            MemorySegment batch = arena.allocate(bytes * REQUESTS, 64);
            MemorySegment gradients = arena.allocate(bytes * REQUESTS, 64);
            fill(batch, gradients);
            List<Worker> workers = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int t = 0; t < threads; t++) {
                // Allocated here, written by the worker: a shared arena's segments may be used by any thread.
                workers.add(new Worker(t, threads, rounds, backend, batch, gradients, arena.allocate(bytes, 64),
                        arena.allocate(bytes, 64), arena.allocate(bytes, 64), arena.allocate(bytes, 64), start, problems));
            }
            List<Thread> running = new ArrayList<>();
            for (Worker w : workers) {
                running.add(Thread.ofPlatform().name("consumer-worker-" + w.id).start(w));
            }
            long t0 = System.nanoTime();
            start.countDown();
            for (Thread t : running) {
                t.join();
            }
            nanos = System.nanoTime() - t0;
            for (Worker w : workers) {
                w.checks.forEach((k, c) -> total.get(k).add(c));
            }
        }
        return new Report(backend, servedBy, threads, rounds, 4L * threads * rounds, total, List.copyOf(problems), nanos);
    }

    private static Map<String, ResultCheck> newChecks() {
        Map<String, ResultCheck> checks = new LinkedHashMap<>();
        for (Activation a : Activation.values()) {
            for (String d : DIRECTIONS) {
                checks.put(a + " " + d, new ResultCheck(a + " " + d));
            }
        }
        return checks;
    }

    /**
     * The request batch: request 0 starts with values where ELU is easy to get wrong (signed zeros,
     * a subnormal, tiny negatives where e^x - 1 in float gives 0, the saturated tail); elsewhere
     * every 8th value is a negative of log-uniform magnitude from 4e-18 to 20, the rest uniform in
     * [-8, 4). Gradients uniform in [-4, 4).
     */
    private static void fill(MemorySegment batch, MemorySegment gradients) {
        float[] edges = {-0.0f, 0.0f, -Float.MIN_VALUE, -1e-30f, -2.98e-8f, -1e-6f, -1e-3f, -0.5f, -1f, -17f,
            -88f, -100f, -1e30f, Float.MIN_VALUE, 1e-6f, 1f, 1e30f};
        SplittableRandom random = new SplittableRandom(SEED);
        long n = batch.byteSize() / Float.BYTES;
        for (long i = 0; i < n; i++) {
            float x;
            if (i < edges.length) {
                x = edges[(int) i];
            } else if (i % 8 == 0) {
                x = (float) -Math.exp(random.nextDouble(-40, 3));
            } else {
                x = (float) random.nextDouble(-8, 4);
            }
            batch.setAtIndex(JAVA_FLOAT, i, x);
            gradients.setAtIndex(JAVA_FLOAT, i, (float) random.nextDouble(-4, 4));
        }
    }

    /** One server thread: its own output tensors, the shared batch. */
    private static final class Worker implements Runnable {
        private final int id;
        private final int threads;
        private final int rounds;
        private final Backend backend;
        private final MemorySegment batch;
        private final MemorySegment gradients;
        private final MemorySegment y;
        private final MemorySegment inPlace;
        private final MemorySegment dxFromInput;
        private final MemorySegment dxFromOutput;
        private final CountDownLatch start;
        private final List<String> problems;
        private final Map<String, ResultCheck> checks = newChecks();

        Worker(int id, int threads, int rounds, Backend backend, MemorySegment batch, MemorySegment gradients,
                MemorySegment y, MemorySegment inPlace, MemorySegment dxFromInput, MemorySegment dxFromOutput,
                CountDownLatch start, List<String> problems) {
            this.id = id;
            this.threads = threads;
            this.rounds = rounds;
            this.backend = backend;
            this.batch = batch;
            this.gradients = gradients;
            this.y = y;
            this.inPlace = inPlace;
            this.dxFromInput = dxFromInput;
            this.dxFromOutput = dxFromOutput;
            this.start = start;
            this.problems = problems;
        }

        @Override
        public void run() {
            try {
                start.await();
                long bytes = y.byteSize();
                for (int r = 0; r < rounds; r++) {
                    Activation a = Activation.values()[(r + id) % 2];
                    Elu f = a.elu().on(backend);
                    long request = ((long) r * threads + id) % REQUESTS;
                    MemorySegment x = batch.asSlice(request * bytes, bytes);
                    MemorySegment dy = gradients.asSlice(request * bytes, bytes);
                    poison(y, inPlace, dxFromInput, dxFromOutput);

                    f.apply(x, y);
                    inPlace.copyFrom(x);
                    f.applyInPlace(inPlace);
                    f.backwardFromInput(dy, x, dxFromInput);
                    f.backwardFromOutput(dy, y, dxFromOutput);

                    checks.get(a + " forward").forward(a, x, y);
                    checks.get(a + " backward from input").backwardFromInput(a, dy, x, dxFromInput);
                    checks.get(a + " backward from output").backwardFromOutput(a, dy, y, dxFromOutput);
                    long at = y.mismatch(inPlace);
                    if (at >= 0 && problems.size() < 10) {
                        problems.add(a + " in place differs from out of place at byte " + at + " (request " + request + ")");
                    }
                }
            } catch (Throwable e) { // reported, not lost in a thread's uncaught-exception handler
                problems.add("worker " + id + ": " + e);
            }
        }

        private static void poison(MemorySegment... outputs) {
            for (MemorySegment s : outputs) {
                s.fill((byte) 0xFF); // every float 0xFFFFFFFF: a NaN
            }
        }
    }

    /**
     * Runs the server loop on AUTO and prints the report.
     *
     * @param args optional: threads and rounds per thread (default 2 and 500)
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        Module m = Elu.class.getModule();
        System.out.println("consumer: elu4j " + Elu4j.VERSION + " on the " + (m.isNamed() ? "module path (module "
                + m.getName() + ")" : "class path") + ", native access " + (m.isNativeAccessEnabled() ? "enabled" : "NOT enabled"));
        Report report = serve(Backend.AUTO, threads, rounds);
        report.lines().forEach(l -> System.out.println("consumer: " + l));
        if (!report.ok()) {
            System.exit(1);
        }
    }
}
