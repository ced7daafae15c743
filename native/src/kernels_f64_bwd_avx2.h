/*
 * elu4j family kernels: kernels_f64_bwd.h's f64 backward from x written with AVX2 intrinsics,
 * 4 doubles a vector, four vectors a step. Included by kernels_f64_bwd.h in the AVX2 level only
 * (its file defines ELU4J_F64_AVX2); kernels_f64_bwd_avx512.h's structure with 4 lanes. Every
 * floating-point and integer operation is the C code's (f64b_one, f64b_rare), in the same order,
 * so the bits are the portable level's. The two 16-entry tables are computed once per call by
 * fam_f64b_entry's operations on vectors of j (stored into *b as well, for the scalar code). The
 * check is per lane, in registers, before the vector is stored: a vector with lanes left to
 * f64b_other gets them with t < -746 as dy * 0 in registers, the others one by one from memory
 * (dy is still there when dx is dy) and blended in (no stack arrays of vectors: GCC 12's
 * AddressSanitizer crashes on such accesses). The table planes, their look-up and the tail lanes
 * are the forward's (kernels_f64_avx2.h, included before this file).
 */
#ifndef FAM
#error "included by kernels_f64_bwd.h only"
#endif

#include <immintrin.h>

typedef struct fam_f64bv4 {
    fam_f64k4 k; /* kernels_f64_avx2.h's, with this kernel's l_hi + l_lo */
    __m256d t_lo, t_zero, g_min, g_big, absmask, is, scale;
    /* the tables as planes of 32-bit halves: alo0 the low halves of A's entries 0-7, ahi1 the
       high halves of entries 8-15 */
    __m256 alo0, alo1, ahi0, ahi1, blo0, blo1, bhi0, bhi1;
} fam_f64bv4;

/* fam_f64b_entry on j = j0 .. j0 + 3, into a[0..3] and bt[0..3] */
FAM_INLINE void fam_f64b_entries4(const fam_f64b *b, int j0, uint64_t *a, double *bt)
{
    const __m256i jv = _mm256_add_epi64(_mm256_setr_epi64x(0, 1, 2, 3), _mm256_set1_epi64x(j0));
    const __m256i j48 = _mm256_slli_epi64(jv, 48);
    const __m256d t = _mm256_castsi256_pd(
        _mm256_add_epi64(_mm256_load_si256((const __m256i *)(const void *)(fam_f64_ttab + j0)), j48));
    const __m256d cshi = _mm256_set1_pd(b->cshi);
    const __m256d aj = _mm256_mul_pd(cshi, t);
    const __m256d d = _mm256_div_pd(_mm256_fmsub_pd(cshi, t, aj), aj);
    _mm256_store_si256((__m256i *)(void *)a, _mm256_sub_epi64(_mm256_castpd_si256(aj), j48));
    _mm256_store_pd(bt, _mm256_add_pd(_mm256_add_pd(d, _mm256_set1_pd(b->rho)),
                                      _mm256_load_pd(fam_f64_rtab + j0)));
}

/* The reduction's first part on 4 lanes: th and kk (its bits hold n and j). */
FAM_INLINE void fam_f64b_kk4(__m256d x, const fam_f64bv4 *c, const int unit_input, __m256d *th,
                             __m256d *kk)
{
    *th = unit_input ? x : _mm256_mul_pd(c->is, x);
    *kk = _mm256_fmadd_pd(*th, c->k.inv_l, c->k.shift);
}

/* f64b_one on 4 lanes, given rb = B_j and s = 2^m A_j; *maybe: all ones in the lanes that
   f64b_rare may leave (its conditions but x > 0, which keeps a lane whatever the rest says: the
   few such lanes are decided again, exactly, by fam_f64b_fix_lanes4). */
