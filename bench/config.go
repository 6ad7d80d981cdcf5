package bench

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/gpusim/gpusim/sim"
)

// Workload is a job size: lanes of steps each.
type Workload struct {
	Lanes uint64 `json:"lanes"` // lanes of the job (sim.Params.Lanes)
	Steps int    `json:"steps"` // steps each lane takes
}

// LaneSteps is the workload's lane-steps, Lanes x Steps: the lane updates
// it makes.
func (w Workload) LaneSteps() float64 { return float64(w.Lanes) * float64(w.Steps) }

// String writes the workload as the course does: "5M x 10".
func (w Workload) String() string { return FormatCount(w.Lanes) + " x " + strconv.Itoa(w.Steps) }

// FormatCount writes n with a k/M/G suffix when that is exact, else in full.
func FormatCount(n uint64) string {
	for _, u := range []struct {
		div uint64
		suf string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if n >= u.div && n%u.div == 0 {
			return strconv.FormatUint(n/u.div, 10) + u.suf
		}
	}
	return strconv.FormatUint(n, 10)
}

// Pair asks where Challenger starts beating Base in the size sweep.
type Pair struct {
	Base       string `json:"base"`       // a spec's name (EngineSpec.Name)
	Challenger string `json:"challenger"` // another spec's name
}

// Config is what a benchmark measures.
type Config struct {
	// Mode names the configuration in the report ("default", "quick").
	Mode string
	// Params is the model; each workload replaces its Lanes and Steps.
	Params sim.Params
	// Workloads are run on every engine.
	Workloads []Workload
	// Reps timed runs follow Warmup untimed ones for each measurement.
	Reps, Warmup int
	// Began, where not zero, is when the benchmark began, before its
	// engines were listed: the report's Started, so that its Elapsed
	// (the "took" of the text's Run line) counts the OpenCL driver's load
	// and its devices' listing, which a device's cold figure counts; zero
	// for Run's own start.
	Began time.Time

	// Scaling runs the engines that scale at each of Workers (1..NumCPU when
	// nil; 1 is always added) on ScalingWorkload (Workloads[0] when zero)
	// and fits Amdahl's law to the speedups over one worker.
	Scaling         bool
	Workers         []int    // worker counts; see WorkerList
	ScalingWorkload Workload // the scaling table's workload

	// Sweep lists lane counts to run every engine at, with SweepSteps steps
	// and SweepReps timed runs each; no sweep when empty.
	Sweep      []uint64 // lane counts, ascending
	SweepSteps int      // steps of every sweep run
	SweepReps  int      // timed runs at each size, after Warmup
	// Crossovers are the pairs looked for in the sweep; DefaultPairs when nil.
	Crossovers []Pair

	// Python runs the NumPy baseline on each workload with PythonPath (the
	// first of python3 and /usr/bin/python3 where numpy imports when empty).
	Python     bool
	PythonPath string // the interpreter's path, or "" to find one
	// PythonLoopBudget caps the lane-steps of the pure Python loop, which
	// runs on a sample of lanes scaled up; PythonMatrixBytes caps the course's
	// (lanes, steps) float64 matrix likewise. PythonVectorLanes, when not 0,
	// caps the lanes of the float32 vector loop.
	PythonLoopBudget  uint64 // lane-steps
	PythonMatrixBytes uint64 // bytes
	PythonVectorLanes uint64 // lanes
	PythonReps        int    // timed runs of each version; a result is their median
	// PythonJoblibBudget caps the lane-steps of joblib one task per lane (the
	// course's joblib version), run on a sample scaled up; PythonToolLanes,
	// when not 0, caps the lanes of joblib-chunk, Numba and PyOpenCL.
	PythonJoblibBudget uint64 // lane-steps
	PythonToolLanes    uint64 // lanes
	// PythonBudget, when not 0, bounds the time of each version that runs
	// on every lane (vector, joblib-chunk, numba, pyopencl) and of the
	// matrix (a Python step per column), all its
	// repetitions together: one that would take longer, by untimed pilot
	// runs on a few steps, is timed on the steps that fit, and its time
	// is scaled up from them (PythonResult.SampleSteps), as the loop's is
	// from its lanes. 2^22 steps of PyOpenCL took minutes on any lanes.
	PythonBudget time.Duration
	// PythonOnly, when not empty, is the script's --only list of versions.
	PythonOnly string
	// PythonMemory, when not 0, is the memory in bytes the baseline's
	// arrays may take: a version whose arrays take more is skipped with a
	// note, not run into an out-of-memory kill that loses every version.
	PythonMemory uint64
	// OpenCLDevice names the OpenCL device PyOpenCL runs on (the first whose
	// name contains it; the first device when empty or none matches).
	OpenCLDevice string

	// Devices lists the OpenCL devices for the machine description.
	Devices func() ([]string, error)
	// Progress, when set, gets a line per measurement as the run goes.
	Progress io.Writer
	// Notes, when set, gets the engines' notes (a device's program
	// compiling, and why every start compiles it) where Progress is nil,
	// as "gpusim: note: ENGINE: ...": bench -q silences the progress,
	// not the notes, as run -q does (the notes went with the progress).
	Notes io.Writer
	// WordHint, when set, words an engine's hint (engines.Hint, which
	// names gpusim run's flags) for the command that runs the benchmark:
	// the CLI's names bench's (cl.ForCommand). nil leaves it as it is.
	WordHint func(hint string) string
	// Snapshot, when set, gives the partial report of a benchmark a stop
	// cut while Run has not returned (an engine that ignores the stop).
	Snapshot *Snapshot
	// CrashReport, when set, is given the partial report a crash of
	// CrashOf ("the OpenCL driver") would leave, which a process that
	// crashes cannot make then: before each measurement's engine starts
	// (outside its timed runs), the report of the rows that have finished
	// (Interrupted set, its Crash CrashOf), or nil where none has, and
	// after an Engines row's or a sweep point's timed runs, before its
	// engine's release, the report with it (Interrupted.Releasing); it is
	// called from Run's goroutine and keeps the report. Run returns the
	// report as before, which the caller hands on (a crash after the
	// last measurement). The cost is a copy of the report (its JSON) and
	// what CrashReport does with it, once or twice a measurement.
	CrashReport func(partial *Report)
	CrashOf     string

	// pythonLive, where set (runner.python, for Snapshot), is given the
	// running Python baseline's versions that have ended (runScript).
	pythonLive *pythonLive
}

