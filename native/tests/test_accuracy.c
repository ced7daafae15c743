/*
 * elu4j native tests (a): accuracy of ELU against a double-precision reference.
 *
 * For every ISA the CPU supports (pinned with elu4j_pin_isa) and alpha in {1, 0.5, 2, 1.6732632},
 * compares f32 ELU of elu4j_forward with alpha * expm1(x) computed in double (libm) and rounded once to float, over
 *   - a sweep of every 1009th negative bit pattern from 0x80000001 (-denorm_min) to
 *     0xFF800000 (-inf),
 *   - denser sets: every 499th float of [-1e-3, 0), every 101st of [-17.5, -1e-3], every 2nd of
 *     [-0.40, -0.33] (largest errors: the n = 0 / n = -1 boundary), every float of
 *     [-17.5, -15] (where the result reaches -1) and [-89, -86], every 4th of [-104, -88],
 * and checks that all ISAs agree with the portable kernel bit for bit.
 *
 * Bounds: at most 1 ulp from the correctly rounded value, both for alpha = 1, 0.5 and 2 (powers of
 * two: the float kernel, where they add no rounding) and for alpha = 1.6732632 (not a power of two:
 * the negative side evaluated in double, rounded once).
 *
 *   test_accuracy                run the ctest sweep (~9e6 samples, ~1.5 s)
 *   test_accuracy --exhaustive   every negative float (2^31 patterns, several minutes)
 *   test_accuracy --stride N     sweep every N-th pattern instead
 *   test_accuracy --sweep-only   only the strided sweep, without the dense ranges (with a large
 *                                --stride: a few seconds under valgrind, see .ci/native-checks)
 */
#include "test_util.h"

#include <time.h>

#define CHUNK 65536
#define N_ALPHAS 4

static const float k_alphas[N_ALPHAS] = {1.0f, 0.5f, 2.0f, 1.6732632f};
static const uint32_t k_bound_ulps[N_ALPHAS] = {1, 1, 1, 1};

typedef struct stats {
    long samples;
    long one_ulp;       /* results 1 ulp away from the correctly rounded value */
    uint32_t max_ulp;   /* largest distance to the correctly rounded value */
    float max_ulp_x;
    double max_frac;    /* largest |result - exact| / ulp(exact), exact from double */
    float max_frac_x;
    long mismatches;    /* results that differ from the portable kernel bit for bit */
} stats;

static stats g_stats[N_ISAS][N_ALPHAS];
static int g_supported[N_ISAS];

static float g_in[CHUNK];
static double g_expm1[CHUNK];
static double g_exact[CHUNK];   /* alpha * expm1(x) in double */
static float g_ref[CHUNK];      /* ... rounded once to float */
static double g_inv_ulp[CHUNK]; /* 1 / ulp(exact) */
static float g_out[N_ISAS][CHUNK];

/* Runs every supported ISA and alpha on g_in[0..m) and folds the errors into g_stats. */
static void process_chunk(size_t m)
{
    for (size_t k = 0; k < m; k++) {
        g_expm1[k] = expm1((double)g_in[k]);
    }
    for (int a = 0; a < N_ALPHAS; a++) {
        const float alpha = k_alphas[a];
        for (size_t k = 0; k < m; k++) {
            g_exact[k] = (double)alpha * g_expm1[k];
            g_ref[k] = (float)g_exact[k];
            g_inv_ulp[k] = inv_ulp_of(g_exact[k]);
        }
        for (int i = 0; i < N_ISAS; i++) {
            if (!g_supported[i]) {
                continue;
            }
            const int st = elu_f32_on(k_all_isas[i], g_in, g_out[i], m, alpha);
            CHECK(st == ELU4J_OK, "isa %s returned %s", elu4j_isa_name(k_all_isas[i]),
                  elu4j_status_name(st));
            stats *s = &g_stats[i][a];
            s->samples += (long)m;
            for (size_t k = 0; k < m; k++) {
                const float y = g_out[i][k];
                const uint32_t d = ulp_distance(y, g_ref[k]);
                if (d > s->max_ulp) {
                    s->max_ulp = d;
                    s->max_ulp_x = g_in[k];
                }
                s->one_ulp += d == 1;
                const double frac = fabs((double)y - g_exact[k]) * g_inv_ulp[k];
                if (frac > s->max_frac) {
                    s->max_frac = frac;
                    s->max_frac_x = g_in[k];
                }
                s->mismatches += bits_of(y) != bits_of(g_out[0][k]);
            }
        }
    }
}

