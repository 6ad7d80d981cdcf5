#!/usr/bin/env bash
# The practical speed limit of gpusim's stream on this CPU, side by side with gpusim.
# (The team's yardstick, copied with sol.c from ../shared/tools/c-speed-of-light so that
# docs/benchmarks.md's figures can be reproduced from the repository; changed here only
# so that a log that stderr goes to keeps the rounds, to time to the millisecond, to name
# gpusim's engines with --engine, and to stop at a failed run, saying why: the shared copy
# sends its output to /dev/null, so that a run that failed would read as a fast time.)
#
# sol.c computes docs/reproducibility.md's stream bit for bit (same digests as every exact
# gpusim engine) and the same reduction, written so that clang's loop vectorizer fills
# AVX-512 registers and OpenMP spreads chunks over the cores. It is a yardstick, not a
# part of gpusim.
#
#   run.sh GPUSIM_BINARY [LANES STEPS ROUNDS]     defaults: 5000000 10 5, then 5000000 100 5
#
# Prints, per round, whole-process wall seconds for the C version and for gpusim's
# auto, simd and opencl backends, interleaved, then the medians and the ratios to C.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: run.sh GPUSIM_BINARY [LANES STEPS ROUNDS]}
if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/libomp.so >/dev/null 2>&1; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null && apt-get install -y -q clang libomp-dev >/dev/null
fi
sol=$(mktemp -d)/sol
clang -O3 -march=native -mprefer-vector-width=512 -ffp-contract=off -fno-math-errno -fopenmp \
	"$here/sol.c" -o "$sol" -lm
# Whole-process wall seconds to the millisecond: /usr/bin/time's %e gives
# hundredths, a fifth of a 50 ms run.
# A command that fails ends the script with its exit status and stderr.
secs() {
	local TIMEFORMAT=%3R err rc=0
	err=$(mktemp)
	{ time "$@" >/dev/null 2>"$err"; } 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "run.sh: $* failed (exit $rc): $(tail -c 600 "$err")" >&2
		rm -f "$err"
		exit "$rc"
	fi
	rm -f "$err"
}
work() { [ -n "$1" ] && echo "$1 $2 $3" || { echo "5000000 10 5"; echo "5000000 100 5"; }; }
work "${2:-}" "${3:-}" "${4:-}" | while read -r lanes steps rounds; do
	echo "== $lanes lanes x $steps steps, $rounds interleaved rounds (whole process, s)"
	for r in $(seq "$rounds"); do
		c=$(secs env OMP_NUM_THREADS=$(nproc) "$sol" "$lanes" "$steps" 1)
		line="C $c"
		for b in auto simd opencl; do
			t=$(secs "$bin" run --engine $b --lanes "$lanes" --steps "$steps" -q)
			line="$line $b $t"
		done
		echo "$line" >&2 # not tee /dev/stderr, whose reopening truncates a log
		echo "$line"
	done | python3 -c '
import sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
if not rows:
    sys.exit(1)  # a failed run, said above
med = {k: statistics.median(float(r[i + 1]) for r in rows) for i, k in enumerate(rows[0]) if i % 2 == 0}
for k, m in med.items():
    print("median %-6s %.3f s  %.2fx C" % (k, m, m / med["C"]))'
done
