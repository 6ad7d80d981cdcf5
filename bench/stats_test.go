package bench

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	for _, tc := range []struct {
		in          []time.Duration
		med, lo, hi time.Duration
	}{
		{ms(5), 5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond},
		{ms(3, 1, 2), 2 * time.Millisecond, time.Millisecond, 3 * time.Millisecond},
		{ms(4, 1, 3, 2), 2500 * time.Microsecond, time.Millisecond, 4 * time.Millisecond},
		{[]time.Duration{3, 2}, 2, 2, 3}, // (2+3)/2 rounds down
		{[]time.Duration{math.MaxInt64, math.MaxInt64}, math.MaxInt64, math.MaxInt64, math.MaxInt64},
	} {
		in := append([]time.Duration(nil), tc.in...)
		s := Summarize(in)
		if s.Median != tc.med || s.Min != tc.lo || s.Max != tc.hi || s.N != len(tc.in) {
			t.Errorf("Summarize(%v) = %+v, want median %v min %v max %v", tc.in, s, tc.med, tc.lo, tc.hi)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Fatalf("Summarize modified its input")
			}
		}
	}
	if s := Summarize(nil); s != (Stats{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", s)
	}
}

func TestFitAmdahlExact(t *testing.T) {
	// Exact speedups from the law itself must give P back to within exactTol.
	const exactTol = 1e-6
	for _, p := range []float64{0, 0.5, 0.9, 0.99, 0.999, 1} {
		for _, workers := range [][]int{{1, 2}, {1, 2, 4, 8, 16}, {2, 3, 5, 7, 64}} {
			s := make([]float64, len(workers))
			for i, n := range workers {
				s[i] = Amdahl(p, float64(n))
			}
			fit, err := FitAmdahl(workers, s)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(fit.P-p) > exactTol {
				t.Errorf("P=%v workers %v: fitted P=%.12f", p, workers, fit.P)
			}
			if fit.RMS > 1e-6 {
				t.Errorf("P=%v workers %v: RMS %g on exact data", p, workers, fit.RMS)
			}
			if p < 1 && math.Abs(fit.Limit-1/(1-p)) > 1e-3*fit.Limit {
				t.Errorf("P=%v: limit %v, want %v", p, fit.Limit, 1/(1-p))
			}
		}
	}
}

func TestFitAmdahlNoisy(t *testing.T) {
	// Speedups of P=0.95 with 1% multiplicative noise over 1..32 workers,
	// 5 repetitions each: the fitted P must be within noisyTol.
	const (
		truth    = 0.95
		noise    = 0.01
		noisyTol = 0.005
		seed     = 42
	)
	r := rand.New(rand.NewPCG(seed, seed))
	var ws []int
	var ss []float64
	for n := 1; n <= 32; n *= 2 {
		for range 5 {
			ws = append(ws, n)
			ss = append(ss, Amdahl(truth, float64(n))*(1+noise*r.NormFloat64()))
		}
	}
	fit, err := FitAmdahl(ws, ss)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(fit.P-truth) > noisyTol {
		t.Errorf("noisy fit P=%.5f, want %v +/- %v", fit.P, truth, noisyTol)
	}
}

func TestFitAmdahlClamps(t *testing.T) {
	// Superlinear speedups clamp to P=1; slowdowns clamp to P=0.
	fit, err := FitAmdahl([]int{1, 2, 4}, []float64{1, 2.5, 6})
	if err != nil || fit.P != 1 || !math.IsInf(fit.Limit, 1) {
		t.Errorf("superlinear: %+v, %v; want P=1, Limit=+Inf", fit, err)
	}
	fit, err = FitAmdahl([]int{1, 2, 4}, []float64{1, 0.8, 0.5})
	if err != nil || fit.P != 0 || fit.Limit != 1 {
		t.Errorf("slowdown: %+v, %v; want P=0, Limit=1", fit, err)
	}
	b, err := json.Marshal(AmdahlFit{P: 1, Limit: math.Inf(1)})
	if err != nil {
		t.Fatal(err)
	}
	var back AmdahlFit
	if err := json.Unmarshal(b, &back); err != nil || !math.IsInf(back.Limit, 1) {
		t.Errorf("JSON round trip of an unbounded fit: %s -> %+v, %v", b, back, err)
	}
}

func TestFitAmdahlErrors(t *testing.T) {
	if _, err := FitAmdahl([]int{1, 1}, []float64{1, 1}); !errors.Is(err, ErrNoScaling) {
		t.Errorf("one worker only: err %v, want ErrNoScaling", err)
	}
	if _, err := FitAmdahl([]int{1, 2}, []float64{1}); err == nil {
		t.Error("length mismatch: no error")
	}
	if _, err := FitAmdahl([]int{0, 2}, []float64{1, 2}); err == nil {
		t.Error("zero workers: no error")
	}
	if _, err := FitAmdahl([]int{1, 2}, []float64{1, math.NaN()}); err == nil {
		t.Error("NaN speedup: no error")
	}
}
