package shard

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"

	"github.com/gpusim/gpusim/internal/jsonnum"
	"github.com/gpusim/gpusim/sim"
)

// The part file's JSON, version 5 (doc.go; version 4 where no summary has
// a float_depth). Versions 1 to 4 decode into
// the same types: u64, f32 and binList read the numbers version 1 wrote;
// none has a requested_engine, and versions 1 and 2 no summary's shift and
// dev, which decodeEnvelope refuses in them; version 2 summed an empty
// daily list as none.

type partFile struct {
	Format   string          `json:"format"`
	Version  int             `json:"version"`
	Payload  json.RawMessage `json:"payload"`
	Checksum string          `json:"checksum"`
}

type partPayload struct {
	Params      partParams  `json:"params"`
	Math        string      `json:"math,omitempty"` // absent in version 1
	Lanes       partLanes   `json:"lanes"`
	Shard       *partShard  `json:"shard,omitempty"`
	Engine      string      `json:"engine"`
	Requested   string      `json:"requested_engine,omitempty"` // version 4
	Device      string      `json:"device"`
	WallSeconds float64     `json:"wall_seconds"`
	Summary     partSummary `json:"summary"`
	// Daily is absent without --daily, and [] for a --daily part of no
	// steps (version 3: before, omitempty dropped it, and the merge took
	// such parts for parts without per-step statistics).
	Daily *[]partSummary `json:"daily,omitempty"`
	// Finals (version 6) is Part.Finals, in a part of a job of at most
	// sim.ExactQuantileLanes lanes: encodeFinals.
	Finals *string `json:"finals,omitempty"`
}

type partParams struct {
	Lanes       u64     `json:"lanes"`
	Steps       int     `json:"steps"`
	Start       float64 `json:"start"`
	Anchor      float64 `json:"anchor"`
	Persistence float64 `json:"persistence"`
	Sigma       float64 `json:"sigma"`
	Seed        u64     `json:"seed"`
}

type partLanes struct {
	First u64 `json:"first"`
	Count u64 `json:"count"`
}

type partShard struct {
	Index u64 `json:"index"`
	Count u64 `json:"count"`
}

// partSummary is a sim.Summary. min and max are null when the part has no
// lanes (they are infinite then, which JSON cannot write). shift and dev
// (version 3) are the summary's sim.Summary.Shift, present when it keeps
// its mean as shift + dev: mean must then be shift + dev exactly.
type partSummary struct {
	Count  u64      `json:"count"`
	Mean   float64  `json:"mean"`
	M2     float64  `json:"m2"`
	Shift  *float64 `json:"shift,omitempty"`
	Dev    *float64 `json:"dev,omitempty"`
	Min    *f32     `json:"min"`
	Max    *f32     `json:"max"`
	Digest string   `json:"digest"` // 16 hex digits
	Hist   partHist `json:"hist"`
	// FloatDepth (version 5) is sim.Summary.FloatDepth: absent for sums
	// in float64, the float32 sums' depth otherwise.
	FloatDepth u64 `json:"float_depth,omitempty"`
}

type partHist struct {
	Lo    f32     `json:"lo"`
	Scale f32     `json:"scale"`
	Bins  binList `json:"bins"`
}

// exactInt is the largest integer up to which every integer is a float64:
// tools that read JSON numbers as float64 (jq 1.6, JavaScript) keep these.
const exactInt = 1 << 53

// u64 is a uint64 written as a decimal string, which no tool rounds. It
// reads a string or a number (version 1).
type u64 uint64

func (v u64) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, strconv.FormatUint(uint64(v), 10)), nil
}

func (v *u64) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not a whole number from 0 to 2^64-1", b)
	}
	*v = u64(n)
	return nil
}

// f32 is a float32 written as the shortest decimal of its float64 value, so
// that it reads back exactly through float64 as well as float32 (the
// shortest float32 decimal can round twice through float64). It reads
// either form.
type f32 float32

func (v f32) MarshalJSON() ([]byte, error) { return json.Marshal(float64(v)) }

func (v *f32) UnmarshalJSON(b []byte) error {
	x, err := strconv.ParseFloat(string(b), 32)
	if err != nil {
		return fmt.Errorf("%s is not a float32", b)
	}
	*v = f32(x)
	return nil
}

// binList is histogram counts: numbers, and strings for any count above
// exactInt, which only a part of more than 2^53 lanes can have.
type binList []uint64

func (l binList) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+4*len(l))
	b = append(b, '[')
	for i, c := range l {
		if i > 0 {
			b = append(b, ',')
		}
		if c > exactInt {
			b = strconv.AppendQuote(b, strconv.FormatUint(c, 10))
		} else {
			b = strconv.AppendUint(b, c, 10)
		}
	}
	return append(b, ']'), nil
}

