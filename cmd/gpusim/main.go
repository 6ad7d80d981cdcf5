// Command gpusim runs the weather Monte Carlo on gpusim's engines; see README.md.
package main

import (
	"os"

	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/descriptors"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/sysmem"
)

func main() {
	interrupt.TakeUserSignalsEarly()
	setUp()
	earlyDevices, interrupt.HoldAtExit = true, true
	exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exit ends the process with code once a driver's load that Run began
// early (engines.StartDevices) leaves no file half made.
func exit(code int) {
	engines.Quiesce()
	os.Exit(code)
}

// setUp is what the process does before Run, in main and in the test
// binary that doubles as gpusim (its scripts' gpusim ran without it, and
// aborted under ulimit -v on a busy machine where gpusim did not).
func setUp() {
	// Under ulimit -v, first: glibc's malloc arenas and 8 MiB thread
	// stacks took the room of the threads a run starts, and runs aborted
	// in pthread_create.
	sysmem.RestartForLimit()
	// A start that probes an OpenCL driver for its parent ends here;
	// every other probes a driver it has not seen work before it loads
	// it (a driver that crashes took gpusim down with a trace).
	cl.ProbeChild()
	cl.EnableProbe()
	// Under a hard memory limit, the garbage collector runs before the
	// heap outgrows it. Not where Run refuses the command for want of
	// descriptors (descriptorsShort): LimitHeap reads cgroup files, and
	// the first file the process opens starts Go's poller (epoll, eventfd),
	// which under ulimit -n 6 or 7 died ("fatal error: runtime:
	// netpollinit failed") before Run could say why.
	if _, free, limited := descriptors.Free(filesNeed); !limited || free >= filesNeed {
		sysmem.LimitHeap()
	}
}
