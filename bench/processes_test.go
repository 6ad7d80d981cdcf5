package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// buildGpusim builds the gpusim binary into a temporary folder: the test
// binary is not gpusim, and the processes engine runs gpusim children.
func buildGpusim(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds gpusim")
	}
	bin := filepath.Join(t.TempDir(), "gpusim")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/gpusim")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// fakeGpusim writes script, a shell script that stands for gpusim as the
// processes engine's child, and returns its path.
func fakeGpusim(t *testing.T, script string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the child is a shell script")
	}
	bin := filepath.Join(t.TempDir(), "gpusim")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestProcessesEngine runs the processes engine beside serial and parallel:
// its digest must equal theirs (Run fails on a mismatch), it reports its
// start-up and merge, and it gets a scaling row with its own fit.
func TestProcessesEngine(t *testing.T) {
	bin := buildGpusim(t)
	c := tinyConfig()
	c.Sweep = nil
	engines := append(CPUEngines(), ProcessesSpec(bin))
	rep, err := Run(context.Background(), c, engines)
	if err != nil {
		t.Fatal(err)
	}
	for _, wr := range rep.Workloads {
		m := rep.engine(wr.Workload, ProcessesEngine)
		if m == nil || m.Digest != wr.Digest || m.Startup <= 0 || m.Merge <= 0 {
			t.Errorf("%v: processes measurement %+v, workload digest %v", wr.Workload, m, wr.Digest)
		}
	}
	i := slices.IndexFunc(rep.Scaling, func(s Scaling) bool { return s.Engine == ProcessesEngine })
	// 2 processes on 1 CPU oversubscribe it: no fit (setFit).
	if i < 0 || len(rep.Scaling[i].Points) != 2 || (rep.Scaling[i].Fit == nil) != (runtime.NumCPU() < 2) {
		t.Fatalf("scaling %+v: want processes at 1 and 2 workers with a fit where there are 2 CPUs", rep.Scaling)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "START-UP") || !strings.Contains(b.String(), processesDevice(runtime.GOMAXPROCS(0))) {
		t.Errorf("text report has no start-up column or processes device:\n%s", b.String())
	}

	// By default a child per core of GOMAXPROCS, as the parallel
	// engine's goroutines (it was one per CPU, whatever GOMAXPROCS said).
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	p := sim.Default()
	p.Lanes, p.Steps = 1000, 3
	res, err := (&Processes{Binary: bin}).Run(context.Background(), &sim.Job{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	if res.Device != "1 process x serial" {
		t.Errorf("GOMAXPROCS 1: device %q, want 1 process x serial", res.Device)
	}
}

// TestProcessesChildFails: a child that cannot run fails the run, naming
// the shard, rather than giving a partial result.
func TestProcessesChildFails(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 100, 3
	e := &Processes{Binary: filepath.Join(t.TempDir(), "no-gpusim"), Workers: 2}
	_, err := e.Run(context.Background(), &sim.Job{Params: p})
	if err == nil || !strings.Contains(err.Error(), "shard 0/2") && !strings.Contains(err.Error(), "shard 1/2") {
		t.Fatalf("got %v, want an error naming a shard", err)
	}
	if _, err := e.Run(context.Background(), &sim.Job{Params: p, KeepFinals: true}); err == nil {
		t.Error("finals asked of processes: no error")
	}
}

// TestProcessesChildRefused: a child that gpusim refuses says why in the
// run's error, its "gpusim: error:" line, not only the hint after it: under
// ulimit -v 1400000 bench's processes engine failed with "exit status 2:
// gpusim: hint: Go's runtime reserves about 1.2 GB ...", the limit to set
// left out.
func TestProcessesChildRefused(t *testing.T) {
	bin := fakeGpusim(t, "#!/bin/sh\necho 'gpusim: error: ulimit -v: the address-space limit leaves 36.1 MB: raise it to ulimit -v 1820000 or more' >&2\necho 'gpusim: hint: Go'\\''s runtime reserves about 1.2 GB' >&2\nexit 2\n")
	p := sim.Default()
	p.Lanes, p.Steps = 100, 3
	e := &Processes{Binary: bin, Workers: 2}
	_, err := e.Run(context.Background(), &sim.Job{Params: p})
	if err == nil || !strings.Contains(err.Error(), "exit status 2: gpusim: error: ulimit -v: the address-space limit leaves 36.1 MB: raise it to ulimit -v 1820000 or more") {
		t.Fatalf("got %v, want the child's error line", err)
	}
}

// TestChildArgs: the child's flags name the whole job, the shard and the part.
func TestChildArgs(t *testing.T) {
	p := sim.Default()
	args := strings.Join(ChildArgs(p, "serial", 1, 4, "/tmp/p.json"), " ")
	for _, want := range []string{"run ", "--lanes 5000000", "--shard 1/4", "--save /tmp/p.json", "--format json", "serial"} {
		if !strings.Contains(args, want) {
			t.Errorf("ChildArgs %q lacks %q", args, want)
		}
	}
}

// TestMergeArgs: a part under a folder whose name starts with "-"
// (TMPDIR=-x) is passed as ./-x/..., which merge reads as a file; it read
// as a flag after the files, and the processes engine failed.
func TestMergeArgs(t *testing.T) {
	got := MergeArgs([]string{"-x/part-0.json", "/tmp/part-1.json", "x/part-2.json"})
	want := []string{"merge", "--format", "json", "./-x/part-0.json", "/tmp/part-1.json", "x/part-2.json"}
	if !slices.Equal(got, want) {
		t.Errorf("MergeArgs = %q, want %q", got, want)
	}
}

// TestCheckTempDir: a temporary folder the processes engine cannot use is
// found before the benchmark, naming the folder and TMPDIR, and a run on
// it fails with the same reason (it read "stat /x: no such file or
// directory").
func TestCheckTempDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the temporary folder comes from TMP, TEMP or USERPROFILE")
	}
	t.Setenv("TMPDIR", t.TempDir())
	if err := CheckTempDir(); err != nil {
		t.Fatalf("CheckTempDir in a fresh folder: %v", err)
	}
	gone := filepath.Join(t.TempDir(), "gone")
	t.Setenv("TMPDIR", gone)
	want := "cannot make a folder for its part files in the temporary folder \"" + gone + "\" (TMPDIR): no such file or directory"
	if err := CheckTempDir(); err == nil || err.Error() != want {
		t.Errorf("CheckTempDir: %v, want %q", err, want)
	}
	p := sim.Default()
	p.Lanes, p.Steps = 100, 3
	e := &Processes{Binary: "gpusim", Workers: 1}
	if _, err := e.Run(context.Background(), &sim.Job{Params: p}); err == nil || err.Error() != "processes: "+want {
		t.Errorf("Run: %v, want %q", err, "processes: "+want)
	}
}

