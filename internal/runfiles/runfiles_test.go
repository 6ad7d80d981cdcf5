package runfiles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/diskfree"
	"github.com/gpusim/gpusim/internal/outfile"
	"github.com/gpusim/gpusim/sim"
)

// TestCheckMemory: per-lane outputs that cannot fit in the memory
// available are refused before the run, saying how much they need; before,
// 1e8 lanes with --out took 805 MB and 2^32 lanes were accepted whatever
// the machine held.
func TestCheckMemory(t *testing.T) {
	old := available
	defer func() { available = old }()
	available = func() (uint64, bool) { return 1 << 30, true } // 1 GiB
	p := sim.Default()
	p.Lanes = 1e9
	var pe *sim.ParamError
	err := Result{Out: "finals.f32"}.Room(p)
	if !errors.As(err, &pe) || pe.Flag != "out" || !strings.Contains(pe.Msg, "need 4.01 GB of memory, but 1.07 GB are available") {
		t.Errorf("1e9 lanes with --out and 1 GiB: %v", err)
	}
	// A node's memory, past a thousand GB, whole as count.Sig3 writes it:
	// it read "need 4e+03 GB of memory, but 2e+03 GB are available".
	available = func() (uint64, bool) { return 2e12, true }
	pp := sim.Default()
	pp.Lanes, pp.Steps = 1e6, 1e6
	if err := (Result{PathsOut: "p.f32", Paths: 1e6}).Room(pp); !errors.As(err, &pe) || !strings.Contains(pe.Msg, "need 4000 GB of memory, but 2000 GB are available") {
		t.Errorf("1e6 paths of 1e6 steps and 2 TB: %v", err)
	}
	available = func() (uint64, bool) { return 1 << 30, true }
	p.Lanes = 1e8
	if err := (Result{Out: "finals.f32"}).Room(p); err != nil {
		t.Errorf("1e8 lanes with --out and 1 GiB: %v", err)
	}
	// The refusal names what fits, in the memory the next start has at
	// the least (1 GiB less 64 MiB): it named none.
	for _, c := range []struct {
		r      Result
		lanes  uint64
		steps  int
		advice string
	}{
		{Result{Out: "f.f32"}, 1e9, 100, "(--lanes 249M fits with --out)"},
		{Result{Out: "f.f32", PathsOut: "p.f32", Paths: 1e6}, 1e9, 100, "(--lanes 149M fits with --out)"},
		{Result{Out: "f.f32", PathsOut: "p.f32", Paths: 1e7}, 1e9, 100, "(--lanes and --paths 2.47M fit with --out)"},
		{Result{PathsOut: "p.f32", Paths: 1e7}, 1e9, 100, "(--paths 2.51M fits at 100 steps)"},
		{Result{PathsOut: "p.f32", Paths: 1}, 1e9, 1 << 30, "(no --paths fits at 1073741824 steps: lower --steps)"},
		{Result{Out: "f.f32", PathsOut: "p.f32", Paths: 1}, 1e9, 1 << 30, "(no --lanes fits with --out here)"},
	} {
		p := sim.Default()
		p.Lanes, p.Steps = c.lanes, c.steps
		err := c.r.Room(p)
		if err == nil || !strings.HasSuffix(err.Error(), c.advice) {
			t.Errorf("%+v at %d x %d: %v, want it to end %q", c.r, c.lanes, c.steps, err, c.advice)
		}
		// What it names fits, and the next value of 3 digits does not.
		var named string
		if _, err := fmt.Sscanf(c.advice, "(--lanes %s fits", &named); err == nil {
			n, _ := count.Parse(named)
			paths := uint64(0)
			if c.r.PathsOut != "" {
				paths = c.r.Paths
			}
			fits := 1<<30 - uint64(64<<20)
			if sim.HostBytes(n, paths, c.steps) > fits || sim.HostBytes(n+1e6, paths, c.steps) <= fits {
				t.Errorf("%+v: --lanes %s does not fit, or %d does", c.r, named, n+1e6)
			}
		}
	}
	available = func() (uint64, bool) { return 0, false } // unknown: not refused
	p.Lanes = 1e9
	if err := (Result{Out: "finals.f32"}).Room(p); err != nil {
		t.Errorf("unknown memory: %v", err)
	}
}

