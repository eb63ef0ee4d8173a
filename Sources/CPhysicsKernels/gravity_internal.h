/* Vectorized gravity sums behind the instruction-set dispatch; internal. */
#ifndef GK_GRAVITY_INTERNAL_H
#define GK_GRAVITY_INTERNAL_H

#include <stdint.h>

/* Sum over bodies j < n, j != skip, of gm_j (x_j - p) / |x_j - p|^3 (m/s^2).
 * Arrays hold `stride` entries (a multiple of GK_LANES). */
void gk_gravity_point(int32_t n, int32_t stride, const double *x, const double *y, const double *z,
                      const double *gm, int32_t skip, const double p[3], double out[3]);

/* Perturbing acceleration of a point p relative to body `primary` (index
 * below n): sum over j != primary of
 *   gm_j [ (x_j - p)/|x_j - p|^3 - (x_j - x_primary)/|x_j - x_primary|^3 ]. */
void gk_gravity_tidal(int32_t n, int32_t stride, const double *x, const double *y, const double *z,
                      const double *gm, int32_t primary, const double p[3], double out[3]);

#endif
