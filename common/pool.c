#include "common/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    size_t n;
    _Atomic size_t next;
    mm_pool_fn fn;
    void *ctx;
    _Atomic int first_err;
} pool_job;

typedef struct {
    pool_job *job;
    int worker;
} pool_arg;

int mm_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int mm_pool_threads(int threads, size_t n) {
    int t = threads > 0 ? threads : mm_cpu_count();
    if ((size_t)t > n) t = (int)(n ? n : 1);
    return t;
}

static void *pool_main(void *p) {
    pool_arg *a = p;
    pool_job *j = a->job;
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n) break;
        mm_err e = j->fn(j->ctx, i, a->worker);
        int zero = 0;
        if (e != MM_OK) atomic_compare_exchange_strong(&j->first_err, &zero, (int)e);
    }
    return NULL;
}

mm_err mm_pool_run(size_t n, int threads, mm_pool_fn fn, void *ctx) {
    pool_job job = {.n = n, .fn = fn, .ctx = ctx};
    int t = mm_pool_threads(threads, n);
    if (t <= 1) {
        pool_arg a = {&job, 0};
        pool_main(&a);
        return (mm_err)job.first_err;
    }
    pthread_t *tid = calloc((size_t)t, sizeof *tid);
    pool_arg *args = calloc((size_t)t, sizeof *args);
    if (!tid || !args) {
        free(tid);
        free(args);
        return mm_fail(MM_ERR_NOMEM, "thread pool");
    }
    int started = 0;
    for (int i = 0; i < t; i++) {
        args[i] = (pool_arg){&job, i};
        if (pthread_create(&tid[i], NULL, pool_main, &args[i]) == 0)
            started++;
        else
            break;
    }
    if (!started) pool_main(&args[0]);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    free(tid);
    free(args);
    return (mm_err)job.first_err;
}
