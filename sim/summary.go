package sim

import (
	"fmt"
	"math"
)

// HistBins is the number of histogram bins between the edges; two more count
// the underflow (Bins[0]) and the overflow (Bins[HistBins+1]).
const HistBins = 4096

// HistSpan is the histogram's half-width in exact standard deviations.
const HistSpan = 8

// Histogram counts finals in equal bins. The bin of x is computed in float32
// so every engine finds the same one:
//
//	f = (x - Lo) * Scale        (two rounded float32 operations)
//	bin = f < 0 ? underflow : (int(f) >= n ? overflow : int(f))
type Histogram struct {
	Lo    float32  `json:"lo"`    // lower edge of the first of the n bins, degrees
	Scale float32  `json:"scale"` // bins per degree
	Bins  []uint64 `json:"bins"`  // n+2 lane counts: underflow, n bins in ascending order, overflow
}

// NewHistogram spans mean +/- span sds in n bins. A zero sd (no noise or no
// steps) gets a span of 2^-16 times max(|mean|, 1) so the bins stay finite,
// and an sd below n/(2 span) 2^-126 (2^-118 for the final histogram, 2^-121
// for the daily ones) is raised to it, so that Scale stays within float32
// (an sd of 1e-37 made it +Inf: every quantile read the minimum, and a part
// file could not be written).
func NewHistogram(mean, sd float64, span float64, n int) *Histogram {
	h := histogramOver(mean, sd, span, n)
	h.Bins = make([]uint64, n+2)
	return h
}

// histogramOver is NewHistogram's edges without its bins.
func histogramOver(mean, sd float64, span float64, n int) *Histogram {
	if !(sd > 0) {
		sd = math.Max(math.Abs(mean), 1) * 0x1p-16
	}
	if least := float64(n) / (2 * span) * 0x1p-126; sd < least {
		sd = least
	}
	return &Histogram{
		Lo:    float32(mean - float64(span*sd)),
		Scale: float32(float64(n) / (2 * span * sd)),
	}
}

// Bin returns the index into Bins of x: 0 (underflow) below Lo and for NaN,
// n+1 (overflow) from the last edge on, else 1 + x's bin among the n.
func (h *Histogram) Bin(x float32) int {
	f := float32(float32(x-h.Lo) * h.Scale)
	n := len(h.Bins) - 2
	if !(f >= 0) { // also NaN
		return 0
	}
	if f >= float32(n) {
		return n + 1
	}
	return int(f) + 1
}

// Add counts x.
func (h *Histogram) Add(x float32) { h.Bins[h.Bin(x)]++ }

// Edge returns the lower edge of bin i (0-based among the n bins), degrees.
func (h *Histogram) Edge(i int) float64 { return float64(h.Lo) + float64(i)/float64(h.Scale) }

// Merge adds o's counts. It returns an error, and adds nothing, unless both
// have the same Lo, Scale and number of bins.
func (h *Histogram) Merge(o *Histogram) error {
	if h.Lo != o.Lo || h.Scale != o.Scale || len(h.Bins) != len(o.Bins) {
		return fmt.Errorf("histograms differ in layout")
	}
	for i, c := range o.Bins {
		h.Bins[i] += c
	}
	return nil
}

// Quantile interpolates linearly within the bin that holds the q-th fraction
// of the counts, q in [0, 1], in degrees. Under- and overflow are clamped to
// the outer edges. NaN for an empty histogram.
func (h *Histogram) Quantile(q float64) float64 {
	var total uint64
	for _, c := range h.Bins {
		total += c
	}
	if total == 0 {
		return math.NaN()
	}
	n := len(h.Bins) - 2
	target := float64(q * float64(total))
	cum := float64(h.Bins[0])
	if target <= cum {
		return h.Edge(0)
	}
	for i := 0; i < n; i++ {
		c := float64(h.Bins[i+1])
		if c > 0 && target <= cum+c {
			return h.Edge(i) + (target-cum)/c/float64(h.Scale)
		}
		cum += c
	}
	return h.Edge(n)
}

