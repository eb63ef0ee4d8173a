/*
 * State vectors <-> classical elements, with the fixed conventions for
 * circular and equatorial orbits documented in gk_kepler.h, so that no
 * field is ever NaN for a finite, non-degenerate state.
 */
#include <math.h>

#include "gk_kepler.h"
#include "gk_status.h"

static const double TWO_PI = 6.283185307179586476925287;

static double dot3(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static void cross3(const double a[3], const double b[3], double out[3]) {
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

static double norm3(const double a[3]) { return sqrt(dot3(a, a)); }

static double wrap(double angle) {
    double w = fmod(angle, TWO_PI);
    if (w < 0.0) {
        w += TWO_PI;
    }
    return w >= TWO_PI ? 0.0 : w;
}

/* Angle from unit-free vector `from` to `to`, signed positive about `axis`. */
static double angle_about(const double from[3], const double to[3], const double axis[3]) {
    double c[3];
    cross3(from, to, c);
    return atan2(dot3(c, axis) / norm3(axis), dot3(from, to));
}

static void fill_anomalies(gk_elements *el, double mu) {
    double e = el->eccentricity;
    double nu = el->true_anomaly_rad;
    double a = el->semi_major_axis_m;
    if (e < 1.0) {
        double half = 0.5 * nu;
        double E = 2.0 * atan2(sqrt(1.0 - e) * sin(half), sqrt(1.0 + e) * cos(half));
        el->eccentric_anomaly_rad = wrap(E);
        gk_mean_from_true(e, nu, &el->mean_anomaly_rad);
        el->period_s = TWO_PI * sqrt(a * a * a / mu);
        el->apoapsis_m = a * (1.0 + e);
    } else if (e > 1.0) {
        el->eccentric_anomaly_rad = 2.0 * atanh(sqrt((e - 1.0) / (e + 1.0)) * tan(0.5 * nu));
        gk_mean_from_true(e, nu, &el->mean_anomaly_rad);
        el->period_s = INFINITY;
        el->apoapsis_m = INFINITY;
    } else {
        /* Parabola: Barker's equation gives the mean anomaly. */
        double d = tan(0.5 * nu);
        el->eccentric_anomaly_rad = 0.0;
        el->mean_anomaly_rad = d + d * d * d / 3.0;
        el->period_s = INFINITY;
        el->apoapsis_m = INFINITY;
    }
}

int gk_elements_from_state(double mu, const double r[3], const double v[3], gk_elements *out) {
    for (int k = 0; k < 3; k++) {
        if (!isfinite(r[k]) || !isfinite(v[k])) {
            return GK_ERR_NON_FINITE;
        }
    }
    if (!(mu > 0.0)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double radius = norm3(r);
    if (radius == 0.0) {
        return GK_ERR_DEGENERATE_ORBIT;
    }
    double h[3];
    cross3(r, v, h);
    double h_norm = norm3(h);
    if (h_norm == 0.0) {
        return GK_ERR_DEGENERATE_ORBIT; /* radial orbit: no plane, no elements */
    }
    double v2 = dot3(v, v);
    double rv = dot3(r, v);
    double e_vec[3];
    for (int k = 0; k < 3; k++) {
        e_vec[k] = ((v2 - mu / radius) * r[k] - rv * v[k]) / mu;
    }
    double e = norm3(e_vec);
    double energy = 0.5 * v2 - mu / radius;

    gk_elements el = {0};
    el.eccentricity = e < GK_CIRCULAR_EPS ? 0.0 : e;
    el.specific_energy_j_kg = energy;
    el.semi_major_axis_m = energy == 0.0 ? INFINITY : -mu / (2.0 * energy);
    el.inclination_rad = acos(fmax(-1.0, fmin(1.0, h[2] / h_norm)));
    el.periapsis_m = h_norm * h_norm / (mu * (1.0 + e));

    const double x_axis[3] = {1.0, 0.0, 0.0};
    double node[3] = {-h[1], h[0], 0.0};
    double node_norm = norm3(node);
    int equatorial = node_norm / h_norm < GK_EQUATORIAL_EPS;
    int circular = e < GK_CIRCULAR_EPS;
    /* Angles in the orbit plane are measured about h, so retrograde orbits
     * count anomalies in their own direction of motion. */
    const double *reference = equatorial ? x_axis : node;
    el.raan_rad = equatorial ? 0.0 : wrap(atan2(node[1], node[0]));
    if (circular) {
        el.arg_periapsis_rad = 0.0;
        el.true_anomaly_rad = wrap(angle_about(reference, r, h));
    } else {
        el.arg_periapsis_rad = wrap(angle_about(reference, e_vec, h));
        double nu = angle_about(e_vec, r, h);
        el.true_anomaly_rad = e < 1.0 ? wrap(nu) : nu;
    }
    fill_anomalies(&el, mu);
    *out = el;
    return GK_OK;
}

int gk_state_from_elements(double mu, const gk_elements *el, double r[3], double v[3]) {
    double e = el->eccentricity;
    double a = el->semi_major_axis_m;
    double nu = el->true_anomaly_rad;
    if (!(mu > 0.0) || !(e >= 0.0) || !isfinite(nu)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double p;
    if (e == 1.0) {
        p = 2.0 * el->periapsis_m;
    } else {
        p = a * (1.0 - e) * (1.0 + e); /* keeps its digits as e -> 1 */
    }
    if (!(p > 0.0) || !isfinite(p)) {
        return GK_ERR_INVALID_ARGUMENT; /* e.g. a > 0 with e > 1 */
    }
    if (e > 1.0 && !(fabs(nu) < acos(-1.0 / e))) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double radius = p / (1.0 + e * cos(nu));
    double scale = sqrt(mu / p);
    double r_pf[2] = {radius * cos(nu), radius * sin(nu)};
    double v_pf[2] = {-scale * sin(nu), scale * (e + cos(nu))};

    double cO = cos(el->raan_rad), sO = sin(el->raan_rad);
    double ci = cos(el->inclination_rad), si = sin(el->inclination_rad);
    double cw = cos(el->arg_periapsis_rad), sw = sin(el->arg_periapsis_rad);
    /* Columns of Rz(raan) Rx(i) Rz(argp) that multiply the perifocal x and y. */
    double px[3] = {cO * cw - sO * sw * ci, sO * cw + cO * sw * ci, sw * si};
    double py[3] = {-cO * sw - sO * cw * ci, -sO * sw + cO * cw * ci, cw * si};
    for (int k = 0; k < 3; k++) {
        r[k] = px[k] * r_pf[0] + py[k] * r_pf[1];
        v[k] = px[k] * v_pf[0] + py[k] * v_pf[1];
    }
    return GK_OK;
}
