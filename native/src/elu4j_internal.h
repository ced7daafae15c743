/*
 * elu4j native helper: internal declarations shared by the dispatcher (elu4j.c), the worker pool
 * (elu4j_parallel.c) and the kernels of each ISA level (kernels_<isa>.c). Nothing here is
 * exported (the library is built with hidden visibility).
 *
 * The float ELU kernel: f32 ELU with scale = input_scale = 1 and alpha a power of two (the fast
 * case, elu4j_uses_float_kernel), written by hand for each level; every level runs this
 * sequence of f32 operations, so that all of them give bit-identical results:
 *
 *   ELU(x) = x                       if !(x < 0)   (positive, +-0 and NaN pass through)
 *          = alpha * expm1(x)        if x < 0
 *
 *   expm1(x) for x < 0, with every step rounded to f32 exactly as written:
 *     xc = max(x, ELU4J_X_MIN)                  clamp; -inf -> ELU4J_X_MIN; result is -1 there
 *     t  = fma(xc, ELU4J_LOG2E, ELU4J_SHIFT)    t = 1.5*2^23 + 127 + n, n = round(x/ln2): the
 *                                               low 9 bits of t hold n + 127
 *     nf = t - ELU4J_SHIFT                      n as a float (exact)
 *     r  = fma(nf, -ELU4J_LN2, xc)              |r| <= 0.3468; one f32 ln2 is enough because
 *                                               the error it leaves is scaled by 2^n <= 1/2
 *     q  = P0 + r*(P1 + r*(P2 + r*(P3 + r*P4)))  Horner with fma
 *     p  = fma(r*r, q, r)                       expm1(r) ~ r + r^2 q(r)
 *     s  = 2^n, built from the bits of t:       bits(s) = bits(t) << 23  (mod 2^32)
 *     e  = fma(s, p, s - 1)                     expm1(x) = 2^n expm1(r) + (2^n - 1)
 *     y  = alpha * e
 *
 * n lies in [-127, 0] for x in [-88, 0): s is a normal power of two, or +0.0 for n = -127,
 * where e = -1 exactly, which is the correctly rounded expm1 for any x < -17.33.
 */
#ifndef ELU4J_INTERNAL_H
#define ELU4J_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Lower clamp of x. Any value in [-88, -17.34] gives e = -1; -88 keeps n >= -127. */
#define ELU4J_X_MIN (-88.0f)
/* log2(e) and ln(2) rounded to f32. */
#define ELU4J_LOG2E 0x1.715476p+0f
#define ELU4J_LN2 0x1.62e430p-1f
/*
 * 1.5 * 2^23 + 127: adding it to x/ln2 rounds to an integer (ties to even), and since floats in
 * [2^23, 2^24) are consecutive integers with consecutive bit patterns, the low 9 bits of the sum
 * are n + 127 (0x4B40007F + n): shifting them left by 23 gives the f32 bits of 2^n, with the
 * exponent bias already added. One integer shift instead of an add and a shift.
 */
#define ELU4J_SHIFT 0x1.8000fep+23f

/*
 * q(r) ~ (expm1(r) - r) / r^2 on |r| <= 0.3468: a minimax fit of the relative error of
 * r + r^2 q(r) against expm1(r) (Remez, then rounded to f32 one coefficient at a time with the
 * rest refitted). Maximum relative error of the polynomial with these f32 coefficients, in exact
 * arithmetic: 1.68e-8 (0.28 * 2^-24). Taylor would be 1/2, 1/6, 1/24, 1/120, 1/720.
 */
#define ELU4J_P0 0x1.fffffep-2f  /* 4.999999702e-01 */
#define ELU4J_P1 0x1.555494p-3f  /* 1.666652262e-01 */
#define ELU4J_P2 0x1.55574ep-5f  /* 4.166760668e-02 */
#define ELU4J_P3 0x1.123e44p-7f  /* 8.369239047e-03 */
#define ELU4J_P4 0x1.6b398cp-10f /* 1.385592623e-03 */

/*
 * The general f32 kernel's q(r) ~ (expm1(r) - r) / r^2 on |r| <= 0.3468 (kernels_impl.h has the
 * algorithm): minimax for the relative error of r + r^2 q(r), coefficients rounded to f32 one at
 * a time with the rest refitted; 1.37e-8 (2^-26.1) in exact arithmetic. Not the polynomial above,
 * which is fitted to the float kernel's own error budget.
 */
