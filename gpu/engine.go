package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/kernels"
	"github.com/gpusim/gpusim/sim"
)

// Math modes of Options.Math.
const (
	// MathExact computes the stream of docs/reproducibility.md bit for bit.
	MathExact = sim.MathExact
	// MathFast uses native_log, native_sin, native_cos and native_sqrt on
	// 24-bit uniforms under -cl-fast-relaxed-math: faster on GPUs, but the
	// results (and so the digest) depend on the device and driver. Its
	// statistics follow the same law.
	MathFast = sim.MathFast
)

// VectorWidths are the valid values of Options.VectorWidth besides 0 (auto).
var VectorWidths = []int{1, 2, 4, 8, 16}

// Options configure Open.
type Options struct {
	// Device is the flat device index of Devices (DeviceDesc.Index).
	Device int
	// VectorWidth is the lanes each work-item computes at once in explicit
	// OpenCL vector types: 0 picks DeviceDesc.VectorWidth (1 on GPUs, the
	// native float width on CPUs), else one of VectorWidths. The results do
	// not depend on it.
	VectorWidth int
	// Math is MathExact (also "") or MathFast.
	Math string
	// MaxChunkLanes caps the lanes of one kernel launch; 0 sizes launches
	// automatically (about 100 ms each). The results do not depend on it.
	MaxChunkLanes uint64
	// Progress, when set, receives one-line progress notes while Open
	// waits for another process sharing the cache folder: at once where
	// another compiles the program (its KEY.build.lock held), and past
	// cachedir.NoteAfter (1 s) where another loads the cached one (its
	// KEY.lock); each names the lock, its holder's pid where /proc/locks
	// tells it, the wait's limit (buildWait, a minute; entryLockWait, 2
	// s) and what Open does past it.
	Progress func(string)
	// Note, when set, receives a one-line note where such a wait passes
	// its limit (a holder stopped): what Open does instead; and, from
	// Close's goroutine, where the driver does not answer the background
	// release of an engine whose run was cancelled in answerWait (10 s).
	Note func(string)
	// Compiling, when set, is called with the options of the engine whose
	// program Open compiles from source, its Device the device's index
	// (again on each build Open makes; after a wait for another process's
	// compile too), not where it loads a compiled one: a caller's
	// cold-start note is said then, of that program (ProgramFile of
	// them). Said before Open, it told a process that loaded the binary
	// another process compiled meanwhile that it compiled; given the
	// device alone, the note of RunSelfTest's second program (NoDaily)
	// was taken for its first's. OpenMulti's devices call it from their
	// goroutines, at once.
	Compiling func(opt Options)
	// NoDaily says the engine runs no job with per-step statistics
	// (sim.Job.Daily): Open builds the program without the daily kernels
	// (weather_daily, reduce_daily; weather.cl's NO_DAILY), and Run refuses
	// such a job with ErrNoDaily. On pocl 3.1 a warm start builds that
	// program from its cached binary in 4.1 ms where the whole program
	// takes 5.3 ms (clBuildProgram timed in C, medians of 5, on a 2-core
	// Xeon), and releases it sooner; the results do not depend on it.
	NoDaily bool

	// Test knobs.
	source     string // replaces kernels.Weather
	noFP64     bool   // accumulate in float even when the device has fp64
	sqrtDouble bool   // take the fp64 square root even when float's is exact
	localHist  int    // 1 forces the local-memory histogram, -1 global atomics
	histLimit  uint64 // lanes after which device histograms are read and reset
	maxBlocks  int    // Philox blocks (4 steps) per launch at most: forces step-split launches
	mulHi      int    // 1 forces the 64-bit product for mul_hi, -1 mul_hi
	wg, groups int    // work-group size and count instead of the device's
	maxWG      int    // lowers every kernel's work-group size limit
	localMem   int    // replaces the device's local memory size
	// ownLocal adds bytes to the named kernels' own local memory
	// (CL_KERNEL_LOCAL_MEM_SIZE): a driver that reserves some.
	ownLocal  map[string]int
	dailyTree bool // weather_daily reduces by tree and atomics as on GPUs
	// own is the kernels' own local memory the build options are chosen
	// with, as Open's first build found it (Open sets it to build again).
	own *ownLocal
	// before is the time of Open's earlier attempts (that first build,
	// a cached binary that failed a check or did not start: again) and
	// their compile time, which the engine's start-up and compile time
	// count.
	before struct{ took, compile time.Duration }
	// selftest.go: -cl-denorms-are-zero and no CL_FP_DENORM; no self-test.
	noDenormals, skipSelfTest bool
	// runDelay makes every run wait this long first (or until its context
	// ends): a slow device, for Multi's tests.
	runDelay time.Duration
	// openDelay makes every Open wait this long first: a slow start, for
	// the timing of Open's attempts.
	openDelay time.Duration
	// stall, when set, is called as every run starts, which waits for it
	// to return whatever its context: a slow device's launch in flight,
	// which a cancel does not cut short, held for as long as the test
	// needs it.
	stall func()
	// launchCost is added to every launch's measured kernel time: a
	// device whose launches cost more than chunkTarget however small.
	launchCost time.Duration
	rebuilt    bool // RunSelfTest's second try, from source
	// runErr makes every run fail with it: a device whose launches fail.
	runErr error
	// startErr makes Open fail with it after its first launches: a
	// device that does not start whatever the program.
	startErr error
	// opening, when set, is called as Open starts (once, not again for
	// its second build), with the device index; an error makes Open fail
	// with it: OpenMulti's tests see opens overlap, and one device fail.
	opening func(device int) error
	// planned, when set, sees each run's grid: work-items and their
	// work-group size.
	planned func(items, wg int)
	// made, when set, sees the bytes of the device buffers each run
	// made, as it releases them.
	made func(bytes uint64)
	// launched, when set, sees each launch's work (launchWork) and the
	// work planned for it (run.work, before run.cut).
	launched func(work, plan uint64)
}

