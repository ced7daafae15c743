package org.elu4j.examples.onnxruntime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.Elu4j;

/**
 * ONNX Runtime and elu4j on the same memory: a layer run by ONNX Runtime writes its output into a
 * segment the application owns, and elu4j applies SELU there in place; nothing is copied. Then two
 * threads serve 1x4096 requests the same way, sharing one session.
 *
 * <pre>
 *   mvn -f examples/onnxruntime/pom.xml compile exec:exec
 * </pre>
 *
 * Exits with status 1 if a check fails. docs/examples.md explains the output.
 */
public final class ZeroCopyExample {
    /** Columns of a request. */
    public static final int FEATURES = 4096;
    /** The layer: y = SCALE * x + BIAS (exact in float for the inputs used here). */
    public static final float SCALE = 2f;
    /** The layer's bias. */
    public static final float BIAS = -1f;

    private ZeroCopyExample() {
    }

    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        byte[] model = TinyOnnx.layerModel(SCALE, BIAS);
        System.out.printf("elu4j %s; model: %d bytes (y = %s * x + %s, and ONNX Runtime's own Elu and Selu of y)%n",
                Elu4j.VERSION, model.length, SCALE, BIAS);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        boolean ok;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(model, options)) {
                ok = oneRequest(env, session);
                ok &= serve(env, session, 2, calls);
            }
        }
        System.out.println(ok ? "all checks passed" : "CHECKS FAILED");
        if (!ok) {
            System.exit(1);
        }
    }

    /** One 1x4096 request, every step shown and checked. */
    static boolean oneRequest(OrtEnvironment env, OrtSession session) throws Exception {
        Elu selu = Elu.selu();
        System.out.printf("SELU runs on: %s%n", selu.backendFor(DataType.F32, Elu.Direction.FORWARD, true));
        boolean ok = true;
        try (Arena arena = Arena.ofConfined(); PinnedLayer layer = new PinnedLayer(env, session, arena, 1, FEATURES, selu)) {
            MemorySegment x = layer.input();
            MemorySegment y = layer.output();
            fill(x, new SplittableRandom(42));
            y.fill((byte) 0xFF); // NaN everywhere: whatever ONNX Runtime does not write stays NaN

            // 1. The tensors wrap the application's memory: no copy on the way in or out. A tensor
            // made from a direct buffer does not own a copy, and the buffer it keeps (a duplicate of
            // ours) starts at our segment's address.
            long xAt = tensorAddress(layer.inputTensor());
            long yAt = tensorAddress(layer.outputTensor());
            System.out.printf("x: %d floats at 0x%x; the input tensor's buffer: 0x%x, not a copy: %s%n",
                    x.byteSize() / 4, x.address(), xAt, !layer.inputTensor().ownsBuffer());
            System.out.printf("y: %d floats at 0x%x; the pinned output tensor's buffer: 0x%x, not a copy: %s%n",
                    y.byteSize() / 4, y.address(), yAt, !layer.outputTensor().ownsBuffer());
            ok &= xAt == x.address() && yAt == y.address() && !layer.inputTensor().ownsBuffer()
                    && !layer.outputTensor().ownsBuffer();

            // 2. ONNX Runtime writes y into the application's segment.
            layer.layer();
            int exact = 0;
            for (int i = 0; i < FEATURES; i++) {
                float xi = x.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                exact += Float.compare(y.getAtIndex(ValueLayout.JAVA_FLOAT, i), xi * SCALE + BIAS) == 0 ? 1 : 0;
            }
            System.out.printf("session.run wrote y = %s * x + %s into that segment: %d of %d elements exact%n",
                    SCALE, BIAS, exact, FEATURES);
            ok &= exact == FEATURES;

            // 3. elu4j: SELU in place on the same segment (same address), then check it.
            float[] pre = y.toArray(ValueLayout.JAVA_FLOAT);
            long before = y.address();
            selu.applyInPlace(y);
            Stats vsExpm1 = Stats.of(pre, y.toArray(ValueLayout.JAVA_FLOAT), v -> seluExpm1((float) v));
            System.out.printf("elu4j SELU in place at 0x%x (same address: %s): vs Math.expm1 in double, max %d ulp%n",
                    y.address(), y.address() == before, vsExpm1.maxUlps());
            ok &= y.address() == before && vsExpm1.maxUlps() <= 1;

            // 4. ONNX Runtime reads its own output tensor and sees elu4j's result: one memory.
            FloatBuffer seenByOrt = layer.outputTensor().getFloatBuffer();
            boolean same = seenByOrt.equals(FloatBuffer.wrap(y.toArray(ValueLayout.JAVA_FLOAT)));
            System.out.printf("ONNX Runtime's output tensor now reads SELU(y): %s%n", same);
            ok &= same;

            // 5. ONNX Runtime's own Elu and Selu on the same y, against elu4j's.
            float[] elu4jSelu = y.toArray(ValueLayout.JAVA_FLOAT);
            float[][] ort = layer.layerAndOrtActivations(); // runs the layer again: y is pre again
            float[] elu4jElu = new float[FEATURES];
            Elu.elu().apply(pre, elu4jElu);
            Stats elu = Stats.of(elu4jElu, ort[0]);
            Stats seluVsOrt = Stats.of(elu4jSelu, ort[1]);
            System.out.printf("ONNX Runtime's Elu vs elu4j's ELU: max |diff| %.2e (max %d ulp)%n", elu.maxAbs(), elu.maxUlps());
            System.out.printf("ONNX Runtime's Selu vs elu4j's SELU: max |diff| %.2e (max %d ulp)%n",
                    seluVsOrt.maxAbs(), seluVsOrt.maxUlps());
            ok &= elu.maxAbs() <= ORT_TOLERANCE && seluVsOrt.maxAbs() <= ORT_TOLERANCE;
        }
        return ok;
    }

    /** The address of the memory an ONNX Runtime tensor made from a direct buffer reads and writes (-1: none). */
    public static long tensorAddress(OnnxTensor tensor) {
        return tensor.getBufferRef().map(b -> MemorySegment.ofBuffer(b).address()).orElse(-1L);
    }

    /**
     * How far ONNX Runtime's Elu and Selu may be from elu4j's: they compute {@code exp(x) - 1} in
     * float, whose absolute error is about an ulp of 1 (6e-8) times alpha * gamma near x = 0 (and
     * whose relative error there is large: 0 for |x| < 3e-8). elu4j is within 1 ulp of the exact
     * value.
     */
    public static final double ORT_TOLERANCE = 1e-6;

    /**
     * Two threads, each with its own tensors (PinnedLayer), share one session and serve
     * {@code calls} 1x4096 requests each: ONNX Runtime's layer, then elu4j's SELU in place, every
     * result checked.
     */
    static boolean serve(OrtEnvironment env, OrtSession session, int threads, int calls) throws Exception {
        List<Callable<Served>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long seed = 1000 + t;
            tasks.add(() -> serveOne(env, session, seed, calls));
        }
        long bad = 0;
        long[] nanos = new long[threads];
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            int t = 0;
            for (Future<Served> f : pool.invokeAll(tasks)) {
                bad += f.get().wrong();
                nanos[t++] = f.get().forwardNanos();
            }
        }
        System.out.printf("%d threads x %d requests of 1x%d, one shared session (ONNX Runtime layer + elu4j SELU in"
                + " place, every result checked): %s; %.1f us per request (thread 1: ONNX Runtime %.1f us + SELU"
                + " %.2f us)%n",
                threads, calls, FEATURES, bad == 0 ? "all correct" : bad + " wrong elements",
                java.util.Arrays.stream(nanos).average().orElse(0) / 1e3 / calls, nanosLayer / 1e3, nanosSelu / 1e3);
        return bad == 0;
    }

    private static volatile double nanosLayer;
    private static volatile double nanosSelu;

    /** What one server thread did: wrong elements, and the time its forward calls took. */
    record Served(long wrong, long forwardNanos) {
    }

    /** One server thread. */
    static Served serveOne(OrtEnvironment env, OrtSession session, long seed, int calls) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        long bad = 0;
        long forwardNanos = 0;
        long layerNanos = 0;
        long seluNanos = 0;
        Elu selu = Elu.selu();
        try (Arena arena = Arena.ofConfined();
                PinnedLayer layer = new PinnedLayer(env, session, arena, 1, FEATURES, selu)) {
            float[] x = new float[FEATURES];
            for (int c = 0; c < calls; c++) {
                for (int i = 0; i < FEATURES; i++) {
                    x[i] = (float) random.nextDouble(-4, 4);
                }
                MemorySegment.copy(x, 0, layer.input(), ValueLayout.JAVA_FLOAT, 0, FEATURES);
                long t0 = System.nanoTime();
                layer.layer();                            // = layer.forward(), timed in two parts
                long t1 = System.nanoTime();
                selu.applyInPlace(layer.output());
                long t2 = System.nanoTime();
                layerNanos += t1 - t0;
                seluNanos += t2 - t1;
                forwardNanos += t2 - t0;
                for (int i = 0; i < FEATURES; i++) {
                    float want = seluExpm1(x[i] * SCALE + BIAS);
                    float got = layer.output().getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    if (ulps(got, want) > 1) {
                        bad++;
                    }
                }
            }
        }
        if (seed == 1000) {
            nanosLayer = (double) layerNanos / calls;
            nanosSelu = (double) seluNanos / calls;
        }
        return new Served(bad, forwardNanos);
    }

    /** SELU in double with Math.expm1, rounded to float: within an ulp of the exact value. */
    public static float seluExpm1(float v) {
        return (float) (v > 0 ? Elu.SELU_SCALE * v : Elu.SELU_SCALE * Elu.SELU_ALPHA * Math.expm1(v));
    }

    /** Fills a float segment with values in [-4, 4). */
    static void fill(MemorySegment s, SplittableRandom random) {
        for (long i = 0; i < s.byteSize() / 4; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextDouble(-4, 4));
        }
    }

    /** Distance in ulps between two floats of the same sign (Integer.MAX_VALUE if they differ in sign or NaN). */
    public static int ulps(float a, float b) {
        if (Float.isNaN(a) || Float.isNaN(b)) {
            return Integer.MAX_VALUE;
        }
        if (a == b) {
            return 0;
        }
        if ((a < 0) != (b < 0)) {
            return Integer.MAX_VALUE;
        }
        return Math.abs(Float.floatToIntBits(a) - Float.floatToIntBits(b));
    }

    /** Largest absolute and ulp distance between two arrays (or an array and a function of its input). */
    public record Stats(double maxAbs, int maxUlps) {
        static Stats of(float[] a, float[] b) {
            double abs = 0;
            int u = 0;
            for (int i = 0; i < a.length; i++) {
                abs = Math.max(abs, Math.abs((double) a[i] - b[i]));
                u = Math.max(u, ulps(a[i], b[i]));
            }
            return new Stats(abs, u);
        }

        static Stats of(float[] in, float[] out, java.util.function.DoubleUnaryOperator f) {
            float[] want = new float[in.length];
            for (int i = 0; i < in.length; i++) {
                want[i] = (float) f.applyAsDouble(in[i]);
            }
            return of(out, want);
        }
    }
}
