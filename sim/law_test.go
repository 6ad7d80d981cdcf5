package sim

import (
	"math"
	"math/big"
	"testing"
)

// exactBig is Params.Exact computed with math/big at exactBigPrec bits: the
// law of the float32 parameters (Model), mean = anchor + p^n (start -
// anchor), var = sigma^2 (1 + p^2 + ... + p^(2(n-1))), the sum written as
// (1 - p^(2n)) / (1 - p^2) where p^2 != 1. p^n by squaring: 32 squarings
// at most, each exact to exactBigPrec bits, so the reference errs by far
// less than a float64 ulp.
func exactBig(p Params, n int) (mean, sd float64) {
	m := p.Model()
	f := func(x float64) *big.Float { return new(big.Float).SetPrec(exactBigPrec).SetFloat64(x) }
	pp, a, s0, s := f(float64(m.P)), f(float64(m.Anchor)), f(float64(m.Start)), f(float64(m.Sigma))
	pn := bigPow(pp, n)
	mu := new(big.Float).Sub(s0, a)
	mu.Mul(mu, pn).Add(mu, a)
	mean, _ = mu.Float64()
	p2 := new(big.Float).Mul(pp, pp)
	v := f(float64(n))
	if p2.Cmp(f(1)) != 0 {
		num := new(big.Float).Sub(f(1), bigPow(p2, n))
		v.Quo(num, new(big.Float).Sub(f(1), p2))
	}
	v.Mul(v, s).Mul(v, s)
	sd, _ = new(big.Float).Sqrt(v).Float64()
	return mean, sd
}

const exactBigPrec = 4096

func bigPow(x *big.Float, n int) *big.Float {
	r := new(big.Float).SetPrec(exactBigPrec).SetInt64(1)
	b := new(big.Float).SetPrec(exactBigPrec).Set(x)
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			r.Mul(r, b)
		}
		b.Mul(b, b)
		if b.MantExp(nil) < -1<<20 {
			b.SetInt64(0) // far below float64's least: 0 to it
		}
	}
	return r
}

// ulps is how many float64 ulps of want got is from it (the ulp at want,
// the least normal's below it).
func ulps(got, want float64) float64 {
	if got == want {
		return 0
	}
	ulp := math.Nextafter(math.Abs(want), math.Inf(1)) - math.Abs(want)
	return math.Abs(got-want) / max(ulp, 0x1p-1074)
}

// TestExactAgainstBig: Exact's mean and sd are within a float64 ulp of
// exactBig's at persistences near 1 and -1 (1 -+ 2^-k for k up to 52),
// where 1 - p^(2n) and 1 - p^2 cancel in float64 (the sd was off by 1.9e4
// ulps at --persistence 0.9999999 after 12345 steps), at |p| = 1, tiny and
// large p, and step counts from 0 to MaxSteps, where math.Pow's squarings
// erred by up to n ulps (3.2e6 ulps in the sd at 1 + 2^-20 over 2^28
// steps).
func TestExactAgainstBig(t *testing.T) {
	const maxULPs = 1
	ps := []float64{0.5, 0.9, 0.999, 0.9999999, 1 - 0x1p-24, 1 - 0x1p-23, 1 - 0x1p-20, 1, 1 + 0x1p-23, 1 + 0x1p-20, 1.001, 3, 1e-3, 1e-30, 0x1p-149, 0}
	ns := []int{0, 1, 2, 3, 5, 10, 100, 12345, 1 << 20, 1<<24 + 7, 1 << 28, MaxSteps - 1, MaxSteps}
	starts := [][2]float64{{75, 72}, {1, 1e16}, {-3e37, 3e37}, {0, 1e-3}, {1e-30, 0}, {1, 1}}
	type job struct {
		p0     float64
		starts [][2]float64
	}
	var jobs []job
	for _, p0 := range ps {
		jobs = append(jobs, job{p0, starts})
	}
	// p = 1 - 2^-k, which float32 keeps up to k = 24 and rounds to 1 past
	// it (the law is of the float32 value).
	for k := 1; k <= 52; k++ {
		jobs = append(jobs, job{1 - math.Ldexp(1, -k), starts[:1]}, job{1 + math.Ldexp(1, -k), starts[:1]})
	}
	for _, j := range jobs {
		p0 := j.p0
		for _, sign := range []float64{1, -1} {
			for _, n := range ns {
				for _, sa := range j.starts {
					p := Default()
					p.Persistence, p.Start, p.Anchor, p.Steps = sign*p0, sa[0], sa[1], n
					if p0 > 1 && float64(n)*math.Log2(p0) > 1000 {
						continue // p^n past float64: no run reaches it (Validate)
					}
					m, sd := p.Exact(n)
					wm, wsd := exactBig(p, n)
					if math.IsInf(wm, 0) || math.IsInf(wsd, 0) || wsd > 1e300 {
						continue // past float64: no run reaches it (Validate)
					}
					if um, us := ulps(m, wm), ulps(sd, wsd); um > maxULPs || us > maxULPs || math.IsNaN(m+sd) {
						t.Errorf("--persistence %g --start %g --anchor %g: Exact(%d) = %v, %v, want %v, %v (%.3g and %.3g ulps)", p.Persistence, p.Start, p.Anchor, n, m, sd, wm, wsd, um, us)
					}
				}
			}
		}
	}
}

// TestFormatZ: one form of a z-score for the run report and bench's tables.
// The report wrote an infinite z-score as "+Inf" and a huge one in full
// (301 digits for 1e300), where bench wrote "-" and "+1e+300".
func TestFormatZ(t *testing.T) {
	for _, c := range []struct {
		z    float64
		want string
	}{
		{0, "+0.00"}, {-1.234, "-1.23"}, {4.999, "+5.00"}, {999999.99, "+999999.99"},
		{1e6, "+1e+06"}, {-1.2345e300, "-1.23e+300"},
		{math.NaN(), "-"}, {math.Inf(1), "-"}, {math.Inf(-1), "-"},
	} {
		if got := FormatZ(c.z); got != c.want {
			t.Errorf("FormatZ(%g) = %q, want %q", c.z, got, c.want)
		}
	}
}
