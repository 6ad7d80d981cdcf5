package shard

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gpusim/gpusim/sim"
)

// MergeFiles reads the part files and merges them, to Merge's result and
// with ReadParts' and Merge's errors, holding the histograms of one part at
// a time: each part's bins are added to the job's as it is read (a sum,
// whose order does not matter), and the part keeps a shared row of zeros in
// their place. ReadParts and Merge held every part's, 72 kB a part (4098
// bins) and 4 kB more a --daily step, so that 20,000 parts took 1.4 GB and
// 16 parts of 3,000 steps 563 MB. The parts it returns, for what they
// record (paths, engines, wall times, whether they kept --daily), have
// those zeros for histograms; the moments, which Merge combines in lane
// order (Chan et al.) once every part is read, stay in each part: about
// 200 bytes a summary.
//
// A stop (ctx done: a signal, a deadline) ends the merge at the next part
// boundary, before the next file is read or the next part (or per-step
// summary) is merged, with ctx's cause as the error and no result: a
// merge of hundreds of large parts ran on to its end, and a Ctrl-C of it
// waited for the forced exit (interrupt.StopGrace).
func MergeFiles(ctx context.Context, files []string, names Names) ([]*Part, *sim.Result, error) {
	var f fold
	parts, err := readParts(ctx, files, names, f.add)
	if err != nil {
		return nil, nil, err
	}
	res, err := merge(ctx, parts)
	if err != nil {
		return nil, nil, err
	}
	if err := f.into(res, len(parts)); err != nil {
		return nil, nil, err
	}
	return parts, res, nil
}

// fold is the sum of the histograms of the parts read so far that are of
// the first part's job and layout (the others Merge refuses).
type fold struct {
	params sim.Params
	hist   *sim.Histogram   // the final values'
	daily  []*sim.Histogram // each step's; nil where the first part has none
	parts  int              // the parts whose final histogram is in hist
	days   int              // the parts whose per-step histograms are in daily
	zeros  map[int][]uint64 // a row of zeros of each length, shared, never written
}

// add adds p's histograms to f's and empties p's. A part of another job or
// layout keeps its own, for Merge to refuse.
func (f *fold) add(p *Part) {
	if p.Summary == nil || p.Summary.Hist == nil || slices.ContainsFunc(p.Daily, func(d *sim.Summary) bool { return d == nil || d.Hist == nil }) {
		return // for Merge to refuse
	}
	if f.hist == nil {
		f.params, f.hist = p.Params, emptyHist(p.Summary.Hist)
		if p.Daily != nil {
			f.daily = make([]*sim.Histogram, len(p.Daily))
			for n, d := range p.Daily {
				f.daily[n] = emptyHist(d.Hist)
			}
		}
	}
	if field, _, _ := diffParams(f.params, p.Params); field != "" || !oneLayout(f.hist, p.Summary.Hist) {
		return
	}
	if f.hist.Merge(p.Summary.Hist) != nil {
		return // not of one layout: checked above
	}
	p.Summary.Hist = f.zeroed(p.Summary.Hist)
	f.parts++
	if p.Daily == nil || f.daily == nil || len(p.Daily) != len(f.daily) {
		return
	}
	for n, d := range p.Daily {
		if !oneLayout(f.daily[n], d.Hist) {
			return
		}
	}
	for n, d := range p.Daily {
		_ = f.daily[n].Merge(d.Hist) // of one layout: checked above
		d.Hist = f.zeroed(d.Hist)
	}
	f.days++
}

// into adds f's sums to res, Merge's result of n parts whose histograms f
// took: every part's, as Merge accepted them as one job's of one layout.
func (f *fold) into(res *sim.Result, n int) error {
	if f.parts != n || (res.Daily != nil && (f.days != n || len(f.daily) != len(res.Daily))) {
		return errors.New("internal error: the merge took the histograms of some parts only")
	}
	if err := res.Summary.Hist.Merge(f.hist); err != nil {
		return fmt.Errorf("internal error: %w", err)
	}
	for i, d := range res.Daily {
		if err := d.Hist.Merge(f.daily[i]); err != nil {
			return fmt.Errorf("internal error: step %d: %w", i+1, err)
		}
	}
	return nil
}

// zeroed is h's layout with the shared row of zeros for its bins.
func (f *fold) zeroed(h *sim.Histogram) *sim.Histogram {
	if f.zeros == nil {
		f.zeros = map[int][]uint64{}
	}
	z, ok := f.zeros[len(h.Bins)]
	if !ok {
		z = make([]uint64, len(h.Bins))
		f.zeros[len(h.Bins)] = z
	}
	return &sim.Histogram{Lo: h.Lo, Scale: h.Scale, Bins: z}
}

func emptyHist(h *sim.Histogram) *sim.Histogram {
	return &sim.Histogram{Lo: h.Lo, Scale: h.Scale, Bins: make([]uint64, len(h.Bins))}
}

func oneLayout(a, b *sim.Histogram) bool {
	return a.Lo == b.Lo && a.Scale == b.Scale && len(a.Bins) == len(b.Bins)
}
