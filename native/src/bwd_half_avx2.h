/*
 * elu4j native helper: the AVX2 level's bf16/f16 backward, fused (widen in registers, the f32
 * backward kernels of bwd_avx2.h on 8 lanes, the portable narrowing), as bwd_half_avx512.h is for
 * the AVX-512 level. Included by bwd_avx2.h only.
 *
 * The block path widens each block of 512 to the stack, runs the f32 block and narrows it; fused,
 * the halves are read and written once. Same bits: the widening is exact, the f32 operations are
 * bwd_avx2.h's (kernels_bwd.h's, in the same order), the decisions of the backward from x are
 * made per group of 16 elements counted from the start of the call (one step here: 16 halves
 * are one 32-byte load), and the narrowing is the portable rounding (kernels_impl.h's
 * bf16_narrow / f16_narrow). A step whose vectors need bwd_y_one lane by lane, or whose group
 * is outside the pairs' range, runs bwd_scalar8 on its 16 halves in memory.
 *
 * The forms of the 16 halves of a step in two vectors of 8 floats:
 *   bf16: the even elements (low words of the dwords, shifted left by 16) and the odd ones (the
 *     low word cleared), as the forward's bf16_16; the narrowing is kernels_avx2.c's
 *     bf16_round_hi8 with the NaN lanes fixed in a branch (a NaN result is rare) and one blend.
 *     The order inside a step does not matter: from y every lane is on its own, and from x
 *     the step is the group.
 *   f16 with F16C (where the CPU has it, as the forward): the first and the last 8 elements,
 *     vcvtph2ps / vcvtps2ph with round to nearest even (the portable bits, half_avx512.h), from
 *     and to memory in the full steps (measured faster than a 32-byte load split into its lanes).
 *   f16 without F16C (and in the test variant built with ELU4J_NO_F16C): even and odd elements
 *     as for bf16, with kernels_impl.h's integer f16_widen / f16_narrow on 8 lanes: the same
 *     sequences, so plainly the same bits, but 13 vector operations a widening and 20 a
 *     narrowing (one instruction each with F16C), which compete with the f32 kernel for the
 *     vector pipes: a fallback, CPUs with AVX2 and no F16C are rare.
 *
 * The last 1..15 halves: AVX2 has no 16-bit masked loads and stores, so the whole dwords move
 * with vpmaskmovd and an odd last half with a 16-bit load or store (in registers, no stack
 * buffer; nothing outside the arrays is touched). Each step's loads come before its stores and
 * its stores never reach a later step's loads: dx may be dy.
 */
#ifndef FAM
#error "included by bwd_avx2.h only"
#endif

/* --- 16 halves in a vector ----------------------------------------------------------------------- */

/* m (1..16) halves at s in a vector (the rest zero), touching nothing after them. */
ELU4J_INLINE __m256i bwd8_load_halves(const char *s, size_t m)
{
    __m256i v = _mm256_maskload_epi32((const int *)(const void *)s, bwd_lanes8(m / 2));
    if (m & 1) { /* the last half is the low word of dword m / 2 */
        uint16_t h;
        memcpy(&h, s + 2 * (m - 1), 2);
        const __m256i at = _mm256_cmpeq_epi32(_mm256_set1_epi32((int)(m / 2)),
                                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        v = _mm256_or_si256(v, _mm256_and_si256(_mm256_set1_epi32(h), at));
    }
    return v;
}

/* The first m (1..16) halves of v to s. */
ELU4J_INLINE void bwd8_store_halves(char *s, size_t m, __m256i v)
{
    _mm256_maskstore_epi32((int *)(void *)s, bwd_lanes8(m / 2), v);
    if (m & 1) {
        const __m256i w = _mm256_permutevar8x32_epi32(v, _mm256_set1_epi32((int)(m / 2)));
        const uint16_t h = (uint16_t)_mm256_cvtsi256_si32(w);
        memcpy(s + 2 * (m - 1), &h, 2);
    }
}

/* The valid lanes of a tail of m (1..15) halves: even/odd forms, and the first/last 8 form. */
ELU4J_INLINE void bwd8_lanes_eo(size_t m, __m256 *la, __m256 *lb)
{
    *la = _mm256_castsi256_ps(bwd_lanes8((m + 1) / 2));
    *lb = _mm256_castsi256_ps(bwd_lanes8(m / 2));
}

ELU4J_INLINE void bwd8_lanes_split(size_t m, __m256 *la, __m256 *lb)
{
    *la = _mm256_castsi256_ps(bwd_lanes8(m < 8 ? m : 8));
    *lb = _mm256_castsi256_ps(bwd_lanes8(m > 8 ? m - 8 : 0));
}

/* --- the conversions ----------------------------------------------------------------------------- */

ELU4J_INLINE void bwd8_widen_bf16(__m256i v, __m256 *e, __m256 *o)
{
    *e = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
    *o = _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xFFFF0000u)));
}