// TestCheckDisk: per-lane outputs that cannot fit in the free space of
// their file system are refused before the run, the two outputs added up
// where they share one; before, 1e8 lanes with --out onto a nearly full
// disk ran the whole job and then failed at the write.
// TestLanesText: the values the advice names read as --lanes takes them,
// in SI as every count a message writes (they were 1.23e4, 2.51e8).
func TestLanesText(t *testing.T) {
	for n, want := range map[uint64]string{0: "0", 9999: "9999", 10000: "10k", 12345: "12.3k", 251e6: "251M", 120e7: "1.2G", 1 << 63: "9.22E"} {
		if got := lanesText(roundDown3(n)); got != want {
			t.Errorf("lanesText(roundDown3(%d)) = %q, want %q", n, got, want)
		}
		if v, err := count.Parse(lanesText(roundDown3(n))); err != nil || v != roundDown3(n) {
			t.Errorf("count.Parse(%q) = %d, %v, want %d", lanesText(roundDown3(n)), v, err, roundDown3(n))
		}
	}
}

func TestCheckDisk(t *testing.T) {
	old, oldBlock := freeSpace, blockOf
	defer func() { freeSpace, blockOf = old, oldBlock }()
	blockOf = func(string) uint64 { return 1 }
	dir := t.TempDir()
	other := t.TempDir()
	free := map[string]uint64{dir: 4e6, other: 1 << 40}
	freeSpace = func(d string) (uint64, uint64, bool) {
		n, ok := free[d]
		dev := uint64(1)
		if d == other {
			dev = 2
		}
		return n, dev, ok
	}
	p := sim.Default()
	p.Steps = 10
	checkDiskCases(t, p, []diskCase{
		{Result{Out: dir + "/f.f32"}, 1e6, "", ""}, // 4e6 bytes: fits exactly
		{Result{Out: dir + "/f.npy"}, 1e6 + 1, "out", `"` + dir + `/f.npy" needs 4.0001 MB of disk space, but its file system has 4 MB free`},
		{Result{Out: dir + "/f.csv"}, 5e5, "out", `needs 7.98 MB of disk space, but`}, // the file's size: its least, 4.39 MB (2,888,890 digits, 3 bytes a line and the header), is more than is free too
		{Result{Out: dir + "/f.csv"}, 2e5, "", ""},
		{Result{Out: dir + "/f.f32", PathsOut: dir + "/p.npy", Paths: 5e4 + 1}, 5e5, "out", `"` + dir + `/f.f32" and --paths-out "` + dir + `/p.npy" need 4.0002 MB`},
		{Result{Out: dir + "/f.f32", PathsOut: other + "/p.npy", Paths: 5e4 + 1}, 5e5, "", ""},
		{Result{Out: other + "/f.f32", PathsOut: dir + "/p.npy", Paths: 1e5 + 1}, 5e5, "paths-out", `"` + dir + `/p.npy" needs 4.0002 MB`},
		{Result{Out: t.TempDir() + "/f.f32"}, 1e9, "", ""}, // free space unknown
		// Bounded (--save's part file) adds its bound to the others'.
		{Result{Out: dir + "/f.f32", Bounded: []Bounded{{Path{"save", dir + "/p.json"}, 2e6 + 1}}}, 5e5, "out", `"` + dir + `/f.f32" and --save "` + dir + `/p.json" may need up to 4.000001 MB of disk space (each counted at its largest`},
		{Result{Out: dir + "/f.f32", Bounded: []Bounded{{Path{"save", dir + "/p.json"}, 2e6}}}, 5e5, "", ""}, // fits to the byte
		{Result{Bounded: []Bounded{{Path{"save", dir + "/p.json"}, 4e6 + 1}}}, 5e5, "save", `"` + dir + `/p.json" may need up to 4.000001 MB`},
	})
}

