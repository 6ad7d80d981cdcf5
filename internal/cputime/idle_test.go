package cputime

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestIdle checks the idle CPU time read from /proc/stat (idle plus
// iowait, in USER_HZ ticks): the CPUs' in the process's affinity mask
// (a Slurm job's cpuset on a node whose other CPUs idle), every CPU's
// ("cpu") where there is none, and unknown, not a machine never idle, for
// a file that is not one.
func TestIdle(t *testing.T) {
	const stat = "cpu  4705 150 1120 16250 520 0 29 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\ncpu1 1 2 3 40 50 6 7 8 9 10\ncpu2 1 2 3 400 500 6 7\nintr 1 2 3 4 5 6 7\n"
	tick := 10 * time.Millisecond
	for _, c := range []struct {
		name, stat string
		mask       []int // the CPUs the process may run on; nil: unknown
		want       time.Duration
		ok         bool
	}{
		{"no mask", stat, nil, (16250 + 520) * tick, true},
		{"cpuset", stat, []int{0, 2}, (4 + 5 + 400 + 500) * tick, true},
		{"one cpu", stat, []int{1}, (40 + 50) * tick, true},
		{"old kernel", "cpu  4705 150 1120 16250 520\n", nil, (16250 + 520) * tick, true},
		{"too short", "cpu  4705 150 1120 16250\n", nil, 0, false},
		{"only per cpu", "cpu0 1 2 3 4 5 6 7\n", nil, 0, false},
		{"mask without lines", "cpu  4705 150 1120 16250 520\n", []int{0}, 0, false},
		{"garbage", "cpu  a b c d e f\n", nil, 0, false},
		{"empty", "", nil, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			old, oldAff := procStat, affinity
			procStat = filepath.Join(t.TempDir(), "stat")
			affinity = func() (func(int) bool, bool) {
				return func(n int) bool { return slices.Contains(c.mask, n) }, c.mask != nil
			}
			t.Cleanup(func() { procStat, affinity = old, oldAff })
			if err := os.WriteFile(procStat, []byte(c.stat), 0o644); err != nil {
				t.Fatal(err)
			}
			if got, ok := Idle(); got != c.want || ok != c.ok {
				t.Errorf("Idle() = %v, %v; want %v, %v", got, ok, c.want, c.ok)
			}
		})
	}
	old := procStat
	procStat = filepath.Join(t.TempDir(), "missing")
	defer func() { procStat = old }()
	if _, ok := Idle(); ok {
		t.Errorf("Idle() without the file: ok, want unknown")
	}
	procStat = old
	if _, ok := Idle(); runtime.GOOS == "linux" && !ok {
		t.Errorf("Idle() on Linux: unknown, want /proc/stat's figure")
	}
}
