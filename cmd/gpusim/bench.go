package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/sim"
)

// benchOne runs backend b in bench as it is.
func benchOne(b backend) ([]bench.EngineSpec, error) { return benchSpec(b, false) }

// benchScales runs backend b in bench and at 1..N workers for the scaling
// table.
func benchScales(b backend) ([]bench.EngineSpec, error) { return benchSpec(b, true) }

func benchSpec(b backend, scales bool) ([]bench.EngineSpec, error) {
	// Start the engine once so one that cannot run here (no device, no
	// vector unit) is left out with its reason rather than failing mid-way.
	e, err := b.new(engineOptions{})
	if err != nil {
		return nil, err
	}
	sim.Close(e)
	return []bench.EngineSpec{{Name: b.name, New: benchNew(b), Scales: scales}}, nil
}

// benchNew adapts a backend's constructor to bench.EngineSpec.New, whose
// engines cannot fail to start: a failure comes back from the engine's Run.
func benchNew(b backend) func(workers int) sim.Engine {
	return func(workers int) sim.Engine {
		e, err := b.new(engineOptions{Workers: workers})
		if err != nil {
			return failedEngine{b.name, err}
		}
		return e
	}
}

// failedEngine is an engine that could not start; its Run says why.
type failedEngine struct {
	name string
	err  error
}

func (f failedEngine) Name() string { return f.name }

func (f failedEngine) Run(context.Context, *sim.Job) (*sim.Result, error) {
	return nil, fmt.Errorf("start %s: %w", f.name, f.err)
}

// benchEngine is an engine `gpusim bench` can run and the backend it comes
// from (opencl:DEVICE comes from opencl).
type benchEngine struct {
	backend string
	spec    bench.EngineSpec
}

// benchEngines lists the engines `gpusim bench` runs, in backend table order,
// and why each backend that cannot run here is missing. It is the one place
// the benchmark learns of engines: a backend joins through its bench field.
func benchEngines() ([]benchEngine, map[string]error) {
	var engines []benchEngine
	missing := map[string]error{}
	for _, b := range backends {
		if b.bench == nil {
			continue
		}
		specs, err := b.bench(b)
		if err != nil {
			missing[b.name] = err
			continue
		}
		for _, s := range specs {
			engines = append(engines, benchEngine{b.name, s})
		}
	}
	if e, err := processesEngine(); err != nil {
		missing[bench.ProcessesEngine] = err
	} else {
		engines = append(engines, e)
	}
	return engines, missing
}

// benchEngineNames lists what --engines takes: each benchmarked backend
// (which selects all its engines) and each engine name that differs from its
// backend's.
func benchEngineNames(engines []benchEngine) []string {
	var names []string
	for _, b := range backends {
		if b.bench != nil {
			names = append(names, b.name)
		}
	}
	for _, e := range engines {
		if !slices.Contains(names, e.spec.Name) {
			names = append(names, e.spec.Name)
		}
	}
	return names
}

// selectEngines picks the engines a comma-separated --engines list names,
// keeping table order; "" picks every engine that runs here.
func selectEngines(list string, engines []benchEngine, missing map[string]error) ([]bench.EngineSpec, error) {
	var specs []bench.EngineSpec
	if list == "" {
		for _, e := range engines {
			specs = append(specs, e.spec)
		}
		return specs, nil
	}
	valid := benchEngineNames(engines)
	want := map[string]bool{}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(valid, name) {
			return nil, &sim.ParamError{Flag: "engines", Msg: fmt.Sprintf("unknown engine %q (valid: %s)", name, strings.Join(valid, ", "))}
		}
		if err, ok := missing[name]; ok {
			return nil, fmt.Errorf("--engines: %s cannot run here: %w", name, err)
		}
		want[name] = true
	}
	for _, e := range engines {
		if want[e.backend] || want[e.spec.Name] {
			specs = append(specs, e.spec)
		}
	}
	return specs, nil
}

var benchFormats = []string{"text", "json", "csv", "markdown"}

