package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/internal/jsonnum"
	"github.com/gpusim/gpusim/internal/quote"
	"github.com/gpusim/gpusim/sim"
)

// Report is what `gpusim run` and `gpusim merge` print, as text or as JSON:
// the result beside the exact law, the timing and the files written.
type Report struct {
	Engine string `json:"engine"` // the engine that ran (a merge's: its parts' joined by +)
	// Requested is the --engine asked for (auto, or Engine's name); a
	// merge's is its parts', RequestedUnknown when a part does not record
	// it (format versions 1 to 3).
	Requested string `json:"requested_engine"`
	// Auto says what --engine auto chose and why.
	Auto   *Auto  `json:"auto,omitempty"`
	Device string `json:"device"` // the device or CPU configuration that ran (sim.Result.Device)
	// Workers is the --workers asked for, where given to an engine that
	// takes it, and WorkersRan the goroutines it started, which Device
	// names too: at most one a block of lanes, so fewer for a small job
	// (bench's scaling table's workers and workers_ran).
	Workers    int `json:"workers,omitempty"`
	WorkersRan int `json:"workers_ran,omitempty"`
	// Math is the stream computed: sim.MathExact (docs/reproducibility.md,
	// the same digest on every engine and device) or sim.MathFast (OpenCL's
	// --math fast, whose digest depends on the device); MathUnknown for a
	// merge of format version 1 parts, which do not record it.
	Math string `json:"math"`
	// Params are the job's parameters as typed (read as float64); Model
	// is the float32 values every engine computes with (sim.Model,
	// docs/reproducibility.md, section 1), which the text's job line
	// writes, and Rounded lists the parameters float32 moves in a way that
	// matters (sim.Params.Roundings), which the text names on a line each.
	Params  jsonParams          `json:"params"`
	Model   modelJSON           `json:"model"`
	Rounded []sim.ParamRounding `json:"rounded,omitempty"`
	// Typed is the model flags' values as the user typed them (a run's;
	// nil for a merge), which the text's rounded lines quote
	// (sim.Typed.Quote); the JSON has Rounded's float64 values.
	Typed   sim.Typed `json:"-"`
	Summary struct {
		Count uint64    `json:"count"`
		Mean  jsonFloat `json:"mean"`
		Std   jsonFloat `json:"std"`
		// MeanError and StdError bound how far the sums, in any order
		// an engine or merge adds them, can have moved Mean and Std
		// from the lanes' own (sim.Summary.MomentErrors): the text
		// prints only the digits above them. FloatDepth, absent where
		// the sums were float64's, says they were float32's (an
		// OpenCL device without fp64; for a merge, one of its parts):
		// sim.Summary.FloatDepth, which the errors count.
		MeanError      jsonFloat            `json:"mean_error"`
		StdError       jsonFloat            `json:"std_error"`
		FloatDepth     uint64               `json:"float_depth,omitempty"`
		Min            jsonFloat32          `json:"min"`
		Max            jsonFloat32          `json:"max"`
		Quantiles      map[string]jsonFloat `json:"quantiles"`
		QuantilesExact bool                 `json:"quantiles_exact"`
		// QuantilesOutside names the quantiles that lie among the lanes
		// beyond the histogram's span (sim.Histogram.Outside), which read
		// its edge clamped to min and max rather than an interpolation;
		// absent where there are none.
		QuantilesOutside []string `json:"quantiles_outside,omitempty"`
	} `json:"summary"`
	Analytic struct {
		Mean      float64            `json:"mean"`
		Std       float64            `json:"std"`
		Quantiles map[string]float64 `json:"quantiles"`
	} `json:"analytic"`
	Z struct {
		Mean jsonFloat `json:"mean"`
		Std  jsonFloat `json:"std"`
		// MeanAllowance and StdAllowance are float32 rounding's bounds
		// on the shift of the mean and the sd (sim.Params.Rounding),
		// which the z-scores allow for: a difference within one scores 0
		// (the text marks it 0.00*). Given where the z-score is null
		// too (no noise, or a bound that reaches the sd); null where
		// the bound is not finite.
		MeanAllowance jsonFloat `json:"mean_allowance"`
		StdAllowance  jsonFloat `json:"std_allowance"`
	} `json:"z"`
	Digest string `json:"digest"`
	Timing struct {
		Wall float64 `json:"wall_s"`
		// Startup is the engine's opening (the OpenCL library's loading and
		// device discovery, paid by a process's first engine; device context, program build
		// or cached binary, self-test, first launch), apart from Wall.
		Startup       float64   `json:"startup_s"`
		Compile       float64   `json:"compile_s"`
		Kernel        float64   `json:"kernel_s"`
		Transfer      float64   `json:"transfer_s"`
		NsPerLaneStep jsonFloat `json:"ns_per_lane_step"`
		LaneStepsPerS jsonFloat `json:"lane_steps_per_s"`
		// WholeNsPerLaneStep counts the start-up too: (Startup + Wall) per
		// lane-step, what a one-off run of this size costs.
		WholeNsPerLaneStep jsonFloat `json:"whole_ns_per_lane_step"`
	} `json:"timing"`
	// The files the run wrote, by the flag that names them ("" for none),
	// and --paths' lane count; Daily is one entry a step, in step order.
	Out       string      `json:"out,omitempty"`
	Daily     []DailyJSON `json:"daily,omitzero"`
	DailyOut  string      `json:"daily_out,omitempty"`
	Paths     uint64      `json:"paths,omitempty"`
	PathsOut  string      `json:"paths_out,omitempty"`
	Plot      string      `json:"plot,omitempty"`
	PlotDaily string      `json:"plot_daily,omitempty"`
	HTML      string      `json:"html,omitempty"` // the page --html wrote

	// A shard run's shard (i/N) and the lanes it ran, [First, First+Count).
	Shard  string  `json:"shard,omitempty"`
	First  *uint64 `json:"first,omitempty"`
	Count  *uint64 `json:"count,omitempty"`
	Save   string  `json:"save,omitempty"`   // the part file --save wrote
	Merged *Merged `json:"merged,omitempty"` // what gpusim merge merged

	quantiles, exactQuantiles []float64
	wall                      time.Duration
	days                      []daily.Day

	// oneValue says that every lane ends at one value (min = max): the
	// clamped quantiles are that value, exact (Summary.QuantilesExact, as
	// from every lane's final with --out).
	oneValue bool
	// signedZeros says that the one value is zero, with lanes at -0 and
	// at +0 (min -0, max +0: --start -0 --anchor -0 --sigma 0), which
	// float32, the digest and --out keep apart.
	signedZeros bool
	// outNeed and outAvail are the memory --out would take for the job's
	// finals and the memory available (OutMemory), when it is more.
	outNeed, outAvail uint64
	// outside names the histogram's quantiles that lie among the lanes
	// beyond its span (sim.Histogram.Outside), which read its edge.
	outside []string
	// allowed says that the mean's (0) or the sd's (1) difference from
	// the exact law is within rounding's allowance: its z-score is 0 by
	// the allowance, not by a match.
	allowed [2]bool
}

