/*
 * elu4j family kernels: the f64 ELU backward from the input x (ELU, SELU, CELU, the scaled form
 * with positive parameters: the forward table kernel's, fam_f64_setup), straight from dy and x to
 * dx. Included only by kernels_impl.h after kernels_bwd.h, inside one ISA level's translation unit
 * (FAM() names, the level's compiler flags); kernels_impl.h's file comment has the algorithm and
 * its error budget ("f64 ELU backward from the input, the table kernel"). Where the level's file
 * defines ELU4J_F64_AVX512 (ELU4J_F64_AVX2), kernels_f64_bwd_avx512.h (kernels_f64_bwd_avx2.h)
 * adds the same operations written with intrinsics (same bits), which the entry point runs
 * instead of the C loops.
 */
#ifndef FAM
#error "included by kernels_impl.h only"
#endif

/* ln 2 / 16 as FAM_F64B_L_HI (36 significant bits: k * FAM_F64B_L_HI is exact for |k| < 2^17,
   t > -1400) plus FAM_F64B_L_LO (the rest, rounded: it misses < 2^-96). The forward's split has
   42 bits, for |k| <= 878 only. */
#define FAM_F64B_L_HI 0x1.62e42fefa0000p-5
#define FAM_F64B_L_LO 0x1.cf79abc9e3b3ap-44
/* The lower end of t for f64b_other's scaled kernel: e^-745 = 2^-1074.8 rounds to the smallest
   subnormal, below it exp(t) rounds to 0 and the double evaluation answers 0 (the oracle's). */
#define FAM_F64B_T_MIN (-745.0)
/* Below it (x = -inf too) the double evaluation's exp(t) is +0 (fam_exp clamps t to -746), so
   for a finite dy * cis its result is dy * 0, which f64b_other (and the AVX-512 level, in
   registers) returns at once: a tensor of such t would otherwise run element by element. */
#define FAM_F64B_T_ZERO (-746.0)
/* The kernel's range of t for C >= 1: from it on, k >= -16343, so m >= -1022 and s = 2^m A_j is
   a normal double (the exponent field does not wrap). fam_f64b_setup raises it for C < 1. */
#define FAM_F64B_T_LO (-708.0)
/* Where the kernel's result is used: |dy s| >= FAM_F64B_G_MIN and |dy| <= g_big = 2^(1021 - e)
   with C in [2^e, 2^(e+1)). The result, |dy s| (1 + p) with |p| < 0.022, is then within
   [2^-1016.04, 2^1022.04], so it does not overflow, what its small term dy s p loses to the
   subnormal range (2^-1075) is below 2^-6 of its ulp, and |dy cis| < 2^1023: where dy cis
   overflows, the double evaluation's infinity (the oracle's) stays. */
#define FAM_F64B_G_MIN 0x1p-1016
/* The C loops decide per chunk of this many elements whether one is left to f64b_other. */
#define FAM_F64B_CHUNK 16

/* The parameters of one call (fam_f64b_setup). */
typedef struct fam_f64b {
    /* C 2^(j/16) = A_j (1 + B_j) to 2^-104: A_j = cshi T_j rounded, B_j the rest (relative), with
       T_j, R_j of the forward's tables (2^(j/16) = T_j (1 + R_j)); atab holds the bits of A_j
       minus j << 48, as fam_f64_ttab, so that atab[j] + (kk's bits << 48) are those of 2^m A_j */
    uint64_t atab[16] FAM_ALIGN;
    double btab[16] FAM_ALIGN;
    double cshi, rho; /* C = cshi (1 + rho) to 2^-105 */
    double is, scale;
    double t_lo;  /* th >= t_lo: s = 2^m A_j is normal (m + the exponent of A_j >= -1022) */
    double g_big; /* |dy| <= g_big: |dy s| and |dy cis| below 2^1022 */
    int unit_input;
    int tables; /* atab and btab are filled */
} fam_f64b;