// openCLDevices lists the OpenCL devices for the report's machine
// description; nil until the OpenCL backend sets it, and the report then says
// the devices were not queried.
var openCLDevices func() ([]string, error)

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
			"Then, unless turned off: the engines that scale at each of --workers with Amdahl's\n" +
			"law fitted, every engine over the --sweep lane counts with the sizes where one\n" +
			"starts beating another, and the course's Python and NumPy versions.\n\n" +
			fmt.Sprintf("--quick runs %s, %d timed runs each, the sweep up to %s lanes\n", quickWorkloads(q), q.Reps, bench.FormatCount(slices.Max(q.Sweep))) +
			"and a small Python baseline: well under a minute on two cores.\n\n" +
			"Progress goes to stderr, the report to stdout.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quick", Usage: "the quick suite: smaller workloads, sweep and baseline"},
			&cli.StringFlag{Name: "lanes", DefaultText: "5M, or 500k with --quick", Usage: "lane counts `LIST`, e.g. 5M,1e6"},
			&cli.StringFlag{Name: "steps", DefaultText: "10,100", Usage: "step counts `LIST`, crossed with --lanes"},
			&cli.IntFlag{Name: "reps", DefaultText: "5, or 3 with --quick", Usage: "`N` timed runs per measurement"},
			&cli.IntFlag{Name: "warmup", DefaultText: "1", Usage: "`N` untimed runs before the timed ones"},
			&cli.StringFlag{Name: "workers", DefaultText: "1 to the number of cores", Usage: "worker counts `LIST` for the scaling table"},
			&cli.BoolFlag{Name: "no-scaling", Usage: "skip the scaling table"},
			&cli.StringFlag{Name: "sweep", DefaultText: "1k to 100M, or 1k to 1M with --quick", Usage: "lane counts `LIST` for the size sweep"},
			&cli.BoolFlag{Name: "no-sweep", Usage: "skip the size sweep"},
			&cli.IntFlag{Name: "sweep-steps", DefaultText: "10", Usage: "`N` steps at each sweep size"},
			&cli.IntFlag{Name: "sweep-reps", DefaultText: "3", Usage: "`N` timed runs at each sweep size"},
			&cli.StringFlag{Name: "engines", DefaultText: "every engine that works here", Usage: "run only the engines in `LIST`"},
			&cli.StringFlag{Name: "baseline", Value: "python", Usage: "`B`: python (the course's Python and NumPy versions; skipped with a note without numpy) or none"},
			&cli.StringFlag{Name: "python", DefaultText: "the first of python3 and /usr/bin/python3 that imports numpy", Usage: "`PATH` of a python3 with numpy for the baseline"},
			&cli.Uint64Flag{Name: "seed", Value: sim.Default().Seed, Usage: "the random stream's key `N`"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "report `FORMAT`: " + strings.Join(benchFormats, ", ")},
			&cli.StringFlag{Name: "plot", Usage: "draw the charts into `DIR` (created if needed)"},
			&cli.StringFlag{Name: "plot-format", Value: "png,svg", Usage: "chart file `FORMATS`: png, svg or both"},
			&cli.StringFlag{Name: "update-doc", Usage: "rewrite the section between <!-- bench:begin --> and <!-- bench:end --> in Markdown `FILE` with the report (and the --plot charts)"},
			htmlFlag("the report, its method and its charts"),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress lines on stderr"},
		},
		Action: benchAction,
	}
}

// quickWorkloads describes bench.Quick's workloads for the help text.
func quickWorkloads(q bench.Config) string {
	var ws []string
	for _, w := range q.Workloads {
		ws = append(ws, w.String())
	}
	return strings.Join(ws, " and ")
}

// benchOptions is what benchAction does besides running the benchmark.
type benchOptions struct {
	format, plotDir, doc string
	html                 string // --html
	plotFormats          []string
	quiet                bool
}

