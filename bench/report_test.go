package bench

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/report"
	"github.com/gpusim/gpusim/sim"
)

// sampleReport is a fixed report with every section, an OpenCL engine with
// device timings, an unbounded fit and a skipped-free Python baseline.
func sampleReport() *Report {
	w10, w100 := Workload{5_000_000, 10}, Workload{5_000_000, 100}
	m := func(w Workload, name string, med time.Duration, speedup float64) Measurement {
		ns, per := rates(med, w)
		return Measurement{Engine: name, Device: name + " device", Workload: w, Wall: Stats{N: 5, Median: med, Min: med - time.Millisecond, Max: med + time.Millisecond},
			Cold: med * 2, NsPerLaneStep: ns, LaneStepsPerS: per, Speedup: speedup, Digest: 0x0123456789abcdef}
	}
	cl := m(w10, "opencl:0", 100*time.Millisecond, 10)
	cl.Compile, cl.Transfer, cl.Kernel = 50*time.Millisecond, 20*time.Millisecond, 30*time.Millisecond
	p := sim.Default()
	p.Lanes, p.Steps = 0, 0
	return &Report{
		Mode: "default", Started: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Elapsed: 12.5,
		Machine: Machine{CPU: "Test CPU | 9000", Cores: 2, GOMAXPROCS: 2, SIMD: []string{"sse2", "avx2"}, DevicesNote: "not queried", Go: "go1.26", OS: "linux", Arch: "amd64"},
		Params:  ModelOf(p), Reps: 5, Warmup: 1, Baseline: "serial",
		Workloads: []WorkloadResult{
			{Workload: w10, Digest: 0x0123456789abcdef, Engines: []Measurement{m(w10, "serial", time.Second, 1), m(w10, "parallel", 500*time.Millisecond, 2), cl}},
			{Workload: w100, Digest: 0x0123456789abcdef, Engines: []Measurement{m(w100, "serial", 10*time.Second, 1), m(w100, "parallel", 5*time.Second, 2), m(w100, "opencl:0", time.Second, 10)}},
		},
		Scaling: []Scaling{
			{Engine: "parallel", Workload: w10, Points: []ScalingPoint{
				{Workers: 1, Wall: Stats{N: 5, Median: time.Second}, Speedup: 1, Efficiency: 1},
				{Workers: 2, Wall: Stats{N: 5, Median: 550 * time.Millisecond}, Speedup: 1.818, Efficiency: 0.909},
			}, Fit: &AmdahlFit{P: 0.9, Limit: 10, RMS: 0, Points: 2}},
			{Engine: "simd", Workload: w10, Points: []ScalingPoint{{Workers: 1, Speedup: 1, Efficiency: 1}, {Workers: 2, Speedup: 2, Efficiency: 1}},
				Fit: &AmdahlFit{P: 1, Limit: math.Inf(1), Points: 2}},
		},
		Sweep: &Sweep{Steps: 10, Lanes: []uint64{1000, 1_000_000}, Series: []SweepSeries{
			{Engine: "serial", Points: []SweepPoint{{Lanes: 1000, Wall: Stats{N: 3, Median: 200 * time.Microsecond}, NsPerLaneStep: 20}, {Lanes: 1_000_000, Wall: Stats{N: 3, Median: 200 * time.Millisecond}, NsPerLaneStep: 20}}},
			{Engine: "opencl:0", Points: []SweepPoint{{Lanes: 1000, Wall: Stats{N: 3, Median: 50 * time.Millisecond}, NsPerLaneStep: 5000}, {Lanes: 1_000_000, Wall: Stats{N: 3, Median: 60 * time.Millisecond}, NsPerLaneStep: 6}}},
		}},
		Crossovers: []Crossover{{Pair: Pair{"serial", "opencl:0"}, Status: CrossoverFound, Lanes: 300_000}, {Pair: Pair{"serial", "parallel"}, Status: CrossoverNone}},
		Python: &PythonReport{Interpreter: "/usr/bin/python3", Python: "3.11.2", NumPy: "1.24.2", Results: []PythonResult{
			{Workload: w10, Method: "loop", SampleLanes: 100_000, Seconds: 1, NsPerLaneStep: 1000, WorkloadSeconds: 50, Scaled: true},
			{Workload: w10, Method: "vector", SampleLanes: 5_000_000, Seconds: 0.5, NsPerLaneStep: 10, WorkloadSeconds: 0.5},
		}},
		Notes: []string{"machine shared with other jobs"},
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	r := sampleReport()
	r.Elapsed = 0.054 // read "took 0.0 s"
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if testing.Verbose() {
		t.Log("\n" + out)
	}
	for _, s := range []string{
		"Test CPU | 9000", "SIMD: sse2 avx2", "Engines", "WORKLOAD", "SPEEDUP", "COMPILE", "TRANSFER", "KERNEL",
		"5M x 10", "5M x 100", "opencl:0", "50 ms", "0123456789abcdef", "Scaling", "Amdahl fit P = 0.9000, limit 1/(1-P) = 10x",
		"limit 1/(1-P) = unbounded", "Size sweep", "opencl:0 beats serial from about 300k lanes", "parallel vs serial: no crossover in range",
		"Python baseline", "100k (scaled up)", "50x", "note: machine shared", "took 54 ms",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("text report lacks %q", s)
		}
	}
	// Every row of the engine table has the header's column count.
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "WORKLOAD ") {
			cols := len(strings.Fields(lines[i]))
			if cols != 14 {
				t.Errorf("engine header has %d columns: %q", cols, l)
			}
			break
		}
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, s := range []string{"### Engines", "### Scaling", "### Size sweep", "### Python baseline", `Test CPU \| 9000`} {
		if !strings.Contains(out, s) {
			t.Errorf("markdown lacks %q", s)
		}
	}
	// Each table's rows have as many cells as its header, and the separator
	// row follows the header.
	var cols int
	prevTable := false
	for _, l := range strings.Split(out, "\n") {
		isTable := strings.HasPrefix(l, "| ")
		if isTable {
			n := len(strings.Split(strings.ReplaceAll(l, `\|`, ""), "|")) - 2
			if !prevTable {
				cols = n
			} else if n != cols {
				t.Errorf("row with %d cells in a table of %d: %q", n, cols, l)
			}
		}
		prevTable = isTable
	}
	if !strings.Contains(out, "| --- | --- | --- | ---: |") {
		t.Errorf("no alignment row in\n%s", out)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	r := sampleReport()
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Workloads) != 2 || back.Workloads[0].Engines[2].Compile != 50*time.Millisecond ||
		back.Workloads[0].Digest != 0x0123456789abcdef || back.Scaling[0].Fit.P != 0.9 || !math.IsInf(back.Scaling[1].Fit.Limit, 1) ||
		back.Python.Results[0].SampleLanes != 100_000 || back.Sweep.Series[1].Points[1].NsPerLaneStep != 6 {
		t.Errorf("JSON round trip lost data:\n%s", b.String())
	}
	var raw map[string]any
	json.Unmarshal(b.Bytes(), &raw)
	for _, k := range []string{"machine", "workloads", "scaling", "sweep", "crossovers", "python", "params"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if !strings.Contains(b.String(), `"digest": "0123456789abcdef"`) {
		t.Error("digest is not written in hex")
	}
}

