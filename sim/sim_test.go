package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func TestValidate(t *testing.T) {
	ok := Default()
	if err := ok.Validate(); err != nil {
		t.Fatalf("default params: %v", err)
	}
	cases := []struct {
		flag string
		mod  func(*Params)
	}{
		{"lanes", func(p *Params) { p.Lanes = 0 }},
		{"steps", func(p *Params) { p.Steps = -1 }},
		{"start", func(p *Params) { p.Start = math.NaN() }},
		{"anchor", func(p *Params) { p.Anchor = math.Inf(1) }},
		{"sigma", func(p *Params) { p.Sigma = -1 }},
		{"sigma", func(p *Params) { p.Sigma = 1e38 }},
		{"persistence", func(p *Params) { p.Persistence = 3; p.Steps = 200 }},
		{"persistence", func(p *Params) { p.Persistence = 1e308 }},
		{"sigma", func(p *Params) { p.Sigma = 1e37 }},
		{"anchor", func(p *Params) { p.Anchor, p.Persistence, p.Sigma = 8e37, -0.9, 0 }},
		{"start", func(p *Params) { p.Start = math.NaN() }},
	}
	for _, c := range cases {
		p := Default()
		c.mod(&p)
		err := p.Validate()
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Flag != c.flag {
			t.Errorf("%+v: got %v, want an error about --%s", p, err, c.flag)
		}
	}
	p := Default()
	p.Persistence, p.Steps = 3, 20 // 3^20 * 75 = 2.6e11: fine
	if err := p.Validate(); err != nil {
		t.Errorf("explosive but finite run refused: %v", err)
	}
	// Runs that stay near a start and anchor within the limit are fine:
	// the bound is the larger of |start| and (|c| + sigma MaxNormal) /
	// (1 - |p|), not their sum (which refused these).
	for _, c := range []struct{ start, anchor, persistence, sigma float64 }{
		{2e37, 2e37, 0.5, 5}, {3.4e37, 3.4e37, 0.5, 0}, {3.4e37, -3.4e37, 0.5, 0}, {-3e37, 3e37, 0.999, 1e30},
	} {
		p := Default()
		p.Start, p.Anchor, p.Persistence, p.Sigma = c.start, c.anchor, c.persistence, c.sigma
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: refused: %v", c, err)
		}
	}
	// NaN and infinities name the valid range.
	p = Default()
	p.Sigma = math.Inf(1)
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "valid range 0..3.4028235e+38") {
		t.Errorf("sigma +Inf: %v, want the valid range", err)
	}
}

func TestExact(t *testing.T) {
	p := Default()
	m, sd := p.Exact(0)
	if m != 75 || sd != 0 {
		t.Errorf("Exact(0) = %v, %v", m, sd)
	}
	m, sd = p.Exact(1)
	if m != 73.5 || sd != 5 {
		t.Errorf("Exact(1) = %v, %v", m, sd)
	}
	// Stationary sd sigma / sqrt(1 - p^2) = 5 / sqrt(0.75).
	if _, sd = p.Exact(200); math.Abs(sd-5/math.Sqrt(0.75)) > 1e-12 {
		t.Errorf("stationary sd = %v", sd)
	}
	// Before the first step the sd is +0 whatever p: 0 / (1 - p^2) was -0
	// for |p| > 1, which the reports printed as -0.0000 and -0.
	for _, pp := range []float64{0.5, 1, -1, 2, -3.4e37} {
		p := Default()
		p.Persistence = pp
		if _, sd := p.Exact(0); sd != 0 || math.Signbit(sd) {
			t.Errorf("--persistence %g: Exact(0) sd = %v, want +0", pp, sd)
		}
	}
	p.Persistence = 1
	if m, sd = p.Exact(9); m != 75 || sd != 15 {
		t.Errorf("random walk Exact(9) = %v, %v", m, sd)
	}
	// An anchor far above the start: with p^n = 1 the mean is the start
	// exactly, and otherwise keeps the start's share (anchor + p^n (start
	// - anchor) read 0 and 5e21).
	for _, c := range []struct {
		start, anchor, p float64
		n                int
		want             float64
	}{
		{1, 1e16, 1, 3, 1},
		{1, 1e20, 0.5, 0, 1},
		{1e3, 1e22, 1, 100, 1e3},
		{-2, 1e18, -1, 4, -2},
		{-2, 1e18, -1, 3, 2e18 + 2},
		{1e3, 1e22, 0.5, 1, 0.5e3 + 0.5e22},
	} {
		p := Default()
		p.Start, p.Anchor, p.Persistence = c.start, c.anchor, c.p
		m := p.Model()
		want := c.want
		if float64(m.Start) != c.start || float64(m.Anchor) != c.anchor {
			// The law is of the float32 parameters.
			pn := math.Pow(float64(m.P), float64(c.n))
			want = pn*float64(m.Start) + (1-pn)*float64(m.Anchor)
		}
		if got, _ := p.Exact(c.n); got != want {
			t.Errorf("start %g, anchor %g, persistence %g: Exact(%d) mean = %v, want %v", c.start, c.anchor, c.p, c.n, got, want)
		}
	}
}

