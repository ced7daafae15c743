package org.elu4j.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.elu4j.Backend;
import org.elu4j.DataType;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.onednn.OneDnnBackend;

/**
 * What this machine is, from the hardware's, the JVM's and oneDNN's own answers, never from the
 * backends' probes: the tests derive from it what must run here, so that the suite tells the
 * truth on any x86-64 CPU (and under the emulated profiles of {@code .ci/cpu-matrix}).
 *
 * <ul>
 * <li>CPU: the {@code flags} line of {@code /proc/cpuinfo} (what the kernel says the CPU and OS
 *     support); the helper's ISA levels follow from it.</li>
 * <li>JVM: HotSpot's {@code UseFMA} and {@code MaxVectorSize} flags (set from the CPU, or by
 *     {@code -XX:UseAVX=N}); the Vector API backend needs FMA and 128-bit vectors.</li>
 * <li>oneDNN: its effective ISA ({@code dnnl_get_effective_cpu_isa}, lowered by
 *     {@code ONEDNN_MAX_CPU_ISA}); the data types it implements follow from oneDNN's documented
 *     rules (bf16 from avx512_core or avx2_vnni_2 on, f16 from avx512_core_fp16/AVX10 or
 *     avx2_vnni_2).</li>
 * </ul>
 */
public final class Machine {
    private Machine() {
    }

    private static final Set<String> FLAGS = readFlags();

    private static Set<String> readFlags() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> Set.of(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))).orElse(Set.of());
        } catch (IOException | java.io.UncheckedIOException e) {
            return Set.of();
        }
    }

    /** Whether /proc/cpuinfo could be read (on Linux it always can). */
    public static boolean knowsCpuFlags() {
        return !FLAGS.isEmpty();
    }

    /** Whether the CPU (and OS) report this /proc/cpuinfo flag, e.g. {@code avx512f}. */
    public static boolean cpuHas(String flag) {
        return FLAGS.contains(flag);
    }

    /** The helper's ISA level names this CPU supports, from its flags: portable, avx2, avx512. */
    public static List<String> helperLevels() {
        List<String> levels = new ArrayList<>(List.of("portable"));
        boolean avx2 = cpuHas("avx2") && cpuHas("fma");
        if (avx2) {
            levels.add("avx2");
        }
        if (avx2 && cpuHas("avx512f") && cpuHas("avx512dq") && cpuHas("avx512bw") && cpuHas("avx512vl")) {
            levels.add("avx512");
        }
        return List.copyOf(levels);
    }

    /** The helper level the library must run on: the pin of -Delu4j.helper.isa / ELU4J_HELPER_ISA, else the best. */
    public static String expectedHelperLevel() {
        String pin = helperPin();
        List<String> levels = helperLevels();
        return pin != null ? pin : levels.get(levels.size() - 1);
    }

    /** The helper pin this JVM was started with (lower case), or null. */
    public static String helperPin() {
        String v = System.getProperty("elu4j.helper.isa");
        if (v == null) {
            v = System.getenv("ELU4J_HELPER_ISA");
        }
        if (v == null || v.isBlank() || v.trim().equalsIgnoreCase("best")) {
            return null;
        }
        return v.trim().toLowerCase(Locale.ROOT);
    }

    /** A HotSpot flag's value as the JVM reports it, or null. */
    public static String vmFlag(String name) {
        try {
            return ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .getVMOption(name).getValue();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Float lanes of the JIT's widest vector here: MaxVectorSize / 4 (4 with -XX:UseAVX=0, 8 with AVX2, 16 with AVX-512). */
    public static int jvmFloatLanes() {
        String max = vmFlag("MaxVectorSize");
        return max == null ? -1 : Integer.parseInt(max) / Float.BYTES;
    }

    /**
     * Why the Vector API backend cannot be fast here (a word its refusal must contain), or null
     * when the JVM has what it needs: FMA instructions and at least 128-bit vectors.
     */
    public static String vectorObstacle() {
        if ("false".equals(vmFlag("UseFMA"))) {
            return "FMA";
        }
        int lanes = jvmFloatLanes();
        if (lanes >= 0 && lanes < 4) {
            return "float vectors";
        }
        return null;
    }

    /**
     * This process's threads whose name ({@code /proc/self/task/<tid>/comm}, cut to 15 bytes by
     * the kernel) is {@code comm}: their {@code /proc/self/task/<tid>} directories. A thread that
     * ends while listed is left out.
     */
    public static List<Path> threadsNamed(String comm) throws IOException {
        String cut = comm.substring(0, Math.min(15, comm.length()));
        List<Path> named = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).strip().equals(cut)) {
                        named.add(task);
                    }
                } catch (IOException ended) {
                    // the thread ended while listed
                }
            }
        }
        return named;
    }

    /**
     * Why the bundled oneDNN cannot load here (the words its refusal must contain), or null: its
     * natives need glibc 2.34, which Debian 11, RHEL 8 and Ubuntu 20.04 lack. Read from the
     * process's own glibc ({@code gnu_get_libc_version}), not from elu4j.
     */
    public static String oneDnnObstacle() {
        try {
            java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
            var f = linker.defaultLookup().find("gnu_get_libc_version");
            if (f.isEmpty()) {
                return null;
            }
            String v = ((java.lang.foreign.MemorySegment) linker.downcallHandle(f.get(),
                    java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.ADDRESS)).invokeExact())
                    .reinterpret(32).getString(0);
            String[] p = v.split("\\.");
            boolean old = Integer.parseInt(p[0]) < 2 || (Integer.parseInt(p[0]) == 2 && Integer.parseInt(p[1].replaceAll("\\D.*", "")) < 34);
            return old ? "it needs glibc 2.34 or newer, and this system has glibc " + v : null;
        } catch (Throwable t) {
            throw new AssertionError("cannot read this process's glibc version", t);
        }
    }

    /** oneDNN's effective ISA name (as elu4j spells it), or null when oneDNN is not available. */
    public static String oneDnnIsa() {
        return BackendProvider.get().available(Backend.ONEDNN) instanceof OneDnnBackend o ? o.isa() : null;
    }

    /**
     * Whether oneDNN's documented data type support says it implements eltwise in this type on
     * its effective ISA: f32 everywhere, f64 nowhere (no f64 eltwise on CPUs), bf16 from
     * avx512_core (or avx2_vnni_2) on, f16 from avx512_core_fp16 / AVX10 (or avx2_vnni_2) on.
     * False where the rules do not promise it; oneDNN may still run more than promised.
     */
    public static boolean oneDnnPromises(DataType type) {
        String isa = oneDnnIsa();
        if (isa == null) {
            return false;
        }
        boolean avx10 = isa.startsWith("avx10");
        boolean vnni2 = isa.startsWith("avx2_vnni_2");
        return switch (type) {
            case F32 -> true;
            case F64 -> false;
            case BF16 -> avx10 || vnni2 || isa.startsWith("avx512_core");
            case F16 -> avx10 || vnni2;
        };
    }

    /** One line naming the profile: CPU model, the flags that matter, JVM lanes, oneDNN's ISA, the helper level. */
    public static String describe() {
        String model = "?";
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            model = lines.filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        } catch (IOException | RuntimeException e) {
            // keep "?"
        }
        String flags = Stream.of("avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16")
                .filter(Machine::cpuHas).collect(Collectors.joining(" "));
        return model + " [" + flags + "]; JVM: " + jvmFloatLanes() + " float lanes, UseFMA=" + vmFlag("UseFMA")
                + "; oneDNN ISA: " + oneDnnIsa() + "; helper level: " + expectedHelperLevel();
    }
}
