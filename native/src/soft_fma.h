/*
 * elu4j native helper: fmaf without an FMA instruction, for the portable level.
 *
 * The portable level is built without ISA flags, so fmaf() is a call into libm: ~2 ns with the
 * FMA instruction behind glibc's ifunc, tens of ns without it, and the f32 kernels make 9 to 25
 * of them per element. This is the same operation inline, in SSE2 double arithmetic, with the
 * same result bits for every input (IEEE binary32 fused multiply-add, round to nearest even):
 *
 *   p = a * b in double is exact (24 + 24 significant bits);
 *   s = p + c rounds once, to double; (float)s rounds it again, to float.
 *   Rounding twice gives the once-rounded result unless s is exactly a float midpoint (the
 *   midpoint between two adjacent floats is a double, so an exact value and its double rounding
 *   can only fall on different sides of one by landing on it). Then the exact rest of the
 *   addition (TwoSum, exact in double) says which side the exact value lies on; a zero rest is a
 *   true tie, which (float)s already rounds to even.
 *
 * Checked against the hardware's fmaf on random operands of every class and on constructed
 * midpoint cases (tests/test_soft_fma.c), and every kernel of the portable level against the
 * other levels' bits (tests/test_family.c).
 */
#ifndef ELU4J_SOFT_FMA_H
#define ELU4J_SOFT_FMA_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define ELU4J_SOFT_FMA_INLINE static inline __attribute__((always_inline))
#else
#define ELU4J_SOFT_FMA_INLINE static inline
#endif

/* The exact rounding of a * b + c (see the file comment): every case, the rare ones included. */
static float elu4j_soft_fmaf_exact(float a, float b, float c)
{
    const double p = (double)a * (double)b;
    const double cd = (double)c;
    const double s = p + cd;
    const float r = (float)s;
    /* r as a double; an infinity from rounding stands for 2^128, so that the midpoint between
       FLT_MAX and it is the overflow threshold (FLT_MAX + half an ulp) */
    const double rd = isinf(r) ? copysign(0x1p128, (double)r) : (double)r;
    /* the float on the other side of s from r: one step away from zero if |s| > |r| */
    uint32_t rb;
    memcpy(&rb, &r, sizeof rb);
    const uint32_t nb = fabs(s) > fabs(rd) ? rb + 1u : rb - 1u;
    float n;
    memcpy(&n, &nb, sizeof n);
    const double mid = (rd + (double)n) * 0.5;
    /* TwoSum: s + err == p + cd exactly (NaN where s is infinite: no tie to break then) */
    const double bb = s - p;
    const double err = (p - (s - bb)) + (cd - bb);
    const int tie_broken = s == mid && (err < 0.0 || err > 0.0);
    const int toward_n = (err > 0.0) == ((double)n > rd);
    return tie_broken && toward_n ? n : r;
}

/*
 * elu4j_soft_fmaf_exact's result with a short common path: (float)(a * b + c in double) is the
 * answer unless that double is a float midpoint (its 29 bits below float precision are
 * 1000...0) or lies below the normal floats (where more bits are dropped; zero included), which
 * the exact function then decides: one in 2^28 of ordinary operands.
 */
ELU4J_SOFT_FMA_INLINE float elu4j_soft_fmaf(float a, float b, float c)
{
    const double s = (double)a * (double)b + (double)c;
    uint64_t u;
    memcpy(&u, &s, sizeof u);
    const int midpoint = (u & 0x1fffffffull) == 0x10000000ull;
    const int low = (u & 0x7ff0000000000000ull) < ((uint64_t)(1023 - 126) << 52);
    if (__builtin_expect(midpoint | low, 0)) {
        return elu4j_soft_fmaf_exact(a, b, c);
    }
    return (float)s;
}

#endif /* ELU4J_SOFT_FMA_H */