// Statistical test of the model against the exact Normal law of the final
// temperature. Sample: 400,000 lanes, so the standard errors of the sample
// variance ratio is sqrt(2/n) = 0.0022 and a variance wrong by 1% is 4.5 of
// them; tolerance 4 standard errors. KS at alpha = 1e-3: D < 1.95/sqrt(n).
const (
	modelSeed  = 20261123
	modelLanes = 400_000
)

func TestModelAgainstExact(t *testing.T) {
	if testing.Short() {
		t.Skip("statistical model test skipped in -short mode")
	}
	for _, pers := range []float64{0, 0.5, 0.9, 1} {
		for _, steps := range []int{0, 1, 4, 10, 101} {
			p := Params{Lanes: modelLanes, Steps: steps, Start: 75, Anchor: 72, Persistence: pers, Sigma: 5, Seed: modelSeed}
			m := p.Model()
			xs := make([]float64, p.Lanes)
			parallelFor(len(xs), func(i int) { xs[i] = float64(m.Final(uint64(i))) })
			mean, sd := p.Exact(steps)
			if steps == 0 {
				for i, x := range xs {
					if x != 75 {
						t.Fatalf("p=%v steps 0 lane %d: %v, want 75", pers, i, x)
					}
				}
				continue
			}
			n := float64(len(xs))
			var s1, s2 float64
			for _, x := range xs {
				s1 += x - mean
				s2 += (x - mean) * (x - mean)
			}
			gotMean := mean + s1/n
			gotVar := s2/n - (s1/n)*(s1/n)
			if z := (gotMean - mean) / (sd / math.Sqrt(n)); math.Abs(z) > 4 {
				t.Errorf("p=%v steps=%d: mean %.5f, exact %.5f (z = %.2f)", pers, steps, gotMean, mean, z)
			}
			if r := gotVar / (sd * sd); math.Abs(r-1) > 4*math.Sqrt(2/n) {
				t.Errorf("p=%v steps=%d: variance %.5f, exact %.5f (ratio %.5f)", pers, steps, gotVar, sd*sd, r)
			}
			slices.Sort(xs)
			dist := distuv.Normal{Mu: mean, Sigma: sd}
			d := 0.0
			for i, x := range xs {
				c := dist.CDF(x)
				d = max(d, math.Abs(c-float64(i)/n), math.Abs(c-float64(i+1)/n))
			}
			if crit := 1.95 / math.Sqrt(n); d > crit {
				t.Errorf("p=%v steps=%d: KS D = %.5f, want < %.5f", pers, steps, d, crit)
			}
		}
	}
}

