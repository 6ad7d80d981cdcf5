//go:build unix

package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
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

// TestBaselineDeadline: a script that hangs (as one under a tiny ulimit
// -v hung at its exit) is killed with its process group, its workers that
// ignore SIGTERM included, once it runs past the deadline its budgets set
// (scriptDeadline, its costs shortened here), and fails naming the
// deadline: the version it was running failed, the results before it
// standing, a failure of the benchmark (exit status 1). bench waited on
// it for good.
func TestBaselineDeadline(t *testing.T) {
	for _, v := range []*time.Duration{&scriptStart, &toolSetup, &versionSlack, &loopStepCost, &joblibTaskCost} {
		was := *v
		defer func() { *v = was }()
	}
	scriptStart, toolSetup, versionSlack, loopStepCost, joblibTaskCost = time.Second, 0, 500*time.Millisecond, 0, 0
	fake, started := fakeWithWorkers(t, `cat >/dev/null
echo '{"python": "3.11.2", "numpy": "1.24.2", "cores": 2}'
echo 'gpusim-baseline: start loop 1000x10 on 1000 lanes' >&2
echo '{"result": {"method": "loop", "lanes": 1000, "steps": 10, "sample_lanes": 1000, "sample_steps": 10, "seconds": 0.01, "ns_per_lane_step": 1000, "workload_seconds": 0.01, "scaled": false, "mean": 72.0, "std": 5.77}, "modules": {}, "setup": {}}'
echo 'gpusim-baseline: start vector 1000x10 on 1000 lanes' >&2
wait`)
	c := tinyConfig()
	c.PythonOnly, c.PythonReps, c.PythonBudget = "loop,vector", 1, 100*time.Millisecond
	w := Workload{1000, 10}
	type result struct {
		out *BaselineOutput
		err error
	}
	done := make(chan result, 1)
	t0 := time.Now()
	go func() {
		out, err := RunBaseline(context.Background(), fake, &c, w)
		done <- result{out, err}
	}()
	pids := started()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("RunBaseline did not return within 30 s of a script that hangs: no deadline")
	}
	took := time.Since(t0)
	// 1 s to start, 0.5 s a version, 3 x 0.1 s for vector: 2.3 s.
	const want = "the script ran past its deadline of 2.3s and was killed with its process group"
	if r.err != nil {
		t.Fatalf("RunBaseline: %v; want the loop's result and vector failed", r.err)
	}
	if took < 2300*time.Millisecond || took > 10*time.Second {
		t.Errorf("returned after %v; want just after the 2.3 s deadline", took)
	}
	if len(r.out.Results) != 2 || r.out.Results[0].Skipped != "" || !r.out.Results[1].Failed || r.out.Results[1].Method != "vector" || !strings.Contains(r.out.Results[1].Skipped, want) {
		t.Errorf("results %+v; want loop's and vector failed with %q", r.out.Results, want)
	}
	if !strings.Contains(r.out.Died, want) {
		t.Errorf("died %q; want %q", r.out.Died, want)
	}
	rep := &Report{Python: &PythonReport{Results: r.out.Results, Failed: r.out.Died}}
	pythonFailures(rep, []Workload{w})
	if len(rep.Failures) != 1 || rep.Failures[0].Engine != "python/vector" {
		t.Errorf("failures %v; want python/vector's", rep.Failures)
	}
	testenv.CheckGone(t, pids, "the hung script's worker")
}

// TestScriptDeadline: the deadline grows with the workloads, the tools'
// set-up and the budgets, and there is none where a version the budget
// bounds runs without one.
func TestScriptDeadline(t *testing.T) {
	c := Default()
	c.Workloads = []Workload{{1000, 10}}
	one, how, ok := scriptDeadline(&c, c.Workloads)
	if !ok || one < 10*time.Minute || !strings.Contains(how, "1 workload") {
		t.Errorf("default, one workload: %v, %q, %v; want minutes past the budgets", one, how, ok)
	}
	two, _, _ := scriptDeadline(&c, []Workload{{1000, 10}, {1000, 10}})
	if two <= one {
		t.Errorf("two workloads: %v, not over one's %v", two, one)
	}
	c.PythonOnly = "loop,vector"
	if fewer, _, _ := scriptDeadline(&c, c.Workloads); fewer >= one {
		t.Errorf("loop and vector: %v, not under every version's %v (no tool's set-up)", fewer, one)
	}
	c.PythonBudget = 0
	if _, _, ok := scriptDeadline(&c, c.Workloads); ok {
		t.Error("vector with no budget has a deadline")
	}
	c.PythonOnly = "loop"
	if _, _, ok := scriptDeadline(&c, c.Workloads); !ok {
		t.Error("the loop alone, bounded by its lane-steps, has no deadline")
	}
}

