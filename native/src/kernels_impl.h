/*
 * elu4j native helper: the kernels of the whole family (ELU/SELU/CELU, ReLU, LeakyReLU; forward
 * and backward; f32, f64, bf16, f16), written once as plain C loops and compiled once per ISA.
 *
 * Included at the end of kernels_portable.c, kernels_avx2.c and kernels_avx512.c, each of which
 * defines ELU4J_FAM_SUFFIX (the suffix of the function names) and the float ELU kernel of its level
 * (elu_f32_kernel, see below), and, for the SIMD ones, is built with the level's flags, so that GCC
 * vectorises these loops for it. Bit-identical results on every ISA follow from the way the code is
 * written, not from the compiler's choices:
 *
 *   - every floating-point operation is spelled out: fused multiply-adds are explicit fma() calls
 *     (a libm call in the portable build, vfmadd in the others), and the project builds with
 *     -ffp-contract=off, so no other product is fused; no -ffast-math, so nothing is reassociated;
 *   - every value is computed unconditionally and then selected with ?: (branch-free), so a
 *     vectorised loop computes exactly what the scalar loop computes for each element;
 *   - 2^n is built from exponent bits with integer operations, not with ldexp().
 *
 * Memory: src and dst may have any byte alignment and dst may be src, so a call works through
 * blocks of ELU4J_FAM_BLOCK elements: each block is copied into aligned stack buffers (widened to
 * float for bf16/f16), computed there, and copied (narrowed) to dst. A block is read completely
 * before any of it is written, so in-place calls are safe. About 20 KiB of stack. The straight
 * paths skip the blocks: the float and general f32 kernels, the fused halves, the f64 tables, and
 * ReLU/LeakyReLU (kernels_relu.h: f32 forward and backward, ReLU on bf16/f16 patterns).
 *
 * The algorithms
 *
 *   f32 ELU with p->fast (scale = input_scale = 1, alpha = 2^k, k in [-100, 100], alpha > 0): the
 *   float kernel of the including file (elu4j_internal.h describes its algorithm), straight from
 *   src to dst with the caller's streaming-store choice; bf16 and f16 run it on their widened
 *   blocks.
 *
 *   f32 ELU, general parameters (p->gen.enabled: positive alpha * scale, scale, input_scale and
 *   their product in [2^-60, 2^60]; SELU, CELU, ELU with any such alpha): in f32, 16 lanes with
 *   AVX-512, with the parameters as float pairs hi + lo (elu4j_internal.h) and the one quantity
 *   that needs more than float precision, E = expm1(t), carried as eh + el. For x < 0:
 *     xc = max(x, xmin)                     t >= -87: 2^n stays a float, E = -1 beyond
 *     th = shi * xc, tl = the exact rest    (fma; 0 when input_scale == 1, where th = x)
 *     nf = round(th / ln2) (shift constant), rh = th - nf * LN2_F32   exact (one fma): rh and
 *                                            nf * LN2_F32 are multiples of 2^-24 below 1/2
 *     w  = rh^2 q(rh) (+ tl (1 + rh))       q: degree 4, relative error 2^-26 of rh + w against
 *                                            expm1(rh); what LN2_F32 misses of ln 2 (< 2^-29 n)
 *                                            is dropped, scaled by 2^n <= 1/2 like the float kernel
 *     s  = 2^n, sm1 = s - 1                 exact for n >= -24; -1 below, off by s < 2^-24
 *     eh = fma(s, rh, sm1)                  E = sm1 + s rh + s w; s rh is exact and eh within a
 *     e0 = fma(s, rh, sm1 - eh)             factor 2 of sm1 (n <= -1), so sm1 - eh is exact
 *     el = fma(s, w, e0)                    (Sterbenz) and e0 the exact rounding error of eh
 *     y  = fma(chi, eh, fma(chi, el, clo * eh))      one rounding of coef * E
 *   (with input_scale != 1, w is fma(rh^2, q, fma(tl, rh, tl)): one rounding for the sum)
 *   and y = cshi * x + cslo * x (one fma) for |t| < 2^-40, where expm1(t) = t to 2^-41 and th would
 *   lose its exact rest to underflow (rare: the intrinsics levels branch on it, the portable
 *   level selects per element; for CELU, where that product is x itself, lin_x in elu4j_internal.h,
 *   they keep x for x > -lin: no test); x > 0: scale * x (phi * x + plo * x, one fma); +-0 and
 *   NaN pass through (their bits: the sign rule for positive parameters). Error before the last
 *   rounding: the polynomial (0.23 ulp), w's roundings and el (about 0.3 ulp together), the
 *   dropped s where n <= -24 (< 0.5 ulp, only where the rest is negligible), so below 1 ulp: the
 *   result is the correctly rounded float or its neighbour (about 99.5% correctly rounded; the
 *   exhaustive tables in docs/accuracy.md). Every operation is spelled out as for the other
 *   kernels, so that GCC's vectorised loop at each level gives the scalar loop's bits.
 *
 *   f32 ELU otherwise: in double. t = (double)x * input_scale; y = x > 0 ? scale * x :
 *   coef * expm1(t) with coef = alpha * scale, rounded once to float; t = +-0 gives coef * t (the
 *   sign rule of Op). expm1 is expm1_core(t, 0): see below, a polynomial with relative error
 *   below 2^-35, so the double result is within 2^-34 relative of the exact value and the float
 *   result is within 1 ulp of the correctly rounded one (it is the correctly rounded one unless
 *   the exact value lies within 2^-10 ulp of a halfway point).
 *
 *   expm1_core(t): t clamped to [-60, T_OVF] (below -60 the double answer is -1; above T_OVF,
 *   ~709.78, it overflows: +inf is selected); n = round(t / ln2) with the 1.5 * 2^52 shift
 *   constant, whose low bits then hold n + 2048; r = t - n ln2 (f32 precision: one fma with ln2 in
 *   double; f64: Cody-Waite with ln2_hi (exact product) and ln2_lo, keeping the rounding error of
 *   r as a correction c); p = expm1(r) = r + r^2 q(r) with q the Taylor series of (e^r - 1 - r)/r^2
 *   (f32 precision: through r^9; f64: through r^13, truncation error < 0.06 double ulp on
 *   |r| <= ln2/2) in Horner form; then expm1(t) = 2^n p + (2^n - 1) as one fma. n = 1024 (t just
 *   below the overflow threshold) uses 2 * (2^1023 p + (2^1023 - 1/2)).
 *
 *   exp_core(t) (backward from the input): the same reduction with t clamped to [-746, T_OVF];
 *   exp(t) = (2^n1 (1 + p)) * 2^n2 with n1 = floor(n/2), n2 = n - n1, so that both powers are
 *   normal doubles for every n in [-1076, 1024] (results below 2^-1022 are rounded twice).
 *
 *   f64 ELU, the table kernel (kernels_f64.h; ELU with alpha, scale, input_scale, alpha * scale and
 *   coef * input_scale all in [2^-500, 2^500]: ELU, SELU, CELU, the positive scaled forms), straight
 *   from src to dst. coef = alpha * scale as an exact pair chi + clo (fma), t = x * input_scale as
 *   th + tl (tl the exact rest, fma; 0 when input_scale == 1). For x < 0:
 *     kk = fma(th, 16/ln2, 1.5 * 2^52)       k = round(16 t / ln2) in kk's low bits; k = 16 m + j
 *     kf = kk - 1.5 * 2^52, rh = fma(kf, -L_HI, th)    exact: L_HI = ln2/16 to 42 bits, |k| <= 878
 *     rl = fma(kf, -L_LO, R_j (+ tl))         the small rest of the argument, with R_j below
 *     s  = 2^m T_j                            T_j = 2^(j/16) rounded (a 16-entry table) and
 *                                             2^(j/16) = T_j (1 + R_j) to 2^-106; the bits of s are
 *                                             table bits + (kk's bits << 48), one shift and one add
 *     w  = rh^2 q(rh) + rl (1 + rh)           as fma(rh, fma(rh, q, rl), rl); q: degree 5, Horner
 *     sm1 = s - 1, serr = s - (sm1 + 1)       s - 1 exactly (Fast2Sum; serr = 0 where s >= 1/2)
 *     eh = fma(s, rh, sm1)                    E = expm1(t) = sm1 + serr + s rh + s w; sm1 - eh is
 *     e0 = fma(s, rh, sm1 - eh)               exact (eh within a factor 2 of sm1, or sm1 = 0), so e0
 *     el = fma(s, w, e0 + serr)               is eh's exact rounding error
 *     y  = fma(chi, eh, fma(chi, el, clo * eh))   (eh + el when coef = 1: the same bits)
 *   and y = -chi (the double evaluation's -coef) for t < -38, where e^t < 2^-54.8; y =
 *   fma(cshi, x, cslo * x) (cs = coef * input_scale as a pair) for |t| < 2^-60 when input_scale != 1,
 *   where tl could underflow and expm1(t) = t to 2^-61; x > 0: scale * x; +-0 and NaN pass through
 *   (the sign rule for positive parameters). Error before the last rounding, in ulps of the result:
 *   the polynomial (minimax, 2^-58.9 relative in exact arithmetic: < 0.07 ulp), what w drops
 *   (rl (p(rh) - rh), largest at k = -1 where E ~ 0.021 and rl ~ 2^-48: < 0.25 ulp), the roundings
 *   of w, el and the pair products (< 0.02 ulp): below 0.35 ulp, so the result is within 1 ulp of the
 *   correctly rounded one. Where the result is subnormal, clo * eh (or cslo * x) underflows: up to
 *   half a subnormal step before the last rounding, still within 1 ulp (test_f64_accuracy measures
 *   at most 0.82 ulp from the exact value for normal results, 0.98 for subnormal ones, and 93-99.9%
 *   correctly rounded, over 25.2M inputs of 12 parameter sets). The AVX-512 level runs the same
 *   operations with intrinsics (kernels_f64_avx512.h), AVX2 too (kernels_f64_avx2.h, the tables read
 *   with vpermps from planes of 32-bit halves), the portable level as written: the same bits on
 *   every level.
 *
 *   f64 ELU backward from the input, the table kernel (kernels_f64_bwd.h; the forward table
 *   kernel's parameters), straight from dy and x to dx: dx = dy C e^t for x <= 0 with
 *   C = alpha * scale * input_scale, t = x * input_scale as th + tl (exact, fma), dy * scale for
 *   x > 0. exp has no cancellation, so no pair for the result of exp is needed: the factor C is
 *   moved into the table instead, once per call (fam_f64b_setup):
 *     C 2^(j/16) = A_j (1 + B_j)             A_j = cshi T_j rounded, B_j = the rest relative to it
 *                                             (C as cshi (1 + rho), T_j (1 + R_j) the forward's
 *                                             table), to 2^-104; atab holds A_j's bits - j << 48
 *     kk = fma(th, 16/ln2, 1.5 * 2^52)       k = 16 m + j as in the forward
 *     rh = fma(kf, -L_HI, th)                exact: L_HI = ln2/16 to 36 bits, |k| < 2^17
 *     rl = fma(kf, -L_LO, B_j (+ tl))        below 2^-28: B_j, t's rest, ln2/16's rest
 *     r  = rh + rl                           rounded (below 2^-59 lost)
 *     p  = fma(r, r q(r), r)                 e^r - 1, q the forward's degree-5 minimax polynomial
 *     s  = 2^m A_j                           atab[j] + (kk's bits << 48): C e^t = s (1 + p)
 *     dx = fma(dy, s, (dy * s) * p)          dy s exact inside the fma; dy s p rounded twice
 *   dy = +-0 gives dy * s (the sign of the exact product). Error before the last rounding,
 *   relative to |dy s|: r's rounding and p's (2^-59 each), dy * s's rounding through the term
 *   dy s p and that product's rounding (0.022 * 2^-53 each), the polynomial and the rest below
 *   2^-63: below 0.077 * 2^-53, so below 0.077 ulp of the result; plus, for results near the
 *   kernel's lower end 2^-1016, below 2^-6 ulp lost by dy s p to the subnormal range: every
 *   result is within 0.6 ulp of the exact value (test_f64_accuracy checks it), so within 1 ulp of
 *   the correctly rounded one. The lanes outside the range (f64b_rare: NaN x, NaN or infinite dy,
 *   t below the kernel's range, |dy| above 2^1021 / C, |dy s| below 2^-1016) take f64b_other: the
 *   same operations with dy and s scaled into [1, 2) and the result scaled back once, where t >=
 *   -745 and the result is a normal double (so the same bound there); otherwise the double
 *   evaluation below, bit for bit as before (NaN as FAM_BWD_NAN says, +-0, infinities, t below
 *   -745 where exp(t) rounds to 0, the huge dy for which dy * cis overflows, subnormal results).
 *   The AVX-512 level runs the same operations with intrinsics (kernels_f64_bwd_avx512.h, the
 *   tables computed in registers), AVX2 too (kernels_f64_bwd_avx2.h, the tables read with vpermps
 *   from planes of 32-bit halves), the portable level as GCC compiles the C loops: the same bits
 *   on every level.
 *
 *   f64 otherwise (other parameters, ReLU, LeakyReLU, the backward from the output): the double
 *   evaluation above with the f64-precision expm1/exp, on the blocks.
 *
 *   bf16, f16: widened to float exactly, computed as f32 (the same function on float buffers),
 *   rounded to nearest even (integer operations, the same on every ISA); NaN gives a quiet NaN of
 *   the same sign (bf16: the top 7 payload bits kept, as HalfFloats; f16: the top 9 kept, the quiet
 *   bit set, as x86's vcvtps2ph). Where the including file defines ELU4J_HALF_KERNEL (AVX-512
 *   and AVX2: the float and the general kernels, LeakyReLU's float product), the forward runs its
 *   half_f32_kernel instead of the blocks: the same conversions and kernel fused in registers,
 *   the same bits.
 *
 *   backward, f32: in double, rounded once: ELU from x: x > 0 ? dy * scale : (dy * cis) * exp(t)
 *   (cis = coef * input_scale); from y: y > 0 ? dy * scale : (dy * input_scale) * (y + coef) (f64:
 *   ((y + coef) + clo), clo the exact low part of alpha * scale, kept where y + coef cancels);
 *   ReLU: d <= 0 ? +0.0 : dy (PyTorch's threshold_backward: a NaN d passes dy); LeakyReLU:
 *   d > 0 ? dy : alpha * dy (PyTorch's leaky_relu_backward). The same in f64 (ELU from x with
 *   the table kernel's parameters: above, and this evaluation for what it leaves).
 *
 *   LeakyReLU's product alpha * v in f32 (forward and backward; bf16/f16 through it): exact
 *   float slopes as a float product, slopes of magnitude in [2^-60, 2^60] as the float pair
 *   fma(hi, v, lo * v) (within 1 ulp, almost always correctly rounded), others in double
 *   (kernels_relu.h's leaky_neg).
 */
