/*
 * elu4j native helper: the f32 backward of ELU (p->bwd.enabled) at the AVX-512 level, written with
 * intrinsics, straight from dy and x (or y) to dx without the block copies. Included at the end of
 * kernels_avx512.c, after kernels_impl.h, whose backward entry point calls bwd_f32_kernel.
 *
 * Every operation is kernels_bwd.h's (bwd_y_one, bwd_x_one), in the same order, so the bits are
 * the portable level's. What differs is only how the work is arranged:
 *   - from y: lanes whose exact product needs bwd_y_one's careful branch (|y| or |dy| > 2^64),
 *     and NaN results (FAM_BWD_NAN), are rare; a vector holding one runs bwd_y_one lane by
 *     lane. Lanes where the fine result is zero (dy = 0, or y = -coef) take the sign of
 *     dy * (ah + al) in registers, with an input scale by one bit select (bwd_y16): sparse
 *     gradients are common.
 *     With input_scale = 1 the pair sh + sl is multiplied without the input-scale pair: every
 *     nonzero fine result is the same value (the pair times 1 + 0 is the pair), and the zero
 *     results take their sign from the full formula.
 *   - from x: each vector is one of kernels_bwd.h's groups (FAM_BWD_GROUP = 16 elements from the
 *     start of the call), and a group with an element outside the pairs' range runs bwd_x_double,
 *     as on every level.
 * From x, four vectors a step (named values: GCC 12's AddressSanitizer fake stack crashes on
 * 512-bit accesses to stack arrays of vectors) hide the FMA chain's latency; from y and for the
 * halves, one vector a step. The last 0..15 elements use masked loads and stores. A step's loads
 * come before its stores, and its stores never overlap a later step's loads: dx may be dy.
 *
 * Streaming stores (stream_store.h; elu4j_internal.h has when a call streams): the f32 backward
 * from y takes them. It loads two floats, does a few operations and stores one per element, so
 * on large tensors it waits for memory, and a streamed line saves the read of the line that an
 * ordinary store would first bring in. The backward from x does not: it computes an exp per
 * element and is bound by that arithmetic, where the ordinary stores' line reads overlap with the
 * work and streaming stores measured slower (besides, its groups of 16 counted from the start of
 * the call could not be kept with a head of ordinary stores). Nor do the halves
 * (bwd_half_avx512.h): from x for the same reason; from y they write half the bytes they read,
 * and streaming measured no steady gain with ELU(1) and a loss with SELU.
 */
#ifndef FAM
#error "included by kernels_avx512.c after kernels_impl.h only"
#endif

typedef struct bconsts512 {
    __m512 chi, clo, shi, slo, phi, plo, cshi, cslo, big, neg_big, xlow, ylow, absmask;
    __m512 log2e, shift, neg_ln2, ln2lo, q0, q1, q2, q3, q4, zero;
} bconsts512;

ELU4J_INLINE bconsts512 make_bconsts512(const elu4j_general *b)
{
    const bconsts512 c = {
        .chi = _mm512_set1_ps(b->chi),
        .clo = _mm512_set1_ps(b->clo),
        .shi = _mm512_set1_ps(b->shi),
        .slo = _mm512_set1_ps(b->slo),
        .phi = _mm512_set1_ps(b->phi),
        .plo = _mm512_set1_ps(b->plo),
        .cshi = _mm512_set1_ps(b->cshi),
        .cslo = _mm512_set1_ps(b->cslo),
        .big = _mm512_set1_ps(0x1p64f),
        .neg_big = _mm512_set1_ps(-0x1p64f),
        .xlow = _mm512_set1_ps(FAM_BWD_X_LOW),
        .ylow = _mm512_set1_ps(b->ylow),
        .absmask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff)),
        .log2e = _mm512_set1_ps(ELU4J_LOG2E),
        .shift = _mm512_set1_ps(ELU4J_SHIFT),
        .neg_ln2 = _mm512_set1_ps(-ELU4J_LN2),
        .ln2lo = _mm512_set1_ps(-FAM_LN2_LO_F),
        .q0 = _mm512_set1_ps(ELU4J_GQ0),
        .q1 = _mm512_set1_ps(ELU4J_GQ1),
        .q2 = _mm512_set1_ps(ELU4J_GQ2),
        .q3 = _mm512_set1_ps(ELU4J_GQ3),
        .q4 = _mm512_set1_ps(ELU4J_GQ4),
        .zero = _mm512_setzero_ps(),
    };
    return c;
}