/* Feeds the bit patterns first, first + stride, ... <= last (all negative floats) through. */
static void run_patterns(uint32_t first, uint32_t last, uint32_t stride)
{
    size_t m = 0;
    for (uint64_t b = first; b <= last; b += stride) {
        g_in[m++] = float_of((uint32_t)b);
        if (m == CHUNK) {
            process_chunk(m);
            m = 0;
        }
    }
    if (m > 0) {
        process_chunk(m);
    }
}

/* Every stride-th float of [lo, hi] (lo <= hi < 0): negative patterns grow towards -inf. */
static void run_range(float lo, float hi, uint32_t stride)
{
    run_patterns(bits_of(hi), bits_of(lo), stride);
}

int main(int argc, char **argv)
{
    uint32_t stride = 1009; /* odd, so every low-bit pattern is visited over the sweep */
    int exhaustive = 0;
    int sweep_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--exhaustive") == 0) {
            exhaustive = 1;
        } else if (strcmp(argv[i], "--sweep-only") == 0) {
            sweep_only = 1;
        } else if (strcmp(argv[i], "--stride") == 0 && i + 1 < argc) {
            stride = (uint32_t)strtoul(argv[++i], NULL, 0);
            if (stride == 0) {
                stride = 1;
            }
        } else {
            fprintf(stderr, "usage: %s [--exhaustive | [--sweep-only] --stride N]\n", argv[0]);
            return 2;
        }
    }
    for (int i = 0; i < N_ISAS; i++) {
        g_supported[i] = elu4j_isa_supported(k_all_isas[i]);
    }
    CHECK(g_supported[0], "the portable kernel must always be supported");

    const clock_t t0 = clock();
    if (exhaustive) {
        run_patterns(0x80000001u, 0xFF800000u, 1);
    } else if (sweep_only) {
        run_patterns(0x80000001u, 0xFF800000u, stride);
    } else {
        run_patterns(0x80000001u, 0xFF800000u, stride);
        run_range(-1e-3f, -0x1p-149f, 499);   /* tiny negatives, subnormals included */
        run_range(-17.5f, -1e-3f, 101);       /* where expm1 is neither x nor -1 */
        run_range(-0.40f, -0.33f, 2);         /* largest errors: n = 0 / n = -1 boundary */
        run_range(-17.5f, -15.0f, 1);         /* result reaches -1 */
        run_range(-89.0f, -86.0f, 1);         /* clamp at -88 */
        run_range(-104.0f, -88.0f, 4);
    }
    const double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;

    printf("%-8s %-10s %10s %8s %10s %16s %9s %16s %10s\n", "isa", "alpha", "samples",
           "max_ulp", "1-ulp", "at x", "max_frac", "at x", "!=portable");
    for (int i = 0; i < N_ISAS; i++) {
        if (!g_supported[i]) {
            printf("%-8s (not supported by this CPU: skipped)\n", elu4j_isa_name(k_all_isas[i]));
            continue;
        }
        for (int a = 0; a < N_ALPHAS; a++) {
            const stats *s = &g_stats[i][a];
            printf("%-8s %-10.8g %10ld %8u %10ld %16a %9.4f %16a %10ld\n",
                   elu4j_isa_name(k_all_isas[i]), (double)k_alphas[a], s->samples, s->max_ulp,
                   s->one_ulp, (double)s->max_ulp_x, s->max_frac, (double)s->max_frac_x,
                   s->mismatches);
            CHECK(s->max_ulp <= k_bound_ulps[a], "isa %s alpha %g: %u ulps at x = %a",
                  elu4j_isa_name(k_all_isas[i]), (double)k_alphas[a], s->max_ulp,
                  (double)s->max_ulp_x);
            CHECK(s->mismatches == 0, "isa %s alpha %g: %ld results differ from portable",
                  elu4j_isa_name(k_all_isas[i]), (double)k_alphas[a], s->mismatches);
        }
    }
    printf("(%.2f s CPU)\n", secs);
    return test_summary("test_accuracy");
}
