//go:build unix

package gpu

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/cachedir"
	"github.com/gpusim/gpusim/internal/interrupt"
)

// loadingMarks lists the loading marks in the programs folder of dir.
func loadingMarks(t *testing.T, dir string) []string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "programs", "*"+loadingSuffix+"*"))
	return names
}

// deadPID is the ID of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	return c.Process.Pid
}

// TestCachedBinaryCrashedLoading: a cached binary that a process was
// loading when it ended (a driver that crashes on the binary) is discarded
// and the source built, where every later process loaded it again (and
// crashed again); a process that still runs, or this one, leaves no doubt
// on it, and Open leaves no mark behind.
func TestCachedBinaryCrashedLoading(t *testing.T) {
	dir := forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	want := reference(t, cacheJob())
	sameFinals(t, "a first start", openRun(t, Options{}), want)
	file := ProgramFile(Options{Device: testDevice(t)})
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("no cached program after a first start: %v", err)
	}
	if m := loadingMarks(t, dir); len(m) != 0 {
		t.Fatalf("marks left after a start: %q", m)
	}
	if c := RebuildCause(file); c != "" {
		t.Fatalf("RebuildCause(%s) %q of an entry none discarded", file, c)
	}
	hits := binaryHits.Load()
	sameFinals(t, "a warm start", openRun(t, Options{}), want)
	if n := binaryHits.Load() - hits; n != 1 {
		t.Fatalf("a warm start loaded %d cached binaries, want 1", n)
	}
	if m := loadingMarks(t, dir); len(m) != 0 {
		t.Fatalf("marks left after a warm start: %q", m)
	}

	// A process that runs (another gpusim loading the binary now) does
	// not make the entry suspect.
	live := exec.Command("sleep", "60")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	liveMark := markName(file, live.Process.Pid)
	if err := os.WriteFile(liveMark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	hits = binaryHits.Load()
	sameFinals(t, "beside a running process's mark", openRun(t, Options{}), want)
	if n := binaryHits.Load() - hits; n != 1 {
		t.Errorf("beside a running process's mark: %d cached binaries loaded, want 1", n)
	}
	if _, err := os.Stat(liveMark); err != nil {
		t.Errorf("a running process's mark was removed: %v", err)
	}
	os.Remove(liveMark)

	for _, pid := range []int{deadPID(t), os.Getpid()} {
		forgetCacheNotes(t)
		mark := markName(file, pid)
		if err := os.WriteFile(mark, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		hits = binaryHits.Load()
		sameFinals(t, "after a process ended while loading", openRun(t, Options{}), want)
		if n := binaryHits.Load() - hits; n != 0 {
			t.Errorf("pid %d: the suspect binary was loaded %d times, want none", pid, n)
		}
		notes := strings.Join(CacheNotes(), "\n")
		if !strings.Contains(notes, "process "+strconv.Itoa(pid)+" ended while it loaded") || !strings.Contains(notes, "discarded, rebuilt from source") {
			t.Errorf("pid %d: notes %q: want the entry discarded, with the reason", pid, notes)
		}
		if m := loadingMarks(t, dir); len(m) != 0 {
			t.Errorf("pid %d: marks left: %q", pid, m)
		}
		// The engine's note says the compile is a rebuild (it said "a
		// first start there").
		if c := RebuildCause(file); !strings.Contains(c, "discarded") {
			t.Errorf("pid %d: RebuildCause(%s) %q after the entry was discarded", pid, file, c)
		}
		if _, err := os.Stat(file); err != nil {
			t.Errorf("pid %d: the rebuilt program was not cached: %v", pid, err)
		}
		hits = binaryHits.Load()
		sameFinals(t, "the start after", openRun(t, Options{}), want)
		if n := binaryHits.Load() - hits; n != 1 {
			t.Errorf("pid %d: the start after loaded %d cached binaries, want 1", pid, n)
		}
	}
}

// TestUnmarkedNotLoaded: where no loading mark can be made (a cache folder
// this user cannot write), the cached binary is not loaded and the source
// is built, with a note: it was loaded unmarked, so that a binary that
// crashes the driver crashed every start, none of them leaving a mark for
// the next to find.
func TestUnmarkedNotLoaded(t *testing.T) {
	forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	want := reference(t, cacheJob())
	sameFinals(t, "a first start", openRun(t, Options{}), want)
	openMark = func(string, int, os.FileMode) (*os.File, error) { return nil, os.ErrPermission }
	defer func() { openMark = os.OpenFile }()
	// A read-only cache folder (chmod 555, which root's writes pass): the
	// program is cached, so nothing is written, and no second note says
	// the cache was not written, to set GPUSIM_CACHE_DIR.
	var written []string
	writeAtomic = func(path string, b []byte) error {
		written = append(written, path)
		return &os.PathError{Op: "open", Path: path, Err: os.ErrPermission}
	}
	defer func() { writeAtomic = cachedir.WriteFile }()
	hits := binaryHits.Load()
	sameFinals(t, "a start that cannot mark", openRun(t, Options{}), want)
	for _, w := range written {
		if strings.Contains(w, string(filepath.Separator)+"programs"+string(filepath.Separator)) {
			t.Errorf("the cached program was written again: %s", w)
		}
	}
	if n := binaryHits.Load() - hits; n != 0 {
		t.Errorf("%d cached binaries loaded unmarked, want none", n)
	}
	if notes := CacheNotes(); len(notes) != 1 || !strings.Contains(notes[0], "no loading mark can be made") || !strings.Contains(notes[0], "every start builds them from source; set TMPDIR or XDG_RUNTIME_DIR") {
		t.Errorf("notes %q: want one, the reason the binary was not loaded and what to set", notes)
	}
	openMark, writeAtomic = os.OpenFile, cachedir.WriteFile
	hits = binaryHits.Load()
	sameFinals(t, "a start that can mark", openRun(t, Options{}), want)
	if n := binaryHits.Load() - hits; n != 1 {
		t.Errorf("%d cached binaries loaded, want 1", n)
	}
}

// TestFirstLaunchMarked: the first launch in a process of a kernel that
// Open did not launch (weather_daily), of a program built from a cached
// binary, is marked as loading until it has ended, as Open's are: a binary
// on which the driver crashed compiling that kernel's code (pocl does at a
// kernel's first launch) crashed every start that ran a daily job, Open's
// mark long removed. The second launch, and a kernel Open launched, are
// not marked, and no mark is left.
func TestFirstLaunchMarked(t *testing.T) {
	dir := forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	openRun(t, Options{}) // caches the binary
	hits := binaryHits.Load()
	e := open(t, Options{})
	if binaryHits.Load() == hits {
		t.Fatal("the engine did not load the cached binary")
	}
	for i, daily := range []bool{true, true, false} {
		var marks []int
		e.opts.launched = func(uint64, uint64) { marks = append(marks, len(loadingMarks(t, dir))) }
		j := job(100000, 200)
		j.Daily = daily
		runJob(t, e, j)
		t.Logf("run %d (daily %v): marks at each launch %v", i, daily, marks)
		for n, m := range marks {
			want := 0
			switch {
			case i == 0 && n == 0:
				want = 1 // weather_daily's first launch
			case i == 0 && n == 1:
				continue // queued while the first is in flight
			}
			if m != want {
				t.Errorf("run %d (daily %v): %d marks at launch %d, want %d", i, daily, m, n, want)
			}
		}
		if m := loadingMarks(t, dir); len(m) != 0 {
			t.Errorf("run %d (daily %v): marks left after the run: %q", i, daily, m)
		}
	}
}

// TestCancelledRunMarksNoLaunch: a run stopped as its last launch ran
// returns at the stop (runUntil) and removes its first-launch marks, and its
// launches end in the background, where a daily job went on to launch
// reduce_daily for the first time in the process, under a new mark. The
// process, which does not wait for them, ended with that mark in the cache
// (selftest stopped by Ctrl-C in a cold start), and the next start said
// that gpusim "ended without a crash while the OpenCL driver ran a first
// launch of the program (killed by kill -9 or the out-of-memory killer)".
// No launch is marked once the run has returned.
func TestCancelledRunMarksNoLaunch(t *testing.T) {
	forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	openRun(t, Options{}) // caches the binary: Open launches no daily kernel
	e := open(t, Options{})
	var mu sync.Mutex
	var marked, late []string
	returned := make(chan struct{})
	launchMarked = func(kernel string) {
		mu.Lock()
		defer mu.Unlock()
		select {
		case <-returned:
			late = append(late, kernel)
		default:
			marked = append(marked, kernel)
		}
	}
	defer func() { launchMarked = nil }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	e.opts.launched = func(uint64, uint64) {
		// The job's one launch is in flight: stop, and let the run's
		// goroutine go on only once Run has returned.
		once.Do(func() {
			cancel()
			<-returned
		})
	}
	j := job(1000, 8)
	j.Daily = true
	_, err := e.Run(ctx, j)
	close(returned)
	e.settled()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run returned %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(marked, "weather_daily") {
		t.Errorf("first launches marked before the run returned: %q, want weather_daily's (the test's premise)", marked)
	}
	if len(late) > 0 {
		t.Errorf("first launches marked after the stopped run returned: %q, want none (the process may end before they do)", late)
	}
}

// TestEndLaunchMarksLoading: a run stopped while its program's loading
// (or, built from source, launching) mark was still held, as selftest's
// checks run after Open, returned at the stop and left the mark to its
// launches in the background, which release the engine; the process ended
// first and the next start took the mark for a death in the driver.
// endLaunchMarks, which runUntil calls at the stop, removes it too.
func TestEndLaunchMarksLoading(t *testing.T) {
	entry := filepath.Join(t.TempDir(), "entry")
	k := progKey{"source", "options"}
	s := &shared{
		loading:  map[progKey]func(){k: markStep(entry, launchingSuffix)},
		entries:  map[progKey]string{k: entry},
		markKeys: map[progKey]string{k: entry + launchingSuffix},
	}
	mark := markNameAs(entry, launchingSuffix, os.Getpid())
	if _, err := os.Stat(mark); err != nil {
		t.Fatalf("no mark made: %v", err)
	}
	s.endLaunchMarks()
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		t.Errorf("the program's launching mark is left after endLaunchMarks (%v), want it removed", err)
	}
	// The run's later first launches make none (ctx ended).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.firstLaunch(ctx, k, "reduce_daily")()
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		t.Errorf("a first launch after the stop marked the program (%v), want no mark", err)
	}
}

