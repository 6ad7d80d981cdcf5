package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/engines"
)

// TestSeveralRefused: a crash while two devices (Oclgrind's and pocl's,
// through the forwarding driver, one ICD loader) were set up at once
// (run --device all, FAKECL_FAULT=crash:clCreateBuffer) leaves a mark on
// each, and gpusim devices refuses both: each device's line says the
// crash was here or on the other device it used at once, and a note on
// stderr names both devices and gives the one rm -f that asks them all
// again. Each line said "which crashed it" of both devices, one of which
// did not crash, and no line or note said that several were refused nor
// gave one command for all.
func TestSeveralRefused(t *testing.T) {
	const oclgrind = "/usr/lib/oclgrind/liboclgrind-rt-icd.so"
	if _, err := os.Stat(oclgrind); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Oclgrind is required when CI=true: %v", err)
		}
		t.Skip("no Oclgrind")
	}
	loadedOpenCL(t) // the ICD loader is there
	real := poclDriver(t)
	lib := fakeDriver(t, "fwd")
	icds := t.TempDir()
	for name, path := range map[string]string{"fwd.icd": lib, "oclgrind.icd": oclgrind} {
		if err := os.WriteFile(filepath.Join(icds, name), []byte(path+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Whether the other device holds its set-up's mark at the crash
	// depends on the threads' timing: a few tries, each a new cache.
	var cache string
	var env, marks []string
	for try := 0; try < 5 && len(marks) != 2; try++ {
		cache = filepath.Join(t.TempDir(), "cache")
		env = slices.Concat(os.Environ(), []string{"GPUSIM_OPENCL_LIBRARY=", "OCL_ICD_FILENAMES=", "OCL_ICD_VENDORS=" + icds, "FAKECL_REAL=" + real, "GPUSIM_CACHE_DIR=" + cache, "GPUSIM_DRIVER_WAIT=60"})
		crash := exec.Command("gpusim", "run", "--device", "all", "--lanes", "1000", "--steps", "10")
		crash.Env = append(env, "FAKECL_FAULT=crash:clCreateBuffer")
		if out, err := crash.CombinedOutput(); err == nil {
			t.Fatalf("run --device all under a driver that crashes creating a buffer: %v\n%s", err, out)
		}
		marks, _ = filepath.Glob(filepath.Join(cache, "programs", "*.setup.*"))
	}
	if len(marks) != 2 {
		t.Skipf("marks %q after 5 crashes: the other device was never in its set-up at the crash", marks)
	}
	for _, format := range []string{"text", "json"} {
		cmd := exec.Command("gpusim", "devices", "--format", format)
		cmd.Env = env
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("devices --format %s: %v\n%s", format, err, stderr.String())
		}
		const here = "which crashed it here or on another device it used at once (which one's call cannot be told): not asked again"
		if n := strings.Count(stdout.String(), here); n != 2 {
			t.Errorf("devices --format %s: %d devices say %q, want 2:\n%s", format, n, here, stdout.String())
		}
		note := regexp.MustCompile(`gpusim: note: 2 devices are refused \(0, 1\), each as its refusal says: rm -f (\S+) (\S+) asks them all again\n`).FindStringSubmatch(stderr.String())
		if note == nil || !slices.Contains(marks, note[1]) || !slices.Contains(marks, note[2]) || note[1] == note[2] {
			t.Errorf("devices --format %s: stderr %q: want the note of both devices with the rm -f of %q", format, stderr.String(), marks)
		}
	}
}

// TestRefusedNote: the note of devices refused names them and gives one
// rm -f of every mark, each once, where two or more are refused; none
// where one is (its line's rm -f is the one command).
func TestRefusedNote(t *testing.T) {
	refused := func(i int, marks ...string) engines.Device {
		return engines.Device{Index: i, Props: []engines.Prop{{Key: "refused", Label: "refused", Value: engines.Refusal{Reason: "r", Marks: marks}}}}
	}
	free := engines.Device{Index: 1, Props: []engines.Prop{{Key: "refused"}}}
	if n := refusedNote([]engines.Device{refused(0, "/a"), free}); n != "" {
		t.Errorf("one device refused: note %q, want none", n)
	}
	const want = "3 devices are refused (0, 2, 3), each as its refusal says: rm -f /a /b /c asks them all again"
	if n := refusedNote([]engines.Device{refused(0, "/a", "/b"), free, refused(2, "/b", "/a"), refused(3, "/c")}); n != want {
		t.Errorf("three devices refused: note %q, want %q", n, want)
	}
	// A cache folder with a space: the rm -f pasted into a shell removed
	// other files, and not the marks (helper 350).
	const quoted = "2 devices are refused (0, 2), each as its refusal says: rm -f '/my cache/a' /b asks them all again"
	if n := refusedNote([]engines.Device{refused(0, "/my cache/a"), free, refused(2, "/b")}); n != quoted {
		t.Errorf("a path with a space: note %q, want %q", n, quoted)
	}
}
