package atomicfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// noTemps fails unless dir holds exactly the names in want.
func noTemps(t *testing.T, dir string, want ...string) {
	t.Helper()
	got := dirNames(t, dir)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	for _, s := range []string{"first\n", "second, longer\n", ""} {
		if err := WriteFile(path, writeString(s)); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != s {
			t.Errorf("read back %q, %v; want %q", b, err, s)
		}
		noTemps(t, dir, "out.txt")
	}
}

// TestFailureKeepsOldFile: an error from the writer, after some bytes,
// leaves the old file as it was and no temporary file.
func TestFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := WriteFile(path, func(w io.Writer) error {
		w.Write(make([]byte, 3<<20)) // past the buffer, so the temp file has bytes
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WriteFile = %v, want %v", err, boom)
	}
	if b, _ := os.ReadFile(path); string(b) != "old\n" {
		t.Errorf("old file now holds %d bytes", len(b))
	}
	noTemps(t, dir, "out.txt")
}

func TestCreateFailsFast(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, path string }{
		{"missing folder", filepath.Join(dir, "nope", "out.txt")},
		{"directory", sub},
		{"empty name", ""},
	}
	if runtime.GOOS == "linux" {
		cases = append(cases, struct{ name, path string }{"/proc", "/proc/gpusim-out.txt"},
			struct{ name, path string }{"device", "/dev/null"})
	}
	for _, c := range cases {
		f, err := Create(c.path)
		if err == nil {
			f.Abort()
			t.Errorf("%s: Create(%q) succeeded", c.name, c.path)
			continue
		}
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Path != c.path || strings.Contains(err.Error(), ".tmp-") {
			t.Errorf("%s: %v, want an error naming %q and not the temporary file", c.name, err, c.path)
		}
	}
	if _, err := Create(sub); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("directory: %v, want EISDIR", err)
	}
	noTemps(t, dir, "sub")
	noTemps(t, sub)
}

func TestCreateReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 || runtime.GOOS == "windows" {
		t.Skip("root writes into read-only folders; TestCreateFailsFast covers /proc")
	}
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(ro, 0o755)
	if f, err := Create(filepath.Join(ro, "out.txt")); err == nil || !errors.Is(err, fs.ErrPermission) {
		if f != nil {
			f.Abort()
		}
		t.Errorf("Create in a read-only folder: %v, want a permission error", err)
	}
}

// TestCommitAbort: Abort removes the temporary file, is idempotent and does
// nothing after Commit; nothing is visible at the target before Commit.
func TestCommitAbort(t *testing.T) { eachKind(t, testCommitAbort) }

