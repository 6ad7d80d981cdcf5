package sim

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/rng"
)

// roundingCases are parameters near and beyond float32's useful precision
// (issue 11) and ordinary ones, with persistences that shrink, flip, keep
// and grow the state.
func roundingCases() []Params {
	var ps []Params
	for _, c := range []struct{ start, anchor, p, sigma float64 }{
		{75, 72, 0.5, 5}, {1e7, 1e7, 0.5, 5}, {3e7, 3e7, 0.5, 5}, {75, 1e30, 0.5, 5},
		{75, 72, 0.5, 1e-45}, {0, 0, 0.5, 1e-45}, {1e7, -3e6, -0.9, 100}, {1e5, 0, 1, 3},
		{-2e6, 1e6, 0.999, 0.25}, {10, 1, 1.01, 1}, {123.456, 0.1, 0.3, 1e-3},
	} {
		p := Default()
		p.Start, p.Anchor, p.Persistence, p.Sigma = c.start, c.anchor, c.p, c.sigma
		ps = append(ps, p)
	}
	return ps
}

// TestRoundingBoundsLanes: every lane's float32 temperature is within
// Rounding's bounds of the same lane computed in float64 (whose own error
// is some 2^-29 times smaller): Std bounds the distance to the recurrence
// with the engines' C, Mean the distance to the exact law's recurrence with
// (1 - P) A.
func TestRoundingBoundsLanes(t *testing.T) {
	const lanes = 2000
	for _, p := range roundingCases() {
		for _, steps := range []int{1, 2, 3, 7, 40} {
			p.Steps = steps
			m := p.Model()
			P, C, A, S := float64(m.P), float64(m.C), float64(m.Anchor), float64(m.Sigma)
			rs := p.RoundingSteps(steps)
			for lane := range uint64(lanes) {
				t32 := m.Start
				tc, ta := float64(m.Start), float64(m.Start)
				for s := 0; s < steps; s += 4 {
					var z [4]float32
					z[0], z[1], z[2], z[3] = rng.LaneBlock(lane, uint32(s>>2), m.Key)
					for j := 0; j < 4 && s+j < steps; j++ {
						t32 = m.Step(t32, z[j])
						tc = P*tc + C + S*float64(z[j])
						ta = P*ta + (1-P)*A + S*float64(z[j])
						r := rs[s+j]
						if d := math.Abs(float64(t32) - tc); d > r.Std {
							t.Fatalf("%+v lane %d step %d: float32 %v is %g from the float64 recurrence, bound %g", p, lane, s+j+1, t32, d, r.Std)
						}
						if d := math.Abs(float64(t32) - ta); d > r.Mean {
							t.Fatalf("%+v lane %d step %d: float32 %v is %g from the exact law's recurrence, bound %g", p, lane, s+j+1, t32, d, r.Mean)
						}
					}
				}
			}
			if r := p.Rounding(steps); r != rs[steps-1] {
				t.Errorf("%+v: Rounding(%d) = %+v, RoundingSteps says %+v", p, steps, r, rs[steps-1])
			}
		}
	}
}

// TestRoundingSteps: the per-step bounds equal Rounding(k) also past the
// fixed point, and a run of the most steps ends at the fixed point.
func TestRoundingSteps(t *testing.T) {
	p := Default()
	p.Start, p.Anchor = 1e7, 1e7
	rs := p.RoundingSteps(3000)
	for _, k := range []int{1, 2, 10, 100, 999, 3000} {
		if r := p.Rounding(k); r != rs[k-1] {
			t.Errorf("step %d: Rounding %+v, RoundingSteps %+v", k, r, rs[k-1])
		}
	}
	if r := p.Rounding(MaxSteps); r != rs[2999] {
		t.Errorf("Rounding(MaxSteps) = %+v, want the fixed point %+v", r, rs[2999])
	}
	p.Steps = 0
	if r := p.Rounding(0); r != (Rounding{}) {
		t.Errorf("0 steps: %+v", r)
	}
}

