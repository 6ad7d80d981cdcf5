package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/quote"
	"github.com/gpusim/gpusim/internal/runfiles"
	"github.com/gpusim/gpusim/internal/suggest"
	"github.com/gpusim/gpusim/sim"
)

// forBench lists the engines bench can run here of those --engines list
// names (every one for ""); tests replace it.
var forBench = func(list string) engines.Benchable {
	return bench.WithProcesses(engines.ForBench(benchWanted(list)))
}

// benchNames is every entry bench runs, none started and no device
// listed (engines.BenchEntries), for the refusals of --engines that need
// no driver: an empty list or entry, a name no engine has. Their valid
// names listed the devices (opencl:0) within engines.ListWait, or the
// entries alone where the driver did not answer. Tests set it beside
// forBench.
var benchNames = func() engines.Benchable { return engines.BenchEntries(bench.ProcessesEngine) }

// unknownEntries is the names of a comma-separated --engines list that
// name no engine, joined by commas, in order: an entry (before any ":")
// no engine of the registry nor bench's processes has, one bench does not
// run (auto: no Bench), or ENTRY:X where ENTRY runs on no device
// ("serial:0"), which no driver can make valid. auto passed here and was
// refused by the list of the engines it named, started: bench --engines
// auto,serial read `unknown engine "auto" (valid: serial, processes)`.
func unknownEntries(list string) string {
	var unknown []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		entry, _, device := strings.Cut(name, ":")
		entry = strings.TrimSpace(entry)
		e, err := engines.Lookup(entry)
		switch {
		case name == "":
		case entry == bench.ProcessesEngine:
			if device {
				unknown = append(unknown, name)
			}
		case err != nil || e.Bench == nil || device && e.Devices == nil:
			unknown = append(unknown, name)
		}
	}
	return strings.Join(unknown, ",")
}

// benchWanted is which registry entries an --engines list names (opencl:0
// names opencl), for engines.ForBench to start those alone; nil, every
// entry, for an empty list.
func benchWanted(list string) func(entry string) bool {
	if strings.TrimSpace(list) == "" {
		return nil
	}
	want := map[string]bool{}
	for name := range strings.SplitSeq(list, ",") {
		entry, _, _ := strings.Cut(strings.TrimSpace(name), ":")
		want[entry] = true
	}
	return func(entry string) bool { return want[entry] }
}

// benchLoadsDriver says whether bench with the --engines list may load a
// device driver (engines.LoadsDriver): every engine that works here for
// an empty list, opencl among them; else an entry of the list that runs
// on devices. The processes engine's children run on a CPU engine
// (bench.ChildEngine).
func benchLoadsDriver(list string) bool {
	want := benchWanted(list)
	for _, e := range engines.All() {
		if e.Bench != nil && (want == nil || want(e.Name)) && engines.LoadsDriver(e.Name) {
			return true
		}
	}
	return false
}

// engineList is --engines with each device named as bench names its spec
// (engines.CanonicalList: opencl:00 is opencl:0, as --device 00 is device 0).
func engineList(c *cli.Context) string {
	return engines.CanonicalList(c.String("engines"))
}

func benchCommand() *cli.Command {
	q := bench.Quick()
	return &cli.Command{
		Name:      "bench",
		Usage:     "time every engine on the same workloads: scaling, size sweep, Python baseline",
		UsageText: "gpusim bench [--quick] [--lanes LIST] [--steps LIST] [--engines LIST] [--format FORMAT] [--plot DIR] [--update-doc FILE] [flags]",
		Description: "Runs every engine that works here on each workload (the cross product of\n" +
			"--lanes and --steps): --warmup untimed runs, then --reps timed ones. It reports the\n" +
			"median with min and max, ns per lane-step and the speedup over serial, and checks\n" +
			"every run's digest against the first engine's: a mismatch is a bug and exits 1.\n" +
			"An engine whose run fails is left out from there on with a note, the others'\n" +
			"measurements standing, and bench exits 1 after the report.\n" +
			"Then, unless turned off: the engines that scale at each of --workers with Amdahl's\n" +
			"law fitted, every engine over the --sweep lane counts with the sizes where one\n" +
			"starts beating another, and the course's Python and NumPy versions.\n\n" +
			fmt.Sprintf("--quick runs %s, %d timed runs each, the sweep up to %s lanes\n", q.WorkloadList(), q.Reps, bench.FormatCount(slices.Max(q.Sweep))) +
			"and a small Python baseline: well under a minute on two cores.\n\n" +
			"A benchmark whose runs would take more than a year even at the fastest each engine\n" +
			"is expected to run (faster than gpusim measures anywhere) is refused before anything\n" +
			"runs, with exit 2, that floor and what to lower. No flag runs it anyway, as run's\n" +
			"--timeout runs a long job: a benchmark of years is never wanted.\n\n" +
			"Progress goes to stderr, the report to stdout.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quick", Usage: "the quick suite: smaller workloads, sweep and baseline"},
			&cli.StringFlag{Name: "lanes", DefaultText: "5M, or 500k with --quick", Usage: "lane counts `LIST`, e.g. 5M,1e6 (each 1..2^64-1)"},
			&cli.StringFlag{Name: "steps", DefaultText: "10,100", Usage: "step counts `LIST`, crossed with --lanes (each 1..4294967296)"},
			&cli.GenericFlag{Name: "reps", Value: &countValue{n: 5, lo: 1, hi: 1000}, DefaultText: "5, or 3 with --quick", Usage: "`N` timed runs per measurement (1..1000)"},
			&cli.GenericFlag{Name: "warmup", Value: &countValue{n: 1, lo: 0, hi: 1000}, DefaultText: "1", Usage: "`N` untimed runs before the timed ones (0..1000)"},
			&cli.StringFlag{Name: "workers", DefaultText: "1 to the number of cores", Usage: "worker counts `LIST` for the scaling table (each 1..1024; 1 is always measured, as the speedups' base)"},
			&cli.BoolFlag{Name: "no-scaling", Usage: "skip the scaling table"},
			&cli.StringFlag{Name: "sweep", DefaultText: "1k to 100M, or 1k to 1M with --quick", Usage: "lane counts `LIST` for the size sweep (each 1..2^64-1)"},
			&cli.BoolFlag{Name: "no-sweep", Usage: "skip the size sweep"},
			&cli.GenericFlag{Name: "sweep-steps", Value: &countValue{n: 10, lo: 1, hi: sim.MaxSteps}, DefaultText: "10", Usage: "`N` steps at each sweep size (1..4294967296)"},
			&cli.GenericFlag{Name: "sweep-reps", Value: &countValue{n: 3, lo: 1, hi: 1000}, DefaultText: "3", Usage: "`N` timed runs at each sweep size (1..1000)"},
			&cli.StringFlag{Name: "engines", DefaultText: "every engine that works here", Usage: "run only the engines in `LIST`, comma-separated: serial, parallel, simd, opencl (every device; opencl:N, device N alone), processes (a gpusim child process a worker, each a shard, merged)"},
			&cli.StringFlag{Name: "baseline", Value: "python", Usage: "`B`: python (the course's Python and NumPy versions; skipped with a note without numpy) or none"},
			&cli.StringFlag{Name: "python", TakesFile: true, DefaultText: "of python3 and /usr/bin/python3, the one that imports numpy and the most of joblib, Numba and PyOpenCL", Usage: "`PATH` of a python3 with numpy for the baseline"},
			countFlag("seed", sim.Default().Seed, 0, math.MaxUint64, "the random stream's key `N`"),
			&cli.StringFlag{Name: "format", Value: "text", Usage: "report `FORMAT`: " + strings.Join(bench.Formats, ", ")},
			&cli.StringFlag{Name: "plot", TakesFile: true, Usage: "draw the charts into `DIR` (created if needed)"},
			&cli.StringFlag{Name: "plot-format", Value: "png,svg", Usage: "chart file `FORMATS`: png, svg or both"},
			&cli.StringFlag{Name: "update-doc", TakesFile: true, Usage: "rewrite the section between <!-- bench:begin --> and <!-- bench:end --> in Markdown `FILE` with the report (and the --plot charts)"},
			htmlFlag("the report, its method and its charts"),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress lines on stderr"},
		},
		Action: benchAction,
	}
}

// benchOptions is what benchAction does besides running the benchmark.
type benchOptions struct {
	format, plotDir, doc string
	html                 string         // --html
	files                runfiles.Files // --html's, created before the benchmark
	madeDirs             []string       // the folders checkPlotDir made, deepest first
	plotFormats          []string
	charts               []string // --plot's file names, none without it
	quiet                bool
	stdout               io.Writer // where the report goes, for checkBenchRoom
	// stopped lets one report of a stop be written (armSnapshot): nil
	// writes each.
	stopped *stoppedReport
}

