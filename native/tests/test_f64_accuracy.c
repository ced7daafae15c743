/*
 * elu4j native test: the f64 ELU table kernels against long double, forward (kernels_f64.h) and
 * backward from the input (kernels_f64_bwd.h), and the same bits on every ISA level.
 *
 * Functions: ELU alpha in {1, 0.5, 2, 1.3}, SELU, CELU alpha in {0.5, 0.7, 2} (input scale 1/alpha),
 * and four scaled forms (alpha, scale, input scale), two of them with extreme parameters.
 *
 * Forward, within 1 ulp of the correctly rounded value on every input tried. Inputs per function
 * (2^21 by default, `test_f64_accuracy N` for another count): random bit patterns of negative
 * doubles (the whole exponent range, subnormals included), t = x * input_scale uniform in
 * [-40, 0], |t| = 2^-u for u in [0, 80], t within a few ulps of the reduction's boundaries
 * (k + 1/2) ln2/16 and of k ln2/16, t around the saturation at -38, subnormal x, random positives;
 * then the special values (NaN payloads, +-inf, +-0, +-DBL_MAX, the smallest subnormal).
 * Reference: coef * expm1l(x * input_scale) in long double (64-bit significand: t and coef are
 * rounded to 2^-64 relative and expm1l is within an ulp of long double, so the reference is
 * within about 2^-62 relative, 2^-9 of a double ulp); x > 0: scale * x. The error of a result is
 * |got - ref| in units of the double ulp at ref (real-valued). A result more than 1 ulp from the
 * correctly rounded double is at least 1.5 - 2^-9 ulp from ref, so the check err < 1.25 proves
 * "within 1 ulp of the correctly rounded value"; the test also prints the largest error and how many
 * results equal ref rounded to double (correctly rounded, up to ref's own 2^-9 ulp).
 *
 * Backward from the input, dx = dy * alpha * scale * input_scale * e^t for x <= 0: within
 * BWD_KERNEL_BOUND (0.6) ulp of the exact value wherever the kernel answers (normal results,
 * t >= -745, dy * C not near overflow); elsewhere the double evaluation's bounds, as before (see
 * check_bwd_one). Inputs as for the forward but t down to -746 and the reduction's boundaries
 * down to k = -16400, with gradients of every exponent and +-0; the special values of x and dy
 * crossed (NaN, infinities, zeros, t below exp's range); every level, out of place and in place
 * (dx = dy), gives the best level's bits.
 */
#include "test_util.h"

#include <float.h>

typedef struct fparams {
    const char *name;
    double alpha, scale, input_scale;
} fparams;

