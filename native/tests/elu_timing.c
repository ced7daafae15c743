/*
 * elu4j native timing: elements per nanosecond of f32 ELU (elu4j_forward, alpha = 1: the float
 * kernel) per ISA level (elu4j_pin_isa) and size.
 *
 * Single thread, f32, alpha = 1, out of place, 64-byte-aligned buffers, inputs uniform in
 * [-4, 4]. For each size, runs batches of calls lasting about 20 ms and reports the best of
 * several batches (the machine is noisy; the best batch is the least disturbed one).
 * Built by CMake but not run by ctest.
 *
 *   elu_timing [batches]     (default 7)
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "test_util.h"

#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const int batches = argc > 1 ? atoi(argv[1]) : 7;
    static const size_t sizes[] = {256, 4096, 65536, 1u << 20, 1u << 24};
    const size_t n_sizes = sizeof sizes / sizeof sizes[0];
    const size_t max_n = sizes[n_sizes - 1];

    float *src = aligned_alloc(64, max_n * sizeof(float));
    float *dst = aligned_alloc(64, max_n * sizeof(float));
    if (src == NULL || dst == NULL) {
        fprintf(stderr, "out of memory\n");
        return EXIT_FAILURE;
    }
    uint64_t state = 12345;
    for (size_t i = 0; i < max_n; i++) {
        src[i] = rng_uniform(&state, -4.0f, 4.0f);
    }
    memset(dst, 0, max_n * sizeof(float)); /* fault the pages in before timing */

    printf("elu4j %s, best ISA %s; elements/ns, best of %d batches (alpha = 1, out of place)\n",
           elu4j_version_string(), elu4j_isa_name(elu4j_best_isa()), batches);
    printf("%-9s", "isa");
    for (size_t s = 0; s < n_sizes; s++) {
        printf(" %9zu", sizes[s]);
    }
    printf("\n");
    for (int ii = 0; ii < N_ISAS; ii++) {
        const int isa = k_all_isas[ii];
        if (!elu4j_isa_supported(isa)) {
            printf("%-9s (not supported)\n", elu4j_isa_name(isa));
            continue;
        }
        printf("%-9s", elu4j_isa_name(isa));
        elu4j_pin_isa(isa);
        for (size_t s = 0; s < n_sizes; s++) {
            const size_t n = sizes[s];
            /* Calibrate the number of calls per batch to ~20 ms. */
            size_t reps = 1;
            for (;;) {
                const double t0 = now_ns();
                for (size_t r = 0; r < reps; r++) {
                    (void)elu_f32(src, dst, n, 1.0f);
                }
                const double dt = now_ns() - t0;
                if (dt > 5e6 || reps > ((size_t)1 << 30)) {
                    reps = (size_t)((double)reps * 2e7 / dt) + 1;
                    break;
                }
                reps *= 4;
            }
            double best = 0.0;
            for (int b = 0; b < batches; b++) {
                const double t0 = now_ns();
                for (size_t r = 0; r < reps; r++) {
                    (void)elu_f32(src, dst, n, 1.0f);
                }
                const double rate = (double)n * (double)reps / (now_ns() - t0);
                if (rate > best) {
                    best = rate;
                }
            }
            printf(" %9.3f", best);
            fflush(stdout);
        }
        printf("\n");
    }
    elu4j_pin_isa(ELU4J_ISA_BEST);
    free(src);
    free(dst);
    return EXIT_SUCCESS;
}