func benchAction(c *cli.Context) error {
	if c.Args().Present() {
		return &usageError{msg: fmt.Sprintf("bench takes no arguments, got %q", c.Args().First()), hint: "flags take two dashes, e.g. --lanes 1M"}
	}
	cfg, opts, err := benchConfig(c)
	if err != nil {
		return err
	}
	engines, missing := benchEngines()
	specs, err := selectEngines(c.String("engines"), engines, missing)
	if err != nil {
		return err
	}
	var notes []string
	for _, b := range backends {
		if err, ok := missing[b.name]; ok {
			notes = append(notes, fmt.Sprintf("%s left out: %v", b.name, err))
		}
	}
	if err, ok := missing[bench.ProcessesEngine]; ok {
		notes = append(notes, fmt.Sprintf("%s left out: %v", bench.ProcessesEngine, err))
	}
	if len(specs) == 0 {
		return errors.New("no engine can run here: " + strings.Join(notes, "; "))
	}
	cfg.Devices = openCLDevices
	stderr := c.App.ErrWriter
	if !opts.quiet {
		cfg.Progress = stderr
	}

	switch baseline := c.String("baseline"); {
	case baseline == "none":
		cfg.Python = false
		notes = append(notes, "Python baseline not run (--baseline none)")
	case cfg.PythonPath != "":
		if out, err := exec.CommandContext(c.Context, cfg.PythonPath, "-c", "import numpy").CombinedOutput(); err != nil {
			why := err.Error()
			if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(out) > 0 {
				why = lines[len(lines)-1]
			}
			return &sim.ParamError{Flag: "python", Msg: fmt.Sprintf("%q cannot import numpy: %s", cfg.PythonPath, why)}
		}
	default:
		py, err := bench.FindPython(c.Context)
		if err != nil && c.IsSet("baseline") {
			return fmt.Errorf("--baseline python: %w (install numpy, name an interpreter with --python, or use --baseline none)", err)
		}
		// With no python3 and numpy the report says the baseline was skipped.
		cfg.PythonPath = py
	}

	if !opts.quiet {
		names := make([]string, len(specs))
		for i, s := range specs {
			names[i] = s.Name
		}
		fmt.Fprintf(stderr, "bench: %s mode, engines %s\n", cfg.Mode, strings.Join(names, ", "))
		for _, n := range notes {
			fmt.Fprintf(stderr, "bench: note: %s\n", n)
		}
		if cfg.Python && cfg.PythonPath == "" {
			fmt.Fprintf(stderr, "bench: note: Python baseline skipped: no python3 with numpy found\n")
		}
	}

	if la := loadAverage("/proc/loadavg"); la != "" {
		notes = append(notes, fmt.Sprintf("load average before the run: %s (1, 5 and 15 minutes) on %d cores", la, runtime.NumCPU()))
	}
	rep, err := bench.Run(c.Context, cfg, specs)
	if err != nil {
		var dm *bench.DigestMismatchError
		if errors.As(err, &dm) {
			return fmt.Errorf("%w: every engine computes the same stream, so one of these is wrong", err)
		}
		return err
	}
	rep.Notes = append(rep.Notes, notes...)
	return writeBench(c, rep, opts)
}