// Engine runs jobs on one OpenCL device; it implements sim.Engine.
//
// An Engine owns a command queue and its kernels; the context and the
// programs belong to a process-wide per-device cache shared by all open
// engines of the device and released by the last Close. The program is
// built once per device, source and option set: the first Open pays the
// build and a first launch of the main kernel (pocl generates machine code
// then), reported once, in the Timing.Compile of the engine's first run;
// later Opens while another engine of the device is open pay nothing, and an
// Open after every engine closed builds again (pocl's own disk cache makes
// that quick). The daily kernels are generated before the engine's first
// daily run, by a launch on one lane (warmDaily), reported in that run's
// Timing.Startup and Timing.Compile.
//
// # Precision
//
// Exact math needs a correctly rounded float sqrt: with
// CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT the program is built with
// -cl-fp32-correctly-rounded-divide-sqrt; without it but with fp64 the radius
// is float(sqrt(double(s))), which is correctly rounded too; a device with
// neither is refused in exact mode (ErrInexactDevice). Moments are summed in
// double when the device has fp64 (agreeing with the Go engines to about
// 1e-12 relative); without fp64, in float per work-item, per work-group
// and (--daily) across the groups, good to about 1e-5 relative on ordinary
// jobs and far less on extreme ones. Such a run's summaries record the
// depth of weather.cl's float summation tree (sim.Summary.FloatDepth,
// sumDepth), so that their stated errors (sim.Summary.MomentErrors), and
// the digits a report prints, are float's. Count, extremes, histogram and
// digest are exact integers or float bit patterns either way.
//
// # Work layout
//
// A launch runs a fixed grid of work-groups over a chunk of lanes with a
// grid-stride loop; each work-item computes VectorWidth consecutive lanes
// at a time. Launches aim at about 100 ms: the engine's first launch of a
// kernel is a small pilot (2^12 lane-steps' work, launchWork) and each
// later one is sized from the rate of the last completed, so a run stops
// soon after its context is cancelled whatever the device's speed; when a
// chunk's steps would take longer, the chunk runs in several launches of
// whole Philox blocks that carry each lane's temperature in a device
// buffer, so it does whatever the step count. A launch takes a grid-stride
// pass at least, and on a device whose smallest launch takes longer than
// 50 ms (Oclgrind's simulator) launches aim at twice that (the quickest of
// its latest four, so that the aim follows a device that slows down or
// speeds up: launchFloor). A run whose
// context has a deadline (--timeout) sizes the launches it queues to end by
// it at the last launch's rate, and queues none behind launches predicted
// to end past it: the run returns within milliseconds of the deadline
// where it waited for the two launches in flight. Each kernel's
// work-group size comes from its own limits, the grid is whole waves of
// compute units, and its local memory arguments are sized to fit in the
// device's (CL_DEVICE_LOCAL_MEM_SIZE) beside the kernel's own
// (CL_KERNEL_LOCAL_MEM_SIZE before they are set: its __local variables and
// what the driver reserves), a kernel whose one work-item's do not being
// refused; where the kernels' own local memory changes a choice of the
// build options (a local histogram), Open builds the program again.
// Statistics are reduced on the device: each work-group folds its
// work-items' count, sums of deviations from the exact mean and of their
// squares, min, max and digest into its own record, which accumulates over
// the chunks of a run; the histogram is counted with atomics (in local
// memory per work-group where it fits) into uint counters that are read and
// reset only every 2^32-1 lanes. A run transfers the records and the
// histogram once (kilobytes), plus the finals when the job keeps them.
// Daily statistics use a second kernel that reduces every step inside the
// work-group in local memory into per-group, per-step records (folded per
// step on the device at the end) and counts each step's histogram in local
// memory; its launches take as many steps as local memory holds.
//
// Runs on one Engine are serialized; use one Engine per goroutine for
// concurrent runs.
type Engine struct {
	mu      sync.Mutex
	sh      *shared
	desc    DeviceDesc
	vw      int
	fast    bool
	fp64    bool // moments in double
	label   string
	opts    Options
	options string // the program's build options
	q       *cl.Queue
	kMain   *cl.Kernel
	kDaily  *cl.Kernel
	kRed    *cl.Kernel
	kKAT    *cl.Kernel
	kNorm   *cl.Kernel
	dummy   *cl.Buffer
	main    grid // the weather kernel's launch geometry
	daily   grid // weather_daily's
	redWG   int  // reduce_daily's work-group size
	// own is the weather and weather_daily kernels' own local memory
	// (kernelLimits.own) as the program's build options were chosen with.
	own ownLocal
	// dailyBlocks is how many Philox blocks of steps one weather_daily
	// launch may take: its per-step histograms must fit in local memory.
	// It leaves room for the up to 3 steps a chunk's last launch takes past
	// its blocks; dailyBlocksBy[t] is the same for a job of t such steps
	// (its steps mod 4), and dailyBlocksBy[3] is dailyBlocks.
	dailyBlocks   int
	dailyBlocksBy [4]int
	// pmu guards compile and startup once Open has returned: Multi takes
	// them while a run may hold mu.
	pmu sync.Mutex
	// compile is the build time not yet reported in a Result.
	compile time.Duration
	// dailyReady says the daily kernels have been launched (warmDaily).
	dailyReady bool
	// built says Open built the program from source (no binary in the
	// disk cache), and cold that it then stored the binary there, or
	// that Open waited for another process's build of it (waited): a
	// later process starts without the compile.
	built, cold, waited bool
	// launches counts kernel launches of runs (tests check how runs split).
	launches int
	// work is the work (launchWork) of the next run's first launch of the
	// weather and weather_daily kernels: the size the last run's launches
	// reached (0: none yet, pilotLaneSteps).
	work [2]uint64
	// floor is what a launch of each kernel costs at least, from the
	// engine's latest launches that the geometry made larger than planned
	// (a grid-stride pass, a Philox block of steps): adapt aims at twice
	// that where it exceeds half of chunkTarget (launchFloor).
	floor [2]launchFloor
	// rate is the work (launchWork) per second of the engine's last
	// completed launch of each kernel (0: none yet), from which a run with
	// a deadline predicts when its launches end (run.cut).
	rate    [2]float64
	startup time.Duration // Open's time not yet reported in a Result
	closed  bool
	// left is closed once the launches a cancelled run left in flight
	// have ended and the run is released (leave); nil: none left.
	left chan struct{}
	st   selfTestState
}

