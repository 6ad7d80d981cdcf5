package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

// TestSameOpenFile: a descriptor dup'ed from another holds the same open
// file (as /dev/null dup'ed onto stdin and stdout by daemon(3) or Python's
// subprocess.DEVNULL), a second open of the same path does not (as Go's
// runtime opens each closed standard descriptor).
func TestSameOpenFile(t *testing.T) {
	a, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dup, err := syscall.Dup(int(a.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(dup)
	if !sameOpenFile(int(a.Fd()), dup) {
		t.Skip("kcmp(2) is not allowed here")
	}
	if sameOpenFile(int(a.Fd()), int(b.Fd())) {
		t.Errorf("two opens of %s: sameOpenFile true, want false", os.DevNull)
	}
}

// TestTrackedWriterStopsAfterFailure: once a write to stdout's file has
// failed and been cut back out, a later, shorter write that would fit in
// the room the cut left is not written either: selftest >> r on a full
// disk failed at its device's checks and then wrote its summary line, and
// the file held that line alone beside an error that said it held none of
// the report.
func TestTrackedWriterStopsAfterFailure(t *testing.T) {
	const held = 4000 // bytes of the file before, in its one page
	disk := testenv.SmallDisk(t, "64k", false, map[string]string{"r": strings.Repeat("x", held)})
	if err := os.WriteFile(disk+"/fill", make([]byte, 60<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(disk+"/r", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &trackedWriter{w: f}
	if _, err := w.Write(make([]byte, 1000)); err == nil {
		t.Fatal("a write past the disk's room did not fail")
	}
	n, err := w.Write([]byte("selftest: 1 device, every check passed\n"))
	st, _ := f.Stat()
	if n != 0 || err == nil || !w.cut || st.Size() != held {
		t.Errorf("the later write: %d bytes, %v; cut %v, the file %d bytes; want 0 bytes, the first error, cut, %d bytes", n, err, w.cut, st.Size(), held)
	}
}

// TestStdoutDevFull: a stdout of /dev/full, where every write fails, is
// refused before any work, exit 2, naming it, by every command that prints
// a report: run ran whole and then failed at the write (exit 1, and its
// --out written), merge read every part first (a damaged one is not read
// now), bench ran its workloads. /dev/null and a file are not refused.
func TestStdoutDevFull(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	if !alwaysFull(full) {
		t.Fatal("alwaysFull(/dev/full) is false")
	}
	dir := t.TempDir()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	file, err := os.Create(filepath.Join(dir, "r"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if alwaysFull(null) || alwaysFull(file) {
		t.Errorf("alwaysFull is true for %s or a file", os.DevNull)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("not a part\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "f.npy")
	for _, c := range []struct {
		args []string
		what string
	}{
		{[]string{"run", "--engine", "serial", "--lanes", "10", "--out", out}, "the text report"},
		{[]string{"run", "--engine", "serial", "--lanes", "10", "--format", "json"}, "the json report"},
		{[]string{"merge", bad}, "the text report"},
		{[]string{"bench", "--engines", "serial", "--lanes", "100", "--steps", "4", "--reps", "1", "--warmup", "0", "--no-scaling", "--no-sweep", "--baseline", "none"}, "the text report"},
		{[]string{"selftest", "--format", "json"}, "the json report"},
		{[]string{"devices"}, "the text listing"},
		// They exited 1, "write standard output: no space left on device".
		{[]string{"version"}, "the version line"},
		{[]string{"--version"}, "the version line"},
		{[]string{"--help"}, "the help text"},
		{[]string{"help", "run"}, "the help text"},
		{[]string{"run", "--help"}, "the help text"},
		{[]string{"run", "--lanes", "0", "--help"}, "the help text"},
		// After a leading "--", which they run as without it.
		{[]string{"--", "version"}, "the version line"},
		{[]string{"--", "help"}, "the help text"},
		{[]string{"--", "run", "--help"}, "the help text"},
	} {
		var stderr strings.Builder
		code := runContext(context.Background(), c.args, strings.NewReader(""), full, &stderr)
		want := "gpusim: error: stdout: " + c.what + " cannot be written: stdout goes to /dev/full, where every write fails (no space left on device)\ngpusim: hint: send stdout to a file, a pipe or /dev/null\n"
		if code != exitUsage || stderr.String() != want {
			t.Errorf("%q > /dev/full: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr.String(), want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("the refused run wrote %s", out)
	}
}

// TestStdoutWriteFails: a report whose write fails where stdout's room was
// not known before is said in one wording, with the digest of a run's or a
// merge's report, whose lost report it names (stdout_full.txtar tested it
// on /dev/full, which is now refused first).
func TestStdoutWriteFails(t *testing.T) {
	part := filepath.Join(t.TempDir(), "p.json")
	if code, _, stderr := run(context.Background(), "run", "--engine", "serial", "--lanes", "100", "--steps", "3", "--shard", "0/1", "--save", part, "-q"); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	const digest = "gpusim: error: write standard output: no space left on device (the report's digest is 9ae7dc34dbb40de6)\n"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--engine", "serial", "--lanes", "100", "--steps", "3", "-q"}, digest},
		{[]string{"run", "--engine", "serial", "--lanes", "100", "--steps", "3", "-q", "--format", "json"}, digest},
		{[]string{"merge", part}, digest},
		{[]string{"version"}, "gpusim: error: write standard output: no space left on device\n"},
		{[]string{"run", "--help"}, "gpusim: error: write standard output: no space left on device\n"},
	} {
		var stderr strings.Builder
		code := runContext(context.Background(), c.args, strings.NewReader(""), fullWriter{}, &stderr)
		if code != exitFailure || stderr.String() != c.want {
			t.Errorf("%q: exit %d, stderr %q; want exit 1 and %q", c.args, code, stderr.String(), c.want)
		}
	}
}

// TestCouldNotRunReportLost: where the environment keeps the device engine
// from running (no OpenCL library, an ICD loader that finds no driver) and
// the JSON document that says so cannot be written (a stdout whose write
// fails, not /dev/full, which is refused first), devices and selftest say
// both, each error followed by its hint, and exit 2, the status of a
// command that could not run (README's exit table). selftest said its
// hint after the write's error, devices before it.
func TestCouldNotRunReportLost(t *testing.T) {
	empty := t.TempDir() // a folder of no .icd files
	const lost = "gpusim: error: write standard output: no space left on device\n"
	for _, env := range [][]string{
		{"GPUSIM_OPENCL_LIBRARY=/nonexistent/libOpenCL.so.1"},
		{"GPUSIM_OPENCL_LIBRARY=", "OCL_ICD_VENDORS=" + empty},
	} {
		for _, c := range []struct {
			args  []string
			error string // the first line's start
		}{
			{[]string{"devices", "--format", "json"}, "gpusim: error: devices: could not run: no "},
			{[]string{"selftest", "--format", "json"}, "gpusim: error: selftest: could not run: no "},
			{[]string{"selftest", "--device", "0", "--format", "json"}, "gpusim: error: selftest: could not run: no "},
			{[]string{"devices"}, "gpusim: error: devices: could not run: no "},
			{[]string{"selftest"}, "gpusim: error: selftest: could not run: no "},
		} {
			cmd := exec.Command("gpusim-failing-stdout", c.args...)
			cmd.Env = append(os.Environ(), append([]string{"GPUSIM_CACHE_DIR=" + t.TempDir()}, env...)...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			cmd.Run()
			lines := strings.SplitAfter(stderr.String(), "\n")
			want := 3 // the error, its hint, the lost document
			if c.args[len(c.args)-1] != "json" {
				want = 2 // the text says nothing on stdout there
			}
			if code := cmd.ProcessState.ExitCode(); code != exitUsage || len(lines) != want+1 || !strings.HasPrefix(lines[0], c.error) ||
				!strings.HasPrefix(lines[1], "gpusim: hint: ") || want == 3 && lines[2] != lost {
				t.Errorf("%v %v: exit %d, stderr %q; want exit 2, %q..., its hint and, for JSON, %q", env, c.args, code, stderr.String(), c.error, lost)
			}
		}
	}
}
