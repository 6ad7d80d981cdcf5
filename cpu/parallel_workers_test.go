package cpu

import (
	"runtime"
	"testing"
)

// TestDefaultWorkersCapped: the default worker count, GOMAXPROCS, is at
// most MaxWorkers, the most --workers takes: GOMAXPROCS=2000 started 1832
// goroutines (on a machine whose threads fit that many), past the range.
func TestDefaultWorkersCapped(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2000))
	if got := (Parallel{}).WorkerCount(); got != MaxWorkers {
		t.Errorf("Parallel{}.WorkerCount() at GOMAXPROCS 2000 = %d, want %d", got, MaxWorkers)
	}
	if got := RunWorkers(0, 1<<40, 1, false); got != MaxWorkers {
		t.Errorf("RunWorkers(0, 2^40, 1) at GOMAXPROCS 2000 = %d, want %d", got, MaxWorkers)
	}
	// --workers itself is as given.
	if got := RunWorkers(3, 1<<40, 1, false); got != 3 {
		t.Errorf("RunWorkers(3, ...) = %d, want 3", got)
	}
	runtime.GOMAXPROCS(2)
	if got := (Parallel{}).WorkerCount(); got != 2 {
		t.Errorf("Parallel{}.WorkerCount() at GOMAXPROCS 2 = %d, want 2", got)
	}
}
