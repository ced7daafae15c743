/*
 * elu4j native helper: the AVX-512 level's bf16/f16 backward, fused (widen in registers, the f32
 * backward kernels of bwd_avx512.h, the portable narrowing). Included by bwd_avx512.h only.
 */
#ifndef FAM
#error "included by bwd_avx512.h only"
#endif

/* --- bf16 and f16, fused ------------------------------------------------------------------------- */
/*
 * The backward of 16 floats widened from halves, with the f32 kernels above (a vector with slow
 * lanes, or a group outside the pairs' range, finishes on the stack exactly as the f32 loops do).
 * The block path widens each block to the stack, runs the f32 block and narrows it; fused, the
 * halves are read and written once. Same bits: the widening is exact, the f32 operations and
 * the group decisions are the same, and the narrowing is the portable rounding (half_avx512.h).
 */
/*
 * The backward of 16 floats widened from halves at g, d (m of them valid), or 0 where the vector
 * needs bwd_scalar (the caller then runs it on the halves in memory).
 */
ELU4J_INLINE int bwd_vec16(const bconsts512 *c, __m512 gv, __m512 dv, __mmask16 lanes,
                           __m512 *out, const int from_dst, const int unit_input,
                           const int pos_kind, const int yform)
{
    if (from_dst) {
        __mmask16 slow;
        *out = bwd_y16(gv, dv, c, unit_input, pos_kind, yform, &slow);
        return (slow & lanes) == 0 || bwd_y_fix16(gv, dv, lanes, out, c, unit_input, yform);
    }
    if (bwd_x_outside16(gv, dv, c, lanes)) {
        return 0;
    }
    *out = bwd_x16(gv, dv, c, unit_input, pos_kind);
    return 1;
}

/* 16 halves (bf16: 1, f16: 0) as floats, and back. */
ELU4J_INLINE __m512 bwd_widen16(__m256i h, const int bf16)
{
    if (bf16) {
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
    return elu4j_f16_widen(h);
}

ELU4J_INLINE __m256i bwd_narrow16(__m512 y, const int bf16)
{
    if (bf16) {
        __m512i r = elu4j_bf16_round_hi(y);
        if (__builtin_expect(_mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q) != 0, 0)) {
            r = elu4j_bf16_nan(r, y);
        }
        return _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16));
    }
    return elu4j_f16_narrow(y);
}

/*
 * The loop over n halves, 16 lanes a vector, with NARROW (bwd_narrow16's form): f16, and the
 * 16-lane tail of the bf16 loops below. Macros, as fwd_half_avx512.h's ELU4J_BF16_LOOP, because
 * the AVX512_BF16 narrowing may only be inlined into functions built for it.
 */
/* One vector of a half loop's step (64 halves a step, as the f32 loops; named values). */
#define ELU4J_BWD_HALF_STEP(J, NARROW)                                                             \
    const size_t o##J = 2 * i + 32 * (J);                                                          \
    const __m512 g##J = bwd_widen16(_mm256_loadu_si256((const __m256i *)(const void *)(g + o##J)), bf16); \
    const __m512 d##J = bwd_widen16(_mm256_loadu_si256((const __m256i *)(const void *)(d + o##J)), bf16); \
    __m512 r##J = c->zero; /* set where ok##J */                                                   \
    const int ok##J = bwd_vec16(c, g##J, d##J, 0xffff, &r##J, from_dst, unit_input, pos_kind, yform);

