/*
 * elu4j native tests (g): elu4j_forward_mt, the parallel entry point, on f32 ELU (every type and
 * kind of function: test_parallel_types.c).
 *
 * For many sizes (around the parallel threshold (512K) and the chunk boundaries, 1M, a size that
 * streams its stores), source and destination byte offsets (aligned, float-aligned and odd),
 * thread counts (<= 0 = online CPUs, 1, 2, 3, 5, 8, more than ELU4J_MT_MAX_THREADS), out of
 * place and in place: the result must be exactly the bits of the serial elu4j_forward, the
 * source must stay unchanged and the guard bytes around the destination untouched. Bad
 * arguments get the serial call's statuses and leave dst untouched. Then several threads call
 * it at once with random sizes and offsets, each result checked bit for bit. First of all, with
 * flush-to-zero and denormals-are-zero set in the caller after the pool started, the same bits.
 *
 * --light (for valgrind, which runs threads one at a time and ~50x slower): fewer offsets, thread
 * counts, alphas (one for the large sizes) and large sizes, the same checks.
 *
 * Built twice: against libelu4j (real threshold: small sizes run serially) and against a
 * variant whose threshold and smallest chunk are 1, so every size goes through the pool. That
 * variant also has the pool's test hooks (ELU4J_MT_TESTING), with which the fall-backs under load
 * are made to happen on demand and checked: a call that arrives while another parallel call is
 * in flight runs serially, and after a call that lost to serial (a worker that took a chunk and
 * then stalled) the next calls run serially; every result the bits of the serial call. Against
 * libelu4j those hooks are absent (weak symbols, null) and that part is skipped.
 */
#define _POSIX_C_SOURCE 200809L /* sysconf(_SC_NPROCESSORS_ONLN), sched_yield */

#include "test_util.h"
#include "test_mt_hooks.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <xmmintrin.h>

#define GUARD 64
#define MAX_OFF 5

static int g_light; /* --light: a smaller grid (valgrind) */

/* Buffers for one size: input, serial result, source block, destination block. */
typedef struct bufs {
    size_t cap, block_bytes;
    float *input, *expect;
    unsigned char *src_block, *dst_block;
} bufs;

static int bufs_init(bufs *b, size_t cap)
{
    b->cap = cap;
    b->block_bytes = (GUARD + MAX_OFF + cap * sizeof(float) + GUARD + 63) / 64 * 64;
    const size_t data = (cap * sizeof(float) + 63) / 64 * 64 + 64;
    b->input = aligned_alloc(64, data);
    b->expect = aligned_alloc(64, data);
    b->src_block = aligned_alloc(64, b->block_bytes);
    b->dst_block = aligned_alloc(64, b->block_bytes);
    return b->input && b->expect && b->src_block && b->dst_block;
}

static void bufs_free(bufs *b)
{
    free(b->input);
    free(b->expect);
    free(b->src_block);
    free(b->dst_block);
}

/* One call: out of place (src_off into src_block) or in place; returns 1 if all checks pass. */
static int check_one(bufs *b, size_t n, size_t src_off, size_t dst_off, int in_place, float alpha,
                     int threads, int quiet)
{
    const size_t bytes = n * sizeof(float);
    const size_t used = GUARD + MAX_OFF + bytes + GUARD; /* the part of the block in play */
    memset(b->dst_block, GUARD_BYTE, used);
    unsigned char *dst = b->dst_block + GUARD + dst_off;
    const unsigned char *src;
    if (in_place) {
        memcpy(dst, b->input, bytes);
        src = dst;
    } else {
        memcpy(b->src_block + GUARD + src_off, b->input, bytes);
        src = b->src_block + GUARD + src_off;
    }
    const int status = elu_f32_mt(src, dst, n, alpha, threads);
    int ok = status == ELU4J_OK;
    ok = ok && memcmp(dst, b->expect, bytes) == 0;
    ok = ok && (in_place || memcmp(src, b->input, bytes) == 0);
    ok = ok && guards_ok(b->dst_block, used, GUARD + dst_off, bytes);
    if (!quiet) {
        CHECK(ok, "n=%zu src_off=%zu dst_off=%zu in_place=%d alpha=%g threads=%d status=%d", n,
              src_off, dst_off, in_place, (double)alpha, threads, status);
    }
    return ok;
}

