package bench

import (
	"encoding/json"
	"errors"
	"math"
)

// Amdahl is Amdahl's law: the speedup on n workers of a job whose fraction p
// runs in parallel,
//
//	S(n) = 1 / ((1 - p) + p/n)
//
// (G. M. Amdahl, "Validity of the single processor approach to achieving
// large scale computing capabilities", AFIPS Spring Joint Computer
// Conference, 1967, pp. 483-485, which argues it in words; the formula as
// written here is that of Hennessy and Patterson, Computer Architecture: A
// Quantitative Approach, 5th ed., section 1.9, and of Hill and Marty,
// "Amdahl's Law in the Multicore Era", IEEE Computer 41(7), 2008).
func Amdahl(p, n float64) float64 { return 1 / ((1 - p) + p/n) }

// AmdahlFit is a least-squares fit of Amdahl's law to measured speedups.
type AmdahlFit struct {
	// P is the fitted parallel fraction, in [0, 1].
	P float64
	// Limit is the speedup on infinitely many workers, 1/(1-P); +Inf when P is 1.
	Limit float64
	// RMS is the root mean square of the speedup residuals at the worker
	// counts above 1: the one-worker point, S(1) = 1 for every P, carries
	// none, and averaged in it read a 2-worker miss of 0.311 as 0.22.
	RMS float64
	// Points is the number of (workers, speedup) points fitted.
	Points int
	// Range is the P fitted at the ends of the timed runs' spread (SetRange):
	// low, high, in [0, 1], P between them; nil where not measured (a report
	// of an earlier gpusim).
	Range *[2]float64
}

// SetRange sets f.Range from the speedups at the ends of the timed runs'
// spread, low[i] and high[i] for workers[i] (the one-worker run's fastest
// time over the point's slowest, and its slowest over the point's fastest):
// the P fitted to each. Every S(n) with n > 1 rises with p, so the
// least-squares P rises with the speedups, and the range holds f.P. It is
// not a confidence interval, which two points cannot give, but how far the
// repetitions' own spread moves P.
func (f *AmdahlFit) SetRange(workers []int, low, high []float64) error {
	lo, err := FitAmdahl(workers, low)
	if err != nil {
		return err
	}
	hi, err := FitAmdahl(workers, high)
	if err != nil {
		return err
	}
	f.Range = &[2]float64{min(lo.P, f.P), max(hi.P, f.P)}
	return nil
}

// MarshalJSON writes an unbounded Limit as null, since JSON has no infinity.
func (f AmdahlFit) MarshalJSON() ([]byte, error) {
	var limit *float64
	if !math.IsInf(f.Limit, 0) {
		limit = &f.Limit
	}
	return json.Marshal(struct {
		P      float64     `json:"p"`
		Range  *[2]float64 `json:"p_range,omitempty"`
		Limit  *float64    `json:"limit"`
		RMS    float64     `json:"rms"`
		Points int         `json:"points"`
	}{f.P, f.Range, limit, f.RMS, f.Points})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *AmdahlFit) UnmarshalJSON(b []byte) error {
	var v struct {
		P      float64     `json:"p"`
		Range  *[2]float64 `json:"p_range"`
		Limit  *float64    `json:"limit"`
		RMS    float64     `json:"rms"`
		Points int         `json:"points"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = AmdahlFit{P: v.P, Limit: math.Inf(1), RMS: v.RMS, Points: v.Points, Range: v.Range}
	if v.Limit != nil {
		f.Limit = *v.Limit
	}
	return nil
}

// AtBound says whether P is held at a bound, 0 or 1, by speedups the law
// cannot give (below 1 at P 0, above the worker count at P 1): the least
// squares would put P past it, and the fit misses the points. P, not the
// residual alone, says so: an interior P solved to 1e-13 leaves a residual
// of 1e-8 at 1024 workers, where the speedup's slope in P is 1e6.
func (f *AmdahlFit) AtBound() bool {
	return (f.P == 0 || f.P == 1) && f.RMS > 1e-9
}

// ErrNoScaling is returned by FitAmdahl when no point has more than one
// worker, so the data say nothing about the parallel fraction.
var ErrNoScaling = errors.New("amdahl fit: need a speedup measured on more than one worker")

// FitAmdahl finds Amdahl's P, the parallel fraction p in [0, 1], that
// minimizes
//
//	sum_i (speedups[i] - S(workers[i]))^2
//
// the squared error in the speedups themselves (not in 1/S, whose linear fit
// would weight the many-worker points less). The sum is smooth in p, so a
// scan of a 1/1000 grid brackets the minimum and a golden-section search
// refines it to about 1e-13; on exact data it recovers p to that precision.
// Point i is (workers[i], speedups[i]). Errors: lengths
// that differ, a worker count below 1, a speedup that is not finite, and
// ErrNoScaling.
func FitAmdahl(workers []int, speedups []float64) (AmdahlFit, error) {
	if len(workers) != len(speedups) {
		return AmdahlFit{}, errors.New("amdahl fit: workers and speedups differ in length")
	}
	informative := 0
	for i, n := range workers {
		if n < 1 {
			return AmdahlFit{}, errors.New("amdahl fit: worker counts must be at least 1")
		}
		if math.IsNaN(speedups[i]) || math.IsInf(speedups[i], 0) {
			return AmdahlFit{}, errors.New("amdahl fit: speedups must be finite")
		}
		if n > 1 {
			informative++
		}
	}
	if informative == 0 {
		return AmdahlFit{}, ErrNoScaling
	}
	sse := func(p float64) float64 {
		var s float64
		for i, n := range workers {
			r := speedups[i] - Amdahl(p, float64(n))
			s += r * r
		}
		return s
	}
	const grid = 1000
	best, bestF := 0, math.Inf(1)
	for k := 0; k <= grid; k++ {
		if f := sse(float64(k) / grid); f < bestF {
			best, bestF = k, f
		}
	}
	a := float64(max(best-1, 0)) / grid
	b := float64(min(best+1, grid)) / grid
	p := goldenMin(sse, a, b, 1e-13)
	// The bracket ends are candidates too: the minimum may sit on a bound.
	for _, q := range []float64{a, b} {
		if sse(q) < sse(p) {
			p = q
		}
	}
	fit := AmdahlFit{P: p, Limit: 1 / (1 - p), RMS: math.Sqrt(sse(p) / float64(informative)), Points: len(workers)}
	if p >= 1 {
		fit.Limit = math.Inf(1)
	}
	return fit, nil
}

// goldenMin minimizes a unimodal f on [a, b] by golden-section search until
// the bracket is narrower than tol (J. Kiefer, "Sequential minimax search
// for a maximum", Proc. AMS 4, 1953, pp. 502-506; Press et al., Numerical
// Recipes, 3rd ed., section 10.2): each step keeps the sub-bracket around
// the lower of two interior points placed at 1 - 1/phi and 1/phi of it.
func goldenMin(f func(float64) float64, a, b, tol float64) float64 {
	invPhi := (math.Sqrt(5) - 1) / 2
	c := b - invPhi*(b-a)
	d := a + invPhi*(b-a)
	fc, fd := f(c), f(d)
	for b-a > tol {
		if fc <= fd {
			b, d, fd = d, c, fc
			c = b - invPhi*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + invPhi*(b-a)
			fd = f(d)
		}
	}
	return (a + b) / 2
}