// TestCheckFileLimit: an output larger than the file-size limit (ulimit
// -f) is refused before the run, each file against the limit on its own,
// whatever the disk's room; a run went to the end and failed at the write
// with "file too large".
func TestCheckFileLimit(t *testing.T) {
	old := fileLimit
	defer func() { fileLimit = old }()
	fileLimit = func() (uint64, bool) { return 4e6, true }
	dir := t.TempDir()
	p := sim.Default()
	p.Steps = 10
	checkDiskCases(t, p, []diskCase{
		{Result{Out: dir + "/f.f32"}, 1e6, "", ""}, // 4e6 bytes: the limit's size exactly
		{Result{Out: dir + "/f.f32"}, 1e6 + 1, "out", `"` + dir + `/f.f32" needs 4.000004 MB, over the file-size limit of 4 MB (ulimit -f, RLIMIT_FSIZE)`},
		{Result{Out: dir + "/f.f32", PathsOut: dir + "/p.f32", Paths: 1e5}, 1e6, "", ""}, // 8e6 together: each alone fits
		{Result{Out: dir + "/f.f32", PathsOut: dir + "/p.npy", Paths: 1e5 + 1}, 1e6, "paths-out", `"` + dir + `/p.npy" needs`},
		{Result{Bounded: []Bounded{{Path{"html", dir + "/p.html"}, 4e6 + 1}}}, 10, "html", `may need up to 4.000001 MB (counted at its largest`},
	})
	fileLimit = func() (uint64, bool) { return 0, false } // no limit
	p.Lanes = 1e8
	if err := (Result{Out: dir + "/f.f32"}).checkDisk(p); err != nil && !strings.Contains(err.Error(), "disk space") {
		t.Errorf("no file-size limit: %v", err)
	}
}

// TestCheckDiskNeedNotLeast: a refusal says what the outputs need, counted
// as a run that fits counts it, even where their least (every value of a
// CSV at one digit) is more than is free: it said "needs 791 kB of disk
// space at least" of a CSV of 1e5 lanes on a 64 kB disk, and a disk of
// 800 kB was then refused for 1.51 MB.
func TestCheckDiskNeedNotLeast(t *testing.T) {
	old, oldBlock := freeSpace, blockOf
	defer func() { freeSpace, blockOf = old, oldBlock }()
	blockOf = func(string) uint64 { return 1 }
	dir := t.TempDir()
	freeSpace = func(string) (uint64, uint64, bool) { return 64e3, 1, true }
	p := sim.Default()
	p.Lanes, p.Steps = 1e5, 10
	size, exact := csvNeed(p, p.Lanes, 1, false)
	if !exact {
		t.Fatalf("a CSV of %d lanes is not counted exactly", p.Lanes)
	}
	want, _ := diskfree.SizesText(size, 64e3)
	var pe *sim.ParamError
	err := Result{Out: dir + "/f.csv"}.checkDisk(p)
	if !errors.As(err, &pe) || pe.Flag != "out" || !strings.Contains(pe.Msg, "needs "+want+" of disk space, but") {
		t.Errorf("a CSV of %d lanes on a 64 kB disk: %v; want it to need %s (%d bytes), its size", p.Lanes, err, want, size)
	}
}

func TestDigitsBelow(t *testing.T) {
	for n, want := range map[uint64]uint64{0: 0, 1: 1, 10: 10, 11: 12, 100: 190, 1000: 2890, 1e6: 5888890} {
		if got := digitsBelow(n); got != want {
			t.Errorf("digitsBelow(%d) = %d, want %d", n, got, want)
		}
	}
	if got := digitsBelow(^uint64(0)); got != ^uint64(0) {
		t.Errorf("digitsBelow(2^64-1) = %d, want the saturated 2^64-1", got)
	}
}

