/*
 * elu4j native tests (h): the whole family, elu4j_forward / elu4j_backward / elu4j_forward_mt.
 *
 * Every function (ELU with several parameter sets: fast and double-evaluated ELU, SELU, CELU, a
 * general scaled form, negative and unusual parameters; ReLU; LeakyReLU) x dtype (f32, f64, bf16,
 * f16) x direction (forward, backward from src, backward from dst where defined) x ISA (each level
 * pinned in turn with elu4j_pin_isa; single-threaded but for elu4j_forward_mt's own workers):
 *   - against a reference computed here in long double (expm1l/expl), not by the library:
 *     f32 forward <= 1 ulp, f64 forward <= 3 and backward <= 4 double ulps (of the exact function
 *     of t = x * input_scale rounded to double, as computed), f32 backward <= 2 ulps
 *     (from dst: or an absolute error below 2^-45 |dy * input_scale * coef|, where y + coef
 *     cancels); bf16/f16 exactly the f32 result (of the library) rounded to nearest even by this
 *     test's own conversion, NaN as a quiet NaN of the same sign;
 *   - specials: +-0 (sign rule of Op), +-inf, NaN payloads (forward keeps the bits), subnormals,
 *     -88 ... -104 and around the clamps;
 *   - ELU whose alpha * scale is a power of two (input scale 1): the backward from dst correctly
 *     rounded (the helper's one-fma form), on every level;
 *   - all ISAs bit-identical to portable; unpinned calls equal to the pinned best level;
 *     elu4j_forward_mt equal to the serial call (thread counts 0, 1, 2, 3);
 *   - awkward sizes (0, 1, 7, 15, 16, 17, 1023, 1025, 65537), byte offsets 0..3 (1..7 for f64),
 *     in place, guard bytes around the destination untouched;
 *   - status codes: unknown function/dtype, NULL, non-finite parameters, from_dst where it is
 *     undefined, overlaps (forward and backward rules), n == 0, impossible ranges; the
 *     destination untouched on every error.
 * Prints the largest error seen per function and dtype (the accuracy figures of the README).
 */
#include "test_util.h"

#include <float.h>

#define MAXN 65537
#define PAD 64

typedef struct params {
    const char *name;
    int fn;
    double alpha, scale, is;
} params;

static const params k_params[] = {
    {"elu(1)", ELU4J_FN_ELU, 1.0, 1.0, 1.0},
    {"elu(0.5)", ELU4J_FN_ELU, 0.5, 1.0, 1.0},
    {"elu(1.5)", ELU4J_FN_ELU, 1.5, 1.0, 1.0},
    {"elu(-2)", ELU4J_FN_ELU, -2.0, 1.0, 1.0},
    {"elu(0)", ELU4J_FN_ELU, 0.0, 1.0, 1.0},
    {"selu", ELU4J_FN_ELU, 1.6732632423543772, 1.0507009873554805, 1.0},
    {"celu(2)", ELU4J_FN_ELU, 2.0, 1.0, 0.5},
    {"celu(0.3)", ELU4J_FN_ELU, 0.3, 1.0, 1.0 / 0.3},
    {"elu(0.7,1.3,2.5)", ELU4J_FN_ELU, 0.7, 1.3, 2.5},
    {"elu(1,-1,1)", ELU4J_FN_ELU, 1.0, -1.0, 1.0},
    {"elu(0.25,2,-0.5)", ELU4J_FN_ELU, 0.25, 2.0, -0.5},
    {"elu(1,1,-1.1)", ELU4J_FN_ELU, 1.0, 1.0, -1.1}, /* an inexact negative input scale: the f64 carry */
    {"elu(1e-30,1e20,40)", ELU4J_FN_ELU, 1e-30, 1e20, 40.0},
    {"relu", ELU4J_FN_RELU, 0.0, 1.0, 1.0},
    {"leaky(0.01)", ELU4J_FN_LEAKY_RELU, 0.01, 1.0, 1.0},
    {"leaky(-0.3)", ELU4J_FN_LEAKY_RELU, -0.3, 1.0, 1.0},
    {"leaky(0.25)", ELU4J_FN_LEAKY_RELU, 0.25, 1.0, 1.0}, /* a float slope: one multiply (sNaN kept?) */
    {"elu(0.5,1,3)", ELU4J_FN_ELU, 0.5, 1.0, 3.0}, /* scale 1, a linear range that is not x */
};
#define N_PARAMS ((int)(sizeof k_params / sizeof k_params[0]))

static const int k_dtypes[] = {ELU4J_DT_F32, ELU4J_DT_F64, ELU4J_DT_BF16, ELU4J_DT_F16};
static const char *const k_dt_names[] = {"f32", "f64", "bf16", "f16"};

/* --- reference conversions (the test's own) ------------------------------------------------- */

static float bf16_to_f(uint16_t h)
{
    return float_of((uint32_t)h << 16);
}

