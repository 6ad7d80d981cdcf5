package shard

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/sim"
)

// The part file format: a JSON envelope
//
//	{"format": "gpusim-part", "version": 1, "payload": {...}, "checksum": "sha256:<hex>"}
//
// whose checksum is the SHA-256 of the payload's compact JSON encoding, so
// a changed, truncated or re-encoded value is detected while reformatting
// the whitespace is not an error. docs/cluster.md describes the payload.
const (
	PartFormat  = "gpusim-part"
	PartVersion = 1
)

// Part is a lane range's result as saved by `gpusim run --save`: enough to
// merge it with the other parts of its job into the job's summary.
type Part struct {
	Path    string // the file ReadPart read it from, for messages; not saved
	Params  sim.Params
	First   uint64 // the part holds lanes [First, First+Count)
	Count   uint64
	Shard   *Shard // the shard that made it, when it was made by one
	Engine  string
	Device  string
	Wall    time.Duration
	Summary *sim.Summary
	Daily   []*sim.Summary // per-step summaries, when the run kept them
	// Checksum is the payload's "sha256:<hex>", set by ReadPart and Marshal.
	Checksum string
}

// NewPart is the part for r. Finals are not saved: a part is a summary.
func NewPart(r *sim.Result) *Part {
	return &Part{
		Params: r.Params, First: r.First, Count: r.Summary.Count,
		Engine: r.Engine, Device: r.Device, Wall: r.Timing.Wall,
		Summary: r.Summary, Daily: r.Daily,
	}
}

