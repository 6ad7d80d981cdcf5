// Command gpusim runs the weather Monte Carlo on gpusim's engines; see README.md.
package main

import (
	"os"

	"github.com/gpusim/gpusim/internal/sysmem"
)

func main() {
	setUp()
	os.Exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// setUp is what the process does before Run, in main and in the test
// binary that doubles as gpusim (its scripts' gpusim ran without it, and
// aborted under ulimit -v on a busy machine where gpusim did not).
func setUp() {
	// Under ulimit -v, first: glibc's malloc arenas and 8 MiB thread
	// stacks took the room of the threads a run starts, and runs aborted
	// in pthread_create.
	sysmem.RestartForLimit()
	// Under a hard memory limit, the garbage collector runs before the
	// heap outgrows it.
	sysmem.LimitHeap()
}
