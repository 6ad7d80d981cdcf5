package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/testenv"
)

// procState is the state letter of pid in /proc (R, S, T, Z, ...), or ""
// where it is gone.
func procState(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return ""
}

// childPIDs is pid's child processes (/proc's children of each thread)
// running gpusim (or a test's gpusim-* variant, whose processes engine runs
// itself) with the argument sub first. Other children are left out:
// Go's os package forks a child that exits at once, the first time a
// program starts one (os.checkClonePidfd, to learn whether clone's
// CLONE_PIDFD works), and a child seen before its exec still runs bench's
// image; taking such a child for bench's first gpusim run failed 9 of 150
// runs of TestBenchCtrlZ with two busy loops on the cores ("gone" after
// the stop).
func childPIDs(pid int, sub string) []int {
	var pids []int
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, w := range strings.Fields(string(b)) {
			n, err := strconv.Atoi(w)
			if err != nil {
				continue
			}
			argv, _ := os.ReadFile(filepath.Join("/proc", w, "cmdline"))
			if args := strings.Split(string(argv), "\x00"); len(args) > 1 && strings.HasPrefix(filepath.Base(args[0]), "gpusim") && args[1] == sub {
				pids = append(pids, n)
			}
		}
	}
	return pids
}

// TestBenchCtrlZ stops a bench whose processes engine runs its gpusim
// children as a terminal's Ctrl-Z does (SIGTSTP to bench's process group):
// the children, in process groups of their own, are stopped too, and
// continued with bench (SIGCONT, as fg sends it). They ran on while bench
// was stopped. A SIGTERM then ends bench with 143 and no child left.
func TestBenchCtrlZ(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess stop tests skipped in -short mode")
	}
	cmd := exec.Command("gpusim", "bench", "--engines", "processes", "--lanes", "1e8", "--steps", "100", "--reps", "1", "--warmup", "0", "--no-sweep", "--no-scaling", "--baseline", "none")
	cmd.Dir = t.TempDir()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	var children []int
	for deadline := time.Now().Add(30 * time.Second); len(children) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no child within 30 s; stderr %q", stderr)
		}
		children = childPIDs(cmd.Process.Pid, "run")
	}
	defer func() {
		for _, c := range children {
			syscall.Kill(-c, syscall.SIGKILL)
		}
	}()
	time.Sleep(200 * time.Millisecond) // the child's group is tracked as it starts
	states := func() []string {
		s := []string{procState(cmd.Process.Pid)}
		for _, c := range children {
			s = append(s, procState(c))
		}
		return s
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGTSTP); err != nil {
		t.Fatal(err)
	}
	// Polled, not read once after a fixed sleep, which a loaded machine
	// can outlast: a stop not passed on never comes, and fails at 10 s.
	allStopped := func(s []string) bool { return strings.Join(s, "") == strings.Repeat("T", len(s)) }
	if s, ok := waitStates(states, allStopped); !ok {
		t.Errorf("after Ctrl-Z: bench and its children %v in states %q for 10 s; want every one stopped (T); stderr %q", append([]int{cmd.Process.Pid}, children...), s, stderr)
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	noneStopped := func(s []string) bool { return !strings.Contains(strings.Join(s, ""), "T") }
	if s, ok := waitStates(states, noneStopped); !ok {
		t.Errorf("after SIGCONT: bench and its children in states %q for 10 s; want none stopped", s)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, _ := exitCode(t, cmd); code != interrupt.ExitSIGTERM {
		t.Errorf("exit %d after SIGTERM, want %d; stderr %q", code, interrupt.ExitSIGTERM, stderr)
	}
	testenv.CheckGone(t, children, "bench's children")
}

// waitStates reads states every 10 ms until want holds of them, 10 s at
// most: the last states read, and whether want held.
func waitStates(states func() []string, want func([]string) bool) ([]string, bool) {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		s := states()
		if want(s) {
			return s, true
		}
		if time.Now().After(deadline) {
			return s, false
		}
	}
}

// TestBenchForcedExitRemovesParts sends SIGTERM to a bench of the
// processes engine whose run does not see the stop (gpusim-deaf-bench),
// while its children run their shards, so that the forced exit ends it:
// it exits 143, its children gone, and leaves nothing in the temporary
// folder. The processes engine's folder (gpusim-processes-*, its lock and
// the children's parts) stayed there until the next bench's start
// removed it, and for good where the folder takes no lock.
func TestBenchForcedExitRemovesParts(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess stop tests skipped in -short mode")
	}
	tmp := t.TempDir()
	cmd := exec.Command("gpusim-deaf-bench", "bench", "--lanes", "5e7", "--steps", "100", "--reps", "1", "--warmup", "0",
		"--no-sweep", "--no-scaling", "--baseline", "none", "--engines", "processes")
	cmd.Dir, cmd.Env = t.TempDir(), append(os.Environ(), "TMPDIR="+tmp)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitStderr(t, cmd, stderr, "bench: custom mode", 60*time.Second)
	var parts []string
	for deadline := time.Now().Add(60 * time.Second); len(parts) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no processes engine's folder in TMPDIR within 60 s; stderr:\n%s", stderr.String())
		}
		parts, _ = filepath.Glob(filepath.Join(tmp, "gpusim-processes-*", "lock"))
	}
	children := childPIDs(cmd.Process.Pid, "run")
	code, _, _ := signalWait(t, cmd, syscall.SIGTERM)
	if code != interrupt.ExitSIGTERM || !strings.HasSuffix(stderr.String(), "gpusim: terminated\n") {
		t.Fatalf("exit %d, stderr:\n%s\nwant %d and gpusim: terminated", code, stderr.String(), interrupt.ExitSIGTERM)
	}
	testenv.CheckGone(t, children, "the processes engine's children")
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Errorf("TMPDIR holds %s after the forced exit, want nothing", strings.Join(names, ", "))
	}
}
