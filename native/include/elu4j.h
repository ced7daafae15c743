/*
 * elu4j native helper: SIMD kernels of the ELU family called from Java through the FFM API.
 *
 * The one public header of libelu4j: one operation model, elu4j_forward / elu4j_backward (and the
 * parallel elu4j_forward_mt), on the ISA level elu4j_pin_thread_isa or elu4j_pin_isa selects (the best one by default). Everything not declared here has hidden visibility.
 * Every function is thread-safe and keeps no pointer it was given beyond the call, so Java may
 * pass heap arrays through critical downcalls to the kernels. The exception is the oneDNN shims:
 * the oneDNN memory objects they work on keep their data handles after the call, so they must
 * never see heap memory. No function exits or prints.
 */
#ifndef ELU4J_H
#define ELU4J_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ELU4J_API __attribute__((visibility("default")))
#else
#define ELU4J_API
#endif

#define ELU4J_VERSION_MAJOR 0
#define ELU4J_VERSION_MINOR 2
#define ELU4J_VERSION_PATCH 0
/** MAJOR * 10000 + MINOR * 100 + PATCH of this header; compare with elu4j_version(). */
#define ELU4J_VERSION_NUMBER (ELU4J_VERSION_MAJOR * 10000 + ELU4J_VERSION_MINOR * 100 + ELU4J_VERSION_PATCH)

/** Status codes returned by the kernels. */
typedef enum elu4j_status {
    ELU4J_OK = 0,
    ELU4J_ERR_NULL_POINTER = 1,     /**< src or dst is NULL while n > 0 */
    ELU4J_ERR_INVALID_ARGUMENT = 2, /**< unknown function, type or ISA number, a parameter that
                                         is not finite (or not allowed), or n elements from a
                                         pointer would run past the end of the address space */
    ELU4J_ERR_OVERLAP = 3,          /**< src and dst overlap without being identical (in place) */
    ELU4J_ERR_UNSUPPORTED_ISA = 4   /**< the requested ISA is not available on the running CPU */
} elu4j_status;

/** Instruction-set levels a kernel can be built for, from most portable to fastest. */
typedef enum elu4j_isa {
    ELU4J_ISA_PORTABLE = 0, /**< plain C, FMA through fmaf(): runs on any x86-64 */
    ELU4J_ISA_AVX2 = 1,     /**< AVX2 + FMA, 8 floats a step */
    ELU4J_ISA_AVX512 = 2,   /**< AVX-512 F/DQ/BW/VL, 16 floats a step, masked tail */
    ELU4J_ISA_BEST = -1     /**< elu4j_pin_isa, elu4j_pin_thread_isa only: no pin */
} elu4j_isa;

/** Runtime version number, same encoding as ELU4J_VERSION_NUMBER. */
ELU4J_API int elu4j_version(void);

/** Runtime version as a static string such as "0.2.0". Never NULL. */
ELU4J_API const char *elu4j_version_string(void);

/** The fastest elu4j_isa the running CPU (and OS) supports. */
ELU4J_API int elu4j_best_isa(void);

/**
 * Pins every kernel call (elu4j_forward, elu4j_forward_mt, elu4j_backward) to one elu4j_isa, for
 * the whole process, e.g. to run the AVX2 or portable kernels on an AVX-512 machine (the Java
 * library does this for -Delu4j.helper.isa / ELU4J_HELPER_ISA; tests do it to check each level).
 * ELU4J_ISA_BEST undoes the pin. Returns ELU4J_ERR_INVALID_ARGUMENT for an unknown number and
 * ELU4J_ERR_UNSUPPORTED_ISA when the CPU lacks the level (the pin is then unchanged). Thread-safe;
 * calls already running finish on the ISA they started with. Results do not change: every ISA
 * gives the same bits.
 */
ELU4J_API int elu4j_pin_isa(int isa);