static void test_sizes(void)
{
    static const size_t sizes[] = {0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 1023, 1025,
                                   16383, 16384, 16385, 65537, 131073, 524287, 524288, 524289,
                                   1u << 20, 1000003};
    static const int threads[] = {0, 2, 3, 1, 5, 8, 1000};
    static const float alphas[] = {1.0f, 1.6732632f, 0.5f};
    const size_t n_threads = g_light ? 3 : sizeof threads / sizeof threads[0];
    const size_t n_alphas = g_light ? 2 : sizeof alphas / sizeof alphas[0];
    const size_t n_sizes = sizeof sizes / sizeof sizes[0];
    bufs b;
    if (!bufs_init(&b, (size_t)1 << 20)) { /* the largest size */
        CHECK(0, "out of memory");
        return;
    }
    long calls = 0;
    for (size_t si = 0; si < n_sizes; si++) {
        const size_t n = sizes[si];
        if (g_light && n > 140000 && n != 1000003) {
            continue; /* light: one size above 1M's chunking instead of four */
        }
        fill_mixed_inputs(b.input, n, 0x1234u + n);
        for (size_t ai = 0; ai < n_alphas; ai++) {
            if (g_light && n > 70000 && ai > 0) {
                break; /* light: the large sizes with the first alpha only (the kernel's paths
                          are the serial tests' concern) */
            }
            const float alpha = alphas[ai];
            CHECK(elu_f32(b.input, b.expect, n, alpha) == ELU4J_OK, "serial n=%zu", n);
            /* Every offset pair for small sizes; a few for the large ones (time under valgrind). */
            const size_t offs = n > 70000 || g_light ? 2 : MAX_OFF;
            for (size_t so = 0; so < offs; so++) {
                for (size_t d = 0; d < offs; d++) {
                    const size_t dst_off = n > 70000 || g_light ? (d == 0 ? 0 : 3) : d; /* 3: odd */
                    for (size_t ti = 0; ti < n_threads; ti++) {
                        if ((n > 70000 || g_light) && ai > 0 && ti > 2) {
                            continue;
                        }
                        no_back_off();
                        check_one(&b, n, so * 4, dst_off, 0, alpha, threads[ti], 0);
                        calls++;
                        if (so == 0) {
                            no_back_off();
                            check_one(&b, n, 0, dst_off, 1, alpha, threads[ti], 0);
                            calls++;
                        }
                    }
                }
            }
        }
    }
    printf("sizes: %ld calls\n", calls);
    bufs_free(&b);
}

/* A size whose out-of-place call streams its stores (>= 16 MiB of output), every chunk too. */
static void test_streaming(void)
{
    const size_t n = ((size_t)16 << 20) / sizeof(float) + 17;
    bufs b;
    if (!bufs_init(&b, n)) {
        CHECK(0, "out of memory");
        return;
    }
    fill_mixed_inputs(b.input, n, 99);
    CHECK(elu_f32(b.input, b.expect, n, 1.0f) == ELU4J_OK, "serial");
    check_one(&b, n, 0, 0, 0, 1.0f, 2, 0);
    if (!g_light) {
        check_one(&b, n, 4, 8, 0, 1.0f, 3, 0);
        check_one(&b, n, 0, 0, 1, 1.0f, 2, 0);
    }
    bufs_free(&b);
}

/* Bad arguments: the serial call's statuses, nothing written. */
static void test_status(void)
{
    float x[64], y[64];
    for (int i = 0; i < 64; i++) {
        x[i] = -1.0f;
        y[i] = 7.0f;
    }
    CHECK(elu_f32_mt(NULL, y, 64, 1.0f, 2) == ELU4J_ERR_NULL_POINTER, "null src");
    CHECK(elu_f32_mt(x, NULL, 64, 1.0f, 2) == ELU4J_ERR_NULL_POINTER, "null dst");
    CHECK(elu_f32_mt(NULL, NULL, 0, NAN, 2) == ELU4J_OK, "n = 0");
    CHECK(elu_f32_mt(x, y, 64, NAN, 2) == ELU4J_ERR_INVALID_ARGUMENT, "nan alpha");
    CHECK(elu_f32_mt(x, y, 64, INFINITY, 2) == ELU4J_ERR_INVALID_ARGUMENT, "inf alpha");
    CHECK(elu_f32_mt(x, y, SIZE_MAX / 2, 1.0f, 2) == ELU4J_ERR_INVALID_ARGUMENT, "too big");
    CHECK(elu_f32_mt(x, x + 1, 32, 1.0f, 2) == ELU4J_ERR_OVERLAP, "overlap");
    int untouched = 1;
    for (int i = 0; i < 64; i++) {
        untouched &= bits_of(y[i]) == bits_of(7.0f) && bits_of(x[i]) == bits_of(-1.0f);
    }
    CHECK(untouched, "refused calls wrote nothing");
    CHECK(elu4j_mt_min_elements() >= 1, "threshold %zu", elu4j_mt_min_elements());
}

