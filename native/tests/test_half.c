/*
 * elu4j native tests (i): bf16 and f16 forward on the float and the general ELU kernels, which the
 * AVX-512 and AVX2 levels run fused (widen, compute and narrow in registers) instead of through
 * the block copies of the portable level.
 *
 *   - every one of the 65,536 bit patterns of bf16 and of f16, for ELU with alpha 1, 0.5 and
 *     2^-100 (the float kernel), SELU, CELU, ELU(1.5) and a scaled form (the general kernel, each
 *     of its variants), LeakyReLU with a float slope and with slope pairs of either sign (fused
 *     at AVX-512 and AVX2 too; 1.1's low part shows in bf16 and f16), ReLU (on the patterns) and ELU with
 *     a negative alpha (the block path): each level's result is the portable level's bits, and
 *     the f32 result of the same level on the widened inputs rounded by this test's own
 *     conversion (round to nearest even; NaN: the sign, the quiet bit, the top payload bits);
 *   - lengths 1..33 and around the loop steps (63..65, 95..97, 127..129, 1000, 4099), source and
 *     destination at byte offsets 0 and 1 (odd: the 16-bit elements straddle every boundary),
 *     in place at both offsets: the portable bits, the source untouched out of place, and guard
 *     bytes around the destination never written;
 *   - elu4j_forward_mt on the same data (its chunks start at any element);
 *   - the backward (from x, and from y where defined), which the AVX-512 and AVX2 levels run
 *     fused for the ELU family: every bit pattern as dy against ordinary data, and as the data
 *     against ordinary dy (consecutive patterns: most groups of 16 take the vector path, the
 *     rest the scalar one), each level's result the portable level's bits and the f32 backward
 *     of the same level rounded here; every pattern as dy against tiny negative y (coef + y
 *     inexact); lengths 1..33 and around the steps, dy, data and dx at byte offsets 0 and 1, in
 *     place (dx = dy), guard bytes.
 *
 * Linked against the library (F16C, AVX512_BF16 where the CPU has them) and, as
 * test_half_no_bf16_f16c, against a variant without either: the integer bf16 narrowing of the
 * AVX-512 level and the AVX2 level's f16 conversions without F16C.
 */
#include "test_util.h"

#define GUARD 64
#define MAX_N 65536
#define BLOCK (GUARD + 2 + 2 * MAX_N + GUARD + 64)
/* The part of a block a call of `bytes` uses: the guard before it and 4 KiB of guard bytes after
   its end (twice a kernel block of 512 floats, ELU4J_FAM_BLOCK, so an overrun by a whole block
   shows; the layouts' largest call is 4099 halves). Resetting and scanning whole blocks took most
   of this program's time, several times over under ASan and valgrind. */
#define AFTER 4096
#define SPAN(bytes) (GUARD + 2 + (bytes) + AFTER < BLOCK ? GUARD + 2 + (bytes) + AFTER : BLOCK)

typedef struct params {
    const char *name;
    int fn;
    double alpha, scale, is;
} params;

static const params k_params[] = {
    {"elu(1)", ELU4J_FN_ELU, 1.0, 1.0, 1.0},
    {"elu(0.5)", ELU4J_FN_ELU, 0.5, 1.0, 1.0},
    {"elu(2^-100)", ELU4J_FN_ELU, 0x1p-100, 1.0, 1.0},
    {"elu(1.5)", ELU4J_FN_ELU, 1.5, 1.0, 1.0},
    {"selu", ELU4J_FN_ELU, 1.6732632423543772, 1.0507009873554805, 1.0},
    {"celu(2)", ELU4J_FN_ELU, 2.0, 1.0, 0.5},
    {"celu(0.3)", ELU4J_FN_ELU, 0.3, 1.0, 1.0 / 0.3},
    {"elu(0.7,1.3,2.5)", ELU4J_FN_ELU, 0.7, 1.3, 2.5},
    {"elu(0.7,2,2.5)", ELU4J_FN_ELU, 0.7, 2.0, 2.5},
    {"elu(1,2,1)", ELU4J_FN_ELU, 1.0, 2.0, 1.0},
    {"elu(-2)", ELU4J_FN_ELU, -2.0, 1.0, 1.0},
    {"relu", ELU4J_FN_RELU, 0.0, 1.0, 1.0},
    {"leaky(0.01)", ELU4J_FN_LEAKY_RELU, 0.01, 1.0, 1.0},
    {"leaky(0.25)", ELU4J_FN_LEAKY_RELU, 0.25, 1.0, 1.0},
    {"leaky(1.1)", ELU4J_FN_LEAKY_RELU, 1.1, 1.0, 1.0},
    {"leaky(-0.2)", ELU4J_FN_LEAKY_RELU, -0.2, 1.0, 1.0},
};
#define N_PARAMS ((int)(sizeof k_params / sizeof k_params[0]))

