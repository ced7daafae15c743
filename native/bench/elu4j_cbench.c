/*
 * elu4j_cbench: the C side of `./elu4j bench`. Times, from C, the two native paths that the
 * Java suite calls across FFM or JNI, so that the cost of crossing from Java is visible:
 *
 *   onednn  oneDNN's eltwise ELU forward (alpha = 1): engine, stream, memory objects and the
 *           primitive are created once per size; one timed call is dnnl_primitive_execute +
 *           dnnl_stream_wait (what the JavaCPP peer does per call, minus JNI);
 *   helper  elu4j_forward of libelu4j for f32 ELU with alpha = 1 (what elu4j's helper backend
 *           calls, minus FFM).
 *
 * f32, single thread as far as this program is concerned (oneDNN's OpenMP threads follow
 * OMP_NUM_THREADS; `./elu4j bench` sets 1), 64-byte-aligned buffers, inputs uniform in [-4, 4)
 * from a fixed seed. Out of place (src -> dst) and in place (one buffer). For every path, size
 * and mode the output of the first call is checked against expm1f; a wrong result exits 1.
 * Then batches of calls lasting about BATCH_NS each are timed and the median batch is reported
 * (JMH reports a mean over iterations; the median is the closest robust equivalent).
 *
 * Output: comment lines starting with '#', then tab-separated lines
 *   path  mode  size  ns_per_call  el_per_ns
 *
 *   elu4j_cbench [--quick]   (--quick: out of place only, 5 batches of ~10 ms; else 11 of ~20 ms)
 *
 * Built by CMake when DNNL_ROOT is set; not a ctest.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "elu4j.h"

#include <oneapi/dnnl/dnnl.h>

#define BENCH_NAME "elu4j_cbench"
#include "bench_util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BATCHES 11


enum path { PATH_ONEDNN, PATH_HELPER };
static const char *const k_path_names[] = {"onednn", "helper"};

/* What one timed call needs: either a oneDNN primitive with its arguments, or helper buffers. */
struct target {
    enum path path;
    dnnl_primitive_t prim;
    dnnl_stream_t stream;
    dnnl_exec_arg_t args[2];
    const float *src;
    float *dst;
    size_t n;
};

static void call_once(const struct target *t)
{
    if (t->path == PATH_ONEDNN) {
        DNNL_CHECK(dnnl_primitive_execute(t->prim, t->stream, 2, t->args));
        DNNL_CHECK(dnnl_stream_wait(t->stream));
    } else {
        const int st = elu4j_forward(ELU4J_FN_ELU, ELU4J_DT_F32, t->src, t->dst, t->n, 1.0, 1.0, 1.0);
        if (st != ELU4J_OK) {
            fprintf(stderr, "elu4j_cbench: elu4j_forward failed: %s\n", elu4j_status_name(st));
            exit(EXIT_FAILURE);
        }
    }
}

