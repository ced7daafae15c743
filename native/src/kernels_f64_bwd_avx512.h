/*
 * elu4j family kernels: kernels_f64_bwd.h's f64 backward from x written with AVX-512 intrinsics,
 * 8 doubles a vector, four vectors a step. Included by kernels_f64_bwd.h in the AVX-512 level
 * only. As in kernels_f64_avx512.h, the two tables live in registers and are read with vpermt2pd
 * (the index is kk's bit pattern, whose low 4 bits are j); they are computed there too, by
 * fam_f64b_entry's operations on vectors of j. Every floating-point and integer operation is the
 * C code's (f64b_one, f64b_rare), in the same order, so the bits are the portable level's. The
 * check is per lane, in registers, before the vector is stored: a vector with lanes left to
 * f64b_other gets them in registers where it can (t < -746: dy * 0; the double evaluation, written
 * here with intrinsics as well), and f64b_scaled's lanes one by one, read from memory (dy is still
 * there when dx is dy) and inserted with a masked broadcast (no stack arrays: GCC 12's
 * AddressSanitizer crashes on 512-bit accesses to stack arrays of vectors). Ordinary stores only:
 * the kernel is bound by its arithmetic (the table kernel's reduction and polynomial per element),
 * and streaming stores measured slower on it. The backward from y at the end of this file, two
 * loads and four operations per element, is bound by memory and streams.
 */
#ifndef FAM
#error "included by kernels_f64_bwd.h only"
#endif

#include <immintrin.h>

typedef struct fam_f64bv {
    fam_f64k k; /* kernels_f64_avx512.h's, with this kernel's l_hi + l_lo */
    __m512d a0, a1, b0, b1; /* the tables: entries 0-7 and 8-15 */
    __m512d t_lo, t_zero, g_min, g_big, absmask, is, scale;
} fam_f64bv;

/* fam_f64b_entry on 8 values of j (jv: j as integers) */
FAM_INLINE void fam_f64b_entries(const fam_f64b *b, const uint64_t *ttab, const double *rtab,
                                 __m512i jv, __m512d *a, __m512d *bt)
{
    const __m512i j48 = _mm512_slli_epi64(jv, 48);
    const __m512d t = _mm512_castsi512_pd(_mm512_add_epi64(_mm512_loadu_si512(ttab), j48));
    const __m512d cshi = _mm512_set1_pd(b->cshi);
    const __m512d aj = _mm512_mul_pd(cshi, t);
    const __m512d d = _mm512_div_pd(_mm512_fmsub_pd(cshi, t, aj), aj);
    *a = _mm512_castsi512_pd(_mm512_sub_epi64(_mm512_castpd_si512(aj), j48));
    *bt = _mm512_add_pd(_mm512_add_pd(d, _mm512_set1_pd(b->rho)), _mm512_loadu_pd(rtab));
}

/* f64b_one and f64b_rare on 8 lanes; *rare gets the lanes left to f64b_other. */
FAM_INLINE __m512d fam_f64b_vec(__m512d g, __m512d x, const fam_f64bv *c, const int unit_input,
                                __mmask8 *rare)
{
    __m512i kb;
    __m512d th, rh, rl; /* kernels_f64_avx512.h's reduction, with this kernel's rest table b */
    fam_f64_reduce(x, c->is, c->k.inv_l, c->k.shift, c->k.neg_l_hi, c->k.neg_l_lo, c->b0, c->b1,
                   unit_input, &th, &kb, &rh, &rl);
    const __m512d r = _mm512_add_pd(rh, rl);
    __m512d q = _mm512_fmadd_pd(c->k.c5, r, c->k.c4);
    q = _mm512_fmadd_pd(q, r, c->k.c3);
    q = _mm512_fmadd_pd(q, r, c->k.c2);
    q = _mm512_fmadd_pd(q, r, c->k.c1);
    q = _mm512_fmadd_pd(q, r, c->k.c0);
    const __m512d pe = _mm512_fmadd_pd(r, _mm512_mul_pd(r, q), r);
    const __m512i ab = _mm512_castpd_si512(_mm512_permutex2var_pd(c->a0, kb, c->a1));
    const __m512d s = _mm512_castsi512_pd(_mm512_add_epi64(ab, _mm512_slli_epi64(kb, 48)));
    const __m512d gs = _mm512_mul_pd(g, s);
    const __m512d fine = _mm512_fmadd_pd(g, s, _mm512_mul_pd(gs, pe));
    const __mmask8 zero = _mm512_cmp_pd_mask(g, c->k.zero, _CMP_EQ_OQ);
    const __mmask8 gt = _mm512_cmp_pd_mask(x, c->k.zero, _CMP_GT_OQ);
    /* x > 0 ? dy * scale : dy == 0 ? dy * s : fine */
    const __m512d neg = _mm512_mask_blend_pd(zero, fine, gs);
    const __m512d res = _mm512_mask_mul_pd(neg, gt, g, c->scale);
    /* f64b_rare */
    const __m512d ga = _mm512_and_pd(gs, c->absmask);
    const __mmask8 gmin = _mm512_cmp_pd_mask(ga, c->g_min, _CMP_GE_OQ);
    const __mmask8 in = _mm512_mask_cmp_pd_mask(gmin, _mm512_and_pd(g, c->absmask), c->g_big, _CMP_LE_OQ);
    const __mmask8 ok = _mm512_mask_cmp_pd_mask(in | zero, th, c->t_lo, _CMP_GE_OQ);
    *rare = (__mmask8)~(gt | ok);
    return res;
}