// TestRoundingLong: past loopSteps without a fixed point (|P| >= 1, or
// within 1/loopSteps of 1) Rounding jumps the rest by powers of one step's
// matrix; it agrees with the step-by-step bounds to its margin (about 1e-9
// relative here), never below them, and takes milliseconds at the most steps, which the
// loop took some 45 s for (before a run's start, for its note, and again
// for its report).
func TestRoundingLong(t *testing.T) {
	cases := []struct{ p, start, anchor, sigma float64 }{
		{1, 75, 72, 5}, {-1, 75, 72, 5}, {0.9999999, 75, 72, 5}, {-0.9999999, 1e6, -1e6, 1e-3},
		{1.0000001, 0, 0, 1e-30}, {-1.0000001, 1, 2, 1e-20}, {0.99999, 1e10, 1e10, 1},
	}
	for _, c := range cases {
		p := Default()
		p.Persistence, p.Start, p.Anchor, p.Sigma = c.p, c.start, c.anchor, c.sigma
		for _, n := range []int{loopSteps - 1, loopSteps, loopSteps + 1, 3*loopSteps + 17} {
			want := p.RoundingSteps(n)[n-1] // step by step
			got := p.Rounding(n)
			for _, v := range [][2]float64{{got.Mean, want.Mean}, {got.Std, want.Std}} {
				if !(v[0] >= v[1] && v[0]-v[1] <= 1.01*jumpMargin(n)*v[1]) {
					t.Errorf("--persistence %g from %g to %g, sigma %g, %d steps: Rounding %+v, step by step %+v", c.p, c.start, c.anchor, c.sigma, n, got, want)
				}
			}
		}
	}
	start := time.Now()
	for _, pp := range []float64{1, -1, 0.9999999} {
		p := Default()
		p.Persistence = pp
		r := p.Rounding(MaxSteps)
		if math.IsNaN(r.Mean) || math.IsNaN(r.Std) || !(r.Std > 0) {
			t.Errorf("--persistence %g: Rounding(MaxSteps) = %+v", pp, r)
		}
	}
	// The note's bound is no number past float64 (it read "up to +Inf").
	p := Default()
	p.Persistence, p.Steps = 1, MaxSteps
	if n := p.PrecisionNote(1000, nil); strings.Contains(n, "Inf") || !strings.Contains(n, "can move the sd as far as the exact sd 3.28e+05 or more (its worst case grows past float64's range over 4294967296 steps)") {
		t.Errorf("--persistence 1 --steps %d: note %q", MaxSteps, n)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Rounding(MaxSteps) took %v for three persistences", d)
	}
}

// TestRoundingJumpExact: at 2^32 steps the jump's bounds are at least the
// recurrence's in exact arithmetic (here 300-bit floats: the loop's first
// loopSteps steps, then powers of the step's matrix, which TestRoundingLong
// checks against the loop). With a flat margin of 2^-30 they were below it
// by 9e-11 relative at --persistence 0.9999999, the float64 powers erring
// by 1e-9.
func TestRoundingJumpExact(t *testing.T) {
	for _, pv := range []float64{0.9999999, -0.9999999, 0.999999, 0.9999, -0.99999} {
		p := Default()
		p.Persistence = pv
		n := MaxSteps
		m := p.Model()
		f := func(x float64) *big.Float { return new(big.Float).SetPrec(300).SetFloat64(x) }
		sum := func(xs ...*big.Float) *big.Float {
			z := f(0)
			for _, x := range xs {
				z.Add(z, x)
			}
			return z
		}
		prod := func(xs ...*big.Float) *big.Float {
			z := f(1)
			for _, x := range xs {
				z.Mul(z, x)
			}
			return z
		}
		u, tn := f(roundoff), f(tiny)
		q := sum(f(1), u)
		h := func(x *big.Float) *big.Float { return sum(prod(u, x), tn) }
		P, C := f(math.Abs(float64(m.P))), f(math.Abs(float64(m.C)))
		dC := f(math.Abs(float64(m.C) - (1-float64(m.P))*float64(m.Anchor)))
		a3 := prod(f(float64(m.Sigma)), f(MaxNormal))
		e3 := h(a3)
		M, b, g := f(math.Abs(float64(m.Start))), f(0), f(0)
		for range loopSteps {
			a1 := prod(P, M)
			e1 := h(a1)
			a2 := sum(a1, e1, C)
			e2 := h(a2)
			a4 := sum(a2, e2, a3, e3)
			e4 := h(a4)
			M, b, g = sum(a4, e4), sum(prod(P, b), e1, e2, e3, e4), sum(prod(P, g), dC)
		}
		k4 := sum(tn, a3, e3)
		a := [4][4]*big.Float{
			{prod(q, q, q, P), f(0), f(0), sum(prod(q, q, sum(tn, C)), prod(q, k4), tn)},
			{prod(u, P, sum(f(1), q, prod(q, q))), P, f(0), sum(prod(u, sum(prod(sum(tn, C), sum(f(1), q)), k4)), prod(f(3), tn), e3)},
			{f(0), f(0), P, dC},
			{f(0), f(0), f(0), f(1)},
		}
		x := [4]*big.Float{M, b, g, f(1)}
		for r := n - loopSteps; r > 0; r >>= 1 {
			if r&1 == 1 {
				var y [4]*big.Float
				for i := range 4 {
					y[i] = sum(prod(a[i][0], x[0]), prod(a[i][1], x[1]), prod(a[i][2], x[2]), prod(a[i][3], x[3]))
				}
				x = y
			}
			var c [4][4]*big.Float
			for i := range 4 {
				for j := range 4 {
					c[i][j] = sum(prod(a[i][0], a[0][j]), prod(a[i][1], a[1][j]), prod(a[i][2], a[2][j]), prod(a[i][3], a[3][j]))
				}
			}
			a = c
		}
		wantStd, _ := x[1].Float64()
		wantMean, _ := sum(x[1], x[2]).Float64()
		got := p.Rounding(n)
		if !(got.Std >= wantStd && got.Mean >= wantMean) || got.Std > wantStd*(1+1e-5) {
			t.Errorf("--persistence %g, %d steps: Rounding %+v, exact mean %g sd %g (rel %.3g)", pv, n, got, wantMean, wantStd, (got.Std-wantStd)/wantStd)
		}
	}
}

