/*
 * elu4j native tests: oneDNN smoke test (built only when DNNL_ROOT points at an unpacked
 * org/bytedeco/dnnl/linux-x86_64 directory).
 *
 * Proves that the unpacked oneDNN links and runs from C: creates a CPU engine and stream, runs
 * an eltwise ELU forward (alpha = 1) on 1000 floats and compares with expm1f within a loose
 * bound (1e-6 absolute plus 1e-5 relative: oneDNN computes exp(x) - 1, which loses the relative
 * accuracy of tiny x, so only an absolute bound holds near 0).
 */
#include <oneapi/dnnl/dnnl.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define N 1000

#define DNNL_CHECK(call)                                                                          \
    do {                                                                                          \
        const dnnl_status_t st_ = (call);                                                         \
        if (st_ != dnnl_success) {                                                                \
            fprintf(stderr, "FAIL %s:%d: %s returned %d\n", __FILE__, __LINE__, #call, (int)st_); \
            return EXIT_FAILURE;                                                                  \
        }                                                                                         \
    } while (0)

int main(void)
{
    static float src[N], dst[N];
    for (int i = 0; i < N; i++) {
        /* [-8, 8) in steps of 1/64, plus a few values around 0 */
        src[i] = (float)(i - N / 2) / 62.5f;
    }
    src[0] = -1e-7f;
    src[1] = 1e-7f;
    src[2] = -0.0f;
    src[3] = -3e-8f;

    const dnnl_version_t *v = dnnl_version();
    printf("oneDNN %d.%d.%d (%s), cpu runtime %u\n", v->major, v->minor, v->patch, v->hash,
           v->cpu_runtime);

    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_memory_desc_t md;
    dnnl_memory_t src_mem, dst_mem;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    const dnnl_dims_t dims = {N};

    DNNL_CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    DNNL_CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    DNNL_CHECK(dnnl_memory_desc_create_with_tag(&md, 1, dims, dnnl_f32, dnnl_a));
    DNNL_CHECK(dnnl_memory_create(&src_mem, md, engine, src));
    DNNL_CHECK(dnnl_memory_create(&dst_mem, md, engine, dst));
    DNNL_CHECK(dnnl_eltwise_forward_primitive_desc_create(&pd, engine, dnnl_forward_inference,
                                                          dnnl_eltwise_elu, md, md, 1.0f, 0.0f,
                                                          NULL));
    const char *impl = NULL;
    DNNL_CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    printf("eltwise implementation: %s\n", impl != NULL ? impl : "?");
    DNNL_CHECK(dnnl_primitive_create(&prim, pd));

    dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_DST, dst_mem}};
    DNNL_CHECK(dnnl_primitive_execute(prim, stream, 2, args));
    DNNL_CHECK(dnnl_stream_wait(stream));

    int failures = 0;
    double max_abs = 0.0;
    for (int i = 0; i < N; i++) {
        const float x = src[i];
        const float want = x > 0.0f ? x : expm1f(x);
        const double err = fabs((double)dst[i] - (double)want);
        if (err > max_abs) {
            max_abs = err;
        }
        if (!(err <= 1e-6 + 1e-5 * fabs((double)want))) {
            if (++failures <= 10) {
                fprintf(stderr, "FAIL x = %a: oneDNN %a, expm1f %a\n", (double)x, (double)dst[i],
                        (double)want);
            }
        }
    }

    DNNL_CHECK(dnnl_primitive_destroy(prim));
    DNNL_CHECK(dnnl_primitive_desc_destroy(pd));
    DNNL_CHECK(dnnl_memory_destroy(dst_mem));
    DNNL_CHECK(dnnl_memory_destroy(src_mem));
    DNNL_CHECK(dnnl_memory_desc_destroy(md));
    DNNL_CHECK(dnnl_stream_destroy(stream));
    DNNL_CHECK(dnnl_engine_destroy(engine));

    printf("dnnl_smoke: %d values, max abs error %.3g, %d failures -> %s\n", N, max_abs, failures,
           failures == 0 ? "PASS" : "FAIL");
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