func (l *binList) UnmarshalJSON(b []byte) error {
	if ns, ok := plainCounts(b); ok {
		*l = ns
		return nil
	}
	var ns []uint64
	if err := json.Unmarshal(b, &ns); err == nil {
		*l = ns
		return nil
	}
	var vs []u64
	if err := json.Unmarshal(b, &vs); err != nil {
		return errors.New("histogram bins are not whole numbers")
	}
	*l = make(binList, len(vs))
	for i, v := range vs {
		(*l)[i] = uint64(v)
	}
	return nil
}

// plainCounts is the JSON array b of whole numbers in decimal digits, as
// json.Unmarshal into []uint64 reads it, without its reflection (31% of
// reading an 8 MB part); ok is false for any other array (strings, a
// number past uint64, null), which binList reads the slow way. b is valid
// JSON: the decoder checked it before calling UnmarshalJSON.
func plainCounts(b []byte) (ns []uint64, ok bool) {
	space := func(i int) int {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
		return i
	}
	i := space(0)
	if i == len(b) || b[i] != '[' {
		return nil, false
	}
	ns = make([]uint64, 0, bytes.Count(b, []byte(","))+1)
	if i = space(i + 1); i < len(b) && b[i] == ']' {
		return ns, space(i+1) == len(b)
	}
	for i < len(b) {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		n, err := strconv.ParseUint(string(b[i:j]), 10, 64)
		if j == i || err != nil {
			return nil, false
		}
		ns = append(ns, n)
		if j = space(j); j == len(b) {
			return nil, false
		}
		switch b[j] {
		case ',':
			i = space(j + 1)
		case ']':
			return ns, space(j+1) == len(b)
		default:
			return nil, false
		}
	}
	return nil, false
}

