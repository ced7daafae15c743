/*
 * elu4j native helper: the kernels of the AVX2 level (AVX2 + FMA): the float ELU kernel, written
 * here with intrinsics, 8 floats a step, and the rest of the family (kernels_impl.h, included at
 * the end and vectorised by GCC for this level), with this level's entry points
 * elu4j_forward_kernel_avx2 / elu4j_backward_kernel_avx2.
 *
 * This file alone is compiled with -mavx2 -mfma; the dispatcher only calls it after checking the
 * CPU. The float ELU kernel runs exactly the f32 operation sequence of elu4j_internal.h, so its results are
 * bit-identical to the portable kernel; alpha = 1 gets its own loop without the final multiply
 * (1 * e == e, so the bits are the same). The main loop handles 32 floats (four independent
 * vectors) a step; the last 0..7 floats use vmaskmovps loads and stores, which do not touch
 * (or fault on) the masked-off elements.
 *
 * Large out-of-place outputs (at least ELU4J_STREAM_MIN_BYTES, see elu4j_internal.h for how that
 * threshold was chosen) are written with non-temporal stores (vmovntps), as in the AVX-512
 * kernel (stream_store.h: the floats before the first 64-byte boundary, so that each streamed
 * pair of 32-byte stores fills one whole line, and the last 0..7 take ordinary stores). Only the
 * store instruction changes, so the results are the same bits.
 *
 * The general f32 kernel (SELU, CELU, other parameters) is written with intrinsics too
 * (gen_avx2.h), and bf16/f16 forward on either kernel, and LeakyReLU's with its product in float,
 * run fused (widen, kernel, narrow in registers: fwd_half_avx2.h), not through kernels_impl.h's
 * blocks.
 */
#include "elu4j.h"
#include "elu4j_internal.h"
#include "stream_store.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define ELU4J_INLINE static inline __attribute__((always_inline))
#else
#define ELU4J_INLINE static inline
#endif

/* The constants of the algorithm, broadcast once per call. */
typedef struct consts256 {
    __m256 x_min, log2e, shift, neg_ln2, p0, p1, p2, p3, p4, one, zero, alpha;
    __m256 alpha_lo; /* LeakyReLU's slope pair (fwd_half_avx2.h): alpha + alpha_lo; 0 for ELU */
} consts256;

/* ELU of 8 floats; unit_alpha (a constant after inlining) skips the multiply by alpha = 1. */
ELU4J_INLINE __m256 elu8(__m256 x, const consts256 *c, const int unit_alpha)
{
    const __m256 xc = _mm256_max_ps(x, c->x_min); /* lanes with NaN are discarded below */
    const __m256 t = _mm256_fmadd_ps(xc, c->log2e, c->shift);
    const __m256 nf = _mm256_sub_ps(t, c->shift);
    const __m256 r = _mm256_fmadd_ps(nf, c->neg_ln2, xc);
    const __m256 r2 = _mm256_mul_ps(r, r);
    __m256 q = _mm256_fmadd_ps(c->p4, r, c->p3);
    q = _mm256_fmadd_ps(q, r, c->p2);
    q = _mm256_fmadd_ps(q, r, c->p1);
    q = _mm256_fmadd_ps(q, r, c->p0);
    const __m256 p = _mm256_fmadd_ps(r2, q, r);
    const __m256i sbits = _mm256_slli_epi32(_mm256_castps_si256(t), 23); /* 2^n */
    const __m256 s = _mm256_castsi256_ps(sbits);
    const __m256 e = _mm256_fmadd_ps(s, p, _mm256_sub_ps(s, c->one));
    /* x < 0 (ordered): alpha * e; elsewhere (x > 0, +-0, NaN) x itself, bit for bit. */
    const __m256 neg = _mm256_cmp_ps(x, c->zero, _CMP_LT_OQ);
    return _mm256_blendv_ps(x, unit_alpha ? e : _mm256_mul_ps(e, c->alpha), neg);
}

