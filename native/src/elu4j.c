/*
 * elu4j native helper: public entry points — version, ISA detection and names, argument checks
 * and dispatch to the per-ISA kernels.
 *
 * CPU features are read on every call with __builtin_cpu_supports, which only reads the feature
 * words that libgcc fills in from a constructor when this library is loaded (before any of its
 * functions can be called), and checks OS support (XCR0) for the AVX/AVX-512 register state too.
 * The one piece of mutable global state is the ISA pin (elu4j_pin_isa), an atomic int: a relaxed
 * load per call is enough, since every ISA gives the same bits and a call only needs some valid
 * level that the CPU supports.
 */
#include "elu4j.h"
#include "elu4j_internal.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>

#define ELU4J_STR2(x) #x
#define ELU4J_STR(x) ELU4J_STR2(x)

int elu4j_version(void)
{
    return ELU4J_VERSION_NUMBER;
}

const char *elu4j_version_string(void)
{
    return ELU4J_STR(ELU4J_VERSION_MAJOR) "." ELU4J_STR(ELU4J_VERSION_MINOR) "." ELU4J_STR(
        ELU4J_VERSION_PATCH);
}

#if defined(ELU4J_HAVE_X86_KERNELS)
static int cpu_has_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int cpu_has_avx512(void)
{
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
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
    case ELU4J_ISA_AVX512:
        return cpu_has_avx512();
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

int elu4j_pin_isa(int isa)
{
    if (isa == ELU4J_ISA_BEST) {
        atomic_store_explicit(&g_pinned_isa, ELU4J_ISA_BEST, memory_order_relaxed);
        return ELU4J_OK;
    }
    if (isa != ELU4J_ISA_PORTABLE && isa != ELU4J_ISA_AVX2 && isa != ELU4J_ISA_AVX512) {
        return ELU4J_ERR_INVALID_ARGUMENT;
    }
    if (!elu4j_isa_supported(isa)) {
        return ELU4J_ERR_UNSUPPORTED_ISA;
    }
    atomic_store_explicit(&g_pinned_isa, isa, memory_order_relaxed);
    return ELU4J_OK;
}

int elu4j_active_isa(void)
{
    const int pinned = atomic_load_explicit(&g_pinned_isa, memory_order_relaxed);
    return pinned != ELU4J_ISA_BEST ? pinned : elu4j_best_isa();
}

const char *elu4j_isa_name(int isa)
{
    switch (isa) {
    case ELU4J_ISA_PORTABLE:
        return "portable";
    case ELU4J_ISA_AVX2:
        return "avx2";
    case ELU4J_ISA_AVX512:
        return "avx512";
    default:
        return "unknown";
    }
}

const char *elu4j_status_name(int status)
{
    switch (status) {
    case ELU4J_OK:
        return "ELU4J_OK";
    case ELU4J_ERR_NULL_POINTER:
        return "ELU4J_ERR_NULL_POINTER";
    case ELU4J_ERR_INVALID_ARGUMENT:
        return "ELU4J_ERR_INVALID_ARGUMENT";
    case ELU4J_ERR_OVERLAP:
        return "ELU4J_ERR_OVERLAP";
    case ELU4J_ERR_UNSUPPORTED_ISA:
        return "ELU4J_ERR_UNSUPPORTED_ISA";
    default:
        return "unknown status";
    }
}

/*
 * Checks the arguments of an n-element f32 call once the ISA is known to be usable.
 * n == 0 is always fine (nothing is read or written). Pointers are compared as integers,
 * which is what "overlap" means for memory that may come from different allocations.
 */
int elu4j_check_args(const void *src, const void *dst, size_t n, float alpha)
{
    if (n == 0) {
        return ELU4J_OK;
    }
    if (src == NULL || dst == NULL) {
        return ELU4J_ERR_NULL_POINTER;
    }
    if (!isfinite(alpha)) {
        return ELU4J_ERR_INVALID_ARGUMENT;
    }
    if (n > SIZE_MAX / sizeof(float)) {
        return ELU4J_ERR_INVALID_ARGUMENT;
    }
    const uintptr_t s = (uintptr_t)src;
    const uintptr_t d = (uintptr_t)dst;
    const uintptr_t bytes = (uintptr_t)(n * sizeof(float));
    if (s > UINTPTR_MAX - bytes || d > UINTPTR_MAX - bytes) {
        return ELU4J_ERR_INVALID_ARGUMENT; /* the range would wrap around the address space */
    }
    if (s != d && s < d + bytes && d < s + bytes) {
        return ELU4J_ERR_OVERLAP;
    }
    return ELU4J_OK;
}

void elu4j_run_kernel(int isa, const void *src, void *dst, size_t n, float alpha, int stream)
{
    switch (isa) {
#if defined(ELU4J_HAVE_X86_KERNELS)
    case ELU4J_ISA_AVX512:
        elu4j_kernel_avx512(src, dst, n, alpha, stream);
        break;
    case ELU4J_ISA_AVX2:
        elu4j_kernel_avx2(src, dst, n, alpha, stream);
        break;
#endif
    default:
        elu4j_kernel_portable(src, dst, n, alpha, stream);
        break;
    }
}

int elu4j_elu_f32_isa(int isa, const void *src, void *dst, size_t n, float alpha)
{
    if (isa != ELU4J_ISA_PORTABLE && isa != ELU4J_ISA_AVX2 && isa != ELU4J_ISA_AVX512) {
        return ELU4J_ERR_INVALID_ARGUMENT;
    }
    if (!elu4j_isa_supported(isa)) {
        return ELU4J_ERR_UNSUPPORTED_ISA;
    }
    const int status = elu4j_check_args(src, dst, n, alpha);
    if (status != ELU4J_OK || n == 0) {
        return status;
    }
    elu4j_run_kernel(isa, src, dst, n, alpha, elu4j_use_streaming_stores(src, dst, n));
    return ELU4J_OK;
}

int elu4j_elu_f32(const void *src, void *dst, size_t n, float alpha)
{
    return elu4j_elu_f32_isa(elu4j_active_isa(), src, dst, n, alpha);
}
