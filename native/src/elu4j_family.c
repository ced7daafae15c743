/*
 * elu4j native helper: entry points of the whole family (elu4j_forward, elu4j_backward and their
 * _isa / _mt forms): argument checks in the order elu4j.h documents, the derived parameters, and
 * dispatch to the per-ISA kernels of elu_family_impl.h (or to the f32 ELU kernels for the fast
 * case). No global state.
 */
#include "elu4j.h"
#include "elu4j_internal.h"

#include <math.h>
#include <stdint.h>

size_t elu4j_dtype_size(int dtype)
{
    switch (dtype) {
    case ELU4J_DT_F32:
        return 4;
    case ELU4J_DT_F64:
        return 8;
    case ELU4J_DT_BF16:
    case ELU4J_DT_F16:
        return 2;
    default:
        return 0;
    }
}

static int known_function(int function)
{
    return function == ELU4J_FN_ELU || function == ELU4J_FN_RELU ||
           function == ELU4J_FN_LEAKY_RELU;
}

/* ELU4J_OK, or the status for an unknown or unsupported ISA number (checked first, always). */
static int check_isa(int isa)
{
    if (isa != ELU4J_ISA_PORTABLE && isa != ELU4J_ISA_AVX2 && isa != ELU4J_ISA_AVX512) {
        return ELU4J_ERR_INVALID_ARGUMENT;
    }
    return elu4j_isa_supported(isa) ? ELU4J_OK : ELU4J_ERR_UNSUPPORTED_ISA;
}

/* Whether `bytes` bytes from p stay inside the address space. */
static int range_ok(const void *p, size_t bytes)
{
    return (uintptr_t)p <= UINTPTR_MAX - (uintptr_t)bytes;
}

/* Whether [a, a + bytes) and [b, b + bytes) share a byte (bytes > 0, ranges valid). */
static int intersect(const void *a, const void *b, size_t bytes)
{
    const uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y + bytes && y < x + bytes;
}

/* The derived parameters; fast: f32 ELU that the float kernel computes within 1 ulp. */
static elu4j_fam_params make_params(int function, double alpha, double scale, double input_scale)
{
    elu4j_fam_params p = {0};
    p.function = function;
    p.alpha = alpha;
    p.scale = scale;
    p.input_scale = input_scale;
    p.coef = alpha * scale;
    p.cis = p.coef * input_scale;
    p.alpha_f = (float)alpha;
    p.fast = elu4j_uses_float_kernel(function, alpha, scale, input_scale);
    return p;
}

int elu4j_uses_float_kernel(int function, double alpha, double scale, double input_scale)
{
    if (function != ELU4J_FN_ELU || scale != 1.0 || input_scale != 1.0 || !(alpha > 0.0)) {
        return 0;
    }
    int e;
    const double m = frexp(alpha, &e); /* alpha = m * 2^e, m in [0.5, 1); inf gives m = inf */
    /* alpha = 2^k with k in [-100, 100] (positive only: the float kernel keeps -0.0 as -0.0,
       which is the sign rule only for a positive coefficient) */
    return m == 0.5 && e - 1 >= -100 && e - 1 <= 100;
}

/*
 * Checks a forward call after the ISA (the order of elu4j.h) and fills *task. Returns
 * ELU4J_OK also for n == 0 (then task is not filled and nothing must run).
 */
static int prepare_forward(int isa, int function, int dtype, const void *src, const void *dst,
                           size_t n, double alpha, double scale, double input_scale,
                           elu4j_task *task)
{
    const size_t es = elu4j_dtype_size(dtype);
    if (!known_function(function) || es == 0) {
        return ELU4J_ERR_INVALID_ARGUMENT;
    }
    if (n == 0) {
        return ELU4J_OK;
    }
    if (src == NULL || dst == NULL) {
        return ELU4J_ERR_NULL_POINTER;
    }
    if (!isfinite(alpha) || !isfinite(scale) || !isfinite(input_scale) || n > SIZE_MAX / es ||
        !range_ok(src, n * es) || !range_ok(dst, n * es)) {
        return ELU4J_ERR_INVALID_ARGUMENT;
    }
    if (src != dst && intersect(src, dst, n * es)) {
        return ELU4J_ERR_OVERLAP;
    }
    task->isa = isa;
    task->dtype = dtype;
    task->elem_size = es;
    task->params = make_params(function, alpha, scale, input_scale);
    task->fast_f32 = dtype == ELU4J_DT_F32 && task->params.fast;
    task->stream = task->fast_f32 ? elu4j_use_streaming_stores(src, dst, n) : 0;
    return ELU4J_OK;
}