static const fparams k_funcs[] = {
    {"elu(1)", 1.0, 1.0, 1.0},
    {"elu(0.5)", 0.5, 1.0, 1.0},
    {"elu(2)", 2.0, 1.0, 1.0},
    {"elu(1.3)", 1.3, 1.0, 1.0},
    {"selu", 1.6732632423543772848170429916717, 1.0507009873554804934193349852946, 1.0},
    {"celu(0.5)", 0.5, 1.0, 1.0 / 0.5},
    {"celu(0.7)", 0.7, 1.0, 1.0 / 0.7},
    {"celu(2)", 2.0, 1.0, 1.0 / 2.0},
    /* the scaled form, and parameters towards the ends of the kernel's range */
    {"elu(1.5,2.5,0.3)", 1.5, 2.5, 0.3},
    {"elu(0.1,3,7)", 0.1, 3.0, 7.0},
    {"elu(1e-100,1e100,1e100)", 1e-100, 1e100, 1e100},
    {"elu(3e90,1e-90,1e-120)", 3e90, 1e-90, 1e-120},
};

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double dof(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static uint64_t rng64(uint64_t *s)
{
    return ((uint64_t)rng_next(s) << 32) | rng_next(s);
}

/* Uniform in [0, 1). */
static double rng01(uint64_t *s)
{
    return (double)(rng64(s) >> 11) * 0x1p-53;
}

/* The double ulp at |v| (v finite). */
static long double ulp_at(long double v)
{
    const long double a = fabsl(v);
    if (a < 0x1p-1022L) {
        return 0x1p-1074L;
    }
    int e;
    frexpl(a, &e); /* a in [2^(e-1), 2^e) */
    return ldexpl(1.0L, e - 53);
}

/* Fills x[0..n) with the input mix described above for input scale is. */
static void fill_inputs(double *x, size_t n, double is, uint64_t seed)
{
    uint64_t s = seed;
    const double l16 = 0.04332169878499658161; /* ln2/16 */
    for (size_t i = 0; i < n; i++) {
        double t;
        switch (i % 10) {
        case 0: /* any negative double */
            x[i] = dof(rng64(&s) | UINT64_C(0x8000000000000000));
            if (isnan(x[i])) {
                x[i] = -1.5;
            }
            continue;
        case 1:
        case 2: t = -40.0 * rng01(&s); break;
        case 3: t = -ldexp(1.0 + rng01(&s), -(int)(rng64(&s) % 81)); break;
        case 4: /* near (k + 1/2) ln2/16, the rounding boundary of k */
        case 5: { /* near k ln2/16 */
            const double k = -(double)(rng64(&s) % 880);
            const double c = (i % 10 == 4 ? k - 0.5 : k) * l16;
            const int64_t d = (int64_t)(rng64(&s) % 129) - 64;
            /* d ulps from c (unsigned arithmetic: defined; from -0.0, tiny negatives) */
            t = c == 0.0 ? dof(0x8000000000000000ull | (uint64_t)(d < 0 ? -d : d))
                         : dof(dbits(c) + (uint64_t)d);
            if (!(t < 0)) {
                t = -t - 1e-300;
            }
            break;
        }
        case 6: t = -36.0 - 3.0 * rng01(&s); break;
        case 7: /* subnormal x (or t, for is != 1) */
            x[i] = -dof(rng64(&s) & UINT64_C(0x000FFFFFFFFFFFFF)) - 0x1p-1074;
            continue;
        case 8: t = -ldexp(rng01(&s), -(int)(rng64(&s) % 1000)); break;
        default: /* positives */
            x[i] = dof(rng64(&s) & UINT64_C(0x7FEFFFFFFFFFFFFF));
            continue;
        }
        x[i] = t / is;
    }
}

/* Checks n results of one function; returns the largest error in ulps (at *worst_x). */
static double check(const fparams *f, const double *x, const double *y, size_t n, long *cr,
                    double *worst_x)
{
    const long double coef = (long double)f->alpha * (long double)f->scale;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        const double v = x[i], r = y[i];
        long double ref;
        if (v > 0) {
            ref = (long double)f->scale * v;
        } else if (v < 0) {
            const long double t = (long double)v * (long double)f->input_scale;
            ref = coef * expm1l(t);
        } else {
            CHECK(dbits(r) == dbits(v), "%s: %a gives %a", f->name, v, r);
            continue;
        }
        if (fabsl(ref) >= (long double)DBL_MAX + ulp_at(DBL_MAX) / 2) { /* overflows */
            CHECK(r == (ref > 0 ? (double)INFINITY : -(double)INFINITY), "%s x=%a: %a", f->name, v, r);
            continue;
        }
        const long double err = fabsl((long double)r - ref) / ulp_at(ref);
        if ((double)err > worst) {
            worst = (double)err;
            *worst_x = v;
        }
        *cr += r == (double)ref;
        CHECK(err < 1.25L, "%s x=%a: got %a want %La (%.3Lf ulp)", f->name, v, r, ref, err);
    }
    return worst;
}