// TestMarkLoadingLink: a link in the place of this process's mark (a cache
// folder other users can write) is not followed: the mark was opened with
// O_TRUNC through it, which emptied the file it named, and a dangling one
// made that file. No mark is made then (and buildCached loads no binary).
func TestMarkLoadingLink(t *testing.T) {
	dir := t.TempDir()
	entry := filepath.Join(dir, "entry")
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(dir, "gone")
	mark := markName(entry, os.Getpid())
	for _, target := range []string{victim, gone} {
		os.Remove(mark)
		if err := os.Symlink(target, mark); err != nil {
			t.Fatal(err)
		}
		if done, err := markLoading(entry); err == nil {
			done()
		}
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "keep" {
		t.Errorf("the file a link in the mark's place names was written: %q, %v", b, err)
	}
	if _, err := os.Lstat(gone); !os.IsNotExist(err) {
		t.Errorf("the file a dangling link in the mark's place names was made: %v", err)
	}
	// Without a link the mark is made, and done removes it.
	os.Remove(mark)
	done, err := markLoading(entry)
	if err != nil {
		t.Fatalf("no mark made: %v", err)
	}
	if st, err := os.Lstat(mark); err != nil || !st.Mode().IsRegular() {
		t.Errorf("mark: %v, %v", st, err)
	}
	done()
	if _, err := os.Lstat(mark); !os.IsNotExist(err) {
		t.Errorf("mark left after done: %v", err)
	}
}

// TestCrashedLoadingHosts: a cache folder shared by hosts or containers
// holds marks whose process IDs mean nothing here. Another host's live load
// was taken for a crash (its ID runs on no process here), which discarded
// the entry and built the source on every start beside it; such a mark
// counts only once older than foreignStale. A mark older than the entry
// was made on a binary since replaced: it goes, and the entry stays.
func TestCrashedLoadingHosts(t *testing.T) {
	dir := t.TempDir()
	entry := filepath.Join(dir, "entry")
	if err := os.WriteFile(entry, []byte("binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	ours := hostTag
	defer func() { hostTag = ours }()
	pid := deadPID(t)

	// Another host loads the entry now: its mark is made under its tag.
	hostTag = func() string { return "otherhost" }
	done, err := markLoading(entry)
	if err != nil {
		t.Fatalf("no mark made: %v", err)
	}
	hostTag = ours
	if who, _ := crashedLoading(entry); who != "" {
		t.Errorf("another host's fresh mark taken for a crash: %q", who)
	}
	names, _ := filepath.Glob(entry + loadingSuffix + "*")
	if len(names) != 1 {
		t.Fatalf("another host's fresh mark removed: %q", names)
	}
	// Past foreignStale it is a crash there, where it holds no evidence
	// that it was not (an empty mark: a host without the crash handler;
	// one watched alone is a death without a crash: TestLoadingProbeEvidence).
	if err := os.Truncate(names[0], 0); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * foreignStale)
	if err := os.Chtimes(names[0], old, old); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(entry, old.Add(-time.Minute), old.Add(-time.Minute))
	if who, _ := crashedLoading(entry); !strings.Contains(who, "of another host or container") {
		t.Errorf("another host's stale mark: %q", who)
	}
	done()

	// This host's dead process's mark counts, unless older than the entry.
	mark := markName(entry, pid)
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if who, _ := crashedLoading(entry); who != "process "+strconv.Itoa(pid) {
		t.Errorf("a dead process's mark: %q", who)
	}
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(mark, old, old)
	os.Chtimes(entry, time.Now(), time.Now()) // saved again since
	if who, _ := crashedLoading(entry); who != "" {
		t.Errorf("a mark older than the entry made it suspect: %q", who)
	}
	if _, err := os.Lstat(mark); !os.IsNotExist(err) {
		t.Errorf("a dead process's mark left: %v", err)
	}
}

// TestMarkLoadingForcedExit: a process ended by a second interrupt (or
// after the stop's grace) while it loads a cached binary removes its mark
// on the way out; the mark stayed, and the next start discarded a good
// entry with a note of a crash. The forced exit runs in a child process.
func TestMarkLoadingForcedExit(t *testing.T) {
	const env = "GPUSIM_TEST_MARK_EXIT"
	if path := os.Getenv(env); path != "" {
		if _, err := markLoading(path); err != nil {
			t.Fatalf("no mark made: %v", err)
		}
		interrupt.Now(os.Stderr)(130, "gpusim: stopped\n")
		t.Fatal("not ended")
	}
	entry := filepath.Join(t.TempDir(), "entry")
	c := exec.Command(os.Args[0], "-test.run=^TestMarkLoadingForcedExit$")
	c.Env = append(os.Environ(), env+"="+entry)
	out, err := c.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("child: %v, want exit status 130\n%s", err, out)
	}
	if marks, _ := filepath.Glob(entry + loadingSuffix + "*"); len(marks) != 0 {
		t.Errorf("marks left by a forced exit: %q", marks)
	}
}

// TestReadOnlyCacheMarked: a cached binary in a folder that takes no mark
// (a cache shared read-only) is loaded under a mark in this user's own
// folder of marks, not built from source at every start; a crash's mark
// there, on an entry this process cannot remove, stays while the entry is
// unchanged, so that every later start builds the source instead of
// crashing on it in turn, and goes once the entry is replaced. Since the
// loads were marked, such a cache compiled at every start.
func TestReadOnlyCacheMarked(t *testing.T) {
	dir := forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	t.Setenv("TMPDIR", t.TempDir())
	want := reference(t, cacheJob())
	sameFinals(t, "a first start", openRun(t, Options{}), want)
	entries := programEntries(dir)
	var entry string
	if len(entries) == 1 {
		entry = entries[0]
	}
	if entry == "" {
		t.Fatalf("no program entry in %v", entries)
	}
	var fallbackMarked int
	openMark = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		if strings.HasPrefix(name, dir) {
			return nil, os.ErrPermission // the cache's folder takes no mark
		}
		fallbackMarked++
		return os.OpenFile(name, flag, perm)
	}
	defer func() { openMark = os.OpenFile }()
	hits := binaryHits.Load()
	sameFinals(t, "a start whose cache folder takes no mark", openRun(t, Options{}), want)
	if n := binaryHits.Load() - hits; n != 1 || fallbackMarked == 0 {
		t.Errorf("%d cached binaries loaded, %d marks in the fallback folder; want 1 and some", n, fallbackMarked)
	}
	fb, err := fallbackMarks(false)
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(fb); len(left) != 0 {
		t.Errorf("%d marks left in %s after the start, want none", len(left), fb)
	}
	if notes := strings.Join(CacheNotes(), "\n"); strings.Contains(notes, "cannot be marked") {
		t.Errorf("notes %q: the binary was marked in the fallback folder", notes)
	}

	// A process that crashed loading it, on an entry that cannot be removed.
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(entry, past, past); err != nil {
		t.Fatal(err)
	}
	mark := filepath.Join(fb, fallbackName(entry, deadPID(t)))
	if err := os.WriteFile(mark, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	undeletable(t, entry)
	for i := range 2 {
		forgetBypassed(t)
		forgetCacheNotes(t)
		hits = binaryHits.Load()
		sameFinals(t, "a start after the crash", openRun(t, Options{}), want)
		if n := binaryHits.Load() - hits; n != 0 {
			t.Errorf("start %d after the crash: the binary was loaded %d times, want never", i+1, n)
		}
		// The note names the mark too: the entry cannot be removed, and
		// removing the mark is how a user who knows the crash was not
		// the entry's (pocl ended by a read-only kernel cache) trusts it
		// again; it said only to remove the entry.
		if notes := strings.Join(CacheNotes(), "\n"); !strings.Contains(notes, "ended while it loaded") ||
			!strings.Contains(notes, "rm -f "+entry) || !strings.Contains(notes, "(rm -f "+mark+")") {
			t.Errorf("start %d after the crash: notes %q, want the crash's, naming the entry and the mark %s", i+1, notes, mark)
		}
	}
	// The mark removed, as the note says: the entry is loaded again.
	if err := os.Remove(mark); err != nil {
		t.Fatal(err)
	}
	forgetBypassed(t)
	forgetCacheNotes(t)
	hits = binaryHits.Load()
	sameFinals(t, "a start after the mark was removed", openRun(t, Options{}), want)
	if n := binaryHits.Load() - hits; n != 1 {
		t.Errorf("after the mark was removed: the binary was loaded %d times, want once", n)
	}
	if err := os.WriteFile(mark, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// The entry replaced (written after the mark): the mark goes.
	exec.Command("chattr", "-i", entry).Run()
	if err := os.Chtimes(entry, time.Now().Add(time.Minute), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if who, _ := crashedLoading(entry); who != "" {
		t.Errorf("crashedLoading after the entry was replaced: %q, want none", who)
	}
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		t.Errorf("the crash's mark stays after the entry was replaced (%v)", err)
	}
}

// TestReadOnlyCacheRuntimeDir: a cache folder that takes no mark, where the
// temporary folder takes none either (a read-only root, TMPDIR set to a
// folder this user cannot write), marks its loads in $XDG_RUNTIME_DIR, the
// per-user runtime folder, and a crash's mark there is found by the next
// start: such a cache built the source at every start. Where no folder
// takes a mark, one note says why every start builds the source and what
// to set.
func TestReadOnlyCacheRuntimeDir(t *testing.T) {
	dir := forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing", "tmp"))
	runtimeDir := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtimeDir)
	want := reference(t, cacheJob())
	sameFinals(t, "a first start", openRun(t, Options{}), want)
	var entry string
	entries := programEntries(dir)
	if len(entries) == 1 {
		entry = entries[0]
	}
	if entry == "" {
		t.Fatalf("no program entry in %v", entries)
	}
	var marked []string
	openMark = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		if strings.HasPrefix(name, dir) {
			return nil, os.ErrPermission // the cache's folder takes no mark
		}
		marked = append(marked, name)
		return os.OpenFile(name, flag, perm)
	}
	defer func() { openMark = os.OpenFile }()
	hits := binaryHits.Load()
	sameFinals(t, "a start whose cache and temporary folders take no mark", openRun(t, Options{}), want)
	if n := binaryHits.Load() - hits; n != 1 || len(marked) == 0 || !strings.HasPrefix(marked[0], runtimeDir+"/") {
		t.Errorf("%d cached binaries loaded, marks %q; want 1, marked in %s", n, marked, runtimeDir)
	}
	if notes := strings.Join(CacheNotes(), "\n"); strings.Contains(notes, "no loading mark") {
		t.Errorf("notes %q: the binary was marked in $XDG_RUNTIME_DIR", notes)
	}

	// A process that crashed loading it: its mark in $XDG_RUNTIME_DIR.
	fb, err := fallbackMarks(false)
	if err != nil || !strings.HasPrefix(fb, runtimeDir+"/") {
		t.Fatalf("fallbackMarks: %q, %v; want a folder in %s", fb, err, runtimeDir)
	}
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(entry, past, past); err != nil {
		t.Fatal(err)
	}
	if who, _ := crashedLoading(entry); who != "" {
		t.Fatalf("crashedLoading before the crash: %q", who)
	}
	if err := os.WriteFile(filepath.Join(fb, fallbackName(entry, deadPID(t))), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if who, _ := crashedLoading(entry); who == "" {
		t.Errorf("a crash's mark in $XDG_RUNTIME_DIR: crashedLoading found none")
	}

	// Neither folder takes a mark: one note, why and what to set.
	os.Unsetenv("XDG_RUNTIME_DIR")
	forgetBypassed(t)
	forgetCacheNotes(t)
	hits = binaryHits.Load()
	sameFinals(t, "a start where no folder takes a mark", openRun(t, Options{}), want)
	notes := CacheNotes()
	if n := binaryHits.Load() - hits; n != 0 || len(notes) != 1 || !strings.Contains(notes[0], "$TMPDIR: mkdir ") ||
		!strings.Contains(notes[0], "$XDG_RUNTIME_DIR is not set") || !strings.Contains(notes[0], "every start builds them from source; set TMPDIR or XDG_RUNTIME_DIR") {
		t.Errorf("%d cached binaries loaded, notes %q; want none loaded and one note that says why and what to set", n, notes)
	}
}

// TestProgramLoadable: an entry is loadable where a loading mark can be
// made for it, in its folder or in this user's folder of marks, and not
// where neither takes one (auto then takes the device for a cold one); the
// probe leaves nothing behind.
func TestProgramLoadable(t *testing.T) {
	dir := t.TempDir()
	entry := filepath.Join(dir, "entry")
	if err := ProgramLoadable(entry); err != nil {
		t.Errorf("a writable folder: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the probe left %v", left)
	}
	openMark = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		if strings.HasPrefix(name, dir) {
			return nil, os.ErrPermission // the cache's folder takes no mark
		}
		return os.OpenFile(name, flag, perm)
	}
	defer func() { openMark = os.OpenFile }()
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing", "tmp"))
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if err := ProgramLoadable(entry); err != nil {
		t.Errorf("marks in $XDG_RUNTIME_DIR: %v", err)
	}
	os.Unsetenv("XDG_RUNTIME_DIR")
	if err := ProgramLoadable(entry); err == nil || !strings.Contains(err.Error(), "no loading mark can be made") {
		t.Errorf("no folder takes a mark: %v; want why", err)
	}
}

