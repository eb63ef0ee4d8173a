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

/* Squared distances are floored so that the skipped body (distance 0, GM zeroed) and padding give
 * 0 / positive = 0 without a branch. No two real objects are ever 1e-50 m apart. */
#define GK_MIN_DISTANCE2 1e-100

/* Eight doubles; clang lowers each operation to one zmm, two ymm or four xmm instructions, all of
 * them correctly rounded per lane, so every path computes the same bits. */
typedef double lane_vector __attribute__((ext_vector_type(GK_LANES)));
typedef double unaligned_lane_vector __attribute__((ext_vector_type(GK_LANES), aligned(8)));

GK_INLINE lane_vector load_lanes(const double *p) { return *(const unaligned_lane_vector *)p; }

GK_INLINE lane_vector floor_distance2(lane_vector r2) {
    return __builtin_elementwise_max(r2, (lane_vector)GK_MIN_DISTANCE2);
}

/* A lane block of GM with the entry `skip` (if inside the block) set to 0. */
GK_INLINE lane_vector masked_gm(const double *gm, int32_t block, int32_t skip) {
    lane_vector m = load_lanes(gm + block);
    if (skip >= block && skip < block + GK_LANES) {
        m[skip - block] = 0.0;
    }
    return m;
}

GK_INLINE double reduce_vector(lane_vector v) {
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

GK_INLINE void point_sum(int32_t stride, const double *x, const double *y, const double *z, const double *gm,
                         int32_t skip, const double p[3], double out[3]) {
    lane_vector sx = 0.0, sy = 0.0, sz = 0.0;
    for (int32_t block = 0; block < stride; block += GK_LANES) {
        lane_vector m = masked_gm(gm, block, skip);
        lane_vector dx = load_lanes(x + block) - p[0];
        lane_vector dy = load_lanes(y + block) - p[1];
        lane_vector dz = load_lanes(z + block) - p[2];
        lane_vector r2 = floor_distance2(dx * dx + dy * dy + dz * dz);
        lane_vector scale = m / (r2 * __builtin_elementwise_sqrt(r2));
        sx += dx * scale;
        sy += dy * scale;
        sz += dz * scale;
    }
    out[0] = reduce_vector(sx);
    out[1] = reduce_vector(sy);
    out[2] = reduce_vector(sz);
}

GK_INLINE void tidal_sum(int32_t stride, const double *x, const double *y, const double *z, const double *gm,
                         int32_t primary, const double p[3], double out[3]) {
    lane_vector sx = 0.0, sy = 0.0, sz = 0.0;
    const double qx = x[primary], qy = y[primary], qz = z[primary];
    for (int32_t block = 0; block < stride; block += GK_LANES) {
        lane_vector m = masked_gm(gm, block, primary);
        lane_vector bx = load_lanes(x + block), by = load_lanes(y + block), bz = load_lanes(z + block);
        lane_vector dx = bx - p[0], dy = by - p[1], dz = bz - p[2];
        lane_vector ex = bx - qx, ey = by - qy, ez = bz - qz;
        lane_vector r2 = floor_distance2(dx * dx + dy * dy + dz * dz);
        lane_vector q2 = floor_distance2(ex * ex + ey * ey + ez * ez);
        lane_vector direct = m / (r2 * __builtin_elementwise_sqrt(r2));
        lane_vector indirect = m / (q2 * __builtin_elementwise_sqrt(q2));
        sx += dx * direct - ex * indirect;
        sy += dy * direct - ey * indirect;
        sz += dz * direct - ez * indirect;
    }
    out[0] = reduce_vector(sx);
    out[1] = reduce_vector(sy);
    out[2] = reduce_vector(sz);
}

typedef void (*sum_fn)(int32_t, int32_t, const double *, const double *, const double *, const double *, int32_t,
                       const double *, double *);

#define GK_DEFINE_VARIANT(SUFFIX, ATTRIBUTES)                                                                       \
    ATTRIBUTES static void point_##SUFFIX(int32_t n, int32_t stride, const double *x, const double *y,            \
                                          const double *z, const double *gm, int32_t skip, const double *p,       \
                                          double *out) {                                                          \
        (void)n;                                                                                                  \
        point_sum(stride, x, y, z, gm, skip, p, out);                                                          \
    }                                                                                                             \
    ATTRIBUTES static void tidal_##SUFFIX(int32_t n, int32_t stride, const double *x, const double *y,            \
                                          const double *z, const double *gm, int32_t primary, const double *p,    \
                                          double *out) {                                                          \
        (void)n;                                                                                                  \
        tidal_sum(stride, x, y, z, gm, primary, p, out);                                                       \
    }

GK_DEFINE_VARIANT(portable, )
#if defined(__x86_64__)
GK_DEFINE_VARIANT(avx2, __attribute__((target("avx2"))))
GK_DEFINE_VARIANT(avx512, __attribute__((target("avx512f,avx512dq,avx512vl"), min_vector_width(512))))
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
