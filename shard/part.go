package shard

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/jsonnum"
	"github.com/gpusim/gpusim/internal/sysmem"
	"github.com/gpusim/gpusim/sim"
)

// The part file format (doc.go): PartFormat is the envelope's "format";
// ParsePart reads PartVersion and every version before it, from 1. Marshal
// writes the first version that holds the part: finalsVersion where it
// saves its lanes' finals, else floatVersion where a summary was summed in
// float32 (float_depth), else floatVersion - 1: a part summed in float64
// reads as before in an older gpusim, and one it would take for float64's
// accuracy, or merge without the exact quantiles its finals give, is
// refused there as a newer version.
const (
	PartFormat    = "gpusim-part"
	PartVersion   = 6
	floatVersion  = 5 // the version that added float_depth
	finalsVersion = 6 // the version that added finals
)

// Part is a lane range's result as saved by `gpusim run --save`: enough to
// merge it with the other parts of its job into the job's summary.
type Part struct {
	Path   string     // the file ReadPart read it from, for messages; not saved
	Params sim.Params // the whole job's parameters
	First  uint64     // the part holds lanes [First, First+Count)
	Count  uint64     // lanes in the part (Summary.Count)
	Shard  *Shard     // the shard that made it, when it was made by one
	Engine string     // the engine that ran
	// Requested is the engine the run was asked for (gpusim run --engine:
	// auto or an engine's name), which differs from Engine when auto
	// chose; empty in a part of versions 1 to 3, which did not record it.
	Requested string
	Device    string // the device or CPU configuration that ran it (sim.Result.Device)
	// Math is the stream's math mode, sim.MathExact or sim.MathFast; empty
	// in a version 1 part, which did not record it.
	Math    string
	Wall    time.Duration // the run's wall-clock time, saved as wall_seconds (float64 seconds)
	Summary *sim.Summary  // the lanes' summary, histogram of sim.HistBins+2 bins
	// Daily is the per-step summaries when the run kept them: nil
	// without --daily, empty for a --daily run of no steps (a version 1
	// or 2 part of no steps has nil: they did not write an empty list).
	Daily []*sim.Summary
	// Finals is the part's lanes' final temperatures in lane order from
	// First, saved (version 6) where the job has at most
	// sim.ExactQuantileLanes lanes, so that a merge's quantiles are exact
	// as the single run's are; nil otherwise, and in a part of an earlier
	// version.
	Finals []float32
	// Checksum is the payload's "sha256:<hex>", set by ReadPart and Marshal.
	Checksum string
}

// NewPart is the part for r: a summary, with r's finals where the job has
// at most sim.ExactQuantileLanes lanes and r kept them (a copy), none
// otherwise. Its Requested is r.Engine, the engine that ran, which is what
// a caller that opened that engine asked for; one that let something
// choose (the CLI's --engine auto) sets Requested to what it was asked.
func NewPart(r *sim.Result) *Part {
	p := &Part{
		Params: r.Params, First: r.First, Count: r.Summary.Count,
		Engine: r.Engine, Requested: r.Engine, Device: r.Device, Math: r.Math, Wall: r.Timing.Wall,
		Summary: r.Summary, Daily: r.Daily,
	}
	if r.Params.Lanes <= sim.ExactQuantileLanes && r.Summary.Count > 0 && uint64(len(r.Finals)) == r.Summary.Count {
		p.Finals = slices.Clone(r.Finals)
	}
	return p
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
		return fmt.Errorf("write part %q: %w", path, err)
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
	if p.Math != sim.MathExact && p.Math != sim.MathFast {
		return nil, fmt.Errorf("part has math mode %q, want %s or %s", p.Math, sim.MathExact, sim.MathFast)
	}
	if p.Requested == "" {
		return nil, errors.New("part has no requested engine (the --engine its run was asked for)")
	}
	if p.Engine == "" {
		return nil, errors.New("part has no engine (the engine that ran)")
	}
	pl := partPayload{
		Params: encodeParams(p.Params), Math: p.Math, Lanes: partLanes{u64(p.First), u64(p.Count)},
		Engine: p.Engine, Requested: p.Requested, Device: p.Device, WallSeconds: jsonnum.Seconds(p.Wall),
		Summary: encodeSummary(p.Summary),
	}
	if p.Shard != nil {
		pl.Shard = &partShard{u64(p.Shard.Index), u64(p.Shard.Count)}
	}
	if p.Finals != nil {
		if uint64(len(p.Finals)) != p.Count || p.Params.Lanes > sim.ExactQuantileLanes {
			return nil, fmt.Errorf("part of %d lanes of a job of %d has %d finals (a part saves its lanes' finals where the job has at most %d)", p.Count, p.Params.Lanes, len(p.Finals), sim.ExactQuantileLanes)
		}
		f := encodeFinals(p.Finals)
		pl.Finals = &f
	}
	if p.Daily != nil {
		daily := make([]partSummary, 0, len(p.Daily))
		for _, d := range p.Daily {
			daily = append(daily, encodeSummary(d))
		}
		pl.Daily = &daily
	}
	payload, err := json.Marshal(&pl)
	if err != nil {
		return nil, err
	}
	p.Checksum = checksum(payload)
	version := floatVersion - 1
	switch {
	case pl.Finals != nil:
		version = finalsVersion
	case pl.hasFloatDepth():
		version = floatVersion
	}
	// The envelope as json.MarshalIndent writes it with two spaces, each
	// list of whole numbers (a histogram) on one line: whitespace is
	// outside the checksum. Written here in one pass over the payload:
	// MarshalIndent checked and indented the payload's 8 MB at 3,650
	// steps twice, and a second pass put its lists on one line, which took
	// 0.67 s where the run took 0.3.
	quote := func(s string) []byte { b, _ := json.Marshal(s); return b }
	out := make([]byte, 0, len(payload)+len(payload)/4+256)
	out = append(out, "{\n  \"format\": "...)
	out = append(out, quote(PartFormat)...)
	out = append(out, ",\n  \"version\": "...)
	out = strconv.AppendInt(out, int64(version), 10)
	out = append(out, ",\n  \"payload\": "...)
	out = indentLists(out, payload, 1)
	out = append(out, ",\n  \"checksum\": "...)
	out = append(out, quote(p.Checksum)...)
	return append(out, "\n}\n"...), nil
}

