package cl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/gpusim/gpusim/internal/cachedir"
)

// A driver that faults in clGetPlatformIDs (SIGSEGV) takes the process
// down with it: Go hands a fault in C code to no handler it did not have
// before it started, so no recover, debug.SetPanicOnFault or
// SetCrashOutput catches it, and gpusim printed Go's 250-line trace and
// exited 2. So a process that EnableProbe marks first loads an OpenCL
// library it has not seen work in a child, this executable run again with
// envProbe set (ProbeChild), which loads it and lists its platforms and
// devices as gpu's listing does, and says so on stdout. A child that dies
// is Load's *UnavailableError of Kind ErrCrashed (one killed from outside
// is probed again, once: probeAgainIfKilled); one that lived is
// remembered in gpusim's cache folder (probeFile), by what chose and made
// the libraries it mapped (probeKey) and by each library's path, size and
// modification time, so that later starts load in-process at once.

// envProbe is the hidden environment variable that makes a start of
// gpusim a probe's child (ProbeChild): its value is the parent's process
// id, so that a user's own setting (GPUSIM_OPENCL_PROBE=1) is not taken
// for it.
const envProbe = "GPUSIM_OPENCL_PROBE"

// isProbeChild says whether this process is a probe's child: envProbe
// holds its parent's process id. Any other value is the user's, and is
// removed, not for the processes gpusim starts.
func isProbeChild() bool {
	v, ok := os.LookupEnv(envProbe)
	if ok && v == strconv.Itoa(os.Getppid()) {
		return true
	}
	if ok {
		os.Unsetenv(envProbe)
	}
	return false
}

// ErrCrashed matches Load's error for an OpenCL driver that ended the
// probe's child as it was loaded or listed its devices: a signal (a fault,
// an abort) or an exit of its own.
var ErrCrashed = errors.New("cl: the OpenCL driver crashed")

var probeOn atomic.Bool

// probeTook is the child's time (ns), 0 where none ran.
var probeTook atomic.Int64

// ProbeTime is how long Load waited for its probe's child (0 where the
// cache's record spared it, or none ran): gpu leaves it out of the
// devices' listing time that an engine's start-up counts, as only a first
// start with a driver's set-up pays it, and auto's calibration, measured
// then, predicts the starts after.
func ProbeTime() time.Duration { return time.Duration(probeTook.Load()) }

// ErrNoAnswer matches Load's error where StopProbe ended its probe: the
// process gave up waiting for an OpenCL driver that had not answered the
// probe's child.
var ErrNoAnswer = errors.New("cl: the OpenCL driver did not answer")

// probeRun is the probe's child while Load waits for it (proc, nil
// else), whether StopProbe was called (stopped), and the library the
// child had loaded last when StopProbe came (lib, "" where none).
var probeRun struct {
	sync.Mutex
	proc    *os.Process
	stopped bool
	lib     string
}

// StopProbe is for a process that gives up waiting for Load's listing of
// the devices (a driver that hangs as it starts): it kills the probe's
// child where one runs, which Load's wait then reaps, and Load, in that
// wait or yet to probe, returns an *UnavailableError of ErrNoAnswer
// rather than load the driver in this process. A hung child lived on,
// holding the driver's memory and threads, until the process exited (an
// auto run that fell back to simd: its whole length), and a load here
// would hang a thread of this process in its place. It does nothing
// where the probe is off (EnableProbe) or Load is done.
//
// The library the child had loaded is kept: LibraryTried and Load's
// error name it, where a listing after the stop named no library.
func StopProbe() {
	_, lib := ProbeAsked()
	probeRun.Lock()
	defer probeRun.Unlock()
	probeRun.stopped = true
	if lib != "" && probeRun.lib == "" {
		probeRun.lib = lib
	}
	if probeRun.proc != nil {
		probeRun.proc.Kill()
	}
}

// probeStopped says whether StopProbe was called.
func probeStopped() bool {
	probeRun.Lock()
	defer probeRun.Unlock()
	return probeRun.stopped
}

// stoppedLib is the library the probe's child had loaded when StopProbe
// came, "" where none.
func stoppedLib() string {
	probeRun.Lock()
	defer probeRun.Unlock()
	return probeRun.lib
}

