/*
 * elu4j native tests (g2): elu4j_forward_mt on every type and kind of function (test_parallel
 * holds f32 ELU to its grid of sizes, offsets and thread counts, its concurrency and fall-backs).
 *
 * Forward of f32, f64, bf16 and f16 for ELU(1) (f32's own kernel), SELU and CELU (the general
 * kernel), a negative input scale (its fix-up), ReLU and LeakyReLU, at sizes whose chunks end
 * inside a cache line for 2- and 8-byte elements, out of place (aligned, and dst at an odd byte)
 * and in place: the bits of the serial call, the source unchanged, the guards untouched.
 *
 * Built twice: against libelu4j, where the sizes from the threshold on may take the pool, and
 * against the elu4j_mt_always variant, where every call of two elements or more takes it (its
 * back-off cleared before each call): that count is checked, so a split that never ran fails.
 *
 * --light (valgrind): the three smallest sizes only.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */

#include "test_util.h"
#include "test_mt_hooks.h"

#include <sched.h>

#define GUARD 64

static int g_light;

typedef struct mt_fn {
    const char *name;
    int function;
    double alpha, scale, input_scale;
} mt_fn;

static void test_every_type_and_function(void)
{
    static const mt_fn fns[] = {
        {"elu(1)", ELU4J_FN_ELU, 1.0, 1.0, 1.0},
        {"selu", ELU4J_FN_ELU, 1.6732632423543772, 1.0507009873554805, 1.0},
        {"celu(0.5)", ELU4J_FN_ELU, 0.5, 1.0, 2.0},
        {"elu(1.5,2,-0.3)", ELU4J_FN_ELU, 1.5, 2.0, -0.3},
        {"relu", ELU4J_FN_RELU, 0.0, 1.0, 1.0},
        {"leaky(0.01)", ELU4J_FN_LEAKY_RELU, 0.01, 1.0, 1.0},
    };
    static const int dtypes[] = {ELU4J_DT_F32, ELU4J_DT_F64, ELU4J_DT_BF16, ELU4J_DT_F16};
    static const int threads[] = {0, 3};
    const size_t min = elu4j_mt_min_elements();
    const size_t small[] = {1, 17, 63, 1001, 4097, 65537};
    const size_t n_small = g_light ? 3 : sizeof small / sizeof small[0];
    const size_t cap = min + 33 > 65537 ? min + 33 : 65537;
    const size_t block = GUARD + 8 + cap * 8 + GUARD; /* 8: the largest element, and room for dst_off 3 */
    unsigned char *input = malloc(cap * 8), *expect = malloc(cap * 8);
    unsigned char *src_block = malloc(block), *dst_block = malloc(block);
    if (!input || !expect || !src_block || !dst_block) {
        CHECK(0, "out of memory");
        free(input), free(expect), free(src_block), free(dst_block);
        return;
    }
    long calls = 0, on_pool = 0, pool_possible = 0;
    /* the CPUs this process may run on, as the pool counts them (taskset, a cpuset) */
    cpu_set_t mask;
    const int cpus = sched_getaffinity(0, sizeof mask, &mask) == 0 ? CPU_COUNT(&mask) : 1;
    for (size_t di = 0; di < sizeof dtypes / sizeof dtypes[0]; di++) {
        const int dt = dtypes[di];
        const size_t es = elu4j_dtype_size(dt);
        /* ordinary values with the specials among them: floats widened or cut to the type */
        uint64_t state = 0x5eedu + (uint64_t)dt;
        float *f = malloc(cap * sizeof(float));
        if (!f) {
            CHECK(0, "out of memory");
            break;
        }
        fill_mixed_inputs(f, cap, state);
        for (size_t i = 0; i < cap; i++) {
            const uint32_t b = bits_of(f[i]);
            if (dt == ELU4J_DT_F32) {
                memcpy(input + 4 * i, &b, 4);
            } else if (dt == ELU4J_DT_F64) {
                const double d = (double)f[i] * (1.0 + 0x1p-40 * (double)(rng_next(&state) & 0xff));
                memcpy(input + 8 * i, &d, 8);
            } else { /* bf16: the float's top half; f16: a random pattern, every class among them */
                const uint16_t h = dt == ELU4J_DT_BF16 ? (uint16_t)(b >> 16) : (uint16_t)rng_next(&state);
                memcpy(input + 2 * i, &h, 2);
            }
        }
        free(f);
        for (size_t fi = 0; fi < sizeof fns / sizeof fns[0]; fi++) {
            const mt_fn *fn = &fns[fi];
            for (size_t si = 0; si < n_small + 2; si++) {
                const size_t n = si < n_small ? small[si] : min + (si == n_small ? 0 : 33);
                if (si >= n_small && g_light) {
                    continue; /* light: the threshold's sizes are the plain program's */
                }
                CHECK(elu4j_forward(fn->function, dt, input, expect, n, fn->alpha, fn->scale, fn->input_scale) ==
                          ELU4J_OK, "%s serial dtype %d n=%zu", fn->name, dt, n);
                for (int mode = 0; mode < 3; mode++) { /* aligned, dst at an odd byte, in place */
                    const size_t dst_off = mode == 1 ? 3 : 0, bytes = n * es;
                    const size_t used = GUARD + dst_off + bytes + GUARD;
                    memset(dst_block, GUARD_BYTE, used);
                    unsigned char *dst = dst_block + GUARD + dst_off;
                    const unsigned char *src = dst;
                    if (mode == 2) {
                        memcpy(dst, input, bytes);
                    } else {
                        /* at the end of its allocation: a read past it is ASan's and valgrind's to see */
                        unsigned char *at_end = src_block + block - bytes;
                        memcpy(at_end, input, bytes);
                        src = at_end;
                    }
                    const int t = threads[(si + (size_t)mode) % 2];
                    no_back_off();
                    const unsigned long parallel0 = elu4j_mt_test_counters != NULL ? counter(PARALLEL) : 0;
                    const int status = elu4j_forward_mt(fn->function, dt, src, dst, n, fn->alpha, fn->scale,
                                                        fn->input_scale, t);
                    CHECK(status == ELU4J_OK && memcmp(dst, expect, bytes) == 0 &&
                              (mode == 2 || memcmp(src, input, bytes) == 0) &&
                              guards_ok(dst_block, used, GUARD + dst_off, bytes),
                          "%s dtype %d n=%zu mode %d threads %d: status %d, not the serial bits", fn->name, dt,
                          n, mode, t, status);
                    calls++;
                    if (elu4j_mt_test_counters != NULL) {
                        on_pool += counter(PARALLEL) - parallel0;
                        pool_possible += n >= 2 && cpus >= 2;
                    }
                }
            }
        }
    }
    if (elu4j_mt_test_counters != NULL) {
        printf("every type and function: %ld calls, %ld of them on the pool\n", calls, on_pool);
    } else {
        printf("every type and function: %ld calls (the sizes from the threshold on may take the pool)\n", calls);
    }
    /* Each call of two elements or more takes the pool in this variant (the chunks above ran
       through its split). */
    CHECK(elu4j_mt_test_counters == NULL || on_pool == pool_possible, "%ld of %ld calls on the pool", on_pool,
          pool_possible);
    free(input), free(expect), free(src_block), free(dst_block);
}

int main(int argc, char **argv)
{
    g_light = argc > 1 && strcmp(argv[1], "--light") == 0;
    printf("elu4j_mt_min_elements() = %zu, best ISA %s\n", elu4j_mt_min_elements(),
           elu4j_isa_name(elu4j_best_isa()));
    test_every_type_and_function();
    return test_summary("test_parallel_types");
}
