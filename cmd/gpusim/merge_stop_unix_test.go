//go:build unix

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
	for _, c := range []struct {
		sig  syscall.Signal
		code int
		msg  string
	}{{syscall.SIGINT, interrupt.ExitSIGINT, "gpusim: interrupted\n"}, {syscall.SIGTERM, interrupt.ExitSIGTERM, "gpusim: terminated\n"}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command("gpusim", append([]string{"merge", "--format", "json"}, files...)...)
			cmd.Dir = dir
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Well into the reading of the parts, which takes seconds.
			time.Sleep(700 * time.Millisecond)
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			code, took := exitCode(t, cmd)
			t.Logf("exit %d %v after %v", code, took.Round(time.Millisecond), c.sig)
			if code != c.code || took >= interrupt.StopGrace {
				t.Errorf("exit %d after %v; want %d before the forced exit (%v)", code, took, c.code, interrupt.StopGrace)
			}
			if stderr.String() != c.msg || stdout.Len() != 0 {
				t.Errorf("stdout %q, stderr %q; want no report and %q", stdout.String(), stderr.String(), c.msg)
			}
			assertEmptyDir(t, dir)
			if ents, _ := os.ReadDir(parts); len(ents) != shards {
				t.Errorf("%d files beside the %d parts, want them alone", len(ents), shards)
			}
		})
	}
}

// TestMergeListStop: a merge waiting for its --files-from list (standard
// input a pipe whose writer has not finished, a FIFO no one has opened
// yet) ends on the first SIGINT or SIGTERM through its context, with the
// signal's status and message, no report and no file left, before the
// forced exit (interrupt.StopGrace), which alone ended it before: the read
// of the list did not look at the context.
func TestMergeListStop(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "list")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
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
			cmd := exec.Command("gpusim", "merge", "--files-from", c.list)
			cmd.Dir = dir
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			w, err := cmd.StdinPipe() // held open: the list never ends
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(w, "p0.json\n"); err != nil {
				t.Fatal(err)
			}
			// Well into the wait for the list's end.
			time.Sleep(400 * time.Millisecond)
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			code, took := exitCode(t, cmd)
			t.Logf("exit %d %v after %v", code, took.Round(time.Millisecond), c.sig)
			if code != c.code || took >= interrupt.StopGrace {
				t.Errorf("exit %d after %v; want %d before the forced exit (%v)", code, took, c.code, interrupt.StopGrace)
			}
			if stderr.String() != c.msg || stdout.Len() != 0 {
				t.Errorf("stdout %q, stderr %q; want no report and %q", stdout.String(), stderr.String(), c.msg)
			}
			assertEmptyDir(t, dir)
		})
	}
}
