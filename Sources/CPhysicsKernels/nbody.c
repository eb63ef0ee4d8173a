#include <math.h>
#include <string.h>

#include "gk_nbody.h"
#include "gk_status.h"
#include "gravity_internal.h"

static const double C2 = GK_SPEED_OF_LIGHT_M_S * GK_SPEED_OF_LIGHT_M_S;

/* First-order post-Newtonian field of body s on every other body, with the
 * reaction on s weighted by the mass ratio so total momentum is kept. The
 * field depends on velocity, and at the middle of a drift-kick-drift step
 * the velocities are half a kick old: `half_kick_s` advances them with
 * the Newtonian accelerations (already in ax/ay/az) to the kick's time,
 * which keeps the term second-order accurate at long substeps. */
static void add_relativity(gk_bodies *b, double half_kick_s) {
    int32_t s = b->relativity_source;
    double mu = b->gm[s];
    if (!(mu > 0.0)) {
        return;
    }
    double mu_over_c2 = mu / C2;
    double react_x = 0.0, react_y = 0.0, react_z = 0.0;
    for (int32_t i = 0; i < b->count; i++) {
        if (i == s) {
            continue;
        }
        double rx = b->x[i] - b->x[s], ry = b->y[i] - b->y[s], rz = b->z[i] - b->z[s];
        double ux = b->vx[i] - b->vx[s] + (b->ax[i] - b->ax[s]) * half_kick_s;
        double uy = b->vy[i] - b->vy[s] + (b->ay[i] - b->ay[s]) * half_kick_s;
        double uz = b->vz[i] - b->vz[s] + (b->az[i] - b->az[s]) * half_kick_s;
        double r = sqrt(rx * rx + ry * ry + rz * rz);
        double inv_r = 1.0 / r;
        double u2 = ux * ux + uy * uy + uz * uz;
        double ru = rx * ux + ry * uy + rz * uz;
        double k = mu_over_c2 * inv_r * inv_r * inv_r;
        double radial = k * (4.0 * mu * inv_r - u2);
        double along = k * 4.0 * ru;
        double gx = radial * rx + along * ux, gy = radial * ry + along * uy, gz = radial * rz + along * uz;
        b->ax[i] += gx;
        b->ay[i] += gy;
        b->az[i] += gz;
        double ratio = b->gm[i] / mu;
        react_x -= ratio * gx;
        react_y -= ratio * gy;
        react_z -= ratio * gz;
    }
    b->ax[s] += react_x;
    b->ay[s] += react_y;
    b->az[s] += react_z;
}

static void accelerations(gk_bodies *b, double half_kick_s) {
    for (int32_t i = 0; i < b->count; i++) {
        double p[3] = {b->x[i], b->y[i], b->z[i]};
        double a[3];
        gk_gravity_point(b->count, b->stride, b->x, b->y, b->z, b->gm, i, p, a);
        b->ax[i] = a[0];
        b->ay[i] = a[1];
        b->az[i] = a[2];
    }
    if (b->relativity_source >= 0 && b->relativity_source < b->count) {
        add_relativity(b, half_kick_s);
    }
}

void gk_nbody_accelerations(gk_bodies *b) { accelerations(b, 0.0); }

static void drift(gk_bodies *b, double h) {
    for (int32_t i = 0; i < b->count; i++) {
        b->x[i] += b->vx[i] * h;
        b->y[i] += b->vy[i] * h;
        b->z[i] += b->vz[i] * h;
    }
}

static void kick(gk_bodies *b, double h) {
    accelerations(b, 0.5 * h);
    for (int32_t i = 0; i < b->count; i++) {
        b->vx[i] += b->ax[i] * h;
        b->vy[i] += b->ay[i] * h;
        b->vz[i] += b->az[i] * h;
    }
}

static void leapfrog(gk_bodies *b, double h) {
    drift(b, 0.5 * h);
    kick(b, h);
    drift(b, 0.5 * h);
}

/* Suzuki's fourth-order composition: stages p, p, 1 - 4p, p, p of the
 * second-order step with p = 1 / (4 - 4^(1/3)), so every stage weight is
 * below 1 in size. The 300 s substep limit in IntegrationPolicy comes from
 * measuring Phobos against a 1 s-step run (Benchmarks/BENCHMARKS.md). */