/*
 * kernels_bwd.h's bwd_f64_x_double_one (fam_exp, fam_reduce, fam_q with f64 = 1) on 8 lanes, the
 * same operations in the same order (the C selects as blends of computed values): the double
 * evaluation of the lanes f64b_other gives it, without a scalar loop (its exp(t) is subnormal
 * for many such lanes, and a scalar operation with a subnormal result is slow here).
 */
static __m512d fam_f64b_double_vec(__m512d g, __m512d x, const elu4j_params *p)
{
    const __m512d zero = _mm512_setzero_pd();
    const __m512d is = _mm512_set1_pd(p->input_scale);
    const __m512d pos = _mm512_mul_pd(g, _mm512_set1_pd(p->scale));
    const __m512d t = _mm512_mul_pd(x, is);
    const __m512d terr0 = _mm512_fmsub_pd(x, is, t);
    const __m512d at = _mm512_and_pd(t, _mm512_castsi512_pd(_mm512_set1_epi64(INT64_C(0x7FFFFFFFFFFFFFFF))));
    const __m512d terr = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(at, _mm512_set1_pd(DBL_MAX), _CMP_LE_OQ),
                                              zero, terr0);
    /* fam_exp(t, 1) */
    const __m512d lo = _mm512_set1_pd(FAM_EXP_LO), ovf = _mm512_set1_pd(FAM_T_OVF);
    __m512d tc = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(t, lo, _CMP_LT_OQ), t, lo);
    tc = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(tc, ovf, _CMP_GT_OQ), tc, ovf);
    const __m512d shift = _mm512_set1_pd(FAM_SHIFT);
    const __m512d kk = _mm512_fmadd_pd(tc, _mm512_set1_pd(FAM_LOG2E), shift);
    const __m512d nf = _mm512_sub_pd(kk, shift);
    const __m512i u = _mm512_sub_epi64(_mm512_castpd_si512(kk),
                                       _mm512_castpd_si512(_mm512_set1_pd(FAM_SHIFT_BASE)));
    const __m512d r_hi = _mm512_fmadd_pd(nf, _mm512_set1_pd(-FAM_LN2_HI), tc);
    const __m512d neg_lo = _mm512_set1_pd(-FAM_LN2_LO);
    const __m512d r = _mm512_fmadd_pd(nf, neg_lo, r_hi);
    const __m512d cr = _mm512_fmadd_pd(nf, neg_lo, _mm512_sub_pd(r_hi, r));
    __m512d q = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 6227020800.0), r, _mm512_set1_pd(1.0 / 479001600.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 39916800.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 3628800.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 362880.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 40320.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 5040.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 720.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 120.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 24.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 6.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(0.5));
    const __m512d pr = _mm512_add_pd(r, _mm512_fmadd_pd(_mm512_mul_pd(r, r), q, _mm512_fmadd_pd(cr, r, cr)));
    const __m512i one = _mm512_set1_epi64(1);
    const __m512i h = _mm512_srli_epi64(u, 1);
    const __m512d s1 = _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_sub_epi64(h, one), 52));
    const __m512d s2 = _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_sub_epi64(_mm512_sub_epi64(u, h), one), 52));
    __m512d e = _mm512_mul_pd(_mm512_fmadd_pd(s1, pr, s1), s2);
    e = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(t, ovf, _CMP_GT_OQ), e, _mm512_set1_pd((double)INFINITY));
    /* ec = terr != 0 && e <= DBL_MAX ? e + e * terr : e */
    const __mmask8 corr = _mm512_mask_cmp_pd_mask(_mm512_cmp_pd_mask(terr, zero, _CMP_NEQ_UQ), e,
                                                  _mm512_set1_pd(DBL_MAX), _CMP_LE_OQ);
    const __m512d ec = _mm512_mask_blend_pd(corr, e, _mm512_add_pd(e, _mm512_mul_pd(e, terr)));
    const __m512d neg = _mm512_mul_pd(_mm512_mul_pd(g, _mm512_set1_pd(p->cis)), ec);
    const __m512d res = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, zero, _CMP_GT_OQ), neg, pos);
    return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), res, _mm512_add_pd(x, x));
}

