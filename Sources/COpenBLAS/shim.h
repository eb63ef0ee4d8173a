// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Debian installs
// cblas.h on the default include path and ships no `cblas` pkg-config name,
// so the module links `openblas` directly.
#include <cblas.h>