// indentLists appends the compact JSON value src (as json.Marshal writes
// it) to out indented as json.Indent does with an indent of two spaces, at
// depth levels in, except that a non-empty array of nothing but whole
// numbers (digits and commas) is written on one line, "[0, 0, 3]", and a
// number -0 is written -0.0 (jsonnum.NegZero).
func indentLists(out, src []byte, depth int) []byte {
	newline := func(out []byte) []byte {
		out = append(out, '\n')
		for range depth {
			out = append(out, "  "...)
		}
		return out
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"': // a string, copied: it may hold brackets and commas
			j := i + 1
			for ; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '\\' {
					j++
				}
			}
			out, i = append(out, src[i:min(j+1, len(src))]...), j
		case '[', '{':
			if i+1 < len(src) && (src[i+1] == ']' || src[i+1] == '}') {
				out, i = append(out, c, src[i+1]), i+1 // [] or {}
				continue
			}
			if c == '[' {
				j := i + 1
				for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == ',') {
					j++
				}
				if j < len(src) && src[j] == ']' {
					out = append(out, '[')
					for k := i + 1; k < j; k++ {
						if out = append(out, src[k]); src[k] == ',' {
							out = append(out, ' ')
						}
					}
					out, i = append(out, ']'), j
					continue
				}
			}
			depth++
			out = newline(append(out, c))
		case ']', '}':
			depth--
			out = append(newline(out), c)
		case ',':
			out = newline(append(out, c))
		case ':':
			out = append(out, ':', ' ')
		case '-':
			if jsonnum.NegZeroAt(src, i) {
				// The file writes -0 as -0.0, the checksum sums -0
				// (ParsePart encodes the payload again where the
				// file's compact text does not match, as do older
				// gpusims: Go reads -0.0 as -0).
				out, i = append(out, jsonnum.NegZero...), i+1
				continue
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out
}

func checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// compactChecksum is checksum of the compact text of b, valid JSON, as
// json.Compact writes it (its whitespace outside strings left out), summed
// as it is made: the compact text of a part of 20 MB took 19 MB more
// while the part was read (a merge reads parts of 10,000 --daily steps
// under ulimit -v).
func compactChecksum(b []byte) string {
	h := sha256.New()
	buf := make([]byte, 0, 64<<10) // the compact text, summed each time it fills
	write := func(run []byte) {
		if len(buf)+len(run) > cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
		if len(run) > cap(buf) {
			h.Write(run)
			return
		}
		buf = append(buf, run...)
	}
	in, esc := false, false // inside a string; after its backslash
	from := 0               // the start of the run of b not yet summed
	for i, c := range b {
		switch {
		case in && esc:
			esc = false
		case in && c == '\\':
			esc = true
		case in && c == '"':
			in = false
		case in:
		case c == '"':
			in = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			write(b[from:i])
			from = i + 1
		}
	}
	write(b[from:])
	h.Write(buf)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// ReadPart reads and checks a part file. It fails, naming path (quoted, as
// every error of ReadParts begins: "p0.json": ...), on anything
// but an intact part of a valid job: a file that is empty, truncated, not
// JSON, not a part, of another version, fails its checksum or has values
// that cannot belong together.
func ReadPart(path string) (*Part, error) {
	data, err := readPartBytes(path)
	if err != nil {
		return nil, err
	}
	p, err := ParsePart(data)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", path, err)
	}
	p.Path = path
	return p, nil
}

// maxPartBytes bounds what ReadPart reads: a part of sim.MaxDailySteps
// days, each a histogram of sim.DailyBins+2 counts of up to 20 digits, is
// about 120 MB, and twice that re-indented one number a line (jq).
const maxPartBytes = 1 << 30

// readPartBytes reads the file at path, refusing from its first bytes one
// that is not a JSON object (a device such as /dev/zero, a binary a glob
// picked up, which were read whole until memory ran out), a folder, or
// one larger than any part.
func readPartBytes(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, pathError(path, err)
	}
	defer f.Close()
	size := int64(0) // the file's size where it is a regular file: the buffer's
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%q: a folder, not a part file (name its parts, as in %s)", path, strconv.Quote(filepath.Join(path, "*.json")))
	} else if err == nil && fi.Mode().IsRegular() {
		size = min(fi.Size(), maxPartBytes)
	}
	const sniff = 512
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(sniff)
	if form := otherForm(head); form != "" {
		return nil, fmt.Errorf("%q: not a gpusim part as written: it is %s", path, form)
	}
	if bytes.HasPrefix(head, utf8BOM) {
		// A UTF-8 byte-order mark, which an editor or PowerShell's
		// Set-Content writes: read past it, as merge's --files-from
		// lists are (it was refused as not a JSON object).
		br.Discard(len(utf8BOM))
		head = head[len(utf8BOM):]
		size = max(size-int64(len(utf8BOM)), 0)
	}
	if t := bytes.TrimLeft(head, " \t\r\n"); len(head) >= sniff-len(utf8BOM) && len(t) > 0 && t[0] != '{' {
		return nil, fmt.Errorf("%q: not a gpusim part (not a JSON object: it begins %q)", path, head[:16])
	}
	// Read into a buffer of the file's size and the bytes.MinRead that
	// ReadFrom wants free before each read, its last (the end of the
	// file) among them: io.ReadAll grew one by copies, to 40 MiB for a
	// part of 20 MB, and so did a buffer of the size and one byte, whose
	// read of the end found less than bytes.MinRead free and grew it to
	// 40 MB, which the part's data then held while it was decoded.
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	_, err = buf.ReadFrom(io.LimitReader(br, maxPartBytes+1))
	data := buf.Bytes()
	if err != nil {
		return nil, pathError(path, err)
	}
	if len(data) > maxPartBytes {
		return nil, fmt.Errorf("%q: not a gpusim part (over %d bytes, more than any part holds)", path, maxPartBytes)
	}
	return data, nil
}

