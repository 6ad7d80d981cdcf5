package sim

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSummaryOneValue: blocks whose lanes all hold one value far from the
// shift give that mean and no spread (S2 - S1*S1/N left 1e-4 of sd on
// lanes of 9.9e9 before), merged into one summary or across summaries.
func TestSummaryOneValue(t *testing.T) {
	for _, x := range []float32{9.900450816e9, -3.5e20, 1e-30, 73.5} {
		s := &Summary{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1)), Hist: NewHistogram(73, 1, 8, 16)}
		o := &Summary{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1)), Hist: NewHistogram(73, 1, 8, 16)}
		for k := range 7 {
			b := NewBlock(72.0029296875)
			for i := range 300 + k {
				b.Add(uint64(i), x)
			}
			s.AddBlock(&b)
			o.AddBlock(&b)
		}
		if err := s.Merge(o); err != nil {
			t.Fatal(err)
		}
		if s.M2 != 0 || s.Std() != 0 {
			t.Errorf("%g: M2 %g std %g, want 0", x, s.M2, s.Std())
		}
		if rel := math.Abs(s.Mean-float64(x)) / math.Abs(float64(x)); rel > 1e-15 {
			t.Errorf("%g: mean %.17g, %g relative off", x, s.Mean, rel)
		}
	}
}

// TestSummaryNegativeZero: lanes all at -0 have mean -0, as their IEEE sum
// is, in one block, over blocks, across merged summaries (shards) and
// through a part's SetShift; one lane at +0 among them makes it +0. The
// summary said +0 (the report alone set -0, and the per-day means and a
// merge's summary kept +0).
func TestSummaryNegativeZero(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	empty := func() *Summary {
		return &Summary{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1)), Hist: NewHistogram(0, 1, 8, 16)}
	}
	fill := func(xs ...float32) *Summary {
		s := empty()
		for _, x := range xs {
			b := NewBlock(72)
			for i := range 5 {
				b.Add(uint64(i), x)
			}
			s.AddBlock(&b)
		}
		return s
	}
	merged := func(parts ...*Summary) *Summary {
		s := empty()
		for _, o := range parts {
			if err := s.Merge(o); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	reread := func(s *Summary) *Summary {
		shift, dev, ok := s.Shift()
		if !ok {
			t.Fatalf("no shift for mean %v", s.Mean)
		}
		c := &Summary{Count: s.Count, M2: s.M2, Min: s.Min, Max: s.Max, Hist: s.Hist}
		c.SetShift(shift, dev)
		return c
	}
	for _, c := range []struct {
		name string
		s    *Summary
		neg  bool
	}{
		{"one block", fill(negZero), true},
		{"blocks", fill(negZero, negZero, negZero), true},
		{"shards", merged(fill(negZero), fill(negZero, negZero)), true},
		{"parts", merged(reread(fill(negZero)), reread(fill(negZero))), true},
		{"with +0", fill(negZero, 0, negZero), false},
		{"shards with +0", merged(fill(negZero), fill(0)), false},
		{"+0", fill(0), false},
	} {
		if c.s.Mean != 0 || math.Signbit(c.s.Mean) != c.neg {
			t.Errorf("%s: mean %v (sign bit %v), want 0 with sign bit %v", c.name, c.s.Mean, math.Signbit(c.s.Mean), c.neg)
		}
	}
}

// TestSummaryNarrow: a spread far below the mean's ulp (lanes 73.5 and
// 73.5 +- 2^-17, as a 1e-6 sd gives) in many small blocks, as OpenCL's
// work-groups make them, keeps the sd to 1e-13 of the exact value (3.9e-10
// off before: each block's mean was rounded to 73.5's ulp).
func TestSummaryNarrow(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	s := &Summary{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1))}
	var xs []float32
	for range 400 {
		b, bx := narrowBlock(r, uint64(len(xs)))
		xs = append(xs, bx...)
		s.AddBlock(&b)
	}
	wm, want := exactMoments(xs) // the exact mean and sd, in rationals
	if rel := math.Abs(s.Std()-want) / want; rel > 1e-13 {
		t.Errorf("sd %.17g, exact %.17g: %g relative off", s.Std(), want, rel)
	}
	if rel := math.Abs(s.Mean-wm) / wm; rel > 1e-15 {
		t.Errorf("mean %.17g, exact %.17g: %g relative off", s.Mean, wm, rel)
	}
}

