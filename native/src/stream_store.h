/*
 * elu4j native helper: the "streaming or ordinary store" choice of the x86 kernels (AVX2 and
 * AVX-512 levels; elu4j_internal.h has when a call streams and why). Included by kernels_avx2.c
 * and kernels_avx512.c, whose flags decide which vector widths exist here.
 *
 * A kernel loop that may stream takes `stream` as a compile-time constant (its inline function is
 * instantiated with 0 and 1) and writes every whole vector with ELU4J_STORE(p, v, stream); its
 * masked or partial stores (the tail) stay ordinary. ELU4J_STREAMED runs such a loop over a call:
 * the elements before dst's first 64-byte boundary with stream = 0, the rest with stream = 1, so
 * that every streamed vector lies on an aligned address and the streamed vectors fill whole cache
 * lines (a write-combining buffer then goes to memory as one full line), then an sfence, which
 * orders the weakly ordered streaming stores before whatever the caller does next (the release
 * of a mutex to another thread included). Only the store instruction changes: the loop computes
 * the same values either way, so a kernel whose elements are independent gives the same bits.
 */
#ifndef ELU4J_STREAM_STORE_H
#define ELU4J_STREAM_STORE_H

#include "elu4j_internal.h"

#include <immintrin.h>

#if defined(__GNUC__)
#define ELU4J_SS_INLINE static inline __attribute__((always_inline))
#else
#define ELU4J_SS_INLINE static inline
#endif

/* One whole vector v to p: streamed (p then aligned to the vector's size) or not. */
#define ELU4J_SS_DEFINE(NAME, TYPE, STREAM, STOREU)                                               \
    ELU4J_SS_INLINE void NAME(void *p, TYPE v, const int stream)                                 \
    {                                                                                            \
        if (stream) {                                                                            \
            STREAM(p, v);                                                                        \
        } else {                                                                                 \
            STOREU(p, v);                                                                        \
        }                                                                                        \
    }

#define ELU4J_SS_PS256(p, v) _mm256_stream_ps((float *)(p), v)
#define ELU4J_SS_PSU256(p, v) _mm256_storeu_ps((float *)(p), v)
#define ELU4J_SS_PD256(p, v) _mm256_stream_pd((double *)(p), v)
#define ELU4J_SS_PDU256(p, v) _mm256_storeu_pd((double *)(p), v)
#define ELU4J_SS_SI256(p, v) _mm256_stream_si256((__m256i *)(p), v)
#define ELU4J_SS_SIU256(p, v) _mm256_storeu_si256((__m256i *)(p), v)
#define ELU4J_SS_SI128(p, v) _mm_stream_si128((__m128i *)(p), v)
#define ELU4J_SS_SIU128(p, v) _mm_storeu_si128((__m128i *)(p), v)
ELU4J_SS_DEFINE(elu4j_store_ps256, __m256, ELU4J_SS_PS256, ELU4J_SS_PSU256)
ELU4J_SS_DEFINE(elu4j_store_pd256, __m256d, ELU4J_SS_PD256, ELU4J_SS_PDU256)
ELU4J_SS_DEFINE(elu4j_store_si256, __m256i, ELU4J_SS_SI256, ELU4J_SS_SIU256)
ELU4J_SS_DEFINE(elu4j_store_si128, __m128i, ELU4J_SS_SI128, ELU4J_SS_SIU128)

#if defined(__AVX512F__)
#define ELU4J_SS_PS512(p, v) _mm512_stream_ps((float *)(p), v)
#define ELU4J_SS_PD512(p, v) _mm512_stream_pd((double *)(p), v)
#define ELU4J_SS_SI512(p, v) _mm512_stream_si512((__m512i *)(p), v)
ELU4J_SS_DEFINE(elu4j_store_ps512, __m512, ELU4J_SS_PS512, _mm512_storeu_ps)
ELU4J_SS_DEFINE(elu4j_store_pd512, __m512d, ELU4J_SS_PD512, _mm512_storeu_pd)
ELU4J_SS_DEFINE(elu4j_store_si512, __m512i, ELU4J_SS_SI512, _mm512_storeu_si512)
#define ELU4J_SS_512 __m512 : elu4j_store_ps512, __m512d : elu4j_store_pd512, __m512i : elu4j_store_si512,
#else
#define ELU4J_SS_512
#endif

/* Stores the whole vector V (any of the types above) at P: streamed when STREAM, else ordinary. */
#define ELU4J_STORE(P, V, STREAM)                                                                 \
    _Generic((V), ELU4J_SS_512 __m256 : elu4j_store_ps256, __m256d : elu4j_store_pd256,           \
             __m256i : elu4j_store_si256, __m128i : elu4j_store_si128)((void *)(P), (V), (STREAM))

/*
 * Runs a call's n elements with FN(..., i0, n1, stream), which runs the kernel loop on the elements
 * [i0, n1) with the constant stream: all of them with stream = 0 when STREAM is 0; else those
 * before the first 64-byte boundary of DST (ES bytes an element) with 0, the rest with 1 and an
 * sfence after them.
 */
#define ELU4J_STREAMED(STREAM, DST, ES, N, FN, ...)                                              \
    do {                                                                                         \
        const size_t elu4j_head_ = elu4j_stream_head((STREAM), (DST), (ES), (N));               \
        FN(__VA_ARGS__, 0, elu4j_head_, 0);                                                      \
        if (elu4j_head_ < (N)) {                                                                 \
            FN(__VA_ARGS__, elu4j_head_, (N), 1);                                                \
            _mm_sfence();                                                                        \
        }                                                                                        \
    } while (0)

#endif /* ELU4J_STREAM_STORE_H */