/* The forward on n inputs per function (see the file comment). */
static void check_forward(size_t n, double *x, double *y, double *z)
{
    long total = 0;
    for (size_t fi = 0; fi < sizeof k_funcs / sizeof k_funcs[0]; fi++) {
        const fparams *f = &k_funcs[fi];
        fill_inputs(x, n, f->input_scale, 0x9E3779B97F4A7C15u + fi);
        CHECK(elu4j_forward(ELU4J_FN_ELU, ELU4J_DT_F64, x, y, n, f->alpha, f->scale,
                            f->input_scale) == ELU4J_OK, "status");
        long cr = 0;
        double worst_x = 0;
        const double worst = check(f, x, y, n, &cr, &worst_x);
        size_t neg = 0;
        for (size_t i = 0; i < n; i++) {
            neg += x[i] < 0;
        }
        printf("%-24s %zu inputs (%zu negative): max error %.3f ulp (x = %a), %.4f%% correctly "
               "rounded\n", f->name, n, neg, worst, worst_x, 100.0 * (double)cr / (double)n);
        total += (long)n;
        /* every level gives the bits of the best one */
        for (int ii = 0; ii < N_ISAS; ii++) {
            if (!elu4j_isa_supported(k_all_isas[ii])) {
                continue;
            }
            memset(z, 0, n * sizeof *z);
            CHECK(forward_on(k_all_isas[ii], ELU4J_FN_ELU, ELU4J_DT_F64, x, z, n, f->alpha,
                             f->scale, f->input_scale) == ELU4J_OK, "status");
            size_t diff = 0, first = n;
            for (size_t i = 0; i < n; i++) {
                if (dbits(z[i]) != dbits(y[i])) {
                    diff++;
                    first = first == n ? i : first;
                }
            }
            CHECK(diff == 0, "%s on %s: %zu results differ from the best level's, first x=%a: %a vs %a",
                  f->name, elu4j_isa_name(k_all_isas[ii]), diff, first < n ? x[first] : 0.0,
                  first < n ? z[first] : 0.0, first < n ? y[first] : 0.0);
        }
        /* special values */
        const double sp[] = {dof(UINT64_C(0x7FF8000000000001)), dof(UINT64_C(0xFFF4000000000000)),
                             (double)INFINITY, -(double)INFINITY, 0.0, -0.0, DBL_MAX, -DBL_MAX,
                             0x1p-1074, -0x1p-1074, -38.5 / f->input_scale, -1e300};
        enum { NSP = sizeof sp / sizeof sp[0] };
        double ys[NSP];
        CHECK(elu4j_forward(ELU4J_FN_ELU, ELU4J_DT_F64, sp, ys, NSP, f->alpha, f->scale,
                            f->input_scale) == ELU4J_OK, "status");
        const double negc = -(f->alpha * f->scale);
        CHECK(dbits(ys[0]) == dbits(sp[0]) && dbits(ys[1]) == dbits(sp[1]), "%s NaN bits", f->name);
        CHECK(ys[2] == (double)INFINITY && ys[3] == negc, "%s inf: %a %a", f->name, ys[2], ys[3]);
        CHECK(dbits(ys[4]) == dbits(0.0) && dbits(ys[5]) == dbits(-0.0), "%s zeros", f->name);
        CHECK(ys[6] == f->scale * DBL_MAX && ys[7] == negc, "%s max: %a %a", f->name, ys[6], ys[7]);
        CHECK(ys[10] == negc && ys[11] == negc, "%s saturation: %a %a", f->name, ys[10], ys[11]);
        CHECK(ys[8] == f->scale * 0x1p-1074 && signbit(ys[9]), "%s smallest subnormal: %a %a",
              f->name, ys[8], ys[9]);
    }
    printf("forward: %ld inputs in all\n", total);
}

/* --- the backward from the input ------------------------------------------------------------- */

/* The kernel's bound (kernels_impl.h): 0.5 ulp from the last rounding, below 0.077 before it, and
   below 2^-6 ulp from the subnormal range near its lower end. */
#define BWD_KERNEL_BOUND 0.6L

/*
 * Fills x and dy: x as fill_inputs but for exp's range (t uniform in [-745, 0], the reduction's
 * boundaries for every k down to -16400, t around the kernel's lower end -708 and exp's underflow
 * at -745.13); dy mostly uniform in [-4, 4], a quarter of any exponent (subnormal to 2^1023: tiny,
 * huge and overflowing results), a tenth +-0, the rest around 2^+-60.
 */