static uint16_t f_to_bf16(float f)
{
    const uint32_t b = bits_of(f);
    if (isnan(f)) {
        return (uint16_t)((b >> 16) | 0x40u);
    }
    return (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

static float f16_to_f(uint16_t h)
{
    const int e = (h >> 10) & 0x1F, m = h & 0x3FF;
    float v;
    if (e == 0x1F) {
        v = m ? NAN : INFINITY;
    } else if (e == 0) {
        v = ldexpf((float)m, -24);
    } else {
        v = ldexpf((float)(m | 0x400), e - 25);
    }
    return (h & 0x8000) ? -v : v;
}

/* Round to nearest even, by exhaustive comparison with the neighbours (slow but obviously right). */
static uint16_t f_to_f16(float f)
{
    const uint16_t sign = signbit(f) ? 0x8000 : 0;
    if (isnan(f)) {
        return 0; /* not used: NaN is checked separately */
    }
    const double a = fabs((double)f);
    if (a >= 65520.0) {
        return sign | 0x7C00;
    }
    /* candidate below: largest h with value <= a */
    uint16_t lo = (uint16_t)0;
    uint16_t hi_b = 0x7BFF;
    while (lo < hi_b) { /* binary search on the monotonic positive patterns */
        const uint16_t mid = (uint16_t)((lo + hi_b + 1) / 2);
        if ((double)f16_to_f(mid) <= a) {
            lo = mid;
        } else {
            hi_b = (uint16_t)(mid - 1);
        }
    }
    const double vlo = f16_to_f(lo), vhi = f16_to_f((uint16_t)(lo + 1));
    uint16_t r;
    if (a - vlo < vhi - a) {
        r = lo;
    } else if (a - vlo > vhi - a) {
        r = (uint16_t)(lo + 1);
    } else {
        r = (lo & 1) ? (uint16_t)(lo + 1) : lo;
    }
    return sign | r;
}

/* --- reference functions in long double ------------------------------------------------------ */

/*
 * The references take the exact t = x * input_scale: the f64 forward and the backward from the
 * input add the product's rounding error back (the forward where the input scale is negative,
 * where e^t multiplies that error by t; with a positive one, t <= 0 on the negative side and the
 * error stays below an ulp of the result). g_round_t (t rounded to double first) remains for the
 * f64 backward from the output's y. f32 results are checked against the exact function of the
 * exact t.
 */
static int g_round_t;

static long double mul_t(long double x, double is)
{
    return g_round_t ? (long double)((double)x * is) : x * (long double)is;
}

static long double ref_fwd(const params *p, long double x)
{
    switch (p->fn) {
    case ELU4J_FN_RELU:
        return x > 0 ? x : 0.0L;
    case ELU4J_FN_LEAKY_RELU:
        return x > 0 ? x : (long double)p->alpha * x;
    default: {
        if (x > 0) {
            return (long double)p->scale * x;
        }
        const long double t = mul_t(x, p->is);
        const long double coef = (long double)p->alpha * (long double)p->scale;
        if (t == 0) {
            return coef * t;
        }
        return coef * expm1l(t);
    }
    }
}

static long double ref_bwd(const params *p, int from_dst, long double dy, long double d)
{
    switch (p->fn) {
    case ELU4J_FN_RELU:
        return d <= 0 ? 0.0L : dy; /* PyTorch threshold_backward: NaN d passes dy */
    case ELU4J_FN_LEAKY_RELU:
        return d > 0 ? dy : (long double)p->alpha * dy;
    default: {
        const long double coef = (long double)p->alpha * (long double)p->scale;
        if (d > 0) {
            return dy * (long double)p->scale;
        }
        if (from_dst) {
            /* y + alpha * scale with the product's low part: exact where y is near -alpha * scale */
            const double chi = p->alpha * p->scale;
            const double clo = fma(p->alpha, p->scale, -chi);
            return dy * (long double)p->is * ((d + chi) + clo);
        }
        /* exact t: the kernels correct exp for the rounding of x*is (see kernels_impl.h) */
        return dy * coef * (long double)p->is * expl(d * (long double)p->is);
    }
    }
}

/*
 * An infinite dy: the result must be dy times the factor's signed infinity, or 0 where the factor
 * is a select's exact 0 (ReLU), or NaN where the exact product is NaN; NaN is also accepted where
 * the factor is 0 in the kernel's precision though not exactly (f64 = 0: float): exp below the
 * normal range from the input, y + alpha * scale within a few ulps of alpha * scale's rounding from
 * the output, or the factor itself below the normal range.
 */
static int inf_dy_ok(const params *p, int from_dst, int f64, long double g, long double d, double r)
{
    const long double ref = ref_bwd(p, from_dst, g, d);
    if (isnan((double)ref)) {
        return isnan(r);
    }
    if (ref == 0) {
        return r == 0;
    }
    if (isinf(r)) {
        return signbit(r) == signbit((double)ref);
    }
    if (!isnan(r) || p->fn != ELU4J_FN_ELU || d > 0) {
        return 0;
    }
    const long double normal = f64 ? DBL_MIN : FLT_MIN;
    const long double c = (long double)p->alpha * (long double)p->scale;
    if (fabsl(ref_bwd(p, from_dst, 1.0L, d)) < normal) {
        return 1;
    }
    if (from_dst) {
        return fabsl(d + c) <= 4.0L * (f64 ? DBL_EPSILON : FLT_EPSILON) * fabsl(c);
    }
    return expl(d * (long double)p->is) < normal || fabsl(c * (long double)p->is) * expl(d * (long double)p->is) < normal;
}

static int from_dst_defined(const params *p)
{
    return p->fn == ELU4J_FN_RELU || (p->fn == ELU4J_FN_LEAKY_RELU && p->alpha >= 0) ||
           (p->fn == ELU4J_FN_ELU && p->alpha >= 0 && p->scale > 0 && p->is > 0);
}

/* Distance in double ulps between got and the long double reference (both finite). */
static double ulps_d(double got, long double ref)
{
    if (got == ref) {
        return 0;
    }
    const double r = (double)ref;
    int e;
    if (r == 0 || !isfinite(r)) {
        return isinf(r) && got == r ? 0 : 1e30;
    }
    frexp(r, &e);
    int ue = e - 53;
    if (ue < -1074) {
        ue = -1074;
    }
    return (double)(fabsl((long double)got - ref) / ldexpl(1.0L, ue));
}

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* --- inputs --------------------------------------------------------------------------------- */

static float g_in32[MAXN], g_dy32[MAXN];
static double g_in64[MAXN], g_dy64[MAXN];

static void make_inputs(void)
{
    static const uint32_t specials[] = {
        0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00001u,
        0x7f800001u, 0xff812345u, 0x00000001u, 0x80000001u, 0x807fffffu, 0x80800000u,
        0xc2b00000u /* -88 */, 0xc2d00000u /* -104 */, 0xc2c80000u, 0xc2b20000u, 0xbf800000u,
        0xb3000002u, 0xb45db3d8u, 0xc18aa123u /* -17.33 */, 0x42b17218u, 0xc2700000u /* -60 */,
        0x3f800000u, 0x477fe000u, 0x477ff000u, 0x387fc000u, 0xb87fc000u, 0x33800000u,
        /* the linear range's edge x = -lin (elu4j_general) and its neighbours: celu(0.3), celu(2) */
        0xaa999999u, 0xaa99999au, 0xaa99999bu, 0xabffffffu, 0xac000000u, 0xac000001u,
        /* where scale * x overflows the float range for the scales here (1, SELU's 1.0507, 1.3, 2,
           1e20, -1) and their neighbours: FLT_MAX, 1.5 * 2^127, 2^127, FLT_MAX / 1.0507, and -FLT_MAX */
        0x7f7fffffu, 0x7f7ffffeu, 0x7f400000u, 0x7f000000u, 0x7f733333u, 0x7f733334u, 0xff7fffffu};
    const size_t ns = sizeof specials / sizeof specials[0];
    uint64_t st = 77;
    for (size_t i = 0; i < MAXN; i++) {
        const uint32_t r = rng_next(&st);
        float x;
        if (i < ns) {
            x = float_of(specials[i]);
        } else if (r % 11 == 0) {
            x = float_of(specials[(r >> 8) % ns]);
        } else if (r % 11 == 1) {
            x = -88.0f - 16.0f * (float)(rng_next(&st) >> 8) * 0x1p-24f; /* -88 ... -104 */
        } else if (r % 11 == 2) {
            x = float_of(0x80000000u | (rng_next(&st) & 0x3fffffffu)); /* negative, any size */
        } else {
            x = rng_uniform(&st, -20.0f, 5.0f);
        }
        g_in32[i] = x;
        g_dy32[i] = rng_uniform(&st, -3.0f, 3.0f);
        if (i >= ns && r % 13 == 5) { /* special gradients: zeros (sparse), huge, infinite, NaN */
            static const uint32_t gs[] = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u,
                                          0x7fc00000u, 0x60000000u /* 2^65 */, 0xe8000000u,
                                          0x00000007u, 0x7f7fffffu, 0x5f800000u /* 2^64 */};
            g_dy32[i] = float_of(gs[(r >> 8) % (sizeof gs / sizeof gs[0])]);
        }
        double xd;
        if (i < ns) {
            xd = (double)x; /* a signalling NaN becomes quiet: the f64 ones are set below */
        } else if (r % 7 == 0) {
            xd = -40.0 - 700.0 * (double)rng_next(&st) / 4294967296.0; /* exp's subnormal edge too */
        } else {
            xd = (double)x + (double)(rng_next(&st) >> 1) * 0x1p-55 * (double)x;
        }
        g_in64[i] = xd;
        g_dy64[i] = (double)g_dy32[i] * (1.0 + 0x1p-30 * (double)(r & 0xffff));
    }
    /* f64 signalling NaNs (the float ones above come out of the conversion quiet) */
    static const uint64_t snan64[] = {0x7ff0000000000001ull, 0xfff0000000012345ull, 0x7ff4000000000000ull};
    for (size_t k = 0; k < sizeof snan64 / sizeof snan64[0]; k++) {
        memcpy(&g_in64[ns + k], &snan64[k], 8);
    }
    g_dy32[0] = 1.0f; /* some simple gradients next to the specials */
    g_dy64[0] = 1.0;
}

/* Element i of dtype dt from the inputs (x or dy). */
static void put(int dt, void *buf, size_t i, int grad)
{
    const float f = grad ? g_dy32[i] : g_in32[i];
    switch (dt) {
    case ELU4J_DT_F32:
        memcpy((char *)buf + 4 * i, &f, 4);
        break;
    case ELU4J_DT_F64: {
        const double d = grad ? g_dy64[i] : g_in64[i];
        memcpy((char *)buf + 8 * i, &d, 8);
        break;
    }
    case ELU4J_DT_BF16: {
        const uint16_t h = f_to_bf16(f);
        memcpy((char *)buf + 2 * i, &h, 2);
        break;
    }
    default: {
        const uint32_t b = bits_of(f);
        uint16_t h = isnan(f) ? (uint16_t)(((b >> 16) & 0x8000u) | 0x7E00u | ((b >> 13) & 0x3FFu))
                              : f_to_f16(f);
        memcpy((char *)buf + 2 * i, &h, 2);
        break;
    }
    }
}

static float get_f(int dt, const void *buf, size_t i)
{
    if (dt == ELU4J_DT_F32) {
        float f;
        memcpy(&f, (const char *)buf + 4 * i, 4);
        return f;
    }
    uint16_t h;
    memcpy(&h, (const char *)buf + 2 * i, 2);
    return dt == ELU4J_DT_BF16 ? bf16_to_f(h) : f16_to_f(h);
}

/* --- accuracy ------------------------------------------------------------------------------- */

static double g_max_fwd[N_PARAMS][4], g_max_bwd[N_PARAMS][2][4];

/* A 16-bit result h must be the f32 result f rounded by this test (NaN: quiet, same sign). */
static int half_matches(int dt, uint16_t h, float f)
{
    if (isnan(f)) {
        const int nan = dt == ELU4J_DT_BF16 ? ((h & 0x7F80) == 0x7F80 && (h & 0x7F) != 0 && (h & 0x40))
                                            : ((h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0 && (h & 0x200));
        return nan && ((h & 0x8000) != 0) == (signbit(f) != 0);
    }
    return h == (dt == ELU4J_DT_BF16 ? f_to_bf16(f) : f_to_f16(f));
}

static void check_accuracy(const params *p, int pi)
{
    const size_t n = MAXN;
    static unsigned char x[MAXN * 8], dy[MAXN * 8], y[MAXN * 8], y32[MAXN * 4], dx[MAXN * 8],
        dx32[MAXN * 4], x32[MAXN * 4], dy32[MAXN * 4], yy32[MAXN * 4];
    for (int di = 0; di < 4; di++) {
        const int dt = k_dtypes[di];
        for (size_t i = 0; i < n; i++) {
            put(dt, x, i, 0);
            put(dt, dy, i, 1);
        }
        int st = elu4j_forward(p->fn, dt, x, y, n, p->alpha, p->scale, p->is);
        CHECK(st == ELU4J_OK, "%s %s forward: %s", p->name, k_dt_names[di], elu4j_status_name(st));
        double worst = 0;
        if (dt == ELU4J_DT_F64) {
            for (size_t i = 0; i < n; i++) {
                double v, r;
                memcpy(&v, x + 8 * i, 8);
                memcpy(&r, y + 8 * i, 8);
                if (isnan(v)) {
                    CHECK(dbits(r) == dbits(v), "%s f64 NaN bits", p->name);
                    continue;
                }
                const long double ref = ref_fwd(p, v);
                double u;
                if (isnan((double)ref)) {
                    u = isnan(r) ? 0 : 1e30;
                } else if (ref == 0) {
                    u = (r == 0 && signbit(r) == signbit((double)ref)) ? 0 : 1e30;
                } else {
                    u = ulps_d(r, ref);
                }
                CHECK(u <= 3.0, "%s f64 forward x=%a: got %a want %La (%.2f ulp)", p->name, v, r, ref, u);
                worst = u > worst ? u : worst;
            }
        } else if (dt == ELU4J_DT_F32) {
            for (size_t i = 0; i < n; i++) {
                float v, r;
                memcpy(&v, x + 4 * i, 4);
                memcpy(&r, y + 4 * i, 4);
                if (isnan(v)) {
                    CHECK(bits_of(r) == bits_of(v), "%s f32 NaN bits %08x -> %08x", p->name, bits_of(v), bits_of(r));
                    continue;
                }
                const float ref = (float)ref_fwd(p, v);
                const uint32_t u = isnan(ref) ? (isnan(r) ? 0 : UINT32_MAX) : ulp_distance(r, ref);
                CHECK(u <= 1, "%s f32 forward x=%a (%08x): got %a want %a (%u ulp)", p->name, v, bits_of(v), r, ref, u);
                worst = u > worst ? u : worst;
            }
        } else {
            /* bf16/f16: the f32 call on the widened inputs, rounded by the test */
            for (size_t i = 0; i < n; i++) {
                const float f = get_f(dt, x, i);
                memcpy(x32 + 4 * i, &f, 4);
            }
            st = elu4j_forward(p->fn, ELU4J_DT_F32, x32, y32, n, p->alpha, p->scale, p->is);
            CHECK(st == ELU4J_OK, "f32 forward");
            for (size_t i = 0; i < n; i++) {
                uint16_t h;
                memcpy(&h, y + 2 * i, 2);
                float f;
                memcpy(&f, y32 + 4 * i, 4);
                CHECK(half_matches(dt, h, f), "%s %s forward x=%a: got %04x, f32 result %a", p->name,
                      k_dt_names[di], get_f(dt, x, i), h, f);
            }
        }
        g_max_fwd[pi][di] = worst;

        /* backward, from src and (where defined) from dst; data from dst is the forward's y */
        for (int from_dst = 0; from_dst < 2; from_dst++) {
            const unsigned char *data = from_dst ? y : x;
            st = elu4j_backward(p->fn, dt, from_dst, dy, data, dx, n, p->alpha, p->scale, p->is);
            if (from_dst && !from_dst_defined(p)) {
                CHECK(st == ELU4J_ERR_INVALID_ARGUMENT, "%s from_dst undefined: %s", p->name, elu4j_status_name(st));
                continue;
            }
            CHECK(st == ELU4J_OK, "%s %s backward: %s", p->name, k_dt_names[di], elu4j_status_name(st));
            worst = 0;
            for (size_t i = 0; i < n; i++) {
                if (dt == ELU4J_DT_F64) {
                    double g, d, r;
                    memcpy(&g, dy + 8 * i, 8);
                    memcpy(&d, data + 8 * i, 8);
                    memcpy(&r, dx + 8 * i, 8);
                    if (isinf(g)) {
                        CHECK(inf_dy_ok(p, from_dst, 1, g, d, r), "%s f64 backward(%d) dy=%a d=%a: got %a", p->name, from_dst, g, d, r);
                        continue;
                    }
                    if (fabs(g) > 0x1p64) {
                        /* a huge dy: the f64 backward is the double
                           product (dy * cis) * exp(t), the oracle's definition, whose exp(t)
                           below DBL_MIN has a large relative error that such a dy lifts back
                           into the normal range */
                        continue;
                    }
                    if (!from_dst && p->fn == ELU4J_FN_ELU && !(d > 0) && (long double)d * p->is > 709.78L) {
                        /* a negative input scale beyond e^t's double range: every backend gives
                           inf (NaN for dy = 0) there, a limit docs/accuracy.md lists */
                        continue;
                    }
                    g_round_t = 1;
                    const long double ref = ref_bwd(p, from_dst, g, d);
                    g_round_t = 0;
                    if (isnan((double)ref) || isnan(r)) {
                        CHECK(isnan((double)ref) == isnan(r), "%s f64 backward(%d) NaN dy=%a d=%a: got %a want %La", p->name, from_dst, g, d, r, ref);
                        continue;
                    }
                    double u = ref == 0 ? (r == 0 ? 0 : 1e30) : ulps_d(r, ref);
                    /* subnormal results: a few units of 2^-1074 (exp rounded twice there) */
                    if (fabsl(ref) < DBL_MIN && fabsl((long double)r - ref) <= 0x1p-1074L * (1 + 2 * fabsl((long double)g * p->alpha * p->scale * p->is))) {
                        u = 0;
                    }
                    CHECK(u <= 4.0, "%s f64 backward(%d) dy=%a d=%a: got %a want %La (%.2f ulp)", p->name,
                          from_dst, g, d, r, ref, u);
                    worst = u > worst ? u : worst;
                } else if (dt == ELU4J_DT_F32) {
                    float g, d, r;
                    memcpy(&g, dy + 4 * i, 4);
                    memcpy(&d, data + 4 * i, 4);
                    memcpy(&r, dx + 4 * i, 4);
                    if (isinf(g)) {
                        CHECK(inf_dy_ok(p, from_dst, 0, g, d, r), "%s f32 backward(%d) dy=%a d=%a: got %a", p->name, from_dst, g, d, r);
                        continue;
                    }
                    const long double refl = ref_bwd(p, from_dst, g, d);
                    const float ref = (float)refl;
                    if (isnan(ref) || isnan(r)) {
                        CHECK(isnan(ref) == isnan(r), "%s f32 backward NaN d=%a", p->name, d);
                        continue;
                    }
                    uint32_t u = ulp_distance(r, ref);
                    const long double slack = fabsl((long double)g * p->is * p->alpha * p->scale) * 0x1p-45L;
                    if (from_dst && u > 2 && fabsl((long double)r - refl) <= slack) {
                        u = 0;
                    }
                    CHECK(u <= 2, "%s f32 backward(%d) dy=%a d=%a: got %a want %a (%u ulp)", p->name,
                          from_dst, g, d, r, ref, u);
                    worst = u > worst ? u : worst;
                }
            }
            if (dt == ELU4J_DT_BF16 || dt == ELU4J_DT_F16) {
                for (size_t i = 0; i < n; i++) {
                    float f = get_f(dt, dy, i);
                    memcpy(dy32 + 4 * i, &f, 4);
                    f = get_f(dt, data, i);
                    memcpy(yy32 + 4 * i, &f, 4);
                }
                st = elu4j_backward(p->fn, ELU4J_DT_F32, from_dst, dy32, yy32, dx32, n, p->alpha, p->scale, p->is);
                CHECK(st == ELU4J_OK, "f32 backward");
                for (size_t i = 0; i < n; i++) {
                    uint16_t h;
                    memcpy(&h, dx + 2 * i, 2);
                    float f;
                    memcpy(&f, dx32 + 4 * i, 4);
                    CHECK(half_matches(dt, h, f), "%s %s backward: got %04x, f32 result %a", p->name,
                          k_dt_names[di], h, f);
                }
            }
            g_max_bwd[pi][from_dst][di] = worst;
        }
    }
}

/* --- ISAs, sizes, offsets, in place, mt ------------------------------------------------------ */

static unsigned char g_src[MAXN * 8 + PAD], g_dst[MAXN * 8 + 2 * PAD], g_dy[MAXN * 8 + PAD],
    g_expect[MAXN * 8], g_ref_in[MAXN * 8], g_ref_dy[MAXN * 8];

static void check_layouts(const params *p, const size_t *sizes, size_t n_sizes)
{
    for (int di = 0; di < 4; di++) {
        const int dt = k_dtypes[di];
        const size_t es = elu4j_dtype_size(dt);
        for (size_t i = 0; i < MAXN; i++) {
            put(dt, g_ref_in, i, 0);
            put(dt, g_ref_dy, i, 1);
        }
        for (size_t si = 0; si < n_sizes; si++) {
            const size_t n = sizes[si], bytes = n * es;
            for (int dir = 0; dir < 3; dir++) { /* forward, backward from src, from dst */
                if (dir == 2 && !from_dst_defined(p)) {
                    continue;
                }
                /* the expected bits: the portable ISA, aligned, out of place */
                int st = dir == 0 ? forward_on(ELU4J_ISA_PORTABLE, p->fn, dt, g_ref_in, g_expect, n, p->alpha, p->scale, p->is)
                                  : backward_on(ELU4J_ISA_PORTABLE, p->fn, dt, dir == 2, g_ref_dy, g_ref_in, g_expect, n, p->alpha, p->scale, p->is);
                CHECK(st == ELU4J_OK, "portable: %s", elu4j_status_name(st));
                for (int ii = -1; ii < N_ISAS; ii++) { /* -1: elu4j_forward / elu4j_backward (best) */
                    const int isa = ii < 0 ? -1 : k_all_isas[ii];
                    if (isa >= 0 && !elu4j_isa_supported(isa)) {
                        continue;
                    }
                    for (size_t off = 0; off < es; off += (es == 8 ? 3 : 1)) {
                        for (int in_place = 0; in_place < 2; in_place++) {
                            memset(g_dst, GUARD_BYTE, bytes + 2 * PAD);
                            unsigned char *d = g_dst + PAD + off;
                            const unsigned char *s;
                            if (in_place) {
                                /* forward: src == dst; backward: diff_src == diff_dst */
                                memcpy(d, dir == 0 ? g_ref_in : g_ref_dy, bytes);
                                s = d;
                            } else {
                                memcpy(g_src + (off * 3) % 8, dir == 0 ? g_ref_in : g_ref_dy, bytes);
                                s = g_src + (off * 3) % 8;
                            }
                            if (dir == 0) {
                                st = isa < 0 ? elu4j_forward(p->fn, dt, s, d, n, p->alpha, p->scale, p->is)
                                             : forward_on(isa, p->fn, dt, s, d, n, p->alpha, p->scale, p->is);
                            } else {
                                memcpy(g_dy + 1, g_ref_in, bytes); /* data, at an odd offset */
                                st = isa < 0 ? elu4j_backward(p->fn, dt, dir == 2, s, g_dy + 1, d, n, p->alpha, p->scale, p->is)
                                             : backward_on(isa, p->fn, dt, dir == 2, s, g_dy + 1, d, n, p->alpha, p->scale, p->is);
                            }
                            CHECK(st == ELU4J_OK, "%s %s isa %d: %s", p->name, k_dt_names[di], isa, elu4j_status_name(st));
                            CHECK(memcmp(d, g_expect, bytes) == 0, "%s %s dir %d isa %s n=%zu off=%zu in_place=%d: not the portable bits",
                                  p->name, k_dt_names[di], dir, isa < 0 ? "best" : elu4j_isa_name(isa), n, off, in_place);
                            CHECK(guards_ok(g_dst, bytes + 2 * PAD, PAD + off, bytes), "%s: guard bytes changed", p->name);
                        }
                    }
                }
                if (dir == 0) {
                    /* the parallel forward: the serial bits for every thread count */
                    static const int threads[] = {0, 1, 2, 3};
                    for (size_t ti = 0; ti < sizeof threads / sizeof threads[0]; ti++) {
                        memset(g_dst, GUARD_BYTE, bytes + 2 * PAD);
                        memcpy(g_src + 2, g_ref_in, bytes);
                        st = elu4j_forward_mt(p->fn, dt, g_src + 2, g_dst + PAD + 2, n, p->alpha, p->scale, p->is, threads[ti]);
                        CHECK(st == ELU4J_OK, "mt: %s", elu4j_status_name(st));
                        CHECK(memcmp(g_dst + PAD + 2, g_expect, bytes) == 0, "%s %s mt(%d) n=%zu differs from serial", p->name,
                              k_dt_names[di], threads[ti], n);
                        CHECK(guards_ok(g_dst, bytes + 2 * PAD, PAD + 2, bytes), "mt guard bytes");
                    }
                }
            }
        }
    }
}

/* A large parallel call (above the threshold) against the serial one. */
static void check_mt_large(void)
{
    const size_t n = elu4j_mt_min_elements() + 12345;
    for (int di = 0; di < 4; di++) {
        const int dt = k_dtypes[di];
        const size_t es = elu4j_dtype_size(dt);
        unsigned char *in = malloc(n * es + 8), *a = malloc(n * es + 8), *b = malloc(n * es + 8);
        CHECK(in && a && b, "out of memory");
        if (!in || !a || !b) {
            free(in);
            free(a);
            free(b);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            const float f = g_in32[i % MAXN];
            if (dt == ELU4J_DT_F64) {
                const double d = g_in64[i % MAXN];
                memcpy(in + 1 + 8 * i, &d, 8);
            } else if (dt == ELU4J_DT_F32) {
                memcpy(in + 1 + 4 * i, &f, 4);
            } else {
                const uint16_t h = (uint16_t)(bits_of(f) >> 16);
                memcpy(in + 1 + 2 * i, &h, 2);
            }
        }
        for (int pi = 0; pi < N_PARAMS; pi += 5) {
            const params *p = &k_params[pi];
            int st = elu4j_forward(p->fn, dt, in + 1, a + 3, n, p->alpha, p->scale, p->is);
            CHECK(st == ELU4J_OK, "serial");
            for (int threads = 0; threads <= 3; threads++) {
                memset(b, 0, n * es + 8);
                st = elu4j_forward_mt(p->fn, dt, in + 1, b + 3, n, p->alpha, p->scale, p->is, threads);
                CHECK(st == ELU4J_OK && memcmp(a + 3, b + 3, n * es) == 0, "%s %s mt(%d) large differs", p->name,
                      k_dt_names[di], threads);
            }
            /* in place */
            memcpy(b + 3, in + 1, n * es);
            st = elu4j_forward_mt(p->fn, dt, b + 3, b + 3, n, p->alpha, p->scale, p->is, 2);
            CHECK(st == ELU4J_OK && memcmp(a + 3, b + 3, n * es) == 0, "%s %s mt in place differs", p->name, k_dt_names[di]);
        }
        free(in);
        free(a);
        free(b);
    }
}

/* --- statuses ------------------------------------------------------------------------------- */

static float g_sbuf[64], g_sbefore[64];

static void sreset(void)
{
    for (int i = 0; i < 64; i++) {
        g_sbuf[i] = (float)(i - 32) * 0.25f;
    }
    memcpy(g_sbefore, g_sbuf, sizeof g_sbuf);
}

#define FWD_STATUS(want, fn, dt, src, dst, n, a, s, is)                                            \
    do {                                                                                          \
        for (int ii_ = 0; ii_ < N_ISAS; ii_++) {                                                  \
            const int isa_ = k_all_isas[ii_];                                                     \
            const int want_ = elu4j_isa_supported(isa_) ? (want) : ELU4J_ERR_UNSUPPORTED_ISA;    \
            sreset();                                                                             \
            const int got_ = forward_on(isa_, fn, dt, src, dst, n, a, s, is);                    \
            CHECK(got_ == want_, "forward isa %d: %s -> %s, want %s", isa_, #fn "," #dt "," #src "," #dst "," #n "," #a "," #s "," #is, \
                  elu4j_status_name(got_), elu4j_status_name(want_));                             \
            if (want_ != ELU4J_OK) {                                                              \
                CHECK(memcmp(g_sbuf, g_sbefore, sizeof g_sbuf) == 0, "memory changed on error");  \
            }                                                                                     \
        }                                                                                         \
        for (int mt_ = 0; mt_ < 2; mt_++) {                                                       \
            sreset();                                                                             \
            const int got_ = mt_ ? elu4j_forward_mt(fn, dt, src, dst, n, a, s, is, 2)             \
                                 : elu4j_forward(fn, dt, src, dst, n, a, s, is);                  \
            CHECK(got_ == (want), "forward%s: %s -> %s", mt_ ? "_mt" : "", #fn "," #dt "," #src "," #dst "," #n "," #a, \
                  elu4j_status_name(got_));                                                       \
            if ((want) != ELU4J_OK) {                                                             \
                CHECK(memcmp(g_sbuf, g_sbefore, sizeof g_sbuf) == 0, "memory changed on error");  \
            }                                                                                     \
        }                                                                                         \
    } while (0)

#define BWD_STATUS(want, fn, dt, fd, g, d, out, n, a, s, is)                                       \
    do {                                                                                          \
        for (int ii_ = -1; ii_ < N_ISAS; ii_++) {                                                 \
            const int isa_ = ii_ < 0 ? -1 : k_all_isas[ii_];                                      \
            const int want_ = isa_ < 0 || elu4j_isa_supported(isa_) ? (want) : ELU4J_ERR_UNSUPPORTED_ISA; \
            sreset();                                                                             \
            const int got_ = isa_ < 0 ? elu4j_backward(fn, dt, fd, g, d, out, n, a, s, is)       \
                                      : backward_on(isa_, fn, dt, fd, g, d, out, n, a, s, is);  \
            CHECK(got_ == want_, "backward isa %d: %s -> %s, want %s", isa_,                      \
                  #fn "," #dt "," #fd "," #g "," #d "," #out "," #n "," #a "," #s "," #is,        \
                  elu4j_status_name(got_), elu4j_status_name(want_));                             \
            if (want_ != ELU4J_OK) {                                                              \
                CHECK(memcmp(g_sbuf, g_sbefore, sizeof g_sbuf) == 0, "memory changed on error");  \
            }                                                                                     \
        }                                                                                         \
    } while (0)

static void check_statuses(void)
{
    float *b = g_sbuf;
    const double inf = INFINITY, nan = NAN;
    CHECK(ELU4J_FN_ELU == 0 && ELU4J_FN_RELU == 1 && ELU4J_FN_LEAKY_RELU == 2, "function numbers");
    CHECK(ELU4J_DT_F32 == 0 && ELU4J_DT_F64 == 1 && ELU4J_DT_BF16 == 2 && ELU4J_DT_F16 == 3, "dtype numbers");
    CHECK(elu4j_dtype_size(ELU4J_DT_F32) == 4 && elu4j_dtype_size(ELU4J_DT_F64) == 8 &&
              elu4j_dtype_size(ELU4J_DT_BF16) == 2 && elu4j_dtype_size(ELU4J_DT_F16) == 2 &&
              elu4j_dtype_size(-1) == 0 && elu4j_dtype_size(4) == 0,
          "dtype sizes");

    FWD_STATUS(ELU4J_OK, ELU4J_FN_ELU, ELU4J_DT_F32, b, b + 32, 16, 1.0, 1.0, 1.0);
    FWD_STATUS(ELU4J_OK, ELU4J_FN_ELU, ELU4J_DT_F16, b, b, 32, 1.5, 1.0, 1.0);
    FWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, 3, ELU4J_DT_F32, b, b + 32, 16, 1.0, 1.0, 1.0);
    FWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, -1, ELU4J_DT_F32, NULL, NULL, 0, 1.0, 1.0, 1.0);
    FWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_ELU, 4, b, b + 32, 16, 1.0, 1.0, 1.0);
    FWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_ELU, -1, NULL, NULL, 0, 1.0, 1.0, 1.0);
    FWD_STATUS(ELU4J_OK, ELU4J_FN_ELU, ELU4J_DT_F64, NULL, NULL, 0, nan, inf, nan);
    FWD_STATUS(ELU4J_ERR_NULL_POINTER, ELU4J_FN_ELU, ELU4J_DT_F32, NULL, b, 4, 1.0, 1.0, 1.0);
    FWD_STATUS(ELU4J_ERR_NULL_POINTER, ELU4J_FN_RELU, ELU4J_DT_BF16, b, NULL, 4, nan, 1.0, 1.0);
    FWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_ELU, ELU4J_DT_F32, b, b + 32, 4, nan, 1.0, 1.0);
    FWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_ELU, ELU4J_DT_F32, b, b + 32, 4, 1.0, inf, 1.0);
    FWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_ELU, ELU4J_DT_F64, b, b + 32, 4, 1.0, 1.0, -inf);
    FWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_RELU, ELU4J_DT_F32, b, b + 32, 4, inf, 1.0, 1.0);
    FWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_ELU, ELU4J_DT_F64, b, b + 32, SIZE_MAX / 4, 1.0, 1.0, 1.0);
    FWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_ELU, ELU4J_DT_BF16, (void *)(UINTPTR_MAX - 8), b, 8, 1.0, 1.0, 1.0);
    FWD_STATUS(ELU4J_ERR_OVERLAP, ELU4J_FN_ELU, ELU4J_DT_F32, b, b + 1, 16, 1.0, 1.0, 1.0);
    FWD_STATUS(ELU4J_ERR_OVERLAP, ELU4J_FN_ELU, ELU4J_DT_F64, b, b + 2, 8, 1.5, 1.0, 1.0);
    FWD_STATUS(ELU4J_ERR_OVERLAP, ELU4J_FN_ELU, ELU4J_DT_F16, (char *)b + 1, b, 8, 1.5, 1.0, 1.0);
    FWD_STATUS(ELU4J_OK, ELU4J_FN_ELU, ELU4J_DT_F64, b, b + 16, 8, 1.5, 1.0, 1.0); /* adjacent */

    BWD_STATUS(ELU4J_OK, ELU4J_FN_ELU, ELU4J_DT_F32, 0, b, b + 16, b + 32, 16, 1.0, 1.0, 1.0);
    BWD_STATUS(ELU4J_OK, ELU4J_FN_ELU, ELU4J_DT_F32, 1, b, b, b + 32, 16, 1.0, 1.0, 1.0); /* dy == data: fine */
    BWD_STATUS(ELU4J_OK, ELU4J_FN_ELU, ELU4J_DT_F32, 1, b, b + 3, b + 32, 16, 1.0, 1.0, 1.0); /* data overlaps dy */
    BWD_STATUS(ELU4J_OK, ELU4J_FN_ELU, ELU4J_DT_F32, 0, b, b + 16, b, 16, 1.0, 1.0, 1.0); /* dx == dy */
    BWD_STATUS(ELU4J_ERR_OVERLAP, ELU4J_FN_ELU, ELU4J_DT_F32, 0, b, b + 3, b, 16, 1.0, 1.0, 1.0); /* dx == dy, data overlaps */
    BWD_STATUS(ELU4J_ERR_OVERLAP, ELU4J_FN_ELU, ELU4J_DT_F32, 0, b, b + 32, b + 1, 16, 1.0, 1.0, 1.0);
    BWD_STATUS(ELU4J_ERR_OVERLAP, ELU4J_FN_ELU, ELU4J_DT_F32, 0, b, b + 32, b + 32, 16, 1.0, 1.0, 1.0);
    BWD_STATUS(ELU4J_ERR_OVERLAP, ELU4J_FN_RELU, ELU4J_DT_BF16, 0, b, b + 32, b + 33, 16, 0.0, 1.0, 1.0);
    BWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_ELU, ELU4J_DT_F32, 1, b, b + 16, b + 32, 16, -1.0, 1.0, 1.0);
    BWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_ELU, ELU4J_DT_F64, 1, b, b + 16, b + 32, 4, 1.0, -1.0, 1.0);
    BWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_ELU, ELU4J_DT_F16, 1, b, b + 16, b + 32, 4, 1.0, 1.0, 0.0);
    BWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_LEAKY_RELU, ELU4J_DT_F32, 1, b, b + 16, b + 32, 16, -0.1, 1.0, 1.0);
    BWD_STATUS(ELU4J_OK, ELU4J_FN_LEAKY_RELU, ELU4J_DT_F32, 0, b, b + 16, b + 32, 16, -0.1, 1.0, 1.0);
    BWD_STATUS(ELU4J_OK, ELU4J_FN_RELU, ELU4J_DT_F32, 1, b, b + 16, b + 32, 16, 0.0, 1.0, 1.0);
    BWD_STATUS(ELU4J_ERR_NULL_POINTER, ELU4J_FN_ELU, ELU4J_DT_F32, 0, NULL, b + 16, b + 32, 16, 1.0, 1.0, 1.0);
    BWD_STATUS(ELU4J_ERR_NULL_POINTER, ELU4J_FN_ELU, ELU4J_DT_F32, 0, b, NULL, b + 32, 16, 1.0, 1.0, 1.0);
    BWD_STATUS(ELU4J_ERR_NULL_POINTER, ELU4J_FN_ELU, ELU4J_DT_F32, 1, b, b + 16, NULL, 16, -1.0, 1.0, 1.0);
    BWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_ELU, ELU4J_DT_F32, 0, b, b + 16, b + 32, 16, 1.0, nan, 1.0);
    BWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, 5, ELU4J_DT_F32, 0, b, b + 16, b + 32, 16, 1.0, 1.0, 1.0);
    BWD_STATUS(ELU4J_ERR_INVALID_ARGUMENT, ELU4J_FN_ELU, 9, 0, NULL, NULL, NULL, 0, 1.0, 1.0, 1.0);
    BWD_STATUS(ELU4J_OK, ELU4J_FN_ELU, ELU4J_DT_F32, 1, NULL, NULL, NULL, 0, -1.0, nan, 1.0);
}

