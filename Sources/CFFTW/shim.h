#ifndef WB_CFFTW_SHIM_H
#define WB_CFFTW_SHIM_H
#include <fftw3.h>
#endif
