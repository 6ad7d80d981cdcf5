package sim

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Engine runs a lane range of a job. Every engine computes the same stream,
// so the digest of a lane range is the same on all of them.
//
// The contract: Run may be called any number of times, one at a time or
// concurrently as the engine documents; it returns a Result built with
// NewResult, or an error and no Result; it stops soon after ctx is done and
// then returns an error wrapping context.Cause(ctx). An engine that holds
// resources (device contexts, buffers, threads) also implements Closer, and
// its owner calls Close (through sim.Close) when done with it.
type Engine interface {
	// Name is the engine's name as --engine takes it (serial, parallel,
	// simd, opencl).
	Name() string
	// Run computes the lanes job names (Job.Range), with its errors: a
	// lane range outside the job, a *ParamError for --daily past
	// MaxDailySteps, or the engine's own (a device's, a cancellation's).
	Run(ctx context.Context, job *Job) (*Result, error)
}

// Closer is an Engine that holds resources until closed. Close releases
// them; it is idempotent, and Run after Close returns an error.
type Closer interface {
	Engine
	// Close releases the engine's resources, and returns the first error
	// releasing them gave.
	Close() error
}

// Close closes e if it is a Closer, and is a no-op otherwise.
func Close(e Engine) error {
	if c, ok := e.(Closer); ok {
		return c.Close()
	}
	return nil
}

// CloseNoted closes e (Close) and, where the release fails, hands note
// (nil: no one) the one line that says so, the same for every command
// that releases an engine: the error, then "; the job's report is whole,
// and the engine was left to end with the process". A device's engine
// whose driver does not answer the release within its bound (10 s) is
// such a failure, left to go on: run, selftest, bench and auto waited
// those 10 s without a word, where only run said why.
func CloseNoted(e Engine, note func(string)) {
	if err := Close(e); err != nil && note != nil {
		note(err.Error() + "; the job's report is whole, and the engine was left to end with the process")
	}
}

// Job is what an engine is asked to compute: lanes [First, First+Count) of
// the job Params describes.
type Job struct {
	Params Params
	First  uint64 // the range's first lane, an index into [0, Params.Lanes)
	Count  uint64 // the range's lanes; 0 means up to Params.Lanes
	// KeepFinals asks for every lane's final temperature in Result.Finals
	// (4 bytes a lane of host memory).
	KeepFinals bool
	// Daily asks for per-step statistics across lanes in Result.Daily.
	Daily bool
	// Progress, when set, is called with the work just done, in
	// lane-steps (a lane of no steps counting one), never 0, so that the
	// calls of a run that succeeds add up to Count x max(Steps, 1): once a
	// chunk of lanes, and within one every million lane-steps or so (a
	// launch's part of the steps on OpenCL), so that a job of few long
	// lanes is seen to move (its chunk of 64 lanes x 4e6 steps was
	// reported once, after 4 s). Engines may call it from several
	// goroutines at once; it must be cheap (an atomic add).
	Progress func(laneSteps uint64)
}

// MaxDailySteps bounds --daily, whose per-step histograms take memory per worker.
const MaxDailySteps = 10000

// DailyBins is the number of bins (under- and overflow besides) of each
// step's histogram in per-step statistics.
const DailyBins = 512

// Range returns the job's lane range after defaulting Count. It returns an
// error if First is not below Params.Lanes or the range reaches past it, and a
// *ParamError for steps if Daily is set with Steps above MaxDailySteps.
func (j *Job) Range() (first, count uint64, err error) {
	first, count = j.First, j.Count
	if count == 0 && first < j.Params.Lanes {
		count = j.Params.Lanes - first
	}
	if first >= j.Params.Lanes || count > j.Params.Lanes-first {
		return 0, 0, fmt.Errorf("lane range [%d, %d+%d) is outside the job's %d lanes", first, first, count, j.Params.Lanes)
	}
	if j.Daily && j.Params.Steps > MaxDailySteps {
		return 0, 0, &ParamError{"steps", fmt.Sprintf("%d steps is too many for --daily (valid range 0..%d)", j.Params.Steps, MaxDailySteps)}
	}
	return first, count, nil
}

// Timing is where a run's time went. Kernel and Transfer come from device
// profiling; Compile is wall-clock time; all three are zero on CPU engines.
// Startup is the opening of the engine before the run (OpenCL: library,
// context, program build or cached binary, which is Compile, kernels, first
// launch, self-test), reported by the engine's first run only; Wall does
// not include it.
type Timing struct {
	Wall     time.Duration // the run's wall-clock time, opening the engine excluded
	Startup  time.Duration // wall-clock time to open the engine, first run only
	Compile  time.Duration // program build, cached binary load or wait for another process's build (a shared cache folder), part of Startup
	Kernel   time.Duration // device time of every kernel launch, summed over launches (and devices)
	Transfer time.Duration // device time of every host-device copy, summed likewise
}