FAM_INLINE __m256d fam_f64b_rest4(__m256d g, __m256d x, __m256d th, __m256d kk, __m256d rb,
                                  __m256d s, const fam_f64bv4 *c, const int unit_input, __m256d *maybe)
{
    __m256d rh, rl;
    fam_f64_reduce4(x, th, kk, rb, c->is, c->k.shift, c->k.neg_l_hi, c->k.neg_l_lo, unit_input, &rh,
                    &rl);
    const __m256d r = _mm256_add_pd(rh, rl);
    __m256d q = _mm256_fmadd_pd(c->k.c5, r, c->k.c4);
    q = _mm256_fmadd_pd(q, r, c->k.c3);
    q = _mm256_fmadd_pd(q, r, c->k.c2);
    q = _mm256_fmadd_pd(q, r, c->k.c1);
    q = _mm256_fmadd_pd(q, r, c->k.c0);
    const __m256d pe = _mm256_fmadd_pd(r, _mm256_mul_pd(r, q), r);
    const __m256d gs = _mm256_mul_pd(g, s);
    const __m256d fine = _mm256_fmadd_pd(g, s, _mm256_mul_pd(gs, pe));
    const __m256d zero = _mm256_cmp_pd(g, c->k.zero, _CMP_EQ_OQ);
    const __m256d gt = _mm256_cmp_pd(x, c->k.zero, _CMP_GT_OQ);
    /* x > 0 ? dy * scale : dy == 0 ? dy * s : fine */
    const __m256d neg = _mm256_blendv_pd(fine, gs, zero);
    const __m256d res = _mm256_blendv_pd(neg, _mm256_mul_pd(g, c->scale), gt);
    /* f64b_rare but x > 0: t < t_lo (or NaN), |dy| > g_big (or NaN), |dy s| < G_MIN with dy != 0 */
    const __m256d small = _mm256_andnot_pd(
        zero, _mm256_cmp_pd(_mm256_and_pd(gs, c->absmask), c->g_min, _CMP_LT_OQ));
    const __m256d big = _mm256_cmp_pd(_mm256_and_pd(g, c->absmask), c->g_big, _CMP_NLE_UQ);
    *maybe = _mm256_or_pd(_mm256_or_pd(small, big), _mm256_cmp_pd(th, c->t_lo, _CMP_NGE_UQ));
    return res;
}

/*
 * f64b_one and f64b_rare on two vectors (8 lanes). The table entries of all 8 lanes are read
 * at once from the planes: their j (the low 32 bits of kk, in the order 0 1 4 5 | 2 3 6 7 of the
 * lanes of x0 then x1) index both planes of each table, and unpacking the low and high halves
 * gives x0's lanes (unpacklo) and x1's (unpackhi) in order. 2^m is added to A_j's high half:
 * the low 32 bits of kb << 48 are 0, so the 64-bit sum's high half is this 32-bit sum.
 */
FAM_INLINE void fam_f64b_pair(__m256d g0, __m256d x0, __m256d g1, __m256d x1, const fam_f64bv4 *c,
                              const int unit_input, __m256d *v0, __m256d *v1, __m256d *maybe0,
                              __m256d *maybe1)
{
    __m256d th0, kk0, th1, kk1;
    fam_f64b_kk4(x0, c, unit_input, &th0, &kk0);
    fam_f64b_kk4(x1, c, unit_input, &th1, &kk1);
    const __m256i idx = _mm256_castps_si256(
        _mm256_shuffle_ps(_mm256_castpd_ps(kk0), _mm256_castpd_ps(kk1), _MM_SHUFFLE(2, 0, 2, 0)));
    const __m256 m3 = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28));
    const __m256 blo = fam_f64_look4(c->blo0, c->blo1, idx, m3);
    const __m256 bhi = fam_f64_look4(c->bhi0, c->bhi1, idx, m3);
    const __m256 alo = fam_f64_look4(c->alo0, c->alo1, idx, m3);
    const __m256 ahi = _mm256_castsi256_ps(_mm256_add_epi32(
        _mm256_castps_si256(fam_f64_look4(c->ahi0, c->ahi1, idx, m3)), _mm256_slli_epi32(idx, 16)));
    *v0 = fam_f64b_rest4(g0, x0, th0, kk0, _mm256_castps_pd(_mm256_unpacklo_ps(blo, bhi)),
                         _mm256_castps_pd(_mm256_unpacklo_ps(alo, ahi)), c, unit_input, maybe0);
    *v1 = fam_f64b_rest4(g1, x1, th1, kk1, _mm256_castps_pd(_mm256_unpackhi_ps(blo, bhi)),
                         _mm256_castps_pd(_mm256_unpackhi_ps(alo, ahi)), c, unit_input, maybe1);
}

/* The lanes of maybe (a bit per lane) that f64b_rare leaves into v, as f64b_other: those with
   t < FAM_F64B_T_ZERO and |dy| <= g_big (left, as x < 0) as dy * 0, in registers, the others one
   by one from memory, where f64b_rare says so. */
