package sim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Params is one simulation job. Lane i of a job depends only on the seed, i
// and the model, so any lane range of a job can be run anywhere and merged.
type Params struct {
	Lanes       uint64  `json:"lanes"`       // independent lanes, numbered 0..Lanes-1
	Steps       int     `json:"steps"`       // steps (days) each lane takes, 0..MaxSteps
	Start       float64 `json:"start"`       // every lane's temperature before step 1, degrees
	Anchor      float64 `json:"anchor"`      // the temperature the recurrence reverts to, degrees
	Persistence float64 `json:"persistence"` // p, the share of t - anchor a step keeps (dimensionless)
	Sigma       float64 `json:"sigma"`       // sd of a step's normal noise, degrees
	Seed        uint64  `json:"seed"`        // the Philox key's source (rng.Key)
}

// MaxSteps keeps the step block index well within Philox's 32-bit counter
// word (2^30 blocks of the 2^32 it holds) and the steps within int on
// 32-bit platforms.
const MaxSteps = min(1<<32, math.MaxInt)

// MaxKeptFinals is the most lanes whose finals a run keeps (--out): 4 bytes
// a lane in host memory, 16 GiB at most. Where int is 32 bits (linux/386,
// linux/arm) it is 2^29, 2 GiB: 2^32 let 2^30 lanes or more through to a
// make([]float32) that panics there ("makeslice: len out of range"), its
// bytes past the address space, when the memory check found RAM enough.
const MaxKeptFinals = min(1<<32, math.MaxInt/4+1)

// ExactQuantileLanes is the most lanes of a job whose runs keep every
// lane's final without --out, and whose parts save them (package shard), so
// that its quantiles are exact order statistics of the finals
// (ExactQuantiles) in a single run, in a shard and in a merge of its parts
// alike: as many as the final histogram has bins (HistBins, 16 KiB of
// float32s). Interpolated in the histogram, a few lanes read as spread over
// bins they do not fill: p25 of --lanes 10 --steps 1 read 72.51 where the
// lanes' own is 73.23 (seed 1).
const ExactQuantileLanes = HistBins

// MaxTemperature is the most |value| a run may compute, 2^126 =
// 8.507059173023462e+37, about a quarter of float32's largest (and a
// float32 value, so that a --start at it is at it in float32 too):
// Validate refuses a job whose Bound, which covers every value a step
// computes (p t and c included, float32's roundings too), is past it, and
// --start's range ends at it. Below it the histograms stay finite as well:
// the noise's worst case is at least MaxNormal of the exact law's sds
// (sigma MaxNormal (1 + |p| + ...) against sigma sqrt(1 + p^2 + ...)), so
// at every step |mean| + MaxNormal sd <= MaxTemperature (up to float32's
// rounding of c), the edges mean -+ HistSpan sd are within HistSpan /
// MaxNormal MaxTemperature (0.3 of float32's largest) and the span 2
// HistSpan sd within 0.59 of it: the bin arithmetic (x - Lo) Scale of
// docs/reproducibility.md, section 6, overflows float32 only for a value
// past either end, which lands in the under- or overflow bin as it
// should. At half of float32's largest the span could overflow. A tenth
// was the limit, which refused runs that float32 and the histograms hold:
// noise of --sigma 5e36 about 0 at --persistence 0.5 (bound 6.8e37), a
// start of 5e37.
const MaxTemperature = 0x1p126

// MaxParam is the largest --anchor, --persistence and --sigma in
// magnitude: float32's largest, 3.4028234663852886e+38, as float32's
// shortest decimal writes it, 3.4028235e+38, which is how gpusim's job
// line prints a parameter there (the float32 the run computes with). It
// is above float32's largest by 3.4e30, under half of float32's ulp there
// (2^103 = 1.0e31), so float32 rounds every value up to it to float32's
// largest, never to +Inf; with the limit at float32's largest itself, the
// value the job line printed was refused when typed back.
const MaxParam = 3.4028235e+38

// ParamRange is the valid range of a float parameter, by its flag: --start
// within MaxTemperature (every value of a run must be), --anchor and
// --persistence within MaxParam (beyond it they are +-Inf in float32;
// Bound decides whether the run stays within MaxTemperature), and --sigma
// from 0 to MaxParam.
func ParamRange(flag string) (lo, hi float64) {
	switch flag {
	case "start":
		return -MaxTemperature, MaxTemperature
	case "sigma":
		return 0, MaxParam
	}
	return -MaxParam, MaxParam
}

