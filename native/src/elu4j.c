/*
 * elu4j native helper: the public entry points but the oneDNN shim (elu4j_dnnl.c) and the names
 * (elu4j_names.c: version, ISA and status names) — ISA detection and the ISA pin; elu4j_forward, elu4j_forward_mt and elu4j_backward: argument
 * checks in the order elu4j.h documents, the derived parameters, and dispatch to the kernels of
 * the active ISA level (kernels_<isa>.c; the worker pool of elu4j_forward_mt is elu4j_parallel.c).
 *
 * CPU features are read on every call with __builtin_cpu_supports, which only reads the feature
 * words that libgcc fills in from a constructor when this library is loaded (before any of its
 * functions can be called), and checks OS support (XCR0) for the AVX/AVX-512 register state too.
 * The mutable state is the ISA pin: the process's (elu4j_pin_isa), an atomic int, and a thread's
 * own (elu4j_pin_thread_isa), thread-local with a count of the threads holding one. Relaxed loads
 * are enough, since every ISA gives the same bits and a call only needs some valid level that the
 * CPU supports. (A thread that exits still pinned leaves the count up: correct, but every call then
 * reads its thread-local pin; the Java library always unpins in a finally block.)
 */
#include "elu4j.h"
#include "elu4j_internal.h"

#if defined(ELU4J_HAVE_X86_KERNELS)
#include <cpuid.h>
#endif
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>


#if defined(ELU4J_HAVE_X86_KERNELS)
static int cpu_has_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* F16C from CPUID leaf 1 (ECX bit 29), read once: Clang before 16 has no "f16c" for
   __builtin_cpu_supports, and a CPUID instruction costs a trap to the hypervisor in a VM. Only
   asked at the AVX2 level and above, whose check already covers the OS's AVX register state. */
int elu4j_cpu_has_f16c(void)
{
    static atomic_int known = -1; /* -1: not read yet; racing first calls store the same answer */
    int v = atomic_load_explicit(&known, memory_order_relaxed);
    if (v < 0) {
        unsigned a, b, c, d;
        v = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
        atomic_store_explicit(&known, v, memory_order_relaxed);
    }
    return v;
}
#endif

int elu4j_isa_supported(int isa)
{
    switch (isa) {
    case ELU4J_ISA_PORTABLE:
        return 1;
#if defined(ELU4J_HAVE_X86_KERNELS)
    case ELU4J_ISA_AVX2:
        return cpu_has_avx2();
#if defined(ELU4J_HAVE_AVX512_KERNELS) /* built without it (ELU4J_AVX512=OFF): never supported */
    case ELU4J_ISA_AVX512:
        return cpu_has_avx2() && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl");
#endif
#endif
    default:
        return 0;
    }
}

int elu4j_best_isa(void)
{
    if (elu4j_isa_supported(ELU4J_ISA_AVX512)) {
        return ELU4J_ISA_AVX512;
    }
    if (elu4j_isa_supported(ELU4J_ISA_AVX2)) {
        return ELU4J_ISA_AVX2;
    }
    return ELU4J_ISA_PORTABLE;
}

/* ELU4J_ISA_BEST, or a level the CPU supports (elu4j_pin_isa checks before storing). */
static atomic_int g_pinned_isa = ELU4J_ISA_BEST;

/* The calling thread's pin (elu4j_pin_thread_isa), and how many threads hold one: while none
   does, elu4j_active_isa does not touch thread-local storage (in a shared library every access
   is a __tls_get_addr call, which the per-call path of the other threads should not pay). */
static _Thread_local int t_pinned_isa = ELU4J_ISA_BEST;
static atomic_int g_thread_pins = 0;

/* ELU4J_OK if isa may be pinned (a known level the CPU supports, or ELU4J_ISA_BEST). */
static int check_pin(int isa)
{
    if (isa == ELU4J_ISA_BEST) {
        return ELU4J_OK;
    }
    if (isa != ELU4J_ISA_PORTABLE && isa != ELU4J_ISA_AVX2 && isa != ELU4J_ISA_AVX512) {
        return ELU4J_ERR_INVALID_ARGUMENT;
    }
    return elu4j_isa_supported(isa) ? ELU4J_OK : ELU4J_ERR_UNSUPPORTED_ISA;
}

