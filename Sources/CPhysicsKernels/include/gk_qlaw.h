/*
 * Q-law low-thrust steering in modified equinoctial elements (MEE), with
 * effectivity batched over many ships as one matrix product (OpenBLAS).
 *
 * Units: metres, seconds, radians, mu in m^3/s^2, thrust acceleration in
 * m/s^2. Q is a squared time (s^2) and Q-dot a time rate of it (s).
 * Positions and velocities are relative to the central body in an inertial
 * frame whose xy plane is the elements' reference plane (as gk_kepler.h).
 * RTN: R along r, N along r x v, T = N x R (along-track).
 *
 * MEE, from the classical elements (a, e, i, raan, argp, nu):
 *   p = a (1 - e^2)            f = e cos(raan + argp)   g = e sin(raan + argp)
 *   h = tan(i/2) cos(raan)     k = tan(i/2) sin(raan)   L = raan + argp + nu
 * They are defined for e = 0 and i = 0 (L is then the true longitude from
 * +x) and for every conic with p > 0. Their one singularity is the
 * retrograde equatorial orbit (i = pi, where tan(i/2) is infinite): the
 * kernels reject an orbit or target with 1 + cos i < GK_MEE_RETROGRADE_EPS
 * (i within about 0.0008 deg of 180 deg) with GK_ERR_DEGENERATE_ORBIT.
 *
 * The Q-law acts on the slow elements x = (a, f, g, h, k), indexed by
 * GK_SLOW_A .. GK_SLOW_K, and needs a bound orbit (f^2 + g^2 < 1); it
 * returns GK_ERR_INVALID_ARGUMENT for e >= 1. The Lyapunov function,
 * its smoothing at e = 0 and the batched effectivity are derived in
 * qlaw_law.c and qlaw_batch.c.
 *
 * Every function is pure and thread-safe, and none allocates: the caller
 * owns all buffers. Calls on disjoint output buffers may run concurrently.
 */
#ifndef GK_QLAW_H
#define GK_QLAW_H

#include <stddef.h>
#include <stdint.h>

#include "gk_kepler.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Orbits and targets with 1 + cos i below this are rejected (MEE singular). */
#define GK_MEE_RETROGRADE_EPS 1e-10

/* Eccentricity softening of the periapsis penalty: the penalty uses
 * e_s = sqrt(e^2 + eps^2), so the periapsis it uses, a (1 - e_s), is lower
 * than the true one by at most eps * a, and its gradient is smooth at e = 0. */
#define GK_QLAW_ECC_SOFTENING 1e-3

/* Relative spread (qdot_max - qdot_min) / |qdot_min| below which Q-dot is
 * taken as constant around the orbit and the relative effectivity is 1. */
#define GK_QLAW_FLAT_SPREAD 1e-9

enum {
    GK_SLOW_A = 0, /* semi-major axis, m */
    GK_SLOW_F = 1,
    GK_SLOW_G = 2,
    GK_SLOW_H = 3,
    GK_SLOW_K = 4,
    GK_SLOW_COUNT = 5,
};

/* Polynomials per ship in the batched effectivity, and basis functions
 * (1, cos L, sin L, cos 2L, sin 2L) per polynomial. */
#define GK_QLAW_POLYNOMIALS 4
#define GK_QLAW_BASIS 5

typedef struct gk_mee {
    double p_m; /* semi-latus rectum */
    double f, g, h, k;
    double true_longitude_rad; /* L, in [0, 2pi) */
} gk_mee;

/*
 * Q = (1 + W_p P) sum_j W_j S_j ((x_j - x_Tj) / X_j)^2 over j = a, f, g, h, k,
 * with X_j the rate scale of element j at full thrust, S_a the semi-major
 * axis scaling [1 + (|a - a_T| / (m a_T))^n]^(1/r) (S = 1 for the others)
 * and P = exp(k_p (1 - r_p / r_p,min)) the periapsis penalty.
 * All fields must be finite.
 */
typedef struct gk_qlaw_params {
    double mu;                        /* > 0 */
    double target[GK_SLOW_COUNT];  /* a_T > 0, f_T, g_T (f_T^2 + g_T^2 < 1), h_T, k_T */
    double weights[GK_SLOW_COUNT]; /* W_j >= 0; a zero weight leaves that element free */
    double thrust_accel_m_s2;         /* F > 0: full-thrust acceleration */
    double periapsis_min_m;           /* r_p,min > 0: body radius plus margin */
    double periapsis_weight;          /* W_p >= 0 */
    double periapsis_sharpness;       /* k_p >= 0 */
    double scaling_m;                 /* m > 0 */
    double scaling_n;                 /* n >= 1 */
    double scaling_r;                 /* r > 0 */
} gk_qlaw_params;