#ifndef ELU4J_FAM_SUFFIX
#error "define ELU4J_FAM_SUFFIX before including kernels_impl.h"
#endif

#include "elu4j.h"
#include "elu4j_internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define FAM_CAT2(a, b) a##b
#define FAM_CAT(a, b) FAM_CAT2(a, b)
#define FAM(name) FAM_CAT(name, ELU4J_FAM_SUFFIX)

#if defined(__GNUC__)
#define FAM_INLINE static inline __attribute__((always_inline))
#define FAM_NOINLINE __attribute__((noinline))
#define FAM_ALIGN __attribute__((aligned(64)))
#else
#define FAM_INLINE static inline
#define FAM_NOINLINE
#define FAM_ALIGN
#endif

/*
 * The float ELU kernel of the level (f32 ELU with p->fast), defined by the including file: the
 * algorithm of elu4j_internal.h on n > 0 floats, src and dst identical or disjoint, any alignment;
 * stream as elu4j_internal.h documents for the forward kernels (0 on the block paths).
 */
static void elu_f32_kernel(const void *src, void *dst, size_t n, float alpha, int stream);

/*
 * The fused multiply-add of the f32 kernels: fmaf (one instruction on the levels built with FMA)
 * unless the including file defines another exact one (the portable level: soft_fma.h).
 */
