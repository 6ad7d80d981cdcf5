package gpu

import "math/bits"

// dailyTile is weather.cl's DAILY_TILE, which buildOptions leaves at the
// kernel's default.
const dailyTile = 16

// sumDepth follows a run's chunks for the depth of its float sums
// (sim.Summary.FloatDepth) on a device without fp64: the grid-stride
// iterations a work-item makes over a chunk (the most of one chunk and
// their sum over the run), the most tiles of dailyTile vectors a
// work-item takes over a chunk (weather_daily's serial variant), and the
// chunks, each of which adds its sums into the work-groups' records once a
// step.
type sumDepth struct {
	most, total, tiles, chunks uint64
}

// add counts a chunk of n lanes run by items work-items of vw lanes each.
func (d *sumDepth) add(n uint64, items, vw int) {
	nvec := (n + uint64(vw) - 1) / uint64(vw)
	it := (nvec + uint64(items) - 1) / uint64(items)
	d.most = max(d.most, it)
	d.total += it
	d.tiles = max(d.tiles, ((nvec+dailyTile-1)/dailyTile+uint64(items)-1)/uint64(items))
	d.chunks++
}

// depth is the most float additions a lane's deviation (or its square)
// passes through on its way into the record the host reads, in weather.cl's
// summation tree, for work-groups of wg work-items out of items, vw lanes
// a work-item:
//
//	weather                 most + log2(vw) + wg + chunks
//	weather_daily (serial)  dailyTile + tiles + wg vw + chunks + groups
//	weather_daily (tree)    log2(vw) + log2(wg) + 1 + total + groups
//
// weather adds a lane into its work-item's vector sum once an iteration
// (most at the most, from 0 each launch), folds the vector (hsum: log2 vw),
// the group's work-items one after another (wg) and the group's sum into
// its record once a chunk (rec_add). weather_daily's serial variant sums a
// tile of at most dailyTile vectors, adds it to the work-item's per-step
// sum once a tile (at most tiles a launch), folds the group's wg vw
// lanes one after another, then rec_add once a chunk; the tree variant
// folds the vector, the group in a tree of ceil(log2 wg) + 1 levels, and
// adds into the record once a grid-stride pass (total over the run).
// reduce_daily then adds the groups' records of a step one after another.
func (d *sumDepth) depth(daily, serial bool, items, wg, vw int) uint64 {
	lvw := uint64(bits.Len(uint(vw - 1))) // ceil(log2 vw)
	switch {
	case !daily:
		return d.most + lvw + uint64(wg) + d.chunks
	case serial:
		return dailyTile + d.tiles + uint64(wg*vw) + d.chunks + uint64(items/wg)
	default:
		return lvw + uint64(bits.Len(uint(wg-1))) + 1 + d.total + uint64(items/wg)
	}
}
