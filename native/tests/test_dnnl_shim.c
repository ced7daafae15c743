/*
 * elu4j native tests (e): the oneDNN execute shims, elu4j_dnnl_execute_unary and
 * elu4j_dnnl_execute_wait, with fake oneDNN functions (no oneDNN needed).
 *
 * The fakes record every call and act like oneDNN: a fake memory object holds its data handle,
 * the fake primitive doubles n floats from its source memory's handle into its destination
 * memory's, and each fake can be told to fail with a status. Covered: the success path (out of
 * place and in place) with the exact call sequence and arguments, each of the four calls failing
 * (a failed execute is still followed by a wait), every NULL argument, a wrong api->size, and
 * elu4j_dnnl_call_name; for execute_wait, the same on memory objects the test points itself, nargs
 * passed through unchanged and refused outside [1, ELU4J_DNNL_MAX_ARGS], and its return value:
 * ELU4J_OK only when both calls succeeded, ELU4J_DNNL_FAILED when one failed, the refusal's status
 * otherwise.
 */
#include "test_util.h"

#include <stddef.h>

#define N 37
#define MAX_LOG 16

/* What the fakes do and what they saw (the test's state; the library keeps none). */
enum fake_kind { SET_HANDLE, EXECUTE, WAIT };
typedef struct fake_call {
    enum fake_kind kind;
    const void *object; /* the memory object, primitive or stream */
    const void *handle; /* SET_HANDLE: the handle */
    const void *stream; /* EXECUTE: the stream */
} fake_call;

static fake_call g_log[MAX_LOG];
static int g_calls;
static int g_fail_set_call = -1; /* index (0 or 1) of the set_data_handle call that fails */
static int g_set_status, g_execute_status, g_wait_status;
static int g_bad_exec_args;

typedef struct fake_memory {
    void *handle;
} fake_memory;
typedef struct fake_primitive {
    int arg_src, arg_dst;
    size_t n;
} fake_primitive;

static void log_call(enum fake_kind kind, const void *object, const void *handle,
                     const void *stream)
{
    if (g_calls < MAX_LOG) {
        g_log[g_calls] = (fake_call){kind, object, handle, stream};
    }
    g_calls++;
}

static int fake_set_handle(void *memory, void *handle)
{
    int set_calls = 0;
    for (int i = 0; i < g_calls && i < MAX_LOG; i++) {
        set_calls += g_log[i].kind == SET_HANDLE;
    }
    log_call(SET_HANDLE, memory, handle, NULL);
    if (set_calls == g_fail_set_call) {
        return g_set_status;
    }
    ((fake_memory *)memory)->handle = handle;
    return 0;
}

static int fake_execute(const void *primitive, void *stream, int nargs,
                        const elu4j_dnnl_exec_arg *args)
{
    log_call(EXECUTE, primitive, NULL, stream);
    if (g_execute_status != 0) {
        return g_execute_status;
    }
    const fake_primitive *p = primitive;
    if (nargs != 2 || args[0].arg != p->arg_src || args[1].arg != p->arg_dst) {
        g_bad_exec_args++;
        return 2; /* dnnl_invalid_arguments */
    }
    const float *in = ((const fake_memory *)args[0].memory)->handle;
    float *out = ((fake_memory *)args[1].memory)->handle;
    for (size_t i = 0; i < p->n; i++) {
        out[i] = 2.0f * in[i];
    }
    return 0;
}

static int fake_wait(void *stream)
{
    log_call(WAIT, stream, NULL, NULL);
    return g_wait_status;
}

static void reset_fakes(void)
{
    g_calls = 0;
    g_fail_set_call = -1;
    g_set_status = g_execute_status = g_wait_status = 0;
    g_bad_exec_args = 0;
    memset(g_log, 0, sizeof g_log);
}

/* Everything one call needs, fresh for each case. */
typedef struct fixture {
    elu4j_dnnl_api api;
    fake_primitive prim;
    int stream;
    fake_memory src_mem, dst_mem;
    float src[N], dst[N];
} fixture;

static void setup(fixture *f)
{
    reset_fakes();
    memset(f, 0, sizeof *f);
    f->api.size = sizeof(elu4j_dnnl_api);
    f->api.memory_set_data_handle = fake_set_handle;
    f->api.primitive_execute = fake_execute;
    f->api.stream_wait = fake_wait;
    f->api.arg_src = 1;  /* DNNL_ARG_SRC */
    f->api.arg_dst = 17; /* DNNL_ARG_DST */
    f->prim = (fake_primitive){1, 17, N};
    for (int i = 0; i < N; i++) {
        f->src[i] = (float)i - 10.0f;
        f->dst[i] = -99.0f;
    }
}

