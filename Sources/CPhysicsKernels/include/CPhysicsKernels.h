/* Umbrella header of the Galaxy physics kernels. */
#include "gk_kepler.h"
#include "gk_nbody.h"
#include "gk_qlaw.h"
#include "gk_ships.h"
#include "gk_simd.h"
#include "gk_status.h"
