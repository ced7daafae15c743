package org.elu4j.testing;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import org.elu4j.DataType;
import org.elu4j.Elu;
import org.elu4j.internal.HalfFloats;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.scalar.ScalarBackend;

/**
 * The functions of the family the conformance tests run, their inputs per element type, and the
 * scalar oracle's expected results. Tensors are held as native-order bytes ({@code byte[]}) so one
 * generator serves every memory kind.
 */
public final class Family {
    private Family() {
    }

    /** A function under test: its public factory result and the {@link Op} it stands for. */
    public record Fn(String name, Elu elu) {
        /**
         * The definition this function object means, rebuilt from its public properties (so a
         * factory that stored the wrong parameters shows up as a mismatch with the oracle).
         */
        public Op op() {
            return switch (elu.function()) {
                case RELU -> Op.relu();
                case LEAKY_RELU -> Op.leakyRelu(elu.alpha());
                case ELU, SELU, CELU -> Op.elu(elu.alpha(), elu.scale(), elu.inputScale());
            };
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * Every function of the conformance grid, with parameters that take every kernel path: ELU with
     * alpha a power of two (the helper's and vector's float kernel), 1.3 (evaluated in double), a
     * negative alpha and 0; SELU; CELU on both sides of alpha = 1; the general form with every
     * parameter away from 1, with a negative input scale and with a negative scale; ReLU; LeakyReLU
     * with a small and a negative slope.
     */
    public static List<Fn> functions() {
        return List.of(
                new Fn("elu(1)", Elu.elu(1)),
                new Fn("elu(0.5)", Elu.elu(0.5)),
                new Fn("elu(2)", Elu.elu(2)),
                new Fn("elu(1.3)", Elu.elu(1.3)),
                new Fn("elu(-0.7)", Elu.elu(-0.7)),
                new Fn("elu(0)", Elu.elu(0)),
                new Fn("selu", Elu.selu()),
                new Fn("celu(0.5)", Elu.celu(0.5)),
                new Fn("celu(2)", Elu.celu(2)),
                new Fn("elu(1.3,0.9,0.7)", Elu.elu(1.3, 0.9, 0.7)),
                new Fn("elu(0.25,2,-0.5)", Elu.elu(0.25, 2, -0.5)),
                new Fn("elu(1.2,-0.5,1)", Elu.elu(1.2, -0.5, 1)),
                new Fn("relu", Elu.relu()),
                new Fn("leakyRelu(0.01)", Elu.leakyRelu(0.01)),
                new Fn("leakyRelu(-0.2)", Elu.leakyRelu(-0.2)));
    }

    /**
     * {@link #functions()} and parameters at the edges, for the cheaper sweeps (awkward sizes,
     * special values in every lane): a non-power-of-two alpha below 1, a tiny scale with a large
     * input scale, a coefficient far from 1 in both factors, a negative input scale with scale 2,
     * alpha * scale a power of two with a scale that is no float (the one-fma backward from the
     * output with a two-part positive side), a scale whose two-part product with a tiny positive
     * bf16 input rounds to another bf16 than the product correctly rounded (0x1.0400p-126 here:
     * the f32 kernels' scalar fix for positives below 2^-100 shows in bf16), an input scale whose
     * low part and linear range (below 2^-40 / inputScale) show in bf16 results (0.3 with alpha
     * 1.25: 147 and 10 negative bf16 inputs round otherwise without them), LeakyReLU with slope 0
     * (0 * -inf is NaN), 0.25 and 1.1 (the low part of its float pair changes 1,526 bf16 and
     * 1,427 f16 results: found by comparing the pair with its high part alone on every pattern).
     */
    public static List<Fn> functionsAndEdges() {
        List<Fn> all = new java.util.ArrayList<>(functions());
        all.add(new Fn("elu(0.3)", Elu.elu(0.3)));
        all.add(new Fn("elu(0.8,1e-3,40)", Elu.elu(0.8, 1e-3, 40)));
        all.add(new Fn("elu(1e30,1e-20,1)", Elu.elu(1e30, 1e-20, 1)));
        all.add(new Fn("elu(1.5,2,-0.3)", Elu.elu(1.5, 2, -0.3)));
        all.add(new Fn("elu(10,0.1,1)", Elu.elu(10, 0.1, 1)));
        all.add(new Fn("elu(1.5,0.3314393732707587,1)", Elu.elu(1.5, 0.3314393732707587, 1)));
        all.add(new Fn("elu(1.25,1,0.3)", Elu.elu(1.25, 1, 0.3)));
        all.add(new Fn("leakyRelu(0)", Elu.leakyRelu(0)));
        all.add(new Fn("leakyRelu(0.25)", Elu.leakyRelu(0.25)));
        all.add(new Fn("leakyRelu(1.1)", Elu.leakyRelu(1.1)));
        return List.copyOf(all);
    }

    /**
     * Coefficients so large that binary16 gradients times {@code (alpha * scale + y) * inputScale}
     * exceed 2^64 (the f32 backward's ordinary loop leaves such products to its full loop): with
     * an input scale, and with input scale 1 in the pairs (alpha * scale no power of two).
     */
    public static List<Fn> hugeCoefficients() {
        return List.of(new Fn("elu(2^30,1,2^20)", Elu.elu(0x1p30, 1, 0x1p20)),
                new Fn("elu(1.5*2^49)", Elu.elu(0x1.8p49)));
    }

    // ---------------------------------------------------------------------------------------------
    // Inputs

    /**
     * Float inputs where the function of {@code op} has an edge: Inputs.SPECIALS plus the same
     * points in |t| = |x * inputScale| on the negative side (so a negative input scale meets them as
     * positive t: where e^t overflows in float, 88.72), and the positive side's overflow threshold
     * 2^128 - 2^103 over scale with its neighbours.
     */
    public static float[] specialsF32(Op op) {
        float[] edges = {-88f, -88.7f, -89f, -100f, -103.97f, -104f, -105f, -17.33f, -3e-8f, -1e-7f, -1e-40f,
                -0.34657359f, -1e-45f, -88.7228f, -88.7229f};
        float[] out = new float[Inputs.SPECIALS.length + edges.length + 3];
        System.arraycopy(Inputs.SPECIALS, 0, out, 0, Inputs.SPECIALS.length);
        for (int i = 0; i < edges.length; i++) {
            out[Inputs.SPECIALS.length + i] = (float) (edges[i] / Math.abs(op.inputScale()));
        }
        float over = op.kind() == Op.Kind.ELU ? (float) (0x1.ffffffp127 / Math.abs(op.scale())) : Float.MAX_VALUE;
        int k = Inputs.SPECIALS.length + edges.length;
        out[k] = over;
        out[k + 1] = Math.nextDown(over);
        out[k + 2] = Math.nextUp(over);
        return out;
    }

    /** Double inputs with an edge in f64: subnormals, where exp underflows (-708..-746), payload NaNs. */
    public static double[] specialsF64(Op op) {
        double[] own = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0,
                Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, -Double.MIN_NORMAL, -Double.MIN_NORMAL / 3,
                -1e-300, -1e-20, -1e-17, -3e-8, -1e-8, -0.5, -0.34657359027997264, -0.6931471805599453, -1, -2,
                -10, -17.5, -36.04, -37.5, -40, -88, -100, -700, -708.4, -709, -744, -745.2, -746, -1000,
                Double.MAX_VALUE, -Double.MAX_VALUE, 1, 0.5, 1e-300, 1e300,
                Double.longBitsToDouble(0x7ff0000000000001L), Double.longBitsToDouble(0xfff8000000000123L)};
        float[] f = specialsF32(op);
        double[] out = new double[own.length + f.length + 8];
        System.arraycopy(own, 0, out, 0, own.length);
        for (int i = 0; i < f.length; i++) {
            out[own.length + i] = f[i];
        }
        int k = own.length + f.length;
        // (|t|: a negative input scale meets them as positive t, where e^t overflows past 709.78
        // and the vector backend's scalar fix-up starts at 600)
        for (double e : new double[] {-708.4, -745.2, -37.5, -1e-17, -600, -600.001, -709.78, -709.79}) {
            out[k++] = e / Math.abs(op.inputScale());
        }
        return out;
    }

