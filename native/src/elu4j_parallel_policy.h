/*
 * elu4j native helper: the serial-or-parallel policy of the worker pool (elu4j_parallel_policy.c),
 * as the pool (elu4j_parallel.c) asks it: when a call of at least the threshold arrives, before a
 * worker takes a chunk or spins, and when a call on the pool ends. Nothing here is exported.
 */
#ifndef ELU4J_PARALLEL_POLICY_H
#define ELU4J_PARALLEL_POLICY_H

#include <stddef.h>

/*
 * Counts the calling thread as a caller in flight until elu4j_mt_leave (every parallel-mode call
 * of at least the threshold, serial fall-backs included) and says whether its call may try the
 * pool: 0 when another parallel-mode call is in flight, or the back-off has calls left (this
 * call takes one); the call then runs serially. `online`: the CPUs the process may run on (the
 * online CPUs, or fewer in its affinity mask; read once by the pool).
 */
int elu4j_mt_enter(unsigned online);

/* Ends what elu4j_mt_enter began, whichever way the call ran. */
void elu4j_mt_leave(void);

/* Whether worker `index` may take chunks or spin now: the callers in flight leave it a CPU. */
int elu4j_mt_worker_has_cpu(unsigned index, unsigned online);

/* Whether the back-off has calls left: no job is due, so idle workers do not spin. */
int elu4j_mt_backing_off(void);

/*
 * After a call on the pool: updates the back-off from whether the call lost to serial or paid.
 * `own`: the chunks the caller ran of `chunks`; `call_ns`: the call's time on the pool, from its
 * job's posting until every chunk was done; `fastest_ns`: the caller's fastest chunk. Called by
 * the pool's owner only, before it gives the pool up: the back-off's length is the owner's to
 * change.
 */
void elu4j_mt_after_pool_call(size_t own, size_t chunks, double call_ns, double fastest_ns);

#ifdef ELU4J_MT_TESTING
/* Forgets the back-off (only while no call is in flight); for elu4j_mt_test_reset. */
void elu4j_mt_policy_reset(void);
#endif

#endif /* ELU4J_PARALLEL_POLICY_H */