static const int k_half[] = {ELU4J_DT_BF16, ELU4J_DT_F16};
static const char *const k_half_names[] = {"bf16", "f16"};

/* --- the test's own conversions ------------------------------------------------------------- */

static float widen(int dt, uint16_t h)
{
    if (dt == ELU4J_DT_BF16) {
        return float_of((uint32_t)h << 16);
    }
    const int e = (h >> 10) & 0x1F, m = h & 0x3FF;
    float v;
    if (e == 0x1F) {
        /* NaN: the payload in the top bits of the float's, as the library widens it */
        v = m ? float_of(0x7F800000u | ((uint32_t)m << 13)) : INFINITY;
    } else if (e == 0) {
        v = ldexpf((float)m, -24);
    } else {
        v = ldexpf((float)(m | 0x400), e - 25);
    }
    return (h & 0x8000) ? -v : v;
}

/* f rounded to nearest even, in double (exact for these formats); NaN: sign | quiet | top payload. */
static uint16_t narrow(int dt, float f)
{
    const uint32_t b = bits_of(f);
    const uint16_t sign = (uint16_t)((b >> 16) & 0x8000u);
    if (isnan(f)) {
        return dt == ELU4J_DT_BF16 ? (uint16_t)((b >> 16) | 0x40u)
                                   : (uint16_t)(sign | 0x7E00u | ((b >> 13) & 0x3FFu));
    }
    const int mant = dt == ELU4J_DT_BF16 ? 8 : 11;          /* significant bits */
    const int emin = dt == ELU4J_DT_BF16 ? -126 : -14;     /* smallest normal exponent */
    const double maxv = dt == ELU4J_DT_BF16 ? 0x1.fep127 : 65504.0;
    const double a = fabs((double)f);
    int e;
    frexp(a, &e); /* a = m 2^e, m in [0.5, 1) */
    const int q = (e - 1 < emin ? emin : e - 1) - (mant - 1); /* quantum exponent */
    double r = a == 0.0 ? 0.0 : ldexp(nearbyint(ldexp(a, -q)), q); /* ties to even (default mode) */
    if (r > maxv) {
        r = INFINITY;
    }
    /* the bits of r in the format */
    uint16_t h;
    if (dt == ELU4J_DT_BF16) {
        h = (uint16_t)(bits_of((float)r) >> 16);
    } else if (isinf(r)) {
        h = 0x7C00u;
    } else if (r < 0x1p-14) {
        h = (uint16_t)ldexp(r, 24);
    } else {
        int er;
        const double mr = frexp(r, &er);
        h = (uint16_t)(((er - 1 + 15) << 10) | ((int)ldexp(mr, 11) & 0x3FF));
    }
    return (uint16_t)(sign | h);
}

/* --- every bit pattern ---------------------------------------------------------------------- */

static uint16_t g_all[MAX_N], g_expect[MAX_N], g_got[MAX_N];
static float g_wide[MAX_N], g_wide_y[MAX_N];

