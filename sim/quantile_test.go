package sim

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// sortedQuantiles is the definition ExactQuantiles implements: sort a copy,
// interpolate between order statistics (the code before the radix select).
func sortedQuantiles(xs []float32, levels []float64) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	out := make([]float64, len(levels))
	n := len(s)
	for i, q := range levels {
		if n == 0 {
			out[i] = math.NaN()
			continue
		}
		// Each operation rounded, as numpy's: the conversions keep the
		// compiler from fusing a product into a sum (it does on arm64,
		// ppc64le, s390x and riscv64).
		h := float64(q * float64(n-1))
		lo := int(math.Floor(h))
		hi := min(lo+1, n-1)
		out[i] = float64(s[lo]) + float64((h-float64(lo))*(float64(s[hi])-float64(s[lo])))
	}
	return out
}

var allLevels = append([]float64{0, 1e-9, 0.5 - 1e-12, 1 - 1e-9, 1}, QuantileLevels...)

func checkQuantiles(t *testing.T, name string, xs []float32) {
	t.Helper()
	before := slices.Clone(xs)
	got, want := ExactQuantiles(xs, allLevels), sortedQuantiles(xs, allLevels)
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Errorf("%s (%d values) level %v #%d: got %#x (%v), want %#x (%v)", name, len(xs), allLevels[i], i,
				math.Float64bits(got[i]), got[i], math.Float64bits(want[i]), want[i])
		}
	}
	// Both ways of selecting ranks, whichever one ExactQuantiles took.
	var ranks []int // every rank of a few values, 129 spread over more
	for i := range min(len(xs), 129) {
		ranks = append(ranks, i*(len(xs)-1)/max(min(len(xs), 129)-1, 1))
	}
	sorted, counted := selectRanksSorted(xs, ranks), selectRanksCounted(xs, ranks)
	for i := range ranks {
		if math.Float32bits(sorted[i]) != math.Float32bits(counted[i]) && !(sorted[i] != sorted[i] && counted[i] != counted[i]) {
			t.Fatalf("%s (%d values) rank %d: sorted %#x, counted %#x", name, len(xs), i, math.Float32bits(sorted[i]), math.Float32bits(counted[i]))
		}
	}
	for i := range xs {
		if math.Float32bits(xs[i]) != math.Float32bits(before[i]) {
			t.Fatalf("%s: ExactQuantiles changed #%d: got %#x, want %#x", name, i, math.Float32bits(xs[i]), math.Float32bits(before[i]))
		}
	}
}

// TestExactQuantilesMatchSort: the radix select gives the sorted copy's
// quantiles bit for bit on random and adversarial data.
func TestExactQuantilesMatchSort(t *testing.T) {
	const seed = 11
	r := rand.New(rand.NewPCG(seed, 0))
	for _, n := range []int{1, 2, 3, 4, 5, 7, 100, 101, 1000, 100_003} {
		normal := make([]float32, n)
		wide := make([]float32, n)
		bits := make([]float32, n)
		for i := range normal {
			normal[i] = float32(75 + 5*r.NormFloat64())
			wide[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(60)-30)))
			for {
				bits[i] = math.Float32frombits(r.Uint32())
				if !math.IsNaN(float64(bits[i])) && !math.IsInf(float64(bits[i]), 0) {
					break
				}
			}
		}
		checkQuantiles(t, "normal", normal)
		checkQuantiles(t, "wide", wide)
		checkQuantiles(t, "random bits", bits)
		equal := make([]float32, n)
		for i := range equal {
			equal[i] = 72.5
		}
		checkQuantiles(t, "all equal", equal)
		// Two values, so every rank sits on a run of duplicates.
		dups := make([]float32, n)
		for i := range dups {
			dups[i] = float32(i % 2)
		}
		checkQuantiles(t, "duplicates", dups)
		// Values sharing the high 16 bits of their keys, and neighbours.
		close := make([]float32, n)
		for i := range close {
			close[i] = math.Float32frombits(0x42900000 + uint32(r.IntN(3)<<15+r.IntN(1<<15)))
		}
		checkQuantiles(t, "one high half", close)
	}
	extremes := []float32{math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		0, float32(math.Copysign(0, -1)), 1, -1, 0x1p-126, -0x1p-126}
	for i := range extremes {
		checkQuantiles(t, "extremes", extremes[:i+1])
		rev := slices.Clone(extremes[:i+1])
		slices.Reverse(rev)
		checkQuantiles(t, "extremes reversed", rev)
	}
	zeros := []float32{0, float32(math.Copysign(0, -1)), 0, float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))}
	checkQuantiles(t, "signed zeros", zeros)
	nan := float32(math.NaN())
	checkQuantiles(t, "NaNs", []float32{3, nan, 1, 2, nan, -1, 4, 5, 6, 7, 8})
	if q := ExactQuantiles(nil, QuantileLevels); !math.IsNaN(q[0]) {
		t.Errorf("no values: %v, want NaN", q)
	}
}

