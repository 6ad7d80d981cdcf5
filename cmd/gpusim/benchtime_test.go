package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// TestBenchTooLong: a benchmark whose runs would take more than a year
// even at engines.MinTime's ceilings is refused before anything runs,
// exit 2, naming the flag that sizes its longest phase (the first given of
// them), the floor by phase and what to lower; no --html file or --plot
// folder is made. bench --lanes 2^64-1 started and ran for centuries. The
// runs start cancelled: one that got past the check fails otherwise.
func TestBenchTooLong(t *testing.T) {
	// opencl:1 named as an engine there is: one no one has is refused for
	// its name, before the benchmark's time.
	none := func(int) sim.Engine { return nil }
	withBench(t, engines.Benchable{Entries: []string{"serial", "parallel", "simd", "opencl"}, Specs: []engines.Spec{
		spec("serial", false, none), spec("parallel", true, none), spec("simd", true, none), spec("opencl:0", false, none), spec("opencl:1", false, none)}})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	outputs := []string{"--html", filepath.Join(dir, "b.html"), "--plot", filepath.Join(dir, "charts"), "--baseline", "none", "-q"}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--lanes", "2^64-1"}, []string{
			"gpusim: error: --lanes: this benchmark would take at least ",
			" years (", "lane-steps: the workloads ", " years, the scaling table ",
			"(serial on 1 core, parallel on ", "simd on ",
			"a benchmark may take at most a year at that speed, and bench has no flag to run a longer one (lower --lanes or --steps, or --reps or --warmup)\n"}},
		{[]string{"--lanes", "1e9", "--steps", "1e7", "--engines", "serial", "--no-scaling", "--no-sweep", "--reps", "1", "--warmup", "0"}, []string{
			"gpusim: error: --lanes: this benchmark would take at least 1.58 years (10P lane-steps: the workloads 1.58 years) even at the fastest each engine is expected to run (serial on 1 core), faster than any measured;"}},
		// Each device named counts, warm-up and timed runs: 2 x 4 x 1e19 at 2e12.
		// Where OpenCL lists devices here, each is counted by its kind
		// and one not listed is left out, for Select to refuse
		// (TestBenchCPUDeviceFloor); else each at a GPU's ceiling.
		{[]string{"--lanes", "1e14", "--steps", "1e5", "--engines", "opencl:0,opencl:1", "--no-scaling", "--no-sweep", "--reps", "3", "--warmup", "1"}, []string{
			"gpusim: error: --lanes: this benchmark would take at least ", "(opencl:0 on 1 "}},
		{[]string{"--engines", "serial", "--sweep", "1k,2^64-1"}, []string{
			"gpusim: error: --sweep: ", "the sweep 117k years)", "(lower --sweep or --sweep-steps, or --sweep-reps, or leave the sweep out with --no-sweep)\n"}},
		{[]string{"--engines", "serial", "--sweep-steps", "4294967296"}, []string{"gpusim: error: --sweep-steps: "}},
		{[]string{"--engines", "simd", "--lanes", "1e12", "--steps", "1e6", "--workers", "1,2,3,4", "--reps", "1", "--warmup", "0", "--no-sweep"}, []string{
			"gpusim: error: --workers: ", "give fewer --workers, or leave the table out with --no-scaling)\n"}},
	} {
		code, stdout, stderr := run(cancelled, append(append([]string{"bench"}, c.args...), outputs...)...)
		if code != exitUsage || stdout != "" {
			t.Errorf("bench %s: exit %d, stdout %q, stderr %q; want exit 2 and no report", strings.Join(c.args, " "), code, stdout, stderr)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("bench %s: stderr %q\nwants %q", strings.Join(c.args, " "), stderr, w)
			}
		}
		assertEmptyDir(t, dir)
	}
}

