/*
 * elu4j: the general f32 ELU kernel (any alpha, scale, input scale) at the AVX2 level, written
 * with intrinsics. Included only by kernels_avx2.c (its consts, ELU4J_INLINE, -mavx2 -mfma).
 *
 * kernels_general.h's loop (kernels_impl.h's file comment has the algorithm), 8 floats a vector,
 * as kernels_avx512.c's gen16 writes it for 16: GCC's vectorisation of the C loop keeps the six
 * parameter combinations' selects and constants in a form that ran at about half the float
 * kernel's speed per vector; here each combination is its own loop (unit_input and pos_kind are
 * constants after inlining) with two independent vectors a step (the constants do not all fit in
 * AVX2's 16 registers, so more vectors a step only add spills). Every operation is the C loop's,
 * in the same order (fmsub(a, b, c) is fma(a, b, -c); max(x, xmin) picks xmin for NaN as the C
 * select does, a lane discarded anyway; the blends pick what the C selects pick), so the bits are
 * the portable level's, which test_family and the conformance tests check; pos_kind 3 (lin_x,
 * elu4j_internal.h: a seventh loop) keeps x for x > -lin instead of the linear range's product,
 * which is x there.
 */
#ifndef ELU4J_GEN_AVX2_H
#define ELU4J_GEN_AVX2_H

typedef struct gconsts256 {
    __m256 chi, clo, shi, slo, phi, plo, cshi, cslo, neg_lin, xmin;
    __m256 log2e, shift, neg_ln2, q0, q1, q2, q3, q4, one, zero, tiny;
    __m256d scale;
} gconsts256;

ELU4J_INLINE __m256 gen8(__m256 x, const gconsts256 *c, const int unit_input, const int pos_kind)
{
    const __m256 gt = _mm256_cmp_ps(x, c->zero, _CMP_GT_OQ);
    /* pos_kind 3 (lin_x): x <= -lin takes the main path, every other lane is x itself */
    const __m256 lt = pos_kind == 3 ? _mm256_cmp_ps(x, c->neg_lin, _CMP_LE_OQ)
                                    : _mm256_cmp_ps(x, c->zero, _CMP_LT_OQ);
    __m256 y; /* x > 0 ? pos : x (the negative lanes are blended in last) */
    if (pos_kind == 0 || pos_kind == 3) {
        y = x;
    } else if (pos_kind == 1) {
        y = _mm256_blendv_ps(x, _mm256_mul_ps(c->phi, x), gt);
    } else {
        y = _mm256_blendv_ps(x, _mm256_fmadd_ps(c->phi, x, _mm256_mul_ps(c->plo, x)), gt);
        /* 0 < x < 2^-100: scale * x in double, rounded once, as the C loop does (rare: a branch) */
        const __m256 tiny = _mm256_and_ps(gt, _mm256_cmp_ps(x, c->tiny, _CMP_LT_OQ));
        if (_mm256_movemask_ps(tiny)) {
            const __m128 lo = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)), c->scale));
            const __m128 hi = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)), c->scale));
            y = _mm256_blendv_ps(y, _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1), tiny);
        }
    }
    const __m256 xc = _mm256_max_ps(x, c->xmin);
    const __m256 th = unit_input ? xc : _mm256_mul_ps(c->shi, xc);
    const __m256 k = _mm256_fmadd_ps(th, c->log2e, c->shift);
    const __m256 nf = _mm256_sub_ps(k, c->shift);
    const __m256 rh = _mm256_fmadd_ps(nf, c->neg_ln2, th);
    __m256 q = _mm256_fmadd_ps(c->q4, rh, c->q3);
    q = _mm256_fmadd_ps(q, rh, c->q2);
    q = _mm256_fmadd_ps(q, rh, c->q1);
    q = _mm256_fmadd_ps(q, rh, c->q0);
    const __m256 r2 = _mm256_mul_ps(rh, rh);
    __m256 w;
    if (!unit_input) {
        const __m256 tl = _mm256_fmadd_ps(c->slo, xc, _mm256_fmsub_ps(c->shi, xc, th));
        w = _mm256_fmadd_ps(r2, q, _mm256_fmadd_ps(tl, rh, tl));
    } else {
        w = _mm256_mul_ps(r2, q);
    }
    const __m256 s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(k), 23));
    const __m256 sm1 = _mm256_sub_ps(s, c->one);
    const __m256 eh = _mm256_fmadd_ps(s, rh, sm1);
    const __m256 e0 = _mm256_fmadd_ps(s, rh, _mm256_sub_ps(sm1, eh));
    const __m256 el = _mm256_fmadd_ps(s, w, e0);
    __m256 neg = _mm256_fmadd_ps(c->chi, eh, _mm256_fmadd_ps(c->chi, el, _mm256_mul_ps(c->clo, eh)));
    if (!unit_input && pos_kind != 3) {
        /* -lin < x < 0, |t| < 2^-40 (rare: a branch; the lt mask only keeps the lanes >= 0, which the
           last blend drops anyway, from taking it) */
        const __m256 linear = _mm256_and_ps(lt, _mm256_cmp_ps(x, c->neg_lin, _CMP_GT_OQ));
        if (_mm256_movemask_ps(linear)) {
            neg = _mm256_blendv_ps(neg, _mm256_fmadd_ps(c->cshi, x, _mm256_mul_ps(c->cslo, x)), linear);
        }
    }
    return _mm256_blendv_ps(y, neg, lt);
}

