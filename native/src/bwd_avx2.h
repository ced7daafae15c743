/*
 * elu4j native helper: the backward of ELU (p->bwd.enabled) at the AVX2 level, written with
 * intrinsics, straight from dy and x (or y) to dx: f32 here, bf16/f16 fused on the same f32
 * kernels in bwd_half_avx2.h. Included at the end of kernels_avx2.c, after kernels_impl.h, whose
 * backward entry point calls bwd_f32_kernel.
 *
 * bwd_avx512.h with 8 lanes: every operation is kernels_bwd.h's (bwd_y_one, bwd_x_one) in the same
 * order, so the bits are the portable level's. From y, a vector with a huge operand or a NaN
 * result runs bwd_y_one lane by lane, and zero results take the sign of dy * (ah + al) in
 * registers (with an input scale by a bit select, as bwd_avx512.h's bwd_y16); from x, each group
 * of kernels_bwd.h (16 elements from the start of the call: two vectors here) with an element
 * outside the pairs' range runs bwd_x_double. Masked loads and stores (vmaskmovps) for the tail
 * never touch memory outside the arrays. A step's stores never overlap a later step's loads, so
 * dx may be dy. Streaming stores as at the AVX-512 level (bwd_avx512.h has why): the f32 backward
 * from y only (a rare vector that bwd_y_slow8 finishes, and the tail, with ordinary stores).
 */
#ifndef FAM
#error "included by kernels_avx2.c after kernels_impl.h only"
#endif

typedef struct bconsts256 {
    __m256 chi, clo, shi, slo, phi, plo, cshi, cslo, big, neg_big, xlow, ylow, absmask, inf;
    __m256 log2e, shift, neg_ln2, ln2lo, q0, q1, q2, q3, q4, zero;
} bconsts256;

ELU4J_INLINE bconsts256 make_bconsts256(const elu4j_general *b)
{
    const bconsts256 c = {
        .chi = _mm256_set1_ps(b->chi),
        .clo = _mm256_set1_ps(b->clo),
        .shi = _mm256_set1_ps(b->shi),
        .slo = _mm256_set1_ps(b->slo),
        .phi = _mm256_set1_ps(b->phi),
        .plo = _mm256_set1_ps(b->plo),
        .cshi = _mm256_set1_ps(b->cshi),
        .cslo = _mm256_set1_ps(b->cslo),
        .big = _mm256_set1_ps(0x1p64f),
        .neg_big = _mm256_set1_ps(-0x1p64f),
        .xlow = _mm256_set1_ps(FAM_BWD_X_LOW),
        .ylow = _mm256_set1_ps(b->ylow),
        .absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)),
        .inf = _mm256_set1_ps(INFINITY),
        .log2e = _mm256_set1_ps(ELU4J_LOG2E),
        .shift = _mm256_set1_ps(ELU4J_SHIFT),
        .neg_ln2 = _mm256_set1_ps(-ELU4J_LN2),
        .ln2lo = _mm256_set1_ps(-FAM_LN2_LO_F),
        .q0 = _mm256_set1_ps(ELU4J_GQ0),
        .q1 = _mm256_set1_ps(ELU4J_GQ1),
        .q2 = _mm256_set1_ps(ELU4J_GQ2),
        .q3 = _mm256_set1_ps(ELU4J_GQ3),
        .q4 = _mm256_set1_ps(ELU4J_GQ4),
        .zero = _mm256_setzero_ps(),
    };
    return c;
}

ELU4J_INLINE __m256 bwd_pos8(__m256 g, const bconsts256 *c, const int pos_kind)
{
    if (pos_kind == 0) {
        return g;
    }
    if (pos_kind == 1) {
        return _mm256_mul_ps(c->phi, g);
    }
    return _mm256_fmadd_ps(c->phi, g, _mm256_mul_ps(c->plo, g));
}

/* The lanes (a vector of all-ones/zeros) of a tail of m (0..8) elements. */
ELU4J_INLINE __m256i bwd_lanes8(size_t m)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)m), idx);
}

