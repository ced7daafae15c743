/*
 * elu4j native helper: the AVX2 level's bf16/f16 forward, fused (widen in registers, the float
 * and general f32 kernels of kernels_avx2.c and gen_avx2.h, or LeakyReLU's product, narrow).
 * Included by kernels_avx2.c only, after those kernels.
 *
 * As fwd_half_avx512.h fuses them at the AVX-512 level (its comment and half_avx512.h have why the
 * bits are the block path's): the block path's copies and separate passes cost more than the
 * kernel. Ordinary stores, also for large outputs, as at the AVX-512 level: streaming ones made
 * these loops slower.
 *
 *   bf16: 16 in a vector are 8 even (low words) and 8 odd elements: shifted left by 16 and with
 *     the low word cleared they are floats; narrowed by the portable integer rounding, NaN lanes
 *     (found by one unordered compare of both vectors, rare) fixed by a blend in a branch.
 *   f16: F16C's vcvtph2ps / vcvtps2ph with round to nearest even from the immediate (exact, and
 *     the portable rounding: half_avx512.h, half_conv_check), where the CPU has F16C, which the
 *     AVX2 level does not require; elsewhere the block path.
 *
 * 32 halves a step, loads before stores (in place is safe); AVX2 has no 16-bit masked loads and
 * stores, so the last 0..15 (bf16) or 0..7 (f16) halves go through a stack buffer.
 *
 * kind (a constant after inlining), as fwd_half_avx512.h's: 0 the float kernel with alpha = 1,
 * 1 with another alpha, 2 + 3 * unit_input + pos_kind the general kernel, 8 LeakyReLU with a
 * float slope (ec->alpha), 9 with a slope pair (ec->alpha + ec->alpha_lo): kernels_relu.h's
 * leaky_neg, the same bits; 10 the general kernel's lin_x case (half_kinds.h).
 */
#ifndef ELU4J_GEN_KERNEL
#error "included by kernels_avx2.c after its f32 kernels only"
#endif

ELU4J_INLINE __m256 half_f32(__m256 x, const consts256 *ec, const gconsts256 *gc, const int kind)
{
    if (kind < 2) {
        return elu8(x, ec, kind == 0);
    }
    if (kind == 8 || kind == 9) { /* x <= 0 takes the product; NaN (unordered) keeps x */
        const __m256 lo = _mm256_mul_ps(ec->alpha_lo, x);
        const __m256 neg = kind == 8 ? _mm256_mul_ps(ec->alpha, x) : _mm256_fmadd_ps(ec->alpha, x, lo);
        return _mm256_blendv_ps(x, neg, _mm256_cmp_ps(x, ec->zero, _CMP_LE_OQ));
    }
    if (kind == 10) {
        return gen8(x, gc, 0, 3);
    }
    return gen8(x, gc, (kind - 2) / 3, (kind - 2) % 3);
}

ELU4J_INLINE __m256i bf16_round_hi8(__m256 y) /* half_avx512.h's elu4j_bf16_round_hi */
{
    const __m256i b = _mm256_castps_si256(y);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
    return _mm256_add_epi32(b, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF)));
}

ELU4J_INLINE __m256i bf16_nan8(__m256i r, __m256 y) /* NaN lanes: b | 0x00400000 */
{
    const __m256 nan = _mm256_cmp_ps(y, y, _CMP_UNORD_Q);
    const __m256 q = _mm256_or_ps(y, _mm256_castsi256_ps(_mm256_set1_epi32(0x00400000)));
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(r), q, nan));
}

/* 16 bf16 in v. */
ELU4J_INLINE __m256i bf16_16(__m256i v, const consts256 *ec, const gconsts256 *gc, const int kind)
{
    const __m256 xe = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
    const __m256 xo = _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xFFFF0000u)));
    const __m256 ye = half_f32(xe, ec, gc, kind);
    const __m256 yo = half_f32(xo, ec, gc, kind);
    __m256i re = bf16_round_hi8(ye);
    __m256i ro = bf16_round_hi8(yo);
    if (__builtin_expect(_mm256_movemask_ps(_mm256_cmp_ps(ye, yo, _CMP_UNORD_Q)) != 0, 0)) {
        re = bf16_nan8(re, ye);
        ro = bf16_nan8(ro, yo);
    }
    return _mm256_blend_epi16(_mm256_srli_epi32(re, 16), ro, 0xAA);
}