/* dy * scale as bwd_y_one / bwd_x_one compute it. */
ELU4J_INLINE __m512 bwd_pos16(__m512 g, const bconsts512 *c, const int pos_kind)
{
    if (pos_kind == 0) {
        return g;
    }
    if (pos_kind == 1) {
        return _mm512_mul_ps(c->phi, g);
    }
    return _mm512_fmadd_ps(c->phi, g, _mm512_mul_ps(c->plo, g));
}

ELU4J_INLINE __m512 bwd_abs16(__m512 v, const bconsts512 *c)
{
    return _mm512_and_ps(v, c->absmask);
}

/* The full formula's ah + al (bwd_y_one) from y, for the lanes that need it. */
ELU4J_INLINE __m512 bwd_y_pair16(__m512 y, const bconsts512 *c)
{
    const __m512 sh = _mm512_add_ps(c->chi, y);
    const __m512 sl = _mm512_add_ps(_mm512_sub_ps(y, _mm512_sub_ps(sh, c->chi)), c->clo);
    const __m512 ah = _mm512_mul_ps(sh, c->shi);
    const __m512 al = _mm512_add_ps(_mm512_fmsub_ps(sh, c->shi, ah),
                                    _mm512_fmadd_ps(sl, c->shi, _mm512_mul_ps(sh, c->slo)));
    return _mm512_add_ps(ah, al);
}

/* vfpclassps categories: QNaN 0x01, +0 0x02, -0 0x04, +inf 0x08, -inf 0x10, SNaN 0x80. */
#define ELU4J_FPCLASS_NOT_FINITE_NONZERO 0x9F
#define ELU4J_FPCLASS_NAN_INF 0x99

/* bwd_y_one's fine result, fma(dy, ah, dy * al), for the pair forms (FAM_BWD_Y_PAIRS*). */
ELU4J_INLINE __m512 bwd_y_fine16(__m512 g, __m512 y, const bconsts512 *c, const int unit_input,
                                 const int yform)
{
    const __m512 sh = _mm512_add_ps(c->chi, y);
    const __m512 d = _mm512_sub_ps(y, _mm512_sub_ps(sh, c->chi));
    const __m512 sl = yform == FAM_BWD_Y_PAIRS_NO_CLO ? d : _mm512_add_ps(d, c->clo);
    if (unit_input) {
        return _mm512_fmadd_ps(g, sh, _mm512_mul_ps(g, sl));
    }
    const __m512 ah = _mm512_mul_ps(sh, c->shi);
    const __m512 al = _mm512_add_ps(_mm512_fmsub_ps(sh, c->shi, ah),
                                    _mm512_fmadd_ps(sl, c->shi, _mm512_mul_ps(sh, c->slo)));
    return _mm512_fmadd_ps(g, ah, _mm512_mul_ps(g, al));
}

/*
 * bwd_y_one on 16 lanes where *slow stays 0; the caller finishes a vector with slow lanes with
 * bwd_y_fix16. The fma form, and the pairs with input scale 1: *slow holds the lanes y <= 0 (or
 * NaN) whose result is zero, infinite or NaN (one vfpclassps). The pairs with an input scale:
 * *slow holds the lanes outside [ylow, +inf) (NaN among them) and those with |dy| > 2^64 or NaN
 * (a lane y > 0 among them is rare and harmless: bwd_y_fix16 leaves it as it is), so that in
 * every other lane y <= 0 has y + coef > 0 and a finite product, bwd_y_one's fine result, and a
 * zero one takes dy's sign: one bit select (vpternlogd) sets it on every lane, and zero results,
 * common with sparse gradients, stay off the slow lanes (CELU(0.7) from y: 1.2x the zero test
 * and its fix-up). No mask narrows those tests or the select (the loop runs four vectors a step
 * with eight mask registers: masked forms measured 1.6x slower); bwd_y_fix16 recomputes its
 * lanes. With input scale 1 the same arrangement measured no faster (one vfpclassps against two
 * compares and the select). yform: FAM_BWD_Y_PAIRS, FAM_BWD_Y_PAIRS_NO_CLO (clo == 0: sl needs
 * no + clo, which would only change the sign of a zero sl, and a zero fine result takes its
 * sign from bwd_y_fix16 either way) or FAM_BWD_Y_FMA (fma_y, unit input).
 */
