/* tools/blas_setup.h — process set-up for the commands that run the model.
 *
 * cli_blas_setup(): call first thing in a model command.  When the CPU has AVX-512 and the
 * loaded OpenBLAS kernels do not use it, or OMP_WAIT_POLICY is unset, it sets
 * OPENBLAS_CORETYPE=SkylakeX / OMP_WAIT_POLICY=passive and re-executes the program once (both
 * are read only while the libraries load).  MM_BLAS_NO_REEXEC=1 keeps the environment as is.
 * cli_set_threads(n): OpenMP threads for the model (-j N, else OMP_NUM_THREADS, else all cores);
 * OpenBLAS itself runs single-threaded inside them.
 * cli_blas_idle(): for every other command.  OpenBLAS (the pthread build) starts its worker
 * threads while it loads, and each spins on sched_yield for ~2^28 cycles before it sleeps:
 * ~0.2 CPU seconds and a system call per spin, in every run of a command that never calls BLAS
 * (measured: extracting the 181-page benchmark took 0.65 CPU s with them, 0.32 without).  This
 * stops them; OpenBLAS would start them again if BLAS were called. */
#ifndef MM_BLAS_SETUP_H
#define MM_BLAS_SETUP_H

void cli_blas_setup(void);
void cli_set_threads(int n);
void cli_blas_idle(void);

#endif