// TestOpenMultiSharedEntry: two devices of one model and driver share
// their program's cache entry (its key), and opened at once both load it
// under one loading mark, with no note: the second's load took the
// first's live mark, of this process, for a crash, and discarded the
// entry.
func TestOpenMultiSharedEntry(t *testing.T) {
	idx := twoDevices(t)
	if idx == nil {
		return
	}
	dir := forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	ds, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	if ProgramFile(Options{Device: idx[0]}) != ProgramFile(Options{Device: idx[1]}) {
		t.Skipf("%s and %s do not share a program", ds[idx[0]].Named(), ds[idx[1]].Named())
	}
	for _, start := range []string{"cold", "warm"} {
		hits := binaryHits.Load()
		m, err := OpenMulti(idx, Options{})
		if err != nil {
			t.Fatalf("a %s start: %v", start, err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		// A cold start compiles on one device, and the other loads its
		// binary (buildShared).
		want := int64(1)
		if start == "warm" {
			want = 2
		}
		if n := binaryHits.Load() - hits; n != want {
			t.Errorf("a %s start loaded %d cached binaries, want %d", start, n, want)
		}
		if notes := CacheNotes(); len(notes) != 0 {
			t.Errorf("a %s start: notes %q", start, notes)
		}
		if marks := loadingMarks(t, dir); len(marks) != 0 {
			t.Errorf("a %s start left marks %q", start, marks)
		}
	}
}

// TestMarkLoadingHeld: this process's loads of one entry at once (its
// devices opened in parallel) share one mark, which the last done removes;
// while it is held, the mark is no crash of this process's. Before, the
// second load's mark went to the folder of marks (O_EXCL refused one
// beside the entry), and a load that checked the entry then took this
// process's marks for a crash of its own (an earlier process's ID).
func TestMarkLoadingHeld(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	entry := filepath.Join(t.TempDir(), "entry")
	if err := os.WriteFile(entry, []byte("binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	marks := func() []string {
		names, _ := filepath.Glob(entry + loadingSuffix + "*")
		if dir, err := fallbackMarks(false); err == nil {
			more, _ := filepath.Glob(filepath.Join(dir, pathTag(entry)+loadingSuffix+"*"))
			names = append(names, more...)
		}
		return names
	}
	first, err := markLoading(entry)
	if err != nil {
		t.Fatalf("no mark made: %v", err)
	}
	second, err := markLoading(entry)
	if err != nil {
		t.Fatalf("no second mark made: %v", err)
	}
	if m := marks(); len(m) != 1 || m[0] != markName(entry, os.Getpid()) {
		t.Errorf("two loads made marks %q, want the one beside the entry", m)
	}
	if who, _ := crashedLoading(entry); who != "" {
		t.Errorf("this process's live mark taken for a crash: %q", who)
	}
	first()
	first() // counted once
	if m := marks(); len(m) != 1 {
		t.Errorf("the first load's end left marks %q, want the second's", m)
	}
	second()
	if m := marks(); len(m) != 0 {
		t.Errorf("marks %q left after both loads", m)
	}
	// Not held, this process's ID on a mark is an earlier process's.
	if err := os.WriteFile(markName(entry, os.Getpid()), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if who, _ := crashedLoading(entry); who != "process "+strconv.Itoa(os.Getpid()) {
		t.Errorf("an earlier process's mark under this process's ID: %q", who)
	}
}

// TestCrashedEntryReadAtOnce: two loads of one cached binary at once in a
// process (OpenMulti's devices of one model share the entry) after a
// process ended while it loaded the binary: neither loads it. The second
// load read the entry, the first found the crash's mark, removed it and
// discarded the entry, and the second, checking for a crash only then,
// found none and loaded the binary that may crash the driver: two starts
// in a row crashed on one bad entry.
func TestCrashedEntryReadAtOnce(t *testing.T) {
	forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	e := open(t, Options{})
	key, options, source := e.st.key, e.options, e.source()
	ctx, dev := e.sh.ctx, e.sh.dev
	file := cachePath("programs", key)
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("no cached program after a first start: %v", err)
	}
	mark := markName(file, deadPID(t))
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The first load to read the entry waits (2 s at most) for the
	// crash's mark to be gone: the other load found it.
	var first atomic.Bool
	entryRead = func() {
		if !first.CompareAndSwap(false, true) {
			return
		}
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if _, err := os.Stat(mark); err != nil {
				return
			}
		}
	}
	defer func() { entryRead = nil }()
	hits := binaryHits.Load()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			p, _, done, _, err := buildCached(ctx, dev, key, source, options)
			if err != nil {
				t.Error(err)
				return
			}
			if done != nil {
				done()
			}
			p.Release()
		})
	}
	wg.Wait()
	if n := binaryHits.Load() - hits; n != 0 {
		t.Errorf("the binary a process was loading when it ended was loaded %d times, want none", n)
	}
	if notes := strings.Join(CacheNotes(), "\n"); !strings.Contains(notes, "ended while it loaded") {
		t.Errorf("notes %q: want the crash's", notes)
	}
}

