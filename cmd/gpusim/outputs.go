package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/internal/paths"
	"github.com/gpusim/gpusim/internal/plots"
	"github.com/gpusim/gpusim/internal/report"
	"github.com/gpusim/gpusim/internal/runfiles"
	"github.com/gpusim/gpusim/shard"
	"github.com/gpusim/gpusim/sim"
)

// outputs is what a run writes and records besides its summary.
type outputs struct {
	runfiles.Result          // the files: --out, --paths-out, --daily-out, --plot, --plot-daily
	daily           bool     // per-day statistics, asked for by dailyFlag
	dailyFlag       string   // --daily, or --daily-out or --plot-daily, which imply it
	html            string   // --html: the report as an HTML page
	sharded         bool     // --shard: the part (--save) records a shard
	names           []string // the files the report names, --save's too, for --html's room (report.NamesMost)
}

// outputFlags are the run flags for outputs.
func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "daily", Usage: fmt.Sprintf("report each step's count, mean, std and quantiles across lanes (--steps at most %d)", sim.MaxDailySteps)},
		&cli.StringFlag{Name: "daily-out", TakesFile: true, Usage: "write the per-step table to `FILE`.csv (implies --daily)"},
		&cli.GenericFlag{Name: "paths", Value: &countValue{hi: math.MaxUint64, valid: fmt.Sprintf("1..%d, and at most --lanes", paths.MaxLanes)}, DefaultText: "none", Usage: fmt.Sprintf("write the whole trajectories of the first `K` lanes (1..%d, and at most --lanes; K x --steps at most 2^28) to --paths-out", paths.MaxLanes)},
		&cli.StringFlag{Name: "paths-out", TakesFile: true, Usage: "`FILE` for --paths: a K x steps float32 array (.npy, .csv or .f32)"},
		&cli.StringFlag{Name: "plot", TakesFile: true, Usage: "draw the histogram of final temperatures with the exact density to `FILE` (.png or .svg)"},
		&cli.StringFlag{Name: "plot-daily", TakesFile: true, Usage: "draw a fan chart of the per-step quantiles to `FILE` (.png or .svg; implies --daily)"},
	}
}

// parseOutputs reads the output flags of p's run on engine (as --engine
// gives it) and checks each on its own (a file that cannot be written is
// refused before the run rather than after it); checkCombined then checks
// them together and against the job, so that a flag's own error comes
// first (run --paths 0 said it needed --paths-out, not that 0 is out of
// range).
func parseOutputs(c *cli.Context, p sim.Params, engine string) (outputs, error) {
	o := outputs{html: c.String("html")}
	o.Out, o.DailyOut, o.Paths = c.String("out"), c.String("daily-out"), getCount(c, "paths")
	o.PathsOut, o.Plot, o.PlotDaily = c.String("paths-out"), c.String("plot"), c.String("plot-daily")
	// The flag that asks for per-day statistics, for messages: the first of
	// those given.
	for _, f := range []struct {
		name string
		on   bool
	}{{"daily", c.Bool("daily")}, {"daily-out", o.DailyOut != ""}, {"plot-daily", o.PlotDaily != ""}} {
		if f.on && !o.daily {
			o.daily, o.dailyFlag = true, f.name
		}
	}
	if err := checkOutputNames(c); err != nil {
		return o, err
	}
	if err := checkHTMLName(o.html); err != nil {
		return o, err
	}
	if err := o.Result.Check(); err != nil {
		return o, err
	}
	if err := checkStems(c); err != nil {
		return o, err
	}
	if c.IsSet("paths") {
		// Its range is the job's lanes at most (--lanes is checked).
		if err := paths.Check("paths", o.Paths, p); err != nil {
			return o, typedValue(c, "paths", err)
		}
	}
	o.Fast = strings.TrimSpace(c.String("math")) == sim.MathFast
	if save := c.String("save"); save != "" {
		// The part file is written after the run too: its room is
		// checked with the other outputs', at its largest, less the
		// device's name, counted once the engine is open (checkRan).
		o.sharded = c.IsSet("shard")
		ran := engine // the engine that runs: at most the longest name
		for _, name := range engines.Names() {
			if len(name) > len(ran) {
				ran = name
			}
		}
		o.Bounded = []runfiles.Bounded{{Path: runfiles.Path{Flag: "save", Path: save}, Most: shard.MaxSize(p, o.sharded, o.daily, ran, engine, "")}}
	}
	// So are the charts and the HTML page, at their largest: a PNG's
	// pixels bound it, an SVG's points (plots.MaxFinalSVGSize), the
	// page's its charts'.
	for _, f := range []struct {
		runfiles.Path
		svg uint64
	}{{runfiles.Path{Flag: "plot", Path: o.Plot}, plots.MaxFinalSVGSize()}, {runfiles.Path{Flag: "plot-daily", Path: o.PlotDaily}, plots.MaxDailySVGSize(p.Steps)}} {
		switch strings.ToLower(filepath.Ext(f.Path.Path)) {
		case ".png":
			o.Bounded = append(o.Bounded, runfiles.Bounded{Path: f.Path, Most: plots.MaxPNGSize(plots.Height)})
		case ".svg":
			o.Bounded = append(o.Bounded, runfiles.Bounded{Path: f.Path, Most: f.svg})
		}
	}
	if o.html != "" {
		// Less what it names of the engine, known once that is open
		// (checkRan).
		// And the files its text report names (report.NamesMost).
		o.names = nil
		for _, f := range o.files() {
			o.names = append(o.names, f.Path)
		}
		o.names = append(o.names, c.String("save"))
		o.Bounded = append(o.Bounded, runfiles.Bounded{Path: runfiles.Path{Flag: "html", Path: o.html}, Most: report.MaxHTMLSize(o.daily, p.Steps, nil) + report.NamesMost(o.names)})
	}
	// Their room is the plan's, checked after every flag (Result.Room).
	return o, nil
}

