/*
 * dnnl_callpath: where the nanoseconds of one oneDNN eltwise call go, from C. The Java side of the
 * same question is bench/.../OneDnnCallPathBenchmark.java; docs/benchmarks.md ("oneDNN call path")
 * puts the two side by side.
 *
 * f32 ELU forward (alpha = 1), out of place, one engine, stream, primitive and pair of memory
 * objects per size, 64-byte-aligned buffers, inputs in [-4, 4). Each row times one step, or a
 * sequence of steps, repeated in batches of ~10 ms; the median batch and the best (on a shared
 * machine, the least disturbed) are reported:
 *
 *   set_handle_same   dnnl_memory_set_data_handle with the pointer the memory already holds
 *   set_handle_new    dnnl_memory_set_data_handle alternating between two pointers
 *   execute           dnnl_primitive_execute alone (a CPU stream runs it before returning)
 *   wait              dnnl_stream_wait alone (on an idle stream)
 *   exec_wait         execute + wait: what elu4j_cbench and the JavaCPP peer time per call
 *   set2_exec_wait    set_data_handle x2 + execute + wait: what a call on any pair of buffers needs
 *   shim              the same four calls through libelu4j's elu4j_dnnl_execute_unary
 *   exec_wait_thread  exec_wait from a thread the program started (every Java thread is one: the
 *                     JVM runs no Java code on the process's first thread), not the main thread
 *
 *   dnnl_callpath [size ...]   (default: 256 65536 16777216)
 *
 * Output: '#' comment lines, then tab-separated "step size ns_per_call best_ns". Built by CMake when
 * DNNL_ROOT is set; not a ctest (a timing, not a check; the first call's result is checked).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "elu4j.h"

#include <oneapi/dnnl/dnnl.h>

#define BENCH_NAME "dnnl_callpath"
#include "bench_util.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCHES 25
#define BATCH_NS 1e7


enum step { SET_SAME, SET_NEW, EXECUTE, WAIT, EXEC_WAIT, SET2_EXEC_WAIT, SHIM, EXEC_WAIT_THREAD, N_STEPS };
static const char *const k_step_names[] = {"set_handle_same", "set_handle_new", "execute", "wait",
                                           "exec_wait", "set2_exec_wait", "shim", "exec_wait_thread"};

struct target {
    dnnl_primitive_t prim;
    dnnl_stream_t stream;
    dnnl_memory_t src_mem, dst_mem;
    dnnl_exec_arg_t args[2];
    float *src, *dst, *other;
    const elu4j_dnnl_api *api;
    unsigned flip;
};

static void run_step(enum step s, struct target *t)
{
    switch (s) {
    case SET_SAME:
        DNNL_CHECK(dnnl_memory_set_data_handle(t->src_mem, t->src));
        break;
    case SET_NEW: /* the source memory points at src or at another buffer, in turn */
        DNNL_CHECK(dnnl_memory_set_data_handle(t->src_mem, (t->flip++ & 1) ? t->other : t->src));
        break;
    case EXECUTE:
        DNNL_CHECK(dnnl_primitive_execute(t->prim, t->stream, 2, t->args));
        break;
    case WAIT:
        DNNL_CHECK(dnnl_stream_wait(t->stream));
        break;
    case EXEC_WAIT:
    case EXEC_WAIT_THREAD:
        DNNL_CHECK(dnnl_primitive_execute(t->prim, t->stream, 2, t->args));
        DNNL_CHECK(dnnl_stream_wait(t->stream));
        break;
    case SET2_EXEC_WAIT:
        DNNL_CHECK(dnnl_memory_set_data_handle(t->src_mem, t->src));
        DNNL_CHECK(dnnl_memory_set_data_handle(t->dst_mem, t->dst));
        DNNL_CHECK(dnnl_primitive_execute(t->prim, t->stream, 2, t->args));
        DNNL_CHECK(dnnl_stream_wait(t->stream));
        break;
    case SHIM: {
        int status, failed;
        const int rc = elu4j_dnnl_execute_unary(t->api, t->prim, t->stream, t->src_mem, t->dst_mem, t->src,
                                                t->dst, &status, &failed);
        if (rc != ELU4J_OK || failed != ELU4J_DNNL_CALL_NONE) {
            fprintf(stderr, "dnnl_callpath: the shim failed: rc %d, call %d, status %d\n", rc, failed, status);
            exit(EXIT_FAILURE);
        }
        break;
    }
    default:
        abort();
    }
}

/* ns per step over BATCHES batches of about BATCH_NS each: the median batch, and the best in *best. */
static double time_step(enum step s, struct target *t, double *best)
{
    size_t reps = 1;
    for (;;) { /* calibrate; also warms caches and oneDNN's first-call paths */
        const double t0 = now_ns();
        for (size_t r = 0; r < reps; r++) {
            run_step(s, t);
        }
        const double dt = now_ns() - t0;
        if (dt > BATCH_NS / 4 || reps > ((size_t)1 << 30)) {
            reps = (size_t)((double)reps * BATCH_NS / dt) + 1;
            break;
        }
        reps *= 4;
    }
    double per_call[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        const double t0 = now_ns();
        for (size_t r = 0; r < reps; r++) {
            run_step(s, t);
        }
        per_call[b] = (now_ns() - t0) / (double)reps;
    }
    qsort(per_call, BATCHES, sizeof per_call[0], compare_doubles);
    *best = per_call[0];
    return per_call[BATCHES / 2];
}

struct thread_job {
    struct target *t;
    double median, best;
};

static void *time_in_thread(void *arg)
{
    struct thread_job *job = arg;
    job->median = time_step(EXEC_WAIT_THREAD, job->t, &job->best);
    return NULL;
}

