/*
 * elu4j native helper: the kernels of the AVX-512 level (F/DQ/BW/VL + FMA): the float ELU kernel,
 * written here with intrinsics, 16 floats a step, and the rest of the family (kernels_impl.h,
 * included at the end and vectorised by GCC for this level), with this level's entry points
 * elu4j_forward_kernel_avx512 / elu4j_backward_kernel_avx512.
 *
 * This file alone is compiled with the AVX-512 flags; the dispatcher only calls it after
 * checking the CPU. The float ELU kernel runs exactly the f32 operation sequence of elu4j_internal.h, so its
 * results are bit-identical to the portable kernel; alpha = 1 gets its own loop without the
 * final multiply (1 * e == e, so the bits are the same). The main loop handles 64 floats (four
 * independent vectors) a step to hide the FMA latency; the last 0..15 floats use masked loads
 * and stores, which never touch memory outside [src, src + n) and [dst, dst + n).
 *
 * Large out-of-place outputs (at least ELU4J_STREAM_MIN_BYTES, see elu4j_internal.h for how that
 * threshold was chosen) are written with non-temporal stores (vmovntps; stream_store.h: the floats
 * before the first 64-byte boundary and the last 0..15 with ordinary ones): the output then goes
 * to memory without first being read into the cache, and does not evict the input. Only the store
 * instruction changes, so the results are the same bits.
 *
 * bf16 and f16 ELU on the same two kernels run fused (widen, compute, narrow in registers; see
 * fwd_half_avx512.h and half_avx512.h), not through kernels_impl.h's blocks. The backward with
 * intrinsics is bwd_avx512.h (f32) and bwd_half_avx512.h (bf16, f16).
 */
#include "elu4j.h"
#include "elu4j_internal.h"
#include "half_avx512.h"
#include "stream_store.h"

#include <immintrin.h>
#include <stdint.h>

#if defined(__GNUC__)
#define ELU4J_INLINE static inline __attribute__((always_inline))
#else
#define ELU4J_INLINE static inline
#endif

/* The constants of the algorithm, broadcast once per call. */
typedef struct consts512 {
    __m512 x_min, log2e, shift, neg_ln2, p0, p1, p2, p3, p4, one, zero, alpha;
    __m512 alpha_lo; /* LeakyReLU's slope pair (fwd_half_avx512.h): alpha + alpha_lo; 0 for ELU */
} consts512;

/* ELU of 16 floats; unit_alpha (a constant after inlining) skips the multiply by alpha = 1. */
ELU4J_INLINE __m512 elu16(__m512 x, const consts512 *c, const int unit_alpha)
{
    const __m512 xc = _mm512_max_ps(x, c->x_min); /* lanes with NaN are discarded below */
    const __m512 t = _mm512_fmadd_ps(xc, c->log2e, c->shift);
    const __m512 nf = _mm512_sub_ps(t, c->shift);
    const __m512 r = _mm512_fmadd_ps(nf, c->neg_ln2, xc);
    const __m512 r2 = _mm512_mul_ps(r, r);
    __m512 q = _mm512_fmadd_ps(c->p4, r, c->p3);
    q = _mm512_fmadd_ps(q, r, c->p2);
    q = _mm512_fmadd_ps(q, r, c->p1);
    q = _mm512_fmadd_ps(q, r, c->p0);
    const __m512 p = _mm512_fmadd_ps(r2, q, r);
    const __m512i sbits = _mm512_slli_epi32(_mm512_castps_si512(t), 23); /* 2^n */
    const __m512 s = _mm512_castsi512_ps(sbits);
    const __m512 e = _mm512_fmadd_ps(s, p, _mm512_sub_ps(s, c->one));
    /* x < 0 (ordered): alpha * e; elsewhere (x > 0, +-0, NaN) x itself, bit for bit. */
    const __mmask16 neg = _mm512_cmp_ps_mask(x, c->zero, _CMP_LT_OQ);
    if (unit_alpha) {
        return _mm512_mask_blend_ps(neg, x, e); /* 1 * e == e exactly: same bits, one FMA op less */
    }
    return _mm512_mask_mul_ps(x, neg, e, c->alpha);
}

/*
 * The loop over the floats [i, n) (stream_store.h: stream a constant, whole vectors streamed when
 * it is 1); inlined with unit_alpha 0 and 1. The last 0..15 floats take a masked load and an
 * ordinary masked store.
 */
