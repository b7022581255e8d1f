#ifndef WB_CBLAS_SHIM_H
#define WB_CBLAS_SHIM_H
#include <cblas.h>
/* OpenBLAS thread control (declared in OpenBLAS's cblas.h; re-declared for other CBLAS builds). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
