package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/plots"
	"github.com/gpusim/gpusim/internal/report"
	"github.com/gpusim/gpusim/internal/testenv"
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

// TestOutDiskFull: --out and --paths-out that cannot fit in the free space
// of their file system are refused before the run (exit 2), the two added
// up where they share one; the run went ahead and failed at the write,
// after the whole job (exit 1, "no space left on device"). A CSV is
// counted exactly where its values can be computed before the run, else at
// its values' longest, never under the file: a count 2% under it let a disk
// short by less run the whole job and fail at the write. Each file is
// counted in whole blocks (tmpfs's pages of 4 KiB), as it takes them.
func TestOutDiskFull(t *testing.T) {
	full := testenv.SmallDisk(t, "64k", false, nil)
	larger := testenv.SmallDisk(t, "12m", false, nil)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--lanes", "1e5", "--out", full + "/f.npy"}, `gpusim: error: --out: "` + full + `/f.npy" needs 401 kB of disk space, but its file system has 65.5 kB free`},
		// The CSV's size (1,507,393 bytes): it said "791 kB at least", every
		// value at one digit, and a disk of that was refused again.
		{[]string{"--lanes", "1e5", "--out", full + "/f.csv"}, `gpusim: error: --out: "` + full + `/f.csv" needs 1.51 MB of disk space, but its file system has 65.5 kB free`},
		{[]string{"--lanes", "1e4", "--out", full + "/f.f32", "--paths", "1000", "--paths-out", full + "/p.npy"}, `gpusim: error: --out: "` + full + `/f.f32" and --paths-out "` + full + `/p.npy" need 81.9 kB of disk space, but its file system has 65.5 kB free`}, // 80 kB of values and the .npy header, in whole pages of 4 KiB
		{[]string{"--lanes", "5000", "--out", full + "/f.csv"}, `gpusim: error: --out: "` + full + `/f.csv" needs 73.7 kB of disk space, but its file system has 65.5 kB free`},
		{[]string{"--lanes", "1e6", "--out", larger + "/f.csv"}, `gpusim: error: --out: "` + larger + `/f.csv" may need up to 17.9 MB of disk space (each counted at its largest, every value, pixel or point at its longest, as the run has not made them), but its file system has 12.6 MB free`}, // 16.1 MB written; 22.9 MB with every value at 15 bytes
	} {
		code, stdout, stderr := run(context.Background(), append([]string{"run", "--engine", "serial", "--steps", "10", "-q"}, c.args...)...)
		if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, c.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2, no report and %q", c.args, code, stdout, stderr, c.want)
		}
	}
	// --save's part file is counted at its largest (shard.MaxSize): a
	// --daily part of 100 steps is about 0.3 MB.
	code, stdout, stderr := run(context.Background(), "run", "--engine", "serial", "--lanes", "1e4", "--steps", "100", "--daily", "-q", "--save", full+"/p.json")
	if want := `gpusim: error: --save: "` + full + `/p.json" may need up to `; code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, want) {
		t.Errorf("--save: exit %d, stdout %q, stderr %q; want 2, no report and %q", code, stdout, stderr, want)
	}
	if ents, _ := os.ReadDir(full); len(ents) != 0 {
		t.Errorf("the full disk holds %d files, want none", len(ents))
	}
	// Two small files take a page each: a disk of one page ran the job,
	// wrote --out and failed at --daily-out's write (exit 1).
	page := testenv.SmallDisk(t, "4k", false, nil)
	code, stdout, stderr = run(context.Background(), "run", "--engine", "serial", "--lanes", "1", "--steps", "10", "-q", "--out", page+"/f.f32", "--daily-out", page+"/d.csv")
	if want := `gpusim: error: --out: "` + page + `/f.f32" and --daily-out "` + page + `/d.csv" may need up to 8.19 kB of disk space (each counted at its largest, every value, pixel or point at its longest, as the run has not made them), but its file system has 4.1 kB free`; code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, want) {
		t.Errorf("two files on a disk of a page: exit %d, stdout %q, stderr %q; want 2, no report and %q", code, stdout, stderr, want)
	}
	// A disk of the bound, 17,888,907 bytes (each value at the 10 bytes
	// of the run's range, sim.Params.Range), rounded up to whole pages,
	// takes the CSV; one a page smaller is refused.
	for _, c := range []struct {
		size string
		code int
	}{{"17472k", 0}, {"17468k", exitUsage}} {
		disk := testenv.SmallDisk(t, c.size, false, nil)
		if code, _, stderr := run(context.Background(), "run", "--engine", "serial", "--lanes", "1e6", "--steps", "10", "-q", "--out", disk+"/f.csv"); code != c.code {
			t.Errorf("1e6 lanes to a CSV on a disk of %s: exit %d, stderr %q; want %d", c.size, code, stderr, c.code)
		}
	}
	// What fits is written.
	for _, c := range []struct{ lanes, flag, name string }{{"1e4", "--out", "f.npy"}, {"4000", "--out", "f.csv"}, {"1e4", "--save", "p.json"}} {
		if code, _, stderr := run(context.Background(), "run", "--engine", "serial", "--lanes", c.lanes, "--steps", "10", "-q", c.flag, full+"/"+c.name); code != 0 {
			t.Errorf("%s lanes to %s/%s: exit %d, stderr %q", c.lanes, full, c.name, code, stderr)
		}
		os.Remove(full + "/" + c.name)
	}
}

