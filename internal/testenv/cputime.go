package testenv

import (
	"time"

	"github.com/gpusim/gpusim/internal/cputime"
)

// CPUTime is the process's user and system CPU time so far (0 where it is
// not measured): on a machine shared with other work it shows what a
// benchmark cost, whatever share of the cores it got.
func CPUTime() time.Duration { return cputime.Process() }
