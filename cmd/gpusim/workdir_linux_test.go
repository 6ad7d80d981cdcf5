package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

// TestWorkdirGone: in a working folder that was deleted, every output
// flag's file, --update-doc's and merge's parts are refused, exit 2, saying
// so, before any work: each read only "cannot write "f.npy": no such file
// or directory" (merge's with the hint to run the shard again).
func TestWorkdirGone(t *testing.T) {
	dir := testenv.DeletedWorkdir(t)
	const gone = "the working folder was deleted (cd to a folder that exists, or give a full path)"
	tiny := []string{"run", "--engine", "serial", "--lanes", "10", "--steps", "2", "-q"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{slices.Concat(tiny, []string{"--out", "f.npy"}), `--out: cannot write "f.npy": `},
		{slices.Concat(tiny, []string{"--out", "sub/f.npy"}), `--out: cannot write "sub/f.npy": `},
		{slices.Concat(tiny, []string{"--daily-out", "d.csv"}), `--daily-out: cannot write "d.csv": `},
		{slices.Concat(tiny, []string{"--html", "r.html"}), `--html: cannot write "r.html": `},
		{slices.Concat(tiny, []string{"--plot", "p.svg"}), `--plot: cannot write "p.svg": `},
		{slices.Concat(tiny, []string{"--save", "p.json", "--shard", "0/2"}), `--save: cannot write "p.json": `},
		{slices.Concat(tinyBench, []string{"--html", "b.html"}), `--html: cannot write "b.html": `},
		{slices.Concat(tinyBench, []string{"--plot", "charts"}), `--plot: cannot write charts into "charts": `},
		{slices.Concat(tinyBench, []string{"--plot", "."}), `--plot: cannot write charts into ".": `},
		{slices.Concat(tinyBench, []string{"--update-doc", "b.md"}), `--update-doc: cannot read "b.md": `},
		{[]string{"merge", "p.json"}, `"p.json": `},
		{[]string{"merge", "--files-from", "l.lst"}, `--files-from: "l.lst": `},
	} {
		code, stdout, stderr := run(context.Background(), c.args...)
		want := "gpusim: error: " + c.want + gone + "\n"
		if code != exitUsage || stdout != "" || stderr != want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d and %q", strings.Join(c.args, " "), code, stdout, stderr, exitUsage, want)
		}
	}
	// A full path is not the working folder's.
	abs := filepath.Join(filepath.Dir(dir), "f.npy")
	if code, _, stderr := run(context.Background(), slices.Concat(tiny, []string{"--out", abs})...); code != 0 {
		t.Errorf("--out %s: exit %d, stderr %q; want it written", abs, code, stderr)
	}
}
