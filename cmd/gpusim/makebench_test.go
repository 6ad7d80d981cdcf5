package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMakeBenchCharts runs the Makefile's bench target with bin/gpusim a
// stand-in script: a bench that fails leaves every chart of docs/img/bench
// as it was (the target removed them first, so that a refused bench left
// README's and docs/benchmarks.md's images missing), and one that succeeds
// keeps the charts it wrote and removes those it did not (stale).
func TestMakeBenchCharts(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	interp, err := os.ReadFile("../../scripts/elf-interp.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		script string // bin/gpusim
		fails  bool
		kept   []string
		gone   []string
	}{
		{"refused", "echo 'gpusim: error: --engines: unknown engine' >&2; exit 2", true, []string{"old.png", "speedup.png"}, nil},
		{"stopped", "exit 130", true, []string{"old.png", "speedup.png"}, nil},
		{"written", "sleep 0.05; for f in speedup.png new.png; do echo png > docs/img/bench/$f; done", false, []string{"speedup.png", "new.png", "notes.txt"}, []string{"old.png"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			charts := filepath.Join(dir, "docs", "img", "bench")
			if err := os.MkdirAll(charts, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-time.Hour)
			for _, f := range []string{"old.png", "speedup.png", "notes.txt"} {
				p := filepath.Join(charts, f)
				if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(p, old, old); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "Makefile"), makefile, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, "scripts"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "scripts", "elf-interp.sh"), interp, 0o644); err != nil {
				t.Fatal(err) // the Makefile runs it as it is read
			}
			if err := os.WriteFile(filepath.Join(dir, "bin", "gpusim"), []byte("#!/bin/sh\n"+c.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			// -o build: the stand-in is the binary; nothing is built.
			cmd := exec.Command("make", "-s", "-o", "build", "bench")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if (err != nil) != c.fails {
				t.Fatalf("make bench: %v, want failure %v\n%s", err, c.fails, out)
			}
			for _, f := range c.kept {
				if _, err := os.Stat(filepath.Join(charts, f)); err != nil {
					t.Errorf("%s: %v; want it kept\n%s", f, err, out)
				}
			}
			for _, f := range c.gone {
				if _, err := os.Stat(filepath.Join(charts, f)); err == nil {
					t.Errorf("%s is there; want the stale chart removed\n%s", f, out)
				} else if !strings.Contains(string(out), "removed the stale chart docs/img/bench/"+f) {
					t.Errorf("make bench did not say it removed %s:\n%s", f, out)
				}
			}
		})
	}
}
