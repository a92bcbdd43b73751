/* One knob for both levels of parallelism. OpenMP runs the elementwise passes; OpenBLAS gets
 * the same count for large GEMMs. Callers never nest the two (see DESIGN.md). */
#include "internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef LF_HAVE_BLAS
#include <cblas.h>
#endif

void lf_set_threads(int n)
{
    if (n <= 0) return;
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
#ifdef LF_HAVE_BLAS
    openblas_set_num_threads(n);
#endif
}

int lf_get_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
