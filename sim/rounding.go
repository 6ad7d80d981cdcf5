package sim

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gpusim/gpusim/internal/count"
)

// Rounding bounds how far float32 rounding can move the statistics of a
// job's lanes from the exact law's (Params.Law), which is the law of the
// recurrence computed in exact arithmetic.
type Rounding struct {
	Mean float64 // bound on |E[T_n] - law mean|
	Std  float64 // bound on |sd(T_n) - law sd|
}

// Unit roundoff of float32 and half the smallest subnormal: a rounding to
// nearest of x errs by at most half an ulp of x, which is at most
// half(|x|) = roundoff |x| + tiny (Higham, Accuracy and Stability of
// Numerical Algorithms, 2nd ed., theorem 2.2, with the subnormal range's
// absolute error 2^-150).
const (
	roundoff = 0x1p-24
	tiny     = 0x1p-150
)

func half(x float64) float64 { return float64(roundoff*x) + tiny }

// Rounding returns the bounds after n steps. One step of Model.Step
// rounds four times, u1 = fl(P t), u2 = fl(u1 + C), v = fl(Sigma z),
// t' = fl(u2 + v), so with M(k) a bound on |t| after k steps
// (M(0) = |Start|, |z| <= MaxNormal) the step's error is at most
//
//	E(k) = e1 + e2 + e3 + e4,  e_i = half(a_i)
//	a1 = |P| M(k-1)           (the exact P t)
//	a2 = a1 + e1 + |C|        (u1 + C)
//	a3 = Sigma MaxNormal      (Sigma z)
//	a4 = a2 + e2 + a3 + e3    (u2 + v)
//	M(k) = a4 + e4
//
// and the errors propagate like the state: the float32 lane is the exact
// recurrence plus D(n), D(k) = P D(k-1) + e(k), |e(k)| <= E(k), so
//
//	|D(n)| <= B(n) = sum_k |P|^(n-k) E(k)
//
// B(n) bounds the mean's shift and, since sd(T + D) is within sd(D) <=
// max |D| of sd(T) (Minkowski's inequality), the sd's. The mean moves also
// by the rounding of C = fl(fl(1 - P) A), a shift of dC = C - (1 - P) A
// every step, dC (1 + |P| + ... + |P|^(n-1)) in all. The bounds are worst
// cases: rounding errors of opposite signs cancel in practice, so the
// statistics are usually much closer.
func (p Params) Rounding(n int) Rounding { return p.rounding(n, nil) }

// RoundingSteps returns Rounding(k) for k = 1..n in one pass, for per-step
// statistics.
func (p Params) RoundingSteps(n int) []Rounding {
	rs := make([]Rounding, n)
	p.rounding(n, rs)
	return rs
}

// rounding returns Rounding(n) and, when out is not nil, stores Rounding(k)
// in out[k-1] for k = 1..n. With |P| < 1 the bounds reach a fixed point
// after some hundreds of steps, and the loop stops there.
func (p Params) rounding(n int, out []Rounding) Rounding {
	m := p.Model()
	pp, c, s := math.Abs(float64(m.P)), math.Abs(float64(m.C)), float64(m.Sigma)
	dC := math.Abs(float64(m.C) - float64((1-float64(m.P))*float64(m.Anchor)))
	M := math.Abs(float64(m.Start))
	var b, g float64
	var r Rounding
	for k := 1; k <= n; k++ {
		a1 := float64(pp * M) // |P t|
		e1 := half(a1)
		a2 := a1 + e1 + c // |u1 + C|
		e2 := half(a2)
		a3 := float64(s * MaxNormal) // |Sigma z|
		e3 := half(a3)
		a4 := a2 + e2 + a3 + e3 // |u2 + v|
		e4 := half(a4)
		b2, g2 := float64(pp*b)+e1+e2+e3+e4, float64(pp*g)+dC
		fixed := a4+e4 == M && b2 == b && g2 == g
		M, b, g = a4+e4, b2, g2
		// The float64 arithmetic here errs by far less than a float32
		// ulp; a relative margin of 2^-40 covers it.
		r = Rounding{Mean: (b + g) * (1 + 0x1p-40), Std: b * (1 + 0x1p-40)}
		if fixed {
			for i := k - 1; i < len(out); i++ {
				out[i] = r
			}
			return r
		}
		if out != nil {
			out[k-1] = r
		}
		if out == nil && k == loopSteps && n > k {
			// No fixed point yet (|P| >= 1, or |P| within about
			// 1/loopSteps of 1): the rest in log2(n - k) steps. The
			// bound needs b and g alone; M is only the next step's input.
			_, b, g = p.roundingJump(M, b, g, n-k)
			m := 1 + jumpMargin(n)
			return Rounding{Mean: (b + g) * m, Std: b * m}
		}
	}
	return r
}

