package sim

import (
	"fmt"
	"math"

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

// LawQuantile is the q-quantile of law, q in (0, 1); Mu when the law is a
// point mass (gonum's Quantile needs Sigma > 0).
func LawQuantile(law distuv.Normal, q float64) float64 {
	if !(law.Sigma > 0) {
		return law.Mu
	}
	return law.Quantile(q)
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

// QuantileName is a quantile level's name in reports, JSON keys and CSV
// headers: p05 for 0.05, p50 for 0.5.
func QuantileName(q float64) string { return fmt.Sprintf("p%02.0f", 100*q) }