// TestProcessesCapped: the processes engine starts a child a lane at most,
// as the CPU engines start a goroutine a block of lanes at most, and its
// device and the scaling table say how many ran: --workers 3 on 2 lanes
// started 3 children, one on a shard without lanes, and the scaling row
// read 3 workers where 2 ran.
func TestProcessesCapped(t *testing.T) {
	const lanes, steps, workers = 2, 3, 3
	bin := buildGpusim(t)
	spec := ProcessesSpec(bin)
	if spec.MaxWorkers == nil || spec.MaxWorkers(lanes, steps) != lanes {
		t.Fatalf("ProcessesSpec's MaxWorkers on %d lanes: want %d", lanes, lanes)
	}
	p := sim.Default()
	p.Lanes, p.Steps = lanes, steps
	res, err := (&Processes{Binary: bin, Workers: workers}).Run(context.Background(), &sim.Job{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	if want := processesDevice(lanes); res.Device != want {
		t.Errorf("%d workers on %d lanes: device %q, want %q", workers, lanes, res.Device, want)
	}
	c := tinyConfig()
	c.Workloads, c.Workers, c.Sweep, c.Reps, c.Warmup = []Workload{{lanes, steps}}, []int{workers}, nil, 1, 0
	rep, err := Run(context.Background(), c, []EngineSpec{CPUEngines()[0], spec})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if len(rep.Scaling) != 1 || rep.Scaling[0].Points[len(rep.Scaling[0].Points)-1].RanWorkers() != lanes ||
		!strings.Contains(b.String(), "3 (2 ran)") || !strings.Contains(b.String(), "starts 2 processes at most (one a lane)") {
		t.Errorf("scaling %+v: want the %d workers' point to say %d ran\n%s", rep.Scaling, workers, lanes, b.String())
	}
}

// TestProcessesChildHint: a child's failure reaches the run's error whole
// and with its hint: how it ended (its exit status), its error's every line
// (a build log after the status, an error's indented list) where its last
// one alone was kept, or, where it wrote no error, its panic rather than a
// stack frame; and its "gpusim: hint:" line, which the error dropped, is
// the error's Hint, which bench's report gives (EngineFailure.Hint).
func TestProcessesChildHint(t *testing.T) {
	for _, c := range []struct {
		name, stderr string
		code         int
		want, hint   string
	}{
		{"build log", "gpusim: note: a cold start\ngpusim: error: opencl: clBuildProgram: CL_BUILD_PROGRAM_FAILURE (-11)\ngpusim: error: build log:\ngpusim: error: <kernel>:7:1: error: bad\n" +
			"gpusim: hint: the OpenCL C compiler rejected the kernel: see the build log\n", 1,
			"exit status 1: gpusim: error: opencl: clBuildProgram: CL_BUILD_PROGRAM_FAILURE (-11)\nbuild log:\n<kernel>:7:1: error: bad", "the OpenCL C compiler rejected the kernel: see the build log"},
		{"list", "gpusim: error: opencl: no device 3 (valid range 0..0); devices:\n  0: pthread (pocl, CPU)\ngpusim: hint: see gpusim devices\n", 2,
			"exit status 2: gpusim: error: opencl: no device 3 (valid range 0..0); devices:\n  0: pthread (pocl, CPU)", "see gpusim devices"},
		{"panic", "panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/gpusim/main.go:9 +0x1d\n", 2,
			"exit status 2: panic: runtime error: index out of range [3] with length 3", ""},
		{"silent", "", 3, "run: exit status 3", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "stderr"), []byte(c.stderr), 0o644); err != nil {
				t.Fatal(err)
			}
			bin := fakeGpusim(t, fmt.Sprintf("#!/bin/sh\ncat %q >&2\nexit %d\n", filepath.Join(dir, "stderr"), c.code))
			cfg := tinyConfig()
			cfg.Workloads, cfg.Scaling, cfg.Sweep = cfg.Workloads[:1], false, nil
			rep, err := Run(context.Background(), cfg, []EngineSpec{CPUEngines()[0], ProcessesSpec(bin)})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Failures) != 1 {
				t.Fatalf("failures %+v, want the processes engine's", rep.Failures)
			}
			f := rep.Failures[0]
			if !strings.HasSuffix(f.Error, c.want) || f.Hint != c.hint {
				t.Errorf("failure %q (hint %q), want one ending %q (hint %q)", f.Error, f.Hint, c.want, c.hint)
			}
		})
	}
}
