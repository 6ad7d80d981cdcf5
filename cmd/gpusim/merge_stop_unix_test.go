//go:build unix

package main

import (
	"fmt"
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
