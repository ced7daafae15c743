package org.elu4j.internal;

/** Which computation of a function a backend is asked for. */
public enum Pass {
    /** {@code dst = f(src)}. */
    FORWARD("forward"),
    /** {@code dx = dy * f'(x)} from the forward's input x. */
    BACKWARD_FROM_INPUT("backward from input"),
    /** {@code dx = dy * f'(x)} computed from the forward's output y = f(x). */
    BACKWARD_FROM_OUTPUT("backward from output");

    private final String label;

    Pass(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