ELU4J_INLINE void elu_loop(const char *in, char *out, const consts512 *c, const int unit_alpha,
                           size_t i, size_t n, const int stream)
{
    /* Loads of a step come before its stores, so dst == src (in place) is safe. */
    for (; i + 64 <= n; i += 64) {
        const __m512 x0 = _mm512_loadu_ps(in + 4 * i);
        const __m512 x1 = _mm512_loadu_ps(in + 4 * i + 64);
        const __m512 x2 = _mm512_loadu_ps(in + 4 * i + 128);
        const __m512 x3 = _mm512_loadu_ps(in + 4 * i + 192);
        ELU4J_STORE(out + 4 * i, elu16(x0, c, unit_alpha), stream);
        ELU4J_STORE(out + 4 * i + 64, elu16(x1, c, unit_alpha), stream);
        ELU4J_STORE(out + 4 * i + 128, elu16(x2, c, unit_alpha), stream);
        ELU4J_STORE(out + 4 * i + 192, elu16(x3, c, unit_alpha), stream);
    }
    for (; i + 16 <= n; i += 16) {
        ELU4J_STORE(out + 4 * i, elu16(_mm512_loadu_ps(in + 4 * i), c, unit_alpha), stream);
    }
    if (i < n) {
        const __mmask16 tail = (__mmask16)((1u << (n - i)) - 1u); /* n - i in 1..15 */
        const __m512 x = _mm512_maskz_loadu_ps(tail, in + 4 * i);
        _mm512_mask_storeu_ps(out + 4 * i, tail, elu16(x, c, unit_alpha));
    }
}

/* The float ELU kernel's constants for alpha. */
ELU4J_INLINE consts512 make_consts512(float alpha)
{
    const consts512 c = {
        .x_min = _mm512_set1_ps(ELU4J_X_MIN),
        .log2e = _mm512_set1_ps(ELU4J_LOG2E),
        .shift = _mm512_set1_ps(ELU4J_SHIFT),
        .neg_ln2 = _mm512_set1_ps(-ELU4J_LN2),
        .p0 = _mm512_set1_ps(ELU4J_P0),
        .p1 = _mm512_set1_ps(ELU4J_P1),
        .p2 = _mm512_set1_ps(ELU4J_P2),
        .p3 = _mm512_set1_ps(ELU4J_P3),
        .p4 = _mm512_set1_ps(ELU4J_P4),
        .one = _mm512_set1_ps(1.0f),
        .zero = _mm512_setzero_ps(),
        .alpha = _mm512_set1_ps(alpha),
        .alpha_lo = _mm512_setzero_ps(),
    };
    return c;
}

static void elu_f32_kernel(const void *src, void *dst, size_t n, float alpha, int stream)
{
    const consts512 c = make_consts512(alpha);
    const char *in = (const char *)src;
    char *out = (char *)dst;
    if (alpha == 1.0f) {
        ELU4J_STREAMED(stream, out, 4, n, elu_loop, in, out, &c, 1);
    } else {
        ELU4J_STREAMED(stream, out, 4, n, elu_loop, in, out, &c, 0);
    }
}

/* --- the general f32 ELU kernel ------------------------------------------------------------------ */
/*
 * kernels_impl.h's general kernel (its file comment has the algorithm), written with intrinsics:
 * GCC's vectorisation of the C loop runs it one vector per iteration and keeps fewer values in
 * registers; four independent vectors per step are faster here. Every operation is the C loop's,
 * in the same order (fmsub(a, b, c) is fma(a, b, -c); max(x, xmin) picks xmin for NaN as the C
 * select does, a lane discarded anyway), so the bits are the portable level's; one exception,
 * pos_kind 3 (lin_x, elu4j_internal.h), keeps x for x > -lin instead of computing the linear
 * range's product, which is x there. Ordinary stores,
 * also for large outputs, unlike the float kernel: this one has about twice the float kernel's
 * operations per element, and streaming stores measured no faster with ELU(1.5) and slower with
 * SELU and CELU (elu4j_internal.h: where streaming stores pay).
 */
typedef struct gconsts512 {
    __m512 chi, clo, shi, slo, phi, plo, cshi, cslo, neg_lin, xmin;
    __m512 log2e, shift, neg_ln2, q0, q1, q2, q3, q4, one, zero, tiny;
    __m512d scale;
} gconsts512;

