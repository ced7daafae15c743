/*
 * elu4j native timing programs (elu4j_cbench, half_cbench, dnnl_callpath): what they share. Each
 * defines BENCH_NAME (its name in error messages) and _POSIX_C_SOURCE before including this.
 * Timing programs exit on a failed oneDNN call; the library itself never does.
 */
#ifndef ELU4J_BENCH_UTIL_H
#define ELU4J_BENCH_UTIL_H

#include <oneapi/dnnl/dnnl.h>

#include <stdio.h>
#include <stdlib.h>
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

#endif /* ELU4J_BENCH_UTIL_H */
