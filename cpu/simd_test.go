package cpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

// forEachPath calls f once per batch path the build and CPU have, widest
// first, turning each off in turn as blake2b's TestHashes does.
func forEachPath(f func(name string)) {
	defer func(avx512, avx2 bool) { useAVX512, useAVX2 = avx512, avx2 }(useAVX512, useAVX2)
	if useAVX512 {
		f("avx512")
		useAVX512 = false
	}
	if useAVX2 {
		f("avx2")
		useAVX2 = false
	}
	f("portable")
}

func testSIMDPaths(t *testing.T, check func(t *testing.T)) {
	forEachPath(func(name string) { t.Run(name, check) })
}

// TestSIMDFinals: every path gives sim.Model.Final's bits for every lane, at
// lane counts around the vector widths, odd first lanes and step counts
// around the four steps of a Philox block.
func TestSIMDFinals(t *testing.T) {
	testSIMDPaths(t, func(t *testing.T) {
		name, width := SIMD{}.Path()
		t.Logf("path %s x%d", name, width)
		for _, steps := range []int{0, 1, 3, 4, 5, 37} {
			for _, lanes := range []uint64{1, 15, 16, 17, 33, 100003} {
				if lanes > 1000 && steps > 5 {
					continue // the long runs below cover many lanes at many steps
				}
				for _, first := range []uint64{0, 1, 7, 1<<32 - 3} {
					checkSIMD(t, steps, first, lanes)
				}
			}
		}
		checkSIMD(t, 100, 3, 5003)
	})
}

func checkSIMD(t *testing.T, steps int, first, lanes uint64) {
	t.Helper()
	p := sim.Default()
	p.Lanes, p.Steps = first+lanes, steps
	m := p.Model()
	k := pickBatch()
	out := make([]float32, lanes)
	k.fn(&m, first, out, nil, new(atomic.Bool))
	for i, x := range out {
		if y := m.Final(first + uint64(i)); math.Float32bits(x) != math.Float32bits(y) {
			t.Fatalf("steps %d first %d lanes %d #%d: got %#x, want %#x", steps, first, lanes, i, math.Float32bits(x), math.Float32bits(y))
		}
	}
}

// TestSIMDEngine: on every path the engine's result equals the serial
// reference engine's: finals bit for bit, digest, count, extremes, histogram
// and moments exactly (lane blocks merge in lane order), daily statistics
// with the same digests and counts, for one and for several goroutines.
func TestSIMDEngine(t *testing.T) {
	type config struct {
		steps        int
		first, lanes uint64
		daily        bool
	}
	var configs []config
	for _, steps := range []int{0, 1, 3, 4, 5, 37} {
		for _, lanes := range []uint64{1, 15, 16, 17, 33, 100003} {
			configs = append(configs, config{steps, 5, lanes, lanes == 33 || steps == 5})
		}
	}
	wants := make([]*sim.Result, len(configs))
	jobs := make([]*sim.Job, len(configs))
	for i, c := range configs {
		p := sim.Default()
		p.Lanes, p.Steps = c.first+c.lanes+2, c.steps
		jobs[i] = &sim.Job{Params: p, First: c.first, Count: c.lanes, KeepFinals: true, Daily: c.daily}
		wants[i] = run(t, Serial{}, jobs[i])
	}
	testSIMDPaths(t, func(t *testing.T) {
		for i, job := range jobs {
			for _, w := range []int{1, 3} {
				got := run(t, SIMD{Workers: w}, job)
				where := fmt.Sprintf("%s, steps %d, lanes %d", got.Device, job.Params.Steps, job.Count)
				compareResults(t, where, got, wants[i])
			}
		}
	})
}

func compareResults(t *testing.T, where string, got, want *sim.Result) {
	t.Helper()
	if len(got.Finals) != len(want.Finals) {
		t.Fatalf("%s: %d finals, want %d", where, len(got.Finals), len(want.Finals))
	}
	for i := range want.Finals {
		if math.Float32bits(got.Finals[i]) != math.Float32bits(want.Finals[i]) {
			t.Fatalf("%s #%d: got %#x, want %#x", where, i, math.Float32bits(got.Finals[i]), math.Float32bits(want.Finals[i]))
		}
	}
	g, w := got.Summary, want.Summary
	compareSummary(t, where, g, w)
	if g.Mean != w.Mean || g.M2 != w.M2 {
		t.Errorf("%s: mean %v m2 %v, want %v %v", where, g.Mean, g.M2, w.Mean, w.M2)
	}
	if len(got.Daily) != len(want.Daily) {
		t.Fatalf("%s: %d daily summaries, want %d", where, len(got.Daily), len(want.Daily))
	}
	for d, g := range got.Daily {
		w := want.Daily[d]
		compareSummary(t, fmt.Sprintf("%s day %d", where, d+1), g, w)
		// Several goroutines merge their daily summaries in any order.
		if math.Abs(g.Mean-w.Mean) > 1e-12*math.Abs(w.Mean) || math.Abs(g.Std()-w.Std()) > 1e-9*w.Std() {
			t.Errorf("%s day %d: mean/std %v %v, want %v %v", where, d+1, g.Mean, g.Std(), w.Mean, w.Std())
		}
	}
}