#define ELU4J_BWD_HALF_STORE(J, NARROW)                                                            \
    if (ok##J) {                                                                                   \
        _mm256_storeu_si256((__m256i *)(void *)(dx + o##J), NARROW(r##J));                         \
    } else {                                                                                       \
        bwd_scalar(p, bf16 ? ELU4J_DT_BF16 : ELU4J_DT_F16, from_dst, g + o##J, d + o##J,          \
                   dx + o##J, 16);                                                                 \
    }

#define ELU4J_BWD_HALF_LOOP(NARROW)                                                                \
    size_t i = 0;                                                                                  \
    for (; i + 64 <= n; i += 64) {                                                                 \
        ELU4J_BWD_HALF_STEP(0, NARROW)                                                             \
        ELU4J_BWD_HALF_STEP(1, NARROW)                                                             \
        ELU4J_BWD_HALF_STEP(2, NARROW)                                                             \
        ELU4J_BWD_HALF_STEP(3, NARROW)                                                             \
        ELU4J_BWD_HALF_STORE(0, NARROW)                                                            \
        ELU4J_BWD_HALF_STORE(1, NARROW)                                                            \
        ELU4J_BWD_HALF_STORE(2, NARROW)                                                            \
        ELU4J_BWD_HALF_STORE(3, NARROW)                                                            \
    }                                                                                              \
    ELU4J_BWD_HALF_TAIL(NARROW)

/* The last 0..63 halves, 16 lanes at a time (masked). */
#define ELU4J_BWD_HALF_TAIL(NARROW)                                                                \
    for (; i < n; i += 16) {                                                                       \
        const size_t m = n - i < 16 ? n - i : 16;                                                  \
        const __mmask16 lanes = (__mmask16)(m == 16 ? 0xffffu : (1u << m) - 1u);                   \
        const __m512 gv = bwd_widen16(_mm256_maskz_loadu_epi16(lanes, g + 2 * i), bf16);           \
        const __m512 dv = bwd_widen16(_mm256_maskz_loadu_epi16(lanes, d + 2 * i), bf16);           \
        __m512 r;                                                                                  \
        if (!bwd_vec16(c, gv, dv, lanes, &r, from_dst, unit_input, pos_kind, yform)) {          \
            bwd_scalar(p, bf16 ? ELU4J_DT_BF16 : ELU4J_DT_F16, from_dst, g + 2 * i, d + 2 * i,     \
                       dx + 2 * i, m);                                                             \
            continue;                                                                              \
        }                                                                                          \
        _mm256_mask_storeu_epi16(dx + 2 * i, lanes, NARROW(r));                                    \
    }

#define ELU4J_BWD_NARROW_PLAIN(Y) bwd_narrow16((Y), bf16)

/* f16 (bf16 takes the even/odd loop below). */
ELU4J_INLINE void bwd_half_loop(const elu4j_params *p, const char *g, const char *d, char *dx,
                                size_t n, const bconsts512 *c, const int bf16, const int from_dst,
                                const int unit_input, const int pos_kind, const int yform)
{
    ELU4J_BWD_HALF_LOOP(ELU4J_BWD_NARROW_PLAIN)
}

/*
 * bf16 from one 512-bit load per operand and 32 elements: its even and odd halves widened exactly
 * (elu4j_bf16_even / _odd: a shift and a mask, no shuffle), computed as two vectors of 16 lanes
 * (each lane's operations are its own, so their order does not matter) and packed back with
 * PACK: elu4j_bf16_pack (integer rounding) or, where the CPU has AVX512_BF16, elu4j_bf16_pack_ne.
 * Two chunks a step. A chunk where a half needs bwd_scalar (from x: an element outside the pairs'
 * range) runs its two groups of 16 through bwd_bf16_groups, so every group is decided as on
 * every level (FAM_BWD_GROUP).
 */
ELU4J_INLINE void bwd_bf16_groups(const elu4j_params *p, const bconsts512 *c, const char *g,
                                  const char *d, char *dx, const int from_dst,
                                  const int unit_input, const int pos_kind, const int yform)
{
    for (int k = 0; k < 2; k++) {
        const __m512 gv = bwd_widen16(_mm256_loadu_si256((const __m256i *)(const void *)(g + 32 * k)), 1);
        const __m512 dv = bwd_widen16(_mm256_loadu_si256((const __m256i *)(const void *)(d + 32 * k)), 1);
        __m512 r;
        if (bwd_vec16(c, gv, dv, 0xffff, &r, from_dst, unit_input, pos_kind, yform)) {
            _mm256_storeu_si256((__m256i *)(void *)(dx + 32 * k), bwd_narrow16(r, 1));
        } else {
            bwd_scalar(p, ELU4J_DT_BF16, from_dst, g + 32 * k, d + 32 * k, dx + 32 * k, 16);
        }
    }
}

#define ELU4J_BWD_BF16_STEP(J)                                                                     \
    const size_t o##J = 2 * i + 64 * (J);                                                          \
    const __m512i gw##J = _mm512_loadu_si512((const void *)(g + o##J));                            \
    const __m512i dw##J = _mm512_loadu_si512((const void *)(d + o##J));                            \
    __m512 re##J = c->zero, ro##J = c->zero; /* set where ok##J */                                 \
    const int ok##J = bwd_vec16(c, elu4j_bf16_even(gw##J), elu4j_bf16_even(dw##J), 0xffff, &re##J, \
                                from_dst, unit_input, pos_kind, yform) &                           \
                      bwd_vec16(c, elu4j_bf16_odd(gw##J), elu4j_bf16_odd(dw##J), 0xffff, &ro##J,   \
                                from_dst, unit_input, pos_kind, yform);

#define ELU4J_BWD_BF16_STORE(J, PACK)                                                              \
    if (ok##J) {                                                                                   \
        _mm512_storeu_si512((void *)(dx + o##J), PACK(re##J, ro##J));                              \
    } else {                                                                                       \
        bwd_bf16_groups(p, c, g + o##J, d + o##J, dx + o##J, from_dst, unit_input, pos_kind, yform); \
    }

#define ELU4J_BWD_BF16_LOOP(PACK)                                                                  \
    const int bf16 = 1;                                                                            \
    size_t i = 0;                                                                                  \
    for (; i + 64 <= n; i += 64) {                                                                 \
        ELU4J_BWD_BF16_STEP(0)                                                                     \
        ELU4J_BWD_BF16_STEP(1)                                                                     \
        ELU4J_BWD_BF16_STORE(0, PACK)                                                              \
        ELU4J_BWD_BF16_STORE(1, PACK)                                                              \
    }                                                                                              \
    ELU4J_BWD_HALF_TAIL(ELU4J_BWD_NARROW_PLAIN)

ELU4J_INLINE void bwd_bf16_loop(const elu4j_params *p, const char *g, const char *d, char *dx,
                                size_t n, const bconsts512 *c, const int bf16_unused,
                                const int from_dst, const int unit_input, const int pos_kind,
                                const int yform)
{
    (void)bf16_unused;
    ELU4J_BWD_BF16_LOOP(elu4j_bf16_pack)
}

#if !defined(ELU4J_NO_AVX512_BF16)
/*
 * bf16 from y with a unit input scale, where the CPU has AVX512_BF16 (the common case: ELU,
 * SELU and CELU from their output). bwd_y16 with one decision for 64 halves instead of one a
 * vector, and that decision also covers the narrowing: *odd holds the lanes of the result that
 * are zero, infinite, NaN or subnormal (vfpclassps 0xBF: bwd_y16's slow categories and 0x20, the
 * subnormals that vcvtne2ps2bf16 reads as zero), on every lane, not only y <= 0. Where no lane
 * of a step is odd, each lane's result is bwd_y16's (a nonzero finite fine result needs no fix)
 * and vcvtne2ps2bf16 rounds it as the portable narrow; a chunk of 32 with an odd lane takes
 * bwd_y_fix16 and elu4j_bf16_pack_ne (or bwd_bf16_groups) as the general loop does. With the
 * scale 1 (pos_kind 0) the lanes y > 0 keep dy through a masked fma, without a blend.
 *
 * FAM_BWD_Y_PAIRS_NO_CLO: where sh - chi == y (coef + y is exact in f32, so sl is a zero: every
 * y but the tiny ones), bwd_y_one's result is dy * sh whatever dy: its al is +0, so the coarse
 * product is dy * (sh + 0) = dy * sh (also in the |y| > 2^64 form, whose scalings are exact),
 * and a finite nonzero fine result fma(dy, sh, dy * sl) is the one rounding of dy * sh. So only
 * the lanes y <= 0 where sh - chi != y (NaN y among them), NaN and subnormal results are odd
 * (vfpclassps 0xA1): zero results, common with sparse gradients, stay on the fast path. An odd
 * chunk (rare then) recomputes its results with bwd_y16.
 */
#define ELU4J_FPCLASS_BF16_Y_ODD 0xBF
#define ELU4J_FPCLASS_BF16_Y_NO_CLO_ODD 0xA1

ELU4J_INLINE __m512 bwd_y_bf16_16(__m512 g, __m512 y, const bconsts512 *c, const int pos_kind,
                                  const int yform, __mmask16 *odd)
{
    const __mmask16 le = _mm512_cmp_ps_mask(y, c->zero, _CMP_NGT_UQ); /* y <= 0 or NaN */
    __m512 r, fine;
    __mmask16 inexact = 0;
    if (yform == FAM_BWD_Y_PAIRS_NO_CLO) {
        const __m512 sh = _mm512_add_ps(c->chi, y);
        inexact = _mm512_mask_cmp_ps_mask(le, _mm512_sub_ps(sh, c->chi), y, _CMP_NEQ_UQ);
        r = pos_kind == 0 ? _mm512_mask_mul_ps(g, le, g, sh) : _mm512_mul_ps(g, sh);
    } else {
        __m512 a = y, b = c->chi; /* the fine result: fma(dy, a, dy * b) */
        if (yform == FAM_BWD_Y_PAIRS) {
            const __m512 sh = _mm512_add_ps(c->chi, y);
            a = sh;
            b = _mm512_add_ps(_mm512_sub_ps(y, _mm512_sub_ps(sh, c->chi)), c->clo);
        }
        r = pos_kind == 0 ? _mm512_mask_fmadd_ps(g, le, a, _mm512_mul_ps(g, b))
                          : _mm512_fmadd_ps(g, a, _mm512_mul_ps(g, b));
    }
    if (pos_kind != 0) {
        fine = r;
        r = _mm512_mask_blend_ps(le, bwd_pos16(g, c, pos_kind), fine);
    }
    /* (the class set is an immediate: one call per constant, as Clang wants it before inlining) */
    *odd = (yform == FAM_BWD_Y_PAIRS_NO_CLO ? _mm512_fpclass_ps_mask(r, ELU4J_FPCLASS_BF16_Y_NO_CLO_ODD)
                                            : _mm512_fpclass_ps_mask(r, ELU4J_FPCLASS_BF16_Y_ODD)) |
           inexact;
    return r;
}

/*
 * A chunk of 32 (gw, dw) with an odd lane: re, ro and their odd lanes se, so from bwd_y_bf16_16,
 * fixed as bwd_vec16 does, and narrowed with the subnormal check.
 */
ELU4J_INLINE ELU4J_HALF_BF16 void bwd_bf16_y_chunk(const elu4j_params *p, const bconsts512 *c,
                                                   const char *g, const char *d, char *dx,
                                                   __m512i gw, __m512i dw, __m512 re, __m512 ro,
                                                   __mmask16 se, __mmask16 so,
                                                   const int pos_kind, const int yform)
{
    const __m512 ge = elu4j_bf16_even(gw), ye = elu4j_bf16_even(dw);
    const __m512 go = elu4j_bf16_odd(gw), yo = elu4j_bf16_odd(dw);
    if (yform == FAM_BWD_Y_PAIRS_NO_CLO) {
        re = bwd_y16(ge, ye, c, 1, pos_kind, yform, &se);
        ro = bwd_y16(go, yo, c, 1, pos_kind, yform, &so);
    }
    if (yform == FAM_BWD_Y_FMA) { /* branch-free, and it never needs bwd_scalar */
        bwd_y_fix16(ge, ye, 0xffff, &re, c, 1, yform);
        bwd_y_fix16(go, yo, 0xffff, &ro, c, 1, yform);
        _mm512_storeu_si512((void *)dx, elu4j_bf16_pack_ne(re, ro));
    } else if ((int)(se == 0 || bwd_y_fix16(ge, ye, 0xffff, &re, c, 1, yform)) &
               (int)(so == 0 || bwd_y_fix16(go, yo, 0xffff, &ro, c, 1, yform))) { /* &: both halves fixed */
        _mm512_storeu_si512((void *)dx, elu4j_bf16_pack_ne(re, ro));
    } else {
        bwd_bf16_groups(p, c, g, d, dx, 1, 1, pos_kind, yform);
    }
}

#define ELU4J_BWD_BF16_Y_STEP(J)                                                                   \
    const size_t o##J = 2 * i + 64 * (J);                                                          \
    const __m512i gw##J = _mm512_loadu_si512((const void *)(g + o##J));                            \
    const __m512i dw##J = _mm512_loadu_si512((const void *)(d + o##J));                            \
    __mmask16 se##J, so##J;                                                                        \
    const __m512 re##J = bwd_y_bf16_16(elu4j_bf16_even(gw##J), elu4j_bf16_even(dw##J), c,          \
                                       pos_kind, yform, &se##J);                                   \
    const __m512 ro##J = bwd_y_bf16_16(elu4j_bf16_odd(gw##J), elu4j_bf16_odd(dw##J), c,            \
                                       pos_kind, yform, &so##J);

/* A chunk of 32 of a step with an odd lane somewhere. */
#define ELU4J_BWD_BF16_Y_STORE(J)                                                                  \
    if ((se##J | so##J) == 0) {                                                                    \
        _mm512_storeu_si512((void *)(dx + o##J), elu4j_bf16_pack_ne_normal(re##J, ro##J));         \
    } else {                                                                                       \
        bwd_bf16_y_chunk(p, c, g + o##J, d + o##J, dx + o##J, gw##J, dw##J, re##J, ro##J, se##J,   \
                         so##J, pos_kind, yform);                                                  \
    }

ELU4J_INLINE ELU4J_HALF_BF16 void bwd_bf16_y_loop_ne(const elu4j_params *p, const char *g,
                                                     const char *d, char *dx, size_t n,
                                                     const bconsts512 *c, const int pos_kind,
                                                     const int yform)
{
    const int bf16 = 1, from_dst = 1, unit_input = 1;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        ELU4J_BWD_BF16_Y_STEP(0)
        ELU4J_BWD_BF16_Y_STEP(1)
        if (__builtin_expect(((se0 | so0) | (se1 | so1)) == 0, 1)) {
            _mm512_storeu_si512((void *)(dx + o0), elu4j_bf16_pack_ne_normal(re0, ro0));
            _mm512_storeu_si512((void *)(dx + o1), elu4j_bf16_pack_ne_normal(re1, ro1));
            continue;
        }
        ELU4J_BWD_BF16_Y_STORE(0)
        ELU4J_BWD_BF16_Y_STORE(1)
    }
    ELU4J_BWD_HALF_TAIL(ELU4J_BWD_NARROW_PLAIN)
}

ELU4J_INLINE ELU4J_HALF_BF16 void bwd_bf16_loop_ne(const elu4j_params *p, const char *g,
                                                   const char *d, char *dx, size_t n,
                                                   const bconsts512 *c, const int bf16_unused,
                                                   const int from_dst, const int unit_input,
                                                   const int pos_kind, const int yform)
{
    (void)bf16_unused;
    if (from_dst && unit_input) {
        bwd_bf16_y_loop_ne(p, g, d, dx, n, c, pos_kind, yform);
        return;
    }
    ELU4J_BWD_BF16_LOOP(elu4j_bf16_pack_ne)
}
#endif

/* The dispatch on the parameters for the halves: the kind as constants. */
#define ELU4J_BWD_HALF_CASE(LOOP, BF16, FROM_DST, YF)                                              \
    switch (b->unit_input * 3 + b->pos_kind) {                                                     \
    case 0: LOOP(p, g, d, dx, n, &c, BF16, FROM_DST, 0, 0, YF); break;                            \
    case 1: LOOP(p, g, d, dx, n, &c, BF16, FROM_DST, 0, 1, YF); break;                            \
    case 2: LOOP(p, g, d, dx, n, &c, BF16, FROM_DST, 0, 2, YF); break;                            \
    case 3: LOOP(p, g, d, dx, n, &c, BF16, FROM_DST, 1, 0, YF); break;                            \
    case 4: LOOP(p, g, d, dx, n, &c, BF16, FROM_DST, 1, 1, YF); break;                            \
    default: LOOP(p, g, d, dx, n, &c, BF16, FROM_DST, 1, 2, YF); break;                           \
    }

#define ELU4J_BWD_HALF_KINDS(LOOP, BF16)                                                           \
    const elu4j_general *b = &p->bwd;                                                              \
    const bconsts512 c = make_bconsts512(b);                                                       \
    if (!from_dst && FAM_BWD_X_EXACT_GH(b)) { /* unit_input 2: bwd_avx512.h's bwd_x16 */            \
        LOOP(p, g, d, dx, n, &c, BF16, 0, 2, 0, 0);                                                \
    } else if (!from_dst) {                                                                        \
        ELU4J_BWD_HALF_CASE(LOOP, BF16, 0, 0)                                                      \
    } else if (b->fma_y) { /* unit input */                                                        \
        switch (b->pos_kind) {                                                                     \
        case 0: LOOP(p, g, d, dx, n, &c, BF16, 1, 1, 0, FAM_BWD_Y_FMA); break;                     \
        case 1: LOOP(p, g, d, dx, n, &c, BF16, 1, 1, 1, FAM_BWD_Y_FMA); break;                     \
        default: LOOP(p, g, d, dx, n, &c, BF16, 1, 1, 2, FAM_BWD_Y_FMA); break;                    \
        }                                                                                          \
    } else if (b->clo == 0.0f) {                                                                   \
        ELU4J_BWD_HALF_CASE(LOOP, BF16, 1, FAM_BWD_Y_PAIRS_NO_CLO)                                 \
    } else {                                                                                       \
        ELU4J_BWD_HALF_CASE(LOOP, BF16, 1, FAM_BWD_Y_PAIRS)                                        \
    }

__attribute__((noinline)) static void bwd_half_kernel(const elu4j_params *p, int bf16,
                                                      int from_dst, const char *g, const char *d,
                                                      char *dx, size_t n)
{
    if (bf16) {
        ELU4J_BWD_HALF_KINDS(bwd_bf16_loop, 1)
    } else {
        ELU4J_BWD_HALF_KINDS(bwd_half_loop, 0)
    }
}

#if !defined(ELU4J_NO_AVX512_BF16)
__attribute__((noinline)) static ELU4J_HALF_BF16 void bwd_bf16_kernel_ne(const elu4j_params *p,
                                                                         int from_dst,
                                                                         const char *g,
                                                                         const char *d, char *dx,
                                                                         size_t n)
{
    ELU4J_BWD_HALF_KINDS(bwd_bf16_loop_ne, 1)
}
#endif
