package engines

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/cachedir"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/quote"
	"github.com/gpusim/gpusim/internal/suggest"
	"github.com/gpusim/gpusim/sim"
)

// openCLEntry is the OpenCL engine: package gpu on any OpenCL device.
var openCLEntry = Entry{
	Name: "opencl", Help: "an OpenCL device (--device, --math, --vector-width)",
	Takes: []string{TakesDevice, TakesMath, TakesVectorWidth},
	Open: func(ctx context.Context, o Options) (sim.Engine, error) {
		e, err := openOpenCL(o)
		if err != nil && ctx.Err() != nil {
			// Stopped while the device started (a signal during a cold
			// build, whose compiler then fails on its deleted temporary
			// files): the cause, not the build's failure.
			return nil, context.Cause(ctx)
		}
		return e, err
	},
	Bench:   benchOpenCL,
	Devices: openCLDevices,
	Absent:  openCLAbsent,
	NotLoaded: func(err error) bool {
		return errors.Is(err, cl.ErrAddressSpace) || errors.Is(err, cl.ErrThreads) || errors.Is(err, cl.ErrStack) || errors.Is(err, cl.ErrProbeUnrun)
	},
	Hint:         openCLHint,
	FallbackHint: openCLFallbackHint,
	Notes:        gpu.Notes,
	SelfTest:     openCLSelfTests,
	ProgramFile: func(o Options, index int) string {
		// "" where the driver does not list its devices in
		// answerWait: auto's look at a calibrated device's program
		// (one the calibration keeps no file of) waited for ever on a
		// driver that hangs, before its start would have ended.
		if _, err := listedWithin(); err != nil {
			return ""
		}
		return gpu.ProgramFile(gpu.Options{Device: index, Math: o.Math, VectorWidth: o.VectorWidth, NoDaily: o.OneJob && !o.Daily})
	},
	ProgramLoadable: gpu.ProgramLoadable,
	BuildRefused:    gpu.BuildRefusedLabeled,
	RefusalKeys:     gpu.RefusalKeys,
	CrashRefused:    gpu.RefusedKeys,
	Unanswered:      openCLUnanswered,
}

// openCLHint is the OpenCL binding's hint for err, or, when OpenCL is absent,
// what to install or set.
func openCLHint(err error) string {
	if ue := (*unansweredError)(nil); errors.As(err, &ue) {
		return unansweredHint(ue)
	}
	if na := (*NoAnswerError)(nil); errors.As(err, &na) {
		return noAnswerHint(na)
	}
	if h := gpu.CrashHint(err); h != "" {
		return h + "; or run on a CPU engine (--engine simd)"
	}
	if h := cl.HintFor(err); h != "" {
		return h
	}
	if errors.Is(err, cl.ErrNoLibrary) || errors.Is(err, cl.ErrNoPlatform) || errors.Is(err, gpu.ErrNoDevice) {
		return fmt.Sprintf("install an OpenCL driver (pocl-opencl-icd for CPUs) or set %s to libOpenCL.so; %s", cl.EnvLibrary, cl.CPUEnginesRun)
	}
	return ""
}

// openCLFallbackHint is the fix auto notes beside running on simd where
// OpenCL did not load, one line: the fix of the OpenCL variables the user
// set that caused it (cl.SettingFor: GPUSIM_OPENCL_LIBRARY, OCL_ICD_VENDORS,
// OPENCL_VENDOR_PATH, OCL_ICD_FILENAMES), whatever the variable, as the
// user who set one wants OpenCL; else openCLHint without its remedy of the
// CPU engines (auto runs on one) where OpenCL is installed but cannot work
// here (cl.ErrEnvironment: pocl without a writable kernel cache, an empty
// POCL_CACHE_DIR; not a driver left unloaded under ulimit -v or -u, a limit the
// user chose, which the note names) or GPUSIM_OPENCL_LIBRARY names a
// library that found no driver. "" where OpenCL is simply not here: a
// machine without it, where auto runs every job, is noted in one line
// without advice on every run, and `gpusim devices` says what to install.
// Only GPUSIM_OPENCL_LIBRARY had
// its hint: an OCL_ICD_VENDORS folder without .icd files was noted as
// OpenCL not being here, with no word of the variable.
func openCLFallbackHint(err error) string {
	if s := cl.SettingFor(err); s != "" {
		return s
	}
	if h := gpu.CrashHint(err); h != "" {
		// A driver that crashed there: auto leaves the device while the
		// mark stays.
		return h
	}
	if errors.Is(err, cl.ErrEnvironment) && !errors.Is(err, cl.ErrAddressSpace) && !errors.Is(err, cl.ErrThreads) && !errors.Is(err, cl.ErrStack) || os.Getenv(cl.EnvLibrary) != "" {
		return cl.WithoutCPU(openCLHint(err))
	}
	return ""
}