// Outside reports whether Quantile(q) is at a rank among the lanes in the
// underflow or overflow bin, beyond the histogram's span, where it reads
// the span's edge rather than an interpolation: lanes more than HistSpan
// sds from the exact mean, which float32's rounding can put there when it
// holds the lanes far from the exact law. False for an empty histogram.
func (h *Histogram) Outside(q float64) bool {
	var total uint64
	for _, c := range h.Bins {
		total += c
	}
	if total == 0 {
		return false
	}
	target := float64(q * float64(total))
	return target <= float64(h.Bins[0]) || target > float64(total-h.Bins[len(h.Bins)-1])
}

// Summary is the mergeable result of a lane range: moments in float64 (Chan
// et al.'s pairwise update), exact count, extremes, histogram and digest.
type Summary struct {
	Count  uint64     // lanes counted
	Mean   float64    // mean final temperature, degrees
	M2     float64    // sum of squared deviations from Mean, degrees^2
	Min    float32    // least final temperature, +Inf for no lanes
	Max    float32    // greatest final temperature, -Inf for no lanes
	Digest uint64     // sum of the lanes' DigestTerm mod 2^64 (docs/reproducibility.md, section 5)
	Hist   *Histogram // the finals' histogram, mean +/- HistSpan exact sds

	// FloatDepth is 0 where every block's sums S1 and S2 were float64's
	// (the Go engines, OpenCL on a device with fp64), else the most
	// float32 additions a lane's deviation or its square passed through
	// on its way into its block's sums (an OpenCL device without fp64:
	// gpu's Precision, whose run derives it from weather.cl's summation
	// tree), which MomentErrors bounds in float's unit 2^-24; at most
	// MaxFloatDepth. A merge keeps the larger of its summaries' (the
	// worst).
	FloatDepth uint64

	// While every block added so far had the same shift, Mean is shift +
	// dev, and Chan's update works on dev: a block's mean as shift +
	// S1/N would round its deviation to the shift's ulp, which in the
	// between-block term costs digits when the spread is far below the
	// mean (a 1e-6 sd around 73.5 lost 3e-10 of the sd over OpenCL's
	// many work-groups). Shift and SetShift carry the two across a part
	// file, so that a merge of shards keeps them too; a summary without
	// them (an old part's) merges by Mean.
	shift, dev float64
	shifted    bool
}

// Shift returns the shift and the deviation whose sum is s.Mean, when s
// keeps them: every block and summary merged into s had the same shift, and
// Mean was not set from outside since. ok is false otherwise, and for a
// summary of no lanes.
func (s *Summary) Shift() (shift, dev float64, ok bool) {
	if !s.keepsShift() {
		return 0, 0, false
	}
	return s.shift, s.dev, true
}

// SetShift sets s.Mean to shift + dev and keeps the two, as a summary that
// AddBlock built with that shift has them: Merge then combines s with
// summaries of the same shift on the deviations, as the run that made s
// did (a part file read back). It leaves Count and M2 alone; Shift reports
// the two once s counts lanes.
func (s *Summary) SetShift(shift, dev float64) {
	s.shift, s.dev, s.shifted = shift, dev, true
	s.Mean = shift + dev
}

// keepsShift reports whether s holds the lanes' mean as shift + dev (see
// Shift).
func (s *Summary) keepsShift() bool {
	return s.shifted && s.Count > 0 && s.Mean == s.shift+s.dev
}

// NewSummary returns an empty summary whose histogram spans the exact final
// distribution of p.
func NewSummary(p Params) *Summary {
	m, sd := p.Exact(p.Steps)
	return &Summary{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1)), Hist: NewHistogram(m, sd, HistSpan, HistBins)}
}

