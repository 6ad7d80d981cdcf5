package gpu

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/cachedir"
	"github.com/gpusim/gpusim/internal/quote"
	"github.com/gpusim/gpusim/kernels"
)

// shared is the process-wide state of one device: its OpenCL context and the
// programs built in it, keyed by source and build options. Engines of the
// same device share it, so a program is built once however many engines use
// it, and a second engine opened while the first is alive pays no build; the
// last engine's Close releases the context and every program (reference
// counted under registry.mu), so closed engines leave nothing behind. Builds
// are serialized per device by mu.
type shared struct {
	index int
	desc  DeviceDesc
	dev   *cl.Device
	ctx   *cl.Context
	refs  int // guarded by registry.mu

	mu    sync.Mutex
	progs map[progKey]*cl.Program
	// unsaved holds the disk-cache keys of programs built from source
	// whose binaries saveBinary has not stored yet.
	unsaved map[progKey]string
	// binSums holds the checksums of the binaries of programs built from
	// the disk cache: the self-test's stored passes vouch for one binary.
	binSums map[progKey]string
	// retired are programs discard took out of progs, released with the
	// context (an engine may still hold kernels of them).
	retired []*cl.Program
	// loading holds the functions that remove the loading marks
	// (markLoading) of programs built from cached binaries, and the marks
	// of the first launches of those built from source (markStep), until
	// settle.
	loading map[progKey]func()
	// markKeys are the held marks (liftMark's keys: the entry's path and
	// the mark's kind) of the programs in loading, which focus lifts.
	markKeys map[progKey]string
	// entries are the cache entries of the programs, whose kernels' first
	// launches are marked (firstLaunch);
	// launched holds the kernels of each launched in the process, and
	// launchMarks the functions that remove the marks of first launches
	// under way.
	entries     map[progKey]string
	launched    map[progKey]map[string]bool
	launchMarks map[string]func()
	// building holds the functions that release the build locks
	// (buildShared) of programs built from source, until saveBinary has
	// stored their binaries.
	building map[progKey]func()
	// waited holds the programs whose build waited for another
	// process's (buildShared's waited): their start is a cold one.
	waited map[progKey]bool
}

type progKey struct{ source, options string }

var registry struct {
	mu sync.Mutex
	m  map[int]*shared
}

// acquire returns the shared state of d, creating its context on first use.
// The context is created outside the registry's lock: a GPU's takes 0.1 s
// and more (the driver's own set-up of the device), and OpenMulti's
// devices, opened at once, created theirs one after another. Where another
// open of the device made one meanwhile, that one is taken and this one
// released: a device's engines share one context and its programs. That
// release is bounded (askRelease, answerWait): where the driver does not
// answer it, the start ends with its *NoAnswerError ("... when asked for
// the release of a second context for device 0 (...)"), the call left to
// go on and the reference taken on the other's state kept (the device's
// state is left as it is, as Close leaves it). It waited for ever; then it
// noted that the start went on, whose next bounded call (a queue) counts
// its wait from this call's start (hungCall), long passed, and so all but
// always ended at once with the error of both calls.
func acquire(d device) (*shared, error) {
	if s := join(d.desc.Index); s != nil {
		return s, nil
	}
	cl.LabelDevice(d.dev, d.desc.Named()) // the log of a failed build names it
	// The probe's child asks for one too. Its mark is made and removed
	// here, around the wait, not in the call, which a wait that ends
	// leaves running (withinAnswer).
	probeMark := markProbeSetUp()
	ctx, err := withinAnswer("a context for "+d.desc.Named(), func() (*cl.Context, error) {
		return createContext(d.dev)
	}, releaseContext)
	probeMark()
	if errors.As(err, new(*NoAnswerError)) {
		return nil, err // it names the device
	}
	if err != nil {
		return nil, fmt.Errorf("opencl: create context on %s: %w", d.desc.Named(), err)
	}
	s := &shared{index: d.desc.Index, desc: d.desc, dev: d.dev, ctx: ctx, refs: 1, progs: map[progKey]*cl.Program{}}
	if had := register(s); had != nil {
		err := askRelease("the release of a second context for "+d.desc.Named(), func() error { return contextRelease(ctx) })
		if errors.As(err, new(*NoAnswerError)) {
			return nil, err
		}
		return had, nil
	}
	return s, nil
}

// contextRelease is (*cl.Context).Release for the context a lost race of
// acquire made; tests make it hang.
var contextRelease = (*cl.Context).Release

