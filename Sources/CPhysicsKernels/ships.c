#include <math.h>
#include <stddef.h>

#include "gk_kepler.h"
#include "gk_ships.h"
#include "gk_status.h"
#include "gravity_internal.h"

/* Read-only views of one substep of the trace. */
typedef struct {
    const double *start; /* 6 * stride: boundary k */
    const double *end;   /* 6 * stride: boundary k + 1 */
    const double *mid;   /* 3 * stride: midpoint k */
    int32_t stride;
    double h;
} substep_view;

/* Propulsion fixed for the tick: force in ICRF (N) and propellant flow (kg/s). */
typedef struct {
    double force[3];
    double mass_flow;
    double main_flow;
} propulsion;

/* Ship state while it is being advanced. */
typedef struct {
    double pos[3], vel[3];
    double fuel;
    int crashed;
    double crash_offset[3]; /* position relative to the primary at impact (m) */
} ship_state;

static void rotate_by(const gk_ships *s, int32_t i, const double body[3], double out[3]) {
    double w = s->att_w[i], x = s->att_x[i], y = s->att_y[i], z = s->att_z[i];
    double norm = sqrt(w * w + x * x + y * y + z * z);
    w /= norm, x /= norm, y /= norm, z /= norm;
    /* Rotation matrix of the unit quaternion (w, x, y, z) applied to `body`. */
    out[0] = (1 - 2 * (y * y + z * z)) * body[0] + 2 * (x * y - w * z) * body[1] + 2 * (x * z + w * y) * body[2];
    out[1] = 2 * (x * y + w * z) * body[0] + (1 - 2 * (x * x + z * z)) * body[1] + 2 * (y * z - w * x) * body[2];
    out[2] = 2 * (x * z - w * y) * body[0] + 2 * (y * z + w * x) * body[1] + (1 - 2 * (x * x + y * y)) * body[2];
}

static propulsion make_propulsion(const gk_ships *s, int32_t i) {
    propulsion p = {{0.0, 0.0, 0.0}, 0.0, 0.0};
    double main_n = s->max_thrust_n[i] * s->throttle[i];
    double rcs_cmd[3] = {s->rcs_x[i], s->rcs_y[i], s->rcs_z[i]};
    double rcs_body[3] = {rcs_cmd[0] * s->rcs_thrust_n[i], rcs_cmd[1] * s->rcs_thrust_n[i],
                          rcs_cmd[2] * s->rcs_thrust_n[i]};
    double axis[3], rcs[3];
    const double forward[3] = {1.0, 0.0, 0.0};
    rotate_by(s, i, forward, axis);
    rotate_by(s, i, rcs_body, rcs);
    for (int k = 0; k < 3; k++) {
        p.force[k] = main_n * axis[k] + rcs[k];
    }
    p.main_flow = main_n > 0.0 ? main_n / (s->isp_s[i] * GK_STANDARD_GRAVITY_M_S2) : 0.0;
    double rcs_total = (fabs(rcs_cmd[0]) + fabs(rcs_cmd[1]) + fabs(rcs_cmd[2])) * s->rcs_thrust_n[i];
    double rcs_flow = rcs_total > 0.0 ? rcs_total / (s->rcs_isp_s[i] * GK_STANDARD_GRAVITY_M_S2) : 0.0;
    p.mass_flow = p.main_flow + rcs_flow;
    return p;
}

/* Applies up to h seconds of thrust as the exact rocket-equation velocity
 * change dv = F/mdot * ln(m0/m1); stops exactly at empty tanks. */