static int dst_untouched(const fixture *f)
{
    for (int i = 0; i < N; i++) {
        if (f->dst[i] != -99.0f) {
            return 0;
        }
    }
    return 1;
}

static int call(fixture *f, int *status, int *failed)
{
    return elu4j_dnnl_execute_unary(&f->api, &f->prim, &f->stream, &f->src_mem, &f->dst_mem,
                                    f->src, f->dst, status, failed);
}

static void test_success(void)
{
    fixture f;
    setup(&f);
    int status = -1, failed = -1;
    const int rc = call(&f, &status, &failed);
    CHECK(rc == ELU4J_OK, "rc %s", elu4j_status_name(rc));
    CHECK(status == 0 && failed == ELU4J_DNNL_CALL_NONE, "status %d failed %d", status, failed);
    CHECK(g_calls == 4, "%d calls, want 4", g_calls);
    CHECK(g_log[0].kind == SET_HANDLE && g_log[0].object == &f.src_mem && g_log[0].handle == f.src,
          "first call: set_data_handle(src_memory, src)");
    CHECK(g_log[1].kind == SET_HANDLE && g_log[1].object == &f.dst_mem && g_log[1].handle == f.dst,
          "second call: set_data_handle(dst_memory, dst)");
    CHECK(g_log[2].kind == EXECUTE && g_log[2].object == &f.prim && g_log[2].stream == &f.stream,
          "third call: execute(primitive, stream, ...)");
    CHECK(g_log[3].kind == WAIT && g_log[3].object == &f.stream, "fourth call: wait(stream)");
    CHECK(g_bad_exec_args == 0, "execute got other arguments than {SRC, DST}");
    int ok = 1;
    for (int i = 0; i < N; i++) {
        ok &= f.dst[i] == 2.0f * f.src[i] && f.src[i] == (float)i - 10.0f;
    }
    CHECK(ok, "the fake primitive did not run on src and dst");

    /* In place: both memories get the same handle. */
    setup(&f);
    status = failed = -1;
    const int rc2 = elu4j_dnnl_execute_unary(&f.api, &f.prim, &f.stream, &f.src_mem, &f.dst_mem,
                                             f.src, f.src, &status, &failed);
    CHECK(rc2 == ELU4J_OK && status == 0 && failed == ELU4J_DNNL_CALL_NONE && g_calls == 4,
          "in place: rc %d status %d failed %d calls %d", rc2, status, failed, g_calls);
    ok = 1;
    for (int i = 0; i < N; i++) {
        ok &= f.src[i] == 2.0f * ((float)i - 10.0f);
    }
    CHECK(ok && g_log[1].handle == f.src, "in place: wrong result or handle");

    /* Other argument ids reach execute as given. */
    setup(&f);
    f.api.arg_src = 1000;
    f.api.arg_dst = 2000;
    f.prim.arg_src = 1000;
    f.prim.arg_dst = 2000;
    const int rc3 = call(&f, &status, &failed);
    CHECK(rc3 == ELU4J_OK && failed == ELU4J_DNNL_CALL_NONE && g_bad_exec_args == 0,
          "argument ids: rc %d failed %d", rc3, failed);
}

