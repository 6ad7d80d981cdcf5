package bench

import (
	"slices"
	"strings"

	"github.com/gpusim/gpusim/engines"
)

// Phase is one part of a benchmark's planned work, with a floor on its
// time: what its runs would take even at the fastest each engine is
// expected to run (engines.MinTime's ceilings, faster than any measured).
type Phase struct {
	Name      string  // "the workloads", "the scaling table", "the sweep", "the Python baseline"
	LaneSteps float64 // every run's, warm-ups included
	Seconds   float64 // the floor on its time, seconds
}

// PythonPhase is the Python baseline's Phase name.
const PythonPhase = "the Python baseline"

// pythonVersions is the baseline script's versions in the order it runs
// them on each workload (VERSIONS in baseline.py).
var pythonVersions = "loop,joblib-lane,joblib-chunk,matrix,vector,numba,pyopencl"

// MinTime is a floor on the seconds the benchmark c describes takes with
// specs, by phase in the order they run: every spec on every workload
// (Warmup untimed and Reps timed runs each), the scaling table's engines at
// each worker count on its workload, every spec at every sweep size, and,
// when c.Python, the baseline's NumPy versions as far as they are sure to
// run (see pythonFloor; memory is the bytes available to them, 0 when not
// known). The scaling table's overhead runs, on a lane a worker, and the
// start-ups are left out: a floor. No engine is started and no device
// listed: a device spec whose device is not known is taken to be one GPU,
// and one that names its device, listed already, is counted by its kind
// (EngineSpec.MinTime: pocl's CPU device at 2e9 lane-steps/s a compute
// unit).
func (c *Config) MinTime(specs []EngineSpec, memory uint64) []Phase {
	rate := func(s EngineSpec, workers int, work float64) float64 {
		secs, _ := s.MinTime(workers, work)
		return secs
	}
	var phases []Phase
	runs := float64(c.Warmup + c.Reps)
	p := Phase{Name: "the workloads"}
	for _, w := range c.Workloads {
		for _, s := range specs {
			p.LaneSteps += runs * w.LaneSteps()
			p.Seconds += rate(s, 0, runs*w.LaneSteps())
		}
	}
	phases = append(phases, p)
	if c.Scaling && len(c.Workloads) > 0 {
		w := c.ScalingWorkload
		if w == (Workload{}) {
			w = c.Workloads[0]
		}
		p := Phase{Name: "the scaling table"}
		for _, s := range specs {
			if !s.Scales {
				continue
			}
			for _, n := range c.workers() {
				p.LaneSteps += runs * w.LaneSteps()
				p.Seconds += rate(s, n, runs*w.LaneSteps())
			}
		}
		phases = append(phases, p)
	}
	if len(c.Sweep) > 0 {
		sizes := slices.Compact(slices.Sorted(slices.Values(c.Sweep)))
		p := Phase{Name: "the sweep"}
		for _, n := range sizes {
			work := float64(c.Warmup+c.SweepReps) * Workload{n, c.SweepSteps}.LaneSteps()
			for _, s := range specs {
				p.LaneSteps += work
				p.Seconds += rate(s, 0, work)
			}
		}
		phases = append(phases, p)
	}
	if c.Python {
		phases = append(phases, c.pythonFloor(memory))
	}
	return phases
}

// pythonFloor is the Python baseline's share of MinTime: the script runs
// the versions in order on each workload and ends at the first that fails,
// so a version counts only when none before it may fail. The pure Python
// loop (on a sample of --loop-budget lane-steps, one lane of that many
// steps where a lane has more) is taken at the serial
// engine's ceiling, the NumPy matrix and vector (one core) at a core's;
// joblib, Numba and PyOpenCL may be missing, and count nothing; nor does
// the matrix where one lane's row is over PythonMatrixBytes (skipped). A version
// whose arrays may not fit in memory (the vector's and joblib-chunk's 8
// bytes a lane, Numba's, the matrix's 8 bytes a lane-step) and PyOpenCL
// (on a device whose memory is not known) may fail, and end the count: the
// script skips a version whose allocation fails (MemoryError), but one the
// system grants and cannot back may have it killed. The matrix's and the
// vector's times are bounded by PythonBudget, as the script bounds them:
// where one's floor is over the budget, the script is sure only of its
// untimed pilots, at least a twentieth of a repetition's share
// (baseline.py's plan), and times the steps that fit; a floor of every
// step was a refusal of a baseline that runs a minute.
func (c *Config) pythonFloor(memory uint64) Phase {
	p := Phase{Name: PythonPhase}
	only := c.PythonOnly
	if only == "" {
		only = pythonVersions
	}
	loopBudget, matrixBytes := float64(c.PythonLoopBudget), float64(c.PythonMatrixBytes)
	if loopBudget == 0 {
		loopBudget = 1e6 // the script's defaults
	}
	if matrixBytes == 0 {
		matrixBytes = 512 << 20
	}
	reps := float64(max(c.PythonReps, 1))
	fits := func(bytes float64) bool { return bytes <= float64(memory) }
	// add counts lanes of steps steps of a version, bounded by the time
	// budget or not.
	add := func(entry string, lanes, steps float64, bounded bool) {
		work := reps * lanes * steps
		secs, _ := engines.MinTime(entry, engines.Options{Workers: 1}, work)
		if budget := c.PythonBudget.Seconds(); bounded && budget > 0 && secs > budget {
			pilots := budget / reps / 20
			work *= pilots / secs
			secs = pilots
		}
		p.LaneSteps += work
		p.Seconds += secs
	}
	for _, w := range c.Workloads {
		lanes, steps := float64(w.Lanes), float64(w.Steps)
		vector := lanes
		if c.PythonVectorLanes > 0 {
			vector = min(lanes, float64(c.PythonVectorLanes))
		}
		tool := lanes
		if c.PythonToolLanes > 0 {
			tool = min(lanes, float64(c.PythonToolLanes))
		}
		for v := range strings.SplitSeq(only, ",") {
			switch v {
			case "loop":
				// A budget below the steps runs one lane of as many steps.
				add("serial", min(lanes, max(1, float64(uint64(loopBudget/steps)))), min(steps, loopBudget), false)
			case "matrix":
				n := min(lanes, float64(uint64(matrixBytes/(8*steps))))
				if n == 0 {
					continue // not one lane under the cap: skipped
				}
				if !fits(8 * n * steps) {
					return p
				}
				add("python", n, steps, true)
			case "vector":
				if !fits(8 * vector) {
					return p
				}
				add("python", vector, steps, true)
			case "joblib-chunk", "numba":
				if !fits(8 * tool) {
					return p
				}
			case "pyopencl":
				return p
			}
		}
	}
	return p
}