    /** More f32 edges: where exp underflows, subnormal tails, NaNs with payloads in both halves. */
    private static final float[] F32_EXTRA = {-88f, -88.5f, -89f, -90f, -95f, -100f, -102.5f, -103.9f, -104f,
            -104.5f, -Float.MIN_VALUE, -2 * Float.MIN_VALUE, -3 * Float.MIN_VALUE, -1e-39f, -1e-42f, Float.MIN_VALUE,
            Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xff812345), Float.intBitsToFloat(0x7fc00000)};

    /** More f64 edges: NaN payloads, subnormals, where exp underflows and overflows, huge values. */
    private static final double[] F64_EXTRA = {Double.longBitsToDouble(0xfff8000000abcdefL), -1e-310, -0.3465,
            -0.3466, -36.7, -64, -65, -104, -500, -708, -708.5, -720, -745, -800, -1e300, 3.5};

    /** bf16/f16 edge patterns: zeros, subnormals, the smallest normals, infinities, NaNs, the largest finite, and values near where the types' exp underflows. */
    private static final int[] HALF_SPECIALS = {0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x83ff, 0x0400, 0x8400,
            0x7c00, 0xfc00, 0x7c01, 0xfe00, 0x7e00, 0x7f80, 0xff80, 0x7fc0, 0xffc1, 0x7f81, 0x3c00, 0xbc00, 0xc2b0,
            0xc2d0, 0xc0a0, 0xcc00, 0xd5a0, 0xbf80, 0xc2b2, 0xc2c8, 0xfbff, 0x7bff, 0xff7f, 0x7f7f};