static void test_failures(void)
{
    fixture f;
    int status, failed;

    /* set_data_handle(src) fails: nothing else is called. */
    setup(&f);
    g_fail_set_call = 0;
    g_set_status = 2; /* dnnl_invalid_arguments */
    status = failed = -1;
    int rc = call(&f, &status, &failed);
    CHECK(rc == ELU4J_OK && failed == ELU4J_DNNL_CALL_SET_SRC_HANDLE && status == 2,
          "set src: rc %d failed %d status %d", rc, failed, status);
    CHECK(g_calls == 1 && dst_untouched(&f), "set src: %d calls", g_calls);

    /* set_data_handle(dst) fails: no execute, no wait. */
    setup(&f);
    g_fail_set_call = 1;
    g_set_status = 1; /* dnnl_out_of_memory */
    status = failed = -1;
    rc = call(&f, &status, &failed);
    CHECK(rc == ELU4J_OK && failed == ELU4J_DNNL_CALL_SET_DST_HANDLE && status == 1,
          "set dst: rc %d failed %d status %d", rc, failed, status);
    CHECK(g_calls == 2 && g_log[1].object == &f.dst_mem && dst_untouched(&f),
          "set dst: %d calls", g_calls);

    /* execute fails: the stream is still waited for, and execute's status is reported. */
    setup(&f);
    g_execute_status = 5; /* dnnl_runtime_error */
    status = failed = -1;
    rc = call(&f, &status, &failed);
    CHECK(rc == ELU4J_OK && failed == ELU4J_DNNL_CALL_EXECUTE && status == 5,
          "execute: rc %d failed %d status %d", rc, failed, status);
    CHECK(g_calls == 4 && g_log[2].kind == EXECUTE && g_log[3].kind == WAIT,
          "execute: %d calls, the wait must follow a failed execute", g_calls);

    /* execute and the wait after it fail: execute's failure is the one reported. */
    setup(&f);
    g_execute_status = 3; /* dnnl_unimplemented */
    g_wait_status = 5;
    status = failed = -1;
    rc = call(&f, &status, &failed);
    CHECK(rc == ELU4J_OK && failed == ELU4J_DNNL_CALL_EXECUTE && status == 3,
          "execute + wait: rc %d failed %d status %d", rc, failed, status);

    /* wait fails. */
    setup(&f);
    g_wait_status = 5;
    status = failed = -1;
    rc = call(&f, &status, &failed);
    CHECK(rc == ELU4J_OK && failed == ELU4J_DNNL_CALL_STREAM_WAIT && status == 5,
          "wait: rc %d failed %d status %d", rc, failed, status);
    CHECK(g_calls == 4, "wait: %d calls", g_calls);

    /* A negative status (not a oneDNN one, but not success either) is a failure too. */
    setup(&f);
    g_wait_status = -7;
    rc = call(&f, &status, &failed);
    CHECK(rc == ELU4J_OK && failed == ELU4J_DNNL_CALL_STREAM_WAIT && status == -7,
          "negative status: rc %d failed %d status %d", rc, failed, status);
}

/* Expects `want` from the call, no fake called, and (given out-parameters) NONE/0 written. */
static void expect_refused(int want, const elu4j_dnnl_api *api, const void *prim, void *stream,
                           void *src_mem, void *dst_mem, const void *src, void *dst,
                           int *status, int *failed, const char *what, const fixture *f)
{
    if (status != NULL) {
        *status = -1;
    }
    if (failed != NULL) {
        *failed = -1;
    }
    g_calls = 0;
    const int rc = elu4j_dnnl_execute_unary(api, prim, stream, src_mem, dst_mem, src, dst, status,
                                            failed);
    CHECK(rc == want, "%s: rc %s, want %s", what, elu4j_status_name(rc), elu4j_status_name(want));
    CHECK(g_calls == 0, "%s: %d oneDNN calls made, want none", what, g_calls);
    CHECK(dst_untouched(f), "%s: dst written", what);
    if (status != NULL && failed != NULL) {
        CHECK(*status == 0 && *failed == ELU4J_DNNL_CALL_NONE, "%s: outputs %d %d, want 0 0",
              what, *status, *failed);
    } else if (status != NULL) {
        CHECK(*status == -1, "%s: dnnl_status written although failed_call is NULL", what);
    } else if (failed != NULL) {
        CHECK(*failed == -1, "%s: failed_call written although dnnl_status is NULL", what);
    }
}