// TestWriteJSONNegativeZero: a float's -0 is -0.0 in bench's JSON, as in
// run's report (Python's json read -0 as the int 0), and reads back as -0.
func TestWriteJSONNegativeZero(t *testing.T) {
	r := sampleReport()
	r.Params.Start = math.Copysign(0, -1)
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"start": -0.0,`) {
		t.Errorf("params.start is not -0.0 in\n%s", b.String())
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Params.Start != 0 || !math.Signbit(back.Params.Start) {
		t.Errorf("params.start read back as %v (%v), want -0", back.Params.Start, err)
	}
}

// TestJSONRateName: an engine's rate in bench's JSON is lane_steps_per_s,
// as run's JSON (timing.lane_steps_per_s) and bench's CSV name it, where it
// read lane_steps_per_sec; that name stays, with the same value, for the
// scripts that read it, and a report that has only it reads back.
func TestJSONRateName(t *testing.T) {
	if !slices.Contains(CSVHeader, "lane_steps_per_s") {
		t.Fatal("the CSV's rate is not lane_steps_per_s")
	}
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Workloads []struct {
			Engines []map[string]any `json:"engines"`
		} `json:"workloads"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want := sampleReport().Workloads[0].Engines[0].LaneStepsPerS
	for _, w := range doc.Workloads {
		for _, e := range w.Engines {
			if e["lane_steps_per_s"] == nil || e["lane_steps_per_s"] != e["lane_steps_per_sec"] {
				t.Errorf("%v: lane_steps_per_s %v, lane_steps_per_sec %v: want both, equal", e["engine"], e["lane_steps_per_s"], e["lane_steps_per_sec"])
			}
		}
	}
	if got := doc.Workloads[0].Engines[0]["lane_steps_per_s"]; got != want {
		t.Errorf("lane_steps_per_s %v, want %v", got, want)
	}
	for _, in := range []string{`{"lane_steps_per_sec": 2.5}`, `{"lane_steps_per_s": 2.5}`, `{"lane_steps_per_s": 2.5, "lane_steps_per_sec": 1}`} {
		var m Measurement
		if err := json.Unmarshal([]byte(in), &m); err != nil || m.LaneStepsPerS != 2.5 {
			t.Errorf("%s read back as %v (%v), want 2.5", in, m.LaneStepsPerS, err)
		}
	}
}

// TestWriteJSONListsNeverNull: a list the report has none of is [] in the
// JSON, not null, so that a script's len() or loop over it works whatever
// ran: machine.devices read null where no device engine ran (DescribeMachine
// without devices, bench --engines simd), machine.simd on an architecture
// whose features gpusim names none of, workloads where every engine failed.
func TestWriteJSONListsNeverNull(t *testing.T) {
	m := DescribeMachine(nil)
	m.SIMD = nil
	r := &Report{Machine: m, Workloads: []WorkloadResult{{Workload: Workload{1000, 10}}}, Scaling: []Scaling{{Engine: "simd"}},
		Sweep: &Sweep{Steps: 10, Series: []SweepSeries{{Engine: "simd"}}}}
	empty := &Report{Machine: m}
	for _, rep := range []*Report{r, empty} {
		var b bytes.Buffer
		if err := rep.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if nulls := jsonNulls(doc, ""); len(nulls) > 0 {
			t.Errorf("null where a list is empty at %s:\n%s", strings.Join(nulls, ", "), b.String())
		}
		if rep.Machine.Devices != nil {
			t.Error("WriteJSON changed the report it wrote")
		}
	}
}

// jsonNulls lists the paths of the nulls in a decoded JSON document.
func jsonNulls(v any, path string) []string {
	var out []string
	switch v := v.(type) {
	case nil:
		out = append(out, path)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out = append(out, jsonNulls(v[k], path+"."+k)...)
		}
	case []any:
		for i, e := range v {
			out = append(out, jsonNulls(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return out
}

func TestWriteCSV(t *testing.T) {
	rows := csvRows(t, sampleReport())
	if strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		t.Errorf("header %v", rows[0])
	}
	count := map[string]int{}
	for _, r := range rows[1:] {
		count[r[0]]++
	}
	want := map[string]int{"engine": 6, "scaling": 4, "amdahl": 2, "sweep": 4, "crossover": 2, "python": 2}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %s rows, want %d", count[k], k, n)
		}
	}
	// serial on 5M x 10: median 1 s, 20 ns per lane-step.
	r := rows[1]
	if r[3] != "serial" || r[1] != "5000000" || r[2] != "10" || r[7] != "1" || r[11] != "20" {
		t.Errorf("first engine row %v", r)
	}
	// An engine run at its default worker count: no count (it read 0).
	if r[5] != "" {
		t.Errorf("first engine row's workers %q, want none (the engine's default)", r[5])
	}
	// The Python rows carry the text's slowdown as a speedup over serial:
	// serial's 1 s over the loop's 50 s and the vector's 0.5 s.
	speedups := map[string]string{}
	for _, r := range rows[1:] {
		if r[0] == "python" {
			speedups[r[3]] = r[13]
		}
	}
	if speedups["python/loop"] != "0.02" || speedups["python/vector"] != "2" {
		t.Errorf("python speedups %v, want 0.02 for the loop and 2 for the vector", speedups)
	}
}

