package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

const benchDoc = "# B\n\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n"

var tinyBench = []string{"bench", "--lanes", "1000", "--steps", "4", "--reps", "1", "--workers", "1,2", "--sweep", "100", "--sweep-reps", "1", "--baseline", "none", "-q"}

// TestBenchOutputsIndependent: an output bench cannot write (a disk that
// filled while the benchmark ran, for --html) does not stop the others:
// the charts are written and the document updated, and the run exits 1
// naming the one that failed. It used to stop at the first failure,
// leaving the rest unwritten without a word.
func TestBenchOutputsIndependent(t *testing.T) {
	old := benchRoom
	benchRoom = func(*bench.Config, []engines.Spec, []string, benchOptions) error { return nil } // full after the check
	t.Cleanup(func() { benchRoom = old })
	full := testenv.SmallDisk(t, "8k", false, nil)
	dir := t.TempDir()
	doc := filepath.Join(dir, "b.md")
	if err := os.WriteFile(doc, []byte(benchDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(full, "b.html")
	plots := filepath.Join(dir, "img")
	code, stdout, stderr := run(context.Background(), append(tinyBench, "--html", html, "--plot", plots, "--update-doc", doc)...)
	if code != exitFailure || !strings.Contains(stderr, "write --html: "+html+": no space left on device") {
		t.Errorf("exit %d, stderr %q; want 1 and the --html error", code, stderr)
	}
	if !strings.Contains(stdout, "serial") {
		t.Errorf("no report on stdout: %q", stdout)
	}
	if _, err := os.Stat(filepath.Join(plots, "speedup.png")); err != nil {
		t.Errorf("charts: %v", err)
	}
	if b, _ := os.ReadFile(doc); !strings.Contains(string(b), "img/speedup.png") || strings.Contains(string(b), "\nold\n") {
		t.Errorf("--update-doc not updated with the charts:\n%s", b)
	}
	if ents, _ := os.ReadDir(full); len(ents) != 0 {
		t.Errorf("the full disk holds %d files, want none", len(ents))
	}
}

// TestBenchDocReadOnly: --update-doc in a folder that takes no new file is
// refused before the benchmark runs (exit 2), as --html and --plot are; it
// used to fail with exit 1 after the whole benchmark.
func TestBenchDocReadOnly(t *testing.T) {
	ro := testenv.SmallDisk(t, "64k", true, map[string]string{"b.md": benchDoc})
	doc := filepath.Join(ro, "b.md")
	code, stdout, stderr := run(context.Background(), append(tinyBench, "--update-doc", doc)...)
	want := `gpusim: error: --update-doc: cannot write "` + doc + `": read-only file system` + "\n"
	if code != exitUsage || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, stdout, stderr, want)
	}
}

// TestBenchPlotDirRemoved: a --plot folder bench made is removed when the
// benchmark ends without charts in it (here cancelled before it starts);
// one that existed is kept.
func TestBenchPlotDirRemoved(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	made := filepath.Join(dir, "new", "img")
	if code, _, _ := run(ctx, append(tinyBench, "--plot", made)...); code != exitFailure {
		t.Errorf("cancelled bench: exit %d, want 1", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("the --plot folders bench made are still there: %v", err)
	}
	kept := filepath.Join(dir, "kept")
	if err := os.Mkdir(kept, 0o755); err != nil {
		t.Fatal(err)
	}
	run(ctx, append(tinyBench, "--plot", kept)...)
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("an existing --plot folder was removed: %v", err)
	}
}