// loopSteps is how many steps rounding walks one by one before it jumps
// the rest: stepping all 2^32 of --steps 4294967296 at |persistence| 1 took
// some 45 s, before the run (its note) and again after it (its report).
const loopSteps = 1 << 16

// roundingJump returns M, b and g of rounding after n more steps from M, b
// and g. A step is affine in them, half being affine, so with q = 1 + u
// (u = roundoff) and tau = tiny it is the matrix
//
//	M' = alpha M + beta         alpha = q^3 |P|
//	b' = |P| b + gamma M + delta gamma = u |P| (1 + q + q^2)
//	g' = |P| g + dC
//
// (beta and delta the constant parts of M(k) and E(k)), and n steps its
// n-th power, by squaring. Every entry is at least 0; the products'
// float64 errors are covered by jumpMargin in place of the loop's 2^-40.
func (p Params) roundingJump(M, b, g float64, n int) (float64, float64, float64) {
	m := p.Model()
	pp, c, s := math.Abs(float64(m.P)), math.Abs(float64(m.C)), float64(m.Sigma)
	dC := math.Abs(float64(m.C) - float64((1-float64(m.P))*float64(m.Anchor)))
	const u, q = roundoff, 1 + roundoff
	a3 := float64(s * MaxNormal)
	e3 := half(a3)
	k4 := tiny + a3 + e3 // a4 = q a2 + k4
	a := mat4{
		{q * q * q * pp, 0, 0, float64(q*q*(tiny+c)) + float64(q*k4) + tiny},
		{u * pp * (1 + q + float64(q*q)), pp, 0, float64(u*(float64((tiny+c)*(1+q))+k4)) + 3*tiny + e3},
		{0, 0, pp, dC},
		{0, 0, 0, 1},
	}
	x := [4]float64{M, b, g, 1}
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			x = a.apply(x)
		}
		a = a.mul(a)
	}
	return x[0], x[1], x[2]
}

// jumpMargin is the relative margin that covers the float64 errors of
// rounding's bound after n steps, roundingJump's powers included. A
// squaring doubles the relative error its factors carry and adds that of
// its own sums of four products, so the n-th power errs by up to some
// n (r0 + 5 eps), r0 <= 8 eps that of the matrix's entries: 16 n eps
// covers it (about 7.6e-6 at 2^32 steps, where the errors came to 1e-9 at
// --persistence 0.9999999, above the flat 2^-30 that was the margin, which
// put the bound below the exact recurrence's), and 2^-30 the loop's steps
// before the jump.
func jumpMargin(n int) float64 { return 0x1p-30 + float64(16*float64(n)*0x1p-53) }

// mat4 is a 4 x 4 matrix of bounds, all at least 0.
type mat4 [4][4]float64

// mul returns a b, taking 0 times +Inf as 0: a 0 is no dependence, however
// large the other factor has grown (0 times +Inf is NaN).
func (a mat4) mul(b mat4) mat4 {
	var c mat4
	for i := range 4 {
		for j := range 4 {
			for k := range 4 {
				c[i][j] += times(a[i][k], b[k][j])
			}
		}
	}
	return c
}

// apply returns a x.
func (a mat4) apply(x [4]float64) [4]float64 {
	var y [4]float64
	for i := range 4 {
		for k := range 4 {
			y[i] += times(a[i][k], x[k])
		}
	}
	return y
}

// times is x y with 0 times anything 0.
func times(x, y float64) float64 {
	if x == 0 || y == 0 {
		return 0
	}
	return x * y
}

// allow shrinks d towards 0 by tol: the deviation beyond what rounding can
// explain.
func allow(d, tol float64) float64 {
	if math.Abs(d) <= tol {
		return 0
	}
	return math.Copysign(math.Abs(d)-tol, d)
}