// TestCSVNotes: the report's notes (an engine left out and its hint, a
// Python version off the exact law, the load before the run) are rows of
// the CSV, as they are lines of the text, Markdown, HTML and JSON: the CSV
// dropped them, so a script reading it could not tell why an engine had
// no rows.
func TestCSVNotes(t *testing.T) {
	r := sampleReport()
	r.Notes = append(r.Notes, "opencl left out: no OpenCL platform (tried libOpenCL.so.1, libOpenCL.so)",
		"hint for opencl: install an OpenCL driver, or set GPUSIM_OPENCL_LIBRARY", "disagrees with the exact law: python/vector z +9.1, -0.2")
	rows := csvRows(t, r)
	note := slices.Index(CSVHeader, "note")
	var got []string
	for _, row := range rows[1:] {
		if row[0] != "note" {
			continue
		}
		got = append(got, row[note])
		for i, c := range row {
			if i != 0 && i != note && c != "" {
				t.Errorf("note row %v: column %s is %q, want it empty", row, CSVHeader[i], c)
			}
		}
	}
	if !slices.Equal(got, r.Notes) {
		t.Errorf("the CSV's note rows %q, want the report's notes %q", got, r.Notes)
	}
}

func TestFormatters(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtDur(1500 * time.Millisecond), "1.5 s"}, {fmtDur(1468 * time.Second), "1468 s"}, {fmtDur(12345 * time.Microsecond), "12.3 ms"},
		{fmtDur(999 * time.Nanosecond), "999 ns"}, {fmtDur(2500 * time.Nanosecond), "2.5 µs"},
		{fmtSI(2.345e8), "234M"}, {fmtSI(12), "12"}, {fmtX(3.14159), "3.14x"}, {fmtX(1234.6), "1235x"},
		{fmtG(0.01234), "0.0123"}, {fmtG(5432.1), "5432"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestFormattersRoundToNextUnit: a value that rounds up to a thousand of
// its unit is written in the next unit, or whole, never in e notation:
// 999.7 ms read "1e+03 ms", a ns per lane-step of 999.7 "1e+03" and a
// speedup of 999.7 "1e+03x", in every format and on the time chart's bars.
func TestFormattersRoundToNextUnit(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtDur(999_700 * time.Microsecond), "1 s"}, {fmtDur(999_700 * time.Nanosecond), "1 ms"},
		{fmtSec(999.7e-9), "1 µs"}, {fmtSec(999.4e-9), "999 ns"}, {fmtDur(999_400 * time.Microsecond), "999 ms"},
		{fmtDur(999_700 * time.Millisecond), "1000 s"}, {fmtDur(999_499 * time.Millisecond), "999 s"},
		{fmtG(999.7), "1000"}, {fmtG(-999.7), "-1000"}, {fmtG(999.4), "999"}, {fmtG(0.99996), "1"},
		{fmtX(999.7), "1000x"}, {fmtX(999.5), "1000x"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestFitLineTwoPoints checks that a fit through one worker count besides
// 1, which solves for P rather than fits it, does not quote its residual
// as if it tested Amdahl's law (a fresh user read "rms residual 5.81e-15
// over 2 points").
func TestFitLineTwoPoints(t *testing.T) {
	for _, c := range []struct {
		points int
		rms    float64
		want   string
	}{
		{2, 5.81e-15, "from 2 points (one worker count besides 1: no residual tests the law)"},
		{5, 0.01, "rms residual 0.01 over 5 points"},
	} {
		s := &Scaling{Engine: "simd", Fit: &AmdahlFit{P: 0.9, Limit: 10, RMS: c.rms, Points: c.points}}
		if got := s.FitLine(); !strings.Contains(got, c.want) {
			t.Errorf("%d points: %q, want it to contain %q", c.points, got, c.want)
		}
		// The CSV's note says it too: it gave "rms 5.81e-15 over 2
		// points" where the line said no residual tests the law.
		want := strings.TrimPrefix(c.want, "rms residual ")
		if c.points > 2 {
			want = "rms " + want
		}
		if got := s.csvFitNote(); !strings.HasPrefix(got, want) || (c.points <= 2 && strings.Contains(got, "rms")) {
			t.Errorf("%d points: CSV note %q, want it to begin %q", c.points, got, want)
		}
	}
	// A 2-worker speedup the law cannot give (0.943x, 2.2x) holds P at a
	// bound, and the fit misses the point: the line said the fit passed
	// through both points (and then, with a verb missing, "the speedup
	// outside what the law allows").
	const held = "from 2 points: the speedup lies outside what the law allows (1 to the worker count), so P is held at its bound (rms residual "
	for _, sp := range []float64{0.943, 2.2} {
		fit, err := FitAmdahl([]int{1, 2}, []float64{1, sp})
		if err != nil {
			t.Fatal(err)
		}
		s := &Scaling{Engine: "simd", Fit: &fit}
		if got := s.FitLine(); !strings.Contains(got, held) || strings.Contains(got, "no residual tests") {
			t.Errorf("speedup %v: %q", sp, got)
		}
	}
}

// TestFitLineHeldManyPoints: P held at its bound by 3 or more points says
// so, as 2 points do: superlinear speedups push P to 1 and flat ones (more
// workers no faster, a little slower) to 0, and the line gave the residual
// alone, as if the law had been fitted and missed by that much. An interior
// P over as many points does not say it.
func TestFitLineHeldManyPoints(t *testing.T) {
	workers := []int{1, 2, 4, 8}
	for _, c := range []struct {
		name  string
		times []float64 // seconds at each of workers
		p     float64   // want, or -1 for inside (0, 1)
		held  bool
	}{
		{"superlinear", []float64{8, 3.5, 1.6, 0.7}, 1, true},
		{"flat", []float64{1, 1.02, 1.05, 1.1}, 0, true},
		{"amdahl 0.9", []float64{1, 1 / Amdahl(0.9, 2) * 1.01, 1 / Amdahl(0.9, 4), 1 / Amdahl(0.9, 8) * 0.99}, -1, false},
	} {
		sp := make([]float64, len(c.times))
		for i, tm := range c.times {
			sp[i] = c.times[0] / tm
		}
		fit, err := FitAmdahl(workers, sp)
		if err != nil {
			t.Fatal(err)
		}
		if (c.p >= 0 && fit.P != c.p) || (c.p < 0 && (fit.P <= 0 || fit.P >= 1)) {
			t.Fatalf("%s: P %v, want %v", c.name, fit.P, c.p)
		}
		s := &Scaling{Engine: "parallel", Workload: Workload{1e5, 10}, Fit: &fit}
		line, note := s.FitLine(), s.csvFitNote()
		want := "from 4 points: the speedups lie, on balance, outside what the law allows (1 to the worker count), so P is held at its bound (rms residual "
		if got := strings.Contains(line, want) && strings.Contains(line, " over the 3 worker counts above 1)"); got != c.held {
			t.Errorf("%s: fit line %q; held at its bound %v, want %v", c.name, line, got, c.held)
		}
		if got := strings.Contains(note, "p held at its bound"); got != c.held {
			t.Errorf("%s: CSV note %q; held at its bound %v, want %v", c.name, note, got, c.held)
		}
	}
}

// TestFitLineManyWorkers: a fit through one worker count besides 1 with an
// interior P is solved, not held at a bound, at any worker count: at 512 and
// 1024 workers, where the speedup's slope in P is 1e5 to 1e6, P solved to
// 1e-13 left a residual above 1e-9, and the line said the speedup was
// outside what the law allows.
func TestFitLineManyWorkers(t *testing.T) {
	for _, c := range []struct {
		n  int
		sp float64
	}{{512, 256.5}, {1024, 512.5}, {1024, 1000}, {1024, 1.5}} {
		fit, err := FitAmdahl([]int{1, c.n}, []float64{1, c.sp})
		if err != nil {
			t.Fatal(err)
		}
		s := &Scaling{Engine: "parallel", Fit: &fit}
		if got := s.FitLine(); !strings.Contains(got, "no residual tests the law") || strings.Contains(got, "held at its bound") {
			t.Errorf("%v workers, speedup %v: %q", c.n, c.sp, got)
		}
	}
}

// TestFitRMSBeyondOneWorker: the rms residual is over the worker counts
// above 1, whose speedups test the law; the one-worker point fits every P
// exactly, and averaged in it read a 2-worker miss of 0.311 as 0.22.
func TestFitRMSBeyondOneWorker(t *testing.T) {
	fit, err := FitAmdahl([]int{1, 2}, []float64{1, 0.689})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(fit.RMS-0.311) > 1e-9 || fit.P != 0 {
		t.Errorf("P %v, rms %v; want 0 and 0.311", fit.P, fit.RMS)
	}
	s := &Scaling{Engine: "simd", Fit: &AmdahlFit{P: 0.9, Limit: 10, RMS: 0.01, Points: 5}}
	if got, want := s.FitLine(), "rms residual 0.01 over 5 points (the 4 worker counts above 1)"; !strings.Contains(got, want) {
		t.Errorf("%q, want it to contain %q", got, want)
	}
}

// TestCourseTableSkipped: a Python version that did not run (its module
// does not import) is named in the course's table, not left out of it
// without a word: without joblib the table answered the course's question
// with no trace of the course's own joblib version.
func TestCourseTableSkipped(t *testing.T) {
	w := Workload{5_000_000, 100}
	ct := courseTableWith(t,
		PythonResult{Workload: w, Method: "joblib-lane", Skipped: "joblib does not import", Package: "python3-joblib"},
		PythonResult{Workload: w, Method: "numba", Skipped: "numba does not import", Package: "python3-numba"})
	want := "not run here: python/joblib-lane, python/numba (skipped; the Python baseline table says why)"
	if !strings.Contains(strings.Join(ct.notes, "\n"), want) {
		t.Errorf("course table notes %q lack %q", ct.notes, want)
	}
}

// TestCourseTableFailed: a Python version that failed (the script died, a
// limit) is named as failed in the course's table, as in the Python
// baseline table, not as skipped.
func TestCourseTableFailed(t *testing.T) {
	w := Workload{5_000_000, 100}
	ct := courseTableWith(t,
		PythonResult{Workload: w, Method: "numba", Skipped: "numba does not import", Package: "python3-numba"},
		PythonResult{Workload: w, Method: "pyopencl", Skipped: "the script died (signal: killed)", Failed: true},
		PythonResult{Workload: w, Method: "joblib-lane", Skipped: "joblib could not set up", Failed: true})
	want := "not run here: python/numba (skipped), python/pyopencl, python/joblib-lane (failed; the Python baseline table says why)"
	if !strings.Contains(strings.Join(ct.notes, "\n"), want) {
		t.Errorf("course table notes %q lack %q", ct.notes, want)
	}
	ct = courseTableWith(t, PythonResult{Workload: w, Method: "pyopencl", Skipped: "the script died (signal: killed)", Failed: true})
	want = "not run here: python/pyopencl (failed; the Python baseline table says why)"
	if !strings.Contains(strings.Join(ct.notes, "\n"), want) {
		t.Errorf("course table notes %q lack %q", ct.notes, want)
	}
}

// TestPythonWorkersNote names only the parallel Python versions that ran:
// it said "joblib and Numba use N workers" with both skipped.
func TestPythonWorkersNote(t *testing.T) {
	w := Workload{5_000_000, 100}
	ran := func(m string) PythonResult {
		return PythonResult{Workload: w, Method: m, SampleLanes: 10_000, NsPerLaneStep: 1000, WorkloadSeconds: 500, Scaled: true}
	}
	skip := func(m string) PythonResult {
		return PythonResult{Workload: w, Method: m, Skipped: m + " does not import"}
	}
	for _, c := range []struct {
		results []PythonResult
		want    string
	}{
		{[]PythonResult{ran("loop"), ran("joblib-lane"), ran("numba")}, "; joblib and Numba use 4 workers"},
		{[]PythonResult{ran("loop"), skip("joblib-lane"), skip("joblib-chunk"), ran("numba")}, "; Numba uses 4 workers"},
		{[]PythonResult{ran("loop"), skip("joblib-lane"), ran("joblib-chunk"), skip("numba")}, "; joblib uses 4 workers"},
		{[]PythonResult{ran("loop"), skip("joblib-lane"), skip("joblib-chunk"), skip("numba")}, ""},
		// Each tool's own count, as its rows carry it: Numba's pool
		// follows NUMBA_NUM_THREADS (the note said the cores for both).
		{[]PythonResult{ran("loop"), withWorkers(ran("joblib-lane"), 4), withWorkers(ran("numba"), 1)}, "; joblib uses 4 workers, Numba 1 worker"},
		{[]PythonResult{ran("loop"), withWorkers(ran("joblib-chunk"), 4), withWorkers(ran("numba"), 4)}, "; joblib and Numba use 4 workers"},
		{[]PythonResult{skip("joblib-lane"), withWorkers(ran("numba"), 3)}, "; Numba uses 3 workers"},
	} {
		py := &PythonReport{Python: "3.11", NumPy: "1.24", Interpreter: "/usr/bin/python3", Cores: 4, Results: c.results}
		if got := workersNote(py); got != c.want {
			t.Errorf("%v: %q, want %q", c.results, got, c.want)
		}
		notes := strings.Join(sampleReport().pythonTable(py).notes, "\n")
		if c.want == "" && strings.Contains(notes, "workers") {
			t.Errorf("all parallel versions skipped: notes %q name workers", notes)
		}
	}
}

// withWorkers is p with Workers n.
func withWorkers(p PythonResult, n int) PythonResult {
	p.Workers = n
	return p
}

// TestCourseTableReferences: a "vs" column only for a reference that ran.
// Without serial among the engines, "vs gpusim serial" was a column empty
// on every row.
func TestCourseTableReferences(t *testing.T) {
	for _, c := range []struct {
		name       string
		dropSerial bool
		dropLoop   bool
		want       []string
	}{
		{"both", false, false, []string{"vs Python loop", "vs gpusim serial"}},
		{"no serial", true, false, []string{"vs Python loop"}},
		{"no loop", false, true, []string{"vs gpusim serial"}},
		{"neither", true, true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := sampleReport()
			// The table's workload is the largest, 5M x 100.
			r.Python.Results = append(r.Python.Results, PythonResult{Workload: Workload{5_000_000, 100}, Method: "loop",
				SampleLanes: 10_000, NsPerLaneStep: 1000, WorkloadSeconds: 500, Scaled: true})
			for i := range r.Workloads {
				if c.dropSerial {
					r.Workloads[i].Engines = r.Workloads[i].Engines[1:]
				}
			}
			if c.dropLoop {
				r.Python.Results = slices.DeleteFunc(r.Python.Results, func(p PythonResult) bool { return p.Method == "loop" })
				r.Python.Results = append(r.Python.Results, PythonResult{Workload: Workload{5_000_000, 100}, Method: "vector",
					SampleLanes: 5_000_000, NsPerLaneStep: 10, WorkloadSeconds: 5})
			}
			ct := r.courseTable()
			if ct == nil {
				t.Fatal("no course table")
			}
			if got := ct.header[4:]; strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("vs columns %q, want %q", got, c.want)
			}
			for _, row := range ct.rows {
				if len(row) != len(ct.header) {
					t.Errorf("row %q under header %q", row, ct.header)
				}
				for _, cell := range row[4:] {
					if cell == "" {
						t.Errorf("empty vs cell in %q", row)
					}
				}
			}
			notes := strings.Join(ct.notes, "\n")
			if got := strings.Contains(notes, `"vs" columns`); got != (c.want != nil) {
				t.Errorf("notes say the vs columns: %v, want %v: %q", got, c.want != nil, notes)
			}
		})
	}
}