/* Output of one steering evaluation at the ship's current true longitude. */
typedef struct gk_qlaw_steering {
    gk_mee mee;
    double slow[GK_SLOW_COUNT];     /* a, f, g, h, k */
    double q;                          /* Q, s^2 */
    double gradient[GK_SLOW_COUNT]; /* dQ/dx_j */
    double qdot;                       /* Q-dot with full thrust along direction (<= 0), s */
    double direction_rtn[3];           /* unit vector; zero when dQ/dt cannot be made negative */
    double direction_inertial[3];      /* the same in the input frame; filled by gk_qlaw_steer only */
} gk_qlaw_steering;

/*
 * Effectivity of thrusting now. qdot_min and qdot_max are the minimum
 * (most negative) and maximum over the osculating orbit of the best
 * Q-dot, -F |D(L)|:
 *   absolute = qdot_current / qdot_min
 *   relative = (qdot_current - qdot_max) / (qdot_min - qdot_max)
 * Both are 1 at the best point of the orbit. The relative value is 0 at
 * the worst point; the absolute one is the fraction of the best rate.
 */
typedef struct gk_qlaw_effectivity {
    double qdot_current; /* best Q-dot at the current L, s */
    double qdot_min;     /* over the orbit (the best place to thrust), s */
    double qdot_max;     /* over the orbit (the worst place), s */
    double absolute;
    double relative;
} gk_qlaw_effectivity;

/* --- Element conversions (qlaw_mee.c) --- */

/* MEE of the relative state r (m), v (m/s). GK_ERR_DEGENERATE_ORBIT for
 * r = 0, zero angular momentum, or a retrograde equatorial orbit. */
int gk_mee_from_state(double mu, const double r[3], const double v[3], gk_mee *out);

/* State from MEE. GK_ERR_INVALID_ARGUMENT when p <= 0 or when L lies
 * beyond a hyperbola's asymptotes (1 + f cos L + g sin L <= 0). */
int gk_state_from_mee(double mu, const gk_mee *mee, double r[3], double v[3]);

/* MEE of a, e, i, raan, argp and the true anomaly of `el` (other fields
 * ignored; parabolas, e == 1, take p from periapsis_m as
 * gk_state_from_elements does). */
int gk_mee_from_elements(const gk_elements *el, gk_mee *out);

/* Unit vector `rtn` (R, T, N components) expressed in the frame of r, v. */
int gk_rtn_to_inertial(const double r[3], const double v[3], const double rtn[3], double out[3]);

/* --- Q-law (qlaw_law.c) --- */

/* Q-law target (a_T, f_T, g_T, h_T, k_T) from classical target elements;
 * argp is irrelevant when e == 0 and raan when i == 0. */
int gk_qlaw_target_from_elements(double a_m, double e, double i_rad, double raan_rad, double argp_rad,
                                 double target[GK_SLOW_COUNT]);

/* Slow elements (a, f, g, h, k) of an orbit; GK_ERR_INVALID_ARGUMENT if e >= 1. */
int gk_qlaw_slow_elements(const gk_mee *mee, double slow[GK_SLOW_COUNT]);

/* GK_OK when every field of `params` is in the domain documented above. */
int gk_qlaw_params_check(const gk_qlaw_params *params);

/* Q at slow elements x and, if gradient is not NULL, its analytic
 * gradient dQ/dx (units of Q per unit of each element). */
int gk_qlaw_value(const gk_qlaw_params *params, const double x[GK_SLOW_COUNT], double *q,
                  double gradient[GK_SLOW_COUNT]);

/* Gauss variational matrix of the slow elements at true longitude L:
 * dx_j/dt = sum_c b[j][c] a_c for a perturbing acceleration a_c along
 * R, T, N (c = 0, 1, 2), in element units per (m/s^2) per second. */
int gk_qlaw_gauss_matrix(double mu, const double x[GK_SLOW_COUNT], double true_longitude_rad, double b[5][3]);

/* Best Q-dot, -F |B(L)^T gradient|, at any true longitude L, evaluated
 * directly from the Gauss matrix at that L (the reference the batched
 * samples are tested against). `gradient` is gk_qlaw_value's output. */
int gk_qlaw_qdot_at(const gk_qlaw_params *params, const double x[GK_SLOW_COUNT],
                    const double gradient[GK_SLOW_COUNT], double true_longitude_rad, double *qdot);

