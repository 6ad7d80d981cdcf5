package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/cachedir"
	"github.com/gpusim/gpusim/internal/cputime"
	"github.com/gpusim/gpusim/internal/descriptors"
	"github.com/gpusim/gpusim/internal/diskfree"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/jsonnum"
	"github.com/gpusim/gpusim/internal/sysmem"
	"github.com/gpusim/gpusim/sim"
)

// Exit statuses: a run that fails is 1, input that is wrong before anything
// runs is 2.
const (
	exitFailure = 1
	exitUsage   = 2
)

// exitLater makes the forced exit a stop arms (interrupt.ExitLater),
// writing its message to the writer it is given: interrupt.Exit. The tests'
// gpusim children replace it to tell a forced exit from a clean stop.
var exitLater = interrupt.Exit

// Run is the whole CLI: it runs args (without the program name) and returns
// the exit status. Ctrl-C (SIGINT), SIGTERM, SIGHUP, SIGQUIT, SIGPIPE (a
// write to stdout whose pipe's reader is gone), SIGUSR1, SIGUSR2 or SIGALRM
// cancels a run in progress, which exits 130, 143, 129, 131, 141, 138, 140
// or 142; a run that has not returned
// stopGrace after it was cancelled (a driver call cannot be interrupted)
// is ended there, its temporary files removed.
//
// A stdout that may have been closed when the process started (gpusim run
// >&-) gets a note on stderr before anything else: Go's runtime put
// /dev/null in its place, and the report went there without a word
// (closedAtStart). It is a note, not a refusal: a parent that puts a
// read-write /dev/null on stdout alone (Python's subprocess.DEVNULL) looks
// the same and means to discard the report.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Notes and refusals before the command line is read: held where
	// stderr goes to a file the arguments name (earlyStderr).
	early := &earlyStderr{args: args, stdout: stdout, stderr: stderr}
	if f, ok := stdout.(*os.File); ok && closedAtStart(f) {
		fmt.Fprintf(early, "gpusim: note: stdout is /dev/null opened read-write, as Go's runtime opens a stdout closed at the start (>&-) and as Python's subprocess.DEVNULL opens it: the report is discarded; >FILE keeps it, >/dev/null (write-only) discards it without this note\n")
	}
	// A command line refused on its own comes before the limits' checks
	// (argsRefused), which run before any work.
	badArgs := sync.OnceValues(func() (int, bool) { return argsRefused(args, stdin, stdout, stderr, early) })
	if code, refused := limitsRefused(args, early, badArgs); refused {
		return code
	}
	// The stop signals are taken as soon as a goroutine may start (after
	// the limits on threads, which cut GOMAXPROCS to the threads that
	// fit: signal.Notify starts one, which under ulimit -u 7 aborted in
	// pthread_create), before the driver starts loading: one that came
	// between the load's start and here ended the process by the default
	// action (a SIGQUIT dumped the goroutines and exited 2), which left
	// the probe file the load writes into pocl's cache folder (cl's
	// writableSize; Quiesce waits for it).
	// A forced exit's message goes where a stop's would (stopStream).
	stopped := &stopStream{args: args, stdout: stdout, stderr: stderr}
	interrupt.ExitLater = exitLater(stopped)
	interrupt.ExitNow = interrupt.Now(stopped)
	ctx, stop := interrupt.NotifyContext(context.Background())
	defer stop()
	// A stop ends a refusal's wait on a driver that hangs at once: a
	// signal's, not the context's end as Run returns, which left every
	// later listing in the process (tests' commands) "not answered" at
	// once, each device then taken for a GPU (TestListingAfterRun).
	defer engines.StopListingOn(signalled(ctx))()
	if runsWork(args) {
		// SIGXCPU before a plain ulimit -t's SIGKILL: a stop, not a
		// kill mid-write.
		interrupt.CPUGrace(runtime.GOMAXPROCS(0))
		// And a stop before the hard limit where no SIGXCPU can come
		// in time (ulimit -t 1 was a SIGKILL, exit 137, not a word),
		// or a refusal where the limit leaves no room for one.
		if err := watchCPU(limitCPUs); err != nil {
			if code, bad := badArgs(); bad {
				return code
			}
			fmt.Fprintf(early, "gpusim: error: ulimit -t: %v\n", err)
			return early.refused()
		}
	}
	cachedir.Pin() // before pocl can make a missing HOME
	if runsWork(args) {
		// After descriptorsShort: its beat starts Go's poller, which
		// version under ulimit -n 6 could not open ("fatal error:
		// runtime: eventfd failed").
		cputime.WatchSuspend()
	}
	if earlyDevices && opensDevice(args) && unlimited() && driverWaitChecked(context.Background(), true) == nil {
		// The driver loads (pocl: 18 ms) while the command line is read
		// and checked (about 1 ms), after the checks above, which a
		// driver's load must come after (cachedir.Pin before pocl can
		// make a missing HOME; GOMAXPROCS cut to the threads that fit),
		// with the waits GPUSIM_DRIVER_WAIT sets: a bad value loads
		// nothing early, and the command refuses it.
		startDevices()
	}
	code := runContextHeld(ctx, args, stdin, stdout, stderr, early.held.Bytes())
	if code != interrupt.ExitTimeout {
		// Devices a failed open of several left opening (a build):
		// released before the process ends, unless a stop (ctx) or
		// --timeout ended it.
		engines.Settle(ctx)
	}
	return code
}

// driverWaitChecked reads engines.EnvDriverWait for a command that may
// load an OpenCL driver (loads: run and bench with opencl or auto among
// their engines, selftest, devices) and sets the waits on the driver from
// it (engines.SetDriverWait), the default's where it is unset. A value
// that is not whole seconds within its range is an *envError (exit 2),
// which each such command returns where its command line's checks end
// (after argsChecked), before any work: after a command line refused on
// its own and the limits' refusals. A command that loads no driver
// (merge, version, help, run --engine simd, bench --engines serial)
// neither reads nor refuses it: GPUSIM_DRIVER_WAIT=abc gpusim merge was
// refused for a setting merge never uses. nil in argsRefused's pass,
// which checks the command line alone.
func driverWaitChecked(ctx context.Context, loads bool) error {
	if !loads || argsOnly(ctx) {
		return nil
	}
	d, err := engines.DriverWaitFromEnv()
	if err != nil {
		return &envError{name: engines.EnvDriverWait, msg: err.Error()}
	}
	engines.SetDriverWait(d)
	return nil
}

// limitsRefused checks the limits a command that runs work needs (ulimit
// -v, -s, -n and -u), before it opens a file or starts a thread: it
// returns Run's exit status and true where one refuses the command, its
// error written to early, and notes there the threads a run goes on with
// where a limit cuts them (GOMAXPROCS). Where a check would refuse or note,
// the command line's own refusal comes first (badArgs, argsRefused: its
// status and true where it is refused, written), and no limit is said:
// gpusim runn and gpusim run --lanes -5 under ulimit -n 12 were refused
// for the open-file limit, not the typo.
func limitsRefused(args []string, early *earlyStderr, badArgs func() (int, bool)) (int, bool) {
	if err, least := addressSpaceShort(args); err != nil {
		if code, bad := badArgs(); bad {
			return code, true
		}
		if least {
			fmt.Fprintf(early, "gpusim: error: %v\n", err)
			fmt.Fprintf(early, "gpusim: hint: %s\n", err.hint)
			return early.refused(), true
		}
		// Fewer threads, as many as fit: with one per CPU the run
		// aborted in pthread_create as its workers started.
		procs, capped := fitProcs()
		was := runtime.GOMAXPROCS(0)
		if capped {
			runtime.GOMAXPROCS(procs)
		}
		fmt.Fprintf(early, "gpusim: note: %v; this run goes on with GOMAXPROCS=%d (of %d), the threads that fit\n", err, min(procs, was), was)
	}
	// The stack's, then the descriptors', which starts Go's poller where
	// they are free.
	for _, short := range []func([]string) *envError{stackShort, descriptorsShort} {
		if err := short(args); err != nil {
			if code, bad := badArgs(); bad {
				return code, true
			}
			fmt.Fprintf(early, "gpusim: error: %v\n", err)
			return early.refused(), true
		}
	}
	// threadsShort reads /proc, and a file opened starts Go's poller:
	// after the descriptors' check, which starts it while they are free.
	if err, procs := threadsShort(args); err != nil {
		if code, bad := badArgs(); bad {
			return code, true
		}
		if procs == 0 {
			fmt.Fprintf(early, "gpusim: error: %v\n", err)
			fmt.Fprintf(early, "gpusim: hint: %s\n", err.hint)
			return early.refused(), true
		}
		was := runtime.GOMAXPROCS(procs)
		fmt.Fprintf(early, "gpusim: note: %v; this run goes on with GOMAXPROCS=%d (of %d), the threads that fit\n", err, procs, was)
	}
	return 0, false
}