// Issue 11's cases: sample statistics of simulated lanes whose plain
// z-scores are far beyond 4 although nothing is wrong.
const (
	zBound      = 4
	zLanesLarge = 200_000 // at 3e7 the plain sd z-score is about +10 here (+24 at 10^6)
	zLanesTiny  = 1000    // the issue's -44.7 is -sqrt(2 * 1000)
	zStepsIssue = 10
)

func sampleStats(p Params, lanes uint64) (mean, std float64) {
	m := p.Model()
	xs := make([]float32, lanes)
	parallelFor(int(lanes), func(i int) { xs[i] = m.Final(uint64(i)) })
	var s1 float64
	for _, x := range xs {
		s1 += float64(x)
	}
	mean = s1 / float64(lanes)
	var s2 float64
	for _, x := range xs {
		s2 += (float64(x) - mean) * (float64(x) - mean)
	}
	return mean, math.Sqrt(s2 / float64(lanes))
}

func TestZWithinRounding(t *testing.T) {
	for _, c := range []struct {
		start, anchor, sigma float64
		lanes                uint64
	}{{3e7, 3e7, 5, zLanesLarge}, {1e7, 1e7, 5, zLanesLarge}, {75, 1e30, 5, zLanesTiny}, {75, 72, 1e-45, zLanesTiny}} {
		p := Default()
		p.Start, p.Anchor, p.Sigma, p.Steps, p.Lanes = c.start, c.anchor, c.sigma, zStepsIssue, c.lanes
		mean, std := sampleStats(p, c.lanes)
		law, r := p.Law(p.Steps), p.Rounding(p.Steps)
		zm, zs := ZMeanWithin(mean, c.lanes, law, r.Mean), ZStdWithin(std, c.lanes, law, r.Std)
		t.Logf("start %g anchor %g sigma %g: plain z %.1f %.1f, within rounding %.2f %.2f", c.start, c.anchor, c.sigma,
			ZMean(mean, c.lanes, law), ZStd(std, c.lanes, law), zm, zs)
		if math.Abs(zm) > zBound || math.Abs(zs) > zBound {
			t.Errorf("start %g anchor %g sigma %g: z %.2f %.2f within rounding, want |z| <= %d", c.start, c.anchor, c.sigma, zm, zs, zBound)
		}
	}
	// The 3e7 case is one the plain z-score fails.
	p := Default()
	p.Start, p.Anchor, p.Steps = 3e7, 3e7, zStepsIssue
	if _, std := sampleStats(p, zLanesLarge); ZStd(std, zLanesLarge, p.Law(p.Steps)) <= zBound {
		t.Errorf("the plain sd z-score at 3e7 is within %d: the case no longer tests anything", zBound)
	}
}

