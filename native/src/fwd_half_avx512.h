/*
 * elu4j native helper: the AVX-512 level's bf16/f16 forward, fused (widen in registers, the float
 * and general f32 kernels of kernels_avx512.c, narrow). Included by kernels_avx512.c only, after
 * those kernels.
 */
#ifndef ELU4J_GEN_KERNEL
#error "included by kernels_avx512.c after its f32 kernels only"
#endif

/* --- bf16 and f16 forward, fused ------------------------------------------------------------------ */
/*
 * bf16/f16 ELU on the float kernel (p->fast) or the general kernel (p->gen.enabled), and LeakyReLU
 * with its product in float, straight from
 * src to dst: each step loads the halves, widens them in registers (half_avx512.h), runs elu16 or
 * gen16 unchanged and narrows and stores the results. The block path of kernels_impl.h copies
 * each block to the stack, widens it, runs the f32 kernel and narrows it, each a pass of its own
 * through memory; fused, the halves are read and written once, and the conversions are a few
 * register operations beside the kernel's. Same bits: the widening is exact, the kernel is the
 * same operations on the same floats, and the narrowing is the portable rounding (half_avx512.h).
 * 64 halves (four vectors of floats) a step, as the f32 kernels; loads before stores (in place is
 * safe); the tail with masked loads and stores of 16-bit elements, which touch nothing outside
 * [src, src + n) and [dst, dst + n) and need no alignment. Ordinary stores, also for large
 * outputs: these loops are bound by their arithmetic (two f32 kernels and the conversions per 32
 * halves), and streaming stores made bf16 and f16, with the float and the general kernel, slower
 * (elu4j_internal.h: where streaming stores pay).
 *
 * kind (a constant after inlining): 0 the float kernel with alpha = 1, 1 with another alpha,
 * 2 + 3 * unit_input + pos_kind the general kernel, 8 LeakyReLU with a float slope (ec->alpha),
 * 9 with a slope pair (ec->alpha + ec->alpha_lo): kernels_relu.h's leaky_neg, the same bits;
 * 10 the general kernel's lin_x case (half_kinds.h).
 */
ELU4J_INLINE __m512 half_f32(__m512 x, const consts512 *ec, const gconsts512 *gc, const int kind)
{
    if (kind < 2) {
        return elu16(x, ec, kind == 0);
    }
    if (kind == 8 || kind == 9) { /* x <= 0 takes the product; NaN (unordered) keeps x */
        const __m512 lo = _mm512_mul_ps(ec->alpha_lo, x);
        const __m512 neg =
            kind == 8 ? _mm512_mul_ps(ec->alpha, x) : _mm512_fmadd_ps(ec->alpha, x, lo);
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, ec->zero, _CMP_LE_OQ), x, neg);
    }
    if (kind == 10) {
        return gen16(x, gc, 0, 3);
    }
    return gen16(x, gc, (kind - 2) / 3, (kind - 2) % 3);
}

/* 32 bf16 in v: the even and the odd elements are 16 floats each (half_avx512.h). */
ELU4J_INLINE __m512i bf16_32(__m512i v, const consts512 *ec, const gconsts512 *gc, const int kind)
{
    const __m512 ye = half_f32(elu4j_bf16_even(v), ec, gc, kind);
    const __m512 yo = half_f32(elu4j_bf16_odd(v), ec, gc, kind);
    return elu4j_bf16_pack(ye, yo);
}

/* The same, narrowed with AVX512_BF16's vcvtne2ps2bf16 (half_avx512.h). */
ELU4J_INLINE ELU4J_HALF_BF16 __m512i bf16_32_ne(__m512i v, const consts512 *ec,
                                                const gconsts512 *gc, const int kind)
{
    const __m512 ye = half_f32(elu4j_bf16_even(v), ec, gc, kind);
    const __m512 yo = half_f32(elu4j_bf16_odd(v), ec, gc, kind);
    return elu4j_bf16_pack_ne(ye, yo);
}

/*
 * The bf16 loop with STEP (bf16_32 or bf16_32_ne) on 32 elements: a macro, not a function taking
 * the step, because the AVX512_BF16 step may only be inlined into functions built for it.
 */
#define ELU4J_BF16_LOOP(STEP)                                                                      \
    size_t i = 0;                                                                                  \
    for (; i + 64 <= n; i += 64) {                                                                 \
        const __m512i v0 = _mm512_loadu_si512(in + 2 * i);                                         \
        const __m512i v1 = _mm512_loadu_si512(in + 2 * i + 64);                                    \
        _mm512_storeu_si512(out + 2 * i, STEP(v0, ec, gc, kind));                                  \
        _mm512_storeu_si512(out + 2 * i + 64, STEP(v1, ec, gc, kind));                             \
    }                                                                                              \
    if (i + 32 <= n) {                                                                             \
        _mm512_storeu_si512(out + 2 * i, STEP(_mm512_loadu_si512(in + 2 * i), ec, gc, kind));      \
        i += 32;                                                                                   \
    }                                                                                              \
    if (i < n) {                                                                                   \
        const __mmask32 tail = (__mmask32)((1u << (n - i)) - 1u); /* n - i in 1..31 */             \
        const __m512i v = _mm512_maskz_loadu_epi16(tail, in + 2 * i);                              \
        _mm512_mask_storeu_epi16(out + 2 * i, tail, STEP(v, ec, gc, kind));                        \
    }