/* splitmix64: a fixed, portable sequence of 64-bit values. */
static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Exits unless out[i] is ELU(in[i]) within 1e-6 absolute + 1e-6 relative (the Java suite's bound). */
static void check_elu(const char *what, size_t size, const float *in, const float *out)
{
    for (size_t i = 0; i < size; i++) {
        const double want = in[i] > 0.0f ? (double)in[i] : expm1((double)in[i]);
        if (!(fabs((double)out[i] - want) <= 1e-6 + 1e-6 * fabs(want))) {
            fprintf(stderr, "elu4j_cbench: %s n=%zu: wrong result at %zu: ELU(%a) = %a, got %a\n", what,
                    size, i, (double)in[i], want, (double)out[i]);
            exit(EXIT_FAILURE);
        }
    }
}

/* Median ns per call over `batches` batches of about batch_ns each. */
static double time_calls(const struct target *t, int batches, double batch_ns)
{
    size_t reps = 1;
    for (;;) { /* calibrate; also warms caches, branch predictors and oneDNN's first-call paths */
        const double t0 = now_ns();
        for (size_t r = 0; r < reps; r++) {
            call_once(t);
        }
        const double dt = now_ns() - t0;
        if (dt > batch_ns / 4 || reps > ((size_t)1 << 30)) {
            reps = (size_t)((double)reps * batch_ns / dt) + 1;
            break;
        }
        reps *= 4;
    }
    double per_call[MAX_BATCHES];
    for (int b = 0; b < batches; b++) {
        const double t0 = now_ns();
        for (size_t r = 0; r < reps; r++) {
            call_once(t);
        }
        per_call[b] = (now_ns() - t0) / (double)reps;
    }
    qsort(per_call, (size_t)batches, sizeof per_call[0], compare_doubles);
    return per_call[batches / 2];
}

int main(int argc, char **argv)
{
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else {
            fprintf(stderr, "usage: elu4j_cbench [--quick]\n");
            return 2;
        }
    }
    const int batches = quick ? 5 : MAX_BATCHES;
    const double batch_ns = quick ? 1e7 : 2e7;
    const int n_modes = quick ? 1 : 2;
    static const char *const mode_names[] = {"out", "in"};
    static const size_t sizes[] = {256, 4096, 65536, (size_t)1 << 20, (size_t)1 << 24};
    const size_t n_sizes = sizeof sizes / sizeof sizes[0];
    const size_t max_n = sizes[n_sizes - 1];

    float *src = aligned_alloc(64, max_n * sizeof(float));
    float *dst = aligned_alloc(64, max_n * sizeof(float));
    if (src == NULL || dst == NULL) {
        fprintf(stderr, "elu4j_cbench: out of memory\n");
        return EXIT_FAILURE;
    }
    uint64_t state = 42;
    for (size_t i = 0; i < max_n; i++) {
        /* 24 random bits -> [0, 1) -> [-4, 4) */
        src[i] = (float)((double)(next_u64(&state) >> 40) * 0x1p-24 * 8.0 - 4.0);
    }
    memset(dst, 0, max_n * sizeof(float)); /* fault the pages in before timing */

    dnnl_engine_t engine;
    dnnl_stream_t stream;
    DNNL_CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    DNNL_CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));

    const char *impl = "?";
    { /* the implementation oneDNN picks for f32 ELU (the same for every size here) */
        const dnnl_dims_t dims = {1024};
        dnnl_memory_desc_t md;
        dnnl_primitive_desc_t pd;
        DNNL_CHECK(dnnl_memory_desc_create_with_tag(&md, 1, dims, dnnl_f32, dnnl_a));
        DNNL_CHECK(dnnl_eltwise_forward_primitive_desc_create(&pd, engine, dnnl_forward_inference,
                                                              dnnl_eltwise_elu, md, md, 1.0f, 0.0f, NULL));
        const char *s = NULL;
        DNNL_CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s));
        static char buf[128];
        snprintf(buf, sizeof buf, "%s", s != NULL ? s : "?");
        impl = buf;
        DNNL_CHECK(dnnl_primitive_desc_destroy(pd));
        DNNL_CHECK(dnnl_memory_desc_destroy(md));
    }
    const dnnl_version_t *v = dnnl_version();
    const char *omp = getenv("OMP_NUM_THREADS");
    printf("# elu4j_cbench: oneDNN %d.%d.%d (%s), helper %s (%s); OMP_NUM_THREADS=%s\n", v->major,
           v->minor, v->patch, impl, elu4j_version_string(), elu4j_isa_name(elu4j_best_isa()),
           omp ? omp : "unset");
    printf("# median of %d batches of ~%.0f ms per point; alpha = 1\n", batches, batch_ns / 1e6);
    printf("path\tmode\tsize\tns_per_call\tel_per_ns\n");
    fflush(stdout);

    for (size_t s = 0; s < n_sizes; s++) {
        const size_t n = sizes[s];
        const dnnl_dims_t dims = {(dnnl_dim_t)n};
        dnnl_memory_desc_t md;
        dnnl_primitive_desc_t pd;
        dnnl_primitive_t prim;
        DNNL_CHECK(dnnl_memory_desc_create_with_tag(&md, 1, dims, dnnl_f32, dnnl_a));
        DNNL_CHECK(dnnl_eltwise_forward_primitive_desc_create(&pd, engine, dnnl_forward_inference,
                                                              dnnl_eltwise_elu, md, md, 1.0f, 0.0f, NULL));
        DNNL_CHECK(dnnl_primitive_create(&prim, pd));
        DNNL_CHECK(dnnl_primitive_desc_destroy(pd));

        for (int m = 0; m < n_modes; m++) {
            const int in_place = m == 1;
            /* in place: dst holds a copy of src and is both source and destination */
            float *from = in_place ? dst : src;
            dnnl_memory_t src_mem, dst_mem;
            DNNL_CHECK(dnnl_memory_create(&src_mem, md, engine, from));
            if (in_place) {
                dst_mem = src_mem;
            } else {
                DNNL_CHECK(dnnl_memory_create(&dst_mem, md, engine, dst));
            }
            for (int p = PATH_ONEDNN; p <= PATH_HELPER; p++) {
                struct target t = {.path = (enum path)p,
                                   .prim = prim,
                                   .stream = stream,
                                   .args = {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_DST, dst_mem}},
                                   .src = from,
                                   .dst = dst,
                                   .n = n};
                char what[64];
                snprintf(what, sizeof what, "%s %s", k_path_names[p], mode_names[m]);
                if (in_place) {
                    memcpy(dst, src, n * sizeof(float));
                }
                call_once(&t);
                check_elu(what, n, src, dst);
                if (in_place) {
                    memcpy(dst, src, n * sizeof(float));
                }
                const double ns = time_calls(&t, batches, batch_ns);
                printf("%s\t%s\t%zu\t%.1f\t%.4f\n", k_path_names[p], mode_names[m], n, ns, (double)n / ns);
                fflush(stdout);
            }
            if (!in_place) {
                DNNL_CHECK(dnnl_memory_destroy(dst_mem));
            }
            DNNL_CHECK(dnnl_memory_destroy(src_mem));
        }
        DNNL_CHECK(dnnl_primitive_destroy(prim));
        DNNL_CHECK(dnnl_memory_desc_destroy(md));
    }
    DNNL_CHECK(dnnl_stream_destroy(stream));
    DNNL_CHECK(dnnl_engine_destroy(engine));
    free(src);
    free(dst);
    return EXIT_SUCCESS;
}