// TestColdNoteFullDisk: a cold start whose cache folder's file system is
// full says that every start compiles, and why; it promised that the
// program "is cached for later runs", and the cache's note then said it was
// not written.
func TestColdNoteFullDisk(t *testing.T) {
	full := testenv.SmallDisk(t, "64k", false, nil)
	if !openclAvailable() {
		t.Skip("no OpenCL device")
	}
	// A process of its own: the cache's notes are the process's.
	cmd := exec.Command("gpusim", "run", "--engine", "opencl", "--lanes", "100", "--steps", "1", "-q")
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+full)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	want := "every start compiles it, as gpusim's cache folder cannot keep it: the file system of " + full
	if err != nil || !strings.Contains(stdout.String(), "digest ") || !strings.Contains(stderr.String(), want) ||
		!strings.Contains(stderr.String(), "free, under the 1.05 MB a compiled program takes") || strings.Contains(stderr.String(), "cached for later runs") {
		t.Errorf("%v, stdout %q, stderr %q; want success, a digest and a note with %q", err, stdout.String(), stderr.String(), want)
	}
}

// TestColdNoteReadOnlyCache: a cache folder on a read-only file system is
// said once, in the cold start's note: gpusim selftest, which opens two
// programs, said it twice, each naming a random probe file
// (".probe-53250529"), and the cache's own note "cache: not written" named
// the cause a third time.
func TestColdNoteReadOnlyCache(t *testing.T) {
	ro := testenv.SmallDisk(t, "4m", true, nil)
	if !openclAvailable() {
		t.Skip("no OpenCL device")
	}
	// A process of its own: the cache's notes are the process's.
	cmd := exec.Command("gpusim", "selftest", "--device", "0")
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+ro)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	want := "every start compiles it, as gpusim's cache folder cannot keep it: write in " + ro + ": read-only file system"
	if err != nil || !strings.Contains(stdout.String(), "every check passed") || strings.Count(stderr.String(), want) != 1 ||
		strings.Count(stderr.String(), "gpusim: note:") != 1 || strings.Contains(stderr.String(), ".probe-") {
		t.Errorf("%v, stdout %q, stderr %q; want success and one note, with %q", err, stdout.String(), stderr.String(), want)
	}
}

// TestColdNoteProgramsReadOnly: a cache folder that can be written whose
// programs subfolder cannot (a folder shared by several users, whose
// programs subfolder another user made; here a read-only file system
// there, which root's writes do not pass) says that every start compiles,
// and why, once: it said the program "is cached for later runs", every
// start, and the cache's notes then said it was not written.
func TestColdNoteProgramsReadOnly(t *testing.T) {
	ro := testenv.SmallDisk(t, "4m", true, nil) // room for the entries: the write is refused for the file system alone
	if !openclAvailable() {
		t.Skip("no OpenCL device")
	}
	dir := t.TempDir()
	programs := filepath.Join(dir, "programs")
	if err := os.Symlink(ro, programs); err != nil {
		t.Fatal(err)
	}
	// A process of its own: the cache's notes are the process's.
	cmd := exec.Command("gpusim", "run", "--engine", "opencl", "--lanes", "100", "--steps", "1", "-q")
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+dir)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	want := "every start compiles it, as gpusim's cache folder cannot keep it: write in " + programs + ": read-only file system"
	if err != nil || !strings.Contains(stdout.String(), "digest ") || strings.Count(stderr.String(), want) != 1 ||
		strings.Contains(stderr.String(), "cached for later runs") || strings.Contains(stderr.String(), "not written") {
		t.Errorf("%v, stdout %q, stderr %q; want success, a digest and one note with %q", err, stdout.String(), stderr.String(), want)
	}
}

