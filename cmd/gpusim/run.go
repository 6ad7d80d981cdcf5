package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/internal/outfile"
	"github.com/gpusim/gpusim/internal/paths"
	"github.com/gpusim/gpusim/sim"
)

// maxOutLanes bounds --out, whose finals are held in memory (4 bytes a lane).
const maxOutLanes = 1 << 32

func runCommand() *cli.Command {
	d := sim.Default()
	cmd := &cli.Command{
		Name:      "run",
		Usage:     "run one job and print a summary of the final temperatures",
		UsageText: "gpusim run [--lanes N] [--steps N] [--backend NAME] [--format text|json] [--out FILE] [flags]",
		Description: "Each lane starts at --start and takes --steps steps of\n" +
			"   t' = Normal(anchor + persistence * (t - anchor), sigma)\n" +
			"A lane's final temperature depends only on --seed, its lane number and the model,\n" +
			"so every backend prints the same digest for the same job.\n\n" +
			"Backends:" + backendHelp(),
		Flags: append([]cli.Flag{
			&cli.GenericFlag{Name: "lanes", Value: &countValue{d.Lanes}, Usage: "`N` independent runs, written 5000000, 5_000_000, 5e6 or 2^28"},
			&cli.IntFlag{Name: "steps", Value: d.Steps, Usage: "`N` days each lane is stepped"},
			&cli.Float64Flag{Name: "start", Value: d.Start, Usage: "temperature `T` every lane starts from"},
			&cli.Float64Flag{Name: "anchor", Value: d.Anchor, Usage: "long-run mean `T` the temperature reverts to"},
			&cli.Float64Flag{Name: "persistence", Value: d.Persistence, Usage: "weight `P` of yesterday's deviation from the anchor"},
			&cli.Float64Flag{Name: "sigma", Value: d.Sigma, Usage: "standard deviation `SD` of each day's noise"},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "the random stream's key `N`"},
			shardFlag(), saveFlag(),
			&cli.StringFlag{Name: "backend", Value: "auto", Usage: "engine `NAME`: " + backendNames()},
			&cli.IntFlag{Name: "workers", Value: 0, DefaultText: "0, all cores", Usage: "`N` goroutines for the parallel and simd backends"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "report `FORMAT`: text or json"},
			&cli.StringFlag{Name: "out", Usage: "write the final temperatures in lane order to `FILE` (.npy, .csv or .f32)"},
		}, openCLFlags()...),
		Action: runAction,
	}
	cmd.Flags = append(cmd.Flags, outputFlags()...)
	cmd.Flags = append(cmd.Flags,
		&cli.DurationFlag{Name: "timeout", DefaultText: "0, none", Usage: "stop the run after `DURATION` (such as 30s or 5m) and exit 124"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "draw no progress bar on a terminal"},
		htmlFlag("the summary, histogram and, with --daily, fan chart"),
	)
	return cmd
}

