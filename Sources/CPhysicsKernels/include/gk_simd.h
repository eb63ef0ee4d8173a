/*
 * Instruction-set selection for the vectorized gravity loops.
 *
 * Every hot loop is written once, over blocks of GK_LANES entries with one
 * accumulator per lane that are summed in a fixed order. It is compiled for
 * AVX-512, AVX2 and the x86-64 baseline (SSE2, the portable path that every
 * x86-64 CPU runs); on other architectures only the portable path exists.
 * Because the summation order is fixed and the C target is built without
 * fused multiply-add contraction, all paths give bit-identical results.
 */
#ifndef GK_SIMD_H
#define GK_SIMD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GK_LANES 8

enum {
    GK_ISA_AUTO = 0,     /* the widest path this CPU supports */
    GK_ISA_PORTABLE = 1, /* baseline instructions of the target architecture */
    GK_ISA_AVX2 = 2,
    GK_ISA_AVX512 = 3,
};

/* Entries per body or ship array: count rounded up to a whole lane block.
 * Entries past count must hold gm = 0 and finite positions. */
static inline int32_t gk_padded_count(int32_t count) { return (count + GK_LANES - 1) / GK_LANES * GK_LANES; }

/* 1 if this CPU can run `isa`, else 0. */
int gk_isa_supported(int32_t isa);

/* Selects the path used by every kernel from now on (process-wide; call it
 * before kernels run concurrently). Returns the path now in use, or
 * GK_ERR_INVALID_ARGUMENT if this CPU cannot run `isa`. */
int32_t gk_isa_select(int32_t isa);

/* The path in use. */
int32_t gk_isa_current(void);

/* Name of a path: "portable", "avx2", "avx512". */
const char *gk_isa_name(int32_t isa);

#ifdef __cplusplus
}
#endif

#endif