// join takes a reference on the shared state of device index, or returns
// nil where it has none.
func join(index int) *shared {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if s := registry.m[index]; s != nil {
		s.refs++
		return s
	}
	return nil
}

// register adds s, made with its device's context, unless the device has
// shared state already: then it takes a reference on that, which it
// returns.
func register(s *shared) (had *shared) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if had := registry.m[s.index]; had != nil {
		had.refs++
		return had
	}
	if registry.m == nil {
		registry.m = map[int]*shared{}
	}
	registry.m[s.index] = s
	return nil
}

// createContext is cl.CreateContext; tests see devices' creations overlap.
var createContext = cl.CreateContext

// createQueue is cl.CreateQueue; tests make it hang.
var createQueue = cl.CreateQueue

// releaseContext drops a context the driver made past answerWait.
func releaseContext(c *cl.Context) { _ = c.Release() }

// release drops one reference; the last releases the programs and context,
// outside the registry's lock: a driver that hung releasing them (Close's
// wait ends, the call goes on) held it, and the device's next open (bench's
// next measurement, auto's) waited for ever, unbounded and unnamed, in
// join. The driver's calls are not bounded: tests release with it what
// they made; gpusim's own releases are bounded (releaseWithin).
func (s *shared) release() {
	if s.drop() {
		s.free(func(_ string, call func() error) error { return call() })
	}
}

// releaseWithin is release with the last reference's release of the
// programs and of the context each bounded (askRelease, answerWait): a
// *NoAnswerError asking for "the release of the programs for device 0
// (...)" or "the release of the context for device 0 (...)", and the call
// left to go on. Both were one wait, named the release of the engine's
// queue and kernels (Close's).
func (s *shared) releaseWithin() error {
	if !s.drop() {
		return nil
	}
	return s.free(askRelease)
}

// drop drops one reference and says whether it was the last: then s is
// out of the registry, and free releases what it holds.
func (s *shared) drop() (last bool) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if s.refs--; s.refs > 0 {
		return false
	}
	delete(registry.m, s.index)
	return true
}