// ZMeanWithin is ZMean allowing the mean of the lanes' law to be off the
// exact law's by up to tol (Rounding.Mean): the sample mean's distance
// beyond law.Mu +/- tol, in standard errors, 0 inside it. So |z| > 4 still
// means a bug where float32 rounding cannot explain the difference. NaN,
// as ZMean's undefined score, where tol reaches the law's sd: lanes may
// then sit an sd or more from the exact mean with nothing wrong, and a 0
// would read as a pass of a test that cannot tell a mean off by an sd (it
// was reported where only the sd's bound was checked, as at --start 1250
// --anchor -1.096e6 --persistence 0.904 --sigma 0.0149 --steps 1: the
// mean's bound 0.0163, the sd 0.0149, the sd's bound 0.0127).
func ZMeanWithin(mean float64, n uint64, law distuv.Normal, tol float64) float64 {
	if !(law.Sigma > 0) || n == 0 || tol >= law.Sigma {
		return math.NaN()
	}
	return allow(mean-law.Mu, tol) / (law.Sigma / math.Sqrt(float64(n)))
}

// ZStdWithin is ZStd allowing the lanes' sd to be off the exact law's by
// up to tol (Rounding.Std); NaN where tol reaches the law's sd.
func ZStdWithin(std float64, n uint64, law distuv.Normal, tol float64) float64 {
	if !(law.Sigma > 0) || n < 2 || tol >= law.Sigma { // one lane has no spread: always -sqrt(2)
		return math.NaN()
	}
	return allow(std-law.Sigma, tol) / (law.Sigma / math.Sqrt(2*float64(n)))
}

// TestsNothing reports whether rounding r can move the sd by as much as the
// exact sd: the z-scores then test nothing, and are reported as undefined
// (null) rather than as a 0 that reads as a pass. The mean's bound is at
// least the sd's (it adds C's rounding), so the mean's z-score then tests
// nothing too; MeanTestsNothing says where only the mean's does.
func (r Rounding) TestsNothing(sd float64) bool { return r.Std >= sd }

// MeanTestsNothing reports whether rounding r can move the mean by as much
// as the exact sd: the mean's z-score then tests nothing (ZMeanWithin).
func (r Rounding) MeanTestsNothing(sd float64) bool { return r.Mean >= sd }

// noteFraction and noteErrors are where PrecisionNote speaks: rounding
// that can move the statistics by a hundredth of the exact sd, or by half a
// standard error of the z-scores (which shrink by that much), weakens them.
const (
	noteFraction = 0.01
	noteErrors   = 0.5
)

// PrecisionNote returns a note, for the CLI to print, when float32 cannot
// carry the job's statistics: --sigma (or --start, --anchor, --persistence)
// rounds to 0, or rounding can move the final mean or sd (Rounding) by a
// hundredth of the exact sd or more, or by half a standard error or more at
// lanes, the lanes whose z-scores are reported (a shard's, a merge's; the
// standard errors are sd/sqrt(lanes) for the mean, sd/sqrt(2 lanes) for the
// sd, the units of ZMean and ZStd), when the z-scores allow for it and test
// correspondingly less. Where the bound on the mean, or on both, reaches
// the exact sd, the z-scores it concerns test nothing: the note gives the
// worst case in sds (in absolute terms it compounds to numbers that say
// little, 8.62e+119 at --persistence 0.9999999 over 2^32 steps) and, where
// fewer steps would bring the bound within a tenth of the sd, the most
// such --steps (testableAt). It returns ""
// when the parameters are well within float32's precision. The notes name
// a flag's value as typed holds it (Typed.Quote; nil for none).
func (p Params) PrecisionNote(lanes uint64, typed Typed) string {
	m := p.Model()
	if p.Sigma > 0 && m.Sigma == 0 {
		return fmt.Sprintf("--sigma %s is 0 in float32 (the smallest is %.3g): the runs have no noise", typed.Quote("sigma", p.Sigma), math.SmallestNonzeroFloat32)
	}
	if math.Abs(p.Persistence) != 1 && math.Abs(float64(m.P)) == 1 {
		// A mean-reverting model that float32 makes a random walk (or the
		// reverse side of 1): the exact law is computed from the float32
		// value, but the user asked for another model.
		// float32's spacing is 2^-24 below 1, 2^-23 above (it read
		// 5.96e-08 for --persistence 1.00000003).
		side, spacing := "below", 0x1p-24
		if math.Abs(p.Persistence) > 1 {
			side, spacing = "above", 0x1p-23
		}
		return fmt.Sprintf("--persistence %s is %g in float32 (its spacing %s 1 is %.3g): the runs are a random walk, not mean-reverting", typed.Quote("persistence", p.Persistence), m.P, side, spacing)
	}
	for _, f := range []struct {
		flag string
		v    float64
		f32  float32
	}{{"start", p.Start, m.Start}, {"anchor", p.Anchor, m.Anchor}, {"persistence", p.Persistence, m.P}} {
		if f.v != 0 && f.f32 == 0 {
			// A negative one is -0, as the job line writes it.
			return fmt.Sprintf("--%s %s is %s in float32 (the smallest is %.3g): the runs use %[3]s", f.flag, typed.Quote(f.flag, f.v), F32Text(f.f32), math.SmallestNonzeroFloat32)
		}
	}
	mean, sd := p.Exact(p.Steps)
	if lanes == 0 {
		return "" // no z-scores to weaken (an empty shard has none)
	}
	if !(sd > 0) {
		return p.noiselessNote(mean)
	}
	r := p.Rounding(p.Steps)
	n := float64(lanes)
	zm, zs := r.Mean/(sd/math.Sqrt(n)), r.Std/(sd/math.Sqrt(2*n))
	switch {
	case r.TestsNothing(sd):
		return fmt.Sprintf("float32 rounding can move the sd %s: the z-scores test nothing and are not reported%s (%s)", p.againstSD(r.Std, sd), p.testableAt(), p.precisionAdvice(sd))
	case r.MeanTestsNothing(sd):
		return fmt.Sprintf("float32 rounding can move the mean %s: its z-score tests nothing and is not reported%s; the sd's allows for up to %.3g, %.3g standard errors at %d %s (%s)", p.againstSD(r.Mean, sd), p.testableAt(), r.Std, zs, lanes, laneNoun(lanes), p.precisionAdvice(sd))
	case max(r.Mean, r.Std) >= noteFraction*sd || max(zm, zs) >= noteErrors:
		return fmt.Sprintf("float32 rounding can move the mean %s and the sd %s (exact sd %.3g), %.3g and %.3g standard errors at %d %s; the z-scores allow for it and test that much less", upTo(r.Mean), upTo(r.Std), sd, zm, zs, lanes, laneNoun(lanes))
	}
	return ""
}

