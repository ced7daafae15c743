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
 * kernel. Only the store instruction changes, so the results are the same bits.
 */
#include "elu4j_internal.h"

#include <immintrin.h>
#include <stdint.h>

#if defined(__GNUC__)
#define ELU4J_INLINE static inline __attribute__((always_inline))
#else
#define ELU4J_INLINE static inline
#endif

/* The constants of the algorithm, broadcast once per call. */
typedef struct consts256 {
    __m256 x_min, log2e, shift, neg_ln2, p0, p1, p2, p3, p4, one, zero, alpha;
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

/* The loop over n floats; inlined twice, with unit_alpha 0 and 1. */
ELU4J_INLINE void elu_loop(const char *in, char *out, size_t n, const consts256 *c,
                           const int unit_alpha)
{
    size_t i = 0;
    /* Loads of a step come before its stores, so dst == src (in place) is safe. */
    for (; i + 32 <= n; i += 32) {
        const __m256 x0 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i));
        const __m256 x1 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i + 32));
        const __m256 x2 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i + 64));
        const __m256 x3 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i + 96));
        _mm256_storeu_ps((float *)(void *)(out + 4 * i), elu8(x0, c, unit_alpha));
        _mm256_storeu_ps((float *)(void *)(out + 4 * i + 32), elu8(x1, c, unit_alpha));
        _mm256_storeu_ps((float *)(void *)(out + 4 * i + 64), elu8(x2, c, unit_alpha));
        _mm256_storeu_ps((float *)(void *)(out + 4 * i + 96), elu8(x3, c, unit_alpha));
    }
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i));
        _mm256_storeu_ps((float *)(void *)(out + 4 * i), elu8(x, c, unit_alpha));
    }
    if (i < n) {
        elu_partial(in + 4 * i, out + 4 * i, n - i, c, unit_alpha); /* n - i in 1..7 */
    }
}

/*
 * The loop with streaming stores, for n >= ELU4J_STREAM_MIN_BYTES / 4 floats, out of place, and
 * out 4-byte aligned. The floats before out's first 64-byte boundary (0..15) take ordinary
 * stores, so that every streamed pair of 32-byte stores fills one whole cache line (a
 * write-combining buffer is flushed as a full line, not as partial writes); then aligned
 * streaming stores; the last 0..7 floats a masked ordinary store; and an sfence orders the
 * weakly ordered streaming stores before anything the caller does next.
 */
ELU4J_INLINE void elu_loop_stream(const char *in, char *out, size_t n, const consts256 *c,
                                  const int unit_alpha)
{
    size_t head = (size_t)((64u - ((uintptr_t)out & 63u)) & 63u) / 4u; /* 0..15 */
    if (head > n) {
        head = n; /* only below the threshold, in builds that lower it for tests */
    }
    size_t i = 0;
    if (head >= 8) {
        const __m256 x = _mm256_loadu_ps((const float *)(const void *)in);
        _mm256_storeu_ps((float *)(void *)out, elu8(x, c, unit_alpha));
        i = 8;
    }
    if (i < head) {
        elu_partial(in + 4 * i, out + 4 * i, head - i, c, unit_alpha);
        i = head;
    }
    /* out + 4 * i is 64-byte aligned from here on. src != dst and they do not overlap. */
    for (; i + 32 <= n; i += 32) {
        const __m256 x0 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i));
        const __m256 x1 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i + 32));
        const __m256 x2 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i + 64));
        const __m256 x3 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i + 96));
        _mm256_stream_ps((float *)(void *)(out + 4 * i), elu8(x0, c, unit_alpha));
        _mm256_stream_ps((float *)(void *)(out + 4 * i + 32), elu8(x1, c, unit_alpha));
        _mm256_stream_ps((float *)(void *)(out + 4 * i + 64), elu8(x2, c, unit_alpha));
        _mm256_stream_ps((float *)(void *)(out + 4 * i + 96), elu8(x3, c, unit_alpha));
    }
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i));
        _mm256_stream_ps((float *)(void *)(out + 4 * i), elu8(x, c, unit_alpha));
    }
    if (i < n) {
        elu_partial(in + 4 * i, out + 4 * i, n - i, c, unit_alpha);
    }
    _mm_sfence();
}

static void elu_f32_kernel(const void *src, void *dst, size_t n, float alpha, int stream)
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
    };
    if (stream) {
        if (alpha == 1.0f) {
            elu_loop_stream((const char *)src, (char *)dst, n, &c, 1);
        } else {
            elu_loop_stream((const char *)src, (char *)dst, n, &c, 0);
        }
    } else if (alpha == 1.0f) {
        elu_loop((const char *)src, (char *)dst, n, &c, 1);
    } else {
        elu_loop((const char *)src, (char *)dst, n, &c, 0);
    }
}

/* --- the rest of the family, and the entry points of this level --------------------------------- */
#define ELU4J_FAM_SUFFIX _avx2
#include "kernels_impl.h"
