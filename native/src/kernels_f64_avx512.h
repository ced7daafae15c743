/*
 * elu4j family kernels: kernels_f64.h's f64 table kernel written with AVX-512 intrinsics, 8 doubles
 * a vector, four vectors a step. Included by kernels_f64.h in the AVX-512 level only (its file
 * defines ELU4J_F64_AVX512). GCC's vectorisation of the C loop loads the two 16-entry tables with
 * gathers and runs one vector per iteration; here the tables live in four registers and are read
 * with vpermt2pd, whose index is the bit pattern of kk itself (its low 4 bits are j). Every
 * floating-point and integer operation is the C loop's, in the same order (comparisons give the
 * C selects' lanes), so the bits are the portable level's. Ordinary stores, also for large
 * outputs: the kernel is bound by its arithmetic, and streaming stores made it slower (here and
 * in kernels_f64_avx2.h; elu4j_internal.h: where streaming stores pay).
 */
#ifndef FAM
#error "included by kernels_f64.h only"
#endif

#include <immintrin.h>

/*
 * The reduction's and the polynomial's constants, the same in the forward and the backward
 * (kernels_f64_bwd_avx512.h) but for the split of ln2/16 into l_hi + l_lo, each kernel's own.
 */
typedef struct fam_f64k {
    __m512d inv_l, shift, neg_l_hi, neg_l_lo, c0, c1, c2, c3, c4, c5, zero;
} fam_f64k;

FAM_INLINE fam_f64k fam_f64_consts(const double l_hi, const double l_lo)
{
    return (fam_f64k){
        .inv_l = _mm512_set1_pd(FAM_F64_INV_L),
        .shift = _mm512_set1_pd(FAM_SHIFT_BASE),
        .neg_l_hi = _mm512_set1_pd(-l_hi),
        .neg_l_lo = _mm512_set1_pd(-l_lo),
        .c0 = _mm512_set1_pd(FAM_F64_C0),
        .c1 = _mm512_set1_pd(FAM_F64_C1),
        .c2 = _mm512_set1_pd(FAM_F64_C2),
        .c3 = _mm512_set1_pd(FAM_F64_C3),
        .c4 = _mm512_set1_pd(FAM_F64_C4),
        .c5 = _mm512_set1_pd(FAM_F64_C5),
        .zero = _mm512_setzero_pd(),
    };
}

typedef struct fam_f64v {
    fam_f64k k;
    __m512d one;
    __m512d t0, t1, r0, r1; /* the tables: entries 0-7 and 8-15 */
    __m512d sat, neg_lin, chi, clo, is, cshi, cslo, scale, neg_coef;
} fam_f64v;

/*
 * The reduction of t = is * x (*th; the forward's and the backward's, kernels_f64.h /
 * kernels_f64_bwd.h): kk = t / (ln2/16) + shift, whose bit pattern holds n and j (*kb), r = rh + rl with rh = t - kf *
 * l_hi and rl = kf * (-l_lo) + (the table's rest at j (r0/r1), plus t's rounding error tl).
 */
FAM_INLINE void fam_f64_reduce(__m512d x, __m512d is, __m512d inv_l, __m512d shift, __m512d neg_l_hi,
                               __m512d neg_l_lo, __m512d r0, __m512d r1, const int unit_input,
                               __m512d *th_out, __m512i *kb, __m512d *rh, __m512d *rl)
{
    const __m512d th = unit_input ? x : _mm512_mul_pd(is, x);
    const __m512d kk = _mm512_fmadd_pd(th, inv_l, shift);
    const __m512d kf = _mm512_sub_pd(kk, shift);
    *th_out = th;
    *kb = _mm512_castpd_si512(kk);
    *rh = _mm512_fmadd_pd(kf, neg_l_hi, th);
    const __m512d rt = _mm512_permutex2var_pd(r0, *kb, r1);
    __m512d rb = rt;
    if (!unit_input) {
        const __m512d tl = _mm512_fmsub_pd(is, x, th); /* fma(is, x, -th) */
        rb = _mm512_add_pd(rt, tl);
    }
    *rl = _mm512_fmadd_pd(kf, neg_l_lo, rb);
}