// TestColdNoteShortDisk: a cold start whose cache folder's file system has
// less free than a compiled program is taken to need before it is built
// (1 MiB, and 1 MiB left free), but room for some entry, says the program
// may not be kept, not that every start compiles it: on 1000 kB pocl's
// programs (0.2 to 0.5 MB) were cached all the same, and the next start
// loaded them without compiling.
func TestColdNoteShortDisk(t *testing.T) {
	short := testenv.SmallDisk(t, "1000k", false, nil)
	if !openclAvailable() {
		t.Skip("no OpenCL device")
	}
	start := func() string {
		t.Helper()
		// A process of its own: the cache's notes are the process's.
		cmd := exec.Command("gpusim", "run", "--engine", "opencl", "--lanes", "100", "--steps", "1", "-q")
		cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+short)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || !strings.Contains(stdout.String(), "digest ") {
			t.Fatalf("%v, stdout %q, stderr %q; want success and a digest", err, stdout.String(), stderr.String())
		}
		return stderr.String()
	}
	stderr := start()
	want := "it may not be kept for later runs: the file system of " + short
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "free, under the 1.05 MB a compiled program takes") ||
		strings.Contains(stderr, "every start compiles it") {
		t.Errorf("first start: stderr %q; want a note with %q, not that every start compiles it", stderr, want)
	}
	entries, _ := filepath.Glob(filepath.Join(short, "programs", "*[0-9a-f]"))
	if len(entries) == 0 {
		return // this device's programs are too large to be kept here
	}
	if stderr := start(); strings.Contains(stderr, "compiling the OpenCL program") {
		t.Errorf("second start, with %s cached: stderr %q; want no compile", entries, stderr)
	}
}

