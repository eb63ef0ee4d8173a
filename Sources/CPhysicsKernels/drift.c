/*
 * Kepler propagation in universal variables (Kepler's equation written with
 * Stumpff functions, one form for every conic, radial orbits included) and
 * the time until an orbit descends to a given radius, which the ship kernel
 * uses to place a surface impact inside a step.
 */
#include <math.h>

#include "gk_kepler.h"
#include "gk_status.h"
#include "kepler_internal.h"

static const double TWO_PI = 6.283185307179586476925287;

/* Stumpff functions c2(z) = (1 - cos sqrt z)/z and c3(z) = (sqrt z - sin sqrt z)/sqrt(z)^3,
 * by their Taylor series near zero where the closed forms cancel. */
static void stumpff(double z, double *c2, double *c3) {
    if (fabs(z) < 1.0) {
        double term2 = 0.5, term3 = 1.0 / 6.0;
        double sum2 = term2, sum3 = term3;
        for (int k = 1; k <= 12; k++) {
            term2 *= -z / ((2.0 * k + 1.0) * (2.0 * k + 2.0));
            term3 *= -z / ((2.0 * k + 2.0) * (2.0 * k + 3.0));
            sum2 += term2;
            sum3 += term3;
        }
        *c2 = sum2;
        *c3 = sum3;
    } else if (z > 0.0) {
        double s = sqrt(z);
        *c2 = (1.0 - cos(s)) / z;
        *c3 = gk_x_minus_sin(s) / (z * s);
    } else {
        double s = sqrt(-z);
        *c2 = (cosh(s) - 1.0) / -z;
        *c3 = gk_sinh_minus_x(s) / (-z * s);
    }
}

typedef struct {
    double r0, sigma0, alpha, sqrt_mu;
} universal_orbit;

/* Time-of-flight residual sqrt(mu) t(chi) - target and its slope r(chi). */
static double universal_residual(const universal_orbit *o, double chi, double target, double *radius) {
    double z = o->alpha * chi * chi;
    double c2, c3;
    stumpff(z, &c2, &c3);
    double chi2 = chi * chi;
    double value = o->sigma0 * chi2 * c2 + (1.0 - o->alpha * o->r0) * chi2 * chi * c3 + o->r0 * chi - target;
    *radius = o->sigma0 * chi * (1.0 - z * c3) + (1.0 - o->alpha * o->r0) * chi2 * c2 + o->r0;
    return value;
}

/* Residual with overflow read as "far past the root": the residual increases with chi, so an
 * infinite or NaN value (cosh overflow on a hyperbola) can only come from overshooting. */
static double bounded_residual(const universal_orbit *o, double chi, double target, double *radius) {
    double value = universal_residual(o, chi, target, radius);
    if (!isfinite(value)) {
        *radius = INFINITY;
        return chi >= 0.0 ? INFINITY : -INFINITY;
    }
    return value;
}

/* Solves for chi given sqrt(mu)*dt, inside a bracket kept around the root. One revolution bounds
 * chi on an ellipse. On other conics an upper bound doubles from 1 until the residual changes sign,
 * which stays finite and takes a few dozen steps even for very long hyperbolic flights. */
static int solve_universal(const universal_orbit *o, double dt, double *chi_out) {
    double target = o->sqrt_mu * dt;
    double sign = dt >= 0.0 ? 1.0 : -1.0;
    double radius = 0.0;
    double lo = 0.0, hi;
    if (o->alpha > 0.0) {
        hi = sign * TWO_PI / sqrt(o->alpha);
    } else {
        hi = sign;
        for (int k = 0; k < 1100 && sign * bounded_residual(o, hi, target, &radius) < 0.0; k++) {
            lo = hi;
            hi *= 2.0;
        }
    }
    if (sign < 0.0) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    double chi = o->alpha > 0.0 ? o->sqrt_mu * dt * o->alpha : 0.5 * (lo + hi);
    if (!(chi > lo && chi < hi)) {
        chi = 0.5 * (lo + hi);
    }
    for (int iter = 0; iter < GK_KEPLER_MAX_ITER; iter++) {
        double value = bounded_residual(o, chi, target, &radius);
        if (value > 0.0) {
            hi = chi;
        } else if (value < 0.0) {
            lo = chi;
        } else {
            *chi_out = chi;
            return GK_OK;
        }
        double next = radius > 0.0 && isfinite(radius) ? chi - value / radius : 0.5 * (lo + hi);
        if (!(next > lo && next < hi)) {
            next = 0.5 * (lo + hi);
        }
        /* Newton may dither in the last bit without shrinking the bracket, so a step at round-off
         * size also ends the search. */
        double tolerance = 4.0 * 2.220446049250313e-16 * fmax(fabs(chi), 1e-300);
        if (fabs(next - chi) <= tolerance || hi - lo <= tolerance) {
            *chi_out = next;
            return GK_OK;
        }
        chi = next;
    }
    *chi_out = 0.5 * (lo + hi);
    return GK_ERR_NO_CONVERGENCE;
}

