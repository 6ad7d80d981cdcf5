package bench

import (
	"bytes"
	"strings"
	"testing"
)

// serialSIMD is sampleReport as a run of --engines serial,simd
// --baseline none --no-sweep gives it: serial and simd on the workloads,
// simd alone scaled, no Python.
func serialSIMD() *Report {
	r := sampleReport()
	for i := range r.Workloads {
		wr := &r.Workloads[i]
		wr.Engines = wr.Engines[:1] // serial
		simd := wr.Engines[0]
		simd.Engine = "simd"
		wr.Engines = append(wr.Engines, simd)
	}
	r.Scaling = r.Scaling[1:] // simd
	r.Sweep, r.Crossovers, r.Python = nil, nil, nil
	return r
}

// TestHTMLMethodMeasuredOnly: the HTML page's method describes only what
// the run measured. It described the processes engine, the parallel
// engine, the Python versions and processes' part of the scaling overhead
// in a run of serial and simd with --baseline none.
func TestHTMLMethodMeasuredOnly(t *testing.T) {
	r := serialSIMD()
	method := strings.Join(r.htmlMethod(), "\n")
	for _, bad := range []string{"processes", "process", "Python", "parallel engine", "parallel and simd"} {
		if strings.Contains(method, bad) {
			t.Errorf("method of serial and simd speaks of %q:\n%s", bad, method)
		}
	}
	for _, want := range []string{"Every engine runs the same workloads", "Scaling runs simd at each worker count", "simd starts at most one goroutine a block of lanes"} {
		if !strings.Contains(method, want) {
			t.Errorf("method lacks %q:\n%s", want, method)
		}
	}
	// Without scaling, no paragraph on it.
	r.Scaling = nil
	if method := strings.Join(r.htmlMethod(), "\n"); strings.Contains(method, "Scaling") || strings.Contains(method, "Amdahl") {
		t.Errorf("method without scaling speaks of it:\n%s", method)
	}
	// The page has no method paragraph that was not asked for.
	var b bytes.Buffer
	if err := serialSIMD().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); strings.Contains(s, "multi-processing") || strings.Contains(s, "Python versions") {
		t.Errorf("page of serial and simd describes processes or Python:\n%s", s)
	}
}

// TestHTMLMethodProcesses: with the processes engine measured, and scaled,
// the method describes it, and the parallel engine only where it ran.
func TestHTMLMethodProcesses(t *testing.T) {
	r := serialSIMD()
	r.Scaling[0].Engine = ProcessesEngine
	r.Workloads[0].Engines[1].Engine = ProcessesEngine
	method := strings.Join(r.htmlMethod(), "\n")
	for _, want := range []string{"Scaling runs processes at each worker count", "processes starts at most one process a lane",
		"for processes also starting the children", "The processes engine is multi-processing"} {
		if !strings.Contains(method, want) {
			t.Errorf("method lacks %q:\n%s", want, method)
		}
	}
	for _, bad := range []string{"goroutine", "parallel"} {
		if strings.Contains(method, bad) {
			t.Errorf("method of serial, simd and processes (processes scaled) speaks of %q:\n%s", bad, method)
		}
	}
}

// TestHTMLMethodPythonRan: the method's Python paragraph names the
// versions that ran, and none where every version was skipped.
func TestHTMLMethodPythonRan(t *testing.T) {
	r := sampleReport() // loop (scaled up) and vector ran
	r.Python.Results = append(r.Python.Results, PythonResult{Workload: r.Workloads[0].Workload, Method: "numba", Skipped: "numba not installed"})
	p := r.pythonMethod()
	for _, want := range []string{"the course's (a pure Python loop)", "what a user picks instead (a float32 NumPy vector)", "scaled up"} {
		if !strings.Contains(p, want) {
			t.Errorf("Python paragraph lacks %q: %s", want, p)
		}
	}
	for _, bad := range []string{"joblib", "Numba", "PyOpenCL", "matrix", "set-up"} {
		if strings.Contains(p, bad) {
			t.Errorf("Python paragraph speaks of %q, which did not run: %s", bad, p)
		}
	}
	for i := range r.Python.Results {
		r.Python.Results[i].Skipped = "numpy too old"
	}
	if p := r.pythonMethod(); p != "" {
		t.Errorf("every version skipped: %q, want no paragraph", p)
	}
}

// TestScalingNotesMeasuredOnly: the text and Markdown reports' scaling
// notes speak of the processes engine only where it scaled: they gave its
// start-up, merge and one lane per process beside simd alone.
func TestScalingNotesMeasuredOnly(t *testing.T) {
	r := serialSIMD()
	for name, write := range map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { return r.WriteText(b) },
		"markdown": func(b *bytes.Buffer) error { return r.WriteMarkdown(b) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		if s := b.String(); strings.Contains(s, "process") || !strings.Contains(s, "one block of lanes each") {
			t.Errorf("%s report of serial and simd:\n%s", name, s)
		}
	}
	r.Scaling[0].Engine = ProcessesEngine
	notes := strings.Join(r.scalingNotes(), "\n")
	for _, want := range []string{"one process a lane", "for processes also start-up and merge", "the processes that ran on one lane each"} {
		if !strings.Contains(notes, want) {
			t.Errorf("processes alone scaled: notes lack %q:\n%s", want, notes)
		}
	}
	if strings.Contains(notes, "goroutine") || strings.Contains(notes, "block") {
		t.Errorf("processes alone scaled: notes speak of goroutines:\n%s", notes)
	}
}
