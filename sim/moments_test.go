package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The property MomentErrors promises: a summary's Mean and Std are within
// its stated errors of the lanes' own mean and sd (computed exactly here),
// whatever order the engines summed them in. momentDraws lane sets are
// drawn from momentSeed, each summed in momentOrders orders.
const (
	momentSeed   = 0x6d6f6d
	momentDraws  = 300
	momentOrders = 6
)

// emptySummary is a summary of no lanes with a histogram of a fixed layout,
// so that any two merge.
func emptySummary() *Summary {
	return &Summary{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1)), Hist: NewHistogram(0, 1, 8, 16)}
}

// orderedBlock sums xs's deviations from shift into a block in one of the
// orders the engines use: 0 lane by lane (serial, simd; Reference's one
// block), 1 into w partial sums by lane index mod w, then those in turn (a
// work-item's vector lanes, OpenCL's work-items and its group's loop over
// them), 2 pairwise (a tree of partials).
func orderedBlock(xs []float32, first uint64, shift float64, order, w int) Block {
	b := NewBlock(shift)
	for i, x := range xs {
		b.Add(first+uint64(i), x)
	}
	d := func(x float32) (float64, float64) {
		v := float64(x) - shift
		return v, float64(v * v)
	}
	switch order {
	case 1:
		p1, p2 := make([]float64, w), make([]float64, w)
		for i, x := range xs {
			a, q := d(x)
			p1[i%w] += a
			p2[i%w] += q
		}
		b.S1, b.S2 = 0, 0
		for k := range w {
			b.S1 += p1[k]
			b.S2 += p2[k]
		}
	case 2:
		var tree func(xs []float32) (float64, float64)
		tree = func(xs []float32) (float64, float64) {
			if len(xs) == 1 {
				return d(xs[0])
			}
			h := len(xs) / 2
			a1, a2 := tree(xs[:h])
			c1, c2 := tree(xs[h:])
			return a1 + c1, a2 + c2
		}
		b.S1, b.S2 = tree(xs)
	}
	return b
}

// sumInBlocks is xs's summary from blocks of k lanes (each summed in an
// order drawn from r), folded in lane order as the CPU engines and
// OpenCL's groups' records are.
func sumInBlocks(r *rand.Rand, xs []float32, first uint64, shift float64, k int) *Summary {
	s := emptySummary()
	for lo := 0; lo < len(xs); lo += k {
		b := orderedBlock(xs[lo:min(lo+k, len(xs))], first+uint64(lo), shift, r.IntN(3), 1+r.IntN(300))
		s.AddBlock(&b)
	}
	return s
}

// summed returns xs's summary in order o: 0 one block (Reference), 1
// blocks of a drawn size, 2 and 3 shards of drawn blocks merged in lane
// order (merge) or in a random tree (a Multi's devices, shards of shards),
// 4 blocks of one lane, 5 blocks of 2 to 17 lanes merged in a random tree.
func summed(r *rand.Rand, xs []float32, shift float64, o int) *Summary {
	n := len(xs)
	switch o {
	case 0:
		s := emptySummary()
		b := orderedBlock(xs, 0, shift, 0, 1)
		s.AddBlock(&b)
		return s
	case 1:
		return sumInBlocks(r, xs, 0, shift, 1+r.IntN(n))
	case 4:
		return sumInBlocks(r, xs, 0, shift, 1)
	}
	var parts []*Summary
	for lo := 0; lo < n; {
		k := 1 + r.IntN(max(n/(1+r.IntN(8)), 1))
		if o == 5 {
			k = 2 + r.IntN(16)
		}
		hi := min(lo+k, n)
		parts = append(parts, sumInBlocks(r, xs[lo:hi], uint64(lo), shift, 1+r.IntN(hi-lo)))
		lo = hi
	}
	if o == 2 {
		s := emptySummary()
		for _, p := range parts {
			if err := s.Merge(p); err != nil {
				panic(err)
			}
		}
		return s
	}
	for len(parts) > 1 { // merge two neighbours at random
		i := r.IntN(len(parts) - 1)
		if err := parts[i].Merge(parts[i+1]); err != nil {
			panic(err)
		}
		parts = append(parts[:i+1], parts[i+2:]...)
	}
	return parts[0]
}

