package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"gonum.org/v1/plot"

	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/internal/htmlreport"
	"github.com/gpusim/gpusim/internal/plots"
	"github.com/gpusim/gpusim/internal/quote"
	"github.com/gpusim/gpusim/sim"
)

// WriteHTML writes the report as one self-contained HTML page (package
// htmlreport): the job, the summary against the exact law, the quantiles,
// the histogram of res with the exact density and, with days (--daily:
// not nil, empty at --steps 0), the fan chart; the text report closes it.
func (r *Report) WriteHTML(w io.Writer, res *sim.Result, days []daily.Day) error {
	p := r.Params.Params
	page := htmlreport.Page{
		Title: "gpusim run",
		Facts: []string{
			"Engine: " + r.engineOn(),
			"Job: " + r.jobText(),
		},
	}
	for _, pr := range r.Rounded {
		page.Facts = append(page.Facts, "Rounded: "+roundedText(pr, r.Typed))
	}
	page.Facts = append(page.Facts, fmt.Sprintf("Time: %s wall; digest %s", FmtDuration(res.Timing.Wall), r.Digest))
	if sl := r.shardLine(); sl != "" {
		page.Facts = append(page.Facts, "Shard: "+sl)
	}
	// The text report's values: no mean for a shard without lanes, zeros
	// in e-notation beside values in it, and z-scores that allow for
	// float32 rounding (undefined where it hides the noise), not the raw
	// summary's.
	cells := r.summaryCells()
	summary := htmlreport.Table{Caption: "Final temperatures against the exact law", Left: 1,
		Header: []string{"", "simulated", "exact", "z"},
		Rows: [][]string{
			{"mean", cells[0][0], cells[0][1], fz(r.Z.Mean, r.allowed[0])},
			{"std", cells[1][0], cells[1][1], fz(r.Z.Std, r.allowed[1])},
			{"min", cells[2][0], "", ""},
			{"max", cells[3][0], "", ""},
		},
		Notes: []string{"z: the difference in sampling standard deviations of the statistic (the exact law is the model's normal distribution after the last step)"},
	}
	for _, n := range []string{r.carriedNote(), r.zNote()} {
		if n != "" {
			summary.Notes = append(summary.Notes, strings.TrimSuffix(n, "\n"))
		}
	}
	quant := htmlreport.Table{Caption: "Quantiles", Left: 1, Header: []string{"quantile", "simulated", "normal"}}
	for i, q := range sim.QuantileLevels {
		quant.Rows = append(quant.Rows, []string{sim.QuantileName(q), cells[4+i][0], cells[4+i][1]})
	}
	sec := htmlreport.Section{Heading: "Summary", Tables: []htmlreport.Table{summary, quant}}
	charts, err := runCharts(p, res, days)
	if err != nil {
		return err
	}
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		return err
	}
	page.Sections = []htmlreport.Section{sec, {Heading: "Charts", Charts: charts}, {Heading: "Text report", Pre: text.String()}}
	return htmlreport.Write(w, page)
}

// htmlFrame is the most a run's page takes besides its charts and what it
// names of the engine that ran (Ran): the page's head and style, the
// facts, the summary's tables and the text report (whose daily table has
// at most 26 rows), 10 KiB; the largest measured, at the longest flags,
// seed, lanes and shard with --daily, is 8.3 kB (lanes of 2e20 and 3e-3
// whose tables write 9 significant digits to show an sd of 1e-3), and
// TestMaxHTMLSize keeps them within 7/8 of it. It was 9 KiB, for 7.5 kB
// at the most before the tables wrote the digits a spread needs
// (numTable's unit), and 7 KiB, said to be 5.5 kB at the most,
// beside 12 KiB for the device's name, not known before the run (1 KiB,
// each byte escaped to up to 6, twice), which made up the difference for a
// name of 1 KiB and refused a 64 kB disk --plot, --plot-daily and --html
// together, 53 kB written, for a name of about 50 bytes.
const htmlFrame = 10 << 10

// Ran is what a run's page names of the engine that ran it, known once the
// engine is open and before the job runs: the engine and the --engine asked
// for (Report.Engine, Requested), the device or CPU configuration at its
// longest (engines.DeviceLabel: Result.Device is it or shorter), and auto's
// reason ("" without auto).
type Ran struct {
	Engine, Requested, Device, Reason string // as the doc above says, in that order
}

