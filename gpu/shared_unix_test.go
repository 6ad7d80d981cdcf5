//go:build unix

package gpu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/cachedir"
	"github.com/gpusim/gpusim/internal/testenv"
)

// Processes sharing one cache folder (a Slurm array's tasks on one node,
// pods on one volume), started at once: each test starts several processes
// of the test binary (testenv.RunTogether), which play gpusim runs.

// sharedProcs is how many processes a test starts at once.
const sharedProcs = 8

// TestCrashedEntryProcessesAtOnce: processes that start at once after a
// process ended while it loaded a cached binary (a driver that crashed on
// it) load it in none of them. Each read the entry, then the first to check
// found the crash's mark, removed it and discarded the entry, and the
// others, checking only then, found no mark and loaded the binary that may
// crash the driver: a Slurm array's next tasks crashed on one bad entry
// together. The read, the check and the mark are one step among processes
// too (lockEntry).
func TestCrashedEntryProcessesAtOnce(t *testing.T) {
	const key = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e"
	if testenv.Together(t) {
		// Each process lingers after its read, so that the others read
		// the entry meanwhile where nothing makes them wait.
		entryRead = func() { time.Sleep(300 * time.Millisecond) }
		bin, _, done, _ := markedEntry(key)
		if bin != nil {
			fmt.Println("LOADED")
			done()
		}
		return
	}
	forgetCacheNotes(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	if !cacheStore("programs", key, []byte("a binary that crashes the driver")) {
		t.Fatal("entry not stored")
	}
	path := cachePath("programs", key)
	if err := os.WriteFile(markName(path, deadPID(t)), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	loaded := 0
	for _, out := range testenv.RunTogether(t, "TestCrashedEntryProcessesAtOnce", sharedProcs) {
		loaded += strings.Count(out, "LOADED")
	}
	if loaded != 0 {
		t.Errorf("the binary a process was loading when it ended was loaded by %d of %d processes started at once, want none", loaded, sharedProcs)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("entry left: %v", err)
	}
}

// TestColdStartProcessesAtOnce: processes that start at once with no
// compiled program in the cache (a Slurm array's first tasks on a node)
// build it from source in one of them, the others waiting for its binary
// and loading it; each built it, eight compiles of seconds each on the
// same cores. pocl's own cache is warm here, so that each build is quick.
func TestColdStartProcessesAtOnce(t *testing.T) {
	if testenv.Together(t) {
		openTogether(t)
		return
	}
	file := firstStart(t)
	if err := os.Remove(file); err != nil {
		t.Fatalf("no cached program after a first start: %v", err)
	}
	builtOnce(t, "TestColdStartProcessesAtOnce", "with no cached program")
}

// builtOnce runs the test name in sharedProcs processes at once and wants
// one of them, started as how says, to have built the program from source
// (printed BUILT).
func builtOnce(t *testing.T, name, how string) {
	t.Helper()
	built := 0
	for _, out := range testenv.RunTogether(t, name, sharedProcs) {
		built += strings.Count(out, "BUILT")
	}
	if built != 1 {
		t.Errorf("%d of %d processes started at once %s built it from source, want 1", built, sharedProcs, how)
	}
}

// TestCorruptEntryProcessesAtOnce: processes that start at once and find
// the cached program corrupt (its checksum fails) build it from source in
// one of them, the others loading the binary it stores in the entry's
// place, with no note that they rebuilt it; each built it, as from an
// empty cache.
func TestCorruptEntryProcessesAtOnce(t *testing.T) {
	if testenv.Together(t) {
		openTogether(t)
		for _, n := range CacheNotes() {
			fmt.Println("NOTE", n)
		}
		return
	}
	file := firstStart(t)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no cached program after a first start: %v", err)
	}
	b[len(b)-1] ^= 0xff
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	built, notes := 0, 0
	for _, out := range testenv.RunTogether(t, "TestCorruptEntryProcessesAtOnce", sharedProcs) {
		built += strings.Count(out, "BUILT")
		notes += strings.Count(out, "is corrupt or stale: rebuilt")
	}
	if built != 1 || notes != 1 {
		t.Errorf("%d of %d processes started at once on a corrupt cached program built it from source, and %d said so; want 1 and 1", built, sharedProcs, notes)
	}
}

// TestBuildWaitIsColdStart: a start that waited for another process's
// build of the program (buildShared's lock) and then loaded the binary it
// stored is a cold start (ColdStart): its start-up holds the other's
// compile, seconds on pocl, a GPU driver's less, and auto's calibration
// (startDevice) measured it as the device's warm start-up, and with a
// holder stopped past buildWait, a minute more.
func TestBuildWaitIsColdStart(t *testing.T) {
	file, b := cachedProgram(t)
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	// Another process builds the program: it holds the build lock, and
	// stores the binary before it lets go.
	unlock, err := cachedir.Lock(file+".build.lock", 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Error(err)
		}
		unlock()
	}()
	e := open(t, Options{})
	if e.built {
		t.Fatal("built the program from source; want the binary the lock's holder stored")
	}
	if !e.ColdStart() {
		t.Error("ColdStart() = false for a start that waited for another process's build; want true")
	}
}

