//go:build unix

package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

// fakeWithWorkers writes a shell script standing in for python3 or gpusim
// that starts two workers, as joblib's loky does, one of them ignoring
// SIGTERM (as multiprocessing's resource tracker does), writes their pids to
// pidFile, one a line, and then runs tail (its own commands). It returns the
// script's path and a func that waits for both pids and returns them. The
// workers are killed when the test ends, whatever it found.
func fakeWithWorkers(t *testing.T, tail string) (string, func() []int) {
	t.Helper()
	fake, pidFile := testenv.FakeWithWorkers(t, "fake", "", tail)
	var pids []int
	wait := func() []int {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			if pids = testenv.ReadPIDs(t, pidFile, 2); pids != nil {
				return pids
			}
			if time.Now().After(deadline) {
				t.Fatal("the fake's workers did not start within 20 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return fake, wait
}

// TestBaselineStopEndsWorkers: stopping the benchmark during the Python
// baseline ends the interpreter's workers too, the one that ignores SIGTERM
// included: exec.CommandContext killed the interpreter alone, and joblib's
// loky workers and resource tracker outlived gpusim.
func TestBaselineStopEndsWorkers(t *testing.T) {
	fake, started := fakeWithWorkers(t, "wait")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	c := tinyConfig()
	go func() {
		_, err := RunBaseline(ctx, fake, &c, Workload{100, 2})
		done <- err
	}()
	pids := started()
	t0 := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("RunBaseline returned %v, want the cancellation", err)
		}
		if d := time.Since(t0); d > 2*time.Second {
			t.Errorf("RunBaseline took %v to return after the cancellation", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunBaseline did not return within 10 s of the cancellation")
	}
	testenv.CheckGone(t, pids, "the stopped child")
}

// TestBaselineLeftoverWorkers: an interpreter that exits leaving a worker
// that holds its output open (and ignores SIGTERM) neither hangs the
// benchmark until the worker exits nor leaves it running; its output
// counts.
func TestBaselineLeftoverWorkers(t *testing.T) {
	fake, started := fakeWithWorkers(t, `echo '{"python": "3.0", "numpy": "1.0", "modules": {}, "cores": 1, "results": []}'`)
	c := tinyConfig()
	done := make(chan error, 1)
	var out *BaselineOutput
	go func() {
		var err error
		out, err = RunBaseline(context.Background(), fake, &c, Workload{100, 2})
		done <- err
	}()
	pids := started()
	select {
	case err := <-done:
		if err != nil || out.Python != "3.0" {
			t.Errorf("RunBaseline: %+v, %v; want the fake's output", out, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunBaseline did not return within 10 s of the interpreter's exit")
	}
	testenv.CheckGone(t, pids, "the stopped child")
}

// TestProcessesStopEndsGroup: the processes engine's children run in
// process groups of their own, ended whole when the benchmark stops.
func TestProcessesStopEndsGroup(t *testing.T) {
	fake, started := fakeWithWorkers(t, "wait")
	p := sim.Default()
	p.Lanes, p.Steps = 100, 2
	e := &Processes{Binary: fake, Workers: 1}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := e.Run(ctx, &sim.Job{Params: p})
		done <- err
	}()
	pids := started()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a stopped processes run succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the processes engine did not return within 10 s of the cancellation")
	}
	testenv.CheckGone(t, pids, "the stopped child")
}

// heldWriter blocks every Write until release is closed, as a reader
// starved of CPU on a loaded machine (1024 processes children on 2 cores)
// does.
type heldWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *heldWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// TestChildOutputDrained: a child that exits with success has its whole
// output read, however long after its exit the reading takes. Output still
// in the pipe 500 ms (exec's WaitDelay) after the child's exit was cut off
// and the run counted a success: the processes engine at --workers 1024
// failed with "reading its report: unexpected end of JSON input" from
// children that had printed their reports whole.
func TestChildOutputDrained(t *testing.T) {
	const n = 40000 // fits a pipe's buffer: the child exits at once
	cmd := command(context.Background(), "sh", "-c", fmt.Sprintf("head -c %d /dev/zero", n))
	w := &heldWriter{release: make(chan struct{})}
	cmd.Stdout = w
	time.AfterFunc(800*time.Millisecond, func() { close(w.release) })
	if err := runChildProcess(context.Background(), cmd); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() != n {
		t.Errorf("read %d bytes of the child's %d", w.buf.Len(), n)
	}
}

// TestProcessesFirstFailure: when one child fails, the run's error is that
// child's, not also every other child's "signal: terminated" or "context
// canceled" from the stop the failure set off: at --workers 1024 the
// error, in the report's notes, its JSON and on stderr, ran to a thousand
// lines with the cause somewhere among them.
func TestProcessesFirstFailure(t *testing.T) {
	fake := fakeGpusim(t, "#!/bin/sh\ncase \"$*\" in *'--shard 0/'*) echo 'gpusim: error: disk full' >&2; exit 1;; esac\nexec sleep 10\n")
	p := sim.Default()
	p.Lanes, p.Steps = 100, 2
	e := &Processes{Binary: fake, Workers: 4}
	_, err := e.Run(context.Background(), &sim.Job{Params: p})
	want := "processes: shard 0/4: " + fake + " run: exit status 1: gpusim: error: disk full"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}
