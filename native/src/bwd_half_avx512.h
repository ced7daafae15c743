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
        return (slow & lanes) == 0 || bwd_y_fix16(gv, dv, lanes, out, c, yform);
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
 * The loop over n halves with NARROW (bwd_narrow16's form, or bwd_narrow16_ne): a macro, as
 * kernels_avx512.c's ELU4J_BF16_LOOP, because the AVX512_BF16 narrowing may only be inlined into
 * functions built for it. A step whose four vectors need no bwd_scalar and pass FAST_OK stores
 * them with FAST_NARROW after one branch (bf16 with AVX512_BF16: no subnormal among the four, so
 * vcvtneps2bf16 alone; a test per vector cost ~20% of the loop).
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

#define ELU4J_BWD_HALF_LOOP(NARROW, FAST_OK, FAST_NARROW)                                          \
    size_t i = 0;                                                                                  \
    for (; i + 64 <= n; i += 64) {                                                                 \
        ELU4J_BWD_HALF_STEP(0, NARROW)                                                             \
        ELU4J_BWD_HALF_STEP(1, NARROW)                                                             \
        ELU4J_BWD_HALF_STEP(2, NARROW)                                                             \
        ELU4J_BWD_HALF_STEP(3, NARROW)                                                             \
        if (__builtin_expect((ok0 & ok1 & ok2 & ok3) && FAST_OK(r0, r1, r2, r3), 1)) {            \
            _mm256_storeu_si256((__m256i *)(void *)(dx + o0), FAST_NARROW(r0));                    \
            _mm256_storeu_si256((__m256i *)(void *)(dx + o1), FAST_NARROW(r1));                    \
            _mm256_storeu_si256((__m256i *)(void *)(dx + o2), FAST_NARROW(r2));                    \
            _mm256_storeu_si256((__m256i *)(void *)(dx + o3), FAST_NARROW(r3));                    \
            continue;                                                                              \
        }                                                                                          \
        ELU4J_BWD_HALF_STORE(0, NARROW)                                                            \
        ELU4J_BWD_HALF_STORE(1, NARROW)                                                            \
        ELU4J_BWD_HALF_STORE(2, NARROW)                                                            \
        ELU4J_BWD_HALF_STORE(3, NARROW)                                                            \
    }                                                                                              \
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
#define ELU4J_BWD_ALWAYS(A, B, C, D) 1

ELU4J_INLINE void bwd_half_loop(const elu4j_params *p, const char *g, const char *d, char *dx,
                                size_t n, const bconsts512 *c, const int bf16, const int from_dst,
                                const int unit_input, const int pos_kind, const int yform)
{
    ELU4J_BWD_HALF_LOOP(ELU4J_BWD_NARROW_PLAIN, ELU4J_BWD_ALWAYS, ELU4J_BWD_NARROW_PLAIN)
}

#if !defined(ELU4J_NO_AVX512_BF16)
/*
 * 16 floats to bf16 with AVX512_BF16's vcvtneps2bf16: the portable narrowing (nearest even,
 * NaN -> (b >> 16) | 0x40) for every float but the subnormals, which it reads as zero
 * (half_avx512.h): a vector holding one takes the integer narrowing.
 */
ELU4J_INLINE ELU4J_HALF_BF16 __m256i bwd_narrow16_ne(__m512 y)
{
    if (__builtin_expect(_mm512_fpclass_ps_mask(y, 0x20) != 0, 0)) { /* 0x20: subnormal */
        return bwd_narrow16(y, 1);
    }
    return (__m256i)_mm512_cvtneps_pbh(y);
}

/* No subnormal among 4 vectors: vcvtneps2bf16 alone narrows them (one test for the four). */
ELU4J_INLINE int bwd_no_subnormal64(__m512 a, __m512 b, __m512 c, __m512 d)
{
    return (_mm512_fpclass_ps_mask(a, 0x20) | _mm512_fpclass_ps_mask(b, 0x20) |
            _mm512_fpclass_ps_mask(c, 0x20) | _mm512_fpclass_ps_mask(d, 0x20)) == 0;
}

#define ELU4J_BWD_CVTNE(Y) ((__m256i)_mm512_cvtneps_pbh(Y))

ELU4J_INLINE ELU4J_HALF_BF16 void bwd_bf16_loop_ne(const elu4j_params *p, const char *g,
                                                   const char *d, char *dx, size_t n,
                                                   const bconsts512 *c, const int bf16,
                                                   const int from_dst, const int unit_input,
                                                   const int pos_kind, const int yform)
{
    ELU4J_BWD_HALF_LOOP(bwd_narrow16_ne, bwd_no_subnormal64, ELU4J_BWD_CVTNE)
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
    if (!from_dst) {                                                                               \
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
        ELU4J_BWD_HALF_KINDS(bwd_half_loop, 1)
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
