package org.elu4j;

import java.util.Locale;

/**
 * The implementations elu4j can run a function on. {@link #AUTO} lets the library pick the
 * fastest one available on the running machine; the others are explicit choices that fail with
 * {@link BackendUnavailableException} when the backend cannot run here.
 */
public enum Backend {
    /** The fastest available backend for the call (see {@link Elu#backendFor}). */
    AUTO,
    /**
     * oneDNN's eltwise primitives, called through jextract-generated FFM bindings. Closed when the
     * JVM shuts down: a call from another shutdown hook may then be refused
     * ({@link BackendUnavailableException}).
     */
    ONEDNN,
    /** elu4j's own C helper library: AVX-512 / AVX2 / portable kernels chosen at run time. */
    HELPER,
    /** Pure Java on the incubating Vector API ({@code --add-modules jdk.incubator.vector}). */
    VECTOR,
    /**
     * Pure Java, one element at a time with {@link Math#expm1} in double: always available; the
     * tests' oracle for f32 and the half types (rounded once from double), within 3 ulps in f64
     * (but for a negative input scale and intermediate values beyond the double range, which
     * docs/accuracy.md lists).
     */
    SCALAR;

    /**
     * {@return the lower-case name used by the command line ({@code auto, onednn, helper, vector, scalar})}
     */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a {@link #cliName()} (case-insensitive, surrounding blanks ignored).
     *
     * @param name a command-line name such as {@code helper}
     * @return the backend of that name
     * @throws IllegalArgumentException if no backend has that name
     * @throws NullPointerException     if name is null
     */
    public static Backend fromCliName(String name) {
        for (Backend b : values()) {
            if (b.cliName().equalsIgnoreCase(name.trim())) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "': expected one of auto, onednn, helper, vector, scalar");
    }
}