ELU4J_INLINE void bf16_loop(const char *in, char *out, size_t n, const consts512 *ec,
                            const gconsts512 *gc, const int kind)
{
    ELU4J_BF16_LOOP(bf16_32)
}

ELU4J_INLINE ELU4J_HALF_BF16 void bf16_loop_ne(const char *in, char *out, size_t n,
                                               const consts512 *ec, const gconsts512 *gc,
                                               const int kind)
{
    ELU4J_BF16_LOOP(bf16_32_ne)
}

/* 16 f16 in h. */
ELU4J_INLINE __m256i f16_16(__m256i h, const consts512 *ec, const gconsts512 *gc, const int kind)
{
    return elu4j_f16_narrow(half_f32(elu4j_f16_widen(h), ec, gc, kind));
}

ELU4J_INLINE void f16_loop(const char *in, char *out, size_t n, const consts512 *ec,
                           const gconsts512 *gc, const int kind)
{
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m256i h0 = _mm256_loadu_si256((const __m256i *)(const void *)(in + 2 * i));
        const __m256i h1 = _mm256_loadu_si256((const __m256i *)(const void *)(in + 2 * i + 32));
        const __m256i h2 = _mm256_loadu_si256((const __m256i *)(const void *)(in + 2 * i + 64));
        const __m256i h3 = _mm256_loadu_si256((const __m256i *)(const void *)(in + 2 * i + 96));
        _mm256_storeu_si256((__m256i *)(void *)(out + 2 * i), f16_16(h0, ec, gc, kind));
        _mm256_storeu_si256((__m256i *)(void *)(out + 2 * i + 32), f16_16(h1, ec, gc, kind));
        _mm256_storeu_si256((__m256i *)(void *)(out + 2 * i + 64), f16_16(h2, ec, gc, kind));
        _mm256_storeu_si256((__m256i *)(void *)(out + 2 * i + 96), f16_16(h3, ec, gc, kind));
    }
    for (; i + 16 <= n; i += 16) {
        const __m256i h = _mm256_loadu_si256((const __m256i *)(const void *)(in + 2 * i));
        _mm256_storeu_si256((__m256i *)(void *)(out + 2 * i), f16_16(h, ec, gc, kind));
    }
    if (i < n) {
        const __mmask16 tail = (__mmask16)((1u << (n - i)) - 1u); /* n - i in 1..15 */
        const __m256i h = _mm256_maskz_loadu_epi16(tail, in + 2 * i);
        _mm256_mask_storeu_epi16(out + 2 * i, tail, f16_16(h, ec, gc, kind));
    }
}

/* The dispatch on the parameters (half_kinds.h), instantiated for each loop with the kind as a constant. */
#include "half_kinds.h"
#define ELU4J_HALF_KINDS(LOOP) ELU4J_HALF_KINDS_FOR(LOOP, consts512, make_consts512, gconsts512, make_gconsts512, _mm512_set1_ps)


static void bf16_kernel(const elu4j_params *p, const char *in, char *out, size_t n)
{
    ELU4J_HALF_KINDS(bf16_loop)
}

#if !defined(ELU4J_NO_AVX512_BF16)
static ELU4J_HALF_BF16 void bf16_kernel_ne(const elu4j_params *p, const char *in, char *out,
                                           size_t n)
{
    ELU4J_HALF_KINDS(bf16_loop_ne)
}
#endif

static void f16_kernel(const elu4j_params *p, const char *in, char *out, size_t n)
{
    ELU4J_HALF_KINDS(f16_loop)
}

/*
 * kernels_impl.h calls it for bf16/f16 forward with p->fast or p->gen.enabled, and for LeakyReLU
 * whose product runs in float (ELU4J_LEAKY_FLOAT or _PAIR) (1: done). bf16 takes
 * vcvtne2ps2bf16 where the CPU has AVX512_BF16 (unless built with ELU4J_NO_AVX512_BF16, as the
 * test library that covers the other narrow on such CPUs is).
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
        f16_kernel(p, in, out, n);
        return 1;
    }
#if !defined(ELU4J_NO_AVX512_BF16)
    if (__builtin_cpu_supports("avx512bf16")) {
        bf16_kernel_ne(p, in, out, n);
        return 1;
    }
#endif
    bf16_kernel(p, in, out, n);
    return 1;
}