ELU4J_INLINE __m256i bwd8_narrow_bf16(__m256 e, __m256 o)
{
    __m256i re = bf16_round_hi8(e);
    __m256i ro = bf16_round_hi8(o);
    if (__builtin_expect(_mm256_movemask_ps(_mm256_cmp_ps(e, o, _CMP_UNORD_Q)) != 0, 0)) {
        re = bf16_nan8(re, e);
        ro = bf16_nan8(ro, o);
    }
    return _mm256_blend_epi16(_mm256_srli_epi32(re, 16), ro, 0xAA);
}

/* kernels_impl.h's f16_widen on 8 lanes: h holds an f16 in the low word of each dword (high 0). */
ELU4J_INLINE __m256 bwd8_f16_widen_lo(__m256i h)
{
    const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(h, _mm256_set1_epi32(0x8000)), 16);
    const __m256i em = _mm256_and_si256(h, _mm256_set1_epi32(0x7FFF));
    const __m256i sh = _mm256_slli_epi32(em, 13);
    const __m256i normal = _mm256_add_epi32(sh, _mm256_set1_epi32(0x38000000));
    const __m256i infnan = _mm256_or_si256(sh, _mm256_set1_epi32(0x7F800000));
    const __m256i sub = _mm256_castps_si256( /* exact */
        _mm256_mul_ps(_mm256_cvtepi32_ps(em), _mm256_set1_ps(0x1p-24f)));
    __m256i r = _mm256_blendv_epi8(sub, normal, _mm256_cmpgt_epi32(em, _mm256_set1_epi32(0x3FF)));
    r = _mm256_blendv_epi8(r, infnan, _mm256_cmpgt_epi32(em, _mm256_set1_epi32(0x7BFF)));
    return _mm256_castsi256_ps(_mm256_or_si256(r, sign));
}

/* kernels_impl.h's f16_narrow on 8 lanes: the f16 in the low word of each dword (high 0). */
ELU4J_INLINE __m256i bwd8_f16_narrow_lo(__m256 f)
{
    const __m256i b = _mm256_castps_si256(f);
    const __m256i sign = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(0x8000));
    const __m256i a = _mm256_and_si256(b, _mm256_set1_epi32(0x7FFFFFFF));
    const __m256i mant = _mm256_and_si256(_mm256_srli_epi32(a, 13), _mm256_set1_epi32(0x3FF));
    const __m256i nan = _mm256_or_si256(mant, _mm256_set1_epi32(0x7E00));
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(a, 13), _mm256_set1_epi32(1));
    const __m256i normal = _mm256_srli_epi32(
        _mm256_add_epi32(_mm256_sub_epi32(a, _mm256_set1_epi32(0x38000000 - 0xFFF)), lsb), 13);
    const __m256i sub = _mm256_sub_epi32(
        _mm256_castps_si256(_mm256_add_ps(_mm256_castsi256_ps(a), _mm256_set1_ps(0.5f))),
        _mm256_set1_epi32(0x3F000000));
    /* a <= 0x7FFFFFFF: the signed compares are the unsigned ones of kernels_impl.h */
    __m256i r = _mm256_blendv_epi8(sub, normal,
                                   _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x38800000 - 1)));
    r = _mm256_blendv_epi8(r, _mm256_set1_epi32(0x7C00),
                           _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x47800000 - 1)));
    r = _mm256_blendv_epi8(r, nan, _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7F800000)));
    return _mm256_or_si256(r, sign);
}

ELU4J_INLINE void bwd8_widen_f16(__m256i v, __m256 *e, __m256 *o)
{
    *e = bwd8_f16_widen_lo(_mm256_and_si256(v, _mm256_set1_epi32(0xFFFF)));
    *o = bwd8_f16_widen_lo(_mm256_srli_epi32(v, 16));
}

