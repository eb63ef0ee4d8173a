/*
 * Status codes shared by every Galaxy physics kernel.
 *
 * A kernel returns GK_OK (0) or one negative code from this table. The C side
 * only reports; the Swift wrapper turns a code into a typed error carrying the
 * kernel name and its key inputs.
 */
#ifndef GK_STATUS_H
#define GK_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    GK_OK = 0,
    GK_ERR_INVALID_ARGUMENT = -1, /* a count, step or parameter is out of its domain */
    GK_ERR_NON_FINITE = -2,       /* an input or a result is NaN or infinite */
    GK_ERR_NO_CONVERGENCE = -3,   /* an iteration hit its cap; the result is the bisection fallback */
    GK_ERR_DEGENERATE_ORBIT = -4, /* zero position, or a state with no defined conic */
};

/* Static English message for a status code; never NULL. Thread-safe. */
const char *gk_status_message(int status);

#ifdef __cplusplus
}
#endif

#endif
