package org.elu4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.ConformanceSuite;
import org.elu4j.testing.Machine;
import org.junit.jupiter.api.Test;

/**
 * AUTO on the conformance suite: it runs every cell, each judged by the tolerance of the backend
 * it picks for that call; and in the build every backend this machine can run is there.
 */
class AutoConformanceTest extends ConformanceSuite {
    @Override
    protected Candidate subject() {
        return Candidate.of(Backend.AUTO);
    }

    @Override
    protected boolean hasParallelPath() {
        return true;
    }

    /** AUTO runs f32 ELU on the first backend of its order, whose own suite sweeps it. */
    @Override
    protected boolean sweepsF32Elu() {
        return false;
    }

    @Test
    void everyBackendThisMachineCanRunIsAvailableInTheBuild() {
        // Under Maven every backend the machine allows must run: the helper and oneDNN are on the
        // class path and surefire passes --add-modules jdk.incubator.vector. The Vector API
        // backend needs the JIT's FMA and 128-bit vectors (Machine.vectorObstacle: not there with
        // -XX:UseAVX=0 or on a CPU without AVX); then it must be refused with that reason. So must
        // oneDNN where glibc is older than 2.34, which its natives need (Machine.oneDnnObstacle).
        // Elsewhere this only reports.
        List<String> missing = new ArrayList<>();
        String vectorObstacle = Machine.vectorObstacle();
        String oneDnnObstacle = Machine.oneDnnObstacle();
        Elu4j.isAvailable(Backend.ONEDNN); // loads it: its status then says whether it loaded
        for (BackendStatus s : Elu4j.backends()) {
            if (s.backend() == Backend.VECTOR && vectorObstacle != null) {
                assertTrue(!s.available() && s.detail().contains(vectorObstacle), Machine.describe() + ": " + s);
            } else if (s.backend() == Backend.ONEDNN && oneDnnObstacle != null) {
                assertTrue(!s.available() && s.detail().contains(oneDnnObstacle), Machine.describe() + ": " + s);
            } else if (!s.available()) {
                missing.add(s.backend().cliName() + ": " + s.detail());
            }
        }
        if (Boolean.getBoolean("elu4j.test.expectAllBackends")) {
            assertEquals(List.of(), missing, Machine.describe());
            assertEquals(Backend.HELPER, Elu4j.autoBackend());
        }
        System.out.println("AutoConformanceTest: machine: " + Machine.describe());
    }
}
