/*
 * Attitude: mode -> aim direction -> rate-limited slew -> exact quaternion
 * update. Each substep rotates the attitude by the exact rotation of a
 * constant body rate, q <- q (x) (cos(|w|h/2), sin(|w|h/2) w/|w|), then
 * renormalizes, so |q| stays 1 to round-off over any number of ticks (a
 * first-order update without renormalization grows without bound).
 */
#include <math.h>
#include <stddef.h>

#include "gk_ships.h"

/* Attitude substep (s) and the cap on substeps per tick; at high time warp
 * the substeps grow, which only makes slews finish sooner. */
static const double ATTITUDE_STEP_S = 0.1;
static const int32_t ATTITUDE_MAX_SUBSTEPS = 64;

typedef struct {
    double w, x, y, z;
} quaternion;

static quaternion q_mul(quaternion a, quaternion b) {
    quaternion r = {
        a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
        a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
        a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
        a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
    };
    return r;
}

static quaternion q_normalized(quaternion q) {
    double n = sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
    quaternion r = {q.w / n, q.x / n, q.y / n, q.z / n};
    return r;
}

/* Rotates an ICRF vector into the body frame: q* v q. */
static void to_body(quaternion q, const double v[3], double out[3]) {
    quaternion conj = {q.w, -q.x, -q.y, -q.z};
    quaternion pv = {0.0, v[0], v[1], v[2]};
    quaternion r = q_mul(q_mul(conj, pv), q);
    out[0] = r.x, out[1] = r.y, out[2] = r.z;
}

/* ICRF aim of the ship's mode; returns 0 when the mode has no direction now
 * (hold mode, or a zero vector such as prograde at zero relative speed). */
static int aim_direction(const gk_ships *s, int32_t i, const gk_body_trace *t, double aim[3]) {
    int32_t n = t->stride, p = s->primary[i];
    const double *b = t->boundary;
    double r[3] = {s->pos_x[i] - b[p], s->pos_y[i] - b[n + p], s->pos_z[i] - b[2 * n + p]};
    double v[3] = {s->vel_x[i] - b[3 * n + p], s->vel_y[i] - b[4 * n + p], s->vel_z[i] - b[5 * n + p]};
    double h[3] = {r[1] * v[2] - r[2] * v[1], r[2] * v[0] - r[0] * v[2], r[0] * v[1] - r[1] * v[0]};
    double sign = 1.0;
    const double *source = NULL;
    double target[3];
    switch (s->mode[i]) {
    case GK_MODE_DIRECTION:
        target[0] = s->aim_x[i], target[1] = s->aim_y[i], target[2] = s->aim_z[i];
        source = target;
        break;
    case GK_MODE_TARGET:
        target[0] = s->aim_x[i] - s->pos_x[i], target[1] = s->aim_y[i] - s->pos_y[i];
        target[2] = s->aim_z[i] - s->pos_z[i];
        source = target;
        break;
    case GK_MODE_RETROGRADE:
        sign = -1.0; /* fall through */
    case GK_MODE_PROGRADE:
        source = v;
        break;
    case GK_MODE_ANTINORMAL:
        sign = -1.0; /* fall through */
    case GK_MODE_NORMAL:
        source = h;
        break;
    case GK_MODE_RADIAL_IN:
        sign = -1.0; /* fall through */
    case GK_MODE_RADIAL_OUT:
        source = r;
        break;
    default:
        return 0;
    }
    double norm = sqrt(source[0] * source[0] + source[1] * source[1] + source[2] * source[2]);
    if (!(norm > 0.0) || !isfinite(norm)) {
        return 0;
    }
    for (int k = 0; k < 3; k++) {
        aim[k] = sign * source[k] / norm;
    }
    return 1;
}

/* Body rate that turns +x onto the body-frame aim and stops there: along
 * x cross aim, with speed min(max rate, sqrt(2 accel angle), angle / h). */
