/* tools/blas_setup.h — process set-up for the commands that run the model.
 *
 * cli_blas_setup(): call first thing in a model command.  When the CPU has AVX-512 and the
 * loaded OpenBLAS kernels do not use it, or OMP_WAIT_POLICY is unset, it sets
 * OPENBLAS_CORETYPE=SkylakeX / OMP_WAIT_POLICY=passive and re-executes the program once (both
 * are read only while the libraries load).  MM_BLAS_NO_REEXEC=1 keeps the environment as is.
 * cli_set_threads(n): OpenMP threads for the model (-j N, else OMP_NUM_THREADS, else all cores);
 * OpenBLAS itself runs single-threaded inside them. */
#ifndef MM_BLAS_SETUP_H
#define MM_BLAS_SETUP_H

void cli_blas_setup(void);
void cli_set_threads(int n);

#endif
