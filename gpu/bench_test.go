package gpu

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/sim"
)

func benchRun(b *testing.B, opt Options, lanes uint64, steps int) {
	e, err := Open(opt)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	p := sim.Default()
	p.Lanes, p.Steps = lanes, steps
	job := &sim.Job{Params: p}
	if _, err := e.Run(context.Background(), job); err != nil { // warm-up: pocl compiles on first launch
		b.Fatal(err)
	}
	b.ResetTimer()
	var dev time.Duration
	cpu0 := cpuTime()
	defer func() {
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/float64(lanes)/float64(steps), "cpu-ns/lane-step")
	}()
	for b.Loop() {
		r, err := e.Run(context.Background(), job)
		if err != nil {
			b.Fatal(err)
		}
		dev += r.Timing.Kernel + r.Timing.Transfer
		b.Logf("%s: wall %v kernel %v transfer %v", r.Device, r.Timing.Wall, r.Timing.Kernel, r.Timing.Transfer)
	}
	b.ReportMetric(float64(dev.Milliseconds())/float64(b.N), "kernel+transfer-ms/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(lanes)/float64(steps), "ns/lane-step")
}

// BenchmarkExact is the workload: 5M lanes x 100 steps, exact math.
func BenchmarkExact(b *testing.B) { benchRun(b, Options{}, 5_000_000, 100) }

// BenchmarkFast is the same with native math (not reproducible).
func BenchmarkFast(b *testing.B) { benchRun(b, Options{Math: MathFast}, 5_000_000, 100) }

// cpuTime is the process's user and system CPU time: on a shared machine it
// shows the work a run costs whatever share of the cores it got.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkWidth8(b *testing.B) { benchRun(b, Options{VectorWidth: 8}, 5_000_000, 100) }
func BenchmarkWidth1(b *testing.B) { benchRun(b, Options{VectorWidth: 1}, 1_000_000, 100) }

func BenchmarkDaily(b *testing.B) { benchDaily(b, Options{}, 1_000_000, 100) }

func benchDaily(b *testing.B, opt Options, lanes uint64, steps int) {
	e, err := Open(opt)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	p := sim.Default()
	p.Lanes, p.Steps = lanes, steps
	job := &sim.Job{Params: p, Daily: true}
	for b.Loop() {
		r, err := e.Run(context.Background(), job)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: wall %v kernel %v transfer %v", r.Device, r.Timing.Wall, r.Timing.Kernel, r.Timing.Transfer)
	}
}
