/*
 * Batched Q-law effectivity: every ship's best Q-dot on a shared grid of
 * true longitudes from one matrix product per block of ships.
 *
 * Derivation (from the Gauss equations listed in qlaw_law.c; notation
 * c = cos L, s = sin L, w = 1 + f c + g s, q = sqrt(p / mu),
 * alpha = 2 a^2 / sqrt(mu p), s2 = 1 + h^2 + k^2, z = h s - k c, and
 * G_j = dQ/dx_j, which depends on the slow elements only):
 *
 * D(L) = B(x, L)^T G has components
 *   D_R = alpha G_a (f s - g c) + q (G_f s - G_g c)
 *   D_T = alpha G_a w + (q / w) [G_f ((w + 1) c + f) + G_g ((w + 1) s + g)]
 *   D_N = (q / w) [(G_g f - G_f g) z + (s2 / 2)(G_h c + G_k s)]
 * Every 1/w cancels in W(L) = w(L) D(L), and each product of two
 * first-degree terms reduces with c^2 = (1 + cos 2L) / 2,
 * s^2 = (1 - cos 2L) / 2, s c = sin 2L / 2. On the basis
 * (1, c, s, cos 2L, sin 2L), with A = alpha G_a f + q G_f and
 * B = -(alpha G_a g + q G_g), so that D_R = A s + B c:
 *   W_R = (A g + B f) / 2,  B,  A,  (B f - A g) / 2,  (A f + B g) / 2
 * From w^2 = 1 + e^2 / 2 + 2 f c + 2 g s + (f^2 - g^2) / 2 cos 2L + f g sin 2L,
 * (w + 1) c + f = 3f / 2 + 2c + (f / 2) cos 2L + (g / 2) sin 2L and
 * (w + 1) s + g = 3g / 2 + 2s - (g / 2) cos 2L + (f / 2) sin 2L:
 *   W_T = alpha G_a (1 + e^2 / 2) + (3 q / 2)(G_f f + G_g g),
 *         2 (alpha G_a f + q G_f),  2 (alpha G_a g + q G_g),
 *         alpha G_a (f^2 - g^2) / 2 + (q / 2)(G_f f - G_g g),
 *         alpha G_a f g + (q / 2)(G_f g + G_g f)
 * With m = G_g f - G_f g (W_N has degree one):
 *   W_N = 0,  q (s2 G_h / 2 - m k),  q (s2 G_k / 2 + m h),  0,  0
 * and w itself is 1, f, g, 0, 0.
 *
 * So the three rows of F W(L) and w(L) are four trigonometric polynomials
 * of degree two whose 20 coefficients depend on the slow elements only.
 * Stacking them for n ships as a [4n][5] matrix C and the basis on the grid
 * as a [5][G] matrix Phi, the product C Phi contains F w D and w for every ship
 * and sample, and
 *   Q-dot_best(L_j) = -F |D(L_j)| = -|F W(L_j)| / w(L_j)   (w > 0 for e < 1).
 * The minimum and maximum over j compare |F W|^2 / w^2, so only two square
 * roots per ship are taken unless every sample is requested.
 * The grid is uniform in true longitude, i.e. uniform in true anomaly
 * shifted by each ship's longitude of periapsis, and covers every ship's
 * orbit with the same spacing.
 */
#include <cblas.h>
#include <math.h>

#include "gk_qlaw.h"
#include "gk_status.h"

static const double TWO_PI = 6.283185307179586476925287;

/* Output doubles per GEMM block: 2^16 doubles (512 KiB), meant to stay in
 * the L2 cache of current x86-64 cores. NOTE: the block size is not tuned. */
enum { BLOCK_OUTPUT_DOUBLES = 1 << 16 };

static int32_t block_ships(int32_t ships, int32_t samples) {
    int32_t block = BLOCK_OUTPUT_DOUBLES / (GK_QLAW_POLYNOMIALS * samples);
    if (block < 1) {
        block = 1;
    }
    return block < ships ? block : ships;
}

int gk_qlaw_basis_fill(int32_t samples, double *basis) {
    if (samples < 1) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    for (int32_t j = 0; j < samples; j++) {
        double L = TWO_PI * j / samples;
        basis[j] = 1.0;
        basis[samples + j] = cos(L);
        basis[2 * samples + j] = sin(L);
        basis[3 * samples + j] = cos(2.0 * L);
        basis[4 * samples + j] = sin(2.0 * L);
    }
    return GK_OK;
}

