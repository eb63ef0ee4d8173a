/* Helpers shared by the two-body kernels; not part of the public API. */
#ifndef GK_KEPLER_INTERNAL_H
#define GK_KEPLER_INTERNAL_H

/* x - sin x and sinh x - x, exact to round-off for small |x|. */
double gk_x_minus_sin(double x);
double gk_sinh_minus_x(double x);

#endif