FAM_NOINLINE static __m256d fam_f64b_fix_lanes4(__m256d v, unsigned maybe, const elu4j_params *p,
                                                const fam_f64b *b, const fam_f64bv4 *c,
                                                __m256i lanes, const char *g, const char *x)
{
    const __m256d gv = _mm256_maskload_pd((const double *)(const void *)g, lanes);
    const __m256d xv = _mm256_maskload_pd((const double *)(const void *)x, lanes);
    const __m256d th = _mm256_mul_pd(c->is, xv);
    const __m256i lane_bits = _mm256_setr_epi64x(1, 2, 4, 8);
    const __m256d mm = _mm256_castsi256_pd(_mm256_cmpeq_epi64(
        _mm256_and_si256(_mm256_set1_epi64x((long long)maybe), lane_bits), lane_bits));
    const __m256d under = _mm256_and_pd(
        mm, _mm256_and_pd(_mm256_cmp_pd(th, c->t_zero, _CMP_LT_OQ),
                          _mm256_cmp_pd(_mm256_and_pd(gv, c->absmask), c->g_big, _CMP_LE_OQ)));
    v = _mm256_blendv_pd(v, _mm256_mul_pd(gv, c->k.zero), under);
    maybe &= ~(unsigned)_mm256_movemask_pd(under);
    while (maybe != 0) {
        const unsigned l = (unsigned)__builtin_ctz(maybe);
        double gs, xs;
        memcpy(&gs, g + 8 * l, 8);
        memcpy(&xs, x + 8 * l, 8);
        if (FAM(f64b_rare)(gs, xs, b, 0)) {
            const double r = FAM(f64b_other)(p, b, gs, xs);
            const __m256d one = _mm256_castsi256_pd(
                _mm256_cmpeq_epi64(_mm256_set1_epi64x((long long)l), _mm256_setr_epi64x(0, 1, 2, 3)));
            v = _mm256_blendv_pd(v, _mm256_set1_pd(r), one);
        }
        maybe &= maybe - 1u;
    }
    return v;
}

FAM_INLINE __m256d fam_f64b_fix4(__m256d v, __m256d maybe, const elu4j_params *p, const fam_f64b *b,
                                 const fam_f64bv4 *c, __m256i lanes, const char *g, const char *x)
{
    const unsigned m = (unsigned)_mm256_movemask_pd(_mm256_and_pd(maybe, _mm256_castsi256_pd(lanes)));
    return m != 0 ? fam_f64b_fix_lanes4(v, m, p, b, c, lanes, g, x) : v;
}

#define FAM_F64B_LD(P, L) _mm256_maskload_pd((const double *)(const void *)(P), L)
#define FAM_F64B_LDU(P) _mm256_loadu_pd((const double *)(const void *)(P))

FAM_INLINE void fam_f64b_loop256(const elu4j_params *p, const fam_f64b *b, const char *g,
                                 const char *x, char *dx, size_t n, const fam_f64bv4 *c, const int ui)
{
    const __m256i all = _mm256_set1_epi64x(-1);
    size_t i = 0;
    /* A step's loads, and the reads of its rare lanes, come before its stores: dx may be dy. */
    for (; i + 8 <= n; i += 8) {
        __m256d v0, v1, k0, k1;
        fam_f64b_pair(FAM_F64B_LDU(g + 8 * i), FAM_F64B_LDU(x + 8 * i), FAM_F64B_LDU(g + 8 * i + 32),
                      FAM_F64B_LDU(x + 8 * i + 32), c, ui, &v0, &v1, &k0, &k1);
        if (_mm256_movemask_pd(_mm256_or_pd(k0, k1)) != 0) {
            v0 = fam_f64b_fix4(v0, k0, p, b, c, all, g + 8 * i, x + 8 * i);
            v1 = fam_f64b_fix4(v1, k1, p, b, c, all, g + 8 * i + 32, x + 8 * i + 32);
        }
        _mm256_storeu_pd((double *)(void *)(dx + 8 * i), v0);
        _mm256_storeu_pd((double *)(void *)(dx + 8 * i + 32), v1);
    }
    if (i < n) { /* 1..7 left */
        const size_t m = n - i;
        const __m256i l0 = fam_f64_lanes4(m < 4 ? m : 4), l1 = fam_f64_lanes4(m > 4 ? m - 4 : 0);
        __m256d v0, v1, k0, k1;
        fam_f64b_pair(FAM_F64B_LD(g + 8 * i, l0), FAM_F64B_LD(x + 8 * i, l0),
                      FAM_F64B_LD(g + 8 * i + 32, l1), FAM_F64B_LD(x + 8 * i + 32, l1), c, ui, &v0,
                      &v1, &k0, &k1);
        v0 = fam_f64b_fix4(v0, k0, p, b, c, l0, g + 8 * i, x + 8 * i);
        v1 = fam_f64b_fix4(v1, k1, p, b, c, l1, g + 8 * i + 32, x + 8 * i + 32);
        _mm256_maskstore_pd((double *)(void *)(dx + 8 * i), l0, v0);
        _mm256_maskstore_pd((double *)(void *)(dx + 8 * i + 32), l1, v1);
    }
}

