/*
 * elu4j native helper: the worker pool behind elu4j_forward_mt (elu4j_mt_run, for any function
 * and dtype; the entry point's checks are in elu4j.c) and elu4j_mt_min_elements.
 *
 * Design
 *
 *   - One process-wide pool of worker threads, created lazily by the first call that needs one
 *     (pthread_once for the synchronisation objects; the threads themselves are started under
 *     the pool mutex as calls ask for them, up to ELU4J_MT_MAX_THREADS - 1 workers). Idle
 *     workers spin for ELU4J_MT_SPIN_NS, then sleep on a condition variable: an idle pool
 *     burns no CPU.
 *   - One job at a time: a caller owns the pool for its whole call (g_owned). A call never
 *     sees another call's data.
 *   - Never more busy threads than CPUs, so that parallel mode cannot make a call slower than
 *     serial on a loaded machine: which calls run on the pool and which serially in their own
 *     thread (another call in flight, the back-off after a call that lost to serial), and when a
 *     worker may take a chunk or spin, is the policy of elu4j_parallel_policy.c (its design notes
 *     there). The pool asks it when a call arrives (elu4j_mt_enter), before a worker takes a
 *     chunk or spins (elu4j_mt_worker_has_cpu, elu4j_mt_backing_off) and when a call on the pool
 *     ends (elu4j_mt_after_pool_call).
 *   - A job is [0, n) cut into chunks whose boundaries lie on 64-byte lines of dst (when dst is
 *     4-byte aligned; see chunk_start), so no two threads write the same cache line. Chunks are
 *     handed out one at a time under the pool mutex to whoever asks: the caller takes chunks
 *     too, from the start, and does not wait for a worker to wake up. If the other cores are
 *     busy (another process), the caller simply does most chunks itself; it only ever waits
 *     for chunks a worker has actually started. Four chunks per thread keep that imbalance
 *     small.
 *   - Streaming stores are decided once on the whole call (elu4j_use_streaming_stores), as in
 *     the serial call; every chunk gets the same flag, so the bits and the store kind are those
 *     of the serial call. Each kernel ends streamed output with an sfence, and the mutex hand-
 *     over orders it before the caller returns.
 *   - Below ELU4J_MT_MIN_ELEMENTS the call runs serially in the calling thread (see the
 *     measurements there), as it does when threads resolves to 1, when no worker could be
 *     started, and after the pool was stopped.
 *   - A destructor stops the pool when the library is unloaded or the process exits: it wakes
 *     and joins every worker, so ASan/LSan and valgrind see no thread or memory left behind.
 *     Workers finish any chunk they have taken before they stop, so a call in flight in another
 *     thread still completes (its caller takes the remaining chunks). Calls after that run
 *     serially.
 *
 * fork(): the pool belongs to the process that made it (g_pool_pid). A child of that process
 * has none of its worker threads, and inherits the pool mutex in whatever state it had at the
 * fork (a worker may have held it): so its parallel calls run serially without touching the pool,
 * and the destructor leaves the pool alone there (it would wait on that mutex, and join threads
 * the child does not have).
 *
 * Workers are the process's, not their creator's: a thread inherits its creator's CPU mask and
 * nice level, and the first parallel call may come from any thread (pinned to one CPU, or niced,
 * as a background thread is), while the main thread may be pinned on its own too (a
 * thread-per-core program; `taskset -p PID` or `renice -p PID` reach only the thread whose id is
 * the process's, in a JVM the idle launcher thread). So the pool is sized by the union of the
 * main thread's and the first caller's masks (read once), and each worker takes that mask, the
 * main thread's scheduling policy and the lower of the two nice levels when it starts (as far as
 * an unprivileged thread may go: it cannot lower its own nice level, nor leave SCHED_IDLE beyond
 * its RLIMIT_NICE).
 *
 * Cancellation: a parallel call is no cancellation point (it disables cancellation while it holds
 * the pool): a caller cancelled in its wait would leave the pool locked, and exit() waiting on it.
 */
#define _GNU_SOURCE /* sched_getaffinity, sched_setaffinity, CPU_COUNT; sysconf(_SC_NPROCESSORS_ONLN) */

#include "elu4j.h"
#include "elu4j_glibc_compat.h" /* <pthread.h>, bound to symbol versions glibc 2.17 has */
#include "elu4j_internal.h"
#include "elu4j_parallel_policy.h"
#include "elu4j_parallel_testing.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <xmmintrin.h> /* _mm_getcsr, _mm_setcsr */

