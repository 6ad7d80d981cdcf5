//go:build unix

package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/testenv"
)

// TestBenchInterruptEndsPythonWorkers interrupts bench during the Python
// baseline, whose interpreter (a fake here) has started workers as joblib's
// loky does, one ignoring SIGTERM as multiprocessing's resource tracker
// does: bench must exit 130 and leave none of them running, and print the
// partial report of serial's row, the baseline not run. Four python3
// processes (LokyProcess, resource_tracker) used to outlive it, re-parented
// to PID 1.
func TestBenchInterruptEndsPythonWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess stop tests skipped in -short mode")
	}
	dir := t.TempDir()
	fake, pidFile := testenv.FakeWithWorkers(t, "python3", `case "$*" in *'import numpy'*) echo gpusim-numpy-ok; exit 0;; esac`, "wait")
	var pids []int
	cmd := exec.Command("gpusim", "bench", "--lanes", "100", "--steps", "2", "--reps", "1", "--warmup", "0",
		"--no-scaling", "--no-sweep", "--engines", "serial", "--python", fake)
	cmd.Dir = dir
	stderr, stdout := &syncBuffer{}, &syncBuffer{}
	cmd.Stderr, cmd.Stdout = stderr, stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); len(pids) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the fake python's workers did not start within 30 s; stderr:\n%s", stderr.String())
		}
		pids = testenv.ReadPIDs(t, pidFile, 2)
	}
	code, took, cpu := signalWait(t, cmd, syscall.SIGINT)
	if code != interrupt.ExitSIGINT || !stopWithin(took, cpu, stopLatency) {
		t.Errorf("exit %d after %v (%v of CPU); want %d within %v of CPU; stderr:\n%s", code, took, cpu, interrupt.ExitSIGINT, stopLatency, stderr.String())
	}
	testenv.CheckGone(t, pids, "the interrupted baseline")
	// serial's measurement finished before the baseline: the partial
	// report has it, and says the baseline did not run.
	if first, _, _ := strings.Cut(stdout.String(), "\n"); !strings.HasPrefix(first, "note: partial report: the benchmark was stopped (interrupted) after ") ||
		!strings.HasSuffix(first, "; not run: python baseline: 7 of 7 versions") || !strings.Contains(stdout.String(), "\n100 x 2   serial ") {
		t.Errorf("stdout:\n%s\nwant the partial report of serial's row, the baseline not run", stdout.String())
	}
}

// TestBenchInterruptPrintsPartialReport sends SIGINT to a bench of serial
// and parallel after serial's row, while parallel's timed runs go on:
// bench still exits 130 with "gpusim: interrupted", and prints the report
// of what finished, in --format json, which encoding/json reads: serial's
// row alone (parallel's, cut short, is left out), with "interrupted" first
// saying what did not run; --html is not written, and stderr says so. It
// printed no report at all, the seconds of measurements lost.
func TestBenchInterruptPrintsPartialReport(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess stop tests skipped in -short mode")
	}
	cmd, dir, stdout, stderr := startSerialParallelBench(t, "gpusim")
	code, _, _ := signalWait(t, cmd, syscall.SIGINT)
	if code != interrupt.ExitSIGINT || !strings.HasSuffix(stderr.String(), "gpusim: interrupted\n") ||
		!strings.Contains(stderr.String(), "gpusim: note: stopped: the report on stdout is partial") || !strings.Contains(stderr.String(), "--html not written") {
		t.Fatalf("exit %d, stderr:\n%s\nwant %d, the partial report's note and gpusim: interrupted", code, stderr.String(), interrupt.ExitSIGINT)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
		t.Fatalf("stdout is no JSON report: %v\n%s", err, stdout.String())
	}
	if strings.Contains(stderr.String(), "\nbench: parallel ") {
		t.Skipf("parallel's row finished before the signal came; stderr:\n%s", stderr.String())
	}
	wantSerialRowAlone(t, rep, dir)
}

