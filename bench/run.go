package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/cputime"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/jsonnum"
	"github.com/gpusim/gpusim/sim"
)

// EngineSpec names an engine and makes instances of it (the registry's
// engines.Spec). Name labels it in reports: serial, parallel, simd, and
// opencl:DEVICE for each device. New(0) is the engine's default
// configuration (GOMAXPROCS workers for the multicore engines, not all
// cores under a CPU limit); New(n) for n > 0 uses n workers, and is only
// called when Scales is true. An engine that implements sim.Closer is
// closed after its measurement.
type EngineSpec = engines.Spec

// Digest is a result digest, written as `gpusim run` writes it: 16
// lowercase hex digits (docs/reproducibility.md, section 5).
type Digest uint64

func (d Digest) String() string { return fmt.Sprintf("%016x", uint64(d)) }

// MarshalText writes the digest in hex.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a hex digest, with or without the 0x that
// earlier reports wrote.
func (d *Digest) UnmarshalText(b []byte) error {
	v, err := strconv.ParseUint(strings.TrimPrefix(string(b), "0x"), 16, 64)
	if err != nil {
		return fmt.Errorf("digest %q: %w", b, err)
	}
	*d = Digest(v)
	return nil
}

// DigestMismatchError reports engines whose results differ on a workload:
// every engine computes the same stream, so this is a bug, never a timing.
type DigestMismatchError struct {
	Workload Workload // where they differ
	Engines  []string // the engines compared, the reference first
	Digests  []Digest // their digests, in the same order
}

func (e *DigestMismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "digest mismatch on %s:", e.Workload)
	for i, name := range e.Engines {
		fmt.Fprintf(&b, " %s=%v", name, e.Digests[i])
	}
	return b.String()
}

// EngineError is an engine's run that failed (its Run returned an error:
// a child process that could not start, a temporary folder that filled up,
// a device that went away), as opposed to a wrong result or a stopped
// benchmark.
type EngineError struct {
	Engine   string // the engine's name
	Workers  int    // 0: the engine's default
	Workload Workload
	Err      error // what its Run returned
}

func (e *EngineError) Error() string {
	return fmt.Sprintf("bench: %s on %s: %v", engineLabel(e.Engine, e.Workers), e.Workload, e.Err)
}

func (e *EngineError) Unwrap() error { return e.Err }

// engineLabel is an engine's name in progress lines and errors: with the worker
// count, as parallel/2, when it is not the default.
func engineLabel(engine string, workers int) string {
	if workers > 0 {
		return fmt.Sprintf("%s/%d", engine, workers)
	}
	return engine
}

// EngineFailure is an engine that failed mid-benchmark (an EngineError):
// the measurements it completed before stand, the one it was making is left
// out, and so is the engine from there on; the other engines go on.
type EngineFailure struct {
	Engine   string   `json:"engine"`  // the spec's name
	Workers  int      `json:"workers"` // 0: the engine's default
	Workload Workload `json:"workload"`
	Error    string   `json:"error"` // the EngineError's text
	// Hint is what to do about the error (engines.Hint, worded by
	// Config.WordHint), or "": an OpenCL status's advice, a child
	// process's hint. Error alone, its text, lost it.
	Hint string `json:"hint,omitempty"`
	// NotRun says the engine could not start here, no device at fault
	// (engines.CouldNotStart: a limit, a full POCL_CACHE_DIR): bench
	// exits 2 where every failure is one, as run --engine opencl does.
	NotRun bool `json:"-"`
}

// hintNote is the report's note of a failure's hint, after the failure's.
func (f EngineFailure) hintNote() string {
	return fmt.Sprintf("hint for %s: %s", engineLabel(f.Engine, f.Workers), f.Hint)
}

// String is the failure as its EngineError reads.
func (f EngineFailure) String() string {
	return fmt.Sprintf("bench: %s on %s: %s", engineLabel(f.Engine, f.Workers), f.Workload, f.Error)
}

// Measurement is one engine's timings on one workload.
type Measurement struct {
	Engine   string   `json:"engine"`  // the spec's name (EngineSpec.Name)
	Device   string   `json:"device"`  // the device or CPU configuration that ran (sim.Result.Device)
	Workers  int      `json:"workers"` // 0: the engine's default
	Workload Workload `json:"workload"`
	Wall     Stats    `json:"wall"` // wall time of the Reps timed runs, warm-ups excluded
	// Cold is the first run's wall time plus the engine's start-up that
	// run reports (sim.Timing.Startup: an OpenCL device's context and
	// program build, made when the engine opened): the one-off costs a
	// single run pays.
	Cold          time.Duration `json:"cold_ns"`
	NsPerLaneStep float64       `json:"ns_per_lane_step"` // Wall.Median over the workload's lane-steps, ns
	// LaneStepsPerS is the rate at the median, lane_steps_per_s as run's
	// JSON and bench's CSV name it; MarshalJSON also writes it as
	// lane_steps_per_sec, its name in bench's JSON before.
	LaneStepsPerS float64 `json:"lane_steps_per_s"`
	// Speedup is the baseline engine's median over this one's; 0 when there
	// is no baseline measurement.
	Speedup float64 `json:"speedup,omitempty"`
	// Compile is the engine's one-off program build, reported by its first
	// run; Transfer and Kernel are medians of the engine's own device
	// timings (all zero on CPU engines).
	Compile  time.Duration `json:"compile_ns,omitempty"`
	Transfer time.Duration `json:"transfer_ns,omitempty"`
	Kernel   time.Duration `json:"kernel_ns,omitempty"`
	// Startup and Merge are medians of the processes engine's start-up
	// and merge times (Overhead); zero on other engines.
	Startup time.Duration `json:"startup_ns,omitempty"`
	Merge   time.Duration `json:"merge_ns,omitempty"`
	Digest  Digest        `json:"digest"` // the digest of its runs' results
}

// MarshalJSON writes m as its fields say, and the rate once more as
// lane_steps_per_sec, the name bench's JSON gave it before it took run's
// (lane_steps_per_s), for the scripts that read that one.
func (m Measurement) MarshalJSON() ([]byte, error) {
	type plain Measurement
	return json.Marshal(struct {
		plain
		Old float64 `json:"lane_steps_per_sec"`
	}{plain(m), m.LaneStepsPerS})
}