/*
 * Smallest n (floats) that runs in parallel. Handing work to a sleeping worker costs tens of
 * microseconds on a VM (a futex wake-up and, when the vCPU was halted, the hypervisor rescheduling
 * it): the whole serial call up to ~128K floats. Above ~256K the parallel call won whenever the
 * second CPU was free at all and lost at most a few percent when it was not (the caller then does
 * almost every chunk itself). 512K floats (2 MiB, one core's L2) is above every size where a loss
 * was measured except on a fully loaded machine, where no threshold helps; below it a call is
 * serial, so never slower than serial. The measurements behind it (tests/elu_mt_timing, speedup
 * per size and load) are in docs/benchmarks.md. Overridable at build time
 * (-DELU4J_MT_MIN_ELEMENTS=...) for tests and measurements only.
 */
#ifndef ELU4J_MT_MIN_ELEMENTS
#define ELU4J_MT_MIN_ELEMENTS ((size_t)512 << 10)
#endif

/* Smallest chunk handed to a thread (floats): 64 KiB, a multiple of a cache line. */
#ifndef ELU4J_MT_MIN_CHUNK
#define ELU4J_MT_MIN_CHUNK ((size_t)16 << 10)
#endif

/*
 * How long an idle worker spins (watching g_posted, without the mutex) before it sleeps on the
 * condition variable, in ns. Waking a sleeping worker cost tens of microseconds on the test VM
 * (futex wake-up plus the hypervisor rescheduling a halted vCPU): the usual competitive-spinning
 * rule is to spin about as long as blocking costs, so back-to-back calls (a burst of layers) find
 * their workers awake, while an idle pool still sleeps after 50 us and burns no CPU.
 */
#ifndef ELU4J_MT_SPIN_NS
#define ELU4J_MT_SPIN_NS 50000L
#endif

/* Chunks per thread of a call (dynamic hand-out, so a busy core gets fewer). */
#define ELU4J_MT_CHUNKS_PER_THREAD 4

/* ELU4J_MT_MAX_THREADS comes from elu4j.h. Workers are at most that minus the caller. */
#define MAX_WORKERS (ELU4J_MT_MAX_THREADS - 1)

/* The one job of the pool: valid while its caller owns the pool (g_owned) and chunks remain. */
typedef struct job {
    const unsigned char *src;
    unsigned char *dst;
    size_t n;
    elu4j_task task;    /* what to run on each chunk (its elem_size: bytes per element) */
    size_t chunks;      /* number of chunks */
    size_t next;        /* next chunk to hand out (== chunks: none left) */
    size_t done;        /* chunks finished */
    unsigned workers;   /* workers allowed to take chunks of this job (index < workers) */
    unsigned fp_control; /* the caller's MXCSR control bits (FTZ, DAZ, rounding, masks): see run_chunk */
} job;

/* MXCSR's control bits; the low six are the sticky exception flags, each thread's own. */
#define MXCSR_CONTROL (~0x3Fu)

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
/*
 * 1 while a caller owns the pool (taken by compare-and-swap, never waited for); the owner alone
 * changes the policy's back-off (elu4j_mt_after_pool_call, before it gives the pool up).
 */
static atomic_int g_owned;
static unsigned g_online;            /* CPUs this process may run on, read once (init_once) */
static pthread_mutex_t g_pool_mutex; /* everything below */
static pthread_cond_t g_work_cond;   /* workers: a job was posted, or stop */
static pthread_cond_t g_done_cond;   /* caller: a chunk was finished */
static int g_init_ok;                /* the objects above exist */
static pid_t g_pool_pid;             /* the process that made them (init_once) */
static pthread_t g_threads[MAX_WORKERS];
static unsigned g_started;           /* workers started */
static int g_stopping;               /* the destructor runs or ran: no new jobs, workers exit */
static job g_job;                    /* the current job (chunks == 0: none) */
/* Jobs posted so far: changed under the pool mutex, read without it by spinning workers. */
static atomic_ulong g_posted;

/* The pool's CPU mask and nice level (init_once), which every worker takes (worker_main);
   g_mask_ok and g_nice_ok say whether they could be read. And the main thread's scheduling
   policy (-1 if it could not be read): a first caller under SCHED_IDLE or SCHED_BATCH (a
   background thread), or a real-time one, must not hand its policy to the workers for good. */
static cpu_set_t g_mask;
static int g_mask_ok;
static int g_nice;
static int g_nice_ok;
static int g_policy = -1;
static struct sched_param g_sched_param;