// CheckOptions checks the values of the options engines take on their own,
// whatever the engine, before anything runs: --math, --vector-width and
// the form of --device's list (not its indexes, which need the devices),
// refused without listing them. Errors are *sim.ParamError.
func CheckOptions(o Options) error {
	switch o.Math {
	case "", sim.MathExact, sim.MathFast:
	default:
		return &sim.ParamError{Flag: "math", Msg: fmt.Sprintf("unknown mode %q%s (valid: exact, fast)", o.Math, suggest.Value(o.Math, sim.MathExact, sim.MathFast))}
	}
	if o.VectorWidth != 0 && !slices.Contains(gpu.VectorWidths, o.VectorWidth) {
		return &sim.ParamError{Flag: "vector-width", Msg: fmt.Sprintf("%d is not a valid width (valid: 0 for auto, 1, 2, 4, 8, 16)", o.VectorWidth)}
	}
	if o.Devices != "" && o.Unlisted {
		return CheckDeviceList(o.Devices)
	}
	if o.Devices != "" {
		if _, err := ParseDevices(o.Devices, -1); err != nil {
			return err
		}
	}
	return nil
}

// refuseDevice is every refusal of a value that names no device here
// (--device's, selftest --device's, bench --engines ENTRY:N's), in one
// shape, the count flags': invalid value "V": WHY (valid range 0..K,
// FORMS), with the range of the devices listed here and then the devices,
// one a line; where there are none, it says so. --device -1 named the
// range the syntax allows (0..2147483647) where --device 1 named this
// machine's, as "opencl: no device 1 (valid range 0..0); devices: ...",
// and bench "opencl:99" names no device of opencl.
//
// The listing waits for the driver listWait at most: a driver that hung
// in clGetPlatformIDs held the refusal of --device -1 for ever (a SIGINT
// ended it, status 130). Past it the value is refused all the same, the
// devices not listed (deviceRefusal's slow), and the listing is left to
// go on until the process exits.
func refuseDevice(flag, value, why, forms string) *sim.ParamError {
	ds, ok, err := devicesWithin()
	if !ok {
		return &sim.ParamError{Flag: flag, Msg: deviceRefusal(value, why, forms, nil, false, true)}
	}
	return refuseListed(flag, value, why, forms, ds, err)
}

// refuseByForm is refuseDevice for a value its form alone refuses (no
// index, a negative one, one listed twice: parseDevices' why), in
// refuseUnlisted's words: the valid forms, without the devices, and
// without asking the driver for them. It listed them first, waiting
// ListWait at most: run --device -1 and selftest --device x waited 1 to
// 2 s on a driver that hangs (and loaded a healthy one, 3 s on a busy
// machine), and worded the refusal of one value three ways, by whether
// the listing had answered in time, of a value no driver could take.
func refuseByForm(flag, value, why, forms string) *sim.ParamError {
	return refuseUnlisted(flag, value, why, forms)
}

// refuseListed is refuseDevice's refusal given the listing's devices and
// error.
func refuseListed(flag, value, why, forms string, ds []gpu.DeviceDesc, err error) *sim.ParamError {
	labels := make([]string, len(ds))
	for i, d := range ds {
		labels[i] = d.String()
	}
	return &sim.ParamError{Flag: flag, Msg: deviceRefusal(value, why, forms, labels, err == nil || openCLAbsent(err), false)}
}

// WithinListWait runs f, which may wait on a device engine's driver (to
// list its devices, for the words of a refusal), and waits for it
// ListWait at most: ok is false past it, and f is left to go on until the
// process exits. A refusal that names the valid values must not wait on a
// driver that hangs. A stop (StopListingOn) ends the wait at once, ok
// false: a SIGTERM during the wait exited 143 only at the forced exit,
// 0.6 s after it, where run --device 0's wait on the driver ends at once.
// The wait counts from the start of the first one in the process that
// was cut short, while that one's f has not returned (withinWait): a
// second listing in one command waited ListWait again, and bench
// --engines opencl --lanes 1e12 --steps 1e9 was refused after 4 s on a
// driver that hangs.
func WithinListWait[T any](f func() T) (v T, ok bool) {
	return withinWait(listWait, f)
}

// withinWait runs f and waits for it d at most: ok is false past it, and
// f is left to go on. Where an earlier wait was cut short and its f has
// not returned (hungWait: the driver has not answered it), d counts from
// that wait's start, as f waits on the same driver: every wait on it in
// a process ends by the first one's start and d, at once past that, and a
// command that lists the devices twice waits once. A stop (StopListingOn)
// ends the wait at once, ok false. A wait that d ended counts in
// ListingsCut. Until f returns or d ends the wait, a stop's note names
// what the driver was last asked (listingAsked), once past
// listingWaitPast: a stop or --timeout in the probe child's 10 s said
// "run exceeded 5s" alone.
func withinWait[T any](d time.Duration, f func() T) (v T, ok bool) {
	v, ok, _ = withinRunWait(d, f)
	return v, ok
}

