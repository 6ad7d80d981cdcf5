package threads

import (
	"bytes"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Free reads the process limit (the soft RLIMIT_NPROC, ulimit -u, which
// Go's runtime leaves as it is) and the threads it counts: those of every
// process whose real user is this process's (Linux counts each thread as
// a process against it, clone(2), and refuses the one past the limit with
// EAGAIN). used counts this process's own. limited is false where no
// limit applies: none is set, the real user is root, the process holds
// CAP_SYS_RESOURCE or CAP_SYS_ADMIN (the kernel exempts those,
// kernel/fork.c copy_process), or /proc cannot be read. Where the whole
// system runs need threads fewer than the limit or more (/proc/loadavg)
// used is its count, which bounds the user's from above, and no process
// is read; else each process's /proc/PID/status is (threads of processes
// outside the process's PID namespace are not seen, so used is then a
// least).
func Free(need uint64) (limit, used uint64, limited bool) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NPROC, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY {
		return 0, 0, false
	}
	uid := os.Getuid()
	if uid == 0 || exempt() {
		return 0, 0, false
	}
	limit = rl.Cur
	if all, ok := systemThreads(); ok && all < limit && limit-all >= need {
		return limit, all, true
	}
	used, ok := userThreads(uid)
	if !ok {
		return 0, 0, false
	}
	return limit, used, true
}

// Self is the number of threads of this process (/proc/self/status's
// Threads), 0 where it cannot be read.
func Self() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	n, _ := statusField(b, "Threads:")
	v, _ := strconv.ParseUint(n, 10, 64)
	return v
}

// exempt reports whether the process's effective capabilities hold
// CAP_SYS_RESOURCE or CAP_SYS_ADMIN, under which the kernel lets it start
// threads past the limit.
func exempt() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	s, _ := statusField(b, "CapEff:")
	caps, err := strconv.ParseUint(s, 16, 64)
	return err == nil && caps&(1<<unix.CAP_SYS_RESOURCE|1<<unix.CAP_SYS_ADMIN) != 0
}

// systemThreads is the number of threads the whole system runs, the
// fourth field's denominator of /proc/loadavg ("0.00 0.01 0.05 1/234 5").
func systemThreads() (uint64, bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 4 {
		return 0, false
	}
	_, all, ok := strings.Cut(f[3], "/")
	n, err := strconv.ParseUint(all, 10, 64)
	return n, ok && err == nil
}

// User is the threads of uid's processes, as the kernel counts them
// against that user's process limit (userThreads); false where /proc
// cannot be listed. Tests use it to set a limit just above a user's count.
func User(uid int) (uint64, bool) { return userThreads(uid) }

// userThreads sums the Threads of every process in /proc whose real user
// is uid; false where /proc cannot be listed.
func userThreads(uid int) (uint64, bool) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	want := strconv.Itoa(uid)
	var n uint64
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue // gone since it was listed
		}
		if ids, _ := statusField(b, "Uid:"); strings.Fields(ids + " x")[0] != want {
			continue
		}
		s, _ := statusField(b, "Threads:")
		v, _ := strconv.ParseUint(s, 10, 64)
		n += v
	}
	return n, true
}

// statusField is the value of a /proc status line that starts with key,
// its surrounding blanks trimmed.
func statusField(status []byte, key string) (string, bool) {
	for line := range bytes.SplitSeq(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte(key)); ok {
			return strings.TrimSpace(string(v)), true
		}
	}
	return "", false
}
