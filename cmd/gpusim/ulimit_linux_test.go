package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/internal/sysmem"
)

// TestRestartUnderLoader: gpusim run through its dynamic loader
// (ld-linux-x86-64.so.2 bin/gpusim run ...) under ulimit -v runs: its
// restart with one malloc arena ran /proc/self/exe, which is then the
// loader, with gpusim's arguments, so the loader took "run" for the program
// to load and the command failed with exit 127 ("run: cannot open shared
// object file"). The test binary, linked as gpusim is, runs the helper
// below through its loader.
func TestRestartUnderLoader(t *testing.T) {
	if os.Getenv("GPUSIM_LOADER_HELPER") != "" {
		return
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var loader string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				t.Fatal(err)
			}
			loader = strings.TrimRight(string(b), "\x00")
		}
	}
	if _, err := os.Stat(loader); loader == "" || err != nil {
		t.Skip("the test binary has no dynamic loader here")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	cmd := exec.Command(sh, "-c", `ulimit -v 4000000 || exit 99; exec "$0" "$1" -test.run='^TestRestartLoaderHelper$' -test.v`, loader, bin)
	cmd.Env = slices.DeleteFunc(append(os.Environ(), "GPUSIM_LOADER_HELPER=1"), func(kv string) bool {
		return strings.HasPrefix(kv, "MALLOC_ARENA_MAX=") || strings.HasPrefix(kv, "GLIBC_TUNABLES=")
	})
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 99 {
		t.Skipf("ulimit -v 4000000 refused here: %s", out)
	}
	if err != nil || !strings.Contains(string(out), "helper ran\n") {
		t.Errorf("%s %s under ulimit -v: %v\n%s", loader, bin, err, out)
	}
}

// TestRestartLoaderHelper is TestRestartUnderLoader's child.
func TestRestartLoaderHelper(t *testing.T) {
	if os.Getenv("GPUSIM_LOADER_HELPER") == "" {
		t.Skip("run by TestRestartUnderLoader")
	}
	sysmem.RestartWithOneArena()
	os.Stdout.WriteString("helper ran\n")
}
