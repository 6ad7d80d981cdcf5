package enginetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// Differential fuzzing: a test draws jobs (Draw) and engine configurations
// from a seed, runs each job on the configured engine and compares the
// result with the serial reference's (CheckDraw). The draws run are
// FuzzSeeds': a fixed few by default, so that a test run is repeatable and
// short, more with the environment:
//
//	GPUSIM_FUZZ_DRAWS=N   run N draws instead of the test's default
//	GPUSIM_FUZZ_SEED=S    draw from seed S (decimal or 0x hex) on: draw i
//	                      has seed S+i, so GPUSIM_FUZZ_DRAWS=1 with a failed
//	                      draw's seed replays it alone
//
// A failure names the draw's seed, its job and configuration and the first
// field that differed, in hex.

// fuzzBase is the first draw's seed when GPUSIM_FUZZ_SEED is not set.
const fuzzBase = 0x5eed_0000

// FuzzSeeds returns the seeds of the draws a fuzz test runs: by default
// the first def seeds from fuzzBase on that cheap, when not nil, keeps (a
// test's quick draws: those of programs already built), else
// GPUSIM_FUZZ_DRAWS's count of consecutive seeds from GPUSIM_FUZZ_SEED's
// (or fuzzBase). A malformed value fails the test.
func FuzzSeeds(t testing.TB, def int, cheap func(seed uint64) bool) []uint64 {
	t.Helper()
	n, base := uint64(def), uint64(fuzzBase)
	s := os.Getenv("GPUSIM_FUZZ_DRAWS")
	if s == "" && os.Getenv("GPUSIM_FUZZ_SEED") == "" && cheap != nil {
		var seeds []uint64
		for seed := base; len(seeds) < def; seed++ {
			if cheap(seed) {
				seeds = append(seeds, seed)
			}
		}
		return seeds
	}
	if s != "" {
		v, err := strconv.ParseUint(s, 0, 32)
		if err != nil {
			t.Fatalf("GPUSIM_FUZZ_DRAWS=%q: want a count (valid range 0..2^32-1): %v", s, err)
		}
		n = v
	}
	if s := os.Getenv("GPUSIM_FUZZ_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("GPUSIM_FUZZ_SEED=%q: want a seed (valid range 0..2^64-1): %v", s, err)
		}
		base = v
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = base + uint64(i)
	}
	return seeds
}

// DrawOptions bound the jobs Draw makes.
type DrawOptions struct {
	// Widths are the engine's lanes per batch: lane counts near their
	// multiples are favoured. Default DefaultWidths.
	Widths []int
	// Sizes are further lane counts the engine cuts a job at (work-group
	// sizes, launch chunks, lane blocks): counts near their multiples are
	// favoured too.
	Sizes []uint64
	// MaxLanes caps the lanes of a job's range; MaxWork its lanes times
	// steps (days counted twice with Daily). Defaults 200,000 and 2e6.
	MaxLanes, MaxWork uint64
	// MaxSteps caps the steps; default 40. Step counts near multiples of
	// StepSizes (Philox blocks of 4 steps always) are favoured.
	MaxSteps  int
	StepSizes []int
}

func (o DrawOptions) withDefaults() DrawOptions {
	if len(o.Widths) == 0 {
		o.Widths = DefaultWidths
	}
	if o.MaxLanes == 0 {
		o.MaxLanes = 200_000
	}
	if o.MaxWork == 0 {
		o.MaxWork = 2_000_000
	}
	if o.MaxSteps == 0 {
		o.MaxSteps = 40
	}
	return o
}

// Draw is one drawn job. Rand continues the draw's stream, for the test to
// draw the engine's configuration from after the job.
type Draw struct {
	Seed uint64
	Job  *sim.Job
	Rand *rand.Rand
}

// String describes the draw for a failure message: its seed, the lane
// range, the steps and the model, each float parameter in hex too.
func (d Draw) String() string {
	j, p := d.Job, d.Job.Params
	_, n, _ := j.Range()
	return fmt.Sprintf("draw seed %#x (replay: GPUSIM_FUZZ_SEED=%#x GPUSIM_FUZZ_DRAWS=1): lanes [%d, +%d) of %d (Count %d), %d steps, seed %#x, start %v (%#x) anchor %v (%#x) persistence %v (%#x) sigma %v (%#x), daily %v, finals %v",
		d.Seed, d.Seed, j.First, n, p.Lanes, j.Count, p.Steps, p.Seed, p.Start, math.Float64bits(p.Start), p.Anchor, math.Float64bits(p.Anchor),
		p.Persistence, math.Float64bits(p.Persistence), p.Sigma, math.Float64bits(p.Sigma), j.Daily, j.KeepFinals)
}