static void check_all_patterns(void)
{
    for (uint32_t i = 0; i < MAX_N; i++) {
        g_all[i] = (uint16_t)i;
    }
    /* the conversions of this test against each other: widen then narrow is the identity but for
       NaN, which gets the quiet bit */
    for (int di = 0; di < 2; di++) {
        const int dt = k_half[di];
        for (uint32_t i = 0; i < MAX_N; i++) {
            const uint16_t h = (uint16_t)i;
            const float f = widen(dt, h);
            const uint16_t want = isnan(f) ? (uint16_t)(h | (dt == ELU4J_DT_BF16 ? 0x40u : 0x200u)) : h;
            CHECK(narrow(dt, f) == want, "%s round trip %04x -> %a -> %04x", k_half_names[di], h, f,
                  narrow(dt, f));
        }
    }
    for (int pi = 0; pi < N_PARAMS; pi++) {
        const params *p = &k_params[pi];
        for (int di = 0; di < 2; di++) {
            const int dt = k_half[di];
            for (uint32_t i = 0; i < MAX_N; i++) {
                g_wide[i] = widen(dt, (uint16_t)i);
            }
            int st = forward_on(ELU4J_ISA_PORTABLE, p->fn, dt, g_all, g_expect, MAX_N, p->alpha,
                                p->scale, p->is);
            CHECK(st == ELU4J_OK, "portable: %s", elu4j_status_name(st));
            for (int ii = -1; ii < N_ISAS; ii++) { /* -1: unpinned (the best level) */
                const int isa = ii < 0 ? -1 : k_all_isas[ii];
                if (isa >= 0 && !elu4j_isa_supported(isa)) {
                    continue;
                }
                const char *iname = isa < 0 ? "best" : elu4j_isa_name(isa);
                st = isa < 0 ? elu4j_forward(p->fn, dt, g_all, g_got, MAX_N, p->alpha, p->scale, p->is)
                             : forward_on(isa, p->fn, dt, g_all, g_got, MAX_N, p->alpha, p->scale, p->is);
                CHECK(st == ELU4J_OK, "%s: %s", iname, elu4j_status_name(st));
                long bad = 0;
                for (uint32_t i = 0; i < MAX_N; i++) {
                    if (g_got[i] != g_expect[i] && bad++ < 5) {
                        CHECK(0, "%s %s %s: %04x -> %04x, portable %04x", p->name, k_half_names[di],
                              iname, i, g_got[i], g_expect[i]);
                    }
                }
                CHECK(bad == 0, "%s %s %s: %ld patterns differ from portable", p->name,
                      k_half_names[di], iname, bad);
                /* the f32 call of the same level on the widened inputs, rounded here */
                st = isa < 0 ? elu4j_forward(p->fn, ELU4J_DT_F32, g_wide, g_wide_y, MAX_N, p->alpha, p->scale, p->is)
                             : forward_on(isa, p->fn, ELU4J_DT_F32, g_wide, g_wide_y, MAX_N, p->alpha, p->scale, p->is);
                CHECK(st == ELU4J_OK, "f32: %s", elu4j_status_name(st));
                bad = 0;
                for (uint32_t i = 0; i < MAX_N; i++) {
                    const uint16_t want = narrow(dt, g_wide_y[i]);
                    if (g_got[i] != want && bad++ < 5) {
                        CHECK(0, "%s %s %s: %04x -> %04x, f32 result %a rounds to %04x", p->name,
                              k_half_names[di], iname, i, g_got[i], g_wide_y[i], want);
                    }
                }
                CHECK(bad == 0, "%s %s %s: %ld patterns differ from the rounded f32 result", p->name,
                      k_half_names[di], iname, bad);
            }
        }
    }
}

/* --- lengths, offsets, in place ------------------------------------------------------------- */

static unsigned char g_src[BLOCK], g_dst[BLOCK], g_ref[2 * MAX_N], g_exp[2 * MAX_N];

