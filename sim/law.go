package sim

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// Law is the exact distribution of a lane's temperature after n steps of the
// recurrence with the float32 parameters the engines use. A lane is a sum of
// independent normals, so it is Normal(mean, sd) with mean and sd from
// Params.Exact:
//
//	mean = anchor + p^n (start - anchor)
//	var  = sigma^2 (1 - p^(2n)) / (1 - p^2)   (n sigma^2 when |p| = 1)
//
// A law with Sigma 0 (no steps or no noise) is the point mass at Mu.
func (p Params) Law(n int) distuv.Normal {
	mu, sd := p.Exact(n)
	return distuv.Normal{Mu: mu, Sigma: sd}
}

// LawQuantile is the q-quantile of law, q in (0, 1), Mu + Sigma
// NormalQuantile(q) as gonum's Normal.Quantile computes it but with the
// product rounded before the sum (gonum's may be fused into one FMA on
// arm64, ppc64le, s390x and riscv64); Mu when the law is a point mass
// (gonum's Quantile needs Sigma > 0).
func LawQuantile(law distuv.Normal, q float64) float64 {
	if !(law.Sigma > 0) {
		return law.Mu
	}
	return law.Mu + float64(law.Sigma*mathext.NormalQuantile(q))
}

// ZMean is the z-score of the sample mean of n lanes against law: the mean of
// n draws of Normal(mu, sd) has standard error sd/sqrt(n). NaN when n is 0 or
// the law is a point mass.
func ZMean(mean float64, n uint64, law distuv.Normal) float64 {
	if !(law.Sigma > 0) || n == 0 {
		return math.NaN()
	}
	return (mean - law.Mu) / (law.Sigma / math.Sqrt(float64(n)))
}

// ZStd is the z-score of the sample standard deviation of n lanes against
// law: for normal data its asymptotic standard error is sd/sqrt(2n) (Kendall
// and Stuart, The Advanced Theory of Statistics, vol. 1, 10.8). NaN when n is
// below 2 (one lane has no spread, and would always score -sqrt(2)) or the
// law is a point mass.
func ZStd(std float64, n uint64, law distuv.Normal) float64 {
	if !(law.Sigma > 0) || n < 2 {
		return math.NaN()
	}
	return (std - law.Sigma) / (law.Sigma / math.Sqrt(2*float64(n)))
}

// FormatZ writes a z-score as every report and table does: to two decimals
// with its sign, "-" when it is undefined (NaN, as of one lane's sd, or
// infinite), and one of a million or more to three digits (+1.23e+300
// rather than 301 digits, which no table cell is sized for).
func FormatZ(z float64) string {
	switch {
	case math.IsNaN(z) || math.IsInf(z, 0):
		return "-"
	case math.Abs(z) >= 1e6:
		return fmt.Sprintf("%+.3g", z)
	}
	return fmt.Sprintf("%+.2f", z)
}

// QuantileName is a quantile level's name in reports, JSON keys and CSV
// headers: p05 for 0.05, p50 for 0.5.
func QuantileName(q float64) string { return fmt.Sprintf("p%02.0f", 100*q) }

// Exact returns the exact mean and standard deviation of the temperature after
// n steps of the recurrence with the float32 parameters the engines use:
//
//	mean = anchor + p^n (start - anchor)
//	var  = sigma^2 (1 - p^(2n)) / (1 - p^2)   (n sigma^2 when |p| = 1)
//
// each to within about an ulp of float64 (sim's TestExactAgainstBig checks
// them against math/big), whatever p and n: they are computed in
// double-double (dd), with p^n by squaring (powDD). In float64 they
// cancel: near |p| = 1, 1 - p^(2n) and 1 - p^2 lose the digits that
// p^(2n) and p^2 share with 1 (the sd erred by 1.9e4 ulps at
// --persistence 0.9999999 after 12345 steps), math.Pow's squarings err by
// up to n ulps of p^n (the sd by 3.2e6 ulps, 7e-10 relative, at 1 + 2^-20
// over 2^28 steps), p^n start + (1 - p^n) anchor lost the start where p^n
// is large (0 for start = anchor = 1 there), and where |anchor| is far
// larger than |start|, start - anchor rounds in float64 (a walk from 1
// under an anchor of 1e16 read 0; it is exact in double-double). The mean
// is start exactly when p^n = 1 (|p| = 1 with n even, or n = 0), and
// anchor when start = anchor, however large p^n.
func (p Params) Exact(n int) (mean, sd float64) {
	m := p.Model()
	pp, a, s0, s := float64(m.P), float64(m.Anchor), float64(m.Start), float64(m.Sigma)
	return exactMean(pp, s0, a, n), exactSD(pp, s, n)
}

// exactMean is anchor + p^n (start - anchor), rounded once from
// double-double: start - anchor is exact in it, and the product's error is
// a few 2^-100 of itself.
func exactMean(p, start, anchor float64, n int) float64 {
	d := twoSum(start, -anchor)
	if d.hi == 0 || p == 0 && n > 0 {
		// No deviation to carry, or none left: the anchor, +0 for -0, as
		// exactSD's (the report printed -0.000000e+00).
		return anchor + 0
	}
	pm, pe := powDD(p, n)
	dev := pm.mul(d).ldexp(pe)
	if p < 0 && n%2 == 1 {
		dev = dev.neg()
	}
	if math.IsInf(dev.hi, 0) {
		return dev.hi // p^n (start - anchor) past float64: a run Validate refuses
	}
	return dev.add(dd{anchor, 0}).hi
}

// exactSD is sigma sqrt((1 - p^(2n)) / (1 - p^2)), sigma sqrt(n) at |p| = 1,
// 0 with no steps (+0: the formula gave -0 at |p| > 1, which the reports
// printed as -0.0000) or no noise (also where p^(2n) overflows float64:
// 0 times Inf read NaN at --persistence 1e30 from 0 after 6 steps, which a
// JSON report cannot hold). p and sigma are float32 values, so p^2 and
// sigma^2 are exact in float64; the quotient is computed in double-double
// and rounded once, the square root once more. Where p^(2n) is past
// 2^1000, the quotient is p^(2n) / (p^2 - 1) (the 1 below 2^-1000 of it)
// with p^(2n)'s exponent kept apart, so that an sd within float64 is
// found whether or not p^(2n) is.
func exactSD(p, sigma float64, n int) float64 {
	p2 := float64(p * p)
	var v dd
	var e int64 // v 2^e is the variance
	switch {
	case n == 0 || sigma == 0:
		return 0
	case p2 == 1:
		v = twoProd(float64(n), float64(sigma*sigma))
	default:
		pm, pe := powDD(p2, n)
		if pe > 1000 {
			v, e = pm.div(twoSum(p2, -1)), pe
		} else {
			v = dd{1, 0}.add(pm.ldexp(pe).neg()).div(twoSum(1, -p2))
		}
		v = v.mul(twoProd(sigma, sigma))
	}
	if e%2 != 0 {
		v, e = dd{2 * v.hi, 2 * v.lo}, e-1
	}
	// sqrt(hi + lo) = sqrt(hi) + lo / (2 sqrt(hi)) to first order.
	r := math.Sqrt(v.hi)
	if r != 0 && !math.IsInf(r, 0) {
		r += v.lo / (2 * r)
	}
	return math.Ldexp(r, int(max(min(e/2, 1<<12), -1<<12)))
}
