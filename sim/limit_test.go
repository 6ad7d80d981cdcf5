package sim

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestParamRangeEnds: a float parameter at either end of its stated range
// (ParamRange, the numbers the CLI's help and errors print) is accepted,
// and the next float64 past it refused with an error naming the flag and
// the range: the help said 3.4e37 where 3.4028e37 was the limit.
func TestParamRangeEnds(t *testing.T) {
	for _, flag := range []string{"start", "anchor", "persistence", "sigma"} {
		lo, hi := ParamRange(flag)
		set := func(v float64) Params {
			p := Default()
			p.Steps = 0 // the ranges alone: no run to bound
			switch flag {
			case "start":
				p.Start = v
			case "anchor":
				p.Anchor = v
			case "persistence":
				p.Persistence = v
			case "sigma":
				p.Sigma = v
			}
			return p
		}
		valid := fmt.Sprintf("valid range %v..%v", lo, hi)
		for _, end := range []float64{lo, hi} {
			if err := set(end).Validate(); err != nil {
				t.Errorf("--%s %v, an end of its range: %v", flag, end, err)
			}
			past := math.Nextafter(end, math.Copysign(math.Inf(1), end))
			if end == 0 {
				past = -math.SmallestNonzeroFloat64
			}
			err := set(past).Validate()
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Flag != flag || !strings.Contains(err.Error(), valid) {
				t.Errorf("--%s %v, past its range: %v, want an error naming %q", flag, past, err, valid)
			}
		}
	}
}

// reLargestSigma is the largest --sigma an error gives.
var reLargestSigma = regexp.MustCompile(`--sigma \(to (\S+) or less\)`)