func benchAction(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	began := time.Now()
	cfg, opts, err := benchConfig(c)
	if err != nil {
		return err
	}
	// took from here, as a device's cold counts the driver's load and
	// listing, before bench.Run (it read 341 ms beside a cold 648 ms).
	cfg.Began = began
	defer opts.files.Abort()
	defer removeEmpty(opts.madeDirs)
	// Also when a forced exit ends a benchmark that cannot return.
	defer interrupt.BeforeExit(func() { removeEmpty(opts.madeDirs) })()
	// Before the engines start (OpenCL loads) and the baseline is looked
	// for: a stdout of /dev/full loses the report whatever its size. After
	// the engines' names that need no driver: bench --engines nosuch >
	// /dev/full was refused for stdout, not the name.
	if err := cmp.Or(benchNamesChecked(c), checkStdoutTakes(opts.stdout, "the "+opts.format+" report")); err != nil {
		return err
	}
	// The engines' names, then a given --python, before the devices of
	// the engines are listed: under a driver that hangs as it starts,
	// bench --engines opencl --python NOSUCH waited for ever.
	if err := cmp.Or(checkEngineNames(c), checkPythonFlag(c, cfg)); err != nil {
		return err
	}
	specs, notes, err := benchEnginesRefusing(c, &cfg, opts)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(specs, func(s engines.Spec) bool { return s.Device }) {
		// The devices the benchmark runs on; none, and OpenCL not
		// loaded, without a device engine.
		cfg.Devices = func() ([]string, error) { return engines.DeviceLabelsFor(specs) }
	}
	stderr := c.App.ErrWriter
	if !opts.quiet {
		cfg.Progress = stderr
	}
	cfg.Notes = stderr // the engines' notes, with -q too
	// An engine's failure keeps its hint, worded for bench's flags as the
	// hint of bench's own error is (commandHint).
	cfg.WordHint = func(h string) string { return commandHint(c.Command, h) }

	pyNote, err := benchPython(c, &cfg)
	if err != nil {
		return err
	}
	if !cfg.Python {
		notes = append(notes, "Python baseline not run (--baseline none)")
	}

	// The baseline skips a version whose arrays do not fit, rather than
	// be killed for memory with every version's result.
	cfg.PythonMemory, _ = benchMemory()
	// With the engines that run here and the Python baseline's interpreter.
	planned := cfg
	planned.Python = cfg.Python && cfg.PythonPath != ""
	// Then the descriptors its outputs and children hold at once, the
	// threads its children start, and the room their part files take.
	if err := cmp.Or(checkBenchTime(&planned, specs, c.IsSet), checkBenchFiles(&cfg, specs, opts), checkBenchThreads(&cfg, specs), checkBenchTemp(&cfg, specs), checkBenchChildren(&cfg, specs)); err != nil {
		return err
	}
	mnotes := machineNotes() // before the run
	validTexts(notes, mnotes)
	if err := benchRoom(&cfg, specs, append(slices.Clone(notes), mnotes...), opts); err != nil {
		return err
	}
	watchStdout(opts.html != "" || opts.plotDir != "" || opts.doc != "")

	if !opts.quiet {
		sayBenchStart(stderr, cfg, specs, notes, pyNote)
	}

	defer armSnapshot(c, &cfg, &opts, notes, mnotes)()
	defer sayCrash(c.Command, "", nil)()
	defer armCrashReport(c, &cfg, specs, opts, notes, mnotes)()
	rep, err := benchRun(c.Context, cfg, specs)
	if se := benchStopped(c, rep, err, opts, notes, mnotes); se != nil {
		return se
	}
	if err != nil {
		var dm *bench.DigestMismatchError
		if errors.As(err, &dm) {
			return fmt.Errorf("%w: every engine computes the same stream, so one of these is wrong", err)
		}
		return err
	}
	rep.Notes = append(append(rep.Notes, notes...), mnotes...)
	if cfg.CrashReport != nil {
		// Whole: a crash of the driver before the report is written
		// (writeBench) prints it.
		cfg.CrashReport(rep)
	}
	return benchErrors(writeBench(c, rep, opts), rep.Failures)
}

// sayBenchStart writes bench's first lines on stderr: its mode and
// engines, its notes, and where the Python baseline was not found, why
// (pyNote).
func sayBenchStart(stderr io.Writer, cfg bench.Config, specs []engines.Spec, notes []string, pyNote string) {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	fmt.Fprintf(stderr, "bench: %s mode, engines %s\n", cfg.Mode, strings.Join(names, ", "))
	for _, n := range notes {
		fmt.Fprintf(stderr, "bench: note: %s\n", n)
	}
	if cfg.Python && cfg.PythonPath == "" {
		fmt.Fprintf(stderr, "bench: note: Python baseline %s\n", pyNote)
	}
}

// armCrashReport makes an OpenCL driver's crash in the process, which
// ended bench with its error alone (cl's handler), print the report of
// the measurements that had finished and the note a stop prints
// (printStoppedBench), worded for the crash, and remove the empty folders
// --plot made, as a stop does: it sets cfg.CrashReport to render them
// (crashReport) before each measurement and before each engine's release
// after its timed runs, outside them, and returns the func that takes
// them back. Nothing where no
// engine runs on a device or a crash is not caught (cl.CrashReports).
func armCrashReport(c *cli.Context, cfg *bench.Config, specs []engines.Spec, opts benchOptions, notes ...[]string) (disarm func()) {
	if !cl.CrashReports() || !slices.ContainsFunc(specs, func(s engines.Spec) bool { return s.Device }) {
		return func() {}
	}
	// The folders --plot made, where they are empty, as bench's other
	// ends remove them (removeEmpty): a crash left them.
	var dirs []string
	for _, d := range opts.madeDirs {
		if abs, err := filepath.Abs(d); err == nil {
			dirs = append(dirs, abs)
		}
	}
	cl.CrashRemoveDirs(dirs)
	cfg.CrashOf = "the OpenCL driver"
	cfg.CrashReport = func(rep *bench.Report) {
		if rep == nil {
			cl.CrashReport(nil, nil)
			return
		}
		if rep.Interrupted != nil {
			for _, ns := range notes {
				rep.Notes = append(rep.Notes, ns...)
			}
		}
		out, note := crashReport(rep, opts)
		cl.CrashReport(out, note)
	}
	return func() {
		cl.CrashReport(nil, nil)
		cl.CrashRemoveDirs(nil)
	}
}

// crashReport is what a crash prints of rep, partial (Interrupted set) or
// whole (Run returned, the report not yet written): rep in --format, for
// stdout, and the note of it, for stderr, as printStoppedBench words a
// stop's; none where rep does not render.
func crashReport(rep *bench.Report, opts benchOptions) (out, note []byte) {
	var b bytes.Buffer
	if rep.Write(&b, opts.format) != nil {
		return nil, nil
	}
	n := "gpusim: note: the OpenCL driver crashed: the report on stdout is partial, the measurements that finished (its first line says what did not run)"
	if rep.Interrupted == nil {
		n = "gpusim: note: the OpenCL driver crashed after the last measurement: the report on stdout is whole"
	} else if rep.Interrupted.AllRan() {
		n = "gpusim: note: the OpenCL driver crashed in or after the release of the last measurement's engine: the report on stdout holds every planned measurement (its first line says so)"
	}
	if files := fileFlags(opts); len(files) > 0 {
		n += "; " + strings.Join(files, ", ") + " not written: a bench that crashed leaves its output files as they were"
	}
	return b.Bytes(), []byte(n + "\n")
}

// fileFlags are the flags of bench's output files that are set: --html,
// --plot, --update-doc.
func fileFlags(opts benchOptions) []string {
	var files []string
	for _, f := range []struct{ flag, path string }{{"html", opts.html}, {"plot", opts.plotDir}, {"update-doc", opts.doc}} {
		if f.path != "" {
			files = append(files, "--"+f.flag)
		}
	}
	return files
}

// benchRun is bench.Run; a test's gpusim sets its engines to ignore a stop
// (TestBenchForcedExitPrintsReport).
var benchRun = bench.Run

// stoppedReport lets one of two writers print a stopped bench's report:
// writeStoppedBench where bench.Run returned, and the forced exit after
// the stop's grace (or a second stop) where it did not (armSnapshot). The
// first to write it writes it whole while the other waits, and the other
// writes nothing: never two reports, never one cut by the other.
type stoppedReport struct {
	mu      sync.Mutex
	written bool
}