// UnmarshalJSON reads what MarshalJSON writes, and a report from before
// lane_steps_per_s, whose rate is lane_steps_per_sec alone.
func (m *Measurement) UnmarshalJSON(b []byte) error {
	type plain Measurement
	var v struct {
		plain
		// New shadows plain's field of its name, so that an absent
		// one is told from 0.
		New *float64 `json:"lane_steps_per_s"`
		Old *float64 `json:"lane_steps_per_sec"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = Measurement(v.plain)
	switch {
	case v.New != nil:
		m.LaneStepsPerS = *v.New
	case v.Old != nil:
		m.LaneStepsPerS = *v.Old
	}
	return nil
}

// HasDeviceTiming says whether the engine reported compile, transfer or
// kernel time.
func (m *Measurement) HasDeviceTiming() bool { return m.Compile+m.Transfer+m.Kernel > 0 }

// WorkloadResult is every engine on one workload.
type WorkloadResult struct {
	Workload Workload      `json:"workload"`
	Digest   Digest        `json:"digest"`  // the digest every engine gave
	Engines  []Measurement `json:"engines"` // in the order of Run's engines
}

// ScalingPoint is one worker count of a scaling run.
type ScalingPoint struct {
	Workers int `json:"workers"`
	// Ran is how many of Workers the engine started on the workload: at
	// most one goroutine a block of lanes on parallel and simd.
	Ran           int     `json:"workers_ran"`
	Device        string  `json:"device,omitempty"` // as Measurement.Device; "" in a report of an earlier gpusim
	Wall          Stats   `json:"wall"`             // as Measurement.Wall
	NsPerLaneStep float64 `json:"ns_per_lane_step"` // as Measurement.NsPerLaneStep
	// Speedup is over the same engine on one worker; Efficiency is Speedup
	// per worker that ran (Ran), as measured: above 1 where noise or a
	// superlinear speedup makes it so (efficiencyNote tells which).
	Speedup    float64 `json:"speedup"`
	Efficiency float64 `json:"efficiency"`
	// SpeedupRange is the speedup at the ends of the timed runs' spread:
	// the one-worker run's fastest time over this point's slowest, and its
	// slowest over this point's fastest. nil at one worker (the base) and
	// where either point had one timed run, which has no spread.
	SpeedupRange *[2]float64 `json:"speedup_range,omitempty"`
	// Oversubscribed says more workers ran (Ran) than Scaling.Cores: the
	// Amdahl fit leaves the point out.
	Oversubscribed bool `json:"oversubscribed,omitempty"`
	// Startup and Merge are the processes engine's (Measurement).
	Startup time.Duration `json:"startup_ns,omitempty"`
	Merge   time.Duration `json:"merge_ns,omitempty"`
	// Overhead is the time of the same engine and worker count that no
	// worker count shortens: set-up, hand-out, reduction (and for
	// processes, start-up and merge), with almost no work to share
	// (overheads.at says how it is measured). Above one worker it is a
	// difference of runs and below 0 where their noise is larger than the
	// overhead (overheadNote): as measured, not clamped; a report of an
	// earlier gpusim held it at 0.
	Overhead time.Duration `json:"overhead_ns"`
}

// MarshalJSON writes p as its fields say, with efficiencyNote and
// overheadNote where they have one (efficiency_note, overhead_note: "in
// noise", "superlinear", "1 run", "drift"), which the text, Markdown, CSV and HTML
// tables give beside the numbers: the JSON had the numbers alone.
func (p ScalingPoint) MarshalJSON() ([]byte, error) {
	type plain ScalingPoint
	return json.Marshal(struct {
		plain
		EfficiencyNote string `json:"efficiency_note,omitempty"`
		OverheadNote   string `json:"overhead_note,omitempty"`
	}{plain(p), p.efficiencyNote(), p.overheadNote()})
}

// RanWorkers is Ran, or Workers in a report from before gpusim recorded it.
func (p ScalingPoint) RanWorkers() int {
	if p.Ran > 0 {
		return p.Ran
	}
	return p.Workers
}

// workersCell is the scaling table's workers: "4 (2 ran)" where fewer
// ran, "8 (not fitted)" where the Amdahl fit left the point out.
func (p ScalingPoint) workersCell() string {
	var tags []string
	if r := p.RanWorkers(); r != p.Workers {
		tags = append(tags, fmt.Sprintf("%d ran", r))
	}
	if p.Oversubscribed {
		tags = append(tags, "not fitted")
	}
	if len(tags) == 0 {
		return strconv.Itoa(p.Workers)
	}
	return fmt.Sprintf("%d (%s)", p.Workers, strings.Join(tags, ", "))
}

// efficiencyCell is the scaling table's efficiency, as measured, with
// efficiencyNote where it has one: "104.3% (in noise)". Above 100% it
// keeps a decimal, so 100.2% does not read 100%.
func (p ScalingPoint) efficiencyCell() string {
	if p.Efficiency <= 1 {
		return fmt.Sprintf("%.0f%%", 100*p.Efficiency)
	}
	cell := fmt.Sprintf("%.1f%%", 100*p.Efficiency)
	if n := p.efficiencyNote(); n != "" {
		cell += " (" + n + ")"
	}
	return cell
}

// overheadCell is the scaling table's overhead, as measured, with
// overheadNote where it has one: "-38.2 µs (in noise)".
func (p ScalingPoint) overheadCell() string {
	if n := p.overheadNote(); n != "" {
		return "-" + fmtDur(-p.Overhead) + " (" + n + ")"
	}
	return fmtDur(p.Overhead)
}

// overheadNote is "in noise" where the overhead is below 0: the N-worker
// run on one block of lanes each took less than one block on one worker
// less the one-worker overhead, which only the runs' noise (or a clock
// that changed speed between them) does, so the overhead is too small to
// tell from it on this machine; "" otherwise.
func (p ScalingPoint) overheadNote() string {
	if p.Overhead < 0 {
		return "in noise"
	}
	return ""
}

// efficiencyNote says how an efficiency above 100% stands against the
// timed runs' spread: "in noise" where the speedup at the spread's low end
// (SpeedupRange) gives 100% or less, "superlinear" where even that gives
// more, "1 run" where one timed run left no spread to tell; "" at 100% or
// less and in a report of an earlier gpusim, which has no spread. The
// efficiency itself is never clamped: a superlinear speedup is real (each
// worker's share fitting a cache of its own), and one in noise is a
// measurement like the others. Where one worker ran (a count above the
// most the engine starts on the workload) the point is the one-worker run
// measured again, so a speedup over it is drift between the two
// measurements whatever their spread: "drift" (it read "289.1%
// (superlinear)" at "1024 (1 ran)" on one lane).
func (p ScalingPoint) efficiencyNote() string {
	switch {
	case p.Efficiency <= 1:
		return ""
	case p.RanWorkers() == 1:
		return "drift"
	case p.SpeedupRange != nil && p.SpeedupRange[0]/float64(p.RanWorkers()) <= 1:
		return "in noise"
	case p.SpeedupRange != nil:
		return "superlinear"
	case p.Wall.N == 1:
		return "1 run"
	}
	return ""
}

// Scaling is one engine at 1..N workers with its Amdahl fit.
type Scaling struct {
	Engine   string         `json:"engine"` // the spec's name
	Workload Workload       `json:"workload"`
	Points   []ScalingPoint `json:"points"`        // one a worker count, in Config.WorkerList order
	Fit      *AmdahlFit     `json:"fit,omitempty"` // FitAmdahl of the points' speedups, none Oversubscribed
	// Cores is how many workers had cores to run on: GOMAXPROCS for
	// goroutines (the CPUs where fewer), the CPUs for the processes
	// engine's children; 0 in a report of an earlier gpusim, which fitted
	// every point.
	Cores int `json:"cores,omitempty"`
	// CoresFrom is CoresFromCPUs where the CPUs, fewer than GOMAXPROCS,
	// bound the goroutines (Cores), else "".
	CoresFrom string `json:"cores_from,omitempty"`
	// FitNote says why there is no fit, when there is none.
	FitNote string `json:"fit_note,omitempty"`
	// PredictedP is the parallel fraction measured directly rather than
	// fitted: 1 - s/T(1), where s is the one-worker run's Overhead (the time
	// the job takes with next to no work, which no worker count shortens) and
	// T(1) the one-worker run's median.
	PredictedP float64 `json:"predicted_p"`
	// PredictedPNote says why PredictedP is held at 0, where the
	// one-worker overhead is not below the one-worker run's median (so
	// 1 - s/T(1) is 0 or less: the runs' noise, or a start-up that the
	// workload does not outweigh, hides its parallel part); "" otherwise.
	// A bare 0 read as a job with nothing parallel.
	PredictedPNote string `json:"predicted_p_note,omitempty"`
}

// predict sets PredictedP, and PredictedPNote where it is held at 0, from
// the one-worker point.
func (s *Scaling) predict() {
	one := s.Points[0]
	s.PredictedP, s.PredictedPNote = PredictP(one.Overhead, one.Wall.Median), ""
	if one.Wall.Median > 0 && one.Overhead >= one.Wall.Median {
		s.PredictedPNote = heldNote(one.Overhead, one.Wall.Median)
	}
}

// heldNote is PredictedPNote for a one-worker overhead and median.
func heldNote(overhead, median time.Duration) string {
	return fmt.Sprintf("held at 0: the overhead at one worker, %s, is not below the one-worker run's median, %s, so no parallel part shows at this workload (the runs' noise or a start-up larger than the work)",
		fmtDur(overhead), fmtDur(median))
}

// heldText is PredictedPNote in brackets after a space, or "".
func (s *Scaling) heldText() string {
	if s.PredictedPNote != "" {
		return " (" + s.PredictedPNote + ")"
	}
	return ""
}

// SweepPoint is one engine at one size of the sweep.
type SweepPoint struct {
	Lanes         uint64  `json:"lanes"`
	Wall          Stats   `json:"wall"`             // as Measurement.Wall, of the Sweep's Reps
	NsPerLaneStep float64 `json:"ns_per_lane_step"` // Wall.Median over Lanes x Sweep.Steps, ns
}

// SweepSeries is one engine across the sweep.
type SweepSeries struct {
	Engine string       `json:"engine"` // the spec's name
	Points []SweepPoint `json:"points"` // in Sweep.Lanes order; an engine that failed has fewer
}

// Sweep is every engine over a range of lane counts at fixed steps.
type Sweep struct {
	Steps int      `json:"steps"` // every point's steps
	Lanes []uint64 `json:"lanes"` // the sizes, ascending
	// Reps and Warmup are the timed and warm-up runs at each size; a
	// point is the median of the Reps (--sweep-reps, --warmup).
	Reps   int           `json:"reps"`
	Warmup int           `json:"warmup"`
	Series []SweepSeries `json:"series"` // one an engine, in the order of Run's engines
}

// Crossover statuses.
const (
	// CrossoverFound: the challenger is slower below Lanes and faster above.
	CrossoverFound = "crossover"
	// CrossoverNone: the challenger is not faster at the largest size.
	CrossoverNone = "none in range"
	// CrossoverAlways: the challenger is faster at every size.
	CrossoverAlways = "faster throughout"
)

// Crossover is where a challenger starts beating a base engine.
type Crossover struct {
	Pair
	Status string `json:"status"` // CrossoverFound, CrossoverNone or CrossoverAlways
	// Lanes is the crossover, interpolated in log lanes and log time ratio
	// between the sweep points around it; 0 unless Status is CrossoverFound.
	Lanes float64 `json:"lanes,omitempty"`
	// FasterBelow are the sweep's sizes, below the crossover (or with
	// none, anywhere), where the challenger was faster all the same: the
	// note "no crossover in range" stood beside a table where it was
	// faster at 1k and 10k lanes and said nothing of them.
	FasterBelow []uint64 `json:"faster_below,omitempty"`
}

// Model is the model's parameters, which every workload of a report
// shares; lanes and steps vary by workload, so it has none (the JSON read
// "lanes": 0, "steps": 0).
type Model struct {
	Start       float64 `json:"start"`       // degrees (sim.Params.Start)
	Anchor      float64 `json:"anchor"`      // degrees
	Persistence float64 `json:"persistence"` // dimensionless
	Sigma       float64 `json:"sigma"`       // degrees
	Seed        uint64  `json:"seed"`
}

// ModelOf is p's model.
func ModelOf(p sim.Params) Model {
	return Model{Start: p.Start, Anchor: p.Anchor, Persistence: p.Persistence, Sigma: p.Sigma, Seed: p.Seed}
}

// Report is a benchmark's results.
type Report struct {
	// Interrupted, where set, says the report is partial: a stop ended
	// the benchmark, and it holds the measurements that finished (Run).
	// First, so that a reader sees it before the tables.
	Interrupted *Interruption `json:"interrupted,omitempty"`
	Mode        string        `json:"mode"`      // Config.Mode
	Started     time.Time     `json:"started"`   // when the benchmark began (Config.Began), else when Run began
	Elapsed     Seconds       `json:"elapsed_s"` // wall-clock time from Started to the report, seconds
	Machine     Machine       `json:"machine"`
	Params      Model         `json:"params"` // the model; lanes and steps vary by workload
	Reps        int           `json:"reps"`   // timed runs a measurement
	Warmup      int           `json:"warmup"` // untimed runs before them
	// Baseline is the engine speedups are measured against.
	Baseline   string           `json:"baseline"`
	Workloads  []WorkloadResult `json:"workloads"`
	Scaling    []Scaling        `json:"scaling,omitempty"`
	Sweep      *Sweep           `json:"sweep,omitempty"`
	Crossovers []Crossover      `json:"crossovers,omitempty"`
	Python     *PythonReport    `json:"python,omitempty"`
	// Failures are the engines that failed mid-benchmark, in order.
	Failures []EngineFailure `json:"failures,omitempty"`
	// Noisy are the configurations measured twice whose medians lie
	// apart (noisyRepeats), each with a note.
	Noisy []Repeat `json:"noisy,omitempty"`
	// Load is what other processes used of the CPUs while each table was
	// measured (not the Python baseline's), where it is read (Linux); a
	// busy one has a note.
	Load  []Load   `json:"load,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// Seconds is a duration written as seconds.
type Seconds float64

// DefaultPairs are the crossovers worth looking for among the named engines:
// each multicore CPU engine (parallel, simd, processes) against serial, or
// parallel against simd where serial is not named; and each device
// engine's spec against the first named of simd, parallel, processes and
// serial. A device benchmarked beside serial alone, or simd beside
// parallel alone, had no crossover looked for, and the report said none.
func DefaultPairs(specs []EngineSpec) []Pair {
	has := map[string]bool{}
	for _, s := range specs {
		has[s.Name] = true
	}
	var ps []Pair
	for _, c := range []string{"parallel", "simd", ProcessesEngine} {
		if has["serial"] && has[c] {
			ps = append(ps, Pair{"serial", c})
		}
	}
	if !has["serial"] && has["parallel"] && has["simd"] {
		ps = append(ps, Pair{"parallel", "simd"})
	}
	base := ""
	for _, b := range []string{"simd", "parallel", ProcessesEngine, "serial"} {
		if has[b] {
			base = b
			break
		}
	}
	for _, s := range specs {
		if s.Device && base != "" {
			ps = append(ps, Pair{base, s.Name})
		}
	}
	return ps
}

// checkEngines refuses an empty list, an engine without a name or a
// constructor, and a name listed twice.
func checkEngines(engines []EngineSpec) error {
	if len(engines) == 0 {
		return errors.New("bench: no engines to run")
	}
	seen := map[string]bool{}
	for i, e := range engines {
		if e.Name == "" || e.New == nil {
			return fmt.Errorf("bench: engine %d has no name or constructor", i)
		}
		if seen[e.Name] {
			return fmt.Errorf("bench: engine %q listed twice", e.Name)
		}
		seen[e.Name] = true
	}
	return nil
}

// workloads measures every engine on each of the workloads into
// rep.Workloads, with each one's speedup over the baseline; an engine that
// fails is left out from there on (runner.fail).
func (r *runner) workloads(ctx context.Context, rep *Report, engines []EngineSpec) error {
	var noBase []string // the workloads without a baseline measurement
	defer func() { r.inFlight = nil }()
	for _, w := range r.cfg.Workloads {
		wr := WorkloadResult{Workload: w}
		r.inFlight = func(c *Report) {
			wr := wr
			wr.Engines = slices.Clone(wr.Engines)
			r.stoppedWorkload(c, wr, slices.Clone(noBase))
		}
		for _, e := range engines {
			if r.failed[e.Name] {
				continue
			}
			// Kept (in wr, which inFlight reads) before its engine's
			// release: a crash there left it out (crashPoint).
			_, err := r.measure(ctx, e, 0, w, r.cfg.Reps, r.cfg.Warmup, func(m Measurement) { wr.Engines = append(wr.Engines, m) })
			if err != nil {
				if err := r.fail(ctx, rep, err); err != nil {
					if ctx.Err() != nil {
						r.stoppedWorkload(rep, wr, noBase)
					} else {
						r.noteNoBase(rep, noBase)
					}
					return err
				}
				continue
			}
		}
		if r.addWorkload(rep, wr) {
			noBase = append(noBase, w.String())
		}
	}
	r.noteNoBase(rep, noBase)
	return nil
}

// stoppedWorkload ends rep's Engines table as a stop in the measurements
// of wr (those on its workload so far) leaves it: wr's measurements stand,
// without speedups (and a note says why) where the baseline engine had
// not run on it; noBase are the workloads before it without a baseline
// measurement (noteNoBase).
func (r *runner) stoppedWorkload(rep *Report, wr WorkloadResult, noBase []string) {
	switch {
	case !r.addWorkload(rep, wr):
	case r.failed[rep.Baseline]:
		noBase = append(noBase, wr.Workload.String())
	default:
		rep.Notes = append(rep.Notes, fmt.Sprintf("no speedups on %s: the baseline engine, %s, had not run there when the benchmark was stopped", wr.Workload, rep.Baseline))
	}
	r.noteNoBase(rep, noBase)
}

// addWorkload adds wr, one workload's measurements, to rep with each one's
// speedup over the baseline engine, unless it has none (every engine
// failed, or a stop came first); noBase says the baseline is not among
// them, so that wr has no speedups.
func (r *runner) addWorkload(rep *Report, wr WorkloadResult) (noBase bool) {
	if len(wr.Engines) == 0 {
		return false
	}
	wr.Digest = r.digests[wr.Workload].digest
	i := slices.IndexFunc(wr.Engines, func(m Measurement) bool { return m.Engine == rep.Baseline })
	if i >= 0 {
		for j := range wr.Engines {
			wr.Engines[j].Speedup = ratio(wr.Engines[i].Wall.Median, wr.Engines[j].Wall.Median)
		}
	}
	rep.Workloads = append(rep.Workloads, wr)
	return i < 0
}

// noteNoBase notes the workloads, noBase, without speedups because the
// baseline engine failed: the blank speedups said nothing of why.
func (r *runner) noteNoBase(rep *Report, noBase []string) {
	if len(noBase) > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("no speedups on %s: the baseline engine, %s, has no measurement there (it failed)", strings.Join(noBase, ", "), rep.Baseline))
	}
}