// TestColdNoteFolderEntry: a folder in the compiled program's place is no
// program. An empty one, or a named pipe, is replaced, with the note of a
// rebuild that names it (it read as a first start); one that holds files
// stays, and the note says to remove it, where it had promised a program
// cached for later runs beside the cache's notes that it was not read and
// not written.
func TestColdNoteFolderEntry(t *testing.T) {
	if !openclAvailable() {
		t.Skip("no OpenCL device")
	}
	cache := t.TempDir()
	start := func() (string, string) {
		t.Helper()
		// A process of its own: the cache's notes are the process's.
		cmd := exec.Command("gpusim", "run", "--engine", "opencl", "--lanes", "100", "--steps", "1", "-q")
		cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+cache)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || !strings.Contains(stdout.String(), "digest ") {
			t.Fatalf("%v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	start()
	entries, _ := filepath.Glob(filepath.Join(cache, "programs", "????????????????????????????????"))
	entries = slices.DeleteFunc(entries, namesSelfTest) // the self-test's program, which a first start builds too
	if len(entries) != 1 {
		t.Fatalf("program entries %q, want one", entries)
	}
	entry := entries[0]

	if err := os.Remove(entry); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(entry, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, stderr := start()
	if want := entry + " is a folder, not a cache entry: remove it"; !strings.Contains(stderr, "every start compiles it") || !strings.Contains(stderr, want) ||
		strings.Contains(stderr, "cached for later runs") || strings.Contains(stderr, "not a regular file") {
		t.Errorf("a folder with files in the program's place: stderr %q; want a note with %q and nothing else of it", stderr, want)
	}

	if err := os.RemoveAll(entry); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(entry, 0o755); err != nil {
		t.Fatal(err)
	}
	_, stderr = start()
	if want := " again, which can take seconds (under one where pocl's own cache holds the program): " + entry + " is an empty folder, not a cache entry; it is replaced, and the program cached for later runs"; !strings.Contains(stderr, want) ||
		strings.Contains(stderr, "not written") || strings.Contains(stderr, "not a regular file") || strings.Contains(stderr, "a first start") {
		t.Errorf("an empty folder in the program's place: stderr %q; want the note of a rebuild, %q, alone", stderr, want)
	}
	if st, err := os.Stat(entry); err != nil || !st.Mode().IsRegular() {
		t.Errorf("the empty folder was not replaced by the program: %v, %v", st, err)
	}

	// A named pipe: a rebuild, with why, and no note of the cache's
	// own; it read "a first start there", beside "cache: read ...: not a
	// regular file".
	if err := os.Remove(entry); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(entry, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr = start()
	if want := entry + " is a named pipe, not a cache entry; it is replaced, and the program cached for later runs"; !strings.Contains(stderr, want) ||
		strings.Contains(stderr, "not a regular file") || strings.Contains(stderr, "a first start") || strings.Count(stderr, "gpusim: note:") != 1 {
		t.Errorf("a named pipe in the program's place: stderr %q; want one note, with %q", stderr, want)
	}
	if st, err := os.Stat(entry); err != nil || !st.Mode().IsRegular() {
		t.Errorf("the named pipe was not replaced by the program: %v, %v", st, err)
	}
}

// TestChartDiskFull: a chart (--plot, --plot-daily) and the HTML page
// (--html), written after the run, are refused before it where their file
// system has less free than they can take (plots.MaxPNGSize,
// plots.MaxFinalSVGSize, plots.MaxDailySVGSize, report.MaxHTMLSize): a
// 64 kB disk ran the job, wrote --out and failed at a PNG chart's write
// (exit 1, "no space left on device"), and SVG charts and the page were
// not checked at all. A disk of the bound, rounded up to whole pages, is
// accepted and the file written; one a page smaller is refused. The SVG
// fan chart of 10 steps (about 6 kB) fits 16 kB: its bound, 17.3 kB with
// 16 KiB for the axes, title and legend, refused it, as it refused every
// chart (12.5 kB for --plot, 28.7 kB with its pages) on a 64 kB disk that
// held all of a run's outputs. The histogram's SVG (about 12 kB) fits it
// too, at 16.4 kB (17.4 kB, five pages, before).
func TestChartDiskFull(t *testing.T) {
	serial := report.Ran{Engine: "serial", Requested: "serial", Device: engines.DeviceLabel(cpu.Serial{})}
	full := testenv.SmallDisk(t, "16k", false, nil)
	if code, _, stderr := run(context.Background(), "run", "--engine", "serial", "--lanes", "100", "--steps", "10", "-q", "--plot-daily", full+"/d.svg"); code != 0 {
		t.Errorf("--plot-daily of 10 steps on a 16 kB disk: exit %d, stderr %q; want it written (bound %d)", code, stderr, plots.MaxDailySVGSize(10))
	}
	os.Remove(full + "/d.svg")
	for _, args := range [][]string{
		{"--plot", full + "/c.png"}, {"--plot-daily", full + "/c.png"},
		{"--html", full + "/p.html"}, {"--html", full + "/p.html", "--daily"},
	} {
		code, stdout, stderr := run(context.Background(), append([]string{"run", "--engine", "serial", "--lanes", "100", "--steps", "10", "-q"}, args...)...)
		want := `gpusim: error: ` + args[0] + `: "` + args[1] + `" may need up to `
		if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2, no report and %q", args, code, stdout, stderr, want)
		}
	}
	if ents, _ := os.ReadDir(full); len(ents) != 0 {
		t.Errorf("the full disk holds %d files, want none", len(ents))
	}
	for _, c := range []struct {
		flag, name string
		most       uint64
	}{{"--plot", "c.svg", plots.MaxFinalSVGSize()}, {"--plot-daily", "c.svg", plots.MaxDailySVGSize(10)}, {"--plot-daily", "c.png", plots.MaxPNGSize(plots.Height)}, {"--html", "p.html", report.MaxHTMLSize(false, 10, &serial)}} {
		pages := (c.most + 4095) / 4096
		for _, n := range []uint64{pages, pages - 1} {
			disk := testenv.SmallDisk(t, fmt.Sprintf("%dk", 4*n), false, nil)
			code, _, stderr := run(context.Background(), "run", "--engine", "serial", "--lanes", "100", "--steps", "10", "-q", c.flag, disk+"/"+c.name)
			st, err := os.Stat(disk + "/" + c.name)
			switch {
			case n == pages && (code != 0 || err != nil || st.Size() == 0):
				t.Errorf("%s on a disk of %d kB: exit %d, stderr %q, %v; want it written", c.flag, 4*n, code, stderr, err)
			case n < pages && (code != exitUsage || err == nil):
				t.Errorf("%s on a disk of %d kB: exit %d, stderr %q; want it refused, a page short of %d bytes", c.flag, 4*n, code, stderr, c.most)
			}
		}
	}
}

// TestHTMLRoomEngine: the --html page is counted with what it names of the
// engine once that is open (report.Ran), before the job runs: a 64 kB disk
// takes --plot, --plot-daily and --html as SVG and a page with --daily (53
// kB written), where 12 KiB for a device's name, whatever the engine, and
// the histogram's chart at 17.4 kB refused them (81.9 kB). A page that
// fits without the engine's names but not with them is let through before
// the engine opens and refused once it is, before the job runs (exit 2,
// nothing written); a page more is written.
func TestHTMLRoomEngine(t *testing.T) {
	disk := testenv.SmallDisk(t, "64k", false, nil)
	args := []string{"run", "--engine", "simd", "--lanes", "1000", "-q", "--daily",
		"--plot", disk + "/a.svg", "--plot-daily", disk + "/b.svg", "--html", disk + "/c.html"}
	if code, _, stderr := run(context.Background(), args...); code != 0 {
		t.Errorf("--plot, --plot-daily and --html on a 64 kB disk: exit %d, stderr %q; want them written", code, stderr)
	}
	for _, name := range []string{"a.svg", "b.svg", "c.html"} {
		if st, err := os.Stat(disk + "/" + name); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v, want it written", name, err)
		}
	}
	// At 23 steps the page's bound without the engine's names is 36,828
	// bytes, 9 pages of 4 KiB, and 36,894 with serial's (35 steps did it
	// before the page's frame took 1 KiB more for the tables' digits).
	serial := report.Ran{Engine: "serial", Requested: "serial", Device: engines.DeviceLabel(cpu.Serial{})}
	least, most := report.MaxHTMLSize(true, 23, nil), report.MaxHTMLSize(true, 23, &serial)
	pages := (most + 4095) / 4096
	if (least+4095)/4096 != pages-1 {
		t.Fatalf("the page's bound is %d bytes, %d with the engine's names: not across a page", least, most)
	}
	for _, n := range []uint64{pages, pages - 1} {
		disk := testenv.SmallDisk(t, fmt.Sprintf("%dk", 4*n), false, nil)
		code, stdout, stderr := run(context.Background(), "run", "--engine", "serial", "--lanes", "100", "--steps", "23", "--daily", "-q", "--html", disk+"/p.html")
		st, err := os.Stat(disk + "/p.html")
		switch {
		case n == pages && (code != 0 || err != nil || st.Size() == 0):
			t.Errorf("--html on a disk of %d kB: exit %d, stderr %q, %v; want it written", 4*n, code, stderr, err)
		case n < pages && (code != exitUsage || stdout != "" || err == nil && st.Size() > 0 || !strings.HasPrefix(stderr, `gpusim: error: --html: "`+disk+`/p.html" may need up to `)):
			t.Errorf("--html on a disk of %d kB: exit %d, stdout %q, stderr %q; want it refused, a page short of %d bytes", 4*n, code, stdout, stderr, most)
		}
		if n < pages {
			if ents, _ := os.ReadDir(disk); len(ents) != 0 {
				t.Errorf("the refused disk holds %d files, want none", len(ents))
			}
		}
	}
}

// fillOnWrite is a stderr that fills the file system of dir at its first
// write: a run's first progress line comes after its checks of the disk,
// before its files are written, so the disk fills while the run runs.
type fillOnWrite struct {
	t      *testing.T
	dir    string
	filled bool
	bytes.Buffer
}

func (w *fillOnWrite) Write(p []byte) (int, error) {
	if !w.filled {
		w.filled = true
		f, err := os.Create(filepath.Join(w.dir, "filler"))
		if err != nil {
			w.t.Error(err)
		} else {
			chunk := make([]byte, 4096)
			for {
				if _, err := f.Write(chunk); err != nil {
					break
				}
			}
			f.Close()
		}
	}
	return w.Buffer.Write(p)
}

// TestShardWriteFailsRerun: a shard whose files cannot be written at the
// end (a disk that fills while it runs) says which were not and which
// shard to run again, as a shard stopped by a signal or --timeout does
// (rerun): it gave the write's error alone, and a Slurm task's log did not
// say which shard to resubmit.
func TestShardWriteFailsRerun(t *testing.T) {
	is, delay, every := isTerminal, logDelay, logInterval
	defer func() { isTerminal, logDelay, logInterval = is, delay, every }()
	isTerminal = func(io.Writer) bool { return false }
	logDelay, logInterval = -1, 10*time.Millisecond
	disk := testenv.SmallDisk(t, "1m", false, nil)
	save, days := disk+"/part-5.json", disk+"/days.csv"
	var stdout bytes.Buffer
	stderr := &fillOnWrite{t: t, dir: disk}
	// A progress line is the first write to stderr, as the job runs.
	code := runContext(context.Background(), []string{"run", "--engine", "serial", "--lanes", "2e6", "--steps", "50", "--daily",
		"--shard", "5/16", "--save", save, "--daily-out", days}, strings.NewReader(""), &stdout, stderr)
	want := `gpusim: note: --daily-out "` + days + `" and --save "` + save + `" were not written, and a file already there is as it was; run shard 5 of 16 again with --shard 5/16 and the job's other flags` + "\n"
	if code != exitFailure || !stderr.filled || !strings.Contains(stderr.String(), "no space left on device") || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1, no space left on device and %q", code, stderr.String(), want)
	}
	// The report is printed, without the files not written.
	if !strings.Contains(stdout.String(), "digest ") || strings.Contains(stdout.String(), save) {
		t.Errorf("the report names the part not written, or is missing:\n%s", stdout.String())
	}
	for _, f := range []string{save, days} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s was written", f)
		}
	}
}

