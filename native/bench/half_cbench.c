/*
 * half_cbench: bf16 ELU forward from C, oneDNN's eltwise against the helper (elu4j_forward),
 * with the helper's f32 call beside them for the ratio bf16 / f32.
 *
 *   alpha 1    the helper's float kernel (fused bf16 on AVX-512);
 *   alpha 1.5  the helper's general kernel (likewise), oneDNN's same ELU primitive.
 *
 * Single thread as far as this program is concerned (oneDNN's OpenMP threads follow
 * OMP_NUM_THREADS: set it to 1), out of place, 64-byte-aligned buffers, inputs uniform in [-4, 4)
 * from a fixed seed, rounded to bf16. The first call of each path is checked (the helper's bf16
 * against its f32 result rounded to bf16, bit for bit; oneDNN's within 2^-7 relative, bf16's
 * precision); then batches of calls lasting ~20 ms each are timed, and the median batch is
 * reported. oneDNN has no f16 eltwise without AVX512-FP16, so f16 is not compared here.
 *
 *   half_cbench [sizes...]    (default 4096 65536 1048576 16777216)
 *
 * Built by CMake when DNNL_ROOT is set; not a ctest.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "elu4j.h"

#include <oneapi/dnnl/dnnl.h>

#define BENCH_NAME "half_cbench"
#include "bench_util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCHES 9
#define BATCH_NS 2e7


enum path { ONEDNN_BF16, HELPER_BF16, HELPER_F32 };

struct target {
    enum path path;
    dnnl_primitive_t prim;
    dnnl_stream_t stream;
    dnnl_exec_arg_t args[2];
    const void *src;
    void *dst;
    size_t n;
    double alpha;
};

static void call_once(const struct target *t)
{
    if (t->path == ONEDNN_BF16) {
        DNNL_CHECK(dnnl_primitive_execute(t->prim, t->stream, 2, t->args));
        DNNL_CHECK(dnnl_stream_wait(t->stream));
        return;
    }
    const int dt = t->path == HELPER_BF16 ? ELU4J_DT_BF16 : ELU4J_DT_F32;
    const int st = elu4j_forward(ELU4J_FN_ELU, dt, t->src, t->dst, t->n, t->alpha, 1.0, 1.0);
    if (st != ELU4J_OK) {
        fprintf(stderr, "half_cbench: elu4j_forward failed: %s\n", elu4j_status_name(st));
        exit(EXIT_FAILURE);
    }
}

/* Median ns per call over BATCHES batches of about BATCH_NS each. */
static double time_calls(const struct target *t)
{
    size_t reps = 1;
    for (;;) {
        const double t0 = now_ns();
        for (size_t r = 0; r < reps; r++) {
            call_once(t);
        }
        const double dt = now_ns() - t0;
        if (dt > BATCH_NS / 4) {
            reps = (size_t)((double)reps * BATCH_NS / dt) + 1;
            break;
        }
        reps *= 4;
    }
    double per_call[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        const double t0 = now_ns();
        for (size_t r = 0; r < reps; r++) {
            call_once(t);
        }
        per_call[b] = (now_ns() - t0) / (double)reps;
    }
    qsort(per_call, BATCHES, sizeof per_call[0], compare_doubles);
    return per_call[BATCHES / 2];
}

