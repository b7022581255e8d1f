#ifndef WB_CPNG_SHIM_H
#define WB_CPNG_SHIM_H
#include <png.h>
#endif
