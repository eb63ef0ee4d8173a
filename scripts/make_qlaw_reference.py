#!/usr/bin/env python3
"""Solve Galaxy's reference Q-law transfers about Earth with pyqlaw and write them as a test fixture.

Each case is the problem that Tests/GalaxyServerTests/Automation/QLawReferenceTests.swift flies with
AutomationSystem. Both use Earth's GM and radius from data/solar_system.json and the same ship (100 N,
2,000 kg dry, 3,000 kg propellant, Isp 320 s). Both keep periapsis above radius + 200 km and coast below
an absolute effectivity of 0.7, and pyqlaw's RK4 step equals Galaxy's 10 s tick. pyqlaw works in
canonical units (DU = Earth radius, TU = sqrt(DU^3 / GM), mass unit = the initial mass), and the fixture
is in SI.

Install the pinned packages first (pip install -r scripts/requirements-qlaw.txt); this script installs
nothing. pyqlaw is not run in CI; only its output, Tests/GalaxyServerTests/Fixtures/qlaw_reference.json,
is committed.

Usage: make_qlaw_reference.py [--output FILE] [--cases NAME ...]
"""
import argparse
import json
import math
import pathlib
import sys
import time

import numpy as np
import pyqlaw

ROOT = pathlib.Path(__file__).resolve().parents[1]
STANDARD_GRAVITY = 9.80665

# The masses and Isp of Galaxy's test ship (ManeuverFixture.design) with 100 N in place of 4 kN, so the
# transfers are low-thrust (0.02 m/s²). At 0.8 m/s² one 10 s step at full thrust moves a by about 20 km
# at 8,000 km and 200 km at 42,000 km. pyqlaw has no throttle taper, so it cannot settle within Galaxy's
# 10 km tolerance at that thrust.
THRUST_N = 100.0
DRY_MASS_KG = 2_000.0
PROPELLANT_KG = 3_000.0
ISP_S = 320.0

# Galaxy's ManeuverOptions defaults and Q-law defaults (QLawParameters).
PERIAPSIS_MARGIN_M = 200_000.0
ABSOLUTE_CUTOFF = 0.7
PERIAPSIS_WEIGHT = 1.0
PERIAPSIS_SHARPNESS = 100.0
SCALING = {"m": 3.0, "n": 4.0, "r": 2.0}
WEIGHTS = [1.0, 1.0, 1.0, 1.0, 1.0]
STEP_S = 10.0
ANOMALY_GRID = 64

# Galaxy's OrbitTolerance, split per element because pyqlaw checks each of (a, f, g, h, k) separately:
# |Δf| and |Δg| ≤ 2e-3/√2 keep the (f, g) distance within 2e-3, and |Δh|, |Δk| ≤ 8e-4 keep the
# inclination error within about 0.09° and the (h, k) distance within 2e-3.
TOLERANCE_A_M = 10_000.0
TOLERANCE_FG = 2e-3 / math.sqrt(2)
TOLERANCE_HK = 8e-4

# pyqlaw takes the true anomaly as L - atan(g / f), which is NaN at exactly e = 0, so a circular start
# gets this small eccentricity (f > 0) for pyqlaw. Galaxy starts from e = 0 exactly.
CIRCULAR_START_ECCENTRICITY = 1e-4

CASES = {
    "leo_raise_incline": {
        "description": "7,000 km circular equatorial to 8,000 km circular at 10°",
        "initial": {"a_m": 7_000_000.0, "e": 0.0, "i_deg": 0.0, "raan_deg": 0.0, "argp_deg": 0.0, "nu_deg": 0.0},
        "target": {"a_m": 8_000_000.0, "e": 0.0, "i_deg": 10.0, "raan_deg": 0.0, "argp_deg": 0.0},
        "max_time_s": 400_000.0,
    },
    "gto_to_geo": {
        "description": "GTO (a = 24,505.9 km, e = 0.725, i = 7°) to geostationary (a = 42,165 km, e = 0, i = 0)",
        "initial": {"a_m": 24_505_900.0, "e": 0.725, "i_deg": 7.0, "raan_deg": 0.0, "argp_deg": 0.0, "nu_deg": 0.0},
        "target": {"a_m": 42_165_000.0, "e": 0.0, "i_deg": 0.0, "raan_deg": 0.0, "argp_deg": 0.0},
        "max_time_s": 1_000_000.0,
    },
}


def load_earth():
    with open(ROOT / "data" / "solar_system.json") as handle:
        bodies = json.load(handle)["bodies"]
    earth = next(body for body in bodies if body["name"] == "Earth")
    return earth["gm_m3_s2"], earth["radius_m"]


def mee_with_a(elements, du_m, nu_deg=None):
    """Convert classical elements (SI, degrees) to pyqlaw's (a, f, g, h, k[, L]) in canonical units."""
    e = elements["e"]
    if nu_deg is not None and e == 0.0:
        e = CIRCULAR_START_ECCENTRICITY
    kepler = np.array([
        elements["a_m"] / du_m, e, math.radians(elements["i_deg"]), math.radians(elements["raan_deg"]),
        math.radians(elements["argp_deg"]), math.radians(nu_deg or 0.0),
    ])
    converted = pyqlaw.kep2mee_with_a(kepler)
    return converted if nu_deg is not None else converted[:5]