// WriteFile saves p at path atomically (internal/atomicfile), so a reader
// (a merge job, another node on a shared file system) sees the whole part or
// none.
func (p *Part) WriteFile(path string) error {
	err := atomicfile.WriteFile(path, func(w io.Writer) error {
		_, err := p.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("write part %s: %w", path, err)
	}
	return nil
}

// WriteTo writes p as a part file to w (see Marshal).
func (p *Part) WriteTo(w io.Writer) (int64, error) {
	data, err := p.Marshal()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(data)
	return int64(n), err
}

// Marshal encodes p as a part file and sets p.Checksum.
func (p *Part) Marshal() ([]byte, error) {
	if p.Summary == nil || p.Summary.Hist == nil {
		return nil, errors.New("part has no summary")
	}
	if p.Summary.Count != p.Count {
		return nil, fmt.Errorf("part of %d lanes has a summary of %d", p.Count, p.Summary.Count)
	}
	pl := partPayload{
		Params: p.Params, Lanes: partLanes{p.First, p.Count}, Shard: p.Shard,
		Engine: p.Engine, Device: p.Device, WallSeconds: p.Wall.Seconds(),
		Summary: encodeSummary(p.Summary),
	}
	for _, d := range p.Daily {
		pl.Daily = append(pl.Daily, encodeSummary(d))
	}
	payload, err := json.Marshal(&pl)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(payload)
	p.Checksum = "sha256:" + hex.EncodeToString(sum[:])
	out, err := json.MarshalIndent(&partFile{Format: PartFormat, Version: PartVersion, Payload: payload, Checksum: p.Checksum}, "", "  ")
	if err != nil {
		return nil, err
	}
	// One histogram per line rather than one count per line: whitespace is
	// outside the checksum.
	out = numberList.ReplaceAllFunc(out, func(b []byte) []byte {
		f := bytes.Fields(b[1 : len(b)-1])
		return append(append([]byte{'['}, bytes.Join(f, []byte(" "))...), ']')
	})
	return append(out, '\n'), nil
}

var numberList = regexp.MustCompile(`\[[0-9,\s]+\]`)

type partFile struct {
	Format   string          `json:"format"`
	Version  int             `json:"version"`
	Payload  json.RawMessage `json:"payload"`
	Checksum string          `json:"checksum"`
}

type partPayload struct {
	Params      sim.Params    `json:"params"`
	Lanes       partLanes     `json:"lanes"`
	Shard       *Shard        `json:"shard,omitempty"`
	Engine      string        `json:"engine"`
	Device      string        `json:"device"`
	WallSeconds float64       `json:"wall_seconds"`
	Summary     partSummary   `json:"summary"`
	Daily       []partSummary `json:"daily,omitempty"`
}

type partLanes struct {
	First uint64 `json:"first"`
	Count uint64 `json:"count"`
}

// partSummary is a Summary in JSON. Go writes floats as the shortest decimal
// that reads back as the same float64 or float32, so every value survives
// exactly; min and max are null when the part has no lanes (they are
// infinite then, which JSON cannot write).
type partSummary struct {
	Count  uint64   `json:"count"`
	Mean   float64  `json:"mean"`
	M2     float64  `json:"m2"`
	Min    *float32 `json:"min"`
	Max    *float32 `json:"max"`
	Digest string   `json:"digest"` // 16 hex digits
	Hist   partHist `json:"hist"`
}

type partHist struct {
	Lo    float32  `json:"lo"`
	Scale float32  `json:"scale"`
	Bins  []uint64 `json:"bins"`
}

func encodeSummary(s *sim.Summary) partSummary {
	e := partSummary{
		Count: s.Count, Mean: s.Mean, M2: s.M2,
		Digest: fmt.Sprintf("%016x", s.Digest),
		Hist:   partHist{s.Hist.Lo, s.Hist.Scale, s.Hist.Bins},
	}
	if s.Count > 0 {
		lo, hi := s.Min, s.Max
		e.Min, e.Max = &lo, &hi
	}
	return e
}

func (e *partSummary) decode(bins int) (*sim.Summary, error) {
	s := &sim.Summary{Count: e.Count, Mean: e.Mean, M2: e.M2, Min: float32(math.Inf(1)), Max: float32(math.Inf(-1))}
	d, err := strconv.ParseUint(e.Digest, 16, 64)
	if err != nil || len(e.Digest) != 16 {
		return nil, fmt.Errorf("digest %q is not 16 hex digits", e.Digest)
	}
	s.Digest = d
	if len(e.Hist.Bins) != bins+2 {
		return nil, fmt.Errorf("histogram has %d bins, want %d", len(e.Hist.Bins), bins+2)
	}
	if !(e.Hist.Scale > 0) || math.IsInf(float64(e.Hist.Scale), 0) {
		return nil, fmt.Errorf("histogram scale %v is not a positive number", e.Hist.Scale)
	}
	var n uint64
	for _, c := range e.Hist.Bins {
		n += c
	}
	if n != e.Count {
		return nil, fmt.Errorf("histogram counts %d lanes, the summary %d", n, e.Count)
	}
	s.Hist = &sim.Histogram{Lo: e.Hist.Lo, Scale: e.Hist.Scale, Bins: e.Hist.Bins}
	switch {
	case e.Count == 0:
		if e.Min != nil || e.Max != nil || e.Mean != 0 || e.M2 != 0 {
			return nil, errors.New("summary of no lanes has values")
		}
	case e.Min == nil || e.Max == nil:
		return nil, errors.New("summary has no min or max")
	case !(*e.Min <= *e.Max) || !(e.M2 >= 0) || math.IsInf(e.M2, 0) || !meanWithin(e.Mean, *e.Min, *e.Max):
		return nil, fmt.Errorf("summary is inconsistent (min %v, max %v, mean %v, m2 %v)", *e.Min, *e.Max, e.Mean, e.M2)
	default:
		s.Min, s.Max = *e.Min, *e.Max
	}
	return s, nil
}

// meanWithin reports whether mean lies in [lo, hi], up to the rounding of
// the float64 moments.
func meanWithin(mean float64, lo, hi float32) bool {
	slack := 1e-9 * (math.Abs(mean) + math.Abs(float64(lo)) + math.Abs(float64(hi)))
	return mean >= float64(lo)-slack && mean <= float64(hi)+slack
}

// ReadPart reads and checks a part file. It fails, naming path, on anything
// but an intact part of a valid job: a file that is empty, truncated, not
// JSON, not a part, of another version, fails its checksum or has values
// that cannot belong together.
func ReadPart(path string) (*Part, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read part: %w", err)
	}
	p, err := ParsePart(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p.Path = path
	return p, nil
}

// ParsePart decodes and checks a part file's contents (see ReadPart).
func ParsePart(data []byte) (*Part, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty file, not a gpusim part")
	}
	// Read the format first, so that a newer or foreign file says what it is
	// rather than failing on fields this version does not know.
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end") {
			return nil, fmt.Errorf("truncated: the file ends after %d bytes, inside the JSON", len(data))
		}
		if errors.As(err, &se) {
			return nil, fmt.Errorf("not a gpusim part (not JSON: %v)", err)
		}
		return nil, fmt.Errorf("not a gpusim part (%v)", err)
	}
	if head.Format != PartFormat {
		return nil, fmt.Errorf("not a gpusim part (format %q, want %q)", head.Format, PartFormat)
	}
	if head.Version != PartVersion {
		return nil, fmt.Errorf("part format version %d; this gpusim reads version %d", head.Version, PartVersion)
	}
	var f partFile
	if err := strictDecode(data, &f); err != nil {
		return nil, fmt.Errorf("malformed part: %v", err)
	}
	if len(f.Payload) == 0 || f.Checksum == "" {
		return nil, errors.New("malformed part: no payload or no checksum")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, f.Payload); err != nil {
		return nil, fmt.Errorf("malformed part: %v", err)
	}
	sum := sha256.Sum256(compact.Bytes())
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != f.Checksum {
		return nil, fmt.Errorf("checksum mismatch (file says %s, content is %s): the part was changed or damaged after it was written", f.Checksum, got)
	}
	var pl partPayload
	if err := strictDecode(f.Payload, &pl); err != nil {
		return nil, fmt.Errorf("malformed part: %v", err)
	}
	if err := pl.Params.Validate(); err != nil {
		return nil, fmt.Errorf("invalid job parameters: %v", err)
	}
	p := &Part{
		Params: pl.Params, First: pl.Lanes.First, Count: pl.Lanes.Count, Shard: pl.Shard,
		Engine: pl.Engine, Device: pl.Device, Wall: time.Duration(pl.WallSeconds * float64(time.Second)),
		Checksum: f.Checksum,
	}
	if p.First > p.Params.Lanes || p.Count > p.Params.Lanes-p.First {
		return nil, fmt.Errorf("lanes [%d, %d+%d) are outside the job's %d lanes", p.First, p.First, p.Count, p.Params.Lanes)
	}
	if p.Shard != nil && p.Shard.Index >= p.Shard.Count {
		return nil, fmt.Errorf("shard %s is not a shard", p.Shard)
	}
	var err error
	if p.Summary, err = pl.Summary.decode(sim.HistBins); err != nil {
		return nil, fmt.Errorf("summary: %v", err)
	}
	if p.Summary.Count != p.Count {
		return nil, fmt.Errorf("summary counts %d lanes, the part holds %d", p.Summary.Count, p.Count)
	}
	if pl.Daily != nil {
		if len(pl.Daily) != p.Params.Steps {
			return nil, fmt.Errorf("%d daily summaries for %d steps", len(pl.Daily), p.Params.Steps)
		}
		for n := range pl.Daily {
			d, err := pl.Daily[n].decode(sim.DailyBins)
			if err != nil {
				return nil, fmt.Errorf("daily summary of step %d: %v", n+1, err)
			}
			if d.Count != p.Count {
				return nil, fmt.Errorf("daily summary of step %d counts %d lanes, the part holds %d", n+1, d.Count, p.Count)
			}
			p.Daily = append(p.Daily, d)
		}
	}
	return p, nil
}

