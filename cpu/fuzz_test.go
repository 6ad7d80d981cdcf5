package cpu

import (
	"fmt"
	"testing"

	"github.com/gpusim/gpusim/internal/enginetest"
	"github.com/gpusim/gpusim/sim"
)

// fuzzDraws is TestFuzzEngines' number of draws by default (a few seconds).
const fuzzDraws = 40

// cpuConfig is a drawn engine configuration: which engine, its goroutines,
// the batch path simd takes (the fastest the CPU has, then each slower) and
// the block of lanes (0: chunkFor's).
type cpuConfig struct {
	engine  string
	workers int
	path    int // paths of forEachPath to skip: 0 the widest
	chunk   uint64
	shards  uint64 // 0: the whole range in one run, else shards merged
}

func (c cpuConfig) String() string {
	return fmt.Sprintf("%s workers %d path #%d chunk %d shards %d", c.engine, c.workers, c.path, c.chunk, c.shards)
}

// drawCPU draws a configuration after the draw's job.
func drawCPU(d enginetest.Draw) cpuConfig {
	r := d.Rand
	c := cpuConfig{engine: []string{"serial", "parallel", "simd", "simd"}[r.IntN(4)], workers: 1 + r.IntN(5), path: r.IntN(3)}
	if r.IntN(3) == 0 {
		// At most some 256 blocks: each resets its per-step histograms.
		_, n, _ := d.Job.Range()
		c.chunk = max([]uint64{1, 3, 15, 17, 64, 65, 1000, 4097}[r.IntN(8)], n/256)
	}
	if r.IntN(4) == 0 {
		c.shards = 2 + r.Uint64N(4)
	}
	return c
}

// runCPU runs d's job on c, with the batch path and block size set for the
// run.
func runCPU(t *testing.T, c cpuConfig, d enginetest.Draw) (got *sim.Result, err error) {
	defer func(avx512, avx2 bool, chunk uint64) { useAVX512, useAVX2, testChunk = avx512, avx2, chunk }(useAVX512, useAVX2, testChunk)
	for range c.path {
		if useAVX512 {
			useAVX512 = false
		} else {
			useAVX2 = false
		}
	}
	testChunk = c.chunk
	var e sim.Engine = Serial{}
	switch c.engine {
	case "parallel":
		e = Parallel{Workers: c.workers}
	case "simd":
		e = SIMD{Workers: c.workers}
	}
	if c.shards > 0 {
		return enginetest.RunSplit(t.Context(), e, d.Job, c.shards)
	}
	return e.Run(t.Context(), d.Job)
}

// TestFuzzEngines is the CPU engines' differential fuzzing (enginetest's
// draws: GPUSIM_FUZZ_DRAWS=N runs N instead of fuzzDraws, GPUSIM_FUZZ_SEED=S
// from seed S, and a failure names its draw's seed for a replay): each draw's
// job on a drawn engine (serial, parallel or simd on 1 to 5 goroutines, simd
// on each batch path the CPU has, lane blocks of chunkFor's size or of a few
// lanes, the range whole or split in shards merged: enginetest.RunSplit) against the serial engine at chunkFor's blocks. Count, extremes,
// digest, histograms, finals and per-step records are bit for bit; the final
// moments too where the blocks are chunkFor's in one run (lane blocks folded
// in lane order, as Parallel promises), else to enginetest.DefaultTol or the
// summaries' own error bound; serial itself at chunkFor's blocks is checked
// against the model (sim.Reference).
func TestFuzzEngines(t *testing.T) {
	for _, seed := range enginetest.FuzzSeeds(t, fuzzDraws, nil) {
		fuzzEngines(t, seed)
	}
}

// momentDraws are draws of extreme models whose engines' sds were 1e-9 to
// 7e-5 relative apart, beyond the moments' error estimate of the time
// ((64 + sqrt(n)/4) 2^-52 D^2 for the variance, 3 to 30 times too small):
// float32 holds their lanes at a few values, whose roundings add up.
var momentDraws = []uint64{0x1e869d, 0x1e8ad6, 0x1e8b98, 0x3d1141}

// TestFuzzMomentDraws runs momentDraws as TestFuzzEngines runs its draws:
// each engine's moments within the reference's stated errors
// (sim.Summary.MomentErrors).
func TestFuzzMomentDraws(t *testing.T) {
	for _, seed := range momentDraws {
		fuzzEngines(t, seed)
	}
}

// fuzzEngines runs the draw of seed on its drawn engine and compares the
// result with the serial engine's (TestFuzzEngines).
func fuzzEngines(t *testing.T, seed uint64) {
	t.Helper()
	d := enginetest.NewDraw(seed, enginetest.DrawOptions{Widths: []int{4, 8, 16}, Sizes: []uint64{chunkLanes, chunkLanes * 10 / 40, 64}})
	c := drawCPU(d)
	var want *sim.Result
	var err error
	if c.engine == "serial" && c.chunk == 0 {
		want, err = sim.Reference(d.Job)
	} else {
		want, err = Serial{}.Run(t.Context(), d.Job)
	}
	if err != nil {
		t.Fatalf("%s: reference: %v", d, err)
	}
	got, err := runCPU(t, c, d)
	if err != nil {
		t.Errorf("%s\n\tconfig: %s\n\t%v", d, c, err)
		return
	}
	tol := enginetest.ExactTol
	if c.chunk != 0 || c.shards > 0 || want.Engine == "reference" {
		tol = enginetest.DefaultTol
	}
	enginetest.CheckDraw(t, d, c.String(), got, want, tol)
	if tol == enginetest.ExactTol {
		if err := enginetest.CompareSummary(got.Summary, want.Summary, tol); err != nil {
			t.Errorf("%s\n\tconfig: %s\n\tmoments folded in lane order: %v", d, c, err)
		}
	}
}