// encodeFinals is finals as a part saves them: each float32's bits, 4 bytes
// little-endian, in standard base64 (RFC 4648, section 4; 16 KiB of
// finals, 21.8 kB of text). The bits keep what a JSON number cannot (-0,
// the infinities and NaNs a lane may end at) and what a tool that
// rewrites JSON numbers (jq, Python) could round, and the text is the
// same in the payload's compact and indented forms.
func encodeFinals(finals []float32) string {
	b := make([]byte, 4*len(finals))
	for i, x := range finals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// decodeFinals reads the finals f of p, which ParsePart has read but for
// them, and checks them against it: a job of at most
// sim.ExactQuantileLanes lanes, one final for each of the part's lanes,
// and their digest terms (sim.DigestTerm, from lane p.First) sum to the
// summary's digest, as the run's did.
func decodeFinals(f string, p *Part) ([]float32, error) {
	if p.Params.Lanes > sim.ExactQuantileLanes {
		return nil, fmt.Errorf("a part of a job of %d lanes has them, where only a job of at most %d lanes saves them", p.Params.Lanes, sim.ExactQuantileLanes)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(f)
	if err != nil {
		return nil, fmt.Errorf("not base64 (RFC 4648): %v", err)
	}
	if uint64(len(b)) != 4*p.Count {
		return nil, fmt.Errorf("%d bytes, where the part's %d lanes take 4 each", len(b), p.Count)
	}
	finals := make([]float32, p.Count)
	var digest uint64
	for i := range finals {
		u := binary.LittleEndian.Uint32(b[4*i:])
		finals[i] = math.Float32frombits(u)
		digest += sim.DigestTerm(p.First+uint64(i), u)
	}
	if digest != p.Summary.Digest {
		return nil, fmt.Errorf("their digest %016x is not the summary's %016x: the finals or the summary were changed after the run", digest, p.Summary.Digest)
	}
	return finals, nil
}

func encodeParams(p sim.Params) partParams {
	return partParams{Lanes: u64(p.Lanes), Steps: p.Steps, Start: p.Start, Anchor: p.Anchor,
		Persistence: p.Persistence, Sigma: p.Sigma, Seed: u64(p.Seed)}
}

func (e partParams) decode() sim.Params {
	return sim.Params{Lanes: uint64(e.Lanes), Steps: e.Steps, Start: e.Start, Anchor: e.Anchor,
		Persistence: e.Persistence, Sigma: e.Sigma, Seed: uint64(e.Seed)}
}

func encodeSummary(s *sim.Summary) partSummary {
	e := partSummary{
		Count: u64(s.Count), Mean: s.Mean, M2: s.M2,
		Digest: fmt.Sprintf("%016x", s.Digest),
		Hist:   partHist{f32(s.Hist.Lo), f32(s.Hist.Scale), s.Hist.Bins},
	}
	if s.Count > 0 {
		lo, hi := f32(s.Min), f32(s.Max)
		e.Min, e.Max = &lo, &hi
	}
	if shift, dev, ok := s.Shift(); ok {
		e.Shift, e.Dev = &shift, &dev
	}
	e.FloatDepth = u64(s.FloatDepth)
	return e
}

// hasShift reports whether e has a shift or a dev, which versions 1 and 2
// do not write.
func (e *partSummary) hasShift() bool { return e.Shift != nil || e.Dev != nil }

// hasFloatDepth reports whether a summary of pl was summed in float32
// (float_depth), which versions 1 to 4 do not write.
func (pl *partPayload) hasFloatDepth() bool {
	if pl.Summary.FloatDepth != 0 {
		return true
	}
	if pl.Daily != nil {
		for _, d := range *pl.Daily {
			if d.FloatDepth != 0 {
				return true
			}
		}
	}
	return false
}

func (e *partSummary) decode(bins int) (*sim.Summary, error) {
	count := uint64(e.Count)
	s := &sim.Summary{Count: count, Mean: e.Mean, M2: e.M2, Min: float32(math.Inf(1)), Max: float32(math.Inf(-1)), FloatDepth: uint64(e.FloatDepth)}
	if s.FloatDepth > sim.MaxFloatDepth {
		return nil, fmt.Errorf("float_depth %d is above %d, the most a run records", s.FloatDepth, sim.MaxFloatDepth)
	}
	d, err := strconv.ParseUint(e.Digest, 16, 64)
	if err != nil || len(e.Digest) != 16 {
		return nil, fmt.Errorf("digest %q is not 16 hex digits", e.Digest)
	}
	s.Digest = d
	lo, scale := float32(e.Hist.Lo), float32(e.Hist.Scale)
	if len(e.Hist.Bins) != bins+2 {
		return nil, fmt.Errorf("histogram has %d bins, want %d", len(e.Hist.Bins), bins+2)
	}
	if !(scale > 0) || math.IsInf(float64(scale), 0) {
		return nil, fmt.Errorf("histogram scale %s is not a positive number", jsonnum.Text32(scale))
	}
	var n, carry uint64
	for _, c := range e.Hist.Bins {
		var cc uint64
		n, cc = bits.Add64(n, c, 0)
		carry |= cc
	}
	if carry != 0 || n != count {
		return nil, fmt.Errorf("histogram counts %d lanes, the summary %d", n, count)
	}
	s.Hist = &sim.Histogram{Lo: lo, Scale: scale, Bins: e.Hist.Bins}
	switch {
	case count == 0:
		if e.Min != nil || e.Max != nil || e.Mean != 0 || e.M2 != 0 || e.hasShift() {
			return nil, errors.New("no lanes counted, yet it has values")
		}
	case e.Min == nil || e.Max == nil:
		return nil, errors.New("no min or max")
	default:
		mn, mx := float32(*e.Min), float32(*e.Max)
		tol := momentTol(s.Hist, mn, mx, count)
		if !(mn <= mx) || !(e.M2 >= 0) || math.IsInf(e.M2, 0) || !meanWithin(e.Mean, mn, mx, tol) || !spreadWithin(e.M2, count, mn, mx, tol) {
			return nil, fmt.Errorf("inconsistent (min %s, max %s, mean %s, m2 %s)", jsonnum.Text32(mn), jsonnum.Text32(mx), jsonnum.Text(e.Mean), jsonnum.Text(e.M2))
		}
		// Every engine bins with the same float32 arithmetic: min and max
		// lie in the lowest and the highest bin that count lanes.
		first, last := -1, -1
		for i, c := range e.Hist.Bins {
			if c != 0 {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if b := s.Hist.Bin(mn); b != first {
			return nil, fmt.Errorf("inconsistent: min %s falls in histogram bin %d, the lowest that counts lanes is %d", jsonnum.Text32(mn), b, first)
		}
		if b := s.Hist.Bin(mx); b != last {
			return nil, fmt.Errorf("inconsistent: max %s falls in histogram bin %d, the highest that counts lanes is %d", jsonnum.Text32(mx), b, last)
		}
		if lo, hi := histMeanRange(s.Hist, mn, mx, count); !meanWithinRange(e.Mean, lo, hi, tol) {
			return nil, fmt.Errorf("inconsistent: mean %s, the histogram's lanes have a mean in [%s, %s]", jsonnum.Text(e.Mean), jsonnum.Text(lo), jsonnum.Text(hi))
		}
		s.Min, s.Max = mn, mx
		switch {
		case e.Shift == nil && e.Dev == nil:
		case e.Shift == nil || e.Dev == nil:
			return nil, errors.New("one of shift and dev without the other")
		case *e.Shift+*e.Dev != e.Mean:
			// Both are written exactly: the run's mean was their sum.
			return nil, fmt.Errorf("inconsistent: mean %s is not shift %s + dev %s (%s)", jsonnum.Text(e.Mean), jsonnum.Text(*e.Shift), jsonnum.Text(*e.Dev), jsonnum.Text(*e.Shift+*e.Dev))
		default:
			s.SetShift(*e.Shift, *e.Dev)
		}
	}
	return s, nil
}

// moments is how far the float64 moments of count lanes in [mn, mx] may be
// off by their rounding: the engines sum each lane's deviation d from the
// exact law's mean (the centre of the histogram h) and its square, so the
// rounding is relative to |d| <= D and the sums of squares to count D^2,
// not to the lanes' spread, which is far smaller when float32 rounding
// took the lanes away from the law (start 1 and anchor 1e20 at
// --persistence -1: after 2 steps the lanes lie within 1e-20 of 0, the
// law's mean is 1, and every deviation is -1: M2 is 0, which the part
// check refused as below the extremes' spread, so the run's own --save
// could not be merged).
type moments struct{ mean, m2 float64 }

// momentTol returns the moments' rounding for count lanes in [mn, mx] binned
// by h: a thousandth (a device without fp64 sums in float32) and count
// 2^-50 (float64 sums of count terms) of count D^2 for M2, and a millionth
// and count 2^-50 of D for the mean.
func momentTol(h *sim.Histogram, mn, mx float32, count uint64) moments {
	half := float64(len(h.Bins)-2) / 2 / float64(h.Scale)
	centre := float64(h.Lo) + half
	// Lo is the law's mean less half the span, rounded to float32.
	d := max(math.Abs(float64(mn)-centre), math.Abs(float64(mx)-centre)) + float64((math.Abs(centre)+half)*0x1p-22)
	n := float64(count)
	return moments{mean: d * (1e-6 + float64(n*0x1p-50)), m2: n * d * d * (1e-3 + float64(n*0x1p-50))}
}

// spreadWithin reports whether m2, the sum of squared deviations of count
// values whose least is lo and greatest hi, lies between its least possible
// value, (hi-lo)^2 / 2 (the two extremes' deviations alone), and its
// largest, count (hi-lo)^2 / 4 (Popoviciu's inequality on variances), up to
// the rounding of the moments, tol.m2.
func spreadWithin(m2 float64, count uint64, lo, hi float32, tol moments) bool {
	r := float64(hi) - float64(lo)
	return m2 >= float64(r*r/2)-tol.m2-1e-300 && m2 <= float64(float64(count)*r*r/4)+tol.m2+1e-300
}

// histMeanRange bounds the mean of count values in [mn, mx] that h counts:
// each bin's lanes lie within its edges (give or take a bin, for the float32
// arithmetic that bins them) and within [mn, mx]; the underflow and
// overflow bins' between mn or mx and the histogram's ends.
func histMeanRange(h *sim.Histogram, mn, mx float32, count uint64) (lo, hi float64) {
	w := 1 / float64(h.Scale)
	last := len(h.Bins) - 1
	for i, c := range h.Bins {
		if c == 0 {
			continue
		}
		a, b := float64(mn), float64(mx)
		if i > 0 {
			a = max(a, h.Edge(i-1)-w)
		}
		if i < last {
			b = min(b, h.Edge(i)+w)
		}
		lo += float64(float64(c) * a)
		hi += float64(float64(c) * b)
	}
	return lo / float64(count), hi / float64(count)
}

// meanWithinRange reports whether mean lies in [lo, hi] up to the rounding
// of the sums (a millionth of the values: a device without fp64 sums in
// float32, to about 1e-7; and tol.mean).
func meanWithinRange(mean, lo, hi float64, tol moments) bool {
	slack := float64(1e-6*(math.Abs(mean)+math.Abs(lo)+math.Abs(hi))) + tol.mean
	return mean >= lo-slack && mean <= hi+slack
}

// meanWithin reports whether mean lies in [lo, hi], up to the rounding of
// the float64 moments (tol.mean).
func meanWithin(mean float64, lo, hi float32, tol moments) bool {
	slack := float64(1e-9*(math.Abs(mean)+math.Abs(float64(lo))+math.Abs(float64(hi)))) + tol.mean
	return mean >= float64(lo)-slack && mean <= float64(hi)+slack
}