/* The lanes of rare (f64b_other) into v: those with t < FAM_F64B_T_ZERO and |dy| <= g_big as
   dy * 0, the others as the double evaluation, in registers, then, one by one from memory, those
   that f64b_scaled may take (a normal result). The scalar code reads the tables from *b: filled here, on the call's
   first such lane (the registers hold the same bits). */
FAM_NOINLINE static __m512d fam_f64b_fix_lanes(__m512d v, unsigned rare, const elu4j_params *p,
                                               fam_f64b *b, const fam_f64bv *c, __mmask8 lanes,
                                               const char *g, const char *x)
{
    /* reloaded (not kept live across the loop's step: that made GCC spill there) */
    const __m512d gv8 = _mm512_maskz_loadu_pd(lanes, g);
    const __m512d xv8 = _mm512_maskz_loadu_pd(lanes, x);
    const __m512d th = _mm512_mul_pd(c->is, xv8);
    __mmask8 under = _mm512_mask_cmp_pd_mask((__mmask8)rare, th, c->t_zero, _CMP_LT_OQ);
    under = _mm512_mask_cmp_pd_mask(under, _mm512_and_pd(gv8, c->absmask), c->g_big, _CMP_LE_OQ);
    v = _mm512_mask_mul_pd(v, under, gv8, c->k.zero);
    rare &= ~(unsigned)under;
    if (rare == 0) {
        return v;
    }
    v = _mm512_mask_blend_pd((__mmask8)rare, v, fam_f64b_double_vec(gv8, xv8, p));
    /* f64b_scaled's exponent of the result, sh = m + (A_j's exponent) + ilogb(dy), as it computes
       it: where sh < -1024 it answers 0 (a subnormal result), so those lanes need no scalar call */
    const __m512i kb = _mm512_castpd_si512(_mm512_fmadd_pd(th, c->k.inv_l, c->k.shift));
    const __m512i m = _mm512_srai_epi64(_mm512_slli_epi64(kb, 48), 52);
    const __m512i abits = _mm512_add_epi64(_mm512_castpd_si512(_mm512_permutex2var_pd(c->a0, kb, c->a1)),
                                           _mm512_slli_epi64(_mm512_and_si512(kb, _mm512_set1_epi64(15)), 48));
    const __m512i ea = _mm512_sub_epi64(_mm512_and_si512(_mm512_srli_epi64(abits, 52), _mm512_set1_epi64(0x7FF)),
                                        _mm512_set1_epi64(1023));
    const __m512i eg = _mm512_cvtpd_epi64(_mm512_getexp_pd(gv8)); /* only finite nonzero dy matter */
    const __m512i sh = _mm512_add_epi64(_mm512_add_epi64(m, ea), eg);
    rare &= _mm512_cmp_epi64_mask(sh, _mm512_set1_epi64(-1024), _MM_CMPINT_NLT);
    if (rare != 0 && !b->tables) {
        fam_f64b_tables(b);
    }
    while (rare != 0) {
        const unsigned l = (unsigned)__builtin_ctz(rare);
        double gv, xv, r;
        memcpy(&gv, g + 8 * l, 8);
        memcpy(&xv, x + 8 * l, 8);
        if (FAM(f64b_scaled)(b, gv, xv, &r)) {
            v = _mm512_mask_broadcastsd_pd(v, (__mmask8)(1u << l), _mm_set_sd(r));
        }
        rare &= rare - 1u;
    }
    return v;
}