// MaxFloatDepth is the most a Summary's FloatDepth says: from (2^23 -
// 5)/3 on, MomentErrors' bound for float32 sums is infinite (no digit of
// the moments is certain), and a deeper tree is recorded as this one.
const MaxFloatDepth = 1 << 22

// Block accumulates lanes cheaply: sums of deviations from a fixed shift (the
// exact mean), which are folded into a Summary with AddBlock.
type Block struct {
	Shift    float64 // the fixed shift, degrees
	N        uint64  // lanes added
	S1, S2   float64 // sums of x - Shift and of its square
	Min, Max float32 // extremes of the lanes' finals
	Digest   uint64  // sum of the lanes' DigestTerm mod 2^64
}

// NewBlock starts a block with the given shift.
func NewBlock(shift float64) Block {
	return Block{Shift: shift, Min: float32(math.Inf(1)), Max: float32(math.Inf(-1))}
}

// Add counts one lane's final value.
func (b *Block) Add(lane uint64, x float32) {
	d := float64(x) - b.Shift
	b.N++
	b.S1 += d
	b.S2 += float64(d * d)
	b.Min = min(b.Min, x)
	b.Max = max(b.Max, x)
	b.Digest += DigestTerm(lane, math.Float32bits(x))
}

// AddBlock folds a block's sums into s (the histogram is counted
// separately). A block whose lanes all hold one finite value has mean
// that value and no spread: S2 - S1*S1/N would leave the rounding of two
// large equal sums when the shift (the exact law's mean) is far from the
// value, as with sigma 0. Such a block merges with the value as its shift,
// so that blocks of one value keep it exactly as their mean.
func (s *Summary) AddBlock(b *Block) {
	if b.N == 0 {
		return
	}
	n := float64(b.N)
	shift, dev := b.Shift, b.S1/n
	m2 := math.Max(b.S2-float64(b.S1*dev), 0)
	if b.Min == b.Max && !math.IsInf(float64(b.Min), 0) {
		shift, dev, m2 = float64(b.Min), 0, 0
		if shift == 0 {
			shift = 0 // the mean of -0s and +0s is +0, whichever came first
		}
	}
	s.mergeDev(b.N, shift, dev, m2)
	s.widen(b.Min, b.Max)
	s.Digest += b.Digest
}

// widen takes the extremes of lanes just merged into s. Where every lane
// counted ends at -0 (min and max -0: Go's min and max, and the kernels'
// zmin and zmax, order -0 below +0), the mean is -0, as the IEEE sum of
// -0s is: the moments' sums from a +0 shift, and Chan's update of two -0
// means, make it +0 (mean 0 beside min and max -0).
func (s *Summary) widen(mn, mx float32) {
	s.Min = min(s.Min, mn)
	s.Max = max(s.Max, mx)
	if s.Count > 0 && s.Min == s.Max && s.Max == 0 && math.Signbit(float64(s.Max)) {
		s.Mean = math.Copysign(0, -1)
	}
}

// mergeDev merges n lanes of mean shift+dev and sum of squared deviations
// m2 on the deviations from s's shift: another shift is carried into dev
// as (shift - s.shift) + dev, a difference that is exact where the two are
// within a factor of 2 of each other (Sterbenz), as a block of one value
// and the exact mean it was shifted from are where the lanes' spread is far
// below the mean. (It merged such blocks by their means, shift + dev
// rounded to the mean's ulp: with 4096 lanes at one value and one lane an
// ulp of 5.8e-4 below, 48 sds from the exact mean, OpenCL's blocks gave
// the sd 3e-9 off.) A summary that does not keep its shift merges by
// Mean (mergeMoments).
func (s *Summary) mergeDev(n uint64, shift, dev, m2 float64) {
	switch {
	case s.Count == 0:
		s.Count, s.M2 = n, m2
		s.shift, s.dev, s.shifted = shift, dev, true
		s.Mean = shift + dev
	case s.keepsShift():
		if shift != s.shift {
			dev += shift - s.shift
		}
		s.dev, s.M2 = chanMerge(s.Count, n, s.dev, dev, s.M2, m2)
		s.Count += n
		s.Mean = s.shift + s.dev
	default:
		s.mergeMoments(n, shift+dev, m2)
	}
}