/* Several threads at once, each with its own buffers, random sizes, offsets and thread counts. */
#define CALLERS 4
#define CALLS_PER_CALLER (g_light ? 8 : 40)
#define CONC_MAX_N 700000

typedef struct caller {
    int id;
    long failures;
} caller;

static void *caller_main(void *arg)
{
    caller *c = arg;
    bufs b;
    if (!bufs_init(&b, CONC_MAX_N)) {
        c->failures = 1;
        return NULL;
    }
    uint64_t state = 0xabcdefull * (uint64_t)(c->id + 1);
    for (int k = 0; k < CALLS_PER_CALLER; k++) {
        const uint32_t r = rng_next(&state);
        const size_t n = r % 4 == 0 ? (size_t)(r % 70000) : 500000 + (size_t)(r % (CONC_MAX_N - 500000));
        const float alpha = (r >> 8) % 2 ? 1.0f : 0.25f;
        fill_mixed_inputs(b.input, n, r);
        if (elu_f32(b.input, b.expect, n, alpha) != ELU4J_OK) {
            c->failures++;
            continue;
        }
        const int threads = (int)((r >> 12) % 4); /* 0 (online CPUs), 1, 2, 3 */
        if (!check_one(&b, n, (r >> 16) % MAX_OFF, (r >> 20) % MAX_OFF, (r >> 24) % 3 == 0, alpha,
                       threads, 1)) {
            c->failures++;
        }
    }
    bufs_free(&b);
    return NULL;
}

static void test_concurrent(void)
{
    pthread_t t[CALLERS];
    caller c[CALLERS];
    int started = 0;
    for (int i = 0; i < CALLERS; i++) {
        c[i] = (caller){.id = i, .failures = 0};
        if (pthread_create(&t[i], NULL, caller_main, &c[i]) == 0) {
            started++;
        } else {
            CHECK(0, "pthread_create %d", i);
            break;
        }
    }
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        CHECK(c[i].failures == 0, "caller %d: %ld failed calls", i, c[i].failures);
    }
}

#define FALLBACK_N 65536 /* 8 chunks of 8K floats with 2 threads in the test variant */

typedef struct held_call {
    bufs *b;
    int ok;
} held_call;

static void *held_call_main(void *arg)
{
    held_call *h = arg;
    h->ok = check_one(h->b, FALLBACK_N, 0, 0, 0, 1.0f, 2, 1);
    return NULL;
}

/*
 * A call that arrives while another parallel call owns the pool runs serially at once (it does
 * not wait for the pool), with the serial call's bits; the owner's call completes too.
 */
static void test_busy_fallback(void)
{
    bufs a, b;
    if (!bufs_init(&a, FALLBACK_N) || !bufs_init(&b, FALLBACK_N)) {
        CHECK(0, "out of memory");
        return;
    }
    fill_mixed_inputs(a.input, FALLBACK_N, 7);
    fill_mixed_inputs(b.input, FALLBACK_N, 8);
    CHECK(elu_f32(a.input, a.expect, FALLBACK_N, 1.0f) == ELU4J_OK, "serial a");
    CHECK(elu_f32(b.input, b.expect, FALLBACK_N, 1.0f) == ELU4J_OK, "serial b");
    elu4j_mt_test_reset();
    const unsigned long parallel0 = counter(PARALLEL), busy0 = counter(BUSY);
    elu4j_mt_test_hold_owner(1); /* the owner stops before posting its job, until released */
    held_call h = {&a, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, held_call_main, &h) != 0) {
        elu4j_mt_test_hold_owner(0);
        CHECK(0, "pthread_create");
        bufs_free(&a);
        bufs_free(&b);
        return;
    }
    while (counter(PARALLEL) == parallel0) { /* until the other thread owns the pool */
        sched_yield();
    }
    CHECK(check_one(&b, FALLBACK_N, 0, 0, 0, 1.0f, 2, 1), "call while the pool is owned: serial bits");
    CHECK(check_one(&b, FALLBACK_N, 4, 0, 1, 1.0f, 0, 1), "in place, while the pool is owned: serial bits");
    CHECK(counter(BUSY) == busy0 + 2, "both calls ran serially because another was in flight (%lu)",
          counter(BUSY) - busy0);
    elu4j_mt_test_hold_owner(0);
    pthread_join(t, NULL);
    CHECK(h.ok, "the owner's call: serial bits");
    CHECK(counter(PARALLEL) == parallel0 + 1, "one call on the pool (%lu)", counter(PARALLEL) - parallel0);
    if (sysconf(_SC_NPROCESSORS_ONLN) <= 2) {
        /* Two callers filled every CPU: the next parallel calls back off (run serially). */
        const unsigned long skipped0 = counter(SKIPPED);
        CHECK(check_one(&b, FALLBACK_N, 0, 0, 0, 1.0f, 2, 1), "after the callers filled the CPUs: serial bits");
        CHECK(counter(SKIPPED) == skipped0 + 1, "after the callers filled the CPUs: backing off");
        CHECK(counter(PARALLEL) == parallel0 + 1, "after the callers filled the CPUs: not on the pool");
    }
    elu4j_mt_test_reset();
    bufs_free(&a);
    bufs_free(&b);
}

