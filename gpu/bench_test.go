package gpu

import (
	"context"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

// benchRun times runs of lanes x steps after one warm-up run, reporting the
// device time (kernels and transfers, from profiling events) and the
// process's CPU time per lane-step, which on a shared machine says more
// than the wall time.
func benchRun(b *testing.B, opt Options, lanes uint64, steps int, daily bool) {
	opt.Device = testDevice(b)
	e, err := Open(opt)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	p := sim.Default()
	p.Lanes, p.Steps = lanes, steps
	job := &sim.Job{Params: p, Daily: daily}
	if _, err := e.Run(context.Background(), job); err != nil {
		b.Fatal(err)
	}
	var dev time.Duration
	cpu0 := testenv.CPUTime()
	for b.Loop() {
		r, err := e.Run(context.Background(), job)
		if err != nil {
			b.Fatal(err)
		}
		dev += r.Timing.Kernel + r.Timing.Transfer
		b.Logf("%s: wall %v kernel %v transfer %v", r.Device, r.Timing.Wall, r.Timing.Kernel, r.Timing.Transfer)
	}
	n := float64(b.N)
	laneSteps := float64(lanes) * float64(steps)
	b.ReportMetric(float64(dev.Microseconds())/1e3/n, "device-ms/op")
	b.ReportMetric(float64((testenv.CPUTime()-cpu0).Nanoseconds())/n/laneSteps, "cpu-ns/lane-step")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n/laneSteps, "ns/lane-step")
}

// BenchmarkExact is the workload: 5M lanes x 100 steps, exact math,
// at the device's vector width.
func BenchmarkExact(b *testing.B) { benchRun(b, Options{}, 5_000_000, 100, false) }

// BenchmarkFast is the same workload in fast (not reproducible) math.
func BenchmarkFast(b *testing.B) { benchRun(b, Options{Math: MathFast}, 5_000_000, 100, false) }

// BenchmarkWidth8 and BenchmarkWidth1 show what the vector width is worth
// on a CPU device (pocl does not vectorize across work-items here).
func BenchmarkWidth8(b *testing.B) { benchRun(b, Options{VectorWidth: 8}, 5_000_000, 100, false) }
func BenchmarkWidth1(b *testing.B) { benchRun(b, Options{VectorWidth: 1}, 1_000_000, 100, false) }

// BenchmarkDaily is 1M lanes x 100 steps with per-step statistics.
func BenchmarkDaily(b *testing.B) { benchRun(b, Options{}, 1_000_000, 100, true) }

// BenchmarkWarmStart is an engine's start-up (Timing.Startup) with
// gpusim's binary cache and without it, pocl's own kernel cache warm in
// both: a figure, measured here rather than logged by a test that could
// not fail (TestWarmStart).
func BenchmarkWarmStart(b *testing.B) {
	dir := forgetSelfTests(b)
	openRun(b, Options{}) // fills both caches
	forget := func() {
		trusted.Lock()
		trusted.m = nil
		trusted.Unlock()
	}
	var with, without time.Duration
	for b.Loop() {
		forget()
		with += openRun(b, Options{}).Timing.Startup
		b.Setenv(EnvCacheDir, "off")
		forget()
		without += openRun(b, Options{}).Timing.Startup
		b.Setenv(EnvCacheDir, dir)
	}
	n := float64(b.N)
	b.ReportMetric(float64(with.Microseconds())/1e3/n, "cached-startup-ms/op")
	b.ReportMetric(float64(without.Microseconds())/1e3/n, "uncached-startup-ms/op")
}
