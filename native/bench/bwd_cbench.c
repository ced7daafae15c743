/*
 * bwd_cbench: ELU's backward from C, oneDNN's eltwise backward against the helper
 * (elu4j_backward), f32 and bf16, from the output (oneDNN's elu_use_dst_for_bwd) and from the
 * input (elu), alpha 1 (the helper's one-fma form from y) and alpha 1.5 (its pair form).
 *
 * Single thread as far as this program is concerned (oneDNN's OpenMP threads follow
 * OMP_NUM_THREADS: set it to 1), out of place, 64-byte-aligned buffers; x uniform in [-4, 4),
 * y = ELU(x) by the helper, dy uniform in [-1, 1), all rounded to the type. The first call of each
 * path is checked against the other (within 2 ulp of the type, relative to |dy| * max(1, alpha)).
 * Then ROUNDS rounds, each timing a batch of ~BATCH_NS of helper calls and one of oneDNN calls
 * back to back; the best batch of each path is reported, so that both see the same machine
 * (the ratio is the claim; on a busy machine the el/ns are low for both).
 *
 *   bwd_cbench [sizes...]    (default 65536)
 *
 * Built by CMake when DNNL_ROOT is set; not a ctest.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "elu4j.h"

#include <oneapi/dnnl/dnnl.h>

#define BENCH_NAME "bwd_cbench"
#include "bench_util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 15
#define BATCH_NS 5e6

struct onednn_call {
    dnnl_primitive_t prim;
    dnnl_stream_t stream;
    dnnl_exec_arg_t args[3];
};

struct helper_call {
    int dtype, from_dst;
    const void *dy, *data;
    void *dx;
    size_t n;
    double alpha;
};

static void run_onednn(const struct onednn_call *c)
{
    DNNL_CHECK(dnnl_primitive_execute(c->prim, c->stream, 3, c->args));
    DNNL_CHECK(dnnl_stream_wait(c->stream));
}

static void run_helper(const struct helper_call *c)
{
    const int st = elu4j_backward(ELU4J_FN_ELU, c->dtype, c->from_dst, c->dy, c->data, c->dx, c->n,
                                  c->alpha, 1.0, 1.0);
    if (st != ELU4J_OK) {
        fprintf(stderr, "bwd_cbench: elu4j_backward failed: %s\n", elu4j_status_name(st));
        exit(EXIT_FAILURE);
    }
}

/* Nanoseconds per call of one batch of about BATCH_NS. */
static double time_batch(int onednn, const struct onednn_call *o, const struct helper_call *h,
                         long calls)
{
    const double t0 = now_ns();
    for (long i = 0; i < calls; i++) {
        if (onednn) {
            run_onednn(o);
        } else {
            run_helper(h);
        }
    }
    return (now_ns() - t0) / (double)calls;
}

static float get(int bf16, const void *p, size_t i)
{
    if (bf16) {
        uint16_t h;
        memcpy(&h, (const char *)p + 2 * i, 2);
        return bf16_to_f(h);
    }
    float f;
    memcpy(&f, (const char *)p + 4 * i, 4);
    return f;
}

static void put(int bf16, void *p, size_t i, float f)
{
    if (bf16) {
        const uint16_t h = f_to_bf16(f);
        memcpy((char *)p + 2 * i, &h, 2);
    } else {
        memcpy((char *)p + 4 * i, &f, 4);
    }
}