FAM_INLINE __m512d fam_f64b_fix(__m512d v, unsigned rare, const elu4j_params *p, fam_f64b *b,
                                const fam_f64bv *c, __mmask8 lanes, const char *g, const char *x)
{
    return rare != 0 ? fam_f64b_fix_lanes(v, rare, p, b, c, lanes, g, x) : v;
}

FAM_INLINE void fam_f64b_loop512(const elu4j_params *p, fam_f64b *b, const char *g,
                                 const char *x, char *dx, size_t n, const fam_f64bv *c, const int ui)
{
    size_t i = 0;
    /* A step's loads, and the reads of its rare lanes, come before its stores: dx may be dy. */
    for (; i + 32 <= n; i += 32) {
        __mmask8 k0, k1, k2, k3;
        __m512d v0 = fam_f64b_vec(_mm512_loadu_pd(g + 8 * i), _mm512_loadu_pd(x + 8 * i), c, ui, &k0);
        __m512d v1 = fam_f64b_vec(_mm512_loadu_pd(g + 8 * i + 64), _mm512_loadu_pd(x + 8 * i + 64), c,
                                  ui, &k1);
        __m512d v2 = fam_f64b_vec(_mm512_loadu_pd(g + 8 * i + 128), _mm512_loadu_pd(x + 8 * i + 128),
                                  c, ui, &k2);
        __m512d v3 = fam_f64b_vec(_mm512_loadu_pd(g + 8 * i + 192), _mm512_loadu_pd(x + 8 * i + 192),
                                  c, ui, &k3);
        if ((k0 | k1 | k2 | k3) != 0) {
            v0 = fam_f64b_fix(v0, k0, p, b, c, 0xFF, g + 8 * i, x + 8 * i);
            v1 = fam_f64b_fix(v1, k1, p, b, c, 0xFF, g + 8 * i + 64, x + 8 * i + 64);
            v2 = fam_f64b_fix(v2, k2, p, b, c, 0xFF, g + 8 * i + 128, x + 8 * i + 128);
            v3 = fam_f64b_fix(v3, k3, p, b, c, 0xFF, g + 8 * i + 192, x + 8 * i + 192);
        }
        _mm512_storeu_pd(dx + 8 * i, v0);
        _mm512_storeu_pd(dx + 8 * i + 64, v1);
        _mm512_storeu_pd(dx + 8 * i + 128, v2);
        _mm512_storeu_pd(dx + 8 * i + 192, v3);
    }
    for (; i + 8 <= n; i += 8) {
        __mmask8 k0;
        __m512d v0 = fam_f64b_vec(_mm512_loadu_pd(g + 8 * i), _mm512_loadu_pd(x + 8 * i), c, ui, &k0);
        v0 = fam_f64b_fix(v0, k0, p, b, c, 0xFF, g + 8 * i, x + 8 * i);
        _mm512_storeu_pd(dx + 8 * i, v0);
    }
    if (i < n) {
        const __mmask8 tail = (__mmask8)((1u << (n - i)) - 1u); /* n - i in 1..7 */
        __mmask8 k0;
        __m512d v0 = fam_f64b_vec(_mm512_maskz_loadu_pd(tail, g + 8 * i),
                                  _mm512_maskz_loadu_pd(tail, x + 8 * i), c, ui, &k0);
        v0 = fam_f64b_fix(v0, (uint8_t)(k0 & tail), p, b, c, tail, g + 8 * i, x + 8 * i);
        _mm512_mask_storeu_pd(dx + 8 * i, tail, v0);
    }
}

