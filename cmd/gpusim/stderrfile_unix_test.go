//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

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