// argsRefused runs args as far as their command checks its command line
// before it opens a file, loads a driver or starts work (argsChecked), with
// what it writes to stderr held: where the command line is refused (an
// unknown command or flag, a bad value, extra arguments) or answered (a
// help asked for as -help), it writes that, after early's held notes, where
// Run's refusals go and returns its exit status and true; where the
// command line passes, it writes nothing and returns false. It opens no
// file and starts no goroutine: under ulimit -n 6 the first file opened
// killed the process (Go's poller).
func argsRefused(args []string, stdin io.Reader, stdout, stderr io.Writer, early *earlyStderr) (int, bool) {
	var held bytes.Buffer
	ctx := context.WithValue(context.Background(), argsOnlyKey{}, true)
	code := runContextHeld(ctx, args, stdin, stdout, &held, early.held.Bytes())
	if code == argsPassed {
		return 0, false
	}
	messageStream(args, nil, stdout, stderr).Write(held.Bytes())
	return code, true
}

// argsOnlyKey marks the context of argsRefused's pass over a command line.
type argsOnlyKey struct{}

// errArgsChecked is argsChecked's error: the command line was checked, and
// the command would go on to its files and work. runContextHeld returns
// argsPassed for it.
var errArgsChecked = errors.New("command line checked")

// argsPassed is runContextHeld's status for a command line that argsRefused's
// pass found no fault in (errArgsChecked): no exit status.
const argsPassed = -1

// argsChecked is errArgsChecked where ctx is argsRefused's pass, else nil:
// each command returns it where its command line is checked, before the
// first file it opens, driver it loads or work it starts (run before its
// outputs are created, bench before its output folders, merge before its
// parts or list are read, selftest and devices before the driver loads).
// A device list's form (--device, bench's --engines ENTRY:N) is checked
// in the pass, its refusal without the devices' listing (argsOnly); its
// indexes, which only the driver can check, are left to the command.
func argsChecked(ctx context.Context) error {
	if argsOnly(ctx) {
		return errArgsChecked
	}
	return nil
}

// argsOnly says whether ctx is argsRefused's pass, in which no driver may
// load: a refusal of a device list's form lists no devices
// (engines.CheckDeviceList), as under ulimit -n 6 the listing killed Go
// ("fatal error: runtime: eventfd failed") and the limit was refused
// before a selftest --device x whose x no driver can make valid.
func argsOnly(ctx context.Context) bool {
	return ctx.Value(argsOnlyKey{}) != nil
}

// limitCPUs is how many CPUs the process may run on at once: its
// affinity (runtime.NumCPU), or its cgroup's CPU limit rounded up where
// that is fewer. It bounds the CPU time the process takes per second, as
// interrupt.WatchCPU weighs it; pocl's threads, which GOMAXPROCS does not
// count, run on the same CPUs.
func limitCPUs() int {
	cpus := runtime.NumCPU()
	if lim, ok := cputime.Limit(); ok && lim > 0 {
		cpus = min(cpus, int(math.Ceil(lim)))
	}
	return cpus
}

// shortOfRoom is sysmem.ShortOfRoom, leastRunRoom sysmem.LeastRunRoom,
// arenaStartRoom sysmem.ArenaStartRoom, stackStartRoom
// sysmem.StackStartRoom, fitProcs sysmem.FitProcs and watchCPU
// interrupt.WatchCPU (the CPU time limit's check and watch, ulimit -t);
// tests replace them.
var (
	watchCPU       = interrupt.WatchCPU
	shortOfRoom    = sysmem.ShortOfRoom
	leastRunRoom   = sysmem.LeastRunRoom
	arenaStartRoom = sysmem.ArenaStartRoom
	stackStartRoom = sysmem.StackStartRoom
	fitProcs       = sysmem.FitProcs
)

// addressSpaceShort finds whether a command that runs work (not version,
// help or a command's --help) is short of address space under its limit
// (ulimit -v) once Go's runtime has started: err names the limit to set
// for a run that starts a thread per CPU (sysmem.RunRoom), and least says
// whether even the least run's room (sysmem.LeastRunRoom, a run on one
// worker) is not left, where the command is refused; else it is a note,
// as a run on fewer threads may fit (--lanes 1e4 on the serial engine ran
// 3 of 3 times where 64 CPUs' stacks were not left). Such runs died at
// some point of "fatal error: out of memory" or of an abort in
// pthread_create, with a page of Go's trace and no word of the limit.
func addressSpaceShort(args []string) (err *envError, least bool) {
	if !runsWork(args) {
		return nil, false
	}
	limit, mapped, need, short := shortOfRoom()
	if !short {
		return nil, false
	}
	room := uint64(0)
	if mapped < limit {
		room = limit - mapped
	}
	leastNeed := leastRunRoom()
	least = room < leastNeed
	// The limit to suggest: a round figure that leaves need and a heap
	// arena more, as VmSize at the start is that much larger in some runs
	// (3 of 30 on 2 CPUs), so that it is not refused the next time; where
	// the caller did not set MALLOC_ARENA_MAX (gpusim restarted itself
	// with it), glibc's arenas of the start before the restart besides,
	// as that start aborted in pthread_create above the figure without
	// them (sysmem.ArenaStartRoom); and where gpusim restarted itself with
	// smaller thread stacks, what that start's larger stacks took
	// (sysmem.StackStartRoom). sysmem.SuggestLimit adds the arena, rounds,
	// and counts what Go's runtime maps more where the figure is past the
	// limits under which it starts small.
	lack := mapped + stackStartRoom() + need - limit
	want := sysmem.SuggestLimit(limit, lack)
	raise := fmt.Sprintf("raise it to ulimit -v %d or more", want)
	if arenas, ok := arenaStartRoom(); ok {
		raise = fmt.Sprintf("raise it to ulimit -v %d or more, or to %d or more with MALLOC_ARENA_MAX=1 set", sysmem.SuggestLimit(limit, lack+arenas), want)
	}
	// A refusal names the room it is refused for, the least run's, where
	// that is less than a thread per CPU's (more than 2 CPUs).
	under := fmt.Sprintf("the %s a run that starts a thread per CPU needs", diskfree.SizeText(need))
	if least && leastNeed < need {
		under = fmt.Sprintf("the %s even a run on one worker needs (%s for a thread per CPU)", diskfree.SizeText(leastNeed), diskfree.SizeText(need))
	}
	return &envError{name: "ulimit -v",
		msg: fmt.Sprintf("the address-space limit (ulimit -v %d, %s) leaves %s once Go's runtime has started, under %s: %s",
			limit>>10, diskfree.SizeText(limit), diskfree.SizeText(room), under, raise),
		hint: "Go's runtime reserves about 1.2 GB of address space as it starts, before any of gpusim runs; lift the limit with ulimit -v unlimited, or run under it with MALLOC_ARENA_MAX=1 set, without which Go's start can abort (fakecgo: pthread_create failed) under limits up to about 1.8 GB"}, least
}

// filesNeed is the most descriptors a command opens at once beyond those
// open as it starts (stdio, Go's cgroup files): a run's outputs, 7, each
// open from before the run to its commit, Go's poller, 2, the cache's
// lock and file, a file of /proc, a folder synced, and the OpenCL
// driver's; at most 12 were measured (run with every output on pocl),
// and 32 leaves room.
const filesNeed = 32

// descriptorsShort refuses a command that runs work (runsWork) where
// fewer than filesNeed descriptors are free under the open-file limit
// (ulimit -n), before any is opened, and otherwise starts Go's poller
// while its descriptors are free (descriptors.StartPoller):
// under ulimit -n 12 a run with its seven outputs died of "fatal error:
// runtime: netpollinit failed", and merge under 5 said its parts "cannot
// be merged: too many open files".
func descriptorsShort(args []string) *envError {
	if !runsWork(args) {
		return nil
	}
	if err := filesShort(0, ""); err != nil {
		return err
	}
	descriptors.StartPoller()
	return nil
}