/* bwd_y_one's fine result, fma(dy, ah, dy * al), for the pair forms (FAM_BWD_Y_PAIRS*). */
ELU4J_INLINE __m256 bwd_y_fine8(__m256 g, __m256 y, const bconsts256 *c, const int unit_input,
                                const int yform)
{
    const __m256 sh = _mm256_add_ps(c->chi, y);
    const __m256 d = _mm256_sub_ps(y, _mm256_sub_ps(sh, c->chi));
    const __m256 sl = yform == FAM_BWD_Y_PAIRS_NO_CLO ? d : _mm256_add_ps(d, c->clo);
    if (unit_input) {
        return _mm256_fmadd_ps(g, sh, _mm256_mul_ps(g, sl));
    }
    const __m256 ah = _mm256_mul_ps(sh, c->shi);
    const __m256 al = _mm256_add_ps(_mm256_fmsub_ps(sh, c->shi, ah),
                                    _mm256_fmadd_ps(sl, c->shi, _mm256_mul_ps(sh, c->slo)));
    return _mm256_fmadd_ps(g, ah, _mm256_mul_ps(g, al));
}

/* bwd_y_one on 8 lanes; *slow: a bit per lane (movemask) that needs bwd_y_slow8; yform and the
   pairs' arrangement with an input scale (a range test, dy's sign on every lane) as bwd_avx512.h's
   bwd_y16. */
ELU4J_INLINE __m256 bwd_y8(__m256 g, __m256 y, const bconsts256 *c, const int unit_input,
                           const int pos_kind, const int yform, int *slow)
{
    const __m256 gt = _mm256_cmp_ps(y, c->zero, _CMP_GT_OQ);
    __m256 fine, bad;
    if (yform == FAM_BWD_Y_FMA) { /* zero, infinite or NaN: bwd_y_one's plain product */
        fine = _mm256_fmadd_ps(g, y, _mm256_mul_ps(g, c->chi));
        bad = _mm256_or_ps(_mm256_cmp_ps(fine, c->zero, _CMP_EQ_UQ),
                           _mm256_cmp_ps(_mm256_and_ps(fine, c->absmask), c->inf, _CMP_EQ_OQ));
    } else if (unit_input) {
        fine = bwd_y_fine8(g, y, c, unit_input, yform);
        bad = _mm256_or_ps(_mm256_cmp_ps(fine, c->zero, _CMP_EQ_UQ), /* zero, NaN or infinite */
                           _mm256_cmp_ps(_mm256_and_ps(fine, c->absmask), c->inf, _CMP_EQ_OQ));
    } else {
        fine = bwd_y_fine8(g, y, c, unit_input, yform);
        bad = _mm256_or_ps(_mm256_cmp_ps(y, c->ylow, _CMP_NGE_UQ),
                           _mm256_cmp_ps(_mm256_and_ps(g, c->absmask), c->big, _CMP_NLE_UQ));
        fine = _mm256_or_ps(_mm256_and_ps(fine, c->absmask), _mm256_andnot_ps(c->absmask, g));
    }
    *slow = _mm256_movemask_ps(_mm256_andnot_ps(gt, bad));
    return _mm256_blendv_ps(fine, bwd_pos8(g, c, pos_kind), gt);
}

/*
 * The rare vectors and groups, element by element from memory: m elements of dtype (f32, bf16,
 * f16) at g and d, from y (bwd_y_one) or from x (bwd_x_double_one: a group outside the pairs'
 * range). Each element is read before it is written, so dx may be g; no stack arrays (GCC 12's
 * AddressSanitizer fake stack crashes on the vector accesses GCC would make to them).
 */
static void bwd_scalar8(const elu4j_params *p, int dtype, int from_dst, const char *g,
                        const char *d, char *dx, size_t m)
{
    const size_t es = dtype == ELU4J_DT_F32 ? 4 : 2;
    for (size_t i = 0; i < m; i++) {
        float gv, dv;
        if (es == 4) {
            memcpy(&gv, g + 4 * i, 4);
            memcpy(&dv, d + 4 * i, 4);
        } else {
            uint16_t h;
            FAM(widen)(dtype, (const unsigned char *)g + 2 * i, &h, &gv, 1);
            FAM(widen)(dtype, (const unsigned char *)d + 2 * i, &h, &dv, 1);
        }
        const float r = from_dst ? FAM(bwd_y_one)(gv, dv, p->bwd, p->bwd.pos_kind)
                                 : FAM(bwd_x_double_one)(p, gv, dv);
        if (es == 4) {
            memcpy(dx + 4 * i, &r, 4);
        } else {
            uint16_t h;
            FAM(narrow)(dtype, &r, &h, (unsigned char *)dx + 2 * i, 1);
        }
    }
}