// withinRunWait is withinWait, which, as every wait here, does not
// count the time the process was suspended in the wait (suspended:
// Ctrl-Z, SIGSTOP, Slurm's suspend), which the wall clock does, and the
// timer too: where the
// bound passes with the process suspended, it waits on for as long, and
// stopped is the time suspended so counted out. A listing of 2 s in a
// wait of 8, stopped for 10 s at 1 s, was called a hang ("did not answer
// in 8 s") as the process went on. A sleeping host stops the monotonic
// clock that the timer follows, and is not counted either way.
func withinRunWait[T any](d time.Duration, f func() T) (v T, ok bool, stopped time.Duration) {
	start, s0 := time.Now(), suspended()
	deadline := start.Add(d)
	if h := hungWait.Load(); h != nil && !isClosed(h.done) {
		deadline = h.start.Add(d)
	}
	got := make(chan T, 1)
	done := make(chan struct{})
	// Left marked past a stop, which returns with f in flight; named
	// past listingWaitPast, as a healthy listing (pocl's 0.09 s) is not.
	unmark := interrupt.WaitingFor(listingAsked, listingWaitPast)
	go func() {
		got <- f()
		close(done)
		unmark()
	}()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	var stop <-chan struct{}
	if p := listStop.Load(); p != nil {
		stop = *p
	}
	for {
		select {
		case v = <-got:
			unmark()
			return v, true, stopped
		case <-t.C:
			if s := suspended() - s0; s > stopped {
				stopped = s // the process stopped, the driver too maybe: wait on
				t.Reset(time.Until(deadline.Add(stopped)))
				continue
			}
			unmark() // its error says it
			listingsCut.Add(1)
			if h := hungWait.Load(); h == nil || isClosed(h.done) {
				hungWait.Store(&cutWait{start: start, done: done})
			}
			return v, false, stopped
		case <-stop:
			return v, false, stopped
		}
	}
}

// cutWait is a wait of withinWait's that its bound ended: when it began,
// and a channel closed once its f returned (the driver answered late).
type cutWait struct {
	start time.Time
	done  <-chan struct{}
}

// hungWait is the first of withinWait's waits in the process that was cut
// short, nil before; a later one takes its place once its f returned.
var hungWait atomic.Pointer[cutWait]

// listStop is the channel StopListingOn set, nil before.
var listStop atomic.Pointer[<-chan struct{}]

// StopListingOn makes a close of done (closed at a stop's signal) end
// WithinListWait's wait at once, for the command that refuses to say
// the stop's status, not wait ListWait for the driver; restore puts back
// the channel before it, for the command's end.
func StopListingOn(done <-chan struct{}) (restore func()) {
	old := listStop.Swap(&done)
	return func() { listStop.Store(old) }
}

// listingsCut counts WithinListWait's waits that ListWait ended.
var listingsCut atomic.Int64

// ListingsCut is how many of WithinListWait's waits in the process
// ListWait ended (the driver did not answer in it), a stop's not counted:
// a command that reads it before and after its refusal knows whether the
// refusal came without the devices' listing (NotListedHint).
func ListingsCut() int64 { return listingsCut.Load() }

// NotListedHint is the hint of a refusal that came without the devices'
// listing, ListWait past (ListingsCut): its words alone did not say why
// it took that long, nor that a device was counted without it (taken
// for a GPU).
func NotListedHint() string {
	return fmt.Sprintf("%s did not answer in %g s, so this refusal did not wait for its devices' listing: gpusim devices says whether it answers, and %s=SECONDS (now %g) gives a driver that is only slow longer", waitedDriver(), listWait.Seconds(), gpu.EnvDriverWait, answerWait.Seconds())
}

// waitedDriver is "the OpenCL driver PATH", the library a listing that has
// not answered is in (the probe's child's, else this process's), or "the
// OpenCL driver" where none is known yet: the refusals that did not wait
// for the listing named no library, where the 10 s wait's error did.
func waitedDriver() string {
	if lib := waitedLib(); lib != "" {
		return "the OpenCL driver " + lib
	}
	return "the OpenCL driver"
}

// waitedLib is the library a listing that has not answered is in: the
// probe's child's, else this process's (cl.LibraryTried: the one it
// loads, or the child's that StopProbe ended), "" where none is known.
func waitedLib() string {
	_, lib := cl.ProbeAsked()
	if lib == "" {
		lib = cl.LibraryTried() // no child: this process hangs in it
	}
	return lib
}

// listingAsked is what a wait for the devices' listing (withinWait) waits
// for: "the OpenCL driver PATH to answer when asked for " what the probe's
// child was last asked of it (cl.ProbeAsked: a device's context, queue or
// their release), else "its devices"; "the OpenCL driver" alone where no
// library is known yet.
func listingAsked() string {
	what, _ := cl.ProbeAsked()
	if what == "" {
		what = "its devices"
	}
	return waitedDriver() + " to answer when asked for " + what
}

// listingWaitPast is how long a listing waits before a stop's note names
// it (withinWait): a run stopped by --timeout 1ms in a healthy listing
// said it waited for the driver. A run's launches wait as long (gpu's
// runWaitPast).
const listingWaitPast = time.Second

// ListWait is how long WithinListWait waits (listWait).
func ListWait() time.Duration { return listWait }

// notListedText is the words of a refusal whose valid values leave out
// the devices a driver that did not answer in ListWait would have
// listed.
func notListedText() string {
	return fmt.Sprintf("%s did not answer in %g s, so its devices are not listed: gpusim devices says which there are", waitedDriver(), listWait.Seconds())
}

// DeviceUncheckedText says that --device value (as given) was not checked
// against the devices here: Check lists them within ListWait, and the
// driver did not answer in it (ListingsCut counted the wait). waited is
// the ListWait that Check had, read before it: the waits are set from
// GPUSIM_DRIVER_WAIT after the command line's checks, so ListWait read
// when the note is written may differ (it said 1 s under
// GPUSIM_DRIVER_WAIT=5 of a check that waited 2 s). auto, which chose a
// CPU engine without the devices, said only that --device did not apply,
// and nothing that --device 9 on a machine of one device was never
// refused.
func DeviceUncheckedText(value string, waited time.Duration) string {
	return fmt.Sprintf("%s did not answer in %g s, so --device %s was not checked against its devices: gpusim devices says which there are", waitedDriver(), waited.Seconds(), value)
}