// TestLimitBothSides: at the largest --sigma Validate accepts for each
// shape of run, the run stays finite and within MaxTemperature, and so do
// its histograms (final and daily: no lane in the under- or overflow bin,
// every quantile finite), while the next float32 sigma is refused, the
// error advising a lower --sigma (it names --persistence from |p| = 1 on)
// and the largest sigma that fits. Noise of 5e36 about 0 at --persistence 0.5 (bound 6.8e37) is
// accepted: the limit was a tenth of float32's largest, which refused it.
func TestLimitBothSides(t *testing.T) {
	p := Default()
	p.Start, p.Anchor, p.Sigma, p.Steps = 0, 0, 5e36, 20
	if err := p.Validate(); err != nil {
		t.Errorf("noise of 5e36 at --persistence 0.5: %v", err)
	}
	for _, c := range []struct {
		start, anchor, persistence float64
		steps                      int
	}{
		{0, 0, 0.5, 20},
		{0, 0, 1, 1}, // sd = sigma, the most of the bound the edges take
		{0, 0, -1, 4},
		{-2e37, 2e37, -0.9, 6}, // 5.6e37 after a step
		{1e30, 0, 1.5, 8},
	} {
		p := Default()
		p.Lanes, p.Start, p.Anchor, p.Persistence, p.Steps = 200, c.start, c.anchor, c.persistence, c.steps
		ok := func(bits uint32) bool {
			p.Sigma = float64(math.Float32frombits(bits))
			return p.Validate() == nil
		}
		lo, hi := uint32(0), math.Float32bits(math.MaxFloat32) // ok(lo), !ok(hi)
		if !ok(lo) || ok(hi) {
			t.Fatalf("%+v: sigma 0 accepted %v, float32's largest %v", c, ok(lo), ok(hi))
		}
		for hi-lo > 1 {
			if mid := lo + (hi-lo)/2; ok(mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		ok(hi)
		var pe *ParamError
		if err := p.Validate(); !errors.As(err, &pe) || !strings.Contains(err.Error(), "--sigma") {
			t.Errorf("%+v: sigma %v: %v, want an error that advises --sigma", c, p.Sigma, err)
		} else if m := reLargestSigma.FindStringSubmatch(err.Error()); m == nil || m[1] != strconv.FormatFloat(float64(math.Float32frombits(lo)), 'g', -1, 32) {
			// It gives the largest sigma that fits, from |p| = 1 on
			// too (where it read "--sigma" alone).
			t.Errorf("%+v: sigma %v: %v, want the largest sigma that fits, %v", c, p.Sigma, err, math.Float32frombits(lo))
		}
		ok(lo)
		checkFinite(t, fmt.Sprintf("%+v sigma %v (bound %.4g)", c, p.Sigma, p.Bound()), p)
	}
}

// checkFinite runs p with Reference, per step too, and checks that every
// value and statistic is finite and every histogram holds every lane.
func checkFinite(t *testing.T, name string, p Params) {
	t.Helper()
	r, err := Reference(&Job{Params: p, Daily: true, KeepFinals: true})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, x := range r.Finals {
		if !(math.Abs(float64(x)) <= MaxTemperature) {
			t.Fatalf("%s: a lane ends at %v", name, x)
		}
	}
	for k, s := range append([]*Summary{r.Summary}, r.Daily...) {
		h := s.Hist
		n := len(h.Bins) - 2
		if h.Bins[0] != 0 || h.Bins[n+1] != 0 || math.IsInf(float64(h.Lo), 0) || math.IsInf(float64(h.Scale), 0) {
			t.Errorf("%s: summary %d: histogram from %v at %v bins per degree counts %d below and %d above", name, k, h.Lo, h.Scale, h.Bins[0], h.Bins[n+1])
		}
		for _, q := range QuantileLevels {
			if v := h.Quantile(q); math.IsInf(v, 0) || math.IsNaN(v) || math.IsInf(s.Mean, 0) || math.IsNaN(s.M2) {
				t.Errorf("%s: summary %d: quantile %v = %v, mean %v", name, k, q, v, s.Mean)
			}
		}
	}
}

// TestLowerAdviceBoth: where neither --sigma nor --anchor alone would
// bring a run within the limit, the refusal says both must change (it read
// "lower --sigma or --anchor"); where --sigma 0 would not do from |p| = 1
// on, it names no largest --sigma.
func TestLowerAdviceBoth(t *testing.T) {
	p := Default()
	p.Lanes, p.Sigma, p.Anchor = 10, 1e38, 1e38
	if err := p.Validate(); err == nil || !strings.HasSuffix(err.Error(), ": lower both --sigma and --anchor") {
		t.Errorf("sigma and anchor 1e38: %v, want advice to lower both", err)
	}
	p = Default()
	p.Lanes, p.Persistence, p.Steps, p.Sigma, p.Start = 10, 2, 200, 1, 1e30
	if err := p.Validate(); err == nil || reLargestSigma.MatchString(err.Error()) || !strings.Contains(err.Error(), "--steps, --sigma, --anchor") {
		t.Errorf("start 1e30, persistence 2, 200 steps: %v, want --sigma without a largest", err)
	}
}

// reWithin is the range of --anchor or --start values an error gives.
var reWithin = regexp.MustCompile(`--(anchor|start) \(within (\S+)\.\.(\S+)\)`)

// TestLowerToEnds: where --anchor (or --start) alone would bring a run
// within the limit, the refusal names the values that would, "--anchor
// (within -A..B)", at persistence 0.5, 1, -1 and 1.5: each end runs, and
// within the limit, and the next float32 past it is refused. --anchor
// 1e38 read "lower --anchor" without them, where --sigma named its
// largest; at persistence 1, where the anchor adds nothing (c = (1 - p)
// anchor = 0), the advice named --anchor too.
func TestLowerToEnds(t *testing.T) {
	for _, c := range []struct {
		flag                              string
		start, anchor, persistence, sigma float64
		steps                             int
	}{
		{"anchor", 75, 1e38, 0.5, 5, 10},
		{"anchor", 75, -1e38, 0.5, 5, 10},
		{"anchor", 8e37, -1e38, 0.5, 0, 10},
		{"start", 8e37, 72, 1, 1e36, 10},
		{"start", -8e37, 72, 1, 1e36, 10},
		{"anchor", 75, 5e37, -1, 5, 3},
		{"start", 8e37, 72, -1, 1e36, 10},
		{"anchor", 75, 1e37, 1.5, 5, 100},
		{"start", -1e37, 72, 1.5, 5, 100},
	} {
		p := Default()
		p.Lanes, p.Start, p.Anchor, p.Persistence, p.Sigma, p.Steps = 20, c.start, c.anchor, c.persistence, c.sigma, c.steps
		err := p.Validate()
		m := reWithin.FindStringSubmatch(fmt.Sprint(err))
		if m == nil || m[1] != c.flag {
			t.Errorf("%+v: %v, want the --%s values that run", c, err, c.flag)
			continue
		}
		if c.persistence == 1 && strings.Contains(err.Error(), "--anchor") {
			t.Errorf("%+v: %v names --anchor, which adds nothing at persistence 1", c, err)
		}
		for _, end := range m[2:] {
			v, perr := strconv.ParseFloat(end, 64)
			if perr != nil {
				t.Fatalf("%+v: %s: %v", c, end, perr)
			}
			q, set := p, func(q *Params, v float64) { q.Anchor = v }
			if c.flag == "start" {
				set = func(q *Params, v float64) { q.Start = v }
			}
			set(&q, v)
			if err := q.Validate(); err != nil {
				t.Errorf("%+v: --%s %s, the end named: %v", c, c.flag, end, err)
				continue
			}
			// It runs, every step within the limit (the histograms are
			// the exact law's, which float32's rounding leaves here:
			// docs/report.md).
			for lane := range uint64(3) {
				m, path := q.Model(), make([]float32, q.Steps)
				m.Path(lane, path)
				for k, x := range path {
					if !(math.Abs(float64(x)) <= MaxTemperature) {
						t.Fatalf("%+v: --%s %s: lane %d step %d at %v", c, c.flag, end, lane, k, x)
					}
				}
			}
			past := float64(math.Nextafter32(float32(v), float32(math.Copysign(math.Inf(1), v))))
			set(&q, past)
			if err := q.Validate(); err == nil {
				t.Errorf("%+v: --%s %v, the next float32 past %s, is accepted", c, c.flag, past, end)
			}
		}
	}
}

// TestLowerToZero: where only --sigma 0 brings a run within the limit, the
// advice names 0 alone, which runs: at --anchor 8.5153719e+37, the next
// float32 past the largest that runs at --sigma 5, it read "--sigma (to 0
// or less)", values --sigma refuses (0..3.4028235e+38).
func TestLowerToZero(t *testing.T) {
	p := Default()
	p.Lanes, p.Anchor = 20, float64(math.Nextafter32(float32(8.515371e+37), float32(math.Inf(1))))
	err := p.Validate()
	if msg := fmt.Sprint(err); !strings.HasSuffix(msg, " or --sigma (to 0)") {
		t.Fatalf("--anchor %v: %v, want the advice to end \" or --sigma (to 0)\"", p.Anchor, err)
	}
	p.Sigma = 0
	if err := p.Validate(); err != nil {
		t.Errorf("--anchor %v --sigma 0, the advice's value: %v", p.Anchor, err)
	}
}