ELU4J_INLINE __m512 gen16(__m512 x, const gconsts512 *c, const int unit_input, const int pos_kind)
{
    const __mmask16 gt = _mm512_cmp_ps_mask(x, c->zero, _CMP_GT_OQ);
    /* pos_kind 3 (lin_x): x <= -lin takes the main path, every other lane is x itself */
    const __mmask16 lt = pos_kind == 3 ? _mm512_cmp_ps_mask(x, c->neg_lin, _CMP_LE_OQ)
                                       : _mm512_cmp_ps_mask(x, c->zero, _CMP_LT_OQ);
    __m512 y; /* x > 0 ? pos : x (the negative lanes are blended in last) */
    if (pos_kind == 0 || pos_kind == 3) {
        y = x;
    } else if (pos_kind == 1) {
        y = _mm512_mask_mul_ps(x, gt, c->phi, x);
    } else {
        y = _mm512_mask_fmadd_ps(x, gt, c->phi, _mm512_mul_ps(c->plo, x));
        /* 0 < x < 2^-100: scale * x in double, rounded once, as the C loop does (rare: a branch) */
        const __mmask16 tiny = _mm512_mask_cmp_ps_mask(gt, x, c->tiny, _CMP_LT_OQ);
        if (tiny) {
            const __m512d lo = _mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(x)), c->scale);
            const __m512d hi =
                _mm512_mul_pd(_mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)), c->scale);
            const __m512 d = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)),
                                                _mm512_cvtpd_ps(hi), 1);
            y = _mm512_mask_blend_ps(tiny, y, d);
        }
    }
    const __m512 xc = _mm512_max_ps(x, c->xmin);
    const __m512 th = unit_input ? xc : _mm512_mul_ps(c->shi, xc);
    const __m512 k = _mm512_fmadd_ps(th, c->log2e, c->shift);
    const __m512 nf = _mm512_sub_ps(k, c->shift);
    const __m512 rh = _mm512_fmadd_ps(nf, c->neg_ln2, th);
    __m512 q = _mm512_fmadd_ps(c->q4, rh, c->q3);
    q = _mm512_fmadd_ps(q, rh, c->q2);
    q = _mm512_fmadd_ps(q, rh, c->q1);
    q = _mm512_fmadd_ps(q, rh, c->q0);
    const __m512 r2 = _mm512_mul_ps(rh, rh);
    __m512 w;
    if (!unit_input) {
        const __m512 tl = _mm512_fmadd_ps(c->slo, xc, _mm512_fmsub_ps(c->shi, xc, th));
        w = _mm512_fmadd_ps(r2, q, _mm512_fmadd_ps(tl, rh, tl));
    } else {
        w = _mm512_mul_ps(r2, q);
    }
    const __m512 s = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(k), 23));
    const __m512 sm1 = _mm512_sub_ps(s, c->one);
    const __m512 eh = _mm512_fmadd_ps(s, rh, sm1);
    const __m512 e0 = _mm512_fmadd_ps(s, rh, _mm512_sub_ps(sm1, eh));
    const __m512 el = _mm512_fmadd_ps(s, w, e0);
    __m512 neg = _mm512_fmadd_ps(c->chi, eh, _mm512_fmadd_ps(c->chi, el, _mm512_mul_ps(c->clo, eh)));
    if (!unit_input && pos_kind != 3) {
        /* -lin < x < 0, |t| < 2^-40 (rare: a branch; the lt mask only keeps the lanes >= 0, which the
           last blend drops anyway, from taking it) */
        const __mmask16 linear = _mm512_mask_cmp_ps_mask(lt, x, c->neg_lin, _CMP_GT_OQ);
        if (linear) {
            neg = _mm512_mask_blend_ps(linear, neg,
                                       _mm512_fmadd_ps(c->cshi, x, _mm512_mul_ps(c->cslo, x)));
        }
    }
    return _mm512_mask_blend_ps(lt, y, neg);
}

