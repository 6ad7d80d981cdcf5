package enginetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpusim/gpusim/sim"
)

// Options tune the suite to an engine.
type Options struct {
	// Widths are the lanes per batch of the engine's fast paths (SIMD
	// lanes, OpenCL vector width): the shapes include w-1, w, w+1 and
	// 2w+1 lanes for each. Default DefaultWidths.
	Widths []int
	// MaxLanes caps the lane count of the suite's largest jobs, to keep it
	// fast on slow engines. Default DefaultMaxLanes.
	MaxLanes uint64
	// Reference computes the expected results; nil means the model itself
	// (sim.Model.Final lane by lane), which needs no engine.
	Reference sim.Engine
	// Tol is how close the moments must be to Reference's; the zero value
	// means DefaultTol. Use ExactTol with a Reference that merges the same
	// lane blocks in the same order.
	Tol Tol
	// NoCancel skips the cancellation checks, for an engine documented not
	// to stop mid-run.
	NoCancel bool
	// CancelInSteps also cancels a run of a few lanes and many steps, which
	// stops promptly only if the engine checks its context inside a lane
	// block's step loop (issue 11, "stopping on time").
	CancelInSteps bool
	// MaxProgressAfterCancel, when positive, bounds the Progress calls that
	// may still come after the suite cancels a run from one: the chunks
	// already in flight.
	MaxProgressAfterCancel int
	// ProgressPerLaunch is for an engine that reports Progress once a
	// launch of its device is done, launches sized in time (OpenCL's,
	// about 100 ms each), not every 2M lane-steps as the CPU engines do:
	// CheckProgress does not ask a short job of few long lanes for many
	// calls (pocl runs 64 lanes x 2^18 steps in one or two launches).
	ProgressPerLaunch bool
}

// Defaults of Options.
var (
	// DefaultWidths are the widths of the SIMD and OpenCL paths gpusim has.
	DefaultWidths = []int{4, 8, 16}
	// DefaultMaxLanes is odd, and many chunks and vectors long.
	DefaultMaxLanes uint64 = 100_003
)

// Watchdog is how long the suite waits for a cancelled run to return before
// it fails the test. It is no timing requirement, only a guard against a
// run that does not stop: the cancelled jobs would take hours.
const Watchdog = 60 * time.Second

func (o Options) withDefaults() Options {
	if len(o.Widths) == 0 {
		o.Widths = DefaultWidths
	}
	if o.MaxLanes == 0 {
		o.MaxLanes = DefaultMaxLanes
	}
	if o.Tol == (Tol{}) {
		o.Tol = DefaultTol
	}
	return o
}

// Run runs every check of the suite, each as a subtest, on an engine made
// by newEngine, and CheckClose on more engines made by it. The suite closes
// the engines it makes with sim.Close when the test ends; Close is
// idempotent, so a constructor that also registers a Close is fine.
func Run(t *testing.T, newEngine func(t *testing.T) sim.Engine, opt Options) {
	t.Helper()
	e := newEngine(t)
	t.Cleanup(func() {
		if err := sim.Close(e); err != nil {
			t.Errorf("close %s: %v", e.Name(), err)
		}
	})
	t.Run("Shapes", func(t *testing.T) { CheckShapes(t, e, opt) })
	t.Run("Offsets", func(t *testing.T) { CheckOffsets(t, e, opt) })
	t.Run("Seeds", func(t *testing.T) { CheckSeeds(t, e, opt) })
	t.Run("Daily", func(t *testing.T) { CheckDaily(t, e, opt) })
	t.Run("KeptFinals", func(t *testing.T) { CheckKeptFinals(t, e, opt) })
	t.Run("Models", func(t *testing.T) { CheckModels(t, e, opt) })
	t.Run("BadRange", func(t *testing.T) { CheckBadRange(t, e) })
	t.Run("Progress", func(t *testing.T) { CheckProgress(t, e, opt) })
	if !opt.NoCancel {
		t.Run("Cancel", func(t *testing.T) { CheckCancel(t, e, opt) })
	}
	t.Run("Close", func(t *testing.T) { CheckClose(t, newEngine) })
}