// Run benchmarks the engines as cfg says. It stops at a digest mismatch (a
// *DigestMismatchError) or a result of the wrong size, or when ctx is done.
// An engine whose run fails otherwise (an *EngineError) is recorded in the
// report's Failures and Notes and left out from there on, the other
// engines' measurements standing: the caller decides the exit status.
// Stopped by ctx, it returns ctx's error with the partial report of the
// measurements that finished (Report.Interrupted says so and what did not
// run), or with nil where none finished: each table keeps only its
// complete rows (a measurement whose timed runs all ran, a scaling point
// with its overhead, a sweep size every engine reached), a table with none
// is left out, and so are the derived figures that need the missing ones
// (the Amdahl fit, the crossovers, speedups over a baseline that did not run).
// cfg.Snapshot, where set, gives that partial report while Run has not
// returned after the stop (an engine that ignores it).
func Run(ctx context.Context, cfg Config, engines []EngineSpec) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkEngines(engines); err != nil {
		return nil, err
	}
	r := &runner{cfg: &cfg, digests: map[Workload]ref{}, failed: map[string]bool{}, said: map[string]bool{}}
	rep := &Report{
		Mode: cfg.Mode, Started: cmp.Or(cfg.Began, time.Now()), Machine: DescribeMachine(cfg.Devices),
		Params: ModelOf(cfg.Params), Reps: cfg.Reps, Warmup: cfg.Warmup, Baseline: engines[0].Name,
	}
	if slices.ContainsFunc(engines, func(e EngineSpec) bool { return e.Name == "serial" }) {
		rep.Baseline = "serial"
	}
	r.mu.Lock()
	defer func() {
		r.done = true
		r.mu.Unlock()
	}()
	cfg.Snapshot.set(func() *Report { return r.snapshot(ctx, rep, engines) })
	r.crashRep, r.crashEngines = rep, engines
	if stage, err := r.stages(ctx, rep, engines); err != nil {
		if ctx.Err() != nil {
			return r.interrupted(ctx, rep, stage, engines), err
		}
		return nil, err
	}
	noteLoad(rep)
	noteNoisy(rep)
	rep.Elapsed = Seconds(jsonnum.Seconds(time.Since(rep.Started)))
	rep.clipTexts()
	return rep, nil
}

