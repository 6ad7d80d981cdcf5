package engines

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/suggest"
	"github.com/gpusim/gpusim/sim"
)

// Options configure the engine a name selects. The zero value is every
// engine's default.
type Options struct {
	Workers     int    // goroutines of the CPU engines; 0 for GOMAXPROCS
	Devices     string // devices of a device engine: "", "N", "N,M,..." or "all"
	Math        string // sim.MathExact ("" too) or sim.MathFast, device engines only
	VectorWidth int    // lanes per work-item of a device engine; 0 for the device's
	// Params is the job the engine is for: auto chooses by its size.
	Params sim.Params
	// Sharded says the process runs only Lanes of Params' lanes (a
	// shard's, possibly none): auto chooses by those.
	Sharded bool
	Lanes   uint64 // the shard's lanes, where Sharded
	// Daily says the job keeps per-step statistics: a device may refuse
	// such a job where it runs the plain one (gpu.SubnormalRisk).
	Daily bool
	// KeepFinals says the job keeps every lane's final temperature
	// (--out): under ulimit -v a device may refuse such a job for want
	// of address space for them (gpu.Engine.Refuses) where it runs the
	// job without them.
	KeepFinals bool
	// Observed says the caller passes auto's run to Observe (a whole job
	// without --daily: the CLI's run): only then does auto check an
	// engine whose cost no run has confirmed (exploreMargin), as an
	// unobserved check would confirm nothing and be repeated every time.
	Observed bool
	// OneJob says the engine runs the one job Params, Daily and KeepFinals
	// describe (the CLI's run): a device engine then builds only the
	// kernels that job needs (gpu.Options.NoDaily without Daily), and
	// refuses a job with per-step statistics where Daily is false.
	OneJob bool
	// Unlisted says no driver may load to check o: Check leaves a
	// Devices list's indexes to the engine (its form CheckOptions refuses
	// without the devices either way). For a command line checked before
	// the limits gpusim refuses.
	Unlisted bool
	// Note, when set, receives one-line remarks for stderr.
	Note func(string)
	// Progress, when set, receives one-line notes for stderr while the
	// engine waits for another process sharing the cache folder (its
	// compile of a device's program, its load of the cached one, auto's
	// calibration): what it waits for, the lock's holder and how long at
	// most. The CLI leaves it nil under -q; where a wait passes its limit,
	// Note says what is done instead.
	Progress func(string)

	// limit is the time the run's deadline (ctx's: --timeout) left when
	// Auto was called; 0 where it has none. Auto sets it.
	limit time.Duration
	// measuring is the time Auto spent deciding before calibrate (the
	// driver's loading and listing, not the wait for its turn), which
	// calibrate's bound on measuring counts (devicesOutweigh); bounded
	// says Auto set it, and calibrate bounds its measuring.
	measuring time.Duration
	bounded   bool
}

func (o Options) note(format string, args ...any) {
	if o.Note != nil {
		o.Note(fmt.Sprintf(format, args...))
	}
}