/**
 * Pins the calling thread's kernel calls to one elu4j_isa, over the process-wide pin: for a tool
 * or test that runs each level from several threads at once (elu4j accuracy compares them) without
 * touching any other thread's calls. ELU4J_ISA_BEST removes the thread's pin. Statuses as for
 * elu4j_pin_isa (the pin is then unchanged). The workers of an elu4j_forward_mt call run the
 * calling thread's level. Threads that never pin pay one relaxed load of a counter per call.
 */
ELU4J_API int elu4j_pin_thread_isa(int isa);

/**
 * The elu4j_isa that the calling thread's kernel calls run on: its own pin
 * (elu4j_pin_thread_isa), else the process's (elu4j_pin_isa), else elu4j_best_isa().
 */
ELU4J_API int elu4j_active_isa(void);

/** 1 if the running CPU supports the given elu4j_isa, else 0 (also 0 for unknown numbers). */
ELU4J_API int elu4j_isa_supported(int isa);

/** Static name of an elu4j_isa ("portable", "avx2", "avx512"), or "unknown". Never NULL. */
ELU4J_API const char *elu4j_isa_name(int isa);

/** Static name of an elu4j_status ("ELU4J_OK", ...), or "unknown status". Never NULL. */
ELU4J_API const char *elu4j_status_name(int status);

/* ------------------------------------------------------------------------------------------- */
/*
 * The whole family: ELU (and its SELU / CELU / scaled forms), ReLU and LeakyReLU, forward and
 * backward, on f32, f64, bf16 and f16. The definitions (the same as the Java library's
 * org.elu4j.internal.Op):
 *
 * forward, ELU:        y = x > 0 ? scale*x : alpha*scale*expm1(x*input_scale); NaN -> same NaN bits
 * forward, RELU:       y = x > 0 ? x : +0.0; NaN -> same NaN bits (parameters ignored)
 * forward, LEAKY_RELU: y = x > 0 ? x : alpha*x (alpha is the slope); NaN -> same NaN bits
 *                      (scale and input_scale ignored)
 * backward from src (data = x):
 *   ELU:        dx = x > 0 ? dy*scale : dy*alpha*scale*input_scale*exp(x*input_scale)
 *   RELU:       dx = x <= 0 ? +0.0 : dy (a NaN x passes dy, as PyTorch's threshold_backward)
 *   LEAKY_RELU: dx = x > 0 ? dy : alpha*dy
 * backward from dst (data = y, the forward's output):
 *   ELU:        dx = y > 0 ? dy*scale : dy*input_scale*(y + alpha*scale)
 *               (only for alpha >= 0, scale > 0, input_scale > 0)
 *   RELU:       dx = y <= 0 ? +0.0 : dy
 *   LEAKY_RELU: dx = y > 0 ? dy : alpha*dy (only for alpha >= 0)
 *
 * The parameters are doubles and mean their exact values. f32 results are within 1 ulp of the
 * exact value rounded to float (forward); the f32 forward of ELU with scale == input_scale == 1 and
 * alpha = 2^k, k in [-100, 100] (positive: the float kernel keeps -0.0, which is the sign rule only
 * for alpha > 0) runs the float ELU kernel (elu4j_uses_float_kernel: all in f32, within 1 ulp of
 * the correctly rounded result; NaN keeps its bits, -0.0 stays -0.0, -inf gives -alpha; outputs of
 * 16 MiB and more, out of place, are written with streaming stores, which bypass the cache); every
 * other f32 ELU whose alpha * scale, scale, input_scale and their product lie in [2^-60, 2^60]
 * (SELU, CELU, ELU with any alpha > 0, the scaled form) runs the general f32 kernel (float pairs
 * for the parameters and the intermediate result: within 1 ulp of the correctly rounded result,
 * NaN keeps its bits, +-0.0 stays +-0.0); the rest (negative or extreme parameters) evaluates its
 * negative side in double. f64 is computed in double, with
 * t = x * input_scale rounded to double (as the Java scalar oracle does): within 3 double ulps of
 * the exact function of that t (forward), 4 (backward; a subnormal result is the double
 * evaluation (dy * cis) * exp(t), as the Java oracle's: within a few units of 2^-1074 where exp(t)
 * is a normal double (t >= -708) or |dy * cis| <= 2, else off by up to |dy * cis| / 2 units of
 * 2^-1074 (exp(t) subnormal), 0 where exp(t) rounds to 0 (t < -745), NaN for an infinite dy).
 * Where x * input_scale is itself below the normal range (a tiny x, a small input_scale) and
 * |alpha * scale| > 2 multiplies it back up, its lost low bits would be multiplied too: the f64
 * forward's table kernel keeps them for parameters in [2^-500, 2^500], its double evaluation beyond
 * does not; the f32 forward evaluated in double loses them where |alpha * scale| exceeds about 2^873
 * (CELU(1e300) of -1e-30 gives -0.0). docs/accuracy.md, "Where the double evaluation loses more".
 * All three parameters must be finite for every function, also where unused; for ELU,
 * alpha * scale and alpha * scale * input_scale (in double) must be finite and, unless a factor is 0,
 * at least 2^-969 in magnitude (ELU4J_ERR_INVALID_ARGUMENT otherwise). bf16 and f16 are storage types:
 * each element is widened to float, computed exactly as f32 (same kernel, same bits), and the
 * float result rounded to nearest-even (NaN stays a NaN of the same sign). All ISAs give
 * bit-identical results.
 */

