/**
 * elu4j: the ELU activation over off-heap tensors, on oneDNN, a C SIMD helper, the Vector API or
 * plain Java, behind one small API ({@link org.elu4j.Elu}), with what runs here as data
 * ({@link org.elu4j.Elu4j}). Only {@code org.elu4j} is exported; the generated bindings and the
 * backends live in {@code org.elu4j.internal}. The command line is a separate module,
 * {@code org.elu4j.cli}, that uses only this API.
 */
module org.elu4j {
    requires java.logging;
    requires java.management;
    requires static jdk.management; // HotSpot flags (UseFMA) when the runtime has it
    requires static jdk.incubator.vector;

    exports org.elu4j;
}
