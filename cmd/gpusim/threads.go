package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/threads"
)

// threadsFree and threadsSelf are threads.Free and threads.Self; tests
// replace them.
var (
	threadsFree = threads.Free
	threadsSelf = threads.Self
)

// threadsHint is the hint of a command refused under the process limit.
const threadsHint = "ulimit -u (RLIMIT_NPROC) counts every thread of every process of the user, this one's included: raise it, lift it (ulimit -u unlimited), or end some of the user's processes"

// threadsShort finds whether a command that runs work (runsWork) would
// start more threads than the process limit (ulimit -u, RLIMIT_NPROC)
// leaves the user: Go's runtime runs up to GOMAXPROCS of them and
// threads.GoSpare more, and one it cannot start aborts the process
// (fakecgo: pthread_create failed, or Go's "runtime: failed to create new
// OS thread"), with a page of trace and no word of the limit. Where the
// room fits a run on fewer threads, procs is the GOMAXPROCS that fits and
// err the note to print: the results are bit for bit the same on any
// number of workers (docs/reproducibility.md), and goroutines beyond
// GOMAXPROCS (--workers) take no thread. Where it fits not even
// GOMAXPROCS=1's, procs is 0 and err the refusal. nil where the threads
// fit or no limit applies (root, unlimited).
func threadsShort(args []string) (err *envError, procs int) {
	if !runsWork(args) {
		return nil, 0
	}
	was := runtime.GOMAXPROCS(0)
	self := threadsSelf()
	need := threads.GoNeed(was, self)
	limit, used, limited := threadsFree(need)
	if !limited {
		return nil, 0
	}
	room := uint64(0)
	if used < limit {
		room = limit - used
	}
	if room >= need {
		return nil, 0
	}
	whose := fmt.Sprintf("the user's processes (uid %d) run %s", os.Getuid(), count.Noun(used, "thread"))
	if self > 0 {
		whose += fmt.Sprintf(", %d of them this one's", self)
	}
	want := count.SatAdd(used, need)
	fit := int(min(room+self, 1<<20)) - threads.GoSpare
	if fit >= 1 {
		return &envError{name: "ulimit -u", msg: fmt.Sprintf("the process limit (ulimit -u %d) leaves %s free (%s), under the %d more a run with GOMAXPROCS=%d may start (Go's runtime runs up to %d threads there): raise it to ulimit -u %d or more",
			limit, count.Noun(room, "thread"), whose, need, was, was+threads.GoSpare, want)}, fit
	}
	want = count.SatAdd(used, threads.GoNeed(1, self))
	return &envError{name: "ulimit -u", msg: fmt.Sprintf("the process limit (ulimit -u %d) leaves %s free (%s), under the %d more even a run with GOMAXPROCS=1 may start (Go's runtime runs up to %d threads there): raise it to ulimit -u %d or more",
		limit, count.Noun(room, "thread"), whose, threads.GoNeed(1, self), 1+threads.GoSpare, want), hint: threadsHint}, 0
}
