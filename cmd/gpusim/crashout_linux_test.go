//go:build amd64

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
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