// noAnswer is Load's *UnavailableError of ErrNoAnswer, naming the library
// the stopped child was in (stoppedLib).
func noAnswer() error {
	driver := "the OpenCL driver"
	if lib := stoppedLib(); lib != "" {
		driver += " " + lib
	}
	return &UnavailableError{Kind: ErrNoAnswer,
		Cause: driver + " did not answer when asked for its platforms, and its probe was ended",
		Hint:  "a driver that hangs as it starts: clinfo -l says whether it answers, and " + EnvLibrary + "=PATH loads another libOpenCL.so; " + CPUEnginesRun}
}

// runTracked runs cmd to its exit as probeRun's proc, which StopProbe
// kills: errProbeStopped, the child not started, where StopProbe came
// first.
func runTracked(cmd *exec.Cmd) error {
	probeRun.Lock()
	if probeRun.stopped {
		probeRun.Unlock()
		return errProbeStopped
	}
	if err := cmd.Start(); err != nil {
		probeRun.Unlock()
		return err
	}
	probeRun.proc = cmd.Process
	probeRun.Unlock()
	err := cmd.Wait()
	probeRun.Lock()
	probeRun.proc = nil
	probeRun.Unlock()
	return err
}

// errProbeStopped is runTracked's error where StopProbe came before the
// child started.
var errProbeStopped = errors.New("the probe was stopped")

// EnableProbe makes Load probe the OpenCL library in a child first, where
// this user's cache has no record that it worked (Linux only: the child's
// record of its libraries reads /proc/self/maps, and the child dies with
// its parent by PR_SET_PDEATHSIG). The program must call ProbeChild as it
// starts, before EnableProbe.
func EnableProbe() { probeOn.Store(probeSupported) }

// probeSupported says whether EnableProbe turns the probe on here.
const probeSupported = supported && isLinux

// probeTrace receives the child's report while it loads (ProbeChild):
// probeHello first, "load PATH" before each library is opened (for an ICD
// loader, then its drivers' "vendor" and "code" lines: traceVendors),
// "devices" before the listing, "lib PATH" for each file mapped, "done"
// last. nil elsewhere.
var probeTrace *bufio.Writer

// probeHello is the first line of a probe child's report: a child that
// ended before it said so (another program in the executable's place, a
// Go runtime that could not start) gives no verdict on the driver.
const probeHello = "gpusim opencl probe"

// traceLine writes one line of the child's report, flushed at once so
// that a crash after it leaves it said.
func traceLine(format string, args ...any) {
	if probeTrace != nil {
		fmt.Fprintf(probeTrace, format+"\n", args...)
		probeTrace.Flush()
	}
}

// ProbeChild returns at once unless this process is a probe's child
// (envProbe holds its parent's id); there it loads OpenCL and lists every platform's
// devices with their details, writes its report on stdout (probeTrace)
// and exits 0, whether OpenCL loaded or not: only a driver that ends the
// process ends it otherwise. The stop signals are ignored: the parent
// handles them, and the child dies with it. It takes its parent's name
// (nameAfterParent), where ps named it "exe".
func ProbeChild() {
	if !isProbeChild() {
		return
	}
	nameAfterParent()
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	before := mappedFiles()
	probeTrace = bufio.NewWriter(os.Stdout)
	traceLine(probeHello)
	if ps, err := Platforms(); err == nil {
		traceLine("devices")
		listAll(ps)
	} else {
		traceRefused(err)
	}
	for _, f := range mappedFiles() {
		if !slices.Contains(before, f) {
			traceLine("lib %s", f)
		}
	}
	traceLine("done")
	os.Exit(0)
}

// listAll asks each platform for its devices and each device for its
// details, as gpu's listing does; errors are left for the parent's own.
func listAll(ps []*Platform) {
	index := 0
	for _, p := range ps {
		ds, err := p.Devices()
		if err != nil {
			continue
		}
		for _, d := range ds {
			info, _ := d.Info()
			probeSetUp(d, index, DeviceWords(info.Name, info.PlatformName, info.Type))
			index++
		}
	}
}

// mappedFiles lists the files mapped into this process
// (/proc/self/maps), without repeats.
func mappedFiles() []string {
	var out []string
	for f := range mapsFields() {
		if len(f) == 6 && strings.HasPrefix(f[5], "/") && !slices.Contains(out, f[5]) {
			out = append(out, f[5])
		}
	}
	return out
}

// mapsFields yields the fields of each line of /proc/self/maps (address
// range, permissions, offset, device, inode, and the file where one is
// mapped), none where it cannot be read.
func mapsFields() iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		b, err := os.ReadFile("/proc/self/maps")
		if err != nil {
			return
		}
		for line := range strings.Lines(string(b)) {
			if !yield(strings.Fields(line)) {
				return
			}
		}
	}
}

