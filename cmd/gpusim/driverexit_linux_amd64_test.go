package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDriverExitLoading: a driver that ends the process without a signal
// (_exit(3): FAKECL_FAULT=exit:NAME) while gpusim loads a cached program
// leaves the loading mark watched alone, as a kill -9 there does: the
// crash handler never ran. The next start says so (the cache's note that
// names the process and the step: the driver is asked again) and loads the
// cached program, where it took the mark for a crash's, discarded the good
// entry with a note that the driver may have crashed, and built the source.
// Each start that the driver ends so is said by the next, as each kill is.
func TestDriverExitLoading(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	cache := filepath.Join(t.TempDir(), "cache")
	if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
		t.Fatal(err)
	}
	env = append(env, "GPUSIM_CACHE_DIR="+cache)
	const device = "run --device 0 --lanes 1000 --steps 10"
	if r := runSetUpCase(setUpCase{line: device}, append(slices.Clip(env), "FAKECL_FAULT=exit:clCreateProgramWithBinary")); r.hung || r.code != 3 {
		t.Fatalf("under a driver that exits loading the program: exit status %d, stderr %q: want 3, the driver's", r.code, r.stderr)
	}
	r := runSetUpCase(setUpCase{line: device}, env)
	note := regexp.MustCompile(`gpusim: note: cache: process [0-9]+ ended without a crash while the OpenCL driver loaded a compiled program from the cache or ran its first launch \(killed by kill -9 or the out-of-memory killer, or ended by its driver\): the driver is asked again\n`)
	if r.hung || r.code != 0 || !note.MatchString(r.stderr) || strings.Contains(r.stderr, "discarded") || strings.Contains(r.stderr, "compiling") {
		t.Errorf("the next start: exit status %d, stderr %q: want 0, the note %q, the cached program loaded", r.code, r.stderr, note)
	}
	if marks, _ := filepath.Glob(filepath.Join(cache, "programs", "*.loading.*")); len(marks) != 0 {
		t.Errorf("loading marks %q after the next start: want none", marks)
	}
}
