//go:build unix

package main

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/interrupt"
)

// barRate is the rate in lanes a second of the last progress bar in
// stderr, or 0 where there is none.
func barRate(t *testing.T, stderr string) float64 {
	t.Helper()
	re := regexp.MustCompile(`([0-9.]+)([kMGT]?)/s`)
	lines := strings.Split(stderr, "\r")
	for i := len(lines) - 1; i >= 0; i-- {
		m := re.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		x, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatalf("rate %q: %v", m[0], err)
		}
		return x * map[string]float64{"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[m[2]]
	}
	return 0
}

// TestSuspendedProgress stops a run with SIGSTOP for 4 s and continues it
// (a job suspended by Ctrl-Z and fg, or Slurm's scontrol suspend and
// resume): the bar drawn after SIGCONT shows the rate the run had before,
// not its lanes over the time it was stopped too. It showed a rate about
// five times too slow, and an ETA as much too long, which a log's line,
// the first often drawn as the job continues, then kept for a minute.
func TestSuspendedProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess stop tests skipped in -short mode")
	}
	dir := t.TempDir()
	cmd, stderr := startTTY(t, dir, nil, "run", "--engine", "serial", "--lanes", "1e8", "--steps", "1000", "--out", "finals.npy")
	defer cmd.Process.Kill()
	// Half a second of the run's CPU time, then its next bar: not a fixed
	// time after the start, which a loaded machine's slow start outlasted.
	if !waitCPU(t, cmd.Process.Pid, 500*time.Millisecond) {
		t.Fatalf("the process ended before it used 500ms of CPU: stderr %q", stderr)
	}
	before := nextBarRate(t, stderr, len(stderr.String()))
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second)
	n := len(stderr.String())
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	after := nextBarRate(t, stderr, n)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code, _ := exitCode(t, cmd)
	t.Logf("rate %.3g lanes/s before SIGSTOP, %.3g after SIGCONT", before, after)
	if before <= 0 || after < before/2 {
		t.Errorf("bar's rate %.3g lanes/s before a stop of 4 s, %.3g after it; want about the same", before, after)
	}
	if code != interrupt.ExitSIGINT {
		t.Errorf("exit %d after SIGINT, want %d", code, interrupt.ExitSIGINT)
	}
	assertEmptyDir(t, dir)
}

// TestSuspendedTimeout stops a run with a --timeout of 2 s for 3 s of it:
// the limit counts wall time, as timeout(1) does, so the run ends as it
// continues, exit 124 and no file left, and the message says that the
// deadline passed while it was suspended, how long it ran and how long it
// was stopped: it read "run exceeded 2s" alone, of a run that had run for
// half a second, and then "run exceeded 2s, 3s of it suspended". The stop must come before the limit:
// on a loaded machine (load 11 on 2 cores) the run's first 500 ms of CPU
// took more than its 2 s, so that it ended by its limit before it was
// stopped, and "run exceeded 2s" alone was right. A try whose stop came
// later than limit/2 after the start is tried again with a limit twice
// as long, stopped for a second more than the limit.
func TestSuspendedTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess stop tests skipped in -short mode")
	}
	for limit := 2 * time.Second; ; limit *= 2 {
		dir := t.TempDir()
		stop := limit + time.Second
		cmd, stderr := startGpusim(t, dir, "run", "--engine", "serial", "--lanes", "1e8", "--steps", "1000", "--out", "finals.npy", "--timeout", limit.String())
		start := time.Now()
		if !waitCPU(t, cmd.Process.Pid, 200*time.Millisecond) || time.Since(start) > limit/2 {
			exitCode(t, cmd) // killed by its Cleanup if it still runs
			if limit < 16*time.Second {
				t.Logf("--timeout %v: not stopped within %v of its start; again", limit, limit/2)
				continue
			}
			t.Fatalf("--timeout %v: not stopped within %v of its start; stderr %q", limit, limit/2, stderr)
		}
		suspend(t, cmd, stop)
		code, took := exitCode(t, cmd)
		if code != interrupt.ExitTimeout || took > stopLatency {
			t.Errorf("exit %d %v after SIGCONT past the limit; want %d within %v", code, took, interrupt.ExitTimeout, stopLatency)
		}
		want := regexp.MustCompile(`^gpusim: error: --timeout: run exceeded ` + limit.String() + `, the deadline passing while the process was suspended: it ran for [0-9.]+[nµm]?s and was suspended for ([0-9.]+)s \(the limit counts wall time, as timeout\(1\) does\)\n$`)
		m := want.FindStringSubmatch(lastLine(stderr.String()))
		var got float64
		if m != nil {
			got, _ = strconv.ParseFloat(m[1], 64)
		}
		if m == nil || got < (stop-time.Second).Seconds() || got > (stop+time.Second/2).Seconds() {
			t.Errorf("stderr ends %q, want it to match %q with %v or about", lastLine(stderr.String()), want, stop)
		}
		assertEmptyDir(t, dir)
		return
	}
}

// TestSuspendedRunNote: a run stopped for 2 s and continued says, beside
// its report, that the time it reports counts the stop: its time line and
// rate (and a part's wall, which merge sums) read as the engine's own.
// The stop comes at the run's first progress bar (gpusim-tty), inside its
// job whatever the machine's load, so that the job can be small: it was
// stopped after 300 ms of CPU time in a job of 2 s of it, whose rest took
// 10 to 20 s at a load of 10 on 2 cores.
func TestSuspendedRunNote(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess stop tests skipped in -short mode")
	}
	bar := make(chan struct{})
	cmd, stderr := startTTY(t, t.TempDir(), sync.OnceFunc(func() { close(bar) }), "run", "--engine", "serial", "--lanes", "1e6", "--steps", "20")
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case <-bar:
	case <-time.After(5 * time.Minute):
		t.Fatalf("no progress bar within 5 minutes; stderr %q", stderr)
	}
	suspend(t, cmd, 2*time.Second)
	if code, _ := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit %d; stderr %q", code, stderr)
	}
	// The note's line, past the bar's frames and its erasing (\r).
	want := regexp.MustCompile(`(?m)(?:^|\r)gpusim: note: the run was suspended for [12](\.[0-9])?s of it \(Ctrl-Z, SIGSTOP, Slurm's scontrol suspend\): the time it reports counts that$`)
	if !want.MatchString(stderr.String()) {
		t.Errorf("stderr %q, want a line matching %q", stderr, want)
	}
}

// nextBarRate waits for a progress bar drawn in stderr past its first n
// bytes, 20 s at most, and returns its rate (barRate).
func nextBarRate(t *testing.T, stderr *syncBuffer, n int) float64 {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if r := barRate(t, stderr.String()[n:]); r > 0 {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress bar drawn in 20 s; stderr %q", stderr.String())
		}
	}
}

// startGpusim starts gpusim with args in dir: the command and its
// standard error. The process is killed when the test ends, should it
// still run.
func startGpusim(t *testing.T, dir string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command("gpusim", args...)
	cmd.Dir = dir
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, stderr
}

// suspend stops cmd (SIGSTOP) for stopped and continues it (SIGCONT).
func suspend(t *testing.T, cmd *exec.Cmd, stopped time.Duration) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(stopped)
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
}