static void bench(dnnl_engine_t engine, dnnl_stream_t stream, size_t n, int bf16, int from_dst,
                  double alpha)
{
    const size_t es = bf16 ? 2 : 4, bytes = (n * es + 63) / 64 * 64;
    void *x = aligned_alloc(64, bytes), *y = aligned_alloc(64, bytes), *dy = aligned_alloc(64, bytes);
    void *dx_h = aligned_alloc(64, bytes), *dx_o = aligned_alloc(64, bytes);
    if (!x || !y || !dy || !dx_h || !dx_o) {
        fprintf(stderr, "bwd_cbench: out of memory\n");
        exit(EXIT_FAILURE);
    }
    uint64_t s = 0x2545f4914f6cdd1dULL;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        put(bf16, x, i, -4.0f + 8.0f * (float)(s >> 40) * 0x1p-24f);
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        put(bf16, dy, i, -1.0f + 2.0f * (float)(s >> 40) * 0x1p-24f);
    }
    const int dt = bf16 ? ELU4J_DT_BF16 : ELU4J_DT_F32;
    if (elu4j_forward(ELU4J_FN_ELU, dt, x, y, n, alpha, 1.0, 1.0) != ELU4J_OK) {
        fprintf(stderr, "bwd_cbench: elu4j_forward failed\n");
        exit(EXIT_FAILURE);
    }

    const dnnl_dims_t dims = {(dnnl_dim_t)n};
    dnnl_memory_desc_t md;
    DNNL_CHECK(dnnl_memory_desc_create_with_tag(&md, 1, dims, bf16 ? dnnl_bf16 : dnnl_f32, dnnl_a));
    const dnnl_alg_kind_t alg = from_dst ? dnnl_eltwise_elu_use_dst_for_bwd : dnnl_eltwise_elu;
    dnnl_primitive_desc_t fwd_pd, pd;
    DNNL_CHECK(dnnl_eltwise_forward_primitive_desc_create(&fwd_pd, engine, dnnl_forward_training, alg,
                                                          md, md, (float)alpha, 0.0f, NULL));
    DNNL_CHECK(dnnl_eltwise_backward_primitive_desc_create(&pd, engine, alg, md, md, md, (float)alpha,
                                                           0.0f, fwd_pd, NULL));
    const char *impl = "?";
    DNNL_CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    struct onednn_call o = {.stream = stream};
    DNNL_CHECK(dnnl_primitive_create(&o.prim, pd));
    dnnl_memory_t data_mem, dy_mem, dx_mem;
    DNNL_CHECK(dnnl_memory_create(&data_mem, md, engine, from_dst ? y : x));
    DNNL_CHECK(dnnl_memory_create(&dy_mem, md, engine, dy));
    DNNL_CHECK(dnnl_memory_create(&dx_mem, md, engine, dx_o));
    o.args[0] = (dnnl_exec_arg_t){from_dst ? DNNL_ARG_DST : DNNL_ARG_SRC, data_mem};
    o.args[1] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, dy_mem};
    o.args[2] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC, dx_mem};
    const struct helper_call h = {dt, from_dst, dy, from_dst ? y : x, dx_h, n, alpha};

    run_onednn(&o);
    run_helper(&h);
    const double tol = bf16 ? 0x1p-7 : 0x1p-22;
    for (size_t i = 0; i < n; i++) {
        const double a = get(bf16, dx_h, i), b = get(bf16, dx_o, i);
        const double scale = fabs(get(bf16, dy, i)) * (alpha > 1 ? alpha : 1.0);
        if (!(fabs(a - b) <= tol * scale + 1e-30)) {
            fprintf(stderr, "bwd_cbench: n=%zu %s %s alpha %g: helper %a, oneDNN %a at %zu\n", n,
                    bf16 ? "bf16" : "f32", from_dst ? "from y" : "from x", alpha, a, b, i);
            exit(EXIT_FAILURE);
        }
    }

    /* calls per batch from one timed call of each */
    const double t1 = time_batch(0, &o, &h, 1), t2 = time_batch(1, &o, &h, 1);
    const long ch = (long)(BATCH_NS / (t1 > 1 ? t1 : 1)) + 1, co = (long)(BATCH_NS / (t2 > 1 ? t2 : 1)) + 1;
    double best_h = 1e300, best_o = 1e300;
    for (int r = 0; r < ROUNDS; r++) {
        const double a = time_batch(0, &o, &h, ch), b = time_batch(1, &o, &h, co);
        best_h = a < best_h ? a : best_h;
        best_o = b < best_o ? b : best_o;
    }
    printf("%s\t%s\t%g\t%zu\t%.3f\t%.3f\t%.2f\t%s\n", bf16 ? "bf16" : "f32", from_dst ? "y" : "x", alpha, n,
           (double)n / best_h, (double)n / best_o, best_o / best_h, impl);

    DNNL_CHECK(dnnl_memory_destroy(dx_mem));
    DNNL_CHECK(dnnl_memory_destroy(dy_mem));
    DNNL_CHECK(dnnl_memory_destroy(data_mem));
    DNNL_CHECK(dnnl_primitive_destroy(o.prim));
    DNNL_CHECK(dnnl_primitive_desc_destroy(pd));
    DNNL_CHECK(dnnl_primitive_desc_destroy(fwd_pd));
    DNNL_CHECK(dnnl_memory_desc_destroy(md));
    free(x), free(y), free(dy), free(dx_h), free(dx_o);
}

int main(int argc, char **argv)
{
    size_t sizes[16];
    int n_sizes = 0;
    for (int i = 1; i < argc && n_sizes < 16; i++) {
        const long v = strtol(argv[i], NULL, 10);
        if (v < 1 || v > (1L << 28)) {
            fprintf(stderr, "usage: bwd_cbench [size ...]  (1 <= size <= 2^28)\n");
            return EXIT_FAILURE;
        }
        sizes[n_sizes++] = (size_t)v;
    }
    if (n_sizes == 0) {
        sizes[n_sizes++] = 65536;
    }
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    bench_open(&engine, &stream);
    bench_print_versions();
    printf("best of %d rounds of ~%.0f ms per path, alternating\n", ROUNDS, BATCH_NS / 1e6);
    printf("type\tfrom\talpha\tsize\thelper\tonednn\thelper/onednn\t(el/ns; onednn impl)\n");
    for (int si = 0; si < n_sizes; si++) {
        for (int bf16 = 0; bf16 < 2; bf16++) {
            for (int from_dst = 1; from_dst >= 0; from_dst--) {
                bench(engine, stream, sizes[si], bf16, from_dst, 1.0);
                bench(engine, stream, sizes[si], bf16, from_dst, 1.5);
            }
        }
    }
    DNNL_CHECK(dnnl_stream_destroy(stream));
    DNNL_CHECK(dnnl_engine_destroy(engine));
    return 0;
}
