package shard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// name is how messages refer to part i: its file's name quoted, as every
// file gpusim names in a message (a name's escape characters went to the
// terminal as they were), else its place.
func (p *Part) name(i int) string {
	if p.Path != "" {
		return strconv.Quote(p.Path)
	}
	return fmt.Sprintf("part %d", i+1)
}

// CoverageError says how a set of parts fails to cover its job's lanes
// exactly once.
type CoverageError struct {
	Lanes    uint64   // the job's lanes, which the parts must cover
	Problems []string // "lanes [a, b) are missing", "lanes [a, b) are in both X and Y"
	// Shards is the shard count of the parts when every part records one
	// and the missing lanes are whole shards of it, which Missing then
	// lists as runs [first, end) of shard indices; 0 otherwise.
	Shards  uint64
	Missing [][2]uint64 // the first of them, up to 33
	Total   uint64      // how many shards are missing
}

// maxProblems bounds the problems a CoverageError lists.
const maxProblems = 8

func (e *CoverageError) Error() string {
	ps := e.Problems
	more := ""
	if len(ps) > maxProblems {
		more = fmt.Sprintf("; and %d more", len(ps)-maxProblems)
		ps = ps[:maxProblems]
	}
	lanes := count.Noun(e.Lanes, "lane")
	if e.Shards != 0 && len(e.Missing) > 0 {
		// Every missing shard, where the problems stop at maxProblems:
		// the shards to run again.
		more += " (" + missingText(e.Shards, e.Missing, e.Total) + ")"
	}
	return fmt.Sprintf("the parts do not cover the job's %s exactly once: %s%s", lanes, strings.Join(ps, "; "), more)
}

// Merge merges the parts of one job into the job's result. It refuses, with
// an error naming the files, unless every part has the same job parameters
// and the parts cover every lane [0, Lanes) exactly once. The digest, count,
// extremes and histogram are then exactly those of a single run; mean and M2
// are merged in lane order (Chan et al.), which agrees with a single run to
// rounding: on the deviations from the parts' shift, as the run does, while
// the parts carry the same one (sim.Summary.Shift; parts of version 3 on), else
// on their means. The Result is for lanes [0, Lanes): Engine and Device
// list the distinct engines and devices of the parts in lane order (of
// the parts with lanes, where any has), Math is
// the parts' math mode (they must agree; empty for version 1 parts), Daily
// is merged when every part kept it (empty, not nil, for a job of no
// steps), and Timing is zero.
func Merge(parts []*Part) (*sim.Result, error) {
	return merge(context.Background(), parts)
}

// merge is Merge, returning ctx's cause, and no result, once ctx is done:
// checked before the final values' summaries are merged and before each
// step's (a step's merge runs over every part).
func merge(ctx context.Context, parts []*Part) (*sim.Result, error) {
	order, err := checkParts(parts)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	s, err := mergeSummaries(parts, order, func(p *Part) *sim.Summary { return p.Summary })
	if err != nil {
		return nil, err
	}
	r := &sim.Result{Params: parts[0].Params, Summary: s}
	for _, p := range parts {
		if p.Count > 0 {
			r.Math = p.Math // one mode: checkMath
			break
		}
	}
	var engines, devices []string
	daily := true
	ran := slices.ContainsFunc(parts, func(p *Part) bool { return p.Count > 0 })
	for _, i := range order {
		p := parts[i]
		// A shard with no lanes ran on no engine either: listed, its
		// engine read as one the job ran on ("opencl+simd on" simd's
		// cores alone), unless no part has lanes.
		if (p.Count > 0 || !ran) && !slices.Contains(engines, p.Engine) {
			engines = append(engines, p.Engine)
		}
		// A shard with no lanes ran on no device (Run leaves it empty).
		if p.Device != "" && !slices.Contains(devices, p.Device) {
			devices = append(devices, p.Device)
		}
		daily = daily && p.Daily != nil
	}
	r.Engine, r.Device = strings.Join(engines, "+"), strings.Join(devices, "; ")
	r.Finals = mergedFinals(parts, order)
	if daily {
		// Empty, not nil, for parts of no steps: the merge reports the
		// per-step statistics as the single --daily run does.
		r.Daily = make([]*sim.Summary, 0, r.Params.Steps)
		for n := range r.Params.Steps {
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			d, err := mergeSummaries(parts, order, func(p *Part) *sim.Summary { return p.Daily[n] })
			if err != nil {
				return nil, fmt.Errorf("daily summary of step %d: %w", n+1, err)
			}
			r.Daily = append(r.Daily, d)
		}
	}
	return r, nil
}

