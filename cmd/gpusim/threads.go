package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/sysmem"
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
// room fits a run on fewer threads, procs is the GOMAXPROCS that fits
// with threads.GoMargin to spare (threads.FitProcs) and
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
	// First without the process's own threads (threadsSelf reads /proc at
	// every start, 0.25 ms of a 17 ms run): the need that counts none of
	// them is the most it can be, and where that fits (no limit, or room)
	// the need with them does too.
	if _, _, _, short := threads.Short(threadsFree, threads.GoNeed(was, 0)); !short {
		return nil, 0
	}
	self, limit, used, room, short := threadsCounted(was)
	if !short {
		return nil, 0
	}
	need := threads.GoNeed(was, self)
	whose := fmt.Sprintf("the user's processes (uid %d) run %s", os.Getuid(), count.Noun(used, "thread"))
	if self > 0 {
		whose += fmt.Sprintf(", %d of them this one's", self)
	}
	want := count.SatAdd(used, need)
	fit := threads.FitProcs(room + self)
	if fit >= 1 {
		return &envError{name: "ulimit -u", msg: fmt.Sprintf("the process limit (ulimit -u %d) leaves %s free (%s), under the %d more a run with GOMAXPROCS=%d may start (Go's runtime runs up to %d threads there): raise it to ulimit -u %d or more",
			limit, count.Noun(room, "thread"), whose, need, was, was+threads.GoSpare, want)}, fit
	}
	want = count.SatAdd(used, threads.GoNeed(1, self))
	return &envError{name: "ulimit -u", msg: fmt.Sprintf("the process limit (ulimit -u %d) leaves %s free (%s), under the %d more even a run with GOMAXPROCS=1 may start (Go's runtime runs up to %d threads there): raise it to ulimit -u %d or more",
		limit, count.Noun(room, "thread"), whose, threads.GoNeed(1, self), 1+threads.GoSpare, want), hint: threadsHint}, 0
}

// threadsCounted reads the process's own threads (threadsSelf) and the
// user's (threads.Short) for a run on GOMAXPROCS was, again (3 tries at
// most) where the process's own changed while the user's were counted: a
// thread Go's runtime started between the two reads was counted among
// the user's and not as this process's, and the note stated one more of
// the other processes' threads than ran (TestThreadsLimit, under load,
// read nobody's other threads as 1 where there were none).
func threadsCounted(was int) (self, limit, used, room uint64, short bool) {
	for range 3 {
		self = threadsSelf()
		limit, used, room, short = threads.Short(threadsFree, threads.GoNeed(was, self))
		if threadsSelf() == self {
			break
		}
	}
	return self, limit, used, room, short
}

// startProcs is GOMAXPROCS as the process started, before a limit's note
// lowered it (Run): what a child gpusim, which inherits the environment,
// starts with.
var startProcs = runtime.GOMAXPROCS(0)

// checkBenchThreads refuses, before the benchmark, one whose processes
// engine's children at once (processesChildren, as checkBenchFiles counts
// them) would start more
// threads than the process limit (ulimit -u) leaves the user beside this
// process's: each child is a gpusim whose Go runtime may start
// startProcs+threads.GoSpare threads, and under ulimit -u 14 and 18 with
// 2 children a child aborted in pthread_create or was refused in the
// middle of the benchmark, which went on without the engine (exit 1).
func checkBenchThreads(cfg *bench.Config, specs []engines.Spec) error {
	if !slices.ContainsFunc(specs, func(s engines.Spec) bool { return s.Name == bench.ProcessesEngine }) {
		return nil
	}
	kids := processesChildren(cfg)
	each := uint64(max(startProcs, 1)) + threads.GoSpare
	self := threadsSelf()
	own := threads.GoNeed(runtime.GOMAXPROCS(0), self)
	need := count.SatAdd(own, count.SatMul(uint64(kids), each))
	limit, used, room, short := threads.Short(threadsFree, need)
	if !short {
		return nil
	}
	return &envError{name: "ulimit -u",
		msg: fmt.Sprintf("the process limit (ulimit -u %d) leaves %s free (the user's processes (uid %d) run %s), under the %d the processes engine's %d children at once may start (%d each, Go's runtime with GOMAXPROCS=%d) and this process %d more: raise it to ulimit -u %d or more",
			limit, count.Noun(room, "thread"), os.Getuid(), count.Noun(used, "thread"), count.SatMul(uint64(kids), each), kids, each, startProcs, own, count.SatAdd(used, need)),
		hint: threadsHint + "; or run fewer children at once (--workers, GOMAXPROCS) or bench without the processes engine (--engines)"}
}

// threadStack is sysmem.ThreadStack; tests replace it.
var threadStack = sysmem.ThreadStack

// goStack is the least stack (ulimit -s, which glibc gives each thread it
// starts, Go's among them through pthread_create) a command runs on: Go's
// runtime runs its scheduler and signal handlers on those stacks, and a
// thread that overflows one ends the process with SIGSEGV and not a word
// (exit 139): runs died under ulimit -s 16 (2 of 6 on serial, 5 of 8 of
// --engine parallel --lanes 1e6 on 2 CPUs) and none of 8 under 32; under
// 12 Go's own start died (5 of 6, gpusim version too), before any of
// gpusim runs. 64 KiB is twice what ran.
const goStack = 64 << 10

// stackShort refuses a command that runs work (runsWork) where the
// threads' stack (ulimit -s) is below goStack, before any work starts;
// nil where it is not or is not known.
func stackShort(args []string) *envError {
	if !runsWork(args) {
		return nil
	}
	stack := threadStack()
	if stack == 0 || stack >= goStack {
		return nil
	}
	return &envError{name: "ulimit -s", msg: fmt.Sprintf("the stack limit (ulimit -s %d) gives each thread %d KiB, under the %d KiB gpusim's threads need (Go's runtime runs on them, and one that overflows ends the process with SIGSEGV): raise it to ulimit -s %d or more (8192 is the usual default)",
		stack>>10, stack>>10, goStack>>10, goStack>>10)}
}