func TestFinalMatchesPath(t *testing.T) {
	p := Default()
	for _, steps := range []int{0, 1, 3, 4, 5, 37} {
		p.Steps = steps
		m := p.Model()
		path := make([]float32, steps)
		for lane := uint64(0); lane < 50; lane++ {
			m.Path(lane, path)
			want := m.Start
			if steps > 0 {
				want = path[steps-1]
			}
			if got := m.Final(lane); math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("steps %d lane %d: Final %#x, Path %#x", steps, lane, math.Float32bits(got), math.Float32bits(want))
			}
		}
	}
}

func TestSummaryMerge(t *testing.T) {
	p := Default()
	p.Lanes, p.Steps = 10007, 7
	m := p.Model()
	whole := NewSummary(p)
	exact, _ := p.Exact(p.Steps)
	parts := []*Summary{NewSummary(p), NewSummary(p), NewSummary(p)}
	cuts := []uint64{0, 1, 5000, p.Lanes}
	for k := range parts {
		b := NewBlock(exact)
		for lane := cuts[k]; lane < cuts[k+1]; lane++ {
			x := m.Final(lane)
			b.Add(lane, x)
			parts[k].Hist.Add(x)
		}
		parts[k].AddBlock(&b)
	}
	wb := NewBlock(exact)
	for lane := uint64(0); lane < p.Lanes; lane++ {
		x := m.Final(lane)
		wb.Add(lane, x)
		whole.Hist.Add(x)
	}
	whole.AddBlock(&wb)
	merged := NewSummary(p)
	for _, s := range []*Summary{parts[2], parts[0], parts[1]} {
		if err := merged.Merge(s); err != nil {
			t.Fatal(err)
		}
	}
	if merged.Digest != whole.Digest || merged.Count != whole.Count || merged.Min != whole.Min || merged.Max != whole.Max || !slices.Equal(merged.Hist.Bins, whole.Hist.Bins) {
		t.Errorf("merge differs: got %+v, want %+v", merged, whole)
	}
	if rel(merged.Mean, whole.Mean) > 1e-12 || rel(merged.Std(), whole.Std()) > 1e-12 {
		t.Errorf("moments: got %v %v, want %v %v", merged.Mean, merged.Std(), whole.Mean, whole.Std())
	}
	// An empty summary merges as the identity.
	if err := merged.Merge(NewSummary(p)); err != nil || merged.Min != whole.Min || merged.Count != whole.Count {
		t.Errorf("merging an empty summary changed the result")
	}
	q := p
	q.Sigma = 4
	if err := merged.Merge(NewSummary(q)); err == nil {
		t.Errorf("merging summaries with different histograms succeeded")
	}
}

func rel(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), 1e-300) }

func TestHistogramQuantiles(t *testing.T) {
	h := NewHistogram(0, 1, HistSpan, HistBins)
	xs := make([]float32, 0, 100000)
	for i := 0; i < 100000; i++ {
		x := float32(distuv.UnitNormal.Quantile((float64(i) + 0.5) / 100000))
		xs = append(xs, x)
		h.Add(x)
	}
	exact := ExactQuantiles(xs, QuantileLevels)
	width := 1 / float64(h.Scale)
	for i, q := range QuantileLevels {
		if got := h.Quantile(q); math.Abs(got-exact[i]) > width {
			t.Errorf("q%.2f: histogram %.5f, exact %.5f (bin width %.5f)", q, got, exact[i], width)
		}
	}
	if h.Bin(-100) != 0 || h.Bin(100) != HistBins+1 || h.Bin(float32(math.NaN())) != 0 {
		t.Errorf("under/overflow bins wrong")
	}
	// sd = 0 still gives a finite, positive bin width.
	z := NewHistogram(75, 0, HistSpan, HistBins)
	if !(z.Scale > 0) || math.IsInf(float64(z.Scale), 0) || z.Bin(75) == 0 || z.Bin(75) == HistBins+1 {
		t.Errorf("degenerate histogram: %+v bin(75)=%d", z.Lo, z.Bin(75))
	}
}

