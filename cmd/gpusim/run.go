package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/cputime"
	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/jsonnum"
	"github.com/gpusim/gpusim/internal/paths"
	"github.com/gpusim/gpusim/internal/report"
	"github.com/gpusim/gpusim/internal/runfiles"
	"github.com/gpusim/gpusim/internal/sysmem"
	"github.com/gpusim/gpusim/shard"
	"github.com/gpusim/gpusim/sim"
)

// maxWorkers bounds --workers, and the default, GOMAXPROCS (cpu.MaxWorkers).
const maxWorkers = engines.MaxWorkers

func runCommand() *cli.Command {
	d := sim.Default()
	cmd := &cli.Command{
		Name:      "run",
		Usage:     "run one job and print a summary of the final temperatures",
		UsageText: "gpusim run [--lanes N] [--steps N] [--engine NAME] [--format text|json] [--out FILE] [flags]",
		Description: "Each lane starts at --start and takes --steps steps of\n" +
			"   t' = Normal(anchor + persistence * (t - anchor), sigma)\n" +
			"A lane's final temperature depends only on --seed, its lane number and the model,\n" +
			"so every engine prints the same digest for the same job.\n\n" +
			"Counts are written 5000000, 5_000_000, 5e6, 5M, 0xdeadbeef (010 is ten) or as exact\n" +
			"powers 2^28, 2^64-1, 2^32+1; numbers 75, -3.5, 1e-3, 0x10, 0x1.4p2 or 2^126, -2^-24.\n" +
			"Every range below is typed as written: 1..2^64-1 takes 2^64-1, not 2^64.\n\n" +
			"Engines:" + engineHelp() + "\n\n" +
			"Exits 1 where the run failed (an engine's error, a device's wrong result, a file not\n" +
			"written after the run); 2 for bad input, and where the engine asked for could not run\n" +
			"here through no fault of a device (--engine opencl with no OpenCL library, platform or\n" +
			"device, or a limit or POCL_CACHE_DIR that keeps the driver from loading or building).",
		Flags: []cli.Flag{
			countFlag("lanes", d.Lanes, 1, math.MaxUint64, "`N` independent runs"),
			stepsFlag(uint64(d.Steps)),
			floatFlag("start", d.Start, fmt.Sprintf("temperature `T` every lane starts from (|T| <= 2^126 = %v, the most a run may compute)", sim.MaxTemperature)),
			floatFlag("anchor", d.Anchor, fmt.Sprintf("long-run mean `T` the temperature reverts to (|T| <= %v)", sim.MaxParam)),
			floatFlag("persistence", d.Persistence, fmt.Sprintf("weight `P` of yesterday's deviation from the anchor (|P| <= %v; every value a run computes must stay within 2^126 = %v)", sim.MaxParam, sim.MaxTemperature)),
			floatFlag("sigma", d.Sigma, fmt.Sprintf("standard deviation `SD` of each day's noise (0..%v)", sim.MaxParam)),
			countFlag("seed", d.Seed, 0, math.MaxUint64, "the random stream's key `N`"),
			shardFlag(), saveFlag(),
			&cli.StringFlag{Name: "engine", Value: "auto", Usage: "engine `NAME`: " + strings.Join(engines.Names(), ", ")},
			// --backend is --engine's old name, kept for scripts written
			// against it (such as the C yardstick's run.sh).
			// Its usage is not in the help, but in its errors.
			&cli.StringFlag{Name: "backend", Hidden: true, Usage: "engine `NAME` (--engine's old name): " + strings.Join(engines.Names(), ", ")},
			&cli.GenericFlag{Name: "workers", Value: &countValue{n: 0, lo: 0, hi: maxWorkers}, DefaultText: fmt.Sprintf("0, all cores (GOMAXPROCS, at most %d)", maxWorkers), Usage: "`N` goroutines for " + strings.Join(engines.TakenBy(engines.TakesWorkers), " and ") + " (" + count.Range(0, maxWorkers) + ")"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "report `FORMAT`: text or json"},
			&cli.StringFlag{Name: "out", TakesFile: true, Usage: "write the final temperatures in lane order to `FILE`, a float32 a lane (.npy, .csv or .f32)"},
			&cli.StringFlag{Name: "device", Usage: "device `N`, a list N,M or all of the device engine (see gpusim devices); implies --engine opencl; default: the first GPU, else the first device of one type, else device 0"},
			&cli.StringFlag{Name: "math", Value: sim.MathExact, Usage: "device `MODE`: exact (the reproducible stream) or fast (native functions: faster on GPUs, device-dependent digest)"},
			&cli.GenericFlag{Name: "vector-width", Value: &countValue{n: 0, lo: 0, hi: math.MaxInt32, oneOf: "0 for auto, 1, 2, 4, 8, 16", in: engines.VectorWidths}, Usage: "lanes per OpenCL work-item `N` (1, 2, 4, 8, 16; 0 picks per device); exact results do not depend on it, --math fast ones may"},
		},
		Action: func(c *cli.Context) error {
			o, err := newRunOptions(c)
			if err != nil {
				return err
			}
			return runRun(c.Context, o, c.App.Writer, c.App.ErrWriter)
		},
	}
	cmd.Flags = append(cmd.Flags, outputFlags()...)
	cmd.Flags = append(cmd.Flags,
		&cli.GenericFlag{Name: "timeout", Value: &durationValue{}, DefaultText: "0, none", Usage: "stop the run after `DURATION` (such as 30s or 5m; 0.." + durationText(maxTimeout) + ", 0 for none) and exit 124"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar on a terminal, no progress lines elsewhere"},
		htmlFlag("the summary, histogram and, with --daily, fan chart"),
	)
	return cmd
}

// engineHelp describes the engines for `gpusim run --help`.
func engineHelp() string {
	var b strings.Builder
	for _, e := range engines.All() {
		fmt.Fprintf(&b, "\n   %-9s %s", e.Name, e.Help)
	}
	return b.String()
}

// runOptions is everything `gpusim run` was asked, checked.
type runOptions struct {
	params  sim.Params
	typed   sim.Typed // the model flags as typed, which notes quote
	engine  string
	eng     engines.Options
	given   []string // the engine options set on the command line
	format  string
	outputs outputs
	shard   *shardRun
	files   runfiles.Files // created by newRunOptions; runRun commits them
	named   []outFile      // their flags and paths, in order
	timeout time.Duration
	// timeoutText is --timeout as given, which its message echoes.
	timeoutText string
	quiet       bool
	// deviceUnchecked, where not 0, is the wait (engines.ListWait as
	// engines.Check began) in which Check could not list the devices, so
	// --device was not checked against them (auto's note says so where it
	// chose a CPU engine).
	deviceUnchecked time.Duration
}

// newRunOptions reads and checks run's flags, so that bad input fails
// before any work starts: each flag's own validity first, then the flags
// together and against the job (run --paths 0 said it needed --paths-out,
// --engine serial --math nosuch that serial takes no --math), then the
// files' names and creation, then what the plan needs (the outputs'
// memory and disk space, the per-step statistics' memory, the time), so
// that a refusal of the plan never hides a flag's own error (run --engine
// nosuch --lanes 2^64-1 must name the engine; --plot a.svg --plot-daily
// a.svg --lanes 2^64-1 was refused for its years, not for the one file).
// noSignedZero is v, with -0 read as 0: --sigma -0 is no noise, as --sigma
// 0 is, but the sign of the noise's zeros carried into the lanes that end
// at 0, and gave another digest (710e67dd8ae85b19 against 2aaddcf8503af3cf
// at --start -0 --anchor -0 --steps 3).
func noSignedZero(v float64) float64 {
	if v == 0 {
		return 0
	}
	return v
}

func newRunOptions(c *cli.Context) (*runOptions, error) {
	if err := noArgs(c); err != nil {
		return nil, err
	}
	o := &runOptions{
		params: sim.Params{
			Lanes: getCount(c, "lanes"), Steps: getInt(c, "steps"), Seed: getCount(c, "seed"),
			Start: getFloat(c, "start"), Anchor: getFloat(c, "anchor"), Persistence: getFloat(c, "persistence"), Sigma: noSignedZero(getFloat(c, "sigma")),
		},
		typed:   modelTyped(c),
		engine:  nameValue(c, "engine"), // as around a number
		timeout: c.Generic("timeout").(*durationValue).d, timeoutText: c.Generic("timeout").(*durationValue).typed,
		quiet: c.Bool("quiet"),
	}
	if err := o.params.Validate(); err != nil {
		return nil, err
	}
	var err error
	if o.format, err = checkFormat(c, "text", "json"); err != nil {
		if strings.EqualFold(o.format, "csv") {
			// --format csv got the valid list alone: a run's CSV is a
			// file, not its report.
			return nil, paramErr("format", "unknown format %q (valid: text, json; CSV is written to a file: --out FILE.csv for the lanes' finals, --daily-out FILE.csv for the days' table)", c.String("format"))
		}
		return nil, err
	}
	if o.shard, err = newShardRun(c, o.params); err != nil {
		return nil, err
	}
	if err := o.readEngine(c); err != nil {
		return nil, err
	}
	if o.outputs, err = parseOutputs(c, o.params, o.engine); err != nil {
		return nil, err
	}
	// The flags together, after each on its own.
	cut0, checkWait := engines.ListingsCut(), engines.ListWait()
	if err := engines.Check(o.engine, o.eng, o.given); err != nil {
		return nil, impliedEngine(c, o.engine, err)
	}
	if o.eng.Devices != "" && engines.ListingsCut() > cut0 {
		o.deviceUnchecked = checkWait
	}
	if err := shardConflicts(c, o.shard.shard); err != nil {
		return nil, err
	}
	if err := o.outputs.checkCombined(c, o.params); err != nil {
		return nil, err
	}
	files := o.outputs.files()
	if o.shard.save != "" {
		files = append(files, outFile{Flag: "save", Path: o.shard.save})
	}
	if err := checkNames(c, files); err != nil {
		return nil, err
	}
	if err := argsChecked(c.Context); err != nil {
		// A folder not there is the command line's fault, said before
		// the limits with os.Stat alone: run --out /nonexist/x.npy under
		// ulimit -n 12 was refused for the limit.
		return nil, cmp.Or(folderError(files), err)
	}
	if err := driverWaitChecked(c.Context, engines.LoadsDriver(o.engine)); err != nil {
		return nil, cmp.Or(folderError(files), err)
	}
	// Last of the flags' own checks, as it creates files (removed if the
	// plan is refused).
	if o.files, err = createOutputs(files); err != nil {
		return nil, err
	}
	o.named = files
	if len(files) > 0 { // written with stdout's reader gone too
		interrupt.KeepFiles()
	}
	stdoutRoom := func() error {
		taken := func(dev, room uint64) (uint64, bool, []string) { return o.outputs.TakenOn(o.params, dev, room) }
		var names []string
		for _, f := range files {
			names = append(names, f.Path)
		}
		return checkStdoutRoom(c.App.Writer, o.format, o.outputs.daily, o.params.Steps, names, taken)
	}
	for _, check := range []func() error{func() error { return o.outputs.Room(o.params) }, stdoutRoom, o.checkDailyMemory, o.checkTime} {
		if err := check(); err != nil {
			o.files.Abort()
			return nil, err
		}
	}
	return o, nil
}

// readEngine reads --engine and the options engines take, refusing an
// unknown engine and an option's bad value; newRunOptions then refuses an
// option the chosen engine would ignore.
func (o *runOptions) readEngine(c *cli.Context) error {
	o.eng = engines.Options{
		Workers: getInt(c, "workers"), Devices: c.String("device"), Math: nameValue(c, "math"),
		VectorWidth: getInt(c, "vector-width"), Params: o.params,
		// In argsRefused's pass, which loads no driver, --device's form
		// alone (its refusal never lists the devices), not its indexes.
		Unlisted: argsOnly(c.Context),
	}
	// Given empty, as by an unset shell variable: not the default (--math ""
	// ran the exact stream without a word where --math "$MODE" meant fast).
	if c.IsSet("device") && nameValue(c, "device") == "" {
		return emptyName(c, "device", "a device", engines.DeviceForms)
	}
	if c.IsSet("math") && o.eng.Math == "" {
		return emptyName(c, "math", "a mode", "exact, fast")
	}
	if c.IsSet("backend") {
		if c.IsSet("engine") {
			return paramErr("backend", "is the old name of --engine; give one of them")
		}
		o.engine = nameValue(c, "backend") // with a note (noteDeprecated)
	}
	if c.IsSet("device") && !c.IsSet("engine") && !c.IsSet("backend") {
		dev, err := engines.DeviceEntry()
		if err != nil {
			return paramErr("device", "%v", err)
		}
		o.engine = dev.Name
	}
	for _, opt := range engines.AllOptions {
		if c.IsSet(opt) {
			o.given = append(o.given, opt)
		}
	}
	// Whether the engine takes them is checked with the other flags'
	// combinations (engines.Check), after every flag's own check.
	if _, err := engines.Lookup(o.engine); err != nil {
		// Quoted as typed: --engine ' ' read `unknown engine ""`.
		flag := "engine"
		if c.IsSet("backend") {
			flag = "backend"
		}
		if c.IsSet(flag) && o.engine == "" {
			return emptyName(c, flag, "an engine", strings.Join(engines.Names(), ", "))
		}
		// Named as given: --backend bogus read "--engine: unknown engine".
		if typed := c.String(flag); c.IsSet(flag) {
			return paramErr(flag, "unknown engine %q%s (valid: %s)", typed, engines.DidYouMean(typed, engines.Names()...), strings.Join(engines.Names(), ", "))
		}
		return err
	}
	return engines.CheckOptions(o.eng)
}

// impliedEngine adds to engines.Check's refusal of an option that --device
// chose the engine, where --engine was not given: --device 0 --workers 2
// said "--workers: the opencl engine does not take it", an engine the
// command line did not name.
func impliedEngine(c *cli.Context, engine string, err error) error {
	var pe *sim.ParamError
	if !errors.As(err, &pe) || pe.Flag == "device" || !c.IsSet("device") || c.IsSet("engine") || c.IsSet("backend") {
		return err
	}
	return &sim.ParamError{Flag: pe.Flag, Msg: pe.Msg + " (--device implies --engine " + engine + ")"}
}

// availableMemory is runfiles.Available; tests replace it.
var availableMemory = runfiles.Available

// checkDailyMemory refuses --daily when the per-step statistics the engine
// keeps (engines.DailyCopies sets of sim.DailyBytes, and each worker's
// scratch), with the slack of Go's heap (sysmem.HeapSlack), need more
// memory than is available: 1024 workers at 10,000 steps ran out of memory
// and crashed, and, counted without the slack and with each step's bins in
// a size class of their own, 27 to 40 workers under ulimit -v 3000000.
func (o *runOptions) checkDailyMemory() error { return o.checkDailyCopies(nil) }

// keepFinals says whether the run keeps every lane's final: for --out, and
// in a job of at most sim.ExactQuantileLanes lanes, sharded or not, for
// exact quantiles, which its part saves (shard.NewPart) so that a merge of
// its shards reports them as the single run does.
func (o *runOptions) keepFinals() bool {
	return o.outputs.Out != "" || o.params.Lanes <= sim.ExactQuantileLanes
}

// dailyHolder is an open engine that holds several copies of a --daily
// job's per-step statistics at once, on several devices, with device
// buffers in host memory besides: gpu.Multi.
type dailyHolder interface {
	DailyMemory(job *sim.Job) (copies, devices int, buffers uint64)
}

// checkDailyMemoryOpen takes checkDailyMemory again once eng is open,
// before the job runs, where eng holds more than the one copy of the
// per-step statistics it counted (dailyHolder): --device all on several
// devices, whose count is known only once OpenCL has listed them, and
// which hold about five a device and a piece's buffers on each. Counted as
// one, 10,000 steps on two devices under a 400 MB cgroup limit started and
// stopped partway, exit 1 ("OpenCL run not started" as a later piece
// started). The memory available is what is left with the driver loaded.
func (o *runOptions) checkDailyMemoryOpen(eng sim.Engine) error {
	dh, ok := eng.(dailyHolder)
	if !o.outputs.daily || !ok {
		return nil
	}
	open := func(steps int) (int, int, uint64) {
		p := o.params
		p.Lanes, p.Steps = o.shard.lanes(o.params), steps
		return dh.DailyMemory(&sim.Job{Params: p, Daily: true, KeepFinals: o.keepFinals()})
	}
	if copies, _, _ := open(o.params.Steps); copies <= 1 {
		return nil
	}
	return o.checkDailyCopies(open)
}

// openDaily is an open engine's DailyMemory at a number of steps; nil
// before the engine opens.
type openDaily func(steps int) (copies, devices int, buffers uint64)

// dailyMemory is what the per-step statistics of steps steps take on the
// engine o names with eo's options: copies sets, their bytes with the
// workers' scratch, and that with Go's heap slack; on an open engine
// (open not nil) its copies, with its device buffers in host memory.
func (o *runOptions) dailyMemory(eo engines.Options, steps int, open openDaily) (copies int, data, need uint64) {
	copies, scratch := engines.DailyCopies(o.engine, eo, o.params.Lanes, steps)
	buffers := uint64(0)
	if open != nil {
		copies, _, buffers = open(steps)
		scratch = 0
	}
	heap := count.SatAdd(count.SatMul(uint64(copies), sim.DailyBytes(steps)), scratch)
	data = count.SatAdd(heap, buffers)
	return copies, data, count.SatAdd(data, sysmem.HeapSlack(heap))
}

// checkDailyCopies is checkDailyMemory, and with open checkDailyMemoryOpen's
// check of an open engine.
func (o *runOptions) checkDailyCopies(open openDaily) error {
	if !o.outputs.daily {
		return nil
	}
	copies, data, need := o.dailyMemory(o.eng, o.params.Steps, open)
	avail, ok := availableMemory()
	if !ok {
		return nil
	}
	// Beside the per-lane outputs (--out's finals, --paths'
	// trajectories), which the run holds with the statistics: each fit
	// the available memory alone, and 1.2e8 lanes with --out and --daily
	// on 700 workers under a 600 MB cgroup limit were killed out of
	// memory, exit 137, their report lost.
	beside := ""
	if kept := o.outputs.HostBytes(o.params); kept > 0 {
		beside = fmt.Sprintf(" beside the %s GB the per-lane outputs keep", count.Sig3(float64(kept)/1e9))
		avail -= min(avail, kept)
	}
	if need <= avail {
		return nil
	}
	what := fmt.Sprintf("%d copies of the per-step statistics of %d steps (one per worker, and the result's)", copies, o.params.Steps)
	if open != nil {
		_, devices, buffers := open(o.params.Steps)
		what = fmt.Sprintf("%d copies of the per-step statistics of %d steps (five per device of the %d, and the result's) and %s GB of the devices' buffers in host memory", copies, o.params.Steps, devices, count.Sig3(float64(buffers)/1e9))
	} else if _, scratch := engines.DailyCopies(o.engine, o.eng, o.params.Lanes, o.params.Steps); scratch > 0 {
		what += " and the workers' scratch"
	}
	// The sizes as count.Sig3 writes them, whole from 1000 GB (a node's
	// memory), where %.3g wrote 1.5e+03 GB.
	gb := func(b uint64) string { return count.Sig3(float64(b) / 1e9) }
	return &sim.ParamError{Flag: o.outputs.dailyFlag, Msg: fmt.Sprintf("%s need %s GB of memory, %s GB with Go's heap slack, but %s GB are available%s (%s)",
		what, gb(data), gb(need), gb(avail), beside, o.dailyLower(copies, open, avail))}
}

// dailyLower is checkDailyCopies' advice where copies sets do not fit in
// avail: the most workers that fit, where fewer workers keep fewer copies
// (1024 asked for 100,000 lanes start 98, one a block of lanes: the
// advice to lower --workers named neither), or, on an open engine's
// devices (open not nil), the most steps that fit on them, in what the
// next start has available at the least (sysmem.StartSpread less).
func (o *runOptions) dailyLower(copies int, open openDaily, avail uint64) string {
	fitIn := avail - min(avail, sysmem.StartSpread)
	if open != nil {
		// The need grows with the steps: the most that fit, by bisection.
		lo, hi := -1, o.params.Steps
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			if _, _, n := o.dailyMemory(o.eng, mid, open); n <= fitIn {
				lo = mid
			} else {
				hi = mid
			}
		}
		if lo < 1 {
			return "use fewer devices (--device N,M), or run without --daily: no --steps fits on these devices"
		}
		return fmt.Sprintf("--steps %d fits on these devices, or use fewer devices (--device N,M)", lo)
	}
	lower := "lower --steps"
	if fewer := copies - 1; fewer >= 1 && (o.engine == "parallel" || o.engine == "simd" || o.engine == "auto") {
		lower = "lower --steps: no worker count fits"
		for w := fewer; w >= 1; w-- {
			eo := o.eng
			eo.Workers = w
			if _, _, n := o.dailyMemory(eo, o.params.Steps, nil); n <= fitIn {
				return fmt.Sprintf("--workers %d fits, or lower --steps", w)
			}
		}
	}
	return lower
}

