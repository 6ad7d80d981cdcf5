package gpu

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/internal/enginetest"
	"github.com/gpusim/gpusim/sim"
)

// fuzzDraws is TestFuzzOpenCL's number of draws by default: a few seconds
// on pocl besides the builds of its two programs.
const fuzzDraws = 12

// buildKey is the part of a drawn configuration that picks the program's
// build options (buildOptions): each distinct key is one build.
type buildKey struct {
	vw         int
	fast       bool
	noFP64     bool
	sqrtDouble bool
	dailyTree  bool
	mulHi      int
	localHist  int
	localMem   int
}

// cheap says whether k's program is one TestConformance builds (a vector
// width, nothing else set), the only ones the default draws take.
func (k buildKey) cheap() bool {
	return (k.vw == 1 || k.vw == 4) && k == buildKey{vw: k.vw}
}

func (k buildKey) options() Options {
	o := Options{VectorWidth: k.vw, noFP64: k.noFP64, sqrtDouble: k.sqrtDouble, dailyTree: k.dailyTree, mulHi: k.mulHi, localHist: k.localHist, localMem: k.localMem}
	if k.fast {
		o.Math = MathFast
	}
	return o
}

// drawBuild draws a build key from r, most draws changing one thing at
// most from a plain vector width.
func drawBuild(r *rand.Rand) buildKey {
	k := buildKey{vw: VectorWidths[r.IntN(len(VectorWidths))]}
	one := func(n int) bool { return r.IntN(n) == 0 }
	k.fast = one(8)
	k.noFP64 = one(8)
	k.sqrtDouble = one(8)
	k.dailyTree = one(4)
	if one(3) {
		k.mulHi = 1 - 2*r.IntN(2)
	}
	if one(4) {
		k.localHist = 1 - 2*r.IntN(2)
	}
	if one(6) {
		k.localMem = []int{localHistMin - 1, localHistMin, 32 << 10, 64 << 10}[r.IntN(4)]
	}
	return k
}

// fuzzConfig is a drawn OpenCL configuration: the build, and the launch
// geometry's test hooks.
type fuzzConfig struct {
	buildKey
	wg, groups, maxWG, maxBlocks int
	histLimit, chunk             uint64
	shards                       uint64 // 0: the whole range in one run, else shards merged
}

func (c fuzzConfig) String() string {
	return fmt.Sprintf("%+v wg %d groups %d maxWG %d maxBlocks %d histLimit %d MaxChunkLanes %d shards %d",
		c.buildKey, c.wg, c.groups, c.maxWG, c.maxBlocks, c.histLimit, c.chunk, c.shards)
}

func (c fuzzConfig) options() Options {
	o := c.buildKey.options()
	o.wg, o.groups, o.maxWG, o.maxBlocks, o.histLimit, o.MaxChunkLanes = c.wg, c.groups, c.maxWG, c.maxBlocks, c.histLimit, c.chunk
	return o
}

// drawConfig draws a configuration after d's job: each hook at its default
// or at a small, odd or large value.
func drawConfig(d enginetest.Draw) fuzzConfig {
	r := d.Rand
	pick := func(vs ...int) int {
		if r.IntN(2) == 0 {
			return 0
		}
		return vs[r.IntN(len(vs))]
	}
	c := fuzzConfig{buildKey: drawBuild(r)}
	c.wg = pick(1, 2, 3, 7, 12, 32, 63, 64, 65, 256, 1+r.IntN(512))
	c.groups = pick(1, 2, 5, 6, 17, 1+r.IntN(64))
	c.maxWG = pick(1, 3, 16, 100)
	c.maxBlocks = pick(1, 2, 3, 1+r.IntN(10))
	c.histLimit = uint64(pick(1, 1000, 2500, 4095, 1+r.IntN(100_000)))
	c.chunk = uint64(pick(1, 5, 63, 1000, 4096, 1+r.IntN(100_000)))
	if c.chunk > 0 || c.maxBlocks > 0 {
		// At most some 256 launches: pocl takes about 0.1 ms each.
		_, n, _ := d.Job.Range()
		blocks := uint64((d.Job.Params.Steps + 3) / 4)
		if c.maxBlocks > 0 {
			blocks = (blocks + uint64(c.maxBlocks) - 1) / uint64(c.maxBlocks)
		}
		c.chunk = max(c.chunk, n*max(blocks, 1)/256)
	}
	if r.IntN(4) == 0 {
		c.shards = 2 + r.Uint64N(4)
	}
	return c
}