// listWait is the longest refuseDevice waits for the driver to list its
// devices: pocl lists them in 0.09 s on the 2-core development VM, a
// first load of a GPU driver in a second or so.
var listWait = 2 * time.Second

// answerWait is the longest the commands whose answer is the devices
// wait for the driver to list them (listedWithin): gpusim devices, gpusim
// selftest, auto's choice of an engine and bench's of its engines. Longer than listWait, a
// refusal's, as a slow first load of a GPU driver (a second or so, more
// on a node of several GPUs) must not fail them: past it they end, where
// they waited for ever on a driver that hangs as it starts.
var answerWait = gpu.DefaultDriverWait

// EnvDriverWait is the variable that sets the waits on the driver
// (gpu.EnvDriverWait); DriverWaitFromEnv reads it (gpu.DriverWaitFromEnv).
const EnvDriverWait = gpu.EnvDriverWait

// DriverWaitFromEnv is gpu.DriverWaitFromEnv.
func DriverWaitFromEnv() (time.Duration, error) { return gpu.DriverWaitFromEnv() }

// SetDriverWait sets the waits on the driver from d, gpu.EnvDriverWait's
// value: answerWait and gpu's are d, listWait, a refusal's, a fifth of it
// (2 s of the default 10 s). It writes only changed values (gpu.SetAnswerWait).
func SetDriverWait(d time.Duration) {
	gpu.SetAnswerWait(d)
	if answerWait != d {
		answerWait = d
	}
	if listWait != d/5 {
		listWait = d / 5
	}
}

// NoAnswerError is the error of a call into the OpenCL driver that did not
// return in its wait (gpu.NoAnswerError): the listing of the devices in
// answerWait (listedWithin), or a device's context or queue as it opens.
// The driver hangs, or is that slow; its call is left to go on until the
// process exits, but for the probe's child, which is killed
// (cl.StopProbe).
type NoAnswerError = gpu.NoAnswerError

// noAnswerHint is the hint of a *NoAnswerError: one that hangs as it
// starts where the driver did not list its devices (e.What ""), else one
// that lists them and then hangs setting a device up (a context, a queue,
// a kernel...), where clinfo -l, which lists them, answers: the hint said
// the first for both.
//
// Where gpusim's cache keeps the hang (e.Kept), the hint says that auto
// asks the driver no more for an hour and how to have it ask again: the
// run that waited said nothing of it, and only the next run's note told.
func noAnswerHint(e *NoAnswerError) string {
	kept := ""
	if e.Kept != "" {
		kept = fmt.Sprintf("; gpusim's cache keeps the hang: auto asks that driver no more for an hour (%s; to have auto ask it again: rm -f %s)", askedNow(e, false), quote.Shell(e.Kept))
	}
	if e.What == "" {
		return fmt.Sprintf("a driver that hangs as it starts: clinfo -l says whether it answers, and %s=PATH loads another libOpenCL.so; %s%s; %s", cl.EnvLibrary, slowDriverText(), kept, cl.CPUEnginesRun)
	}
	return fmt.Sprintf("a driver that lists its devices and then hangs setting one up (clinfo -l lists them all the same): %s=PATH loads another libOpenCL.so; %s%s; %s", cl.EnvLibrary, slowDriverText(), kept, cl.CPUEnginesRun)
}

// slowDriverText is the hint's remedy for a driver that is slow, not
// hung: gpu.EnvDriverWait gives it longer.
func slowDriverText() string {
	return fmt.Sprintf("a driver that is only slow (a GPU set up on first use, a loaded node) gets longer with %s=SECONDS (now %g)", gpu.EnvDriverWait, answerWait.Seconds())
}

// errListingStopped is listedWithin's error where a stop (StopListingOn)
// ended its wait: the caller returns the stop's cause.
var errListingStopped = errors.New("stopped while the OpenCL driver listed its devices")

// listedWithin is gpu.Devices within answerWait: past it a *NoAnswerError,
// and the listing is left to go on, less the probe's child (cl.StopProbe:
// a child that the driver hung lived on until the process exited, an
// auto run's whole length on simd); a later listing, which Load's
// cl.ErrNoAnswer ends at once, is a *NoAnswerError too. openCLDevices
// (gpusim devices, auto) benchOpenCL and the self-test list the devices
// through it. A listing past answerWait is kept in gpusim's cache
// (rememberNoAnswer), so that auto does not ask the driver again
// (openCLUnanswered), unless the process was suspended in the wait
// (suspended), and one that answers removes that mark.
func listedWithin() ([]gpu.DeviceDesc, error) {
	type listing struct {
		ds  []gpu.DeviceDesc
		err error
	}
	// listDevices is read here, not on the wait's goroutine, which can
	// outlive this call (and a test's stand-in for it, which the race
	// detector saw restored while that goroutine read it).
	list := listDevices
	l, ok, stopped := withinRunWait(answerWait, func() listing {
		ds, err := list()
		return listing{ds, err}
	})
	if !ok {
		if p := listStop.Load(); p != nil && isClosed(*p) {
			return nil, errListingStopped
		}
		// The probe's child may be past the listing, in a device's
		// context or queue: then the error names it. The process gives
		// up on the driver: the child it hangs is killed, and no load
		// here takes its place.
		what, _ := cl.ProbeAsked()
		lib := waitedLib()
		cl.StopProbe()
		na := &NoAnswerError{Wait: answerWait, What: what, Lib: lib, Suspended: stopped}
		if lib != "" {
			na.LibFiles = cl.NameFiles(lib)
		}
		// auto asks it no more (openCLUnanswered). The driver had the
		// whole wait with the process running: a suspension in it
		// (Ctrl-Z, SIGSTOP, Slurm's suspend) was waited out again
		// (withinRunWait), where a driver that took 2 s of a wait of
		// 8, stopped for 10 s, was called hung.
		rememberNoAnswer(na)
		return nil, na
	}
	if errors.Is(l.err, cl.ErrNoAnswer) {
		// A listing after StopProbe: the library the child was in (it
		// named none). The first one's wait kept the mark.
		return nil, &NoAnswerError{Wait: answerWait, Lib: waitedLib()}
	}
	forgetNoAnswer(false) // it answered: auto asks it again
	return l.ds, l.err
}