// checkCombined checks the output flags together and against the job p,
// after each flag's own check (parseOutputs): --daily=false against the
// flags that imply it, the per-step statistics' steps, --paths and
// --paths-out given together, and the outputs' fit to the job
// (runfiles.Result.Fit).
func (o outputs) checkCombined(c *cli.Context, p sim.Params) error {
	// --daily=false beside a flag that implies --daily: the per-day table
	// was computed and written without a word.
	if c.IsSet("daily") && !c.Bool("daily") {
		for _, f := range []string{"daily-out", "plot-daily"} {
			if c.String(f) != "" {
				return &sim.ParamError{Flag: "daily", Msg: fmt.Sprintf("false contradicts --%s, which implies --daily (give one of them)", f)}
			}
		}
	}
	if o.daily && p.Steps > sim.MaxDailySteps {
		return &sim.ParamError{Flag: o.dailyFlag, Msg: fmt.Sprintf("--steps %d is too many to keep per-step statistics (valid range 0..%d steps with --%s)", p.Steps, sim.MaxDailySteps, o.dailyFlag)}
	}
	switch {
	case c.IsSet("paths") && o.PathsOut == "":
		return paramErr("paths", "needs --paths-out FILE (.npy, .csv or .f32) to write the trajectories to")
	case o.PathsOut != "" && !c.IsSet("paths"):
		return paramErr("paths-out", "needs --paths K, the number of lanes whose trajectories to write")
	}
	return o.Result.Fit(p)
}

// checkRan counts the room of the --html page and the --save part again
// once the engine eng is open, with what they name of it (report.Ran: the
// engine, requested as --engine gave it, its device at its longest,
// engines.DeviceLabel, and auto's reason from choice; the part, the
// engine, requested and the device), and refuses, before the job runs,
// the outputs that do not fit then, as parseOutputs refuses those that do
// not fit before (a *sim.ParamError, exit 2, naming the files, what they
// may need and what is free). The page counted 12 KiB for a device's name
// whatever the engine, and a 64 kB disk refused --plot, --plot-daily and
// --html together, 53 kB written; the part counted 1 KiB, below a Multi's
// label of many devices or a name JSON escapes.
func (o *outputs) checkRan(p sim.Params, eng sim.Engine, requested string, choice *engines.Choice) error {
	ran := report.Ran{Engine: eng.Name(), Requested: requested, Device: engines.DeviceLabel(eng)}
	if choice != nil {
		ran.Reason = choice.Reason
	}
	checked := false
	for i, b := range o.Bounded {
		switch b.Flag {
		case "html":
			o.Bounded[i].Most = report.MaxHTMLSize(o.daily, p.Steps, &ran) + report.NamesMost(o.names)
		case "save":
			o.Bounded[i].Most = shard.MaxSize(p, o.sharded, o.daily, ran.Engine, requested, ran.Device)
		default:
			continue
		}
		checked = true
	}
	if !checked {
		return nil
	}
	return o.Result.CheckDisk(p)
}

// dashName is the refusal of output flag f given "-", standard output's
// usual name, in the words of every refused value: `invalid value "-":
// want a file name such as finals.npy, not stdout, which takes the report
// (valid: .npy, .csv, .f32)`. It read as a file name with no extension,
// then `needs a file name, got "-"`, in no other refusal's shape.
func dashName(f string) error {
	w := outputWant[f]
	return dashValue(f, w[0], w[1])
}