// fuzzDraw is a draw and its configuration.
type fuzzDraw struct {
	enginetest.Draw
	fuzzConfig
}

// newFuzzDraw draws the job, then the configuration, from seed.
func newFuzzDraw(seed uint64) fuzzDraw {
	d := enginetest.NewDraw(seed, enginetest.DrawOptions{
		Widths: VectorWidths, Sizes: []uint64{64, 256, 1000, 4096}, StepSizes: []int{4, 8, 12}})
	return fuzzDraw{d, drawConfig(d)}
}

// TestFuzzOpenCL is the OpenCL engine's differential fuzzing (enginetest's
// draws: GPUSIM_FUZZ_DRAWS=N runs N instead of fuzzDraws, from any build
// options, GPUSIM_FUZZ_SEED=S from seed S, and a failure names its draw's
// seed for a replay). Each draw's job runs on an engine of drawn test hooks
// (vector width, fast math, float accumulators, fp64 square root, the GPU's
// daily tree, mul_hi, local or global histograms, the local memory size;
// work-group size and count, its limit, step-split launches, histogram
// resets, launch chunks; the range whole or split in shards merged:
// enginetest.RunSplit) and is compared with the model (sim.Reference,
// what the serial engine computes): exact math bit for bit in count,
// extremes, digest, histograms, finals and per-step records, the moments to
// enginetest.DefaultTol or their own error bound (with float accumulators,
// good to about 1e-5 on ordinary jobs only, within their bounds alone:
// sim.Summary.FloatDepth); fast math, whose
// stream depends on the device, only against itself (enginetest.SelfConsistent).
// Draws are run grouped by build options, each program built once. A
// configuration Open refuses (its local memory too small for the
// work-group) and a job refused with a *SubnormalError are logged.
func TestFuzzOpenCL(t *testing.T) {
	testDevice(t)
	var draws []fuzzDraw
	for _, seed := range enginetest.FuzzSeeds(t, fuzzDraws, func(seed uint64) bool { return newFuzzDraw(seed).cheap() }) {
		draws = append(draws, newFuzzDraw(seed))
	}
	slices.SortStableFunc(draws, func(a, b fuzzDraw) int { return cmpKey(a.buildKey, b.buildKey) })
	keep := map[buildKey]*Engine{} // holds each build while its draws run
	for _, d := range draws {
		if _, ok := keep[d.buildKey]; !ok {
			for k, e := range keep {
				e.Close()
				delete(keep, k)
			}
			opt := d.buildKey.options()
			opt.Device = testDevice(t)
			e, err := Open(opt)
			if err != nil {
				t.Logf("%s\n\tconfig %s: not opened: %v", d.Draw, d.fuzzConfig, err)
				continue
			}
			keep[d.buildKey] = e
		}
		runFuzzDraw(t, d)
	}
	for _, e := range keep {
		e.Close()
	}
}

func cmpKey(a, b buildKey) int { return strings.Compare(fmt.Sprintf("%+v", a), fmt.Sprintf("%+v", b)) }