// filesShort is the refusal of a command for which fewer than filesNeed
// descriptors and extra more are free under the open-file limit, nil
// where they are free or no limit is known; what says what the extra
// ones are for (bench's charts, which each stay open until they are
// written together).
func filesShort(extra uint64, what string) *envError {
	need := filesNeed + extra
	limit, free, limited := descriptors.Free(need)
	if !limited || free >= need {
		return nil
	}
	under := fmt.Sprintf("under the %d a command may need at once", filesNeed)
	if extra > 0 {
		// "leaves 142 free, under the 32 ... and the 256 ..." read as
		// if 142 were under 32: the sum comes first.
		under = fmt.Sprintf("under the %d needed: the %d a command may need at once and the %d %s", need, filesNeed, extra, what)
	}
	want := (limit - free + need + 63) / 64 * 64
	descriptors := "descriptors"
	if free == 1 {
		descriptors = "descriptor" // "leaves 1 descriptors free" under ulimit -n 6
	}
	return &envError{name: "ulimit -n", msg: fmt.Sprintf("the open-file limit (ulimit -n %d) leaves %d %s free, %s: raise it to ulimit -n %d or more", limit, free, descriptors, under, want)}
}

// runsWork reports whether args name a command that runs work: not
// version, help or a command's --help.
func runsWork(args []string) bool {
	switch firstArg(args) {
	case "", "version", "help", "-h", "--help", "-v", "--version":
		return false
	}
	return !asksHelp(args)
}

// startDevices is engines.StartDevices; tests replace it.
var startDevices = engines.StartDevices

// earlyDevices says Run may start loading the device engine's driver
// before it reads the command line (opensDevice): in a gpusim process
// (main, and the test binary as gpusim), whose exit calls exit; not in
// tests that call Run in process, where a load left running by a refused
// command line would go on into the next test.
var earlyDevices bool

// opensDevice reports whether args are a run on the device engine that
// names it (--engine opencl, its old name --backend, or --device without
// --engine), whose driver Run starts loading before it reads the command
// line (engines.StartDevices): the OpenCL warm start of issue 13's target
// (whole process, run --engine opencl --lanes 1e3 --steps 10, against
// --engine simd) took 1 ms less (scripts/warm-start/run.py, docs/
// benchmarks.md). A run that auto sends to a device loads it as it
// chooses; a run that asks for help loads nothing, and neither does one
// whose --device its form refuses (engines.CheckDeviceList), which no
// driver could make valid: run --device -1 loaded the driver it was
// refused without. The last --engine and --device given count, as the CLI
// takes them.
func opensDevice(args []string) bool {
	if firstArg(args) != "run" || asksHelp(args) {
		return false
	}
	engine, device, devices := "", false, ""
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			continue
		}
		switch name {
		case "engine", "backend":
			if !hasValue && i+1 < len(args) {
				i++
				value = args[i]
			}
			engine = strings.TrimSpace(value)
		case "device":
			if !hasValue && i+1 < len(args) {
				i++
				value = args[i]
			}
			device, devices = true, value
		}
	}
	if device && engines.CheckDeviceList(devices) != nil {
		return false
	}
	return engine == "opencl" || device && engine == ""
}

// unlimited reports whether the process runs under none of the limits
// whose checks weigh what it holds as the command line is checked: an
// address-space limit (ulimit -v: sysmem counts VmSize, which a driver
// loading meanwhile would change under the check), a hard memory limit
// (a cgroup's, which LimitHeap set as Go's memory limit), a thread limit
// (ulimit -u) or an open-file limit below earlyFiles (ulimit -n). A
// driver's early load (opensDevice) is for a process under none of them:
// under one the load waits until the checks are done, as before.
func unlimited() bool {
	if _, _, limited := sysmem.AddressSpace(); limited {
		return false
	}
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return false
	}
	if _, _, limited := threadsFree(0); limited {
		return false
	}
	limit, _, limited := descriptors.Free(0) // the limit alone: no descriptor asked
	return !limited || limit >= earlyFiles
}

// earlyFiles is the least open-file limit (ulimit -n) under which a
// driver's load may overlap the checks: far above what the command opens
// at once (filesNeed) and the driver's files, which descriptorsShort then
// need not weigh.
const earlyFiles = 1024

// textOnlyRefused is checkStdoutTakes' refusal of out, stdout, for args
// that print a text and run no work (a help, the version line), or nil:
// gpusim version, gpusim --help and gpusim run --help > /dev/full exited 1
// with "write standard output: no space left on device", where every
// other command refuses that stdout with exit 2. Their write is all they
// do, so it is refused once it has failed.
func textOnlyRefused(args []string, out io.Writer) error {
	if firstArg(args) == "--" {
		// gpusim -- version runs version, and gpusim -- run --help
		// run's help: they exited 1 too.
		args = args[1:]
	}
	what := ""
	switch firstArg(args) {
	case "version", "-v", "--version":
		what = "the version line"
	case "", "help", "h", "-h", "--help":
		what = "the help text"
	}
	if asksHelp(args) {
		what = "the help text"
	}
	if what == "" {
		return nil
	}
	return checkStdoutTakes(out, what)
}

// asksHelp reports whether args ask for a command's help (gpusim run
// --help), which runs no work: -h or --help before any "--".
func asksHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--help":
			return true
		}
	}
	return false
}

// usageError is input the CLI cannot parse: an unknown flag or command, or
// extra arguments. It exits 2 like a *sim.ParamError.
type usageError struct {
	msg  string
	hint string
	// final: shown as it is where the command line asks for help too
	// (gpusim --help extra), where other usage errors give way to the
	// help asked for (helpAsked).
	final bool
}

func (e *usageError) Error() string { return e.msg }

// envError is bad input from the environment, found before anything runs:
// a variable that names what cannot be used (TMPDIR). It prints as
// gpusim: error: NAME: ..., as a *sim.ParamError names its flag, with
// exit 2, and a hint when it has one.
type envError struct {
	name string // the variable, as it is set: TMPDIR
	msg  string
	hint string
}

func (e *envError) Error() string { return e.name + ": " + e.msg }

// notRunError is a command that could not run, through no fault of a
// device: the device engine did not load, or listed no device, for a cause
// in the environment or as OpenCL is not here (engines.CouldNotRun). It
// prints as "CMD: could not run: CAUSE" (printFailure: with its hints),
// in selftest's words (selftestNotRun), and exits 2, as bad input: exit 1
// is a device that computed wrongly or a check that failed. gpusim devices
// and run --engine opencl exited 1 there, where selftest exited 2; then
// each worded it its own way: run "start opencl: CAUSE", devices the bare
// CAUSE, bench "--engines: opencl cannot run here: CAUSE".
type notRunError struct {
	cmd   string // the command: run, bench, devices
	cause string // what kept it from running, as the error says it
	err   error
}

func (e *notRunError) Error() string {
	if e.cmd == "" {
		return e.err.Error()
	}
	return e.cmd + ": could not run: " + e.cause
}
func (e *notRunError) Unwrap() error { return e.err }

// couldNotRun is err as a *notRunError of cmd where the device engine
// could not run (engines.CouldNotRun), else err; cause is what the
// message says kept it from running (err's text where "").
func couldNotRun(cmd, cause string, err error) error {
	if err != nil && engines.CouldNotRun(err) {
		if cause == "" {
			cause = err.Error()
		}
		return &notRunError{cmd: cmd, cause: cause, err: err}
	}
	return err
}

func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runContextHeld(ctx, args, stdin, stdout, stderr, nil)
}

// signalled is a channel closed when a signal stops ctx
// (interrupt.SignalError is its cause), and never where ctx ends
// otherwise.
func signalled(ctx context.Context) <-chan struct{} {
	sig := make(chan struct{})
	context.AfterFunc(ctx, func() {
		if errors.As(context.Cause(ctx), new(*interrupt.SignalError)) {
			close(sig)
		}
	})
	return sig
}

// ofTheStop returns the stop (the *interrupt.SignalError that cancelled
// ctx) for err where the command failed of it, and err otherwise. A
// command that fails while a signal stops it failed of the stop: its
// status and message, not the failure (selftest stopped in a cold build
// exited 1 with the compiler's "failed to build the program" and a hint
// that the kernel was rejected). Past the commit point a failure is the
// run's own. Bad input is its own too where the stop is stdout's reader
// gone (SIGPIPE), which comes as the process starts in gpusim run
// --lanes 0 | true: that exited 2 with the --lanes error or 141 without
// a word, as the watch on stdout's pipe or the flags came first.
func ofTheStop(ctx context.Context, err error) error {
	var se *interrupt.SignalError
	if !errors.As(context.Cause(ctx), &se) || errors.As(err, new(*interrupt.SignalError)) || brokenStdio(err) || interrupt.Settled() {
		return err
	}
	var pe *sim.ParamError
	var ue *usageError
	var ee *envError
	if interrupt.BrokenPipe(se) && (errors.As(err, &pe) || errors.As(err, &ue) || errors.As(err, &ee)) {
		return err
	}
	return se
}