// job is lanes [first, first+count) of the default model at steps, in a job
// of first+count+extra lanes.
func job(first, count uint64, extra uint64, steps int) *sim.Job {
	p := sim.Default()
	p.Lanes, p.Steps = first+count+extra, steps
	return &sim.Job{Params: p, First: first, Count: count, KeepFinals: true}
}

func run(t testing.TB, e sim.Engine, j *sim.Job) *sim.Result {
	t.Helper()
	r, err := e.Run(t.Context(), j)
	if err != nil {
		t.Fatalf("%s: lanes [%d, +%d) of %d, %d steps: %v", e.Name(), j.First, j.Count, j.Params.Lanes, j.Params.Steps, err)
	}
	if r == nil {
		t.Fatalf("%s: nil result and nil error", e.Name())
	}
	return r
}

// check runs j on e and compares the result with the reference's.
func check(t testing.TB, e sim.Engine, opt Options, j *sim.Job) *sim.Result {
	t.Helper()
	opt = opt.withDefaults()
	got := run(t, e, j)
	if err := CompareResult(got, Want(t, opt.Reference, j), opt.Tol); err != nil {
		t.Errorf("%s (%s): lanes [%d, +%d) of %d, %d steps, seed %#x, daily %v: %v", e.Name(), got.Device, j.First, j.Count, j.Params.Lanes, j.Params.Steps, j.Params.Seed, j.Daily, err)
	}
	return got
}

// laneCounts are one lane, each width and its neighbours, twice a width and
// one, and MaxLanes.
func laneCounts(opt Options) []uint64 {
	ls := []uint64{1, 2}
	for _, w := range opt.Widths {
		w := uint64(w)
		ls = append(ls, w-1, w, w+1, 2*w+1)
	}
	ls = append(ls, opt.MaxLanes)
	slices.Sort(ls)
	return slices.Compact(slices.DeleteFunc(ls, func(n uint64) bool { return n == 0 || n > opt.MaxLanes }))
}

// stepCounts are around the four steps of a Philox block (0 and partial
// blocks of 1, 2, 3 and 5 steps) and longer runs.
var stepCounts = []int{0, 1, 2, 3, 4, 5, 8, 10, 37, 101}

// CheckShapes: digest, summary and finals equal the reference's for
// awkward shapes: one lane, lane counts around each vector width, step
// counts around a Philox block (0 steps, partial blocks), at lane 0 and at
// an odd first lane, in a job with more lanes than the range.
func CheckShapes(t *testing.T, e sim.Engine, opt Options) {
	opt = opt.withDefaults()
	for _, lanes := range laneCounts(opt) {
		for _, steps := range stepCounts {
			if lanes > 1000 && steps > 40 {
				continue // the longest runs take few lanes
			}
			for _, first := range []uint64{0, 5} {
				check(t, e, opt, job(first, lanes, 2, steps))
			}
		}
	}
}

// CheckOffsets: lane ranges that start at odd offsets and cross 2^32, where
// the counter's high word changes, and that end at the last lane 2^64-1
// allows, with and without per-step summaries.
func CheckOffsets(t *testing.T, e sim.Engine, opt Options) {
	opt = opt.withDefaults()
	w := uint64(slices.Max(opt.Widths))
	const top = ^uint64(0) // the most lanes a job can have
	for _, c := range []struct{ first, count uint64 }{
		{12_345, 1001},
		{1<<32 - 3, 2*w + 1},
		{1<<32 - 1, w + 1},
		{1 << 32, w - 1},
		{1<<40 - 7, 17},
		{top - 2*w - 1, 2*w + 1},
		{top - 1, 1},
	} {
		for _, daily := range []bool{false, true} {
			j := job(c.first, c.count, 0, 9)
			if c.first+c.count < top {
				j.Params.Lanes++
			}
			j.Daily = daily
			check(t, e, opt, j)
		}
	}
}

// seeds are the edges of the Philox key (low32(seed), high32(seed)): zero,
// the default 1, a low word of all ones, a high word of one alone, both words
// all ones, and a key whose every byte differs. The other checks run the
// default seed, whose high word is 0: an engine that dropped or swapped the
// high word passed them.
var seeds = []uint64{0, 1, 1<<32 - 1, 1 << 32, math.MaxUint64, 0x0123456789abcdef}