static void check_layouts(void)
{
    static size_t sizes[33 + 12];
    size_t n_sizes = 0;
    for (size_t n = 1; n <= 33; n++) {
        sizes[n_sizes++] = n;
    }
    static const size_t more[] = {63, 64, 65, 95, 96, 97, 127, 128, 129, 1000, 4099};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        sizes[n_sizes++] = more[i];
    }
    uint64_t st = 2024;
    for (size_t i = 0; i < MAX_N; i++) {
        /* random patterns, one in 8 from the specials (zeros, infinities, NaNs, subnormals) */
        static const uint16_t sp[] = {0x0000, 0x8000, 0x7F80, 0xFF80, 0x7C00, 0xFC00, 0x7FC1,
                                      0xFF81, 0x7E01, 0x7C01, 0x0001, 0x8001, 0x83FF, 0xC2B0};
        const uint32_t r = rng_next(&st);
        const uint16_t h = (r & 7) == 0 ? sp[(r >> 3) % (sizeof sp / sizeof sp[0])] : (uint16_t)(r >> 16);
        memcpy(g_ref + 2 * i, &h, 2);
    }
    for (int pi = 0; pi < N_PARAMS; pi++) {
        const params *p = &k_params[pi];
        for (int di = 0; di < 2; di++) {
            const int dt = k_half[di];
            for (size_t si = 0; si < n_sizes; si++) {
                const size_t n = sizes[si], bytes = 2 * n;
                int s = forward_on(ELU4J_ISA_PORTABLE, p->fn, dt, g_ref, g_exp, n, p->alpha, p->scale, p->is);
                CHECK(s == ELU4J_OK, "portable: %s", elu4j_status_name(s));
                for (int ii = 0; ii < N_ISAS; ii++) {
                    const int isa = k_all_isas[ii];
                    if (!elu4j_isa_supported(isa)) {
                        continue;
                    }
                    /* layout: 0..3 out of place (src offset, dst offset in {0, 1}), 4..5 in place */
                    for (int lay = 0; lay < 6; lay++) {
                        const size_t doff = lay < 4 ? (size_t)(lay & 1) : (size_t)(lay - 4);
                        const size_t soff = lay < 4 ? (size_t)(lay >> 1) : doff;
                        const int in_place = lay >= 4;
                        memset(g_dst, GUARD_BYTE, SPAN(bytes));
                        unsigned char *d = g_dst + GUARD + doff;
                        const unsigned char *src = d;
                        if (in_place) {
                            memcpy(d, g_ref, bytes);
                        } else {
                            memset(g_src, 0x5A, SPAN(bytes));
                            memcpy(g_src + GUARD + soff, g_ref, bytes);
                            src = g_src + GUARD + soff;
                        }
                        s = forward_on(isa, p->fn, dt, src, d, n, p->alpha, p->scale, p->is);
                        CHECK(s == ELU4J_OK, "%s: %s", elu4j_isa_name(isa), elu4j_status_name(s));
                        CHECK(memcmp(d, g_exp, bytes) == 0,
                              "%s %s %s n=%zu src+%zu dst+%zu in_place=%d: not the portable bits", p->name,
                              k_half_names[di], elu4j_isa_name(isa), n, soff, doff, in_place);
                        CHECK(guards_ok(g_dst, SPAN(bytes), GUARD + doff, bytes),
                              "%s %s %s n=%zu dst+%zu: guard bytes written", p->name, k_half_names[di],
                              elu4j_isa_name(isa), n, doff);
                        if (!in_place) {
                            CHECK(memcmp(src, g_ref, bytes) == 0, "%s n=%zu: source changed", p->name, n);
                        }
                    }
                }
                /* the parallel entry point, at an odd offset */
                for (int threads = 0; threads <= 3; threads++) {
                    memset(g_dst, GUARD_BYTE, SPAN(bytes));
                    memcpy(g_src + GUARD + 1, g_ref, bytes);
                    s = elu4j_forward_mt(p->fn, dt, g_src + GUARD + 1, g_dst + GUARD + 1, n, p->alpha,
                                         p->scale, p->is, threads);
                    CHECK(s == ELU4J_OK, "mt: %s", elu4j_status_name(s));
                    CHECK(memcmp(g_dst + GUARD + 1, g_exp, bytes) == 0, "%s %s mt(%d) n=%zu: not the portable bits",
                          p->name, k_half_names[di], threads, n);
                    CHECK(guards_ok(g_dst, SPAN(bytes), GUARD + 1, bytes), "mt: guard bytes written");
                }
            }
        }
    }
}

/* --- the backward ---------------------------------------------------------------------------- */

/* The backward from y is defined for these (elu4j_backward: the invertible forms). */
static int from_dst_defined(const params *p)
{
    return p->fn == ELU4J_FN_RELU || (p->fn == ELU4J_FN_LEAKY_RELU && p->alpha >= 0) ||
           (p->fn == ELU4J_FN_ELU && p->alpha >= 0 && p->scale > 0 && p->is > 0);
}

/* An ordinary half: uniform in [lo, hi), one in 16 from the specials of the backward (zeros: zero
   results, -1: y = -coef for ELU(1), subnormals, infinities, NaN). */
