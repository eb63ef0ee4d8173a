/*
 * Two-body orbital mechanics: anomaly conversions, Kepler propagation,
 * state vectors <-> classical elements.
 *
 * Units: metres, seconds, radians, gravitational parameter mu in m^3/s^2.
 * Positions and velocities are relative to the central body in any inertial
 * frame; the elements' reference plane is that frame's xy plane.
 * All functions are pure and thread-safe; none allocates.
 *
 * Every iterative solve is a Newton iteration kept inside a bracket that
 * shrinks on each step, so it always terminates within GK_KEPLER_MAX_ITER
 * iterations; if the cap is hit the bracket midpoint is returned together
 * with GK_ERR_NO_CONVERGENCE.
 */
#ifndef GK_KEPLER_H
#define GK_KEPLER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GK_KEPLER_MAX_ITER 100

/* Below these, an orbit is treated as circular (e) or equatorial (sin i). */
#define GK_CIRCULAR_EPS 1e-11
#define GK_EQUATORIAL_EPS 1e-11

/*
 * Classical elements with fixed conventions for the singular cases:
 * - circular (e < GK_CIRCULAR_EPS): argp = 0, true and mean anomaly are
 *   measured from the ascending node (argument of latitude u);
 * - equatorial (sin i < GK_EQUATORIAL_EPS): raan = 0, argp is the longitude
 *   of periapsis measured from +x;
 * - circular and equatorial: raan = argp = 0, anomalies are true longitude.
 * Elliptic anomalies lie in [0, 2pi). Hyperbolic anomalies are signed,
 * negative before periapsis, with |true_anomaly| < acos(-1/e).
 */
typedef struct gk_elements {
    double semi_major_axis_m;   /* negative for hyperbolic orbits, inf for parabolic */
    double eccentricity;
    double inclination_rad;     /* [0, pi] */
    double raan_rad;            /* right ascension of ascending node, [0, 2pi) */
    double arg_periapsis_rad;   /* [0, 2pi) */
    double true_anomaly_rad;
    double mean_anomaly_rad;
    double eccentric_anomaly_rad; /* E for ellipses, H for hyperbolas, 0 for parabolas */
    double periapsis_m;
    double apoapsis_m;          /* inf for unbound orbits */
    double period_s;            /* inf for unbound orbits */
    double specific_energy_j_kg;
} gk_elements;

/* Mean anomaly from true anomaly. Elliptic (e < 1): result in [0, 2pi).
 * Hyperbolic (e > 1): signed; nu must satisfy |nu| < acos(-1/e). */
int gk_mean_from_true(double e, double true_anomaly_rad, double *mean_anomaly_rad);

/* True anomaly from mean anomaly (elliptic: any M, result in [0, 2pi);
 * hyperbolic: signed). Near e = 1 the Kepler residual is evaluated with
 * series for E - sin E and sinh H - H, so no cancellation occurs. */
int gk_true_from_mean(double e, double mean_anomaly_rad, double *true_anomaly_rad);

/* Eccentric (E) or hyperbolic (H) anomaly from mean anomaly. */
int gk_eccentric_from_mean(double e, double mean_anomaly_rad, double *anomaly_rad);

/* Time in [0, period) until an elliptic orbit reaches target_true_anomaly_rad
 * from current_true_anomaly_rad, always forward in time. */
int gk_time_to_true_anomaly(double mu, double semi_major_axis_m, double e, double current_true_anomaly_rad,
                            double target_true_anomaly_rad, double *dt_s);

/* Elements of the relative state r (m), v (m/s). */
int gk_elements_from_state(double mu, const double r[3], const double v[3], gk_elements *out);

/* State from a, e, i, raan, argp and true anomaly of `el` (other fields are
 * ignored). For e >= 1 semi_major_axis_m must be negative (hyperbola);
 * parabolas are given by periapsis_m with e == 1. */
int gk_state_from_elements(double mu, const gk_elements *el, double r[3], double v[3]);

/* Propagates r, v in place by dt_s (may be negative) on the two-body orbit
 * with universal variables; valid for every conic, including radial orbits
 * until they reach r = 0. */
int gk_kepler_drift(double mu, double r[3], double v[3], double dt_s);

/* Returned by gk_time_to_radius when the orbit never reaches the radius. */
#define GK_NEVER 1

/* Time (s, >= 0) until the orbit of r, v first descends to radius_m, moving
 * forward in time; 0 if |r| <= radius_m already. Returns GK_NEVER when the
 * periapsis stays above radius_m or an unbound orbit is already outbound.
 * Radial orbits (zero angular momentum) are handled. */
int gk_time_to_radius(double mu, const double r[3], const double v[3], double radius_m, double *dt_s);

#ifdef __cplusplus
}
#endif

#endif