// TestMarksAtExit: a process that ends through gpusim's own exit while a
// goroutine is in the driver leaves no mark for the next start to take for
// a crash there. A child (this test binary) holds a build's mark in a
// goroutine, the build, that then ends and marks its first launch, as
// buildSource does: in "forced", the stop's forced exit (interrupt.Now)
// comes first, and the build ends while the exit's hooks run (a hook
// registered before the mark, so run after its own, lets it); in "main",
// the process ends as main does after a stop (Quiesce, then os.Exit),
// the build ending between the two. The forced exit ran the hooks of the
// marks made before it began, so that the first launch's mark, made
// after, stayed; and main's exit removed none (a run's goroutine creating
// a buffer, an open of several devices still building, as a command
// returned after a stop).
func TestMarksAtExit(t *testing.T) {
	const env = "GPUSIM_TEST_MARKS_AT_EXIT"
	if v := os.Getenv(env); v != "" {
		how, entry, _ := strings.Cut(v, ":")
		built, next := make(chan struct{}), make(chan struct{})
		marked := make(chan struct{})
		go func() { // the build, in the driver until built
			done := markStep(entry, buildingSuffix)
			close(marked)
			<-built
			done()
			markStep(entry, launchingSuffix)
			close(next)
			select {} // the first launch, in the driver
		}()
		<-marked
		switch how {
		case "forced":
			// Run after the build mark's hook of the old code, before
			// endMarks's (registered in init): hooks run last
			// registered first.
			interrupt.BeforeExit(func() {
				close(built)
				<-next
			})
			interrupt.Now(os.Stderr)(143, "gpusim: terminated\n")
		case "main":
			Quiesce()
			close(built)
			<-next
			os.Exit(143)
		}
		t.Fatal("not ended")
	}
	for _, how := range []string{"forced", "main"} {
		t.Run(how, func(t *testing.T) {
			t.Setenv("TMPDIR", t.TempDir()) // the folder of marks, where the entry's takes none
			entry := filepath.Join(t.TempDir(), "entry")
			c := exec.Command(os.Args[0], "-test.run=^TestMarksAtExit$")
			c.Env = append(os.Environ(), env+"="+how+":"+entry)
			out, err := c.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 143 {
				t.Fatalf("child: %v, want exit status 143\n%s", err, out)
			}
			marks, _ := filepath.Glob(entry + ".*.*")
			fallback, _ := filepath.Glob(filepath.Join(os.Getenv("TMPDIR"), "*", "*"))
			if marks = append(marks, fallback...); len(marks) != 0 {
				t.Errorf("marks left by an exit that was no crash: %q", marks)
			}
		})
	}
}

