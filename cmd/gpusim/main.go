// Command gpusim runs the weather Monte Carlo on gpusim's engines; see README.md.
package main

import (
	"os"

	"github.com/gpusim/gpusim/internal/sysmem"
)

func main() {
	// Under ulimit -v, first: glibc's malloc arenas took the room of
	// thread stacks, and runs aborted at random.
	sysmem.RestartWithOneArena()
	os.Exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