static void test_null_and_size(void)
{
    fixture f;
    setup(&f);
    int st, fc;
    const int NP = ELU4J_ERR_NULL_POINTER;
    expect_refused(NP, NULL, &f.prim, &f.stream, &f.src_mem, &f.dst_mem, f.src, f.dst, &st, &fc,
                   "api NULL", &f);
    expect_refused(NP, &f.api, NULL, &f.stream, &f.src_mem, &f.dst_mem, f.src, f.dst, &st, &fc,
                   "primitive NULL", &f);
    expect_refused(NP, &f.api, &f.prim, NULL, &f.src_mem, &f.dst_mem, f.src, f.dst, &st, &fc,
                   "stream NULL", &f);
    expect_refused(NP, &f.api, &f.prim, &f.stream, NULL, &f.dst_mem, f.src, f.dst, &st, &fc,
                   "src_memory NULL", &f);
    expect_refused(NP, &f.api, &f.prim, &f.stream, &f.src_mem, NULL, f.src, f.dst, &st, &fc,
                   "dst_memory NULL", &f);
    expect_refused(NP, &f.api, &f.prim, &f.stream, &f.src_mem, &f.dst_mem, NULL, f.dst, &st, &fc,
                   "src NULL", &f);
    expect_refused(NP, &f.api, &f.prim, &f.stream, &f.src_mem, &f.dst_mem, f.src, NULL, &st, &fc,
                   "dst NULL", &f);
    expect_refused(NP, &f.api, &f.prim, &f.stream, &f.src_mem, &f.dst_mem, f.src, f.dst, NULL,
                   &fc, "dnnl_status NULL", &f);
    expect_refused(NP, &f.api, &f.prim, &f.stream, &f.src_mem, &f.dst_mem, f.src, f.dst, &st,
                   NULL, "failed_call NULL", &f);
    expect_refused(NP, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "all NULL", &f);

    elu4j_dnnl_api api = f.api;
    api.memory_set_data_handle = NULL;
    expect_refused(NP, &api, &f.prim, &f.stream, &f.src_mem, &f.dst_mem, f.src, f.dst, &st, &fc,
                   "api->memory_set_data_handle NULL", &f);
    api = f.api;
    api.primitive_execute = NULL;
    expect_refused(NP, &api, &f.prim, &f.stream, &f.src_mem, &f.dst_mem, f.src, f.dst, &st, &fc,
                   "api->primitive_execute NULL", &f);
    api = f.api;
    api.stream_wait = NULL;
    expect_refused(NP, &api, &f.prim, &f.stream, &f.src_mem, &f.dst_mem, f.src, f.dst, &st, &fc,
                   "api->stream_wait NULL", &f);

    /* A struct of another layout is refused before any of its fields is read. */
    const size_t sizes[] = {0, sizeof(elu4j_dnnl_api) - 8, sizeof(elu4j_dnnl_api) + 8,
                            (size_t)-1};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        api = f.api;
        api.size = sizes[k];
        char what[64];
        snprintf(what, sizeof what, "api->size %zu", sizes[k]);
        expect_refused(ELU4J_ERR_INVALID_ARGUMENT, &api, &f.prim, &f.stream, &f.src_mem,
                       &f.dst_mem, f.src, f.dst, &st, &fc, what, &f);
    }
    /* The size check comes before the function-pointer checks. */
    api = f.api;
    api.size = 0;
    api.stream_wait = NULL;
    expect_refused(ELU4J_ERR_INVALID_ARGUMENT, &api, &f.prim, &f.stream, &f.src_mem, &f.dst_mem,
                   f.src, f.dst, &st, &fc, "api->size 0 and a NULL function", &f);
}

/* elu4j_dnnl_execute_wait on memory objects whose handles the test set (as Java does). */
static int call_wait(fixture *f, int nargs, const elu4j_dnnl_exec_arg *args, int *status,
                     int *failed)
{
    return elu4j_dnnl_execute_wait(&f->api, &f->prim, &f->stream, nargs, args, status, failed);
}