// TestColdNote: the cold column's note says which run it is. "cold is the
// first run, warm-up included" read wrong with --warmup 0, where the cold
// run is the first timed run.
func TestColdNote(t *testing.T) {
	for _, c := range []struct {
		warmup int
		want   string
	}{
		{0, "cold is the first run, the first timed run (no warm-up)"},
		{1, "cold is the first run, the first warm-up run"},
		{3, "cold is the first run, the first warm-up run"},
	} {
		r := sampleReport()
		r.Warmup = c.warmup
		var b bytes.Buffer
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), c.want) || strings.Contains(b.String(), "warm-up included") {
			t.Errorf("--warmup %d: the note lacks %q:\n%s", c.warmup, c.want, b.String())
		}
	}
}

// TestSweepNote: the sweep's table says how many runs each point is the
// median of (--sweep-reps and --warmup), which it did not; a report of an
// earlier gpusim, without the counts, says nothing of them.
func TestSweepNote(t *testing.T) {
	r := sampleReport()
	r.Sweep.Reps, r.Sweep.Warmup = 3, 1
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if want := "each point the median of 3 timed runs after 1 warm-up run"; !strings.Contains(b.String(), want) {
		t.Errorf("sweep lacks %q:\n%s", want, b.String())
	}
	r.Sweep.Reps, r.Sweep.Warmup = 0, 0
	b.Reset()
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "each point the median") {
		t.Errorf("a sweep without counts claims some:\n%s", b.String())
	}
}

