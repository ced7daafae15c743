/*
 * elu4j native tests (a): accuracy of ELU against a double-precision reference.
 *
 * For every ISA the CPU supports (pinned with elu4j_pin_isa) and the parameter sets of k_sets
 * (ELU with alpha 1, 0.5, 2: the float kernel; ELU(1.3), SELU, CELU(0.7), CELU(2) and a scaled
 * form: the general f32 kernel), compares f32 ELU of elu4j_forward with
 * alpha * scale * expm1(x * input_scale) computed in double (libm) and rounded once to float
 * (settled in long double where the result is not that float), over
 *   - a sweep of every 1009th negative bit pattern from 0x80000001 (-denorm_min) to
 *     0xFF800000 (-inf),
 *   - denser sets: every 499th float of [-1e-3, 0), every 101st of [-17.5, -1e-3], every 2nd of
 *     [-0.40, -0.33] (largest errors: the n = 0 / n = -1 boundary), every float of
 *     [-17.5, -15] (where the result reaches -1) and [-89, -86], every 4th of [-104, -88],
 * and checks that all ISAs agree with the portable kernel bit for bit.
 *
 * Bound: at most 1 ulp from the correctly rounded value, for every set.
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
#define N_ALPHAS 8

/* ELU(alpha, scale, input_scale): y = alpha * scale * expm1(x * input_scale) for x < 0. */
typedef struct fset {
    const char *name;
    double alpha, scale, input_scale;
} fset;

static const fset k_sets[N_ALPHAS] = {
    {"elu(1)", 1.0, 1.0, 1.0},     /* the float kernel */
    {"elu(0.5)", 0.5, 1.0, 1.0},
    {"elu(2)", 2.0, 1.0, 1.0},
    {"elu(1.3)", 1.3, 1.0, 1.0},   /* the general kernel, unit input scale */
    {"selu", 1.6732632423543772, 1.0507009873554805, 1.0},
    {"celu(0.7)", 0.7, 1.0, 1.0 / 0.7}, /* the general kernel with an input scale */
    {"celu(2)", 2.0, 1.0, 0.5},
    {"scaled", 3.0, 0.7, 1.0 / 3.0},    /* its linear range matters (subnormal t) */
};
static const uint32_t k_bound_ulps[N_ALPHAS] = {1, 1, 1, 1, 1, 1, 1, 1};

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
static double g_exact[CHUNK];   /* alpha * expm1(x) in double */
static float g_ref[CHUNK];      /* ... rounded once to float */
static double g_inv_ulp[CHUNK]; /* 1 / ulp(exact) */
static float g_out[N_ISAS][CHUNK];

/* Runs every supported ISA and alpha on g_in[0..m) and folds the errors into g_stats. */
static void process_chunk(size_t m)
{
    for (int a = 0; a < N_ALPHAS; a++) {
        const fset *f = &k_sets[a];
        const double coef = f->alpha * f->scale;
        for (size_t k = 0; k < m; k++) {
            g_exact[k] = coef * expm1((double)g_in[k] * f->input_scale);
            g_ref[k] = (float)g_exact[k];
            g_inv_ulp[k] = inv_ulp_of(g_exact[k]);
        }
        for (int i = 0; i < N_ISAS; i++) {
            if (!g_supported[i]) {
                continue;
            }
            const int st = forward_on(k_all_isas[i], ELU4J_FN_ELU, ELU4J_DT_F32, g_in, g_out[i], m,
                                      f->alpha, f->scale, f->input_scale);
            CHECK(st == ELU4J_OK, "isa %s returned %s", elu4j_isa_name(k_all_isas[i]),
                  elu4j_status_name(st));
            stats *s = &g_stats[i][a];
            s->samples += (long)m;
            for (size_t k = 0; k < m; k++) {
                const float y = g_out[i][k];
                uint32_t d = ulp_distance(y, g_ref[k]);
                if (d > 0) {
                    /* The double reference is within ~2^-52 of the exact value, so it can round
                       to the wrong float near a halfway point: settle those in long double. */
                    const long double e = (long double)coef *
                                          expm1l((long double)g_in[k] * (long double)f->input_scale);
                    d = ulp_distance(y, (float)e);
                }
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

    printf("%-8s %-10s %10s %8s %10s %16s %9s %16s %10s\n", "isa", "function", "samples",
           "max_ulp", "1-ulp", "at x", "max_frac", "at x", "!=portable");
    for (int i = 0; i < N_ISAS; i++) {
        if (!g_supported[i]) {
            printf("%-8s (not supported by this CPU: skipped)\n", elu4j_isa_name(k_all_isas[i]));
            continue;
        }
        for (int a = 0; a < N_ALPHAS; a++) {
            const stats *s = &g_stats[i][a];
            printf("%-8s %-10s %10ld %8u %10ld %16a %9.4f %16a %10ld\n",
                   elu4j_isa_name(k_all_isas[i]), k_sets[a].name, s->samples, s->max_ulp,
                   s->one_ulp, (double)s->max_ulp_x, s->max_frac, (double)s->max_frac_x,
                   s->mismatches);
            CHECK(s->max_ulp <= k_bound_ulps[a], "isa %s %s: %u ulps at x = %a",
                  elu4j_isa_name(k_all_isas[i]), k_sets[a].name, s->max_ulp,
                  (double)s->max_ulp_x);
            CHECK(s->mismatches == 0, "isa %s %s: %ld results differ from portable",
                  elu4j_isa_name(k_all_isas[i]), k_sets[a].name, s->mismatches);
        }
    }
    printf("(%.2f s CPU)\n", secs);
    return test_summary("test_accuracy");
}