func strictDecode(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// name is how messages refer to part i.
func (p *Part) name(i int) string {
	if p.Path != "" {
		return p.Path
	}
	return fmt.Sprintf("part %d", i+1)
}

// CoverageError says how a set of parts fails to cover its job's lanes
// exactly once.
type CoverageError struct {
	Lanes    uint64
	Problems []string // "lanes [a, b) are missing", "lanes [a, b) are in both X and Y"
}

// maxProblems bounds the problems a CoverageError lists.
const maxProblems = 8

func (e *CoverageError) Error() string {
	ps := e.Problems
	more := ""
	if len(ps) > maxProblems {
		more = fmt.Sprintf("; and %d more", len(ps)-maxProblems)
		ps = ps[:maxProblems]
	}
	return fmt.Sprintf("the parts do not cover the job's %d lanes exactly once: %s%s", e.Lanes, strings.Join(ps, "; "), more)
}

// Merge merges the parts of one job into the job's result. It refuses, with
// an error naming the files, unless every part has the same job parameters
// and the parts cover every lane [0, Lanes) exactly once. The digest, count,
// extremes and histogram are then exactly those of a single run; mean and M2
// are merged in lane order (Chan et al.), which agrees with a single run to
// rounding. The Result is for lanes [0, Lanes): Engine and Device list the
// distinct engines and devices of the parts in lane order, Daily is merged
// when every part kept it, and Timing is zero.
func Merge(parts []*Part) (*sim.Result, error) {
	order, err := checkParts(parts)
	if err != nil {
		return nil, err
	}
	s, err := mergeSummaries(parts, order, func(p *Part) *sim.Summary { return p.Summary })
	if err != nil {
		return nil, err
	}
	r := &sim.Result{Params: parts[0].Params, Summary: s}
	var engines, devices []string
	daily := true
	for _, i := range order {
		p := parts[i]
		if !slices.Contains(engines, p.Engine) {
			engines = append(engines, p.Engine)
		}
		// A shard with no lanes ran on no device (Run leaves it empty).
		if p.Device != "" && !slices.Contains(devices, p.Device) {
			devices = append(devices, p.Device)
		}
		daily = daily && p.Daily != nil
	}
	r.Engine, r.Device = strings.Join(engines, "+"), strings.Join(devices, "; ")
	if daily {
		for n := range r.Params.Steps {
			d, err := mergeSummaries(parts, order, func(p *Part) *sim.Summary { return p.Daily[n] })
			if err != nil {
				return nil, fmt.Errorf("daily summary of step %d: %w", n+1, err)
			}
			r.Daily = append(r.Daily, d)
		}
	}
	return r, nil
}

func mergeSummaries(parts []*Part, order []int, get func(*Part) *sim.Summary) (*sim.Summary, error) {
	h := get(parts[order[0]]).Hist
	s := &sim.Summary{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1)),
		Hist: &sim.Histogram{Lo: h.Lo, Scale: h.Scale, Bins: make([]uint64, len(h.Bins))}}
	for _, i := range order {
		if err := s.Merge(get(parts[i])); err != nil {
			return nil, fmt.Errorf("%s: %w", parts[i].name(i), err)
		}
	}
	return s, nil
}