// ErrNoDaily matches Run's error for a job with per-step statistics on an
// engine opened with Options.NoDaily, whose program has no daily kernels.
var ErrNoDaily = errors.New("opencl: the engine was opened without the daily kernels (Options.NoDaily)")

// ErrInexactDevice matches Open's error for exact math on a device whose
// float square root is not correctly rounded and that has no fp64.
var ErrInexactDevice = errors.New("opencl: the device has neither a correctly rounded float sqrt nor fp64, so it cannot compute the exact stream")

// Open prepares the device for runs: it checks the options, builds the
// program (or takes it from the cache) and creates the queue and kernels.
// Its errors: an invalid Math or VectorWidth; Devices' errors; a
// *DeviceIndexError for an index past them; ErrInexactDevice; an
// *EarlierCrashError where a process that ended left the mark of the
// device's set-up or of a build on it (the driver not asked); a
// *cl.BuildError with the build log; a *SelfTestError; or the driver's
// *cl.Error.
func Open(opt Options) (*Engine, error) {
	t0 := time.Now()
	time.Sleep(opt.openDelay)
	if f := opt.opening; f != nil {
		opt.opening = nil // not again for Open's second build
		if err := f(opt.Device); err != nil {
			return nil, err
		}
	}
	switch opt.Math {
	case "":
		opt.Math = MathExact
	case MathExact, MathFast:
	default:
		return nil, fmt.Errorf("opencl: math %q is not valid (valid: %s, %s)", opt.Math, MathExact, MathFast)
	}
	if opt.VectorWidth != 0 && !validWidth(opt.VectorWidth) {
		return nil, fmt.Errorf("opencl: vector width %d is not valid (valid: 0 for auto, 1, 2, 4, 8, 16)", opt.VectorWidth)
	}
	ds, err := devices()
	if err != nil {
		return nil, err
	}
	if opt.Device < 0 || opt.Device >= len(ds) {
		e := &DeviceIndexError{Index: opt.Device}
		for _, d := range ds {
			e.Devices = append(e.Devices, d.desc)
		}
		return nil, e
	}
	d := ds[opt.Device]
	cl.UseDevice(d.dev) // a crash names d's own driver behind an ICD loader
	e := newEngine(opt, d.desc)
	options, err := e.buildOptions()
	if err != nil {
		return nil, err
	}
	e.options = options
	err = setUpCrash(d.desc)
	sayKilled(opt.Note) // before the driver is asked again: a kill may come again
	if err != nil {
		return nil, fmt.Errorf("opencl: set up %s: %w", d.desc.Named(), err)
	}
	setUp := markSetUp(d.desc) // init removes it once the first buffer is made
	if e.sh, err = acquire(d); err != nil {
		setUp()
		return nil, err
	}
	// The build, the self-test's launches and the first launch: a stop
	// names what it waited for where the driver hangs in them.
	defer waiting("start " + d.desc.Named())()
	err = e.init(options, setUp)
	if own := (*ownRebuild)(nil); errors.As(err, &own) {
		// The kernels' own local memory changes the build options:
		// build again with it (once: opt.own is then set). The first
		// program is kept in the disk cache, so a warm start loads both.
		e.sh.settle(e.source(), options)
		e.sh.saveBinary(e.source(), options)
		// Bounded: no launch is queued, the release is the driver's
		// bookkeeping.
		if err := e.close("the first build's kernels and queue on " + d.desc.Named()); errors.As(err, new(*NoAnswerError)) {
			return nil, err
		}
		opt = opt.again(t0, e)
		opt.own = &own.own
		return Open(opt)
	}
	if err == nil {
		// Before the checks, whose stored pass keeps it (it was "").
		e.label = d.desc.label(e.vw, e.fast)
		err = e.openSelfTest(options, e.source())
	}
	if err == nil {
		back := e.sh.focus(e.source(), options) // not the self-test's
		err = e.warmUp()
		back()
	}
	if err == nil && e.opts.startErr != nil {
		err = e.opts.startErr
	}
	if err != nil {
		return e.notStarted(opt, t0, options, err)
	}
	e.keepProgram(options)
	e.startup = time.Since(t0) + opt.before.took + discoveryCharge()
	e.compile += opt.before.compile
	return e, nil
}

