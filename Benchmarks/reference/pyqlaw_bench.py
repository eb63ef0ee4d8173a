#!/usr/bin/env python3
"""Reference timings from pyqlaw (PyPI) for one Q-law evaluation, to set beside GalaxyBench's qlaw lines.

Times pyqlaw's own functions on one ship in a GTO-like orbit steering toward a geostationary target, in
pyqlaw's mee_with_a elements and canonical units, with the settings of scripts/make_qlaw_reference.py.
Prints one JSON object per measurement (median and minimum over batches of calls, in microseconds):

  control       one control-law evaluation: thrust direction, Q and dQ/dx (lyapunov_control_angles)
  effectivity   the orbit's Q-dot range on an anomaly grid of N samples (QLaw.evaluate_osculating_qdot),
                for N = 18 and N = 64 (Galaxy's default grid)

The first call of each function compiles or warms it up and is not timed.

Usage: pyqlaw_bench.py [control] [effectivity] [--calls N]
"""
import argparse
import json
import math
import statistics
import sys
import time

import numpy as np
import pyqlaw

EARTH_GM_M3_S2 = 398600436233339.8
EARTH_RADIUS_M = 6371008.4


def emit(record):
    print(json.dumps(record, sort_keys=True), flush=True)


def make_problem(grid):
    problem = pyqlaw.QLaw(
        mu=1.0, rpmin=(EARTH_RADIUS_M + 200_000.0) / EARTH_RADIUS_M, k_petro=100.0, m_petro=3.0, n_petro=4.0,
        r_petro=2.0, wp=1.0, elements_type="mee_with_a", integrator="rk4", verbosity=0, anomaly_grid_size=grid,
    )
    return problem


def gto_state():
    """Return a GTO-like ship state (a = 24,505.9 km, e = 0.725, i = 7°, 30° past periapsis) and a GEO target."""
    kepler = np.array([24_505_900.0 / EARTH_RADIUS_M, 0.725, math.radians(7.0), 0.0, 0.0, math.radians(30.0)])
    target = np.array([42_165_000.0 / EARTH_RADIUS_M, 0.0, 0.0, 0.0, 0.0, 0.0])
    return pyqlaw.kep2mee_with_a(kepler), pyqlaw.kep2mee_with_a(target)[:5]


def thrust_acceleration():
    """Return the acceleration of 100 N on 5,000 kg in canonical units (DU = Earth radius, TU = sqrt(DU^3 / GM))."""
    tu_s = math.sqrt(EARTH_RADIUS_M**3 / EARTH_GM_M3_S2)
    return 100.0 / 5_000.0 / (EARTH_RADIUS_M / tu_s**2)


def time_calls(function, calls, batches=9):
    """Time `function` and return the median and minimum seconds per call over `batches` batches of `calls` calls."""
    function()
    per_call = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        per_call.append((time.perf_counter() - start) / calls)
    return statistics.median(per_call), min(per_call)


def bench_control(calls):
    problem = make_problem(18)
    state, target = gto_state()
    accel = thrust_acceleration()

    def evaluate():
        pyqlaw.lyapunov_control_angles(
            fun_lyapunov_control=problem.lyap_fun, mu=problem.mu, f=accel, oe=state, oeT=target,
            rpmin=problem.rpmin, m_petro=problem.m_petro, n_petro=problem.n_petro, r_petro=problem.r_petro,
            b_petro=problem.b_petro, k_petro=problem.k_petro, wp=problem.wp, woe=np.ones(5),
        )

    median, minimum = time_calls(evaluate, calls)
    emit({"bench": "pyqlaw_control", "median_us": median * 1e6, "min_us": minimum * 1e6, "calls": calls,
          "pyqlaw_version": pyqlaw.__version__, "numpy_version": np.__version__})


def bench_effectivity(calls):
    state, target = gto_state()
    accel = thrust_acceleration()
    for grid in (18, 64):
        problem = make_problem(grid)
        problem.set_problem(oe0=state, oeT=target, mass0=1.0, tmax=accel, mdot=0.0, woe=np.ones(5))
        median, minimum = time_calls(lambda: problem.evaluate_osculating_qdot(state, accel), max(1, calls * 18 // grid))
        emit({"bench": "pyqlaw_effectivity", "samples": grid, "median_us": median * 1e6, "min_us": minimum * 1e6,
              "pyqlaw_version": pyqlaw.__version__})


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="*", default=["control", "effectivity"])
    parser.add_argument(
        "--calls", type=int, default=2_000,
        help="control-law calls per timed batch (default 2,000); effectivity batches use a tenth, fewer for 64 samples",
    )
    args = parser.parse_args(argv)
    for what in args.what:
        if what == "control":
            bench_control(args.calls)
        elif what == "effectivity":
            bench_effectivity(args.calls // 10)
        else:
            parser.error(f"unknown measurement {what!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
