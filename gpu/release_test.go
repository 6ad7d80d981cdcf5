package gpu

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/internal/enginetest"
	"github.com/gpusim/gpusim/sim"
)

// testCommand re-runs this test binary on the tests matching pattern.
func testCommand(t *testing.T, pattern string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run="+pattern, "-test.count=1")
	cmd.Env = append(os.Environ(), "CI=") // the child checks its own outcome
	return cmd
}

// usage returns the process's open file descriptors and resident memory
// after a garbage collection.
func usage(t *testing.T) (fds int, rss int64) {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return len(ents), pages * int64(os.Getpagesize())
}

// Growth allowed over the measured loops: the Go heap and the allocator
// keep some slack, a leak of a buffer, event or program per run does not
// fit (1000 runs keeping even 16 KiB each would be 16 MiB).
const (
	leakRuns   = 1000
	leakCycles = 50
	rssSlack   = 12 << 20
)

// TestReleases runs many small jobs on one engine, then opens and closes
// engines many times, and checks that neither grows the process's file
// descriptors or memory, and that closing the last engine empties the
// program cache.
func TestReleases(t *testing.T) {
	testDevice(t)
	closeAll(t)
	p := sim.Default()
	p.Lanes, p.Steps = 300, 5
	jobs := []*sim.Job{{Params: p}, {Params: p, KeepFinals: true}, {Params: p, Daily: true}}
	want, err := cpu.Serial{}.Run(context.Background(), jobs[0])
	if err != nil {
		t.Fatal(err)
	}
	e, err := Open(Options{Device: testDevice(t)})
	if err != nil {
		t.Fatal(err)
	}
	runs := func(n int) {
		for i := range n {
			r, err := e.Run(context.Background(), jobs[i%len(jobs)])
			if err != nil {
				t.Fatal(err)
			}
			if r.Summary.Digest != want.Summary.Digest {
				t.Fatalf("run %d: digest %#x, want %#x", i, r.Summary.Digest, want.Summary.Digest)
			}
		}
	}
	runs(50)
	fd0, rss0 := usage(t)
	t0 := time.Now()
	runs(leakRuns)
	fd1, rss1 := usage(t)
	t.Logf("%d runs in %v: fds %d -> %d, rss %d -> %d KiB", leakRuns, time.Since(t0), fd0, fd1, rss0>>10, rss1>>10)
	if fd1 > fd0 || rss1-rss0 > rssSlack {
		t.Errorf("%d runs grew fds %d -> %d, rss %d -> %d KiB", leakRuns, fd0, fd1, rss0>>10, rss1>>10)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := e.Run(context.Background(), jobs[0]); err == nil {
		t.Error("Run after Close succeeded")
	}

	cycle := func() {
		e, err := Open(Options{Device: testDevice(t)})
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.Run(context.Background(), jobs[0])
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary.Digest != want.Summary.Digest {
			t.Fatalf("digest %#x, want %#x", r.Summary.Digest, want.Summary.Digest)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if n := cachedPrograms(); n != 0 {
			t.Fatalf("%d programs cached after the last Close", n)
		}
	}
	for range 3 {
		cycle()
	}
	fd0, rss0 = usage(t)
	t0 = time.Now()
	for range leakCycles {
		cycle()
	}
	fd1, rss1 = usage(t)
	t.Logf("%d open/run/close cycles in %v: fds %d -> %d, rss %d -> %d KiB", leakCycles, time.Since(t0), fd0, fd1, rss0>>10, rss1>>10)
	if fd1 > fd0 || rss1-rss0 > rssSlack {
		t.Errorf("%d cycles grew fds %d -> %d, rss %d -> %d KiB", leakCycles, fd0, fd1, rss0>>10, rss1>>10)
	}
}

// TestLarge runs 2^28+5 lanes, enough for many launches and for lane
// indices past 2^28 in every vector position, against cpu.Parallel. It
// takes about half a minute on two cores (pocl 1.3 s, cpu.Parallel 22 s),
// so -short skips it.
func TestLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 2^28+5 lanes skipped")
	}
	e := open(t, Options{})
	p := sim.Default()
	p.Lanes, p.Steps = 1<<28+5, 4
	j := &sim.Job{Params: p}
	t0 := time.Now()
	got := runJob(t, e, j)
	t.Logf("%s: %v (kernel %v, transfer %v)", got.Device, time.Since(t0), got.Timing.Kernel, got.Timing.Transfer)
	t0 = time.Now()
	want := runJob(t, cpu.Parallel{}, j)
	t.Logf("cpu.Parallel: %v", time.Since(t0))
	if err := enginetest.CompareSummary(got.Summary, want.Summary, enginetest.DefaultTol); err != nil {
		t.Errorf("2^28+5 lanes: %v", err)
	}
}
