package bench

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// courseTitle is the title of the table that answers the course's question.
const courseTitle = "What does each kind of parallelism buy?"

// courseKinds names the parallelism in each version, in the course's order:
// the Python versions first, then gpusim's engines.
var courseKinds = []struct{ version, kind string }{
	{"python/loop", "none: interpreted loop"},
	{"python/joblib-lane", "processes, one task per lane (the course's joblib)"},
	{"python/joblib-chunk", "processes, one NumPy chunk per core (joblib)"},
	{"python/matrix", "vector instructions in NumPy (the course's matrix)"},
	{"python/vector", "vector instructions in NumPy, float32 in place"},
	{"python/numba", "threads, compiled (Numba prange)"},
	{"python/pyopencl", "OpenCL device (PyOpenCL)"},
	{"serial", "none: compiled loop (gpusim)"},
	{"parallel", "threads (goroutines)"},
	{ProcessesEngine, "processes, one shard each, merged"},
	{"simd", "vector instructions and threads"},
	{"opencl", "OpenCL device"},
}

// courseTable is every version on the workload with the most lane-steps,
// each with the kind of parallelism it uses and its speed against the pure
// Python loop and gpusim's serial engine; nil without a Python result.
func (r *Report) courseTable() *table {
	if r.Python == nil || len(r.Python.Results) == 0 || len(r.Workloads) == 0 {
		return nil
	}
	wr := r.Workloads[0]
	for _, x := range r.Workloads[1:] {
		if x.Workload.LaneSteps() > wr.Workload.LaneSteps() {
			wr = x
		}
	}
	w := wr.Workload
	// Seconds, not a time.Duration: a Python version scaled up to the
	// workload may take longer than one holds (292 years), and one of
	// 1e10 s read 0 s and -9.22e+14 ns per lane-step.
	times := map[string]float64{}
	// scaled are the versions timed on a sample of the lanes (or of the
	// steps, a time budget spent), whose times are extrapolated: each row
	// says so (only the table's note did).
	scaled := map[string]string{}
	// skipped and failed are the versions that did not run, apart: a
	// version that failed (a limit, the script's death) read "skipped".
	var skipped, failed []string
	for _, p := range r.Python.Results {
		switch {
		case p.Workload != w:
		case p.Skipped != "" && p.Failed:
			failed = append(failed, "python/"+p.Method)
		case p.Skipped != "":
			skipped = append(skipped, "python/"+p.Method)
		default:
			times["python/"+p.Method] = p.WorkloadSeconds
			if p.Scaled {
				scaled["python/"+p.Method] = FormatCount(p.SampleLanes) + " lanes"
				if st := p.stepsRun(); st != "" {
					scaled["python/"+p.Method] += " of" + strings.TrimPrefix(st, " x") + " steps"
				}
			}
		}
	}
	for _, m := range wr.Engines {
		times[m.Engine] = m.Wall.Median.Seconds()
	}
	// A "vs" column only for a reference that ran: without serial among
	// the engines its column was there, empty on every row.
	var refs []string
	t := &table{title: courseTitle, left: 2, header: []string{"parallelism", "version", "time", "ns/lane-step"}}
	for _, ref := range []struct{ name, header string }{{"python/loop", "vs Python loop"}, {"serial", "vs gpusim serial"}} {
		if times[ref.name] > 0 {
			refs = append(refs, ref.name)
			t.header = append(t.header, ref.header)
		}
	}
	for _, k := range courseKinds {
		for _, name := range sortedNames(times) {
			if name != k.version && !strings.HasPrefix(name, k.version+":") {
				continue
			}
			d := times[name]
			version := name
			if n, ok := scaled[name]; ok {
				version = fmt.Sprintf("%s (scaled up from %s)", name, n)
			}
			row := []string{k.kind, version, fmtSec(d), fmtG(d * 1e9 / w.LaneSteps())}
			for _, ref := range refs {
				row = append(row, fmtX(times[ref]/d))
			}
			t.rows = append(t.rows, row)
		}
	}
	var groups []string
	for _, g := range []struct {
		names []string
		what  string
	}{{skipped, "skipped"}, {failed, "failed"}} {
		if len(g.names) > 0 {
			groups = append(groups, strings.Join(g.names, ", ")+" ("+g.what)
		}
	}
	if len(groups) > 0 {
		// Named, so that the table does not answer without them unsaid.
		t.notes = append(t.notes, fmt.Sprintf("not run here: %s; the Python baseline table says why)", strings.Join(groups, "), ")))
	}
	vsNote := ""
	if len(refs) > 0 {
		vsNote = "; \"vs\" columns are speedups (above 1x: faster)"
	}
	if cut := r.pythonCut(); cut != "" {
		t.notes = append(t.notes, cut)
	}
	t.notes = append(t.notes, fmt.Sprintf("%s; every version computes the same model; gpusim's engines give one digest, the Python versions are checked against the exact law (Python baseline table); versions run on a sample of the lanes are scaled up to the workload%s", w, vsNote))
	return t
}

// sortedNames are m's keys in order, so opencl:0 comes before opencl:1.
func sortedNames(m map[string]float64) []string {
	return slices.Sorted(maps.Keys(m))
}

// courseFigures are the wall times the course's page ("Parallel Computing",
// the reading the README's first paragraph quotes; its "Wall time" lines)
// gives for its own versions on its own machine: 8 cores, joblib's
// Parallel(n_jobs=10) timed whole, its workers' start included. They were
// not measured here; the Python baseline quotes them beside its own.
var courseFigures = []struct {
	method  string
	w       Workload
	seconds float64
	// steps is the steps the version computed where not the workload's:
	// the course's matrix fills columns 1 to 99, its column 0 the start.
	steps int
}{
	{"loop", Workload{5_000_000, 10}, 23.1, 0},
	{"joblib-lane", Workload{5_000_000, 10}, 10.8, 0},
	{"loop", Workload{5_000_000, 100}, 220, 0},
	{"joblib-lane", Workload{5_000_000, 100}, 32.7, 0},
	{"matrix", Workload{5_000_000, 100}, 15.3, 99},
}

// courseFiguresNote quotes courseFigures, each with its ns per lane-step
// (over the steps it computed) to set beside the baseline's column,
// labelled as the course's and not measured here.
func courseFiguresNote() string {
	var groups []string
	var last Workload
	for _, f := range courseFigures {
		steps, over := f.w.Steps, ""
		if f.steps > 0 {
			steps, over = f.steps, fmt.Sprintf(" over its %d steps", f.steps)
		}
		ns := fmtG(f.seconds * 1e9 / (float64(f.w.Lanes) * float64(steps)))
		part := fmt.Sprintf("%s %s s (%s ns/lane-step%s)", f.method, fmtG(f.seconds), ns, over)
		if f.w != last {
			groups = append(groups, f.w.String()+": "+part)
		} else {
			groups[len(groups)-1] += ", " + part
		}
		last = f.w
	}
	return "the course's own figures, on its machine (8 cores; its joblib on 10 processes, their start included), not measured here: " + strings.Join(groups, "; ")
}
