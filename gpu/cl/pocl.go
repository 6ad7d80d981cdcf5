package cl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gpusim/gpusim/internal/cachedir"
	"github.com/gpusim/gpusim/internal/diskfree"
)

// pocl keeps compiled kernels in a cache directory that it must be able to
// write. It picks the directory like this (pocl 3.1, lib/CL/pocl_cache.c,
// pocl_cache_init_topdir):
//
//	$POCL_CACHE_DIR when set, even to ""
//	else $XDG_CACHE_HOME/pocl/kcache when XDG_CACHE_HOME is not empty
//	else $HOME/.cache/pocl/kcache when HOME is set
//	else /tmp/pocl/kcache
//
// ("uncached" for "kcache" under POCL_KERNEL_CACHE=0). An empty
// POCL_CACHE_DIR fails an assert() there and aborts the whole process; a
// directory it cannot create makes pocl report no device; one it cannot
// write fails every clBuildProgram with an empty log.

const envPoclCacheDir = "POCL_CACHE_DIR"

const poclPlatform = "Portable Computing Language"

const poclCacheHint = "set POCL_CACHE_DIR to a writable directory (mkdir -p DIR && export POCL_CACHE_DIR=DIR); " +
	"pocl keeps compiled kernels there"

// poclCacheDir returns the directory pocl would use as its kernel cache.
func poclCacheDir() string {
	if d, ok := os.LookupEnv(envPoclCacheDir); ok {
		return d
	}
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, poclCacheSub())
	}
	if h, ok := os.LookupEnv("HOME"); ok {
		return filepath.Join(h, ".cache", poclCacheSub())
	}
	return filepath.Join("/tmp", poclCacheSub())
}

// poclCacheSub is pocl's kernel cache below a user cache folder.
func poclCacheSub() string {
	if v, ok := os.LookupEnv("POCL_KERNEL_CACHE"); ok && (v == "0" || strings.EqualFold(v, "false")) {
		return "pocl/uncached"
	}
	return "pocl/kcache"
}

// poclAborts returns the error that stands in for loading OpenCL when pocl
// would abort the process, or nil. It is checked before any library is
// opened, because no recover() survives an abort() in C.
func poclAborts() error {
	if d, ok := os.LookupEnv(envPoclCacheDir); !ok || d != "" || !poclInstalled() {
		return nil
	}
	return &UnavailableError{Kind: ErrEnvironment,
		Cause: "OpenCL not loaded: POCL_CACHE_DIR is set but empty, which makes pocl abort the process",
		Hint:  "unset POCL_CACHE_DIR or " + poclCacheHint + "; " + CPUEnginesRun}
}

// poclRedirectName names the kernel cache gpusim gives pocl where the one
// pocl would pick cannot be written or is a relative path:
// gpusim-pocl-UID, a folder of this user's alone (cachedir.Private).
const poclRedirectName = "gpusim-pocl"

