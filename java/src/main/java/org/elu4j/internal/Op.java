package org.elu4j.internal;

/**
 * One function of the family with its parameters, as every backend receives it. This javadoc is
 * the definition each backend implements (the scalar backend is its executable form).
 *
 * <h2>Forward, {@code y = f(x)}</h2>
 * <ul>
 * <li>{@link Kind#ELU} (ELU, SELU, CELU and PyTorch's general form):
 *     {@code y = scale * x} for {@code x > 0}, else {@code alpha * scale * expm1(x * inputScale)}.
 *     NaN in gives the same NaN out (its bits). {@code x = -0.0} gives the sign of
 *     {@code alpha * scale * inputScale * -0.0} (so -0.0 for the usual positive parameters).</li>
 * <li>{@link Kind#RELU}: {@code y = x} for {@code x > 0}, NaN stays NaN, everything else gives
 *     {@code +0.0} (also -0.0 and -inf). Parameters unused.</li>
 * <li>{@link Kind#LEAKY_RELU}: {@code y = x} for {@code x > 0}, else {@code slope * x} with the
 *     slope in {@link #alpha()}; NaN stays NaN.</li>
 * </ul>
 * The parameters are doubles and the function is the exact real function of them: a float or
 * bfloat16/float16 result is the exact value rounded (within the stated ulps), not a computation
 * with parameters first rounded to float. {@link #isFastF32Elu()} says when the plain float kernels
 * give that accuracy.
 *
 * <h2>Backward, {@code dx = dy * f'(x)}</h2>
 * <ul>
 * <li>ELU from the input x: {@code dx = dy * scale} for {@code x > 0}, else
 *     {@code dy * alpha * scale * inputScale * exp(x * inputScale)}.</li>
 * <li>ELU from the output y: {@code dx = dy * scale} for {@code y > 0}, else
 *     {@code dy * inputScale * (y + alpha * scale)}. Only defined when {@code alpha >= 0},
 *     {@code scale > 0} and {@code inputScale > 0} (else the sign of y does not tell the side of x);
 *     {@link #fromOutputProblem()} says why not.</li>
 * <li>ReLU (either way): {@code dx = +0.0} for {@code x <= 0} (or {@code y <= 0}), else {@code dy}.</li>
 * <li>LeakyReLU (either way): {@code dx = dy} for {@code x > 0} (or {@code y > 0}), else
 *     {@code slope * dy}; from the output only for {@code slope >= 0}.</li>
 * </ul>
 * ELU backward propagates a NaN in x, y or dy as IEEE arithmetic does (no particular NaN bits).
 * ReLU and LeakyReLU backward make PyTorch's comparisons: ReLU's {@code threshold_backward} tests
 * {@code x <= 0}, so a NaN x or y passes {@code dy} through; LeakyReLU's {@code leaky_relu_backward}
 * tests {@code x > 0}, so a NaN x or y gives {@code slope * dy}.
 *
 * <p>Note on PyTorch: its {@code elu_backward(..., is_result=true)} uses {@code dy * scale} on
 * the positive side, as here (the derivative of {@code scale * x}); there is no
 * {@code inputScale} factor on that side.
 *
 * @param kind       which function
 * @param alpha      ELU's alpha, LeakyReLU's slope, 0 for ReLU
 * @param scale      ELU's scale (1 for ReLU and LeakyReLU)
 * @param inputScale ELU's input scale (1 for ReLU and LeakyReLU)
 */
public record Op(Kind kind, double alpha, double scale, double inputScale) {

    /** The kernels' view of the family. */
    public enum Kind {
        ELU(0), RELU(1), LEAKY_RELU(2);

        /** The helper library's elu4j_function number. */
        public final int nativeCode;

        Kind(int nativeCode) {
            this.nativeCode = nativeCode;
        }
    }

    public Op {
        java.util.Objects.requireNonNull(kind, "kind");
        if (!Double.isFinite(alpha) || !Double.isFinite(scale) || !Double.isFinite(inputScale)) {
            throw new IllegalArgumentException("parameters must be finite: alpha=" + alpha + ", scale=" + scale
                    + ", inputScale=" + inputScale);
        }
        if (kind != Kind.ELU && (scale != 1 || inputScale != 1)) {
            throw new IllegalArgumentException(kind + " takes no scale or input scale");
        }
        if (kind == Kind.RELU && alpha != 0) {
            throw new IllegalArgumentException("RELU takes no slope: use LEAKY_RELU");
        }
    }

    public static Op elu(double alpha) {
        return new Op(Kind.ELU, alpha, 1, 1);
    }

