"""gpusim's Python baseline: the course's weather simulation in plain Python and NumPy.

Run by `gpusim bench` (bench/python.go) with the workload on the command line;
prints one JSON object with the timings. Three versions of the recurrence
t' = Normal(anchor + p (t - anchor), sigma):

  loop    the course's pure Python loop, one npr.normal call per lane-step,
          on a sample of lanes (--loop-budget lane-steps) scaled up
  matrix  the course's NumPy version, sims[:, i] = npr.normal(...) over a
          (lanes, steps) float64 matrix, on as many lanes as --matrix-bytes holds
  vector  the best plain NumPy loop: one float32 state vector updated in place
          per step with np.random.default_rng's float32 standard normals
"""

import argparse
import json
import platform
import statistics
import sys
import time

import numpy as np
import numpy.random as npr


def loop(lanes, steps, a):
    npr.seed(a.seed)
    total = 0.0
    for _ in range(lanes):
        t = a.start
        for _ in range(steps):
            t = npr.normal(a.anchor + a.persistence * (t - a.anchor), a.sigma)
        total += t
    return total / lanes


def matrix(lanes, steps, a):
    npr.seed(a.seed)
    sims = np.zeros((lanes, steps))
    sims[:, 0] = npr.normal(a.anchor + a.persistence * (a.start - a.anchor), a.sigma, size=lanes)
    for i in range(1, steps):
        sims[:, i] = npr.normal(a.anchor + a.persistence * (sims[:, i - 1] - a.anchor), a.sigma)
    return float(sims[:, -1].mean())


def vector(lanes, steps, a):
    # t = p*t + c + sigma*z, done in place so no step allocates.
    rng = np.random.default_rng(a.seed)
    p = np.float32(a.persistence)
    c = np.float32((1 - p) * np.float32(a.anchor))
    sigma = np.float32(a.sigma)
    t = np.full(lanes, a.start, dtype=np.float32)
    z = np.empty(lanes, dtype=np.float32)
    for _ in range(steps):
        rng.standard_normal(dtype=np.float32, out=z)
        z *= sigma
        t *= p
        t += c
        t += z
    return float(t.mean(dtype=np.float64))


def timed(fn, lanes, steps, a):
    times, mean = [], 0.0
    for _ in range(a.reps):
        t0 = time.perf_counter()
        mean = fn(lanes, steps, a)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), mean


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lanes", type=int, required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--start", type=float, default=75)
    ap.add_argument("--anchor", type=float, default=72)
    ap.add_argument("--persistence", type=float, default=0.5)
    ap.add_argument("--sigma", type=float, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--loop-budget", type=int, default=1_000_000, help="lane-steps of the pure Python loop")
    ap.add_argument("--matrix-bytes", type=int, default=512 << 20, help="size cap of the float64 matrix")
    ap.add_argument("--vector-lanes", type=int, default=0, help="lane cap of the vector loop (0: none)")
    ap.add_argument("--only", default="loop,matrix,vector")
    a = ap.parse_args()
    a.seed %= 2**32  # npr.seed takes 32 bits

    sizes = {
        "loop": max(1, a.loop_budget // a.steps),
        "matrix": max(1, a.matrix_bytes // (8 * a.steps)),
        "vector": a.vector_lanes or a.lanes,
    }
    what = {
        "loop": "pure Python loop, npr.normal per lane-step",
        "matrix": "NumPy (lanes, steps) float64 matrix, npr.normal per column",
        "vector": "NumPy float32 vector, default_rng standard_normal per step, in place",
    }
    fns = {"loop": loop, "matrix": matrix, "vector": vector}
    results = []
    for name in a.only.split(","):
        n = min(a.lanes, sizes[name])
        secs, mean = timed(fns[name], n, a.steps, a)
        ns = secs * 1e9 / (n * a.steps)
        results.append({
            "method": name,
            "description": what[name],
            "sample_lanes": n,
            "steps": a.steps,
            "seconds": secs,
            "ns_per_lane_step": ns,
            "workload_seconds": ns * a.lanes * a.steps / 1e9,
            "scaled": n < a.lanes,
            "mean": mean,
        })
    json.dump({"python": platform.python_version(), "numpy": np.__version__, "results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