// poclCacheSetup settles pocl's kernel cache before a driver is loaded
// (pocl reads POCL_CACHE_DIR as it starts), returning the note for
// LoadNotes, if any. Where POCL_CACHE_DIR is set it is the user's choice, and is
// checked where a program is built (poclCacheShort). Otherwise, where the
// folder pocl would pick (poclCacheDir) is a relative path (XDG_CACHE_HOME
// or HOME relative: pocl made the folder in the working folder, which the
// XDG Base Directory specification says to ignore, as gpusim's own cache
// does) or cannot be written (a read-only home, a cache folder shared
// read-only), POCL_CACHE_DIR is set for this process and its children to
// the first folder that can: $HOME/.cache/pocl/kcache for a relative
// XDG_CACHE_HOME, else gpusim-pocl-UID (cachedir.Private). pocl writes its
// kernel cache both to build a program and at a kernel's first launch, even
// of a program loaded from gpusim's cache, and there pocl 3.1 ends the
// process where it cannot ("Final linking of kernel ... failed", SIGABRT):
// `gpusim run --daily` on a cache filled by an earlier run and since made
// read-only exited 134. In gpusim-pocl-UID, set here or by the gpusim that
// started this process, it removes the empty files pocl leaves there
// (sweepPoclLeftovers).
func poclCacheSetup() []string {
	if runtime.GOOS == "windows" || !poclInstalled() {
		return nil
	}
	if d, ok := os.LookupEnv(envPoclCacheDir); ok {
		if isPoclRedirect(d) {
			sweepPoclLeftovers(d, time.Now()) // a gpusim that started this one chose it
		}
		return nil
	}
	dir := poclCacheDir()
	why := ""
	switch {
	case !filepath.IsAbs(dir):
		name := "HOME"
		if os.Getenv("XDG_CACHE_HOME") != "" {
			name = "XDG_CACHE_HOME"
		}
		why = fmt.Sprintf("%s=%s is not an absolute path", name, os.Getenv(name))
		if os.Getenv(name) == "" {
			why = name + " is empty"
		}
	default:
		err := writableSize(dir, 0)
		if err == nil {
			return nil
		}
		why = fmt.Sprintf("pocl cannot write its kernel cache %s (%v)", dir, err)
	}
	var tried []string
	if h := os.Getenv("HOME"); filepath.IsAbs(h) && !filepath.IsAbs(dir) {
		d := filepath.Join(h, ".cache", poclCacheSub())
		err := writableSize(d, 0)
		if err == nil {
			os.Setenv(envPoclCacheDir, d)
			return []string{fmt.Sprintf("OpenCL: %s: pocl keeps compiled kernels in %s (POCL_CACHE_DIR chooses)", why, d)}
		}
		tried = append(tried, fmt.Sprintf("%s: %v", d, err))
	}
	d, err := cachedir.Private(poclRedirectName, true)
	if err == nil {
		err = writableSize(d, 0)
	}
	if err != nil {
		// No note: the error of every pocl build says why
		// (poclCacheShort), where a note went unsaid beside run's error.
		tried = append(tried, err.Error())
		poclNoStandIn.Store(fmt.Sprintf("no folder of this user's alone could stand in for it (%s)", strings.Join(tried, "; ")))
		return nil
	}
	os.Setenv(envPoclCacheDir, d)
	sweepPoclLeftovers(d, time.Now())
	return []string{fmt.Sprintf("OpenCL: %s: pocl keeps compiled kernels in %s instead (POCL_CACHE_DIR chooses)", why, d)}
}

// isPoclRedirect says whether dir is the kernel cache gpusim gives pocl
// (poclRedirectName), a folder of this user's alone.
func isPoclRedirect(dir string) bool {
	if filepath.Base(dir) != fmt.Sprintf("%s-%d", poclRedirectName, os.Getuid()) {
		return false
	}
	d, err := cachedir.PrivateIn(filepath.Dir(dir), poclRedirectName, false)
	return err == nil && d == filepath.Clean(dir)
}

// poclLeftoverAge is how old an empty tempfile_XXXXXX must be for
// sweepPoclLeftovers to remove it: pocl's temporary files live for a
// build or a kernel's code generation (seconds; 6 to 10 s for a cold
// build), so one this old is no file a pocl still uses.
const poclLeftoverAge = 10 * time.Minute