// firstStart starts the device once in a cache folder of the test's own,
// with this process's memory of self-tests, cache notes and bypassed
// entries forgotten, and returns the file of the program it cached: the
// state the processes started together then meet.
func firstStart(t *testing.T) string {
	t.Helper()
	forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	e := open(t, Options{})
	return cachePath("programs", e.st.key)
}

// TestRejectedEntryProcessesAtOnce: processes that start at once and find
// a cached program whose checksum is valid but which the driver refuses
// (a binary of another driver build under the same key, damaged before it
// was checksummed) build it from source in one of them, under the build
// lock of a cold start, the others loading the binary it stores in the
// entry's place. That path took no lock, and every process compiled the
// program at once.
func TestRejectedEntryProcessesAtOnce(t *testing.T) {
	if testenv.Together(t) {
		openTogether(t)
		return
	}
	file := firstStart(t)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no cached program after a first start: %v", err)
	}
	// The entry's own key, from its second line; the data a binary no
	// driver takes, under a valid checksum.
	lines := strings.SplitN(string(b), "\n", 3)
	if !cacheStore("programs", lines[1], []byte("not a program binary")) {
		t.Fatal("entry not stored")
	}
	builtOnce(t, "TestRejectedEntryProcessesAtOnce", "on a cached program the driver refuses")
}

// TestBuildWaitNotes: a start that finds another process compiling the
// program (its build lock held) says at once that it waits for that
// compile, naming the lock, its holder and the wait's limit, and says it
// compiles (Options.Compiling) only where it then does: where the holder
// stored the binary it says no more; where the holder ended without one it
// compiles; where the holder keeps the lock past buildWait (a process
// stopped) a note says the wait gave up, and it compiles. The CLI said
// "compiling the OpenCL program" before Open, whatever Open then did.
func TestBuildWaitNotes(t *testing.T) {
	file, b := cachedProgram(t)
	lock := file + ".build.lock"
	for _, c := range []struct {
		name     string
		store    bool // the holder stores the binary
		release  bool // the holder ends once the start says it waits; else it holds the lock past buildWait
		compiles bool
		gaveUp   bool
		limit    time.Duration // buildWait
	}{
		{"stored", true, true, false, false, time.Minute},
		{"ended without one", false, true, true, false, time.Minute},
		{"stopped", false, false, true, true, 500 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.Remove(file); err != nil {
				t.Fatal(err)
			}
			unlock, err := cachedir.Lock(lock, 0)
			if err != nil {
				t.Fatal(err)
			}
			// The holder ends once the start has said that it waits,
			// not after a fixed time: a start slowed past that time on
			// a loaded machine found the lock free and said nothing.
			// hold bounds the holding where no note comes (broken code).
			hold := time.Hour
			if c.release {
				hold = 10 * time.Second
			}
			stop, released, waiting := make(chan struct{}), make(chan struct{}), make(chan struct{}, 1)
			go func() {
				defer close(released)
				select {
				case <-waiting:
					if !c.release {
						<-stop
					}
				case <-time.After(hold):
				case <-stop:
				}
				if c.store {
					if err := os.WriteFile(file, b, 0o644); err != nil {
						t.Error(err)
					}
				}
				unlock()
			}()
			defer func() { close(stop); <-released }()
			defer func(w time.Duration) { buildWait = w }(buildWait)
			buildWait = c.limit
			var mu sync.Mutex
			var progress, notes []string
			compiled := 0
			e := open(t, Options{
				Progress: func(s string) {
					mu.Lock()
					progress = append(progress, s)
					mu.Unlock()
					select {
					case waiting <- struct{}{}:
					default:
					}
				},
				Note:      func(s string) { mu.Lock(); notes = append(notes, s); mu.Unlock() },
				Compiling: func(Options) { mu.Lock(); compiled++; mu.Unlock() },
			})
			if e.built != c.compiles {
				t.Errorf("built = %v, want %v", e.built, c.compiles)
			}
			if !e.ColdStart() {
				t.Error("ColdStart() = false after a wait for another process's compile")
			}
			mu.Lock()
			defer mu.Unlock()
			// The lock is held in this process, as an identical device's
			// compile in one OpenMulti holds it: it said "another
			// process's compile ... held by pid" this process's.
			// (opencl_build_wait checks another process's.)
			want := fmt.Sprintf("waiting for this process's compile of the OpenCL program for an identical device, which %s shares (%s is held by pid %d): at most %v, then it is compiled here",
				e.desc.Named(), lock, os.Getpid(), c.limit)
			if len(progress) != 1 || progress[0] != want {
				t.Errorf("progress notes %q, want one:\n%s", progress, want)
			}
			if (compiled > 0) != c.compiles {
				t.Errorf("Compiling called %d times; want it called: %v", compiled, c.compiles)
			}
			gaveUp := 0
			for _, n := range notes {
				if strings.HasPrefix(n, "gave up waiting for the compile of the OpenCL program for "+e.desc.Named()) &&
					strings.HasSuffix(n, ": compiling it here") && strings.Contains(n, lock+" is still held by pid") {
					gaveUp++
				}
			}
			if (gaveUp == 1) != c.gaveUp || gaveUp > 1 {
				t.Errorf("notes %q; want one that the wait gave up: %v", notes, c.gaveUp)
			}
		})
	}
}

