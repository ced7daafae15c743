/*
 * elu4j native helper: the test hooks of the worker pool (elu4j_parallel_testing.c), as the pool
 * (elu4j_parallel.c) and its policy (elu4j_parallel_policy.c) consult them. They exist only in
 * the test variant of the library (ELU4J_MT_TESTING); without it TEST_COUNT compiles to nothing
 * and nothing else is declared, so the shipped library has no hook and pays nothing for one.
 * Nothing here is exported: the hooks the test program calls (elu4j_mt_test_*) are declared
 * there (tests/test_parallel.c).
 */
#ifndef ELU4J_PARALLEL_TESTING_H
#define ELU4J_PARALLEL_TESTING_H

#ifdef ELU4J_MT_TESTING
#include <stdatomic.h>

/* What each call did, read by elu4j_mt_test_counters. */
extern atomic_ulong elu4j_mt_count_parallel, elu4j_mt_count_busy, elu4j_mt_count_skipped,
    elu4j_mt_count_lost;
#define TEST_COUNT(counter) atomic_fetch_add_explicit(&(counter), 1, memory_order_relaxed)

/* Sleeps 100 us: the owner's wait while a hook holds it. */
void elu4j_mt_hook_nap(void);
/* Sleeps the delay set by elu4j_mt_test_worker_delay (a worker, after taking a chunk). */
void elu4j_mt_hook_worker_delay(void);
/* Whether the owner waits before posting its job (elu4j_mt_test_hold_owner). */
int elu4j_mt_hook_hold_owner(void);
/* Whether the owner lets a worker take the first chunk (elu4j_mt_test_worker_first). */
int elu4j_mt_hook_worker_first(void);
#else
#define TEST_COUNT(counter) ((void)0)
#endif

#endif /* ELU4J_PARALLEL_TESTING_H */