func TestDigestTerm(t *testing.T) {
	// Frozen: a change here changes every digest ever published.
	if got := DigestTerm(0, 0); got != 0x48218226ff3cd4bf {
		t.Errorf("DigestTerm(0, 0) = %#x", got)
	}
	if DigestTerm(1, 0) == DigestTerm(0, 1) {
		t.Errorf("lane and value are not separated")
	}
}

// TestDigestTermSplit checks the algebra of kernels/weather.cl's mix64_pre,
// which weather_daily computes each step's digest terms with: Mix64's first
// xor-shift of h ^ x, for a 32-bit x, is a ^ (x ^ x>>30) with a per-lane
// a = h ^ h>>30, since (h ^ x)>>30 = h>>30 ^ x>>30.
func TestDigestTermSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []uint32{0, 1, 1 << 30, 1<<30 - 1, 1 << 31, 0x3fffffff, 0xc0000000, 0xffffffff}
	for i := range 100000 {
		lane := r.Uint64()
		x := r.Uint32()
		if i < len(words) {
			x = words[i]
		}
		h := Mix64(lane + 0x9e3779b97f4a7c15)
		a := h ^ h>>30
		y := a ^ uint64(x^x>>30)
		y *= 0xbf58476d1ce4e5b9
		y ^= y >> 27
		y *= 0x94d049bb133111eb
		y ^= y >> 31
		if want := DigestTerm(lane, x); y != want {
			t.Fatalf("lane %#x, word %#x: got %#x, want %#x", lane, x, y, want)
		}
	}
}

// TestReference: the model's reference result agrees with Model.Final lane
// by lane, counts every lane and keeps per-step summaries on request.
func TestReference(t *testing.T) {
	p := Default()
	p.Lanes, p.Steps = 1000, 6
	job := &Job{Params: p, First: 7, Count: 33, KeepFinals: true, Daily: true}
	r, err := Reference(job)
	if err != nil {
		t.Fatal(err)
	}
	m := p.Model()
	for i, x := range r.Finals {
		if y := m.Final(7 + uint64(i)); math.Float32bits(x) != math.Float32bits(y) {
			t.Fatalf("#%d: got %#x, want %#x", i, math.Float32bits(x), math.Float32bits(y))
		}
	}
	if r.Summary.Count != 33 || len(r.Daily) != 6 || r.Daily[5].Count != 33 {
		t.Errorf("count %d, %d days, last day %d lanes", r.Summary.Count, len(r.Daily), r.Daily[len(r.Daily)-1].Count)
	}
	if _, err := Reference(&Job{Params: p, First: 2000}); err == nil {
		t.Error("a lane range outside the job: no error")
	}
}

