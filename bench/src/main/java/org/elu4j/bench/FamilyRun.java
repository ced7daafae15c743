package org.elu4j.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.elu4j.bench.report.FamilyReport;

/**
 * Run 3 of {@link Suite}: {@link FamilyBenchmark}, one child JVM per backend, JMH in that JVM
 * ({@code -f 0}), results in {@code jmh-family-<backend>.json}.
 *
 * <p>Why not JMH's forks: one fork per (function, type, pass, size) costs a JVM start, elu4j's
 * initialisation and a full warm-up, ~8 s in the quick run; the quick run's 72 combinations would
 * add ~10 minutes. One JVM per backend keeps backends (and the JNI peer) from sharing a JIT
 * profile, as the forks of the other runs do; within a backend the calls of every function, type
 * and pass share one JVM, as they do in an application that trains and infers.
 *
 * <ul>
 * <li>Quick: size 64K, ELU and SELU, every type and pass; backends helper, vector, onednn and
 *     oneDNN via JavaCPP (no auto); 2 × 0.2 s warm-up, 3 × 0.15 s measured per combination (72
 *     run, 24 skipped), after each JVM's own warm-up until its calls stop getting faster
 *     (BenchBase.warmUntilCompiled): about 2-3 minutes on 2 cores.</li>
 * <li>Full: sizes 4K, 64K and 16M, ELU, SELU and CELU(0.7), every type and pass, every backend
 *     and the peer; 3 × 0.5 s warm-up, 5 × 0.5 s measured.</li>
 * </ul>
 * Rerun it alone: {@code Suite --out DIR [--quick] --include FamilyBenchmark}; {@code --sizes} and
 * {@code --functions} (elu, selu, celu) replace the sizes and functions of either, e.g. the
 * bf16/f16/f64 targets at 16M: {@code --quick --include FamilyBenchmark --sizes 16777216 --functions elu}
 * (about 2 minutes).
 */
final class FamilyRun {
    static final List<String> QUICK_BACKENDS = List.of("helper", "vector", "onednn", "javacpp");
    static final List<String> FULL_BACKENDS = List.of("helper", "vector", "onednn", "auto", "javacpp");

    private FamilyRun() {
    }

    /**
     * Runs FamilyBenchmark once per backend.
     *
     * @param sizes     sizes to run instead of the defaults, or null
     * @param functions functions to run instead of the defaults, or null (others than elu, selu
     *                  and celu are left out: FamilyBenchmark has no ReLU)
     */
    static void run(boolean quick, Path out, List<String> sizes, List<String> functions) throws IOException {
        List<String> family = functions == null ? null
                : functions.stream().filter(FamilyReport.FUNCTIONS::contains).toList();
        if (family != null && family.isEmpty()) {
            System.out.println("# FamilyBenchmark: none of " + functions + " is a FamilyBenchmark function " + FamilyReport.FUNCTIONS + "; not run");
            return;
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (String backend : quick ? QUICK_BACKENDS : FULL_BACKENDS) {
            List<String> cmd = new ArrayList<>(List.of(java, BenchBase.NATIVE_ACCESS, "--add-modules",
                    "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), "org.openjdk.jmh.Main",
                    "^" + FamilyBenchmark.class.getName().replace(".", "\\.") + "\\.", "-f", "0", "-foe", "false",
                    "-rf", "json", "-rff", out.resolve("jmh-family-" + backend + ".json").toString(),
                    "-p", "backend=" + backend));
            if (sizes != null) {
                cmd.addAll(List.of("-p", "size=" + String.join(",", sizes)));
            }
            if (family != null) {
                cmd.addAll(List.of("-p", "function=" + String.join(",", family)));
            }
            if (quick) {
                // The vector backend compiles one kernel per type and pass (C2, seconds on a busy
                // machine): FamilyBenchmark's set-up calls it until its calls stop getting faster;
                // the native paths are warm after a few calls.
                if (sizes == null) {
                    cmd.addAll(List.of("-p", "size=65536"));
                }
                if (family == null) {
                    cmd.addAll(List.of("-p", "function=elu,selu"));
                }
                cmd.addAll(List.of("-wi", "2", "-w", "200ms", "-i", "3", "-r", "150ms"));
            } else {
                cmd.addAll(List.of("-wi", "3", "-w", "500ms", "-i", "5", "-r", "500ms"));
            }
            System.out.println("# FamilyBenchmark, backend " + backend + ": " + String.join(" ", cmd.subList(6, cmd.size())));
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            try {
                int rc = p.waitFor();
                if (rc != 0) {
                    System.out.println("# FamilyBenchmark, backend " + backend + ": JMH exited with " + rc);
                }
            } catch (InterruptedException e) {
                p.destroy();
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