// stages measures rep's tables in order, and on an error returns it with
// the stage it stopped in (stageEngines, ...).
func (r *runner) stages(ctx context.Context, rep *Report, engines []EngineSpec) (string, error) {
	cfg := r.cfg
	defer func() { r.stage = "" }()
	r.stage = stageEngines
	if err := r.load(ctx, rep, "engines", func() error { return r.workloads(ctx, rep, engines) }); err != nil {
		return stageEngines, err
	}
	if cfg.Scaling {
		r.stage = stageScaling
		if err := r.load(ctx, rep, "scaling", func() error { return r.scalings(ctx, rep, engines) }); err != nil {
			return stageScaling, err
		}
		rep.Notes = append(rep.Notes, oversubscribed(rep)...)
	}

	if len(cfg.Sweep) > 0 {
		r.stage = stageSweep
		var sw *Sweep
		err := r.load(ctx, rep, "sweep", func() (err error) {
			// In rep before load reads its peak (shownPeak).
			switch sw, err = r.sweep(ctx, rep, engines); {
			case err != nil && ctx.Err() != nil:
				rep.Sweep = r.partialSweep(sw)
			case err == nil && len(sw.Series) > 0:
				rep.Sweep = sw
			}
			return err
		})
		if err != nil {
			return stageSweep, err
		}
		pairs := cfg.Crossovers
		if pairs == nil {
			pairs = DefaultPairs(engines)
		}
		for _, p := range pairs {
			if r.failed[p.Base] || r.failed[p.Challenger] {
				continue
			}
			c, err := FindCrossover(sw, p)
			if err != nil {
				return stageSweep, err
			}
			rep.Crossovers = append(rep.Crossovers, c)
		}
	}

	if cfg.Python {
		r.stage = stagePython
		if err := r.python(ctx, rep); err != nil {
			return stagePython, err
		}
	}
	return "", nil
}

