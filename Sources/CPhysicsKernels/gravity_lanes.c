/*
 * The gravity loops, written once over lane blocks and compiled per
 * instruction set (see gk_simd.h for why all paths round identically).
 */
#include <math.h>
#include <stdatomic.h>

#include "gk_simd.h"
#include "gk_status.h"
#include "gravity_internal.h"

#define GK_INLINE static inline __attribute__((always_inline))

/* Fixed-order reduction of the lane accumulators. */
GK_INLINE double reduce_lanes(const double *acc) {
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

GK_INLINE void point_sum(int32_t n, int32_t stride, const double *restrict x, const double *restrict y,
                         const double *restrict z, const double *restrict gm, int32_t skip, const double p[3],
                         double out[3]) {
    double sx[GK_LANES] = {0}, sy[GK_LANES] = {0}, sz[GK_LANES] = {0};
    const double px = p[0], py = p[1], pz = p[2];
    for (int32_t block = 0; block < stride; block += GK_LANES) {
        for (int32_t l = 0; l < GK_LANES; l++) {
            int32_t j = block + l;
            double dx = x[j] - px, dy = y[j] - py, dz = z[j] - pz;
            double r2 = dx * dx + dy * dy + dz * dz;
            int masked = (j >= n) | (j == skip);
            double m = masked ? 0.0 : gm[j];
            r2 = masked ? 1.0 : r2;
            double scale = m / (r2 * sqrt(r2));
            sx[l] += dx * scale;
            sy[l] += dy * scale;
            sz[l] += dz * scale;
        }
    }
    out[0] = reduce_lanes(sx);
    out[1] = reduce_lanes(sy);
    out[2] = reduce_lanes(sz);
}

GK_INLINE void tidal_sum(int32_t n, int32_t stride, const double *restrict x, const double *restrict y,
                         const double *restrict z, const double *restrict gm, int32_t primary, const double p[3],
                         double out[3]) {
    double sx[GK_LANES] = {0}, sy[GK_LANES] = {0}, sz[GK_LANES] = {0};
    const double px = p[0], py = p[1], pz = p[2];
    const double qx = x[primary], qy = y[primary], qz = z[primary];
    for (int32_t block = 0; block < stride; block += GK_LANES) {
        for (int32_t l = 0; l < GK_LANES; l++) {
            int32_t j = block + l;
            double dx = x[j] - px, dy = y[j] - py, dz = z[j] - pz;
            double ex = x[j] - qx, ey = y[j] - qy, ez = z[j] - qz;
            double r2 = dx * dx + dy * dy + dz * dz;
            double q2 = ex * ex + ey * ey + ez * ez;
            int masked = (j >= n) | (j == primary);
            double m = masked ? 0.0 : gm[j];
            r2 = masked ? 1.0 : r2;
            q2 = masked ? 1.0 : q2;
            double direct = m / (r2 * sqrt(r2));
            double indirect = m / (q2 * sqrt(q2));
            sx[l] += dx * direct - ex * indirect;
            sy[l] += dy * direct - ey * indirect;
            sz[l] += dz * direct - ez * indirect;
        }
    }
    out[0] = reduce_lanes(sx);
    out[1] = reduce_lanes(sy);
    out[2] = reduce_lanes(sz);
}

typedef void (*sum_fn)(int32_t, int32_t, const double *, const double *, const double *, const double *, int32_t,
                       const double *, double *);

#define GK_DEFINE_VARIANT(SUFFIX, ATTRIBUTES)                                                                       \
    ATTRIBUTES static void point_##SUFFIX(int32_t n, int32_t stride, const double *x, const double *y,            \
                                          const double *z, const double *gm, int32_t skip, const double *p,       \
                                          double *out) {                                                          \
        point_sum(n, stride, x, y, z, gm, skip, p, out);                                                          \
    }                                                                                                             \
    ATTRIBUTES static void tidal_##SUFFIX(int32_t n, int32_t stride, const double *x, const double *y,            \
                                          const double *z, const double *gm, int32_t primary, const double *p,    \
                                          double *out) {                                                          \
        tidal_sum(n, stride, x, y, z, gm, primary, p, out);                                                       \
    }

GK_DEFINE_VARIANT(portable, )
#if defined(__x86_64__)
GK_DEFINE_VARIANT(avx2, __attribute__((target("avx2"))))
GK_DEFINE_VARIANT(avx512, __attribute__((target("avx512f,avx512dq,avx512vl"))))
#endif

static _Atomic int32_t selected_isa = GK_ISA_PORTABLE;
static _Atomic sum_fn point_impl = point_portable;
static _Atomic sum_fn tidal_impl = tidal_portable;
static _Atomic int initialized = 0;

int gk_isa_supported(int32_t isa) {
    switch (isa) {
    case GK_ISA_AUTO:
    case GK_ISA_PORTABLE:
        return 1;
#if defined(__x86_64__)
    case GK_ISA_AVX2:
        return __builtin_cpu_supports("avx2");
    case GK_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl");
#endif
    default:
        return 0;
    }
}

int32_t gk_isa_select(int32_t isa) {
    if (!gk_isa_supported(isa)) {
        return GK_ERR_INVALID_ARGUMENT;
    }
    if (isa == GK_ISA_AUTO) {
        isa = gk_isa_supported(GK_ISA_AVX512) ? GK_ISA_AVX512
              : gk_isa_supported(GK_ISA_AVX2) ? GK_ISA_AVX2
                                              : GK_ISA_PORTABLE;
    }
    sum_fn point = point_portable, tidal = tidal_portable;
#if defined(__x86_64__)
    if (isa == GK_ISA_AVX2) {
        point = point_avx2;
        tidal = tidal_avx2;
    } else if (isa == GK_ISA_AVX512) {
        point = point_avx512;
        tidal = tidal_avx512;
    }
#endif
    atomic_store(&point_impl, point);
    atomic_store(&tidal_impl, tidal);
    atomic_store(&selected_isa, isa);
    atomic_store(&initialized, 1);
    return isa;
}

int32_t gk_isa_current(void) {
    if (!atomic_load_explicit(&initialized, memory_order_acquire)) {
        gk_isa_select(GK_ISA_AUTO);
    }
    return atomic_load(&selected_isa);
}

const char *gk_isa_name(int32_t isa) {
    switch (isa) {
    case GK_ISA_PORTABLE:
        return "portable";
    case GK_ISA_AVX2:
        return "avx2";
    case GK_ISA_AVX512:
        return "avx512";
    default:
        return "auto";
    }
}

void gk_gravity_point(int32_t n, int32_t stride, const double *x, const double *y, const double *z,
                      const double *gm, int32_t skip, const double p[3], double out[3]) {
    if (!atomic_load_explicit(&initialized, memory_order_relaxed)) {
        gk_isa_current();
    }
    atomic_load_explicit(&point_impl, memory_order_relaxed)(n, stride, x, y, z, gm, skip, p, out);
}

void gk_gravity_tidal(int32_t n, int32_t stride, const double *x, const double *y, const double *z,
                      const double *gm, int32_t primary, const double p[3], double out[3]) {
    if (!atomic_load_explicit(&initialized, memory_order_relaxed)) {
        gk_isa_current();
    }
    atomic_load_explicit(&tidal_impl, memory_order_relaxed)(n, stride, x, y, z, gm, primary, p, out);
}