// sweepPoclLeftovers removes from dir, the kernel cache gpusim gives pocl
// (poclRedirectName, a folder of this user's alone), the empty files pocl
// leaves there: pocl 3.1 makes an empty tempfile_XXXXXX (mkostemp) in its
// kernel cache as it starts, in every process that loads it, and never
// removes it, so the folder gained a file a run. Only empty regular files
// named tempfile_ and six letters or digits (the ones pocl makes with no
// suffix: its sources, objects and libraries have one, .cl, .so.o, .so),
// older than poclLeftoverAge, are removed; the file this process's pocl
// makes is the next process's to remove. Errors are ignored: a leftover
// that stays is an empty file.
func sweepPoclLeftovers(dir string, now time.Time) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !poclLeftoverName(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Size() != 0 || now.Sub(info.ModTime()) < poclLeftoverAge {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}

// poclLeftoverName says whether name is tempfile_ and six letters or
// digits, the name mkostemp gives pocl's pattern tempfile_XXXXXX.
func poclLeftoverName(name string) bool {
	rest, ok := strings.CutPrefix(name, "tempfile_")
	if !ok || len(rest) != 6 {
		return false
	}
	for _, c := range []byte(rest) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// poclCacheShort returns an error matching ErrEnvironment where dev is
// pocl's and pocl cannot write its kernel cache, or nil: pocl writes there
// to build a program, from source or a binary, and at each kernel's first
// launch, where pocl 3.1 ends the process when it cannot (poclCacheSetup).
// It creates and removes an empty file; PoclCacheProblem, which explains a
// failed build, writes 8 MiB.
func poclCacheShort(dev *Device) error {
	return poclCacheShortIf(isPocl(dev))
}

// isPocl says whether dev is pocl's.
func isPocl(dev *Device) bool {
	if dev == nil || dev.platform == nil {
		return false
	}
	name, _ := dev.platform.Name()
	return name == poclPlatform
}

// poclCacheShortIf is poclCacheShort for a device that is pocl's or not.
func poclCacheShortIf(pocl bool) error {
	if runtime.GOOS == "windows" || !pocl {
		return nil
	}
	dir := poclCacheDir()
	if err := writableSize(dir, 0); err != nil {
		cause := fmt.Sprintf("pocl cannot write its kernel cache %s, which it writes to build a program and at a kernel's first launch (where it ends the process when it cannot): %v", dir, err)
		if why, _ := poclNoStandIn.Load().(string); why != "" {
			cause += ", and " + why
		}
		return &UnavailableError{Kind: ErrEnvironment, Cause: cause, Hint: poclCacheHint}
	}
	return nil
}

// defaultPath is the search path execvp(3) uses where PATH is not set
// (glibc's confstr(_CS_PATH)).
const defaultPath = "/bin:/usr/bin"

// pathSetup sets PATH to defaultPath where it is not set (env -i, a cron job
// or a service started without one), before a driver loads: pocl 3.1 links
// each kernel's machine code by running the linker ld, which clang's
// driver looks up in PATH alone, where execvp would search defaultPath;
// without PATH it found none ("Executable "ld" doesn't exist!") and aborted
// the process, which was reported as a crash of the driver, and whose mark
// refused the device at every later start until rm -f. A PATH that is set
// but holds no ld (PATH=/opt/tool/bin, a service's own PATH) aborted pocl
// the same way: the first folder of defaultPath that holds an ld is added
// at its end, after the user's folders, which keep their order and come
// first. Where no folder holds one, PATH is left as it is.
func pathSetup() {
	if runtime.GOOS == "windows" {
		return
	}
	path, set := os.LookupEnv("PATH")
	if !set {
		os.Setenv("PATH", defaultPath)
		return
	}
	if linkerIn(filepath.SplitList(path)) != "" {
		return
	}
	if dir := linkerIn(filepath.SplitList(defaultPath)); dir != "" {
		if path != "" {
			dir = path + string(filepath.ListSeparator) + dir
		}
		os.Setenv("PATH", dir)
	}
}

// linkerIn is the first of dirs that holds an executable file ld, or "":
// the lookup of clang's driver (an empty entry, which it skips, is not the
// working folder).
func linkerIn(dirs []string) string {
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, "ld")); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0 {
			return dir
		}
	}
	return ""
}

// poclNoStandIn is why poclCacheSetup found no folder to point pocl at in
// place of its own, which cannot be written, or nil.
var poclNoStandIn atomic.Value

// PoclCacheProblem returns an error matching ErrEnvironment when pocl is
// installed here and cannot write its kernel cache, or nil. gpu calls it to
// explain a pocl that reports no device or builds nothing.
func PoclCacheProblem() error {
	if runtime.GOOS == "windows" || !poclInstalled() {
		return nil
	}
	dir := poclCacheDir()
	if err := writableSize(dir, cacheProbeBytes); err != nil {
		return &UnavailableError{Kind: ErrEnvironment,
			Cause: fmt.Sprintf("pocl cannot write its kernel cache %s", dir), Hint: poclCacheHint, Err: err}
	}
	return nil
}

// poclFileLimitShort returns the error that stands in for a build on
// pocl from source under a file-size limit (ulimit -f, RLIMIT_FSIZE) below
// cacheProbeBytes, or nil: pocl writes the preprocessed source, then the
// program's bitcode and a shared object per kernel, into its kernel cache
// (pocl 3.1, seen with strace: the preprocessed source 1.05 MB, written
// at every build from source whether its cache holds the program or not,
// the largest; the bitcode 160 kB; a build under a 1 MiB limit dies, one
// under 1.5 MiB passes; cacheProbeBytes leaves room for larger kernels
// and other pocl versions), and a write the limit cuts short ends the process in LLVM ("LLVM ERROR:
// IO failure on output stream: File too large", exit 1), where no error
// comes back, so that a run under auto that chose to compile died with no
// word of the limit. A program built from a binary writes its files there
// too, where pocl's kernel cache does not hold them yet: that load has a
// guard of its own (poclBinaryLimitShort), which lets it go ahead where
// they are there.
func poclFileLimitShort(pocl bool) error {
	limit, limited := fileLimit()
	if !limited || limit >= cacheProbeBytes || !pocl {
		return nil
	}
	return &UnavailableError{Kind: ErrEnvironment,
		Cause: fmt.Sprintf("pocl cannot build the program under the file-size limit of %s (ulimit -f, RLIMIT_FSIZE): it writes the preprocessed source, the program's bitcode and shared objects into its kernel cache %s (the preprocessed source the largest, 1.05 MB with pocl 3.1; gpusim asks for %d MiB to leave room), and ends the process when one is cut short",
			diskfree.SizeText(limit), poclCacheDir(), cacheProbeBytes>>20),
		Hint: fmt.Sprintf("%s; or %s", fsizeRaise(fmt.Sprintf("%d MiB", cacheProbeBytes>>20), cacheProbeBytes), useCPU)}
}

