#!/usr/bin/env python3
"""--daily at many steps on each engine, before and after a change (docs/benchmarks.md).

    run.py OLD_BINARY NEW_BINARY [ROUNDS] [ENGINES]    default 5 rounds, simd,parallel,opencl

Times whole processes of `gpusim run --engine E --lanes N --steps S -q`, with and without
--daily, interleaved round by round (the two binaries' order alternating), at 1e4 x 3650,
1e5 x 1000, 1e6 x 365, 5e6 x 100 and 1e5 x 10000 (serial and parallel at the first two
only, as they take seconds beyond). Prints a markdown row per job and engine: the new
binary's plain run, each binary's --daily run and its ratio over that plain run, and new
over old. Medians of ROUNDS.
"""
import os, statistics, subprocess, sys, time

if len(sys.argv) < 3:
    sys.exit(__doc__)
bins = {"old": os.path.abspath(sys.argv[1]), "new": os.path.abspath(sys.argv[2])}
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
engines = (sys.argv[4] if len(sys.argv) > 4 else "simd,parallel,opencl").split(",")
jobs = [("1e4", "3650"), ("1e5", "1000"), ("1e6", "365"), ("5e6", "100"), ("1e5", "10000")]
slow = {"serial", "parallel"}


def runs(lanes, steps, engine):
    return engine not in slow or (lanes, steps) in jobs[:2]


times = {}
for r in range(rounds):
    for lanes, steps in jobs:
        for e in engines:
            if not runs(lanes, steps, e):
                continue
            for daily in (False, True):
                for name in (["old", "new"] if r % 2 == 0 else ["new", "old"]):
                    if not daily and name == "old":
                        continue
                    cmd = [bins[name], "run", "--engine", e, "--lanes", lanes, "--steps", steps, "-q"]
                    t0 = time.perf_counter()
                    subprocess.run(cmd + (["--daily"] if daily else []), stdout=subprocess.DEVNULL, check=True)
                    times.setdefault((lanes, steps, e, daily, name), []).append(time.perf_counter() - t0)

print("| job | engine | plain | `--daily` before | `--daily` after | after / before |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for lanes, steps in jobs:
    for e in engines:
        if not runs(lanes, steps, e):
            continue
        m = lambda daily, name: statistics.median(times[(lanes, steps, e, daily, name)])
        plain, old, new = m(False, "new"), m(True, "old"), m(True, "new")
        print(f"| {lanes} x {steps} | {e} | {plain:.3f} s | {old:.3f} s ({old / plain:.2f}x) | {new:.3f} s ({new / plain:.2f}x) | {new / old:.2f} |")
