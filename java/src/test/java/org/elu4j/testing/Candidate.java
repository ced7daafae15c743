package org.elu4j.testing;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.elu4j.Backend;
import org.elu4j.Elu;
import org.elu4j.DataType;
import org.elu4j.Elu4j;
import org.elu4j.internal.BackendProvider;
import org.elu4j.internal.Checks;
import org.elu4j.internal.EluBackend;
import org.elu4j.internal.FloatUlps;
import org.elu4j.internal.Op;
import org.elu4j.internal.Pass;
import org.elu4j.internal.helper.HelperBackend;

/**
 * One implementation under test with its stated accuracy: every available backend through the
 * public API, plus the helper pinned to each ISA level this CPU supports.
 */
public record Candidate(String name, Backend backend, int helperIsa) {

    /** Every candidate runnable here. */
    public static List<Candidate> all() {
        List<Candidate> list = new ArrayList<>();
        for (Backend b : Backend.values()) {
            if (b != Backend.AUTO && Elu4j.isAvailable(b)) {
                list.add(new Candidate(b.cliName(), b, -1));
            }
        }
        if (Elu4j.isAvailable(Backend.HELPER)) {
            for (int isa : HelperBackend.supportedIsas()) {
                list.add(new Candidate("helper/" + HelperBackend.isaName(isa), Backend.HELPER, isa));
            }
        }
        return list;
    }

    /** A public backend (or AUTO) through the public API. */
    public static Candidate of(Backend backend) {
        return new Candidate(backend.cliName(), backend, -1);
    }

    /**
     * The helper pinned to the ISA level of that name ({@code portable}, {@code avx2},
     * {@code avx512}), called below the public API; its ISA is -2 when the helper is not available or
     * does not offer the level ({@link #unavailableHere()} says why).
     */
    public static Candidate helperAt(String level) {
        int isa = -2;
        if (Elu4j.isAvailable(Backend.HELPER)) {
            for (int i : HelperBackend.supportedIsas()) {
                if (HelperBackend.isaName(i).equals(level)) {
                    isa = i;
                }
            }
        }
        return new Candidate("helper/" + level, Backend.HELPER, isa);
    }

    /**
     * Null when this candidate can run on this machine, else why not: the backend's own reason
     * when it is unavailable; for a helper level, that this CPU lacks it ({@link Machine#helperLevels()}).
     * A level the CPU has but the helper does not offer is not a reason: {@link #helperAt} leaves it
     * unpinned and the tests fail on it.
     */
    public String unavailableHere() {
        if (backend != Backend.AUTO && !Elu4j.isAvailable(backend)) {
            return "the " + backend.cliName() + " backend is not available here: " + Elu4j.backends().stream()
                    .filter(s -> s.backend() == backend).findFirst().orElseThrow().detail();
        }
        String level = name.startsWith("helper/") ? name.substring("helper/".length()) : null;
        if (level != null && !Machine.helperLevels().contains(level)) {
            return "this CPU lacks the helper's " + level + " level (it has " + String.join(", ", Machine.helperLevels())
                    + ", from /proc/cpuinfo)";
        }
        if (level != null && helperIsa < 0) {
            throw new AssertionError("the CPU has the helper's " + level + " level but the helper does not offer it: "
                    + Machine.describe());
        }
        return null;
    }

    public boolean takesHeapSegments() {
        return backend != Backend.ONEDNN;
    }

    /** Every candidate runnable here, and AUTO (checked against the backend it picks for each call). */
    public static List<Candidate> allWithAuto() {
        List<Candidate> list = all();
        list.add(new Candidate("auto", Backend.AUTO, -1));
        return list;
    }

    /**
     * The scalar oracle's ELU(x) for this alpha, as the public API defines it ({@link Op}: for a
     * negative alpha, ELU(-0.0) is +0.0 and ELU(+0.0) is -0.0, the sign of alpha * (±0)).
     */
    public static float oracle(float x, float alpha) {
        return org.elu4j.internal.scalar.ScalarBackend.forward(Op.elu(alpha), x);
    }

    /** Whether this candidate is the helper pinned to one ISA, called below the public API. */
    public boolean pinned() {
        return helperIsa >= 0 || helperIsa == -2;
    }

    /** The helper pinned to this candidate's ISA; only for {@link #pinned()} candidates. */
    public EluBackend pinnedBackend() {
        return HelperBackend.forIsa(helperIsa);
    }

