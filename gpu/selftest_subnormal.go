package gpu

import (
	"fmt"
	"math"
	"strconv"

	"github.com/gpusim/gpusim/sim"
)

// SubnormalError is Run's error for a job whose values can become subnormal
// on a device that flushes subnormals to zero: its digest could differ from
// the exact stream, so the job must run on a CPU engine.
type SubnormalError struct {
	Device string // the device as DeviceDesc.Named gives it
	// Why names the device's limitation, Risk what in the job can reach
	// subnormal values.
	Why, Risk string
}

func (e *SubnormalError) Error() string {
	return fmt.Sprintf("opencl: %s flushes subnormal floats (%s) and this job's values can become subnormal (%s): its results would not be the exact stream; run it on a CPU engine (serial, parallel or simd)", e.Device, e.Why, e.Risk)
}

// Thresholds of the subnormal rule (docs/reproducibility.md, section
// "Subnormals"). A float32 value of magnitude at least 2^e is a multiple of
// 2^(e-23), so a sum of two values that are each zero or at least 2^-103 in
// magnitude is zero or a multiple of 2^-126: never subnormal.
const (
	minNormal = 0x1p-126
	safeAdd   = 0x1p-103
	// minAbsZ bounds |z| from below for every word: the smallest radius,
	// of word 0xffffffff, is about 2^-16 and the smallest |sin| or |cos|,
	// of the angle PSI, about 2^-24.4 (TestMinAbsNormal checks it).
	minAbsZ = 0x1p-42
	// noiselessSteps bounds the host's walk of a noiseless path; a
	// longer one is judged by bounds (noiselessBound).
	noiselessSteps = 1 << 16
)

// SubnormalRisk returns why a job's values can become subnormal on the
// device (in the recurrence, or in the histogram binning of the finals and,
// with daily, of every step), or "" when they cannot. The rule is
// conservative: it may name a risk for a job that never meets one.
//
// With sigma = 0 every lane follows the same path, which is walked on the
// host (by bounds past noiselessSteps: noiselessBound). Otherwise, with |z| >= 2^-42, n = sigma*z is at least |sigma| 2^-42,
// and a nonzero t = m + n at least |sigma| 2^-67 (cancellation needs |m| >=
// |n|/2, and the sum is then a multiple of 2^-24 of that), or |start| before
// the first step; the job is safe when start, anchor, persistence, sigma and
// c are each zero or at least 2^-103 in magnitude, |sigma| 2^-42 and those
// lower bounds of t and of |p t| are at least 2^-103, and every histogram
// keeps (t - Lo) * Scale normal.
func SubnormalRisk(p sim.Params, daily bool) string {
	m := p.Model()
	for _, v := range []struct {
		name string
		x    float32
	}{{"start", m.Start}, {"anchor", m.Anchor}, {"persistence", m.P}, {"sigma", m.Sigma}, {"(1-persistence)*anchor", m.C}} {
		if x := math.Abs(float64(v.x)); x != 0 && x < safeAdd {
			return fmt.Sprintf("|%s| = %s is below 2^-103", v.name, approx(x))
		}
	}
	if m.Sigma == 0 {
		return noiselessRisk(p, daily)
	}
	sigma := math.Abs(float64(m.Sigma))
	if sigma*minAbsZ < safeAdd {
		return fmt.Sprintf("sigma = %s is below 2^-61, so sigma*z can fall below 2^-103", approx(sigma))
	}
	tmin := sigma * 0x1p-67
	if m.Start != 0 {
		tmin = min(tmin, math.Abs(float64(m.Start)))
	}
	if tmin < safeAdd {
		return fmt.Sprintf("a temperature can fall to %s, below 2^-103", approx(tmin))
	}
	if pt := math.Abs(float64(m.P)) * tmin; m.P != 0 && pt < safeAdd {
		return fmt.Sprintf("persistence*t can fall to %s, below 2^-103", approx(pt))
	}
	for _, h := range histograms(p, daily) {
		if r := histRisk(h, tmin); r != "" {
			return r
		}
	}
	return ""
}

// histograms are the layouts the device bins values with.
func histograms(p sim.Params, daily bool) []*sim.Histogram {
	hs := []*sim.Histogram{sim.NewSummary(p).Hist}
	if daily {
		for _, d := range sim.NewDaily(p) {
			hs = append(hs, d.Hist)
		}
	}
	return hs
}

// histRisk checks f = (t - Lo) * Scale for nonzero |t| >= tmin: t - Lo is a
// multiple of 2^-24 of the smaller of the two, and f must stay normal.
func histRisk(h *sim.Histogram, tmin float64) string {
	lo := math.Abs(float64(h.Lo))
	if lo != 0 && lo < safeAdd {
		return fmt.Sprintf("a histogram edge %s is below 2^-103", approx(lo))
	}
	d := tmin
	if lo != 0 {
		d = min(d, lo)
	}
	if f := d * 0x1p-24 * float64(h.Scale); f < minNormal {
		return fmt.Sprintf("a histogram position (t - %g) * %g can fall to %s, below 2^-126", h.Lo, h.Scale, approx(f))
	}
	return ""
}

