/*
 * elu4j native helper: the test hooks of the worker pool (elu4j_parallel.c) and its
 * serial-or-parallel policy (elu4j_parallel_policy.c). CMake compiles this file into the test
 * variant of the library only (with ELU4J_MT_TESTING), so libelu4j exports no hook; the pool and
 * the policy keep only the few places where they consult them (elu4j_parallel_testing.h).
 *
 * Test hooks, only in the test variant of the library (ELU4J_MT_TESTING; tests/test_parallel.c):
 * counters of what each call did, and ways to make the rare cases happen on demand: a delay a
 * worker sleeps after taking each chunk (a worker that lost its CPU), an owner that waits before
 * posting its job until released (a call in flight while another arrives), and an owner that
 * lets a worker take the first chunk.
 */
#ifndef ELU4J_MT_TESTING
#error "elu4j_parallel_testing.c belongs to the test variant of the library only (ELU4J_MT_TESTING)"
#endif

#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include "elu4j_parallel_policy.h"
#include "elu4j_parallel_testing.h"

#include <stdatomic.h>
#include <time.h>

atomic_ulong elu4j_mt_count_parallel, elu4j_mt_count_busy, elu4j_mt_count_skipped,
    elu4j_mt_count_lost;
static atomic_long g_test_worker_delay_ns;
static atomic_int g_test_hold_owner, g_test_worker_first;

void elu4j_mt_hook_nap(void)
{
    const struct timespec d = {0, 100000L};
    nanosleep(&d, NULL);
}

__attribute__((visibility("default"))) void elu4j_mt_test_hold_owner(int on)
{
    atomic_store(&g_test_hold_owner, on);
}

int elu4j_mt_hook_hold_owner(void)
{
    return atomic_load(&g_test_hold_owner);
}

__attribute__((visibility("default"))) void elu4j_mt_test_worker_first(int on)
{
    atomic_store(&g_test_worker_first, on);
}

int elu4j_mt_hook_worker_first(void)
{
    return atomic_load(&g_test_worker_first);
}

__attribute__((visibility("default"))) void elu4j_mt_test_counters(unsigned long out[4])
{
    out[0] = atomic_load(&elu4j_mt_count_parallel); /* calls that ran on the pool */
    out[1] = atomic_load(&elu4j_mt_count_busy);     /* serial: another parallel call in flight */
    out[2] = atomic_load(&elu4j_mt_count_skipped);  /* serial: backing off */
    out[3] = atomic_load(&elu4j_mt_count_lost);     /* pool calls that lost to serial */
}

/* Forgets the back-off (only while no call is in flight). */
__attribute__((visibility("default"))) void elu4j_mt_test_reset(void)
{
    elu4j_mt_policy_reset();
}

__attribute__((visibility("default"))) void elu4j_mt_test_worker_delay(long ns)
{
    atomic_store(&g_test_worker_delay_ns, ns);
}

void elu4j_mt_hook_worker_delay(void)
{
    const long ns = atomic_load_explicit(&g_test_worker_delay_ns, memory_order_relaxed);
    if (ns > 0) {
        const struct timespec d = {ns / 1000000000L, ns % 1000000000L};
        nanosleep(&d, NULL);
    }
}