// isClosed says whether c is closed.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// listDevices lists the devices refuseDevice names: gpu.Devices, not
// Devices, which reads the registry's table, whose opening refuses with
// refuseDevice; tests set it.
var listDevices = gpu.Devices

// devicesWithin is listDevices within ListWait: ok is false where the
// driver did not answer in it, and its listing is left to go on. A
// refusal's words (refuseDevice) list the devices through it; the
// floors on a job's time (ListedFloor, ListedSpecs) take the devices for
// GPUs there, as MinTime does, rather than wait: under a driver that hangs
// in clGetPlatformIDs, run --lanes 2^64-1 and run --engine opencl --lanes
// 2^64-1 waited for ever to list the devices they would refuse on.
func devicesWithin() (ds []gpu.DeviceDesc, ok bool, err error) {
	type listing struct {
		ds  []gpu.DeviceDesc
		err error
	}
	list := listDevices // read here: the goroutine can outlive this call (listedWithin)
	l, ok := withinWait(listWait, func() listing {
		ds, err := list()
		return listing{ds, err}
	})
	if errors.Is(l.err, cl.ErrNoAnswer) {
		return nil, false, nil // a listing after listedWithin's StopProbe
	}
	return l.ds, ok, l.err
}

// openCLAbsent is the OpenCL entry's Absent: no library, platform or
// device at all.
func openCLAbsent(err error) bool {
	return errors.Is(err, cl.ErrNoLibrary) || errors.Is(err, cl.ErrNoPlatform) || errors.Is(err, gpu.ErrNoDevice)
}

// deviceIndexes reads a --device list (N, N,M,... or all) against the
// devices here: their indexes, and the devices listed. An index past them
// is refuseDevice's *sim.ParamError for --device, which lists the devices
// there are (bad input: exit 2, before any device starts); without OpenCL,
// gpu.Devices' error.
func deviceIndexes(spec string) ([]int, []gpu.DeviceDesc, error) {
	ds, err := gpu.Devices()
	if err != nil {
		return nil, nil, err
	}
	idx, err := ParseDevices(spec, len(ds))
	if err != nil {
		return nil, nil, err
	}
	for _, i := range idx {
		if i >= len(ds) {
			return nil, nil, refuseDevice("device", spec, fmt.Sprintf("there is no device %d", i), deviceListForms)
		}
	}
	return idx, ds, nil
}

// openOpenCL opens the devices o.Devices names (default: gpu.PickDefault's,
// else device 0), several at once as one gpu.Multi. The driver lists its
// devices within answerWait (listedWithin): past it a *NoAnswerError, where
// run --engine opencl, run --device N or all, and auto's start of a device
// its calibration chose waited for ever on a driver that hangs as it
// starts; a stop (StopListingOn) during the wait is errListingStopped.
func openOpenCL(o Options) (sim.Engine, error) {
	if err := CheckOptions(o); err != nil {
		return nil, err
	}
	if _, err := listedWithin(); err != nil {
		return nil, err // gpu keeps a listing that answered: the rest take it
	}
	opt := gpu.Options{Math: o.Math, VectorWidth: o.VectorWidth, Progress: o.Progress, Note: o.Note, NoDaily: o.OneJob && !o.Daily}
	if o.Devices == "" {
		opt.Device = max(gpu.PickDefault(), 0)
		opt.Compiling = coldStartOnce(o)
		return openedWithin(func() (sim.Engine, error) { return engineOrNil(gpu.Open(opt)) })
	}
	idx, _, err := deviceIndexes(o.Devices)
	if err != nil {
		return nil, err
	}
	opt.Compiling = coldStartOnce(o)
	if len(idx) == 1 {
		opt.Device = idx[0]
		return openedWithin(func() (sim.Engine, error) { return engineOrNil(gpu.Open(opt)) })
	}
	return openedWithin(func() (sim.Engine, error) { return engineOrNil(gpu.OpenMulti(idx, opt)) })
}

// StartDevices begins loading the device engine's driver and listing its
// devices in the background (gpu.StartDevices), for a command that names
// the device engine: Open and Devices wait for it.
func StartDevices() { gpu.StartDevices() }