int main(int argc, char **argv)
{
    static size_t sizes[16] = {4096, 65536, (size_t)1 << 20, (size_t)1 << 24};
    size_t n_sizes = 4;
    if (argc > 1) {
        n_sizes = 0;
        for (int i = 1; i < argc && n_sizes < 16; i++) {
            sizes[n_sizes++] = (size_t)strtoull(argv[i], NULL, 10);
        }
    }
    size_t max_n = 0;
    for (size_t s = 0; s < n_sizes; s++) {
        max_n = sizes[s] > max_n ? sizes[s] : max_n;
    }
    uint16_t *hx = aligned_alloc(64, max_n * 2 + 64), *hy = aligned_alloc(64, max_n * 2 + 64);
    float *fx = aligned_alloc(64, max_n * 4 + 64), *fy = aligned_alloc(64, max_n * 4 + 64);
    if (hx == NULL || hy == NULL || fx == NULL || fy == NULL) {
        fprintf(stderr, "half_cbench: out of memory\n");
        return EXIT_FAILURE;
    }
    uint64_t state = 42;
    for (size_t i = 0; i < max_n; i++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        hx[i] = f_to_bf16((float)((double)(state >> 40) * 0x1p-24 * 8.0 - 4.0));
        fx[i] = bf16_to_f(hx[i]);
    }
    memset(hy, 0, max_n * 2);
    memset(fy, 0, max_n * 4);

    dnnl_engine_t engine;
    dnnl_stream_t stream;
    bench_open(&engine, &stream);
    bench_print_versions();
    printf("median of %d batches of ~%.0f ms\n", BATCHES, BATCH_NS / 1e6);
    printf("alpha\tsize\tonednn_bf16\thelper_bf16\thelper_f32\thelper_bf16/onednn_bf16\thelper_bf16/"
           "helper_f32\t(el/ns; onednn impl)\n");
    static const double alphas[] = {1.0, 1.5};
    for (size_t a = 0; a < 2; a++) {
        for (size_t s = 0; s < n_sizes; s++) {
            const size_t n = sizes[s];
            const dnnl_dims_t dims = {(dnnl_dim_t)n};
            dnnl_memory_desc_t md;
            dnnl_primitive_desc_t pd;
            dnnl_primitive_t prim;
            DNNL_CHECK(dnnl_memory_desc_create_with_tag(&md, 1, dims, dnnl_bf16, dnnl_a));
            DNNL_CHECK(dnnl_eltwise_forward_primitive_desc_create(&pd, engine, dnnl_forward_inference,
                                                                  dnnl_eltwise_elu, md, md,
                                                                  (float)alphas[a], 0.0f, NULL));
            const char *impl = NULL;
            DNNL_CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
            char impl_buf[64];
            snprintf(impl_buf, sizeof impl_buf, "%s", impl ? impl : "?");
            DNNL_CHECK(dnnl_primitive_create(&prim, pd));
            DNNL_CHECK(dnnl_primitive_desc_destroy(pd));
            dnnl_memory_t src_mem, dst_mem;
            DNNL_CHECK(dnnl_memory_create(&src_mem, md, engine, hx));
            DNNL_CHECK(dnnl_memory_create(&dst_mem, md, engine, hy));
            double rate[3];
            for (int p = ONEDNN_BF16; p <= HELPER_F32; p++) {
                const struct target t = {.path = (enum path)p,
                                         .prim = prim,
                                         .stream = stream,
                                         .args = {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_DST, dst_mem}},
                                         .src = p == HELPER_F32 ? (const void *)fx : (const void *)hx,
                                         .dst = p == HELPER_F32 ? (void *)fy : (void *)hy,
                                         .n = n,
                                         .alpha = alphas[a]};
                call_once(&t);
                if (p != HELPER_F32) { /* checked against expm1 within bf16's precision */
                    for (size_t i = 0; i < n; i++) {
                        const double x = bf16_to_f(hx[i]);
                        const double want = x > 0 ? x : alphas[a] * expm1(x);
                        const double got = bf16_to_f(hy[i]);
                        if (!(fabs(got - want) <= 0x1p-7 * fabs(want) + 1e-30)) {
                            fprintf(stderr, "half_cbench: %s n=%zu: ELU(%a) = %a, got %a\n",
                                    p == ONEDNN_BF16 ? "onednn" : "helper", n, x, want, got);
                            return EXIT_FAILURE;
                        }
                    }
                }
                rate[p] = (double)n / time_calls(&t);
            }
            for (size_t i = 0; i < n; i++) { /* the helper's bf16: its f32 result rounded */
                if (hy[i] != f_to_bf16(fy[i])) {
                    fprintf(stderr, "half_cbench: helper bf16 n=%zu: at %zu not the rounded f32 result\n", n, i);
                    return EXIT_FAILURE;
                }
            }
            printf("%.1f\t%zu\t%.3f\t%.3f\t%.3f\t%.2f\t%.2f\t%s\n", alphas[a], n, rate[0], rate[1],
                   rate[2], rate[1] / rate[0], rate[1] / rate[2], impl_buf);
            fflush(stdout);
            DNNL_CHECK(dnnl_memory_destroy(dst_mem));
            DNNL_CHECK(dnnl_memory_destroy(src_mem));
            DNNL_CHECK(dnnl_primitive_destroy(prim));
            DNNL_CHECK(dnnl_memory_desc_destroy(md));
        }
    }
    DNNL_CHECK(dnnl_stream_destroy(stream));
    DNNL_CHECK(dnnl_engine_destroy(engine));
    free(hx);
    free(hy);
    free(fx);
    free(fy);
    return EXIT_SUCCESS;
}