/** Functions of elu4j_forward / elu4j_backward. */
typedef enum elu4j_function {
    ELU4J_FN_ELU = 0,       /**< ELU / SELU / CELU: alpha, scale, input_scale */
    ELU4J_FN_RELU = 1,      /**< ReLU: no parameters */
    ELU4J_FN_LEAKY_RELU = 2 /**< LeakyReLU: alpha is the slope */
} elu4j_function;

/** Element types. */
typedef enum elu4j_dtype {
    ELU4J_DT_F32 = 0,  /**< float */
    ELU4J_DT_F64 = 1,  /**< double */
    ELU4J_DT_BF16 = 2, /**< bfloat16 in a uint16_t */
    ELU4J_DT_F16 = 3   /**< IEEE binary16 in a uint16_t */
} elu4j_dtype;

/** Bytes per element of an elu4j_dtype, or 0 for an unknown number. */
ELU4J_API size_t elu4j_dtype_size(int dtype);

/**
 * 1 when f32 forward of (function, alpha, scale, input_scale) runs on the float ELU kernel (the
 * fast path: see above), else 0: ELU with scale == input_scale == 1
 * and alpha = 2^k, k in [-100, 100] (positive only: the float kernel keeps -0.0 as -0.0, the sign
 * rule only for a positive coefficient). Everything else runs the general f32 kernel or, outside
 * its parameter range, has its negative side in double (see above). The one
 * place the helper decides this; the Java library's Op.isFastF32Elu() states the same rule for
 * the Vector API backend, and the tests check that the two agree.
 */
ELU4J_API int elu4j_uses_float_kernel(int function, double alpha, double scale, double input_scale);

/**
 * Forward, dst = f(src), for n elements of dtype on elu4j_active_isa() (the best ISA of the running
 * CPU unless pinned). src and dst need no particular alignment. dst == src is in place; any other
 * overlap gives ELU4J_ERR_OVERLAP. n == 0 returns ELU4J_OK after checking only function and dtype
 * (NULL pointers and any parameters are fine then). Checks, in this order: unknown function or
 * dtype (ELU4J_ERR_INVALID_ARGUMENT), NULL pointer, non-finite parameter or impossible range
 * (ELU4J_ERR_INVALID_ARGUMENT), overlap. On error dst is untouched. Serial; keeps no pointer:
 * heap arrays may come through critical downcalls.
 */