// ParamLimit is why ParamRange ends where it does for the flag, for
// errors: float32's largest, or, for --start, 2^126, the most a run may
// compute.
func ParamLimit(flag string) string {
	if flag == "start" {
		return "2^126, the most a run may compute"
	}
	return "float32's largest"
}

// ValidRange is ParamRange as gpusim's errors and help state it, "valid
// range lo..hi": the exact limits, which a value at them meets.
func ValidRange(flag string) string {
	lo, hi := ParamRange(flag)
	return fmt.Sprintf("valid range %v..%v", lo, hi)
}

// MaxNormal bounds the |z| the transform can produce: the radius of word 0,
// sqrt(66 ln 2) = 6.7636 (docs/reproducibility.md, section 3.1), rounded up.
const MaxNormal = 6.8

// Default is the course's experiment: 5,000,000 lanes of 10 steps from 75
// degrees, anchor 72, persistence 0.5, sigma 5.
func Default() Params {
	return Params{Lanes: 5_000_000, Steps: 10, Start: 75, Anchor: 72, Persistence: 0.5, Sigma: 5, Seed: 1}
}

// ParamError says which flag is wrong and what range is valid.
type ParamError struct {
	Flag string // the CLI flag, without dashes
	Msg  string // what is wrong, with the valid range
}

func (e *ParamError) Error() string { return fmt.Sprintf("--%s: %s", e.Flag, e.Msg) }

// Validate rejects parameters whose runs are undefined or could compute a
// value past MaxTemperature: ValidateRanges, then Bound against it. Errors
// are *ParamError, naming the flag to change.
func (p Params) Validate() error {
	if err := p.ValidateRanges(); err != nil {
		return err
	}
	if b := p.Bound(); !(b <= MaxTemperature) {
		// The bound is on |x|: a negative --anchor's runs reach -b, which
		// "runs could reach 8.51e+37" read as positive.
		// Name what drives the bound: |p| >= 1 grows with the steps;
		// below 1 the bound is the larger of |start| (within the limit
		// here) and (|c| + sigma MaxNormal) / (1 - |p|).
		m := p.Model()
		flag := "persistence"
		if math.Abs(float64(m.P)) < 1 {
			flag = "anchor"
			if float64(m.Sigma)*MaxNormal >= math.Abs(float64(m.C)) {
				flag = "sigma"
			}
		}
		advice := p.growAdvice()
		if flag != "persistence" {
			advice = p.lowerAdvice(flag)
		}
		return &ParamError{flag, fmt.Sprintf("runs could reach %.3g in magnitude, past gpusim's limit %v on every value a run computes (2^126 either side of 0, so that the runs and their histograms stay finite in float32): %s", b, MaxTemperature, advice)}
	}
	return nil
}

// lowerAdvice is what Validate advises below |p| = 1, where flag (anchor or
// sigma) drives the bound past the limit: the flags that would bring it
// within the limit alone, set to 0 (--persistence: nearer 0), with the
// largest --sigma that does where that is one; where none would alone,
// flag and the other of the two together where it is not 0. --sigma
// 3.4028235e+38 at anchor 72 read "lower --sigma or --anchor", where no
// anchor helps.
func (p Params) lowerAdvice(flag string) string {
	other := map[string]string{"anchor": "sigma", "sigma": "anchor"}[flag]
	field := paramField
	var helps []string
	nearer := false // --persistence at 0 would do
	for _, f := range []string{flag, other, "persistence"} {
		q := p
		*field(&q, f) = 0
		switch {
		case *field(&p, f) == 0 || !(q.Bound() <= MaxTemperature):
		case f == "persistence":
			nearer = true
		default:
			helps = append(helps, p.lowerTo(f))
		}
	}
	switch {
	case len(helps) == 0 && nearer:
		return "bring --persistence nearer 0"
	case nearer:
		return "lower " + strings.Join(helps, " or ") + ", or bring --persistence nearer 0"
	case len(helps) == 0 && *field(&p, other) != 0:
		// Neither alone: "lower --sigma or --anchor" read as if
		// either would do (--sigma 1e38 --anchor 1e38).
		return "lower both --" + flag + " and --" + other
	case len(helps) == 0:
		helps = []string{"--" + flag}
	}
	return "lower " + strings.Join(helps, " or ")
}

