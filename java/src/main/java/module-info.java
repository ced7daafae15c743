/**
 * elu4j: the ELU activation over off-heap tensors, on oneDNN, a C SIMD helper, the Vector API or
 * plain Java, behind one small API ({@link org.elu4j.Elu}), with what runs here as data
 * ({@link org.elu4j.Elu4j}). Only {@code org.elu4j} is exported; the generated bindings and the
 * backends live in {@code org.elu4j.internal}. The command line is a separate module,
 * {@code org.elu4j.cli}, that uses only this API.
 *
 * <p>Logging goes through {@link java.lang.System.Logger} (logger {@code org.elu4j}), so it follows
 * whatever {@code System.LoggerFinder} the application installs (java.util.logging by default).
 * Native code needs {@code --enable-native-access=org.elu4j} on the module path
 * ({@code ALL-UNNAMED} on the class path); the vector backend needs
 * {@code --add-modules jdk.incubator.vector}. oneDNN's natives jar
 * ({@code org.bytedeco:dnnl:3.13-1.5.14:linux-x86_64}, module {@code org.bytedeco.dnnl.linux.x86_64})
 * is not required: elu4j reads it from the class path or the module path when oneDNN is first
 * used, and it need not be resolved.
 */
module org.elu4j {
    requires java.management;
    requires static jdk.management; // HotSpot flags (UseFMA) when the runtime has it
    requires static jdk.incubator.vector;
    // Not for logging (that is System.Logger's): where java.util.logging is its backend, a thread
    // starts its handlers' formatters while the first call runs (internal/JulStart).
    requires static java.logging;

    exports org.elu4j;
}
