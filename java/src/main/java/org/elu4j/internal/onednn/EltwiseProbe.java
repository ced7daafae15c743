package org.elu4j.internal.onednn;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.elu4j.DataType;
import org.elu4j.NativeCallException;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.onednn.EltwisePlan.Alg;
import org.elu4j.internal.onednn.EltwisePlan.Step;

/**
 * What this CPU's oneDNN implements, probed once when the backend is created: for each data type
 * and kind of eltwise primitive, the implementation oneDNN picks, or why it has none (the reason
 * the backend's refusals carry). Data, and the answers derived from it: whether a plan runs on a
 * type ({@link #whyNot}) and the capability cells ({@link #capabilities}); the tools render them.
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
    static EltwiseProbe run(Engine engine, String version, String isa) {
        Map<DataType, Map<Alg, String>> probeFailures = new EnumMap<>(DataType.class);
        Map<DataType, Map<Alg, String>> probeImplementations = new EnumMap<>(DataType.class);
        for (DataType type : DataType.values()) {
            Map<Alg, String> failures = new EnumMap<>(Alg.class);
            Map<Alg, String> impls = new EnumMap<>(Alg.class);
            for (Alg alg : Alg.values()) {
                try (PrimitiveDesc pd = PrimitiveDesc.eltwise(engine, new Step(alg, 1f), type, 1024)) {
                    impls.put(alg, pd.implementation());
                } catch (NativeCallException e) {
                    // dnnl_unimplemented in practice; any other failure also means "cannot".
                    failures.put(alg, "oneDNN " + version + " has no " + type.cliName() + " " + alg.label
                            + " on this CPU (" + isa + "): " + e.call() + " gives " + e.statusName());
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

    /**
     * Null when the plan runs on {@code type}, else why not. The algebraic limits come first, so
     * that a cell no CPU can run starts with the same reason on every CPU; where oneDNN also lacks
     * the type here, that follows (a user reading only the range problem would expect the cell to
     * run once the parameters change, when this CPU would still refuse it).
     */
    String whyNot(EltwisePlan plan, Op op, Pass pass, DataType type) {
        if (plan.reason() != null) {
            return plan.reason();
        }
        String range = plan.rangeProblem(op, pass, type);
        String missing = probeFailure(plan, type);
        if (range == null) {
            return missing;
        }
        return missing == null ? range : range + "; besides, " + missing;
    }

    /** Null when oneDNN implements every primitive of the plan for {@code type}, else why not. */
    private String probeFailure(EltwisePlan plan, DataType type) {
        Map<Alg, String> why = failures.get(type);
        for (Step step : plan.steps()) {
            String failure = why.get(step.alg());
            if (failure != null) {
                return failure;
            }
        }
        return null;
    }

    /**
     * What runs for representative functions (ELU with any alpha, SELU with scale != 1, CELU with
     * inputScale != 1, the general form with scale = inputScale, a negative inputScale, ReLU,
     * LeakyReLU), every data type and every pass.
     */
    List<Capability> capabilities() {
        List<Capability> list = new ArrayList<>();
        String[] names = {"elu", "selu", "celu(a=2)", "elu(s=i=2)", "elu(i<0)", "relu", "leaky-relu"};
        Op[] ops = {Op.elu(1), Op.elu(1.6732632423543772, 1.0507009873554805, 1), Op.elu(2, 1, 0.5),
                Op.elu(1, 2, 2), Op.elu(1, 1, -1), Op.relu(), Op.leakyRelu(0.01)};
        for (int i = 0; i < ops.length; i++) {
            for (DataType type : DataType.values()) {
                for (Pass pass : Pass.values()) {
                    list.add(capability(names[i], ops[i], type, pass));
                }
            }
        }
        return List.copyOf(list);
    }

    /** One cell of {@link #capabilities()}. */
    Capability capability(String name, Op op, DataType type, Pass pass) {
        EltwisePlan plan = EltwisePlan.of(op, pass);
        String why = whyNot(plan, op, pass, type);
        if (why != null) {
            return new Capability(name, op, type, pass, List.of(), List.of(), why);
        }
        Map<Alg, String> impls = implementations.get(type);
        List<Step> steps = List.of(plan.steps());
        return new Capability(name, op, type, pass, steps.stream().map(Step::toString).toList(),
                steps.stream().map(st -> impls.get(st.alg())).distinct().toList(), null);
    }
}