// TestBenchCPUDeviceFloor: bench floors a device it lists at its kind's
// ceiling: pocl's CPU device at 2e9 lane-steps/s a compute unit, as the
// cores, where it took it for a GPU at 2e12 and let a benchmark of years
// there (1e19 lane-steps, 58 days at a GPU's ceiling) start. The run
// starts cancelled: one that got past the check fails otherwise.
func TestBenchCPUDeviceFloor(t *testing.T) {
	c, units, _ := cpuDevice(t)
	if units >= 150 {
		t.Skipf("%d compute units finish 1e19 lane-steps within a year at the ceiling", units)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	name := fmt.Sprintf("opencl:%d", c)
	args := []string{"bench", "--engines", name, "--lanes", "1e16", "--steps", "1000", "--reps", "1", "--warmup", "0", "--no-scaling", "--no-sweep", "--baseline", "none", "-q"}
	want := fmt.Sprintf("even at the fastest each engine is expected to run (%s on 1 CPU device with %s), faster than any measured", name, count.Noun(units, "compute unit"))
	// At 1e9 steps a GPU's ceiling refuses the plan too, before the
	// devices are listed, and the refusal quoted it: "(opencl:0 on 1
	// device taken for a GPU)" where the device is pocl's.
	for _, steps := range []string{"1000", "1e9"} {
		args[6] = steps
		code, stdout, stderr := run(cancelled, args...)
		if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, "gpusim: error: --lanes: this benchmark would take at least ") || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2, %q", strings.Join(args, " "), code, stdout, stderr, want)
		}
	}
}

// TestBenchPythonBounded: the Python baseline's share of a benchmark's
// floor is bounded as the script bounds its versions (bench.Config.
// PythonBudget: each version a minute, on the steps that fit, after its
// pilots), so a baseline never refuses a benchmark for years: at 4e8 x
// 1e8 its NumPy vector on every lane counted 1.9 years and refused it,
// where the script now runs it for a minute. Once the interpreter is
// known (benchAction checks again with it), the floor is the engines'.
func TestBenchPythonBounded(t *testing.T) {
	old := benchMemory
	benchMemory = func() (uint64, bool) { return 1 << 40, true }
	t.Cleanup(func() { benchMemory = old })
	cfg := bench.Default()
	cfg.Scaling, cfg.Sweep, cfg.Python, cfg.Warmup, cfg.Reps = false, nil, true, 0, 1
	cfg.Workloads = []bench.Workload{{Lanes: 4e8, Steps: 1e8}}
	if err := checkBenchTime(&cfg, nil, func(string) bool { return false }); err != nil {
		t.Fatalf("the Python baseline alone: %v", err)
	}
	for _, ph := range cfg.MinTime(nil, 1<<40) {
		if ph.Name == bench.PythonPhase && ph.Seconds > 3600 {
			t.Errorf("the Python baseline's floor is %.3g s, over an hour", ph.Seconds)
		}
	}
}

// TestCheckBenchTime: the limit is a year of the floor, the Python
// baseline counting only where cfg runs it, and the flag named is the
// first given of those that size the longest phase.
func TestCheckBenchTime(t *testing.T) {
	old := benchMemory
	benchMemory = func() (uint64, bool) { return 1 << 60, true }
	t.Cleanup(func() { benchMemory = old })
	serial := []engines.Spec{{Name: "serial", Entry: "serial"}}
	none := func(string) bool { return false }
	cfg := bench.Default()
	cfg.Scaling, cfg.Sweep, cfg.Python, cfg.Warmup, cfg.Reps = false, nil, false, 0, 1
	year := maxFloorTime.Seconds()
	cfg.Workloads = []bench.Workload{{Lanes: uint64(year * 2e8 / 1000), Steps: 1000}} // a year of serial, within rounding
	if err := checkBenchTime(&cfg, serial, none); err != nil {
		t.Errorf("a year: %v", err)
	}
	cfg.Workloads[0].Steps = 1001
	err := checkBenchTime(&cfg, serial, none)
	if err == nil || !strings.HasPrefix(err.Error(), "--lanes: this benchmark would take at least 1 year (") {
		t.Errorf("past a year: %v", err)
	}
	if err := checkBenchTime(&cfg, serial, func(f string) bool { return f == "reps" }); err == nil || !strings.HasPrefix(err.Error(), "--reps: ") {
		t.Errorf("past a year with --reps given: %v, want --reps named", err)
	}
	if err := checkBenchTime(&cfg, nil, none); err != nil {
		t.Errorf("no engine: %v", err)
	}
	// The NumPy vector at 3 x 6.3e16 lane-steps, at 2e9 lane-steps/s.
	cfg.Workloads[0].Steps = 1e4
	if err := checkBenchTime(&cfg, nil, none); err != nil {
		t.Errorf("no engine, no Python baseline: %v", err)
	}
	// The Python baseline is bounded (TestBenchPythonBounded): at 3 x
	// 6.3e16 lane-steps it counted 3 years.
	cfg.Python = true
	if err := checkBenchTime(&cfg, nil, none); err != nil {
		t.Errorf("the Python baseline, bounded: %v", err)
	}
}