/*
 * A_j and B_j of one j, from C = cshi + cslo (fam_f64_setup's) and rho = cslo / cshi:
 *   C T_j (1 + R_j) = (A_j + err_j)(1 + rho)(1 + R_j),  err_j = fma(cshi, T_j, -A_j) exactly,
 *   = A_j (1 + d_j)(1 + rho)(1 + R_j) with d_j = err_j / A_j,  so B_j = d_j + rho + R_j (the
 *   products of these terms, each below 2^-52, are below 2^-104). The AVX-512 and AVX2 kernels
 *   compute the same with vectors (the same operations per j).
 */
FAM_INLINE void fam_f64b_entry(double cshi, double rho, int j, uint64_t *a, double *b)
{
    const double t = fam_double(fam_f64_ttab[j] + ((uint64_t)j << 48));
    const double aj = cshi * t;
    const double d = fma(cshi, t, -aj) / aj;
    *a = fam_bits(aj) - ((uint64_t)j << 48);
    *b = (d + rho) + fam_f64_rtab[j];
}

/* Fills *b but for the tables (fam_f64b_tables); returns 0 where the table kernel does not apply
   (then the block path runs). */
FAM_INLINE int fam_f64b_setup(const elu4j_params *p, fam_f64b *b)
{
    fam_f64c c;
    if (!fam_f64_setup(p, &c)) {
        return 0;
    }
    b->cshi = c.cshi;
    b->rho = c.cslo / c.cshi;
    b->is = c.is;
    b->scale = c.scale;
    b->unit_input = c.is == 1.0;
    b->tables = 0;
    /* A_j >= cshi >= 2^e: m >= -1022 - e keeps 2^m A_j normal, which t >= -708 - e ln2 gives
       (m >= t / ln2 - 0.97); C >= 1: -708 */
    const int e = ilogb(c.cshi);
    b->t_lo = e < 0 ? FAM_F64B_T_LO - (double)e * FAM_LN2 : FAM_F64B_T_LO;
    b->g_big = e < -2 ? DBL_MAX : fam_double((uint64_t)(1023 + 1021 - e) << 52); /* e <= 500 */
    return 1;
}

FAM_INLINE void fam_f64b_tables(fam_f64b *b)
{
    for (int j = 0; j < 16; j++) {
        fam_f64b_entry(b->cshi, b->rho, j, &b->atab[j], &b->btab[j]);
    }
    b->tables = 1;
}

/*
 * The kernel's reduction and polynomial for one x: returns p with e^t = s (1 + p) (to about 2^-58,
 * kernels_impl.h), s = 2^m A_j the value of atab[j] + (kb << 48), j = kb & 15 (kk's bits in *kbp).
 */
FAM_INLINE double FAM(f64b_exp)(double x, const fam_f64b *c, const int unit_input, uint64_t *kbp)
{
    const double th = unit_input ? x : c->is * x;
    const double tl = unit_input ? 0.0 : fma(c->is, x, -th); /* t = th + tl exactly */
    const double kk = fma(th, FAM_F64_INV_L, FAM_SHIFT_BASE); /* low 16 bits: k mod 2^16 */
    const double kf = kk - FAM_SHIFT_BASE;
    const uint64_t kb = fam_bits(kk);
    const int64_t j = (int64_t)(kb & 15u);
    const double rh = fma(kf, -FAM_F64B_L_HI, th); /* exact */
    const double rb = unit_input ? c->btab[j] : c->btab[j] + tl;
    const double rl = fma(kf, -FAM_F64B_L_LO, rb); /* < 2^-28: B_j, t's rest, ln2/16's rest */
    const double r = rh + rl;                       /* rounded: below 2^-59 lost */
    double q = fma(FAM_F64_C5, r, FAM_F64_C4);
    q = fma(q, r, FAM_F64_C3);
    q = fma(q, r, FAM_F64_C2);
    q = fma(q, r, FAM_F64_C1);
    q = fma(q, r, FAM_F64_C0);
    *kbp = kb;
    return fma(r, r * q, r); /* e^r - 1 */
}