// TestMdEscapeBackslash: a backslash in a cell is escaped, so that a device
// named `a\|b` keeps its table's columns (its `\|` closed the cell).
func TestMdEscapeBackslash(t *testing.T) {
	if got, want := mdEscape(`a\|b_c`), `a\\\|b\_c`; got != want {
		t.Errorf("mdEscape = %q, want %q", got, want)
	}
}

// TestCourseTableScaled: a Python version timed on a sample of the lanes
// says so in its row, as the Python baseline table's does; only the
// table's note said it, for every row alike.
func TestCourseTableScaled(t *testing.T) {
	ct := courseTableWith(t, PythonResult{Workload: Workload{5_000_000, 100}, Method: "vector", SampleLanes: 5_000_000, NsPerLaneStep: 10, WorkloadSeconds: 5})
	versions := map[string]bool{}
	for _, row := range ct.rows {
		versions[row[1]] = true
	}
	for _, want := range []string{"python/loop (scaled up from 10k lanes)", "python/vector", "serial"} {
		if !versions[want] {
			t.Errorf("no version %q among %v", want, versions)
		}
	}
}

// TestPythonTimePastDuration: a Python version whose time scaled up to
// the workload is past what a time.Duration holds (292 years) is written
// as JSON gives it, in both tables and the set-up note: 1e10 s read "0"
// and -9.22e+14 ns per lane-step.
func TestPythonTimePastDuration(t *testing.T) {
	const secs = 1e10
	w := Workload{5_000_000, 100}
	r := sampleReport()
	r.Python.Results = append(r.Python.Results, PythonResult{Workload: w, Method: "matrix", SampleLanes: 10, Seconds: 1, NsPerLaneStep: secs * 1e9 / w.LaneSteps(), WorkloadSeconds: secs, Scaled: true})
	r.Python.Setup = map[string]float64{"numba": 1e12}
	var pyRow, courseRow []string
	var setup string
	for _, tb := range r.tables() {
		for _, row := range tb.rows {
			switch {
			case tb.title == "Python baseline" && row[1] == "matrix":
				pyRow = row
			case tb.title == courseTitle && strings.HasPrefix(row[1], "python/matrix"):
				courseRow = row
			}
		}
		for _, n := range tb.notes {
			if strings.HasPrefix(n, "set-up") {
				setup = n
			}
		}
	}
	// In years, as run and merge write such a span (count.Seconds): whole
	// seconds past a day read "10000000000 s".
	const want = "317 years"
	// Slowdowns past a million and speedups below 10^-4 were in e
	// notation (1e+09x, 1e-09x), as were times from 10^15 s (1e+22 s).
	if pyRow == nil || pyRow[3] != want || pyRow[5] != "1Gx" {
		t.Errorf("Python baseline row %q, want time %q and slowdown 1Gx", pyRow, want)
	}
	if courseRow == nil || courseRow[2] != want || courseRow[3] != "20G" || courseRow[len(courseRow)-1] != "0.000000001x" {
		t.Errorf("course table row %q, want time %q, ns/lane-step 20G and 0.000000001x vs serial", courseRow, want)
	}
	if !strings.Contains(setup, "Numba's compile 31.7k years") {
		t.Errorf("set-up note %q, want Numba's compile 31.7k years", setup)
	}
	for s, want := range map[float64]string{1e15: "31.7M years", 1e22: "317T years", 999_999_999_999_999: "31.7M years", 1470: "1470 s", 86400 * 107: "107 days", 0.00192: "1.92 ms"} {
		if got := fmtSec(s); got != want {
			t.Errorf("fmtSec(%v) = %q, want %q", s, got, want)
		}
	}
}

