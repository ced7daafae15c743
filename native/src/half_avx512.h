/*
 * elu4j native helper: bf16 and f16 <-> f32 conversions of 16 or 32 elements in AVX-512
 * registers (F/BW/VL; one bf16 narrow also AVX512_BF16), for the fused bf16/f16 kernels of
 * kernels_avx512.c, and included by tests/half_conv_check.c, which compares them with the portable
 * conversions of kernels_impl.h over every float bit pattern. Only for code compiled with the
 * AVX-512 flags.
 *
 * Each gives exactly the bits of kernels_impl.h's conversion (the portable level's), element for
 * element, with one exception that cannot show in a result (f16 signalling NaNs, below):
 *
 *   bf16 widen: a bf16 is the top half of its float. 32 bf16 in one vector are 16 dwords, each
 *     an even element (low word) and an odd one (high word): the even floats are the dwords
 *     shifted left by 16, the odd ones the dwords with the low word cleared. One integer op per
 *     16 elements and no shuffle; the narrow puts each back in its own word.
 *   bf16 narrow, integer: the portable sequence, b + 0x7FFF + (bit 16 of b), for all floats but
 *     NaN, which gives (b | 0x00400000) (the quiet bit set, the top payload bits kept); the bf16
 *     is the high word. NaN is found with an unordered compare, which holds exactly where
 *     (b & 0x7FFFFFFF) > 0x7F800000.
 *   bf16 narrow, AVX512_BF16: vcvtne2ps2bf16 gives the same bits for every float but the
 *     subnormals, which it reads as zero; vectors holding one take the integer narrow. Fewer
 *     operations, which is what counts here: the f32 kernels keep the FMA pipes busy, and the
 *     integer narrow's seven operations per vector compete with them for the vector pipes.
 *   f16 widen: vcvtph2ps. Exact for every f16 (subnormals included, whatever the MXCSR holds),
 *     but it sets the quiet bit of a signalling NaN (payload and sign kept), where the portable
 *     widen keeps it clear. The kernels pass NaN through unchanged and every f16 narrow sets the
 *     quiet bit and keeps the same top payload bits, so a result cannot tell the two apart.
 *   f16 narrow: vcvtps2ph with round to nearest even from the immediate: the same bits as the
 *     portable integer sequence for all 2^32 floats (overflow to inf from 65520, f16 subnormals,
 *     float subnormals to +-0, NaN to sign | 0x7E00 | the top 10 payload bits).
 *
 * "All 2^32 floats" as tests/half_conv_check --all checks, in the default floating-point
 * environment that the whole library assumes (round to nearest, no DAZ/FTZ): the portable f16
 * narrow rounds f16 subnormals with a float addition, which follows the MXCSR.
 */
#ifndef ELU4J_HALF_AVX512_H
#define ELU4J_HALF_AVX512_H

#include <immintrin.h>

#if defined(__GNUC__)
#define ELU4J_HALF_INLINE static inline __attribute__((always_inline))
#else
#define ELU4J_HALF_INLINE static inline
#endif

/* The 16 even-numbered bf16 of v (32 of them) as floats. */
ELU4J_HALF_INLINE __m512 elu4j_bf16_even(__m512i v)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
}

/* The 16 odd-numbered bf16 of v as floats. */
ELU4J_HALF_INLINE __m512 elu4j_bf16_odd(__m512i v)
{
    return _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int)0xFFFF0000u)));
}

/*
 * y rounded to bf16 (kernels_impl.h's bf16_narrow), in the high word of each dword: for y not NaN.
 * NaN lanes need elu4j_bf16_nan (the rounding could carry a payload into the exponent).
 */
ELU4J_HALF_INLINE __m512i elu4j_bf16_round_hi(__m512 y)
{
    const __m512i b = _mm512_castps_si512(y);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    return _mm512_add_epi32(b, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF)));
}

/* r from elu4j_bf16_round_hi(y) with its NaN lanes replaced: b | 0x00400000. */
ELU4J_HALF_INLINE __m512i elu4j_bf16_nan(__m512i r, __m512 y)
{
    const __mmask16 nan = _mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q);
    return _mm512_mask_or_epi32(r, nan, _mm512_castps_si512(y), _mm512_set1_epi32(0x00400000));
}

/*
 * The inverse of elu4j_bf16_even / elu4j_bf16_odd: ye, yo rounded to bf16 and interleaved. One
 * unordered compare of ye with yo finds a NaN in either; NaN is rare, so its lanes are fixed in a
 * branch, not on every step.
 */
ELU4J_HALF_INLINE __m512i elu4j_bf16_pack(__m512 ye, __m512 yo)
{
    __m512i re = elu4j_bf16_round_hi(ye);
    __m512i ro = elu4j_bf16_round_hi(yo);
    if (__builtin_expect(_mm512_cmp_ps_mask(ye, yo, _CMP_UNORD_Q) != 0, 0)) {
        re = elu4j_bf16_nan(re, ye);
        ro = elu4j_bf16_nan(ro, yo);
    }
    return _mm512_mask_blend_epi16((__mmask32)0xAAAAAAAAu, _mm512_srli_epi32(re, 16), ro);
}

/*
 * elu4j_bf16_pack with AVX512_BF16 (only where the CPU has it): vcvtne2ps2bf16 rounds to nearest
 * even and turns NaN into (b >> 16) | 0x40, as the portable narrow, for every float but the
 * subnormals, which it reads as zero (checked over all 2^32 floats by half_conv_check --all).
 * So where ye or yo holds a subnormal (vfpclassps, rare: results below 2^-126) the integer
 * pack above runs instead. vcvtne2ps2bf16 gives ye's 16 bf16 and then yo's; a word permutation
 * interleaves them.
 */
#define ELU4J_HALF_BF16 __attribute__((target("avx512bf16")))

/* elu4j_bf16_pack_ne for ye, yo known to hold no subnormal (the caller has checked). */
ELU4J_HALF_INLINE ELU4J_HALF_BF16 __m512i elu4j_bf16_pack_ne_normal(__m512 ye, __m512 yo)
{
    const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9,
                                         24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1,
                                         16, 0);
    return _mm512_permutexvar_epi16(idx, (__m512i)_mm512_cvtne2ps_pbh(yo, ye));
}

ELU4J_HALF_INLINE ELU4J_HALF_BF16 __m512i elu4j_bf16_pack_ne(__m512 ye, __m512 yo)
{
    const __mmask16 se = _mm512_fpclass_ps_mask(ye, 0x20); /* 0x20: subnormal */
    const __mmask16 so = _mm512_fpclass_ps_mask(yo, 0x20);
    if (__builtin_expect(!_kortestz_mask16_u8(se, so), 0)) {
        return elu4j_bf16_pack(ye, yo);
    }
    return elu4j_bf16_pack_ne_normal(ye, yo);
}

/* 16 f16 as floats. */
ELU4J_HALF_INLINE __m512 elu4j_f16_widen(__m256i h)
{
    return _mm512_cvtph_ps(h);
}

/* 16 floats rounded to f16 (kernels_impl.h's f16_narrow). */
ELU4J_HALF_INLINE __m256i elu4j_f16_narrow(__m512 y)
{
    return _mm512_cvtps_ph(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

#endif /* ELU4J_HALF_AVX512_H */