func (o Options) progress(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// The options an engine may take, as Entry.Takes lists them (the CLI's flag
// names).
const (
	TakesWorkers     = "workers"
	TakesDevice      = "device"
	TakesMath        = "math"
	TakesVectorWidth = "vector-width"
)

// MaxWorkers is the most goroutines a CPU engine starts, the most --workers
// takes (cpu.MaxWorkers): the default, GOMAXPROCS, is capped there.
const MaxWorkers = cpu.MaxWorkers

// VectorWidths are the values --vector-width takes besides 0, auto
// (gpu.VectorWidths).
var VectorWidths = gpu.VectorWidths

// AllOptions are every option an engine may take.
var AllOptions = []string{TakesWorkers, TakesDevice, TakesMath, TakesVectorWidth}

// takers says which engines take opt: "only opencl and auto take it",
// "only parallel, simd and auto take it" (auto passes opt on to the engine
// it chooses; the error said only opencl took --math, which auto takes too).
func takers(opt string) string {
	names := TakenBy(opt)
	if a, err := Lookup("auto"); err == nil && slices.Contains(a.Takes, opt) {
		names = append(names, a.Name)
	}
	switch len(names) {
	case 0:
		return "no engine takes it"
	case 1:
		return "only " + names[0] + " takes it"
	}
	return "only " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " take it"
}

// Check checks, before anything starts, that the engine called name exists,
// that o's values are valid (CheckOptions) and that the engine takes every
// option in given (a flag that would silently do nothing is an error), in
// that order: an option's own error comes before its combination with the
// engine (--engine serial --math nosuch said serial does not take --math).
// Errors are *sim.ParamError.
func Check(name string, o Options, given []string) error {
	e, err := Lookup(name)
	if err != nil {
		return err
	}
	if err := CheckOptions(o); err != nil {
		return err
	}
	for _, opt := range given {
		if !e.TakesOption(opt, o) && opt == "math" {
			// --math exact is taken by every engine (TakesOption):
			// "does not take it" read as if it were refused too.
			return &sim.ParamError{Flag: opt, Msg: fmt.Sprintf("the %s engine computes --math exact only, not %s; %s%s", e.Name, o.Math, strings.TrimSuffix(takers(opt), "it"), o.Math)}
		}
		if !e.TakesOption(opt, o) {
			return &sim.ParamError{Flag: opt, Msg: fmt.Sprintf("the %s engine does not take it; %s", e.Name, takers(opt))}
		}
	}
	if e.Name == "auto" && o.Devices != "" && !o.Unlisted {
		// auto may choose a CPU engine without listing the devices;
		// the list given is checked now (--device 7 on a machine of
		// one device ran on simd with a note, or panicked choosing
		// among the devices for a larger job), where the driver lists
		// them within ListWait (devicesWithin): run --engine auto
		// --device 0 waited for ever on a driver that hangs listing
		// them. Past it the list is left to auto's start, which lists
		// them within the driver's wait and says so where it ends.
		if _, answered, _ := devicesWithin(); answered {
			if _, _, err := deviceIndexes(o.Devices); err != nil {
				return err
			}
		}
	}
	return nil
}

// Entry is one engine of the registry.
type Entry struct {
	Name string // as --engine takes it
	Help string // one line for `gpusim run --help`
	// Takes lists the options the engine uses; giving it another is an
	// error (a flag that would silently do nothing).
	Takes []string
	// Open starts the engine; ctx bounds the start (auto's measurements).
	Open func(ctx context.Context, o Options) (sim.Engine, error)
	// Bench lists what `gpusim bench` runs for the engine (one spec, or
	// one per device), or says why it cannot run here; nil leaves the
	// entry out of the benchmark (auto, which is another engine's alias).
	Bench func(e Entry) ([]Spec, error)
	// Devices lists the devices of an engine that runs on devices; nil for
	// the CPU engines.
	Devices func() ([]Device, error)
	// Absent reports whether an error of Open or Devices means the engine's
	// hardware or driver is not here at all, rather than broken.
	Absent func(error) bool
	// NotLoaded, when set, reports whether an error of Open or Devices
	// means the engine's driver was not loaded in this process, which has
	// no room for it (an address-space limit, ulimit -v; a process limit,
	// ulimit -u): auto runs on
	// simd, and keeps a calibration taken where it had room.
	NotLoaded func(error) bool
	// Hint, when set, suggests a fix for one of the engine's errors, or "".
	Hint func(error) string
	// FallbackHint, when set, is the fix auto notes beside running on
	// simd in the engine's place for an error of Devices, or "" where
	// there is none worth a note (the engine not asked for by the user).
	FallbackHint func(error) string
	// Notes, when set, returns the remarks the engine has collected.
	Notes func() []string
	// SelfTest, for a device engine, checks each device of a device list,
	// saying to note (when set) before a start that compiles.
	SelfTest func(ctx context.Context, devices string, note func(string)) ([]SelfTest, error)
	// ProgramFile, when set, names the file of the compiled program that
	// Open(o) on device index finds cached (a warm start) or writes after
	// compiling it (a cold start, seconds), or "" when that is not known;
	// the devices are listed first ("" where the driver does not list
	// them in its answer wait, 10 s).
	ProgramFile func(o Options, index int) string
	// ProgramLoadable, when set, says why a start would not load the
	// compiled program at file (ProgramFile) that is there, building it
	// from source instead (a cold start), or nil.
	ProgramLoadable func(file string) error
	// BuildRefused, when set, says why a start of device index, labeled
	// label, that compiles its program would be refused before building
	// (a limit the build does not fit in: gpu.BuildRefusedLabeled, which
	// loads no driver to say so), or nil.
	BuildRefused func(index int, label string) error
	// RefusalKeys, when set, names what CrashRefused reads for device
	// index (gpu.RefusalKeys: the device's key in gpusim's cache, and its
	// programs'), which auto keeps for a device it leaves cold; nil
	// where the device cannot be listed.
	RefusalKeys func(index int) []string
	// CrashRefused, when set, is the error with which a start of the
	// device whose RefusalKeys are keys is refused by an earlier
	// process's crash there (gpu.RefusedKeys, which loads no driver), or
	// nil.
	CrashRefused func(keys []string) error
	// Unanswered, when set, is the error with which auto leaves the
	// device engine unasked, as an earlier listing of its devices did
	// not answer in its wait and a mark in gpusim's cache says so
	// (openCLUnanswered, which loads no driver), or nil.
	Unanswered func() error
}

// TakesOption reports whether the engine uses option opt (a flag's name)
// as o sets it: whether it is in Takes, or is --math exact, which every
// engine computes, or --workers 0 or --vector-width 0, the defaults (so
// that one set of flags serves every engine).
func (e Entry) TakesOption(opt string, o Options) bool {
	switch {
	case opt == TakesMath && (o.Math == "" || o.Math == sim.MathExact):
		return true
	case opt == TakesWorkers && o.Workers == 0, opt == TakesVectorWidth && o.VectorWidth == 0:
		// The flag's default given explicitly (--workers "${W:-0}"),
		// which asks the engine for nothing: accepted by all, as --math
		// exact is, so that one set of flags serves every engine.
		return true
	}
	return slices.Contains(e.Takes, opt)
}

// table is the registry. Adding an engine is its package plus one entry
// here (see docs/architecture.md).
var table = []Entry{
	{
		Name: "serial", Help: "the reference: one goroutine, lane by lane",
		Open:  func(context.Context, Options) (sim.Engine, error) { return cpu.Serial{}, nil },
		Bench: benchOne,
	},
	{
		Name: "parallel", Help: "lane blocks on --workers goroutines", Takes: []string{TakesWorkers},
		Open:  func(_ context.Context, o Options) (sim.Engine, error) { return cpu.Parallel{Workers: o.Workers}, nil },
		Bench: benchScales,
	},
	{
		Name: "simd", Help: "batches of 16 (AVX-512) or 8 (AVX2) lanes per instruction on --workers goroutines", Takes: []string{TakesWorkers},
		Open:  func(_ context.Context, o Options) (sim.Engine, error) { return cpu.SIMD{Workers: o.Workers}, nil },
		Bench: benchScales,
	},
	openCLEntry,
}

// auto comes last; it is added in init because Auto reads the table.
func init() {
	table = append(table, Entry{
		Name: "auto", Help: "the engine expected to finish first: small jobs on simd, large ones on the fastest engine measured here",
		Takes: []string{TakesWorkers, TakesDevice, TakesMath, TakesVectorWidth},
		Open:  func(ctx context.Context, o Options) (sim.Engine, error) { e, _, err := Auto(ctx, o); return e, err },
	})
}

// LoadsDriver reports whether the engine called name may load a device
// driver (OpenCL's) as it starts or runs: one that runs on devices
// (Entry.Devices), and auto, which lists the devices to choose among the
// engines. false for the CPU engines and for a name no engine has. The CLI
// reads the driver's settings (EnvDriverWait) for these alone: a bad one
// concerns no other command.
func LoadsDriver(name string) bool {
	e, err := Lookup(name)
	if err != nil {
		return false
	}
	if e.Devices != nil {
		return true
	}
	return e.Name == "auto" && slices.ContainsFunc(table, func(d Entry) bool { return d.Devices != nil })
}

// All returns the registry's entries in order.
func All() []Entry { return slices.Clone(table) }

// Names lists the engine names, for help and error messages.
func Names() []string {
	names := make([]string, len(table))
	for i, e := range table {
		names[i] = e.Name
	}
	return names
}

// isDeviceValue says whether s is a --device value DidYouMean names: an
// index as --device reads one (deviceIndex: 0, 00, 0x1), a list of them
// or all (no regexp: TestInitCost bounds what the package allocates as it
// initializes).
func isDeviceValue(s string) bool {
	if s == "all" {
		return true
	}
	for part := range strings.SplitSeq(s, ",") {
		if i, _ := deviceIndex(part); i < 0 {
			return false
		}
	}
	return true
}

// meant is the engine a name that is none stands for: --engine gpu got
// the valid list alone, without saying that the GPU engine is opencl.
var meant = map[string]string{"gpu": "opencl"}

// DidYouMean is the "did you mean" of name, an unknown engine, among
// valid (suggest.Value), naming the engine it stands for where it is one
// of meant's (gpu: opencl). A name ENTRY:X, which none of valid is, is
// taken for ENTRY's: serial:0 got "did you mean serial?" by its spelling
// where serial:auto got none.
//
// Among run's names (none with a device), opencl:N, a device engine's name
// with a --device value, is taken for --engine opencl --device N: run
// --engine opencl:0 got "did you mean opencl?", which left out the device.
func DidYouMean(name string, valid ...string) string {
	if entry, dev, device := strings.Cut(name, ":"); device && !slices.Contains(valid, name) {
		if slices.Contains(TakenBy(TakesDevice), entry) && slices.Contains(valid, entry) && !slices.ContainsFunc(valid, func(v string) bool { return strings.Contains(v, ":") }) && isDeviceValue(dev) {
			return "; did you mean --engine " + entry + " --device " + dev + "?"
		}
		name = entry
	}
	if m, ok := meant[strings.ToLower(strings.TrimSpace(name))]; ok && slices.Contains(valid, m) {
		return "; did you mean " + m + "?"
	}
	return suggest.Value(name, valid...)
}

// Lookup returns the entry called name, or a *sim.ParamError for --engine.
func Lookup(name string) (Entry, error) {
	for _, e := range table {
		if e.Name == name {
			return e, nil
		}
	}
	return Entry{}, &sim.ParamError{Flag: "engine", Msg: fmt.Sprintf("unknown engine %q%s (valid: %s)", name, DidYouMean(name, Names()...), strings.Join(Names(), ", "))}
}

// TakenBy lists the engines that take option opt (a Takes constant),
// auto left out.
func TakenBy(opt string) []string {
	var names []string
	for _, e := range table {
		if e.Name != "auto" && slices.Contains(e.Takes, opt) {
			names = append(names, e.Name)
		}
	}
	return names
}

// Open starts the engine called name. An unknown name is a *sim.ParamError;
// an engine that exists but cannot start here is another error, which
// Hint may explain.
func Open(ctx context.Context, name string, o Options) (sim.Engine, error) {
	e, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return e.Open(ctx, o)
}

// Hint suggests a fix for an error of any engine, or "".
func Hint(err error) string {
	for _, e := range table {
		if e.Hint != nil {
			if h := e.Hint(err); h != "" {
				return h
			}
		}
	}
	return ""
}

// Notes are remarks the engines collected while running, such as a disk
// cache that could not be written, or auto's calibration file found
// damaged or not a regular file: worth a line on stderr, never an error.
func Notes() []string {
	var notes []string
	for _, e := range table {
		if e.Notes != nil {
			notes = append(notes, e.Notes()...)
		}
	}
	return append(notes, calibrationNotes.List()...)
}

// ErrNoDevices is the error of Devices when no engine runs on devices.
var ErrNoDevices = errors.New("no engine here runs on devices")

// DailyCopies is how many sets of per-step statistics (sim.DailyBytes
// each) the engine name keeps in host memory for a --daily job of lanes
// lanes x steps steps: the result's, and one per worker for the CPU engines
// (auto's too, which may choose simd), which start at most one worker a
// block of lanes (cpu.RunWorkers: 1024 workers asked for one lane counted
// 1025 copies and refused a job that needs 2); device engines reduce the
// steps on the device. scratch is the bytes the workers keep besides
// (cpu.DailyWorkerBytes each: a segment of their block's path, their
// blocks' per-step sums).
func DailyCopies(name string, o Options, lanes uint64, steps int) (copies int, scratch uint64) {
	w := 0
	switch name {
	case "serial":
		w = 1
	case "parallel", "simd", "auto":
		w = cpu.RunWorkers(o.Workers, lanes, steps, true)
	default:
		return 1, 0
	}
	return w + 1, count.SatMul(uint64(w), cpu.DailyWorkerBytes(lanes, steps))
}

// RunWorkers is how many goroutines the engine name, given o, starts for a
// job of lanes lanes x steps steps (with per-step statistics where daily):
// at most one a block of lanes (cpu.RunWorkers) on parallel and simd, so
// fewer than o.Workers asked for a small job; 0 for an engine that does not
// take --workers.
func RunWorkers(name string, o Options, lanes uint64, steps int, daily bool) int {
	switch name {
	case "parallel", "simd":
		return cpu.RunWorkers(o.Workers, lanes, steps, daily)
	}
	return 0
}

// unknownLabel is DeviceLabel's bound for an engine the registry does not
// open (a test's): 1 KiB, each byte at its longest in a report, a quote
// escaped where a byte that cannot be printed quotes the whole name.
var unknownLabel = "\x00" + strings.Repeat(`"`, 1<<10-1)

// DeviceLabel is the device or CPU configuration that eng, opened by the
// registry, names in its results (sim.Result.Device) at its longest, for
// the outputs that name it, bounded once eng is open and before it runs:
// an OpenCL engine's devices as they are (gpu.Engine.Label, gpu.Multi.Label);
// a CPU engine's batch path and the goroutines it may start, as cpu names
// them ("avx512 x16, 2 goroutines"; a job of fewer lane blocks starts, and
// names, fewer). An engine it does not know is counted at 1 KiB.
func DeviceLabel(eng sim.Engine) string {
	goroutines := func(n int) string { return count.Noun(n, "goroutine") }
	switch e := eng.(type) {
	case interface{ Label() string }:
		return e.Label()
	case cpu.Serial:
		return goroutines(1)
	case cpu.Parallel:
		return goroutines(e.WorkerCount())
	case cpu.SIMD:
		name, width := e.Path()
		return fmt.Sprintf("%s x%d, %s", name, width, goroutines(e.WorkerCount()))
	}
	return unknownLabel
}

// Failed wraps err, the failure of engine name at what it did (such as
// "start opencl" or "opencl run"), for the user: "what: err", where err's
// own leading "name: " is left out, as what names the engine already
// ("start opencl: opencl: device 0 ..." read as if two engines had
// failed). errors.Is and errors.As still reach err.
func Failed(what, name string, err error) error {
	return &failedError{what: what, name: name, err: err}
}

type failedError struct {
	what, name string
	err        error
}

func (e *failedError) Error() string {
	return e.what + ": " + strings.TrimPrefix(e.err.Error(), e.name+": ")
}

func (e *failedError) Unwrap() error { return e.err }