// CheckSeeds: each of seeds gives the reference's result for steps 1 to 9
// (one, two and three Philox blocks, whole and partial) on the widest width
// plus one lanes, from lane 0 at odd steps and across 2^32 at even ones, per
// step too at 3, 6 and 9 steps; and on many lanes from lane 3.
func CheckSeeds(t *testing.T, e sim.Engine, opt Options) {
	opt = opt.withDefaults()
	w := uint64(slices.Max(opt.Widths))
	for _, seed := range seeds {
		for steps := 1; steps <= 9; steps++ {
			first := uint64(0)
			if steps%2 == 0 {
				first = 1<<32 - w/2 // across the counter's high word
			}
			j := job(first, w+1, 1, steps)
			j.Params.Seed, j.Daily = seed, steps%3 == 0
			check(t, e, opt, j)
		}
		j := job(3, min(opt.MaxLanes, 10_007), 0, 5)
		j.Params.Seed = seed
		check(t, e, opt, j)
	}
}

// CheckDaily: per-step summaries equal the reference's (count, extremes,
// digest and histogram exactly, mean and std to Tol.Daily), the last step's
// is the final summary, and the final summary does not change with Daily.
func CheckDaily(t *testing.T, e sim.Engine, opt Options) {
	opt = opt.withDefaults()
	for _, c := range []struct {
		lanes uint64
		steps int
	}{{opt.MaxLanes, 13}, {17, 6}, {1000, 1}, {50, 0}, {33, 5}} {
		lanes := min(c.lanes, opt.MaxLanes)
		j := job(0, lanes, 0, c.steps)
		j.Daily = true
		got := check(t, e, opt, j)
		where := fmt.Sprintf("%s: %d lanes, %d steps", e.Name(), lanes, c.steps)
		if len(got.Daily) != c.steps {
			t.Fatalf("%s: %d per-step summaries, want %d", where, len(got.Daily), c.steps)
		}
		if c.steps > 0 {
			last := got.Daily[c.steps-1]
			if last.Digest != got.Summary.Digest || last.Count != got.Summary.Count {
				t.Errorf("%s: last step's digest %#x count %d, final digest %#x count %d", where, last.Digest, last.Count, got.Summary.Digest, got.Summary.Count)
			}
		}
		j.Daily = false
		if err := CompareSummary(run(t, e, j).Summary, got.Summary, opt.Tol); err != nil {
			t.Errorf("%s: final summary without daily differs from with daily: %v", where, err)
		}
	}
}

// CheckModels: models whose runs meet the reduction's edges give the
// reference's result, finally and per step: finals of -0 and +0 in one run
// (min -0, max +0 bit for bit: OpenCL's fmin and fmax may return either
// zero, and did, by vector width), every lane on one value far from the
// exact law's mean (sigma 0: no spread, where S2 - S1*S1/N left 1e-4), and
// a spread far below the mean's ulp (sd 1e-6 around 73.5), and every lane
// at -0 (--start -0 --steps 0), whose mean is -0 as their IEEE sum is (the
// summary said +0), or at +0 (--start -0 --anchor 0 --sigma 0).
func CheckModels(t *testing.T, e sim.Engine, opt Options) {
	opt = opt.withDefaults()
	negZero := math.Copysign(0, -1)
	for _, m := range []struct {
		name string
		set  func(*sim.Params)
		zero int // -1: every final and the mean -0; +1: +0
	}{
		{"signed zeros", func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = negZero, negZero, 0 }, 0},
		{"one value", func(p *sim.Params) { p.Start, p.Persistence, p.Sigma = 1e10, 0.999, 0 }, 0},
		{"narrow", func(p *sim.Params) { p.Sigma = 1e-6 }, 0},
		{"all -0", func(p *sim.Params) { p.Start, p.Steps = negZero, 0 }, -1},
		{"all +0", func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = negZero, 0, 0 }, 1},
	} {
		for _, lanes := range []uint64{8, 15, 17, 33, min(1000, opt.MaxLanes)} {
			for _, daily := range []bool{false, true} {
				j := job(0, lanes, 0, 3)
				m.set(&j.Params)
				j.Daily = daily
				got := check(t, e, opt, j)
				if m.zero != 0 {
					checkZero(t, e.Name()+" "+m.name, got.Summary, m.zero < 0)
				}
			}
		}
	}
}

