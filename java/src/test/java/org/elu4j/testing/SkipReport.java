package org.elu4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Makes every skipped test visible: a test that this machine cannot run (an assumption, with the
 * reason) is printed as {@code SKIPPED <test>: <reason>} when it happens, and the run's totals go
 * to the file named by {@code -Delu4j.test.summary} (rewritten after each test plan, so the last
 * write holds the whole run): the machine ({@link Machine#describe()}), tests run, skipped with
 * their reasons, failed. {@code .ci/cpu-matrix} prints that file as its one line per CPU profile.
 *
 * <p>Registered through {@code META-INF/services/org.junit.platform.launcher.TestExecutionListener}.
 */
public final class SkipReport implements TestExecutionListener {
    private static int run;
    private static int failed;
    private static final Map<String, Integer> SKIPPED = new TreeMap<>();

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        skipped(test, reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (!test.isTest()) {
            if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
                skipped(test, reason(result));
            } else if (result.getStatus() == TestExecutionResult.Status.FAILED) {
                synchronized (SkipReport.class) {
                    failed++; // a container failed (e.g. @BeforeAll)
                }
            }
            return;
        }
        synchronized (SkipReport.class) {
            run++;
            switch (result.getStatus()) {
                case SUCCESSFUL -> { }
                case FAILED -> failed++;
                case ABORTED -> skipped(test, reason(result));
            }
        }
    }

    private static String reason(TestExecutionResult result) {
        String m = result.getThrowable().map(Throwable::getMessage).orElse("(no reason given)");
        return m == null ? "(no reason given)" : m.replaceFirst("^Assumption failed: ", "");
    }

    private static synchronized void skipped(TestIdentifier test, String reason) {
        System.out.println("SKIPPED " + name(test) + ": " + reason);
        SKIPPED.merge(reason, 1, Integer::sum);
    }

    private static String name(TestIdentifier test) {
        String id = test.getUniqueId();
        int c = id.indexOf("[class:");
        String cls = c < 0 ? "" : id.substring(c + 7, id.indexOf(']', c)).replaceFirst("^org\\.elu4j\\.", "") + " ";
        return cls + test.getDisplayName();
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        String file = System.getProperty("elu4j.test.summary");
        if (file == null) {
            return;
        }
        String line;
        synchronized (SkipReport.class) {
            int skipped = SKIPPED.values().stream().mapToInt(Integer::intValue).sum();
            StringBuilder sb = new StringBuilder();
            sb.append(Machine.describe()).append(" | tests run: ").append(run).append(", failures: ").append(failed)
                    .append(", skipped: ").append(skipped);
            if (skipped > 0) {
                sb.append(" (");
                SKIPPED.forEach((why, count) -> sb.append(count).append("x ").append(why).append("; "));
                sb.setLength(sb.length() - 2);
                sb.append(')');
            }
            line = sb.toString();
        }
        try {
            Path p = Path.of(file);
            Files.createDirectories(p.toAbsolutePath().getParent());
            Files.writeString(p, line + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
