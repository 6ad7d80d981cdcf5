package runfiles

import (
	"strconv"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/sim"
)

// dailyNumbers is the count of floats in a --daily-out row (daily.WriteCSV):
// mean, std, exact_mean, exact_std and a quantile per level.
var dailyNumbers = uint64(4 + len(daily.Levels))

// dailyMaxValue is the longest float64 strconv's 'g' -1 writes, as
// daily.WriteCSV does: a sign, seventeen significant digits, a point and a
// three-digit exponent (-2.2250738585072014e-308); fixed notation, taken
// for exponents -4 to 5, is at most a sign, "0.000" and seventeen digits,
// and NaN (an empty shard's mean) and ±Inf are shorter. TestDailyMaxValue
// checks it over the extremes and random bits.
const dailyMaxValue = 24

// dailyMeasured is the most a --daily-out row's measured statistics
// take: the mean and the quantiles, which lie in p.Range() (each a mean or
// an interpolation of the step's values, clamped to their min and max), at
// the longest float64 text of that range (textMost), and the std, which is
// never negative but may be as small as the values' spacing, at
// dailyMaxValue less a sign; with --math fast (fast), whose values only the
// device computes, each at dailyMaxValue. Every statistic at dailyMaxValue
// was about 30% above the default job's file.
func dailyMeasured(p sim.Params, fast bool) uint64 {
	others := uint64(dailyNumbers - 3) // the mean and the quantiles
	if fast {
		return (others + 1) * dailyMaxValue
	}
	lo, hi := p.Range()
	return others*min(textMost(lo, hi, 17), dailyMaxValue) + dailyMaxValue - 1
}

// dailySize is what --daily-out's CSV (daily.WriteCSV) takes: its header
// and a row per step of the step number, the lane count (a shard's, at
// most p.Lanes) and dailyNumbers floats, each 1 to dailyMaxValue
// characters. need (dailyNeed) counts each row's step number and the exact
// law's mean and sd as they are written, and the statistics the run
// measures at their longest (dailyMeasured): an upper bound, never below
// the file.
func dailySize(p sim.Params, fast bool) outputSize {
	rows := uint64(p.Steps)
	head := uint64(len(daily.Header())) // commas and the newline
	for _, h := range daily.Header() {
		head += uint64(len(h))
	}
	measured := dailyMeasured(p, fast)
	fixed := uint64(len(strconv.Itoa(p.Steps))) + uint64(len(strconv.FormatUint(p.Lanes, 10))) + 1 + dailyNumbers + 1
	most := count.SatAdd(head, count.SatMul(rows, fixed+2*dailyMaxValue+measured))
	return outputSize{most: most, need: func() (uint64, bool) { return dailyNeed(p, head, measured), false }}
}

// dailyNeed is dailySize's need: head and each step's row with its step
// number, exact_mean and exact_std written as daily.WriteCSV writes them,
// the count at p.Lanes's digits and the measured statistics at measured
// bytes in all.
func dailyNeed(p sim.Params, head, measured uint64) uint64 {
	var b []byte
	length := func(x float64) uint64 { return uint64(len(strconv.AppendFloat(b[:0], x, 'g', -1, 64))) }
	lanes := uint64(len(strconv.FormatUint(p.Lanes, 10)))
	n := head
	for s := 1; s <= p.Steps; s++ {
		law := p.Law(s)
		row := uint64(len(strconv.Itoa(s))) + lanes + dailyNumbers + 1 // commas and the newline
		row += length(law.Mu) + length(law.Sigma) + measured
		n = count.SatAdd(n, row)
	}
	return n
}