// runContextHeld is runContext with held, Run's early notes that
// earlyStderr held: written before the error, where it is written, or to
// stderr after a command that succeeds.
func runContextHeld(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, held []byte) int {
	cut0 := engines.ListingsCut()
	out := &trackedWriter{w: stdout}
	app := newApp(stdin, out, stderr)
	app.Metadata = map[string]any{"args": args}
	parse, err := repeatedFlagNoted(app, args)
	if err == nil {
		err = app.RunContext(ctx, append([]string{"gpusim"}, parse...))
	}
	if e, ok := app.Metadata["version"].(error); ok && err == nil {
		err = e
	}
	if errors.Is(err, errArgsChecked) {
		return argsPassed
	}
	if out.err != nil {
		err = withStdoutError(err, out)
	}
	if err == nil {
		stderr.Write(held)
		return 0
	}
	var pe *sim.ParamError
	var ue *usageError
	var ee *envError
	var se *interrupt.SignalError
	var te *interrupt.TimeoutError
	err = ofTheStop(ctx, err)
	if (errors.As(err, &pe) || (errors.As(err, &ue) && !ue.final) || errors.As(err, &ee)) && helpAsked(app, args) {
		// gpusim run --lanes 0 --help: the flag parser stops at the
		// first bad flag, before it reaches --help, and the help asked
		// for read as that flag's error.
		if cmd := app.Command(firstArg(args)); cmd != nil && cmd.Name != "help" {
			return runContextHeld(ctx, []string{cmd.Name, "--help"}, stdin, stdout, stderr, held)
		}
		return runContextHeld(ctx, []string{"--help"}, stdin, stdout, stderr, held)
	}
	if out.err != nil && besidesWrite(err, out.err) == nil {
		// After the help asked for: this is its refusal.
		if ee := textOnlyRefused(args, out); ee != nil {
			err = ee
		}
	}
	// Not into a file the command reads or writes (a part, a list, an
	// output) that stderr goes to.
	stderr = messageStream(args, err, stdout, stderr)
	stderr.Write(held)
	switch {
	case brokenStdio(err):
		// The reader of stdout or stderr is gone (gpusim run | head -c1):
		// SIGPIPE's status, as for a write that raced the signal, and
		// nothing to say to a reader that left.
		return interrupt.ExitSIGPIPE
	case errors.As(err, &se):
		if !interrupt.BrokenPipe(se) { // silent, as the write's SIGPIPE
			interrupt.Last(func() { fmt.Fprintf(stderr, "%sgpusim: %v\n", interrupt.WaitingNote(), se) })
		}
		return se.Status()
	case errors.As(err, &te):
		interrupt.Last(func() { fmt.Fprintf(stderr, "%sgpusim: error: %v\n", interrupt.WaitingNote(), te) })
		return interrupt.ExitTimeout
	case errors.As(err, &pe):
		fmt.Fprintf(stderr, "gpusim: error: %s\n%s", shortenLong(pe.Error()), notListedHint(err, cut0))
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "gpusim: error: %s\n", shortenLong(ue.Error()))
		if ue.hint != "" {
			fmt.Fprintf(stderr, "gpusim: hint: %s\n", shortenLong(ue.hint))
		}
		return exitUsage
	case errors.As(err, &ee):
		printEnvError(stderr, err, ee, notListedHint(err, cut0))
		return exitUsage
	}
	if m := reNoHelpTopic().FindStringSubmatch(err.Error()); m != nil {
		// urfave/cli's help command on an unknown topic: a usage error
		// like an unknown command, not a failure (exit 1).
		if cmd := app.Command(firstArg(args)); cmd != nil && cmd.Name != "help" {
			// gpusim run --help extra: the topic is the command's
			// argument, not a command (it read "unknown command").
			if strings.HasSuffix(cmd.UsageText, "...") {
				// merge --help part.json: the help asked for.
				return runContextHeld(ctx, []string{cmd.Name, "--help"}, stdin, stdout, stderr, held)
			}
			fmt.Fprintf(stderr, "gpusim: error: %s takes no arguments, got %q\n", cmd.Name, m[1])
			fmt.Fprintf(stderr, "gpusim: hint: see 'gpusim %s --help'\n", cmd.Name)
			return exitUsage
		}
		ue := unknownCommand(app, m[1])
		fmt.Fprintf(stderr, "gpusim: error: %v\ngpusim: hint: %s\n", ue, ue.hint)
		return exitUsage
	}
	printFailure(stderr, app.Command(firstArg(args)), err)
	if errors.As(err, new(*notRunError)) {
		return exitUsage
	}
	return exitFailure
}

// notListedHint is the line of engines.NotListedHint for err, a refusal,
// where a wait for the devices' listing ended past engines.ListWait since
// the command began (engines.ListingsCut was cut0) and err does not say
// so itself (refuseDevice's valid values do): the refusals of bench's
// processes children under a driver that hangs came 2 s late with no word
// of the driver, and a year's floor took its device for a GPU unexplained.
// "" where none was cut short, or err says so.
func notListedHint(err error, cut0 int64) string {
	if engines.ListingsCut() > cut0 && !strings.Contains(err.Error(), "did not answer in") {
		return "gpusim: hint: " + engines.NotListedHint() + "\n"
	}
	return ""
}

// printEnvError writes ee, the environment's refusal in err, with its hint,
// and after them the others of a joined error: the lost write of the report
// of a selftest that could not run (withStdoutError), which was not said.
// The hint follows its error, as printFailure's do: it came after the
// write's error (selftest --format json with no OpenCL library, to a
// stdout whose write failed), where devices said it before. more, a line
// or "", follows the hint (notListedHint).
func printEnvError(w io.Writer, err error, ee *envError, more string) {
	fmt.Fprintf(w, "gpusim: error: %s\n", shortenLong(ee.Error()))
	if ee.hint != "" {
		fmt.Fprintf(w, "gpusim: hint: %s\n", shortenLong(ee.hint))
	}
	io.WriteString(w, more)
	for _, m := range errorMembers(err) {
		if x := (*envError)(nil); !errors.As(m, &x) || x != ee {
			printError(w, m)
		}
	}
}

// printFailure writes err, the failure of cmd (nil: none), to w: each of
// its errors (an errorList's members, in turn) followed by its hints
// (errorHints, worded by commandHint), a hint said before not said again.
// The hints all followed the last error: selftest's failed device's hint
// came after the error of the report's write to a full stdout.
func printFailure(w io.Writer, cmd *cli.Command, err error) {
	var said []string
	cut := false
	defer func() {
		if cut {
			// After the error, as the crash handler says it.
			fmt.Fprintf(w, "gpusim: note: %v\n", stdoutCutError{})
		}
	}()
	for _, e := range errorMembers(err) {
		if errors.Is(e, stdoutCutError{}) {
			cut = true
			continue
		}
		printError(w, e)
		for _, hint := range errorHints(e) {
			if h := commandHint(cmd, hint); !slices.Contains(said, h) {
				said = append(said, h)
				fmt.Fprintf(w, "gpusim: hint: %s\n", h)
			}
		}
	}
}

// errorMembers is err's errors as they are said: an errorList's members
// (theirs in turn, where one is an errorList), else err alone.
func errorMembers(err error) []error {
	l, ok := err.(errorList)
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range l {
		out = append(out, errorMembers(e)...)
	}
	return out
}

// errorHints are the engines' hints for err (engines.Hint): one, or, for
// an error made of others that may each have one (eachHinted), each one's
// in turn, a hint said twice said once. The first alone was printed: of
// two engines that failed in a benchmark, the second's hint was lost.
func errorHints(err error) []string {
	errs := []error{err}
	for i := 0; i < len(errs); {
		// Each member of each member: a selftest's failure joined with
		// its lost report's write (withStdoutError) gave the first
		// device's hint alone.
		if e, ok := errs[i].(eachHinted); ok {
			errs = slices.Replace(errs, i, i+1, e.hinted()...)
			continue
		}
		i++
	}
	var hints []string
	for _, e := range errs {
		if h := engines.Hint(e); h != "" && !slices.Contains(hints, h) {
			hints = append(hints, h)
		}
	}
	return hints
}

