//go:build amd64

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestCrashOutsideProgram: a driver's crash in gpusim's process in a call
// that is not about a cached program leaves no mark on it, so the next
// start loads it: a crash creating the queue or the engine's first buffer
// (the probe's record holds, so no child asked for them first), or in the
// self-test's program's first launch (whose own entry alone is then
// discarded). Each was inside the engine's program's loading mark, and the
// next start discarded the good cached program and compiled it again
// ("compiling the OpenCL program for device 0 (...) again"). A crash
// creating the queue drops the probe's record too: auto's start after it
// runs on simd with the probe's child's word on it, exit 0, where it
// crashed again in gpusim's process (exit 1). A crash creating the queue
// or the buffer is the device's set-up's, whose own mark refuses the
// device (TestCrashRemembered) until it is removed: then the program is
// loaded.
func TestCrashOutsideProgram(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	const run = "run --device 0 --lanes 1000 --steps 10"
	const engine = "gpusim: note: compiling the OpenCL program for device 0 ("
	const selfTest = "gpusim: note: compiling the self-test's OpenCL program for device 0 ("
	cases := []struct {
		fault    string
		checks   bool   // the self-test's checks run: no stored pass
		want     string // in the next start's stderr; "" for no compile at all
		autoNext bool   // auto's start with the fault runs on simd
		setUp    bool   // the device's set-up's mark refuses the next start
	}{
		{"crash:clCreateCommandQueue", false, "", true, true},
		{"crash:clCreateBuffer", false, "", false, true},
		{"crash:clEnqueueNDRangeKernel", true, selfTest, false, false},
	}
	setUpMark := regexp.MustCompile(`rm -f ([^\s;,]+\.setup\.[0-9a-f]+\.[0-9]+)`)
	var wg sync.WaitGroup
	for _, c := range cases {
		cache := filepath.Join(t.TempDir(), "cache")
		if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
			t.Fatal(err)
		}
		if c.checks {
			if err := os.RemoveAll(filepath.Join(cache, "selftest")); err != nil {
				t.Fatal(err)
			}
		}
		caseEnv := slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache})
		wg.Go(func() {
			t.Run(c.fault, func(t *testing.T) {
				if r := runSetUpCase(setUpCase{line: run}, slices.Concat(caseEnv, []string{"FAKECL_FAULT=" + c.fault})); r.code != 1 || !strings.Contains(r.stderr, " crashed (SIGSEGV) when asked ") {
					t.Fatalf("exit status %d, stderr %q: want the driver's crash", r.code, r.stderr)
				}
				if c.autoNext {
					r := runSetUpCase(setUpCase{line: "run --lanes 2e7 --steps 200"}, slices.Concat(caseEnv, []string{"FAKECL_FAULT=" + c.fault}))
					if r.code != 0 || !strings.Contains(r.stderr, "gpusim: note: opencl failed, running on simd: ") {
						t.Errorf("auto after the crash: exit status %d, stderr %q: want exit 0 on simd, the probe's child's crash in its note", r.code, r.stderr)
					}
				}
				r := runSetUpCase(setUpCase{line: run}, caseEnv)
				if c.setUp {
					m := setUpMark.FindStringSubmatch(r.stderr)
					if r.code != 1 || m == nil {
						t.Fatalf("the start after the crash: exit status %d, stderr %q: want 1 and the mark of the device's set-up to remove", r.code, r.stderr)
					}
					if err := os.Remove(m[1]); err != nil {
						t.Fatal(err)
					}
					r = runSetUpCase(setUpCase{line: run}, caseEnv)
				}
				switch {
				case r.code != 0 || strings.Contains(r.stderr, "crashed (SIG"):
					t.Fatalf("the start after the crash: exit status %d, stderr %q: want 0", r.code, r.stderr)
				case strings.Contains(r.stderr, engine):
					t.Errorf("the start after the crash: stderr %q: the engine's cached program discarded and compiled again", r.stderr)
				case c.want == "" && strings.Contains(r.stderr, "discarded"), c.want != "" && !strings.Contains(r.stderr, c.want):
					t.Errorf("the start after the crash: stderr %q: want %q", r.stderr, c.want)
				}
			})
		})
	}
	wg.Wait()
}

// TestCrashDiscardSaidOnce: a process that ended while it held the loading
// marks of several cached programs (a start loads the engine's program
// and the self-test's; a kill -9 as both load) makes the next start
// discard them all and say so once, in the compile's note that names the
// others: it said the engine's in that note and each other's in a cache
// note of its own at the end.
func TestCrashDiscardSaidOnce(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	const run = "run --device 0 --lanes 1000 --steps 10"
	cache := filepath.Join(t.TempDir(), "cache")
	if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(cache, "selftest")); err != nil {
		t.Fatal(err) // the self-test's program is loaded too
	}
	caseEnv := slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache})
	// A crash loading the first program leaves a mark that names this
	// host and the process: the same process's mark on every entry.
	if r := runSetUpCase(setUpCase{line: run}, append(caseEnv, "FAKECL_FAULT=crash:clCreateProgramWithBinary")); r.code != 1 {
		t.Fatalf("exit status %d, stderr %q: want the driver's crash", r.code, r.stderr)
	}
	programs := filepath.Join(cache, "programs")
	marks, _ := filepath.Glob(filepath.Join(programs, "*.loading.*"))
	if len(marks) != 1 {
		t.Fatalf("loading marks %v: want one", marks)
	}
	_, rest, _ := strings.Cut(filepath.Base(marks[0]), ".loading.")
	ents, err := os.ReadDir(programs)
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, ent := range ents {
		if len(ent.Name()) == 32 {
			entries = append(entries, filepath.Join(programs, ent.Name()))
			if err := os.WriteFile(filepath.Join(programs, ent.Name()+".loading."+rest), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(entries) < 2 {
		t.Fatalf("entries %v: want the engine's and the self-test's", entries)
	}
	r := runSetUpCase(setUpCase{line: run}, caseEnv)
	if r.code != 0 || strings.Count(r.stderr, "discarded") != 1 {
		t.Fatalf("exit status %d, stderr %q: want 0 and the discard said once", r.code, r.stderr)
	}
	// The compile's note names its own program's entry as "its cached
	// one", and the others by path.
	named := 0
	for _, e := range entries {
		if strings.Contains(r.stderr, e) {
			named++
		}
	}
	if named != len(entries)-1 || !strings.Contains(r.stderr, "its cached one was discarded, and with it ") {
		t.Errorf("stderr %q: want the note to name what was discarded (%d of %v named)", r.stderr, named, entries)
	}
}
