#include "common/progress.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct mm_progress {
    char label[64], unit[16];
    uint64_t total;
    _Atomic uint64_t done, bytes;
    _Atomic double last_draw; /* guarded by a CAS-free best effort: a rare double draw is fine */
    double start;
    int tty;
};

static double clock_seconds(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

double mm_now(void) {
    return clock_seconds(CLOCK_MONOTONIC);
}
double mm_thread_cpu(void) {
    return clock_seconds(CLOCK_THREAD_CPUTIME_ID);
}
double mm_process_cpu(void) {
    return clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

mm_progress *mm_progress_create(const char *label, uint64_t total, const char *unit) {
    mm_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    snprintf(p->label, sizeof p->label, "%s", label);
    snprintf(p->unit, sizeof p->unit, "%s", unit);
    p->total = total;
    p->start = mm_now();
    p->tty = isatty(2) && !getenv("MM_NO_PROGRESS");
    return p;
}

static void draw(mm_progress *p, double now) {
    double el = now - p->start;
    uint64_t d = atomic_load(&p->done), b = atomic_load(&p->bytes);
    double rate = el > 0 ? d / el : 0, mbs = el > 0 ? b / el / 1e6 : 0;
    char eta[32] = "";
    if (p->total && rate > 0 && d <= p->total)
        snprintf(eta, sizeof eta, "  ETA %.0fs", (double)(p->total - d) / rate);
    if (p->total)
        fprintf(stderr, "\r\033[K%s  %llu/%llu %s  %.1f/s  %.1f MB/s%s", p->label,
                (unsigned long long)d, (unsigned long long)p->total, p->unit, rate, mbs, eta);
    else
        fprintf(stderr, "\r\033[K%s  %llu %s  %.1f/s  %.1f MB/s", p->label, (unsigned long long)d,
                p->unit, rate, mbs);
    fflush(stderr);
}

void mm_progress_add(mm_progress *p, uint64_t units, uint64_t bytes) {
    if (!p) return;
    atomic_fetch_add(&p->done, units);
    atomic_fetch_add(&p->bytes, bytes);
    if (!p->tty) return;
    double now = mm_now();
    double last = atomic_load(&p->last_draw);
    if (now - last < 0.25) return;
    if (!atomic_compare_exchange_strong(&p->last_draw, &last, now)) return;
    draw(p, now);
}

void mm_progress_done(mm_progress *p) {
    if (!p) return;
    if (p->tty) fprintf(stderr, "\r\033[K");
    free(p);
}