// quantileFootnote says how the simulated quantiles were found, and which
// read the histogram's edge, lying among the lanes beyond its span.
func (r *Report) quantileFootnote() string {
	var b strings.Builder
	switch {
	case r.Summary.Count == 0:
		b.WriteString("(simulated quantiles: none, the shard has no lanes)\n")
	case r.signedZeros:
		// "one value" beside min -0.0000 and max 0.0000 read as two.
		b.WriteString("(simulated quantiles: exact, every lane ends at zero, some at -0 and some at +0, which the digest and --out keep apart)\n")
	case r.oneValue && r.Summary.Count == 1:
		// "every lane" read as many beside a job of one.
		b.WriteString("(simulated quantiles: exact, the one lane's final)\n")
	case r.oneValue:
		b.WriteString("(simulated quantiles: exact, every lane ends at one value)\n")
	case r.Summary.QuantilesExact:
		b.WriteString("(simulated quantiles: exact, from every lane's final)\n")
	case r.Shard != "" || r.Merged != nil:
		fmt.Fprintf(&b, "(simulated quantiles: interpolated in a %d-bin histogram)\n", sim.HistBins)
	case r.Summary.Count > sim.MaxKeptFinals:
		// --out refuses these lanes: pointing to it sent the user to an
		// error.
		fmt.Fprintf(&b, "(simulated quantiles: interpolated in a %d-bin histogram; --out, which makes them exact, takes at most 2^%d lanes)\n", sim.HistBins, bits.TrailingZeros64(sim.MaxKeptFinals))
	case r.outNeed > 0:
		fmt.Fprintf(&b, "(simulated quantiles: interpolated in a %d-bin histogram; --out, which makes them exact, needs %s GB of memory for these lanes, and %s GB are available)\n",
			sim.HistBins, count.Sig3(float64(r.outNeed)/1e9), count.Sig3(float64(r.outAvail)/1e9))
	default:
		fmt.Fprintf(&b, "(simulated quantiles: interpolated in a %d-bin histogram; --out makes them exact)\n", sim.HistBins)
	}
	if n := len(r.outside); n > 0 {
		names, verb := r.outside[0], "lies"
		if n > 1 {
			names, verb = strings.Join(r.outside[:n-1], ", ")+" and "+r.outside[n-1], "lie"
		}
		fmt.Fprintf(&b, "(%s %s among the lanes outside the histogram's span, the exact mean +/- %g sds, where float32's rounding holds them: read at its edge, clamped to min and max)\n",
			names, verb, float64(sim.HistSpan))
	}
	return b.String()
}

// OutMemory tells the report that --out would need need bytes of memory for
// this job's finals and avail are available: the footnote of the quantiles
// then says so where it pointed to --out, which refuses the job.
func (r *Report) OutMemory(need, avail uint64) {
	if need > avail {
		r.outNeed, r.outAvail = need, avail
	}
}

// modelJSON is the model's float32 parameters, each as jsonFloat32 writes
// a float32 (its exact value, read back as the same float32), and c =
// (1 - p) anchor as the engines compute it.
type modelJSON struct {
	Start       jsonFloat32 `json:"start"`
	Anchor      jsonFloat32 `json:"anchor"`
	Persistence jsonFloat32 `json:"persistence"`
	Sigma       jsonFloat32 `json:"sigma"`
	C           jsonFloat32 `json:"c"`
}

// jobText is the job's line: lanes, steps, seed and the float32 values the
// model uses (sim.F32Text), as the text and HTML reports write it.
func (r *Report) jobText() string {
	p, m := r.Params, r.Params.Model()
	return fmt.Sprintf("%s x %s, seed %d: start %s, anchor %s, persistence %s, sigma %s",
		count.Noun(p.Lanes, "lane"), count.Noun(p.Steps, "step"), p.Seed, sim.F32Text(m.Start), sim.F32Text(m.Anchor), sim.F32Text(m.P), sim.F32Text(m.Sigma))
}

// roundedText says what float32 made of a parameter that Rounded lists:
// "--start 16777217 is 16777216 in float32", the value as typed holds it
// ("--sigma 2^-150 (7.006492321624085e-46) is 0"; sim.Typed.Quote), and
// for persistence the distance to 1 that it moved.
func roundedText(pr sim.ParamRounding, typed sim.Typed) string {
	s := fmt.Sprintf("--%s %s is %s in float32, the model's precision", pr.Flag, typed.Quote(pr.Flag, pr.Typed), strconv.FormatFloat(pr.Used, 'g', -1, 64))
	if pr.Flag == "persistence" && pr.ReversionMoved() {
		s += fmt.Sprintf(" (1 - |persistence| %.3g, not %.3g)", 1-math.Abs(pr.Used), 1-math.Abs(pr.Typed))
	}
	return s
}