// NewDraw draws a job from seed: a valid model (sim.Params.Validate) with
// persistence, sigma, start and anchor at their edges or at random, a seed
// at the Philox key's edges or at random, steps and a lane count biased to
// awkward values (see drawSteps, drawCount), a first lane near 0, 2^32 or
// the top of the lane numbers, per-step summaries and kept finals each at
// random.
func NewDraw(seed uint64, opt DrawOptions) Draw {
	opt = opt.withDefaults()
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	p := drawModel(r)
	p.Steps = drawSteps(r, opt)
	j := &sim.Job{Daily: r.IntN(3) == 0, KeepFinals: r.IntN(2) == 0}
	work := uint64(max(p.Steps, 1))
	if j.Daily {
		work *= 2
	}
	count := drawCount(r, opt, min(opt.MaxLanes, max(opt.MaxWork/work, 1)))
	const top = math.MaxUint64 // the most lanes a job can have
	switch r.IntN(6) {
	case 0, 1:
		j.First = 0
	case 2:
		j.First = r.Uint64N(1000)
	case 3:
		j.First = 1<<32 - r.Uint64N(count+3) // across the counter's high word
	case 4:
		j.First = top - count - r.Uint64N(3) // at the last lanes
	default:
		j.First = r.Uint64() >> r.IntN(64) % (top - count)
	}
	extra := uint64(0)
	if r.IntN(2) == 0 {
		extra = min(top-j.First-count, r.Uint64N(1000))
	}
	p.Lanes = j.First + count + extra
	p.Seed = drawSeed(r)
	j.Params = p
	if extra == 0 && r.IntN(4) == 0 {
		j.Count = 0 // the rest of the job
	} else {
		j.Count = count
	}
	return Draw{Seed: seed, Job: j, Rand: r}
}

// drawSteps favours step counts that are not whole Philox blocks, and those
// one off a multiple of StepSizes (launches of whole blocks).
func drawSteps(r *rand.Rand, opt DrawOptions) int {
	sizes := append([]int{4}, opt.StepSizes...)
	var s int
	switch r.IntN(4) {
	case 0:
		s = r.IntN(9)
	case 1:
		k := sizes[r.IntN(len(sizes))]
		s = k*(1+r.IntN(3)) + r.IntN(3) - 1
	default:
		s = r.IntN(opt.MaxSteps + 1)
	}
	return min(max(s, 0), opt.MaxSteps)
}

// drawCount draws a lane count in [1, hi]: 1 and 2, a prime, a multiple of
// a width or size and one off, or any.
func drawCount(r *rand.Rand, opt DrawOptions, hi uint64) uint64 {
	var n uint64
	switch r.IntN(6) {
	case 0:
		n = 1 + r.Uint64N(2)
	case 1:
		n = nextPrime(1 + r.Uint64N(hi))
	case 2, 3:
		sizes := slices.Clone(opt.Sizes)
		for _, w := range opt.Widths {
			sizes = append(sizes, uint64(w))
		}
		k := max(sizes[r.IntN(len(sizes))], 1)
		n = k*(1+r.Uint64N(max(hi/k, 1))) + r.Uint64N(3) - 1
	case 4:
		n = 1 + r.Uint64N(min(hi, 1+r.Uint64N(300))) // a few vectors
	default:
		n = 1 + r.Uint64N(hi)
	}
	return min(max(n, 1), hi)
}

func nextPrime(n uint64) uint64 {
	for ; ; n++ {
		if n >= 2 && isPrime(n) {
			return n
		}
	}
}

