package runfiles

import (
	"math"

	"github.com/gpusim/gpusim/internal/outfile"
	"github.com/gpusim/gpusim/sim"
)

// The sample a CSV's size is estimated from: up to csvSampleLanes lanes
// spread over the file's rows, computed with the reference model, within
// csvSampleWork lane-steps (about 0.1 s on one core); fewer than
// csvMinSample lanes fit in that for a job of very many steps, whose CSV is
// then counted at its least, a digit a value.
const (
	csvSampleLanes = 1024
	csvMinSample   = 32
	csvSampleWork  = 1 << 22
)

// csvMaxValue is the longest value AppendFloat32 writes: a sign, nine
// significant digits, a point and an exponent (-1.23456789e-38).
const csvMaxValue = 15

// csvHeaderBytes is the length of a CSV's header line: "lane,temperature"
// for --out (cols 0), "lane,step1,...,stepN" for N = cols steps of --paths.
func csvHeaderBytes(cols uint64, paths bool) uint64 {
	if !paths {
		return uint64(len("lane,temperature\n"))
	}
	// ",step" and the step's digits for each step 1..cols.
	return satAdd(uint64(len("lane\n")), satAdd(satMul(cols, uint64(len(",step"))), digitsBelow(satAdd(cols, 1))-1))
}

// csvLeast is the least a CSV of rows x cols values takes: the header, a
// row's index in digits, a comma and at least a digit a value, and a line
// end.
func csvLeast(rows, cols uint64, paths bool) uint64 {
	return satAdd(satAdd(csvHeaderBytes(cols, paths), digitsBelow(rows)), satMul(rows, satAdd(satMul(cols, 2), 1)))
}

// csvMost is the most a CSV of rows x cols values takes: csvLeast with
// every value csvMaxValue long.
func csvMost(rows, cols uint64, paths bool) uint64 {
	return satAdd(csvLeast(rows, cols, paths), satMul(satMul(rows, cols), csvMaxValue-1))
}

// csvEstimate is the size of the CSV of p's finals (--out: rows = p.Lanes,
// cols = 1) or of the trajectories of its first rows lanes (--paths: cols =
// p.Steps), from the values of a sample of its lanes written as the file
// writes them (outfile.AppendFloat32): csvLeast with the digits of a value
// beyond its first taken as the sample's mean per row, less six standard
// errors of that mean, six sds of the rows' sum, and 2% more for what a
// sample of a thousand lanes cannot see (lanes whose values are short and
// rarer than one in a thousand). It comes about 2% below the file's size
// (TestCSVDiskTight), so a file system short of room by more than a few per
// cent is refused and one with room is not, unless the lanes outside the
// sample write values shorter than the sample's by more than that margin.
// Where the sample cannot be computed within csvSampleWork it is csvLeast.
func csvEstimate(p sim.Params, rows, cols uint64, paths bool) uint64 {
	least := csvLeast(rows, cols, paths)
	steps := max(uint64(p.Steps), 1)
	m := min(rows, csvSampleLanes, csvSampleWork/steps)
	if m < min(rows, csvMinSample) || cols == 0 {
		return least
	}
	model := p.Model()
	var sum, sumSq float64
	var path []float32
	if paths {
		path = make([]float32, cols)
	}
	var buf []byte
	for j := range m {
		lane := j * (rows / m) // spread over the rows
		var extra uint64       // the row's value bytes beyond a digit each
		if paths {
			model.Path(lane, path)
			for _, x := range path {
				extra += uint64(len(outfile.AppendFloat32(buf[:0], x))) - 1
			}
		} else {
			extra = uint64(len(outfile.AppendFloat32(buf[:0], model.Final(lane)))) - 1
		}
		sum += float64(extra)
		sumSq += float64(extra) * float64(extra)
	}
	n := float64(m)
	mean := sum / n
	sd := math.Sqrt(max(sumSq/n-mean*mean, 0))
	r := float64(rows)
	more := 0.98 * (r*(mean-6*sd/math.Sqrt(n)) - 6*sd*math.Sqrt(r))
	if !(more > 0) {
		return least
	}
	if more >= math.MaxUint64 {
		return math.MaxUint64
	}
	return satAdd(least, uint64(more))
}