static void fill_bwd(double *x, double *g, size_t n, double is, uint64_t seed)
{
    uint64_t s = seed;
    const double l16 = 0.04332169878499658161; /* ln2/16 */
    for (size_t i = 0; i < n; i++) {
        double t = 0;
        switch (i % 10) {
        case 0: /* any negative double */
            x[i] = dof(rng64(&s) | UINT64_C(0x8000000000000000));
            if (isnan(x[i])) {
                x[i] = -1.5;
            }
            break;
        case 1: t = -40.0 * rng01(&s); break;
        case 2:
        case 3: t = -745.0 * rng01(&s); break;
        case 4: /* near (k - 1/2) ln2/16, the rounding boundary of k */
        case 5: { /* near k ln2/16 */
            const double k = -(double)(rng64(&s) % 16400);
            const double c = (i % 10 == 4 ? k - 0.5 : k) * l16;
            const int64_t d = (int64_t)(rng64(&s) % 129) - 64;
            t = c == 0.0 ? dof(0x8000000000000000ull | (uint64_t)(d < 0 ? -d : d))
                         : dof(dbits(c) + (uint64_t)d);
            if (!(t < 0)) {
                t = -t - 1e-300;
            }
            break;
        }
        case 6: t = (rng64(&s) & 1) ? -712.0 + 17.0 * rng01(&s) : -746.0 + 2.0 * rng01(&s); break;
        case 7: /* subnormal x (or t, for is != 1) */
            x[i] = -dof(rng64(&s) & UINT64_C(0x000FFFFFFFFFFFFF)) - 0x1p-1074;
            break;
        case 8: t = -ldexp(1.0 + rng01(&s), -(int)(rng64(&s) % 1000)); break;
        default: /* positives */
            x[i] = dof(rng64(&s) & UINT64_C(0x7FEFFFFFFFFFFFFF));
            break;
        }
        if (t != 0) {
            x[i] = t / is;
        }
        const unsigned kind = (unsigned)(rng64(&s) % 20);
        const double sign = (rng64(&s) & 1) ? -1.0 : 1.0;
        if (kind < 12) {
            g[i] = 8.0 * rng01(&s) - 4.0;
        } else if (kind < 17) {
            g[i] = sign * ldexp(1.0 + rng01(&s), (int)(rng64(&s) % 2098) - 1074);
        } else if (kind < 19) {
            g[i] = sign * 0.0;
        } else {
            g[i] = sign * ldexp(1.0 + rng01(&s), (int)(rng64(&s) % 121) - 60);
        }
    }
}

typedef struct bwd_stats {
    long kernel, cr, other, skipped;
    double kmax, kx, kg; /* the kernel's range: the largest error and where */
    double omax;         /* elsewhere (the double evaluation), normal results */
} bwd_stats;

/* The quiet NaN that v + v gives. */
static uint64_t quiet(double v)
{
    return dbits(v) | UINT64_C(0x0008000000000000);
}

/*
 * Checks one backward result r for dy = g, x = v. Reference: dy * C * e^t in long double with
 * C = alpha * scale * input_scale and t = th + tl exactly (th = x * input_scale rounded, tl its
 * rest by fma): expl(th) (1 + tl), within about 2^-61 relative, 2^-8 of a double ulp. The
 * kernel's range, as kernels_f64_bwd.h defines it (t >= -745, |dy| <= 2^(1021 - e) for C in
 * [2^e, 2^(e+1)), normal results), must be within BWD_KERNEL_BOUND ulp of the reference;
 * elsewhere the double evaluation answers, as before: within 4 ulp where exp(t) and the result
 * are normal, else an absolute error below 2^-1074 (1 + 2 |dy C|) (subnormal results), or
 * |dy C| 2^-1073 where exp(t) itself is below DBL_MIN.
 */
