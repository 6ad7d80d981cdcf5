package shard

import (
	"fmt"
	"strings"

	"github.com/gpusim/gpusim/sim"
)

// maxRuns bounds the runs of missing shards a CoverageError lists.
const maxRuns = 32

// missingShards is the shards of n whose lanes are the gaps, where every
// part records its shard (version 2 parts on; a --save without --shard
// has none) and all of one count n, and each gap is whole shards of n; n is
// 0 otherwise. They come as runs [first, end) of indices, in order, the
// first maxRuns+1 of them (enough for missingText), and total counts them
// all. A shard of no lanes (more shards than lanes) is not named: the
// merge does not need its part.
func missingShards(parts []*Part, lanes uint64, gaps [][2]uint64) (n uint64, runs [][2]uint64, total uint64) {
	for _, p := range parts {
		if p.Shard == nil || (n != 0 && p.Shard.Count != n) {
			return 0, nil, 0
		}
		n = p.Shard.Count
	}
	if n == 0 {
		return 0, nil, 0
	}
	start := func(k uint64) uint64 { // shard k's first lane; the job's end for k = n
		if k == n {
			return lanes
		}
		first, _ := sim.Split(lanes, k, n)
		return first
	}
	// The shard that holds lane l: the last that starts at or before it.
	holder := func(l uint64) uint64 { return search(n, func(k uint64) bool { return start(k) > l }) - 1 }
	for _, g := range gaps {
		i, j := holder(g[0]), search(n, func(k uint64) bool { return start(k) >= g[1] })
		if start(i) != g[0] || start(j) != g[1] {
			return 0, nil, 0 // not whole shards of n: parts of another split
		}
		if n <= lanes {
			// No shard is empty: the gap is shards [i, j).
			total += j - i
			if len(runs) <= maxRuns {
				runs = append(runs, [2]uint64{i, j})
			}
			continue
		}
		// A shard holds one lane or none: the gap's lanes are its shards,
		// taken a run of adjacent shards at a time. It went lane by lane,
		// which for a job of 2^40 lanes in 2^40+1 shards (one empty) was
		// 2^40 steps: a merge of one such part did not end.
		total += g[1] - g[0]
		for l := g[0]; l < g[1] && len(runs) <= maxRuns; {
			k := holder(l)
			// Shards k, k+1, ..., k+m-1 hold lanes l, ..., l+m-1 where
			// start(k+j) = l+j for every j up to m. start(k+j) - j never
			// grows with j (a shard holds a lane or none), so m, the
			// run's length within the gap, is a binary search: the
			// first j past 0 at which start(k+j) falls below l+j, less
			// one. (Shard k holds lane l: m is at least 1.)
			m := search(min(g[1]-l, n-k), func(j uint64) bool { return start(k+j+1) < l+j+1 })
			if last := len(runs) - 1; last >= 0 && runs[last][1] == k {
				runs[last][1] += m
			} else {
				runs = append(runs, [2]uint64{k, k + m})
			}
			l += m
		}
	}
	return n, runs, total
}

// search is the smallest k in [0, n] for which f, false then true, is
// true; f(n) must be true (n+1 could overflow).
func search(n uint64, f func(uint64) bool) uint64 {
	lo, hi := uint64(0), n
	for lo < hi {
		mid := lo + (hi-lo)/2
		if f(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// missingText says which shards of n runs names and how to run them again:
// "shard 1 of 3: run it again with --shard 1/3", "shards 0, 5 and 7 to 9
// of 16: run them again with --shard i/16".
func missingText(n uint64, runs [][2]uint64, total uint64) string {
	var names []string
	var listed uint64
	for _, r := range runs[:min(len(runs), maxRuns)] {
		listed += r[1] - r[0]
		switch r[1] - r[0] {
		case 1:
			names = append(names, fmt.Sprint(r[0]))
		case 2:
			names = append(names, fmt.Sprint(r[0]), fmt.Sprint(r[0]+1))
		default:
			names = append(names, fmt.Sprintf("%d to %d", r[0], r[1]-1))
		}
	}
	if listed < total {
		names = append(names, fmt.Sprintf("%d more", total-listed))
	}
	if total == 1 {
		return fmt.Sprintf("shard %d of %d: run it again with --shard %d/%d and the job's other flags, or give its part", runs[0][0], n, runs[0][0], n)
	}
	list := names[0]
	if len(names) > 1 {
		list = strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	return fmt.Sprintf("shards %s of %d: run them again with --shard i/%d and the job's other flags, or give their parts", list, n, n)
}