// DailyJSON is one step of --daily in the JSON report: daily.Day's fields,
// in degrees, Quantiles keyed by daily.LevelName.
type DailyJSON struct {
	Step      int                  `json:"step"`
	Count     uint64               `json:"count"`
	Mean      jsonFloat            `json:"mean"`
	Std       jsonFloat            `json:"std"`
	MeanError jsonFloat            `json:"mean_error"`
	StdError  jsonFloat            `json:"std_error"`
	ExactMean float64              `json:"exact_mean"`
	ExactStd  float64              `json:"exact_std"`
	Quantiles map[string]jsonFloat `json:"quantiles"`
	// QuantilesOutside is daily.Day.OutsideLevels: the step's quantiles
	// that read its histogram's edge; absent where there are none.
	QuantilesOutside []string `json:"quantiles_outside,omitempty"`
}

// Auto is what --engine auto chose, why, and what choosing cost.
type Auto struct {
	Engine string  `json:"engine"`  // the engine chosen (engines.Choice)
	Reason string  `json:"reason"`  // why, one line
	Probe  float64 `json:"probe_s"` // seconds spent starting and measuring candidates
}

// Merged is what the merge report says about its parts.
type Merged struct {
	Parts int      `json:"parts"` // how many part files
	Files []string `json:"files"` // their paths, as the command line gave them
	// Wall is the sum of the parts' wall times: the device time the job
	// took, not how long anyone waited for it.
	Wall float64 `json:"wall_s_total"`
	// Math is the parts' math mode (exact or fast); empty for parts of
	// format version 1, which did not record it.
	Math string `json:"math,omitempty"`
	// Daily says whether the per-step statistics were merged: when every
	// part kept them (run --daily).
	Daily bool `json:"daily"`
}

// MathUnknown is Report.Math for parts that do not record their math;
// RequestedUnknown is Report.Requested for parts that do not record the
// engine asked for.
const (
	MathUnknown      = "unknown"
	RequestedUnknown = "unknown"
)

// writeText writes the merge's lines of the text report, requested being
// the report's requested engine.
func (m *Merged) writeText(b *strings.Builder, requested string) {
	with := ""
	if m.Daily {
		with = " with per-step statistics"
	}
	if m.Parts == 1 {
		fmt.Fprintf(b, "merged    1 part%s; its run took %s of wall time\n", with, fmtSeconds(m.Wall))
	} else {
		fmt.Fprintf(b, "merged    %d parts%s; their runs took %s of wall time in all\n",
			m.Parts, with, fmtSeconds(m.Wall))
	}
	if m.Math == "" {
		b.WriteString("math      unknown: format version 1 parts do not record whether --math fast computed them\n")
	}
	if requested == RequestedUnknown {
		b.WriteString("requested unknown: parts of format versions 1 to 3 do not record the --engine they were run with\n")
	}
}

// fmtSeconds is FmtDuration of s seconds, which may be past what a
// time.Duration holds (the sum of many parts' times, about 292 years):
// past 10^15 s, in years (count.Seconds: it read "1.84e+10 s").
func fmtSeconds(s float64) string { return count.Seconds(s) }

// SetDaily records the per-day table of a --daily run (an empty table
// with --steps 0).
func (r *Report) SetDaily(days []daily.Day) {
	r.days = days
	r.Daily = make([]DailyJSON, len(days)) // [] rather than absent with --steps 0
	for i, d := range days {
		j := DailyJSON{Step: d.Step, Count: d.Count, Mean: jsonFloat(d.Mean), Std: jsonFloat(d.Std), MeanError: jsonFloat(d.MeanError), StdError: jsonFloat(d.StdError),
			ExactMean: d.ExactMean, ExactStd: d.ExactStd, Quantiles: map[string]jsonFloat{}, QuantilesOutside: d.OutsideLevels}
		for k, q := range daily.Levels {
			j.Quantiles[daily.LevelName(q)] = jsonFloat(d.Quantiles[k])
		}
		r.Daily[i] = j
	}
}

// jsonFloat is a float64 that encodes as null when it is not finite (a z-score
// of a run without noise, a rate of a run without steps), and -0 as -0.0
// (jsonnum.NegZero, which Python's json reads as a float -0, where -0 read
// as the int 0).
// A whole value is written without a point, as encoding/json writes it (75
// for a mean of exactly 75), which Python's json reads as an int: equal to
// the float, and kept so (docs/report.md).
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	if f == 0 && math.Signbit(float64(f)) {
		return []byte(jsonnum.NegZero), nil
	}
	return json.Marshal(float64(f))
}

// jsonParams is sim.Params as the report writes it: the floats as
// jsonFloat, so a --start of -0 reads -0.0 as the model's start does.
type jsonParams struct{ sim.Params }

func (p jsonParams) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Lanes       uint64    `json:"lanes"`
		Steps       int       `json:"steps"`
		Start       jsonFloat `json:"start"`
		Anchor      jsonFloat `json:"anchor"`
		Persistence jsonFloat `json:"persistence"`
		Sigma       jsonFloat `json:"sigma"`
		Seed        uint64    `json:"seed"`
	}{p.Lanes, p.Steps, jsonFloat(p.Start), jsonFloat(p.Anchor), jsonFloat(p.Persistence), jsonFloat(p.Sigma), p.Seed})
}

// jsonFloat32 is a float32 result (min, max), encoded as the shortest
// decimal of its exact value as a float64, like the report's float64 fields:
// it reads back as the same float32 through a float64 parser, and compares
// exactly with mean and the quantiles (the shortest float32 decimal, 72.02344
// for 72.0234375, read as a float64 above a mean of 72.0234375).
type jsonFloat32 float32

func (f jsonFloat32) MarshalJSON() ([]byte, error) {
	return jsonFloat(float64(f)).MarshalJSON()
}