// probeFirst is Load's probe (EnableProbe): nil where the cache holds
// this set-up's record of success, or a child loaded the library and
// lived (then recorded); a child that could not run as probeUnrun's or
// childRefused's error (ErrProbeUnrun, ErrThreads, ErrAddressSpace,
// ErrStack), the driver not loaded; the child's death as an
// *UnavailableError of ErrCrashed; one of ErrProbeKilled where two
// children were killed from outside (probeAgainIfKilled); one of
// ErrNoAnswer where StopProbe came before or during a child's run.
func probeFirst() error {
	if !probeOn.Load() {
		return nil
	}
	if probeStopped() {
		return noAnswer()
	}
	exe, err := os.Executable()
	if err != nil {
		// No executable to run again (no /proc): no child, and no
		// load here of a driver not seen to work.
		return probeUnrun("", "", fmt.Errorf("its executable: %w", err), "")
	}
	if prog := loadedProgram(); prog != "" {
		// Run through the dynamic loader: the record is gpusim's, not
		// the loader's.
		exe = prog
	}
	key := probeKey(exe)
	file := probeFile()
	distrusted := probeDistrusted.Load()
	if file != "" && !distrusted && probeRemembered(file, key) {
		return nil
	}
	t0 := time.Now()
	out, lived, err := probeAgainIfKilled()
	probeTook.Store(int64(time.Since(t0)))
	if probeStopped() {
		// StopProbe killed the child: no verdict, and no load here of
		// a driver that would hang this process's thread instead.
		return noAnswer()
	}
	if err != nil {
		return err
	}
	if lived && file != "" && !distrusted {
		if err := cachedir.WriteFile(file, []byte(key+probeLibs(out))); err != nil {
			probeUnkept.Store(&err)
		}
	}
	return nil
}

// probeDistrusted is set by DistrustRecord.
var probeDistrusted atomic.Bool

// DistrustRecord makes Load's probe (EnableProbe) run its child though the
// cache folder holds this set-up's record that the driver worked, and
// leave the record as it is: gpu's, where a process ended while it set a
// device up under the record (a crash there in gpusim's own process) and
// the record cannot be removed (a cache folder shared read-only). Call it
// before Load.
func DistrustRecord() { probeDistrusted.Store(true) }

// probeAgainIfKilled runs the probe's child (runProbe) and, where a
// signal from outside killed it (a kill -9, the out-of-memory killer:
// *probeKilledError), once more: a kill says nothing of the driver. A
// second kill is Load's *UnavailableError of ErrProbeKilled (killedTwice),
// and the driver is not loaded: the kill had been no verdict, and this
// process loaded the driver itself, where one that hung kept a thread of
// this process in it for the run. Both children run within the wait of
// the command (StopProbe ends either).
func probeAgainIfKilled() (report string, lived bool, err error) {
	report, lived, err = runProbe(probeExe)
	var first *probeKilledError
	if !errors.As(err, &first) || probeStopped() {
		return report, lived, err
	}
	report, lived, err = runProbe(probeExe)
	var second *probeKilledError
	if errors.As(err, &second) {
		return report, false, killedTwice(first, second)
	}
	return report, lived, err
}

// probeExe is the probe's child's executable: the running executable's
// own file, which stays what it was where the path's file was replaced (a
// build, an upgrade) or removed. Tests set it.
var probeExe = "/proc/self/exe"

// ErrProbeKilled matches Load's error where a signal from outside (a kill
// -9, the out-of-memory killer) killed the probe's child twice: the driver
// was not loaded, untried.
var ErrProbeKilled = errors.New("cl: the OpenCL driver's probe was killed")

// probeKilledError is runProbe's error for a child that a stop signal
// (stopSignals: SIGKILL, the out-of-memory killer's) ended, not the
// driver: its report and the signal.
type probeKilledError struct {
	report string
	sig    syscall.Signal
}

func (e *probeKilledError) Error() string {
	return "the probe's child was killed (" + stopSignalName(e.sig) + ")"
}

// stopSignalName is a stop signal's name (SIGKILL), else signalName's.
func stopSignalName(sig syscall.Signal) string {
	names := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP",
		syscall.SIGQUIT: "SIGQUIT", syscall.SIGPIPE: "SIGPIPE", syscall.SIGKILL: "SIGKILL"}
	if n, ok := names[sig]; ok {
		return n
	}
	return signalName(sig)
}