// checkZero fails t unless s's min, max and mean are zeros of the sign neg
// says.
func checkZero(t testing.TB, what string, s *sim.Summary, neg bool) {
	t.Helper()
	for _, x := range []struct {
		name string
		v    float64
	}{{"min", float64(s.Min)}, {"max", float64(s.Max)}, {"mean", s.Mean}} {
		if x.v != 0 || math.Signbit(x.v) != neg {
			t.Errorf("%s: %s %#x (%v), want a zero with sign bit %v", what, x.name, math.Float64bits(x.v), x.v, neg)
		}
	}
}

// CheckKeptFinals: finals are kept only when asked for, one per lane of the
// range, and Count 0 means the rest of the job's lanes.
func CheckKeptFinals(t *testing.T, e sim.Engine, opt Options) {
	opt = opt.withDefaults()
	j := job(5, 0, 1000, 7)
	got := check(t, e, opt, j)
	if got.Summary.Count != 1000 || len(got.Finals) != 1000 {
		t.Errorf("%s: count 0 from lane 5 of 1005: count %d, %d finals, want 1000", e.Name(), got.Summary.Count, len(got.Finals))
	}
	j.KeepFinals = false
	got = check(t, e, opt, j)
	if got.Finals != nil {
		t.Errorf("%s: %d finals kept though the job did not ask for them", e.Name(), len(got.Finals))
	}
}

// CheckBadRange: a lane range past the job's lanes is an error.
func CheckBadRange(t *testing.T, e sim.Engine) {
	p := sim.Default()
	p.Lanes = 10
	for _, j := range []sim.Job{{Params: p, First: 8, Count: 3}, {Params: p, First: 10}, {Params: p, First: 11, Count: 1}} {
		if r, err := e.Run(t.Context(), &j); err == nil {
			t.Errorf("%s: lanes [%d, +%d) of %d accepted (count %d)", e.Name(), j.First, j.Count, p.Lanes, r.Summary.Count)
		}
	}
}

// progressJob runs enough lanes for many chunks.
func progressJob(opt Options) *sim.Job {
	p := sim.Default()
	p.Lanes, p.Steps = max(opt.MaxLanes, 300_001), 3
	return &sim.Job{Params: p, First: 1, Count: p.Lanes - 1}
}

// CheckProgress: the lane-steps the Progress callback reports, from any
// number of goroutines at once, add up to the count x the steps, each call
// reporting at least one, and the result is the same as without Progress;
// a job of one chunk of few long lanes is reported as it runs, in several
// calls, not once at its end (64 lanes x 4e6 steps stood at 0 for 4 s).
func CheckProgress(t *testing.T, e sim.Engine, opt Options) {
	opt = opt.withDefaults()
	for _, j := range []*sim.Job{progressJob(opt), longLanesJob()} {
		var done atomic.Uint64
		var calls, empty atomic.Int64
		j.Progress = func(n uint64) {
			calls.Add(1)
			if n == 0 {
				empty.Add(1)
			}
			done.Add(n)
		}
		got := run(t, e, j)
		want := j.Count * uint64(max(j.Params.Steps, 1))
		if done.Load() != want || empty.Load() != 0 {
			t.Errorf("%s: %d Progress calls reported %d lane-steps (%d calls of 0), want %d", e.Name(), calls.Load(), done.Load(), empty.Load(), want)
		}
		if min := want / (2 << 20); !opt.ProgressPerLaunch && calls.Load() < int64(min) {
			t.Errorf("%s: %d lanes x %d steps reported in %d Progress calls, want at least %d (one every 2M lane-steps)", e.Name(), j.Count, j.Params.Steps, calls.Load(), min)
		}
		j.Progress = nil
		if err := CompareResult(got, run(t, e, j), opt.Tol); err != nil {
			t.Errorf("%s: result with Progress differs from without: %v", e.Name(), err)
		}
	}
}

// longLanesJob is a job of few long lanes: 64 lanes (one chunk of a CPU
// engine) of 2^18 steps, 16.8M lane-steps.
func longLanesJob() *sim.Job {
	p := sim.Default()
	p.Lanes, p.Steps = 64, 1<<18
	return &sim.Job{Params: p, Count: p.Lanes}
}

// errCancel is the cause the suite cancels runs with.
var errCancel = errors.New("enginetest: cancelled by the suite")