// TestBoundCentred: with --persistence -1 the runs swing about the
// recurrence's centre, start 1e37 and anchor -1e37 between 1e37 and -3e37,
// within the limit; the bound that charged |c| every step refused them as
// reaching 5e37 after 2 steps (2e40 after 1001). Runs that do grow past
// the limit are still refused.
func TestBoundCentred(t *testing.T) {
	p := Default()
	p.Persistence, p.Start, p.Anchor, p.Sigma = -1, 1e37, -1e37, 0
	for _, steps := range []int{2, 3, 1001} {
		p.Steps = steps
		if err := p.Validate(); err != nil {
			t.Errorf("%d steps: %v", steps, err)
		}
		if b := p.Bound(); b < 3e37 {
			t.Errorf("%d steps: bound %g below the runs' 3e37", steps, b)
		}
	}
	p.Persistence, p.Steps = -1.5, 10
	if err := p.Validate(); err == nil {
		t.Errorf("persistence -1.5 over 10 steps from 1e37: no error")
	}
	p.Persistence, p.Sigma, p.Steps = -1, 1e30, 1<<30
	if err := p.Validate(); err == nil {
		t.Errorf("a walk of 2^30 steps of sigma 1e30: no error")
	}
	// Below |p| = 1 too: a negative persistence charged |c| = (1 + |p|)
	// |anchor| over 1 - |p|, refusing runs that stay at their start and
	// anchor (said to reach 3.98e37 from 2e35); and no steps compute
	// nothing but the start (said to reach NaN, or 4.6e38 for sigma 3.4e37).
	for _, c := range []struct {
		start, anchor, persistence, sigma float64
		steps                             int
	}{
		{2e35, 2e35, -0.99, 1, 100},
		{1e37, 1e37, -0.9, 0, 10},
		{-1e37, -1e37, -0.5, 1e30, 1000},
		{75, 72, 1e37, 5, 0},
		{75, 72, 0.5, 3.4e37, 0},
	} {
		p := Default()
		p.Start, p.Anchor, p.Persistence, p.Sigma, p.Steps = c.start, c.anchor, c.persistence, c.sigma, c.steps
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
			continue
		}
		// The bound holds over the lanes' paths.
		m := p.Model()
		b := p.Bound()
		path := make([]float32, p.Steps)
		for lane := range uint64(64) {
			m.Path(lane, path)
			for k, x := range path {
				if math.Abs(float64(x)) > b {
					t.Errorf("%+v: lane %d step %d at %g, above the bound %g", c, lane, k, x, b)
				}
			}
		}
	}
	// What a refusal below |p| = 1 advises: not to lower |persistence|
	// below 1, which it is, but to bring it nearer 0, which would do here
	// (the values stay at the anchor, 8e37).
	p.Start, p.Anchor, p.Persistence, p.Sigma, p.Steps = 75, 8e37, -0.9, 0, 10
	if err := p.Validate(); err == nil || strings.Contains(err.Error(), "below 1 in magnitude") || !strings.HasSuffix(err.Error(), ": lower --anchor (within -4.4773997e+37..4.4773997e+37), or bring --persistence nearer 0") {
		t.Errorf("anchor 8e37, persistence -0.9: %v", err)
	}
}

// TestBoundAbovePersistenceOne: above |p| = 1 the roundings of a step are
// multiplied by |p| in every later one, and the product p t is larger than
// t: runs that start at the centre q = c/(1 - p) in float64 leave it by a
// rounding (q's own, or the first product's) and grow past float32, or
// compute a product of +Inf at once. Validate accepted these, and every
// engine then summed +Inf (JSON could not print the report). Every
// accepted job keeps its products and temperatures finite.
func TestBoundAbovePersistenceOne(t *testing.T) {
	for _, c := range []struct {
		start, anchor, persistence, sigma float64
		steps                             int
	}{
		{-2, -2, 8.868237347801614e18, 0, 8}, // q is -2 in float64, -2 - 2/p exactly
		{3, 3, 1<<23 + 1, 0, 7},              // q is 3, but 3p rounds up by 1
		{1e37, 1e37, 34.1, 0, 1},             // q is 1e37, but p t is +Inf
		{1, 1, 1.5, 1e-3, 60},                // the errors, times 1.5^60
		// The products round up more often than not: 3.49e37 at the
		// last step, where the bound without roundings was 3.40e37.
		{1e30, -2.5e36, 1 + 0x1p-20, 0, 2812066},
	} {
		p := Default()
		p.Lanes, p.Start, p.Anchor, p.Persistence, p.Sigma, p.Steps = 64, c.start, c.anchor, c.persistence, c.sigma, c.steps
		if err := p.Validate(); err != nil {
			continue // refused: fine
		}
		m := p.Model()
		path := make([]float32, p.Steps)
		lanes := p.Lanes
		if c.sigma == 0 {
			lanes = 1 // every lane takes the same path
		}
	lanes:
		for lane := range lanes {
			m.Path(lane, path)
			prev := m.Start
			for k, x := range path {
				if pt := float64(m.P) * float64(prev); math.Abs(pt) > math.MaxFloat32 || math.Abs(float64(x)) > MaxTemperature {
					t.Errorf("%+v accepted (bound %g): lane %d step %d computes p t = %g and reaches %g", c, p.Bound(), lane, k+1, pt, x)
					break lanes
				}
				prev = x
			}
		}
	}
	// Growing runs that stay finite are still accepted.
	p := Default()
	p.Persistence, p.Steps = 3, 20
	if err := p.Validate(); err != nil {
		t.Errorf("persistence 3 over 20 steps: %v", err)
	}
}