static void burn(gk_ships *s, int32_t i, const propulsion *p, ship_state *st, double h) {
    if (!(p->mass_flow > 0.0) || !(st->fuel > 0.0)) {
        return;
    }
    double dry = s->dry_mass_kg[i];
    double available = st->fuel / p->mass_flow;
    int empties = available <= h;
    double burn_s = empties ? available : h;
    double m0 = dry + st->fuel;
    double used = empties ? st->fuel : p->mass_flow * burn_s;
    double m1 = m0 - used;
    double log_ratio = log1p(used / m1);
    for (int k = 0; k < 3; k++) {
        st->vel[k] += p->force[k] / p->mass_flow * log_ratio;
    }
    st->fuel = empties ? 0.0 : st->fuel - used;
    if (p->main_flow > 0.0) {
        s->burn_s[i] += burn_s;
    }
    if (empties) {
        s->flags[i] |= GK_SHIP_OUT_OF_FUEL;
        s->events[i] |= GK_EVENT_OUT_OF_FUEL;
    }
}

static void place_on_surface(ship_state *st, const double rel[3], double radius) {
    double norm = sqrt(rel[0] * rel[0] + rel[1] * rel[1] + rel[2] * rel[2]);
    double scale = norm > 0.0 ? radius / norm : 0.0;
    for (int k = 0; k < 3; k++) {
        st->crash_offset[k] = norm > 0.0 ? rel[k] * scale : (k == 0 ? radius : 0.0);
    }
    st->crashed = 1;
}

/* Kepler drift of the relative state that stops at the primary's surface. */
static void drift_or_impact(double mu, double radius, double r[3], double v[3], double h, ship_state *st) {
    double hit = 0.0;
    if (radius > 0.0 && gk_time_to_radius(mu, r, v, radius, &hit) == GK_OK && hit <= h) {
        gk_kepler_drift(mu, r, v, hit);
        place_on_surface(st, r, radius);
        return;
    }
    gk_kepler_drift(mu, r, v, h);
}

static void wisdom_holman_step(gk_ships *s, int32_t i, const gk_body_constants *b, const substep_view *view,
                               const propulsion *prop, ship_state *st) {
    int32_t p = s->primary[i];
    int32_t n = view->stride;
    double mu = b->gm[p];
    double radius = b->radius_m[p];
    double r[3], v[3];
    for (int k = 0; k < 3; k++) {
        r[k] = st->pos[k] - view->start[k * n + p];
        v[k] = st->vel[k] - view->start[(k + 3) * n + p];
    }
    drift_or_impact(mu, radius, r, v, 0.5 * view->h, st);
    if (st->crashed) {
        return;
    }
    const double *mx = view->mid, *my = view->mid + n, *mz = view->mid + 2 * n;
    double point[3] = {mx[p] + r[0], my[p] + r[1], mz[p] + r[2]};
    double tidal[3];
    gk_gravity_tidal(b->count, n, mx, my, mz, b->gm, p, point, tidal);
    st->vel[0] = v[0] + tidal[0] * view->h;
    st->vel[1] = v[1] + tidal[1] * view->h;
    st->vel[2] = v[2] + tidal[2] * view->h;
    burn(s, i, prop, st, view->h);
    for (int k = 0; k < 3; k++) {
        v[k] = st->vel[k];
    }
    drift_or_impact(mu, radius, r, v, 0.5 * view->h, st);
    if (st->crashed) {
        return;
    }
    for (int k = 0; k < 3; k++) {
        st->pos[k] = view->end[k * n + p] + r[k];
        st->vel[k] = view->end[(k + 3) * n + p] + v[k];
    }
}

/* Moves along a straight segment; if it enters the primary's sphere, stops
 * at the first crossing (smallest root of |r0 + s d| = R with s in [0, 1]). */
static void segment_or_impact(const double *primary_start, const double *primary_end, int32_t n, int32_t p,
                              double radius, double h, ship_state *st) {
    double r0[3], d[3];
    for (int k = 0; k < 3; k++) {
        double next = st->pos[k] + st->vel[k] * h;
        r0[k] = st->pos[k] - primary_start[k * n + p];
        d[k] = (next - primary_end[k * n + p]) - r0[k];
        st->pos[k] = next;
    }
    double a = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    double b = r0[0] * d[0] + r0[1] * d[1] + r0[2] * d[2];
    double c = r0[0] * r0[0] + r0[1] * r0[1] + r0[2] * r0[2] - radius * radius;
    if (c <= 0.0) {
        place_on_surface(st, r0, radius);
        return;
    }
    double disc = b * b - a * c;
    if (a == 0.0 || disc < 0.0) {
        return;
    }
    double s = (-b - sqrt(disc)) / a;
    if (s >= 0.0 && s <= 1.0) {
        double hit[3] = {r0[0] + s * d[0], r0[1] + s * d[1], r0[2] + s * d[2]};
        place_on_surface(st, hit, radius);
    }
}