// notStarted is Open's end where the engine e, its attempt begun at t0
// with the build options, did not start (err). A binary from the disk
// cache that builds but computes wrongly (damaged, or written by another
// driver under the same key) is never trusted: discarded (or bypassed
// when it cannot be removed), and the source built and checked instead,
// by Open again (discard drops the binary's checksum, so the second Open
// builds the source). Which program failed: the engine's where its job
// failed (job/open), else the self-test's. Otherwise err, e closed.
func (e *Engine) notStarted(opt Options, t0 time.Time, options string, err error) (*Engine, error) {
	var ste *SelfTestError
	var stb *selfTestBuildError
	failed, noProbes := errors.As(err, &ste), errors.As(err, &stb)
	mainCached, stCached := e.sh.binarySum(e.source(), options) != "", e.selfTestCached()
	switch {
	case errors.As(err, new(*NoAnswerError)):
		// The driver, not the program: the binaries stay, and
		// no second open waits answerWait again. The engine is not
		// released: the call left running may use its context,
		// queue or program, and a release could hang there too.
		e.sh.unmark()
		return nil, err
	case failed && ste.Check.Name == openJobCheck && mainCached:
		e.sh.discard(e.source(), options, "failed the self-test check "+ste.Check.Name)
	case failed && ste.Check.Name != openJobCheck && stCached:
		e.sh.discard(e.selfTestSource(), e.st.options, "failed the self-test check "+ste.Check.Name)
	case noProbes && stCached:
		e.sh.discard(e.selfTestSource(), e.st.options, "did not start ("+firstLine(err)+")")
	case !failed && !noProbes && mainCached:
		return e.retryFromSource(opt, t0, options, err)
	default:
		// Built from source and refused: its binaries are not
		// stored.
		e.sh.unsave(e.source(), options)
		e.unsaveSelfTest()
		e.Close()
		return nil, err
	}
	e.Close()
	return Open(opt.again(t0, e))
}

// again is opt for Open's next attempt, after the one begun at t0, whose
// engine e is closed, did not go ahead (a build whose kernels' own local
// memory changes its options, a cached binary that fails a self-test check
// or does not start): the engine's start-up and compile time count every
// attempt (before), as the process waited for each. The second attempt's
// clock had started afresh, and timing.startup_s left out the first: the
// binary's loading and its checks, 0.5 s on pocl, or a whole compile.
func (opt Options) again(t0 time.Time, e *Engine) Options {
	opt.before.took += time.Since(t0)
	opt.before.compile += e.compile
	return opt
}

// newEngine is the engine Open prepares for opt on the device desc, before
// it builds the program: what decides the program's build options.
// hooks are the notes of e's builds (Options.Note, Options.Compiling).
func (e *Engine) hooks() buildHooks {
	h := buildHooks{device: e.desc.Named(), progress: e.opts.Progress, note: e.opts.Note}
	if f := e.opts.Compiling; f != nil {
		h.compiling = func() {
			opt := e.opts
			opt.Device = e.desc.Index
			f(opt)
		}
	}
	return h
}