/* Specific values: the sign of zero, NaN, infinities, per function (f32 and f64). */
static void check_specials(void)
{
    float x[6] = {-0.0f, 0.0f, -INFINITY, INFINITY, float_of(0x7fa00001u), float_of(0xffc00123u)};
    float y[6];
    /* ELU alpha > 0: -0 -> -0; alpha < 0: -0 -> +0 (sign of alpha*scale*is*-0) */
    CHECK(elu4j_forward(ELU4J_FN_ELU, ELU4J_DT_F32, x, y, 6, 1.0, 1.0, 1.0) == 0, "ok");
    CHECK(bits_of(y[0]) == 0x80000000u && bits_of(y[1]) == 0 && y[2] == -1.0f && y[3] == INFINITY &&
              bits_of(y[4]) == 0x7fa00001u && bits_of(y[5]) == 0xffc00123u,
          "elu(1) specials");
    CHECK(elu4j_forward(ELU4J_FN_ELU, ELU4J_DT_F32, x, y, 6, -2.0, 1.0, 1.0) == 0, "ok");
    CHECK(bits_of(y[0]) == 0 && bits_of(y[1]) == 0x80000000u && y[2] == 2.0f && bits_of(y[4]) == 0x7fa00001u,
          "elu(-2) specials: %a %a %a", y[0], y[1], y[2]);
    CHECK(elu4j_forward(ELU4J_FN_ELU, ELU4J_DT_F32, x, y, 6, 1.6732632423543772, 1.0507009873554805, 1.0) == 0, "ok");
    CHECK(bits_of(y[0]) == 0x80000000u && bits_of(y[1]) == 0 && y[2] == (float)(-1.6732632423543772 * 1.0507009873554805) &&
              y[3] == INFINITY,
          "selu specials");
    CHECK(elu4j_forward(ELU4J_FN_RELU, ELU4J_DT_F32, x, y, 6, 0.0, 1.0, 1.0) == 0, "ok");
    CHECK(bits_of(y[0]) == 0 && bits_of(y[1]) == 0 && bits_of(y[2]) == 0 && y[3] == INFINITY &&
              bits_of(y[4]) == 0x7fa00001u,
          "relu specials");
    CHECK(elu4j_forward(ELU4J_FN_LEAKY_RELU, ELU4J_DT_F32, x, y, 6, 0.1, 1.0, 1.0) == 0, "ok");
    CHECK(bits_of(y[0]) == 0x80000000u && y[2] == -INFINITY && bits_of(y[5]) == 0xffc00123u, "leaky specials");
    double xd[3] = {-0.0, -INFINITY, -1000.0}, yd[3];
    CHECK(elu4j_forward(ELU4J_FN_ELU, ELU4J_DT_F64, xd, yd, 3, 0.5, 1.0, 1.0) == 0, "ok");
    CHECK(signbit(yd[0]) && yd[0] == 0 && yd[1] == -0.5 && yd[2] == -0.5, "f64 elu specials");
    /* expm1 near overflow (negative input scale makes t positive) */
    double big[3] = {-709.0, -709.78, -709.7828}, ybig[3];
    CHECK(elu4j_forward(ELU4J_FN_ELU, ELU4J_DT_F64, big, ybig, 3, 1.0, 1.0, -1.0) == 0, "ok");
    CHECK(ulps_d(ybig[0], expm1l(709.0L)) <= 2 && ulps_d(ybig[1], expm1l((long double)709.78)) <= 2 && ybig[2] == INFINITY,
          "f64 near overflow: %a %a %a", ybig[0], ybig[1], ybig[2]);
}