// courseTableWith is the course table of sampleReport on its largest
// workload, 5M x 100, with the Python loop timed there on a sample of 10k
// lanes, and more Python results.
func courseTableWith(t *testing.T, more ...PythonResult) *table {
	t.Helper()
	r := sampleReport()
	r.Python.Results = append(r.Python.Results,
		PythonResult{Workload: Workload{5_000_000, 100}, Method: "loop", SampleLanes: 10_000, NsPerLaneStep: 1000, WorkloadSeconds: 500, Scaled: true})
	r.Python.Results = append(r.Python.Results, more...)
	ct := r.courseTable()
	if ct == nil {
		t.Fatal("no course table")
	}
	return ct
}

// TestCSVPythonDevice: a Python row's device is where it ran, as an
// engine row's is: the OpenCL device for pyopencl, the workers for joblib
// and Numba, one thread for the rest; the versions go in the note (the
// pyopencl row's device read "Python 3.11.2, NumPy 1.24.2").
func TestCSVPythonDevice(t *testing.T) {
	r := sampleReport()
	w := r.Python.Results[0].Workload
	r.Python.Modules = map[string]string{"python3-pyopencl": "2022.3.1", "python3-joblib": "1.2.0"}
	r.Python.Cores = 4
	r.Python.Results = append(r.Python.Results,
		PythonResult{Workload: w, Method: "pyopencl", SampleLanes: 100_000, Seconds: 0.1, NsPerLaneStep: 20, WorkloadSeconds: 1, Device: "pthread-haswell-Test CPU"},
		PythonResult{Workload: w, Method: "joblib-chunk", SampleLanes: 100_000, Seconds: 0.1, NsPerLaneStep: 20, WorkloadSeconds: 1, Workers: 4})
	rows := csvRows(t, r)
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	want := map[string]struct{ device, note string }{
		"python/pyopencl":     {"pthread-haswell-Test CPU", "Python 3.11.2, NumPy 1.24.2, python3-pyopencl 2022.3.1"},
		"python/joblib-chunk": {"4 processes", "Python 3.11.2, NumPy 1.24.2, python3-joblib 1.2.0"},
		"python/vector":       {"1 thread", "Python 3.11.2, NumPy 1.24.2"},
	}
	seen := 0
	for _, row := range rows[1:] {
		wt, ok := want[row[col["engine"]]]
		if row[0] != "python" || !ok {
			continue
		}
		seen++
		if row[col["device"]] != wt.device || !strings.Contains(row[col["note"]], wt.note) {
			t.Errorf("%s: device %q, note %q; want device %q, the note with %q", row[col["engine"]], row[col["device"]], row[col["note"]], wt.device, wt.note)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d python rows", seen, len(want))
	}
}

// TestOneNoun: a report whose counts are 1 (one worker ran, one core, one
// step, one lane, Python on one worker) writes each count with its noun in
// the singular in every format: the CSV's note read "1 workers ran".
func TestOneNoun(t *testing.T) {
	r := sampleReport()
	w := Workload{1, 1}
	r.Machine.Cores = 1
	r.Scaling[0].Points[1].Ran = 1
	r.Sweep.Steps = 1
	r.Workloads[0].Workload = w
	r.Python.Cores = 1
	r.Python.Results[0].Workload, r.Python.Results[0].SampleLanes = w, 1
	r.Python.Results[1].Method = "numba"
	plural := regexp.MustCompile(`\b1 (workers|cores|steps|lanes|processes|threads)\b`)
	for _, format := range []string{"text", "markdown", "json", "csv"} {
		var b bytes.Buffer
		if err := r.Write(&b, format); err != nil {
			t.Fatal(err)
		}
		if m := plural.FindString(b.String()); m != "" {
			t.Errorf("%s: %q, want the noun in the singular", format, m)
		}
	}
	var b bytes.Buffer
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "; 1 worker ran, the efficiency's divisor") {
		t.Errorf("csv: no note that 1 worker ran:\n%s", b.String())
	}
}

