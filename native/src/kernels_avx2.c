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
 * bf16 and f16 ELU on the float kernel run fused (widen, elu8, narrow in registers; see "bf16 and
 * f16 forward on the float kernel, fused" below), not through kernels_impl.h's blocks.
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

/* --- bf16 and f16 forward on the float kernel, fused ----------------------------------------------- */
/*
 * bf16/f16 ELU on the float kernel (p->fast), as kernels_avx512.c fuses it (widen in registers,
 * elu8 unchanged, narrow in registers; its comment and half_avx512.h have why the bits are the
 * block path's): the block path's copies and separate passes cost more than the kernel. The
 * general kernel has no hand-written AVX2 form to fuse with, so its bf16/f16 keep the block path.
 * Ordinary stores, also for large outputs, as at the AVX-512 level (fwd_half_avx512.h): streaming
 * ones made these loops slower.
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
 */
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
ELU4J_INLINE __m256i bf16_16(__m256i v, const consts256 *c, const int unit_alpha)
{
    const __m256 xe = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
    const __m256 xo = _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xFFFF0000u)));
    const __m256 ye = elu8(xe, c, unit_alpha);
    const __m256 yo = elu8(xo, c, unit_alpha);
    __m256i re = bf16_round_hi8(ye);
    __m256i ro = bf16_round_hi8(yo);
    if (__builtin_expect(_mm256_movemask_ps(_mm256_cmp_ps(ye, yo, _CMP_UNORD_Q)) != 0, 0)) {
        re = bf16_nan8(re, ye);
        ro = bf16_nan8(ro, yo);
    }
    return _mm256_blend_epi16(_mm256_srli_epi32(re, 16), ro, 0xAA);
}

ELU4J_INLINE void bf16_loop(const char *in, char *out, size_t n, const consts256 *c,
                            const int unit_alpha)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)(in + 2 * i));
        const __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(in + 2 * i + 32));
        _mm256_storeu_si256((__m256i *)(void *)(out + 2 * i), bf16_16(v0, c, unit_alpha));
        _mm256_storeu_si256((__m256i *)(void *)(out + 2 * i + 32), bf16_16(v1, c, unit_alpha));
    }
    if (i + 16 <= n) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(in + 2 * i));
        _mm256_storeu_si256((__m256i *)(void *)(out + 2 * i), bf16_16(v, c, unit_alpha));
        i += 16;
    }
    if (i < n) { /* 1..15 left */
        __m256i buf = _mm256_setzero_si256();
        memcpy(&buf, in + 2 * i, 2 * (n - i));
        buf = bf16_16(buf, c, unit_alpha);
        memcpy(out + 2 * i, &buf, 2 * (n - i));
    }
}

#define ELU4J_F16C __attribute__((target("f16c")))

/* 8 f16 in h. */
ELU4J_INLINE ELU4J_F16C __m128i f16_8(__m128i h, const consts256 *c, const int unit_alpha)
{
    return _mm256_cvtps_ph(elu8(_mm256_cvtph_ps(h), c, unit_alpha), _MM_FROUND_TO_NEAREST_INT);
}

ELU4J_INLINE ELU4J_F16C void f16_loop(const char *in, char *out, size_t n, const consts256 *c,
                                      const int unit_alpha)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m128i h0 = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * i));
        const __m128i h1 = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * i + 16));
        const __m128i h2 = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * i + 32));
        const __m128i h3 = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * i + 48));
        _mm_storeu_si128((__m128i *)(void *)(out + 2 * i), f16_8(h0, c, unit_alpha));
        _mm_storeu_si128((__m128i *)(void *)(out + 2 * i + 16), f16_8(h1, c, unit_alpha));
        _mm_storeu_si128((__m128i *)(void *)(out + 2 * i + 32), f16_8(h2, c, unit_alpha));
        _mm_storeu_si128((__m128i *)(void *)(out + 2 * i + 48), f16_8(h3, c, unit_alpha));
    }
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * i));
        _mm_storeu_si128((__m128i *)(void *)(out + 2 * i), f16_8(h, c, unit_alpha));
    }
    if (i < n) { /* 1..7 left */
        __m128i buf = _mm_setzero_si128();
        memcpy(&buf, in + 2 * i, 2 * (n - i));
        buf = f16_8(buf, c, unit_alpha);
        memcpy(out + 2 * i, &buf, 2 * (n - i));
    }
}

#if !defined(ELU4J_NO_F16C)
static ELU4J_F16C void f16_kernel(const char *in, char *out, size_t n, float alpha)
{
    const consts256 c = make_consts256(alpha);
    if (alpha == 1.0f) {
        f16_loop(in, out, n, &c, 1);
    } else {
        f16_loop(in, out, n, &c, 0);
    }
}
#endif

/*
 * kernels_impl.h calls it for bf16/f16 forward with p->fast or p->gen.enabled; 0: not run here
 * (the general kernel; f16 without F16C, or in the test build with ELU4J_NO_F16C), the caller
 * takes the block path.
 */
#define ELU4J_HALF_KERNEL 1
static int half_f32_kernel(const elu4j_params *p, int dtype, const void *src, void *dst, size_t n)
{
    const char *in = (const char *)src;
    char *out = (char *)dst;
    if (!p->fast) {
        return 0;
    }
    if (dtype == ELU4J_DT_F16) {
#if !defined(ELU4J_NO_F16C)
        if (__builtin_cpu_supports("f16c")) {
            f16_kernel(in, out, n, p->alpha_f);
            return 1;
        }
#endif
        return 0;
    }
    const consts256 c = make_consts256(p->alpha_f);
    if (p->alpha_f == 1.0f) {
        bf16_loop(in, out, n, &c, 1);
    } else {
        bf16_loop(in, out, n, &c, 0);
    }
    return 1;
}

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
