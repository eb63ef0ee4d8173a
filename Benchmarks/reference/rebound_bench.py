#!/usr/bin/env python3
"""Reference timings from rebound (C core, PyPI) on Galaxy's own 29-body initial state.

Loads data/solar_system.json (SI units; rebound runs with G = 1 and masses set to GM, so every
acceleration is GM r / |r|^3 exactly as in Galaxy's kernel) and prints one JSON object per
measurement:

  step      rebound's leapfrog, one 1 s step (median over batches of 100,000 steps)
  day60     one simulated day with leapfrog at dt = 60 s, with Phobos's distance from a dt = 1 s run
  state     final states after --days of dt = 1 s leapfrog, as JSON (for comparing against Galaxy)

Usage: rebound_bench.py [step] [day60] [simulate --days D] [state --days D --output FILE]
"""
import argparse
import json
import math
import pathlib
import statistics
import sys
import time

import rebound

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load_bodies():
    with open(ROOT / "data" / "solar_system.json") as handle:
        return json.load(handle)["bodies"]


def make_simulation(bodies, dt_s):
    sim = rebound.Simulation()
    sim.G = 1.0
    for body in bodies:
        x, y, z = body["position_m"]
        vx, vy, vz = body["velocity_m_s"]
        sim.add(m=body["gm_m3_s2"], x=x, y=y, z=z, vx=vx, vy=vy, vz=vz)
    sim.integrator = "leapfrog"
    sim.dt = dt_s
    return sim


def advance(sim, seconds):
    sim.integrate(sim.t + seconds, exact_finish_time=0)


def emit(record):
    print(json.dumps(record, sort_keys=True), flush=True)


def bench_step(bodies, batches=7, steps=100_000):
    sim = make_simulation(bodies, 1.0)
    advance(sim, steps)  # warm-up
    samples = []
    for _ in range(batches):
        start = time.perf_counter()
        advance(sim, steps)
        samples.append((time.perf_counter() - start) / steps)
    emit({"bench": "rebound_leapfrog_step_1s", "bodies": len(bodies),
          "median_us": statistics.median(samples) * 1e6, "min_us": min(samples) * 1e6,
          "rebound_version": rebound.__version__})


def phobos_offset(sim_a, sim_b, index):
    a, b = sim_a.particles[index], sim_b.particles[index]
    return math.dist((a.x, a.y, a.z), (b.x, b.y, b.z))


def bench_day60(bodies, repeats=7):
    names = [b["name"] for b in bodies]
    reference = make_simulation(bodies, 1.0)
    advance(reference, 86_400)
    samples = []
    for _ in range(repeats):
        sim = make_simulation(bodies, 60.0)
        start = time.perf_counter()
        advance(sim, 86_400)
        samples.append(time.perf_counter() - start)
    emit({"bench": "rebound_leapfrog_day_dt60", "median_ms": statistics.median(samples) * 1e3,
          "min_ms": min(samples) * 1e3,
          "phobos_error_km": phobos_offset(sim, reference, names.index("Phobos")) / 1e3})


def run_days(bodies, days):
    sim = make_simulation(bodies, 1.0)
    start = time.perf_counter()
    advance(sim, days * 86_400)
    emit({"bench": "rebound_leapfrog_days", "days": days, "wall_s": time.perf_counter() - start})
    return sim


def write_state(bodies, days, output):
    sim = run_days(bodies, days)
    states = [{"name": body["name"], "position_m": [p.x, p.y, p.z], "velocity_m_s": [p.vx, p.vy, p.vz]}
              for body, p in zip(bodies, sim.particles)]
    with open(output, "w") as handle:
        json.dump({"days": days, "t_s": sim.t, "bodies": states}, handle)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="*", default=["step", "day60"])
    parser.add_argument("--days", type=float, default=10.0)
    parser.add_argument("--output", default="rebound_state.json")
    args = parser.parse_args(argv)
    bodies = load_bodies()
    for what in args.what:
        if what == "step":
            bench_step(bodies)
        elif what == "day60":
            bench_day60(bodies)
        elif what == "simulate":
            run_days(bodies, args.days)
        elif what == "state":
            write_state(bodies, args.days, args.output)
        else:
            parser.error(f"unknown measurement {what!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