// killedTwice is Load's *UnavailableError of ErrProbeKilled for two
// children killed from outside, naming the library the second had loaded
// last and what it was asked for (killedAt).
func killedTwice(first, second *probeKilledError) error {
	driver, where := "the OpenCL driver", "before it loaded one"
	if lib, asked := killedAt(second.report); lib != "" {
		driver += " " + lib
		where = "when asked for " + asked
	}
	how := stopSignalName(first.sig)
	if second.sig != first.sig {
		how += ", then " + stopSignalName(second.sig)
	}
	return &UnavailableError{Kind: ErrProbeKilled,
		Cause: fmt.Sprintf("%s was not loaded: the child that probes it was killed from outside twice (%s) %s", driver, how, where),
		Hint:  "gpusim loads a driver it has not seen work in a child first, and a child that another process or the out-of-memory killer ended (dmesg says whether it did) gives no verdict: run the command again to probe it again; " + CPUEnginesRun}
}

// killedAt is the driver a killed child's report was in last
// (reportDriver: the library it loaded last, or an ICD loader's driver
// through it; "" where none) and what the child asked it for last: its
// platforms, its devices, or a step of a device's set-up (probeStep).
func killedAt(report string) (lib, asked string) {
	asked = "its platforms"
	var d reportDriver
	for line := range strings.Lines(report) {
		line = strings.TrimSuffix(line, "\n")
		d.line(line)
		if strings.HasPrefix(line, "load ") {
			asked = "its platforms"
		} else if line == "devices" || strings.HasPrefix(line, "set up ") {
			asked = "its devices"
		} else if s := probeStep(line); s != "" {
			asked = s
		}
	}
	return d.lib, asked
}

// probeUnkept is the error of the write of the probe's record, nil where
// it was written or none was due.
var probeUnkept atomic.Pointer[error]

// ProbeUnkept is why the probe's record of a driver that worked was not
// written in the cache folder (one that is full or read-only, a folder in
// the record's place), nil where it was written or none was due: each
// start with the driver's set-up then probes it again (pocl: some 40 ms).
// gpu's cache notes say it; a start did so without a word.
func ProbeUnkept() error {
	if p := probeUnkept.Load(); p != nil {
		return *p
	}
	return nil
}

// probeFile is the probe's record in gpusim's cache folder, or "" where
// the cache is off.
func probeFile() string {
	d := cachedir.Dir()
	if d == "" {
		return ""
	}
	return filepath.Join(d, "opencl-probe")
}

// probeKeyEnv begins the names of the variables that choose the OpenCL
// libraries or take their settings, part of probeKey.
var probeKeyEnv = []string{"GPUSIM_OPENCL_", "OCL_", "OPENCL_", "LD_", "POCL_", "AMD_", "GPU_", "CL_", "IGC_", "RUSTICL_", "CLOVER_", "CUDA_", "ZE_", "ROCR_", "HIP_"}

// SetupKey is what the probe's record keys on (probeKey) for this
// process's executable: what chooses the OpenCL libraries a load maps and
// whether they map (the dynamic loader's cache, LD_LIBRARY_PATH's
// folders, the ICD loader's .icd folder, the libraries the environment
// names, the OpenCL and driver variables, the limits). Other records of
// the driver's set-up (engines' mark of a driver that did not answer) key
// on it too; "" where the executable is not known.
func SetupKey() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if prog := loadedProgram(); prog != "" {
		exe = prog
	}
	return probeKey(exe)
}