// TestNamedTable: a temporary file with a name is in the table a signal
// handler unlinks (NameTable) while it is there, named from the start or
// linked for its Commit, and leaves the table as it is renamed or removed
// (Commit, Abort, CommitAll): a crash's handler left it beside its target.
func TestNamedTable(t *testing.T) {
	eachKind(t, func(t *testing.T, anon bool) {
		dir := t.TempDir()
		kept := func(f *File) bool { return f.tmp != "" && slices.Contains(namedTemps(), f.tmp) }
		a, err := Create(filepath.Join(dir, "a.txt"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Create(filepath.Join(dir, "b.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if kept(a) == anon || kept(b) == anon {
			t.Errorf("after Create the table holds %q: want the named files alone", namedTemps())
		}
		// At its rename the file has a name, unnamed until then or not:
		// in the table.
		saved := rename
		t.Cleanup(func() { rename = saved })
		var atRename []bool
		rename = func(old, new string) error {
			atRename = append(atRename, slices.Contains(namedTemps(), old))
			return saved(old, new)
		}
		if err := a.Commit(); err != nil {
			t.Fatal(err)
		}
		b.Abort()
		group := []*File{}
		for _, n := range []string{"c.txt", "d.txt"} {
			f, err := Create(filepath.Join(dir, n))
			if err != nil {
				t.Fatal(err)
			}
			group = append(group, f)
		}
		if _, err := CommitAll(context.Background(), group, nil); err != nil {
			t.Fatal(err)
		}
		if len(atRename) != 3 || slices.Contains(atRename, false) {
			t.Errorf("in the table at their renames: %v, want each of the 3", atRename)
		}
		for _, p := range namedTemps() {
			if strings.HasPrefix(p, dir) {
				t.Errorf("the table holds %q after the commits and the abort", p)
			}
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 3 {
			t.Errorf("%s holds %v, want a.txt, c.txt and d.txt", dir, ents)
		}
	})
}

// namedTemps is the paths the table of named temporary files holds now.
func namedTemps() []string {
	var paths []string
	for i := range names {
		if p, ok := names[i].Path(); ok {
			paths = append(paths, p)
		}
	}
	return paths
}

// eachKind runs test with the temporary files named from the start and, on
// Linux, unnamed until Commit (Anonymous); anon says which.
func eachKind(t *testing.T, test func(t *testing.T, anon bool)) {
	for _, anon := range []bool{false, true} {
		t.Run(map[bool]string{false: "named", true: "unnamed"}[anon], func(t *testing.T) {
			if anon && runtime.GOOS != "linux" {
				t.Skip("unnamed temporary files are Linux's")
			}
			saved := Anonymous
			Anonymous = anon
			t.Cleanup(func() { Anonymous = saved })
			test(t, anon)
		})
	}
}

// temps is the number of temporary files a pending File shows in its
// folder: one when named from the start, none while unnamed.
func temps(anon bool) int {
	if anon {
		return 0
	}
	return 1
}

func testCommitAbort(t *testing.T, anon bool) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != path {
		t.Errorf("Name %q, want %q", f.Name(), path)
	}
	// The temporary file is beside the target, hidden (or, unnamed, not
	// in the folder at all).
	if ents, _ := os.ReadDir(dir); len(ents) != temps(anon) || len(ents) == 1 && !strings.HasPrefix(ents[0].Name(), ".out.txt.tmp-") {
		t.Errorf("%s holds %v, want %d temporary files", dir, ents, temps(anon))
	}
	io.WriteString(f, "x")
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target exists before Commit: %v", err)
	}
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	noTemps(t, dir)

	f, err = Create(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "y")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Closed, it waits for the rename under its temporary name, or
	// unnamed until Commit links it.
	if ents, _ := os.ReadDir(dir); len(ents) != temps(anon) || !anon && !strings.HasPrefix(ents[0].Name(), ".out.txt.tmp-") {
		t.Errorf("%s holds %v after Close, want %d temporary files", dir, ents, temps(anon))
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if _, err := f.Write([]byte("z")); err == nil {
		t.Error("Write after Commit succeeded")
	}
	if b, _ := os.ReadFile(path); string(b) != "y" {
		t.Errorf("committed %q, want %q", b, "y")
	}
	noTemps(t, dir, "out.txt")
}

// TestAbortAll removes the temporary files of every pending File, as the
// CLI's signal handler does, and leaves committed files alone.
func TestAbortAll(t *testing.T) { eachKind(t, testAbortAll) }

func testAbortAll(t *testing.T, anon bool) {
	dir := t.TempDir()
	done, err := Create(filepath.Join(dir, "done.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := done.Commit(); err != nil {
		t.Fatal(err)
	}
	var files []*File
	for _, name := range []string{"a.txt", "b.txt", "c.txt"} {
		f, err := Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, name)
		files = append(files, f)
	}
	// One closed, waiting for its rename (under its temporary name, or
	// unnamed until Commit).
	if err := files[0].Close(); err != nil {
		t.Fatal(err)
	}
	if ents, want := len(dirNames(t, dir)), 1+3*temps(anon); ents != want {
		t.Fatalf("%d files before AbortAll, want %d", ents, want)
	}
	AbortAll()
	noTemps(t, dir, "done.txt")
	for _, f := range files {
		if err := f.Commit(); err == nil {
			t.Errorf("%s: Commit after AbortAll succeeded", f.Name())
		}
	}
	noTemps(t, dir, "done.txt")
}

// TestSymlinkFollowed replaces a link's target, not the link.
func TestSymlinkFollowed(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.txt")
	link := filepath.Join(dir, "link.txt")
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.txt", link); err != nil {
		t.Skip(err)
	}
	if err := WriteFile(link, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Errorf("target holds %q, want %q", b, "new")
	}
}

// TestCommitAll: a group is committed whole, or not at all when its context
// is done; a signal handler's cancel-then-AbortAll at any moment during a
// CommitAll leaves every file of the group new or every one old, never a
// mix (committing the files one by one left some new beside old ones).
func TestCommitAll(t *testing.T) {
	names := []string{"a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt"}
	group := func(t *testing.T, dir string) []*File {
		return newGroup(t, dir, names, func(string) string { return "old" })
	}
	contents := func(t *testing.T, dir string) map[string]int {
		t.Helper()
		n := map[string]int{}
		for _, name := range names {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			n[string(b)]++
		}
		return n
	}

	t.Run("whole", func(t *testing.T) {
		dir := t.TempDir()
		errs, err := CommitAll(context.Background(), group(t, dir), nil)
		if err != nil || errors.Join(errs...) != nil {
			t.Fatalf("CommitAll: %v %v", err, errs)
		}
		if n := contents(t, dir); n["new"] != len(names) {
			t.Errorf("contents %v, want every file new", n)
		}
		noTemps(t, dir, names...)
	})
	t.Run("cancelled", func(t *testing.T) {
		dir := t.TempDir()
		ctx, cancel := context.WithCancelCause(context.Background())
		cause := errors.New("terminated")
		cancel(cause)
		if _, err := CommitAll(ctx, group(t, dir), nil); err != cause {
			t.Errorf("CommitAll after cancel: %v, want %v", err, cause)
		}
		if n := contents(t, dir); n["old"] != len(names) {
			t.Errorf("contents %v, want every file old", n)
		}
		noTemps(t, dir, names...)
	})
	t.Run("signal", func(t *testing.T) {
		var whole, none int
		for i := range 200 {
			dir := t.TempDir()
			files := group(t, dir)
			ctx, cancel := context.WithCancelCause(context.Background())
			done := make(chan struct{})
			go func() {
				// As interrupt.NotifyContext does on a signal.
				time.Sleep(time.Duration(i%40) * 25 * time.Microsecond)
				cancel(errors.New("terminated"))
				AbortAll()
				close(done)
			}()
			_, err := CommitAll(ctx, files, nil)
			<-done
			n := contents(t, dir)
			switch {
			case n["new"] == len(names) && err == nil:
				whole++
			case n["old"] == len(names) && err != nil:
				none++
			default:
				t.Fatalf("try %d: contents %v, CommitAll error %v: a mix", i, n, err)
			}
			noTemps(t, dir, names...)
		}
		t.Logf("200 tries: %d committed whole, %d not at all", whole, none)
	})
}

// TestDanglingSymlinkFollowed: a link to a file that does not exist yet is
// written through, as a link to an existing file is: the file it names is
// created and the link kept (it used to be replaced by a file), also
// through a link to a folder and a chain of links.
func TestDanglingSymlinkFollowed(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "far", "deep", "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct{ link, to string }{
		{"dang.txt", "real/new.txt"},
		{"rd", "real"},
		{"chain.txt", "rd/chained.txt"},
		{"loop1", "loop2"},
		{"loop2", "loop1"},
		// ".." after a link to a folder is taken from the folder linked
		// to (far/deep), not from the link's (it was cleaned as text).
		{"lnk", "far/deep/dir"},
		{"up.txt", "lnk/../up.txt"},
	} {
		if err := os.Symlink(l.to, filepath.Join(dir, l.link)); err != nil {
			t.Skip(err)
		}
	}
	for _, c := range []struct{ path, want string }{
		{"dang.txt", "real/new.txt"},
		{"chain.txt", "real/chained.txt"},
		{"rd/x.txt", "real/x.txt"},
		{"up.txt", "far/deep/up.txt"},
		{"lnk/../up2.txt", "far/deep/up2.txt"},
	} {
		path := dir + string(filepath.Separator) + c.path // as given, not cleaned
		if got, want := Target(path), filepath.Join(dir, c.want); got != want {
			t.Errorf("Target(%s) = %s, want %s", c.path, got, want)
		}
		if err := WriteFile(path, writeString("new")); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, c.want)); err != nil || string(b) != "new" {
			t.Errorf("%s: %s holds %q (%v), want %q", c.path, c.want, b, err, "new")
		}
	}
	for _, l := range []string{"dang.txt", "chain.txt", "rd"} {
		if st, err := os.Lstat(filepath.Join(dir, l)); err != nil || st.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("the link %s was replaced: %v", l, err)
		}
	}
	if _, err := Create(filepath.Join(dir, "loop1")); err == nil {
		t.Error("a loop of links: created, want an error")
	}
}