ELU4J_INLINE __m512 bwd_y16(__m512 g, __m512 y, const bconsts512 *c, const int unit_input,
                            const int pos_kind, const int yform, __mmask16 *slow)
{
    const __mmask16 gt = _mm512_cmp_ps_mask(y, c->zero, _CMP_GT_OQ);
    if (yform == FAM_BWD_Y_FMA) {
        const __m512 fine = _mm512_fmadd_ps(g, y, _mm512_mul_ps(g, c->chi));
        *slow = _mm512_mask_fpclass_ps_mask((__mmask16)~gt, fine, ELU4J_FPCLASS_NOT_FINITE_NONZERO);
        return _mm512_mask_blend_ps(gt, fine, bwd_pos16(g, c, pos_kind));
    }
    const __m512 fine = bwd_y_fine16(g, y, c, unit_input, yform);
    if (unit_input) {
        *slow = _mm512_mask_fpclass_ps_mask((__mmask16)~gt, fine, ELU4J_FPCLASS_NOT_FINITE_NONZERO);
        return _mm512_mask_blend_ps(gt, fine, bwd_pos16(g, c, pos_kind));
    }
    *slow = _mm512_cmp_ps_mask(y, c->ylow, _CMP_NGE_UQ) |
            _mm512_cmp_ps_mask(bwd_abs16(g, c), c->big, _CMP_NLE_UQ);
    /* |fine| with dy's sign bit (0xE4: absmask ? fine : dy, bit by bit) */
    const __m512 r = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
        _mm512_castps_si512(fine), _mm512_castps_si512(g), _mm512_castps_si512(c->absmask), 0xE4));
    return _mm512_mask_blend_ps(gt, r, bwd_pos16(g, c, pos_kind));
}

/*
 * The rare vectors, element by element from memory: m elements of dtype (f32, bf16, f16) at g and
 * d, from y (bwd_y_one) or from x (bwd_x_double_one: a group outside the pairs' range). Each
 * element is read before it is written, so dx may be g. No arrays on the stack: GCC 12's
 * AddressSanitizer fake stack crashes on the 512-bit accesses GCC would make to them.
 */