// maxFloorTime is the longest a job may take at the fastest any engine is
// expected to run it (engines.MinTime) without --timeout: a job past it
// (--lanes 2^64-1, 2.9 years on a GPU faster than any measured, centuries
// on this machine's cores) is a typo far more often than a plan.
const maxFloorTime = 365 * 24 * time.Hour

// checkTime refuses, before anything starts, a job (a shard's lanes) that
// would take longer than maxFloorTime even at engines.MinTime's ceilings
// for the engine asked for, unless --timeout bounds the run: --lanes
// 2^64-1 started, and only the progress lines' ETA said it would not end.
// MinTime takes every device for a GPU; where the job is past maxFloorTime
// on this machine's cores, the devices are listed and counted by kind
// (engines.ListedFloor), whether or not a GPU would let it through: on
// pocl, a CPU device, --engine opencl --lanes 2^64-1 --steps 1 was let
// through as 107 days, and --lanes 2^64-1 refused "at 2e+12 lane-steps/s
// for opencl on 1 device taken for a GPU" (auto's alike) where the one
// device was pocl's. Where they cannot be listed, or --device names one
// not there, the engine's open refuses the job, saying why (OpenCL not
// here, no device 99), and checkTimeOpen floors it on what opened. The
// error names the floor and --timeout, which runs it anyway.
func (o *runOptions) checkTime() error {
	work := o.floorWork()
	secs, on := engines.MinTime(o.engine, o.eng, work)
	if o.timeout == 0 {
		if cpu, _ := engines.MinTime("simd", engines.Options{}, work); cpu > maxFloorTime.Seconds() {
			var listed bool
			if secs, on, listed = engines.ListedFloor(o.engine, o.eng, work); !listed {
				return nil
			}
		}
	}
	return o.checkFloor(secs, on)
}