func (s *Summary) mergeMoments(n uint64, mean, m2 float64) {
	if n == 0 {
		return
	}
	s.shifted = false
	if s.Count == 0 {
		s.Count, s.Mean, s.M2 = n, mean, m2
		return
	}
	s.Mean, s.M2 = chanMerge(s.Count, n, s.Mean, mean, s.M2, m2)
	s.Count += n
}

// chanMerge is Chan, Golub and LeVeque's pairwise update ("Algorithms for
// computing the sample variance", The American Statistician 37, 1983): the
// moments of the union of two disjoint sets of na and nb values, with means
// ma and mb (or both means' deviations from one shift) and sums of squared
// deviations m2a and m2b. It returns the union's mean (or deviation) and
// sum of squared deviations.
func chanMerge(na, nb uint64, ma, mb, m2a, m2b float64) (mean, m2 float64) {
	a, b := float64(na), float64(nb)
	t := a + b
	d := mb - ma
	return ma + d*b/t, m2a + (m2b + d*d*a*b/t)
}

// Merge combines a summary of a disjoint lane range into s. It returns an
// error, and changes nothing, if the two histograms' layouts differ.
func (s *Summary) Merge(o *Summary) error {
	if err := s.Hist.Merge(o.Hist); err != nil {
		return err
	}
	s.FloatDepth = max(s.FloatDepth, o.FloatDepth)
	if o.keepsShift() && (s.Count == 0 || s.keepsShift()) {
		if o.Count > 0 {
			s.mergeDev(o.Count, o.shift, o.dev, o.M2)
		}
	} else {
		s.mergeMoments(o.Count, o.Mean, o.M2)
	}
	if o.Count > 0 {
		s.widen(o.Min, o.Max)
	}
	s.Digest += o.Digest
	return nil
}

