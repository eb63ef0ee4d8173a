/*
 * State vectors <-> modified equinoctial elements (MEE) and the RTN frame.
 *
 * The equinoctial frame has unit vectors
 *   f_hat = (1 - k^2 + h^2, 2hk, -2k) / s^2
 *   g_hat = (2hk, 1 + k^2 - h^2, 2h) / s^2,   s^2 = 1 + h^2 + k^2,
 * in the orbit plane, with f_hat toward the ascending node rotated back by
 * raan (so f_hat = +x for an equatorial prograde orbit). Then
 *   r = (p / w) (cos L f_hat + sin L g_hat),   w = 1 + f cos L + g sin L,
 *   v = sqrt(mu / p) (-(sin L + g) f_hat + (cos L + f) g_hat),
 * and f, g are the eccentricity vector's components on f_hat, g_hat.
 */
#include <math.h>

#include "gk_qlaw.h"
#include "gk_status.h"

static const double PI = 3.141592653589793238462643;
static const double TWO_PI = 6.283185307179586476925287;

static double dot3(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static void cross3(const double a[3], const double b[3], double out[3]) {
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

static double wrap_angle(double angle) {
    double w = fmod(angle, TWO_PI);
    if (w < 0.0) {
        w += TWO_PI;
    }
    return w >= TWO_PI ? 0.0 : w;
}

static void equinoctial_frame(double h, double k, double f_hat[3], double g_hat[3]) {
    double s2 = 1.0 + h * h + k * k;
    f_hat[0] = (1.0 - k * k + h * h) / s2;
    f_hat[1] = 2.0 * h * k / s2;
    f_hat[2] = -2.0 * k / s2;
    g_hat[0] = 2.0 * h * k / s2;
    g_hat[1] = (1.0 + k * k - h * h) / s2;
    g_hat[2] = 2.0 * h / s2;
}

static int all_finite(const double *values, int count) {
    for (int i = 0; i < count; i++) {
        if (!isfinite(values[i])) {
            return 0;
        }
    }
    return 1;
}

int gk_mee_from_state(double mu, const double r[3], const double v[3], gk_mee *out) {
    if (!all_finite(r, 3) || !all_finite(v, 3)) {
        return GK_ERR_NON_FINITE;
    }
    if (!(mu > 0.0) || !isfinite(mu)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double radius = sqrt(dot3(r, r));
    double hv[3];
    cross3(r, v, hv);
    double hn = sqrt(dot3(hv, hv));
    if (radius == 0.0 || hn == 0.0) {
        return GK_ERR_DEGENERATE_ORBIT;
    }
    /* |h| (1 + cos i) = |h| + h_z, written without cancellation for
     * retrograde orbits: (h_x^2 + h_y^2) / (|h| - h_z). */
    double node2 = hv[0] * hv[0] + hv[1] * hv[1];
    double denom = hv[2] >= 0.0 ? hn + hv[2] : node2 / (hn - hv[2]);
    if (denom < GK_MEE_RETROGRADE_EPS * hn) {
        return GK_ERR_DEGENERATE_ORBIT;
    }
    gk_mee m;
    m.h = -hv[1] / denom;
    m.k = hv[0] / denom;
    m.p_m = hn * hn / mu;

    double f_hat[3], g_hat[3];
    equinoctial_frame(m.h, m.k, f_hat, g_hat);
    double v2 = dot3(v, v);
    double rv = dot3(r, v);
    double e_vec[3];
    for (int c = 0; c < 3; c++) {
        e_vec[c] = ((v2 - mu / radius) * r[c] - rv * v[c]) / mu;
    }
    m.f = dot3(e_vec, f_hat);
    m.g = dot3(e_vec, g_hat);
    m.true_longitude_rad = wrap_angle(atan2(dot3(r, g_hat), dot3(r, f_hat)));
    *out = m;
    return GK_OK;
}

int gk_state_from_mee(double mu, const gk_mee *mee, double r[3], double v[3]) {
    const double values[6] = {mee->p_m, mee->f, mee->g, mee->h, mee->k, mee->true_longitude_rad};
    if (!all_finite(values, 6)) {
        return GK_ERR_NON_FINITE;
    }
    if (!(mu > 0.0) || !(mee->p_m > 0.0)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double c = cos(mee->true_longitude_rad);
    double s = sin(mee->true_longitude_rad);
    double w = 1.0 + mee->f * c + mee->g * s;
    if (!(w > 0.0)) {
        return GK_ERR_INVALID_ARGUMENT; /* beyond the asymptotes of a hyperbola */
    }
    double f_hat[3], g_hat[3];
    equinoctial_frame(mee->h, mee->k, f_hat, g_hat);
    if (!all_finite(f_hat, 3) || !all_finite(g_hat, 3)) {
        return GK_ERR_NON_FINITE;
    }
    double radius = mee->p_m / w;
    double speed = sqrt(mu / mee->p_m);
    for (int i = 0; i < 3; i++) {
        r[i] = radius * (c * f_hat[i] + s * g_hat[i]);
        v[i] = speed * (-(s + mee->g) * f_hat[i] + (c + mee->f) * g_hat[i]);
    }
    return GK_OK;
}

int gk_mee_from_elements(const gk_elements *el, gk_mee *out) {
    double e = el->eccentricity;
    double inc = el->inclination_rad;
    double nu = el->true_anomaly_rad;
    if (!isfinite(e) || !isfinite(inc) || !isfinite(el->raan_rad) || !isfinite(el->arg_periapsis_rad) ||
        !isfinite(nu)) {
        return GK_ERR_NON_FINITE;
    }
    if (!(e >= 0.0) || !(inc >= 0.0) || inc > PI) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double p = e == 1.0 ? 2.0 * el->periapsis_m : el->semi_major_axis_m * (1.0 - e * e);
    if (!(p > 0.0) || !isfinite(p)) {
        return GK_ERR_INVALID_ARGUMENT; /* e.g. a > 0 with e > 1 */
    }
    if (e > 1.0 && !(fabs(nu) < acos(-1.0 / e))) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double one_plus_cos = 1.0 + cos(inc);
    if (one_plus_cos < GK_MEE_RETROGRADE_EPS) {
        return GK_ERR_DEGENERATE_ORBIT;
    }
    double tan_half = sin(inc) / one_plus_cos;
    double lon_periapsis = el->raan_rad + el->arg_periapsis_rad;
    out->p_m = p;
    out->f = e * cos(lon_periapsis);
    out->g = e * sin(lon_periapsis);
    out->h = tan_half * cos(el->raan_rad);
    out->k = tan_half * sin(el->raan_rad);
    out->true_longitude_rad = wrap_angle(lon_periapsis + nu);
    return GK_OK;
}

int gk_rtn_to_inertial(const double r[3], const double v[3], const double rtn[3], double out[3]) {
    double n[3];
    cross3(r, v, n);
    double rn = sqrt(dot3(r, r));
    double nn = sqrt(dot3(n, n));
    if (rn == 0.0 || nn == 0.0) {
        return GK_ERR_DEGENERATE_ORBIT;
    }
    double r_hat[3], n_hat[3], t_hat[3];
    for (int i = 0; i < 3; i++) {
        r_hat[i] = r[i] / rn;
        n_hat[i] = n[i] / nn;
    }
    cross3(n_hat, r_hat, t_hat);
    for (int i = 0; i < 3; i++) {
        out[i] = rtn[0] * r_hat[i] + rtn[1] * t_hat[i] + rtn[2] * n_hat[i];
    }
    return all_finite(out, 3) ? GK_OK : GK_ERR_NON_FINITE;
}
