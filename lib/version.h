#ifndef DIYC_VERSION
#define DIYC_VERSION "0.2.0"
#endif