static void bwd_scalar(const elu4j_params *p, int dtype, int from_dst, const char *g,
                       const char *d, char *dx, size_t m)
{
    const size_t es = dtype == ELU4J_DT_F32 ? 4 : 2;
    for (size_t i = 0; i < m; i++) {
        float gv, dv, r;
        if (es == 4) {
            memcpy(&gv, g + 4 * i, 4);
            memcpy(&dv, d + 4 * i, 4);
        } else {
            uint16_t h;
            FAM(widen)(dtype, (const unsigned char *)g + 2 * i, &h, &gv, 1);
            FAM(widen)(dtype, (const unsigned char *)d + 2 * i, &h, &dv, 1);
        }
        r = from_dst ? FAM(bwd_y_one)(gv, dv, p->bwd, p->bwd.pos_kind)
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
 * A vector with slow lanes, in registers. The fma form: the lanes y <= 0 take the plain product
 * where the fma gave zero, infinity or NaN, then a NaN y's rule. The pairs: the lanes y <= 0 (or
 * NaN) take the fine result, recomputed (bwd_y16 set the sign of every lane's), and a zero one
 * the sign of dy * (ah + al) (sparse gradients are common). Returns 0 where a lane needs
 * bwd_y_one's huge-operand branch or the NaN rule (FAM_BWD_NAN): the caller then runs bwd_scalar
 * on the vector.
 */
ELU4J_INLINE int bwd_y_fix16(__m512 gv, __m512 yv, __mmask16 lanes, __m512 *r, const bconsts512 *c,
                             const int unit_input, const int yform)
{
    const __mmask16 le = (__mmask16)~_mm512_cmp_ps_mask(yv, c->zero, _CMP_GT_OQ) & lanes;
    if (yform == FAM_BWD_Y_FMA) { /* bwd_y_one's plain product, then a NaN y's rule */
        const __mmask16 bad = _mm512_mask_fpclass_ps_mask(le, *r, ELU4J_FPCLASS_NOT_FINITE_NONZERO);
        *r = _mm512_mask_mul_ps(*r, bad, gv, _mm512_add_ps(c->chi, yv));
        *r = _mm512_mask_add_ps(*r, _mm512_mask_cmp_ps_mask(lanes, yv, yv, _CMP_UNORD_Q), yv, yv);
        return 1;
    }
    const __mmask16 huge = unit_input ? 0
                           : _mm512_mask_cmp_ps_mask(le, yv, c->neg_big, _CMP_LT_OQ) |
                                 _mm512_mask_cmp_ps_mask(le, bwd_abs16(gv, c), c->big, _CMP_GT_OQ);
    const __m512 fine = bwd_y_fine16(gv, yv, c, unit_input, yform);
    if (huge | _mm512_mask_fpclass_ps_mask(le, fine, ELU4J_FPCLASS_NAN_INF)) {
        return 0;
    }
    const __mmask16 zero = _mm512_mask_cmp_ps_mask(le, fine, c->zero, _CMP_EQ_OQ);
    const __m512i product = _mm512_castps_si512(_mm512_mul_ps(gv, bwd_y_pair16(yv, c)));
    *r = _mm512_mask_mov_ps(*r, le, fine);
    *r = _mm512_castsi512_ps(_mm512_mask_andnot_epi32(_mm512_castps_si512(*r), zero,
                                                      _mm512_castps_si512(c->absmask), product));
    return 1;
}

/* One vector of bwd_y_loop's step: J names its values (no arrays of vectors, see above). */
#define ELU4J_BWD_Y_STEP(J)                                                                        \
    const __m512 g##J = _mm512_loadu_ps(g + 4 * i + 64 * (J));                                     \
    const __m512 y##J = _mm512_loadu_ps(y + 4 * i + 64 * (J));                                     \
    __mmask16 s##J;                                                                                \
    __m512 r##J = bwd_y16(g##J, y##J, c, unit_input, pos_kind, yform, &s##J);

#define ELU4J_BWD_Y_STORE(J)                                                                       \
    if (s##J && !bwd_y_fix16(g##J, y##J, 0xffff, &r##J, c, unit_input, yform)) {                 \
        bwd_scalar(p, ELU4J_DT_F32, 1, g + 4 * i + 64 * (J), y + 4 * i + 64 * (J),                \
                   dx + 4 * i + 64 * (J), 16);                                                     \
    } else {                                                                                       \
        ELU4J_STORE(dx + 4 * i + 64 * (J), r##J, stream);                                          \
    }

/* The elements [i, n) (stream_store.h: stream a constant; a rare vector that bwd_scalar writes
   is a whole line then, with ordinary stores). */
ELU4J_INLINE void bwd_y_loop(const elu4j_params *p, const char *g, const char *y, char *dx,
                             const bconsts512 *c, const int unit_input, const int pos_kind,
                             const int yform, size_t i, size_t n, const int stream)
{
    for (; i + 64 <= n; i += 64) {
        ELU4J_BWD_Y_STEP(0)
        ELU4J_BWD_Y_STEP(1)
        ELU4J_BWD_Y_STEP(2)
        ELU4J_BWD_Y_STEP(3)
        if (__builtin_expect((s0 | s1 | s2 | s3) == 0, 1)) {
            ELU4J_STORE(dx + 4 * i, r0, stream);
            ELU4J_STORE(dx + 4 * i + 64, r1, stream);
            ELU4J_STORE(dx + 4 * i + 128, r2, stream);
            ELU4J_STORE(dx + 4 * i + 192, r3, stream);
            continue;
        }
        /* a vector's store never overlaps another's loads, and the scalar path reads its own
           elements before writing them */
        ELU4J_BWD_Y_STORE(0)
        ELU4J_BWD_Y_STORE(1)
        ELU4J_BWD_Y_STORE(2)
        ELU4J_BWD_Y_STORE(3)
    }
    for (; i < n; i += 16) {
        const size_t m = n - i < 16 ? n - i : 16;
        const __mmask16 lanes = (__mmask16)(m == 16 ? 0xffffu : (1u << m) - 1u);
        const __m512 gv = _mm512_maskz_loadu_ps(lanes, g + 4 * i);
        const __m512 yv = _mm512_maskz_loadu_ps(lanes, y + 4 * i);
        __mmask16 slow;
        __m512 r = bwd_y16(gv, yv, c, unit_input, pos_kind, yform, &slow);
        if ((slow & lanes) != 0 && !bwd_y_fix16(gv, yv, lanes, &r, c, unit_input, yform)) {
            bwd_scalar(p, ELU4J_DT_F32, 1, g + 4 * i, y + 4 * i, dx + 4 * i, m);
            continue;
        }
        _mm512_mask_storeu_ps(dx + 4 * i, lanes, r);
    }
}

/* Whether the group of 16 lanes (masked: only `lanes`) takes bwd_x_double (bwd_x_outside). */
ELU4J_INLINE int bwd_x_outside16(__m512 g, __m512 x, const bconsts512 *c, __mmask16 lanes)
{
    return (_mm512_mask_cmp_ps_mask(lanes, _mm512_mul_ps(c->shi, x), c->xlow, _CMP_NGE_UQ) |
            _mm512_mask_cmp_ps_mask(lanes, bwd_abs16(g, c), c->big, _CMP_GT_OQ)) != 0;
}

/*
 * bwd_x_one on 16 lanes of a group inside the pairs' range. unit_input 2: input scale 1 and a
 * power-of-two coefficient (b->fma_y: ELU with alpha 1, 0.5, 2...), where gh = dy * cis is exact
 * but where it is subnormal, and there its error is at most half the least subnormal: bwd_x_one's
 * gl, that error rounded to float, is a zero, so its two operations and gl * eh are left out (the
 * same bits: a zero addend changes no nonzero sum, and a zero fine result is replaced anyway).
 */
ELU4J_INLINE __m512 bwd_x16(__m512 g, __m512 x, const bconsts512 *c, const int unit_input,
                            const int pos_kind)
{
    const __m512 th = unit_input ? x : _mm512_mul_ps(c->shi, x);
    const __m512 tl =
        unit_input ? c->zero : _mm512_fmadd_ps(c->slo, x, _mm512_fmsub_ps(c->shi, x, th));
    const __m512 k = _mm512_fmadd_ps(th, c->log2e, c->shift);
    const __m512 nf = _mm512_sub_ps(k, c->shift);
    const __m512 rh = _mm512_fmadd_ps(nf, c->neg_ln2, th);
    __m512 q = _mm512_fmadd_ps(c->q4, rh, c->q3);
    q = _mm512_fmadd_ps(q, rh, c->q2);
    q = _mm512_fmadd_ps(q, rh, c->q1);
    q = _mm512_fmadd_ps(q, rh, c->q0);
    const __m512 lo = _mm512_fmadd_ps(nf, c->ln2lo, tl);
    const __m512 r2q = _mm512_mul_ps(_mm512_mul_ps(rh, rh), q);
    const __m512 w = _mm512_add_ps(r2q, _mm512_fmadd_ps(lo, _mm512_add_ps(rh, r2q), lo));
    const __m512 s = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(k), 23));
    const __m512 eh = _mm512_fmadd_ps(s, rh, s);
    const __m512 el = _mm512_fmadd_ps(s, w, _mm512_fmadd_ps(s, rh, _mm512_sub_ps(s, eh)));
    const __m512 gh = _mm512_mul_ps(g, c->cshi);
    __m512 neg;
    if (unit_input == 2) { /* gl is a zero (bwd_x_loop's kinds) */
        neg = _mm512_fmadd_ps(gh, eh, _mm512_mul_ps(gh, el));
    } else {
        const __m512 gl = _mm512_fmadd_ps(g, c->cslo, _mm512_fmsub_ps(g, c->cshi, gh));
        neg = _mm512_fmadd_ps(gh, eh, _mm512_fmadd_ps(gh, el, _mm512_mul_ps(gl, eh)));
    }
    const __mmask16 zero = _mm512_cmp_ps_mask(neg, c->zero, _CMP_EQ_OQ);
    neg = _mm512_mask_mul_ps(neg, zero, gh, eh);
    const __mmask16 gt = _mm512_cmp_ps_mask(x, c->zero, _CMP_GT_OQ);
    return _mm512_mask_blend_ps(gt, neg, bwd_pos16(g, c, pos_kind));
}

/* One group of m (1..16) elements at byte offset o. */
ELU4J_INLINE void bwd_x_group(const elu4j_params *p, const char *g, const char *x, char *dx,
                              size_t m, const bconsts512 *c, const int unit_input,
                              const int pos_kind)
{
    const __mmask16 lanes = (__mmask16)(m == 16 ? 0xffffu : (1u << m) - 1u);
    const __m512 gv = _mm512_maskz_loadu_ps(lanes, g);
    const __m512 xv = _mm512_maskz_loadu_ps(lanes, x);
    if (bwd_x_outside16(gv, xv, c, lanes)) {
        bwd_scalar(p, ELU4J_DT_F32, 0, g, x, dx, m);
    } else {
        _mm512_mask_storeu_ps(dx, lanes, bwd_x16(gv, xv, c, unit_input, pos_kind));
    }
}

ELU4J_INLINE void bwd_x_loop(const elu4j_params *p, const char *g, const char *x, char *dx,
                             size_t n, const bconsts512 *c, const int unit_input,
                             const int pos_kind)
{
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m512 g0 = _mm512_loadu_ps(g + 4 * i), x0 = _mm512_loadu_ps(x + 4 * i);
        const __m512 g1 = _mm512_loadu_ps(g + 4 * i + 64), x1 = _mm512_loadu_ps(x + 4 * i + 64);
        const __m512 g2 = _mm512_loadu_ps(g + 4 * i + 128), x2 = _mm512_loadu_ps(x + 4 * i + 128);
        const __m512 g3 = _mm512_loadu_ps(g + 4 * i + 192), x3 = _mm512_loadu_ps(x + 4 * i + 192);
        if (bwd_x_outside16(g0, x0, c, 0xffff) | bwd_x_outside16(g1, x1, c, 0xffff) |
            bwd_x_outside16(g2, x2, c, 0xffff) | bwd_x_outside16(g3, x3, c, 0xffff)) {
            for (size_t j = 0; j < 64; j += 16) {
                bwd_x_group(p, g + 4 * (i + j), x + 4 * (i + j), dx + 4 * (i + j), 16, c,
                            unit_input, pos_kind);
            }
            continue;
        }
        _mm512_storeu_ps(dx + 4 * i, bwd_x16(g0, x0, c, unit_input, pos_kind));
        _mm512_storeu_ps(dx + 4 * i + 64, bwd_x16(g1, x1, c, unit_input, pos_kind));
        _mm512_storeu_ps(dx + 4 * i + 128, bwd_x16(g2, x2, c, unit_input, pos_kind));
        _mm512_storeu_ps(dx + 4 * i + 192, bwd_x16(g3, x3, c, unit_input, pos_kind));
    }
    for (; i < n; i += 16) {
        const size_t m = n - i < 16 ? n - i : 16;
        bwd_x_group(p, g + 4 * i, x + 4 * i, dx + 4 * i, m, c, unit_input, pos_kind);
    }
}

