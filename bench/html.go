package bench

import (
	"fmt"
	"io"

	"github.com/gpusim/gpusim/internal/htmlreport"
	"github.com/gpusim/gpusim/internal/plots"
)

// WriteHTML writes the report as one self-contained HTML page: the machine,
// the method, every table and every chart as inline SVG.
func (r *Report) WriteHTML(w io.Writer) error {
	cs, err := charts(r)
	if err != nil {
		return err
	}
	page := htmlreport.Page{Title: "gpusim bench", Facts: r.machineLines()}
	if method := r.htmlMethod(); len(method) > 0 {
		page.Sections = append(page.Sections, htmlreport.Section{Heading: "Method", Paragraphs: method})
	}
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
