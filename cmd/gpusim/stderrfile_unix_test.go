//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gpusim/gpusim/internal/interrupt"
)

// TestForcedExitNotIntoPart: the message of a forced exit, after a stop's
// grace (interrupt.Exit) or on a second stop (interrupt.Now), goes where
// a stop's message goes: to stdout where stderr is appended to a file the
// command line names (2>> p1.json beside --save p1.json), as the part is
// left as it was. Both wrote "gpusim: terminated" into the part, which
// the next merge refused as damaged.
func TestForcedExitNotIntoPart(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess stop tests skipped in -short mode")
	}
	dir := t.TempDir()
	part := twoParts(t, dir)[1]
	before, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	for _, second := range []string{"", "1"} {
		t.Run("second="+second, func(t *testing.T) {
			t.Setenv("GPUSIM_TEST_SECOND_SIGNAL", second)
			f, err := os.OpenFile(part, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cmd := exec.Command("gpusim-stuck-early", "run", "--engine", "opencl", "-q", "--lanes", "100", "--steps", "2", "--shard", "1/2", "--save", part)
			cmd.Dir = dir
			var stdout strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, f
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			code, _ := exitCode(t, cmd)
			after, err := os.ReadFile(part)
			if err != nil {
				t.Fatal(err)
			}
			if code != interrupt.ExitSIGTERM || stdout.String() != "gpusim: terminated\n" {
				t.Errorf("exit %d, stdout %q; want %d and %q", code, stdout.String(), interrupt.ExitSIGTERM, "gpusim: terminated\n")
			}
			if !bytes.Equal(after, before) {
				t.Errorf("the part that stderr went to gained %q", bytes.TrimPrefix(after, before))
			}
		})
	}
}

// TestMergeStderrFIFOPart: merge refuses a part that is the FIFO stderr
// goes to (merge p0.json f 2> f, a reader of f started), exit 2, said on
// stdout, found by the FIFO's identity without opening it. It was read as
// a part, which waited for ever on what the merge would write into it.
func TestMergeStderrFIFOPart(t *testing.T) {
	dir := t.TempDir()
	parts := twoParts(t, dir)
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO:", err)
	}
	// Read-write: open does not wait for a reader, and a read of the
	// part waits for ever, as no writer closes it.
	f, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stdout bytes.Buffer
	code := runContext(ctx, []string{"merge", parts[0], fifo}, strings.NewReader(""), &stdout, f)
	want := `gpusim: error: "` + fifo + `" is a part to merge and also the file stderr goes to`
	if code != exitUsage || !strings.HasPrefix(stdout.String(), want) {
		t.Errorf("merge p0.json fifo 2> fifo: exit %d, stdout %q; want %d and %q", code, stdout.String(), exitUsage, want)
	}
}

// TestEarlyNotesNotHeldForValue: a stderr file that has the name of a
// flag's value that is no file (run --seed 42 2> 42) gets Run's early
// notes as they are written, and the command's refusals: they were held
// back to the run's end, and the refusals said on stdout, as if stderr
// were one of the run's files.
func TestEarlyNotesNotHeldForValue(t *testing.T) {
	t.Chdir(t.TempDir())
	f, err := os.Create("42")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stdout bytes.Buffer
	e := &earlyStderr{args: []string{"run", "--seed", "42"}, stdout: &stdout, stderr: f}
	const note = "gpusim: note: early\n"
	e.Write([]byte(note))
	if b, _ := os.ReadFile("42"); string(b) != note {
		t.Errorf("after the early note, stderr's file 42 holds %q, want %q (held: %q)", b, note, e.held.String())
	}
	code := runContext(context.Background(), []string{"run", "--seed", "42", "--lanes", "0"}, strings.NewReader(""), &stdout, f)
	if b, _ := os.ReadFile("42"); code != exitUsage || !strings.Contains(string(b), "gpusim: error: --lanes: ") || stdout.Len() != 0 {
		t.Errorf("run --seed 42 --lanes 0 2> 42: exit %d, file 42 %q, stdout %q; want %d and the refusal in the file", code, b, stdout.String(), exitUsage)
	}
}

// TestEarlyNoteNotIntoListPart: Run's early note (stdout closed at the
// start) is held where stderr goes to a file and merge has a --files-from
// list, which may name that file as a part (2>> p1.json, p1.json named
// in the list alone): merge refuses the part, and the note follows the
// refusal to stdout, the part left as it was. It was appended to the
// part before merge had read the list.
func TestEarlyNoteNotIntoListPart(t *testing.T) {
	dir := t.TempDir()
	parts := twoParts(t, dir)
	list := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(list, []byte(strings.Join(parts, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, f := appendTo(t, parts[1])
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	cmd := exec.Command("gpusim", "merge", "--files-from", list)
	cmd.Stdout, cmd.Stderr = null, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if code, _ := exitCode(t, cmd); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if after, _ := os.ReadFile(parts[1]); !bytes.Equal(after, before) {
		t.Errorf("the part that stderr went to gained %q", bytes.TrimPrefix(after, before))
	}
}

// TestRefusalIntoEmptiedFile: a refusal where stdout and stderr both go to
// a file the command line names is written there where the shell emptied
// it as it started gpusim (run --daily-out d.csv &> d.csv: nothing in it
// to keep), and nowhere where it is appended to (&>> p.json, a part an
// earlier run saved, left as it was). Both exited 2 without a word.
func TestRefusalIntoEmptiedFile(t *testing.T) {
	dir := t.TempDir()
	part := twoParts(t, dir)[1]
	csv := filepath.Join(dir, "d.csv")
	for _, c := range []struct {
		name string
		file string
		flag int
		args []string
		want string // what the file holds after, "" for as it was
	}{
		{"appended", part, os.O_APPEND, []string{"run", "--lanes", "0", "--save", part}, ""},
		{"output", csv, os.O_TRUNC, []string{"run", "--lanes", "10", "--steps", "1", "--daily-out", csv}, `gpusim: error: --daily-out: "` + csv + `" is also the file stdout goes to`},
		{"bad flag", part, os.O_TRUNC, []string{"run", "--lanes", "0", "--save", part}, `gpusim: error: --lanes: invalid value "0": 0 is out of range (valid range 1..2^64-1)`},
	} {
		before, _ := os.ReadFile(c.file)
		f, err := os.OpenFile(c.file, os.O_WRONLY|os.O_CREATE|c.flag, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		code := runContext(context.Background(), c.args, strings.NewReader(""), f, f)
		f.Close()
		after, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case code != exitUsage:
			t.Errorf("%s: exit %d, want %d", c.name, code, exitUsage)
		case c.want == "" && !bytes.Equal(after, before):
			t.Errorf("%s: the file gained %q; want it as it was", c.name, bytes.TrimPrefix(after, before))
		case c.want != "" && !strings.HasPrefix(string(after), c.want):
			t.Errorf("%s: the file holds %q; want the refusal %q", c.name, after, c.want)
		}
	}
}