// TestHistogramTinySD: an exact sd below 2^-118 (2^-121 daily) made Scale
// +Inf in float32: every lane fell in the underflow or first bin, every
// quantile read the minimum, and a part file could not be written (JSON
// has no +Inf). The sd is raised to where Scale is finite.
func TestHistogramTinySD(t *testing.T) {
	for _, n := range []int{HistBins, DailyBins} {
		for _, sd := range []float64{1e-37, 5e-37, 1e-45, 0x1p-130} {
			h := NewHistogram(0, sd, HistSpan, n)
			if s := float64(h.Scale); math.IsInf(s, 0) || !(s > 0) {
				t.Fatalf("%d bins, sd %g: Scale %v", n, sd, h.Scale)
			}
			lo, mid, hi := h.Bin(float32(-4*sd)), h.Bin(0), h.Bin(float32(4*sd))
			if !(0 < lo && lo <= mid && mid <= hi && hi <= n) {
				t.Errorf("%d bins, sd %g: bins %d, %d, %d of %d", n, sd, lo, mid, hi, n)
			}
		}
	}
}

// narrowBlock is a block of 256 values at 73.5, one in a hundred a float32
// ulp above and one below, from lanes first.., and the values.
func narrowBlock(r *rand.Rand, first uint64) (Block, []float32) {
	b := NewBlock(73.5)
	xs := make([]float32, 256)
	for i := range xs {
		x := float32(73.5)
		switch r.IntN(100) {
		case 0:
			x = math.Nextafter32(x, 100)
		case 1:
			x = math.Nextafter32(x, 0)
		}
		b.Add(first+uint64(i), x)
		xs[i] = x
	}
	return b, xs
}

// TestSummarySetShift: a summary rebuilt from its count, moments and
// Shift (as a part file carries them) merges bit for bit as the original
// does, on the deviations; one whose Mean is set from outside no longer
// claims a shift.
func TestSummarySetShift(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	empty := func() *Summary {
		return &Summary{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1)), Hist: NewHistogram(73.5, 1e-6, 8, 16)}
	}
	parts := []*Summary{empty(), empty(), empty()}
	for k, s := range parts {
		for range 50 + k {
			b, _ := narrowBlock(r, 0)
			s.AddBlock(&b)
		}
	}
	whole, rebuilt, byMean := empty(), empty(), empty()
	for _, s := range parts {
		shift, dev, ok := s.Shift()
		if !ok || shift != 73.5 || shift+dev != s.Mean {
			t.Fatalf("Shift() = %v, %v, %v for a mean of %v", shift, dev, ok, s.Mean)
		}
		c := &Summary{Count: s.Count, Mean: s.Mean, M2: s.M2, Min: s.Min, Max: s.Max, Hist: s.Hist}
		m := *c
		c.SetShift(shift, dev)
		for _, x := range []struct{ into, from *Summary }{{whole, s}, {rebuilt, c}, {byMean, &m}} {
			if err := x.into.Merge(x.from); err != nil {
				t.Fatal(err)
			}
		}
	}
	if rebuilt.Mean != whole.Mean || rebuilt.M2 != whole.M2 {
		t.Errorf("rebuilt with SetShift: mean %.17g m2 %.17g, the originals %.17g %.17g", rebuilt.Mean, rebuilt.M2, whole.Mean, whole.M2)
	}
	if _, _, ok := rebuilt.Shift(); !ok {
		t.Error("a merge of summaries of one shift has no shift")
	}
	if _, _, ok := byMean.Shift(); ok {
		t.Error("a merge of summaries without a shift has one")
	}
	whole.Mean = 73
	if _, _, ok := whole.Shift(); ok {
		t.Error("a summary whose Mean was set from outside keeps its shift")
	}
	if _, _, ok := empty().Shift(); ok {
		t.Error("an empty summary has a shift")
	}
}