// TestBoundNoiseless: without noise every lane takes one path, which Bound
// walks where its rounding allowances, multiplied by |p| in every later
// step above |p| = 1, put a run past the limit: start and anchor 3 at
// --persistence 2 compute 2 3 - 3 = 3 exactly at every step, and were
// refused as reaching 9.64e+60 after 200 steps. The accepted runs' paths
// stay within the bound; paths that leave the centre are still refused.
func TestBoundNoiseless(t *testing.T) {
	for _, c := range []struct {
		start, anchor, persistence float64
		steps                      int
	}{
		{3, 3, 2, 200},
		{3, 3, 2, MaxSteps},
		{5, 5, -3, 300},
		{-0x1p90, -0x1p90, 1<<20 + 1, 1000}, // p t = -2^110 - 2^90, exact
		{0.25, 0.25, -1e7, 50},
	} {
		p := Default()
		p.Start, p.Anchor, p.Persistence, p.Sigma, p.Steps = c.start, c.anchor, c.persistence, 0, c.steps
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
			continue
		}
		m, b := p.Model(), p.Bound()
		x := m.Start
		for k := range min(c.steps, 1e5) {
			pt := float32(m.P * x)
			x = m.Step(x, 0)
			if math.Abs(float64(pt)) > b || math.Abs(float64(x)) > b || b > MaxTemperature {
				t.Fatalf("%+v: step %d computes p t = %g and reaches %g; bound %g", c, k+1, pt, x, b)
			}
		}
	}
	for _, c := range []struct {
		start, anchor, persistence float64
		steps                      int
	}{
		{3, 2.9, 2, 200},              // away from the centre: 2^200 (0.1)
		{3, 3, 1e30, 20},              // f32(1 - p) anchor is not (1 - p) anchor
		{0, 1e30, 1.5, 1e6},           // from 0 toward a centre of 1e30
		{1, 1, 1 + 0x1p-23, MaxSteps}, // 1 + 2^-23 rounds off the centre
	} {
		p := Default()
		p.Start, p.Anchor, p.Persistence, p.Sigma, p.Steps = c.start, c.anchor, c.persistence, 0, c.steps
		if err := p.Validate(); err == nil {
			m := p.Model()
			x, most := m.Start, 0.0
			for range min(c.steps, 1e6) {
				x = m.Step(x, 0)
				most = max(most, math.Abs(float64(x)))
			}
			if most > MaxTemperature {
				t.Errorf("%+v: accepted (bound %g), but the path reaches %g", c, p.Bound(), most)
			}
		}
	}
}

// TestExactNoNoise: without noise the exact law has no spread, however
// far p^(2n) is past float64 (start and anchor 0 at --persistence 1e30:
// every lane stays at 0, and the exact sd read NaN from step 6 on, which
// the JSON report could not encode).
//
// Past 10 steps p^n itself overflows, and the mean read NaN (Inf times 0):
// the histograms, centred on it, had a NaN edge, so the runs failed with
// "histograms differ in layout" (the OpenCL engine's JSON report with
// "unsupported value: NaN").
func TestExactNoNoise(t *testing.T) {
	for _, persistence := range []float64{1e30, -1e30, 3.4e37, -3.4e37, 1 + 0x1p-23} {
		p := Default()
		p.Start, p.Anchor, p.Sigma, p.Persistence, p.Steps = 0, 0, 0, persistence, 40
		if err := p.Validate(); err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		for _, n := range []int{0, 1, 2, 5, 6, 10, 11, 12, 39, 40, MaxSteps} {
			if m, sd := p.Exact(n); m != 0 || sd != 0 {
				t.Errorf("--persistence %g: Exact(%d) = %g, %g, want 0, 0", persistence, n, m, sd)
			}
		}
		p.Lanes = 3
		r, err := Reference(&Job{Params: p, Daily: true})
		if err != nil {
			t.Fatalf("--persistence %g: %v", persistence, err)
		}
		if s := r.Summary; s.Count != 3 || s.Mean != 0 || s.Max != 0 || !(math.Abs(s.Hist.Quantile(0.5)) <= 1/float64(s.Hist.Scale)) {
			t.Errorf("--persistence %g: reference summary %+v", persistence, s)
		}
	}
}