// benchConfig reads the flags into a bench configuration, checking every
// value before anything runs.
func benchConfig(c *cli.Context) (bench.Config, benchOptions, error) {
	cfg := bench.Default()
	if c.Bool("quick") {
		cfg = bench.Quick()
	}
	cfg.Params.Seed = c.Uint64("seed")

	lanes, steps := distinctWorkloads(cfg.Workloads)
	var err error
	if c.IsSet("lanes") {
		if lanes, err = parseCountList("lanes", c.String("lanes"), 1, math.MaxUint64); err != nil {
			return cfg, benchOptions{}, err
		}
	}
	if c.IsSet("steps") {
		ss, err := parseCountList("steps", c.String("steps"), 1, sim.MaxSteps)
		if err != nil {
			return cfg, benchOptions{}, err
		}
		steps = steps[:0]
		for _, s := range ss {
			steps = append(steps, int(s))
		}
	}
	cfg.Workloads = bench.Cross(lanes, steps)
	if c.IsSet("reps") {
		cfg.Reps = c.Int("reps")
	}
	if c.IsSet("warmup") {
		cfg.Warmup = c.Int("warmup")
	}
	if c.IsSet("workers") {
		ws, err := parseCountList("workers", c.String("workers"), 1, 1<<16)
		if err != nil {
			return cfg, benchOptions{}, err
		}
		cfg.Workers = nil
		for _, w := range ws {
			cfg.Workers = append(cfg.Workers, int(w))
		}
	}
	if c.Bool("no-scaling") {
		if c.IsSet("workers") {
			return cfg, benchOptions{}, &usageError{msg: "--workers and --no-scaling contradict each other", hint: "--workers lists the worker counts of the scaling table"}
		}
		cfg.Scaling = false
	}
	switch {
	case c.Bool("no-sweep") && (c.IsSet("sweep") || c.IsSet("sweep-steps") || c.IsSet("sweep-reps")):
		return cfg, benchOptions{}, &usageError{msg: "--no-sweep contradicts --sweep, --sweep-steps and --sweep-reps"}
	case c.Bool("no-sweep"):
		cfg.Sweep = nil
	case c.IsSet("sweep"):
		if cfg.Sweep, err = parseCountList("sweep", c.String("sweep"), 1, math.MaxUint64); err != nil {
			return cfg, benchOptions{}, err
		}
	}
	if c.IsSet("sweep-steps") {
		cfg.SweepSteps = c.Int("sweep-steps")
	}
	if c.IsSet("sweep-reps") {
		cfg.SweepReps = c.Int("sweep-reps")
	}
	switch b := c.String("baseline"); b {
	case "python", "none":
	default:
		return cfg, benchOptions{}, &sim.ParamError{Flag: "baseline", Msg: fmt.Sprintf("unknown baseline %q (valid: python, none)", b)}
	}
	if py := c.String("python"); py != "" {
		if c.String("baseline") == "none" {
			return cfg, benchOptions{}, &usageError{msg: "--python and --baseline none contradict each other"}
		}
		cfg.PythonPath = py
	}
	if err := cfg.Validate(); err != nil {
		return cfg, benchOptions{}, err
	}
	for _, f := range []string{"lanes", "steps", "reps", "warmup", "workers", "no-scaling", "sweep", "no-sweep", "sweep-steps", "sweep-reps"} {
		if c.IsSet(f) {
			// The report's mode says what was measured, so a changed suite
			// is not mistaken for the standard one.
			cfg.Mode = strings.TrimSuffix("custom "+cfg.Mode, " default")
			break
		}
	}

	opts := benchOptions{format: c.String("format"), plotDir: c.String("plot"), doc: c.String("update-doc"), quiet: c.Bool("quiet")}
	if !slices.Contains(benchFormats, opts.format) {
		return cfg, opts, &sim.ParamError{Flag: "format", Msg: fmt.Sprintf("unknown format %q (valid: %s)", opts.format, strings.Join(benchFormats, ", "))}
	}
	for f := range strings.SplitSeq(c.String("plot-format"), ",") {
		f = strings.TrimSpace(f)
		if f != "png" && f != "svg" {
			return cfg, opts, &sim.ParamError{Flag: "plot-format", Msg: fmt.Sprintf("unknown chart format %q (valid: png, svg, or png,svg)", f)}
		}
		if !slices.Contains(opts.plotFormats, f) {
			opts.plotFormats = append(opts.plotFormats, f)
		}
	}
	if opts.plotDir != "" {
		if st, err := os.Stat(opts.plotDir); err == nil && !st.IsDir() {
			return cfg, opts, &sim.ParamError{Flag: "plot", Msg: fmt.Sprintf("%q is not a directory", opts.plotDir)}
		}
	} else if c.IsSet("plot-format") {
		return cfg, opts, &usageError{msg: "--plot-format needs --plot DIR"}
	}
	if opts.doc != "" {
		if err := checkDoc(opts.doc); err != nil {
			return cfg, opts, &sim.ParamError{Flag: "update-doc", Msg: err.Error()}
		}
	}
	opts.html = c.String("html")
	if err := checkHTML(opts.html); err != nil {
		return cfg, opts, err
	}
	return cfg, opts, nil
}

// parseCountList reads a comma-separated list of counts within [lo, hi],
// each written as `gpusim run --lanes` takes it (5_000_000, 5e6, 2^28) or
// with a k, M or G suffix (5M).
func parseCountList(flag, s string, lo, hi uint64) ([]uint64, error) {
	var out []uint64
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		n, err := parseCount(f)
		if err != nil || n < lo || n > hi {
			ns, err := bench.ParseCounts(flag, f, lo, hi)
			if err != nil {
				return nil, err
			}
			n = ns[0]
		}
		out = append(out, n)
	}
	return out, nil
}