// checkTimeOpen takes checkTime's floor again once eng is open, before the
// job runs, on what eng runs on (engines.OpenMinTime): the devices it
// opened, by kind, or the CPU engine auto chose. --device all, counted as
// 64 devices before they were listed, let --lanes 2^64-1 through as 16.7
// days and ran it with an ETA of ages on this machine's one device; auto,
// floored at a device's speed, let --lanes 2^64-1 --steps 0 through as
// 107 days and ran it for millennia on simd, its choice for no steps.
func (o *runOptions) checkTimeOpen(eng sim.Engine) error {
	secs, on := engines.OpenMinTime(eng, o.eng, o.floorWork())
	if o.engine != eng.Name() {
		on += " (" + o.engine + "'s choice)"
	}
	return o.checkFloor(secs, on)
}

// floorWork is the lane-steps checkTime counts for the job: a lane costs
// at least engines.LaneFloor lane-steps' work however few its steps: it is
// still seeded, summarised and hashed (at 20 ns a lane on the serial
// engine, as much as a step); --lanes 2^64-1 --steps 0, counted as no
// work, started and ran for millennia, and --lanes 1e17 --steps 1, counted
// as a lane-step a lane, started though auto predicted 8.55 years.
func (o *runOptions) floorWork() float64 {
	return float64(o.shard.lanes(o.params)) * float64(max(o.params.Steps, engines.LaneFloor))
}

