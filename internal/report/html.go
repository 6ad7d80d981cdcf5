package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"gonum.org/v1/plot"

	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/internal/htmlreport"
	"github.com/gpusim/gpusim/internal/plots"
	"github.com/gpusim/gpusim/sim"
)

// WriteHTML writes the report as one self-contained HTML page (package
// htmlreport): the job, the summary against the exact law, the quantiles,
// the histogram of res with the exact density and, with days, the fan
// chart; the text report closes it.
func (r *Report) WriteHTML(w io.Writer, res *sim.Result, days []daily.Day) error {
	p := r.Params
	page := htmlreport.Page{
		Title: "gpusim run",
		Facts: []string{
			fmt.Sprintf("Engine: %s on %s", r.Engine, r.device()),
			"Job: " + r.jobText(),
		},
	}
	for _, pr := range r.Rounded {
		page.Facts = append(page.Facts, "Rounded: "+roundedText(pr))
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

// deviceRoom is what MaxHTMLSize counts for the device's name, which comes
// from the OpenCL driver, which sets no length (the longest seen is under
// 100 bytes; shard.MaxSize counts 1 KiB for it too).
const deviceRoom = 1 << 10

// htmlFrame is the most a run's page takes besides its charts: the page's
// head and style, the facts, the summary's tables and the text report
// (whose daily table has at most 26 rows) in 7 KiB (the largest measured,
// at the longest flags, seed, lanes and shard, is 5.5 kB; TestMaxHTMLSize
// keeps them within 6 KiB), and the device's name, deviceRoom bytes,
// twice (a fact and the text report's engine line), each byte at most 6 as
// written (a quote: \" escaped to \&#34;). It was 12 KiB for the first
// part, twice the largest.
const htmlFrame = 7<<10 + 2*6*deviceRoom

// MaxHTMLSize is an upper bound of the page WriteHTML writes for a run of
// steps steps, with its fan chart (daily) or without: htmlFrame and the
// charts at their largest (plots.MaxFinalSVGSize, plots.MaxDailySVGSize).
// A page is written after the run: its room is checked before it. 36.9 kB
// without daily (the default job's page is 16.6 kB); 885 kB with 10,000
// steps, whose page is about 841 kB.
func MaxHTMLSize(daily bool, steps int) uint64 {
	n := htmlFrame + plots.MaxFinalSVGSize()
	if daily {
		n += plots.MaxDailySVGSize(steps)
	}
	return n
}

// runCharts draws the histogram (when any lane ran) and the fan chart (with
// --daily) as SVG.
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
	if res.Summary.Count > 0 {
		pl, err := plots.Final(p, res.Summary)
		if err := add("Histogram of the final temperatures with the exact normal density", pl, err); err != nil {
			return nil, err
		}
	}
	if len(days) > 0 {
		pl, err := plots.Daily(p, days)
		if err := add("Fan chart: the p05-p95 and p25-p75 bands of each day, the median and the exact mean", pl, err); err != nil {
			return nil, err
		}
	}
	return out, nil
}