// TestPlannedSpecs: without --engines the registry's CPU engines, which
// always run; with it each engine it names, a device engine's entry as one
// device (and its devices not again), processes as a CPU engine that
// scales, and no name no engine has.
func TestPlannedSpecs(t *testing.T) {
	got := func(list string) string {
		var s []string
		for _, p := range plannedSpecs(list) {
			w := p.Name + "(" + p.Entry
			if p.Device {
				w += ",device"
			}
			if p.Scales {
				w += ",scales"
			}
			s = append(s, w+")")
		}
		return strings.Join(s, " ")
	}
	for list, want := range map[string]string{
		"":                                   "serial(serial) parallel(parallel,scales) simd(simd,scales)",
		" opencl:1, serial,opencl,processes": "opencl(opencl,device) processes(processes,scales) serial(serial)",
		"opencl:0,opencl:1,cuda,auto,simd":   "opencl:0(opencl,device) opencl:1(opencl,device) simd(simd,scales)",
	} {
		if g := got(list); g != want {
			t.Errorf("--engines %q: %s, want %s", list, g, want)
		}
	}
}

// TestFlagBeforePlan: a flag's own error (an engine no one has, an unknown
// format, two flags naming one file, a bad shard) is reported before a
// refusal of the plan (its years, its outputs' room), in bench and in run:
// bench --engines nosuch,simd --lanes 2^64-1 was refused for its years,
// and so were bench --format nosuch and --python NOSUCH with it, run
// --plot a.svg --plot-daily a.svg --lanes 2^64-1, and bench --html x.txt
// made a file before the refusal.
func TestFlagBeforePlan(t *testing.T) {
	dir := t.TempDir()
	svg := filepath.Join(dir, "a.svg")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--engines", "nosuch,simd", "--lanes", "2^64-1", "--steps", "2^32"}, `gpusim: error: --engines: unknown engine "nosuch" (valid: `},
		{[]string{"bench", "--engines", "simd:0", "--lanes", "2^64-1"}, `gpusim: error: --engines: unknown engine "simd:0"; did you mean simd? (valid: `},
		{[]string{"bench", "--format", "nosuch", "--lanes", "2^64-1"}, `gpusim: error: --format: unknown format "nosuch"`},
		{[]string{"bench", "--plot-format", "gif", "--plot", filepath.Join(dir, "img"), "--lanes", "2^64-1"}, `gpusim: error: --plot-format: unknown chart format "gif"`},
		{[]string{"bench", "--python", filepath.Join(dir, "nosuch"), "--lanes", "2^64-1"}, `gpusim: error: --python: "` + filepath.Join(dir, "nosuch") + `" cannot import numpy`},
		// The contradiction, not the interpreter's check: it said the
		// baseline that is off could not import numpy.
		{[]string{"bench", "--baseline", "none", "--python", filepath.Join(dir, "nosuch")}, `gpusim: error: --python: contradicts --baseline none`},
		{[]string{"bench", "--baseline", "none", "--python", filepath.Join(dir, "nosuch"), "--lanes", "2^64-1"}, `gpusim: error: --python: contradicts --baseline none`},
		{[]string{"bench", "--html", filepath.Join(dir, "no", "b.html"), "--lanes", "2^64-1"}, `gpusim: error: --html: directory "` + filepath.Join(dir, "no") + `" does not exist`},
		{[]string{"run", "--engine", "nosuch", "--lanes", "2^64-1"}, `gpusim: error: --engine: unknown engine "nosuch"`},
		{[]string{"run", "--lanes", "2^64-1", "--plot", svg, "--plot-daily", svg}, `gpusim: error: --plot-daily: "` + svg + `" is also the file of --plot`},
		{[]string{"run", "--lanes", "2^64-1", "--shard", "3/2"}, `gpusim: error: --shard: invalid value "3/2": shard index 3 must be below the shard count 2`},
		{[]string{"run", "--lanes", "2^64-1", "--save", filepath.Join(dir, "part.txt")}, `gpusim: error: --save: "` + filepath.Join(dir, "part.txt") + `" is not a .json file`},
	} {
		code, stdout, stderr := run(context.Background(), append(c.args, "-q")...)
		if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, c.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2 and %q", strings.Join(c.args, " "), code, stdout, stderr, c.want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the refused commands left %d files in %s", len(ents), dir)
	}
}