// MomentErrors bounds how far float64's sums can have moved s's Mean and
// Std from the lanes' own mean and sd (those of their float32 values in
// exact arithmetic), for a report to print only the digits they carry
// (docs/reproducibility.md, section 6), and so how far two engines'
// moments of the same lanes can be apart: at most the sum of their errors.
// shift is the exact mean the engines subtract (Params.Exact). NaN for no
// lanes; 0 where every lane holds one value (AddBlock keeps it exactly).
//
// The bound holds for every order of the sums the engines and merges use
// (a rounding-error analysis to first order in u = 2^-53, after Higham,
// "Accuracy and Stability of Numerical Algorithms", 2nd ed., SIAM 2002,
// sections 2.2 and 4.2, and the pairwise update of Chan, Golub and
// LeVeque, 1983; momentBound has the constants). A block of m lanes sums
// d = x - shift (one rounding: the relative error u) and d^2 along any
// binary tree (serial and simd lane by lane, OpenCL's vector lanes,
// work-items, groups and launches), so each sum is off by at most
// (m-1) u times the sum of its terms' magnitudes (Higham (4.4)); blocks
// and summaries merge with chanMerge along any tree (lane order, shards,
// devices). With n lanes, D the farthest lane from the shifts the sums
// of any order may use (the exact mean, any lane, the summary's own
// shift, and 0 for a merge by Mean: farthest), R^2 the lanes' mean squared deviation from the exact mean and
// g(n) = n u / (1 - n u):
//
//	mean error  <= e = g(10 n) D + u |Mean|
//	M2 error    <= g(3 n + 7) n R^2          (m <= n in every block)
//	sd error    <= e + f(Std, g(3 n + 7) R^2) + 2 u Std
//
// where f(s, v) = s - sqrt(s^2 - v), or max(s, sqrt(s^2 + v) - s) for
// s^2 <= v: the farthest sqrt of a variance within v of s^2.
//
// The mean's error is a weighted mean of each block's (at most m u D from
// its sum, u D from d's rounding) plus each merge's own (three roundings
// of a difference of two means within [Min, Max], and one of the sum: at
// most 9 u D, counting the shift carried onto the summary's); a lane's
// path crosses at most n - 1 merges. Those mean errors move the sd as a
// shift of each block's lanes would, at most e; M2's own roundings are
// (3m + 1) u times the block's sum of squares from S2 - S1 dev, and 8 u
// times each merge's M2 (at most its lanes' sum of squares). R^2 is at
// most D^2, and at most (Std^2 + (|Mean - shift| + e)^2) / (1 - g(3n+7)):
// an outlier far from the rest keeps R far below D. The errors grow as n:
// where float32 holds the lanes at a few values (every d one of a few
// float64 values) the roundings add up instead of cancelling, as a
// random walk's would (the fuzz test's draws 0x1e869d, 0x1e8ad6, 0x1e8b98
// and 0x3d1141: engines' sds 1e-9 to 7e-5 relative apart, where an
// estimate of (64 + sqrt(n)/4) 2^-52 D^2 for the variance allowed 3 to 30
// times less).
//
// Where a device summed the blocks in float32 (FloatDepth h > 0: an
// OpenCL device without fp64), each lane's d = x - float32(shift) is
// rounded to float (the relative error v = 2^-24, the deviation from
// float32(shift) at most D as D counts it) and its square too, and each
// passes through at most h float additions into its block's sums: by
// Higham's (4.3) each term carries at most h roundings, so S1 is off by at
// most g'(h + 1) times its terms' magnitudes and S2 by g'(h + 3) times
// its terms, g'(k) = k v / (1 - k v). S1 - its error moves the block's
// dev by at most g'(h + 1) D and its M2 = S2 - S1 dev by at most
// (g'(h + 3) + 2 g'(h + 1) + g'(h + 1)^2) m R^2 <= g'(3 h + 5) m R^2
// (|dev| times the sum of |d| is at most the sum of d^2, by
// Cauchy-Schwarz); a device that flushes float's subnormals to zero adds
// at most 2^-126 a lane to each sum and each d (and 2 D 2^-126 to
// dev S1): so
//
//	mean error  <= e = g(10 n) D + g'(h + 1) D + 2^-125 + u |Mean|
//	M2 error    <= (g(3 n + 7) + g'(3 h + 5)) n R^2 + (2 + 4 D) 2^-126 n
//
// and the sd's as above from them, R^2 now bounding the lanes' mean
// squared deviation from float32(shift) too. Both are +Inf where
// (3 h + 5) v reaches 1/2 or n D^2 reaches float's 2^127, where a sum
// may have overflowed.
//
// The lanes' range bounds both too, and where it is tighter it is the
// error: their mean is within [Min, Max], their sd within [0, (Max -
// Min)/2].
func (s *Summary) MomentErrors(shift float64) (mean, std float64) {
	if s.Count == 0 {
		return math.NaN(), math.NaN()
	}
	if s.Min == s.Max {
		return 0, 0 // one value, kept exactly (AddBlock)
	}
	lo, hi, sd := float64(s.Min), float64(s.Max), s.Std()
	d, dev := s.farthest(shift), s.Mean-shift
	if s.FloatDepth > 0 {
		fs := float64(float32(shift)) // the shift as the device holds it
		d = max(d, math.Abs(lo-fs), math.Abs(hi-fs))
		if math.Abs(s.Mean-fs) > math.Abs(dev) {
			dev = s.Mean - fs
		}
	}
	mean, std = momentBound(s.Count, d, dev, s.Mean, sd, s.FloatDepth)
	// The range's bounds: the farther end from Mean; the farther of 0 and
	// half the range from Std.
	mean = min(mean, max(s.Mean-lo, hi-s.Mean))
	std = min(std, max(sd, float64((hi-lo)/2)-sd)) // rounded: not fused into a multiply-subtract on arm64
	return mean, std
}

