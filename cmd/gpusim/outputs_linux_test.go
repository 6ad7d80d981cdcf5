package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOutputUnreplaceable: an existing output file that a rename cannot
// replace (immutable, append-only, a bind mount) is refused before the run
// with exit 2 naming the flag, and left as it was. It used to take the
// temporary file beside it, run the whole job and fail at the commit
// point (exit 1, "rename ...: operation not permitted"), after the other
// outputs were committed.
func TestOutputUnreplaceable(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "o.csv")
	save := filepath.Join(dir, "s.json")
	check := func(name, want string) {
		t.Helper()
		code, stdout, stderr := run(context.Background(), "run", "--lanes", "10", "--steps", "1", "--engine", "serial", "-q", "--save", save, "--out", target)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, `gpusim: error: --out: cannot write "`+target+`": `+want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2 and %q", name, code, stdout, stderr, want)
		}
		if b, err := os.ReadFile(target); err != nil || string(b) != "old\n" {
			t.Errorf("%s: %s is %q, %v; want it as it was", name, target, b, err)
		}
		if _, err := os.Stat(save); err == nil {
			t.Errorf("%s: --save was written", name)
		}
	}
	write := func() {
		if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write()
	chattr, err := exec.LookPath("chattr")
	for _, c := range []struct{ flag, want string }{{"i", "the file is immutable"}, {"a", "the file is append-only"}} {
		if err != nil || exec.Command(chattr, "+"+c.flag, target).Run() != nil {
			t.Logf("cannot chattr +%s here: skipped", c.flag)
			continue
		}
		check("chattr +"+c.flag, c.want)
		if err := exec.Command(chattr, "-"+c.flag, target).Run(); err != nil {
			t.Fatal(err)
		}
	}
	src := filepath.Join(dir, "src.csv")
	if err := os.WriteFile(src, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(src, target, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("cannot bind-mount here: %v", err)
	}
	defer syscall.Unmount(target, 0)
	check("bind mount", "the file is a mount point")
}
