/*
 * elu4j native helper: the serial-or-parallel policy of the worker pool (elu4j_parallel.c): which
 * parallel-mode calls run on the pool and which run serially in their own thread, and when a
 * worker may take a chunk or spin. It lives apart from the pool because it takes none of the
 * pool's locks: its state (the callers in flight, the back-off after a call that lost to serial)
 * is atomics, and the back-off's length, which only the pool's owner changes. The pool asks it at
 * a few fixed points (elu4j_parallel_policy.h), so the decisions and their design notes read
 * without the threads, the mutex and the job hand-out that carry them out.
 *
 * Design
 *
 *   - Never more busy threads than CPUs, so that parallel mode cannot make a call slower than
 *     serial on a loaded machine (a server whose request threads already occupy every CPU):
 *       * a call that finds another parallel-mode call in flight (g_callers), or the pool owned,
 *         runs serially at once in its own thread, instead of queueing behind the owner: queued,
 *         it would wait a whole call, and the owner's workers would take CPUs from it. When the
 *         calls in flight fill every CPU, the next 16 parallel calls run serially too (the
 *         back-off below): the callers alone keep the machine busy;
 *       * a worker takes a chunk only while the callers in flight leave it a CPU (worker index <
 *         the CPUs - callers), and spins only then: when a second caller arrives, the
 *         owner's workers finish the chunk in hand and leave the rest to the owner;
 *       * load the pool cannot see (serial calls of other threads, other processes) shows as a
 *         call that took longer than the same work serially (a worker took a chunk and lost its
 *         CPU, and the caller had to wait for it; ELU4J_MT_LOST_QUARTERS): after such a call the
 *         next g_skip calls run serially (16, doubling at each such call up to 1024, halved after
 *         64 calls in a row that paid), and idle workers do not spin meanwhile. Under sustained
 *         load parallel mode thus runs serially but for about one call in 1024.
 *     A call that runs serially for any of these reasons is the serial call, the same bits.
 */
#include "elu4j_parallel_policy.h"
#include "elu4j_parallel_testing.h"

#include <stdatomic.h>
#include <stddef.h>

/*
 * Back-off after a parallel call that lost to serial (see the design notes): calls to run
 * serially after the first such call, the most after repeated ones, and how many parallel calls
 * in a row must pay before the back-off is halved. 1024 keeps the calls that try the pool again
 * under a loaded machine below 0.1% of all calls (p99.9 and below are those of serial calls);
 * 64 lets a machine that became idle return to parallel within a few hundred calls.
 */
#define ELU4J_MT_BACKOFF_MIN 16u
#define ELU4J_MT_BACKOFF_MAX 1024u
#define ELU4J_MT_BACKOFF_DECAY_AFTER 64u

/*
 * A parallel call "lost" when a worker ran part of it and the whole call took longer than this
 * many quarters of the serial estimate: the caller's fastest chunk of the call times the
 * chunks. The fastest chunk, because on a loaded machine the caller's other chunks are slowed by
 * the same preemptions that make the call lose; 5/4, room for chunks of unequal cost. A call
 * whose workers took no chunk (asleep, or without a CPU for the whole call) cost about the
 * serial time and is neither lost nor paid: the next call finds the workers awake.
 */
#define ELU4J_MT_LOST_QUARTERS 5

/* Parallel-mode calls of at least the threshold in flight, serial fall-backs included. */
static atomic_uint g_callers;
/* Calls left to run serially after one that lost to serial (the back-off), taken one per call. */
static atomic_uint g_skip;
/*
 * Back-off state, changed by the pool's owner only (g_owned of elu4j_parallel.c, in
 * elu4j_mt_after_pool_call): current length, paying calls in a row.
 */
static unsigned g_backoff;
static unsigned g_paid;

/* Takes one call of the back-off, if any is left: that call runs serially. */
static int take_skip(void)
{
    unsigned s = atomic_load_explicit(&g_skip, memory_order_relaxed);
    while (s > 0) {
        if (atomic_compare_exchange_weak(&g_skip, &s, s - 1)) {
            TEST_COUNT(elu4j_mt_count_skipped);
            return 1;
        }
    }
    return 0;
}

/* Makes at least the next `calls` parallel calls run serially (any thread). */
static void back_off_at_least(unsigned calls)
{
    unsigned s = atomic_load_explicit(&g_skip, memory_order_relaxed);
    while (s < calls && !atomic_compare_exchange_weak(&g_skip, &s, calls)) {
    }
}

/* After a call on the pool (its owner, before giving the pool up): lost to serial or paid. */
static void update_backoff(int lost)
{
    if (lost) {
        TEST_COUNT(elu4j_mt_count_lost);
        g_paid = 0;
        g_backoff = g_backoff == 0 ? ELU4J_MT_BACKOFF_MIN
                    : g_backoff >= ELU4J_MT_BACKOFF_MAX / 2 ? ELU4J_MT_BACKOFF_MAX : g_backoff * 2;
        atomic_store(&g_skip, g_backoff);
    } else if (g_backoff != 0 && ++g_paid >= ELU4J_MT_BACKOFF_DECAY_AFTER) {
        g_paid = 0;
        g_backoff = g_backoff / 2 < ELU4J_MT_BACKOFF_MIN ? 0 : g_backoff / 2;
    }
}

int elu4j_mt_enter(unsigned online)
{
    const unsigned callers = atomic_fetch_add(&g_callers, 1) + 1;
    if (callers > 1) {
        TEST_COUNT(elu4j_mt_count_busy);
        if (callers >= online) {
            back_off_at_least(ELU4J_MT_BACKOFF_MIN); /* the callers alone fill every CPU */
        }
        return 0;
    }
    return !take_skip();
}

void elu4j_mt_leave(void)
{
    atomic_fetch_sub(&g_callers, 1);
}

int elu4j_mt_worker_has_cpu(unsigned index, unsigned online)
{
    const unsigned callers = atomic_load_explicit(&g_callers, memory_order_relaxed);
    return callers < online && index < online - callers;
}

int elu4j_mt_backing_off(void)
{
    return atomic_load_explicit(&g_skip, memory_order_relaxed) != 0;
}

void elu4j_mt_after_pool_call(size_t own, size_t chunks, double call_ns, double fastest_ns)
{
    if (own < chunks) { /* a worker ran part of it: did the call pay? */
        update_backoff(own > 0 && call_ns * 4 > fastest_ns * (double)chunks * ELU4J_MT_LOST_QUARTERS);
    }
}

#ifdef ELU4J_MT_TESTING
/* Forgets the back-off (only while no call is in flight). */
void elu4j_mt_policy_reset(void)
{
    atomic_store(&g_skip, 0u);
    g_backoff = 0;
    g_paid = 0;
}
#endif
