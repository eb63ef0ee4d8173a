/*
 * Ships: test particles under every body, with attitude, main engine, RCS
 * and fuel.
 *
 * Units: metres, seconds, kilograms, newtons, radians. Positions and
 * velocities are ICRF barycentric (the bodies' frame), at the tick's start
 * on entry and at its end on return. The attitude quaternion (scalar first)
 * rotates body-frame vectors into ICRF; the main engine pushes along body +x.
 *
 * Translation, per body substep of the trace (gk_nbody.h):
 * - a ship whose step is short against its orbit (shorter than
 *   GK_CARTESIAN_FRACTION of min(r/v, sqrt(r^3/mu)), scaled by r/a
 *   on bound orbits) takes a Cartesian drift-kick-drift step under the
 *   summed gravity of all bodies;
 * - every other ship takes a Wisdom-Holman step: exact Kepler drift about
 *   its primary (gk_kepler_drift), then a kick with the other bodies' tidal
 *   pull and the thrust, then a second drift. This stays stable at any
 *   time warp and keeps energy through close periapsis passages.
 * Thrust is applied in the kick as the exact rocket-equation velocity change
 * for the burn time available from the fuel, so fuel never goes below zero.
 * A crossing of the primary's surface is found inside the step (from the
 * conic in Wisdom-Holman steps, along the straight segment in Cartesian
 * steps); the ship is placed on the surface, at rest relative to the body's
 * centre, and marked crashed. A ship whose state becomes non-finite gets its
 * state from before the tick back and is marked frozen.
 *
 * Thread safety: calls on disjoint [begin, end) ranges of the same struct
 * may run concurrently; the trace and bodies are read-only.
 */
#ifndef GK_SHIPS_H
#define GK_SHIPS_H

#include <stdint.h>

#include "gk_nbody.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GK_STANDARD_GRAVITY_M_S2 9.80665
#define GK_CARTESIAN_FRACTION 0.002

/* Attitude modes; the aim is body +x. */
enum {
    GK_MODE_HOLD = 0,      /* rotate at the commanded body rate (0 = hold still) */
    GK_MODE_DIRECTION = 1, /* point along aim_x/y/z (ICRF unit vector) */
    GK_MODE_PROGRADE = 2,  /* along velocity relative to the primary */
    GK_MODE_RETROGRADE = 3,
    GK_MODE_NORMAL = 4,    /* along r x v relative to the primary */
    GK_MODE_ANTINORMAL = 5,
    GK_MODE_RADIAL_OUT = 6,
    GK_MODE_RADIAL_IN = 7,
    GK_MODE_TARGET = 8,    /* toward the ICRF position aim_x/y/z (m) */
};

/* Persistent state bits in flags. */
enum {
    GK_SHIP_CRASHED = 1u << 0,
    GK_SHIP_FROZEN = 1u << 1,     /* state went non-finite; no longer integrated */
    GK_SHIP_OUT_OF_FUEL = 1u << 2,
};

/* One-tick event bits in events, cleared by every gk_ships_advance call. */
enum {
    GK_EVENT_CRASHED = 1u << 0,
    GK_EVENT_FROZEN = 1u << 1,
    GK_EVENT_OUT_OF_FUEL = 1u << 2,
};

/* Ships as structure of arrays, `count` entries each, all caller-owned. */
typedef struct gk_ships {
    int32_t count;
    double *pos_x, *pos_y, *pos_z; /* m */
    double *vel_x, *vel_y, *vel_z; /* m/s */
    double *att_w, *att_x, *att_y, *att_z;
    double *rate_x, *rate_y, *rate_z;             /* rad/s, body frame */
    double *cmd_rate_x, *cmd_rate_y, *cmd_rate_z; /* rad/s, body frame; GK_MODE_HOLD */
    double *aim_x, *aim_y, *aim_z;                /* see GK_MODE_DIRECTION and GK_MODE_TARGET */
    double *max_rate_rad_s, *max_accel_rad_s2;
    double *dry_mass_kg, *fuel_kg;
    double *max_thrust_n, *isp_s, *throttle;      /* throttle in [0, 1] */
    double *rcs_x, *rcs_y, *rcs_z;                /* body-frame command, each in [-1, 1] */
    double *rcs_thrust_n, *rcs_isp_s;             /* per axis */
    double *burn_s;                               /* out: main-engine burn time this tick */
    int32_t *mode;
    int32_t *primary;   /* out: body the ship moved about this tick (gk_ships_select_primary) */
    uint32_t *flags;
    uint32_t *events;   /* out */
} gk_ships;

/*
 * Body constants for the ship kernels, `stride` entries each (entries past
 * count: gm = 0, radius = 0, influence = 0).
 * influence_m: radius inside which the body is a ship's primary; the
 * deepest (smallest) such sphere containing the ship wins. Use +inf for the
 * central star.
 */
typedef struct gk_body_constants {
    int32_t count;
    int32_t stride;
    const double *gm;          /* m^3/s^2 */
    const double *radius_m;
    const double *influence_m;
} gk_body_constants;

/* Chooses each ship's primary from the trace's first boundary state. */
void gk_ships_select_primary(gk_ships *ships, int32_t begin, int32_t end, const gk_body_constants *bodies,
                             const gk_body_trace *trace);

/* Turns each ship toward its mode's aim over dt_s, limited by max rate and
 * max angular acceleration, and integrates the quaternion exactly for the
 * body rate of each attitude substep (then renormalizes it). Uses the
 * trace's first boundary state for the primary's position and velocity. */
void gk_ships_attitude(gk_ships *ships, int32_t begin, int32_t end, const gk_body_constants *bodies,
                       const gk_body_trace *trace, double dt_s);

/* Advances ships over the trace's substeps (translation, thrust, fuel,
 * collisions). Returns GK_OK, or GK_ERR_INVALID_ARGUMENT for a bad range. */
int gk_ships_advance(gk_ships *ships, int32_t begin, int32_t end, const gk_body_constants *bodies,
                     const gk_body_trace *trace);

#ifdef __cplusplus
}
#endif

#endif
