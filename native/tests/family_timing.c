/*
 * elu4j native timing: elements per nanosecond of elu4j_forward / elu4j_backward per function,
 * dtype and ISA level (elu4j_pin_isa; single thread, out of place, 64-byte-aligned buffers, inputs uniform
 * in [-4, 4], dy uniform in [-1, 1], y = f(x) for the backward from the output, best of several
 * ~20 ms batches). Built by CMake but not run by ctest.
 *
 *   family_timing [n] [batches] [rows] [isa]     (defaults 65536, 5, all rows, all levels)
 *
 * rows: only the rows whose name contains this string ("fwd", "selu", "elu(1) fwd"); isa: only
 * this level (portable, avx2, avx512). So that one line, e.g. family_timing 16777216 5 fwd
 * avx512, measures a few cells in seconds, not every cell at every size.
 *
 * ELU4J_TIMING_CLOCK=thread in the environment times with the thread's CPU time instead of the
 * wall clock: on a machine shared with other work, time spent descheduled then does not count
 * (what other programs do to the caches and memory bandwidth still does).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "test_util.h"

#include <time.h>

static clockid_t g_clock = CLOCK_MONOTONIC;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(g_clock, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct cfg {
    const char *name;
    int fn, dir; /* dir: 0 forward, 1 backward from src, 2 backward from dst */
    double a, s, is;
} cfg;

static const cfg k_cfgs[] = {
    {"elu(1) fwd", ELU4J_FN_ELU, 0, 1.0, 1.0, 1.0},
    {"elu(1.5) fwd", ELU4J_FN_ELU, 0, 1.5, 1.0, 1.0},
    {"selu fwd", ELU4J_FN_ELU, 0, 1.6732632423543772, 1.0507009873554805, 1.0},
    {"celu(0.3) fwd", ELU4J_FN_ELU, 0, 0.3, 1.0, 1.0 / 0.3},
    {"relu fwd", ELU4J_FN_RELU, 0, 0.0, 1.0, 1.0},
    {"leaky fwd", ELU4J_FN_LEAKY_RELU, 0, 0.01, 1.0, 1.0},
    {"elu(1) bwd(x)", ELU4J_FN_ELU, 1, 1.0, 1.0, 1.0},
    {"elu(1) bwd(y)", ELU4J_FN_ELU, 2, 1.0, 1.0, 1.0},
    {"selu bwd(x)", ELU4J_FN_ELU, 1, 1.6732632423543772, 1.0507009873554805, 1.0},
    {"selu bwd(y)", ELU4J_FN_ELU, 2, 1.6732632423543772, 1.0507009873554805, 1.0},
    {"celu(0.7) bwd(y)", ELU4J_FN_ELU, 2, 0.7, 1.0, 1.0 / 0.7},
};

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? (size_t)atol(argv[1]) : 65536;
    const int batches = argc > 2 ? atoi(argv[2]) : 5;
    const char *rows = argc > 3 ? argv[3] : "";
    const char *only_isa = argc > 4 ? argv[4] : NULL;
    const char *clock_name = getenv("ELU4J_TIMING_CLOCK");
    if (clock_name != NULL && strcmp(clock_name, "thread") == 0) {
        g_clock = CLOCK_THREAD_CPUTIME_ID;
    }
    static const int dts[] = {ELU4J_DT_F32, ELU4J_DT_F64, ELU4J_DT_BF16, ELU4J_DT_F16};
    static const char *const dt_names[] = {"f32", "f64", "bf16", "f16"};
    unsigned char *x = aligned_alloc(64, n * 8 + 64), *g = aligned_alloc(64, n * 8 + 64),
                  *y = aligned_alloc(64, n * 8 + 64), *fx = aligned_alloc(64, n * 8 + 64);
    if (!x || !g || !y || !fx) {
        return EXIT_FAILURE;
    }
    printf("elu4j family, n = %zu, elements/ns (best of %d%s), columns: ISA / dtype\n%-16s", n, batches,
           g_clock == CLOCK_MONOTONIC ? "" : ", thread CPU time", "");
    for (int ii = 0; ii < N_ISAS; ii++) {
        if (only_isa && strcmp(only_isa, elu4j_isa_name(k_all_isas[ii])) != 0) {
            continue;
        }
        for (int d = 0; d < 4; d++) {
            char h[32];
            snprintf(h, sizeof h, "%s/%s", elu4j_isa_name(k_all_isas[ii]), dt_names[d]);
            printf(" %13s", h);
        }
    }
    printf("\n");
    for (size_t c = 0; c < sizeof k_cfgs / sizeof k_cfgs[0]; c++) {
        const cfg *k = &k_cfgs[c];
        if (strstr(k->name, rows) == NULL) {
            continue;
        }
        printf("%-16s", k->name);
        for (int ii = 0; ii < N_ISAS; ii++) {
            const int isa = k_all_isas[ii];
            if (only_isa && strcmp(only_isa, elu4j_isa_name(isa)) != 0) {
                continue;
            }
            for (int d = 0; d < 4; d++) {
                if (!elu4j_isa_supported(isa)) {
                    printf(" %13s", "-");
                    continue;
                }
                const int dt = dts[d];
                uint64_t st = 99;
                for (size_t i = 0; i < n; i++) {
                    const float f = rng_uniform(&st, -4.0f, 4.0f), gf = rng_uniform(&st, -1.0f, 1.0f);
                    if (dt == ELU4J_DT_F32) {
                        memcpy(x + 4 * i, &f, 4);
                        memcpy(g + 4 * i, &gf, 4);
                    } else if (dt == ELU4J_DT_F64) {
                        const double v = f, gv = gf;
                        memcpy(x + 8 * i, &v, 8);
                        memcpy(g + 8 * i, &gv, 8);
                    } else {
                        const uint16_t h = (uint16_t)(bits_of(f) >> 16), hg = (uint16_t)(bits_of(gf) >> 16);
                        const uint16_t h16 = (uint16_t)(bits_of(f * 0x1p-112f) >> 13); /* f16 bits of ~f */
                        memcpy(x + 2 * i, dt == ELU4J_DT_BF16 ? &h : &h16, 2);
                        memcpy(g + 2 * i, &hg, 2);
                    }
                }
                elu4j_pin_isa(isa);
                /* from the output: y = f(x), as a training step has it (an arbitrary y below
                   -alpha * scale is no output, and the kernels leave it to their rare path) */
                const unsigned char *in = x;
                if (k->dir == 2) {
                    elu4j_forward(k->fn, dt, x, fx, n, k->a, k->s, k->is);
                    in = fx;
                }
                size_t reps = 1;
                double best = 0;
                for (int b = 0; b < batches + 1; b++) {
                    const double t0 = now_ns();
                    for (size_t r = 0; r < reps; r++) {
                        if (k->dir == 0) {
                            elu4j_forward(k->fn, dt, x, y, n, k->a, k->s, k->is);
                        } else {
                            elu4j_backward(k->fn, dt, k->dir == 2, g, in, y, n, k->a, k->s, k->is);
                        }
                    }
                    const double dtm = now_ns() - t0;
                    const double rate = (double)n * (double)reps / dtm;
                    if (b == 0) {
                        reps = (size_t)(2e7 / (dtm / (double)reps)) + 1; /* ~20 ms batches */
                    } else if (rate > best) {
                        best = rate;
                    }
                }
                elu4j_pin_isa(ELU4J_ISA_BEST);
                printf(" %13.3f", best);
            }
        }
        printf("\n");
    }
    free(fx);
    free(x);
    free(g);
    free(y);
    return 0;
}