// Quiesce is for a process about to exit (gpu.Quiesce): a load that
// StartDevices began leaves no file half made. Nothing may open a device
// after it.
func Quiesce() { gpu.Quiesce() }

// Settle waits, until ctx ends, for the devices' opens that a failed open
// of several devices left running and for the release of what they made
// (gpu.Settle): a process calls it before a clean exit, which would leave
// a cached binary's loading mark behind for the next start to take for a
// crash.
func Settle(ctx context.Context) { gpu.Settle(ctx) }

// coldStartOnce is the gpu.Options.Compiling of opens: it says to o.Note,
// as a device's program starts compiling, what coldStartNote says of it
// (the program of the options gpu gives, with and without the daily
// kernels apart), once a device and program however many builds an open
// makes. Said before the open, the note told a process that waited for
// another's compile and loaded its binary that it compiled (cold starts
// of a Slurm array's tasks on one node). A note said already, word for
// word, is not said again: where the cache cannot keep a program, both
// programs of a device (gpusim selftest opens both) gave the same note,
// "every start compiles it, as gpusim's cache folder cannot keep it",
// printed twice.
func coldStartOnce(o Options) func(opt gpu.Options) {
	if o.Note == nil {
		return nil
	}
	type program struct {
		device  int
		noDaily bool
	}
	var said sync.Map
	return func(opt gpu.Options) {
		if _, was := said.LoadOrStore(program{opt.Device, opt.NoDaily}, true); was {
			return
		}
		if s := coldStartNote(opt); s != "" {
			if _, was := said.LoadOrStore(s, true); !was {
				o.Note(s)
			}
		}
	}
}

// coldStartNote is the note that opening the device opt names compiles
// its program ("" where it does not): it is not in the disk cache (gpu.ProgramFile), a
// first start there, which passed in silence. On pocl on the 2-core
// development VM it compiled in 3.1 to 4.4 s and started in 6.1 to 10 s
// with pocl's own kernel cache cold too, in 0.16 to 0.27 s and 0.36 to
// 0.58 s with it warm (gpusim's cold: a new cache folder, a cleared one),
// where a start with the program cached compiles in 0.03 s (run's
// timing.compile_s and startup_s, 5 runs each): the note says seconds
// only as what it can take. With the cache turned off
// (GPUSIM_CACHE_DIR=off) nothing is said (pocl's own cache may make the
// build quick). When the cache is off for want of a usable folder, or the cache folder cannot be
// written (a file in its way, a link to nowhere), the note says that every
// start compiles and why, where it promised a cached program that would
// never be kept. Where the build would be refused under a limit
// (gpu.BuildRefused: ulimit -f on pocl, ulimit -v) nothing is said: no
// build starts, and the error that follows names the limit (the note had
// promised seconds of compiling just before it), nor where an earlier
// crash's mark refuses the start (noBuild). Where the entry is there
// but this process compiles the program all the same (gpu.RebuildCause: a
// process crashed loading it, it is corrupt, the driver rejected it), the
// note says the compile is a rebuild and why: a corrupt entry's rebuild
// took 6 s without a word until the cache's note at the end. Where the
// engine's entry is cached and the self-test's is rebuilt, the note is
// selfTestRebuildNote's.
func coldStartNote(opt gpu.Options) string {
	f := gpu.ProgramFile(opt)
	if cause := gpu.RebuildCause(f); cause != "" {
		if noBuild(opt) {
			return ""
		}
		kept := "once it builds and passes the self-test it is cached again for later runs"
		if werr := gpu.CacheWritable(); werr != nil {
			kept = cachedAgainText(werr)
		}
		gpu.RebuildSaid(f) // this note names the entry and why
		return fmt.Sprintf("compiling the OpenCL program for %s again, which can take seconds%s: %s; %s", deviceLabel(opt.Device), poclQuick(opt.Device), cause, kept)
	}
	var err error
	if f == "" {
		// No cache: silent where GPUSIM_CACHE_DIR=off chose it, or
		// where there is a cache folder (the entry is bypassed, which
		// the cache's note explains). A cache off for want of a usable
		// folder (GPUSIM_CACHE_DIR or, without it, XDG_CACHE_HOME or HOME
		// a relative path; none of them set: cachedir.Dir) would leave
		// the user compiling on every start without a word, where the
		// docs/opencl.md promises a note that names the setting.
		if cachedir.Off() || cachedir.Dir() != "" {
			return ""
		}
	} else if st, serr := os.Stat(f); serr == nil && st.Mode().IsRegular() {
		return selfTestRebuildNote(opt)
	} else if err = serr; serr == nil {
		// A folder or a pipe in the program's place holds no program:
		// the cache replaces it (an empty folder, cachedir.WriteFile);
		// the start compiles. Where it can, that is a rebuild, said
		// with why (it read "a first start there", beside the cache's
		// "read ...: not a regular file").
		if ents, derr := os.ReadDir(f); (derr != nil || len(ents) == 0) && gpu.CacheWritable() == nil && !noBuild(opt) {
			gpu.RebuildSaid(f)
			return fmt.Sprintf("compiling the OpenCL program for %s again, which can take seconds%s: %s is %s, not a cache entry; it is replaced, and the program cached for later runs", deviceLabel(opt.Device), poclQuick(opt.Device), f, fileKind(st.Mode()))
		}
		err = fs.ErrNotExist
	}
	werr := gpu.CacheWritable()
	if ents, derr := os.ReadDir(f); werr == nil && derr == nil && len(ents) > 0 {
		// A folder that is not empty stays (the cache's note says so):
		// the start compiles, and so will every later one.
		werr = fmt.Errorf("%s is a folder, not a cache entry: remove it", f)
	}
	if werr == nil && !errors.Is(err, fs.ErrNotExist) {
		return "" // there, but not readable here: gpu's cache note says why
	}
	if noBuild(opt) {
		return "" // no build starts: the open's error names the limit
	}
	name := deviceLabel(opt.Device)
	if werr != nil && !gpu.IsCacheRoom(werr) {
		gpu.CacheFaultSaid(werr)
		return fmt.Sprintf("compiling the OpenCL program for %s: every start compiles it, as gpusim's cache folder cannot keep it: %v; set %s to a writable folder, or off", name, werr, cachedir.Env)
	}
	// Not cached where it fails to build or fails the self-test (a
	// driver's fault): the note had promised it was, every time. The
	// self-test's program compiles beside it where it is not cached (a
	// first start): the note spoke of one program where two were built.
	both := ""
	if st := gpu.SelfTestProgramFile(opt); st != "" {
		if fi, err := os.Stat(st); err != nil || !fi.Mode().IsRegular() {
			both = ", with the self-test's own program"
		}
	}
	if werr != nil {
		// Short of room as judged before the build (gpu.CacheRoomError):
		// a smaller program may be kept all the same (pocl's were, on
		// 1 MB free), so "every start compiles it" was not so; the
		// cache's note says which was not written.
		return fmt.Sprintf("compiling the OpenCL program for %s%s: a first start there, which can take seconds%s; it may not be kept for later runs: %v (a compiled program's size as judged before it is built: a smaller one may be kept); set %s to a folder with more room, or off",
			name, both, poclQuick(opt.Device), werr, cachedir.Env)
	}
	return fmt.Sprintf("compiling the OpenCL program for %s%s: a first start there, which can take seconds%s; once it builds and passes the self-test it is cached for later runs", name, both, poclQuick(opt.Device))
}

