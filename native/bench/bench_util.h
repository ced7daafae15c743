/*
 * elu4j native timing programs (elu4j_cbench, half_cbench, bwd_cbench, dnnl_callpath): what they
 * share. Each defines BENCH_NAME (its name in error messages) and _POSIX_C_SOURCE before including
 * this.
 * Timing programs exit on a failed oneDNN call; the library itself never does.
 */
#ifndef ELU4J_BENCH_UTIL_H
#define ELU4J_BENCH_UTIL_H

#include "elu4j.h"

#include <oneapi/dnnl/dnnl.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DNNL_CHECK(call)                                                                          \
    do {                                                                                          \
        const dnnl_status_t st_ = (call);                                                         \
        if (st_ != dnnl_success) {                                                                \
            fprintf(stderr, BENCH_NAME ": %s failed with dnnl_status %d\n", #call, (int)st_);    \
            exit(EXIT_FAILURE);                                                                   \
        }                                                                                         \
    } while (0)

static inline double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* qsort's comparison for doubles (the medians of the batches). */
static inline int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* bf16 bits as a float, and a finite float rounded to bf16 (nearest even). */
static inline float bf16_to_f(uint16_t h)
{
    const uint32_t b = (uint32_t)h << 16;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static inline uint16_t f_to_bf16(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

/* A CPU engine and its stream. */
static inline void bench_open(dnnl_engine_t *engine, dnnl_stream_t *stream)
{
    DNNL_CHECK(dnnl_engine_create(engine, dnnl_cpu, 0));
    DNNL_CHECK(dnnl_stream_create(stream, *engine, dnnl_stream_default_flags));
}

/* The start of a result's first line: "# NAME: oneDNN x.y.z, helper V (ISA); OMP_NUM_THREADS=N; ". */
static inline void bench_print_versions(void)
{
    const dnnl_version_t *v = dnnl_version();
    const char *omp = getenv("OMP_NUM_THREADS");
    printf("# " BENCH_NAME ": oneDNN %d.%d.%d, helper %s (%s); OMP_NUM_THREADS=%s; ", v->major,
           v->minor, v->patch, elu4j_version_string(), elu4j_isa_name(elu4j_active_isa()),
           omp ? omp : "unset");
}

#endif /* ELU4J_BENCH_UTIL_H */
