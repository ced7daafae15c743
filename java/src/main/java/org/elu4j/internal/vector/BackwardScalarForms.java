package org.elu4j.internal.vector;

/**
 * The backward kernels' scalar forms, as {@link ScalarForms} holds the forward's: each backward
 * kernel's arithmetic one element at a time on arrays, the same operations on the same constants
 * in the same order, so the same bits (a NaN result excepted: any NaN). {@link FamilyKernels} pairs
 * each kernel with its form; {@link ScalarForms}' drivers run them over segments.
 */
final class BackwardScalarForms {
    private BackwardScalarForms() {
    }

    /** {@link F32DoubleLaneBackward#reluBackward} one float at a time: {@code x <= 0 ? +0.0 : dy}. */
    static void reluBackward(float[] g, float[] x, float[] d, int n) {
        for (int i = 0; i < n; i++) {
            d[i] = x[i] <= 0 ? 0f : g[i];
        }
    }

    /** {@link F32DoubleLaneBackward#leakyBackwardFloat}: {@code hi * dy}, or the pair's {@code fma(hi, dy, lo * dy)}. */
    static void leakyBackwardFloat(float[] g, float[] x, float[] d, int n, float hi, float lo, boolean pair) {
        for (int i = 0; i < n; i++) {
            float m = pair ? Math.fma(hi, g[i], lo * g[i]) : g[i] * hi;
            d[i] = x[i] > 0 ? g[i] : m;
        }
    }

    /** {@link F32DoubleLaneBackward#leakyBackward}: the product in double, rounded once. */
    static void leakyBackwardDouble(float[] g, float[] x, float[] d, int n, double slope) {
        for (int i = 0; i < n; i++) {
            float m = (float) (g[i] * slope);
            d[i] = x[i] > 0 ? g[i] : m;
        }
    }

    /** {@link F32Backward#eluBackwardFromOutputFma} one float at a time. */
    static void eluFromOutputFma(float[] g, float[] y, float[] d, int n, F32Kernels.General b) {
        final boolean exactScale = b.floatScale();
        final float chi = b.chi();
        for (int i = 0; i < n; i++) {
            float gi = g[i];
            float yi = y[i];
            float pos = exactScale ? gi * b.phi() : Math.fma(gi, b.phi(), b.plo() * gi);
            float fine = Math.fma(gi, yi, gi * chi);
            boolean ok = Integer.compareUnsigned((Float.floatToRawIntBits(fine) & 0x7FFFFFFF) - 1,
                    F32Kernels.FLOAT_MAX_BITS) < 0; // finite and not zero
            d[i] = yi > 0 ? pos : ok ? fine : gi * (chi + yi);
        }
    }

    /**
     * {@link F32Backward#eluBackwardFromOutputF32}'s arithmetic one float at a time: every branch of
     * its rare vectors' path ({@code fromOutputFull}), which gives its common path's bits wherever
     * that one runs.
     */
    static void eluFromOutputF32(float[] g, float[] y, float[] d, int n, F32Kernels.General b) {
        final boolean exactScale = b.floatScale();
        final float bigOperand = b.unitInput() ? Float.POSITIVE_INFINITY : 0x1p64f;
        for (int i = 0; i < n; i++) {
            float gi = g[i];
            float yi = y[i];
            float pos = exactScale ? gi * b.phi() : Math.fma(gi, b.phi(), b.plo() * gi);
            float sh = b.chi() + yi;
            float sl = yi - (sh - b.chi()) + b.clo();
            float ah = sh * b.shi();
            float al = Math.fma(sh, b.shi(), -ah) + Math.fma(sl, b.shi(), sh * b.slo());
            float fine = Math.fma(gi, ah, gi * al);
            boolean ordinary = Math.abs(yi) <= bigOperand && Math.abs(gi) <= bigOperand;
            boolean ok = Integer.compareUnsigned((Float.floatToRawIntBits(fine) & 0x7FFFFFFF) - 1,
                    F32Kernels.FLOAT_MAX_BITS) < 0 && ordinary;
            float rough = Math.abs(yi) > 0x1p64f ? gi * 0x1p64f * (sh * 0x1p-64f * b.shi()) : gi * (ah + al);
            float neg = ok ? fine : ordinary && fine == 0 ? Math.copySign(0f, rough) : rough;
            d[i] = yi > 0 ? pos : neg;
        }
    }