// TestStdoutBesideOutputs: the report on stdout's file is counted beside
// the output files going to its file system, which take their room first:
// 15,500 lanes to --out o.f32 (62,000 bytes, 16 pages) and the report's
// bound (16 KiB and a page) each fitted a 64 kB disk alone, and the run
// went to the end and failed at the report's write (exit 1, the report
// taken back out). One whose files and report fit together runs.
func TestStdoutBesideOutputs(t *testing.T) {
	disk := testenv.SmallDisk(t, "64k", false, nil)
	for _, c := range []struct {
		lanes string
		code  int
		want  string
	}{
		{"15500", exitUsage, `gpusim: error: stdout: the text report may need up to 20.5 kB of disk space and --out "` + disk + `/o.f32" 65.5 kB there, 86 kB in all, but the file system of the file stdout goes to (` + disk + `/r) has 65.5 kB free` + "\n"},
		{"10000", 0, ""},
	} {
		f, err := os.Create(disk + "/r")
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		code := runContext(context.Background(), []string{"run", "--engine", "serial", "--lanes", c.lanes, "--steps", "10", "-q", "--out", disk + "/o.f32"}, strings.NewReader(""), f, &stderr)
		f.Close()
		if code != c.code || !strings.HasPrefix(stderr.String(), c.want) {
			t.Errorf("--lanes %s: exit %d, stderr %q; want %d and %q", c.lanes, code, stderr.String(), c.code, c.want)
		}
		_, err = os.Stat(disk + "/o.f32")
		if st, _ := os.Stat(disk + "/r"); c.code != 0 && (err == nil || st == nil || st.Size() != 0) {
			t.Errorf("--lanes %s: --out written (%v) or a report in stdout's file (%v): want neither", c.lanes, err == nil, st)
		} else if c.code == 0 && (err != nil || st == nil || st.Size() == 0) {
			t.Errorf("--lanes %s: --out %v, stdout's file %v: want both written", c.lanes, err, st)
		}
		os.Remove(disk + "/o.f32")
	}
}

