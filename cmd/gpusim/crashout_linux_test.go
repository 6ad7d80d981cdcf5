//go:build amd64

package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpusim/gpusim/bench"
)

// crashOut is one command of TestCrashOutputs run under the forwarding
// driver with fault, on a copy of the warm cache: its exit status, stdout,
// stderr and the files left in its own folder (OUT in its line).
type crashOut struct {
	code           int
	stdout, stderr string
	left           []string
}

// runCrashOut runs line, its first word the command (gpusim, gpusim-tty,
// gpusim-named) and OUT the folder of its files, with the FAKECL_FAULT
// fault, whose words after the first are more of the environment.
func runCrashOut(t *testing.T, env []string, warm, fault, line string) crashOut {
	t.Helper()
	cache, dir := filepath.Join(t.TempDir(), "cache"), t.TempDir()
	if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
		t.Error(err)
		return crashOut{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	args := strings.Fields(strings.ReplaceAll(line, "OUT", dir))
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	// fault's words after the first are more of the environment.
	more := strings.Fields(fault)
	cmd.Env = slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache, "FAKECL_FAULT=" + more[0]}, more[1:])
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	r := crashOut{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Error(err)
	}
	for _, e := range entries {
		r.left = append(r.left, e.Name())
	}
	return r
}

// TestCrashOutputs: an OpenCL driver's crash in gpusim's own process
// (its handler: gpu/cl/crash.go) ends the command as its other errors do.
// It removes the temporary files of the outputs where they have names (a
// file system without unnamed files: gpusim-named), where it left every
// one (.r.npy.tmp-..., .p.json.tmp-..., .x.html.tmp-...); it erases the
// progress bar on a terminal before its error (the bytes the bar's Stop
// writes), where the error followed the bar on its line; selftest and
// devices with --format json write their error's document on stdout
// (error and hint, as for a crash the probe's child finds), where they
// wrote nothing, and run's stdout stays empty, as for its other errors;
// and the hint is worded for the command: bench's names --engines,
// selftest's gpusim run --engine, where each read --engine.
func TestCrashOutputs(t *testing.T) {
	lib, warm, env := forwardingDriver(t)
	said := "the OpenCL driver " + lib + " crashed (SIGSEGV) when asked "
	const cpu = "GPUSIM_OPENCL_LIBRARY=PATH loads another libOpenCL.so; or run on a CPU engine "
	const launch = "crash:clEnqueueNDRangeKernel"
	const files = " --out OUT/r.npy --save OUT/p.json --html OUT/x.html --plot OUT/h.svg"
	lines := []struct{ fault, line string }{
		{launch, "gpusim-named run --device 0 --lanes 1e5 --steps 10" + files},
		{launch, "gpusim run --device 0 --lanes 1e5 --steps 10 --format json" + files},
		// The run's second launch, past the first at the engine's start:
		// the bar is drawn.
		{launch + "@2", "gpusim-tty run --device 0 --lanes 1e5 --steps 10"},
		{"crash:clCreateCommandQueue", "gpusim selftest --format json"},
		{"crash:clGetPlatformIDs", "gpusim devices --format json"},
		{launch, "gpusim bench --engines opencl --lanes 1000 --steps 10 --reps 1 --warmup 0 --baseline none --format json"},
	}
	rs := make([]crashOut, len(lines))
	var wg sync.WaitGroup
	for i, l := range lines {
		wg.Go(func() { rs[i] = runCrashOut(t, env, warm, l.fault, l.line) })
	}
	wg.Wait()
	for i, l := range lines {
		r := rs[i]
		t.Run(l.line, func(t *testing.T) {
			if r.code != 1 || !strings.Contains(r.stderr, "gpusim: error: "+said) {
				t.Fatalf("exit status %d, stderr %q: want 1 and the crash's error", r.code, r.stderr)
			}
			if len(r.left) > 0 {
				t.Errorf("left %q beside the outputs: want nothing", r.left)
			}
			cmd := strings.Fields(l.line)[1]
			switch {
			case strings.HasPrefix(l.line, "gpusim-tty"):
				// The bar's last frame, then its erasure: \r, spaces
				// over it, \r, and the error at the line's start.
				before, _, _ := strings.Cut(r.stderr, "gpusim: error: ")
				frames := strings.Split(before, "\r")
				n := len(frames)
				if n < 4 || frames[n-1] != "" || strings.TrimLeft(frames[n-2], " ") != "" || len(frames[n-2]) < len(strings.TrimRight(frames[n-3], " ")) {
					t.Errorf("stderr before the error %q: want the bar's frames, then \\r, spaces over the last and \\r", before)
				}
			case cmd == "selftest" || cmd == "devices":
				var doc map[string]any
				if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
					t.Fatalf("stdout %q is not one JSON document: %v", r.stdout, err)
				}
				hint, _ := doc["hint"].(string)
				msg, _ := doc["error"].(string)
				if !strings.HasPrefix(msg, said) || !strings.Contains(r.stderr, "gpusim: error: "+msg+"\ngpusim: hint: "+hint+"\n") || !strings.HasSuffix(hint, cpu+"(gpusim run --engine simd)") {
					t.Errorf("document %v, stderr %q: want the error and hint said on stderr, the hint naming gpusim run --engine", doc, r.stderr)
				}
				if _, ok := doc["devices"]; !ok {
					t.Errorf("document %v: want its devices, none", doc)
				}
			case r.stdout != "":
				t.Errorf("stdout %q: want nothing, as for run's and bench's other errors before their report", r.stdout)
			}
			if cmd == "bench" && !strings.HasSuffix(r.stderr, cpu+"(--engines simd)\n") {
				t.Errorf("stderr %q: want the hint to name --engines", r.stderr)
			}
		})
	}
}