// room is the bytes what ran names takes in the page, as the page escapes
// it (htmlreport.TextLen): the engine with the engine requested and the
// device in a fact, and again in the text report's engine line, counted at
// the longer of that and the words of a shard without lanes (notStarted),
// with the --workers asked for where fewer ran at its longest, and auto's
// reason once.
func (ran *Ran) room() uint64 {
	r := Report{Engine: ran.Engine, Requested: ran.Requested, Device: ran.Device, Workers: math.MaxInt32}
	none := r
	none.Device = ""
	on := max(htmlreport.TextLen(r.engineOn()), htmlreport.TextLen(none.engineOn()))
	return uint64(2*on + htmlreport.TextLen(ran.Reason))
}

// MaxHTMLSize is an upper bound of the page WriteHTML writes for a run of
// steps steps on the engine ran names, with its fan chart (daily) or
// without: htmlFrame, what ran names (Ran.room) and the charts at their
// largest (plots.MaxFinalSVGSize, plots.MaxDailySVGSize). With ran nil it
// is that bound less what the engine names, all a run knows before the
// engine opens, and no upper bound: a page that does not fit even so is
// refused then (the bound with any ran is larger), and the others again
// with ran once the engine is open, before the job runs. A page is written
// after the run: its room is checked before it. 26.6 kB without daily,
// and about 100 bytes for a CPU engine's names, 300 for auto's (the
// default job's page is 16.6 kB); 875 kB with 10,000 steps, whose page is
// about 841 kB.
func MaxHTMLSize(daily bool, steps int, ran *Ran) uint64 {
	n := htmlFrame + plots.MaxFinalSVGSize()
	if daily {
		n += plots.MaxDailySVGSize(steps)
	}
	if ran != nil {
		n += ran.room()
	}
	return n
}

// fileLineMost is the most a line that names an output file takes in the
// report beside the name: its label and what it counts ("saved     " and
// " (18446744073709551615 of the job's 18446744073709551615 lanes; gpusim
// merge combines parts)\n", 103 bytes, 107 in the page, which writes the
// ' as &#39;), or, in JSON, its key, quotes and indent.
const fileLineMost = 120

// NamesMost is the most bytes the output files named take in a run's
// report, text or JSON, and in its --html page, whose text report names
// them too: each name as the text writes it (quote.Printable), as JSON
// escapes it (up to 6 bytes a byte) or as the page escapes the text's,
// the longest, and its line. The report's and the page's fixed bounds
// (16 KiB, htmlFrame) did not count them: a path of 4 kB (PATH_MAX) takes
// 16 kB quoted where its bytes are not UTF-8, and a run naming several
// such files was let through and then lost its report, or failed at the
// page's write, at the file-size limit.
func NamesMost(names []string) uint64 {
	var n uint64
	for _, s := range names {
		if s == "" {
			continue
		}
		t := quote.Printable(s)
		j, _ := json.Marshal(s)
		n += uint64(max(len(t), len(j), htmlreport.TextLen(t))) + fileLineMost
	}
	return n
}

// runCharts draws the histogram and the fan chart (with --daily: days not
// nil, empty at --steps 0) as SVG,
// as --plot and --plot-daily draw them: for a shard without lanes too,
// titled so, with the exact law (the page had the fan chart alone).
func runCharts(p sim.Params, res *sim.Result, days []daily.Day) ([]htmlreport.Chart, error) {
	var out []htmlreport.Chart
	add := func(caption string, pl *plot.Plot, err error) error {
		if err != nil {
			return fmt.Errorf("chart %q: %w", caption, err)
		}
		svg, err := plots.SVG(pl, plots.Height)
		if err != nil {
			return fmt.Errorf("chart %q: %w", caption, err)
		}
		out = append(out, htmlreport.Chart{Caption: caption, SVG: svg})
		return nil
	}
	pl, err := plots.Final(p, res.Summary)
	if err := add("Histogram of the final temperatures with the exact normal density", pl, err); err != nil {
		return nil, err
	}
	if days != nil {
		// With --daily, as --plot-daily draws it: at --steps 0 (days
		// empty, not nil) the chart of day 0, every lane at the start,
		// which the page left out while --plot-daily drew it.
		pl, err := plots.Daily(p, res.Summary.Count, days)
		if err := add("Fan chart: the p05-p95 and p25-p75 bands of each day, the median and the exact mean", pl, err); err != nil {
			return nil, err
		}
	}
	return out, nil
}