static void test_execute_wait(void)
{
    fixture f;
    int status, failed;
    setup(&f);
    f.api.memory_set_data_handle = NULL; /* not used: may be NULL */
    f.src_mem.handle = f.src;
    f.dst_mem.handle = f.dst;
    const elu4j_dnnl_exec_arg args[3] = {{1, &f.src_mem}, {17, &f.dst_mem}, {17, &f.dst_mem}};
    status = failed = -1;
    int rc = call_wait(&f, 2, args, &status, &failed);
    CHECK(rc == ELU4J_OK && failed == ELU4J_DNNL_CALL_NONE && status == 0,
          "execute_wait: rc %d failed %d status %d", rc, failed, status);
    CHECK(g_calls == 2 && g_log[0].kind == EXECUTE && g_log[0].object == &f.prim &&
              g_log[0].stream == &f.stream && g_log[1].kind == WAIT &&
              g_log[1].object == &f.stream,
          "execute_wait: %d calls, want execute(prim, stream) then wait(stream)", g_calls);
    int doubled = 1;
    for (int i = 0; i < N; i++) {
        doubled &= f.dst[i] == 2.0f * f.src[i];
    }
    CHECK(doubled && g_bad_exec_args == 0, "execute_wait: dst not written through the args");

    /* nargs and args reach execute unchanged: three arguments, which the fake refuses. */
    setup(&f);
    f.src_mem.handle = f.src;
    f.dst_mem.handle = f.dst;
    status = failed = -1;
    rc = call_wait(&f, 3, args, &status, &failed);
    CHECK(rc == ELU4J_DNNL_FAILED && failed == ELU4J_DNNL_CALL_EXECUTE && status == 2 &&
              g_bad_exec_args == 1 && g_calls == 2 && g_log[1].kind == WAIT,
          "execute_wait, 3 args: rc %d failed %d status %d", rc, failed, status);

    /* execute fails (the wait after it succeeds): still waited for, execute's status reported. */
    setup(&f);
    g_execute_status = 5;
    status = failed = -1;
    rc = call_wait(&f, 2, args, &status, &failed);
    CHECK(rc == ELU4J_DNNL_FAILED && failed == ELU4J_DNNL_CALL_EXECUTE && status == 5 &&
              g_calls == 2 && g_log[1].kind == WAIT && dst_untouched(&f),
          "execute_wait, execute fails: rc %d failed %d status %d", rc, failed, status);

    /* execute and the wait after it fail: execute's failure is the one reported. */
    setup(&f);
    g_execute_status = 5;
    g_wait_status = 3;
    status = failed = -1;
    rc = call_wait(&f, 2, args, &status, &failed);
    CHECK(rc == ELU4J_DNNL_FAILED && failed == ELU4J_DNNL_CALL_EXECUTE && status == 5 &&
              g_calls == 2 && g_log[1].kind == WAIT && dst_untouched(&f),
          "execute_wait, execute + wait fail: rc %d failed %d status %d", rc, failed, status);

    /* wait fails, with a oneDNN status and with a negative one (not success either). */
    const int wait_statuses[] = {5, -7};
    for (size_t k = 0; k < sizeof wait_statuses / sizeof wait_statuses[0]; k++) {
        setup(&f);
        f.src_mem.handle = f.src;
        f.dst_mem.handle = f.dst;
        g_wait_status = wait_statuses[k];
        status = failed = -1;
        rc = call_wait(&f, 2, args, &status, &failed);
        CHECK(rc == ELU4J_DNNL_FAILED && failed == ELU4J_DNNL_CALL_STREAM_WAIT &&
                  status == wait_statuses[k] && g_calls == 2,
              "execute_wait, wait fails with %d: rc %d failed %d status %d", wait_statuses[k], rc,
              failed, status);
    }

    /* ELU4J_DNNL_FAILED is none of the statuses a refusal returns, nor ELU4J_OK. */
    CHECK(ELU4J_DNNL_FAILED < 0 && ELU4J_DNNL_FAILED != ELU4J_OK &&
              ELU4J_DNNL_FAILED != ELU4J_ERR_NULL_POINTER &&
              ELU4J_DNNL_FAILED != ELU4J_ERR_INVALID_ARGUMENT,
          "ELU4J_DNNL_FAILED %d collides with a status", ELU4J_DNNL_FAILED);

    /* Refusals: nothing called, dst untouched, outputs cleared when both are given. */
    struct {
        int want, nargs;
        int null_what; /* 0 none, 1 api, 2 primitive, 3 stream, 4 args, 5 execute, 6 wait, 7 size */
        const char *what;
    } cases[] = {
        {ELU4J_ERR_NULL_POINTER, 2, 1, "api NULL"},
        {ELU4J_ERR_NULL_POINTER, 2, 2, "primitive NULL"},
        {ELU4J_ERR_NULL_POINTER, 2, 3, "stream NULL"},
        {ELU4J_ERR_NULL_POINTER, 2, 4, "args NULL"},
        {ELU4J_ERR_NULL_POINTER, 2, 5, "api->primitive_execute NULL"},
        {ELU4J_ERR_NULL_POINTER, 2, 6, "api->stream_wait NULL"},
        {ELU4J_ERR_INVALID_ARGUMENT, 2, 7, "api->size 0"},
        {ELU4J_ERR_INVALID_ARGUMENT, 0, 0, "nargs 0"},
        {ELU4J_ERR_INVALID_ARGUMENT, -1, 0, "nargs -1"},
        {ELU4J_ERR_INVALID_ARGUMENT, ELU4J_DNNL_MAX_ARGS + 1, 0, "nargs MAX + 1"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        setup(&f);
        elu4j_dnnl_api api = f.api;
        api.primitive_execute = cases[k].null_what == 5 ? NULL : api.primitive_execute;
        api.stream_wait = cases[k].null_what == 6 ? NULL : api.stream_wait;
        api.size = cases[k].null_what == 7 ? 0 : api.size;
        status = failed = -1;
        rc = elu4j_dnnl_execute_wait(cases[k].null_what == 1 ? NULL : &api,
                                     cases[k].null_what == 2 ? NULL : &f.prim,
                                     cases[k].null_what == 3 ? NULL : &f.stream, cases[k].nargs,
                                     cases[k].null_what == 4 ? NULL : args, &status, &failed);
        CHECK(rc == cases[k].want && g_calls == 0 && dst_untouched(&f) && status == 0 &&
                  failed == ELU4J_DNNL_CALL_NONE,
              "execute_wait, %s: rc %s (want %s), %d calls, outputs %d %d", cases[k].what,
              elu4j_status_name(rc), elu4j_status_name(cases[k].want), g_calls, status, failed);
    }
    setup(&f);
    status = -1;
    rc = elu4j_dnnl_execute_wait(&f.api, &f.prim, &f.stream, 2, args, &status, NULL);
    CHECK(rc == ELU4J_ERR_NULL_POINTER && g_calls == 0 && status == -1,
          "execute_wait, failed_call NULL: rc %d, %d calls, status %d", rc, g_calls, status);
    failed = -1;
    rc = elu4j_dnnl_execute_wait(&f.api, &f.prim, &f.stream, 2, args, NULL, &failed);
    CHECK(rc == ELU4J_ERR_NULL_POINTER && g_calls == 0 && failed == -1,
          "execute_wait, dnnl_status NULL: rc %d, %d calls, failed %d", rc, g_calls, failed);
}

static void test_names_and_layout(void)
{
    CHECK(ELU4J_DNNL_CALL_NONE == 0 && ELU4J_DNNL_CALL_SET_SRC_HANDLE == 1 &&
              ELU4J_DNNL_CALL_SET_DST_HANDLE == 2 && ELU4J_DNNL_CALL_EXECUTE == 3 &&
              ELU4J_DNNL_CALL_STREAM_WAIT == 4,
          "elu4j_dnnl_call numbers changed");
    CHECK(strcmp(elu4j_dnnl_call_name(ELU4J_DNNL_CALL_NONE), "none") == 0, "name");
    CHECK(strcmp(elu4j_dnnl_call_name(ELU4J_DNNL_CALL_SET_SRC_HANDLE),
                 "dnnl_memory_set_data_handle") == 0,
          "name");
    CHECK(strcmp(elu4j_dnnl_call_name(ELU4J_DNNL_CALL_SET_DST_HANDLE),
                 "dnnl_memory_set_data_handle") == 0,
          "name");
    CHECK(strcmp(elu4j_dnnl_call_name(ELU4J_DNNL_CALL_EXECUTE), "dnnl_primitive_execute") == 0,
          "name");
    CHECK(strcmp(elu4j_dnnl_call_name(ELU4J_DNNL_CALL_STREAM_WAIT), "dnnl_stream_wait") == 0,
          "name");
    CHECK(strcmp(elu4j_dnnl_call_name(-1), "unknown call") == 0, "name");
    CHECK(strcmp(elu4j_dnnl_call_name(5), "unknown call") == 0, "name");
    /* dnnl_exec_arg_t on x86-64: int arg at 0, the memory pointer at 8, 16 bytes. */
    CHECK(sizeof(elu4j_dnnl_exec_arg) == 16 && offsetof(elu4j_dnnl_exec_arg, memory) == 8,
          "elu4j_dnnl_exec_arg layout");
    /* The layout Java's jextract bindings were generated for. */
    CHECK(sizeof(elu4j_dnnl_api) == 40 && offsetof(elu4j_dnnl_api, memory_set_data_handle) == 8 &&
              offsetof(elu4j_dnnl_api, primitive_execute) == 16 &&
              offsetof(elu4j_dnnl_api, stream_wait) == 24 &&
              offsetof(elu4j_dnnl_api, arg_src) == 32 && offsetof(elu4j_dnnl_api, arg_dst) == 36,
          "elu4j_dnnl_api layout");
}

int main(void)
{
    test_success();
    test_failures();
    test_null_and_size();
    test_execute_wait();
    test_names_and_layout();
    return test_summary("test_dnnl_shim");
}