// TestSummaryOneValueBesideShifted: blocks of one value (merged with the
// value as their shift) beside a block shifted by the exact mean, whose
// lanes hold that value and one an ulp below, as float32's rounding left
// the lanes of --lanes 4097 --steps 17 --start 2.35e-27 --anchor 72
// --persistence 1.00000048 --sigma 2.2e-12: 48 sds from the exact mean.
// The blocks were merged by their means, rounded to the ulp of 5.8e-4, and
// the sd, 9.1e-13, came out 3e-9 off on OpenCL's blocks (serial's single
// block was exact). In any order of the blocks, and merged as summaries,
// it is now within 1e-13 of the exact sd.
func TestSummaryOneValueBesideShifted(t *testing.T) {
	const shift = -0.0005836509080836549 // the exact mean
	v0 := float32(-0.0005836509517394006)
	v1 := math.Nextafter32(v0, float32(math.Inf(-1)))
	shifted := NewBlock(shift)
	for i := range 100 {
		x := v0
		if i == 37 {
			x = v1
		}
		shifted.Add(uint64(i), x)
	}
	var blocks []Block
	for k := range 16 {
		b := NewBlock(shift)
		for i := range 250 + k {
			b.Add(uint64(i), v0)
		}
		blocks = append(blocks, b)
	}
	var n uint64
	for _, b := range blocks {
		n += b.N
	}
	n += shifted.N
	// The exact sd: n-1 lanes at v0 and one at v1.
	d := new(big.Rat).Sub(new(big.Rat).SetFloat64(float64(v0)), new(big.Rat).SetFloat64(float64(v1)))
	m2 := new(big.Rat).Mul(new(big.Rat).Mul(d, d), big.NewRat(int64(n-1), int64(n)))
	v, _ := new(big.Rat).Quo(m2, new(big.Rat).SetInt64(int64(n))).Float64()
	want := math.Sqrt(v)
	empty := func() *Summary {
		return &Summary{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1)), Hist: NewHistogram(shift, 1e-12, 8, 16)}
	}
	for _, at := range []int{0, 5, len(blocks)} {
		order := slices.Insert(slices.Clone(blocks), at, shifted)
		s := empty()
		halves := []*Summary{empty(), empty()}
		for i := range order {
			s.AddBlock(&order[i])
			halves[i%2].AddBlock(&order[i])
		}
		merged := halves[0]
		if err := merged.Merge(halves[1]); err != nil {
			t.Fatal(err)
		}
		for what, got := range map[string]*Summary{"blocks": s, "two summaries": merged} {
			if got.Count != n {
				t.Fatalf("%s: count %d, want %d", what, got.Count, n)
			}
			if rel := math.Abs(got.Std()-want) / want; rel > 1e-13 {
				t.Errorf("shifted block at %d, %s: sd %.17g, exact %.17g: %g relative off", at, what, got.Std(), want, rel)
			}
		}
	}
}

// exactMoments are the mean and sd of xs, rounded once to float64 from
// sums that are exact: float32 values and their squares span 2^-298 to
// 2^256, so 800 bits hold their sums over 2^200 lanes.
func exactMoments(xs []float32) (mean, sd float64) {
	const prec = 800
	f := func() *big.Float { return new(big.Float).SetPrec(prec) }
	sum, sq, v, v2 := f(), f(), f(), f()
	for _, x := range xs {
		v.SetFloat64(float64(x))
		sum.Add(sum, v)
		sq.Add(sq, v2.Mul(v, v))
	}
	n := f().SetInt64(int64(len(xs)))
	m := f().Quo(sum, n)
	m2 := f().Mul(sum, m)
	m2.Quo(m2.Sub(sq, m2), n)
	mean, _ = m.Float64()
	vr, _ := m2.Float64()
	return mean, math.Sqrt(max(vr, 0))
}

// TestMomentErrorsHeldLanes: the errors MomentErrors states cover the
// moments' own, in one block of every lane (Reference) and in blocks of
// 4096 merged (the engines'), where float32 holds the lanes within 5e-30
// of 0, 0.056 from the exact mean (persistence -1 toward an anchor of 1e30
// cancels the start, the fuzz test's draw 0x1e86c4): every lane's
// deviation is the same float64 value, and the sums' roundings add up
// instead of cancelling. The sd read 1.9e-8 said to be good to 3.3e-9
// (the report wrote "2e-08") where the lanes' is 4.9e-30.
func TestMomentErrorsHeldLanes(t *testing.T) {
	p := Params{Lanes: 80537, Steps: 24, Seed: 0x1ffffffff, Start: 0.055712110708435264, Anchor: 1e30, Persistence: -1, Sigma: 1e-30}
	r, err := Reference(&Job{Params: p, KeepFinals: true})
	if err != nil {
		t.Fatal(err)
	}
	mu, _ := p.Exact(p.Steps)
	blocks := NewSummary(p)
	for lo := 0; lo < len(r.Finals); lo += 4096 {
		b := NewBlock(mu)
		for i, x := range r.Finals[lo:min(lo+4096, len(r.Finals))] {
			b.Add(uint64(lo+i), x)
		}
		blocks.AddBlock(&b)
	}
	wantMean, wantSD := exactMoments(r.Finals)
	for _, c := range []struct {
		name string
		s    *Summary
	}{{"one block", r.Summary}, {"blocks of 4096", blocks}} {
		me, se := c.s.MomentErrors(mu)
		if d := math.Abs(c.s.Mean - wantMean); d > me {
			t.Errorf("%s: mean %.17g, exact %.17g: %g off, said to be within %g", c.name, c.s.Mean, wantMean, d, me)
		}
		if d := math.Abs(c.s.Std() - wantSD); d > se {
			t.Errorf("%s: sd %.17g, exact %.17g: %g off, said to be within %g", c.name, c.s.Std(), wantSD, d, se)
		}
	}
}