func newEngine(opt Options, desc DeviceDesc) *Engine {
	e := &Engine{desc: desc, vw: opt.VectorWidth, fast: opt.Math == MathFast, opts: opt}
	if e.vw == 0 {
		e.vw = desc.VectorWidth
	}
	if e.opts.histLimit == 0 {
		e.opts.histLimit = math.MaxUint32
	}
	e.fp64 = desc.FP64 && !opt.noFP64
	if opt.own != nil {
		e.own = *opt.own
	}
	return e
}

// keepProgram ends a successful Open: the program's loading mark is
// removed (settle) and, built from source, its binary is stored in the
// disk cache with the self-test's pass (savedBinary); cold says the start
// compiled. RunSelfTest (skipSelfTest) stores the binary itself once its
// checks pass (keepChecked): a program that failed them was stored, and
// the next self-test blamed the cache for the driver's fault.
func (e *Engine) keepProgram(options string) {
	e.sh.settle(e.source(), options)
	saved := ""
	if !e.opts.skipSelfTest {
		saved = e.sh.saveBinary(e.source(), options)
		e.savedBinary(saved)
		e.keepSelfTest()
	}
	e.cold = e.built && (saved != "" || e.opts.skipSelfTest) || e.waited
}

// ProgramFile is the disk cache's file of the program Open(opt) builds, or
// "" when the disk cache is off, the entry is bypassed or opt names no
// device or options Open accepts. While the file is missing, Open builds
// the program from source, a cold start: 6 to 10 s on pocl with its own
// cache empty, against 0.075 s from the binary. It lists the devices (which
// loads the driver, once per process) and reads nothing else: a caller
// stats the file to learn whether a start would be warm.
func ProgramFile(opt Options) string {
	return programFile(opt, func(e *Engine, options string) (string, string) { return options, e.source() })
}

// SelfTestProgramFile is ProgramFile's for the self-test's program of the
// engine Open(opt) opens (selfTestKernels), which a start whose checks run
// builds beside the engine's: on a first start, both. "" as for
// ProgramFile.
func SelfTestProgramFile(opt Options) string {
	return programFile(opt, func(e *Engine, options string) (string, string) {
		return selfTestOptions(options), e.selfTestSource()
	})
}

// programFile is the disk cache's file of a program of the engine
// Open(opt) opens, built with the options and source that program gives
// for the engine's options, or "" as for ProgramFile.
func programFile(opt Options, program func(e *Engine, options string) (string, string)) string {
	ds, err := devices()
	if err != nil || opt.Device < 0 || opt.Device >= len(ds) || opt.VectorWidth != 0 && !validWidth(opt.VectorWidth) {
		return ""
	}
	if opt.Math == "" {
		opt.Math = MathExact
	}
	e := newEngine(opt, ds[opt.Device].desc)
	options, err := e.buildOptions()
	if err != nil {
		return ""
	}
	options, source := program(e, options)
	key := programKey(e.desc, options, source)
	if isBypassed("programs", key) {
		return ""
	}
	return cachePath("programs", key)
}

// retryFromSource opens the engine again from the program's source after
// the device did not start (err) under the binary from the disk cache: a
// kernel missing from it or a launch refused may be the binary's doing
// (another program's under the key), and then it is discarded; but memory
// taken by another process, or a device lost, fails the source's start as
// well, and then the entry stays, good as it was. It was discarded on any
// failure: every start after a passing one (a busy GPU, a --device that
// cannot start) compiled the program again. The attempt began at t0
// (Options.again).
func (e *Engine) retryFromSource(opt Options, t0 time.Time, options string, err error) (*Engine, error) {
	key := programKey(e.desc, options, e.source())
	e.sh.forget(e.source(), options)
	e.Close()
	cacheSkipLoad("programs", key, true)
	e2, err2 := Open(opt.again(t0, e))
	cacheSkipLoad("programs", key, false)
	if err2 != nil {
		return nil, err2
	}
	why := fmt.Sprintf("did not start (%v)", firstLine(err))
	if e2.cold {
		// The source's binary took the entry's place.
		cacheNotes.Add("cache: the compiled program from the cache %s: discarded, rebuilt from source", why)
	} else {
		discardEntry(key, why)
	}
	return e2, nil
}

// firstLine is err's message up to its first line break: a build log
// that follows stays out of a one-line note.
func firstLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

func validWidth(w int) bool {
	for _, v := range VectorWidths {
		if w == v {
			return true
		}
	}
	return false
}

