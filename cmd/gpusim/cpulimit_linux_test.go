package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestCPULimit: a run that reaches the CPU time limit (ulimit -t) stops as
// for a signal, with exit 152 (128 + SIGXCPU), a word of the limit and no
// file left, whether the limit is soft alone or a shell's ulimit -t (soft
// and hard, where the kernel sends no SIGXCPU, only SIGKILL at the limit:
// gpusim lowers its soft limit for a SIGXCPU first, interrupt.CPUGrace).
// Under ulimit -St 1 the run went on past it (Go's runtime ignores SIGXCPU
// unless notified), and under ulimit -t 2 it was killed mid-run without a
// word.
func TestCPULimit(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	bin := buildGpusim(t)
	for _, limit := range []string{"-St 1", "-t 2"} {
		dir := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, sh, "-c", `ulimit `+limit+` || exit 99; exec "$0" run --engine serial --lanes 2e7 --steps 1e4 --out f.npy -q`, bin)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+dir+"/cache")
		out, _ := cmd.CombinedOutput()
		timedOut := ctx.Err() != nil
		cancel()
		code := cmd.ProcessState.ExitCode()
		if code == 99 {
			t.Skipf("ulimit %s refused here: %s", limit, out)
		}
		if timedOut {
			t.Fatalf("ulimit %s: the run went on past the limit for 60 s\n%s", limit, out)
		}
		if want := "gpusim: CPU time limit exceeded (ulimit -t "; code != 152 || !strings.Contains(string(out), want) {
			t.Errorf("ulimit %s: exit %d; want 152 and %q\n%s", limit, code, want, out)
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.Name() != "cache" {
				t.Errorf("ulimit %s: %s left in the run's folder", limit, e.Name())
			}
		}
	}
}
