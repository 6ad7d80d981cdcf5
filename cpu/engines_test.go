package cpu

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

func run(t *testing.T, e sim.Engine, job *sim.Job) *sim.Result {
	t.Helper()
	r, err := e.Run(context.Background(), job)
	if err != nil {
		t.Fatalf("%s: %v", e.Name(), err)
	}
	return r
}

// TestParallelMatchesSerial: every worker count gives the serial engine's
// digest and finals bit for bit, including odd lane counts and offsets.
func TestParallelMatchesSerial(t *testing.T) {
	for _, lanes := range []uint64{1, 17, 100003} {
		p := sim.Default()
		p.Lanes, p.Steps = lanes+5, 13
		job := &sim.Job{Params: p, First: 5, Count: lanes, KeepFinals: true}
		want := run(t, Serial{}, job)
		m := p.Model()
		for i, x := range want.Finals {
			if y := m.Final(5 + uint64(i)); math.Float32bits(x) != math.Float32bits(y) {
				t.Fatalf("serial #%d: got %#x, want %#x", i, math.Float32bits(x), math.Float32bits(y))
			}
		}
		for _, w := range []int{1, 2, 3, 7} {
			got := run(t, Parallel{Workers: w}, job)
			s, g := want.Summary, got.Summary
			if g.Digest != s.Digest || g.Count != s.Count || g.Min != s.Min || g.Max != s.Max || !slices.Equal(g.Hist.Bins, s.Hist.Bins) {
				t.Errorf("lanes %d workers %d: digest %#x count %d, want %#x %d", lanes, w, g.Digest, g.Count, s.Digest, s.Count)
			}
			if math.Abs(g.Mean-s.Mean) > 1e-12*math.Abs(s.Mean) || math.Abs(g.Std()-s.Std()) > 1e-9*s.Std() {
				t.Errorf("lanes %d workers %d: mean/std %v %v, want %v %v", lanes, w, g.Mean, g.Std(), s.Mean, s.Std())
			}
			for i := range got.Finals {
				if math.Float32bits(got.Finals[i]) != math.Float32bits(want.Finals[i]) {
					t.Fatalf("workers %d #%d: got %#x, want %#x", w, i, math.Float32bits(got.Finals[i]), math.Float32bits(want.Finals[i]))
				}
			}
		}
	}
}

func TestDailyAgainstExact(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 200_000, 12
	for _, e := range []sim.Engine{Serial{}, Parallel{Workers: 3}} {
		r := run(t, e, &sim.Job{Params: p, Daily: true})
		if len(r.Daily) != p.Steps {
			t.Fatalf("%s: %d daily summaries, want %d", e.Name(), len(r.Daily), p.Steps)
		}
		for n, d := range r.Daily {
			mean, sd := p.Exact(n + 1)
			if d.Count != p.Lanes {
				t.Errorf("%s day %d: count %d", e.Name(), n+1, d.Count)
			}
			if z := (d.Mean - mean) / (sd / math.Sqrt(float64(d.Count))); math.Abs(z) > 4.5 {
				t.Errorf("%s day %d: mean %.4f, exact %.4f (z %.2f)", e.Name(), n+1, d.Mean, mean, z)
			}
			if r := d.Std() / sd; math.Abs(r-1) > 4.5*math.Sqrt(0.5/float64(d.Count)) {
				t.Errorf("%s day %d: sd %.4f, exact %.4f", e.Name(), n+1, d.Std(), sd)
			}
		}
		// The last day is the final temperature.
		if last := r.Daily[p.Steps-1]; last.Digest != r.Summary.Digest {
			t.Errorf("%s: last day's digest %#x, final digest %#x", e.Name(), last.Digest, r.Summary.Digest)
		}
	}
}

func TestProgressAndCancel(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 300_001, 3
	for _, e := range []sim.Engine{Serial{}, Parallel{Workers: 2}} {
		var done atomic.Uint64
		run(t, e, &sim.Job{Params: p, Progress: func(n uint64) { done.Add(n) }})
		if done.Load() != p.Lanes {
			t.Errorf("%s: progress reported %d lanes, want %d", e.Name(), done.Load(), p.Lanes)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var calls atomic.Int32
		_, err := e.Run(ctx, &sim.Job{Params: p, Progress: func(uint64) {
			if calls.Add(1) == 2 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: cancelled run returned %v", e.Name(), err)
		}
	}
}

func TestBadRange(t *testing.T) {
	p := sim.Default()
	p.Lanes = 10
	if _, err := (Serial{}).Run(context.Background(), &sim.Job{Params: p, First: 8, Count: 3}); err == nil {
		t.Error("range past the job's lanes accepted")
	}
}

func benchEngine(b *testing.B, e sim.Engine, lanes uint64, steps int) {
	p := sim.Default()
	p.Lanes, p.Steps = lanes, steps
	for i := 0; i < b.N; i++ {
		if _, err := e.Run(context.Background(), &sim.Job{Params: p}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(lanes)/float64(steps), "ns/lane-step")
}

func BenchmarkSerial(b *testing.B)   { benchEngine(b, Serial{}, 200_000, 100) }
func BenchmarkParallel(b *testing.B) { benchEngine(b, Parallel{}, 200_000, 100) }