static void cartesian_step(gk_ships *s, int32_t i, const gk_body_constants *b, const substep_view *view,
                           const propulsion *prop, ship_state *st) {
    int32_t p = s->primary[i];
    int32_t n = view->stride;
    segment_or_impact(view->start, view->mid, n, p, b->radius_m[p], 0.5 * view->h, st);
    if (st->crashed) {
        return;
    }
    double accel[3];
    gk_gravity_point(b->count, n, view->mid, view->mid + n, view->mid + 2 * n, b->gm, -1, st->pos, accel);
    for (int k = 0; k < 3; k++) {
        st->vel[k] += accel[k] * view->h;
    }
    burn(s, i, prop, st, view->h);
    segment_or_impact(view->mid, view->end, n, p, b->radius_m[p], 0.5 * view->h, st);
}

/* Leapfrog's energy error relative to the orbit's energy grows like (h / T)^2 * (a / r), so the
 * step must be short against the local timescale T = min(r/v, sqrt(r^3/mu)) and shorter still deep
 * in an eccentric orbit, where r is far below a: the limit scales with r/a, which leaves the error
 * below GK_CARTESIAN_FRACTION^2 * r/a there. */
static int uses_cartesian(const gk_body_constants *b, int32_t p, const double *start, int32_t n,
                          const ship_state *st, double h) {
    double r2 = 0.0, v2 = 0.0;
    for (int k = 0; k < 3; k++) {
        double dr = st->pos[k] - start[k * n + p];
        double dv = st->vel[k] - start[(k + 3) * n + p];
        r2 += dr * dr;
        v2 += dv * dv;
    }
    double r = sqrt(r2);
    double mu = b->gm[p];
    double timescale = sqrt(r2 * r / mu);
    if (v2 > 0.0) {
        timescale = fmin(timescale, r / sqrt(v2));
    }
    double energy = 0.5 * v2 - mu / r;
    if (energy < 0.0) {
        double a = -mu / (2.0 * energy);
        timescale *= fmin(1.0, r / a);
    }
    return h < GK_CARTESIAN_FRACTION * timescale;
}

static int state_is_finite(const ship_state *st) {
    return isfinite(st->pos[0]) && isfinite(st->pos[1]) && isfinite(st->pos[2]) && isfinite(st->vel[0]) &&
           isfinite(st->vel[1]) && isfinite(st->vel[2]) && isfinite(st->fuel);
}

/* A crashed ship rides with its primary: fixed offset, the body's velocity. */
static void ride_with_primary(ship_state *st, const double *end, int32_t n, int32_t p) {
    for (int k = 0; k < 3; k++) {
        st->pos[k] = end[k * n + p] + st->crash_offset[k];
        st->vel[k] = end[(k + 3) * n + p];
    }
}