// utf8BOM is the UTF-8 byte-order mark.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// otherForm names the form of a file that begins with head where it is a
// part in a form that is not UTF-8 JSON, with what to do: UTF-16
// (UTF16Form: with its byte-order mark, as PowerShell's Out-File and >
// write it, or without, as iconv -t UTF-16LE does) or gzip, "" for any
// other. Such a part was refused as "not a JSON object" with its first
// bytes, which said neither.
func otherForm(head []byte) string {
	if enc := UTF16Form(head[:len(head)&^1]); enc != "" {
		return enc + ", not UTF-8 (PowerShell's Out-File and > write UTF-16): write it as UTF-8 (Set-Content -Encoding utf8), or copy the file as it was saved"
	}
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
		return "gzip-compressed: decompress it first (gunzip)"
	}
	return ""
}

// UTF16Form is "UTF-16LE" or "UTF-16BE" where data is a UTF-16 text, ""
// where it is not: one that begins with a byte order mark, or one without
// it whose every second byte is NUL and none of the others (ASCII or
// Latin-1 text, a part's JSON or a list's names, in little or big endian
// order). The -print0 form of a --files-from list holds NULs too, but
// between names, and a name of one byte each (a NUL after every one) is
// not a part's name: find -print0 writes "./" before each. merge names
// both forms with it (a list and a part).
func UTF16Form(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		return "UTF-16LE"
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return "UTF-16BE"
	case len(data) == 0 || len(data)%2 != 0:
		return ""
	}
	le, be := true, true
	for i := 0; i < len(data); i += 2 {
		le = le && data[i] != 0 && data[i+1] == 0
		be = be && data[i] == 0 && data[i+1] != 0
	}
	switch {
	case le:
		return "UTF-16LE"
	case be:
		return "UTF-16BE"
	}
	return ""
}

// pathError is err, of reading the part at path, as ReadPart's other
// errors read: "path": what failed, the path quoted once (an
// *fs.PathError's own text, "open path: ...", named it raw and read
// "read part: open path: ...").
func pathError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%q: %w", path, pathErrText{pe})
	}
	return fmt.Errorf("%q: %w", path, err)
}

// pathErrText is an *fs.PathError that reads as its cause alone (the
// path is named before it), wrapping the PathError so that errors.Is and
// errors.As still find it and its cause.
type pathErrText struct{ pe *fs.PathError }

func (e pathErrText) Error() string { return e.pe.Err.Error() }
func (e pathErrText) Unwrap() error { return e.pe }

// maxWallSeconds bounds a part's wall_seconds: the largest time.Duration,
// about 292 years.
const maxWallSeconds = float64(math.MaxInt64 / int64(time.Second))

// ParsePart decodes and checks a part file's contents (see ReadPart).
func ParsePart(data []byte) (*Part, error) {
	pl, sum, err := decodeEnvelope(data)
	if err != nil {
		return nil, err
	}
	params := pl.Params.decode()
	// The ranges only: the part's values are computed (see
	// sim.Params.ValidateRanges).
	if err := params.ValidateRanges(); err != nil {
		return nil, fmt.Errorf("invalid job parameters: %v", err)
	}
	if w := pl.WallSeconds; !(w >= 0) || w > maxWallSeconds {
		return nil, fmt.Errorf("wall_seconds %s is not a duration (valid range 0..%s)", jsonnum.Text(w), jsonnum.Text(maxWallSeconds)) // %g wrote 9.223372036e+09
	}
	p := &Part{
		Params: params, First: uint64(pl.Lanes.First), Count: uint64(pl.Lanes.Count),
		Engine: pl.Engine, Requested: pl.Requested, Device: pl.Device, Math: pl.Math,
		Wall:     time.Duration(pl.WallSeconds * float64(time.Second)),
		Checksum: sum,
	}
	if p.First > p.Params.Lanes || p.Count > p.Params.Lanes-p.First {
		return nil, fmt.Errorf("lanes [%d, %d+%d) are outside the job's %d lanes", p.First, p.First, p.Count, p.Params.Lanes)
	}
	if pl.Shard != nil {
		p.Shard = &Shard{uint64(pl.Shard.Index), uint64(pl.Shard.Count)}
		if p.Shard.Index >= p.Shard.Count {
			return nil, fmt.Errorf("shard %s is not a shard", p.Shard)
		}
		if first, count := p.Shard.Range(p.Params.Lanes); first != p.First || count != p.Count {
			return nil, fmt.Errorf("shard %s of %d lanes is lanes [%d, %d+%d), the part holds [%d, %d+%d)", p.Shard, p.Params.Lanes, first, first, count, p.First, p.First, p.Count)
		}
	}
	if p.Summary, err = pl.Summary.decode(sim.HistBins); err != nil {
		return nil, fmt.Errorf("summary: %v", err)
	}
	if err := sameLayout(p.Summary.Hist, sim.NewSummary(params).Hist, p.Requested == ""); err != nil {
		return nil, fmt.Errorf("summary: %v", err)
	}
	if p.Summary.Count != p.Count {
		return nil, fmt.Errorf("summary counts %d lanes, the part holds %d", p.Summary.Count, p.Count)
	}
	if pl.Finals != nil {
		if p.Finals, err = decodeFinals(*pl.Finals, p); err != nil {
			return nil, fmt.Errorf("finals: %v", err)
		}
	}
	if pl.Daily != nil {
		if p.Daily, err = decodeDaily(*pl.Daily, p); err != nil {
			return nil, err
		}
		if n := len(p.Daily); n > 0 {
			if err := sameLanes(p.Summary, p.Daily[n-1]); err != nil {
				return nil, fmt.Errorf("summary and the last day's disagree: %v", err)
			}
		}
	}
	return p, nil
}