int elu4j_pin_isa(int isa)
{
    const int status = check_pin(isa);
    if (status == ELU4J_OK) {
        atomic_store_explicit(&g_pinned_isa, isa, memory_order_relaxed);
    }
    return status;
}

int elu4j_pin_thread_isa(int isa)
{
    const int status = check_pin(isa);
    if (status != ELU4J_OK) {
        return status;
    }
    const int had = t_pinned_isa != ELU4J_ISA_BEST;
    const int has = isa != ELU4J_ISA_BEST;
    /* Counted before the pin is set and after it is cleared: this thread's own later calls see a
       non-zero count (program order); other threads that see it find their own pin unset. */
    if (has && !had) {
        atomic_fetch_add_explicit(&g_thread_pins, 1, memory_order_relaxed);
    }
    t_pinned_isa = isa;
    if (had && !has) {
        atomic_fetch_sub_explicit(&g_thread_pins, 1, memory_order_relaxed);
    }
    return ELU4J_OK;
}

int elu4j_active_isa(void)
{
    if (atomic_load_explicit(&g_thread_pins, memory_order_relaxed) != 0 &&
        t_pinned_isa != ELU4J_ISA_BEST) {
        return t_pinned_isa;
    }
    const int pinned = atomic_load_explicit(&g_pinned_isa, memory_order_relaxed);
    return pinned != ELU4J_ISA_BEST ? pinned : elu4j_best_isa();
}


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

/* Whether `bytes` bytes from p stay inside the address space. */
static int range_ok(const void *p, size_t bytes)
{
    return (uintptr_t)p <= UINTPTR_MAX - (uintptr_t)bytes;
}

/* Whether [a, a + bytes) and [b, b + bytes) share a byte (bytes > 0, ranges valid). Pointers are
   compared as integers, which is what "overlap" means for memory from different allocations. */
static int intersect(const void *a, const void *b, size_t bytes)
{
    const uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y + bytes && y < x + bytes;
}

int elu4j_uses_float_kernel(int function, double alpha, double scale, double input_scale)
{
    if (function != ELU4J_FN_ELU || scale != 1.0 || input_scale != 1.0 || !(alpha > 0.0)) {
        return 0;
    }
    /* alpha = 2^k with k in [-100, 100] (positive only: the float kernel keeps -0.0 as -0.0, which
       is the sign rule only for a positive coefficient): no fraction bits, and a biased exponent
       in range (which also rules out +inf). Bits rather than frexp(): this runs on every call. */
    uint64_t b;
    memcpy(&b, &alpha, sizeof b);
    const uint64_t biased = b >> 52; /* the sign bit is 0: alpha > 0 */
    return (b & ((UINT64_C(1) << 52) - 1)) == 0 && biased >= 1023 - 100 && biased <= 1023 + 100;
}

/* v in [2^-60, 2^60] (so also positive and finite). */
static int in_general_range(double v)
{
    return v >= 0x1p-60 && v <= 0x1p60;
}

/* v > 0 a power of two (then split gives hi = v, lo = 0). */
static int is_power_of_two(double v)
{
    int e;
    return frexp(v, &e) == 0.5;
}

/*
 * hi + lo = v to 2^-48 relative; hi rounded toward zero when toward_zero (then lo has v's sign or
 * is 0).
 */
static void split(double v, int toward_zero, float *hi, float *lo)
{
    float h = (float)v;
    if (toward_zero && fabs((double)h) > fabs(v)) {
        h = nextafterf(h, 0.0f);
    }
    *hi = h;
    *lo = (float)(v - (double)h);
}

/*
 * The general f32 kernels' constants (kernels_impl.h), or enabled = 0 where they do not apply: not
 * ELU, a parameter outside [2^-60, 2^60] (negative, zero, extreme), which the double evaluation
 * handles, or (forward only) the float kernel's case.
 */
