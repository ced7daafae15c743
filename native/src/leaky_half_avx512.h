/*
 * elu4j native helper: the AVX-512 level's bf16/f16 LeakyReLU backward, fused (widen in
 * registers, kernels_relu.h's relu_bwd_one for a float slope or a slope pair, narrow). Included
 * by kernels_avx512.c only, after fwd_half_avx512.h (its consts512 slope and the conversions of
 * half_avx512.h).
 */
#ifndef ELU4J_HALF_KERNEL
#error "included by kernels_avx512.c after fwd_half_avx512.h only"
#endif

/*
 * dx = d > 0 ? g : slope * g for 16 floats (kind 8: c->alpha * g; 9: the pair
 * fma(c->alpha, g, c->alpha_lo * g)): kernels_relu.h's relu_bwd_one, the same operations, so the
 * block path's bits (a NaN d takes the product, as PyTorch's leaky_relu_backward).
 */
ELU4J_INLINE __m512 leaky_bwd16(__m512 g, __m512 d, const consts512 *c, const int kind)
{
    const __m512 neg = kind == 8 ? _mm512_mul_ps(c->alpha, g)
                                 : _mm512_fmadd_ps(c->alpha, g, _mm512_mul_ps(c->alpha_lo, g));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(d, c->zero, _CMP_GT_OQ), neg, g);
}

/*
 * 32 bf16 a step (even and odd elements as 16 floats each, half_avx512.h), PACK rounding them
 * back: a macro, as ELU4J_BF16_LOOP, because the AVX512_BF16 pack may only be inlined into
 * functions built for it. Loads before the store (dx may be dy or d); the tail with masked 16-bit
 * loads and stores.
 */
#define ELU4J_LEAKY_BF16_STEP(PACK, GV, DV)                                                        \
    PACK(leaky_bwd16(elu4j_bf16_even(GV), elu4j_bf16_even(DV), c, kind),                           \
         leaky_bwd16(elu4j_bf16_odd(GV), elu4j_bf16_odd(DV), c, kind))

#define ELU4J_LEAKY_BF16_LOOP(PACK)                                                                \
    size_t i = 0;                                                                                  \
    for (; i + 32 <= n; i += 32) {                                                                 \
        const __m512i gv = _mm512_loadu_si512(g + 2 * i);                                          \
        const __m512i dv = _mm512_loadu_si512(d + 2 * i);                                          \
        _mm512_storeu_si512(dx + 2 * i, ELU4J_LEAKY_BF16_STEP(PACK, gv, dv));                      \
    }                                                                                              \
    if (i < n) {                                                                                   \
        const __mmask32 tail = (__mmask32)((1u << (n - i)) - 1u); /* n - i in 1..31 */             \
        const __m512i gv = _mm512_maskz_loadu_epi16(tail, g + 2 * i);                              \
        const __m512i dv = _mm512_maskz_loadu_epi16(tail, d + 2 * i);                              \
        _mm512_mask_storeu_epi16(dx + 2 * i, tail, ELU4J_LEAKY_BF16_STEP(PACK, gv, dv));           \
    }

ELU4J_INLINE void leaky_bf16_loop(const char *g, const char *d, char *dx, size_t n,
                                  const consts512 *c, const int kind)
{
    ELU4J_LEAKY_BF16_LOOP(elu4j_bf16_pack)
}

#if !defined(ELU4J_NO_AVX512_BF16)
ELU4J_INLINE ELU4J_HALF_BF16 void leaky_bf16_loop_ne(const char *g, const char *d, char *dx,
                                                     size_t n, const consts512 *c, const int kind)
{
    ELU4J_LEAKY_BF16_LOOP(elu4j_bf16_pack_ne)
}

static ELU4J_HALF_BF16 void leaky_bf16_kernel_ne(const char *g, const char *d, char *dx, size_t n,
                                                 const consts512 *c, int pair)
{
    if (pair) {
        leaky_bf16_loop_ne(g, d, dx, n, c, 9);
    } else {
        leaky_bf16_loop_ne(g, d, dx, n, c, 8);
    }
}
#endif

/* 16 f16 a step. */
ELU4J_INLINE void leaky_f16_loop(const char *g, const char *d, char *dx, size_t n,
                                 const consts512 *c, const int kind)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i gh = _mm256_loadu_si256((const __m256i *)(const void *)(g + 2 * i));
        const __m256i dh = _mm256_loadu_si256((const __m256i *)(const void *)(d + 2 * i));
        const __m512 r = leaky_bwd16(elu4j_f16_widen(gh), elu4j_f16_widen(dh), c, kind);
        _mm256_storeu_si256((__m256i *)(void *)(dx + 2 * i), elu4j_f16_narrow(r));
    }
    if (i < n) {
        const __mmask16 tail = (__mmask16)((1u << (n - i)) - 1u); /* n - i in 1..15 */
        const __m256i gh = _mm256_maskz_loadu_epi16(tail, g + 2 * i);
        const __m256i dh = _mm256_maskz_loadu_epi16(tail, d + 2 * i);
        const __m512 r = leaky_bwd16(elu4j_f16_widen(gh), elu4j_f16_widen(dh), c, kind);
        _mm256_mask_storeu_epi16(dx + 2 * i, tail, elu4j_f16_narrow(r));
    }
}

/*
 * kernels_impl.h calls it for the bf16/f16 backward of LeakyReLU (from x and from y alike): 1 when
 * done, 0 where the product does not run in float (ELU4J_LEAKY_DOUBLE: the block path).
 */
#define ELU4J_HALF_LEAKY_BWD 1
static int half_leaky_bwd_kernel(const elu4j_params *p, int dtype, const void *diff_dst,
                                 const void *data, void *diff_src, size_t n)
{
    if (p->leaky_kind == ELU4J_LEAKY_DOUBLE) {
        return 0;
    }
    const char *g = (const char *)diff_dst;
    const char *d = (const char *)data;
    char *dx = (char *)diff_src;
    consts512 c = make_consts512(p->slope_hi);
    c.alpha_lo = _mm512_set1_ps(p->slope_lo);
    const int pair = p->leaky_kind == ELU4J_LEAKY_PAIR;
    if (dtype == ELU4J_DT_F16) {
        if (pair) {
            leaky_f16_loop(g, d, dx, n, &c, 9);
        } else {
            leaky_f16_loop(g, d, dx, n, &c, 8);
        }
        return 1;
    }
#if !defined(ELU4J_NO_AVX512_BF16)
    if (__builtin_cpu_supports("avx512bf16")) {
        leaky_bf16_kernel_ne(g, d, dx, n, &c, pair);
        return 1;
    }
#endif
    if (pair) {
        leaky_bf16_loop(g, d, dx, n, &c, 9);
    } else {
        leaky_bf16_loop(g, d, dx, n, &c, 8);
    }
    return 1;
}