// TestBenchInterruptBeforeAnyRow sends SIGINT to a bench whose one
// measurement (serial on 5e7 x 100) has not finished: it exits 130 with
// "gpusim: interrupted", stdout empty, and says on stderr that no
// measurement finished, so there is no report, and that --html was not
// written. It said only "gpusim: interrupted", where the README promises a
// stopped bench the report of the measurements that finished first.
func TestBenchInterruptBeforeAnyRow(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess stop tests skipped in -short mode")
	}
	dir := t.TempDir()
	cmd := exec.Command("gpusim", "bench", "--lanes", "5e7", "--steps", "100", "--reps", "1", "--warmup", "0",
		"--no-sweep", "--no-scaling", "--baseline", "none", "--engines", "serial", "--html", "r.html")
	cmd.Dir = dir
	stderr, stdout := &syncBuffer{}, &syncBuffer{}
	cmd.Stderr, cmd.Stdout = stderr, stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitStderr(t, cmd, stderr, "bench: custom mode", 60*time.Second)
	code, _, _ := signalWait(t, cmd, syscall.SIGINT)
	const note = "gpusim: note: stopped before any measurement finished: no report; --html not written: a stopped bench leaves its output files as they were\n"
	if code != interrupt.ExitSIGINT || stdout.String() != "" || !strings.HasSuffix(stderr.String(), note+"gpusim: interrupted\n") {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant %d, no report, and the note %q before gpusim: interrupted", code, stdout.String(), stderr.String(), interrupt.ExitSIGINT, note)
	}
	if _, err := os.Stat(filepath.Join(dir, "r.html")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("r.html: %v, want it not written", err)
	}
}

// wantSerialRowAlone checks the partial report rep of a bench that
// startSerialParallelBench started in dir and SIGINT stopped after
// serial's row: SIGINT's words and the engines table's 1 of 2 not run,
// serial's complete row alone, and r.html not written.
func wantSerialRowAlone(t *testing.T, rep bench.Report, dir string) {
	t.Helper()
	if rep.Interrupted == nil || rep.Interrupted.Signal != "interrupted" || len(rep.Interrupted.NotRun) == 0 ||
		rep.Interrupted.NotRun[0] != "engines table: 1 of 2 planned measurements" {
		t.Errorf("interrupted %+v, want SIGINT's words and the engines table's 1 of 2", rep.Interrupted)
	}
	if len(rep.Workloads) != 1 || len(rep.Workloads[0].Engines) != 1 || rep.Workloads[0].Engines[0].Engine != "serial" || rep.Workloads[0].Engines[0].Wall.N != 3 {
		t.Errorf("workloads %+v, want serial's complete row alone", rep.Workloads)
	}
	if _, err := os.Stat(filepath.Join(dir, "r.html")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("r.html: %v, want it not written", err)
	}
}

// startSerialParallelBench starts binary's bench of serial and parallel
// in --format json with --html r.html in a new folder, dir, and returns
// once serial's row is on stderr, while parallel's timed runs go on.
func startSerialParallelBench(t *testing.T, binary string) (cmd *exec.Cmd, dir string, stdout, stderr *syncBuffer) {
	t.Helper()
	dir = t.TempDir()
	cmd = exec.Command(binary, "bench", "--lanes", "200k", "--steps", "50", "--reps", "3", "--warmup", "0",
		"--no-sweep", "--baseline", "none", "--engines", "serial,parallel", "--format", "json", "--html", "r.html")
	cmd.Dir = dir
	stderr, stdout = &syncBuffer{}, &syncBuffer{}
	cmd.Stderr, cmd.Stdout = stderr, stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitStderr(t, cmd, stderr, "\nbench: serial ", 60*time.Second) // serial's row
	return cmd, dir, stdout, stderr
}

// TestBenchForcedExitPrintsReport sends SIGINT to a bench of serial and
// parallel after serial's row, whose engines hold on past the stop's
// grace (gpusim-stuck-bench), so that the forced exit ends it while
// bench.Run has not returned: it prints the partial report of what had
// finished, once, in --format json, serial's row with "interrupted" first,
// and the note that it is partial, and exits 130 with "gpusim:
// interrupted". It printed no report: every measurement was lost.
func TestBenchForcedExitPrintsReport(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess stop tests skipped in -short mode")
	}
	cmd, dir, stdout, stderr := startSerialParallelBench(t, "gpusim-stuck-bench")
	code, took, _ := signalWait(t, cmd, syscall.SIGINT)
	if strings.Contains(stderr.String(), "\nbench: parallel ") {
		t.Skipf("parallel's row finished before the signal came; stderr:\n%s", stderr.String())
	}
	if code != interrupt.ExitSIGINT || !strings.HasSuffix(stderr.String(), "gpusim: interrupted\n") || took >= 4*interrupt.StopGrace ||
		strings.Count(stderr.String(), "gpusim: note: stopped: the report on stdout is partial") != 1 || !strings.Contains(stderr.String(), "--html not written") {
		t.Fatalf("exit %d after %v, stderr:\n%s\nwant %d at the forced exit, the partial report's note once and gpusim: interrupted", code, took, stderr.String(), interrupt.ExitSIGINT)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
		t.Fatalf("stdout is not one JSON report: %v\n%s", err, stdout.String())
	}
	wantSerialRowAlone(t, rep, dir)
}