/*
 * The kernel's value for one element (kernels_impl.h has the arithmetic), used where f64b_rare
 * says 0. unit_input (input_scale 1) is a constant after inlining; it only drops
 * operations whose result it knows bit for bit (t = x, tl = 0), so both kinds give the bits of
 * the general expression.
 */
FAM_INLINE double FAM(f64b_one)(double g, double x, const fam_f64b *c, const int unit_input)
{
    const double pos = g * c->scale;
    uint64_t kb;
    const double pe = FAM(f64b_exp)(x, c, unit_input, &kb);
    const double s = fam_double(c->atab[kb & 15u] + (kb << 48)); /* 2^m A_j */
    const double gs = g * s;
    const double fine = fma(g, s, gs * pe); /* dy s (1 + p) */
    /* dy = 0: dy * s, the sign of the exact product (the fma chain would give +0 for dy = -0) */
    const double neg = g == 0.0 ? gs : fine;
    return x > 0.0 ? pos : neg;
}

/*
 * Whether one element is left to f64b_other: x <= 0 or NaN, and not (t >= t_lo and
 * ((|dy s| >= G_MIN and |dy| <= g_big) or dy = 0)). So NaN x, NaN or infinite dy, t below the
 * range (x = -inf too), huge dy and results below 2^-1016 are left to it.
 */
FAM_INLINE int FAM(f64b_rare)(double g, double x, const fam_f64b *c, const int unit_input)
{
    const double th = unit_input ? x : c->is * x;
    const double kk = fma(th, FAM_F64_INV_L, FAM_SHIFT_BASE);
    const uint64_t kb = fam_bits(kk);
    const int64_t j = (int64_t)(kb & 15u);
    const double s = fam_double(c->atab[j] + (kb << 48));
    const double gs = fabs(g * s);
    const int in = (gs >= FAM_F64B_G_MIN) & (fabs(g) <= c->g_big);
    const int ok = (x > 0.0) | ((th >= c->t_lo) & (in | (g == 0.0)));
    return !ok;
}

/*
 * The value of an element that f64b_rare leaves. Where t < FAM_F64B_T_ZERO and |dy| <= g_big,
 * dy * 0 (the double evaluation's bits). Where t >= FAM_F64B_T_MIN (exp(t) above the
 * subnormal range's half), dy finite and nonzero, |dy| <= g_big and x <= 0, the kernel's
 * operations with s and dy scaled into [1, 2) (exactly: s = 2^E A'_j by its exponent bits, dy by
 * 2^-ilogb(dy)), then the result scaled back (two exact multiplies where it is normal): the
 * kernel's accuracy for normal results whatever their size, and for t below t_lo. Elsewhere,
 * and where that result is subnormal, the double evaluation (kernels_bwd.h's
 * bwd_f64_x_double_one), as before: NaN, zeros and infinities, t below FAM_F64B_T_MIN (x = -inf
 * too), huge dy (dy cis may overflow: the oracle's infinity) and subnormal results.
 */
/* ilogb of a finite nonzero double, from its bits (subnormals too). */
FAM_INLINE int fam_ilogb(double v)
{
    const uint64_t u = fam_bits(v) & UINT64_C(0x7FFFFFFFFFFFFFFF);
    const int e = (int)(u >> 52);
    return e != 0 ? e - 1023 : -1011 - __builtin_clzll(u);
}

/* f64b_other's scaled kernel: 1 and the result in *r where it applies (t >= FAM_F64B_T_MIN,
   x <= 0, dy finite and nonzero, |dy| <= g_big) and the result is a normal double, else 0. */
