/*
 * elu4j native timing: serial elu4j_forward against parallel elu4j_forward_mt (f32 ELU) per size and
 * thread count, in elements per ns (higher is better), measured side by side: for each size the
 * serial and parallel batches alternate, and each column reports its best batch (the machine is
 * noisy; the best batch is the least disturbed one). Out of place, alpha = 1, 64-byte-aligned
 * buffers, inputs uniform in [-4, 4].
 *
 * Linked against the library variant that runs every call of 2+ floats in parallel
 * (ELU4J_MT_MIN_ELEMENTS = 1), so the parallel columns show what the pool costs at every size;
 * that is how the threshold of elu4j_parallel.c was chosen. Built by CMake, not run by ctest.
 *
 *   elu_mt_timing [batches] [threads...]     (default 7 batches; threads 2)
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

/* threads 1 = the serial entry point itself. */
static void call(const float *src, float *dst, size_t n, int threads)
{
    if (threads == 1) {
        (void)elu_f32(src, dst, n, 1.0f);
    } else {
        (void)elu_f32_mt(src, dst, n, 1.0f, threads);
    }
}

/* Calls per batch so that one batch of the serial call lasts about 10 ms. */
static size_t calibrate(const float *src, float *dst, size_t n)
{
    size_t reps = 1;
    for (;;) {
        const double t0 = now_ns();
        for (size_t r = 0; r < reps; r++) {
            call(src, dst, n, 1);
        }
        const double dt = now_ns() - t0;
        if (dt > 2e6 || reps > ((size_t)1 << 30)) {
            return (size_t)((double)reps * 1e7 / dt) + 1;
        }
        reps *= 4;
    }
}

int main(int argc, char **argv)
{
    const int batches = argc > 1 ? atoi(argv[1]) : 7;
    int threads[8] = {1, 2}; /* serial first, then the given counts (default 2) */
    int n_threads = 2;
    if (argc > 2) {
        n_threads = 1;
        for (int a = 2; a < argc && n_threads < 8; a++) {
            threads[n_threads++] = atoi(argv[a]);
        }
    }
    static const size_t sizes[] = {256,    4096,   16384,   32768,   65536,   98304,
                                   131072, 262144, 524288, 1u << 20, 4u << 20, 1u << 24};
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
    memset(dst, 0, max_n * sizeof(float));

    printf("# elu4j %s, best ISA %s, parallel threshold of this build %zu; el/ns, best of %d "
           "alternating batches (alpha = 1, out of place)\n",
           elu4j_version_string(), elu4j_isa_name(elu4j_best_isa()), elu4j_mt_min_elements(),
           batches);
    printf("%10s", "size");
    for (int t = 0; t < n_threads; t++) {
        printf(threads[t] == 1 ? "    serial" : "  %2d thr  ", threads[t]);
    }
    printf("  speedup\n");
    for (size_t s = 0; s < n_sizes; s++) {
        const size_t n = sizes[s];
        const size_t reps = calibrate(src, dst, n);
        double best[8] = {0};
        for (int b = 0; b < batches; b++) {
            for (int t = 0; t < n_threads; t++) {
                const double t0 = now_ns();
                for (size_t r = 0; r < reps; r++) {
                    call(src, dst, n, threads[t]);
                }
                const double rate = (double)n * (double)reps / (now_ns() - t0);
                if (rate > best[t]) {
                    best[t] = rate;
                }
            }
        }
        printf("%10zu", n);
        for (int t = 0; t < n_threads; t++) {
            printf("  %8.3f", best[t]);
        }
        printf("  %6.2fx\n", best[1] / best[0]);
        fflush(stdout);
    }
    free(src);
    free(dst);
    return EXIT_SUCCESS;
}