// scalings measures the scaling table of each engine that scales and has
// not failed, on cfg.ScalingWorkload (the first workload where unset), into
// rep.Scaling, noting where the larger worker counts run the same.
func (r *runner) scalings(ctx context.Context, rep *Report, engines []EngineSpec) error {
	w := r.cfg.ScalingWorkload
	if w == (Workload{}) {
		w = r.cfg.Workloads[0]
	}
	for _, e := range engines {
		if !e.Scales || r.failed[e.Name] {
			continue
		}
		cores, from := rep.Machine.coresFor(e.Name)
		s, err := r.scaling(ctx, e, w, cores, from)
		if err != nil {
			if err := r.fail(ctx, rep, err); err != nil {
				if ctx.Err() != nil && len(s.Points) > 0 {
					// Stopped: the points measured stand, unfitted.
					r.partialScaling(&s)
					rep.Scaling = append(rep.Scaling, s)
				}
				return err
			}
			continue
		}
		rep.Scaling = append(rep.Scaling, s)
		if e.MaxWorkers != nil {
			if most := e.MaxWorkers(w.Lanes, w.Steps); slices.Max(r.cfg.workers()) > most {
				what := startsNoun(e.Name, most) + " at most (one a block of lanes)"
				if e.Name == ProcessesEngine {
					what = startsNoun(e.Name, most) + " at most (one a lane)"
				}
				rep.Notes = append(rep.Notes, fmt.Sprintf("%s on %s starts %s: the scaling table's larger worker counts run the same (raise the lanes)",
					e.Name, w, what))
			}
		}
	}
	return nil
}

// python runs the Python baseline on the OpenCL device the report's
// machine lists first, noting each version that disagrees with the law.
func (r *runner) python(ctx context.Context, rep *Report) error {
	cfg := *r.cfg
	if cfg.OpenCLDevice == "" && len(rep.Machine.Devices) > 0 {
		cfg.OpenCLDevice = deviceName(rep.Machine.Devices[0])
	}
	var py *PythonReport
	var err error
	// A Snapshot taken while the script runs has the versions that
	// ended, as the stop's return below does.
	live := &pythonLive{}
	cfg.pythonLive = live
	r.inFlight = func(c *Report) {
		if p := live.report(); p != nil {
			r.addPython(c, p)
		}
	}
	r.unlocked(func() { py, err = RunPython(ctx, &cfg, r.progress) })
	r.inFlight = nil
	if err != nil {
		if ctx.Err() != nil {
			if py != nil {
				// Stopped: the versions that ended stand (interrupted).
				r.addPython(rep, py)
			}
			return err
		}
		// The engines' measurements stand without the baseline: the
		// report says it failed and why rather than being lost.
		why := strings.TrimPrefix(err.Error(), "bench: python baseline: ")
		rep.Python = &PythonReport{Interpreter: cfg.PythonPath, Failed: why}
		r.progress("python baseline failed: %s", why)
		pythonFailures(rep, cfg.Workloads)
		return nil
	}
	r.addPython(rep, py)
	return nil
}

// addPython sets py, the Python baseline's report, in rep, noting each
// version that disagrees with the law and each that failed.
func (r *runner) addPython(rep *Report, py *PythonReport) {
	rep.Python = py
	for _, f := range py.LawFailures() {
		rep.Notes = append(rep.Notes, "disagrees with the exact law: "+f)
	}
	pythonFailures(rep, r.cfg.Workloads)
}

