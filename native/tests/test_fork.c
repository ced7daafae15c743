/*
 * elu4j native tests: fork() while another thread runs parallel calls. The child inherits the
 * pool's mutex in whatever state it had (a worker may hold it for a moment after each spin); the
 * child's own parallel call and its exit (the library's destructor) must not wait on it. Each
 * child runs one parallel call, checks it against the serial result, and exits through exit()
 * (so the destructor runs); alarm() turns a hang into a failed child.
 *
 *   test_fork [FORKS]     (default 1000: a hang needs a worker to hold the mutex at the fork,
 *                         so fewer forks may miss one)
 */
#define _POSIX_C_SOURCE 200809L

#include "test_util.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int g_stop;
static float *g_src, *g_busy;
static size_t g_n;

static void *caller(void *arg)
{
    (void)arg;
    while (!atomic_load(&g_stop)) {
        if (elu4j_forward_mt(ELU4J_FN_ELU, ELU4J_DT_F32, g_src, g_busy, g_n, 1.0, 1.0, 1.0, 2) != ELU4J_OK) {
            atomic_store(&g_stop, 2);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const int forks = argc > 1 ? atoi(argv[1]) : 1000;
    g_n = elu4j_mt_min_elements() * 2;
    g_src = malloc(g_n * sizeof(float));
    g_busy = malloc(g_n * sizeof(float));
    float *want = malloc(g_n * sizeof(float));
    float *got = malloc(g_n * sizeof(float));
    if (!g_src || !g_busy || !want || !got) {
        fprintf(stderr, "test_fork: out of memory\n");
        return EXIT_FAILURE;
    }
    for (size_t i = 0; i < g_n; i++) {
        g_src[i] = -8.0f + 12.0f * (float)(i % 1000) / 1000.0f;
    }
    CHECK(elu4j_forward(ELU4J_FN_ELU, ELU4J_DT_F32, g_src, want, g_n, 1.0, 1.0, 1.0) == ELU4J_OK, "serial call");

    pthread_t thread;
    if (pthread_create(&thread, NULL, caller, NULL) != 0) {
        fprintf(stderr, "test_fork: cannot start a thread: skipped\n");
        return 77;
    }
    int hung = 0, wrong = 0, failed = 0;
    for (int i = 0; i < forks && !atomic_load(&g_stop); i++) {
        const pid_t pid = fork();
        if (pid == 0) {
            alarm(20); /* a hang ends the child with SIGALRM */
            const int status = elu4j_forward_mt(ELU4J_FN_ELU, ELU4J_DT_F32, g_src, got, g_n, 1.0, 1.0, 1.0, 2);
            exit(status != ELU4J_OK ? 3 : memcmp(got, want, g_n * sizeof(float)) != 0 ? 4 : 0);
        }
        if (pid < 0) {
            CHECK(0, "fork failed");
            break;
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0) {
        }
        if (WIFSIGNALED(status)) {
            hung += WTERMSIG(status) == SIGALRM;
            failed += WTERMSIG(status) != SIGALRM;
        } else if (WEXITSTATUS(status) == 4) {
            wrong++;
        } else if (WEXITSTATUS(status) != 0) {
            failed++;
        }
    }
    const int stop = atomic_exchange(&g_stop, 1);
    pthread_join(thread, NULL);
    CHECK(stop != 2, "the parent's parallel calls failed");
    CHECK(hung == 0, "%d of %d children hung (in their parallel call or at exit)", hung, forks);
    CHECK(wrong == 0, "%d children's parallel results differ from the serial ones", wrong);
    CHECK(failed == 0, "%d children failed otherwise", failed);
    printf("test_fork: %d forks during parallel calls\n", forks);
    free(g_src);
    free(g_busy);
    free(want);
    free(got);
    return test_summary("test_fork");
}