ELU4J_INLINE void gen_loop(const char *in, char *out, size_t n, const gconsts512 *c,
                           const int unit_input, const int pos_kind)
{
    size_t i = 0;
    /* Loads of a step come before its stores, so dst == src (in place) is safe. */
    for (; i + 64 <= n; i += 64) {
        const __m512 x0 = _mm512_loadu_ps(in + 4 * i);
        const __m512 x1 = _mm512_loadu_ps(in + 4 * i + 64);
        const __m512 x2 = _mm512_loadu_ps(in + 4 * i + 128);
        const __m512 x3 = _mm512_loadu_ps(in + 4 * i + 192);
        _mm512_storeu_ps(out + 4 * i, gen16(x0, c, unit_input, pos_kind));
        _mm512_storeu_ps(out + 4 * i + 64, gen16(x1, c, unit_input, pos_kind));
        _mm512_storeu_ps(out + 4 * i + 128, gen16(x2, c, unit_input, pos_kind));
        _mm512_storeu_ps(out + 4 * i + 192, gen16(x3, c, unit_input, pos_kind));
    }
    for (; i + 16 <= n; i += 16) {
        _mm512_storeu_ps(out + 4 * i, gen16(_mm512_loadu_ps(in + 4 * i), c, unit_input, pos_kind));
    }
    if (i < n) {
        const __mmask16 tail = (__mmask16)((1u << (n - i)) - 1u); /* n - i in 1..15 */
        const __m512 x = _mm512_maskz_loadu_ps(tail, in + 4 * i);
        _mm512_mask_storeu_ps(out + 4 * i, tail, gen16(x, c, unit_input, pos_kind));
    }
}

/* The general kernel's constants for g. */
ELU4J_INLINE gconsts512 make_gconsts512(const elu4j_general *g)
{
    const gconsts512 c = {
        .chi = _mm512_set1_ps(g->chi),
        .clo = _mm512_set1_ps(g->clo),
        .shi = _mm512_set1_ps(g->shi),
        .slo = _mm512_set1_ps(g->slo),
        .phi = _mm512_set1_ps(g->phi),
        .plo = _mm512_set1_ps(g->plo),
        .cshi = _mm512_set1_ps(g->cshi),
        .cslo = _mm512_set1_ps(g->cslo),
        .neg_lin = _mm512_set1_ps(-g->lin),
        .xmin = _mm512_set1_ps(g->xmin),
        .log2e = _mm512_set1_ps(ELU4J_LOG2E),
        .shift = _mm512_set1_ps(ELU4J_SHIFT),
        .neg_ln2 = _mm512_set1_ps(-ELU4J_LN2),
        .q0 = _mm512_set1_ps(ELU4J_GQ0),
        .q1 = _mm512_set1_ps(ELU4J_GQ1),
        .q2 = _mm512_set1_ps(ELU4J_GQ2),
        .q3 = _mm512_set1_ps(ELU4J_GQ3),
        .q4 = _mm512_set1_ps(ELU4J_GQ4),
        .one = _mm512_set1_ps(1.0f),
        .zero = _mm512_setzero_ps(),
        .tiny = _mm512_set1_ps(0x1p-100f),
        .scale = _mm512_set1_pd(g->scale),
    };
    return c;
}

#define ELU4J_GEN_KERNEL 1
__attribute__((noinline)) static void gen_f32_kernel(const elu4j_general *g, const void *src, void *dst, size_t n)
{
    const gconsts512 c = make_gconsts512(g);
    const char *in = (const char *)src;
    char *out = (char *)dst;
    switch (ELU4J_GEN_CASE(g)) {
    case 0: gen_loop(in, out, n, &c, 0, 0); break;
    case 6: gen_loop(in, out, n, &c, 0, 3); break;
    case 1: gen_loop(in, out, n, &c, 0, 1); break;
    case 2: gen_loop(in, out, n, &c, 0, 2); break;
    case 3: gen_loop(in, out, n, &c, 1, 0); break;
    case 4: gen_loop(in, out, n, &c, 1, 1); break;
    default: gen_loop(in, out, n, &c, 1, 2); break;
    }
}

#include "fwd_half_avx512.h"
#include "leaky_half_avx512.h"

/* --- the rest of the family, and the entry points of this level --------------------------------- */
#define ELU4J_F64_AVX512 1 /* kernels_f64.h: the f64 ELU kernel with intrinsics (kernels_f64_avx512.h) */
#define ELU4J_FAM_SUFFIX _avx512
/* The f32 backward with intrinsics (bwd_avx512.h, after kernels_impl.h: it uses its loops). */
#define ELU4J_BWD_KERNEL 1
static int bwd_f32_kernel(const elu4j_params *p, int dtype, int from_dst, const void *diff_dst,
                          const void *data, void *diff_src, size_t n, int stream);

#include "kernels_impl.h"
#include "bwd_avx512.h"