/*
 * A vector with slow lanes, in registers (see bwd_avx512.h's bwd_y_fix16): the lanes among
 * `lanes` that bwd_y8 flagged take bwd_y_one's other products (the fma form: the plain product,
 * then a NaN y's rule; the pairs: the fine result, recomputed, and for a zero the sign of
 * dy * (ah + al)). Returns 0 where a lane needs bwd_y_one's huge-operand branch or the NaN rule
 * (FAM_BWD_NAN) in the pair form: the caller then runs bwd_scalar8 on the vector's elements.
 */
ELU4J_INLINE int bwd_y_fix8(__m256 gv, __m256 yv, __m256 lanes, __m256 *r, const bconsts256 *c,
                            const int unit_input, const int yform)
{
    const __m256 le = _mm256_and_ps(lanes, _mm256_cmp_ps(yv, c->zero, _CMP_NGT_UQ));
    if (yform == FAM_BWD_Y_FMA) { /* bwd_y_one's plain product, then a NaN y's rule */
        const __m256 bad = _mm256_and_ps(le, _mm256_or_ps(_mm256_cmp_ps(*r, c->zero, _CMP_EQ_UQ),
            _mm256_cmp_ps(_mm256_and_ps(*r, c->absmask), c->inf, _CMP_EQ_OQ)));
        *r = _mm256_blendv_ps(*r, _mm256_mul_ps(gv, _mm256_add_ps(c->chi, yv)), bad);
        *r = _mm256_blendv_ps(*r, _mm256_add_ps(yv, yv), _mm256_cmp_ps(yv, yv, _CMP_UNORD_Q));
        return 1;
    }
    const __m256 fine = bwd_y_fine8(gv, yv, c, unit_input, yform);
    __m256 rare = _mm256_or_ps(_mm256_cmp_ps(fine, fine, _CMP_UNORD_Q),
                               _mm256_cmp_ps(_mm256_and_ps(fine, c->absmask), c->inf, _CMP_EQ_OQ));
    if (!unit_input) {
        rare = _mm256_or_ps(rare, _mm256_or_ps(_mm256_cmp_ps(yv, c->neg_big, _CMP_LT_OQ),
            _mm256_cmp_ps(_mm256_and_ps(gv, c->absmask), c->big, _CMP_GT_OQ)));
    }
    if (_mm256_movemask_ps(_mm256_and_ps(le, rare))) {
        return 0;
    }
    *r = _mm256_blendv_ps(*r, fine, le);
    const __m256 zero = _mm256_and_ps(le, _mm256_cmp_ps(fine, c->zero, _CMP_EQ_OQ));
    const __m256 sh = _mm256_add_ps(c->chi, yv);
    const __m256 sl = _mm256_add_ps(_mm256_sub_ps(yv, _mm256_sub_ps(sh, c->chi)), c->clo);
    const __m256 ah = _mm256_mul_ps(sh, c->shi);
    const __m256 al = _mm256_add_ps(_mm256_fmsub_ps(sh, c->shi, ah),
                                    _mm256_fmadd_ps(sl, c->shi, _mm256_mul_ps(sh, c->slo)));
    const __m256 product = _mm256_mul_ps(gv, _mm256_add_ps(ah, al));
    *r = _mm256_blendv_ps(*r, _mm256_andnot_ps(c->absmask, product), zero);
    return 1;
}

/* A vector of m (1..8) f32 elements with slow lanes, from memory. */
ELU4J_INLINE void bwd_y_slow8(const elu4j_params *p, const char *g, const char *y, char *dx,
                              size_t m, __m256 r, const bconsts256 *c, const int unit_input,
                              const int yform)
{
    const __m256i lanes = bwd_lanes8(m);
    const __m256 gv = _mm256_maskload_ps((const float *)(const void *)g, lanes);
    const __m256 yv = _mm256_maskload_ps((const float *)(const void *)y, lanes);
    if (!bwd_y_fix8(gv, yv, _mm256_castsi256_ps(lanes), &r, c, unit_input, yform)) {
        bwd_scalar8(p, ELU4J_DT_F32, 1, g, y, dx, m);
        return;
    }
    _mm256_maskstore_ps((float *)(void *)dx, lanes, r);
}