static uint16_t ordinary(int dt, uint64_t *st, float lo, float hi)
{
    static const float sp[] = {0.0f, -0.0f, -1.0f, 0x1p-140f, -0x1p-20f, INFINITY, -INFINITY, NAN};
    const uint32_t r = rng_next(st);
    const float f = (r & 15) == 0 ? sp[(r >> 4) % (sizeof sp / sizeof sp[0])] : rng_uniform(st, lo, hi);
    return narrow(dt, f);
}

static uint16_t g_dy[MAX_N], g_data[MAX_N];
static float g_wdy[MAX_N], g_wdata[MAX_N];

/* Each level against the portable level and against its own f32 backward, rounded here. */
static void check_bwd_patterns(void)
{
    uint64_t st = 77;
    for (int pi = 0; pi < N_PARAMS; pi++) {
        const params *p = &k_params[pi];
        for (int di = 0; di < 2; di++) {
            const int dt = k_half[di];
            for (int sweep = 0; sweep < 2; sweep++) { /* 0: every pattern as dy, 1: as the data */
                for (int from_dst = 0; from_dst < 2; from_dst++) {
                    if (from_dst && !from_dst_defined(p)) {
                        continue;
                    }
                    for (uint32_t i = 0; i < MAX_N; i++) {
                        g_dy[i] = sweep == 0 ? (uint16_t)i : ordinary(dt, &st, -4.0f, 4.0f);
                        g_data[i] = sweep == 1 ? (uint16_t)i : ordinary(dt, &st, -8.0f, 4.0f);
                    }
                    if (from_dst && sweep == 0) { /* data: the forward's y of ordinary x */
                        int s = forward_on(ELU4J_ISA_PORTABLE, p->fn, dt, g_data, g_data, MAX_N, p->alpha,
                                           p->scale, p->is);
                        CHECK(s == ELU4J_OK, "forward: %s", elu4j_status_name(s));
                    }
                    for (uint32_t i = 0; i < MAX_N; i++) {
                        g_wdy[i] = widen(dt, g_dy[i]);
                        g_wdata[i] = widen(dt, g_data[i]);
                    }
                    int s = backward_on(ELU4J_ISA_PORTABLE, p->fn, dt, from_dst, g_dy, g_data, g_expect,
                                        MAX_N, p->alpha, p->scale, p->is);
                    CHECK(s == ELU4J_OK, "portable backward: %s", elu4j_status_name(s));
                    for (int ii = -1; ii < N_ISAS; ii++) {
                        const int isa = ii < 0 ? -1 : k_all_isas[ii];
                        if (isa >= 0 && !elu4j_isa_supported(isa)) {
                            continue;
                        }
                        const char *iname = isa < 0 ? "best" : elu4j_isa_name(isa);
                        s = isa < 0 ? elu4j_backward(p->fn, dt, from_dst, g_dy, g_data, g_got, MAX_N, p->alpha, p->scale, p->is)
                                    : backward_on(isa, p->fn, dt, from_dst, g_dy, g_data, g_got, MAX_N, p->alpha, p->scale, p->is);
                        CHECK(s == ELU4J_OK, "%s backward: %s", iname, elu4j_status_name(s));
                        long bad = 0;
                        for (uint32_t i = 0; i < MAX_N; i++) {
                            if (g_got[i] != g_expect[i] && bad++ < 5) {
                                CHECK(0, "%s %s %s bwd(%s) dy %04x data %04x -> %04x, portable %04x", p->name,
                                      k_half_names[di], iname, from_dst ? "y" : "x", g_dy[i], g_data[i],
                                      g_got[i], g_expect[i]);
                            }
                        }
                        CHECK(bad == 0, "%s %s %s bwd(%s) sweep %d: %ld differ from portable", p->name,
                              k_half_names[di], iname, from_dst ? "y" : "x", sweep, bad);
                        s = isa < 0 ? elu4j_backward(p->fn, ELU4J_DT_F32, from_dst, g_wdy, g_wdata, g_wide_y, MAX_N, p->alpha, p->scale, p->is)
                                    : backward_on(isa, p->fn, ELU4J_DT_F32, from_dst, g_wdy, g_wdata, g_wide_y, MAX_N, p->alpha, p->scale, p->is);
                        CHECK(s == ELU4J_OK, "f32 backward: %s", elu4j_status_name(s));
                        bad = 0;
                        for (uint32_t i = 0; i < MAX_N; i++) {
                            const uint16_t want = narrow(dt, g_wide_y[i]);
                            if (g_got[i] != want && bad++ < 5) {
                                CHECK(0, "%s %s %s bwd(%s) dy %04x data %04x -> %04x, f32 result %a rounds to %04x",
                                      p->name, k_half_names[di], iname, from_dst ? "y" : "x", g_dy[i], g_data[i],
                                      g_got[i], g_wide_y[i], want);
                            }
                        }
                        CHECK(bad == 0, "%s %s %s bwd(%s) sweep %d: %ld differ from the rounded f32 result",
                              p->name, k_half_names[di], iname, from_dst ? "y" : "x", sweep, bad);
                    }
                }
            }
        }
    }
}