// sameLayout checks that a part's histogram h has the layout want, which
// every engine takes from the job's parameters (the exact law of its step:
// sim.NewSummary, sim.NewDaily; sim.DailyEdges gives a step's alone): a
// part whose parameters, or the order of whose days, were changed after
// the run does not. Nor does, for a few jobs
// near |persistence| = 1, a part of versions 1 to 3 (old): the gpusim that
// wrote those computed the exact law with math.Pow, a float32 step off the
// law's exact rounding (docs/reproducibility.md, section 4), and the error
// then says so.
func sameLayout(h, want *sim.Histogram, old bool) error {
	if math.Float32bits(h.Lo) == math.Float32bits(want.Lo) && math.Float32bits(h.Scale) == math.Float32bits(want.Scale) {
		return nil
	}
	if old {
		return fmt.Errorf("histogram from %s at %s bins per degree, this gpusim gives %s at %s: the part is of a format before version 4, whose gpusim computed the exact law less exactly for this job (or its parameters were changed after the run); run its shard again with this gpusim", jsonnum.Text32(h.Lo), jsonnum.Text32(h.Scale), jsonnum.Text32(want.Lo), jsonnum.Text32(want.Scale))
	}
	return fmt.Errorf("histogram from %s at %s bins per degree, the job's parameters give %s at %s: the part's parameters or summaries were changed after the run", jsonnum.Text32(h.Lo), jsonnum.Text32(h.Scale), jsonnum.Text32(want.Lo), jsonnum.Text32(want.Scale))
}

// sameLanes checks that the final summary s and the last day's d, which
// every engine computes from the same lanes' final temperatures, agree:
// count, digest, min and max exactly, mean and m2 up to the rounding of
// their sums (as in decode).
func sameLanes(s, d *sim.Summary) error {
	switch {
	case s.Count != d.Count:
		return fmt.Errorf("count %d and %d", s.Count, d.Count)
	case s.Digest != d.Digest:
		return fmt.Errorf("digest %016x and %016x", s.Digest, d.Digest)
	case math.Float32bits(s.Min) != math.Float32bits(d.Min) || math.Float32bits(s.Max) != math.Float32bits(d.Max):
		return fmt.Errorf("min %s and %s, max %s and %s", jsonnum.Text32(s.Min), jsonnum.Text32(d.Min), jsonnum.Text32(s.Max), jsonnum.Text32(d.Max))
	}
	r := math.Abs(float64(s.Max)) + math.Abs(float64(s.Min))
	tol := momentTol(s.Hist, s.Min, s.Max, s.Count)
	if math.Abs(s.Mean-d.Mean) > float64(1e-6*(r+math.Abs(s.Mean)))+tol.mean || math.Abs(s.M2-d.M2) > float64(1e-3*max(s.M2, d.M2))+tol.m2 {
		return fmt.Errorf("mean %s and %s, m2 %s and %s", jsonnum.Text(s.Mean), jsonnum.Text(d.Mean), jsonnum.Text(s.M2), jsonnum.Text(d.M2))
	}
	return nil
}

// isReport says whether data, a JSON object without a format, is the
// report of gpusim run or merge with --format json (it has their engine,
// params and digest): the file a user most often gives merge for a part,
// having redirected a shard's report rather than saving its part.
func isReport(data []byte) bool {
	var r struct {
		Engine *string          `json:"engine"`
		Params *json.RawMessage `json:"params"`
		Digest *string          `json:"digest"`
	}
	return json.Unmarshal(data, &r) == nil && r.Engine != nil && r.Params != nil && r.Digest != nil
}

// decodeEnvelope checks the envelope and the checksum and returns the
// payload and its checksum.
func decodeEnvelope(data []byte) (*partPayload, string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, "", errors.New("empty file, not a gpusim part")
	}
	// A part of this format and a version this gpusim reads decodes as its
	// envelope at once; anything else is read for its format first (below),
	// so that a newer or foreign file says what it is rather than failing
	// on fields this version does not know. Read first every time, the
	// format scanned an 8 MB part (3,650 steps) whole once more.
	f, ok := envelope(data)
	if !ok || f.Format != PartFormat || f.Version < 1 || f.Version > PartVersion {
		return decodeHead(data)
	}
	return decodePayload(f)
}

// envelope is data decoded as a part's envelope where its keys are
// partFile's four as Marshal writes them, and false for anything else,
// which decodeHead then reads (strictly, as every part was read before).
// A json.Decoder copied the whole file into a buffer it grew by doubling,
// 32 MiB and 32 MiB of garbage for a part of 20 MB, beside the file and
// the payload's copy; json.Unmarshal reads data in place, and copies each
// value once.
func envelope(data []byte) (*partFile, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil || len(m) != 4 {
		return nil, false
	}
	var f partFile
	if json.Unmarshal(m["format"], &f.Format) != nil || json.Unmarshal(m["version"], &f.Version) != nil ||
		json.Unmarshal(m["checksum"], &f.Checksum) != nil || m["payload"] == nil {
		return nil, false
	}
	f.Payload = m["payload"]
	return &f, true
}

