package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/interrupt"
)

// TestStdoutReaderGone: a run or bench whose report is its only output,
// its stdout a pipe whose reader goes away mid-work, stops at once, as a
// write to the pipe would stop it (exit 141, silent), on every engine. A
// run writes stdout only at its end, so gpusim run ... | a reader that died
// computed on to the end (hours for a big job) and only then met the
// closed pipe: this run of 1e10 lane-steps ran past the test's 30 s. A run
// or bench with files writes them all the same (nohup gpusim run --out
// f.npy | tee log, tee ended with the session), and exits 141 at its
// report: with the watch on every run, the file was lost; so it is where
// stderr is the same pipe (2>&1 | tee log), whose lines' SIGPIPE stopped it.
func TestStdoutReaderGone(t *testing.T) {
	cases := map[string][]string{
		"bench": {"bench", "--engines", "serial", "--lanes", "1e6", "--steps", "10000", "--baseline", "none", "--no-scaling", "--no-sweep"},
	}
	for _, name := range stopBackendsHere(t) {
		cases[name] = append(append([]string(nil), longRun...), "--engine", name)
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("gpusim", args...)
			cmd.Dir = t.TempDir()
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = w, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			time.Sleep(500 * time.Millisecond) // the work under way
			r.Close()
			code, took := exitCode(t, cmd)
			if code != interrupt.ExitSIGPIPE || strings.Contains(stderr.String(), "broken pipe") {
				t.Errorf("exit %d %v after the reader went; want %d, silent; stderr:\n%s", code, took, interrupt.ExitSIGPIPE, stderr.String())
			}
		})
	}
	for name, c := range map[string]struct {
		args []string
		file string
	}{
		"run with --out":    {[]string{"run", "--engine", "serial", "--lanes", "1e5", "--steps", "100", "--out", "finals.npy"}, "finals.npy"},
		"bench with --html": {[]string{"bench", "--engines", "serial", "--lanes", "1e4", "--steps", "10", "--reps", "1", "--warmup", "0", "--baseline", "none", "--no-scaling", "--no-sweep", "--html", "r.html"}, "r.html"},
	} {
		for _, joint := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, stderr in stdout's pipe %v", name, joint), func(t *testing.T) {
				readerGoneWrites(t, c.args, c.file, joint)
			})
		}
	}
}

// readerGoneWrites runs gpusim args with stdout a pipe whose reader is
// gone (stderr too where joint: 2>&1 | tee log, tee gone) and wants exit
// 141 and file written. Joint, bench's lines on stderr raised SIGPIPE as
// its work went on, which stopped it before its file.
func readerGoneWrites(t *testing.T, args []string, file string, joint bool) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	dir := t.TempDir()
	cmd := exec.Command("gpusim", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	if joint {
		cmd.Stderr = w
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := exitCode(t, cmd); code != interrupt.ExitSIGPIPE {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, interrupt.ExitSIGPIPE, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
		t.Errorf("its file, with stdout's reader gone: %v", err)
	}
}

// TestStdoutReaderGoneRefused: a command refused before its work starts
// is refused as it would be (its status and error) where stdout's reader
// is gone too: the watch on stdout's pipe starts with the work. Started
// with the process, it stopped the command as it started, so that gpusim
// run --lanes 0 | true exited 141 without a word in about half of the
// tries, and merge of a file that is not a part 1 in 9 of 10.
func TestStdoutReaderGoneRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess tests skipped in -short mode")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		env  string
		code int
	}{
		{[]string{"run", "--lanes", "0"}, "", exitUsage},
		{[]string{"bench", "--steps", "0"}, "", exitUsage},
		{[]string{"run", "--bogus"}, "", exitUsage},
		{[]string{"merge", "bad.json"}, "", 1},
		{[]string{"run", "--engine", "opencl", "--lanes", "1000"}, "GPUSIM_OPENCL_LIBRARY=/nonexistent", exitUsage},
	} {
		for try := range 8 {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			r.Close()
			cmd := exec.Command("gpusim", c.args...)
			cmd.Dir = dir
			if c.env != "" {
				cmd.Env = append(os.Environ(), c.env)
			}
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = w, &stderr
			err = cmd.Start()
			w.Close()
			if err != nil {
				t.Fatal(err)
			}
			if code, _ := exitCode(t, cmd); code != c.code || !strings.HasPrefix(stderr.String(), "gpusim: error: ") {
				t.Fatalf("%v with stdout's reader gone, try %d: exit %d, stderr %q; want %d and the error", c.args, try+1, code, stderr.String(), c.code)
			}
		}
	}
}