// noiselessNote says, for a job without noise (sd 0: --sigma 0, or 0 in
// float32), where float32 ends the one path every lane takes, when that
// is not the exact law's mean (exact, rounded to float32): with no
// z-scores, the report printed a simulated mean of 75 beside an exact
// 74.9644 (--persistence 0.9999999 over 1e5 steps, where each step's
// rounding keeps the lanes at their start), and -1e+30 beside 1 (start and
// anchor 1 at --persistence 1e30, where float32 makes c = (1 - p) a equal
// to -p), without a word, where any noise gave a note. "" where the path
// ends at the mean. A path that does not repeat a value within
// noiselessSteps is not walked to its end (unwalkedNote).
func (p Params) noiselessNote(exact float64) string {
	if p.Steps == 0 {
		return ""
	}
	end, ok := p.noiselessEnd(p.Model())
	if !ok {
		return p.unwalkedNote(exact)
	}
	if float64(end) == float64(float32(exact)) {
		return ""
	}
	return fmt.Sprintf("with no noise every lane takes one path, which float32's rounding ends at %.7g, %.3g from the exact law's mean %.7g (its worst case over %s is %.3g): the simulated and exact columns differ by that",
		end, math.Abs(float64(end)-exact), exact, count.Noun(p.Steps, "step"), p.Rounding(p.Steps).Mean)
}

// unwalkedNote is noiselessNote's for a path too long to walk before the
// run (no value repeats within noiselessSteps): where rounding's worst case
// on the mean (Rounding) allows an end other than the exact mean in
// float32, the note says how far the end can be. Such a path said nothing:
// --persistence 0.9999 --anchor 1e4 --start 0 --sigma 0 over 1e5 steps
// ends at 9993.459, beside an exact 9999.547, and the report has no
// z-scores to show it. "" where the bound keeps the end at the mean.
func (p Params) unwalkedNote(exact float64) string {
	bound := p.Rounding(p.Steps).Mean
	mean := float32(exact)
	if !(bound > 0) || (float32(exact-bound) == mean && float32(exact+bound) == mean) {
		return ""
	}
	far := fmt.Sprintf("as far as %.3g", bound)
	if math.IsInf(bound, 1) {
		far = "without bound (its worst case grows past float64's range)"
	}
	return fmt.Sprintf("with no noise every lane takes one path, which float32's rounding can end %s from the exact law's mean %.7g over %s (the path does not repeat a value within %d steps, so it is not walked before the run): the simulated and exact columns may differ by that",
		far, exact, count.Noun(p.Steps, "step"), noiselessSteps)
}