/*
 * From y, every bit pattern as dy against tiny negative y, where coef + y is not exact in f32
 * (the pairs' low part sl is not zero): a result there can differ from dy * (coef + y) rounded
 * from coef + y rounded in one f32 ulp, which the narrowing shows only next to a tie, so random
 * dy rarely meets it (e.g. ELU(1.5), dy = 1 + 2^-7, y = -2^-24: 1.5 dy is a bf16 tie).
 */
static void check_bwd_tiny_y(void)
{
    static const float tiny[] = {-0x1p-24f, -0x1.02p-24f, -0x1p-25f, -0x1.fep-20f,
                                 -0x1.8p-23f, -0x1p-30f, -0x1.2p-40f, -0x1p-17f};
    const int n_tiny = (int)(sizeof tiny / sizeof tiny[0]);
    for (int pi = 0; pi < N_PARAMS; pi++) {
        const params *p = &k_params[pi];
        if (!from_dst_defined(p)) {
            continue;
        }
        for (int di = 0; di < 2; di++) {
            const int dt = k_half[di];
            for (int ti = 0; ti < n_tiny; ti++) {
                for (uint32_t i = 0; i < MAX_N; i++) {
                    g_dy[i] = (uint16_t)i;
                    g_data[i] = narrow(dt, tiny[ti]);
                }
                int s = backward_on(ELU4J_ISA_PORTABLE, p->fn, dt, 1, g_dy, g_data, g_expect, MAX_N,
                                    p->alpha, p->scale, p->is);
                CHECK(s == ELU4J_OK, "portable backward: %s", elu4j_status_name(s));
                for (int ii = -1; ii < N_ISAS; ii++) {
                    const int isa = ii < 0 ? -1 : k_all_isas[ii];
                    if (isa >= 0 && !elu4j_isa_supported(isa)) {
                        continue;
                    }
                    const char *iname = isa < 0 ? "best" : elu4j_isa_name(isa);
                    s = isa < 0 ? elu4j_backward(p->fn, dt, 1, g_dy, g_data, g_got, MAX_N, p->alpha, p->scale, p->is)
                                : backward_on(isa, p->fn, dt, 1, g_dy, g_data, g_got, MAX_N, p->alpha, p->scale, p->is);
                    CHECK(s == ELU4J_OK, "%s backward: %s", iname, elu4j_status_name(s));
                    long bad = 0;
                    for (uint32_t i = 0; i < MAX_N; i++) {
                        if (g_got[i] != g_expect[i] && bad++ < 5) {
                            CHECK(0, "%s %s %s bwd(y) dy %04x y %04x -> %04x, portable %04x", p->name,
                                  k_half_names[di], iname, g_dy[i], g_data[i], g_got[i], g_expect[i]);
                        }
                    }
                    CHECK(bad == 0, "%s %s %s bwd(y) tiny y %a: %ld differ from portable", p->name,
                          k_half_names[di], iname, (double)tiny[ti], bad);
                }
            }
        }
    }
}

static unsigned char g_bdy[BLOCK], g_bdata[BLOCK], g_rdy[2 * MAX_N], g_rdata[2 * MAX_N];

