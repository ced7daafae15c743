/*
 * elu4j native helper: the kernels of the portable level: the float ELU kernel, a scalar loop,
 * and the rest of the family (kernels_impl.h, included at the end), with this level's entry points
 * elu4j_forward_kernel_portable / elu4j_backward_kernel_portable.
 *
 * Plain C11 built without ISA flags; every fused multiply-add is an exact fmaf, so the result is
 * bit-identical to the SIMD kernels, which run the same sequence of f32 operations (see
 * elu4j_internal.h). It is soft_fma.h's inline one (FAM_FMAF): libm's fmaf() is a call per
 * operation, which made this level 20-50 times slower than the scalar work it does. Floats are read and written through memcpy because src and dst may have
 * any byte alignment.
 */
#include "elu4j_internal.h"
#include "soft_fma.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Every fused multiply-add of this level, the float ELU kernel's and the family's (kernels_impl.h). */
#define FAM_FMAF elu4j_soft_fmaf

#if defined(__GNUC__)
#define ELU4J_INLINE static inline __attribute__((always_inline))
#else
#define ELU4J_INLINE static inline
#endif

/* ELU of one float: the reference sequence of operations of every kernel. Always inlined: with the
   family in the same file GCC would otherwise call it, and the loop would lose ~15%. */
ELU4J_INLINE float elu_one(float x, float alpha)
{
    if (!(x < 0.0f)) {
        return x; /* x > 0, +-0 and NaN pass through unchanged */
    }
    const float xc = x < ELU4J_X_MIN ? ELU4J_X_MIN : x;
    const float t = FAM_FMAF(xc, ELU4J_LOG2E, ELU4J_SHIFT);
    const float nf = t - ELU4J_SHIFT;
    const float r = FAM_FMAF(nf, -ELU4J_LN2, xc);
    const float r2 = r * r;
    float q = FAM_FMAF(ELU4J_P4, r, ELU4J_P3);
    q = FAM_FMAF(q, r, ELU4J_P2);
    q = FAM_FMAF(q, r, ELU4J_P1);
    q = FAM_FMAF(q, r, ELU4J_P0);
    const float p = FAM_FMAF(r2, q, r);

    uint32_t tbits;
    memcpy(&tbits, &t, sizeof tbits);
    const uint32_t sbits = tbits << 23; /* 2^n: the low bits of t are n + 127 */
    float s;
    memcpy(&s, &sbits, sizeof s);

    const float e = FAM_FMAF(s, p, s - 1.0f);
    return alpha * e;
}

static void elu_f32_kernel(const void *src, void *dst, size_t n, float alpha, int stream)
{
    (void)stream; /* the portable kernel never streams */
    const unsigned char *in = (const unsigned char *)src;
    unsigned char *out = (unsigned char *)dst;
    for (size_t i = 0; i < n; i++) {
        float x;
        memcpy(&x, in + i * sizeof(float), sizeof x);
        const float y = elu_one(x, alpha);
        memcpy(out + i * sizeof(float), &y, sizeof y);
    }
}

/* --- the rest of the family, and the entry points of this level --------------------------------- */
#define ELU4J_FAM_SUFFIX _portable
#include "kernels_impl.h"
