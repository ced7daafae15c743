/*
 * elu4j family kernels: the f64 ELU forward kernel (ELU, SELU, CELU, the scaled form with positive
 * parameters), straight from src to dst. Included only by kernels_impl.h, inside one ISA level's
 * translation unit (FAM() names, the level's compiler flags); kernels_impl.h's file comment has the
 * algorithm and its error budget ("f64 ELU, the table kernel"). Where the level's file defines
 * ELU4J_F64_AVX512 (ELU4J_F64_AVX2), kernels_f64_avx512.h (kernels_f64_avx2.h) adds the same
 * operations written with intrinsics (same bits), which the entry point runs instead of the C loops.
 */
#ifndef FAM
#error "included by kernels_impl.h only"
#endif

/* --- the f64 table kernel's constants ----------------------------------------------------------- */

/* 16 / ln 2, and ln 2 / 16 as FAM_F64_L_HI (42 significant bits: k * FAM_F64_L_HI is exact for
   |k| < 2^11) plus FAM_F64_L_LO (the rest, rounded; what it misses is below 2^-100). */
#define FAM_F64_INV_L 0x1.71547652b82fep+4
#define FAM_F64_L_HI 0x1.62e42fefa3800p-5
#define FAM_F64_L_LO 0x1.ef35793c76730p-49
/* Below t = -38, e^t < 2^-54.8: expm1(t) rounds to -1 and the result is -coef rounded, as the
   double evaluation gives (kernels_impl.h). Also keeps k >= -878, so 2^(k/16) >= 2^-55 is normal. */
#define FAM_F64_SAT (-38.0)
/* |t| below it (input_scale != 1): coef * input_scale * x, expm1(t) = t to 2^-61 relative. */
#define FAM_F64_LIN 0x1p-60

/*
 * q(r) ~ (e^r - 1 - r) / r^2 on |r| <= ln2/32 (* (1 + 2^-20)): a minimax fit (Remez) of the relative
 * error of r + r^2 q(r) against e^r - 1, coefficients rounded to double; max relative error of the
 * polynomial with these coefficients, in exact arithmetic, 2^-58.9 (Taylor would be 1/2, 1/6, 1/24,
 * 1/120, 1/720, 1/5040 with 2^-54).
 */
#define FAM_F64_C0 0x1.0000000000003p-1
#define FAM_F64_C1 0x1.555555555555ap-3
#define FAM_F64_C2 0x1.55555554ac6e2p-5
#define FAM_F64_C3 0x1.111111102fd98p-7
#define FAM_F64_C4 0x1.6c18201fc85b3p-10
#define FAM_F64_C5 0x1.a01c711e45c43p-13

/*
 * T_j = 2^(j/16) rounded to double, stored as the bits of T_j minus j << 48: adding the low 16 bits
 * of k = 16 m + j shifted left by 48 (that is (m << 52) + (j << 48)) gives the bits of 2^m T_j, with
 * one shift and one add. Same table on every level (the AVX-512 kernel keeps it in two registers, the
 * AVX2 kernel in four planes of 32-bit halves).
 */
static const uint64_t fam_f64_ttab[16] FAM_ALIGN = {
    UINT64_C(0x3ff0000000000000), UINT64_C(0x3fefb5586cf9890f), UINT64_C(0x3fef72b83c7d517b),
    UINT64_C(0x3fef387a6e756238), UINT64_C(0x3fef06fe0a31b715), UINT64_C(0x3feedea64c123422),
    UINT64_C(0x3feebfdad5362a27), UINT64_C(0x3feeab07dd485429), UINT64_C(0x3feea09e667f3bcd),
    UINT64_C(0x3feea11473eb0187), UINT64_C(0x3feeace5422aa0db), UINT64_C(0x3feec49182a3f090),
    UINT64_C(0x3feee89f995ad3ad), UINT64_C(0x3fef199bdd85529c), UINT64_C(0x3fef5818dcfba487),
    UINT64_C(0x3fefa4afa2a490da),
};

