package runfiles

import (
	"math"

	"github.com/gpusim/gpusim/sim"
)

// textMost is the longest decimal strconv's shortest 'g' form (and
// outfile.AppendFloat32, which writes at most as many digits) writes for a
// number in [lo, hi] of at most digits significant digits (9 for a
// float32, 17 for a float64): by the number's decimal exponent E,
//
//	E in [-4, -1]: "0.", -E-1 zeros and the digits: digits + 1 - E
//	E in [0, 5]:   the digits and a point: digits + 1
//	else:          d.ddde-XX: digits + 3 and the exponent's 2 or 3 digits
//
// and a sign where lo < 0 (AppendFloat32's fallback of nine digits writes
// fixed notation up to E = 8, 10 characters, under the 14 of e-notation
// there). An interval about 0 takes every exponent below its largest. The
// interval is widened by 2^-20 of itself for a decimal that rounds up to
// the next power of ten. TestTextMost checks it over random numbers of
// random intervals, and that the bound is reached.
func textMost(lo, hi float64, digits int) uint64 {
	sign := 0
	if lo < 0 || math.Signbit(lo) {
		sign = 1
	}
	mlo, mhi := math.Min(math.Abs(lo), math.Abs(hi)), math.Max(math.Abs(lo), math.Abs(hi))
	if lo <= 0 && hi >= 0 {
		mlo = 0
	}
	if mhi == 0 {
		return uint64(1 + sign) // "0", "-0"
	}
	elo, ehi := -400, int(math.Floor(math.Log10(mhi*(1+0x1p-20))))
	if mlo > 0 {
		elo = int(math.Floor(math.Log10(mlo * (1 - 0x1p-20))))
	}
	most := 3 // "NaN", "0"
	for e := elo; e <= ehi; e++ {
		n := digits + 1
		switch {
		case e >= -4 && e <= -1:
			n = digits + 1 - e
		case e < -4 || e > 5:
			n = digits + 3 + 2
			if e <= -100 || e >= 100 {
				n++
			}
		}
		most = max(most, n)
	}
	return uint64(most + sign)
}

// float32Most is the longest outfile.AppendFloat32 writes for the float32s
// of p's run, which lie in p.Range(), or csvMaxValue for those of --math
// fast (fast), which only the device computes.
func float32Most(p sim.Params, fast bool) uint64 {
	if fast {
		return csvMaxValue
	}
	lo, hi := p.Range()
	return min(textMost(lo, hi, 9), csvMaxValue)
}