// checkFloor refuses the job where secs, its floor at the ceiling of the
// engine and resources on names, is past maxFloorTime, unless --timeout
// bounds the run.
func (o *runOptions) checkFloor(secs float64, on string) error {
	if o.timeout > 0 || secs <= maxFloorTime.Seconds() {
		return nil
	}
	lanes, work := o.shard.lanes(o.params), o.floorWork()
	// The count is exact, and written whole, as the lanes and steps
	// beside it: it read "(1.84e+28 lane-steps)" after "18446744073709551615
	// lanes x 1000000000 steps".
	// (A job of a year is never one lane-step.)
	counted := new(big.Int).Mul(new(big.Int).SetUint64(lanes), big.NewInt(int64(o.params.Steps))).String() + " lane-steps"
	lower := "--lanes or --steps"
	if o.params.Steps < engines.LaneFloor {
		// The lanes cost more than their steps: the rate beside the
		// count alone read as if it did not make the time.
		each := fmt.Sprintf("each lane at least %d lane-steps' work", engines.LaneFloor)
		if o.params.Steps == 0 {
			counted = each
		} else {
			counted += ", " + each
		}
	}
	if o.params.Steps == 0 {
		lower = "--lanes"
	}
	what := count.Noun(lanes, "lane")
	if sh := o.shard.shard; sh != nil {
		// A shard's lanes, not the job's --lanes: the message named a
		// count the user never typed.
		what = fmt.Sprintf("shard %s's %s of %d", sh, what, o.params.Lanes)
		lower = "--lanes or --steps, or run more shards"
		if o.params.Steps == 0 {
			lower = "--lanes, or run more shards"
		}
	}
	// The rate in SI (count.SI), as the progress bar and bench write
	// rates: it read "at 4e+09 lane-steps/s".
	return paramErr("lanes", "%s x %s (%s) would take at least %s, at %s lane-steps/s for %s, faster than any measured; the most a run may take at that speed without --timeout is a year (lower %s, or give --timeout DURATION to run it anyway, for at most DURATION)",
		what, count.Noun(o.params.Steps, "step"), counted, count.Seconds(secs), count.SI(work/secs, 3), on, lower)
}

