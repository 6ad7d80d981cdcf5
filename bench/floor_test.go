package bench

import (
	"math"
	"runtime"
	"testing"
)

// The ceilings engines.MinTime takes (engines/ceiling.go): lane-steps per
// second of the serial engine, of a core, of a device.
const serialRate, coreRate, deviceRate = 2e8, 2e9, 2e12

// near is a within float64 rounding of b.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Abs(b) }

// TestMinTimePhases: every engine on every workload, warm-ups included;
// the engines that scale at each worker count on the scaling workload;
// every engine at each sweep size once (a size given twice is measured
// once); each at its ceiling: serial's, a core's on GOMAXPROCS cores (or
// the scaling table's workers), one device's.
func TestMinTimePhases(t *testing.T) {
	cores := float64(runtime.GOMAXPROCS(0))
	maxCores := float64(min(runtime.GOMAXPROCS(0), runtime.NumCPU()))
	c := Default()
	c.Workloads = []Workload{{1e6, 10}, {2e6, 100}}
	c.Reps, c.Warmup = 4, 1
	c.Workers = []int{2, 4}
	c.Sweep, c.SweepSteps, c.SweepReps = []uint64{1e4, 1e3, 1e4}, 20, 2
	c.Python = false
	specs := []EngineSpec{{Name: "serial", Entry: "serial"}, {Name: "simd", Entry: "simd", Scales: true}, {Name: "opencl:0", Entry: "opencl", Device: true}}
	got := c.MinTime(specs, 0)
	if len(got) != 3 {
		t.Fatalf("%d phases, want the workloads, the scaling table and the sweep: %+v", len(got), got)
	}
	perEngine := 1/serialRate + 1/(coreRate*cores) + 1/deviceRate
	work := 5 * (1e7 + 2e8)
	want := []Phase{
		{"the workloads", 3 * work, work * perEngine},
		// simd alone, at 1 (always measured), 2 and 4 workers, on 1e6 x 10:
		// at most the cores there are (engines.MinTime).
		{"the scaling table", 3 * 5 * 1e7, 5 * 1e7 * (1 + 1/min(2, maxCores) + 1/min(4, maxCores)) / coreRate},
		// 1e3 and 1e4 lanes x 20 steps, 1 warm-up and 2 timed runs.
		{"the sweep", 3 * 3 * 20 * 11e3, 3 * 20 * 11e3 * perEngine},
	}
	for i, w := range want {
		if g := got[i]; g.Name != w.Name || !near(g.LaneSteps, w.LaneSteps) || !near(g.Seconds, w.Seconds) {
			t.Errorf("phase %d: got %+v, want %+v", i, g, w)
		}
	}
	c.Scaling, c.Sweep = false, nil
	if got := c.MinTime(specs, 0); len(got) != 1 {
		t.Errorf("without the scaling table and the sweep: %+v, want the workloads alone", got)
	}
}