// TestLongName: a target whose name is legal but within 21 bytes of
// NAME_MAX is written; the temporary name (".NAME.tmp-" and a suffix) was
// too long, and the write failed with "file name too long".
func TestLongName(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{200, 235, 255} {
		path := filepath.Join(dir, strings.Repeat("x", n-4)+".txt")
		if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "ok"); return err }); err != nil {
			t.Errorf("%d-byte name: %v", n, err)
			continue
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "ok" {
			t.Errorf("%d-byte name: read %q, %v", n, b, err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("%d entries left, want the 3 files", len(ents))
	}
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestKilledLeavesNothing: a process killed (SIGKILL, the OOM killer) while
// it writes a file leaves nothing beside the target, where a signal
// handler cannot remove a temporary file: it left ".out.npy.tmp-..." with
// what it had written. On Linux the temporary file is unnamed until Commit;
// closed (written in full) while the other files of its group are written,
// it was named at Close, and a run killed while it wrote --paths-out left
// ".f.npy.tmp-...".
func TestKilledLeavesNothing(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("unnamed temporary files are Linux's")
	}
	if dir := os.Getenv("ATOMICFILE_KILLED_DIR"); dir != "" {
		// The child: write (and close), say so, and wait to be killed.
		f, err := Create(filepath.Join(dir, "out.npy"))
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		io.WriteString(f, strings.Repeat("x", 3<<20)) // past the buffer
		if os.Getenv("ATOMICFILE_KILLED_CLOSE") != "" {
			if err := f.Close(); err != nil {
				fmt.Println("error:", err)
				os.Exit(1)
			}
		}
		fmt.Println("written")
		time.Sleep(time.Minute)
		os.Exit(1)
	}
	for _, closed := range []bool{false, true} {
		t.Run(map[bool]string{false: "writing", true: "closed"}[closed], func(t *testing.T) { testKilled(t, closed) })
	}
}

func testKilled(t *testing.T, closed bool) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledLeavesNothing$")
	cmd.Env = append(os.Environ(), "ATOMICFILE_KILLED_DIR="+dir)
	if closed {
		cmd.Env = append(cmd.Env, "ATOMICFILE_KILLED_CLOSE=1")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "written\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q", line)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("a killed writer left %q", names)
	}
}

// newGroup creates a File in dir for each of names, over an existing file
// holding old(name) where that is not "", and writes "new" to each.
func newGroup(t *testing.T, dir string, names []string, old func(name string) string) []*File {
	t.Helper()
	var files []*File
	for _, n := range names {
		p := filepath.Join(dir, n)
		if o := old(n); o != "" {
			if err := os.WriteFile(p, []byte(o), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		f, err := Create(p)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, "new")
		files = append(files, f)
	}
	return files
}