// New is the report of res, run by the engine requested.
func New(res *sim.Result, requested string) *Report {
	r := &Report{Engine: res.Engine, Requested: requested, Device: res.Device, Math: res.Math, Params: jsonParams{res.Params}, Rounded: res.Params.Roundings()}
	m := res.Params.Model()
	r.Model = modelJSON{jsonFloat32(m.Start), jsonFloat32(m.Anchor), jsonFloat32(m.P), jsonFloat32(m.Sigma), jsonFloat32(m.C)}
	if r.Math == "" {
		r.Math = sim.MathExact
	}
	s := res.Summary
	r.Summary.Count = s.Count
	r.Summary.Mean = jsonFloat(s.Mean)
	if s.Count == 0 { // a shard without lanes: no mean, min, max or quantiles
		r.Summary.Mean = jsonFloat(math.NaN())
	}
	r.Summary.Std = jsonFloat(s.Std())
	r.Summary.Min = jsonFloat32(s.Min)
	r.Summary.Max = jsonFloat32(s.Max)

	law := res.Params.Law(res.Params.Steps)
	r.Analytic.Mean, r.Analytic.Std = law.Mu, law.Sigma
	me, se := s.MomentErrors(law.Mu)
	r.Summary.MeanError, r.Summary.StdError = jsonFloat(me), jsonFloat(se)
	r.Summary.FloatDepth = s.FloatDepth
	r.quantiles, r.Summary.QuantilesExact = res.Quantiles()
	if s.Count > 0 && s.Min == s.Max {
		r.oneValue, r.Summary.QuantilesExact = true, true
		r.signedZeros = math.Signbit(float64(s.Min)) != math.Signbit(float64(s.Max))
	}
	for _, q := range sim.QuantileLevels {
		if !r.Summary.QuantilesExact && s.Hist != nil && s.Hist.Outside(q) {
			r.outside = append(r.outside, sim.QuantileName(q))
			r.Summary.QuantilesOutside = r.outside
		}
	}
	for i, q := range r.quantiles {
		// Interpolating in a histogram bin can land outside the sample's
		// range; no quantile of the sample does.
		r.quantiles[i] = min(max(q, float64(s.Min)), float64(s.Max))
		if s.Count == 0 {
			// A shard without lanes has none: null, as its mean, min
			// and max and its days' quantiles.
			r.quantiles[i] = math.NaN()
		}
	}
	r.Summary.Quantiles = map[string]jsonFloat{}
	r.Analytic.Quantiles = map[string]float64{}
	for i, q := range sim.QuantileLevels {
		e := sim.LawQuantile(law, q)
		r.exactQuantiles = append(r.exactQuantiles, e)
		r.Summary.Quantiles[sim.QuantileName(q)] = jsonFloat(r.quantiles[i])
		r.Analytic.Quantiles[sim.QuantileName(q)] = e
	}

	// z-scores against the exact law, beyond what float32 rounding can
	// explain; undefined (null) without noise or steps.
	round := res.Params.Rounding(res.Params.Steps)
	r.Z.Mean = jsonFloat(sim.ZMeanWithin(s.Mean, s.Count, law, round.Mean))
	r.Z.Std = jsonFloat(sim.ZStdWithin(s.Std(), s.Count, law, round.Std))
	if round.TestsNothing(law.Sigma) {
		r.Z.Mean, r.Z.Std = jsonFloat(math.NaN()), jsonFloat(math.NaN())
	}
	// A z-score of 0 with a difference is the allowance's (0.00*).
	// The bound is given where the z-score is null too: where it tests
	// nothing, the bound is why, and the JSON had it nowhere (null),
	// only the note on stderr.
	allowance := func(z, d, tol float64) (jsonFloat, bool) {
		if math.IsNaN(tol) || math.IsInf(tol, 0) {
			return jsonFloat(math.NaN()), false
		}
		return jsonFloat(tol), !math.IsNaN(z) && z == 0 && d != 0 && tol > 0
	}
	r.Z.MeanAllowance, r.allowed[0] = allowance(float64(r.Z.Mean), s.Mean-law.Mu, round.Mean)
	r.Z.StdAllowance, r.allowed[1] = allowance(float64(r.Z.Std), s.Std()-law.Sigma, round.Std)
	r.Digest = fmt.Sprintf("%016x", s.Digest)

	t := res.Timing
	r.wall = t.Wall
	r.Timing.Wall = jsonnum.Seconds(t.Wall)
	r.Timing.Compile = jsonnum.Seconds(t.Compile)
	r.Timing.Kernel = jsonnum.Seconds(t.Kernel)
	r.Timing.Transfer = jsonnum.Seconds(t.Transfer)
	laneSteps := float64(s.Count) * float64(res.Params.Steps)
	r.Timing.Startup = jsonnum.Seconds(t.Startup)
	r.Timing.NsPerLaneStep, r.Timing.LaneStepsPerS = jsonFloat(math.NaN()), jsonFloat(math.NaN())
	r.Timing.WholeNsPerLaneStep = jsonFloat(math.NaN())
	if laneSteps > 0 && t.Wall > 0 {
		r.Timing.NsPerLaneStep = jsonFloat(float64(t.Wall.Nanoseconds()) / laneSteps)
		r.Timing.LaneStepsPerS = jsonFloat(laneSteps / t.Wall.Seconds())
		r.Timing.WholeNsPerLaneStep = jsonFloat(float64((t.Startup + t.Wall).Nanoseconds()) / laneSteps)
	}
	return r
}

// WriteJSON writes the report as indented JSON, every float's -0 as -0.0
// (jsonnum.Fix: the fields that are not a jsonFloat too).
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(jsonnum.Fix(b), '\n'))
	return err
}