ELU4J_API int elu4j_forward(int function, int dtype, const void *src, void *dst, size_t n,
                            double alpha, double scale, double input_scale);

/** Most threads elu4j_forward_mt uses for one call (the caller included). */
#define ELU4J_MT_MAX_THREADS 64

/**
 * elu4j_forward on up to `threads` threads: the calling thread and workers of a pool that the
 * library starts on first use and keeps (idle workers sleep; they are stopped and joined when
 * the library is unloaded or the process exits). threads <= 0 means the number of CPUs this
 * process may run on: the online CPUs, or fewer where the affinity masks of its main thread and
 * of the first parallel caller together allow fewer (taskset, a container's cpuset), read at the
 * first parallel call; a CPU quota (docker --cpus) is no mask, so pass the count you want where
 * one applies. More than that count of CPUs count as that many. Workers run on those CPUs with
 * the main thread's scheduling policy, at the lower nice level of the two threads (as far as the
 * system lets a thread go), whichever thread started them.
 * Not a cancellation point: cancellation is disabled for the call's duration.
 *
 * The result is bit for bit that of elu4j_forward (same kernels, same streaming-store choice, and
 * the workers run under the caller's MXCSR controls: flush-to-zero, denormals-are-zero, rounding);
 * same arguments, checks, statuses and guarantees, and it returns only when every element is
 * written. [0, n) is cut into chunks on dst's 64-byte lines, so no two threads write the same
 * cache line. Calls of fewer than elu4j_mt_min_elements() elements, and calls where threads comes
 * to 1, run serially in the calling thread, as fast as elu4j_forward.
 *
 * Thread-safe: one call at a time has the pool. A call that finds another parallel call in
 * flight (or the pool owned) runs serially in its own thread at once rather than wait for it, and
 * after a parallel call lost its workers to other load, the next calls run serially for a while
 * (a back-off); the bits are the same either way. A parallel call waits for its workers to
 * finish its chunks, so it may block: never call it where blocking is not allowed (e.g. a Java
 * critical downcall). In a child of fork(), calls run serially (the pool stays the parent's).
 * Keeps no pointer beyond the call.
 */
ELU4J_API int elu4j_forward_mt(int function, int dtype, const void *src, void *dst, size_t n,
                               double alpha, double scale, double input_scale, int threads);

/** The size (elements) from which elu4j_forward_mt runs in parallel; below it, serially. */
ELU4J_API size_t elu4j_mt_min_elements(void);

/**
 * Backward, diff_src = diff_dst * f'(...), for n elements of dtype, from the forward's input
 * (from_dst == 0, data = x) or output (from_dst != 0, data = y), on elu4j_active_isa().
 * diff_src may be the same region as diff_dst (in place over the gradient) but must not overlap
 * data otherwise, nor diff_dst partially (ELU4J_ERR_OVERLAP); diff_dst and data are only read and
 * may overlap each other in any way. from_dst with parameters for which it is undefined (see above)
 * gives ELU4J_ERR_INVALID_ARGUMENT. Same order of checks as elu4j_forward; on error diff_src is
 * untouched. Serial; keeps no pointer. At the AVX2 and AVX-512 levels, the f32 and f64 backward
 * of ELU from dst writes diff_src with streaming stores, which bypass the cache (the same bits),
 * when diff_src is 16 MiB or more, is not diff_dst and is aligned to its element size.
 */
ELU4J_API int elu4j_backward(int function, int dtype, int from_dst, const void *diff_dst,
                             const void *data, void *diff_src, size_t n, double alpha,
                             double scale, double input_scale);