/*
 * A call whose worker took a chunk and then stalled (it lost to serial) makes the next 16 calls
 * run serially, the 17th tries the pool again; a second loss doubles the back-off. Every result
 * has the serial call's bits, the stalled one included. Needs a second CPU for the worker.
 */
static void test_backoff(void)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
        printf("backoff: skipped, one online CPU (no worker takes chunks)\n");
        return;
    }
    /* Small chunks (8 of 512 floats): the caller's share takes far less than the stall, even
       under valgrind, so the stalled call surely lost to serial. */
    const size_t n = 4096;
    bufs b;
    if (!bufs_init(&b, n)) {
        CHECK(0, "out of memory");
        return;
    }
    fill_mixed_inputs(b.input, n, 9);
    CHECK(elu_f32(b.input, b.expect, n, 1.0f) == ELU4J_OK, "serial");
    elu4j_mt_test_reset();
    for (unsigned expect_skip = 16; expect_skip <= 32; expect_skip *= 2) {
        const unsigned long lost0 = counter(LOST), skipped0 = counter(SKIPPED), parallel0 = counter(PARALLEL);
        elu4j_mt_test_worker_first(1);         /* a worker takes chunk 0 ... */
        elu4j_mt_test_worker_delay(100000000L); /* ... and stalls 100 ms before running it */
        CHECK(check_one(&b, n, 0, 0, 0, 1.0f, 2, 1), "stalled call: serial bits");
        elu4j_mt_test_worker_first(0);
        elu4j_mt_test_worker_delay(0);
        CHECK(counter(LOST) == lost0 + 1, "the stalled call lost to serial (%lu)", counter(LOST) - lost0);
        for (unsigned i = 0; i < expect_skip; i++) {
            CHECK(check_one(&b, n, i % 2 * 4, 0, (int)(i % 3 == 0), 1.0f, 2, 1),
                  "backing off, call %u: serial bits", i);
        }
        CHECK(counter(SKIPPED) == skipped0 + expect_skip, "%u calls ran serially after the loss (%lu)", expect_skip,
              counter(SKIPPED) - skipped0);
        CHECK(counter(PARALLEL) == parallel0 + 1, "none of them on the pool (%lu)", counter(PARALLEL) - parallel0 - 1);
        if (expect_skip == 32) {
            break; /* the last: the pool is tried again below */
        }
    }
    const unsigned long parallel0 = counter(PARALLEL);
    CHECK(check_one(&b, n, 0, 0, 0, 1.0f, 2, 1), "after the back-off: serial bits");
    CHECK(counter(PARALLEL) == parallel0 + 1, "after the back-off the pool is tried again");
    elu4j_mt_test_reset();
    bufs_free(&b);
}

/* The cancelled caller's call: parallel, on two threads. */
static void *cancel_victim(void *arg)
{
    bufs *b = arg;
    (void)check_one(b, 4096, 0, 0, 0, 1.0f, 2, 1);
    return NULL;
}

/*
 * A caller cancelled while it waits for a stalled worker's chunk (pthread_cond_wait, a
 * cancellation point): a parallel call is no cancellation point, so the call finishes and gives
 * the pool back; the next parallel call runs on the pool, and the process's exit (the pool's
 * destructor) does not hang. Before, a cancelled caller died holding the pool's mutex.
 */