// jobNotes says, once the engine is open and the job passed every check
// that can refuse it, what the job's flags mean for its result: an array
// task without --shard (shard.UnusedIndex) or with a --shard i/N the
// environment's shard variables contradict (shard.Overridden), float32's precision at this many lanes, the histogram's range, the
// flags auto's choice does not take (choice not nil: autoNotes) and
// --paths' exact stream beside --math fast. Printed before the engine
// opened, they preceded the refusal of a job that never ran (run --engine
// opencl --lanes 18446744073709551615 without OpenCL: the float32 note,
// then "could not run"). A note on the command line itself (an old flag
// name) comes before any refusal (noteDeprecated).
func (o *runOptions) jobNotes(choice *engines.Choice) {
	if o.shard.unused != "" {
		o.eng.Note(o.shard.unused)
	}
	if n := o.params.PrecisionNote(o.shard.lanes(o.params), o.typed); n != "" {
		o.eng.Note(n)
	}
	if n := o.params.HistogramNote(o.outputs.daily, o.keepFinals(), "--out makes the final ones exact"); n != "" {
		o.eng.Note(n)
	}
	if choice != nil {
		o.autoNotes(*choice)
		return
	}
	o.pathsFastNote(o.engine)
}

// autoNotes says which given flags auto's choice ch does not take, and
// --paths' exact stream where ch computes --math fast (pathsFastNote).
func (o *runOptions) autoNotes(ch engines.Choice) {
	if e, err := engines.Lookup(ch.Engine); err == nil {
		for _, opt := range o.given {
			if !e.TakesOption(opt, o.eng) {
				note := fmt.Sprintf("auto chose %s, which does not take --%s: it does not apply to this run (--engine picks the engine)", ch.Engine, opt)
				if opt == engines.TakesMath && o.shard.shard != nil {
					// Its part is exact: merge refuses it beside the
					// fast parts of the shards auto ran on a device,
					// which the user learnt only there.
					note += fmt.Sprintf("; shard %s computes exact math, and its part does not merge with shards computed with --math %s: give every shard --engine opencl", o.shard.shard, o.eng.Math)
				}
				if opt == engines.TakesDevice && o.deviceUnchecked > 0 {
					// It said only that --device did not apply:
					// --device 9 on a machine of one device ran
					// with no word that 9 was never checked.
					note += "; " + engines.DeviceUncheckedText(o.eng.Devices, o.deviceUnchecked)
				}
				o.eng.Note(note)
			}
		}
	}
	o.pathsFastNote(ch.Engine)
}

// pathsFastNote notes, where engine computes --math fast, that --paths
// are the exact stream's: the trajectories come from the exact stream on
// the host. An engine that computes exact only needs no note (auto chose
// simd for --math fast --paths and said the finals differed).
func (o *runOptions) pathsFastNote(engine string) {
	if o.eng.Math != sim.MathFast || o.outputs.PathsOut == "" {
		return
	}
	if e, err := engines.Lookup(engine); err != nil || !e.TakesOption("math", o.eng) {
		return
	}
	o.eng.Note("--paths writes the exact stream's trajectories; with --math fast the device's finals (and --out) differ from their last column in the last digits")
}