void elu4j_task_run(const elu4j_task *task, const void *src, void *dst, size_t n)
{
    if (task->fast_f32) {
        elu4j_run_kernel(task->isa, src, dst, n, task->params.alpha_f, task->stream);
        return;
    }
    switch (task->isa) {
#if defined(ELU4J_HAVE_X86_KERNELS)
    case ELU4J_ISA_AVX512:
        elu4j_fam_forward_avx512(&task->params, task->dtype, src, dst, n);
        break;
    case ELU4J_ISA_AVX2:
        elu4j_fam_forward_avx2(&task->params, task->dtype, src, dst, n);
        break;
#endif
    default:
        elu4j_fam_forward_portable(&task->params, task->dtype, src, dst, n);
        break;
    }
}

int elu4j_forward_isa(int isa, int function, int dtype, const void *src, void *dst, size_t n,
                      double alpha, double scale, double input_scale)
{
    int status = check_isa(isa);
    if (status != ELU4J_OK) {
        return status;
    }
    elu4j_task task;
    status = prepare_forward(isa, function, dtype, src, dst, n, alpha, scale, input_scale, &task);
    if (status != ELU4J_OK || n == 0) {
        return status;
    }
    elu4j_task_run(&task, src, dst, n);
    return ELU4J_OK;
}

int elu4j_forward(int function, int dtype, const void *src, void *dst, size_t n, double alpha,
                  double scale, double input_scale)
{
    return elu4j_forward_isa(elu4j_active_isa(), function, dtype, src, dst, n, alpha, scale,
                             input_scale);
}

int elu4j_forward_mt(int function, int dtype, const void *src, void *dst, size_t n, double alpha,
                     double scale, double input_scale, int threads)
{
    elu4j_task task;
    const int status = prepare_forward(elu4j_active_isa(), function, dtype, src, dst, n, alpha,
                                       scale, input_scale, &task);
    if (status != ELU4J_OK || n == 0) {
        return status;
    }
    elu4j_mt_run(&task, src, dst, n, threads);
    return ELU4J_OK;
}

int elu4j_backward_isa(int isa, int function, int dtype, int from_dst, const void *diff_dst,
                       const void *data, void *diff_src, size_t n, double alpha, double scale,
                       double input_scale)
{
    int status = check_isa(isa);
    if (status != ELU4J_OK) {
        return status;
    }
    const size_t es = elu4j_dtype_size(dtype);
    if (!known_function(function) || es == 0) {
        return ELU4J_ERR_INVALID_ARGUMENT;
    }
    if (n == 0) {
        return ELU4J_OK;
    }
    if (diff_dst == NULL || data == NULL || diff_src == NULL) {
        return ELU4J_ERR_NULL_POINTER;
    }
    if (!isfinite(alpha) || !isfinite(scale) || !isfinite(input_scale) || n > SIZE_MAX / es ||
        !range_ok(diff_dst, n * es) || !range_ok(data, n * es) || !range_ok(diff_src, n * es)) {
        return ELU4J_ERR_INVALID_ARGUMENT;
    }
    if (from_dst) {
        const int defined = function == ELU4J_FN_RELU ||
                            (function == ELU4J_FN_LEAKY_RELU && alpha >= 0.0) ||
                            (function == ELU4J_FN_ELU && alpha >= 0.0 && scale > 0.0 &&
                             input_scale > 0.0);
        if (!defined) {
            return ELU4J_ERR_INVALID_ARGUMENT;
        }
    }
    const size_t bytes = n * es;
    if ((diff_src != diff_dst && intersect(diff_src, diff_dst, bytes)) ||
        intersect(diff_src, data, bytes)) {
        return ELU4J_ERR_OVERLAP;
    }
    const elu4j_fam_params p = make_params(function, alpha, scale, input_scale);
    const int fd = from_dst != 0;
    switch (isa) {
#if defined(ELU4J_HAVE_X86_KERNELS)
    case ELU4J_ISA_AVX512:
        elu4j_fam_backward_avx512(&p, dtype, fd, diff_dst, data, diff_src, n);
        break;
    case ELU4J_ISA_AVX2:
        elu4j_fam_backward_avx2(&p, dtype, fd, diff_dst, data, diff_src, n);
        break;
#endif
    default:
        elu4j_fam_backward_portable(&p, dtype, fd, diff_dst, data, diff_src, n);
        break;
    }
    return ELU4J_OK;
}

int elu4j_backward(int function, int dtype, int from_dst, const void *diff_dst, const void *data,
                   void *diff_src, size_t n, double alpha, double scale, double input_scale)
{
    return elu4j_backward_isa(elu4j_active_isa(), function, dtype, from_dst, diff_dst, data,
                              diff_src, n, alpha, scale, input_scale);
}