// f32Near returns x as float32 moved by k float32 ulps.
func f32Near(x float64, k int) float32 {
	f := float32(x)
	for ; k > 0; k-- {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	for ; k < 0; k++ {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

// drawLanes draws n lanes and the shift (the exact mean an engine would
// subtract) of one of the shapes that defeat an estimate: spread around
// the shift; held within a few float32 ulps far from it (huge values of a
// tiny spread); straddling it; one outlier; two far clusters.
func drawLanes(r *rand.Rand, n int) (xs []float32, shift float64, kind string) {
	xs = make([]float32, n)
	scale := math.Pow(10, float64(r.IntN(70)-35))
	switch r.IntN(5) {
	case 0:
		kind = "spread"
		shift = scale * (r.Float64()*2 - 1)
		sd := scale * math.Pow(10, -8*r.Float64())
		for i := range xs {
			xs[i] = float32(shift + sd*r.NormFloat64())
		}
	case 1:
		kind = "held far"
		base := scale * (r.Float64()*2 - 1)
		shift = base + math.Abs(base)*math.Pow(10, -6*r.Float64())*float64(1-2*r.IntN(2))
		k, p := 1+r.IntN(3), r.Float64()
		for i := range xs {
			xs[i] = f32Near(base, -k+r.IntN(2*k+1)*int(math.Ceil(p-r.Float64())))
		}
	case 2:
		kind = "straddling"
		shift = scale * (r.Float64()*2 - 1)
		k := 1 + r.IntN(4)
		for i := range xs {
			xs[i] = f32Near(shift, r.IntN(2*k+1)-k)
		}
	case 3:
		kind = "outlier"
		shift = scale * (r.Float64()*2 - 1)
		sd := math.Abs(shift) * math.Pow(10, -7*r.Float64())
		for i := range xs {
			xs[i] = float32(shift + sd*r.NormFloat64())
		}
		far := shift + float64(float64(1-2*r.IntN(2))*sd*math.Pow(10, 1+8*r.Float64()))
		xs[r.IntN(n)] = float32(min(max(far, -3e38), 3e38)) // finite
	default:
		kind = "two clusters"
		a, c := scale*(r.Float64()*2-1), scale*(r.Float64()*2-1)
		shift = a + (c-a)*r.Float64()
		for i := range xs {
			if r.IntN(7) == 0 {
				xs[i] = f32Near(c, r.IntN(3)-1)
			} else {
				xs[i] = f32Near(a, r.IntN(3)-1)
			}
		}
	}
	return xs, shift, kind
}

// checkWithin fails t unless s's moments are within its MomentErrors of
// the exact mean and sd of xs.
func checkWithin(t *testing.T, what string, s *Summary, shift, mean, sd float64) {
	t.Helper()
	me, se := s.MomentErrors(shift)
	if d := math.Abs(s.Mean - mean); !(d <= me) {
		t.Errorf("%s: mean %.17g, exact %.17g: %.3g off, said to be within %.3g (%.3gx)", what, s.Mean, mean, d, me, d/me)
	}
	if d := math.Abs(s.Std() - sd); !(d <= se) {
		t.Errorf("%s: sd %.17g, exact %.17g: %.3g off, said to be within %.3g (%.3gx)", what, s.Std(), sd, d, se, d/se)
	}
}

// TestMomentErrorsBound: over momentDraws drawn lane sets of 1 to 30,000
// lanes (drawLanes' shapes), each summed in momentOrders of the orders
// the engines and merges use (summed), the moments are within their
// stated errors of the exact ones.
func TestMomentErrorsBound(t *testing.T) {
	r := rand.New(rand.NewPCG(momentSeed, 0))
	for i := range momentDraws {
		n := 1 + int(math.Exp(r.Float64()*math.Log(30000)))
		xs, shift, kind := drawLanes(r, n)
		mean, sd := exactMoments(xs)
		for o := range momentOrders {
			what := fmt.Sprintf("draw %d (%s, %d lanes, shift %g, lanes %g to %g), order %d", i, kind, n, shift, xs[0], xs[n-1], o)
			checkWithin(t, what, summed(r, xs, shift, o), shift, mean, sd)
		}
		if t.Failed() {
			return
		}
	}
}

// TestMomentErrorsAdversarial: hand-built lane sets of a million lanes,
// summed as the engines do (one block; blocks of 16384 in lane order;
// 256 partial sums a block, as OpenCL's work-items give them; 7 shards
// merged), keep their moments within the stated errors: values far from
// the shift at two float32 values an ulp apart (huge values, a tiny
// spread), values straddling the shift by an ulp, and one outlier among
// lanes spread around the shift.
func TestMomentErrorsAdversarial(t *testing.T) {
	const n = 1 << 20
	r := rand.New(rand.NewPCG(momentSeed, 1))
	sets := []struct {
		name  string
		shift float64
		lane  func(i int) float32
	}{
		{"huge, an ulp apart", 1.1e10, func(i int) float32 { return f32Near(1e10, i%3/2) }},
		{"tiny, an ulp apart", -3e-30, func(i int) float32 { return f32Near(2e-30, -(i % 5 / 4)) }},
		{"straddling the shift", 72.00293, func(i int) float32 { return f32Near(72.00293, i%2) }},
		{"one outlier", 72, func(i int) float32 {
			if i == n/3 {
				return 3e38
			}
			return float32(72 + 5*r.NormFloat64())
		}},
	}
	for _, c := range sets {
		xs := make([]float32, n)
		for i := range xs {
			xs[i] = c.lane(i)
		}
		mean, sd := exactMoments(xs)
		one := emptySummary()
		b := orderedBlock(xs, 0, c.shift, 0, 1)
		one.AddBlock(&b)
		blocks, groups, shards := emptySummary(), emptySummary(), emptySummary()
		for lo := 0; lo < n; lo += 16384 {
			b := orderedBlock(xs[lo:lo+16384], uint64(lo), c.shift, 0, 1)
			blocks.AddBlock(&b)
			b = orderedBlock(xs[lo:lo+16384], uint64(lo), c.shift, 1, 256)
			groups.AddBlock(&b)
		}
		for i := range uint64(7) {
			f, k := Split(n, i, 7)
			if err := shards.Merge(sumInBlocks(r, xs[f:f+k], f, c.shift, 4096)); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range []struct {
			order string
			s     *Summary
		}{{"one block", one}, {"blocks of 16384", blocks}, {"256 partials a block", groups}, {"7 shards", shards}} {
			checkWithin(t, c.name+", "+s.order, s.s, c.shift, mean, sd)
		}
	}
}

// floatBlock sums xs's deviations from float32(shift) into a block as
// weather.cl does on a device without fp64: each d = x - shift and its
// square in float, lane i into work-item i mod w's float sums lane by
// lane, then the w sums in turn into the group's. It returns the block
// and its summation depth: the most float additions a term passed
// through (the ceil(m/w) of its work-item's and the w of its group's).
func floatBlock(xs []float32, first uint64, shift float64, w int) (Block, uint64) {
	fs := float32(shift)
	b := NewBlock(float64(fs))
	for i, x := range xs {
		b.Add(first+uint64(i), x)
	}
	p1, p2 := make([]float32, w), make([]float32, w)
	for i, x := range xs {
		d := x - fs
		p1[i%w] += d
		p2[i%w] += float32(d * d) // rounded: not fused on arm64
	}
	var s1, s2 float32
	for k := range w {
		s1 += p1[k]
		s2 += p2[k]
	}
	b.S1, b.S2 = float64(s1), float64(s2)
	return b, uint64((len(xs)+w-1)/w + w)
}

// TestMomentErrorsFloatSums: drawLanes' lane sets summed in float32 blocks
// (floatBlock, as an OpenCL device without fp64 sums them), folded and
// merged in float64, keep their moments within the errors MomentErrors
// states for their FloatDepth; float64's bound alone (FloatDepth 0) does
// not hold them.
func TestMomentErrorsFloatSums(t *testing.T) {
	r := rand.New(rand.NewPCG(momentSeed, 2))
	beyond := 0 // draws whose moments lie beyond float64's bound
	for i := range momentDraws {
		n := 1 + int(math.Exp(r.Float64()*math.Log(30000)))
		xs, shift, kind := drawLanes(r, n)
		mean, sd := exactMoments(xs)
		s := emptySummary()
		k, w := 1+r.IntN(n), 1+r.IntN(64)
		for lo := 0; lo < n; lo += k {
			hi := min(lo+k, n)
			b, h := floatBlock(xs[lo:hi], uint64(lo), shift, w)
			part := emptySummary()
			part.AddBlock(&b)
			part.FloatDepth = h
			if err := s.Merge(part); err != nil {
				t.Fatal(err)
			}
		}
		what := fmt.Sprintf("draw %d (%s, %d lanes in blocks of %d, %d work-items, depth %d, shift %g)", i, kind, n, k, w, s.FloatDepth, shift)
		checkWithin(t, what, s, shift, mean, sd)
		h := s.FloatDepth
		s.FloatDepth = 0
		me, se := s.MomentErrors(shift)
		if math.Abs(s.Mean-mean) > me || math.Abs(s.Std()-sd) > se {
			beyond++
		}
		s.FloatDepth = h
		if t.Failed() {
			return
		}
	}
	if beyond == 0 {
		t.Errorf("no draw's float sums went beyond float64's bound: the test shows nothing")
	}
	t.Logf("%d of %d draws beyond float64's bound", beyond, momentDraws)
}