func (e *Engine) buildOptions() (string, error) {
	o := []string{"-cl-std=CL1.2", fmt.Sprintf("-DVW=%d", e.vw),
		fmt.Sprintf("-DHIST_BINS=%d", sim.HistBins), fmt.Sprintf("-DDAILY_BINS=%d", sim.DailyBins)}
	if e.fp64 {
		o = append(o, "-DACC_DOUBLE")
	}
	if !e.desc.IsGPU() && e.opts.mulHi == 0 || e.opts.mulHi > 0 {
		// pocl's mul_hi(uint16) takes four multiplies; the 64-bit
		// product's high word takes two (2.0 -> 1.6 CPU-ns per
		// lane-step at 16-wide float vectors). GPUs have a mul_hi instruction.
		o = append(o, "-DWIDE_MULHI")
	}
	switch {
	case e.fast:
		o = append(o, "-DFAST_MATH", "-cl-fast-relaxed-math")
	case e.desc.CorrectlyRoundedSqrt && !e.opts.sqrtDouble:
		o = append(o, "-cl-fp32-correctly-rounded-divide-sqrt")
	case e.desc.FP64:
		o = append(o, "-DSQRT_DOUBLE")
	default:
		return "", fmt.Errorf("%w: %s, where fast math would run", ErrInexactDevice, e.desc.Named())
	}
	if e.useLocalHist() {
		o = append(o, "-DLOCAL_HIST")
	}
	if e.histSerial() {
		o = append(o, "-DHIST_SERIAL")
	}
	if e.dailySerial() {
		o = append(o, "-DDAILY_SERIAL")
	}
	if e.dailyHistSerial() {
		o = append(o, "-DDAILY_HIST_SERIAL")
	}
	if e.opts.noDenormals {
		o = append(o, "-cl-denorms-are-zero")
	}
	if e.opts.NoDaily {
		o = append(o, "-DNO_DAILY")
	}
	return strings.Join(o, " "), nil
}

// localHistReserve is the local memory left to the compiler and the
// reduction arrays besides a local histogram.
const localHistReserve = 16 << 10

// localHistMin is the local memory the final histogram wants in local memory.
const localHistMin = (sim.HistBins+2)*4 + localHistReserve

func (e *Engine) useLocalHist() bool {
	switch e.opts.localHist {
	case 1:
		return true
	case -1:
		return false
	}
	// On CPUs local memory is ordinary memory, and a work-group runs on
	// one thread: the per-group histogram spares the atomics contention
	// between threads. It pays off on GPUs too. The kernel's own local
	// memory (e.own) is not the kernel's to use.
	return e.localMem()-e.own.main >= localHistMin
}

// histSerial says whether the main kernel counts the final histogram in
// one local histogram per work-item without atomics (HIST_SERIAL): on CPUs,
// where a work-group runs on one thread and a local atomic is a locked
// instruction (about a third of the kernel's time at 5M x 10 on pocl).
func (e *Engine) histSerial() bool { return !e.desc.IsGPU() && e.useLocalHist() }

// init creates the queue, the engine's first buffer and the kernels of the
// program built with options; setUp removes the mark of the device's
// set-up (markSetUp), which init calls once the buffer is made, or as it
// returns.
func (e *Engine) init(options string, setUp func()) error {
	src := kernels.Weather
	if e.opts.source != "" {
		src = e.opts.source
	}
	// The queue and the engine's buffer first: they are the device's,
	// not the program's, and a crash there under the program's loading
	// mark made the next start discard a good cached program.
	defer setUp()
	var err error
	probeMark := markProbeSetUp() // the probe's child asks for one too; around the wait, as acquire's
	e.q, err = withinAnswer("a queue on "+e.desc.Named(), func() (*cl.Queue, error) {
		return createQueue(e.sh.ctx, e.sh.dev)
	}, func(q *cl.Queue) { _ = q.Release() })
	probeMark()
	if errors.As(err, new(*NoAnswerError)) {
		return err // it names the device
	}
	if err != nil {
		return fmt.Errorf("opencl: create queue: %w", err)
	}
	if e.dummy, err = createBuffer(e.sh.ctx, cl.MemReadWrite, 64, e.desc.Named()); err != nil {
		return unanswered(err, "opencl: allocate")
	}
	setUp() // the program's marks are its own
	prog, took, err := e.sh.program(src, options, e.hooks())
	if err != nil {
		return fmt.Errorf("opencl: build kernels for %s: %w", e.desc.Named(), err)
	}
	e.compile = took
	e.built = took > 0 && e.sh.binarySum(src, options) == ""
	e.waited = took > 0 && e.sh.waitedBuild(src, options)
	for _, k := range []struct {
		k    **cl.Kernel
		name string
	}{{&e.kMain, "weather"}, {&e.kDaily, "weather_daily"}, {&e.kRed, "reduce_daily"}} {
		if e.opts.NoDaily && (k.k == &e.kDaily || k.k == &e.kRed) {
			continue // not in the program (NO_DAILY)
		}
		if *k.k, err = createKernel(prog, k.name, e.desc.Named()); err != nil {
			return unanswered(err, "opencl: kernel %s", k.name)
		}
	}
	if err := e.checkOwn(options); err != nil {
		return err
	}
	return e.layoutKernels()
}

// ownRebuild is init's error when the weather kernels' own local memory
// (kernelLimits.own) changes the program's build options: Open builds the
// program again with it.
type ownRebuild struct{ own ownLocal }