// TestSameFileThroughBindMount: two flags naming one file through a bind
// mount of its folder are refused like two spellings of one path (the
// check compared path strings: the per-day table replaced the finals).
func TestSameFileThroughBindMount(t *testing.T) {
	dir := t.TempDir()
	d1, d2 := filepath.Join(dir, "d1"), filepath.Join(dir, "d2")
	for _, d := range []string{d1, d2} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mount(d1, d2, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("cannot bind-mount here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(d2, 0) })
	out, daily := filepath.Join(d1, "f.csv"), filepath.Join(d2, "f.csv")
	code, _, stderr := run(context.Background(), "run", "--engine", "serial", "--lanes", "100", "--steps", "3", "-q", "--out", out, "--daily-out", daily)
	want := `gpusim: error: --daily-out: "` + daily + `" is also the file of --out` + "\n"
	if code != exitUsage || stderr != want {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
	if ents, _ := os.ReadDir(d1); len(ents) != 0 {
		t.Errorf("the refused run left %d files", len(ents))
	}
}

// TestSameFileByInode: two flags naming one existing file by two names (a
// hard link, a file bind-mounted over another) are refused: the second
// rename failed after the run with EBUSY under the bind mount.
func TestSameFileByInode(t *testing.T) {
	dir := t.TempDir()
	h1, h2 := filepath.Join(dir, "h1.csv"), filepath.Join(dir, "h2.csv")
	if err := os.WriteFile(h1, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(h1, h2); err != nil {
		t.Skip(err)
	}
	code, _, stderr := run(context.Background(), "run", "--engine", "serial", "--lanes", "100", "--steps", "3", "-q", "--out", h1, "--daily-out", h2)
	if want := `gpusim: error: --daily-out: "` + h2 + `" is also the file of --out` + "\n"; code != exitUsage || stderr != want {
		t.Errorf("hard link: exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
	f1, f2 := filepath.Join(dir, "f1.csv"), filepath.Join(dir, "f2.csv")
	for _, f := range []string{f1, f2} {
		if err := os.WriteFile(f, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mount(f1, f2, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("cannot bind-mount here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(f2, 0) })
	code, _, stderr = run(context.Background(), "run", "--engine", "serial", "--lanes", "100", "--steps", "3", "-q", "--out", f1, "--daily-out", f2)
	if want := `gpusim: error: --daily-out: "` + f2 + `" is also the file of --out` + "\n"; code != exitUsage || stderr != want {
		t.Errorf("bind mount: exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
}

// TestLinkToDeletedFile: a link to a /proc fd entry of a deleted file is
// refused before the run; it used to create a file named "... (deleted)".
func TestLinkToDeletedFile(t *testing.T) {
	dir := t.TempDir()
	gone := filepath.Join(dir, "gone.csv")
	f, err := os.Create(gone)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	os.Remove(gone)
	link := filepath.Join(dir, "zz.csv")
	if err := os.Symlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), link); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(context.Background(), "run", "--engine", "serial", "--lanes", "100", "--steps", "3", "-q", "--out", link)
	if code != exitUsage || !strings.HasPrefix(stderr, "gpusim: error: --out: ") {
		t.Errorf("exit %d, stderr %q; want 2 naming --out", code, stderr)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "zz.csv" {
			t.Errorf("the refused run left %s", e.Name())
		}
	}
}

// TestBenchDiskFull: --html, --plot's charts and --update-doc are refused
// before the benchmark (exit 2, no report, nothing written) where their file
// system has less free than they can take for its plan (bench.Plan.MaxSizes,
// the document as it is besides), naming what they need and what is free:
// they were written after it, and a benchmark of minutes ended with exit 1
// and "no space left on device". A disk with room for their bounds takes
// them; and a flag's own error still comes first (run --plot onto a full
// disk with a bad --shard was refused for its room).
func TestBenchDiskFull(t *testing.T) {
	full := testenv.SmallDisk(t, "64k", false, map[string]string{"b.md": benchDoc})
	for _, args := range [][]string{
		{"--html", full + "/b.html"}, {"--plot", full + "/img"}, {"--plot", full + "/img", "--plot-format", "svg"}, {"--update-doc", full + "/b.md"},
	} {
		code, stdout, stderr := run(context.Background(), append(tinyBench, args...)...)
		want := "gpusim: error: " + args[0] + ": "
		if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, " of disk space ") || !strings.Contains(stderr, "but its file system has ") {
			t.Errorf("%q on a 64 kB disk: exit %d, stdout %q, stderr %q; want 2, no report and %q naming the room", args, code, stdout, stderr, want)
		}
		// --plot's charts name the flag once, in a list: it was
		// named again before each chart, joined by "and".
		if strings.Count(stderr, args[0]) != 1 || args[0] == "--plot" && strings.Count(stderr, " and ") != 1 {
			t.Errorf("%q on a 64 kB disk: %q; want %s named once, its files in a list", args, stderr, args[0])
		}
	}
	if ents, _ := os.ReadDir(full); len(ents) != 1 {
		t.Errorf("the full disk holds %d files, want the document alone", len(ents))
	}
	if b, _ := os.ReadFile(full + "/b.md"); string(b) != benchDoc {
		t.Errorf("the document was changed:\n%s", b)
	}
	roomy := testenv.SmallDisk(t, "8m", false, map[string]string{"b.md": benchDoc})
	code, stdout, stderr := run(context.Background(), append(tinyBench, "--html", roomy+"/b.html", "--plot", roomy+"/img", "--update-doc", roomy+"/b.md")...)
	if code != 0 || !strings.Contains(stdout, "serial") {
		t.Errorf("an 8 MB disk: exit %d, stderr %q; want the outputs written", code, stderr)
	}
	if b, _ := os.ReadFile(roomy + "/b.md"); !strings.Contains(string(b), "img/speedup.png") {
		t.Errorf("--update-doc not updated on the 8 MB disk:\n%s", b)
	}
	code, _, stderr = run(context.Background(), "run", "--engine", "serial", "--lanes", "1000", "--steps", "3", "-q", "--plot", full+"/c.png", "--shard", "3/2")
	if want := `gpusim: error: --shard: invalid value "3/2": `; code != exitUsage || !strings.HasPrefix(stderr, want) {
		t.Errorf("run --plot onto a full disk with --shard 3/2: exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
}

// TestBenchTempRoom: a temporary folder whose file system cannot take the
// part files the processes engine's children write at once is refused
// before anything runs (exit 2, naming TMPDIR and the room), as a missing
// one is: 8 children on a 64 kB tmpfs ran the workloads and failed at the
// scaling table, a child's "--save: ... may need up to 16.4 kB", losing
// processes' scaling. Two children's parts fit, and run.
func TestBenchTempRoom(t *testing.T) {
	tmp := testenv.SmallDisk(t, "64k", false, nil)
	t.Setenv("TMPDIR", tmp)
	ran, args := withProcessesBench(t)
	code, stdout, stderr := run(context.Background(), append(args, "--workers", "1,8")...)
	want := "gpusim: error: TMPDIR: the processes engine's 8 children at once may need up to "
	if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, fmt.Sprintf("in the temporary folder %q, but its file system has ", tmp)) || *ran {
		t.Errorf("8 children on a 64 kB TMPDIR: exit %d, stdout %q, stderr %q, ran %v; want 2, nothing run and %q", code, stdout, stderr, *ran, want)
	}
	if !strings.Contains(stderr, "\ngpusim: hint: set TMPDIR to a folder with more room, run fewer children at once (--workers, GOMAXPROCS), or leave processes out with --engines\n") {
		t.Errorf("no hint: %q", stderr)
	}
	// The sweep's runs count too, on a child per GOMAXPROCS.
	runtime.GOMAXPROCS(8)
	code, _, stderr = run(context.Background(), "bench", "--lanes", "1", "--steps", "2", "--reps", "1", "--warmup", "0", "--no-scaling", "--sweep", "1e4", "--sweep-reps", "1", "--baseline", "none", "-q")
	if code != exitUsage || !strings.HasPrefix(stderr, "gpusim: error: TMPDIR: ") || *ran {
		t.Errorf("a sweep on GOMAXPROCS 8 children on a 64 kB TMPDIR: exit %d, stderr %q, ran %v; want 2", code, stderr, *ran)
	}
	runtime.GOMAXPROCS(2)
	code, stdout, stderr = run(context.Background(), append(args, "--workers", "1,2")...)
	if code != 0 || !strings.Contains(stdout, "processes") || !*ran {
		t.Errorf("2 children on a 64 kB TMPDIR: exit %d, stderr %q, ran %v; want the benchmark run", code, stderr, *ran)
	}
}

// removingEngine is serial that removes dir as it runs.
type removingEngine struct{ dir string }

func (removingEngine) Name() string { return "serial" }

func (e removingEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	os.RemoveAll(e.dir)
	return cpu.Serial{}.Run(ctx, job)
}

// TestBenchCommitError: an output that cannot be put in place after the
// benchmark (--html's folder removed while it ran) is named as run names
// its outputs, by flag and path once, with the file whose rename failed
// before the charts left as they were for it: it read "write h/r.html:
// write h/r.html: no such file or directory", the flag not named.
func TestBenchCommitError(t *testing.T) {
	dir := t.TempDir()
	gone := filepath.Join(dir, "gone")
	if err := os.Mkdir(gone, 0o755); err != nil {
		t.Fatal(err)
	}
	withBench(t, engines.Benchable{Entries: []string{"serial"}, Specs: []engines.Spec{
		spec("serial", false, func(int) sim.Engine { return removingEngine{gone} })}})
	html, charts := filepath.Join(gone, "r.html"), filepath.Join(dir, "img")
	code, stdout, stderr := run(context.Background(), "bench", "--lanes", "100", "--steps", "2", "--reps", "1", "--warmup", "0", "--no-scaling", "--no-sweep", "--baseline", "none", "-q", "--html", html, "--plot", charts)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	want := "gpusim: error: write --html: " + html + ": no such file or directory"
	if code != exitFailure || !strings.Contains(stdout, "serial") || lines[0] != want {
		t.Fatalf("exit %d, stderr %q; want 1, the report and first %q", code, stderr, want)
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "gpusim: error: write --plot: "+charts+"/") || !strings.HasSuffix(l, ": left as it was, as \""+html+"\" could not be put in place with it (a run's outputs are committed all or none)") {
			t.Errorf("a chart's error reads %q", l)
		}
	}
}

// TestBenchStdoutRoom: bench whose report goes to a file on a disk that
// cannot take it at its largest (bench.Plan.MaxReportSize), alone or
// beside the --html page going to the same disk, is refused before
// anything runs (exit 2, gpusim: error: stdout: ..., as run's report is),
// its stdout's file and the disk left empty: it ran every workload and
// then failed at the report's write. One with room runs.
func TestBenchStdoutRoom(t *testing.T) {
	// Progress on: none may come before the refusal. The page's bound
	// is 201 kB (184 kB before the busy machine's notes were counted, 209
	// kB before the speedup axis kept at most 12 labels) and the
	// report's 32.8 kB, each of which fits 216k (221 kB free) alone; at
	// 192k (197 kB free) the page alone did not, and --html was refused.
	loud := append(slices.Clone(tinyBench[:len(tinyBench)-1]), "--engines", "serial,simd")
	const prefix = "gpusim: error: stdout: the text report may need up to "
	for _, c := range []struct {
		size, fill string
		html       bool
		code       int
		want       []string // in the error, in order
	}{
		{"64k", "64k", false, exitUsage, []string{prefix, " of disk space, but the file system of the file stdout goes to (DISK/r) has 0 bytes free\n"}},
		{"216k", "", true, exitUsage, []string{prefix, " of disk space and --html \"DISK/b.html\" up to ", " there, ", " in all, but the file system of the file stdout goes to (DISK/r) has 221 kB free\n"}},
		{"320k", "", true, 0, nil},
	} {
		disk := testenv.SmallDisk(t, c.size, false, nil)
		if c.fill != "" {
			n := map[string]int{"64k": 64 << 10}[c.fill]
			if err := os.WriteFile(disk+"/fill", make([]byte, n), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		f, err := os.Create(disk + "/r")
		if err != nil {
			t.Fatal(err)
		}
		args := loud
		if c.html {
			args = append(slices.Clone(loud), "--html", disk+"/b.html")
		}
		var stderr strings.Builder
		code := runContext(context.Background(), args, strings.NewReader(""), f, &stderr)
		f.Close()
		var parts []string
		for _, w := range c.want {
			parts = append(parts, regexp.QuoteMeta(strings.ReplaceAll(w, "DISK", disk)))
		}
		want := "^" + strings.Join(parts, "[0-9.]+ k?B")
		st, _ := os.Stat(disk + "/r")
		_, herr := os.Stat(disk + "/b.html")
		switch {
		case c.code != 0 && (code != c.code || !regexp.MustCompile(want).MatchString(stderr.String()) || strings.Contains(stderr.String(), "bench:")):
			t.Errorf("%s disk: exit %d, stderr %q; want %d and %q, before any progress", c.size, code, stderr.String(), c.code, want)
		case c.code != 0 && (st == nil || st.Size() != 0 || herr == nil):
			t.Errorf("%s disk: stdout's file %v, --html written %v: want it empty and no page", c.size, st, herr == nil)
		case c.code == 0 && (code != 0 || st == nil || st.Size() == 0 || herr != nil):
			t.Errorf("%s disk: exit %d (%s), stdout's file %v, --html %v: want 0, a report and the page", c.size, code, stderr.String(), st, herr)
		}
	}
}
