/*
 * Q-law Lyapunov function, its analytic gradient, the Gauss variational
 * matrix of the slow elements, best thrust direction and effectivity.
 *
 * Sources: the form of Q and the MEE Gauss matrix B(x) follow Y. Shimane,
 * N. Gollins and K. Ho, "Orbital Facility Location Problem for Satellite
 * Constellation Servicing Depots", J. Spacecraft and Rockets 61(3), 2024,
 * Q-law section (as reproduced in the pyqlaw theory notes). The rate scales
 * X_j below are derived here from B(x), and two of them differ from that
 * source so that Q is smooth at e = 0.
 *
 * Gauss equations for x = (a, f, g, h, k) with perturbing acceleration
 * (a_R, a_T, a_N), c = cos L, s = sin L, w = 1 + f c + g s,
 * q = sqrt(p / mu), s2 = 1 + h^2 + k^2, z = h s - k c:
 *   da/dt = 2 a^2 / sqrt(mu p) [ (f s - g c) a_R + w a_T ]
 *   df/dt = q [ s a_R + ((w + 1) c + f) / w a_T - g z / w a_N ]
 *   dg/dt = q [ -c a_R + ((w + 1) s + g) / w a_T + f z / w a_N ]
 *   dh/dt = q s2 c / (2 w) a_N        dk/dt = q s2 s / (2 w) a_N
 * The a row is 2 a^2 / h [e sin(nu) a_R + (p / r) a_T] with
 * e sin(nu) = f sin L - g cos L and p / r = w, so no true anomaly (and no
 * atan(g / f), undefined at e = 0) appears anywhere.
 *
 * Rate scales X_j (full thrust F):
 * - X_a = 2 F a sqrt(a / mu) sqrt((1 + e^2) / (1 - e^2)). The best rate of
 *   a at true anomaly nu is F (2 a^2 / h) sqrt(1 + 2 e cos nu + e^2). Its
 *   maximum over nu, at nu = 0, has the factor (1 + e), and the gradient of
 *   e = sqrt(f^2 + g^2) is (f, g) / e, which has no limit at e = 0: the
 *   thrust direction would then jump as the eccentricity vector passes
 *   through zero (chattering). The root mean square over nu, factor
 *   sqrt(1 + e^2), depends on f^2 + g^2 only and is smooth.
 * - X_f = X_g = 2 F q: the maximum of |df/dt| over L and direction at
 *   e = 0 (|s a_R + 2 c a_T| <= 2 F), kept for e > 0.
 * - X_h = F q s2 / (2 (sqrt(1 - g^2) + f)): over L with cos L > 0 the
 *   maximum of cos L / w is 1 / (sqrt(1 - g^2) + f), reached at
 *   sin L = -g. The two-sided maximum 1 / (sqrt(1 - g^2) - |f|) has a kink
 *   at f = 0, so the smooth one-sided value is used. Likewise
 *   X_k = F q s2 / (2 (sqrt(1 - f^2) + g)), at cos L = -f.
 * Periapsis penalty: P = exp(k_p (1 - r_p / r_p,min)) with
 * r_p = a (1 - sqrt(e^2 + eps^2)), eps = GK_QLAW_ECC_SOFTENING, which is
 * smooth at e = 0 and never above the true periapsis.
 *
 * Gradient: with T_j = W_j S_j ((x_j - x_Tj) / X_j)^2 and sum = sum_j T_j,
 *   d sum / dx_i = 2 W_i S_i (x_i - x_Ti) / X_i^2 - 2 sum_j T_j dln X_j / dx_i
 *                  + [i = a] T_a dln S_a / da
 *   dQ / dx_i = W_p (dP / dx_i) sum + (1 + W_p P) d sum / dx_i.
 *
 * Best direction: dQ/dt = F D . u with D = B(x, L)^T grad Q, so the unit
 * thrust u = -D / |D| gives the most negative dQ/dt = -F |D|. Q and B are
 * smooth in (f, g, h, k) for e < 1 and i < pi, so u changes continuously
 * wherever D != 0.
 */
#include <math.h>

#include "gk_qlaw.h"
#include "gk_status.h"

static const double PI = 3.141592653589793238462643;
static const double TWO_PI = 6.283185307179586476925287;

