/*
 * elu4j native tests: small shared helpers (no framework). Each test program counts failures
 * with CHECK(), prints a summary and returns non-zero when anything failed.
 */
#ifndef ELU4J_TEST_UTIL_H
#define ELU4J_TEST_UTIL_H

#include "elu4j.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long g_checks;
static long g_failures;

/* Records one check; prints the first 50 failures with their location. */
#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        g_checks++;                                                                               \
        if (!(cond)) {                                                                            \
            g_failures++;                                                                         \
            if (g_failures <= 50) {                                                               \
                fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                  \
                fprintf(stderr, __VA_ARGS__);                                                     \
                fputc('\n', stderr);                                                              \
            }                                                                                     \
        }                                                                                         \
    } while (0)

/* Prints the summary line and gives main()'s return value. */
static inline int test_summary(const char *name)
{
    printf("%s: %ld checks, %ld failures -> %s\n", name, g_checks, g_failures,
           g_failures == 0 ? "PASS" : "FAIL");
    return g_failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static inline uint32_t bits_of(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static inline float float_of(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/*
 * Distance in ulps between two floats: the number of floats between them (0 when equal
 * bit for bit; +0 and -0 are 1 apart), or UINT32_MAX when either is NaN.
 */
static inline uint32_t ulp_distance(float a, float b)
{
    if (isnan(a) || isnan(b)) {
        return UINT32_MAX;
    }
    /* Map the sign-magnitude bit patterns to a monotonic unsigned scale around 2^31. */
    const uint32_t ua = bits_of(a), ub = bits_of(b);
    const uint32_t ma = (ua & 0x80000000u) ? 0x80000000u - (ua & 0x7fffffffu) - 1u : ua + 0x80000000u;
    const uint32_t mb = (ub & 0x80000000u) ? 0x80000000u - (ub & 0x7fffffffu) - 1u : ub + 0x80000000u;
    return ma > mb ? ma - mb : mb - ma;
}

/* ELU computed in double with libm's expm1, rounded once to float: the reference. */
static inline double elu_ref_double(float x, float alpha)
{
    return x > 0.0f ? (double)x : (double)alpha * expm1((double)x);
}

static inline float elu_ref(float x, float alpha)
{
    if (!(x < 0.0f)) {
        return x; /* +-0, NaN and positives pass through */
    }
    return (float)elu_ref_double(x, alpha);
}

/*
 * 1 / ulp of the float nearest to v: v finite and non-zero, subnormal range included, so
 * ulp = 2^max(e - 23, -149) for |v| in [2^e, 2^(e+1)). Built from the bits of v (no libm call:
 * the accuracy sweep calls it for every sample).
 */
static inline double inv_ulp_of(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    const int e = (int)((b >> 52) & 0x7ff) - 1023; /* v is a normal double here */
    const int ulp_exp = e - 23 < -149 ? -149 : e - 23;
    const uint64_t inv_bits = (uint64_t)(1023 - ulp_exp) << 52;
    double inv;
    memcpy(&inv, &inv_bits, sizeof inv);
    return inv;
}

/* Deterministic xorshift generator: tests and timings do not depend on rand(). */
static inline uint32_t rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return (uint32_t)(x >> 32);
}

/* Uniform float in [lo, hi). */
static inline float rng_uniform(uint64_t *state, float lo, float hi)
{
    return lo + (hi - lo) * (float)(rng_next(state) >> 8) * 0x1p-24f;
}

/* Byte that fills the memory around a destination, to catch writes outside it. */
#define GUARD_BYTE 0xA5

/* Are the first block_bytes bytes of block GUARD_BYTE everywhere but in [dst_off, dst_off + bytes)? */
static inline int guards_ok(const unsigned char *block, size_t block_bytes, size_t dst_off, size_t bytes)
{
    for (size_t i = 0; i < dst_off; i++) {
        if (block[i] != GUARD_BYTE) {
            return 0;
        }
    }
    for (size_t i = dst_off + bytes; i < block_bytes; i++) {
        if (block[i] != GUARD_BYTE) {
            return 0;
        }
    }
    return 1;
}

/* n inputs from seed: uniform in [-20, 5] with one in 13 a special value (zeros, infinities, NaNs, subnormals). */
static inline void fill_mixed_inputs(float *x, size_t n, uint64_t seed)
{
    static const uint32_t specials[] = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u,
                                        0x7fc00000u, 0xffc00001u, 0x00000001u, 0x80000001u,
                                        0xc2b00000u, 0xbf800000u};
    uint64_t state = seed;
    for (size_t i = 0; i < n; i++) {
        const uint32_t r = rng_next(&state);
        if (r % 13 == 0) {
            x[i] = float_of(specials[(r >> 8) % (sizeof specials / sizeof specials[0])]);
        } else {
            x[i] = rng_uniform(&state, -20.0f, 5.0f);
        }
    }
}

static const int k_all_isas[] = {ELU4J_ISA_PORTABLE, ELU4J_ISA_AVX2, ELU4J_ISA_AVX512};
#define N_ISAS ((int)(sizeof k_all_isas / sizeof k_all_isas[0]))

/* ELU of f32 with alpha, scale and input scale 1 (alpha a power of two: the float kernel). */
static inline int elu_f32(const void *src, void *dst, size_t n, float alpha)
{
    return elu4j_forward(ELU4J_FN_ELU, ELU4J_DT_F32, src, dst, n, alpha, 1.0, 1.0);
}

/* elu_f32 on up to `threads` threads. */
static inline int elu_f32_mt(const void *src, void *dst, size_t n, float alpha, int threads)
{
    return elu4j_forward_mt(ELU4J_FN_ELU, ELU4J_DT_F32, src, dst, n, alpha, 1.0, 1.0, threads);
}

/*
 * The calls below run on one ISA level: they pin it (elu4j_pin_isa), call, and take the pin off
 * again. The pin is process-wide, so only single-threaded tests use them (a call running in another
 * thread meanwhile would run on the pinned level too: the same bits, but not the level it meant).
 * A level the CPU lacks, or an unknown number, gives elu4j_pin_isa's status and calls nothing.
 */
static inline int forward_on(int isa, int function, int dtype, const void *src, void *dst,
                             size_t n, double alpha, double scale, double input_scale)
{
    int status = elu4j_pin_isa(isa);
    if (status == ELU4J_OK) {
        status = elu4j_forward(function, dtype, src, dst, n, alpha, scale, input_scale);
        elu4j_pin_isa(ELU4J_ISA_BEST);
    }
    return status;
}

static inline int backward_on(int isa, int function, int dtype, int from_dst, const void *diff_dst,
                              const void *data, void *diff_src, size_t n, double alpha,
                              double scale, double input_scale)
{
    int status = elu4j_pin_isa(isa);
    if (status == ELU4J_OK) {
        status = elu4j_backward(function, dtype, from_dst, diff_dst, data, diff_src, n, alpha,
                                scale, input_scale);
        elu4j_pin_isa(ELU4J_ISA_BEST);
    }
    return status;
}

static inline int elu_f32_on(int isa, const void *src, void *dst, size_t n, float alpha)
{
    return forward_on(isa, ELU4J_FN_ELU, ELU4J_DT_F32, src, dst, n, alpha, 1.0, 1.0);
}

#endif /* ELU4J_TEST_UTIL_H */