// decodeHead is decodeEnvelope for a file that did not decode as an
// envelope of this format and a version this gpusim reads: it says what
// the file is, else why it is malformed.
func decodeHead(data []byte) (*partPayload, string, error) {
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) && truncatedJSON(data, se) {
			return nil, "", fmt.Errorf("truncated: the file ends after %d bytes, inside the JSON", len(data))
		}
		if errors.As(err, &se) {
			return nil, "", fmt.Errorf("not a gpusim part (not JSON: %v)", err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			// The whole file is another JSON value, say an array or a number.
			return nil, "", fmt.Errorf("not a gpusim part (a JSON %s, not an object with \"format\": %q)", te.Value, PartFormat)
		}
		if errors.As(err, &te) {
			return nil, "", fmt.Errorf("not a gpusim part (its %q is a JSON %s)", te.Field, te.Value)
		}
		return nil, "", fmt.Errorf("not a gpusim part (%v)", err)
	}
	if head.Format != PartFormat {
		if head.Format == "" && isReport(data) {
			return nil, "", errors.New("not a gpusim part but a report (--format json): a part is what gpusim run --save FILE writes, with --shard i/N for a shard")
		}
		return nil, "", fmt.Errorf("not a gpusim part (format %q, want %q)", head.Format, PartFormat)
	}
	if !hasKey(data, "version") {
		// It read "part format version 0", a version the file never gave.
		return nil, "", fmt.Errorf("no part format version (\"version\", 1 to %d in a part this gpusim reads): a damaged part, or not a part", PartVersion)
	}
	if head.Version < 1 || head.Version > PartVersion {
		err := fmt.Errorf("part format version %d; this gpusim reads versions 1 to %d", head.Version, PartVersion)
		if head.Version > PartVersion {
			// A newer gpusim wrote it: merging with that one is the way
			// on, beside running the shard again with this one (which
			// the missing shards' line after this error advises).
			err = fmt.Errorf("%w, written by a newer gpusim: merge with that gpusim (or a newer one)", err)
		}
		return nil, "", err
	}
	var f partFile
	if err := strictDecode(data, &f); err != nil {
		return nil, "", fmt.Errorf("malformed part: %v", err)
	}
	return decodePayload(&f)
}

// truncatedJSON says whether se, json's error on data, is data ending
// inside the JSON: "unexpected end", or a number or literal cut short
// ("72.", "nu"), which Go's scanner reports as the space it feeds at the
// end ("invalid character ' ' after decimal point in numeric literal", at
// the end of data, which ends in no space): a part cut there was called
// "not JSON".
func truncatedJSON(data []byte, se *json.SyntaxError) bool {
	if strings.Contains(se.Error(), "unexpected end") {
		return true
	}
	n := len(data)
	return strings.HasPrefix(se.Error(), "invalid character ' '") && se.Offset == int64(n) &&
		n > 0 && !strings.ContainsRune(" \t\r\n", rune(data[n-1]))
}

// decodePayload is decodeEnvelope past the envelope f, of this format and
// a version this gpusim reads: the payload, its checks and the checksum.
func decodePayload(f *partFile) (*partPayload, string, error) {
	head := struct{ Version int }{f.Version}
	if len(f.Payload) == 0 || f.Checksum == "" {
		return nil, "", errors.New("malformed part: no payload or no checksum")
	}
	var pl partPayload
	if err := strictDecode(f.Payload, &pl); err != nil {
		return nil, "", fmt.Errorf("malformed part: %v", err)
	}
	if head.Version < 3 && pl.hasShift() {
		// Fields version 3 added, which the strict decoding of versions 1
		// and 2 refused as unknown.
		return nil, "", fmt.Errorf("malformed part: shift and dev came with version 3, and this version %d part has them", head.Version)
	}
	if err := engineForm(&pl); err != nil {
		return nil, "", err
	}
	switch {
	case head.Version < 4 && pl.Requested != "":
		// Version 4's field, likewise.
		return nil, "", fmt.Errorf("malformed part: requested_engine came with version 4, and this version %d part has it", head.Version)
	case head.Version >= 4 && pl.Requested == "":
		return nil, "", errors.New("malformed part: no requested_engine (the --engine its run was asked for)")
	case head.Version < floatVersion && pl.hasFloatDepth():
		return nil, "", fmt.Errorf("malformed part: float_depth came with version %d, and this version %d part has it", floatVersion, head.Version)
	case head.Version < finalsVersion && pl.Finals != nil:
		return nil, "", fmt.Errorf("malformed part: finals came with version %d, and this version %d part has them", finalsVersion, head.Version)
	case head.Version >= finalsVersion && pl.Finals == nil && pl.Lanes.Count > 0 && uint64(pl.Params.Lanes) <= sim.ExactQuantileLanes:
		// Marshal writes version 6 for its finals alone: a part without
		// them had them taken out, and the merge would interpolate its
		// quantiles as if it were of an earlier gpusim.
		return nil, "", fmt.Errorf("malformed part: no finals, which a version %d part of lanes of a job of at most %d lanes saves (they were taken out after the run)", head.Version, sim.ExactQuantileLanes)
	}
	// Versions 2 to 4 sum the payload's values as Marshal encodes them, so
	// a tool that rewrites the numbers without changing them (jq, Python)
	// keeps the part valid; version 1 summed the payload's compact text.
	var summed []byte
	switch head.Version {
	case 1:
		if pl.Math != "" {
			return nil, "", errors.New("malformed part: a version 1 part has no math mode")
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, f.Payload); err != nil {
			return nil, "", fmt.Errorf("malformed part: %v", err)
		}
		summed = compact.Bytes()
	default:
		if pl.Math != sim.MathExact && pl.Math != sim.MathFast {
			return nil, "", fmt.Errorf("malformed part: math mode %q (valid: %s, %s)", pl.Math, sim.MathExact, sim.MathFast)
		}
		// The payload as Marshal wrote it, whitespace aside, is what it
		// summed: its compact text, where that matches, saves encoding
		// the payload again (12% of reading an 8 MB part).
		if compactChecksum(f.Payload) == f.Checksum {
			return &pl, f.Checksum, nil
		}
		summable := pl
		if head.Version == 2 && pl.Daily != nil && len(*pl.Daily) == 0 {
			// Version 2 encoded an empty daily list as none (omitempty).
			summable.Daily = nil
		}
		var err error
		if summed, err = json.Marshal(&summable); err != nil {
			return nil, "", fmt.Errorf("malformed part: %v", err)
		}
	}
	if got := checksum(summed); got != f.Checksum {
		return nil, "", fmt.Errorf("checksum mismatch (file says %s, content is %s): the part was changed or damaged after it was written", f.Checksum, got)
	}
	return &pl, f.Checksum, nil
}

