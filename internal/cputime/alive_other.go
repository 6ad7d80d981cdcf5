//go:build !linux

package cputime

import "time"

// threadsAlive is unknown here (Linux's schedstat files): a gap in the
// beat counts as a suspension from its length alone.
func threadsAlive() (alive map[int]int64, ok bool) { return nil, false }

// childrenAlive is unknown here (Linux's /proc): 0.
func childrenAlive() time.Duration { return 0 }

// reapedCPU is not read here: 0.
func reapedCPU() time.Duration { return 0 }

// stolenTime is not read here: 0.
func stolenTime() time.Duration { return 0 }
