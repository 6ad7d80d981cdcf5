//go:build amd64 || arm64

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCrashRemembered: a driver that crashes gpusim's process building
// its program from source, or in a first launch of a program built from
// source, is not asked for that step again by the next start on that
// device, driver and program (the step's mark, gpu/stepmark.go): auto
// runs on simd with a note that names the earlier crash and the device,
// exit 0; run --device 0, selftest and bench --engines opencl exit 1 with
// an error that names the earlier crash and the step, and a hint that
// names the mark to remove. Each crashed again at every start, and auto,
// which chose the device, exited 1 each time. Once the mark is removed the
// driver is asked (and crashes) again. A build's crash refuses every
// program of the device and driver: a --daily run (another program) after
// a plain run's build crashed crashed once more.
func TestCrashRemembered(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	const built = " ended while the OpenCL driver built one of gpusim's programs for the device, which may have crashed it: not asked again"
	const launched = " ended while the OpenCL driver ran a first launch of the program, built from source, which may have crashed it: not asked again"
	const crashed = " crashed (SIGSEGV) when asked "
	const device = "run --device 0 --lanes 1000 --steps 10"
	mark := regexp.MustCompile(`rm -f ([^\s;]+\.(building|launching)\.[0-9a-f]+\.[0-9]+)`)
	for _, c := range []struct {
		fault   string
		warm    bool // a copy of warm; else a cache of warm's probe record alone
		line    string
		crashes int // the starts that crash, one after another
		code    int // the next start's exit status
		want    string
		next    string // the next start's command line, where not line
	}{
		// auto starts the device for a job predicted at 1 s or more on
		// simd (here some 2.7 s), which compiles its program.
		{"crash:clBuildProgram", false, "run --lanes 2e7 --steps 200", 1, 0, built, ""},
		{"crash:clBuildProgram", false, device, 1, 1, built, ""},
		{"crash:clBuildProgram", false, "selftest", 1, 1, built, ""},
		{"crash:clBuildProgram", false, "bench --engines opencl --lanes 1000 --steps 10 --reps 1 --warmup 0 --baseline none --no-sweep", 1, 1, built, ""},
		{"crash:clBuildProgram", false, device, 1, 1, built, device + " --daily"},
		// A cached program's first launch: its loading mark makes the
		// next start build the source, whose self-test's checks load
		// the self-test's cached program and crash in its first launch:
		// that program's loading mark alone (the engine's was lifted:
		// shared.focus), so the third builds the self-test's program
		// from source, whose first launch crashes too. The engine's
		// launching mark refused the third start, whose crash was not
		// in a launch of the engine's.
		{"crash:clEnqueueNDRangeKernel", true, device, 3, 1, launched, ""},
	} {
		next := c.next
		if next == "" {
			next = c.line
		}
		t.Run(c.fault+" "+c.line+" then "+next, func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "cache")
			if c.warm {
				if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
					t.Fatal(err)
				}
			} else {
				// No probe's child, which a loaded machine can keep past
				// its 10 s wait.
				if err := os.Mkdir(cache, 0o755); err != nil {
					t.Fatal(err)
				}
				copyFile(t, filepath.Join(warm, "opencl-probe"), filepath.Join(cache, "opencl-probe"))
			}
			caseEnv := slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache, "FAKECL_FAULT=" + c.fault})
			for i := range c.crashes {
				if r := runSetUpCase(setUpCase{line: c.line}, caseEnv); r.hung || r.code == 0 || !strings.Contains(r.stderr, crashed) {
					t.Fatalf("start %d: exit status %d, stderr %q: want the driver's crash", i+1, r.code, r.stderr)
				}
			}
			r := runSetUpCase(setUpCase{line: next}, caseEnv)
			m := mark.FindStringSubmatch(r.stderr)
			switch {
			case r.hung:
				t.Fatalf("still running after %v: %q", r.took, r.stderr)
			case r.code != c.code || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, crashed) || m == nil:
				t.Fatalf("the start after the crash: exit status %d, stderr %q: want %d, %q and the hint that names the mark to remove", r.code, r.stderr, c.code, c.want)
			case c.code == 0 && (!strings.Contains(r.stderr, "gpusim: note: opencl device 0 (") || !strings.Contains(r.stderr, "rm -f "+filepath.Join(cache, "auto.json")+"\n")):
				t.Errorf("stderr %q: want auto's note that names the device, and the hint that names its calibration", r.stderr)
			}
			// The hint's way to try again: the driver is asked again.
			if err := os.Remove(m[1]); err != nil {
				t.Fatal(err)
			}
			if c.code == 0 {
				if err := os.Remove(filepath.Join(cache, "auto.json")); err != nil {
					t.Fatal(err)
				}
			}
			if r := runSetUpCase(setUpCase{line: next}, caseEnv); r.code == 0 || !strings.Contains(r.stderr, crashed) {
				t.Errorf("the start after the mark's removal: exit status %d, stderr %q: want the driver's crash", r.code, r.stderr)
			}
		})
	}
}