// paramField is q's float parameter of flag: start, anchor, sigma or
// persistence.
func paramField(q *Params, flag string) *float64 {
	switch flag {
	case "start":
		return &q.Start
	case "anchor":
		return &q.Anchor
	case "sigma":
		return &q.Sigma
	}
	return &q.Persistence
}

// growAdvice is Validate's advice from |p| = 1 on, where the runs grow
// with the steps: --persistence and --steps, and each of --sigma, --anchor
// and --start that adds to the runs (not at 0, nor --anchor at
// persistence 1, where c = (1 - p) anchor = 0), each as lowerTo names it.
// It listed --anchor at persistence 1, and --sigma 0.
func (p Params) growAdvice() string {
	m := p.Model()
	flags := []string{"--persistence below 1 in magnitude", "--steps"}
	if to := p.lowerTo("persistence"); to != "--persistence" {
		// With the values that run, as --sigma names its largest:
		// --persistence 2^126 read "below 1 in magnitude" alone, no
		// bound, where --sigma 1e38 read "to 6.2613015e+36 or less".
		flags[0] = to
	}
	for _, f := range []string{"sigma", "anchor", "start"} {
		if *paramField(&p, f) != 0 && (f != "anchor" || m.C != 0) {
			flags = append(flags, p.lowerTo(f))
		}
	}
	last := len(flags) - 1
	return "lower " + strings.Join(flags[:last], ", ") + " or " + flags[last]
}

// lowerTo is flag (sigma, anchor, start or persistence) as Validate's
// advice names it:
// with the values within the limit where the flag at 0 is and p's value is
// not, "--sigma (to S or less)" or "--anchor (within -A..B)", the float32s
// farthest from 0 on each side that are (--anchor 1e38 read "lower
// --anchor" without them, where --sigma named its largest), "--sigma (to
// 0)" where only 0 is; else the flag alone.
func (p Params) lowerTo(flag string) string {
	q := p
	*paramField(&q, flag) = 0
	if *paramField(&p, flag) == 0 || !(q.Bound() <= MaxTemperature) || p.Bound() <= MaxTemperature {
		return "--" + flag
	}
	lo, hi := "0", p.farthest(flag, 1) // --sigma is never negative
	if flag != "sigma" {
		lo = p.farthest(flag, -1)
	}
	switch {
	case flag == "sigma" && hi != "0":
		return "--sigma (to " + hi + " or less)"
	case hi == "0" && lo == "0":
		// Only 0 runs: "--sigma (to 0 or less)" named values below
		// --sigma's range (0..3.4028235e+38).
		return "--" + flag + " (to 0)"
	}
	return "--" + flag + " (within " + lo + ".." + hi + ")"
}