// engineForm refuses a part's engine fields in a form no run writes: no
// engine, or a name joined with "+" in either (a merge's report joins the
// engines of its parts so, "auto+serial"; a part is one run's, of one
// engine asked for one). Which names are engines ReadParts checks, with
// the Names the registry gives.
func engineForm(pl *partPayload) error {
	switch {
	case pl.Engine == "":
		return errors.New("malformed part: no engine (the engine that ran)")
	case strings.Contains(pl.Engine, "+"):
		return fmt.Errorf("malformed part: engine %q names several engines; a part is one run's, and only a merge's report joins them with +", pl.Engine)
	case strings.Contains(pl.Requested, "+"):
		return fmt.Errorf("malformed part: requested_engine %q names several engines; a part is one run's, and only a merge's report joins them with +", pl.Requested)
	}
	return nil
}

// Names are the engine names a part may record, which the registry
// (package engines) knows and this package does not: Engines, those that
// run, for a part's engine; Requested, what gpusim run --engine takes
// (those and auto), for its requested_engine.
type Names struct {
	Engines, Requested []string // names, any order
}

// check refuses a part whose engine or requested_engine (recorded from
// version 4) is not one of n's: a name no gpusim run writes ("banana"),
// which a merge would report as the job's engine; or whose engine is not
// the one it was asked for, where that is an engine and not auto: the
// merge reported simd (auto+serial), a run asked for serial that ran simd.
func (n Names) check(p *Part) error {
	if !slices.Contains(n.Engines, p.Engine) {
		return fmt.Errorf("malformed part: engine %q is not an engine of this gpusim (valid: %s)", p.Engine, strings.Join(n.Engines, ", "))
	}
	if p.Requested != "" && !slices.Contains(n.Requested, p.Requested) {
		return fmt.Errorf("malformed part: requested_engine %q is not an --engine of this gpusim (valid: %s)", p.Requested, strings.Join(n.Requested, ", "))
	}
	if p.Requested != p.Engine && slices.Contains(n.Engines, p.Requested) {
		return fmt.Errorf("malformed part: engine %q ran a run asked for %q (requested_engine); a run asked for an engine runs on it, and only auto chooses", p.Engine, p.Requested)
	}
	return nil
}

// decodeDaily decodes p's per-step summaries.
func decodeDaily(daily []partSummary, p *Part) ([]*sim.Summary, error) {
	if len(daily) != p.Params.Steps {
		return nil, fmt.Errorf("%d daily summaries for %d steps", len(daily), p.Params.Steps)
	}
	out := make([]*sim.Summary, len(daily))
	for n := range daily {
		d, err := daily[n].decode(sim.DailyBins)
		if err == nil {
			var want sim.Histogram
			want.Lo, want.Scale = sim.DailyEdges(p.Params, n+1)
			err = sameLayout(d.Hist, &want, p.Requested == "")
		}
		if err != nil {
			return nil, fmt.Errorf("daily summary of step %d: %v", n+1, err)
		}
		if d.Count != p.Count {
			return nil, fmt.Errorf("daily summary of step %d counts %d lanes, the part holds %d", n+1, d.Count, p.Count)
		}
		out[n] = d
	}
	return out, nil
}

// hasShift reports whether any of pl's summaries has a shift or a dev.
func (pl *partPayload) hasShift() bool {
	if pl.Summary.hasShift() {
		return true
	}
	if pl.Daily != nil {
		for i := range *pl.Daily {
			if (*pl.Daily)[i].hasShift() {
				return true
			}
		}
	}
	return false
}