// TestBoundSteps: below A = 1 the growth bound counts the steps, as the
// bound of Bound's comment M(n) <= A^n M(0) + B (1 - A^n)/(1 - A) does:
// charging every run the limit B/(1 - A) refused one step from 0 toward
// an anchor of 3e37 at --persistence 0.999999 (said to reach 3.64e37; it
// reaches c = 3.04e31), and at |p| = 1 - 2^-24, whose A = |p| (1 + 2^-24)
// is 1 - 2^-48, a walk toward an anchor of 1e33 (said to reach 7.52e37
// after 1e8 steps, 3.36e40 after more; it stays below 1e33). And a run at
// 0 stays at 0 whatever |p|^n (refused as reaching +Inf at --persistence
// 1 + 2^-23 over 2^32 - 1 steps once the roundings took A^n past float64).
func TestBoundSteps(t *testing.T) {
	for _, c := range []struct {
		start, anchor, persistence float64
		steps                      int
	}{
		{0, 3e37, 0.999999, 1},
		{0, 3.4e37, 0.9999, 1},
		{0, 1e33, 1 - 0x1p-24, 1e8},
		{0, 0, 1 + 0x1p-23, MaxSteps - 1},
		{0, 0, -1 - 0x1p-23, MaxSteps},
		// p = -1 rounds once a step without noise (m + c): 2e30 at most,
		// refused as 4e37 when every step was charged two roundings.
		{0, 1e30, -1, 1e7},
	} {
		p := Default()
		p.Lanes, p.Start, p.Anchor, p.Persistence, p.Sigma, p.Steps = 1, c.start, c.anchor, c.persistence, 0, c.steps
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
			continue
		}
		// Without noise the path is the lanes' one: it stays within
		// the limit, its products too.
		m := p.Model()
		x := m.Start
		for k := range min(c.steps, 1e8) {
			pt := m.P * x
			x = m.Step(x, 0)
			if math.Abs(float64(pt)) > MaxTemperature || math.Abs(float64(x)) > MaxTemperature {
				t.Fatalf("%+v: step %d computes p t = %g and reaches %g", c, k+1, pt, x)
			}
		}
	}
	// Runs that can reach the limit are still refused: noise of 1e34
	// about an anchor of 8.5e37, and 1e7 steps toward an anchor of 7.5e37
	// at --persistence 0.999999 with noise, where the four roundings of a
	// step, up to 4 2^-24 of it, outweigh 1 - p = 16.8 2^-24 from 1.31
	// times the anchor. (Without noise a step rounds twice, and the same
	// run's bound, 8.499e37, is within the limit.)
	for _, c := range []struct {
		start, anchor, sigma float64
		steps                int
	}{{8.5e37, 8.5e37, 1e34, 10}, {0, 7.5e37, 5, 1e7}} {
		p := Default()
		p.Start, p.Anchor, p.Persistence, p.Sigma, p.Steps = c.start, c.anchor, 0.999999, c.sigma, c.steps
		if err := p.Validate(); err == nil {
			t.Errorf("%+v at --persistence 0.999999: no error", c)
		}
	}
}

