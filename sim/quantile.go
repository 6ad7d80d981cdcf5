package sim

import (
	"math"
	"slices"
)

// ExactQuantiles returns the quantiles of xs at levels, one per level in
// levels' order (NaN each for an empty xs), by linear
// interpolation between order statistics (numpy's default, Hyndman-Fan
// type 7): with h = q (n-1) and the order statistics x(0) <= ... <= x(n-1),
//
//	Q(q) = x(floor h) + (h - floor h) (x(floor h + 1) - x(floor h))
//
// It never reorders xs. Up to sortedSelectMax values it sorts a copy of
// their 32-bit sortable keys; above, the order statistics come from a radix
// select on those keys, in two counting passes of 16
// bits each (the high halves of all keys, then the low halves of the keys
// whose high half holds a wanted rank). It needs a fixed 768 KiB of counts
// plus 512 KiB per distinct high half among the wanted ranks (at most two a
// level: 7 MiB for the 7 QuantileLevels), whatever len(xs), where a sorted
// copy needs 4 bytes a value (400 MB at 10^8 values).
// NaNs order first, as slices.Sort orders them; -0 orders before 0, which
// gives the same quantiles as any order of the two.
func ExactQuantiles(xs []float32, levels []float64) []float64 {
	out := make([]float64, len(levels))
	n := len(xs)
	if n == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	var ranks []int
	for _, q := range levels {
		lo, hi := quantileRanks(q, n)
		ranks = append(ranks, lo, hi)
	}
	vals := selectRanks(xs, ranks)
	for i, q := range levels {
		h := float64(q * float64(n-1))
		lo := math.Floor(h)
		a, b := float64(vals[2*i]), float64(vals[2*i+1])
		out[i] = a + float64((h-lo)*(b-a))
	}
	return out
}

// quantileRanks are the order statistics the type-7 quantile q of n values
// interpolates between.
func quantileRanks(q float64, n int) (lo, hi int) {
	lo = int(math.Floor(q * float64(n-1)))
	return lo, min(lo+1, n-1)
}

// sortKey maps float32s to uint32s in the order slices.Sort gives them, NaNs
// first (as key 0, which no other value has: it would be the NaN 0xffffffff).
func sortKey(x float32) uint32 {
	if x != x {
		return 0
	}
	b := math.Float32bits(x)
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

// fromKey inverts sortKey (key 0 is a NaN).
func fromKey(k uint32) float32 {
	if k == 0 {
		return float32(math.NaN())
	}
	if k>>31 != 0 {
		return math.Float32frombits(k &^ (1 << 31))
	}
	return math.Float32frombits(^k)
}

// rankAt is where a rank lies in a count of keys by one 16-bit half: the
// half's value and the rank among the keys with that half.
type rankAt struct {
	bucket uint32
	rest   uint64
}

// sortedSelectMax is the most values selectRanks sorts a copy of the keys
// of (4 bytes a value, 256 KiB at most) rather than count them: the counts
// take a fixed 768 KiB and 512 KiB per distinct high half, whose zeroing
// and first touch cost a run of 1000 lanes that keeps its finals about 3 ms
// (8.9 against 5.2 ms a process, medians of 21, the forty-seventh
// session), where sorting 1000 keys takes 20 microseconds.
const sortedSelectMax = 1 << 16

// selectRanks returns the values of the given ranks (0-based, each below
// len(xs)) in the sorted order of xs, without moving xs: from a sorted
// copy of the keys up to sortedSelectMax values, by counting above.
func selectRanks(xs []float32, ranks []int) []float32 {
	if len(xs) <= sortedSelectMax {
		return selectRanksSorted(xs, ranks)
	}
	return selectRanksCounted(xs, ranks)
}

// selectRanksSorted is selectRanks by sorting a copy of xs' keys.
func selectRanksSorted(xs []float32, ranks []int) []float32 {
	keys := make([]uint32, len(xs))
	for i, x := range xs {
		keys[i] = sortKey(x)
	}
	slices.Sort(keys)
	vals := make([]float32, len(ranks))
	for i, r := range ranks {
		vals[i] = fromKey(keys[r])
	}
	return vals
}

// selectRanksCounted is selectRanks by two counting passes over 16-bit
// halves of xs' keys (ExactQuantiles' doc gives its memory).
func selectRanksCounted(xs []float32, ranks []int) []float32 {
	const half = 1 << 16
	high := make([]uint64, half)
	for _, x := range xs {
		high[sortKey(x)>>16]++
	}
	at := make([]rankAt, len(ranks))
	buckets := make([]uint32, len(ranks))
	for i, r := range ranks {
		at[i] = locate(high, uint64(r))
		buckets[i] = at[i].bucket
	}
	// One count of low halves per distinct high half among the ranks;
	// slot[h] is 1 + the index into lows of high half h, 0 for none.
	slices.Sort(buckets)
	buckets = slices.Compact(buckets)
	lows := make([][]uint64, len(buckets))
	slot := make([]int32, half)
	for i, b := range buckets {
		lows[i] = make([]uint64, half)
		slot[b] = int32(i + 1)
	}
	for _, x := range xs {
		k := sortKey(x)
		if s := slot[k>>16]; s != 0 {
			lows[s-1][k&(half-1)]++
		}
	}
	vals := make([]float32, len(ranks))
	for i, w := range at {
		l := locate(lows[slot[w.bucket]-1], w.rest)
		vals[i] = fromKey(w.bucket<<16 | l.bucket)
	}
	return vals
}

// locate returns the bucket of counts that holds rank r (0-based) and r's
// rank within it.
func locate(counts []uint64, r uint64) rankAt {
	var cum uint64
	for b, c := range counts {
		if r < cum+c {
			return rankAt{uint32(b), r - cum}
		}
		cum += c
	}
	panic("sim: rank beyond the counts")
}