// mergedFinals is the job's finals in lane order where every part of
// lanes saved its own (Part.Finals: a job of at most sim.ExactQuantileLanes
// lanes, in parts of version 6), so that the merge's quantiles are exact as
// the single run's are; nil where any part did not (one of an earlier
// gpusim, whose merge interpolates them in the histogram, as that gpusim's
// single run did). order is the parts' lane order (checkParts).
func mergedFinals(parts []*Part, order []int) []float32 {
	lanes := parts[order[0]].Params.Lanes
	if lanes == 0 || lanes > sim.ExactQuantileLanes {
		return nil
	}
	finals := make([]float32, 0, lanes)
	for _, i := range order {
		p := parts[i]
		if uint64(len(p.Finals)) != p.Count {
			return nil
		}
		finals = append(finals, p.Finals...)
	}
	return finals
}

func mergeSummaries(parts []*Part, order []int, get func(*Part) *sim.Summary) (*sim.Summary, error) {
	h := get(parts[order[0]]).Hist
	s := &sim.Summary{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1)),
		Hist: &sim.Histogram{Lo: h.Lo, Scale: h.Scale, Bins: make([]uint64, len(h.Bins))}}
	for _, i := range order {
		if err := s.Merge(get(parts[i])); err != nil {
			return nil, fmt.Errorf("%s: %w", parts[i].name(i), err)
		}
	}
	return s, nil
}

