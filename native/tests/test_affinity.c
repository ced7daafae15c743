/*
 * elu4j_forward_mt with threads <= 0 sizes its pool by the CPUs the process may run on, not the
 * host's online CPUs: pinned to one CPU (as taskset or a container's cpuset would), a parallel
 * call starts no worker thread. Skipped (77) where the process already runs on one CPU only, as
 * the test would then pass whatever the library did.
 */
#define _GNU_SOURCE
#include "elu4j.h"
#include "test_threads.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof mask, &mask) != 0 || CPU_COUNT(&mask) < 2) {
        printf("SKIP: this process may run on one CPU only: nothing to narrow\n");
        return 77;
    }
    int first = 0;
    while (!CPU_ISSET(first, &mask)) {
        first++;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
        printf("SKIP: sched_setaffinity refused\n");
        return 77;
    }
    const size_t n = elu4j_mt_min_elements() * 4;
    float *src = malloc(n * sizeof(float)), *dst = malloc(n * sizeof(float));
    if (src == NULL || dst == NULL) {
        printf("FAIL: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        src[i] = (float)i / (float)n - 0.5f;
    }
    const int before = other_threads(NULL, 0);
    const int status = elu4j_forward_mt(ELU4J_FN_ELU, ELU4J_DT_F32, src, dst, n, 1.0, 1.0, 1.0, 0);
    const int after = other_threads(NULL, 0);
    free(src);
    free(dst);
    if (status != ELU4J_OK) {
        printf("FAIL: elu4j_forward_mt returned %d\n", status);
        return 1;
    }
    if (before != 0 || after != before) {
        printf("FAIL: pinned to CPU %d, threads besides main before the call %d, after %d: the pool started "
               "workers for CPUs the process may not use\n", first, before, after);
        return 1;
    }
    printf("ok: pinned to one CPU of %d, the parallel call started no worker\n", CPU_COUNT(&mask));
    return 0;
}