// runRun runs the job o describes and prints its report.
func runRun(ctx context.Context, o *runOptions, stdout, stderr io.Writer) (err error) {
	if o.timeout > 0 {
		var cancel context.CancelFunc
		s0 := cputime.Suspended()
		te := &interrupt.TimeoutError{Limit: o.timeout, Text: o.timeoutText, Suspended: func() time.Duration { return cputime.Suspended() - s0 }, Start: time.Now()}
		ctx, cancel = context.WithTimeoutCause(ctx, o.timeout, te)
		defer cancel()
		defer interrupt.ArmTimeout(ctx, te)()
	}
	defer o.files.Abort()
	defer cl.CrashAfterReport(false) // after closeNoted: for the next command in the process
	// Never after the stop's last line (interrupt.Last): the open's
	// goroutine, which a stop leaves at work, wrote its notes after
	// "gpusim: terminated".
	o.eng.Note = func(s string) { interrupt.Say(func() { fmt.Fprintf(stderr, "gpusim: note: %s\n", s) }) }
	if !o.quiet {
		// Waits for another process sharing the cache folder (a compile,
		// a calibration): progress, as the bar is.
		o.eng.Progress = o.eng.Note
	}
	defer o.noteUnwritten(ctx, stderr, &err)()
	defer o.crashNotes(nil)()
	if o.shard.shard != nil {
		o.eng.Sharded, o.eng.Lanes = true, o.shard.lanes(o.params)
	}
	o.eng.Daily, o.eng.KeepFinals = o.outputs.daily, o.keepFinals()
	o.eng.OneJob = true // the job below and no other
	t0, stopped0 := time.Now(), cputime.Suspended()
	eng, choice, err := openUntil(ctx, o)
	if err != nil {
		return err
	}
	defer closeNoted(ctx, stderr, eng)
	defer noteChoiceOnStop(ctx, stderr, choice, &err)()
	o.crashNotes(choice)
	if err := o.outputs.checkRan(o.params, eng, o.engine, choice); err != nil {
		return err
	}
	if err := o.checkTimeOpen(eng); err != nil {
		return err
	}
	if err := o.checkDailyMemoryOpen(eng); err != nil {
		return err
	}
	o.jobNotes(choice)
	p := o.params
	job := &sim.Job{Params: p, KeepFinals: o.keepFinals(), Daily: o.outputs.daily}
	if len(o.named) == 0 { // a run with files writes them, reader or not
		interrupt.WatchStdout() // the work starts: a reader gone stops it
	}
	bar, stopBar := startProgress(stderr, o.quiet, o.shard.lanes(p), p.Steps)
	if bar != nil {
		job.Progress = bar.Add
	}
	res, err := o.shard.run(ctx, eng, job)
	stopBar()
	if err != nil {
		if ctx.Err() != nil {
			// The cause says why: a signal, --timeout or the caller's context.
			return engines.Failed(eng.Name()+" run cancelled", eng.Name(), context.Cause(ctx))
		}
		return engines.Failed(eng.Name()+" run", eng.Name(), err)
	}
	o.ranNotes(choice, job, time.Since(t0), cputime.Suspended()-stopped0)
	r, werr := runReport(ctx, o, res, choice, stderr)
	if r == nil {
		return werr
	}
	// The commit point: every output file written is renamed into place
	// at once, or none is when a signal or --timeout came first (then the
	// run fails as cancelled, with no report) or when one of the renames
	// fails (the others are undone: each flag's error is in failed, and the
	// report names none of them). Past it the run is done: a
	// signal that comes later no longer undoes it, and the report follows.
	// Settled with the renames: the report is printed whole, however slow
	// its reader, and a forced exit armed before waits for them and then
	// stands down.
	cl.CrashReport(nil, nil) // past here the files are written (crashNotes)
	failed, err := o.files.Commit(ctx, interrupt.Settle)
	if err != nil {
		return engines.Failed(eng.Name()+" run cancelled", eng.Name(), err)
	}
	for _, flag := range runfiles.CausesFirst(failed) {
		unwritten(r, flag)
		werr = errors.Join(werr, failed[flag])
	}
	err = writeReport(stdout, o.format, r)
	if err == nil {
		// A crash in the engine's release after this (closeNoted) says
		// the report is whole.
		cl.CrashAfterReport(true)
	}
	if ctx.Err() != nil && !interrupt.BrokenPipe(context.Cause(ctx)) {
		o.eng.Note(fmt.Sprintf("%v after the run was complete and its files written: ignored", context.Cause(ctx)))
	}
	// A file that could not be written fails the run, after the report,
	// which names only the files written: the result is never lost.
	return errors.Join(werr, err)
}

// writeReport writes r to w in format (json, else text); a failed write
// is a lostReport, whose error names r's digest.
func writeReport(w io.Writer, format string, r *report.Report) error {
	write := r.WriteText
	if format == "json" {
		write = r.WriteJSON
	}
	if err := write(w); err != nil {
		return &lostReport{err: err, digest: r.Digest}
	}
	return nil
}

// unwrittenNote says that files, of the run's, were not written and that a
// file already there is as it was, after lead where it is not "" ("stopped
// before its files were written: --save "p.json" was not, ..."; else
// "--save "p.json" was not written, ..."), and for a shard how to run it
// again (rerun); "" for no files.
func (o *runOptions) unwrittenNote(lead string, files []outFile) string {
	if len(files) == 0 {
		return ""
	}
	var names []string
	for _, f := range files {
		names = append(names, fmt.Sprintf("--%s %q", f.Flag, f.Path))
	}
	list, verb := names[0], "was not"
	if k := len(names) - 1; k > 0 {
		list, verb = strings.Join(names[:k], ", ")+" and "+names[k], "were not"
	}
	n := fmt.Sprintf("%s %s written, and a file already there is as it was", list, verb)
	if lead != "" {
		n = fmt.Sprintf("%s: %s %s, and a file already there is as it was", lead, list, verb)
	}
	if sh := o.shard.shard; sh != nil {
		n += "; " + rerun(*sh)
	}
	return n
}

// rerun is the one wording of which shard to run again, for every note of
// a shard run that ends without its files (a stop, a failed write, an
// engine that fails): a Slurm task's log then names the shard to resubmit,
// the one --shard auto took from the environment too.
func rerun(sh shard.Shard) string {
	return fmt.Sprintf("run shard %d of %d again with --shard %s and the job's other flags", sh.Index, sh.Count, sh)
}