static void check_elu(size_t n, const float *in, const float *out)
{
    for (size_t i = 0; i < n; i++) {
        const double want = in[i] > 0.0f ? (double)in[i] : expm1((double)in[i]);
        if (!(fabs((double)out[i] - want) <= 1e-6 + 1e-6 * fabs(want))) {
            fprintf(stderr, "dnnl_callpath: n=%zu: wrong result at %zu\n", n, i);
            exit(EXIT_FAILURE);
        }
    }
}

int main(int argc, char **argv)
{
    size_t sizes[16] = {256, 65536, (size_t)1 << 24};
    size_t n_sizes = 3;
    if (argc > 1) {
        n_sizes = 0;
        for (int i = 1; i < argc && n_sizes < 16; i++) {
            char *end;
            const unsigned long long v = strtoull(argv[i], &end, 10);
            if (*end != '\0' || v == 0 || v > ((size_t)1 << 28)) {
                fprintf(stderr, "usage: dnnl_callpath [size ...]  (1 <= size <= 2^28)\n");
                return 2;
            }
            sizes[n_sizes++] = (size_t)v;
        }
    }
    size_t max_n = 0;
    for (size_t s = 0; s < n_sizes; s++) {
        max_n = sizes[s] > max_n ? sizes[s] : max_n;
    }
    const size_t bytes = (max_n * sizeof(float) + 63) / 64 * 64;
    float *src = aligned_alloc(64, bytes), *dst = aligned_alloc(64, bytes), *other = aligned_alloc(64, bytes);
    if (src == NULL || dst == NULL || other == NULL) {
        fprintf(stderr, "dnnl_callpath: out of memory\n");
        return EXIT_FAILURE;
    }
    uint64_t state = 42;
    for (size_t i = 0; i < max_n; i++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        src[i] = (float)((double)(state >> 40) * 0x1p-24 * 8.0 - 4.0);
    }
    memcpy(other, src, max_n * sizeof(float));
    memset(dst, 0, max_n * sizeof(float));

    const elu4j_dnnl_api api = {.size = sizeof(elu4j_dnnl_api),
                                .memory_set_data_handle = (elu4j_dnnl_memory_set_data_handle_fn)dnnl_memory_set_data_handle,
                                .primitive_execute = (elu4j_dnnl_primitive_execute_fn)dnnl_primitive_execute,
                                .stream_wait = (elu4j_dnnl_stream_wait_fn)dnnl_stream_wait,
                                .arg_src = DNNL_ARG_SRC,
                                .arg_dst = DNNL_ARG_DST};
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    DNNL_CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    DNNL_CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    const dnnl_version_t *v = dnnl_version();
    const char *omp = getenv("OMP_NUM_THREADS");
    printf("# dnnl_callpath: oneDNN %d.%d.%d; OMP_NUM_THREADS=%s; median of %d batches of ~%.0f ms\n", v->major,
           v->minor, v->patch, omp ? omp : "unset", BATCHES, BATCH_NS / 1e6);
    printf("step\tsize\tns_per_call\tbest_ns\n");
    for (size_t s = 0; s < n_sizes; s++) {
        const size_t n = sizes[s];
        const dnnl_dims_t dims = {(dnnl_dim_t)n};
        dnnl_memory_desc_t md;
        dnnl_primitive_desc_t pd;
        struct target t = {.stream = stream, .src = src, .dst = dst, .other = other, .api = &api};
        DNNL_CHECK(dnnl_memory_desc_create_with_tag(&md, 1, dims, dnnl_f32, dnnl_a));
        DNNL_CHECK(dnnl_eltwise_forward_primitive_desc_create(&pd, engine, dnnl_forward_inference,
                                                              dnnl_eltwise_elu, md, md, 1.0f, 0.0f, NULL));
        DNNL_CHECK(dnnl_primitive_create(&t.prim, pd));
        DNNL_CHECK(dnnl_primitive_desc_destroy(pd));
        DNNL_CHECK(dnnl_memory_create(&t.src_mem, md, engine, src));
        DNNL_CHECK(dnnl_memory_create(&t.dst_mem, md, engine, dst));
        t.args[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, t.src_mem};
        t.args[1] = (dnnl_exec_arg_t){DNNL_ARG_DST, t.dst_mem};
        run_step(EXEC_WAIT, &t);
        check_elu(n, src, dst);
        for (int st = 0; st < N_STEPS; st++) {
            if (st == EXECUTE || st == EXEC_WAIT) {
                DNNL_CHECK(dnnl_memory_set_data_handle(t.src_mem, src)); /* after SET_NEW */
            }
            double best, median;
            if (st == EXEC_WAIT_THREAD) { /* the stream is used by one thread at a time: this one waits */
                struct thread_job job = {.t = &t};
                pthread_t thread;
                if (pthread_create(&thread, NULL, time_in_thread, &job) != 0 || pthread_join(thread, NULL) != 0) {
                    fprintf(stderr, "dnnl_callpath: cannot run a thread\n");
                    return EXIT_FAILURE;
                }
                median = job.median;
                best = job.best;
            } else {
                median = time_step((enum step)st, &t, &best);
            }
            printf("%s\t%zu\t%.1f\t%.1f\n", k_step_names[st], n, median, best);
            fflush(stdout);
        }
        DNNL_CHECK(dnnl_memory_destroy(t.dst_mem));
        DNNL_CHECK(dnnl_memory_destroy(t.src_mem));
        DNNL_CHECK(dnnl_primitive_destroy(t.prim));
        DNNL_CHECK(dnnl_memory_desc_destroy(md));
    }
    DNNL_CHECK(dnnl_stream_destroy(stream));
    DNNL_CHECK(dnnl_engine_destroy(engine));
    free(other);
    free(dst);
    free(src);
    return EXIT_SUCCESS;
}
