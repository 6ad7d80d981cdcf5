package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/sim"
)

// TestWriteBenchStoppedAfterLastMeasurement: a SIGINT after the last
// measurement, before the output files were committed (writeBench), still
// leaves --update-doc's file as it was and returns the signal (exit 130),
// but prints the report, whole (no "interrupted"), with a note on stderr
// that says so. It printed nothing: every measurement was lost, with
// "gpusim: interrupted" alone (bench ... --no-scaling --no-sweep
// --baseline none --html r.html, SIGINT on parallel's progress line).
func TestWriteBenchStoppedAfterLastMeasurement(t *testing.T) {
	cfg := bench.Default()
	cfg.Mode = "test"
	cfg.Workloads = []bench.Workload{{Lanes: 1000, Steps: 4}}
	cfg.Reps, cfg.Warmup, cfg.Scaling, cfg.Sweep, cfg.Python = 1, 0, false, nil, false
	rep, err := bench.Run(context.Background(), cfg, []bench.EngineSpec{{Name: "serial", New: func(int, func(string)) sim.Engine { return cpu.Serial{} }}})
	if err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(t.TempDir(), "doc.md")
	const was = "# doc\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n"
	if err := os.WriteFile(doc, []byte(was), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&interrupt.SignalError{Signal: syscall.SIGINT})
	var stdout, stderr bytes.Buffer
	c := cli.NewContext(&cli.App{Writer: &stdout, ErrWriter: &stderr}, flag.NewFlagSet("bench", flag.ContinueOnError), nil)
	c.Context = ctx
	err = writeBench(c, rep, benchOptions{format: "json", doc: doc})
	var se *interrupt.SignalError
	if !errors.As(err, &se) || se.Status() != interrupt.ExitSIGINT {
		t.Errorf("writeBench returned %v, want the SIGINT", err)
	}
	if b, _ := os.ReadFile(doc); string(b) != was {
		t.Errorf("doc.md is now\n%s\nwant it as it was", b)
	}
	var back bench.Report
	if err := json.Unmarshal(stdout.Bytes(), &back); err != nil || back.Interrupted != nil || len(back.Workloads) != 1 || len(back.Workloads[0].Engines) != 1 {
		t.Errorf("stdout (%v):\n%s\nwant the whole JSON report, serial's row, no interrupted", err, stdout.String())
	}
	want := "gpusim: note: stopped after the last measurement: the report on stdout is whole; --update-doc not written: a stopped bench leaves its output files as they were\n"
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}

// refusingWriter is a stdout whose reader is gone: every write fails.
type refusingWriter struct{}

func (refusingWriter) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// TestWriteBenchStoppedStdoutGone: a stopped bench whose stdout refuses the
// report (its reader gone, as with "| true") says so on stderr, where it
// said "the report on stdout is partial" of a report no one got.
func TestWriteBenchStoppedStdoutGone(t *testing.T) {
	rep := &bench.Report{Mode: "test", Interrupted: &bench.Interruption{Signal: "interrupted", NotRun: []string{"python baseline: 7 of 7 versions"}}}
	var stderr bytes.Buffer
	c := cli.NewContext(&cli.App{Writer: refusingWriter{}, ErrWriter: &stderr}, flag.NewFlagSet("bench", flag.ContinueOnError), nil)
	writeStoppedBench(c, rep, benchOptions{format: "text", html: "r.html"}, &interrupt.SignalError{Signal: syscall.SIGINT})
	want := "gpusim: note: stopped: the report could not be written to stdout: broken pipe; --html not written: a stopped bench leaves its output files as they were\n"
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}

// TestStoppedReportOnce: of the two writers of a stopped bench's report
// (writeStoppedBench, and the forced exit's armSnapshot), the second
// waits while the first writes and then writes nothing, so that no
// report is written twice or cut by the other; one that has nothing to
// write (a forced exit after Run returned: no snapshot) leaves it to the
// other.
func TestStoppedReportOnce(t *testing.T) {
	var s stoppedReport
	var out syncBuffer
	writing, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		s.first(func() bool {
			close(writing)
			<-release
			out.Write([]byte("first\n"))
			return true
		})
	}()
	<-writing
	second := make(chan struct{})
	go func() {
		defer close(second)
		s.first(func() bool {
			out.Write([]byte("second\n"))
			return true
		})
	}()
	select {
	case <-second:
		t.Fatal("the second writer did not wait for the first")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-done
	<-second
	if out.String() != "first\n" {
		t.Errorf("wrote %q, want the first report alone", out.String())
	}

	var n stoppedReport
	n.first(func() bool { return false })
	wrote := false
	n.first(func() bool { wrote = true; return true })
	if !wrote {
		t.Error("a writer that wrote nothing kept the other from writing")
	}
}