// probeKey is what chooses the libraries a load maps, and whether they
// map, as the probe's record's first lines: this executable, the dynamic
// loader's cache (new whenever ldconfig runs, as a driver's install does),
// the folders of LD_LIBRARY_PATH, the ICD loader's folder of .icd files
// and the libraries the environment names, each by path, size and
// modification time; the variables of probeKeyEnv; and the limits under
// which a library may fail to map (limitsKey: ulimit -v, -u, -s), as a
// child that loaded none is remembered too.
func probeKey(exe string) string {
	var b strings.Builder
	b.WriteString("gpusim opencl probe 1\n" + limitsKey())
	files := []string{exe, "/etc/ld.so.cache", vendorsDir, os.Getenv(EnvVendors), os.Getenv(envVendorPath), os.Getenv(EnvLibrary)}
	files = append(files, strings.Split(os.Getenv(EnvFilenames), ":")...)
	files = append(files, strings.Split(os.Getenv("LD_LIBRARY_PATH"), ":")...)
	for _, f := range files {
		if f != "" {
			b.WriteString("file " + fileStamp(f) + "\n")
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		if slices.ContainsFunc(probeKeyEnv, func(p string) bool { return strings.HasPrefix(kv, p) }) {
			env = append(env, poclCacheKey(kv))
		}
	}
	slices.Sort(env)
	for _, kv := range env {
		fmt.Fprintf(&b, "env %q\n", kv)
	}
	return b.String()
}

// poclCacheKeyMax is the longest POCL_CACHE_DIR that poclCacheKey keys
// by its kind alone: under pocl 3.1's 1024-byte name buffer, which it
// fills with the folder and "/tempdir" at set-up (below).
const poclCacheKeyMax = 999

// poclCacheKey is kv, a variable of the environment, as probeKey keys it:
// as it is, but for a POCL_CACHE_DIR that pocl can use, which is keyed by
// that alone ("POCL_CACHE_DIR=<a folder pocl can use>"), so that a job
// that gives each run a kernel cache of its own (or a new one each
// session) probes the driver in a child once, not at every start. pocl
// documents POCL_CACHE_DIR as the folder of its compiled kernels alone,
// but reads it at set-up, in clGetPlatformIDs (pocl 3.1,
// lib/CL/pocl_cache.c, pocl_cache_init_topdir), where its value can
// change what the probe's calls do only by its length and by whether pocl
// can make the folder: an empty one fails an assert() (abort: gpusim
// refuses it before loading a driver, poclAborts), one of 1016 to 1022
// bytes fails another ("%s/tempdir" does not fit in 1024 bytes:
// clinfo -l exits 134 here), and one that is longer or that pocl cannot
// make lists no device. Those are keyed by their value, as before: a
// child checks them. Where the probe does not run (elsewhere than Linux)
// every value is.
func poclCacheKey(kv string) string {
	v, ok := strings.CutPrefix(kv, envPoclCacheDir+"=")
	if !ok || v == "" || len(v) > poclCacheKeyMax || !poclCacheUsable(v) {
		return kv
	}
	return envPoclCacheDir + "=<a folder pocl can use>"
}

// fileStamp is path with its size and modification time (ns), or with
// "absent".
func fileStamp(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return strconv.Quote(path) + " absent"
	}
	return fmt.Sprintf("%q %d %d", path, st.Size(), st.ModTime().UnixNano())
}

// probeLibs is the record's lines for the libraries the child's report
// out names: "lib" and each one's fileStamp.
func probeLibs(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		if p, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "lib "); ok {
			b.WriteString("lib " + fileStamp(p) + "\n")
		}
	}
	return b.String()
}

// probeRemembered says whether file, the probe's record, holds key and
// the libraries it names are as they were.
func probeRemembered(file, key string) bool {
	b, err := cachedir.ReadFile(file)
	if err != nil {
		return false
	}
	libs, ok := strings.CutPrefix(string(b), key)
	if !ok {
		return false
	}
	for line := range strings.Lines(libs) {
		stamp, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "lib ")
		if !ok {
			return false
		}
		path, _, _ := strings.Cut(stamp[1:], `" `)
		if p, err := strconv.Unquote(`"` + path + `"`); err != nil || fileStamp(p) != stamp {
			return false
		}
	}
	return true
}