// checkParts checks that parts are one job's and tile its lanes, and returns
// their indices in lane order.
func checkParts(parts []*Part) ([]int, error) {
	if len(parts) == 0 {
		return nil, errors.New("no parts to merge")
	}
	// The same file twice, or two copies of one part, would otherwise show up
	// as an overlap; saying what happened is more useful.
	seenPath := map[string][]int{} // the parts given each path, by number from 1
	for i, p := range parts {
		if p.Path != "" {
			key := filepath.Clean(p.Path)
			seenPath[key] = append(seenPath[key], i+1)
		}
	}
	seenSum := map[string]int{}
	for i, p := range parts {
		if p.Summary == nil || p.Summary.Hist == nil {
			return nil, fmt.Errorf("%s: part has no summary", p.name(i))
		}
		if p.First > p.Params.Lanes || p.Count > p.Params.Lanes-p.First || p.Summary.Count != p.Count {
			return nil, fmt.Errorf("%s: lanes [%d, %d+%d) with %d counted do not fit the job's %d lanes", p.name(i), p.First, p.First, p.Count, p.Summary.Count, p.Params.Lanes)
		}
		if at := seenPath[filepath.Clean(p.Path)]; p.Path != "" && len(at) > 1 {
			return nil, fmt.Errorf("%q is given %s (parts %s)", p.Path, times(len(at)), listInts(at))
		}
		// A part of no lanes is one part by its shard, which its
		// checksum covers: copies of one were merged, and counted as
		// parts (an empty part without a shard may be any of them).
		if p.Checksum != "" && (p.Count > 0 || p.Shard != nil) {
			if j, ok := seenSum[p.Checksum]; ok {
				what := fmt.Sprintf("lanes [%d, %d)", p.First, p.First+p.Count)
				if p.Count == 0 {
					what = fmt.Sprintf("shard %s, of no lanes", p.Shard)
				}
				return nil, fmt.Errorf("%s and %s are copies of the same part (%s)", parts[j].name(j), p.name(i), what)
			}
			seenSum[p.Checksum] = i
		}
	}
	p0 := parts[0]
	for i, p := range parts[1:] {
		i++
		if field, a, b := diffParams(p0.Params, p.Params); field != "" {
			return nil, fmt.Errorf("%s and %s are parts of different jobs: --%s is %s in %s and %s in %s", p0.name(0), p.name(i), field, a, p0.name(0), b, p.name(i))
		}
		h0, h := p0.Summary.Hist, p.Summary.Hist
		if h0.Lo != h.Lo || h0.Scale != h.Scale || len(h0.Bins) != len(h.Bins) {
			return nil, fmt.Errorf("%s and %s have different histogram layouts (made by different gpusim versions?)", p0.name(0), p.name(i))
		}
		if p0.Daily != nil && p.Daily != nil {
			for n := range p.Daily {
				a, b := p0.Daily[n].Hist, p.Daily[n].Hist
				if a.Lo != b.Lo || a.Scale != b.Scale || len(a.Bins) != len(b.Bins) {
					return nil, fmt.Errorf("%s and %s have different daily histogram layouts (made by different gpusim versions?)", p0.name(0), p.name(i))
				}
			}
		}
	}
	if err := checkMath(parts); err != nil {
		return nil, err
	}
	order := laneOrder(parts)
	lanes := p0.Params.Lanes
	cov := &CoverageError{Lanes: lanes}
	next, owner := uint64(0), -1 // lanes [0, next) are covered, the last of them by owner
	var gaps [][2]uint64
	for _, i := range order {
		p := parts[i]
		if p.Count == 0 {
			continue
		}
		end := p.First + p.Count
		if p.First > next {
			cov.Problems = append(cov.Problems, fmt.Sprintf("lanes [%d, %d) are missing", next, p.First))
			gaps = append(gaps, [2]uint64{next, p.First})
		} else if p.First < next {
			cov.Problems = append(cov.Problems, fmt.Sprintf("lanes [%d, %d) are in both %s and %s", p.First, min(end, next), parts[owner].name(owner), p.name(i)))
		}
		if end > next {
			next, owner = end, i
		}
	}
	if next < lanes {
		cov.Problems = append(cov.Problems, fmt.Sprintf("lanes [%d, %d) are missing", next, lanes))
		gaps = append(gaps, [2]uint64{next, lanes})
	}
	if len(gaps) > 0 {
		cov.Shards, cov.Missing, cov.Total = missingShards(parts, lanes, gaps)
	}
	if len(cov.Problems) > 0 {
		return nil, cov
	}
	return order, nil
}

// laneOrder returns the indices of parts in lane order: by first lane,
// then by count.
func laneOrder(parts []*Part) []int {
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		pa, pb := parts[a], parts[b]
		if pa.First != pb.First {
			return cmp.Compare(pa.First, pb.First)
		}
		return cmp.Compare(pa.Count, pb.Count)
	})
	return order
}

// Requested is the engine that the runs of parts were asked for (gpusim
// run --engine, Part.Requested), for the merge's report beside Merge's
// Engine: the distinct names in lane order joined by "+", as Engine joins
// the engines that ran ("auto", or "auto+opencl" for parts asked for
// different engines, which merge like any others: the exact stream does
// not depend on the engine). It is "" when any part does not record it
// (format versions 1 to 3): the job's requested engine is then unknown,
// and a name from the other parts alone would pass for the whole job's.
// As Merge's Engine, it names the parts with lanes, where any has: a shard
// with no lanes ran on no engine ("simd (opencl+simd)" named opencl for a
// job whose empty shards alone were asked for it).
func Requested(parts []*Part) string {
	var names []string
	ran := slices.ContainsFunc(parts, func(p *Part) bool { return p.Count > 0 })
	for _, i := range laneOrder(parts) {
		p := parts[i]
		if p.Requested == "" {
			return ""
		}
		if (p.Count > 0 || !ran) && !slices.Contains(names, p.Requested) {
			names = append(names, p.Requested)
		}
	}
	return strings.Join(names, "+")
}