#include "bwd_half_avx512.h"

/* bwd_y_loop with the parameters' kind as constants. */
ELU4J_INLINE void bwd_y_kinds(const elu4j_params *p, const bconsts512 *c, const char *g,
                              const char *d, char *dx, size_t i, size_t n, const int stream)
{
    switch (FAM_BWD_Y_CASE(&p->bwd)) {
    case 0: bwd_y_loop(p, g, d, dx, c, 0, 0, FAM_BWD_Y_PAIRS, i, n, stream); break;
    case 1: bwd_y_loop(p, g, d, dx, c, 0, 1, FAM_BWD_Y_PAIRS, i, n, stream); break;
    case 2: bwd_y_loop(p, g, d, dx, c, 0, 2, FAM_BWD_Y_PAIRS, i, n, stream); break;
    case 3: bwd_y_loop(p, g, d, dx, c, 1, 0, FAM_BWD_Y_PAIRS, i, n, stream); break;
    case 4: bwd_y_loop(p, g, d, dx, c, 1, 1, FAM_BWD_Y_PAIRS, i, n, stream); break;
    case 5: bwd_y_loop(p, g, d, dx, c, 1, 2, FAM_BWD_Y_PAIRS, i, n, stream); break;
    case 6: bwd_y_loop(p, g, d, dx, c, 0, 0, FAM_BWD_Y_PAIRS_NO_CLO, i, n, stream); break;
    case 7: bwd_y_loop(p, g, d, dx, c, 0, 1, FAM_BWD_Y_PAIRS_NO_CLO, i, n, stream); break;
    case 8: bwd_y_loop(p, g, d, dx, c, 0, 2, FAM_BWD_Y_PAIRS_NO_CLO, i, n, stream); break;
    case 9: bwd_y_loop(p, g, d, dx, c, 1, 0, FAM_BWD_Y_PAIRS_NO_CLO, i, n, stream); break;
    case 10: bwd_y_loop(p, g, d, dx, c, 1, 1, FAM_BWD_Y_PAIRS_NO_CLO, i, n, stream); break;
    case 11: bwd_y_loop(p, g, d, dx, c, 1, 2, FAM_BWD_Y_PAIRS_NO_CLO, i, n, stream); break;
    case 15: bwd_y_loop(p, g, d, dx, c, 1, 0, FAM_BWD_Y_FMA, i, n, stream); break;
    case 16: bwd_y_loop(p, g, d, dx, c, 1, 1, FAM_BWD_Y_FMA, i, n, stream); break;
    default: bwd_y_loop(p, g, d, dx, c, 1, 2, FAM_BWD_Y_FMA, i, n, stream); break;
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
#if !defined(ELU4J_NO_AVX512_BF16)
        if (dtype == ELU4J_DT_BF16 && __builtin_cpu_supports("avx512bf16")) {
            bwd_bf16_kernel_ne(p, from_dst, (const char *)diff_dst, (const char *)data,
                               (char *)diff_src, n);
            return 1;
        }
#endif
        bwd_half_kernel(p, dtype == ELU4J_DT_BF16, from_dst, (const char *)diff_dst,
                        (const char *)data, (char *)diff_src, n);
        return 1;
    }
    const elu4j_general *b = &p->bwd;
    const bconsts512 c = make_bconsts512(b);
    const char *g = (const char *)diff_dst;
    const char *d = (const char *)data;
    char *dx = (char *)diff_src;
    if (from_dst) {
        ELU4J_STREAMED(stream, dx, 4, n, bwd_y_kinds, p, &c, g, d, dx);
        return 1;
    }
    if (FAM_BWD_X_EXACT_GH(b)) { /* ELU with alpha 1, 0.5, 2...: see bwd_x16 */
        bwd_x_loop(p, g, d, dx, n, &c, 2, 0);
        return 1;
    }
    switch (b->unit_input * 3 + b->pos_kind) {
    case 0: bwd_x_loop(p, g, d, dx, n, &c, 0, 0); break;
    case 1: bwd_x_loop(p, g, d, dx, n, &c, 0, 1); break;
    case 2: bwd_x_loop(p, g, d, dx, n, &c, 0, 2); break;
    case 3: bwd_x_loop(p, g, d, dx, n, &c, 1, 0); break;
    case 4: bwd_x_loop(p, g, d, dx, n, &c, 1, 1); break;
    default: bwd_x_loop(p, g, d, dx, n, &c, 1, 2); break;
    }
    return 1;
}
