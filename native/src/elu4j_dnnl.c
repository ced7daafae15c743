/*
 * elu4j native helper: the oneDNN execute shim (see elu4j.h). It calls oneDNN only through the
 * function pointers its caller passes, so libelu4j neither links against nor needs oneDNN, and
 * it keeps no state: everything lives in the arguments and on the stack.
 */
#include "elu4j.h"

#include <stdint.h>

/* Execute, then wait, even after a failed execute: whatever it started must end before the caller
 * may free the buffers. Returns ELU4J_OK, or ELU4J_DNNL_FAILED with the first call that failed
 * recorded. */
static int execute_and_wait(const elu4j_dnnl_api *api, const void *primitive, void *stream,
                            int nargs, const elu4j_dnnl_exec_arg *args, int *dnnl_status,
                            int *failed_call)
{
    int status = api->primitive_execute(primitive, stream, nargs, args);
    if (status != 0) {
        (void)api->stream_wait(stream);
        *dnnl_status = status;
        *failed_call = ELU4J_DNNL_CALL_EXECUTE;
        return ELU4J_DNNL_FAILED;
    }
    status = api->stream_wait(stream);
    if (status != 0) {
        *dnnl_status = status;
        *failed_call = ELU4J_DNNL_CALL_STREAM_WAIT;
        return ELU4J_DNNL_FAILED;
    }
    return ELU4J_OK;
}

/* The checks both shims share: the out-parameters (cleared), then the struct. */
static int check_api(const elu4j_dnnl_api *api, int *dnnl_status, int *failed_call)
{
    if (dnnl_status == NULL || failed_call == NULL) {
        return ELU4J_ERR_NULL_POINTER;
    }
    *dnnl_status = 0;
    *failed_call = ELU4J_DNNL_CALL_NONE;
    if (api == NULL) {
        return ELU4J_ERR_NULL_POINTER;
    }
    if (api->size != sizeof(elu4j_dnnl_api)) {
        return ELU4J_ERR_INVALID_ARGUMENT; /* another layout: its fields cannot be trusted */
    }
    return ELU4J_OK;
}

int elu4j_dnnl_execute_unary(const elu4j_dnnl_api *api, const void *primitive, void *stream,
                             void *src_memory, void *dst_memory, const void *src, void *dst,
                             int *dnnl_status, int *failed_call)
{
    const int checked = check_api(api, dnnl_status, failed_call);
    if (checked != ELU4J_OK) {
        return checked;
    }
    if (api->memory_set_data_handle == NULL || api->primitive_execute == NULL ||
        api->stream_wait == NULL || primitive == NULL || stream == NULL || src_memory == NULL ||
        dst_memory == NULL || src == NULL || dst == NULL) {
        return ELU4J_ERR_NULL_POINTER;
    }

    /* oneDNN takes a non-const data handle for both; it only reads the source. */
    int status = api->memory_set_data_handle(src_memory, (void *)(uintptr_t)src);
    if (status != 0) {
        *dnnl_status = status;
        *failed_call = ELU4J_DNNL_CALL_SET_SRC_HANDLE;
        return ELU4J_OK;
    }
    status = api->memory_set_data_handle(dst_memory, dst);
    if (status != 0) {
        *dnnl_status = status;
        *failed_call = ELU4J_DNNL_CALL_SET_DST_HANDLE;
        return ELU4J_OK;
    }
    const elu4j_dnnl_exec_arg args[2] = {{api->arg_src, src_memory}, {api->arg_dst, dst_memory}};
    (void)execute_and_wait(api, primitive, stream, 2, args, dnnl_status, failed_call);
    return ELU4J_OK; /* whatever oneDNN answered: the caller reads *failed_call */
}

int elu4j_dnnl_execute_wait(const elu4j_dnnl_api *api, const void *primitive, void *stream,
                            int nargs, const elu4j_dnnl_exec_arg *args, int *dnnl_status,
                            int *failed_call)
{
    const int checked = check_api(api, dnnl_status, failed_call);
    if (checked != ELU4J_OK) {
        return checked;
    }
    if (api->primitive_execute == NULL || api->stream_wait == NULL || primitive == NULL ||
        stream == NULL || args == NULL) {
        return ELU4J_ERR_NULL_POINTER;
    }
    if (nargs < 1 || nargs > ELU4J_DNNL_MAX_ARGS) {
        return ELU4J_ERR_INVALID_ARGUMENT;
    }
    return execute_and_wait(api, primitive, stream, nargs, args, dnnl_status, failed_call);
}

const char *elu4j_dnnl_call_name(int call)
{
    switch (call) {
    case ELU4J_DNNL_CALL_NONE:
        return "none";
    case ELU4J_DNNL_CALL_SET_SRC_HANDLE:
    case ELU4J_DNNL_CALL_SET_DST_HANDLE:
        return "dnnl_memory_set_data_handle";
    case ELU4J_DNNL_CALL_EXECUTE:
        return "dnnl_primitive_execute";
    case ELU4J_DNNL_CALL_STREAM_WAIT:
        return "dnnl_stream_wait";
    default:
        return "unknown call";
    }
}