static int all_finite(const double *values, int count) {
    for (int i = 0; i < count; i++) {
        if (!isfinite(values[i])) {
            return 0;
        }
    }
    return 1;
}

int gk_qlaw_params_check(const gk_qlaw_params *pr) {
    const double *t = pr->target;
    const double *w = pr->weights;
    double scalars[8] = {pr->mu, pr->thrust_accel_m_s2, pr->periapsis_min_m, pr->periapsis_weight,
                         pr->periapsis_sharpness, pr->scaling_m, pr->scaling_n, pr->scaling_r};
    if (!all_finite(scalars, 8) || !all_finite(t, GK_SLOW_COUNT) || !all_finite(w, GK_SLOW_COUNT)) {
        return GK_ERR_NON_FINITE;
    }
    for (int j = 0; j < GK_SLOW_COUNT; j++) {
        if (w[j] < 0.0) {
            return GK_ERR_INVALID_ARGUMENT;
        }
    }
    int ok = pr->mu > 0.0 && t[GK_SLOW_A] > 0.0 && t[GK_SLOW_F] * t[GK_SLOW_F] + t[GK_SLOW_G] * t[GK_SLOW_G] < 1.0 &&
             pr->thrust_accel_m_s2 > 0.0 && pr->periapsis_min_m > 0.0 && pr->periapsis_weight >= 0.0 &&
             pr->periapsis_sharpness >= 0.0 && pr->scaling_m > 0.0 && pr->scaling_n >= 1.0 && pr->scaling_r > 0.0;
    return ok ? GK_OK : GK_ERR_INVALID_ARGUMENT;
}

