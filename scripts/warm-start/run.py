#!/usr/bin/env python3
"""The OpenCL warm start beside its floor (docs/benchmarks.md, issue 13 item 4).

    run.py GPUSIM_BINARY [ROUNDS]      default 25 rounds

Builds floor.c (cc), runs `gpusim run --engine opencl` once so that the program is cached
(in a cache folder of its own, GPUSIM_CACHE_DIR),
then times whole processes, interleaved round by round: floor.c empty and with the cached
program, and gpusim's `run --lanes 1e3 --steps 10` on opencl and on simd. Prints medians
and what the warm start adds: gpusim's (opencl against simd), the floor's (floor.c with the
program against empty), and gpusim's above the floor.
"""
import glob, os, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
gpusim = os.path.abspath(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 25
floor = os.path.join(tempfile.mkdtemp(), "floor")
subprocess.run(["cc", "-O2", os.path.join(here, "floor.c"), "-o", floor, "-ldl"], check=True)
# A cache folder of its own: the program the runs below load is its one entry, or, where the
# first start built the self-test's program too (no stored pass of the self-test yet), the one
# that does not name the self-test's kernel selftest_step (gpusim before 2026-12-05 compiled
# that kernel into its one program).
cache = tempfile.mkdtemp()
os.environ["GPUSIM_CACHE_DIR"] = cache
job = [gpusim, "run", "--lanes", "1e3", "--steps", "10", "-q"]
subprocess.run(job + ["--engine", "opencl"], capture_output=True, check=True)


def names_selftest(f):
    with open(f, "rb") as fh:
        return b"selftest_step" in fh.read()


entries = [f for f in glob.glob(os.path.join(cache, "programs", "*")) if "." not in os.path.basename(f)]
if len(entries) > 1:
    entries = [f for f in entries if not names_selftest(f)]
if len(entries) != 1:
    sys.exit(f"run.py: {len(entries)} compiled engine programs in {cache}/programs, want 1")
entry = entries[0]


def timed(args):
    t0 = time.perf_counter()
    subprocess.run(args, capture_output=True, check=True)
    return time.perf_counter() - t0


runs = {"empty": [floor], "floor": [floor, entry],
        "opencl": job + ["--engine", "opencl"], "simd": job + ["--engine", "simd"]}
times = {k: [] for k in runs}
for _ in range(rounds):
    for k, args in runs.items():
        times[k].append(timed(args))
m = {k: statistics.median(v) * 1e3 for k, v in times.items()}
print(f"medians of {rounds}: " + ", ".join(f"{k} {v:.1f} ms" for k, v in m.items()))
g, f = m["opencl"] - m["simd"], m["floor"] - m["empty"]
print(f"warm start: gpusim adds {g:.1f} ms (opencl against simd); the floor {f:.1f} ms; gpusim {g - f:.1f} ms above it")