    /**
     * Whether helper, vector and scalar must run every cell: always scalar; the others when the
     * build says every backend is there ({@code elu4j.test.expectAllBackends}).
     */
    public boolean mustSupportEverything() {
        return backend == Backend.SCALAR
                || (Boolean.getBoolean("elu4j.test.expectAllBackends") && (backend == Backend.HELPER || backend == Backend.VECTOR));
    }

    /**
     * Null when this candidate runs {@code op}'s {@code pass} on {@code type} in that memory, else
     * the reason its refusal must carry: for a public backend, what the provider says (the heap
     * refusal of oneDNN first); for a pinned helper, its {@link EluBackend#unsupported} answer.
     */
    public String whyNot(Op op, DataType type, Pass pass, boolean heap) {
        if (pinned()) {
            return pinnedBackend().unsupported(op, type, pass);
        }
        if (backend == Backend.AUTO) {
            return null;
        }
        if (heap && !takesHeapSegments()) {
            return "native segments";
        }
        return BackendProvider.get().whyNot(backend, op, type, pass);
    }

    /**
     * The backend whose tolerance applies to this candidate's results for such a call. AUTO: the
     * one its documented order gives (helper, vector, oneDNN, scalar: the first that is available,
     * takes the memory and runs the call, each asked on its own), which must also be the one AUTO
     * picks; so AUTO is never judged by a pick of its own that breaks the order.
     */
    public Backend judgedAs(Op op, DataType type, Pass pass, boolean heap) {
        if (backend != Backend.AUTO) {
            return backend;
        }
        Backend expected = null;
        for (Backend b : List.of(Backend.HELPER, Backend.VECTOR, Backend.ONEDNN, Backend.SCALAR)) {
            if (!(heap && b == Backend.ONEDNN) && BackendProvider.get().whyNot(b, op, type, pass) == null) {
                expected = b;
                break;
            }
        }
        Backend picked = BackendProvider.get().select(Backend.AUTO, op, type, pass, heap).kind();
        if (picked != expected) {
            throw new AssertionError("AUTO runs " + op + " " + pass.label() + " on " + type.cliName() + (heap ? " (heap)" : "")
                    + " on " + picked + ", but its order (helper, vector, oneDNN, scalar) gives " + expected);
        }
        return expected;
    }

    /**
     * Runs ELU on the candidate through the same argument checks as the public API; a pinned
     * helper through {@link EluBackend#forward}, the entry point the public API uses.
     */
    public void apply(float alpha, MemorySegment src, MemorySegment dst) {
        if (helperIsa < 0) {
            Elu.elu(alpha).on(backend).apply(src, dst);
        } else {
            Checks.elementwise(src, dst, Float.BYTES);
            pinnedBackend().forward(Op.elu(alpha), DataType.F32, src, dst, 1);
        }
    }

    /**
     * Null if {@code got} is acceptable for ELU(x), else a description of the failure.
     * helper, vector, scalar: within 1 ulp of the oracle for every alpha, zeros with their sign.
     * (Until the family work, helper and vector multiplied a float expm1 by a float alpha, a second
     * rounding that reached 2 ulp for alphas that are not powers of two; they now evaluate such
     * alphas in double, see {@link Op#isFastF32Elu()}, and the bound is 1 ulp everywhere.)
     * oneDNN computes exp(x) - 1 in float: an absolute error bound of 4 ulp(alpha) on the negative
     * side (it returns 0 for |x| < ~3e-8 and +0.0 for -0.0), exact elsewhere; the sign of alpha
     * does not matter to either bound.
     */
    public String check(float x, float alpha, float got, float want) {
        if (Float.isNaN(want) || Float.isNaN(got)) {
            return Float.isNaN(want) && Float.isNaN(got) ? null : "NaN mismatch";
        }
        if (backend == Backend.ONEDNN) {
            if (x == 0f) {
                return got == 0f ? null : "zero expected";
            }
            if (!(x < 0)) {
                return Float.floatToRawIntBits(got) == Float.floatToRawIntBits(want) ? null : "positive side not exact";
            }
            double bound = 4 * Math.ulp(Math.abs(alpha));
            return Math.abs((double) got - want) <= bound ? null : "abs error " + Math.abs((double) got - want) + " > " + bound;
        }
        if (want == 0f) {
            return Float.floatToRawIntBits(got) == Float.floatToRawIntBits(want) ? null : "sign of zero differs";
        }
        long ulps = FloatUlps.distance(got, want);
        return ulps <= 1 ? null : ulps + " ulp > 1 (alpha " + alpha + ")";
    }

    @Override
    public String toString() {
        return name;
    }
}