// TestZWithinStillCatches: at ordinary magnitudes the allowance is tiny, so
// a mean off by 5 standard errors or an sd off by 1% at 10^6 lanes still
// gives |z| > 4.
func TestZWithinStillCatches(t *testing.T) {
	const n = 1_000_000
	p := Default()
	law, r := p.Law(p.Steps), p.Rounding(p.Steps)
	se := law.Sigma / math.Sqrt(n)
	for _, c := range []struct {
		name string
		z    float64
	}{
		{"mean +5 se", ZMeanWithin(law.Mu+5*se, n, law, r.Mean)},
		{"mean -5 se", ZMeanWithin(law.Mu-5*se, n, law, r.Mean)},
		{"sd +1%", ZStdWithin(law.Sigma*1.01, n, law, r.Std)},
		{"sd -1%", ZStdWithin(law.Sigma*0.99, n, law, r.Std)},
	} {
		if math.Abs(c.z) <= zBound {
			t.Errorf("%s: z %.2f, want |z| > %d", c.name, c.z, zBound)
		}
	}
	if z := ZMeanWithin(law.Mu+r.Mean/2, n, law, r.Mean); z != 0 {
		t.Errorf("a mean within the allowance: z %v, want 0", z)
	}
	if z := ZStdWithin(law.Sigma, 0, law, r.Std); !math.IsNaN(z) {
		t.Errorf("no lanes: z %v, want NaN", z)
	}
}