// hintText is the hints of err (errorHints) worded for cmd (commandHint)
// and joined by "; ", for a JSON document's "hint" beside its "error": a
// script that reads the document got the error without what to do.
func hintText(cmd *cli.Command, err error) string {
	hints := errorHints(err)
	for i, h := range hints {
		hints[i] = commandHint(cmd, h)
	}
	return strings.Join(hints, "; ")
}

// writeJSON writes v as the JSON documents of devices and selftest are
// written: indented by two spaces, a newline after, a float's -0 as -0.0
// (jsonnum.Fix), as the report writes it.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(jsonnum.Fix(b.Bytes()))
	return err
}

// sayCrash makes an OpenCL driver's crash in the process, which its signal
// handler says (cl.SetCrashOutput), word its hint for cmd, as its errors'
// hints are (commandHint: "--engines simd" for bench, where every command
// read "--engine simd"), and, with --format json (format), write the
// document of doc with the error and hint on stdout, as writeErrorJSON
// writes a failed command's: it wrote none. It returns the func that puts
// back the handler's own words, for the next command in the process.
func sayCrash(cmd *cli.Command, format string, doc func() map[string]any) (restore func()) {
	// Each rendering kept: the handler's words are made again at each
	// marked driver call (cl.Crashing), from a few hints and calls.
	hints, docs := map[string]string{}, map[[2]string][]byte{}
	o := cl.CrashOutput{Hint: func(h string) string {
		if _, ok := hints[h]; !ok {
			hints[h] = commandHint(cmd, h)
		}
		return hints[h]
	}}
	if format == "json" {
		o.Document = func(msg, hint string) []byte {
			k := [2]string{msg, hint}
			if _, ok := docs[k]; !ok {
				var b bytes.Buffer
				writeErrorJSON(&b, doc(), errors.New(msg), hint)
				docs[k] = b.Bytes()
			}
			return docs[k]
		}
	}
	cl.SetCrashOutput(o)
	return func() { cl.SetCrashOutput(cl.CrashOutput{}) }
}

// writeErrorJSON writes doc with err's message as "error" and hint, where
// there is one, as "hint": the document a script reading --format json
// gets where a command fails before its report, which says why and what to
// do, besides err on stderr and exit 1. It returns err, joined with a
// failure to write the document.
func writeErrorJSON(w io.Writer, doc map[string]any, err error, hint string) error {
	doc["error"] = err.Error()
	if hint != "" {
		doc["hint"] = hint
	}
	if jerr := writeDocJSON(w, doc, err); errors.Is(jerr, stdoutCutError{}) {
		return joinErrors(err, jerr)
	} else if jerr != nil {
		return errors.Join(err, jerr)
	}
	return err
}

// eachHinted is an error made of others that may each have a hint of its
// own: bench's engines that failed, selftest's devices that did not start.
// (Not every error with Unwrap() []error: an OpenCL driver's absence
// unwraps to its kind and cause, and has the hint itself.)
type eachHinted interface {
	error
	hinted() []error
}

// errorList is errors.Join's error, whose members' hints are each printed
// (eachHinted).
type errorList []error

// joinErrors is errors.Join of errs as an errorList: nil where every one is
// nil.
func joinErrors(errs ...error) error {
	var l errorList
	for _, err := range errs {
		if err != nil {
			l = append(l, err)
		}
	}
	if l == nil {
		return nil
	}
	return l
}

func (l errorList) Error() string   { return errors.Join(l...).Error() }
func (l errorList) Unwrap() []error { return l }
func (l errorList) hinted() []error { return l }

// commandHint is an engine's hint worded for cmd, the command that failed
// (nil: none): the hints name run's flags ("or use a CPU engine (--engine
// simd)", "run without --out"), and bench, which takes --engines and no
// --out, selftest and devices, which take neither, got flags they do not
// take (cl.ForCommand).
func commandHint(cmd *cli.Command, hint string) string {
	takes := map[string]bool{}
	if cmd != nil {
		for _, f := range cmd.Flags {
			for _, n := range f.Names() {
				takes[n] = true
			}
		}
	}
	return cl.ForCommand(hint, func(flag string) bool { return takes[flag] })
}

// helpAsked reports whether args (the command line after "gpusim") ask for
// help: -h or --help, in the forms the flag package takes (-help, --h,
// --help=true), before a "--" that ends the flags, and not as the value of
// a flag that takes one (run --out -h is --out's error, not help).
func helpAsked(app *cli.App, args []string) bool {
	takesValue := map[string]bool{}
	if len(args) > 0 {
		if cmd := app.Command(args[0]); cmd != nil {
			for _, f := range cmd.Flags {
				if _, ok := f.(*cli.BoolFlag); !ok {
					for _, n := range f.Names() {
						takesValue[n] = true
					}
				}
			}
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
		if name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "="); len(a) > 1 && a[0] == '-' && !hasValue && takesValue[name] {
			i++ // its value
		}
	}
	return false
}

// isHelpFlag reports whether a is -h, --help or either set true
// (-h=1, --help=true, ...: the values strconv.ParseBool reads as true,
// as the flag package does). A string test, where a regexp compiled at
// start cost every command 0.1 ms.
func isHelpFlag(a string) bool {
	name, ok := strings.CutPrefix(a, "-")
	if !ok {
		return false
	}
	name = strings.TrimPrefix(name, "-")
	name, value, hasValue := strings.Cut(name, "=")
	if name != "h" && name != "help" {
		return false
	}
	if !hasValue {
		return true
	}
	switch value {
	case "1", "t", "T", "true", "TRUE", "True":
		return true
	}
	return false
}

// brokenStdio reports whether err is a write to stdout or stderr whose pipe's
// reader has gone (pipeGone: EPIPE, or Windows' errors for it): it exited 1
// with "write /dev/stdout: broken pipe" where a write to stderr exited 141.
// Go names the standard files so on Windows too.
func brokenStdio(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && (pe.Path == "/dev/stdout" || pe.Path == "/dev/stderr") && pipeGone(pe.Err)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	// --version prints what the version command prints (it printed
	// "gpusim version dev" without the toolchain and platform).
	// Words after it are refused, as after --help (gpusim --version extra
	// printed the version with exit 0, extra unread): urfave prints the
	// version with no way to fail, so the refusal is kept for runContext
	// (versionArgs) and nothing is printed.
	cli.VersionPrinter = func(c *cli.Context) {
		if c.Args().Present() {
			c.App.Metadata["version"] = versionArgs(c)
			return
		}
		_ = printVersion(c)
	}
	app := &cli.App{
		Name:      "gpusim",
		Usage:     "a bit-for-bit reproducible Monte Carlo of a weather recurrence",
		UsageText: "gpusim [--help] <command> [flags]",
		Version:   versionString(),
		Reader:    stdin,
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors come back from RunContext as values; runContext prints them.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		Commands:       commands(),
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return unknownCommand(c.App, c.Args().First())
			}
			c.App.Writer = c.App.ErrWriter
			cli.ShowAppHelp(c)
			return &usageError{msg: fmt.Sprintf("no command given (valid: %s)", commandNames(c.App))}
		},
	}
	// Setup adds urfave's help command, whose bad flags ('gpusim help
	// --lanes') printed urfave's own "Incorrect Usage" page and exited 1:
	// it gets gpusim's handler as well.
	app.Setup()
	for _, c := range app.Commands {
		c.OnUsageError = onUsageError
		c.Before = noteDeprecated
	}
	return app
}

// deprecatedFlags are flags' old names, each with its new one: given, the
// old one is read as the new one, with a note (noteDeprecated).
var deprecatedFlags = map[string]string{"backend": "engine"}

// noteDeprecated is every command's Before, run as soon as its flags are
// parsed: a note for each old flag name given (deprecatedFlags), once,
// before any refusal. It came with the job's notes, once the job would
// run, so that a job refused never said that --backend is now --engine.
// None where the new name is given too: that is refused, saying so.
func noteDeprecated(c *cli.Context) error {
	notePastFlags(c, c.IsSet)
	return nil
}

// notePastFlags writes noteDeprecated's notes for the flags of c's command
// that given says were given.
func notePastFlags(c *cli.Context, given func(name string) bool) {
	notePast(c.App.ErrWriter, c.Command, given)
}

// notePast writes to w noteDeprecated's notes for the flags of cmd (none
// where it is nil) that given says were given.
func notePast(w io.Writer, cmd *cli.Command, given func(name string) bool) {
	if cmd == nil {
		return
	}
	for _, f := range cmd.Flags {
		name := f.Names()[0]
		if now, ok := deprecatedFlags[name]; ok && given(name) && !given(now) {
			fmt.Fprintf(w, "gpusim: note: --%s is now called --%s\n", name, now)
		}
	}
}