// first runs write, which says whether it wrote the report, unless the
// report was written: one report at most. A nil s runs it each time.
func (s *stoppedReport) first(write func() bool) {
	if s == nil {
		write()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.written {
		s.written = write()
	}
}

// watchStdout is called as a command's work starts, after its refusals:
// with files to write, they are written whatever becomes of stdout's
// reader (interrupt.KeepFiles); without, the report is the only output, and
// its reader's going stops the command at once (interrupt.WatchStdout).
func watchStdout(files bool) {
	if files {
		interrupt.KeepFiles()
		return
	}
	interrupt.WatchStdout()
}

// armSnapshot makes the forced exit of a stop's grace, or a second stop,
// which end the process while bench.Run has not returned (an engine that
// ignores the stop: a cold start's compile), print the partial report of
// the measurements that had finished (bench.Snapshot) with the notes known
// before the run, as benchStopped prints Run's, where it ended the process
// without one, every measurement lost. It sets cfg.Snapshot and
// opts.stopped, and returns the func that disarms it.
func armSnapshot(c *cli.Context, cfg *bench.Config, opts *benchOptions, notes ...[]string) (disarm func()) {
	snap := new(bench.Snapshot)
	cfg.Snapshot, opts.stopped = snap, new(stoppedReport)
	o := *opts
	return interrupt.BeforeExit(func() {
		o.stopped.first(func() bool {
			se := (*interrupt.SignalError)(nil)
			if !errors.As(context.Cause(c.Context), &se) {
				return false
			}
			rep := snap.Report()
			if rep == nil {
				printStoppedEmpty(c, o, se)
				return true
			}
			for _, ns := range notes {
				rep.Notes = append(rep.Notes, ns...)
			}
			printStoppedBench(c, rep, o, se)
			return true
		})
	})
}

// benchStopped is the signal that stopped the benchmark, where one did
// (bench.Run returned err, and rep, the report of what finished, or nil),
// after printing that report with the notes known before the run
// (writeStoppedBench); nil where no signal stopped it. bench exits with
// the signal's status (130, 143, ...), not the errors of the runs it
// stopped (a child's "signal: killed").
func benchStopped(c *cli.Context, rep *bench.Report, err error, opts benchOptions, notes ...[]string) *interrupt.SignalError {
	var se *interrupt.SignalError
	if err == nil || !errors.As(context.Cause(c.Context), &se) {
		return nil
	}
	if rep != nil {
		for _, ns := range notes {
			rep.Notes = append(rep.Notes, ns...)
		}
		writeStoppedBench(c, rep, opts, se)
	} else {
		opts.stopped.first(func() bool {
			printStoppedEmpty(c, opts, se)
			return true
		})
	}
	return se
}

// printStoppedEmpty says on stderr that a stop came before any
// measurement had finished, so that no report is printed, and that the
// file outputs were not written: stdout was left empty, and stderr said
// only "gpusim: interrupted", where the README promises a stopped bench
// the partial report of the measurements that finished first. Nothing
// where stdout's reader is gone (SIGPIPE).
func printStoppedEmpty(c *cli.Context, opts benchOptions, se *interrupt.SignalError) {
	if interrupt.BrokenPipe(se) {
		return
	}
	note := "gpusim: note: stopped before any measurement finished: no report"
	if files := fileFlags(opts); len(files) > 0 {
		note += "; " + strings.Join(files, ", ") + " not written: a stopped bench leaves its output files as they were"
	}
	fmt.Fprintln(c.App.ErrWriter, note)
}

// writeStoppedBench prints rep, the report of a benchmark the stop se
// cut short (bench.Run: the measurements that finished, rep.Interrupted
// set) or came after (every measurement, before the files were written:
// writeBench), in --format, and then says on stderr that it is partial or
// whole, or that stdout refused it, and that the file
// outputs (--html, --plot, --update-doc) were not written: an interrupted
// command leaves every output as it was (docs/outputs.md). The report is
// rendered whole before it is written, in one write, so that the forced
// exit of the stop's grace (interrupt.ExitLater) or a second signal
// (interrupt.ExitNow), which end the process at once as before, cut no
// row in half, and it is written once (opts.stopped): where those came
// first, with the report of what had finished (armSnapshot), it writes
// nothing. Nothing is printed where stdout's reader is gone (SIGPIPE).
func writeStoppedBench(c *cli.Context, rep *bench.Report, opts benchOptions, se *interrupt.SignalError) {
	opts.stopped.first(func() bool {
		printStoppedBench(c, rep, opts, se)
		return true
	})
}

// printStoppedBench prints rep and the note of a stop, as writeStoppedBench
// says.
func printStoppedBench(c *cli.Context, rep *bench.Report, opts benchOptions, se *interrupt.SignalError) {
	// A crash from here on prints no second report.
	cl.CrashReport(nil, nil)
	if interrupt.BrokenPipe(se) {
		return
	}
	var b bytes.Buffer
	if rep.Write(&b, opts.format) != nil {
		return
	}
	files := fileFlags(opts)
	note := "gpusim: note: stopped: the report on stdout is partial, the measurements that finished (its first line says what did not run)"
	if rep.Interrupted == nil {
		note = "gpusim: note: stopped after the last measurement: the report on stdout is whole"
	}
	if _, err := c.App.Writer.Write(b.Bytes()); err != nil {
		// Said after the write: a note said the report was on a stdout
		// that had refused it (its reader gone).
		note = fmt.Sprintf("gpusim: note: stopped: the report could not be written to stdout: %v", err)
	}
	if len(files) > 0 {
		note += "; " + strings.Join(files, ", ") + " not written: a stopped bench leaves its output files as they were"
	}
	fmt.Fprintln(c.App.ErrWriter, note)
}

// benchErrors is bench's error after its report: werr, the report's
// write's, and the engines that failed mid-benchmark, which are in the
// report, the others' measurements with them, and fail the command (exit
// 1) after it, each with its hint (benchFailure: errors.New(f.String())
// left it out). Where each failure is an engine the environment kept from
// starting (NotRun) and the report was written, exit 2, as run --engine
// opencl (couldNotRun): bench --engines opencl under ulimit -f 200 exited 1.
func benchErrors(werr error, failures []bench.EngineFailure) error {
	notRun := werr == nil && len(failures) > 0
	for _, f := range failures {
		notRun = notRun && f.NotRun
	}
	errs := []error{werr}
	for _, f := range failures {
		var err error = &benchFailure{f}
		if notRun {
			err = &notRunError{err: err}
		}
		errs = append(errs, err)
	}
	return joinErrors(errs...)
}

// validTexts writes each of the notes as the report's texts are
// (bench.ValidText), alike in every format and on stderr, and so sized by
// benchRoom: notes may quote the environment (an OpenCL library's path, a
// driver's message), and bytes \xff\xfe went raw into text, Markdown and
// CSV.
func validTexts(lists ...[]string) {
	for _, ns := range lists {
		for i := range ns {
			ns[i] = bench.ValidText(ns[i])
		}
	}
}

// benchPython finds the Python baseline's interpreter (cfg.PythonPath; a
// given --python is checked before, by checkPythonFlag) or
// turns the baseline off for --baseline none (cfg.Python), and returns the
// note said where no interpreter is found: "skipped: no python3 with numpy
// found", or, where a limit stopped numpy's import (its OpenBLAS threads
// under ulimit -u: a *bench.NumPyLimitError), "failed: " and the limit,
// which the report lists among the failures, and bench exits 1 after it
// (it said skipped and exited 0).
func benchPython(c *cli.Context, cfg *bench.Config) (note string, err error) {
	switch baseline := nameValue(c, "baseline"); {
	case baseline == "none":
		cfg.Python = false
	case cfg.PythonPath != "":
		// Checked before the engines (checkPythonFlag).
	default:
		py, err := bench.FindPython(c.Context)
		if c.Context.Err() != nil {
			// A stop (Ctrl-C) during the search is the stop, not an
			// interpreter missing: it printed "skipped: no python3 with
			// numpy found" before "gpusim: interrupted".
			return "", context.Cause(c.Context)
		}
		le := (*bench.NumPyLimitError)(nil)
		limited := errors.As(err, &le)
		if err != nil && c.IsSet("baseline") {
			if limited {
				return "", fmt.Errorf("--baseline python: %w (raise the limit, name an interpreter with --python, or use --baseline none)", err)
			}
			return "", fmt.Errorf("--baseline python: %w (install numpy, name an interpreter with --python, or use --baseline none)", err)
		}
		// With no python3 and numpy the report says the baseline was skipped.
		cfg.PythonPath = py
		if limited {
			return "failed: " + err.Error() + " (exit status 1 after the report)", nil
		}
	}
	return "skipped: no python3 with numpy found", nil
}

// checkPythonFlag refuses a --python, cfg.PythonPath, that cannot run the
// baseline (bench.CheckPython), unless --baseline none; a stop during the
// check is the stop. nil without --python.
func checkPythonFlag(c *cli.Context, cfg bench.Config) error {
	if cfg.PythonPath == "" || nameValue(c, "baseline") == "none" {
		return nil
	}
	if err := bench.CheckPython(c.Context, cfg.PythonPath); err != nil {
		if c.Context.Err() != nil {
			return context.Cause(c.Context)
		}
		return paramErr("python", "%v (valid: %s)", err, pythonValid)
	}
	return nil
}

// benchFailure is an engine's failure in bench's error: it reads as the
// engine's error did, and its Hint is the one the report gives it.
type benchFailure struct{ f bench.EngineFailure }

func (e *benchFailure) Error() string { return e.f.String() }

// Hint is the failure's hint, worded for bench already.
func (e *benchFailure) Hint() string { return e.f.Hint }

// benchConfig reads the flags into a bench configuration, checking every
// value before anything runs: each flag's own validity first, then their
// combinations (benchCombinations), then the plan's time (checkBenchTime), which a flag's own error comes before.
func benchConfig(c *cli.Context) (cfg bench.Config, opts benchOptions, err error) {
	cfg = bench.Default()
	if c.Bool("quick") {
		cfg = bench.Quick()
	}
	cfg.Params.Seed = getCount(c, "seed")
	for _, read := range []func(*cli.Context, *bench.Config) error{readWorkloads, readScaling, readSweep, readBaseline} {
		if err := read(c, &cfg); err != nil {
			return cfg, benchOptions{}, err
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, benchOptions{}, err
	}
	// Every flag's form and their combinations before argsChecked, which
	// ends argsRefused's pass: under ulimit -n 12, bench --plot-format png
	// (no --plot) and --no-scaling --workers 2 were refused for the limit,
	// not the flags (TestBenchArgsBeforeLimit).
	if opts, err = newBenchOptions(c, &cfg); err != nil {
		return cfg, opts, err
	}
	if err := benchCombinations(c); err != nil {
		if argsOnly(c.Context) { // no engine or interpreter starts in it
			return cfg, benchOptions{}, cmp.Or(benchNamesChecked(c), err)
		}
		if ferr := benchFlagError(c); ferr != nil {
			return cfg, benchOptions{}, ferr
		}
		return cfg, benchOptions{}, err
	}
	if err := argsChecked(c.Context); err != nil {
		return cfg, benchOptions{}, cmp.Or(benchNamesChecked(c), opts.namesChecked(), err)
	}
	if err := driverWaitChecked(c.Context, benchLoadsDriver(engineList(c))); err != nil {
		return cfg, benchOptions{}, cmp.Or(benchNamesChecked(c), opts.namesChecked(), err)
	}
	for _, f := range []string{"lanes", "steps", "reps", "warmup", "workers", "no-scaling", "sweep", "no-sweep", "sweep-steps", "sweep-reps"} {
		if c.IsSet(f) {
			// The report's mode says what was measured, so a changed suite
			// is not mistaken for the standard one.
			cfg.Mode = strings.TrimSuffix("custom "+cfg.Mode, " default")
			break
		}
	}
	if err := opts.prepare(); err != nil {
		return cfg, benchOptions{}, err
	}
	// Before any output is written or engine started; which Python runs,
	// if any, is found later, and benchAction checks again with it.
	planned := cfg
	planned.Python = false
	if err := checkBenchTime(&planned, plannedSpecs(engineList(c)), c.IsSet); err != nil {
		opts.files.Abort()
		removeEmpty(opts.madeDirs)
		if ferr := benchFlagError(c); ferr != nil {
			return cfg, benchOptions{}, ferr
		}
		return cfg, benchOptions{}, err
	}
	return cfg, opts, nil
}

// benchNamesChecked is the refusal of --format's value and of --engines'
// names, else nil: for argsRefused's pass, in which no driver loads, and
// before stdout's check, which a driver's load comes after. Where the list
// names a device (ENTRY:X), whose refusal lists the devices
// (checkEngineNames), it is left to checkEngineNames after stdout's check;
// in argsRefused's pass, an X that is no device index is refused without
// the devices' listing (engines.CheckDeviceForms), and an index's range
// is left to the command.
func benchNamesChecked(c *cli.Context) error {
	if _, err := checkFormat(c, bench.Formats...); err != nil {
		return err
	}
	if argsOnly(c.Context) {
		return checkEngineNamesWith(c, false)
	}
	if strings.Contains(engineList(c), ":") {
		return nil
	}
	return checkEngineNames(c)
}

// benchFlagError is the error of --engines or --python, whose checks start
// engines or the interpreter (benchEngines, bench.CheckPython), for a
// benchmark refused for its plan before them: a flag's own error comes
// first (--engines nosuch,simd --lanes 2^64-1 was refused for its years,
// not for the engine no one has). nil where they are valid, and where the
// engines' check waits on a driver past engines.ListWait: bench --engines
// opencl --lanes 1e12 --steps 1e9 waited for ever on a driver that hangs,
// where the plan's refusal needs no device (checkEngineNames, which
// refuses a bad name within ListWait, is not waited on).
func benchFlagError(c *cli.Context) error {
	var pe *sim.ParamError
	err := checkEngineNames(c)
	if err == nil {
		err, _ = engines.WithinListWait(func() error {
			_, _, err := benchEngines(c)
			return err
		})
	}
	if errors.As(err, &pe) {
		return err
	}
	// With --baseline none, --python contradicts it (benchCombinations):
	// the interpreter's check said it could not import numpy instead.
	if py := c.String("python"); py != "" && nameValue(c, "baseline") != "none" {
		if err := bench.CheckPython(c.Context, py); err != nil {
			return paramErr("python", "%v (valid: %s)", err, pythonValid)
		}
	}
	return nil
}

// checkBenchRoom refuses, before the benchmark runs, --html, --plot's
// charts and --update-doc where their file systems have less free than
// they can take (runfiles.Result.Room): each at its largest for this
// benchmark of cfg on specs with the notes known before it (notes), the
// page, the charts and the document's section rendered from the largest
// report it can make (bench.Plan.MaxSizes), and the document as it is
// besides. They were written after a benchmark of minutes without a look
// at the disk, and a full one lost them. Then it refuses the report on
// stdout where stdout's file system cannot take it at its largest
// (bench.Plan.MaxReportSize) beside those of the outputs that go there, as
// run's is (checkStdoutFits): bench > full/r.md ran every workload and
// then failed at the report's write.
func checkBenchRoom(cfg *bench.Config, specs []engines.Spec, notes []string, opts benchOptions) error {
	plan := bench.Plan{Config: cfg, Specs: specs, Notes: notes}
	var out []runfiles.Bounded
	if opts.html != "" || opts.plotDir != "" || opts.doc != "" {
		sizes, err := plan.MaxSizes(opts.plotFormats)
		if err != nil {
			return fmt.Errorf("bench: bound the outputs: %w", err)
		}
		if opts.html != "" {
			out = append(out, runfiles.Bounded{Path: runfiles.Path{Flag: "html", Path: opts.html}, Most: sizes.HTML})
		}
		var charts []string
		if opts.plotDir != "" {
			for _, name := range bench.ChartFiles(cfg, opts.plotFormats) {
				path := filepath.Join(opts.plotDir, name)
				charts = append(charts, path)
				out = append(out, runfiles.Bounded{Path: runfiles.Path{Flag: "plot", Path: path}, Most: sizes.Charts[name]})
			}
		}
		if opts.doc != "" {
			most, err := sizes.MaxDocSize(opts.doc, charts)
			if err != nil {
				return paramErr("update-doc", "%v", err)
			}
			out = append(out, runfiles.Bounded{Path: runfiles.Path{Flag: "update-doc", Path: opts.doc}, Most: most})
		}
		if err := (runfiles.Result{Bounded: out}).Room(sim.Params{}); err != nil {
			return err
		}
	}
	most := func() (uint64, error) {
		n, err := plan.MaxReportSize(opts.format)
		if err != nil {
			return 0, fmt.Errorf("bench: bound the report: %w", err)
		}
		return n, nil
	}
	taken := func(dev, room uint64) (uint64, bool, []string) {
		return runfiles.Result{Bounded: out}.TakenOn(sim.Params{}, dev, room)
	}
	return checkStdoutFits(opts.stdout, "the "+opts.format+" report", most, taken)
}

// benchRoom is checkBenchRoom; tests replace it, for a disk that fills
// while the benchmark runs.
var benchRoom = checkBenchRoom

// benchEngines selects the engines --engines names (every one that runs
// here without it) and returns them with the notes on what could not run
// and on entries given twice; with the processes engine it checks the
// temporary folder its part files go to (a missing, read-only or full one
// stopped the benchmark in its middle).
func benchEngines(c *cli.Context) ([]engines.Spec, []string, error) {
	if err := checkEngineNames(c); err != nil {
		return nil, nil, err
	}
	list := engineList(c)
	avail := forBench(list)
	// A name no engine has was refused (checkEngineNames): what Select
	// refuses is a device no index of opencl:N names, in the words of
	// the devices it lists, or an entry that cannot run here.
	specs, err := avail.Select(list)
	if err != nil {
		// opencl asked for where it cannot load: exit 2, as run
		// --engine opencl (couldNotRun).
		return nil, nil, couldNotRun("bench", missingCause(err), err)
	}
	// An engine left out keeps its error's hint, worded for bench, less
	// its remedy of the CPU engines, which bench runs beside the note: it
	// said to run on them, as "the CPU engines (serial, parallel, simd) run
	// without it", and left processes out.
	word := func(h string) string { return commandHint(c.Command, cl.WithoutCPU(h)) }
	notes := append(avail.Notes(word), listRepeats(c, avail)...)
	if list == "" {
		// The devices a crash's mark refuses, left out of the default
		// engines (Select).
		notes = append(notes, avail.RefusedNotes(word)...)
	}
	if len(specs) == 0 {
		return nil, nil, errors.New("no engine can run here: " + strings.Join(notes, "; "))
	}
	if c.IsSet("workers") && !slices.ContainsFunc(specs, func(s engines.Spec) bool { return s.Scales }) {
		names := make([]string, len(specs))
		for i, s := range specs {
			names[i] = s.Name
		}
		notes = append(notes, fmt.Sprintf("no scaling table: --workers asks for one, but none of the engines run (%s) scales with workers", strings.Join(names, ", ")))
	}
	if slices.ContainsFunc(specs, func(s engines.Spec) bool { return s.Name == bench.ProcessesEngine }) {
		if err := bench.CheckTempDir(); err != nil {
			var te *bench.TempDirError
			if !errors.As(err, &te) {
				return nil, nil, err
			}
			return nil, nil, &envError{name: te.Var, msg: fmt.Sprintf("the processes engine cannot %s the temporary folder %q: %v", te.What, te.Dir, te.Err),
				hint: fmt.Sprintf("set %s to a folder that takes new files, or leave processes out with --engines", te.Var)}
		}
	}
	return specs, notes, nil
}

// benchEnginesRefusing is benchEngines, whose listing of the devices it
// waits for as long as the driver takes, unless the benchmark's plan is
// refused whatever the devices: the checks of the processes engine's
// children at once (descriptors, threads, temporary room, memory: their
// refusals do not count the devices) on the engines planned without them
// (benchPlanned), and the room of its outputs and report at their largest
// on those engines, each device engine on its one device (checkBenchRoom):
// where the driver lists a device for each, the room the benchmark needs
// is that or more (a device more is a report's line and an engine's
// measurements more), so its refusal stands. Then the listing is
// waited for engines.ListWait at most, and past it the plan's refusal is
// the error: bench --engines opencl,processes --workers 1024 waited for
// ever on a driver that hangs to be refused for its children's memory,
// and bench --engines opencl --html full/b.html, on a file system without
// room for it, to be refused for that. Where the driver answers in time,
// benchEngines' own error comes first, and the room is checked again on
// the devices listed (benchRoom), as before.
func benchEnginesRefusing(c *cli.Context, cfg *bench.Config, opts benchOptions) ([]engines.Spec, []string, error) {
	planned := benchPlanned(engineList(c))
	if !slices.ContainsFunc(planned, func(s engines.Spec) bool { return s.Device }) {
		return benchEngines(c)
	}
	perr := cmp.Or(checkBenchFiles(cfg, planned, opts), checkBenchThreads(cfg, planned), checkBenchTemp(cfg, planned), checkBenchChildren(cfg, planned))
	if perr == nil {
		perr = checkBenchRoom(cfg, planned, nil, opts)
	}
	if perr == nil {
		return benchEngines(c)
	}
	type listed struct {
		specs []engines.Spec
		notes []string
		err   error
	}
	l, ok := engines.WithinListWait(func() listed {
		specs, notes, err := benchEngines(c)
		return listed{specs, notes, err}
	})
	if !ok {
		return nil, nil, perr
	}
	return l.specs, l.notes, l.err
}

// benchPlanned is plannedSpecs(list), and for an empty list (every engine
// that runs here) the processes engine where it can run and each device
// engine's entry as one device: what the checks of benchEnginesRefusing
// count before the devices are listed.
func benchPlanned(list string) []engines.Spec {
	specs := plannedSpecs(list)
	if strings.TrimSpace(list) != "" {
		return specs
	}
	for _, e := range engines.All() {
		if e.Bench != nil && e.Devices != nil {
			specs = append(specs, engines.Spec{Name: e.Name, Entry: e.Name, Device: true})
		}
	}
	if p := bench.WithProcesses(engines.Benchable{Missing: map[string]error{}}); len(p.Specs) > 0 {
		specs = append(specs, p.Specs...)
	}
	return specs
}

// checkEngineNames refuses what of --engines no driver need answer to
// refuse (an empty list or entry, a name no engine has, a device named
// by no index), before benchEngines lists the devices of the engines it
// names, and with valid names that no driver changes (benchNames): under
// a driver that hangs as it starts, an empty list or a name no engine has
// waited for it engines.ListWait, to list its devices. A device named by
// no index waits that long at most, for the devices it names. The first
// bad entry in the list's order is the one named, whatever its fault:
// each kind was looked for in the whole list in turn, so that --engines
// bogus,opencl:x named opencl:x and serial,,bogus bogus. A device named
// by an index before the bad entry (opencl:9,bogus) is checked against
// the devices the driver lists in engines.ListWait (CheckDeviceIndex):
// past them, it is the one named, where bogus was named and opencl:9
// refused only on the next try. nil where the names may be valid.
func checkEngineNames(c *cli.Context) error { return checkEngineNamesWith(c, true) }

// checkEngineNamesWith is checkEngineNames where listed is true; where it
// is false, no driver loads: an index's range is not checked, and a
// device named by no index is refused without the devices' listing
// (engines.CheckDeviceForms), for argsRefused's pass.
func checkEngineNamesWith(c *cli.Context, listed bool) error {
	list := engineList(c)
	if c.IsSet("engines") && strings.TrimSpace(list) == "" {
		// Not every engine, as leaving the flag out means.
		return emptyName(c, "engines", "a list of engines", strings.Join(benchNames().Forms(), ", "))
	}
	if list == "" {
		return nil
	}
	names := strings.Split(list, ",")
	for i, name := range names {
		if err := checkEngineName(list, name, listed); err != nil {
			if !listed {
				return err
			}
			for _, before := range names[:i] {
				if derr := engines.CheckDeviceIndex(before); derr != nil {
					return derr
				}
			}
			return err
		}
	}
	return nil
}

// checkEngineName is checkEngineNames' refusal of name, one entry of the
// --engines list: nil where it may be valid, a device index among them
// (opencl:9: only the driver can say, CheckDeviceIndex). A device named
// by no index is refused with the devices listed where listed says so.
func checkEngineName(list, name string, listed bool) error {
	deviceNames := engines.CheckDeviceNames
	if !listed {
		deviceNames = engines.CheckDeviceForms
	}
	switch {
	case strings.TrimSpace(name) == "":
		// An empty entry, named by its place in the list, which Select
		// gives: bench --engines opencl, waited on a driver that hangs.
		_, err := benchNames().Select(list)
		return err
	case unknownEntries(name) != "":
		if err := deviceNames(name); err != nil {
			return err
		}
		// bench --engines opencl,bogus waited on a driver that hangs.
		_, err := benchNames().Select(name)
		return err
	}
	return deviceNames(name)
}

// machineNotes are the report's notes on the machine as the benchmark found
// it: the load average before the run. (The worker counts that ran beyond
// the cores get their note from bench.Run, which knows how many ran.)
func machineNotes() []string {
	var notes []string
	if la := bench.LoadAverage("/proc/loadavg"); la != "" {
		// The load average is the machine's: it is read beside the
		// machine's CPUs, and the process's where fewer (taskset -c 0
		// read "on 1 core" beside the whole machine's load).
		on := count.Noun(runtime.NumCPU(), "core")
		if n := onlineCPUs("/sys/devices/system/cpu/online"); n > runtime.NumCPU() {
			on = fmt.Sprintf("the machine's %s (this process may use %d)", count.Noun(n, "CPU"), runtime.NumCPU())
		}
		notes = append(notes, fmt.Sprintf("load average before the run: %s (1, 5 and 15 minutes) on %s", la, on))
	}
	return notes
}

// onlineCPUs counts the CPUs of the list at path, as Linux writes the
// online ones ("0-3,8-11"); 0 where it cannot be read.
func onlineCPUs(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n := 0
	for r := range strings.SplitSeq(strings.TrimSpace(string(b)), ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		a, err1 := strconv.Atoi(lo)
		z, err2 := a, error(nil)
		if isRange {
			z, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || z < a {
			return 0
		}
		n += z - a + 1
	}
	return n
}

// listRepeats notes each list flag that gives an entry more than once (the
// same count however written, as 5M and 5e6, or the same engine of avail
// however named, as opencl and opencl:0 on one device: avail.Repeats): it
// is measured once, and a chart format of --plot-format written once.
func listRepeats(c *cli.Context, avail engines.Benchable) []string {
	var notes []string
	if c.IsSet("engines") {
		if twice := avail.Repeats(engineList(c)); len(twice) > 0 {
			notes = append(notes, fmt.Sprintf("--engines gives %s more than once: measured once", strings.Join(twice, ", ")))
		}
	}
	for _, f := range []string{"lanes", "steps", "workers", "sweep"} {
		if !c.IsSet(f) {
			continue
		}
		seen := map[string]int{}
		var twice []string
		for e := range strings.SplitSeq(c.String(f), ",") {
			n, err := count.Parse(strings.TrimSpace(e))
			if err != nil {
				continue // refused before this
			}
			e = strconv.FormatUint(n, 10)
			if seen[e]++; seen[e] == 2 {
				twice = append(twice, e)
			}
		}
		if len(twice) > 0 {
			notes = append(notes, fmt.Sprintf("--%s gives %s more than once: measured once", f, strings.Join(twice, ", ")))
		}
	}
	if c.IsSet("plot-format") {
		// Checked before this: each entry is png or svg.
		seen := map[string]int{}
		var twice []string
		for f := range strings.SplitSeq(c.String("plot-format"), ",") {
			f = strings.TrimSpace(f)
			if seen[f]++; seen[f] == 2 {
				twice = append(twice, f)
			}
		}
		if len(twice) > 0 {
			notes = append(notes, fmt.Sprintf("--plot-format gives %s more than once: each chart written once in it", strings.Join(twice, ", ")))
		}
	}
	return notes
}

// readWorkloads reads --lanes, --steps, --reps and --warmup into cfg.
func readWorkloads(c *cli.Context, cfg *bench.Config) error {
	lanes, steps := cfg.LanesAndSteps()
	if err := setList(c, "lanes", 1, math.MaxUint64, &lanes); err != nil {
		return err
	}
	if err := setIntList(c, "steps", sim.MaxSteps, &steps); err != nil {
		return err
	}
	cfg.Workloads = bench.Cross(lanes, steps)
	setInt(c, "reps", &cfg.Reps)
	setInt(c, "warmup", &cfg.Warmup)
	return nil
}

// readScaling reads --workers and --no-scaling into cfg.
func readScaling(c *cli.Context, cfg *bench.Config) error {
	if err := setIntList(c, "workers", maxWorkers, &cfg.Workers); err != nil {
		return err
	}
	if c.Bool("no-scaling") {
		cfg.Scaling = false // with --workers, refused by benchCombinations
	}
	return nil
}

// readSweep reads --sweep, --no-sweep, --sweep-steps and --sweep-reps into cfg.
func readSweep(c *cli.Context, cfg *bench.Config) error {
	if err := setList(c, "sweep", 1, math.MaxUint64, &cfg.Sweep); err != nil {
		return err
	}
	if c.Bool("no-sweep") {
		cfg.Sweep = nil // with --sweep, refused by benchCombinations
	}
	setInt(c, "sweep-steps", &cfg.SweepSteps)
	setInt(c, "sweep-reps", &cfg.SweepReps)
	return nil
}

// missingCause is what kept bench from running where err is an entry of
// --engines that cannot run here, "--engines opencl:0: CAUSE", in the words
// of every device command's (couldNotRun); else err's text.
func missingCause(err error) string {
	if me := (*engines.MissingError)(nil); errors.As(err, &me) {
		return "--engines " + me.Name + ": " + me.Err.Error()
	}
	return err.Error()
}

// pythonValid is what --python takes, as its refusals write it.
const pythonValid = "the path of a python3 with numpy, such as python3 or /usr/bin/python3"

// readBaseline reads --baseline and --python into cfg.
func readBaseline(c *cli.Context, cfg *bench.Config) error {
	switch b := nameValue(c, "baseline"); b {
	case "python", "none":
	case "":
		return emptyName(c, "baseline", "a baseline", "python, none")
	default:
		return paramErr("baseline", "unknown baseline %q%s (valid: python, none)", c.String("baseline"), suggest.Value(b, "python", "none"))
	}
	if c.IsSet("python") && isBlank(c.String("python")) {
		return blankValue("python", c.String("python"), pythonValid, "")
	}
	if py := c.String("python"); py != "" {
		cfg.PythonPath = py // with --baseline none, refused by benchCombinations
	}
	return nil
}

// sweepFlagsSet names the flags given among those that set the size sweep
// --no-sweep leaves out, as prose names them ("--sweep and --sweep-reps"),
// or "" when none is: a contradiction names only the flags given.
func sweepFlagsSet(c *cli.Context) string {
	var f []string
	for _, name := range []string{"sweep", "sweep-steps", "sweep-reps"} {
		if c.IsSet(name) {
			f = append(f, "--"+name)
		}
	}
	if len(f) < 2 {
		return strings.Join(f, "")
	}
	return strings.Join(f[:len(f)-1], ", ") + " and " + f[len(f)-1]
}

// benchCombinations refuses flags that contradict each other, after each
// flag's own check (bench --no-sweep --sweep 0 said they contradict, not
// that 0 is out of range).
func benchCombinations(c *cli.Context) error {
	switch {
	case c.Bool("no-scaling") && c.IsSet("workers"):
		return paramErr("workers", "contradicts --no-scaling, which leaves out the scaling table whose worker counts --workers lists (give one of them)")
	case c.Bool("no-sweep") && sweepFlagsSet(c) != "":
		return paramErr("no-sweep", "contradicts %s (give one of them)", sweepFlagsSet(c))
	case c.String("python") != "" && nameValue(c, "baseline") == "none":
		return paramErr("python", "contradicts --baseline none, which runs no Python (give one of them)")
	case c.IsSet("plot-format") && c.String("plot") == "":
		return paramErr("plot-format", "needs --plot DIR, the folder the charts go to")
	}
	return nil
}

// newBenchOptions reads and checks what bench writes: --format, --plot,
// --plot-format, --update-doc and --html (cfg says which charts there will
// be), their names alone: it reads no file and makes none, as it runs in
// argsRefused's pass (prepare makes and reads them).
func newBenchOptions(c *cli.Context, cfg *bench.Config) (opts benchOptions, err error) {
	opts = benchOptions{plotDir: c.String("plot"), doc: c.String("update-doc"), quiet: c.Bool("quiet"), stdout: c.App.Writer}
	if err := checkBenchOutputNames(c); err != nil {
		return opts, err
	}
	if opts.format, err = checkFormat(c, bench.Formats...); err != nil {
		return opts, err
	}
	if opts.plotFormats, err = plotFormats(c); err != nil {
		return opts, err
	}
	if opts.plotDir != "" {
		opts.charts = bench.ChartFiles(cfg, opts.plotFormats)
	}
	opts.html = c.String("html")
	if err := checkHTMLName(opts.html); err != nil {
		return opts, err
	}
	// --html's name is a file's, as run's files' are; the folder of
	// --plot and the document --update-doc rewrites, which must be there,
	// are taken as named (".charts" is a folder's name).
	if err := runfiles.CheckStem(runfiles.Path{Flag: "html", Path: opts.html}); err != nil {
		return opts, err
	}
	if err := checkBenchNames(opts); err != nil {
		return opts, err
	}
	// A file where stdout or stderr goes would be replaced after the
	// benchmark, and the report or the messages written to it lost.
	for _, f := range []struct{ flag, path string }{{"html", opts.html}, {"update-doc", opts.doc}} {
		if f.path != "" {
			if err := checkStdio(c, f.flag, f.path); err != nil {
				return opts, err
			}
		}
	}
	for _, name := range opts.charts {
		if err := checkStdio(c, "plot", filepath.Join(opts.plotDir, name)); err != nil {
			return opts, err
		}
	}
	return opts, runfiles.CheckLinkFormat(runfiles.Path{Flag: "html", Path: opts.html})
}

// plotFormats reads --plot-format: each of png and svg once, in the order
// given.
func plotFormats(c *cli.Context) ([]string, error) {
	list := c.String("plot-format")
	if nameValue(c, "plot-format") == "" {
		return nil, emptyName(c, "plot-format", "a chart format", "png, svg, or png,svg")
	}
	var formats []string
	i, entries := 0, strings.Count(list, ",")+1
	for f := range strings.SplitSeq(list, ",") {
		typed := f
		i++
		if f = strings.TrimSpace(f); f == "" {
			// As --engines and the count lists name an empty entry:
			// png, read `unknown chart format ""`.
			return nil, paramErr("plot-format", "invalid value %q: entry %d of %d is empty (valid: png, svg, or png,svg)", list, i, entries)
		} else if f != "png" && f != "svg" {
			// Quoted as typed, a list of one entry whole: --plot-format
			// ' ' read `unknown chart format ""`.
			if !strings.Contains(list, ",") {
				typed = list
			}
			return nil, paramErr("plot-format", "unknown chart format %q%s (valid: png, svg, or png,svg)", typed, suggest.Value(f, "png", "svg"))
		}
		if !slices.Contains(formats, f) {
			formats = append(formats, f)
		}
	}
	return formats, nil
}

// prepare makes --plot's folder (checkPlotDir), checks the document of
// --update-doc and creates --html's file, after newBenchOptions and the
// flags' combinations; where one fails, the folders it made are removed.
func (opts *benchOptions) prepare() (err error) {
	defer func() {
		if err != nil {
			removeEmpty(opts.madeDirs) // a later check failed
		}
	}()
	if opts.plotDir != "" {
		if opts.madeDirs, err = checkPlotDir(opts.plotDir, opts.charts); err != nil {
			return err
		}
	}
	if opts.doc != "" {
		if err := bench.CheckDoc(opts.doc); err != nil {
			return paramErr("update-doc", "%v", err)
		}
	}
	// Last, as it creates a file: every check that can fail comes first.
	if opts.html != "" {
		opts.files, err = createOutputs([]outFile{{Flag: "html", Path: opts.html}})
	}
	return err
}

// namesChecked is prepare's refusals that os.Stat alone finds, for
// argsRefused's pass, which opens no file: --plot's folder a file or under
// one (plotNameChecked), --update-doc's document not there, a folder or
// too large (bench.CheckDocName) and --html's folder not there or not a
// folder (folderError), in prepare's order. Under ulimit -n 12, bench
// --update-doc /nonexist/x.md and bench --plot a.txt/charts were refused
// for the limit. --update-doc's markers and whether --plot's folder can be
// made, which prepare reads and makes, are checked after the limit.
func (opts *benchOptions) namesChecked() error {
	if opts.plotDir != "" {
		if err := plotNameChecked(opts.plotDir); err != nil {
			return err
		}
	}
	if opts.doc != "" {
		if err := bench.CheckDocName(opts.doc); err != nil {
			return paramErr("update-doc", "%v", err)
		}
	}
	if opts.html != "" {
		return folderError([]outFile{{Flag: "html", Path: opts.html}})
	}
	return nil
}

// plotNameChecked refuses --plot's folder dir where os.Stat alone finds
// it cannot be one: dir a file ("a.txt" is not a directory) or a file on
// the way to it (cannot make "a.txt/charts": "a.txt" is not a folder), a
// ".." after a folder that is not there or after a link (plotFolders,
// dotDotThroughLink), or a link to nothing on the way. It opens and makes
// nothing, for namesChecked's pass before the limits.
func plotNameChecked(dir string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return paramErr("plot", "%q is not a directory", dir)
	}
	if d := atomicfile.NonFolderOnPath(filepath.Join(dir, "x")); d != "" {
		// It read "cannot make "a.txt/charts": not a directory".
		return paramErr("plot", "cannot make %q: %q is not a folder", dir, d)
	}
	_, missing, dangling := plotFolders(dir)
	if missing != "" {
		return paramErr("plot", "cannot make %q: directory %q does not exist (bench makes the folders after the path's last \"..\", none before it)", dir, missing)
	}
	if why := atomicfile.DanglingLinkOnPath(dangling); dangling != "" && why != "" {
		// It read "cannot make "dl/x": file exists".
		return paramErr("plot", "cannot make %q: %s", dir, why)
	}
	if up, real := dotDotThroughLink(dir); up != "" {
		// The charts' paths are cleaned (filepath.Join), the folder's
		// walk is the system's: they read "cannot write charts into
		// "link/../new": time-100x1.png: no such file or directory".
		return paramErr("plot", "cannot make %q: %q is %q through a link, not %q as the path reads (valid: the folder written without \"..\", such as %q)", dir, up, real, filepath.Clean(up), filepath.Join(real, strings.TrimPrefix(dir[len(up):], string(filepath.Separator))))
	}
	return nil
}

// dotDotThroughLink is, where a ".." in dir follows a link, so that the
// system's walk of dir (which makes --plot's folder) and its cleaned form
// (which names the charts in it) are two folders, the path up to its last
// ".." (up) and the folder the system finds there (real); "" where they
// are one, or where up is not there (plotFolders refuses that).
func dotDotThroughLink(dir string) (up, real string) {
	i := strings.LastIndex(dir, "..")
	for i >= 0 && !((i+2 == len(dir) || os.IsPathSeparator(dir[i+2])) && (i == 0 || os.IsPathSeparator(dir[i-1]))) {
		i = strings.LastIndex(dir[:i], "..")
	}
	if i < 0 {
		return "", ""
	}
	up = dir[:i+2]
	sys, err := os.Stat(up)
	if err != nil {
		return "", ""
	}
	if clean, err := os.Stat(filepath.Clean(up)); err == nil && os.SameFile(sys, clean) {
		return "", ""
	}
	if real, err = filepath.EvalSymlinks(up); err != nil {
		return "", ""
	}
	return up, real
}

// plotFolders walks --plot's folder dir as typed, each part in turn as the
// kernel and os.MkdirAll do, not as filepath.Clean writes it: made are the
// folders MkdirAll would create for it (the first missing one and each
// below it), deepest first, for removeEmpty; missing, where a ".." follows
// a folder that does not exist, is that folder. MkdirAll made
// "nonexist/../d" by creating "nonexist" and then "d" beside it, and the
// folders bench removed at its end were the cleaned path's ("d" alone):
// "nonexist" stayed, made by a bench refused or stopped. The kernel
// refuses that path in every other command (run --out nonexist/../x.csv:
// directory "nonexist" does not exist), and so does bench. dangling is the
// first link to nothing on the way, where one is: MkdirAll refused
// "dl/x" with "file exists".
func plotFolders(dir string) (made []string, missing, dangling string) {
	sep := string(filepath.Separator)
	path := filepath.VolumeName(dir)
	rest := dir[len(path):]
	if strings.HasPrefix(rest, sep) || (sep != "/" && strings.HasPrefix(rest, "/")) {
		path += sep
	}
	for _, part := range strings.FieldsFunc(rest, func(r rune) bool { return r < utf8.RuneSelf && os.IsPathSeparator(uint8(r)) }) {
		if path == "" || os.IsPathSeparator(path[len(path)-1]) {
			path += part
		} else {
			path += sep + part
		}
		switch {
		case part == ".." && len(made) > 0:
			return nil, made[0], ""
		case part == "." && len(made) > 0:
			// The folder before it, made already.
		case len(made) > 0:
			made = append(made, path)
		default:
			// Lstat: a link to nothing is not a folder to make (nor to
			// remove at the end); MkdirAll refuses it.
			st, err := os.Lstat(path)
			if errors.Is(err, fs.ErrNotExist) {
				made = append(made, path)
			} else if _, serr := os.Stat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 && errors.Is(serr, fs.ErrNotExist) {
				return nil, "", path
			}
		}
	}
	slices.Reverse(made)
	return made, "", ""
}

// checkBenchOutputNames refuses, before anything else of bench's outputs,
// --plot, --update-doc or --html given empty or blank, "-" or a name
// runfiles.CheckName refuses.
func checkBenchOutputNames(c *cli.Context) error {
	for _, f := range []string{"plot", "update-doc", "html"} {
		if c.IsSet(f) && isBlank(c.String(f)) {
			// Given empty, as by an unset shell variable: not the same
			// as not given.
			if f == "plot" {
				return blankValue(f, c.String(f), "a folder name such as charts", "")
			}
			return blankOutput(f, c.String(f))
		}
		if c.String(f) == "-" {
			// Charts or a document named "-", standard output's
			// usual name: --update-doc read `cannot read "-"`, and
			// --plot made a folder "-".
			if f == "plot" {
				return dashValue(f, "a folder name such as charts", "")
			}
			return dashName(f)
		}
		if err := runfiles.CheckName(runfiles.Path{Flag: f, Path: c.String(f)}); err != nil {
			return err
		}
	}
	return nil
}

// heldFiles is the number of bench's output files open at once: its
// charts, the --html page and the --update-doc document.
func heldFiles(cfg *bench.Config, opts benchOptions) uint64 {
	var n uint64
	if opts.plotDir != "" {
		n = uint64(len(bench.ChartFiles(cfg, opts.plotFormats)))
	}
	for _, path := range []string{opts.html, opts.doc} {
		if path != "" {
			n++
		}
	}
	return n
}

// childFiles is the most descriptors bench holds for each child process
// the processes engine runs at once: its output's two pipes, the one exec
// watches it by, and one more while it starts (64 children under ulimit -n
// 150 failed at the 37th).
const childFiles = 4

// checkBenchFiles refuses, before the benchmark, one for which the
// open-file limit leaves fewer descriptors free than its outputs, each open
// from its writing to their commit together (heldFiles), and the processes
// engine's children at once (the most of GOMAXPROCS and the scaling
// table's workers) hold, beyond the filesNeed of every command: 64 charts
// of 30 workloads under ulimit -n 64 failed after the benchmark, and 64
// processes workers under ulimit -n 150 in the middle of it, "too many
// open files".
func checkBenchFiles(cfg *bench.Config, specs []engines.Spec, opts benchOptions) error {
	held := heldFiles(cfg, opts)
	what := "files --plot, --html and --update-doc keep open until they are written together"
	if slices.ContainsFunc(specs, func(s engines.Spec) bool { return s.Name == bench.ProcessesEngine }) {
		kids := processesChildren(cfg)
		what = fmt.Sprintf("the processes engine's %d children at once hold (%d each)", kids, childFiles)
		if held > 0 {
			what = fmt.Sprintf("its outputs (%d) and the processes engine's %d children at once (%d each) hold", held, kids, childFiles)
		}
		held += uint64(kids) * childFiles
	}
	if held == 0 {
		return nil
	}
	if err := filesShort(held, what); err != nil {
		return err
	}
	return nil
}

// chartName matches the files bench.Plot writes into --plot's folder.
var chartName = lazyRegexp(`^(speedup|sweep|time-.*)\.(png|svg)$`)

// checkBenchNames refuses --html and --update-doc naming one file, or either
// naming a chart in --plot's folder (sameFile: links and bind mounts
// count): one output would silently replace another.
func checkBenchNames(opts benchOptions) error {
	if opts.html != "" && opts.doc != "" && sameFile(opts.html, opts.doc) {
		return paramErr("update-doc", "%q is also the file of --html", opts.doc)
	}
	if opts.plotDir == "" {
		return nil
	}
	for _, f := range []struct{ flag, path string }{{"html", opts.html}, {"update-doc", opts.doc}} {
		if f.path == "" || !chartName().MatchString(filepath.Base(atomicfile.Target(f.path))) {
			continue
		}
		if sameFile(f.path, filepath.Join(opts.plotDir, filepath.Base(atomicfile.Target(f.path)))) {
			return paramErr(f.flag, "%q is a chart bench writes into --plot %q (speedup, sweep and time-LxS, .png and .svg)", f.path, opts.plotDir)
		}
	}
	return nil
}

// checkPlotDir makes --plot's folder and checks that each of the charts
// can be written there before a benchmark that may take minutes (a folder
// or a device where one goes was found after it). made are the folders it
// created, deepest first, for removeEmpty.
func checkPlotDir(dir string, charts []string) (made []string, err error) {
	if atomicfile.WorkdirGone(dir) {
		// It read "cannot make "charts": no such file or directory".
		return nil, paramErr("plot", "cannot write charts into %q: %s", dir, atomicfile.WorkdirGoneText)
	}
	if err := plotNameChecked(dir); err != nil {
		return nil, err
	}
	made, _, _ = plotFolders(dir)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		removeEmpty(made)
		if why := atomicfile.DanglingLinkOnPath(dir); why != "" {
			// A link to a folder that is not there: it read "cannot
			// make "charts": file exists".
			return nil, paramErr("plot", "cannot make %q: %s", dir, why)
		}
		if d := atomicfile.NonFolderOnPath(filepath.Join(dir, "x")); d != "" {
			// It read "cannot make "a.txt/charts": not a directory".
			return nil, paramErr("plot", "cannot make %q: %q is not a folder", dir, d)
		}
		return nil, paramErr("plot", "cannot make %q: %v", dir, errors.Unwrap(err))
	}
	for _, name := range charts {
		if err := runfiles.CheckLinkFormat(runfiles.Path{Flag: "plot", Path: filepath.Join(dir, name)}); err != nil {
			removeEmpty(made)
			return nil, err
		}
		probe, err := atomicfile.Create(filepath.Join(dir, name))
		if err == nil {
			err = probe.Abort()
		}
		if err != nil {
			removeEmpty(made)
			return nil, paramErr("plot", "cannot write charts into %q: %s: %v", dir, name, errors.Unwrap(err))
		}
	}
	return made, nil
}

// removeEmpty removes the folders in dirs (deepest first) that are empty:
// those bench made for --plot when it ends without a chart in them
// (interrupted, failed, or a full disk).
func removeEmpty(dirs []string) {
	for _, d := range dirs {
		os.Remove(d) // fails, as it should, on a folder with files
	}
}

// writeBench writes the HTML page, the charts and the document, and prints
// the report. The files are written first and committed together
// (atomicfile.CommitAll): a signal before that commit point leaves every
// one as it was and prints no report; after it, the report is printed
// whole. An output that cannot be written does not stop the others: its
// error is joined into the one returned (exit 1), after the report. A
// rename that fails at the commit point leaves every one as it was, each
// with its error, after the error of the one whose rename failed; each
// names its flag and path (commitError).
func writeBench(c *cli.Context, rep *bench.Report, opts benchOptions) error {
	ctx := c.Context
	stderr := c.App.ErrWriter
	var errs []error
	var group []*atomicfile.File
	var flags []string // each file's flag, for its error
	if opts.html != "" {
		if err := opts.files.Write(ctx, "html", rep.WriteHTML); err != nil {
			errs = append(errs, err)
		} else {
			group, flags = append(group, opts.files["html"]), append(flags, "html")
		}
	}
	var charts []string
	if opts.plotDir != "" {
		files, err := bench.PlotFiles(rep, opts.plotDir, opts.plotFormats)
		if err != nil {
			errs = append(errs, err)
		}
		for _, f := range files {
			charts = append(charts, f.Name())
			flags = append(flags, "plot")
		}
		group = append(group, files...)
	}
	if opts.doc != "" {
		// With the charts that were written.
		f, err := bench.PrepareDoc(opts.doc, rep, charts)
		switch {
		case err != nil:
			errs = append(errs, err)
		case f != nil:
			group, flags = append(group, f), append(flags, "update-doc")
		}
	}
	cerrs, err := atomicfile.CommitAll(ctx, group, interrupt.Settle)
	// The report is written here, the files are: a crash from here on
	// prints no second report, nor says the files were not written.
	cl.CrashReport(nil, nil)
	if err != nil {
		// Stopped after the last measurement, before the files were
		// committed: none is written, but the report, whole, is printed
		// (it was lost, every measurement with it).
		if se := (*interrupt.SignalError)(nil); errors.As(err, &se) {
			writeStoppedBench(c, rep, opts, se)
		}
		return err
	}
	if err := rep.Write(c.App.Writer, opts.format); err != nil {
		errs = append(errs, fmt.Errorf("write report: %w", err))
	}
	var undone []error
	for i, f := range group {
		switch {
		case cerrs[i] != nil && errors.As(cerrs[i], new(*atomicfile.UndoneError)):
			undone = append(undone, commitError(flags[i], f.Name(), cerrs[i]))
		case cerrs[i] != nil:
			errs = append(errs, commitError(flags[i], f.Name(), cerrs[i]))
		case opts.quiet:
		case opts.doc != "" && f.Name() == opts.doc:
			fmt.Fprintf(stderr, "bench: updated %s\n", quote.Printable(opts.doc))
		default:
			fmt.Fprintf(stderr, "bench: wrote %s\n", quote.Printable(f.Name()))
		}
	}
	if ctx.Err() != nil && !opts.quiet && !interrupt.BrokenPipe(context.Cause(ctx)) {
		fmt.Fprintf(stderr, "bench: note: %v after the outputs were written: ignored\n", context.Cause(ctx))
	}
	// The file whose rename failed, which says why, before those left as
	// they were for it (runfiles.CausesFirst, as run orders them).
	return errors.Join(append(errs, undone...)...)
}

// commitError is the error of bench's output name, of flag, that was not
// put in place: "write --html: r.html: no space left on device", as run's
// outputs' read (runfiles). It read "write r.html: write r.html: ...",
// the path twice and the flag not at all.
func commitError(flag, name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == name {
		err = pe.Err
	}
	return fmt.Errorf("write --%s: %s: %w", flag, quote.Printable(name), err)
}