func TestPrecisionNote(t *testing.T) {
	for _, c := range []struct {
		start, anchor, sigma float64
		// persistence, steps and lanes when not 0 (else the defaults)
		persistence float64
		steps       int
		lanes       uint64
		want        string
	}{
		{75, 72, 5, 0, 0, 0, ""},
		// 1e4's ulp is 1e-3: a thousandth of the sd is a standard error
		// at the default 5M lanes, not at 1000.
		{1e4, 1e4, 5, 0, 0, 0, "1.16 and 1.64 standard errors at 5000000 lanes"},
		{1e4, 1e4, 5, 0, 0, 1000, ""},
		{1e7, 1e7, 5, 0, 0, 0, "the z-scores allow for it"},
		{3e7, 3e7, 5, 0, 0, 0, "the z-scores test nothing"},
		{75, 1e30, 5, 0, 0, 0, "the z-scores test nothing"},
		{75, 72, 1e-45, 0, 0, 0, "the z-scores test nothing"},
		{75, 72, 1e-46, 0, 0, 0, "--sigma 1e-46 is 0 in float32"},
		{75, 72, 0, 0, 0, 0, ""},
		// Without noise the report has no z-scores: where float32 ends the
		// one path away from the exact mean, the note says so (nothing
		// did, beside a simulated 75 and an exact 74.9644).
		{75, 72, 0, 0.9999999, 100000, 100, "with no noise every lane takes one path, which float32's rounding ends at 75, 0.0356 from the exact law's mean 74.96445 (its worst case over 100000 steps is 1.34)"},
		{1, 1, 0, 1e30, 2, 1000, "ends at -1e+30, 1e+30 from the exact law's mean 1"},
		{75, 72, 0, 0, 100, 0, ""},
		{75, 72, 0, -1, 100001, 0, ""}, // 75, 69, 75, ...: ends at 69, the mean
		// A path that does not repeat within noiselessSteps is not walked:
		// the note gives rounding's bound on its end (it said nothing, and
		// the report showed 9993.459 beside an exact 9999.547).
		{0, 1e4, 0, 0.9999, 100000, 10, "with no noise every lane takes one path, which float32's rounding can end as far as 17.9 from the exact law's mean 9999.547 over 100000 steps (the path does not repeat a value within 65536 steps"},
		{1e-50, 72, 5, 0, 0, 0, "--start 1e-50 is 0 in float32"},
		{75, -1e-50, 5, 0, 0, 0, "--anchor -1e-50 is -0 in float32 (the smallest is 1.4e-45): the runs use -0"},
		{0, 72, 5, 0, 0, 0, ""},
		// A random walk: the rounding bound is far below a hundredth of
		// the sd but several tenths of a standard error at 1e5 lanes
		// (the z-scores of such a run were cut from 0.56 to 0 with no
		// word), and more at 1e7.
		{75, 72, 5, 1, 300, 1e5, "standard errors at 100000 lanes; the z-scores allow for it"},
		{75, 72, 5, 1, 300, 1e7, "standard errors at 10000000 lanes; the z-scores allow for it"},
		{75, 72, 5, 1, 300, 1e3, ""},
		// One lane is counted in the singular (it read 'at 1 lanes').
		{1e30, 1e30, 1e24, 0, 0, 1, "standard errors at 1 lane; the z-scores allow for it"},
		// The default job is far from it even at a billion lanes.
		{75, 72, 5, 0, 0, 1e9, ""},
		// What to change depends on what makes rounding swamp the sd:
		// far values, tiny ones, or a long walk (the advice named
		// --start and --anchor even when both were 0).
		{3e7, 3e7, 5, 0, 0, 0, "(lower |--start| and |--anchor|, or raise --sigma)"},
		{0, 0, 1e-45, 0, 0, 0, "(raise --sigma: values this small are near float32's least)"},
		{75, 72, 5, -1, 10001, 0, "(lower --steps, or |--persistence| below 1)"},
		// A walk that one step already swamps: fewer steps do not help
		// (it said to lower --steps, or |--persistence| below 1).
		{1e30, 1e30, 1e-3, 1, 3, 0, "(lower |--start| and |--anchor|, or raise --sigma)"},
		{1e30, 1e30, 1e-3, -1, 3, 0, "(lower |--start| and |--anchor|, or raise --sigma)"},
		// A huge persistence over one step: its products p t and
		// (1 - p) anchor are far larger than the spread (the advice
		// said the values were near float32's least, at a mean of 1).
		{1, 1, 1, 1e37, 1, 0, "(lower |--persistence|, or |--start| and |--anchor|, or raise --sigma)"},
		{1, 1, 1, -1e37, 1, 0, "(lower |--persistence|, or |--start| and |--anchor|, or raise --sigma)"},
		// A persistence near 1 in magnitude (the advice was to raise
		// --sigma, which scales the errors with the spread).
		{0, 0, 5, 0.9999, 100000, 19, "(move --persistence further from 1 in magnitude, or lower --steps: each step's rounding error lasts about 1/(1 - |persistence|) = 10k steps)"},
		{0, 0, 500, -0.9999, 65539, 19, "(move --persistence further from 1 in magnitude"},
		// A persistence that float32 rounds to 1 makes the model a
		// random walk, which was not said.
		{75, 72, 5, 0.99999999999, 0, 0, "--persistence 0.99999999999 is 1 in float32"},
		{75, 72, 5, -0.99999999999, 0, 0, "--persistence -0.99999999999 is -1 in float32 (its spacing below 1 is 5.96e-08)"},
		{75, 72, 5, 1.00000003, 0, 0, "--persistence 1.00000003 is 1 in float32 (its spacing above 1 is 1.19e-07)"},
	} {
		p := Default()
		p.Start, p.Anchor, p.Sigma = c.start, c.anchor, c.sigma
		if c.persistence != 0 {
			p.Persistence = c.persistence
		}
		if c.steps != 0 {
			p.Steps = c.steps
		}
		if c.lanes != 0 {
			p.Lanes = c.lanes
		}
		got := p.PrecisionNote(p.Lanes, nil)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("start %g anchor %g sigma %g persistence %g steps %d lanes %d: note %q, want one with %q", c.start, c.anchor, c.sigma, p.Persistence, p.Steps, p.Lanes, got, c.want)
		}
	}
	// No lanes, no z-scores: an empty shard (it said "at 0 lanes").
	p := Default()
	p.Start, p.Anchor = 1e4, 1e4
	if got := p.PrecisionNote(0, nil); got != "" {
		t.Errorf("no lanes: note %q, want none", got)
	}
}