// TestBinarySize: what checkDisk counts for a .npy or .f32 output is the
// size of the file written, header and all, for --out's one dimension and
// --paths-out's two.
func TestBinarySize(t *testing.T) {
	p := sim.Default()
	for _, c := range []struct {
		rows, cols int
		paths      bool
	}{{1, 1, false}, {1000, 1, false}, {12345, 1, false}, {3, 7, true}, {1000, 100, true}} {
		p.Steps = c.cols
		for _, f := range []outfile.Format{outfile.NPY, outfile.F32} {
			var w counter
			shape := []int{c.rows}
			if c.paths {
				shape = append(shape, c.cols)
			}
			if err := f.Write(&w, nil, make([]float32, c.rows*c.cols), shape...); err != nil {
				t.Fatal(err)
			}
			s := sizeOf(p, f, uint64(c.rows), uint64(c.cols), c.paths, false)
			if n, exact := s.need(); n != w.n || !exact || s.most != w.n {
				t.Errorf("%s of %d x %d: need %d (exact %v), most %d; the file is %d bytes", f, c.rows, c.cols, n, exact, s.most, w.n)
			}
		}
	}
}

// TestCheckDiskBlocks: each output takes whole blocks of its file system,
// so the outputs going to one are counted each rounded up to its block: a
// disk of one free 4 KiB block took --out's 4 bytes and --save's part of
// a byte as 5 bytes, and the second file's write failed after the run. A
// disk of their blocks to the byte takes them, one byte less does not.
func TestCheckDiskBlocks(t *testing.T) {
	old, oldBlock := freeSpace, blockOf
	defer func() { freeSpace, blockOf = old, oldBlock }()
	dir := t.TempDir()
	var free uint64
	freeSpace = func(string) (uint64, uint64, bool) { return free, 1, true }
	blockOf = func(string) uint64 { return 4096 }
	p := sim.Default()
	p.Lanes = 1
	for _, c := range []struct {
		o    Result
		need uint64
	}{
		{Result{Out: dir + "/f.f32", Bounded: []Bounded{{Path{"save", dir + "/p.json"}, 1}}}, 8192},
		{Result{Out: dir + "/f.f32"}, 4096},
		{Result{Bounded: []Bounded{{Path{"save", dir + "/p.json"}, 4096}, {Path{"html", dir + "/p.html"}, 4097}}}, 3 * 4096},
		{Result{Out: dir + "/f.csv", DailyOut: dir + "/d.csv"}, 2 * 4096},
	} {
		for _, f := range []uint64{c.need, c.need - 1} {
			free = f
			if err := c.o.checkDisk(p); (err == nil) != (f == c.need) {
				t.Errorf("%+v with %d bytes free in blocks of 4096: %v; want refused below %d", c.o, f, err, c.need)
			}
		}
	}
}

// TestCreateErrorFolder: a file the user may write in a folder they may
// not is refused, as its replacement is made in the folder; the error says
// that the folder is what refuses (it read "cannot write "f.npy":
// permission denied" for a file the user owns, mode 0644).
func TestCreateErrorFolder(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "f.npy")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	denied := func(path string) error {
		return &CreateError{Path{"out", path}, &fs.PathError{Op: "create", Path: path, Err: syscall.EACCES}}
	}
	want := fmt.Sprintf("cannot write %q: its folder %q takes no new file (permission denied), and gpusim writes the new file there and renames it over the old one", old, dir)
	if got := denied(old).Error(); got != want {
		t.Errorf("an existing file:\n got %s\nwant %s", got, want)
	}
	// A new file's error is the folder's already.
	fresh := filepath.Join(dir, "g.npy")
	if got, want := denied(fresh).Error(), fmt.Sprintf("cannot write %q: permission denied", fresh); got != want {
		t.Errorf("a new file:\n got %s\nwant %s", got, want)
	}
}

