package bench

import (
	"fmt"
	"io"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/htmlreport"
	"github.com/gpusim/gpusim/internal/plots"
)

// htmlMethod says how the report's numbers were measured, for the HTML page.
func (r *Report) htmlMethod() []string {
	return []string{
		fmt.Sprintf("Every engine runs the same workloads: %s untimed, then %s; the tables give the median with the minimum and maximum. Every run's digest (a sum over lanes of a hash of each lane's final temperature) must equal the first engine's, so every engine computed the same numbers.",
			count.Noun(r.Warmup, "warm-up run"), count.Noun(r.Reps, "timed run")),
		"Scaling runs each engine that scales at each worker count. Efficiency is the speedup per worker that ran: parallel and simd start at most one goroutine a block of lanes, so a larger count repeats a smaller run. Amdahl's law S(N) = 1/((1-P) + P/N) (G. M. Amdahl, AFIPS 1967, as the course writes it) is fitted to the speedups by least squares at the workers that ran, with P's range over the timed runs' spread (P fitted to each point's lowest and highest speedup: the one-worker run's fastest time over the point's slowest, and its slowest over the point's fastest), and P is also predicted without a fit: the overhead, the time no worker count shortens (set-up, handing out work, the reduction; for processes also starting the children and merging their parts), is one worker on one lane, and above one worker the goroutines that ran on one block of lanes each less one block's time on one worker (processes: one lane per process); at one worker P = 1 - that time / the run's time.",
		"The processes engine is multi-processing as the course describes it: one gpusim child process per worker, each running one shard of the lanes and saving a part file, then a gpusim merge process. The parallel engine is multi-threading: goroutines in one process sharing memory.",
		"The Python versions are the course's (a pure Python loop, joblib with one task per lane, a NumPy matrix) and what a user picks instead (joblib with one NumPy chunk per core, a float32 NumPy vector, Numba's prange, PyOpenCL). Slow ones run on a sample of lanes and are scaled up; one-off set-up (compiles, worker start) is reported apart. Each one's mean and standard deviation are checked against the model's exact normal law.",
	}
}

// WriteHTML writes the report as one self-contained HTML page: the machine,
// the method, every table and every chart as inline SVG.
func (r *Report) WriteHTML(w io.Writer) error {
	cs, err := charts(r)
	if err != nil {
		return err
	}
	page := htmlreport.Page{Title: "gpusim bench", Facts: r.machineLines()}
	page.Sections = append(page.Sections, htmlreport.Section{Heading: "Method", Paragraphs: r.htmlMethod()})
	results := htmlreport.Section{Heading: "Results"}
	for _, t := range r.tables() {
		results.Tables = append(results.Tables, htmlreport.Table{Caption: t.title, Header: t.header, Rows: t.rows, Left: t.left, Notes: t.notes})
	}
	page.Sections = append(page.Sections, results)
	charted := htmlreport.Section{Heading: "Charts"}
	for _, c := range cs {
		svg, err := plots.SVG(c.plot, c.height)
		if err != nil {
			return fmt.Errorf("bench: chart %s: %w", c.name, err)
		}
		charted.Charts = append(charted.Charts, htmlreport.Chart{Caption: c.caption, SVG: svg})
	}
	page.Sections = append(page.Sections, charted)
	if len(r.Notes) > 0 {
		page.Sections = append(page.Sections, htmlreport.Section{Heading: "Notes", Paragraphs: r.Notes})
	}
	return htmlreport.Write(w, page)
}