/* Sizes, byte offsets of dy, the data and dx, in place, guard bytes. */
static void check_bwd_layouts(void)
{
    static const size_t sizes[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,   10,  11,  12,  13,  14,  15,   16,  17,
                                   18, 19, 20, 21, 22, 23, 24, 25, 26,  27,  28,  29,  30,  31,  32,   33,  47,
                                   48, 49, 63, 64, 65, 95, 96, 97, 127, 128, 129, 1000, 4099};
    uint64_t st = 99;
    for (int pi = 0; pi < N_PARAMS; pi++) {
        const params *p = &k_params[pi];
        for (int di = 0; di < 2; di++) {
            const int dt = k_half[di];
            for (size_t i = 0; i < MAX_N; i++) {
                const uint16_t g = ordinary(dt, &st, -4.0f, 4.0f), d = ordinary(dt, &st, -8.0f, 4.0f);
                memcpy(g_rdy + 2 * i, &g, 2);
                memcpy(g_rdata + 2 * i, &d, 2);
            }
            for (int from_dst = 0; from_dst < 2; from_dst++) {
                if (from_dst && !from_dst_defined(p)) {
                    continue;
                }
                for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
                    const size_t n = sizes[si], bytes = 2 * n;
                    int s = backward_on(ELU4J_ISA_PORTABLE, p->fn, dt, from_dst, g_rdy, g_rdata, g_exp, n,
                                        p->alpha, p->scale, p->is);
                    CHECK(s == ELU4J_OK, "portable: %s", elu4j_status_name(s));
                    for (int ii = 0; ii < N_ISAS; ii++) {
                        const int isa = k_all_isas[ii];
                        if (!elu4j_isa_supported(isa)) {
                            continue;
                        }
                        /* layout: 0..7 out of place (dy, data, dx offsets in {0, 1}), 8..9 in place */
                        for (int lay = 0; lay < 10; lay++) {
                            const int in_place = lay >= 8;
                            const size_t doff = in_place ? (size_t)(lay - 8) : (size_t)(lay & 1);
                            const size_t goff = in_place ? doff : (size_t)((lay >> 1) & 1);
                            const size_t aoff = in_place ? 1 - doff : (size_t)(lay >> 2);
                            memset(g_dst, GUARD_BYTE, SPAN(bytes));
                            unsigned char *dx = g_dst + GUARD + doff;
                            const unsigned char *dy = dx;
                            if (in_place) {
                                memcpy(dx, g_rdy, bytes);
                            } else {
                                memset(g_bdy, 0x5A, SPAN(bytes));
                                memcpy(g_bdy + GUARD + goff, g_rdy, bytes);
                                dy = g_bdy + GUARD + goff;
                            }
                            memset(g_bdata, 0x5A, SPAN(bytes));
                            memcpy(g_bdata + GUARD + aoff, g_rdata, bytes);
                            s = backward_on(isa, p->fn, dt, from_dst, dy, g_bdata + GUARD + aoff, dx, n,
                                            p->alpha, p->scale, p->is);
                            CHECK(s == ELU4J_OK, "%s: %s", elu4j_isa_name(isa), elu4j_status_name(s));
                            CHECK(memcmp(dx, g_exp, bytes) == 0,
                                  "%s %s %s bwd(%s) n=%zu dy+%zu data+%zu dx+%zu in_place=%d: not the portable bits",
                                  p->name, k_half_names[di], elu4j_isa_name(isa), from_dst ? "y" : "x", n, goff,
                                  aoff, doff, in_place);
                            CHECK(guards_ok(g_dst, SPAN(bytes), GUARD + doff, bytes),
                                  "%s %s %s bwd n=%zu dx+%zu: guard bytes written", p->name, k_half_names[di],
                                  elu4j_isa_name(isa), n, doff);
                            CHECK(memcmp(g_bdata + GUARD + aoff, g_rdata, bytes) == 0, "%s n=%zu: data changed",
                                  p->name, n);
                            if (!in_place) {
                                CHECK(memcmp(dy, g_rdy, bytes) == 0, "%s n=%zu: dy changed", p->name, n);
                            }
                        }
                    }
                }
            }
        }
    }
}

int main(void)
{
    check_all_patterns();
    check_layouts();
    check_bwd_patterns();
    check_bwd_tiny_y();
    check_bwd_layouts();
    return test_summary("test_half");
}