/* Masked ordinary store of ELU of the first k (1..7) floats at in to out. */
ELU4J_INLINE void elu_partial(const char *in, char *out, size_t k, const consts256 *c,
                              const int unit_alpha)
{
    /* Lane j is active when j < k: the sign bit of each mask lane selects it. */
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), lane);
    const __m256 x = _mm256_maskload_ps((const float *)(const void *)in, mask);
    _mm256_maskstore_ps((float *)(void *)out, mask, elu8(x, c, unit_alpha));
}

/*
 * The loop over the floats [i, n) (stream_store.h: stream a constant, whole vectors streamed when
 * it is 1); inlined with unit_alpha 0 and 1. The last 0..7 floats: elu_partial.
 */
ELU4J_INLINE void elu_loop(const char *in, char *out, const consts256 *c, const int unit_alpha,
                           size_t i, size_t n, const int stream)
{
    /* Loads of a step come before its stores, so dst == src (in place) is safe. */
    for (; i + 32 <= n; i += 32) {
        const __m256 x0 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i));
        const __m256 x1 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i + 32));
        const __m256 x2 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i + 64));
        const __m256 x3 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i + 96));
        ELU4J_STORE(out + 4 * i, elu8(x0, c, unit_alpha), stream);
        ELU4J_STORE(out + 4 * i + 32, elu8(x1, c, unit_alpha), stream);
        ELU4J_STORE(out + 4 * i + 64, elu8(x2, c, unit_alpha), stream);
        ELU4J_STORE(out + 4 * i + 96, elu8(x3, c, unit_alpha), stream);
    }
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i));
        ELU4J_STORE(out + 4 * i, elu8(x, c, unit_alpha), stream);
    }
    if (i < n) {
        elu_partial(in + 4 * i, out + 4 * i, n - i, c, unit_alpha); /* n - i in 1..7 */
    }
}

/* The float ELU kernel's constants for alpha. */
ELU4J_INLINE consts256 make_consts256(float alpha)
{
    const consts256 c = {
        .x_min = _mm256_set1_ps(ELU4J_X_MIN),
        .log2e = _mm256_set1_ps(ELU4J_LOG2E),
        .shift = _mm256_set1_ps(ELU4J_SHIFT),
        .neg_ln2 = _mm256_set1_ps(-ELU4J_LN2),
        .p0 = _mm256_set1_ps(ELU4J_P0),
        .p1 = _mm256_set1_ps(ELU4J_P1),
        .p2 = _mm256_set1_ps(ELU4J_P2),
        .p3 = _mm256_set1_ps(ELU4J_P3),
        .p4 = _mm256_set1_ps(ELU4J_P4),
        .one = _mm256_set1_ps(1.0f),
        .zero = _mm256_setzero_ps(),
        .alpha = _mm256_set1_ps(alpha),
        .alpha_lo = _mm256_setzero_ps(),
    };
    return c;
}

static void elu_f32_kernel(const void *src, void *dst, size_t n, float alpha, int stream)
{
    const consts256 c = make_consts256(alpha);
    const char *in = (const char *)src;
    char *out = (char *)dst;
    if (alpha == 1.0f) {
        ELU4J_STREAMED(stream, out, 4, n, elu_loop, in, out, &c, 1);
    } else {
        ELU4J_STREAMED(stream, out, 4, n, elu_loop, in, out, &c, 0);
    }
}

/* --- the general f32 ELU kernel (gen_avx2.h: kernels_general.h's loop with intrinsics) --------- */
#include "gen_avx2.h"

/* --- bf16 and f16 forward, fused with the f32 kernels (fwd_half_avx2.h) ------------------------- */
#include "fwd_half_avx2.h"

/* --- the rest of the family, and the entry points of this level --------------------------------- */
/* kernels_f64.h and kernels_f64_bwd.h: the f64 ELU forward and the backward from x with intrinsics
   (kernels_f64_avx2.h, kernels_f64_bwd_avx2.h) */
#define ELU4J_F64_AVX2 1
#define ELU4J_FAM_SUFFIX _avx2
/* The f32 backward with intrinsics (bwd_avx2.h, after kernels_impl.h: it uses its loops). */
#define ELU4J_BWD_KERNEL 1
static int bwd_f32_kernel(const elu4j_params *p, int dtype, int from_dst, const void *diff_dst,
                          const void *data, void *diff_src, size_t n, int stream);

#include "kernels_impl.h"
#include "bwd_avx2.h"