FAM_INLINE __m512d fam_f64_vec(__m512d x, const fam_f64v *c, const int unit_input,
                               const int unit_coef, const int unit_scale)
{
    __m512i kb;
    __m512d th, rh, rl;
    fam_f64_reduce(x, c->is, c->k.inv_l, c->k.shift, c->k.neg_l_hi, c->k.neg_l_lo, c->r0, c->r1,
                   unit_input, &th, &kb, &rh, &rl);
    __m512d q = _mm512_fmadd_pd(c->k.c5, rh, c->k.c4);
    q = _mm512_fmadd_pd(q, rh, c->k.c3);
    q = _mm512_fmadd_pd(q, rh, c->k.c2);
    q = _mm512_fmadd_pd(q, rh, c->k.c1);
    q = _mm512_fmadd_pd(q, rh, c->k.c0);
    const __m512d u = _mm512_fmadd_pd(rh, q, rl);
    const __m512d w = _mm512_fmadd_pd(rh, u, rl);
    const __m512i tb = _mm512_castpd_si512(_mm512_permutex2var_pd(c->t0, kb, c->t1));
    const __m512d s = _mm512_castsi512_pd(_mm512_add_epi64(tb, _mm512_slli_epi64(kb, 48)));
    const __m512d sm1 = _mm512_sub_pd(s, c->one);
    const __m512d serr = _mm512_sub_pd(s, _mm512_add_pd(sm1, c->one));
    const __m512d eh = _mm512_fmadd_pd(s, rh, sm1);
    const __m512d e0 = _mm512_fmadd_pd(s, rh, _mm512_sub_pd(sm1, eh));
    const __m512d el = _mm512_fmadd_pd(s, w, _mm512_add_pd(e0, serr));
    __m512d neg = unit_coef ? _mm512_add_pd(eh, el)
                            : _mm512_fmadd_pd(c->chi, eh,
                                              _mm512_fmadd_pd(c->chi, el, _mm512_mul_pd(c->clo, eh)));
    /* the rare lanes (t < FAM_F64_SAT; |t| < FAM_F64_LIN with input_scale != 1) take a branch:
       blending nothing into the other vectors gives the same bits as the C selects */
    const __mmask8 sat = _mm512_cmp_pd_mask(th, c->sat, _CMP_LT_OQ);
    if (sat) {
        neg = _mm512_mask_blend_pd(sat, neg, c->neg_coef);
    }
    if (!unit_input) {
        const __mmask8 lin = _mm512_cmp_pd_mask(th, c->neg_lin, _CMP_GT_OQ);
        if (lin) {
            neg = _mm512_mask_blend_pd(lin, neg,
                                       _mm512_fmadd_pd(c->cshi, x, _mm512_mul_pd(c->cslo, x)));
        }
    }
    const __mmask8 lt = _mm512_cmp_pd_mask(x, c->k.zero, _CMP_LT_OQ);
    if (unit_scale) { /* pos = x: x > 0 ? x : x < 0 ? neg : x is x < 0 ? neg : x */
        return _mm512_mask_blend_pd(lt, x, neg);
    }
    /* x > 0: scale * x, the product written into those lanes by a masked multiply */
    const __mmask8 gt = _mm512_cmp_pd_mask(x, c->k.zero, _CMP_GT_OQ);
    return _mm512_mask_mul_pd(_mm512_mask_blend_pd(lt, x, neg), gt, c->scale, x);
}

FAM_INLINE void fam_f64_loop512(const char *in, char *out, size_t n, const fam_f64v *c,
                                const int ui, const int uc, const int us)
{
    size_t i = 0;
    /* Loads of a step come before its stores, so dst == src (in place) is safe. */
    for (; i + 32 <= n; i += 32) {
        const __m512d x0 = _mm512_loadu_pd(in + 8 * i);
        const __m512d x1 = _mm512_loadu_pd(in + 8 * i + 64);
        const __m512d x2 = _mm512_loadu_pd(in + 8 * i + 128);
        const __m512d x3 = _mm512_loadu_pd(in + 8 * i + 192);
        _mm512_storeu_pd(out + 8 * i, fam_f64_vec(x0, c, ui, uc, us));
        _mm512_storeu_pd(out + 8 * i + 64, fam_f64_vec(x1, c, ui, uc, us));
        _mm512_storeu_pd(out + 8 * i + 128, fam_f64_vec(x2, c, ui, uc, us));
        _mm512_storeu_pd(out + 8 * i + 192, fam_f64_vec(x3, c, ui, uc, us));
    }
    for (; i + 8 <= n; i += 8) {
        _mm512_storeu_pd(out + 8 * i, fam_f64_vec(_mm512_loadu_pd(in + 8 * i), c, ui, uc, us));
    }
    if (i < n) {
        const __mmask8 tail = (__mmask8)((1u << (n - i)) - 1u); /* n - i in 1..7 */
        const __m512d x = _mm512_maskz_loadu_pd(tail, in + 8 * i);
        _mm512_mask_storeu_pd(out + 8 * i, tail, fam_f64_vec(x, c, ui, uc, us));
    }
}

static void f64_elu_kernel(const fam_f64c *p, const void *src, void *dst, size_t n)
{
    const fam_f64v c = {
        .k = fam_f64_consts(FAM_F64_L_HI, FAM_F64_L_LO),
        .one = _mm512_set1_pd(1.0),
        .t0 = _mm512_load_pd((const double *)(const void *)fam_f64_ttab),
        .t1 = _mm512_load_pd((const double *)(const void *)(fam_f64_ttab + 8)),
        .r0 = _mm512_load_pd(fam_f64_rtab),
        .r1 = _mm512_load_pd(fam_f64_rtab + 8),
        .sat = _mm512_set1_pd(FAM_F64_SAT),
        .neg_lin = _mm512_set1_pd(-FAM_F64_LIN),
        .chi = _mm512_set1_pd(p->chi),
        .clo = _mm512_set1_pd(p->clo),
        .is = _mm512_set1_pd(p->is),
        .cshi = _mm512_set1_pd(p->cshi),
        .cslo = _mm512_set1_pd(p->cslo),
        .scale = _mm512_set1_pd(p->scale),
        .neg_coef = _mm512_set1_pd(p->neg_coef),
    };
    const char *in = (const char *)src;
    char *out = (char *)dst;
    switch (p->kind) {
    case 0: fam_f64_loop512(in, out, n, &c, 0, 0, 0); break;
    case 1: fam_f64_loop512(in, out, n, &c, 1, 0, 0); break;
    case 2: fam_f64_loop512(in, out, n, &c, 0, 1, 0); break;
    case 3: fam_f64_loop512(in, out, n, &c, 1, 1, 0); break;
    case 4: fam_f64_loop512(in, out, n, &c, 0, 0, 1); break;
    case 5: fam_f64_loop512(in, out, n, &c, 1, 0, 1); break;
    case 6: fam_f64_loop512(in, out, n, &c, 0, 1, 1); break;
    default: fam_f64_loop512(in, out, n, &c, 1, 1, 1); break;
    }
}