// FmtDuration writes a duration as bench and every other text of
// gpusim write a time (count.Seconds): three significant digits in the
// largest unit of which it is at least one once rounded, 91 µs, 895 ms,
// 3.22 s; under a microsecond in whole ns (400 ns read "0 µs"); 0 for
// none. It wrote 3 or 4 digits (1.9 ms, 895.2 ms, 3.215 s), so that run's
// time line said "1.9 ms wall" where bench said the same run's 1.92 ms.
func FmtDuration(d time.Duration) string { return count.Seconds(d.Seconds()) }

// perLaneStep writes a time per lane-step of ns nanoseconds for the time
// line (count.Nanos: 1.42 ns, 68 µs, 1.72 ms).
func perLaneStep(ns float64) string { return count.Nanos(ns) }

// fz formats a z-score, or "-" when it is undefined; allowed marks a 0
// that float32 rounding's allowance made (0.00*, zNote).
func fz(z jsonFloat, allowed bool) string {
	if allowed && !math.IsNaN(float64(z)) {
		return "0.00*"
	}
	return sim.FormatZ(float64(z))
}

// zNote is the line under the summary that says what a z-score of 0.00*
// is: a difference within float32 rounding's bound, which the z-scores
// allow for, of so many standard errors; "" where none is. At the --steps
// that the precision note suggests (a bound of a tenth of the sd), the
// mean and sd of a correct run lie well within it, and +0.00 read as a
// match where it says only that a difference below the bound is not
// tested.
func (r *Report) zNote() string {
	var what []string
	n := float64(r.Summary.Count)
	for i, c := range []struct {
		name string
		tol  float64
		se   float64
	}{{"the mean", float64(r.Z.MeanAllowance), r.Analytic.Std / math.Sqrt(n)}, {"the sd", float64(r.Z.StdAllowance), r.Analytic.Std / math.Sqrt(2*n)}} {
		if r.allowed[i] {
			// A bound, said so: "the mean's 0.00291 (0.0802 standard
			// errors)" read as the difference.
			what = append(what, fmt.Sprintf("%s's bound is %.3g (%.3g standard errors)", c.name, c.tol, c.tol/c.se))
		}
	}
	if len(what) == 0 {
		return ""
	}
	return fmt.Sprintf("(0.00*: the difference is within float32 rounding's bound, which the z-score allows for, so it is not tested: %s)\n", strings.Join(what, "; "))
}

// engine is the engine that ran, for people, with the one requested in
// brackets where it differs (auto); a merge whose requested engine is
// unknown says so on a line of its own (Merged.writeText).
func (r *Report) engine() string {
	engine := quote.Printable(r.Engine)
	if r.Requested != r.Engine && (r.Merged == nil || r.Requested != RequestedUnknown) {
		engine += " (" + quote.Printable(r.Requested) + ")"
	}
	return engine
}

// notStarted is what the engine line says of a shard without lanes, which
// starts no engine: a CPU engine's line said it ran "on no device".
const notStarted = ": not started, as the shard has no lanes"

// engineOn is the engine line's text: the engine on its device, or, for a
// shard without lanes, which runs nowhere, notStarted.
func (r *Report) engineOn() string {
	if r.Device == "" {
		return r.engine() + notStarted
	}
	on := r.engine() + " on " + quote.Printable(r.Device)
	if r.WorkersRan < r.Workers {
		on += fmt.Sprintf(" (%d asked, one a block of lanes)", r.Workers)
	}
	return on
}

// shardLine says which lanes a shard ran, or is "" for a whole run.
func (r *Report) shardLine() string {
	if r.Shard == "" {
		return ""
	}
	return fmt.Sprintf("%s: lanes [%d, %d), %d of %d", r.Shard, *r.First, *r.First+*r.Count, *r.Count, r.Params.Lanes)
}