#define ELU4J_GQ0 0x1.fffffep-2f
#define ELU4J_GQ1 0x1.5554b4p-3f
#define ELU4J_GQ2 0x1.5556f2p-5f
#define ELU4J_GQ3 0x1.122552p-7f
#define ELU4J_GQ4 0x1.6b9c86p-10f

/*
 * Streaming (non-temporal) stores: at the AVX-512 and AVX2 levels, a call whose output is at
 * least ELU4J_STREAM_MIN_BYTES (16 MiB, whatever the dtype: 4M floats, 2M doubles), out of place
 * (src != dst, or diff_src != diff_dst: in place, the lines are already in the cache from the
 * loads) and aligned to its element size (so that an element starts on each 64-byte boundary)
 * is written with streaming stores by the kernels that gain from them (below); the others, and
 * the portable level, ignore the decision. Results are the same bits either way: only the store
 * instruction changes (stream_store.h).
 *
 * Which kernels stream: the float ELU kernel (f32 forward with p->fast) and the f32 and f64
 * backward of ELU from the output. A streaming store saves the read of each output line that an
 * ordinary store brings in first (the write-allocate), which pays only where the loop waits for
 * memory: the float kernel (a dozen operations per float) and the backward from the output (two
 * loads, a few operations and a store per element). Where a loop is bound by its arithmetic,
 * ordinary stores' line reads overlap with the work, and streaming stores measured slower: the
 * f64 table kernels (kernels_f64_avx512.h, kernels_f64_bwd_avx512.h), the general f32 forward
 * with SELU and CELU (kernels_avx512.c), the fused bf16/f16 forward (fwd_half_avx512.h) and the
 * backward from x (bwd_avx512.h). The bf16/f16 backward from the output writes half the bytes it
 * reads and measured no steady gain (bwd_avx512.h).
 *
 * How 16 MiB was chosen (single thread, alpha = 1, 64-byte-aligned buffers, the same call
 * repeated; elements per ns without -> with streaming stores; ranges over repeated runs on a
 * noisy machine):
 *
 *   Intel Xeon (Emerald Rapids) KVM guest, L2 2 MiB/core, L3 260 MiB; the kernel alone:
 *     AVX-512  256K floats 5.2 -> 4.6-4.9   1M 3.4-3.5 -> 4.0-4.2   4M 3.3-3.4 -> 4.0
 *              16M 2.5-3.2 -> 3.8-3.9
 *     AVX2     256K 3.5 -> 3.5              1M 3.2 -> 3.2            16M 2.3 -> 3.1
 *   the same (AVX-512), each call followed by a read of the whole output, as the next layer of
 *   a network would do:
 *              256K 4.3-4.5 -> 1.7   1M 2.4 -> 2.0   4M 2.4 -> 2.05   16M 1.8 -> 1.6
 *   AMD Zen 4 (project perf notes), L2 1 MiB/core, L3 32 MiB; the kernel alone, AVX-512:
 *              1M 5.5-5.9 without streaming (nothing to win back)   16M 3.9 -> 5.2-5.6
 *
 * Streaming avoids reading each output line before writing it (the write-allocate) and keeps the
 * output from evicting the input, which pays off once source + destination overflow the cache
 * the kernel runs in; but streamed lines go to memory, so a reader of the output that would have
 * found it in the last-level cache finds it in DRAM instead and loses more than the kernel
 * gained. Just above L2 (the kernel-alone break-even on the Xeon, ~1.5 MiB of output) that
 * reader was 2.5x slower. So the threshold is sized to the last-level cache: at 16 MiB of
 * output, source + destination are 32 MiB, a whole Zen 4 L3, where the output could not stay
 * cached anyway; the Xeon's unusually large L3 makes streaming a kernel-only win there.
 * Overridable at build time (-DELU4J_STREAM_MIN_BYTES=...) for measurements and tests only.
 */
#ifndef ELU4J_STREAM_MIN_BYTES
#define ELU4J_STREAM_MIN_BYTES ((size_t)16 << 20)
#endif

