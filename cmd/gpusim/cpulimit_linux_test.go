package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
		out, code, timedOut := runLimited(dir, sh, `ulimit `+limit+` || exit 99; exec "$0" run --engine serial --lanes 2e7 --steps 1e4 --out f.npy -q`, bin)
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

// TestCPULimitHard: under ulimit -t 1, where the kernel sends no SIGXCPU
// before its SIGKILL (the soft limit is the hard one and cannot be set
// lower in whole seconds), a run stops before the limit as at a SIGXCPU
// (interrupt.WatchCPU): exit 152, its message, no file left; it was
// killed mid-run, exit 137 and not a word. A limit the process has
// nearly spent before gpusim starts (a shell that burns 0.7 s of its
// CPU second, then execs gpusim, which keeps its CPU time) is refused
// before work starts, with exit 2 naming the limit; it too was a
// SIGKILL. The run is pinned to one CPU (taskset): WatchCPU's margin
// grows with the CPUs the process may run on, and on many it refuses
// ulimit -t 1 outright.
func TestCPULimitHard(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		t.Skip("no taskset")
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Skip("no affinity:", err)
	}
	cpu := 0
	for !set.IsSet(cpu) {
		cpu++
	}
	bin := buildGpusim(t)
	// burn spends the shell's own CPU time (read and set are builtins:
	// no child's time) up to 0.7 s, as /proc/$$/stat counts it in ticks.
	tick := 100
	if out, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > 0 {
			tick = n
		}
	}
	burn := `while :; do read -r l </proc/$$/stat; set -- $l; [ $((${14}+${15})) -ge ` + strconv.Itoa(tick*7/10) + ` ] && break; done; `
	for _, c := range []struct {
		name, script string
		code         int
		want         string
	}{
		{"run", ``, 152, "gpusim: CPU time limit exceeded (ulimit -t 1: 1 s of CPU time on all threads together)"},
		{"spent", burn, 2, "gpusim: error: ulimit -t: the CPU time limit (ulimit -t 1: "},
	} {
		dir := t.TempDir()
		out, code, timedOut := runLimited(dir, sh, `ulimit -t 1 || exit 99; ts=$0 cpu=$1 bin=$2; `+c.script+`exec "$ts" -c "$cpu" "$bin" run --engine serial --lanes 2e7 --steps 1e4 --out f.npy -q`, taskset, strconv.Itoa(cpu), bin)
		if code == 99 {
			t.Skipf("ulimit -t 1 refused here: %s", out)
		}
		if timedOut {
			t.Fatalf("%s: the run went on past the limit for 60 s\n%s", c.name, out)
		}
		if code != c.code || !strings.Contains(string(out), c.want) {
			t.Errorf("%s: exit %d; want %d and %q\n%s", c.name, code, c.code, c.want, out)
		}
		if c.code == 2 && !strings.Contains(string(out), "raise it to ulimit -t ") {
			t.Errorf("%s: the refusal names no limit to set\n%s", c.name, out)
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.Name() != "cache" {
				t.Errorf("%s: %s left in the run's folder", c.name, e.Name())
			}
		}
	}
}

// runLimited runs the shell sh on script with args in dir, with gpusim's
// cache there, for 60 s at most: its output, exit status, and whether the
// 60 s ran out.
func runLimited(dir, sh, script string, args ...string) (out []byte, code int, timedOut bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh, append([]string{"-c", script}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+dir+"/cache")
	out, _ = cmd.CombinedOutput()
	return out, cmd.ProcessState.ExitCode(), ctx.Err() != nil
}