// dashValue is dashName for a flag that wants what (valid: valid, or ""
// for none): bench's --plot, a folder, wants "a folder name such as
// charts".
func dashValue(f, what, valid string) error {
	return blankValue(f, "-", what+", not stdout, which takes the report", valid)
}

// checkHTMLName refuses an --html path (run's or bench's) whose extension
// is not .html or .htm, naming both, as every file flag names the
// extensions it takes.
func checkHTMLName(path string) error {
	switch ext := filepath.Ext(path); {
	case path == "":
		return nil
	case path == "-":
		return dashName("html")
	case ext == "":
		return paramErr("html", "%q has no extension (valid: .html, .htm)", path)
	case !strings.EqualFold(ext, ".html") && !strings.EqualFold(ext, ".htm"):
		return paramErr("html", "unknown extension %q (valid: .html, .htm)", ext)
	}
	return nil
}

// outputWant is what each output flag of run and bench takes, a name for
// example and the names it takes, for the refusal of an empty or blank
// one, which gave no valid form.
var outputWant = map[string][2]string{
	"out": {"a file name such as finals.npy", ".npy, .csv, .f32"}, "paths-out": {"a file name such as paths.npy", ".npy, .csv, .f32"},
	"daily-out": {"a file name such as daily.csv", ".csv"}, "plot": {"a file name such as final.png", ".png, .svg"},
	"plot-daily": {"a file name such as daily.png", ".png, .svg"}, "save": {"a file name such as part-0.json", ".json"},
	"html":       {"a file name such as report.html", ".html, .htm"},
	"update-doc": {"a file name such as docs/benchmarks.md", "a Markdown file with one <!-- bench:begin --> line followed by one <!-- bench:end --> line"},
}

// blankOutput is the refusal of output flag f given typed, empty or only
// whitespace: `invalid value "": want a file name such as finals.npy
// (valid: .npy, .csv, .f32)`; a blank name read `" " begins with
// whitespace` and an empty one `needs a file name, got ""`.
func blankOutput(f, typed string) error {
	w := outputWant[f]
	return blankValue(f, typed, w[0], w[1])
}

// outputPaths are the flags that name an output file of run.
var outputPaths = []string{"out", "paths-out", "daily-out", "plot", "plot-daily", "save", "html"}

// checkOutputNames refuses, before anything else of the output flags, one
// given an empty file name, a name with a control or format character or
// a file or folder name that begins or ends with whitespace
// (runfiles.CheckName).
func checkOutputNames(c *cli.Context) error {
	for _, f := range outputPaths {
		if c.IsSet(f) && isBlank(c.String(f)) {
			return blankOutput(f, c.String(f))
		}
		if c.String(f) == "-" {
			return dashName(f)
		}
		if err := runfiles.CheckName(runfiles.Path{Flag: f, Path: c.String(f)}); err != nil {
			return err
		}
	}
	return nil
}

// checkStems refuses an output flag given a name that is only an extension
// (runfiles.CheckStem), after the flags' extensions are checked.
func checkStems(c *cli.Context) error {
	for _, f := range outputPaths {
		if err := runfiles.CheckStem(runfiles.Path{Flag: f, Path: c.String(f)}); err != nil {
			return err
		}
	}
	return nil
}

// checkNames refuses two flags naming the same file, however spelled: through
// a symbolic link to it or to a folder on its path, or through a bind mount
// (sameFile); a file that is where stdout or stderr goes (isStdio); and a
// symbolic link to a file whose extension names another format than the
// one the flag's name chose (runfiles.CheckLinkFormat).
func checkNames(c *cli.Context, files []outFile) error {
	for i, f := range files {
		if err := runfiles.CheckLinkFormat(f); err != nil {
			return err
		}
		for _, g := range files[:i] {
			if sameFile(f.Path, g.Path) {
				return paramErr(f.Flag, "%q is also the file of --%s", f.Path, g.Flag)
			}
		}
		if err := checkStdio(c, f.Flag, f.Path); err != nil {
			return err
		}
	}
	return nil
}

// checkStdio refuses path, the file of --flag, where stdout or stderr goes
// (isStdio).
func checkStdio(c *cli.Context, flag, path string) error {
	if std := isStdio(path, c.App.Writer, c.App.ErrWriter); std != "" {
		err := paramErr(flag, "%q is also the file %s goes to: it would replace that file, and what was written there would be lost (redirect %s elsewhere)", path, std, std)
		if std == "stderr" {
			// Said on stdout: on stderr it was appended to the file, a
			// part an earlier run saved among them.
			err = stderrInFile([]string{path}, err)
		}
		return err
	}
	return nil
}