    /**
     * Every special value of {@code type} for {@code op} as native-order bytes: {@link #specialsF32}
     * or {@link #specialsF64} and the extra edges above; for bf16/f16 the edge patterns of both types
     * and the f32 specials rounded to the type.
     */
    public static byte[] specials(DataType type, Op op) {
        return switch (type) {
            case F32 -> {
                float[] a = specialsF32(op);
                MemorySegment s = MemorySegment.ofArray(new byte[(a.length + F32_EXTRA.length) * 4]);
                for (int i = 0; i < a.length + F32_EXTRA.length; i++) {
                    s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, i < a.length ? a[i] : F32_EXTRA[i - a.length]);
                }
                yield (byte[]) s.heapBase().orElseThrow();
            }
            case F64 -> {
                double[] a = specialsF64(op);
                MemorySegment s = MemorySegment.ofArray(new byte[(a.length + F64_EXTRA.length) * 8]);
                for (int i = 0; i < a.length + F64_EXTRA.length; i++) {
                    s.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, i < a.length ? a[i] : F64_EXTRA[i - a.length]);
                }
                yield (byte[]) s.heapBase().orElseThrow();
            }
            case BF16, F16 -> {
                float[] a = specialsF32(op);
                MemorySegment s = MemorySegment.ofArray(new byte[(a.length + HALF_SPECIALS.length) * 2]);
                for (int i = 0; i < a.length + HALF_SPECIALS.length; i++) {
                    s.setAtIndex(JAVA_SHORT_UNALIGNED, i,
                            i < a.length ? ScalarBackend.narrow(type, a[i]) : (short) HALF_SPECIALS[i - a.length]);
                }
                yield (byte[]) s.heapBase().orElseThrow();
            }
        };
    }

    /**
     * n elements taken from {@code specials} (bytes of {@code type}): element i is special
     * {@code (i * stride + shift) % count}, so that successive shifts move each special through every
     * lane position of a vector.
     */
    public static byte[] rotated(DataType type, byte[] specials, int n, int shift, int stride) {
        int size = type.byteSize();
        int count = specials.length / size;
        byte[] out = new byte[n * size];
        for (int i = 0; i < n; i++) {
            System.arraycopy(specials, (int) (((long) i * stride + shift) % count) * size, out, i * size, size);
        }
        return out;
    }

    /** n values of {@code type} as native-order bytes: the specials first (as many as fit), then random values. */
    public static byte[] inputs(DataType type, Op op, int n, long seed) {
        MemorySegment s = MemorySegment.ofArray(new byte[n * type.byteSize()]);
        SplittableRandom r = new SplittableRandom(seed);
        switch (type) {
            case F32 -> {
                float[] sp = specialsF32(op);
                float[] rnd = Inputs.random(n, seed);
                for (int i = 0; i < n; i++) {
                    float v = i < sp.length ? sp[i] : rnd[i];
                    if (i >= sp.length && r.nextInt(4) == 0) {
                        v = (float) (v / op.inputScale()); // the same spread in t = x * inputScale
                    }
                    s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, v);
                }
            }
            case F64 -> {
                double[] sp = specialsF64(op);
                for (int i = 0; i < n; i++) {
                    double v;
                    if (i < sp.length) {
                        v = sp[i];
                    } else {
                        int kind = r.nextInt(10);
                        if (kind < 6) {
                            v = r.nextDouble(-40, 5) / (kind == 0 ? op.inputScale() : 1);
                        } else if (kind < 9) {
                            long bits = r.nextLong(1, 0x4090000000000000L); // subnormal to 2^10
                            v = Double.longBitsToDouble(r.nextBoolean() ? bits : bits | 0x8000000000000000L);
                        } else {
                            v = sp[r.nextInt(sp.length)];
                        }
                    }
                    s.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, v);
                }
            }
            case BF16, F16 -> {
                float[] sp = specialsF32(op);
                for (int i = 0; i < n; i++) {
                    short v;
                    if (i < sp.length) {
                        v = ScalarBackend.narrow(type, sp[i]);
                    } else {
                        int kind = r.nextInt(10);
                        if (kind < 5) {
                            v = (short) r.nextInt(0x10000); // any pattern: subnormals, infinities, NaNs
                        } else if (kind < 9) {
                            v = ScalarBackend.narrow(type, (float) (r.nextDouble(-20, 5) / op.inputScale()));
                        } else {
                            v = ScalarBackend.narrow(type, sp[r.nextInt(sp.length)]);
                        }
                    }
                    s.setAtIndex(JAVA_SHORT_UNALIGNED, i, v);
                }
            }
        }
        return (byte[]) s.heapBase().orElseThrow();
    }

    /** Every bf16/f16 pattern, then {@code extra} more (n = 65536 + extra). */
    public static byte[] allHalfPatterns(int extra) {
        MemorySegment s = MemorySegment.ofArray(new byte[(0x10000 + extra) * 2]);
        for (int i = 0; i < 0x10000 + extra; i++) {
            s.setAtIndex(JAVA_SHORT_UNALIGNED, i, (short) (i * 40503)); // a permutation of the 16-bit patterns
        }
        return (byte[]) s.heapBase().orElseThrow();
    }

    /** bf16 or f16 inputs in [-12, 4], rounded to the type: no specials, t within every kernel's range. */
    public static byte[] ordinaryHalves(DataType type, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x3C6EF372L);
        MemorySegment s = MemorySegment.ofArray(new byte[n * 2]);
        for (int i = 0; i < n; i++) {
            s.setAtIndex(JAVA_SHORT_UNALIGNED, i, ScalarBackend.narrow(type, (float) r.nextDouble(-12, 4)));
        }
        return (byte[]) s.heapBase().orElseThrow();
    }

    /** Random finite bf16 or f16 patterns (any sign and magnitude, subnormals and zeros included). */
    public static byte[] finiteHalfPatterns(DataType type, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x7F4A7C15L);
        int exponent = type == DataType.BF16 ? 0x7F80 : 0x7C00;
        MemorySegment s = MemorySegment.ofArray(new byte[n * 2]);
        for (int i = 0; i < n; i++) {
            int h;
            do {
                h = r.nextInt(0x10000);
            } while ((h & exponent) == exponent);
            s.setAtIndex(JAVA_SHORT_UNALIGNED, i, (short) h);
        }
        return (byte[]) s.heapBase().orElseThrow();
    }

    /**
     * Upstream gradients: mostly moderate values of both signs, some of any magnitude, some special
     * (among them binary16's largest finite value, whose products overflow binary16).
     */
    public static byte[] gradients(DataType type, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        float[] specials = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE,
                -Float.MIN_VALUE, 1f, -1f, 1e30f, -1e-30f, 3f, -0.5f, 65504f, -65504f};
        MemorySegment s = MemorySegment.ofArray(new byte[n * type.byteSize()]);
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(10);
            double v;
            if (kind < 8) {
                v = r.nextDouble(-4, 4);
            } else if (kind < 9) {
                int bits = r.nextInt(0x30000000, 0x50000000); // about 5e-10 .. 8.6e9
                v = Float.intBitsToFloat(r.nextBoolean() ? bits : bits | 0x80000000);
            } else {
                v = specials[r.nextInt(specials.length)];
            }
            switch (type) {
                case F32 -> s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, (float) v);
                case F64 -> s.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, kind < 8 ? v + r.nextDouble() * 0x1p-30 : v);
                case BF16, F16 -> s.setAtIndex(JAVA_SHORT_UNALIGNED, i, ScalarBackend.narrow(type, (float) v));
            }
        }
        return (byte[]) s.heapBase().orElseThrow();
    }

    // ---------------------------------------------------------------------------------------------
    // The oracle on whole tensors

    /** The scalar oracle's forward of every element (bytes in, bytes out). */
    public static byte[] forward(Op op, DataType type, byte[] x) {
        MemorySegment in = MemorySegment.ofArray(x);
        MemorySegment out = MemorySegment.ofArray(new byte[x.length]);
        int n = x.length / type.byteSize();
        for (int i = 0; i < n; i++) {
            switch (type) {
                case F32 -> out.setAtIndex(JAVA_FLOAT_UNALIGNED, i, ScalarBackend.forward(op, in.getAtIndex(JAVA_FLOAT_UNALIGNED, i)));
                case F64 -> out.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, ScalarBackend.forward(op, in.getAtIndex(JAVA_DOUBLE_UNALIGNED, i)));
                case BF16, F16 -> out.setAtIndex(JAVA_SHORT_UNALIGNED, i,
                        ScalarBackend.forward(op, type, in.getAtIndex(JAVA_SHORT_UNALIGNED, i)));
            }
        }
        return (byte[]) out.heapBase().orElseThrow();
    }

    /** The scalar oracle's backward of every element. */
    public static byte[] backward(Op op, DataType type, boolean fromOutput, byte[] dy, byte[] xy) {
        MemorySegment g = MemorySegment.ofArray(dy);
        MemorySegment v = MemorySegment.ofArray(xy);
        MemorySegment out = MemorySegment.ofArray(new byte[dy.length]);
        int n = dy.length / type.byteSize();
        for (int i = 0; i < n; i++) {
            switch (type) {
                case F32 -> out.setAtIndex(JAVA_FLOAT_UNALIGNED, i, ScalarBackend.backward(op, fromOutput,
                        g.getAtIndex(JAVA_FLOAT_UNALIGNED, i), v.getAtIndex(JAVA_FLOAT_UNALIGNED, i)));
                case F64 -> out.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, ScalarBackend.backward(op, fromOutput,
                        g.getAtIndex(JAVA_DOUBLE_UNALIGNED, i), v.getAtIndex(JAVA_DOUBLE_UNALIGNED, i)));
                case BF16, F16 -> out.setAtIndex(JAVA_SHORT_UNALIGNED, i, ScalarBackend.backward(op, type, fromOutput,
                        g.getAtIndex(JAVA_SHORT_UNALIGNED, i), v.getAtIndex(JAVA_SHORT_UNALIGNED, i)));
            }
        }
        return (byte[]) out.heapBase().orElseThrow();
    }

    /** Every element as a double (exact for every type). */
    public static double[] values(DataType type, byte[] data) {
        int n = data.length / type.byteSize();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = value(type, data, i);
        }
        return out;
    }

    /** Every element's raw bits. */
    public static long[] bits(DataType type, byte[] data) {
        int n = data.length / type.byteSize();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = bits(type, data, i);
        }
        return out;
    }

    /** Element i as a double (exact for every type), for messages. */
    public static double value(DataType type, byte[] data, int i) {
        return value(type, MemorySegment.ofArray(data), i);
    }

    /** Element i of a segment as a double (exact for every type). */
    public static double value(DataType type, MemorySegment s, int i) {
        return switch (type) {
            case F32 -> s.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
            case F64 -> s.getAtIndex(JAVA_DOUBLE_UNALIGNED, i);
            case BF16 -> HalfFloats.bf16ToFloat(s.getAtIndex(JAVA_SHORT_UNALIGNED, i));
            case F16 -> HalfFloats.f16ToFloat(s.getAtIndex(JAVA_SHORT_UNALIGNED, i));
        };
    }

    /** Element i's raw bits. */
    public static long bits(DataType type, byte[] data, int i) {
        return bits(type, MemorySegment.ofArray(data), i);
    }

    /** Element i's raw bits, of a segment. */
    public static long bits(DataType type, MemorySegment s, int i) {
        return switch (type) {
            case F32 -> Float.floatToRawIntBits(s.getAtIndex(JAVA_FLOAT_UNALIGNED, i)) & 0xFFFFFFFFL;
            case F64 -> Double.doubleToRawLongBits(s.getAtIndex(JAVA_DOUBLE_UNALIGNED, i));
            case BF16, F16 -> s.getAtIndex(JAVA_SHORT_UNALIGNED, i) & 0xFFFFL;
        };
    }

    /** A label for a pass. */
    public static String label(Pass pass) {
        return switch (pass) {
            case FORWARD -> "fwd";
            case BACKWARD_FROM_INPUT -> "bwd(x)";
            case BACKWARD_FROM_OUTPUT -> "bwd(y)";
        };
    }
}