static void fill_general(const elu4j_params *p, int backward, elu4j_general *g)
{
    if (p->function != ELU4J_FN_ELU || (p->fast && !backward) || !in_general_range(p->coef) ||
        !in_general_range(p->scale) || !in_general_range(p->input_scale) ||
        !in_general_range(p->cis)) {
        g->enabled = 0;
        return;
    }
    g->enabled = 1;
    g->unit_input = p->input_scale == 1.0;
    split(p->coef, 0, &g->chi, &g->clo);
    split(p->input_scale, 0, &g->shi, &g->slo);
    split(p->scale, 1, &g->phi, &g->plo);
    split(p->cis, 0, &g->cshi, &g->cslo);
    g->pos_kind = p->scale == 1.0 ? 0 : g->plo == 0.0f ? 1 : 2;
    g->fma_y = g->unit_input && is_power_of_two(p->coef);
    g->lin = (float)(0x1p-40 / p->input_scale);
    g->lin_x = !g->unit_input && g->pos_kind == 0 && g->cshi == 1.0f && fabsf(g->cslo) <= 0x1p-30f;
    g->xmin = (float)(-87.0 / p->input_scale);
    g->ylow = g->clo < 0.0f ? nextafterf(-g->chi, 0.0f) : -g->chi;
    g->scale = p->scale;
}

/*
 * LeakyReLU's product (kernels_relu.h): a float slope as it is; a slope of magnitude in
 * [2^-60, 2^60] as a pair whose hi is rounded toward zero, so that lo is a normal float of the
 * slope's sign (lo * v then never turns an infinite or zero v's sum into NaN or the wrong zero);
 * anything else in double.
 */
static void fill_leaky(elu4j_params *p)
{
    const double a = fabs(p->alpha);
    if ((double)(float)p->alpha == p->alpha) {
        p->leaky_kind = ELU4J_LEAKY_FLOAT;
        p->slope_hi = (float)p->alpha;
        p->slope_lo = 0.0f;
    } else if (a >= 0x1p-60 && a <= 0x1p60) {
        p->leaky_kind = ELU4J_LEAKY_PAIR;
        split(p->alpha, 1, &p->slope_hi, &p->slope_lo);
    } else {
        p->leaky_kind = ELU4J_LEAKY_DOUBLE;
    }
}

/*
 * Whether ELU's products, alpha * scale and alpha * scale * input_scale in double, are usable: finite,
 * and 0 only where a factor is 0, else at least 2^-969 = 2^-1022 * 2^53 in magnitude (nearer the
 * subnormal range a product has lost its low bits, and alpha * scale's exact rest, clo, is no longer
 * a double; an infinite one turns +-0 inputs into NaN). elu4j.h: "not allowed".
 */
static int products_ok(double alpha, double scale, double input_scale)
{
    const double min = 0x1p-969;
    const double coef = alpha * scale;
    const double cis = coef * input_scale;
    const int coef_ok = isfinite(coef) && (coef == 0.0 ? alpha == 0.0 || scale == 0.0 : fabs(coef) >= min);
    const int cis_ok = isfinite(cis) && (cis == 0.0 ? coef == 0.0 || input_scale == 0.0 : fabs(cis) >= min);
    return coef_ok && cis_ok;
}

/*
 * The derived parameters, filled in place (this runs on every call: no struct returned by value,
 * no zeroing of what the call does not read, only the direction's general constants); fast: ELU
 * that the float kernel computes within 1 ulp; gen / bwd: the general f32 kernels.
 */
static void fill_params(elu4j_params *p, int function, double alpha, double scale,
                        double input_scale, int backward)
{
    p->function = function;
    p->alpha = alpha;
    p->scale = scale;
    p->input_scale = input_scale;
    p->coef = alpha * scale;
    p->clo = fma(alpha, scale, -p->coef);
    if (p->clo == 0.0) {
        p->clo = -0.0; /* v + -0.0 is v for every v, -0.0 included */
    }
    p->cis = p->coef * input_scale;
    p->alpha_f = (float)alpha;
    p->fast = elu4j_uses_float_kernel(function, alpha, scale, input_scale);
    fill_general(p, backward, backward ? &p->bwd : &p->gen);
    (backward ? &p->gen : &p->bwd)->enabled = 0;
    p->leaky_kind = ELU4J_LEAKY_DOUBLE; /* read for LeakyReLU only; three stores, so that no */
                                        /* field a kernel may copy is left indeterminate */
    p->slope_hi = 0.0f;
    p->slope_lo = 0.0f;
    if (function == ELU4J_FN_LEAKY_RELU) {
        fill_leaky(p);
    }
}