ELU4J_INLINE __m256i bwd8_narrow_f16(__m256 e, __m256 o)
{
    return _mm256_or_si256(bwd8_f16_narrow_lo(e), _mm256_slli_epi32(bwd8_f16_narrow_lo(o), 16));
}

#if !defined(ELU4J_NO_F16C)
ELU4J_INLINE ELU4J_F16C void bwd8_widen_f16c(__m256i v, __m256 *a, __m256 *b)
{
    *a = _mm256_cvtph_ps(_mm256_castsi256_si128(v));
    *b = _mm256_cvtph_ps(_mm256_extracti128_si256(v, 1));
}

ELU4J_INLINE ELU4J_F16C __m256i bwd8_narrow_f16c(__m256 a, __m256 b)
{
    return _mm256_set_m128i(_mm256_cvtps_ph(b, _MM_FROUND_TO_NEAREST_INT),
                            _mm256_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT));
}

/* The loop's full steps: vcvtph2ps from memory and vcvtps2ph to memory (no lane moves). */
ELU4J_INLINE ELU4J_F16C void bwd8_load_f16c(const char *s, __m256 *a, __m256 *b)
{
    *a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)s));
    *b = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(s + 16)));
}

ELU4J_INLINE ELU4J_F16C void bwd8_store_f16c(char *s, __m256 a, __m256 b)
{
    _mm_storeu_si128((__m128i *)(void *)s, _mm256_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT));
    _mm_storeu_si128((__m128i *)(void *)(s + 16), _mm256_cvtps_ph(b, _MM_FROUND_TO_NEAREST_INT));
}
#endif

/* The full steps of the even/odd forms: one 32-byte load or store. */
ELU4J_INLINE void bwd8_load_bf16(const char *s, __m256 *e, __m256 *o)
{
    bwd8_widen_bf16(_mm256_loadu_si256((const __m256i *)(const void *)s), e, o);
}

ELU4J_INLINE void bwd8_store_bf16(char *s, __m256 e, __m256 o)
{
    _mm256_storeu_si256((__m256i *)(void *)s, bwd8_narrow_bf16(e, o));
}

ELU4J_INLINE void bwd8_load_f16(const char *s, __m256 *e, __m256 *o)
{
    bwd8_widen_f16(_mm256_loadu_si256((const __m256i *)(const void *)s), e, o);
}

ELU4J_INLINE void bwd8_store_f16(char *s, __m256 e, __m256 o)
{
    _mm256_storeu_si256((__m256i *)(void *)s, bwd8_narrow_f16(e, o));
}

/* --- the loops ----------------------------------------------------------------------------------- */

/*
 * The backward of 16 elements as two vectors of 8 floats (ga, da and gb, db; la, lb their valid
 * lanes) to *ra, *rb; 0 where bwd_scalar8 must run them from memory. From x they are one group.
 */
ELU4J_INLINE int bwd8_step16(const bconsts256 *c, __m256 ga, __m256 da, __m256 gb, __m256 db,
                             __m256 la, __m256 lb, __m256 *ra, __m256 *rb, const int from_dst,
                             const int unit_input, const int pos_kind, const int yform)
{
    if (from_dst) {
        int sa, sb;
        *ra = bwd_y8(ga, da, c, unit_input, pos_kind, yform, &sa);
        *rb = bwd_y8(gb, db, c, unit_input, pos_kind, yform, &sb);
        sa &= _mm256_movemask_ps(la);
        sb &= _mm256_movemask_ps(lb);
        if (__builtin_expect((sa | sb) == 0, 1)) {
            return 1;
        }
        return (sa == 0 || bwd_y_fix8(ga, da, la, ra, c, unit_input, yform)) &&
               (sb == 0 || bwd_y_fix8(gb, db, lb, rb, c, unit_input, yform));
    }
    if (bwd_x_outside8(ga, da, c, la) | bwd_x_outside8(gb, db, c, lb)) {
        return 0;
    }
    *ra = bwd_x8(ga, da, c, unit_input, pos_kind);
    *rb = bwd_x8(gb, db, c, unit_input, pos_kind);
    return 1;
}

