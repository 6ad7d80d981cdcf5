//go:build unix

package cputime

import (
	"testing"
	"time"
)

// TestProcessCounts checks that busy work shows in the process's CPU time,
// and that it never goes back.
func TestProcessCounts(t *testing.T) {
	c0 := Process()
	if c0 <= 0 {
		t.Fatalf("Process() = %v at start, want the CPU time the test binary used so far", c0)
	}
	deadline := time.Now().Add(5 * time.Second)
	x := 0
	for Process()-c0 < 5*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("5 s of spinning added %v of CPU time", Process()-c0)
		}
		for i := range 100000 {
			x += i
		}
	}
	_ = x
	if c1 := Process(); c1 < c0 {
		t.Errorf("CPU time went back: %v then %v", c0, c1)
	}
}