// TestMinTimePython: the baseline counts its pure Python loop (a budget's
// sample of lanes, at serial's ceiling) and its NumPy matrix and vector on
// one core, as far as the versions run in order are sure to run: one that
// may not fit in memory, or PyOpenCL, ends the count, since a version that
// fails may end the script (killed for memory).
func TestMinTimePython(t *testing.T) {
	c := Default()
	c.Workloads = []Workload{{1e9, 100}, {2e9, 100}}
	c.PythonReps, c.PythonLoopBudget, c.PythonMatrixBytes = 3, 1e6, 8e6
	c.PythonBudget = 0 // the vector's time unbounded: TestMinTimePythonBudget bounds it
	const lots = 1 << 50
	loop := 3 * 1e4 * 100.0 // 1e6 lane-steps' lanes
	matrix := 3 * 1e4 * 100.0
	vector := 3 * 1e9 * 100.0
	for _, tc := range []struct {
		name      string
		only      string
		memory    uint64
		laneSteps float64
		seconds   float64
	}{
		// Every version: PyOpenCL ends the count after the first workload.
		{"every version", "", lots, loop + matrix + vector, loop/serialRate + (matrix+vector)/coreRate},
		// No memory known: the matrix may not fit.
		{"memory not known", "", 0, loop, loop / serialRate},
		// The vector's 8 GB do not fit in 4: joblib-chunk may fail first.
		{"the vector does not fit", "", 4e9, loop, loop / serialRate},
		{"the vector alone", "vector", lots, 3 * vector, 3 * vector / coreRate},
		{"the second workload's vector does not fit", "vector", 10e9, vector, vector / coreRate},
	} {
		c.PythonOnly = tc.only
		phases := c.MinTime(nil, tc.memory)
		p := phases[len(phases)-1]
		if p.Name != PythonPhase || !near(p.LaneSteps, tc.laneSteps) || !near(p.Seconds, tc.seconds) {
			t.Errorf("%s: got %+v, want %g lane-steps in %g s", tc.name, p, tc.laneSteps, tc.seconds)
		}
	}
	// One lane's row of 2^32 steps (2^31-1 where int has 32 bits) is 34
	// GB, over the matrix's cap: it is skipped, and the vector after it
	// still runs (the matrix was counted on one lane, which the script then
	// could not allocate).
	const steps = min(1<<32, math.MaxInt)
	c.Workloads, c.PythonOnly, c.PythonMatrixBytes = []Workload{{1000, steps}}, "matrix,vector", 512<<20
	ph := c.MinTime(nil, lots)
	if p := ph[len(ph)-1]; !near(p.LaneSteps, 3*1000*float64(steps)) {
		t.Errorf("the matrix over its cap: got %+v, want the vector's %g lane-steps", p, 3*1000*float64(steps))
	}
	c.Python = false
	if phases := c.MinTime(nil, lots); phases[len(phases)-1].Name == PythonPhase {
		t.Errorf("without the baseline: %+v", phases)
	}
}

// TestMinTimePythonBudget: the vector version is bounded by PythonBudget,
// all its repetitions together, and where its floor is over it the plan
// check counts its pilots alone, a twentieth of a repetition's share: a
// workload of 2^22 steps was counted at its whole floor (here 6291 s on a
// million lanes) and refused for time, where the script runs a minute.
func TestMinTimePythonBudget(t *testing.T) {
	const lots = 1 << 50
	c := Default()
	c.Workloads, c.PythonOnly, c.PythonReps = []Workload{{1e6, 1 << 22}, {1e3, 100}}, "vector", 3
	pilots := PythonVersionBudget.Seconds() / 3 / 20
	small := 3 * 1e3 * 100.0 // well under the budget: counted whole
	p := c.MinTime(nil, lots)[len(c.MinTime(nil, lots))-1]
	if want := pilots + small/coreRate; p.Name != PythonPhase || !near(p.Seconds, want) {
		t.Errorf("got %+v, want %g s: the pilots and the small workload's floor", p, want)
	}
	if want := pilots*coreRate + small; !near(p.LaneSteps, want) {
		t.Errorf("got %g lane-steps, want %g: the pilots' at the ceiling", p.LaneSteps, want)
	}
}

// TestMinTimePythonLoopSteps: the loop's budget of lane-steps bounds its
// steps too, where one lane has more (the script runs one lane of the
// budget's steps, scaled up): one lane of 2^32 steps was counted, hours
// of Python the script then ran.
func TestMinTimePythonLoopSteps(t *testing.T) {
	c := Default()
	c.Workloads, c.PythonOnly, c.PythonReps, c.PythonLoopBudget = []Workload{{1000, min(1<<32, math.MaxInt)}}, "loop", 3, 1e6
	ph := c.MinTime(nil, 1<<50)
	if p := ph[len(ph)-1]; !near(p.LaneSteps, 3e6) || !near(p.Seconds, 3e6/serialRate) {
		t.Errorf("got %+v, want one lane of the budget's 1e6 steps, 3 times", p)
	}
}
