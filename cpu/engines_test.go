package cpu

import (
	"context"
	"math"
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