// runProbe runs the child (exe with envProbe set to this process's id) to its end and returns
// its report, and whether it lived to say "done" (then the library is
// remembered); or its death as an *UnavailableError of ErrCrashed; or,
// for a child that a stop signal ended (stopSignals: a kill from outside,
// said before or after probeHello), a *probeKilledError. A child that
// could not start, that ended otherwise before it said probeHello, that
// could not start a thread or map memory (startShort), or whose own
// checks refused to load the driver (childRefused), is none of these:
// probeUnrun's error, the driver not loaded (Load went on in-process,
// as without the probe).
func runProbe(exe string) (report string, lived bool, err error) {
	cmd := exec.Command(exe)
	cmd.Args = []string{os.Args[0]}
	if prog := loadedProgram(); prog != "" && exe == "/proc/self/exe" {
		// /proc/self/exe is the dynamic loader (ld.so gpusim ...): it
		// runs gpusim's file as it ran this process, under this
		// process's argv[0] (--argv0, glibc 2.33 on: an older loader
		// refuses the option, and the child, ended before it said it
		// was a probe, is probeUnrun's error with its hint).
		cmd.Args = append(cmd.Args, "--argv0", os.Args[0], prog)
	}
	// GOTRACEBACK=single: Go's runtime then ends a child whose driver
	// faulted with exit status 2 at once; under the user's
	// GOTRACEBACK=crash it dumped core first, past the wait for the
	// devices (10 s here).
	cmd.Env = append(os.Environ(), envProbe+"="+strconv.Itoa(os.Getpid()), "GOTRACEBACK=single")
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	dieWithParent(cmd.SysProcAttr)
	report, stderr, err := runChild(cmd)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, _ := ee.Sys().(syscall.WaitStatus); ws.Signaled() && slices.Contains(stopSignals, ws.Signal()) {
			// Killed from outside, said or not: no verdict on the
			// driver, and not to be loaded untried (probeAgainIfKilled).
			return report, false, &probeKilledError{report, ws.Signal()}
		}
	}
	switch {
	case err != nil && !errors.As(err, &ee):
		// Not started (a fork under ulimit -u, an executable that
		// cannot run): no verdict, and not to be loaded untried.
		return report, false, probeUnrun(report, stderr, err, "")
	case !strings.HasPrefix(report, probeHello+"\n"):
		return report, false, probeUnrun(report, stderr, nil, childEnd(err))
	case err == nil && strings.HasSuffix(report, "done\n"):
		if r := childRefused(report); r != nil {
			// The child's own checks kept it from loading the
			// driver (the threads it would start beside this
			// process's): no verdict, and not to be remembered.
			return report, false, r
		}
		return report, true, nil
	case err == nil:
		return report, false, probeDeath(report, "exit status 0")
	}
	ws, _ := ee.Sys().(syscall.WaitStatus)
	m := goCrash().FindStringSubmatch(stderr)
	switch {
	case startShort().MatchString(stderr):
		// The child, a second process beside this one, could not start
		// a thread or map memory: a limit (ulimit -u counts both
		// processes' threads), which this process's own checks weighed
		// for itself alone. No verdict: this process loaded the driver
		// itself, where one that hung kept a thread of the run.
		return report, false, probeUnrun(report, stderr, nil, childEnd(err))
	case m != nil:
		// Go's runtime ends a process whose C code faulted with exit
		// status 2 (under GOTRACEBACK=crash, SIGABRT), its trace's
		// first line naming the signal, its second the faulting
		// address (faultLine).
		return report, false, probeDeath(report+faultLine(stderr), m[1]+m[2])
	case ws.Signaled():
		return report, false, probeDeath(report, signalName(ws.Signal()))
	}
	return report, false, probeDeath(report, fmt.Sprintf("exit status %d", ws.ExitStatus()))
}

// stopSignals end a child without its driver's fault: a stop the user
// sent (the child ignores them once it starts), the kill of the
// out-of-memory killer, of another process or of a parent that died.
var stopSignals = []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE, syscall.SIGKILL}