/*
 * One vector a step, as bwd_avx512.h's bwd_y_loop (no arrays of vectors on the stack), over the
 * elements [i, n) (stream_store.h: stream a constant; the rare vectors and the tail take ordinary
 * stores).
 */
ELU4J_INLINE void bwd_y_loop8(const elu4j_params *p, const char *g, const char *y, char *dx,
                              const bconsts256 *c, const int unit_input, const int pos_kind,
                              const int yform, size_t i, size_t n, const int stream)
{
    for (; i < n; i += 8) {
        const size_t m = n - i < 8 ? n - i : 8;
        __m256 r;
        int slow;
        if (m == 8) {
            r = bwd_y8(_mm256_loadu_ps((const float *)(const void *)(g + 4 * i)),
                       _mm256_loadu_ps((const float *)(const void *)(y + 4 * i)), c, unit_input,
                       pos_kind, yform, &slow);
            if (__builtin_expect(slow == 0, 1)) {
                ELU4J_STORE(dx + 4 * i, r, stream);
                continue;
            }
        } else {
            const __m256i lanes = bwd_lanes8(m);
            r = bwd_y8(_mm256_maskload_ps((const float *)(const void *)(g + 4 * i), lanes),
                       _mm256_maskload_ps((const float *)(const void *)(y + 4 * i), lanes), c,
                       unit_input, pos_kind, yform, &slow);
            if ((slow & _mm256_movemask_ps(_mm256_castsi256_ps(lanes))) == 0) {
                _mm256_maskstore_ps((float *)(void *)(dx + 4 * i), lanes, r);
                continue;
            }
        }
        bwd_y_slow8(p, g + 4 * i, y + 4 * i, dx + 4 * i, m, r, c, unit_input, yform);
    }
}

/* Whether the lanes of g, x (all-ones in `lanes`) hold an element outside the pairs' range. */
ELU4J_INLINE int bwd_x_outside8(__m256 g, __m256 x, const bconsts256 *c, __m256 lanes)
{
    const __m256 out =
        _mm256_or_ps(_mm256_cmp_ps(_mm256_mul_ps(c->shi, x), c->xlow, _CMP_NGE_UQ),
                     _mm256_cmp_ps(_mm256_and_ps(g, c->absmask), c->big, _CMP_GT_OQ));
    return _mm256_movemask_ps(_mm256_and_ps(out, lanes)) != 0;
}

/* bwd_x_one on 8 lanes of a group inside the pairs' range; unit_input 2 as in bwd_avx512.h's bwd_x16. */
ELU4J_INLINE __m256 bwd_x8(__m256 g, __m256 x, const bconsts256 *c, const int unit_input,
                           const int pos_kind)
{
    const __m256 th = unit_input ? x : _mm256_mul_ps(c->shi, x);
    const __m256 tl =
        unit_input ? c->zero : _mm256_fmadd_ps(c->slo, x, _mm256_fmsub_ps(c->shi, x, th));
    const __m256 k = _mm256_fmadd_ps(th, c->log2e, c->shift);
    const __m256 nf = _mm256_sub_ps(k, c->shift);
    const __m256 rh = _mm256_fmadd_ps(nf, c->neg_ln2, th);
    __m256 q = _mm256_fmadd_ps(c->q4, rh, c->q3);
    q = _mm256_fmadd_ps(q, rh, c->q2);
    q = _mm256_fmadd_ps(q, rh, c->q1);
    q = _mm256_fmadd_ps(q, rh, c->q0);
    const __m256 lo = _mm256_fmadd_ps(nf, c->ln2lo, tl);
    const __m256 r2q = _mm256_mul_ps(_mm256_mul_ps(rh, rh), q);
    const __m256 w = _mm256_add_ps(r2q, _mm256_fmadd_ps(lo, _mm256_add_ps(rh, r2q), lo));
    const __m256 s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(k), 23));
    const __m256 eh = _mm256_fmadd_ps(s, rh, s);
    const __m256 el = _mm256_fmadd_ps(s, w, _mm256_fmadd_ps(s, rh, _mm256_sub_ps(s, eh)));
    const __m256 gh = _mm256_mul_ps(g, c->cshi);
    __m256 neg;
    if (unit_input == 2) { /* gl is a zero (bwd_x_loop's kinds) */
        neg = _mm256_fmadd_ps(gh, eh, _mm256_mul_ps(gh, el));
    } else {
        const __m256 gl = _mm256_fmadd_ps(g, c->cslo, _mm256_fmsub_ps(g, c->cshi, gh));
        neg = _mm256_fmadd_ps(gh, eh, _mm256_fmadd_ps(gh, el, _mm256_mul_ps(gl, eh)));
    }
    neg = _mm256_blendv_ps(neg, _mm256_mul_ps(gh, eh), _mm256_cmp_ps(neg, c->zero, _CMP_EQ_OQ));
    const __m256 gt = _mm256_cmp_ps(x, c->zero, _CMP_GT_OQ);
    return _mm256_blendv_ps(neg, bwd_pos8(g, c, pos_kind), gt);
}