/*
 * Whether a kernel call of n elements of es bytes each (n > 0, arguments already checked) may
 * stream its stores: n * es bytes of output at least, out of place, and dst aligned to its
 * element size (so that an element starts on each 64-byte boundary). The kernels that do not
 * stream ignore the answer.
 */
static inline int elu4j_use_streaming_stores(const void *src, const void *dst, size_t n, size_t es)
{
    return n * es >= ELU4J_STREAM_MIN_BYTES && src != dst && ((uintptr_t)dst & (es - 1)) == 0;
}

/*
 * How many of the n elements at dst a streaming kernel writes with ordinary stores before the
 * streamed ones: those before dst's first 64-byte boundary (streaming stores write whole aligned
 * vectors), at most n; all n when the call does not stream. dst is es-byte aligned when stream is
 * set (elu4j_use_streaming_stores).
 */
static inline size_t elu4j_stream_head(int stream, const void *dst, size_t es, size_t n)
{
    if (!stream) {
        return n;
    }
    const size_t h = (size_t)((64u - ((uintptr_t)dst & 63u)) & 63u) / es;
    return h < n ? h : n;
}

/* ------------------------------------------------------------------------------------------- */
/*
 * The parameters of one call, checked, with the derived constants the kernels use (the
 * algorithms of the other functions and types are described in kernels_impl.h).
 */
/*
 * The general f32 ELU kernel (kernels_impl.h, "f32 ELU, general parameters"): ELU, SELU, CELU and
 * the scaled form with positive parameters in [2^-60, 2^60] (elu4j_uses_general_kernel), in f32
 * with the parameters split into float pairs hi + lo. Filled by the dispatcher, per call.
 */
typedef struct elu4j_general {
    int enabled;       /* this call runs the general kernel */
    int unit_input;    /* input_scale == 1: t = x exactly, no low part, no linear range */
    int pos_kind;      /* the positive side: 0 scale == 1 (x), 1 scale a float (phi * x), 2 a pair */
    int fma_y;         /* unit_input and coef a power of two (clo = 0; ELU with alpha 1, 0.5, 2...):
                          the backward from y is fma(dy, y, dy * chi), dy * chi exact */
    float chi, clo;    /* coef = alpha * scale */
    float shi, slo;    /* input_scale */
    float phi, plo;    /* scale, phi rounded toward zero (plo >= 0: plo * +inf is +inf, not NaN) */
    float cshi, cslo;  /* coef * input_scale: the slope at 0, for the linear range */
    float lin;         /* x > -lin (|t| < 2^-40): the linear range */
    int lin_x;         /* the linear range's result is x itself: !unit_input, pos_kind 0 and
                          cshi = 1 with |cslo| <= 2^-30 (CELU: coef * input_scale = alpha / alpha,
                          so fma(cshi, x, cslo * x) rounds to x for every float x); the SIMD levels
                          then take the main path for x <= -lin only and x itself for the rest */
    float xmin;        /* lower clamp of x: t >= -87 */
    float ylow;        /* the backward from y's common lanes: y in [ylow, 0] has y + coef > 0 (-chi,
                          or the float above it where chi > coef), so with |dy| <= 2^64 the product
                          is finite (cis <= 2^60) and a zero one takes dy's sign (kernels_bwd.h) */
    double scale;      /* scale itself, for the positive side of tiny x (pos_kind 2) */
} elu4j_general;

/*
 * The SIMD levels' forward loops, one per case: unit_input * 3 + pos_kind (0..5), and 6 for
 * lin_x (no unit input, x itself on the positive side and in the linear range).
 */
#define ELU4J_GEN_CASE(g) ((g)->lin_x ? 6 : (g)->unit_input * 3 + (g)->pos_kind)

