package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

// reduceInputs are finals that stress the reduction: a run's own finals,
// values at and beyond the histogram's edges, signed zeros, infinities,
// NaNs (in a few groups only, as a NaN group goes lane by lane), and lane
// numbers that wrap past 2^64.
func reduceInputs() (name []string, first []uint64, xs [][]float32, p sim.Params) {
	p = sim.Default()
	p.Steps = 10
	m := p.Model()
	h := sim.NewSummary(p).Hist
	r := rand.New(rand.NewPCG(1, 2))
	finals := make([]float32, 5000)
	for i := range finals {
		finals[i] = m.Final(uint64(i))
	}
	edges := []float32{h.Lo, math.Nextafter32(h.Lo, -1), math.Nextafter32(h.Lo, 1), float32(h.Edge(4096)), float32(h.Edge(4095)),
		0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, 1e-45, -1e-45}
	odd := make([]float32, 1003)
	for i := range odd {
		odd[i] = edges[r.IntN(len(edges))]
		if r.IntN(4) == 0 {
			odd[i] = finals[r.IntN(len(finals))]
		}
	}
	nan := slices.Clone(odd)
	nan[20], nan[500] = float32(math.NaN()), float32(math.NaN())
	negZero := []float32{float32(math.Copysign(0, -1)), 0, float32(math.Copysign(0, -1))}
	for range 5 {
		negZero = append(negZero, negZero...)
	}
	// Any bits: subnormals, huge values, NaNs with payloads (a group in
	// sixteen or so holds one).
	bits := make([]float32, 4000)
	for i := range bits {
		bits[i] = math.Float32frombits(r.Uint32())
	}
	// Magnitudes from 2^-12 to 2^12 of either sign: the sums change binade
	// at almost every lane, so adding any two lanes out of order changes
	// their bits (finals near the mean hardly ever do: S1 and S2 then
	// round every term to the same grid, whatever the order).
	order := make([]float32, 3000)
	for i := range order {
		order[i] = float32(math.Ldexp(1+r.Float64(), r.IntN(25)-12))
		if r.IntN(2) == 0 {
			order[i] = -order[i]
		}
	}
	return []string{"finals", "edges", "nan", "zeros", "short", "wrap", "bits", "order"},
		[]uint64{7, 1 << 32, 0, 3, 1, math.MaxUint64 - 20, 1<<63 - 1000, 11},
		[][]float32{finals, odd, nan, negZero, finals[:15], finals[:41], bits, order}, p
}

// TestReduce: on every path reduce gives reduceGeneric's block and
// histogram bit for bit, whatever the length and offset of the finals and
// the block's shift (one whose terms d*d are not exact in float64 tells a
// fused multiply-add from a rounded product, as with GOAMD64=v3).
func TestReduce(t *testing.T) {
	names, firsts, inputs, p := reduceInputs()
	shift, _ := p.Exact(p.Steps)
	testSIMDPaths(t, func(t *testing.T) {
		for k, xs := range inputs {
			for _, off := range []int{0, 1, 5, 16} {
				shift := shift
				if off == 5 {
					shift = 73.50976587301587 // 37 steps' exact mean
				}
				if off > len(xs) {
					continue
				}
				xs := xs[off:]
				first := firsts[k] + uint64(off)
				want, got := sim.NewBlock(shift), sim.NewBlock(shift)
				wh, gh := sim.NewSummary(p).Hist, sim.NewSummary(p).Hist
				want.Add(first-1, 75) // a block that already holds a lane
				got.Add(first-1, 75)
				reduceGeneric(first, xs, &want, wh)
				reduce(first, xs, &got, gh)
				where := fmt.Sprintf("%s+%d", names[k], off)
				if math.Float64bits(got.S1) != math.Float64bits(want.S1) || math.Float64bits(got.S2) != math.Float64bits(want.S2) {
					t.Errorf("%s: S1 %#x S2 %#x, want %#x %#x", where, math.Float64bits(got.S1), math.Float64bits(got.S2), math.Float64bits(want.S1), math.Float64bits(want.S2))
				}
				if got.N != want.N || got.Digest != want.Digest {
					t.Errorf("%s: N %d digest %#x, want %d %#x", where, got.N, got.Digest, want.N, want.Digest)
				}
				if math.Float32bits(got.Min) != math.Float32bits(want.Min) || math.Float32bits(got.Max) != math.Float32bits(want.Max) {
					t.Errorf("%s: min %#x max %#x, want %#x %#x", where, math.Float32bits(got.Min), math.Float32bits(got.Max), math.Float32bits(want.Min), math.Float32bits(want.Max))
				}
				if !slices.Equal(gh.Bins, wh.Bins) {
					t.Errorf("%s: histograms differ", where)
				}
			}
		}
	})
}

// BenchmarkReduce times the per-lane reduction of one block of finals on
// every path: ns per lane, of wall and of CPU time (the fairer figure on a
// shared machine).
func BenchmarkReduce(b *testing.B) {
	p := sim.Default()
	m := p.Model()
	xs := make([]float32, chunkLanes)
	for i := range xs {
		xs[i] = m.Final(uint64(i))
	}
	shift, _ := p.Exact(p.Steps)
	h := sim.NewSummary(p).Hist
	forEachPath(func(name string) {
		b.Run(name, func(b *testing.B) {
			cpu0 := testenv.CPUTime()
			for b.Loop() {
				blk := sim.NewBlock(shift)
				reduce(0, xs, &blk, h)
			}
			lanes := float64(b.N) * float64(len(xs))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/lanes, "ns/lane")
			if c := testenv.CPUTime() - cpu0; c > 0 {
				b.ReportMetric(float64(c.Nanoseconds())/lanes, "cpu-ns/lane")
			}
		})
	})
}
