#!/usr/bin/env bash
# The one-shot device check's own failure cases, against pocl with small
# jobs (about half a minute): each must end in a gpu-check.json that says
# what happened. Usage: .ci/gpu-check-cases.sh BINARY
set -euo pipefail
BIN=$(readlink -f "$1")
REPO=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "gpu-check-cases: FAIL: $*" >&2; exit 1; }
# field FILE EXPR: a Python expression over the JSON document d.
field() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
check() { # NAME EXPECTED-RC ENV... : run the check, want its exit status
	local name=$1 want=$2 rc=0
	shift 2
	env "$@" OUT="$W/$name" GPU_CHECK_SMALL=1 bash "$REPO/scripts/gpu-check.sh" >"$W/$name.log" 2>&1 || rc=$?
	[ "$rc" -eq "$want" ] || { tail -20 "$W/$name.log" >&2; fail "$name: exit $rc, want $want"; }
	echo "gpu-check-cases: $name: exit $rc as wanted"
}

# A run that fails without a stored digest (fast math, a CPU scaling run)
# fails the check: it said ok=true.
cat >"$W/fails-fast.sh" <<EOS
#!/bin/sh
case " \$* " in *" --math fast "*|*" --workers 2 "*) echo "gpusim: error: injected" >&2; exit 1;; esac
exec "$BIN" "\$@"
EOS
chmod +x "$W/fails-fast.sh"
check fast-fails 1 GPUSIM="$W/fails-fast.sh"
[ "$(field "$W/fast-fails/gpu-check.json" 'd["ok"]')" = False ] || fail "fast-fails: ok is not false"

# No OpenCL: ok false, not complete, the steps skipped and the reason given.
check no-opencl 1 GPUSIM="$BIN" GPUSIM_OPENCL_LIBRARY=/nonexistent/libOpenCL.so.1
j=$W/no-opencl/gpu-check.json
[ "$(field "$j" 'd["ok"], d["complete"], "selftest" in d["skipped"]')" = "(False, False, True)" ] || fail "no-opencl: $(head -c 400 "$j")"
field "$j" 'd["error"]' | grep -q nonexistent || fail "no-opencl: the error does not name the library"

# A budget too small for the self-test skips it (timeout 0 meant no limit).
check tiny-budget 0 GPUSIM="$BIN" GPU_CHECK_BUDGET=5
[ "$(field "$W/tiny-budget/gpu-check.json" '"selftest" in d["skipped"], d["complete"]')" = "(True, False)" ] || fail "tiny-budget: $(head -c 300 "$W/tiny-budget/gpu-check.json")"

# A device list: valid JSON naming it (printf %d failed on "all").
check device-all 0 GPUSIM="$BIN" GPU_CHECK_DEVICE=all GPU_CHECK_BUDGET=30
[ "$(field "$W/device-all/gpu-check.json" 'd["device"]')" = all ] || fail "device-all: device is not \"all\""

# prepare with a relative folder puts the whole bundle there.
(cd "$W" && bash "$REPO/scripts/gpu-check.sh" prepare bundle >/dev/null)
[ -x "$W/bundle/gpusim-linux-amd64" ] && [ -f "$W/bundle/gpu-check.sh" ] || fail "prepare bundle: $(ls "$W/bundle")"
[ ! -e "$REPO/bundle" ] || fail "prepare bundle: built into $REPO/bundle"
echo "gpu-check-cases: ok"