// TestDeadlineLeavesSuspension: the script's deadline counts the time
// bench runs, not the time it was suspended (Ctrl-Z), which the script's
// group was too: a bench stopped for longer than the deadline failed its
// baseline as it continued.
func TestDeadlineLeavesSuspension(t *testing.T) {
	was := suspended
	defer func() { suspended = was }()
	t0 := time.Now()
	var mu sync.Mutex
	stoppedFor := time.Duration(0)
	suspended = func() time.Duration { mu.Lock(); defer mu.Unlock(); return stoppedFor }
	cause := errors.New("deadline")
	ctx, stop := withDeadline(context.Background(), 200*time.Millisecond, cause)
	defer stop()
	// Suspended from the start for 300 ms: the deadline is then 500 ms.
	mu.Lock()
	stoppedFor = 300 * time.Millisecond
	mu.Unlock()
	<-ctx.Done()
	if took := time.Since(t0); took < 500*time.Millisecond || context.Cause(ctx) != cause {
		t.Errorf("done after %v with %v; want the deadline's cause after 500 ms", took, context.Cause(ctx))
	}
}

// TestChildOutputFlood: a child that prints more than childOutputCap on a
// pipe is killed with its group as it passes the cap, bench keeps the cap
// of it, and the run fails naming the flood: a python3 on PATH that was
// `yes` grew the probe's buffer by 1 GB/s until bench died out of memory.
// The cap itself is read whole, and a child that prints past it and exits
// before bench has read it fails too. The floods end (head -c), so that
// a bench with no cap runs this test in bounded memory.
func TestChildOutputFlood(t *testing.T) {
	for _, c := range []struct {
		name, script string
		both         bool
		want         string // the error; "" for none
	}{
		{"stdout, then a wait", fmt.Sprintf("head -c %d /dev/zero; exec sleep 300", 4*childOutputCap), false, "printed more than 4.19 MB on stdout, more than bench reads of a child's output: killed"},
		{"stderr, then a wait", fmt.Sprintf("head -c %d /dev/zero >&2; exec sleep 300", 4*childOutputCap), false, "printed more than 4.19 MB on stderr, more than bench reads of a child's output: killed"},
		{"one pipe for both", fmt.Sprintf("head -c %d /dev/zero >&2; exec sleep 300", 4*childOutputCap), true, "printed more than 4.19 MB on stdout and stderr, "},
		{"one byte over, then the exit", fmt.Sprintf("head -c %d /dev/zero", childOutputCap+1), false, "printed more than 4.19 MB on stdout, "},
		{"the cap", fmt.Sprintf("head -c %d /dev/zero; head -c %d /dev/zero >&2", childOutputCap, childOutputCap), false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := command(ctx, "sh", "-c", c.script)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if c.both {
				cmd.Stderr = &stdout
			}
			t0 := time.Now()
			err := runChildProcess(ctx, cmd)
			if d := time.Since(t0); d > 10*time.Second {
				t.Errorf("took %v: the child was not stopped at the flood", d)
			}
			if c.want == "" {
				if err != nil || stdout.Len() != childOutputCap || stderr.Len() != childOutputCap {
					t.Errorf("got %v with %d and %d bytes; want no error and the cap of each", err, stdout.Len(), stderr.Len())
				}
				return
			}
			var fe *outputFloodError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("got %v; want %q", err, c.want)
			}
			if n := stdout.Len() + stderr.Len(); n != childOutputCap {
				t.Errorf("kept %d bytes; want the cap, %d", n, childOutputCap)
			}
		})
	}
}

// TestBaselineFlood: a script that prints more than bench reads, on
// stdout or stderr, fails the baseline naming the flood (bench died out
// of memory in capture.read, the engines' report lost); its flood, on
// stderr, is not said line by line past the cap.
func TestBaselineFlood(t *testing.T) {
	for _, stream := range []string{"stdout", "stderr"} {
		redirect := map[string]string{"stdout": "", "stderr": " >&2"}[stream]
		py := fakeInterpreter(t, `echo '{"python": "3.11.2", "numpy": "1.24.2", "cores": 2}'
yes 'gpusim-baseline: start loop 1000x10 on 1000 lanes' | head -c 33554432`+redirect+"\nexec sleep 300\n")
		c := tinyConfig()
		c.PythonOnly = "loop"
		var progress countWriter
		c.Progress = &progress
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := RunBaseline(ctx, py, &c, Workload{1000, 10})
		want := "bench: python baseline: the script printed more than 4.26 MB on " + stream + ", more than bench reads of a child's output: killed"
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %.300v; want %q", stream, err, want)
		}
		if progress > 2*childOutputCap {
			t.Errorf("%s: %d bytes of progress; want the cap's at most", stream, progress)
		}
	}
}

// countWriter counts the bytes written to it.
type countWriter int

func (w *countWriter) Write(b []byte) (int, error) {
	*w += countWriter(len(b))
	return len(b), nil
}
