package runfiles

import (
	"math"
	"strconv"

	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/sim"
)

// dailyNumbers is the count of floats in a --daily-out row (daily.WriteCSV):
// mean, std, exact_mean, exact_std and a quantile per level.
var dailyNumbers = uint64(4 + len(daily.Levels))

// dailySize is what --daily-out's CSV (daily.WriteCSV) will take: its
// header and a row per step of a step number, the lane count and
// dailyNumbers floats, each 1 to 24 characters (the shortest decimal of a
// float64, "-2.2250738585072014e-308" at most). The estimate writes each
// step's row from the exact law: exact_mean and exact_std as they are, and
// the statistics the run measures (its mean, std and quantiles, which sit
// within noise of the law's and are written to as many digits as any
// float64 a sum makes) as the law's values moved by a relative 1e-9 pi,
// which takes every digit; a step without spread (no noise) writes the
// float32 value the lanes hold. It is computed only where the free space is
// below most (runfiles.checkDisk).
func dailySize(p sim.Params) outputSize {
	rows := uint64(p.Steps)
	head := uint64(len(daily.Header())) // commas and the newline
	for _, h := range daily.Header() {
		head += uint64(len(h))
	}
	fixed := uint64(len(strconv.Itoa(p.Steps))) + uint64(len(strconv.FormatUint(p.Lanes, 10))) + 1 + dailyNumbers + 1
	least := satAdd(head, satMul(rows, 1+1+1+dailyNumbers*2))
	most := satAdd(head, satMul(rows, fixed+dailyNumbers*24))
	return outputSize{least: least, most: most, estimate: func() uint64 { return dailyEstimate(p, head) }}
}

// dailyEstimate is dailySize's estimate, 2% under the rows it writes (as
// csvEstimate's), so that a disk with room for the file is not refused.
func dailyEstimate(p sim.Params, head uint64) uint64 {
	var b []byte
	// measured is the length of a statistic the run measures about x on a
	// step whose law's sd is sd: x moved by a relative 1e-9 pi of |x| + sd
	// (every digit; a mean about 0 sits sd / sqrt(lanes) from it), or
	// without spread the float32 lanes' own value, which the statistics
	// then are (72 + 3 2^-40 is 72 in float32).
	measured := func(x, sd float64) int {
		if sd > 0 {
			x += (math.Abs(x) + sd) * 1e-9 * math.Pi
		} else {
			x = float64(float32(x))
		}
		return len(strconv.AppendFloat(b[:0], x, 'g', -1, 64))
	}
	exact := func(x float64) int { return len(strconv.AppendFloat(b[:0], x, 'g', -1, 64)) }
	lanes := len(strconv.FormatUint(p.Lanes, 10))
	var n float64
	for s := 1; s <= p.Steps; s++ {
		law := p.Law(s)
		row := len(strconv.Itoa(s)) + lanes + int(dailyNumbers) + 1 // commas and the newline
		row += measured(law.Mu, law.Sigma) + exact(law.Mu) + exact(law.Sigma)
		if law.Sigma > 0 {
			row += measured(law.Sigma, law.Sigma)
		} else {
			row++ // 0
		}
		for _, q := range daily.Levels {
			row += measured(sim.LawQuantile(law, q), law.Sigma)
		}
		n += float64(row)
	}
	return satAdd(head, uint64(0.98*n))
}