// TestPythonStepsSampled: a version stopped at its time budget says in
// both tables that it ran a sample of the steps, not of the lanes alone;
// one that died with the script is a failed row, its cause in the notes
// and the CSV. A row of 1k lanes of 13k steps read '1k (scaled up)', as a
// version run whole on 1k lanes of a larger workload reads.
func TestPythonStepsSampled(t *testing.T) {
	w := Workload{5_000_000, 100}
	ct := courseTableWith(t, PythonResult{Workload: w, Method: "numba", SampleLanes: 5_000_000, SampleSteps: 13, NsPerLaneStep: 10, WorkloadSeconds: 5, Scaled: true})
	var versions []string
	for _, row := range ct.rows {
		versions = append(versions, row[1])
	}
	if !slices.Contains(versions, "python/numba (scaled up from 5M lanes of 13 steps)") {
		t.Errorf("course table versions %q", versions)
	}
	r := sampleReport()
	r.Python.Results = append(r.Python.Results,
		PythonResult{Workload: w, Method: "numba", SampleLanes: 1000, SampleSteps: 13, NsPerLaneStep: 10, WorkloadSeconds: 5, Scaled: true},
		PythonResult{Workload: w, Method: "pyopencl", Skipped: "the script died (signal: killed)", Failed: true})
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`(?m)^5M x 100 +numba +1k x 13 \(scaled up\) `, `(?m)^5M x 100 +pyopencl +failed`, `pyopencl failed: the script died \(signal: killed\)`} {
		if !regexp.MustCompile(want).MatchString(b.String()) {
			t.Errorf("text report lacks %s:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "failed: the script died (signal: killed)") {
		t.Errorf("CSV lacks the failed version:\n%s", b.String())
	}
	// The CSV's note too: it said "run on 1000 lanes and scaled up".
	if !strings.Contains(b.String(), "; run on 1000 lanes of 13 steps (time budget spent) and scaled up") {
		t.Errorf("CSV lacks the steps the numba row ran:\n%s", b.String())
	}
}

// TestPythonTableCourseFigures: the Python baseline quotes the course's own
// figures beside its own, labelled as the course's and not measured here,
// each with its ns per lane-step: the report gave none of them, so a reader
// set its loop's 5M x 100 against nothing, or against the README. The
// figures are the course page's "Wall time" lines (/work/shared/reference
// holds the page): 23.1 s and 10.8 s at 5M x 10; 3min 40s, 32.7 s and 15.3 s
// at 5M x 100, the NumPy matrix over its 99 steps.
func TestPythonTableCourseFigures(t *testing.T) {
	r := sampleReport()
	pt := r.pythonTable(r.Python)
	var note string
	for _, n := range pt.notes {
		if strings.HasPrefix(n, "the course's own figures") {
			note = n
		}
	}
	if note == "" {
		t.Fatalf("no course figures in the notes %q", pt.notes)
	}
	for _, want := range []string{
		"not measured here",
		"5M x 10: loop 23.1 s (462 ns/lane-step), joblib-lane 10.8 s (216 ns/lane-step)",
		"5M x 100: loop 220 s (440 ns/lane-step), joblib-lane 32.7 s (65.4 ns/lane-step), matrix 15.3 s (30.9 ns/lane-step over its 99 steps)",
	} {
		if !strings.Contains(note, want) {
			t.Errorf("the note %q has no %q", note, want)
		}
	}
}

// TestSIRoundsToNextUnit: a value that rounds up to a thousand of its unit
// is written in the next unit, up to E, and one past a thousand E in e
// notation, as the progress bar writes them: a rate of 999.7M lane-steps/s
// read "1e+03M" in the engines table, a tick of 2e15 "2e+03T", and then
// "2e+15" beside the other ticks' suffixes.
func TestSIRoundsToNextUnit(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{999.7e6, "1G"}, {999.6, "1k"}, {999.4e3, "999k"}, {999.7e12, "1P"}, {2e15, "2P"}, {18446744073709551615, "18.4E"}, {999.7e18, "1Z"}, {1.5e9, "1.5G"},
	} {
		if got := fmtSI(tc.x); got != tc.want {
			t.Errorf("fmtSI(%g) = %q, want %q", tc.x, got, tc.want)
		}
	}
}

