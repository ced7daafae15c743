/*
 * elu4j family kernels: kernels_f64.h's f64 table kernel written with AVX2 intrinsics, 4 doubles a
 * vector, two vectors a step. Included by kernels_f64.h in the AVX2 level only (its file defines
 * ELU4J_F64_AVX2); kernels_f64_avx512.h's structure with 4 lanes. GCC's vectorisation of the C
 * loop reads the two 16-entry tables with gathers, which are slow on the CPUs this runs on; here
 * the tables are kept as planes of 32-bit halves and read for two vectors at once with vpermps and
 * a blend, as kernels_f64_bwd_avx2.h does. Every floating-point and integer operation is the C
 * loop's, in the same order (comparisons give the C selects' lanes), so the bits are the portable
 * level's. The loop seems bound by the number of its operations rather than their order: two
 * pairs a step, a software-pipelined loop (the next pair's reduction and polynomial before the
 * current pair's rest), a branch for the t < FAM_F64_SAT lanes and the tables' blends as and/xor
 * all measured the same or slower, and a gather for R_j slower (docs/benchmarks.md).
 */
#ifndef FAM
#error "included by kernels_f64.h only"
#endif

#include <immintrin.h>

/*
 * The reduction's and the polynomial's constants, the same in the forward and the backward
 * (kernels_f64_bwd_avx2.h) but for the split of ln2/16 into l_hi + l_lo, each kernel's own
 * (fam_f64k at AVX-512).
 */
typedef struct fam_f64k4 {
    __m256d inv_l, shift, neg_l_hi, neg_l_lo, c0, c1, c2, c3, c4, c5, zero;
} fam_f64k4;

FAM_INLINE fam_f64k4 fam_f64_consts4(const double l_hi, const double l_lo)
{
    return (fam_f64k4){
        .inv_l = _mm256_set1_pd(FAM_F64_INV_L),
        .shift = _mm256_set1_pd(FAM_SHIFT_BASE),
        .neg_l_hi = _mm256_set1_pd(-l_hi),
        .neg_l_lo = _mm256_set1_pd(-l_lo),
        .c0 = _mm256_set1_pd(FAM_F64_C0),
        .c1 = _mm256_set1_pd(FAM_F64_C1),
        .c2 = _mm256_set1_pd(FAM_F64_C2),
        .c3 = _mm256_set1_pd(FAM_F64_C3),
        .c4 = _mm256_set1_pd(FAM_F64_C4),
        .c5 = _mm256_set1_pd(FAM_F64_C5),
        .zero = _mm256_setzero_pd(),
    };
}

typedef struct fam_f64v4 {
    fam_f64k4 k;
    __m256d one;
    __m256d sat, neg_lin, chi, clo, is, cshi, cslo, scale, neg_coef;
    /* the tables as planes of 32-bit halves: tlo0 the low halves of T's entries 0-7, thi1 the
       high halves of entries 8-15; R likewise */
    __m256 tlo0, tlo1, thi0, thi1, rlo0, rlo1, rhi0, rhi1;
} fam_f64v4;