// isStdio names the stream, "stdout" or "stderr", that writes to the
// existing file path (a redirection to it, run --save r.json > r.json, or a
// link to /proc/self/fd/1), or is "". The output's rename replaced that file
// after the run, and the report, written to the file's old inode, was lost
// without a word, with exit status 0.
func isStdio(path string, stdout, stderr io.Writer) string {
	fi, err := os.Stat(atomicfile.Target(path))
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	for _, s := range []struct {
		name string
		w    io.Writer
	}{{"stdout", stdout}, {"stderr", stderr}} {
		if t, ok := s.w.(*trackedWriter); ok {
			s.w = t.w
		}
		if f, ok := s.w.(*os.File); ok {
			if sfi, err := f.Stat(); err == nil && os.SameFile(fi, sfi) {
				return s.name
			}
		}
	}
	return ""
}

// sameFile says whether writing a and writing b replace one file: their
// targets (atomicfile.Target: the links on the path followed, a dangling
// last one too) have one name in one folder, the folders compared as files
// (os.SameFile), so that two spellings, links and bind mounts of a folder
// all count; or they are one existing file by two names (os.SameFile).
// Names that differ in case alone (f.NPY, f.npy) are one where the folder's
// file system folds case (macOS's and Windows' by default, a casefold
// folder on Linux: foldsCase): both were renamed onto one file there, the
// report naming two.
func sameFile(a, b string) bool {
	ta, tb := atomicfile.Target(a), atomicfile.Target(b)
	if fa, err := os.Stat(ta); err == nil {
		if fb, err := os.Stat(tb); err == nil && os.SameFile(fa, fb) {
			return true // one file by two names: a file bind-mounted over another, a hard link
		}
	}
	na, nb := filepath.Base(ta), filepath.Base(tb)
	if na != nb && !strings.EqualFold(na, nb) {
		return false
	}
	da, errA := os.Stat(filepath.Dir(ta))
	db, errB := os.Stat(filepath.Dir(tb))
	if errA != nil || errB != nil {
		aa, _ := filepath.Abs(ta)
		ab, _ := filepath.Abs(tb)
		return aa == ab
	}
	return os.SameFile(da, db) && (na == nb || foldsCase(filepath.Dir(ta)))
}

// foldsCase says whether the file system of the folder dir takes names that
// differ in case alone for one file: it makes a file there and looks for it
// by its name in upper case. Where it cannot make one, it says so of macOS
// and Windows, whose file systems fold case by default.
var foldsCase = func(dir string) bool {
	f, err := os.CreateTemp(dir, ".gpusim-case-*")
	if err != nil {
		return runtime.GOOS == "darwin" || runtime.GOOS == "windows"
	}
	name := f.Name()
	f.Close()
	defer os.Remove(name)
	_, err = os.Lstat(filepath.Join(dir, strings.ToUpper(filepath.Base(name))))
	return err == nil
}

// createOutputs creates the temporary file of each of files before the
// run; a file that cannot be written is bad input for its flag.
func createOutputs(files []outFile) (runfiles.Files, error) {
	fs, err := runfiles.Create(files)
	var ce *runfiles.CreateError
	if errors.As(err, &ce) {
		return nil, paramErr(ce.Flag, "%v", ce)
	}
	return fs, err
}

// folderError is createOutputs' refusal of files whose folder is not
// there or not a folder (runfiles.CheckFolders), found with os.Stat alone
// for argsRefused's pass, which opens no file; nil where each is there.
func folderError(files []outFile) error {
	var ce *runfiles.CreateError
	if err := runfiles.CheckFolders(files); errors.As(err, &ce) {
		return paramErr(ce.Flag, "%v", ce)
	}
	return nil
}

// describe records the files written and, with --daily, the per-day table
// in the report.
func (o outputs) describe(r *report.Report, days []daily.Day) {
	r.Out, r.DailyOut, r.PathsOut, r.Plot, r.PlotDaily = o.Out, o.DailyOut, o.PathsOut, o.Plot, o.PlotDaily
	if o.PathsOut != "" {
		r.Paths = o.Paths
	}
	if o.daily {
		r.SetDaily(days)
	}
}

// outFile is an output file and the flag that names it.
type outFile = runfiles.Path

// files lists the files o writes, in the order they are written.
func (o outputs) files() []outFile {
	var fs []outFile
	for _, f := range []outFile{{Flag: "out", Path: o.Out}, {Flag: "paths-out", Path: o.PathsOut}, {Flag: "daily-out", Path: o.DailyOut}, {Flag: "plot", Path: o.Plot}, {Flag: "plot-daily", Path: o.PlotDaily}, {Flag: "html", Path: o.html}} {
		if f.Path != "" {
			fs = append(fs, f)
		}
	}
	return fs
}