// noBuild says that opening the device opt names starts no build, so
// that a compile note would be wrong: a limit the build does not fit in
// (gpu.BuildRefused), or the mark of an earlier process's crash on the
// device's set-up or buffers, on a build, or on a first launch of a
// program built from source, which refuses the start (gpu.RefusedKeys, on
// the device's key and on the keys of the programs opt builds: the
// engine's and the self-test's). After a crash in the self-test's first
// launch on a fresh cache, the next start said "compiling the OpenCL
// program ... a first start there, which can take seconds; once it builds
// and passes the self-test it is cached for later runs" and was then
// refused by the mark without compiling anything.
func noBuild(opt gpu.Options) bool {
	if gpu.BuildRefused(opt.Device) != nil {
		return true
	}
	keys := gpu.RefusalKeys(opt.Device)
	if len(keys) == 0 {
		return false
	}
	keys = keys[:1]
	for _, f := range []string{gpu.ProgramFile(opt), gpu.SelfTestProgramFile(opt)} {
		if f != "" {
			keys = append(keys, filepath.Base(f))
		}
	}
	return gpu.RefusedKeys(keys) != nil
}

// cachedAgainText is a rebuild note's word on whether the rebuilt program
// is cached again, where gpu.CacheWritable gave werr: it cannot be, or
// where only the room judged before the build falls short
// (gpu.CacheRoomError), it may not be.
func cachedAgainText(werr error) string {
	if gpu.IsCacheRoom(werr) {
		return fmt.Sprintf("it may not be cached again: %v", werr)
	}
	return fmt.Sprintf("it cannot be cached again: %v", werr)
}

// selfTestRebuildNote is coldStartNote's where the engine's program is
// cached and the program compiling is the self-test's (its checks run: no
// stored pass vouches for the binary, or gpusim selftest), whose entry is
// there but discarded (gpu.RebuildCause): the rebuild is said as it starts,
// naming the entry and why, and not again in the cache's note at the end,
// which alone said it. "" where the self-test's entry is not being rebuilt.
func selfTestRebuildNote(opt gpu.Options) string {
	f := gpu.SelfTestProgramFile(opt)
	cause := gpu.RebuildCause(f)
	if cause == "" || noBuild(opt) {
		return ""
	}
	kept := "once it builds and passes the self-test it is cached again for later runs"
	if werr := gpu.CacheWritable(); werr != nil {
		kept = cachedAgainText(werr)
	}
	gpu.RebuildSaid(f)
	return fmt.Sprintf("compiling the self-test's OpenCL program for %s again, which can take seconds%s: %s; %s", deviceLabel(opt.Device), poclQuick(opt.Device), cause, kept)
}

// poclQuick is the compile notes' word on pocl's own kernel cache, " (under
// one where pocl's own cache holds the program)", for device i where it is
// pocl's, "" for another driver's: Oclgrind's note spoke of pocl.
func poclQuick(i int) string {
	if ds, err := gpu.Devices(); err == nil && i >= 0 && i < len(ds) && ds[i].PlatformName != "Portable Computing Language" {
		return ""
	}
	return " (under one where pocl's own cache holds the program)"
}

