#!/usr/bin/env bash
# Runs a gpusim job as a real Slurm job array on a one-node cluster that it
# starts on this machine, merges the parts in a dependent job and checks the
# merged digest against a single run (docs/cluster.md).
#
# usage: CI=true .ci/slurm-e2e.sh [GPUSIM [RUN-ARGS...]]
#        CI=true .ci/slurm-e2e.sh --standin
#
#   GPUSIM     the gpusim binary (default: built from ./cmd/gpusim)
#   RUN-ARGS   the job's flags for `gpusim run` (default: --lanes 1000003)
#   --standin  prove the cluster only: the array tasks are bash one-liners
#
# Environment: TASKS (array size, default 4), ARRAY (sbatch --array, default
# 0-TASKS-1; e.g. 1-4 or 0-6:2, whose indices --shard auto maps to 0..3, or a
# list such as 1,5,9, which it refuses), SLURM_E2E_TIMEOUT (seconds for
# each wait, default 300), SLURM_E2E_PORT (slurmctld's port, slurmd's is the
# next; default 6817), SLURM_E2E_KEEP=1 keeps the work directory.
#
# It must run as root with CI=true: it installs Debian's slurmctld, slurmd,
# slurm-client and munge when they are missing and runs their daemons. All
# state (munge key and socket, slurm.conf, spool, logs) lives in one temporary
# directory, the daemons it started are stopped on exit, and nothing outside
# that directory is changed except the packages, so it can run again.
set -euo pipefail

tasks=${TASKS:-4}
timeout_s=${SLURM_E2E_TIMEOUT:-300}
port=${SLURM_E2E_PORT:-6817}
standin=false
if [[ ${1:-} == --standin ]]; then
	standin=true
	shift
fi

say() { printf 'slurm-e2e: %s\n' "$*" >&2; }
die() {
	say "error: $*"
	exit 1
}

[[ ${CI:-} == true ]] || die "this starts a Slurm cluster and munged as root; run it with CI=true"
[[ $(id -u) == 0 ]] || die "run it as root"
[[ $tasks =~ ^[1-9][0-9]*$ ]] || die "TASKS=$tasks is not a whole number of at least 1"
array_spec=${ARRAY:-0-$((tasks - 1))}
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "SLURM_E2E_TIMEOUT=$timeout_s is not a whole number of seconds"
[[ $port =~ ^[1-9][0-9]*$ ]] && ((port < 65535)) || die "SLURM_E2E_PORT=$port is not a port number below 65535"

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# --- packages ----------------------------------------------------------------
need=()
for c in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client sinfo:slurm-client munged:munge mungekey:munge; do
	command -v "${c%%:*}" >/dev/null || need+=("${c#*:}")