/* The online CPUs, or fewer where the mask (main's, whose thread id is the process id, with the
   caller's: see the top) allows fewer (taskset, a cpuset, numactl): workers beyond it could only
   take CPU time from the caller. (A CPU quota, e.g. docker --cpus, is no mask; Java callers pass
   the JVM's count, which honours it: HelperCalls.) */
static unsigned online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t caller;
    g_mask_ok = sched_getaffinity(getpid(), sizeof g_mask, &g_mask) == 0;
    if (sched_getaffinity(0, sizeof caller, &caller) == 0) {
        if (g_mask_ok) {
            CPU_OR(&g_mask, &g_mask, &caller);
        } else {
            g_mask = caller;
            g_mask_ok = 1;
        }
    }
    if (g_mask_ok) {
        const int allowed = CPU_COUNT(&g_mask);
        if (allowed >= 1 && allowed < n) {
            n = allowed;
        }
    }
    return n < 1 ? 1u : n > ELU4J_MT_MAX_THREADS ? (unsigned)ELU4J_MT_MAX_THREADS : (unsigned)n;
}

static void init_once(void)
{
    g_pool_pid = getpid();
    g_online = online_cpus();
    errno = 0;
    const int main_nice = getpriority(PRIO_PROCESS, (id_t)g_pool_pid); /* -1 is a valid level: errno tells */
    const int caller_nice = getpriority(PRIO_PROCESS, 0);
    g_nice_ok = errno == 0;
    g_nice = main_nice < caller_nice ? main_nice : caller_nice;
    g_policy = sched_getscheduler(g_pool_pid);
    if (g_policy == -1 || sched_getparam(g_pool_pid, &g_sched_param) != 0) {
        g_policy = -1;
    }
    /* Defaults (no attributes): these calls cannot fail on Linux/glibc. */
    if (pthread_mutex_init(&g_pool_mutex, NULL) != 0 || pthread_cond_init(&g_work_cond, NULL) != 0 ||
        pthread_cond_init(&g_done_cond, NULL) != 0) {
        return;
    }
    g_init_ok = 1;
}

static double elapsed_ns(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_nsec - a->tv_nsec);
}

/* Index of the first element of chunk c (c <= chunks): on a 64-byte line of dst when possible. */
static size_t chunk_start(const job *j, size_t c)
{
    if (c == 0) {
        return 0;
    }
    if (c >= j->chunks) {
        return j->n;
    }
    /* Even split, then moved up so that dst + es * i lies on a 64-byte boundary (exactly when
       dst is es-byte aligned; otherwise to the first element that starts in the next line). */
    const size_t es = j->task.elem_size;
    const size_t even = j->n / j->chunks * c + j->n % j->chunks * c / j->chunks; /* no overflow */
    const uintptr_t addr = (uintptr_t)j->dst + even * es;
    const uintptr_t line = (addr + 63u) & ~(uintptr_t)63u;
    size_t i = even + (size_t)((line - addr + es - 1) / es);
    return i < j->n ? i : j->n;
}

/*
 * Runs chunk c of the current job (called without the pool mutex) under the caller's floating-
 * point controls: a worker keeps the MXCSR it started with, and a C caller that has since set
 * flush-to-zero, denormals-are-zero or another rounding mode must get the bits its serial call
 * gives (elu4j_forward runs in the caller's environment). A JVM never changes them.
 */
static void run_chunk(const job *j, size_t c)
{
    const size_t a = chunk_start(j, c);
    const size_t b = chunk_start(j, c + 1);
    if (b > a) {
        const unsigned mine = _mm_getcsr();
        const int other = (mine & MXCSR_CONTROL) != j->fp_control;
        if (other) {
            _mm_setcsr((mine & ~MXCSR_CONTROL) | j->fp_control);
        }
        const size_t es = j->task.elem_size;
        elu4j_task_run(&j->task, j->src + a * es, j->dst + a * es, b - a);
        if (other) {
            _mm_setcsr((_mm_getcsr() & ~MXCSR_CONTROL) | (mine & MXCSR_CONTROL));
        }
    }
}

/*
 * Takes and runs chunks of the current job until none is left, or (a worker, index >= 0) until
 * the callers in flight leave this worker no CPU; the caller (index -1) takes every chunk left.
 * The pool mutex is held on entry and again on return. Returns the chunks this thread ran, and
 * (if fastest_ns is not null) the time of its fastest chunk there.
 */