static void check_bwd_one(const fparams *f, double g, double v, double r, bwd_stats *st)
{
    if (isnan(v)) {
        CHECK(dbits(r) == quiet(v), "%s bwd: NaN x %a gives %a", f->name, v, r);
        return;
    }
    if (isnan(g)) {
        CHECK(dbits(r) == quiet(g), "%s bwd: NaN dy, x=%a gives %a", f->name, v, r);
        return;
    }
    if (v > 0) {
        CHECK(dbits(r) == dbits(g * f->scale), "%s bwd x=%a dy=%a: %a, not dy * scale", f->name, v,
              g, r);
        return;
    }
    const double cis = f->alpha * f->scale * f->input_scale; /* the library's, rounded */
    if (g == 0) {
        CHECK(r == 0 && signbit(r) == signbit(g), "%s bwd x=%a dy=%a: %a", f->name, v, g, r);
        return;
    }
    if (isinf(g) || fabs(g) * cis > DBL_MAX) {
        st->skipped++; /* the double evaluation's dy * cis overflows first (as the oracle's) */
        return;
    }
    const double th = v * f->input_scale, tl = fma(v, f->input_scale, -th);
    const long double gc =
        (long double)g * (long double)f->alpha * (long double)f->scale * (long double)f->input_scale;
    const long double ref = isinf(th) ? 0.0L * gc : gc * expl(th) * (1.0L + tl);
    if (fabsl(ref) >= (long double)DBL_MAX + ulp_at(DBL_MAX) / 2) {
        CHECK(r == (ref > 0 ? (double)INFINITY : -(double)INFINITY), "%s bwd x=%a dy=%a: %a", f->name,
              v, g, r);
        return;
    }
    const long double abserr = fabsl((long double)r - ref);
    const long double err = abserr / ulp_at(ref);
    const int e = ilogb(cis);
    if (th >= -745.0 && fabsl(ref) >= 0x1p-1022L && fabs(g) < ldexp(1.0, 1021 - e)) {
        st->kernel++;
        st->cr += r == (double)ref;
        if ((double)err > st->kmax) {
            st->kmax = (double)err;
            st->kx = v;
            st->kg = g;
        }
        CHECK(err <= BWD_KERNEL_BOUND, "%s bwd x=%a dy=%a: got %a want %La (%.3Lf ulp)", f->name, v, g,
              r, ref, err);
        return;
    }
    st->other++;
    int ok = err <= 4.0L;
    if (fabsl(ref) >= 0x1p-1022L && th >= -708.3 && (double)err > st->omax) {
        st->omax = (double)err;
    }
    if (th >= -708.3) {
        ok |= fabsl(ref) < 0x1p-1022L && abserr <= 0x1p-1074L * (1.0L + 2.0L * fabsl(gc));
    } else {
        ok |= abserr <= fabsl(gc) * 0x1p-1073L + 4.0L * ulp_at(ref);
    }
    CHECK(ok, "%s bwd (double evaluation) x=%a dy=%a: got %a want %La (%.3Lf ulp)", f->name, v, g, r,
          ref, err);
}

/* The special values, every level: NaN, zeros, infinities, t below exp's range, dy * scale. */
static void check_bwd_specials(const fparams *f)
{
    const double xs[] = {dof(UINT64_C(0x7FF8000000000001)), dof(UINT64_C(0xFFF4000000000000)),
                         -(double)INFINITY, (double)INFINITY, -0.0, 0.0, -DBL_MAX, -1e300,
                         -800.0 / f->input_scale, -746.0 / f->input_scale, -1.0, 0x1p-1074,
                         -0x1p-1074, 3.0};
    const double gs[] = {1.0, -2.5, 0.0, -0.0, (double)INFINITY, -(double)INFINITY,
                         dof(UINT64_C(0x7FF0000000000005)), dof(UINT64_C(0xFFF8000000000123)),
                         1e300, -1e-300, 0x1p-1074};
    enum { NX = sizeof xs / sizeof xs[0], NG = sizeof gs / sizeof gs[0], N = NX * NG };
    double x[N], g[N], r[N], z[N];
    for (int i = 0; i < N; i++) {
        x[i] = xs[i / NG];
        g[i] = gs[i % NG];
    }
    CHECK(elu4j_backward(ELU4J_FN_ELU, ELU4J_DT_F64, 0, g, x, r, N, f->alpha, f->scale,
                         f->input_scale) == ELU4J_OK, "status");
    for (int i = 0; i < N; i++) {
        const double v = x[i], gv = g[i], rv = r[i];
        if (isnan(v)) {
            CHECK(dbits(rv) == quiet(v), "%s bwd NaN x: %a %a -> %a", f->name, v, gv, rv);
        } else if (isnan(gv)) {
            CHECK(dbits(rv) == quiet(gv), "%s bwd NaN dy: %a %a -> %a", f->name, v, gv, rv);
        } else if (v > 0) {
            CHECK(dbits(rv) == dbits(gv * f->scale), "%s bwd x > 0: %a %a -> %a", f->name, v, gv, rv);
        } else if (gv == 0) {
            CHECK(rv == 0 && signbit(rv) == signbit(gv), "%s bwd dy = 0: %a %a -> %a", f->name, v,
                  gv, rv);
        } else if (v * f->input_scale < -745.2) { /* exp(t) rounds to 0: as the definition does */
            if (isinf(gv)) {
                CHECK(isnan(rv), "%s bwd inf * 0: %a %a -> %a", f->name, v, gv, rv);
            } else if (fabs(gv) <= 0x1p64) {
                CHECK(rv == 0 && signbit(rv) == signbit(gv), "%s bwd t < -745: %a %a -> %a", f->name,
                      v, gv, rv);
            }
        } else if (isinf(gv)) {
            CHECK(rv == gv, "%s bwd dy = inf: %a %a -> %a", f->name, v, gv, rv);
        }
    }
    /* ... and the same bits on every level */
    for (int ii = 0; ii < N_ISAS; ii++) {
        if (!elu4j_isa_supported(k_all_isas[ii])) {
            continue;
        }
        CHECK(backward_on(k_all_isas[ii], ELU4J_FN_ELU, ELU4J_DT_F64, 0, g, x, z, N, f->alpha,
                          f->scale, f->input_scale) == ELU4J_OK, "status");
        for (int i = 0; i < N; i++) {
            CHECK(dbits(z[i]) == dbits(r[i]), "%s bwd specials on %s: x=%a dy=%a: %a vs %a", f->name,
                  elu4j_isa_name(k_all_isas[ii]), x[i], g[i], z[i], r[i]);
        }
    }
}

