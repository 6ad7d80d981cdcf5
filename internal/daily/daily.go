package daily

import (
	"bufio"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gpusim/gpusim/sim"
)

// Levels are the quantiles reported for every day.
var Levels = []float64{0.05, 0.25, 0.50, 0.75, 0.95}

// LevelName is a level's column name: p05 for 0.05 (sim.QuantileName).
func LevelName(q float64) string { return sim.QuantileName(q) }

// Day is the distribution of the temperature across lanes after Step steps.
type Day struct {
	Step      int     // 1-based: the day after Step steps
	Count     uint64  // lanes
	Mean, Std float64 // the lanes' mean and sd, degrees
	// ExactMean and ExactStd are the model's exact moments after Step steps
	// (sim.Params.Exact).
	ExactMean, ExactStd float64
	// Quantiles at Levels, interpolated in the step's sim.DailyBins-bin
	// histogram and clamped to the step's sample range.
	Quantiles []float64
	// OneValue says that every lane holds one value after Step steps
	// (Count > 0 and min = max, as without noise): the clamped quantiles
	// are that value, exact.
	OneValue bool
	// Outside says that some of the Quantiles lie among the lanes beyond
	// the step's histogram span (sim.Histogram.Outside), where float32's
	// rounding holds them far from the exact law: they read its edge,
	// clamped to the step's range, rather than an interpolation;
	// OutsideLevels names them (LevelName).
	Outside       bool
	OutsideLevels []string
	// Rounding bounds how far float32 rounding can move Mean and Std from
	// the exact moments (sim.Params.Rounding); the z-scores allow for it.
	Rounding sim.Rounding
	// MeanError and StdError bound how far the sums (float64's, or the
	// float32 sums of a device without fp64: sim.Summary.FloatDepth), in
	// any order an engine or merge adds them, can have moved Mean and Std
	// from the lanes' own (sim.Summary.MomentErrors), and Min and Max are
	// the step's extremes, which bound them (NaN for no lanes).
	MeanError, StdError float64
	Min, Max            float64
}

// law is the day's exact law.
func (d Day) law() distuv.Normal { return distuv.Normal{Mu: d.ExactMean, Sigma: d.ExactStd} }

// ZMean is the sample mean's z-score against the exact mean, beyond what
// float32 rounding can explain (sim.ZMeanWithin).
func (d Day) ZMean() float64 {
	if d.Rounding.TestsNothing(d.ExactStd) {
		return math.NaN()
	}
	return sim.ZMeanWithin(d.Mean, d.Count, d.law(), d.Rounding.Mean)
}

// ZStd is the sample sd's z-score against the exact sd, beyond what float32
// rounding can explain (sim.ZStdWithin).
func (d Day) ZStd() float64 {
	if d.Rounding.TestsNothing(d.ExactStd) {
		return math.NaN()
	}
	return sim.ZStdWithin(d.Std, d.Count, d.law(), d.Rounding.Std)
}

// Table returns one Day per summary; summary i is step i+1 of p, as in
// sim.Result.Daily.
func Table(p sim.Params, summaries []*sim.Summary) []Day {
	days := make([]Day, len(summaries))
	rounding := p.RoundingSteps(len(summaries))
	for i, s := range summaries {
		d := Day{Step: i + 1, Count: s.Count, Mean: s.Mean, Std: s.Std(), Rounding: rounding[i]}
		if s.Count == 0 {
			// An empty shard's day has no mean, as its final summary has
			// none (NaN: null in JSON, as the std).
			d.Mean = math.NaN()
		}
		law := p.Law(i + 1)
		d.ExactMean, d.ExactStd = law.Mu, law.Sigma
		d.MeanError, d.StdError = s.MomentErrors(law.Mu)
		d.Min, d.Max = float64(s.Min), float64(s.Max)
		if s.Count == 0 {
			d.Min, d.Max = math.NaN(), math.NaN()
		}
		d.Quantiles = make([]float64, len(Levels))
		for j, q := range Levels {
			x := s.Hist.Quantile(q)
			if s.Count > 0 {
				// Interpolating in a bin can land outside the sample's
				// range; no quantile of the sample does.
				x = min(max(x, float64(s.Min)), float64(s.Max))
			}
			d.Quantiles[j] = x
		}
		d.OneValue = s.Count > 0 && s.Min == s.Max
		for _, q := range Levels {
			if !d.OneValue && s.Hist.Outside(q) {
				d.Outside, d.OutsideLevels = true, append(d.OutsideLevels, LevelName(q))
			}
		}
		days[i] = d
	}
	return days
}

// Header is the CSV header WriteCSV writes.
func Header() []string {
	h := []string{"step", "count", "mean", "std", "exact_mean", "exact_std"}
	for _, q := range Levels {
		h = append(h, LevelName(q))
	}
	return h
}

// WriteCSV writes days as CSV: the header, then one row per day. Numbers are
// the shortest decimals that read back as the same float64.
func WriteCSV(w io.Writer, days []Day) error {
	bw := bufio.NewWriter(w)
	var b []byte
	for i, h := range Header() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, h...)
	}
	b = append(b, '\n')
	for _, d := range days {
		if _, err := bw.Write(b); err != nil {
			return err
		}
		b = strconv.AppendInt(b[:0], int64(d.Step), 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, d.Count, 10)
		for _, x := range append([]float64{d.Mean, d.Std, d.ExactMean, d.ExactStd}, d.Quantiles...) {
			b = append(b, ',')
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
		}
		b = append(b, '\n')
	}
	if _, err := bw.Write(b); err != nil {
		return err
	}
	return bw.Flush()
}

// Sample picks the days a table of at most rows rows shows when there are
// more days than that: day 1, every k-th day and the last day, with k the
// smallest stride that fits. It returns the 0-based indices and k.
func Sample(days, rows int) (idx []int, k int) {
	rows = max(rows, 3)
	k = 1
	if days > rows {
		// Day 1 and the last day are extra rows beyond the multiples of k.
		k = (days + rows - 3) / (rows - 2)
	}
	for n := 1; n <= days; n++ {
		if n == 1 || n%k == 0 || n == days {
			idx = append(idx, n-1)
		}
	}
	return idx, k
}