int gk_qlaw_target_from_elements(double a_m, double e, double i_rad, double raan_rad, double argp_rad,
                                 double target[GK_SLOW_COUNT]) {
    double values[5] = {a_m, e, i_rad, raan_rad, argp_rad};
    if (!all_finite(values, 5)) {
        return GK_ERR_NON_FINITE;
    }
    if (!(a_m > 0.0) || !(e >= 0.0 && e < 1.0) || !(i_rad >= 0.0 && i_rad <= PI)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double one_plus_cos = 1.0 + cos(i_rad);
    if (one_plus_cos < GK_MEE_RETROGRADE_EPS) {
        return GK_ERR_DEGENERATE_ORBIT;
    }
    double tan_half = sin(i_rad) / one_plus_cos;
    target[GK_SLOW_A] = a_m;
    target[GK_SLOW_F] = e * cos(raan_rad + argp_rad);
    target[GK_SLOW_G] = e * sin(raan_rad + argp_rad);
    target[GK_SLOW_H] = tan_half * cos(raan_rad);
    target[GK_SLOW_K] = tan_half * sin(raan_rad);
    return GK_OK;
}

int gk_qlaw_slow_elements(const gk_mee *mee, double slow[GK_SLOW_COUNT]) {
    double e2 = mee->f * mee->f + mee->g * mee->g;
    if (!(e2 < 1.0) || !(mee->p_m > 0.0)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    slow[GK_SLOW_A] = mee->p_m / (1.0 - e2);
    slow[GK_SLOW_F] = mee->f;
    slow[GK_SLOW_G] = mee->g;
    slow[GK_SLOW_H] = mee->h;
    slow[GK_SLOW_K] = mee->k;
    return all_finite(slow, GK_SLOW_COUNT) ? GK_OK : GK_ERR_NON_FINITE;
}

/* Rate scales X_j and their log-derivatives dlog[j][i] = dln X_j / dx_i. */
static void rate_scales(const gk_qlaw_params *pr, const double x[GK_SLOW_COUNT], double X[GK_SLOW_COUNT],
                        double dlog[GK_SLOW_COUNT][GK_SLOW_COUNT]) {
    double a = x[GK_SLOW_A], f = x[GK_SLOW_F], g = x[GK_SLOW_G], h = x[GK_SLOW_H], k = x[GK_SLOW_K];
    double F = pr->thrust_accel_m_s2;
    double e2 = f * f + g * g;
    double one_m = 1.0 - e2;
    double q = sqrt(a * one_m / pr->mu);
    double s2 = 1.0 + h * h + k * k;
    double root_g = sqrt(1.0 - g * g), root_f = sqrt(1.0 - f * f);
    double den_h = root_g + f, den_k = root_f + g;

    X[GK_SLOW_A] = 2.0 * F * a * sqrt(a / pr->mu) * sqrt((1.0 + e2) / one_m);
    X[GK_SLOW_F] = 2.0 * F * q;
    X[GK_SLOW_G] = 2.0 * F * q;
    X[GK_SLOW_H] = 0.5 * F * q * s2 / den_h;
    X[GK_SLOW_K] = 0.5 * F * q * s2 / den_k;

    /* ln X_a = 1.5 ln a + 0.5 ln(1 + e^2) - 0.5 ln(1 - e^2) + const;
     * the others carry 0.5 ln p = 0.5 ln a + 0.5 ln(1 - e^2). */
    double ecc_a = 2.0 / (one_m * (1.0 + e2));
    dlog[GK_SLOW_A][GK_SLOW_A] = 1.5 / a;
    dlog[GK_SLOW_A][GK_SLOW_F] = ecc_a * f;
    dlog[GK_SLOW_A][GK_SLOW_G] = ecc_a * g;
    dlog[GK_SLOW_A][GK_SLOW_H] = 0.0;
    dlog[GK_SLOW_A][GK_SLOW_K] = 0.0;
    for (int j = GK_SLOW_F; j <= GK_SLOW_K; j++) {
        int node_rate = j >= GK_SLOW_H;
        dlog[j][GK_SLOW_A] = 0.5 / a;
        dlog[j][GK_SLOW_F] = -f / one_m;
        dlog[j][GK_SLOW_G] = -g / one_m;
        dlog[j][GK_SLOW_H] = node_rate ? 2.0 * h / s2 : 0.0;
        dlog[j][GK_SLOW_K] = node_rate ? 2.0 * k / s2 : 0.0;
    }
    dlog[GK_SLOW_H][GK_SLOW_F] -= 1.0 / den_h;
    dlog[GK_SLOW_H][GK_SLOW_G] += g / (root_g * den_h);
    dlog[GK_SLOW_K][GK_SLOW_F] += f / (root_f * den_k);
    dlog[GK_SLOW_K][GK_SLOW_G] -= 1.0 / den_k;
}

/* S_a and dln S_a / da; the derivative is written without dividing by
 * a - a_T so it stays finite at the target. */
static void sma_scaling(const gk_qlaw_params *pr, double a, double *S, double *dlog_S) {
    double da = a - pr->target[GK_SLOW_A];
    double scale = pr->scaling_m * pr->target[GK_SLOW_A];
    double ratio = fabs(da) / scale;
    double u = pow(ratio, pr->scaling_n);
    *S = pow(1.0 + u, 1.0 / pr->scaling_r);
    double du = pr->scaling_n * pow(ratio, pr->scaling_n - 1.0) * copysign(1.0, da) / scale;
    *dlog_S = du / (pr->scaling_r * (1.0 + u));
}

int gk_qlaw_value(const gk_qlaw_params *pr, const double x[GK_SLOW_COUNT], double *q_out,
                  double gradient[GK_SLOW_COUNT]) {
    int status = gk_qlaw_params_check(pr);
    if (status != GK_OK) {
        return status;
    }
    if (!all_finite(x, GK_SLOW_COUNT)) {
        return GK_ERR_NON_FINITE;
    }
    double a = x[GK_SLOW_A], f = x[GK_SLOW_F], g = x[GK_SLOW_G];
    double e2 = f * f + g * g;
    if (!(a > 0.0) || !(e2 < 1.0)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double X[GK_SLOW_COUNT], dlog[GK_SLOW_COUNT][GK_SLOW_COUNT];
    rate_scales(pr, x, X, dlog);
    double S_a, dlog_S_a;
    sma_scaling(pr, a, &S_a, &dlog_S_a);

    double delta[GK_SLOW_COUNT], scaled_w[GK_SLOW_COUNT], terms[GK_SLOW_COUNT];
    double sum = 0.0;
    for (int j = 0; j < GK_SLOW_COUNT; j++) {
        delta[j] = x[j] - pr->target[j];
        scaled_w[j] = pr->weights[j] * (j == GK_SLOW_A ? S_a : 1.0);
        double ratio = delta[j] / X[j];
        terms[j] = scaled_w[j] * ratio * ratio;
        sum += terms[j];
    }

    double soft_e = sqrt(e2 + GK_QLAW_ECC_SOFTENING * GK_QLAW_ECC_SOFTENING);
    double r_min = pr->periapsis_min_m;
    double kp = pr->periapsis_sharpness;
    double penalty = exp(kp * (1.0 - a * (1.0 - soft_e) / r_min));
    double factor = 1.0 + pr->periapsis_weight * penalty;
    double q = factor * sum;
    if (!isfinite(q)) {
        return GK_ERR_NON_FINITE;
    }
    *q_out = q;
    if (gradient == NULL) {
        return GK_OK;
    }

    double d_penalty[GK_SLOW_COUNT] = {-penalty * kp * (1.0 - soft_e) / r_min,
                                          penalty * kp * a * f / (r_min * soft_e),
                                          penalty * kp * a * g / (r_min * soft_e), 0.0, 0.0};
    for (int i = 0; i < GK_SLOW_COUNT; i++) {
        double d_sum = 2.0 * scaled_w[i] * delta[i] / (X[i] * X[i]);
        for (int j = 0; j < GK_SLOW_COUNT; j++) {
            d_sum -= 2.0 * terms[j] * dlog[j][i];
        }
        if (i == GK_SLOW_A) {
            d_sum += terms[GK_SLOW_A] * dlog_S_a;
        }
        gradient[i] = pr->periapsis_weight * d_penalty[i] * sum + factor * d_sum;
    }
    return all_finite(gradient, GK_SLOW_COUNT) ? GK_OK : GK_ERR_NON_FINITE;
}

int gk_qlaw_gauss_matrix(double mu, const double x[GK_SLOW_COUNT], double true_longitude_rad, double b[5][3]) {
    double a = x[GK_SLOW_A], f = x[GK_SLOW_F], g = x[GK_SLOW_G], h = x[GK_SLOW_H], k = x[GK_SLOW_K];
    double e2 = f * f + g * g;
    if (!(mu > 0.0) || !(a > 0.0) || !(e2 < 1.0) || !isfinite(true_longitude_rad)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double p = a * (1.0 - e2);
    double c = cos(true_longitude_rad), s = sin(true_longitude_rad);
    double w = 1.0 + f * c + g * s;
    double q = sqrt(p / mu);
    double alpha = 2.0 * a * a / sqrt(mu * p);
    double s2 = 1.0 + h * h + k * k;
    double z = h * s - k * c;

    b[GK_SLOW_A][0] = alpha * (f * s - g * c);
    b[GK_SLOW_A][1] = alpha * w;
    b[GK_SLOW_A][2] = 0.0;
    b[GK_SLOW_F][0] = q * s;
    b[GK_SLOW_F][1] = q * ((w + 1.0) * c + f) / w;
    b[GK_SLOW_F][2] = -q * g * z / w;
    b[GK_SLOW_G][0] = -q * c;
    b[GK_SLOW_G][1] = q * ((w + 1.0) * s + g) / w;
    b[GK_SLOW_G][2] = q * f * z / w;
    b[GK_SLOW_H][0] = 0.0;
    b[GK_SLOW_H][1] = 0.0;
    b[GK_SLOW_H][2] = q * s2 * c / (2.0 * w);
    b[GK_SLOW_K][0] = 0.0;
    b[GK_SLOW_K][1] = 0.0;
    b[GK_SLOW_K][2] = q * s2 * s / (2.0 * w);
    return GK_OK;
}

/* D = B(x, L)^T gradient, the Q-dot per unit acceleration along R, T, N. */
static int descent_vector(double mu, const double x[GK_SLOW_COUNT], const double gradient[GK_SLOW_COUNT],
                          double true_longitude_rad, double d[3]) {
    double b[5][3];
    int status = gk_qlaw_gauss_matrix(mu, x, true_longitude_rad, b);
    if (status != GK_OK) {
        return status;
    }
    for (int c = 0; c < 3; c++) {
        double sum = 0.0;
        for (int j = 0; j < GK_SLOW_COUNT; j++) {
            sum += gradient[j] * b[j][c];
        }
        d[c] = sum;
    }
    return GK_OK;
}

int gk_qlaw_qdot_at(const gk_qlaw_params *pr, const double x[GK_SLOW_COUNT],
                    const double gradient[GK_SLOW_COUNT], double true_longitude_rad, double *qdot) {
    double d[3];
    int status = descent_vector(pr->mu, x, gradient, true_longitude_rad, d);
    if (status != GK_OK) {
        return status;
    }
    *qdot = -pr->thrust_accel_m_s2 * sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    return isfinite(*qdot) ? GK_OK : GK_ERR_NON_FINITE;
}

int gk_qlaw_steer_mee(const gk_qlaw_params *pr, const gk_mee *mee, gk_qlaw_steering *out) {
    gk_qlaw_steering st = {0};
    st.mee = *mee;
    int status = gk_qlaw_slow_elements(mee, st.slow);
    if (status == GK_OK) {
        status = gk_qlaw_value(pr, st.slow, &st.q, st.gradient);
    }
    double d[3];
    if (status == GK_OK) {
        status = descent_vector(pr->mu, st.slow, st.gradient, mee->true_longitude_rad, d);
    }
    if (status != GK_OK) {
        return status;
    }
    double norm = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    if (!isfinite(norm)) {
        return GK_ERR_NON_FINITE;
    }
    if (norm > 0.0) {
        for (int c = 0; c < 3; c++) {
            st.direction_rtn[c] = -d[c] / norm;
        }
        st.qdot = -pr->thrust_accel_m_s2 * norm;
    }
    *out = st;
    return GK_OK;
}

int gk_qlaw_steer(const gk_qlaw_params *pr, const double r[3], const double v[3], gk_qlaw_steering *out) {
    gk_mee mee;
    int status = gk_mee_from_state(pr->mu, r, v, &mee);
    if (status == GK_OK) {
        status = gk_qlaw_steer_mee(pr, &mee, out);
    }
    if (status == GK_OK) {
        status = gk_rtn_to_inertial(r, v, out->direction_rtn, out->direction_inertial);
    }
    return status;
}

int gk_qlaw_steer_batch(int32_t count, const gk_qlaw_params *params, const double *positions,
                        const double *velocities, gk_qlaw_steering *out, int32_t *status) {
    if (count < 0) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    for (int32_t i = 0; i < count; i++) {
        status[i] = gk_qlaw_steer(&params[i], positions + 3 * (size_t)i, velocities + 3 * (size_t)i, &out[i]);
    }
    return GK_OK;
}

void gk_qlaw_effectivity_from_range(double qdot_current, double qdot_min, double qdot_max,
                                    gk_qlaw_effectivity *out) {
    out->qdot_current = qdot_current;
    out->qdot_min = qdot_min;
    out->qdot_max = qdot_max;
    if (!(qdot_min < 0.0)) {
        out->absolute = 0.0;
        out->relative = 0.0;
        return;
    }
    out->absolute = qdot_current / qdot_min;
    double spread = qdot_max - qdot_min;
    out->relative = spread <= GK_QLAW_FLAT_SPREAD * -qdot_min ? 1.0 : (qdot_current - qdot_max) / -spread;
}

int gk_qlaw_allows_thrust(const gk_qlaw_effectivity *eff, double eta_abs, double eta_rel) {
    return eff->absolute >= eta_abs && eff->relative >= eta_rel;
}

int gk_qlaw_effectivity_direct(const gk_qlaw_params *pr, const gk_mee *mee, int32_t samples,
                               gk_qlaw_effectivity *out) {
    if (samples < 1) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    gk_qlaw_steering st;
    int status = gk_qlaw_steer_mee(pr, mee, &st);
    if (status != GK_OK) {
        return status;
    }
    double lo = INFINITY, hi = -INFINITY;
    for (int32_t j = 0; j < samples; j++) {
        double qdot;
        status = gk_qlaw_qdot_at(pr, st.slow, st.gradient, TWO_PI * j / samples, &qdot);
        if (status != GK_OK) {
            return status;
        }
        lo = fmin(lo, qdot);
        hi = fmax(hi, qdot);
    }
    gk_qlaw_effectivity_from_range(st.qdot, lo, hi, out);
    return GK_OK;
}
