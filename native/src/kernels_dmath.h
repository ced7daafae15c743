/*
 * elu4j family kernels: the double-precision expm1/exp cores (f64, and the f32 fallbacks).
 * Included only by kernels_impl.h, inside one ISA level's translation unit (FAM() names, the
 * level's compiler flags); see kernels_impl.h's file comment for the arithmetic.
 */
#ifndef FAM
#error "included by kernels_impl.h only"
#endif

/* --- constants -------------------------------------------------------------------------------- */
#define FAM_LOG2E 0x1.71547652b82fep0
/* 1.5 * 2^52: adding it rounds to an integer; plus 2048 so that the low bits hold n + 2048 >= 0. */
#define FAM_SHIFT_BASE 0x1.8p52
#define FAM_SHIFT (0x1.8p52 + 2048.0)
#define FAM_LN2 0x1.62e42fefa39efp-1       /* ln 2 rounded to double */
#define FAM_LN2_HI 0x1.62e42fee00000p-1    /* ln 2 to 32 bits: n * FAM_LN2_HI is exact */
#define FAM_LN2_LO 0x1.a39ef35793c76p-33   /* ln 2 - FAM_LN2_HI */
#define FAM_EM1_LO (-60.0)                 /* expm1(t) rounds to -1 in double for t <= -38 */
#define FAM_EXP_LO (-746.0)                /* exp(t) rounds to 0 for t < -745.14 */
#define FAM_T_OVF 0x1.62e42fefa39efp+9     /* ~709.7827: above it e^t > DBL_MAX */

FAM_INLINE uint64_t fam_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

FAM_INLINE double fam_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

FAM_INLINE uint32_t fam_bits_f(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

FAM_INLINE float fam_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* q(r) ~ (e^r - 1 - r) / r^2: Taylor through r^9 of expm1 (f64 = 0) or r^13 (f64 = 1). */
FAM_INLINE double fam_q(double r, const int f64)
{
    double q;
    if (f64) {
        q = fma(1.0 / 6227020800.0, r, 1.0 / 479001600.0);
        q = fma(q, r, 1.0 / 39916800.0);
        q = fma(q, r, 1.0 / 3628800.0);
        q = fma(q, r, 1.0 / 362880.0);
    } else {
        q = fma(1.0 / 362880.0, r, 1.0 / 40320.0);
    }
    if (f64) {
        q = fma(q, r, 1.0 / 40320.0);
    }
    q = fma(q, r, 1.0 / 5040.0);
    q = fma(q, r, 1.0 / 720.0);
    q = fma(q, r, 1.0 / 120.0);
    q = fma(q, r, 1.0 / 24.0);
    q = fma(q, r, 1.0 / 6.0);
    q = fma(q, r, 0.5);
    return q;
}

/*
 * The common reduction: tc already clamped; returns p = expm1(r) and the bits count u = n + 2048.
 */
FAM_INLINE double fam_reduce(double tc, const int f64, uint64_t *u)
{
    const double kk = fma(tc, FAM_LOG2E, FAM_SHIFT);
    const double nf = kk - FAM_SHIFT;
    *u = fam_bits(kk) - fam_bits(FAM_SHIFT_BASE);
    if (f64) {
        const double r_hi = fma(nf, -FAM_LN2_HI, tc); /* exact */
        const double r = fma(nf, -FAM_LN2_LO, r_hi);
        const double c = fma(nf, -FAM_LN2_LO, r_hi - r); /* what r lost: expm1(r + c) is wanted */
        const double q = fam_q(r, 1);
        /* expm1(r + c) ~ r + r^2 q + c (1 + r) */
        return r + fma(r * r, q, fma(c, r, c));
    }
    const double r = fma(nf, -FAM_LN2, tc);
    return fma(r * r, fam_q(r, 0), r);
}

/*
 * expm1(t) for t <= 0 (or NaN); garbage (but no trap) for t > 0, which callers discard: the
 * common case input_scale > 0, where only x <= 0 (t <= 0) keeps the negative side's value.
 */
FAM_INLINE double fam_expm1_neg(double t, const int f64)
{
    const double tc = t < FAM_EM1_LO ? FAM_EM1_LO : t;
    uint64_t u;
    const double p = fam_reduce(tc, f64, &u);
    const double s = fam_double((u - 1025u) << 52); /* 2^n, n in [-87, 0] */
    return fma(s, p, s - 1.0);
}

/* expm1(t) (see the file comment); t = NaN gives NaN. */
FAM_INLINE double fam_expm1(double t, const int f64)
{
    double tc = t < FAM_EM1_LO ? FAM_EM1_LO : t;
    tc = tc > FAM_T_OVF ? FAM_T_OVF : tc;
    uint64_t u;
    const double p = fam_reduce(tc, f64, &u);
    const uint64_t big = u > (uint64_t)(2048 + 1023) ? 1u : 0u; /* n = 1024 */
    const double s = fam_double((u - 1025u - big) << 52);      /* 2^(n - big) */
    const double c1 = big ? 0.5 : 1.0;
    const double c2 = big ? 2.0 : 1.0;
    const double e = fma(s, p, s - c1) * c2;
    return t > FAM_T_OVF ? (double)INFINITY : e;
}

/* exp(t) (see the file comment); t = NaN gives NaN. */
FAM_INLINE double fam_exp(double t, const int f64)
{
    double tc = t < FAM_EXP_LO ? FAM_EXP_LO : t;
    tc = tc > FAM_T_OVF ? FAM_T_OVF : tc;
    uint64_t u;
    const double p = fam_reduce(tc, f64, &u);
    const uint64_t h = u >> 1;                         /* floor(n / 2) + 1024 */
    const double s1 = fam_double((h - 1u) << 52);      /* 2^floor(n/2) */
    const double s2 = fam_double((u - h - 1u) << 52);  /* 2^(n - floor(n/2)) */
    const double e = fma(s1, p, s1) * s2;
    return t > FAM_T_OVF ? (double)INFINITY : e;
}