// goCrash finds the signal in the trace of Go's runtime for a fault in C
// code: "SIGSEGV: segmentation violation", or "[signal SIGSEGV: ...".
// Built where used: compiled as the package initialized, it cost every
// start of gpusim (TestInitCost).
var goCrash = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^(SIG[A-Z0-9]+): |\[signal (SIG[A-Z0-9]+)`)
})

// startShort finds, in a child's stderr, that Go's runtime, cgo or a
// driver could not start a thread ("fakecgo: pthread_create failed: 11",
// "runtime: failed to create new OS thread", pocl's "PTHREAD ERROR ...
// Resource temporarily unavailable") or had no memory left ("fatal error:
// runtime: out of memory", "cannot allocate memory").
var startShort = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`pthread_create failed|failed to create new OS thread|PTHREAD ERROR|Resource temporarily unavailable|fatal error: runtime: out of memory|annot allocate memory`)
})

// signalName is sig's name, for the signals a crashing driver dies of
// (SIGSEGV), else "signal N".
func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGBUS:
		return "SIGBUS"
	case syscall.SIGILL:
		return "SIGILL"
	case syscall.SIGFPE:
		return "SIGFPE"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGTRAP:
		return "SIGTRAP"
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// probeDeath is the *UnavailableError of a child that died how (SIGSEGV,
// exit status 3) with report on stdout: the library it was loading, and
// what it was asked for last: its platforms, its devices, or a device's
// context or queue (probeSetUp). Its stderr is left out: Go's trace of a
// fault is some 250 lines. The library is a driver an ICD loader reaches
// (traceVendors) where the child died opening it, or where the faulting
// address (faultLine's "fault" line) lies in code its opening mapped, or
// that the child asked itself (askVendor), or the loader's one driver that
// gives platforms (its "via" line: nameDriver), each through the loader
// (throughLoader); else the last one loaded.
func probeDeath(report, how string) error {
	lib, asked := "", "its platforms"
	step := CrashListing // a device's context or queue, or their release, past the listing
	var code []vendorCode
	var opening string // the driver traceVendors was opening, "" after
	var via string     // an ICD loader's one driver (nameDriver)
	var pc uint64
	for line := range strings.Lines(report) {
		line = strings.TrimSuffix(line, "\n")
		if reportNameFiles(line) {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case "load":
			lib, opening, via = rest, "", ""
		case "via":
			via = rest
		case "vendor":
			opening = rest
		case "code":
			var c vendorCode
			if _, err := fmt.Sscanf(rest, "%x %x", &c.start, &c.end); err == nil {
				c.lib = opening
				code = append(code, c)
			}
		case "vendors", "answered":
			opening = ""
		case "ask":
			opening = rest // askVendor's call into the driver
		case "fault":
			pc, _ = strconv.ParseUint(rest, 16, 64)
		case "devices", "set":
			if line == "devices" || strings.HasPrefix(line, "set up ") {
				asked, step = "its devices", CrashListing
			}
		default:
			if s, k := probeStepKind(line); s != "" {
				asked, step = s, k // a context or queue, or a release (probeSetUp)
			}
		}
	}
	if i := slices.IndexFunc(code, func(c vendorCode) bool { return pc >= c.start && pc < c.end }); opening != "" {
		lib = throughLoader(opening, lib)
	} else if i >= 0 {
		lib = throughLoader(code[i].lib, lib)
	} else if via != "" {
		lib = throughLoader(via, lib)
	}
	if lib != "" {
		lib += " "
	}
	verb := "crashed"
	if strings.HasPrefix(how, "exit status") {
		verb = "ended the process"
	}
	// The hint of gpusim's own crash handler for the same call: past
	// the listing, clinfo -l, which lists the devices, does not crash.
	return &UnavailableError{Kind: ErrCrashed,
		Cause: fmt.Sprintf("the OpenCL driver %s%s (%s) when asked for %s", lib, verb, how, asked),
		Hint:  crashHints[step]}
}

// vendorCode is a range of code [start, end) that the opening of an ICD
// loader's driver lib mapped (traceVendors).
type vendorCode struct {
	lib        string
	start, end uint64
}

// faultPC finds the faulting address in Go's trace of a fault in C code:
// "PC=0x7f9434ea8419 m=0 sigcode=1 addr=0x8".
var faultPC = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^PC=0x([0-9a-f]+) `)
})

// faultLine is the report's line "fault ADDRESS" (hex) for the faulting
// address in the child's stderr, or "".
func faultLine(stderr string) string {
	if m := faultPC().FindStringSubmatch(stderr); m != nil {
		return "fault " + m[1] + "\n"
	}
	return ""
}

// traceLoad is a probe's child's report that it tries c: "load PATH",
// and for an ICD loader its drivers (traceVendors).
func traceLoad(c candidate) {
	traceLine("load %s", c.path)
	traceVendors(c)
}