/* The low (hi = 0) or high (hi = 1) 32-bit halves of the 8 table entries at t, in order. */
FAM_INLINE __m256 fam_f64_plane4(const void *t, const int hi)
{
    const __m256 e0 = _mm256_load_ps((const float *)t);
    const __m256 e1 = _mm256_load_ps((const float *)t + 8);
    /* halves of entries 0 1 4 5 | 2 3 6 7, then the 64-bit pairs into order */
    const __m256 h = hi ? _mm256_shuffle_ps(e0, e1, _MM_SHUFFLE(3, 1, 3, 1))
                        : _mm256_shuffle_ps(e0, e1, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(h), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* The halves at j of a plane pair (entries 0-7 and 8-15): idx holds j in its low 3 bits, m3 bit
   3 of j in the sign bit (blendvps's selector). */
FAM_INLINE __m256 fam_f64_look4(__m256 p0, __m256 p1, __m256i idx, __m256 m3)
{
    return _mm256_blendv_ps(_mm256_permutevar8x32_ps(p0, idx), _mm256_permutevar8x32_ps(p1, idx), m3);
}

/*
 * The reduction's second part on 4 lanes, shared with the backward (kernels_f64_bwd_avx2.h), as
 * fam_f64_reduce is at AVX-512: from th = t and kk (its bits hold n and j) and the table's rest at
 * j (rt), r = rh + rl with rh = t - kf * l_hi and rl = kf * (-l_lo) + rt (+ t's rounding error tl
 * when the input scale is not 1).
 */
FAM_INLINE void fam_f64_reduce4(__m256d x, __m256d th, __m256d kk, __m256d rt, __m256d is,
                                __m256d shift, __m256d neg_l_hi, __m256d neg_l_lo,
                                const int unit_input, __m256d *rh, __m256d *rl)
{
    const __m256d kf = _mm256_sub_pd(kk, shift);
    *rh = _mm256_fmadd_pd(kf, neg_l_hi, th);
    __m256d rb = rt;
    if (!unit_input) {
        rb = _mm256_add_pd(rt, _mm256_fmsub_pd(is, x, th)); /* + tl */
    }
    *rl = _mm256_fmadd_pd(kf, neg_l_lo, rb);
}

/* FAM(f64_one) on 4 lanes from the reduction's first part (th, kk) and the table entries at j
   (rt = R_j, s = 2^m T_j). */
FAM_INLINE __m256d fam_f64_rest4(__m256d x, __m256d th, __m256d kk, __m256d rt, __m256d s,
                                 const fam_f64v4 *c, const int unit_input, const int unit_coef,
                                 const int unit_scale)
{
    __m256d rh, rl;
    fam_f64_reduce4(x, th, kk, rt, c->is, c->k.shift, c->k.neg_l_hi, c->k.neg_l_lo, unit_input, &rh,
                    &rl);
    __m256d q = _mm256_fmadd_pd(c->k.c5, rh, c->k.c4);
    q = _mm256_fmadd_pd(q, rh, c->k.c3);
    q = _mm256_fmadd_pd(q, rh, c->k.c2);
    q = _mm256_fmadd_pd(q, rh, c->k.c1);
    q = _mm256_fmadd_pd(q, rh, c->k.c0);
    const __m256d u = _mm256_fmadd_pd(rh, q, rl);
    const __m256d w = _mm256_fmadd_pd(rh, u, rl);
    const __m256d sm1 = _mm256_sub_pd(s, c->one);
    const __m256d serr = _mm256_sub_pd(s, _mm256_add_pd(sm1, c->one));
    const __m256d eh = _mm256_fmadd_pd(s, rh, sm1);
    const __m256d e0 = _mm256_fmadd_pd(s, rh, _mm256_sub_pd(sm1, eh));
    const __m256d el = _mm256_fmadd_pd(s, w, _mm256_add_pd(e0, serr));
    __m256d neg = unit_coef ? _mm256_add_pd(eh, el)
                            : _mm256_fmadd_pd(c->chi, eh,
                                              _mm256_fmadd_pd(c->chi, el, _mm256_mul_pd(c->clo, eh)));
    /* t < FAM_F64_SAT: a blend, measured as fast as a test and branch, and it does not depend on
       how often such lanes come */
    neg = _mm256_blendv_pd(neg, c->neg_coef, _mm256_cmp_pd(th, c->sat, _CMP_LT_OQ));
    const __m256d lt = _mm256_cmp_pd(x, c->k.zero, _CMP_LT_OQ);
    if (!unit_input) {
        /* -FAM_F64_LIN < t with x < 0: rare, and its result costs two more operations, so a
           branch. The C select takes t > -FAM_F64_LIN alone, but neg only reaches the result
           where x < 0; without that condition every vector with a positive lane would take the
           branch, and mispredict it whenever all four lanes are negative. */
        const __m256d lin = _mm256_and_pd(_mm256_cmp_pd(th, c->neg_lin, _CMP_GT_OQ), lt);
        if (_mm256_movemask_pd(lin) != 0) {
            neg = _mm256_blendv_pd(neg, _mm256_fmadd_pd(c->cshi, x, _mm256_mul_pd(c->cslo, x)), lin);
        }
    }
    const __m256d r = _mm256_blendv_pd(x, neg, lt); /* x < 0 ? neg : x */
    if (unit_scale) { /* pos = x: x > 0 ? x : x < 0 ? neg : x is x < 0 ? neg : x */
        return r;
    }
    const __m256d gt = _mm256_cmp_pd(x, c->k.zero, _CMP_GT_OQ);
    return _mm256_blendv_pd(r, _mm256_mul_pd(c->scale, x), gt);
}

/*
 * FAM(f64_one) on two vectors (8 lanes). The table entries of all 8 lanes are read at once from
 * the planes: their j (the low 32 bits of kk, in the order 0 1 4 5 | 2 3 6 7 of the lanes of x0
 * then x1) index both planes of each table, and unpacking the low and high halves gives x0's
 * lanes (unpacklo) and x1's (unpackhi) in order. The C code's 64-bit add of kb << 48 to T_j is
 * a 32-bit add to T_j's high half: the low 32 bits of kb << 48 are 0, so nothing carries into it.
 */
FAM_INLINE void fam_f64_pair4(__m256d x0, __m256d x1, const fam_f64v4 *c, const int ui,
                              const int uc, const int us, __m256d *y0, __m256d *y1)
{
    const __m256d th0 = ui ? x0 : _mm256_mul_pd(c->is, x0);
    const __m256d th1 = ui ? x1 : _mm256_mul_pd(c->is, x1);
    const __m256d kk0 = _mm256_fmadd_pd(th0, c->k.inv_l, c->k.shift);
    const __m256d kk1 = _mm256_fmadd_pd(th1, c->k.inv_l, c->k.shift);
    const __m256i idx = _mm256_castps_si256(
        _mm256_shuffle_ps(_mm256_castpd_ps(kk0), _mm256_castpd_ps(kk1), _MM_SHUFFLE(2, 0, 2, 0)));
    const __m256 m3 = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28));
    const __m256 rlo = fam_f64_look4(c->rlo0, c->rlo1, idx, m3);
    const __m256 rhi = fam_f64_look4(c->rhi0, c->rhi1, idx, m3);
    const __m256d rt0 = _mm256_castps_pd(_mm256_unpacklo_ps(rlo, rhi));
    const __m256d rt1 = _mm256_castps_pd(_mm256_unpackhi_ps(rlo, rhi));
    const __m256 tlo = fam_f64_look4(c->tlo0, c->tlo1, idx, m3);
    const __m256 thi = _mm256_castsi256_ps(_mm256_add_epi32(
        _mm256_castps_si256(fam_f64_look4(c->thi0, c->thi1, idx, m3)), _mm256_slli_epi32(idx, 16)));
    *y0 = fam_f64_rest4(x0, th0, kk0, rt0, _mm256_castps_pd(_mm256_unpacklo_ps(tlo, thi)), c, ui, uc,
                        us);
    *y1 = fam_f64_rest4(x1, th1, kk1, rt1, _mm256_castps_pd(_mm256_unpackhi_ps(tlo, thi)), c, ui, uc,
                        us);
}

/* The lanes (all ones) of a tail of m (0..4) elements. */
FAM_INLINE __m256i fam_f64_lanes4(size_t m)
{
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)m), _mm256_setr_epi64x(0, 1, 2, 3));
}