    public static Op elu(double alpha, double scale, double inputScale) {
        return new Op(Kind.ELU, alpha, scale, inputScale);
    }

    public static Op relu() {
        return new Op(Kind.RELU, 0, 1, 1);
    }

    public static Op leakyRelu(double slope) {
        return new Op(Kind.LEAKY_RELU, slope, 1, 1);
    }

    /**
     * The exact rest of {@link #negativeCoefficient()}: {@code alpha * scale - negativeCoefficient()}
     * (an fma), -0.0 where it is 0. The f64 backward from the output computes {@code y + alpha * scale}
     * as {@code (y + c) + low}: near {@code y = -c}, where that sum cancels, {@code y + c} is exact.
     */
    public double negativeCoefficientLow() {
        double low = Math.fma(alpha, scale, -(alpha * scale));
        return low == 0 ? -0.0 : low; // v + -0.0 is v for every v, -0.0 included
    }

    /** {@code alpha * scale}, the coefficient of the negative side (in double). */
    public double negativeCoefficient() {
        return alpha * scale;
    }

    /** ELU with scale 1 and input scale 1 (alpha arbitrary). */
    public boolean isPlainElu() {
        return kind == Kind.ELU && scale == 1 && inputScale == 1;
    }

    /**
     * Whether the f32 forward can run on the plain float ELU kernels (one float alpha multiply
     * after a float expm1) and stay within 1 ulp: plain ELU with alpha a positive power of two
     * (exact in float, so the multiply adds no rounding except where the result becomes
     * subnormal), 1 included. A negative alpha is excluded because the float kernels keep -0.0 as
     * -0.0, where the definition gives alpha * -0.0 = +0.0.
     * Other parameters need the negative side evaluated in double (see the backends).
     */
    public boolean isFastF32Elu() {
        if (!isPlainElu()) {
            return false;
        }
        double a = alpha;
        return a > 0 && a == Math.scalb(1.0, Math.getExponent(a)) && Math.getExponent(a) >= -100
                && Math.getExponent(a) <= 100;
    }

    /**
     * Whether the f32 forward runs on the general f32 ELU kernels (the helper's and the Vector
     * API backend's, the same operations and bits): ELU that is not {@link #isFastF32Elu()} with
     * {@code alpha * scale}, {@code scale}, {@code inputScale} and
     * {@code alpha * scale * inputScale} all in {@code [2^-60, 2^60]} (the helper's
     * {@code fill_general} rule in elu4j.c). Other parameters (negative, zero, extreme) have
     * their negative side evaluated in double.
     */
    public boolean isGeneralF32Elu() {
        return isGeneralF32Backward() && !isFastF32Elu(); // the same range, less the float kernel's case
    }

    /**
     * Whether the f32 backward from the output runs in f32 pairs (the helper's and the Vector API
     * backend's {@code bwd_y_one}, the same bits): ELU with {@code alpha * scale}, {@code scale},
     * {@code inputScale} and {@code alpha * scale * inputScale} all in {@code [2^-60, 2^60]}, the
     * float kernel's case included (elu4j.c's fill_general for the backward).
     */
    public boolean isGeneralF32Backward() {
        if (kind != Kind.ELU) {
            return false;
        }
        double coef = alpha * scale;
        return inGeneralRange(coef) && inGeneralRange(scale) && inGeneralRange(inputScale)
                && inGeneralRange(coef * inputScale);
    }

    private static boolean inGeneralRange(double v) {
        return v >= 0x1p-60 && v <= 0x1p60;
    }

    /** {@code alpha} as a float, for kernels that take a float; exact when {@link #isFastF32Elu()}. */
    public float alphaF() {
        return (float) alpha;
    }

    /** Null when backward from the output is defined for these parameters, else why not. */
    public String fromOutputProblem() {
        return switch (kind) {
            case RELU -> null;
            case LEAKY_RELU -> alpha >= 0 ? null
                    : "backward from the output needs slope >= 0 (got " + alpha + "): use backward from the input";
            case ELU -> alpha >= 0 && scale > 0 && inputScale > 0 ? null
                    : "backward from the output needs alpha >= 0, scale > 0 and inputScale > 0 (got alpha=" + alpha
                            + ", scale=" + scale + ", inputScale=" + inputScale + "): use backward from the input";
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case RELU -> "relu";
            case LEAKY_RELU -> "leaky-relu(slope=" + alpha + ")";
            case ELU -> isPlainElu() ? "elu(alpha=" + alpha + ")"
                    : "elu(alpha=" + alpha + ", scale=" + scale + ", inputScale=" + inputScale + ")";
        };
    }
}