// repeatedFlagNoted is repeatedFlag, with noteDeprecated's notes before
// its refusal, read from the args (givenIn): a flag given twice is
// refused before the flags are parsed, so before the command's Before, and
// run --backend serial --backend simd said "--backend: given twice"
// without the note that --backend is now --engine.
func repeatedFlagNoted(app *cli.App, args []string) ([]string, error) {
	parse, err := repeatedFlag(app, args)
	if err != nil && len(args) > 0 {
		notePast(app.ErrWriter, app.Command(args[0]), givenIn(args[1:]))
	}
	return parse, err
}

// givenIn says whether args, a command's, give the flag name (--name,
// -name, --name=V), before a "--" that ends the flags: for a command whose
// flags did not parse, whose refusal comes before its Before
// (noteDeprecated), and whose flags past the bad one were never read.
func givenIn(args []string) func(name string) bool {
	return func(name string) bool {
		for _, a := range args {
			if a == "--" {
				return false
			}
			flag, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
			if strings.HasPrefix(a, "-") && flag == name {
				return true
			}
		}
		return false
	}
}

// commands are gpusim's commands, each with flags of its own: urfave/cli
// records parse state in them.
func commands() []*cli.Command {
	return []*cli.Command{runCommand(), mergeCommand(), benchCommand(), devicesCommand(), selftestCommand(), versionCommand()}
}

// helpUsage words urfave/cli's help command as the other commands, in
// lowercase: its "Shows a list of commands or help for one command" was
// the one capitalised line of gpusim --help. The command is urfave's one
// value, which every app's Setup adds (a copy of it, added before Setup,
// lost its way back to the app's help), so it is worded once, before any
// app runs.
//
// Its own help (gpusim help help) read " help [command options] [command]":
// Setup names each command "gpusim NAME" before it adds help, which kept no
// name; it gets the usage the other commands' helps show. What it is given
// is checked first (helpArgs).
func init() {
	bare := &cli.App{}
	bare.Setup()
	help := bare.Command("help")
	help.Usage = "show the commands, or one command's flags and help"
	help.HelpName, help.UsageText = "gpusim help", "gpusim help [command]"
	show := help.Action
	help.Action = func(c *cli.Context) error {
		if err := helpArgs(c); err != nil {
			return err
		}
		if helpOfHelp(c) {
			// As gpusim help help prints it: the command's template,
			// without the help subcommand urfave gives every command
			// it runs (ShowCommandHelp lists it).
			templ := c.Command.CustomHelpTemplate
			if templ == "" {
				templ = cli.CommandHelpTemplate
			}
			cli.HelpPrinter(c.App.Writer, templ, c.Command)
			return nil
		}
		return show(c)
	}
}

// helpOfHelp says whether c, the context help's action runs in, is help's
// own --help or -h without a command (gpusim help --help): help's help, as
// gpusim help help shows it, where --help after any other command shows
// that command's (gpusim run --help), and as git help --help and cobra's
// help --help do. It showed the app's help, as urfave/cli's own help
// command does: its action takes help --help for help alone.
func helpOfHelp(c *cli.Context) bool {
	if c.Command == nil || c.Command.Name != "help" || !c.Bool("help") || len(c.Lineage()) < 2 {
		return false
	}
	if p := c.Lineage()[1]; p.Command != nil && p.Command.Name == "help" {
		return false // help help --help: help's help already
	}
	return !slices.ContainsFunc(c.Args().Slice(), func(w string) bool { return !isHelpFlag(w) })
}

// helpArgs checks the words gpusim help, or a --help, was given, c being
// the context urfave calls help's action with. gpusim help and gpusim
// --help take at most one command name, which must name a command (help
// and h included); a command's help (gpusim run --help, gpusim run help)
// takes none. A -h or --help among the words asks for the help being
// shown and is not counted (gpusim help run -h showed the app's help).
//
// urfave gives every command, help too, a help subcommand, and ran gpusim
// help help run as help's help on the topic "run": it read 'unknown
// command "run"' with run among the valid ones, and gpusim help h h showed
// help's help with exit 0. So the words are counted over the chain of help
// commands c ends: one for each help below the first, then c's own. The
// words of a command's help are its arguments, as in gpusim run --help
// extra: urfave's error for those (reNoHelpTopic), which it did not give
// for an empty word or the word help, is returned for runContext to word.
func helpArgs(c *cli.Context) error {
	chain := c.Lineage()
	n := 0 // chain[:n] are the help contexts, innermost first
	for n < len(chain) && chain[n].Command != nil && chain[n].Command.Name == "help" {
		n++
	}
	var words []string
	for i := n - 1; i > 0; i-- {
		words = append(words, chain[i].Args().First())
	}
	for _, w := range c.Args().Slice() {
		if !isHelpFlag(w) {
			words = append(words, w)
		}
	}
	if owner := chain[n]; owner.Command != nil && owner.Command.Name != c.App.Name {
		if len(words) > 0 {
			return cli.Exit(fmt.Sprintf("No help topic for '%v'", words[0]), 3)
		}
		return nil
	}
	switch {
	case len(words) > 1:
		return &usageError{
			msg:   fmt.Sprintf("help takes at most one command, got %d: %q (valid: %s)", len(words), words, commandNames(c.App)),
			hint:  "gpusim help COMMAND shows one command's flags and help",
			final: true,
		}
	case len(words) == 1 && c.App.Command(words[0]) == nil:
		ue := unknownCommand(c.App, words[0])
		ue.final = true
		return ue
	}
	return nil
}

// unknownCommand is the usage error for name, which names no command of
// app: an empty name (gpusim "", gpusim help "") is worded as empty.
func unknownCommand(app *cli.App, name string) *usageError {
	msg := fmt.Sprintf("unknown command %q (valid: %s)", name, commandNames(app))
	if name == "" {
		msg = fmt.Sprintf("empty command name \"\" (valid: %s)", commandNames(app))
	}
	return &usageError{msg: msg, hint: commandSuggestion(app, name) + "see 'gpusim --help'"}
}

// commandNames lists the app's commands for error messages.
// firstArg is args[0], or "" when there is none.
func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

func commandNames(app *cli.App) string {
	var names []string
	for _, c := range app.Commands {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, ", ")
}

// The flag package's parse errors, which urfave/cli passes on, compiled
// when an error needs them: the eight regexps package main compiled at
// start took 0.7 ms of every command's (version's) 25 ms on this
// project's 2-core machine (perf, 40 starts).
var (
	reBadValue  = lazyRegexp(`^invalid value "(.*)" for flag -+([^:]+): (.*)$`)
	reBadBool   = lazyRegexp(`^invalid boolean value "(.*)" for -+([^:]+): (.*)$`)
	reNoValue   = lazyRegexp(`^flag needs an argument: -+(.*)$`)
	reNoFlag    = lazyRegexp(`^flag provided but not defined: -+(.*)$`)
	reBadSyntax = lazyRegexp(`^bad flag syntax: (.*)$`)
	reTwoForms  = lazyRegexp(`^Cannot use two forms of the same flag: (\S+) (\S+)$`)
	// urfave/cli's help command's error for an unknown command.
	reNoHelpTopic = lazyRegexp(`^No help topic for '(.*)'$`)
)

// lazyRegexp returns expr compiled on its first call (regexp.MustCompile:
// it panics on a bad expr, as at package init).
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// wantValue replaces the flag package's "parse error" with what a flag takes.
var wantValue = map[string]string{
	"start":       "want a number such as 75 or -3.5 (" + sim.ValidRange("start") + ")",
	"anchor":      "want a number such as 72 or -3.5 (" + sim.ValidRange("anchor") + ")",
	"persistence": "want a number such as 0.5 (" + sim.ValidRange("persistence") + "; |persistence| >= 1 grows with the steps)",
	"sigma":       "want a number such as 5 or 0.25 (" + sim.ValidRange("sigma") + ")",
	"timeout":     "want a duration such as 30s, 5m or 1h30m (valid range 0..2562047h, 0 for none)",
}

// flagUsage is the help's text of the flag name of c's command (of the app
// for its own flags), its placeholder's backquotes removed: "N independent
// runs (1..2^64-1)"; "" for a flag it does not have.
func flagUsage(c *cli.Context, name string) string {
	flags := c.App.Flags
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		flags = c.Command.Flags
	}
	for _, f := range flags {
		if d, ok := f.(cli.DocGenerationFlag); ok && slices.Contains(f.Names(), name) {
			return strings.ReplaceAll(d.GetUsage(), "`", "")
		}
	}
	return ""
}

