package org.elu4j.internal.onednn;

import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.lang.foreign.Arena;
import java.util.EnumMap;
import java.util.Map;
import org.elu4j.DataType;
import org.elu4j.internal.onednn.EltwisePlan.Alg;
import org.elu4j.internal.onednn.EltwisePlan.Step;

/**
 * What this CPU's oneDNN implements, probed once when the backend is created: for each data type
 * and kind of eltwise primitive, the implementation oneDNN picks, or why it has none (the reason
 * the backend's refusals carry). Data only; the backend and its tools decide what to do with it.
 *
 * @param failures        per type and primitive kind: why oneDNN cannot create it here (absent: it can)
 * @param implementations per type and primitive kind: oneDNN's implementation, e.g. {@code jit:avx512_core}
 */
record EltwiseProbe(Map<DataType, Map<Alg, String>> failures, Map<DataType, Map<Alg, String>> implementations) {

    /**
     * For each data type and kind of primitive: can oneDNN create it here (1024 elements, alpha 1),
     * and with which implementation. A failure (dnnl_unimplemented: f64) becomes the reason
     * OneDnnBackend#unsupported gives; it never fails the backend's creation.
     */
    static EltwiseProbe run(PrimitiveCache cache, String version, String isa) {
        Map<DataType, Map<Alg, String>> probeFailures = new EnumMap<>(DataType.class);
        Map<DataType, Map<Alg, String>> probeImplementations = new EnumMap<>(DataType.class);
        for (DataType type : DataType.values()) {
            Map<Alg, String> failures = new EnumMap<>(Alg.class);
            Map<Alg, String> impls = new EnumMap<>(Alg.class);
            for (Alg alg : Alg.values()) {
                try (Arena arena = Arena.ofConfined();
                        PrimitiveCache.PrimitiveDescs pds = cache.primitiveDescs(arena, new Step(alg, 1f), type, 1024)) {
                    if (pds.status() == dnnl_success()) {
                        impls.put(alg, PrimitiveCache.implementation(arena, pds.pd()));
                    } else {
                        // dnnl_unimplemented in practice; any other failure also means "cannot".
                        failures.put(alg, "oneDNN " + version + " has no " + type.cliName() + " " + alg.label
                                + " on this CPU (" + isa + "): " + pds.call() + " gives " + DnnlStatus.name(pds.status()));
                    }
                }
            }
            if (failures.size() == Alg.values().length) { // say it once, shorter
                failures.replaceAll((a, why) -> "oneDNN " + version + " has no " + type.cliName()
                        + " eltwise on this CPU (" + isa + "): " + why.substring(why.indexOf(": ") + 2));
            }
            probeFailures.put(type, failures);
            probeImplementations.put(type, impls);
        }
        return new EltwiseProbe(probeFailures, probeImplementations);
    }
}
