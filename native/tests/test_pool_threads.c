/*
 * The pool's workers are the process's, not the thread's that made the first parallel call: a
 * first call from a thread pinned to one CPU and niced must neither size the pool by that one
 * CPU (parallel mode silently off for the process) nor leave the workers on that CPU or at that
 * nice level. The worker's mask must be the process's, and its nice level the main thread's
 * where this system lets a thread lower its own nice level (else that part is skipped, said so),
 * and its scheduling policy the main thread's where the first caller could run under SCHED_BATCH.
 * And the mirror case, in a forked child: main pinned to one CPU, the first call from an unpinned
 * thread must start a worker. Skipped (77) where the process runs on one CPU only.
 */
#define _GNU_SOURCE
#include "elu4j.h"
#include "test_threads.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N_MAX_TASKS = 64 };

static size_t g_n;
static float *g_src, *g_dst;
static int g_first_cpu;
static int g_can_unnice; /* this system let the first caller lower its nice level back */
static int g_batch;      /* the first caller ran under SCHED_BATCH (main under SCHED_OTHER) */
static int g_status = -1;

static void *first_caller(void *arg)
{
    (void)arg;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(g_first_cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
        return NULL;
    }
    const int nice0 = getpriority(PRIO_PROCESS, 0);
    if (setpriority(PRIO_PROCESS, 0, nice0 + 5) != 0) {
        return NULL;
    }
    g_can_unnice = setpriority(PRIO_PROCESS, 0, nice0) == 0 && setpriority(PRIO_PROCESS, 0, nice0 + 5) == 0;
    /* a background thread's policy: any thread may go from SCHED_OTHER to SCHED_BATCH and back */
    const struct sched_param none = {0};
    g_batch = sched_getscheduler(0) == SCHED_OTHER && sched_setscheduler(0, SCHED_BATCH, &none) == 0;
    g_status = elu4j_forward_mt(ELU4J_FN_ELU, ELU4J_DT_F32, g_src, g_dst, g_n, 1.0, 1.0, 1.0, 2);
    return NULL;
}

/* The mirror case's caller: unpinned (the full mask) while main is pinned; makes a 2-thread call. */
static cpu_set_t g_full;

static void *unpinned_caller(void *arg)
{
    (void)arg;
    if (sched_setaffinity(0, sizeof g_full, &g_full) == 0) {
        g_status = elu4j_forward_mt(ELU4J_FN_ELU, ELU4J_DT_F32, g_src, g_dst, g_n, 1.0, 1.0, 1.0, 2);
    }
    return NULL;
}

int main(void)
{
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof mask, &mask) != 0 || CPU_COUNT(&mask) < 2) {
        printf("SKIP: this process may run on one CPU only: nothing to narrow\n");
        return 77;
    }
    while (!CPU_ISSET(g_first_cpu, &mask)) {
        g_first_cpu++;
    }
    g_n = elu4j_mt_min_elements() * 4;
    g_src = malloc(g_n * sizeof(float));
    g_dst = malloc(g_n * sizeof(float));
    if (g_src == NULL || g_dst == NULL) {
        printf("FAIL: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < g_n; i++) {
        g_src[i] = (float)i / (float)g_n - 0.5f;
    }
    /* The mirror case, in a child (the pool is made once per process): main pinned to one CPU, the
       first call from an unpinned thread, which must still get a worker (a thread-per-core
       program pins main; `taskset -p PID` reaches only main). */
    g_full = mask;
    fflush(stdout);
    const pid_t child = fork();
    if (child == 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(g_first_cpu, &one);
        pthread_t u;
        if (sched_setaffinity(0, sizeof one, &one) != 0 || pthread_create(&u, NULL, unpinned_caller, NULL) != 0 ||
            pthread_join(u, NULL) != 0 || g_status != ELU4J_OK) {
            _exit(2);
        }
        pid_t ids[N_MAX_TASKS];
        _exit(other_threads(ids, N_MAX_TASKS) == 1 ? 0 : 1);
    }
    int child_status = -1;
    if (child < 0 || waitpid(child, &child_status, 0) != child || !WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0) {
        printf("FAIL: with the main thread pinned to CPU %d, an unpinned thread's 2-thread call started no worker "
               "(child status %d)\n", g_first_cpu, child_status);
        return 1;
    }
    g_status = -1;
    pthread_t t;
    if (pthread_create(&t, NULL, first_caller, NULL) != 0 || pthread_join(t, NULL) != 0) {
        printf("FAIL: could not run the first caller\n");
        return 1;
    }
    free(g_src);
    free(g_dst);
    if (g_status != ELU4J_OK) {
        printf("FAIL: the first caller could not pin and nice itself, or its call returned %d\n", g_status);
        return 1;
    }
    pid_t tids[N_MAX_TASKS];
    const int workers = other_threads(tids, N_MAX_TASKS);
    if (workers != 1) {
        printf("FAIL: %d threads besides main after a 2-thread call from a thread pinned to CPU %d (want 1 worker: "
               "the pool sized by the process's %d CPUs, not the caller's one)\n", workers, g_first_cpu, CPU_COUNT(&mask));
        return 1;
    }
    /* The worker sets its mask and level when it starts, which may be after the call returned
       (the caller may have taken every chunk itself): wait for it, at most 5 s. */
    cpu_set_t wmask;
    int settled = 0;
    for (int i = 0; i < 500 && !settled; i++) {
        settled = sched_getaffinity(tids[0], sizeof wmask, &wmask) == 0 && CPU_EQUAL(&wmask, &mask)
                  && (!g_batch || sched_getscheduler(tids[0]) == SCHED_OTHER)
                  && (!g_can_unnice || getpriority(PRIO_PROCESS, (id_t)tids[0]) == getpriority(PRIO_PROCESS, (id_t)getpid()));
        if (!settled) {
            usleep(10000);
        }
    }
    if (sched_getaffinity(tids[0], sizeof wmask, &wmask) != 0 || !CPU_EQUAL(&wmask, &mask)) {
        printf("FAIL: the worker runs on %d CPU(s), the process on %d: it kept its creator's mask\n",
               CPU_COUNT(&wmask), CPU_COUNT(&mask));
        return 1;
    }
    if (g_batch && sched_getscheduler(tids[0]) != SCHED_OTHER) {
        printf("FAIL: the worker's scheduling policy is %d, the main thread's SCHED_OTHER: it kept its creator's "
               "SCHED_BATCH\n", sched_getscheduler(tids[0]));
        return 1;
    }
    errno = 0;
    const int main_nice = getpriority(PRIO_PROCESS, (id_t)getpid());
    const int worker_nice = getpriority(PRIO_PROCESS, (id_t)tids[0]);
    if (errno != 0) {
        printf("FAIL: could not read the nice levels\n");
        return 1;
    }
    if (!g_can_unnice) {
        printf("ok: the worker runs on the process's %d CPUs; nice level not checked: this system does not let a "
               "thread lower its own (worker %d, main %d)\n", CPU_COUNT(&mask), worker_nice, main_nice);
        return 0;
    }
    if (worker_nice != main_nice) {
        printf("FAIL: the worker's nice level is %d, the main thread's %d: it kept its creator's\n", worker_nice, main_nice);
        return 1;
    }
    printf("ok: the worker runs on the process's %d CPUs at the main thread's nice level %d%s\n", CPU_COUNT(&mask), main_nice,
           g_batch ? " and policy (SCHED_OTHER; its creator ran under SCHED_BATCH)" : "");
    return 0;
}
