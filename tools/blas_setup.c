/* tools/blas_setup.c — the fastest OpenBLAS kernels and the thread count for the model commands
 * (pretrain, generate, grpo, eval).  See tools/blas_setup.h. */
#include "tools/blas_setup.h"

#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Settings that only take effect through the environment before main, because OpenBLAS and
 * libgomp read them while they load:
 *  - OpenBLAS kernels.  Debian's OpenBLAS 0.3.21 treats AVX-512 CPUs it does not know (Zen 4/5,
 *    ...) as Haswell, and some environments pin OPENBLAS_CORETYPE=Haswell, so it runs AVX2
 *    kernels at about half the speed of its SkylakeX (AVX-512) ones.  When the CPU has AVX-512
 *    and the loaded kernels do not use it, we ask for SkylakeX.
 *  - OpenMP waiting.  By default idle OpenMP threads spin; on a machine shared with other jobs a
 *    thread spinning at a join takes the core its partner needs (measured: 10-35% slower
 *    training steps on a busy two-core machine).  Unless OMP_WAIT_POLICY is set, we ask for
 *    "passive" (waiting threads sleep; the cost is a wake-up per parallel region, and the model
 *    uses few regions per step).
 * When either is needed we set the variables and exec ourselves once more (MM_BLAS_REEXEC
 * guards against a loop); MM_BLAS_NO_REEXEC=1 keeps the environment as it is. */
static int blas_wants_avx512(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512dq") || !__builtin_cpu_supports("avx512vl"))
        return 0;
    const char *core = openblas_get_corename();
    return core && !strcasestr(core, "skylakex") && !strcasestr(core, "cooperlake") &&
           !strcasestr(core, "sapphire");
}

void cli_blas_setup(void) {
    if (getenv("MM_BLAS_NO_REEXEC") || getenv("MM_BLAS_REEXEC")) return;
    int core = blas_wants_avx512(), wait = getenv("OMP_WAIT_POLICY") == NULL;
    if (!core && !wait) return;
    FILE *f = fopen("/proc/self/cmdline", "rb");
    if (!f) return;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    if (n == 0 || n >= sizeof buf - 1) return;
    buf[n] = 0;
    char *argv[1024];
    int argc = 0;
    for (size_t i = 0; i < n && argc < 1023; i += strlen(buf + i) + 1)
        argv[argc++] = buf + i;
    argv[argc] = NULL;
    char *was = getenv("OPENBLAS_CORETYPE");
    was = was ? strdup(was) : NULL;
    if (core) setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    if (wait) setenv("OMP_WAIT_POLICY", "passive", 1);
    setenv("MM_BLAS_REEXEC", "1", 1);
    fflush(NULL);
    execv("/proc/self/exe", argv);
    if (was)
        setenv("OPENBLAS_CORETYPE", was, 1); /* exec failed: go on with what we have */
    else if (core)
        unsetenv("OPENBLAS_CORETYPE");
    if (wait) unsetenv("OMP_WAIT_POLICY");
    free(was);
}

/* Threads for OpenMP and OpenBLAS alike: -j N, else OMP_NUM_THREADS, else all cores. */
void cli_set_threads(int n) {
    if (n <= 0 && getenv("OMP_NUM_THREADS")) n = omp_get_max_threads();
    if (n <= 0) n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

/* OpenBLAS's own fork/exit handler, exported by its pthread build: joins the worker threads.
 * Weak, so that another BLAS without it links and simply keeps its threads. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

void cli_blas_idle(void) {
    if (blas_thread_shutdown_) blas_thread_shutdown_();
}
