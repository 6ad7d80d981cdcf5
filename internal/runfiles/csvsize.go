package runfiles

import (
	"runtime"
	"sync"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/outfile"
	"github.com/gpusim/gpusim/sim"
)

// csvExactWork bounds the work of sizing a CSV exactly, in lane-steps
// with each value written counted as csvWriteWork of them (a step takes
// about 22 ns on one core, a value written about 200: csvExactWork is
// about 0.4 s of one core, shared by csvWorkers goroutines): a CSV within
// it is computed with the reference model and its values written as the
// file writes them; a larger one is counted at csvMost.
const (
	csvExactWork = 1 << 24
	csvWriteWork = 10
	csvWorkers   = 8
)

// csvMaxValue is the longest value AppendFloat32 writes: a sign, nine
// significant digits, a point and a two-digit exponent (-1.23456789e-38);
// in fixed notation, which strconv's 'g' takes for exponents -4 to 5 (and
// AppendFloat32's nine-digit fallback up to 8), a sign, "0.000" and nine
// digits (-0.000123456789) are as long. float32's exponents stay within
// two digits, and NaN and ±Inf (which a validated run never computes) are
// shorter. TestCSVMaxValue checks it over the extremes and random bits.
const csvMaxValue = 15

// csvHeaderBytes is the length of a CSV's header line: "lane,temperature"
// for --out (cols 0), "lane,step1,...,stepN" for N = cols steps of --paths.
func csvHeaderBytes(cols uint64, paths bool) uint64 {
	if !paths {
		return uint64(len("lane,temperature\n"))
	}
	// ",step" and the step's digits for each step 1..cols.
	return count.SatAdd(uint64(len("lane\n")), count.SatMul(cols, uint64(len(",step"))), digitsBelow(count.SatAdd(cols, 1))-1)
}

// csvLeast is the least a CSV of rows x cols values takes: the header, a
// row's index in digits, a comma and at least a digit a value, and a line
// end.
func csvLeast(rows, cols uint64, paths bool) uint64 {
	return count.SatAdd(csvHeaderBytes(cols, paths), digitsBelow(rows), count.SatMul(rows, count.SatAdd(count.SatMul(cols, 2), 1)))
}

// csvMost is the most a CSV of rows x cols values takes: csvLeast with
// every value value bytes long (float32Most: the longest text of the run's
// values; csvMaxValue counted 15 bytes a value where the default job's take
// at most 10, 40% above its file).
func csvMost(rows, cols uint64, paths bool, value uint64) uint64 {
	return count.SatAdd(csvLeast(rows, cols, paths), count.SatMul(count.SatMul(rows, cols), value-1))
}

// csvNeed is what the CSV of p's finals (--out: rows = p.Lanes, cols = 1)
// or of the trajectories of its first rows lanes (--paths: cols = p.Steps)
// takes on disk, never less: its exact size (exact true) where its values
// can be computed and written within csvExactWork, by the reference model
// and outfile.AppendFloat32 as the file writes them (lane i's values are
// the same on every engine: docs/reproducibility.md); else csvMost, every
// value at the longest text of p's range (float32Most). A lower figure, such as an estimate from a sample
// of the lanes, can be short of the file by less than its margin and let a
// run go on that then fails at the write with its work lost
// (TestCSVDiskTight).
func csvNeed(p sim.Params, rows, cols uint64, paths bool) (n uint64, exact bool) {
	steps := max(uint64(p.Steps), 1)
	if rows > csvExactWork/count.SatAdd(steps, count.SatMul(cols, csvWriteWork)) {
		return csvMost(rows, cols, paths, float32Most(p, false)), false
	}
	workers := uint64(min(runtime.GOMAXPROCS(0), csvWorkers))
	sums := make([]uint64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { sums[w] = csvRowsSize(p.Model(), w*rows/workers, (w+1)*rows/workers, cols, paths) })
	}
	wg.Wait()
	n = count.SatAdd(csvHeaderBytes(cols, paths), digitsBelow(rows))
	for _, s := range sums {
		n += s
	}
	return n, true
}

// csvRowsSize is the size of rows lo..hi-1 of csvNeed's CSV, less their
// index's digits: each value as outfile.AppendFloat32 writes it, the
// commas and the line end.
func csvRowsSize(model sim.Model, lo, hi, cols uint64, paths bool) uint64 {
	var path []float32
	if paths {
		path = make([]float32, cols)
	}
	var buf []byte
	var n uint64
	for lane := lo; lane < hi; lane++ {
		n += 1 + cols // the commas and the line end
		if paths {
			model.Path(lane, path)
			for _, x := range path {
				n += uint64(len(outfile.AppendFloat32(buf[:0], x)))
			}
		} else {
			n += uint64(len(outfile.AppendFloat32(buf[:0], model.Final(lane))))
		}
	}
	return n
}
