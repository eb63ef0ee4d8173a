/*
 * N-body integration of the solar system's massive bodies.
 *
 * Units: metres, seconds, gravitational parameters GM in m^3/s^2. Frame:
 * inertial (the game uses ICRF, solar-system barycentric, TDB).
 *
 * Forces: Newtonian point masses between all bodies, plus the first-order
 * post-Newtonian field of one body (the Sun) on every other body
 * (the one-body Schwarzschild term of the post-Newtonian equations of motion,
 * in harmonic coordinates):
 *   a = GM/(c^2 r^3) [ (4 GM/r - v^2) r + 4 (r.v) v ]
 * with r, v relative to that body; the opposite momentum goes to the Sun so
 * the barycentre stays put. It supplies most of the difference between a
 * point-mass model and JPL's ephemerides for the inner planets.
 *
 * Integration: drift-kick-drift leapfrog (order 2) or Suzuki's fourth-order
 * composition of five leapfrog stages. Both are symplectic for the Newtonian
 * part and deterministic: the same inputs give the same bits on any x86-64.
 */
#ifndef GK_NBODY_H
#define GK_NBODY_H

#include <stdint.h>

#include "gk_simd.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GK_SPEED_OF_LIGHT_M_S 299792458.0

enum {
    GK_SCHEME_LEAPFROG = 2,
    GK_SCHEME_ORDER4 = 4,
};

/*
 * Bodies as structure of arrays, all owned by the caller. Every array has
 * `stride` = gk_padded_count(count) doubles; entries past `count` must have
 * gm = 0. ax/ay/az are scratch the kernel overwrites.
 */
typedef struct gk_bodies {
    int32_t count;
    int32_t stride;
    double *x, *y, *z;    /* m */
    double *vx, *vy, *vz; /* m/s */
    const double *gm;     /* m^3/s^2 */
    double *ax, *ay, *az; /* m/s^2, scratch */
    int32_t relativity_source; /* body whose post-Newtonian field acts on the others, or -1 */
} gk_bodies;

/*
 * States recorded by gk_nbody_advance for the ship kernel, caller-owned.
 * boundary: (capacity + 1) blocks of 6 * stride doubles, block k holding
 *           x, y, z, vx, vy, vz at t0 + k * step_s;
 * midpoint: capacity blocks of 3 * stride doubles, x, y, z at
 *           t0 + (k + 1/2) * step_s (cubic Hermite from the two boundaries).
 */
typedef struct gk_body_trace {
    int32_t capacity; /* substeps that fit */
    int32_t stride;
    int32_t steps;    /* written by the kernel */
    double step_s;    /* written by the kernel */
    double *boundary;
    double *midpoint;
} gk_body_trace;

/* Advances all bodies by dt_s in `substeps` equal steps of `scheme`.
 * trace may be NULL; otherwise substeps must be <= trace->capacity.
 * Returns GK_ERR_INVALID_ARGUMENT for a bad count, step or scheme and
 * GK_ERR_NON_FINITE (state left as computed) if a state became non-finite. */
int gk_nbody_advance(gk_bodies *bodies, double dt_s, int32_t substeps, int32_t scheme, gk_body_trace *trace);

/* Newtonian energy times G (m^5/s^4): sum GM v^2/2 - sum GM_i GM_j / r_ij.
 * Summed with compensation so that its relative round-off is near 1e-16. */
double gk_nbody_energy(const gk_bodies *bodies);

/* Fills ax/ay/az with each body's acceleration (m/s^2) at the current state. */
void gk_nbody_accelerations(gk_bodies *bodies);

#ifdef __cplusplus
}
#endif

#endif