// TestStdoutDiskFull: a run whose stdout goes to a file whose file system
// has no room for the report at its largest (reportMost) is refused before
// the run (exit 2, "stdout: ..."): the run went to the end, and its report
// was lost at the write but for its digest. One with room runs.
func TestStdoutDiskFull(t *testing.T) {
	disk := testenv.SmallDisk(t, "12k", false, nil)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--format", "json", "--daily", "--steps", "100"}, exitUsage, "gpusim: error: stdout: the json report with --daily's 100 steps may need up to 123 kB of disk space, but the file system of the file stdout goes to (" + disk + "/r) has 12.3 kB free\n"},
		{nil, exitUsage, "gpusim: error: stdout: the text report may need up to 20.5 kB of disk space"},
	} {
		f, err := os.Create(disk + "/r")
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		code := runContext(context.Background(), append([]string{"run", "--engine", "serial", "--lanes", "1000", "-q"}, c.args...), strings.NewReader(""), f, &stderr)
		f.Close()
		if code != c.code || !strings.HasPrefix(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c.args, code, stderr.String(), c.code, c.want)
		}
		if st, err := os.Stat(disk + "/r"); err != nil || st.Size() != 0 {
			t.Errorf("%q: stdout's file %v, %v: want it empty", c.args, st, err)
		}
	}
	roomy := testenv.SmallDisk(t, "64k", false, nil)
	f, err := os.Create(roomy + "/r")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stderr strings.Builder
	if code := runContext(context.Background(), []string{"run", "--engine", "serial", "--lanes", "1000", "-q"}, strings.NewReader(""), f, &stderr); code != 0 {
		t.Errorf("a disk with room: exit %d, stderr %q", code, stderr.String())
	}
}