/*
 * Checks a forward call (the order of elu4j.h) and fills *task for the active ISA level.
 * Returns ELU4J_OK also for n == 0 (then task is not filled and nothing must run).
 */
static int prepare_forward(int function, int dtype, const void *src, const void *dst, size_t n,
                           double alpha, double scale, double input_scale, elu4j_task *task)
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
        (function == ELU4J_FN_ELU && !products_ok(alpha, scale, input_scale)) ||
        !range_ok(src, n * es) || !range_ok(dst, n * es)) {
        return ELU4J_ERR_INVALID_ARGUMENT;
    }
    if (src != dst && intersect(src, dst, n * es)) {
        return ELU4J_ERR_OVERLAP;
    }
    task->isa = elu4j_active_isa();
    task->dtype = dtype;
    task->elem_size = es;
    fill_params(&task->params, function, alpha, scale, input_scale, 0);
    /* decided here, on the whole call (the kernels that do not stream ignore it) */
    task->stream = elu4j_use_streaming_stores(src, dst, n, es);
    return ELU4J_OK;
}

void elu4j_task_run(const elu4j_task *task, const void *src, void *dst, size_t n)
{
    switch (task->isa) {
#if defined(ELU4J_HAVE_X86_KERNELS)
    case ELU4J_ISA_AVX2:
        elu4j_forward_kernel_avx2(&task->params, task->dtype, src, dst, n, task->stream);
        break;
#if defined(ELU4J_HAVE_AVX512_KERNELS)
    case ELU4J_ISA_AVX512:
        elu4j_forward_kernel_avx512(&task->params, task->dtype, src, dst, n, task->stream);
        break;
#endif
#endif
    default:
        elu4j_forward_kernel_portable(&task->params, task->dtype, src, dst, n, task->stream);
        break;
    }
}

int elu4j_forward(int function, int dtype, const void *src, void *dst, size_t n, double alpha,
                  double scale, double input_scale)
{
    elu4j_task task;
    const int status =
        prepare_forward(function, dtype, src, dst, n, alpha, scale, input_scale, &task);
    if (status != ELU4J_OK || n == 0) {
        return status;
    }
    elu4j_task_run(&task, src, dst, n);
    return ELU4J_OK;
}

int elu4j_forward_mt(int function, int dtype, const void *src, void *dst, size_t n, double alpha,
                     double scale, double input_scale, int threads)
{
    elu4j_task task;
    const int status =
        prepare_forward(function, dtype, src, dst, n, alpha, scale, input_scale, &task);
    if (status != ELU4J_OK || n == 0) {
        return status;
    }
    elu4j_mt_run(&task, src, dst, n, threads);
    return ELU4J_OK;
}

int elu4j_backward(int function, int dtype, int from_dst, const void *diff_dst, const void *data,
                   void *diff_src, size_t n, double alpha, double scale, double input_scale)
{
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
        (function == ELU4J_FN_ELU && !products_ok(alpha, scale, input_scale)) ||
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
    elu4j_params p;
    fill_params(&p, function, alpha, scale, input_scale, 1);
    const int fd = from_dst != 0;
    const int stream = elu4j_use_streaming_stores(diff_dst, diff_src, n, es);
    switch (elu4j_active_isa()) {
#if defined(ELU4J_HAVE_X86_KERNELS)
    case ELU4J_ISA_AVX2:
        elu4j_backward_kernel_avx2(&p, dtype, fd, diff_dst, data, diff_src, n, stream);
        break;
#if defined(ELU4J_HAVE_AVX512_KERNELS)
    case ELU4J_ISA_AVX512:
        elu4j_backward_kernel_avx512(&p, dtype, fd, diff_dst, data, diff_src, n, stream);
        break;
#endif
#endif
    default:
        elu4j_backward_kernel_portable(&p, dtype, fd, diff_dst, data, diff_src, n, stream);
        break;
    }
    return ELU4J_OK;
}