/* kernels_f64_bwd.h's f64_bwd_x at this level: 0 where the table kernel does not apply. */
static int f64_bwd_kernel(const elu4j_params *p, const void *dy, const void *x, void *dx, size_t n)
{
    fam_f64b b;
    if (!fam_f64b_setup(p, &b)) {
        return 0;
    }
    const __m512i j0 = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i j1 = _mm512_add_epi64(j0, _mm512_set1_epi64(8));
    fam_f64bv c = {
        .k = fam_f64_consts(FAM_F64B_L_HI, FAM_F64B_L_LO),
        .t_lo = _mm512_set1_pd(b.t_lo),
        .t_zero = _mm512_set1_pd(FAM_F64B_T_ZERO),
        .g_min = _mm512_set1_pd(FAM_F64B_G_MIN),
        .g_big = _mm512_set1_pd(b.g_big),
        .absmask = _mm512_castsi512_pd(_mm512_set1_epi64(INT64_C(0x7FFFFFFFFFFFFFFF))),
        .is = _mm512_set1_pd(b.is),
        .scale = _mm512_set1_pd(b.scale),
    };
    fam_f64b_entries(&b, fam_f64_ttab, fam_f64_rtab, j0, &c.a0, &c.b0);
    fam_f64b_entries(&b, fam_f64_ttab + 8, fam_f64_rtab + 8, j1, &c.a1, &c.b1);
    const char *g = (const char *)dy;
    const char *xs = (const char *)x;
    char *out = (char *)dx;
    if (b.unit_input) {
        fam_f64b_loop512(p, &b, g, xs, out, n, &c, 1);
    } else {
        fam_f64b_loop512(p, &b, g, xs, out, n, &c, 0);
    }
    return 1;
}

/* --- the backward from y, streamed ------------------------------------------------------------- */
/*
 * kernels_bwd.h's f64 backward from y (FAM_BWD_Y_F64_LOOP: dy * scale for y > 0, NaN y as y + y,
 * else (dy * input_scale) * ((y + coef) + clo)) with intrinsics, the same operations, so the C loop's
 * bits, for the calls that stream (out of place, elu4j_internal.h): the loop's two loads and four
 * operations per element wait for memory on large tensors, and a streamed line saves the read of
 * the line that an ordinary store brings in first. The calls that do not stream keep GCC's
 * vectorisation of the C loop, which measured as fast or faster than this loop on tensors that
 * stay in the caches.
 */
typedef struct fam_f64yv {
    __m512d scale, is, coef, clo, zero;
} fam_f64yv;

/* y > 0: dy * scale, NaN y: y + y, merged into one vector; y <= 0: the product, merged in last */
FAM_INLINE __m512d fam_f64_bwd_y8(__m512d g, __m512d y, const fam_f64yv *c)
{
    const __m512d pos = _mm512_mask_add_pd(_mm512_mul_pd(g, c->scale),
                                           _mm512_cmp_pd_mask(y, y, _CMP_UNORD_Q), y, y);
    return _mm512_mask_mul_pd(pos, _mm512_cmp_pd_mask(y, c->zero, _CMP_LE_OQ),
                              _mm512_mul_pd(g, c->is), _mm512_add_pd(_mm512_add_pd(y, c->coef), c->clo));
}

/* The elements [i, n) (stream_store.h: stream a constant). */
FAM_INLINE void fam_f64_bwd_y_loop512(const char *g, const char *y, char *dx, const fam_f64yv *c,
                                      size_t i, size_t n, const int stream)
{
    for (; i + 8 <= n; i += 8) {
        const __m512d r = fam_f64_bwd_y8(_mm512_loadu_pd(g + 8 * i), _mm512_loadu_pd(y + 8 * i), c);
        ELU4J_STORE(dx + 8 * i, r, stream);
    }
    if (i < n) {
        const __mmask8 tail = (__mmask8)((1u << (n - i)) - 1u); /* n - i in 1..7 */
        const __m512d r = fam_f64_bwd_y8(_mm512_maskz_loadu_pd(tail, g + 8 * i),
                                         _mm512_maskz_loadu_pd(tail, y + 8 * i), c);
        _mm512_mask_storeu_pd(dx + 8 * i, tail, r);
    }
}

/* ELU's f64 backward from y with streaming stores (dx out of place, 8-byte aligned). */
static void f64_bwd_y_stream(const elu4j_params *p, const void *dy, const void *y, void *dx,
                             size_t n)
{
    const fam_f64yv c = {
        .scale = _mm512_set1_pd(p->scale),
        .is = _mm512_set1_pd(p->input_scale),
        .coef = _mm512_set1_pd(p->coef),
        .clo = _mm512_set1_pd(p->clo),
        .zero = _mm512_setzero_pd(),
    };
    ELU4J_STREAMED(1, (char *)dx, 8, n, fam_f64_bwd_y_loop512, (const char *)dy, (const char *)y,
                   (char *)dx, &c);
}