// farthest is the value of flag farthest from 0 on sign's side (+1 or -1)
// within the limit with p's other values, where flag at 0 is: the float32
// (the run's value) of the largest magnitude whose Bound is within it, up
// to the end of flag's range (ParamRange), as float32's shortest decimal
// writes it, which reads back as that float32. Bound grows with the
// magnitude on each side of 0 (|c| + sigma MaxNormal does, and |q| +
// |start - q| with the centre q = c/(1 - p)), so the values within the
// limit are one interval about 0; so does it with |persistence|, which
// below 1 keeps each value between the start and the anchor, c = (1 - p)
// anchor with noise about it, and past 1 multiplies the growth of every
// step (TestPersistenceAdvice samples it).
func (p Params) farthest(flag string, sign float64) string {
	fits := func(bits uint32) bool {
		q := p
		*paramField(&q, flag) = sign * float64(math.Float32frombits(bits))
		return q.Bound() <= MaxTemperature
	}
	_, end := ParamRange(flag)
	lo, hi := uint32(0), math.Float32bits(float32(end)) // fits(lo)
	if !fits(hi) {
		for hi-lo > 1 { // !fits(hi)
			if mid := lo + (hi-lo)/2; fits(mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
	} else {
		lo = hi
	}
	for ; lo > 0; lo-- {
		// As typed back: the decimal read as a float64, then rounded to
		// float32 by the run.
		text := strconv.FormatFloat(sign*float64(math.Float32frombits(lo)), 'g', -1, 32)
		if v, err := strconv.ParseFloat(text, 64); err == nil && fits(math.Float32bits(float32(math.Abs(v)))) {
			return text
		}
	}
	return "0"
}

// ValidateRanges is Validate without the overflow bound: lanes, steps and
// each float parameter within its range. A saved part's job is checked with
// it (shard.ParsePart), not with Validate: the part's values were computed
// and recorded (finite: a part cannot hold an infinity), so a bound that a
// later gpusim tightens, as f6b90d9 did for float32's roundings, must not
// strand results an earlier one saved. Errors are *ParamError.
func (p Params) ValidateRanges() error {
	if p.Lanes < 1 {
		return &ParamError{"lanes", "must be at least 1 (valid range 1..2^64-1)"}
	}
	if p.Steps < 0 || p.Steps > MaxSteps {
		return &ParamError{"steps", fmt.Sprintf("%d is out of range (valid range 0..%d)", p.Steps, MaxSteps)}
	}
	for _, f := range []struct {
		flag string
		v    float64
	}{{"start", p.Start}, {"anchor", p.Anchor}, {"persistence", p.Persistence}, {"sigma", p.Sigma}} {
		lo, hi := ParamRange(f.flag)
		valid := ValidRange(f.flag)
		switch {
		case math.IsNaN(f.v) || math.IsInf(f.v, 0):
			return &ParamError{f.flag, fmt.Sprintf("must be a finite number, got %v (%s)", f.v, valid)}
		case f.v < lo && lo == 0:
			return &ParamError{f.flag, fmt.Sprintf("must be at least 0, got %g (%s)", f.v, valid)}
		case f.v < lo || f.v > hi:
			return &ParamError{f.flag, fmt.Sprintf("%v is beyond gpusim's limit (%s, %s)", f.v, valid, ParamLimit(f.flag))}
		}
	}
	return nil
}

// Bound is an upper bound on |temperature| over every step of every lane
// (and, from |p| = 1 on, on the step's product p t and on c too), float32's
// roundings included, using |z| <= MaxNormal. A step computes m = p t, m +
// c, sigma z and their sum, each rounded to nearest: each rounding is at
// most u = 2^-24 of its result, and a sum's also at most its smaller
// operand (an operand is itself a candidate). So M(n) <= A M(n-1) + B,
// M(0) = |start|, with b = |c| + sigma MaxNormal and either A = |p| (1 +
// u)^k, B = b (1 + u)^k for the k of those roundings the step makes (the
// product's but at |p| = 1 or p = 0, m + c's but at c = 0, and two more
// with noise), or A = |p| (1 + u) (|p| itself at |p| = 1 or 0, whose
// product is exact), B = 2 (1 + u) b; Bound takes the smaller of the two
// (triangle). Below A = 1, M(n) <= A^n M(0) + B (1 - A^n)/(1 - A), a
// weighted mean of M(0) and B / (1 - A), so the larger of M(0) and it
// bounds every step (M(0) + B, the bound before, refused runs that stay at
// a start and anchor of 2e37; B / (1 - A) alone refused one step from 0
// toward an anchor of 3e37 at --persistence 0.999999). With no
// steps it is |start|: nothing else is computed. Without the roundings the
// bound was exceeded: start 1e30, anchor -2.5e36, --persistence 1 + 2^-20
// and no noise reached 3.49e37 after the 2812066 steps it accepted, above
// its 3.40e37.
//
// For p != 1 it is also at most the bound around the recurrence's centre
// q = c/(1 - p): t - q = p (t' - q) + sigma z, so after k steps |t| <= |q|
// + |p|^k |start - q| + sigma MaxNormal (1 + |p| + ... + |p|^(k-1)), which
// grows with k from |p| = 1 on and is at most |q| + |start - q| + sigma
// MaxNormal (1 - |p|^n)/(1 - |p|) below it; widened by e = 2^-19 times n
// (at |p| = 1), min(n, 1/(1 - |p|)) (below, where |p| damps each step's
// error) or (|p| + 2) (1 + |p| + ... + |p|^(n-1)) (above, where |p|
// multiplies it) of itself for float32's roundings (see centred). The
// triangle bound alone charged |c| every step, so --persistence -1 refused
// runs that swing between 1e37 and -3e37 as reaching 5e37 after 2 steps,
// and --persistence -0.99 refused runs that stay at a start and anchor of
// 2e35 (|c| = 1.99 |anchor| over 1 - |p| = 0.01).
//
// Without noise, where those bounds are past the limit, it is the largest
// value of the one path every lane takes, walked on the host (noiseless),
// where the walk settles within the limit.
func (p Params) Bound() float64 {
	m := p.Model()
	m0 := math.Abs(float64(m.Start))
	if p.Steps == 0 {
		return m0
	}
	a := math.Abs(float64(m.P))
	b := math.Abs(float64(m.C)) + float64(float64(m.Sigma)*MaxNormal)
	n := float64(p.Steps)
	const u = 0x1p-24 // float32's unit roundoff
	// The roundings a step makes: the product's (exact at |p| = 1 or
	// p = 0), m + c's (exact at c = 0) and, with noise, sigma z's and the
	// sum's (both exact at sigma = 0: t = m + 0). Counting only these
	// keeps p = -1 from 0 toward an anchor of 1e30 over 1e7 steps (at most
	// 2e30) below the limit.
	prod, rounds := a*(1+u), 0
	if a == 1 || a == 0 {
		prod = a
	} else {
		rounds++
	}
	if m.C != 0 {
		rounds++
	}
	if m.Sigma != 0 {
		rounds += 2
	}
	grow := math.Pow(1+u, float64(rounds))
	bound := min(triangle(m0, a*grow, b*grow, n), triangle(m0, prod, 2*(1+u)*b, n))
	if float64(m.P) != 1 {
		bound = min(bound, p.centred(m, a, n))
	}
	if !(bound <= MaxTemperature) && m.Sigma == 0 {
		if w, ok := p.noiseless(m); ok {
			bound = w
		}
	}
	return bound
}

// noiselessSteps is the most steps noiseless walks.
const noiselessSteps = 1 << 16

// noiseless is the largest |value| the one path of a job without noise
// computes (the start, c, and each step's p t, p t + c and t), which every
// lane takes, walked in float32 until it repeats a temperature (each step's
// values depend on the temperature alone, so none after it is new) or the
// steps end; ok is false where it passes MaxTemperature or does not repeat
// within noiselessSteps. Bound takes it where its own bound is past the
// limit: that bound allows every step its roundings, which above |p| = 1
// it multiplies by |p| in every later step, and refused runs that stay at
// their start, the recurrence's centre (start and anchor 3 at --persistence
// 2, 2 3 - 3 = 3 exactly at every step, as reaching 9.64e+60 after 200
// steps).
func (p Params) noiseless(m Model) (most float64, ok bool) {
	t := m.Start
	most = max(math.Abs(float64(t)), math.Abs(float64(m.C)))
	seen := map[float32]bool{t: true}
	for s := 0; s < p.Steps; s++ {
		if s == noiselessSteps {
			return most, false
		}
		pt := float32(m.P * t)
		mc := float32(pt + m.C)
		t = m.Step(t, 0) // mc, but for the sign of a zero
		most = max(most, math.Abs(float64(pt)), math.Abs(float64(mc)), math.Abs(float64(t)))
		if !(most <= MaxTemperature) {
			return most, false
		}
		if seen[t] {
			break
		}
		seen[t] = true
	}
	return most, true
}

// noiselessEnd is where the one path of a job without noise ends: its
// temperature after p.Steps steps in float32, as every lane computes it
// (Model.Step), found by walking it until it repeats a temperature (after
// which it cycles: each step's value depends on the one before alone) or
// the steps end; ok is false where it does not repeat within
// noiselessSteps.
func (p Params) noiselessEnd(m Model) (end float32, ok bool) {
	t := m.Start
	path := []float32{t} // path[k]: the temperature after k steps
	at := map[float32]int{t: 0}
	for s := 1; s <= p.Steps; s++ {
		if s > noiselessSteps {
			return 0, false
		}
		t = m.Step(t, 0)
		if i, seen := at[t]; seen {
			return path[i+(p.Steps-i)%(s-i)], true
		}
		at[t] = s
		path = append(path, t)
	}
	return t, true
}

// Range is an interval [lo, hi] that holds every temperature a run of p
// computes, every lane's at every step and the start, float32's roundings
// included: [-Bound, Bound], narrowed where p != 1 to the centred bound
// around q = c/(1 - p) (centred): it bounds |t| by |q| plus a bound W of
// |t - q| (the start's distance from q, the noise's sigma MaxNormal a
// step, the roundings), so t lies within q +/- W, W = centred - |q|. So
// the default job's values lie in [1.07, 139.94], its bound 139.94 alone
// saying [-139.94, 139.94]. runfiles counts an output's values at the
// longest text of the interval's numbers.
func (p Params) Range() (lo, hi float64) {
	b := p.Bound()
	lo, hi = -b, b
	m := p.Model()
	if p.Steps == 0 {
		return float64(m.Start), float64(m.Start)
	}
	if float64(m.P) == 1 {
		return lo, hi
	}
	c := p.centred(m, math.Abs(float64(m.P)), float64(p.Steps))
	if math.IsInf(c, 0) || math.IsInf(b, 0) {
		return lo, hi
	}
	q := float64(m.C) / (1 - float64(m.P))
	// q is rounded once in float64: a little more room for it.
	w := c - math.Abs(q) + float64(math.Abs(q)*0x1p-50)
	return max(lo, q-w), min(hi, q+w)
}

// triangle bounds M(k), k <= n, for M(k) <= A M(k-1) + B from M(0) = m0,
// A, B >= 0: max(m0, A^n m0 + B (1 - A^n)/(1 - A)) below A = 1 (at most
// max(m0, B/(1 - A)), which it approaches, and at most m0 + B n: a few
// steps from 0 toward an anchor near the limit, or |p| = 1 - 2^-24, whose
// 1 - A is 2^-48 with the roundings, stay far below B/(1 - A)), m0 + B n
// at 1, A^n m0 + B (A^n - 1)/(A - 1) above (+Inf past float64, but 0 from
// m0 = B = 0: a run at 0 stays there).
func triangle(m0, A, B, n float64) float64 {
	switch {
	case m0 == 0 && B == 0:
		return 0
	case A < 1:
		// A^n and 1 - A^n from logs: A - 1 is exact, and 1 - A^n
		// would cancel where A^n is near 1.
		l := n * math.Log1p(A-1)
		return max(m0, float64(math.Exp(l)*m0)+float64(B*(-math.Expm1(l)/(1-A))))
	case A == 1:
		return m0 + float64(B*n)
	}
	l := n * math.Log1p(A-1)
	if l > 700 {
		return math.Inf(1)
	}
	return float64(math.Exp(l)*m0) + float64(B*(math.Expm1(l)/(A-1)))
}

// centred is Bound's bound around the recurrence's centre q = c/(1 - p),
// +Inf where it does not apply. Its rounding allowance e covers each
// step's roundings, at most 2^-24 of |p t| + |m| + |t| + |sigma z| <=
// (|p| + 2) M + 2 sigma MaxNormal for a bound M, carried into step n
// multiplied by |p| a step: e = (|p| + 2) sn 2^-24, with a margin of 32.
// Above |p| = 1 the roundings grow with the run (from start = anchor = 3
// at --persistence 8388609, whose centre is 3, the first step's product
// rounds to 4 and the seventh reaches 3e41), and so does q's float64
// rounding, which the last term of the centred sum allows for (at
// --persistence 8.9e18, q = c/(1 - p) is -2 in float64 but -2 - 2/p
// exactly, and start -2 leaves it); and the product p t, which at |p| > 1
// is larger than t, must stay within the limit too (start and anchor 1e37
// at --persistence 34.1: p t is +Inf after the first step, the centre 1e37).
func (p Params) centred(m Model, a, n float64) float64 {
	// an is |p|^n and sn the sum of |p|^k for k < n, computed in logs to
	// avoid Inf.
	an, sn := 1.0, n
	switch {
	case a < 1:
		an = math.Pow(a, n)
		sn = (1 - an) / (1 - a)
	case a > 1:
		l := n * math.Log(a)
		if l > 700 {
			return math.Inf(1)
		}
		an = math.Exp(l)
		sn = (an - 1) / (a - 1)
	}
	q := float64(m.C) / (1 - float64(m.P))
	start := float64(m.Start)
	centred := math.Abs(q) + float64(max(an, 1)*(math.Abs(start-q)+float64((math.Abs(q)+math.Abs(start))*0x1p-50))) + float64(float64(m.Sigma)*MaxNormal*sn)
	e := n * 0x1p-19
	switch {
	case a < 1:
		e = min(n, 1/(1-a)) * 0x1p-19
	case a > 1:
		e = (a + 2) * sn * 0x1p-19
	}
	if !(e < 0.5) {
		return math.Inf(1)
	}
	b := centred / (1 - e)
	if a > 1 {
		b = max(b, a*b, math.Abs(float64(m.C)))
	}
	return b
}