// loadAverage returns the three load averages of a /proc/loadavg file, or ""
// where there is none: other processes competing for the cores make every
// timing noisier, so the report says how busy the machine was.
func loadAverage(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], ", ")
}

// distinctWorkloads returns the lane and step counts of ws, each once, in
// order: what --lanes and --steps stand for when not given.
func distinctWorkloads(ws []bench.Workload) ([]uint64, []int) {
	var lanes []uint64
	var steps []int
	for _, w := range ws {
		if !slices.Contains(lanes, w.Lanes) {
			lanes = append(lanes, w.Lanes)
		}
		if !slices.Contains(steps, w.Steps) {
			steps = append(steps, w.Steps)
		}
	}
	return lanes, steps
}

// checkDoc makes sure --update-doc can be rewritten before a benchmark that
// may take minutes: a readable file with one begin and one end marker.
func checkDoc(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read %q: %v", path, errors.Unwrap(err))
	}
	s := string(b)
	nb, ne := strings.Count(s, bench.BeginMarker), strings.Count(s, bench.EndMarker)
	if nb != 1 || ne != 1 || strings.Index(s, bench.EndMarker) < strings.Index(s, bench.BeginMarker) {
		return fmt.Errorf("%q needs one %s line followed by one %s line (found %d and %d)", path, bench.BeginMarker, bench.EndMarker, nb, ne)
	}
	return nil
}

// writeBench prints the report and writes the charts and the document.
func writeBench(c *cli.Context, rep *bench.Report, opts benchOptions) error {
	var err error
	w := c.App.Writer
	switch opts.format {
	case "json":
		err = rep.WriteJSON(w)
	case "csv":
		err = rep.WriteCSV(w)
	case "markdown":
		err = rep.WriteMarkdown(w)
	default:
		err = rep.WriteText(w)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if opts.html != "" {
		if err := writeHTML(opts.html, rep.WriteHTML); err != nil {
			return err
		}
		if !opts.quiet {
			fmt.Fprintf(c.App.ErrWriter, "bench: wrote %s\n", opts.html)
		}
	}

	var charts []string
	if opts.plotDir != "" {
		// bench.Plot writes the formats bench.PlotFormats lists.
		defer func(old []string) { bench.PlotFormats = old }(bench.PlotFormats)
		bench.PlotFormats = opts.plotFormats
		if charts, err = bench.Plot(rep, opts.plotDir); err != nil {
			return err
		}
		if !opts.quiet {
			for _, f := range charts {
				fmt.Fprintf(c.App.ErrWriter, "bench: wrote %s\n", f)
			}
		}
	}
	if opts.doc != "" {
		var md bytes.Buffer
		if err := rep.WriteMarkdown(&md); err != nil {
			return err
		}
		if err := chartLinks(&md, opts.doc, charts); err != nil {
			return err
		}
		if err := bench.UpdateMarkdownSection(opts.doc, md.String()); err != nil {
			return err
		}
		if !opts.quiet {
			fmt.Fprintf(c.App.ErrWriter, "bench: updated %s\n", opts.doc)
		}
	}
	return nil
}

// chartLinks appends Markdown images of the charts, relative to the document
// and preferring PNG, to the generated section.
func chartLinks(w io.Writer, doc string, charts []string) error {
	var shown []string
	for _, f := range charts {
		ext := filepath.Ext(f)
		if ext == ".svg" && slices.Contains(charts, strings.TrimSuffix(f, ext)+".png") {
			continue
		}
		shown = append(shown, f)
	}
	if len(shown) == 0 {
		return nil
	}
	docDir, err := filepath.Abs(filepath.Dir(doc))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n### Charts\n\n")
	for _, f := range shown {
		abs, err := filepath.Abs(f)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(docDir, abs)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "![%s](%s)\n\n", chartTitle(f), filepath.ToSlash(rel))
	}
	return nil
}

// chartTitle is the alt text of one of bench.Plot's files.
func chartTitle(file string) string {
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	switch {
	case name == "speedup":
		return "speedup against workers, with Amdahl's law fitted"
	case name == "sweep":
		return "ns per lane-step against lanes, every engine"
	case strings.HasPrefix(name, "time-"):
		return "median wall time per engine, " + strings.Replace(strings.TrimPrefix(name, "time-"), "x", " x ", 1)
	}
	return name
}