// traceVendors is for a probe's child about to try c, an ICD loader by
// its name (libOpenCL.so.1), which opens the drivers that the .icd files
// name (vendorCandidates: OCL_ICD_VENDORS, else OPENCL_VENDOR_PATH, else
// /etc/OpenCL/vendors) and calls into them as it is asked for its
// platforms: a driver that faulted there was named by the loader's path.
// It opens each of them first, as the loader does (dlopenLocal), and
// reports it ("vendor PATH") and the ranges of code its opening mapped
// ("code START END", hex), then "vendors mapped", for probeDeath. Nothing
// where c is no loader, or the loader does not load (the drivers are
// then tried by Load itself, each under its own "load" line).
func traceVendors(c candidate) {
	if probeTrace == nil || !isICDLoader(c) || irregular(c.path) != nil {
		return
	}
	if _, err := dlopen(c.path); err != nil {
		return
	}
	seen := codeRanges()
	opened := map[string]uintptr{}
	var order []string
	for _, v := range vendorCandidates() {
		if v.from == EnvFilenames || irregular(v.path) != nil {
			// OCL_ICD_FILENAMES' drivers, which Load tried before
			// the loader, and which Debian's ocl-icd does not open;
			// a named pipe, which would hold the open for ever.
			continue
		}
		traceLine("vendor %s", v.path)
		h, err := dlopenLocal(v.path)
		if err != nil {
			continue
		}
		if name := vendorPath(v.path, libFile(h)); name != v.path {
			// The file the dynamic loader mapped, where the .icd
			// file wrote a bare soname (libpocl.so.2) or a link.
			traceLine("vendor %s", name)
		}
		if _, ok := opened[v.path]; !ok {
			opened[v.path] = h
			order = append(order, v.path)
		}
		for _, r := range codeRanges() {
			if !slices.Contains(seen, r) {
				seen = append(seen, r)
				traceLine("code %s", r)
			}
		}
	}
	traceLine("vendors mapped")
	for _, path := range order {
		askVendor(vendorPath(path, libFile(opened[path])), opened[path])
	}
}

// askVendor asks the driver at path, opened as h, for its platforms as an
// ICD loader does first (clIcdGetPlatformIDsKHR, which its
// clGetExtensionFunctionAddress gives, or its own symbol), their count
// alone, between the report's lines "ask PATH" and "answered": a driver
// that aborts, exits or faults on a thread of its own in that call, which
// the loader's call would have made, is then named by probeDeath, and one
// that hangs there by ProbeAsked; either was the loader's. Nothing where
// the driver has no such entry point (the loader skips it too).
func askVendor(path string, h uintptr) {
	fn := vendorEntry(h)
	if fn == 0 {
		return
	}
	var getPlatforms func(n uint32, ids unsafe.Pointer, nRet *uint32) int32
	register(&getPlatforms, fn)
	traceLine("ask %s", path)
	var n uint32
	getPlatforms(0, nil, &n)
	traceLine("answered")
}

// codeRanges lists the ranges of this process's memory mapped from a
// file to run (/proc/self/maps), each as "START END" in hex.
func codeRanges() []string {
	var out []string
	for f := range mapsFields() {
		if len(f) != 6 || !strings.Contains(f[1], "x") || !strings.HasPrefix(f[5], "/") {
			continue
		}
		if start, end, ok := strings.Cut(f[0], "-"); ok {
			out = append(out, start+" "+end)
		}
	}
	return out
}

// runChild runs the probe's child cmd to its exit and returns its stdout
// and the first 64 KiB of its stderr. They are files in memory
// (probeOutput), so that the wait ends with the child: with pipes it
// ended only when every process holding them did, and a driver's helper
// process that outlived the child (a fake driver that started sleep 20)
// held devices past its 10 s wait ("the OpenCL driver did not answer in
// 10 s", where 474872e said in 19 ms that it had no platform). Where no
// such file can be made, pipes, waited for 1 s past the exit.
func runChild(cmd *exec.Cmd) (stdout, stderr string, err error) {
	out, errOut := childOutput("gpusim-probe-stdout"), childOutput("gpusim-probe-stderr")
	if out == nil || errOut == nil {
		for _, f := range []*os.File{out, errOut} {
			if f != nil {
				f.Close()
			}
		}
		var o bytes.Buffer
		e := &headWriter{max: 64 << 10}
		cmd.Stdout, cmd.Stderr, cmd.WaitDelay = &o, e, time.Second
		err = runTracked(cmd)
		if errors.Is(err, exec.ErrWaitDelay) {
			err = nil // the child exited 0; another process held its pipes
		}
		return o.String(), e.String(), err
	}
	defer out.Close()
	defer errOut.Close()
	cmd.Stdout, cmd.Stderr = out, errOut
	probeReport.Store(out) // ProbeAsked reads it while the child runs
	defer probeReport.Store(nil)
	err = runTracked(cmd)
	return fileHead(out, 1<<20), fileHead(errOut, 64<<10), err
}

// childOutput is probeOutput, a test's hook.
var childOutput = probeOutput

// fileHead is the first max bytes of f, read from its start.
func fileHead(f *os.File, max int64) string {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, max))
	return string(b)
}

// headWriter keeps the first max bytes written to it.
type headWriter struct {
	buf bytes.Buffer
	max int
}

func (w *headWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (w *headWriter) String() string { return w.buf.String() }
