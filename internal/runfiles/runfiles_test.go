package runfiles

import (
	"errors"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// TestCheckMemory: per-lane outputs that cannot fit in the memory
// available are refused before the run, saying how much they need; before,
// 1e8 lanes with --out took 805 MB and 2^32 lanes were accepted whatever
// the machine held.
func TestCheckMemory(t *testing.T) {
	old := available
	defer func() { available = old }()
	available = func() (uint64, bool) { return 1 << 30, true } // 1 GiB
	p := sim.Default()
	p.Lanes = 1e9
	var pe *sim.ParamError
	err := Result{Out: "finals.f32"}.Check(p)
	if !errors.As(err, &pe) || pe.Flag != "out" || !strings.Contains(pe.Msg, "need 4.01 GB of memory, but 1.07 GB are available") {
		t.Errorf("1e9 lanes with --out and 1 GiB: %v", err)
	}
	p.Lanes = 1e8
	if err := (Result{Out: "finals.f32"}).Check(p); err != nil {
		t.Errorf("1e8 lanes with --out and 1 GiB: %v", err)
	}
	available = func() (uint64, bool) { return 0, false } // unknown: not refused
	p.Lanes = 1e9
	if err := (Result{Out: "finals.f32"}).Check(p); err != nil {
		t.Errorf("unknown memory: %v", err)
	}
}