// WriteText writes the report for a person to read.
func (r *Report) WriteText(w io.Writer) error {
	p := r.Params
	var b strings.Builder
	fmt.Fprintf(&b, "engine    %s\n", r.engineOn())
	if r.Auto != nil {
		fmt.Fprintf(&b, "auto      %s", r.Auto.Reason)
		if r.Auto.Probe > 0 { // measured now, not from the cached calibration
			fmt.Fprintf(&b, " (measuring took %s)", FmtDuration(time.Duration(r.Auto.Probe*float64(time.Second))))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "job       %s\n", r.jobText())
	for _, pr := range r.Rounded {
		fmt.Fprintf(&b, "rounded   %s\n", roundedText(pr, r.Typed))
	}
	if sl := r.shardLine(); sl != "" {
		fmt.Fprintf(&b, "shard     %s\n", sl)
	}
	if r.Merged != nil {
		r.Merged.writeText(&b, r.Requested)
	} else {
		fmt.Fprintf(&b, "time      %s wall", FmtDuration(r.wall))
		if !math.IsNaN(float64(r.Timing.NsPerLaneStep)) {
			// The rate in SI, as bench's tables and the progress bar
			// write it: it read "7.04e+08 lane-steps/s".
			fmt.Fprintf(&b, ", %s per lane-step, %s lane-steps/s", perLaneStep(float64(r.Timing.NsPerLaneStep)), count.SI(float64(r.Timing.LaneStepsPerS), 3))
		}
		b.WriteString("\n")
	}
	if t := r.Timing; t.Startup+t.Compile+t.Kernel+t.Transfer > 0 {
		// As the time line's wall (FmtDuration): %.3f s wrote a
		// kernel of 85 µs as "kernel 0.000 s".
		fmt.Fprintf(&b, "          start-up %s (compile %s), kernel %s, transfer %s\n", fmtSeconds(t.Startup), fmtSeconds(t.Compile), fmtSeconds(t.Kernel), fmtSeconds(t.Transfer))
	}

	cells := r.summaryCells()
	// Columns of 13 characters, or wider by the widest cell and a space
	// (numTable's digits for a narrow spread take up to 15).
	width := [2]int{13, 13}
	for _, row := range cells {
		for j, c := range row {
			width[j] = max(width[j], len(c)+1)
		}
	}
	row := func(name, sim, exact, z string) {
		line := fmt.Sprintf("%-8s %*s %*s %7s", name, width[0], sim, width[1], exact, z)
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	b.WriteString("\n")
	row("", "simulated", "exact", "z")
	row("mean", cells[0][0], cells[0][1], fz(r.Z.Mean, r.allowed[0]))
	row("std", cells[1][0], cells[1][1], fz(r.Z.Std, r.allowed[1]))
	row("min", cells[2][0], "", "")
	row("max", cells[3][0], "", "")
	b.WriteString(r.carriedNote())
	b.WriteString(r.zNote())
	b.WriteString("\n")
	row("quantile", "simulated", "normal", "")
	for i, q := range sim.QuantileLevels {
		row(sim.QuantileName(q), cells[4+i][0], cells[4+i][1], "")
	}
	b.WriteString(r.quantileFootnote())
	if r.Daily != nil {
		r.writeDaily(&b)
	}
	fmt.Fprintf(&b, "\ndigest    %s", r.Digest)
	if r.Math == sim.MathFast {
		b.WriteString(" (--math fast: not the reproducible stream; this digest depends on the device, driver and vector width)")
	}
	b.WriteString("\n")
	if r.Out != "" {
		fmt.Fprintf(&b, "out       %s (%s)\n", quote.Printable(r.Out), count.Noun(p.Lanes, "lane"))
	}
	if r.PathsOut != "" {
		fmt.Fprintf(&b, "paths     %s (%s x %s)\n", quote.Printable(r.PathsOut), count.Noun(r.Paths, "lane"), count.Noun(p.Steps, "step"))
	}
	if r.DailyOut != "" {
		fmt.Fprintf(&b, "daily     %s (%s)\n", quote.Printable(r.DailyOut), count.Noun(len(r.days), "step"))
	}
	if r.Plot != "" {
		fmt.Fprintf(&b, "plot      %s\n", quote.Printable(r.Plot))
	}
	if r.PlotDaily != "" {
		fmt.Fprintf(&b, "plot      %s (per step)\n", quote.Printable(r.PlotDaily))
	}
	if r.HTML != "" {
		fmt.Fprintf(&b, "html      %s\n", quote.Printable(r.HTML))
	}
	if r.Save != "" && r.Summary.Count == r.Params.Lanes {
		// run --lanes 10 --save read "(part of 10 lanes; gpusim merge
		// combines parts)" of a part that is the whole job.
		fmt.Fprintf(&b, "saved     %s (the whole job, %s)\n", quote.Printable(r.Save), count.Noun(r.Summary.Count, "lane"))
	} else if r.Save != "" {
		// Of the job's lanes: shard 0/4 of 100000 lanes read "(part of
		// 25000 lanes; ...)", as if the job were 25000 lanes.
		fmt.Fprintf(&b, "saved     %s (%d of the job's %s; gpusim merge combines parts)\n", quote.Printable(r.Save), r.Summary.Count, count.Noun(r.Params.Lanes, "lane"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// summaryCells are the summary table's numbers, text and HTML alike: the
// rows mean, std, min, max and the quantiles, each the simulated value
// beside the exact one it is compared with (min and max have none),
// formatted by numTable with 4 decimals.
func (r *Report) summaryCells() [][]string {
	cells := r.writtenCells()
	lo, hi := float64(r.Summary.Min), float64(r.Summary.Max)
	cells[0][0] = carried(cells[0][0], float64(r.Summary.Mean), float64(r.Summary.MeanError), max(math.Abs(lo), math.Abs(hi)))
	cells[1][0] = carried(cells[1][0], float64(r.Summary.Std), float64(r.Summary.StdError), (hi-lo)/2)
	return cells
}

// writtenCells is numTable's writing of the summary's rows, before carried
// cuts the mean and std to the digits their sums carry.
func (r *Report) writtenCells() [][]string {
	rows := [][]float64{
		{float64(r.Summary.Mean), r.Analytic.Mean},
		{float64(r.Summary.Std), r.Analytic.Std},
		{float64(r.Summary.Min)},
		{float64(r.Summary.Max)},
	}
	for i := range sim.QuantileLevels {
		rows = append(rows, []float64{r.quantiles[i], r.exactQuantiles[i]})
	}
	return numTable(rows, []int{4, 4}, []int{1, 0}, slices.Repeat([]float64{r.Analytic.Std / unitsPerSD}, len(rows)))
}

// carried is cell, the table's writing of x, where its last digit is
// within x's error u, which the sums leave (MomentErrors); else x
// with only the significant digits above u (in the cell's notation where
// they reach the point: 72.003 for 72.0029 carried to 3e-4, which read
// 7.2003e+01 beside the exact 72.0029; in e-notation otherwise), or where
// none is, "<" and a bound on |x| to one digit (rounded up): the smaller of
// |x| + u and most, what the lanes' range allows (the mean is within [min,
// max], the sd at most half of max - min). A mean of lanes within 5e-3 of
// 0 read 3.814697e-06 where the sums carry it to 5e-3, and their sd
// 5.592137e+02 where it is 1.0e-3. A 0 whose error or range bound is
// below the cell's last digit is written as that bound too: a mean of lanes
// within 5e-30 of 0 read 0.00000000e+00, as if known to 8 digits, beside
// the sd's <5e-30.
func carried(cell string, x, u, most float64) string {
	if x == 0 && u > 0 && most > 0 && min(u, most) < cellUnit(cell)/2 {
		return bound(min(u, most))
	}
	if !(u > 0) || math.IsNaN(x) || math.IsInf(x, 0) || u <= cellUnit(cell)/2 {
		return cell
	}
	if x != 0 {
		mag := math.Floor(math.Log10(math.Abs(x)))
		if k := mag - math.Floor(math.Log10(u)); k >= 1 {
			if dec := int(k) - 1 - int(mag); dec >= 0 && !strings.Contains(cell, "e") {
				return strconv.FormatFloat(x, 'f', dec, 64)
			}
			return strconv.FormatFloat(x, 'e', int(k)-1, 64)
		}
	}
	return bound(min(math.Abs(x)+u, most))
}

// bound is carried's "<" and b rounded up to one digit: <5e-30.
func bound(b float64) string {
	e := math.Pow(10, math.Floor(math.Log10(b)))
	return "<" + strconv.FormatFloat(math.Ceil(b/e)*e, 'e', 0, 64)
}

// cellUnit is the value of the last digit a table cell writes: 1e-4 for
// 72.0101, 1e-6 for 5.592137e+02.
func cellUnit(cell string) float64 {
	mant, exp, sci := strings.Cut(cell, "e")
	e := 0
	if sci {
		e, _ = strconv.Atoi(exp)
	}
	if _, frac, ok := strings.Cut(mant, "."); ok {
		e -= len(frac)
	}
	return math.Pow(10, float64(e))
}

// carriedNote is the line under the summary that says which of mean and
// std carry fewer digits than the table writes, and how far the sums may
// be off; "" where both carry them.
func (r *Report) carriedNote() string {
	// The cells as the table would write them with every digit: the
	// summary's own are cut to the digits carried, and compared with
	// their cut units, said nothing (--lanes 2^32 on simd).
	cells := r.writtenCells()
	var what []string
	for _, c := range []struct {
		name string
		x, u float64
		cell string
	}{{"mean", float64(r.Summary.Mean), float64(r.Summary.MeanError), cells[0][0]}, {"std", float64(r.Summary.Std), float64(r.Summary.StdError), cells[1][0]}} {
		if !math.IsNaN(c.u) && c.u > cellUnit(c.cell)/2 {
			what = append(what, fmt.Sprintf("the %s to about +/-%.2g", c.name, c.u))
		}
	}
	if len(what) == 0 {
		return ""
	}
	return fmt.Sprintf("(%s of the lanes' deviations from the exact mean, %.4g from the farthest lane, carry %s: the table writes only the digits above that, or after \"<\" a bound on the magnitude, which the lanes' range may make tighter; docs/reproducibility.md, section 6)\n",
		r.sums(), r.farthest(), strings.Join(what, " and "))
}

// sums names the sums the moments come from: float64's, or float32's
// where a device without fp64 summed them (FloatDepth).
func (r *Report) sums() string {
	if r.Summary.FloatDepth > 0 {
		return "float32's sums (an OpenCL device without fp64)"
	}
	return "float64's sums"
}

// farthest is the farthest lane's distance from the exact mean.
func (r *Report) farthest() float64 {
	mu := r.Analytic.Mean
	return max(math.Abs(float64(r.Summary.Min)-mu), math.Abs(float64(r.Summary.Max)-mu))
}

// dailyRows is how many days the text report's per-day table shows at most.
const dailyRows = 24

// writeDaily writes the per-day table: every day, or day 1, every k-th day
// and the last when there are more than dailyRows.
func (r *Report) writeDaily(b *strings.Builder) {
	b.WriteString("\n")
	if len(r.days) == 0 {
		b.WriteString("daily     no steps\n")
		return
	}
	rows := [][]string{{"day", "mean", "exact", "std", "exact"}}
	for _, q := range daily.Levels {
		rows[0] = append(rows[0], daily.LevelName(q))
	}
	idx, k := daily.Sample(len(r.days), dailyRows)
	var nums [][]float64
	// mean, exact, std, exact (each compared with its neighbour), then the
	// quantiles
	dec, pair := []int{3, 3, 3, 3}, []int{1, 0, 3, 2}
	for range daily.Levels {
		dec, pair = append(dec, 2), append(pair, -1)
	}
	var units []float64
	for _, i := range idx {
		d := r.days[i]
		nums = append(nums, append([]float64{d.Mean, d.ExactMean, d.Std, d.ExactStd}, d.Quantiles...))
		units = append(units, d.ExactStd/unitsPerSD)
	}
	fewer := 0 // days whose mean or std carries fewer digits than written
	for j, cells := range numTable(nums, dec, pair, units) {
		d := r.days[idx[j]]
		m := carried(cells[0], d.Mean, d.MeanError, max(math.Abs(d.Min), math.Abs(d.Max)))
		sd := carried(cells[2], d.Std, d.StdError, (d.Max-d.Min)/2)
		if m != cells[0] || sd != cells[2] {
			fewer++
		}
		cells[0], cells[2] = m, sd
		rows = append(rows, append([]string{strconv.Itoa(d.Step)}, cells...))
	}
	writeColumns(b, rows)
	var empty, one, outside, zeros int
	for _, d := range r.days {
		switch {
		case d.Count == 0:
			empty++
		case d.OneValue:
			one++
			if math.Signbit(d.Min) != math.Signbit(d.Max) {
				zeros++ // lanes at -0 and at +0, as the summary's footnote says
			}
		case d.Outside:
			outside++
		}
	}
	switch {
	case empty == len(r.days):
		b.WriteString("(quantiles: none, the shard has no lanes")
	case empty+one == len(r.days) && r.Summary.Count == 1:
		b.WriteString("(quantiles exact: the one lane's value each day")
	case empty+one == len(r.days):
		b.WriteString("(quantiles exact: every lane holds one value each day")
	case one > 0:
		fmt.Fprintf(b, "(quantiles interpolated in %d-bin histograms, exact on the days every lane holds one value", sim.DailyBins)
	default:
		fmt.Fprintf(b, "(quantiles interpolated in %d-bin histograms", sim.DailyBins)
	}
	if zeros > 0 {
		fmt.Fprintf(b, "; on %d of %d days that value is zero, some lanes at -0 and some at +0", zeros, len(r.days))
	}
	if k > 1 {
		fmt.Fprintf(b, "; every %s of %d days shown", ordinal(k), len(r.days))
	}
	b.WriteString(")\n")
	if fewer > 0 {
		fmt.Fprintf(b, "(on %d of the %d days shown %s of the lanes' deviations from the day's exact mean carry fewer digits of the mean or std than the table writes: only those are written, or after \"<\" a bound on the magnitude; the JSON's mean_error and std_error give them, docs/reproducibility.md, section 6)\n", fewer, len(idx), r.sums())
	}
	if outside > 0 {
		on := fmt.Sprintf("on %d of %d steps", outside, len(r.days))
		switch {
		case outside == 1 && len(r.days) == 1:
			on = "on the 1 step"
		case outside == len(r.days):
			on = fmt.Sprintf("on all %d steps", outside)
		}
		fmt.Fprintf(b, "(%s the quantiles lie among the lanes outside the histograms' spans, each step's exact mean +/- %g sds, where float32's rounding holds them: some read a span's edge, clamped to the step's min and max)\n",
			on, float64(sim.HistSpan))
	}
}

// writeColumns writes rows as a table: the first column left-aligned, the
// others right-aligned, each as wide as its widest cell, two spaces apart.
func writeColumns(b *strings.Builder, rows [][]string) {
	var width []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], len(cell))
		}
	}
	for _, row := range rows {
		for i, cell := range row {
			if i == 0 {
				fmt.Fprintf(b, "%-*s", width[i], cell)
			} else {
				fmt.Fprintf(b, "  %*s", width[i], cell)
			}
		}
		b.WriteString("\n")
	}
}

// num formats x with dec decimals where that is at most eight digits
// before the point and shows a nonzero value, and otherwise with dec+3
// significant digits in e-notation, so a table stays readable at any
// magnitude (1e36 or 1e-45 as well as 72). NaN and infinities are "-".
func num(x float64, dec int) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return "-"
	case sci(x, dec):
		return strconv.FormatFloat(x, 'e', dec+2, 64)
	}
	return strconv.FormatFloat(x, 'f', dec, 64)
}