// noteUnwritten arms the note a run stopped before its commit point writes
// (what it left and, for a shard, --shard auto's too, what to run again; it
// said only "gpusim: terminated"), where the process is ended by force too
// (a cold compile, a driver call that does not return), and returns the
// func runRun defers, which writes it where *err is such a stop. A shard
// run that fails otherwise (its engine, a write at the end: a full disk)
// says which of its files were not written and to run it again (a part
// that failed to save said nothing of the shard); bad input, refused
// before the job, does not: run again, it would fail again.
func (o *runOptions) noteUnwritten(ctx context.Context, stderr io.Writer, err *error) func() {
	n := o.unwrittenNote("stopped before its files were written", o.named)
	if n == "" {
		return func() {}
	}
	note := func(n string) { fmt.Fprintf(stderr, "gpusim: note: %s\n", n) }
	remove := interrupt.BeforeExit(func() { note(n) })
	return func() {
		remove() // then written once
		switch {
		case stopped(ctx, *err):
			note(n)
		case *err == nil || o.shard.shard == nil || badInput(*err) || interrupt.BrokenPipe(context.Cause(ctx)):
		default:
			var left []outFile
			for _, f := range o.named {
				if !o.files.Committed(f.Flag) {
					left = append(left, f)
				}
			}
			if n := o.unwrittenNote("", left); n != "" {
				note(n)
			}
		}
	}
}

// closeNoted releases eng (sim.Close) and notes on stderr why the release
// did not end (sim.CloseNoted's note). Past the commit point
// (interrupt.Settled), where no forced exit is armed, a stop (ctx ended by
// a signal or --timeout) that finds the release still waiting
// interrupt.StopGrace later ends the wait: the stop's note names the call
// (interrupt.WaitingNote), the report is whole, and the run ends with its
// own status, where it waited out the driver's 10 s bound with the stop
// unanswered (FAKECL_FAULT=hang:clReleaseContext gpusim run --device 0
// and a SIGTERM after the report). Before the commit point the forced exit
// ends such a wait, as in every command.
func closeNoted(ctx context.Context, stderr io.Writer, eng sim.Engine) {
	var mu sync.Mutex
	left := false
	done := make(chan struct{})
	go func() {
		defer close(done)
		sim.CloseNoted(eng, func(s string) {
			mu.Lock()
			defer mu.Unlock()
			if !left {
				fmt.Fprintf(stderr, "gpusim: note: %s\n", s)
			}
		})
	}()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	select {
	case <-done:
		return
	case <-time.After(interrupt.StopGrace):
	}
	if !interrupt.Settled() {
		<-done // the forced exit ends the process
		return
	}
	mu.Lock()
	defer mu.Unlock()
	left = true
	fmt.Fprint(stderr, interrupt.WaitingNote())
}

// noteChoiceOnStop arms, where auto chose the run's engine (choice not
// nil), the note a run stopped by a signal or --timeout before its report
// writes: the engine that ran and auto's reason, which the report would
// have said. A run past its --timeout said only "--timeout: run exceeded
// 1s", and the user, who needs a faster engine, did not learn which one
// had run, nor why. It is written where the process is ended by force too
// (a driver call that does not return), and returns the func runRun
// defers, which writes it where *err is such a stop.
func noteChoiceOnStop(ctx context.Context, stderr io.Writer, choice *engines.Choice, err *error) func() {
	if choice == nil {
		return func() {}
	}
	n := choiceNote(choice)
	remove := interrupt.BeforeExit(func() { io.WriteString(stderr, n) })
	return func() {
		remove()
		if stopped(ctx, *err) {
			io.WriteString(stderr, n)
		}
	}
}

// ranNotes writes the notes of a run that ended well, before its report:
// auto's check of its choice against the run's time took (a plain job's
// alone), the engines' notes, and the time the run was suspended for
// (Ctrl-Z, SIGSTOP, Slurm's scontrol suspend), which its time counts.
func (o *runOptions) ranNotes(choice *engines.Choice, job *sim.Job, took, suspended time.Duration) {
	if choice != nil && !job.Daily && o.shard.shard == nil {
		if n := engines.Observe(*choice, took-choice.Probe); n != "" {
			o.eng.Note(n)
		}
	}
	for _, n := range engines.Notes() {
		o.eng.Note(n)
	}
	if suspended > 0 {
		o.eng.Note(fmt.Sprintf("the run was suspended for %v of it (Ctrl-Z, SIGSTOP, Slurm's scontrol suspend): the time it reports counts that", suspended.Round(100*time.Millisecond)))
	}
}

// choiceNote is the note of auto's choice a stopped run writes
// (noteChoiceOnStop, crashNotes), its line on stderr.
func choiceNote(choice *engines.Choice) string {
	return fmt.Sprintf("gpusim: note: auto ran it on %s: %s (--engine picks the engine)\n", choice.Engine, choice.Reason)
}

// crashNotes makes an OpenCL driver's crash in the run's process write
// after its error the notes a stop writes (noteChoiceOnStop's, where auto
// chose the engine: choice not nil; noteUnwritten's), worded for the
// crash (cl.CrashReport): "gpusim: note: the OpenCL driver crashed before
// its files were written: --save "p.json" was not, ...; run shard 1 of 2
// again with --shard 1/2 and the job's other flags". A crash wrote its
// error alone: the shard to run again, the engine auto ran, the files
// left as they were went unsaid. runRun takes them back before the
// commit point; the func it returns takes them back at its end.
func (o *runOptions) crashNotes(choice *engines.Choice) (takeBack func()) {
	var n string
	if choice != nil {
		n = choiceNote(choice)
	}
	if u := o.unwrittenNote("the OpenCL driver crashed before its files were written", o.named); u != "" {
		n += "gpusim: note: " + u + "\n"
	}
	cl.CrashReport(nil, []byte(n))
	return func() { cl.CrashReport(nil, nil) }
}

// badInput says whether err is bad input, which exits 2.
func badInput(err error) bool {
	return errors.As(err, new(*sim.ParamError)) || errors.As(err, new(*usageError)) || errors.As(err, new(*envError))
}