// free removes s's marks in the disk cache and releases its programs, then
// its context, each through ask (what it asks the driver for, the call):
// ask's error, the driver's own errors ignored.
func (s *shared) free(ask func(what string, call func() error) error) error {
	s.mu.Lock()
	progs := slices.Concat(slices.Collect(maps.Values(s.progs)), s.retired)
	clear(s.progs)
	s.retired = nil
	s.unmarkLocked()
	s.mu.Unlock()
	err := ask("the release of the programs for "+s.desc.Named(), func() error {
		for _, p := range progs {
			p.Release()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return ask("the release of the context for "+s.desc.Named(), func() error {
		s.ctx.Release()
		return nil
	})
}

// unmark removes the marks of s's programs in the disk cache (loading,
// build locks, first launches) and releases nothing of the driver's: Open's
// end where the driver did not answer a call (*NoAnswerError), whose
// engine is not released. The mark of a load left behind made the next
// start discard a good binary and compile again.
func (s *shared) unmark() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unmarkLocked()
}

func (s *shared) unmarkLocked() {
	for k := range s.loading {
		s.settleLocked(k)
	}
	for k := range s.building {
		s.endBuild(k)
	}
	for kernel, f := range s.launchMarks {
		f()
		delete(s.launchMarks, kernel)
	}
}

// program returns the program of source built with options (the engine's
// program, or the self-test's: Engine.selfTestProgram), building it on first use; took is the build's host
// time, zero on a hit of the process's cache. Failed builds are not cached.
func (s *shared) program(source, options string, h buildHooks) (p *cl.Program, took time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := progKey{source, options}
	if p := s.progs[k]; p != nil {
		return p, 0, nil
	}
	t0 := time.Now()
	key := programKey(s.desc, options, source)
	h.buildMark = s.buildMarkPath()
	back := s.focusLocked(k) // this build or load is not the others'
	p, binSum, done, kept, unlock, waited, err := buildShared(s.ctx, s.dev, key, source, options, h)
	back()
	if err != nil {
		return nil, 0, withDriverEnv(err)
	}
	if waited {
		if s.waited == nil {
			s.waited = map[progKey]bool{}
		}
		s.waited[k] = true
	}
	if unlock != nil {
		if s.building == nil {
			s.building = map[progKey]func(){}
		}
		s.building[k] = unlock
	}
	if done != nil {
		if s.loading == nil {
			s.loading = map[progKey]func(){}
			s.entries = map[progKey]string{}
		}
		s.loading[k] = done
		s.entries[k] = cachePath("programs", key)
		if s.markKeys == nil {
			s.markKeys = map[progKey]string{}
		}
		s.markKeys[k] = s.entries[k] + loadingSuffix
		if binSum == "" {
			s.markKeys[k] = s.entries[k] + launchingSuffix // buildSource's
		}
	}
	took = time.Since(t0)
	s.progs[k] = p
	if binSum == "" && !kept {
		if s.unsaved == nil {
			s.unsaved = map[progKey]string{}
		}
		s.unsaved[k] = key
	} else {
		if s.binSums == nil {
			s.binSums = map[progKey]string{}
		}
		s.binSums[k] = binSum
	}
	return p, took, nil
}

// settle removes the loading mark of the program of source and options, if
// any: Open has created its kernels and run their first launches.
func (s *shared) settle(source, options string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked(progKey{source, options})
}

func (s *shared) settleLocked(k progKey) {
	if done := s.loading[k]; done != nil {
		done()
		delete(s.loading, k)
		delete(s.markKeys, k)
	}
}

// focus lifts the marks of the programs of s other than the one of source
// and options (liftMark) until back is called: the driver is then asked
// for that program's build, load or first launches, which are not the
// others'. Their marks covered the whole of Open, so that a crash in the
// self-test's program's build or checks made the next start discard the
// engine's good cached program too (or refuse it, built from source), and
// one in the engine's first launches the self-test's.
func (s *shared) focus(source, options string) (back func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.focusLocked(progKey{source, options})
}

func (s *shared) focusLocked(k progKey) (back func()) {
	var backs []func()
	for o, key := range s.markKeys {
		if o != k {
			backs = append(backs, liftMark(key))
		}
	}
	return func() {
		for _, b := range backs {
			b()
		}
	}
}

// waitedBuild says whether the build of the program of source and options
// waited for another process's build of it (buildShared).
func (s *shared) waitedBuild(source, options string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waited[progKey{source, options}]
}

// binarySum is the checksum of the cached binary the program of source and
// options was built from, or "" when it was built from source.
func (s *shared) binarySum(source, options string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.binSums[progKey{source, options}]
}

// discard drops the program of source and options, built from the disk
// cache's binary, which failed (why says how: "failed the self-test check
// normals/sample", "did not start (...)"): from the
// process, and from the disk cache, so that the next build compiles the
// source. An entry that cannot be removed (an immutable file, a folder the
// user cannot write) is bypassed instead: the process never loads it again
// and builds the source, and a note says how to remove it, since every
// later process would find it, fail the check and build the source again.
func (s *shared) discard(source, options, why string) {
	s.forget(source, options)
	discardEntry(programKey(s.desc, options, source), why)
}

// forget drops the program of source and options, built from the disk
// cache's binary, from the process, leaving the entry: Open builds the
// source next, to see whether the binary was at fault.
func (s *shared) forget(source, options string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := progKey{source, options}
	if p := s.progs[k]; p != nil {
		s.retired = append(s.retired, p)
		delete(s.progs, k)
	}
	delete(s.binSums, k)
	delete(s.entries, k)
	delete(s.launched, k)
	s.settleLocked(k)
}

// firstLaunch marks the cache entry of the program of k as loading again
// when the program was built from a cached binary (as launching, where it
// was built from source: markStep) and its kernel is
// launched for the first time in the process after Open's launches, and
// returns the func that removes the mark once that launch has ended (it
// does nothing otherwise). A driver compiles a kernel's machine code at its
// first launch (pocl), from what the binary holds: a binary that crashes
// it there, in a kernel Open did not launch (weather_daily, the self-test's
// when a stored pass spared them), would otherwise crash every start that
// launches that kernel. Open's own launches are under Open's mark.
//
// A launch whose run has ended (ctx done) is not marked: the run's
// runUntil returned at ctx's end and removed its marks (endLaunchMarks,
// under s.mu as this is), and its launches go on in the background, where
// a daily job's reduce_daily came next; a mark made then outlived the
// process, which ended without waiting for it (selftest stopped by Ctrl-C
// in a cold start), and the next start took it for a death in the driver.
func (s *shared) firstLaunch(ctx context.Context, k progKey, kernel string) (done func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := s.entries[k]
	if path == "" || s.launched[k][kernel] || ctx.Err() != nil {
		return func() {}
	}
	if s.launched == nil {
		s.launched = map[progKey]map[string]bool{}
	}
	if s.launched[k] == nil {
		s.launched[k] = map[string]bool{}
	}
	s.launched[k][kernel] = true
	if s.loading[k] != nil {
		return func() {} // Open's mark is on
	}
	// Built from source (no binary's checksum), a crash there is the
	// launch's (stepmark.go), else the cached binary's.
	suffix := loadingSuffix
	if s.binSums[k] == "" {
		suffix = launchingSuffix
	}
	unmark, err := markAs(path, suffix)
	if err != nil {
		return func() {}
	}
	if s.launchMarks == nil {
		s.launchMarks = map[string]func(){}
	}
	s.launchMarks[kernel] = unmark
	if launchMarked != nil {
		launchMarked(kernel)
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if f := s.launchMarks[kernel]; f != nil {
			f()
			delete(s.launchMarks, kernel)
		}
	}
}

// launchMarked, where set (tests), is told the kernel of each first
// launch that firstLaunch marks.
var launchMarked func(kernel string)

// endLaunchMarks removes the marks of first launches still under way, and
// the loading marks of programs whose first launches Open's checks had not
// ended: a run that returned at its cancel (runUntil) leaves its launches
// to end in the background, and the process may end first, normally,
// leaving a mark that the next start would take for a death in the driver
// (a selftest stopped in its checks on a program built from source left
// the program's launching mark, which its checks' buffers lift and make
// again).
func (s *shared) endLaunchMarks() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.loading {
		s.settleLocked(k)
	}
	for kernel, f := range s.launchMarks {
		f()
		delete(s.launchMarks, kernel)
	}
}

// discardEntry removes the program entry of key, whose binary failed (why),
// from the disk cache, or bypasses it where it cannot be removed.
func discardEntry(key, why string) {
	if err := cacheRemove("programs", key); err != nil {
		cacheBypass("programs", key)
		path := cachePath("programs", key)
		cacheNotes.Add("cache: the compiled program from the cache %s: the cache entry is bad, "+
			"and could not be removed (%v): bypassed, built from source instead; until it is removed every process loads it, "+
			"fails the check and builds the program again: rm -f %s (if that is refused, chattr -i it, or fix the permissions "+
			"of its folder, first), or set %s to another folder", why, err, quote.Shell(path), EnvCacheDir)
		return
	}
	cacheNotes.Add("cache: the compiled program from the cache %s: discarded, rebuilt from source", why)
}

// saveBinary stores the binary of a program built from source in the disk
// cache, and returns its checksum ("" when it stores none). Open calls it
// last, after the self-test's and the warm-up's first launches: drivers that
// compile kernels at their first launch (pocl) then include the machine
// code in the binary, which spares a warm start that compilation.
func (s *shared) saveBinary(source, options string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := progKey{source, options}
	defer s.endBuild(k)
	key, ok := s.unsaved[k]
	if !ok || s.progs[k] == nil {
		return ""
	}
	delete(s.unsaved, k)
	// Not bounded: a GPU driver may write out a large program.
	handing := waiting("hand over the compiled program for " + s.desc.Named())
	bin, err := s.progs[k].Binary()
	handing()
	if err != nil {
		cacheNotes.Add("cache: the driver gives no program binary: %v", err)
		return ""
	}
	if !cacheStore("programs", key, bin) {
		return ""
	}
	return entrySum(bin)
}

// unsave drops the program of source and options from those saveBinary
// would store, and releases its build lock: its binary failed a check.
func (s *shared) unsave(source, options string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := progKey{source, options}
	delete(s.unsaved, k)
	s.endBuild(k)
}

// buildCached builds the program from the binary in the disk cache under
// key when there is one the driver accepts (binSum is the binary's
// checksum, and done removes the entry's loading mark, which Open's settle
// calls), else from source (binSum "", done nil; buildShared's done there
// removes the mark of the first launches: markStep). A step's mark of a
// process that ended (earlierCrash) is an *EarlierCrashError, the driver
// not asked. The binary's entry is
// checksummed (cache.go) and a binary the driver rejects is rebuilt from
// source, so a corrupt or stale entry is never used; one that builds but
// fails the self-test is discarded and rebuilt too (Open), and so is one
// that a process was loading when it ended (crashedLoading). kept says the
// entry is good and stays, though it was not loaded (no loading mark could
// be made): the program built from source is not stored over it, which in
// a read-only cache gave a second note, that the cache was not written,
// beside the one that says why the entry is not loaded. It is buildShared
// with no notes, its build lock (where it took one) released at once: the
// one build of a program there is, which tests call without an Engine.
func buildCached(ctx *cl.Context, dev *cl.Device, key, source, options string) (p *cl.Program, binSum string, done func(), kept bool, err error) {
	p, binSum, done, kept, unlock, _, err := buildShared(ctx, dev, key, source, options, buildHooks{})
	if unlock != nil {
		unlock()
	}
	if binSum == "" && done != nil {
		done() // the mark of its first launches (markStep): none here
		done = nil
	}
	return p, binSum, done, kept, err
}

// endBuild releases the build lock of the program of k, if this process
// holds it (buildShared); s.mu is held.
func (s *shared) endBuild(k progKey) {
	if unlock := s.building[k]; unlock != nil {
		unlock()
		delete(s.building, k)
	}
}

// buildHooks are the notes of a build (Options.Note, Options.Compiling)
// and the device it is for (DeviceDesc.Named); either func may be nil.
type buildHooks struct {
	device         string
	progress, note func(string)
	compiling      func()
	// buildMark is where a build from source is marked (markStep): the
	// device's (shared.buildMarkPath), which every program of the device
	// and driver finds, or "" for the program's own entry.
	buildMark string
}

// progressf says a wait under way to h.progress (Options.Progress).
func (h buildHooks) progressf(format string, args ...any) {
	if h.progress != nil {
		h.progress(fmt.Sprintf(format, args...))
	}
}

// notef says a wait's end past its limit to h.note (Options.Note).
func (h buildHooks) notef(format string, args ...any) {
	if h.note != nil {
		h.note(fmt.Sprintf(format, args...))
	}
}

// buildShared is buildCached, where a program the cache does not hold
// (missing, corrupt or stale, discarded after a crash, or a binary the
// driver refuses though its checksum is valid) is built by one process
// among those that share the cache folder: the build takes the lock of the
// entry's build (flock on ENTRY.build.lock, cachedir.Lock), held until
// saveBinary has stored the binary (unlock, which the caller keeps; nil
// where the program was loaded or no lock was taken), and a process that
// waited for it reads the entry again and loads the binary the holder
// stored, its note on the entry it found corrupt dropped. Processes
// started at once with an empty cache, or on a corrupt or refused entry
// (a Slurm array's tasks on one node, pods on one volume), each compiled
// the program, seconds each on the same cores. A waiter says so at once
// (h.progress, naming the lock and its holder); a holder past buildWait (a
// process stopped, a compile stuck in the driver) is not waited for: a
// note says so and the build goes ahead, as it did before; one that ends,
// however it ends, releases the lock. h.compiling is called as the source
// is compiled, after any wait. waited says the lock was another's when
// asked for: the build's time (took) then holds the wait for the other's
// compile too. A binary another process stored meanwhile that this one
// may not load (cl.ErrEnvironment: pocl under a file-size limit its files
// do not fit in) is an error that says it waited for it, the binary kept:
// it was noted as the driver's rejection, and the error was the build
// from source's refusal (raise the limit to 8 MiB, where the binary's files would fit in far less).
func buildShared(ctx *cl.Context, dev *cl.Device, key, source, options string, h buildHooks) (p *cl.Program, binSum string, done func(), kept bool, unlock func(), waited bool, err error) {
	path := cachePath("programs", key)
	err = earlierCrash(path, h.buildMark)
	sayKilled(h.note) // before the driver is asked again: a kill may come again
	if err != nil {
		return nil, "", nil, false, nil, false, err
	}
	bin, binSum, done, kept := markedEntryNoted(key, h)
	// rejected is the driver's refusal of the cached binary of checksum
	// refused, which the build from source replaces.
	var rejected error
	var refused string
	if bin != nil {
		p, err := loadProgram(ctx, dev, bin, options, h.device)
		if err == nil {
			countHit(options)
			return p, binSum, done, false, nil, false, nil
		}
		done()
		if errors.Is(err, cl.ErrEnvironment) {
			// pocl without a writable kernel cache, or under a
			// file-size limit its files do not fit in: the binary is
			// good, and stays; a build from source is refused too.
			return nil, "", nil, false, nil, false, err
		}
		rejected, refused = err, binSum
	}
	if !kept && path != "" && !isBypassed("programs", key) && !isSkipped("programs", key) &&
		cachedir.MkdirAll(filepath.Dir(path)) == nil {
		lock := path + ".build.lock"
		u, lerr := cachedir.Lock(lock, 0)
		if waited = errors.Is(lerr, cachedir.ErrLockBusy); waited {
			holder := cachedir.Holder(lock)
			if holder == fmt.Sprintf("pid %d", os.Getpid()) {
				// Two identical devices of one OpenMulti share the
				// program's key: the other device's compile holds it.
				h.progressf("waiting for this process's compile of the OpenCL program for an identical device, which %s shares (%s is held%s): at most %v, then it is compiled here", h.device, lock, cachedir.ByHolder(holder), buildWait)
			} else {
				h.progressf("waiting for another process's compile of the OpenCL program for %s (%s is held%s): at most %v, then it is compiled here", h.device, lock, cachedir.ByHolder(holder), buildWait)
			}
			u, lerr = cachedir.Lock(lock, buildWait)
			if errors.Is(lerr, cachedir.ErrLockBusy) {
				h.notef("gave up waiting for the compile of the OpenCL program for %s after %v (%s is still held%s: a process stopped, or a compile stuck in the driver): compiling it here", h.device, buildWait, lock, cachedir.ByHolder(holder))
			}
		}
		if lerr == nil {
			unlock = u
		}
		var again []byte
		var againSum string
		if again, againSum, done, kept = markedEntryNoted(key, h); again != nil && againSum == refused {
			done() // the binary the driver refused: compiled here
		} else if again != nil {
			corrupt := fmt.Sprintf("cache: %s is corrupt or stale", path)
			cacheNotes.Drop(func(n string) bool { return strings.HasPrefix(n, corrupt) })
			p, err := loadProgram(ctx, dev, again, options, h.device)
			if err == nil {
				countHit(options)
				if unlock != nil {
					unlock()
				}
				if rejected != nil {
					cacheNotes.Add("cache: a compiled program was rejected by the driver (%v): loaded the one another process rebuilt in its place", rejected)
				}
				return p, againSum, done, false, nil, waited, nil
			}
			done()
			if unlock != nil {
				unlock()
				unlock = nil
			}
			if errors.Is(err, cl.ErrEnvironment) {
				// Refused here, as above, not rejected (cl.ErrEnvironment).
				return nil, "", nil, false, nil, waited, fmt.Errorf("another process compiled the program while this one waited for it, and %w", err)
			}
			// The driver takes none: each process compiles.
			rejected = err
		}
	}
	if rejected != nil && path != "" {
		rebuildCauses.Store(path, "the driver rejected its cached one")
	}
	p, done, err = buildSource(ctx, dev, path, source, options, h)
	if rejected != nil {
		// Said once the source's build is known: where it fails too
		// (pocl rejects both without a writable kernel cache), the
		// note said "rebuilt from source" beside the build's error.
		if err != nil {
			cacheNotes.Add("cache: a compiled program was rejected by the driver (%v), and the build from source failed too", rejected)
		} else {
			cacheNotes.Add("cache: a compiled program was rejected by the driver (%v): rebuilt from source", rejected)
		}
	}
	if unlock != nil && (err != nil || kept) {
		unlock()
		unlock = nil
	}
	return p, "", done, kept, unlock, waited, err
}

// buildSource is buildShared's build from source, for the program whose
// cache entry is at path ("": none), said to h.compiling first, under the
// mark of a build (markStep); done removes the mark of its first
// launches, made once it is built, which Open's settle calls.
func buildSource(ctx *cl.Context, dev *cl.Device, path, source, options string, h buildHooks) (p *cl.Program, done func(), err error) {
	if h.compiling != nil {
		h.compiling()
	}
	mark := h.buildMark
	if mark == "" || path == "" {
		mark = path
	}
	building, marked := waiting("build the program for "+h.device), sync.OnceFunc(markStep(mark, buildingSuffix))
	// The mark is lifted once the driver has answered, before a failed
	// build's program is released: a crash in that release is not the
	// build's (cl.BuildProgramThen).
	p, err = cl.BuildProgramThen(ctx, dev, source, options, marked)
	marked()
	building()
	if err != nil {
		return p, nil, err
	}
	return p, markStep(path, launchingSuffix), nil
}

// loadProgram is cl.BuildProgramFromBinary of a program from gpusim's
// cache for device (its label), under interrupt.Waiting: a driver that
// hangs loading it is named at a stop.
func loadProgram(ctx *cl.Context, dev *cl.Device, bin []byte, options, device string) (*cl.Program, error) {
	defer waiting("load the program for " + device + " from gpusim's cache")()
	return cl.BuildProgramFromBinary(ctx, dev, bin, options)
}

// buildWait bounds buildShared's wait for another process's build: pocl
// compiles gpusim's program in 3 to 4.5 s with its own cache cold (on the
// 2-core development VM), a GPU's driver in less. A var
// for tests.
var buildWait = time.Minute

// markedEntry is buildCached's binary under key (with its checksum),
// marked as loading (done removes the mark), or nil: no entry, one a
// process was loading when it ended (discarded or bypassed, with a note),
// or one no mark can be made for (kept, with a note). The entry is read,
// checked for a crash and marked as one step among this process's loads
// of the entry (entryLock): OpenMulti's devices of one model share an entry and load
// it at once, and one that read the entry while another found a crash's
// mark, removed it and discarded the entry, then found no crash and loaded
// the binary that may crash the driver. It is one step among processes
// too (lockEntry), for the same reason: processes started at once after a
// crash (a Slurm array's tasks on one node) each read the entry, the first
// discarded it, and the others loaded it.
func markedEntry(key string) (bin []byte, binSum string, done func(), kept bool) {
	return markedEntryNoted(key, buildHooks{})
}

// markedEntryNoted is markedEntry, whose wait for another process's lock
// on the entry (lockEntry) is said to h.note past cachedir.NoteAfter.
func markedEntryNoted(key string, h buildHooks) (bin []byte, binSum string, done func(), kept bool) {
	mu := entryLock(key)
	mu.Lock()
	defer mu.Unlock()
	if path := cachePath("programs", key); path != "" {
		if _, err := os.Lstat(path); err == nil {
			defer lockEntry(path, h)()
		}
	}
	bin, binSum = cacheLoadSum("programs", key)
	if bin == nil {
		return nil, "", nil, false
	}
	if entryRead != nil {
		entryRead()
	}
	path := cachePath("programs", key)
	if who, marks := crashedLoading(path); who != "" {
		if err := cacheRemove("programs", key); err != nil {
			cacheBypass("programs", key)
			fix := "remove it: rm -f " + quote.Shell(path)
			if len(marks) > 0 {
				// The entry is in a folder this user may not change; the
				// mark that bypasses it is in one of the user's own.
				fix = fmt.Sprintf("every start bypasses it while the crash's mark %s is there: remove the entry (rm -f %s) if the program crashed the driver, or the mark (rm -f %s) if the process ended for another reason (killed; pocl without a writable kernel cache)",
					strings.Join(marks, " "), quote.Shell(path), quote.ShellWords(marks))
			}
			cacheNotes.Add("%s", crashNote(who, fmt.Sprintf("could not be removed (%v): bypassed, built from source instead; %s", err, fix)))
		} else {
			discardCrashed(path, who)
		}
		return nil, "", nil, false
	}
	done, err := markLoading(path)
	if err != nil {
		// Unmarked, a binary that crashes the driver would crash
		// every start (loading.go).
		cacheNotes.Add("cache: the compiled programs in the cache are not loaded, as %v: every start builds them from source; set TMPDIR or XDG_RUNTIME_DIR to a folder this user can write, or %s to a writable cache folder", err, EnvCacheDir)
		return nil, "", nil, true
	}
	return bin, binSum, done, false
}

// discardCrashed says that the entry at path, which who (crashedLoading)
// was loading as it ended, was discarded, and discards the other entries
// beside it that who was loading then (a start loads the engine's program
// and the self-test's; OpenMulti's devices theirs), so that the start
// says it once, in one note that names them all: each was said in a note
// of its own as its program was opened, the compile's note for the first
// and the cache's for the next. The note is the cache's (cacheNotes), and
// each entry's RebuildCause names them, which the compile's note says in
// its place (RebuildSaid drops the cache's).
func discardCrashed(path, who string) {
	others := discardBeside(path, who)
	note := crashNote(who, "discarded, rebuilt from source")
	cause := fmt.Sprintf("its cached one was discarded, as %s ended while it loaded it or ran its first launch, which may have crashed it", who)
	if len(others) > 0 {
		list := strings.Join(others, ", ")
		note = fmt.Sprintf("cache: %s ended while it loaded compiled programs from the cache or ran their first launches, which may have crashed it: discarded %s and %s, rebuilt from source", who, path, list)
		cause = fmt.Sprintf("its cached one was discarded, and with it %s, as %s ended while it loaded them or ran their first launches, which may have crashed it", list, who)
	}
	cacheNotes.Add("%s", note)
	for _, p := range append([]string{path}, others...) {
		crashNotes.Store(p, note)
		rebuildCauses.Store(p, cause)
	}
}

// discardBeside removes the entries beside path (in its folder) whose
// loading marks are who's (deadMark), with the marks, and returns their
// paths; one that cannot be removed is left, to be bypassed with a note of
// its own as it is opened.
func discardBeside(path, who string) (gone []string) {
	dir := filepath.Dir(path)
	// Read under held's lock, as earlierCrashAt reads: a mark this process
	// released after the reading was not held when asked about.
	held.Lock()
	defer held.Unlock()
	ents, _ := os.ReadDir(dir)
	for _, ent := range ents {
		name, rest, ok := strings.Cut(ent.Name(), loadingSuffix)
		entry := filepath.Join(dir, name)
		if !ok || entry == path {
			continue
		}
		info, err := ent.Info()
		if err != nil {
			continue
		}
		crashed := readEvidence(filepath.Join(dir, ent.Name()), info) == crashedSure
		if w, dead := deadMark(rest, info.ModTime(), held.m[entry+loadingSuffix] != nil, crashed); !dead || w != who {
			continue
		}
		if st, err := os.Stat(entry); err != nil || info.ModTime().Before(st.ModTime()) {
			continue // no entry, or one written since (crashedIn's stale mark)
		}
		if err := removeFile(entry); err != nil {
			continue
		}
		os.Remove(filepath.Join(dir, ent.Name()))
		if !slices.Contains(gone, entry) {
			gone = append(gone, entry)
		}
	}
	return gone
}

// rebuildCauses holds, by path, why this process compiles a program whose
// cache entry is there (RebuildCause).
var rebuildCauses sync.Map

// crashNotes holds, by path, the cache's note of an entry discarded after
// a crash (crashNote), which RebuildSaid drops: the engine's compile note
// says it, and the discard was said twice.
var crashNotes sync.Map

// RebuildCause says why this process compiles the program whose cache entry
// is at path (ProgramFile) though the entry is there, or "": it discarded
// it as one a process crashed loading, found it corrupt or stale, or the
// driver rejected its binary. The engine's note then says the compile is a
// rebuild, not "a first start there", and says so as it starts: a corrupt
// entry's rebuild took 6 s with no word until the cache's note at the end.
func RebuildCause(path string) string {
	if path == "" {
		return ""
	}
	c, _ := rebuildCauses.Load(path)
	s, _ := c.(string)
	return s
}

// entryLock is the lock that makes markedEntry one step among the
// process's loads of the entry of key: one an entry, so that the devices
// of other models read their entries at once.
func entryLock(key string) *sync.Mutex {
	mu, _ := entryLocks.LoadOrStore(key, new(sync.Mutex))
	return mu.(*sync.Mutex)
}

// entryLocks are entryLock's, by key: one a program the process built.
var entryLocks sync.Map

// entryRead, when set, is called as markedEntry has read an entry (for
// tests: a load that waits there for another's).
var entryRead func()

// binaryHits counts the engines' programs built from cached binaries, and
// selfTestHits the self-test's programs (for tests).
var binaryHits, selfTestHits atomic.Int64

// countHit counts a program of options built from a cached binary.
func countHit(options string) {
	if slices.Contains(strings.Fields(options), "-DSELFTEST") {
		selfTestHits.Add(1)
		return
	}
	binaryHits.Add(1)
}

// programKey identifies a compiled program: the platform, device, driver,
// build options, source and the drivers' settings in the environment
// (DriverEnv). The self-test's passes use the same key.
func programKey(d DeviceDesc, options, source string) string {
	h := sha256.New()
	parts := []string{cacheFormat, d.PlatformName, d.PlatformVersion, d.Name, d.Vendor, d.DriverVersion, d.Version, options, source}
	if env := DriverEnv(); env != "" {
		// Only where set: every key without them stays as it was.
		parts = append(parts, env)
	}
	for _, s := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// buildMarkPath is where a build from source on s's device is marked
// (markStep, buildHooks.buildMark): a name in the programs folder keyed
// by the device and its driver (deviceKey) as a program's entry is by its
// program too, or "" with the cache off. A driver that crashed compiling
// one of gpusim's programs (the engine's, with or without the daily
// kernels, the self-test's, which is the engine's source and three
// kernels more) is not asked to compile another on that device and
// driver version: the programs share most of their source and the
// driver's compiler, and each crashed in turn, where the hint's rm -f
// had named one program's mark.
func (s *shared) buildMarkPath() string {
	return cachePath("programs", deviceKey(s.desc))
}

// deviceKey is programKey less the program: the platform, device, driver
// and the drivers' settings in the environment, and a tag that keeps it
// from any program's key.
func deviceKey(d DeviceDesc) string {
	return programKey(d, "\x00device", "")
}

// source is the program source the engine's init builds: its kernels
// (weather, weather_daily, reduce_daily). The self-test's program is built
// from it too (selfTestProgram).
func (e *Engine) source() string {
	if e.opts.source != "" {
		return e.opts.source
	}
	return kernels.Weather
}