/* R_j = (2^(j/16) - T_j) / T_j rounded to double: 2^(j/16) = T_j (1 + R_j) to 2^-106. */
static const double fam_f64_rtab[16] FAM_ALIGN = {
    0.0,
    0x1.79aa65d837b6dp-54,
    -0x1.01b15eaa59348p-55,
    0x1.68efde3a8a894p-54,
    0x1.34d754db0abb6p-55,
    0x1.59f48a72a4c6dp-55,
    0x1.690cebb7aafb0p-56,
    0x1.063e1e21c5409p-54,
    -0x1.3b3efbf5e2228p-54,
    -0x1.b32dcb94da51dp-56,
    0x1.db72fc1f0eab4p-55,
    0x1.1affc2b91ce27p-56,
    0x1.c1a7792cb3387p-55,
    0x1.36eae30af0cb3p-56,
    0x1.4a385a63d07a7p-56,
    -0x1.ff7128fd391f0p-55,
};

/* The parameters of one call, derived from elu4j_params (fam_f64_setup). */
typedef struct fam_f64c {
    double chi, clo;   /* coef = alpha * scale = chi + clo exactly */
    double is;         /* input_scale */
    double cshi, cslo; /* coef * input_scale to 2^-105 relative (the linear range) */
    double scale;
    double neg_coef;   /* -chi: the result for t < FAM_F64_SAT */
    int kind;          /* unit_input + 2 unit_coef + 4 unit_scale (see the loops) */
} fam_f64c;

/* v in [2^-500, 2^500]: the pairs' low parts and the products below stay normal. */
FAM_INLINE int fam_f64_in_range(double v)
{
    return v >= 0x1p-500 && v <= 0x1p500;
}

/* Fills *c; returns 0 where the table kernel does not apply (then the block path runs). */
FAM_INLINE int fam_f64_setup(const elu4j_params *p, fam_f64c *c)
{
    if (p->function != ELU4J_FN_ELU || !fam_f64_in_range(p->alpha) ||
        !fam_f64_in_range(p->scale) || !fam_f64_in_range(p->input_scale) ||
        !fam_f64_in_range(p->coef) || !fam_f64_in_range(p->cis)) {
        return 0;
    }
    c->chi = p->alpha * p->scale;
    c->clo = fma(p->alpha, p->scale, -c->chi);
    c->is = p->input_scale;
    c->cshi = c->chi * c->is;
    c->cslo = fma(c->clo, c->is, fma(c->chi, c->is, -c->cshi));
    c->scale = p->scale;
    c->neg_coef = -c->chi;
    c->kind = (c->is == 1.0) + 2 * (c->chi == 1.0 && c->clo == 0.0) + 4 * (c->scale == 1.0);
    return 1;
}

/*
 * One element (kernels_impl.h has the arithmetic). unit_input, unit_coef and unit_scale are
 * constants after inlining; each only drops operations whose result it knows bit for bit
 * (t = x, tl = 0, 1 * eh + 1 * el + 0 * eh = eh + el, 1 * x = x), so every kind gives the bits of
 * the general expression.
 */