// poclDiskShort returns the error that stands in for a build on pocl
// (pocl true) that writes need bytes into its kernel cache, where the file
// system of that folder has less free space, or nil (nil too where it
// cannot be asked). act says what cannot be done and what what pocl
// writes, for the message. A write
// that fails there ends the process in LLVM ("LLVM ERROR: IO failure on
// output stream: No space left on device", exit 1), where no error comes
// back: a run on a full disk (a home over its quota, a full /tmp) died
// with no gpusim error, no hint and no report, and a run under auto that
// chose to compile did not fall back to the CPU.
func poclDiskShort(pocl bool, need uint64, act, what string) error {
	if runtime.GOOS == "windows" || !pocl || need == 0 {
		return nil
	}
	dir := poclCacheDir()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || filepath.Dir(d) == d {
			dir = d
			break
		}
	}
	free, _, ok := diskFree(dir)
	if !ok || free >= need {
		return nil
	}
	needText, freeText := diskfree.SizesText(need, free)
	return &UnavailableError{Kind: ErrEnvironment,
		Cause: fmt.Sprintf("pocl cannot %s: it writes %s into its kernel cache %s, which may need up to %s, but its file system (%s) has %s free; pocl ends the process when a write there fails",
			act, what, poclCacheDir(), needText, dir, freeText),
		Hint: "free space there, or point POCL_CACHE_DIR at a folder with room; or " + useCPU}
}

// diskFree is diskfree.Free; tests replace it.
var diskFree = diskfree.Free

// fileLimit is diskfree.FileLimit; tests replace it.
var fileLimit = diskfree.FileLimit

// cacheProbeBytes is what writable writes: more than pocl's cache entries
// for gpusim's program take (0.6 MB in all with pocl 3.1, 160 kB the
// largest file), with room for larger kernels and other pocl versions.
const cacheProbeBytes = 8 << 20

// probing is held while a probe file of writableSize exists; Quiesce
// takes it for good.
var probing sync.Mutex

// Quiesce waits for a probe file of writableSize in the making (Load's, in
// a goroutine: gpu.StartDevices) to be removed, and keeps any other from
// being made: a process calls it as it exits, where an exit in between
// would leave the file behind (a bad command line refused while the driver
// loads). It waits a second at most (a file system that hangs), and
// nothing that probes may run after it.
func Quiesce() {
	for end := time.Now().Add(time.Second); !probing.TryLock() && time.Now().Before(end); {
		time.Sleep(100 * time.Microsecond)
	}
}

// writableSize reports why files cannot be created in dir, or in the
// nearest existing directory above it that pocl would create it from, with
// size bytes written (cacheProbeBytes: a full file system takes an empty
// file but not pocl's). It leaves nothing behind.
func writableSize(dir string, size int) error {
	if dir == "" {
		return errors.New("the path is empty")
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if (errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) && filepath.Dir(d) != d {
			continue
		}
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", d)
		}
		probing.Lock()
		f, err := os.CreateTemp(d, ".gpusim-probe-*")
		if err != nil {
			probing.Unlock()
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return fmt.Errorf("cannot create files in %s: %w", d, err)
		}
		name := f.Name()
		if size > 0 {
			_, err = f.Write(make([]byte, size))
		}
		f.Close()
		os.Remove(name)
		probing.Unlock()
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return fmt.Errorf("cannot write %s in %s: %w", diskfree.SizeText(uint64(size)), d, err)
		}
		return nil
	}
}

// poclInstalled reports whether pocl is among the libraries Load may open:
// the library GPUSIM_OPENCL_LIBRARY names, or a driver that an ICD file or
// OCL_ICD_FILENAMES names (which a loader may open too).
func poclInstalled() bool {
	if strings.Contains(filepath.Base(os.Getenv(EnvLibrary)), "pocl") {
		return true
	}
	for _, c := range vendorCandidates() {
		if strings.Contains(filepath.Base(c.path), "pocl") {
			return true
		}
	}
	return false
}