// TestMergeStdoutRoom: a merge whose report goes to a file on a disk that
// cannot take it at its largest (mergeReportMost) is refused before any
// part is read (a damaged one among them is not found), the JSON one
// counting the parts' names (past 16 KiB here, by a block), exit 2 with
// run's gpusim: error: stdout: ..., the file left empty: it read every
// part and then failed at the report's write. One with room merges.
func TestMergeStdoutRoom(t *testing.T) {
	dir := t.TempDir()
	var parts []string
	for i := range 2 {
		p := filepath.Join(dir, fmt.Sprintf("p%d.json", i))
		if code, _, stderr := run(context.Background(), "run", "--engine", "serial", "--lanes", "100", "--shard", fmt.Sprintf("%d/2", i), "--save", p, "-q"); code != 0 {
			t.Fatalf("run: exit %d: %s", code, stderr)
		}
		parts = append(parts, p)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("not a part\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		format string
		fill   int
		parts  []string
		code   int
		want   string
	}{
		{"text", 64 << 10, []string{parts[0], bad}, exitUsage, "gpusim: error: stdout: the text report may need up to 28.7 kB of disk space, but the file system of the file stdout goes to (DISK/r) has 0 bytes free\n"},
		{"json", 44 << 10, parts, exitUsage, "gpusim: error: stdout: the json report may need up to 24.6 kB of disk space, but the file system of the file stdout goes to (DISK/r) has 20.5 kB free\n"},
		{"json", 40 << 10, parts, 0, ""},
	} {
		disk := testenv.SmallDisk(t, "64k", false, map[string]string{"fill": string(make([]byte, c.fill))})
		f, err := os.Create(disk + "/r")
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		code := runContext(context.Background(), append([]string{"merge", "--format", c.format}, c.parts...), strings.NewReader(""), f, &stderr)
		f.Close()
		want := strings.ReplaceAll(c.want, "DISK", disk)
		st, _ := os.Stat(disk + "/r")
		switch {
		case code != c.code || !strings.HasPrefix(stderr.String(), want):
			t.Errorf("%s, %d bytes filled: exit %d, stderr %q; want %d and %q", c.format, c.fill, code, stderr.String(), c.code, want)
		case c.code != 0 && (st == nil || st.Size() != 0):
			t.Errorf("%s: stdout's file %v: want it empty", c.format, st)
		case c.code == 0 && (st == nil || st.Size() == 0):
			t.Errorf("%s: stdout's file %v: want the report", c.format, st)
		}
	}
}

// TestMergeStdoutRoomDaily: a JSON merge of --daily parts, whose per-step
// statistics only the parts say, is refused once they are read and before
// the report's first byte where stdout's disk cannot take them at their
// largest (reportJSONStep a step), exit 2 naming the steps; it failed at
// the write, "no space left on device", the report (141 kB) taken back
// out. The
// text report, whose table of steps is counted up front, merges.
func TestMergeStdoutRoomDaily(t *testing.T) {
	dir := t.TempDir()
	var parts []string
	for i := range 2 {
		p := filepath.Join(dir, fmt.Sprintf("p%d.json", i))
		if code, _, stderr := run(context.Background(), "run", "--engine", "serial", "--lanes", "100", "--steps", "300", "--daily", "--shard", fmt.Sprintf("%d/2", i), "--save", p, "-q"); code != 0 {
			t.Fatalf("run: exit %d: %s", code, stderr)
		}
		parts = append(parts, p)
	}
	for _, c := range []struct {
		format string
		code   int
		want   string
	}{
		{"json", exitUsage, "gpusim: error: stdout: the json report with --daily's 300 steps may need up to 332 kB of disk space, but the file system of the file stdout goes to (DISK/r) has 131 kB free\n"},
		{"text", 0, ""},
	} {
		disk := testenv.SmallDisk(t, "128k", false, nil)
		f, err := os.Create(disk + "/r")
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		code := runContext(context.Background(), append([]string{"merge", "--format", c.format}, parts...), strings.NewReader(""), f, &stderr)
		f.Close()
		want := strings.ReplaceAll(c.want, "DISK", disk)
		st, _ := os.Stat(disk + "/r")
		switch {
		case code != c.code || !strings.HasPrefix(stderr.String(), want):
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", c.format, code, stderr.String(), c.code, want)
		case c.code != 0 && (st == nil || st.Size() != 0):
			t.Errorf("%s: stdout's file %v: want it empty", c.format, st)
		case c.code == 0 && (st == nil || st.Size() == 0):
			t.Errorf("%s: stdout's file %v: want the report", c.format, st)
		}
	}
}

// TestColdNoteOtherDriver: the note of a first start on a driver other than
// pocl (Oclgrind's) says nothing of pocl's cache: it read "under one where
// pocl's own cache holds the program" there too.
func TestColdNoteOtherDriver(t *testing.T) {
	const lib = "/usr/lib/oclgrind/liboclgrind-rt.so"
	if _, err := os.Stat(lib); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Oclgrind is required when CI=true: %v", err)
		}
		t.Skip("no Oclgrind")
	}
	cmd := exec.Command("gpusim", "run", "--engine", "opencl", "--lanes", "100", "--steps", "1", "-q")
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY="+lib)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "(Oclgrind Simulator, Oclgrind, ") || !strings.Contains(string(out), ": a first start there, which can take seconds; once it builds") ||
		strings.Contains(string(out), "pocl") {
		t.Errorf("a first start on Oclgrind: %v\n%s\nwant the note of a first start, without pocl", err, out)
	}
}

// gpusimIn runs gpusim with args and GPUSIM_CACHE_DIR=cache, failing t
// where it fails, and returns its output, stdout and stderr together.
func gpusimIn(t *testing.T, cache string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command("gpusim", args...)
		cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+cache)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
}

