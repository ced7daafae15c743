/*
 * elu4j native tests: the worker pool's test hooks (src/elu4j_parallel_testing.c), which only
 * the library variant built with ELU4J_MT_TESTING has (elu4j_mt_always). Declared weak: against
 * libelu4j they are null, and a program checks that before it uses one.
 */
#ifndef ELU4J_TEST_MT_HOOKS_H
#define ELU4J_TEST_MT_HOOKS_H

extern void elu4j_mt_test_counters(unsigned long out[4]) __attribute__((weak));
extern void elu4j_mt_test_reset(void) __attribute__((weak));
extern void elu4j_mt_test_worker_delay(long ns) __attribute__((weak));
extern void elu4j_mt_test_hold_owner(int on) __attribute__((weak));
extern void elu4j_mt_test_worker_first(int on) __attribute__((weak));

/* elu4j_mt_test_counters' slots: calls on the pool, run serially because it was busy, skipped
   (backing off), and lost to other load. */
enum { PARALLEL, BUSY, SKIPPED, LOST };

static inline unsigned long counter(int which)
{
    unsigned long c[4];
    elu4j_mt_test_counters(c);
    return c[which];
}

/* In the test variant, clears the pool's back-off, so that the next call takes the pool (the
   split, not the fall-backs that test_parallel's test_backoff checks, is what the size grids
   are about); nothing against libelu4j. */
static inline void no_back_off(void)
{
    if (elu4j_mt_test_reset != NULL) {
        elu4j_mt_test_reset();
    }
}

#endif /* ELU4J_TEST_MT_HOOKS_H */