static void order4(gk_bodies *b, double h) {
    const double p = 1.0 / (4.0 - cbrt(4.0));
    const double weights[5] = {p, p, 1.0 - 4.0 * p, p, p};
    for (int k = 0; k < 5; k++) {
        leapfrog(b, weights[k] * h);
    }
}

static void record_boundary(const gk_bodies *b, gk_body_trace *t, int32_t k) {
    size_t n = (size_t)t->stride;
    double *block = t->boundary + (size_t)k * 6 * n;
    memcpy(block, b->x, n * sizeof(double));
    memcpy(block + n, b->y, n * sizeof(double));
    memcpy(block + 2 * n, b->z, n * sizeof(double));
    memcpy(block + 3 * n, b->vx, n * sizeof(double));
    memcpy(block + 4 * n, b->vy, n * sizeof(double));
    memcpy(block + 5 * n, b->vz, n * sizeof(double));
}

/* Midpoint of step k by cubic Hermite interpolation of the two boundary
 * states: x(h/2) = (x0 + x1)/2 + h (v0 - v1)/8. */
static void record_midpoint(gk_body_trace *t, int32_t k, double h) {
    size_t n = (size_t)t->stride;
    const double *b0 = t->boundary + (size_t)k * 6 * n;
    const double *b1 = b0 + 6 * n;
    double *mid = t->midpoint + (size_t)k * 3 * n;
    for (size_t c = 0; c < 3; c++) {
        for (size_t j = 0; j < n; j++) {
            mid[c * n + j] = 0.5 * (b0[c * n + j] + b1[c * n + j]) + 0.125 * h * (b0[(c + 3) * n + j] - b1[(c + 3) * n + j]);
        }
    }
}

int gk_nbody_advance(gk_bodies *b, double dt_s, int32_t substeps, int32_t scheme, gk_body_trace *trace) {
    if (b->count <= 0 || b->stride < gk_padded_count(b->count) || substeps <= 0 || !isfinite(dt_s) || dt_s < 0.0) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    if (scheme != GK_SCHEME_LEAPFROG && scheme != GK_SCHEME_ORDER4) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    if (trace && (substeps > trace->capacity || trace->stride != b->stride)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double h = dt_s / substeps;
    if (trace) {
        trace->steps = substeps;
        trace->step_s = h;
        record_boundary(b, trace, 0);
    }
    for (int32_t k = 0; k < substeps; k++) {
        if (scheme == GK_SCHEME_LEAPFROG) {
            leapfrog(b, h);
        } else {
            order4(b, h);
        }
        if (trace) {
            record_boundary(b, trace, k + 1);
            record_midpoint(trace, k, h);
        }
    }
    for (int32_t i = 0; i < b->count; i++) {
        if (!isfinite(b->x[i]) || !isfinite(b->y[i]) || !isfinite(b->z[i]) || !isfinite(b->vx[i]) ||
            !isfinite(b->vy[i]) || !isfinite(b->vz[i])) {
            return GK_ERR_NON_FINITE;
        }
    }
    return GK_OK;
}

/* Neumaier's compensated summation. */
typedef struct {
    double sum, compensation;
} compensated_sum;

static void add_term(compensated_sum *s, double term) {
    double t = s->sum + term;
    if (fabs(s->sum) >= fabs(term)) {
        s->compensation += (s->sum - t) + term;
    } else {
        s->compensation += (term - t) + s->sum;
    }
    s->sum = t;
}

double gk_nbody_energy(const gk_bodies *b) {
    compensated_sum energy = {0.0, 0.0};
    for (int32_t i = 0; i < b->count; i++) {
        double v2 = b->vx[i] * b->vx[i] + b->vy[i] * b->vy[i] + b->vz[i] * b->vz[i];
        add_term(&energy, 0.5 * b->gm[i] * v2);
        for (int32_t j = i + 1; j < b->count; j++) {
            double dx = b->x[i] - b->x[j], dy = b->y[i] - b->y[j], dz = b->z[i] - b->z[j];
            add_term(&energy, -b->gm[i] * b->gm[j] / sqrt(dx * dx + dy * dy + dz * dz));
        }
    }
    return energy.sum + energy.compensation;
}
