package org.elu4j.internal;

import java.lang.management.ManagementFactory;

/**
 * Whether the Vector API backend may run here, and its creation: the cheap checks made when the
 * provider is created (the incubating module, {@code -Xint}), then, when something first needs
 * the backend, the checks that need JMX (C2 turned off, from HotSpot's flags; no FMA in the JIT) and the backend made
 * by reflection, so that nothing loads the Vector API's classes before then.
 *
 * <p>Why a class of its own: these are facts about the JVM, not about the choice between
 * backends, and they change with the JDK (its flags, the incubator's state), independently of
 * {@link BackendProvider}'s order and rules. Each refusal is a reason that tells the user what to
 * do.
 */
public final class VectorChecks {
    /** How the reason begins when the module is not enabled: a note in the start line, not a warning. */
    static final String MODULE_MISSING = "the incubating module jdk.incubator.vector is not enabled";

    private VectorChecks() {
    }

    /**
     * Why the vector backend cannot run here as far as that is known without JMX or the Vector
     * API's classes (its module, -Xint), or null; {@link #create} checks the rest.
     */
    static String precheck() {
        Module vector = ModuleLayer.boot().findModule("jdk.incubator.vector").orElse(null);
        if (vector == null) {
            return MODULE_MISSING + ": pass --add-modules jdk.incubator.vector to java";
        }
        Module self = VectorChecks.class.getModule();
        if (self.isNamed() && !self.canRead(vector)) {
            return "module " + self.getName() + " cannot read jdk.incubator.vector";
        }
        if (System.getProperty("java.vm.info", "").contains("interpreted")) {
            return "the JVM runs interpreted (-Xint): the Vector API would be slower than scalar code";
        }
        return null;
    }

    /** The vector backend, made after the checks that need JMX (the JIT's tiers and FMA); {@link #precheck} has passed. */
    static EluBackend create() {
        String noC2 = c2Problem(VectorChecks::vmOption);
        if (noC2 != null) {
            throw new IllegalStateException(noC2 + ": the Vector API needs C2 to be fast");
        }
        // Every kernel is built on fused multiply-adds. Without the JIT's FMA (a CPU without
        // FMA/AVX, or -XX:UseAVX=0) the Vector API runs them lane by lane in Java: correct, but
        // slower than the scalar backend by orders of magnitude.
        if ("false".equals(vmOption("UseFMA"))) {
            throw new IllegalStateException("the JIT has no FMA instructions here (UseFMA is off: a CPU without "
                    + "FMA/AVX, or -XX:UseAVX=0), so the Vector API kernels would run lane by lane, slower than scalar code");
        }
        try {
            return (EluBackend) Class.forName("org.elu4j.internal.vector.VectorBackend")
                    .getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create the Vector API backend: " + e, e);
        }
    }

    /**
     * Why C2 never compiles in a JVM with these HotSpot flag values (null: it does, or the flags
     * cannot be read). From the values the JVM runs with, not the command line's spelling: the
     * JIT off altogether, C1 only by compilation mode, or tiers stopped below C2's level 4 (which
     * counts only with tiered compilation: without it the JIT is C2 alone, whatever the level).
     */
    static String c2Problem(java.util.function.Function<String, String> flag) {
        if ("false".equals(flag.apply("UseCompiler"))) {
            return "the JIT is off (UseCompiler is false)";
        }
        if ("quick-only".equals(flag.apply("CompilationMode"))) {
            return "C2 is disabled (-XX:CompilationMode=quick-only)";
        }
        String level = flag.apply("TieredStopAtLevel");
        if ("true".equals(flag.apply("TieredCompilation")) && level != null && level.matches("[0-3]")) {
            return "C2 is disabled (-XX:TieredStopAtLevel=" + level + ")";
        }
        return null;
    }

    /** A HotSpot flag's value, or null where it cannot be read (another VM, jdk.management absent). */
    public static String vmOption(String name) {
        try {
            com.sun.management.HotSpotDiagnosticMXBean bean =
                    ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return bean == null ? null : bean.getVMOption(name).getValue();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }
}