// TestMergeFloatDepth: a merge keeps the worst of its summaries' float
// sums, whichever side has them, so that a merge with a part summed in
// float on a device without fp64 claims no more than that part carries.
func TestMergeFloatDepth(t *testing.T) {
	p := Default()
	for _, c := range []struct{ a, b, want uint64 }{{0, 0, 0}, {0, 7, 7}, {7, 0, 7}, {3, 9, 9}} {
		a, b := NewSummary(p), NewSummary(p)
		a.FloatDepth, b.FloatDepth = c.a, c.b
		if err := a.Merge(b); err != nil {
			t.Fatal(err)
		}
		if a.FloatDepth != c.want {
			t.Errorf("depths %d and %d merged to %d, want %d", c.a, c.b, a.FloatDepth, c.want)
		}
	}
}

// TestMomentErrorsOrderFree: the errors MomentErrors states are a bound for
// every order the engines and merges sum the same lanes in, so they are the
// same, to the rounding of the moments they are computed from, whichever
// order made the summary: one block with the exact mean as its shift, or
// blocks of one lane each (a shard of one lane; AddBlock takes its value as
// its shift) merged, and those in reverse. A merge of 5 shards of 3 lanes
// stated errors 6% above the run's, from the first shard's lane taken as
// the shift (cmd/gpusim's TestMergeReportMatchesRun).
func TestMomentErrorsOrderFree(t *testing.T) {
	p := Default()
	mu, _ := p.Exact(2)
	for _, xs := range [][]float32{{70.5, 74.25, 71.125}, {60, 90, 72}, {72.5, 72.5, 80}} {
		one := NewSummary(p)
		b := NewBlock(mu)
		for i, x := range xs {
			b.Add(uint64(i), x)
		}
		one.AddBlock(&b)
		wm, ws := one.MomentErrors(mu)
		for _, reverse := range []bool{false, true} {
			merged := NewSummary(p)
			for k := range xs {
				i := k
				if reverse {
					i = len(xs) - 1 - k
				}
				part := NewSummary(p)
				b := NewBlock(mu)
				b.Add(uint64(i), xs[i])
				part.AddBlock(&b)
				if err := merged.Merge(part); err != nil {
					t.Fatal(err)
				}
			}
			gm, gs := merged.MomentErrors(mu)
			if math.Abs(gm-wm) > 1e-6*wm || math.Abs(gs-ws) > 1e-6*ws {
				t.Errorf("lanes %v (reversed %v): merged of one-lane blocks states errors %g and %g, one block %g and %g", xs, reverse, gm, gs, wm, ws)
			}
		}
	}
}

// TestDailyEdges: each step's edges are those of its histogram from
// DailyHistograms, bit for bit, for jobs whose steps' sds grow, settle,
// vanish (sigma 0) and whose mean does not move (start at the anchor).
func TestDailyEdges(t *testing.T) {
	for _, c := range []struct{ start, anchor, persistence, sigma float64 }{
		{75, 72, 0.5, 5}, {-3, 10, -0.999, 0.01}, {72, 72, 0.9, 0}, {1e-30, 0, 1, 1e-20},
	} {
		p := Default()
		p.Steps, p.Start, p.Anchor, p.Persistence, p.Sigma = 300, c.start, c.anchor, c.persistence, c.sigma
		for i, h := range DailyHistograms(p) {
			lo, scale := DailyEdges(p, i+1)
			if math.Float32bits(lo) != math.Float32bits(h.Lo) || math.Float32bits(scale) != math.Float32bits(h.Scale) {
				t.Fatalf("%+v step %d: edges %#x %#x, want %#x %#x", c, i+1, math.Float32bits(lo), math.Float32bits(scale), math.Float32bits(h.Lo), math.Float32bits(h.Scale))
			}
		}
	}
}
