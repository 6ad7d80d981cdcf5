//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gpusim/gpusim/internal/interrupt"
)

// TestMergeStop sends SIGINT and SIGTERM to merges of many large parts
// (--daily over 600 steps, about 2 MB and a tenth of a second's reading
// each): each must end through its context at a part's boundary, with the
// signal's status and message, no report and no file left, before the
// forced exit (interrupt.StopGrace) that alone ended it before, after a
// merge that ignored the stop had run 0.6 s longer.
func TestMergeStop(t *testing.T) {
	const shards = 40
	parts := t.TempDir()
	var files []string
	for i := range shards {
		f := filepath.Join(parts, fmt.Sprintf("p%02d.json", i))
		out, err := exec.Command("gpusim", "run", "-q", "--engine", "serial", "--lanes", "400", "--steps", "600",
			"--daily", "--shard", fmt.Sprintf("%d/%d", i, shards), "--save", f).CombinedOutput()
		if err != nil {
			t.Fatalf("shard %d: %v: %s", i, err, out)
		}
		files = append(files, f)
	}
	for _, c := range mergeStopSignals {
		t.Run(c.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command("gpusim", append([]string{"merge", "--format", "json"}, files...)...)
			cmd.Dir = dir
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Well into the reading of the parts, which takes seconds: once
			// it has read 1 MiB of them, not a fixed time after the start,
			// which a loaded machine's slow start could outlast.
			partsReading(t, cmd.Process.Pid)
			mergeStops(t, cmd, c.sig, c.code, c.msg, &stdout, &stderr, dir)
			if ents, _ := os.ReadDir(parts); len(ents) != shards {
				t.Errorf("%d files beside the %d parts, want them alone", len(ents), shards)
			}
		})
	}
}

// TestMergeListStop: a merge waiting for its --files-from list (standard
// input a pipe, or a FIFO, whose writer has not finished) ends on the
// first SIGINT or SIGTERM through its context, with the signal's status
// and message, no report and no file left, before the forced exit
// (interrupt.StopGrace), which alone ended it before: the read of the list
// did not look at the context. The signal is sent once the merge has read
// the list's first line (listRead), not after a fixed time: a start slower
// than that on a loaded machine took it before its handlers, and died of
// it.
func TestMergeListStop(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "list")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO:", err)
	}
	for _, c := range []struct {
		name string
		list string
		sig  syscall.Signal
		code int
		msg  string
	}{
		{"stdin/SIGINT", "-", syscall.SIGINT, interrupt.ExitSIGINT, "gpusim: interrupted\n"},
		{"stdin/SIGTERM", "-", syscall.SIGTERM, interrupt.ExitSIGTERM, "gpusim: terminated\n"},
		{"fifo/SIGINT", fifo, syscall.SIGINT, interrupt.ExitSIGINT, "gpusim: interrupted\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd, w, stdout, stderr := startMergeOnPipe(t, dir, "--files-from", c.list)
			defer func() { w.Close() }() // held open: the list never ends
			if c.list != "-" {
				w.Close()
				w = openFIFOWriter(t, cmd, c.list)
			}
			if _, err := io.WriteString(w, "p0.json\n"); err != nil {
				t.Fatal(err)
			}
			listRead(t, w)
			mergeStops(t, cmd, c.sig, c.code, c.msg, stdout, stderr, dir)
		})
	}
}

// startMergeOnPipe starts gpusim merge args in dir with its stdin a pipe
// whose write end it returns, held open, with the builders its stdout and
// stderr go to.
func startMergeOnPipe(t *testing.T, dir string, args ...string) (*exec.Cmd, *os.File, *strings.Builder, *strings.Builder) {
	t.Helper()
	cmd := exec.Command("gpusim", append([]string{"merge"}, args...)...)
	cmd.Dir = dir
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = r
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	return cmd, w, &stdout, &stderr
}

// openFIFOWriter opens the FIFO fifo for writing once cmd has opened it
// for reading (an open for writing that does not block fails until then),
// 20 s at most.
func openFIFOWriter(t *testing.T, cmd *exec.Cmd, fifo string) *os.File {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			return w
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the merge has not opened its list %s in 20 s: %v", fifo, err)
		}
	}
}