// PythonVersionBudget is Default's PythonBudget: a version that would
// take longer is a minute of sampling, as the loop's budget of a million
// lane-steps is about seconds.
const PythonVersionBudget = 60 * time.Second

// DefaultWorkloads are the course's two experiments.
var DefaultWorkloads = []Workload{{5_000_000, 10}, {5_000_000, 100}}

// DefaultSweep is 10^3 to 10^8 lanes, a point per half decade.
var DefaultSweep = []uint64{1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7, 3e7, 1e8}

// Default is the full benchmark: the course's workloads, 5 runs each after a
// warm-up, scaling on every core count, the 10^3..10^8 sweep and the Python
// baseline.
func Default() Config {
	return Config{
		Mode:              "default",
		Params:            sim.Default(),
		Workloads:         append([]Workload(nil), DefaultWorkloads...),
		Reps:              5,
		Warmup:            1,
		Scaling:           true,
		Sweep:             append([]uint64(nil), DefaultSweep...),
		SweepSteps:        10,
		SweepReps:         3,
		Python:            true,
		PythonLoopBudget:  1_000_000,
		PythonMatrixBytes: 512 << 20,
		PythonReps:        3,
		// 200k lane-steps of joblib at one task per lane take about a minute.
		PythonJoblibBudget: 200_000,
		PythonBudget:       PythonVersionBudget,
	}
}

// Quick is a benchmark that finishes in well under a minute on two cores:
// the course's workloads at a tenth of the lanes, 3 runs each, a sweep of
// 10^3..10^6 lanes and a small Python baseline.
func Quick() Config {
	c := Default()
	c.Mode = "quick"
	c.Workloads = []Workload{{500_000, 10}, {500_000, 100}}
	c.Reps = 3
	c.Sweep = []uint64{1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6}
	c.SweepReps = 3
	c.PythonLoopBudget = 100_000
	c.PythonMatrixBytes = 64 << 20
	c.PythonReps = 1
	c.PythonJoblibBudget = 5_000
	c.PythonToolLanes = 100_000
	return c
}