// missingNote is what a part file name f that could not be opened for
// want of a file says, after the error: of a link, where it leads; of a
// name that reads as a shell pattern (*, ? or [...] where no file or
// folder of that name is), the files the pattern matches, where a pattern
// the shell did not expand (quoted) matches some, else that it matches
// none; else "". A real file named part[1].json, or a missing one in a
// folder d[1], is no pattern: both were said to be one the shell matched
// to no file, and so was a quoted part-*.json whose files are there.
func missingNote(f string) string {
	if fi, err := os.Lstat(f); err == nil {
		if to, err := os.Readlink(f); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Sprintf(" (a link to %s, which is not there)", strconv.QuoteToGraphic(to))
		}
		return ""
	}
	there := filepath.Dir(f)
	for there != "." && there != string(filepath.Separator) {
		if _, err := os.Lstat(there); err == nil {
			break
		}
		there = filepath.Dir(there)
	}
	rest := f // the part of f no file or folder is there for
	if there != "." {
		rest = strings.TrimPrefix(f, there)
	}
	if !strings.ContainsAny(rest, "*?[") {
		return ""
	}
	matches, err := filepath.Glob(f)
	switch {
	case err != nil:
		return "" // not a pattern: a [ with no ], say
	case len(matches) == 0:
		return " (and no file matches it as a shell pattern)"
	case len(matches) == 1:
		return fmt.Sprintf(" (a shell pattern not expanded, quoted perhaps, that matches %s: name it, or leave the pattern unquoted)", strconv.QuoteToGraphic(matches[0]))
	}
	return fmt.Sprintf(" (a shell pattern not expanded, quoted perhaps, that matches %d files such as %s: leave it unquoted)", len(matches), strconv.QuoteToGraphic(matches[0]))
}

// ReadParts reads every file, and fails naming each file that is not an
// intact part (of a missing one, what missingNote says) or whose engine or
// requested_engine is not one of names', the first eight of them and how
// many more, and every shard left without a part (badPartsError).
func ReadParts(files []string, names Names) ([]*Part, error) {
	return readParts(context.Background(), files, names, nil)
}

// readParts is ReadParts, calling each, where not nil, with each part read
// whole and of names' engines, as it is read. It returns ctx's cause, and
// no parts, once ctx is done, checked before each file.
func readParts(ctx context.Context, files []string, names Names, each func(*Part)) ([]*Part, error) {
	var parts []*Part
	var bad []string
	next := readAhead(ctx, files)
	for _, f := range files {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		p, err := next()
		if err != nil && ctx.Err() != nil {
			return nil, context.Cause(ctx) // not the file's error: a stop while it was read
		}
		if err == nil {
			if err = names.check(p); err != nil {
				err = fmt.Errorf("%q: %w", f, err)
			}
		}
		if err != nil {
			msg := err.Error()
			if errors.Is(err, fs.ErrNotExist) {
				msg += missingNote(f)
			}
			bad = append(bad, msg)
			continue
		}
		if each != nil {
			each(p)
		}
		parts = append(parts, p)
	}
	if len(bad) == 0 {
		return parts, nil
	}
	return nil, badPartsError(bad, len(files), parts)
}

// maxReadAhead is the most part files readAhead reads at once: a part of
// 10,000 steps holds 41 MB of histograms as it is read, so that even 16
// at once took 0.7 GB; a merge holds one part's otherwise (MergeFiles).
const maxReadAhead = 4

// readBytesPer is the memory, in bytes per byte of a part file, that
// reading it holds at its peak: the file and the decoded payload and part
// (a part of 10,000 --daily steps, 20 MB, takes some 80 MB as it is read;
// ParsePart allocates 3.9 bytes a byte of it: TestParsePartAllocs). It was
// 8, from before the payload's copy and the per-step histograms made anew
// for its check were gone, and refused merges that fit. Measured as the
// room a merge of two parts of 10,000 --daily steps needs under ulimit -v
// (the limit less what Go's runtime maps as it starts, 1.32 GB here; 2
// cores, Go's memory limit as mergeRoom sets it): parts of 10 lanes each
// (19.3 MB, nearly every count "0, ": the most decoded a byte), whose
// merge is sized at 238 MiB with 4 (317 with 8), died out of memory in 4
// of 8 merges in 189 to 193 MiB of room and merged in 15 of 15 in 206 to
// 225 and 8 of 8 in 238 to 242; of 1,000 lanes each (19.8 MB), sized at
// 242 MiB, 8 of 8 merged in 181 and 8 of 8 in 220 to 230. 4 leaves 32
// MiB (15%) above the least room in which every merge of the worst shape
// merged, 45 above the most in which one died; the 118 merges of these
// parts that the check let through under ulimit -v 1550000 to 1675000
// all merged, and under 1525000 it refused 19 of 20 (the 20th died out
// of memory with 3.9 MB of heap in use, before any part was read).
const readBytesPer = 4

// foldBytesPer is the memory, in bytes per byte of a part file, that a
// merge holds for the sums of its parts' histograms (fold): 8 bytes a
// count, written in 3 bytes or more ("0, ", 41 MB of sums for parts of
// 20 MB).
const foldBytesPer = 3

// blockBytesPer is the largest block, in bytes per byte of a part file,
// that reading it allocates: the per-step histograms' one array (41 MB
// for a part of 20 MB; a json.Decoder's buffer of 32 MiB was one too).
const blockBytesPer = 2

// floorBytesPer is the least memory, in bytes per byte of the largest
// part, that a merge keeps resident, for a refusal that must refuse only
// what cannot fit (MergeFloor): merges of parts of 4.9, 9.7 and 19.4 MB
// (--daily, 2,500 to 10,000 steps) peaked at 6.6 bytes a byte of RSS
// (/usr/bin/time's maximum resident set) with one part, 9.4 with four,
// and their most live heap on one reader, GOGC=10, was 6.2 (120 MB of
// 19.4); 5 leaves a margin below them all. MergeMemory's 11 (the sums and
// one part read, as the heap is sized) refused merges of four parts of
// 19.4 MB in a room of 180 MB that merged in 164 MB.
const floorBytesPer = 5

// MergeFloor is the least memory a merge of files keeps resident at its
// peak (floorBytesPer of the largest file): a merge in less room cannot
// finish.
func MergeFloor(files []string) uint64 {
	return count.SatMul(largestFile(files), floorBytesPer)
}