typedef struct elu4j_params {
    int function;      /* elu4j_function */
    int fast;          /* ELU that f32 (and bf16, f16) runs on the float kernel above, with alpha_f:
                          elu4j_uses_float_kernel() */
    float alpha_f;     /* (float)alpha: exact when fast */
    double alpha;      /* ELU's alpha, LeakyReLU's slope */
    double scale;
    double input_scale;
    double coef;       /* alpha * scale (the negative side's coefficient), rounded */
    double clo;        /* alpha * scale - coef, exact (fma), -0.0 where it is 0: y + alpha * scale of the
                          f64 backward from y as (y + coef) + clo, where y + coef is exact near y = -coef
                          (Sterbenz), so the sum that cancels there keeps the product's low part */
    double cis;        /* coef * input_scale (the backward's coefficient) */
    elu4j_general gen; /* f32 (and bf16, f16) ELU that is not fast but runs in f32 */
    elu4j_general bwd; /* the same constants for the f32 backward (fast ELU included) */
    int leaky_kind;    /* LeakyReLU's slope * v in f32 (kernels_relu.h): ELU4J_LEAKY_* */
    float slope_hi;    /* ELU4J_LEAKY_PAIR: the slope as hi + lo (hi toward zero, lo of its */
    float slope_lo;    /* sign); ELU4J_LEAKY_FLOAT: hi = the slope */
} elu4j_params;

/* How LeakyReLU computes slope * v for a float v (kernels_relu.h). */
enum {
    /* in double, rounded once: a slope that is no float, outside [2^-60, 2^60] in magnitude */
    ELU4J_LEAKY_DOUBLE = 0,
    /* slope_hi * v: the slope is a float, the product correctly rounded */
    ELU4J_LEAKY_FLOAT = 1,
    /* fma(slope_hi, v, slope_lo * v): within 2^-46 relative before rounding where slope_lo * v
       is normal (products above ~2^-100), else within half an ulp */
    ELU4J_LEAKY_PAIR = 2
};

/*
 * The kernels of one ISA level, one source file each (kernels_<isa>.c: the hand-written float
 * ELU kernel, plus kernels_impl.h compiled with that level's flags). Preconditions, checked by
 * the dispatcher in elu4j.c: n > 0, arguments valid as elu4j.h documents, the CPU supports the
 * level. src and dst may have any byte alignment, so they are untyped pointers.
 *
 * stream: whether the kernels that stream (see "Streaming stores" above) write with streaming
 * stores. The caller decides it with elu4j_use_streaming_stores() on the whole call (dst:
 * diff_src for the backward), so that the parallel path, which runs a kernel per chunk, streams
 * exactly when the serial call of the same size would; it must be 0 unless that function
 * returned 1 for the whole range (which implies out of place and dst aligned to its element
 * size). Every other path, and the portable level, ignore it.
 */
void elu4j_forward_kernel_portable(const elu4j_params *p, int dtype, const void *src, void *dst,
                                   size_t n, int stream);
void elu4j_backward_kernel_portable(const elu4j_params *p, int dtype, int from_dst,
                                    const void *diff_dst, const void *data, void *diff_src,
                                    size_t n, int stream);
#if defined(ELU4J_HAVE_X86_KERNELS)
void elu4j_forward_kernel_avx2(const elu4j_params *p, int dtype, const void *src, void *dst,
                               size_t n, int stream);
void elu4j_backward_kernel_avx2(const elu4j_params *p, int dtype, int from_dst,
                                const void *diff_dst, const void *data, void *diff_src, size_t n,
                                int stream);
void elu4j_forward_kernel_avx512(const elu4j_params *p, int dtype, const void *src, void *dst,
                                 size_t n, int stream);
void elu4j_backward_kernel_avx512(const elu4j_params *p, int dtype, int from_dst,
                                  const void *diff_dst, const void *data, void *diff_src,
                                  size_t n, int stream);
/* Whether the CPU has F16C (CPUID, read once; elu4j.c). */
int elu4j_cpu_has_f16c(void);
#endif

/*
 * One forward call's work, as the serial entry point and the worker pool run it on any
 * sub-range.
 */
typedef struct elu4j_task {
    int isa;           /* the level the call started on (elu4j_active_isa() then) */
    int dtype;
    size_t elem_size;  /* bytes per element */
    int stream;        /* streaming stores, decided on the whole call (see above) */
    elu4j_params params;
} elu4j_task;

/* Runs a task on n > 0 elements at src/dst (offsets already applied). Defined in elu4j.c. */
void elu4j_task_run(const elu4j_task *task, const void *src, void *dst, size_t n);

/*
 * Runs a task on up to `threads` threads with the pool of elu4j_parallel.c (serially when small),
 * on arguments already checked, n > 0. Defined in elu4j_parallel.c.
 */
void elu4j_mt_run(const elu4j_task *task, const void *src, void *dst, size_t n, int threads);

#endif /* ELU4J_INTERNAL_H */
