#!/usr/bin/env bash
# gpu-check.sh: one-shot OpenCL device check of gpusim, for a machine lent
# with a GPU for a few minutes (issue 12 item 8). `make gpu-check` runs it here.
#
#   scripts/gpu-check.sh prepare [DIR]   on a machine with Go: build gpusim
#       without cgo (CGO_ENABLED=0) into DIR (default <repo>/gpu-check) with
#       this script and, when there is one, an ICD loader libOpenCL.so.1 for
#       machines without one. Carry DIR to the device machine. The binary is
#       dynamically linked, to glibc's libc, libdl and libpthread only (purego
#       loads OpenCL with dlopen at run time), so it runs on any x86-64 glibc
#       Linux, as a machine with NVIDIA's driver is.
#   scripts/gpu-check.sh [run]   on the device machine (bash and coreutils
#       only): find the OpenCL driver and a loader, list the devices, run
#       `gpusim selftest --device all`, compare digests with the serial
#       engine's stored values, time 5e6x100, 1e8x100 and 1e9x100 exact and
#       fast and --daily, run `gpusim bench` on the CPU engines (simd,
#       parallel) over 1..nproc workers for its scaling table and Amdahl
#       fit. It writes into $OUT: gpu-check.json, the summary (ok: false on
#       any mismatch or failure); gpu-check.log, its progress lines;
#       machine.txt (uname, nvidia-smi, ICD files, ldconfig); and for each
#       gpusim command NAME.json, its JSON report, and NAME.err, its stderr
#       (devices, selftest, the jobs k*, t* or s*, cpu-bench-ENGINE).
#
# Environment (all optional):
#   OUT               result folder (default ./gpu-check-out)
#   GPUSIM            gpusim binary (default: DIR/gpusim-linux-amd64, bin/gpusim)
#   GPU_CHECK_BUDGET  seconds for the whole run (default 450; 8 minutes is the
#                     limit of a device loan); steps that do not fit are listed
#                     in "skipped", which is not a failure
#   GPU_CHECK_SMALL=1 small jobs only (CI against pocl, under a minute)
#   GPU_CHECK_DEVICE  OpenCL device index (default: first GPU, else 0)
#   GPU_CHECK_ICD_LIB vendor ICD library (default: NVIDIA's libnvidia-opencl.so.1)
#   GPUSIM_OPENCL_LIBRARY, OCL_ICD_VENDORS are respected when set.
set -u

SELF=$(readlink -f "${BASH_SOURCE[0]}")
SELF_DIR=$(dirname "$SELF")
REPO=$(cd "$SELF_DIR/.." && pwd)
MODE=${1:-run}

# -h, --help, help: the header above, its usage and variables, on stdout.
if [ "$MODE" = -h ] || [ "$MODE" = --help ] || [ "$MODE" = help ]; then
	sed -n '2,/^set -u$/{/^set -u$/d;s/^# \{0,1\}//;p}' "$SELF"
	exit 0
fi

if [ "$MODE" = prepare ]; then
	dest=${2:-$REPO/gpu-check}
	mkdir -p "$dest" || exit 1
	dest=$(cd "$dest" && pwd) || exit 1 # the build runs in $REPO: a relative DIR split the bundle
	# The version as make build sets it, so that gpu-check.json names the commit.
	version=$(cd "$REPO" && git describe --tags --always --dirty 2>/dev/null || echo dev)
	(cd "$REPO" && CGO_ENABLED=0 GOEXPERIMENT=simd go build -trimpath -ldflags="-s -w -X main.version=$version" -o "$dest/gpusim-linux-amd64" ./cmd/gpusim &&
		go run ./internal/tools/gnuhash "$dest/gpusim-linux-amd64") || exit 1
	for l in /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 /usr/lib64/libOpenCL.so.1 /usr/lib/libOpenCL.so.1; do
		if [ -e "$l" ]; then cp -L "$l" "$dest/libOpenCL.so.1"; break; fi
	done
	[ "$SELF_DIR" != "$(readlink -f "$dest")" ] && cp "$SELF" "$dest/gpu-check.sh"
	echo "prepared $dest; on the device machine: OUT=... bash $dest/gpu-check.sh"
	exit 0
