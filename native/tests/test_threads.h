/*
 * elu4j native tests: the threads of this process, read from /proc/self/task (Linux), for the
 * tests of the worker pool's size and settings.
 */
#ifndef ELU4J_TEST_THREADS_H
#define ELU4J_TEST_THREADS_H

#include <dirent.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* The threads of this process other than its main thread: their count (-1 where /proc cannot be
   read), and up to max of their ids into others (which may be NULL with max 0). */
static inline int other_threads(pid_t *others, int max)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL) {
        return -1;
    }
    int n = 0;
    const pid_t self = getpid();
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        const pid_t tid = (pid_t)atoi(e->d_name);
        if (e->d_name[0] != '.' && tid != self) {
            if (n < max) {
                others[n] = tid;
            }
            n++;
        }
    }
    closedir(d);
    return n;
}

#endif /* ELU4J_TEST_THREADS_H */
