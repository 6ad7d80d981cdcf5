// Command gpusim runs the weather Monte Carlo on gpusim's engines; see README.md.
package main

import (
	"os"

	"github.com/gpusim/gpusim/internal/sysmem"
)

func main() {
	// Under ulimit -v, first: glibc's malloc arenas and 8 MiB thread
	// stacks took the room of the threads a run starts, and runs aborted
	// in pthread_create.
	sysmem.RestartForLimit()
	// Under a hard memory limit, the garbage collector runs before the
	// heap outgrows it.
	sysmem.LimitHeap()
	os.Exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