// laneNoun is "lane" or "lanes", as n asks.
func laneNoun(n uint64) string {
	if n == 1 {
		return "lane"
	}
	return "lanes"
}

// againstSD says how far rounding can move a statistic against the exact
// sd: as far as the sd or more, and the worst case itself in sds, which
// compounds over many steps to numbers that say little by themselves (8.62e+119
// at --persistence 0.9999999 over 2^32 steps, where the sd is 1.02e+04).
func (p Params) againstSD(bound, sd float64) string {
	if math.IsInf(bound, 1) {
		return fmt.Sprintf("as far as the exact sd %.3g or more (its worst case grows past float64's range over %s)", sd, count.Noun(p.Steps, "step"))
	}
	sds := fmt.Sprintf("%.2g sds", bound/sd)
	if sds == "1 sds" {
		sds = "1 sd"
	}
	return fmt.Sprintf("as far as the exact sd %.3g or more (its worst case, %.3g, is %s over %s; errors of opposite signs cancel in practice)", sd, bound, sds, count.Noun(p.Steps, "step"))
}

// testableFraction is the rounding bound, as a fraction of the exact sd,
// up to which testableAt calls the z-scores useful: they allow for the
// bound (ZMeanWithin), so a statistic off by less than it is not caught,
// and a step count where the bound is just under the sd (13925 at
// --persistence 0.9999999, 0.99 sd) catches only errors of about an sd.
const testableFraction = 0.1