static void slew_rate(const double aim_body[3], double max_rate, double max_accel, double h, double out[3]) {
    double axis[3] = {0.0, -aim_body[2], aim_body[1]};
    double sin_angle = sqrt(axis[1] * axis[1] + axis[2] * axis[2]);
    double angle = atan2(sin_angle, aim_body[0]);
    out[0] = out[1] = out[2] = 0.0;
    if (angle < 1e-12) {
        return;
    }
    if (sin_angle < 1e-12) {
        axis[1] = 0.0, axis[2] = 1.0, sin_angle = 1.0; /* aim exactly behind: any perpendicular axis */
    }
    double speed = fmin(max_rate, fmin(sqrt(2.0 * max_accel * angle), angle / h));
    out[1] = axis[1] / sin_angle * speed;
    out[2] = axis[2] / sin_angle * speed;
}

static void attitude_one(gk_ships *s, int32_t i, const gk_body_trace *t, double dt_s) {
    quaternion q = {s->att_w[i], s->att_x[i], s->att_y[i], s->att_z[i]};
    double rate[3] = {s->rate_x[i], s->rate_y[i], s->rate_z[i]};
    double aim[3];
    int has_aim = aim_direction(s, i, t, aim);
    if (!has_aim && rate[0] == 0.0 && rate[1] == 0.0 && rate[2] == 0.0 && s->cmd_rate_x[i] == 0.0 &&
        s->cmd_rate_y[i] == 0.0 && s->cmd_rate_z[i] == 0.0) {
        return; /* holding still: nothing turns */
    }
    int32_t steps = (int32_t)fmin(ATTITUDE_MAX_SUBSTEPS, ceil(dt_s / ATTITUDE_STEP_S));
    double h = dt_s / steps;
    double max_rate = s->max_rate_rad_s[i], max_dw = s->max_accel_rad_s2[i] * h;
    for (int32_t k = 0; k < steps; k++) {
        double wanted[3];
        if (has_aim) {
            double aim_body[3];
            to_body(q, aim, aim_body);
            slew_rate(aim_body, max_rate, s->max_accel_rad_s2[i], h, wanted);
        } else {
            wanted[0] = s->cmd_rate_x[i], wanted[1] = s->cmd_rate_y[i], wanted[2] = s->cmd_rate_z[i];
        }
        double dw[3] = {wanted[0] - rate[0], wanted[1] - rate[1], wanted[2] - rate[2]};
        double dw_norm = sqrt(dw[0] * dw[0] + dw[1] * dw[1] + dw[2] * dw[2]);
        double scale = dw_norm > max_dw ? max_dw / dw_norm : 1.0;
        double mean[3];
        for (int c = 0; c < 3; c++) {
            double next = rate[c] + dw[c] * scale;
            mean[c] = 0.5 * (rate[c] + next);
            rate[c] = next;
        }
        double speed = sqrt(mean[0] * mean[0] + mean[1] * mean[1] + mean[2] * mean[2]);
        if (speed > 0.0) {
            double half = 0.5 * speed * h;
            double k_sin = sin(half) / speed;
            quaternion turn = {cos(half), mean[0] * k_sin, mean[1] * k_sin, mean[2] * k_sin};
            q = q_normalized(q_mul(q, turn));
        }
    }
    s->att_w[i] = q.w, s->att_x[i] = q.x, s->att_y[i] = q.y, s->att_z[i] = q.z;
    s->rate_x[i] = rate[0], s->rate_y[i] = rate[1], s->rate_z[i] = rate[2];
}

void gk_ships_attitude(gk_ships *s, int32_t begin, int32_t end, const gk_body_constants *b, const gk_body_trace *t,
                       double dt_s) {
    (void)b;
    if (!(dt_s > 0.0)) {
        return;
    }
    for (int32_t i = begin; i < end; i++) {
        if (s->flags[i] & (GK_SHIP_CRASHED | GK_SHIP_FROZEN)) {
            s->rate_x[i] = s->rate_y[i] = s->rate_z[i] = 0.0;
            continue;
        }
        attitude_one(s, i, t, dt_s);
    }
}