/* Steering at the orbit `mee` (direction_inertial is left zero). */
int gk_qlaw_steer_mee(const gk_qlaw_params *params, const gk_mee *mee, gk_qlaw_steering *out);

/* Steering at the relative state r, v, with the direction also in the
 * frame of r, v (for an attitude command). */
int gk_qlaw_steer(const gk_qlaw_params *params, const double r[3], const double v[3], gk_qlaw_steering *out);

/* gk_qlaw_steer for `count` ships: params[count], positions and velocities
 * [count][3] row-major, out[count], status[count] (each ship's return
 * code). Returns GK_ERR_INVALID_ARGUMENT for count < 0, else GK_OK. */
int gk_qlaw_steer_batch(int32_t count, const gk_qlaw_params *params, const double *positions,
                        const double *velocities, gk_qlaw_steering *out, int32_t *status);

/* Computes the effectivity from the current best Q-dot and the orbit's
 * range. When qdot_min >= 0 (no thrust direction lowers Q anywhere), both
 * values are 0. When the spread is within GK_QLAW_FLAT_SPREAD, the relative
 * value is 1.
 * Values are not clamped: with a sampled range, a current L between
 * samples can give slightly more than 1. */
void gk_qlaw_effectivity_from_range(double qdot_current, double qdot_min, double qdot_max,
                                    gk_qlaw_effectivity *out);

/* 1 if thrusting is allowed: absolute >= eta_abs and relative >= eta_rel
 * (0 disables a cut-off), else 0 (coast). */
int gk_qlaw_allows_thrust(const gk_qlaw_effectivity *eff, double eta_abs, double eta_rel);

/* Effectivity of one ship by direct evaluation at L_j = 2 pi j / samples,
 * j = 0 .. samples - 1, and at the ship's own L (no BLAS). */
int gk_qlaw_effectivity_direct(const gk_qlaw_params *params, const gk_mee *mee, int32_t samples,
                               gk_qlaw_effectivity *out);

/* --- Batched effectivity (qlaw_batch.c) --- */

/* Fills basis[5][samples] (row-major) with 1, cos L_j, sin L_j, cos 2L_j,
 * sin 2L_j at L_j = 2 pi j / samples. samples >= 1. */
int gk_qlaw_basis_fill(int32_t samples, double *basis);

/* Coefficients c[p][b] of the four trigonometric polynomials of one ship
 * (p: w D_R, w D_T, w D_N scaled by F, then w = 1 + f cos L + g sin L),
 * so that F w(L) D(L) and w(L) are sum_b c[p][b] basis_b(L). */
int gk_qlaw_coefficients(const gk_qlaw_params *params, const double x[GK_SLOW_COUNT],
                         const double gradient[GK_SLOW_COUNT], double c[GK_QLAW_POLYNOMIALS][GK_QLAW_BASIS]);

/* Doubles of workspace gk_qlaw_effectivity_batch needs (0 for bad counts). */
size_t gk_qlaw_batch_workspace_size(int32_t ships, int32_t samples);

/*
 * Minimum and maximum over L_j of the best Q-dot of each of `ships` ships,
 * from one cblas_dgemm per block of ships: coefficients [4 * block][5]
 * times basis [5][samples]. Blocks contain about 2^16 output doubles so the
 * product stays in cache.
 *   params[ships], mee[ships]: inputs (AoS);
 *   basis: gk_qlaw_basis_fill output for `samples`;
 *   workspace: workspace_size doubles, >= gk_qlaw_batch_workspace_size;
 *   qdot_min[ships], qdot_max[ships]: outputs, s;
 *   qdot_samples: NULL, or [ships][samples] for every sampled value;
 *   status[ships]: each ship's code; a failed ship's outputs are NaN.
 * Returns GK_ERR_INVALID_ARGUMENT for bad counts or a short workspace,
 * else GK_OK. The current effectivity of ship i is
 * gk_qlaw_effectivity_from_range(steering qdot, qdot_min[i], qdot_max[i]).
 * Results are bit-identical for any split of the ships into calls (a test
 * checks this). OpenBLAS may start its own threads inside the product; with
 * OpenBLAS 0.3.21 the results were the same for 1 and 2 of them (checked
 * by hand, not in the tests). NOTE: concurrent calls from several threads
 * rely on the OpenBLAS build being thread-safe; a test runs two at once.
 */
int gk_qlaw_effectivity_batch(int32_t ships, const gk_qlaw_params *params, const gk_mee *mee, int32_t samples,
                              const double *basis, double *workspace, size_t workspace_size, double *qdot_min,
                              double *qdot_max, double *qdot_samples, int32_t *status);

#ifdef __cplusplus
}
#endif

#endif