// TestColdNoteSelftestPlainProgram: selftest checks two programs, the full
// one and run's plain one (without the daily kernels), and a rebuild of the
// second is said as it starts, naming its entry: the note was computed for
// the first program, whose entry was there, and nothing was said until the
// cache's note at the end.
func TestColdNoteSelftestPlainProgram(t *testing.T) {
	if !openclAvailable() {
		t.Skip("no OpenCL device")
	}
	cache := t.TempDir()
	gpusim := gpusimIn(t, cache)
	entries := func() []string {
		e, _ := filepath.Glob(filepath.Join(cache, "programs", "????????????????????????????????"))
		return slices.DeleteFunc(e, namesSelfTest)
	}
	gpusim("run", "--engine", "opencl", "--lanes", "100", "--steps", "1", "-q")
	plain := entries()
	if len(plain) != 1 {
		t.Fatalf("program entries %q after a plain run, want one", plain)
	}
	gpusim("selftest", "--device", "0")
	if n := len(entries()); n != 2 {
		t.Fatalf("%d program entries after selftest, want the full program's too", n)
	}
	if err := os.WriteFile(plain[0], nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := gpusim("selftest", "--device", "0")
	if want := "again, which can take seconds (under one where pocl's own cache holds the program): its cached one (" + plain[0] + ") is corrupt or stale"; !strings.Contains(out, want) ||
		strings.Contains(out, "cache: ") {
		t.Errorf("selftest with the plain program's entry emptied:\n%s\nwant the note of its rebuild, %q, and no note of the cache's", out, want)
	}
}

// TestColdNoteSelftestProgramRebuild: where the engine's program is cached
// and the self-test's entry is corrupt, selftest's rebuild of the
// self-test's program is said as it starts, naming the entry, and not
// again in the cache's note: the engine's entry being there, nothing was
// said until "cache: ... is corrupt or stale: rebuilt" at the end.
func TestColdNoteSelftestProgramRebuild(t *testing.T) {
	if !openclAvailable() {
		t.Skip("no OpenCL device")
	}
	cache := t.TempDir()
	gpusim := gpusimIn(t, cache)
	gpusim("selftest", "--device", "0")
	e, _ := filepath.Glob(filepath.Join(cache, "programs", "????????????????????????????????"))
	st := slices.DeleteFunc(e, func(p string) bool { return !namesSelfTest(p) })
	if len(st) != 1 {
		t.Fatalf("self-test program entries %q, want one", st)
	}
	if err := os.WriteFile(st[0], nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := gpusim("selftest", "--device", "0")
	want := "gpusim: note: compiling the self-test's OpenCL program for device 0 ("
	cause := "again, which can take seconds (under one where pocl's own cache holds the program): its cached one (" + st[0] + ") is corrupt or stale; once it builds and passes the self-test it is cached again for later runs"
	if i := strings.Index(out, want); i != 0 || !strings.Contains(out, cause) || strings.Contains(out, "cache: ") {
		t.Errorf("selftest with the self-test program's entry emptied:\n%s\nwant first the note of its rebuild, %q ... %q, and no note of the cache's", out, want, cause)
	}
	if out := gpusim("selftest", "--device", "0"); strings.Contains(out, "note:") {
		t.Errorf("selftest after the rebuild:\n%s\nwant no note: the entry is cached again", out)
	}
}

// TestSelftestStdoutRoom: selftest whose report goes to a file on a disk
// that cannot take it at its largest (selftestReportMost) is refused
// before any device is opened (exit 2, gpusim: error: stdout: ..., as
// run's report is), the file left empty: it compiled and checked every
// device, then failed at the write (exit 1, "no space left on device").
// One with room runs, where there is a device.
func TestSelftestStdoutRoom(t *testing.T) {
	full := testenv.SmallDisk(t, "64k", false, nil)
	if err := os.WriteFile(full+"/fill", make([]byte, 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json"} {
		f, err := os.Create(full + "/r")
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		code := runContext(context.Background(), []string{"selftest", "--device", "0", "--format", format}, strings.NewReader(""), f, &stderr)
		f.Close()
		want := "gpusim: error: stdout: the " + format + " report may need up to 36.9 kB of disk space, but the file system of the file stdout goes to (" + full + "/r) has 0 bytes free\n"
		if code != exitUsage || !strings.HasPrefix(stderr.String(), want) || strings.Contains(stderr.String(), "compiling") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q first, before any compile", format, code, stderr.String(), want)
		}
		if b, err := os.ReadFile(full + "/r"); err != nil || len(b) != 0 {
			t.Errorf("%s: the report's file holds %q (%v), want it empty", format, b, err)
		}
	}
	if _, ds, err := engines.Devices(); err != nil || len(ds) == 0 {
		t.Skipf("no OpenCL device (%v): the run with room is not tried", err)
	}
	room := testenv.SmallDisk(t, "128k", false, nil)
	f, err := os.Create(room + "/r")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stderr strings.Builder
	if code := runContext(context.Background(), []string{"selftest", "--device", "0"}, strings.NewReader(""), f, &stderr); code != 0 {
		t.Errorf("a disk with room: exit %d, stderr %q", code, stderr.String())
	}
}

// TestSelftestStdoutRoomBeforeLoad: selftest on every device (the
// default, whose count only the driver says) whose report goes to a full
// disk is refused before the driver loads: pocl, its kernel cache on that
// disk, was loaded to count the devices first, and left an empty
// tempfile_* in the cache beside the refusal.
func TestSelftestStdoutRoomBeforeLoad(t *testing.T) {
	if !openclAvailable() {
		t.Skip("no OpenCL device")
	}
	full := testenv.SmallDisk(t, "64k", false, nil)
	pocl := filepath.Join(full, "pocl")
	if err := os.Mkdir(pocl, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full+"/fill", make([]byte, 64<<10), 0o644); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json"} {
		cmd := exec.Command("sh", "-c", `exec gpusim selftest --format "$1" > "$2"`, "sh", format, full+"/r")
		cmd.Env = append(os.Environ(), "POCL_CACHE_DIR="+pocl)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitUsage || !strings.HasPrefix(string(out), "gpusim: error: stdout: the "+format+" report may need up to") {
			t.Errorf("%s: %v\n%s\nwant exit 2 and the refusal of stdout", format, err, out)
		}
		if e, _ := os.ReadDir(pocl); len(e) > 0 {
			t.Errorf("%s: pocl's cache holds %v after the refusal, want nothing: the driver was loaded", format, e)
		}
	}
}