/* ------------------------------------------------------------------------------------------- */
/*
 * oneDNN execute shims: let Java run one oneDNN eltwise execution (set both data handles,
 * execute, wait) in one downcall instead of four, or execute and wait in one instead of two.
 * libelu4j does not link against oneDNN and works
 * without it: the caller hands over oneDNN's own functions as pointers, in an elu4j_dnnl_api that
 * it fills once (from the addresses it looked up in libdnnl) and keeps alive while it calls.
 * The types below mirror oneDNN's C API (oneapi/dnnl/dnnl.h, oneDNN 3.x) with its handles as
 * void pointers and dnnl_status_t as int, which is how those functions are called on x86-64
 * (every handle is a pointer, dnnl_status_t is a 32-bit enum and dnnl_success is 0).
 */

/** dnnl_memory_set_data_handle(dnnl_memory_t memory, void *handle). */
typedef int (*elu4j_dnnl_memory_set_data_handle_fn)(void *memory, void *handle);

/** Layout of dnnl_exec_arg_t: { int arg; dnnl_memory_t memory; }. */
typedef struct elu4j_dnnl_exec_arg {
    int arg;
    void *memory;
} elu4j_dnnl_exec_arg;

/** dnnl_primitive_execute(const_dnnl_primitive_t, dnnl_stream_t, int nargs,
                           const dnnl_exec_arg_t *args). */
typedef int (*elu4j_dnnl_primitive_execute_fn)(const void *primitive, void *stream, int nargs,
                                               const elu4j_dnnl_exec_arg *args);

/** dnnl_stream_wait(dnnl_stream_t stream). */
typedef int (*elu4j_dnnl_stream_wait_fn)(void *stream);

/**
 * The oneDNN functions and argument ids elu4j_dnnl_execute_unary uses. Filled by the caller;
 * read, never written or kept, by the shim.
 */
typedef struct elu4j_dnnl_api {
    /** sizeof(elu4j_dnnl_api) as the caller knows it: a different value is refused, so a caller
        built against another layout of this struct cannot make the shim call garbage. */
    size_t size;
    elu4j_dnnl_memory_set_data_handle_fn memory_set_data_handle; /**< dnnl_memory_set_data_handle */
    elu4j_dnnl_primitive_execute_fn primitive_execute;            /**< dnnl_primitive_execute */
    elu4j_dnnl_stream_wait_fn stream_wait;                        /**< dnnl_stream_wait */
    int arg_src; /**< DNNL_ARG_SRC (1 in oneDNN 3.x) */
    int arg_dst; /**< DNNL_ARG_DST (17 in oneDNN 3.x) */
} elu4j_dnnl_api;

/** The oneDNN call of elu4j_dnnl_execute_unary or _wait that failed (its *failed_call). */
typedef enum elu4j_dnnl_call {
    ELU4J_DNNL_CALL_NONE = 0,           /**< none failed (or none was made) */
    ELU4J_DNNL_CALL_SET_SRC_HANDLE = 1, /**< memory_set_data_handle(src_memory, src) */
    ELU4J_DNNL_CALL_SET_DST_HANDLE = 2, /**< memory_set_data_handle(dst_memory, dst) */
    ELU4J_DNNL_CALL_EXECUTE = 3,        /**< primitive_execute(primitive, stream, nargs, args) */
    ELU4J_DNNL_CALL_STREAM_WAIT = 4     /**< stream_wait(stream) */
} elu4j_dnnl_call;

/**
 * Runs a oneDNN primitive with one source and one destination memory (an eltwise forward, for
 * instance) on the given buffers, and waits for it:
 *
 *   api->memory_set_data_handle(src_memory, src)
 *   api->memory_set_data_handle(dst_memory, dst)
 *   api->primitive_execute(primitive, stream, 2,
 *                          {{api->arg_src, src_memory}, {api->arg_dst, dst_memory}})
 *   api->stream_wait(stream)
 *
 * stopping at the first call that does not return dnnl_success (0), except that a failed
 * execute is still followed by stream_wait (its result ignored), so that nothing can still be
 * running on src or dst when this function returns. src == dst (in place) is fine if the
 * primitive allows it. The memory objects keep src and dst as their data handles afterwards, as
 * oneDNN always does; the shim keeps nothing itself.
 *
 * dnnl_status and failed_call are outputs and must not be NULL. Whenever both are given they are
 * written: *failed_call is the elu4j_dnnl_call that failed (ELU4J_DNNL_CALL_NONE if none) and
 * *dnnl_status its oneDNN status (0, dnnl_success, if none failed).
 *
 * Returns ELU4J_OK once the calls were made, whatever oneDNN answered: check *failed_call.
 * Returns, without calling anything: ELU4J_ERR_NULL_POINTER when any pointer argument, or any
 * function pointer in *api, is NULL; ELU4J_ERR_INVALID_ARGUMENT when api->size is not
 * sizeof(elu4j_dnnl_api). Thread-safe as far as oneDNN is: the memory objects and the stream must
 * not be used by another thread at the same time (oneDNN's rule).
 */