// TestCrashedLoadingOtherHostEvidence: the mark of a process of another
// host or container that holds the crash handler's word is a crash's at
// once, where it counted only once older than foreignStale: a container
// restarted after its driver crashed on the entry (a Kubernetes Job's pod,
// in a new PID namespace) loaded it and crashed again, as did every other
// host's start, for 5 minutes. A fresh mark without the word (watched
// alone, or empty) is still taken for a live process's.
func TestCrashedLoadingOtherHostEvidence(t *testing.T) {
	entry := filepath.Join(t.TempDir(), "entry")
	if err := os.WriteFile(entry, []byte("binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Minute)
	os.Chtimes(entry, before, before)
	other := entry + loadingSuffix + "otherhost.7"
	for _, live := range []string{"", cl.CrashMarkWatched} {
		if err := os.WriteFile(other, []byte(live), 0o644); err != nil {
			t.Fatal(err)
		}
		if who, _ := crashedLoading(entry); who != "" {
			t.Errorf("another host's fresh mark holding %q taken for a crash: %q", live, who)
		}
		if _, err := os.Lstat(other); err != nil {
			t.Errorf("another host's fresh mark holding %q removed: %v", live, err)
		}
	}
	if err := os.WriteFile(other, []byte(cl.CrashMarkWatched+cl.CrashMarkWord), 0o644); err != nil {
		t.Fatal(err)
	}
	if who, _ := crashedLoading(entry); !strings.Contains(who, "process 7 of another host or container") {
		t.Errorf("another host's fresh mark of a crash: %q, want process 7's", who)
	}
	if _, err := os.Lstat(other); !os.IsNotExist(err) {
		t.Errorf("another host's mark of a crash stays: %v", err)
	}
}