// pythonFailures adds to rep's Failures, as the engines' failures are,
// each Python version that failed (a limit it ran into, the script's
// death while it ran) and the baseline that failed with no version to
// blame, each with a note, so that bench exits 1 after its report: a
// failed baseline read as a missing package or left the exit status at 0.
// A version skipped (its module not installed, over its caps) is no
// failure.
func pythonFailures(rep *Report, ws []Workload) {
	py := rep.Python
	blamed := false
	for _, p := range py.Results {
		if p.Failed {
			rep.Failures = append(rep.Failures, EngineFailure{Engine: "python/" + p.Method, Workload: p.Workload, Error: p.Skipped})
			rep.Notes = append(rep.Notes, fmt.Sprintf("python/%s on %s failed (exit status 1): %s", p.Method, p.Workload, p.Skipped))
			blamed = true
		}
	}
	if py.Failed != "" && !blamed && len(ws) > 0 {
		rep.Failures = append(rep.Failures, EngineFailure{Engine: "python", Workload: ws[0], Error: py.Failed})
		rep.Notes = append(rep.Notes, "the Python baseline failed (exit status 1): "+py.Failed)
	}
}

// deviceName is the device name in one of Machine.Devices' lines,
// "0: NAME (platform, type)".
func deviceName(line string) string {
	if _, after, ok := strings.Cut(line, ": "); ok {
		line = after
	}
	if i := strings.LastIndex(line, " ("); i > 0 {
		line = line[:i]
	}
	return line
}

// ref is the first digest seen for a workload and who computed it.
type ref struct {
	engine string
	digest Digest
}

type runner struct {
	cfg     *Config
	digests map[Workload]ref
	failed  map[string]bool // the engines that failed, left out from there on
	said    map[string]bool // the starts' notes said, by engine and note (noteTo)
	saidMu  sync.Mutex      // guards said
	peaks   []rowPeak       // the table's measurements others used busyShare of the CPUs in (notePeak)
	// overheadOf is set while the Scaling table's overhead column is
	// measured (overheads.median), to the point it is measured for: for
	// Peak.Overhead, and the row of the peak.
	overheadOf *tableRow

	// mu is held by Run while it works, and let go while an engine or
	// the Python baseline runs (unlocked), so that a Snapshot reads the
	// fields it guards: Run's report, these, and the state above.
	mu sync.Mutex
	// done is set as Run returns: its caller has the report.
	done bool
	// stage is the stage being measured (stageEngines, ...), "" outside.
	stage string
	// inFlight, where set, adds to a copy of the report the complete rows
	// of the table being measured that are not yet in the report, as a
	// stop leaves them (Snapshot).
	inFlight func(*Report)
	// loadAt is the reading the table being measured started at.
	loadAt loadStart
	// crashRep and crashEngines are Run's report and engines, which
	// crashPoint copies.
	crashRep     *Report
	crashEngines []EngineSpec
}

// fail records err, a measurement's error, as its engine's failure in rep
// when it is an *EngineError of a benchmark still running, and returns nil;
// any other error it returns, to stop the benchmark.
func (r *runner) fail(ctx context.Context, rep *Report, err error) error {
	var ee *EngineError
	if ctx.Err() != nil || !errors.As(err, &ee) {
		return err
	}
	r.failed[ee.Engine] = true
	f := EngineFailure{Engine: ee.Engine, Workers: ee.Workers, Workload: ee.Workload, Error: ee.Err.Error(), Hint: r.hint(ee.Err), NotRun: engines.CouldNotStart(ee.Err)}
	rep.Failures = append(rep.Failures, f)
	status := "exit status 1"
	if f.NotRun {
		status = "it could not run here, no device at fault: exit status 2 unless another engine failed"
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("%s on %s failed: %v; %s is left out from there on (%s)", engineLabel(ee.Engine, ee.Workers), ee.Workload, ee.Err, ee.Engine, status))
	r.progress("%s on %s failed: %v; going on without %s", engineLabel(ee.Engine, ee.Workers), ee.Workload, ee.Err, ee.Engine)
	if f.Hint != "" {
		// A note of its own, clipped on its own (clipTexts): after a
		// long error (a build log) it would be the part cut off.
		rep.Notes = append(rep.Notes, f.hintNote())
		r.progress("%s", f.hintNote())
	}
	return nil
}

// hint is the advice for an engine's error, worded for the command that
// runs the benchmark (Config.WordHint), or "".
func (r *runner) hint(err error) string {
	h := engines.Hint(err)
	if h != "" && r.cfg.WordHint != nil {
		h = r.cfg.WordHint(h)
	}
	return h
}

// noteTo is the note function of e's starts (EngineSpec.New): each note,
// such as that a device's program starts compiling (a cold start waited
// seconds on pocl without a word, where a run says so), goes to the
// progress once (to Notes under -q), however many starts say it. A start may say it from the
// goroutines of an open of several devices.
func (r *runner) noteTo(e EngineSpec) func(string) {
	return func(s string) {
		r.saidMu.Lock()
		defer r.saidMu.Unlock()
		if !r.said[e.Name+"\x00"+s] {
			r.said[e.Name+"\x00"+s] = true
			if r.cfg.Progress == nil && r.cfg.Notes != nil {
				fmt.Fprintf(r.cfg.Notes, "gpusim: note: %s: %s\n", e.Name, s)
				return
			}
			r.progress("%s: %s", e.Name, s)
		}
	}
}

func (r *runner) progress(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, "bench: "+format+"\n", args...)
	}
}

// check compares a run's digest with the workload's reference, making the
// run the reference when it is the first.
func (r *runner) check(w Workload, label string, d Digest) error {
	first, ok := r.digests[w]
	if !ok {
		r.digests[w] = ref{label, d}
		return nil
	}
	if first.digest != d {
		return &DigestMismatchError{Workload: w, Engines: []string{first.engine, label}, Digests: []Digest{first.digest, d}}
	}
	return nil
}

// suspended is the wall time the process has spent suspended so far
// (cputime.Suspended; a variable for tests).
var suspended = cputime.Suspended

// maxSuspendedRuns is how many runs of one measurement a suspension may
// send to be run again: a process stopped over and over is measured as it
// is, with the stops, rather than never.
const maxSuspendedRuns = 10

