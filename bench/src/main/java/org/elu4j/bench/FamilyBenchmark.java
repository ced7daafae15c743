package org.elu4j.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.bench.peers.JavaCppOneDnnFamily;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Every function × type × pass a user runs, through the public API, per elu4j backend and against
 * oneDNN's own primitives via JavaCPP: ELU (alpha 1), SELU and CELU (alpha 0.7); f32, bf16, f16,
 * f64; forward ({@code apply}), backward from the input ({@code backwardFromInput}) and backward
 * from the output ({@code backwardFromOutput}); out of place, one thread.
 *
 * <p>{@code backend=javacpp} is the peer {@link JavaCppOneDnnFamily}: oneDNN's eltwise primitives
 * (forward {@code elu}, backward {@code elu} and {@code elu_use_dst_for_bwd}, composed with
 * {@code linear} and {@code relu_use_dst_for_bwd} passes where the function needs a scale) through
 * JNI, the same compositions elu4j's {@code onednn} backend documents.
 *
 * <p>A combination that a backend does not run here (elu4j answers {@link Elu#unsupportedReason},
 * e.g. oneDNN without f16 or f64 eltwise kernels, or without CELU's backward from the input) fails
 * in set-up with {@code SKIP: <the library's reason>}: JMH prints it and goes on (the suite runs
 * with {@code shouldFailOnError(false)}), and the report shows a dash.
 *
 * <p>Data: x uniform in [-4, 4) and dy uniform in [-1, 1) from fixed seeds, rounded to the type;
 * y = f(x) computed once by the scalar backend. Every output is checked once in set-up against the
 * scalar backend's output for the same call, within a tolerance of a few units of the type (a
 * fast wrong answer fails, documented accuracy differences pass).
 *
 * <p>The suite ({@link Suite}) runs this class in one JVM per backend (JMH {@code -f 0} in a child
 * JVM), not one fork per combination: 72 combinations in the quick run would otherwise cost ~8 s
 * of fork start and warm-up each.
 */
public class FamilyBenchmark extends BenchBase {

    /** elu4j backends, and {@code javacpp}: oneDNN's primitives via JavaCPP (f32, bf16, f16). */
    @Param({"helper", "vector", "onednn", "auto", "javacpp"})
    public String backend;

    /**
     * {@code elu} (alpha 1), {@code selu}, {@code celu} (alpha 0.7); also, on request
     * ({@code -p function=relu}; not in the suite's report), {@code relu}, {@code leaky-relu}
     * (slope 0.01, PyTorch's default), {@code elu-1.3} (alpha 1.3) and {@code elu-neg} (alpha -0.7:
     * the vector backend's double lanes), which the JavaCPP peer does not run.
     */
    @Param({"elu", "selu", "celu"})
    public String function;

    @Param({"f32", "bf16", "f16", "f64"})
    public String type;

    /** {@code fwd}: y = f(x); {@code bwd-in}: dx = dy·f'(x) from x; {@code bwd-out}: from y. */
    @Param({"fwd", "bwd-in", "bwd-out"})
    public String pass;

    @Param({"4096", "65536", "16777216"})
    public int size;

    /** Prefix of the set-up failure of a combination that the backend does not run here. */
    public static final String SKIP = "SKIP: ";

    private Elu elu;
    private DataType dataType;
    private Elu.Direction direction;
    private MemorySegment in;
    private MemorySegment xy;
    private MemorySegment out;
    private JavaCppOneDnnFamily peer;

    @Setup(Level.Trial)
    public void setUp() {
        Elu f = Functions.of(function);
        dataType = DataType.fromCliName(type);
        direction = direction(pass);
        String what = function + " " + type + " " + pass + " n=" + size;
        boolean isPeer = backend.equals("javacpp");
        if (!isPeer) {
            Backend b = Backend.fromCliName(backend);
            elu = f.on(b);
            Optional<String> why = elu.unsupportedReason(dataType, direction);
            if (why.isPresent()) {
                throw new UnsupportedOperationException(SKIP + "elu4j " + backend + " " + what + ": " + why.get());
            }
            if (!Elu4j.isAvailable(b)) {
                throw new IllegalStateException("backend " + backend + " is not available here: " + Elu4j.backends());
            }
        } else if (!List.of("elu", "selu", "celu").contains(function)) {
            throw new UnsupportedOperationException(SKIP + "oneDNN via JavaCPP " + what + ": the peer runs ELU's compositions only");
        } else if (dataType == DataType.F64) {
            throw new UnsupportedOperationException(SKIP + "oneDNN via JavaCPP " + what + ": oneDNN has no f64 eltwise");
        }

        // Inputs in the type: x in [-4, 4), dy in [-1, 1); y = f(x) by the scalar backend.
        Elu scalar = f.on(Backend.SCALAR);
        MemorySegment x = allocate(size);
        fill(x, dataType, SEED, 4);
        out = allocate(size);
        MemorySegment want = allocate(size);
        if (direction == Elu.Direction.FORWARD) {
            in = x;
            xy = null;
            scalar.apply(in, want, dataType);
        } else {
            in = allocate(size);
            fill(in, dataType, SEED + 1, 1);
            if (direction == Elu.Direction.BACKWARD_FROM_INPUT) {
                xy = x;
                scalar.backwardFromInput(in, xy, want, dataType);
            } else {
                xy = allocate(size);
                scalar.apply(x, xy, dataType);
                scalar.backwardFromOutput(in, xy, want, dataType);
            }
        }
        if (isPeer) {
            try {
                peer = new JavaCppOneDnnFamily(type, f.alpha(), f.scale(), f.inputScale(), peerPass(direction), in, xy,
                        out);
            } catch (RuntimeException e) {
                throw new UnsupportedOperationException(SKIP + "oneDNN via JavaCPP " + what + ": " + e.getMessage(), e);
            }
        }
        out.fill((byte) 0x7F); // not a valid result: the check fails unless the call wrote every element
        run();
        checkClose((isPeer ? "oneDNN via JavaCPP " : "elu4j " + backend + " ") + what, dataType, want, out);
        if (!isPeer && elu.backendFor(dataType, direction, true) == Backend.VECTOR) { // auto too, where it picks vector
            warmUntilCompiled(this::run, size, "elu4j " + backend + " " + what);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (peer != null) {
            peer.close();
            peer = null;
        }
    }

    @Benchmark
    public MemorySegment run() {
        if (peer != null) {
            peer.run();
            return out;
        }
        switch (direction) {
            case FORWARD -> elu.apply(in, out, dataType);
            case BACKWARD_FROM_INPUT -> elu.backwardFromInput(in, xy, out, dataType);
            case BACKWARD_FROM_OUTPUT -> elu.backwardFromOutput(in, xy, out, dataType);
            default -> throw new IllegalStateException(String.valueOf(direction));
        }
        return out;
    }

    static Elu.Direction direction(String pass) {
        return switch (pass) {
            case "fwd" -> Elu.Direction.FORWARD;
            case "bwd-in" -> Elu.Direction.BACKWARD_FROM_INPUT;
            case "bwd-out" -> Elu.Direction.BACKWARD_FROM_OUTPUT;
            default -> throw new IllegalArgumentException("pass must be fwd, bwd-in or bwd-out: " + pass);
        };
    }

    private static JavaCppOneDnnFamily.Pass peerPass(Elu.Direction d) {
        return switch (d) {
            case FORWARD -> JavaCppOneDnnFamily.Pass.FORWARD;
            case BACKWARD_FROM_INPUT -> JavaCppOneDnnFamily.Pass.BACKWARD_FROM_INPUT;
            case BACKWARD_FROM_OUTPUT -> JavaCppOneDnnFamily.Pass.BACKWARD_FROM_OUTPUT;
        };
    }

    private MemorySegment allocate(long n) {
        // allocateFloats sizes in floats: round the element bytes up to whole floats (f16, bf16 use half).
        long bytes = n * dataType.byteSize();
        MemorySegment s = allocateFloats((bytes + Float.BYTES - 1) / Float.BYTES);
        return s.asSlice(0, bytes);
    }

    /** Fills a segment of the type with values uniform in [-range, range) from the seed. */
    static void fill(MemorySegment s, DataType type, long seed, double range) {
        SplittableRandom random = new SplittableRandom(seed);
        long n = s.byteSize() / type.byteSize();
        for (long i = 0; i < n; i++) {
            set(s, type, i, random.nextDouble(-range, range));
        }
    }

    static void set(MemorySegment s, DataType type, long i, double v) {
        switch (type) {
            case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
            case F64 -> s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
            case F16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16((float) v));
            case BF16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, toBf16((float) v));
        }
    }

    static double get(MemorySegment s, DataType type, long i) {
        return switch (type) {
            case F32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            case F64 -> s.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
            case F16 -> Float.float16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, i));
            case BF16 -> Float.intBitsToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, i) << 16);
        };
    }

    /** A float rounded to bfloat16 (nearest, ties to even; finite inputs only). */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /**
     * Throws unless every element of {@code got} is within a few units of the type of
     * {@code want}: 2^-(p-4)·(|want| + 1) for a type of p significant bits: a few units of the type
     * relative to the result, or to 1 near 0 (oneDNN computes exp(x) - 1 there, and composed
     * plans round once per pass).
     */
    static void checkClose(String what, DataType type, MemorySegment want, MemorySegment got) {
        double rel = switch (type) {
            case F64 -> 0x1p-48;
            case F32 -> 0x1p-20;
            case F16 -> 0x1p-7;
            case BF16 -> 0x1p-4;
        };
        long n = want.byteSize() / type.byteSize();
        for (long i = 0; i < n; i++) {
            double w = get(want, type, i);
            double g = get(got, type, i);
            if (!(Math.abs(g - w) <= rel * (Math.abs(w) + 1))) {
                throw new IllegalStateException(what + ": wrong result at index " + i + ": want " + w + ", got " + g);
            }
        }
    }
}