// Validate checks the configuration, naming the bench flag at fault.
func (c *Config) Validate() error {
	if len(c.Workloads) == 0 {
		return &sim.ParamError{Flag: "lanes", Msg: "no workloads to run (give at least one lane count and step count)"}
	}
	for _, w := range c.Workloads {
		if err := c.checkWorkload(w); err != nil {
			return err
		}
	}
	if c.Reps < 1 || c.Reps > 1000 {
		return &sim.ParamError{Flag: "reps", Msg: fmt.Sprintf("%d is out of range (valid range 1..1000)", c.Reps)}
	}
	if c.Warmup < 0 || c.Warmup > 1000 {
		return &sim.ParamError{Flag: "warmup", Msg: fmt.Sprintf("%d is out of range (valid range 0..1000)", c.Warmup)}
	}
	for _, n := range c.Workers {
		if n < 1 || n > 1<<16 {
			return &sim.ParamError{Flag: "workers", Msg: fmt.Sprintf("%d is out of range (valid range 1..65536)", n)}
		}
	}
	if c.Scaling && c.ScalingWorkload != (Workload{}) {
		if err := c.checkWorkload(c.ScalingWorkload); err != nil {
			return err
		}
	}
	if len(c.Sweep) > 0 {
		if c.SweepSteps < 1 {
			return &sim.ParamError{Flag: "sweep-steps", Msg: fmt.Sprintf("%d is out of range (valid range 1..%d)", c.SweepSteps, sim.MaxSteps)}
		}
		if c.SweepReps < 1 || c.SweepReps > 1000 {
			return &sim.ParamError{Flag: "sweep-reps", Msg: fmt.Sprintf("%d is out of range (valid range 1..1000)", c.SweepReps)}
		}
		for _, n := range c.Sweep {
			if err := c.checkWorkload(Workload{n, c.SweepSteps}); err != nil {
				if pe, ok := err.(*sim.ParamError); ok && pe.Flag == "lanes" {
					pe.Flag = "sweep"
				}
				return err
			}
		}
	}
	if c.Python && c.PythonReps < 1 {
		return &sim.ParamError{Flag: "python-reps", Msg: fmt.Sprintf("%d is out of range (valid range 1..1000)", c.PythonReps)}
	}
	return nil
}

func (c *Config) checkWorkload(w Workload) error {
	if w.Steps < 1 {
		return &sim.ParamError{Flag: "steps", Msg: fmt.Sprintf("%d is out of range for a benchmark (valid range 1..%d)", w.Steps, sim.MaxSteps)}
	}
	return c.params(w).Validate()
}

// params is the model with w's size.
func (c *Config) params(w Workload) sim.Params {
	p := c.Params
	p.Lanes, p.Steps = w.Lanes, w.Steps
	return p
}

// WorkerList is the worker counts the scaling table measures: Workers, or 1
// to the number of CPUs when it is empty, sorted, each once, with 1 first.
func (c *Config) WorkerList() []int { return c.workers() }

// workers is the scaling worker list: sorted, unique, with 1 first.
func (c *Config) workers() []int {
	ws := c.Workers
	if len(ws) == 0 {
		for n := 1; n <= runtime.NumCPU(); n++ {
			ws = append(ws, n)
		}
	}
	seen := map[int]bool{1: true}
	out := []int{1}
	for _, n := range ws {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// Cross returns every combination of lanes and steps, lanes outermost: the
// workloads for lists given on the command line.
func Cross(lanes []uint64, steps []int) []Workload {
	var ws []Workload
	for _, l := range lanes {
		for _, s := range steps {
			// A count given twice is measured once, as a repeated
			// --engines, --workers or --sweep entry is.
			if w := (Workload{l, s}); !slices.Contains(ws, w) {
				ws = append(ws, w)
			}
		}
	}
	return ws
}
