#ifndef WB_CBLAS_SHIM_H
#define WB_CBLAS_SHIM_H
#include <cblas.h>
/* OpenBLAS thread control (declared in OpenBLAS's cblas.h; re-declared for other CBLAS builds). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
/* glibc's sincos/sincosf (GNU extensions, hidden from Swift's Glibc module without _GNU_SOURCE):
   sine and cosine with one shared argument reduction, used by the NN kit's Fourier features. */
void sincos(double x, double *sin_x, double *cos_x);
void sincosf(float x, float *sin_x, float *cos_x);
#endif