func largestFile(files []string) uint64 {
	var largest uint64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
			largest = max(largest, uint64(fi.Size()))
		}
	}
	return largest
}

// MergeMemory is the memory a merge of files (MergeFiles) holds at its
// peak, need; the address space its heap maps at most, maps; and the
// files it reads at once, readers. need is the sums of the histograms
// and readers reads at once of the largest file (foldBytesPer and
// readBytesPer of it). maps is need with Go's heap slack
// (sysmem.HeapSlack) and a largest block more (blockBytesPer of it): a
// block of 32 MiB found no run of free pages as long in a heap of 398 MB
// and grew it by an arena, past ulimit -v 1750000, where some 160 MB
// were live. readers is as many as fit in the memory available
// (sysmem.Available), at most maxReadAhead, and 1 where none fits, which
// a caller compares maps with: eight parts of 20 MB, two read at once,
// died out of memory under ulimit -v 1750000, where one at a time merged.
func MergeMemory(files []string) (need, maps uint64, readers int) {
	largest := largestFile(files)
	fold, each := count.SatMul(largest, foldBytesPer), count.SatMul(largest, readBytesPer)
	mapped := func(need uint64) uint64 {
		return count.SatAdd(count.SatAdd(need, sysmem.HeapSlack(need)), count.SatMul(largest, blockBytesPer))
	}
	need, readers = count.SatAdd(fold, each), 1
	avail, ok := sysmem.Available()
	for ; readers < maxReadAhead; readers++ {
		more := count.SatAdd(need, each)
		if ok && mapped(more) > avail {
			break
		}
		need = more
	}
	return need, mapped(need), readers
}

// readAhead reads the files on up to GOMAXPROCS goroutines (at most
// maxReadAhead, and as many as fit in memory: MergeMemory), in order, and returns the function that returns each
// file's ReadPart in turn: the decoding is most of a merge (0.3 s a part
// of 3,650 steps), and the parts are independent until they are merged. A
// file is read only while fewer than that many are read and not yet
// taken, and none once ctx is done; next then returns ctx's cause, also
// while a file is being read (a pipe whose writer has not finished).
func readAhead(ctx context.Context, files []string) (next func() (*Part, error)) {
	type read struct {
		p   *Part
		err error
	}
	_, _, fit := MergeMemory(files)
	w := min(runtime.GOMAXPROCS(0), len(files), fit)
	if w <= 1 {
		// One at a time, and still on a goroutine of its own: a part
		// that is a pipe or FIFO whose writer has not finished (merge
		// /dev/stdin, a lone part, or any part on one core) held the
		// read, and a stop waited for the forced exit.
		i := 0
		return func() (*Part, error) {
			f := files[i]
			i++
			done := make(chan read, 1)
			go func() {
				p, err := ReadPart(f)
				done <- read{p, err}
			}()
			select {
			case r := <-done:
				return r.p, r.err
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			}
		}
	}
	reads := make([]chan read, len(files))
	for i := range reads {
		reads[i] = make(chan read, 1)
	}
	slots := make(chan struct{}, w) // a file read and not yet taken
	go func() {
		for i, f := range files {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				p, err := ReadPart(f)
				reads[i] <- read{p, err}
			}()
		}
	}()
	i := 0
	return func() (*Part, error) {
		i++
		select {
		case r := <-reads[i-1]:
			<-slots
			return r.p, r.err
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// badPartsError says why the files of bad, of files given, cannot be
// merged: the first maxProblems of them, as a CoverageError lists its
// problems, then how many more (thousands of damaged parts gave an error of
// thousands of lines), and, on a line of its own, every shard that parts,
// the parts read whole, leave without a part (partsMissing), with how to
// run them again: the damaged or refused parts' shards, and any not given.
func badPartsError(bad []string, files int, parts []*Part) error {
	var b strings.Builder
	if len(bad) == 1 {
		b.WriteString(bad[0])
	} else {
		fmt.Fprintf(&b, "%d of %d part files cannot be merged:", len(bad), files)
		for _, msg := range bad[:min(len(bad), maxProblems)] {
			b.WriteString("\n  " + msg)
		}
		if len(bad) > maxProblems {
			fmt.Fprintf(&b, "\n  and %d more", len(bad)-maxProblems)
		}
	}
	if n, runs, total := partsMissing(parts); n != 0 {
		b.WriteString("\n  no part can be merged for " + missingText(n, runs, total))
	}
	return errors.New(b.String())
}

// partsMissing is the shards of n that parts leave without a part, as
// missingShards gives them (a CoverageError's), where parts are of one
// job's lanes, each inside them; n is 0 where they are not, or leave no
// lane out.
func partsMissing(parts []*Part) (n uint64, runs [][2]uint64, total uint64) {
	if len(parts) == 0 {
		return 0, nil, 0
	}
	lanes := parts[0].Params.Lanes
	var gaps [][2]uint64
	next := uint64(0) // lanes [0, next) are in a part
	for _, i := range laneOrder(parts) {
		p := parts[i]
		if p.Params.Lanes != lanes || p.First > lanes || p.Count > lanes-p.First {
			return 0, nil, 0
		}
		if p.Count == 0 {
			continue
		}
		if p.First > next {
			gaps = append(gaps, [2]uint64{next, p.First})
		}
		next = max(next, p.First+p.Count)
	}
	if next < lanes {
		gaps = append(gaps, [2]uint64{next, lanes})
	}
	if len(gaps) == 0 {
		return 0, nil, 0
	}
	return missingShards(parts, lanes, gaps)
}

// hasKey says whether data, a JSON object, has the key at its top level.
func hasKey(data []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}