// farthest is D of MomentErrors: the lanes' farthest distance from the
// shifts the sums of any order of them may use: shift (each block's); any
// lane, as a block of equal lanes takes its value as its shift (AddBlock)
// and a summary the first shift merged into it (a shard of one lane, or
// of one value), within Max - Min of every lane; the summary's own shift
// (its merges'), or 0 where it merged by Mean. Counting Max - Min in every
// order keeps the bound one for every order: a merge of 5 shards of 3
// lanes, whose first lane became the shift, stated errors 6% above the
// run's of one block.
func (s *Summary) farthest(shift float64) float64 {
	lo, hi := float64(s.Min), float64(s.Max)
	d := max(math.Abs(lo-shift), math.Abs(hi-shift), hi-lo)
	own := 0.0
	if s.keepsShift() {
		own = s.shift
	}
	return max(d, math.Abs(lo-own), math.Abs(hi-own))
}

// momentBound is MomentErrors' bound before the range's: n lanes at most
// d from the shifts, mean - shift = dev (the larger of it from the shifts),
// the summed moments mean and sd, and the float32 sums' depth h (0 for
// float64's). Both are +Inf where 10 n u reaches 1/2 (n from 2^49 lanes:
// no bound to first order), d is not finite, or h's float sums reach
// MomentErrors' limits.
func momentBound(n uint64, d, dev, mean, sd float64, h uint64) (me, se float64) {
	const u, v = 0x1p-53, 0x1p-24
	g := func(k float64) float64 { return float64(k*u) / (1 - float64(k*u)) }
	gf := func(k float64) float64 { return float64(k*v) / (1 - float64(k*v)) }
	nf, hf := float64(n), float64(h)
	if !(10*nf*u < 0.5) || math.IsInf(d, 0) || math.IsNaN(d) {
		return math.Inf(1), math.Inf(1)
	}
	if h > 0 && !(float64(3*hf)+5 < 0.5/v && float64(nf*float64(d*d)) < 0x1p127) {
		return math.Inf(1), math.Inf(1)
	}
	// Every product that meets a sum is rounded (float64(...)): Go fuses
	// x*y + z on arm64, ppc64le, s390x, riscv64 and loong64 otherwise.
	e := float64(g(10*nf) * d)
	k := g(float64(3*nf) + 7)
	abs := 0.0 // float's flushed subnormals, on M2 / n
	if h > 0 {
		e += float64(gf(hf+1)*d) + 0x1p-125
		k += gf(float64(3*hf) + 5)
		abs = float64((2 + float64(4*d)) * 0x1p-126)
	}
	if !(k < 1) {
		return math.Inf(1), math.Inf(1)
	}
	me = e + float64(u*math.Abs(mean))
	far := math.Abs(dev) + e
	r2 := min(float64(d*d), (float64(sd*sd)+float64(far*far))/(1-k))
	vr := float64(k*r2) + abs
	// The true variance is within vr of Std^2 (and not negative): the sd
	// is off by at most sd - sqrt(sd^2 - vr), without the cancellation,
	// or where sd^2 is within vr of 0, the larger of sd and sqrt(sd^2 +
	// vr) - sd.
	if w := float64(sd*sd) - vr; w > 0 {
		se = vr / (sd + math.Sqrt(w))
	} else {
		se = max(sd, math.Sqrt(float64(sd*sd)+vr)-sd)
	}
	return me, e + se + float64(2*u*sd)
}

// Std is the population standard deviation, sqrt(M2/Count), in degrees;
// NaN for no lanes.
func (s *Summary) Std() float64 {
	if s.Count == 0 {
		return math.NaN()
	}
	return math.Sqrt(s.M2 / float64(s.Count))
}

// QuantileLevels are the quantiles every result reports.
var QuantileLevels = []float64{0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99}