// mergeStops signals the merge cmd with sig and wants it to exit with
// code before the forced exit (interrupt.StopGrace), having written msg
// alone to stderr, nothing to stdout and no file to dir.
func mergeStops(t *testing.T, cmd *exec.Cmd, sig syscall.Signal, code int, msg string, stdout, stderr *strings.Builder, dir string) {
	t.Helper()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	got, took := exitCode(t, cmd)
	t.Logf("exit %d %v after %v", got, took.Round(time.Millisecond), sig)
	if got != code || took >= interrupt.StopGrace {
		t.Errorf("exit %d after %v; want %d before the forced exit (%v)", got, took, code, interrupt.StopGrace)
	}
	if stderr.String() != msg || stdout.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want no report and %q", stdout.String(), stderr.String(), msg)
	}
	assertEmptyDir(t, dir)
}

// TestMergeStopWhileReporting: a SIGINT that comes while the merge's
// report is being written to a reader that does not keep up (a pipe
// nobody reads for a while) no longer cuts the report: the merge is past
// its commit point, as a run is once its files are in place, so the
// report arrives whole, the exit is 0 and a note says the stop was
// ignored. Before, the forced exit 0.6 s after the signal
// (interrupt.StopGrace) ended it with the pipe's 64 KiB of a report of
// about 190 kB and exit 130.
func TestMergeStopWhileReporting(t *testing.T) {
	parts := t.TempDir()
	var files []string
	for i := range 2 {
		f := filepath.Join(parts, fmt.Sprintf("p%d.json", i))
		out, err := exec.Command("gpusim", "run", "-q", "--engine", "serial", "--lanes", "200", "--steps", "400",
			"--daily", "--shard", fmt.Sprintf("%d/2", i), "--save", f).CombinedOutput()
		if err != nil {
			t.Fatalf("shard %d: %v: %s", i, err, out)
		}
		files = append(files, f)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("gpusim", append([]string{"merge", "--format", "json"}, files...)...)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// The report's first byte: its write has begun, and the rest fills
	// the pipe and waits for this reader.
	first := make([]byte, 1)
	if _, err := io.ReadFull(r, first); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// Past the forced exit, which cut the report before.
	time.Sleep(interrupt.StopGrace + 400*time.Millisecond)
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := exitCode(t, cmd)
	report := append(first, rest...)
	var v map[string]any
	jerr := json.Unmarshal(report, &v)
	if jerr != nil || code != 0 {
		t.Errorf("exit %d, a report of %d bytes (%v); want exit 0 and the whole report", code, len(report), jerr)
	}
	if jerr == nil && len(report) < 128<<10 {
		t.Errorf("a report of %d bytes fits the pipe: the test does not hold its write", len(report))
	}
	if want := "gpusim: note: interrupted after the merge was complete: ignored\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}

// TestMergePartStop: a merge reading a part that is a pipe whose writer
// has not finished (gpusim merge /dev/stdin, one part: read on one
// goroutine, as every part is on one core) ends on SIGINT or SIGTERM
// through its context, with the signal's status and message, no report
// and no file left, before the forced exit (interrupt.StopGrace), which
// alone ended it before: only a merge reading parts on several goroutines
// looked at its context while a read was under way.
func TestMergePartStop(t *testing.T) {
	for _, c := range mergeStopSignals {
		t.Run(c.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd, w, stdout, stderr := startMergeOnPipe(t, dir, "/dev/stdin")
			defer w.Close() // held open: the part never ends
			if _, err := io.WriteString(w, "{\n"); err != nil {
				t.Fatal(err)
			}
			listRead(t, w)
			mergeStops(t, cmd, c.sig, c.code, c.msg, stdout, stderr, dir)
		})
	}
}

// mergeStopSignals are the stop signals the merge tests send, with the
// exit status and message each ends a merge with.
var mergeStopSignals = []struct {
	sig  syscall.Signal
	code int
	msg  string
}{{syscall.SIGINT, interrupt.ExitSIGINT, "gpusim: interrupted\n"}, {syscall.SIGTERM, interrupt.ExitSIGTERM, "gpusim: terminated\n"},
	{syscall.SIGUSR1, 128 + int(syscall.SIGUSR1), "gpusim: user defined signal 1 (SIGUSR1)\n"}}