func runAction(c *cli.Context) error {
	if c.Args().Present() {
		return &usageError{msg: fmt.Sprintf("run takes no arguments, got %q", c.Args().First()), hint: "flags take two dashes, e.g. --lanes 1000"}
	}
	p := sim.Params{
		Lanes:       c.Generic("lanes").(*countValue).n,
		Steps:       c.Int("steps"),
		Start:       c.Float64("start"),
		Anchor:      c.Float64("anchor"),
		Persistence: c.Float64("persistence"),
		Sigma:       c.Float64("sigma"),
		Seed:        c.Uint64("seed"),
	}
	if err := p.Validate(); err != nil {
		return err
	}
	opts := engineOptions{Workers: c.Int("workers")}
	if opts.Workers < 0 {
		return &sim.ParamError{Flag: "workers", Msg: fmt.Sprintf("must be at least 0 (0 means all cores), got %d", opts.Workers)}
	}
	format := c.String("format")
	if format != "text" && format != "json" {
		return &sim.ParamError{Flag: "format", Msg: fmt.Sprintf("unknown format %q (valid: text, json)", format)}
	}
	o, err := parseOutputs(c, p)
	if err != nil {
		return err
	}
	sr, err := newShardRun(c, p) // --shard, --save
	if err != nil {
		return err
	}
	if err := checkHTML(c.String("html")); err != nil {
		return err
	}
	timeout := c.Duration("timeout")
	if timeout < 0 {
		return &sim.ParamError{Flag: "timeout", Msg: fmt.Sprintf("must be at least 0 (0 means no limit), got %v", timeout)}
	}
	ctx := c.Context
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, &timeoutError{timeout})
		defer cancel()
	}
	if err := openCLOptions(c, &opts); err != nil {
		return err
	}
	opts.Note = func(s string) { fmt.Fprintf(c.App.ErrWriter, "gpusim: note: %s\n", s) }
	opts.Params = p
	backend := c.String("backend")
	if c.IsSet("device") {
		switch {
		case !c.IsSet("backend"):
			backend = "opencl"
		case backend != "opencl":
			return &sim.ParamError{Flag: "device", Msg: fmt.Sprintf("only the opencl backend takes a device, not %q", backend)}
		}
	}
	eng, err := newEngine(backend, opts)
	if err != nil {
		var ie *gpu.DeviceIndexError
		if errors.As(err, &ie) {
			return &sim.ParamError{Flag: "device", Msg: ie.Error()}
		}
		return fmt.Errorf("start %s: %w", backend, err)
	}
	defer sim.Close(eng)

	job := &sim.Job{Params: p, KeepFinals: o.out != "", Daily: o.daily}
	bar := startProgress(c.App.ErrWriter, c.Bool("quiet"), sr.lanes(p), p.Steps)
	if bar != nil {
		job.Progress = bar.Add
	}
	res, err := sr.run(ctx, eng, job)
	if bar != nil {
		bar.Stop()
	}
	if err != nil {
		var pe *sim.ParamError
		if errors.As(err, &pe) {
			return err
		}
		if ctx.Err() != nil {
			// The cause says why: a signal, --timeout or the caller's context.
			return fmt.Errorf("%s run cancelled: %w", eng.Name(), context.Cause(ctx))
		}
		return fmt.Errorf("%s run: %w", eng.Name(), err)
	}
	var days []daily.Day
	if o.daily {
		if len(res.Daily) != p.Steps {
			return fmt.Errorf("%s run: %d per-step summaries for %d steps", eng.Name(), len(res.Daily), p.Steps)
		}
		days = daily.Table(p, res.Daily)
	}
	var trajectories []float32
	if o.pathsOut != "" {
		// On the host, from the reference: the same on every engine.
		if trajectories, err = paths.Compute(ctx, p, int(o.paths)); err != nil {
			return fmt.Errorf("--paths: %w", err)
		}
	}
	if err := writeOutputs(ctx, o, res, days, trajectories); err != nil {
		return err
	}
	if err := sr.saveResult(res); err != nil {
		return err
	}
	r := newReport(res, backend, o.out)
	r.addOutputs(o, days)
	sr.describe(r, res)
	if h := c.String("html"); h != "" {
		if err := writeHTML(h, func(w io.Writer) error { return runHTML(w, r, res) }); err != nil {
			return err
		}
	}
	if format == "json" {
		return r.writeJSON(c.App.Writer)
	}
	return r.writeText(c.App.Writer)
}

// checkOut refuses an --out that cannot be written before the run, not after.
func checkOut(out string, p sim.Params) error {
	if _, err := outfile.FormatOf(out); err != nil {
		return &sim.ParamError{Flag: "out", Msg: err.Error()}
	}
	if p.Lanes > maxOutLanes {
		return &sim.ParamError{Flag: "out", Msg: fmt.Sprintf("%d lanes are too many to keep in memory (valid range 1..%d lanes with --out)", p.Lanes, uint64(maxOutLanes))}
	}
	dir := filepath.Dir(out)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return &sim.ParamError{Flag: "out", Msg: fmt.Sprintf("directory %q does not exist", dir)}
	}
	return nil
}