static size_t take_chunks(int index, double *fastest_ns)
{
    size_t ran = 0;
    while (g_job.next < g_job.chunks && (index < 0 || elu4j_mt_worker_has_cpu((unsigned)index, g_online))) {
        const size_t c = g_job.next++;
        const job j = g_job; /* the fields read by run_chunk do not change during the job */
        pthread_mutex_unlock(&g_pool_mutex);
#ifdef ELU4J_MT_TESTING
        if (index >= 0) {
            elu4j_mt_hook_worker_delay();
        }
#endif
        struct timespec a, b;
        if (fastest_ns != NULL) {
            clock_gettime(CLOCK_MONOTONIC, &a);
        }
        run_chunk(&j, c);
        if (fastest_ns != NULL) {
            clock_gettime(CLOCK_MONOTONIC, &b);
            const double ns = elapsed_ns(&a, &b);
            *fastest_ns = ran == 0 || ns < *fastest_ns ? ns : *fastest_ns;
        }
        ran++;
        pthread_mutex_lock(&g_pool_mutex);
        if (++g_job.done == g_job.chunks) {
            pthread_cond_signal(&g_done_cond);
        }
    }
    return ran;
}

/*
 * Spins until a job is posted after `seen`, or ELU4J_MT_SPIN_NS have passed, or spinning would
 * take a CPU that a caller needs (elu4j_mt_worker_has_cpu) or no job is due (the back-off,
 * elu4j_mt_backing_off); no lock held.
 */
static void spin_for_job(unsigned index, unsigned long seen)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(&g_posted, memory_order_acquire) != seen) {
            return;
        }
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        if ((i & 63u) == 0) {
            if (!elu4j_mt_worker_has_cpu(index, g_online) || elu4j_mt_backing_off()) {
                return;
            }
            clock_gettime(CLOCK_MONOTONIC, &now);
            const long elapsed = (long)(now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec);
            if (elapsed >= ELU4J_MT_SPIN_NS) {
                return;
            }
        }
    }
}

static void *worker_main(void *arg)
{
    const unsigned index = (unsigned)(uintptr_t)arg;
    /* The pool's mask, policy and nice level, not only the creating caller's (see the top); best
       effort: a refusal leaves the inherited ones. The policy first: the nice level is SCHED_OTHER's. */
    if (g_mask_ok) {
        (void)sched_setaffinity(0, sizeof g_mask, &g_mask);
    }
    if (g_policy != -1 && sched_getscheduler(0) != g_policy) {
        (void)sched_setscheduler(0, g_policy, &g_sched_param);
    }
    if (g_nice_ok) {
        (void)setpriority(PRIO_PROCESS, 0, g_nice);
    }
    pthread_mutex_lock(&g_pool_mutex);
    for (;;) {
        /* Work first: a chunk taken is always finished, even while the pool stops. */
        if (index < g_job.workers && g_job.next < g_job.chunks && elu4j_mt_worker_has_cpu(index, g_online)) {
            take_chunks((int)index, NULL);
            continue;
        }
        if (g_stopping) {
            break;
        }
        const unsigned long seen = atomic_load_explicit(&g_posted, memory_order_relaxed);
        pthread_mutex_unlock(&g_pool_mutex);
        spin_for_job(index, seen);
        pthread_mutex_lock(&g_pool_mutex);
        /* A job posted since `seen` (or a stop) is handled at the top of the loop; otherwise no
           job can be posted before cond_wait releases the mutex, so no wake-up is lost. */
        if (atomic_load_explicit(&g_posted, memory_order_relaxed) == seen && !g_stopping) {
            pthread_cond_wait(&g_work_cond, &g_pool_mutex);
        }
    }
    pthread_mutex_unlock(&g_pool_mutex);
    return NULL;
}

/* Starts workers until `want` exist (or starting one fails); the pool mutex is held. */
static void start_workers(unsigned want)
{
    while (g_started < want && !g_stopping) {
        if (pthread_create(&g_threads[g_started], NULL, worker_main, (void *)(uintptr_t)g_started) != 0) {
            break; /* run with the workers there are */
        }
        g_started++;
    }
}

/* Stops the pool: wakes every worker and joins it. Runs at unload or process exit. */
__attribute__((destructor)) static void stop_pool(void)
{
    if (!g_init_ok || getpid() != g_pool_pid) {
        return;
    }
    pthread_mutex_lock(&g_pool_mutex);
    g_stopping = 1;
    const unsigned started = g_started;
    pthread_cond_broadcast(&g_work_cond);
    pthread_mutex_unlock(&g_pool_mutex);
    for (unsigned i = 0; i < started; i++) {
        pthread_join(g_threads[i], NULL);
    }
}

