/**
 * elu4j: the ELU activation over off-heap tensors, on oneDNN, a C SIMD helper, the Vector API or
 * plain Java, behind one small API ({@link org.elu4j.Elu}). Only {@code org.elu4j} is exported;
 * the generated bindings and the backends live in {@code org.elu4j.internal}.
 */
module org.elu4j {
    requires java.logging;
    requires java.management;
    requires static jdk.management; // HotSpot flags (UseFMA) when the runtime has it
    requires static jdk.incubator.vector;
    requires static info.picocli;

    exports org.elu4j;

    opens org.elu4j.cli to info.picocli;
}