/* kernels_f64_bwd.h's f64_bwd_x at this level: 0 where the table kernel does not apply. */
static int f64_bwd_kernel(const elu4j_params *p, const void *dy, const void *x, void *dx, size_t n)
{
    fam_f64b b;
    if (!fam_f64b_setup(p, &b)) {
        return 0;
    }
    for (int j0 = 0; j0 < 16; j0 += 4) {
        fam_f64b_entries4(&b, j0, b.atab + j0, b.btab + j0);
    }
    b.tables = 1;
    const fam_f64bv4 c = {
        .k = fam_f64_consts4(FAM_F64B_L_HI, FAM_F64B_L_LO),
        .t_lo = _mm256_set1_pd(b.t_lo),
        .t_zero = _mm256_set1_pd(FAM_F64B_T_ZERO),
        .g_min = _mm256_set1_pd(FAM_F64B_G_MIN),
        .g_big = _mm256_set1_pd(b.g_big),
        .absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(INT64_C(0x7FFFFFFFFFFFFFFF))),
        .is = _mm256_set1_pd(b.is),
        .scale = _mm256_set1_pd(b.scale),
        .alo0 = fam_f64_plane4(b.atab, 0),
        .alo1 = fam_f64_plane4(b.atab + 8, 0),
        .ahi0 = fam_f64_plane4(b.atab, 1),
        .ahi1 = fam_f64_plane4(b.atab + 8, 1),
        .blo0 = fam_f64_plane4(b.btab, 0),
        .blo1 = fam_f64_plane4(b.btab + 8, 0),
        .bhi0 = fam_f64_plane4(b.btab, 1),
        .bhi1 = fam_f64_plane4(b.btab + 8, 1),
    };
    const char *g = (const char *)dy;
    const char *xs = (const char *)x;
    char *out = (char *)dx;
    if (b.unit_input) {
        fam_f64b_loop256(p, &b, g, xs, out, n, &c, 1);
    } else {
        fam_f64b_loop256(p, &b, g, xs, out, n, &c, 0);
    }
    return 1;
}

/* --- the backward from y, streamed ------------------------------------------------------------- */
/* kernels_f64_bwd_avx512.h's f64_bwd_y_stream on 4 lanes (the same operations: the C loop's bits). */
typedef struct fam_f64yv4 {
    __m256d scale, is, coef, clo, zero;
} fam_f64yv4;

FAM_INLINE __m256d fam_f64_bwd_y4(__m256d g, __m256d y, const fam_f64yv4 *c)
{
    const __m256d pos = _mm256_blendv_pd(_mm256_mul_pd(g, c->scale), _mm256_add_pd(y, y),
                                         _mm256_cmp_pd(y, y, _CMP_UNORD_Q));
    const __m256d neg = _mm256_mul_pd(_mm256_mul_pd(g, c->is), _mm256_add_pd(_mm256_add_pd(y, c->coef), c->clo));
    return _mm256_blendv_pd(pos, neg, _mm256_cmp_pd(y, c->zero, _CMP_LE_OQ));
}

/* The elements [i, n) (stream_store.h: stream a constant). */
FAM_INLINE void fam_f64_bwd_y_loop256(const char *g, const char *y, char *dx, const fam_f64yv4 *c,
                                      size_t i, size_t n, const int stream)
{
    for (; i + 4 <= n; i += 4) {
        ELU4J_STORE(dx + 8 * i, fam_f64_bwd_y4(FAM_F64_LDU(g + 8 * i), FAM_F64_LDU(y + 8 * i), c),
                    stream);
    }
    if (i < n) { /* 1..3 left */
        const __m256i lanes = fam_f64_lanes4(n - i);
        const __m256d r = fam_f64_bwd_y4(FAM_F64_LD(g + 8 * i, lanes), FAM_F64_LD(y + 8 * i, lanes), c);
        _mm256_maskstore_pd((double *)(void *)(dx + 8 * i), lanes, r);
    }
}

/* ELU's f64 backward from y with streaming stores (dx out of place, 8-byte aligned). */
static void f64_bwd_y_stream(const elu4j_params *p, const void *dy, const void *y, void *dx,
                             size_t n)
{
    const fam_f64yv4 c = {
        .scale = _mm256_set1_pd(p->scale),
        .is = _mm256_set1_pd(p->input_scale),
        .coef = _mm256_set1_pd(p->coef),
        .clo = _mm256_set1_pd(p->clo),
        .zero = _mm256_setzero_pd(),
    };
    ELU4J_STREAMED(1, (char *)dx, 8, n, fam_f64_bwd_y_loop256, (const char *)dy, (const char *)y,
                   (char *)dx, &c);
}