// TestExactQuantilesFewValues: the exact quantiles of a few kept finals
// (--out on 4096 lanes) allocate a sorted copy's keys, not the counting
// select's fixed 768 KiB and 512 KiB a high half: those cost a process
// of 1000 lanes about 3 ms (8.9 against 5.2 ms).
func TestExactQuantilesFewValues(t *testing.T) {
	xs := make([]float32, HistBins)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range xs {
		xs[i] = float32(75 + 5*r.NormFloat64())
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	ExactQuantiles(xs, QuantileLevels)
	runtime.ReadMemStats(&m1)
	if d, limit := m1.TotalAlloc-m0.TotalAlloc, uint64(4*len(xs)+4096); d > limit {
		t.Errorf("quantiles of %d values allocated %d bytes, want at most %d", len(xs), d, limit)
	}
}

// BenchmarkExactQuantiles: the exact quantiles of a small run's finals.
func BenchmarkExactQuantiles(b *testing.B) {
	xs := make([]float32, 1000)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range xs {
		xs[i] = float32(75 + 5*r.NormFloat64())
	}
	for b.Loop() {
		ExactQuantiles(xs, QuantileLevels)
	}
}

// TestExactQuantilesMemory: a result's exact quantiles from 2^24 kept
// finals allocate at most quantileBytes and a MiB, not a copy of the
// finals (64 MiB), and leave the finals in lane order.
func TestExactQuantilesMemory(t *testing.T) {
	const n = 1 << 24
	limit := quantileBytes(len(QuantileLevels)) + 1<<20
	xs := make([]float32, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range xs {
		xs[i] = float32(r.NormFloat64())
	}
	first := xs[0]
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	res := &Result{Summary: &Summary{Count: n}, Finals: xs}
	q, exact := res.Quantiles()
	runtime.ReadMemStats(&m1)
	if !exact || !(q[0] < q[len(q)-1]) {
		t.Errorf("quantiles %v exact %v", q, exact)
	}
	if xs[0] != first {
		t.Errorf("finals reordered")
	}
	if d := m1.TotalAlloc - m0.TotalAlloc; d > limit {
		t.Errorf("quantiles of %d values allocated %d bytes, want at most %d", n, d, limit)
	}
}

// TestHostBytes: 4 bytes a kept final plus a bounded amount for quantiles,
// 4 bytes a trajectory value, saturating instead of wrapping.
func TestHostBytes(t *testing.T) {
	q := quantileBytes(len(QuantileLevels))
	for _, c := range []struct {
		finals, paths uint64
		steps         int
		want          uint64
	}{
		{0, 0, 10, 0},
		{1e8, 0, 10, 4e8 + q},
		{1 << 32, 0, 100, 1<<34 + q},
		{0, 1000, 0, 0},
		{0, 1000, 365, 4 * 365_000},
		{10, 3, 5, 40 + q + 60},
		{1 << 62, 0, 1, ^uint64(0)},
		{^uint64(0), 0, 1, ^uint64(0)},
		{1 << 61, 1 << 61, 1, ^uint64(0)},
		{0, 1 << 40, 1 << 30, ^uint64(0)},
	} {
		if got := HostBytes(c.finals, c.paths, c.steps); got != c.want {
			t.Errorf("HostBytes(%d, %d, %d) = %d, want %d", c.finals, c.paths, c.steps, got, c.want)
		}
	}
	if q > 8<<20 {
		t.Errorf("quantiles take %d bytes, more than 8 MiB", q)
	}
}