// sci says whether num writes x in e-notation: a finite nonzero x of more
// than eight digits before the point, or one that dec decimals would show
// as 0.
func sci(x float64, dec int) bool {
	a := math.Abs(x)
	return a != 0 && !math.IsNaN(x) && !math.IsInf(x, 0) && (a >= 1e8 || a < math.Pow(10, -float64(dec)+1))
}

// numTable formats a table's numbers with num, column j with dec[j]
// decimals (a row may stop short of the last columns), each column in one
// format: e-notation for every value of a column where any value of it, or
// of the column pair[j] it is compared with (-1: none), needs it (num's
// rule), fixed decimals otherwise. A column read 9999999.000 above
// 1.00000e+08 in one --daily table, and an exact mean of 0 read 0.0000
// beside a mean of 4.417671e-08.
//
// unit[i], where given and positive, is the largest unit the last digit of
// row i may have: a row's exact sd over unitsPerSD, so that the cells show
// the spread they compare (quantiles an sd apart, a mean off by a tenth of
// an sd), whatever the values' magnitude. A column takes the decimals its
// rows need (numDigits, down to float32's spacing at a row's value): lanes
// at 1 with an sd of 1e-5 read 1.00 for every --daily quantile of every
// day, and at 1e8 with an sd of 1000 1.0000e+08 for the median, p75 and
// p95.
func numTable(rows [][]float64, dec, pair []int, unit []float64) [][]string {
	needs := make([]bool, len(dec))
	for _, row := range rows {
		for j, x := range row {
			needs[j] = needs[j] || sci(x, dec[j])
		}
	}
	colSci := make([]bool, len(dec))
	for j := range dec {
		colSci[j] = needs[j] || pair[j] >= 0 && needs[pair[j]]
	}
	// The decimals of each column: dec, or dec+2 in e-notation, or more
	// where a row's unit asks for them.
	digits := make([]int, len(dec))
	for j := range dec {
		digits[j] = dec[j]
		if colSci[j] {
			digits[j] += 2
		}
	}
	for i, row := range rows {
		if i >= len(unit) {
			break
		}
		for j, x := range row {
			digits[j] = max(digits[j], numDigits(x, unit[i], colSci[j]))
		}
	}
	cells := make([][]string, len(rows))
	for i, row := range rows {
		for j, x := range row {
			c := num(x, dec[j])
			if c != "-" {
				format := byte('f')
				if colSci[j] {
					format = 'e'
				}
				c = strconv.FormatFloat(x, format, digits[j], 64)
			}
			cells[i] = append(cells[i], c)
		}
	}
	return cells
}

