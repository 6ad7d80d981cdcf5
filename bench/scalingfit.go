package bench

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/gpusim/gpusim/internal/count"
)

// coresFor is how many workers of the engine name m has cores for, and
// what bounds them (Scaling.CoresFrom): goroutines (every engine but
// processes) share GOMAXPROCS, or the CPUs where GOMAXPROCS is set above
// them (GOMAXPROCS=4 on 2 CPUs fitted 3 and 4 goroutines, which take turns
// on the 2, as if they had cores), the processes engine's children,
// processes of their own, the CPUs. 0 where m does not say (a report of
// an earlier gpusim).
func (m Machine) coresFor(name string) (cores int, from string) {
	switch {
	case name == ProcessesEngine:
		return m.Cores, ""
	case m.Cores > 0 && m.GOMAXPROCS > m.Cores:
		return m.Cores, CoresFromCPUs
	}
	return m.GOMAXPROCS, ""
}

// CoresFromCPUs is Scaling.CoresFrom where the CPUs, fewer than
// GOMAXPROCS, bound an engine's goroutines.
const CoresFromCPUs = "cpus"

// coresWords are the words for cores workers of the engine name share,
// bound by from (Scaling.CoresFrom): unit "goroutines" or "worker
// processes", on "2 cores (GOMAXPROCS)", "2 CPUs (fewer than GOMAXPROCS)"
// or "2 CPUs".
func coresWords(name string, cores int, from string) (unit, on string) {
	switch {
	case name == ProcessesEngine:
		return "worker processes", count.Noun(cores, "CPU")
	case from == CoresFromCPUs:
		return "goroutines", count.Noun(cores, "CPU") + " (fewer than GOMAXPROCS)"
	}
	return "goroutines", count.Noun(cores, "core") + " (GOMAXPROCS)"
}

// setFit fits Amdahl's law to s.Points (s.Fit), or says why it cannot
// (s.FitNote), where the engine starts at most most workers on s.Workload.
// It takes each point at the workers that ran, the first point of each
// count that ran, and leaves out, marked Oversubscribed, every point that
// ran more workers than s.Cores (0: not known, none left out): goroutines
// beyond GOMAXPROCS or the CPUs, processes beyond the CPUs, take turns on the cores, so
// their speedups measure oversubscription, not the parallel fraction (4 and
// 8 goroutines on 2 cores pulled P from a predicted 0.998 to 0.39). P's
// range (SetRange) is set where every fitted point above one worker has a
// SpeedupRange: one timed run has no spread to give one. Errors are
// FitAmdahl's, other than ErrNoScaling, which is a note.
func (s *Scaling) setFit(most int) error {
	var ws []int
	var sp, low, high []float64
	spread, over := true, false
	for i := range s.Points {
		p := &s.Points[i]
		ran := p.RanWorkers()
		if s.Cores > 0 && ran > s.Cores {
			p.Oversubscribed, over = true, true
			continue
		}
		if slices.Contains(ws, ran) {
			continue
		}
		ws, sp = append(ws, ran), append(sp, p.Speedup)
		switch {
		case i == 0:
			low, high = append(low, 1), append(high, 1)
		case p.SpeedupRange != nil:
			low, high = append(low, p.SpeedupRange[0]), append(high, p.SpeedupRange[1])
		default:
			spread = false
		}
	}
	fit, err := FitAmdahl(ws, sp)
	switch {
	case errors.Is(err, ErrNoScaling) && over:
		s.FitNote = s.oversubscribedFitNote()
	case errors.Is(err, ErrNoScaling) && len(s.Points) > 1:
		s.FitNote = s.startsFitNote(most)
	case errors.Is(err, ErrNoScaling):
		s.FitNote = onePointFitNote
	case err != nil:
		return err
	default:
		if spread {
			if err := fit.SetRange(ws, low, high); err != nil {
				return err
			}
		}
		s.Fit = &fit
	}
	return nil
}

// onePointFitNote is FitNote where one worker count was measured.
const onePointFitNote = "only one worker measured"

// oversubscribedFitNote is FitNote where the points left out
// (Oversubscribed) leave fewer than 2 worker counts to fit.
func (s *Scaling) oversubscribedFitNote() string {
	unit, on := coresWords(s.Engine, s.Cores, s.CoresFrom)
	return fmt.Sprintf("fewer than 2 worker counts to fit: at %s workers more %s ran than the %s, so their speedups measure oversubscription, not the parallel fraction",
		andList(s.oversubscribedCounts()), unit, on)
}

// startsFitNote is FitNote where the engine starts at most most workers on
// s.Workload, so every worker count ran as one.
func (s *Scaling) startsFitNote(most int) string {
	return fmt.Sprintf("%s starts %s at most on %s, so every worker count ran as one", s.Engine, startsNoun(s.Engine, most), s.Workload)
}

// oversubscribedCounts are the worker counts asked for of s's points that
// the fit left out, as text.
func (s *Scaling) oversubscribedCounts() []string {
	var out []string
	for _, p := range s.Points {
		if p.Oversubscribed {
			out = append(out, strconv.Itoa(p.Workers))
		}
	}
	return out
}