// runCancelled runs j on e with ctx and returns Run's error, failing the
// test if Run succeeds or is still running Watchdog after start.
func runCancelled(t *testing.T, e sim.Engine, ctx context.Context, j *sim.Job, what string) error {
	t.Helper()
	type out struct {
		r   *sim.Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		r, err := e.Run(ctx, j)
		ch <- out{r, err}
	}()
	select {
	case o := <-ch:
		if o.err == nil {
			t.Errorf("%s: %s: Run succeeded (count %d)", e.Name(), what, o.r.Summary.Count)
		} else if o.r != nil {
			t.Errorf("%s: %s: Run returned a result with its error %v", e.Name(), what, o.err)
		}
		return o.err
	case <-time.After(Watchdog):
		t.Fatalf("%s: %s: Run still running %v after it was cancelled", e.Name(), what, Watchdog)
	}
	return nil
}

// CheckCancel: Run returns an error wrapping context.Cause soon after its
// context is cancelled mid-run (a run that would take hours stops), and at
// once when it is cancelled before; afterwards the engine still computes
// the reference. With CancelInSteps, a run of a few lanes of many steps
// stops as well.
func CheckCancel(t *testing.T, e sim.Engine, opt Options) {
	opt = opt.withDefaults()
	p := sim.Default()
	p.Lanes, p.Steps = 1<<32, 10 // hours on any engine of today
	ctx, cancel := context.WithCancelCause(t.Context())
	var calls, after atomic.Int64
	j := &sim.Job{Params: p, Progress: func(uint64) {
		if calls.Add(1) == 1 {
			cancel(errCancel)
		} else {
			after.Add(1)
		}
	}}
	if err := runCancelled(t, e, ctx, j, "cancelled mid-run"); err != nil && !errors.Is(err, errCancel) {
		t.Errorf("%s: cancelled mid-run: error %v does not wrap the context's cause %v", e.Name(), err, errCancel)
	}
	if n := after.Load(); opt.MaxProgressAfterCancel > 0 && n > int64(opt.MaxProgressAfterCancel) {
		t.Errorf("%s: %d Progress calls after the cancel, want at most %d", e.Name(), n, opt.MaxProgressAfterCancel)
	}

	ctx, cancel = context.WithCancelCause(t.Context())
	cancel(errCancel)
	j.Progress = nil
	small := job(0, 10, 0, 3) // one block of lanes: a run that checks ctx only between blocks would finish it
	for _, j := range []*sim.Job{j, small} {
		what := fmt.Sprintf("%d lanes cancelled before Run", j.Params.Lanes)
		if err := runCancelled(t, e, ctx, j, what); err != nil && !errors.Is(err, errCancel) {
			t.Errorf("%s: %s: error %v does not wrap the context's cause %v", e.Name(), what, err, errCancel)
		}
	}

	if opt.CancelInSteps {
		p.Lanes, p.Steps = 128, 100_000_000
		ctx, cancel = context.WithCancelCause(t.Context())
		tm := time.AfterFunc(20*time.Millisecond, func() { cancel(errCancel) })
		defer tm.Stop()
		if err := runCancelled(t, e, ctx, &sim.Job{Params: p}, "128 lanes of 10^8 steps cancelled"); err != nil && !errors.Is(err, errCancel) {
			t.Errorf("%s: 128 lanes of 10^8 steps cancelled: error %v does not wrap the context's cause %v", e.Name(), err, errCancel)
		}
	}

	// The engine is still usable.
	check(t, e, opt, job(3, 1000, 0, 5))
}

// CheckClose: for an engine that is a sim.Closer, Close is idempotent and
// Run after Close is an error. Engines that are no Closer pass.
func CheckClose(t *testing.T, newEngine func(t *testing.T) sim.Engine) {
	e := newEngine(t)
	if _, ok := e.(sim.Closer); !ok {
		t.Logf("%s is no sim.Closer", e.Name())
		return
	}
	j := job(0, 100, 0, 4)
	run(t, e, j)
	for i := range 2 {
		if err := sim.Close(e); err != nil {
			t.Errorf("%s: Close #%d: %v", e.Name(), i+1, err)
		}
	}
	if r, err := e.Run(t.Context(), j); err == nil {
		t.Errorf("%s: Run after Close succeeded (count %d)", e.Name(), r.Summary.Count)
	}
}