// TestRange: Range holds every value of the lanes' paths over jobs of every
// kind (toward an anchor, about zero, negative, |p| at and above 1, no
// noise, no steps), and where the start and the noise keep the values from
// zero it leaves zero out: the default job's [1.07, 139.94].
func TestRange(t *testing.T) {
	for _, c := range []struct {
		start, anchor, persistence, sigma float64
		steps                             int
	}{
		{75, 72, 0.5, 5, 10}, {75, 72, 0.5, 5, 100}, {0, 0, 0.5, 1, 50}, {-1000, -1000, 0.9, 3, 200},
		{75, 72, 1, 5, 100}, {75, 72, -1, 5, 100}, {1, 2, 1.01, 1e-3, 300}, {75, 72, 0.5, 0, 20},
		{75, 72, 0.5, 5, 0}, {2e35, 2e35, -0.99, 1, 100}, {-1e37, -1e37, -0.5, 1e30, 1000}, {1e-30, 0, 0.9999999, 1e-35, 1000},
	} {
		p := Default()
		p.Start, p.Anchor, p.Persistence, p.Sigma, p.Steps = c.start, c.anchor, c.persistence, c.sigma, c.steps
		if err := p.Validate(); err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		lo, hi := p.Range()
		if b := p.Bound(); !(lo <= hi && lo >= -b && hi <= b) {
			t.Errorf("%+v: range [%g, %g] outside the bound %g", c, lo, hi, b)
		}
		m := p.Model()
		path := make([]float32, p.Steps)
		for lane := range uint64(256) {
			m.Path(lane, path)
			for k, x := range append(path, m.Start) {
				if v := float64(x); v < lo || v > hi {
					t.Errorf("%+v: lane %d step %d at %g, outside the range [%g, %g]", c, lane, k+1, v, lo, hi)
				}
			}
		}
	}
	if lo, hi := Default().Range(); lo < 1 || lo > 1.1 || hi < 139.9 || hi > 140 {
		t.Errorf("the default job's range [%g, %g], want about [1.07, 139.94]", lo, hi)
	}
}

// TestPersistenceAdvice: a refusal from |persistence| = 1 on names the
// --persistence values that run, as --sigma names its largest: --persistence
// 2^126 read "lower --persistence below 1 in magnitude", with no bound.
// Each end runs, the next float32 past it does not, and the values between
// run (sampled on each side of 0).
func TestPersistenceAdvice(t *testing.T) {
	const samples = 400
	re := regexp.MustCompile(`: lower --persistence \(within ([-0-9.e+]+)\.\.([-0-9.e+]+)\), --steps`)
	for _, c := range []struct {
		start, anchor, persistence, sigma float64
		steps                             int
	}{
		{75, 72, 0x1p126, 5, 10},
		{75, 72, -3e38, 5, 1},
		{0, 0, 1, 1e35, 1000},
		{8e37, 72, 1, 1e36, 1000},
		{1, 0, 1.5, 0, 1000},
		{-1e30, 1e36, -2, 3, 50},
		{75, 72, 1.01, 5, 100000},
	} {
		p := Default()
		p.Start, p.Anchor, p.Persistence, p.Sigma, p.Steps = c.start, c.anchor, c.persistence, c.sigma, c.steps
		err := p.Validate()
		m := re.FindStringSubmatch(fmt.Sprint(err))
		if m == nil {
			t.Errorf("%+v: %v, want it to name the --persistence that runs", c, err)
			continue
		}
		lo, _ := strconv.ParseFloat(m[1], 64)
		hi, _ := strconv.ParseFloat(m[2], 64)
		runs := func(v float64) bool {
			q := p
			q.Persistence = float64(float32(v))
			return q.Validate() == nil
		}
		if !runs(lo) || !runs(hi) {
			t.Errorf("%+v: the ends %v and %v do not both run", c, lo, hi)
		}
		if runs(float64(math.Nextafter32(float32(hi), math.MaxFloat32))) || runs(float64(math.Nextafter32(float32(lo), -math.MaxFloat32))) {
			t.Errorf("%+v: past the ends %v..%v runs", c, lo, hi)
		}
		for _, end := range []float64{lo, hi} {
			// From the end toward 0, evenly and on a log scale.
			for i := range samples {
				for _, v := range []float64{end * (1 - float64(i)/samples), end * math.Pow(2, -float64(i)/8)} {
					if !runs(v) {
						t.Errorf("%+v: %v within %v..%v is refused", c, v, lo, hi)
					}
				}
			}
		}
	}
}