// TestCreateErrorFolderThere: a folder that is there but cannot be reached
// is not said to be missing: one whose path is past the system's length
// (ENAMETOOLONG) read "directory ... does not exist", as did a folder under
// one the user may not search (EACCES) and a file where the folder goes.
func TestCreateErrorFolderThere(t *testing.T) {
	top := t.TempDir()
	t.Chdir(top)
	deep := top
	name := strings.Repeat("d", 250)
	for len(deep) < 4200 {
		if err := os.Mkdir(name, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Chdir(name)
		deep += "/" + name
	}
	path := deep + "/f.npy"
	_, err := Create([]Path{{"out", path}})
	var ce *CreateError
	if !errors.As(err, &ce) {
		t.Fatalf("a path of %d bytes: %v", len(path), err)
	}
	if got := ce.Error(); strings.Contains(got, "does not exist") || !strings.HasSuffix(got, ": file name too long") {
		t.Errorf("a path of %d bytes to a folder that is there: %s", len(path), got)
	}
	file := filepath.Join(top, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Create([]Path{{"out", filepath.Join(file, "f.npy")}})
	if want := fmt.Sprintf("%q is not a folder", file); err == nil || err.Error() != want {
		t.Errorf("a file where the folder goes: %v, want %s", err, want)
	}
	_, err = Create([]Path{{"out", filepath.Join(top, "missing", "f.npy")}})
	if want := fmt.Sprintf("directory %q does not exist", filepath.Join(top, "missing")); err == nil || err.Error() != want {
		t.Errorf("a missing folder: %v, want %s", err, want)
	}
}

// TestCreateErrorDotDot: a folder on the way that is not there, or not a
// folder, is named where .. leaves it, as the system walks the path, by
// Create and CheckFolders alike: nonexist/../f.npy read `cannot write
// "nonexist/../f.npy": no such file or directory`, its folder cleaned to
// ".", which is there; file/sub/f.npy "not a directory".
func TestCreateErrorDotDot(t *testing.T) {
	top := t.TempDir()
	t.Chdir(top)
	if err := os.WriteFile("file", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"nonexist/../f.npy":      `directory "nonexist" does not exist`,
		"d/nonexist/../../f.npy": `directory "d/nonexist" does not exist`,
		top + "/gone/../f.npy":   fmt.Sprintf("directory %q does not exist", filepath.Join(top, "gone")),
		"file/../f.npy":          `"file" is not a folder`,
		"file/sub/f.npy":         `"file" is not a folder`,
		"nonexist/f.npy":         `directory "nonexist" does not exist`,
	} {
		if _, err := Create([]Path{{"out", path}}); err == nil || err.Error() != want {
			t.Errorf("Create(%s): %v, want %s", path, err, want)
		}
		if err := CheckFolders([]Path{{"out", path}}); err == nil || err.Error() != want {
			t.Errorf("CheckFolders(%s): %v, want %s", path, err, want)
		}
	}
	if err := CheckFolders([]Path{{"out", "d/../d/./f.npy"}}); err != nil {
		t.Errorf("a path whose folders are there: %v", err)
	}
}

// TestCreateErrorDanglingLink: an output that is a link to a file in a
// folder that is not there is refused naming the link and that folder,
// where it read "cannot write "d.npy": no such file or directory" of a
// d.npy that ls lists.
func TestCreateErrorDanglingLink(t *testing.T) {
	top := t.TempDir()
	t.Chdir(top)
	for _, c := range []struct{ target, dir string }{
		{"nowhere/t.npy", "nowhere"},
		{filepath.Join(top, "gone", "t.npy"), filepath.Join(top, "gone")},
	} {
		if err := os.Symlink(c.target, "d.npy"); err != nil {
			t.Fatal(err)
		}
		_, err := Create([]Path{{"out", "d.npy"}})
		want := fmt.Sprintf("directory %q does not exist (%q is a link to %q)", c.dir, "d.npy", c.target)
		if err == nil || err.Error() != want {
			t.Errorf("a link to %s: %v, want %s", c.target, err, want)
		}
		if err := os.Remove("d.npy"); err != nil {
			t.Fatal(err)
		}
	}
}

// diskCase is a run's outputs at lanes, and the flag checkDisk refuses
// ("" when they fit) with a piece of its message.
type diskCase struct {
	o     Result
	lanes uint64
	flag  string // "" when it fits
	msg   string
}

// checkDiskCases runs checkDisk on each case, p at its lanes.
func checkDiskCases(t *testing.T, p sim.Params, cases []diskCase) {
	t.Helper()
	var pe *sim.ParamError
	for _, c := range cases {
		p.Lanes = c.lanes
		err := c.o.checkDisk(p)
		if c.flag == "" {
			if err != nil {
				t.Errorf("%+v at %d lanes: %v", c.o, c.lanes, err)
			}
			continue
		}
		if !errors.As(err, &pe) || pe.Flag != c.flag || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%+v at %d lanes: %v; want --%s: ...%s...", c.o, c.lanes, err, c.flag, c.msg)
		}
	}
}

// TestWritePathsLongRows: --paths-out of one lane over 2^20 steps takes
// little memory beyond its values, in every format: the header's step
// names were built as strings whatever the format (2^28 steps took 11 GB,
// which the memory check did not count, and the run died out of memory
// after it was done), and a CSV row was built whole before it was written.
func TestWritePathsLongRows(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 1, 1<<20
	res := &sim.Result{Params: p, Summary: sim.NewSummary(p)}
	trajectories := make([]float32, p.Steps)
	for i := range trajectories {
		trajectories[i] = 72.12345 + float32(i%1000)
	}
	for _, name := range []string{"paths.f32", "paths.npy", "paths.csv"} {
		dir := t.TempDir()
		path := filepath.Join(dir, name)
		fs, err := Create([]Path{{"paths-out", path}})
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err = WriteResult(context.Background(), fs, Result{PathsOut: path, Paths: 1}, res, nil, trajectories, nil)
		runtime.ReadMemStats(&after)
		fs.Abort()
		if err != nil {
			t.Fatal(err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%s of 1 x %d steps allocated %d bytes beside its 4 MiB of values; want under 1 MiB", name, p.Steps, alloc)
		}
	}
}

// TestWriteResultRows: WriteResult tells its values callback how far its
// per-lane files are, --out's then --paths-out's, each flag's values
// adding up to its file's and all to Values; the daily table and the
// charts count none.
func TestWriteResultRows(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 50_000, 4
	const k = 20_000
	res := &sim.Result{Params: p, Summary: sim.NewSummary(p), Finals: make([]float32, p.Lanes)}
	trajectories := make([]float32, k*p.Steps)
	dir := t.TempDir()
	o := Result{Out: filepath.Join(dir, "finals.csv"), PathsOut: filepath.Join(dir, "paths.npy"), Paths: k}
	fs, err := Create([]Path{{"out", o.Out}, {"paths-out", o.PathsOut}})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Abort()
	var order []string
	rows := map[string]int{}
	_, err = WriteResult(context.Background(), fs, o, res, nil, trajectories, func(flag string, n int) {
		if len(order) == 0 || order[len(order)-1] != flag {
			order = append(order, flag)
		}
		rows[flag] += n
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(order) != "[out paths-out]" || rows["out"] != int(p.Lanes) || rows["paths-out"] != k*p.Steps {
		t.Errorf("reports by flag in order %v, values %v; want [out paths-out] with %d and %d", order, rows, p.Lanes, k*p.Steps)
	}
	if got := o.Values(p.Lanes, p.Steps); got != p.Lanes+k*uint64(p.Steps) {
		t.Errorf("Values = %d, want %d", got, p.Lanes+k*uint64(p.Steps))
	}
	if got := o.Values(p.Lanes, 0); got != p.Lanes+k {
		t.Errorf("Values at no steps = %d, want %d (a row of none counts one)", got, p.Lanes+k)
	}
	if got := (Result{DailyOut: "d.csv", Plot: "p.png"}).Values(p.Lanes, p.Steps); got != 0 {
		t.Errorf("Values of no per-lane file = %d, want 0", got)
	}
}

// TestWriteErrorQuotes: a file that could not be written after the run is
// named as the report and the errors before the run write it, quoted where
// it is not plain: a name whose bytes are not UTF-8 went to stderr raw
// ("write --out: \xff.csv: no space left on device" with the byte as it is).
func TestWriteErrorQuotes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, want string }{
		{"\xff.csv", `write --out: "` + dir + `/\xff.csv": no space left on device`},
		{"a b.csv", "write --out: " + dir + "/a b.csv: no space left on device"},
	} {
		files, err := Create([]Path{{Flag: "out", Path: filepath.Join(dir, c.name)}})
		if err != nil {
			t.Fatal(err)
		}
		err = files.Write(context.Background(), "out", func(io.Writer) error {
			return &fs.PathError{Op: "write", Path: "tmp", Err: syscall.ENOSPC}
		})
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: error %v, want %q", c.name, err, c.want)
		}
		files.Abort()
	}
}
