package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/internal/report"
	"github.com/gpusim/gpusim/internal/runfiles"
	"github.com/gpusim/gpusim/shard"
	"github.com/gpusim/gpusim/sim"
)

// run's --shard and --save (docs/cluster.md). Each app gets its own flags:
// urfave/cli records parse state in them.
func shardFlag() cli.Flag {
	return &cli.StringFlag{Name: "shard", Usage: "run only shard `i/N` of the job's lanes (0 <= i < N, N 1..2^64-1); auto and auto/N take the index from a Slurm array, a Kubernetes Indexed Job or GPUSIM_SHARD_INDEX"}
}

func saveFlag() cli.Flag {
	return &cli.StringFlag{Name: "save", TakesFile: true, Usage: "save the result as a part `FILE` (.json) for gpusim merge"}
}

// shardRun is what --shard and --save ask of a run. The zero value runs the
// whole job and saves nothing.
type shardRun struct {
	shard *shard.Shard // nil: the whole job
	save  string       // the part file, or ""
	// unused is a note on the environment's shard variables, or "":
	// shard.UnusedIndex's where --shard is not given in an array task,
	// shard.Overridden's where --shard i/N says another shard than they.
	unused string
}

// shardConflicts refuses the outputs --shard rules out. It comes after
// each flag's own check and before the outputs' fit to the job: a large
// job's --out said it had too many lanes to keep in memory rather than
// that a shard cannot write it. A shard of one (--shard 0/1, or auto in
// an array of one task) is the whole job, whose --out and --paths are a
// single run's: they were refused, saying --out writes every lane of the
// job, which that shard has.
func shardConflicts(c *cli.Context, s *shard.Shard) error {
	if !c.IsSet("shard") || (s != nil && s.Count == 1) {
		return nil
	}
	if c.String("out") != "" {
		return &sim.ParamError{Flag: "out", Msg: "cannot be combined with --shard (--out writes every lane of the job; save the shard with --save and merge the parts)"}
	}
	if c.IsSet("paths") {
		// Every task of an array would write the same lanes, most of
		// them outside its shard.
		return &sim.ParamError{Flag: "paths", Msg: "cannot be combined with --shard (--paths writes the job's first K lanes, whatever the shard; write them from one run without --shard)"}
	}
	return nil
}

// newShardRun reads --shard and --save and checks them, and what they rule
// out, before anything runs.
func newShardRun(c *cli.Context, p sim.Params) (*shardRun, error) {
	sr := &shardRun{save: c.String("save")}
	if c.IsSet("shard") {
		s, err := shard.Parse(c.String("shard"), os.Getenv)
		if err != nil {
			return nil, err
		}
		sr.shard = &s
		if !strings.HasPrefix(strings.TrimSpace(c.String("shard")), "auto") {
			sr.unused = shard.Overridden(s, os.Getenv)
		}
	} else {
		sr.unused = shard.UnusedIndex(os.Getenv)
	}
	// Its name first, as every output flag's (checkOutputNames): "p.json "
	// read as an extension ".json ", not JSON; a blank one as an empty one
	// (a tab read as a control character).
	if c.IsSet("save") && isBlank(sr.save) {
		return nil, blankOutput("save", sr.save)
	}
	if err := runfiles.CheckName(runfiles.Path{Flag: "save", Path: sr.save}); err != nil {
		return nil, err
	}
	if sr.save == "-" {
		return nil, dashName("save")
	}
	if sr.save != "" && !strings.EqualFold(filepath.Ext(sr.save), ".json") { // as --out's .NPY
		return nil, paramErr("save", "%q is not a .json file (a part file is JSON: --save part-0.json)", sr.save)
	}
	return sr, nil
}

// run runs job on e: all of it, or the shard's lanes.
func (sr *shardRun) run(ctx context.Context, e sim.Engine, job *sim.Job) (*sim.Result, error) {
	if sr.shard == nil {
		return e.Run(ctx, job)
	}
	return shard.Run(ctx, e, job, *sr.shard)
}

// saveResult writes the --save part file into fs, if one was asked for,
// recording requested, the --engine given (auto, say, where res.Engine is
// what auto chose), so that the merge reports it as this run's report does;
// a part that fails is left out of the report.
func (sr *shardRun) saveResult(ctx context.Context, fs runfiles.Files, res *sim.Result, requested string) error {
	if sr.save == "" {
		return nil
	}
	part := shard.NewPart(res)
	part.Shard, part.Requested = sr.shard, requested
	err := fs.Write(ctx, "save", func(w io.Writer) error { _, err := part.WriteTo(w); return err })
	if err != nil {
		sr.save = ""
	}
	return err
}

// describe adds the shard and the part file to the run's report.
func (sr *shardRun) describe(r *report.Report, res *sim.Result) {
	r.Save = sr.save
	if sr.shard == nil {
		return
	}
	first, count := res.First, res.Summary.Count
	r.Shard, r.First, r.Count = sr.shard.String(), &first, &count
}

// lanes is how many lanes the run computes: the shard's, or the whole job's.
func (sr *shardRun) lanes(p sim.Params) uint64 {
	if sr.shard == nil {
		return p.Lanes
	}
	_, n := sr.shard.Range(p.Lanes)
	return n
}