func compareSummary(t *testing.T, where string, g, w *sim.Summary) {
	t.Helper()
	if g.Digest != w.Digest {
		t.Errorf("%s: digest got %#x, want %#x", where, g.Digest, w.Digest)
	}
	if g.Count != w.Count || g.Min != w.Min || g.Max != w.Max || !slices.Equal(g.Hist.Bins, w.Hist.Bins) {
		t.Errorf("%s: count %d min %v max %v, want %d %v %v (or histograms differ)", where, g.Count, g.Min, g.Max, w.Count, w.Min, w.Max)
	}
}

// TestSIMDProgressAndCancel: progress adds up to the lanes run, and a
// cancelled context stops the run with its error.
func TestSIMDProgressAndCancel(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 300_001, 3
	e := SIMD{Workers: 2}
	var done atomic.Uint64
	run(t, e, &sim.Job{Params: p, Progress: func(n uint64) { done.Add(n) }})
	if done.Load() != p.Lanes {
		t.Errorf("progress reported %d lanes, want %d", done.Load(), p.Lanes)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	_, err := e.Run(ctx, &sim.Job{Params: p, Progress: func(uint64) {
		if calls.Add(1) == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run returned %v", err)
	}
	if _, err := e.Run(context.Background(), &sim.Job{Params: p, First: p.Lanes}); err == nil {
		t.Error("range past the job's lanes accepted")
	}
}

// TestSIMDDevice: the result names the engine and the path that ran.
func TestSIMDDevice(t *testing.T) {
	p := sim.Default()
	p.Lanes = 100
	want := map[string]string{"avx512": "avx512 x16, 3 goroutines", "avx2": "avx2 x8, 3 goroutines", "portable": "portable x4, 3 goroutines"}
	forEachPath(func(name string) {
		r := run(t, SIMD{Workers: 3}, &sim.Job{Params: p})
		if r.Engine != "simd" || r.Device != want[name] {
			t.Errorf("%s: engine %q device %q, want simd, %q", name, r.Engine, r.Device, want[name])
		}
	})
	if (SIMD{}).Name() != "simd" {
		t.Errorf("name %q", SIMD{}.Name())
	}
}

// BenchmarkSIMD runs the engine on every path at 100 and at 10 steps (the
// default workload's shape), reporting wall and CPU time per lane-step; the
// CPU time is the fairer figure on a machine shared with other work. The
// Parallel sub-benchmark is the baseline of the same shape.
func BenchmarkSIMD(b *testing.B) {
	shapes := []struct {
		lanes uint64
		steps int
	}{{200_000, 100}, {1_000_000, 10}}
	for _, sh := range shapes {
		b.Run(fmt.Sprintf("parallel/%dx%d", sh.lanes, sh.steps), func(b *testing.B) {
			benchCPU(b, Parallel{}, sh.lanes, sh.steps)
		})
	}
	forEachPath(func(name string) {
		for _, sh := range shapes {
			b.Run(fmt.Sprintf("%s/%dx%d", name, sh.lanes, sh.steps), func(b *testing.B) {
				benchCPU(b, SIMD{}, sh.lanes, sh.steps)
			})
		}
	})
}

// BenchmarkSIMD5M is the target workload, 5,000,000 lanes of 100
// steps, on the widest path: run it with -benchtime 1x.
func BenchmarkSIMD5M(b *testing.B) { benchCPU(b, SIMD{}, 5_000_000, 100) }

func benchCPU(b *testing.B, e sim.Engine, lanes uint64, steps int) {
	p := sim.Default()
	p.Lanes, p.Steps = lanes, steps
	cpu0 := testenv.CPUTime()
	for b.Loop() {
		if _, err := e.Run(context.Background(), &sim.Job{Params: p}); err != nil {
			b.Fatal(err)
		}
	}
	ls := float64(b.N) * float64(lanes) * float64(steps)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/ls, "ns/lane-step")
	if c := testenv.CPUTime() - cpu0; c > 0 {
		b.ReportMetric(float64(c.Nanoseconds())/ls, "cpu-ns/lane-step")
	}
}

// BenchmarkBatchKernel times one goroutine's batch path against the
// reference loop, without accumulation: ns per lane-step.
func BenchmarkBatchKernel(b *testing.B) {
	const lanes, steps = 1 << 12, 100
	p := sim.Default()
	p.Lanes, p.Steps = lanes, steps
	m := p.Model()
	out := make([]float32, lanes)
	var cpu0 time.Duration
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/lanes/steps, "ns/lane-step")
		if c := testenv.CPUTime() - cpu0; c > 0 {
			b.ReportMetric(float64(c.Nanoseconds())/float64(b.N)/lanes/steps, "cpu-ns/lane-step")
		}
	}
	b.Run("reference", func(b *testing.B) {
		cpu0 = testenv.CPUTime()
		for b.Loop() {
			for i := range out {
				out[i] = m.Final(uint64(i))
			}
		}
		report(b)
	})
	forEachPath(func(name string) {
		k := pickBatch()
		b.Run(name, func(b *testing.B) {
			cpu0 = testenv.CPUTime()
			for b.Loop() {
				k.fn(&m, 0, out, nil, new(atomic.Bool))
			}
			report(b)
		})
	})
}