// unquoted is the value q of a flag parse error as given: the flag
// package quotes it (%q), and quoted again it read "\\xff" for a byte
// 0xff and "a\\\"b" for a"b.
func unquoted(q string) string {
	if v, err := strconv.Unquote(`"` + q + `"`); err == nil {
		return v
	}
	return q
}

// onUsageError turns a flag parse error into a *sim.ParamError naming the
// flag, or a usageError, so it prints as gpusim: error: --flag: ...
func onUsageError(c *cli.Context, err error, _ bool) error {
	if args, ok := c.App.Metadata["args"].([]string); ok && len(args) > 0 {
		// Before the refusal, as noteDeprecated says it where the
		// flags parse.
		notePastFlags(c, givenIn(args[1:]))
	}
	msg := err.Error()
	if m := reBadValue().FindStringSubmatch(msg); m != nil {
		why := m[3]
		if w, ok := wantValue[m[2]]; ok && (why == "parse error" || why == "value out of range") {
			why = w
		}
		return flagError(c, m[2], fmt.Sprintf("invalid value %q: %s", unquoted(m[1]), why))
	}
	if m := reBadBool().FindStringSubmatch(msg); m != nil {
		return flagError(c, m[2], fmt.Sprintf("invalid value %q: want true or false (or the flag alone for true)", unquoted(m[1])))
	}
	if m := reNoValue().FindStringSubmatch(msg); m != nil {
		// With what it takes, as its help says it: a bare "needs a
		// value" gave no valid range ('gpusim run --lanes').
		why := "needs a value"
		if u := flagUsage(c, m[1]); u != "" {
			why += ": " + u
		}
		return flagError(c, m[1], why)
	}
	// The app's own flags come with the app as c.Command, named as the
	// app: the hint read 'gpusim gpusim --help'.
	// 'gpusim help --lanes' too: help takes no flags but -h.
	cmd := c.Command
	if cmd == nil || cmd.Name == "" || cmd.Name == c.App.Name || cmd.Name == "help" {
		cmd = nil
	}
	if m := reNoFlag().FindStringSubmatch(msg); m != nil {
		name := flagAsTyped(c, m[1])
		said := name
		if !printable(name) || strings.ContainsFunc(name, unicode.IsSpace) {
			// Quoted, as other values given are: bytes not UTF-8
			// or control characters went to the terminal as typed,
			// and a space (run '--lanes 5') ended the name unseen.
			said = strconv.Quote(name)
		}
		return &usageError{msg: "unknown flag " + said, hint: unknownFlagHint(c.App, cmd, m[1], name)}
	}
	help := "gpusim --help"
	if cmd != nil {
		help = "gpusim " + cmd.Name + " --help"
	}
	if m := reTwoForms().FindStringSubmatch(msg); m != nil {
		// gpusim -v=true --version, as repeatedFlag words a repeat.
		return &sim.ParamError{Flag: m[2], Msg: "given twice: give it once (the last would win without a word)"}
	}
	hint := fmt.Sprintf("see '%s'", help)
	if m := reBadSyntax().FindStringSubmatch(msg); m != nil {
		// run ---lanes 5: three dashes, a flag with two.
		name, _, _ := strings.Cut(strings.TrimLeft(m[1], "-"), "=")
		if flagUsage(c, name) != "" {
			hint = fmt.Sprintf("flags take two dashes: --%s; %s", name, hint)
		}
	}
	return &usageError{msg: strings.TrimSuffix(msg, "."), hint: hint}
}

// versionArgs is the refusal of gpusim --version given words after it
// (c's arguments: gpusim --version extra, gpusim -v run), naming it as
// typed.
func versionArgs(c *cli.Context) error {
	typed := "--version"
	for _, a := range commandLine(c) {
		if name, _, _ := strings.Cut(a, "="); name == "-v" || name == "--v" || name == "-version" || name == "--version" {
			typed = name
			break // the first, as a repeat is dropped (rootRepeats)
		}
	}
	return &usageError{
		msg:  fmt.Sprintf("%s takes no arguments, got %q", typed, c.Args().First()),
		hint: "gpusim --version, or gpusim version, prints the version alone: give a command without it",
	}
}

// printable reports whether s is valid UTF-8 of printable characters
// alone, which an error may write unquoted.
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) })
}

// flagError is msg, what is wrong with the flag name, as an error that
// names the flag as it was typed (flagAsTyped): a *sim.ParamError for
// --name, a usageError for -x, which a ParamError names --x (run -q=2 read
// "--q: invalid value").
func flagError(c *cli.Context, name, msg string) error {
	if typed := flagAsTyped(c, name); typed != "--"+name {
		return &usageError{msg: typed + ": " + msg}
	}
	return &sim.ParamError{Flag: name, Msg: msg}
}

// flagAsTyped is the flag name, as the flag package names it in its
// errors, as the command line typed it: -x for a one-letter flag typed
// with one dash (-x, '-q 1'), --x where with two, and --name for a longer
// one however typed (-lanes reads as --lanes); where the command line has
// none of these, -x for one letter and --name for more.
func flagAsTyped(c *cli.Context, name string) string {
	for _, a := range commandLine(c) {
		if a == "--" {
			break
		}
		if a == "--"+name || strings.HasPrefix(a, "--"+name+"=") {
			return "--" + name
		}
		if a == "-"+name || strings.HasPrefix(a, "-"+name+"=") {
			if len(name) == 1 || name[1] == ' ' {
				return "-" + name
			}
			break // -lanes reads as --lanes, the name errors give
		}
	}
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// commandLine is the command line after "gpusim" that c's app runs, as
// runContext keeps it in the app's Metadata; os.Args' where it has none.
// (os.Args' alone named a flag as the test binary's command line typed it,
// not as the one gpusim was given in the test.)
func commandLine(c *cli.Context) []string {
	if args, ok := c.App.Metadata["args"].([]string); ok {
		return args
	}
	return os.Args[1:]
}

// printError prints err as "gpusim: error: ..." lines: each of several
// joined errors (errors.Join: two outputs that failed to write) gets the
// prefix, while indented lines continue the error above them.
func printError(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		fmt.Fprintf(w, "gpusim: error: %s\n", line)
	}
}

// trackedWriter keeps the first write error of w, for output written by
// code that ignores it.
// stdoutError is a failed write to standard output, worded one way
// whichever command wrote and however stdout is named: "write standard
// output: CAUSE" (run and merge said "write /dev/stdout: ...", help and
// selftest "write standard output: write /dev/stdout: ...").
// A report cut short is cut back out of a regular file (trackedWriter),
// and the error says so (cut), with the run's digest where the report was
// a run's or a merge's (digest, from lostReport): the one figure that
// names the result is not lost with it.
type stdoutError struct {
	err    error
	cut    bool
	digest string
}

func (e *stdoutError) Error() string {
	cause := e.err
	var pe *fs.PathError
	if errors.As(cause, &pe) {
		cause = pe.Err
	}
	msg := "write standard output: " + cause.Error()
	switch {
	case e.cut && e.digest != "":
		msg += fmt.Sprintf(" (the report was taken back out of the file, which holds none of it; its digest is %s)", e.digest)
	case e.cut:
		msg += " (the output was taken back out of the file, which holds none of it)"
	case e.digest != "":
		msg += fmt.Sprintf(" (the report's digest is %s)", e.digest)
	}
	return msg
}

// lostReport is a failed write of the report of a run or a merge whose
// digest is digest, for stdoutError to name.
type lostReport struct {
	err    error
	digest string
}

func (e *lostReport) Error() string { return e.err.Error() }
func (e *lostReport) Unwrap() error { return e.err }

func (e *stdoutError) Unwrap() error { return e.err }

// withStdoutError is err, a command's outcome, where out, its stdout,
// failed a write: that write as a stdoutError, beside the command's own
// failure where it has one besides the write (besidesWrite). Help texts are
// printed by urfave/cli, which drops write errors: help to a full disk
// exited 0. A command's own failed write is worded as that one (it read
// "write /dev/stdout: ..."). The whole error was replaced by the write's
// where it held the write: devices --format json > /dev/full said only
// "write standard output: ..." and not why no device was listed, nor its
// hint; and a failure without the write was said alone: selftest of a
// failed device > /dev/full never said its report was lost.
func withStdoutError(err error, out *trackedWriter) error {
	se := &stdoutError{err: out.err, cut: out.cut}
	var lr *lostReport
	if errors.As(err, &lr) {
		se.digest = lr.digest
	}
	own := besidesWrite(err, out.err)
	switch {
	case own == nil:
		return se
	case brokenStdio(out.err):
		// The reader of stdout is gone: SIGPIPE's status where the
		// error holds the write, the failure alone where it does not,
		// as before; a reader that left is told nothing.
		if sameWrite(err, out.err) {
			return se
		}
		return err
	}
	return joinErrors(own, se)
}

