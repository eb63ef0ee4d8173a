/*
 * Anomaly conversions for elliptic and hyperbolic orbits.
 *
 * Kepler's equation is solved as F(x) = 0 with F increasing in x, inside a
 * bracket that every step shrinks: a Newton step is taken when it lands
 * inside the bracket, otherwise the bracket is bisected. This terminates for
 * every e and M, which plain Newton does not near e = 1.
 */
#include <math.h>

#include "gk_kepler.h"
#include "gk_status.h"
#include "kepler_internal.h"

static const double TWO_PI = 6.283185307179586476925287;

/* x - sin x without cancellation for small |x| (series to x^13). */
double gk_x_minus_sin(double x) {
    if (fabs(x) > 0.5) {
        return x - sin(x);
    }
    double x2 = x * x;
    double term = x * x2 / 6.0;
    double sum = term;
    for (int k = 2; k <= 7; k++) {
        term *= -x2 / ((2.0 * k) * (2.0 * k + 1.0));
        sum += term;
    }
    return sum;
}

/* sinh x - x without cancellation for small |x|. */
double gk_sinh_minus_x(double x) {
    if (fabs(x) > 0.5) {
        return sinh(x) - x;
    }
    double x2 = x * x;
    double term = x * x2 / 6.0;
    double sum = term;
    for (int k = 2; k <= 7; k++) {
        term *= x2 / ((2.0 * k) * (2.0 * k + 1.0));
        sum += term;
    }
    return sum;
}

/* Wraps an angle into [0, 2pi); the result is never 2pi itself. */
static double wrap_two_pi(double angle) {
    double wrapped = fmod(angle, TWO_PI);
    if (wrapped < 0.0) {
        wrapped += TWO_PI;
    }
    return wrapped >= TWO_PI ? 0.0 : wrapped;
}

/* Elliptic residual (1-e)E + e(E - sin E) - M, written so that it keeps
 * full precision as e -> 1 and E -> 0. */
static double elliptic_residual(double e, double E, double M) {
    return (1.0 - e) * E + e * gk_x_minus_sin(E) - M;
}

/* Hyperbolic residual (e-1)H + e(sinh H - H) - M. */
static double hyperbolic_residual(double e, double H, double M) {
    return (e - 1.0) * H + e * gk_sinh_minus_x(H) - M;
}

typedef double (*residual_fn)(double e, double x, double M);
typedef double (*slope_fn)(double e, double x);

static double elliptic_slope(double e, double E) { return 1.0 - e * cos(E); }
static double hyperbolic_slope(double e, double H) { return e * cosh(H) - 1.0; }

static int solve_bracketed(residual_fn f, slope_fn df, double e, double M, double lo, double hi, double guess,
                           double *root) {
    double x = guess;
    if (!(x > lo && x < hi)) {
        x = 0.5 * (lo + hi);
    }
    for (int iter = 0; iter < GK_KEPLER_MAX_ITER; iter++) {
        double value = f(e, x, M);
        if (value == 0.0) {
            *root = x;
            return GK_OK;
        }
        if (value > 0.0) {
            hi = x;
        } else {
            lo = x;
        }
        double slope = df(e, x);
        double next = slope > 0.0 ? x - value / slope : 0.5 * (lo + hi);
        if (!(next > lo && next < hi)) {
            next = 0.5 * (lo + hi);
        }
        double tolerance = 4.0 * 2.220446049250313e-16 * fmax(1.0, fabs(x));
        if (fabs(next - x) <= tolerance || hi - lo <= tolerance) {
            *root = next;
            return GK_OK;
        }
        x = next;
    }
    *root = 0.5 * (lo + hi);
    return GK_ERR_NO_CONVERGENCE;
}

int gk_eccentric_from_mean(double e, double M, double *anomaly) {
    if (!isfinite(e) || !isfinite(M) || e < 0.0 || e == 1.0) {
        return isfinite(e) && isfinite(M) ? GK_ERR_INVALID_ARGUMENT : GK_ERR_NON_FINITE;
    }
    if (e < 1.0) {
        /* Reduce M to (-pi, pi]; then E has M's sign and |E - M| <= e. */
        double reduced = wrap_two_pi(M);
        double turns = M - reduced;
        if (reduced > M_PI) {
            reduced -= TWO_PI;
            turns += TWO_PI;
        }
        double lo = reduced >= 0.0 ? reduced : fmax(reduced - e, -M_PI);
        double hi = reduced >= 0.0 ? fmin(reduced + e, M_PI) : reduced;
        double guess = reduced + e * sin(reduced);
        double E = 0.0;
        int status = lo == hi ? (E = lo, GK_OK)
                              : solve_bracketed(elliptic_residual, elliptic_slope, e, reduced, lo, hi, guess, &E);
        *anomaly = E + turns;
        return status;
    }
    /* Hyperbola: e sinh H - H >= (e-1) sinh H, so |H| <= asinh(|M|/(e-1)). */
    double bound = asinh(fabs(M) / (e - 1.0));
    double lo = M >= 0.0 ? 0.0 : -bound;
    double hi = M >= 0.0 ? bound : 0.0;
    if (M == 0.0) {
        *anomaly = 0.0;
        return GK_OK;
    }
    double guess = asinh(M / e);
    return solve_bracketed(hyperbolic_residual, hyperbolic_slope, e, M, lo, hi, guess, anomaly);
}

int gk_true_from_mean(double e, double M, double *nu) {
    double anomaly = 0.0;
    int status = gk_eccentric_from_mean(e, M, &anomaly);
    if (status != GK_OK && status != GK_ERR_NO_CONVERGENCE) {
        return status;
    }
    if (e < 1.0) {
        double half = 0.5 * anomaly;
        *nu = wrap_two_pi(2.0 * atan2(sqrt(1.0 + e) * sin(half), sqrt(1.0 - e) * cos(half)));
    } else {
        *nu = 2.0 * atan(sqrt((e + 1.0) / (e - 1.0)) * tanh(0.5 * anomaly));
    }
    return status;
}

int gk_mean_from_true(double e, double nu, double *M) {
    if (!isfinite(e) || !isfinite(nu)) {
        return GK_ERR_NON_FINITE;
    }
    if (e < 0.0 || e == 1.0) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    if (e < 1.0) {
        double half = 0.5 * nu;
        double E = 2.0 * atan2(sqrt(1.0 - e) * sin(half), sqrt(1.0 + e) * cos(half));
        *M = wrap_two_pi((1.0 - e) * E + e * gk_x_minus_sin(E));
        return GK_OK;
    }
    double limit = acos(-1.0 / e);
    if (!(fabs(nu) < limit)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double H = 2.0 * atanh(sqrt((e - 1.0) / (e + 1.0)) * tan(0.5 * nu));
    *M = (e - 1.0) * H + e * gk_sinh_minus_x(H);
    return GK_OK;
}

int gk_time_to_true_anomaly(double mu, double a, double e, double nu_now, double nu_target, double *dt_s) {
    if (!(mu > 0.0) || !(a > 0.0) || !(e >= 0.0 && e < 1.0)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double m_now = 0.0, m_target = 0.0;
    int status = gk_mean_from_true(e, nu_now, &m_now);
    if (status == GK_OK) {
        status = gk_mean_from_true(e, nu_target, &m_target);
    }
    if (status != GK_OK) {
        return status;
    }
    /* Whole periods are removed by flooring (wrap_two_pi), never rounding,
     * so the result is in [0, period). */
    double mean_motion = sqrt(mu / (a * a * a));
    *dt_s = wrap_two_pi(m_target - m_now) / mean_motion;
    return GK_OK;
}