// TestPrecisionNoteTyped: the notes name a flag's value as typed, with its
// float64 value beside it where it is not a decimal (--sigma 2^-150 read
// "--sigma 7.006492321624085e-46 is 0 in float32"), and the float64 value
// alone where typed has none for the flag.
func TestPrecisionNoteTyped(t *testing.T) {
	for _, c := range []struct {
		flag, typed string
		v           float64
		want        string
	}{
		{"sigma", "2^-150", 0x1p-150, "--sigma 2^-150 (7.006492321624085e-46) is 0 in float32"},
		{"sigma", "", 0x1p-150, "--sigma 7.006492321624085e-46 is 0 in float32"},
		{"sigma", "1e-46", 1e-46, "--sigma 1e-46 is 0 in float32"},
		{"sigma", "0.0000000000000000000000000000000000000000000001", 1e-46, "--sigma 0.0000000000000000000000000000000000000000000001 is 0 in float32"},
		{"sigma", "1E-46", 1e-46, "--sigma 1E-46 is 0 in float32"},
		{"anchor", "-2^-150", -0x1p-150, "--anchor -2^-150 (-7.006492321624085e-46) is -0 in float32"},
		{"start", "0x1p-150", 0x1p-150, "--start 0x1p-150 (7.006492321624085e-46) is 0 in float32"},
		{"persistence", "0x1.ffffffcp-1", 1 - 0x1p-27, "--persistence 0x1.ffffffcp-1 (0.9999999925494194) is 1 in float32"},
	} {
		p := Default()
		switch c.flag {
		case "sigma":
			p.Sigma = c.v
		case "anchor":
			p.Anchor = c.v
		case "start":
			p.Start = c.v
		case "persistence":
			p.Persistence = c.v
		}
		typed := Typed{c.flag: c.typed}
		if got := p.PrecisionNote(p.Lanes, typed); !strings.HasPrefix(got, c.want) {
			t.Errorf("--%s %s: note %q, want one starting %q", c.flag, c.typed, got, c.want)
		}
	}
}

// TestHistogramNote: an exact sd below what the histograms resolve gets a
// note (the quantiles jumped from min to max without a word); a normal job,
// sd 0, and final quantiles made exact by kept finals get none.
func TestHistogramNote(t *testing.T) {
	p := Default()
	p.Lanes, p.Steps, p.Anchor, p.Start, p.Sigma = 500, 5, 0, 1e-38, 1e-40
	if n := p.HistogramNote(false, false, "--out makes the final ones exact"); !strings.Contains(n, "the final sd 1.15e-40 is below 3.01e-36") || strings.Contains(n, "step 1") || !strings.Contains(n, "--out makes") {
		t.Errorf("final: %q", n)
	}
	// A merge names no remedy: it has no --out, and the --out files of its
	// parts' runs do not change its quantiles (the note named --out).
	if n := p.HistogramNote(false, false, ""); !strings.Contains(n, "the final sd 1.15e-40") || strings.Contains(n, "(") {
		t.Errorf("final, no remedy: %q", n)
	}
	if n := p.HistogramNote(true, true, "--out makes the final ones exact"); strings.Contains(n, "final") || !strings.Contains(n, "the sd of step 1 (and maybe more) 1e-40 is below 3.76e-37") || strings.Contains(n, "--out makes") {
		t.Errorf("daily with exact finals: %q", n)
	}
	if n := p.HistogramNote(false, true, "--out"); n != "" {
		t.Errorf("exact finals, no daily: %q", n)
	}
	if n := p.HistogramNote(true, false, "--out makes the final ones exact"); !strings.Contains(n, "wider than the spread, so the quantiles jump between min and max") {
		t.Errorf("sd 1e-40 below a bin's 2^-126: %q", n)
	}
	p.Sigma = 1e-36 // step 1's sd below 3.76e-37? no: the final's below 3.01e-36, the steps' not
	if n := p.HistogramNote(true, false, "--out makes the final ones exact"); !strings.Contains(n, "final") || strings.Contains(n, "step 1") {
		t.Errorf("sigma 1e-36: %q", n)
	}
	// Above 2^-126 the bins, 2^-126 wide, still resolve the spread, only
	// coarser than usual: the note said the quantiles jumped between min
	// and max at an sd of 1.15e-37 (10 bins an sd; they were good to 1%).
	if n := p.HistogramNote(true, false, "--out makes the final ones exact"); strings.Contains(n, "jump") || !strings.Contains(n, "their bins are 1.18e-38 wide (0.01 of the sd 1.15e-36) instead of narrowing with it, so the quantiles are good only to about that width") {
		t.Errorf("sigma 1e-36, bins narrower than the sd: %q", n)
	}
	p.Sigma = 1e-37
	if n := p.HistogramNote(true, false, "--out makes the final ones exact"); strings.Contains(n, "jump") || !strings.Contains(n, "(0.12 of the sd 1e-37)") {
		t.Errorf("sigma 1e-37, the step's sd the least: %q", n)
	}
	// Just below 2^-126 a bin is about one sd wide: the lanes still spread
	// over several bins, and the quantiles are off by a fraction of a bin,
	// but the note said they jumped between min and max (sd 1.15e-38: p05
	// read -2.09e-38 against the exact -1.88e-38, min -4.95e-38). They do
	// only where a bin is wider than HistSpan sds.
	p.Start, p.Steps, p.Sigma = 0, 3, 1e-38
	if n := p.HistogramNote(false, false, "--out makes the final ones exact"); strings.Contains(n, "jump") || !strings.Contains(n, "their bins are 1.18e-38 wide (1 of the sd 1.15e-38)") {
		t.Errorf("sigma 1e-38, bins about an sd wide: %q", n)
	}
	p.Sigma = 1.2e-39 // a final sd of 1.37e-39, bins 8.6 sds wide
	if n := p.HistogramNote(false, false, "--out makes the final ones exact"); !strings.Contains(n, "wider than the spread, so the quantiles jump between min and max") {
		t.Errorf("sigma 1.2e-39, bins wider than HistSpan sds: %q", n)
	}
	p.Sigma = 1.3e-39 // a final sd of 1.49e-39, bins 7.9 sds wide
	if n := p.HistogramNote(false, false, "--out makes the final ones exact"); strings.Contains(n, "jump") || !strings.Contains(n, "(7.9 of the sd 1.49e-39)") {
		t.Errorf("sigma 1.3e-39, bins narrower than HistSpan sds: %q", n)
	}
	// Only step 1's sd named (the final's, sqrt(1000) times it, resolved):
	// no remedy for the final quantiles, which the note does not name.
	q := p
	q.Start, q.Anchor, q.Persistence, q.Steps, q.Sigma = 0, 0, 1, 1000, 1e-37
	if n := q.HistogramNote(true, false, "--out makes the final ones exact"); strings.Contains(n, "final") || !strings.Contains(n, "step 1") {
		t.Errorf("step 1 alone: %q", n)
	}
	for _, q := range []Params{Default(), func() Params { p := Default(); p.Sigma = 0; return p }()} {
		if n := q.HistogramNote(true, false, "--out makes the final ones exact"); n != "" {
			t.Errorf("sigma %g: %q", q.Sigma, n)
		}
	}
}