// besidesWrite is err less its failed writes to where written went
// (sameWrite): nil where err is nil or that write alone, err where it does
// not hold it, and otherwise the other members of a joined error (an error
// document that failed to write, writeErrorJSON), one alone as itself.
func besidesWrite(err, written error) error {
	if err == nil || !sameWrite(err, written) {
		return err
	}
	multi, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return nil // the write, or an error that wraps it (lostReport)
	}
	var rest []error
	for _, e := range multi.Unwrap() {
		rest = append(rest, besidesWrite(e, written))
	}
	switch l, _ := joinErrors(rest...).(errorList); len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	default:
		return l
	}
}

// sameWrite says whether err is, or wraps, a failed write to where written,
// a failed write to stdout, went: written itself, or a later write's error
// on the same file (a tabwriter that failed once writes again as it
// flushes: gpusim devices > /dev/full).
func sameWrite(err, written error) bool {
	if errors.Is(err, written) {
		return true
	}
	var a, b *fs.PathError
	return errors.As(err, &a) && errors.As(written, &b) && a.Op == b.Op && a.Path == b.Path
}

type trackedWriter struct {
	w   io.Writer
	err error

	// A regular file's size where this process's output to it began
	// (outputStart, read at the first write), and whether a failed write
	// cuts it back there (undo).
	begun bool
	start int64
	undo  bool
	// cut says the file was cut back to start after the write failed.
	cut bool
}

// Write writes p to t.w. Where t.w is a regular file written at its end
// (gpusim run > r.json), a failed write (a full disk, ulimit -f) cuts it
// back to where this process's output began, so that it holds all of the
// report or none of it: a report cut off after 4096 bytes was left there,
// a JSON document that no reader takes, beside exit 1. Once a write has
// failed, nothing more is written (each later write returns its error): a
// report written in parts (selftest's devices, then its summary line) had
// a later part fit in the room a failed one left, and the file held
// "selftest: 1 device, every check passed" without the device's checks,
// beside an error that said it held none of the report.
func (t *trackedWriter) Write(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	f, isFile := t.w.(*os.File)
	if !t.begun && isFile {
		t.begun = true
		t.start, t.undo = outputStart(f)
	}
	n, err := t.w.Write(p)
	if err != nil && t.err == nil {
		t.err = err
		if t.undo && f.Truncate(t.start) == nil {
			f.Seek(t.start, io.SeekStart)
			t.cut = true
		}
	}
	return n, err
}

// rootRepeats is args, gpusim's own flags first (no command), less the
// repeats of a bare boolean of the app's (-v --version, -h --help), as
// repeatedFlag drops a command's: gpusim -v --version read "Cannot use two
// forms of the same flag: v version" where run -q --quiet runs.
func rootRepeats(app *cli.App, args []string) []string {
	primary := map[string]string{}
	for _, f := range app.Flags {
		if _, ok := f.(*cli.BoolFlag); ok {
			for _, n := range f.Names() {
				primary[n] = f.Names()[0]
			}
		}
	}
	seen := map[string]bool{}
	out := []string{}
	for i, a := range args {
		if a == "--" || !strings.HasPrefix(a, "-") {
			return append(out, args[i:]...)
		}
		p, ok := primary[strings.TrimLeft(a, "-")]
		if ok && seen[p] {
			continue
		}
		seen[p] = ok
		out = append(out, a)
	}
	return out
}

// listFlags are each command's flags whose value is a list, for
// repeatAdvice.
var listFlags = map[string][]string{
	"bench":    {"lanes", "steps", "workers", "sweep", "engines", "plot-format"},
	"run":      {"device"},
	"selftest": {"device"},
}

// repeatAdvice is how to give both values of flag p of command cmd,
// given first and then again, where the two may be meant together: for a
// list flag the list of both ("; for both, give one list: --lanes
// 1k,1M"), and for merge's --files-from, which reads one list, the lists
// as one (cat them); "" for any other flag, an empty value, or the same
// value twice. Its refusal said "give it once" alone: merge --files-from
// a.list --files-from b.list left the way to merge both to be guessed.
func repeatAdvice(cmd, p, first, again string) string {
	a, b := strings.TrimSpace(first), strings.TrimSpace(again)
	switch {
	case a == "" || b == "" || a == b:
		return ""
	case cmd == "merge" && p == "files-from":
		return fmt.Sprintf("; merge reads one list: to merge the parts both name, give them as one (cat %s %s | gpusim merge --files-from -)", shellWord(first), shellWord(again))
	case slices.Contains(listFlags[cmd], p):
		return fmt.Sprintf("; for both, give one list: --%s %s", p, shellWord(a+","+b))
	}
	return ""
}

// shellWord is s as a POSIX shell reads it back as one word: as it is
// where it holds only letters, digits and ._/,:+=@%^-, else in single
// quotes (each ' as '\”).
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/,:+=@%^-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// repeatedFlag refuses a flag given twice to a command (--shard 1/2
// --shard 0/2, --lanes 100 --lanes 1e19): the flag package keeps the last
// value without a word, so a script that appends a flag to a command line
// silently changes the job. args are the command line after "gpusim"; it
// returns them as the command is to parse them.
//
// A boolean flag given bare each time (run -q -q, -q --quiet) loses no
// value: it is taken, as the flag package and other tools take it, and
// its repeats are dropped from the args returned (it was refused as if
// the last would win, and urfave refuses -q --quiet as "Cannot use two
// forms of the same flag"). One given a value too (--daily
// --daily=false) is refused as a valued flag is.
func repeatedFlag(app *cli.App, args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	cmd := app.Command(args[0])
	if cmd == nil {
		return rootRepeats(app, args), nil
	}
	primary := map[string]string{} // every name and alias -> the flag's name
	isBool := map[string]bool{}
	usage := map[string]string{}
	for _, f := range cmd.Flags {
		names := f.Names()
		for _, n := range names {
			primary[n] = names[0]
		}
		if _, ok := f.(*cli.BoolFlag); ok {
			isBool[names[0]] = true
		}
		if d, ok := f.(cli.DocGenerationFlag); ok {
			usage[names[0]] = strings.ReplaceAll(d.GetUsage(), "`", "")
		}
	}
	// noValue is the error of flag p given without its value, where next
	// (if any) is what stands in its place: the flag parser took the next
	// flag for the value (run --out --daily: "--daily" has no extension),
	// or said the flag was given twice where its repeat ended the line.
	noValue := func(p, next string) error {
		msg := "needs a value"
		if u := usage[p]; u != "" {
			msg += ": " + u
		}
		if next != "" {
			msg += fmt.Sprintf(" (%q after it is a flag; a value that is one is written --%s=%s)", next, p, next)
		}
		return &sim.ParamError{Flag: p, Msg: msg}
	}
	isFlag := func(a string) bool {
		if len(a) < 2 || a[0] != '-' {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		_, ok := primary[name]
		return ok
	}
	seen := map[string]bool{}
	first := map[string]string{} // the value a flag was first given
	valued := map[string]bool{}  // a boolean given with =VALUE
	out := []string{args[0]}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		out = append(out, a)
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		p, ok := primary[name]
		if !ok {
			continue // unknown: the parser says so
		}
		valued[p] = valued[p] || hasValue
		if !hasValue && !isBool[p] {
			switch {
			case i+1 == len(args):
				return nil, noValue(p, "")
			case isFlag(args[i+1]):
				return nil, noValue(p, args[i+1])
			}
		}
		_, v, _ := strings.Cut(a, "=")
		if !hasValue && !isBool[p] && i+1 < len(args) {
			v = args[i+1]
		}
		if seen[p] && (!isBool[p] || valued[p]) {
			return nil, &sim.ParamError{Flag: p, Msg: "given twice: give it once (the last would win without a word)" + repeatAdvice(cmd.Name, p, first[p], v)}
		}
		if seen[p] {
			out = out[:len(out)-1] // a bare boolean again
		}
		seen[p], first[p] = true, v
		if !hasValue && !isBool[p] && i+1 < len(args) {
			i++ // its value, which may start with a dash (--start -5)
			out = append(out, args[i])
		}
	}
	return out, nil
}