done
if ((${#need[@]})); then
	mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
id munge >/dev/null 2>&1 || die "the munge package did not create the munge user"

# --- work directory and cleanup ----------------------------------------------
tmp=$(mktemp -d /tmp/slurm-e2e.XXXXXX)
chmod 0755 "$tmp" # munged (as munge) and the jobs must reach into it
mkdir -p "$tmp"/{etc,state,spool,log,work}
pids=()

stop() { # stop pid...: TERM, up to 15 s, then KILL
	local p i
	for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "$@"; do
		for ((i = 0; i < 150; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$p" 2>/dev/null; then
			say "pid $p ignored SIGTERM; killing it"
			kill -KILL "$p" 2>/dev/null || true
		fi
		wait "$p" 2>/dev/null || true
	done
}

cleanup() {
	local rc=$?
	set +e
	if ((rc != 0)); then
		say "failed (exit $rc); logs:"
		for f in "$tmp"/log/* "$tmp"/munge/munged.log "$tmp"/work/slurm-*.out; do
			[[ -f $f ]] || continue
			# A daemon's .out repeats its .log once the log is open.
			[[ $f == */log/*.out && -s ${f%.out}.log ]] && continue
			printf '==> %s <==\n' "$f" >&2
			tail -n 40 "$f" >&2
		done
	fi
	[[ -z ${sbatch_pid:-} ]] || stop "$sbatch_pid"
	if [[ -n ${ctld_pid:-} ]] && kill -0 "$ctld_pid" 2>/dev/null; then
		scancel --quiet --user=root 2>/dev/null # only this cluster's jobs: SLURM_CONF is ours
		sleep 1
	fi
	# Last started, first stopped: slurmd, slurmctld, munged.
	local i
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop "${pids[i]}"; done
	if [[ ${SLURM_E2E_KEEP:-} == 1 ]]; then
		say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

waitfor() { # waitfor WHAT CMD...: retry CMD every half second until timeout
	local what=$1 i
	shift
	for ((i = 0; i < timeout_s * 2; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	die "timed out after ${timeout_s}s waiting for $what"
}

# --- gpusim ------------------------------------------------------------------
if $standin; then
	gpusim=
elif (($# > 0)); then
	gpusim=$(realpath "$1")
	shift
	[[ -x $gpusim ]] || die "$gpusim is not an executable"
else
	[[ -d $repo/cmd/gpusim ]] || die "no $repo/cmd/gpusim to build; pass a gpusim binary or --standin"
	say "building gpusim"
	(cd "$repo" && go build -ldflags="$(sh scripts/elf-interp.sh)" -o "$tmp/gpusim" ./cmd/gpusim)
	gpusim=$tmp/gpusim
fi
run_args=("$@")
((${#run_args[@]})) || run_args=(--lanes 1000003)

# --- munge -------------------------------------------------------------------
# A private munged on its own socket and key, so a system munged (if any) is
# neither used nor disturbed.
mdir=$tmp/munge
install -d -o munge -g munge -m 0755 "$mdir"
if ! mungekey --create --keyfile="$mdir/munge.key" 2>/dev/null; then
	dd if=/dev/urandom of="$mdir/munge.key" bs=1024 count=1 status=none
fi
chown munge:munge "$mdir/munge.key"
chmod 0400 "$mdir/munge.key"
setpriv --reuid=munge --regid=munge --init-groups \
	munged --foreground --socket="$mdir/munge.socket" --key-file="$mdir/munge.key" \
	--pid-file="$mdir/munged.pid" --seed-file="$mdir/munged.seed" --log-file="$mdir/munged.log" \
	>"$tmp/log/munged.out" 2>&1 &
pids+=($!)
waitfor munged sh -c "munge -n -S '$mdir/munge.socket' | unmunge -S '$mdir/munge.socket'"
say "munged is up (pid ${pids[-1]})"

# --- slurm -------------------------------------------------------------------
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
export SLURM_CONF=$tmp/etc/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=gpusim-e2e
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$mdir/munge.socket
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -i -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
ctld_pid=$!
pids+=("$ctld_pid")
waitfor slurmctld scontrol ping
slurmd -D -f "$SLURM_CONF" -N "$host" >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
waitfor "node $host to be idle" sh -c "sinfo -h -n '$host' -o '%T' | grep -qx idle"
say "cluster is up: $(sinfo -h -o '%P %D %T %C' | head -n1) (partition nodes state cpus A/I/O/T)"

# --- the job -----------------------------------------------------------------
work=$tmp/work
cd "$work"
q() { printf '%q ' "$@"; }
if $standin; then
	task='echo "$SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_COUNT $SLURM_ARRAY_TASK_MIN ${SLURM_ARRAY_TASK_STEP:-} ${SLURM_ARRAY_TASK_MAX:-}" > out-$SLURM_ARRAY_TASK_ID'
	merge='cat out-* > merged'
else
	task="$(q "$gpusim" run "${run_args[@]}" --shard auto --save) \"part-\$SLURM_ARRAY_TASK_ID.json\""
	merge="$(q "$gpusim" merge --format json) part-*.json > merged.json"
fi
array=$(sbatch --parsable --array="$array_spec" --chdir="$work" \
	--output="$work/slurm-%A_%a.out" --job-name=gpusim-shard --wrap="$task")
array=${array%%;*}
say "submitted array job $array: $task"
# The merge job starts only once every task succeeded, and is cancelled
# rather than left pending forever if one fails.
# It waits in the background: bash runs the INT and TERM traps only between
# foreground commands, and `wait` is one it can interrupt.
timeout "$timeout_s" sbatch --wait --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
	--chdir="$work" --output="$work/slurm-merge.out" --job-name=gpusim-merge --wrap="$merge" >"$tmp/merge.jobid" &
sbatch_pid=$!
wait "$sbatch_pid" || say "sbatch --wait for the merge job failed (exit $?)"
sbatch_pid=
mjob=$(cat "$tmp/merge.jobid")
mjob=${mjob%%;*}
# sbatch --wait exits 0 for a job cancelled before it ran, so ask slurmctld
# (it keeps finished jobs for MinJobAge, 300 s) how every job ended.
[[ -n $mjob ]] || die "the merge job was not submitted"
failed=
for id in "$array" "$mjob"; do
	jobs=$(scontrol -o show job "$id") || die "slurmctld does not know job $id"
	while read -r line; do
		[[ $line =~ JobState=COMPLETED\ .*ExitCode=0:0 ]] && continue
		failed+=$(grep -oE '^JobId=[0-9]+|ArrayTaskId=[0-9]+|JobName=[^ ]+|JobState=[A-Z_]+|Reason=[^ ]+|ExitCode=[0-9:]+' <<<"$line" | paste -sd ' ')$'\n'
	done <<<"$jobs"
done
[[ -z $failed ]] || die "jobs did not complete:"$'\n'"$failed"
say "array job $array and merge job $mjob completed"

# --- check -------------------------------------------------------------------
if $standin; then
	n=0
	for f in out-*; do
		read -r id count lo _ <"$f"
		[[ $f == "out-$id" && $count == "$tasks" && -n $lo ]] ||
			die "$f holds '$(cat "$f")', want 'SLURM_ARRAY_TASK_ID $tasks SLURM_ARRAY_TASK_MIN'"
		n=$((n + 1))
	done
	((n == tasks)) || die "$n tasks wrote their file, want $tasks"
	[[ $(wc -l <merged) == "$tasks" ]] || die "merged has $(wc -l <merged) lines, want $tasks"
	cat merged >&2
	say "ok: $tasks array tasks ($array_spec) ran with SLURM_ARRAY_TASK_ID, _COUNT, _MIN (and _STEP) set; the dependent job merged them"
	exit 0
fi
field() { # field FILE KEY: the first "KEY" value (a string or a number) in a JSON file
	grep -oE '"'"$2"'"[[:space:]]*:[[:space:]]*("[^"]*"|[-+0-9.eE]+)' "$1" | head -n1 | sed -E 's/.*:[[:space:]]*//; s/"//g'
}
"$gpusim" run "${run_args[@]}" --format json >single.json
[[ -s merged.json ]] || die "the merge job wrote no merged.json"
want=$(field single.json digest)
[[ -n $want ]] || die "no digest in the single run's output: $(head -c 500 single.json)"
# The merge reports the whole job as the single run does: the digest, count,
# min and max are exact (docs/cluster.md).
for key in digest count min max; do
	got=$(field merged.json "$key")
	[[ $got == "$(field single.json "$key")" ]] || die "merged $key $got differs from the single run's $(field single.json "$key")"
done
[[ $(field merged.json parts) == "$tasks" ]] || die "the merge merged $(field merged.json parts) parts, want $tasks"
say "ok: $tasks shards merged to digest $want, count $(field merged.json count), min $(field merged.json min), max $(field merged.json max): the single run's"