    /**
     * {@link F32Backward#eluFromInput} one float at a time: per group of 16 elements from the
     * start, the f32 pairs' arithmetic, or in double where an element of the group is outside the
     * pairs' range ({@code shi * x} below -87 or NaN, {@code |dy| > 2^64}), as the kernel decides.
     */
    static void eluFromInput(float[] g, float[] x, float[] d, int n, F32Kernels.General b, double cis, double scale,
            double inputScale) {
        final boolean exactScale = b.floatScale();
        final boolean unit = b.unitInput();
        final boolean exactGh = b.exactCis();
        final int group = (int) (F32Backward.GROUP_BYTES / Float.BYTES);
        for (int start = 0; start < n; start += group) {
            int end = Math.min(start + group, n);
            boolean outside = false;
            for (int i = start; i < end; i++) {
                outside |= !(x[i] * b.shi() >= F32Backward.LOW) || Math.abs(g[i]) > 0x1p64f;
            }
            for (int i = start; i < end; i++) {
                float gi = g[i];
                float xi = x[i];
                if (outside) {
                    double gd = gi;
                    float r = xi > 0 ? (float) (gd * scale) : (float) ((gd * cis) * Math.exp(xi * inputScale));
                    d[i] = Float.isNaN(xi) ? xi + xi : r;
                    continue;
                }
                float pos = exactScale ? gi * b.phi() : Math.fma(gi, b.phi(), b.plo() * gi);
                float th = unit ? xi : xi * b.shi();
                float tl = unit ? 0f : Math.fma(b.slo(), xi, Math.fma(b.shi(), xi, -th));
                float k = Math.fma(th, F32Backward.LOG2E, F32Backward.SHIFT);
                float nf = k - F32Backward.SHIFT;
                float rh = Math.fma(nf, -F32Backward.LN2, th);
                float q = Math.fma(Math.fma(Math.fma(Math.fma(F32Backward.G4, rh, F32Backward.G3), rh, F32Backward.G2),
                        rh, F32Backward.G1), rh, F32Backward.G0);
                float lo = Math.fma(nf, -F32Backward.LN2_LO, tl);
                float r2q = rh * rh * q;
                float w = r2q + Math.fma(lo, rh + r2q, lo);
                float s = Float.intBitsToFloat(Float.floatToRawIntBits(k) << 23);
                float eh = Math.fma(s, rh, s);
                float el = Math.fma(s, w, Math.fma(s, rh, s - eh));
                float gh = gi * b.cshi();
                float fine = exactGh ? Math.fma(gh, eh, gh * el)
                        : Math.fma(gh, eh, Math.fma(gh, el, Math.fma(gi, b.cslo(), Math.fma(gi, b.cshi(), -gh)) * eh));
                float neg = fine == 0 ? gh * eh : fine;
                d[i] = xi > 0 ? pos : neg;
            }
        }
    }

    /** {@link F64Kernels#reluBackward} one double at a time. */
    static void reluBackwardF64(double[] g, double[] x, double[] d, int n) {
        for (int i = 0; i < n; i++) {
            d[i] = x[i] <= 0 ? 0.0 : g[i];
        }
    }

    /** {@link F64Kernels#leakyBackward} one double at a time. */
    static void leakyBackwardF64(double[] g, double[] x, double[] d, int n, double slope) {
        for (int i = 0; i < n; i++) {
            d[i] = x[i] > 0 ? g[i] : g[i] * slope;
        }
    }

    /** {@link F64Kernels#eluBackwardFromOutput} one double at a time. */
    static void eluFromOutputF64(double[] g, double[] y, double[] d, int n, double c, double cLow, double scale,
            double inputScale) {
        for (int i = 0; i < n; i++) {
            d[i] = y[i] > 0 ? g[i] * scale : g[i] * inputScale * ((y[i] + c) + cLow);
        }
    }

    /** {@link F64Kernels#eluBackwardFromInput}'s arithmetic one double at a time, step for step. */
    static void eluFromInputF64(double[] g, double[] x, double[] d, int n, double k, double scale, double inputScale) {
        for (int i = 0; i < n; i++) {
            double xi = x[i];
            double z = xi * inputScale;
            double zc = z < F64Kernels.BWD_LOW ? F64Kernels.BWD_LOW : z;
            double t = Math.fma(zc, F64Kernels.LOG2E, F64Kernels.SHIFT_EXP);
            double m = t - F64Kernels.SHIFT_EXP;
            double r = Math.fma(m, -F64Kernels.LN2_LO, Math.fma(m, -F64Kernels.LN2_HI, zc));
            double s = Double.longBitsToDouble(Double.doubleToRawLongBits(t) << 52);
            double p = ScalarForms.expm1Poly(r);
            double zErr = Math.fma(xi, inputScale, -z);
            if (Double.isNaN(zErr) || Double.isInfinite(z)) {
                zErr = 0;
            }
            double ex = Math.fma(s, p, s) * F64Kernels.TWO_M64;
            ex = Math.fma(ex, zErr, ex);
            d[i] = xi > 0 ? g[i] * scale : g[i] * k * ex;
        }
    }

    /**
     * {@link F32DoubleLaneBackward#eluBackwardFromInput} (ELU beyond the pairs' range, in double
     * lanes) one float at a time: {@code dx = dy * scale} for {@code x > 0}, else
     * {@code (dy * k) * exp(x * inputScale)}, exp in double as there, rounded once to float.
     * Arguments above 600 (a negative input scale) come out as the kernel's do, for the driver's
     * fix-up.
     */
    static void eluDoubleLanesFromInput(float[] g, float[] x, float[] d, int n, double k, double scale,
            double inputScale) {
        for (int i = 0; i < n; i++) {
            double gi = g[i];
            double xi = x[i];
            double z = xi * inputScale;
            double zc = z < F32DoubleLaneBackward.BWD_LOW ? F32DoubleLaneBackward.BWD_LOW : z;
            double t = Math.fma(zc, F32Kernels.LOG2E, F32DoubleLaneBackward.SHIFT_EXP);
            double r = Math.fma(t - F32DoubleLaneBackward.SHIFT_EXP, -F32Kernels.LN2, zc);
            double s = Double.longBitsToDouble(Double.doubleToRawLongBits(t) << 52);
            double ex = Math.fma(s, ScalarForms.expm1Poly8(r), s) * F32DoubleLaneBackward.TWO_M64;
            d[i] = (float) (xi > 0 ? gi * scale : gi * k * ex);
        }
    }

    /**
     * {@link F32DoubleLaneBackward#eluBackwardFromOutput} one float at a time: {@code dx = dy * scale}
     * for {@code y > 0}, else {@code (dy * inputScale) * (y + c)}, in double, rounded once to float.
     */
    static void eluDoubleLanesFromOutput(float[] g, float[] y, float[] d, int n, double c, double scale,
            double inputScale) {
        for (int i = 0; i < n; i++) {
            double gi = g[i];
            double yi = y[i];
            d[i] = (float) (yi > 0 ? gi * scale : gi * inputScale * (yi + c));
        }
    }
}
