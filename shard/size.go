package shard

import (
	"math"
	"strconv"
	"strings"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// nameRoom is what MaxSize counts for an engine name given as "".
const nameRoom = 1 << 10

// jsonLongest and jsonLongest32 are float64s that encoding/json writes at
// its longest, 25 characters ("-0.0000012345678901234567": fixed notation
// from 1e-6, seventeen digits, a sign), the second a float32's value and
// their sum too, as a summary's mean is its shift + dev (TestMaxSizeFloats).
const (
	jsonLongest   = -1.2345678901234567e-06
	jsonLongest32 = float32(-1.2345678e-06)
)

// MaxSize is an upper bound, in bytes, of the part file (Part.Marshal) of
// a run of p, of a shard (sharded) or the whole job, with per-step
// summaries (daily) or without, recording engine, the engine that runs
// (where auto chooses it, the longest name it may choose), requested,
// the --engine given (each counted at nameRoom where "": 2 KiB where they
// take about 10 bytes, 40% above a part without --daily, when both were),
// and device, the device or CPU configuration that runs at its longest
// (engines.DeviceLabel; its OpenCL names come from the driver, which sets
// them no length, and a Multi's join every device's; with "", the bound is
// that less the device's bytes, all a run knows before its engine opens):
// the part of that shape
// with every count at p.Lanes (a part's counts and first lane are at most
// that), the shard's numbers at 2^64-1, every float at its longest
// (jsonLongest), the device as given, escaped as the part escapes it, the wall time at 25
// characters, and its histograms' counts at the most digits N lanes can
// take over B bins, B (1 + log10(N/B + 1)) (a count c takes at most 1 +
// log10(c + 1) digits, which is concave in c, so Jensen's inequality bounds
// the sum at equal counts), or, where every lane holds one value at each
// step (no noise, no steps), N's digits in one bin, with the quotes of
// those above 2^53 (whose lists are then written a count a line). A
// --daily part of 10,000 steps of 10,000 lanes is 21 MB, its bound 26.8 MB.
func MaxSize(p sim.Params, sharded, daily bool, engine, requested, device string) uint64 {
	steps := 0
	if daily {
		steps = p.Steps
	}
	size := func(n int) uint64 {
		part := worstPart(p, sharded, daily, n, engine, requested, device)
		b, err := part.Marshal()
		if err != nil {
			return math.MaxUint64 // not reached: worstPart is a valid part
		}
		return uint64(len(b))
	}
	n := size(min(steps, 1))
	if steps > 1 {
		// Per-step summaries are alike: the second's bytes, steps-1 times.
		per := size(2) - n
		n = count.SatAdd(n, count.SatMul(per, uint64(steps-1)))
	}
	n = count.SatAdd(n, 24) // the wall time, written as 0
	oneValue := p.Sigma == 0 || p.Steps == 0
	n = count.SatAdd(n, binDigits(p.Lanes, sim.HistBins, oneValue))
	return count.SatAdd(n, count.SatMul(uint64(steps), binDigits(p.Lanes, sim.DailyBins, oneValue)))
}

// worstPart is MaxSize's part with daily summaries of n steps (none
// without daily), its histograms' counts 0.
func worstPart(p sim.Params, sharded, daily bool, n int, engine, requested, device string) *Part {
	summary := func(bins int) *sim.Summary {
		s := &sim.Summary{Count: p.Lanes, M2: jsonLongest, Min: jsonLongest32, Max: jsonLongest32,
			Digest: math.MaxUint64, Hist: &sim.Histogram{Lo: jsonLongest32, Scale: jsonLongest32, Bins: make([]uint64, bins)}}
		s.SetShift(jsonLongest, jsonLongest)
		if mayFloat(engine, requested) {
			s.FloatDepth = sim.MaxFloatDepth
		}
		if p.Lanes > exactInt {
			// A list with a count above 2^53, a string, is written a
			// count a line (oneLineLists keeps lists of numbers only).
			s.Hist.Bins[0] = exactInt + 1
		}
		return s
	}
	room := strings.Repeat("x", nameRoom)
	or := func(name string) string {
		if name == "" {
			return room
		}
		return name
	}
	part := &Part{Params: p, First: p.Lanes, Count: p.Lanes, Engine: or(engine), Requested: or(requested), Device: device,
		Math: sim.MathExact, Summary: summary(sim.HistBins)}
	if sharded {
		part.Shard = &Shard{Index: math.MaxUint64, Count: math.MaxUint64}
	}
	if p.Lanes <= sim.ExactQuantileLanes {
		part.Finals = make([]float32, p.Lanes) // base64: as long for any bits
	}
	if daily {
		part.Daily = make([]*sim.Summary, n)
		for i := range part.Daily {
			part.Daily[i] = summary(sim.DailyBins)
		}
	}
	return part
}

// mayFloat says whether a run on engine, asked for requested, may sum its
// moments in float32 (sim.Summary.FloatDepth: OpenCL on a device without
// fp64), where its part writes each summary's float_depth: engine is
// opencl or unknown (""), or auto chooses it.
func mayFloat(engine, requested string) bool {
	return engine == "opencl" || engine == "" || requested == "auto" || requested == "opencl" || requested == ""
}

// binDigits bounds the characters beyond one a bin that lanes counts over
// bins histogram bins take in a part file: bins log10(lanes/bins + 1)
// digits, or with oneValue (every lane in one bin) lanes' digits less one,
// and two quotes for each count above 2^53 (at most lanes / 2^53 of them).
func binDigits(lanes uint64, bins int, oneValue bool) uint64 {
	quotes := 2 * min(uint64(bins), lanes/exactInt)
	if oneValue {
		return count.SatAdd(uint64(len(strconv.FormatUint(lanes, 10))-1), quotes)
	}
	b := float64(bins)
	digits := math.Ceil(b * math.Log10(float64(lanes)/b+1))
	return count.SatAdd(uint64(digits), quotes)
}