int gk_kepler_drift(double mu, double r[3], double v[3], double dt) {
    if (dt == 0.0) {
        return GK_OK;
    }
    double r0 = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    double v2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
    if (!(r0 > 0.0) || !isfinite(r0) || !isfinite(v2) || !isfinite(dt)) {
        return r0 == 0.0 ? GK_ERR_DEGENERATE_ORBIT : GK_ERR_NON_FINITE;
    }
    universal_orbit o;
    o.r0 = r0;
    o.sqrt_mu = sqrt(mu);
    o.sigma0 = (r[0] * v[0] + r[1] * v[1] + r[2] * v[2]) / o.sqrt_mu;
    o.alpha = 2.0 / r0 - v2 / mu;
    if (o.alpha > 0.0) {
        /* Whole revolutions change nothing; dropping them keeps chi small. */
        double period = TWO_PI / (o.sqrt_mu * o.alpha * sqrt(o.alpha));
        dt = fmod(dt, period);
    }
    double chi = 0.0;
    int status = solve_universal(&o, dt, &chi);
    double z = o.alpha * chi * chi;
    double c2, c3;
    stumpff(z, &c2, &c3);
    double chi2 = chi * chi;
    double f = 1.0 - chi2 / r0 * c2;
    double g = dt - chi2 * chi / o.sqrt_mu * c3;
    double rn[3];
    for (int k = 0; k < 3; k++) {
        rn[k] = f * r[k] + g * v[k];
    }
    double radius = sqrt(rn[0] * rn[0] + rn[1] * rn[1] + rn[2] * rn[2]);
    double fdot = o.sqrt_mu / (radius * r0) * chi * (z * c3 - 1.0);
    double gdot = 1.0 - chi2 / radius * c2;
    for (int k = 0; k < 3; k++) {
        v[k] = fdot * r[k] + gdot * v[k];
        r[k] = rn[k];
    }
    if (!isfinite(radius) || !isfinite(v[0]) || !isfinite(v[1]) || !isfinite(v[2])) {
        return GK_ERR_NON_FINITE;
    }
    return status;
}

int gk_time_to_radius(double mu, const double r[3], const double v[3], double radius_m, double *dt_s) {
    double r0 = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    if (r0 <= radius_m) {
        *dt_s = 0.0;
        return GK_OK;
    }
    double v2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
    double rv = r[0] * v[0] + r[1] * v[1] + r[2] * v[2];
    double hx = r[1] * v[2] - r[2] * v[1], hy = r[2] * v[0] - r[0] * v[2], hz = r[0] * v[1] - r[1] * v[0];
    double h2 = hx * hx + hy * hy + hz * hz;
    double ex = ((v2 - mu / r0) * r[0] - rv * v[0]) / mu;
    double ey = ((v2 - mu / r0) * r[1] - rv * v[1]) / mu;
    double ez = ((v2 - mu / r0) * r[2] - rv * v[2]) / mu;
    double e = sqrt(ex * ex + ey * ey + ez * ez);
    if (h2 / (mu * (1.0 + e)) >= radius_m || e == 0.0) {
        return GK_NEVER; /* periapsis stays above the radius */
    }
    double energy = 0.5 * v2 - mu / r0;
    if (energy < 0.0) {
        double a = -mu / (2.0 * energy);
        double n = sqrt(mu / (a * a * a));
        double E0 = atan2(rv / (e * sqrt(mu * a)), (1.0 - r0 / a) / e);
        if (E0 < 0.0) {
            E0 += TWO_PI;
        }
        /* The inbound crossing lies in (pi, 2pi); r0 > R puts E0 before it. */
        double E_hit = TWO_PI - acos(fmax(-1.0, fmin(1.0, (1.0 - radius_m / a) / e)));
        double m0 = (1.0 - e) * E0 + e * gk_x_minus_sin(E0);
        double m_hit = (1.0 - e) * E_hit + e * gk_x_minus_sin(E_hit);
        *dt_s = fmax(0.0, m_hit - m0) / n;
        return GK_OK;
    }
    if (rv >= 0.0) {
        return GK_NEVER; /* unbound and already past periapsis */
    }
    double a = -mu / (2.0 * fmax(energy, 1e-300));
    double n = sqrt(mu / (-a * -a * -a));
    double H0 = asinh(rv / (e * sqrt(mu * -a)));
    double H_hit = -acosh(fmax(1.0, (1.0 - radius_m / a) / e));
    double m0 = (e - 1.0) * H0 + e * gk_sinh_minus_x(H0);
    double m_hit = (e - 1.0) * H_hit + e * gk_sinh_minus_x(H_hit);
    *dt_s = fmax(0.0, m_hit - m0) / n;
    return GK_OK;
}
