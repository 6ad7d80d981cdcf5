package bench

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
)

// Snapshot gives the partial report of a benchmark a stop cut, as Run
// would return it, to a caller that cannot wait for Run: an engine that
// ignores the stop keeps Run from returning, and the process's forced
// exit after the stop's grace (interrupt.ExitLater) ended it with every
// finished measurement lost. Set Config.Snapshot to one before Run; its
// Report may be called from any goroutine, while Run runs or after.
type Snapshot struct {
	mu   sync.Mutex
	take func() *Report // the running benchmark's (runner.snapshot), or nil
}

// Report is the partial report of the rows that had finished when the
// benchmark was stopped (Run's ctx done), each complete, with Interrupted
// set as Run sets it and the load of the table it stopped in to now; the
// rows of a stage still running when the stop came stand as a stop leaves
// them (Run), but the Python versions that ended before it are not in it.
// It is nil where the benchmark was not stopped, no row had finished, or
// Run has returned (its caller has its report). It waits while Run works
// between the engines' calls, whose state it reads, never during one.
func (s *Snapshot) Report() *Report {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	take := s.take
	s.mu.Unlock()
	if take == nil {
		return nil
	}
	return take()
}

// set makes take the source of s's reports (nil: none).
func (s *Snapshot) set(take func() *Report) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.take = take
	s.mu.Unlock()
}

// snapshot is the partial report of rep, the report of a benchmark ctx
// stopped, as it stands: a copy, with the complete rows of the table
// being measured (runner.inFlight) and that table's load to now, ended as
// interrupted ends it. nil before the stop, outside the stages, after Run
// has returned, or where no row has finished.
func (r *runner) snapshot(ctx context.Context, rep *Report, engines []EngineSpec) *Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || r.stage == "" || ctx.Err() == nil {
		return nil
	}
	return r.partial(rep, engines, Interruption{Signal: context.Cause(ctx).Error()})
}

// partial is the partial report of rep as it stands, a copy, ended as cut
// ends it with in (snapshot's stop, crashPoint's crash), under r.mu; nil
// where no row has finished.
func (r *runner) partial(rep *Report, engines []EngineSpec, in Interruption) *Report {
	c, err := rep.clone()
	if err != nil {
		return nil
	}
	if r.inFlight != nil {
		r.inFlight(c)
	}
	if at := r.loadAt; at.ok {
		if b, ok := readCPU(); ok {
			r.addLoad(c, at.table, at.a, b)
		}
	}
	return r.cut(c, r.stage, engines, in)
}

// crashPoint gives cfg.CrashReport the partial report a crash from here
// on would leave (the rows that have finished, Interruption.Crash set),
// or nil where none has: Run calls it, under r.mu, outside the timed
// runs, before each measurement's engine starts (releasing "") and, where
// the measurement is kept before its engine's release (measure's keep),
// after its timed runs, releasing then naming it ("opencl:0 on 1k x 10":
// Interruption.Releasing). Nothing where CrashReport is unset.
func (r *runner) crashPoint(releasing string) {
	if r.cfg.CrashReport == nil || r.crashRep == nil {
		return
	}
	r.cfg.CrashReport(r.partial(r.crashRep, r.crashEngines, Interruption{Signal: "crashed", Crash: r.cfg.CrashOf, Releasing: releasing}))
}

// clone is a copy of r that shares nothing with it, through its JSON,
// which holds every field the formats write.
func (r *Report) clone() (*Report, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	c := new(Report)
	return c, json.Unmarshal(b, c)
}

// cloneSweep is a copy of sw that shares no slice with it (nil for nil).
func cloneSweep(sw *Sweep) *Sweep {
	if sw == nil {
		return nil
	}
	c := *sw
	c.Lanes, c.Series = slices.Clone(sw.Lanes), slices.Clone(sw.Series)
	for i := range c.Series {
		c.Series[i].Points = slices.Clone(c.Series[i].Points)
	}
	return &c
}

// unlocked runs f, a call that may not return for long after a stop (an
// engine's start, run or close, the Python baseline), without r.mu, so
// that a Snapshot can be taken meanwhile.
func (r *runner) unlocked(f func()) {
	r.mu.Unlock()
	defer r.mu.Lock()
	f()
}
