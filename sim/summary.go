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
	if !(sd > 0) {
		sd = math.Max(math.Abs(mean), 1) * 0x1p-16
	}
	if least := float64(n) / (2 * span) * 0x1p-126; sd < least {
		sd = least
	}
	return &Histogram{
		Lo:    float32(mean - float64(span*sd)),
		Scale: float32(float64(n) / (2 * span * sd)),
		Bins:  make([]uint64, n+2),
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
	s.Min = min(s.Min, b.Min)
	s.Max = max(s.Max, b.Max)
	s.Digest += b.Digest
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
	if o.keepsShift() && (s.Count == 0 || s.keepsShift()) {
		if o.Count > 0 {
			s.mergeDev(o.Count, o.shift, o.dev, o.M2)
		}
	} else {
		s.mergeMoments(o.Count, o.Mean, o.M2)
	}
	if o.Count > 0 {
		s.Min = min(s.Min, o.Min)
		s.Max = max(s.Max, o.Max)
	}
	s.Digest += o.Digest
	return nil
}

// MomentErrors estimates how far float64's sums can have moved s's Mean and
// Std from the lanes' own mean and sd, for a report to print only the
// digits they carry (docs/reproducibility.md, section 6). The engines sum
// each lane's deviation d from shift (the exact mean) and its square:
// each d is rounded to about 2^-53 of the lanes' farthest distance D from
// the shift (max |Min - shift|, |Max - shift|), and the squares' sum, of
// about D^2 a lane, leaves the variance the cancellation S2 - S1 dev, so
//
//	mean error ~ k D,  variance error ~ k D^2,  k = (64 + sqrt(Count)/4) 2^-52
//
// and the sd's error is the variance's over (Std + its square root). k
// allows for the sums' growth with the lanes: measured (300007 lanes x 50
// steps at --persistence -1 from 1e10 under anchor 1e20, --sigma 1e-3,
// lanes within 5e-3 of 0 and D = 1e10), the mean was 1.8 and the
// variance 14 of 2^-52 D (or D^2) off (k is 201 2^-52 there), and the sd
// read 559 where the lanes' is 1.0e-3. Where the lanes spread around the exact law (D a few
// sds) both are far below the report's digits.
//
// The estimate assumes the roundings of the sums partly cancel. Where
// every lane's deviation is one float64 value or a few (float32 holds the
// lanes within an ulp or two, far from the shift), they add up instead,
// and a sum may land where the lanes' range shows it cannot be: their mean
// is within [Min, Max] and their sd at most (Max - Min)/2. A Mean or Std
// that is further outside than its estimate allows carries no digit, and
// its error is then what the range allows: the farther end of [Min, Max]
// from the Mean, the whole Std. (80537 lanes x 24 steps at --persistence
// -1 from 0.0557 under anchor 1e30, --sigma 1e-30: the lanes within 5e-30
// of 0, one block's sd read 5.7e-8, estimated good to 1.4e-9.) 0 where every lane
// holds one value (its mean is that value, kept exactly); NaN for no lanes.
func (s *Summary) MomentErrors(shift float64) (mean, std float64) {
	if s.Count == 0 {
		return math.NaN(), math.NaN()
	}
	if s.Min == s.Max {
		return 0, 0 // one value, kept exactly (AddBlock)
	}
	d := max(math.Abs(float64(s.Min)-shift), math.Abs(float64(s.Max)-shift))
	k := (64 + float64(math.Sqrt(float64(s.Count))/4)) * 0x1p-52
	if v := k * d * d; v != 0 {
		mean, std = k*d, v/(s.Std()+math.Sqrt(v))
	}
	lo, hi := float64(s.Min), float64(s.Max)
	if max(lo-s.Mean, s.Mean-hi) > mean {
		mean = max(s.Mean-lo, hi-s.Mean)
	}
	if s.Std()-float64((hi-lo)/2) > std { // rounded: not fused into a multiply-subtract on arm64
		std = s.Std()
	}
	return mean, std
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
