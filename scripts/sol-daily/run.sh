#!/usr/bin/env bash
# --daily's cost beside the C speed of light (issue 12, item 3): sol_daily.c
# computes --daily's per-step statistics bit for bit as gpusim does (its
# steps' digests match gpusim's), vectorized by clang.
#
#   scripts/sol-daily/run.sh GPUSIM_BINARY [LANES STEPS ROUNDS]   default 5000000 100 5
#
# Per round, interleaved: ../c-speed-of-light/sol.c (the plain run's yardstick), and
# sol_daily without and with the per-step statistics (compute seconds, the
# parallel region), then gpusim's opencl engine without and with --daily
# (the JSON's kernel_s and whole-process wall_s). Prints the medians, and
# the daily/plain ratio of each (check/ tests that sol_daily.c gives
# gpusim's digests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: run.sh GPUSIM_BINARY [LANES STEPS ROUNDS]}
lanes=${2:-5000000} steps=${3:-100} rounds=${4:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=(-O3 -march=native -mprefer-vector-width=512 -ffp-contract=off -fno-math-errno -fopenmp)
clang "${flags[@]}" "$here/sol_daily.c" -o "$tmp/sol_daily" -lm
clang "${flags[@]}" "$here/../c-speed-of-light/sol.c" -o "$tmp/sol" -lm
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
for r in $(seq "$rounds"); do
	line="sol $("$tmp/sol" "$lanes" "$steps" 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["compute_s"])')"
	for d in 0 1; do
		line="$line c_daily$d $("$tmp/sol_daily" "$lanes" "$steps" 1 $d | python3 -c 'import json,sys; print(json.load(sys.stdin)["compute_s"])')"
	done
	for d in "" --daily; do
		t=$("$bin" run --engine opencl --lanes "$lanes" --steps "$steps" $d --format json |
			python3 -c 'import json,sys; t=json.load(sys.stdin)["timing"]; print(t["kernel_s"], t["wall_s"])')
		line="$line ocl_kernel${d:+_daily} ${t% *} ocl_wall${d:+_daily} ${t#* }"
	done
	# Each round to stderr as it ends, and to the summary below (not tee
	# /dev/stderr, whose reopening truncates a log that stderr goes to).
	echo "$line" >&2
	echo "$line"
done | python3 -c '
import sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
med = {k: statistics.median(float(r[i + 1]) for r in rows) for i, k in enumerate(rows[0]) if i % 2 == 0}
for k, m in med.items():
    print("median %-18s %.3f s" % (k, m))
print("daily/plain: C (sol_daily) %.2fx, opencl kernel %.2fx, opencl wall %.2fx" % (
    med["c_daily1"] / med["c_daily0"], med["ocl_kernel_daily"] / med["ocl_kernel"], med["ocl_wall_daily"] / med["ocl_wall"]))
print("opencl daily against C daily: kernel %.2fx, wall %.2fx; plain against sol.c: kernel %.2fx" % (
    med["ocl_kernel_daily"] / med["c_daily1"], med["ocl_wall_daily"] / med["c_daily1"], med["ocl_kernel"] / med["sol"]))'