def solve_case(name, case, gm, radius):
    du_m = radius
    tu_s = math.sqrt(du_m**3 / gm)
    mass0_kg = DRY_MASS_KG + PROPELLANT_KG
    acceleration_unit = du_m / tu_s**2
    mass_flow_kg_s = THRUST_N / (ISP_S * STANDARD_GRAVITY)

    problem = pyqlaw.QLaw(
        mu=1.0,
        rpmin=(radius + PERIAPSIS_MARGIN_M) / du_m,
        k_petro=PERIAPSIS_SHARPNESS,
        m_petro=SCALING["m"],
        n_petro=SCALING["n"],
        r_petro=SCALING["r"],
        wp=PERIAPSIS_WEIGHT,
        elements_type="mee_with_a",
        integrator="rk4",
        verbosity=0,
        anomaly_grid_size=ANOMALY_GRID,
        tol_oe=[TOLERANCE_A_M / du_m, TOLERANCE_FG, TOLERANCE_FG, TOLERANCE_HK, TOLERANCE_HK],
    )
    # pyqlaw otherwise stops after 25 steps within 10x the tolerance (exit code 2), so require the real one.
    problem.exit_at_relaxed = sys.maxsize
    problem.set_problem(
        oe0=mee_with_a(case["initial"], du_m, nu_deg=case["initial"]["nu_deg"]),
        oeT=mee_with_a(case["target"], du_m),
        mass0=1.0,
        tmax=THRUST_N / mass0_kg / acceleration_unit,
        mdot=mass_flow_kg_s * tu_s / mass0_kg,
        tf_max=case["max_time_s"] / tu_s,
        t_step=STEP_S / tu_s,
        mass_min=DRY_MASS_KG / mass0_kg,
        woe=WEIGHTS,
    )
    start = time.perf_counter()
    problem.solve(eta_a=ABSOLUTE_CUTOFF, eta_r=0.0)
    wall_s = time.perf_counter() - start

    final = pyqlaw.mee_with_a2kep(np.array(problem.states[-1]))
    propellant_kg = (1.0 - problem.masses[-1]) * mass0_kg
    burn_steps = sum(1 for control in problem.controls if control[2] == 1)
    result = {
        "name": name,
        "description": case["description"],
        "initial": case["initial"],
        "pyqlaw_initial_eccentricity": max(case["initial"]["e"], CIRCULAR_START_ECCENTRICITY),
        "target": case["target"],
        "pyqlaw": {
            "exit_code": problem.exitcode,
            "converged": bool(problem.converge),
            "time_of_flight_s": problem.times[-1] * tu_s,
            "propellant_kg": propellant_kg,
            "burn_time_s": burn_steps * STEP_S,
            "steps": len(problem.times) - 1,
            "final": {
                "a_m": final[0] * du_m, "e": final[1], "i_deg": math.degrees(final[2]),
            },
            "wall_time_s": wall_s,
        },
    }
    print(json.dumps({"case": name, **result["pyqlaw"]}), file=sys.stderr, flush=True)
    return result


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_output = ROOT / "Tests" / "GalaxyServerTests" / "Fixtures" / "qlaw_reference.json"
    parser.add_argument("--output", default=str(default_output), help="fixture path (default: the test fixture)")
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES), help="cases to solve (default: all)")
    args = parser.parse_args(argv)
    gm, radius = load_earth()
    results = [solve_case(name, CASES[name], gm, radius) for name in args.cases]
    fixture = {
        "generator": "scripts/make_qlaw_reference.py",
        "pyqlaw_version": pyqlaw.__version__,
        "earth": {"gm_m3_s2": gm, "radius_m": radius},
        "ship": {
            "thrust_n": THRUST_N, "dry_mass_kg": DRY_MASS_KG, "propellant_kg": PROPELLANT_KG, "isp_s": ISP_S,
        },
        "settings": {
            "elements": "mee_with_a",
            "integrator": "rk4",
            "step_s": STEP_S,
            "weights_a_f_g_h_k": WEIGHTS,
            "absolute_effectivity_cutoff": ABSOLUTE_CUTOFF,
            "relative_effectivity_cutoff": 0.0,
            "anomaly_grid_size": ANOMALY_GRID,
            "periapsis_minimum_m": radius + PERIAPSIS_MARGIN_M,
            "periapsis_weight": PERIAPSIS_WEIGHT,
            "periapsis_sharpness": PERIAPSIS_SHARPNESS,
            "scaling_m_n_r": [SCALING["m"], SCALING["n"], SCALING["r"]],
            "tolerance": {"a_m": TOLERANCE_A_M, "f_g": TOLERANCE_FG, "h_k": TOLERANCE_HK},
        },
        "cases": results,
    }
    with open(args.output, "w") as handle:
        json.dump(fixture, handle, indent=1)
        handle.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
