package org.elu4j.reliability;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.elu4j.Backend;
import org.elu4j.BackendUnavailableException;
import org.elu4j.Elu;
import org.elu4j.Elu4j;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.Inputs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Randomised calls with fixed seeds: sizes 0..70000 (mostly small or next to a vector width),
 * byte offsets 0..63, native memory and heap arrays of every primitive type, exact aliasing (in
 * place) through the same or an equal segment object, alphas of every kind (tiny, subnormal,
 * huge, negative, zero), and input distributions full of NaN, infinities and subnormals. Every
 * case runs on every candidate ({@link Candidate#all()} and AUTO) and is compared with the scalar
 * oracle under {@link Candidate#check}; nothing outside the destination may change, nor the
 * source of an out-of-place call. A second test makes random partial overlaps, which must be
 * refused with the destination untouched.
 *
 * <p>Each test is bounded by a case count and a time budget, whichever comes first, but runs at
 * least {@code elu4j.fuzz.minCases} (200) cases; the cases are a fixed sequence, so a slower
 * machine runs a shorter prefix of the same sequence. A failure prints
 * the seed and the case; {@code -Delu4j.fuzz.seed=S} changes the sequence,
 * {@code -Delu4j.fuzz.case=C} replays one case by its case seed, and {@code -Delu4j.fuzz.millis}
 * and {@code -Delu4j.fuzz.cases} change the bounds.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FuzzTest {
    static final long SEED = Long.getLong("elu4j.fuzz.seed", 0x5EED_E1E4L);
    static final Long REPLAY = Long.getLong("elu4j.fuzz.case");
    static final int MAX_CASES = Integer.getInteger("elu4j.fuzz.cases", 4000);
    static final long BUDGET_MILLIS = Long.getLong("elu4j.fuzz.millis", 8000);
    /** Cases run whatever the budget, so that a slow or busy machine still covers this prefix. */
    static final int MIN_CASES = Math.min(MAX_CASES, Integer.getInteger("elu4j.fuzz.minCases", 200));
    static final int GUARD = 64;
    /** Nanoseconds spent per candidate (call and checks), for the summary line. */
    static final java.util.Map<String, Long> NANOS = new java.util.TreeMap<>();
    static final byte GUARD_BYTE = (byte) 0xA5;

    /** Where a segment lives: native memory or a heap array of some primitive type. */
    enum Kind {
        NATIVE, FLOAT_ARRAY, BYTE_ARRAY, INT_ARRAY, LONG_ARRAY, DOUBLE_ARRAY, SHORT_ARRAY, CHAR_ARRAY;

        /** A zero-filled segment of at least {@code bytes} bytes. */
        MemorySegment allocate(Arena arena, long bytes) {
            int b = (int) bytes;
            return switch (this) {
                case NATIVE -> arena.allocate(bytes, 64);
                case FLOAT_ARRAY -> MemorySegment.ofArray(new float[(b + 3) / 4]);
                case BYTE_ARRAY -> MemorySegment.ofArray(new byte[b]);
                case INT_ARRAY -> MemorySegment.ofArray(new int[(b + 3) / 4]);
                case LONG_ARRAY -> MemorySegment.ofArray(new long[(b + 7) / 8]);
                case DOUBLE_ARRAY -> MemorySegment.ofArray(new double[(b + 7) / 8]);
                case SHORT_ARRAY -> MemorySegment.ofArray(new short[(b + 1) / 2]);
                case CHAR_ARRAY -> MemorySegment.ofArray(new char[(b + 1) / 2]);
            };
        }

        static Kind random(SplittableRandom r) {
            return r.nextInt(10) < 6 ? NATIVE : values()[1 + r.nextInt(values().length - 1)];
        }
    }

    /** How an in-place destination is obtained: the source object itself or an equal one. */
    enum Alias {
        SAME_OBJECT, EQUAL_SLICE, RAW_ADDRESS
    }

    /** One fuzz case, all drawn from {@code caseSeed}. */
    record Case(long caseSeed, int n, float alpha, String distribution, float[] x, Kind src, Kind dst,
            int srcOff, int dstOff, Alias inPlace) {

        static Case draw(long caseSeed) {
            SplittableRandom r = new SplittableRandom(caseSeed);
            int n = randomSize(r);
            float alpha = randomAlpha(r);
            String[] dists = {"mixed", "uniform[-20,5]", "any bits", "subnormal", "tiny negative", "specials",
                    "saturation edges", "reduction edges", "negative"};
            String dist = dists[r.nextInt(dists.length)];
            float[] x = randomValues(dist, n, r);
            Kind src = Kind.random(r);
            Kind dst = Kind.random(r);
            Alias inPlace = null;
            if (r.nextInt(4) == 0) {
                dst = src;
                Alias a = Alias.values()[r.nextInt(3)];
                inPlace = a == Alias.RAW_ADDRESS && src != Kind.NATIVE ? Alias.EQUAL_SLICE : a;
            }
            int srcOff = r.nextInt(64);
            return new Case(caseSeed, n, alpha, dist, x, src, dst, srcOff, inPlace != null ? srcOff : r.nextInt(64), inPlace);
        }

        @Override
        public String toString() {
            return String.format("case seed %d (replay: -Delu4j.fuzz.case=%d): n=%d, alpha=%s [0x%08x], inputs %s, "
                    + "src %s+%d, dst %s+%d%s", caseSeed, caseSeed, n, alpha, Float.floatToRawIntBits(alpha),
                    distribution, src, srcOff, dst, dstOff, inPlace == null ? ", out of place" : ", in place (" + inPlace + ")");
        }
    }

    static int randomSize(SplittableRandom r) {
        int pick = r.nextInt(100);
        if (pick < 35) {
            return r.nextInt(40);
        }
        if (pick < 60) { // next to a multiple of a vector width or unroll factor
            int base = (1 << r.nextInt(2, 13)) * r.nextInt(1, 4);
            return Math.max(0, base + r.nextInt(-2, 3));
        }
        if (pick < 85) {
            return r.nextInt(4097);
        }
        return r.nextInt(70_001);
    }

    static float randomAlpha(SplittableRandom r) {
        return switch (r.nextInt(12)) {
            case 0, 1, 2 -> 1f;
            case 3 -> (r.nextBoolean() ? 1 : -1) * Math.scalb(1f, r.nextInt(-10, 11)); // exact scaling
            case 4 -> (float) r.nextDouble(0.01, 10);
            case 5 -> 1.6732632f; // SELU
            case 6 -> r.nextBoolean() ? Float.MIN_VALUE * r.nextInt(1, 1 << 23) // subnormal
                    : Float.MIN_NORMAL * (float) r.nextDouble(1, 1e6);
            case 7 -> r.nextBoolean() ? Float.MAX_VALUE / r.nextInt(1, 1000) : (float) r.nextDouble(1e20, 1e38);
            case 8 -> (float) -r.nextDouble(0.01, 10);
            case 9 -> new float[] {-1f, -Float.MAX_VALUE, -Float.MIN_VALUE, -1e-30f, -1e30f}[r.nextInt(5)];
            case 10 -> r.nextBoolean() ? 0f : -0f;
            default -> {
                float f;
                do {
                    f = Float.intBitsToFloat(r.nextInt());
                } while (!Float.isFinite(f));
                yield f;
            }
        };
    }

    static float[] randomValues(String dist, int n, SplittableRandom r) {
        if (dist.equals("mixed")) {
            return Inputs.random(n, r.nextLong());
        }
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (dist) {
                case "uniform[-20,5]" -> (float) r.nextDouble(-20, 5);
                case "any bits" -> Float.intBitsToFloat(r.nextInt());
                case "subnormal" -> Float.intBitsToFloat(r.nextInt(0x00800000) | (r.nextInt(4) == 0 ? 0 : 0x80000000));
                case "tiny negative" -> (float) -Math.scalb(r.nextDouble(1, 2), r.nextInt(-150, -10));
                case "specials" -> Inputs.SPECIALS[r.nextInt(Inputs.SPECIALS.length)];
                case "saturation edges" -> {
                    float[] edges = {-17.328680f, -16.635532f, -87f, -87.33655f, -88.72284f, -103.27893f, -104f};
                    float e = edges[r.nextInt(edges.length)];
                    yield Float.intBitsToFloat(Float.floatToRawIntBits(e) + r.nextInt(-64, 65));
                }
                case "reduction edges" -> { // x near (k + 1/2) ln 2, where the rounding of n flips
                    float e = (float) ((r.nextInt(-40, 1) + 0.5) * Math.log(2));
                    yield e >= 0 ? -0f : Float.intBitsToFloat(Float.floatToRawIntBits(e) + r.nextInt(-8, 9));
                }
                default -> -Float.intBitsToFloat(r.nextInt(0x7f800001)); // every negative float, -0 and -inf
            };
        }
        return x;
    }

    /** The candidates: every backend and helper ISA level, and AUTO. */
    static List<Candidate> candidates() {
        List<Candidate> list = new ArrayList<>(Candidate.all());
        list.add(new Candidate("auto", Backend.AUTO, -1));
        return list;
    }

    /** Whose tolerance AUTO's results are held to: the backend it picks for these segments. */
    static Candidate checker(Candidate c, boolean heap) {
        if (c.backend() != Backend.AUTO) {
            return c;
        }
        Backend b = Elu4j.autoBackend(); // for native segments; heap ones never go to oneDNN
        Backend picked = heap && b == Backend.ONEDNN ? Backend.SCALAR : b;
        return new Candidate("auto (" + picked.cliName() + ")", picked, -1);
    }

    @Test
    void randomCasesOnEveryBackendAgreeWithTheOracle() {
        List<Candidate> candidates = candidates();
        List<Long> seeds = caseSeeds();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BUDGET_MILLIS);
        int run = 0;
        long elements = 0;
        for (long caseSeed : seeds) {
            if (REPLAY == null && run >= MIN_CASES && System.nanoTime() > deadline) {
                break;
            }
            Case c = Case.draw(caseSeed);
            runCase(c, run, candidates);
            run++;
            elements += c.n();
        }
        StringBuilder ms = new StringBuilder();
        NANOS.forEach((name, nanos) -> ms.append(' ').append(name).append('=').append(nanos / 1_000_000).append("ms"));
        System.out.printf("FuzzTest: %d cases (%d floats) on %d candidates, seed %d;%s%n", run, elements, candidates.size(), SEED, ms);
    }

    private static List<Long> caseSeeds() {
        if (REPLAY != null) {
            return List.of(REPLAY);
        }
        SplittableRandom master = new SplittableRandom(SEED);
        List<Long> seeds = new ArrayList<>();
        for (int i = 0; i < MAX_CASES; i++) {
            seeds.add(master.nextLong());
        }
        return seeds;
    }

    @SuppressWarnings("restricted") // MemorySegment.reinterpret: a second segment over the same memory
    private static void runCase(Case c, int index, List<Candidate> candidates) {
        long bytes = (long) c.n() * Float.BYTES;
        float[] want = new float[c.n()];
        for (int i = 0; i < c.n(); i++) {
            want[i] = Candidate.oracle(c.x()[i], c.alpha());
        }
        String where = "seed " + SEED + ", case #" + index + ", " + c;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment srcBuf = c.src().allocate(arena, GUARD + 64 + bytes + GUARD);
            MemorySegment src = srcBuf.asSlice(GUARD + c.srcOff(), bytes);
            MemorySegment dstBuf;
            MemorySegment dst;
            if (c.inPlace() != null) {
                dstBuf = srcBuf;
                dst = switch (c.inPlace()) {
                    case SAME_OBJECT -> src;
                    case EQUAL_SLICE -> srcBuf.asSlice(GUARD + c.srcOff(), bytes);
                    case RAW_ADDRESS -> MemorySegment.ofAddress(src.address()).reinterpret(bytes);
                };
            } else {
                dstBuf = c.dst().allocate(arena, GUARD + 64 + bytes + GUARD);
                dst = dstBuf.asSlice(GUARD + c.dstOff(), bytes);
            }
            MemorySegment input = MemorySegment.ofArray(c.x());
            boolean heap = !src.isNative() || !dst.isNative();
            for (Candidate cand : candidates) {
                long t0 = System.nanoTime();
                srcBuf.fill(GUARD_BYTE);
                dstBuf.fill(GUARD_BYTE);
                MemorySegment.copy(input, 0, src, 0, bytes);
                byte[] dstBefore = dstBuf.toArray(JAVA_BYTE);
                boolean refuse = heap && !cand.takesHeapSegments();
                try {
                    cand.apply(c.alpha(), src, dst);
                    if (refuse) {
                        fail(cand + " took a heap segment; " + where);
                    }
                } catch (BackendUnavailableException e) {
                    if (!refuse) {
                        throw new AssertionError(cand + " refused the call: " + e.getMessage() + "; " + where, e);
                    }
                    if (MemorySegment.mismatch(dstBuf, 0, dstBuf.byteSize(), MemorySegment.ofArray(dstBefore), 0, dstBefore.length) >= 0) {
                        fail(cand + " refused the call but modified the destination; " + where);
                    }
                    continue;
                } catch (RuntimeException | Error e) {
                    throw new AssertionError(cand + " threw " + e + "; " + where, e);
                }
                checkGuards(cand, dstBuf, dstBefore, GUARD + c.dstOff(), bytes, where);
                if (c.inPlace() == null && MemorySegment.mismatch(src, 0, bytes, input, 0, bytes) >= 0) {
                    fail(cand + " modified its source; " + where);
                }
                checkValues(checker(cand, heap), c, dst, want, where);
                NANOS.merge(cand.name(), System.nanoTime() - t0, Long::sum);
            }
        }
    }

    private static void checkGuards(Candidate cand, MemorySegment buf, byte[] before, long start, long bytes, String where) {
        MemorySegment b = MemorySegment.ofArray(before);
        long head = MemorySegment.mismatch(buf, 0, start, b, 0, start);
        long tail = MemorySegment.mismatch(buf, start + bytes, buf.byteSize(), b, start + bytes, before.length);
        if (head >= 0 || tail >= 0) {
            fail(cand + " wrote outside the destination at buffer byte " + (head >= 0 ? head : start + bytes + tail)
                    + " (destination bytes " + start + ".." + (start + bytes) + "); " + where);
        }
    }

    private static void checkValues(Candidate cand, Case c, MemorySegment dst, float[] want, String where) {
        int failures = 0;
        StringBuilder report = new StringBuilder();
        for (int i = 0; i < c.n(); i++) {
            float x = c.x()[i];
            float got = dst.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
            String problem = cand.check(x, c.alpha(), got, want[i]);
            if (problem != null && failures++ < 4) {
                report.append(String.format("%n  [%d] ELU(%s [0x%08x]) = %s [0x%08x], oracle %s [0x%08x]: %s", i, x,
                        Float.floatToRawIntBits(x), got, Float.floatToRawIntBits(got), want[i],
                        Float.floatToRawIntBits(want[i]), problem));
            }
        }
        if (failures > 0) {
            fail(cand + ": " + failures + " of " + c.n() + " results out of tolerance; " + where + report);
        }
    }

    // ------------------------------------------------------------------ partial overlaps

    @SuppressWarnings("restricted") // MemorySegment.reinterpret: a second segment over the same memory
    @Test
    void randomPartialOverlapsAreRefusedAndTouchNothing() {
        List<Backend> backends = new ArrayList<>();
        for (Backend b : Backend.values()) {
            if (Elu4j.isAvailable(b)) {
                backends.add(b);
            }
        }
        SplittableRandom master = new SplittableRandom(SEED ^ 0x0E7E_11A9L);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(500, BUDGET_MILLIS / 4));
        int run = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (; run < MAX_CASES && System.nanoTime() < deadline; run++) {
                long caseSeed = master.nextLong();
                SplittableRandom r = new SplittableRandom(caseSeed);
                int n = 1 + (r.nextBoolean() ? r.nextInt(64) : r.nextInt(20_000));
                long bytes = 4L * n;
                long a = r.nextLong(0, 64);
                long shift = r.nextLong(1, bytes); // |a - b| in 1..bytes-1: a partial overlap
                long b = r.nextBoolean() ? a + shift : Math.max(0, a - shift);
                if (b == a) {
                    b = a + shift;
                }
                Kind kind = r.nextInt(3) == 0 ? Kind.values()[1 + r.nextInt(Kind.values().length - 1)] : Kind.NATIVE;
                MemorySegment buf = kind.allocate(arena, Math.max(a, b) + bytes + GUARD);
                for (long i = 0; i < buf.byteSize(); i++) {
                    buf.set(JAVA_BYTE, i, (byte) r.nextInt());
                }
                MemorySegment src = buf.asSlice(a, bytes);
                MemorySegment dst = kind == Kind.NATIVE && r.nextBoolean()
                        ? MemorySegment.ofAddress(buf.address() + b).reinterpret(bytes) // another object, global scope
                        : buf.asSlice(b, bytes);
                Backend backend = backends.get(r.nextInt(backends.size()));
                float alpha = randomAlpha(r);
                String where = String.format("seed %d, overlap case #%d (case seed %d): %s on %s buffer, n=%d, "
                        + "src at byte %d, dst at byte %d, alpha=%s", SEED, run, caseSeed, backend.cliName(), kind, n, a, b, alpha);
                byte[] before = buf.toArray(JAVA_BYTE);
                try {
                    Elu.elu(alpha).on(backend).apply(src, dst);
                    fail("a partial overlap was accepted; " + where);
                } catch (IllegalArgumentException e) {
                    if (!e.getMessage().contains("overlap")) {
                        fail("wrong refusal '" + e.getMessage() + "'; " + where);
                    }
                } catch (RuntimeException e) {
                    throw new AssertionError("refused with " + e + " instead of IllegalArgumentException; " + where, e);
                }
                long at = MemorySegment.mismatch(buf, 0, buf.byteSize(), MemorySegment.ofArray(before), 0, before.length);
                if (at >= 0) {
                    fail("a refused call modified buffer byte " + at + "; " + where);
                }
            }
        }
        System.out.printf("FuzzTest: %d partial-overlap cases, seed %d%n", run, SEED);
    }
}