// runFuzzDraw runs d on its configuration and compares the result.
func runFuzzDraw(t *testing.T, d fuzzDraw) {
	t.Helper()
	opt := d.options()
	opt.Device = testDevice(t)
	e, err := Open(opt)
	if err != nil {
		t.Logf("%s\n\tconfig %s: not opened: %v", d.Draw, d.fuzzConfig, err)
		return
	}
	defer e.Close()
	var got *sim.Result
	if d.shards > 0 {
		got, err = enginetest.RunSplit(t.Context(), e, d.Job, d.shards)
	} else {
		got, err = e.Run(t.Context(), d.Job)
	}
	var sub *SubnormalError
	if errors.As(err, &sub) {
		t.Logf("%s\n\tconfig %s: refused: %v", d.Draw, d.fuzzConfig, err)
		return
	}
	if err != nil {
		t.Errorf("%s\n\tconfig %s: %v", d.Draw, d.fuzzConfig, err)
		return
	}
	want, err := sim.Reference(d.Job)
	if err != nil {
		t.Fatalf("%s: reference: %v", d.Draw, err)
	}
	switch {
	case d.fast:
		if got.Math != sim.MathFast {
			t.Errorf("%s\n\tconfig %s: math %q, want %q", d.Draw, d.fuzzConfig, got.Math, sim.MathFast)
		}
		if err := enginetest.SelfConsistent(got, d.Job); err != nil {
			t.Errorf("%s\n\tconfig %s: %v", d.Draw, d.fuzzConfig, err)
		}
	case d.noFP64:
		enginetest.CheckDraw(t, d.Draw, d.fuzzConfig.String(), got, want, enginetest.BoundTol)
	default:
		enginetest.CheckDraw(t, d.Draw, d.fuzzConfig.String(), got, want, enginetest.DefaultTol)
	}
}

// floatSumSeeds are draws of extreme models (the CPU engines' momentDraws,
// whose float32 lanes sit at a few values, and the first of the default
// draws) that TestFloatSumsWithinErrors runs with float accumulators.
var floatSumSeeds = []uint64{0x1e869d, 0x1e8ad6, 0x1e8b98, 0x3d1141, 1, 2, 3, 4, 5, 6}

// TestFloatSumsWithinErrors: on a device summing in float (the noFP64 hook:
// an OpenCL device without fp64), each draw's moments, final and per step,
// lie within the errors the result states (sim.Summary.MomentErrors of its
// FloatDepth) plus the serial engine's, of the serial engine's moments,
// whole and merged from shards; float64's bound, which the result stated
// before it recorded how it summed, does not hold them all.
func TestFloatSumsWithinErrors(t *testing.T) {
	beyond := 0
	// The default layout (on pocl, weather_daily's serial variant), and a
	// GPU's: the daily tree, groups of 256 work-items of one lane.
	for _, opt := range []Options{{noFP64: true}, {noFP64: true, VectorWidth: 1, wg: 256, groups: 6, dailyTree: true}} {
		e := open(t, opt)
		for _, seed := range floatSumSeeds {
			beyond += floatSumDraw(t, e, newFuzzDraw(seed), fmt.Sprintf("%+v", opt))
		}
	}
	if beyond == 0 {
		t.Errorf("no run's float sums went beyond float64's bound: the draws test nothing")
	}
}

// floatSumDraw runs d's job, and its --daily variant, on e, whole or in
// shards, checks the moments within the stated errors of the serial
// engine's, and returns how many runs lay beyond float64's bound.
func floatSumDraw(t *testing.T, e *Engine, d fuzzDraw, config string) (beyond int) {
	t.Helper()
	for _, daily := range []bool{false, true} {
		j := *d.Job
		j.Daily = daily
		want, err := cpu.Serial{}.Run(t.Context(), &j)
		if err != nil {
			t.Fatal(err)
		}
		got, err := enginetest.RunSplit(t.Context(), e, &j, 1+d.Seed%3)
		var sub *SubnormalError
		if errors.As(err, &sub) {
			t.Logf("%s: refused: %v", d.Draw, err)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", d.Draw, err)
		}
		if got.Summary.Count > 1 && got.Summary.FloatDepth == 0 {
			t.Errorf("%s: float sums with no depth recorded", d.Draw)
		}
		enginetest.CheckDraw(t, d.Draw, fmt.Sprintf("%s, daily %v", config, daily), got, want, enginetest.BoundTol)
		if floatBeyond(got.Summary, want.Summary, j.Params) {
			beyond++
		}
	}
	return beyond
}

// floatBeyond says whether got's moments lie beyond float64's bounds of
// got and want (got's FloatDepth taken as 0) from want's.
func floatBeyond(got, want *sim.Summary, p sim.Params) bool {
	mu, _ := p.Exact(p.Steps)
	g := *got
	g.FloatDepth = 0
	gm, gs := g.MomentErrors(mu)
	wm, ws := want.MomentErrors(mu)
	return math.Abs(got.Mean-want.Mean) > gm+wm || math.Abs(got.Std()-want.Std()) > gs+ws
}