FAM_INLINE double FAM(f64_one)(double x, const fam_f64c c, const int unit_input, const int unit_coef,
                               const int unit_scale)
{
    const double pos = unit_scale ? x : c.scale * x;
    const double th = unit_input ? x : c.is * x;
    const double tl = unit_input ? 0.0 : fma(c.is, x, -th); /* t = th + tl exactly */
    const double kk = fma(th, FAM_F64_INV_L, FAM_SHIFT_BASE); /* low 16 bits: k mod 2^16 */
    const double kf = kk - FAM_SHIFT_BASE;
    const uint64_t kb = fam_bits(kk);
    const int64_t j = (int64_t)(kb & 15u);
    const double rh = fma(kf, -FAM_F64_L_HI, th); /* exact */
    const double rb = unit_input ? fam_f64_rtab[j] : fam_f64_rtab[j] + tl;
    const double rl = fma(kf, -FAM_F64_L_LO, rb);
    double q = fma(FAM_F64_C5, rh, FAM_F64_C4);
    q = fma(q, rh, FAM_F64_C3);
    q = fma(q, rh, FAM_F64_C2);
    q = fma(q, rh, FAM_F64_C1);
    q = fma(q, rh, FAM_F64_C0);
    const double u = fma(rh, q, rl);
    const double w = fma(rh, u, rl); /* rh^2 q + rl (1 + rh) */
    const double s = fam_double(fam_f64_ttab[j] + (kb << 48)); /* 2^m T_j */
    const double sm1 = s - 1.0;
    const double serr = s - (sm1 + 1.0); /* s - 1 = sm1 + serr exactly */
    const double eh = fma(s, rh, sm1);
    const double e0 = fma(s, rh, sm1 - eh); /* the rounding error of eh */
    const double el = fma(s, w, e0 + serr);
    const double negm = unit_coef ? eh + el : fma(c.chi, eh, fma(c.chi, el, c.clo * eh));
    const double neg0 = th < FAM_F64_SAT ? c.neg_coef : negm;
    const double neg = unit_input ? neg0 : th > -FAM_F64_LIN ? fma(c.cshi, x, c.cslo * x) : neg0;
    return x > 0.0 ? pos : x < 0.0 ? neg : x;
}

/* The kernel over n doubles at any byte alignment; in place when X == Y. */
#define FAM_F64_LOOP(X, Y, UI, UC, US)                                                             \
    for (size_t i = 0; i < n; i++) {                                                               \
        double v;                                                                                  \
        memcpy(&v, (X) + 8 * i, 8);                                                                \
        const double r = FAM(f64_one)(v, c, UI, UC, US);                                           \
        memcpy((Y) + 8 * i, &r, 8);                                                                \
    }

#define FAM_F64_SWITCH(X, Y)                                                                       \
    switch (c.kind) {                                                                              \
    case 0: FAM_F64_LOOP(X, Y, 0, 0, 0) break;                                                     \
    case 1: FAM_F64_LOOP(X, Y, 1, 0, 0) break;                                                     \
    case 2: FAM_F64_LOOP(X, Y, 0, 1, 0) break;                                                     \
    case 3: FAM_F64_LOOP(X, Y, 1, 1, 0) break;                                                     \
    case 4: FAM_F64_LOOP(X, Y, 0, 0, 1) break;                                                     \
    case 5: FAM_F64_LOOP(X, Y, 1, 0, 1) break;                                                     \
    case 6: FAM_F64_LOOP(X, Y, 0, 1, 1) break;                                                     \
    default: FAM_F64_LOOP(X, Y, 1, 1, 1) break;                                                    \
    }

#if defined(ELU4J_F64_AVX512)
#include "kernels_f64_avx512.h"
#elif defined(ELU4J_F64_AVX2)
#include "kernels_f64_avx2.h"
#else
static void FAM(f64_inplace)(const fam_f64c *cp, unsigned char *d, size_t n)
{
    const fam_f64c c = *cp;
    FAM_F64_SWITCH(d, d)
}

static void FAM(f64_out)(const fam_f64c *cp, const unsigned char *restrict x,
                         unsigned char *restrict y, size_t n)
{
    const fam_f64c c = *cp;
    FAM_F64_SWITCH(x, y)
}

#endif

/*
 * f64 ELU forward from src to dst (identical or disjoint, any alignment) when the table kernel
 * applies (returns 1), else 0: kernels_f64_avx512.h's or kernels_f64_avx2.h's f64_elu_kernel where
 * the level has one, else the C loops above.
 */
FAM_NOINLINE static int FAM(f64_fwd)(const elu4j_params *p, const void *src, void *dst, size_t n)
{
    fam_f64c c;
    if (!fam_f64_setup(p, &c)) {
        return 0;
    }
#if defined(ELU4J_F64_AVX512) || defined(ELU4J_F64_AVX2)
    f64_elu_kernel(&c, src, dst, n);
#else
    if (src == dst) {
        FAM(f64_inplace)(&c, (unsigned char *)dst, n);
    } else {
        FAM(f64_out)(&c, (const unsigned char *)src, (unsigned char *)dst, n);
    }
#endif
    return 1;
}