// withProcessesBench installs serial and a processes engine that runs
// serial in this process, setting *ran when it runs, with GOMAXPROCS 2 (the
// workloads' children) for the test, and returns ran and a small bench's
// arguments, without --workers.
func withProcessesBench(t *testing.T) (ran *bool, args []string) {
	procs := runtime.GOMAXPROCS(2)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	ran = new(bool)
	withBench(t, engines.Benchable{Entries: []string{"serial", bench.ProcessesEngine}, Specs: []engines.Spec{serialSpec(),
		spec(bench.ProcessesEngine, true, func(int) sim.Engine { *ran = true; return cpu.Serial{} })}})
	return ran, []string{"bench", "--lanes", "1e4", "--steps", "2", "--reps", "1", "--warmup", "0", "--no-sweep", "--baseline", "none", "-q"}
}

// TestBenchChildrenMemory: a processes engine whose children at once
// would take more memory than there is is refused before anything runs
// (exit 2, naming the children, the memory and a count that fits), where
// --workers 1024 started them all, counted against threads, descriptors
// and disk but not memory; children that fit run.
func TestBenchChildrenMemory(t *testing.T) {
	old := machineFree
	t.Cleanup(func() { machineFree = old })
	machineFree = func() (uint64, bool) { return 100 << 20, true }
	ran, args := withProcessesBench(t)
	code, stdout, stderr := run(context.Background(), append(args, "--workers", "1,8")...)
	want := "gpusim: error: memory: the processes engine's 8 children at once may take up to 0.201 GB (0.0252 GB each, a child's measured peak with room to spare), but 0.105 GB are available\ngpusim: hint: run at most 4 children at once (--workers, GOMAXPROCS), or leave processes out with --engines\n"
	if code != exitUsage || stdout != "" || stderr != want || *ran {
		t.Errorf("8 children in 100 MiB: exit %d, stdout %q, stderr %q, ran %v; want 2, nothing run and %q", code, stdout, stderr, *ran, want)
	}
	// Without the processes engine, the children's memory is not counted.
	code, _, stderr = run(context.Background(), append(args, "--workers", "1,8", "--engines", "serial")...)
	if code != 0 {
		t.Errorf("serial alone: exit %d, stderr %q; want 0", code, stderr)
	}
	code, stdout, stderr = run(context.Background(), append(args, "--workers", "1,2")...)
	if code != 0 || !strings.Contains(stdout, "processes") || !*ran {
		t.Errorf("2 children in 100 MiB: exit %d, stderr %q, ran %v; want the benchmark run", code, stderr, *ran)
	}
}
