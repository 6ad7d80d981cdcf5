package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/internal/outfile"
	"github.com/gpusim/gpusim/internal/paths"
	"github.com/gpusim/gpusim/internal/plots"
	"github.com/gpusim/gpusim/internal/report"
	"github.com/gpusim/gpusim/internal/runfiles"
	"github.com/gpusim/gpusim/sim"
)

// outputs is what a run writes and records besides its summary.
type outputs struct {
	out       string // --out: the finals
	daily     bool   // per-day statistics, asked for by dailyFlag
	dailyFlag string // --daily, or --daily-out or --plot-daily, which imply it
	dailyOut  string // --daily-out: the per-day table as CSV
	paths     uint64 // --paths: trajectories of lanes 0..paths-1 ...
	pathsOut  string // ... written to --paths-out
	plot      string // --plot: histogram of the finals
	plotDaily string // --plot-daily: fan chart of the per-day quantiles
	html      string // --html: the report as an HTML page
}

// outputFlags are the run flags for outputs.
func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "daily", Usage: "report each step's count, mean, std and quantiles across lanes"},
		&cli.StringFlag{Name: "daily-out", Usage: "write the per-step table to `FILE`.csv (implies --daily)"},
		&cli.GenericFlag{Name: "paths", Value: &countValue{0, 0, math.MaxUint64}, DefaultText: "none", Usage: fmt.Sprintf("write the whole trajectories of the first `K` lanes (1..%d) to --paths-out", paths.MaxLanes)},
		&cli.StringFlag{Name: "paths-out", Usage: "`FILE` for --paths: a K x steps float32 array (.npy, .csv or .f32)"},
		&cli.StringFlag{Name: "plot", Usage: "draw the histogram of final temperatures with the exact density to `FILE` (.png or .svg)"},
		&cli.StringFlag{Name: "plot-daily", Usage: "draw a fan chart of the per-step quantiles to `FILE` (.png or .svg; implies --daily)"},
	}
}

// parseOutputs reads and checks the output flags of p's run, so a file that
// cannot be written is refused before the run rather than after it.
func parseOutputs(c *cli.Context, p sim.Params) (outputs, error) {
	o := outputs{
		out:       c.String("out"),
		dailyOut:  c.String("daily-out"),
		paths:     getCount(c, "paths"),
		pathsOut:  c.String("paths-out"),
		plot:      c.String("plot"),
		plotDaily: c.String("plot-daily"),
		html:      c.String("html"),
	}
	// The flag that asks for per-day statistics, for messages: the first of
	// those given.
	for _, f := range []struct {
		name string
		on   bool
	}{{"daily", c.Bool("daily")}, {"daily-out", o.dailyOut != ""}, {"plot-daily", o.plotDaily != ""}} {
		if f.on && !o.daily {
			o.daily, o.dailyFlag = true, f.name
		}
	}
	if o.daily && p.Steps > sim.MaxDailySteps {
		return o, &sim.ParamError{Flag: o.dailyFlag, Msg: fmt.Sprintf("--steps %d is too many to keep per-step statistics (valid range 0..%d steps with --%s)", p.Steps, sim.MaxDailySteps, o.dailyFlag)}
	}
	if o.out != "" {
		if err := checkOut(o.out, p); err != nil {
			return o, err
		}
	}
	if o.dailyOut != "" {
		if ext := strings.ToLower(filepath.Ext(o.dailyOut)); ext != ".csv" {
			msg := fmt.Sprintf("unknown extension %q (valid: .csv)", ext)
			if ext == "" {
				msg = fmt.Sprintf("%q has no extension (valid: .csv)", o.dailyOut)
			}
			return o, &sim.ParamError{Flag: "daily-out", Msg: msg}
		}
	}
	switch {
	case c.IsSet("paths") && o.pathsOut == "":
		return o, &sim.ParamError{Flag: "paths", Msg: "needs --paths-out FILE (.npy, .csv or .f32) to write the trajectories to"}
	case o.pathsOut != "" && !c.IsSet("paths"):
		return o, &sim.ParamError{Flag: "paths-out", Msg: "needs --paths K, the number of lanes whose trajectories to write"}
	case o.pathsOut != "":
		if err := paths.Check("paths", o.paths, p); err != nil {
			return o, err
		}
		if _, err := outfile.FormatOf(o.pathsOut); err != nil {
			return o, &sim.ParamError{Flag: "paths-out", Msg: err.Error()}
		}
	}
	for _, f := range []outFile{{Flag: "plot", Path: o.plot}, {Flag: "plot-daily", Path: o.plotDaily}} {
		if f.Path == "" {
			continue
		}
		if err := plots.CheckPath(f.Path); err != nil {
			return o, &sim.ParamError{Flag: f.Flag, Msg: err.Error()}
		}
	}
	if ext := strings.ToLower(filepath.Ext(o.html)); o.html != "" && ext != ".html" && ext != ".htm" {
		return o, paramErr("html", "%q is not an .html file", o.html)
	}
	return o, nil
}