fi
if [ "$MODE" != run ]; then
	echo "usage: $0 [run|prepare [DIR]|--help]" >&2
	exit 2
fi

T0=$(date +%s)
SMALL=${GPU_CHECK_SMALL:-}
BUDGET=${GPU_CHECK_BUDGET:-$([ -n "$SMALL" ] && echo 55 || echo 450)}
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
LOG=$OUT/gpu-check.log
: >"$LOG"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# gpusim's program cache in a fresh folder: the first open is a cold start,
# the later ones warm, as for a user.
export GPUSIM_CACHE_DIR=${GPUSIM_CACHE_DIR:-$WORK/cache}

log() { echo "[$(($(date +%s) - T0))s] $*" | tee -a "$LOG" >&2; }
left() { echo $((BUDGET - ($(date +%s) - T0))); }
# budget WANT: seconds a step may take, capped by what is left minus a reserve
budget() {
	local want=$1 l
	l=$(($(left) - 5))
	[ "$l" -lt "$want" ] && want=$l
	[ "$want" -lt 0 ] && want=0 # timeout 0 means no limit: callers skip below 3
	echo "$want"
}
jstr() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/ }
	s=${s//$'\r'/}
	s=${s//$'\n'/\\n}
	printf '"%s"' "$s"
}
jnum() { if [[ ${1:-} =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; then printf '%s' "$1"; else printf 'null'; fi; }
# jget FILE KEY [BLOCK]: the first "KEY" of gpusim's indented JSON, inside the
# object "BLOCK": { when given.
jget() {
	awk -v key="$2" -v blk="${3:-}" '
		BEGIN { inb = (blk == "") }
		{ line = $0; sub(/^[ \t]+/, "", line) }
		!inb { if (index(line, "\"" blk "\": {") == 1) inb = 1; next }
		index(line, "\"" key "\":") == 1 {
			v = substr(line, length(key) + 4); sub(/^ +/, "", v); sub(/,$/, "", v); gsub(/"/, "", v); print v; exit
		}
		blk != "" && line ~ /^},?$/ { exit }
	' "$1" 2>/dev/null
}

# Digests of the serial engine (cpu.Serial, gpusim main at a5ba33a); min and
# max as the JSON report writes them (float64 decimals of the float32 values):
#   name|digest|count|min|max|small|arguments
EXPECT=$(
	cat <<'EOF'
k1|38e1074544a6b290|1|75|75|small|--lanes 1 --steps 0
k2|84329b8ee86ef075|1|75.4020004272461|75.4020004272461|small|--lanes 1 --steps 1
k3|96c3321df6ec20f1|7|62.53477478027344|85.08245849609375|small|--lanes 7 --steps 3
k4|a47b4e3d83fddf3b|17|64.38603210449219|85.6351547241211|small|--lanes 17 --steps 4
k5|da83691e54ff98ed|1000003|41.495887756347656|101.2847900390625|small|--lanes 1000003 --steps 10
k6|900cbf39cf871412|5000000|41.495887756347656|101.2847900390625||--lanes 5e6 --steps 10
k7|41aa4783191b7214|100003|48.232627868652344|95.26386260986328|small|--lanes 100003 --steps 13 --daily
k8|0c3f57ee283bb111|1025|53.48674011230469|89.32783508300781|small|--lanes 8589935592 --shard 4194303/8388608 --steps 9
k10|5550c1acbc298809|200003|-67.08830261230469|201.8197784423828|small|--lanes 200003 --steps 7 --seed 18446744073709551557 --start -40 --anchor 15.5 --persistence -0.97 --sigma 12
k11-subnormal|13403c0252643d7e|100000|-4.16274317361003e-32|4.4534917095839406e-32|small|--lanes 100000 --steps 3 --seed 7 --start 1e-30 --anchor 0 --persistence 1e-9 --sigma 1e-32
k12|a9ab689c0b82040c|1000003|43.474098205566406|101.43379211425781||--lanes 1000003 --steps 101 --seed 3
EOF
)
# Timed jobs: name|digest ("" for fast math: statistics only)|seconds cap|small|arguments
TIMED=$(
	cat <<'EOF'
t1|9fd3dc97dbd0e53e|90||--lanes 5e6 --steps 100
t1f||60||--lanes 5e6 --steps 100 --math fast
t1d|9fd3dc97dbd0e53e|120||--lanes 5e6 --steps 100 --daily
t3|0215b6aa36e2b9a7|150||--lanes 1e9 --steps 100
t3f||120||--lanes 1e9 --steps 100 --math fast
t2|7bbb91cf2c9b6a2f|120||--lanes 1e8 --steps 100
t2f||60||--lanes 1e8 --steps 100 --math fast
s1|900cbf39cf871412|30|small|--lanes 5e6 --steps 10
s1f||30|small|--lanes 5e6 --steps 10 --math fast
s1d|da83691e54ff98ed|30|small|--lanes 1000003 --steps 10 --daily
EOF
)

# ------------------------------------------------------------ machine
{
	echo "== uname"; uname -a
	echo "== nvidia-smi"; nvidia-smi 2>&1 | head -20
	echo "== /etc/OpenCL/vendors"; ls -la /etc/OpenCL/vendors 2>&1
	# Each .icd file named, with a newline after the last line: pocl's has
	# none and ran into the next header.
	for f in /etc/OpenCL/vendors/*.icd; do [ -e "$f" ] && { echo "-- $f"; awk 1 "$f"; }; done
	echo "== ldconfig"; ldconfig -p 2>/dev/null | grep -E 'libOpenCL|libnvidia-opencl'
} >"$OUT/machine.txt" 2>&1
GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
DRIVER=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)
CORES=$(nproc 2>/dev/null || echo 1)
log "gpu-check: out $OUT, budget ${BUDGET}s${SMALL:+, small}, GPU ${GPU_NAME:-none} driver ${DRIVER:-?}, $CORES cores"

first() { local f; for f in "$@"; do [ -n "$f" ] && [ -e "$f" ] && { readlink -f "$f"; return 0; }; done; return 1; }
GPUSIM=${GPUSIM:-$(first "$SELF_DIR/gpusim-linux-amd64" "$REPO/gpu-check/gpusim-linux-amd64" "$REPO/bin/gpusim" || true)}
if [ -z "$GPUSIM" ]; then
	log "FATAL: no gpusim binary (run '$0 prepare' on a machine with Go, or make build)"
	printf '{"ok": false, "error": "no gpusim binary"}\n' >"$OUT/gpu-check.json"
	exit 1
fi
log "gpusim: $GPUSIM ($("$GPUSIM" version 2>/dev/null))"
# The engine flag: --engine, or --backend before the rename.
EFLAG=--engine
"$GPUSIM" run --help 2>&1 | grep -q -- '--engine ' || EFLAG=--backend

# ------------------------------------------------------------ OpenCL
# NVIDIA's driver ships libnvidia-opencl.so.1; the loader libOpenCL.so.1
# (ocl-icd, Khronos, CUDA) and /etc/OpenCL/vendors/nvidia.icd are often
# missing in containers. Register the vendor library through
# OCL_ICD_VENDORS and use the system loader, else the carried one.
NV_LIB=${GPU_CHECK_ICD_LIB:-$(first $(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so\.1 /{print $NF}') \
	/usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/lib64/libnvidia-opencl.so.1 \
	/usr/local/nvidia/lib64/libnvidia-opencl.so.1 || true)}
SYS_LOADER=$(first $(ldconfig -p 2>/dev/null | awk '/libOpenCL\.so\.1 /{print $NF}') \
	/usr/lib/x86_64-linux-gnu/libOpenCL.so.1 /usr/lib64/libOpenCL.so.1 /usr/local/cuda/lib64/libOpenCL.so.1 || true)
ICD_NOTE=""
if [ -n "$NV_LIB" ] && [ -z "${OCL_ICD_VENDORS:-}" ] && ! grep -qs -e "$(basename "$NV_LIB")" /etc/OpenCL/vendors/*.icd; then
	mkdir -p "$WORK/vendors"
	echo "$NV_LIB" >"$WORK/vendors/nvidia.icd"
	export OCL_ICD_VENDORS=$WORK/vendors
	ICD_NOTE="made $WORK/vendors/nvidia.icd -> $NV_LIB"
fi
LOADER=env
if [ -z "${GPUSIM_OPENCL_LIBRARY:-}" ]; then
	if [ -n "$SYS_LOADER" ]; then
		export GPUSIM_OPENCL_LIBRARY=$SYS_LOADER LOADER=system
	elif [ -e "$SELF_DIR/libOpenCL.so.1" ]; then
		export GPUSIM_OPENCL_LIBRARY=$SELF_DIR/libOpenCL.so.1 LOADER=carried
	elif [ -n "$NV_LIB" ]; then
		export GPUSIM_OPENCL_LIBRARY=$NV_LIB LOADER=vendor
	fi
fi
log "OpenCL: loader ${GPUSIM_OPENCL_LIBRARY:-default} ($LOADER), vendor ${NV_LIB:-none}${ICD_NOTE:+ ($ICD_NOTE)}"
timeout 60 "$GPUSIM" devices --format json >"$OUT/devices.json" 2>"$OUT/devices.err"
DEV_RC=$?
# The first GPU that is not also a CPU (Oclgrind's simulator says CPU|GPU|ACCELERATOR).
DEV=${GPU_CHECK_DEVICE:-$(awk '/"index":/{gsub(/[^0-9]/,"",$0); i=$0} /"type": "[^"]*GPU/ && !/CPU/{print i; exit}' "$OUT/devices.json")}
DEV=${DEV:-0}
# The driver: the checked device's OpenCL driver version (the first device
# of a list or "all"), else nvidia-smi's. nvidia-smi's alone left it empty
# on any other device, pocl's "3.1+debian" included.
CL_DRIVER=$(awk -v want="${DEV%%[!0-9]*}" '
	/"index":/ { i = $0; gsub(/[^0-9]/, "", i) }
	/"driver":/ && (want == "" || i == want) { v = $0; sub(/^[^:]*: *"/, "", v); sub(/",?$/, "", v); print v; exit }
' "$OUT/devices.json" 2>/dev/null)
DRIVER=${CL_DRIVER:-$DRIVER}
log "devices: exit $DEV_RC, checking device $DEV$([ $DEV_RC -ne 0 ] && echo ": $(head -c 300 "$OUT/devices.err")")${CL_DRIVER:+, driver $CL_DRIVER}"

ALL_OK=true
SKIPPED=()
ERROR=""
if [ $DEV_RC -ne 0 ]; then
	ALL_OK=false
	ERROR="gpusim devices: exit $DEV_RC: $(head -c 2000 "$OUT/devices.err")"
	SKIPPED+=(selftest digests timings)
fi

# ------------------------------------------------------------ selftest
SELFTEST_JSON=null
b=$(budget 120)
if [ $DEV_RC -eq 0 ] && [ "$b" -lt 3 ]; then
	SKIPPED+=(selftest)
elif [ $DEV_RC -eq 0 ]; then
	start=$(date +%s%N)
	timeout "$b" "$GPUSIM" selftest --device all --format json >"$OUT/selftest.json" 2>"$OUT/selftest.err"
	rc=$?
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	[ $rc -ne 0 ] && ALL_OK=false
	grep -q '"ok": true' "$OUT/selftest.json" 2>/dev/null || ALL_OK=false
	err=$(head -c 300 "$OUT/selftest.err")
	log "selftest --device all: exit $rc in ${secs}s $(grep -o '"name": "[^"]*",\s*$' "$OUT/selftest.json" | wc -l) checks${err:+; $err}"
	grep -B1 -A3 '"status": "\(fail\|limited\)"' "$OUT/selftest.json" 2>/dev/null | head -30 | tee -a "$LOG" >&2
	SELFTEST_JSON=$(printf '{"exit": %d, "seconds": %s, "report": %s}' "$rc" "$secs" "$(cat "$OUT/selftest.json" 2>/dev/null || echo null)")
	[ -s "$OUT/selftest.json" ] || SELFTEST_JSON=$(printf '{"exit": %d, "seconds": %s, "report": null, "stderr": %s}' "$rc" "$secs" "$(jstr "$(head -c 2000 "$OUT/selftest.err")")")
fi

# grun NAME CAP ARGS...: one gpusim run on the device, JSON in $OUT/NAME.json,
# process seconds in $WORK/NAME.time; 125 when out of time.
grun() {
	local name=$1 cap=$2 b
	shift 2
	b=$(budget "$cap")
	if [ "$b" -lt 3 ]; then
		SKIPPED+=("$name")
		return 125
	fi
	local start rc
	start=$(date +%s%N)
	timeout --kill-after=5 "$((b + 2))" "$GPUSIM" run --format json -q --timeout "${b}s" "$@" >"$OUT/$name.json" 2>"$OUT/$name.err"
	rc=$?
	awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }' >"$WORK/$name.time"
	# 124: gpusim's --timeout; 137: killed past it (a cold compile)
	{ [ $rc -eq 124 ] || [ $rc -eq 137 ]; } && SKIPPED+=("$name(cut)")
	return $rc
}

# ------------------------------------------------------------ digests
DIGESTS=()
while IFS='|' read -r name want wc wmin wmax small args; do
	[ -z "$name" ] || [ $DEV_RC -ne 0 ] && continue
	[ -n "$SMALL" ] && [ -z "$small" ] && continue
	# shellcheck disable=SC2086
	grun "$name" 60 $EFLAG opencl --device "$DEV" $args
	rc=$?
	[ $rc -eq 125 ] && continue
	got=$(jget "$OUT/$name.json" digest)
	count=$(jget "$OUT/$name.json" count summary)
	mn=$(jget "$OUT/$name.json" min summary)
	mx=$(jget "$OUT/$name.json" max summary)
	ok=false
	[ "$got" = "$want" ] && [ "$count" = "$wc" ] && [ "$mn" = "$wmin" ] && [ "$mx" = "$wmax" ] && ok=true
	note=""
	if [ $ok = false ] && grep -q 'flushes subnormal floats' "$OUT/$name.err"; then
		ok=null note="refused: the device flushes subnormals"
	fi
	{ [ $rc -eq 124 ] || [ $rc -eq 137 ]; } && ok=null note="cut by the time budget"
	[ "$ok" = false ] && ALL_OK=false
	log "digest $name: ${ok} got $got want $want (count $count min $mn max $mx)${note:+ $note}"
	DIGESTS+=("$(printf '{"name": %s, "args": %s, "ok": %s, "exit": %d, "digest": %s, "want": %s, "note": %s}' \
		"$(jstr "$name")" "$(jstr "$args")" "$ok" "$rc" "$(jstr "$got")" "$(jstr "$want")" "$(jstr "$note")")")
done <<<"$EXPECT"

# ------------------------------------------------------------ timings
TIMINGS=()
timing_row() { # name want args rc: one JSON row from $OUT/name.json
	local name=$1 want=$2 args=$3 rc=$4 f=$OUT/$1.json got ok=null
	got=$(jget "$f" digest)
	if [ -n "$want" ]; then
		if [ "$got" = "$want" ]; then ok=true; elif [ $rc -ne 124 ] && [ $rc -ne 137 ]; then ok=false; ALL_OK=false; fi
	fi
	# A failed run fails the check whether or not its digest is stored
	# (fast math's is not: it depends on the device).
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $rc -ne 137 ]; then ok=false; ALL_OK=false; fi
	log "time $name: exit $rc, process $(cat "$WORK/$name.time")s, wall $(jget "$f" wall_s timing)s, startup $(jget "$f" startup_s timing)s, compile $(jget "$f" compile_s timing)s, kernel $(jget "$f" kernel_s timing)s, $(jget "$f" ns_per_lane_step timing) ns/lane-step, digest $got ($ok) | $args"
	TIMINGS+=("$(printf '{"name": %s, "args": %s, "exit": %d, "digest": %s, "want": %s, "digest_ok": %s, "process_s": %s, "wall_s": %s, "startup_s": %s, "compile_s": %s, "kernel_s": %s, "transfer_s": %s, "ns_per_lane_step": %s, "device": %s}' \
		"$(jstr "$name")" "$(jstr "$args")" "$rc" "$(jstr "$got")" "$(jstr "$want")" "$ok" "$(jnum "$(cat "$WORK/$name.time")")" \
		"$(jnum "$(jget "$f" wall_s timing)")" "$(jnum "$(jget "$f" startup_s timing)")" "$(jnum "$(jget "$f" compile_s timing)")" \
		"$(jnum "$(jget "$f" kernel_s timing)")" "$(jnum "$(jget "$f" transfer_s timing)")" "$(jnum "$(jget "$f" ns_per_lane_step timing)")" \
		"$(jstr "$(jget "$f" device)")")")
}
while IFS='|' read -r name want cap small args; do
	[ -z "$name" ] || [ $DEV_RC -ne 0 ] && continue
	if [ -n "$SMALL" ]; then [ -z "$small" ] && continue; else [ -n "$small" ] && continue; fi
	# shellcheck disable=SC2086
	grun "$name" "$cap" $EFLAG opencl --device "$DEV" $args
	rc=$?
	[ $rc -eq 125 ] && continue
	timing_row "$name" "$want" "$args" $rc
done <<<"$TIMED"

# ------------------------------------------------------------ CPU scaling
# gpusim bench's scaling table and Amdahl fit for the CPU engines over 1..N
# workers (N = the cores), one bench per engine so that a cut loses only
# that engine (bench writes its report at the end). bench checks every run
# against the engine's first; the job's digest is checked here against the
# serial engine's stored one (k6, k5). Its bench report is kept whole in
# $OUT/cpu-bench-ENGINE.json; gpu-check.json lifts its scaling entry: the
# points (median, speedup, efficiency, overhead per worker count) and the
# fit (Amdahl's P, limit 1/(1-P), rms residual).
SCALING=()
SCALE_JOB="--lanes 5e6 --steps 10" SCALE_WANT=900cbf39cf871412
[ -n "$SMALL" ] && SCALE_JOB="--lanes 1000003 --steps 10" SCALE_WANT=da83691e54ff98ed
SCALE_WORKERS=$(seq -s, 1 "$CORES")
# bench_scaling FILE: the first entry of a bench report's "scaling" array,
# without its braces (gpusim's indented JSON).
bench_scaling() {
	awk '
		/^  "scaling": \[/ { ins = 1; next }
		ins && /^  \]/ { exit }
		ins && !ine && /^    \{$/ { ine = 1; next }
		ins && ine && /^    \},?$/ { exit }
		ins && ine { print }
	' "$1" 2>/dev/null
}
# simd first: seconds where parallel needs about 20 s at 5e6 x 10 on 16 cores.
for ec in simd:60 parallel:150; do
	engine=${ec%%:*} name=cpu-bench-${ec%%:*}
	b=$(budget "${ec#*:}")
	if [ "$b" -lt 3 ]; then
		SKIPPED+=("$name")
		continue
	fi
	start=$(date +%s%N)
	# shellcheck disable=SC2086
	timeout --kill-after=5 "$b" "$GPUSIM" bench --engines "$engine" $SCALE_JOB --workers "$SCALE_WORKERS" \
		--reps 3 --warmup 1 --no-sweep --baseline none --format json >"$OUT/$name.json" 2>"$OUT/$name.err"
	rc=$?
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	got=$(jget "$OUT/$name.json" digest)
	got=${got#0x}
	body=$(bench_scaling "$OUT/$name.json")
	ok=false note=""
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		SKIPPED+=("$name(cut)")
		ok=null note="cut by the time budget after: $(grep "^bench: " "$OUT/$name.err" | tail -n 1)"
	elif [ $rc -eq 0 ] && [ "$got" = "$SCALE_WANT" ] && [ -n "$body" ]; then
		ok=true
	else
		# Whole lines (head -c could split bench's "µs" into bad UTF-8), not
		# the timings.
		note=$(grep -v ' median ' "$OUT/$name.err" | tail -n 5)
	fi
	[ "$ok" = false ] && ALL_OK=false
	# The fit's fields on one line, an array's (p_range) in brackets: no
	# comma after its "[" or before its "]".
	fit=$(printf '%s\n' "$body" | awk '/^      "fit": \{/ { f = 1; next } f && /^      \}/ { exit }
		f { sub(/^ +/, ""); sub(/,$/, ""); gsub(/"/, ""); printf "%s%s", (s && !/^\]/ ? s : ""), $0; s = /\[$/ ? "" : ", " }')
	log "scaling $engine over workers $SCALE_WORKERS: exit $rc in ${secs}s, digest $got ($ok), Amdahl fit: ${fit:-none}${note:+; $note}"
	[ -n "$body" ] || body='      "engine": '"$(jstr "$engine")"', "points": null, "fit": null'
	SCALING+=("$(printf '{"exit": %d, "seconds": %s, "args": %s, "digest": %s, "want": %s, "ok": %s, "note": %s,\n%s}' \
		"$rc" "$secs" "$(jstr "$SCALE_JOB --workers $SCALE_WORKERS")" "$(jstr "$got")" "$(jstr "$SCALE_WANT")" "$ok" "$(jstr "$note")" "$body")")
done

# ------------------------------------------------------------ JSON
join() { local IFS=,; echo "$*"; }
{
	printf '{\n  "ok": %s,\n  "error": %s,\n  "small": %s,\n  "complete": %s,\n  "skipped": [%s],\n  "elapsed_s": %d,\n  "budget_s": %d,\n' \
		"$ALL_OK" "$([ -n "$ERROR" ] && jstr "$ERROR" || echo null)" "$([ -n "$SMALL" ] && echo true || echo false)" "$([ ${#SKIPPED[@]} -eq 0 ] && echo true || echo false)" \
		"$(for x in ${SKIPPED[@]+"${SKIPPED[@]}"}; do printf '%s,' "$(jstr "$x")"; done | sed 's/,$//')" "$(($(date +%s) - T0))" "$BUDGET"
	printf '  "gpu": %s,\n  "driver": %s,\n  "cores": %d,\n  "gpusim": %s,\n  "opencl_library": %s,\n  "loader": %s,\n  "icd_note": %s,\n  "device": %s,\n' \
		"$(jstr "${GPU_NAME:-}")" "$(jstr "${DRIVER:-}")" "$CORES" "$(jstr "$("$GPUSIM" version 2>/dev/null)")" \
		"$(jstr "${GPUSIM_OPENCL_LIBRARY:-}")" "$(jstr "$LOADER")" "$(jstr "$ICD_NOTE")" "$([[ $DEV =~ ^[0-9]+$ ]] && echo "$DEV" || jstr "$DEV")"
	printf '  "devices": %s,\n  "selftest": %s,\n  "digests": [%s],\n  "timings": [%s],\n  "cpu_scaling": [%s]\n}\n' \
		"$([ -s "$OUT/devices.json" ] && cat "$OUT/devices.json" || echo null)" "$SELFTEST_JSON" \
		"$(join ${DIGESTS[@]+"${DIGESTS[@]}"})" "$(join ${TIMINGS[@]+"${TIMINGS[@]}"})" "$(join ${SCALING[@]+"${SCALING[@]}"})"
} >"$OUT/gpu-check.json"
log "wrote $OUT/gpu-check.json: ok=$ALL_OK, skipped: ${SKIPPED[*]:-none}, in $(($(date +%s) - T0))s"
$ALL_OK