/*
 * The loop over n halves in form F (bf16, f16, f16c: its bwd8_load_F / bwd8_store_F for the full
 * steps, bwd8_widen_F / bwd8_narrow_F with LANES for the tail): a macro, as bwd_half_avx512.h's,
 * because the F16C conversions may only be inlined into functions built for F16C. 16 halves a
 * step: from x a group, decided on its own (32 a step, two groups, measured slower).
 */
#define ELU4J_BWD8_HALF_LOOP(F, LANES)                                                             \
    const int dtype = bf16 ? ELU4J_DT_BF16 : ELU4J_DT_F16;                                          \
    const __m256 all = _mm256_castsi256_ps(_mm256_set1_epi32(-1));                                  \
    size_t i = 0;                                                                                   \
    for (; i + 16 <= n; i += 16) {                                                                  \
        __m256 ga, gb, da, db, ra, rb;                                                              \
        bwd8_load_##F(g + 2 * i, &ga, &gb);                                                         \
        bwd8_load_##F(d + 2 * i, &da, &db);                                                         \
        if (__builtin_expect(bwd8_step16(c, ga, da, gb, db, all, all, &ra, &rb, from_dst,           \
                                         unit_input, pos_kind, yform), 1)) {                       \
            bwd8_store_##F(dx + 2 * i, ra, rb);                                                     \
        } else {                                                                                    \
            bwd_scalar8(p, dtype, from_dst, g + 2 * i, d + 2 * i, dx + 2 * i, 16);                  \
        }                                                                                           \
    }                                                                                               \
    if (i < n) { /* 1..15 left: one group */                                                        \
        const size_t m = n - i;                                                                     \
        __m256 ga, gb, da, db, ra, rb, la, lb;                                                      \
        LANES(m, &la, &lb);                                                                         \
        bwd8_widen_##F(bwd8_load_halves(g + 2 * i, m), &ga, &gb);                                   \
        bwd8_widen_##F(bwd8_load_halves(d + 2 * i, m), &da, &db);                                   \
        if (bwd8_step16(c, ga, da, gb, db, la, lb, &ra, &rb, from_dst, unit_input, pos_kind,       \
                        yform)) {                                                                   \
            bwd8_store_halves(dx + 2 * i, m, bwd8_narrow_##F(ra, rb));                              \
        } else {                                                                                    \
            bwd_scalar8(p, dtype, from_dst, g + 2 * i, d + 2 * i, dx + 2 * i, m);                   \
        }                                                                                           \
    }

/* bf16 (bf16 = 1) and f16 without F16C (0), in the even/odd form. */
ELU4J_INLINE void bwd8_half_loop(const elu4j_params *p, const char *g, const char *d, char *dx,
                                 size_t n, const bconsts256 *c, const int bf16, const int from_dst,
                                 const int unit_input, const int pos_kind, const int yform)
{
    if (bf16) {
        ELU4J_BWD8_HALF_LOOP(bf16, bwd8_lanes_eo)
    } else {
        ELU4J_BWD8_HALF_LOOP(f16, bwd8_lanes_eo)
    }
}

#if !defined(ELU4J_NO_F16C)
ELU4J_INLINE ELU4J_F16C void bwd8_f16c_loop(const elu4j_params *p, const char *g, const char *d,
                                            char *dx, size_t n, const bconsts256 *c,
                                            const int bf16, const int from_dst,
                                            const int unit_input, const int pos_kind,
                                            const int yform)
{
    ELU4J_BWD8_HALF_LOOP(f16c, bwd8_lanes_split)
}
#endif

/* The dispatch on the parameters (the kinds as constants), as bwd_f32_kernel's. */
#define ELU4J_BWD8_HALF_KINDS(LOOP, BF16)                                                          \
    const elu4j_general *b = &p->bwd;                                                              \
    const bconsts256 c = make_bconsts256(b);                                                       \
    if (from_dst) {                                                                                \
        switch (FAM_BWD_Y_CASE(b)) {                                                               \
        case 0: LOOP(p, g, d, dx, n, &c, BF16, 1, 0, 0, FAM_BWD_Y_PAIRS); break;                  \
        case 1: LOOP(p, g, d, dx, n, &c, BF16, 1, 0, 1, FAM_BWD_Y_PAIRS); break;                  \
        case 2: LOOP(p, g, d, dx, n, &c, BF16, 1, 0, 2, FAM_BWD_Y_PAIRS); break;                  \
        case 3: LOOP(p, g, d, dx, n, &c, BF16, 1, 1, 0, FAM_BWD_Y_PAIRS); break;                  \
        case 4: LOOP(p, g, d, dx, n, &c, BF16, 1, 1, 1, FAM_BWD_Y_PAIRS); break;                  \
        case 5: LOOP(p, g, d, dx, n, &c, BF16, 1, 1, 2, FAM_BWD_Y_PAIRS); break;                  \
        case 6: LOOP(p, g, d, dx, n, &c, BF16, 1, 0, 0, FAM_BWD_Y_PAIRS_NO_CLO); break;           \
        case 7: LOOP(p, g, d, dx, n, &c, BF16, 1, 0, 1, FAM_BWD_Y_PAIRS_NO_CLO); break;           \
        case 8: LOOP(p, g, d, dx, n, &c, BF16, 1, 0, 2, FAM_BWD_Y_PAIRS_NO_CLO); break;           \
        case 9: LOOP(p, g, d, dx, n, &c, BF16, 1, 1, 0, FAM_BWD_Y_PAIRS_NO_CLO); break;           \
        case 10: LOOP(p, g, d, dx, n, &c, BF16, 1, 1, 1, FAM_BWD_Y_PAIRS_NO_CLO); break;          \
        case 11: LOOP(p, g, d, dx, n, &c, BF16, 1, 1, 2, FAM_BWD_Y_PAIRS_NO_CLO); break;          \
        case 15: LOOP(p, g, d, dx, n, &c, BF16, 1, 1, 0, FAM_BWD_Y_FMA); break;                   \
        case 16: LOOP(p, g, d, dx, n, &c, BF16, 1, 1, 1, FAM_BWD_Y_FMA); break;                   \
        default: LOOP(p, g, d, dx, n, &c, BF16, 1, 1, 2, FAM_BWD_Y_FMA); break;                   \
        }                                                                                          \
    } else if (FAM_BWD_X_EXACT_GH(b)) { /* unit_input 2: bwd_avx2.h's bwd_x8 */                    \
        LOOP(p, g, d, dx, n, &c, BF16, 0, 2, 0, FAM_BWD_Y_PAIRS);                                  \
    } else {                                                                                       \
        switch (b->unit_input * 3 + b->pos_kind) {                                                 \
        case 0: LOOP(p, g, d, dx, n, &c, BF16, 0, 0, 0, FAM_BWD_Y_PAIRS); break;                  \
        case 1: LOOP(p, g, d, dx, n, &c, BF16, 0, 0, 1, FAM_BWD_Y_PAIRS); break;                  \
        case 2: LOOP(p, g, d, dx, n, &c, BF16, 0, 0, 2, FAM_BWD_Y_PAIRS); break;                  \
        case 3: LOOP(p, g, d, dx, n, &c, BF16, 0, 1, 0, FAM_BWD_Y_PAIRS); break;                  \
        case 4: LOOP(p, g, d, dx, n, &c, BF16, 0, 1, 1, FAM_BWD_Y_PAIRS); break;                  \
        default: LOOP(p, g, d, dx, n, &c, BF16, 0, 1, 2, FAM_BWD_Y_PAIRS); break;                 \
        }                                                                                          \
    }

/* bf16 (bf16 = 1) or f16 without F16C (0): n halves at g, d to dx. */
__attribute__((noinline)) static void bwd8_half_kernel(const elu4j_params *p, int bf16,
                                                       int from_dst, const char *g,
                                                       const char *d, char *dx, size_t n)
{
    if (bf16) {
        ELU4J_BWD8_HALF_KINDS(bwd8_half_loop, 1)
    } else {
        ELU4J_BWD8_HALF_KINDS(bwd8_half_loop, 0)
    }
}

#if !defined(ELU4J_NO_F16C)
/* f16 with F16C (the caller checks the CPU). */
__attribute__((noinline)) static ELU4J_F16C void bwd8_f16c_kernel(const elu4j_params *p,
                                                                  int from_dst, const char *g,
                                                                  const char *d, char *dx,
                                                                  size_t n)
{
    ELU4J_BWD8_HALF_KINDS(bwd8_f16c_loop, 0)
}
#endif
