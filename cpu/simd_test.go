package cpu

import (
	"context"
	"fmt"
	"math"
	"strings"
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
	k.fn(&m, first, 0, m.Steps, out, nil, new(atomic.Bool))
	for i, x := range out {
		if y := m.Final(first + uint64(i)); math.Float32bits(x) != math.Float32bits(y) {
			t.Fatalf("steps %d first %d lanes %d #%d: got %#x, want %#x", steps, first, lanes, i, math.Float32bits(x), math.Float32bits(y))
		}
	}
}

// TestSIMDSegments: every path run a segment of steps at a time, each from
// the lanes' temperatures after the last (as a --daily block runs), writes
// sim.Model.PathFrom's bits into each row of the path and the temperatures
// after the segment into out, at lane counts around the vector widths and
// the pairs of groups, segments of one to three Philox blocks, and step
// counts that end within a block.
func TestSIMDSegments(t *testing.T) {
	testSIMDPaths(t, func(t *testing.T) {
		p := sim.Default()
		for _, steps := range []int{0, 1, 4, 7, 13, 30} {
			for _, seg := range []int{4, 8, 12} {
				for _, lanes := range []int{1, 5, 16, 33, 47, 64} {
					const first = 1<<32 - 9
					p.Lanes, p.Steps = first+uint64(lanes), steps
					m := p.Model()
					k := pickBatch()
					out := make([]float32, lanes)
					want := make([][]float32, lanes) // each lane's path
					for i := range want {
						want[i] = make([]float32, steps)
						m.Path(first+uint64(i), want[i])
					}
					for s0 := 0; s0 < steps || s0 == 0; s0 += seg {
						s1 := min(s0+seg, steps)
						path := make([]float32, lanes*(s1-s0))
						k.fn(&m, first, s0, s1, out, path, new(atomic.Bool))
						for i := range lanes {
							wantOut := m.Start
							if s1 > 0 {
								wantOut = want[i][s1-1]
							}
							if math.Float32bits(out[i]) != math.Float32bits(wantOut) {
								t.Fatalf("%d steps, segments of %d, %d lanes: lane %d after step %d is %#x, want %#x", steps, seg, lanes, i, s1, math.Float32bits(out[i]), math.Float32bits(wantOut))
							}
							for r := range s1 - s0 {
								if got := path[r*lanes+i]; math.Float32bits(got) != math.Float32bits(want[i][s0+r]) {
									t.Fatalf("%d steps, segments of %d, %d lanes: lane %d's path at step %d is %#x, want %#x", steps, seg, lanes, i, s0+r+1, math.Float32bits(got), math.Float32bits(want[i][s0+r]))
								}
							}
						}
						if steps == 0 {
							break
						}
					}
				}
			}
		}
	})
}

// TestSIMDDevice: the result names the engine, the path that ran and the
// goroutines that ran: at most one a block of lanes. A job of 100 lanes
// (one block) read "3 goroutines" with 3 workers given, and 1024 with 1024.
func TestSIMDDevice(t *testing.T) {
	p := sim.Default()
	for _, c := range []struct {
		lanes   uint64
		workers int
		want    string
	}{{100, 3, "1 goroutine"}, {100, 1024, "1 goroutine"}, {3 * chunkLanes, 3, "3 goroutines"}, {3*chunkLanes + 1, 8, "4 goroutines"}} {
		p.Lanes = c.lanes
		forEachPath(func(name string) {
			width := map[string]int{"avx512": 16, "avx2": 8, "portable": 4}[name]
			want := fmt.Sprintf("%s x%d, %s", name, width, c.want)
			r := run(t, SIMD{Workers: c.workers}, &sim.Job{Params: p})
			if r.Engine != "simd" || r.Device != want {
				t.Errorf("%d lanes, %d workers: engine %q device %q, want simd, %q", c.lanes, c.workers, r.Engine, r.Device, want)
			}
			if got := RunWorkers(c.workers, c.lanes, p.Steps, false); !strings.HasSuffix(want, goroutines(got)) {
				t.Errorf("RunWorkers(%d, %d, %d) = %d, want the run's %s", c.workers, c.lanes, p.Steps, got, c.want)
			}
		})
	}
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

// BenchmarkSIMDLane times the engine's work a lane besides its steps, on
// every path, plain and with --daily: 1e6 lanes of 1 and of 33 steps (a
// Philox block's 4 and 8 more), reporting CPU time per lane. The lane's
// own cost (its Philox counter's seed, its state, its final's statistics,
// and with --daily its step's row) is the 1-step run's per lane less the
// slope, (33-step - 1-step)/32: the measurement behind package engines'
// simdLaneNsPerCore. go test -run '^$' -bench '^BenchmarkSIMDLane$'
// -count 5 ./cpu.
func BenchmarkSIMDLane(b *testing.B) {
	const lanes = 1_000_000
	forEachPath(func(name string) {
		for _, daily := range []bool{false, true} {
			for _, steps := range []int{1, 33} {
				mode := "plain"
				if daily {
					mode = "daily"
				}
				b.Run(fmt.Sprintf("%s/%s/%dx%d", name, mode, lanes, steps), func(b *testing.B) {
					p := sim.Default()
					p.Lanes, p.Steps = lanes, steps
					cpu0 := testenv.CPUTime()
					for b.Loop() {
						if _, err := (SIMD{}).Run(context.Background(), &sim.Job{Params: p, Daily: daily}); err != nil {
							b.Fatal(err)
						}
					}
					n := float64(b.N) * lanes
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/lane")
					if c := testenv.CPUTime() - cpu0; c > 0 {
						b.ReportMetric(float64(c.Nanoseconds())/n, "cpu-ns/lane")
					}
				})
			}
		}
	})
}

// BenchmarkSIMD5M is the target workload, 5,000,000 lanes of 100
// steps, on the widest path: run it with -benchtime 1x.
func BenchmarkSIMD5M(b *testing.B) { benchCPU(b, SIMD{}, 5_000_000, 100) }

// BenchmarkDailyBlocks times simd --daily at many steps with blocks of 64
// to 4096 lanes and at chunkFor's, the measurement behind dailyChunkLanes:
// go test -run - -bench DailyBlocks -benchtime 5x ./cpu.
func BenchmarkDailyBlocks(b *testing.B) {
	defer func() { testChunk = 0 }()
	for _, sh := range []struct {
		lanes uint64
		steps int
	}{{10_000, 3650}, {100_000, 1000}, {1_000_000, 365}} {
		for _, c := range []uint64{0, 64, 256, 1024, 4096} {
			name := fmt.Sprintf("%dx%d/block=%d", sh.lanes, sh.steps, c)
			if c == 0 {
				name = fmt.Sprintf("%dx%d/block=chunkFor", sh.lanes, sh.steps)
			}
			b.Run(name, func(b *testing.B) {
				testChunk = c
				benchJob(b, SIMD{}, sh.lanes, sh.steps, true)
			})
		}
	}
}

func benchCPU(b *testing.B, e sim.Engine, lanes uint64, steps int) {
	benchJob(b, e, lanes, steps, false)
}

func benchJob(b *testing.B, e sim.Engine, lanes uint64, steps int, daily bool) {
	p := sim.Default()
	p.Lanes, p.Steps = lanes, steps
	cpu0 := testenv.CPUTime()
	for b.Loop() {
		if _, err := e.Run(context.Background(), &sim.Job{Params: p, Daily: daily}); err != nil {
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
				k.fn(&m, 0, 0, m.Steps, out, nil, new(atomic.Bool))
			}
			report(b)
		})
	})
}
