package bench

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
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
	times := map[string]time.Duration{}
	// scaled are the versions timed on a sample of the lanes (or of the
	// steps, a time budget spent), whose times are extrapolated: each row
	// says so (only the table's note did).
	scaled := map[string]string{}
	var skipped []string
	for _, p := range r.Python.Results {
		switch {
		case p.Workload != w:
		case p.Skipped != "":
			skipped = append(skipped, "python/"+p.Method)
		default:
			times["python/"+p.Method] = time.Duration(p.WorkloadSeconds * 1e9)
			if p.Scaled {
				scaled["python/"+p.Method] = FormatCount(p.SampleLanes) + " lanes"
				if st := p.stepsRun(); st != "" {
					scaled["python/"+p.Method] += " of" + strings.TrimPrefix(st, " x") + " steps"
				}
			}
		}
	}
	for _, m := range wr.Engines {
		times[m.Engine] = m.Wall.Median
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
			row := []string{k.kind, version, fmtDur(d), fmtG(float64(d.Nanoseconds()) / w.LaneSteps())}
			for _, ref := range refs {
				row = append(row, fmtX(ratio(times[ref], d)))
			}
			t.rows = append(t.rows, row)
		}
	}
	if len(skipped) > 0 {
		// Named, so that the table does not answer without them unsaid.
		t.notes = append(t.notes, fmt.Sprintf("not run here: %s (skipped; the Python baseline table says why)", strings.Join(skipped, ", ")))
	}
	vsNote := ""
	if len(refs) > 0 {
		vsNote = "; \"vs\" columns are speedups (above 1x: faster)"
	}
	t.notes = append(t.notes, fmt.Sprintf("%s; every version computes the same model; gpusim's engines give one digest, the Python versions are checked against the exact law (Python baseline table); versions run on a sample of the lanes are scaled up to the workload%s", w, vsNote))
	return t
}

// sortedNames are m's keys in order, so opencl:0 comes before opencl:1.
func sortedNames(m map[string]time.Duration) []string {
	return slices.Sorted(maps.Keys(m))
}
