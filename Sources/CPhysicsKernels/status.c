#include "gk_status.h"

const char *gk_status_message(int status) {
    switch (status) {
    case GK_OK:
        return "ok";
    case GK_ERR_INVALID_ARGUMENT:
        return "invalid argument";
    case GK_ERR_NON_FINITE:
        return "non-finite value";
    case GK_ERR_NO_CONVERGENCE:
        return "iteration cap reached; bisection result returned";
    case GK_ERR_DEGENERATE_ORBIT:
        return "degenerate orbit";
    default:
        return "unknown status";
    }
}
