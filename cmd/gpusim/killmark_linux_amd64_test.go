package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestKilledNotCrashed: a process killed (SIGKILL: kill -9, the
// out-of-memory killer) while the driver builds gpusim's program or sets
// the device up leaves the step's mark, as a crash there does, but no
// evidence of a crash (the crash handler's, cl.CrashMark), and the next
// start asks the driver again with a note that says so, exit 0: it was
// refused ("which may have crashed it: not asked again", exit 1) until
// the mark was removed by hand, though the driver did nothing wrong. The
// build hangs (hang:clBuildProgram, the set-up hang:clCreateBuffer) so
// that the kill comes in the step; TestCrashRemembered keeps a real
// crash's refusal.
func TestKilledNotCrashed(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	const device = "run --device 0 --lanes 1000 --steps 10"
	for _, c := range []struct {
		fault, suffix string
		warm          bool
		want          string
	}{
		{"hang:clBuildProgram", ".building.", false, " ended without a crash while the OpenCL driver built one of gpusim's programs for the device (killed by "},
		{"hang:clCreateBuffer", ".setup.", true, " ended without a crash while the OpenCL driver set the device up (its context, a queue or the engine's first buffer) (killed by "},
	} {
		t.Run(c.fault, func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "cache")
			if c.warm {
				if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
					t.Fatal(err)
				}
			} else {
				if err := os.Mkdir(cache, 0o755); err != nil {
					t.Fatal(err)
				}
				copyFile(t, filepath.Join(warm, "opencl-probe"), filepath.Join(cache, "opencl-probe"))
			}
			caseEnv := slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache})
			// killed starts the job under the hanging driver and kills it
			// once it holds a mark other than the one before, which it
			// returns with the start's stderr.
			killed := func(before string) (string, string) {
				cmd := exec.Command("gpusim", strings.Fields(device)...)
				cmd.Env = slices.Concat(caseEnv, []string{"FAKECL_FAULT=" + c.fault})
				var stderr strings.Builder
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				mark := waitMark(t, filepath.Join(cache, "programs"), c.suffix, before)
				cmd.Process.Kill()
				cmd.Wait()
				if mark == "" {
					t.Fatalf("no %s mark within 60 s; stderr %q", c.suffix, stderr.String())
				}
				return mark, stderr.String()
			}
			first, _ := killed("")
			// A start killed again in the step says at once why it asked
			// the driver again: the note was the cache's, said after a
			// run that ended well, so a start killed again never said it.
			mark, stderr := killed(first)
			if !strings.Contains(stderr, c.want) {
				t.Fatalf("a start killed again in the step: stderr %q, want the note with %q", stderr, c.want)
			}
			r := runSetUpCase(setUpCase{line: device}, caseEnv)
			if r.hung || r.code != 0 || !strings.Contains(r.stderr, "gpusim: note: cache: process ") || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "not asked again") {
				t.Fatalf("the start after the kill: exit status %d, stderr %q: want 0 and a note with %q", r.code, r.stderr, c.want)
			}
			if _, err := os.Lstat(mark); err == nil {
				t.Errorf("the killed process's mark %s is still there", mark)
			}
		})
	}
}

// waitMark waits for a mark of the kind suffix in dir other than the
// path except and returns its path once it holds what the crash handler watches (a few bytes, written
// as it is made) or 300 ms after it appeared, "" after 60 s without one.
func waitMark(t *testing.T, dir, suffix, except string) string {
	t.Helper()
	var seen time.Time
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if !strings.Contains(e.Name(), suffix) || filepath.Join(dir, e.Name()) == except {
				continue
			}
			if seen.IsZero() {
				seen = time.Now()
			}
			if info, err := e.Info(); err == nil && info.Size() > 0 || time.Since(seen) > 300*time.Millisecond {
				return filepath.Join(dir, e.Name())
			}
		}
	}
	return ""
}