// Math modes: what a Result's stream is. Every engine computes MathExact,
// the stream of docs/reproducibility.md; OpenCL's --math fast computes
// MathFast, whose digest depends on the device.
const (
	MathExact = "exact"
	MathFast  = "fast"
)

// Result is an engine's answer for a lane range.
type Result struct {
	Engine  string // the engine's name, as Engine.Name gives it
	Device  string // the device or CPU configuration that ran it
	Math    string // MathExact or MathFast
	Params  Params // the job's parameters
	First   uint64 // the first lane of the range; Summary.Count is its length
	Summary *Summary
	Finals  []float32  // one final temperature a lane, lane order from First, when the job kept finals
	Daily   []*Summary // one per step 1..Steps, in step order, when the job asked for it
	Timing  Timing
}

// MathReporter is an Engine that says the arithmetic of its runs
// (MathExact or MathFast) before it runs any: one whose math can be fast
// (OpenCL's --math fast). An engine that is not one runs the exact stream.
type MathReporter interface {
	Math() string
}

// NewResult is the empty result of engine on device for lanes [first,
// first+count) of job: an empty summary, Finals of count lanes when the job
// keeps them, empty per-step summaries when it asks for them, and Math
// MathExact. Every engine builds its Result here.
func NewResult(engine, device string, job *Job, first, count uint64) *Result {
	p := job.Params
	r := &Result{Engine: engine, Device: device, Math: MathExact, Params: p, First: first, Summary: NewSummary(p)}
	if job.KeepFinals {
		r.Finals = make([]float32, count)
	}
	if job.Daily {
		r.Daily = NewDaily(p)
	}
	return r
}

// NewDaily returns empty per-step summaries for steps 1..p.Steps, each with a
// histogram over that step's exact mean +/- HistSpan sds, their bins cut
// from one array (DailyHistograms).
func NewDaily(p Params) []*Summary {
	d := make([]*Summary, p.Steps)
	for n, h := range DailyHistograms(p) {
		d[n] = &Summary{Min: float32(posInf), Max: float32(negInf), Hist: h}
	}
	return d
}

// DailyHistograms returns the empty histograms of steps 1..p.Steps, each
// over that step's exact mean +/- HistSpan sds in DailyBins bins, their
// bins cut from one array of p.Steps*(DailyBins+2) counts (each capped at
// its own length). Each a slice of its own, 4,112 bytes went to Go's
// 4,864-byte size class: 18% more memory than counted (DailyBytes), and
// runs of many workers at 10,000 steps that the memory check let through
// died out of memory under ulimit -v.
func DailyHistograms(p Params) []*Histogram {
	const nb = DailyBins + 2
	bins := make([]uint64, p.Steps*nb)
	hs := make([]*Histogram, p.Steps)
	for n := range hs {
		m, sd := p.Exact(n + 1)
		h := histogramOver(m, sd, HistSpan, DailyBins)
		h.Bins = bins[n*nb : (n+1)*nb : (n+1)*nb]
		hs[n] = h
	}
	return hs
}

// DailyEdges returns the edges of step n's histogram (1 <= n <= p.Steps)
// as DailyHistograms gives them, its Lo and Scale, without its bins: what
// a check of a histogram's layout compares. A part's reader took every
// step's histograms from DailyHistograms to compare them, an array of 41
// MB for a part of 10,000 steps, held beside the part's own.
func DailyEdges(p Params, n int) (lo, scale float32) {
	m, sd := p.Exact(n)
	h := histogramOver(m, sd, HistSpan, DailyBins)
	return h.Lo, h.Scale
}

// Quantiles returns the reported quantiles, one per QuantileLevels entry in
// its order, in degrees: exact from the finals when they were kept
// (ExactQuantiles, which neither copies nor reorders them), else
// interpolated in the histogram. Without lanes (an empty shard) they are
// NaN and not exact: there are none.
func (r *Result) Quantiles() (q []float64, exact bool) {
	if r.Finals != nil && r.Summary.Count > 0 && uint64(len(r.Finals)) == r.Summary.Count {
		return ExactQuantiles(r.Finals, QuantileLevels), true
	}
	q = make([]float64, len(QuantileLevels))
	for i, l := range QuantileLevels {
		q[i] = r.Summary.Hist.Quantile(l)
	}
	return q, false
}

var posInf, negInf = math.Inf(1), math.Inf(-1)