func isPrime(n uint64) bool {
	for d := uint64(2); d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// drawSeed favours the edges of the Philox key (low32(seed), high32(seed)).
func drawSeed(r *rand.Rand) uint64 {
	edges := []uint32{0, 1, 1<<31 - 1, 1 << 31, 1<<32 - 1}
	word := func() uint32 {
		if r.IntN(2) == 0 {
			return edges[r.IntN(len(edges))]
		}
		return r.Uint32()
	}
	return uint64(word())<<32 | uint64(word())
}

// drawModel draws parameters that sim.Params.Validate accepts: each at an
// edge (persistence 0, -0, +-1, next to 1; sigma 0, tiny, huge; signed
// zeros, tiny and huge temperatures) or at random, the default model's
// where no draw of 20 is valid.
func drawModel(r *rand.Rand) sim.Params {
	pick := func(edges []float64, random func() float64) float64 {
		if r.IntN(2) == 0 {
			return edges[r.IntN(len(edges))]
		}
		return random()
	}
	negZero := math.Copysign(0, -1)
	logUniform := func(lo, hi float64) float64 { return math.Exp2(lo + r.Float64()*(hi-lo)) }
	temps := []float64{75, 72, 0, negZero, 1, -1, 1e-30, -1e-30, 1e10, -1e20, 1e30, 2.5e-38}
	temp := func() float64 {
		if r.IntN(2) == 0 {
			return (r.Float64()*2 - 1) * 100
		}
		return math.Copysign(logUniform(-126, 100), float64(r.IntN(2)*2-1))
	}
	for range 20 {
		p := sim.Default()
		p.Persistence = pick([]float64{0, negZero, 0.5, -0.5, 1, -1, 0.999999, 1 - 0x1p-24, -1 + 0x1p-24, 1 + 0x1p-20, 1e-9}, func() float64 { return r.Float64()*2.2 - 1.1 })
		p.Sigma = pick([]float64{0, 5, 1, 1e-6, 1e-30, 1e-38, 1e10, 1e30}, func() float64 { return logUniform(-140, 110) })
		p.Start = pick(temps, temp)
		p.Anchor = pick(temps, temp)
		if p.Validate() == nil {
			return p
		}
	}
	return sim.Default()
}

// CheckDraw compares got, config's result of d, with want, the reference's:
// count, digest, extremes, histograms and finals bit for bit, moments to
// tol or, where the summaries' own error bound (sim.Summary.MomentErrors
// around the exact mean, to which the report prints them) is larger, to
// the sum of got's and want's. A difference fails t with the draw and the first field that
// differed; the result is also checked against itself (its summary against
// its kept finals, the last step's against the final one).
func CheckDraw(t testing.TB, d Draw, config string, got, want *sim.Result, tol Tol) {
	t.Helper()
	if err := compareResult(got, want, tol, true); err != nil {
		t.Errorf("%s\n\tconfig: %s\n\t%v", d, config, err)
		return
	}
	if err := SelfConsistent(got, d.Job); err != nil {
		t.Errorf("%s\n\tconfig: %s\n\t%v", d, config, err)
	}
}

// SelfConsistent checks what a result promises of itself, whatever its
// stream (fast math's too): its count is the job's range, the summary's
// count, digest, extremes and histogram are those of its kept finals, and
// the last per-step summary's count and digest the final one's.
func SelfConsistent(r *sim.Result, job *sim.Job) error {
	first, count, err := job.Range()
	if err != nil {
		return err
	}
	s := r.Summary
	if r.First != first || s.Count != count {
		return fmt.Errorf("range: got [%d, +%d), want [%d, +%d)", r.First, s.Count, first, count)
	}
	if n := job.Params.Steps; r.Daily != nil && n > 0 {
		if l := r.Daily[n-1]; l.Count != s.Count || l.Digest != s.Digest {
			return fmt.Errorf("last step: count %d digest %#016x, final count %d digest %#016x", l.Count, l.Digest, s.Count, s.Digest)
		}
	}
	if r.Finals == nil {
		return nil
	}
	f := sim.NewResult(r.Engine, r.Device, &sim.Job{Params: job.Params}, first, count).Summary
	blk := sim.NewBlock(0)
	for i, x := range r.Finals {
		blk.Add(first+uint64(i), x)
		f.Hist.Add(x)
	}
	f.AddBlock(&blk)
	if err := compareSummary(s, f, math.Inf(1), math.Inf(1), 0, 0); err != nil {
		return fmt.Errorf("summary against the kept finals: %w", err)
	}
	return nil
}

// RunSplit runs job on e as shards parts (sim.Split of its lane range, as
// --shard splits a job) and merges their results as merge does: summaries
// and per-step summaries with sim.Summary.Merge, finals in lane order. Every
// lane's result and every summary bit but the moments' rounding is the
// whole range's (docs/reproducibility.md).
func RunSplit(ctx context.Context, e sim.Engine, job *sim.Job, shards uint64) (*sim.Result, error) {
	first, count, err := job.Range()
	if err != nil {
		return nil, err
	}
	res := sim.NewResult(e.Name(), "", job, first, count)
	for i := range shards {
		f, n := sim.Split(count, i, shards)
		if n == 0 {
			continue
		}
		j := *job
		j.First, j.Count = first+f, n
		r, err := e.Run(ctx, &j)
		if err != nil {
			return nil, fmt.Errorf("shard %d/%d: %w", i+1, shards, err)
		}
		res.Math, res.Device = r.Math, r.Device
		if err := res.Summary.Merge(r.Summary); err != nil {
			return nil, fmt.Errorf("shard %d/%d: %w", i+1, shards, err)
		}
		for d := range res.Daily {
			if err := res.Daily[d].Merge(r.Daily[d]); err != nil {
				return nil, fmt.Errorf("shard %d/%d, day %d: %w", i+1, shards, d+1, err)
			}
		}
		if res.Finals != nil {
			copy(res.Finals[f:], r.Finals)
		}
	}
	return res, nil
}