static void test_cancel(void)
{
    bufs b;
    if (!bufs_init(&b, 4096)) {
        CHECK(0, "out of memory");
        return;
    }
    fill_mixed_inputs(b.input, 4096, 11);
    CHECK(elu_f32(b.input, b.expect, 4096, 1.0f) == ELU4J_OK, "serial");
    elu4j_mt_test_reset();
    elu4j_mt_test_worker_first(1);          /* a worker takes chunk 0 ... */
    elu4j_mt_test_worker_delay(300000000L); /* ... and stalls 300 ms: the caller waits for it */
    pthread_t t;
    CHECK(pthread_create(&t, NULL, cancel_victim, &b) == 0, "start the caller");
    const struct timespec wait = {0, 100000000L};
    nanosleep(&wait, NULL);
    pthread_cancel(t); /* lands in the caller's wait for the worker */
    pthread_join(t, NULL);
    elu4j_mt_test_worker_first(0);
    elu4j_mt_test_worker_delay(0);
    elu4j_mt_test_reset(); /* the stalled call's back-off: the next call tries the pool */
    const unsigned long parallel0 = counter(PARALLEL);
    CHECK(check_one(&b, 4096, 0, 0, 0, 1.0f, 2, 1), "after the cancelled caller: serial bits");
    CHECK(counter(PARALLEL) == parallel0 + 1, "after the cancelled caller the pool is free (%lu calls on it)",
          counter(PARALLEL) - parallel0);
    bufs_free(&b);
}

/*
 * The caller's floating-point controls reach the workers: with flush-to-zero and
 * denormals-are-zero set in the calling thread after the pool started (its workers kept the
 * default MXCSR), the parallel call must still give the serial call's bits (LeakyReLU on
 * subnormals: 0 under FTZ/DAZ, s * x otherwise).
 */
static void test_fp_environment(void)
{
    const size_t n = 2 * elu4j_mt_min_elements() + 4097;
    float *x = malloc(n * sizeof(float)), *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    CHECK(x != NULL && a != NULL && b != NULL, "out of memory");
    if (x == NULL || a == NULL || b == NULL) {
        free(x), free(a), free(b);
        return;
    }
    uint64_t st = 5;
    for (size_t i = 0; i < n; i++) { /* subnormals, and normals whose product with the slope is one */
        const uint32_t r = rng_next(&st);
        x[i] = float_of(0x80000000u | (r % 3 == 0 ? 0x00800000u | (r >> 9) : r >> 9));
    }
    CHECK(elu4j_forward_mt(ELU4J_FN_LEAKY_RELU, ELU4J_DT_F32, x, b, n, 0.01, 1.0, 1.0, 0) == ELU4J_OK,
          "pool start"); /* the workers start with the default controls */
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | 0x8040u); /* FTZ | DAZ, this thread only */
    const int s1 = elu4j_forward(ELU4J_FN_LEAKY_RELU, ELU4J_DT_F32, x, a, n, 0.01, 1.0, 1.0);
    const int s2 = elu4j_forward_mt(ELU4J_FN_LEAKY_RELU, ELU4J_DT_F32, x, b, n, 0.01, 1.0, 1.0, 0);
    _mm_setcsr(saved);
    size_t differ = 0, flushed = 0;
    for (size_t i = 0; i < n; i++) {
        differ += bits_of(a[i]) != bits_of(b[i]);
        flushed += a[i] == 0.0f;
    }
    CHECK(s1 == ELU4J_OK && s2 == ELU4J_OK, "statuses %d %d", s1, s2);
    CHECK(differ == 0, "FTZ/DAZ in the caller: the parallel call differs from the serial one in %zu of %zu", differ, n);
    if (flushed <= n / 2) { /* valgrind's CPU honours neither: nothing differs there, and nothing was shown */
        printf("FTZ/DAZ in the caller: skipped, this CPU (or emulator: valgrind) does not flush (%zu of %zu zero)\n",
               flushed, n);
    }
    free(x), free(a), free(b);
}

int main(int argc, char **argv)
{
    g_light = argc > 1 && strcmp(argv[1], "--light") == 0;
    printf("elu4j_mt_min_elements() = %zu, best ISA %s\n", elu4j_mt_min_elements(),
           elu4j_isa_name(elu4j_best_isa()));
    test_fp_environment(); /* first: the pool fresh, before any back-off */
    test_status();
    test_sizes();
    test_streaming();
    test_concurrent();
    if (elu4j_mt_test_counters != NULL) {
        test_busy_fallback();
        test_backoff();
        test_cancel();
    } else {
        printf("fall-backs under load: skipped (the test hooks are in the elu4j_mt_always variant)\n");
    }
    return test_summary("test_parallel");
}