ELU4J_INLINE void gen_loop(const char *in, char *out, size_t n, const gconsts256 *c,
                           const int unit_input, const int pos_kind)
{
    size_t i = 0;
    /* Loads of a step come before its stores, so dst == src (in place) is safe. */
    for (; i + 16 <= n; i += 16) {
        const __m256 x0 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i));
        const __m256 x1 = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i + 32));
        _mm256_storeu_ps((float *)(void *)(out + 4 * i), gen8(x0, c, unit_input, pos_kind));
        _mm256_storeu_ps((float *)(void *)(out + 4 * i + 32), gen8(x1, c, unit_input, pos_kind));
    }
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps((const float *)(const void *)(in + 4 * i));
        _mm256_storeu_ps((float *)(void *)(out + 4 * i), gen8(x, c, unit_input, pos_kind));
    }
    if (i < n) { /* n - i in 1..7: masked loads and stores touch only the active lanes */
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i)), lane);
        const __m256 x = _mm256_maskload_ps((const float *)(const void *)(in + 4 * i), mask);
        _mm256_maskstore_ps((float *)(void *)(out + 4 * i), mask, gen8(x, c, unit_input, pos_kind));
    }
}

/* The general kernel's constants for g. */
ELU4J_INLINE gconsts256 make_gconsts256(const elu4j_general *g)
{
    const gconsts256 c = {
        .chi = _mm256_set1_ps(g->chi),
        .clo = _mm256_set1_ps(g->clo),
        .shi = _mm256_set1_ps(g->shi),
        .slo = _mm256_set1_ps(g->slo),
        .phi = _mm256_set1_ps(g->phi),
        .plo = _mm256_set1_ps(g->plo),
        .cshi = _mm256_set1_ps(g->cshi),
        .cslo = _mm256_set1_ps(g->cslo),
        .neg_lin = _mm256_set1_ps(-g->lin),
        .xmin = _mm256_set1_ps(g->xmin),
        .log2e = _mm256_set1_ps(ELU4J_LOG2E),
        .shift = _mm256_set1_ps(ELU4J_SHIFT),
        .neg_ln2 = _mm256_set1_ps(-ELU4J_LN2),
        .q0 = _mm256_set1_ps(ELU4J_GQ0),
        .q1 = _mm256_set1_ps(ELU4J_GQ1),
        .q2 = _mm256_set1_ps(ELU4J_GQ2),
        .q3 = _mm256_set1_ps(ELU4J_GQ3),
        .q4 = _mm256_set1_ps(ELU4J_GQ4),
        .one = _mm256_set1_ps(1.0f),
        .zero = _mm256_setzero_ps(),
        .tiny = _mm256_set1_ps(0x1p-100f),
        .scale = _mm256_set1_pd(g->scale),
    };
    return c;
}

/* kernels_general.h's gen_f32 runs this instead of its C loop. */
#define ELU4J_GEN_KERNEL 1
__attribute__((noinline)) static void gen_f32_kernel(const elu4j_general *g, const void *src, void *dst, size_t n)
{
    const gconsts256 c = make_gconsts256(g);
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

#endif
