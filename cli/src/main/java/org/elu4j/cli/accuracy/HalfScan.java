package org.elu4j.cli.accuracy;

import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.elu4j.DataType;
import org.elu4j.cli.accuracy.AccuracyScan.HalfResult;
import org.elu4j.cli.accuracy.AccuracyScan.Skip;
import org.elu4j.cli.accuracy.AccuracyScan.Spec;
import org.elu4j.cli.accuracy.AccuracyScan.Target;
import org.elu4j.reference.Reference;

/**
 * The bfloat16 and float16 part of {@link AccuracyScan}: every one of the 65,536 patterns of each
 * type (NaNs and infinities included) through each target's path of that type, compared with the
 * float reference rounded to the type ({@link Reference#atBf16}, {@link Reference#atF16}); a NaN
 * for a NaN matches, and a difference is counted in 16-bit patterns.
 *
 * <p>Separate from the f32 scan because it shares only the targets and the references with it:
 * the whole input space of a type is one 128 KiB array, so there are no chunks, no worker
 * threads and no per-chunk reference preparation, and the verdict is a count of mismatches with
 * the worst one, not an ulp tally.
 */
final class HalfScan {
    private HalfScan() {
    }

    /**
     * Every spec on bf16 then f16, in the order the report lists them; a target that cannot run a
     * spec on a type is added to {@code skipped} instead. {@code decided[k]} counts the references
     * of {@code specs.get(k)} decided in decimal.
     */
    static List<HalfResult> run(List<Spec> specs, List<Target> targets, List<Skip> skipped, AtomicLong[] decided) {
        List<HalfResult> halfResults = new ArrayList<>();
        for (int k = 0; k < specs.size(); k++) {
            for (DataType type : List.of(DataType.BF16, DataType.F16)) {
                halfResults.addAll(scan(specs.get(k), type, targets, skipped, decided[k]));
            }
        }
        return halfResults;
    }

    /** Every pattern of a 16-bit type through every target that runs it. */
    private static List<HalfResult> scan(Spec spec, DataType type, List<Target> targets, List<Skip> skipped,
            AtomicLong decided) {
        int n = 1 << 16;
        short[] want = new short[n];
        short[] in = new short[n];
        for (int i = 0; i < n; i++) {
            in[i] = (short) i;
            want[i] = type == DataType.BF16 ? spec.reference().atBf16((short) i, decided)
                    : spec.reference().atF16((short) i, decided);
        }
        List<HalfResult> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate((long) n * Short.BYTES, 64);
            MemorySegment y = arena.allocate((long) n * Short.BYTES, 64);
            MemorySegment.copy(in, 0, x, JAVA_SHORT, 0, n);
            short[] got = new short[n];
            for (Target t : targets) {
                String why = t.support().whyNot(spec, type);
                if (why != null) {
                    skipped.add(new Skip(spec, type, t.name(), why));
                    continue;
                }
                t.kernel().apply(spec, type, x, y);
                MemorySegment.copy(y, JAVA_SHORT, 0, got, 0, n);
                int mismatches = 0;
                long worst = 0;
                int worstBits = 0;
                for (int i = 0; i < n; i++) {
                    if (got[i] == want[i]) {
                        continue;
                    }
                    boolean gotNaN = isNaN(type, got[i]);
                    boolean wantNaN = isNaN(type, want[i]);
                    if (gotNaN && wantNaN) {
                        continue;
                    }
                    mismatches++;
                    long d = gotNaN || wantNaN ? Long.MAX_VALUE : Math.abs(ordered16(got[i]) - ordered16(want[i]));
                    if (mismatches == 1 || d > worst) {
                        worst = d;
                        worstBits = i;
                    }
                }
                out.add(new HalfResult(spec, type, t.name(), n, mismatches, worst, worstBits));
            }
        }
        return out;
    }

    private static boolean isNaN(DataType type, short bits) {
        return Float.isNaN(type == DataType.BF16 ? Reference.bf16ToFloat(bits) : Float.float16ToFloat(bits));
    }

    /** 16-bit sign-magnitude patterns to a value monotonic in the number (±0 both 0). */
    private static long ordered16(short bits) {
        int b = bits & 0xFFFF;
        return (b & 0x8000) == 0 ? b : -(long) (b & 0x7FFF);
    }
}
