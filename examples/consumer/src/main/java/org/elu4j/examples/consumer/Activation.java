package org.elu4j.examples.consumer;

import org.elu4j.Elu;

/**
 * The two activations the server applies, with the consumer's own reference for each: the
 * definitions from the ELU and SELU papers evaluated in double with {@link Math#expm1} and
 * {@link Math#exp}, sharing no code with elu4j. Only the parameters are the same numbers (SELU's
 * are written out here and compared with {@link Elu#SELU_ALPHA} and {@link Elu#SELU_SCALE} by the
 * tests).
 *
 * <pre>
 *   f(x)            = scale * x                          for x &gt; 0, else alpha * scale * (e^x - 1)
 *   f'(x) * dy      = dy * scale                         for x &gt; 0, else dy * alpha * scale * e^x
 *   from y = f(x)   = dy * scale                         for y &gt; 0, else dy * (y + alpha * scale)
 * </pre>
 *
 * The derivative at 0 is the negative side's, as elu4j (and PyTorch) define it.
 */
public enum Activation {
    /** ELU with alpha = 1. */
    ELU(1, 1),
    /** SELU (Klambauer et al., 2017). */
    SELU(1.6732632423543772848170429916717, 1.0507009873554804934193349852946);

    private final double alpha;
    private final double scale;
    private final Elu elu;

    Activation(double alpha, double scale) {
        this.alpha = alpha;
        this.scale = scale;
        this.elu = scale == 1 ? Elu.elu(alpha) : Elu.selu();
    }

    /**
     * The negative side's amplitude.
     *
     * @return alpha
     */
    public double alpha() {
        return alpha;
    }

    /**
     * The factor of both sides.
     *
     * @return scale
     */
    public double scale() {
        return scale;
    }

    /**
     * The elu4j function, on {@link org.elu4j.Backend#AUTO}.
     *
     * @return the function
     */
    public Elu elu() {
        return elu;
    }

    /**
     * f(x) in double.
     *
     * @param x the input
     * @return the reference value
     */
    public double forward(double x) {
        return x > 0 ? scale * x : alpha * scale * Math.expm1(x);
    }

    /**
     * dy * f'(x) in double.
     *
     * @param dy the incoming gradient
     * @param x  the forward's input
     * @return the reference value
     */
    public double backwardFromInput(double dy, double x) {
        return x > 0 ? dy * scale : dy * (alpha * scale * Math.exp(x));
    }

    /**
     * dy * f'(x) from y = f(x), in double.
     *
     * @param dy the incoming gradient
     * @param y  the forward's output
     * @return the reference value
     */
    public double backwardFromOutput(double dy, double y) {
        return y > 0 ? dy * scale : dy * (y + alpha * scale);
    }

    /**
     * The magnitude of the negative side's limit at minus infinity.
     *
     * @return alpha * scale
     */
    public double negativeLimit() {
        return alpha * scale;
    }
}
