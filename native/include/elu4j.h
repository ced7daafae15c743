/*
 * elu4j native helper: SIMD ELU kernels called from Java through the FFM API.
 *
 * The one public header of libelu4j. Everything not declared here has hidden visibility.
 * Every function is thread-safe and keeps no pointer it was given beyond the call, so Java may
 * pass heap arrays through critical downcalls. No function exits or prints.
 */
#ifndef ELU4J_H
#define ELU4J_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ELU4J_API __attribute__((visibility("default")))
#else
#define ELU4J_API
#endif

#define ELU4J_VERSION_MAJOR 0
#define ELU4J_VERSION_MINOR 1
#define ELU4J_VERSION_PATCH 0
/** MAJOR * 10000 + MINOR * 100 + PATCH of this header; compare with elu4j_version(). */
#define ELU4J_VERSION_NUMBER (ELU4J_VERSION_MAJOR * 10000 + ELU4J_VERSION_MINOR * 100 + ELU4J_VERSION_PATCH)

/** Status codes returned by the kernels. */
typedef enum elu4j_status {
    ELU4J_OK = 0,
    ELU4J_ERR_NULL_POINTER = 1,     /**< src or dst is NULL while n > 0 */
    ELU4J_ERR_INVALID_ARGUMENT = 2, /**< alpha is not finite, the ISA number is unknown, or
                                         n floats from src or dst would run past the end of the
                                         address space (n * 4 overflows) */
    ELU4J_ERR_OVERLAP = 3,          /**< src and dst overlap without being identical (in place) */
    ELU4J_ERR_UNSUPPORTED_ISA = 4   /**< the requested ISA is not available on the running CPU */
} elu4j_status;

/** Instruction-set levels a kernel can be built for, from most portable to fastest. */
typedef enum elu4j_isa {
    ELU4J_ISA_PORTABLE = 0, /**< plain C, FMA through fmaf(): runs on any x86-64 */
    ELU4J_ISA_AVX2 = 1,     /**< AVX2 + FMA, 8 floats a step */
    ELU4J_ISA_AVX512 = 2    /**< AVX-512 F/DQ/BW/VL, 16 floats a step, masked tail */
} elu4j_isa;

/** Runtime version number, same encoding as ELU4J_VERSION_NUMBER. */
ELU4J_API int elu4j_version(void);

/** Runtime version as a static string such as "0.1.0". Never NULL. */
ELU4J_API const char *elu4j_version_string(void);

/** The fastest elu4j_isa the running CPU (and OS) supports. */
ELU4J_API int elu4j_best_isa(void);

/** 1 if the running CPU supports the given elu4j_isa, else 0 (also 0 for unknown numbers). */
ELU4J_API int elu4j_isa_supported(int isa);

/** Static name of an elu4j_isa ("portable", "avx2", "avx512"), or "unknown". Never NULL. */
ELU4J_API const char *elu4j_isa_name(int isa);

/** Static name of an elu4j_status ("ELU4J_OK", ...), or "unknown status". Never NULL. */
ELU4J_API const char *elu4j_status_name(int status);

/**
 * ELU forward in f32: dst[i] = src[i] > 0 ? src[i] : alpha * expm1(src[i]), for i < n,
 * on the best ISA of the running CPU. Accurate to 1 ulp of the correctly rounded result for
 * alpha = 1 (and other powers of two); any other alpha adds one rounding (at most 2 ulps).
 * NaN stays NaN (bit for bit), -0.0 stays -0.0, +inf stays +inf, -inf gives -alpha.
 *
 * src and dst hold n floats each and need no particular alignment. dst == src computes in place;
 * any other overlap is refused with ELU4J_ERR_OVERLAP before anything is written.
 * n == 0 returns ELU4J_OK without looking at src, dst or alpha (NULL is fine then).
 * Checks, in this order: NULL pointer, non-finite alpha or impossible range, overlap.
 * Returns ELU4J_OK or an elu4j_status; on error dst is untouched.
 */
ELU4J_API int elu4j_elu_f32(const void *src, void *dst, size_t n, float alpha);

/**
 * elu4j_elu_f32 on an explicit elu4j_isa. The ISA is checked first, even for n == 0:
 * ELU4J_ERR_INVALID_ARGUMENT for an unknown number, ELU4J_ERR_UNSUPPORTED_ISA when the CPU lacks
 * it. All ISAs give bit-identical results.
 */
ELU4J_API int elu4j_elu_f32_isa(int isa, const void *src, void *dst, size_t n, float alpha);

#ifdef __cplusplus
}
#endif

#endif /* ELU4J_H */