// outputPaths are the flags that name an output file of run.
var outputPaths = []string{"out", "paths-out", "daily-out", "plot", "plot-daily", "save", "html"}

// checkNames refuses an output flag given an empty file name and two flags
// naming the same file.
func checkNames(c *cli.Context, files []outFile) error {
	for _, f := range outputPaths {
		if c.IsSet(f) && c.String(f) == "" {
			return paramErr(f, "needs a file name, got \"\"")
		}
	}
	seen := map[string]string{}
	for _, f := range files {
		abs, err := filepath.Abs(f.Path)
		if err != nil {
			abs = f.Path
		}
		if other, ok := seen[abs]; ok {
			return paramErr(f.Flag, "%q is also the file of --%s", f.Path, other)
		}
		seen[abs] = f.Flag
	}
	return nil
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

// maxOutLanes bounds --out, whose finals are held in memory (4 bytes a lane).
const maxOutLanes = 1 << 32

// checkOut refuses an --out that cannot be written before the run, not after.
func checkOut(out string, p sim.Params) error {
	if _, err := outfile.FormatOf(out); err != nil {
		return &sim.ParamError{Flag: "out", Msg: err.Error()}
	}
	if p.Lanes > maxOutLanes {
		return &sim.ParamError{Flag: "out", Msg: fmt.Sprintf("%d lanes are too many to keep in memory (valid range 1..%d lanes with --out)", p.Lanes, uint64(maxOutLanes))}
	}
	return nil
}

// describe records the files written and, with --daily, the per-day table
// in the report.
func (o outputs) describe(r *report.Report, days []daily.Day) {
	r.Out, r.DailyOut, r.PathsOut, r.Plot, r.PlotDaily = o.out, o.dailyOut, o.pathsOut, o.plot, o.plotDaily
	if o.pathsOut != "" {
		r.Paths = o.paths
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
	for _, f := range []outFile{{Flag: "out", Path: o.out}, {Flag: "paths-out", Path: o.pathsOut}, {Flag: "daily-out", Path: o.dailyOut}, {Flag: "plot", Path: o.plot}, {Flag: "plot-daily", Path: o.plotDaily}, {Flag: "html", Path: o.html}} {
		if f.Path != "" {
			fs = append(fs, f)
		}
	}
	return fs
}

// writeOutputs writes every file o asks for into fs. A file that fails is
// left out of the returned outputs (so the report does not name it) and its
// error joined into err; the others are still written.
func writeOutputs(ctx context.Context, fs runfiles.Files, o outputs, res *sim.Result, days []daily.Day, trajectories []float32) (outputs, error) {
	p := res.Params
	var errs []error
	try := func(flag string, name *string, write func(io.Writer) error) {
		if err := fs.Write(ctx, flag, write); err != nil {
			errs = append(errs, err)
			*name = ""
		}
	}
	if o.out != "" {
		f, _ := outfile.FormatOf(o.out) // checked before the run
		try("out", &o.out, func(w io.Writer) error { return f.Write(w, []string{"lane", "temperature"}, res.Finals) })
	}
	if o.pathsOut != "" {
		f, _ := outfile.FormatOf(o.pathsOut)
		header := make([]string, p.Steps+1)
		header[0] = "lane"
		for s := 1; s <= p.Steps; s++ {
			header[s] = fmt.Sprintf("step%d", s)
		}
		try("paths-out", &o.pathsOut, func(w io.Writer) error { return f.Write(w, header, trajectories, int(o.paths), p.Steps) })
	}
	if o.dailyOut != "" {
		try("daily-out", &o.dailyOut, func(w io.Writer) error { return daily.WriteCSV(w, days) })
	}
	if o.plot != "" {
		try("plot", &o.plot, func(w io.Writer) error {
			pl, err := plots.Final(p, res.Summary)
			if err != nil {
				return err
			}
			return plots.Encode(pl, w, o.plot)
		})
	}
	if o.plotDaily != "" {
		try("plot-daily", &o.plotDaily, func(w io.Writer) error {
			pl, err := plots.Daily(p, days)
			if err != nil {
				return err
			}
			return plots.Encode(pl, w, o.plotDaily)
		})
	}
	return o, errors.Join(errs...)
}