// noiselessRisk walks the one path of a job without noise on the host,
// checking every value the device computes, until it repeats.
func noiselessRisk(p sim.Params, daily bool) string {
	m := p.Model()
	final := sim.NewSummary(p).Hist
	var dailies []*sim.Summary
	if daily {
		dailies = sim.NewDaily(p)
	}
	sub := func(x float32) bool { return x != 0 && math.Abs(float64(x)) < minNormal }
	binRisk := func(h *sim.Histogram, t float32) bool {
		d := float32(t - h.Lo)
		return sub(d) || sub(float32(d*h.Scale))
	}
	seen := map[float32]bool{}
	t := m.Start
	for s := 0; s < p.Steps; s++ {
		if s >= noiselessSteps && dailies == nil {
			return noiselessBound(m, final)
		}
		a := float32(m.P * t)
		mm := float32(a + m.C)
		t = float32(mm + float32(m.Sigma*1))
		if sub(a) || sub(mm) || sub(t) {
			return fmt.Sprintf("the noiseless path reaches a subnormal value at step %d", s+1)
		}
		if dailies != nil && binRisk(dailies[s].Hist, t) {
			return fmt.Sprintf("the histogram of step %d bins a subnormal value", s+1)
		}
		if seen[t] && dailies == nil {
			break // the path repeats from here: the final is a value seen
		}
		seen[t] = true
	}
	seen[t] = true
	for v := range seen {
		if binRisk(final, v) {
			return "the final histogram bins a subnormal value"
		}
	}
	return ""
}

// noiselessBound judges a noiseless path too long for the host's walk by
// bounds, as SubnormalRisk does a noisy one: t = p t + c, where a sum that
// cancels needs |p t| >= |c|/2 and is then a multiple of 2^-24 of that, so
// a nonzero t is at least tmin = min(|start|, |c| 2^-25); with c = 0, |t|
// never falls below |start| when |p| >= 1, and decays towards 0 otherwise.
// The job is safe when tmin and |p| tmin (or p = 0) are at least 2^-103
// and the final histogram keeps (t - Lo) * Scale normal.
func noiselessBound(m sim.Model, final *sim.Histogram) string {
	c, p := math.Abs(float64(m.C)), math.Abs(float64(m.P))
	tmin := math.Abs(float64(m.Start))
	switch {
	case c != 0 && tmin != 0:
		tmin = min(tmin, c*0x1p-25)
	case c != 0:
		tmin = c * 0x1p-25
	case p < 1:
		return fmt.Sprintf("the noiseless path decays towards 0 and does not settle within %d steps", noiselessSteps)
	}
	if tmin < safeAdd {
		return fmt.Sprintf("the noiseless path can fall to %s, below 2^-103", approx(tmin))
	}
	if pt := p * tmin; p != 0 && pt < safeAdd {
		return fmt.Sprintf("persistence*t on the noiseless path can fall to %s, below 2^-103", approx(pt))
	}
	return histRisk(final, tmin)
}

// approx formats a float32 parameter or a bound in 4 digits: the --sigma
// 1e-32 typed, not float32's 1.000000023742228e-32 in float64's digits, and
// a bound far below float32's range too.
func approx(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }

// Refuses returns the error Run refuses job with before it runs anything,
// or nil: ErrNoDaily (a job with per-step statistics on an engine opened
// with Options.NoDaily), a *SubnormalError (the job can reach subnormal values and the
// device flushes them), or an *cl.UnavailableError matching
// cl.ErrAddressSpace (under ulimit -v, the job's device buffers, and the
// host's copy of the finals where it keeps them, do not fit the room the
// limit leaves: checkAddressSpace). auto asks it so as not to choose such
// a device.
func (e *Engine) Refuses(job *sim.Job) error {
	if job.Daily && e.opts.NoDaily {
		return ErrNoDaily
	}
	if err := e.checkSubnormals(job); err != nil {
		return err
	}
	return e.checkAddressSpace(job, true)
}

// checkSubnormals refuses a job that can reach subnormal values on a device
// that does not keep them, in exact math.
func (e *Engine) checkSubnormals(job *sim.Job) error {
	if e.st.denormals || e.fast {
		return nil
	}
	risk := SubnormalRisk(job.Params, job.Daily)
	if risk == "" {
		return nil
	}
	why := "it does not report CL_FP_DENORM"
	if e.desc.Denormals && !e.opts.noDenormals {
		why = "its subnormal probe was flushed"
	}
	return &SubnormalError{Device: e.desc.Named(), Why: why, Risk: risk}
}