/*
 * dy * y + dy * coef (two exact double products) rounded once to float: the sum's rounding error
 * e (two-sum) makes the double sum round-to-odd, from which rounding to float is correct (53 >=
 * 24 + 2 bits).
 */
static float round_sum_f(double a, double b)
{
    double s = a + b;
    const double bb = s - a;
    const double e = (a - (s - bb)) + (b - bb);
    if (e != 0 && (dbits(s) & 1) == 0) {
        s = nextafter(s, e > 0 ? INFINITY : -INFINITY);
    }
    return (float)s;
}

/*
 * ELU with input_scale 1 and alpha * scale a power of two (alpha 1, 0.5, 2; the helper's fma_y),
 * f32 backward from y: one fma, so dy * (y + coef) correctly rounded, on every level, wherever
 * dy * coef is a normal float; elsewhere (subnormal, overflow) within 1 ulp. Inputs: ELU outputs
 * in [-coef, 0] (uniform, near -coef where y + coef cancels, tiny), non-ELU values below -coef
 * down to -2^100, dy from 2^-125 to 2^65 and the largest floats.
 */
static void check_fma_y_rounding(void)
{
    static const double coefs[] = {1.0, 0.5, 2.0, 0x1p-40};
    enum { N = 4099 };
    static float dy[N], y[N], dx[N];
    for (int ci = 0; ci < (int)(sizeof coefs / sizeof coefs[0]); ci++) {
        const double coef = coefs[ci];
        uint64_t st = 0x9e3779b97f4a7c15ULL + (uint64_t)ci;
        for (int i = 0; i < N; i++) {
            const int kind = (int)(rng_next(&st) % 5);
            const float u = rng_uniform(&st, 0.0f, 1.0f);
            y[i] = kind == 0   ? (float)(-coef * u)
                   : kind == 1 ? (float)(-coef) * (1.0f - 0x1p-20f * u)
                   : kind == 2 ? -ldexpf(u, -(int)(rng_next(&st) % 140))
                   : kind == 3 ? (float)(-coef) * ldexpf(1.0f + u, (int)(rng_next(&st) % 100))
                               : (float)(-coef) * (1.0f - u * u);
            const float g = (i % 61) == 0 ? FLT_MAX * rng_uniform(&st, 0.5f, 1.0f) /* dy * coef overflows */
                                          : ldexpf(1.0f + rng_uniform(&st, 0.0f, 1.0f), (int)(rng_next(&st) % 190) - 125);
            dy[i] = (rng_next(&st) & 1) ? -g : g;
        }
        for (int isa = ELU4J_ISA_PORTABLE; isa <= ELU4J_ISA_AVX512; isa++) {
            if (!elu4j_isa_supported(isa)) {
                continue;
            }
            const int rc = backward_on(isa, ELU4J_FN_ELU, ELU4J_DT_F32, 1, dy, y, dx, N, coef, 1.0, 1.0);
            CHECK(rc == ELU4J_OK, "fma_y backward on %s: %s", elu4j_isa_name(isa), elu4j_status_name(rc));
            for (int i = 0; i < N; i++) {
                const double gp = (double)dy[i] * coef;
                float want = round_sum_f((double)dy[i] * (double)y[i], gp);
                if ((double)y[i] == -coef) {
                    want = copysignf(0.0f, dy[i]); /* dy * (+0): the library's sign rule */
                }
                const uint32_t u = ulp_distance(dx[i], want);
                const uint32_t allowed = fabs(gp) < FLT_MIN || fabs(gp) > FLT_MAX ? 1 : 0;
                CHECK(u <= allowed, "fma_y coef %a on %s: dy=%a y=%a got %a want %a (%u ulp)", coef,
                      elu4j_isa_name(isa), dy[i], y[i], dx[i], want, u);
            }
        }
    }
}