/* One group of m (1..16) elements: two vectors, decided together. */
ELU4J_INLINE void bwd_x_group8(const elu4j_params *p, const char *g, const char *x, char *dx,
                               size_t m, const bconsts256 *c, const int unit_input,
                               const int pos_kind)
{
    const __m256i l0 = bwd_lanes8(m < 8 ? m : 8), l1 = bwd_lanes8(m > 8 ? m - 8 : 0);
    const __m256 g0 = _mm256_maskload_ps((const float *)(const void *)g, l0);
    const __m256 x0 = _mm256_maskload_ps((const float *)(const void *)x, l0);
    const __m256 g1 = _mm256_maskload_ps((const float *)(const void *)(g + 32), l1);
    const __m256 x1 = _mm256_maskload_ps((const float *)(const void *)(x + 32), l1);
    if (bwd_x_outside8(g0, x0, c, _mm256_castsi256_ps(l0)) |
        bwd_x_outside8(g1, x1, c, _mm256_castsi256_ps(l1))) {
        bwd_scalar8(p, ELU4J_DT_F32, 0, g, x, dx, m);
        return;
    }
    const __m256 r0 = bwd_x8(g0, x0, c, unit_input, pos_kind);
    const __m256 r1 = bwd_x8(g1, x1, c, unit_input, pos_kind);
    _mm256_maskstore_ps((float *)(void *)dx, l0, r0);
    _mm256_maskstore_ps((float *)(void *)(dx + 32), l1, r1);
}

ELU4J_INLINE void bwd_x_loop8(const elu4j_params *p, const char *g, const char *x, char *dx,
                              size_t n, const bconsts256 *c, const int unit_input,
                              const int pos_kind)
{
    const __m256 all = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    size_t i = 0;
    for (; i + 16 <= n; i += 16) { /* a group: two vectors (no arrays of vectors on the stack) */
        const __m256 g0 = _mm256_loadu_ps((const float *)(const void *)(g + 4 * i));
        const __m256 x0 = _mm256_loadu_ps((const float *)(const void *)(x + 4 * i));
        const __m256 g1 = _mm256_loadu_ps((const float *)(const void *)(g + 4 * i + 32));
        const __m256 x1 = _mm256_loadu_ps((const float *)(const void *)(x + 4 * i + 32));
        if (__builtin_expect(bwd_x_outside8(g0, x0, c, all) | bwd_x_outside8(g1, x1, c, all), 0)) {
            bwd_x_group8(p, g + 4 * i, x + 4 * i, dx + 4 * i, 16, c, unit_input, pos_kind);
            continue;
        }
        _mm256_storeu_ps((float *)(void *)(dx + 4 * i), bwd_x8(g0, x0, c, unit_input, pos_kind));
        _mm256_storeu_ps((float *)(void *)(dx + 4 * i + 32),
                         bwd_x8(g1, x1, c, unit_input, pos_kind));
    }
    if (i < n) {
        bwd_x_group8(p, g + 4 * i, x + 4 * i, dx + 4 * i, n - i, c, unit_input, pos_kind);
    }
}

#include "bwd_half_avx2.h"