/* The backward from the input on n inputs per function. */
static void check_backward(size_t n, double *x, double *g, double *r, double *z)
{
    long total = 0;
    for (size_t fi = 0; fi < sizeof k_funcs / sizeof k_funcs[0]; fi++) {
        const fparams *f = &k_funcs[fi];
        fill_bwd(x, g, n, f->input_scale, 0xD1B54A32D192ED03u + fi);
        CHECK(elu4j_backward(ELU4J_FN_ELU, ELU4J_DT_F64, 0, g, x, r, n, f->alpha, f->scale,
                             f->input_scale) == ELU4J_OK, "status");
        bwd_stats st = {0};
        for (size_t i = 0; i < n; i++) {
            check_bwd_one(f, g[i], x[i], r[i], &st);
        }
        printf("%-24s bwd %zu inputs: kernel's range %ld, max error %.3f ulp (x = %a, dy = %a), "
               "%.4f%% correctly rounded; double evaluation %ld (max %.3f ulp where normal), "
               "%ld not checked\n", f->name, n, st.kernel, st.kmax, st.kx, st.kg,
               100.0 * (double)st.cr / (double)(st.kernel > 0 ? st.kernel : 1), st.other, st.omax,
               st.skipped);
        CHECK(st.kernel > (long)n / 2, "%s bwd: the kernel's range is most of the inputs", f->name);
        total += (long)n;
        /* every level gives the bits of the best one, out of place and in place (dx = dy) */
        for (int ii = 0; ii < N_ISAS; ii++) {
            if (!elu4j_isa_supported(k_all_isas[ii])) {
                continue;
            }
            for (int inplace = 0; inplace < 2; inplace++) {
                memcpy(z, g, n * sizeof *z);
                double *out = inplace ? z : z + 0;
                double *dy = inplace ? z : g;
                if (!inplace) {
                    memset(z, 0, n * sizeof *z);
                }
                CHECK(backward_on(k_all_isas[ii], ELU4J_FN_ELU, ELU4J_DT_F64, 0, dy, x, out, n,
                                  f->alpha, f->scale, f->input_scale) == ELU4J_OK, "status");
                size_t diff = 0, first = n;
                for (size_t i = 0; i < n; i++) {
                    if (dbits(out[i]) != dbits(r[i])) {
                        diff++;
                        first = first == n ? i : first;
                    }
                }
                CHECK(diff == 0, "%s bwd on %s%s: %zu results differ from the best level's, first "
                      "x=%a dy=%a: %a vs %a", f->name, elu4j_isa_name(k_all_isas[ii]),
                      inplace ? " in place" : "", diff, first < n ? x[first] : 0.0,
                      first < n ? g[first] : 0.0, first < n ? out[first] : 0.0,
                      first < n ? r[first] : 0.0);
            }
        }
        check_bwd_specials(f);
    }
    printf("backward: %ld inputs in all\n", total);
}

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? (size_t)atol(argv[1]) : (size_t)1 << 21;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *z = malloc(n * sizeof *z),
           *g = malloc(n * sizeof *g);
    if (!x || !y || !z || !g) {
        return EXIT_FAILURE;
    }
    check_forward(n, x, y, z);
    check_backward(n, x, g, y, z);
    free(x);
    free(y);
    free(z);
    free(g);
    return test_summary("test_f64_accuracy");
}