int main(int argc, char **argv)
{
    const int only = argc > 1 ? atoi(argv[1]) : -1; /* one parameter set (debugging) */
    make_inputs();
    check_statuses();
    check_specials();
    check_fma_y_rounding();
    static const size_t sizes[] = {0, 1, 7, 15, 16, 17, 1023, 1025, 65537};
    static const size_t small_sizes[] = {0, 1, 7, 17, 1025};
    for (int pi = 0; pi < N_PARAMS; pi++) {
        if (only >= 0 && pi != only) {
            continue;
        }
        check_accuracy(&k_params[pi], pi);
        /* the full size list for a few parameter sets, the short one for the rest */
        if (pi % 4 == 0) {
            check_layouts(&k_params[pi], sizes, sizeof sizes / sizeof sizes[0]);
        } else {
            check_layouts(&k_params[pi], small_sizes, sizeof small_sizes / sizeof small_sizes[0]);
        }
    }
    check_mt_large();
    printf("max error vs long double (forward f32 ulp, f64 ulp | backward from src f32, f64 | from dst f32, f64):\n");
    for (int pi = 0; pi < N_PARAMS; pi++) {
        printf("  %-20s fwd %.0f %.3f | bwd(x) %.0f %.3f | bwd(y) %.0f %.3f\n", k_params[pi].name,
               g_max_fwd[pi][0], g_max_fwd[pi][1], g_max_bwd[pi][0][0], g_max_bwd[pi][0][1],
               g_max_bwd[pi][1][0], g_max_bwd[pi][1][1]);
    }
    printf("best ISA %s\n", elu4j_isa_name(elu4j_best_isa()));
    return test_summary("test_family");
}