// TestCrashBenchReport: an OpenCL driver's crash in gpusim's process in
// the middle of a bench (opencl's start, after serial's measurement)
// prints what a stop prints: on stdout the partial report of the
// measurements that finished in --format, its first line (the JSON's
// interrupted, the CSV's first row) saying the driver crashed and what
// did not run, and after the crash's error and hint the note that it is
// partial and that --html and --plot were not written; the folders --plot
// made are removed, as a stop removes them. stdout was empty, serial's
// median on its progress line alone, and --plot's folders were left.
func TestCrashBenchReport(t *testing.T) {
	lib, warm, env := forwardingDriver(t)
	const line = "gpusim bench --engines serial,opencl --lanes 1000 --steps 10 --reps 1 --warmup 0 --baseline none --no-scaling --no-sweep --html OUT/x.html --plot OUT/p/q --format "
	const head = "partial report: the OpenCL driver crashed in the measurement that began after "
	const notRun = "not run: engines table: 1 of 2 planned measurements"
	formats := []string{"text", "json", "csv", "markdown"}
	rs := make([]crashOut, len(formats))
	var wg sync.WaitGroup
	for i, f := range formats {
		wg.Go(func() { rs[i] = runCrashOut(t, env, warm, "crash:clEnqueueNDRangeKernel", line+f) })
	}
	wg.Wait()
	for i, f := range formats {
		r := rs[i]
		t.Run(f, func(t *testing.T) {
			said := "gpusim: error: the OpenCL driver " + lib + " crashed (SIGSEGV) when asked "
			note := "\ngpusim: note: the OpenCL driver crashed: the report on stdout is partial, the measurements that finished (its first line says what did not run); --html, --plot not written: a bench that crashed leaves its output files as they were\n"
			if r.code != 1 || !strings.Contains(r.stderr, said) || !strings.HasSuffix(r.stderr, "(--engines simd)"+note) {
				t.Fatalf("exit status %d, stderr %q: want 1, the crash's error and hint, then the note", r.code, r.stderr)
			}
			if len(r.left) > 0 {
				t.Errorf("left %q beside the outputs: want nothing, --plot's folders removed", r.left)
			}
			switch f {
			case "text", "markdown":
				first, _, _ := strings.Cut(r.stdout, "\n")
				if !strings.HasPrefix(first, "note: "+head) && !strings.HasPrefix(first, "**Note: "+head) {
					t.Errorf("first line %q: want the crash's partial report line", first)
				}
				if !strings.Contains(first, notRun) || !strings.Contains(r.stdout, "serial") || strings.Contains(r.stdout, "opencl:0") {
					t.Errorf("stdout %q: want serial's row alone, and %q", r.stdout, notRun)
				}
			case "json":
				var doc struct {
					Interrupted struct {
						Signal, Crash string
						NotRun        []string `json:"not_run"`
					}
					Workloads []struct{ Engines []struct{ Engine string } }
				}
				if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
					t.Fatalf("stdout %q is not one JSON document: %v", r.stdout, err)
				}
				if in := doc.Interrupted; in.Signal != "crashed" || in.Crash != "the OpenCL driver" || len(in.NotRun) != 1 || len(doc.Workloads) != 1 || len(doc.Workloads[0].Engines) != 1 || doc.Workloads[0].Engines[0].Engine != "serial" {
					t.Errorf("document %+v: want the crash's interruption and serial's measurement alone", doc)
				}
			case "csv":
				rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
				if err != nil || len(rows) < 3 {
					t.Fatalf("stdout %q: %v, want the CSV", r.stdout, err)
				}
				if rows[1][0] != "interrupted" || !strings.HasPrefix(rows[1][21], head) || rows[2][0] != "engine" || rows[2][3] != "serial" || (len(rows) > 3 && rows[3][0] == "engine") {
					t.Errorf("rows %q: want the interrupted row, then serial's alone", rows[:3])
				}
			}
		})
	}
}

