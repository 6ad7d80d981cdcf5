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
#   scripts/gpu-check.sh [run]   on the device machine (bash, coreutils,
#       grep, sed and awk only; a missing one is refused at once): find the OpenCL driver and a way to it (the system's loader,
#       the carried one, the driver itself, gpusim's own search: the first
#       that lists a GPU), list the devices, run
#       `gpusim selftest --device all`, compare digests with the serial
#       engine's stored values, time 5e6x100, 1e8x100 and 1e9x100 exact and
#       fast and --daily, run `gpusim bench` on the CPU engines (simd,
#       parallel) over 1..nproc workers for its scaling table and Amdahl
#       fit. It writes into $OUT: gpu-check.json, the summary (ok: false on
#       any mismatch or failure, exit 1; true only where nothing failed and
#       the self-test ran to its end, exit 0; null where nothing failed but
#       the time budget left the self-test out, or cut the device listing or
#       gpusim's version (a cut is not an absence: no "no OpenCL device"),
#       so nothing on the device was
#       checked, with the reason in "ok_note", exit 3); gpu-check.log, its progress lines;
#       machine.txt (uname, nvidia-smi, ICD files, ldconfig); bundle.txt, the
#       bundle's commit and files as prepare made them; and for each
#       gpusim command NAME.json, its JSON report, and NAME.err, its stderr
#       (devices, selftest, the jobs k*, t* or s*, cpu-bench-ENGINE).
#       gpu-check.json is rewritten after each step ("finished": false until
#       the end, "running" the step under way), so a run cut short (SIGTERM,
#       SIGKILL) keeps what it measured. SIGTERM, SIGINT, SIGQUIT or SIGHUP
#       to the script's process stops the gpusim job under way within 2 s,
#       writes "stopped_by" (e.g. "SIGTERM") and exits 128 + the signal's
#       number (of several sent together, the highest-numbered); SIGINT and SIGQUIT too where it was started with & from a
#       script (both ignored: it starts itself again with their default
#       action, by env --default-signal, perl or python3), but not SIGHUP
#       under nohup; a gpusim job stopped by one of them ends the check too
#       ("stopped_by": "SIGINT to its job" where the script's process did not
#       get it); SIGKILL to it alone ends the check within 3 s ("stopped_by":
#       "supervisor killed"). An OUT that cannot be written or has under 1 MiB free, or
#       a bad GPU_CHECK_BUDGET, GPU_CHECK_SMALL or GPU_CHECK_DEVICE, is refused
#       at once (exit 2; a device index once the devices are listed); where
#       OUT fills up on the way, the report goes to stdout (exit 1).
#
# Environment (all optional):
#   OUT               result folder (default ./gpu-check-out)
#   GPUSIM            gpusim binary (default: DIR/gpusim-linux-amd64, bin/gpusim)
#   GPU_CHECK_BUDGET  seconds for the whole run, a hard bound (default 450, 55 with
#                     GPU_CHECK_SMALL; a device loan allows 10 minutes a command
#                     and 15 in all, starts included; the jobs end a tenth of it, at
#                     most 3 s, or 12 times the longest save of gpu-check.json
#                     so far, before it, for the lines after the last; in the full check, while the
#                     jobs are timed, what the CPU benches will take, measured
#                     on a tenth of their jobs before each timed job, is kept
#                     for them ("cpu_reserve" says how much, and which jobs
#                     it left out); in either
#                     check each bench is measured again before it starts,
#                     times how much longer than expected the one before
#                     took); steps that
#                     do not fit, are cut at their limit, or that the rate of
#                     the job (or bench) before them says would not end in
#                     time are listed in "skipped", with
#                     why in "skipped_why", which is not a failure; the timed
#                     jobs run smallest first
#   GPU_CHECK_SMALL=1 small jobs only (CI against pocl, 20 s or so); 0 or
#                     unset: the full check; any other value is refused
#   GPU_CHECK_DEVICE  OpenCL device index, a list N,M,... or all (default:
#                     first GPU, else 0), as gpusim's --device reads them
#                     (00, +0, 0x0; spaces around an entry ignored); one
#                     that is not listed is refused
#   GPU_CHECK_ICD_LIB vendor ICD library (default: NVIDIA's libnvidia-opencl.so.1
#                     from ldconfig or the usual folders, or .so.VERSION there)
#   GPU_CHECK_SYSTEM_LOADER  the system's libOpenCL.so.1 (default: ldconfig's;
#                     "none": take the system as having none)
#   GPU_CHECK_SMI_TIMEOUT  seconds each nvidia-smi call may take (default 15)
#   GPUSIM_OPENCL_LIBRARY, OCL_ICD_VENDORS are respected when set
#                     (GPUSIM_OPENCL_LIBRARY is then the one way tried).
set -u
shopt -s globasciiranges
# START_MS: this process's start, in ms since the epoch, from which the
# budget counts: bash's EPOCHREALTIME (5.0 and later), read before any
# other line runs (no fork); date's in supervise where bash has none. It
# was read in supervise, after the tools' check, readlink and dirname,
# which a loaded machine made take a second.
START_MS=${EPOCHREALTIME:-}
START_MS=${START_MS//[!0-9]/}
START_MS=${START_MS:+$((START_MS / 1000))}

# The tools the check needs beyond bash, checked before any other line
# runs: without awk every digest read as empty (a working GPU failed every
# check), without grep no device was counted (the GPU read as absent), and
# without coreutils' readlink and dirname the script printed "command not
# found" and went on from the wrong folder. All missing ones are named.
absent=""
for tool in awk grep sed readlink dirname date head tail cat cp mv rm mkdir ls tee tr \
	sha256sum mktemp cut wc env df uname seq timeout nproc chmod od; do
	command -v "$tool" >/dev/null 2>&1 || absent+=" $tool"
done
if [ -n "$absent" ]; then
	echo "gpu-check: error: not on PATH ($PATH):$absent: the check needs bash, coreutils, grep, sed and awk" >&2
	exit 2
fi

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
	# The interpreter flag of scripts/elf-interp.sh, as every build of gpusim
	# passes it (nothing on linux/amd64).
	interp=$(cd "$REPO" && sh scripts/elf-interp.sh) || exit 1
	# An earlier prepare's files go first: a failed build left the old
	# binary there, and a loader this machine no longer has stayed.
	rm -f "$dest/gpusim-linux-amd64" "$dest/libOpenCL.so.1" "$dest/bundle.txt"
	(cd "$REPO" && CGO_ENABLED=0 GOEXPERIMENT=simd go build -trimpath -tags urfave_cli_no_docs -ldflags="-s -w -X main.version=$version $interp" -o "$dest/gpusim-linux-amd64" ./cmd/gpusim &&
		go run ./internal/tools/gnuhash "$dest/gpusim-linux-amd64") || exit 1
	for l in /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 /usr/lib64/libOpenCL.so.1 /usr/lib/libOpenCL.so.1; do
		if [ -e "$l" ]; then cp -L "$l" "$dest/libOpenCL.so.1"; break; fi
	done
	[ "$SELF_DIR" != "$(readlink -f "$dest")" ] && cp "$SELF" "$dest/gpu-check.sh"
	# What the bundle is, for the run to log beside its results.
	(cd "$dest" && { echo "prepared $(date -u +%Y-%m-%dT%H:%M:%SZ) from $version"; sha256sum gpusim-linux-amd64 gpu-check.sh $(ls libOpenCL.so.1 2>/dev/null); } >bundle.txt) || exit 1
	echo "prepared $dest; on the device machine: OUT=... bash $dest/gpu-check.sh"
	exit 0
fi
if [ "$MODE" != run ]; then
	echo "usage: $0 [run|prepare [DIR]|--help]" >&2
	exit 2
fi

# ------------------------------------------------------------ supervisor
# The check proper runs in a child of this process, the worker (this script
# again, marked GPU_CHECK_RUN=PID.N in its environment, which every job it
# starts inherits), and this process only waits for it. A batch system's
# stop (Slurm's scancel, a Kubernetes pod's) sends SIGTERM to the main
# process alone: without a supervisor the check's bash died and left its
# gpusim job to run on to its time limit (38 s on in one try), and the
# summary did not say it had been stopped. On SIGTERM, SIGINT, SIGQUIT or
# SIGHUP the supervisor sends SIGTERM to every marked process (the worker first, which
# then starts nothing more; gpusim stops within a second), SIGKILL to those
# left 2 s on, writes "stopped_by" into gpu-check.json, whose "running"
# names the step under way, logs it and exits 128 + the signal's number.
# Its traps only set a flag each, and run while it watches the worker: bash 5.2 running
# a trap while it parses a $(...) fails that command and goes on (a check
# sent SIGTERM ran on to its end), which is why the worker has none.

# ignored NUM: whether signal NUM was ignored when this shell started, as
# its children have it (the SigIgn mask of awk's /proc/self/status): bash
# ignores SIGQUIT itself, and gives its children the action it started
# with, so that its own mask (/proc/$$/status) read SIGQUIT ignored always.
ignored() {
	local m
	m=$(awk '/^SigIgn:/ { print $2 }' /proc/self/status 2>/dev/null)
	[[ $m =~ ^[0-9a-fA-F]{1,16}$ ]] && (((16#$m >> ($1 - 1)) & 1))
}
# unignore_stops: where SIGINT or SIGQUIT was ignored when this process
# started, runs the script again in this process (exec) with both at their
# default action, once (GPU_CHECK_SIGRESET=PID marks the second start), by
# the first of coreutils' env --default-signal (8.31 and later), perl or
# python3 that works; returns where none does, or neither was ignored. A
# non-interactive shell starts its background jobs with SIGINT and SIGQUIT
# ignored, and bash cannot trap a signal ignored when it started: a check
# started with & from a script (or by nohup from one) ran on after SIGINT
# to its process group (Ctrl-C, Slurm's scancel --signal=INT), whose SIGINT
# ended only the gpusim job under way, which then failed its digest, and
# likewise after SIGQUIT (Ctrl-\). SIGHUP ignored at the start (nohup)
# stays ignored, as nohup asks.
unignore_stops() {
	local tried=${GPU_CHECK_SIGRESET:-}
	unset GPU_CHECK_SIGRESET
	# The start of the process before the exec, which the budget counts from.
	[ "$tried" = "$$" ] && [[ ${GPU_CHECK_START_MS:-} =~ ^[0-9]{13,}$ ]] && START_MS=$GPU_CHECK_START_MS
	unset GPU_CHECK_START_MS
	{ ignored 2 || ignored 3; } && [ "$tried" != "$$" ] || return 0
	export GPU_CHECK_SIGRESET=$$ GPU_CHECK_START_MS=${START_MS:-}
	env --default-signal=INT,QUIT true 2>/dev/null && exec env --default-signal=INT,QUIT "$BASH" "$SELF" run
	command -v perl >/dev/null 2>&1 && perl -e 1 2>/dev/null &&
		exec perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; exec { $ARGV[0] } @ARGV or exit 127' "$BASH" "$SELF" run
	# Python ignores SIGPIPE and SIGXFSZ itself, which its exec would pass
	# on to the check and gpusim: they get their default action back too,
	# unless they were ignored here.
	command -v python3 >/dev/null 2>&1 && python3 -c '' 2>/dev/null &&
		exec python3 -c 'import os, signal, sys
for s in sys.argv[1].split(): signal.signal(getattr(signal, s), signal.SIG_DFL)
os.execv(sys.argv[2], sys.argv[2:])' "SIGINT SIGQUIT$(ignored 13 || echo " SIGPIPE")$(ignored 25 || echo " SIGXFSZ")" "$BASH" "$SELF" run
	unset GPU_CHECK_SIGRESET GPU_CHECK_START_MS
}
# end_check MARK OUT T0 WHY TEXT: SIGTERM to every process marked MARK, the
# worker first, SIGKILL to those left 2 s on; where OUT's gpu-check.json is
# not finished, "stopped_by": WHY into it and "gpu-check: TEXT during STEP"
# into the log and onto stderr.
end_check() {
	local mark=$1 out=$2 t0=$3 why=$4 text=$5 pids p i sent=" " f running
	for i in $(seq 20); do
		pids=$(grep -lsxz -- "$mark" /proc/[0-9]*/environ | sed 's|^/proc/||; s|/environ$||')
		[ -n "$pids" ] || break
		for p in $pids; do
			case $sent in *" $p "*) ;; *) kill -TERM "$p" 2>/dev/null && sent+="$p " ;; esac
		done
		sleep 0.1
	done
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	f=$out/gpu-check.json
	rm -f "$out/.gpu-check.json.tmp"
	if [ -f "$f" ] && grep -q '^  "finished": false,$' "$f"; then
		running=$(sed -n 's/^  "running": "\(.*\)",$/\1/p' "$f")
		sed 's/^  "stopped_by": null,$/  "stopped_by": "'"$why"'",/' "$f" >"$f.stop" && mv -f "$f.stop" "$f"
		echo "[$(($(date +%s) - t0))s] gpu-check: $text${running:+ during $running}; $f keeps what was measured (finished: false)" |
			tee -a "$out/gpu-check.log" >&2
	fi
}
# watchdog MARK OUT T0: run in the background by the supervisor; where the
# supervisor dies without ending the check (SIGKILL, which no process can
# trap, to its process alone), ends it (end_check, "stopped_by":
# "supervisor killed") within a second: the worker and its gpusim job ran
# on to the job's limit and the next steps. It reads its parent in /proc
# (the supervisor's, until init or a subreaper takes it over) every second,
# and ignores the signals that stop the check: the supervisor ends it with
# SIGKILL when the check has ended.
watchdog() {
	local mark=$1 out=$2 t0=$3 st fd=""
	trap '' TERM INT HUP QUIT
	exec {fd}<> <(:) || fd="" # read -t on a pipe no one writes: a pause without a sleep process
	while read -r st <"/proc/$BASHPID/stat"; do
		st=${st##*) }
		st=${st#* }
		[ "${st%% *}" = "$$" ] || break
		if [ -n "$fd" ]; then read -rt 1 -u "$fd"; else sleep 1; fi
	done
	end_check "$mark" "$out" "$t0" "supervisor killed" "its supervisor (pid $$) was killed, which stopped the check"
	exit 0
}
# stop_sig: the signal the supervisor stops by, from SEEN_HUP, SEEN_INT,
# SEEN_QUIT and SEEN_TERM, one flag for each stop signal it has seen (by
# its trap, or by the status of a wait it cut short): the highest-numbered
# (TERM 15, QUIT 3, INT 2, HUP 1), into SIG and NUM. A flag each, which
# only its trap (or the cut wait's status) sets, nothing reading it back
# to write it: the traps added to one list (SIGS+=" TERM") and the status
# of a cut wait set the list (SIGS=QUIT), so that a trap run between the
# test of the list and that set (or inside another's SIGS+=) was lost;
# TERM, QUIT and INT sent together once stopped the check with 131 under
# load, SIGTERM lost.
# bash 5.2 drops the pending trap of a lower signal that comes with a
# higher one (SIGINT's with SIGQUIT's or SIGTERM's), and ran the first trap
# of several otherwise: SIGINT and SIGQUIT sent together stopped the check
# with 130 or 131 by their order, and a wait cut short by a dropped trap's
# signal read as the worker's status.
stop_sig() {
	if [ -n "$SEEN_TERM" ]; then
		SIG=TERM NUM=15
	elif [ -n "$SEEN_QUIT" ]; then
		SIG=QUIT NUM=3
	elif [ -n "$SEEN_INT" ]; then
		SIG=INT NUM=2
	else
		SIG=HUP NUM=1
	fi
}
# seen: whether the supervisor has seen a stop signal.
seen() { [ -n "$SEEN_HUP$SEEN_INT$SEEN_QUIT$SEEN_TERM" ]; }
# alive PID: whether PID runs and is not a zombie (a child not yet waited for).
# The braces take the redirection's error too: "/proc/PID/stat: No such
# file or directory" went onto the check's stderr as each child ended.
alive() {
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}
# supervise: runs the worker; does not return. A worker that exits 129,
# 130, 131 or 143 without a stop signal here had its job stopped by SIGHUP,
# SIGINT, SIGQUIT or SIGTERM (limit), or was itself: the check ends, and
# "stopped_by" says so ("SIGINT to its job"). Stop signals that come
# together stop it by the highest-numbered (stop_sig), each seen either by
# its trap or by the status (128 + its number) of the wait it cut short
# while the worker runs on; the traps stay set for 0.2 s after the first,
# to see those that come with it.
supervise() {
	local mark worker dog rc num t0 t0ms out ign why text p tick
	SEEN_HUP="" SEEN_INT="" SEEN_QUIT="" SEEN_TERM=""
	unignore_stops
	ign="$(ignored 2 && echo INT) $(ignored 3 && echo QUIT) $(ignored 1 && echo HUP)"
	mark=GPU_CHECK_RUN=$$.$(date +%s%N) t0ms=${START_MS:-$(date +%s%3N)} out=${OUT:-$PWD/gpu-check-out}
	t0=$((t0ms / 1000))
	watchdog "$mark" "$out" "$t0" &
	dog=$!
	trap 'SEEN_TERM=1' TERM
	trap 'SEEN_INT=1' INT
	trap 'SEEN_HUP=1' HUP
	trap 'SEEN_QUIT=1' QUIT
	env "$mark" GPU_CHECK_SIGIGN="$ign" GPU_CHECK_T0_MS="$t0ms" "$BASH" "$SELF" run <&0 &
	worker=$!
	# tick: a pipe no one writes, whose read -t is a pause without a
	# process (as the watchdog's); "" where it cannot be made (then the
	# supervisor waits as wait does, below).
	exec {tick}<> <(:) || tick=""
	while ! seen; do
		# Polled with read -t, not waited for: a signal's handler that
		# cuts a wait short leaves it by a longjmp, which dropped the
		# handlers of the signals that came with it, not yet run (their
		# traps never ran), among them a SIGTERM that came before a
		# SIGQUIT: TERM, QUIT and INT sent together stopped the check with
		# 131 under load. read returns from each handler as it came.
		while [ -n "$tick" ] && ! seen && alive "$worker"; do
			read -rt 0.1 -u "$tick"
		done
		seen && break
		wait "$worker"
		rc=$?
		seen && break
		if [ "$rc" -gt 128 ] && alive "$worker"; then
			# A wait cut short by a signal whose trap did not run (its
			# flag alone: the traps of others may have run since the
			# test above, stop_sig).
			case $((rc - 128)) in 1) SEEN_HUP=1 ;; 2) SEEN_INT=1 ;; 3) SEEN_QUIT=1 ;; 15) SEEN_TERM=1 ;; *) continue ;; esac
			break
		fi
		case $rc in
		129) num=1 why="SIGHUP to its job" ;;
		130) num=2 why="SIGINT to its job" ;;
		131) num=3 why="SIGQUIT to its job" ;;
		143) num=15 why="SIGTERM to its job" ;;
		*) kill -KILL "$dog" 2>/dev/null; exit "$rc" ;;
		esac
		text="${why% to its job} stopped the job under way (or the check's worker), not sent to the check's process (pid $$)"
		break
	done
	if seen; then
		# The signals that come with the first: 0.2 s of reads as above
		# (by the clock: a trap cuts a read short), or of a wait on a
		# short sleep where there is no pipe or clock.
		if [ -n "$tick" ] && [ -n "${EPOCHREALTIME:-}" ]; then
			p=$((${EPOCHREALTIME//[!0-9]/} + 200000))
			while [ "${EPOCHREALTIME//[!0-9]/}" -lt "$p" ]; do read -rt 0.05 -u "$tick"; done
		else
			sleep 0.2 &
			p=$!
			while alive "$p"; do wait "$p"; done
		fi
	fi
	# A later signal while it ends the check is not a trap to run.
	trap '' TERM INT HUP QUIT
	if seen; then
		stop_sig
		num=$NUM why=SIG$SIG text="stopped by SIG$SIG"
	fi
	end_check "$mark" "$out" "$t0" "$why" "$text"
	kill -KILL "$dog" 2>/dev/null
	exit $((128 + num))
}
# The worker is this script run by the supervisor (its mark names its
# parent); any other run is the supervisor.
[ "${GPU_CHECK_RUN:-}" != "" ] && [ "${GPU_CHECK_RUN%%.*}" = "$PPID" ] || supervise

# T0_MS: the supervisor's start, in ms since the epoch, from which the
# budget counts.
T0_MS=${GPU_CHECK_T0_MS:-}
[[ $T0_MS =~ ^[0-9]{13,}$ ]] || T0_MS=$(date +%s%3N)
# Bad input before any work, exit 2. OUT is the one folder that reaches
# whoever runs the check on a lent machine: one that cannot be written lost
# the whole report after every step had run.
bad() { echo "gpu-check: error: $*" >&2; exit 2; }
# GPU_CHECK_SMALL=0 had turned small jobs on, as any value did.
case ${GPU_CHECK_SMALL:-} in
"" | 0) SMALL="" ;;
1) SMALL=1 ;;
*) bad "GPU_CHECK_SMALL=$GPU_CHECK_SMALL: want 1 (small jobs) or 0 (the full check)" ;;
esac
BUDGET=${GPU_CHECK_BUDGET:-$([ -n "$SMALL" ] && echo 55 || echo 450)}
OUT=${OUT:-$PWD/gpu-check-out}
# device_list VALUE: VALUE, a GPU_CHECK_DEVICE, as gpusim's --device reads
# it (engines.ParseDevices, its indexes in the count grammar of
# internal/count), into DEVICES: all, or the list of its indexes in
# decimal, as devices.json writes them; spaces around each entry (and
# around all) are ignored, and an index is decimal (leading zeros, a plus
# sign, single underscores between digits: 00, +0, 1_0) or hexadecimal
# (0x0, 0X1_F), up to 2147483647 (gpusim's MaxDeviceIndex); a minus sign
# before a zero (-0, -00, -0x0) is device 0, as gpusim takes it, and
# before any other index is refused. The one difference: gpusim trims
# Unicode spaces too (a no-break space, U+00A0), which this reads as
# bash's [:space:] does in its locale, where they are refused as no
# device index. Refused with
# exit 2 (bad): any other value, and an index listed twice. Digits alone
# were read: +0 and 0x0, which gpusim takes, were refused, and 00 passed to
# be refused once the devices were listed ("no device 00 here"). The count
# grammar's forms for sizes (1e0, 1.0, 2^0, a k suffix) no index needs are
# refused, naming the forms read.
device_list() {
	local v=$1 rest e d n seen=" "
	local want="want a device index (gpusim devices lists them; in decimal, as 00 or +0, or hexadecimal, as 0x0), a list N,M,... or all"
	v=${v#"${v%%[![:space:]]*}"} v=${v%"${v##*[![:space:]]}"}
	if [ "$v" = all ]; then
		DEVICES=all
		return
	fi
	DEVICES="" rest=$v,
	while [ -n "$rest" ]; do
		e=${rest%%,*} rest=${rest#*,}
		e=${e#"${e%%[![:space:]]*}"} e=${e%"${e##*[![:space:]]}"}
		if [[ $e =~ ^[-+]?[0-9]+(_[0-9]+)*$ ]]; then
			d=${e#[-+]} d=${d//_/} d=${d#"${d%%[!0]*}"}
			[ ${#d} -le 10 ] && [ "$((10#${d:-0}))" -le 2147483647 ] || bad "GPU_CHECK_DEVICE=$1: $e is out of range (valid range 0..2147483647); $want"
			n=$((10#${d:-0}))
		elif [[ $e =~ ^[-+]?0[xX][0-9a-fA-F]+(_[0-9a-fA-F]+)*$ ]]; then
			d=${e#[-+]} d=${d:2} d=${d//_/} d=${d#"${d%%[!0]*}"}
			[ ${#d} -le 8 ] && [ "$((16#${d:-0}))" -le 2147483647 ] || bad "GPU_CHECK_DEVICE=$1: $e is out of range (valid range 0..2147483647); $want"
			n=$((16#${d:-0}))
		else
			bad "GPU_CHECK_DEVICE=$1: $want"
		fi
		# -0 is 0 to gpusim; -1 is no device index.
		[ "${e:0:1}" != - ] || [ "$n" -eq 0 ] || bad "GPU_CHECK_DEVICE=$1: $want"
		# A device listed twice (0,0, 0,00, +0,0x0) passed here and
		# failed every device step, each refused by gpusim with exit 2.
		case $seen in *" $n "*) bad "GPU_CHECK_DEVICE=$1: device $n is listed twice; want a device index, a list N,M,... of different ones, or all" ;; esac
		seen+="$n " DEVICES+=${DEVICES:+,}$n
	done
}
# A device that is not one (x, -1) ran every step, each failing with exit 2;
# one past the list is refused once the devices are listed, below.
DEVICES=""
[ -z "${GPU_CHECK_DEVICE:-}" ] || device_list "$GPU_CHECK_DEVICE"
# Whole seconds in decimal: 010 was read as octal (8 s), and 08 as no
# number at all (a budget of 0 that skipped every step, ok true).
[[ $BUDGET =~ ^[0-9]+$ ]] && [ "$((10#$BUDGET))" -ge 1 ] && [ "$((10#$BUDGET))" -le 86400 ] ||
	bad "GPU_CHECK_BUDGET=$BUDGET: want whole seconds, 1 to 86400"
BUDGET=$((10#$BUDGET))
# END_MS: when every job, and what it left running, has ended (limit,
# hard): TAIL_MS before the budget's end, for the lines that follow the
# last job (what is left of its step, a skip for each step left, the
# summary and its two saves of gpu-check.json). TAIL_MS is a tenth of the
# budget, at most 3 s, or TAIL_SAVES times the longest save so far
# (SAVE_MS, measured in save), where that is more: those lines are mostly
# forks, as a save is, and took some 5 saves' time here (a save 40 ms,
# they 180 ms; 22 process starts against 4); a fixed margin alone was
# passed on a 2-core machine loaded to 190 (12.8 s for a budget of 12 s).
# Where each process starts 0.2 s late (case slow-tail) they took 7.7
# saves' time from the last job's end (5.6 s, a save 730 ms: its reap,
# its digest line, 13 skips, the summary and the supervisor's end), which
# 8 saves did not leave room for: the check ended 39.8 to 43.2 s into its
# budget of 40 s. 12 saves keep half as much again, for a load that rises
# in the tail.
TAIL_MIN_MS=$((BUDGET * 100 > 3000 ? 3000 : BUDGET * 100)) TAIL_SAVES=12 SAVE_MS=0
TAIL_MS=$TAIL_MIN_MS
END_MS=$((T0_MS + BUDGET * 1000 - TAIL_MS))
# The OpenCL library the caller set, the one way tried: its failure leads
# the error, where the NVIDIA driver's absence did.
USER_CL_LIB=${GPUSIM_OPENCL_LIBRARY:-}
mkdir -p "$OUT" 2>/dev/null || bad "OUT=$OUT: cannot be made a folder; set OUT to a writable folder"
OUT=$(cd "$OUT" && pwd) || bad "OUT=$OUT: cannot be entered"
{ : >"$OUT/.gpu-check.probe"; } 2>/dev/null && rm -f "$OUT/.gpu-check.probe" ||
	bad "OUT=$OUT: cannot be written; set OUT to a writable folder"
free_k=$(df -Pk "$OUT" 2>/dev/null | awk 'NR == 2 { print $4 }')
[[ ${free_k:-} =~ ^[0-9]+$ ]] && [ "$free_k" -lt 1024 ] &&
	bad "OUT=$OUT: ${free_k} KiB free, want 1024 (a run writes about 200 KiB)"
LOG=$OUT/gpu-check.log
: >"$LOG"
# ERR_FD: the check's own stderr, for lines logged while a job's stderr is redirected.
exec {ERR_FD}>&2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX" 2>/dev/null) || WORK=$(mktemp -d "$OUT/.work.XXXXXX") || bad "no temporary folder in ${TMPDIR:-/tmp} or OUT"
trap 'rm -rf "$WORK"' EXIT
# gpusim's program cache in a fresh folder: the first open is a cold start,
# the later ones warm, as for a user.
export GPUSIM_CACHE_DIR=${GPUSIM_CACHE_DIR:-$WORK/cache}

# now_us: NOW_US, microseconds since the epoch, from bash's EPOCHREALTIME
# (5.0 and later; its decimal point is the locale's) without a fork of date;
# now_ms: NOW_MS, the same in ms.
now_us() {
	NOW_US=${EPOCHREALTIME:-}
	NOW_US=${NOW_US//[!0-9]/}
	[ -n "$NOW_US" ] || NOW_US=$(date +%s%6N)
}
now_ms() {
	now_us
	NOW_MS=$((NOW_US / 1000))
}
# log writes the seconds since T0_MS, by the clock above (no fork of date),
# without tee: the lines after the last job (a skip for each step left, the
# summary) forked date, tee and tr for each, and on a 2-core machine loaded
# to 190 took 1.8 s. Its stderr copy goes to ERR_FD, the check's own
# stderr, whatever the caller's stderr is: limit runs under the job's
# redirection (2>"$OUT/NAME.err"), and the lines it logged (a job's
# children ended by reap, no time left to start it) went into the job's
# NAME.err, not the check's stderr.
log() {
	local line
	now_ms
	line="[$(((NOW_MS - T0_MS) / 1000))s] $*"
	echo "$line" >>"$LOG"
	echo "$line" >&"$ERR_FD"
}
# left_ms: LEFT_MS, the ms left of the budget; left: the whole seconds left
# (rounded down), for the log. The budget's decisions (budget, hard,
# reserve_for) count in ms: they counted whole seconds (EPOCHSECONDS less
# the start cut to its second), up to a second more or less than was left,
# and a step was started with 3 s where 2.5 were left (case whole-seconds).
left_ms() {
	now_ms
	LEFT_MS=$((T0_MS + BUDGET * 1000 - NOW_MS))
}
left() {
	left_ms
	echo $((LEFT_MS >= 0 ? LEFT_MS / 1000 : -((999 - LEFT_MS) / 1000)))
}
# budget WANT [KEEP]: whole seconds a step may take, capped by what is left
# (in ms, rounded down) minus a reserve of 5 s (or TAIL_MS and 2 s, where
# that is more) and KEEP more for later steps
budget() {
	local want=$1 l r=$(((TAIL_MS + 999) / 1000 + 2))
	[ "$r" -lt 5 ] && r=5
	left_ms
	l=$((LEFT_MS - (r + ${2:-0}) * 1000))
	l=$((l >= 0 ? l / 1000 : -1))
	[ "$l" -lt "$want" ] && want=$l
	[ "$want" -lt 0 ] && want=0 # timeout 0 means no limit: callers skip below 3
	echo "$want"
}
# ms S.mmm: a duration in ms as seconds with 3 decimals, as timeout(1) takes it.
ms() { echo "$(($1 / 1000)).$(printf %03d $(($1 % 1000)))"; }
# hard SECS: CAP, the seconds (to the ms) a job may run before SIGTERM,
# and GRACE_MS, the ms (200 to 5000) it then has before SIGKILL and what it
# left running has after its SIGTERM (reap), so that CAP + 2 GRACE_MS ends
# by END_MS: SECS where that fits, else less, the grace shrunk first; GRACE
# is GRACE_MS in seconds. False where under 0.1 s would be left. A job that
# ignored SIGTERM (and its own --timeout) took SECS + 5 s, and what it left
# 5 s more: past the budget. SHORT: true where the budget gave less than
# SECS (or nothing), false where the job has its SECS whole (cut_short).
hard() {
	local want=$(($1 * 1000)) avail cap
	SHORT=true
	now_ms
	avail=$((END_MS - NOW_MS))
	GRACE_MS=5000
	if [ $((want + 2 * GRACE_MS)) -gt "$avail" ]; then
		GRACE_MS=$(((avail - want) / 2))
		[ "$GRACE_MS" -gt 5000 ] && GRACE_MS=5000
		[ "$GRACE_MS" -lt 200 ] && GRACE_MS=200
	fi
	cap=$((avail - 2 * GRACE_MS))
	[ "$cap" -gt "$want" ] && cap=$want
	[ "$cap" -ge 100 ] || { CAP=0; return 1; }
	[ "$cap" -lt "$want" ] || SHORT=false
	CAP=$(ms "$cap") GRACE=$(ms "$GRACE_MS")
}
# limit SECS CMD...: CMD under timeout --foreground, SECS (or less: hard)
# then GRACE s to end after SIGTERM, marked GPU_CHECK_JOB=PID.N in its
# environment, which its children inherit; what is left of it is ended
# when it returns, within GRACE s. Its status; 124 without running it where
# the budget has no time left for it (hard). gpu-check.json is saved first
# with RUNNING, the step's name, which the caller sets, as "running": a
# check stopped or killed during the job says which step it was in;
# RUNNING is cleared when the job returns.
JOB_N=0
limit() {
	local secs=$1 rc tag
	shift
	JOB_N=$((JOB_N + 1)) tag=GPU_CHECK_JOB=$$.$JOB_N
	save
	if ! hard "$secs"; then
		log "no time left in the budget to start ${RUNNING:-a job}"
		RUNNING=""
		return 124
	fi
	env "$tag" timeout --foreground --kill-after="$GRACE" "$CAP" "$@"
	rc=$?
	# A job ended by a stop signal (SIGHUP, SIGINT, SIGQUIT, SIGTERM: 129,
	# 130, 131, 143) was stopped from outside, most often with the whole
	# process group (Ctrl-C, kill -- -PGID), which the supervisor takes
	# too: the check stops with it, this process exiting with the job's
	# status and gpu-check.json's "running" naming the step, and the
	# supervisor says by what (supervise). It went on, logged the stopped
	# job as a failed check and started the next; then it paused 2 s first,
	# for the supervisor to end it, which a slow machine could outlast. A
	# stop signal to the process group reaches the supervisor in the same
	# kill(2) as the job, so before the job ends and this process exits.
	case $rc in 129 | 130 | 131 | 143)
		reap "$tag" "$GRACE_MS"
		exit "$rc"
		;;
	esac
	RUNNING=""
	reap "$tag" "$GRACE_MS"
	return $rc
}
# marked TAG: the processes whose environment holds TAG (/proc's environ is
# readable for one's own processes only, which these are).
marked() { grep -lsxz -- "$1" /proc/[0-9]*/environ | sed 's|^/proc/||; s|/environ$||'; }
# reap TAG MS: SIGTERM to the processes marked TAG, SIGKILL to those left
# MS ms on, by the clock (a count of pauses of 0.1 s ran longer: each
# starts a sleep).
reap() {
	local pids end
	pids=$(marked "$1")
	[ -n "$pids" ] || return 0
	now_ms
	end=$((NOW_MS + $2))
	log "ending what the job left running: $(echo $pids)"
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	while now_ms && [ "$NOW_MS" -lt "$end" ]; do
		pids=$(marked "$1")
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	pids=$(marked "$1")
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	return 0
}
# cut_short RC [ASKED OWN]: whether the command that limit or bounded just
# ran (in this shell, not in a $(...)) and that returned RC was cut, or not
# started, for want of budget: RC 124 or 137 (timeout's, or gpusim's own
# --timeout) where hard gave less than asked (SHORT), or where the step
# ASKED for less than its OWN cap (budget shrank it). A cut so is not an
# answer: a device listing or a version that the budget cut read as no
# OpenCL device (exit 1) or as no gpusim binary (exit 2).
SHORT=false
cut_short() {
	{ [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; } || return 1
	[ "$SHORT" = true ] || [ "${2:-0}" -lt "${3:-0}" ]
}
# bounded SECS CMD...: CMD under timeout(1), as limit bounds it (hard) but
# unmarked, for the short calls that make no job (nvidia-smi, gpusim
# version); 124 without running it where no time is left.
bounded() {
	hard "$1" || return 124
	shift
	timeout -k "$GRACE" "$CAP" "$@"
}
jstr() {
	local s=$1
	# Printable ASCII, tabs and newlines alone (most strings) need no tr
	# (globasciiranges: the range is by code point in any locale).
	if [[ $s != *[!\ -~$'\n\t']* ]]; then
		s=${s//\\/\\\\}
		s=${s//\"/\\\"}
		s=${s//$'\t'/ }
		s=${s//$'\n'/\\n}
		printf '"%s"' "$s"
		return
	fi
	# Control characters JSON does not take raw (a driver's ANSI colours in
	# its build log), and any byte outside ASCII: an excerpt cut by bytes
	# (head -c) may end inside a UTF-8 character, which is not JSON.
	s=$(printf '%s' "$1" | LC_ALL=C tr -d '\000-\010\013\014\016-\037\177-\377')
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/ }
	s=${s//$'\r'/}
	s=${s//$'\n'/\\n}
	printf '"%s"' "$s"
}
# jstrn S: jstr S, or null where S is empty (a digest a cut run did not
# print, fast math's want: none is stored).
jstrn() { if [ -n "${1:-}" ]; then jstr "$1"; else printf null; fi; }
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

# The summary, gpu-check.json: written after every step (save), so that a
# run killed mid-way (the device call's time limit) leaves what it measured,
# with "finished": false and "running" naming the step under way; it was
# written only at the end. No trap here, in the worker, on SIGTERM: bash 5.2
# running a trap while it parses a $(...) fails that command ("unexpected
# EOF while looking for matching `)'") and goes on: a check sent SIGTERM ran
# on to its end (twice in a dozen tries). The supervisor (supervise) takes
# the signals and ends the worker and its jobs.
# gpusim runs under timeout --foreground, in this script's process group:
# timeout(1) otherwise puts it in a group of its own, which neither Ctrl-C
# nor a kill of the check's group reaches (a check stopped so left its
# gpusim job running for up to its whole limit, reparented to init). But
# --foreground ends the job's own process alone: what it forked ran on past
# the check. So each job is marked in its environment (limit), and whatever
# still carries the mark when the job returns is ended (reap).
ALL_OK=true SELFTEST_RAN=false SKIPPED=() ERROR="" TRIES=() LOADER=none ICD_NOTE="" DEV=null FINISHED=false BUNDLE=none RUNNING="" SKIP_WHY=() SKIP_TXT=()
SELFTEST_JSON=null DIGESTS=() TIMINGS=() SCALING=() GPUSIM_VERSION="" SMI_STATE="" GPU_NAME="" DRIVER=""
RESERVE_JSON="" RESERVE_OUT=() ROOM_FOR="the self-test"
# The CPUs this process may run on: nproc without the OpenMP variables
# it obeys (GPU images set OMP_NUM_THREADS=1, and the scaling table over
# 1..16 workers became one point, marked ok).
CORES=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc 2>/dev/null || echo 1)
join() { local IFS=,; echo "$*"; }
# verdict: the summary's "ok": false until the end and on any failure; true
# where nothing failed and the self-test ran to its end; null where nothing
# failed but nothing was checked on the device (a budget that skipped every
# step read ok true, exit 0).
verdict() {
	if [ $FINISHED != true ] || [ $ALL_OK != true ]; then
		echo false
	elif [ $SELFTEST_RAN != true ]; then
		echo null
	else
		echo true
	fi
}
ok_note() {
	[ "$(verdict)" = null ] || { echo null; return; }
	jstr "nothing checked: the time budget (GPU_CHECK_BUDGET=$BUDGET s) left no room for $ROOM_FOR; give it more seconds"
}
json() {
	printf '{\n  "ok": %s,\n  "ok_note": %s,\n  "error": %s,\n  "small": %s,\n  "finished": %s,\n  "running": %s,\n  "stopped_by": null,\n  "complete": %s,\n  "skipped": [%s],\n  "skipped_why": {%s},\n  "elapsed_s": %d,\n  "budget_s": %d,\n' \
		"$(verdict)" "$(ok_note)" "$([ -n "$ERROR" ] && jstr "$ERROR" || echo null)" "$([ -n "$SMALL" ] && echo true || echo false)" \
		"$FINISHED" "$([ -n "$RUNNING" ] && jstr "$RUNNING" || echo null)" "$([ $FINISHED = true ] && [ ${#SKIPPED[@]} -eq 0 ] && echo true || echo false)" \
		"$(for x in ${SKIPPED[@]+"${SKIPPED[@]}"}; do printf '%s,' "$(jstr "$x")"; done | sed 's/,$//')" \
		"$(join ${SKIP_WHY[@]+"${SKIP_WHY[@]}"})" "$(now_ms; echo $(((NOW_MS - T0_MS) / 1000)))" "$BUDGET"
	printf '  "gpu": %s,\n  "driver": %s,\n  "nvidia_smi": %s,\n  "cores": %d,\n  "gpusim": %s,\n  "bundle": %s,\n  "opencl_library": %s,\n  "loader": %s,\n  "icd_note": %s,\n  "opencl_tries": [%s],\n  "device": %s,\n  "device_name": %s,\n  "device_type": %s,\n' \
		"$(jstr "${GPU_NAME:-}")" "$(jstr "${DRIVER:-}")" "$(jstr "$SMI_STATE")" "$CORES" "$(jstr "$GPUSIM_VERSION")" "$(jstr "$BUNDLE")" \
		"$(jstr "${GPUSIM_OPENCL_LIBRARY:-}")" "$(jstr "$LOADER")" "$(jstrn "$ICD_NOTE")" "$(join ${TRIES[@]+"${TRIES[@]}"})" \
		"$([[ $DEV =~ ^[0-9]+$|^null$ ]] && echo "$DEV" || jstr "$DEV")" \
		"$([ -n "${DEV_NAME:-}" ] && jstr "$DEV_NAME" || echo null)" "$([ -n "${DEV_TYPE:-}" ] && jstr "$DEV_TYPE" || echo null)"
	local res=null
	[ -z "$RESERVE_JSON" ] || res="$RESERVE_JSON, \"left_out\": [$(join ${RESERVE_OUT[@]+"${RESERVE_OUT[@]}"})]}"
	printf '  "devices": %s,\n  "selftest": %s,\n  "digests": [%s],\n  "timings": [%s],\n  "cpu_reserve": %s,\n  "cpu_scaling": [%s]\n}\n' \
		"$([ -s "$OUT/devices.json" ] && cat "$OUT/devices.json" || echo null)" "$SELFTEST_JSON" \
		"$(join ${DIGESTS[@]+"${DIGESTS[@]}"})" "$(join ${TIMINGS[@]+"${TIMINGS[@]}"})" "$res" "$(join ${SCALING[@]+"${SCALING[@]}"})"
}
# skip NAME WHY: NAME (a step, or "NAME(cut)" for one cut at its time
# limit) into "skipped", and why into "skipped_why" and the log: the list
# alone did not say whether the budget, the step's own cap or an estimate
# left it out.
skip() {
	SKIPPED+=("$1")
	SKIP_WHY+=("$(jstr "$1"): $(jstr "$2")")
	SKIP_TXT+=("$1 ($2)")
	log "skipped $1: $2"
}
# save: gpu-check.json whole or not at all (a temporary file renamed), false
# when it could not be written (OUT full: the last whole one stays). Each
# save is timed: the longest, SAVE_MS, sizes TAIL_MS and END_MS (above),
# logged where it grows past the fixed margin.
save() {
	local t0 t1 rc=0
	now_us
	t0=$NOW_US
	json >"$OUT/.gpu-check.json.tmp" 2>/dev/null && mv -f "$OUT/.gpu-check.json.tmp" "$OUT/gpu-check.json" || {
		rm -f "$OUT/.gpu-check.json.tmp"
		rc=1
	}
	now_us
	t1=$(((NOW_US - t0) / 1000))
	if [ "$t1" -gt "$SAVE_MS" ]; then
		SAVE_MS=$t1
		if [ $((TAIL_SAVES * SAVE_MS)) -gt "$TAIL_MS" ]; then
			TAIL_MS=$((TAIL_SAVES * SAVE_MS)) END_MS=$((T0_MS + BUDGET * 1000 - TAIL_MS))
			log "note: a save of gpu-check.json took $SAVE_MS ms: the jobs end ${TAIL_MS} ms ($TAIL_SAVES saves' time) before the budget does, for the lines after the last"
		fi
	fi
	return $rc
}

# finish: the end: gpu-check.json with "finished": true, the summary line,
# and the exit status of the verdict (0 true, 3 null, 1 false).
finish() {
	local words
	FINISHED=true
	save || {
		# The report on stdout, where OUT failed (full): the lead's last copy.
		echo "gpu-check: error: could not write $OUT/gpu-check.json; the report follows" >&2
		json
		exit 1
	}
	# The summary line: what ok means here, and each step skipped or cut with
	# why (it listed "t3f(cut)" beside ok=true, and no reason).
	case $(verdict) in
	true) words="ok=true (nothing failed)" ;;
	null) words="ok=null (nothing checked)" ;;
	*) words="ok=false (a check failed)" ;;
	esac
	if [ ${#SKIP_TXT[@]} -eq 0 ]; then
		words+=", complete: every step ran"
	else
		words+=", not complete: skipped $(printf '%s, ' "${SKIP_TXT[@]}" | sed 's/, $//')"
	fi
	now_ms
	log "wrote $OUT/gpu-check.json: $words; in $(((NOW_MS - T0_MS) / 1000))s"
	case $(verdict) in
	true) exit 0 ;;
	null)
		log "nothing checked: the time budget left no room for $ROOM_FOR (exit 3)"
		exit 3
		;;
	*) exit 1 ;;
	esac
}
# no_room WHAT: the budget cut WHAT (or left it no time to start), so that
# nothing can be checked: each step left is skipped, with why, and the
# check ends (finish), ok null, exit 3, "the budget left no room" as for a
# self-test it left out. A cut is not an absence: a device listing that the
# budget cut under load read as no OpenCL device (ok false, exit 1), a
# version as no gpusim binary (exit 2).
no_room() {
	local x why="the time budget (GPU_CHECK_BUDGET=$BUDGET s) cut $1"
	ROOM_FOR=$1
	log "$why: nothing can be checked"
	for x in selftest digests timings cpu-bench-simd cpu-bench-parallel; do skip "$x" "$why"; done
	RUNNING=""
	finish
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
# Timed jobs, smallest first: name|digest ("" for fast math: statistics
# only)|seconds cap|small|base|arguments. A job with a base runs only where
# the base's rate (its kernel's seconds a lane-step, and the rest of its
# process) says it ends within what it may have: t3 came before t2, and a
# short budget (or a slow device: pocl runs 1e9 x 100 in about 130 s) cut t3
# at its limit, which measured nothing, and left t2 no time.
TIMED=$(
	cat <<'EOF'
t1|9fd3dc97dbd0e53e|90|||--lanes 5e6 --steps 100
t1f||60|||--lanes 5e6 --steps 100 --math fast
t1d|9fd3dc97dbd0e53e|120|||--lanes 5e6 --steps 100 --daily
t2|7bbb91cf2c9b6a2f|120||t1|--lanes 1e8 --steps 100
t2f||60||t1f|--lanes 1e8 --steps 100 --math fast
t3|0215b6aa36e2b9a7|150||t2|--lanes 1e9 --steps 100
t3f||120||t2f|--lanes 1e9 --steps 100 --math fast
s1|900cbf39cf871412|30|small||--lanes 5e6 --steps 10
s1f||30|small||--lanes 5e6 --steps 10 --math fast
s1d|da83691e54ff98ed|30|small||--lanes 1000003 --steps 10 --daily
EOF
)

# ------------------------------------------------------------ machine
# nvidia-smi under a time limit: a wedged driver holds it for ever, and the
# check hung before writing anything. Its output counts only when it
# succeeds ("NVIDIA-SMI has failed ..." on stdout was taken for the GPU's
# name); SMI_STATE says what went wrong, for the log and the JSON.
SMI_TIMEOUT=${GPU_CHECK_SMI_TIMEOUT:-15}
[[ $SMI_TIMEOUT =~ ^[0-9]+$ ]] && [ "$SMI_TIMEOUT" -ge 1 ] || bad "GPU_CHECK_SMI_TIMEOUT=$SMI_TIMEOUT: want whole seconds, 1 or more"
# In decimal: hard's arithmetic read 08 as octal, no number.
SMI_TIMEOUT=$((10#$SMI_TIMEOUT))
SMI_OUT="" SMI_STATE=ok GPU_NAME="" DRIVER=""
if ! command -v nvidia-smi >/dev/null 2>&1; then
	SMI_STATE="not found on PATH"
else
	# Its limit here, where the $(...) below cannot set it: what the
	# budget leaves, at most SMI_TIMEOUT (bounded).
	hard "$SMI_TIMEOUT" && smi_s=$CAP || smi_s=0
	SMI_OUT=$(bounded "$SMI_TIMEOUT" nvidia-smi 2>&1)
	rc=$?
	case $rc in
	0) ;;
	124 | 137)
		# A cut by the budget is not a driver that hangs (SHORT, from the hard above).
		if [ "$smi_s" = 0 ]; then
			SMI_STATE="not run: no time left in the time budget"
		elif [ "$SHORT" = true ]; then
			SMI_STATE="cut at ${smi_s%.000}s by the time budget (its limit is ${SMI_TIMEOUT}s)"
		else
			SMI_STATE="timed out after ${smi_s%.000}s"
		fi
		;;
	*) SMI_STATE="failed (exit $rc): $(head -n 1 <<<"$SMI_OUT")" ;;
	esac
	if [ "$SMI_STATE" = ok ] && q=$(bounded "$SMI_TIMEOUT" nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null); then
		q=$(head -n 1 <<<"$q")
		GPU_NAME=${q%, *} DRIVER=${q##*, }
	fi
fi
{
	echo "== uname"; uname -a
	echo "== nvidia-smi"; [ "$SMI_STATE" = ok ] || echo "nvidia-smi: $SMI_STATE"; head -20 <<<"$SMI_OUT"
	echo "== /etc/OpenCL/vendors"; ls -la /etc/OpenCL/vendors 2>&1
	# Each .icd file named, with a newline after the last line: pocl's has
	# none and ran into the next header.
	for f in /etc/OpenCL/vendors/*.icd; do [ -e "$f" ] && { echo "-- $f"; awk 1 "$f"; }; done
	echo "== ldconfig"; ldconfig -p 2>/dev/null | grep -E 'libOpenCL|libnvidia-opencl'
} >"$OUT/machine.txt" 2>&1
log "gpu-check: out $OUT, budget ${BUDGET}s${SMALL:+, small}, GPU ${GPU_NAME:-none} driver ${DRIVER:-?}$([ "$SMI_STATE" = ok ] || echo " (nvidia-smi: $SMI_STATE)"), $CORES cores"
# A stop that cannot work here, said at the start: the signals ignored in
# the supervisor (unignore_stops), which it names in GPU_CHECK_SIGIGN (the
# worker, a background job of the supervisor, has SIGINT and SIGQUIT
# ignored whatever).
ign=""
case " ${GPU_CHECK_SIGIGN:-} " in *" INT "*) ign=SIGINT ;; esac
case " ${GPU_CHECK_SIGIGN:-} " in *" QUIT "*) ign+="${ign:+ and }SIGQUIT" ;; esac
if [ -n "$ign" ]; then
	[[ $ign == *and* ]] && are="are" them="them" verb="do" || are="is" them="it" verb="does"
	log "note: $ign $are ignored here (started in the background of a script?) and neither env --default-signal, perl nor python3 could reset $them: $ign to the check's process $verb not stop it (to its process group, they stop the job under way, which ends the check), SIGTERM does"
fi
case " ${GPU_CHECK_SIGIGN:-} " in *" HUP "*)
	log "note: SIGHUP is ignored here (nohup), as whoever started the check asked: SIGHUP does not stop it, SIGTERM, SIGINT and SIGQUIT do" ;;
esac

first() { local f; for f in "$@"; do [ -n "$f" ] && [ -e "$f" ] && { readlink -f "$f"; return 0; }; done; return 1; }
GPUSIM_SET=${GPUSIM:-}
GPUSIM=${GPUSIM:-$(first "$SELF_DIR/gpusim-linux-amd64" "$REPO/gpu-check/gpusim-linux-amd64" "$REPO/bin/gpusim" || true)}
if [ -z "$GPUSIM" ]; then
	log "FATAL: no gpusim binary (run '$0 prepare' on a machine with Go, or make build)"
	ALL_OK=false ERROR="no gpusim binary" FINISHED=true
	save
	exit 1
fi
# notgpusim WHY: the check ends: GPUSIM is not gpusim's binary (exit 2
# where the caller named it, 1 for the bundle's own).
notgpusim() {
	log "FATAL: $GPUSIM_NAMED is not a gpusim binary: $1"
	ALL_OK=false ERROR="$GPUSIM_NAMED is not a gpusim binary ($1); set GPUSIM to gpusim's binary, or unset it to use the bundle's" FINISHED=true
	save
	[ -n "${GPUSIM_SET:-}" ] && exit 2
	exit 1
}
# A name on PATH (GPUSIM=gpusim) is its file there.
[[ $GPUSIM == */* ]] || GPUSIM=$(command -v -- "$GPUSIM" || echo "$GPUSIM")
GPUSIM_NAMED=$GPUSIM
[ -e "$GPUSIM" ] || notgpusim "there is no such file"
[ -f "$GPUSIM" ] || notgpusim "it is not a regular file"
# A carried binary that lost its execute bit on the way runs from a copy
# (every gpusim command failed with exit 126, "Permission denied"); an ELF
# executable only: a text file named by GPUSIM, copied with the bit set,
# ran as a shell script.
if [ ! -x "$GPUSIM" ]; then
	[ "$(head -c 4 "$GPUSIM" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] ||
		notgpusim "it is not executable, nor an ELF binary that lost its execute bit"
	cp "$GPUSIM" "$WORK/gpusim" && chmod +x "$WORK/gpusim" && log "gpusim: $GPUSIM is not executable; running a copy, $WORK/gpusim" && GPUSIM=$WORK/gpusim
fi
# Into a file, not a $(...): cut_short reads what hard set in this shell.
bounded 10 "$GPUSIM" version >"$WORK/version.out" 2>/dev/null
rc=$?
GPUSIM_VERSION=$(head -c 300 "$WORK/version.out")
log "gpusim: $GPUSIM_NAMED ($GPUSIM_VERSION)"
cut_short $rc && no_room "gpusim's version (GPUSIM=$GPUSIM_NAMED, exit $rc): whether it is gpusim is not known"
# A binary that is not gpusim (/bin/true) ran every step, and the error
# blamed the NVIDIA driver.
if [[ $GPUSIM_VERSION != gpusim\ * ]]; then
	why=$(bounded 10 "$GPUSIM" version 2>&1 | head -c 300)
	notgpusim "its 'version' printed ${why:-nothing}"
fi
# The bundle as prepare made it: its commit and files' hashes, against
# those here (a stale or half-copied bundle).
if [ -e "$SELF_DIR/bundle.txt" ]; then
	cp "$SELF_DIR/bundle.txt" "$OUT/bundle.txt" 2>/dev/null
	log "bundle: $(head -n 1 "$SELF_DIR/bundle.txt")"
	# In the summary too (the log alone said it): "ok", or "differs";
	# "unused" where GPUSIM named another binary.
	BUNDLE=ok
	(cd "$SELF_DIR" && tail -n +2 bundle.txt | sha256sum -c --quiet >/dev/null 2>&1) ||
		{ BUNDLE=differs; log "bundle: its files are not those prepare made (bundle.txt's hashes differ)"; }
	[ "$(readlink -f "$GPUSIM_NAMED")" = "$(readlink -f "$SELF_DIR/gpusim-linux-amd64")" ] || BUNDLE=unused
elif [ -e "$SELF_DIR/gpusim-linux-amd64" ]; then
	# A bundle without its bundle.txt (lost in a copy).
	BUNDLE=missing
	log "bundle: no bundle.txt beside the bundle's gpusim: what prepare made is not known"
fi
# The engine flag: --engine, or --backend before the rename.
EFLAG=--engine
bounded 10 "$GPUSIM" run --help >"$WORK/run-help.txt" 2>&1
rc=$?
# A help cut by the budget had every run use --backend.
cut_short $rc && no_room "gpusim run --help (exit $rc): its engine flag is not known"
grep -q -- '--engine ' "$WORK/run-help.txt" || EFLAG=--backend

# ------------------------------------------------------------ OpenCL
# NVIDIA's driver ships libnvidia-opencl.so.1 (in a container sometimes only
# as libnvidia-opencl.so.VERSION); the loader libOpenCL.so.1 (ocl-icd,
# Khronos, CUDA) and /etc/OpenCL/vendors/nvidia.icd are often missing.
# Register the vendor library through OCL_ICD_VENDORS, then try each way to
# it in turn with `gpusim devices` until one lists a GPU: the system loader,
# the carried one (which needs glibc 2.34: it may not load there), the
# vendor library itself, gpusim's own search. One way alone was tried, and
# its failure skipped every GPU step.
NV_DIRS="/usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/nvidia /run/nvidia/driver/usr/lib/x86_64-linux-gnu /run/nvidia/driver/usr/lib64 /usr/lib/wsl/lib"
nv_libs() {
	local d
	ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so\.1 /{print $NF}'
	for d in $NV_DIRS; do echo "$d/libnvidia-opencl.so.1"; done
	for d in $NV_DIRS; do ls "$d"/libnvidia-opencl.so.[0-9]* 2>/dev/null; done
}
# shellcheck disable=SC2046
NV_LIB=${GPU_CHECK_ICD_LIB:-$(first $(nv_libs) || true)}
case ${GPU_CHECK_SYSTEM_LOADER:-} in
none) SYS_LOADER="" ;;
"") SYS_LOADER=$(first $(ldconfig -p 2>/dev/null | awk '/libOpenCL\.so\.1 /{print $NF}') \
	/usr/lib/x86_64-linux-gnu/libOpenCL.so.1 /usr/lib64/libOpenCL.so.1 /usr/local/cuda/lib64/libOpenCL.so.1 || true) ;;
*) SYS_LOADER=$GPU_CHECK_SYSTEM_LOADER ;;
esac
ICD_NOTE=""
# An .icd file that names NVIDIA's library by any of its names (the
# stock nvidia.icd names libnvidia-opencl.so.1, where NV_LIB is the file
# it links to, .so.VERSION): none is made, which would hide the others.
if [ -n "$NV_LIB" ] && [ -z "${OCL_ICD_VENDORS:-}" ] && ! grep -qs -e 'libnvidia-opencl\.so' /etc/OpenCL/vendors/*.icd; then
	mkdir -p "$WORK/vendors"
	echo "$NV_LIB" >"$WORK/vendors/nvidia.icd"
	export OCL_ICD_VENDORS=$WORK/vendors
	ICD_NOTE="made $WORK/vendors/nvidia.icd -> $NV_LIB"
fi
# LOADER|LIBRARY: GPUSIM_OPENCL_LIBRARY alone when it is set, as gpusim does.
WAYS=()
if [ -n "${GPUSIM_OPENCL_LIBRARY:-}" ]; then
	WAYS=("env|$GPUSIM_OPENCL_LIBRARY")
else
	[ -n "$SYS_LOADER" ] && WAYS+=("system|$SYS_LOADER")
	[ -e "$SELF_DIR/libOpenCL.so.1" ] && WAYS+=("carried|$SELF_DIR/libOpenCL.so.1")
	[ -n "$NV_LIB" ] && WAYS+=("vendor|$NV_LIB")
	WAYS+=("search|")
fi
log "OpenCL: vendor ${NV_LIB:-none}${ICD_NOTE:+ ($ICD_NOTE)}, ways: ${WAYS[*]}"
# CUT: where the budget cut a way (or left ways untried), which and how:
# with no device listed, the check then ends for want of room (no_room),
# not for want of a device.
DEV_RC=1 pick="" i=0 TRIED="" SEARCH="(gpusim's own search)" CUT=""
for w in "${WAYS[@]}"; do
	i=$((i + 1)) loader=${w%%|*} lib=${w#*|} b=$(budget 60)
	# The first way always, for 10 s at least (a budget of 5 s skipped the
	# self-test but listed the devices); the others where time is left.
	[ $i -eq 1 ] && [ "$b" -lt 10 ] && b=10
	if [ "$b" -lt 3 ]; then
		CUT="the device listing: no time left to try the ways from $loader on"
		break
	fi
	if [ -n "$lib" ]; then envs=(GPUSIM_OPENCL_LIBRARY="$lib"); else envs=(-u GPUSIM_OPENCL_LIBRARY); fi
	RUNNING="devices ($loader)"
	limit "$b" env "${envs[@]}" "$GPUSIM" devices --format json >"$WORK/devices-$i.json" 2>"$WORK/devices-$i.err"
	rc=$?
	n=$(grep -c '"index":' "$WORK/devices-$i.json" 2>/dev/null)
	gpus=$(awk '/"type": "[^"]*GPU/ && !/CPU/' "$WORK/devices-$i.json" 2>/dev/null | grep -c .)
	err=$(head -n 1 "$WORK/devices-$i.err" | head -c 400)
	log "devices, way $loader: ${lib:-$SEARCH}: exit $rc, ${n:-0} devices, ${gpus:-0} GPUs${err:+: $err}"
	TRIED+="$loader ${lib:-$SEARCH}: exit $rc${err:+: $err}; "
	row=$(printf '{"loader": %s, "library": %s, "exit": %d, "devices": %d, "gpus": %d, "error": %s}' \
		"$(jstr "$loader")" "$(jstr "$lib")" "$rc" "${n:-0}" "${gpus:-0}" "$(jstr "$(head -c 2000 "$WORK/devices-$i.err")")")
	TRIES+=("$row")
	if [ $rc -eq 0 ] && [ "${n:-0}" -gt 0 ]; then
		[ -z "$pick" ] && pick=$i LOADER=$loader PICK_LIB=$lib
		[ "${gpus:-0}" -gt 0 ] && { pick=$i LOADER=$loader PICK_LIB=$lib; break; }
	fi
	if cut_short $rc "$b" 60; then
		CUT="the device listing (way $loader: exit $rc, given ${CAP%.000} s of its 60 s)"
		break
	fi
	# A driver that hangs hangs for every loader.
	{ [ $rc -eq 124 ] || [ $rc -eq 137 ]; } && break
done
if [ -n "$pick" ]; then
	DEV_RC=0
	if [ -n "$PICK_LIB" ]; then export GPUSIM_OPENCL_LIBRARY=$PICK_LIB; else unset GPUSIM_OPENCL_LIBRARY; fi
	cp "$WORK/devices-$pick.json" "$OUT/devices.json"
	cp "$WORK/devices-$pick.err" "$OUT/devices.err"
else
	cp "$WORK/devices-1.json" "$OUT/devices.json" 2>/dev/null
	cp "$WORK/devices-1.err" "$OUT/devices.err" 2>/dev/null
	[ -z "$CUT" ] || no_room "$CUT"
fi
# The first GPU that is not also a CPU (Oclgrind's simulator says CPU|GPU|ACCELERATOR).
DEV=${DEVICES:-$(awk '/"index":/{gsub(/[^0-9]/,"",$0); i=$0} /"type": "[^"]*GPU/ && !/CPU/{print i; exit}' "$OUT/devices.json" 2>/dev/null)}
DEV=${DEV:-0}
if [ $DEV_RC -eq 0 ] && [ -n "${GPU_CHECK_DEVICE:-}" ] && [ "$DEV" != all ]; then
	have=$(awk '/"index":/ { gsub(/[^0-9]/, ""); printf "%s ", $0 }' "$OUT/devices.json" 2>/dev/null)
	for d in ${DEV//,/ }; do
		case " $have" in *" $d "*) ;; *)
			# In the log and the summary too: OUT held devices.json
			# and a log that did not say why the check stopped.
			msg="GPU_CHECK_DEVICE=$GPU_CHECK_DEVICE: no device $d here (the devices: ${have% }; devices.json lists them)"
			log "FATAL: $msg"
			ALL_OK=false ERROR=$msg FINISHED=true
			save
			bad "$msg"
			;;
		esac
	done
fi
# The driver: the checked device's OpenCL driver version (the first device
# of a list or "all"), else nvidia-smi's. nvidia-smi's alone left it empty
# on any other device, pocl's "3.1+debian" included.
CL_DRIVER=$(awk -v want="${DEV%%[!0-9]*}" '
	/"index":/ { i = $0; gsub(/[^0-9]/, "", i) }
	/"driver":/ && (want == "" || i == want) { v = $0; sub(/^[^:]*: *"/, "", v); sub(/",?$/, "", v); print v; exit }
' "$OUT/devices.json" 2>/dev/null)
DRIVER=${CL_DRIVER:-$DRIVER}
# The checked device's name and type, for a single index: the summary's
# "gpu" is nvidia-smi's name, "" where there is none, and a check that
# found pocl's CPU device alone (no way to the GPU's driver listed it)
# said ok true without saying what it had checked was a CPU.
DEV_NAME="" DEV_TYPE=""
if [ $DEV_RC -eq 0 ] && [[ $DEV =~ ^[0-9]+$ ]]; then
	devfield() {
		awk -v want="$DEV" -v key="\"$1\":" '
			/"index":/ { i = $0; gsub(/[^0-9]/, "", i) }
			i == want && index($0, key) { v = $0; sub(/^[^:]*: *"/, "", v); sub(/",?$/, "", v); print v; exit }
		' "$OUT/devices.json" 2>/dev/null
	}
	DEV_NAME=$(devfield name) DEV_TYPE=$(devfield type)
	# A GPU that is not also a CPU, as the device is picked above.
	if [[ $DEV_TYPE != *GPU* || $DEV_TYPE == *CPU* ]]; then
		if [ -n "${GPU_CHECK_DEVICE:-}" ]; then why="GPU_CHECK_DEVICE=$GPU_CHECK_DEVICE names it"; else why="no way to OpenCL listed a GPU here"; fi
		log "note: device $DEV (${DEV_NAME:-?}) is a ${DEV_TYPE:-device of no type}, not a GPU: $why"
	fi
fi
if [ $DEV_RC -ne 0 ]; then
	# What is missing, in words: the tries' errors name libraries only.
	missing=""
	[ -n "$USER_CL_LIB" ] && missing+="GPUSIM_OPENCL_LIBRARY=$USER_CL_LIB, the one way tried as it is set, listed no device ($(head -n 1 "$WORK/devices-1.err" 2>/dev/null | head -c 300)): point it at an OpenCL library or ICD loader, or unset it to try the others; "
	[ -z "$NV_LIB" ] && missing+="no NVIDIA OpenCL driver: libnvidia-opencl.so.1 is not in ldconfig's cache or in ${NV_DIRS// /, } (install the driver's OpenCL part, e.g. Ubuntu's libnvidia-compute-VERSION, or set GPU_CHECK_ICD_LIB to it); "
	[ -n "$NV_LIB" ] && missing+="NVIDIA's OpenCL driver $NV_LIB is there but no way to it listed a device; "
	[ -z "$SYS_LOADER" ] && [ ! -e "$SELF_DIR/libOpenCL.so.1" ] && missing+="no ICD loader libOpenCL.so.1 (none on the system, none carried by prepare); "
	ls /dev/nvidia[0-9]* >/dev/null 2>&1 || missing+="no /dev/nvidia0 (no GPU visible here); "
	missing+="nvidia-smi: $SMI_STATE"
	ALL_OK=false
	ERROR="no OpenCL device: $missing; tried ${TRIED:-nothing (no time left)}first error in full: $(head -c 1500 "$WORK/devices-1.err" 2>/dev/null)"
	for x in selftest digests timings; do skip "$x" "no OpenCL device (see error)"; done
	log "no OpenCL device: $missing"
fi
log "devices: exit $DEV_RC, loader $LOADER${GPUSIM_OPENCL_LIBRARY:+ $GPUSIM_OPENCL_LIBRARY}, checking device $DEV${DEV_NAME:+ ($DEV_NAME, $DEV_TYPE)}${CL_DRIVER:+, driver $CL_DRIVER}"
save

# ------------------------------------------------------------ selftest
b=$(budget 120)
if [ $DEV_RC -eq 0 ] && [ "$b" -lt 3 ]; then
	skip selftest "the budget had $(left) s left, too few to start it"
elif [ $DEV_RC -eq 0 ]; then
	start=$(date +%s%N)
	RUNNING=selftest
	limit "$b" "$GPUSIM" selftest --device all --format json >"$OUT/selftest.json" 2>"$OUT/selftest.err"
	rc=$?
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	err=$(head -c 300 "$OUT/selftest.err")
	if cut_short $rc "$b" 120; then
		# Cut by what was left of the budget, not by the self-test's
		# own limit: skipped, as a step that does not fit is (it
		# failed the check, ok false with no error, where a budget a
		# second smaller skipped it and passed).
		skip "selftest(cut)" "cut at ${b} s, what the budget left it (its cap is 120 s)"
	elif [ $rc -ne 0 ] || ! grep -q '"ok": true' "$OUT/selftest.json" 2>/dev/null; then
		ALL_OK=false SELFTEST_RAN=true
		[ -n "$ERROR" ] || ERROR="selftest --device all failed: exit $rc${err:+: $err}"
	else
		SELFTEST_RAN=true
	fi
	log "selftest --device all: exit $rc in ${secs}s $(grep -o '"name": "[^"]*",\s*$' "$OUT/selftest.json" | wc -l) checks${err:+; $err}"
	grep -B1 -A3 '"status": "\(fail\|limited\)"' "$OUT/selftest.json" 2>/dev/null | head -30 | tee -a "$LOG" >&2
	SELFTEST_JSON=$(printf '{"exit": %d, "seconds": %s, "report": %s}' "$rc" "$(jnum "$secs")" "$(cat "$OUT/selftest.json" 2>/dev/null || echo null)")
	[ -s "$OUT/selftest.json" ] || SELFTEST_JSON=$(printf '{"exit": %d, "seconds": %s, "report": null, "stderr": %s}' "$rc" "$(jnum "$secs")" "$(jstr "$(head -c 2000 "$OUT/selftest.err")")")
fi
save

# grun NAME CAP ARGS...: one gpusim run on the device, JSON in $OUT/NAME.json,
# process seconds in $WORK/NAME.time; 125 when out of time, or where EST
# (whole seconds the run is expected to take, "" for unknown; EST_WHY says
# from what) is more than it may have: a run that would be cut at its limit
# measures nothing, and took the budget from the steps after it.
EST="" EST_WHY=""
grun() {
	local name=$1 cap=$2 b why
	shift 2
	b=$(budget "$cap" "$KEEP")
	why="the budget had $(left) s left"
	[ "$KEEP" -gt 0 ] && why+=", $KEEP s of them kept for the CPU benches"
	if [ "$b" -lt 3 ]; then
		skip "$name" "$why, too few to start it"
		kept_out "$name" "$cap"
		return 125
	fi
	if [ -n "$EST" ] && [ "$EST" -gt "$b" ]; then
		[ "$b" -eq "$cap" ] && why="its cap is $cap s" || why="$why, $b s for it"
		skip "$name" "not run: about $EST s $EST_WHY; $why"
		kept_out "$name" "$cap"
		return 125
	fi
	local start rc
	start=$(date +%s%N)
	RUNNING=$name
	limit "$((b + 2))" "$GPUSIM" run --format json -q --timeout "${b}s" "$@" >"$OUT/$name.json" 2>"$OUT/$name.err"
	rc=$?
	awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }' >"$WORK/$name.time"
	# 124: gpusim's --timeout; 137: killed past it (a cold compile)
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		cut_short $rc "$b" "$cap" && why="what the budget left it (its cap is $cap s)" || why="its cap"
		skip "$name(cut)" "cut at $b s, $why"
	fi
	return $rc
}

# kept_out NAME CAP: where the job NAME, just skipped, would have run but
# for KEEP (the budget without it leaves it 3 s or more, and EST, where
# set, fits), its name and why into RESERVE_OUT, for "cpu_reserve".
kept_out() {
	local b0
	[ "$KEEP" -gt 0 ] || return 0
	b0=$(budget "$2")
	[ "$b0" -ge 3 ] && { [ -z "$EST" ] || [ "$EST" -le "$b0" ]; } || return 0
	RESERVE_OUT+=("$(printf '{"job": %s, "why": %s}' "$(jstr "$1")" "$(jstr "${SKIP_TXT[${#SKIP_TXT[@]} - 1]}")")")
}

# ------------------------------------------------------------ digests
# KEEP: seconds grun leaves for later steps: the CPU scaling benches, which
# need no GPU, while the 1e9 jobs are timed (their caps summed to 720 s of
# a 450 s budget, and a slow GPU left the benches none).
KEEP=0
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
	row=$(printf '{"name": %s, "args": %s, "ok": %s, "exit": %d, "digest": %s, "want": %s, "note": %s}' \
		"$(jstr "$name")" "$(jstr "$args")" "$ok" "$rc" "$(jstrn "$got")" "$(jstr "$want")" "$(jstrn "$note")")
	DIGESTS+=("$row")
	save
done <<<"$EXPECT"

# ------------------------------------------------------------ timings
timing_row() { # name want args rc: one JSON row from $OUT/name.json
	local name=$1 want=$2 args=$3 rc=$4 f=$OUT/$1.json got ok=null sane=null
	got=$(jget "$f" digest)
	if [ -n "$want" ]; then
		if [ "$got" = "$want" ]; then ok=true; elif [ $rc -ne 124 ] && [ $rc -ne 137 ]; then ok=false; ALL_OK=false; fi
	elif [ $rc -eq 0 ]; then
		# Fast math's digest is the device's own: its statistics are
		# checked instead, every lane counted and the default model's
		# values where they belong (mean 72 within 1, extremes within
		# 0..150; 1e9 lanes reach about 72 +- 36), so that garbage
		# with exit 0 fails the check.
		sane=$(awk -v c="$(jget "$f" count summary)" -v m="$(jget "$f" mean summary)" -v lo="$(jget "$f" min summary)" -v hi="$(jget "$f" max summary)" \
			-v want="$(awk '{ for (i = 1; i < NF; i++) if ($i == "--lanes") { printf "%.0f", $(i + 1); exit } }' <<<"$args")" \
			'BEGIN { print (c == want && c != "" && m + 0 > 71 && m + 0 < 73 && lo + 0 >= 0 && hi + 0 <= 150 && lo != "" && hi != "") ? "true" : "false" }')
		[ "$sane" = false ] && ALL_OK=false
	fi
	# A failed run fails the check whether or not its digest is stored
	# (fast math's is not: it depends on the device).
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $rc -ne 137 ]; then ok=false; ALL_OK=false; fi
	# A run cut at its limit wrote no timing: its line said "wall s,
	# startup s, ..." with the numbers missing.
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		log "time $name: exit $rc, cut after $(cat "$WORK/$name.time") s, no timing | $args"
	else
		log "time $name: exit $rc, process $(cat "$WORK/$name.time")s, wall $(jget "$f" wall_s timing)s, startup $(jget "$f" startup_s timing)s, compile $(jget "$f" compile_s timing)s, kernel $(jget "$f" kernel_s timing)s, $(jget "$f" ns_per_lane_step timing) ns/lane-step, digest $got ($ok)$([ "$sane" = null ] || echo ", statistics sane: $sane") | $args"
	fi
	row=$(printf '{"name": %s, "args": %s, "exit": %d, "digest": %s, "want": %s, "digest_ok": %s, "statistics_ok": %s, "process_s": %s, "wall_s": %s, "startup_s": %s, "compile_s": %s, "kernel_s": %s, "transfer_s": %s, "ns_per_lane_step": %s, "device": %s}' \
		"$(jstr "$name")" "$(jstr "$args")" "$rc" "$(jstrn "$got")" "$(jstrn "$want")" "$ok" "$sane" "$(jnum "$(cat "$WORK/$name.time")")" \
		"$(jnum "$(jget "$f" wall_s timing)")" "$(jnum "$(jget "$f" startup_s timing)")" "$(jnum "$(jget "$f" compile_s timing)")" \
		"$(jnum "$(jget "$f" kernel_s timing)")" "$(jnum "$(jget "$f" transfer_s timing)")" "$(jnum "$(jget "$f" ns_per_lane_step timing)")" \
		"$(jstrn "$(jget "$f" device)")")
	TIMINGS+=("$row")
}
# Each engine's job is sized for a run on all 16 cores of the device
# machine to last tens of milliseconds, and the bench (4 runs at each of
# 1..16 workers: 4 x 3.4 one-worker runs) under its cap: simd at some 1 to
# 2 ns a lane-step on a core runs 5e6 x 100 (t1's digest; 5e6 x 10 took 3
# to 6 ms on 16 workers, where thread start and the scheduler's jitter
# show), 0.5 to 1 s on one worker, about 15 s in all; parallel, some 20 ns
# a lane-step, runs 5e6 x 10 (k6's digest), 1 s on one worker, 60 ms on 16,
# about 20 s in all. Small: 1000003 x 10 for both (k5's digest).
# ENGINE:CAP, each CPU bench and its cap in seconds, simd first: the
# shorter bench.
BENCH_CAPS="simd:60 parallel:150"
scale_job() { # ENGINE: sets SCALE_JOB and SCALE_WANT
	if [ -n "$SMALL" ]; then
		SCALE_JOB="--lanes 1000003 --steps 10" SCALE_WANT=da83691e54ff98ed
	elif [ "$1" = simd ]; then
		SCALE_JOB="--lanes 5e6 --steps 100" SCALE_WANT=9fd3dc97dbd0e53e
	else
		SCALE_JOB="--lanes 5e6 --steps 10" SCALE_WANT=900cbf39cf871412
	fi
}
# bench_time ENGINE: measures what ENGINE's bench will take here now, into
# BT_RC (0: measured; 125: no time left to measure; 124 or 137: a run cut
# at its limit; else the failed run's status), BT_E (seconds, where
# measured), BT_WHY (how, in words) and BT_ERR (a failed run's first line).
# The bench job is run with a tenth of its lanes on 1 worker and on all
# CORES, twice each (the faster counts: a busy machine's bursts), each for
# at most 10 s, gpusim's wall_s times 10 giving T1 and TN (T1 at most
# CORES x TN); Amdahl's P = (1 - TN/T1) / (1 - 1/CORES) in 0..1 puts a run
# on w workers at t(w) = T1 (1 - P + P/w), and the bench is 4 runs
# (--warmup 1, --reps 3) on all cores for its engines table and 4 at each
# of 1..CORES workers: E = 4 (t(CORES) + t(1) + ... + t(CORES)).
bench_time() {
	local engine=$1 w lanes steps b t t1="" tn=""
	BT_RC=0 BT_E="" BT_WHY="" BT_ERR=""
	scale_job "$engine"
	read -r lanes steps < <(awk '{ for (i = 1; i < NF; i++) { if ($i == "--lanes") l = $(i + 1); if ($i == "--steps") s = $(i + 1) } printf "%.0f %s", l / 10, s }' <<<"$SCALE_JOB")
	for w in 1 1 $([ "$CORES" -gt 1 ] && echo "$CORES $CORES"); do
		b=$(budget 10)
		[ "$b" -ge 3 ] || { BT_RC=125 BT_WHY="no time left to measure it"; break; }
		RUNNING=cpu-rate
		# shellcheck disable=SC2086
		limit "$b" "$GPUSIM" run $EFLAG "$engine" --workers "$w" --lanes "$lanes" --steps "$steps" --format json -q >"$WORK/cpu-rate.json" 2>"$WORK/cpu-rate.err"
		BT_RC=$?
		if [ $BT_RC -eq 124 ] || [ $BT_RC -eq 137 ]; then
			BT_WHY="a tenth of its job on $w workers ran past $b s"
			break
		elif [ $BT_RC -ne 0 ]; then
			BT_ERR=$(head -n 1 "$WORK/cpu-rate.err" | head -c 200)
			BT_WHY="a tenth of its job on $w workers failed, exit $BT_RC: $BT_ERR"
			break
		fi
		t=$(jget "$WORK/cpu-rate.json" wall_s timing)
		[[ $t =~ ^[0-9.]+([eE][-+]?[0-9]+)?$ ]] || { BT_RC=1 BT_WHY="a tenth of its job on $w workers gave no wall_s"; break; }
		if [ "$w" = 1 ]; then t1=$(awk -v a="${t1:-$t}" -v b="$t" 'BEGIN { print (b < a ? b : a) }'); else tn=$(awk -v a="${tn:-$t}" -v b="$t" 'BEGIN { print (b < a ? b : a) }'); fi
	done
	RUNNING=""
	[ $BT_RC -eq 0 ] || return 0
	read -r BT_E t1 tn < <(awk -v t1="$t1" -v tn="${tn:-$t1}" -v n="$CORES" 'BEGIN {
		t1 *= 10; tn *= 10; if (t1 > n * tn) t1 = n * tn
		p = (n > 1 && t1 > 0) ? (1 - tn / t1) / (1 - 1 / n) : 0
		p = p < 0 ? 0 : (p > 1 ? 1 : p)
		e = 1 - p + p / n; for (w = 1; w <= n; w++) e += 1 - p + p / w; e *= 4 * t1
		printf "%.1f %.3g %.3g", e, t1, tn }')
	BT_WHY="its job $t1 s on 1 worker, $tn s on $CORES"
}
# cpu_reserve NAME: sets KEEP, the seconds kept for the CPU benches while
# the timed job NAME runs in the full check, from what bench_time says each
# bench takes here now, just before it (the benches are measured so again
# before each starts), and logs it and sets RESERVE_JSON ("cpu_reserve").
# It was measured once, before the first timed job, at least 60 s, sized
# for a quiet 16-core machine (about 35 s there): a loaded 2-core one cut
# the parallel bench at 37 s; and a load that changed during the timed jobs
# was not in it. Each engine keeps 1.5 E + 3 s, at most its cap; one whose
# run failed keeps none (its bench will fail too: "left out" in
# RESERVE_JSON, with why), one cut at 10 s its cap. The sum is at least
# RESERVE_FLOOR, a guard where some engine was measured: a few runs of a
# tenth of a job can meet a quiet moment. The small check keeps none: its
# timed jobs take seconds. RESERVE_JSON is "cpu_reserve" without its
# "left_out" (json adds RESERVE_OUT), "" where not measured (null).
RESERVE_FLOOR=20
cpu_reserve() {
	local ec engine cap k why="" note rows="" floor=false
	KEEP=0
	for ec in $BENCH_CAPS; do
		engine=${ec%%:*} cap=${ec#*:} note=""
		bench_time "$engine"
		if [ $BT_RC -eq 125 ]; then
			k=0 note="left out: $BT_WHY"
		elif [ $BT_RC -eq 124 ] || [ $BT_RC -eq 137 ]; then
			k=$cap note="its cap: $BT_WHY"
		elif [ $BT_RC -ne 0 ]; then
			k=0 note="left out: $BT_WHY; its bench would fail too"
		else
			k=$(awk -v e="$BT_E" -v cap="$cap" 'BEGIN { k = int(1.5 * e + 3 + 0.999); print (k > cap ? cap : k) }')
		fi
		why+="$engine $k s (${BT_E:+about $BT_E s: }${note:-$BT_WHY}), "
		rows+=$(printf '{"engine": %s, "kept_s": %d, "estimate_s": %s, "measure": %s, "note": %s}, ' \
			"$(jstr "$engine")" "$k" "$(jnum "$BT_E")" "$(jstr "$BT_WHY")" "$(jstrn "$note")")
		KEEP=$((KEEP + k))
	done
	if [ "$KEEP" -gt 0 ] && [ "$KEEP" -lt "$RESERVE_FLOOR" ]; then
		KEEP=$RESERVE_FLOOR floor=true why+="at least $RESERVE_FLOOR s in all, "
	fi
	RESERVE_JSON=$(printf '{"kept_s": %d, "for": %s, "floor_s": %d, "floor_applied": %s, "engines": [%s]' \
		"$KEEP" "$(jstr "$1")" "$RESERVE_FLOOR" "$floor" "${rows%, }")
	log "CPU benches: $KEEP s kept for them while $1 runs: ${why%, }; measured now on a tenth of each bench's job"
}
# reserve_for NAME CAP: cpu_reserve NAME where the reserve can change what
# the timed job NAME may have (the first time, and where what is left less
# the most the benches can keep, their caps, is under CAP); else it keeps
# the last.
RESERVE_MAX=0
for ec in $BENCH_CAPS; do RESERVE_MAX=$((RESERVE_MAX + ${ec#*:})); done
reserve_for() {
	left_ms
	[ -z "$RESERVE_JSON" ] || [ $((LEFT_MS - (5 + RESERVE_MAX) * 1000)) -lt $(($2 * 1000)) ] || return 0
	cpu_reserve "$1"
}
# lane_steps ARGS: lanes x steps of a job's arguments.
lane_steps() { awk '{ for (i = 1; i < NF; i++) { if ($i == "--lanes") l = $(i + 1); if ($i == "--steps") s = $(i + 1) } printf "%.0f", l * s }' <<<"$1"; }
# RATE[NAME]: seconds a lane-step in NAME's kernel; OVER[NAME]: the rest of
# its process, seconds. Measured where it ran; where it was cut, at least
# its limit over its lane-steps; where it was not run for its estimate, its
# base's, so that t3 is not run where t2 was not.
declare -A RATE=() OVER=()
while IFS='|' read -r name want cap small base args; do
	[ -z "$name" ] || [ $DEV_RC -ne 0 ] && continue
	if [ -n "$SMALL" ]; then [ -z "$small" ] && continue; else [ -n "$small" ] && continue; fi
	ls=$(lane_steps "$args") EST="" EST_WHY=""
	if [ -n "$base" ] && [ -n "${RATE[$base]:-}" ]; then
		EST=$(awk -v r="${RATE[$base]}" -v o="${OVER[$base]}" -v n="$ls" 'BEGIN { e = o + r * n; printf "%d", (e == int(e)) ? e : int(e) + 1 }')
		EST_WHY="at $base's rate ($(awk -v r="${RATE[$base]}" 'BEGIN { printf "%.3g", r * 1e9 }') ns a lane-step in its kernel)"
		RATE[$name]=${RATE[$base]} OVER[$name]=${OVER[$base]}
	fi
	[ -n "$SMALL" ] || reserve_for "$name" "$cap"
	# shellcheck disable=SC2086
	grun "$name" "$cap" $EFLAG opencl --device "$DEV" $args
	rc=$?
	[ $rc -eq 125 ] && continue
	if [ $rc -eq 0 ] && k=$(jget "$OUT/$name.json" kernel_s timing) && [[ $k =~ ^[0-9.e+-]+$ ]]; then
		RATE[$name]=$(awk -v k="$k" -v n="$ls" 'BEGIN { printf "%.6g", k / n }')
		OVER[$name]=$(awk -v k="$k" -v p="$(cat "$WORK/$name.time")" 'BEGIN { o = p - k; printf "%.3f", (o > 0 ? o : 0) }')
	elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		RATE[$name]=$(awk -v p="$(cat "$WORK/$name.time")" -v n="$ls" 'BEGIN { printf "%.6g", p / n }') OVER[$name]=0
	fi
	timing_row "$name" "$want" "$args" $rc
	save
done <<<"$TIMED"
EST="" KEEP=0

# ------------------------------------------------------------ CPU scaling
# gpusim bench's scaling table and Amdahl fit for the CPU engines over 1..N
# workers (N = the cores), one bench per engine so that a cut loses only
# that engine (bench writes its report at the end). bench checks every run
# against the engine's first; the job's digest is checked here against the
# serial engine's stored one (t1, k6, k5). Its bench report is kept whole in
# $OUT/cpu-bench-ENGINE.json; gpu-check.json lifts its scaling entry: the
# points (median, speedup, efficiency, overhead per worker count) and the
# fit (Amdahl's P, limit 1/(1-P), rms residual).
#
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
# LOAD: how much longer than bench_time said the benches before took (at
# least 1), which each later bench's estimate is multiplied by; LOAD_WHY
# says from which. A machine's load can rise between a bench's measure and
# its end, and the measure, a few runs of a tenth of its job, can miss
# what the whole bench then meets.
LOAD=1 LOAD_WHY=""
# bench_fits NAME CAP: whether the bench of the engine NAME names may start,
# with B, the seconds it may have, and BENCH_EST, what it is expected to
# take ("" where not measured); where not, it is listed in "skipped" with
# why: too little left of the budget, or an estimate, from bench_time's
# measure now times LOAD, past what it may have (a bench cut at its limit
# measures nothing, and its time was the budget's).
bench_fits() {
	local name=$1 cap=$2 engine=${1#cpu-bench-} lim
	BENCH_EST=""
	B=$(budget "$cap")
	[ "$B" -ge 3 ] && bench_time "$engine" && B=$(budget "$cap")
	if [ "$B" -lt 3 ]; then
		skip "$name" "the budget had $(left) s left, too few to start it"
		return 1
	fi
	[ "$B" -eq "$cap" ] && lim="its cap is $cap s" || lim="the budget had $(left) s left, $B s for it"
	if [ $BT_RC -eq 124 ] || [ $BT_RC -eq 137 ]; then
		# Its bench runs its job 4 times at each worker count: over 40
		# times what ran past the limit, which was at most B.
		skip "$name" "not run: $BT_WHY, so that its bench would take over 40 times that; $lim"
		return 1
	fi
	[ $BT_RC -eq 0 ] || return 0 # the bench says what fails
	BENCH_EST=$(awk -v e="$BT_E" -v l="$LOAD" 'BEGIN { printf "%.1f", e * l }')
	if awk -v e="$BENCH_EST" -v b="$B" 'BEGIN { exit !(e > b) }'; then
		skip "$name" "not run: about $BENCH_EST s ($BT_WHY, measured now${LOAD_WHY:+; $LOAD_WHY}); $lim"
		return 1
	fi
	return 0
}
for ec in $BENCH_CAPS; do
	engine=${ec%%:*} name=cpu-bench-${ec%%:*}
	bench_fits "$name" "${ec#*:}" || continue
	scale_job "$engine"
	b=$B
	start=$(date +%s%N)
	RUNNING=$name
	# shellcheck disable=SC2086
	limit "$b" "$GPUSIM" bench --engines "$engine" $SCALE_JOB --workers "$SCALE_WORKERS" \
		--reps 3 --warmup 1 --no-sweep --baseline none --format json >"$OUT/$name.json" 2>"$OUT/$name.err"
	rc=$?
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	got=$(jget "$OUT/$name.json" digest)
	got=${got#0x}
	body=$(bench_scaling "$OUT/$name.json")
	ok=false note=""
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		cut_short $rc "$b" "${ec#*:}" && why="what the budget left it (its cap is ${ec#*:} s)" || why="its cap"
		skip "$name(cut)" "cut at $b s, $why"
		ok=null note="cut at $b s, $why, after: $(grep "^bench: " "$OUT/$name.err" | tail -n 1)"
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
	# What it took against its estimate, for the benches after it: a run
	# cut at its limit took at least that. Not a bench of under 5 s, whose
	# time is mostly its processes' start: the small check's simd bench
	# took 0.5 to 1.3 s where 0.3 s were expected, on a machine no more
	# loaded than when it was measured.
	if [ -n "$BENCH_EST" ] && { [ $rc -eq 0 ] || [ "$ok" = null ]; } && awk -v s="$secs" 'BEGIN { exit !(s >= 5) }'; then
		read -r LOAD l < <(awk -v s="$secs" -v e="$BT_E" -v l="$LOAD" 'BEGIN { r = (e > 0) ? s / e : 1; printf "%.3g %d", (r > l ? r : l), (r > l) }')
		[ "$l" = 1 ] && LOAD_WHY="times $LOAD: the $engine bench took $(printf %.1f "$secs") s where about $BT_E s were expected"
	fi
	log "scaling $engine over workers $SCALE_WORKERS: exit $rc in ${secs}s${BENCH_EST:+ (about $BENCH_EST s expected)}, digest $got ($ok), Amdahl fit: ${fit:-none}${note:+; $note}"
	[ -n "$body" ] || body='      "engine": '"$(jstr "$engine")"', "points": null, "fit": null'
	row=$(printf '{"exit": %d, "seconds": %s, "args": %s, "digest": %s, "want": %s, "ok": %s, "note": %s,\n%s}' \
		"$rc" "$(jnum "$secs")" "$(jstr "$SCALE_JOB --workers $SCALE_WORKERS")" "$(jstrn "$got")" "$(jstr "$SCALE_WANT")" "$ok" "$(jstrn "$note")" "$body")
	SCALING+=("$row")
	save
done

# ------------------------------------------------------------ end
finish