ELU4J_INLINE void bf16_loop(const char *in, char *out, size_t n, const consts256 *ec,
                            const gconsts256 *gc, const int kind)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)(in + 2 * i));
        const __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(in + 2 * i + 32));
        _mm256_storeu_si256((__m256i *)(void *)(out + 2 * i), bf16_16(v0, ec, gc, kind));
        _mm256_storeu_si256((__m256i *)(void *)(out + 2 * i + 32), bf16_16(v1, ec, gc, kind));
    }
    if (i + 16 <= n) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(in + 2 * i));
        _mm256_storeu_si256((__m256i *)(void *)(out + 2 * i), bf16_16(v, ec, gc, kind));
        i += 16;
    }
    if (i < n) { /* 1..15 left */
        __m256i buf = _mm256_setzero_si256();
        memcpy(&buf, in + 2 * i, 2 * (n - i));
        buf = bf16_16(buf, ec, gc, kind);
        memcpy(out + 2 * i, &buf, 2 * (n - i));
    }
}

#define ELU4J_F16C __attribute__((target("f16c")))

/* 8 f16 in h. */
ELU4J_INLINE ELU4J_F16C __m128i f16_8(__m128i h, const consts256 *ec, const gconsts256 *gc, const int kind)
{
    return _mm256_cvtps_ph(half_f32(_mm256_cvtph_ps(h), ec, gc, kind), _MM_FROUND_TO_NEAREST_INT);
}

ELU4J_INLINE ELU4J_F16C void f16_loop(const char *in, char *out, size_t n, const consts256 *ec,
                                      const gconsts256 *gc, const int kind)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m128i h0 = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * i));
        const __m128i h1 = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * i + 16));
        const __m128i h2 = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * i + 32));
        const __m128i h3 = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * i + 48));
        _mm_storeu_si128((__m128i *)(void *)(out + 2 * i), f16_8(h0, ec, gc, kind));
        _mm_storeu_si128((__m128i *)(void *)(out + 2 * i + 16), f16_8(h1, ec, gc, kind));
        _mm_storeu_si128((__m128i *)(void *)(out + 2 * i + 32), f16_8(h2, ec, gc, kind));
        _mm_storeu_si128((__m128i *)(void *)(out + 2 * i + 48), f16_8(h3, ec, gc, kind));
    }
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * i));
        _mm_storeu_si128((__m128i *)(void *)(out + 2 * i), f16_8(h, ec, gc, kind));
    }
    if (i < n) { /* 1..7 left */
        __m128i buf = _mm_setzero_si128();
        memcpy(&buf, in + 2 * i, 2 * (n - i));
        buf = f16_8(buf, ec, gc, kind);
        memcpy(out + 2 * i, &buf, 2 * (n - i));
    }
}

/* The dispatch on the parameters (half_kinds.h), instantiated for each loop with the kind as a constant. */
#include "half_kinds.h"
#define ELU4J_HALF_KINDS(LOOP) ELU4J_HALF_KINDS_FOR(LOOP, consts256, make_consts256, gconsts256, make_gconsts256, _mm256_set1_ps)


static void bf16_kernel(const elu4j_params *p, const char *in, char *out, size_t n)
{
    ELU4J_HALF_KINDS(bf16_loop)
}

#if !defined(ELU4J_NO_F16C)
static ELU4J_F16C void f16_kernel(const elu4j_params *p, const char *in, char *out, size_t n)
{
    ELU4J_HALF_KINDS(f16_loop)
}
#endif

/*
 * kernels_impl.h calls it for bf16/f16 forward with p->fast or p->gen.enabled, and for LeakyReLU
 * whose product runs in float (ELU4J_LEAKY_FLOAT or _PAIR) (1: done; 0: not run here, f16 without
 * F16C or in the test build with ELU4J_NO_F16C: the caller takes the block path).
 */
#define ELU4J_HALF_KERNEL 1
static int half_f32_kernel(const elu4j_params *p, int dtype, const void *src, void *dst, size_t n)
{
    const char *in = (const char *)src;
    char *out = (char *)dst;
    if (p->function == ELU4J_FN_LEAKY_RELU && p->leaky_kind == ELU4J_LEAKY_DOUBLE) {
        return 0; /* no float product: its slope_hi, slope_lo are not the slope */
    }
    if (dtype == ELU4J_DT_F16) {
#if !defined(ELU4J_NO_F16C)
        if (elu4j_cpu_has_f16c()) {
            f16_kernel(p, in, out, n);
            return 1;
        }
#endif
        return 0;
    }
    bf16_kernel(p, in, out, n);
    return 1;
}