// measure times warmup+reps runs of a fresh instance of e on w. A run
// after the first that the process was suspended in (Ctrl-Z, SIGSTOP,
// Slurm's scontrol suspend: suspended) is run again, up to
// maxSuspendedRuns times, with a progress line saying so. keep, where
// set, is given the measurement once its timed runs have all finished,
// before the engine is released (the caller's row, complete, in what
// inFlight reads), and a crash from there is handed the report with it
// (crashPoint): a crash of the driver in the release lost a measurement
// that had finished. measure returns no error after keep.
func (r *runner) measure(ctx context.Context, e EngineSpec, workers int, w Workload, reps, warmup int, keep func(Measurement)) (Measurement, error) {
	r.crashPoint("")
	var eng sim.Engine
	r.unlocked(func() { eng = e.New(workers, r.noteTo(e)) })
	defer r.unlocked(func() { sim.CloseNoted(eng, r.noteTo(e)) })
	label := engineLabel(e.Name, workers)
	job := &sim.Job{Params: r.cfg.params(w)}
	m := Measurement{Engine: e.Name, Workers: workers, Workload: w}
	var walls, transfer, kernel, startup, merge []time.Duration
	again, first := maxSuspendedRuns, true
	cpu0, read := readCPU()
	for i := 0; i < warmup+reps; i++ {
		s0, t0 := suspended(), time.Now()
		var res *sim.Result
		var err error
		r.unlocked(func() { res, err = eng.Run(ctx, job) })
		wall := time.Since(t0)
		if err != nil {
			return m, &EngineError{Engine: e.Name, Workers: workers, Workload: w, Err: err}
		}
		if res.Summary == nil || res.Summary.Count != w.Lanes {
			return m, fmt.Errorf("bench: %s on %s: result covers %d lanes, want %d", label, w, countOf(res), w.Lanes)
		}
		if err := r.check(w, label, Digest(res.Summary.Digest)); err != nil {
			return m, err
		}
		if first {
			// The build happened when the engine
			// opened, outside the timed run: the compile column read 0
			// with 3 reps and the cold column left out a 2.8 s build.
			m.Cold, m.Device, m.Digest = wall+res.Timing.Startup, res.Device, Digest(res.Summary.Digest)
			m.Compile, first = res.Timing.Compile, false
		}
		if s := suspended() - s0; s > 0 && again > 0 && i >= warmup {
			// Its time counts the stop (Ctrl-Z, Slurm's suspend): with
			// --reps 1 it was taken for the engine's.
			again--
			r.progress("%s on %s: suspended for %v of a run of %v, which is run again", label, w, interrupt.RoundShort(s), interrupt.RoundShort(wall))
			i--
			continue
		}
		if i < warmup {
			continue
		}
		walls = append(walls, wall)
		transfer = append(transfer, res.Timing.Transfer)
		kernel = append(kernel, res.Timing.Kernel)
		if o, ok := eng.(overheadReporter); ok {
			startup = append(startup, o.LastOverhead().Startup)
			merge = append(merge, o.LastOverhead().Merge)
		}
	}
	r.notePeak(label, tableRow{e.Name, w, workers}, w, cpu0, read)
	m.Wall = Summarize(walls)
	m.Transfer, m.Kernel = median(transfer), median(kernel)
	m.Startup, m.Merge = median(startup), median(merge)
	m.NsPerLaneStep, m.LaneStepsPerS = rates(m.Wall.Median, w)
	// Per lane-step as the tables write it (fmtG): %.3g wrote 1200 ns as
	// "1.2e+03" beside the table's 1200.
	r.progress("%-14s %-12s median %s (min %s, max %s), %s ns/lane-step", label, w, fmtDur(m.Wall.Median), fmtDur(m.Wall.Min), fmtDur(m.Wall.Max), fmtG(m.NsPerLaneStep))
	if keep != nil {
		keep(m)
		r.crashPoint(label + " on " + w.String())
	}
	return m, nil
}

func countOf(res *sim.Result) uint64 {
	if res.Summary == nil {
		return 0
	}
	return res.Summary.Count
}

// rates returns ns per lane-step and lane-steps per second for a median.
func rates(d time.Duration, w Workload) (nsPer, perSec float64) {
	if d <= 0 {
		return 0, 0
	}
	ls := w.LaneSteps()
	return float64(d.Nanoseconds()) / ls, ls / d.Seconds()
}

// ratio is a/b, or 0 when b is not positive.
func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// scaling measures e on w at each worker count, cores the workers of e
// have cores for (Machine.coresFor), and fits Amdahl's law (setFit).
func (r *runner) scaling(ctx context.Context, e EngineSpec, w Workload, cores int, from string) (Scaling, error) {
	s := Scaling{Engine: e.Name, Workload: w, Cores: cores, CoresFrom: from}
	// The fit takes each point at the worker count that ran: above the
	// most the engine starts on w (one a block of lanes), a count measures
	// the same run again, and fitting it at its nominal count read a
	// repeat's noise as a parallel fraction.
	most := math.MaxInt
	if e.MaxWorkers != nil {
		most = max(e.MaxWorkers(w.Lanes, w.Steps), 1)
	}
	oh := overheads{r: r, e: e, w: w}
	r.inFlight = func(c *Report) {
		if len(s.Points) > 0 {
			// As scalings ends a table a stop cut.
			s := s
			s.Points = slices.Clone(s.Points)
			r.partialScaling(&s)
			c.Scaling = append(c.Scaling, s)
		}
	}
	defer func() { r.inFlight = nil }()
	for _, n := range r.cfg.workers() {
		// Not kept before the release: a point is complete with its
		// overhead, measured after it.
		m, err := r.measure(ctx, e, n, w, r.cfg.Reps, r.cfg.Warmup, nil)
		if err != nil {
			return s, err
		}
		ran := min(n, most)
		o, err := oh.at(ctx, n, ran)
		if err != nil {
			return s, err
		}
		pt := ScalingPoint{Workers: n, Ran: ran, Device: m.Device, Wall: m.Wall, NsPerLaneStep: m.NsPerLaneStep, Startup: m.Startup, Merge: m.Merge, Overhead: o}
		if len(s.Points) > 0 {
			one := s.Points[0].Wall
			pt.Speedup = ratio(one.Median, m.Wall.Median)
			if one.N > 1 && m.Wall.N > 1 {
				pt.SpeedupRange = &[2]float64{ratio(one.Min, m.Wall.Max), ratio(one.Max, m.Wall.Min)}
			}
		} else {
			pt.Speedup = 1
		}
		// Per worker that ran: a count above the most the engine starts
		// repeats a smaller run, and its speedup over the count asked for
		// read low (or, from a repeat's noise, above 100%).
		pt.Efficiency = pt.Speedup / float64(ran)
		s.Points = append(s.Points, pt)
	}
	s.predict()
	return s, s.setFit(most)
}

// overheads measures a scaling engine's overhead column: the time of a run
// at a worker count that no worker count shortens.
type overheads struct {
	r *runner
	e EngineSpec
	w Workload
	// one is the overhead at one worker, block one block of lanes on one
	// worker; zero until measured.
	one, block time.Duration
	point      int // the worker count of the point measured (at)
}