// fileKind names the kind of file of mode, not a regular file, as the
// notes name it: "a named pipe", "an empty folder".
func fileKind(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "an empty folder"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// deviceLabel names OpenCL device i as the notes name it: its index, and
// its name, platform and type where it is listed.
func deviceLabel(i int) string {
	if ds, err := gpu.Devices(); err == nil && i >= 0 && i < len(ds) {
		return deviceName(ds[i].String())
	}
	return fmt.Sprintf("device %d", i)
}

// engineOrNil returns e as a sim.Engine, or a nil one with err: a failed
// open's nil *gpu.Engine in a non-nil interface made callers that close
// what they got (auto's measurements) panic on the nil pointer.
func engineOrNil[E sim.Engine](e E, err error) (sim.Engine, error) {
	if err != nil {
		return nil, err
	}
	return e, nil
}

// benchOpenCL benchmarks every OpenCL device as opencl:N, as the driver
// lists them within answerWait (listedWithin): past it a *NoAnswerError,
// where bench waited for ever on a driver that hangs.
func benchOpenCL(e Entry) ([]Spec, error) {
	ds, err := listedWithin()
	if err != nil {
		return nil, err
	}
	specs := make([]Spec, len(ds))
	for i, d := range ds {
		o := Options{Devices: strconv.Itoa(d.Index)}
		specs[i] = Spec{Name: fmt.Sprintf("%s:%d", e.Name, d.Index), Entry: e.Name, Device: true, Devices: o.Devices, New: func(_ int, note func(string)) sim.Engine {
			o := o
			o.Note, o.Progress = note, note // a wait for another process's compile too
			eng, err := openOpenCL(o)
			if err != nil {
				return failedEngine{e.Name, err}
			}
			return eng
		}}
		if err := gpu.Refused(d); err != nil {
			specs[i].Refused = fmt.Errorf("%s: %w", d.Named(), err)
		}
	}
	return specs, nil
}

// openCLDevices describes every OpenCL device, as the driver lists them
// within answerWait (listedWithin): past it a *NoAnswerError, where gpusim
// devices and auto's choice waited for ever on a driver that hangs.
func openCLDevices() ([]Device, error) {
	ds, err := listedWithin()
	if err != nil {
		return nil, err
	}
	out := make([]Device, len(ds))
	for i, d := range ds {
		out[i] = Device{
			Engine: "opencl", Index: d.Index, Platform: d.PlatformName, PlatformVersion: d.PlatformVersion,
			Name: d.Name, Type: d.Type, GPU: d.GPUNotCPU(), Label: d.String(),
			Props: []Prop{
				{"vendor", "vendor", d.Vendor, d.Vendor},
				{"driver", "driver", d.DriverVersion, d.DriverVersion},
				{"opencl", "opencl", d.Version, d.Version},
				{"compute_units", "compute units", int(d.ComputeUnits), strconv.Itoa(int(d.ComputeUnits))},
				{"clock_mhz", "clock", int(d.MaxClockMHz), fmt.Sprintf("%d MHz", d.MaxClockMHz)},
				{"global_mem_bytes", "global memory", d.GlobalMemBytes, memText(d.GlobalMemBytes)},
				{"max_alloc_bytes", "max allocation", d.MaxAllocBytes, memText(d.MaxAllocBytes)},
				{"preferred_float_vector_width", "float vector width", int(d.PreferredVectorWidthFloat),
					fmt.Sprintf("preferred %d, native %d (gpusim uses %d)", d.PreferredVectorWidthFloat, d.NativeVectorWidthFloat, d.VectorWidth)},
				{"native_float_vector_width", "", int(d.NativeVectorWidthFloat), ""},
				{"vector_width", "", d.VectorWidth, ""},
				{"fp64", "fp64", d.FP64, yesNo(d.FP64)},
				{"correctly_rounded_sqrt", "correctly rounded sqrt", d.CorrectlyRoundedSqrt, yesNo(d.CorrectlyRoundedSqrt)},
				refusedProp(d),
			},
		}
	}
	return out, nil
}

// memText writes n bytes of a device's memory as gpusim's memory messages
// write a size, in GB to three digits (docs/outputs.md): 23.1 GB, 8.59 GB.
// It read "22057 MiB" (binary units, as clinfo) beside run's refusals'
// "23.1 GB are available"; the JSON keeps the bytes.
func memText(n uint64) string { return count.Sig3(float64(n)/1e9) + " GB" }

// Refusal is the JSON of a device that a start refuses, as an earlier
// process crashed the driver there (gpu.Refused): what the driver did
// and the marks whose removal asks it again.
type Refusal struct {
	Reason string   `json:"reason"`
	Marks  []string `json:"marks"`
}

// refusedProp is the device d's "refused" property: null, and no line in
// the text, where a start asks its driver; else the earlier crash and the
// rm -f that asks it again. It was not shown, and a device listed as any
// other ended every start on it with the earlier crash.
func refusedProp(d gpu.DeviceDesc) Prop {
	ec := (*gpu.EarlierCrashError)(nil)
	if !errors.As(gpu.Refused(d), &ec) {
		return Prop{"refused", "", nil, ""}
	}
	return Prop{"refused", "refused", Refusal{ec.Error(), ec.Marks},
		fmt.Sprintf("%s (rm -f %s to ask it again)", ec.Error(), quote.ShellWords(ec.Marks))}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