int gk_qlaw_coefficients(const gk_qlaw_params *pr, const double x[GK_SLOW_COUNT],
                         const double gradient[GK_SLOW_COUNT], double c[GK_QLAW_POLYNOMIALS][GK_QLAW_BASIS]) {
    double a = x[GK_SLOW_A], f = x[GK_SLOW_F], g = x[GK_SLOW_G], h = x[GK_SLOW_H], k = x[GK_SLOW_K];
    double e2 = f * f + g * g;
    if (!(pr->mu > 0.0) || !(a > 0.0) || !(e2 < 1.0)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    double F = pr->thrust_accel_m_s2;
    double p = a * (1.0 - e2);
    double q = sqrt(p / pr->mu);
    double alpha = 2.0 * a * a / sqrt(pr->mu * p);
    double s2 = 1.0 + h * h + k * k;
    double ga = alpha * gradient[GK_SLOW_A];
    double gf = gradient[GK_SLOW_F], gg = gradient[GK_SLOW_G];
    double gh = gradient[GK_SLOW_H], gk = gradient[GK_SLOW_K];

    double A = ga * f + q * gf;
    double B = -(ga * g + q * gg);
    double radial[5] = {0.5 * (A * g + B * f), B, A, 0.5 * (B * f - A * g), 0.5 * (A * f + B * g)};
    double along[5] = {ga * (1.0 + 0.5 * e2) + 1.5 * q * (gf * f + gg * g), 2.0 * (ga * f + q * gf),
                       2.0 * (ga * g + q * gg), 0.5 * ga * (f * f - g * g) + 0.5 * q * (gf * f - gg * g),
                       ga * f * g + 0.5 * q * (gf * g + gg * f)};
    double m = gg * f - gf * g;
    double normal[5] = {0.0, q * (0.5 * s2 * gh - m * k), q * (0.5 * s2 * gk + m * h), 0.0, 0.0};
    double weight[5] = {1.0, f, g, 0.0, 0.0};
    for (int b = 0; b < GK_QLAW_BASIS; b++) {
        c[0][b] = F * radial[b];
        c[1][b] = F * along[b];
        c[2][b] = F * normal[b];
        c[3][b] = weight[b];
    }
    for (int b = 0; b < GK_QLAW_BASIS; b++) {
        if (!isfinite(c[0][b]) || !isfinite(c[1][b]) || !isfinite(c[2][b])) {
            return GK_ERR_NON_FINITE;
        }
    }
    return GK_OK;
}

size_t gk_qlaw_batch_workspace_size(int32_t ships, int32_t samples) {
    if (ships < 1 || samples < 1) {
        return 0;
    }
    size_t block = (size_t)block_ships(ships, samples);
    return block * GK_QLAW_POLYNOMIALS * (GK_QLAW_BASIS + (size_t)samples);
}

/* Coefficient rows of one ship; a failed ship gets zero rows and a status. */
static int32_t ship_coefficients(const gk_qlaw_params *pr, const gk_mee *mee, double *rows) {
    double x[GK_SLOW_COUNT], gradient[GK_SLOW_COUNT], q;
    int status = gk_qlaw_slow_elements(mee, x);
    if (status == GK_OK) {
        status = gk_qlaw_value(pr, x, &q, gradient);
    }
    if (status == GK_OK) {
        status = gk_qlaw_coefficients(pr, x, gradient, (double(*)[GK_QLAW_BASIS])rows);
    }
    if (status != GK_OK) {
        for (int i = 0; i < GK_QLAW_POLYNOMIALS * GK_QLAW_BASIS; i++) {
            rows[i] = 0.0;
        }
    }
    return status;
}

/* Reduces one ship's four product rows to the min and max best Q-dot. */
static void ship_range(const double *rows, int32_t samples, double *qdot_min, double *qdot_max, double *qdot_samples) {
    const double *wr = rows, *wt = rows + samples, *wn = rows + 2 * samples, *w = rows + 3 * samples;
    double lo = INFINITY, hi = -INFINITY;
    for (int32_t j = 0; j < samples; j++) {
        double ratio = (wr[j] * wr[j] + wt[j] * wt[j] + wn[j] * wn[j]) / (w[j] * w[j]);
        lo = fmin(lo, ratio);
        hi = fmax(hi, ratio);
    }
    *qdot_min = -sqrt(hi);
    *qdot_max = -sqrt(lo);
    if (qdot_samples != NULL) {
        for (int32_t j = 0; j < samples; j++) {
            qdot_samples[j] = -sqrt(wr[j] * wr[j] + wt[j] * wt[j] + wn[j] * wn[j]) / w[j];
        }
    }
}

int gk_qlaw_effectivity_batch(int32_t ships, const gk_qlaw_params *params, const gk_mee *mee, int32_t samples,
                              const double *basis, double *workspace, size_t workspace_size, double *qdot_min,
                              double *qdot_max, double *qdot_samples, int32_t *status) {
    if (ships < 0 || samples < 1) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    if (ships == 0) {
        return GK_OK;
    }
    if (workspace_size < gk_qlaw_batch_workspace_size(ships, samples)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    int32_t block = block_ships(ships, samples);
    const int row = GK_QLAW_POLYNOMIALS * GK_QLAW_BASIS;
    double *coefficients = workspace;
    double *product = workspace + (size_t)block * row;
    for (int32_t begin = 0; begin < ships; begin += block) {
        int32_t n = ships - begin < block ? ships - begin : block;
        for (int32_t i = 0; i < n; i++) {
            status[begin + i] = ship_coefficients(&params[begin + i], &mee[begin + i], coefficients + (size_t)i * row);
        }
        /* [4n][5] x [5][G] -> [4n][G]: rows 4i..4i+3 are ship i's F w D_R, F w D_T, F w D_N and w. */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, GK_QLAW_POLYNOMIALS * n, samples, GK_QLAW_BASIS, 1.0,
                    coefficients, GK_QLAW_BASIS, basis, samples, 0.0, product, samples);
        for (int32_t i = 0; i < n; i++) {
            int32_t ship = begin + i;
            double *samples_out = qdot_samples == NULL ? NULL : qdot_samples + (size_t)ship * samples;
            if (status[ship] != GK_OK) {
                qdot_min[ship] = NAN;
                qdot_max[ship] = NAN;
                for (int32_t j = 0; samples_out != NULL && j < samples; j++) {
                    samples_out[j] = NAN;
                }
                continue;
            }
            ship_range(product + (size_t)i * GK_QLAW_POLYNOMIALS * samples, samples, &qdot_min[ship], &qdot_max[ship],
                       samples_out);
        }
    }
    return GK_OK;
}
