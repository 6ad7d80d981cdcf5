package enginetest

import (
	"fmt"
	"math"

	"github.com/gpusim/gpusim/sim"
)

// Tol is how close two summaries' float64 moments must be, relative to the
// wanted value; 0 asks for equality. Everything else a summary holds (count,
// extremes, digest, histogram) is exact on every engine and is always
// compared exactly.
type Tol struct {
	Mean, Std float64 // the final summary's
	Daily     float64 // each per-step summary's mean and std
}

// DefaultTol is the tolerance between engines that sum the same float64
// deviations from the exact mean in different orders.
var DefaultTol = Tol{Mean: 1e-12, Std: 1e-9, Daily: 1e-9}

// ExactTol asks for the same final moments bit for bit, as between engines
// that merge the same lane blocks in lane order; per-step summaries, merged
// per goroutine in any order, keep DefaultTol's.
var ExactTol = Tol{Daily: DefaultTol.Daily}

// BoundTol asks for moments within the two summaries' own error bounds
// only (CheckDraw): for an engine whose sums are float32's (an OpenCL
// device without fp64), which no fixed tolerance holds on every job.
var BoundTol = Tol{}

// closeRel says whether got is within tol of want relative to want, or
// within abs; an infinite tol passes anything.
func closeRel(got, want, tol, abs float64) bool {
	d := math.Abs(got - want)
	return got == want || math.IsInf(tol, 1) || d <= tol*math.Abs(want) || d <= abs
}

// CompareSummary returns nil when got equals want, else an error naming the
// first difference in the style "bin #%d: got %#x, want %#x". Floats
// compare by their bits, so -0 and 0 differ.
func CompareSummary(got, want *sim.Summary, tol Tol) error {
	return compareSummary(got, want, tol.Mean, tol.Std, 0, 0)
}

// compareSummary compares g with w: the moments to meanTol and stdTol
// relative, or meanAbs and stdAbs absolute.
func compareSummary(g, w *sim.Summary, meanTol, stdTol, meanAbs, stdAbs float64) error {
	if g == nil || w == nil {
		if g != w {
			return fmt.Errorf("summary: got %v, want %v", g, w)
		}
		return nil
	}
	switch {
	case g.Count != w.Count:
		return fmt.Errorf("count: got %d, want %d", g.Count, w.Count)
	case g.Digest != w.Digest:
		return fmt.Errorf("digest: got %#016x, want %#016x", g.Digest, w.Digest)
	case math.Float32bits(g.Min) != math.Float32bits(w.Min):
		return fmt.Errorf("min: got %#x (%v), want %#x (%v)", math.Float32bits(g.Min), g.Min, math.Float32bits(w.Min), w.Min)
	case math.Float32bits(g.Max) != math.Float32bits(w.Max):
		return fmt.Errorf("max: got %#x (%v), want %#x (%v)", math.Float32bits(g.Max), g.Max, math.Float32bits(w.Max), w.Max)
	}
	if err := compareHist(g.Hist, w.Hist); err != nil {
		return err
	}
	if !closeRel(g.Mean, w.Mean, meanTol, meanAbs) || g.Mean == 0 && w.Mean == 0 && math.Signbit(g.Mean) != math.Signbit(w.Mean) {
		return fmt.Errorf("mean: got %.17g (%#x), want %.17g (%#x), relative tolerance %g", g.Mean, math.Float64bits(g.Mean), w.Mean, math.Float64bits(w.Mean), meanTol)
	}
	if !closeRel(g.Std(), w.Std(), stdTol, stdAbs) {
		return fmt.Errorf("std: got %.17g (%#x), want %.17g (%#x), relative tolerance %g", g.Std(), math.Float64bits(g.Std()), w.Std(), math.Float64bits(w.Std()), stdTol)
	}
	return nil
}

func compareHist(g, w *sim.Histogram) error {
	if g == nil || w == nil {
		if g != w {
			return fmt.Errorf("histogram: got %v, want %v", g, w)
		}
		return nil
	}
	if math.Float32bits(g.Lo) != math.Float32bits(w.Lo) || math.Float32bits(g.Scale) != math.Float32bits(w.Scale) || len(g.Bins) != len(w.Bins) {
		return fmt.Errorf("histogram layout: got lo %#x scale %#x %d bins, want %#x %#x %d",
			math.Float32bits(g.Lo), math.Float32bits(g.Scale), len(g.Bins), math.Float32bits(w.Lo), math.Float32bits(w.Scale), len(w.Bins))
	}
	for i := range w.Bins {
		if g.Bins[i] != w.Bins[i] {
			return fmt.Errorf("bin #%d: got %#x, want %#x", i, g.Bins[i], w.Bins[i])
		}
	}
	return nil
}

// CompareResult returns nil when got equals want, else an error naming the
// first difference: the stream (Math), the lane range, the final summary,
// the finals bit for bit ("final #%d: got %#x, want %#x"), then each
// per-step summary ("day %d: ..."). Engine, Device and Timing are not
// compared.
func CompareResult(got, want *sim.Result, tol Tol) error {
	return compareResult(got, want, tol, false)
}

// bounds is how far got's and want's moments, both of lanes whose exact
// mean is mu, may be apart by their own error bounds
// (sim.Summary.MomentErrors): the sum of the two's, where bounded is set
// (a summary summed in float32 on a device without fp64 states larger
// errors than the reference's); else none.
func bounds(got, want *sim.Summary, mu float64, bounded bool) (mean, std float64) {
	if !bounded || got == nil || want == nil || want.Count == 0 {
		return 0, 0
	}
	gm, gs := got.MomentErrors(mu)
	wm, ws := want.MomentErrors(mu)
	return gm + wm, gs + ws
}

// compareResult is CompareResult, the moments also passing within
// bounds' where bounded is set.
func compareResult(got, want *sim.Result, tol Tol, bounded bool) error {
	if got.Math != want.Math {
		return fmt.Errorf("math: got %q, want %q", got.Math, want.Math)
	}
	if got.First != want.First {
		return fmt.Errorf("first: got %d, want %d", got.First, want.First)
	}
	mu, _ := want.Params.Exact(want.Params.Steps)
	ma, sa := bounds(got.Summary, want.Summary, mu, bounded)
	if err := compareSummary(got.Summary, want.Summary, tol.Mean, tol.Std, ma, sa); err != nil {
		return err
	}
	if (got.Finals == nil) != (want.Finals == nil) || len(got.Finals) != len(want.Finals) {
		return fmt.Errorf("finals: got %d (nil %v), want %d (nil %v)", len(got.Finals), got.Finals == nil, len(want.Finals), want.Finals == nil)
	}
	for i, x := range want.Finals {
		if g := got.Finals[i]; math.Float32bits(g) != math.Float32bits(x) {
			return fmt.Errorf("final #%d: got %#x (%v), want %#x (%v)", i, math.Float32bits(g), g, math.Float32bits(x), x)
		}
	}
	if (got.Daily == nil) != (want.Daily == nil) || len(got.Daily) != len(want.Daily) {
		return fmt.Errorf("daily: got %d summaries (nil %v), want %d (nil %v)", len(got.Daily), got.Daily == nil, len(want.Daily), want.Daily == nil)
	}
	for n := range want.Daily {
		mu, _ := want.Params.Exact(n + 1)
		ma, sa := bounds(got.Daily[n], want.Daily[n], mu, bounded)
		if err := compareSummary(got.Daily[n], want.Daily[n], tol.Daily, tol.Daily, ma, sa); err != nil {
			return fmt.Errorf("day %d: %w", n+1, err)
		}
	}
	return nil
}