// checkMath refuses parts of different math modes, whose digests and values
// differ: a merge of them would match neither run. A part with no lanes
// holds no values, so its mode does not matter (Run cannot know it).
func checkMath(parts []*Part) error {
	mode := func(p *Part) string {
		if p.Math == "" {
			return "unknown (a version 1 part)"
		}
		return p.Math
	}
	first := -1
	for i, p := range parts {
		switch {
		case p.Count == 0:
		case first < 0:
			first = i
		case p.Math != parts[first].Math:
			a, b := parts[first].name(first), p.name(i)
			return fmt.Errorf("%s and %s are parts of different jobs: --math is %s in %s%s and %s in %s%s%s", a, b, mode(parts[first]), a, ranOn(parts[first]), mode(p), b, ranOn(p), autoMath(parts[first], a, p, b))
		}
	}
	return nil
}

// ranOn names the engine that computed p, " (simd)", and auto's choice
// where auto chose it, " (simd, auto's choice)"; "" where the part does not
// say.
func ranOn(p *Part) string {
	switch {
	case p.Engine == "":
		return ""
	case p.Requested == "auto":
		return " (" + p.Engine + ", auto's choice)"
	}
	return " (" + p.Engine + ")"
}

// autoMath explains parts a and b (named an and bn) of one job run with
// --math fast where auto chose an engine that computes exact math only for
// one of them (a CPU engine, where --math fast does not apply), ""
// otherwise: the error said only that the modes differ, where every shard
// had been given --math fast.
func autoMath(a *Part, an string, b *Part, bn string) string {
	exact, en, fast := a, an, b
	if a.Math != "exact" {
		exact, en, fast = b, bn, a
	}
	if exact.Math != "exact" || fast.Math != "fast" || exact.Requested != "auto" || fast.Engine == "" {
		return ""
	}
	return fmt.Sprintf("; if every shard was given --math fast, auto ran %s on %s, which computes exact math only (--math fast applies to the device engine alone): run every shard with --engine %s for fast math, or every shard with --math exact", en, exact.Engine, fast.Engine)
}

// diffParams returns the first parameter, as its flag name, in which a and b
// differ, with both values; field is empty when they agree.
func diffParams(a, b sim.Params) (field, va, vb string) {
	u := func(x uint64) string { return strconv.FormatUint(x, 10) }
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch {
	case a.Seed != b.Seed:
		return "seed", u(a.Seed), u(b.Seed)
	case a.Lanes != b.Lanes:
		return "lanes", u(a.Lanes), u(b.Lanes)
	case a.Steps != b.Steps:
		return "steps", strconv.Itoa(a.Steps), strconv.Itoa(b.Steps)
	// By the bits of their float32 values, which are the job (sim.Model:
	// the stream and the exact law are computed from them): a shard run
	// with --persistence 0.50000001, whose report says it is 0.5 in
	// float32 and whose lanes are those of 0.5 bit for bit, was refused
	// beside shards of 0.5. -0 and 0 are different jobs (the stream takes
	// the sign of a zero start or anchor).
	case !sameBits32(a.Start, b.Start):
		return "start", f(a.Start), f(b.Start)
	case !sameBits32(a.Anchor, b.Anchor):
		return "anchor", f(a.Anchor), f(b.Anchor)
	case !sameBits32(a.Persistence, b.Persistence):
		return "persistence", f(a.Persistence), f(b.Persistence)
	case !sameBits32(a.Sigma, b.Sigma):
		return "sigma", f(a.Sigma), f(b.Sigma)
	}
	return "", "", ""
}

// sameBits32 says whether a and b round to the same float32, bit for bit.
func sameBits32(a, b float64) bool {
	return math.Float32bits(float32(a)) == math.Float32bits(float32(b))
}

// times is "twice", "3 times", ...
func times(n int) string {
	if n == 2 {
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// listInts is "1 and 5", "1, 5 and 6".
func listInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