size_t elu4j_mt_min_elements(void)
{
    return ELU4J_MT_MIN_ELEMENTS;
}

static void mt_run(const elu4j_task *task, const void *src, void *dst, size_t n, int threads);

void elu4j_mt_run(const elu4j_task *task, const void *src, void *dst, size_t n, int threads)
{
    if (n < ELU4J_MT_MIN_ELEMENTS) {
        elu4j_task_run(task, src, dst, n);
        return;
    }
    int cancel_state;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state); /* see the top */
    mt_run(task, src, dst, n, threads);
    pthread_setcancelstate(cancel_state, NULL);
}

static void mt_run(const elu4j_task *task, const void *src, void *dst, size_t n, int threads)
{
    /* The CPUs as read once (init_once): sysconf opens and reads a sysfs file, several
       microseconds, which every parallel() call paid before, a measurable part of a 1M-float call. */
    pthread_once(&g_once, init_once);
    /* At most one thread per CPU: a worker beyond that would never get a chunk
       (elu4j_mt_worker_has_cpu). */
    unsigned t = threads <= 0 || (unsigned)threads > g_online ? g_online : (unsigned)threads;
    size_t chunks = (size_t)t * ELU4J_MT_CHUNKS_PER_THREAD;
    const size_t max_chunks = n / ELU4J_MT_MIN_CHUNK;
    if (chunks > max_chunks) {
        chunks = max_chunks;
    }
    if (t > chunks) {
        t = (unsigned)chunks;
    }
    if (t <= 1 || !g_init_ok || getpid() != g_pool_pid) { /* (a forked child: see the top) */
        elu4j_task_run(task, src, dst, n);
        return;
    }

    /* Another parallel call in flight, the pool owned, or backing off: serially, at once. */
    int expected = 0;
    if (!elu4j_mt_enter(g_online) || !atomic_compare_exchange_strong(&g_owned, &expected, 1)) {
        elu4j_task_run(task, src, dst, n);
        elu4j_mt_leave();
        return;
    }
    pthread_mutex_lock(&g_pool_mutex);
    start_workers(t - 1);
    const unsigned workers = g_started < t - 1 ? g_started : t - 1;
    if (g_stopping || workers == 0) {
        pthread_mutex_unlock(&g_pool_mutex);
        atomic_store(&g_owned, 0);
        elu4j_task_run(task, src, dst, n);
        elu4j_mt_leave();
        return;
    }
    TEST_COUNT(elu4j_mt_count_parallel);
#ifdef ELU4J_MT_TESTING
    while (elu4j_mt_hook_hold_owner()) {
        pthread_mutex_unlock(&g_pool_mutex);
        elu4j_mt_hook_nap();
        pthread_mutex_lock(&g_pool_mutex);
    }
#endif
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    g_job = (job){.src = src, .dst = dst, .n = n, .task = *task,
                  .chunks = chunks, .next = 0, .done = 0, .workers = workers,
                  .fp_control = _mm_getcsr() & MXCSR_CONTROL};
    atomic_fetch_add_explicit(&g_posted, 1, memory_order_release);
    pthread_cond_broadcast(&g_work_cond);
#ifdef ELU4J_MT_TESTING
    if (elu4j_mt_hook_worker_first()) {
        while (g_job.next == 0) {
            pthread_mutex_unlock(&g_pool_mutex);
            elu4j_mt_hook_nap();
            pthread_mutex_lock(&g_pool_mutex);
        }
        clock_gettime(CLOCK_MONOTONIC, &t0); /* the wait is the test's, not the call's */
    }
#endif
    /* The caller works too, from chunk 0, without waiting for anyone. */
    double fastest_ns = 0;
    const size_t own = take_chunks(-1, &fastest_ns);
    while (g_job.done < g_job.chunks) {
        pthread_cond_wait(&g_done_cond, &g_pool_mutex);
    }
    g_job = (job){0}; /* no job: no pointer of this call stays behind */
    pthread_mutex_unlock(&g_pool_mutex);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    elu4j_mt_after_pool_call(own, chunks, elapsed_ns(&t0, &t1), fastest_ns);
    atomic_store(&g_owned, 0);
    elu4j_mt_leave();
}
