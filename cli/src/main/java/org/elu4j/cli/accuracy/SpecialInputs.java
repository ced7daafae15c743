package org.elu4j.cli.accuracy;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.elu4j.DataType;
import org.elu4j.cli.accuracy.AccuracyScan.Spec;
import org.elu4j.cli.accuracy.AccuracyScan.Target;
import org.elu4j.reference.Reference;

/**
 * The f32 inputs of {@link AccuracyScan} that must equal the reference bit for bit: +0 and -0,
 * NaNs of both signs (signalling and quiet, a spread of payloads), sampled positive floats, 1,
 * {@code MAX_VALUE} and +inf. One short array through every target on the calling thread,
 * summarised per function and target as one line: "bit-exact", or what differed.
 *
 * <p>Separate from the f32 scan of the negative floats because the verdict differs: there a
 * result may be an ulp off and the distances are tallied; here any difference is wrong, and the
 * line says which kind it is (a zero's sign, a NaN lost or its payload changed, a positive
 * scaled wrongly), which an ulp count could not.
 */
final class SpecialInputs {
    /** Positive patterns are sampled with at least this stride. */
    static final int POSITIVE_STRIDE = 1021;

    private SpecialInputs() {
    }

    /**
     * The inputs checked for bit-exactness: +0, -0, NaNs of both signs, then positives sampled with
     * the f32 scan's stride, {@link #POSITIVE_STRIDE} at least.
     */
    static int[] inputs(long stride) {
        // at most the positive range itself, so that b + stride below cannot overflow
        long positiveStride = Math.min(Math.max(POSITIVE_STRIDE, stride), 0x7F800000L);
        List<Integer> list = new ArrayList<>();
        list.add(0);
        list.add(0x80000000);
        for (int sign : new int[] {0, 0x80000000}) {
            for (int fixed : new int[] {0x7F800001, 0x7FBFFFFF, 0x7FC00000, 0x7FC00001, 0x7FFFFFFF}) {
                list.add(sign | fixed);
            }
            for (int j = 1; j < 1000; j++) {
                list.add(sign | (0x7F800001 + j * (0x7FFFFF / 1000)));
            }
        }
        for (long b = 1; b < 0x7F800000L; b += positiveStride) {
            list.add((int) b);
        }
        for (int fixed : new int[] {0x3F800000, 0x7F7FFFFF, 0x7F800000}) {
            list.add(fixed);
        }
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * What every target made of the inputs, per spec and target ({@code [k][t]}): a line of
     * {@link #describe}, or null where {@code runs[k][t]} is false (the target cannot run that
     * spec on f32).
     */
    static String[][] check(int[] specials, List<Spec> specs, List<Target> targets, boolean[][] runs) {
        int nSpecs = specs.size();
        int nTargets = targets.size();
        String[][] specialResults = new String[nSpecs][nTargets];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate((long) specials.length * Float.BYTES, 64);
            MemorySegment y = arena.allocate((long) specials.length * Float.BYTES, 64);
            MemorySegment.copy(specials, 0, x, JAVA_INT, 0, specials.length);
            int[] got = new int[specials.length];
            int[] want = new int[specials.length];
            for (int k = 0; k < nSpecs; k++) {
                Reference ref = specs.get(k).reference();
                for (int i = 0; i < specials.length; i++) {
                    want[i] = Float.floatToRawIntBits(ref.at(Float.intBitsToFloat(specials[i])));
                }
                for (int t = 0; t < nTargets; t++) {
                    if (runs[k][t]) {
                        targets.get(t).kernel().apply(specs.get(k), DataType.F32, x, y);
                        MemorySegment.copy(y, JAVA_INT, 0, got, 0, got.length);
                        specialResults[k][t] = describe(specials, want, got);
                    }
                }
            }
        }
        return specialResults;
    }

    /** How many of the inputs are NaN patterns. */
    static int nans(int[] specials) {
        int nans = 0;
        for (int s : specials) {
            nans += Float.isNaN(Float.intBitsToFloat(s)) ? 1 : 0;
        }
        return nans;
    }

    /**
     * "bit-exact", or what differed from the reference among the special inputs: positives must be
     * the reference (x itself unless the function scales it), zeros its signed zero, NaNs the
     * same NaN.
     */
    private static String describe(int[] in, int[] want, int[] out) {
        long positives = 0;
        long positivesChanged = 0;
        int firstChanged = 0;
        long nans = 0;
        long nanLost = 0;
        long payloadChanged = 0;
        long quietedOnly = 0;
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < in.length; i++) {
            int x = in[i];
            int y = out[i];
            float xf = Float.intBitsToFloat(x);
            if (Float.isNaN(xf)) {
                nans++;
                if (!Float.isNaN(Float.intBitsToFloat(y))) {
                    nanLost++;
                } else if (x != y) {
                    payloadChanged++;
                    quietedOnly += (x | 0x00400000) == y ? 1 : 0;
                }
            } else if (xf == 0f) {
                if (want[i] != y) {
                    notes.add(hexFloat(x) + " -> " + hexFloat(y));
                }
            } else {
                positives++;
                if (want[i] != y && positivesChanged++ == 0) {
                    firstChanged = i;
                }
            }
        }
        if (positivesChanged > 0) {
            notes.add(positivesChanged + " of " + positives + " positives wrong (first " + hexFloat(in[firstChanged])
                    + " -> " + hexFloat(out[firstChanged]) + ", want " + hexFloat(want[firstChanged]) + ")");
        }
        if (nanLost > 0) {
            notes.add(nanLost + " of " + nans + " NaNs not NaN");
        }
        if (payloadChanged > 0) {
            notes.add(payloadChanged + " of " + nans + " NaN payloads changed"
                    + (quietedOnly == payloadChanged ? " (signalling NaNs quieted)" : ""));
        }
        return notes.isEmpty() ? "bit-exact" : String.join("; ", notes);
    }

    private static String hexFloat(int bits) {
        return Float.toString(Float.intBitsToFloat(bits));
    }
}