#define FAM_F64_LDU(P) _mm256_loadu_pd((const double *)(const void *)(P))
#define FAM_F64_LD(P, L) _mm256_maskload_pd((const double *)(const void *)(P), L)

FAM_INLINE void fam_f64_loop256(const char *in, char *out, size_t n, const fam_f64v4 *c,
                                const int ui, const int uc, const int us)
{
    size_t i = 0;
    /* Loads of a step come before its stores, so dst == src (in place) is safe. */
    for (; i + 8 <= n; i += 8) {
        __m256d y0, y1;
        fam_f64_pair4(FAM_F64_LDU(in + 8 * i), FAM_F64_LDU(in + 8 * i + 32), c, ui, uc, us, &y0, &y1);
        _mm256_storeu_pd((double *)(void *)(out + 8 * i), y0);
        _mm256_storeu_pd((double *)(void *)(out + 8 * i + 32), y1);
    }
    if (i < n) { /* 1..7 left: the lanes past n read as 0 and are not stored */
        const size_t m = n - i;
        const __m256i l0 = fam_f64_lanes4(m < 4 ? m : 4), l1 = fam_f64_lanes4(m > 4 ? m - 4 : 0);
        __m256d y0, y1;
        fam_f64_pair4(FAM_F64_LD(in + 8 * i, l0), FAM_F64_LD(in + 8 * i + 32, l1), c, ui, uc, us, &y0,
                      &y1);
        _mm256_maskstore_pd((double *)(void *)(out + 8 * i), l0, y0);
        _mm256_maskstore_pd((double *)(void *)(out + 8 * i + 32), l1, y1);
    }
}

