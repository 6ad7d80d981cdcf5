//go:build amd64

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCrashReleasing: a driver that crashes (SIGSEGV) releasing what
// gpusim made on a device (its queue and kernels, programs, context) ends
// the command with exit 1, an error naming the release and the hint of a
// driver that crashes releasing, where it got the hint of one that
// crashes setting a device up ("try --engine simd" for a job whose report
// was whole). Where the report is already written whole (run's release
// after it), the error says so; before it (selftest between its two
// programs, bench between its measurements) it does not. The status stays
// 1: the driver crashed (cl.CrashAfterReport).
func TestCrashReleasing(t *testing.T) {
	lib, warm, env := forwardingDriver(t)
	const hint = "gpusim: hint: a driver that lists its devices and then crashes releasing what gpusim made on one (clinfo -l lists them all the same): GPUSIM_OPENCL_LIBRARY=PATH loads another libOpenCL.so; or run on a CPU engine (--engine simd)\n"
	const whole = "; the job's report is whole, written before the crash\n"
	run := "run --device 0 --lanes 1000 --steps 10"
	cases := []struct {
		fault, line, what string
		whole             bool // the report written whole before the crash
		hint              string
		partial           bool // bench's partial report on stdout and its note after the hint
	}{
		{"crash:clReleaseContext", run, "the context for", true, hint, false},
		{"crash:clReleaseProgram", run, "the programs for", true, hint, false},
		{"crash:clReleaseCommandQueue", run, "the queue and kernels on", true, hint, false},
		{"crash:clReleaseContext", "selftest --device 0", "the context for", false, strings.Replace(hint, "(--engine", "(gpusim run --engine", 1), false},
		{"crash:clReleaseKernel", "bench --engines opencl:0,simd --lanes 1000 --steps 10 --reps 1 --warmup 0 --no-sweep --baseline none", "the queue and kernels on", false, strings.Replace(hint, "(--engine", "(--engines", 1), true},
	}
	type result struct {
		code           int
		stdout, stderr string
	}
	results := make([]result, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		cache := filepath.Join(t.TempDir(), "cache")
		if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			cmd := exec.Command("gpusim", strings.Fields(c.line)...)
			cmd.Env = slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache, "FAKECL_FAULT=" + c.fault})
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			kill := time.AfterFunc(40*time.Second, func() { _ = cmd.Process.Kill() })
			defer kill.Stop()
			_ = cmd.Run()
			results[i] = result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
		})
	}
	wg.Wait()
	said := "gpusim: error: the OpenCL driver " + lib + " crashed (SIGSEGV) when asked for the release of "
	// bench's note after the hint, and the partial report, with the
	// measurement whose engine's release crashed (docs/bench.md;
	// TestCrashBenchReleaseReport).
	const partialNote = "gpusim: note: the OpenCL driver crashed: the report on stdout is partial, the measurements that finished (its first line says what did not run)\n"
	const partialReport = "note: partial report: the OpenCL driver crashed after the measurement of opencl:0 on 1k x 10 had finished (it is shown), in or after its engine's release, "
	for i, c := range cases {
		r := results[i]
		t.Run(c.fault+" "+c.line, func(t *testing.T) {
			_, rest, named := strings.Cut(r.stderr, said+c.what+" device 0 (")
			// The device's words close with its last ")" on the error's
			// line: its name can hold parentheses of its own (pocl's
			// "Intel(R) Xeon(R) Processor"), where the first ")" cut
			// the line inside the name.
			line, _, _ := strings.Cut(rest, "\n")
			after := line[strings.LastIndex(line, ")")+1:] + "\n"
			last := c.hint
			if c.partial {
				last += partialNote
			}
			switch {
			case r.code != 1 || !named || !strings.HasSuffix(r.stderr, last):
				t.Errorf("exit status %d, stderr %q: want 1, the error naming the release of %s device 0, and last %q", r.code, r.stderr, c.what, last)
			case c.partial && !strings.HasPrefix(r.stdout, partialReport):
				t.Errorf("stdout %q: want the partial report, first %q", r.stdout, partialReport)
			case c.whole && (!strings.HasPrefix(after, whole) || !strings.Contains(r.stdout, "digest")):
				t.Errorf("stderr %q, stdout %q: want the report, and the error saying it is whole (%q)", r.stderr, r.stdout, whole)
			case !c.whole && strings.Contains(r.stderr, whole):
				t.Errorf("stderr %q: says the report is whole, which the command had not written", r.stderr)
			}
		})
	}
}