// stopped says whether err ends a run that a signal or --timeout stopped
// before its commit point, with someone to tell (not SIGPIPE).
func stopped(ctx context.Context, err error) bool {
	cause := context.Cause(ctx)
	if err == nil || cause == nil || interrupt.Settled() || interrupt.BrokenPipe(cause) {
		return false
	}
	return errors.As(cause, new(*interrupt.SignalError)) || errors.As(cause, new(*interrupt.TimeoutError))
}

// unwritten takes the file of flag, which could not be committed, out of
// the report r, which names only the files written.
func unwritten(r *report.Report, flag string) {
	switch flag {
	case "out":
		r.Out = ""
	case "paths-out":
		r.PathsOut, r.Paths = "", 0
	case "daily-out":
		r.DailyOut = ""
	case "plot":
		r.Plot = ""
	case "plot-daily":
		r.PlotDaily = ""
	case "save":
		r.Save = ""
	case "html":
		r.HTML = ""
	}
}

// openEngine starts the engine o names; auto says what it chose.
func openEngine(ctx context.Context, o *runOptions) (sim.Engine, *engines.Choice, error) {
	if o.engine == "auto" {
		// run passes a whole plain job's run to engines.Observe.
		o.eng.Observed = !o.eng.Daily && !o.eng.Sharded
		eng, ch, err := engines.Auto(ctx, o.eng)
		if err != nil {
			return nil, nil, startError("auto", err)
		}
		return eng, &ch, nil
	}
	eng, err := engines.Open(ctx, o.engine, o.eng)
	if err != nil {
		return nil, nil, startError(o.engine, err)
	}
	return eng, nil, nil
}

// openUntil is openEngine, ending the process at once when ctx ends first
// with a stop or the --timeout (interrupt.EndNow): an OpenCL device's cold
// start compiles its program for seconds (pocl), which no call can cut, and
// Ctrl-C there waited for the stop's forced exit (interrupt.StopGrace, 0.6
// s), --timeout for its grace past the deadline. Where EndNow does not end
// the process (in-process tests) it waits for openEngine.
func openUntil(ctx context.Context, o *runOptions) (sim.Engine, *engines.Choice, error) {
	type opened struct {
		eng sim.Engine
		ch  *engines.Choice
		err error
	}
	done := make(chan opened, 1)
	go func() {
		eng, ch, err := openEngine(ctx, o)
		done <- opened{eng, ch, err}
	}()
	select {
	case r := <-done:
		return r.eng, r.ch, r.err
	case <-ctx.Done():
		interrupt.EndNow(context.Cause(ctx))
	}
	r := <-done
	return r.eng, r.ch, r.err
}

// startError says which engine could not start; bad input stays a
// *sim.ParamError (exit 2), and an engine that could not run here (OpenCL
// absent, a driver the environment keeps from loading) exits 2 too
// (couldNotRun).
func startError(name string, err error) error {
	var pe *sim.ParamError
	if errors.As(err, &pe) {
		return err
	}
	// Where OpenCL cannot run here, in the words of every device command
	// (it read "start opencl: no OpenCL platform ...").
	return couldNotRun("run", strings.TrimPrefix(err.Error(), name+": "), engines.Failed("start "+name, name, err))
}

// runReport writes the outputs of res (ready for the commit point, which
// runRun passes) and returns its report and the errors of the files that
// could not be written; it returns no report only when the result itself
// is unusable. The files' progress goes to stderr (startWriting), and ends
// before it returns.
func runReport(ctx context.Context, o *runOptions, res *sim.Result, choice *engines.Choice, stderr io.Writer) (r *report.Report, werr error) {
	p := o.params
	var days []daily.Day
	if o.outputs.daily {
		if len(res.Daily) != p.Steps {
			return nil, fmt.Errorf("%s run: %d per-step summaries for %d steps", res.Engine, len(res.Daily), p.Steps)
		}
		days = daily.Table(p, res.Daily)
	}
	var trajectories []float32
	if o.outputs.PathsOut != "" {
		// On the host, from the reference: the same on every engine.
		done, stopComputing := startComputing(stderr, o.quiet, o.outputs.Paths, p.Steps)
		var err error
		trajectories, err = paths.Compute(ctx, p, int(o.outputs.Paths), done)
		stopComputing()
		if err != nil {
			return nil, fmt.Errorf("--paths: %w", err)
		}
	}
	written := o.outputs
	first := "paths-out" // WriteResult writes --out first
	if o.outputs.Out != "" {
		first = "out"
	}
	values, stopWriting := startWriting(stderr, o.quiet, o.outputs.Values(uint64(len(res.Finals)), p.Steps), first, finishingPhase(o.named))
	defer stopWriting()
	written.Result, werr = runfiles.WriteResult(ctx, o.files, o.outputs.Result, res, days, trajectories, values)
	werr = errors.Join(werr, o.shard.saveResult(ctx, o.files, res, o.engine))
	r = report.New(res, o.engine)
	r.Typed = o.typed
	if avail, ok := runfiles.Available(); ok && o.outputs.Out == "" {
		// What --out would need beside this run's other per-lane
		// outputs, as checkMemory counts them.
		var paths uint64
		if o.outputs.PathsOut != "" {
			paths = o.outputs.Paths
		}
		r.OutMemory(sim.HostBytes(res.Summary.Count, paths, p.Steps), avail)
	}
	if choice != nil {
		r.Auto = &report.Auto{Engine: choice.Engine, Reason: choice.Reason, Probe: jsonnum.Seconds(choice.Probe)}
	}
	if ran := engines.RunWorkers(res.Engine, o.eng, res.Summary.Count, p.Steps, o.outputs.daily); o.eng.Workers > 0 && ran > 0 {
		// As bench's scaling table has them ("1024 (7 ran)"): --workers
		// 1024 on 1e5 lanes read "parallel on 7 goroutines" alone.
		r.Workers, r.WorkersRan = o.eng.Workers, ran
	}
	written.describe(r, days)
	o.shard.describe(r, res)
	if o.outputs.html != "" {
		r.HTML = o.outputs.html
		err := o.files.Write(ctx, "html", func(w io.Writer) error { return r.WriteHTML(w, res, days) })
		if err != nil {
			r.HTML = ""
		}
		werr = errors.Join(werr, err)
	}
	return r, werr
}