// at is the overhead of e with n workers of which ran start on w. Without
// MaxWorkers it is the median of n workers on n lanes. An engine that
// starts one worker a block of lanes (parallel, simd; processes, whose
// block is a lane) runs one worker on one lane per worker, so above one
// worker it is measured on the fewest lanes that start ran workers, one
// block each, and that block's own work is taken out:
//
//	overhead(ran) = overhead(1) + T_n(one block per goroutine) - T_1(one block)
//
// where overhead(1) is one worker on one lane: what ran goroutines cost
// beyond one for the same work each (their start, hand-out, reduction,
// and the cores they share), over one worker's set-up. It is below 0 where
// the runs' noise is larger than that cost, and kept so, as measured, as
// an efficiency above 100% is (ScalingPoint.overheadNote): held at 0, it
// read as an overhead measured to be nothing.
func (o *overheads) at(ctx context.Context, n, ran int) (time.Duration, error) {
	o.point = n
	if o.e.MaxWorkers == nil {
		return o.median(ctx, n, uint64(n))
	}
	if o.one == 0 {
		t, err := o.median(ctx, 1, 1)
		if err != nil {
			return 0, err
		}
		o.one = t
	}
	if ran <= 1 {
		if n == 1 {
			return o.one, nil
		}
		return o.median(ctx, n, 1)
	}
	if o.block == 0 {
		lanes := max(o.lanesFor(2)-1, 1)
		if lanes == 1 { // a block of one lane (processes): one's run
			o.block = o.one
		} else {
			t, err := o.median(ctx, 1, lanes)
			if err != nil {
				return 0, err
			}
			o.block = t
		}
	}
	t, err := o.median(ctx, n, o.lanesFor(ran))
	if err != nil {
		return 0, err
	}
	return o.one + t - o.block, nil
}

// lanesFor is the fewest lanes on which e starts ran goroutines at w's
// steps (MaxWorkers grows with the lanes); at most w's lanes, on which
// it starts ran or more.
func (o *overheads) lanesFor(ran int) uint64 {
	lo, hi := uint64(1), o.w.Lanes
	for lo < hi {
		mid := lo + (hi-lo)/2
		if o.e.MaxWorkers(mid, o.w.Steps) >= ran {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// median is the median wall time of e with n workers on lanes lanes.
func (o *overheads) median(ctx context.Context, n int, lanes uint64) (time.Duration, error) {
	o.r.overheadOf = &tableRow{o.e.Name, o.w, o.point}
	defer func() { o.r.overheadOf = nil }()
	m, err := o.r.measure(ctx, o.e, n, Workload{lanes, o.w.Steps}, o.r.cfg.Reps, o.r.cfg.Warmup, nil)
	return m.Wall.Median, err
}

// sweep measures the engines that have not failed at every size; one that
// fails on the way has no series (the others go on). Stopped, it returns
// the sweep so far with the error.
func (r *runner) sweep(ctx context.Context, rep *Report, engines []EngineSpec) (*Sweep, error) {
	sw := &Sweep{Steps: r.cfg.SweepSteps, Lanes: append([]uint64(nil), r.cfg.Sweep...), Reps: r.cfg.SweepReps, Warmup: r.cfg.Warmup}
	slices.Sort(sw.Lanes)
	sw.Lanes = slices.Compact(sw.Lanes)
	for _, e := range engines {
		sw.Series = append(sw.Series, SweepSeries{Engine: e.Name})
	}
	r.inFlight = func(c *Report) { c.Sweep = r.partialSweep(cloneSweep(sw)) }
	defer func() { r.inFlight = nil }()
	// Sizes outermost, so a mismatch at a small size is found quickly.
	for _, n := range sw.Lanes {
		w := Workload{n, r.cfg.SweepSteps}
		for i, e := range engines {
			if r.failed[e.Name] {
				continue
			}
			// Kept (in sw, which inFlight reads) before the engine's
			// release, as workloads keeps its measurements.
			_, err := r.measure(ctx, e, 0, w, r.cfg.SweepReps, r.cfg.Warmup, func(m Measurement) {
				sw.Series[i].Points = append(sw.Series[i].Points, SweepPoint{Lanes: n, Wall: m.Wall, NsPerLaneStep: m.NsPerLaneStep})
			})
			if err != nil {
				if err := r.fail(ctx, rep, err); err != nil {
					return sw, err // the sizes measured, for partialSweep
				}
				continue
			}
		}
	}
	sw.Series = slices.DeleteFunc(sw.Series, func(s SweepSeries) bool { return r.failed[s.Engine] })
	return sw, nil
}

// PredictP is Amdahl's parallel fraction from a serial time measured
// directly: the time outside the parallel part, serial, of a one-worker run
// taking t1 is the fraction 1-P, so P = 1 - serial/t1, held to [0, 1]; 0
// when t1 is not positive: the split behind Amdahl's law (see Amdahl),
// T(1) = serial + parallel and P = parallel/T(1).
func PredictP(serial, t1 time.Duration) float64 {
	if t1 <= 0 {
		return 0
	}
	return min(max(1-float64(serial)/float64(t1), 0), 1)
}

// FindCrossover finds where p.Challenger becomes and stays faster than
// p.Base in sw: between the last size where it is not faster and the next,
// interpolating log(time ratio) linearly in log(lanes).
func FindCrossover(sw *Sweep, p Pair) (Crossover, error) {
	c := Crossover{Pair: p}
	base, chal := sw.series(p.Base), sw.series(p.Challenger)
	if base == nil || chal == nil || len(base.Points) != len(chal.Points) {
		return c, fmt.Errorf("bench: crossover %s vs %s: both must be in the sweep", p.Challenger, p.Base)
	}
	n := len(base.Points)
	logRatio := make([]float64, n)
	for i := range n {
		// A 1 ns floor keeps the ratio finite for runs under the clock's resolution.
		logRatio[i] = math.Log(float64(max(chal.Points[i].Wall.Median, 1)) / float64(max(base.Points[i].Wall.Median, 1)))
	}
	k := n // first index from which the challenger is faster at every size
	for k > 0 && logRatio[k-1] < 0 {
		k--
	}
	for i := range k {
		if logRatio[i] < 0 {
			c.FasterBelow = append(c.FasterBelow, base.Points[i].Lanes)
		}
	}
	switch {
	case n == 0 || k == n:
		c.Status = CrossoverNone
	case k == 0:
		c.Status = CrossoverAlways
	default:
		x0, x1 := math.Log(float64(base.Points[k-1].Lanes)), math.Log(float64(base.Points[k].Lanes))
		y0, y1 := logRatio[k-1], logRatio[k] // y0 >= 0 > y1
		f := y0 / (y0 - y1)
		c.Status = CrossoverFound
		c.Lanes = math.Exp(x0 + f*(x1-x0))
	}
	return c, nil
}

func (sw *Sweep) series(name string) *SweepSeries {
	for i := range sw.Series {
		if sw.Series[i].Engine == name {
			return &sw.Series[i]
		}
	}
	return nil
}

// startsNoun is n of what engine name starts for its workers: processes
// for the processes engine (its fit note said "1 goroutine"), goroutines
// for the others.
func startsNoun(name string, n int) string {
	if name == ProcessesEngine {
		return strings.TrimSuffix(count.Noun(n, "processe"), "e")
	}
	return count.Noun(n, "goroutine")
}