static void f64_elu_kernel(const fam_f64c *p, const void *src, void *dst, size_t n)
{
    const fam_f64v4 c = {
        .k = fam_f64_consts4(FAM_F64_L_HI, FAM_F64_L_LO),
        .one = _mm256_set1_pd(1.0),
        .sat = _mm256_set1_pd(FAM_F64_SAT),
        .neg_lin = _mm256_set1_pd(-FAM_F64_LIN),
        .chi = _mm256_set1_pd(p->chi),
        .clo = _mm256_set1_pd(p->clo),
        .is = _mm256_set1_pd(p->is),
        .cshi = _mm256_set1_pd(p->cshi),
        .cslo = _mm256_set1_pd(p->cslo),
        .scale = _mm256_set1_pd(p->scale),
        .neg_coef = _mm256_set1_pd(p->neg_coef),
        .tlo0 = fam_f64_plane4(fam_f64_ttab, 0),
        .tlo1 = fam_f64_plane4(fam_f64_ttab + 8, 0),
        .thi0 = fam_f64_plane4(fam_f64_ttab, 1),
        .thi1 = fam_f64_plane4(fam_f64_ttab + 8, 1),
        .rlo0 = fam_f64_plane4(fam_f64_rtab, 0),
        .rlo1 = fam_f64_plane4(fam_f64_rtab + 8, 0),
        .rhi0 = fam_f64_plane4(fam_f64_rtab, 1),
        .rhi1 = fam_f64_plane4(fam_f64_rtab + 8, 1),
    };
    const char *in = (const char *)src;
    char *out = (char *)dst;
    switch (p->kind) {
    case 0: fam_f64_loop256(in, out, n, &c, 0, 0, 0); break;
    case 1: fam_f64_loop256(in, out, n, &c, 1, 0, 0); break;
    case 2: fam_f64_loop256(in, out, n, &c, 0, 1, 0); break;
    case 3: fam_f64_loop256(in, out, n, &c, 1, 1, 0); break;
    case 4: fam_f64_loop256(in, out, n, &c, 0, 0, 1); break;
    case 5: fam_f64_loop256(in, out, n, &c, 1, 0, 1); break;
    case 6: fam_f64_loop256(in, out, n, &c, 0, 1, 1); break;
    default: fam_f64_loop256(in, out, n, &c, 1, 1, 1); break;
    }
}