// TestPrecisionNoteActionable: where rounding's worst case swamps the sd,
// the note gives it in sds and names the most steps at which that worst
// case is within a tenth of the sd, so that the z-scores, which allow for
// it, would catch a mean or sd off by more (checked here against Rounding
// and Exact, at the count and one past it). It said only "by up to
// 8.62e+119" at --persistence 0.9999999 over 2^32 steps, true of the worst
// case, and nothing a user could act on; then "would test something at
// --steps 13925", where the worst case is 0.99 sd and the z-scores catch
// only errors of about an sd.
func TestPrecisionNoteActionable(t *testing.T) {
	const says = "or fewer rounding's worst case is within a tenth of the sd, and the z-scores, which allow for it, would catch (|z| > 4) a mean or sd off by more than that and 4 standard errors"
	steps := regexp.MustCompile(`at --steps ([0-9]+)`)
	bound := func(p Params, n int) float64 { // rounding's bound on the mean in sds at n steps
		p.Steps = n
		_, sd := p.Exact(n)
		return p.Rounding(n).Mean / sd
	}
	for _, c := range []struct {
		persistence float64
		steps       int
		want        string
	}{
		{0.9999999, MaxSteps, "(its worst case, 8.62e+119, is 8.4e+115 sds over 4294967296 steps; errors of opposite signs cancel in practice)"},
		{-0.9999999, MaxSteps, "is 4.4e+116 sds over 4294967296 steps"},
		{0.9999999, 100000, "is 19 sds over 100000 steps"},
		{1, MaxSteps, "(its worst case grows past float64's range over 4294967296 steps)"},
		{-1, 10001, "(its worst case, 1.59e+03, is 3.2 sds over 10001 steps"},
	} {
		p := Default()
		p.Persistence, p.Steps = c.persistence, c.steps
		start := time.Now()
		note := p.PrecisionNote(1000, nil)
		if d := time.Since(start); d > time.Second {
			t.Errorf("--persistence %g --steps %d: the note took %v", c.persistence, c.steps, d)
		}
		m := steps.FindStringSubmatch(note)
		if m == nil || !strings.Contains(note, c.want) || !strings.Contains(note, says) {
			t.Errorf("--persistence %g --steps %d: note %q, want one with %q, a step count and %q", c.persistence, c.steps, note, c.want, says)
		}
		if m == nil {
			continue
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || !(n >= 1 && n < p.Steps) {
			t.Fatalf("note %q: step count %q", note, m[1])
		}
		if at, past := bound(p, n), bound(p, n+1); !(at <= 0.1) || !(past > 0.1) {
			t.Errorf("--persistence %g: rounding's bound on the mean is %.3g sds at the note's --steps %d and %.3g at %d, want at most 0.1 and then more", c.persistence, at, n, past, n+1)
		}
		q := p
		q.Steps = n
		if q.PrecisionNote(1000, nil) != "" && strings.Contains(q.PrecisionNote(1000, nil), "nothing") {
			t.Errorf("--persistence %g --steps %d: %q", c.persistence, n, q.PrecisionNote(1000, nil))
		}
		// The claim: at 1000 lanes a mean off by a tenth of the sd and 4
		// standard errors scores above 4, one off by a tenth alone does
		// not (it said a tenth was enough).
		law, r := q.Law(n), q.Rounding(n)
		se := law.Sigma / math.Sqrt(1000)
		if z := ZMeanWithin(law.Mu+0.1*law.Sigma+4.01*se, 1000, law, r.Mean); !(z > 4) {
			t.Errorf("--persistence %g --steps %d: z %g for a mean off by a tenth of the sd and 4.01 standard errors, want above 4", c.persistence, n, z)
		}
		if z := ZMeanWithin(law.Mu+0.11*law.Sigma, 1000, law, r.Mean); z > 4 {
			t.Errorf("--persistence %g --steps %d: z %g for a mean off by 0.11 sd: the note's 4 standard errors are not needed", c.persistence, n, z)
		}
	}
}

// TestMeanTestsNothing: where rounding can move the mean by an sd but the
// sd by less, the mean's z-score is undefined (a 0 read as a pass of a
// test that cannot tell a mean an sd off) and the note says so, while the
// sd's is still reported.
func TestMeanTestsNothing(t *testing.T) {
	p := Default()
	p.Start, p.Anchor, p.Persistence, p.Sigma, p.Steps = 1250.143171302903, -1.0960301557418958e6, 0.9043333578145341, 0.014889005771665388, 1
	law := p.Law(p.Steps)
	r := p.Rounding(p.Steps)
	if !(r.Mean >= law.Sigma && r.Std < law.Sigma) {
		t.Fatalf("bounds %+v against the sd %g: the test tests nothing", r, law.Sigma)
	}
	if z := ZMeanWithin(law.Mu+2*law.Sigma, 1000, law, r.Mean); !math.IsNaN(z) {
		t.Errorf("z mean %g, want NaN: the mean's bound %g reaches the sd %g", z, r.Mean, law.Sigma)
	}
	if z := ZStdWithin(law.Sigma, 1000, law, r.Std); z != 0 {
		t.Errorf("z std %g, want 0", z)
	}
	if n := p.PrecisionNote(1000, nil); !strings.Contains(n, "float32 rounding can move the mean as far as the exact sd 0.0149 or more (its worst case, 0.0163, is 1.1 sds over 1 step;") || !strings.Contains(n, "its z-score tests nothing and is not reported; the sd's allows for up to 0.0127, 38.2 standard errors at 1000 lanes") {
		t.Errorf("note %q", n)
	}
}

// TestNoiselessEnd checks the end of the one path of a job without noise,
// found through its cycle, against the walk of all its steps.
func TestNoiselessEnd(t *testing.T) {
	for _, c := range []struct{ start, anchor, p float64 }{
		{75, 72, 0.5}, {75, 72, -1}, {75, 72, 0.9999999}, {1, 1, 1e30}, {-3, 5, -0.75}, {1e-40, 0, 0.5}, {0, 1e30, 0.999},
	} {
		p := Default()
		p.Start, p.Anchor, p.Persistence, p.Sigma = c.start, c.anchor, c.p, 0
		for _, n := range []int{0, 1, 2, 3, 7, 100, 1001, 20000} {
			p.Steps = n
			m := p.Model()
			want := m.Start
			for range n {
				want = m.Step(want, 0)
			}
			if got, ok := p.noiselessEnd(m); !ok || got != want {
				t.Errorf("start %g anchor %g persistence %g, %d steps: %v (%v), want %v", c.start, c.anchor, c.p, n, got, ok, want)
			}
		}
	}
}
