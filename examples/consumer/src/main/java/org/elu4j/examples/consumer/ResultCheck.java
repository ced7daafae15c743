package org.elu4j.examples.consumer;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks elu4j's float results element by element against {@link Activation}'s double reference.
 * Errors are counted in ulps of the float nearest the reference ({@code Math.ulp((float) want)}).
 *
 * <h2>Tolerances, and why</h2>
 * They are elu4j's documented bounds for its accurate backends (helper, vector, scalar: the ones
 * AUTO picks when oneDNN's natives are not on the path, as here), so a result outside them is a
 * defect of the library or of its packaging, not noise:
 * <ul>
 * <li><b>forward: {@value #FORWARD_ULPS} ulp</b>: a float32 result is the exact value rounded,
 *     within 1 ulp (README, "Parameters are doubles and mean their exact values").</li>
 * <li><b>backward: {@value #BACKWARD_ULPS} ulp</b>: the derivative multiplies dy by
 *     {@code alpha * scale * e^x} (or by {@code y + alpha * scale}), one more rounded factor than
 *     the forward; elu4j's own suite holds every backend to 2 ulp (docs/testing.md). Two
 *     absolute allowances on the negative side come with it, both documented there:
 *     <ul>
 *     <li>from the input, {@code |dy * alpha * scale| * 2^-148}: where {@code e^x} is below
 *         float's normal range (x &lt; -87) a backend computing it in float keeps fewer bits
 *         than the subnormal result's ulp suggests;</li>
 *     <li>from the output, {@code 2 ulp(|dy * alpha * scale|)}: {@code y + alpha * scale}
 *         cancels where x is far below 0, and the stored float y carries only an ulp of
 *         {@code alpha * scale}'s precision (docs/accuracy.md, "cancellation"). The reference is
 *         computed from the same float y the library wrote, so it measures the library's
 *         arithmetic, not the cancellation inherent in the formula.</li>
 *     </ul></li>
 * </ul>
 * The reference itself is within a few double ulps of the exact value ({@code Math.expm1} and
 * {@code Math.exp} are within 1 ulp, each product adds half of one): about 2<sup>-27</sup> of a
 * float ulp, covered by {@link #REFERENCE_SLACK_ULPS}. A NaN or infinite result where the
 * reference is finite always fails (the inputs here are finite).
 */
public final class ResultCheck {
    /** Forward, float32: elu4j's documented bound for helper, vector and scalar. */
    public static final double FORWARD_ULPS = 1;
    /** Backward (either direction), float32: the bound elu4j's own suite holds every backend to. */
    public static final double BACKWARD_ULPS = 2;
    /** The double reference's own error, in float ulps, with a wide margin (it is ~2^-27). */
    public static final double REFERENCE_SLACK_ULPS = 1e-6;
    private static final int MAX_REPORTED = 10;

    private final String what;
    private final List<String> failures = new ArrayList<>();
    private long failed;
    private long checked;
    private long withinAllowanceOnly;
    private double maxUlps;

    /**
     * A check that names its failures after {@code what}.
     *
     * @param what a label, e.g. the function and direction
     */
    public ResultCheck(String what) {
        this.what = what;
    }

    /**
     * Checks {@code y = f(x)}.
     *
     * @param a the activation
     * @param x the input, float32
     * @param y the library's output
     */
    public void forward(Activation a, MemorySegment x, MemorySegment y) {
        long n = x.byteSize() / Float.BYTES;
        for (long i = 0; i < n; i++) {
            float xi = x.getAtIndex(JAVA_FLOAT, i);
            check(i, "x", xi, Float.NaN, a.forward(xi), y.getAtIndex(JAVA_FLOAT, i), FORWARD_ULPS, 0);
        }
    }

    /**
     * Checks {@code dx = dy * f'(x)}.
     *
     * @param a  the activation
     * @param dy the incoming gradient
     * @param x  the forward's input
     * @param dx the library's output
     */
    public void backwardFromInput(Activation a, MemorySegment dy, MemorySegment x, MemorySegment dx) {
        long n = x.byteSize() / Float.BYTES;
        for (long i = 0; i < n; i++) {
            float xi = x.getAtIndex(JAVA_FLOAT, i);
            float g = dy.getAtIndex(JAVA_FLOAT, i);
            double underflow = xi > 0 ? 0 : Math.abs(g * a.negativeLimit()) * 0x1p-148;
            check(i, "x", xi, g, a.backwardFromInput(g, xi), dx.getAtIndex(JAVA_FLOAT, i), BACKWARD_ULPS, underflow);
        }
    }

    /**
     * Checks {@code dx = dy * f'(x)} computed from {@code y = f(x)}.
     *
     * @param a  the activation
     * @param dy the incoming gradient
     * @param y  the forward's output (as the library wrote it)
     * @param dx the library's output
     */
    public void backwardFromOutput(Activation a, MemorySegment dy, MemorySegment y, MemorySegment dx) {
        long n = y.byteSize() / Float.BYTES;
        for (long i = 0; i < n; i++) {
            float yi = y.getAtIndex(JAVA_FLOAT, i);
            float g = dy.getAtIndex(JAVA_FLOAT, i);
            double cancellation = yi > 0 ? 0 : 2 * Math.ulp((float) Math.abs(g * a.negativeLimit()));
            check(i, "y", yi, g, a.backwardFromOutput(g, yi), dx.getAtIndex(JAVA_FLOAT, i), BACKWARD_ULPS, cancellation);
        }
    }

    private void check(long i, String arg, float in, float dy, double want, float got, double ulps, double allowance) {
        checked++;
        double unit = Math.ulp((float) want);
        double err = Math.abs(got - want);
        double bound = (ulps + REFERENCE_SLACK_ULPS) * unit;
        if (err > bound && err <= bound + allowance) {
            withinAllowanceOnly++;
        }
        if (!(err <= bound + allowance)) { // a NaN result fails here too
            failed++;
            if (failures.size() < MAX_REPORTED) {
                failures.add(String.format("%s [%d]: %s=%s%s: got %s, want %s (%.3g ulp, allowed %s ulp%s)", what, i, arg,
                        in, Float.isNaN(dy) ? "" : " dy=" + dy, got, want, err / unit, ulps,
                        allowance == 0 ? "" : String.format(" + %.3g", allowance)));
            }
        }
        if (!(err / unit <= maxUlps)) {
            maxUlps = err / unit;
        }
    }

    /**
     * How many results were checked.
     *
     * @return the count
     */
    public long checked() {
        return checked;
    }

    /**
     * How many were outside the tolerance.
     *
     * @return the count
     */
    public long failed() {
        return failed;
    }

    /**
     * The first failures, described.
     *
     * @return at most ten lines
     */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    /**
     * How many results passed only thanks to an absolute allowance (beyond the ulp bound).
     *
     * @return the count
     */
    public long withinAllowanceOnly() {
        return withinAllowanceOnly;
    }

    /**
     * The largest error, in ulps of the float nearest the reference (above the ulp bound only
     * where {@link #withinAllowanceOnly()} is not 0).
     *
     * @return ulps
     */
    public double maxUlps() {
        return maxUlps;
    }

    /**
     * Adds another check's counts to this one (the threads' checks into a total).
     *
     * @param other a check of the same function and direction
     */
    public void add(ResultCheck other) {
        checked += other.checked;
        failed += other.failed;
        withinAllowanceOnly += other.withinAllowanceOnly;
        maxUlps = Math.max(maxUlps, other.maxUlps);
        for (String f : other.failures) {
            if (failures.size() < MAX_REPORTED) {
                failures.add(f);
            }
        }
    }
}