static void advance_one(gk_ships *s, int32_t i, const gk_body_constants *b, const gk_body_trace *t) {
    uint32_t flags = s->flags[i];
    if (flags & GK_SHIP_FROZEN) {
        return;
    }
    int32_t n = t->stride;
    int32_t p = s->primary[i];
    const double *first = t->boundary;
    const double *last = t->boundary + (size_t)t->steps * 6 * n;
    ship_state st = {{s->pos_x[i], s->pos_y[i], s->pos_z[i]}, {s->vel_x[i], s->vel_y[i], s->vel_z[i]},
                     s->fuel_kg[i], 0, {0.0, 0.0, 0.0}};
    if (flags & GK_SHIP_CRASHED) {
        for (int k = 0; k < 3; k++) {
            st.crash_offset[k] = st.pos[k] - first[k * n + p];
        }
        ride_with_primary(&st, last, n, p);
    } else {
        propulsion prop = make_propulsion(s, i);
        int cartesian = uses_cartesian(b, p, first, n, &st, t->step_s);
        for (int32_t k = 0; k < t->steps && !st.crashed; k++) {
            substep_view view = {t->boundary + (size_t)k * 6 * n, t->boundary + (size_t)(k + 1) * 6 * n,
                                 t->midpoint + (size_t)k * 3 * n, n, t->step_s};
            if (cartesian) {
                cartesian_step(s, i, b, &view, &prop, &st);
            } else {
                wisdom_holman_step(s, i, b, &view, &prop, &st);
            }
        }
        if (st.crashed) {
            ride_with_primary(&st, last, n, p);
            s->flags[i] |= GK_SHIP_CRASHED;
            s->events[i] |= GK_EVENT_CRASHED;
        }
    }
    if (!state_is_finite(&st)) {
        s->flags[i] |= GK_SHIP_FROZEN;
        s->events[i] |= GK_EVENT_FROZEN;
        return; /* arrays still hold the state from before the tick */
    }
    if (st.crashed || (s->flags[i] & GK_SHIP_OUT_OF_FUEL)) {
        s->throttle[i] = 0.0;
        s->rcs_x[i] = s->rcs_y[i] = s->rcs_z[i] = 0.0;
    }
    s->pos_x[i] = st.pos[0], s->pos_y[i] = st.pos[1], s->pos_z[i] = st.pos[2];
    s->vel_x[i] = st.vel[0], s->vel_y[i] = st.vel[1], s->vel_z[i] = st.vel[2];
    s->fuel_kg[i] = st.fuel;
}

int gk_ships_advance(gk_ships *s, int32_t begin, int32_t end, const gk_body_constants *b, const gk_body_trace *t) {
    if (begin < 0 || end > s->count || begin > end || t->steps <= 0 || b->stride != t->stride) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    for (int32_t i = begin; i < end; i++) {
        s->events[i] = 0;
        s->burn_s[i] = 0.0;
        advance_one(s, i, b, t);
    }
    return GK_OK;
}

static int32_t strongest_pull(const gk_ships *s, int32_t i, const gk_body_constants *b, const double *bx,
                              const double *by, const double *bz);

void gk_ships_select_primary(gk_ships *s, int32_t begin, int32_t end, const gk_body_constants *b,
                             const gk_body_trace *t) {
    int32_t n = t->stride;
    const double *bx = t->boundary, *by = t->boundary + n, *bz = t->boundary + 2 * n;
    for (int32_t i = begin; i < end; i++) {
        if (s->flags[i] & GK_SHIP_CRASHED) {
            continue; /* stays attached to the body it hit */
        }
        int32_t best = -1;
        double best_influence = INFINITY;
        for (int32_t j = 0; j < b->count; j++) {
            double dx = s->pos_x[i] - bx[j], dy = s->pos_y[i] - by[j], dz = s->pos_z[i] - bz[j];
            double influence = b->influence_m[j];
            if (dx * dx + dy * dy + dz * dz < influence * influence && (best < 0 || influence < best_influence)) {
                best = j;
                best_influence = influence;
            }
        }
        s->primary[i] = best >= 0 ? best : strongest_pull(s, i, b, bx, by, bz);
    }
}

/* Fallback when no sphere of influence contains the ship (no body has an
 * unbounded one): the body pulling hardest. */
static int32_t strongest_pull(const gk_ships *s, int32_t i, const gk_body_constants *b, const double *bx,
                              const double *by, const double *bz) {
    int32_t strongest = 0;
    double strongest_pull = -1.0;
    for (int32_t j = 0; j < b->count; j++) {
        double dx = s->pos_x[i] - bx[j], dy = s->pos_y[i] - by[j], dz = s->pos_z[i] - bz[j];
        double pull = b->gm[j] / (dx * dx + dy * dy + dz * dz);
        if (pull > strongest_pull) {
            strongest_pull = pull;
            strongest = j;
        }
    }
    return strongest;
}