// csvRows is r's CSV report, parsed: the header row first.
func csvRows(t *testing.T, r *Report) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// csvSection is r's CSV report's rows of one section, with the column
// index of each header name.
func csvSection(t *testing.T, r *Report, section string) (map[string]int, [][]string) {
	t.Helper()
	rows := csvRows(t, r)
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var got [][]string
	for _, row := range rows[1:] {
		if row[col["section"]] == section {
			got = append(got, row)
		}
	}
	return col, got
}

// TestTableCellsOneLine: a text found as the benchmark runs (here an
// OpenCL device's name) with a line ending, a tab, a vertical tab or a form
// feed in it stays in its one table cell, in the text report and in the
// Markdown, whose rows CommonMark ends at a "\r" as at a "\n".
func TestTableCellsOneLine(t *testing.T) {
	mdLines := regexp.MustCompile("\r\n|\r|\n")
	for _, ctl := range []string{"\r", "\n", "\r\n", "\t", "\v", "\f"} {
		r := sampleReport()
		r.Workloads[0].Engines[2].Device = "dev" + ctl + "zq"
		var tx, md bytes.Buffer
		if err := r.WriteText(&tx); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteMarkdown(&md); err != nil {
			t.Fatal(err)
		}
		row := ""
		for _, l := range strings.Split(tx.String(), "\n") {
			if strings.Contains(l, "zq") {
				row = l
			}
		}
		if f := strings.Fields(row); !strings.HasPrefix(row, "5M x 10 ") || len(f) != 24 || strings.ContainsAny(row, "\r\t\v\f") {
			t.Errorf("device %q: text row %q, want the 5M x 10 row with its 24 fields on one line", ctl, row)
		}
		var header, got int
		for _, l := range mdLines.Split(md.String(), -1) {
			cells := len(strings.Split(strings.ReplaceAll(l, `\|`, ""), "|")) - 2
			if strings.HasPrefix(l, "| workload | engine | device |") {
				header = cells
			}
			if strings.Contains(l, "zq") {
				if !strings.HasPrefix(l, "| 5M x 10 | opencl:0 | dev zq |") {
					t.Errorf("device %q: markdown line %q, want the 5M x 10 row", ctl, l)
				}
				got = cells
			}
		}
		if header == 0 || got != header {
			t.Errorf("device %q: markdown row of %d cells, header of %d", ctl, got, header)
		}
	}
}

// TestCrossoverLanesWhole: a crossover below a thousand lanes is said in
// whole lanes (the interpolation between 1 and 2 lanes read "about 1.34
// lanes"); from a thousand on, as the tables write counts.
func TestCrossoverLanesWhole(t *testing.T) {
	for lanes, want := range map[float64]string{
		1.34: "parallel beats serial from about 1 lane", 0.7: "parallel beats serial from about 1 lane",
		2.6: "parallel beats serial from about 3 lanes", 999.4: "parallel beats serial from about 999 lanes",
		37400: "parallel beats serial from about 37.4k lanes",
	} {
		c := Crossover{Pair: Pair{"serial", "parallel"}, Status: CrossoverFound, Lanes: lanes}
		if got := c.String(); got != want {
			t.Errorf("%g lanes: %q, want %q", lanes, got, want)
		}
	}
}

// TestBaselinePossessive: the notes name the baseline engine as the median's
// owner in English: "processes' median", where they read "processes's".
func TestBaselinePossessive(t *testing.T) {
	for _, c := range []struct{ baseline, want string }{
		{"serial", "speedup is serial's median"},
		{"processes", "speedup is processes' median"},
	} {
		r := sampleReport()
		r.Baseline = c.baseline
		var b bytes.Buffer
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.Contains(out, c.want) || strings.Contains(out, "s's ") {
			t.Errorf("baseline %s: the notes lack %q or hold \"s's\":\n%s", c.baseline, c.want, out)
		}
		if want := "slowdown is the time over " + strings.TrimPrefix(c.want, "speedup is "); !strings.Contains(out, want) {
			t.Errorf("baseline %s: the notes lack %q", c.baseline, want)
		}
	}
}

// TestFmtSecSubNanosecond: a positive time under a nanosecond is written
// as a time per lane-step is (fmtG), not "0 ns": the time chart of a
// workload of a nanosecond labelled its ticks at 0.2 and 0.4 ns "0 ns", and
// a time per lane-step of an H200 (3.3 ps) would have read 0 ns.
func TestFmtSecSubNanosecond(t *testing.T) {
	for s, want := range map[float64]string{
		3.3e-12: "0.0033 ns", 4e-10: "0.4 ns", 0.9994e-9: "0.999 ns", 0.9996e-9: "1 ns",
		1.23e-21: "1.23×10^-12 ns", 0: "0",
	} {
		if got := fmtSec(s); got != want {
			t.Errorf("fmtSec(%v) = %q, want %q", s, got, want)
		}
	}
	for _, tk := range (secTicks{}).Ticks(0, 1.5e-9) {
		if tk.Value > 0 && tk.Label != "" && strings.HasPrefix(tk.Label, "0 ") {
			t.Errorf("tick at %g labelled %q", tk.Value, tk.Label)
		}
	}
}

// TestTimeOneWriting: bench writes a time as run's time and start-up
// lines and merge write it (report.FmtDuration), the same digits for the
// same span: run's time line read "1.9 ms wall" where bench's table read
// 1.92 ms, and 895.2 ms, 3.215 s where bench wrote 895 ms, 3.21 s.
func TestTimeOneWriting(t *testing.T) {
	for _, d := range []time.Duration{
		1, 400, 999, time.Microsecond, 91 * time.Microsecond, 999499, 999600,
		1920 * time.Microsecond, 19 * time.Millisecond, 895170 * time.Microsecond, 999949 * time.Microsecond,
		3214514 * time.Microsecond, 61 * time.Second, 1470 * time.Second, 107 * 24 * time.Hour,
	} {
		if b, r := fmtDur(d), report.FmtDuration(d); b != r {
			t.Errorf("%v: bench writes %q, run %q", d, b, r)
		}
	}
}