FAM_INLINE int FAM(f64b_scaled)(const fam_f64b *c, double g, double x, double *r)
{
    if (!(c->is * x >= FAM_F64B_T_MIN && x <= 0.0 && g != 0.0 && fabs(g) <= c->g_big)) {
        return 0;
    }
    uint64_t kb;
    const double pe = FAM(f64b_exp)(x, c, 0, &kb);
    const uint64_t j = kb & 15u;
    const int64_t m = (int64_t)(kb << 48) >> 52; /* k >= -17203: 16 bits hold it */
    const int64_t ea = (int64_t)(((c->atab[j] + (j << 48)) >> 52) & 0x7FFu) - 1023; /* A_j's */
    const int64_t es = m + ea;                  /* s in [2^es, 2^(es+1)) */
    const int eg = fam_ilogb(g);
    const double s1 = fam_double(c->atab[j] + (kb << 48) - ((uint64_t)es << 52)); /* [1, 2) */
    const double g1 = g * fam_double((uint64_t)(1023 - eg / 2) << 52) *
                      fam_double((uint64_t)(1023 - (eg - eg / 2)) << 52); /* [1, 2), exact */
    const double gs = g1 * s1;
    const double r1 = fma(g1, s1, gs * pe); /* in [0.97, 4.1] */
    const int64_t sh = es + eg; /* the result is r1 2^sh, below 2^1023 (|dy C| < 2^1022) */
    if (sh < -1024) {
        return 0; /* below 2^-1022.9: subnormal */
    }
    *r = r1 * fam_double((uint64_t)(1023 + sh / 2) << 52) *
         fam_double((uint64_t)(1023 + (sh - sh / 2)) << 52); /* exact where normal */
    return fabs(*r) >= DBL_MIN;
}

FAM_INLINE double FAM(f64b_other)(const elu4j_params *p, const fam_f64b *c, double g, double x)
{
    if (c->is * x < FAM_F64B_T_ZERO && fabs(g) <= c->g_big) {
        return g * 0.0; /* the double evaluation's bits: (dy * cis) * (+0), dy * cis finite */
    }
    double r;
    if (FAM(f64b_scaled)(c, g, x, &r)) {
        return r;
    }
    return FAM(bwd_f64_x_double_one)(g, x, p->scale, p->input_scale, p->cis);
}

/* One element whatever its range. The general kind: the bits of both kinds. */
FAM_INLINE double FAM(f64b_careful_one)(const elu4j_params *p, const fam_f64b *c, double g, double x)
{
    return FAM(f64b_rare)(g, x, c, 0) ? FAM(f64b_other)(p, c, g, x) : FAM(f64b_one)(g, x, c, 0);
}

#if defined(ELU4J_F64_AVX512)
#include "kernels_f64_bwd_avx512.h"
#elif defined(ELU4J_F64_AVX2)
#include "kernels_f64_bwd_avx2.h"
#else
/* m elements one by one (any alignment; dx may be dy: each element is read before it is written). */
FAM_NOINLINE static void FAM(f64b_careful)(const elu4j_params *p, const fam_f64b *c,
                                           const unsigned char *g, const unsigned char *x,
                                           unsigned char *dx, size_t m)
{
    for (size_t i = 0; i < m; i++) {
        double gv, xv;
        memcpy(&gv, g + 8 * i, 8);
        memcpy(&xv, x + 8 * i, 8);
        const double r = FAM(f64b_careful_one)(p, c, gv, xv);
        memcpy(dx + 8 * i, &r, 8);
    }
}

/*
 * The C loops over n elements at any byte alignment (dy, x, dx: G, X, DX). Per chunk, in place
 * (G == DX) the check of all its elements (a vectorised OR of f64b_rare) comes first, then the
 * kernel over the chunk, or f64b_careful where an element needs it: deciding before writing keeps
 * dy for f64b_other. Out of place one loop computes both (sharing t, s and dy s), and a chunk
 * with an element to redo runs f64b_careful again from the inputs, which are still there.
 */
#define FAM_F64B_LOAD(G, X, K)                                                                     \
    double gv, xv;                                                                                 \
    memcpy(&gv, (G) + 8 * (K), 8);                                                                 \
    memcpy(&xv, (X) + 8 * (K), 8)