func (r *ownRebuild) Error() string {
	return fmt.Sprintf("opencl: the kernels' own local memory (%d and %d bytes) changes the build options", r.own.main, r.own.daily)
}

// checkOwn records the weather kernels' own local memory in e.own, which
// the build options' local-memory choices (useLocalHist, dailyHistSerial)
// subtract; they are chosen before any kernel exists, with none known. When
// the program was built with options that the kernels' own bytes change, it
// returns an *ownRebuild; with e.opts.own set (the second build) the choices
// stand as built, and layout refuses a kernel whose memory does not fit.
func (e *Engine) checkOwn(options string) error {
	if e.opts.own != nil {
		return nil
	}
	var own [2]int
	for i, k := range []*cl.Kernel{e.kMain, e.kDaily} {
		if k == nil {
			continue // NoDaily: no daily kernel, whose own memory the options do not use
		}
		l, err := e.limits(k)
		if err != nil {
			return err
		}
		own[i] = l.own
	}
	e.own = ownLocal{main: own[0], daily: own[1]}
	if o, _ := e.buildOptions(); o != options {
		return &ownRebuild{e.own}
	}
	return nil
}

// layoutKernels chooses the launch geometry of the main, daily and
// reduce_daily kernels from the device and each kernel's limits.
func (e *Engine) layoutKernels() error {
	l, err := e.limits(e.kMain)
	if err != nil {
		return err
	}
	fixed, perItem := e.mainLocal()
	if e.main, err = e.layout("weather", l, fixed, perItem, false); err != nil {
		return err
	}
	if e.opts.NoDaily {
		return nil
	}
	if l, err = e.limits(e.kDaily); err != nil {
		return err
	}
	if err = e.layoutDaily(l); err != nil {
		return err
	}
	if l, err = e.limits(e.kRed); err != nil {
		return err
	}
	e.redWG = e.reduceGroup(l)
	return nil
}

// warmUp launches the main kernel once after a fresh build: pocl generates
// a kernel's machine code at its first launch (and caches it on disk), which
// belongs to the compile time rather than to the first run.
func (e *Engine) warmUp() error {
	if e.compile == 0 {
		return nil
	}
	defer waiting("run the first launch on " + e.desc.Named())()
	t0 := time.Now()
	p := sim.Default()
	p.Lanes, p.Steps = 1, 1
	r := &run{e: e, job: &sim.Job{Params: p}, p: p, m: p.Model(), count: 1, warm: true}
	defer r.release()
	if _, err := r.run(context.Background()); err != nil {
		return fmt.Errorf("opencl: first launch on %s: %w", e.desc.Named(), err)
	}
	e.compile += time.Since(t0)
	return nil
}

// warmDaily launches the daily kernels (weather_daily, reduce_daily) once,
// on one lane and one step, before the engine's first daily run: pocl
// generates a kernel's machine code at its first launch, 1.5 to 4 s for
// weather_daily where its kernel cache is cold, which counted in the run's
// wall time and rate (2 s of a 1e5-lane run of 9 ms). Its time is start-up
// and compile, reported with the run. The launch sizing and the launch
// count it leaves as they were: it is no run. Its errors: ctx's cause, and
// the launch's, naming the device.
func (e *Engine) warmDaily(ctx context.Context) error {
	if e.dailyReady {
		return nil
	}
	t0 := time.Now()
	work, rate, floor, launches := e.work[1], e.rate[1], e.floor[1], e.launches
	p := sim.Default()
	p.Lanes, p.Steps = 1, 1
	r := &run{e: e, job: &sim.Job{Params: p, Daily: true}, p: p, m: p.Model(), count: 1}
	// As a run: a stop returns at once, the launch left to end in the
	// background (runUntil).
	_, err := r.runUntil(ctx)
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	e.work[1], e.rate[1], e.floor[1], e.launches = work, rate, floor, launches
	if err != nil {
		return fmt.Errorf("opencl: first launch of the daily kernel on %s: %w", e.desc.Named(), err)
	}
	e.dailyReady = true
	d := time.Since(t0)
	e.pmu.Lock()
	e.startup += d
	e.compile += d
	e.pmu.Unlock()
	return nil
}

// ColdStart reports whether Open built the program from source and stored
// its binary in the disk cache, as a first run on a device (or after the
// cache was emptied) does, or waited for another process sharing the cache
// folder to build and store it (buildShared): its start-up then includes a
// compile, its own or the other's, that later processes, finding the
// binary, do not pay.
func (e *Engine) ColdStart() bool { return e.cold }

// Name implements sim.Engine.
func (e *Engine) Name() string { return "opencl" }

// Math is the arithmetic of the engine's runs, sim.MathExact or
// sim.MathFast (sim.MathReporter): what a Result it does not compute, such
// as an empty shard's (shard.Run), says.
func (e *Engine) Math() string {
	if e.fast {
		return sim.MathFast
	}
	return sim.MathExact
}