ELU4J_API int elu4j_dnnl_execute_unary(const elu4j_dnnl_api *api, const void *primitive,
                                       void *stream, void *src_memory, void *dst_memory,
                                       const void *src, void *dst, int *dnnl_status,
                                       int *failed_call);

/** Most arguments elu4j_dnnl_execute_wait passes on (an eltwise backward takes three). */
#define ELU4J_DNNL_MAX_ARGS 16

/**
 * What elu4j_dnnl_execute_wait returns when it made its calls and one of them failed: negative,
 * so that it is none of the elu4j_status codes.
 */
#define ELU4J_DNNL_FAILED (-1)

/**
 * Runs a oneDNN primitive on memory objects whose data handles the caller has already set, and
 * waits for it:
 *
 *   api->primitive_execute(primitive, stream, nargs, args)
 *   api->stream_wait(stream)
 *
 * a failed execute still followed by stream_wait (its result ignored), as in
 * elu4j_dnnl_execute_unary. It exists so that a caller who must keep the buffers alive across
 * both calls (the FFM linker holds a segment's arena for the length of a downcall it is passed
 * to) pays for one downcall and one hold instead of two; api->memory_set_data_handle is not used
 * and may be NULL.
 *
 * dnnl_status and failed_call are outputs, written as by elu4j_dnnl_execute_unary
 * (ELU4J_DNNL_CALL_EXECUTE or ELU4J_DNNL_CALL_STREAM_WAIT when a call failed), but unlike it the
 * return value says whether anything failed, so that a caller need read them only when it is not
 * ELU4J_OK:
 *
 *   ELU4J_OK (0)            both calls were made and succeeded (*failed_call is
 *                           ELU4J_DNNL_CALL_NONE, *dnnl_status 0);
 *   ELU4J_DNNL_FAILED (-1)  both calls were made and one failed: *failed_call says which
 *                           (the execute if both did), *dnnl_status its oneDNN status;
 *   ELU4J_ERR_NULL_POINTER  nothing was called: api, primitive, stream, args, an output,
 *                           api->primitive_execute or api->stream_wait is NULL;
 *   ELU4J_ERR_INVALID_ARGUMENT  nothing was called: api->size is not sizeof(elu4j_dnnl_api), or
 *                           nargs is not in [1, ELU4J_DNNL_MAX_ARGS].
 *
 * On a refusal the outputs are cleared (NONE, 0) when both are given. Thread-safe as far as
 * oneDNN is (as elu4j_dnnl_execute_unary).
 */
ELU4J_API int elu4j_dnnl_execute_wait(const elu4j_dnnl_api *api, const void *primitive,
                                      void *stream, int nargs, const elu4j_dnnl_exec_arg *args,
                                      int *dnnl_status, int *failed_call);

/**
 * Static name of the oneDNN function of an elu4j_dnnl_call ("dnnl_memory_set_data_handle",
 * "dnnl_primitive_execute", "dnnl_stream_wait"), "none", or "unknown call". Never NULL.
 */
ELU4J_API const char *elu4j_dnnl_call_name(int call);

#ifdef __cplusplus
}
#endif

#endif /* ELU4J_H */
