/*
 * elu4j native helper: the kernels of the portable level: the float ELU kernel, a scalar loop,
 * and the rest of the family (kernels_impl.h, included at the end), with this level's entry points
 * elu4j_forward_kernel_portable / elu4j_backward_kernel_portable.
 *
 * Plain C11 built without ISA flags; every fused multiply-add goes through fmaf() so the result
 * is bit-identical to the SIMD kernels, which run the same sequence of f32 operations (see
 * elu4j_internal.h). Floats are read and written through memcpy because src and dst may have
 * any byte alignment.
 */
#include "elu4j_internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

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
    const float t = fmaf(xc, ELU4J_LOG2E, ELU4J_SHIFT);
    const float nf = t - ELU4J_SHIFT;
    const float r = fmaf(nf, -ELU4J_LN2, xc);
    const float r2 = r * r;
    float q = fmaf(ELU4J_P4, r, ELU4J_P3);
    q = fmaf(q, r, ELU4J_P2);
    q = fmaf(q, r, ELU4J_P1);
    q = fmaf(q, r, ELU4J_P0);
    const float p = fmaf(r2, q, r);

    uint32_t tbits;
    memcpy(&tbits, &t, sizeof tbits);
    const uint32_t sbits = tbits << 23; /* 2^n: the low bits of t are n + 127 */
    float s;
    memcpy(&s, &sbits, sizeof s);

    const float e = fmaf(s, p, s - 1.0f);
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