// TestCrashReportWhole: the report a crash after bench's last
// measurement prints (before the report is written) is whole, and its
// note says so, as a stop's there does; a partial one's says it is
// partial; each names the files not written.
func TestCrashReportWhole(t *testing.T) {
	rep := &bench.Report{Mode: "test", Baseline: "serial"}
	opts := benchOptions{format: "text", html: "x.html"}
	out, note := crashReport(rep, opts)
	if len(out) == 0 || string(note) != "gpusim: note: the OpenCL driver crashed after the last measurement: the report on stdout is whole; --html not written: a bench that crashed leaves its output files as they were\n" {
		t.Errorf("whole: stdout %q, note %q", out, note)
	}
	rep.Interrupted = &bench.Interruption{Signal: "crashed", Crash: "the OpenCL driver"}
	if out, note = crashReport(rep, opts); !strings.HasPrefix(string(out), "note: partial report: the OpenCL driver crashed ") || !strings.HasPrefix(string(note), "gpusim: note: the OpenCL driver crashed: the report on stdout is partial") {
		t.Errorf("partial: stdout %q, note %q", out, note)
	}
}

// TestCrashRunNotes: an OpenCL driver's crash in a run's process writes,
// after its error and hint, the note a stop writes, worded for the crash:
// the files not written, left as they were, and for a shard which to run
// again (Slurm's log then names it). The crash wrote its error alone.
func TestCrashRunNotes(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	lines := []struct{ line, note string }{
		{"gpusim run --device 0 --lanes 1e5 --steps 10 --shard 1/2 --save OUT/p.json", `--save "OUT/p.json" was not, and a file already there is as it was; run shard 1 of 2 again with --shard 1/2 and the job's other flags`},
		{"gpusim run --device 0 --lanes 1e5 --steps 10 --out OUT/r.npy --save OUT/p.json", `--out "OUT/r.npy" and --save "OUT/p.json" were not, and a file already there is as it was`},
	}
	rs := make([]crashOut, len(lines))
	dirs := make([]string, len(lines))
	var wg sync.WaitGroup
	for i, l := range lines {
		dirs[i] = t.TempDir()
		line := strings.ReplaceAll(l.line, "OUT", dirs[i])
		wg.Go(func() { rs[i] = runCrashOut(t, env, warm, "crash:clEnqueueNDRangeKernel@2", line) })
	}
	wg.Wait()
	for i, l := range lines {
		r := rs[i]
		t.Run(l.line, func(t *testing.T) {
			want := "\ngpusim: note: the OpenCL driver crashed before its files were written: " + strings.ReplaceAll(l.note, "OUT", dirs[i]) + "\n"
			if r.code != 1 || !strings.Contains(r.stderr, "gpusim: error: the OpenCL driver ") || !strings.HasSuffix(r.stderr, "(--engine simd)"+want) {
				t.Errorf("exit status %d, stderr %q: want 1, the crash's error and hint, then %q", r.code, r.stderr, want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q: want nothing", r.stdout)
			}
		})
	}
}