// unitsPerSD is how many units of a table's last digit an sd spans at
// least (numTable): two digits of the spread.
const unitsPerSD = 100

// numDigits is the decimals, in e-notation (sci) or fixed, that write x
// with a last digit of at most unit, but not below float32's spacing at x
// (the lanes hold float32 values, which a finer digit tells no further
// apart: 7 decimals at 1, none at 1e8, where the spacing is 8); 0 where
// there is no unit, or x is 0, NaN or infinite.
func numDigits(x, unit float64, sci bool) int {
	a := math.Abs(x)
	if !(unit > 0) || a == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	_, exp := math.Frexp(a) // a in [2^(exp-1), 2^exp)
	spacing := math.Ldexp(1, max(exp-24, -149))
	// The exponents of x's first digit and of its last: the 1e-6 keeps
	// a unit a little below a power of 10 at that power (a hundredth of
	// the sd of --sigma 1e-5, 1e-5 in float32, is 9.99999975e-08).
	lead := int(math.Floor(math.Log10(a)))
	last := int(math.Floor(float64(math.Log10(max(unit, spacing))) + 1e-6))
	if sci {
		return max(0, lead-last)
	}
	return max(0, -last)
}

// ordinal is 2nd, 3rd, 4th, 11th, 21st, ...
func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}