#ifndef FAM_FMAF
#define FAM_FMAF fmaf
#endif

/* Elements per block (see above). */
#define ELU4J_FAM_BLOCK 512

#include "kernels_keep_nan.h"
#include "kernels_dmath.h"

/* --- conversions ------------------------------------------------------------------------------- */

static void FAM(bf16_widen)(const uint16_t *restrict h, float *restrict f, size_t m)
{
    for (size_t i = 0; i < m; i++) {
        f[i] = fam_float((uint32_t)h[i] << 16);
    }
}

static void FAM(bf16_narrow)(const float *restrict f, uint16_t *restrict h, size_t m)
{
    for (size_t i = 0; i < m; i++) {
        const uint32_t b = fam_bits_f(f[i]);
        const uint32_t rounded = (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16;
        const uint32_t nan = (b >> 16) | 0x40u;
        h[i] = (uint16_t)((b & 0x7FFFFFFFu) > 0x7F800000u ? nan : rounded);
    }
}

static void FAM(f16_widen)(const uint16_t *restrict h, float *restrict f, size_t m)
{
    for (size_t i = 0; i < m; i++) {
        const uint32_t sign = (uint32_t)(h[i] & 0x8000u) << 16;
        const uint32_t em = h[i] & 0x7FFFu;
        const uint32_t normal = (em << 13) + 0x38000000u;              /* rebias 15 -> 127 */
        const uint32_t infnan = (em << 13) | 0x7F800000u;
        const uint32_t sub = fam_bits_f((float)(int32_t)em * 0x1p-24f); /* exact */
        const uint32_t r = em >= 0x7C00u ? infnan : em >= 0x400u ? normal : sub;
        f[i] = fam_float(r | sign);
    }
}

static void FAM(f16_narrow)(const float *restrict f, uint16_t *restrict h, size_t m)
{
    for (size_t i = 0; i < m; i++) {
        const uint32_t b = fam_bits_f(f[i]);
        const uint32_t sign = (b >> 16) & 0x8000u;
        const uint32_t a = b & 0x7FFFFFFFu;
        const uint32_t nan = 0x7E00u | ((a >> 13) & 0x3FFu);
        /* normal range [2^-14, 65536): rebias, round to nearest even on the 13 dropped bits
           (a carry into the exponent is right, up to 0x7C00 = inf from 65520 on) */
        const uint32_t normal = (a - 0x38000000u + 0xFFFu + ((a >> 13) & 1u)) >> 13;
        /* below 2^-14: 0.5 + |f| rounds |f| to a multiple of 2^-24 (the f16 subnormal step) */
        const uint32_t sub = fam_bits_f(fam_float(a) + 0.5f) - 0x3F000000u;
        const uint32_t r = a > 0x7F800000u ? nan
                           : a >= 0x47800000u ? 0x7C00u
                           : a >= 0x38800000u ? normal
                                              : sub;
        h[i] = (uint16_t)(sign | r);
    }
}

#include "kernels_general.h"
#include "kernels_f64.h"
#include "kernels_relu.h"

/* --- forward blocks ------------------------------------------------------------------------------ */

static void FAM(fwd_f32_block)(const elu4j_params *p, const float *restrict x, float *restrict y,
                               size_t m)
{
    switch (p->function) {
    case ELU4J_FN_RELU:
    case ELU4J_FN_LEAKY_RELU:
        FAM(relu_f32_direct)(p, NULL, x, y, m); /* kernels_relu.h */
        break;
    default: {
        if (p->fast) {
            elu_f32_kernel(x, y, m, p->alpha_f, 0);
            break;
        }
        if (p->gen.enabled) {
            FAM(gen_f32)(&p->gen, x, y, m);
            break;
        }
        const double scale = p->scale, is = p->input_scale, coef = p->coef;
        if (is > 0.0) { /* x <= 0 gives t <= 0: the shorter expm1 (same bits where used) */
            for (size_t i = 0; i < m; i++) {
                const float v = x[i];
                const double xd = (double)v;
                const double pos = scale * xd;
                const double t = xd * is;
                const double e = fam_expm1_neg(t, 0);
                const double neg = t == 0.0 ? coef * t : coef * e;
                const float r = (float)(v > 0.0f ? pos : neg);
                y[i] = FAM(keep_nan_f32)(v, r);
            }
            break;
        }
        for (size_t i = 0; i < m; i++) {
            const float v = x[i];
            const double xd = (double)v;
            const double pos = scale * xd;
            const double t = xd * is;
            const double e = fam_expm1(t, 0);
            const double neg = t == 0.0 ? coef * t : coef * e;
            const float r = (float)(v > 0.0f ? pos : neg);
            y[i] = FAM(keep_nan_f32)(v, r);
        }
        break;
    }
    }
}

static void FAM(fwd_f64_block)(const elu4j_params *p, const double *restrict x,
                               double *restrict y, size_t m)
{
    switch (p->function) {
    case ELU4J_FN_RELU:
        for (size_t i = 0; i < m; i++) {
            const double v = x[i];
            y[i] = v > 0.0 ? v : FAM(keep_nan_f64)(v, 0.0);
        }
        break;
    case ELU4J_FN_LEAKY_RELU: {
        const double slope = p->alpha;
        for (size_t i = 0; i < m; i++) {
            const double v = x[i];
            const double neg = slope * v;
            y[i] = v > 0.0 ? v : FAM(keep_nan_f64)(v, neg);
        }
        break;
    }
    default: {
        const double scale = p->scale, is = p->input_scale, coef = p->coef;
        if (is > 0.0) {
            for (size_t i = 0; i < m; i++) {
                const double v = x[i];
                const double pos = scale * v;
                const double t = v * is;
                const double e = fam_expm1_neg(t, 1);
                const double neg = t == 0.0 ? coef * t : coef * e;
                const double r = v > 0.0 ? pos : neg;
                y[i] = FAM(keep_nan_f64)(v, r);
            }
            break;
        }
        /* input_scale <= 0: t = v * is grows with |v|, and e^t multiplies its rounding error by t
           (185 ulp at elu(1, 1, -1.1) of -640): expm1(t + tl) = expm1(t) + e^t tl puts the exact
           error tl back (the rule of Java's ScalarBackend.carried: not where t is 0, tl is 0 or e
           is not finite). */
        for (size_t i = 0; i < m; i++) {
            const double v = x[i];
            const double pos = scale * v;
            const double t = v * is;
            const double e0 = fam_expm1(t, 1);
            const double tl = fma(v, is, -t);
            const double e = tl != 0.0 && t != 0.0 && isfinite(e0) ? fma(e0 + 1.0, tl, e0) : e0;
            const double neg = t == 0.0 ? coef * t : coef * e;
            const double r = v > 0.0 ? pos : neg;
            y[i] = FAM(keep_nan_f64)(v, r);
        }
        break;
    }
    }
}

#include "kernels_bwd.h"
#include "kernels_f64_bwd.h"

/* --- the entry points ---------------------------------------------------------------------------- */

/* Widens m 16-bit elements of dtype (bf16 or f16) at `in` into f. */
static void FAM(widen)(int dtype, const unsigned char *in, uint16_t *restrict h, float *restrict f,
                       size_t m)
{
    memcpy(h, in, m * sizeof(uint16_t));
    if (dtype == ELU4J_DT_BF16) {
        FAM(bf16_widen)(h, f, m);
    } else {
        FAM(f16_widen)(h, f, m);
    }
}

/* Narrows m floats to dtype (bf16 or f16) at `out`. */
static void FAM(narrow)(int dtype, const float *restrict f, uint16_t *restrict h, unsigned char *out,
                        size_t m)
{
    if (dtype == ELU4J_DT_BF16) {
        FAM(bf16_narrow)(f, h, m);
    } else {
        FAM(f16_narrow)(f, h, m);
    }
    memcpy(out, h, m * sizeof(uint16_t));
}

/*
 * The block path of the forward (everything but the straight f32 paths). A function of its own, never
 * inlined, so that the straight paths do not pay for its ~20 KiB stack frame (with
 * -fstack-clash-protection, a probe of every page on each call).
 */
FAM_NOINLINE static void FAM(forward_blocks)(const elu4j_params *p, int dtype, const void *src,
                                             void *dst, size_t n)
{
    const unsigned char *in = (const unsigned char *)src;
    unsigned char *out = (unsigned char *)dst;
    FAM_ALIGN float fx[ELU4J_FAM_BLOCK];
    FAM_ALIGN float fy[ELU4J_FAM_BLOCK];
    FAM_ALIGN double dx[ELU4J_FAM_BLOCK];
    FAM_ALIGN double dy[ELU4J_FAM_BLOCK];
    FAM_ALIGN uint16_t h[ELU4J_FAM_BLOCK];
    for (size_t i = 0; i < n;) {
        const size_t m = n - i < ELU4J_FAM_BLOCK ? n - i : ELU4J_FAM_BLOCK;
        switch (dtype) {
        case ELU4J_DT_F32:
            memcpy(fx, in + i * 4, m * 4);
            FAM(fwd_f32_block)(p, fx, fy, m);
            memcpy(out + i * 4, fy, m * 4);
            break;
        case ELU4J_DT_F64:
            memcpy(dx, in + i * 8, m * 8);
            FAM(fwd_f64_block)(p, dx, dy, m);
            memcpy(out + i * 8, dy, m * 8);
            break;
        default:
            FAM(widen)(dtype, in + i * 2, h, fx, m);
            FAM(fwd_f32_block)(p, fx, fy, m);
            FAM(narrow)(dtype, fy, h, out + i * 2, m);
            break;
        }
        i += m;
    }
}

void FAM(elu4j_forward_kernel)(const elu4j_params *p, int dtype, const void *src, void *dst,
                               size_t n, int stream)
{
    if (dtype == ELU4J_DT_F32) {
        if (p->fast) {
            elu_f32_kernel(src, dst, n, p->alpha_f, stream); /* straight, no block copies */
            return;
        }
        if (p->gen.enabled) {
            FAM(gen_f32)(&p->gen, src, dst, n); /* straight, no block copies */
            return;
        }
        if (p->function != ELU4J_FN_ELU) {
            FAM(relu_f32_direct)(p, NULL, src, dst, n); /* straight, no block copies */
            return;
        }
    }
    if (dtype == ELU4J_DT_F64 && FAM(f64_fwd)(p, src, dst, n)) {
        return; /* the f64 table kernel (kernels_f64.h), straight, no block copies */
    }
#if defined(ELU4J_HALF_KERNEL)
    /* bf16/f16 on the float or the general kernel, or LeakyReLU with its product in float: the
       including file's half_f32_kernel, which widens, computes and narrows in registers (the
       block path's bits, without its copies), or returns 0 for what it does not fuse */
    if ((dtype == ELU4J_DT_BF16 || dtype == ELU4J_DT_F16) &&
        (p->fast || p->gen.enabled ||
         (p->function == ELU4J_FN_LEAKY_RELU && p->leaky_kind != ELU4J_LEAKY_DOUBLE)) &&
        half_f32_kernel(p, dtype, src, dst, n)) {
        return;
    }
#endif
    if ((dtype == ELU4J_DT_BF16 || dtype == ELU4J_DT_F16) && p->function == ELU4J_FN_RELU) {
        FAM(relu_half_direct)(dtype, NULL, src, dst, n); /* on the patterns (kernels_relu.h) */
        return;
    }
    FAM(forward_blocks)(p, dtype, src, dst, n);
}

void FAM(elu4j_backward_kernel)(const elu4j_params *p, int dtype, int from_dst,
                                const void *diff_dst, const void *data, void *diff_src, size_t n,
                                int stream)
{
    (void)stream; /* unused where no kernel of this level streams (the portable level) */
#if defined(ELU4J_BWD_KERNEL)
    /* the including file's bwd_f32_kernel: kernels_bwd.h's operations, written by hand */
    if (dtype != ELU4J_DT_F64 && p->bwd.enabled && /* f32, and bf16/f16 where it fuses them */
        bwd_f32_kernel(p, dtype, from_dst, diff_dst, data, diff_src, n, stream)) {
        return;
    }
#endif
    if ((dtype == ELU4J_DT_BF16 || dtype == ELU4J_DT_F16) && p->function == ELU4J_FN_RELU) {
        /* on the patterns (kernels_relu.h) */
        FAM(relu_half_direct)(dtype, diff_dst, data, diff_src, n);
        return;
    }
    if (dtype == ELU4J_DT_F32 && p->function != ELU4J_FN_ELU) {
        FAM(relu_f32_direct)(p, diff_dst, data, diff_src, n); /* straight (kernels_relu.h) */
        return;
    }
#if defined(ELU4J_HALF_LEAKY_BWD)
    /* bf16/f16 LeakyReLU with its product in float: the including file's fused loop */
    if ((dtype == ELU4J_DT_BF16 || dtype == ELU4J_DT_F16) && p->function == ELU4J_FN_LEAKY_RELU &&
        half_leaky_bwd_kernel(p, dtype, diff_dst, data, diff_src, n)) {
        return;
    }
#endif
    if (dtype == ELU4J_DT_F64 && !from_dst && FAM(f64_bwd_x)(p, diff_dst, data, diff_src, n)) {
        return; /* the f64 table kernel (kernels_f64_bwd.h), straight, no block copies */
    }
    if (dtype == ELU4J_DT_F64 && from_dst && p->function != ELU4J_FN_RELU &&
        p->function != ELU4J_FN_LEAKY_RELU) { /* straight, no block copies */
        if (diff_src == diff_dst) {
            FAM(bwd_y_f64_inplace)(p, (unsigned char *)diff_src, (const unsigned char *)data, n);
#if defined(ELU4J_F64_AVX512) || defined(ELU4J_F64_AVX2)
        } else if (stream) { /* the same operations with intrinsics, which can stream */
            f64_bwd_y_stream(p, diff_dst, data, diff_src, n);
#endif
        } else {
            FAM(bwd_y_f64_out)(p, (const unsigned char *)diff_dst, (const unsigned char *)data,
                               (unsigned char *)diff_src, n);
        }
        return;
    }
    if (dtype == ELU4J_DT_F32 && from_dst && p->bwd.enabled) { /* straight, no block copies */
        if (diff_src == diff_dst) {
            FAM(bwd_y_f32_inplace)(&p->bwd, (unsigned char *)diff_src,
                                   (const unsigned char *)data, n);
        } else {
            FAM(bwd_y_f32_out)(&p->bwd, (const unsigned char *)diff_dst,
                               (const unsigned char *)data, (unsigned char *)diff_src, n);
        }
        return;
    }
    const unsigned char *g = (const unsigned char *)diff_dst;
    const unsigned char *d = (const unsigned char *)data;
    unsigned char *out = (unsigned char *)diff_src;
    FAM_ALIGN float fg[ELU4J_FAM_BLOCK];
    FAM_ALIGN float fd[ELU4J_FAM_BLOCK];
    FAM_ALIGN float fo[ELU4J_FAM_BLOCK];
    FAM_ALIGN double dg[ELU4J_FAM_BLOCK];
    FAM_ALIGN double dd[ELU4J_FAM_BLOCK];
    FAM_ALIGN double dout[ELU4J_FAM_BLOCK];
    FAM_ALIGN uint16_t h[ELU4J_FAM_BLOCK];
    for (size_t i = 0; i < n;) {
        const size_t m = n - i < ELU4J_FAM_BLOCK ? n - i : ELU4J_FAM_BLOCK;
        switch (dtype) {
        case ELU4J_DT_F32:
            memcpy(fg, g + i * 4, m * 4);
            memcpy(fd, d + i * 4, m * 4);
            FAM(bwd_f32_block)(p, from_dst, fg, fd, fo, m);
            memcpy(out + i * 4, fo, m * 4);
            break;
        case ELU4J_DT_F64:
            memcpy(dg, g + i * 8, m * 8);
            memcpy(dd, d + i * 8, m * 8);
            FAM(bwd_f64_block)(p, from_dst, dg, dd, dout, m);
            memcpy(out + i * 8, dout, m * 8);
            break;
        default:
            FAM(widen)(dtype, g + i * 2, h, fg, m);
            FAM(widen)(dtype, d + i * 2, h, fd, m);
            FAM(bwd_f32_block)(p, from_dst, fg, fd, fo, m);
            FAM(narrow)(dtype, fo, h, out + i * 2, m);
            break;
        }
        i += m;
    }
}
