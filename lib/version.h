#ifndef DIYC_VERSION
#define DIYC_VERSION "0.1.0"
#endif