/* bwd_y_loop8 with the parameters' kind as constants. */
ELU4J_INLINE void bwd_y_kinds8(const elu4j_params *p, const bconsts256 *c, const char *g,
                               const char *d, char *dx, size_t i, size_t n, const int stream)
{
    switch (FAM_BWD_Y_CASE(&p->bwd)) {
    case 0: bwd_y_loop8(p, g, d, dx, c, 0, 0, FAM_BWD_Y_PAIRS, i, n, stream); break;
    case 1: bwd_y_loop8(p, g, d, dx, c, 0, 1, FAM_BWD_Y_PAIRS, i, n, stream); break;
    case 2: bwd_y_loop8(p, g, d, dx, c, 0, 2, FAM_BWD_Y_PAIRS, i, n, stream); break;
    case 3: bwd_y_loop8(p, g, d, dx, c, 1, 0, FAM_BWD_Y_PAIRS, i, n, stream); break;
    case 4: bwd_y_loop8(p, g, d, dx, c, 1, 1, FAM_BWD_Y_PAIRS, i, n, stream); break;
    case 5: bwd_y_loop8(p, g, d, dx, c, 1, 2, FAM_BWD_Y_PAIRS, i, n, stream); break;
    case 6: bwd_y_loop8(p, g, d, dx, c, 0, 0, FAM_BWD_Y_PAIRS_NO_CLO, i, n, stream); break;
    case 7: bwd_y_loop8(p, g, d, dx, c, 0, 1, FAM_BWD_Y_PAIRS_NO_CLO, i, n, stream); break;
    case 8: bwd_y_loop8(p, g, d, dx, c, 0, 2, FAM_BWD_Y_PAIRS_NO_CLO, i, n, stream); break;
    case 9: bwd_y_loop8(p, g, d, dx, c, 1, 0, FAM_BWD_Y_PAIRS_NO_CLO, i, n, stream); break;
    case 10: bwd_y_loop8(p, g, d, dx, c, 1, 1, FAM_BWD_Y_PAIRS_NO_CLO, i, n, stream); break;
    case 11: bwd_y_loop8(p, g, d, dx, c, 1, 2, FAM_BWD_Y_PAIRS_NO_CLO, i, n, stream); break;
    case 15: bwd_y_loop8(p, g, d, dx, c, 1, 0, FAM_BWD_Y_FMA, i, n, stream); break;
    case 16: bwd_y_loop8(p, g, d, dx, c, 1, 1, FAM_BWD_Y_FMA, i, n, stream); break;
    default: bwd_y_loop8(p, g, d, dx, c, 1, 2, FAM_BWD_Y_FMA, i, n, stream); break;
    }
}

/*
 * The backward of p (p->bwd.enabled) over n elements of dtype (f32, bf16 or f16: kernels_impl.h
 * sends no other); dx may be dy. Returns 1 (done).
 */
__attribute__((noinline)) static int bwd_f32_kernel(const elu4j_params *p, int dtype,
                                                    int from_dst, const void *diff_dst,
                                                    const void *data, void *diff_src, size_t n,
                                                    int stream)
{
    if (dtype != ELU4J_DT_F32) {
#if !defined(ELU4J_NO_F16C)
        /* F16C: not required by the AVX2 level (as the forward's f16_kernel) */
        if (dtype == ELU4J_DT_F16 && elu4j_cpu_has_f16c()) {
            bwd8_f16c_kernel(p, from_dst, (const char *)diff_dst, (const char *)data,
                             (char *)diff_src, n);
            return 1;
        }
#endif
        bwd8_half_kernel(p, dtype == ELU4J_DT_BF16, from_dst, (const char *)diff_dst,
                         (const char *)data, (char *)diff_src, n);
        return 1;
    }
    const elu4j_general *b = &p->bwd;
    const bconsts256 c = make_bconsts256(b);
    const char *g = (const char *)diff_dst;
    const char *d = (const char *)data;
    char *dx = (char *)diff_src;
    if (from_dst) {
        ELU4J_STREAMED(stream, dx, 4, n, bwd_y_kinds8, p, &c, g, d, dx);
        return 1;
    }
    if (FAM_BWD_X_EXACT_GH(b)) { /* ELU with alpha 1, 0.5, 2...: see bwd_x8 */
        bwd_x_loop8(p, g, d, dx, n, &c, 2, 0);
        return 1;
    }
    switch (b->unit_input * 3 + b->pos_kind) {
    case 0: bwd_x_loop8(p, g, d, dx, n, &c, 0, 0); break;
    case 1: bwd_x_loop8(p, g, d, dx, n, &c, 0, 1); break;
    case 2: bwd_x_loop8(p, g, d, dx, n, &c, 0, 2); break;
    case 3: bwd_x_loop8(p, g, d, dx, n, &c, 1, 0); break;
    case 4: bwd_x_loop8(p, g, d, dx, n, &c, 1, 1); break;
    default: bwd_x_loop8(p, g, d, dx, n, &c, 1, 2); break;
    }
    return 1;
}