// testableAt says, where fewer steps would bring rounding's worst case on
// the mean (and so on the sd, whose bound is at most the mean's) within
// testableFraction of the exact sd, the most steps that do (found by
// bisection, assuming that rounding's bound grows against the sd with the
// steps; the count named is checked itself): "; at --steps N or fewer
// rounding's worst case is within a tenth of the sd, and the z-scores,
// which allow for it, would catch (|z| > 4) a mean or sd off by more than
// that and 4 standard errors", or "". A difference within the worst case
// scores 0 (the report marks it 0.00*): the note said they would catch
// anything off by more than a tenth of the sd, which at 1000 lanes (4
// standard errors are 0.13 sd) they do not.
func (p Params) testableAt() string {
	ok := func(n int) bool {
		q := p
		q.Steps = n
		_, sd := q.Exact(n)
		r := q.Rounding(n)
		return sd > 0 && r.Mean <= testableFraction*sd
	}
	if p.Steps < 2 || !ok(1) {
		return ""
	}
	lo, hi := 1, p.Steps // ok(lo), and the job's own steps not
	for hi-lo > 1 {
		if mid := lo + (hi-lo)/2; ok(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return fmt.Sprintf("; at --steps %d or fewer rounding's worst case is within a tenth of the sd, and the z-scores, which allow for it, would catch (|z| > 4) a mean or sd off by more than that and 4 standard errors", lo)
}

// upTo says how far rounding can move a statistic: "by up to" the bound, or,
// where the worst case grows past float64 (a walk of 2^32 steps at
// |persistence| 1 compounds (1 + 2^-24)^(4 n)), that it has none; the
// note read "by up to +Inf".
func upTo(bound float64) string {
	if math.IsInf(bound, 1) {
		return "without bound (its worst case grows past float64's range)"
	}
	return fmt.Sprintf("by up to %.3g", bound)
}

// precisionAdvice says what would bring the job back within float32's
// precision: what makes the temperatures large against their spread (a
// walk of |persistence| >= 1 over many steps, where one step alone is
// within it (swampedInOneStep), a far start or anchor, or
// a step's products with a huge persistence), a
// persistence so near 1 in magnitude that each step's rounding error
// survives about 1/(1 - |persistence|) steps (raising --sigma scales the
// errors with the spread), or a spread so small that float32's least
// values are coarse against it.
func (p Params) precisionAdvice(sd float64) string {
	a := math.Abs(float64(p.Model().P))
	switch {
	case a >= 1 && p.Steps > 1 && !p.swampedInOneStep():
		return "lower --steps, or |--persistence| below 1"
	case a > 1 && a*math.Max(math.Abs(p.Start), math.Abs(p.Anchor)) > sd:
		// One step of a huge persistence: its products p t and (1 - p)
		// anchor are far larger than the values they cancel to.
		return "lower |--persistence|, or |--start| and |--anchor|, or raise --sigma"
	case math.Max(math.Abs(p.Start), math.Abs(p.Anchor)) > sd:
		return "lower |--start| and |--anchor|, or raise --sigma"
	case a < 1 && 1-a < 1e-3 && p.Steps > 1000:
		return fmt.Sprintf("move --persistence further from 1 in magnitude, or lower --steps: each step's rounding error lasts about 1/(1 - |persistence|) = %s steps", count.SI(1/(1-a), 3))
	default:
		return "raise --sigma: values this small are near float32's least"
	}
}

// swampedInOneStep says whether rounding's bound on the mean reaches the
// exact sd after one step already: then the walk's length is not what
// swamps the sd (fewer steps, or |persistence| below 1, do not help), but
// far values or a spread too small for float32. --persistence 1 --start
// 1e30 --anchor 1e30 --sigma 1e-3 --steps 3 was told to lower --steps,
// where one step's worst case is 1.5e+26 sds.
func (p Params) swampedInOneStep() bool {
	q := p
	q.Steps = 1
	_, sd := q.Exact(1)
	return !(sd > 0) || q.Rounding(1).Mean >= sd
}

// HistogramNote returns a note, for the CLI to print, when a histogram the
// quantiles are read from cannot resolve the lanes' spread as finely as
// usual: an exact sd below the least NewHistogram takes (2^-118 for the
// final histogram, 2^-121 for each step's with daily), whose bins then stay
// 2^-126 wide (histWidth) instead of narrowing with the sd, so the quantiles
// are good only to that width, and where a bin is wider than HistSpan sds
// (an sd below 2^-129) they run from min to max in a few jumps. exact says
// the final quantiles are exact (the finals were kept), so only the daily
// histograms matter. remedy, where not "", is what makes the final
// quantiles exact where the caller runs (gpusim run's --out), said in
// parentheses after a final sd it names; a merge has none to name. It
// returns "" otherwise, and for sd 0 (every lane holds one value, which
// min and max give).
func (p Params) HistogramNote(daily, exact bool, remedy string) string {
	var which []string
	least := math.Inf(1) // the least sd named
	_, sd := p.Exact(p.Steps)
	final := !exact && sd > 0 && sd < histLeast(HistBins) // the final sd is named
	if final {
		which = append(which, fmt.Sprintf("the final sd %.3g is below %.3g", sd, histLeast(HistBins)))
		least = sd
	}
	// A step's sd grows with the steps (its variance adds a term each
	// step), so the first step's is the least.
	if _, sd := p.Exact(1); daily && p.Steps > 0 && sd > 0 && sd < histLeast(DailyBins) {
		which = append(which, fmt.Sprintf("the sd of step 1 (and maybe more) %.3g is below %.3g", sd, histLeast(DailyBins)))
		least = min(least, sd)
	}
	if len(which) == 0 {
		return ""
	}
	// Only where a bin is wider than HistSpan sds do the lanes (all but
	// about 1e-15 of them within HistSpan sds of the mean) fall in two or
	// three bins, so that the quantiles jump between min and max. Short of
	// that the bins still resolve the spread, only coarser than usual: the
	// note said the quantiles jump at an sd of 1.15e-37 (10 bins an sd, and
	// quantiles good to a tenth of it), and, until the threshold was
	// HistSpan sds, at one of 1.15e-38 (a bin about an sd wide, p05 off by
	// a fifth of it).
	// "Where the lanes differ": float32 may round every lane to one value
	// whatever the exact sd (--sigma 1e-45 is the least subnormal, whose
	// products with the normals round to 0), and then the quantiles are
	// exact; the note said they jump beside the footnote that every lane
	// ends at one value.
	spread := "wider than the spread, so the quantiles jump between min and max where the lanes differ"
	if histWidth <= HistSpan*least {
		spread = fmt.Sprintf("%.3g wide (%.2g of the sd %.3g) instead of narrowing with it, so the quantiles are good only to about that width", histWidth, histWidth/least, least)
	}
	s := fmt.Sprintf("%s, the least the histograms resolve in float32: their bins are %s", strings.Join(which, "; "), spread)
	if final && remedy != "" {
		s += " (" + remedy + ")"
	}
	return s
}

// histLeast is the least sd NewHistogram takes for n bins over HistSpan sds.
func histLeast(n int) float64 { return float64(n) / (2 * HistSpan) * histWidth }

// histWidth is the width of a bin of a histogram whose sd was raised to
// histLeast, whatever its number of bins: 2 HistSpan histLeast(n) / n.
const histWidth = 0x1p-126