// cachedProgram is firstStart's entry, its path and bytes, with the
// engine closed and released (firstStart keeps it open to the test's
// end): a later Open builds or loads the program again.
func cachedProgram(t *testing.T) (file string, b []byte) {
	t.Helper()
	forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	e, err := Open(Options{Device: testDevice(t)})
	if err != nil {
		t.Fatal(err)
	}
	file = cachePath("programs", e.st.key)
	if b, err = os.ReadFile(file); err != nil {
		t.Fatalf("no cached program after a first start: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	waitBackground()
	return file, b
}

// openTogether is a process's part in a test run in processes at once
// (testenv.RunTogether): it starts the device on the shared cache folder
// and prints BUILT where it built the program from source (builtOnce
// counts them).
func openTogether(t *testing.T) {
	t.Helper()
	if e := open(t, Options{}); e.built {
		fmt.Println("BUILT")
	}
}

// TestBuildWaitLoadRefused: a start that waited for another process's
// compile of the program, and then may not load the binary that process
// stored (pocl under a file-size limit the binary's files do not fit in,
// its kernel cache cold), says so: it went on to a build from source, which
// the limit refuses too, and failed with the build's refusal ("pocl cannot
// build the program", raise the limit to 8 MiB), noting that the driver had
// rejected a compiled program. The binary is good, and stays. In a child
// process, under its own limit and a kernel cache of its own.
func TestBuildWaitLoadRefused(t *testing.T) {
	if dir := os.Getenv("GPUSIM_TEST_WAITREFUSED"); dir != "" {
		waitLoadRefusedChild(t, dir)
		return
	}
	file, b := cachedProgram(t)
	if ds, err := Devices(); err != nil || !strings.Contains(ds[testDevice(t)].String(), "pocl") {
		t.Skip("the refusal is pocl's")
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	unlock, err := cachedir.Lock(file+".build.lock", 0)
	if err != nil {
		t.Fatal(err)
	}
	// The holder stores the binary once the child says it waits.
	dir := t.TempDir()
	stored := make(chan struct{})
	go func() {
		defer close(stored)
		defer unlock()
		for t0 := time.Now(); time.Since(t0) < testenv.ChildTimeout; time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(filepath.Join(dir, "waiting")); err == nil {
				break
			}
		}
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Error(err)
		}
	}()
	t.Log(testenv.RunTest(t, "TestBuildWaitLoadRefused", "GPUSIM_TEST_WAITREFUSED="+dir, "POCL_CACHE_DIR="+t.TempDir()))
	<-stored
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the binary another process stored is gone: %v", err)
	}
}

// waitLoadRefusedChild is TestBuildWaitLoadRefused's child: it opens the
// device under ulimit -f 64 KiB, below the binary's largest file (its
// bitcode, 160 kB with pocl 3.1), saying in dir that it waits.
func waitLoadRefusedChild(t *testing.T, dir string) {
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 64 << 10, Max: 64 << 10}); err != nil {
		t.Skipf("setrlimit: %v", err)
	}
	waited := false
	_, err := Open(Options{Device: testDevice(t), Progress: func(s string) {
		if strings.HasPrefix(s, "waiting for another process's compile") && !waited {
			waited = true
			if err := os.WriteFile(filepath.Join(dir, "waiting"), nil, 0o644); err != nil {
				t.Error(err)
			}
		}
	}})
	if !waited {
		t.Fatalf("no wait for the other process's compile (err %v)", err)
	}
	const want = "another process compiled the program while this one waited for it, and pocl cannot load the compiled program from gpusim's cache under the file-size limit"
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, cl.ErrEnvironment) {
		t.Errorf("open: %v\nwant an error matching cl.ErrEnvironment that says:\n%s", err, want)
	}
	if h := cl.HintFor(err); !strings.Contains(h, "in sh, which counts 512-byte blocks; or ulimit -f unlimited) for one run") {
		t.Errorf("hint %q, want the limit the binary's files need", h)
	}
	for _, n := range CacheNotes() {
		if strings.Contains(n, "rejected by the driver") {
			t.Errorf("note %q: the driver rejected nothing", n)
		}
	}
}