// checkParts checks that parts are one job's and tile its lanes, and returns
// their indices in lane order.
func checkParts(parts []*Part) ([]int, error) {
	if len(parts) == 0 {
		return nil, errors.New("no parts to merge")
	}
	// The same file twice, or two copies of one part, would otherwise show up
	// as an overlap; saying what happened is more useful.
	seenPath := map[string]int{}
	seenSum := map[string]int{}
	for i, p := range parts {
		if p.Summary == nil || p.Summary.Hist == nil {
			return nil, fmt.Errorf("%s: part has no summary", p.name(i))
		}
		if p.First > p.Params.Lanes || p.Count > p.Params.Lanes-p.First || p.Summary.Count != p.Count {
			return nil, fmt.Errorf("%s: lanes [%d, %d+%d) with %d counted do not fit the job's %d lanes", p.name(i), p.First, p.First, p.Count, p.Summary.Count, p.Params.Lanes)
		}
		if p.Path != "" {
			key := filepath.Clean(p.Path)
			if j, ok := seenPath[key]; ok {
				return nil, fmt.Errorf("%s is given twice (parts %d and %d)", p.Path, j+1, i+1)
			}
			seenPath[key] = i
		}
		if p.Checksum != "" && p.Count > 0 {
			if j, ok := seenSum[p.Checksum]; ok {
				return nil, fmt.Errorf("%s and %s are copies of the same part (lanes [%d, %d))", parts[j].name(j), p.name(i), p.First, p.First+p.Count)
			}
			seenSum[p.Checksum] = i
		}
	}
	p0 := parts[0]
	for i, p := range parts[1:] {
		i++
		if field, a, b := diffParams(p0.Params, p.Params); field != "" {
			return nil, fmt.Errorf("%s and %s are parts of different jobs: --%s is %s in %s and %s in %s", p0.name(0), p.name(i), field, a, p0.name(0), b, p.name(i))
		}
		h0, h := p0.Summary.Hist, p.Summary.Hist
		if h0.Lo != h.Lo || h0.Scale != h.Scale || len(h0.Bins) != len(h.Bins) {
			return nil, fmt.Errorf("%s and %s have different histogram layouts (made by different gpusim versions?)", p0.name(0), p.name(i))
		}
		if p0.Daily != nil && p.Daily != nil {
			for n := range p.Daily {
				a, b := p0.Daily[n].Hist, p.Daily[n].Hist
				if a.Lo != b.Lo || a.Scale != b.Scale || len(a.Bins) != len(b.Bins) {
					return nil, fmt.Errorf("%s and %s have different daily histogram layouts (made by different gpusim versions?)", p0.name(0), p.name(i))
				}
			}
		}
	}
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		pa, pb := parts[a], parts[b]
		if pa.First != pb.First {
			return cmp.Compare(pa.First, pb.First)
		}
		return cmp.Compare(pa.Count, pb.Count)
	})
	lanes := p0.Params.Lanes
	cov := &CoverageError{Lanes: lanes}
	next, owner := uint64(0), -1 // lanes [0, next) are covered, the last of them by owner
	for _, i := range order {
		p := parts[i]
		if p.Count == 0 {
			continue
		}
		end := p.First + p.Count
		if p.First > next {
			cov.Problems = append(cov.Problems, fmt.Sprintf("lanes [%d, %d) are missing", next, p.First))
		} else if p.First < next {
			cov.Problems = append(cov.Problems, fmt.Sprintf("lanes [%d, %d) are in both %s and %s", p.First, min(end, next), parts[owner].name(owner), p.name(i)))
		}
		if end > next {
			next, owner = end, i
		}
	}
	if next < lanes {
		cov.Problems = append(cov.Problems, fmt.Sprintf("lanes [%d, %d) are missing", next, lanes))
	}
	if len(cov.Problems) > 0 {
		return nil, cov
	}
	return order, nil
}

// diffParams returns the first parameter, as its flag name, in which a and b
// differ, with both values; field is empty when they agree.
func diffParams(a, b sim.Params) (field, va, vb string) {
	u := func(x uint64) string { return strconv.FormatUint(x, 10) }
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch {
	case a.Seed != b.Seed:
		return "seed", u(a.Seed), u(b.Seed)
	case a.Lanes != b.Lanes:
		return "lanes", u(a.Lanes), u(b.Lanes)
	case a.Steps != b.Steps:
		return "steps", strconv.Itoa(a.Steps), strconv.Itoa(b.Steps)
	case a.Start != b.Start:
		return "start", f(a.Start), f(b.Start)
	case a.Anchor != b.Anchor:
		return "anchor", f(a.Anchor), f(b.Anchor)
	case a.Persistence != b.Persistence:
		return "persistence", f(a.Persistence), f(b.Persistence)
	case a.Sigma != b.Sigma:
		return "sigma", f(a.Sigma), f(b.Sigma)
	}
	return "", "", ""
}