// Device describes the engine's device.
func (e *Engine) Device() DeviceDesc { return e.desc }

// VectorWidth is the lanes per work-item the engine's kernels use.
func (e *Engine) VectorWidth() int { return e.vw }

// Label is the device as Result.Device names it, with its index (as
// --device gives it) and the vector type: "device 0:
// pthread-skylake-avx512-AMD EPYC (pocl, CPU, float x16)". Two devices of
// one model differ only in their index.
func (e *Engine) Label() string { return fmt.Sprintf("device %d: %s", e.desc.Index, e.label) }

// Close releases the engine's queue and kernels and, with the last engine
// of its device, the context and programs. It waits for a run in progress
// and is idempotent. A release that the driver does not end in answerWait
// is left to go on: a *NoAnswerError that names it ("the release of the
// queue and kernels on device 0 (...)", "the release of the programs
// for", "the release of the context for"). Where a cancelled run left launches in flight (leave),
// it returns at once and the engine is released in the background once
// they end: a stopped gpusim exits without waiting for them. That release
// is bounded the same way, and a *NoAnswerError of it goes to
// Options.Note, with "; its run had been stopped, and the engine, released
// in the background, was left to end with the process".
func (e *Engine) Close() error {
	if e == nil {
		return nil
	}
	return e.close("the queue and kernels on " + e.desc.Named())
}

// close is Close, whose bounded release of the engine's own objects is
// named the release of own ("the queue and kernels on device 0 (...)"),
// and of the device's programs and context, where it holds the last
// reference, each its own (shared.releaseWithin): one wait named the
// queue and kernels where the driver hung releasing the context.
func (e *Engine) close(own string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	if left := e.left; left != nil {
		background.Add(1)
		go func() {
			defer background.Done()
			<-left
			// Bounded as below: unbounded, a driver that hung here
			// held this goroutine and the device's state for ever
			// without a word, and a later start of the device did not
			// know of the hang (hungCall).
			err := e.releaseWithin(own)
			if note := e.opts.Note; note != nil && errors.As(err, new(*NoAnswerError)) {
				note(err.Error() + "; its run had been stopped, and the engine, released in the background, was left to end with the process")
			}
		}()
		return nil
	}
	return e.releaseWithin(own)
}

// releaseWithin releases the engine's own objects (named own) and its
// reference on the device's state, each release bounded by answerWait:
// a *NoAnswerError naming the release the driver did not answer, where
// the device's state is left as it is. Within answerWait: a driver that
// hung releasing the queue held the process for ever after its report, a
// stop too (past its commit point it waits for the program to end on its
// own).
func (e *Engine) releaseWithin(own string) error {
	err := askRelease("the release of "+own, e.releaseOwn)
	if errors.As(err, new(*NoAnswerError)) || e.sh == nil {
		return err // the device's state is left as it is
	}
	if serr := e.sh.releaseWithin(); serr != nil {
		return serr
	}
	return err
}

// background counts the engines Close releases in the background, for tests
// that need the process's programs released (a later Open builds afresh).
var background sync.WaitGroup

// leave runs finish, the end of a cancelled run that Run did not wait
// for (runUntil), in the background; the engine's next run waits for it
// (settle), and so does the release of the engine (Close). Call it with
// e.mu held.
func (e *Engine) leave(finish func()) {
	leftRuns.Add(1)
	left := make(chan struct{})
	e.left = left
	go func() {
		finish()
		close(left)
	}()
}

// leftRuns counts the cancelled runs that returned with their launches in
// flight (leave).
var leftRuns atomic.Int64

// LeftInFlight reports how many cancelled runs in this process returned
// while their launches were still in flight, leaving them to end in the
// background (Close): a stop that did not wait for them. A test reads it
// where the stop's wall time, which the machine's load stretches, cannot
// tell that wait.
func LeftInFlight() int { return int(leftRuns.Load()) }

// settle waits for the launches a cancelled run left in flight (leave), or
// returns ctx's cause when ctx ends first. Call it with e.mu held.
func (e *Engine) settle(ctx context.Context) error {
	if e.left == nil {
		return nil
	}
	select {
	case <-e.left:
		e.left = nil
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// queueRelease is (*cl.Queue).Release for the engine's queue
// (releaseOwn); tests make it hang.
var queueRelease = (*cl.Queue).Release

// releaseOwn releases the engine's queue, kernels and buffers, not the
// device's shared state.
func (e *Engine) releaseOwn() error {
	var errs []error
	if e.q != nil {
		errs = append(errs, e.q.Finish())
	}
	for _, k := range []*cl.Kernel{e.kMain, e.kDaily, e.kRed, e.kKAT, e.kNorm} {
		errs = append(errs, k.Release())
	}
	errs = append(errs, e.st.release(), e.dummy.Release(), queueRelease(e.q))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("opencl: close: %w", err)
	}
	return nil
}