#define FAM_F64B_LOOP_INPLACE(GD, X, UI)                                                           \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + FAM_F64B_CHUNK <= n; i += FAM_F64B_CHUNK) {                                     \
            int rare = 0;                                                                          \
            for (size_t k = i; k < i + FAM_F64B_CHUNK; k++) {                                      \
                FAM_F64B_LOAD(GD, X, k);                                                           \
                rare |= FAM(f64b_rare)(gv, xv, c, UI);                                             \
            }                                                                                      \
            if (rare) {                                                                            \
                FAM(f64b_careful)(p, c, (GD) + 8 * i, (X) + 8 * i, (GD) + 8 * i, FAM_F64B_CHUNK);  \
                continue;                                                                          \
            }                                                                                      \
            for (size_t k = i; k < i + FAM_F64B_CHUNK; k++) {                                      \
                FAM_F64B_LOAD(GD, X, k);                                                           \
                const double r = FAM(f64b_one)(gv, xv, c, UI);                                     \
                memcpy((GD) + 8 * k, &r, 8);                                                       \
            }                                                                                      \
        }                                                                                          \
        FAM(f64b_careful)(p, c, (GD) + 8 * i, (X) + 8 * i, (GD) + 8 * i, n - i);                   \
    }

#define FAM_F64B_LOOP_OUT(G, X, DX, UI)                                                            \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + FAM_F64B_CHUNK <= n; i += FAM_F64B_CHUNK) {                                     \
            int rare = 0;                                                                          \
            for (size_t k = i; k < i + FAM_F64B_CHUNK; k++) {                                      \
                FAM_F64B_LOAD(G, X, k);                                                            \
                rare |= FAM(f64b_rare)(gv, xv, c, UI);                                             \
                const double r = FAM(f64b_one)(gv, xv, c, UI);                                     \
                memcpy((DX) + 8 * k, &r, 8);                                                       \
            }                                                                                      \
            if (rare) {                                                                            \
                FAM(f64b_careful)(p, c, (G) + 8 * i, (X) + 8 * i, (DX) + 8 * i, FAM_F64B_CHUNK);   \
            }                                                                                      \
        }                                                                                          \
        FAM(f64b_careful)(p, c, (G) + 8 * i, (X) + 8 * i, (DX) + 8 * i, n - i);                    \
    }

static void FAM(f64b_inplace)(const elu4j_params *p, const fam_f64b *c, unsigned char *gd,
                              const unsigned char *restrict x, size_t n)
{
    if (c->unit_input) {
        FAM_F64B_LOOP_INPLACE(gd, x, 1)
    } else {
        FAM_F64B_LOOP_INPLACE(gd, x, 0)
    }
}

static void FAM(f64b_out)(const elu4j_params *p, const fam_f64b *c, const unsigned char *restrict g,
                          const unsigned char *restrict x, unsigned char *restrict dx, size_t n)
{
    if (c->unit_input) {
        FAM_F64B_LOOP_OUT(g, x, dx, 1)
    } else {
        FAM_F64B_LOOP_OUT(g, x, dx, 0)
    }
}
#endif

/*
 * f64 ELU backward from x (dy and x any alignment, dx disjoint from x and dy or dy itself) when
 * the table kernel applies (returns 1), else 0 (the block path's double evaluation).
 */
FAM_NOINLINE static int FAM(f64_bwd_x)(const elu4j_params *p, const void *dy, const void *x,
                                       void *dx, size_t n)
{
#if defined(ELU4J_F64_AVX512) || defined(ELU4J_F64_AVX2)
    return f64_bwd_kernel(p, dy, x, dx, n);
#else
    fam_f64b c;
    if (!fam_f64b_setup(p, &c)) {
        return 0;
    }
    fam_f64b_tables(&c);
    if (dx == dy) {
        FAM(f64b_inplace)(p, &c, (unsigned char *)dx, (const unsigned char *)x, n);
    } else {
        FAM(f64b_out)(p, &c, (const unsigned char *)dy, (const unsigned char *)x, (unsigned char *)dx,
                      n);
    }
    return 1;
#endif
}
